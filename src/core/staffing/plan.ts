/**
 * A week's staffing plan by hour: from expected arrivals per hour of week and a
 * handling time, the agents each hour needs (Erlang C, or Erlang A when a
 * patience is given); and, against a roster of heads on shift, the gap.
 *
 * Hour of week: 0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00, in the
 * desk's local time (the caller chooses the UTC offset, or, with daylight saving, gives the
 * zone's local hours: see `hourOfWeekOccurrences`). Each hour is solved as
 * its own steady state, which ignores queues carried over from the hour before
 * (the simulator does not). Pure.
 */
import {
  erlangAMetrics,
  erlangCMetrics,
  productiveAgents,
  staffErlangA,
  staffErlangC,
  type StaffingTarget,
  type Workload,
} from './erlang.js';

export const HOURS_PER_WEEK = 168;

export interface PlanInput {
  /** Expected contacts arriving in each hour of week (168 numbers). */
  arrivalsPerHour: readonly number[];
  /** Mean handling time per contact, seconds (per conversation, elapsed, with concurrency). */
  ahtS: number;
  /** Per hour of week (168 numbers), when handling time differs by hour: overrides `ahtS` hour by hour. */
  ahtPerHour?: readonly number[];
  target: StaffingTarget;
  /** Mean customer patience in seconds: plan with Erlang A. Omit for Erlang C. */
  patienceS?: number;
}

export interface HourPlan {
  hourOfWeek: number;
  volume: number;
  /** Productive agents needed. */
  agents: number;
  /** Heads to schedule (shrinkage applied). */
  scheduled: number;
  serviceLevel: number;
  waitProbability: number;
  asaS: number;
  occupancy: number;
  /** Erlang A only; 0 under Erlang C. */
  abandonProbability: number;
}

export interface RosterHour {
  hourOfWeek: number;
  volume: number;
  /** Heads the plan asks for. */
  scheduledNeeded: number;
  /** Heads on shift in the roster. */
  rostered: number;
  /** rostered − scheduledNeeded: negative = short. */
  gap: number;
  /** Productive agents the roster gives: floor(rostered × (1 − shrinkage)). */
  productive: number;
  /** Performance with the rostered agents. */
  serviceLevel: number;
  waitProbability: number;
  asaS: number;
  occupancy: number;
  abandonProbability: number;
  /** Service level ≥ the target with these heads. */
  meetsTarget: boolean;
  /** Occupancy above the plan's cap (agents overworked even if the target is met). */
  overOccupancyCap: boolean;
}

export interface RosterGap {
  hours: RosterHour[];
  /** Hours where the roster is short of the plan. */
  shortHours: number[];
  /** Σ max(0, −gap): head-hours missing. */
  shortHeadHours: number;
  /** Σ max(0, gap): head-hours beyond the plan. */
  surplusHeadHours: number;
  /** Share of the week's contacts arriving in hours that meet the target with this roster. */
  volumeShareMeetingTarget: number;
}

function checkWeek(name: string, xs: readonly number[]) {
  if (xs.length !== HOURS_PER_WEEK) throw new RangeError(`${name} must have ${HOURS_PER_WEEK} hours, got ${xs.length}`);
  xs.forEach((x, i) => {
    if (!Number.isFinite(x) || x < 0) throw new RangeError(`${name}[${i}] must be a non-negative number, got ${x}`);
  });
}

/** Hour of week (0 = Monday 00:00) of an instant, at a fixed UTC offset in minutes. */
export function hourOfWeek(ms: number, utcOffsetMin = 0): number {
  const local = ms + utcOffsetMin * 60_000;
  const day = (new Date(local).getUTCDay() + 6) % 7; // Monday = 0
  return day * 24 + new Date(local).getUTCHours();
}

/**
 * Mean arrivals per hour of week from observed timestamps in [fromMs, toMs):
 * the count in each hour of week divided by how many times that hour occurs in
 * the range (whole hours only), so a partial first week does not bias it.
 */
