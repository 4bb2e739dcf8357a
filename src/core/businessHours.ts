/**
 * Business-hours calendars: when the care desk is staffed.
 *
 * A calendar is plain data (an IANA zone, weekly hours, holidays) so it can be stored as
 * JSON and edited in the admin UI. Every function takes instants (ms since epoch) and is
 * pure. `null` means "no calendar": open 24/7 and measured on the plain wall clock.
 *
 * Why no per-minute loops: these run per message on ingest (SLA deadlines) and per fact in
 * reports, so everything iterates over days and their intervals. A compiled form of each
 * calendar (validated, minutes per weekday, holiday map, instants per day) is cached in a
 * WeakMap keyed by the calendar object — treat calendar objects as immutable values.
 *
 * DST: wall times are turned into instants per day, so a 09:00–17:00 day is 8 business
 * hours on switch days too, while an interval that spans the skipped hour is an hour
 * shorter (and one spanning the repeated hour an hour longer). A wall time that does not
 * exist moves forward by the gap (01:30 → 02:30 BST), like Temporal's `compatible`.
 */

import {
  CalendarError,
  DAY_MS,
  MINUTE_MS,
  canonicalTimeZone,
  civilDayOf,
  formatIsoDate,
  fromWallMs,
  parseIsoDate,
  toWallMs,
  weekdayOfDay,
} from './wf_time.js';

export { CalendarError } from './wf_time.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** Weekday keys; index in `WEEKDAYS` is JavaScript's `getDay()` numbering (0 = Sunday). */
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * One staffed interval in wall-clock time, `HH:MM` 24-hour. `end` may be `24:00`.
 * When `end` is not after `start` the interval runs overnight into the next day
 * (22:00–02:00); it belongs to the day it starts on (a holiday on that day removes it).
 */
export interface HoursInterval {
  start: string;
  end: string;
}

/**
 * A date (in the calendar's zone) with no normal hours. Without `hours` (or with an empty
 * list) the desk is closed all day; with `hours` those replace the weekly hours that day.
 * Several entries for the same date merge: any full closure wins, otherwise hours union.
 */
export interface Holiday {
  /** `YYYY-MM-DD` in the calendar's zone. */
  date: string;
  name?: string | null;
  hours?: HoursInterval[] | null;
}

export interface BusinessCalendar {
  /** IANA zone, e.g. `Europe/London`. */
  timeZone: string;
  /** Staffed intervals per weekday; a missing or empty day is closed. */
  weekly: Partial<Record<Weekday, HoursInterval[]>>;
  holidays?: Holiday[] | null;
}

/** An open period, `[start, end)` in instants. */
export interface OpenPeriod {
  start: number;
  end: number;
}

export interface CalendarIssue {
  code: string;
  message: string;
  /** Where in the calendar, e.g. `weekly.mon[1].end`, `holidays[3].date`. */
  path: string;
}

type MinuteInterval = readonly [number, number];

interface CompiledCalendar {
  zone: string;
  /** Index 0 = Sunday; minutes from the day's midnight, end may exceed 1440 (overnight). */
  weekly: MinuteInterval[][];
  weeklyEmpty: boolean;
  /** Civil day → its intervals (empty = closed all day). */
  special: Map<number, MinuteInterval[]>;
  /** Sorted civil days of special entries that have hours. */
  specialOpenDays: number[];
  lastSpecialDay: number;
  neverOpen: boolean;
  /** Civil day → flat [start0, end0, start1, end1, ...] instants of intervals starting that day. */
  dayCache: Map<number, number[]>;
}

const DAY_CACHE_LIMIT = 20_000;
/** After the last holiday the weekly pattern repeats, so two weeks past it decide "never". */
const HORIZON_DAYS = 15;
const compiledCache = new WeakMap<BusinessCalendar, CompiledCalendar>();

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

function parseTime(value: unknown, allow24: boolean): number | null {
  if (typeof value !== 'string') return null;
  if (allow24 && value === '24:00') return 1440;
  const m = TIME_RE.exec(value);
  if (!m) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}

function compileIntervals(list: unknown, path: string, issues: CalendarIssue[]): MinuteInterval[] {
  if (list == null) return [];
  if (!Array.isArray(list)) {
    issues.push({ code: 'calendar.invalid_hours', message: 'Hours must be a list of {start, end}', path });
    return [];
  }
  const out: Array<[number, number]> = [];
  list.forEach((iv: unknown, i) => {
    const p = `${path}[${i}]`;
    const rec = (iv ?? {}) as { start?: unknown; end?: unknown };
    const start = parseTime(rec.start, false);
    const end = parseTime(rec.end, true);
    if (start === null) {
      issues.push({ code: 'calendar.invalid_time', message: `Start must be HH:MM (00:00–23:59), got ${JSON.stringify(rec.start)}`, path: `${p}.start` });
    }
    if (end === null) {
      issues.push({ code: 'calendar.invalid_time', message: `End must be HH:MM (00:00–24:00), got ${JSON.stringify(rec.end)}`, path: `${p}.end` });
    }
    if (start === null || end === null) return;
    if (end === start) {
      issues.push({ code: 'calendar.empty_interval', message: `Interval ${String(rec.start)}–${String(rec.end)} is empty; use 00:00–24:00 for a full day`, path: p });
      return;
    }
    out.push([start, end > start ? end : end + 1440]);
  });
  return mergeMinutes(out);
}

