/**
 * Burst / incident detection on mention counts per interval (default 5 min):
 * flag an outage, a recall, a viral complaint early, and say why in words an
 * agent can check ("42 mentions in 5 min, 6.3× the usual 6.7 for Tuesday 14:00 GMT").
 *
 * Baseline: for the interval being judged, the median of the counts at the
 * same time of day (± `neighbourhoodMin`) over the last `historyDays` days of
 * the same day type (weekday / weekend) — robust to past bursts and to the
 * daily cycle. Spread: 1.4826 × MAD of the same sample, floored by the Poisson
 * spread √baseline so quiet series are not judged by a zero MAD.
 *
 * Incident rules:
 *  - a *burst interval* has count ≥ `minVolume`, robust z ≥ `openZ`, and
 *    ratio = count / baseline ≥ threshold, where threshold = max(`openRatio`,
 *    `peakFactor` × the series' usual daily peak ratio — median over the last
 *    `peakDays` days), so a series that spikes every day alarms only beyond its habit;
 *  - an incident opens after `persist` burst intervals in a row, or at once when
 *    one interval reaches `instantFactor` × threshold, or after `sustain`
 *    intervals in a row at ≥ `sustainFactor` × threshold (an outage that runs
 *    at a lower multiple for half an hour); not within `cooldownMs` of the
 *    previous incident's close (the same story keeps bubbling);
 *  - hysteresis: it stays open until `closeAfter` intervals in a row are calm
 *    (ratio < `closeRatio`, or count < minVolume / 2).
 *
 * Local time (time of day, weekday / weekend, the day a daily peak belongs to, the words of
 * the reason) is the brand's: with `timeZone` set, each instant's own UTC offset, so "the
 * same time of day" stays the same wall-clock time across a DST change; else the fixed
 * `utcOffsetMin`.
 *
 * `engagementOf` says whether people are working on an incident (the caller then tells them
 * the volume is back to normal instead of closing it under them).
 *
 * Pure: `observe(state, observation)` returns a new state and the events; the
 * caller keeps the state (it is plain data, safe to serialise). Definitions and
 * measured quality on the NAB Twitter series: docs/metrics.md, "Incident detector".
 */

import { canonicalTimeZone, DAY_MS, zoneAbbreviation, zoneOffsetMs } from './wf_time.js';

export interface DetectorConfig {
  /** Interval length in ms (counts are per interval). */
  intervalMs: number;
  /** Days of history kept for the baseline. */
  historyDays: number;
  /** Same-time-of-day neighbourhood (± minutes) pooled into the baseline sample. */
  neighbourhoodMin: number;
  /** Separate weekday and weekend baselines (falls back to all days while history is short). */
  splitWeekend: boolean;
  /** Smallest count that can open an incident. */
  minVolume: number;
  /** count / baseline needed to open. */
  openRatio: number;
  /** Robust z-score needed to open. */
  openZ: number;
  /** An open incident counts as calm below this × baseline. */
  closeRatio: number;
  /** Calm intervals in a row that close an incident. */
  closeAfter: number;
  /** After an incident closes, bursts within this many ms belong to the same story and do not re-open. */
  cooldownMs: number;
  /** Burst intervals in a row needed to open (1 = open on the first). */
  persist: number;
  /** A single interval this many times over the ratio threshold opens at once, without `persist`. */
  instantFactor: number;
  /**
   * Sustained bursts: `sustain` intervals in a row, each at or above `sustainFactor` ×
   * the ratio threshold (and minVolume, openZ), also open. 0 disables.
   */
  sustain: number;
  sustainFactor: number;
  /**
   * Also require the ratio to reach this multiple of the series' typical daily
   * peak ratio (median over the last `peakDays` days): a series that spikes
   * every day only alarms on spikes beyond its habit. 0 disables.
   */
  peakFactor: number;
  /** Days of daily peak ratios kept for `peakFactor`. */
  peakDays: number;
  /** Baseline samples needed before judging anything (warm-up). */
  minSamples: number;
  /** Local time for day types and the words of the reason, minutes east of UTC (when `timeZone` is not set). */
  utcOffsetMin: number;
  /**
   * IANA time zone (the brand's) for local time: each instant's own offset, DST included.
   * Takes the place of `utcOffsetMin`; null or absent: the fixed offset.
   */
  timeZone?: string | null;
}

/**
 * Defaults tuned on the 8 NAB Twitter dev series for few false alarms
 * (docs/metrics.md, "Incident detector", has the figures and the runner-up settings).
 */
