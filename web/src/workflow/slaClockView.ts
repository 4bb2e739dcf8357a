/**
 * What the side panel says of one SLA clock at the browser's `now` (pure, so unit tests read
 * it without rendering): its state and when it is or was due.
 */
import type { SlaClockView } from '../api/types.js';
import { duration, fullTime } from '../lib/format.js';

/**
 * One clock as the side panel shows it at `now`. A running clock past its due time is
 * breached whether the server last said active or warning (its sweep may not have run yet):
 * never "due in 5m" for a clock five minutes overdue.
 */
export function clockRowView(k: Pick<SlaClockView, 'state' | 'dueAt' | 'stoppedAt'>, now: number): { state: string; when: string } {
  const due = k.dueAt ? Date.parse(k.dueAt) - now : null;
  const running = !k.stoppedAt && (k.state === 'active' || k.state === 'warning');
  const state = running && due != null && due < 0 ? 'breached' : k.state;
  const when = k.stoppedAt
    ? `stopped ${fullTime(k.stoppedAt)}`
    : k.dueAt
      ? state === 'breached'
        ? `was due ${fullTime(k.dueAt)}${due != null && due < 0 ? ` (${duration(due)} ago)` : ''}`
        : `due in ${duration(due ?? 0)} · ${fullTime(k.dueAt)}`
      : 'no due time yet';
  return { state, when };
}
