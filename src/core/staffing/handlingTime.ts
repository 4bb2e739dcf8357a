/**
 * Handling time measured from the team's own work, for staffing (docs/metrics.md,
 * "Measured handling time").
 *
 * Handling time of one reply = the time its author had the conversation open in
 * front of them (presence: viewing or typing, recorded as viewing spans) in the
 * window that belongs to this reply:
 *
 *   from max(reply − cap, the author's previous reply in the conversation,
 *            the oldest customer message the reply answers)  to  the reply.
 *
 * Time the author was not viewing the conversation (another conversation, away,
 * tab hidden) does not count; time the author had several conversations open at
 * once is shared equally between them, so an agent's measured time never adds up
 * to more than the clock. A reply whose author never had the conversation open in
 * its window (written through the API, or by a client that sends no presence) is
 * *unmeasured*, never zero.
 *
 * This is focused work ("touch") time per reply, not the elapsed time of a
 * conversation with the customer's pauses in it: plan with it at concurrency 1
 * (chooseAht does). Pure: plain data in and out.
 */
import { percentile } from '../responseTimes.js';

/** One stretch of time an agent had a conversation open (from presence heartbeats). */
export interface ViewingSpan {
  conversationId: number;
  startedAt: number;
  /** The last heartbeat recorded for the span (ms); the span ends there. */
  lastSeenAt: number;
}

export interface HandlingRules {
  /** Count at most this much before a reply (ms). Longer work is counted at the cap ("capped"). */
  capMs: number;
  /**
   * Heartbeats are written at most every 30 s, so a reply sent within this long of its
   * conversation's last recorded heartbeat counts as viewed until the reply itself.
   */
  gapMs: number;
}

export const DEFAULT_HANDLING_RULES: HandlingRules = { capMs: 30 * 60_000, gapMs: 45_000 };

export interface ReplyToMeasure {
  conversationId: number;
  /** When the author sent it (pressed Send; before any approval or delivery), ms. */
  at: number;
  /** The same author's previous reply in this conversation: the work before it was that reply's. */
  previousReplyAt?: number | null;
  /** The oldest customer message this reply answers (the conversation's waiting clock), if any. */
  waitingSince?: number | null;
}

export type UnmeasuredReason =
  /** The author never had the conversation open in the reply's window. */
  | 'not_viewed'
  /** Written by an integration (API token), not at a desk. */
  | 'integration';

export type HandlingTime =
  | { measured: true; handlingMs: number; windowStart: number; capped: boolean }
  | { measured: false; reason: UnmeasuredReason };

/**
 * Handling time of one reply from its author's viewing spans (of any conversation:
 * spans of other conversations at the same time share the clock with this one).
 */
export function handlingTimeOfReply(reply: ReplyToMeasure, spans: readonly ViewingSpan[], rules: HandlingRules = DEFAULT_HANDLING_RULES): HandlingTime {
  const at = reply.at;
  const capStart = at - rules.capMs;
  let start = capStart;
  if (reply.previousReplyAt != null && reply.previousReplyAt > start) start = reply.previousReplyAt;
  if (reply.waitingSince != null && reply.waitingSince > start) start = reply.waitingSince;
  if (!(start < at)) return { measured: false, reason: 'not_viewed' };

  // clip each span to the window; the reply's own conversation runs on to the reply when the
  // last heartbeat was recent (heartbeats are throttled, the reply proves presence)
  const byConversation = new Map<number, [number, number][]>();
  for (const s of spans) {
    if (!Number.isFinite(s.startedAt) || !Number.isFinite(s.lastSeenAt) || s.lastSeenAt < s.startedAt) continue;
    let end = s.lastSeenAt;
    if (s.conversationId === reply.conversationId && s.startedAt <= at && end <= at && at - end <= rules.gapMs) end = at;
    const a = Math.max(s.startedAt, start);
    const b = Math.min(end, at);
    if (!(b > a)) continue;
    const l = byConversation.get(s.conversationId) ?? [];
    l.push([a, b]);
    byConversation.set(s.conversationId, l);
  }
  const own = byConversation.get(reply.conversationId);
  if (!own) return { measured: false, reason: 'not_viewed' };

  // the union of each conversation's spans (two processes may record the same visit), then a
  // sweep over all conversations: each moment is shared by the conversations open at it
  const events: { t: number; d: number; own: boolean }[] = [];
  for (const [id, list] of byConversation) {
    for (const [a, b] of union(list)) {
      events.push({ t: a, d: 1, own: id === reply.conversationId }, { t: b, d: -1, own: id === reply.conversationId });
    }
  }
  events.sort((x, y) => x.t - y.t);
  let open = 0;
  let ownOpen = 0;
  let prev = start;
  let handling = 0;
  for (const e of events) {
    if (e.t > prev && ownOpen > 0) handling += (e.t - prev) / open;
    prev = e.t;
    open += e.d;
    if (e.own) ownOpen += e.d;
  }
  const ownUnion = union(own);
  const capped = start === capStart && ownUnion[0]![0] === capStart;
  return { measured: true, handlingMs: handling, windowStart: start, capped };
}

