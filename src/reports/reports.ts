/**
 * Reports aggregate the append-only reporting facts (src/store/facts.ts); they
 * never re-derive history from messages (definitions: docs/metrics.md). Every
 * report takes the same filter: period, team, agent, channel account, network,
 * public/private, and the business-hours toggle (which reads business_s
 * instead of value_s). Durations are reported in minutes with the same
 * percentile definition as `parley report response-times`, so an imported
 * TWCS file gives the same figures both ways.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import { replyTimeStats } from '../core/responseTimes.js';
import { DEFAULT_HANDLING_RULES, handlingStats, type HandlingStats } from '../core/staffing/handlingTime.js';
import { bucketValue, deltasOf, HISTORY_RESOLUTION_DATA, PERIOD, type Fact, type RollupRow } from '../store/rollup.js';
import type { Store } from '../store/db.js';
import type { DB } from '../store/schema.js';

export interface ReportFilter {
  brandId: number;
  from?: number;
  to?: number;
  teamId?: number;
  agentId?: number;
  channelAccountId?: number;
  network?: string;
  visibility?: 'public' | 'private';
  /** Count durations in business hours (the channel account's calendar). */
  business?: boolean;
  /** Percentiles are exact (from every fact) up to this many values, from the rollups' histograms beyond (default EXACT_LIMIT). */
  exactLimit?: number;
}

/** Percentiles are computed from the raw facts up to this many values in a selection, from histograms beyond. */
export const EXACT_LIMIT = 100_000;

const n = (v: unknown) => Number(v ?? 0);

type Dim = 'kind' | 'hour_of_week' | 'day' | 'channel_account_id' | 'team_id' | 'agent_id' | 'category' | 'sentiment' | 'needs_response' | 'clock';
type Agg<D extends Dim> = Pick<RollupRow, D> & { n: number };

/** The whole rollup periods inside the selection, and its partial periods at the edges. */
function periodsOf(f: ReportFilter): { pFrom: number; pTo: number; edges: [number, number][] } {
  const from = f.from ?? -Infinity;
  const to = f.to ?? Infinity;
  const pFrom = Number.isFinite(from) ? Math.ceil(from / PERIOD) * PERIOD : -Infinity;
  const pTo = Number.isFinite(to) ? Math.floor(to / PERIOD) * PERIOD : Infinity;
  const edges: [number, number][] = [];
  if (pFrom > pTo) edges.push([from, to]); // the whole selection is inside one period
  else {
    if (Number.isFinite(from) && from < pFrom) edges.push([from, pFrom]);
    if (Number.isFinite(to) && pTo < to) edges.push([pTo, to]);
  }
  return { pFrom, pTo, edges };
}

function rollups(store: Store, f: ReportFilter, kinds: string[]) {
  const { pFrom, pTo } = periodsOf(f);
  let q = store.db.selectFrom('fact_rollup').where('brand_id', '=', f.brandId).where('kind', 'in', kinds);
  if (pFrom > pTo) q = q.where(sql<boolean>`1 = 0`);
  if (Number.isFinite(pFrom)) q = q.where('period_start', '>=', pFrom);
  if (Number.isFinite(pTo)) q = q.where('period_start', '<', pTo);
  if (f.teamId != null) q = q.where('team_id', '=', f.teamId);
  if (f.agentId != null) q = q.where('agent_id', '=', f.agentId);
  if (f.channelAccountId != null) q = q.where('channel_account_id', '=', f.channelAccountId);
  if (f.network) q = q.where('network', '=', f.network);
  if (f.visibility) q = q.where('visibility', '=', f.visibility);
  return q;
}

/** The raw facts of the partial periods at the selection's edges, as rollup-shaped rows. */
async function edgeRows(store: Store, f: ReportFilter, kinds: string[]): Promise<RollupRow[]> {
  const out: RollupRow[] = [];
  for (const [a, b] of periodsOf(f).edges) {
    const raw = await facts(store, { ...f, from: a, to: b }, kinds).selectAll().execute();
    out.push(...deltasOf(raw as Fact[]).values());
  }
  return out;
}

