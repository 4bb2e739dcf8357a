/**
 * Private helpers for the care-workflow core: IANA time-zone arithmetic on top of
 * `Intl.DateTimeFormat` (no date library) and civil-day numbering.
 *
 * Vocabulary used throughout:
 * - *instant*: ms since the Unix epoch (what the domain stores).
 * - *wall ms*: the zone's wall-clock reading expressed as if it were UTC ms, i.e.
 *   `Date.UTC(y, m - 1, d, h, min)`. Subtracting the zone offset turns it into an instant.
 * - *civil day*: whole days since 1970-01-01 on the wall calendar (`floor(wallMs / DAY_MS)`).
 *
 * Formatters are expensive to build, so they are cached per zone; offsets are cached per
 * zone and UTC day (or per minute on the rare days with a transition — post-1970
 * transitions happen on whole minutes) in bounded maps.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A calendar (or its time zone) cannot be used; `code` is stable (`calendar.*`). */
export class CalendarError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CalendarError';
    this.code = code;
  }
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
const canonicalZones = new Map<string, string>();

/**
 * Validates an IANA zone name and returns its canonical spelling (e.g. `europe/london` →
 * `Europe/London`). Throws `CalendarError` (`calendar.invalid_time_zone`) otherwise.
 */
export function canonicalTimeZone(zone: string): string {
  const cached = canonicalZones.get(zone);
  if (cached) return cached;
  if (typeof zone !== 'string' || zone.trim() === '') {
    throw new CalendarError('calendar.invalid_time_zone', 'Time zone is required (an IANA name such as "Europe/London")');
  }
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new CalendarError(
      'calendar.invalid_time_zone',
      `Unknown time zone "${zone}" (expected an IANA name such as "Europe/London")`,
    );
  }
  canonicalZones.set(zone, canonical);
  return canonical;
}

function partsFormatter(zone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US-u-nu-latn', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    partsFormatters.set(zone, f);
  }
  return f;
}

const CACHE_LIMIT = 50_000;
/** Per zone: UTC day → the offset for the whole day, or NaN when it changes that day. */
const dayOffsetCache = new Map<string, Map<number, number>>();
/** Per zone: minute → offset, only used on days with a transition. */
const minuteOffsetCache = new Map<string, Map<number, number>>();

function cacheFor(root: Map<string, Map<number, number>>, zone: string): Map<number, number> {
  let m = root.get(zone);
  if (!m) {
    m = new Map();
    root.set(zone, m);
  }
  return m;
}

/** Offset at a whole-minute instant, straight from Intl. */
function rawOffset(zone: string, at: number): number {
  let year = 1970;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let bc = false;
  for (const p of partsFormatter(zone).formatToParts(at)) {
    switch (p.type) {
      case 'year': year = Number(p.value); break;
      case 'month': month = Number(p.value); break;
      case 'day': day = Number(p.value); break;
      case 'hour': hour = Number(p.value); break;
      case 'minute': min = Number(p.value); break;
      case 'second': sec = Number(p.value); break;
      case 'era': bc = p.value.startsWith('B'); break;
      default: break;
    }
  }
  if (bc) year = 1 - year;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  return d.getTime() - at;
}

/**
 * The zone's UTC offset (ms, east positive) at an instant. Most days have one offset all
 * day: that is checked once per UTC day (offsets at its first and last minute agree — two
 * transitions within a day do not happen) and then served from a map; transition days fall
 * back to a per-minute cache.
 */
export function zoneOffsetMs(zone: string, instant: number): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const dayKey = Math.floor(instant / DAY_MS);
  const days = cacheFor(dayOffsetCache, zone);
  let whole = days.get(dayKey);
  if (whole === undefined) {
    const first = rawOffset(zone, dayKey * DAY_MS);
    const last = rawOffset(zone, dayKey * DAY_MS + DAY_MS - MINUTE_MS);
    whole = first === last ? first : Number.NaN;
    if (days.size >= CACHE_LIMIT) days.clear();
    days.set(dayKey, whole);
  }
  if (!Number.isNaN(whole)) return whole;
  const minute = Math.floor(instant / MINUTE_MS);
  const minutes = cacheFor(minuteOffsetCache, zone);
  const hit = minutes.get(minute);
  if (hit !== undefined) return hit;
  const offset = rawOffset(zone, minute * MINUTE_MS);
  if (minutes.size >= CACHE_LIMIT) minutes.clear();
  minutes.set(minute, offset);
  return offset;
}

