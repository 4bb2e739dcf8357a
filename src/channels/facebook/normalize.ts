/**
 * Facebook Page payloads → NormalizedMessage (shared with Instagram for messaging):
 *  - webhook `feed` changes (Graph webhooks reference, Page object): comments
 *    (`item: comment`, `comment_id`, `post_id`, `parent_id`, `from`, `message`,
 *    `created_time` in seconds) and visitor posts (`item: status|post`, `post_id`);
 *  - webhook `messaging` events (Messenger Platform): `sender.id` (PSID), `recipient.id`,
 *    `timestamp` (ms), `message.mid`, `message.text`, `message.is_echo`, `message.reply_to.mid`;
 *  - the same objects read back by polling (`/{page-id}/feed` with comments,
 *    `/{page-id}/conversations` with messages).
 * Threading: a comment replies to its `parent_id` (the post, or the comment it answers);
 * the Page's own posts are not ingested, so comments by different people on one brand post
 * become separate conversations, while replies under a visitor's post join that post's.
 * Meta does not HTML-escape text: it is kept verbatim. A malformed item (no id...) becomes
 * a message the pipeline quarantines with its reason; an item whose fields have the wrong
 * type (a `message` that is not a string, an id that lost precision as a JSON number)
 * throws ItemRejected with the reason, and callers normalize each item through
 * `normalizeItem`, so one item never fails its neighbours. Media-only items (a photo
 * comment, an attachment) have no text field and are stored.
 */
import type { AuthorIdentity, Network, NormalizedMessage } from '../../core/types.js';
import { exactId, ItemRejected, jsonKind, textField } from '../errorPolicy.js';
import { graphTime } from './graph.js';