/**
 * Counts of a selection grouped by `dims`, summed in the database over the
 * rollups of whole periods, plus the raw facts of the partial periods at the
 * edges — so counts are exact whatever the period. Rows may repeat a group
 * (one from the rollups, others from the edges): sum them (countBy does).
 */
async function aggregates<D extends Dim>(store: Store, f: ReportFilter, kinds: string[], dims: D[]): Promise<Agg<D>[]> {
  let q = rollups(store, f, kinds).select((eb) => [...dims, eb.fn.sum<number>('n').as('n')] as never);
  if (dims.length) q = q.groupBy(dims as never);
  const rows = ((await q.execute()) as unknown as Agg<D>[]).map((r) => ({ ...r, n: Number(r.n ?? 0) }));
  for (const e of await edgeRows(store, f, kinds)) {
    const r = { n: e.n } as Agg<D>;
    for (const d of dims) (r as Record<string, unknown>)[d] = e[d];
    rows.push(r);
  }
  return rows.filter((r) => r.n !== 0);
}

type FactQuery = SelectQueryBuilder<DB, 'reporting_fact', object>;

function facts(store: Store, f: ReportFilter, kinds: string[]): FactQuery {
  let q = store.db.selectFrom('reporting_fact').where('reporting_fact.brand_id', '=', f.brandId).where('reporting_fact.kind', 'in', kinds) as FactQuery;
  if (f.from != null) q = q.where('reporting_fact.occurred_at', '>=', f.from);
  if (f.to != null) q = q.where('reporting_fact.occurred_at', '<', f.to);
  if (f.teamId != null) q = q.where('reporting_fact.team_id', '=', f.teamId);
  if (f.agentId != null) q = q.where('reporting_fact.agent_id', '=', f.agentId);
  if (f.channelAccountId != null) q = q.where('reporting_fact.channel_account_id', '=', f.channelAccountId);
  if (f.network) q = q.where('reporting_fact.network', '=', f.network);
  if (f.visibility) q = q.where('reporting_fact.visibility', '=', f.visibility);
  return q;
}

/** Sum n over rows grouped by a key. */
function countBy<R extends { n: number }, K>(rows: R[], key: (r: R) => K): Map<K, number> {
  const m = new Map<K, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + r.n);
  return m;
}

export interface DurationStats {
  n: number;
  median_min: number | null;
  p25_min: number | null;
  p75_min: number | null;
  p90_min: number | null;
  share_within_60: number | null;
  /** false when the selection was larger than EXACT_LIMIT and percentiles came from 2 % histograms. */
  exact?: boolean;
}

/** Minutes stats with the TWCS contract's percentile definition (Hyndman–Fan type 2). */
export function durationStats(minutes: number[]): DurationStats {
  if (!minutes.length) return { n: 0, median_min: null, p25_min: null, p75_min: null, p90_min: null, share_within_60: null, exact: true };
  const s = replyTimeStats(minutes);
  return { n: s.n, median_min: s.medianMin, p25_min: s.p25Min, p75_min: s.p75Min, p90_min: s.p90Min, share_within_60: s.shareWithin60, exact: true };
}

type Hist = Record<string, number>;

function mergeHists(hists: string[]): Hist {
  const h: Hist = {};
  for (const s of hists) for (const [b, c] of Object.entries(JSON.parse(s) as Hist)) h[b] = (h[b] ?? 0) + c;
  return h;
}

/** Percentiles from a histogram (each value stands for its bucket's middle; within 2 %). */
export function histStats(h: Hist): DurationStats {
  const entries = Object.entries(h).map(([b, c]) => [Number(b), c] as const).filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, c]) => s + c, 0);
  if (!total) return { n: 0, median_min: null, p25_min: null, p75_min: null, p90_min: null, share_within_60: null, exact: false };
  /** The value of the k-th smallest (1-based): its bucket's representative. */
  const rank = (k: number) => {
    let acc = 0;
    for (const [b, c] of entries) {
      acc += c;
      if (acc >= k) return bucketValue(b) / 60;
    }
    return bucketValue(entries[entries.length - 1]![0]) / 60;
  };
  // Hyndman–Fan type 2, as durationStats: average at discontinuities
  const at = (p: number) => {
    const np = p * total;
    const k = Math.round(np);
    if (Math.abs(np - k) < 1e-9 && k >= 1 && k < total) return (rank(k) + rank(k + 1)) / 2;
    return rank(Math.min(total, Math.max(1, Math.ceil(np - 1e-9))));
  };
  let within = 0;
  for (const [b, c] of entries) if (bucketValue(b) <= 3600) within += c;
  return { n: total, median_min: at(0.5), p25_min: at(0.25), p75_min: at(0.75), p90_min: at(0.9), share_within_60: within / total, exact: false };
}

