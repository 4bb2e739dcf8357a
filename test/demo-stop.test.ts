/**
 * Stopping a demo desk in its first seconds: Ctrl-C while the demo's weeks of history are still
 * being stored ends the process without waiting for the rest of them, and hands the history back
 * (due, unclaimed), so the next start finishes it at once — not after the minute a claim of a
 * dead process takes to go stale — with every history message stored once. A replay stopped
 * while it still reads the excerpt says nothing about having started.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParley } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { HISTORY_STALE_MS, HISTORY_SUFFIX, stopDemoHistory } from '../src/demo/history.js';
import { DemoReplay } from '../src/demo/replay.js';
import { DEMO_HISTORY_KEY, seedDemoIfEmpty } from '../src/demo/seed.js';
import { systemClock } from '../src/lib/clock.js';
import type { IngestQueue } from '../src/pipeline/queue.js';
import { openStore } from '../src/store/db.js';
import { freePort } from './setup/services.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-demo-stop-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(dataDir: string, port: number) {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json', PARLEY_DEMO_SPEED: '1', PARLEY_SECRET: 'demo-stop-test-secret-0123456789abcdef' };
  delete env.DATABASE_URL;
  delete env.PORT;
  const proc = spawn(process.execPath, ['bin/parley.js', 'start', '--port', String(port), '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, out: () => out, exited };
}

async function waitFor<T>(fn: () => T | null | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function readDb<T>(dataDir: string, fn: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(join(dataDir, 'parley.db'), { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The history these tests store: a week at a small rate (2 copies of the excerpt: 4,000 messages), seeded as the desk would seed it. */
const SMALL = { days: 7, messagesPerDay: 600 };
const HISTORY_MESSAGES = 4000;

async function seedSmall(dataDir: string): Promise<void> {
  const store = await openStore({ dataDir });
  try {
    expect(await seedDemoIfEmpty(store, Date.now(), { history: SMALL })).not.toBeNull();
  } finally {
    await store.close();
  }
}

const historyRecord = (dataDir: string) => readDb(dataDir, (db) => db.prepare('select value from kv where key = ?').get(DEMO_HISTORY_KEY) as { value: string } | undefined);
const historyMessages = (dataDir: string) => readDb(dataDir, (db) => db.prepare('select count(*) as n, count(distinct network_message_id) as ids from message where network_message_id like ?').get(`%${HISTORY_SUFFIX}`) as { n: number; ids: number });

describe('Ctrl-C on a demo desk in its first seconds', () => {
  it('stops without storing the rest of the history, which the next start finishes at once, each message once', async () => {
    const dataDir = join(dir, 'first-seconds');
    await seedSmall(dataDir);
    const first = start(dataDir, await freePort());
    try {
      // the login is printed as the history starts being stored (a few seconds of work)
      await waitFor(() => /Password\s+\S+/.test(first.out()), 90_000, 'the demo login');
      first.proc.kill('SIGINT');
      const exit = await first.exited;
      expect(exit, first.out()).toEqual({ code: 0, signal: null });
    } finally {
      if (first.proc.exitCode === null && first.proc.signalCode === null) first.proc.kill('SIGKILL');
    }
    expect(first.out()).not.toMatch(/demo history stored/);
    // handed back: due again, claimed by nobody, so the next desk need not wait for a stale claim
    const record = historyRecord(dataDir);
    expect(record, 'the history is still due').toBeDefined();
    expect(JSON.parse(record!.value)).toMatchObject({ due: true });
    expect(JSON.parse(record!.value).claimed).toBeUndefined();
    expect(historyMessages(dataDir).n).toBeLessThan(HISTORY_MESSAGES);

    const second = start(dataDir, await freePort());
    try {
      // well within the time after which a claim left by a stopped process may be taken over
      await waitFor(() => /demo history stored/.test(second.out()), HISTORY_STALE_MS / 2, 'the history finished by the next start');
      expect(historyRecord(dataDir)).toBeUndefined();
      expect(historyMessages(dataDir)).toEqual({ n: HISTORY_MESSAGES, ids: HISTORY_MESSAGES });
      second.proc.kill('SIGINT');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    } finally {
      if (second.proc.exitCode === null && second.proc.signalCode === null) second.proc.kill('SIGKILL');
    }
  }, 180_000);
});

describe('a stop asked for on a store', () => {
  it('stops the histories storing then, not one started on that store later', async () => {
    const dataDir = join(dir, 'later');
    await seedSmall(dataDir);
    const store = await openStore({ dataDir });
    stopDemoHistory(store); // nothing is being stored: nothing to stop
    const config = loadConfig({}, { port: 0, host: '127.0.0.1', demo: true, demoSpeed: 1, secret: 'demo-stop-test-secret-0123456789abcdef', logLevel: 'warn', dataDir });
    const parley = await createParley({ config, store, workers: false });
    try {
      await parley.listen();
      await parley.demo.history;
      expect(historyRecord(dataDir)).toBeUndefined();
      expect(historyMessages(dataDir)).toEqual({ n: HISTORY_MESSAGES, ids: HISTORY_MESSAGES });
    } finally {
      await parley.stop();
      await store.close();
    }
  }, 60_000);
});

describe('the demo replay stopped while it reads the excerpt', () => {
  it('does not say it started', async () => {
    const store = await openStore({ dataDir: join(dir, 'replay') });
    try {
      const said: string[] = [];
      const log = { info: (_o: unknown, m?: string) => void said.push(m ?? ''), warn: (_o: unknown, m?: string) => void said.push(m ?? '') };
      // nothing is ever submitted: the replay stops before its first batch
      const replay = new DemoReplay({ store, queue: {} as IngestQueue, clock: systemClock, brandId: 1, speed: 60, log });
      const done = replay.start();
      await replay.stop();
      await done;
      expect(said).not.toContain('demo replay started');
    } finally {
      await store.close();
    }
  });
});
