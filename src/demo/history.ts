/**
 * The demo's history: a week of past traffic at the live replay's rate, built from the same
 * bundled TWCS excerpt, stored once when the demo brand is seeded (in the background, while the
 * desk already shows its login and replays live), so a fresh demo desk's reports (volume by hour
 * of week, response times, response rate, agents and teams, staffing's arrivals and forecast)
 * measure a desk of the live one's size.
 *
 * Volume: the replay stores the excerpt's tweets over its replayed timeline at its speed
 * (replayMessagesPerDay: ~21,500 a day at the default 3.5), so the history holds as many copies
 * of the excerpt's conversations as HISTORY_DAYS days at that rate take (historyCopies: 75 for
 * a week). The speed is the desk's `demoSpeed`, recorded by the seed; a very fast one's rate is
 * capped at HISTORY_MAX_MESSAGES_PER_DAY (said in the log). Each copy is a conversation of its own — its own customers and ids (historySuffix),
 * its own day and hour — keeping its recorded timing: the brands' answer rates and response
 * times are the excerpt's. The seed may ask for another scale (`demo.history`'s `days` and
 * `messagesPerDay`: the tests' small one); whoever stores it uses the record's.
 *
 * Each conversation is placed on the past HISTORY_DAYS days (yesterday back, on the
 * brand's wall clock) so that every day gets volume of the same shape — weekdays busier than
 * weekends, an hour-of-day curve — rather than what a hash deals it (planHistory). The days,
 * weekdays and hours are the brand's own (`brand.timezone`, the zone its reports bucket hours
 * and days in; DST-correct through src/core/wf_time.ts): a London desk's busy late morning is
 * 10:00–12:00 on its clocks in summer (BST) as in winter, a New York desk's is New York's, not
 * five hours early. The relative timing of its tweets
 * is kept (a silence of more than HISTORY_MAX_GAP_MS shortened to it, so a thread picked up
 * again weeks or years later runs over consecutive days), so the response times are the
 * recorded ones; each conversation ends before today (the live replay's day) and at least an
 * hour before the history's instant, and every tweet is placed. The items are flagged
 * `history`, which the pipeline stores as resolved history whatever its age — without routing,
 * SLA clocks or acknowledgement (markHistory in src/pipeline/ingest.ts) — so the history never
 * reaches the live inbox.
 *
 * Network ids (tweets and customer ids) carry HISTORY_SUFFIX, so they never meet the live
 * replay's (no suffix on its first pass, `~<pass>` after).
 *
 * The brand's replies are then attributed to the demo agents (Ana, Ben, Cleo and, as the volume
 * needs, more: scheduleHistoryAgents, so no agent works on two replies at once or holds more
 * conversations than their capacity; the extra ones deactivated, staff of the recorded week
 * only: historyAgentIds): the reply's `author_user_id`, and its facts' `agent_id` (response
 * facts) and `team_id` (every fact of the conversation: the Care team), moving their counts
 * between rollup rows in the same transaction (`rewriteFacts`). The conversations
 * themselves stay unassigned and without a team: history, not anyone's work. Each reply also
 * gets what a reply sent at the desk gets: the agent's visit to the conversation before it (a
 * `viewing_span`, a few minutes long, as presence heartbeats record) and its `handling` fact,
 * measured from the agent's visits by the reply command's rule (handlingTimeOfReply), so the
 * Staffing page plans with a measured handling time. (Visits themselves are kept a week, as
 * every visit: pruneViewingSpans; the handling facts stay.)
 *
 * Planning the placement is seconds of work at the full scale, done in slices with the event
 * loop served between them (planHistoryCooperatively), and each batch stored is a short
 * transaction, so the desk that has just started keeps answering while it stores the history.
 *
 * Once only: the seed's transaction records that the history is due (`demo.history` in kv);
 * the first desk to start on it (the one that seeded, as a rule) claims the record and stores
 * the history, refreshing the record after every batch; another process takes over only a
 * claim nobody refreshed for HISTORY_STALE_MS (a start that stopped half-way), placing the rest
 * from the same instant. Storing again is safe: messages dedupe on their network ids,
 * attribution rewrites only facts not attributed yet and measures only replies without a
 * `handling` fact (visit and fact in one transaction). The record is deleted when done. A desk
 * stopped meanwhile (Ctrl-C: stopDemoHistory) stops after the batch in hand and hands the record
 * back, due from the same instant, for the next start to finish at once: a stop never waits for it.
 */
import { createHash } from 'node:crypto';
import { createUser } from '../commands/setup.js';
import { DEFAULT_HANDLING_RULES, handlingTimeOfReply, type ViewingSpan } from '../core/staffing/handlingTime.js';
import { CalendarError, canonicalTimeZone, civilDayOf, DAY_MS, fromWallMs, weekdayOfDay } from '../core/wf_time.js';
import { readTwcs, tweetToMessage, TwcsAttribution, type TwcsTweet } from '../import/twcs.js';
import type { IngestItem, IngestOutcome } from '../pipeline/ingest.js';
import type { Store } from '../store/db.js';
import { handlingFactRow, type FactDimensions } from '../store/facts.js';
import { rewriteFacts, writeFacts, type Fact } from '../store/rollup.js';
import { audit } from '../store/audit.js';
import { inLists, inValues } from '../store/util.js';
import { REPLAY_MAX_GAP_MS, replayOrder, replayTimeline } from './replay.js';
import { DEMO_FILE, DEMO_HISTORY_KEY } from './seed.js';

/** Suffix of the history's network ids (the live replay uses none, then `~1`, `~2`, …). */
export const HISTORY_SUFFIX = '~h';
/**
 * How many past days the history covers: a week, at the live replay's rate (about 21,500
 * messages a day at the default speed), so the reports' "last 7 days" are full at the desk's
 * real volume. Five weeks at that rate would take the first start minutes to store; fewer days
 * at the true rate beat more days thinned out (the staffing forecast is sized by the rate).
 */
export const HISTORY_DAYS = 7;
/** The replay speed the history's volume matches when the seed does not say (config `demoSpeed`'s default). */
export const HISTORY_REPLAY_SPEED = 3.5;
/**
 * The most messages a day the history holds, whatever the replay's speed: about twice the default
 * speed's rate (a faster replay's week would take the first start many minutes to store; its
 * history is thinned to this, and the log says so).
 */
