/**
 * Bluesky payloads → NormalizedMessage. Pure functions over the lexicon shapes
 * (app.bsky.notification.listNotifications#notification, app.bsky.feed.defs#postView,
 * chat.bsky.convo.defs#messageView): the post's `text` is kept verbatim (facets
 * only annotate byte ranges of it), the author's DID is their stable id, the
 * `at://` URI is the message id, and the whole payload is kept as `raw`.
 */
import type { AuthorIdentity, MessageKind, NormalizedMessage } from '../../core/types.js';

export const DEFAULT_WEB_URL = 'https://bsky.app';
export const POST_COLLECTION = 'app.bsky.feed.post';

export interface StrongRef {
  uri: string;
  cid: string;
}

/** The subset of app.bsky.actor.defs#profileView(Basic|Detailed) we read. */
export interface ProfileLike {
  did: string;
  handle: string;
  displayName?: string;
  avatar?: string;
  followersCount?: number;
  verification?: { verifiedStatus?: string };
}

/** What notifications and post views have in common. */
export interface PostLike {
  uri: string;
  cid: string;
  author: ProfileLike;
  record: { [k: string]: unknown };
  indexedAt: string;
}

export interface NotificationLike extends PostLike {
  reason: string;
  reasonSubject?: string;
}

export interface ChatMessageLike {
  $type?: string;
  id: string;
  rev: string;
  text?: string;
  sender: { did: string };
  sentAt: string;
}

export interface NormalizeContext {
  /** The care account's DID (its own posts are marked fromBrand). */
  ownDid: string;
  webUrl?: string;
  /** Follower counts fetched separately (getProfiles), by DID. */
  followers?: ReadonlyMap<string, number>;
}

/** Reasons that address the account: someone mentioned, replied to or quoted it. */
export const INBOUND_REASONS = ['mention', 'reply', 'quote'] as const;

