/**
 * QA (sign-off): rejecting a reply says why. A reply rejected without a note left its author
 * with "Not approved" and their own text in the notification, nothing to act on; the web UI
 * already asks for a note, the API now does too (as for incident statements), on SQLite and
 * PostgreSQL — and the refused rejection changes nothing: the draft still waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, signOffDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`rejecting a reply at sign-off needs a reason [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let cleo: Client;
    beforeAll(async () => {
      ({ desk, admin, ana, cleo } = await signOffDesk(dialect, 'ana'));
    });
    afterAll(async () => desk?.stop());

    it('refuses a rejection without a note, keeps the draft waiting, and tells the author the note', async () => {
      const conv = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0].conversationId;
      const r = await ana.post(`/api/conversations/${conv}/replies`, { text: 'Sorry about that! Your parcel arrives tomorrow.', visibility: 'public' });
      const id = r.json.message.id as number;
      for (const note of [undefined, null, '', '   ']) {
        const bare = await cleo.post(`/api/approvals/${id}`, { decision: 'reject', ...(note !== undefined ? { note } : {}) });
        expect(bare.status).toBe(400);
        expect(bare.json.code).toBe('approval.reason_required');
        expect(bare.json.detail).toMatch(/why/);
      }
      // nothing decided: still waiting, still in the queue, nothing audited as rejected
      expect((await cleo.get('/api/approvals')).json.items.map((x: any) => x.id)).toContain(id);
      const before = (await ana.get(`/api/conversations/${conv}`)).json;
      expect(before.messages.find((m: any) => m.id === id).status).toBe('pending_approval');
      expect(before.audit.map((e: any) => e.action)).not.toContain('reply.rejected');

      const rej = await cleo.post(`/api/approvals/${id}`, { decision: 'reject', note: 'The courier says Friday: check the tracking first' });
      expect(rej.status).toBe(200);
      expect(rej.json).toMatchObject({ id, status: 'rejected', error: 'rejected: The courier says Friday: check the tracking first' });
      const n = (await ana.get('/api/notifications')).json.items.find((x: any) => x.kind === 'reply.rejected');
      expect(n).toMatchObject({ title: 'Your reply was not approved', body: 'The courier says Friday: check the tracking first' });
    });
  });
}
