/**
 * A reply sent through the API without an idempotencyKey is still sent at most once, on
 * SQLite and PostgreSQL (hand-driven clock and outbox):
 *  - a retry of the same request is answered with the first reply (200, `duplicate`), one
 *    message and one outbox row, also a second after a time-bucket boundary;
 *  - two identical requests at once are one reply, also when they fall either side of a
 *    bucket boundary (the lock, not only the unique key, makes them one);
 *  - other text, another visibility, or the same text once the window has passed is a new reply;
 *  - the OpenAPI document tells API users the rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
/** KEYLESS_REPLY_WINDOW_MS (src/commands/conversations.ts). */
const KEYLESS_REPLY_WINDOW_MS = 10 * MIN;
// Tuesday 17 November 2026, 10:00 London: open.
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`a keyless reply is sent once [${dialect}]`, () => {
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
    const conversation = async (): Promise<number> => {
      seq++;
      const author = { networkUserId: `kl${seq}`, handle: `kim${seq}`, displayName: 'Kim Example', followers: 10 };
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), author, text: `@AcmeCare where is parcel ${seq}?` })] });
      return r.json.outcomes[0].conversationId;
    };
    const replies = (conversationId: number) =>
      db().selectFrom('message').select(['id', 'text', 'status', 'visibility']).where('conversation_id', '=', conversationId).where('direction', '=', 'outbound').orderBy('id').execute();
    const outboxOf = async (conversationId: number) => {
      const ids = (await replies(conversationId)).map((m) => m.id);
      return ids.length ? db().selectFrom('outbox').select(['message_id', 'status']).where('message_id', 'in', ids).execute() : [];
    };
    const reply = (conversationId: number, body: Record<string, unknown>) => ana.post(`/api/conversations/${conversationId}/replies`, body);
    const text = 'Sorry for the wait! It left our warehouse this morning and arrives tomorrow.';

    it('answers a retry without a key with the first reply: one message, one outbox row, one send', async () => {
      const c = await conversation();
      const first = await reply(c, { text, visibility: 'public' });
      expect(first.status).toBe(202);
      expect(first.json.duplicate).toBe(false);
      clock.advance(30_000);
      // the retry of a request that timed out (same text; a client may add a trailing newline)
      const retry = await reply(c, { text: `${text}\n`, visibility: 'public' });
      expect(retry.status).toBe(200);
      expect(retry.json).toMatchObject({ duplicate: true, approval: null, message: { id: first.json.message.id } });
      await desk.parley.services.outbox.runOnce();
      // and after it went out, still the same reply
      clock.advance(2 * MIN);
      const late = await reply(c, { text, visibility: 'public' });
      expect(late.status).toBe(200);
      expect(late.json).toMatchObject({ duplicate: true, message: { id: first.json.message.id, status: 'sent' } });
      await desk.parley.services.outbox.runOnce();
      expect(await replies(c)).toHaveLength(1);
      expect(await outboxOf(c)).toEqual([{ message_id: first.json.message.id, status: 'sent' }]);
    });

    it('finds the first reply a second after a time-bucket boundary', async () => {
      const c = await conversation();
      const boundary = (Math.floor(clock.now() / KEYLESS_REPLY_WINDOW_MS) + 1) * KEYLESS_REPLY_WINDOW_MS;
      clock.set(boundary - 500);
      const first = await reply(c, { text, visibility: 'public' });
      expect(first.status).toBe(202);
      clock.set(boundary + 500);
      const retry = await reply(c, { text, visibility: 'public' });
      expect(retry.status).toBe(200);
      expect(retry.json.message.id).toBe(first.json.message.id);
      expect(await replies(c)).toHaveLength(1);
      expect(await outboxOf(c)).toHaveLength(1);
    });

    it('finds a reply stamped just after the next boundary for a request stamped just before it (two running at once, the later one stored first)', async () => {
      const c = await conversation();
      const boundary = (Math.floor(clock.now() / KEYLESS_REPLY_WINDOW_MS) + 1) * KEYLESS_REPLY_WINDOW_MS;
      clock.set(boundary + 1);
      const later = await reply(c, { text, visibility: 'public' });
      expect(later.status).toBe(202);
      clock.set(boundary - 1);
      const earlier = await reply(c, { text, visibility: 'public' });
      expect(earlier.status).toBe(200);
      expect(earlier.json.message.id).toBe(later.json.message.id);
      expect(await replies(c)).toHaveLength(1);
      clock.set(boundary + 1);
    });

    it('makes two identical keyless requests at once one reply', async () => {
      const c = await conversation();
      const [a, b] = await Promise.all([reply(c, { text, visibility: 'public' }), reply(c, { text, visibility: 'public' })]);
      expect([a.status, b.status].sort()).toEqual([200, 202]);
      expect(a.json.message.id).toBe(b.json.message.id);
      expect([a.json.duplicate, b.json.duplicate].sort()).toEqual([false, true]);
      expect(await replies(c)).toHaveLength(1);
      expect(await outboxOf(c)).toHaveLength(1);
    });

    it('makes two identical requests at once one reply also when they fall either side of a bucket boundary', async () => {
      const c = await conversation();
      const actor = { brandId: desk.brandId, userId: desk.users.ana, role: 'agent' as const, name: `user:${desk.users.ana}` };
      const commands = desk.parley.services.commands;
      for (let round = 0; round < 10; round++) {
        const boundary = (Math.floor(clock.now() / KEYLESS_REPLY_WINDOW_MS) + 1) * KEYLESS_REPLY_WINDOW_MS;
        const body = { text: `${text} (${round})`, visibility: 'public' as const };
        // each request reads the clock as it starts: one before the boundary, one after
        clock.set(boundary - 1);
        const a = commands.reply(actor, c, body);
        clock.set(boundary + 1);
        const b = commands.reply(actor, c, body);
        const [ra, rb] = await Promise.all([a, b]);
        expect(ra.message.id, `round ${round}`).toBe(rb.message.id);
        expect([ra.duplicate, rb.duplicate].sort(), `round ${round}`).toEqual([false, true]);
      }
      expect(await replies(c)).toHaveLength(10);
      expect(await outboxOf(c)).toHaveLength(10);
    });

    it('sends other text, another visibility, or the same text once the window has passed as a new reply', async () => {
      const c = await conversation();
      const first = await reply(c, { text, visibility: 'public' });
      expect(first.status).toBe(202);
      const other = await reply(c, { text: 'And the tracking link comes by email within the hour.', visibility: 'public' });
      expect(other.status).toBe(202);
      expect(other.json.duplicate).toBe(false);
      const privately = await reply(c, { text, visibility: 'private' });
      expect(privately.status).toBe(202);
      expect(privately.json.duplicate).toBe(false);
      clock.advance(KEYLESS_REPLY_WINDOW_MS + 1000);
      const again = await reply(c, { text, visibility: 'public' });
      expect(again.status).toBe(202);
      expect(again.json.duplicate).toBe(false);
      expect(new Set([first, other, privately, again].map((r) => r.json.message.id)).size).toBe(4);
      expect(await replies(c)).toHaveLength(4);
      expect(await outboxOf(c)).toHaveLength(4);
      // another person sending the same words is their own reply
      const ben = await Client.signIn(desk.url, 'ben@acme.test');
      const bens = await ben.post(`/api/conversations/${c}/replies`, { text, visibility: 'public' });
      expect(bens.status).toBe(202);
      expect(await replies(c)).toHaveLength(5);
    });

    it('says the rule in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      const op = doc.paths['/api/conversations/{id}/replies'].post;
      expect(op.description).toContain('without one, the same person sending the same text');
      expect(op.description).toContain(`${KEYLESS_REPLY_WINDOW_MS / MIN} minutes`);
    });
  });
}
