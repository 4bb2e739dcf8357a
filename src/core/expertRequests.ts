/**
 * Questions to knowledge experts: how long an answer may take, when a question is
 * overdue, and who hears about it.
 *
 * An expert group (a team) may set its own target; otherwise the brand's applies. When
 * the brand counts its SLA in business hours, so does the expert target, on the calendar
 * of the account the conversation came in on: a question asked on Friday at 16:45 with a
 * 30-minute target is due on Monday at 09:15 for a 09:00–17:00 desk. An overdue question
 * is announced once, to the people who can answer it and to the agent who asked.
 *
 * Pure: `now` and the calendar are passed in.
 */

import { addBusinessMs, type BusinessCalendar } from './businessHours.js';

/** The longest target a brand or a group may set: two weeks, in minutes. */
export const MAX_EXPERT_TARGET_MIN = 60 * 24 * 14;

export interface ExpertTarget {
  minutes: number;
  /** Where it came from: the group's own target or the brand's default. */
  source: 'group' | 'brand';
}

const validMinutes = (m: unknown): m is number => typeof m === 'number' && Number.isInteger(m) && m >= 1 && m <= MAX_EXPERT_TARGET_MIN;

/**
 * The target for a question: the group's own when it has a valid one, else the brand's.
 * A question to one named expert (no group) uses the brand's.
 */
export function expertTarget(brandDefaultMin: number, groupTargetMin?: number | null): ExpertTarget {
  if (validMinutes(groupTargetMin)) return { minutes: groupTargetMin, source: 'group' };
  return { minutes: brandDefaultMin, source: 'brand' };
}

/**
 * When an answer is due. With a calendar (the brand counts in business hours) the target
 * is staffed time on it; without one, or when the calendar never opens, wall-clock time —
 * a question is never left without a due time.
 */
export function expertDueAt(askedAt: number, targetMin: number, calendar: BusinessCalendar | null): number {
  const ms = targetMin * 60_000;
  if (!calendar) return askedAt + ms;
  return addBusinessMs(calendar, askedAt, ms) ?? askedAt + ms;
}

export interface ExpertRequestState {
  status: string;
  dueAt: number | null;
  /** When the overdue notice went out (null: not yet). */
  overdueAt: number | null;
}

/** Whether a question is past its due time, still unanswered, and not yet announced. */
export function isOverdueUnannounced(r: ExpertRequestState, now: number): boolean {
  return r.status === 'open' && r.dueAt != null && now >= r.dueAt && r.overdueAt == null;
}

/**
 * Who hears that a question is overdue: the named expert or the group's members, and the
 * agent who asked; each person once.
 */
export function overdueRecipients(r: { askedBy: number; expertId: number | null; groupMemberIds?: readonly number[] | null }): number[] {
  const out = new Set<number>();
  if (r.expertId != null) out.add(r.expertId);
  for (const id of r.groupMemberIds ?? []) out.add(id);
  out.add(r.askedBy);
  return [...out];
}

/** "45 min", "2 h", "1 h 30 min", "2 d 3 h": a target for people to read. */
export function formatTarget(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : '0 min';
}
