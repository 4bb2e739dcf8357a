/**
 * How a conversation's state moves when a message arrives or goes out, and
 * which reporting facts that movement produces. Pure: the pipeline and the
 * outbox call it with the stored state and persist the result.
 *
 * Rules that make the numbers trustworthy (docs/metrics.md):
 * - an auto-acknowledgement or bot message is never a response;
 * - a resolved conversation that hears from the customer again reopens, and the
 *   next response is measured from the reopening, not from the first message;
 * - first response = the first human reply of a cycle; later ones are next responses,
 *   measured from the oldest inbound message that was still unanswered;
 * - a "thanks, all sorted" after the conversation was resolved is recorded, not a reopening:
 *   nothing to answer, so no new cycle, no SLA clock, no reopen against the assignee;
 * - a message delivered late across a resolve (written before it, received after) counts from
 *   its receipt: the reopening and the wait begin there (`countsFrom`);
 * - a customer chasing an unanswered wait raises the conversation's priority above where it
 *   stood (once per unanswered stretch), whatever the chaser's own text scores;
 * - imported history (older than HISTORY_AFTER_MS) is stored resolved: it counts in the
 *   reports, not in the live inbox.
 */
import type { ConversationStatus, Direction } from './types.js';

export interface ConversationState {
  status: ConversationStatus;
  createdAt: number;
  lastMessageAt: number;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  waitingSince: number | null;
  firstResponseAt: number | null;
  cycleStartedAt: number;
  cycleFirstResponseAt: number | null;
  resolvedAt: number | null;
  reopenedCount: number;
  snoozedUntil: number | null;
  messageCount: number;
  priority: number;
}

export interface MessageEvent {
  direction: Direction;
  createdAt: number;
  /** Auto-acknowledgement / bot: never a response. */
  isAuto: boolean;
  /** Triage priority of an inbound message. */
  priority?: number | null;
  /**
   * An inbound message that only closes the conversation (thanks, ok, praise with nothing to
   * answer, as triage marks it: `closesConversation`). On a resolved conversation it is
   * recorded without reopening it; elsewhere it is an inbound message like any other.
   */
  closesOnly?: boolean | null;
  /**
   * The points a chaser adds on top of the conversation's standing priority when it chases an
   * unanswered wait (`chaserPoints` of its triage). The caller passes them once per
   * unanswered stretch (0 for a later chaser of the same wait), so repeated chasers do not
   * push the priority up without bound.
   */
  chaserPoints?: number | null;
  /**
   * When an inbound message counts from, when that is not `createdAt`: a message delivered late
   * across a resolve (written before the conversation's latest resolve, received after it) counts
   * from its receipt — it reopens the conversation and begins its wait there, as its SLA clock
   * does (`countedTimeline` in sla.ts) — while its own times (last message, volume) stay the
   * network's.
   */
  countsFrom?: number | null;
}

/** The top of the priority scale (triage scores 0–100). */
export const PRIORITY_MAX = 100;

/** A fact to append; the caller adds ids, dimensions and business-hours seconds. */
export interface FactDraft {
  kind: 'first_response' | 'next_response' | 'reopen' | 'resolution' | 'inbound';
  occurredAt: number;
  /** Interval measured, for wall-clock and business-hours seconds. */
  from: number | null;
  to: number | null;
}

export function newConversationState(firstAt: number): ConversationState {
  return {
    status: 'new',
    createdAt: firstAt,
    lastMessageAt: firstAt,
    lastInboundAt: null,
    lastOutboundAt: null,
    waitingSince: null,
    firstResponseAt: null,
    cycleStartedAt: firstAt,
    cycleFirstResponseAt: null,
    resolvedAt: null,
    reopenedCount: 0,
    snoozedUntil: null,
    messageCount: 0,
    priority: 0,
  };
}