export function parseAtUri(uri: string): { did: string; collection: string; rkey: string } | null {
  const m = /^at:\/\/([^/]+)\/([^/]+)\/([^/?#]+)$/.exec(uri);
  return m ? { did: m[1]!, collection: m[2]!, rkey: m[3]! } : null;
}

function base(webUrl?: string): string {
  return (webUrl ?? DEFAULT_WEB_URL).replace(/\/+$/, '');
}

/** A handle of `handle.invalid` means the handle does not verify: link by DID then. */
function actorPath(handle: string | undefined, did: string): string {
  return handle && handle !== 'handle.invalid' ? handle : did;
}

export function profileUrl(handle: string | undefined, did: string, webUrl?: string): string {
  return `${base(webUrl)}/profile/${encodeURIComponent(actorPath(handle, did))}`;
}

/** https://bsky.app/profile/<handle>/post/<rkey> for a post's at:// URI. */
export function postUrl(uri: string, handle: string | undefined, webUrl?: string): string | null {
  const p = parseAtUri(uri);
  if (!p || p.collection !== POST_COLLECTION) return null;
  return `${profileUrl(handle, p.did, webUrl)}/post/${encodeURIComponent(p.rkey)}`;
}

export function authorOf(profile: ProfileLike, ctx: Pick<NormalizeContext, 'webUrl' | 'followers'>): AuthorIdentity {
  const followers = profile.followersCount ?? ctx.followers?.get(profile.did) ?? null;
  return {
    networkUserId: profile.did,
    handle: profile.handle,
    displayName: profile.displayName || null,
    followers,
    verified: profile.verification ? profile.verification.verifiedStatus === 'valid' : null,
    profileUrl: profileUrl(profile.handle, profile.did, ctx.webUrl),
    avatarUrl: profile.avatar ?? null,
  };
}

function isStrongRef(v: unknown): v is StrongRef {
  return !!v && typeof v === 'object' && typeof (v as StrongRef).uri === 'string' && typeof (v as StrongRef).cid === 'string';
}

/** The post record's reply reference, when it is a well-formed one. */
export function replyRefOf(record: unknown): { root: StrongRef; parent: StrongRef } | null {
  const reply = record && typeof record === 'object' ? (record as { reply?: unknown }).reply : undefined;
  if (!reply || typeof reply !== 'object') return null;
  const { root, parent } = reply as { root?: unknown; parent?: unknown };
  return isStrongRef(root) && isStrongRef(parent) ? { root: { uri: root.uri, cid: root.cid }, parent: { uri: parent.uri, cid: parent.cid } } : null;
}

/** The reply reference for answering `post`: its root (or itself when it starts the thread) and itself as parent. */
export function replyRefFor(post: { uri: string; cid: string; record?: unknown }): { root: StrongRef; parent: StrongRef } {
  const parent = { uri: post.uri, cid: post.cid };
  return { root: replyRefOf(post.record)?.root ?? parent, parent };
}

function createdAtOf(record: { [k: string]: unknown }, indexedAt: string): number {
  // createdAt is declared by the author's client (missing, or even in the future);
  // like the AppView's sortAt, take the earlier of it and when the AppView saw the post
  const c = typeof record.createdAt === 'string' ? Date.parse(record.createdAt) : NaN;
  const i = Date.parse(indexedAt);
  if (Number.isFinite(c) && Number.isFinite(i)) return Math.min(c, i);
  if (Number.isFinite(i)) return i;
  return Number.isFinite(c) ? c : 0;
}

function textOf(record: { [k: string]: unknown }): string {
  return typeof record.text === 'string' ? record.text : '';
}

export function normalizePost(post: PostLike, kind: MessageKind, ctx: NormalizeContext, raw: unknown = post): NormalizedMessage {
  const reply = replyRefOf(post.record);
  const fromBrand = post.author.did === ctx.ownDid;
  return {
    network: 'bluesky',
    networkMessageId: post.uri,
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'public',
    kind,
    author: authorOf(post.author, ctx),
    text: textOf(post.record),
    inReplyToNetworkId: reply?.parent.uri ?? null,
    threadRootNetworkId: reply?.root.uri ?? null,
    createdAt: createdAtOf(post.record, post.indexedAt),
    url: postUrl(post.uri, post.author.handle, ctx.webUrl),
    fromBrand,
    raw,
  };
}

/** A mention/reply/quote notification, or null for reasons that are not addressed to the account. */
export function normalizeNotification(n: NotificationLike, ctx: NormalizeContext): NormalizedMessage | null {
  if (!(INBOUND_REASONS as readonly string[]).includes(n.reason)) return null;
  if (parseAtUri(n.uri)?.collection !== POST_COLLECTION) return null;
  const kind: MessageKind = n.reason === 'reply' ? 'reply' : 'mention';
  return normalizePost(n, kind, ctx);
}

export const CHAT_ID_PREFIX = 'chat:';

/** Chat messages have ids unique within their conversation: the message id is `chat:<convoId>:<messageId>`. */
export function chatMessageId(convoId: string, messageId: string): string {
  return `${CHAT_ID_PREFIX}${convoId}:${messageId}`;
}

export function parseChatMessageId(id: string): { convoId: string; messageId: string } | null {
  if (!id.startsWith(CHAT_ID_PREFIX)) return null;
  const rest = id.slice(CHAT_ID_PREFIX.length);
  const i = rest.lastIndexOf(':');
  if (i <= 0 || i === rest.length - 1) return null;
  return { convoId: rest.slice(0, i), messageId: rest.slice(i + 1) };
}

/**
 * A chat message (chat.bsky.convo.defs#messageView); deleted and system messages give null.
 * `now`: when it was fetched, its time when `sentAt` is missing or not a date (a chat message
 * has no `indexedAt` to fall back on, as a post has).
 */
export function normalizeChatMessage(
  m: ChatMessageLike,
  convo: { id: string; members: ProfileLike[] },
  ctx: NormalizeContext,
  opts: { now?: number } = {},
): NormalizedMessage | null {
  if (m.$type && m.$type !== 'chat.bsky.convo.defs#messageView') return null;
  if (typeof m.text !== 'string' || !m.sender?.did) return null;
  const sender = convo.members.find((p) => p.did === m.sender.did) ?? { did: m.sender.did, handle: m.sender.did };
  const fromBrand = m.sender.did === ctx.ownDid;
  const sentAt = Date.parse(m.sentAt);
  return {
    network: 'bluesky',
    networkMessageId: chatMessageId(convo.id, m.id),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'private',
    kind: 'dm',
    author: authorOf(sender, ctx),
    text: m.text,
    inReplyToNetworkId: null,
    threadRootNetworkId: `${CHAT_ID_PREFIX}${convo.id}`,
    createdAt: Number.isFinite(sentAt) ? sentAt : (opts.now ?? Date.now()),
    url: `${base(ctx.webUrl)}/messages/${encodeURIComponent(convo.id)}`,
    fromBrand,
    raw: { convo: { id: convo.id, members: convo.members }, message: m },
  };
}
