/**
 * New messages, said politely (never moving focus): a customer's message in the open
 * conversation is read with its first words; a customer writing again in another
 * conversation the agent has (assigned to them, or a row of the inbox view they are on) is
 * said with who and where; new conversations elsewhere are counted. A conversation assigned
 * to them (by routing or by someone else) is said by the server's notification's alert
 * (workflow/Alerts.tsx). The agent's own actions and other agents' replies are not news. A burst (the demo replay, a storm of mentions) becomes one sentence every
 * few seconds, not a queue of announcements the agent cannot stop.
 */
import { useEffect, useRef } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { ListData } from '../api/queries.js';
import type { Conversation, ConversationDetail, Message } from '../api/types.js';
import { clip } from '../lib/format.js';
import { onLiveEvent } from '../live/events.js';
import { announce } from '../ui/Announcer.js';

const QUIET_MS = 1_500;

/** A message elsewhere, as said: who wrote, in which conversation (its subject). */
export interface Elsewhere {
  who: string;
  subject: string;
}

const quoted = (subject: string) => `“${clip(subject.replace(/\s+/g, ' ').trim(), 60) || 'untitled'}”`;

/** What to say for what arrived in one quiet interval (null: nothing). Pure, for the tests. */
export function newMessagesSentence(openHere: Pick<Message, 'author' | 'text'>[], newConversations: number, more: { elsewhere?: Elsewhere[] } = {}): string | null {
  const parts: string[] = [];
  if (openHere.length === 1) {
    const m = openHere[0]!;
    parts.push(`New message from ${clip(authorName(m), 80)} in this conversation: ${clip(m.text.replace(/\s+/g, ' ').trim(), 140)}`);
  } else if (openHere.length > 1) {
    parts.push(`${openHere.length} new messages in this conversation.`);
  }
  const elsewhere = more.elsewhere ?? [];
  if (elsewhere.length === 1) {
    const e = elsewhere[0]!;
    parts.push(`New message from ${clip(e.who, 80)} in ${quoted(e.subject)}.`);
  } else if (elsewhere.length > 1) {
    const e = elsewhere[0]!;
    parts.push(`${elsewhere.length} new messages: ${clip(e.who, 80)} in ${quoted(e.subject)}, and ${elsewhere.length - 1} more.`);
  }
  if (newConversations === 1) parts.push('1 new conversation in the inbox.');
  else if (newConversations > 1) parts.push(`${newConversations} new conversations in the inbox.`);
  return parts.length ? parts.join(' ') : null;
}

function authorName(m: Pick<Message, 'author'>): string {
  return m.author?.displayName || (m.author?.handle ? `@${m.author.handle}` : 'the customer');
}

/** A conversation as the caches know it (the open one, or a row of a loaded list). */
function cachedConversation(qc: QueryClient, id: number): Conversation | undefined {
  const d = qc.getQueryData<ConversationDetail>(['conversation', id]);
  if (d) return d.conversation;
  for (const q of qc.getQueryCache().findAll({ queryKey: ['conversations', 'list'] })) {
    for (const p of (q.state.data as ListData | undefined)?.pages ?? []) {
      const c = p.items.find((x) => x.id === id);
      if (c) return c;
    }
  }
  return undefined;
}

/**
 * `openId`: the conversation on screen; `rowIds`: the rows of the inbox view on screen (a
 * customer writing in one of them is said even when it is not the agent's).
 */
export function useNewMessageAnnouncements(openId: number | null, meId: number, rowIds: readonly number[] = []): void {
  const qc = useQueryClient();
  const open = useRef(openId);
  open.current = openId;
  const rows = useRef(rowIds);
  rows.current = rowIds;
  useEffect(() => {
    let here: Message[] = [];
    let elsewhere: Message[] = [];
    const created = new Set<number>();
    /** The latest of each conversation heard in this interval (a message's conversation may not be cached). */
    const heard = new Map<number, Conversation>();
    const seen = new Set<number>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const inView = new Set(rows.current);
      const said: Elsewhere[] = [];
      for (const m of elsewhere) {
        if (created.has(m.conversationId) || m.conversationId === open.current) continue;
        const c = heard.get(m.conversationId) ?? cachedConversation(qc, m.conversationId);
        if (!c || (c.assigneeId !== meId && !inView.has(c.id))) continue;
        said.push({ who: authorName(m), subject: c.subject });
      }
      const text = newMessagesSentence(here, created.size, { elsewhere: said });
      here = [];
      elsewhere = [];
      created.clear();
      heard.clear();
      if (text) announce(text);
    };
    const later = () => {
      timer ??= setTimeout(flush, QUIET_MS);
    };
    const off = onLiveEvent((e) => {
      if (e.type === 'message.created') {
        const m = e.data as Message;
        if (m.direction !== 'inbound' || m.authorUserId === meId || seen.has(m.id)) return;
        if (seen.size > 10_000) seen.clear();
        seen.add(m.id);
        if (m.conversationId === open.current) here.push(m);
        else elsewhere.push(m);
      } else if (e.type === 'conversation.created' || e.type === 'conversation.updated') {
        const c = e.data as Conversation;
        const had = heard.get(c.id);
        if (!had || had.version <= c.version) heard.set(c.id, c);
        if (e.type === 'conversation.created' && c.id !== open.current) created.add(c.id);
        else return;
      } else return;
      later();
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [meId, qc]);
}