/** Sorts and merges overlapping or touching intervals of one day. */
function mergeMinutes(list: readonly MinuteInterval[]): MinuteInterval[] {
  const sorted = [...list].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const iv of sorted) {
    const last = merged[merged.length - 1];
    if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
    else merged.push([iv[0], iv[1]]);
  }
  return merged;
}

function compileUnchecked(cal: BusinessCalendar, issues: CalendarIssue[]): CompiledCalendar | null {
  if (cal === null || typeof cal !== 'object') {
    issues.push({ code: 'calendar.invalid', message: 'Calendar must be an object', path: '' });
    return null;
  }
  let zone = '';
  try {
    zone = canonicalTimeZone(cal.timeZone);
  } catch (e) {
    issues.push({ code: 'calendar.invalid_time_zone', message: (e as Error).message, path: 'timeZone' });
  }
  const weekly: MinuteInterval[][] = [[], [], [], [], [], [], []];
  const weeklyRaw = (cal.weekly ?? {}) as Record<string, unknown>;
  if (typeof weeklyRaw !== 'object' || Array.isArray(weeklyRaw)) {
    issues.push({ code: 'calendar.invalid_weekly', message: 'Weekly hours must map weekday keys (mon…sun) to intervals', path: 'weekly' });
  } else {
    for (const key of Object.keys(weeklyRaw)) {
      const idx = (WEEKDAYS as readonly string[]).indexOf(key);
      if (idx < 0) {
        issues.push({ code: 'calendar.invalid_weekday', message: `Unknown weekday "${key}" (expected one of ${WEEKDAYS.join(', ')})`, path: `weekly.${key}` });
        continue;
      }
      weekly[idx] = compileIntervals(weeklyRaw[key], `weekly.${key}`, issues);
    }
  }
  const special = new Map<number, MinuteInterval[]>();
  const closedAllDay = new Set<number>();
  const holidays = cal.holidays ?? [];
  if (!Array.isArray(holidays)) {
    issues.push({ code: 'calendar.invalid_holidays', message: 'Holidays must be a list', path: 'holidays' });
  } else {
    holidays.forEach((h, i) => {
      const day = parseIsoDate(String(h?.date ?? ''));
      if (day === null) {
        issues.push({ code: 'calendar.invalid_date', message: `Holiday date must be a real YYYY-MM-DD date, got ${JSON.stringify(h?.date)}`, path: `holidays[${i}].date` });
        return;
      }
      const hours = compileIntervals(h.hours, `holidays[${i}].hours`, issues);
      if (hours.length === 0) closedAllDay.add(day);
      const prev = special.get(day);
      if (!prev) special.set(day, hours);
      else special.set(day, mergeMinutes([...prev, ...hours]));
    });
  }
  for (const day of closedAllDay) special.set(day, []);
  if (issues.length > 0) return null;
  const weeklyEmpty = weekly.every((d) => d.length === 0);
  const specialOpenDays = [...special.entries()].filter(([, v]) => v.length > 0).map(([d]) => d).sort((a, b) => a - b);
  const specialDays = [...special.keys()];
  return {
    zone,
    weekly,
    weeklyEmpty,
    special,
    specialOpenDays,
    lastSpecialDay: specialDays.length ? Math.max(...specialDays) : Number.NEGATIVE_INFINITY,
    neverOpen: weeklyEmpty && specialOpenDays.length === 0,
    dayCache: new Map(),
  };
}

/**
 * Lists what is wrong with a calendar (empty when it is usable). For API validation:
 * every other function throws a `CalendarError` with the first issue instead.
 */
export function validateCalendar(cal: BusinessCalendar): CalendarIssue[] {
  const issues: CalendarIssue[] = [];
  compileUnchecked(cal, issues);
  return issues;
}

function compile(cal: BusinessCalendar): CompiledCalendar {
  const hit = compiledCache.get(cal);
  if (hit) return hit;
  const issues: CalendarIssue[] = [];
  const cc = compileUnchecked(cal, issues);
  if (!cc) {
    const first = issues[0]!;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new CalendarError(first.code, `Invalid business calendar at ${first.path || '(root)'}: ${first.message}${more}`);
  }
  compiledCache.set(cal, cc);
  return cc;
}

