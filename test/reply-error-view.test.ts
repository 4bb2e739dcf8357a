/**
 * A failed reply's error as people see it (src/outbox/replyError.ts): the network's raw words
 * (API URLs, token hints, account ids) reach admins only; agents read a plain summary of the
 * error's class — in the conversation API, the live events and the audit entry. Also the
 * outbox's own fallback parent: a reply without a named parent answers the customer's latest
 * own message, not an automatic mail after it. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelError, type Channel, type SendRequest } from '../src/channels/types.js';
import { createChannelAccount } from '../src/commands/setup.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, collectEvents, mention, startDesk, type TestDesk } from './helpers/parley.js';

const RAW = 'POST https://graph.example.com/v19.0/17841400001/messages?access_token=EAABsbCS1iHgBAxyz failed: (#100) object 998877 does not exist\n    at Graph.call (graph.js:88)';

for (const dialect of DIALECTS) {
  describe(`a failed reply's error, by role [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let agent: Client;
    let accountId = 0;
    const clock = new ManualClock(Date.UTC(2026, 10, 17, 10, 0));
    const sent: SendRequest[] = [];
    let failWith: ChannelError | null = null;
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock, workers: false });
      const send = async (req: SendRequest) => {
        if (failWith) throw failWith;
        sent.push(req);
        return { networkMessageId: `out-${req.idempotencyKey}` };
      };
      desk.parley.services.registry.register('failing', (account) => ({
        network: account.network, capabilities: { publicReply: true, privateMessage: true } as Channel['capabilities'],
        sendPrivateMessage: send, sendPublicReply: send,
      }) as unknown as Channel);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      agent = await Client.signIn(desk.url, 'ana@acme.test');
      accountId = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'x', handle: 'AcmeHelp', driver: 'failing' }, clock.now());
    });
    afterAll(async () => desk?.stop());

    let n = 0;
    async function failedReply(err: ChannelError): Promise<{ conversationId: number; messageId: number }> {
      const m = mention({ networkMessageId: `err-${dialect}-${++n}`, text: `Where is my refund? #${n}`, createdAt: clock.now() });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [m] });
      const conversationId = r.json.outcomes[0].conversationId as number;
      clock.advance(60_000);
      const reply = await admin.post(`/api/conversations/${conversationId}/replies`, { text: `We are on it ${n}`, visibility: 'public', confirm: true, idempotencyKey: `err-${dialect}-${n}` });
      expect(reply.status).toBe(202);
      failWith = err;
      try {
        await desk.parley.services.outbox.runOnce();
      } finally {
        failWith = null;
      }
      return { conversationId, messageId: reply.json.message.id };
    }

    it('an agent reads a plain summary of a refusal, an admin also the network\'s words; the audit entry quotes nothing', async () => {
      const { conversationId, messageId } = await failedReply(new ChannelError('NOT_FOUND', RAW));
      const asAgent = await agent.get(`/api/conversations/${conversationId}`);
      expect(asAgent.status).toBe(200);
      const mine = asAgent.json.messages.find((m: any) => m.id === messageId);
      expect(mine).toMatchObject({ status: 'failed', errorDetail: null });
      expect(mine.error).toMatch(/refused the reply.*no longer exists/);
      expect(JSON.stringify(asAgent.json)).not.toMatch(/graph\.example|access_token|998877|EAAB/);

      const asAdmin = await admin.get(`/api/conversations/${conversationId}`);
      const theirs = asAdmin.json.messages.find((m: any) => m.id === messageId);
      expect(theirs.error).toBe(mine.error);
      expect(theirs.errorDetail.startsWith(`NOT_FOUND: ${RAW}`)).toBe(true);
      const entry = asAdmin.json.audit.find((e: any) => e.action === 'reply.failed');
      expect(entry.data).toMatchObject({ code: 'NOT_FOUND' });
      expect(JSON.stringify(entry)).not.toMatch(/graph\.example|access_token/);
    });

    it('a rate limit says it will be retried; the live events carry the raw text to admins only', async () => {
      const err = new ChannelError('RATE_LIMITED', `429 from https://api.example.com/2/tweets (x-rate-limit-remaining: 0, app 55501)`, { retryAt: clock.now() + 600_000 });
      let target: { messageId: number } | null = null;
      const agentEvents = await collectEvents(desk, agent, (ev) => ev.some((e) => e.type === 'message.updated' && e.data.id === target?.messageId && e.data.status === 'queued'), async () => {
        target = await failedReply(err);
      });
      const forAgent = agentEvents.filter((e) => e.type === 'message.updated' && e.data.id === target!.messageId);
      expect(forAgent.length).toBeGreaterThan(0);
      expect(forAgent.at(-1)!.data.error).toMatch(/rate limiting.*will be retried/);
      expect(JSON.stringify(forAgent)).not.toMatch(/api\.example|55501/);
      expect(forAgent.every((e) => e.data.errorDetail == null)).toBe(true);

      const adminEvents = await collectEvents(desk, admin, (ev) => ev.some((e) => e.type === 'message.updated' && e.data.id === target?.messageId && e.data.errorDetail), async () => {
        target = await failedReply(err);
      });
      const forAdmin = adminEvents.filter((e) => e.type === 'message.updated' && e.data.id === target!.messageId);
      expect(forAdmin.at(-1)!.data.errorDetail).toMatch(/^RATE_LIMITED: 429 from https:\/\/api\.example\.com/);
      expect(forAdmin.at(-1)!.data.error).toMatch(/rate limiting/);
    });

    it('without a named parent, the outbox answers the customer\'s latest own message, not the automatic one after it', async () => {
      const db = desk.db.store.db;
      const own = mention({ networkMessageId: `own-${dialect}`, text: 'My parcel never came', createdAt: clock.now() });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [own] });
      const conversationId = r.json.outcomes[0].conversationId as number;
      clock.advance(60_000);
      const auto = mention({ networkMessageId: `auto-${dialect}`, text: 'I am away until Monday', createdAt: clock.now(), inReplyToNetworkId: own.networkMessageId, automated: true });
      const a = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [auto] });
      expect(a.json.outcomes[0]).toMatchObject({ status: 'stored', conversationId });
      expect((await db.selectFrom('message').select('is_auto').where('id', '=', a.json.outcomes[0].messageId).executeTakeFirstOrThrow()).is_auto).toBe(1);
      clock.advance(60_000);
      const reply = await admin.post(`/api/conversations/${conversationId}/replies`, { text: 'Sorry, we are sending another.', visibility: 'public', confirm: true, idempotencyKey: `parent-${dialect}` });
      expect(reply.status).toBe(202);
      // a reply queued without a parent (an integration's, or one written before parents were kept)
      await db.updateTable('message').set({ reply_to_message_id: null }).where('id', '=', reply.json.message.id).execute();
      sent.length = 0;
      await desk.parley.services.outbox.runOnce();
      const req = sent.find((s) => s.idempotencyKey.length > 0 && s.text === 'Sorry, we are sending another.');
      expect(req?.inReplyTo?.networkMessageId).toBe(own.networkMessageId);
    });
  });
}
