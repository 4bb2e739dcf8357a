/**
 * Numbers for people: durations ("11.3 min", "6.2 h"), shares ("77.7 %"), calendar days
 * and hours of week in the brand's time zone. Reports send unrounded doubles; rounding
 * happens here only, with `toFixed` on the double — the rounding the reply-time contract
 * publishes (docs/metrics.md: 189 s is 3.1 min, not 3.2), so the UI and
 * `parley report response-times` always print the same figure.
 */

export const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export const DAY_SHORT = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

const pad = (n: number) => String(n).padStart(2, '0');

/** Minutes as "11.3 min", "6.2 h" or "3.1 days"; null as "—". */
export function fmtMin(m: number | null | undefined): string {
  if (m == null || !Number.isFinite(m)) return '—';
  if (m < 60) return `${m.toFixed(1)} min`;
  if (m < 48 * 60) return `${(m / 60).toFixed(1)} h`;
  if (m < 730 * 1440) return `${Math.round(m / 1440).toLocaleString()} days`;
  return `${(m / 1440 / 365.25).toFixed(1)} years`;
}

/** The exact contract figure, in minutes to 0.1 (for titles and tables). */
export function fmtMinExact(m: number | null | undefined): string {
  if (m == null || !Number.isFinite(m)) return '—';
  return `${m.toFixed(1)} min`;
}

/** Seconds as "42 s", "7.1 min", "2.3 h"; null (unbounded) as "unbounded". */
export function fmtSec(s: number | null | undefined): string {
  if (s == null) return 'unbounded';
  if (!Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return fmtMin(s / 60);
}

/** A share 0..1 as "77.7 %" (rounded to 0.001 first, as the contract's share_within_60). */
export function fmtPct(x: number | null | undefined, digits = 1): string {
  if (x == null || !Number.isFinite(x)) return '—';
  return `${(Number(x.toFixed(3)) * 100).toFixed(digits)} %`;
}

export function fmtCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  return Number.isInteger(n) ? n.toLocaleString() : n.toLocaleString(undefined, { maximumFractionDigits: 1 });
}

/** A calendar day ("2017-10-31") as "Tue 31 Oct 2017" (it is already local to the brand). */
export function fmtDay(day: string, withYear = true): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}) });
}

/** Axis labels for a run of days: the year only when the days span more than one. */
export function dayLabels(days: string[]): string[] {
  const years = new Set(days.map((d) => d.slice(0, 4)));
  return days.map((d) => fmtDay(d, years.size > 1));
}

/** Hour of week (0 = Monday 00:00) as "Tuesday 22:00–23:00". */
export function fmtHourOfWeek(h: number, short = false): string {
  const day = (short ? DAY_SHORT : DAY_NAMES)[Math.floor(h / 24)]!;
  const hour = h % 24;
  return `${day} ${pad(hour)}:00–${pad((hour + 1) % 24)}:00`;
}

// ---------------------------------------------------------------------------
// Calendar dates in a time zone

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

function parts(tz: string, t: number) {
  const p = formatter(tz).formatToParts(new Date(t));
  const g = (k: string) => Number(p.find((x) => x.type === k)?.value ?? 0);
  return { y: g('year'), m: g('month'), d: g('day'), h: g('hour'), min: g('minute'), s: g('second') };
}

/** Offset of the zone from UTC at instant t, in ms. */
function offsetMs(tz: string, t: number): number {
  const p = parts(tz, t);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s) - Math.floor(t / 1000) * 1000;
}

/** The instant of local midnight starting `date` (YYYY-MM-DD) in `tz`. */
export function zonedMidnight(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - offsetMs(tz, wall);
  // across a DST change the offset at the guess may differ from the one at midnight
  const again = wall - offsetMs(tz, t);
  if (again !== t) t = again;
  return t;
}

/** Today's date (YYYY-MM-DD) in `tz`. */
export function todayIn(tz: string, now: number): string {
  const p = parts(tz, now);
  return `${p.y}-${pad(p.m)}-${pad(p.d)}`;
}

export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** Days from a to b inclusive (YYYY-MM-DD each). */
export function daysBetween(a: string, b: string): number {
  const ms = (s: string) => {
    const [y, m, d] = s.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((ms(b) - ms(a)) / 86_400_000) + 1;
}

/** Every day from a to b inclusive. */
export function dayRange(a: string, b: string): string[] {
  const out: string[] = [];
  for (let d = a; d <= b && out.length < 5000; d = addDays(d, 1)) out.push(d);
  return out;
}
