/**
 * Scale-out on PostgreSQL when things go wrong between processes: the LISTEN connection of
 * one process is killed while another publishes (its clients are told to refetch), a channel
 * sync run that stalls past its lease while another process takes the account over (it writes
 * nothing when it resumes: no cursor moved back, no second poll), and an outbox worker that
 * stalls between its claim and its send while another worker sends the reply (it does not
 * send it again). Real PostgreSQL; the stalls are made by holding a network call (sync) or by
 * pausing a worker between its claim and its send, with hand-driven clocks for the leases.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChannelRegistry } from '../src/channels/registry.js';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import type { Capabilities, Channel, SendRequest, SendResult, SyncResult } from '../src/channels/types.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { EventBus, type LiveEvent } from '../src/events/bus.js';
import { PgEventBridge } from '../src/events/pgBridge.js';
import { ManualClock, systemClock, type Clock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { enqueue, OutboxWorker } from '../src/outbox/outbox.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import type { OutboxRow } from '../src/store/schema.js';
import { encodeText } from '../src/store/text.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { mention } from './helpers/parley.js';

let db: TestDatabase;
const cleanup: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  db = await createTestDatabase('postgres');
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await db?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(50)) if (await cond()) return true;
  return cond();
}

describe('live events across processes', () => {
  it("a process whose LISTEN connection was killed tells its clients to refetch once it listens again; events cross again", async () => {
    const busA = new EventBus();
    const busB = new EventBus();
    const a = new PgEventBridge(db.store, busA, db.databaseUrl!);
    const b = new PgEventBridge(db.store, busB, db.databaseUrl!);
    await a.start();
    await b.start();
    cleanup.push(() => a.stop(), () => b.stop());
    const got: LiveEvent[] = [];
    busB.subscribe(7, (e) => void got.push(e));
    const crossed = (n: number) => got.some((e) => (e.data as { n?: number }).n === n);

    busA.publish(7, 'test', { n: 1 });
    expect(await until(() => crossed(1), 5000)).toBe(true);

    // B's LISTEN connection is terminated by the server (as a failover or an admin would);
    // A publishes before B listens again: that NOTIFY never reaches B
    const pid = (b as unknown as { listener: pg.Client & { processID: number } }).listener.processID;
    const admin = new pg.Client({ connectionString: db.databaseUrl });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
    expect(await until(() => !b.connected, 3000)).toBe(true);
    busA.publish(7, 'test', { n: 2 });
    await sleep(200);
    expect(crossed(2)).toBe(false);

    // listening again: B's clients are told they may have missed something
    expect(await until(() => b.connected, 10_000)).toBe(true);
    expect(await until(() => got.some((e) => e.type === 'reset'), 3000)).toBe(true);
    busA.publish(7, 'test', { n: 3 });
    expect(await until(() => crossed(3), 5000)).toBe(true);
  }, 30_000);

  it('events a process could not relay (its NOTIFY failed) make the other processes reset once it can', async () => {
    const busA = new EventBus();
    const busB = new EventBus();
    const a = new PgEventBridge(db.store, busA, db.databaseUrl!);
    const b = new PgEventBridge(db.store, busB, db.databaseUrl!);
    await a.start();
    await b.start();
    cleanup.push(() => a.stop(), () => b.stop());
    const got: LiveEvent[] = [];
    busB.subscribe(8, (e) => void got.push(e));
    // A's pool fails one query (the database was restarting): the NOTIFY carrying n=1 is lost
    const pool = db.store.pgPool!;
    const query = pool.query.bind(pool);
    let failNext = true;
    (pool as unknown as { query: unknown }).query = (...args: unknown[]) => {
      if (failNext && String(args[0]).includes('pg_notify')) {
        failNext = false;
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      return (query as (...a: unknown[]) => unknown)(...args);
    };
    cleanup.push(() => void ((pool as unknown as { query: unknown }).query = query));
    busA.publish(8, 'test', { n: 1 });
    await sleep(300);
    expect(got.some((e) => (e.data as { n?: number }).n === 1)).toBe(false);
    busA.publish(8, 'test', { n: 2 });
    expect(await until(() => got.some((e) => (e.data as { n?: number }).n === 2), 5000)).toBe(true);
    expect(got.map((e) => e.type)).toContain('reset');
  }, 20_000);
});

const caps = Object.fromEntries(['publicReply', 'poll'].map((k) => [k, true])) as Capabilities;

async function account(slug: string) {
  const T = Date.UTC(2026, 11, 7, 10);
  const brandId = await createBrand(db.store.db, { slug, name: slug }, T);
  const accountId = await createChannelAccount(db.store.db, { brandId, network: 'x', handle: `${slug}Care`, driver: 'scripted' }, T);
  return { T, brandId, accountId };
}

describe('channel sync lease', () => {
  it('a run that stalls past its lease while another process takes the account writes nothing when it resumes, and polls no further', async () => {
    const { T, brandId, accountId } = await account('leasestall');
    const calls: string[] = [];
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    let first = true;
    const channel: Channel = {
      network: 'x',
      capabilities: caps,
      async sync(cursor): Promise<SyncResult> {
        calls.push(String(cursor));
        if (first) {
          first = false;
          await stalled; // process A pauses in the middle of its poll
          return { messages: [mention({ networkMessageId: 'stall-a', text: 'fetched by the stalled run' })], cursor: 'cursor-a', more: true };
        }
        return { messages: [mention({ networkMessageId: 'stall-b', text: 'fetched by the run that took over' })], cursor: 'cursor-b' };
      },
      async sendPublicReply(): Promise<SendResult> {
        throw new Error('not used');
      },
    };
    const clockA = new ManualClock(T);
    const clockB = new ManualClock(T);
    const registry = new ChannelRegistry(db.store, new SecretBox('scaleout-resilience-secret-0123456789'), { fetch: globalThis.fetch, now: () => clockA.now() });
    registry.register('scripted', () => channel);
    const bus = new EventBus();
    const worker = (clock: ManualClock, id: string) =>
      new ChannelSyncWorker({ store: db.store, bus, clock, registry, queue: new IngestQueue(new IngestPipeline({ store: db.store, bus, clock })), workerId: id, leaseMs: 1000 });
    const a = worker(clockA, 'sync-a');
    const b = worker(clockB, 'sync-b');

    const runA = a.runOnce();
    expect(await until(() => calls.length === 1, 5000)).toBe(true);
    // A's lease runs out; B takes the account, polls, stores and moves the cursor
    clockB.advance(5000);
    expect(await b.runOnce()).toEqual([accountId]);
    const afterB = await db.store.db.selectFrom('channel_account').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
    expect(afterB.cursor).toBe('cursor-b');
    // A resumes (its own clock barely moved)
    clockA.advance(10);
    release();
    await runA;
    const acc = await db.store.db.selectFrom('channel_account').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
    expect(acc.cursor).toBe('cursor-b'); // not moved back to the stalled run's position
    expect(calls).toHaveLength(2); // the stalled run did not go on to a next page
    const stored = await db.store.db.selectFrom('message').select('network_message_id').where('brand_id', '=', brandId).execute();
    expect(stored.map((m) => m.network_message_id)).toEqual(['stall-b']);
  }, 20_000);
});

/**
 * A scripted channel registered for the account's driver, a customer's mention stored through
 * the pipeline, and a public reply to it queued in the outbox: what each outbox test starts from.
 */
