/**
 * The care workflow's share of the live connection: SLA, incident, expert, approval
 * and contact events refresh the caches that show them, and personal notifications
 * (SLA warnings and breaches, sign-off outcomes, statements to sign off, questions for
 * experts and those left unanswered past their target) become alerts
 * the agent cannot miss. Alerts live in a small external store so they survive
 * navigating between pages; they are the signed-in person's, so signing out (or someone
 * else signing in on the tab) clears them.
 */
import { useEffect, useSyncExternalStore } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '../api/client.js';
import { keys } from '../api/queries.js';
import type { ConversationDetail, Notification } from '../api/types.js';
import { onLiveEvent } from '../live/events.js';
import { wkeys } from '../api/workflow.js';

export type AlertTone = 'danger' | 'warn' | 'ok' | 'info';

export interface LiveAlert {
  id: number;
  kind: string;
  tone: AlertTone;
  title: string;
  body: string;
  conversationId: number | null;
  at: number;
}

let alerts: LiveAlert[] = [];
let seq = 0;
/** Bumped by clearAlerts: an alert still being looked up for the previous person is dropped. */
let generation = 0;
const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};

const alertListeners = new Set<(a: LiveAlert) => void>();

/** Called with each alert as it is raised (desktop notifications, ../live/attention.ts). */
export function onAlert(fn: (a: LiveAlert) => void): () => void {
  alertListeners.add(fn);
  return () => alertListeners.delete(fn);
}

export function pushAlert(a: Omit<LiveAlert, 'id' | 'at'>): void {
  // one alert per kind and conversation: a newer one replaces the older
  // one alert per conversation and subject: a breach replaces that conversation's warning
  const group = (k: string) => k.split('.')[0];
  const raised: LiveAlert = { ...a, id: ++seq, at: Date.now() };
  alerts = [...alerts.filter((x) => !(a.conversationId != null && x.conversationId === a.conversationId && group(x.kind) === group(a.kind))), raised].slice(-4);
  emit();
  for (const l of alertListeners) l(raised);
  // breaches and rejections stay until dismissed; the rest fade
  const life = a.tone === 'danger' ? 0 : a.tone === 'warn' ? 45_000 : 20_000;
  if (life) {
    const id = seq;
    setTimeout(() => dismissAlert(id), life);
  }
}

export function dismissAlert(id: number): void {
  const next = alerts.filter((a) => a.id !== id);
  if (next.length !== alerts.length) {
    alerts = next;
    emit();
  }
}

export function clearAlerts(): void {
  generation++;
  alerts = [];
  emit();
}

if (typeof window !== 'undefined') {
  // signedOut() (api/queries.ts) and a different person signing in (shell/LoginPage.tsx) announce this
  window.addEventListener('parley:signed-out', (e) => {
    if ((e as CustomEvent<{ why?: string }>).detail?.why !== 'expired') clearAlerts();
  });
}

export function useAlerts(): LiveAlert[] {
  return useSyncExternalStore((l) => (listeners.add(l), () => listeners.delete(l)), () => alerts);
}

const TONE: Record<string, AlertTone> = {
  'sla.breached': 'danger',
  'sla.warning': 'warn',
  'reply.rejected': 'danger',
  'reply.approved': 'ok',
  'statement.rejected': 'danger',
  'statement.approved': 'ok',
  'statement.pending_approval': 'warn',
  'reply.rewritten': 'warn',
  'statement.rewritten': 'warn',
  'expert.asked': 'info',
  'expert.answered': 'ok',
  'expert.overdue': 'warn',
  'expert.cancelled': 'warn',
  // the incident banner and the channel-health button already stay on screen
  'incident.opened': 'warn',
  'incident.calm': 'info',
  'snooze.ended': 'info',
  'conversation.handed_over': 'warn',
  'channel.unhealthy': 'warn',
  assigned: 'info',
  'note.mention': 'info',
};