export const HISTORY_MAX_MESSAGES_PER_DAY = 45_000;
/** The most recent history day, in days back from today (the brand's day): yesterday (the items are flagged history, whatever their age). */
export const HISTORY_FIRST_DAY_BACK = 1;
/** Longest silence kept inside a history conversation: a thread picked up again days (or years) later runs over consecutive days. */
export const HISTORY_MAX_GAP_MS = 12 * 3600_000;
/**
 * Relative volume of each day of the week (the brand's wall-clock days, Sunday first), measured
 * on TWCS: the customers' tweets of its one long-running sample (`twcs/spotifycares_inbound.csv`
 * in the shared evaluation data, 12,108 tweets over 103 days of 2015–2017), each weekday's share
 * of them (mean 1). Only these aggregate numbers are kept; the demo's excerpt is one evening's
 * crawl and has no daily shape of its own. Checked against the source in test/demo-history.test.ts.
 */
export const WEEKDAY_WEIGHTS: readonly number[] = [0.68, 0.92, 1.2, 1.14, 1.2, 1.2, 0.64];
/**
 * Relative volume by hour of the day (mean 1), measured on the same TWCS sample (its UTC hours),
 * placed on the brand's wall clock (its zone, summer time included): a global brand's customers
 * write around the clock, least late morning, most in the evening.
 */
export const HOUR_WEIGHTS: readonly number[] = [1.09, 0.99, 0.71, 0.65, 0.89, 0.74, 0.86, 0.69, 0.6, 0.65, 0.58, 0.5, 0.68, 0.75, 1.49, 1.4, 1.32, 1.35, 1.19, 1.15, 1.32, 1.34, 1.75, 1.31];
/** A history record nobody refreshed for this long was left by a process that stopped: another may finish it. */
export const HISTORY_STALE_MS = 60_000;
/** The demo people whose replies the history attributes (by email), in the order conversations are dealt to them. */
export const HISTORY_AGENTS = ['ana@demo.parley.local', 'ben@demo.parley.local', 'cleo@demo.parley.local'];

/**
 * How long one ingest call of the history may take (ms): each is one transaction, which
 * better-sqlite3 runs synchronously, the desk answering no request meanwhile (2,000 items, the
 * importer's batch, held it for 1–3 s on a busy machine). The next batch is sized from the last
 * one's pace to take about this long (BATCH_MIN to BATCH_MAX items).
 */
const BATCH_MS = 200;
const BATCH_MIN = 50;
const BATCH_MAX = 2000;
/** Conversations attributed per transaction (a few hundred facts and replies each). */
const ATTRIBUTE_PART = 80;
/** Margin kept between a history conversation's last message and the instant the history is placed from. */
const MARGIN_MS = 3600_000;
/** Facts of a reply: those attributed to the agent who wrote it. */
const AGENT_KINDS = new Set(['first_response', 'next_response', 'message_response']);

export interface HistoryTweet {
  tweet: TwcsTweet;
  /** The conversation root (smallest tweet id of its reply-linked group), with `#<copy>` for a copy after the first. */
  root: string;
  /** The network id suffix of this copy of the excerpt: HISTORY_SUFFIX for the first, `~<copy>~h` after. */
  suffix: string;
  /** When it is placed (ms). */
  at: number;
}

/** A stable 32-bit hash of a string. */
function hash32(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

/** Each tweet's conversation root: the excerpt's `conversation_root` column, else the smallest tweet id of its reply-linked group. */
export function conversationRoots(tweets: TwcsTweet[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    while (x !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  const less = (a: string, b: string) => (a.length !== b.length ? a.length < b.length : a < b); // numeric ids
  const union = (a: string, b: string) => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a), rb = find(b);
    if (ra === rb) return;
    if (less(ra, rb)) parent.set(rb, ra);
    else parent.set(ra, rb);
  };
  for (const t of tweets) {
    union(t.id, t.id);
    if (t.inReplyTo) union(t.id, t.inReplyTo);
    for (const r of t.responseIds) union(t.id, r);
  }
  const out = new Map<string, string>();
  for (const t of tweets) out.set(t.id, t.row.conversation_root || find(t.id));
  return out;
}

/**
 * Where each tweet of the excerpt goes in the history at `now` (pure, deterministic for the same
 * excerpt, `now` and zone), so that each of the HISTORY_DAYS past days (HISTORY_FIRST_DAY_BACK
 * days before today back) gets volume of the same shape — a weekday busier than a weekend day
 * (WEEKDAY_WEIGHTS) and the hours of each day in a care desk's curve (HOUR_WEIGHTS) — rather
 * than what a hash happens to deal it, and nothing ends today (the live replay's day) or less
 * than a margin (an hour) before `now`. Days, weekdays and hours are wall-clock ones in
 * `timeZone` (the brand's; an IANA name, UTC by default): a day runs from its local midnight to
 * the next (23 or 25 hours on a DST switch day), and a start drawn at 10:30 is 10:30 on the
 * brand's clock that day, summer time or not (a wall time skipped by a spring-forward gap moves
 * forward by the gap, as everywhere in the core: 01:30 in London on the switch day is 02:30 BST).
 *
 * Each conversation keeps the recorded timing of its tweets, except that a silence longer than
 * HISTORY_MAX_GAP_MS (a thread picked up again days, or years, later) is shortened to it: a long
 * thread runs over a few consecutive days instead of reaching back years. It starts at a time
 * of day drawn from HOUR_WEIGHTS (by its root's hash) on the day that brings the per-day counts
 * (customers' tweets first, all tweets second) closest to each day's share: largest conversations
 * first, each on the day whose deficit it fills best among those where it ends before the
 * latest allowed instant. In time order; every tweet placed.
 */
export function planHistory(tweets: TwcsTweet[], now: number, timeZone = 'UTC', opts: HistoryScale = {}): HistoryTweet[] {
  const steps = planning(tweets, now, timeZone, opts);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Longest stretch planning runs before it lets the event loop serve a request (ms). */
const PLAN_SLICE_MS = 25;

/**
 * planHistory without holding the event loop: the same plan, computed in slices of about
 * PLAN_SLICE_MS with `pause` (the next turn of the event loop) between them, so a desk that has
 * just started listening keeps answering while it plans a week of history (seconds of work at
 * the full scale, on a busy machine).
 */
export async function planHistoryCooperatively(tweets: TwcsTweet[], now: number, timeZone = 'UTC', opts: HistoryScale = {}, pause: () => Promise<void> = breathe): Promise<HistoryTweet[]> {
  const steps = planning(tweets, now, timeZone, opts);
  let since = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - since >= PLAN_SLICE_MS) {
      await pause();
      since = performance.now();
    }
  }
}

