/**
 * A live-event client that stopped reading is dropped, and nobody else is: a raw TCP client
 * opens the stream and then never reads again (its socket paused, so the kernel's buffers
 * fill and the server's writes pile up in the process), while an ordinary client keeps
 * reading. Events are published until the server has more than its limit buffered for the
 * stalled one; then its connection is destroyed at once (not ended: ending would wait for it
 * to read what is buffered), the server's count of live clients drops by one, the ordinary
 * client receives every event, before and after, and the stalled one finds its stream cut
 * short when it reads again.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

/** An SSE stream read by fetch, counting bytes and remembering which `bulk` events arrived. */
async function reader(url: string, cookie: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${url}/api/events`, { headers: { cookie }, signal: ctrl.signal });
  expect(res.status).toBe(200);
  const r = res.body!.getReader();
  const dec = new TextDecoder();
  const seen = new Set<number>();
  let tail = '';
  let bytes = 0;
  let ended = false;
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await r.read();
        if (done) break;
        bytes += value.byteLength;
        tail += dec.decode(value, { stream: true });
        // keep only what may hold an unfinished marker
        for (const m of tail.matchAll(/"seq":(\d+)/g)) seen.add(Number(m[1]));
        tail = tail.slice(-64);
      }
    } catch {
      /* aborted */
    }
    ended = true;
  })();
  return { seen, bytes: () => bytes, ended: () => ended, close: () => ctrl.abort() };
}

/** A client that sends the request, reads the response head, and then stops reading. */
async function stalledClient(url: string, cookie: string): Promise<{ socket: Socket; head: string; closed: Promise<string> }> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`GET /api/events HTTP/1.1\r\nHost: ${u.host}\r\nCookie: ${cookie}\r\nAccept: text/event-stream\r\n\r\n`);
  const head = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('latin1');
      if (buf.includes(': connected')) {
        socket.off('data', onData);
        socket.pause();
        resolve(buf);
      }
    };
    socket.on('data', onData);
  });
  // how the stream ends, once the client reads again
  const closed = new Promise<string>((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    socket.once('close', () => resolve('close'));
  });
  return { socket, head, closed };
}

describe('a live-event client that stopped reading', () => {
  let desk: TestDesk;
  let admin: Client;
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
  });
  afterAll(async () => desk?.stop());

  const liveClients = async () => (await desk.parley.services.metrics.sseClients.get()).values[0]?.value ?? 0;

  it('is destroyed once too much is buffered for it, while the others keep receiving everything', async () => {
    const bus = desk.parley.services.bus;
    const good = await reader(desk.url, admin.cookie);
    const stalled = await stalledClient(desk.url, admin.cookie);
    expect(stalled.head).toMatch(/^HTTP\/1\.1 200/);
    const until = async (fn: () => boolean | Promise<boolean>, ms: number) => {
      const end = Date.now() + ms;
      while (!(await fn())) {
        if (Date.now() > end) return false;
        await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    };
    expect(await until(async () => (await liveClients()) === 2, 5000)).toBe(true);

    // 256 kB events, each one only once the reading client has it (so it never falls behind),
    // until the server gives up on the stalled one: at most 256 MB, far beyond any socket buffers
    const pad = 'x'.repeat(256 * 1024);
    let seq = 0;
    let dropped = false;
    while (seq < 1024 && !dropped) {
      bus.publish(desk.brandId, 'bulk', { seq: ++seq, pad });
      const s = seq;
      expect(await until(() => good.seen.has(s), 10_000)).toBe(true);
      dropped = (await liveClients()) === 1;
    }
    expect(dropped).toBe(true);
    const sentBeforeDrop = seq * pad.length;
    // more than the server's limit of 1 MB buffered in the process, plus what the kernels hold
    expect(sentBeforeDrop).toBeGreaterThan(1024 * 1024);

    // the others keep receiving: later events too, and nothing was skipped
    for (let i = 0; i < 3; i++) bus.publish(desk.brandId, 'bulk', { seq: ++seq, pad: 'after' });
    expect(await until(() => good.seen.has(seq), 5000)).toBe(true);
    expect([...good.seen].sort((a, b) => a - b)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    expect(good.ended()).toBe(false);
    expect(await liveClients()).toBe(1);

    // the stalled client, reading again, finds its stream cut short of what was published
    let received = 0;
    stalled.socket.on('data', (c: Buffer) => void (received += c.length));
    stalled.socket.resume();
    const how = await Promise.race([stalled.closed, new Promise<string>((r) => setTimeout(() => r('still open'), 10_000))]);
    expect(how).not.toBe('still open');
    expect(received).toBeLessThan(sentBeforeDrop);
    good.close();
  }, 120_000);
});
