/**
 * A reply held for sign-off and the notices to its approvers are one write, on SQLite and
 * PostgreSQL: when the notices cannot be written (a real trigger refuses inserts into
 * `notification`), the held reply is not stored either — never a reply waiting with nobody told —
 * and on the normal path every approver is told exactly once, as the reply's request returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { failInserts } from './helpers/failingInsert.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`sign-off notices are written with the held reply [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      [admin, ana] = (await Promise.all(['admin', 'ana'].map((n) => Client.signIn(desk.url, `${n}@acme.test`)))) as Client[];
      expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { exemptRoles: [], content: { keywords: ['lawyer'] } } })).status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const conversation = async () => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0].conversationId as number;
    const heldReplies = (conv: number) => db().selectFrom('message').select(['id', 'status']).where('conversation_id', '=', conv).where('direction', '=', 'outbound').execute();
    const notices = (conv: number) => db().selectFrom('notification').select(['user_id']).where('conversation_id', '=', conv).where('kind', '=', 'reply.pending_approval').orderBy('user_id').execute();
    const text = 'Our lawyer has looked at this and we will be in touch today.';

    it('stores neither the held reply nor its notices when the notices cannot be written', async () => {
      const conv = await conversation();
      const failing = await failInserts(desk.db.store, 'notification', { when: "NEW.kind = 'reply.pending_approval'" });
      try {
        const r = await ana.post(`/api/conversations/${conv}/replies`, { text, visibility: 'public' });
        expect(r.status).toBeGreaterThanOrEqual(500);
      } finally {
        await failing.remove();
      }
      // whatever a background task might still do, give it time: the reply must not be left waiting
      await desk.parley.services.workflowCommands.signOffNoticesSettled();
      expect(await heldReplies(conv)).toEqual([]);
      expect(await notices(conv)).toEqual([]);
      expect(await db().selectFrom('audit_event').select('id').where('conversation_id', '=', conv).where('action', '=', 'reply.pending_approval').execute()).toEqual([]);

      // the same reply, once notices can be written: held, and every approver told once
      const again = await ana.post(`/api/conversations/${conv}/replies`, { text, visibility: 'public' });
      expect(again.status).toBe(202);
      expect(again.json.message.status).toBe('pending_approval');
      expect((await heldReplies(conv)).map((m) => m.status)).toEqual(['pending_approval']);
      expect((await notices(conv)).map((n) => n.user_id)).toEqual([desk.users.admin, desk.users.approver].sort((a, b) => a - b));
    });

    it('tells every approver exactly once, by the time the reply is answered', async () => {
      const conv = await conversation();
      const r = await ana.post(`/api/conversations/${conv}/replies`, { text: 'A lawyer will not be needed: we fix it today.', visibility: 'public', idempotencyKey: `held-once-${dialect}` });
      expect(r.status).toBe(202);
      // no waiting for a background task: the notices are part of the reply's write
      expect((await notices(conv)).map((n) => n.user_id)).toEqual([desk.users.admin, desk.users.approver].sort((a, b) => a - b));
      // a retry of the same request is the same reply: nobody is told twice
      const retry = await ana.post(`/api/conversations/${conv}/replies`, { text: 'A lawyer will not be needed: we fix it today.', visibility: 'public', idempotencyKey: `held-once-${dialect}` });
      expect(retry.json.duplicate).toBe(true);
      await desk.parley.services.workflowCommands.signOffNoticesSettled();
      expect(await notices(conv)).toHaveLength(2);
      // a reply the policy does not hold tells nobody
      const conv2 = await conversation();
      expect((await ana.post(`/api/conversations/${conv2}/replies`, { text: 'Sorry about that! It ships today.', visibility: 'public' })).json.message.status).toBe('queued');
      expect(await notices(conv2)).toEqual([]);
    });
  });
}
