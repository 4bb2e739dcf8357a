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
import { bucketValue, deltasOf, HOUR, type Fact, type RollupRow } from '../store/rollup.js';
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
}

/** Percentiles are computed from the raw facts up to this many values in a selection, from histograms beyond. */
export const EXACT_LIMIT = 100_000;

const n = (v: unknown) => Number(v ?? 0);

/**
 * The aggregated facts of a selection: rollup rows for the whole hours inside
 * the period, plus the raw facts of the partial hours at its edges turned into
 * rollup-shaped rows — so counts are exact whatever the period.
 */
async function aggregates(store: Store, f: ReportFilter, kinds: string[]): Promise<RollupRow[]> {
  const from = f.from ?? -Infinity;
  const to = f.to ?? Infinity;
  const hFrom = Number.isFinite(from) ? Math.ceil(from / HOUR) * HOUR : -Infinity;
  const hTo = Number.isFinite(to) ? Math.floor(to / HOUR) * HOUR : Infinity;
  let q = store.db.selectFrom('fact_rollup').selectAll().where('brand_id', '=', f.brandId).where('kind', 'in', kinds);
  if (Number.isFinite(hFrom)) q = q.where('hour', '>=', hFrom);
  if (Number.isFinite(hTo)) q = q.where('hour', '<', hTo);
  if (f.teamId != null) q = q.where('team_id', '=', f.teamId);
  if (f.agentId != null) q = q.where('agent_id', '=', f.agentId);
  if (f.channelAccountId != null) q = q.where('channel_account_id', '=', f.channelAccountId);
  if (f.network) q = q.where('network', '=', f.network);
  if (f.visibility) q = q.where('visibility', '=', f.visibility);
  const rows: RollupRow[] = (await q.execute()).map((r) => ({ ...r, n: Number(r.n) }));
  const edges: [number, number][] = [];
  if (hFrom > hTo) edges.push([from, to]); // the whole period is inside one hour
  else {
    if (Number.isFinite(from) && from < hFrom) edges.push([from, hFrom]);
    if (Number.isFinite(to) && hTo < to) edges.push([hTo, to]);
  }
  for (const [a, b] of edges) {
    const raw = await facts(store, { ...f, from: a, to: b }, kinds).selectAll().execute();
    rows.push(...deltasOf(raw as Fact[]).values());
  }
  return rows;
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
function countBy<K>(rows: RollupRow[], key: (r: RollupRow) => K): Map<K, number> {
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

function mergeHists(rows: RollupRow[], business: boolean): Hist {
  const h: Hist = {};
  for (const r of rows) for (const [b, c] of Object.entries(JSON.parse(business ? r.hist_b : r.hist) as Hist)) h[b] = (h[b] ?? 0) + c;
  return h;
}

/** Percentiles from a histogram (each value stands for its bucket's middle; within 2 %). */
export function histStats(h: Hist): DurationStats {
  const entries = Object.entries(h).map(([b, c]) => [Number(b), c] as const).filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, c]) => s + c, 0);
  if (!total) return { n: 0, median_min: null, p25_min: null, p75_min: null, p90_min: null, share_within_60: null, exact: false };
  const at = (p: number) => {
    const target = Math.max(1, Math.ceil(p * total));
    let acc = 0;
    for (const [b, c] of entries) {
      acc += c;
      if (acc >= target) return bucketValue(b) / 60;
    }
    return bucketValue(entries[entries.length - 1]![0]) / 60;
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
  const rows = await aggregates(store, f, [kind]);
  const business = !!f.business;
  const measured = rows.reduce((s, r) => s + Object.values(JSON.parse(business ? r.hist_b : r.hist) as Hist).reduce((a, b) => a + b, 0), 0);
  if (measured <= EXACT_LIMIT) {
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
  const h = mergeHists(rows, business);
  const groups = new Map<number, DurationStats>();
  if (group) {
    const by = new Map<number, RollupRow[]>();
    for (const r of rows) {
      const g = r[group];
      if (!g) continue;
      const l = by.get(g) ?? [];
      l.push(r);
      by.set(g, l);
    }
    for (const [g, rs] of by) groups.set(g, histStats(mergeHists(rs, business)));
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
  const rows = await aggregates(store, f, ['inbound']);
  const heat = new Array<number>(168).fill(0);
  for (const [h, c] of countBy(rows, (r) => r.hour_of_week)) heat[h] = c;
  const byDay = [...countBy(rows, (r) => r.day)].sort((a, b) => a[0].localeCompare(b[0])).map(([day, inbound]) => ({ day, inbound }));
  return { total: heat.reduce((a, b) => a + b, 0), by_hour_of_week: heat, by_day: byDay };
}

/** Share of mentions that needed a response and got one (the seeds' "always respond"). */
export async function responseRateReport(store: Store, f: ReportFilter) {
  const rows = await aggregates(store, f, ['inbound', 'message_response']);
  const needed = countBy(rows.filter((r) => r.kind === 'inbound' && r.needs_response === 1), (r) => r.day);
  const answered = countBy(rows.filter((r) => r.kind === 'message_response' && r.needs_response === 1), (r) => r.day);
  const untriaged = rows.filter((r) => r.kind === 'inbound' && r.needs_response === -1).reduce((s, r) => s + r.n, 0);
  const days = [...needed].map(([day, nd]) => ({ day, needed: nd, answered: answered.get(day) ?? 0 })).sort((x, y) => x.day.localeCompare(y.day));
  const totalNeeded = days.reduce((s, d) => s + d.needed, 0);
  const totalAnswered = days.reduce((s, d) => s + d.answered, 0);
  return { needed: totalNeeded, answered: totalAnswered, rate: totalNeeded ? totalAnswered / totalNeeded : null, untriaged, by_day: days.map((d) => ({ ...d, rate: d.needed ? d.answered / d.needed : null })) };
}

export async function accoladesReport(store: Store, f: ReportFilter) {
  const rows = await aggregates(store, f, ['accolade']);
  const byDay = [...countBy(rows, (r) => r.day)].sort((a, b) => a[0].localeCompare(b[0]));
  return { total: byDay.reduce((s, [, c]) => s + c, 0), by_day: byDay.map(([day, accolades]) => ({ day, accolades })) };
}

/** SLA attainment: clocks met vs breached, overall and per clock. */
export async function slaReport(store: Store, f: ReportFilter) {
  const rows = await aggregates(store, f, ['sla_met', 'sla_breached']);
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
    by_clock: [...byClock].map(([clock, v]) => ({ clock, ...v, attainment: v.met + v.breached ? v.met / (v.met + v.breached) : null })),
  };
}

/** Open work right now: by status, and how long customers have been waiting (current state, in SQL). */
export async function backlogReport(store: Store, brandId: number, now: number) {
  const byStatus = await store.db.selectFrom('conversation').select(['status', (eb) => eb.fn.countAll<number>().as('c')]).where('brand_id', '=', brandId).where('status', 'in', ['new', 'open', 'waiting']).groupBy('status').execute();
  const edges = DURATION_BUCKETS.map((b) => b.maxMin);
  const cols = edges.map((m, i) => {
    const lo = i === 0 ? null : now - edges[i - 1]! * 60_000;
    const hi = Number.isFinite(m) ? now - m * 60_000 : null;
    // waiting_since in (now - m, now - previous]
    const conds = [hi != null ? sql`waiting_since >= ${hi}` : sql`1 = 1`, lo != null ? sql`waiting_since < ${lo}` : sql`1 = 1`];
    return sql<number>`sum(case when ${conds[0]} and ${conds[1]} then 1 else 0 end)`.as(`b${i}`);
  });
  const ages = await store.db.selectFrom('conversation').select(cols as never).where('brand_id', '=', brandId).where('status', 'in', ['new', 'open', 'waiting']).where('waiting_since', 'is not', null).executeTakeFirst() as Record<string, unknown> | undefined;
  const waitingAge = DURATION_BUCKETS.map((b, i) => ({ label: b.label, count: n(ages?.[`b${i}`]) }));
  const oldest = await store.db.selectFrom('conversation').select(['id', 'subject', 'waiting_since', 'priority', 'assignee_id']).where('brand_id', '=', brandId).where('status', 'in', ['new', 'open', 'waiting']).where('waiting_since', 'is not', null).orderBy('waiting_since').limit(10).execute();
  return {
    open: byStatus.reduce((s, r) => s + n(r.c), 0),
    by_status: Object.fromEntries(byStatus.map((r) => [r.status, n(r.c)])),
    waiting: waitingAge.reduce((s, b) => s + b.count, 0),
    waiting_age: waitingAge,
    oldest: oldest.map((o) => ({ id: o.id, subject: o.subject, waiting_min: (now - o.waiting_since!) / 60_000, priority: o.priority, assignee_id: o.assignee_id })),
  };
}

/** Per-agent or per-team table: responses, first-response time, resolutions, accolades, SLA. */
export async function peopleReport(store: Store, f: ReportFilter, by: 'agent' | 'team') {
  const col = by === 'agent' ? 'agent_id' : 'team_id';
  const rows = await aggregates(store, f, ['first_response', 'next_response', 'resolution', 'accolade', 'sla_met', 'sla_breached', 'reopen']);
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
    : new Map((await store.db.selectFrom('team').select(['id', 'name']).where('brand_id', '=', f.brandId).execute()).map((t) => [t.id, t.name]));
  const ids = new Set<number>([...first.groups.keys(), ...next.groups.keys(), ...rows.map((r) => r[col]).filter((x) => x)]);
  return {
    by,
    rows: [...ids].map((id) => {
      const c = (k: string) => counts.get(`${id}:${k}`) ?? 0;
      const met = c('sla_met');
      const breached = c('sla_breached');
      return {
        id, name: names.get(id) ?? `#${id}`, responses: c('first_response') + c('next_response'), first_responses: c('first_response'),
        first_response_median_min: first.groups.get(id)?.median_min ?? null,
        next_response_median_min: next.groups.get(id)?.median_min ?? null,
        resolutions: c('resolution'), reopens: c('reopen'), accolades: c('accolade'), sla_attainment: met + breached ? met / (met + breached) : null,
      };
    }).sort((a, b) => b.responses - a.responses),
  };
}

/** Sentiment and category of inbound mentions by day. */
export async function trendsReport(store: Store, f: ReportFilter) {
  const rows = await aggregates(store, f, ['inbound']);
  const pivot = (key: (r: RollupRow) => string) => {
    const days = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const d = days.get(r.day) ?? {};
      const k = key(r) || 'untriaged';
      d[k] = (d[k] ?? 0) + r.n;
      days.set(r.day, d);
    }
    return [...days].sort((a, b) => a[0].localeCompare(b[0])).map(([day, v]) => ({ day, ...v }));
  };
  return { sentiment: pivot((r) => r.sentiment), category: pivot((r) => r.category) };
}

/** How long replies waited for approval, and questions for experts. */
export async function turnaroundReport(store: Store, f: ReportFilter) {
  const approval = await durationSelection(store, f, 'approval_wait');
  const expert = await durationSelection(store, f, 'expert_wait');
  return { approval: approval.overall, expert: expert.overall };
}

export const REPORTS = ['volume', 'first-response', 'next-response', 'reply-time', 'response-rate', 'accolades', 'sla', 'backlog', 'agents', 'teams', 'trends', 'turnaround'] as const;
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
      return backlogReport(store, f.brandId, now);
    case 'agents':
      return peopleReport(store, f, 'agent');
    case 'teams':
      return peopleReport(store, f, 'team');
    case 'trends':
      return trendsReport(store, f);
    case 'turnaround':
      return turnaroundReport(store, f);
  }
}

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
  }
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => {
    let s = v == null ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
