/**
 * Kill -9 in the middle of the demo replay, restart, and check that every
 * message the server acknowledged (published live after commit) is still
 * there, nothing is doubled, and the replay completes the excerpt exactly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { readTwcs } from '../src/import/twcs.js';
import { DEMO_FILE } from '../src/demo/seed.js';
import { HISTORY_SUFFIX } from '../src/demo/history.js';
import { freePort } from './setup/services.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// no demo history (PARLEY_DEMO_HISTORY_DAYS=0): what is tested is the live replay's exactly-once storing, and a
// week of history (150,000 messages) would take the first minutes of the desk's start.
// 1,500× the recorded pace: the excerpt takes ~19 s, so a slow start (a loaded machine) still signs in
// and hears 150 messages while the replay is under way (at 4,000× it had at times finished by then)
function startServer(port: number): { proc: ChildProcess; output: () => string } {
  const proc = spawn(process.execPath, ['bin/parley.js', 'start', '--port', String(port), '--data-dir', dir, '--demo-speed', '1500'], { env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', PARLEY_DEMO_HISTORY_DAYS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  return { proc, output: () => out };
}

async function waitFor<T>(fn: () => Promise<T | null> | T | null, ms: number, what: string): Promise<T> {
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

it('loses no acknowledged message and doubles none across a SIGKILL mid-replay', async () => {
  const port = await freePort();
  const first = startServer(port);
  const password = await waitFor(() => /Password\s+(\S+)/.exec(first.output())?.[1] ?? null, 60_000, 'the demo login');
  const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@demo.parley.local', password }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

  // Listen to live events: each message.created was published after its transaction committed.
  const acknowledged = new Set<string>();
  const res = await fetch(`http://127.0.0.1:${port}/api/events`, { headers: { cookie } });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  while (acknowledged.size < 150) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    for (const m of buf.matchAll(/event: message\.created\ndata: (.*)\n/g)) {
      // the replay's messages (its first pass: no `~`), never the demo history's, were it stored meanwhile (ids ending in HISTORY_SUFFIX)
      const id: string = JSON.parse(m[1]!).networkMessageId;
      if (!id.endsWith(HISTORY_SUFFIX)) acknowledged.add(id);
    }
    buf = buf.slice(buf.lastIndexOf('\n\n') + 2);
  }
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));
  expect(acknowledged.size).toBeGreaterThanOrEqual(150);

  const expected: string[] = [];
  for await (const item of readTwcs(DEMO_FILE)) if (item.kind === 'tweet') expected.push(item.tweet.id);

  const db = new Database(join(dir, 'parley.db'), { readonly: true });
  const countPassZero = () => (db.prepare("select count(*) as n from message where network_message_id not like '%~%'").get() as { n: number }).n;
  const beforeRestart = countPassZero();
  expect(beforeRestart).toBeLessThan(expected.length); // we really did stop in the middle

  const second = startServer(port);
  await waitFor(() => countPassZero() >= expected.length || null, 120_000, 'the replay to finish the excerpt');
  const rows = db.prepare("select network_message_id as id from message where network_message_id not like '%~%'").all() as { id: string }[];
  const ids = rows.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length); // nothing doubled
  expect(ids.length).toBe(expected.length); // nothing lost
  const stored = new Set(ids);
  for (const id of acknowledged) expect(stored.has(id), id).toBe(true);
  expect(ids.every((id) => expected.includes(id))).toBe(true); // only the excerpt's tweets, each once
  db.close();
  second.proc.kill('SIGTERM');
  await new Promise((r) => second.proc.once('exit', r));
  expect(second.output()).not.toMatch(/"level":50/);
}, 240_000);