/** planHistory's work, yielding between small steps (a conversation, an hour of the plan to sort). */
function* planning(tweets: TwcsTweet[], now: number, timeZone: string, opts: HistoryScale): Generator<void, HistoryTweet[]> {
  const days = Math.max(1, Math.floor(opts.days ?? HISTORY_DAYS));
  const copies = Math.max(1, Math.floor(opts.copies ?? 1));
  const zone = canonicalTimeZone(timeZone);
  const roots = conversationRoots(tweets);
  const byRoot = new Map<string, TwcsTweet[]>();
  for (const t of tweets) {
    const r = roots.get(t.id)!;
    const l = byRoot.get(r);
    if (l) l.push(t);
    else byRoot.set(r, [t]);
  }
  // civil day numbers on the brand's wall clock; an instant from a wall time by fromWallMs (DST-correct)
  const today = civilDayOf(zone, now);
  const dayStart = (day: number) => fromWallMs(zone, day * DAY_MS);
  const latest = Math.min(now - MARGIN_MS, dayStart(today) - 1); // before today: today is the live replay's
  // the history's days' starts, newest first (today's too): a day's instants found without a zone look-up per tweet
  const starts = Array.from({ length: days + HISTORY_FIRST_DAY_BACK + 2 }, (_, j) => dayStart(today - j));
  const dayIndex = (at: number) => {
    // the brand's day `at` falls on, 0 = the newest history day; out of range below the oldest start
    for (let j = 0; j < starts.length; j++) if (at >= starts[j]!) return j - HISTORY_FIRST_DAY_BACK;
    return days + 1;
  };
  // a wall time on one of those days: the day's start plus the time, unless the day is not 24 hours long (a DST switch day)
  const wallTime = (back: number, timeOfDay: number) => {
    const s = starts[back];
    return s != null && starts[back - 1]! - s === DAY_MS ? s + timeOfDay : fromWallMs(zone, (today - back) * DAY_MS + timeOfDay);
  };
  // each excerpt conversation's timing, shared by its copies
  const shapes = [...byRoot].map(([root, group]) => {
    group.sort(byTime);
    const offsets: number[] = [];
    let acc = 0;
    group.forEach((t, i) => {
      if (i > 0) acc += Math.min(HISTORY_MAX_GAP_MS, Math.max(0, t.createdAt - group[i - 1]!.createdAt));
      offsets.push(acc);
    });
    return { root, group, offsets, span: acc, inbound: group.filter((t) => t.inbound).length };
  });
  // each copy of the excerpt's conversations is a conversation of its own (its own root key: its own day and hour)
  const conversations: { root: string; suffix: string; group: TwcsTweet[]; offsets: number[]; span: number; timeOfDay: number; inbound: number; hash: number }[] = [];
  for (let k = 0; k < copies; k++) {
    for (const shape of shapes) {
      const root = k ? `${shape.root}#${k}` : shape.root;
      conversations.push({ ...shape, root, suffix: historySuffix(k), timeOfDay: historyTimeOfDay(root), hash: hash32(root) });
      yield;
    }
  }
  // the hardest to fit first (most customer tweets, longest), then by hash: the small ones fill the gaps
  const ordered = yield* sortInSteps(conversations, (a, b) => b.inbound - a.inbound || b.group.length - a.group.length || b.span - a.span || a.hash - b.hash || (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));

  // each day's share (index i: HISTORY_FIRST_DAY_BACK + i days back), of customers' tweets and of all
  const weights = Array.from({ length: days }, (_, i) => WEEKDAY_WEIGHTS[weekdayOfDay(today - HISTORY_FIRST_DAY_BACK - i)]!);
  const sum = weights.reduce((a, b) => a + b, 0);
  const totalInbound = ordered.reduce((s, c) => s + c.inbound, 0);
  const inboundTarget = weights.map((w) => (totalInbound * w) / sum);
  const allTarget = weights.map((w) => (tweets.length * copies * w) / sum);
  const inbound = new Array<number>(days).fill(0);
  const all = new Array<number>(days).fill(0);

  // the plan by the hour it falls in: sorted an hour at a time (the hours in order give the whole in time order)
  const byHour = new Map<number, HistoryTweet[]>();
  for (const c of ordered) {
    yield;
    let best: { start: number; cost: number } | null = null;
    for (let k = 0; k < days; k++) {
      // candidates from the day the root's hash prefers: ties keep it
      const back = HISTORY_FIRST_DAY_BACK + ((c.hash + k) % days);
      const start = wallTime(back, c.timeOfDay); // that day's wall clock
      if (start + c.span > latest) continue;
      // the change in squared distance from the targets, were it placed here
      const addIn = new Map<number, number>();
      const addAll = new Map<number, number>();
      c.group.forEach((t, i) => {
        const d = dayIndex(start + c.offsets[i]!);
        addAll.set(d, (addAll.get(d) ?? 0) + 1);
        if (t.inbound) addIn.set(d, (addIn.get(d) ?? 0) + 1);
      });
      let cost = 0;
      for (const [d, a] of addIn) cost += a * (2 * (inbound[d]! - inboundTarget[d]!) + a);
      for (const [d, a] of addAll) cost += 0.1 * a * (2 * (all[d]! - allTarget[d]!) + a);
      if (!best || cost < best.cost) best = { start, cost };
    }
    // one that fits on none of the days (a short history: a long thread late in its only day, or one
    // longer than the whole window) starts at its own place in the window by its hash — or, longer
    // than the window, ends at its own place in it — still ending by the latest instant. Placed at
    // `latest - span`, all of them ended together and stacked their replies on one moment (a 1-day
    // history then needed 954 agents to answer them one at a time, against 181 for 7 days)
    const windowStart = wallTime(HISTORY_FIRST_DAY_BACK + days - 1, 0);
    const room = latest - c.span - windowStart;
    const start = best ? best.start : latest - c.span - Math.floor(((c.hash >>> 0) / 2 ** 32) * (room > 0 ? room : latest - windowStart));
    c.group.forEach((t, i) => {
      const at = start + c.offsets[i]!;
      const d = dayIndex(at);
      if (d >= 0 && d < days) {
        all[d]!++;
        if (t.inbound) inbound[d]!++;
      }
      const hour = Math.floor(at / 3600_000);
      const l = byHour.get(hour);
      const h = { tweet: t, root: c.root, suffix: c.suffix, at };
      if (l) l.push(h);
      else byHour.set(hour, [h]);
    });
  }
  const out: HistoryTweet[] = [];
  for (const hour of [...byHour.keys()].sort((a, b) => a - b)) {
    yield;
    out.push(...byHour.get(hour)!.sort((a, b) => a.at - b.at || byId(a.tweet, b.tweet) || (a.suffix < b.suffix ? -1 : a.suffix > b.suffix ? 1 : 0)));
  }
  return out;
}

