/**
 * Sign-in limits in the database, shared by every process on it (src/server/auth.ts, LoginGuard
 * over SignInLimits), on real SQLite and PostgreSQL: LoginGuard's documented semantics (per address,
 * per account from one address, per account from anywhere except where the person signs in;
 * counted when an attempt starts; a success taken back and its address remembered); attempts sent at
 * once bounded like attempts sent one by one, through two stores on one PostgreSQL too; no email or
 * address kept in clear; expired rows pruned and the table bounded; and over HTTP, two Parley
 * instances on one database share the limit, and a restarted one still knows it.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParley, type Parley } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ManualClock } from '../src/lib/clock.js';
import { openStore, type Store } from '../src/store/db.js';
import { LoginGuard, SignInLimits } from '../src/server/auth.js';
import { DIALECTS, describeEachStore } from './db.js';
import { Client, PASSWORD, startDesk, type TestDesk } from './helpers/parley.js';

const T = Date.UTC(2026, 11, 5, 9);
let secrets = 0;
/** A fresh instance secret's keys: each test's counters are its own. */
const keys = () => {
  const root = `test-secret-${++secrets}`;
  return (purpose: string) => createHmac('sha256', root).update(purpose).digest();
};

describeEachStore('LoginGuard in the database', (get) => {
  const guard = () => new LoginGuard(get().store, keys());
  /** n attempts that all fail (none is taken back). */
  const fail = async (g: LoginGuard, email: string, ip: string, n: number, at = T) => {
    for (let i = 0; i < n; i++) expect(await g.attempt(email, ip, at + i)).toBe(0);
  };

  it('stops guessing at one account from one address after 10 failures', async () => {
    const g = guard();
    await fail(g, 'ana@acme.test', '203.0.113.9', 10);
    expect(await g.attempt('ana@acme.test', '203.0.113.9', T + 20)).toBeGreaterThan(0);
  });

  it('counts an attempt when it starts: attempts in flight at once are bounded the same way', async () => {
    const g = guard();
    const admitted = (await Promise.all(Array.from({ length: 200 }, () => g.attempt('ben@acme.test', '203.0.113.9', T)))).filter((w) => w === 0);
    expect(admitted).toHaveLength(10);
  });

  it('takes a successful attempt back, so signing in does not use up the allowance', async () => {
    const g = guard();
    for (let i = 0; i < 40; i++) {
      expect(await g.attempt('ana@acme.test', '192.0.2.1', T + i)).toBe(0);
      await g.succeeded('ana@acme.test', '192.0.2.1', T + i);
    }
    expect(await g.attempt('cleo@acme.test', '192.0.2.1', T + 50)).toBe(0);
  });

  it('takes an excused attempt back without forgetting the failures before it', async () => {
    const g = guard();
    await fail(g, 'ana@acme.test', '203.0.113.9', 9);
    expect(await g.attempt('ana@acme.test', '203.0.113.9', T + 30)).toBe(0);
    await g.excused('ana@acme.test', '203.0.113.9', T + 30);
    expect(await g.attempt('ana@acme.test', '203.0.113.9', T + 31)).toBe(0);
    expect(await g.attempt('ana@acme.test', '203.0.113.9', T + 32)).toBeGreaterThan(0);
    expect(await g.isKnown('ana@acme.test', '203.0.113.9', T + 40)).toBe(false);
  });

  it('does not lock the person out from their own address because someone else failed under their name', async () => {
    const g = guard();
    await fail(g, 'ana@acme.test', '203.0.113.9', 10);
    expect(await g.attempt('ana@acme.test', '198.51.100.7', T + 20)).toBe(0);
  });

  it('bounds guessing from many addresses at 50 failures an account, except where that person signs in', async () => {
    const k = keys();
    const g = new LoginGuard(get().store, k);
    await g.attempt('ana@acme.test', '198.51.100.1', T - 1000);
    await g.succeeded('ana@acme.test', '198.51.100.1', T - 1000);
    for (let a = 0; a < 10; a++) await fail(g, 'ana@acme.test', `203.0.113.${a}`, 5);
    expect(await g.attempt('ana@acme.test', '198.51.100.7', T + 100)).toBeGreaterThan(0);
    // her own address (a success remembered, or a live session the caller found) still works
    expect(await g.attempt('ana@acme.test', '198.51.100.1', T + 100)).toBe(0);
    expect(await g.attempt('ana@acme.test', '198.51.100.8', T + 100, true)).toBe(0);
    // another guard on the same database and secret (another process) knows it too
    expect(await new LoginGuard(get().store, k).attempt('ana@acme.test', '198.51.100.1', T + 101)).toBe(0);
    // and the bound lifts after the window
    expect(await g.attempt('ana@acme.test', '198.51.100.7', T + 16 * 60_000)).toBe(0);
  });

  it('does not lock an office out behind one address for one person’s typos, and stops a spray from it', async () => {
    const g = guard();
    await fail(g, 'ben@acme.test', '192.0.2.1', 3);
    expect(await g.attempt('ana@acme.test', '192.0.2.1', T + 10)).toBe(0);
    for (let i = 0; i < 30; i++) await g.attempt(`x${i}@acme.test`, '192.0.2.1', T + 10 + i);
    expect(await g.attempt('ana@acme.test', '192.0.2.1', T + 100)).toBeGreaterThan(0);
  });

  it('clears an account’s count from an address on success there', async () => {
    const g = guard();
    await fail(g, 'ana@acme.test', '203.0.113.9', 9);
    expect(await g.attempt('ana@acme.test', '203.0.113.9', T + 40)).toBe(0);
    await g.succeeded('ana@acme.test', '203.0.113.9', T + 40);
    await fail(g, 'ana@acme.test', '203.0.113.9', 9, T + 50);
    expect(await g.attempt('ana@acme.test', '203.0.113.9', T + 60)).toBe(0);
  });

  it('answers the seconds until the oldest counted attempt leaves the window', async () => {
    const g = guard();
    await fail(g, 'dan@acme.test', '203.0.113.50', 10);
    expect(await g.attempt('dan@acme.test', '203.0.113.50', T + 5 * 60_000)).toBe(600);
  });

  it('keeps no email or address in clear, and prunes what has left its window', async () => {
    const g = guard();
    await fail(g, 'secret.person@acme.test', '203.0.113.77', 3, T + 3_600_000);
    await g.succeeded('secret.person@acme.test', '203.0.113.77', T + 3_600_000 + 2);
    const db = get().store.db as any;
    const rows = [...(await db.selectFrom('sign_in_attempt').selectAll().execute()), ...(await db.selectFrom('sign_in_known').selectAll().execute())];
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toMatch(/secret\.person|acme|203\.0\.113/);
    // an attempt a day later: every expired row goes
    await g.attempt('eve@acme.test', '192.0.2.200', T + 86_400_000);
    const left = await db.selectFrom('sign_in_attempt').select('expires_at').execute();
    expect(left.every((r: { expires_at: number | string }) => Number(r.expires_at) > T + 86_400_000)).toBe(true);
  });

  it('keeps the table bounded under a flood of distinct addresses (the oldest counts go)', async () => {
    const limits = new SignInLimits(get().store, keys(), 60);
    const limit = { name: 'flood', max: 5, windowMs: 3_600_000 };
    const at = T + 2 * 86_400_000;
    for (let i = 0; i < 100; i++) expect(await limits.attempt([{ limit, subject: `2001:db8::${i}` }], at)).toBe(0);
    const { n } = await (get().store.db as any).selectFrom('sign_in_attempt').select((e: any) => e.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(n)).toBeLessThanOrEqual(60);
  });
});


