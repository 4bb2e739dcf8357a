/**
 * Instagram payloads → NormalizedMessage (Instagram API with Facebook Login):
 *  - webhook `comments` changes (Graph webhooks reference, Instagram object): `from {id,
 *    username}` (Instagram-scoped id, the same id the commenter has in DMs), `media {id,
 *    media_product_type}`, `id`, `parent_id` (a reply to another comment), `text`;
 *  - webhook `mentions` changes (`media_id`, `comment_id`), completed with
 *    `GET /{ig-user-id}?fields=mentioned_comment.comment_id(…){…}`;
 *  - comments read by polling `/{ig-user-id}/media?fields=…comments{…}`.
 * Messaging events share the Messenger shape (src/channels/facebook/normalize.ts).
 * Text is kept verbatim. Normalizers never throw.
 */
import type { AuthorIdentity, NormalizedMessage } from '../../core/types.js';
import { graphTime } from '../facebook/graph.js';

export interface IgAccountRef {
  igUserId: string;
  username: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function igAuthor(from: any, fallbackUsername: string, me: IgAccountRef): AuthorIdentity {
  const username = str(from?.username) || fallbackUsername;
  // `from` (IGSID) is an IG Comment field; without it the username is the only stable handle we have
  const id = str(from?.id) || (username ? `username:${username}` : '');
  if (id && id === me.igUserId) return { networkUserId: id, handle: me.username, displayName: null, profileUrl: `https://www.instagram.com/${encodeURIComponent(me.username)}/` };
  return { networkUserId: id, handle: username || id, displayName: null, profileUrl: username ? `https://www.instagram.com/${encodeURIComponent(username)}/` : null };
}

/** A `comments` change value (a comment on the account's media). */
export function normalizeIgCommentChange(value: any, me: IgAccountRef, entryTime: number): NormalizedMessage | null {
  if (!value || typeof value !== 'object') return null;
  const from = value.from ?? {};
  const fromBrand = str(from.id) !== '' && str(from.id) === me.igUserId;
  const mediaId = str(value.media?.id);
  return {
    network: 'instagram',
    networkMessageId: str(value.id),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'public',
    kind: 'comment',
    author: igAuthor(from, '', me),
    text: str(value.text),
    inReplyToNetworkId: str(value.parent_id) || mediaId || null,
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
export function normalizeIgMention(change: { media_id?: string; comment_id?: string }, comment: any, me: IgAccountRef, fallbackTime: number): NormalizedMessage {
  return {
    network: 'instagram',
    networkMessageId: str(comment?.id) || str(change?.comment_id),
    direction: 'inbound',
    visibility: 'public',
    kind: 'mention',
    author: igAuthor(comment?.from, str(comment?.username), me),
    text: str(comment?.text),
    inReplyToNetworkId: null,
    threadRootNetworkId: str(change?.media_id) || null,
    createdAt: graphTime(comment?.timestamp, fallbackTime),
    url: typeof comment?.media?.permalink === 'string' ? comment.media.permalink : null,
    raw: { mention: change, mentioned_comment: comment },
  };
}

/** A comment (or reply) read by polling the account's media. */
export function normalizeIgPolledComment(c: any, media: any, me: IgAccountRef, fallbackTime: number): NormalizedMessage {
  const from = c?.from ?? {};
  const fromBrand = (str(from.id) !== '' && str(from.id) === me.igUserId) || (!str(from.id) && str(c?.username) === me.username);
  const mediaId = str(media?.id);
  return {
    network: 'instagram',
    networkMessageId: str(c?.id),
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'public',
    kind: 'comment',
    author: igAuthor(from, str(c?.username), me),
    text: str(c?.text),
    inReplyToNetworkId: str(c?.parent_id) || mediaId || null,
    threadRootNetworkId: mediaId || null,
    createdAt: graphTime(c?.timestamp, fallbackTime),
    url: typeof media?.permalink === 'string' ? media.permalink : null,
    ...(fromBrand ? { fromBrand: true } : {}),
    raw: { comment: { ...c, replies: undefined }, media: { id: mediaId, permalink: media?.permalink ?? null } },
  };
}