export function arrivalsPerHourOfWeek(timestamps: Iterable<number>, fromMs: number, toMs: number, utcOffsetMin = 0): number[] {
  if (!(toMs > fromMs)) throw new RangeError('toMs must be after fromMs');
  const counts = new Array<number>(HOURS_PER_WEEK).fill(0);
  const occurrences = new Array<number>(HOURS_PER_WEEK).fill(0);
  const hour = 3_600_000;
  const offset = utcOffsetMin * 60_000;
  const first = Math.ceil((fromMs + offset) / hour) * hour - offset;
  for (let t = first; t + hour <= toMs; t += hour) occurrences[hourOfWeek(t, utcOffsetMin)]!++;
  for (const t of timestamps) if (t >= first && t < toMs) counts[hourOfWeek(t, utcOffsetMin)]!++;
  return counts.map((c, i) => (occurrences[i]! ? c / occurrences[i]! : 0));
}

/** A local calendar hour: its hour of week and the local day it is on (any key that tells days apart, e.g. `YYYY-MM-DD`). */
export interface LocalHour {
  hourOfWeek: number;
  day: string | number;
}

/** The local hour an instant falls in, in the desk's time zone (for an IANA zone: `localParts` in src/lib/tz.ts). */
export type LocalHourOf = (ms: number) => LocalHour;

/** Every zone's UTC offset, and every change of it, is a whole number of quarter hours. */
const QUARTER_MS = 900_000;
const HOUR_MS = 3_600_000;

/**
 * How many times each hour of week occurs in [fromMs, toMs), in a time zone with daylight
 * saving: every local hour the range touches, once. The night the clocks go back has its
 * repeated hour once (a 25-hour day is one day, and that hour, two real hours long, holds
 * the arrivals of both); the night they go forward lacks the skipped hour (a 23-hour day).
 * Counting real hours instead would count the repeated hour twice — as if that day were in
 * two weeks.
 *
 * Local hours are looked up at `fromMs`, at each whole UTC hour after it and at the range's
 * last instant: a 60-minute local hour holds exactly one whole UTC hour, also at a 30- or
 * 45-minute offset (Asia/Kolkata, Asia/Kathmandu), and a partial one at an edge holds `fromMs`
 * or the last instant. Where two lookups are more than one local hour apart (a change of
 * offset), the quarter hours between them are looked up too, so a shorter local hour is not
 * missed. (Sampling whole UTC hours from the hour *before* `fromMs` counted a local hour
 * outside the range at such offsets: a week from Monday 00:00 had two Sunday 23:00s.)
 */
export function hourOfWeekOccurrences(fromMs: number, toMs: number, localHourOf: LocalHourOf): number[] {
  const occurrences = new Array<number>(HOURS_PER_WEEK).fill(0);
  if (!(toMs > fromMs)) return occurrences;
  let last: LocalHour | null = null;
  let lastAt = fromMs;
  const count = (h: LocalHour) => {
    // the same local hour again: a later part of it, or the hour a change back repeats
    if (last && last.hourOfWeek === h.hourOfWeek && last.day === h.day) return;
    occurrences[h.hourOfWeek]!++;
    last = h;
  };
  const visit = (t: number) => {
    const h = localHourOf(t);
    const step = last ? (h.hourOfWeek - last.hourOfWeek + HOURS_PER_WEEK) % HOURS_PER_WEEK : 0;
    if (step > 1) for (let q = (Math.floor(lastAt / QUARTER_MS) + 1) * QUARTER_MS; q < t; q += QUARTER_MS) count(localHourOf(q));
    count(h);
    lastAt = t;
  };
  visit(fromMs);
  for (let t = (Math.floor(fromMs / HOUR_MS) + 1) * HOUR_MS; t < toMs; t += HOUR_MS) visit(t);
  if (toMs - 1 > lastAt) visit(toMs - 1);
  return occurrences;
}