/**
 * `items` sorted by `compare` (stably), yielding after every few thousand elements handled: a
 * merge sort, so that sorting the tens of thousands of history conversations never holds the
 * event loop for long (Array.prototype.sort does it in one go: half a second on a busy machine).
 */
function* sortInSteps<T>(items: readonly T[], compare: (a: T, b: T) => number, run = 2048): Generator<void, T[]> {
  let a = items.slice();
  for (let lo = 0; lo < a.length; lo += run) {
    const sorted = a.slice(lo, lo + run).sort(compare);
    for (let i = 0; i < sorted.length; i++) a[lo + i] = sorted[i]!;
    yield;
  }
  let b = new Array<T>(a.length);
  let handled = 0;
  for (let width = run; width < a.length; width *= 2) {
    for (let lo = 0; lo < a.length; lo += 2 * width) {
      const mid = Math.min(lo + width, a.length), hi = Math.min(lo + 2 * width, a.length);
      let i = lo, j = mid;
      for (let k = lo; k < hi; k++) {
        b[k] = i < mid && (j >= hi || compare(a[j]!, a[i]!) >= 0) ? a[i++]! : a[j++]!;
        if (++handled % run === 0) yield;
      }
    }
    [a, b] = [b, a];
  }
  return a;
}

/** How much history to place: how many days, and how many copies of the excerpt's conversations over them. */
export interface HistoryScale {
  /** Past days (HISTORY_FIRST_DAY_BACK back); HISTORY_DAYS by default. */
  days?: number;
  /** Copies of each excerpt conversation (each its own customers and ids); 1 by default. */
  copies?: number;
}

/** The network id suffix of the excerpt's `copy`-th copy in the history: HISTORY_SUFFIX, then `~1~h`, `~2~h`, … (all end in HISTORY_SUFFIX; never the replay's `~<pass>`). */
export function historySuffix(copy: number): string {
  return copy ? `~${copy}${HISTORY_SUFFIX}` : HISTORY_SUFFIX;
}

/**
 * Messages a day the live replay stores at `speed` (recorded seconds per real second): the
 * excerpt's tweets over its replayed timeline (silences capped as the replay caps them).
 */
export function replayMessagesPerDay(tweets: TwcsTweet[], speed = HISTORY_REPLAY_SPEED, maxGapMs = REPLAY_MAX_GAP_MS): number {
  if (!tweets.length) return 0;
  const ordered = [...tweets].sort(replayOrder);
  const span = replayTimeline(ordered, maxGapMs).at(-1)! / speed;
  return span > 0 ? (ordered.length * DAY_MS) / span : ordered.length;
}

/** Copies of the excerpt that give `days` of history at `messagesPerDay` (at least one). */
export function historyCopies(excerptSize: number, days: number, messagesPerDay: number): number {
  return Math.max(1, Math.round((messagesPerDay * days) / Math.max(1, excerptSize)));
}

function byId(a: TwcsTweet, b: TwcsTweet): number {
  return a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0); // numeric ids
}

function byTime(a: TwcsTweet, b: TwcsTweet): number {
  return a.createdAt - b.createdAt || byId(a, b);
}

/** A history conversation's start within its day (wall-clock ms after the brand's midnight): an hour drawn from HOUR_WEIGHTS, a moment within it, both by its root's hash. */
export function historyTimeOfDay(root: string): number {
  const b = createHash('sha256').update(`time:${root}`).digest();
  const total = HOUR_WEIGHTS.reduce((a, w) => a + w, 0);
  let x = (b.readUInt32BE(0) / 2 ** 32) * total;
  let hour = 0;
  while (hour < 23 && x >= HOUR_WEIGHTS[hour]!) x -= HOUR_WEIGHTS[hour++]!;
  return hour * 3600_000 + (b.readUInt32BE(4) % 3600_000);
}

/** The demo agent a history conversation's replies are attributed to (by its root's hash). */
export function historyAgent(root: string, agents: number[]): number | null {
  return agents.length ? agents[hash32(`agent:${root}`) % agents.length]! : null;
}

/** Visits sorted, the overlapping ones (one conversation's replies in quick succession) merged into one stretch. */
function disjoint(visits: { start: number; end: number }[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const v of [...visits].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last && v.start < last.end) last.end = Math.max(last.end, v.end);
    else out.push({ ...v });
  }
  return out;
}

/** A history conversation to staff: its agent's visits before its replies (ms, in any order). */
export interface HistoryStaffing {
  /** Its root (the hash picks the agent it is offered to first). */
  root: string;
  visits: { start: number; end: number }[];
}

/**
 * Which agent (0, 1, 2, … : the demo agents first, then as many more as the volume needs) answers
 * each history conversation, so that the history's staffing is one a desk could have had: an
 * agent works on one reply at a time (their visits before replying never overlap another
 * conversation's: the focused work staffing measures, at concurrency 1) and holds at most
 * `capacity` conversations at once (from the start of their first visit to their last reply,
 * counted by the hour: conservative). Conversations in order of their first visit, each offered
 * to the agent its root's hash prefers among the first `base` (or among all once more are in
 * use), then to the next ones in turn; a conversation nobody is free for goes to a new agent.
 * Pure and deterministic: the same conversations give the same agents (a rerun attributes as the
 * first run did).
 */
