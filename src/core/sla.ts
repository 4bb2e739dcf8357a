/**
 * SLA clocks: how long the customer has been waiting for us, against the policy's targets.
 *
 * Input is a conversation's timeline as plain events; output is, for each clock (first
 * response, next response, resolution), when it started, when it is due, when it warns,
 * its state at `now` and the next instant that state changes — so a scheduler can sleep
 * until exactly then instead of polling.
 *
 * Rules that follow the practitioners (answer within 30–60 minutes; an acknowledgement is
 * not an answer; chasing does not reset the wait):
 * - Auto-acknowledgements never stop a response clock.
 * - A response clock runs only for a wait that needs an answer: a conversation whose triage
 *   says ignore or monitor has none for its latest wait, unless it already needed one in the
 *   same cycle (a correction either way withdraws it or brings it back from where the
 *   customer began waiting). The cycle's resolution clock follows the same answer: a cycle
 *   whose first wait needed no answer and whose latest wait needs none (spam, a troll) has
 *   none either — it is never overdue — and needing an answer brings it back from the
 *   cycle's start; a real case whose follow-up needs no answer keeps it.
 * - A chaser (another inbound while a reply is owed) restarts nothing: the clock keeps its
 *   original start.
 * - A reopened conversation starts a new cycle measured from the reopening: first response
 *   and resolution restart there, not at the conversation's first message.
 * - A customer message delivered late across a resolve (written before it, received after)
 *   counts from its receipt: it reopens the conversation and starts its clock there
 *   (`countedTimeline`).
 * - What a channel's first sync fetches from before the desk listened (a backfill) counts from
 *   when the desk first saw the conversation, not from its network time: a two-day-old mention
 *   is not breached on arrival (`deskFirstSaw`).
 * - When the policy says so, clocks pause while the conversation waits on the customer
 *   (status `waiting`); an inbound message ends the wait.
 * - Targets are counted in business hours when the policy (or the target) says so, with the
 *   policy's calendar; otherwise on the wall clock.
 * - A deadline no date can hold (a target far beyond any that can be saved, in an old or
 *   hand-edited policy) is no deadline: the clock runs without ever warning or breaching,
 *   rather than stopping whoever evaluates it.
 */

import type { ConversationStatus, Visibility } from './types.js';
import { addBusinessMs, businessMsBetween, type BusinessCalendar } from './businessHours.js';

export const SLA_METRICS = ['first_response', 'next_response', 'resolution'] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];

/**
 * `active`: running, below the warning threshold. `warning`: the warning share of the
 * target is used. `breached`: past due without a stop (or stopped late). `met`: stopped in
 * time. `paused`: waiting on the customer (only when the policy pauses).
 */
export type SlaClockState = 'active' | 'warning' | 'breached' | 'met' | 'paused';

/** A priority band: the first band (in order) whose `minPriority` is ≤ the priority applies. */
export interface PriorityBand {
  name: string;
  /** Omitted or null: catch-all (put it last). */
  minPriority?: number | null;
}

/** One target; the first rule (in order) matching metric, band and visibility wins. */
export interface SlaTargetRule {
  metric: SlaMetric;
  /** Bands the rule applies to; any band when omitted. */
  bands?: string[] | null;
  /** Public mentions vs private messages; both when omitted. */
  visibility?: Visibility | null;
  targetMs: number;
  /** Overrides the policy's `businessHours` for this target. */
  businessHours?: boolean | null;
}

export interface SlaPolicy {
  id?: string;
  targets: SlaTargetRule[];
  /** Defaults to `DEFAULT_PRIORITY_BANDS`. */
  priorityBands?: PriorityBand[] | null;
  /** Count targets in business hours of `calendar` (a null calendar is 24/7). Default false. */
  businessHours?: boolean | null;
  calendar?: BusinessCalendar | null;
  /** Share of the target after which a clock is in `warning`. Default 0.75. */
  warningRatio?: number | null;
  /** Pause clocks while the conversation waits on the customer. Default false. */
  pauseWhileWaitingOnCustomer?: boolean | null;
}

/** One item of a conversation's timeline. Events after `now` are ignored. */
export type SlaEvent =
  /**
   * A customer message at its network time. `chaser` is informational: chasers never restart a
   * clock. `reopens: false` marks a closing-only message (thanks, praise) that leaves a resolved
   * conversation resolved: no new cycle, as ingest decided when it arrived. `receivedAt`: when
   * Parley received it — a message delivered late across a resolve counts from then
   * (`countedTimeline`); omitted, it counts from `at`. `backfill`: fetched by a channel's first
   * sync from before the desk listened (received at `receivedAt`): it counts from when the desk
   * first saw the conversation (`deskFirstSaw`), not from its network time.
   */
  | { type: 'inbound'; at: number; chaser?: boolean | null; reopens?: boolean | null; receivedAt?: number | null; backfill?: boolean | null }
  /**
   * A message sent by the brand. Auto-acknowledgements never count as a response. `backfill`
   * (with `receivedAt`), as for an inbound message.
   */
  | { type: 'outbound'; at: number; autoAck?: boolean | null; receivedAt?: number | null; backfill?: boolean | null }
  | { type: 'status'; at: number; status: ConversationStatus }
  | { type: 'reopened'; at: number };

