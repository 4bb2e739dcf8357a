/**
 * Erasing a customer (GDPR Art. 17) withdraws every reply to them still waiting to go out, on
 * SQLite and PostgreSQL, through a real desk: erasure replaces their handle and name in the
 * replies' text ("@erased …"), and their identity is gone, so such a reply must never be sent.
 *  - queued public and private replies and one waiting for sign-off are withdrawn with the
 *    reason, audited, their authors told (without quoting the reply); the worker sends nothing
 *    of theirs, and another customer's queued reply still goes;
 *  - approving the withdrawn draft, and writing a new reply on their conversation, are refused
 *    (409 `reply.customer_erased`);
 *  - a reply a worker had claimed when the erasure ran is withdrawn by the worker, not sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_ERASED_ERROR } from '../src/outbox/deletedPost.js';
import { DIALECTS } from './db.js';
import { Client, mention, signOffDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`erasure withdraws replies not yet sent [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let cleo: Client;
    const db = () => desk.db.store.db;

    beforeAll(async () => {
      ({ desk, admin, ana, ben, cleo } = await signOffDesk(dialect, 'ben'));
    });
    afterAll(async () => desk?.stop());

    const post = async () => {
      const m = mention();
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const o = r.json.outcomes[0];
      const conv = await db().selectFrom('conversation').select('contact_id').where('id', '=', o.conversationId).executeTakeFirstOrThrow();
      return { conv: o.conversationId as number, id: o.messageId as number, contactId: Number(conv.contact_id), handle: m.author.handle };
    };
    const reply = async (c: Client, conv: number, text: string, visibility: 'public' | 'private' = 'public') => {
      const r = await c.post(`/api/conversations/${conv}/replies`, { text, visibility });
      expect([200, 202], JSON.stringify(r.json)).toContain(r.status);
      return r.json.message as { id: number; status: string };
    };
    const erase = async (contactId: number) => {
      const r = await admin.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #204' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json as { alsoErased: { repliesWithdrawn: number; brandReplies: number } };
    };
    const outboxOf = (id: number) => db().selectFrom('outbox').selectAll().where('message_id', '=', id).executeTakeFirst();
    const messageOf = (id: number) => db().selectFrom('message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const withdrawals = async (id: number) => (await db().selectFrom('audit_event').select('data').where('subject_type', '=', 'message').where('subject_id', '=', String(id)).where('action', '=', 'reply.withdrawn').execute()).map((a) => JSON.parse(a.data as string));
    const notices = async (c: Client, conv: number) => (await c.get('/api/notifications')).json.items.filter((n: any) => n.kind === 'reply.withdrawn' && n.conversationId === conv);

    it('withdraws queued public and private replies and a draft waiting for sign-off; the worker sends only other customers\' replies', async () => {
      const p = await post();
      const other = await post();
      const pub = await reply(ana, p.conv, `@${p.handle} sorry to hear that! Sending you a DM.`);
      const dm = await reply(ana, p.conv, `Hi ${p.handle}, could you send me your order number?`, 'private');
      const draft = await reply(ben, p.conv, `@${p.handle} a refund is on its way.`);
      const elsewhere = await reply(ana, other.conv, `@${other.handle} your parcel leaves today.`);
      expect([pub.status, dm.status, draft.status, elsewhere.status]).toEqual(['queued', 'queued', 'pending_approval', 'queued']);

      const r = await erase(p.contactId);
      expect(r.alsoErased.repliesWithdrawn).toBe(3);
      for (const m of [pub, dm, draft]) {
        const row = await messageOf(m.id);
        expect(row).toMatchObject({ status: 'withdrawn', error: CUSTOMER_ERASED_ERROR });
        expect(row.text).not.toContain(p.handle);
        expect(await withdrawals(m.id)).toEqual([expect.objectContaining({ reason: 'customer_erased' })]);
      }
      for (const m of [pub, dm]) expect(await outboxOf(m.id)).toMatchObject({ status: 'withdrawn', last_error: 'the customer was erased before the reply was sent' });
      expect(await outboxOf(draft.id)).toBeUndefined();
      // their authors are told, without the reply's words (they named the person)
      const told = await notices(ana, p.conv);
      expect(told).toHaveLength(2);
      for (const n of told) expect(n).toMatchObject({ title: 'Your reply was not sent: the customer was erased', body: '' });
      expect(await notices(ben, p.conv)).toEqual([expect.objectContaining({ title: 'Your reply waiting for sign-off was withdrawn: the customer was erased' })]);

      // only the other customer's reply goes out
      expect(await desk.parley.services.outbox.runOnce(100)).toBe(1);
      expect((await messageOf(elsewhere.id)).status).toBe('sent');
      for (const m of [pub, dm, draft]) expect((await messageOf(m.id)).status).toBe('withdrawn');

      // approving the withdrawn draft, or writing again to them, is refused
      const late = await cleo.post(`/api/approvals/${draft.id}`, { decision: 'approve' });
      expect([late.status, late.json.code]).toEqual([409, 'reply.customer_erased']);
      for (const visibility of ['public', 'private'] as const) {
        const again = await ana.post(`/api/conversations/${p.conv}/replies`, { text: 'One more thing!', visibility });
        expect([again.status, again.json.code]).toEqual([409, 'reply.customer_erased']);
      }
      expect((await db().selectFrom('message').select('id').where('conversation_id', '=', p.conv).where('direction', '=', 'outbound').execute()).length).toBe(3);
    });

    it('a reply a worker had claimed when the erasure ran is withdrawn by the worker, not sent', async () => {
      const p = await post();
      const claimed = await reply(ana, p.conv, `@${p.handle} we have rebooked the courier.`);
      await db().updateTable('outbox').set({ status: 'sending', locked_by: 'outbox-other', locked_until: Date.now() + 120_000, attempts: 1 }).where('message_id', '=', claimed.id).execute();
      await db().updateTable('message').set({ status: 'sending' }).where('id', '=', claimed.id).execute();
      expect((await erase(p.contactId)).alsoErased.repliesWithdrawn).toBe(0);
      // the other worker's attempt failed for a while (rate limited): the row is due again
      await db().updateTable('outbox').set({ status: 'queued', locked_by: null, locked_until: null, last_error_code: 'RATE_LIMITED', last_error: 'slow down', next_attempt_at: 0 }).where('message_id', '=', claimed.id).execute();
      await db().updateTable('message').set({ status: 'queued' }).where('id', '=', claimed.id).execute();

      await desk.parley.services.outbox.runOnce(100);
      expect(await messageOf(claimed.id)).toMatchObject({ status: 'withdrawn', error: CUSTOMER_ERASED_ERROR, network_message_id: null });
      expect(await outboxOf(claimed.id)).toMatchObject({ status: 'withdrawn', last_error: 'the customer was erased before the reply was sent' });
      expect(await withdrawals(claimed.id)).toEqual([expect.objectContaining({ reason: 'customer_erased' })]);
    });
  });
}