/** Instant → wall ms in `zone`. */
export function toWallMs(zone: string, instant: number): number {
  return instant + zoneOffsetMs(zone, instant);
}

/**
 * Wall ms in `zone` → instant, resolving DST like Temporal's `compatible` disambiguation:
 * a wall time skipped by a spring-forward gap moves forward by the gap length (01:30 on the
 * London switch day means 02:30 BST); a repeated wall time (fall-back) takes the earlier one.
 */
export function fromWallMs(zone: string, wallMs: number): number {
  const before = zoneOffsetMs(zone, wallMs - DAY_MS);
  const after = zoneOffsetMs(zone, wallMs + DAY_MS);
  if (before === after) {
    // No transition nearby (the common case): one offset fits.
    const candidate = wallMs - before;
    if (zoneOffsetMs(zone, candidate) === before) return candidate;
  }
  const a = wallMs - before;
  const b = wallMs - after;
  const aValid = zoneOffsetMs(zone, a) === before;
  const bValid = zoneOffsetMs(zone, b) === after;
  if (aValid && bValid) return Math.min(a, b);
  if (aValid) return a;
  if (bValid) return b;
  // In a gap: shift forward by the gap length, i.e. interpret with the earlier offset.
  return wallMs - before;
}

/** Civil day number (days since 1970-01-01 on the wall calendar) of an instant in `zone`. */
export function civilDayOf(zone: string, instant: number): number {
  return Math.floor(toWallMs(zone, instant) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday, for a civil day number. */
export function weekdayOfDay(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** `YYYY-MM-DD` → civil day number, or null when not a real calendar date. */
export function parseIsoDate(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return Math.floor(ms / DAY_MS);
}

/** Civil day number → `YYYY-MM-DD`. */
export function formatIsoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

const abbrevFormatters = new Map<string, Intl.DateTimeFormat>();

function abbrevWith(locale: string, zone: string, instant: number, style: 'short' | 'shortGeneric'): string {
  const key = `${locale}|${style}|${zone}`;
  let f = abbrevFormatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: style });
    abbrevFormatters.set(key, f);
  }
  for (const p of f.formatToParts(instant)) if (p.type === 'timeZoneName') return p.value;
  return zone;
}

const OFFSET_STYLE = /^(GMT|UTC)[+\-\u2212]/;

/**
 * A short zone abbreviation for an instant, as customers read it: "GMT"/"BST",
 * "EST"/"EDT", "CET"/"CEST"; falls back to "GMT+5:30" where no abbreviation is common.
 */
export function zoneAbbreviation(zone: string, instant: number): string {
  const us = abbrevWith('en-US', zone, instant, 'short');
  if (!OFFSET_STYLE.test(us)) return us;
  const gb = abbrevWith('en-GB', zone, instant, 'short');
  return OFFSET_STYLE.test(gb) ? us : gb;
}

/**
 * A zone label that holds all year: "ET", "PT" where a generic form exists, otherwise the
 * winter/summer abbreviations joined ("GMT/BST", "CET/CEST"), or the single one.
 */
export function genericZoneLabel(zone: string): string {
  const generic = abbrevWith('en-US', zone, Date.UTC(2026, 0, 15), 'shortGeneric');
  if (generic.length <= 4 && !OFFSET_STYLE.test(generic) && !/^GMT[+-]?0?$/.test(generic)) return generic;
  const jan = zoneAbbreviation(zone, Date.UTC(2026, 0, 15, 12));
  const jul = zoneAbbreviation(zone, Date.UTC(2026, 6, 15, 12));
  if (jan === jul) return jan;
  // Southern hemisphere: summer abbreviation is January's; list standard time first.
  const janOffset = zoneOffsetMs(zone, Date.UTC(2026, 0, 15, 12));
  const julOffset = zoneOffsetMs(zone, Date.UTC(2026, 6, 15, 12));
  return janOffset < julOffset ? `${jan}/${jul}` : `${jul}/${jan}`;
}
