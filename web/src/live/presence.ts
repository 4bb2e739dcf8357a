/**
 * Who else is in which conversation, from `presence` live events. A tiny external
 * store (useSyncExternalStore) so a presence change re-renders only what shows it.
 */
import { useSyncExternalStore } from 'react';
import type { PresenceUser } from '../api/types.js';

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
