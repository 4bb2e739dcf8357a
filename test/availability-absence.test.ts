/**
 * "Online" follows whether the desk is open, not only the sessions, on SQLite and PostgreSQL.
 * An open live-event stream marks its person seen; the housekeeping sets whoever is online but
 * unseen for the grace period (the browser closed without signing out) offline, audited and
 * announced as a sign-out is, and routing gives them no more work (what they already had stays
 * theirs). Opening the desk again brings them back online, but never overrides availability
 * someone chose (away, offline) or a sign-out. On PostgreSQL the streams are held by a second
 * process over the same database, and the sweep, in the first, sees them (SQLite is one process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParley, type Parley } from '../src/app.js';
import { ABSENCE_GRACE_MS } from '../src/commands/availability.js';
import { housekeeping } from '../src/jobs/housekeeping.js';
import { ManualClock } from '../src/lib/clock.js';
import { sse } from '../src/server/routes/events.js';
import { openStore, type Store } from '../src/store/db.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

/** A desk open in a browser: the live-event stream, read as text until closed. */
async function openDesk(url: string, client: Client) {
  const ctrl = new AbortController();
  const res = await fetch(`${url}/api/events`, { headers: { cookie: client.cookie }, signal: ctrl.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
    } catch {
      /* closed */
    }
  })();
  const events = () => text.split('\n\n').flatMap((block) => {
    const type = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    return type && data ? [{ type, data: JSON.parse(data) }] : [];
  });
  /** Whether the desk heard that this person's availability is now `availability`. */
  const heard = (userId: number, availability: string) => events().some((e) => e.type === 'user.updated' && e.data.id === userId && e.data.availability === availability);
  return { heard, close: () => ctrl.abort() };
}

