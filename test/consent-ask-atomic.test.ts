/**
 * The consent question and its record are one write, on SQLite and PostgreSQL: the record
 * (`crm_consent_ask`) is written with the reply, before its outbox entry, so a question that
 * goes out is always counted, and when the record cannot be written (a real trigger refuses
 * inserts into `crm_consent_ask`) nothing is stored and nothing is sent. A repeated request
 * sends and records once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { failInserts } from './helpers/failingInsert.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`the consent question is recorded with its reply [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      [admin, ana] = (await Promise.all(['admin', 'ana'].map((n) => Client.signIn(desk.url, `${n}@acme.test`)))) as Client[];
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const conversation = async (n: string) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ author: { networkUserId: `ask-${dialect}-${n}`, handle: `ask_${n}`, displayName: null, followers: 1 } })] })).json.outcomes[0].conversationId as number;
    const outbound = (conv: number) => db().selectFrom('message').select(['id', 'status']).where('conversation_id', '=', conv).where('direction', '=', 'outbound').execute();
    const queued = (conv: number) => db().selectFrom('outbox').innerJoin('message', 'message.id', 'outbox.message_id').select(['outbox.id', 'outbox.status', 'outbox.message_id']).where('message.conversation_id', '=', conv).execute();
    const asks = (conv: number) => db().selectFrom('crm_consent_ask').select(['message_id']).where('conversation_id', '=', conv).execute();

    it('sends nothing when the question cannot be recorded, and records every question it sends', async () => {
      const conv = await conversation('fail');
      const failing = await failInserts(desk.db.store, 'crm_consent_ask');
      try {
        const r = await ana.post(`/api/conversations/${conv}/crm-consent-ask`, { idempotencyKey: `consent-atomic-${dialect}-1` });
        expect(r.status).toBeGreaterThanOrEqual(500);
      } finally {
        await failing.remove();
      }
      // nothing stored, nothing queued, and the outbox has nothing to send
      expect(await outbound(conv)).toEqual([]);
      expect(await queued(conv)).toEqual([]);
      expect(await asks(conv)).toEqual([]);
      await desk.parley.services.outbox.runOnce();
      expect(await outbound(conv)).toEqual([]);

      // the same request once the record can be written: one reply, recorded, queued once
      const ok = await ana.post(`/api/conversations/${conv}/crm-consent-ask`, { idempotencyKey: `consent-atomic-${dialect}-1` });
      expect(ok.status).toBe(202);
      expect(ok.json.duplicate).toBe(false);
      const messageId = ok.json.message.id as number;
      expect(ok.json.ask.messageId).toBe(messageId);
      expect(await asks(conv)).toEqual([{ message_id: messageId }]);
      expect((await queued(conv)).map((o) => o.message_id)).toEqual([messageId]);

      // a retry is the same question: nothing more recorded or queued, the same answer
      const again = await ana.post(`/api/conversations/${conv}/crm-consent-ask`, { idempotencyKey: `consent-atomic-${dialect}-1` });
      expect(again.status).toBe(202);
      expect(again.json.duplicate).toBe(true);
      expect(again.json.ask).toEqual(ok.json.ask);
      expect(await asks(conv)).toHaveLength(1);
      expect(await queued(conv)).toHaveLength(1);

      // sent once, and the dialog counts it as a question that went out
      await desk.parley.services.outbox.runOnce();
      expect((await queued(conv)).map((o) => o.status)).toEqual(['sent']);
      const c = await ana.get(`/api/conversations/${conv}/crm-consent-candidates`);
      expect(c.json.asks).toMatchObject([{ messageId, status: 'sent' }]);
      const audited = await db().selectFrom('audit_event').select('data').where('conversation_id', '=', conv).where('action', '=', 'contact.crm_consent_asked').execute();
      expect(audited).toHaveLength(1);
    });

    it('a question held for sign-off is recorded with the held reply, and a failed record holds nothing', async () => {
      expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [String(desk.users.ana)] } } })).status).toBe(200);
      try {
        const conv = await conversation('held');
        const failing = await failInserts(desk.db.store, 'crm_consent_ask');
        try {
          expect((await ana.post(`/api/conversations/${conv}/crm-consent-ask`, {})).status).toBeGreaterThanOrEqual(500);
        } finally {
          await failing.remove();
        }
        expect(await outbound(conv)).toEqual([]);
        expect(await db().selectFrom('notification').select('id').where('conversation_id', '=', conv).execute()).toEqual([]);
        const held = await ana.post(`/api/conversations/${conv}/crm-consent-ask`, {});
        expect(held.json.message.status).toBe('pending_approval');
        expect(await asks(conv)).toEqual([{ message_id: held.json.message.id }]);
        expect(await queued(conv)).toEqual([]);
      } finally {
        expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [] } } })).status).toBe(200);
      }
    });
  });
}
