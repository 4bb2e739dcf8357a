/**
 * "Take it private" goes out once, through the HTTP API on SQLite and PostgreSQL
 * (hand-driven clock and outbox):
 *  - a double click (two identical requests at once) or a retry posts one public offer:
 *    without a client key the offer is keyed by the conversation and the customer message
 *    it answers, and the second request is answered with the first (`duplicate`);
 *  - an offer in other words to the same customer message, without a key, is refused (409);
 *  - the UI's key (one per offer) does the same; a new customer message may get a new offer;
 *  - the offer greets the customer as a person would: by first name, not the full name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 London: open.
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`take it private, once [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    let seq = 0;
    const ingest = async (over: Record<string, unknown> = {}) => {
      seq++;
      const author = { networkUserId: `tp${seq}`, handle: `erin${seq}`, displayName: 'Erin Example', followers: 10 };
      return (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), author, text: '@AcmeCare my account is locked again', ...over })] })).json.outcomes[0];
    };
    const offers = (conversationId: number) =>
      db().selectFrom('message').select(['id', 'text', 'status', 'reply_to_message_id']).where('conversation_id', '=', conversationId).where('direction', '=', 'outbound').where('visibility', '=', 'public').orderBy('id').execute();
    const outboxOf = async (conversationId: number) => {
      const ids = (await offers(conversationId)).map((m) => m.id);
      return ids.length ? db().selectFrom('outbox').select(['message_id', 'status']).where('message_id', 'in', ids).execute() : [];
    };
    const runOutbox = async () => {
      await desk.parley.services.outbox.runOnce();
      await desk.parley.services.outbox.runOnce();
    };
    const takePrivate = (conversationId: number, body: Record<string, unknown> = { reason: 'account' }) => ana.post(`/api/conversations/${conversationId}/take-private`, body);

    it('posts one public offer for a double click without a key, and says the second is a duplicate', async () => {
      const o = await ingest();
      const [a, b] = await Promise.all([takePrivate(o.conversationId), takePrivate(o.conversationId)]);
      expect([a.status, b.status].sort()).toEqual([200, 202]);
      expect(a.json.message.id).toBe(b.json.message.id);
      expect([a.json.duplicate, b.json.duplicate].sort()).toEqual([false, true]);
      await runOutbox();
      const stored = await offers(o.conversationId);
      expect(stored).toHaveLength(1);
      expect(stored[0]!.status).toBe('sent');
      expect(await outboxOf(o.conversationId)).toHaveLength(1);
      // it answers the customer's message
      const inbound = await db().selectFrom('message').select('id').where('conversation_id', '=', o.conversationId).where('direction', '=', 'inbound').executeTakeFirstOrThrow();
      expect(stored[0]!.reply_to_message_id).toBe(inbound.id);
      const d = (await ana.get(`/api/conversations/${o.conversationId}`)).json;
      expect(d.conversation.labels).toContain('taken-private');
    });

    it('answers a retry after the offer went out with the same offer, and sends nothing more', async () => {
      const o = await ingest();
      const first = await takePrivate(o.conversationId);
      expect(first.status).toBe(202);
      await runOutbox();
      clock.advance(2 * MIN);
      const again = await takePrivate(o.conversationId);
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ duplicate: true, message: { id: first.json.message.id } });
      // another reason (other words) for the same customer message is not a second post either
      const other = await takePrivate(o.conversationId, { reason: 'personal_data' });
      expect(other.status).toBe(409);
      expect(other.json).toMatchObject({ code: 'private.already_offered', messageId: first.json.message.id });
      await runOutbox();
      expect(await offers(o.conversationId)).toHaveLength(1);
      expect(await outboxOf(o.conversationId)).toHaveLength(1);
    });

    it('uses the client\'s key, one per offer, the same way; a new customer message may get a new offer', async () => {
      const o = await ingest();
      const body = { reason: 'account', idempotencyKey: 'ui-offer-0001-abcdef' };
      const [a, b] = await Promise.all([takePrivate(o.conversationId, body), takePrivate(o.conversationId, body)]);
      expect(a.json.message.id).toBe(b.json.message.id);
      expect([a.json.duplicate, b.json.duplicate].sort()).toEqual([false, true]);
      expect(await offers(o.conversationId)).toHaveLength(1);

      // the customer writes again in public: a new offer answers that message
      clock.advance(5 * MIN);
      const author = { networkUserId: `tp${seq}`, handle: `erin${seq}`, displayName: 'Erin Example', followers: 10 };
      const next = await ingest({ author, text: '@AcmeCare still locked, please help' });
      expect(next.conversationId).toBe(o.conversationId);
      const [c, d] = await Promise.all([takePrivate(o.conversationId), takePrivate(o.conversationId)]);
      expect(c.json.message.id).toBe(d.json.message.id);
      expect(c.json.message.id).not.toBe(a.json.message.id);
      await runOutbox();
      expect((await offers(o.conversationId)).map((m) => m.status)).toEqual(['sent', 'sent']);
    });

    it('greets by first name, not the full display name', async () => {
      const o = await ingest();
      const r = await takePrivate(o.conversationId);
      expect(r.status).toBe(202);
      expect(r.json.message.text).toMatch(/\bErin\b/);
      expect(r.json.message.text).not.toMatch(/Example/);
    });
  });
}