export function scheduleHistoryAgents(conversations: HistoryStaffing[], base: number, capacity: number): number[] {
  const HOUR = 3600_000;
  const order = conversations.map((c, i) => ({ i, visits: disjoint(c.visits), hash: hash32(`agent:${c.root}`) }))
    .filter((c) => c.visits.length)
    .sort((a, b) => a.visits[0]!.start - b.visits[0]!.start || a.i - b.i);
  /** Each agent's visits (sorted by start, never overlapping: their ends are sorted too) and held conversations per hour. */
  const agents: { starts: number[]; ends: number[]; held: Map<number, number> }[] = [];
  const add = () => agents.push({ starts: [], ends: [], held: new Map() });
  for (let k = 0; k < Math.max(1, base); k++) add();
  const free = (a: (typeof agents)[number], v: { start: number; end: number }) => {
    // the last visit starting before this one ends must have ended before it starts
    let lo = 0, hi = a.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a.starts[mid]! < v.end) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 || a.ends[lo - 1]! <= v.start;
  };
  const out = new Array<number>(conversations.length).fill(0);
  for (const c of order) {
    const first = Math.floor(c.visits[0]!.start / HOUR);
    const last = Math.floor(Math.max(...c.visits.map((v) => v.end)) / HOUR);
    const fits = (a: (typeof agents)[number]) => {
      for (let h = first; h <= last; h++) if ((a.held.get(h) ?? 0) >= capacity) return false;
      // its own visits may follow each other closely (the previous reply bounds each one's window): only other conversations' count
      return c.visits.every((v) => free(a, v));
    };
    const n = agents.length;
    const from = c.hash % n;
    let k = -1;
    for (let j = 0; j < n && k < 0; j++) if (fits(agents[(from + j) % n]!)) k = (from + j) % n;
    if (k < 0) {
      add();
      k = agents.length - 1;
    }
    const a = agents[k]!;
    for (let h = first; h <= last; h++) a.held.set(h, (a.held.get(h) ?? 0) + 1);
    for (const v of c.visits) {
      // kept sorted (and disjoint: the conversation's own overlapping visits were merged, and it fit between the others)
      let lo = 0, hi = a.starts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (a.starts[mid]! < v.start) lo = mid + 1;
        else hi = mid;
      }
      const at = lo;
      a.starts.splice(at, 0, v.start);
      a.ends.splice(at, 0, v.end);
    }
    out[c.i] = k;
  }
  return out;
}

export interface HistoryOptions {
  store: Store;
  brandId: number;
  /** The desk's ingest (IngestPipeline.ingest): triage, facts, rollups, search. */
  ingest: (brandId: number, items: IngestItem[]) => Promise<IngestOutcome[]>;
  now: () => number;
  file?: string;
  log?: { info(o: unknown, m?: string): void; warn(o: unknown, m?: string): void };
}

/** The histories being stored in this process, by store: each stops after its current batch once told to (stopDemoHistory). */
const running = new WeakMap<Store, Set<{ stop: boolean }>>();

/**
 * The desk on `store` is stopping (Ctrl-C): a history this process is storing on it stops after
 * the batch in hand, rather than holding the stop for the seconds the rest takes, and hands its
 * claim back, so the next desk to start finishes it at once (same anchor; what was stored dedupes).
 */
export function stopDemoHistory(store: Store): void {
  for (const run of running.get(store) ?? []) run.stop = true;
}

export interface HistorySummary {
  stored: number;
  duplicates: number;
  conversations: number;
  attributed: number;
  /** History replies given a measured handling time (a `handling` fact with its value). */
  measured: number;
  /** Of `ms`, attributing the replies to the demo agents. */
  attributeMs: number;
  ms: number;
}

/**
 * Store the demo history if it is due and this process may (see the module comment); null when
 * there is nothing to do here (stored before, no demo, or another process is storing it).
 */
export async function storeDemoHistory(opts: HistoryOptions): Promise<HistorySummary | null> {
  // registered before the first await, so a stop asked for at once is heard; a later run on the same store is not stopped
  const run = { stop: false };
  const runs = running.get(opts.store) ?? new Set();
  // this process stores it already (the retry job came round while the first run attributes)
  if (runs.size) return null;
  running.set(opts.store, runs.add(run));
  try {
    return await storeHistory(opts, run);
  } finally {
    runs.delete(run);
  }
}