function intervalsOfDay(cc: CompiledCalendar, day: number): readonly MinuteInterval[] {
  return cc.special.get(day) ?? cc.weekly[weekdayOfDay(day)]!;
}

/** Instants of the intervals that start on civil `day`, flat [s, e, s, e, ...], sorted. */
function dayInstants(cc: CompiledCalendar, day: number): number[] {
  const hit = cc.dayCache.get(day);
  if (hit) return hit;
  const ivs = intervalsOfDay(cc, day);
  const out: number[] = [];
  if (ivs.length > 0) {
    const base = day * DAY_MS;
    const pairs: Array<[number, number]> = [];
    for (const [s, e] of ivs) {
      const start = fromWallMs(cc.zone, base + s * MINUTE_MS);
      const end = fromWallMs(cc.zone, base + e * MINUTE_MS);
      // Entirely inside a spring-forward gap: nothing to staff.
      if (end > start) pairs.push([start, end]);
    }
    pairs.sort((a, b) => a[0] - b[0]);
    for (const [s, e] of pairs) out.push(s, e);
  }
  if (cc.dayCache.size >= DAY_CACHE_LIMIT) cc.dayCache.clear();
  cc.dayCache.set(day, out);
  return out;
}

/** Merged open periods intersecting [from, to), clipped to it, as flat [s, e, ...]. */
function collectOpen(cc: CompiledCalendar, from: number, to: number): number[] {
  if (!(to > from) || cc.neverOpen) return [];
  // An overnight interval from the previous day can cover `from`.
  const firstDay = civilDayOf(cc.zone, from) - 1;
  const lastDay = civilDayOf(cc.zone, to);
  const raw: Array<[number, number]> = [];
  let sorted = true;
  let lastStart = Number.NEGATIVE_INFINITY;
  for (let day = firstDay; day <= lastDay; day++) {
    const inst = dayInstants(cc, day);
    for (let i = 0; i < inst.length; i += 2) {
      const s = inst[i]!;
      const e = inst[i + 1]!;
      if (e <= from || s >= to) continue;
      if (s < lastStart) sorted = false;
      lastStart = s;
      raw.push([s, e]);
    }
  }
  // Only a gap spanning midnight can disorder starts; sort just in case.
  if (!sorted) raw.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  let cs = Number.NaN;
  let ce = Number.NaN;
  for (const [s, e] of raw) {
    if (!Number.isNaN(cs) && s <= ce) {
      if (e > ce) ce = e;
    } else {
      if (!Number.isNaN(cs)) out.push(Math.max(cs, from), Math.min(ce, to));
      cs = s;
      ce = e;
    }
  }
  if (!Number.isNaN(cs)) out.push(Math.max(cs, from), Math.min(ce, to));
  return out;
}

function horizonInstant(cc: CompiledCalendar, t: number): number {
  const day = Math.max(civilDayOf(cc.zone, t), cc.lastSpecialDay) + HORIZON_DAYS;
  return fromWallMs(cc.zone, day * DAY_MS);
}

function assertInstant(t: number, name: string): void {
  if (typeof t !== 'number' || !Number.isFinite(t)) {
    throw new CalendarError('calendar.invalid_instant', `${name} must be a finite number of ms since epoch, got ${String(t)}`);
  }
}

/** True when the desk is staffed at instant `t`. A `null` calendar is always open. */
export function isOpen(cal: BusinessCalendar | null, t: number): boolean {
  assertInstant(t, 't');
  if (cal === null) return true;
  const cc = compile(cal);
  if (cc.neverOpen) return false;
  const day = civilDayOf(cc.zone, t);
  for (const d of [day - 1, day]) {
    const inst = dayInstants(cc, d);
    for (let i = 0; i < inst.length; i += 2) if (inst[i]! <= t && t < inst[i + 1]!) return true;
  }
  return false;
}

const WINDOW_MS = 8 * DAY_MS;

/**
 * The earliest instant at or after `t` when the desk is open: `t` itself when open now,
 * otherwise the next opening. `null` when it never opens again (empty calendar, or only
 * closures from here on).
 */
export function nextOpening(cal: BusinessCalendar | null, t: number): number | null {
  assertInstant(t, 't');
  if (cal === null) return t;
  const cc = compile(cal);
  if (cc.neverOpen) return null;
  const horizon = horizonInstant(cc, t);
  let from = t;
  while (from < horizon) {
    if (cc.weeklyEmpty) {
      // Only special days open: jump straight to the next one.
      const day = civilDayOf(cc.zone, from) - 1;
      const next = cc.specialOpenDays.find((d) => d >= day);
      if (next === undefined) return null;
      from = Math.max(from, fromWallMs(cc.zone, (next - 1) * DAY_MS));
    }
    const open = collectOpen(cc, from, from + WINDOW_MS);
    if (open.length > 0) return open[0]!;
    from += WINDOW_MS;
  }
  return null;
}

