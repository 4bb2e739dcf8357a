/**
 * Which stored Instagram comments are certainly deleted (the connector's `goneFrom`). Instagram's
 * webhooks (`comments`, `mentions`) carry no deletion, so the sync worker asks, bounded, about
 * recent stored items (src/channels/sync.ts `checkGone`).
 *
 * What Graph answers for an object it cannot read is one error for several causes: code 100,
 * subcode 33, "Object with ID '…' does not exist, cannot be loaded due to missing permissions, or
 * does not support this operation" (Graph API "Handling Errors"). A deletion is therefore counted
 * only when everything else that answer could mean is ruled out in the same Graph batch
 * (`POST /?batch=[…]`, at most 50 operations, processed together with the same token: Graph API
 * "Batch Requests"):
 *  - a control operation, `GET /{ig-user-id}?fields=id,media.limit(1){comments.limit(1){id}}`,
 *    answers 200 with this account's id: the token is valid, the Page still reaches the
 *    Instagram account, and comments can be read (instagram_manage_comments). A revoked or
 *    expired token (190), a permission removed (10, 200–299), a rate limit or an outage fails it,
 *    and then nothing is reported gone;
 *  - `GET /{ig-comment-id}?fields=id` answers exactly 100/33. A comment in which the account was
 *    @mentioned on someone else's media cannot be read that way even when it exists (IG Comment
 *    reference, Limitations: "use the Mentioned Comment node instead"), so
 *  - `GET /{ig-user-id}?fields=mentioned_comment.comment_id({id}){id}` answers exactly 100/33 too.
 * A comment on the brand's own media that reads 100/33 may have gone with its media, deleted by the
 * brand in the Instagram app: the media is read too (`GET /{ig-media-id}?fields=id`), and only a
 * media that still exists makes the comment's absence its author's deletion. A comment the brand
 * hid is no absence: Graph still reads it (its `hidden` field true): kept, and marked hidden
 * (`commentPresence`).
 * A reply (stored as answering another comment) that reads 100/33 may have gone with the comment it
 * answers: that comment is read too (`GET /{ig-comment-id}?fields=id`), and when it is gone as well
 * the reply is kept, hidden as `parent_removed` (`byTheirComment`), not its author's deletion.
 * An answer that is neither 200 nor 100/33 for one item (another 4xx, no answer within the batch)
 * leaves it not gone; a token, rate-limit or temporary error anywhere throws, and the worker asks
 * again next time. Direct messages (ids that are not numeric comment ids) are never gone.
 *
 * What 100/33 cannot tell either: a comment the brand took away by moderating its author in the
 * Instagram app. A comment by someone the account restricted is not returned "unless the IG user
 * is unrestricted and the comment is approved" (IG Comment reference, Limitations), and blocking
 * someone removes their comments and likes from the account's posts (Instagram's help pages). Graph has no endpoint that lists or reports a block or a restriction, no
 * webhook says so, and neither reads as `hidden: true`: the comment answers 100/33, exactly as if
 * its author had deleted it, so this check reports it gone. What tells the two apart is Parley's
 * own record of that moderation (`INSTAGRAM_AUTHOR_MODERATION`, applied where deletions are
 * recorded: src/pipeline/deletions.ts `removedByAuthorModeration`): such a comment is kept and
 * marked `author_blocked` / `author_restricted` rather than redacted as its author's deletion.
 * A block or restriction made in the Instagram app itself leaves no such record, and nothing in
 * Graph tells of it (no field, edge or webhook: the IG User, IG Comment and Webhooks references
 * have none; `hidden` is only the brand's or Instagram's hide, which reads 200). So a comment this
 * check reports gone is "no longer visible: deleted by its author, or removed or hidden in the
 * Instagram app" (`INSTAGRAM_GONE_MEANS`), never certainly its author's deletion.
 */
import type { GoneContext, NetworkHiddenReason, PresenceReport } from '../types.js';
import type { GraphClient } from '../facebook/graph.js';
import { GRAPH_BATCH_MAX as BATCH_MAX, vouchedBatch, type BatchAnswer, type BatchOwner } from '../facebook/graphBatch.js';

