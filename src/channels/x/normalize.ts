/**
 * X (Twitter) payloads → NormalizedMessage. Two shapes reach us:
 *  - API v2 objects (mentions timeline, recent search, DM events): `{data, includes}`
 *    with the author in `includes.users`;
 *  - v1.1-style objects in Account Activity API webhooks (`tweet_create_events`
 *    Tweet objects with `id_str`/`user`/`extended_tweet`, `direct_message_events`
 *    `message_create` events with a `users` map).
 * X HTML-escapes `&`, `<` and `>` in post text (`&amp;` `&lt;` `&gt;`, documented for
 * v1.1/webhooks and observed on v2 too); we decode exactly those three, once, so the
 * text is stored verbatim as the customer typed it (a customer who typed "&lt;" arrives
 * as "&amp;lt;" and stays "&lt;"). Nothing else is cleaned: hostile text stays as is.
 * A malformed item becomes a message the ingest pipeline quarantines with its reason and
 * raw payload; an item whose fields have the wrong type (text that is not a string, an id
 * that lost precision as a JSON number) throws ItemRejected with the reason, and callers
 * normalize each item through `normalizeItem`, so one item never fails its neighbours.
 * URLs built from what X sent never throw (a handle with a lone surrogate gets no URL).
 */
import type { AuthorIdentity, MessageKind, NormalizedMessage } from '../../core/types.js';
import { RawJson } from '../../lib/json.js';
import { exactId, ItemRejected, textField, urlSegment } from '../errorPolicy.js';

