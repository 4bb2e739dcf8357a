/**
 * SLA alerts that no longer hold: when triage withdraws a conversation's response clock (the
 * customer's wait needs no answer: spam, abuse, monitor only), the server sends an `sla` event
 * with state `withdrawn` and marks that clock's notices read. Its warning or breach alerts
 * (breaches stay until dismissed) are taken off the strip here, in every open tab.
 */
import { useEffect, useRef } from 'react';
import { dismissAlert, useAlerts, type LiveAlert } from '../workflow/live.js';
import { onLiveEvent } from './events.js';

/** Whether an alert speaks of this clock of this conversation (`SLA breached: first response`). */
export function alertOfClock(a: Pick<LiveAlert, 'kind' | 'title' | 'conversationId'>, conversationId: number, clock: string): boolean {
  return a.conversationId === conversationId && a.kind.startsWith('sla.') && a.title.includes(clock.replace('_', ' '));
}

/** Mount once where the alerts are shown. */
export function useWithdrawnSlaAlerts(): void {
  const alerts = useAlerts();
  const current = useRef(alerts);
  current.current = alerts;
  useEffect(
    () =>
      onLiveEvent((e) => {
        const d = (e.data ?? {}) as { conversationId?: unknown; clock?: unknown; state?: unknown };
        if (e.type !== 'sla' || d.state !== 'withdrawn' || typeof d.conversationId !== 'number' || typeof d.clock !== 'string') return;
        for (const a of current.current) if (alertOfClock(a, d.conversationId, d.clock)) dismissAlert(a.id);
      }),
    [],
  );
}