export interface SlaConversation {
  visibility: Visibility;
  /** Triage priority value (see `TriageResult.priority.value`). */
  priority: number;
  events: readonly SlaEvent[];
  /**
   * Whether the customer's latest wait needs an answer, as the conversation's triage says
   * (action `respond`, or not triaged): true when omitted. When false (and `neededInCycle`
   * does not say otherwise), that wait has no response clock — and when the cycle's first
   * wait needed none either (it is the latest, or `withdrawnWaits` names it), the cycle has no
   * resolution clock. Running or already stopped, they are neither met nor breached and set
   * no deadline (see `SlaEvaluation.withdrawn`). Set true again, they are back, started where
   * they started: the wait where the customer began waiting, the resolution at the cycle's start.
   */
  needsResponse?: boolean | null;
  /**
   * When the earlier waits of the current cycle that needed no answer began (the starts of
   * the last evaluation's `withdrawn` clocks): they stay without a clock once a later wait is
   * the latest, whatever it needs. Other earlier waits keep their clocks.
   */
  withdrawnWaits?: readonly number[] | null;
  /**
   * The cycle in which the conversation already needed an answer (null: none, or a person
   * said it needs none): while the latest wait is in that cycle it keeps its clock whatever
   * `needsResponse` says — the customer's follow-up on a case ("which courier?") is owed an
   * answer even when triage, reading it alone, would only monitor it.
   */
  neededInCycle?: number | null;
}

export interface SlaClock {
  metric: SlaMetric;
  /** 1 for the first cycle, +1 per reopening. */
  cycle: number;
  targetMs: number;
  businessHours: boolean;
  startedAt: number;
  /** When the target is used up; null while paused (unknown) or if the calendar never opens. */
  dueAt: number | null;
  /** When the warning share is used up; null as for `dueAt`. */
  warningAt: number | null;
  stoppedAt: number | null;
  stopReason: 'responded' | 'resolved' | null;
  state: SlaClockState;
  /** Counted time (business time when `businessHours`) from start to the stop or `now`, minus pauses. */
  elapsedMs: number;
  /** `targetMs - elapsedMs` (negative once over). */
  remainingMs: number;
  /** Next instant at which `state` changes by itself (warning, breach); null if only an event can change it. */
  nextChangeAt: number | null;
}

export interface SlaEvaluation {
  band: string;
  /** Clocks of the current cycle (null when the metric has no target or has not started). */
  firstResponse: SlaClock | null;
  nextResponse: SlaClock | null;
  resolution: SlaClock | null;
  /** Every clock of every cycle, in start order — for reports. */
  history: SlaClock[];
  /** The current cycle: 1 for the first, +1 per reopening; 0 before the first customer message. */
  cycle: number;
  /**
   * Clocks of the current cycle that run for nothing that needs an answer, as they would run,
   * in start order: the latest wait's response clock when it needs none (and then the cycle's
   * resolution clock, when its first wait needed none either), and the response clocks of the
   * earlier waits `withdrawnWaits` names. In neither the current clocks nor `history`; no
   * deadline or `nextChangeAt` comes from them. Their starts are the next evaluation's
   * `withdrawnWaits` (a resolution clock starts with the cycle's first wait, when the customer
   * began the cycle).
   */
  withdrawn: SlaClock[];
  /**
   * When a scheduler should look again: the earliest `nextChangeAt` of the current clocks, or
   * the time of the earliest event after `now` if sooner (a message stamped ahead of the
   * evaluating clock starts its clocks then, so they must not wait for another event).
   */
  nextChangeAt: number | null;
}

/** Invalid policy or timeline; `code` is stable (`sla.*`). */
export class SlaError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SlaError';
    this.code = code;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The longest target a policy may be saved with: a year (`validateSlaPolicy`). */
export const MAX_SLA_TARGET_MS = 365 * DAY;

/** The latest instant a JavaScript date can hold (±100,000,000 days from the epoch). */
const MAX_INSTANT_MS = 8.64e15;

/**
 * How far ahead a business-hours deadline is looked for when its target is longer than any
 * that can be saved: past it, none. Walking a calendar for centuries would stall the desk.
 */
const BUSINESS_SEARCH_HORIZON_MS = 10 * 366 * DAY;

/** `t` when a date can hold it, otherwise null (no deadline). */
const representable = (t: number | null): number | null => (t !== null && Math.abs(t) <= MAX_INSTANT_MS ? t : null);

export const DEFAULT_PRIORITY_BANDS: readonly PriorityBand[] = [
  { name: 'urgent', minPriority: 80 },
  { name: 'high', minPriority: 50 },
  { name: 'normal', minPriority: null },
];

/**
 * Defaults from practice: reply to public mentions within 30 minutes and private messages
 * within 60, on the wall clock; resolve within a day. Pausing is off by default so a
 * forgotten `waiting` status cannot hide a waiting customer.
 */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  id: 'default',
  businessHours: false,
  calendar: null,
  warningRatio: 0.75,
  pauseWhileWaitingOnCustomer: false,
  priorityBands: [...DEFAULT_PRIORITY_BANDS],
  targets: [
    { metric: 'first_response', visibility: 'public', targetMs: 30 * MINUTE },
    { metric: 'first_response', visibility: 'private', targetMs: 60 * MINUTE },
    { metric: 'next_response', visibility: 'public', targetMs: 30 * MINUTE },
    { metric: 'next_response', visibility: 'private', targetMs: 60 * MINUTE },
    { metric: 'resolution', targetMs: 24 * HOUR },
  ],
};

