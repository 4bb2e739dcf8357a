/**
 * Ingest throughput: the full pipeline from the bytes of X webhook deliveries
 * (signature check → parse → normalize → validate → dedupe → triage → thread →
 * persist → facts → publish → route/SLA) against the bare insert rate of the
 * same rows into the same database (SQLite: one prepared statement, batched in
 * transactions; PostgreSQL: COPY).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { createBrand, createChannelAccount, createTeam } from '../commands/setup.js';
import type { NormalizedMessage } from '../core/types.js';
import { EventBus } from '../events/bus.js';
import { TableJobs } from '../jobs/jobs.js';
import { systemClock } from '../lib/clock.js';
import { IngestPipeline, type TriageFn } from '../pipeline/ingest.js';
import { IngestQueue } from '../pipeline/queue.js';
import type { Store } from '../store/db.js';
import { encodeText } from '../store/text.js';
import { binaryFieldSize, writeBinaryField, type BinaryType } from '../store/util.js';
import { WorkflowSettingsStore } from '../workflow/settings.js';
import { Workflow } from '../workflow/workflow.js';
import { handleXWebhook, SIGNATURE_HEADER } from '../channels/x/webhook.js';
import { messageStream } from './data.js';
import { procCpuUs } from './stats.js';
import { benchBareAllRows, BINARY_HEADER, BINARY_TRAILER, markTables, type AllRowsResult } from './allRows.js';
import { formatStatementProfile, PG_PROFILE, startStatementProfile, statementProfile } from './pgProfile.js';
import { BENCH_X_ACCOUNT, BENCH_X_SECRET, xDeliveries, type XDelivery } from './deliveries.js';

export interface IngestBenchResult {
  msgs_per_s: number;
  bare_rows_per_s: number;
  ratio: number;
  n: number;
  events: number;
  /**
   * Where the CPU went, in µs a message over the measured pass (Linux /proc): the
   * pipeline's thread (this process's main thread), this process's other threads (the
   * triage worker, V8's garbage collection and compiler threads), and every PostgreSQL
   * process on the machine (its backends, WAL writer, autovacuum). Absent where /proc is.
   */
  cpu_us_per_msg?: { pipeline_thread: number; other_threads: number; postgres?: number };
  /**
   * A diagnostic second baseline (`allRows.ts`): every row the measured pass wrote, written
   * bare in as many transactions as it committed; `ratio` is the pipeline's rate against it.
   */
  all_rows: AllRowsResult & { batches: number; ratio: number };
}

async function setupBrand(store: Store, slug: string) {
  const now = Date.now();
  const brandId = await createBrand(store.db, { slug, name: slug }, now);
  const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'BenchCare', driver: 'demo' }, now);
  const teamId = await createTeam(store.db, { brandId, name: 'Care' }, now);
  await store.db.updateTable('brand').set({ settings: JSON.stringify({ workflow: { routing: { rules: [], defaultTeamId: String(teamId) } } }) }).where('id', '=', brandId).execute();
  return { brandId, accountId };
}

