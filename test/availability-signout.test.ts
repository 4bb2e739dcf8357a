/**
 * "Online" follows the person's sessions, on SQLite and PostgreSQL: signing out of the last
 * session sets them offline (audited, published), so routing stops giving them work; signing
 * out of one of two browsers does not; sessions that all expire set them offline at the next
 * housekeeping; people who never signed in (seeded, demo) are left as they are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lapseAvailability } from '../src/commands/availability.js';
import { SESSION_TTL_MS } from '../src/server/auth.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`availability follows sign-out [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(Date.UTC(2026, 10, 17, 10));
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // new conversations go to the Care team's round robin
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const availability = async (id: number) => (await desk.db.store.db.selectFrom('app_user').select('availability').where('id', '=', id).executeTakeFirstOrThrow()).availability;
    const ingest = async (text: string) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text, createdAt: clock.now() })] })).json.outcomes[0].conversationId as number;
    const assignee = async (id: number) => (await desk.db.store.db.selectFrom('conversation').select('assignee_id').where('id', '=', id).executeTakeFirstOrThrow()).assignee_id;

    it('sets an agent offline when they sign out of their last session, and routes no more work to them', async () => {
      const ana1 = await Client.signIn(desk.url, 'ana@acme.test');
      const ana2 = await Client.signIn(desk.url, 'ana@acme.test');
      expect((await ana1.post('/api/auth/logout', {})).status).toBe(204);
      expect(await availability(desk.users.ana)).toBe('online'); // still signed in elsewhere
      expect((await ana2.post('/api/auth/logout', {})).status).toBe(204);
      expect(await availability(desk.users.ana)).toBe('offline');
      const e = await desk.db.store.db.selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'user.availability').where('subject_id', '=', String(desk.users.ana)).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(e.actor).toBe('system:presence');
      expect(JSON.parse(e.data!)).toEqual({ from: 'online', to: 'offline', reason: 'signed out' });
      // the team's round robin now goes round Ben and Cleo only
      const assigned = new Set<number | null>();
      for (let i = 0; i < 4; i++) assigned.add(await assignee(await ingest(`@AcmeCare order ${i} is missing`)));
      expect([...assigned].sort()).toEqual([desk.users.ben, desk.users.approver].sort());
    });

    it('sets offline whoever had only sessions that expired, and leaves people who never signed in', async () => {
      await Client.signIn(desk.url, 'ben@acme.test');
      expect(await availability(desk.users.ben)).toBe('online');
      expect(await availability(desk.users.approver)).toBe('online'); // seeded, never signed in
      expect(await lapseAvailability(desk.db.store, clock.now())).toEqual([]);
      clock.advance(SESSION_TTL_MS + 1000);
      // the admin made no request in that time: her session expired too
      const off = await lapseAvailability(desk.db.store, clock.now());
      expect(off.map((o) => o.user.id).sort()).toEqual([desk.users.admin, desk.users.ben].sort());
      expect(await availability(desk.users.ben)).toBe('offline');
      expect(await availability(desk.users.approver)).toBe('online');
    });
  });
}
