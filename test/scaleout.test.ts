/**
 * Several Parley processes on one PostgreSQL: live events cross processes
 * (LISTEN/NOTIFY), and work claimed by one is never done twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createBrand, createChannelAccount, createUser } from '../src/commands/setup.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { Client, mention, PASSWORD } from './helpers/parley.js';
import { freePort } from './setup/services.js';

const procs: ChildProcess[] = [];
const dataDirs: string[] = [];
let db: TestDatabase | undefined;
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await db?.drop();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

function start(databaseUrl: string, port: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-so-'));
  dataDirs.push(dataDir);
  const proc = spawn(process.execPath, ['bin/parley.js', 'start', '--port', String(port), '--no-demo', '--database-url', databaseUrl, '--data-dir', dataDir], {
    env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', PARLEY_SECRET: 'scale-out-test-secret-0123456789abcdef' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  return { proc, output: () => out, url: `http://127.0.0.1:${port}` };
}

async function up(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) return;
    } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not start`);
}

it('an event ingested by one process reaches an SSE client of another; a reply is sent once', async () => {
  db = await createTestDatabase('postgres');
  const now = Date.now();
  const brandId = await createBrand(db.store.db, { slug: 'scale', name: 'Scale' }, now);
  const accountId = await createChannelAccount(db.store.db, { brandId, network: 'x', handle: 'ScaleCare', driver: 'demo' }, now);
  await createUser(db.store.db, { brandId, email: 'admin@scale.test', name: 'Admin', role: 'admin', password: PASSWORD }, now);
  await db.store.close();
  const a = start(db.databaseUrl!, await freePort());
  const b = start(db.databaseUrl!, await freePort());
  await Promise.all([up(a.url), up(b.url)]);
  const onA = await Client.signIn(a.url, 'admin@scale.test');
  const onB = await Client.signIn(b.url, 'admin@scale.test');

  const ctrl = new AbortController();
  const res = await fetch(`${b.url}/api/events`, { headers: { cookie: onB.cookie }, signal: ctrl.signal });
  const reader = res.body!.getReader();
  const m = mention({ text: 'cross-process hello' });
  const received = (async () => {
    const dec = new TextDecoder();
    let buf = '';
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      if (buf.includes(m.networkMessageId)) return true;
    }
    return false;
  })();
  await new Promise((r) => setTimeout(r, 300));
  const r = await onA.post('/api/ingest/messages', { channelAccountId: accountId, messages: [m] });
  expect(r.json.outcomes[0].status).toBe('stored');
  expect(await received).toBe(true);
  ctrl.abort();

  // Both processes run an outbox worker: the reply is still sent exactly once.
  const convId = r.json.outcomes[0].conversationId;
  const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => (i % 2 ? onA : onB).post(`/api/conversations/${convId}/replies`, { text: `Reply number ${i}, on its way.` })));
  expect(replies.map((x) => (x.status === 202 ? 202 : `${x.status} ${JSON.stringify(x.json)}`))).toEqual([202, 202, 202, 202, 202]);
  let sent: any[] = [];
  for (let i = 0; i < 100; i++) {
    const d = (await onA.get(`/api/conversations/${convId}`)).json;
    sent = d.messages.filter((x: any) => x.direction === 'outbound' && x.status === 'sent');
    if (sent.length === 5) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  expect(sent).toHaveLength(5);
  const audit = (await onA.get(`/api/conversations/${convId}`)).json.audit.filter((e: any) => e.action === 'reply.sent');
  expect(audit).toHaveLength(5);
  for (const p of [a, b]) {
    p.proc.kill('SIGTERM');
    await new Promise((res) => p.proc.once('exit', res));
    expect(p.output()).not.toMatch(/"level":50/);
  }
}, 60_000);
