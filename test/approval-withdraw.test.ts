/**
 * The author of a reply waiting for sign-off can take it back (to rewrite it, or because the
 * customer was answered meanwhile), on SQLite and PostgreSQL: it is never sent, leaves the
 * approvals queue, is audited, and nobody else can withdraw it; once decided it cannot be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, signOffDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`withdrawing a draft awaiting sign-off [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let cleo: Client;
    beforeAll(async () => {
      ({ desk, admin, ana, ben, cleo } = await signOffDesk(dialect, 'ana'));
    });
    afterAll(async () => desk?.stop());

    const draft = async (text: string) => {
      const conv = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0].conversationId;
      const r = await ana.post(`/api/conversations/${conv}/replies`, { text, visibility: 'public' });
      expect(r.json.message.status).toBe('pending_approval');
      return { conv, id: r.json.message.id as number };
    };
    const queued = async () => (await cleo.get('/api/approvals')).json.items.map((x: any) => x.id);

    it('lets the author take a waiting draft back: never sent, out of the queue, audited', async () => {
      const { conv, id } = await draft('Sorry about that! Your parcel leaves today and arrives tomorrow.');
      expect(await queued()).toContain(id);
      expect((await ben.post(`/api/approvals/${id}/withdraw`)).status).toBe(403); // not his
      expect((await cleo.post(`/api/approvals/${id}/withdraw`)).status).toBe(403); // an approver rejects instead
      const w = await ana.post(`/api/approvals/${id}/withdraw`);
      expect(w.status).toBe(200);
      expect(w.json).toMatchObject({ id, status: 'withdrawn' });
      expect(await queued()).not.toContain(id);
      // signing it off now is refused with the reason, and nothing reaches the outbox
      const late = await cleo.post(`/api/approvals/${id}`, { decision: 'approve' });
      expect(late.status).toBe(409);
      expect(late.json.code).toBe('approval.withdrawn');
      await desk.parley.services.outbox.runOnce();
      expect(await desk.db.store.db.selectFrom('outbox').select('id').where('message_id', '=', id).execute()).toHaveLength(0);
      const detail = (await ana.get(`/api/conversations/${conv}`)).json;
      expect(detail.messages.find((m: any) => m.id === id).status).toBe('withdrawn');
      expect(detail.audit.map((e: any) => e.action)).toContain('reply.withdrawn');
      expect((await ana.post(`/api/approvals/${id}/withdraw`)).status).toBe(409); // once
    });

    it('cannot be withdrawn once an approver decided', async () => {
      const { id } = await draft('Sorry about the wait! A refund of the delivery fee is on its way.');
      expect((await cleo.post(`/api/approvals/${id}`, { decision: 'approve' })).status).toBe(200);
      const w = await ana.post(`/api/approvals/${id}/withdraw`);
      expect(w.status).toBe(409);
      expect(w.json.code).toBe('approval.not_pending');
    });
  });
}
