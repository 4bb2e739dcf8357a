/**
 * Reporting facts are append-only rows; reports over a million conversations
 * must not scan a million rows. Every fact is therefore also counted, as it is
 * written and in the same transaction, into a daily (UTC) rollup keyed by the
 * dimensions reports filter and group by, with the count, the sums of its
 * durations and a log-scaled histogram of them (2 % buckets). Dimensions only
 * one kind of report reads are kept only for that kind (hour of week, category
 * and sentiment for arrivals; needs-response for arrivals and replies), so a
 * day of replies by 50 agents is ~50 rows whatever the volume.
 *
 * Reports read rollups for whole days and the raw facts of the partial days
 * at the edges of the period, so counts are always exact; percentiles are exact
 * (from the raw facts) up to EXACT_LIMIT values in the selection and come from
 * the histograms beyond it (within 2 %, reported as `exact: false`).
 */
import { createHash } from 'node:crypto';
import type { DeleteQueryBuilder, DeleteResult, Insertable } from 'kysely';
import type { Store } from './db.js';
import type { DB, FactRollupTable } from './schema.js';
import { inLists, insertRows, lockBrand, prepareInsertRows, type Tx } from './util.js';

/** Width of a rollup period (ms): one UTC day. */
export const PERIOD = 86_400_000;
const BASE = Math.log(1.02);

/** Histogram bucket of a duration in seconds: 0 for < 1 s, then 2 % wide. */
export function bucketOf(s: number): number {
  return s < 1 ? 0 : 1 + Math.floor(Math.log(s) / BASE);
}

/** A representative value of a bucket (its geometric middle). */
export function bucketValue(b: number): number {
  return b === 0 ? 0.5 : Math.exp((b - 1 + 0.5) * BASE);
}

/** A rollup row: its dimensions (nulls stored as 0 / '' / -1 so the key is unique), count, sums and histograms. */
export type RollupRow = Omit<FactRollupTable, 'k'>;

/** The dimensions of a rollup row. */
export type RollupKey = Omit<RollupRow, 'n' | 'sum_s' | 'sum_bs' | 'hist' | 'hist_b'>;

export type Fact = Insertable<DB['reporting_fact']>;

export function keyOf(f: Fact): RollupKey {
  let clock = '';
  if ((f.kind === 'sla_met' || f.kind === 'sla_breached') && f.data) {
    try {
      clock = String((JSON.parse(f.data) as { clock?: string }).clock ?? '');
    } catch { /* no clock */ }
  }
  const inbound = f.kind === 'inbound';
  return {
    brand_id: f.brand_id,
    kind: f.kind,
    period_start: Math.floor(f.occurred_at / PERIOD) * PERIOD,
    hour_of_week: inbound ? f.hour_of_week : -1,
    day: f.day,
    channel_account_id: f.channel_account_id ?? 0,
    team_id: f.team_id ?? 0,
    agent_id: f.agent_id ?? 0,
    network: f.network ?? '',
    visibility: f.visibility ?? '',
    category: inbound ? f.category ?? '' : '',
    sentiment: inbound ? f.sentiment ?? '' : '',
    needs_response: (inbound || f.kind === 'message_response' || f.kind === 'message_answered') && f.needs_response != null ? f.needs_response : -1,
    clock,
  };
}

const KEY_FIELDS: (keyof RollupKey)[] = ['brand_id', 'kind', 'period_start', 'hour_of_week', 'day', 'channel_account_id', 'team_id', 'agent_id', 'network', 'visibility', 'category', 'sentiment', 'needs_response', 'clock'];

export function keyString(k: RollupKey): string {
  return hashKey(plainKey(k));
}

/** The dimensions joined: equal exactly when the keys are equal. */
function plainKey(k: RollupKey): string {
  let s = String(k[KEY_FIELDS[0]!]);
  for (let i = 1; i < KEY_FIELDS.length; i++) s += '\u0001' + String(k[KEY_FIELDS[i]!]);
  return s;
}

const hashKey = (plain: string) => createHash('sha1').update(plain).digest('base64url');

type Hist = Record<string, number>;