/** The full pipeline, fed through the same group-commit queue the HTTP edge uses. */
export async function benchPipeline(store: Store, n: number, triage: TriageFn | undefined): Promise<{ msgsPerS: number; events: number; brandId: number; batches: number }> {
  const { brandId, accountId } = await setupBrand(store, `bench-${Date.now()}`);
  const bus = new EventBus();
  let events = 0;
  bus.subscribe(brandId, () => void events++);
  const jobs = new TableJobs(store, systemClock);
  const settings = new WorkflowSettingsStore(store);
  const workflow = new Workflow({ store, bus, clock: systemClock, jobs, settings });
  const pipeline = new IngestPipeline({ store, bus, clock: systemClock, triage, businessSeconds: workflow.businessSeconds, workflow: process.env.BENCH_NO_WF ? undefined : workflow });
  let batches = 0;
  const queue = new IngestQueue(pipeline, { maxQueued: n + 1, maxBatch: Number(process.env.BENCH_MAX_BATCH ?? 1000), onFlush: () => void batches++ });
  const deliveries = benchDeliveries(n);
  const t0 = performance.now();
  // as a webhook server receives them: each delivery checked, parsed and normalized on
  // arrival and submitted to the group-commit queue, with up to WINDOW messages waiting
  const pending: { stored: Promise<unknown>; count: number }[] = [];
  let waiting = 0;
  for (const d of deliveries) {
    while (waiting >= WINDOW) {
      const oldest = pending.shift()!; // the queue stores in order: the oldest submission is the next to finish
      await oldest.stored;
      waiting -= oldest.count;
    }
    const { messages } = handleXWebhook(webhookRequest(d), BENCH_X_SECRET, BENCH_X_ACCOUNT, Date.now());
    pending.push({ stored: queue.submit(brandId, messages.map((message) => ({ channelAccountId: accountId, message, source: 'network' as const, origin: 'webhook:x' }))), count: messages.length });
    waiting += messages.length;
    // with a batch's worth queued, the next delivery is read in a later turn of the event loop, as
    // the HTTP edge reads requests: while a batch waits on the database (PostgreSQL), not all at
    // once between two batches
    if (queue.depth() >= YIELD_AT) await new Promise<void>((r) => setImmediate(r));
  }
  await Promise.all(pending.map((p) => p.stored));
  const s = (performance.now() - t0) / 1000;
  return { msgsPerS: n / s, events, brandId, batches };
}

/** Messages waiting in the queue beyond which the bench stops reading deliveries until a batch is taken. */
const WINDOW = 5_000;
/** Messages queued (a batch) beyond which the bench reads one delivery per turn of the event loop. */
const YIELD_AT = Number(process.env.BENCH_YIELD_AT ?? 1_000);

/** `n` messages of the stream as signed X webhook deliveries of 100 events. */
function benchDeliveries(n: number): XDelivery[] {
  return xDeliveries([...messageStream(n, { t0: Date.now() - n, rate: 1000 })]);
}

const webhookRequest = (d: XDelivery) => ({ method: 'POST', query: {}, headers: { [SIGNATURE_HEADER]: d.signature }, rawBody: d.body });

function bareRow(m: NormalizedMessage, brandId: number, conversationId: number, accountId: number, now: number): (string | number | null)[] {
  const t = encodeText(m.text);
  return [brandId, conversationId, accountId, m.network, m.networkMessageId, m.direction, m.visibility, m.kind, t.text, t.escaped, m.createdAt, now, JSON.stringify(m.raw), 'received', 0, 'network'];
}

const BARE_COLS = ['brand_id', 'conversation_id', 'channel_account_id', 'network', 'network_message_id', 'direction', 'visibility', 'kind', 'text', 'text_escaped', 'created_at', 'received_at', 'raw', 'status', 'is_auto', 'source'];
/** BARE_COLS' types, for binary COPY. */
const BARE_TYPES: BinaryType[] = ['bigint', 'bigint', 'bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'bigint', 'text', 'text', 'integer', 'text'];

/**
 * The bare insert rate of the same rows into the same database: the rows' values are
 * ready before the clock starts (the message normalized, its raw payload serialized),
 * and only the insert is timed.
 */
export async function benchBare(store: Store, n: number): Promise<number> {
  const { brandId, accountId } = await setupBrand(store, `bare-${Date.now()}`);
  const now = Date.now();
  const conv = await store.db.insertInto('conversation').values({ brand_id: brandId, channel_account_id: accountId, network: 'x', visibility: 'public', status: 'open', subject: 'bare', created_at: now, updated_at: now, last_message_at: now, cycle_started_at: now, reopened_count: 0, message_count: 0, version: 1, priority: 0 }).returning('id').executeTakeFirstOrThrow();
  // the same messages as the pipeline stores them: normalized from the same deliveries
  const rows = benchDeliveries(n).flatMap((d) => handleXWebhook(webhookRequest(d), BENCH_X_SECRET, BENCH_X_ACCOUNT, now).messages).map((m) => bareRow(m, brandId, conv.id, accountId, now));
  if (store.dialect === 'sqlite') {
    const db = store.sqlite!;
    const stmt = db.prepare(`insert into message (${BARE_COLS.join(',')}) values (${BARE_COLS.map(() => '?').join(',')})`);
    const batch = db.transaction((part: (typeof rows)[number][]) => {
      for (const r of part) stmt.run(r);
    });
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 1000) batch(rows.slice(i, i + 1000));
    return n / ((performance.now() - t0) / 1000);
  }
  // PostgreSQL: COPY in its binary format (nothing to escape or parse), 1,000 rows a transaction
  const client = await store.pgPool!.connect();
  try {
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 1000) {
      await client.query('begin');
      await streamPipeline(Readable.from([copyBinary(rows.slice(i, i + 1000))]), client.query(copyFrom(`COPY message (${BARE_COLS.join(',')}) FROM STDIN WITH (FORMAT binary)`)));
      await client.query('commit');
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    client.release();
  }
}

