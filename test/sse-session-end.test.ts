/**
 * A session that ends on the server ends its live streams at once, not at the next periodic
 * check (`sse.pingMs`, made far longer than the test here, so only the immediate path can end a
 * stream): signed out in another request, signed out by a password change in another session,
 * disabled by an admin, its session running out. Each such stream gets a last `signed-out`
 * event saying why and is closed within a second; its person leaves every conversation's
 * presence with it (colleagues hear a `presence` event without them). Everyone else's streams
 * stay open. On SQLite and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, PASSWORD, type EventStream } from './helpers/parley.js';
import { expectSignedOut, sessionDesk, sleep } from './helpers/sessionStreams.js';

/** Far longer than any test: a stream that ends did so without waiting for the periodic check. */
const PERIOD = 120_000;
const WITHIN = 1_000;

const expectEnded = (s: EventStream, why: { code: string; reason: string }) => expectSignedOut(s, why, WITHIN);

/** Still open a while later, and never told it was signed out. */
async function expectOpen(...streams: EventStream[]) {
  await sleep(300);
  for (const s of streams) {
    expect(s.ended()).toBe(false);
    expect(s.events().some((e) => e.type === 'signed-out')).toBe(false);
  }
}

for (const dialect of DIALECTS) {
  describe(`a session ended on the server ends its live streams at once [${dialect}]`, () => {
    const d = sessionDesk(dialect, { period: PERIOD, at: Date.UTC(2026, 11, 7, 10, 0, 0) });
    const { stream, person } = d;

    it('signed out in another request: the stream gets signed-out and closes within a second; another person\'s stays', async () => {
      const p = await person();
      const [mine, colleague] = [await stream(p.client), await stream(d.admin)];
      expect((await p.client.post('/api/auth/logout')).status).toBe(204);
      await expectEnded(mine, { code: 'auth.session_expired', reason: 'signed-out' });
      await expectOpen(colleague);
    });

    it('signed out of one tab\'s session: a stream of the same person\'s other session stays', async () => {
      const p = await person();
      const other = await Client.signIn(d.desk.url, p.email);
      const [here, there] = [await stream(p.client), await stream(other)];
      expect((await p.client.post('/api/auth/logout')).status).toBe(204);
      await expectEnded(here, { code: 'auth.session_expired', reason: 'signed-out' });
      await expectOpen(there);
    });

    it('the password changed in another session: that session\'s stream ends at once; the changing one\'s stays', async () => {
      const p = await person();
      const other = await Client.signIn(d.desk.url, p.email);
      const [elsewhere, here, colleague] = [await stream(p.client), await stream(other), await stream(d.admin)];
      expect((await other.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'another long password' })).status).toBe(204);
      await expectEnded(elsewhere, { code: 'auth.session_expired', reason: 'signed-out' });
      await expectOpen(here, colleague);
    });

    it('disabled by an admin: their stream ends at once (disabled); the admin\'s stays', async () => {
      const p = await person();
      const [theirs, admins] = [await stream(p.client), await stream(d.admin)];
      expect((await d.admin.req('PATCH', `/api/users/${p.id}`, { disabled: true })).status).toBe(200);
      await expectEnded(theirs, { code: 'auth.session_expired', reason: 'disabled' });
      await expectOpen(admins);
    });

    it('signed out while viewing a conversation: colleagues see them leave it at once', async () => {
      const p = await person();
      const conv = (await d.admin.post('/api/ingest/messages', { channelAccountId: d.desk.accountId, messages: [mention({ text: '@AcmeCare where is my parcel?' })] })).json.outcomes[0].conversationId as number;
      const mine = await stream(p.client);
      expect((await p.client.post(`/api/conversations/${conv}/presence`, { state: 'viewing' })).status).toBe(204);
      expect((await d.admin.get(`/api/conversations/${conv}`)).json.presence).toEqual([expect.objectContaining({ userId: p.id })]);
      const watching = await stream(d.admin);
      expect((await p.client.post('/api/auth/logout')).status).toBe(204);
      await expectEnded(mine, { code: 'auth.session_expired', reason: 'signed-out' });
      await sleep(100);
      expect(watching.events().filter((e) => e.type === 'presence' && e.data.conversationId === conv).at(-1)?.data.users).toEqual([]);
      expect((await d.admin.get(`/api/conversations/${conv}`)).json.presence).toEqual([]);
      await expectOpen(watching);
    });

    it('a session that runs out before the next periodic check: its stream ends when it does', async () => {
      const p = await person();
      const mine = await stream(p.client);
      const colleague = await stream(d.admin);
      // the session runs out 300 ms from now (idle past its expiry)
      const db = d.desk.db.store.db;
      await db.updateTable('session').set({ expires_at: d.clock.now() + 300 }).where('user_id', '=', p.id).execute();
      // their streams are looked at (a change to the person: here, their capacity)
      expect((await d.admin.req('PATCH', `/api/users/${p.id}`, { capacity: 7 })).status).toBe(200);
      await sleep(100);
      expect(mine.ended()).toBe(false);
      d.clock.advance(400);
      await expectEnded(mine, { code: 'auth.session_expired', reason: 'expired' });
      await expectOpen(colleague);
    });
  });
}
