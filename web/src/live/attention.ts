/**
 * Getting an agent's attention while the desk is in the background: agents keep it open in a tab
 * behind the CRM, the order system and their mail, so what needs them must reach them there.
 *
 * - **The tab's title** counts what waits for them: `(3) Parley` for their unread notifications
 *   plus the conversations of theirs in which a customer wrote while the desk was in the
 *   background (those are forgotten once the desk is looked at again).
 * - **Desktop notifications**, when they turn them on (per person and browser, kept in
 *   localStorage; the browser asks for its permission then, from their click): while the desk is
 *   hidden or not focused, each alert the desk raises (SLA warnings and breaches, sign-off
 *   outcomes, questions for experts, mentions in notes…, ../workflow/live.ts) and each customer
 *   message in a conversation assigned to them shows as a system notification. One per
 *   conversation at a time (a newer one replaces it, by its tag); clicking it brings the desk
 *   forward on that conversation. Nothing shows while they are looking at the desk: the alerts
 *   strip and the inbox already say it there.
 *
 * The notification's text is the customer's, shown by the operating system as plain text (no
 * markup can run), with direction overrides and control codes made visible and cut short: a
 * notification lands on a lock screen or a shared display, so it says the least it can.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { clip, networkLabel } from '../lib/format.js';
import { onLiveEvent } from './events.js';
import { onAlert, type LiveAlert } from '../workflow/live.js';
import type { Conversation } from '../api/types.js';

const BASE_TITLE = 'Parley';

/** `(n) Parley`, or `Parley` when nothing waits. */
export const titleWith = (n: number) => (n > 0 ? `(${n > 999 ? '999+' : n}) ${BASE_TITLE}` : BASE_TITLE);

/** Whether this browser can show desktop notifications at all (an http:// desk that is not on localhost cannot). */
export const desktopSupported = () => typeof window !== 'undefined' && 'Notification' in window && window.isSecureContext;

const prefKey = (userId: number) => `parley.desktopNotifications.${userId}`;
const prefListeners = new Set<() => void>();

/** Whether this person turned desktop notifications on in this browser (and the browser still allows them). */
export function desktopEnabled(userId: number): boolean {
  if (!desktopSupported()) return false;
  try {
    return window.localStorage.getItem(prefKey(userId)) === 'on' && Notification.permission === 'granted';
  } catch {
    return false;
  }
}

export type DesktopState = 'unsupported' | 'on' | 'off' | 'blocked';

export function desktopState(userId: number): DesktopState {
  if (!desktopSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  return desktopEnabled(userId) ? 'on' : 'off';
}

/** The state, kept current when it is changed (in this tab). */
export function useDesktopState(userId: number): DesktopState {
  return useSyncExternalStore((l) => (prefListeners.add(l), () => prefListeners.delete(l)), () => desktopState(userId));
}

/** Turn them on (asking the browser, from the person's click) or off; resolves to the state after. */
export async function setDesktop(userId: number, on: boolean): Promise<DesktopState> {
  if (!desktopSupported()) return 'unsupported';
  try {
    if (on && Notification.permission !== 'granted') await Notification.requestPermission();
    window.localStorage.setItem(prefKey(userId), on && Notification.permission === 'granted' ? 'on' : 'off');
  } catch {
    /* storage refused (private mode): stays as it was */
  }
  for (const l of prefListeners) l();
  return desktopState(userId);
}

/** Whether the person is not looking at the desk now: another tab, another window, minimized. */
const inBackground = () => document.visibilityState === 'hidden' || !document.hasFocus();

/** A customer's words for a notification: visible controls, one line, short. */
const short = (s: string | null | undefined, max: number) => clip((s ?? '').replace(/\s+/g, ' ').trim(), max);

/**
 * What a conversation event says to its assignee, if it is a customer's new message waiting for
 * them: `words` is that message's text when its event came first (the pipeline publishes a batch's
 * messages before their conversations), else the conversation's subject stands in.
 */
export function waitingForMe(c: Partial<Conversation>, me: number, words?: string): { key: string; title: string; body: string } | null {
  if (typeof c.id !== 'number' || c.assigneeId !== me) return null;
  if (c.status !== 'new' && c.status !== 'open') return null;
  if (!c.waitingSince || !c.lastInboundAt) return null;
  const who = c.contact?.handle ? `@${short(c.contact.handle, 60)}` : 'A customer';
  return {
    // one notification per message the customer sent: later updates of the same conversation (SLA, flags) add none
    key: `${c.id}:${c.lastInboundAt}`,
    title: `${who} is waiting for you${c.network ? ` on ${networkLabel(c.network)}` : ''}`,
    body: short(words ?? c.subject, 140),
  };
}

interface Props {
  userId: number;
  /** The server's count of unread notifications. */
  unread: number;
  onOpenConversation: (id: number) => void;
}

/** While signed in: keeps the tab's title and shows desktop notifications (see above). */
export function useDesktopAttention({ userId, unread, onOpenConversation }: Props): void {
  const open = useRef(onOpenConversation);
  open.current = onOpenConversation;
  const waiting = useRef(new Set<number>());
  const unreadRef = useRef(unread);
  unreadRef.current = unread;

  const paint = () => {
    document.title = titleWith(unreadRef.current + waiting.current.size);
  };
  useEffect(paint, [unread]);

  useEffect(() => {
    const seen = new Set<string>();
    /** The latest customer message's text per conversation, from the live events, until its conversation's event. */
    const words = new Map<number, string>();
    const show = (title: string, body: string, tag: string, conversationId: number | null) => {
      if (!desktopEnabled(userId) || !inBackground()) return;
      try {
        const n = new Notification(title, { body, tag });
        n.onclick = () => {
          window.focus();
          if (conversationId != null) open.current(conversationId);
          n.close();
        };
      } catch {
        /* a browser that only shows them from a service worker: the title still counts */
      }
    };
    const offAlerts = onAlert((a: LiveAlert) => show(short(a.title, 120), short(a.body, 160), a.conversationId != null ? `parley-${a.conversationId}` : `parley-alert-${a.id}`, a.conversationId));
    const offEvents = onLiveEvent((e) => {
      const d = (e.data ?? {}) as Record<string, unknown>;
      if (e.type === 'message.created') {
        if (d.direction === 'inbound' && typeof d.conversationId === 'number' && typeof d.text === 'string') {
          words.delete(d.conversationId);
          words.set(d.conversationId, d.text.slice(0, 1_000));
          if (words.size > 500) words.delete(words.keys().next().value!);
        }
        return;
      }
      if (e.type !== 'conversation.created' && e.type !== 'conversation.updated') return;
      const c = d as Partial<Conversation>;
      const w = waitingForMe(c, userId, typeof c.id === 'number' ? words.get(c.id) : undefined);
      if (typeof c.id === 'number') words.delete(c.id);
      if (!w || seen.has(w.key)) return;
      seen.add(w.key);
      if (seen.size > 5_000) seen.delete(seen.values().next().value!);
      if (!inBackground()) return;
      waiting.current.add(c.id!);
      paint();
      show(w.title, w.body, `parley-${c.id}`, c.id!);
    });
    // looked at again: what waited for them is in front of them now
    const back = () => {
      if (inBackground() || !waiting.current.size) return;
      waiting.current.clear();
      paint();
    };
    document.addEventListener('visibilitychange', back);
    window.addEventListener('focus', back);
    return () => {
      offAlerts();
      offEvents();
      document.removeEventListener('visibilitychange', back);
      window.removeEventListener('focus', back);
      document.title = BASE_TITLE;
    };
  }, [userId]);
}