export const DURATION_BUCKETS: { label: string; maxMin: number }[] = [
  { label: '≤ 5 min', maxMin: 5 },
  { label: '5–15 min', maxMin: 15 },
  { label: '15–30 min', maxMin: 30 },
  { label: '30–60 min', maxMin: 60 },
  { label: '1–2 h', maxMin: 120 },
  { label: '2–4 h', maxMin: 240 },
  { label: '4–8 h', maxMin: 480 },
  { label: '8–24 h', maxMin: 1440 },
  { label: '> 24 h', maxMin: Infinity },
];

function bucketsOfMinutes(minutes: number[]) {
  const counts = DURATION_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
  for (const m of minutes) counts[DURATION_BUCKETS.findIndex((b) => m <= b.maxMin)]!.count++;
  return counts;
}

function bucketsOfHist(h: Hist) {
  const counts = DURATION_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
  for (const [b, c] of Object.entries(h)) counts[DURATION_BUCKETS.findIndex((x) => bucketValue(Number(b)) / 60 <= x.maxMin)]!.count += c;
  return counts;
}

/**
 * Duration statistics of one kind of fact, overall and per group: exact from the
 * raw facts when the selection is small enough, from the rollups' histograms beyond.
 */
async function durationSelection(store: Store, f: ReportFilter, kind: string, group?: 'channel_account_id' | 'agent_id' | 'team_id') {
  const business = !!f.business;
  const measured = (await aggregates(store, f, [kind], [])).reduce((s, r) => s + r.n, 0);
  if (measured <= (f.exactLimit ?? EXACT_LIMIT)) {
    const col = business ? 'business_s' : 'value_s';
    const raw = await facts(store, f, [kind]).select(['reporting_fact.channel_account_id as channel_account_id', 'reporting_fact.agent_id as agent_id', 'reporting_fact.team_id as team_id', `reporting_fact.${col} as s`]).where(`reporting_fact.${col}`, 'is not', null).execute();
    const all = raw.map((r) => Number(r.s) / 60);
    const groups = new Map<number, number[]>();
    if (group) for (const r of raw) {
      const g = r[group];
      if (g == null) continue;
      const l = groups.get(g) ?? [];
      l.push(Number(r.s) / 60);
      groups.set(g, l);
    }
    return { overall: durationStats(all), buckets: bucketsOfMinutes(all), groups: new Map([...groups].map(([g, m]) => [g, durationStats(m)])) };
  }
  // many values: merge the histograms (a few rows per day and group)
  const col = business ? 'hist_b' : 'hist';
  const stored = await rollups(store, f, [kind]).select([group ?? 'brand_id', col] as never).execute() as unknown as Record<string, unknown>[];
  const rows = stored.map((r) => ({ g: Number(r[group ?? 'brand_id']), hist: String(r[col]) }));
  for (const e of await edgeRows(store, f, [kind])) rows.push({ g: group ? e[group] : f.brandId, hist: business ? e.hist_b : e.hist });
  const h = mergeHists(rows.map((r) => r.hist));
  const groups = new Map<number, DurationStats>();
  if (group) {
    const by = new Map<number, string[]>();
    for (const r of rows) {
      if (!r.g) continue;
      const l = by.get(r.g) ?? [];
      l.push(r.hist);
      by.set(r.g, l);
    }
    for (const [g, hs] of by) groups.set(g, histStats(mergeHists(hs)));
  }
  return { overall: histStats(h), buckets: bucketsOfHist(h), groups };
}

