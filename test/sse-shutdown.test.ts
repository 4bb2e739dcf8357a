/**
 * Live event streams and shutdown: stopping the server ends every open stream at once (the
 * process exits and browsers reconnect to the next one, instead of staying attached to a
 * process that no longer listens), streams say they are alive with a `ping` event that a
 * browser can see, and a client opening a new stream itself resumes with `?lastEventId=`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sse } from '../src/server/routes/events.js';
import { Client, mention, openEventStream, startDesk } from './helpers/parley.js';
import { freePort } from './setup/services.js';

/** An open SSE stream of a session. */
const openStream = (url: string, cookie: string, path?: string) => openEventStream(url, { cookie }, path);

const until = async (fn: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
};

describe('live event streams', () => {
  it('say they are alive with a ping event that gives its period (not a comment, which EventSource never shows)', async () => {
    expect(sse.pingMs).toBe(15_000);
    const desk = await startDesk('sqlite');
    sse.pingMs = 300;
    try {
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      const s = await openStream(desk.url, admin.cookie);
      expect(await until(() => (s.text().match(/event: ping\ndata: \{"every":300\}\n\n/g) ?? []).length >= 2, 3000)).toBe(true);
      expect(s.text()).not.toMatch(/^: ping/m);
      s.close();
    } finally {
      sse.pingMs = 15_000;
      await desk.stop();
    }
  });

  it('resume from ?lastEventId= (a client that opens a new stream itself cannot set the header)', async () => {
    const desk = await startDesk('sqlite');
    try {
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      const first = await openStream(desk.url, admin.cookie);
      const m1 = mention({ text: '@AcmeCare first, seen live' });
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m1] });
      expect(await until(() => first.text().includes(m1.networkMessageId), 5000)).toBe(true);
      const lastId = [...first.text().matchAll(/^id: (\d+)$/gm)].map((x) => x[1]!).pop()!;
      first.close();
      // missed while no stream was open
      const m2 = mention({ text: '@AcmeCare second, missed' });
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m2] });
      const again = await openStream(desk.url, admin.cookie, `/api/events?lastEventId=${lastId}`);
      expect(await until(() => again.text().includes(m2.networkMessageId), 3000)).toBe(true);
      expect(again.text()).not.toContain(m1.networkMessageId);
      again.close();
      // an id from before this process started: refetch everything
      const stale = await openStream(desk.url, admin.cookie, '/api/events?lastEventId=12345');
      expect(await until(() => stale.text().includes('event: reset'), 3000)).toBe(true);
      stale.close();
    } finally {
      await desk.stop();
    }
  });

  it('end at once when the server stops, so stopping does not wait for the browsers', async () => {
    const desk = await startDesk('sqlite');
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const streams = await Promise.all([openStream(desk.url, admin.cookie), openStream(desk.url, admin.cookie), openStream(desk.url, admin.cookie)]);
    for (const s of streams) expect(await until(() => s.text().includes(': connected'), 3000)).toBe(true);
    const t0 = Date.now();
    const stopped = await Promise.race([desk.parley.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 8000))]);
    expect(stopped).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    for (const s of streams) expect(await s.endedWithin(2000)).toBe(true);
    // nothing listens any more
    await expect(fetch(`${desk.url}/api/health`)).rejects.toThrow();
    await desk.db.drop();
  });
});

describe('parley start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sse-'));
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits promptly on SIGTERM with a browser attached, and the stream ends (the browser reconnects elsewhere)', async () => {
    const port = await freePort();
    const proc = spawn(process.execPath, ['bin/parley.js', 'start', '--port', String(port), '--data-dir', dir, '--demo-speed', '1'], { env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', PARLEY_DEMO_HISTORY_DAYS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(proc);
    let out = '';
    proc.stdout!.on('data', (c) => (out += c));
    proc.stderr!.on('data', (c) => (out += c));
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((r) => proc.once('exit', (code) => ((exitCode = code), r())));
    expect(await until(() => /Password\s+(\S+)/.test(out), 60_000)).toBe(true);
    const password = /Password\s+(\S+)/.exec(out)![1]!;
    const url = `http://127.0.0.1:${port}`;
    const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@demo.parley.local', password }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const stream = await openStream(url, cookie);
    expect(await until(() => stream.text().includes(': connected'), 5000)).toBe(true);
    const t0 = Date.now();
    proc.kill('SIGTERM');
    const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    expect(gone, `still running 15 s after SIGTERM:\n${out}`).toBe(true);
    expect(exitCode).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await stream.endedWithin(1000)).toBe(true);
    expect(out).not.toMatch(/"level":50/);
  }, 120_000);
});