async function storeHistory(opts: HistoryOptions, run: { stop: boolean }): Promise<HistorySummary | null> {
  const { store, brandId } = opts;
  const started = Date.now();
  const row = await store.db.selectFrom('kv').select(['value', 'updated_at']).where('key', '=', DEMO_HISTORY_KEY).executeTakeFirst();
  if (!row) return null;
  const seen = Number(row.updated_at);
  let before: { claimed?: boolean; at?: number; days?: number; messagesPerDay?: number; speed?: number } = {};
  try {
    before = JSON.parse(row.value) as typeof before;
  } catch { /* unreadable: take it */ }
  if (before.claimed && seen > opts.now() - HISTORY_STALE_MS) return null; // another process is storing it
  // the instant the history is placed from: the first storer's, so a storer finishing it places the rest as it would have
  const anchor = Number.isFinite(before.at) ? before.at! : opts.now();
  // claim it: only one process moves the record on from what it read
  // the scale the seed asked for (a test's small one), kept through a hand-over
  const scale = { days: before.days, messagesPerDay: before.messagesPerDay, speed: before.speed };
  const claimed = await store.db
    .updateTable('kv')
    .set({ value: JSON.stringify({ claimed: true, at: anchor, ...scale }), updated_at: Math.max(opts.now(), seen + 1) })
    .where('key', '=', DEMO_HISTORY_KEY).where('updated_at', '=', seen).where('value', '=', row.value)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return null;
  const alive = () => store.db.updateTable('kv').set({ updated_at: opts.now() }).where('key', '=', DEMO_HISTORY_KEY).execute();
  // stopping: hand the claim back (due again, from the same anchor) for the next desk to finish at once
  const stopped = async (summary: HistorySummary) => {
    await store.db.updateTable('kv').set({ value: JSON.stringify({ due: true, at: anchor, ...scale }), updated_at: Math.max(opts.now(), seen + 2) }).where('key', '=', DEMO_HISTORY_KEY).execute();
    opts.log?.info({ stored: summary.stored }, 'demo history paused by the stop: the next start finishes it');
    return null;
  };

  const tweets: TwcsTweet[] = [];
  const attribution = new TwcsAttribution();
  for await (const item of readTwcs(opts.file ?? DEMO_FILE)) {
    if (item.kind !== 'tweet') continue;
    tweets.push(item.tweet);
    attribution.add(item.tweet);
  }
  const accounts = new Map<string, number>();
  for (const r of await store.db.selectFrom('channel_account').select(['id', 'external_id']).where('brand_id', '=', brandId).where('network', '=', 'x').execute()) accounts.set(r.external_id, r.id);
  // a week (by default) at the live replay's rate at its speed: as many copies of the excerpt's conversations as that takes
  const days = Number.isFinite(scale.days) && scale.days! >= 1 ? Math.floor(scale.days!) : HISTORY_DAYS;
  const speed = Number.isFinite(scale.speed) && scale.speed! > 0 ? scale.speed! : HISTORY_REPLAY_SPEED;
  const asked = Number.isFinite(scale.messagesPerDay) && scale.messagesPerDay! > 0 ? scale.messagesPerDay! : replayMessagesPerDay(tweets, speed);
  const perDay = Math.min(asked, HISTORY_MAX_MESSAGES_PER_DAY);
  if (perDay < asked) {
    opts.log?.info({ speed, replayPerDay: Math.round(asked), historyPerDay: perDay }, `the replay at speed ${speed} stores about ${Math.round(asked).toLocaleString('en')} messages a day: the demo history holds ${perDay.toLocaleString('en')} a day, its most (more would take too long to store)`);
  }
  const plan = await planHistoryCooperatively(tweets, anchor, await historyZone(store, brandId, opts.log), { days, copies: historyCopies(tweets.length, days, perDay) });
  const summary: HistorySummary = { stored: 0, duplicates: 0, conversations: 0, attributed: 0, measured: 0, attributeMs: 0, ms: 0 };
  const rootOf = new Map<string, string>();
  let items: IngestItem[] = [];
  let batch = BATCH_MIN;
  const flush = async () => {
    if (!items.length) return;
    const began = performance.now();
    for (const o of await opts.ingest(brandId, items)) {
      if (o.status === 'stored') summary.stored++;
      else if (o.status === 'duplicate') summary.duplicates++;
    }
    const msPerItem = Math.max(0.01, (performance.now() - began) / items.length);
    batch = Math.max(BATCH_MIN, Math.min(BATCH_MAX, Math.round(BATCH_MS / msPerItem)));
    items = [];
    await alive();
    await breathe();
  };
  for (const h of plan) {
    if (run.stop) return stopped(summary);
    const handle = attribution.brandOf(h.tweet.id);
    const account = handle ? accounts.get(handle.toLowerCase()) : undefined;
    if (!account) continue;
    const message = tweetToMessage(h.tweet, { idSuffix: h.suffix, createdAt: h.at });
    rootOf.set(message.networkMessageId, h.root);
    items.push({ channelAccountId: account, message, source: 'import', history: true, origin: 'demo:history' });
    if (items.length >= batch) await flush();
  }
  await flush();
  if (run.stop) return stopped(summary);

  const ingested = Date.now();
  const attributed = await attributeHistory(store, brandId, rootOf, alive);
  summary.attributeMs = Date.now() - ingested;
  summary.conversations = attributed.conversations;
  summary.attributed = attributed.facts;
  summary.measured = attributed.measured;
  await store.db.deleteFrom('kv').where('key', '=', DEMO_HISTORY_KEY).execute();
  summary.ms = Date.now() - started;
  opts.log?.info({ ...summary }, 'demo history stored');
  return summary;
}

/**
 * The zone the history's days and hours are the brand's in: `brand.timezone`, which its reports
 * bucket by (and its SLA notices are worded in). One that is not a zone (a hand-edited row) is
 * said in the log and the history placed in UTC: a demo with its curve off by hours beats none.
 */
async function historyZone(store: Store, brandId: number, log?: HistoryOptions['log']): Promise<string> {
  const zone = (await store.db.selectFrom('brand').select('timezone').where('id', '=', brandId).executeTakeFirst())?.timezone ?? 'UTC';
  try {
    return canonicalTimeZone(zone);
  } catch (err) {
    if (!(err instanceof CalendarError)) throw err;
    log?.warn({ brandId, timezone: zone }, `the demo brand's time zone ${JSON.stringify(zone)} is not an IANA zone: its history is placed in UTC`);
    return 'UTC';
  }
}

/**
 * Let the event loop serve requests between two steps of the background history: its queries
 * run synchronously in better-sqlite3 and their awaits resume as microtasks, so a long run of
 * them would otherwise keep every HTTP request waiting until the history is done.
 */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The history's replies, written by the demo agents: each conversation's brand messages get its
 * agent as author, its reply facts the agent, all its facts the demo's Care team; rollups moved
 * with them. Each reply also gets what a reply written at the desk gets: its author's visit to
 * the conversation before it (a `viewing_span`, as presence heartbeats record one) and the
 * `handling` fact measured from the agent's visits (handlingTimeOfReply, as the reply command
 * measures it), so staffing plans with a measured handling time. Only what is not attributed or
 * measured yet is touched (a rerun after a crash finishes the rest).
 */