/** Agents needed in each hour of the week. */
export function planWeek(input: PlanInput): HourPlan[] {
  checkWeek('arrivalsPerHour', input.arrivalsPerHour);
  checkAht(input);
  return input.arrivalsPerHour.map((volume, h) => {
    const w: Workload = { volume, intervalS: 3600, ahtS: ahtAt(input, h) };
    if (input.patienceS !== undefined) {
      const r = staffErlangA(w, { ...input.target, patienceS: input.patienceS });
      return { hourOfWeek: h, volume, agents: r.agents, scheduled: r.scheduled, serviceLevel: r.serviceLevel, waitProbability: r.waitProbability, asaS: r.asaS, occupancy: r.occupancy, abandonProbability: r.abandonProbability };
    }
    const r = staffErlangC(w, input.target);
    return { hourOfWeek: h, volume, agents: r.agents, scheduled: r.scheduled, serviceLevel: r.serviceLevel, waitProbability: r.waitProbability, asaS: r.asaS, occupancy: r.occupancy, abandonProbability: 0 };
  });
}

/**
 * Compare a roster (heads on shift per hour of week) with the plan, and say how
 * each hour would perform with the heads actually rostered.
 */
export function rosterGap(input: PlanInput, roster: readonly number[], plan: HourPlan[] = planWeek(input)): RosterGap {
  checkWeek('roster', roster);
  checkAht(input);
  roster.forEach((x, i) => {
    if (!Number.isInteger(x)) throw new RangeError(`roster[${i}] must be a whole number of heads, got ${x}`);
  });
  const shrinkage = input.target.shrinkage ?? 0;
  const k = input.target.concurrency ?? 1;
  const maxOcc = input.target.maxOccupancy ?? 1;
  const hours: RosterHour[] = plan.map((p, h) => {
    const rostered = roster[h]!;
    const productive = productiveAgents(rostered, shrinkage);
    const w: Workload = { volume: p.volume, intervalS: 3600, ahtS: ahtAt(input, h) };
    const m =
      input.patienceS !== undefined
        ? erlangAMetrics(productive * k, w, input.target.answerWithinS, input.patienceS)
        : { ...erlangCMetrics(productive * k, w, input.target.answerWithinS), abandonProbability: 0 };
    return {
      hourOfWeek: h,
      volume: p.volume,
      scheduledNeeded: p.scheduled,
      rostered,
      gap: rostered - p.scheduled,
      productive,
      serviceLevel: m.serviceLevel,
      waitProbability: m.waitProbability,
      asaS: m.asaS,
      occupancy: m.occupancy,
      abandonProbability: m.abandonProbability,
      meetsTarget: m.serviceLevel >= input.target.serviceLevel - 1e-12,
      overOccupancyCap: m.occupancy > maxOcc + 1e-12,
    };
  });
  const total = hours.reduce((a, h) => a + h.volume, 0);
  const meeting = hours.reduce((a, h) => a + (h.meetsTarget ? h.volume : 0), 0);
  return {
    hours,
    shortHours: hours.filter((h) => h.gap < 0).map((h) => h.hourOfWeek),
    shortHeadHours: hours.reduce((a, h) => a + Math.max(0, -h.gap), 0),
    surplusHeadHours: hours.reduce((a, h) => a + Math.max(0, h.gap), 0),
    volumeShareMeetingTarget: total ? meeting / total : 1,
  };
}

/** The handling time of hour of week `h`. */
export function ahtAt(input: Pick<PlanInput, 'ahtS' | 'ahtPerHour'>, h: number): number {
  return input.ahtPerHour ? input.ahtPerHour[h]! : input.ahtS;
}

function checkAht(input: PlanInput) {
  if (!input.ahtPerHour) return;
  checkWeek('ahtPerHour', input.ahtPerHour);
  input.ahtPerHour.forEach((x, i) => {
    if (!(x > 0)) throw new RangeError(`ahtPerHour[${i}] must be positive, got ${x}`);
  });
}

/** The heads the plan asks for, as a roster (e.g. to start editing from). */
export function rosterFromPlan(plan: HourPlan[]): number[] {
  return plan.map((p) => p.scheduled);
}

