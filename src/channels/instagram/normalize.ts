/**
 * Instagram payloads → NormalizedMessage (Instagram API with Facebook Login):
 *  - webhook `comments` changes (Graph webhooks reference, Instagram object): `from {id,
 *    username}` (Instagram-scoped id, the same id the commenter has in DMs), `media {id,
 *    media_product_type}`, `id`, `parent_id` (a reply to another comment), `text`;
 *  - webhook `mentions` changes (`media_id`, `comment_id`), completed with
 *    `GET /{ig-user-id}?fields=mentioned_comment.comment_id(…){…}`;
 *  - comments read by polling `/{ig-user-id}/media?fields=…comments{…}`.
 * Messaging events share the Messenger shape (src/channels/facebook/normalize.ts).
 * Text is kept verbatim. A malformed item (no id...) becomes a message the pipeline
 * quarantines with its reason; an item whose fields have the wrong type (a `text` that is
 * not a string, an id that lost precision as a JSON number) throws ItemRejected with the
 * reason, and callers normalize each item through `normalizeItem`. Profile URLs built from
 * a username never throw (a lone surrogate gets no URL).
 */
import type { AuthorIdentity, NormalizedMessage } from '../../core/types.js';
import { exactId, textField, urlSegment } from '../errorPolicy.js';
import { graphTime } from '../facebook/graph.js';

export interface IgAccountRef {
  igUserId: string;
  username: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

const profileUrl = (username: string): string | null => {
  const u = urlSegment(username);
  return u ? `https://www.instagram.com/${u}/` : null;
};

function igAuthor(from: any, fallbackUsername: string, me: IgAccountRef): AuthorIdentity {
  const username = str(from?.username) || fallbackUsername;
  // `from` (IGSID) is an IG Comment field; without it the username is the only stable handle we have
  const id = exactId(from?.id, 'from.id') || (username ? `username:${username}` : '');
  if (id && id === me.igUserId) return { networkUserId: id, handle: me.username, displayName: null, profileUrl: profileUrl(me.username) };
  return { networkUserId: id, handle: username || id, displayName: null, profileUrl: profileUrl(username) };
}

/** A `comments` change value (a comment on the account's media). */
export function normalizeIgCommentChange(value: any, me: IgAccountRef, entryTime: number): NormalizedMessage | null {
  if (!value || typeof value !== 'object') return null;
  const from = value.from ?? {};
  const fromId = exactId(from.id, 'from.id');
  const fromBrand = fromId !== '' && fromId === me.igUserId;
  const mediaId = exactId(value.media?.id, 'media.id');
  return {
    network: 'instagram',
    networkMessageId: exactId(value.id, 'id'),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'public',
    kind: 'comment',
    author: igAuthor(from, '', me),
    text: textField(value, 'text') ?? '',
    inReplyToNetworkId: exactId(value.parent_id, 'parent_id') || mediaId || null,
    threadRootNetworkId: mediaId || null,
    // the change carries no creation time: the entry's time is when it happened
    createdAt: entryTime,
    url: null,
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: value,
  };
}

/**
 * A comment in which the account was @mentioned (on someone else's media), from the
 * `mentions` change and the `mentioned_comment` lookup. The raw keeps both: replying needs
 * the media id and comment id (`POST /{ig-user-id}/mentions`).
 */
export function normalizeIgMention(change: { media_id?: unknown; comment_id?: unknown }, comment: any, me: IgAccountRef, fallbackTime: number): NormalizedMessage {
  return {
    network: 'instagram',
    networkMessageId: exactId(comment?.id, 'mentioned_comment.id') || exactId(change?.comment_id, 'comment_id'),
    direction: 'inbound',
    visibility: 'public',
    kind: 'mention',
    author: igAuthor(comment?.from, str(comment?.username), me),
    text: textField(comment, 'text', 'mentioned_comment.text') ?? '',
    inReplyToNetworkId: null,
    threadRootNetworkId: exactId(change?.media_id, 'media_id') || null,
    createdAt: graphTime(comment?.timestamp, fallbackTime),
    url: typeof comment?.media?.permalink === 'string' ? comment.media.permalink : null,
    raw: { mention: change, mentioned_comment: comment },
  };
}

/** A comment (or reply) read by polling the account's media. */
export function normalizeIgPolledComment(c: any, media: any, me: IgAccountRef, fallbackTime: number): NormalizedMessage {
  const from = c?.from ?? {};
  const fromId = exactId(from.id, 'from.id');
  const fromBrand = (fromId !== '' && fromId === me.igUserId) || (!fromId && str(c?.username) === me.username);
  const mediaId = exactId(media?.id, 'media id');
  return {
    network: 'instagram',
    networkMessageId: exactId(c?.id, 'id'),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'public',
    kind: 'comment',
    author: igAuthor(from, str(c?.username), me),
    text: textField(c, 'text') ?? '',
    inReplyToNetworkId: exactId(c?.parent_id, 'parent_id') || mediaId || null,
    threadRootNetworkId: mediaId || null,
    createdAt: graphTime(c?.timestamp, fallbackTime),
    url: typeof media?.permalink === 'string' ? media.permalink : null,
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: { comment: { ...c, replies: undefined }, media: { id: mediaId, permalink: media?.permalink ?? null } },
  };
}