async function accountNames(store: Store, brandId: number) {
  const rows = await store.db.selectFrom('channel_account').select(['id', 'handle', 'network']).where('brand_id', '=', brandId).execute();
  return new Map(rows.map((r) => [r.id, { handle: r.handle, network: r.network }]));
}

/** First response (conversation level), next response, or reply time per message. */
export async function responseTimeReport(store: Store, f: ReportFilter, kind: 'first_response' | 'next_response' | 'message_response' = 'first_response') {
  const d = await durationSelection(store, f, kind, 'channel_account_id');
  const names = await accountNames(store, f.brandId);
  const byAccount = [...d.groups].map(([id, st]) => ({ channel_account_id: id, handle: names.get(id)?.handle ?? String(id), network: names.get(id)?.network ?? null, ...st })).sort((a, b) => b.n - a.n);
  return { kind, business_hours: !!f.business, overall: d.overall, buckets: d.buckets, by_channel_account: byAccount };
}

/** Arrivals by hour of week (brand's zone; Monday 00:00 = 0) and by day. */
export async function volumeReport(store: Store, f: ReportFilter) {
  const rows = await aggregates(store, f, ['inbound'], ['hour_of_week', 'day']);
  const heat = new Array<number>(168).fill(0);
  for (const [h, c] of countBy(rows, (r) => r.hour_of_week)) heat[h] = c;
  const byDay = [...countBy(rows, (r) => r.day)].sort((a, b) => a[0].localeCompare(b[0])).map(([day, inbound]) => ({ day, inbound }));
  return { total: heat.reduce((a, b) => a + b, 0), by_hour_of_week: heat, by_day: byDay };
}

/**
 * Share of mentions that needed a response and got one (the seeds' "always respond"): of the
 * messages that arrived in the period (and day, in the brand's zone) and needed a response,
 * those that were answered, whenever the answer went out. Both counts are of the same messages'
 * facts (`inbound`, and its `message_answered` twin), filed at their arrival with the same
 * dimensions, so a day or a filter never counts answers to messages it does not count as needed.
 */
export async function responseRateReport(store: Store, f: ReportFilter) {
  const rows = await aggregates(store, f, ['inbound', 'message_answered'], ['kind', 'needs_response', 'day']);
  const needed = countBy(rows.filter((r) => r.kind === 'inbound' && r.needs_response === 1), (r) => r.day);
  const answered = countBy(rows.filter((r) => r.kind === 'message_answered' && r.needs_response === 1), (r) => r.day);
  const untriaged = rows.filter((r) => r.kind === 'inbound' && r.needs_response === -1).reduce((s, r) => s + r.n, 0);
  const days = [...new Set([...needed.keys(), ...answered.keys()])].map((day) => ({ day, needed: needed.get(day) ?? 0, answered: answered.get(day) ?? 0 })).sort((x, y) => x.day.localeCompare(y.day));
  const totalNeeded = days.reduce((s, d) => s + d.needed, 0);
  const totalAnswered = days.reduce((s, d) => s + d.answered, 0);
  return { needed: totalNeeded, answered: totalAnswered, rate: totalNeeded ? totalAnswered / totalNeeded : null, untriaged, by_day: days.map((d) => ({ ...d, rate: d.needed ? d.answered / d.needed : null })) };
}

export async function accoladesReport(store: Store, f: ReportFilter) {
  const rows = await aggregates(store, f, ['accolade'], ['day']);
  const byDay = [...countBy(rows, (r) => r.day)].sort((a, b) => a[0].localeCompare(b[0]));
  return { total: byDay.reduce((s, [, c]) => s + c, 0), by_day: byDay.map(([day, accolades]) => ({ day, accolades })) };
}

/**
 * Resolutions of imported history in the selection, per team (null: none), with their total:
 * conversations resolved outside Parley (an import, a channel's backfill, the demo's history),
 * counted as resolutions with no agent and no SLA clocks (`historyResolutions` in src/pipeline/ingest.ts).
 */