async function attributeHistory(store: Store, brandId: number, rootOf: Map<string, string>, alive: () => Promise<unknown>): Promise<{ conversations: number; facts: number; measured: number }> {
  const people = await store.db.selectFrom('app_user').select(['id', 'email', 'capacity']).where('brand_id', '=', brandId).where('email', 'in', HISTORY_AGENTS).execute();
  const demoAgents = HISTORY_AGENTS.map((e) => people.find((p) => p.email === e)).filter((p) => p != null);
  const team = await store.db.selectFrom('team').select('id').where('brand_id', '=', brandId).orderBy('id').executeTakeFirst();
  if (!demoAgents.length) return { conversations: 0, facts: 0, measured: 0 };
  // each stored history conversation and its root (from any of its messages)
  const rootOfConversation = new Map<number, string>();
  for (const part of inLists([...rootOf.keys()])) {
    await breathe();
    const rows = await store.db.selectFrom('message').select(['conversation_id', 'network_message_id']).where('brand_id', '=', brandId).where('network', '=', 'x').where(inValues(store, 'network_message_id', part, 'text')).execute();
    for (const r of rows) if (!rootOfConversation.has(r.conversation_id)) rootOfConversation.set(r.conversation_id, rootOf.get(r.network_message_id!)!);
  }
  const ids = [...rootOfConversation.keys()].sort((a, b) => a - b);
  const work = await historyWork(store, ids);
  // staffed as a desk could have been: one reply at a time, at most their capacity held (as many more agents as the volume needs)
  const capacity = Math.max(1, Math.min(...demoAgents.map((p) => Number(p.capacity) || 8)));
  const slots = scheduleHistoryAgents(ids.map((id) => ({ root: rootOfConversation.get(id)!, visits: (work.replies.get(id) ?? []).map((r) => ({ start: r.span.startedAt, end: r.at })) })), demoAgents.length, capacity);
  await breathe();
  const agents = await historyAgentIds(store, brandId, demoAgents.map((p) => p.id), Math.max(0, ...slots) + 1, capacity);
  const agentOf = new Map(ids.map((id, i) => [id, agents[slots[i]!]!]));
  work.assign(agentOf);
  const timezone = (await store.db.selectFrom('brand').select('timezone').where('id', '=', brandId).executeTakeFirst())?.timezone ?? 'UTC';
  let facts = 0;
  let measured = 0;
  for (const part of inLists([...agentOf.keys()], ATTRIBUTE_PART)) {
    const ids = [...new Set(part)];
    await alive(); // the claim stays fresh through the minute or more this takes
    await breathe();
    facts += await store.db.transaction().execute(async (trx) => {
      // the brand's posts still without an author (a person's or a rule's reply keeps its own)
      const byAgent = new Map<number, number[]>();
      for (const id of ids) {
        const a = agentOf.get(id)!;
        const l = byAgent.get(a);
        if (l) l.push(id);
        else byAgent.set(a, [id]);
      }
      for (const [agent, convs] of byAgent) {
        await trx.updateTable('message').set({ author_user_id: agent }).where('conversation_id', 'in', convs).where('direction', '=', 'outbound').where('author_user_id', 'is', null).where('network_message_id', 'like', `%${HISTORY_SUFFIX}`).execute();
      }
      // the conversations' facts through their messages (the `message_id` index: `reporting_fact` has none on
      // `conversation_id`, and a search of all the brand's facts per part — hundreds of thousands at the full
      // scale — held SQLite's one synchronous connection, and the desk's event loop with it, for over a minute).
      // Every fact of a history conversation names its message (no SLA facts: history has no clocks). The
      // brand is checked after: with it in the query, SQLite searches the (brand, time) index instead
      const messageIds = (await trx.selectFrom('message').select('id').where('conversation_id', 'in', ids).execute()).map((m) => Number(m.id));
      const rows: (Fact & { id: number })[] = [];
      for (const chunk of inLists(messageIds, 500)) {
        const found = (await trx.selectFrom('reporting_fact').selectAll().where('message_id', 'in', chunk).where('conversation_id', 'in', ids).execute()) as (Fact & { id: number })[];
        rows.push(...found.filter((f) => Number(f.brand_id) === brandId));
      }
      // replies to their agent, every fact of the conversation to the Care team
      const n = await rewriteFacts(trx, store, rows, (f) => ({ agent_id: AGENT_KINDS.has(f.kind) ? agentOf.get(Number(f.conversation_id))! : f.agent_id ?? null, team_id: team?.id ?? f.team_id ?? null }));
      // the agent's visit before each reply of theirs not measured yet, and its measured handling time
      const handled = new Set(rows.filter((f) => f.kind === 'handling').map((f) => Number(f.message_id)));
      const replies = ids.flatMap((id) => work.replies.get(id) ?? []).filter((r) => !handled.has(r.messageId) && (r.authorUserId == null || r.authorUserId === r.agentId));
      if (!replies.length) return n;
      for (const chunk of inLists(replies, 200)) {
        await trx.insertInto('viewing_span').values(chunk.map((r) => ({ brand_id: brandId, conversation_id: r.conversationId, user_id: r.agentId, started_at: r.span.startedAt, last_seen_at: r.span.lastSeenAt }))).execute();
      }
      const conversations = new Map((await trx.selectFrom('conversation').select(['id', 'channel_account_id', 'network', 'priority', 'category']).where('id', 'in', ids).execute()).map((c) => [Number(c.id), c]));
      const handling = replies.flatMap((r) => {
        const c = conversations.get(r.conversationId);
        if (!c) return [];
        const h = handlingTimeOfReply({ conversationId: r.conversationId, at: r.at, previousReplyAt: r.previousReplyAt, waitingSince: r.waitingSince }, work.spansOf(r.agentId, r.at));
        const dims: FactDimensions = {
          brandId, timezone, conversationId: r.conversationId, messageId: r.messageId, agentId: r.agentId, teamId: team?.id ?? null,
          channelAccountId: c.channel_account_id, network: c.network, visibility: r.visibility, priority: c.priority, category: c.category,
        };
        if (h.measured) measured++;
        return [handlingFactRow(dims, r.at, h)];
      });
      await writeFacts(trx, store, handling as Fact[]);
      return n;
    });
  }
  return { conversations: agentOf.size, facts, measured };
}

/**
 * The agents who answer the history, `count` of them: the demo agents first, then as many more as
 * the volume needs ("Care Agent 01", … `care-01@demo.parley.local`, …), created once (a rerun
 * finds them). Those are the recorded week's staff, not the live desk's: created deactivated
 * (`disabled_at`, audited as a change of the system's) and in no team, so they cannot sign in,
 * are never routed or offered in a picker, and the People page keeps them out of the way, while
 * the reports still credit their replies by name.
 */