/** The band a priority falls in under the policy (first band whose minimum is met). */
export function priorityBand(policy: SlaPolicy, priority: number): string {
  const bands = policy.priorityBands ?? DEFAULT_PRIORITY_BANDS;
  for (const b of bands) {
    if (b.minPriority === null || b.minPriority === undefined || priority >= b.minPriority) return b.name;
  }
  return bands.length ? bands[bands.length - 1]!.name : 'normal';
}

/** The first target rule for a metric, band and visibility, or null if none applies. */
export function resolveTarget(policy: SlaPolicy, metric: SlaMetric, band: string, visibility: Visibility): SlaTargetRule | null {
  for (const rule of policy.targets) {
    if (rule.metric !== metric) continue;
    if (rule.bands && rule.bands.length > 0 && !rule.bands.includes(band)) continue;
    if (rule.visibility && rule.visibility !== visibility) continue;
    return rule;
  }
  return null;
}

type PolicyIssue = { code: string; message: string; path: string };

/**
 * Lists what is wrong with a policy for saving it (empty when it may be saved): what makes it
 * unusable (`evaluateSla` throws on the first of those), and a target longer than
 * `MAX_SLA_TARGET_MS` — which `evaluateSla` copes with (a deadline no date can hold is none),
 * so an old or hand-edited policy that has one still works.
 */
export function validateSlaPolicy(policy: SlaPolicy): PolicyIssue[] {
  return policyIssues(policy, true);
}

function policyIssues(policy: SlaPolicy, forSaving: boolean): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  if (!policy || typeof policy !== 'object' || !Array.isArray(policy.targets)) {
    issues.push({ code: 'sla.invalid_policy', message: 'The SLA policy must have a list of targets', path: 'targets' });
    return issues;
  }
  policy.targets.forEach((r, i) => issues.push(...targetIssues(r, i, forSaving)));
  const ratio = policy.warningRatio;
  if (ratio !== null && ratio !== undefined && !(typeof ratio === 'number' && ratio > 0 && ratio <= 1)) {
    const got = typeof ratio === 'number' && Number.isFinite(ratio) ? `${round(ratio * 100)} %` : JSON.stringify(ratio) ?? String(ratio);
    issues.push({ code: 'sla.invalid_warning_ratio', message: `The warning share must be more than 0 % and at most 100 % of the target (got ${got})`, path: 'warningRatio' });
  }
  const bands = policy.priorityBands;
  const bandsValid = bands === null || bands === undefined || (Array.isArray(bands) && bands.every(validBand));
  if (!bandsValid) {
    issues.push({ code: 'sla.invalid_bands', message: 'Priority bands must be a list, each band with a name and a minimum priority (a number, or none for the catch-all)', path: 'priorityBands' });
  } else if (forSaving) {
    // a target naming a band there is not ("Urgent" for `urgent`, a renamed band) never applies:
    // those conversations would silently get another target
    const names = (bands ?? DEFAULT_PRIORITY_BANDS).map((b) => b.name);
    policy.targets.forEach((r, i) => issues.push(...targetScopeIssues(r, i, names)));
  }
  return issues;
}

/** For saving: the bands and visibility a target is for must be ones that can match. */
function targetScopeIssues(r: SlaTargetRule, i: number, bandNames: readonly string[]): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const what = (SLA_METRICS as readonly string[]).includes(r?.metric) ? METRIC_LABELS[r.metric] : 'A';
  const bands = r?.bands;
  if (bands !== null && bands !== undefined) {
    if (!Array.isArray(bands) || !bands.every((b) => typeof b === 'string')) {
      issues.push({ code: 'sla.invalid_bands', message: `${what} target's priority bands must be a list of band names`, path: `targets[${i}].bands` });
    } else {
      const unknown = bands.filter((b) => !bandNames.includes(b));
      if (unknown.length) {
        const list = unknown.map((b) => JSON.stringify(b)).join(', ');
        issues.push({ code: 'sla.unknown_band', message: `${what} target names priority ${unknown.length === 1 ? 'band' : 'bands'} ${list}, which the policy does not have (its bands: ${bandNames.join(', ')}); it would never apply`, path: `targets[${i}].bands` });
      }
    }
  }
  const v = r?.visibility;
  if (v !== null && v !== undefined && v !== 'public' && v !== 'private') {
    issues.push({ code: 'sla.invalid_visibility', message: `${what} target must be for public or private messages, or both (got ${JSON.stringify(v)})`, path: `targets[${i}].visibility` });
  }
  return issues;
}