async function historyResolutionCounts(store: Store, f: ReportFilter): Promise<{ total: number; byTeam: Map<number | null, number> }> {
  const rows = await facts(store, f, ['resolution']).where('reporting_fact.data', '=', HISTORY_RESOLUTION_DATA)
    .select((eb) => ['reporting_fact.team_id as team_id', eb.fn.countAll<number>().as('n')]).groupBy('reporting_fact.team_id').execute();
  const byTeam = new Map<number | null, number>();
  let total = 0;
  for (const r of rows) {
    byTeam.set(r.team_id == null ? null : Number(r.team_id), Number(r.n));
    total += Number(r.n);
  }
  return { total, byTeam };
}

/** The caveat of SLA figures over a selection with `n` resolutions of imported history (null: none). */
export function historySlaNote(n: number): string | null {
  if (!n) return null;
  return `${n === 1 ? '1 resolution' : `${n.toLocaleString('en-GB')} resolutions`} in this period ${n === 1 ? 'is' : 'are'} imported history: handled outside Parley, ${n === 1 ? 'it has' : 'they have'} no SLA clocks, so SLA attainment covers only the conversations handled at the desk.`;
}

/** SLA attainment: clocks met vs breached, overall and per clock. */
export async function slaReport(store: Store, f: ReportFilter) {
  const history = await historyResolutionCounts(store, f);
  const rows = await aggregates(store, f, ['sla_met', 'sla_breached'], ['kind', 'clock']);
  const byClock = new Map<string, { met: number; breached: number }>();
  let met = 0;
  let breached = 0;
  for (const r of rows) {
    const clock = r.clock || 'first_response';
    const e = byClock.get(clock) ?? { met: 0, breached: 0 };
    if (r.kind === 'sla_met') (e.met += r.n, met += r.n);
    else (e.breached += r.n, breached += r.n);
    byClock.set(clock, e);
  }
  return {
    met, breached, attainment: met + breached ? met / (met + breached) : null,
    // resolved history has no SLA clocks: the figures above do not cover it, and say so
    history_resolutions: history.total, note: historySlaNote(history.total),
    by_clock: [...byClock].map(([clock, v]) => ({ clock, ...v, attainment: v.met + v.breached ? v.met / (v.met + v.breached) : null })),
  };
}

/**
 * Open work right now: by status, and how long customers have been waiting (current state, in
 * SQL). The period does not apply (it is now); team, agent, channel, network and public/private do.
 */
export async function backlogReport(store: Store, f: ReportFilter, now: number) {
  const scoped = <Q extends SelectQueryBuilder<DB, 'conversation', object>>(q: Q): Q => {
    let r = q.where('brand_id', '=', f.brandId);
    if (f.teamId != null) r = r.where('team_id', '=', f.teamId);
    if (f.agentId != null) r = r.where('assignee_id', '=', f.agentId);
    if (f.channelAccountId != null) r = r.where('channel_account_id', '=', f.channelAccountId);
    if (f.network != null) r = r.where('network', '=', f.network);
    if (f.visibility != null) r = r.where('visibility', '=', f.visibility);
    return r as Q;
  };
  const byStatus = await scoped(store.db.selectFrom('conversation')).select(['status', (eb) => eb.fn.countAll<number>().as('c')]).where('status', 'in', ['new', 'open', 'waiting']).groupBy('status').execute();
  // waiting for at most maxMin and more than the previous band's: one range count per band over the
  // partial index conversation_waiting (its predicate spelled literally, so SQLite can match it)
  const open = () => scoped(store.db.selectFrom('conversation')).where(sql<boolean>`status IN ('new', 'open', 'waiting') AND waiting_since IS NOT NULL`);
  const waitingAge = await Promise.all(DURATION_BUCKETS.map(async (b, i) => {
    let q = open();
    if (i > 0) q = q.where('waiting_since', '<', now - DURATION_BUCKETS[i - 1]!.maxMin * 60_000);
    if (Number.isFinite(b.maxMin)) q = q.where('waiting_since', '>=', now - b.maxMin * 60_000);
    const r = await q.select((eb) => eb.fn.countAll<number>().as('c')).executeTakeFirst();
    return { label: b.label, count: n(r?.c) };
  }));
  const oldest = await open().select(['id', 'subject', 'waiting_since', 'priority', 'assignee_id']).orderBy('waiting_since').limit(10).execute();
  return {
    open: byStatus.reduce((s, r) => s + n(r.c), 0),
    by_status: Object.fromEntries(byStatus.map((r) => [r.status, n(r.c)])),
    waiting: waitingAge.reduce((s, b) => s + b.count, 0),
    waiting_age: waitingAge,
    oldest: oldest.map((o) => ({ id: o.id, subject: o.subject, waiting_min: (now - o.waiting_since!) / 60_000, priority: o.priority, assignee_id: o.assignee_id })),
  };
}

