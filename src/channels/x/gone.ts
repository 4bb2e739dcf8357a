/**
 * What became of stored X posts (the connector's `presenceOf` / `goneFrom`). X tells the webhook
 * of an author's deletion (`tweet_delete_events`), but not of a post it keeps and no longer shows,
 * and a webhook that was down missed the deletion too: the sync worker asks, bounded, about recent
 * stored posts (src/channels/sync.ts `checkGone`).
 *
 * One read, `GET /2/tweets?ids=…` (at most 100 ids) with `tweet.fields=withheld`, answers 200 with
 * what can be shown in `data` and the rest in `errors` (X API v2, Posts lookup; "Error
 * handling": partial errors come with the 200):
 *  - a post in `data` with a `withheld` object ({copyright, country_codes, scope}) is withheld in
 *    those countries (a legal demand, or copyright): hidden as `withheld`; one without is shown;
 *  - an error of type `…/2/problems/not-authorized-for-resource` ("Sorry, you are not authorized
 *    to see the Tweet with ids: […]"): the author's account is protected (`account_protected`),
 *    or suspended where the detail says so (`account_suspended`); never gone;
 *  - an error of type `…/2/problems/resource-not-found` ("Could not find tweet with ids: […]") is
 *    what a deleted post reads, and also a post whose author X suspended or who deactivated their
 *    account. Those are told apart by reading the stored authors, `GET /2/users?ids=…`: an author
 *    who reads is there, so the post alone is gone (deleted by its author); "User has been
 *    suspended: […]" (title Forbidden) keeps it, hidden as `account_suspended`; "Could not find
 *    user" keeps it, hidden as `account_deactivated` (X keeps a deactivated account's posts for
 *    30 days, and the author may come back). A post whose author is not stored is not judged.
 * The problem type's host (api.twitter.com, api.x.com) is not compared, only its path. Any other
 * error for one post leaves it undecided; an HTTP error (401, 429, 5xx) throws (the worker asks
 * again later), and so does a 200 whose body is not the documented shape: nothing is changed on a
 * malformed answer. Direct messages (numeric event ids too, but stored with a `dm_conversation_id`
 * as their thread root, which has a dash) are never asked.
 */
import { ChannelError, type GoneContext, type NetworkHiddenReason, type PresenceReport } from '../types.js';

/** Posts lookup and users lookup take at most 100 ids each. */
const LOOKUP_MAX = 100;

/** A GET on the v2 API (the connector's client, errors mapped to ChannelError). */
export type XGet = (path: string, query: Record<string, string>, what: string) => Promise<unknown>;

interface XProblem {
  value?: unknown;
  resource_id?: unknown;
  resource_type?: unknown;
  title?: unknown;
  detail?: unknown;
  type?: unknown;
}

/** `{data?: [...], errors?: [...]}` as documented, else a ChannelError (nothing is judged from it). */
function lookupBody(body: unknown, what: string): { data: Record<string, unknown>[]; errors: XProblem[] } {
  const bad = (why: string) => new ChannelError('TEMPORARY', `${what}: X answered ${why}; nothing was changed`);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('with no JSON object');
  const b = body as { data?: unknown; errors?: unknown };
  if (b.data !== undefined && !Array.isArray(b.data)) throw bad('with `data` that is not a list');
  if (b.errors !== undefined && !Array.isArray(b.errors)) throw bad('with `errors` that is not a list');
  if (b.data === undefined && b.errors === undefined) throw bad('with neither `data` nor `errors`');
  const data = (b.data ?? []) as unknown[];
  const errors = (b.errors ?? []) as unknown[];
  if (data.some((d) => !d || typeof d !== 'object' || typeof (d as any).id !== 'string')) throw bad('with an item in `data` without an id');
  if (errors.some((e) => !e || typeof e !== 'object')) throw bad('with an error that is not an object');
  return { data: data as Record<string, unknown>[], errors: errors as XProblem[] };
}

