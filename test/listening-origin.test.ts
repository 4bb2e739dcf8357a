/**
 * How a conversation began (`origin`, the kind of its first message), on the inbox list: a post
 * keyword listening found (it does not tag the brand) is marked `listening` on the conversation
 * summary — list API and live events — and the list filters on it (`origin=listening|addressed`).
 * Conversations stored before the column get it from their earliest message (the migration).
 * On SQLite and PostgreSQL.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { up } from '../src/store/migrations/20261205T1540_conversation_origin.js';
import { DIALECTS } from './db.js';
import { Client, collectEvents, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`a conversation's origin in the inbox list [${dialect}]`, () => {
    let desk: TestDesk;
    let agent: Client;
    let admin: Client;
    const clock = new ManualClock(Date.UTC(2026, 10, 17, 10, 0));
    const ids = { listening: 0, mention: 0, dm: 0 };
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      agent = await Client.signIn(desk.url, 'ana@acme.test');
      const ingest = async (m: ReturnType<typeof mention>) => {
        const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
        expect(r.json.outcomes[0].status).toBe('stored');
        clock.advance(60_000);
        return r.json.outcomes[0].conversationId as number;
      };
      ids.listening = await ingest(mention({ networkMessageId: `lis-${dialect}`, kind: 'listening', text: 'anyone else find the acme app keeps logging them out?', createdAt: clock.now() }));
      ids.mention = await ingest(mention({ networkMessageId: `men-${dialect}`, text: '@AcmeCare my order has not arrived', createdAt: clock.now() }));
      ids.dm = await ingest(mention({ networkMessageId: `dm-${dialect}`, kind: 'dm', visibility: 'private', text: 'Hi, I need help with my invoice', createdAt: clock.now() }));
    });
    afterAll(async () => desk?.stop());

    it('the list marks the conversation listening found, and the others by their first message', async () => {
      const r = await agent.get('/api/conversations?view=all');
      expect(r.status).toBe(200);
      const origin = (id: number) => r.json.items.find((c: any) => c.id === id)?.origin;
      expect(origin(ids.listening)).toBe('listening');
      expect(origin(ids.mention)).toBe('mention');
      expect(origin(ids.dm)).toBe('dm');
      // the conversation's own page says the same
      expect((await agent.get(`/api/conversations/${ids.listening}`)).json.conversation.origin).toBe('listening');
    });

    it('filters: listening only, or only what addressed the brand', async () => {
      const listed = async (origin: string) => (await agent.get(`/api/conversations?view=all&origin=${origin}`)).json.items.map((c: any) => c.id).sort();
      expect(await listed('listening')).toEqual([ids.listening]);
      expect(await listed('addressed')).toEqual([ids.mention, ids.dm].sort());
      expect((await agent.get('/api/conversations?origin=everything')).status).toBe(400);
      const counted = await agent.get('/api/conversations?view=open&origin=listening&total=true&limit=1');
      expect(counted.json).toMatchObject({ total: 1 });
    });

    it('a new listening conversation arrives live with its origin', async () => {
      let created = 0;
      const events = await collectEvents(desk, agent, (ev) => ev.some((e) => e.type === 'conversation.created' && e.data.id === created), async () => {
        const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ networkMessageId: `lis2-${dialect}`, kind: 'listening', text: 'acme outage again?', createdAt: clock.now() })] });
        created = r.json.outcomes[0].conversationId;
      });
      expect(events.find((e) => e.type === 'conversation.created' && e.data.id === created)!.data.origin).toBe('listening');
    });

    it('the migration gives stored conversations the kind of their earliest message', async () => {
      const db = desk.db.store.db;
      // as an older Parley stored them: no origin column
      await sql`ALTER TABLE conversation DROP COLUMN origin`.execute(db);
      await up(db, { dialect, id: ['bigint', (c) => c] });
      const rows = await db.selectFrom('conversation').select(['id', 'origin']).where('id', 'in', [ids.listening, ids.mention, ids.dm]).orderBy('id').execute();
      expect(Object.fromEntries(rows.map((r) => [r.id, r.origin]))).toEqual({ [ids.listening]: 'listening', [ids.mention]: 'mention', [ids.dm]: 'dm' });
    });
  });
}