function targetIssues(r: SlaTargetRule, i: number, forSaving: boolean): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const known = (SLA_METRICS as readonly string[]).includes(r?.metric);
  if (!known) {
    issues.push({ code: 'sla.invalid_metric', message: `Unknown SLA metric ${JSON.stringify(r?.metric)}`, path: `targets[${i}].metric` });
  }
  const what = known ? METRIC_LABELS[r.metric] : 'A';
  if (typeof r?.targetMs !== 'number' || !Number.isFinite(r.targetMs) || r.targetMs <= 0) {
    issues.push({ code: 'sla.invalid_target', message: `${what} target must be a positive duration (got ${describeMs(r?.targetMs)})`, path: `targets[${i}].targetMs` });
  } else if (forSaving && r.targetMs > MAX_SLA_TARGET_MS) {
    issues.push({ code: 'sla.target_too_long', message: `${what} target must be at most 365 days (got ${describeMs(r.targetMs)})`, path: `targets[${i}].targetMs` });
  }
  return issues;
}

const validBand = (b: unknown): boolean => {
  if (!b || typeof b !== 'object') return false;
  const { name, minPriority } = b as PriorityBand;
  return typeof name === 'string' && name.length > 0 && (minPriority === null || minPriority === undefined || (typeof minPriority === 'number' && Number.isFinite(minPriority)));
};

/**
 * The policy as `evaluateSla` can use it, for a stored policy that no longer passes (an old or
 * hand-edited row must not stop the desk): targets it would refuse are left out, and a warning
 * share or priority bands it would refuse give way to the defaults. Not a list of targets at
 * all: the default policy. The policy itself when nothing is wrong.
 */
export function usableSlaPolicy(policy: SlaPolicy): SlaPolicy {
  if (policyIssues(policy, false).length === 0) return policy;
  if (!policy || typeof policy !== 'object' || !Array.isArray(policy.targets)) return DEFAULT_SLA_POLICY;
  const ratio = policy.warningRatio;
  const bands = policy.priorityBands;
  return {
    ...policy,
    targets: policy.targets.filter((r, i) => targetIssues(r, i, false).length === 0),
    warningRatio: ratio === null || ratio === undefined || (typeof ratio === 'number' && ratio > 0 && ratio <= 1) ? ratio : DEFAULT_SLA_POLICY.warningRatio,
    priorityBands: bands === null || bands === undefined || (Array.isArray(bands) && bands.every(validBand)) ? bands : DEFAULT_SLA_POLICY.priorityBands,
  };
}

/**
 * Messages speak as people set targets (in minutes, the warning share in percent), not in
 * the milliseconds and ratios the policy is stored in: they are shown to the admin as they are.
 */
const METRIC_LABELS: Record<SlaMetric, string> = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' };

const round = (x: number) => Math.round(x * 100) / 100;

/** A target as given, for a message: whole minutes and more in min, shorter ones in s or ms, anything else as JSON. */
function describeMs(ms: unknown): string {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return 'nothing'; // an emptied field (NaN is null in JSON)
  if (typeof ms !== 'number') return JSON.stringify(ms) ?? String(ms);
  if (!Number.isFinite(ms)) return String(ms);
  const a = Math.abs(ms);
  if (a === 0 || a >= 60_000) return `${round(ms / 60_000)} min`;
  if (a >= 1_000) return `${round(ms / 1_000)} s`;
  return `${ms} ms`;
}

interface RawClock {
  metric: SlaMetric;
  cycle: number;
  rule: SlaTargetRule;
  startedAt: number;
  stoppedAt: number | null;
  stopReason: 'responded' | 'resolved' | null;
}

interface Measure {
  between(a: number, b: number): number;
  add(from: number, ms: number): number | null;
}

/** Closed pause spans [start, end) plus possibly one still open (end = null). */
type Pause = [number, number | null];

/**
 * The timeline as the clocks count it. A customer message delivered late across a resolve —
 * written before the conversation's latest resolve, received after it (a webhook retry, a sync
 * catching up) — counts from when Parley received it, as ingest counted it (`countsFrom` in
 * `applyMessage`): nobody at the desk could have seen it before, so it reopens the conversation
 * there and its wait starts there, rather than falling before the resolve, into a cycle already
 * over, and leaving the reopened conversation without a clock. A message written after the
 * resolve counts from when it was written, however late it arrives (the customer was waiting),
 * and a late closing-only message (`reopens: false`) still reopens nothing.
 *
 * "The latest resolve" is read in the order Parley learned of things (messages by receipt): the
 * resolve that began the resolved period before the message was received — a resolve repeated
 * while resolved changes nothing, one before any customer message (the brand's own post) does
 * not count, and a resolve in the same millisecond as the receipt counts as after it. Decided
 * events lose their `receivedAt`, so a shortened timeline (`compactSlaTimeline`) keeps them
 * where they count.
 */
export function countedTimeline(given: readonly SlaEvent[]): SlaEvent[] {
  const events = fromDeskSight(given);
  const late = (e: SlaEvent) => e.type === 'inbound' && e.receivedAt != null && e.receivedAt > e.at;
  // (nothing to decide in the common case: never resolved, or nothing received after it was written)
  if (!events.some((e) => e.type === 'status' && e.status === 'resolved') || !events.some(late)) return events as SlaEvent[];
  const known = (e: SlaEvent) => (e.type === 'inbound' && e.receivedAt != null ? e.receivedAt : e.at);
  const order = events
    .map((e, i) => ({ e, i, k: known(e) }))
    // messages before status changes known at the same instant: a resolve then is after the receipt
    .sort((a, b) => a.k - b.k || +(a.e.type === 'status' || a.e.type === 'reopened') - +(b.e.type === 'status' || b.e.type === 'reopened') || a.e.at - b.e.at || a.i - b.i);
  const out = [...events];
  let heard = false;
  let resolved = false;
  let lastResolve: number | null = null;
  for (const { e, i } of order) {
    if (e.type === 'inbound') {
      if (late(e)) {
        const { receivedAt, ...rest } = e;
        out[i] = lastResolve !== null && e.at <= lastResolve && receivedAt! > lastResolve ? { ...rest, at: receivedAt! } : rest;
      }
      heard = true;
      if (e.reopens !== false) resolved = false;
    } else if (e.type === 'status') {
      if (e.status !== 'resolved') resolved = false;
      else if (heard && !resolved) {
        resolved = true;
        lastResolve = e.at;
      }
    } else if (e.type === 'reopened') resolved = false;
  }
  return out;
}

