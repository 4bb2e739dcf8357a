/**
 * What became of stored Facebook comments and visitor posts (the connector's `presenceOf` /
 * `goneFrom`). The Page `feed` webhook tells of most changes (`verb: remove`, `hide`, `unhide`),
 * but a webhook that was down, or not subscribed, missed them: the sync worker asks, bounded,
 * about recent stored items (src/channels/sync.ts `checkGone`).
 *
 * Each item is read on its own, `GET /{id}?fields=id,is_hidden`, in one Graph batch (`POST
 * /?batch=[…]`, at most 50 operations: Graph API "Batch Requests"), not with the multiple-id read
 * (`GET /?ids=a,b`): that one answers the whole request with a single error when any id cannot be
 * read, and would not say which. What Graph answers for an object it cannot read is one error for
 * several causes (code 100, subcode 33: "does not exist, cannot be loaded due to missing
 * permissions, or does not support this operation"), so, as for Instagram (../instagram/gone.ts):
 *  - the batch starts with a control read of the Page (`GET /{page-id}?fields=id`): unless it
 *    answers 200 with the Page's id (the token is valid and reaches the Page), nothing is judged;
 *    a token, rate-limit or temporary error anywhere in the batch throws, and the worker asks
 *    again next time;
 *  - an item read with `is_hidden: true` is kept and hidden (`hidden_comment`): hidden by the
 *    Page's profanity filter or blocked words, or by an admin in Facebook's own UI (Comment
 *    reference, `is_hidden`). One Parley's own moderation hid is the brand's doing, not the
 *    network's: see src/pipeline/deletions.ts (the moderation record tells them apart, the
 *    network does not);
 *  - an item read and not hidden is shown;
 *  - a comment that reads 100/33 went with its post when the post reads 100/33 too (the Page
 *    deleted it: kept, hidden as `parent_removed`); with its post still there (or a visitor post
 *    of its own), it was deleted by its author (gone).
 * Any other answer for one item leaves it undecided; a body that is not the documented batch
 * answer throws (nothing changes). Messenger messages (`m_…` ids) are never asked.
 */
import type { GoneContext, NetworkHiddenReason, PresenceReport } from '../types.js';
import type { GraphClient } from './graph.js';
import { GRAPH_BATCH_MAX as BATCH_MAX, vouchedBatch, type BatchAnswer } from './graphBatch.js';

/** Page posts and comments have ids `<digits>_<digits>`. */
const OBJECT_ID = /^\d{1,40}_\d{1,40}$/;

/** What Facebook says of the stored items `ids` (see the header). */
export async function feedPresence(graph: GraphClient, pageId: string, ids: readonly string[], now: () => number, known?: GoneContext): Promise<PresenceReport> {
  const asked = [...new Set(ids)].filter((id) => OBJECT_ID.test(id));
  const gone: string[] = [];
  const shown: string[] = [];
  const hidden = new Map<string, NetworkHiddenReason>();
  const what = 'check whether stored Facebook comments are still shown';
  const page = { id: pageId, control: `${pageId}?fields=id`, noun: 'Page' };
  const missing: string[] = [];
  for (let i = 0; i < asked.length; i += BATCH_MAX - 1) {
    const part = asked.slice(i, i + BATCH_MAX - 1);
    const answers = await vouchedBatch(graph, page, part.map((id) => `${id}?fields=id,is_hidden`), what, now);
    part.forEach((id, j) => {
      const a = answers[j]!;
      if (a.kind === 'missing') missing.push(id);
      if (a.kind !== 'ok') return;
      if (a.body.is_hidden === true) hidden.set(id, 'hidden_comment');
      else if (a.body.is_hidden === false || a.body.is_hidden === undefined) shown.push(id);
    });
  }
  // a missing comment: alone (its author deleted it), or gone with its post (the Page deleted that)
  const postOf = new Map<string, string>();
  for (const id of missing) {
    const root = known?.threads?.get(id)?.root;
    if (root && root !== id && OBJECT_ID.test(root)) postOf.set(id, root);
  }
  const posts = [...new Set(postOf.values())];
  const postState = new Map<string, BatchAnswer['kind']>();
  for (let i = 0; i < posts.length; i += BATCH_MAX - 1) {
    const part = posts.slice(i, i + BATCH_MAX - 1);
    const answers = await vouchedBatch(graph, page, part.map((id) => `${id}?fields=id`), what, now);
    part.forEach((id, j) => postState.set(id, answers[j]!.kind));
  }
  for (const id of missing) {
    const post = postOf.get(id);
    const state = post === undefined ? 'ok' : postState.get(post);
    if (state === 'ok') gone.push(id);
    else if (state === 'missing') hidden.set(id, 'parent_removed');
  }
  return { gone, hidden, shown };
}