describe('attempts sent at once to two processes on one PostgreSQL', () => {
  let desk: TestDesk;
  let second: Store;
  beforeAll(async () => {
    desk = await startDesk('postgres', { workers: false });
    second = await openStore({ databaseUrl: desk.db.databaseUrl! });
  });
  afterAll(async () => {
    await second?.close();
    await desk?.stop();
  });

  it('are bounded like attempts sent one by one', async () => {
    const k = keys();
    const a = new LoginGuard(desk.db.store, k);
    const b = new LoginGuard(second, k);
    const waits = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 ? a : b).attempt('ana@acme.test', '203.0.113.9', T)));
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
    // and the per-address bound over many accounts
    const spray = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).attempt(`x${i}@acme.test`, '203.0.113.10', T)));
    expect(spray.filter((w) => w === 0)).toHaveLength(30);
  });
});

for (const dialect of DIALECTS) {
  describe(`two Parley instances on one database share the sign-in limits [${dialect}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 10, 0, 10));
    const config = { trustProxy: 'true', secret: 'a-shared-instance-secret-of-at-least-32-chars' };
    let desk: TestDesk;
    let other: { parley: Parley; store: Store; url: string } | undefined;

    async function startOther() {
      const store = await openStore(desk.db.databaseUrl ? { databaseUrl: desk.db.databaseUrl } : { sqliteFile: desk.db.sqliteFile! });
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-data-'));
      const parley = await createParley({ config: loadConfig({}, { port: 0, host: '127.0.0.1', demo: false, logLevel: 'warn', dataDir, ...config }), store, clock, workers: false });
      return { parley, store, url: await parley.listen() };
    }
    async function stopOther() {
      await other?.parley.stop();
      await other?.store.close().catch(() => {});
      other = undefined;
    }
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock, workers: false, config });
      other = await startOther();
    });
    afterAll(async () => {
      await stopOther();
      await desk?.stop();
    });

    const signIn = (base: string, ip: string, password: string, email = 'ben@acme.test') =>
      fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ email, password }) }).then((r) => r.status);

    it('10 failures spread over both lock the 11th on either, and a restarted instance still knows them', async () => {
      const ip = '203.0.113.21';
      for (let i = 0; i < 10; i++) expect(await signIn(i % 2 ? desk.url : other!.url, ip, 'wrong')).toBe(401);
      expect(await signIn(desk.url, ip, PASSWORD)).toBe(429);
      expect(await signIn(other!.url, ip, PASSWORD)).toBe(429);
      await stopOther();
      other = await startOther();
      expect(await signIn(other.url, ip, PASSWORD)).toBe(429);
      // the window passes: the right password signs in again, on either
      clock.advance(15 * 60_000 + 1000);
      expect(await signIn(other.url, ip, PASSWORD)).toBe(200);
    });

    it('attempts sent at once over both are bounded like attempts sent one by one', async () => {
      const ip = '203.0.113.22';
      const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(i % 2 ? desk.url : other!.url, ip, 'wrong', 'cleo@acme.test')));
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    });

    it('confirming a change with one\'s password: the tries at every kind of change, over both instances, are one bound, and success starts afresh', async () => {
      const here = await Client.signIn(desk.url, 'ana@acme.test');
      // the same session through the other instance
      const there = Object.assign(new Client(other!.url), { cookie: here.cookie, csrf: here.csrf });
      const changes = [
        (c: Client, currentPassword: string) => c.post('/api/me/password', { currentPassword, newPassword: PASSWORD }),
        (c: Client, currentPassword: string) => c.post('/api/me/passkeys/options', { currentPassword }),
        (c: Client, currentPassword: string) => c.post('/api/me/two-factor/setup', { currentPassword }),
      ];
      for (let i = 0; i < 10; i++) expect((await changes[i % 3]!(i % 2 ? there : here, 'not the password')).json.code).toBe('auth.wrong_password');
      for (const change of changes) {
        expect((await change(here, PASSWORD)).status).toBe(429);
        expect((await change(there, PASSWORD)).status).toBe(429);
      }
      clock.advance(15 * 60_000 + 1000);
      expect((await changes[1]!(there, PASSWORD)).status).toBe(200);
      // the success cleared the count: nine more wrong tries still leave the right one through
      for (let i = 0; i < 9; i++) expect((await changes[i % 3]!(here, 'not the password')).json.code).toBe('auth.wrong_password');
      expect((await changes[1]!(here, PASSWORD)).status).toBe(200);
    });

    it('a password-reset link is guessed no faster over two instances than over one', async () => {
      const ip = '203.0.113.23';
      const lookup = (base: string) => fetch(`${base}/api/auth/password-reset/lookup`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ token: 'not-a-token' }) }).then((r) => r.status);
      for (let i = 0; i < 30; i++) expect(await lookup(i % 2 ? desk.url : other!.url)).toBe(404);
      expect(await lookup(desk.url)).toBe(429);
      expect(await lookup(other!.url)).toBe(429);
    });
  });
}