/**
 * The names of the brand's teams by id, those that are gone included (`retired_team`: SCIM
 * deleted them, their facts keep their ids), so a report never shows a team as a bare id.
 */
async function teamNames(store: Store, brandId: number): Promise<Map<number, string>> {
  const gone = await store.db.selectFrom('retired_team').select(['id', 'name']).where('brand_id', '=', brandId).execute();
  const live = await store.db.selectFrom('team').select(['id', 'name']).where('brand_id', '=', brandId).execute();
  return new Map([...gone, ...live].map((t) => [Number(t.id), t.name]));
}

/** Per-agent or per-team table: responses, first-response time, resolutions, accolades, SLA. */
export async function peopleReport(store: Store, f: ReportFilter, by: 'agent' | 'team') {
  const col = by === 'agent' ? 'agent_id' : 'team_id';
  const rows = await aggregates(store, f, ['first_response', 'next_response', 'resolution', 'accolade', 'sla_met', 'sla_breached', 'reopen'], ['kind', col]);
  const first = await durationSelection(store, f, 'first_response', col);
  const next = await durationSelection(store, f, 'next_response', col);
  const counts = new Map<string, number>();
  for (const r of rows) {
    const who = r[col];
    if (!who) continue;
    counts.set(`${who}:${r.kind}`, (counts.get(`${who}:${r.kind}`) ?? 0) + r.n);
  }
  const names = by === 'agent'
    ? new Map((await store.db.selectFrom('app_user').select(['id', 'name']).where('brand_id', '=', f.brandId).execute()).map((u) => [u.id, u.name]))
    : await teamNames(store, f.brandId);
  const ids = new Set<number>([...first.groups.keys(), ...next.groups.keys(), ...rows.map((r) => r[col]).filter((x) => x)]);
  // resolved history counts in its team's resolutions (no agent), without SLA clocks
  const history = await historyResolutionCounts(store, f);
  // a team filter: how many members it has (a new team's empty table says so, not that history has no agents)
  const teamMembers = f.teamId != null
    ? Number((await store.db.selectFrom('team_member').select((eb) => eb.fn.countAll<number>().as('n')).where('team_id', '=', f.teamId).executeTakeFirst())?.n ?? 0)
    : null;
  return {
    by,
    history_resolutions: history.total,
    note: historySlaNote(history.total),
    team_members: teamMembers,
    rows: [...ids].map((id) => {
      const c = (k: string) => counts.get(`${id}:${k}`) ?? 0;
      const met = c('sla_met');
      const breached = c('sla_breached');
      return {
        id, name: names.get(id) ?? `#${id}`, responses: c('first_response') + c('next_response'), first_responses: c('first_response'),
        first_response_median_min: first.groups.get(id)?.median_min ?? null,
        next_response_median_min: next.groups.get(id)?.median_min ?? null,
        resolutions: c('resolution'), reopens: c('reopen'), accolades: c('accolade'), sla_attainment: met + breached ? met / (met + breached) : null,
        // a team's resolutions of imported history (among `resolutions`; an agent has none: history has no agents)
        ...(by === 'team' ? { history_resolutions: history.byTeam.get(id) ?? 0 } : {}),
      };
    }).sort((a, b) => b.responses - a.responses),
  };
}