/**
 * What the brand's block or restriction of a person does to that person's comments on the
 * account (see the header): a block removes them (`author_blocked`), a restriction holds them
 * back until approved (`author_restricted`). Read by src/pipeline/deletions.ts against Parley's
 * `moderation_action` records of the author (`block` / `unblock`, `restrict` / `unrestrict`).
 */
export const INSTAGRAM_AUTHOR_MODERATION = { block: 'author_blocked', restrict: 'author_restricted' } as const;

/**
 * What an Instagram comment the check reports gone means, as the redaction's reason (see the
 * header): deleted by its author, or removed (its author blocked) or held back (restricted) by the
 * brand in the Instagram app, which Graph cannot tell apart. For src/pipeline/deletions.ts to label
 * the redaction with (a reason to add to REDACTION_REASONS); where Parley's own moderation record
 * explains the disappearance, `INSTAGRAM_AUTHOR_MODERATION` applies first.
 */
export const INSTAGRAM_GONE_MEANS = 'deleted_or_removed' as const;

/**
 * The ids among `ids` that are comments their authors certainly deleted (see the header). `known`:
 * what is stored of each (what it answers, its thread's root: the media it is on).
 */
export async function goneComments(graph: GraphClient, igUserId: string, ids: readonly string[], now: () => number, known?: GoneContext): Promise<string[]> {
  return (await commentPresence(graph, igUserId, ids, now, known)).gone;
}

/**
 * `goneComments`, telling also what it keeps: a comment read with `hidden: true` (hidden by the
 * brand, or by Instagram's own filters: IG Comment `hidden`) is hidden (`hidden_comment`); one that
 * went with the brand's deleted media is hidden as `parent_removed`; one read and not hidden, or
 * found through the Mentioned Comment node, is shown. Asking `hidden` costs no extra request.
 */
export async function commentPresence(graph: GraphClient, igUserId: string, ids: readonly string[], now: () => number, known?: GoneContext): Promise<PresenceReport> {
  // comment ids are digits; a direct message's id (mid) is not, and is never reported gone
  const asked = [...new Set(ids)].filter((id) => /^\d{1,40}$/.test(id));
  const owner = { id: igUserId, control: `${igUserId}?fields=id,media.limit(1){comments.limit(1){id}}`, noun: 'account' };
  const gone: string[] = [];
  const shown: string[] = [];
  const hidden = new Map<string, NetworkHiddenReason>();
  for (let i = 0; i < asked.length; i += BATCH_MAX - 1) {
    const part = asked.slice(i, i + BATCH_MAX - 1);
    const what = 'check whether stored Instagram comments still exist';
    const direct = await vouchedBatch(graph, owner, part.map((id) => `${id}?fields=id,hidden`), what, now);
    part.forEach((id, j) => {
      const a = direct[j]!;
      if (a.kind !== 'ok') return;
      if (a.body.hidden === true) hidden.set(id, 'hidden_comment');
      else shown.push(id);
    });
    const unread = part.filter((_, j) => direct[j]!.kind === 'missing');
    if (!unread.length) continue;
    // a comment on someone else's media (a mention) is read only through the Mentioned Comment node
    const mentions = await vouchedBatch(graph, owner, unread.map((id) => `${igUserId}?fields=mentioned_comment.comment_id(${id}){id}`), what, now);
    unread.forEach((id, j) => {
      if (mentions[j]!.kind === 'ok') shown.push(id);
    });
    const missing = unread.filter((_, j) => mentions[j]!.kind === 'missing');
    const { alone: replyAlone, withParent } = await byTheirComment(graph, owner, missing, what, now, known);
    const { alone, withMedia } = await byTheirMedia(graph, owner, replyAlone, what, now, known);
    gone.push(...alone);
    for (const id of [...withParent, ...withMedia]) hidden.set(id, 'parent_removed');
  }
  return { gone, hidden, shown };
}