export interface PageRef {
  pageId: string;
  name: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function fbAuthor(from: any, page: PageRef): AuthorIdentity {
  const id = exactId(from?.id, 'from.id');
  if (id && id === page.pageId) return { networkUserId: id, handle: page.name || id, displayName: page.name || null };
  const name = typeof from?.name === 'string' ? from.name : null;
  return { networkUserId: id, handle: name || id, displayName: name, profileUrl: null };
}

/** One `feed` change value. Returns null for what is not a message (likes, reactions, removals, the Page's own posts). */
export function normalizeFeedChange(value: any, page: PageRef, fallbackTime: number): NormalizedMessage | null {
  if (!value || typeof value !== 'object') return null;
  const verb = str(value.verb);
  if (verb !== 'add' && verb !== 'edited') return null;
  const item = str(value.item);
  if (item !== 'comment' && item !== 'status' && item !== 'post') return null;
  const from = value.from ?? {};
  const fromId = exactId(from.id, 'from.id');
  const fromBrand = fromId !== '' && fromId === page.pageId;
  const createdAt = graphTime(value.created_time, fallbackTime);
  if (item !== 'comment' && fromBrand) return null;
  // a photo or sticker comment, a photo post: no `message`, stored without text
  const text = textField(value, 'message') ?? '';
  if (item === 'comment') {
    const postId = exactId(value.post_id, 'post_id');
    const parentId = exactId(value.parent_id, 'parent_id') || postId;
    return {
      network: 'facebook',
      networkMessageId: exactId(value.comment_id, 'comment_id'),
      direction: fromBrand ? 'outbound' : 'inbound',
      visibility: 'public',
      kind: 'comment',
      author: fbAuthor(from, page),
      text,
      inReplyToNetworkId: parentId || null,
      threadRootNetworkId: postId || null,
      createdAt,
      url: typeof value.post?.permalink_url === 'string' ? value.post.permalink_url : null,
      ...(fromBrand ? { fromBrand: true } : {}),
      raw: value,
    };
  }
  return {
    network: 'facebook',
    networkMessageId: exactId(value.post_id, 'post_id'),
    direction: 'inbound',
    visibility: 'public',
    kind: 'post',
    author: fbAuthor(from, page),
    text,
    inReplyToNetworkId: null,
    threadRootNetworkId: null,
    createdAt,
    url: typeof value.link === 'string' ? value.link : null,
    raw: value,
  };
}

/**
 * The network id a `feed` change with `verb: "remove"` deletes (Page webhooks reference:
 * `item: "comment"` names it by `comment_id`, a visitor post — `item: "status"` or `"post"` —
 * by `post_id`), or null when the change is not a removal of one of those.
 */
export function feedRemoval(value: any): string | null {
  if (!value || typeof value !== 'object' || str(value.verb) !== 'remove') return null;
  const item = str(value.item);
  if (item === 'comment') return exactId(value.comment_id, 'comment_id') || null;
  if (item === 'status' || item === 'post') return exactId(value.post_id, 'post_id') || null;
  return null;
}

/**
 * A `feed` change hiding or showing again a comment (`verb: hide` / `unhide`, Page webhooks
 * reference, `feed` field): the Page's filters, an admin in Facebook's UI, or Parley's own
 * moderation hid it. Its id and whether it is now hidden; null for any other change.
 */
export function feedVisibility(value: any): { networkMessageId: string; hidden: boolean } | null {
  if (!value || typeof value !== 'object') return null;
  const verb = str(value.verb);
  if ((verb !== 'hide' && verb !== 'unhide') || str(value.item) !== 'comment') return null;
  const id = exactId(value.comment_id, 'comment_id');
  if (!id) throw new ItemRejected(`a comment ${verb} change without comment_id`);
  return { networkMessageId: id, hidden: verb === 'hide' };
}

/**
 * One Messenger (or Instagram messaging) event. `selfId` is the Page id (Messenger) or the
 * Instagram account id; echoes of our own messages become `fromBrand` outbound messages.
 */
export function normalizeMessagingEvent(ev: any, self: { id: string; name: string }, network: Extract<Network, 'facebook' | 'instagram'>, fallbackTime: number): NormalizedMessage | null {
  const msg = ev?.message;
  // read receipts, deliveries, reactions, postbacks: not messages
  if (msg === undefined || msg === null) return null;
  if (typeof msg !== 'object' || Array.isArray(msg)) throw new ItemRejected(`message is ${jsonKind(msg)}, not a message object`);
  if (msg.is_deleted || msg.is_unsupported) return null;
  const senderId = exactId(ev.sender?.id, 'sender.id');
  const fromBrand = msg.is_echo === true || (senderId !== '' && senderId === self.id);
  const attachments = Array.isArray(msg.attachments) ? msg.attachments : [];
  const typed = textField(msg, 'text', 'message.text');
  const text = typed ?? (attachments.length ? attachments.map((a: any) => `[${str(a?.type) || 'attachment'}]`).join(' ') : '');
  return {
    network,
    networkMessageId: exactId(msg.mid, 'message.mid'),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'private',
    kind: 'dm',
    author: fromBrand ? { networkUserId: self.id, handle: self.name || self.id, displayName: self.name || null } : { networkUserId: senderId, handle: senderId, displayName: null },
    text,
    inReplyToNetworkId: str(msg.reply_to?.mid) || null,
    threadRootNetworkId: null,
    createdAt: graphTime(ev.timestamp, fallbackTime),
    url: null,
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: ev,
  };
}

/** A comment read by polling `/{page-id}/feed?fields=…comments{…}` (the post it belongs to alongside). */
export function normalizePolledComment(c: any, post: any, page: PageRef, fallbackTime: number): NormalizedMessage {
  const from = c?.from ?? {};
  const fromId = exactId(from.id, 'from.id');
  const fromBrand = fromId !== '' && fromId === page.pageId;
  const postId = exactId(post?.id, 'post id');
  return {
    network: 'facebook',
    networkMessageId: exactId(c?.id, 'id'),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'public',
    kind: 'comment',
    author: fbAuthor(from, page),
    text: textField(c, 'message') ?? '',
    inReplyToNetworkId: exactId(c?.parent?.id, 'parent.id') || postId || null,
    threadRootNetworkId: postId || null,
    createdAt: graphTime(c?.created_time, fallbackTime),
    url: typeof c?.permalink_url === 'string' ? c.permalink_url : null,
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: { comment: c, post: { id: postId, permalink_url: post?.permalink_url ?? null } },
  };
}

/** A visitor post read by polling `/{page-id}/feed` (null for the Page's own posts). */
export function normalizePolledPost(p: any, page: PageRef, fallbackTime: number): NormalizedMessage | null {
  const from = p?.from ?? {};
  const fromId = exactId(from.id, 'from.id');
  if (!fromId || fromId === page.pageId) return null;
  const { comments: _comments, ...post } = p ?? {};
  return {
    network: 'facebook',
    networkMessageId: exactId(p?.id, 'id'),
    direction: 'inbound',
    visibility: 'public',
    kind: 'post',
    author: fbAuthor(from, page),
    text: textField(p, 'message') ?? '',
    inReplyToNetworkId: null,
    threadRootNetworkId: null,
    createdAt: graphTime(p?.created_time, fallbackTime),
    url: typeof p?.permalink_url === 'string' ? p.permalink_url : null,
    raw: post,
  };
}

/**
 * A message read from `/{page-id}/conversations?fields=messages{id,message,created_time,from,to}`.
 * `inReplyTo` is the account's previous message in the same conversation, if any.
 */
export function normalizeConversationMessage(m: any, self: { id: string; name: string }, network: Extract<Network, 'facebook' | 'instagram'>, inReplyTo: string | null, fallbackTime: number): NormalizedMessage {
  const from = m?.from ?? {};
  const fromId = exactId(from.id, 'from.id');
  const fromBrand = fromId !== '' && fromId === self.id;
  const handle = str(from.username) || str(from.name) || fromId;
  return {
    network,
    networkMessageId: exactId(m?.id, 'id'),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'private',
    kind: 'dm',
    author: fromBrand ? { networkUserId: self.id, handle: self.name || self.id, displayName: self.name || null } : { networkUserId: fromId, handle, displayName: str(from.name) || null },
    text: textField(m, 'message') ?? '',
    inReplyToNetworkId: fromBrand ? null : inReplyTo,
    threadRootNetworkId: null,
    createdAt: graphTime(m?.created_time, fallbackTime),
    url: null,
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: m,
  };
}

/** Whitespace- and Unicode-normalized text, to recognise a post we sent among what the network holds. */
export function comparable(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}