function addTo(h: Hist, b: number, c: number) {
  const k = String(b);
  const v = (h[k] ?? 0) + c;
  if (v === 0) delete h[k];
  else h[k] = v;
}

/** Aggregate facts into rollup deltas (sign -1 retracts). */
export function deltasOf(facts: Fact[], sign = 1): Map<string, RollupRow> {
  const acc = new Map<string, { key: RollupKey; n: number; sum_s: number; sum_bs: number; h: Hist; hb: Hist }>();
  // grouped by the plain key; hashed once per group, not once per fact
  for (const f of facts) {
    const key = keyOf(f);
    const k = plainKey(key);
    let r = acc.get(k);
    if (!r) acc.set(k, (r = { key, n: 0, sum_s: 0, sum_bs: 0, h: {}, hb: {} }));
    r.n += sign;
    if (f.value_s != null) {
      r.sum_s += sign * f.value_s;
      addTo(r.h, bucketOf(f.value_s), sign);
    }
    if (f.business_s != null) {
      r.sum_bs += sign * f.business_s;
      addTo(r.hb, bucketOf(f.business_s), sign);
    }
  }
  const out = new Map<string, RollupRow>();
  for (const [k, r] of acc) out.set(hashKey(k), { ...r.key, n: r.n, sum_s: r.sum_s, sum_bs: r.sum_bs, hist: JSON.stringify(r.h), hist_b: JSON.stringify(r.hb) });
  return out;
}

function merge(a: string, b: string): string {
  const h = JSON.parse(a) as Hist;
  for (const [k, c] of Object.entries(JSON.parse(b) as Hist)) addTo(h, Number(k), c);
  return JSON.stringify(h);
}

/** Add deltas into the stored rollups (read, merge, upsert), serialised per brand. */
export async function applyRollups(trx: Tx, store: Store, deltas: Map<string, RollupRow>): Promise<void> {
  const rows = await mergedRollups(trx, store.dialect, deltas);
  if (rows.length) await insertRows(trx, store, 'fact_rollup', rows, { upsertOn: 'k', upsertColumns: ['n', 'sum_s', 'sum_bs', 'hist', 'hist_b'] });
}

/** The rollup rows `deltas` make, each merged with its stored row, under the brands' rollup lock. */
async function mergedRollups(trx: Tx, dialect: Store['dialect'], deltas: Map<string, RollupRow>): Promise<(RollupRow & { k: string })[]> {
  if (!deltas.size) return [];
  const brands = new Set([...deltas.values()].map((d) => d.brand_id));
  for (const b of brands) await lockBrand(trx, { dialect } as Store, b, 3);
  const existing = new Map<string, { n: number; sum_s: number; sum_bs: number; hist: string; hist_b: string }>();
  for (const part of inLists([...deltas.keys()])) {
    for (const r of await trx.selectFrom('fact_rollup').select(['k', 'n', 'sum_s', 'sum_bs', 'hist', 'hist_b']).where('k', 'in', part).execute()) existing.set(r.k, r);
  }
  return [...deltas].map(([k, d]) => {
    const e = existing.get(k);
    return e
      ? { k, ...d, n: e.n + d.n, sum_s: e.sum_s + d.sum_s, sum_bs: e.sum_bs + d.sum_bs, hist: merge(e.hist, d.hist), hist_b: merge(e.hist_b, d.hist_b) }
      : { k, ...d };
  });
}

/**
 * `applyRollups` through the query builder alone, for code given the Kysely instance and its
 * dialect but no `Store`: a migration's `up` (src/store/migrate.ts). `applyRollups` upserts with
 * `insertRows`, whose SQLite path runs on the store's better-sqlite3 handle, which a migration is
 * not given. Same lock, read and merge (`mergedRollups`); the upsert is one query-builder statement per 200 rows.
 */
export async function applyRollupsQuery(trx: Tx, dialect: Store['dialect'], deltas: Map<string, RollupRow>): Promise<void> {
  const rows = await mergedRollups(trx, dialect, deltas);
  for (let i = 0; i < rows.length; i += 200) {
    await trx.insertInto('fact_rollup').values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.column('k').doUpdateSet((eb) => ({ n: eb.ref('excluded.n'), sum_s: eb.ref('excluded.sum_s'), sum_bs: eb.ref('excluded.sum_bs'), hist: eb.ref('excluded.hist'), hist_b: eb.ref('excluded.hist_b') })))
      .execute();
  }
}

