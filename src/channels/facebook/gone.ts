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
import { ChannelError, type GoneContext, type NetworkHiddenReason, type PresenceReport } from '../types.js';
import { mapGraphError, type GraphClient } from './graph.js';

const BATCH_MAX = 50;

/** Errors that say nothing about one item but about the token, the app's limits or Meta's health. */
const ACCOUNT_WIDE = new Set(['AUTH_REVOKED', 'RATE_LIMITED', 'TEMPORARY', 'TIMEOUT']);

/** Page posts and comments have ids `<digits>_<digits>`. */
const OBJECT_ID = /^\d{1,40}_\d{1,40}$/;

type Answer = { kind: 'ok'; body: any } | { kind: 'missing' } | { kind: 'error'; code: string } | { kind: 'none' };

async function batch(graph: GraphClient, pageId: string, urls: string[], what: string, now: () => number): Promise<Answer[]> {
  const all = [`${pageId}?fields=id`, ...urls];
  const r = await graph.post<unknown>('', { batch: JSON.stringify(all.map((relative_url) => ({ method: 'GET', relative_url }))), include_headers: false }, what);
  if (!Array.isArray(r) || r.length !== all.length) {
    throw new ChannelError('TEMPORARY', `${what}: Meta answered the batch with ${Array.isArray(r) ? `${r.length} answers` : 'no list'} for ${all.length} requests; nothing was changed`);
  }
  const answers = r.map((item): Answer => {
    if (!item || typeof item !== 'object' || typeof (item as any).code !== 'number') return { kind: 'none' };
    const status = (item as any).code as number;
    let body: any;
    try {
      body = typeof (item as any).body === 'string' ? JSON.parse((item as any).body) : undefined;
    } catch {
      body = undefined;
    }
    if (status === 200 && body && typeof body === 'object' && !body.error) return { kind: 'ok', body };
    const e = body?.error;
    if (status < 500 && e?.code === 100 && e?.error_subcode === 33) return { kind: 'missing' };
    const mapped = mapGraphError(status, e, new Headers(), 'read', what, now());
    if (ACCOUNT_WIDE.has(mapped.code)) throw mapped;
    return { kind: 'error', code: mapped.code };
  });
  const control = answers[0]!;
  if (control.kind !== 'ok' || String(control.body?.id ?? '') !== pageId) {
    throw new ChannelError('TEMPORARY', `${what}: the control read of the Page ${pageId} did not answer for it; nothing is judged`);
  }
  return answers.slice(1);
}

/** What Facebook says of the stored items `ids` (see the header). */
export async function feedPresence(graph: GraphClient, pageId: string, ids: readonly string[], now: () => number, known?: GoneContext): Promise<PresenceReport> {
  const asked = [...new Set(ids)].filter((id) => OBJECT_ID.test(id));
  const gone: string[] = [];
  const shown: string[] = [];
  const hidden = new Map<string, NetworkHiddenReason>();
  const what = 'check whether stored Facebook comments are still shown';
  const missing: string[] = [];
  for (let i = 0; i < asked.length; i += BATCH_MAX - 1) {
    const part = asked.slice(i, i + BATCH_MAX - 1);
    const answers = await batch(graph, pageId, part.map((id) => `${id}?fields=id,is_hidden`), what, now);
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
  const postState = new Map<string, Answer['kind']>();
  for (let i = 0; i < posts.length; i += BATCH_MAX - 1) {
    const part = posts.slice(i, i + BATCH_MAX - 1);
    const answers = await batch(graph, pageId, part.map((id) => `${id}?fields=id`), what, now);
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