async function queuedReply(a: { T: number; brandId: number; accountId: number }, channel: Channel, clock: Clock, text: string) {
  const registry = new ChannelRegistry(db.store, new SecretBox('scaleout-resilience-secret-0123456789'), { fetch: globalThis.fetch, now: () => clock.now() });
  registry.register('scripted', () => channel);
  const bus = new EventBus();
  const [o] = await new IngestPipeline({ store: db.store, bus, clock }).ingest(a.brandId, [{ channelAccountId: a.accountId, message: mention({ createdAt: a.T }), source: 'network' }]);
  if (o?.status !== 'stored') throw new Error(`the mention was not stored: ${JSON.stringify(o)}`);
  const queued = await db.store.db.transaction().execute(async (trx) => {
    const t = encodeText(text);
    const m = await trx.insertInto('message').values({
      brand_id: a.brandId, conversation_id: o.conversationId, channel_account_id: a.accountId, network: 'x', network_message_id: null, direction: 'outbound', visibility: 'public',
      kind: 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: null, thread_root_network_id: null, reply_to_message_id: o.messageId,
      text: t.text, text_escaped: t.escaped, url: null, created_at: a.T, received_at: a.T, raw: null, status: 'queued', error: null, is_auto: 0, source: 'agent', idempotency_key: null,
    }).returningAll().executeTakeFirstOrThrow();
    return { outboxId: (await enqueue(trx, m, a.T)).id, messageId: m.id };
  });
  return { registry, bus, ...queued };
}

