/**
 * What one visitor sees in the chat widget: their own messages and the replies
 * addressed to them that the outbox committed as sent — from the conversations
 * their messages are in, on this web chat account only. Never notes, drafts,
 * replies waiting for approval or failed sends, and never another person's
 * message even when an agent merged conversations (inbound items must be
 * authored by this visitor, outbound ones must carry their id).
 */
import { createHash } from 'node:crypto';
import type { Store } from '../../store/db.js';
import { decodeText } from '../../store/text.js';
import { visitorPrefix } from './index.js';

export interface TranscriptItem {
  /** The network id (`wc-<visitor>-m…` for the visitor's, `wc-<visitor>-r…` for replies). */
  id: string;
  from: 'visitor' | 'agent';
  text: string;
  /** ms since epoch */
  at: number;
  inReplyTo: string | null;
  /** Internal: the conversation, for waking the live connection. */
  conversationId: number;
}

export interface Transcript {
  items: TranscriptItem[];
  /** Changes whenever the visible transcript does. */
  etag: string;
  conversationIds: number[];
}

export const TRANSCRIPT_LIMIT = 200;

export async function visitorTranscript(store: Store, account: { id: number; brand_id: number }, visitorId: string, limit = TRANSCRIPT_LIMIT): Promise<Transcript> {
  const db = store.db;
  const identities = (
    await db.selectFrom('contact_identity').select('id').where('brand_id', '=', account.brand_id).where('network', '=', 'webchat').where('network_user_id', '=', visitorId).execute()
  ).map((r) => r.id);
  const prefix = visitorPrefix(visitorId);
  let items: TranscriptItem[] = [];
  let conversationIds: number[] = [];
  if (identities.length) {
    conversationIds = (
      await db
        .selectFrom('message')
        .select('conversation_id')
        .distinct()
        .where('channel_account_id', '=', account.id)
        .where('direction', '=', 'inbound')
        .where('author_identity_id', 'in', identities)
        .execute()
    ).map((r) => r.conversation_id);
  }
  if (conversationIds.length) {
    const rows = await db
      .selectFrom('message')
      .select(['id', 'conversation_id', 'network_message_id', 'direction', 'author_identity_id', 'status', 'text', 'text_escaped', 'created_at', 'in_reply_to_network_id'])
      .where('conversation_id', 'in', conversationIds)
      .where('channel_account_id', '=', account.id)
      .where('network', '=', 'webchat')
      .where((eb) =>
        eb.or([
          eb.and([eb('direction', '=', 'inbound'), eb('author_identity_id', 'in', identities)]),
          eb.and([eb('direction', '=', 'outbound'), eb('status', '=', 'sent'), eb('network_message_id', 'like', `${prefix}%`)]),
        ]),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    items = rows
      .filter((r) => r.network_message_id?.startsWith(prefix))
      .reverse()
      .map((r) => ({
        id: r.network_message_id!,
        from: r.direction === 'inbound' ? ('visitor' as const) : ('agent' as const),
        text: decodeText(r.text, r.text_escaped),
        at: r.created_at,
        inReplyTo: r.in_reply_to_network_id,
        conversationId: r.conversation_id,
      }));
  }
  const etag = createHash('sha256').update(items.map((i) => i.id).join('\n')).digest('base64url').slice(0, 22);
  return { items, etag, conversationIds };
}