/** Apply one message. Returns the new state and the facts it produced. */
export function applyMessage(prev: ConversationState, msg: MessageEvent): { state: ConversationState; facts: FactDraft[] } {
  const s: ConversationState = { ...prev };
  const facts: FactDraft[] = [];
  const t = msg.createdAt;
  s.messageCount += 1;
  if (t > s.lastMessageAt) s.lastMessageAt = t;
  if (t < s.createdAt) s.createdAt = t;

  if (msg.direction === 'inbound') {
    /** Where its wait begins (a reopening included). */
    const w = msg.countsFrom ?? t;
    s.lastInboundAt = s.lastInboundAt === null ? t : Math.max(s.lastInboundAt, t);
    facts.push({ kind: 'inbound', occurredAt: t, from: null, to: null });
    if (s.status === 'resolved' && prev.lastInboundAt === null) {
      // the first word from a customer on what the brand began (its own post): a first
      // contact, not a reopening — its cycle starts now and its first response is still to come
      s.status = 'new';
      s.resolvedAt = null;
      s.cycleStartedAt = t;
      s.cycleFirstResponseAt = null;
      s.firstResponseAt = null;
      s.waitingSince = t;
      s.priority = msg.priority ?? 0;
    } else if (s.status === 'resolved' && msg.closesOnly) {
      // "thanks, all sorted": recorded (volume, accolades) but nothing to answer — the
      // conversation stays resolved, no new cycle or clock, no reopen against anyone
    } else if (s.status === 'resolved') {
      s.status = 'open';
      s.reopenedCount += 1;
      s.cycleStartedAt = w;
      s.cycleFirstResponseAt = null;
      s.resolvedAt = null;
      s.waitingSince = w;
      s.priority = msg.priority ?? 0;
      facts.push({ kind: 'reopen', occurredAt: w, from: null, to: null });
    } else {
      if (s.status === 'waiting') s.status = 'open';
      if (s.waitingSince === null || w < s.waitingSince) {
        // Nothing was awaiting a reply: this message starts the wait, and its urgency replaces the old one.
        if (s.waitingSince === null) s.priority = msg.priority ?? 0;
        s.waitingSince = s.waitingSince === null ? w : Math.min(s.waitingSince, w);
      }
      // a chaser of the wait adds its points to where the conversation stood: "hello??" scores
      // less on its own text than the complaint it chases, yet the customer now waits twice
      const chased = prev.waitingSince !== null && w >= prev.waitingSince && msg.chaserPoints ? Math.min(PRIORITY_MAX, prev.priority + msg.chaserPoints) : 0;
      s.priority = Math.max(s.priority, msg.priority ?? 0, chased);
    }
    s.snoozedUntil = null;
    return { state: s, facts };
  }

  // outbound
  s.lastOutboundAt = s.lastOutboundAt === null ? t : Math.max(s.lastOutboundAt, t);
  if (msg.isAuto) return { state: s, facts };
  if (s.lastInboundAt === null) {
    // the brand wrote first (its own post, a public statement): nothing awaits a reply, and
    // it answers nobody — no response is measured, and it does not sit open in the inbox
    if (s.status === 'new') {
      s.status = 'resolved';
      s.resolvedAt = t;
    }
    return { state: s, facts };
  }
  if (s.status === 'new') s.status = 'open';
  if (s.waitingSince !== null && t >= s.waitingSince) {
    const kind = s.cycleFirstResponseAt === null ? 'first_response' : 'next_response';
    facts.push({ kind, occurredAt: t, from: s.waitingSince, to: t });
    s.waitingSince = null;
  }
  if (s.firstResponseAt === null) s.firstResponseAt = t;
  if (s.cycleFirstResponseAt === null) s.cycleFirstResponseAt = t;
  return { state: s, facts };
}

/**
 * Imported conversations whose last message is older than this are history: stored resolved,
 * without routing, SLA clocks or acknowledgement, and without the waiting-time priority factor
 * (a week: past any first-response or resolution target a desk would set, so nobody is
 * still waiting on the desk for them; newer imported conversations stay open as live work).
 */
export const HISTORY_AFTER_MS = 7 * 24 * 3600_000;

/** Whether an imported conversation whose last message is at `lastMessageAt` is history at `now`. */
export function isHistory(lastMessageAt: number, now: number): boolean {
  return lastMessageAt < now - HISTORY_AFTER_MS;
}

/**
 * History as stored: resolved at its last message. Ingest writes its `resolution` fact there,
 * with no agent and no SLA clocks (`historyResolutions` in src/pipeline/ingest.ts); its
 * responses are measured as usual. The wait it ended with is kept, so that
 * history imported over several batches continues where it left off (`resumeHistory`).
 */
export function asHistory(prev: ConversationState): ConversationState {
  if (prev.status === 'resolved' && prev.resolvedAt === prev.lastMessageAt) return prev;
  return { ...prev, status: 'resolved', resolvedAt: prev.lastMessageAt, snoozedUntil: null };
}

/**
 * Whether a stored state is imported history (`asHistory`): resolved at its last message, with
 * a customer in it. (The brand's own post, resolved as it is written, has none.)
 */
export function isStoredHistory(s: ConversationState): boolean {
  return s.status === 'resolved' && s.resolvedAt === s.lastMessageAt && s.lastInboundAt !== null;
}

/** Stored history that more imported history continues: as it was before `asHistory`, so the import's messages are not a reopening. */
export function resumeHistory(prev: ConversationState): ConversationState {
  return { ...prev, status: prev.firstResponseAt !== null ? 'open' : 'new', resolvedAt: null };
}

/** An agent (or rule) changes the status. Resolution produces a fact measured from the cycle start. */
export function applyStatus(prev: ConversationState, status: ConversationStatus, at: number, snoozedUntil: number | null = null): { state: ConversationState; facts: FactDraft[] } {
  const s: ConversationState = { ...prev };
  const facts: FactDraft[] = [];
  if (status === prev.status && status !== 'waiting') return { state: s, facts };
  if (status === 'resolved') {
    s.resolvedAt = at;
    s.waitingSince = null;
    s.snoozedUntil = null;
    facts.push({ kind: 'resolution', occurredAt: at, from: s.cycleStartedAt, to: at });
  } else if (prev.status === 'resolved') {
    // Reopened by hand: a new cycle, measured from now.
    s.reopenedCount += 1;
    s.cycleStartedAt = at;
    s.cycleFirstResponseAt = null;
    s.resolvedAt = null;
    facts.push({ kind: 'reopen', occurredAt: at, from: null, to: null });
  }
  s.status = status;
  s.snoozedUntil = status === 'waiting' ? snoozedUntil : null;
  return { state: s, facts };
}
