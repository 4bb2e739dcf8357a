/**
 * What of an Instagram payload survives raw payload retention (src/jobs/housekeeping.ts,
 * through src/channels/retainedRaw.ts): only the ids the connector reads when it answers later
 * (./channel.ts). A mention on someone else's media is answered through
 * `POST /{ig-user-id}/mentions` with its `media_id` and `comment_id`; a DM is told from a
 * comment by its `message.mid`. Anything else keeps no key at all: an empty object still says
 * "an Instagram payload was here and it was not a mention", which the connector needs to pick
 * the comment's `/replies` edge. Never text, names, usernames or profile data.
 */

const id = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The kept subset of a stored Instagram payload. */
export function retainInstagramRaw(raw: unknown): Record<string, unknown> | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const r = raw as Record<string, any>;
  if (r.mention && typeof r.mention === 'object') {
    const mediaId = id(r.mention.media_id);
    const commentId = id(r.mention.comment_id);
    return { mention: { ...(mediaId ? { media_id: mediaId } : {}), ...(commentId ? { comment_id: commentId } : {}) } };
  }
  const mid = id(r.message?.mid);
  if (mid) return { message: { mid } };
  return {};
}