/**
 * When the desk first saw a conversation whose timeline has backfilled messages (`backfill`:
 * fetched by a channel's first sync from before the desk listened): the earliest receipt of a
 * backfilled message, or the time of anything else in it (a live message, a reply sent from the
 * desk, a status change) if earlier. Null when nothing in it was backfilled.
 */
export function deskFirstSaw(events: readonly SlaEvent[]): number | null {
  let any = false;
  let first = Infinity;
  for (const e of events) {
    const bf = (e.type === 'inbound' || e.type === 'outbound') && e.backfill === true;
    if (bf) any = true;
    const seen = bf ? (e as { receivedAt?: number | null }).receivedAt ?? e.at : e.at;
    if (seen < first) first = seen;
  }
  return any && Number.isFinite(first) ? first : null;
}

/**
 * The timeline as the desk could see it. A backfilled message written before the desk first saw
 * its conversation (`deskFirstSaw`) counts from then: a two-day-old mention the first sync
 * fetches starts its clocks at its receipt, not two days ago, so it does not breach on arrival
 * (nobody could have answered it). A reply the brand posted before then answers it there (met,
 * nothing counted). Live messages are never moved, and as the instant is no later than any of
 * them, the order of the timeline is the network's: events that land on the same instant keep
 * the order they were written in. Decided events lose `backfill` (a shortened timeline,
 * `compactSlaTimeline`, keeps them where they count); an inbound message keeps its `receivedAt`
 * when that is still later (a delivery across a resolve, see `countedTimeline`).
 */
function fromDeskSight(events: readonly SlaEvent[]): readonly SlaEvent[] {
  const first = deskFirstSaw(events);
  if (first === null) return events;
  return events
    .map((e, i) => {
      if ((e.type !== 'inbound' && e.type !== 'outbound') || e.backfill == null) return { e, i, at: e.at };
      const { backfill, receivedAt, ...rest } = e as SlaEvent & { backfill?: boolean | null; receivedAt?: number | null };
      if (!backfill) return { e: (e.type === 'inbound' && receivedAt != null ? { ...rest, receivedAt } : rest) as SlaEvent, i, at: e.at };
      const at = Math.max(e.at, first);
      const moved = { ...rest, at } as SlaEvent;
      return { e: e.type === 'inbound' && receivedAt != null && receivedAt > at ? ({ ...moved, receivedAt } as SlaEvent) : moved, i, at: e.at };
    })
    .sort((a, b) => a.e.at - b.e.at || a.at - b.at || a.i - b.i)
    .map((x) => x.e);
}

/** Events sorted by time, equal times in their given order. */
function inTimeOrder(events: readonly SlaEvent[]): SlaEvent[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map(({ e }) => e);
}

/** Where a conversation's timeline has brought its SLA clocks (see `stepSla`), independent of the policy. */
interface SlaMachine {
  /** 1 for the first cycle, +1 per reopening; 0 before the first customer message. */
  cycle: number;
  cycleStarted: boolean;
  /** The brand has answered in this cycle (a new wait is then a next response). */
  responded: boolean;
  resolved: boolean;
  /** Waiting on the customer (status `waiting`). */
  waiting: boolean;
  /** The last message (not an acknowledgement) was the customer's. */
  lastInbound: boolean;
  /** The reply owed now (its clock runs when the policy has a target for it); null when none is owed. */
  owed: 'first_response' | 'next_response' | null;
}

/** What one event did: a new cycle begun, a response clock started or stopped, a wait on the customer begun or ended. */
interface SlaStep {
  newCycle: boolean;
  start: 'first_response' | 'next_response' | null;
  stop: 'responded' | 'resolved' | null;
  wait: 'begin' | 'end' | null;
}

const newSlaMachine = (): SlaMachine => ({ cycle: 0, cycleStarted: false, responded: false, resolved: false, waiting: false, lastInbound: false, owed: null });

/**
 * The rules of the clocks, one event at a time (`machine` is updated): an acknowledgement
 * is not an answer; a chaser restarts nothing; a customer writing into a resolved
 * conversation, or any status change after resolving, begins a new cycle (owing a reply
 * when the customer had the last word); an inbound message ends a wait on the customer.
 */