/** Sorted, merged intervals. */
function union(list: [number, number][]): [number, number][] {
  const s = [...list].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Statistics

export interface HandlingStats {
  /** Handling times counted (after dropping invalid ones). */
  n: number;
  /** Mean, seconds: what Erlang's AHT is (the expected work per contact). */
  meanS: number | null;
  medianS: number | null;
  /** Mean of the middle values, `trim` of them cut at each end. */
  trimmedMeanS: number | null;
  p90S: number | null;
  /** Values above the cap, counted at the cap. */
  capped: number;
  /** Values dropped: negative or not a number. */
  invalid: number;
}

export interface HandlingStatsOptions {
  /** Values above this (seconds) count as this; default 30 min, as the measurement's own cap. */
  capS?: number;
  /** Share cut from each end for the trimmed mean; default 0.1. */
  trim?: number;
}

/**
 * Robust statistics of handling times in seconds. Percentiles use the type-2
 * definition of the reports. The mean is over the values capped at `capS`: Erlang
 * needs the mean work per contact, and a right-skewed distribution's median (or
 * trimmed mean) understates it (by about 30 % on exponential handling), while the
 * cap keeps one forgotten open tab from moving it.
 */
export function handlingStats(seconds: readonly number[], opts: HandlingStatsOptions = {}): HandlingStats {
  const capS = opts.capS ?? DEFAULT_HANDLING_RULES.capMs / 1000;
  const trim = opts.trim ?? 0.1;
  if (!(trim >= 0 && trim < 0.5)) throw new RangeError(`trim must be in [0, 0.5), got ${trim}`);
  let capped = 0;
  let invalid = 0;
  const v: number[] = [];
  for (const x of seconds) {
    if (typeof x !== 'number' || Number.isNaN(x) || x < 0) {
      invalid++;
      continue;
    }
    if (x > capS) {
      capped++;
      v.push(capS);
    } else v.push(x);
  }
  if (!v.length) return { n: 0, meanS: null, medianS: null, trimmedMeanS: null, p90S: null, capped, invalid };
  v.sort((a, b) => a - b);
  const k = Math.floor(v.length * trim);
  const mid = v.slice(k, v.length - k);
  return {
    n: v.length,
    meanS: mean(v),
    medianS: percentile(v, 0.5),
    trimmedMeanS: mean(mid),
    p90S: percentile(v, 0.9),
    capped,
    invalid,
  };
}

function mean(xs: readonly number[]): number {
  let s = 0; // the values are sorted ascending: the sum does not depend on input order
  for (const x of xs) s += x;
  return s / xs.length;
}

// ---------------------------------------------------------------------------
// Which AHT a plan uses

export const DEFAULT_MIN_SAMPLES = 30;
/** The hand-set handling time when nobody set one: 5 minutes. */
export const DEFAULT_AHT_S = 300;

export interface AhtChoice {
  /** The handling time the plan uses, seconds. */
  ahtS: number;
  source: 'measured' | 'set_by_hand';
  /** measured: enough replies measured · override: set by hand on purpose · too_few_samples: fell back to the hand-set value. */
  reason: 'measured' | 'override' | 'too_few_samples';
  /** Agents' concurrency the plan uses: 1 with measured (focused) time, else as asked. */
  concurrency: number;
  /** One line for people, e.g. "AHT 4.2 min, measured from 312 replies". */
  summary: string;
}

/**
 * Measured when asked for (`auto`) and at least `minSamples` replies were measured;
 * otherwise the hand-set value, saying why. Measured time is focused time per reply,
 * so it is planned at concurrency 1 (one agent works one reply at a time); a hand-set
 * value keeps the concurrency asked for (it may be elapsed time per conversation).
 */
export function chooseAht(p: { measured: HandlingStats; handSetS: number; mode: 'auto' | 'manual'; minSamples: number; concurrency: number }): AhtChoice {
  if (!(p.handSetS > 0)) throw new RangeError(`handSetS must be positive, got ${p.handSetS}`);
  const m = p.measured;
  const measuredText = m.n && m.meanS != null ? `${fmtMin(m.meanS)} from ${plural(m.n, 'reply', 'replies')}` : null;
  if (p.mode === 'auto' && m.meanS != null && m.meanS > 0 && m.n >= p.minSamples) {
    return { ahtS: m.meanS, source: 'measured', reason: 'measured', concurrency: 1, summary: `AHT ${fmtMin(m.meanS)}, measured from ${plural(m.n, 'reply', 'replies')}` };
  }
  if (p.mode === 'manual') {
    return { ahtS: p.handSetS, source: 'set_by_hand', reason: 'override', concurrency: p.concurrency, summary: `AHT ${fmtMin(p.handSetS)}, set by hand${measuredText ? ` (measured: ${measuredText})` : ''}` };
  }
  const only = m.n === 0 ? 'no replies measured' : `only ${plural(m.n, 'reply', 'replies')} measured`;
  return { ahtS: p.handSetS, source: 'set_by_hand', reason: 'too_few_samples', concurrency: p.concurrency, summary: `AHT ${fmtMin(p.handSetS)}, set by hand: ${only} (${p.minSamples} needed)` };
}

/** Seconds as minutes with one decimal. */
const minutes1 = (s: number) => Math.round((s / 60) * 10) / 10;

function fmtMin(s: number): string {
  return `${minutes1(s)} min`;
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------
// Handling time by hour of the week

/** Where an hour's handling time came from. */
export type HourAhtSource = 'hour_of_week' | 'hour_of_day' | 'overall';

export interface HourlyAht {
  /** Seconds, per hour of week (Monday 00:00 = 0), 168 numbers. */
  perHour: number[];
  /** Where each hour's value came from: its own replies, the same hour on every day, or all replies. */
  source: HourAhtSource[];
  /** How many hours use each source. */
  counts: Record<HourAhtSource, number>;
}

/**
 * The handling time of each hour of the week, from measured replies stamped with their
 * local hour of week: an hour with at least `minSamples` replies of its own uses their
 * mean; else the same hour of the day over the whole week, when that has `minSamples`;
 * else `overallS` (the period's figure, measured or set by hand). Night shifts and
 * Monday mornings may handle differently; few replies never make an hour's figure.
 * Means are over values capped as in `handlingStats`.
 */
export function ahtByHourOfWeek(samples: readonly { hourOfWeek: number; s: number }[], overallS: number, minSamples: number, opts: HandlingStatsOptions = {}): HourlyAht {
  if (!(overallS > 0)) throw new RangeError(`overallS must be positive, got ${overallS}`);
  if (!(minSamples >= 1)) throw new RangeError(`minSamples must be at least 1, got ${minSamples}`);
  const byWeekHour: number[][] = Array.from({ length: 168 }, () => []);
  const byDayHour: number[][] = Array.from({ length: 24 }, () => []);
  for (const x of samples) {
    const h = x.hourOfWeek;
    if (!Number.isInteger(h) || h < 0 || h >= 168) continue;
    byWeekHour[h]!.push(x.s);
    byDayHour[h % 24]!.push(x.s);
  }
  const dayMean = byDayHour.map((v) => {
    const st = handlingStats(v, opts);
    return st.n >= minSamples && st.meanS != null && st.meanS > 0 ? st.meanS : null;
  });
  const perHour: number[] = [];
  const source: HourAhtSource[] = [];
  const counts: Record<HourAhtSource, number> = { hour_of_week: 0, hour_of_day: 0, overall: 0 };
  for (let h = 0; h < 168; h++) {
    const st = handlingStats(byWeekHour[h]!, opts);
    let src: HourAhtSource;
    let v: number;
    if (st.n >= minSamples && st.meanS != null && st.meanS > 0) (src = 'hour_of_week'), (v = st.meanS);
    else if (dayMean[h % 24] != null) (src = 'hour_of_day'), (v = dayMean[h % 24]!);
    else (src = 'overall'), (v = overallS);
    perHour.push(v);
    source.push(src);
    counts[src]++;
  }
  return { perHour, source, counts };
}

/** For the plan's summary line: the range by hour and where the hours' figures came from. */
export function describeHourlyAht(h: HourlyAht): string {
  const lo = Math.min(...h.perHour);
  const hi = Math.max(...h.perHour);
  return `by hour of week ${minutes1(lo)}–${fmtMin(hi)} (${plural(h.counts.hour_of_week, 'hour', 'hours')} from their own replies, ${h.counts.hour_of_day} from the same hour on other days, ${h.counts.overall} from all)`;
}