export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = {
  intervalMs: 5 * 60_000,
  historyDays: 14,
  neighbourhoodMin: 30,
  splitWeekend: true,
  minVolume: 10,
  openRatio: 4,
  openZ: 8,
  closeRatio: 2,
  closeAfter: 3,
  cooldownMs: 2 * 3_600_000,
  persist: 2,
  instantFactor: 2,
  sustain: 6,
  sustainFactor: 0.5,
  peakFactor: 1.5,
  peakDays: 14,
  minSamples: 26,
  utcOffsetMin: 0,
  timeZone: null,
};

/** Counts seen in one interval [start, start + intervalMs). */
export interface VolumeObservation {
  /** Interval start, ms since the epoch (aligned to intervalMs). */
  start: number;
  count: number;
}

export interface OpenIncident {
  /** Interval start where it opened. */
  openedAt: number;
  /** Count and baseline when it opened. */
  openCount: number;
  openBaseline: number;
  reason: string;
  peakCount: number;
  peakAt: number;
  totalCount: number;
  /** Calm intervals in a row so far. */
  calm: number;
}

export interface DetectorState {
  config: DetectorConfig;
  /** Start of the next expected interval; null before the first observation. */
  nextStart: number | null;
  /** Ring buffer of counts, one per interval over historyDays (-1 = unknown, so the state stays JSON). */
  history: number[];
  /** Index in `history` of the next interval. */
  pos: number;
  open: OpenIncident | null;
  /** Burst intervals in a row so far (while no incident is open). */
  streak: number;
  /** Elevated intervals in a row so far (for `sustain`). */
  elevated: number;
  /** When the last incident closed (interval start), for the cool-down. */
  lastClosedAt: number | null;
  /** Highest ratio seen on each of the last `peakDays` complete local days, oldest first. */
  dayPeaks: number[];
  /** Local day number (days since the epoch) and its running peak ratio. */
  day: number | null;
  dayPeak: number;
}

export interface IncidentEvent {
  kind: 'open' | 'close';
  /** Interval start the event belongs to. */
  at: number;
  incident: OpenIncident;
  /** For `close`: end of the last busy interval. */
  endedAt?: number;
}

export interface Assessment {
  start: number;
  count: number;
  /** Expected count; null during warm-up. */
  baseline: number | null;
  /** count / max(baseline, 1/2), or null. */
  ratio: number | null;
  /** Robust z-score, or null. */
  z: number | null;
  /** A burst interval (an incident opens after `persist` of them, or one large enough). */
  burst: boolean;
}

export interface ObserveResult {
  state: DetectorState;
  events: IncidentEvent[];
  assessment: Assessment;
}

/** History marker for an interval with no observation. */
const UNKNOWN = -1;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A fresh detector. */
export function createDetector(config: Partial<DetectorConfig> = {}): DetectorState {
  const c = { ...DEFAULT_DETECTOR_CONFIG, ...config };
  if (!(c.intervalMs > 0) || DAY_MS % c.intervalMs !== 0) throw new RangeError('intervalMs must divide a day');
  if (!(c.closeAfter >= 1) || !(c.minSamples >= 1)) throw new RangeError('closeAfter and minSamples must be at least 1');
  if (!(c.historyDays >= 1) || !Number.isInteger(c.historyDays)) throw new RangeError('historyDays must be a positive integer');
  if (c.closeRatio > c.openRatio) throw new RangeError('closeRatio must not exceed openRatio (hysteresis)');
  if (c.timeZone) c.timeZone = canonicalTimeZone(c.timeZone); // throws on an unknown zone
  const size = (c.historyDays * DAY_MS) / c.intervalMs;
  return { config: c, nextStart: null, history: new Array<number>(size).fill(UNKNOWN), pos: 0, open: null, streak: 0, elevated: 0, lastClosedAt: null, dayPeaks: [], day: null, dayPeak: 0 };
}

/** The local UTC offset (ms, east positive) at an instant: the zone's own at that instant, else the fixed one. */
function offsetMs(c: Pick<DetectorConfig, 'utcOffsetMin' | 'timeZone'>, ms: number): number {
  return c.timeZone ? zoneOffsetMs(c.timeZone, ms) : c.utcOffsetMin * 60_000;
}

/** Local day number (days since 1970-01-01 on the local calendar). */
function localDay(c: Pick<DetectorConfig, 'utcOffsetMin' | 'timeZone'>, ms: number): number {
  return Math.floor((ms + offsetMs(c, ms)) / DAY_MS);
}

/** Saturday or Sunday in local time (arithmetic: 1970-01-01 was a Thursday). */
function isWeekend(ms: number, c: Pick<DetectorConfig, 'utcOffsetMin' | 'timeZone'>): boolean {
  const day = localDay(c, ms);
  const dow = (((day + 4) % 7) + 7) % 7; // 0 = Sunday
  return dow === 0 || dow === 6;
}

