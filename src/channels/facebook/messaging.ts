/**
 * Messenger Platform pieces shared by Facebook Pages (Messenger) and Instagram (Instagram
 * messaging through the Page): the Send API (`POST /{page-id}/messages`, including private
 * replies with `recipient: {comment_id}`), reading conversations for catch-up polling, and
 * looking for a message we already sent.
 */
import type { Network, NormalizedMessage } from '../../core/types.js';
import { normalizeItem, type RejectedItem } from '../errorPolicy.js';
import { ChannelError, type SendRequest, type SendResult } from '../types.js';
import { comparable, normalizeConversationMessage } from './normalize.js';
import { graphTime, lastPageMessageBefore, type GraphClient } from './graph.js';

export type MessagingPlatform = 'messenger' | 'instagram';

export interface SendApiResponse {
  recipient_id?: string;
  message_id?: string;
}

/** Send API call; returns the SendResult for the message id Meta gives back. */
export async function sendApi(graph: GraphClient, pageId: string, body: Record<string, unknown>, what: string, now: number): Promise<SendResult> {
  const r = await graph.post<SendApiResponse>(`${pageId}/messages`, {}, what, body);
  if (!r?.message_id) throw new ChannelError('TIMEOUT', `${what}: Meta accepted the message but returned no message_id`);
  return { networkMessageId: r.message_id, url: null, createdAt: now, raw: r };
}

interface ConversationMessage {
  id: string;
  message?: string;
  created_time?: string;
  from?: { id?: string; name?: string; username?: string };
}

/**
 * Messages of the account's conversations updated since `sinceMs`, oldest first, each reply
 * tied to the account's previous message; a message that cannot be read is in `rejected`.
 */
export async function pollConversations(
  graph: GraphClient,
  pageId: string,
  platform: MessagingPlatform,
  self: { id: string; name: string },
  network: Extract<Network, 'facebook' | 'instagram'>,
  sinceMs: number,
  now: number,
  limit = 25,
): Promise<{ messages: NormalizedMessage[]; rejected: RejectedItem[]; newest: number }> {
  const r = await graph.get<{ data?: { id: string; updated_time?: string; messages?: { data?: ConversationMessage[] } }[] }>(
    `${pageId}/conversations`,
    { platform, fields: `id,updated_time,messages.limit(${limit}){id,message,created_time,from,to}`, limit },
    `read ${platform} conversations`,
  );
  const out: NormalizedMessage[] = [];
  const rejected: RejectedItem[] = [];
  let newest = sinceMs;
  const objects = <T>(v: unknown): T[] => (Array.isArray(v) ? v.filter((x) => !!x && typeof x === 'object') : []);
  for (const conv of objects<{ id: string; updated_time?: string; messages?: { data?: ConversationMessage[] } }>(r?.data)) {
    if (graphTime(conv.updated_time, now) < sinceMs) continue;
    // Graph lists newest first with second-granular times: reverse, then a stable sort keeps same-second order
    const msgs = objects<ConversationMessage>(conv.messages?.data).reverse().sort((a, b) => graphTime(a.created_time, 0) - graphTime(b.created_time, 0));
    let lastOurs: string | null = null;
    for (const m of msgs) {
      const t = graphTime(m.created_time, now);
      const ours = m.from?.id === self.id;
      if (t >= sinceMs) {
        const n = normalizeItem(rejected, m, `${platform} message ${m?.id ?? ''} in conversation ${conv.id ?? ''}`, () => normalizeConversationMessage(m, self, network, lastOurs, now));
        if (n) out.push(n);
        newest = Math.max(newest, t);
      }
      if (ours) lastOurs = m.id;
    }
  }
  return { messages: out, rejected, newest };
}

/** Has the account already sent `text` to `userId` (in the conversation, recently)? */
export async function findSentMessage(graph: GraphClient, pageId: string, platform: MessagingPlatform, userId: string, selfId: string, text: string): Promise<SendResult | null> {
  const r = await graph.get<{ data?: { messages?: { data?: ConversationMessage[] } }[] }>(
    `${pageId}/conversations`,
    { platform, user_id: userId, fields: 'messages.limit(25){id,message,created_time,from}' },
    'look for the sent message',
  );
  const want = comparable(text);
  for (const conv of r?.data ?? []) {
    for (const m of conv.messages?.data ?? []) {
      if (m.from?.id === selfId && comparable(m.message ?? '') === want) return { networkMessageId: m.id, url: null, createdAt: graphTime(m.created_time, 0) || undefined, raw: m };
    }
  }
  return null;
}

/**
 * Tie inbound DMs that answer nothing in particular to the account's previous message in
 * that conversation (typically the private reply to the customer's comment), so the
 * customer's answer lands in the same Parley conversation.
 */
export async function linkDirectMessages(messages: NormalizedMessage[], graph: GraphClient, pageId: string, platform: MessagingPlatform, selfId: string): Promise<void> {
  for (const m of messages) {
    if (m.kind !== 'dm' || m.direction !== 'inbound' || m.fromBrand || m.inReplyToNetworkId) continue;
    const prev = await lastPageMessageBefore(graph, pageId, platform, m.author.networkUserId, m.createdAt, selfId);
    if (prev) m.inReplyToNetworkId = prev;
  }
}

/** The age of the customer's message we answer (from its raw `timestamp`/`created_time`), or null. */
export function ageOf(req: SendRequest, now: number): number | null {
  const raw = req.inReplyTo?.raw as any;
  const t = raw ? graphTime(raw.timestamp ?? raw.created_time, 0) : 0;
  return t > 0 ? now - t : null;
}
