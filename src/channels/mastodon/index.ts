/**
 * Mastodon connector (REST + streaming, via `masto`).
 *
 * Connect: `settings.instanceUrl` (https://mastodon.example) and
 * `credentials.accessToken` — a user token of an application registered on that
 * instance (Preferences → Development → New application) with the scopes
 * read:accounts read:notifications read:statuses read:search write:statuses
 * write:blocks write:mutes write:favourites. Optional settings: `streamingUrl`
 * (else discovered from /api/v2/instance), `hashtags` and `keywords`
 * (listening), `excludeKeywords` (hits dropped here unless they tag the account), `timeoutMs`.
 *
 * Ingest: `mention` notifications — mentions, replies (a reply mentions whom it
 * answers) and private mentions (visibility `direct` = DMs) — polled with
 * GET /api/v1/notifications?types[]=mention&min_id=<cursor> (paging forward
 * through the Link header), and live from the streaming API (the `user` stream
 * over WebSocket); the sync worker keeps polling as the fallback. Listening:
 * hashtag timelines and status search (/api/v2/search), kind `listening`. Each hit says which
 * terms found it (`heardBy`), so what a term added later reads back from before it was added is
 * stored as backfill (../listeningBackfill.ts); a hit that mentions the account or answers it is a
 * mention, not attributed.
 *
 * Deletions: when a status is deleted, Mastodon publishes `delete` (payload: the
 * status id) to the `user` stream of every account it mentioned
 * (RemoveStatusService#remove_from_mentions; a remote author's Delete activity
 * runs the same service on the brand's instance) — not to `user:notification`,
 * which is why the connector listens to `user`. The ids are handed to the sync
 * worker, which redacts the stored ones. Its mention notification goes with the
 * status, so polling alone never sees a deletion: for one made while no stream was
 * connected (a restart, a dropped connection), the sync worker's check asks
 * `goneFrom` about recent stored statuses, hourly and 40 at a time
 * (`goneCheck`; each is one request against the account's 300 per 5 minutes).
 * `goneFrom` reads each with GET /api/v1/statuses/:id (4 at a time), and counts
 * a status gone only on 404 `{"error":"Record not found"}` — which Mastodon
 * answers both for a status that does not exist and for one StatusPolicy#show?
 * refuses this reader — then rules out what a refusal can mean (see goneFrom): a
 * block, and an author suspended by a moderator or with their whole server
 * (defederation), which are not the author deleting. The same check confirms each
 * stream `delete` before the worker redacts: Mastodon publishes that event for a
 * moderator's or a suspension's purge as for the author's own deletion.
 * Any other answer (401, 403, 429, 5xx, a proxy's page, no answer) throws, and
 * the worker asks again next time; nothing is redacted on a guess.
 * GET /api/v1/statuses?id[]= (4.3+) would read many at once, but drops unseen
 * ids without saying why and is missing on older servers: not used.
 * What "gone" cannot say: a moderator's removal of that one status reads exactly
 * like its author's deletion (no API answer tells them apart for a customer's
 * status, admin scopes included: see goneFrom), so a status gone is "deleted by
 * its author or removed by moderators" (`MASTODON_GONE_MEANS`, ./moderation.ts),
 * never certainly the author's. What can be told is told: an author suspended
 * (alone or with their server: hidden, kept), and the brand's own status a
 * moderator removed, named by the brand's `moderation_warning` notifications
 * (hidden `post_taken_down`, kept).
 *
 * Send: POST /api/v1/statuses with `in_reply_to_id`, the mention's visibility
 * (public/unlisted/private; never wider), the customer @mentioned (Mastodon only
 * notifies mentioned accounts), and `Idempotency-Key` = the outbox key on every
 * POST. DMs are `visibility: direct` statuses mentioning the customer.
 * `findSent` looks among the replies to the answered status (then the account's
 * own statuses) for ours by text.
 */
import { createRestAPIClient, createStreamingAPIClient, type mastodon } from 'masto';
import type { AuthorIdentity, NormalizedMessage } from '../../core/types.js';
import { createHash } from 'node:crypto';
import type { Capabilities, Channel, ChannelAccountConfig, ChannelDeps, ChannelFactory, GoneContext, NetworkHiddenReason, PresenceReport, SendRequest, SendResult, SyncResult } from '../types.js';
import type { NetworkReportReason, NetworkReportRequest, NetworkReportResult, NetworkReportRule } from '../types.js';
import { listeningTermKey, type ListeningSyncResult } from '../listeningBackfill.js';
import { keepsListeningHit, prepareExclusions, type ExclusionTerm } from '../../core/listeningExclusion.js';
import { ChannelError } from '../types.js';
import { isAccountGone, isAuthenticationRequired, isRecordNotFound, toChannelError, type Operation } from './errors.js';
import {
  authorOf,
  compareIds,
  comparableText,
  normalizeNotification,
  normalizeStatus,
  statusFromRaw,
  statusText,
  withMentions,
  type MastoAccount,
  type MastoNotification,
  type MastoStatus,
} from './normalize.js';
import { domainAndParents, domainsSevered, statusesRemovedByModerators, withinDomain, type ModerationNotification } from './moderation.js';

const CAPABILITIES: Capabilities = {
  publicReply: true,
  privateMessage: true,
  hide: 'Mastodon has no way for an account to hide replies to its posts; mute or block the author, or report the status',
  // DELETE /api/v1/statuses/:id deletes one of the account's own statuses; moderation is of what others post
  delete: 'Mastodon deletes only the account\'s own posts, never someone else\'s: mute or block the author, or report the status to its server',
  block: true,
  mute: true,
  like: true,
  fetchProfile: true,
  fetchThread: true,
  search: true,
  webhook: 'Mastodon webhooks are server-wide admin events (needs an admin of the instance), not per account; Parley uses the streaming API and polling',
  poll: true,
  stream: true,
};