describe('outbox claim', () => {
  it('a worker that stalls between its claim and its send, while another worker sends the reply, does not send it again', async () => {
    const { T, brandId, accountId } = await account('outboxstall');
    const posted: string[] = [];
    const channel: Channel = {
      network: 'x',
      capabilities: caps,
      async sendPublicReply(req: SendRequest): Promise<SendResult> {
        posted.push(req.idempotencyKey);
        return { networkMessageId: `out-${posted.length}` };
      },
      async findSent(req: SendRequest): Promise<SendResult | null> {
        const i = posted.indexOf(req.idempotencyKey);
        return i < 0 ? null : { networkMessageId: `out-${i + 1}` };
      },
    };
    const clockA = new ManualClock(T);
    const clockB = new ManualClock(T);
    const { registry, bus, outboxId } = await queuedReply({ T, brandId, accountId }, channel, clockA, 'we are on it');
    const a = new OutboxWorker({ store: db.store, bus, clock: clockA, registry, workerId: 'outbox-a', lockMs: 1000 });
    const b = new OutboxWorker({ store: db.store, bus, clock: clockB, registry, workerId: 'outbox-b', lockMs: 1000 });
    type Claimed = OutboxRow & { ambiguous: boolean };
    const inside = a as unknown as { claim(n: number): Promise<Claimed[]>; process(r: Claimed): Promise<void> };
    // A claims the reply, then pauses before sending it
    const [row] = await inside.claim(20);
    expect(row?.id).toBe(outboxId);
    // its lock runs out: B takes the row as ambiguous, asks the network (nothing), sends it
    clockB.advance(5000);
    expect(await b.runOnce()).toBe(1);
    expect(posted).toHaveLength(1);
    // A resumes where it paused
    clockA.advance(10);
    await inside.process(row!);
    expect(posted).toHaveLength(1);
    const r = await db.store.db.selectFrom('outbox').selectAll().where('id', '=', outboxId).executeTakeFirstOrThrow();
    expect(r.status).toBe('sent');
    expect(r.network_message_id).toBe('out-1');
  }, 20_000);

  it('a worker killed in the middle of a send (the network took the post): the reply shows sending until its lock ends, then another worker finds the post and records it, never posting again', async () => {
    const { T, brandId, accountId } = await account('outboxkill');
    const posted: string[] = [];
    const channel: Channel = {
      network: 'x',
      capabilities: caps,
      async sendPublicReply(req: SendRequest): Promise<SendResult> {
        posted.push(req.idempotencyKey);
        if (posted.length === 1) return new Promise<never>(() => {}); // the process dies before the answer
        return { networkMessageId: `out-${posted.length}` };
      },
      async findSent(req: SendRequest): Promise<SendResult | null> {
        const i = posted.indexOf(req.idempotencyKey);
        return i < 0 ? null : { networkMessageId: `out-${i + 1}` };
      },
    };
    const clockA = new ManualClock(T);
    const clockB = new ManualClock(T);
    const { registry, bus, messageId } = await queuedReply({ T, brandId, accountId }, channel, clockA, 'a replacement is on its way');
    const a = new OutboxWorker({ store: db.store, bus, clock: clockA, registry, workerId: 'outbox-ka', lockMs: 1000 });
    const b = new OutboxWorker({ store: db.store, bus, clock: clockB, registry, workerId: 'outbox-kb', lockMs: 1000 });
    void a.runOnce(); // never returns: "killed" mid-send
    expect(await until(() => posted.length === 1, 5000)).toBe(true);
    const status = async () => (await db.store.db.selectFrom('message').select('status').where('id', '=', messageId).executeTakeFirstOrThrow()).status;
    expect(await status()).toBe('sending');
    expect(await b.runOnce()).toBe(0); // still locked by the dead worker
    clockB.advance(1001);
    expect(await b.runOnce()).toBe(1);
    expect(posted).toHaveLength(1);
    expect(await status()).toBe('sent');
  }, 20_000);
});

