/**
 * Who else is in which conversation, from `presence` live events. A tiny external
 * store (useSyncExternalStore) so a presence change re-renders only what shows it.
 * And this browser's own presence: the heartbeat of the conversation open here
 * (`usePresenceHeartbeat`).
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../api/client.js';
import { keys, signedOut } from '../api/queries.js';
import type { PresenceUser } from '../api/types.js';
import { onLiveEvent, sessionEndedHere } from './events.js';

/** How often an open conversation says we are still here (the server forgets a presence after ~20 s without). */
export const HEARTBEAT_MS = 10_000;
/** Typing turns back to viewing after this long without a keystroke. */
const TYPING_IDLE_MS = 4_000;

const byConversation = new Map<number, PresenceUser[]>();
const listeners = new Set<() => void>();
const EMPTY: PresenceUser[] = [];

export function setPresence(conversationId: number, users: PresenceUser[]): void {
  if (users.length) byConversation.set(conversationId, users);
  else byConversation.delete(conversationId);
  for (const l of listeners) l();
}

export function clearPresence(): void {
  byConversation.clear();
  for (const l of listeners) l();
}

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** People present in a conversation (including the viewer; filter as needed). */
export function usePresence(conversationId: number | null): PresenceUser[] {
  return useSyncExternalStore(subscribe, () => (conversationId == null ? EMPTY : byConversation.get(conversationId) ?? EMPTY));
}

/**
 * Tell colleagues we are here (heartbeat), typing, or gone; returns what the composer calls on
 * each keystroke. `null` (a conversation not loaded, or that could not be): nothing is sent.
 *
 * The session may end elsewhere (signed out in another tab, disabled, the password changed,
 * expired): the server then ends this browser's live stream at once with a last `signed-out`
 * event (./events.ts), and from that moment no beat is sent (each would be a 401 in the
 * console) until a stream opens again (signed in again elsewhere), while the desk asks once who
 * is signed in and goes to sign-in. No beat asks the server about the session. A 401 all the
 * same (the session ending between a beat and the server's word) stops every beat too, hands
 * over to the desk's signed-out handling (api/queries.ts `signedOut`), and nothing more is said
 * for this session, not even "left".
 */
export function usePresenceHeartbeat(id: number | null): () => void {
  const state = useRef<'viewing' | 'typing'>('viewing');
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);
  /** Refused with 401: the session is over for this page, no more beats. */
  const ended = useRef(false);
  const qc = useQueryClient();
  const signedIn = () => !ended.current && !sessionEndedHere() && !!qc.getQueryData(keys.me);
  const end = () => {
    ended.current = true;
    if (idle.current) clearTimeout(idle.current);
    // (the api client's 401 handler may have done it already: signedOut then finds no one)
    if (qc.getQueryData(keys.me)) signedOut(qc, 'expired');
  };
  const send = (s: 'viewing' | 'typing' | 'left', keepalive = false): Promise<void> => {
    if (id == null || !signedIn()) return Promise.resolve();
    return api('POST', `/api/conversations/${id}/presence`, { state: s }, { keepalive }).then(
      () => {},
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) end();
      },
    );
  };
  useEffect(() => {
    if (id == null) return;
    state.current = 'viewing';
    void send('viewing');
    const timer = setInterval(() => {
      if (ended.current) clearInterval(timer);
      else if (document.visibilityState === 'visible') void send(state.current);
    }, HEARTBEAT_MS);
    const onVisible = () => document.visibilityState === 'visible' && void send(state.current);
    const onHide = () => void send('left', true);
    // the server ended the session: a typing state waiting to turn back to viewing says nothing more
    const off = onLiveEvent((e) => {
      if (e.type === 'signed-out' && idle.current) clearTimeout(idle.current);
    });
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('pagehide', onHide);
    return () => {
      clearInterval(timer);
      off();
      if (idle.current) clearTimeout(idle.current);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('pagehide', onHide);
      // gone with the session (signed out, or it ended): no one to say it for (a 401); the server
      // forgets the presence when its heartbeats stop (or at once, when it ended the session)
      void send('left', true);
    };
  }, [id]); // eslint-disable-line react-hooks/exhaustive-deps
  return () => {
    if (id == null || ended.current || sessionEndedHere()) return;
    if (state.current !== 'typing') {
      state.current = 'typing';
      void send('typing');
    }
    if (idle.current) clearTimeout(idle.current);
    idle.current = setTimeout(() => {
      state.current = 'viewing';
      void send('viewing');
    }, TYPING_IDLE_MS);
  };
}
