/** Local calendar parts of an instant in an IANA time zone, with cached formatters. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

const WEEKDAY: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

export interface LocalParts {
  /** 0..167: Monday 00:00–00:59 is 0. */
  hourOfWeek: number;
  /** YYYY-MM-DD */
  day: string;
}

/**
 * Since 1980 every zone's UTC offset, and every change of it, falls on a multiple of
 * 15 minutes, so an instant's local hour and date are those of its quarter hour:
 * cached per zone and quarter hour (a batch's facts share a handful of them).
 */
const QUARTER = 15 * 60_000;
const CACHE_FROM = Date.UTC(1980, 0, 1);
const CACHE_MAX = 4096;
const cache = new Map<string, LocalParts>();

/** Throws RangeError for an unknown zone: validate zones at the edge with `isValidTimeZone`. */
export function localParts(tz: string, t: number): LocalParts {
  if (!(t >= CACHE_FROM)) return computeLocalParts(tz, t);
  const key = `${tz}|${Math.floor(t / QUARTER)}`;
  let p = cache.get(key);
  if (!p) {
    p = computeLocalParts(tz, t);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, p);
  }
  return p;
}

function computeLocalParts(tz: string, t: number): LocalParts {
  const parts = formatter(tz).formatToParts(t);
  let weekday = 'Mon', year = '1970', month = '01', day = '01', hour = '0';
  for (const p of parts) {
    if (p.type === 'weekday') weekday = p.value;
    else if (p.type === 'year') year = p.value;
    else if (p.type === 'month') month = p.value;
    else if (p.type === 'day') day = p.value;
    else if (p.type === 'hour') hour = p.value;
  }
  return { hourOfWeek: (WEEKDAY[weekday] ?? 0) * 24 + Number(hour), day: `${year}-${month}-${day}` };
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