/** Sentiment and category of inbound mentions by day. */
export async function trendsReport(store: Store, f: ReportFilter) {
  const rows = await aggregates(store, f, ['inbound'], ['day', 'sentiment', 'category']);
  const pivot = (key: (r: (typeof rows)[number]) => string) => {
    const days = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const d = days.get(r.day) ?? {};
      const k = key(r) || 'untriaged';
      d[k] = (d[k] ?? 0) + r.n;
      days.set(r.day, d);
    }
    // every day has every key (0 where none arrived), so a table or CSV has no holes
    const keys = new Set<string>();
    for (const v of days.values()) for (const k in v) keys.add(k);
    return [...days].sort((a, b) => a[0].localeCompare(b[0])).map(([day, v]) => {
      const row: Record<string, number | string> = { day };
      for (const k of keys) row[k] = v[k] ?? 0;
      return row as { day: string } & Record<string, number>;
    });
  };
  return { sentiment: pivot((r) => r.sentiment), category: pivot((r) => r.category) };
}

/** How long replies waited for approval, and questions for experts. */
export async function turnaroundReport(store: Store, f: ReportFilter) {
  const approval = await durationSelection(store, f, 'approval_wait');
  const expert = await durationSelection(store, f, 'expert_wait');
  return { approval: approval.overall, expert: expert.overall };
}

/**
 * Handling time of the replies written in the selection (`handling` facts, one per reply
 * written at a desk): the statistics of the measured ones, and how many could not be
 * measured and why. Working time, so the business-hours toggle does not apply.
 */
export async function measuredHandling(store: Store, f: ReportFilter) {
  const rows = await facts(store, f, ['handling'])
    .select(['reporting_fact.value_s as s', 'reporting_fact.network as network', 'reporting_fact.team_id as team_id', 'reporting_fact.data as data', 'reporting_fact.hour_of_week as hour_of_week'])
    .execute();
  const unmeasured: Record<string, number> = {};
  const measured: { s: number; network: string | null; team_id: number | null; hourOfWeek: number }[] = [];
  for (const r of rows) {
    if (r.s != null) {
      measured.push({ s: Number(r.s), network: r.network, team_id: r.team_id == null ? null : Number(r.team_id), hourOfWeek: Number(r.hour_of_week) });
      continue;
    }
    let reason = 'unknown';
    try {
      reason = String((JSON.parse(r.data ?? '{}') as { unmeasured?: string }).unmeasured ?? 'unknown');
    } catch { /* keep unknown */ }
    unmeasured[reason] = (unmeasured[reason] ?? 0) + 1;
  }
  return { replies: rows.length, stats: handlingStats(measured.map((m) => m.s)), unmeasured, measured };
}

const statsMin = (st: HandlingStats) => {
  const m = (x: number | null) => (x == null ? null : x / 60);
  return { n: st.n, mean_min: m(st.meanS), median_min: m(st.medianS), trimmed_mean_min: m(st.trimmedMeanS), p90_min: m(st.p90S), capped: st.capped };
};

/**
 * Measured handling time (the AHT staffing uses): per reply, its author's time with the
 * conversation open (docs/metrics.md, "Measured handling time"), overall, per network
 * and per team, with the sample size and the replies that could not be measured.
 */
export async function handlingTimeReport(store: Store, f: ReportFilter) {
  const h = await measuredHandling(store, f);
  const group = <K>(key: (m: (typeof h.measured)[number]) => K | null) => {
    const g = new Map<K, number[]>();
    for (const m of h.measured) {
      const k = key(m);
      if (k == null) continue;
      const l = g.get(k) ?? [];
      l.push(m.s);
      g.set(k, l);
    }
    return [...g].map(([k, xs]) => [k, statsMin(handlingStats(xs))] as const).sort((a, b) => b[1].n - a[1].n);
  };
  const teams = await teamNames(store, f.brandId);
  const unmeasuredTotal = Object.values(h.unmeasured).reduce((a, b) => a + b, 0);
  return {
    cap_min: DEFAULT_HANDLING_RULES.capMs / 60_000,
    replies: h.replies,
    overall: statsMin(h.stats),
    unmeasured: { total: unmeasuredTotal, by_reason: h.unmeasured },
    by_network: group((m) => m.network).map(([network, st]) => ({ network, ...st })),
    by_team: group((m) => m.team_id).map(([id, st]) => ({ team_id: id, name: teams.get(id) ?? `#${id}`, ...st })),
  };
}

