/**
 * The first run: the demo admin's login is printed once, and only by a desk that is
 * listening. A start on a busy port says so in one line (mentioning --port) and exits 1,
 * and the next start on a free port still prints the login; the one after does not.
 * A seed whose login was never shown (the process died first) is shown by the next desk
 * that listens, with a password generated then. Several processes starting together on an
 * empty PostgreSQL seed once, without a crash, and only one prints the login.
 * `parley demo` stores through the desk's own pipeline (triage, routing, SLA) and, on
 * PostgreSQL, its live events reach a running desk.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createParley } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { claimDemoLogin, DEMO_ADMIN_EMAIL, DEMO_SLUG, seedDemoIfEmpty } from '../src/demo/seed.js';
import type { LiveEvent } from '../src/events/bus.js';
import { verifyPassword } from '../src/lib/password.js';
import { openStore } from '../src/store/db.js';
import { createTestDatabase, describeEachStore, type TestDatabase } from './db.js';
import { freePort } from './setup/services.js';

let dir: string;
const procs: ChildProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-first-run-'));
});
afterEach(async () => {
  for (const p of procs.splice(0)) await stopProcess(p);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // no demo history (its week is tested in test/demo-history.test.ts and test/demo-stop.test.ts): these test the first start
  const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', PARLEY_DEMO_SPEED: '1', PARLEY_DEMO_HISTORY_DAYS: '0', PARLEY_SECRET: 'first-run-test-secret-0123456789abcdef', ...extra };
  delete e.DATABASE_URL;
  delete e.PORT;
  return e;
}

function start(args: string[]) {
  const proc = spawn(process.execPath, ['bin/parley.js', 'start', ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, out: () => out, err: () => err, exited };
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(timer);
}

async function waitFor<T>(fn: () => Promise<T | null | undefined> | T | null | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function signIn(port: number, email: string, password: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return res.status;
}

/** A port something else listens on. */
async function busyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('the first start, on SQLite', () => {
  it('on a busy port: one line naming --port, exit 1; the next start on a free port prints the login, which works; the one after does not', async () => {
    const dataDir = join(dir, 'busy');
    const { port: taken, server } = await busyPort();
    try {
      const first = start(['--port', String(taken), '--data-dir', dataDir]);
      expect(await first.exited).toBe(1);
      const lines = first.err().trimEnd().split('\n');
      expect(lines, first.err()).toHaveLength(1);
      expect(lines[0]).toMatch(/^parley start: cannot listen on 127\.0\.0\.1 port \d+: it is already in use.*--port/);
      expect(first.err()).not.toMatch(/^\s+at /m);
      expect(first.out()).not.toMatch(/Password/);
    } finally {
      server.close();
    }

    const port = await freePort();
    const second = start(['--port', String(port), '--data-dir', dataDir]);
    const password = await waitFor(() => /Password\s+(\S+)/.exec(second.out())?.[1], 90_000, 'the demo login');
    expect(second.out()).toContain(`Sign in as ${DEMO_ADMIN_EMAIL}`);
    expect(second.out()).toMatch(/parley user add --role admin/);
    expect(await signIn(port, DEMO_ADMIN_EMAIL, password)).toBe(200);
    expect(await signIn(port, 'ana@demo.parley.local', password)).toBe(200);
    await stopProcess(second.proc);

    // stored only as a hash
    const db = new BetterSqlite3(join(dataDir, 'parley.db'), { readonly: true });
    try {
      const hashes = db.prepare('select password_hash from app_user').all() as { password_hash: string | null }[];
      expect(hashes).toHaveLength(5);
      for (const h of hashes) expect(h.password_hash).not.toContain(password);
      expect(db.prepare(`select count(*) as n from kv where key = 'demo.login'`).get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }

    // a port of its own: the second's may have been handed to another test's server meanwhile
    const thirdPort = await freePort();
    const third = start(['--port', String(thirdPort), '--data-dir', dataDir]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${thirdPort}/api/health`)).ok, 90_000, 'the third start');
    await new Promise((r) => setTimeout(r, 500));
    expect(third.out()).not.toMatch(/Password/);
    expect(await signIn(thirdPort, DEMO_ADMIN_EMAIL, password)).toBe(200);
  }, 240_000);

  it('a seed whose login was never shown (the process died first) is shown by the next desk that listens', async () => {
    const dataDir = join(dir, 'died');
    const store = await openStore({ dataDir });
    expect(await seedDemoIfEmpty(store, Date.now())).not.toBeNull();
    await store.close();
    const port = await freePort();
    const desk = start(['--port', String(port), '--data-dir', dataDir]);
    const password = await waitFor(() => /Password\s+(\S+)/.exec(desk.out())?.[1], 90_000, 'the demo login');
    expect(await signIn(port, DEMO_ADMIN_EMAIL, password)).toBe(200);
  }, 180_000);
});

describeEachStore('seeding the demo and showing its login', (get) => {
  it('seeds people without a password; the login is generated when claimed, once', async () => {
    const { store } = get();
    const seeded = await seedDemoIfEmpty(store, Date.now());
    expect(seeded).toMatchObject({ adminEmail: DEMO_ADMIN_EMAIL });
    expect(await seedDemoIfEmpty(store, Date.now())).toBeNull();
    const people = await store.db.selectFrom('app_user').select(['email', 'password_hash']).execute();
    expect(people).toHaveLength(5);
    expect(people.every((p) => p.password_hash === null)).toBe(true);

    const login = await claimDemoLogin(store);
    expect(login?.email).toBe(DEMO_ADMIN_EMAIL);
    const hashes = await store.db.selectFrom('app_user').select(['email', 'password_hash']).execute();
    for (const h of hashes) expect(await verifyPassword(login!.password, h.password_hash), h.email).toBe(true);
    expect(await claimDemoLogin(store)).toBeNull();
  });

  it('publishes the demo brand\'s community guidelines, so a lead can moderate by the rules at once', async () => {
    const { store } = get();
    await seedDemoIfEmpty(store, Date.now()); // seeded by the test before, or now when run alone
    const brand = await store.db.selectFrom('brand').select('id').where('slug', '=', DEMO_SLUG).executeTakeFirstOrThrow();
    const rules = await store.db.selectFrom('community_guideline').select(['code', 'allowed_actions', 'retired_at']).where('brand_id', '=', brand.id).orderBy('code').execute();
    expect(rules.map((r) => [r.code, JSON.parse(r.allowed_actions as string), r.retired_at])).toEqual([
      ['harassment', ['hide', 'block', 'mute'], null],
      ['personal-data', ['hide', 'delete'], null],
      ['spam', ['hide', 'delete', 'block', 'mute'], null],
    ]);
  });
});

describe('several processes on an empty PostgreSQL', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
  });
  afterAll(() => t.drop());

  it('seed once, without an error, and only one of them gets the login', async () => {
    const stores = [t.store, ...(await Promise.all([1, 2, 3].map(() => openStore({ databaseUrl: t.databaseUrl! }))))];
    try {
      const seeds = await Promise.all(stores.map((s) => seedDemoIfEmpty(s, Date.now())));
      expect(seeds.filter(Boolean)).toHaveLength(1);
      expect(await t.store.db.selectFrom('brand').select('id').execute()).toHaveLength(1);
      const logins = await Promise.all(stores.map((s) => claimDemoLogin(s)));
      expect(logins.filter(Boolean)).toHaveLength(1);
    } finally {
      for (const s of stores.slice(1)) await s.close();
    }
  });
});

describe('two `parley start` at once on an empty PostgreSQL', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    await t.store.close();
  });
  afterAll(() => t.drop());

  it('both run, neither crashes on the brand slug, and one prints the login', async () => {
    // each takes a port of its own choosing (--port 0) and says which: two ports picked here
    // beforehand could be taken by another test's server before the desks bind them
    const desks = [0, 1].map(() => start(['--port', '0', '--log-level', 'info', '--database-url', t.databaseUrl!, '--data-dir', mkdtempSync(join(dir, 'pg-desk-'))]));
    const ports = await Promise.all(desks.map((d) => waitFor(() => Number(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(d.out())?.[1] ?? 0), 90_000, 'a desk saying where it listens')));
    for (const port of ports) await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok, 90_000, `the desk on ${port}`);
    await waitFor(() => desks.some((d) => /Password\s+\S+/.test(d.out())), 30_000, 'a login');
    await new Promise((r) => setTimeout(r, 1000));
    for (const d of desks) {
      expect(d.proc.exitCode, d.err()).toBeNull();
      expect(d.err()).not.toMatch(/duplicate key|brand_slug_key/);
    }
    expect(desks.filter((d) => /Password\s+\S+/.test(d.out()))).toHaveLength(1);
  }, 180_000);
});

describe('parley demo beside a desk', () => {
  it('on SQLite: stores through triage, routing and SLA clocks, and says the desk shows it after a refresh', () => {
    const dataDir = join(dir, 'demo-sqlite');
    const r = spawnSync(process.execPath, ['bin/parley.js', 'demo', '--once', '--speed', '1000000', '--data-dir', dataDir], { encoding: 'utf8', env: env(), timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sign in as admin@demo\.parley\.local \/ \S+/);
    const db = new BetterSqlite3(join(dataDir, 'parley.db'), { readonly: true });
    try {
      const c = db.prepare('select count(*) as n, count(triage_action) as triaged, count(team_id) as routed, count(assignee_id) as assigned from conversation').get() as Record<string, number>;
      expect(c.n).toBeGreaterThan(100);
      expect(c.triaged).toBeGreaterThan(c.n * 0.9);
      expect(c.routed).toBeGreaterThan(c.n * 0.9);
      expect(c.assigned).toBeGreaterThan(0);
      // SLA clocks ran (met by the brand's recorded replies); the replay then wrapped its threads up
      // as the brand's team did, through the desk's own status command (so the clocks stopped too)
      expect((db.prepare(`select count(*) as n from reporting_fact where kind = 'sla_met'`).get() as { n: number }).n).toBeGreaterThan(100);
      expect((db.prepare(`select count(*) as n from audit_event where action = 'conversation.status' and actor = 'system:demo-replay'`).get() as { n: number }).n).toBeGreaterThan(100);
      const stillTimed = db.prepare(`select count(*) as n from job j join conversation c on j.key = 'sla:' || c.id where c.status = 'resolved'`).get() as { n: number };
      expect(stillTimed.n).toBe(0);
    } finally {
      db.close();
    }
    expect(r.stderr).toMatch(/shows the new conversations when its page is refreshed/);
  }, 150_000);

  it('on PostgreSQL: its live events reach a running desk', async () => {
    const t = await createTestDatabase('postgres');
    const dataDir = mkdtempSync(join(dir, 'demo-pg-'));
    const config = loadConfig({}, { port: 0, host: '127.0.0.1', demo: false, logLevel: 'warn', dataDir, databaseUrl: t.databaseUrl });
    const desk = await createParley({ config, workers: false });
    try {
      await desk.listen();
      const seen: LiveEvent[] = [];
      const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(process.execPath, ['bin/parley.js', 'demo', '--once', '--speed', '1000000', '--database-url', t.databaseUrl!, '--data-dir', dataDir], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
        procs.push(p);
        let err = '';
        p.stderr!.on('data', (c) => (err += c));
        // the demo brand exists once the demo has seeded it: listen to it on the desk from then on
        let subscribed = false;
        const poll = setInterval(async () => {
          const brand = await t.store.db.selectFrom('brand').select('id').executeTakeFirst().catch(() => undefined);
          if (brand && !subscribed) {
            subscribed = true;
            clearInterval(poll);
            desk.services.bus.subscribe(brand.id, (e) => seen.push(e));
          }
        }, 20);
        p.once('exit', (code) => {
          clearInterval(poll);
          resolve({ code, err });
        });
      });
      expect(r.code, r.err).toBe(0);
      await waitFor(() => seen.some((e) => e.type === 'message.created'), 10_000, 'a live event from the demo');
      const c = await t.store.db.selectFrom('conversation').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('triage_action').as('triaged'), eb.fn.count<number>('team_id').as('routed')]).executeTakeFirstOrThrow();
      expect(Number(c.triaged)).toBeGreaterThan(Number(c.n) * 0.9);
      expect(Number(c.routed)).toBeGreaterThan(Number(c.n) * 0.9);
      expect(r.err).toMatch(/desks on this PostgreSQL database show it live/);
    } finally {
      await desk.stop();
      await t.drop();
    }
  }, 150_000);
});