function stepSla(m: SlaMachine, ev: SlaEvent): SlaStep {
  const step: SlaStep = { newCycle: false, start: null, stop: null, wait: null };
  const endWait = () => {
    if (!m.waiting) return;
    m.waiting = false;
    step.wait = 'end';
  };
  const newCycle = (owed: boolean) => {
    m.cycle += 1;
    m.cycleStarted = true;
    m.responded = false;
    m.resolved = false;
    m.owed = owed ? 'first_response' : null;
    step.newCycle = true;
    step.start = m.owed;
  };
  switch (ev.type) {
    case 'inbound':
      if (m.resolved && ev.reopens === false) break;
      endWait();
      m.lastInbound = true;
      // first contact, or a customer writing into a resolved conversation (implicit reopen)
      if (!m.cycleStarted || m.resolved) newCycle(true);
      else if (!m.owed) step.start = m.owed = m.responded ? 'next_response' : 'first_response';
      break;
    case 'outbound':
      if (ev.autoAck) break;
      m.lastInbound = false;
      if (m.owed) {
        m.owed = null;
        step.stop = 'responded';
      }
      if (m.cycleStarted) m.responded = true;
      break;
    case 'status':
      if (ev.status === 'resolved') {
        if (!m.cycleStarted || m.resolved) break;
        endWait();
        m.resolved = true;
        m.owed = null;
        step.stop = 'resolved';
        break;
      }
      if (m.resolved) newCycle(m.lastInbound);
      if (ev.status !== 'waiting') endWait();
      else if (!m.waiting) {
        m.waiting = true;
        step.wait = 'begin';
      }
      break;
    case 'reopened':
      if (m.resolved) newCycle(m.lastInbound);
      break;
    default:
      break;
  }
  return step;
}

/**
 * Computes every SLA clock of a conversation at `now`.
 *
 * Throws `SlaError` for an unusable policy (see `usableSlaPolicy`) or an event without a
 * finite timestamp. A target longer than any that can be saved is evaluated; where its
 * deadline is past what a date can hold (or, in business hours, past a ten-year search),
 * the clock has none (`dueAt`/`warningAt` null).
 */
