/**
 * Live events cross processes again after PostgreSQL was unreachable for several seconds: the
 * LISTEN connection is re-established with back-off until it is back (it had been retried once,
 * a second after the loss, and then never again). The outage is made with a TCP relay between
 * the listening bridge and the real test PostgreSQL that is cut and later restored.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { EventBus } from '../src/events/bus.js';
import { PgEventBridge } from '../src/events/pgBridge.js';
import { createTestDatabase, type TestDatabase } from './db.js';

let db: TestDatabase | undefined;
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await db?.drop();
});

/** A relay to host:port that can be cut (every connection dropped, new ones refused) and restored. */
async function relay(host: string, port: number) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let listenPort = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((c) => {
        const up = connect(port, host);
        sockets.add(c).add(up);
        c.pipe(up).pipe(c);
        const drop = () => (c.destroy(), up.destroy());
        c.on('error', drop).on('close', drop);
        up.on('error', drop).on('close', drop);
      });
      server.listen(listenPort, '127.0.0.1', () => {
        listenPort = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return listenPort;
    },
    async cut() {
      const closed = new Promise<void>((r) => server!.close(() => r()));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    restore: open,
    async close() {
      const closed = new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

it('resumes carrying events between processes after an outage of several seconds', async () => {
  db = await createTestDatabase('postgres');
  const url = new URL(db.databaseUrl!);
  const r = await relay(url.hostname || '127.0.0.1', Number(url.port || 5432));
  cleanup.push(() => r.close());
  const viaRelay = new URL(db.databaseUrl!);
  viaRelay.hostname = '127.0.0.1';
  viaRelay.port = String(r.port);

  const busA = new EventBus();
  const busB = new EventBus();
  const a = new PgEventBridge(db.store, busA, db.databaseUrl!);
  const b = new PgEventBridge(db.store, busB, viaRelay.toString()); // B listens through the relay
  await a.start();
  await b.start();
  cleanup.push(() => a.stop(), () => b.stop());
  const got: unknown[] = [];
  busB.subscribe(7, (e) => void got.push(e.data));
  const crosses = async (n: number, ms: number) => {
    busA.publish(7, 'test', { n });
    for (let t = 0; t < ms / 50; t++) {
      if (got.some((d) => (d as { n: number }).n === n)) return true;
      await new Promise((res) => setTimeout(res, 50));
    }
    return false;
  };
  expect(await crosses(1, 5000)).toBe(true);
  await r.cut();
  await new Promise((res) => setTimeout(res, 300));
  expect((b as unknown as { listener: unknown }).listener).toBeNull();
  await new Promise((res) => setTimeout(res, 3500)); // longer than one retry
  await r.restore();
  let back = false;
  for (let i = 0; i < 30 && !back; i++) back = await crosses(100 + i, 500);
  expect(back).toBe(true);
  expect((b as unknown as { listener: unknown }).listener).not.toBeNull();
}, 40_000);