// Scratch space for baseline samples, reused across calls: an implementation
// detail that keeps the per-interval cost to two typed-array sorts.
let scratchSame = new Float64Array(0);
let scratchAll = new Float64Array(0);
let scratchDev = new Float64Array(0);

/**
 * Baseline sample for the interval starting at `start`: counts at the same time
 * of day (± neighbourhood) on previous days still in the ring buffer, same day
 * type when enough of them exist. Returns a view on scratch space.
 */
function baselineSample(state: DetectorState, start: number): Float64Array {
  const c = state.config;
  const size = state.history.length;
  const perDay = DAY_MS / c.intervalMs;
  const half = Math.floor((c.neighbourhoodMin * 60_000) / c.intervalMs);
  const cap = c.historyDays * (2 * half + 1);
  if (scratchAll.length < cap) {
    scratchAll = new Float64Array(cap);
    scratchSame = new Float64Array(cap);
    scratchDev = new Float64Array(cap);
  }
  const weekend = isWeekend(start, c);
  const offsetNow = offsetMs(c, start);
  let nSame = 0;
  let nAll = 0;
  for (let d = 1; d <= c.historyDays; d++) {
    // the same local time of day d days ago: across a DST change it is an hour further (or
    // nearer) than d × 24 h (offsets differ by whole intervals; rounded for odd intervals)
    const shift = Math.round((offsetNow - offsetMs(c, start - d * DAY_MS)) / c.intervalMs);
    for (let o = -half; o <= half; o++) {
      const back = d * perDay - o - shift; // intervals before `start`
      if (back <= 0 || back > size) continue;
      const v = state.history[(state.pos - back + size * 2) % size]!;
      if (v < 0) continue; // unknown
      scratchAll[nAll++] = v;
      if (c.splitWeekend && isWeekend(start - back * c.intervalMs, c) === weekend) scratchSame[nSame++] = v;
    }
  }
  return c.splitWeekend && nSame >= c.minSamples ? scratchSame.subarray(0, nSame) : scratchAll.subarray(0, nAll);
}

function medianSorted(sorted: Float64Array): number {
  const n = sorted.length;
  const m = n >> 1;
  return n % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/** Baseline (median), robust spread and sample size for an interval. */
export function baselineFor(state: DetectorState, start: number): { baseline: number; spread: number; samples: number } | null {
  const sample = baselineSample(state, start);
  const n = sample.length;
  if (n < state.config.minSamples) return null;
  sample.sort();
  const b = medianSorted(sample);
  const dev = scratchDev.subarray(0, n);
  for (let i = 0; i < n; i++) dev[i] = Math.abs(sample[i]! - b);
  dev.sort();
  const mad = medianSorted(dev);
  return { baseline: b, spread: Math.max(1.4826 * mad, Math.sqrt(Math.max(b, 1))), samples: n };
}

/** Count of the interval just before the one being judged, if known. */
function previousCount(s: DetectorState): number | undefined {
  const v = s.history[(s.pos - 1 + s.history.length) % s.history.length]!;
  return v < 0 ? undefined : v;
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1).replace(/\.0$/, '') : x.toFixed(1);
}

/** A fixed offset in minutes east of UTC as a zone label: "UTC", "UTC+01:00", "UTC-05:30". */
function offsetLabel(min: number): string {
  if (min === 0) return 'UTC';
  const a = Math.abs(min);
  return `UTC${min < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * "Tuesday 14:00 GMT" in local time, with the zone it is in: the zone's (`timeZone`, that
 * instant's offset and abbreviation: "BST" in summer) or a fixed offset in minutes east of UTC
 * ("UTC+01:00"). The zone is named because the reason is read beside times shown in other
 * zones (a lead's browser, the reports' brand zone): a bare "14:00" reads as any of them.
 */
export function describeSlot(ms: number, local: number | Pick<DetectorConfig, 'utcOffsetMin' | 'timeZone'>): string {
  const off = typeof local === 'number' ? local * 60_000 : offsetMs(local, ms);
  const d = new Date(ms + off);
  const zone = typeof local !== 'number' && local.timeZone ? zoneAbbreviation(local.timeZone, ms) : offsetLabel(typeof local === 'number' ? local : local.utcOffsetMin);
  return `${WEEKDAYS[d.getUTCDay()]} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')} ${zone}`;
}