const FALLBACK_TITLE: Record<string, string> = {
  'reply.approved': 'Your reply was approved and is being sent',
  'reply.rejected': 'Your reply was not approved',
  'expert.asked': 'A colleague needs your expertise',
  'expert.answered': 'An expert answered your question',
  'expert.overdue': 'A question to an expert is past its target',
  'expert.cancelled': 'The expert can no longer answer your question: ask someone else',
  'statement.approved': 'Your incident statement was approved and is being posted',
  'statement.rejected': 'Your incident statement was not approved',
  'statement.pending_approval': 'An incident statement waits for your sign-off',
  'reply.rewritten': 'Your reply was rewritten at sign-off: the new text waits for sign-off',
  'statement.rewritten': 'Your incident statement was rewritten at sign-off: the new text waits for sign-off',
  'incident.calm': 'Mentions are back to normal: the incident may be closed',
  'snooze.ended': 'A snoozed conversation is back in your inbox',
  'conversation.handed_over': 'A customer waiting on you was handed to a colleague while you were away',
  'note.mention': 'You were mentioned in a note',
};

/** A personal notification event → an alert, with the stored notification's words when there are none in the event. */
async function notify(qc: QueryClient, data: Record<string, unknown>) {
  const gen = generation;
  const kind = typeof data.kind === 'string' ? data.kind : 'notification';
  const conversationId = typeof data.conversationId === 'number' ? data.conversationId : null;
  let title = typeof data.title === 'string' ? data.title : '';
  let body = typeof data.body === 'string' ? data.body : '';
  if (!title || (!body && (kind === 'reply.rejected' || kind === 'statement.rejected' || kind.startsWith('expert.')))) {
    try {
      const list = (await qc.fetchQuery({ queryKey: keys.notifications, queryFn: async () => (await api<{ items: Notification[] }>('GET', '/api/notifications')).items, staleTime: 0 })) ?? [];
      const n = list.find((x) => x.kind === kind && (conversationId == null || x.conversationId === conversationId));
      if (n) {
        title ||= n.title;
        body ||= n.body;
      }
    } catch {
      /* the alert still shows with the fallback words */
    }
  }
  if (gen !== generation) return;
  pushAlert({ kind, tone: TONE[kind] ?? 'info', title: title || FALLBACK_TITLE[kind] || kind.replace(/[._]/g, ' '), body, conversationId });
}

/** Subscribe once, at the root, while signed in. */
export function useWorkflowLive(enabled: boolean): void {
  const qc = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    /** Refetch what is on screen, at most once per `ms`. */
    const soon = (key: readonly unknown[], ms = 800) => {
      const k = JSON.stringify(key);
      if (timers.has(k)) return;
      timers.set(k, setTimeout(() => {
        timers.delete(k);
        void qc.invalidateQueries({ queryKey: key, refetchType: 'active' });
      }, ms));
    };
    const off = onLiveEvent((e) => {
      const d = (e.data ?? {}) as Record<string, any>;
      switch (e.type) {
        case 'sla':
          if (typeof d.conversationId === 'number') soon(wkeys.sla(d.conversationId), 300);
          break;
        case 'notification':
          void notify(qc, d);
          if (String(d.kind).startsWith('expert.')) soon(wkeys.expertRequests, 200);
          if (String(d.kind).startsWith('reply.') || String(d.kind).startsWith('statement.')) soon(wkeys.approvals, 200);
          if (String(d.kind).startsWith('statement.') || String(d.kind).startsWith('incident.')) soon(wkeys.incidents, 200);
          break;
        case 'incident':
          soon(wkeys.incidents, 100);
          break;
        case 'expert.request':
          soon(wkeys.expertRequests, 200);
          break;
        case 'note.created':
          if (typeof d.conversationId === 'number') soon(wkeys.expertRequestsFor(d.conversationId), 400);
          break;
        case 'message.created':
        case 'message.updated':
          if (d.direction === 'outbound') soon(wkeys.approvals, 400);
          if (typeof d.conversationId === 'number') soon(wkeys.sla(d.conversationId), 1500);
          break;
        case 'conversation.created':
        case 'conversation.updated':
        case 'user.updated':
          soon(wkeys.queues, 1500);
          if (e.type === 'conversation.updated' && typeof d.id === 'number') soon(wkeys.sla(d.id), 1000);
          break;
        case 'contact.updated':
          for (const q of qc.getQueryCache().findAll({ queryKey: ['conversation'] })) {
            const detail = q.state.data as ConversationDetail | undefined;
            if (detail?.contact?.id === d.contactId) void qc.invalidateQueries({ queryKey: q.queryKey });
          }
          break;
        case 'reset':
          for (const k of [wkeys.approvals, wkeys.queues, wkeys.incidents, wkeys.expertRequests, ['sla']]) soon(k, 100);
          break;
      }
    });
    return () => {
      off();
      for (const t of timers.values()) clearTimeout(t);
    };
  }, [enabled, qc]);
}