/** Rows in PostgreSQL's binary COPY format: signature, flags, then per row its field count and its fields (`writeBinaryField`); -1 at the end. */
function copyBinary(rows: readonly (readonly (string | number | null)[])[]): Buffer {
  let size = BINARY_HEADER.length + BINARY_TRAILER.length;
  for (const r of rows) {
    size += 2;
    r.forEach((v, i) => (size += binaryFieldSize(v, BARE_TYPES[i]!)));
  }
  const buf = Buffer.allocUnsafe(size);
  let o = BINARY_HEADER.copy(buf, 0);
  for (const r of rows) {
    o = buf.writeInt16BE(r.length, o);
    r.forEach((v, i) => (o = writeBinaryField(buf, o, v, BARE_TYPES[i]!)));
  }
  BINARY_TRAILER.copy(buf, o);
  return buf;
}

export async function benchIngest(store: Store, n: number, triage: TriageFn | undefined): Promise<IngestBenchResult> {
  const bare = await benchBare(store, n);
  // steady state, as a running server sees it: a first pass of a tenth of the size (another
  // brand) warms the JIT, the statement caches and the triage worker; the first pass of a cold
  // process measured ~30 % slower than the later ones
  await benchPipeline(store, Math.max(2_000, Math.round(n / 10)), triage);
  const marks = await markTables(store);
  const profiling = PG_PROFILE && (await startStatementProfile(store));
  const before = cpuSample();
  const full = await benchPipeline(store, n, triage);
  const after = cpuSample();
  if (profiling) process.stderr.write(`${formatStatementProfile(await statementProfile(store), n)}\n`);
  // the second baseline: every row the measured pass wrote, written bare in as many transactions
  const allRows = await benchBareAllRows(store, marks, full.brandId, n, full.batches);
  const cpu = before && after
    ? {
      pipeline_thread: round((after.main - before.main) / n),
      other_threads: round((after.others - before.others) / n),
      ...(store.dialect === 'postgres' ? { postgres: round((after.postgres - before.postgres) / n) } : {}),
    }
    : undefined;
  return {
    msgs_per_s: round(full.msgsPerS), bare_rows_per_s: round(bare), ratio: Number((full.msgsPerS / bare).toFixed(3)), n, events: full.events,
    all_rows: { ...allRows, batches: full.batches, ratio: Number((full.msgsPerS / allRows.msgs_per_s).toFixed(3)) },
    ...(cpu ? { cpu_us_per_msg: cpu } : {}),
  };
}

/** CPU time so far (µs) of this process's main thread, its other threads, and all `postgres` processes; null without /proc. */
function cpuSample(): { main: number; others: number; postgres: number } | null {
  if (!existsSync('/proc/self/task')) return null;
  try {
    let main = 0;
    let others = 0;
    for (const t of readdirSync('/proc/self/task')) {
      const us = procCpuUs(`/proc/self/task/${t}/stat`);
      if (t === String(process.pid)) main += us;
      else others += us;
    }
    let postgres = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        // with the children's: a backend or autovacuum worker that exits moves its CPU to the
        // postmaster's, so the sum does not drop when a process goes away
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') postgres += procCpuUs(`/proc/${pid}/stat`, true);
      } catch { /* gone meanwhile */ }
    }
    return { main, others, postgres };
  } catch {
    return null;
  }
}

const round = (x: number) => Math.round(x);