/**
 * The human reason for a burst, e.g. "42 mentions in 5 min, 6.3× the usual 6.7
 * for Tuesday 14:00 GMT". `previous` is the count of the interval before, named
 * when the incident opened on two intervals in a row.
 */
export function burstReason(count: number, baseline: number, start: number, config: DetectorConfig, previous?: number): string {
  const minutes = Math.round(config.intervalMs / 60_000);
  const slot = describeSlot(start, config);
  const before = previous === undefined ? '' : ` after ${previous} in the ${minutes} min before`;
  if (baseline === 0) return `${count} mentions in ${minutes} min${before}; usually none for ${slot}`;
  const ratio = count / Math.max(baseline, 0.5);
  return `${count} mentions in ${minutes} min${before}, ${ratio.toFixed(1)}× the usual ${fmt(baseline)} for ${slot}`;
}

/**
 * Feed one interval's count. Intervals must come in time order, on the grid of
 * the first one; skipped intervals are recorded as unknown (not as zero). A
 * repeated or earlier interval is an error: the caller should aggregate first.
 */
export function observe(state: DetectorState, obs: VolumeObservation): ObserveResult {
  const copy: DetectorState = { ...state, history: state.history.slice(), dayPeaks: state.dayPeaks.slice(), open: state.open ? { ...state.open } : null };
  return step(copy, obs);
}

/** One step, updating `s` in place (callers own `s`). */
function step(s: DetectorState, obs: VolumeObservation): ObserveResult {
  const c = s.config;
  if (!Number.isFinite(obs.count) || obs.count < 0) throw new RangeError(`count must be a non-negative number, got ${obs.count}`);
  if (!Number.isFinite(obs.start)) throw new RangeError('observation start must be a time');
  const size = s.history.length;
  const history = s.history;
  if (s.nextStart !== null) {
    const skipped = (obs.start - s.nextStart) / c.intervalMs;
    if (skipped < 0) throw new RangeError('observations must move forward in time, one per interval');
    if (!Number.isInteger(skipped)) throw new RangeError('observation start is off the interval grid');
    for (let i = 0; i < Math.min(size, skipped); i++) {
      history[s.pos] = UNKNOWN;
      s.pos = (s.pos + 1) % size;
    }
    if (skipped > 0) s.streak = s.elevated = 0; // "in a row" means adjacent intervals
  }
  const base = baselineFor(s, obs.start);
  const events: IncidentEvent[] = [];
  let open = s.open;

  let assessment: Assessment = { start: obs.start, count: obs.count, baseline: null, ratio: null, z: null, burst: false };
  // Roll the daily peak over at local midnight.
  const day = localDay(c, obs.start);
  if (s.day !== day) {
    if (s.day !== null && s.dayPeak > 0) {
      s.dayPeaks.push(s.dayPeak);
      if (s.dayPeaks.length > c.peakDays) s.dayPeaks.shift();
    }
    s.day = day;
    s.dayPeak = 0;
  }
  const usualPeak = c.peakFactor > 0 && s.dayPeaks.length >= Math.min(3, c.peakDays) ? medianOf(s.dayPeaks) : 0;

  if (base) {
    const ratio = obs.count / Math.max(base.baseline, 0.5);
    const z = (obs.count - base.baseline) / base.spread;
    const threshold = Math.max(c.openRatio, c.peakFactor * usualPeak);
    const burst = obs.count >= c.minVolume && ratio >= threshold && z >= c.openZ;
    const instant = burst && ratio >= c.instantFactor * threshold;
    const elevatedNow = obs.count >= c.minVolume && z >= c.openZ && ratio >= Math.max(c.openRatio, c.sustainFactor * threshold);
    s.elevated = elevatedNow ? s.elevated + 1 : 0;
    const sustained = c.sustain > 0 && s.elevated >= c.sustain;
    if (ratio > s.dayPeak) s.dayPeak = ratio;
    assessment = { start: obs.start, count: obs.count, baseline: base.baseline, ratio, z, burst };
    if (open) {
      open.totalCount += obs.count;
      if (obs.count > open.peakCount) {
        open.peakCount = obs.count;
        open.peakAt = obs.start;
      }
      const calm = ratio < c.closeRatio || obs.count < c.minVolume / 2;
      open.calm = calm ? open.calm + 1 : 0;
      if (open.calm >= c.closeAfter) {
        events.push({ kind: 'close', at: obs.start, incident: { ...open }, endedAt: obs.start - (c.closeAfter - 1) * c.intervalMs });
        open = null;
        s.lastClosedAt = obs.start;
      }
    } else if (burst || sustained) {
      s.streak = burst ? s.streak + 1 : 0;
      const coolingDown = s.lastClosedAt !== null && obs.start - s.lastClosedAt < c.cooldownMs;
      if ((s.streak >= c.persist || instant || sustained) && !coolingDown) {
        s.streak = 0;
        open = {
          openedAt: obs.start,
          openCount: obs.count,
          openBaseline: base.baseline,
          reason: burstReason(obs.count, base.baseline, obs.start, c, instant || c.persist < 2 ? undefined : previousCount(s)),
          peakCount: obs.count,
          peakAt: obs.start,
          totalCount: obs.count,
          calm: 0,
        };
        events.push({ kind: 'open', at: obs.start, incident: { ...open } });
      }
    } else {
      s.streak = 0;
    }
  } else if (open) {
    // No baseline inside an incident (history lost to a long data gap): count it as calm.
    open.calm++;
    if (open.calm >= c.closeAfter) {
      events.push({ kind: 'close', at: obs.start, incident: { ...open }, endedAt: obs.start });
      open = null;
      s.lastClosedAt = obs.start;
    }
  } else {
    s.streak = 0;
    s.elevated = 0;
  }

  history[s.pos] = obs.count;
  s.pos = (s.pos + 1) % size;
  s.nextStart = obs.start + c.intervalMs;
  s.open = open;
  return { state: s, events, assessment };
}