const BACKFILL = 40;
const PAGE = 80;
const LISTEN_PAGE = 40;
/** Search pages read per keyword and poll (search has no cursor: pages are bounded by max_id). */
const SEARCH_PAGES = 5;
/** Unfinished search backfills kept per keyword; past this the two oldest merge (re-read, deduplicated). */
const MAX_SEARCH_GAPS = 20;
/**
 * The position of a hashtag or search that has run and found nothing yet: what comes later is
 * all new, and is paged through rather than taken as another one-page backfill.
 */
const NOTHING_SEEN = '0';

interface MastodonCursor {
  v: 1;
  /** Newest notification id seen (min_id for the next page). */
  n: string | null;
  /** Newest status id seen per hashtag. */
  t: Record<string, string>;
  /** Newest status id seen per search keyword. */
  k: Record<string, string>;
  /**
   * Unfinished search backfills per keyword, newest first: [lo, hi] = the hits with
   * lo < id < hi are not read yet (a burst bigger than one poll). Absent in older cursors.
   */
  g?: Record<string, SearchGap[]>;
}

type SearchGap = [lo: string, hi: string];

export function parseCursor(s: string | null): MastodonCursor {
  if (!s) return { v: 1, n: null, t: {}, k: {} };
  let c: Partial<MastodonCursor>;
  try {
    c = JSON.parse(s) as Partial<MastodonCursor>;
  } catch {
    throw new ChannelError('CURSOR_INVALID', 'the stored Mastodon cursor is not JSON');
  }
  const idMap = (m: unknown) => !!m && typeof m === 'object' && !Array.isArray(m) && Object.values(m).every((v) => typeof v === 'string');
  const gapMap = (m: unknown) =>
    m === undefined ||
    (!!m && typeof m === 'object' && !Array.isArray(m) && Object.values(m).every((gs) => Array.isArray(gs) && gs.every((g) => Array.isArray(g) && g.length === 2 && g.every((x) => typeof x === 'string'))));
  if (!c || c.v !== 1 || (c.n !== null && typeof c.n !== 'string') || !idMap(c.t) || !idMap(c.k) || !gapMap(c.g)) {
    throw new ChannelError('CURSOR_INVALID', 'the stored Mastodon cursor has an unknown shape');
  }
  return { v: 1, n: c.n ?? null, t: c.t!, k: c.k!, ...(c.g ? { g: c.g } : {}) };
}

/** `min_id` of the Link header's rel="prev" (the newest item of the page), if present. */
export function prevMinId(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?prev"?/.exec(part);
    if (m) {
      try {
        return new URL(m[1]!).searchParams.get('min_id');
      } catch {
        return null;
      }
    }
  }
  return null;
}

function newest(ids: string[], current: string | null): string | null {
  let best = current;
  for (const id of ids) if (best === null || compareIds(id, best) > 0) best = id;
  return best;
}

/** Mastodon's search prefixes (app/lib/search_query_parser.rb): `from:x` in a keyword would filter, not match. */
const SEARCH_SYNTAX = /"|(^|\s)[+-]|(^|\s)(domain|is|has|lang|language|before|after|during|from|mentions|to|scope|sort|in):/i;

/**
 * A listening keyword as Mastodon's search reads it literally: as it is when it holds no
 * search syntax (words, all of which must appear), else as a quoted phrase without its
 * quotes — an unbalanced quote would make the server's parser fail and answer nothing, and
 * `from:`/`-word` would filter instead of match.
 */
export function mastodonSearchQuery(keyword: string): string {
  const k = keyword.trim();
  if (!SEARCH_SYNTAX.test(k)) return k;
  return `"${k.replace(/"/g, ' ').replace(/\s+/g, ' ').trim()}"`;
}

/** A status that mentions the account or answers it: Mastodon notifies the account of it (a mention). */
function tagsAccount(s: MastoStatus | undefined, ownId: string): boolean {
  return !!s && (s.inReplyToAccountId === ownId || !!s.mentions?.some((m) => m.id === ownId));
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : [];
}

export class MastodonChannel implements Channel {
  readonly network = 'mastodon' as const;
  readonly capabilities = CAPABILITIES;
  private readonly rest: mastodon.rest.Client;
  private readonly now: () => number;
  private readonly instanceUrl: string;
  private readonly token: string;
  private readonly hashtags: string[];
  /** Each hashtag's term key (the setting as written: ../listeningBackfill.ts). */
  private readonly hashtagKeys = new Map<string, string>();
  private readonly keywords: string[];
  /** Listening exclusions (`excludeKeywords`): Mastodon's search has none, so hits are matched here. */
  private readonly exclusions: ExclusionTerm[];
  /** The same instance without the token: what anyone may read (see goneFrom). */
  private readonly anonymous: mastodon.rest.Client;
  private me: Promise<MastoAccount> | null = null;
  /** Consecutive passing failures of listening polls (see `secondary`). */
  private readonly sourceFailures = new Map<string, number>();