/** Append facts and count them into the rollups, in the caller's transaction. */
export async function writeFacts(trx: Tx, store: Store, facts: Fact[]): Promise<void> {
  await (await prepareWriteFacts(trx, store, facts))();
}

/** `writeFacts` in two steps (`prepareInsertRows`): the rows and the rollup deltas now, the writes by the function returned. */
export async function prepareWriteFacts(trx: Tx, store: Store, written: Fact[]): Promise<() => Promise<void>> {
  if (!written.length) return async () => {};
  const twins = await answeredTwins(trx, written);
  const facts = twins.length ? [...written, ...twins] : written;
  const insert = await prepareInsertRows(trx, store, 'reporting_fact', facts as Record<string, unknown>[]);
  const deltas = deltasOf(facts);
  return async () => {
    await insert();
    await applyRollups(trx, store, deltas);
  };
}

/** The kinds of fact that carry a customer message's triage (its own id in `message_id`): what a triage correction re-files. */
export const TRIAGED_KINDS = ['inbound', 'message_answered', 'message_response'] as const;

/**
 * The `message_answered` fact of each inbound message a `message_response` says was answered:
 * a twin of the message's own `inbound` fact (same instant, local day and hour, dimensions,
 * needs-response, category and sentiment), so the response rate counts the answered share of
 * the messages that *arrived* in a period, under any filter, from the rollups (docs/metrics.md,
 * Reports: `response-rate`). Derived here, where every writer's facts pass (ingest for replies seen on
 * the network, the outbox for replies sent from the desk), from the inbound fact in the same
 * batch or already stored. A message without an inbound fact was never counted as needing a
 * response, so it gets no twin.
 */
async function answeredTwins(trx: Tx, facts: Fact[]): Promise<Fact[]> {
  const answered = new Set<number>();
  for (const f of facts) if (f.kind === 'message_response' && f.message_id != null) answered.add(f.message_id);
  if (!answered.size) return [];
  const inbound = new Map<number, Fact>();
  for (const f of facts) if (f.kind === 'inbound' && f.message_id != null && answered.has(f.message_id) && !inbound.has(f.message_id)) inbound.set(f.message_id, f);
  const missing = [...answered].filter((id) => !inbound.has(id));
  for (const part of inLists(missing)) {
    const rows = await trx.selectFrom('reporting_fact').selectAll().where('message_id', 'in', part).where('kind', '=', 'inbound').orderBy('id').execute();
    for (const r of rows) if (!inbound.has(r.message_id!)) inbound.set(r.message_id!, r as Fact);
  }
  const out: Fact[] = [];
  for (const id of answered) {
    const f = inbound.get(id);
    if (!f) continue;
    const { id: _id, ...dims } = f as Fact & { id?: number };
    out.push({ ...dims, kind: 'message_answered', value_s: null, business_s: null, data: null });
  }
  return out;
}

/** What `rewriteFacts` may change of a fact: its triage, or who it is attributed to. */
export type FactPatch = Partial<Pick<Fact, 'needs_response' | 'category' | 'sentiment' | 'agent_id' | 'team_id'>>;

/**
 * Rewrite stored facts in place (e.g. the triage of the message they describe, corrected by a
 * person; or who a fact is attributed to), moving their counts between rollup rows in the same
 * transaction. `patch`: the same change for every row, or each row's own. Only facts that change
 * are touched, rows getting the same change in one statement.
 */