export const REPORTS = ['volume', 'first-response', 'next-response', 'reply-time', 'response-rate', 'accolades', 'sla', 'backlog', 'agents', 'teams', 'trends', 'turnaround', 'handling-time'] as const;
export type ReportName = (typeof REPORTS)[number];

export async function runReport(store: Store, name: ReportName, f: ReportFilter, now: number): Promise<unknown> {
  switch (name) {
    case 'volume':
      return volumeReport(store, f);
    case 'first-response':
      return responseTimeReport(store, f, 'first_response');
    case 'next-response':
      return responseTimeReport(store, f, 'next_response');
    case 'reply-time':
      return responseTimeReport(store, f, 'message_response');
    case 'response-rate':
      return responseRateReport(store, f);
    case 'accolades':
      return accoladesReport(store, f);
    case 'sla':
      return slaReport(store, f);
    case 'backlog':
      return backlogReport(store, f, now);
    case 'agents':
      return peopleReport(store, f, 'agent');
    case 'teams':
      return peopleReport(store, f, 'team');
    case 'trends':
      return trendsReport(store, f);
    case 'turnaround':
      return turnaroundReport(store, f);
    case 'handling-time':
      return handlingTimeReport(store, f);
  }
}

/** The columns of a report's CSV whose table can be empty (the others always have rows). */
const EMPTY_COLUMNS: Partial<Record<ReportName, readonly string[]>> = {
  'response-rate': ['day', 'needed', 'answered', 'rate'],
  accolades: ['day', 'accolades'],
  sla: ['clock', 'met', 'breached', 'attainment'],
  agents: ['id', 'name', 'responses', 'first_responses', 'first_response_median_min', 'next_response_median_min', 'resolutions', 'reopens', 'accolades', 'sla_attainment'],
  teams: ['id', 'name', 'responses', 'first_responses', 'first_response_median_min', 'next_response_median_min', 'resolutions', 'reopens', 'accolades', 'sla_attainment', 'history_resolutions'],
  trends: ['day'],
};

/** CSV of a report's main table (RFC 4180; formula-looking cells neutralised for spreadsheets). */
export function reportCsv(name: ReportName, data: any): string {
  let rows: Record<string, unknown>[] = [];
  switch (name) {
    case 'volume':
      rows = (data.by_hour_of_week as number[]).map((c, h) => ({ weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][Math.floor(h / 24)], hour: h % 24, inbound: c }));
      break;
    case 'first-response':
    case 'next-response':
    case 'reply-time':
      rows = [{ channel_account_id: '', handle: '(all)', network: '', ...data.overall }, ...data.by_channel_account];
      break;
    case 'response-rate':
    case 'accolades':
      rows = data.by_day;
      break;
    case 'sla':
      rows = data.by_clock;
      break;
    case 'backlog':
      rows = data.waiting_age;
      break;
    case 'agents':
    case 'teams':
      rows = data.rows;
      break;
    case 'trends':
      rows = data.sentiment;
      break;
    case 'turnaround':
      rows = [{ what: 'approval', ...data.approval }, { what: 'expert', ...data.expert }];
      break;
    case 'handling-time':
      rows = [['all', data.overall], ...data.by_network.map((r: any) => [`network: ${r.network}`, r]), ...data.by_team.map((r: any) => [`team: ${r.name}`, r])].map(([group, r]: any) => ({
        group, n: r.n, mean_min: r.mean_min, median_min: r.median_min, trimmed_mean_min: r.trimmed_mean_min, p90_min: r.p90_min, capped: r.capped,
      }));
      break;
  }
  // an empty table still names its columns, so a spreadsheet or a script reading it sees a header
  const cols = rows.length ? [...new Set(rows.flatMap((r) => Object.keys(r)))] : [...(EMPTY_COLUMNS[name] ?? [])];
  const cell = (v: unknown) => {
    let s = v == null ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
