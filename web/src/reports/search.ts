/**
 * The Reports URL: `/reports/<section>?period=30d&team=2&business=1&...` — the period,
 * every filter and the staffing inputs live in the URL, so a report can be bookmarked
 * and shared. Parsed here (small: the router imports it eagerly); the heavy report
 * pages load lazily.
 */

export const SECTIONS = ['volume', 'response-time', 'quality', 'people', 'trends', 'backlog', 'staffing'] as const;
export type Section = (typeof SECTIONS)[number];

export const SECTION_LABEL: Record<Section, string> = {
  volume: 'Volume',
  'response-time': 'Response time',
  quality: 'Response rate & SLA',
  people: 'Agents & teams',
  trends: 'Sentiment & categories',
  backlog: 'Backlog',
  staffing: 'Staffing',
};

export const PERIODS = ['7d', '30d', '90d', 'all', 'custom'] as const;
export type Period = (typeof PERIODS)[number];

export const PERIOD_LABEL: Record<Period, string> = {
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  all: 'All time',
  custom: 'Custom dates',
};

export const METRICS = ['first-response', 'next-response', 'reply-time'] as const;
export type Metric = (typeof METRICS)[number];

export interface ReportsSearch {
  /** Absent: the last 30 days, or all time when those are empty. */
  period?: Period;
  /** Custom period, brand-local dates (YYYY-MM-DD), both inclusive. */
  from?: string;
  to?: string;
  team?: number;
  agent?: number;
  channel?: number;
  network?: string;
  visibility?: 'public' | 'private';
  business?: 1;
  /** Response-time section: which measurement. */
  metric?: Metric;
  // Staffing inputs (human units: minutes and percent).
  aht?: number;
  sl?: number;
  within?: number;
  shrink?: number;
  occ?: number;
  conc?: number;
  patience?: number;
}

export function isSection(s: string): s is Section {
  return (SECTIONS as readonly string[]).includes(s);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isDate(s: unknown): s is string {
  if (typeof s !== 'string' || !DATE.test(s)) return false;
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d && y >= 2000 && y <= 2100;
}

const posInt = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};
const num = (v: unknown, min: number, max: number): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,6}(\.\d{1,3})?$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n >= min && n <= max ? n : undefined;
};

export function parseReportsSearch(raw: Record<string, unknown>): ReportsSearch {
  const out: ReportsSearch = {};
  if (typeof raw.period === 'string' && (PERIODS as readonly string[]).includes(raw.period)) out.period = raw.period as Period;
  if (isDate(raw.from)) out.from = raw.from;
  if (isDate(raw.to)) out.to = raw.to;
  if (out.period === 'custom' && !(out.from && out.to && out.from <= out.to)) {
    // a custom period needs both dates in order; otherwise fall back to the default
    delete out.period;
  }
  if (out.period !== 'custom') {
    delete out.from;
    delete out.to;
  }
  for (const k of ['team', 'agent', 'channel'] as const) {
    const n = posInt(raw[k]);
    if (n !== undefined) out[k] = n;
  }
  if (typeof raw.network === 'string' && /^[a-z]{1,20}$/.test(raw.network)) out.network = raw.network;
  if (raw.visibility === 'public' || raw.visibility === 'private') out.visibility = raw.visibility;
  if (raw.business === 1 || raw.business === '1' || raw.business === true) out.business = 1;
  if (typeof raw.metric === 'string' && (METRICS as readonly string[]).includes(raw.metric)) out.metric = raw.metric as Metric;
  const aht = num(raw.aht, 0.1, 1440);
  if (aht !== undefined) out.aht = aht;
  const sl = num(raw.sl, 1, 99.9);
  if (sl !== undefined) out.sl = sl;
  const within = num(raw.within, 0.1, 1440);
  if (within !== undefined) out.within = within;
  const shrink = num(raw.shrink, 0, 95);
  if (shrink !== undefined) out.shrink = shrink;
  const occ = num(raw.occ, 10, 100);
  if (occ !== undefined) out.occ = occ;
  const conc = posInt(raw.conc);
  if (conc !== undefined && conc <= 20) out.conc = conc;
  const patience = num(raw.patience, 0.1, 1440);
  if (patience !== undefined) out.patience = patience;
  return out;
}

/** The filters (not the period, section or staffing inputs) that are on. */
export function activeFilterCount(s: ReportsSearch): number {
  return (['team', 'agent', 'channel', 'network', 'visibility', 'business'] as const).filter((k) => s[k] !== undefined).length;
}