describe('clock skew between processes', () => {
  // Both workers run on the system clock, as in production; the second process's clock is
  // made to run ten minutes ahead. Leases are stamped and compared with the database's clock.
  const skewed = () => {
    const real = Date.now.bind(Date);
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => real() + 600_000);
    return () => spy.mockRestore();
  };

  it('a process whose clock runs ahead does not take an outbox claim that is still held', async () => {
    const { brandId, accountId } = await account('skewoutbox');
    const T = Date.now();
    const posted: string[] = [];
    const channel: Channel = {
      network: 'x',
      capabilities: caps,
      async sendPublicReply(req: SendRequest): Promise<SendResult> {
        posted.push(req.idempotencyKey);
        return { networkMessageId: `skew-${posted.length}` };
      },
      async findSent(): Promise<SendResult | null> {
        return null; // the held claim has not sent yet
      },
    };
    const { registry, bus } = await queuedReply({ T, brandId, accountId }, channel, systemClock, 'checking with the warehouse');
    const a = new OutboxWorker({ store: db.store, bus, clock: systemClock, registry, workerId: 'outbox-sa', lockMs: 60_000 });
    const b = new OutboxWorker({ store: db.store, bus, clock: systemClock, registry, workerId: 'outbox-sb', lockMs: 60_000 });
    type Claimed = OutboxRow & { ambiguous: boolean };
    const inside = a as unknown as { claim(n: number): Promise<Claimed[]>; process(r: Claimed): Promise<void> };
    const [row] = await inside.claim(20);
    expect(row).toBeDefined();
    const restore = skewed();
    try {
      expect(await b.runOnce()).toBe(0);
    } finally {
      restore();
    }
    await inside.process(row!);
    expect(posted).toHaveLength(1);
  }, 20_000);

  it('a process whose clock runs ahead does not take a sync lease that is still held', async () => {
    const { accountId } = await account('skewsync');
    // the accounts of the tests before are not this test's business
    await db.store.db.updateTable('channel_account').set({ status: 'disabled' }).where('id', '!=', accountId).execute();
    const calls: string[] = [];
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    const channel: Channel = {
      network: 'x',
      capabilities: caps,
      async sync(cursor): Promise<SyncResult> {
        calls.push(String(cursor));
        if (calls.length === 1) await stalled;
        return { messages: [], cursor: `c${calls.length}` };
      },
      async sendPublicReply(): Promise<SendResult> {
        throw new Error('not used');
      },
    };
    const registry = new ChannelRegistry(db.store, new SecretBox('scaleout-resilience-secret-0123456789'), { fetch: globalThis.fetch, now: () => Date.now() });
    registry.register('scripted', () => channel);
    const bus = new EventBus();
    const worker = (id: string) => new ChannelSyncWorker({ store: db.store, bus, clock: systemClock, registry, queue: new IngestQueue(new IngestPipeline({ store: db.store, bus, clock: systemClock })), workerId: id, leaseMs: 60_000 });
    const a = worker('sync-sa');
    const b = worker('sync-sb');
    const runA = a.runOnce();
    expect(await until(() => calls.length === 1, 5000)).toBe(true);
    const restore = skewed();
    try {
      expect(await b.runOnce()).not.toContain(accountId);
    } finally {
      restore();
    }
    release();
    expect(await runA).toEqual([accountId]);
    expect(calls).toHaveLength(1);
  }, 20_000);
});