export function evaluateSla(policy: SlaPolicy, conversation: SlaConversation, now: number): SlaEvaluation {
  const issues = policyIssues(policy, false);
  if (issues.length > 0) throw new SlaError(issues[0]!.code, `Invalid SLA policy at ${issues[0]!.path}: ${issues[0]!.message}`);
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new SlaError('sla.invalid_now', `now must be a finite number, got ${String(now)}`);

  const band = priorityBand(policy, conversation.priority);
  const visibility = conversation.visibility;
  const ruleFor = (metric: SlaMetric) => resolveTarget(policy, metric, band, visibility);
  const pauseEnabled = policy.pauseWhileWaitingOnCustomer === true;

  conversation.events.forEach((e, i) => {
    if (!e || typeof e.at !== 'number' || !Number.isFinite(e.at)) {
      throw new SlaError('sla.invalid_event', `Event ${i} has no finite timestamp (at = ${String(e?.at)})`);
    }
  });
  const sorted = inTimeOrder(countedTimeline(conversation.events));
  const events = sorted.filter((e) => e.at <= now);
  /** The earliest event not yet happened (a message stamped ahead of this clock): everything is looked at again then. */
  const upcoming = sorted.find((e) => e.at > now)?.at ?? null;

  const clocks: RawClock[] = [];
  const pauses: Pause[] = [];
  const machine = newSlaMachine();
  let response: RawClock | null = null;
  let resolution: RawClock | null = null;
  /** The clock of the customer's latest wait in the current cycle (null: none, or no target for it). */
  let latestWait: RawClock | null = null;
  /** When the current cycle's first wait began, and how many waits the cycle has had (targets or not). */
  let firstWaitAt: number | null = null;
  let waitsInCycle = 0;

  const startClock = (metric: SlaMetric, at: number): RawClock | null => {
    const rule = ruleFor(metric);
    if (!rule) return null;
    const c: RawClock = { metric, cycle: machine.cycle, rule, startedAt: at, stoppedAt: null, stopReason: null };
    clocks.push(c);
    return c;
  };
  const stop = (c: RawClock | null, at: number, reason: 'responded' | 'resolved') => {
    if (c && c.stoppedAt === null) {
      c.stoppedAt = at;
      c.stopReason = reason;
    }
  };

  for (const ev of events) {
    const step = stepSla(machine, ev);
    if (step.wait === 'end') {
      const open = pauses[pauses.length - 1];
      if (open && open[1] === null) open[1] = ev.at;
    }
    if (step.stop) {
      stop(response, ev.at, step.stop);
      if (step.stop === 'resolved') stop(resolution, ev.at, 'resolved');
    }
    if (step.newCycle) {
      resolution = startClock('resolution', ev.at);
      firstWaitAt = null;
      waitsInCycle = 0;
    }
    // a clock for the reply now owed (none without a target); a new cycle owes none until a customer writes
    if (step.start) {
      latestWait = response = startClock(step.start, ev.at);
      firstWaitAt ??= ev.at;
      waitsInCycle++;
    } else if (step.newCycle) latestWait = response = null;
    if (step.wait === 'begin' && pauseEnabled) pauses.push([ev.at, null]);
  }
  // a wait triage says needs no answer has no clock (it comes back, from the same start, when it does)
  const needed = conversation.needsResponse !== false || (conversation.neededInCycle != null && conversation.neededInCycle === machine.cycle);
  let withdrawnRaw: RawClock[] = [];
  // (nothing to look for in the common case: the wait needs an answer and no earlier one went without)
  if (!needed || conversation.withdrawnWaits?.length) {
    const earlier = new Set(conversation.withdrawnWaits ?? []);
    // Nor has the cycle's resolution when the customer began it with nothing that needs an answer
    // (its first wait) and still needs none (its latest): spam, trolls. A later wait that needs one
    // brings it back; a real case whose follow-up needs none keeps it. (Only the first and latest
    // waits decide: what `compactSlaTimeline` keeps.) A cycle the brand began with no wait keeps it.
    const firstNeedsNone = firstWaitAt !== null && (waitsInCycle === 1 ? !needed : earlier.has(firstWaitAt));
    const resolutionWithdrawn = !needed && firstNeedsNone;
    withdrawnRaw = clocks.filter((c) => c.cycle === machine.cycle && (c.metric === 'resolution' ? resolutionWithdrawn : c === latestWait ? !needed : earlier.has(c.startedAt)));
  }
  const counted = withdrawnRaw.length ? clocks.filter((c) => !withdrawnRaw.includes(c)) : clocks;

  const defaultMeasure: Measure = { between: (a, b) => Math.max(0, b - a), add: (from, ms) => representable(from + ms) };
  const calendar = policy.calendar ?? null;
  const businessMeasure: Measure = {
    between: (a, b) => businessMsBetween(calendar, a, b),
    add: (from, ms) => {
      // business time never runs ahead of the wall clock: a deadline the wall clock cannot hold, the calendar cannot either
      if (!(from + ms <= MAX_INSTANT_MS)) return null;
      // a target longer than any that can be saved: its deadline is looked for within a horizon only
      if (ms > MAX_SLA_TARGET_MS && businessMsBetween(calendar, from, Math.min(MAX_INSTANT_MS, from + BUSINESS_SEARCH_HORIZON_MS)) < ms) return null;
      return representable(addBusinessMs(calendar, from, ms));
    },
  };
  const ratio = policy.warningRatio ?? 0.75;

  const evaluateRaw = (c: RawClock) => {
    const business = c.rule.businessHours ?? policy.businessHours ?? false;
    return evaluateClock(c, pauses, business ? businessMeasure : defaultMeasure, business, ratio, now);
  };
  const evaluated = counted.map(evaluateRaw);
  const byRaw = new Map<RawClock, SlaClock>();
  counted.forEach((c, i) => byRaw.set(c, evaluated[i]!));

  const current = (metric: SlaMetric): SlaClock | null => {
    for (let i = clocks.length - 1; i >= 0; i--) {
      const c = clocks[i]!;
      if (c.cycle !== machine.cycle) break;
      // the latest clock of its metric is the current one, withdrawn or not (an earlier wait's is over)
      if (c.metric === metric) return byRaw.get(c) ?? null;
    }
    return null;
  };
  const firstResponse = current('first_response');
  const nextResponse = current('next_response');
  const resolutionClock = current('resolution');
  let nextChangeAt: number | null = null;
  for (const c of [firstResponse, nextResponse, resolutionClock]) {
    if (c && c.nextChangeAt !== null && (nextChangeAt === null || c.nextChangeAt < nextChangeAt)) nextChangeAt = c.nextChangeAt;
  }
  if (upcoming !== null && (nextChangeAt === null || upcoming < nextChangeAt)) nextChangeAt = upcoming;
  return { band, firstResponse, nextResponse, resolution: resolutionClock, history: evaluated, cycle: machine.cycle, withdrawn: withdrawnRaw.map(evaluateRaw), nextChangeAt };
}

/**
 * The instant at which counted time over `segments` (closed) and then from `openFrom`
 * (open-ended, if given) reaches `amount`; null if it never does.
 */
function reachInstant(segments: Array<[number, number]>, openFrom: number | null, amount: number, m: Measure): number | null {
  let remaining = amount;
  for (const [a, b] of segments) {
    const len = m.between(a, b);
    if (remaining <= len) return m.add(a, remaining);
    remaining -= len;
  }
  if (openFrom === null) return null;
  return m.add(openFrom, remaining);
}