const problemIs = (e: XProblem, kind: string) => typeof e.type === 'string' && e.type.endsWith(`/2/problems/${kind}`);
const idOf = (e: XProblem) => (typeof e.resource_id === 'string' ? e.resource_id : typeof e.value === 'string' ? e.value : '');
const says = (e: XProblem, re: RegExp) => typeof e.detail === 'string' && re.test(e.detail);

/** Whether the stored item is a post (not a DM, whose thread root is a `dm_conversation_id`). */
function isPost(id: string, known?: GoneContext): boolean {
  if (!/^\d{1,19}$/.test(id)) return false;
  const t = known?.threads?.get(id);
  if (!t) return known === undefined;
  return t.root === null || /^\d{1,19}$/.test(t.root);
}

/** What X says of the posts `ids` (see the header). */
export async function postPresence(get: XGet, ids: readonly string[], known?: GoneContext): Promise<PresenceReport> {
  const asked = [...new Set(ids)].filter((id) => isPost(id, known));
  const gone: string[] = [];
  const shown: string[] = [];
  const hidden = new Map<string, NetworkHiddenReason>();
  for (let i = 0; i < asked.length; i += LOOKUP_MAX) {
    const part = asked.slice(i, i + LOOKUP_MAX);
    const what = 'check whether stored X posts are still shown';
    const { data, errors } = lookupBody(await get('tweets', { ids: part.join(','), 'tweet.fields': 'id,author_id,withheld' }, what), what);
    const wanted = new Set(part);
    for (const t of data) {
      const id = t.id as string;
      if (!wanted.has(id)) continue;
      const w = t.withheld as { country_codes?: unknown; copyright?: unknown } | undefined;
      if (w && typeof w === 'object' && ((Array.isArray(w.country_codes) && w.country_codes.length > 0) || w.copyright === true)) hidden.set(id, 'withheld');
      else shown.push(id);
    }
    const notFound: string[] = [];
    for (const e of errors) {
      const id = idOf(e);
      if (!wanted.has(id) || (e.resource_type !== undefined && e.resource_type !== 'tweet')) continue;
      if (problemIs(e, 'not-authorized-for-resource')) hidden.set(id, says(e, /suspend/i) ? 'account_suspended' : 'account_protected');
      else if (problemIs(e, 'resource-not-found')) {
        if (says(e, /suspend/i)) hidden.set(id, 'account_suspended');
        else notFound.push(id);
      }
    }
    const byAuthor = await authorsOf(get, notFound, known);
    for (const id of notFound) {
      const a = byAuthor.get(id);
      if (a === 'there') gone.push(id);
      else if (a === 'suspended') hidden.set(id, 'account_suspended');
      else if (a === 'missing') hidden.set(id, 'account_deactivated');
    }
  }
  return { gone, hidden, shown };
}

/** For each post, what its stored author reads as (absent: not stored, or not judged). */
async function authorsOf(get: XGet, posts: string[], known?: GoneContext): Promise<Map<string, 'there' | 'suspended' | 'missing'>> {
  const authorOf = new Map<string, string>();
  for (const id of posts) {
    const a = known?.authors.get(id);
    if (a && /^\d{1,19}$/.test(a)) authorOf.set(id, a);
  }
  const authors = [...new Set(authorOf.values())];
  const state = new Map<string, 'there' | 'suspended' | 'missing'>();
  for (let i = 0; i < authors.length; i += LOOKUP_MAX) {
    const part = authors.slice(i, i + LOOKUP_MAX);
    const what = 'check the authors of X posts that could not be found';
    const { data, errors } = lookupBody(await get('users', { ids: part.join(',') }, what), what);
    const wanted = new Set(part);
    for (const u of data) if (wanted.has(u.id as string)) state.set(u.id as string, 'there');
    for (const e of errors) {
      const id = idOf(e);
      if (!wanted.has(id) || state.has(id) || !problemIs(e, 'resource-not-found')) continue;
      if (says(e, /suspend/i)) state.set(id, 'suspended');
      else if (says(e, /could not find/i)) state.set(id, 'missing');
    }
  }
  const out = new Map<string, 'there' | 'suspended' | 'missing'>();
  for (const [post, author] of authorOf) {
    const s = state.get(author);
    if (s) out.set(post, s);
  }
  return out;
}