export async function rewriteFacts(trx: Tx, store: Store, rows: (Fact & { id: number })[], patch: FactPatch | ((f: Fact) => FactPatch)): Promise<number> {
  const before: Fact[] = [];
  const after: Fact[] = [];
  const same = new Map<string, { set: FactPatch; ids: number[] }>();
  for (const f of rows) {
    const set = Object.fromEntries(Object.entries(typeof patch === 'function' ? patch(f) : patch).filter(([, v]) => v !== undefined)) as FactPatch;
    const keys = Object.keys(set) as (keyof FactPatch)[];
    if (keys.every((k) => (f[k] ?? null) === (set[k] ?? null))) continue;
    before.push(f);
    after.push({ ...f, ...set });
    const key = JSON.stringify(set);
    const group = same.get(key);
    if (group) group.ids.push(f.id);
    else same.set(key, { set, ids: [f.id] });
  }
  if (!before.length) return 0;
  for (const { set, ids } of same.values()) for (const part of inLists(ids)) await trx.updateTable('reporting_fact').set(set).where('id', 'in', part).execute();
  await applyRollups(trx, store, deltasOf(before, -1));
  await applyRollups(trx, store, deltasOf(after));
  return before.length;
}

/** Withdraw facts (e.g. of a duplicate echo that is being replaced). */
export async function retractFactsOfMessage(trx: Tx, store: Store, messageId: number): Promise<void> {
  await withdrawFactsWhere(trx, store, (q) => q.where('message_id', '=', messageId));
}

/** The `data` of a history's `resolution` fact: resolved outside Parley, no agent and no SLA clocks (src/pipeline/ingest.ts `historyResolutions`; reports say so). */
export const HISTORY_RESOLUTION_DATA = JSON.stringify({ history: true });

type FactDelete = DeleteQueryBuilder<DB, 'reporting_fact', DeleteResult>;

/**
 * Withdraw the stored facts `where` selects: deleted, and uncounted from their rollups in the same
 * transaction. Only the rows this statement actually deleted are uncounted, so two transactions
 * withdrawing the same facts (a removal delivered twice at once) withdraw them once. Returns those rows.
 */
export async function withdrawFactsWhere(trx: Tx, store: Store, where: (q: FactDelete) => FactDelete): Promise<Fact[]> {
  const gone = (await where(trx.deleteFrom('reporting_fact')).returningAll().execute()) as Fact[];
  if (gone.length) await applyRollups(trx, store, deltasOf(gone, -1));
  return gone;
}

/** `withdrawFactsWhere` by id (e.g. the response facts of a reply the network removed, src/pipeline/deletions.ts). */
export async function withdrawFacts(trx: Tx, store: Store, ids: readonly number[]): Promise<Fact[]> {
  const gone: Fact[] = [];
  for (const part of inLists([...new Set(ids)])) gone.push(...await withdrawFactsWhere(trx, store, (q) => q.where('id', 'in', part)));
  return gone;
}

/**
 * Put back facts withdrawn earlier (`withdrawFactsWhere` returned them), exactly as they were: the
 * same rows (new ids), counted into their rollups again in the same transaction. Unlike
 * `writeFacts` nothing is derived (a `message_answered` twin comes back only if it was withdrawn
 * with its response). E.g. a reply the network hid and shows again (src/pipeline/deletions.ts).
 */
export async function restoreFacts(trx: Tx, store: Store, facts: readonly Fact[]): Promise<void> {
  if (!facts.length) return;
  const rows = facts.map((f) => {
    const { id: _id, ...row } = f as Fact & { id?: number };
    return row;
  });
  // not through `inLists`: it pads a list by repeating its last item
  await (await prepareInsertRows(trx, store, 'reporting_fact', rows as Record<string, unknown>[]))();
  await applyRollups(trx, store, deltasOf(rows));
}

/** Rebuild all rollups from the facts (after a bulk load, or to repair). */
export async function rebuildRollups(store: Store, brandId?: number): Promise<number> {
  await store.db.transaction().execute(async (trx) => {
    let del = trx.deleteFrom('fact_rollup');
    if (brandId != null) del = del.where('brand_id', '=', brandId);
    await del.execute();
  });
  let last = 0;
  let n = 0;
  for (;;) {
    let q = store.db.selectFrom('reporting_fact').selectAll().where('id', '>', last).orderBy('id').limit(50_000);
    if (brandId != null) q = q.where('brand_id', '=', brandId);
    const rows = await q.execute();
    if (!rows.length) break;
    await store.db.transaction().execute((trx) => applyRollups(trx, store, deltasOf(rows as Fact[])));
    last = rows[rows.length - 1]!.id;
    n += rows.length;
  }
  return n;
}