/**
 * The earliest instant at or after `t` when the desk is closed: `t` itself when closed
 * now, otherwise the end of the current open period (overnight and back-to-back intervals
 * count as one period). `null` when it never closes (24/7, or a `null` calendar).
 */
export function nextClosing(cal: BusinessCalendar | null, t: number): number | null {
  assertInstant(t, 't');
  if (cal === null) return null;
  const cc = compile(cal);
  if (cc.neverOpen) return t;
  const horizon = horizonInstant(cc, t);
  let from = t;
  while (from < horizon) {
    const open = collectOpen(cc, from, from + WINDOW_MS);
    if (open.length === 0 || open[0]! > from) return from;
    const end = open[1]!;
    if (end < from + WINDOW_MS) return end;
    from += WINDOW_MS;
  }
  return null;
}

/**
 * Staffed milliseconds in [from, to) — 0 when `to` is not after `from`. With a `null`
 * calendar, plain elapsed time.
 */
export function businessMsBetween(cal: BusinessCalendar | null, from: number, to: number): number {
  assertInstant(from, 'from');
  assertInstant(to, 'to');
  if (!(to > from)) return 0;
  if (cal === null) return to - from;
  const open = collectOpen(compile(cal), from, to);
  let sum = 0;
  for (let i = 0; i < open.length; i += 2) sum += open[i + 1]! - open[i]!;
  return sum;
}

/**
 * The deadline `ms` staffed milliseconds after `from`: the earliest instant `d` with
 * `businessMsBetween(cal, from, d) >= ms`. So 30 minutes from Friday 16:45 with 09:00–17:00
 * hours is Monday 09:15, and a budget used up exactly at closing time is the closing instant.
 * `ms <= 0` gives `from`. `null` when the calendar never provides that much time.
 */
export function addBusinessMs(cal: BusinessCalendar | null, from: number, ms: number): number | null {
  assertInstant(from, 'from');
  if (typeof ms !== 'number' || Number.isNaN(ms)) {
    throw new CalendarError('calendar.invalid_duration', `ms must be a number, got ${String(ms)}`);
  }
  if (ms <= 0) return from;
  if (ms === Number.POSITIVE_INFINITY) return null;
  if (cal === null) return from + ms;
  const cc = compile(cal);
  if (cc.neverOpen) return null;
  let remaining = ms;
  let cursor = from;
  // Windows grow so that long budgets (weeks of business time) need few iterations.
  let window = WINDOW_MS;
  for (;;) {
    const open = collectOpen(cc, cursor, cursor + window);
    if (open.length === 0) {
      if (nextOpening(cal, cursor) === null) return null;
    }
    for (let i = 0; i < open.length; i += 2) {
      const len = open[i + 1]! - open[i]!;
      if (remaining <= len) return open[i]! + remaining;
      remaining -= len;
    }
    cursor += window;
    if (window < 64 * DAY_MS) window *= 2;
  }
}

/**
 * Merged open periods overlapping [from, to), clipped to it — for charts and staffing
 * views. A `null` calendar gives the whole range.
 */
export function openingsInRange(cal: BusinessCalendar | null, from: number, to: number): OpenPeriod[] {
  assertInstant(from, 'from');
  assertInstant(to, 'to');
  if (!(to > from)) return [];
  if (cal === null) return [{ start: from, end: to }];
  const open = collectOpen(compile(cal), from, to);
  const out: OpenPeriod[] = [];
  for (let i = 0; i < open.length; i += 2) out.push({ start: open[i]!, end: open[i + 1]! });
  return out;
}

/** The calendar's canonical zone name (validates the calendar). */
export function calendarTimeZone(cal: BusinessCalendar): string {
  return compile(cal).zone;
}

/** A weekly interval in minutes from midnight; `end` may exceed 1440 when overnight. */
export interface WeeklyMinutes {
  start: number;
  end: number;
}

/**
 * The validated, merged weekly hours per weekday (index 0 = Sunday), in minutes — for
 * rendering summaries such as the profile availability line.
 */
export function weeklyMinutes(cal: BusinessCalendar): WeeklyMinutes[][] {
  return compile(cal).weekly.map((day) => day.map(([start, end]) => ({ start, end })));
}

/** Civil date (`YYYY-MM-DD`) of an instant in the calendar's zone. */
export function localDate(cal: BusinessCalendar, t: number): string {
  assertInstant(t, 't');
  return formatIsoDate(civilDayOf(compile(cal).zone, t));
}

/** Minutes since local midnight of an instant in the calendar's zone. */
export function localMinuteOfDay(cal: BusinessCalendar, t: number): number {
  assertInstant(t, 't');
  const wall = toWallMs(compile(cal).zone, t);
  return Math.floor((((wall % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
}