/** Run a whole series through a fresh detector (evaluation, backfills). */
export function detectAll(series: readonly VolumeObservation[], config: Partial<DetectorConfig> = {}): { events: IncidentEvent[]; assessments: Assessment[]; state: DetectorState } {
  const state = createDetector(config); // ours alone, so stepped in place
  const events: IncidentEvent[] = [];
  const assessments: Assessment[] = [];
  for (const o of series) {
    const r = step(state, o);
    events.push(...r.events);
    assessments.push(r.assessment);
  }
  return { events, assessments, state };
}

/** What people have done about an incident, as the desk records it (read by the caller). */
export interface IncidentActivity {
  /** Its public statements, whatever became of them (written, waiting for sign-off, sent, rejected, withdrawn). */
  statements: readonly { authorUserId: number | null; reviewedBy: number | null; status: string }[];
  /** Internal notes written in its statements' conversations. */
  notes: readonly { authorUserId: number }[];
  /**
   * Audit entries about the incident made by a person (not `system:*`): any action recorded
   * on it — a statement posted, signed off, edited or rejected, and whatever is recorded on an
   * incident later (an edit, an acknowledgement, a note on it) — counts without a change here.
   */
  actions: readonly { userId: number | null; action: string }[];
  /** Customers' conversations people linked to it (they are being answered as part of it). */
  linkedCustomers?: number;
}

export interface Engagement {
  /** Someone is working on it: the burst detector must not close it (nor withdraw their statement). */
  engaged: boolean;
  /** Who: each person who wrote, reviewed or did something recorded on it, once. */
  people: number[];
  /** What, in words for a notification ("a statement is waiting for sign-off"). */
  reasons: string[];
}

const STATEMENT_WORDS: Record<string, string> = {
  pending_approval: 'a statement is waiting for sign-off',
  queued: 'a statement is being sent',
  sending: 'a statement is being sent',
  sent: 'a statement was posted',
};

/**
 * Whether people have engaged with an incident: it has a statement (in any state — one was
 * written, so someone is speaking for the brand about it), a note in a statement's
 * conversation, any action a person recorded on it, or customers' conversations linked to it. An incident the detector opened and
 * nobody touched is not engaged: the detector may close it when the burst is over. An engaged
 * one stays open until a person closes it (their statement is never withdrawn under them).
 */
export function engagementOf(a: IncidentActivity): Engagement {
  const people = new Set<number>();
  const reasons = new Set<string>();
  for (const st of a.statements) {
    reasons.add(STATEMENT_WORDS[st.status] ?? 'a statement was written');
    if (st.authorUserId != null) people.add(st.authorUserId);
    if (st.reviewedBy != null) people.add(st.reviewedBy);
  }
  for (const n of a.notes) {
    reasons.add('a note was written');
    people.add(n.authorUserId);
  }
  for (const x of a.actions) {
    if (x.userId == null) continue; // the system's own entries (opened by the detector...) are not engagement
    people.add(x.userId);
    if (!a.statements.length || !x.action.startsWith('incident.statement')) reasons.add('someone worked on it');
  }
  if (a.linkedCustomers) reasons.add(`${a.linkedCustomers} ${a.linkedCustomers === 1 ? 'customer was' : 'customers were'} linked to it`);
  return { engaged: reasons.size > 0, people: [...people].sort((x, y) => x - y), reasons: [...reasons] };
}