  constructor(private readonly account: ChannelAccountConfig, deps: ChannelDeps) {
    const s = account.settings;
    this.instanceUrl = typeof s.instanceUrl === 'string' ? s.instanceUrl.replace(/\/+$/, '') : '';
    this.token = typeof account.credentials.accessToken === 'string' ? account.credentials.accessToken : '';
    const timeout = typeof s.timeoutMs === 'number' && s.timeoutMs > 0 ? s.timeoutMs : 30_000;
    // masto calls the global fetch (it takes no custom one); tests point instanceUrl at a contract server
    this.rest = createRestAPIClient({ url: this.instanceUrl || 'http://invalid.invalid', accessToken: this.token, timeout });
    this.anonymous = createRestAPIClient({ url: this.instanceUrl || 'http://invalid.invalid', timeout });
    this.now = deps.now;
    this.hashtags = stringList(s.hashtags).map((t) => {
      const tag = t.replace(/^#/, '');
      if (!this.hashtagKeys.has(tag)) this.hashtagKeys.set(tag, listeningTermKey('hashtags', t));
      return tag;
    });
    this.keywords = stringList(s.keywords);
    this.exclusions = prepareExclusions(stringList(s.excludeKeywords));
  }

  private async call<T>(op: Operation, fn: () => PromiseLike<T>): Promise<T> {
    if (!this.instanceUrl) throw new ChannelError('INVALID_REQUEST', 'settings.instanceUrl is missing for this Mastodon account');
    if (!this.token) throw new ChannelError('AUTH_REVOKED', 'no Mastodon access token is stored for this account');
    try {
      return await fn();
    } catch (err) {
      throw toChannelError(err, op, this.now());
    }
  }

  /** The connected account (verify_credentials), once per channel. */
  private whoami(): Promise<MastoAccount> {
    if (!this.me) {
      const p = this.call('read', () => this.rest.v1.accounts.verifyCredentials() as Promise<MastoAccount>);
      this.me = p;
      p.catch(() => {
        if (this.me === p) this.me = null;
      });
    }
    return this.me;
  }

  // ---------------------------------------------------------------- ingest

  async sync(cursor: string | null): Promise<ListeningSyncResult> {
    const cur = parseCursor(cursor);
    const me = await this.whoami();
    const ctx = { ownId: me.id };
    const messages: NormalizedMessage[] = [];
    const heardBy = new Map<NormalizedMessage, string[]>();
    /** A hit is the term's unless it tags the account (a mention: its notification is heard live). */
    const heard = (hits: NormalizedMessage[], key: string) => {
      for (const m of hits) if (!tagsAccount(m.raw as MastoStatus, ctx.ownId)) heardBy.set(m, [key]);
    };
    let more = false;

    const page = await this.call('read', () =>
      this.rest.v1.notifications.list.$raw({ types: ['mention'], limit: cur.n ? PAGE : BACKFILL, ...(cur.n ? { minId: cur.n } : {}) }),
    );
    const notifications = page.data as unknown as MastoNotification[];
    for (const n of notifications) {
      const m = normalizeNotification(n, ctx);
      if (m && !m.fromBrand) messages.push(m);
    }
    const n = newest([prevMinId(page.headers.get('link')), ...notifications.map((x) => x.id)].filter((x): x is string => !!x), cur.n);
    if (cur.n && notifications.length >= PAGE) more = true;

    const t: Record<string, string> = {};
    for (const tag of this.hashtags) {
      const r = await this.secondary(`tag:${tag}`, () => this.listenTag(tag, cur.t[tag] ?? null, ctx));
      if (r) {
        messages.push(...r.messages);
        heard(r.messages, this.hashtagKeys.get(tag) ?? listeningTermKey('hashtags', tag));
      }
      const at = r ? r.cursor : (cur.t[tag] ?? null);
      if (at) t[tag] = at;
      more ||= !!r?.more;
    }
    const k: Record<string, string> = {};
    const g: Record<string, SearchGap[]> = {};
    for (const q of this.keywords) {
      const r = await this.secondary(`search:${q}`, () => this.listenSearch(q, cur.k[q] ?? null, cur.g?.[q] ?? [], ctx));
      if (r) {
        messages.push(...r.messages);
        heard(r.messages, listeningTermKey('keywords', q));
      }
      const at = r ? r.cursor : (cur.k[q] ?? null);
      if (at) k[q] = at;
      const gaps = r ? r.gaps : (cur.g?.[q] ?? []);
      if (gaps.length) g[q] = gaps;
      // a burst is not finished yet: poll again at once rather than after a whole interval
      more ||= !!r?.more;
    }
    const next: MastodonCursor = { v: 1, n, t, k, ...(Object.keys(g).length ? { g } : {}) };
    return { messages, cursor: JSON.stringify(next), more, heardBy };
  }

  /**
   * Listening must not hold up mentions: a passing failure (5xx, timeout, rate
   * limit) skips that hashtag/search for this poll and keeps its position; the
   * third in a row fails the sync so it is seen. Other errors fail at once.
   */
  private async secondary<T>(source: string, poll: () => Promise<T>): Promise<T | null> {
    try {
      const r = await poll();
      this.sourceFailures.delete(source);
      return r;
    } catch (err) {
      const e = toChannelError(err, 'read', this.now());
      const n = (this.sourceFailures.get(source) ?? 0) + 1;
      if (!['TEMPORARY', 'TIMEOUT', 'RATE_LIMITED'].includes(e.code) || n >= 3) {
        this.sourceFailures.delete(source);
        throw e;
      }
      this.sourceFailures.set(source, n);
      return null;
    }
  }

  private listening(statuses: MastoStatus[], ctx: { ownId: string }): NormalizedMessage[] {
    // boosts and the account's own posts are not listening hits; only public ones are listened to;
    // an excluded word drops a hit unless it tags the account (a mention: a direct care item)
    return statuses
      .filter((s) => !s.reblog && s.account.id !== ctx.ownId && (s.visibility === 'public' || s.visibility === 'unlisted'))
      .map((s) => normalizeStatus(s, 'listening', ctx))
      .filter((m) => keepsListeningHit(m.text, tagsAccount(m.raw as MastoStatus, ctx.ownId), this.exclusions));
  }

  private async listenTag(tag: string, since: string | null, ctx: { ownId: string }) {
    const statuses = (await this.call('read', () =>
      this.rest.v1.timelines.tag.$select(tag).list({ limit: LISTEN_PAGE, ...(since ? { minId: since } : {}) }),
    )) as unknown as MastoStatus[];
    return { messages: this.listening(statuses, ctx), cursor: newest(statuses.map((s) => s.id), since) ?? NOTHING_SEEN, more: !!since && statuses.length >= LISTEN_PAGE };
  }

  private async searchPage(q: string, minId: string | null, maxId: string | null): Promise<MastoStatus[]> {
    const res = (await this.call('read', () =>
      this.rest.v2.search.list({ q: mastodonSearchQuery(q), type: 'statuses', limit: LISTEN_PAGE, resolve: false, ...(minId ? { minId } : {}), ...(maxId ? { maxId } : {}) }),
    )) as unknown as { statuses: MastoStatus[] };
    return res.statuses;
  }

  /**
   * Search hits newer than `since`, and what is left of earlier bursts (`gaps`). Mastodon's
   * search returns the newest first (min_id and max_id only bound it), so a poll pages back
   * with max_id until it reaches `since`. A burst bigger than one poll (SEARCH_PAGES pages)
   * leaves a gap — [since, oldest read] — that later polls page through (oldest gap first,
   * at least one page each poll) until it meets the old position, while each poll still
   * reads the newest hits first; `more` says a gap is left. The first run takes one page.
   */
  private async listenSearch(q: string, since: string | null, gaps: SearchGap[], ctx: { ownId: string }) {
    const statuses: MastoStatus[] = [];
    /** One page of hits between lo and hi (exclusive; not every server honours the bounds: filtered here too). */
    const read = async (lo: string | null, hi: string | null) => {
      const page = await this.searchPage(q, lo, hi);
      const fresh = page.filter((s) => (!lo || compareIds(s.id, lo) > 0) && (!hi || compareIds(s.id, hi) < 0) && !statuses.some((x) => x.id === s.id));
      statuses.push(...fresh);
      let oldest: string | null = null;
      for (const s of fresh) if (oldest === null || compareIds(s.id, oldest) < 0) oldest = s.id;
      // the end: a short page, or one reaching past the bounds
      return { oldest, end: page.length < LISTEN_PAGE || fresh.length < page.length || oldest === null };
    };
    if (!since) {
      await read(null, null);
      return { messages: this.listening(statuses, ctx), cursor: newest(statuses.map((s) => s.id), null) ?? NOTHING_SEEN, gaps: [] as SearchGap[], more: false };
    }
    const open: SearchGap[] = gaps.map(([lo, hi]) => [lo, hi]);
    let budget = SEARCH_PAGES;
    // the newest first, so a backfill never holds up what is being written now
    let hi: string | null = null;
    for (let top = open.length ? SEARCH_PAGES - 1 : SEARCH_PAGES; top > 0; top--) {
      const r = await read(since, hi);
      budget--;
      if (r.oldest) hi = r.oldest;
      if (r.end) {
        hi = null;
        break;
      }
    }
    if (hi) open.unshift([since, hi]);
    while (open.length > MAX_SEARCH_GAPS) {
      // the two oldest become one: what lies between them is read again (and dropped as a duplicate)
      const older = open.pop()!;
      const newer = open.pop()!;
      open.push([older[0], newer[1]]);
    }
    // then the oldest unfinished backfill, from where the last poll stopped
    while (budget > 0 && open.length) {
      const gap = open[open.length - 1]!;
      const r = await read(gap[0], gap[1]);
      budget--;
      if (r.end) open.pop();
      else gap[1] = r.oldest!;
    }
    return { messages: this.listening(statuses, ctx), cursor: newest(statuses.map((s) => s.id), since) ?? NOTHING_SEEN, gaps: open, more: open.length > 0 };
  }

  async search(query: string, cursor: string | null): Promise<SyncResult> {
    const me = await this.whoami();
    const ctx = { ownId: me.id };
    // an ad-hoc search keeps only its position (a burst past one call's pages is not resumed)
    const r = query.startsWith('#') ? await this.listenTag(query.slice(1), cursor, ctx) : await this.listenSearch(query, cursor, [], ctx);
    return { messages: r.messages, cursor: r.cursor, more: r.more };
  }

  /** Streaming URL: settings, else the instance's configuration.urls.streaming, else the instance itself. */
  private async streamingUrl(): Promise<string> {
    const s = this.account.settings.streamingUrl;
    if (typeof s === 'string' && s) return s;
    try {
      const instance = (await this.rest.v2.instance.fetch()) as unknown as { configuration?: { urls?: { streaming?: string } } };
      const url = instance.configuration?.urls?.streaming;
      if (url) return url;
    } catch {
      /* older servers: same host */
    }
    return this.instanceUrl.replace(/^http/, 'ws');
  }

  /**
   * The user's stream over WebSocket: mention notifications, and the ids of deleted
   * statuses (`delete`; home-feed `update`s are left to polling). Resolves when the server
   * closes the connection (the sync worker reconnects, polling meanwhile) or
   * `signal` aborts; rejects when it cannot connect.
   */
  async stream(emit: (messages: NormalizedMessage[], deleted?: readonly string[]) => Promise<void>, signal: AbortSignal): Promise<void> {
    const me = await this.whoami();
    const ctx = { ownId: me.id };
    if (signal.aborted) return;
    const client = createStreamingAPIClient({ streamingApiUrl: await this.streamingUrl(), accessToken: this.token, retry: false });
    const stop = () => client.close();
    signal.addEventListener('abort', stop, { once: true });
    try {
      // masto reconnects on its own; we hand the reconnect (with back-off and polling) to the sync worker instead
      const ws = (await (client as unknown as { prepare(): Promise<unknown> }).prepare().catch((err: unknown) => {
        throw new ChannelError('TEMPORARY', `could not open the Mastodon streaming connection: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      })) as { addEventListener?: (type: string, fn: () => void) => void } | undefined;
      ws?.addEventListener?.('close', stop);
      for await (const event of client.user.subscribe()) {
        if (event.event === 'delete') {
          // the id as a string (masto does not parse this payload as JSON)
          if (typeof event.payload === 'string' && event.payload) await emit([], [event.payload]);
          continue;
        }
        if (event.event !== 'notification') continue;
        const m = normalizeNotification(event.payload as unknown as MastoNotification, ctx);
        if (m && !m.fromBrand) await emit([m]);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ChannelError) throw err;
      throw new ChannelError('TEMPORARY', `the Mastodon stream failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      signal.removeEventListener('abort', stop);
      client.close();
    }
  }

  // ---------------------------------------------------------------- deletions missed by the stream

  /** The sync worker's check (src/channels/sync.ts): hourly, 40 statuses, one request each (plus a few for what is not found). */
  readonly goneCheck = { everyMs: 3_600_000, max: 40 };

  /**
   * Which stored statuses their authors certainly deleted. GET /api/v1/statuses/:id with the
   * account's token answers 404 "Record not found" both when the status does not exist and when
   * StatusPolicy#show? refuses this reader:
   *  - a direct or followers-only status that mentions the account is shown to it whatever
   *    the author blocks, so a mention's 404 is never a block;
   *  - a public or unlisted status is refused to a reader its author blocks (or whose domain it
   *    blocks). Such a status still exists: it is read again without the token (anyone may read
   *    a public status), and an answer there means it is NOT gone. An instance that serves no
   *    anonymous reads (401 "This API requires an authenticated user": authorized-fetch or
   *    limited federation mode) leaves a block undecidable, so that status is not gone either;
   *  - a suspended author's statuses are refused to everyone, exactly like deleted ones. So the
   *    author is read too (GET /api/v1/accounts/:id, once per author; `known.authors`):
   *     · 200 with `suspended: true` (the Account entity's attribute "returned only when an
   *       account is suspended") and a remote `acct` (user@domain): a moderator of the brand's
   *       instance suspended the account, or the instance suspended (defederated) its whole
   *       server (BlockDomainService suspends every account of the domain, then purges their
   *       statuses). A suspension may be lifted within 30 days, and a defederation is the
   *       instance's decision, not the author's: NOT gone (kept, not redacted; asked again next
   *       round). A suspended LOCAL account (acct without a domain) is gone: on the brand's own
   *       instance an owner's deletion of their account reads as a suspension too, and the
   *       desk honours the erasure rather than guess it was a moderator;
   *     · 410 Gone (servers 2.4–3.2 answer a suspended account so: docs, accounts methods): the
   *       author is suspended, but whether remote (kept) or local (perhaps their own deletion) is
   *       not said: the status is left undecided, neither gone nor hidden (asked again);
   *     · 404 "Record not found": the account itself is gone from the instance (a remote
   *       author's own deletion of their account destroys its record): gone;
   *     · 200 otherwise: the author is there and the status alone is missing: gone. A single
   *       status removed by a moderator reads the same (Admin::StatusBatchAction discards it and
   *       RemoveStatusService publishes the same `delete`; only its author is told, by a
   *       moderation warning), so the client API cannot tell that removal from the author's;
   *       it is counted as deleted (the network shows it to no one). Nor can any other API the
   *       brand's token could reach, admin scopes included (see "A moderator's removal" below).
   *
   * A moderator's removal of one status, looked for everywhere the API reaches (so that the desk
   * could label it rather than redact it as the author's), and why none of it tells:
   *  - the status: GET /api/v1/statuses/:id answers 404 "Record not found" (no 410, no
   *    tombstone entity: the client API has none) to everyone, the brand's token and anonymous
   *    readers alike, exactly as for the author's deletion (a discarded status is out of reach);
   *  - the record of the removal: the moderator's delete discards the status, logs an
   *    Admin::ActionLog entry, and gives its author a strike (AccountWarning, action
   *    `delete_statuses`, with the status ids). No REST endpoint lists the action log or strikes
   *    to anyone but the author, who alone gets the `moderation_warning` notification (4.3+), and
   *    only when the moderator chose to notify (AccountWarning docs; Admin::StatusBatchAction
   *    `warnable?`). So a CUSTOMER's status removed by a moderator is unknowable here; the BRAND's
   *    own status (a stream's `delete` names those too: Mastodon publishes it to the author) that
   *    its own notifications say a moderator deleted is not gone but hidden, `post_taken_down`
   *    (./moderation.ts): the brand did not delete it, and the desk must not say so;
   *  - the admin API (a token with admin:read:reports on the brand's own instance, the only
   *    instance whose moderators the brand's token can ask): GET /api/v1/admin/reports lists the
   *    reported statuses with discarded ones included (Report#statuses is
   *    `Status.with_discarded`), rendered by REST::StatusSerializer, which has no deletion field.
   *    A reported status is kept soft-deleted however it went: RemoveStatusService destroys a
   *    status only when not `preserve`d and not reported, so the author's own deletion of a
   *    reported status leaves it listed there just like a moderator's removal (and a remote
   *    author's status removed by a moderator is destroyed at once, `immediate`, and not listed).
   *    `action_taken` says a report was resolved, not how: resolving without action, suspending
   *    the account, or removing the status read alike. Admin webhooks (`report.updated`) carry
   *    the same Admin::Report entity. Parley files no reports either;
   *  - a remote author's moderator (on their own server) federates the same Delete activity as
   *    the author's deletion; the brand's instance runs the same RemoveStatusService for both.
   * So no answer tells a moderator's removal of one of a customer's statuses apart, and such a
   * status stays counted as gone (redacted; the desk labels a Mastodon status gone this way as
   * removed by its author or by moderators: `MASTODON_GONE_MEANS`). The brand's own block or
   * mute takes nothing away on Mastodon (see presenceOf), so Parley's moderation records explain
   * no disappearance here either (src/pipeline/deletions.ts `AUTHOR_MODERATION_REMOVES`).
   *    Without a stored author the status is judged by the first two reads alone.
   * Ids that are not Mastodon ids (digits) are never gone. Any other answer throws (through
   * the error policy's codes) and nothing is reported: the worker asks again next time.
   */
  async goneFrom(networkMessageIds: readonly string[], known?: GoneContext): Promise<string[]> {
    return (await this.presenceOf(networkMessageIds, known)).gone;
  }

  /**
   * `goneFrom`, telling also what it keeps: a status whose remote author the instance suspended is
   * hidden (`author_suspended`), or `server_defederated` when the instance's own list of the
   * servers it moderates (GET /api/v1/instance/domain_blocks, DomainBlock: `domain`, possibly
   * obfuscated, and `digest`, the SHA-256 of the domain; `severity` `suspend`) suspends the
   * author's whole server. That list is optional (an instance may show it to no one): when it
   * cannot be read, the brand account's own `severed_relationships` notifications (4.3+, event
   * `domain_block` with the domain as `target_name`, sent when the block cut its follows) can
   * still name the server defederated; else the author's suspension is what is known, and said.
   *
   * A status read with the token is shown, unless its author is limited (silenced) by the
   * instance: the Account entity in the status carries `limited: true` ("returned only when an
   * account is silenced"), set by a moderator (`author_limited`) or by a `silence` block of the
   * author's domain (BlockDomainService limits every account of it; severity `silence`: "hidden
   * from timelines, threads, and notifications, unless you follow the user") — `server_limited`
   * when the instance's domain list says so. The status still exists and reads through the API
   * (StatusPolicy#show? does not look at a limit), but the instance's public timelines and
   * non-followers do not see it: hidden, with a private message still reaching the author.
   *
   * Not hidden: the brand's own block or mute of the author (GET /api/v1/blocks, /api/v1/mutes).
   * That is the brand's choice, not the network's: the post stays public for everyone else, and a
   * viewer's block does not stop the viewer reading the status (StatusPolicy checks only whether
   * the author blocks the reader), so such a status reads as shown. One hidden by the author's
   * block of the brand, or left undecided, is in none of the three.
   */
  async presenceOf(networkMessageIds: readonly string[], known?: GoneContext): Promise<PresenceReport> {
    const asked = [...new Set(networkMessageIds)].filter((id) => /^\d{1,20}$/.test(id));
    const withToken = await inPool(asked, GONE_CONCURRENCY, (id) => this.call('read', () => readStatus(this.rest, id)));
    const shown = asked.filter((_, i) => withToken[i] === 'shown');
    /** Statuses read with the token whose author the instance limits → the author's domain (null: a local account). */
    const limited = new Map<string, string | null>();
    asked.forEach((id, i) => {
      const r = withToken[i]!;
      if (typeof r === 'object') limited.set(id, r.limitedDomain);
    });
    const unseen = asked.filter((_, i) => withToken[i] === 'missing');
    const byAnyone = await inPool(unseen, GONE_CONCURRENCY, (id) => this.call('read', () => readStatus(this.anonymous, id, true)));
    const missing = unseen.filter((_, i) => byAnyone[i] === 'missing');
    const authors = [...new Set(missing.map((id) => known?.authors.get(id)).filter((a): a is string => !!a && /^\d{1,20}$/.test(a)))];
    const standing = await inPool(authors, GONE_CONCURRENCY, (id) => this.call('read', () => readAuthor(this.rest, id)));
    const suspendedDomain = new Map<string, string>();
    /** Authors an older server (2.4–3.2) answers 410 for: suspended, but whether remote (kept) or local (perhaps their own deletion) is not said. */
    const undecided = new Set<string>();
    authors.forEach((a, i) => {
      const st = standing[i]!;
      if (typeof st === 'object') suspendedDomain.set(a, st.domain);
      if (st === 'undecided') undecided.add(a);
    });
    const severity = suspendedDomain.size || [...limited.values()].some((d) => d !== null) ? await this.blockedServers() : null;
    // the brand's own statuses can be missing too (a stream's `delete` names them): a moderator's
    // removal of one is told to the brand's account itself; and a suspended author's server
    // defederated, where the instance's list does not show it (see moderationNotices)
    const own = missing.length ? (await this.whoami()).id : null;
    const mayBeOwn = missing.filter((id) => (known?.authors.get(id) ?? own) === own);
    const notices = mayBeOwn.length || (suspendedDomain.size && !severity) ? await this.moderationNotices() : null;
    const removedByModerators = notices ? statusesRemovedByModerators(notices) : new Set<string>();
    const severed = notices && !severity ? domainsSevered(notices) : new Set<string>();
    const hidden = new Map<string, NetworkHiddenReason>();
    const gone: string[] = [];
    for (const id of missing) {
      const domain = suspendedDomain.get(known?.authors.get(id) ?? '');
      if (domain !== undefined) hidden.set(id, severity?.(domain) === 'suspend' || (!severity && withinDomain(domain, severed)) ? 'server_defederated' : 'author_suspended');
      else if (undecided.has(known?.authors.get(id) ?? '')) continue;
      else if (mayBeOwn.includes(id) && removedByModerators.has(id)) hidden.set(id, 'post_taken_down');
      else gone.push(id);
    }
    for (const [id, domain] of limited) hidden.set(id, domain !== null && severity?.(domain) === 'silence' ? 'server_limited' : 'author_limited');
    return { gone, hidden, shown };
  }

  /**
   * The brand account's own `moderation_warning` and `severed_relationships` notifications (4.3+;
   * ./moderation.ts), the newest page: strikes and severances are rare, and the check only looks
   * at the last days. Any failure throws like the other reads (nothing is decided this time).
   */
  private async moderationNotices(): Promise<ModerationNotification[]> {
    const page = await this.call('read', () =>
      this.rest.v1.notifications.list({ types: ['moderation_warning', 'severed_relationships'], limit: PAGE }),
    );
    return Array.isArray(page) ? (page as unknown as ModerationNotification[]) : [];
  }

  /** How the instance blocks a whole server (`suspend` or `silence`), from its public domain blocks; null when it does not show them (or they cannot be read now). */
  private async blockedServers(): Promise<((domain: string) => 'suspend' | 'silence' | null) | null> {
    let blocks: unknown;
    try {
      blocks = await this.call('read', () => this.rest.v1.instance.domainBlocks.fetch());
    } catch {
      return null;
    }
    if (!Array.isArray(blocks)) return null;
    const known = blocks.filter((b): b is { domain?: unknown; digest?: unknown; severity: 'suspend' | 'silence' } => !!b && typeof b === 'object' && ['suspend', 'silence'].includes((b as { severity?: unknown }).severity as string));
    return (domain) => {
      // a block of a domain covers its subdomains too, the most specific block first
      for (const c of domainAndParents(domain)) {
        const digest = createHash('sha256').update(c).digest('hex');
        const b = known.find((k) => (typeof k.digest === 'string' && k.digest.toLowerCase() === digest) || (typeof k.domain === 'string' && k.domain.toLowerCase() === c));
        if (b) return b.severity;
      }
      return null;
    };
  }

  // ---------------------------------------------------------------- send

  /** The status being answered: from the stored raw payload, else fetched. */
  private async target(inReplyTo: NonNullable<SendRequest['inReplyTo']>): Promise<MastoStatus> {
    const id = inReplyTo.networkMessageId;
    const fromRaw = statusFromRaw(inReplyTo.raw, id);
    if (fromRaw) return fromRaw;
    return (await this.call('read', () => this.rest.v1.statuses.$select(id).fetch())) as unknown as MastoStatus;
  }

  private result(s: MastoStatus): SendResult {
    const t = Date.parse(s.createdAt);
    return { networkMessageId: s.id, url: s.url ?? s.uri ?? null, createdAt: Number.isFinite(t) ? t : this.now(), raw: s };
  }

  private async post(params: { status: string; inReplyToId?: string; visibility: 'public' | 'unlisted' | 'private' | 'direct' }, idempotencyKey: string): Promise<SendResult> {
    const s = await this.call('write', () =>
      this.rest.v1.statuses.create(params, { requestInit: { headers: { 'Idempotency-Key': idempotencyKey } } }),
    );
    return this.result(s as unknown as MastoStatus);
  }

  async sendPublicReply(req: SendRequest): Promise<SendResult> {
    if (!req.inReplyTo) throw new ChannelError('INVALID_REQUEST', 'a Mastodon reply needs the status it answers');
    const me = await this.whoami();
    const target = await this.target(req.inReplyTo);
    if (target.visibility === 'direct') throw new ChannelError('INVALID_REQUEST', 'the customer wrote privately (a direct message); answer privately, not in public');
    // never wider than what is answered: a followers-only mention gets a followers-only reply
    const visibility = target.visibility === 'public' ? 'public' : target.visibility === 'unlisted' ? 'unlisted' : 'private';
    const addressees = target.account.id === me.id ? [] : [target.account.acct];
    return this.post({ status: withMentions(req.text, addressees), inReplyToId: target.id, visibility }, req.idempotencyKey);
  }

  async sendPrivateMessage(req: SendRequest): Promise<SendResult> {
    const me = await this.whoami();
    const target = req.inReplyTo ? await this.target(req.inReplyTo) : null;
    const acct = target && target.account.id !== me.id ? target.account.acct : req.recipient?.handle;
    if (!acct) throw new ChannelError('INVALID_REQUEST', 'a Mastodon direct message needs a recipient');
    // a direct status reaches exactly the accounts it mentions
    return this.post({ status: withMentions(req.text, [acct.replace(/^@/, '')]), ...(target ? { inReplyToId: target.id } : {}), visibility: 'direct' }, req.idempotencyKey);
  }

  /**
   * After an ambiguous failure: our status answering the same status with the
   * same text (ignoring the @mentions we put in front). The Idempotency-Key
   * also makes the instance return the first status for a resend within an hour.
   */
  async findSent(req: SendRequest): Promise<SendResult | null> {
    const me = await this.whoami();
    const want = comparableText(req.text);
    const replyTo = req.inReplyTo?.networkMessageId ?? null;
    const matches = (s: MastoStatus) =>
      s.account.id === me.id && (s.inReplyToId ?? null) === replyTo && (s.visibility === 'direct') === (req.visibility === 'private') && comparableText(statusText(s)) === want;
    let candidates: MastoStatus[] = [];
    if (replyTo) {
      try {
        const ctx = (await this.call('read', () => this.rest.v1.statuses.$select(replyTo).context.fetch())) as unknown as { descendants: MastoStatus[] };
        candidates = ctx.descendants;
      } catch (err) {
        if (!(err instanceof ChannelError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    if (!candidates.some(matches)) {
      const own = (await this.call('read', () => this.rest.v1.accounts.$select(me.id).statuses.list({ limit: 40 }))) as unknown as MastoStatus[];
      candidates = [...candidates, ...own];
    }
    const found = candidates.find(matches);
    return found ? this.result(found) : null;
  }

  // ---------------------------------------------------------------- moderation & lookups

  async block(user: AuthorIdentity): Promise<void> {
    await this.call('write', () => this.rest.v1.accounts.$select(user.networkUserId).block());
  }

  async mute(user: AuthorIdentity): Promise<void> {
    await this.call('write', () => this.rest.v1.accounts.$select(user.networkUserId).mute({ notifications: true }));
  }

  async unblock(user: AuthorIdentity): Promise<void> {
    await this.call('write', () => this.rest.v1.accounts.$select(user.networkUserId).unblock());
  }

  async unmute(user: AuthorIdentity): Promise<void> {
    await this.call('write', () => this.rest.v1.accounts.$select(user.networkUserId).unmute());
  }

  /**
   * Report to the instance's moderators (POST /api/v1/reports: `account_id`, `status_ids[]`,
   * `comment` — at most 1000 characters for a local reporter —, `forward` to the author's server
   * when remote, `category` spam | legal | violation | other, `rule_ids[]` the instance's rules
   * from GET /api/v1/instance/rules). Mastodon files a report with rule ids as `violation`; a
   * violation without the rule broken is filed as `other`, the comment saying which guideline.
   */
  async reportToNetwork(req: NetworkReportRequest): Promise<NetworkReportResult> {
    const ruleIds = [...(req.ruleIds ?? [])];
    const category = mastodonReportCategory(req.reason, ruleIds.length > 0);
    const report = await this.call('write', () =>
      this.rest.v1.reports.create({
        accountId: req.author.networkUserId,
        statusIds: req.subject === 'post' && req.post ? [req.post.networkMessageId] : [],
        comment: [...req.comment].slice(0, 1000).join(''),
        forward: true,
        category: category as never,
        ...(category === 'violation' ? { ruleIds } : {}),
      }),
    );
    return { reportId: String(report.id), category: String(report.category ?? category) };
  }

  /**
   * The instance's rules a report may cite (GET /api/v1/instance/rules, 3.4+: Rule `id`, `text`,
   * `hint` — 4.3+, '' before). masto has no typed resource for it: its proxy maps the path.
   */
  async reportRules(): Promise<NetworkReportRule[]> {
    const rules = await this.call('read', () => (this.rest.v1.instance as unknown as { rules: { list(): Promise<unknown> } }).rules.list());
    if (!Array.isArray(rules)) throw new ChannelError('TEMPORARY', 'the instance answered its rules with something other than a list');
    return rules
      .filter((r): r is { id: unknown; text: unknown; hint?: unknown } => !!r && typeof r === 'object')
      .filter((r) => (typeof r.id === 'string' || typeof r.id === 'number') && typeof r.text === 'string')
      .map((r) => ({ id: String(r.id), text: r.text as string, hint: typeof r.hint === 'string' ? r.hint : '' }));
  }

  async like(networkMessageId: string): Promise<void> {
    await this.call('write', () => this.rest.v1.statuses.$select(networkMessageId).favourite());
  }

  async delete(networkMessageId: string): Promise<void> {
    await this.call('write', () => this.rest.v1.statuses.$select(networkMessageId).remove());
  }

  async fetchProfile(networkUserId: string): Promise<AuthorIdentity> {
    const a = await this.call('read', () => this.rest.v1.accounts.$select(networkUserId).fetch());
    return authorOf(a as unknown as MastoAccount);
  }

  async fetchThread(networkMessageId: string): Promise<NormalizedMessage[]> {
    const me = await this.whoami();
    const ctx = { ownId: me.id };
    const [status, context] = await Promise.all([
      this.call('read', () => this.rest.v1.statuses.$select(networkMessageId).fetch()),
      this.call('read', () => this.rest.v1.statuses.$select(networkMessageId).context.fetch()),
    ]);
    const all = [...(context.ancestors as unknown as MastoStatus[]), status as unknown as MastoStatus, ...(context.descendants as unknown as MastoStatus[])];
    return all.map((s) => normalizeStatus(s, s.inReplyToId ? 'reply' : 'post', ctx));
  }

  async close(): Promise<void> {
    // REST calls hold no connection; streams close through their AbortSignal
  }
}

/** Statuses read at once by `goneFrom`: the check stays a trickle within the account's rate limit. */
const GONE_CONCURRENCY = 4;

/** One status read: shown, missing (404 "Record not found"), or undecided (anonymous reads refused); anything else throws. */
/**
 * One status read (see goneFrom): shown, missing (404 "Record not found"), undecided (an anonymous
 * read the instance refuses), or shown but by an author the instance limits (the Account
 * entity's `limited: true`), with the author's domain (null for a local account).
 */
async function readStatus(client: mastodon.rest.Client, id: string, anonymous = false): Promise<'shown' | 'missing' | 'undecided' | { limitedDomain: string | null }> {
  try {
    const s = (await client.v1.statuses.$select(id).fetch()) as unknown as { account?: { limited?: unknown; acct?: unknown } };
    if (s?.account?.limited !== true) return 'shown';
    const acct = typeof s.account.acct === 'string' ? s.account.acct : '';
    const at = acct.lastIndexOf('@');
    return { limitedDomain: at > 0 ? acct.slice(at + 1) : null };
  } catch (err) {
    if (isRecordNotFound(err)) return 'missing';
    if (anonymous && isAuthenticationRequired(err)) return 'undecided';
    throw err;
  }
}

/**
 * Where a status's author stands on the instance (see goneFrom): suspended (with their server's
 * domain), gone (404 "Record not found"), there, or undecided (410 from a 2.4–3.2 server: suspended,
 * nothing more said).
 */
async function readAuthor(client: mastodon.rest.Client, id: string): Promise<{ domain: string } | 'gone' | 'present' | 'undecided'> {
  try {
    const a = (await client.v1.accounts.$select(id).fetch()) as unknown as { suspended?: boolean; acct?: string };
    // a local account (acct without a domain) may be suspended because its owner deleted it: honoured as a deletion
    const at = typeof a.acct === 'string' ? a.acct.lastIndexOf('@') : -1;
    return a.suspended === true && at > 0 ? { domain: a.acct!.slice(at + 1) } : 'present';
  } catch (err) {
    if (isRecordNotFound(err)) return 'gone';
    if (isAccountGone(err)) return 'undecided';
    throw err;
  }
}

/** `fn` over `items`, at most `n` at a time, answers in order; the first failure stops the rest and is thrown. */
async function inPool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed: { err: unknown } | null = null;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failed) throw (failed as { err: unknown }).err;
  return out;
}

export const createChannel: ChannelFactory = (account, deps) => new MastodonChannel(account, deps);

/**
 * Parley's report reason as Mastodon's report `category` (Report entity: spam, legal — 4.2+ —,
 * violation of the instance's rules, other). A violation needs the rules broken (`rule_ids`):
 * without them it is filed as `other`; with them it is a violation whatever the reason.
 */
export function mastodonReportCategory(reason: NetworkReportReason, withRules: boolean): 'spam' | 'legal' | 'violation' | 'other' {
  // as ReportService files it: rule ids make a report a violation, whatever category was asked
  if (withRules) return 'violation';
  if (reason === 'spam') return 'spam';
  if (reason === 'legal') return 'legal';
  return 'other';
}