async function historyAgentIds(store: Store, brandId: number, demoAgents: number[], count: number, capacity: number): Promise<number[]> {
  const extra = Array.from({ length: Math.max(0, count - demoAgents.length) }, (_, i) => historyAgentEmail(i + 1));
  if (!extra.length) return demoAgents;
  return store.db.transaction().execute(async (trx) => {
    const found = new Map<string, number>();
    for (const part of inLists(extra, 200)) {
      for (const u of await trx.selectFrom('app_user').select(['id', 'email']).where('email', 'in', part).execute()) found.set(u.email, u.id);
    }
    const now = Date.now();
    for (const [i, email] of extra.entries()) {
      if (found.has(email)) continue;
      const id = await createUser(trx, { brandId, email, name: `Care Agent ${String(i + 1).padStart(2, '0')}`, role: 'agent', password: null, availability: 'offline', capacity }, now);
      await trx.updateTable('app_user').set({ disabled_at: now }).where('id', '=', id).execute();
      await audit(trx, { brandId, actor: 'system', action: 'user.updated', subjectType: 'user', subjectId: id, data: { disabled: true, reason: 'demo history: staff of the recorded week only' } }, now);
      found.set(email, id);
    }
    return [...demoAgents, ...extra.map((e) => found.get(e)!)];
  });
}

/** The email of the `n`-th agent the history needs beyond the demo's own (1-based). */
export function historyAgentEmail(n: number): string {
  return `care-${String(n).padStart(2, '0')}@demo.parley.local`;
}

/** A history reply to measure: its message, author, the agent's visit before it, and the window the reply command measures in. */
interface HistoryReply {
  messageId: number;
  conversationId: number;
  agentId: number;
  authorUserId: number | null;
  visibility: string;
  at: number;
  /** The same agent's previous reply in the conversation (strictly before), if any. */
  previousReplyAt: number | null;
  /** The oldest customer message since the previous reply of the brand: the conversation's waiting clock when the reply was sent. */
  waitingSince: number | null;
  span: ViewingSpan;
}

/**
 * The history's replies (the brand's posts in each conversation, which attribution gives to its
 * agent) with the visit each agent made to the conversation before replying, and each agent's
 * visits around a moment: the handling time of a reply is measured against all of its agent's
 * visits, other conversations open at the same time sharing the clock.
 */
async function historyWork(store: Store, conversations: number[]): Promise<{ replies: Map<number, HistoryReply[]>; assign(agentOf: Map<number, number>): void; spansOf(agent: number, at: number): ViewingSpan[] }> {
  const replies = new Map<number, HistoryReply[]>();
  const byAgent = new Map<number, ViewingSpan[]>();
  for (const part of inLists(conversations, 250)) {
    await breathe();
    const rows = await store.db.selectFrom('message').select(['id', 'conversation_id', 'direction', 'created_at', 'author_user_id', 'visibility', 'network_message_id'])
      .where('conversation_id', 'in', part).orderBy('conversation_id').orderBy('created_at').orderBy('id').execute();
    let conv = -1;
    let waiting: number | null = null;
    let previous: number | null = null;
    for (const m of rows) {
      const id = Number(m.conversation_id);
      if (id !== conv) [conv, waiting, previous] = [id, null, null];
      const at = Number(m.created_at);
      if (m.direction === 'inbound') {
        waiting ??= at;
        continue;
      }
      if (!m.network_message_id?.endsWith(HISTORY_SUFFIX)) continue;
      const handlingMs = historyHandlingS(m.network_message_id) * 1000;
      // the last heartbeat a few seconds before Send (heartbeats are written every 30 s at most)
      const lastBeat = Math.min(handlingMs, hash32(`beat:${m.network_message_id}`) % 20_000);
      const span: ViewingSpan = { conversationId: id, startedAt: at - handlingMs, lastSeenAt: at - lastBeat };
      const reply: HistoryReply = {
        messageId: Number(m.id), conversationId: id, agentId: 0, authorUserId: m.author_user_id == null ? null : Number(m.author_user_id), visibility: m.visibility,
        at, previousReplyAt: previous != null && previous < at ? previous : null, waitingSince: waiting, span,
      };
      const l = replies.get(id);
      if (l) l.push(reply);
      else replies.set(id, [reply]);
      previous = at;
      waiting = null;
    }
  }
  const reach = DEFAULT_HANDLING_RULES.capMs + DEFAULT_HANDLING_RULES.gapMs;
  return {
    replies,
    assign(agentOf) {
      byAgent.clear();
      for (const [id, list] of replies) {
        const agentId = agentOf.get(id)!;
        for (const r of list) {
          r.agentId = agentId;
          const spans = byAgent.get(agentId);
          if (spans) spans.push(r.span);
          else byAgent.set(agentId, [r.span]);
        }
      }
      for (const spans of byAgent.values()) spans.sort((a, b) => a.startedAt - b.startedAt);
    },
    spansOf(agent, at) {
      const spans = byAgent.get(agent) ?? [];
      // visits that started by the reply and ended at most a window before it (they start in order, each at most
      // HANDLING_MAX_S long: from the first that may reach the window, to the first after the reply)
      let lo = 0, hi = spans.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (spans[mid]!.startedAt < at - reach - HANDLING_MAX_S * 1000) lo = mid + 1;
        else hi = mid;
      }
      const out: ViewingSpan[] = [];
      for (const s of spans.slice(lo)) {
        if (s.startedAt > at) break;
        if (s.lastSeenAt >= at - reach) out.push(s);
      }
      return out;
    },
  };
}

/**
 * The working time an agent spends on a history reply (seconds), before the measurement clips
 * it to the reply's window: log-normal around a median of 3.5 minutes, most between 2 and 7,
 * a few longer (1 to 15 minutes), by a hash of the reply's network id.
 */
/** The longest working time on one history reply (s). */
const HANDLING_MAX_S = 900;

export function historyHandlingS(key: string): number {
  const b = createHash('sha256').update(`handling:${key}`).digest();
  const u1 = (b.readUInt32BE(0) + 1) / (2 ** 32 + 1);
  const u2 = b.readUInt32BE(4) / 2 ** 32;
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(HANDLING_MAX_S, Math.max(60, Math.round(210 * Math.exp(0.4 * z))));
}
