/**
 * A disabled channel account acts on nothing until an admin enables it again, on SQLite
 * and PostgreSQL: a reply, an incident statement or a moderation action from it is
 * refused at once with the reason (409 `channel.disabled`) and queues nothing; a reply
 * queued before it was disabled, or awaiting sign-off, is not sent late (the outbox fails
 * it with the reason; approving it is refused); a failed send elsewhere cannot turn it
 * back into an active or unhealthy account that the sync worker would poll again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markChannelHealth } from '../src/channels/health.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`a disabled channel account [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let cleo: Client;
    const db = () => desk.db.store.db;
    const account = () => db().selectFrom('channel_account').selectAll().where('id', '=', desk.accountId).executeTakeFirstOrThrow();
    const messageRow = (id: number) => db().selectFrom('message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const outboxCount = async () => Number((await db().selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const setEnabled = async (enabled: boolean) => expect((await admin.req('PATCH', `/api/channel-accounts/${desk.accountId}`, { enabled })).status).toBe(200);
    const ingest = async (text: string) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };

    beforeAll(async () => {
      // no background loops: the test runs the outbox itself
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
    });
    afterAll(async () => desk?.stop());

    it('does not send late a reply queued before the account was disabled', async () => {
      const conv = await ingest('@AcmeCare my order is late');
      const r = await ana.post(`/api/conversations/${conv}/replies`, { text: 'So sorry! It leaves the warehouse today and arrives tomorrow.', visibility: 'public' });
      expect(r.status).toBe(202);
      await setEnabled(false);
      await desk.parley.services.outbox.runOnce();
      const msg = await messageRow(r.json.message.id);
      expect(msg.status).toBe('failed');
      expect(msg.network_message_id).toBeNull();
      expect(msg.error).toMatch(/disabled/);
      expect((await account()).status).toBe('disabled');
      await setEnabled(true);
      // enabled again, the failed reply stays failed: an agent sends it again knowingly
      await desk.parley.services.outbox.runOnce();
      expect((await messageRow(r.json.message.id)).status).toBe('failed');
    });

    it('refuses a reply, a statement and a moderation action at once, with the reason, and queues nothing', async () => {
      const conv = await ingest('@AcmeCare where is my refund?');
      await setEnabled(false);
      try {
        const before = await outboxCount();
        const reply = await ana.post(`/api/conversations/${conv}/replies`, { text: 'Checking it for you now, one moment please.', visibility: 'public' });
        expect(reply.status).toBe(409);
        expect(reply.json.code).toBe('channel.disabled');
        expect(reply.json.detail).toContain('@AcmeCare is disabled');
        const incident = await cleo.post('/api/incidents', { title: 'Refunds delayed', reason: 'The payment provider is down' });
        expect(incident.status).toBe(201);
        const statement = await cleo.post(`/api/incidents/${incident.json.id}/statement`, { channelAccountId: desk.accountId, text: 'Refunds are delayed today; we are on it and will post an update here.' });
        expect(statement.status).toBe(409);
        expect(statement.json.code).toBe('channel.disabled');
        const g = await admin.post('/api/guidelines', { code: 'spam-links', title: 'No spam links', description: 'Posts that only advertise unrelated links are hidden.', allowedActions: ['hide'] });
        expect(g.status).toBe(201);
        const detail = (await ana.get(`/api/conversations/${conv}`)).json;
        const mod = await ana.post(`/api/messages/${detail.messages[0].id}/moderation`, { action: 'hide', guidelineId: g.json.id, evidence: 'The post only advertises an unrelated link, again and again.' });
        expect(mod.status).toBe(409);
        expect(mod.json.code).toBe('channel.disabled');
        expect(await outboxCount()).toBe(before);
        expect((await db().selectFrom('message').select('id').where('conversation_id', '=', conv).where('direction', '=', 'outbound').execute())).toHaveLength(0);
      } finally {
        await setEnabled(true);
      }
    });

    it('refuses to approve a reply awaiting sign-off while the account is disabled', async () => {
      // Ana's replies need sign-off
      const put = await admin.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [String(desk.users.ana)] } } });
      expect(put.status, JSON.stringify(put.json)).toBe(200);
      try {
        const conv = await ingest('@AcmeCare can I change my delivery address?');
        const r = await ana.post(`/api/conversations/${conv}/replies`, { text: 'Yes, you can: reply with the new address in a private message and we will change it.', visibility: 'public' });
        expect(r.status).toBe(202);
        expect(r.json.message.status).toBe('pending_approval');
        await setEnabled(false);
        const refused = await cleo.post(`/api/approvals/${r.json.message.id}`, { decision: 'approve' });
        expect(refused.status).toBe(409);
        expect(refused.json.code).toBe('channel.disabled');
        expect((await messageRow(r.json.message.id)).status).toBe('pending_approval');
        await setEnabled(true);
        expect((await cleo.post(`/api/approvals/${r.json.message.id}`, { decision: 'approve' })).status).toBe(200);
        expect((await messageRow(r.json.message.id)).status).toBe('queued');
      } finally {
        await admin.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [] } } });
      }
    });

    it('stays disabled when a send or a poll reports a problem or a recovery', async () => {
      await setEnabled(false);
      const acc = await account();
      const bus = desk.parley.services.bus;
      await markChannelHealth(desk.db.store, bus, acc, { code: 'RATE_LIMITED', message: 'rate limited', advice: 'wait' }, Date.now());
      expect((await account()).status).toBe('disabled');
      // a send that began before the account was disabled, reporting with the row it read then
      await markChannelHealth(desk.db.store, bus, { ...acc, status: 'active' }, { code: 'AUTH_REVOKED', message: 'token revoked', advice: 'reconnect' }, Date.now());
      expect((await account()).status).toBe('disabled');
      await markChannelHealth(desk.db.store, bus, { ...acc, status: 'unhealthy' }, null, Date.now());
      expect((await account()).status).toBe('disabled');
      await setEnabled(true);
      expect((await account()).status).toBe('active');
    });
  });
}
