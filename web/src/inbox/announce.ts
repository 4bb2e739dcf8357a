/**
 * New messages, said politely (never moving focus): a customer's message in the open
 * conversation is read with its first words; new conversations elsewhere are counted.
 * A burst (the demo replay, a storm of mentions) becomes one sentence every few seconds,
 * not a queue of announcements the agent cannot stop.
 */
import { useEffect, useRef } from 'react';
import type { Conversation, Message } from '../api/types.js';
import { clip } from '../lib/format.js';
import { onLiveEvent } from '../live/events.js';
import { announce } from '../ui/Announcer.js';

const QUIET_MS = 1_500;

/** What to say for what arrived in one quiet interval (null: nothing). Pure, for the tests. */
export function newMessagesSentence(openHere: Pick<Message, 'author' | 'text'>[], newConversations: number): string | null {
  const parts: string[] = [];
  if (openHere.length === 1) {
    const m = openHere[0]!;
    const who = m.author?.displayName || (m.author?.handle ? `@${m.author.handle}` : 'the customer');
    parts.push(`New message from ${clip(who, 80)} in this conversation: ${clip(m.text.replace(/\s+/g, ' ').trim(), 140)}`);
  } else if (openHere.length > 1) {
    parts.push(`${openHere.length} new messages in this conversation.`);
  }
  if (newConversations === 1) parts.push('1 new conversation in the inbox.');
  else if (newConversations > 1) parts.push(`${newConversations} new conversations in the inbox.`);
  return parts.length ? parts.join(' ') : null;
}

export function useNewMessageAnnouncements(openId: number | null, meId: number): void {
  const open = useRef(openId);
  open.current = openId;
  useEffect(() => {
    let here: Message[] = [];
    const created = new Set<number>();
    const seen = new Set<number>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const text = newMessagesSentence(here, created.size);
      here = [];
      created.clear();
      if (text) announce(text);
    };
    const off = onLiveEvent((e) => {
      if (e.type === 'message.created') {
        const m = e.data as Message;
        if (m.direction !== 'inbound' || m.authorUserId === meId || seen.has(m.id)) return;
        if (seen.size > 10_000) seen.clear();
        seen.add(m.id);
        if (m.conversationId !== open.current) return;
        here.push(m);
      } else if (e.type === 'conversation.created') {
        const c = e.data as Conversation;
        if (c.id === open.current) return;
        created.add(c.id);
      } else return;
      timer ??= setTimeout(flush, QUIET_MS);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [meId]);
}
