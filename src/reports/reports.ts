/**
 * Reports aggregate the append-only reporting facts (src/store/facts.ts); they
 * never re-derive history from messages (definitions: docs/metrics.md). Every
 * report takes the same filter: period, team, agent, channel account, network,
 * public/private, and the business-hours toggle (which reads business_s
 * instead of value_s). Durations are reported in minutes with the same
 * percentile definition as `parley report response-times`, so an imported
 * TWCS file gives the same figures both ways.
 */
import type { SelectQueryBuilder } from 'kysely';
import { percentile, replyTimeStats } from '../core/responseTimes.js';
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

const n = (v: unknown) => Number(v ?? 0);

export interface DurationStats {
  n: number;
  median_min: number | null;
  p25_min: number | null;
  p75_min: number | null;
  p90_min: number | null;
  share_within_60: number | null;
}

/** Minutes stats with the TWCS contract's percentile definition (Hyndman–Fan type 2). */
export function durationStats(minutes: number[]): DurationStats {
  if (!minutes.length) return { n: 0, median_min: null, p25_min: null, p75_min: null, p90_min: null, share_within_60: null };
  const s = replyTimeStats(minutes);
  return { n: s.n, median_min: s.medianMin, p25_min: s.p25Min, p75_min: s.p75Min, p90_min: s.p90Min, share_within_60: s.shareWithin60 };
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

function buckets(minutes: number[]) {
  const counts = DURATION_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
  for (const m of minutes) counts[DURATION_BUCKETS.findIndex((b) => m <= b.maxMin)]!.count++;
  return counts;
}

async function durations(store: Store, f: ReportFilter, kind: string) {
  const col = f.business ? 'business_s' : 'value_s';
  const rows = await facts(store, f, [kind]).select(['reporting_fact.channel_account_id as account', 'reporting_fact.agent_id as agent', 'reporting_fact.team_id as team', `reporting_fact.${col} as s`]).where(`reporting_fact.${col}`, 'is not', null).execute();
  return rows.map((r) => ({ account: r.account, agent: r.agent, team: r.team, min: Number(r.s) / 60 }));
}

async function accountNames(store: Store, brandId: number) {
  const rows = await store.db.selectFrom('channel_account').select(['id', 'handle', 'network']).where('brand_id', '=', brandId).execute();
  return new Map(rows.map((r) => [r.id, { handle: r.handle, network: r.network }]));
}

function groupStats<T>(rows: T[], key: (r: T) => number | null, minutes: (r: T) => number) {
  const by = new Map<number, number[]>();
  for (const r of rows) {
    const k = key(r);
    if (k == null) continue;
    let l = by.get(k);
    if (!l) by.set(k, (l = []));
    l.push(minutes(r));
  }
  return by;
}

/** First response (conversation level), next response, or reply time per message. */
export async function responseTimeReport(store: Store, f: ReportFilter, kind: 'first_response' | 'next_response' | 'message_response' = 'first_response') {
  const rows = await durations(store, f, kind);
  const all = rows.map((r) => r.min);
  const names = await accountNames(store, f.brandId);
  const byAccount = [...groupStats(rows, (r) => r.account, (r) => r.min)].map(([id, mins]) => ({
    channel_account_id: id, handle: names.get(id)?.handle ?? String(id), network: names.get(id)?.network ?? null, ...durationStats(mins),
  })).sort((a, b) => b.n - a.n);
  return { kind, business_hours: !!f.business, overall: durationStats(all), buckets: buckets(all), by_channel_account: byAccount };
}

/** Arrivals by hour of week (brand's zone; Monday 00:00 = 0) and by day. */
export async function volumeReport(store: Store, f: ReportFilter) {
  const byHour = await facts(store, f, ['inbound']).select(['hour_of_week', (eb) => eb.fn.countAll<number>().as('c')]).groupBy('hour_of_week').execute();
  const heat = new Array<number>(168).fill(0);
  for (const r of byHour) heat[r.hour_of_week] = n(r.c);
  const byDay = await facts(store, f, ['inbound']).select(['day', (eb) => eb.fn.countAll<number>().as('c')]).groupBy('day').orderBy('day').execute();
  return { total: heat.reduce((a, b) => a + b, 0), by_hour_of_week: heat, by_day: byDay.map((r) => ({ day: r.day, inbound: n(r.c) })) };
}

/** Share of mentions that needed a response and got one (the seeds' "always respond"). */
export async function responseRateReport(store: Store, f: ReportFilter) {
  const needed = await facts(store, f, ['inbound']).select(['day', (eb) => eb.fn.countAll<number>().as('c')]).where('needs_response', '=', 1).groupBy('day').execute();
  const answered = await facts(store, f, ['message_response']).select(['day', (eb) => eb.fn.countAll<number>().as('c')]).where('needs_response', '=', 1).groupBy('day').execute();
  const untriaged = await facts(store, f, ['inbound']).select((eb) => eb.fn.countAll<number>().as('c')).where('needs_response', 'is', null).executeTakeFirst();
  const a = new Map(answered.map((r) => [r.day, n(r.c)]));
  const days = needed.map((r) => ({ day: r.day, needed: n(r.c), answered: a.get(r.day) ?? 0 })).sort((x, y) => x.day.localeCompare(y.day));
  const totalNeeded = days.reduce((s, d) => s + d.needed, 0);
  const totalAnswered = days.reduce((s, d) => s + d.answered, 0);
  return { needed: totalNeeded, answered: totalAnswered, rate: totalNeeded ? totalAnswered / totalNeeded : null, untriaged: n(untriaged?.c), by_day: days.map((d) => ({ ...d, rate: d.needed ? d.answered / d.needed : null })) };
}

export async function accoladesReport(store: Store, f: ReportFilter) {
  const rows = await facts(store, f, ['accolade']).select(['day', (eb) => eb.fn.countAll<number>().as('c')]).groupBy('day').orderBy('day').execute();
  return { total: rows.reduce((s, r) => s + n(r.c), 0), by_day: rows.map((r) => ({ day: r.day, accolades: n(r.c) })) };
}

/** SLA attainment: clocks met vs breached, overall and by priority band and clock. */
export async function slaReport(store: Store, f: ReportFilter) {
  // the clock's name is in `data` (portable: no JSON functions in SQL)
  const detail = await facts(store, f, ['sla_met', 'sla_breached']).select(['kind', 'priority', 'data']).execute();
  const byClock = new Map<string, { met: number; breached: number }>();
  let met = 0;
  let breached = 0;
  for (const r of detail) {
    let clock = 'first_response';
    try {
      clock = (JSON.parse(r.data ?? '{}') as { clock?: string }).clock ?? clock;
    } catch { /* keep default */ }
    const e = byClock.get(clock) ?? { met: 0, breached: 0 };
    if (r.kind === 'sla_met') (e.met++, met++);
    else (e.breached++, breached++);
    byClock.set(clock, e);
  }
  return {
    met, breached, attainment: met + breached ? met / (met + breached) : null,
    by_clock: [...byClock].map(([clock, v]) => ({ clock, ...v, attainment: v.met + v.breached ? v.met / (v.met + v.breached) : null })),
  };
}

/** Open work right now: by status, and how long customers have been waiting. */
export async function backlogReport(store: Store, brandId: number, now: number) {
  const byStatus = await store.db.selectFrom('conversation').select(['status', (eb) => eb.fn.countAll<number>().as('c')]).where('brand_id', '=', brandId).where('status', '!=', 'resolved').groupBy('status').execute();
  const ages = await store.db.selectFrom('conversation').select('waiting_since').where('brand_id', '=', brandId).where('status', '!=', 'resolved').where('waiting_since', 'is not', null).execute();
  const mins = ages.map((r) => (now - r.waiting_since!) / 60_000);
  const oldest = await store.db.selectFrom('conversation').select(['id', 'subject', 'waiting_since', 'priority', 'assignee_id']).where('brand_id', '=', brandId).where('status', '!=', 'resolved').where('waiting_since', 'is not', null).orderBy('waiting_since').limit(10).execute();
  return {
    open: byStatus.reduce((s, r) => s + n(r.c), 0),
    by_status: Object.fromEntries(byStatus.map((r) => [r.status, n(r.c)])),
    waiting: mins.length,
    waiting_age: buckets(mins),
    oldest: oldest.map((o) => ({ id: o.id, subject: o.subject, waiting_min: (now - o.waiting_since!) / 60_000, priority: o.priority, assignee_id: o.assignee_id })),
  };
}

/** Per-agent or per-team table: responses, first-response time, resolutions, accolades, SLA. */
export async function peopleReport(store: Store, f: ReportFilter, by: 'agent' | 'team') {
  const col = by === 'agent' ? 'agent_id' : 'team_id';
  const first = await durations(store, f, 'first_response');
  const next = await durations(store, f, 'next_response');
  const counts = await facts(store, f, ['first_response', 'next_response', 'resolution', 'accolade', 'sla_met', 'sla_breached', 'reopen'])
    .select([`reporting_fact.${col} as who`, 'kind', (eb) => eb.fn.countAll<number>().as('c')])
    .groupBy([`reporting_fact.${col}`, 'kind'])
    .execute();
  const names = by === 'agent'
    ? new Map((await store.db.selectFrom('app_user').select(['id', 'name']).where('brand_id', '=', f.brandId).execute()).map((u) => [u.id, u.name]))
    : new Map((await store.db.selectFrom('team').select(['id', 'name']).where('brand_id', '=', f.brandId).execute()).map((t) => [t.id, t.name]));
  const firstBy = groupStats(first, (r) => (by === 'agent' ? r.agent : r.team), (r) => r.min);
  const nextBy = groupStats(next, (r) => (by === 'agent' ? r.agent : r.team), (r) => r.min);
  const ids = new Set<number>([...firstBy.keys(), ...nextBy.keys(), ...counts.map((c) => c.who).filter((x): x is number => x != null)]);
  return {
    by,
    rows: [...ids].map((id) => {
      const c = (k: string) => n(counts.find((x) => x.who === id && x.kind === k)?.c);
      const fm = firstBy.get(id) ?? [];
      const nm = nextBy.get(id) ?? [];
      const met = c('sla_met');
      const breached = c('sla_breached');
      return {
        id, name: names.get(id) ?? `#${id}`, responses: c('first_response') + c('next_response'), first_responses: c('first_response'),
        first_response_median_min: fm.length ? percentile([...fm].sort((a, b) => a - b), 0.5) : null,
        next_response_median_min: nm.length ? percentile([...nm].sort((a, b) => a - b), 0.5) : null,
        resolutions: c('resolution'), reopens: c('reopen'), accolades: c('accolade'), sla_attainment: met + breached ? met / (met + breached) : null,
      };
    }).sort((a, b) => b.responses - a.responses),
  };
}

/** Sentiment and category of inbound mentions by day. */
export async function trendsReport(store: Store, f: ReportFilter) {
  const sent = await facts(store, f, ['inbound']).select(['day', 'sentiment', (eb) => eb.fn.countAll<number>().as('c')]).groupBy(['day', 'sentiment']).orderBy('day').execute();
  const cat = await facts(store, f, ['inbound']).select(['day', 'category', (eb) => eb.fn.countAll<number>().as('c')]).groupBy(['day', 'category']).orderBy('day').execute();
  const pivot = (rows: { day: string; c: unknown }[], key: (r: any) => string | null) => {
    const days = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const d = days.get(r.day) ?? {};
      d[key(r) ?? 'untriaged'] = n(r.c);
      days.set(r.day, d);
    }
    return [...days].map(([day, v]) => ({ day, ...v }));
  };
  return { sentiment: pivot(sent, (r) => r.sentiment), category: pivot(cat, (r) => r.category) };
}

/** How long replies waited for approval, and questions for experts. */
export async function turnaroundReport(store: Store, f: ReportFilter) {
  const approval = await durations(store, f, 'approval_wait');
  const expert = await durations(store, f, 'expert_wait');
  return { approval: durationStats(approval.map((r) => r.min)), expert: durationStats(expert.map((r) => r.min)) };
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
