/**
 * Whether a customer's follow-up leaves an assignee who has gone away (pure; `now` passed in).
 *
 * A follow-up sticks to its assignee (src/core/routing.ts): the customer keeps talking to the
 * person who knows the case. But a customer waiting on someone who signed out, or was set offline
 * (by themselves, an admin, or the absence sweep: src/commands/availability.ts), waits for nobody.
 * Handing every such conversation over at once would also move the work of someone away for ten
 * minutes, so the brand sets a grace (`handoverAfterMin`, default 15, 0 = never): past it, the
 * conversation goes back to its team's queue and routing gives it to the next available agent.
 *
 * Unreachable is the availability code's "not at the desk": offline presence, or outside the
 * working hours of the conversation's account (Parley has no per-person hours; the account's
 * calendar is the desk's, as in src/workflow/approvers.ts). The grace is counted in that working
 * time: closed hours are nobody's absence, so a night never hands anything over by itself, and an
 * agent who signed out ten minutes before closing has five minutes of the next morning to come
 * back. Away (a chosen short break) is reachable: their follow-ups wait for them, as routing's
 * stickiness does. Nothing moves out of hours (nobody could take it then), nor while nobody else
 * of the team is online (it would only trade an absent owner for an empty queue).
 *
 * Once per absence: the grace counts from the later of the assignee's going offline and the
 * conversation becoming theirs, so a conversation given to someone already offline (a colleague
 * assigning it for tomorrow) has its own grace, and a conversation handed over is no longer the
 * absent person's: their coming back takes nothing back.
 */
import { addBusinessMs, businessMsBetween, isOpen, nextOpening, type BusinessCalendar } from './businessHours.js';

/** The grace when the brand has not set one (minutes). */
export const DEFAULT_HANDOVER_AFTER_MIN = 15;
/** The longest grace that can be set (a week, in minutes); 0 turns handing over off. */
export const MAX_HANDOVER_AFTER_MIN = 7 * 24 * 60;

/** The grace from a stored setting: a whole number of minutes within bounds, else the default. */
export function handoverAfterMin(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_HANDOVER_AFTER_MIN ? v : DEFAULT_HANDOVER_AFTER_MIN;
}

/** One conversation with a customer waiting on an assignee, as the decision needs it. */
export interface HandoverCase {
  /** The brand's grace in minutes of working time; 0 = never hand over. */
  afterMin: number;
  /** The assignee's presence: `online | away | offline`, and since when they have been offline (their latest change to it). */
  assignee: { availability: string; offlineSince: number };
  /** When the conversation became this assignee's (null: not known, counts as long ago). */
  heldSince: number | null;
  /** The oldest unanswered customer message (`conversation.waiting_since`); null: nobody waits. */
  waitingSince: number | null;
  /** The working hours of the conversation's account; null: always open. */
  calendar: BusinessCalendar | null;
  /** Whether someone else of the conversation's team who takes conversations is online now. */
  colleagueOnline: boolean;
}

export type KeepReason = 'never' | 'not_waiting' | 'reachable' | 'within_grace' | 'out_of_hours' | 'nobody_else';

export type HandoverDecision =
  | {
      handOver: true;
      reason: 'assignee_unreachable';
      /** From when their absence from this conversation counts. */
      unreachableSince: number;
      /** How long they have been away from it, in working time (ms). */
      awayMs: number;
    }
  | {
      handOver: false;
      why: KeepReason;
      /** When to decide again without anything else happening (the grace ends, the desk opens); null: only when something changes. */
      recheckAt: number | null;
    };

/** Whether to hand the conversation over now and, if not, when to look again. */
export function decideHandover(c: HandoverCase, now: number): HandoverDecision {
  if (!(c.afterMin > 0)) return { handOver: false, why: 'never', recheckAt: null };
  if (c.waitingSince == null) return { handOver: false, why: 'not_waiting', recheckAt: null };
  if (c.assignee.availability !== 'offline') return { handOver: false, why: 'reachable', recheckAt: null };
  const since = Math.max(c.assignee.offlineSince, c.heldSince ?? Number.NEGATIVE_INFINITY);
  const graceMs = c.afterMin * 60_000;
  const awayMs = since >= now ? 0 : businessMsBetween(c.calendar, since, now);
  if (awayMs < graceMs) {
    const end = addBusinessMs(c.calendar, Math.min(since, now), graceMs);
    return { handOver: false, why: 'within_grace', recheckAt: end == null ? null : Math.max(end, now + 1) };
  }
  if (!isOpen(c.calendar, now)) return { handOver: false, why: 'out_of_hours', recheckAt: nextOpening(c.calendar, now) };
  if (!c.colleagueOnline) return { handOver: false, why: 'nobody_else', recheckAt: null };
  return { handOver: true, reason: 'assignee_unreachable', unreachableSince: since, awayMs };
}