function evaluateClock(c: RawClock, pauses: Pause[], m: Measure, business: boolean, ratio: number, now: number): SlaClock {
  const end = c.stoppedAt ?? now;
  // Running segments of the clock up to `end`, i.e. [startedAt, end] minus pauses.
  const segments: Array<[number, number]> = [];
  let cursor = c.startedAt;
  let pausedAtEnd = false;
  for (const [ps, pe] of pauses) {
    const pauseEnd = pe ?? Number.POSITIVE_INFINITY;
    if (pauseEnd <= cursor || ps >= end) continue;
    if (ps > cursor) segments.push([cursor, ps]);
    if (pauseEnd > end) {
      pausedAtEnd = true;
      break;
    }
    cursor = Math.max(cursor, pauseEnd);
  }
  let openFrom: number | null = null;
  if (!pausedAtEnd) {
    if (c.stoppedAt === null) openFrom = cursor;
    else {
      segments.push([cursor, end]);
    }
  }
  let elapsed = 0;
  for (const [a, b] of segments) elapsed += m.between(a, b);
  if (openFrom !== null) elapsed += m.between(openFrom, now);

  const target = c.rule.targetMs;
  const warnAmount = target * ratio;
  let dueAt: number | null;
  let warningAt: number | null;
  if (c.stoppedAt !== null) {
    // The deadline that applied: as if the clock had kept running after its stop.
    const tailFrom = pausedAtEnd ? c.stoppedAt : null;
    const closed = pausedAtEnd ? segments : segments.slice(0, -1);
    const lastStart = pausedAtEnd ? tailFrom : (segments[segments.length - 1]?.[0] ?? c.startedAt);
    dueAt = reachInstant(closed, lastStart, target, m);
    warningAt = reachInstant(closed, lastStart, warnAmount, m);
  } else {
    dueAt = reachInstant(segments, openFrom, target, m);
    warningAt = reachInstant(segments, openFrom, warnAmount, m);
  }

  let state: SlaClockState;
  let nextChangeAt: number | null = null;
  if (c.stoppedAt !== null) {
    state = dueAt === null || c.stoppedAt <= dueAt ? 'met' : 'breached';
  } else if (pausedAtEnd) {
    // Breached before the pause began stays breached.
    state = dueAt !== null && dueAt <= now ? 'breached' : 'paused';
  } else if (dueAt !== null && now >= dueAt) {
    state = 'breached';
  } else if (warningAt !== null && now >= warningAt) {
    state = 'warning';
    nextChangeAt = dueAt;
  } else {
    state = 'active';
    nextChangeAt = warningAt ?? dueAt;
  }
  return {
    metric: c.metric,
    cycle: c.cycle,
    targetMs: target,
    businessHours: business,
    startedAt: c.startedAt,
    dueAt,
    warningAt,
    stoppedAt: c.stoppedAt,
    stopReason: c.stopReason,
    state,
    elapsedMs: elapsed,
    remainingMs: target - elapsed,
    nextChangeAt,
  };
}

/** A timeline shortened by `compactSlaTimeline`. */
export interface CompactedTimeline {
  events: SlaEvent[];
  /** The latest instant of a dropped event (null: nothing dropped). An event at or before it cannot be added to the shortened timeline. */
  foldedUntil: number | null;
}

/**
 * Shortens a timeline without changing what `evaluateSla` gives for it — its current
 * clocks, their deadlines and the next change — at `now` or later, under any policy, when
 * the events added later are all after `foldedUntil`. Dropped:
 * - events that change nothing (a chaser while a reply is owed, an acknowledgement, the
 *   brand posting again when nothing is owed, a status the conversation already had);
 * - each next-response clock that is over — the customer's message that started it and
 *   the reply that stopped it — unless it is the last one of the current cycle.
 * What remains grows with the cycles (reopenings) of a conversation, not with its
 * messages. The clocks of dropped events are over before `now`: whoever evaluates the
 * shortened timeline must have settled them already (the workflow announces them in the
 * evaluation that shortens it). Events after `now` are kept as they are. Messages are where
 * they count (`countedTimeline`): the shortened timeline carries no `receivedAt`.
 */
export function compactSlaTimeline(events: readonly SlaEvent[], now: number): CompactedTimeline {
  const sorted = inTimeOrder(countedTimeline(events));
  const m = newSlaMachine();
  /** Where the reply owed now began to be owed. */
  let owedSince = -1;
  /** Where the current cycle's last next-response clock started (-1: none yet). */
  let lastNextStartOfCycle = -1;
  const state = () => `${m.cycle}|${+m.cycleStarted}${+m.responded}${+m.resolved}${+m.waiting}${+m.lastInbound}|${m.owed ? `${m.owed}@${owedSince}` : '-'}`;
  const keep = sorted.map(() => true);
  const before: string[] = [];
  const after: string[] = [];
  /** Over next-response clocks: the indexes of the message that started and of the reply that stopped each, and its cycle. */
  const over: { start: number; stop: number; cycle: number }[] = [];
  const pastCount = sorted.findIndex((e) => e.at > now);
  const past = pastCount < 0 ? sorted.length : pastCount;
  for (let i = 0; i < past; i++) {
    before.push(state());
    const owed = m.owed;
    const step = stepSla(m, sorted[i]!);
    if (step.newCycle) lastNextStartOfCycle = -1;
    if (step.start) owedSince = i;
    if (step.start === 'next_response') lastNextStartOfCycle = i;
    if (step.stop === 'responded' && owed === 'next_response') over.push({ start: owedSince, stop: i, cycle: m.cycle });
    after.push(state());
    if (before[i] === after[i]) keep[i] = false; // changed nothing
  }
  for (const c of over) {
    if (c.cycle === m.cycle && c.start === lastNextStartOfCycle) continue; // the current cycle's last: its clock is shown
    let between = true;
    for (let j = c.start + 1; j < c.stop && between; j++) between = !keep[j];
    // the state before the customer's message is the state after the reply: nothing but the clock happened
    if (between && before[c.start] === after[c.stop]) {
      keep[c.start] = false;
      keep[c.stop] = false;
    }
  }
  let foldedUntil: number | null = null;
  const out: SlaEvent[] = [];
  sorted.forEach((e, i) => {
    if (keep[i]) out.push(e);
    else foldedUntil = e.at;
  });
  return { events: out, foldedUntil };
}