/** The connected X account: its numeric user id and @username. */
export interface XAccountRef {
  userId: string;
  username: string;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>' };

/** Undo X's HTML escaping of `&`, `<`, `>` (single pass, so `&amp;lt;` → `&lt;`). */
export function decodeXText(s: string): string {
  return s.replace(/&(amp|lt|gt);/g, (_m, e: string) => ENTITY[e]!);
}

/** X ids are 64-bit snowflakes in strings: compare them as BigInt (numbers lose precision). */
export function idGt(a: string, b: string): boolean {
  try {
    return BigInt(a) > BigInt(b);
  } catch {
    return a.length === b.length ? a > b : a.length > b.length;
  }
}

/** The newest (largest) id, ignoring empty values. */
export function maxId(ids: (string | null | undefined)[]): string | undefined {
  let best: string | undefined;
  for (const id of ids) if (id && (best === undefined || idGt(id, best))) best = id;
  return best;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : null);

export function profileUrl(username: string): string | null {
  const u = urlSegment(username);
  return u ? `https://x.com/${u}` : null;
}

export function postUrl(username: string, id: string): string | null {
  const u = urlSegment(username);
  const i = urlSegment(id);
  return u && i ? `https://x.com/${u}/status/${i}` : null;
}

/** A post's text, which X always sends: absent or not a string, the item is rejected (never stored empty). */
function postText(o: Record<string, any>, key: string): string {
  const t = textField(o, key);
  if (t === undefined) throw new ItemRejected(`${key} is missing (X sends the text of every post)`);
  return t;
}

/** A v2 user object (user.fields=public_metrics,verified,username,name,profile_image_url). */
export interface UserV2Like {
  id?: string;
  username?: string;
  name?: string;
  verified?: boolean;
  profile_image_url?: string;
  public_metrics?: { followers_count?: number };
}

export function authorFromV2(id: string, u: UserV2Like | undefined): AuthorIdentity {
  const username = str(u?.username);
  return {
    networkUserId: id,
    // without the expansion (suspended author...) the id is the only handle we have
    handle: username || id,
    displayName: u?.name ?? null,
    followers: num(u?.public_metrics?.followers_count),
    verified: typeof u?.verified === 'boolean' ? u.verified : null,
    profileUrl: profileUrl(username),
    avatarUrl: u?.profile_image_url ?? null,
  };
}

/** A v1.1 user object as found in webhook payloads (`user` of a Tweet, `users[id]` of DM events). */
export function authorFromV1(u: any, fallbackId = ''): AuthorIdentity {
  const id = exactId(u?.id_str, 'user.id_str') || exactId(u?.id, 'user.id') || fallbackId;
  const username = str(u?.screen_name);
  return {
    networkUserId: id,
    handle: username || id,
    displayName: typeof u?.name === 'string' ? u.name : null,
    followers: num(u?.followers_count),
    verified: typeof u?.verified === 'boolean' ? u.verified : null,
    profileUrl: profileUrl(username),
    avatarUrl: typeof u?.profile_image_url_https === 'string' ? u.profile_image_url_https : null,
  };
}

export interface TweetV2Like {
  id?: string;
  text?: string;
  author_id?: string;
  created_at?: string;
  conversation_id?: string;
  in_reply_to_user_id?: string;
  referenced_tweets?: { type?: string; id?: string }[];
  note_tweet?: { text?: string };
  entities?: { urls?: { url?: string; expanded_url?: string }[] };
  [k: string]: unknown;
}

export interface IncludesV2Like {
  users?: UserV2Like[];
  tweets?: TweetV2Like[];
}

/**
 * Whether a time (ms) is one X could send: from 2006 (X's first post) up to 2100. A negative,
 * zero or year-9999 time (a broken or hostile payload) is not kept: the SLA clock, the inbox's
 * order and the reports run on it, so the fallback (created_at, or now) stands in.
 */
const plausible = (ms: number) => ms >= Date.UTC(2006, 0, 1) && ms < Date.UTC(2100, 0, 1);

function parseTime(v: unknown, fallback: number): number {
  const t = typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : typeof v === 'string' && v ? (/^\d+$/.test(v) ? Number(v) : Date.parse(v)) : NaN;
  return Number.isFinite(t) && plausible(t) ? t : fallback;
}

/**
 * A v2 post from the mentions timeline, recent search or a lookup. Returns null for
 * reposts (a repost of something is not a customer speaking).
 */
export function normalizeV2Tweet(tweet: TweetV2Like, includes: IncludesV2Like | undefined, me: XAccountRef, opts: { kind?: MessageKind; now?: number } = {}): NormalizedMessage | null {
  const refs = Array.isArray(tweet.referenced_tweets) ? tweet.referenced_tweets : [];
  if (refs.some((r) => r?.type === 'retweeted')) return null;
  const id = exactId(tweet.id, 'id');
  const authorId = exactId(tweet.author_id, 'author_id');
  const user = includes?.users?.find((u) => u?.id === authorId);
  const author = authorFromV2(authorId, user);
  const fromBrand = authorId !== '' && authorId === me.userId;
  const repliedTo = str(refs.find((r) => r?.type === 'replied_to')?.id) || null;
  const conversation = str(tweet.conversation_id);
  // long posts: the full text is in note_tweet, `text` holds the first 280 characters
  const note = tweet.note_tweet && typeof tweet.note_tweet === 'object' ? textField(tweet.note_tweet, 'text', 'note_tweet.text') : undefined;
  const typed = postText(tweet, 'text');
  const text = decodeXText(note || typed);
  const kind: MessageKind = opts.kind ?? (str(tweet.in_reply_to_user_id) === me.userId && repliedTo ? 'reply' : 'mention');
  const related = includes?.tweets?.filter((t) => refs.some((r) => r?.id === t?.id)) ?? [];
  return {
    network: 'x',
    networkMessageId: id,
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'public',
    kind: fromBrand ? 'post' : kind,
    author,
    text,
    inReplyToNetworkId: repliedTo,
    threadRootNetworkId: conversation && conversation !== id ? conversation : null,
    createdAt: parseTime(tweet.created_at, opts.now ?? Date.now()),
    url: postUrl(user?.username ?? '', id),
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: { data: tweet, includes: { users: user ? [user] : [], tweets: related } },
  };
}

/**
 * A v1.1 Tweet object from an Account Activity `tweet_create_events` delivery. Ids are
 * read from the `*_str` fields (the numeric ones lose precision in JavaScript); long
 * posts carry their full text in `extended_tweet.full_text`. `rawBytes`, the tweet's exact
 * JSON text in the delivery (UTF-8), is kept as the raw payload (what X sent, ids beyond
 * 2^53 included) instead of the parsed object.
 */
export function normalizeV1Tweet(t: any, me: XAccountRef, opts: { now?: number; rawBytes?: Buffer } = {}): NormalizedMessage | null {
  if (!t || typeof t !== 'object') return null;
  if (t.retweeted_status) return null;
  const id = exactId(t.id_str, 'id_str') || exactId(t.id, 'id');
  const author = authorFromV1(t.user);
  const fromBrand = author.networkUserId !== '' && author.networkUserId === me.userId;
  const repliedTo = str(t.in_reply_to_status_id_str) || null;
  const extended = t.extended_tweet && typeof t.extended_tweet === 'object' ? textField(t.extended_tweet, 'full_text', 'extended_tweet.full_text') : undefined;
  const fullText = textField(t, 'full_text');
  const short = fullText === undefined && extended === undefined ? postText(t, 'text') : textField(t, 'text');
  const full = t.truncated && extended !== undefined ? extended : fullText || short || '';
  const kind: MessageKind = fromBrand ? 'post' : repliedTo && str(t.in_reply_to_user_id_str) === me.userId ? 'reply' : 'mention';
  return {
    network: 'x',
    networkMessageId: id,
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'public',
    kind,
    author,
    text: decodeXText(full),
    inReplyToNetworkId: repliedTo,
    threadRootNetworkId: null,
    createdAt: parseTime(t.timestamp_ms, parseTime(t.created_at, opts.now ?? Date.now())),
    url: postUrl(author.handle === author.networkUserId ? '' : author.handle, id),
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: opts.rawBytes !== undefined ? new RawJson(opts.rawBytes) : t,
  };
}

const DM_RAW_HEAD = Buffer.from('{"event":');

/** X's one-to-one DM conversation id: `{smaller_user_id}-{larger_user_id}`. */
export function oneToOneConversationId(a: string, b: string): string {
  return idGt(a, b) ? `${b}-${a}` : `${a}-${b}`;
}

export interface DmEventV2Like {
  id?: string;
  event_type?: string;
  text?: string;
  sender_id?: string;
  dm_conversation_id?: string;
  created_at?: string;
  participant_ids?: string[];
  [k: string]: unknown;
}

/** A v2 DM event (GET /2/dm_events). Only MessageCreate events are messages; others return null. */
export function normalizeV2DmEvent(ev: DmEventV2Like, includes: IncludesV2Like | undefined, me: XAccountRef, opts: { now?: number } = {}): NormalizedMessage | null {
  if (ev.event_type && ev.event_type !== 'MessageCreate') return null;
  const senderId = exactId(ev.sender_id, 'sender_id');
  const user = includes?.users?.find((u) => u?.id === senderId);
  const fromBrand = senderId !== '' && senderId === me.userId;
  return {
    network: 'x',
    networkMessageId: exactId(ev.id, 'id'),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'private',
    kind: 'dm',
    author: authorFromV2(senderId, user),
    text: decodeXText(textField(ev, 'text') ?? ''),
    inReplyToNetworkId: null,
    threadRootNetworkId: str(ev.dm_conversation_id) || null,
    createdAt: parseTime(ev.created_at, opts.now ?? Date.now()),
    url: null,
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: { data: ev, includes: { users: user ? [user] : [] } },
  };
}

/**
 * A v1.1 `message_create` event from an Account Activity `direct_message_events` delivery;
 * `rawBytes`, the event's exact JSON text (UTF-8), is kept in the raw payload.
 */
export function normalizeV1DmEvent(ev: any, users: Record<string, unknown> | undefined, me: XAccountRef, opts: { now?: number; rawBytes?: Buffer } = {}): NormalizedMessage | null {
  if (!ev || typeof ev !== 'object' || (ev.type && ev.type !== 'message_create')) return null;
  const mc = ev.message_create && typeof ev.message_create === 'object' ? ev.message_create : {};
  const senderId = exactId(mc.sender_id, 'message_create.sender_id');
  const recipientId = str(mc.target?.recipient_id);
  const fromBrand = senderId !== '' && senderId === me.userId;
  const user = users && typeof users === 'object' ? (users as Record<string, unknown>)[senderId] : undefined;
  return {
    network: 'x',
    networkMessageId: exactId(ev.id, 'id'),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'private',
    kind: 'dm',
    author: authorFromV1(user, senderId),
    text: decodeXText((mc.message_data && typeof mc.message_data === 'object' ? textField(mc.message_data, 'text', 'message_create.message_data.text') : undefined) ?? ''),
    inReplyToNetworkId: null,
    threadRootNetworkId: senderId && recipientId ? oneToOneConversationId(senderId, recipientId) : null,
    createdAt: parseTime(ev.created_timestamp, opts.now ?? Date.now()),
    url: null,
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: opts.rawBytes !== undefined
      ? new RawJson(Buffer.concat([DM_RAW_HEAD, opts.rawBytes, Buffer.from(`,"user":${JSON.stringify(user ?? null)}}`)]))
      : { event: ev, user: user ?? null },
  };
}

/**
 * The text of a post as its author typed it, for comparing what we sent with what X
 * shows: HTML escapes undone and t.co links expanded back (X wraps every URL) on the
 * network's side, then Unicode normalized (X stores NFC) and whitespace runs collapsed.
 */
export function postedText(text: string, urls?: { url?: string; expanded_url?: string }[]): string {
  let t = decodeXText(text);
  for (const u of urls ?? []) if (u?.url && u.expanded_url) t = t.split(u.url).join(u.expanded_url);
  return sentText(t);
}

/** What we asked X to post, in the same comparable form as `postedText`. */
export function sentText(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}

/**
 * Does a post X shows match what we sent? X adds the reply's leading @mentions to the
 * `text` of a reply (auto-populated reply metadata), so a prefix of @handles is allowed.
 */
export function matchesSent(posted: string, want: string): boolean {
  if (posted === want) return true;
  if (!want || !posted.endsWith(want)) return false;
  return /^(@\w{1,15} )+$/.test(posted.slice(0, posted.length - want.length));
}
