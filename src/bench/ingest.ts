/**
 * Ingest throughput: the full pipeline (validate → dedupe → triage → thread →
 * persist → facts → publish → route/SLA) against the bare insert rate of the
 * same rows into the same database (SQLite: one prepared statement, batched in
 * transactions; PostgreSQL: COPY).
 */
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
import { WorkflowSettingsStore } from '../workflow/settings.js';
import { Workflow } from '../workflow/workflow.js';
import { messageStream } from './data.js';

export interface IngestBenchResult {
  msgs_per_s: number;
  bare_rows_per_s: number;
  ratio: number;
  n: number;
  events: number;
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
export async function benchPipeline(store: Store, n: number, triage: TriageFn | undefined): Promise<{ msgsPerS: number; events: number }> {
  const { brandId, accountId } = await setupBrand(store, `bench-${Date.now()}`);
  const bus = new EventBus();
  let events = 0;
  bus.subscribe(brandId, () => void events++);
  const jobs = new TableJobs(store, systemClock);
  const settings = new WorkflowSettingsStore(store);
  const workflow = new Workflow({ store, bus, clock: systemClock, jobs, settings });
  const pipeline = new IngestPipeline({ store, bus, clock: systemClock, triage, businessSeconds: workflow.businessSeconds, workflow: process.env.BENCH_NO_WF ? undefined : workflow });
  const queue = new IngestQueue(pipeline, { maxQueued: n + 1, maxBatch: Number(process.env.BENCH_MAX_BATCH ?? 1000) });
  const msgs = [...messageStream(n, { t0: Date.now() - n, rate: 1000, prefix: `p${Date.now()}-` })];
  const t0 = performance.now();
  const pending: Promise<unknown>[] = [];
  // submit in 100-message requests, as many webhook deliveries would
  for (let i = 0; i < msgs.length; i += 100) pending.push(queue.submit(brandId, msgs.slice(i, i + 100).map((message) => ({ channelAccountId: accountId, message, source: 'network' as const }))));
  await Promise.all(pending);
  const s = (performance.now() - t0) / 1000;
  return { msgsPerS: n / s, events };
}

function bareRow(m: NormalizedMessage, brandId: number, conversationId: number, accountId: number, now: number) {
  const t = encodeText(m.text);
  return [brandId, conversationId, accountId, m.network, m.networkMessageId, m.direction, m.visibility, m.kind, t.text, t.escaped, m.createdAt, now, JSON.stringify(m.raw), 'received', 0, 'network'] as const;
}

const BARE_COLS = ['brand_id', 'conversation_id', 'channel_account_id', 'network', 'network_message_id', 'direction', 'visibility', 'kind', 'text', 'text_escaped', 'created_at', 'received_at', 'raw', 'status', 'is_auto', 'source'];

/** The bare insert rate of the same rows into the same database. */
export async function benchBare(store: Store, n: number): Promise<number> {
  const { brandId, accountId } = await setupBrand(store, `bare-${Date.now()}`);
  const now = Date.now();
  const conv = await store.db.insertInto('conversation').values({ brand_id: brandId, channel_account_id: accountId, network: 'x', visibility: 'public', status: 'open', subject: 'bare', created_at: now, updated_at: now, last_message_at: now, cycle_started_at: now, reopened_count: 0, message_count: 0, version: 1, priority: 0 }).returning('id').executeTakeFirstOrThrow();
  const msgs = [...messageStream(n, { t0: now - n, rate: 1000, prefix: `bare${now}-` })];
  if (store.dialect === 'sqlite') {
    const db = store.sqlite!;
    const stmt = db.prepare(`insert into message (${BARE_COLS.join(',')}) values (${BARE_COLS.map(() => '?').join(',')})`);
    const batch = db.transaction((rows: NormalizedMessage[]) => {
      for (const m of rows) stmt.run(...bareRow(m, brandId, conv.id, accountId, now));
    });
    const t0 = performance.now();
    for (let i = 0; i < msgs.length; i += 1000) batch(msgs.slice(i, i + 1000));
    return n / ((performance.now() - t0) / 1000);
  }
  const client = await store.pgPool!.connect();
  try {
    const esc = (v: unknown) => {
      if (v === null || v === undefined) return '';
      const s = String(v);
      return /[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const t0 = performance.now();
    for (let i = 0; i < msgs.length; i += 1000) {
      const lines = msgs.slice(i, i + 1000).map((m) => bareRow(m, brandId, conv.id, accountId, now).map(esc).join(',') + '\n');
      await client.query('begin');
      await streamPipeline(Readable.from(lines), client.query(copyFrom(`COPY message (${BARE_COLS.join(',')}) FROM STDIN WITH (FORMAT csv)`)));
      await client.query('commit');
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    client.release();
  }
}

export async function benchIngest(store: Store, n: number, triage: TriageFn | undefined): Promise<IngestBenchResult> {
  const bare = await benchBare(store, n);
  // steady state, as a running server sees it: a first pass of a tenth of the size (another
  // brand) warms the JIT, the statement caches and the triage worker; the first pass of a cold
  // process measured ~30 % slower than the later ones
  await benchPipeline(store, Math.max(2_000, Math.round(n / 10)), triage);
  const full = await benchPipeline(store, n, triage);
  return { msgs_per_s: round(full.msgsPerS), bare_rows_per_s: round(bare), ratio: Number((full.msgsPerS / bare).toFixed(3)), n, events: full.events };
}

const round = (x: number) => Math.round(x);