async function until(what: string, fn: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const dialect of DIALECTS) {
  describe(`availability follows the open desk [${dialect}]`, () => {
    let desk: TestDesk;
    /** The process holding the agents' streams: on PostgreSQL a second one on the same database. */
    let other: Parley;
    let otherStore: Store | undefined;
    let otherUrl: string;
    let clock: ManualClock;
    let admin: Client;
    const seenMs = sse.seenMs;
    beforeAll(async () => {
      sse.seenMs = 50;
      clock = new ManualClock(Date.UTC(2026, 10, 17, 10));
      desk = await startDesk(dialect, { clock, workers: false });
      if (dialect === 'postgres') {
        otherStore = await openStore({ databaseUrl: desk.db.databaseUrl });
        other = await createParley({ config: { ...desk.parley.services.config, port: 0 }, store: otherStore, clock, workers: false });
        otherUrl = await other.listen();
      } else {
        other = desk.parley;
        otherUrl = desk.url;
      }
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // everything goes to the Care team's round robin (Ana, Ben, and Cleo who leads it)
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
    });
    afterAll(async () => {
      sse.seenMs = seenMs;
      if (otherStore) {
        await other?.stop();
        await otherStore.close();
      }
      await desk?.stop();
    });

    const db = () => desk.db.store.db;
    const user = (id: number) => db().selectFrom('app_user').select(['availability', 'absent_since', 'last_seen_at']).where('id', '=', id).executeTakeFirstOrThrow();
    const availability = async (id: number) => (await user(id)).availability;
    const seenNow = async (id: number) => Number((await user(id)).last_seen_at) === clock.now();
    const streams = async () => (await other.services.metrics.sseClients.get()).values[0]?.value ?? 0;
    /** The housekeeping job, run in the first process (as the one holding the sweep's lock). */
    const sweep = () => housekeeping({ store: desk.parley.services.store, bus: desk.parley.services.bus, afterAvailability: (b, u) => desk.parley.services.workflow.afterAvailability(b, u) }, clock.now());
    const ingest = async (text: string) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text, createdAt: clock.now() })] })).json.outcomes[0].conversationId as number;
    const assignee = async (id: number) => (await db().selectFrom('conversation').select('assignee_id').where('id', '=', id).executeTakeFirstOrThrow()).assignee_id;
    const assignedIn = async (label: string, n = 4) => {
      const out: (number | null)[] = [];
      for (let i = 0; i < n; i++) out.push(await assignee(await ingest(`@AcmeCare ${label} ${i}: where is my parcel?`)));
      return out;
    };
    const lastAvailabilityAudit = async (id: number) => {
      const e = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'user.availability').where('subject_id', '=', String(id)).orderBy('id', 'desc').executeTakeFirstOrThrow();
      return { actor: e.actor, ...JSON.parse(e.data!) };
    };

    let ana: Client;
    let ben: Client;

    it('keeps an agent whose desk is open online across the sweep; sets one who closed it offline after the grace, audited and announced, and routes them no more work', async () => {
      ana = await Client.signIn(otherUrl, 'ana@acme.test');
      ben = await Client.signIn(otherUrl, 'ben@acme.test');
      const anaDesk = await openDesk(otherUrl, ana);
      const benDesk = await openDesk(otherUrl, ben);
      await until('both marked seen as their desks open', async () => (await seenNow(desk.users.ana)) && (await seenNow(desk.users.ben)));
      const watching = await openDesk(desk.url, admin);
      const bens = (await assignedIn('before')).filter((a) => a === desk.users.ben);
      expect(bens.length).toBeGreaterThan(0);
      const bensConversations = await db().selectFrom('conversation').select('id').where('assignee_id', '=', desk.users.ben).execute();

      const open = await streams();
      benDesk.close(); // the browser closed, without signing out
      await until('the server to see the stream close', async () => (await streams()) === open - 1);
      clock.advance(ABSENCE_GRACE_MS - 1000);
      await sweep();
      expect(await availability(desk.users.ben)).toBe('online'); // within the grace

      clock.advance(2000);
      // the process holding Ana's stream marks her seen (every sse.seenMs) at the new time
      await until('Ana marked seen by the heartbeat', () => seenNow(desk.users.ana));
      await sweep();
      expect(await availability(desk.users.ana)).toBe('online');
      expect(await user(desk.users.ben)).toMatchObject({ availability: 'offline', absent_since: clock.now() });
      expect(await lastAvailabilityAudit(desk.users.ben)).toEqual({ actor: 'system:presence', from: 'online', to: 'offline', reason: 'left the desk' });
      await until('the desk to hear of it', () => watching.heard(desk.users.ben, 'offline'));
      // what Ben had stays his (as on signing out); new work goes to whoever is at the desk
      for (const c of bensConversations) expect(await assignee(c.id)).toBe(desk.users.ben);
      expect(await assignedIn('after')).not.toContain(desk.users.ben);
      // another sweep changes nothing more
      await sweep();
      expect(await lastAvailabilityAudit(desk.users.ben)).toMatchObject({ to: 'offline' });
      watching.close();
      anaDesk.close();
      await until('streams closed', async () => (await streams()) === 0);
    });

    it('brings back online whoever the system set offline, when they open the desk again, and routes to them again', async () => {
      expect(await availability(desk.users.ben)).toBe('offline');
      clock.advance(60 * 60_000);
      const benDesk = await openDesk(otherUrl, ben);
      await until('Ben back online', async () => (await availability(desk.users.ben)) === 'online');
      expect((await user(desk.users.ben)).absent_since).toBeNull();
      expect(await lastAvailabilityAudit(desk.users.ben)).toEqual({ actor: 'system:presence', from: 'offline', to: 'online', reason: 'back at the desk' });
      // his own desk hears it (its header shows him online)
      await until('his desk to hear it', () => benDesk.heard(desk.users.ben, 'online'));
      expect(await assignedIn('back')).toContain(desk.users.ben);
      benDesk.close();
      await until('stream closed', async () => (await streams()) === 0);
    });

    it('never overrides availability someone chose: away stays away however long they are gone, and offline chosen while absent is kept when they come back', async () => {
      // Ana chooses away; both close their desks (Ben online)
      expect((await ana.req('PATCH', '/api/me', { availability: 'away' })).status).toBe(200);
      clock.advance(2 * ABSENCE_GRACE_MS);
      await sweep();
      expect(await availability(desk.users.ana)).toBe('away');
      expect(await user(desk.users.ben)).toMatchObject({ availability: 'offline', absent_since: clock.now() });
      // Ben, set offline by the system, chooses offline himself (from his phone, say) before he is back
      expect((await ben.req('PATCH', '/api/me', { availability: 'offline' })).status).toBe(200);
      expect((await user(desk.users.ben)).absent_since).toBeNull();
      const anaDesk = await openDesk(otherUrl, ana);
      const benDesk = await openDesk(otherUrl, ben);
      await until('both seen', async () => (await seenNow(desk.users.ana)) && (await seenNow(desk.users.ben)));
      expect(await availability(desk.users.ana)).toBe('away');
      expect(await availability(desk.users.ben)).toBe('offline');
      anaDesk.close();
      benDesk.close();
      await until('streams closed', async () => (await streams()) === 0);
    });

    it('keeps the offline an admin set while someone was absent when they come back', async () => {
      expect((await ben.req('PATCH', '/api/me', { availability: 'online' })).status).toBe(200);
      clock.advance(2 * ABSENCE_GRACE_MS);
      await sweep();
      expect(await user(desk.users.ben)).toMatchObject({ availability: 'offline', absent_since: clock.now() });
      // the admin sees he has gone for the day and sets him offline
      expect((await admin.req('PATCH', `/api/users/${desk.users.ben}`, { availability: 'offline' })).status).toBe(200);
      const benDesk = await openDesk(otherUrl, ben);
      await until('Ben seen', () => seenNow(desk.users.ben));
      expect(await availability(desk.users.ben)).toBe('offline');
      benDesk.close();
      await until('stream closed', async () => (await streams()) === 0);
    });

    it('treats signing out after an absence as any sign-out: not brought back online by the next sign-in', async () => {
      expect((await ben.req('PATCH', '/api/me', { availability: 'online' })).status).toBe(200);
      clock.advance(2 * ABSENCE_GRACE_MS);
      await sweep();
      expect(await user(desk.users.ben)).toMatchObject({ availability: 'offline', absent_since: clock.now() });
      expect((await ben.post('/api/auth/logout', {})).status).toBe(204);
      expect(await user(desk.users.ben)).toMatchObject({ availability: 'offline', absent_since: null });
      ben = await Client.signIn(otherUrl, 'ben@acme.test');
      const benDesk = await openDesk(otherUrl, ben);
      await until('Ben seen', () => seenNow(desk.users.ben));
      expect(await availability(desk.users.ben)).toBe('offline');
      benDesk.close();
    });

    it('leaves people who were never seen (seeded, the demo) as they are', async () => {
      clock.advance(24 * 3600_000);
      await sweep();
      expect(await user(desk.users.approver)).toMatchObject({ availability: 'online', last_seen_at: null });
    });
  });
}
