/**
 * Mastodon entities → NormalizedMessage. Input is what the `masto` client
 * returns: the documented Status/Notification/Account entities with keys in
 * camelCase (masto converts `in_reply_to_id` → `inReplyToId`; values untouched).
 * `content` is HTML; the text is its plain-text reading (html.ts) and the
 * original HTML stays in `raw`. Status and account ids are the instance's own,
 * so a connector serves one instance.
 */
import type { AuthorIdentity, MessageKind, NormalizedMessage } from '../../core/types.js';
import { htmlToText } from './html.js';
// what a reply's text becomes when posted: reply checks measure the same (src/core/replyChecks.ts)
export { withMastodonMentions as withMentions } from '../../core/textLength.js';

/** The Account fields we read (https://docs.joinmastodon.org/entities/Account/). */
export interface MastoAccount {
  id: string;
  username: string;
  acct: string;
  displayName?: string;
  url?: string;
  avatar?: string;
  followersCount?: number;
  bot?: boolean;
}

/** The Status fields we read (https://docs.joinmastodon.org/entities/Status/). */
export interface MastoStatus {
  id: string;
  uri?: string;
  url?: string | null;
  createdAt: string;
  account: MastoAccount;
  content: string;
  text?: string | null;
  visibility: 'public' | 'unlisted' | 'private' | 'direct' | string;
  inReplyToId?: string | null;
  inReplyToAccountId?: string | null;
  spoilerText?: string;
  reblog?: MastoStatus | null;
  mentions?: { id: string; username: string; acct: string; url?: string }[];
}

/** https://docs.joinmastodon.org/entities/Notification/ */
export interface MastoNotification {
  id: string;
  type: string;
  createdAt: string;
  account: MastoAccount;
  status?: MastoStatus | null;
}

export interface NormalizeContext {
  /** The care account's id on its instance. */
  ownId: string;
}

export function authorOf(a: MastoAccount): AuthorIdentity {
  return {
    networkUserId: a.id,
    handle: a.acct,
    displayName: a.displayName || null,
    followers: typeof a.followersCount === 'number' ? a.followersCount : null,
    // Mastodon verifies links on profiles, not people
    verified: null,
    profileUrl: a.url ?? null,
    avatarUrl: a.avatar ?? null,
  };
}

/** What a reader sees: the content warning (if any) above the text. */
export function statusText(s: Pick<MastoStatus, 'content' | 'spoilerText' | 'text'>): string {
  const body = s.content ? htmlToText(s.content) : (s.text ?? '');
  return s.spoilerText ? `${s.spoilerText}\n\n${body}` : body;
}

/** Mastodon's private visibilities: `direct` is a private message; the rest are posts (followers-only included). */
export function parleyVisibility(v: string): 'public' | 'private' {
  return v === 'direct' ? 'private' : 'public';
}

export function normalizeStatus(s: MastoStatus, kind: MessageKind | null, ctx: NormalizeContext, raw: unknown = s): NormalizedMessage {
  const fromBrand = s.account.id === ctx.ownId;
  const k: MessageKind = kind ?? (s.visibility === 'direct' ? 'dm' : s.inReplyToAccountId && s.inReplyToAccountId === ctx.ownId ? 'reply' : 'mention');
  const created = Date.parse(s.createdAt);
  return {
    network: 'mastodon',
    networkMessageId: s.id,
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: parleyVisibility(s.visibility),
    kind: s.visibility === 'direct' ? 'dm' : k,
    author: authorOf(s.account),
    ...(s.account.bot ? { automated: true } : {}),
    text: statusText(s),
    inReplyToNetworkId: s.inReplyToId ?? null,
    threadRootNetworkId: null,
    createdAt: Number.isFinite(created) ? created : 0,
    url: s.url ?? s.uri ?? null,
    fromBrand,
    raw,
  };
}

/** A mention notification (mentions, replies, and private mentions = DMs); other types give null. */
export function normalizeNotification(n: MastoNotification, ctx: NormalizeContext): NormalizedMessage | null {
  if (n.type !== 'mention' || !n.status) return null;
  return normalizeStatus(n.status, null, ctx, n);
}

/** The status a stored raw payload describes (a notification's status, or a status), if it is the one with this id. */
export function statusFromRaw(raw: unknown, id: string): MastoStatus | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as { id?: unknown; status?: unknown; account?: unknown; visibility?: unknown };
  const s = (r.status && typeof r.status === 'object' ? r.status : r) as Partial<MastoStatus>;
  if (s.id !== id || typeof s.visibility !== 'string' || !s.account || typeof (s.account as MastoAccount).acct !== 'string') return null;
  return s as MastoStatus;
}

const LEADING_MENTIONS = /^(?:\s*@[\p{L}\p{N}_.-]+(?:@[\p{L}\p{N}_.-]+)?)+\s*/u;

/** Text compared without the @mentions a reply starts with, and with whitespace collapsed. */
export function comparableText(text: string): string {
  return text.replace(LEADING_MENTIONS, '').replace(/\s+/g, ' ').trim();
}

/** Mastodon ids are strings "cast from an integer but not guaranteed to be a number": compare numerically when they are. */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  return a < b ? -1 : a > b ? 1 : 0;
}