/**
 * Replies that read as 100/33, by what the comment they answer says: `withParent`, those whose
 * top-level comment is gone too — a reply goes with the comment it answers (IG Comment Replies
 * reference, Limitations: "You cannot get replies to a comment that has been deleted"; Instagram
 * only nests one level, so a reply's parent is a top-level comment), whoever removed that comment:
 * its author, the brand (in Parley or in the Instagram app), or Instagram. The reply's author
 * withdrew nothing: kept, not redacted, hidden as `parent_removed`. A reply is what is stored as
 * answering a comment (`inReplyTo`) other than its media (`root`). `alone`: the others, and the
 * replies whose parent still reads (200); a parent answering anything else leaves its replies
 * undecided this time (in neither list).
 */
async function byTheirComment(graph: GraphClient, owner: BatchOwner, missing: string[], what: string, now: () => number, known?: GoneContext): Promise<{ alone: string[]; withParent: string[] }> {
  const parentOf = new Map<string, string>();
  for (const id of missing) {
    const t = known?.threads?.get(id);
    if (t?.inReplyTo && t.root && t.inReplyTo !== t.root && t.inReplyTo !== id && /^\d{1,40}$/.test(t.inReplyTo)) parentOf.set(id, t.inReplyTo);
  }
  if (!parentOf.size) return { alone: missing, withParent: [] };
  const answers = new Map<string, BatchAnswer['kind']>();
  // a parent already read 100/33 in this check needs no second read
  for (const p of parentOf.values()) if (missing.includes(p)) answers.set(p, 'missing');
  const toRead = [...new Set(parentOf.values())].filter((p) => !answers.has(p));
  for (let i = 0; i < toRead.length; i += BATCH_MAX - 1) {
    const part = toRead.slice(i, i + BATCH_MAX - 1);
    const read = await vouchedBatch(graph, owner, part.map((id) => `${id}?fields=id`), what, now);
    part.forEach((id, j) => answers.set(id, read[j]!.kind));
  }
  const p = (id: string) => parentOf.get(id);
  return {
    alone: missing.filter((id) => p(id) === undefined || answers.get(p(id)!) === 'ok'),
    withParent: missing.filter((id) => p(id) !== undefined && answers.get(p(id)!) === 'missing'),
  };
}

/**
 * Comments that read as 100/33, by what their media says: `alone`, those whose media still exists
 * (or that answer no media of the brand's); `withMedia`, those whose media is gone too. A comment on the brand's own
 * media (stored as answering that media or another comment on it; a mention on someone else's
 * media answers nothing) goes with its media when the media is deleted — in the Instagram app:
 * Graph has no media deletion — by the brand, not by the comment's author. `GET /{ig-media-id}`
 * (the account's own media) answers 100/33 then too, and those comments are not reported gone
 * (kept, not redacted: hidden as `parent_removed`). The media reads 200: the comment alone is gone,
 * deleted by its author. Any other answer for the media leaves its comments undecided this time.
 */
async function byTheirMedia(graph: GraphClient, owner: BatchOwner, missing: string[], what: string, now: () => number, known?: GoneContext): Promise<{ alone: string[]; withMedia: string[] }> {
  const mediaOf = new Map<string, string>();
  for (const id of missing) {
    const t = known?.threads?.get(id);
    if (t?.inReplyTo && t.root && /^\d{1,40}$/.test(t.root)) mediaOf.set(id, t.root);
  }
  const media = [...new Set(mediaOf.values())];
  if (!media.length) return { alone: missing, withMedia: [] };
  const answers = new Map<string, BatchAnswer['kind']>();
  for (let i = 0; i < media.length; i += BATCH_MAX - 1) {
    const part = media.slice(i, i + BATCH_MAX - 1);
    const read = await vouchedBatch(graph, owner, part.map((id) => `${id}?fields=id`), what, now);
    part.forEach((id, j) => answers.set(id, read[j]!.kind));
  }
  const m = (id: string) => mediaOf.get(id);
  return {
    alone: missing.filter((id) => m(id) === undefined || answers.get(m(id)!) === 'ok'),
    withMedia: missing.filter((id) => m(id) !== undefined && answers.get(m(id)!) === 'missing'),
  };
}
