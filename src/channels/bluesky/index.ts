/**
 * Bluesky connector (AT Protocol, via @atproto/api).
 *
 * Connect: credentials `{ identifier, password }` — the account's handle (or DID)
 * and an app password (Settings → Privacy and security → App passwords; tick
 * "Allow access to your direct messages" for DMs). Settings: `service` (the PDS or
 * entryway to log in at, default https://bsky.social), `keywords` (listening), `excludeKeywords`
 * (listening hits dropped here unless they tag the account),
 * `webUrl`, `plcUrl` (the PLC directory), `chatService` (the chat service DID), `directMessages` (false to skip
 * the chat API), `timeoutMs`.
 *
 * Ingest (polling `sync`): mention/reply/quote notifications
 * (app.bsky.notification.listNotifications), keyword listening
 * (app.bsky.feed.searchPosts, kind `listening`) and chat messages
 * (chat.bsky.convo.listConvos/getMessages through the PDS with the
 * `atproto-proxy: <chat DID>#bsky_chat` header). The cursor holds high-water
 * marks (indexedAt for notifications and searches, per-conversation revs for
 * chat), so each poll fetches only what is new. Each search hit says which keyword found it
 * (`heardBy`), so what a keyword added later reads back from before it was added is stored as
 * backfill (../listeningBackfill.ts); a hit that mentions, answers or quotes the account is one of
 * its notifications (heard live), not attributed.
 *
 * Send: a reply is an app.bsky.feed.post record with the reply reference
 * {root, parent} (URI + CID of each), written with com.atproto.repo.createRecord
 * under a record key derived from the outbox's idempotency key (rkey.ts): a
 * retry cannot create a second post, and `findSent` is one getRecord. DMs go
 * through chat.bsky.convo.sendMessage.
 *
 * Deletions: Bluesky tells nobody that a post was deleted (it leaves the author's
 * repository; the AppView stops showing it). `goneFrom` is the sync worker's bounded
 * check of stored posts: app.bsky.feed.getPosts (25 URIs a call) shows what exists,
 * but it also leaves out posts whose author blocks the account or is blocked by it
 * (the AppView's `noBlocks` rule), taken-down ones and those of deactivated accounts;
 * so a post it leaves out is asked of the author's own repository (./gone.ts: their DID
 * document names their PDS, whose com.atproto.sync.getRecord proves the record present
 * or absent), and only a proven absence, an account whose hosting status is `deleted`
 * (com.atproto.sync.getRepoStatus, of its PDS, else of the relay) or a tombstoned identity
 * counts as deleted: a repository its PDS lost, a takedown, a suspension or a deactivation
 * does not. A record proven present, of an account its PDS keeps active, that the AppView leaves
 * out: an account the AppView itself took down (app.bsky.actor.getProfile answers
 * `AccountTakedown`) is kept and marked hidden (`account_taken_down`); else, with no block either
 * way (app.bsky.graph.getRelationships), the record was taken down on its own by moderation:
 * kept and marked hidden (`post_taken_down`). A takedown can also come as a label the AppView shows
 * rather than acts on: a `!takedown` / `!suspend` label from a moderation service asked for
 * without `redact` (setting `moderationLabelers`) on the author's DID marks their posts
 * `account_taken_down`, on a post `post_taken_down`; a negated or expired label, a self-label or a
 * client-side value (`!hide`) does not (./labels.ts). Settings: `plcUrl` (the PLC directory, default
 * https://plc.directory), `relayUrl` (the relay, default https://bsky.network), `moderationLabelers`
 * (labeler DIDs trusted besides Bluesky's own moderation service).
 *
 * Sessions: logs in with the app password, refreshes the access token before it
 * expires, and logs in again when a token is refused; a refused app password
 * (revoked, wrong, account taken down) is AUTH_REVOKED.
 */
import { AtpAgent, isDid, RichText } from '@atproto/api';
import type { AuthorIdentity, MessageKind, NormalizedMessage } from '../../core/types.js';
import type { Capabilities, Channel, ChannelAccountConfig, ChannelDeps, ChannelFactory, NetworkHiddenReason, PresenceReport, SendRequest, SendResult, SyncResult } from '../types.js';
import type { NetworkReportReason, NetworkReportRequest, NetworkReportResult } from '../types.js';
import { ChannelError } from '../types.js';
import { listeningTermKey, type ListeningSyncResult } from '../listeningBackfill.js';
import { keepsListeningHit, prepareExclusions, type ExclusionTerm } from '../../core/listeningExclusion.js';
import { isSessionFailure, toChannelError, type Operation } from './errors.js';
import { AuthorRepositories, DEFAULT_PLC, DEFAULT_RELAY } from './gone.js';
import { takenDownByLabel } from './labels.js';
import {
  authorOf,
  chatMessageId,
  DEFAULT_WEB_URL,
  INBOUND_REASONS,
  normalizeChatMessage,
  normalizeNotification,
  normalizePost,
  parseAtUri,
  parseChatMessageId,
  POST_COLLECTION,
  postUrl,
  replyRefFor,
  replyRefOf,
  type ChatMessageLike,
  type NotificationLike,
  type PostLike,
  type ProfileLike,
  type StrongRef,
} from './normalize.js';
import { rkeyForIdempotencyKey } from './rkey.js';

export const DEFAULT_SERVICE = 'https://bsky.social';
export const DEFAULT_CHAT_SERVICE = 'did:web:api.bsky.chat';
/** Bluesky's limits (app.bsky.feed.post maxGraphemes; chat.bsky.convo.defs#messageInput maxGraphemes). */
export const POST_MAX_GRAPHEMES = 300;
export const DM_MAX_GRAPHEMES = 1000;

const CAPABILITIES: Capabilities = {
  publicReply: true,
  privateMessage: true,
  hide: 'Bluesky can only hide replies under the account\'s own thread roots (threadgate hiddenReplies); Parley does not manage threadgates yet — mute or block the author instead',
  // com.atproto.repo.deleteRecord writes the account's own repository; moderation is of what others post
  delete: 'Bluesky deletes only the account\'s own posts, never someone else\'s: mute or block the author, or report the post',
  block: true,
  mute: true,
  like: true,
  fetchProfile: true,
  fetchThread: true,
  search: true,
  webhook: 'Bluesky has no webhooks; Parley polls notifications, searches and chats',
  poll: true,
  stream: 'the firehose/Jetstream carry repository commits, not an account\'s notifications or chats (those need the AppView and chat APIs); Parley polls instead',
};

/** The AppView's getProfile errors for an account it hides as a whole (see appViewAccounts). */
const APPVIEW_ACCOUNT_ERRORS = new Map<string | undefined, NetworkHiddenReason>([['AccountTakedown', 'account_taken_down'], ['AccountDeactivated', 'account_deactivated']]);

/** The error name of an XRPC error answered with HTTP 400 (the lexicon's named errors), else undefined. */
function xrpcErrorName(err: unknown): string | undefined {
  const x = err as { name?: unknown; status?: unknown; error?: unknown } | null;
  return x && typeof x === 'object' && x.status === 400 && typeof x.error === 'string' ? x.error : undefined;
}

/** URIs per app.bsky.feed.getPosts call (the lexicon's maxLength). */
const GET_POSTS_MAX = 25;
/** app.bsky.graph.getRelationships: at most 30 `others` a call. */
const RELATIONSHIPS_MAX = 30;

/** How far back the first sync reaches (one page each). */
const BACKFILL_NOTIFICATIONS = 50;
const BACKFILL_SEARCH = 25;
const BACKFILL_CONVOS = 20;
const BACKFILL_MESSAGES = 20;
/** Bounds per poll; what does not fit waits for the next one. */
const MAX_NOTIFICATION_PAGES = 10;
const MAX_SEARCH_PAGES = 4;
/** Unfinished search backfills kept per keyword; past this the two oldest merge (re-read, deduplicated). */
const MAX_SEARCH_GAPS = 20;
/** How far before the listening mark a search reaches: posts reach the AppView (are indexed) up to this long after they were written. */
const SEARCH_SLACK_MS = 15 * 60_000;
/** The listening mark of a search that has run and found nothing yet. */
const NOTHING_SEEN: Mark = { at: new Date(0).toISOString(), uris: [] };
const MAX_CONVO_PAGES = 5;
const MAX_MESSAGE_PAGES = 5;
/** Per-conversation chat revs kept in the cursor (most recently active first). */
const MAX_TRACKED_CONVOS = 500;

interface Mark {
  /** ISO indexedAt of the newest item seen. */
  at: string;
  /** URIs seen at exactly `at` (ties are not delivered twice). */
  uris: string[];
}

/**
 * What a burst bigger than one poll left unread for a keyword: the hits new to `from` (the
 * mark before the burst) with a sortAt before `until`, other than `seen`. Later polls page
 * down from `until` until they meet `from`.
 */
interface SearchGap {
  from: Mark;
  /** ISO sortAt bound for the next page (exclusive): the oldest sortAt read + 1 ms. */
  until: string;
  /** URIs already read at the oldest sortAt (until − 1 ms). */
  seen: string[];
}

interface BlueskyCursor {
  v: 1;
  /** Notifications high-water mark. */
  n: Mark | null;
  /** Listening high-water marks, per keyword. */
  k: Record<string, Mark>;
  /** Unfinished listening backfills per keyword, newest first (absent in older cursors). */
  g?: Record<string, SearchGap[]>;
  /** Chat: newest message rev seen, per conversation. */
  c: Record<string, string> | null;
}

export function parseCursor(s: string | null): BlueskyCursor {
  if (!s) return { v: 1, n: null, k: {}, c: null };
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch {
    throw new ChannelError('CURSOR_INVALID', 'the stored Bluesky cursor is not JSON');
  }
  const c = o as Partial<BlueskyCursor>;
  const validMark = (m: unknown): m is Mark => !!m && typeof (m as Mark).at === 'string' && Number.isFinite(Date.parse((m as Mark).at)) && Array.isArray((m as Mark).uris);
  const validGap = (g: unknown): g is SearchGap =>
    !!g && validMark((g as SearchGap).from) && typeof (g as SearchGap).until === 'string' && Number.isFinite(Date.parse((g as SearchGap).until)) && Array.isArray((g as SearchGap).seen);
  const validGaps = (g: unknown) => g === undefined || (!!g && typeof g === 'object' && !Array.isArray(g) && Object.values(g).every((gs) => Array.isArray(gs) && gs.every(validGap)));
  if (!c || c.v !== 1 || (c.n !== null && !validMark(c.n)) || typeof c.k !== 'object' || c.k === null || Object.values(c.k).some((m) => !validMark(m)) || !validGaps(c.g) || (c.c !== null && (typeof c.c !== 'object' || Array.isArray(c.c)))) {
    throw new ChannelError('CURSOR_INVALID', 'the stored Bluesky cursor has an unknown shape');
  }
  return { v: 1, n: c.n ?? null, k: c.k, ...(c.g ? { g: c.g } : {}), c: c.c ?? null };
}

/**
 * A listening keyword as searchPosts reads it literally: as it is when plain, else as a quoted
 * phrase without its quotes. A word with a colon is an operator there (`from:x` or `did:…`
 * filter by author, `lang:`, `since:`…), so `from:rival` would bring in everything that
 * account posts; a stray quote would change where phrases start and end.
 */
export function blueskySearchQuery(keyword: string): string {
  const k = keyword.trim();
  if (!/[":]/.test(k)) return k;
  return `"${k.replace(/"/g, ' ').replace(/\s+/g, ' ').trim()}"`;
}

/** Items newer than the mark (ties at the mark's instant only if not seen yet). */
function isNew(indexedAt: string, uri: string, mark: Mark | null): boolean {
  if (!mark) return true;
  const t = Date.parse(indexedAt);
  const m = Date.parse(mark.at);
  return t > m || (t === m && !mark.uris.includes(uri));
}

function advance(mark: Mark | null, items: { indexedAt: string; uri: string }[]): Mark | null {
  let best = mark;
  for (const it of items) {
    const t = Date.parse(it.indexedAt);
    if (!Number.isFinite(t)) continue;
    const b = best ? Date.parse(best.at) : -Infinity;
    if (t > b) best = { at: it.indexedAt, uris: [it.uri] };
    else if (t === b && best && !best.uris.includes(it.uri)) best = { at: best.at, uris: [...best.uris, it.uri] };
  }
  return best;
}

/** What search sorts and filters on: the earlier of the record's createdAt and indexedAt. */
function sortAt(p: PostLike): number {
  const indexed = Date.parse(p.indexedAt);
  const created = typeof p.record?.createdAt === 'string' ? Date.parse(p.record.createdAt) : NaN;
  return Number.isFinite(created) && created < indexed ? created : indexed;
}

/** `since` for a mark: SEARCH_SLACK_MS before it (posts are indexed up to that long after they were written). */
function searchSince(mark: Mark): string {
  return new Date(Date.parse(mark.at) - SEARCH_SLACK_MS).toISOString();
}

/** The lowest sortAt among posts, with the URIs at it. */
function lowEdge(edge: { at: number; uris: string[] } | null, posts: PostLike[]): { at: number; uris: string[] } | null {
  for (const p of posts) {
    const t = sortAt(p);
    if (!Number.isFinite(t)) continue;
    if (!edge || t < edge.at) edge = { at: t, uris: [p.uri] };
    else if (t === edge.at && !edge.uris.includes(p.uri)) edge = { at: t, uris: [...edge.uris, p.uri] };
  }
  return edge;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new ChannelError('CURSOR_INVALID', 'the stored Bluesky search cursor is not JSON');
  }
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : [];
}

/** Decode a JWT's `exp` (seconds) without verifying it (we only schedule a refresh). */
function jwtExpiry(jwt: string | undefined): number | null {
  const part = jwt?.split('.')[1];
  if (!part) return null;
  try {
    const payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

/** fetch with a deadline per request (the AT client has none of its own). */
function withDeadline(f: typeof fetch, ms: number): typeof fetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(ms);
    if (input instanceof Request) {
      const signal = AbortSignal.any([input.signal, deadline, ...(init?.signal ? [init.signal] : [])]);
      return f(new Request(input, { ...init, signal }));
    }
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    return f(input, { ...init, signal });
  };
}

export class BlueskyChannel implements Channel {
  readonly network = 'bluesky' as const;
  readonly capabilities = CAPABILITIES;
  private readonly agent: AtpAgent;
  private readonly now: () => number;
  private readonly webUrl: string;
  private readonly keywords: string[];
  /** Listening exclusions (`excludeKeywords`): searchPosts has none, so hits are matched here. */
  private readonly exclusions: ExclusionTerm[];
  private readonly chatDid: string;
  private readonly directMessages: boolean;
  /** fetch with the account's deadline, for what is asked outside the AT client (authors' repositories). */
  private readonly fetch: typeof globalThis.fetch;
  private readonly plcUrl: string;
  private readonly relayUrl: string;
  private loggingIn: Promise<void> | null = null;
  /** Consecutive passing failures of listening/chat polls (see `secondary`). */
  private readonly sourceFailures = new Map<string, number>();

  constructor(private readonly account: ChannelAccountConfig, deps: ChannelDeps) {
    const s = account.settings;
    const service = typeof s.service === 'string' && s.service ? s.service : DEFAULT_SERVICE;
    const timeoutMs = typeof s.timeoutMs === 'number' && s.timeoutMs > 0 ? s.timeoutMs : 30_000;
    this.fetch = withDeadline(deps.fetch, timeoutMs);
    this.agent = new AtpAgent({ service, fetch: this.fetch });
    this.plcUrl = typeof s.plcUrl === 'string' && s.plcUrl ? s.plcUrl : DEFAULT_PLC;
    this.relayUrl = typeof s.relayUrl === 'string' && s.relayUrl ? s.relayUrl : DEFAULT_RELAY;
    this.now = deps.now;
    this.webUrl = typeof s.webUrl === 'string' && s.webUrl ? s.webUrl : DEFAULT_WEB_URL;
    this.keywords = stringList(s.keywords);
    this.exclusions = prepareExclusions(stringList(s.excludeKeywords));
    this.chatDid = typeof s.chatService === 'string' && s.chatService ? s.chatService : DEFAULT_CHAT_SERVICE;
    this.directMessages = s.directMessages !== false;
    // the moderation services whose labels the AppView is asked to hydrate (without `redact`: it shows
    // the subject, labelled) and whose takedown labels Parley reads itself (./labels.ts)
    const labelers = stringList(s.moderationLabelers).filter((d) => isDid(d) && !this.agent.appLabelers.includes(d));
    if (labelers.length) this.agent.configureLabelers(labelers);
  }

  // ---------------------------------------------------------------- session

  private get credentials(): { identifier: string; password: string } {
    const c = this.account.credentials;
    const identifier = typeof c.identifier === 'string' && c.identifier ? c.identifier : this.account.handle;
    const password = typeof c.password === 'string' ? c.password : '';
    if (!identifier || !password) throw new ChannelError('AUTH_REVOKED', 'no Bluesky identifier/app password is stored for this account');
    return { identifier, password };
  }

  private login(): Promise<void> {
    if (!this.loggingIn) {
      const attempt = (async () => {
        try {
          await this.agent.login(this.credentials);
        } catch (err) {
          throw toChannelError(err, 'login', this.now());
        }
      })();
      this.loggingIn = attempt;
      attempt.then(
        () => { if (this.loggingIn === attempt) this.loggingIn = null; },
        () => { if (this.loggingIn === attempt) this.loggingIn = null; },
      );
    }
    return this.loggingIn;
  }

  /** A usable session: log in, or refresh an access token that is (about to be) expired. */
  private async ensureSession(): Promise<void> {
    if (this.loggingIn) return this.loggingIn;
    const session = this.agent.session;
    if (!session) return this.login();
    const exp = jwtExpiry(session.accessJwt);
    if (exp !== null && exp - 60_000 <= this.now()) {
      try {
        await this.agent.sessionManager.refreshSession();
      } catch (err) {
        if (!isSessionFailure(err)) throw toChannelError(err, 'read', this.now());
        this.agent.sessionManager.session = undefined;
        return this.login();
      }
    }
  }

  get did(): string {
    const did = this.agent.session?.did;
    if (!did) throw new ChannelError('TEMPORARY', 'no Bluesky session');
    return did;
  }

  /** Run a call with a session; a refused token gets one fresh login and one retry (the server refused it, so a write is safe to repeat). */
  private async call<T>(op: Operation, fn: () => Promise<T>): Promise<T> {
    await this.ensureSession();
    try {
      return await fn();
    } catch (err) {
      if (!isSessionFailure(err)) throw toChannelError(err, op, this.now());
      this.agent.sessionManager.session = undefined;
      await this.login();
      try {
        return await fn();
      } catch (err2) {
        throw toChannelError(err2, op, this.now());
      }
    }
  }

  private get chat() {
    return this.agent.withProxy('bsky_chat', this.chatDid);
  }

  // ---------------------------------------------------------------- ingest

  async sync(cursor: string | null): Promise<ListeningSyncResult> {
    const cur = parseCursor(cursor);
    await this.ensureSession();
    const messages: NormalizedMessage[] = [];
    const heardBy = new Map<NormalizedMessage, string[]>();
    const notes = await this.pollNotifications(cur.n);
    messages.push(...notes.messages);
    const k: Record<string, Mark> = {};
    const g: Record<string, SearchGap[]> = {};
    let more = false;
    for (const kw of this.keywords) {
      const r = await this.secondary(`search:${kw}`, () => this.pollSearch(kw, cur.k[kw] ?? null, cur.g?.[kw] ?? []));
      if (r) {
        messages.push(...r.messages);
        // a hit that tags the account is a notification too (heard live), not the keyword's
        for (const m of r.messages) if (!tagsAccount(m.raw, this.did)) heardBy.set(m, [listeningTermKey('keywords', kw)]);
      }
      const mark = r ? r.mark : (cur.k[kw] ?? null);
      if (mark) k[kw] = mark;
      const gaps = r ? r.gaps : (cur.g?.[kw] ?? []);
      if (gaps.length) g[kw] = gaps;
      // a burst is not read through yet: poll again at once rather than after a whole interval
      if (r && r.gaps.length) more = true;
    }
    let c = cur.c;
    if (this.directMessages) {
      const r = await this.secondary('chat', () => this.pollChat(cur.c));
      if (r) {
        messages.push(...r.messages);
        c = r.revs;
      }
    }
    await this.addFollowers(messages);
    const next: BlueskyCursor = { v: 1, n: notes.mark, k, ...(Object.keys(g).length ? { g } : {}), c };
    return { messages, cursor: JSON.stringify(next), more, heardBy };
  }

  /**
   * Listening and chat must not hold up mentions: a passing failure there
   * (5xx, timeout, rate limit of that service) skips the source for this poll
   * and keeps its position; the third in a row fails the sync so it is seen.
   * Account-level errors (revoked, no DM permission) fail at once.
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

  private ctx(followers?: ReadonlyMap<string, number>) {
    return { ownDid: this.did, webUrl: this.webUrl, followers };
  }

  private async pollNotifications(mark: Mark | null): Promise<{ messages: NormalizedMessage[]; mark: Mark | null }> {
    const fresh: NotificationLike[] = [];
    let pageCursor: string | undefined;
    for (let page = 0; page < MAX_NOTIFICATION_PAGES; page++) {
      const res = await this.call('read', () =>
        this.agent.app.bsky.notification.listNotifications({ limit: mark ? 100 : BACKFILL_NOTIFICATIONS, cursor: pageCursor, reasons: [...INBOUND_REASONS] }),
      );
      let crossed = false;
      for (const n of res.data.notifications as NotificationLike[]) {
        if (isNew(n.indexedAt, n.uri, mark)) fresh.push(n);
        else crossed = true;
      }
      if (!mark || crossed || !res.data.cursor || res.data.notifications.length === 0) break;
      pageCursor = res.data.cursor;
    }
    const ctx = this.ctx();
    const messages = fresh.map((n) => normalizeNotification(n, ctx)).filter((m): m is NormalizedMessage => m !== null && !m.fromBrand);
    return { messages, mark: advance(mark, fresh) };
  }

  /**
   * New search hits since the mark, then what earlier bursts left unread. Search orders and
   * filters by `sortAt`, the earlier of a post's createdAt and indexedAt, while the mark is the
   * newest indexedAt seen: a post written before the last poll but indexed after it sorts below
   * the mark. So `since` reaches SEARCH_SLACK_MS further back, posts are told new by indexedAt,
   * and paging goes on past posts already seen until a page brings nothing new.
   *
   * A poll reads MAX_SEARCH_PAGES pages per keyword, the newest first (one page fewer when a
   * backfill is open, so that gets on too). A burst that does not fit leaves a gap: the mark
   * before it, and `until` = the oldest sortAt read. Later polls page down from `until` (a
   * bound, not the server's cursor, which need not outlive a request) until they meet that
   * mark, oldest gap first. The mark itself moves with the newest hits only.
   */
  private async pollSearch(q: string, mark: Mark | null, gaps: SearchGap[]): Promise<{ messages: NormalizedMessage[]; mark: Mark | null; gaps: SearchGap[] }> {
    const fresh: PostLike[] = [];
    const have = new Set<string>();
    const take = (p: PostLike) => {
      if (have.has(p.uri)) return false;
      have.add(p.uri);
      fresh.push(p);
      return true;
    };
    const search = (params: { limit: number; cursor?: string; since?: string; until?: string }) =>
      this.call('read', () => this.agent.app.bsky.feed.searchPosts({ q: blueskySearchQuery(q), sort: 'latest', ...params }));
    const done = () => {
      const ctx = this.ctx();
      // the account's own posts match its brand keywords too; they are not listening hits; an
      // excluded word drops a hit unless it tags the account (a mention: a direct care item)
      return fresh
        .filter((p) => p.author.did !== ctx.ownDid)
        .map((p) => normalizePost(p, 'listening', ctx))
        .filter((m) => keepsListeningHit(m.text, tagsAccount(m.raw, ctx.ownDid), this.exclusions));
    };
    if (!mark) {
      const res = await search({ limit: BACKFILL_SEARCH });
      for (const p of res.data.posts as PostLike[]) take(p);
      // a first search with no hits still starts the position: whatever comes later is new, and
      // is paged through rather than taken as another one-page backfill
      return { messages: done(), mark: advance(null, fresh) ?? NOTHING_SEEN, gaps: [] };
    }
    const open = gaps.map((g) => ({ ...g, seen: [...g.seen] }));
    let budget = MAX_SEARCH_PAGES;
    let edge: { at: number; uris: string[] } | null = null;
    let reached = false;
    let pageCursor: string | undefined;
    for (let page = 0; page < (open.length ? MAX_SEARCH_PAGES - 1 : MAX_SEARCH_PAGES); page++) {
      const res = await search({ limit: 100, cursor: pageCursor, since: searchSince(mark) });
      budget--;
      const posts = res.data.posts as PostLike[];
      edge = lowEdge(edge, posts);
      let anyNew = false;
      for (const p of posts) if (isNew(p.indexedAt, p.uri, mark) && take(p)) anyNew = true;
      if (!anyNew || !res.data.cursor || posts.length === 0) {
        reached = true;
        break;
      }
      pageCursor = res.data.cursor;
    }
    // only what the newest pages brought moves the mark: a gap's posts may be indexed after others still unread
    const next = advance(mark, fresh);
    if (!reached && edge) open.unshift({ from: mark, until: new Date(edge.at + 1).toISOString(), seen: edge.uris });
    while (open.length > MAX_SEARCH_GAPS) {
      // the two oldest become one: what lies between them is read again (and dropped as a duplicate)
      const older = open.pop()!;
      open[open.length - 1]!.from = older.from;
    }
    while (budget > 0 && open.length) {
      const gap = open[open.length - 1]!;
      const until = gap.until;
      const skip = new Set(gap.seen);
      let closed = false;
      pageCursor = undefined;
      while (budget > 0) {
        const res = await search({ limit: 100, cursor: pageCursor, since: searchSince(gap.from), until });
        budget--;
        // servers that do not know `until`: what lies above it was read already
        const posts = (res.data.posts as PostLike[]).filter((p) => sortAt(p) < Date.parse(until) && !skip.has(p.uri));
        let anyNew = false;
        for (const p of posts) if (isNew(p.indexedAt, p.uri, gap.from) && take(p)) anyNew = true;
        const low = lowEdge(null, posts);
        if (low) {
          if (low.at < Date.parse(gap.until) - 1) [gap.until, gap.seen] = [new Date(low.at + 1).toISOString(), low.uris];
          else gap.seen = [...new Set([...gap.seen, ...low.uris])];
        }
        // the end: the server has no more, or a page brought nothing new from below the gap's mark
        if (!res.data.cursor || res.data.posts.length === 0 || (!anyNew && low !== null && low.at <= Date.parse(gap.from.at))) {
          closed = true;
          break;
        }
        pageCursor = res.data.cursor;
      }
      if (closed) open.pop();
    }
    return { messages: done(), mark: next, gaps: open };
  }

  private async pollChat(revs: Record<string, string> | null): Promise<{ messages: NormalizedMessage[]; revs: Record<string, string> }> {
    const chat = this.chat;
    const backfill = revs === null;
    const known = { ...(revs ?? {}) };
    const messages: NormalizedMessage[] = [];
    const ctx = this.ctx();
    let pageCursor: string | undefined;
    outer: for (let page = 0; page < (backfill ? 1 : MAX_CONVO_PAGES); page++) {
      const res = await this.call('read', () => chat.chat.bsky.convo.listConvos({ limit: backfill ? BACKFILL_CONVOS : 50, cursor: pageCursor }));
      for (const convo of res.data.convos) {
        const seen = known[convo.id];
        if (seen !== undefined && convo.rev <= seen) {
          // conversations come most recently active first: the rest are unchanged
          if (!backfill) break outer;
          continue;
        }
        let newest = seen ?? '';
        let msgCursor: string | undefined;
        for (let mp = 0; mp < (backfill ? 1 : MAX_MESSAGE_PAGES); mp++) {
          const mres = await this.call('read', () => chat.chat.bsky.convo.getMessages({ convoId: convo.id, limit: backfill ? BACKFILL_MESSAGES : 100, cursor: msgCursor }));
          let crossed = false;
          for (const m of mres.data.messages as ChatMessageLike[]) {
            if (seen !== undefined && m.rev <= seen) {
              crossed = true;
              continue;
            }
            if (m.rev > newest) newest = m.rev;
            const n = normalizeChatMessage(m, { id: convo.id, members: convo.members as ProfileLike[] }, ctx, { now: this.now() });
            if (n) messages.push(n);
          }
          if (crossed || !mres.data.cursor || mres.data.messages.length === 0) break;
          msgCursor = mres.data.cursor;
        }
        known[convo.id] = newest > convo.rev ? newest : convo.rev;
      }
      if (!res.data.cursor || res.data.convos.length === 0) break;
      pageCursor = res.data.cursor;
    }
    const trimmed = Object.entries(known).sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0)).slice(0, MAX_TRACKED_CONVOS);
    return { messages: messages.reverse(), revs: Object.fromEntries(trimmed) };
  }

  /** Follower counts for inbound authors (profile views in notifications do not carry them); one call per 25 authors. */
  private async addFollowers(messages: NormalizedMessage[]): Promise<void> {
    if (this.account.settings.fetchFollowers === false) return;
    const dids = [...new Set(messages.filter((m) => !m.fromBrand && m.author.followers == null).map((m) => m.author.networkUserId))];
    const counts = new Map<string, number>();
    for (let i = 0; i < dids.length; i += 25) {
      try {
        const res = await this.call('read', () => this.agent.app.bsky.actor.getProfiles({ actors: dids.slice(i, i + 25) }));
        for (const p of res.data.profiles) if (typeof p.followersCount === 'number') counts.set(p.did, p.followersCount);
      } catch (err) {
        // follower counts are a nicety; a rate limit or revoked session still has to surface
        const e = toChannelError(err, 'read', this.now());
        if (e.code === 'RATE_LIMITED' || e.code === 'AUTH_REVOKED') throw e;
      }
    }
    for (const m of messages) {
      const f = counts.get(m.author.networkUserId);
      if (f !== undefined) m.author = { ...m.author, followers: f };
    }
  }

  async search(query: string, cursor: string | null): Promise<SyncResult> {
    let mark: Mark | null = null;
    if (cursor) {
      // the same mark `sync` keeps per keyword
      const k = parseCursor(JSON.stringify({ v: 1, n: null, k: { q: safeJson(cursor) }, c: null })).k.q;
      mark = k ?? null;
    }
    await this.ensureSession();
    // an ad-hoc search keeps only its position (a burst past one call's pages is not resumed)
    const r = await this.pollSearch(query, mark, []);
    await this.addFollowers(r.messages);
    return { messages: r.messages, cursor: r.mark ? JSON.stringify(r.mark) : null };
  }

  /**
   * Which stored posts are deleted (see the header): getPosts for what is still shown, then the
   * record itself for each post it leaves out. Chat messages and anything not a post URI are
   * never judged gone (chat messages are not checked).
   */
  async goneFrom(networkMessageIds: readonly string[]): Promise<string[]> {
    return (await this.presenceOf(networkMessageIds)).gone;
  }

  /**
   * `goneFrom`, telling also what it keeps: a post the AppView shows is shown; one it leaves out
   * whose author's account is taken down, suspended or deactivated by its host is hidden, with
   * that reason (./gone.ts `verdict`). A record its repository proves present, of an account its
   * host keeps active, that the AppView still leaves out, is hidden by the AppView's moderation of
   * the whole account, behind a block, or taken down on its own. The AppView's own word on the
   * account comes first (`appViewAccounts`: getProfile answers `AccountTakedown` for an account
   * it took down though its PDS keeps it active): each of its posts is `account_taken_down`
   * (`account_deactivated` where the AppView holds it deactivated), whatever the blocks, and
   * once the takedown is reversed getPosts shows them again. An account the AppView shows is
   * either behind a block (the AppView's getPosts drops the posts of an author the viewer blocks
   * or is blocked by, lists included) or had that record taken down on its own by moderation (a
   * labeler's or the AppView's takedown of that record: the repository keeps it). The brand's
   * relationships with those authors tell them apart (app.bsky.graph.getRelationships:
   * `blocking`, `blockedBy`, `blockingByList`, `blockedByList`): no block either way is
   * `post_taken_down`; a block, an author the AppView does not know, a profile or relationships
   * that cannot be read now, are in none of the three (a block is the brand's or the author's
   * choice, not the network hiding the post). Deleted is only a record proven absent from the
   * repository. A post the AppView shows is still hidden when a trusted moderation service labels
   * its author's account or the post itself `!takedown` / `!suspend` (`labelledTakedown`).
   */
  async presenceOf(networkMessageIds: readonly string[]): Promise<PresenceReport> {
    const uris = [...new Set(networkMessageIds)].filter((id) => parseAtUri(id)?.collection === POST_COLLECTION);
    const repos = new AuthorRepositories(this.fetch, this.plcUrl, this.relayUrl);
    const gone: string[] = [];
    const shown: string[] = [];
    const hidden = new Map<string, NetworkHiddenReason>();
    /** Records present in their repositories that the AppView leaves out: a block, or a takedown of the record. */
    const leftOut: { uri: string; did: string }[] = [];
    for (let i = 0; i < uris.length; i += GET_POSTS_MAX) {
      const part = uris.slice(i, i + GET_POSTS_MAX);
      const res = await this.call('read', () => this.agent.app.bsky.feed.getPosts({ uris: part }));
      const seen = new Map(res.data.posts.map((p) => [p.uri, p]));
      for (const uri of part) {
        const view = seen.get(uri);
        if (view) {
          const labelled = this.labelledTakedown(uri, view);
          if (labelled) hidden.set(uri, labelled);
          else shown.push(uri);
          continue;
        }
        const post = parseAtUri(uri)!;
        const v = await repos.verdict(post);
        if (v === 'deleted') gone.push(uri);
        else if (typeof v === 'object') hidden.set(uri, v.hidden);
        else if (v === 'exists') leftOut.push({ uri, did: post.did });
      }
    }
    if (leftOut.length) {
      const authors = [...new Set(leftOut.map((p) => p.did))];
      const accounts = await this.appViewAccounts(authors);
      const active = authors.filter((did) => accounts.get(did) === 'active');
      const unblocked = active.length ? await this.unblocked(active) : new Set<string>();
      for (const p of leftOut) {
        const account = accounts.get(p.did);
        if (account === undefined) continue; // undecided this round
        if (account !== 'active') hidden.set(p.uri, account);
        else if (unblocked.has(p.did)) hidden.set(p.uri, 'post_taken_down');
      }
    }
    return { gone, hidden, shown };
  }

  /**
   * What the AppView says of each author's account (see presenceOf), one
   * app.bsky.actor.getProfile each: the AppView answers it with the error `AccountTakedown`
   * ("Account has been suspended") for an account it has taken down (its own moderation of the
   * whole account: com.atproto.admin.updateSubjectStatus with a repo subject, or a `!takedown` /
   * `!suspend` label on the DID from a labeler it applies) and `AccountDeactivated` for one it
   * holds deactivated, whatever the PDS says; getProfiles would only leave such an account out,
   * as it does one it does not know. A profile it shows is `active`, unless it carries such a
   * label on the DID itself from a moderation service Parley trusts, standing (not negated, not
   * expired; ./labels.ts). No answer, an unknown actor, or another error: not in the map
   * (undecided, asked again next round).
   */
  private async appViewAccounts(dids: readonly string[]): Promise<Map<string, NetworkHiddenReason | 'active'>> {
    const out = new Map<string, NetworkHiddenReason | 'active'>();
    for (const did of dids) {
      let answer: Awaited<ReturnType<BlueskyChannel['profileOrHidden']>>;
      try {
        answer = await this.profileOrHidden(did);
      } catch (err) {
        if (err instanceof ChannelError && err.code === 'RATE_LIMITED') break; // the rest wait for the next round
        continue; // undecided this round: asked again next time
      }
      if (answer.hidden) out.set(did, answer.hidden);
      else if (answer.profile.data.did === did) out.set(did, takenDownByLabel(answer.profile.data.labels, did, this.labelRules(did)) ? 'account_taken_down' : 'active');
    }
    return out;
  }

  /**
   * The moderation services whose labels count as the network's own moderation: the AT client's app
   * labelers (Bluesky's moderation service, asked with `redact`) and the account's
   * `moderationLabelers` (asked without it, so their takedowns arrive as labels). Asked each time:
   * `AtpAgent.configure({ appLabelers })` may change the first.
   */
  private labelRules(author: string) {
    return { author, authorities: new Set<string>([...this.agent.appLabelers, ...this.agent.labelers]), now: this.now() };
  }

  /**
   * A post the AppView shows, but labelled taken down by a moderation service Parley trusts
   * (./labels.ts): its author's account (the author view's labels on their DID) comes first, as in
   * appViewAccounts, then the post itself (the post view's labels on its URI). Undefined: shown.
   */
  private labelledTakedown(uri: string, view: { author?: { did?: unknown; labels?: unknown }; labels?: unknown }): NetworkHiddenReason | undefined {
    const author = parseAtUri(uri)!.did;
    const rules = this.labelRules(author);
    if (view.author?.did === author && takenDownByLabel(view.author.labels, author, rules)) return 'account_taken_down';
    if (takenDownByLabel(view.labels, uri, rules)) return 'post_taken_down';
    return undefined;
  }

  /** Of these authors, those the AppView knows with no block either way with the brand (see presenceOf); none when it cannot be asked now. */
  private async unblocked(dids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < dids.length; i += RELATIONSHIPS_MAX) {
      const others = dids.slice(i, i + RELATIONSHIPS_MAX);
      let rels: unknown[];
      try {
        rels = (await this.call('read', () => this.agent.app.bsky.graph.getRelationships({ actor: this.did, others }))).data.relationships;
      } catch {
        continue; // undecided this round: asked again next time
      }
      for (const r of rels) {
        const rel = r as { $type?: unknown; did?: unknown; notFound?: unknown; blocking?: unknown; blockedBy?: unknown; blockingByList?: unknown; blockedByList?: unknown };
        if (!rel || typeof rel.did !== 'string' || rel.notFound === true || !others.includes(rel.did)) continue;
        if (rel.$type !== undefined && rel.$type !== 'app.bsky.graph.defs#relationship') continue;
        if (rel.blocking || rel.blockedBy || rel.blockingByList || rel.blockedByList) continue;
        out.add(rel.did);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- send

  /** The post being answered: from the stored raw payload when it carries uri+cid, else from the AppView. */
  private async parentPost(inReplyTo: NonNullable<SendRequest['inReplyTo']>): Promise<{ uri: string; cid: string; record?: unknown; author?: ProfileLike }> {
    const uri = inReplyTo.networkMessageId;
    const raw = inReplyTo.raw as Partial<PostLike> | undefined;
    if (raw && raw.uri === uri && typeof raw.cid === 'string') return { uri, cid: raw.cid, record: raw.record, author: raw.author };
    if (!parseAtUri(uri)) throw new ChannelError('INVALID_REQUEST', `not a Bluesky post URI: ${uri}`);
    const res = await this.call('read', () => this.agent.app.bsky.feed.getPosts({ uris: [uri] }));
    const post = res.data.posts[0];
    if (!post) throw new ChannelError('NOT_FOUND', `the post ${uri} no longer exists (deleted, or its author blocked the account)`);
    return { uri: post.uri, cid: post.cid, record: post.record, author: post.author };
  }

  private async richText(text: string, maxGraphemes: number, what: string): Promise<RichText> {
    const rt = new RichText({ text });
    if (rt.graphemeLength > maxGraphemes) {
      throw new ChannelError('INVALID_REQUEST', `a Bluesky ${what} holds at most ${maxGraphemes} characters; this one has ${rt.graphemeLength}`);
    }
    try {
      await rt.detectFacets(this.agent); // links, tags, and @mentions resolved to DIDs
    } catch {
      rt.detectFacetsWithoutResolution();
    }
    return rt;
  }

  private sentResult(uri: string, cid: string, record: unknown, createdAt: number): SendResult {
    return { networkMessageId: uri, url: postUrl(uri, this.agent.session?.handle, this.webUrl), createdAt, raw: { uri, cid, value: record } };
  }

  /** Our own post stored under this key, or null. */
  private async ownPost(rkey: string): Promise<SendResult | null> {
    try {
      const res = await this.call('read', () => this.agent.com.atproto.repo.getRecord({ repo: this.did, collection: POST_COLLECTION, rkey }));
      const value = res.data.value as { createdAt?: string };
      const at = typeof value.createdAt === 'string' ? Date.parse(value.createdAt) : NaN;
      return this.sentResult(res.data.uri, res.data.cid ?? '', res.data.value, Number.isFinite(at) ? at : this.now());
    } catch (err) {
      if (err instanceof ChannelError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }

  async sendPublicReply(req: SendRequest): Promise<SendResult> {
    if (!req.inReplyTo) throw new ChannelError('INVALID_REQUEST', 'a Bluesky reply needs the post it answers');
    if (req.inReplyTo.networkMessageId.startsWith('chat:')) throw new ChannelError('INVALID_REQUEST', 'the customer wrote privately; answer with a private message, not a public post');
    await this.ensureSession();
    const parent = await this.parentPost(req.inReplyTo);
    const rt = await this.richText(req.text, POST_MAX_GRAPHEMES, 'post');
    const createdAt = this.now();
    const record = {
      $type: POST_COLLECTION,
      text: rt.text,
      ...(rt.facets?.length ? { facets: rt.facets } : {}),
      reply: replyRefFor(parent),
      createdAt: new Date(createdAt).toISOString(),
    };
    const rkey = rkeyForIdempotencyKey(req.idempotencyKey);
    try {
      const res = await this.call('write', () => this.agent.com.atproto.repo.createRecord({ repo: this.did, collection: POST_COLLECTION, rkey, record }));
      return this.sentResult(res.data.uri, res.data.cid, record, createdAt);
    } catch (err) {
      const e = toChannelError(err, 'write', this.now());
      // A record under our key already exists when an earlier attempt went through
      // (the PDS answers 500 for the duplicate key): that earlier post is the reply.
      if (e.code === 'TIMEOUT' && e.opts.status !== undefined) {
        const existing = await this.ownPost(rkey).catch(() => null);
        if (existing) return existing;
      }
      throw e;
    }
  }

  private async convoFor(req: SendRequest): Promise<string> {
    const replyTo = req.inReplyTo?.networkMessageId;
    const chatRef = replyTo ? parseChatMessageId(replyTo) : null;
    if (chatRef) return chatRef.convoId;
    // a private answer to a public post: open (or find) the chat with its author
    const did = req.recipient?.networkUserId?.startsWith('did:') ? req.recipient.networkUserId : replyTo ? parseAtUri(replyTo)?.did : undefined;
    if (!did) throw new ChannelError('INVALID_REQUEST', 'a Bluesky direct message needs a recipient (their DID)');
    const res = await this.call('read', () => this.chat.chat.bsky.convo.getConvoForMembers({ members: [did] }));
    return res.data.convo.id;
  }

  async sendPrivateMessage(req: SendRequest): Promise<SendResult> {
    if (!this.directMessages) throw new ChannelError('INVALID_REQUEST', 'direct messages are turned off for this Bluesky account (settings.directMessages)');
    await this.ensureSession();
    const rt = await this.richText(req.text, DM_MAX_GRAPHEMES, 'direct message');
    const convoId = await this.convoFor(req);
    const res = await this.call('write', () =>
      this.chat.chat.bsky.convo.sendMessage({ convoId, message: { text: rt.text, ...(rt.facets?.length ? { facets: rt.facets } : {}) } }),
    );
    const sentAt = Date.parse(res.data.sentAt);
    return {
      networkMessageId: chatMessageId(convoId, res.data.id),
      url: `${this.webUrl.replace(/\/+$/, '')}/messages/${encodeURIComponent(convoId)}`,
      createdAt: Number.isFinite(sentAt) ? sentAt : this.now(),
      raw: res.data,
    };
  }

  /**
   * Public replies: the record under the key-derived rkey. DMs carry no key, so
   * we look for our message with exactly this text in the conversation, sent
   * after the message being answered (or within the last day): at worst an
   * identical message sent twice in a row is taken as already sent.
   */
  async findSent(req: SendRequest): Promise<SendResult | null> {
    await this.ensureSession();
    if (req.visibility !== 'private') return this.ownPost(rkeyForIdempotencyKey(req.idempotencyKey));
    const convoId = await this.convoFor(req);
    const answered = req.inReplyTo?.raw as { message?: { rev?: string } } | undefined;
    const afterRev = typeof answered?.message?.rev === 'string' ? answered.message.rev : null;
    const notBefore = this.now() - 24 * 3600_000;
    const res = await this.call('read', () => this.chat.chat.bsky.convo.getMessages({ convoId, limit: 50 }));
    for (const m of res.data.messages as ChatMessageLike[]) {
      if (afterRev !== null ? m.rev <= afterRev : Date.parse(m.sentAt) < notBefore) break;
      if (m.sender?.did === this.did && m.text === req.text) {
        const sentAt = Date.parse(m.sentAt);
        return { networkMessageId: chatMessageId(convoId, m.id), createdAt: Number.isFinite(sentAt) ? sentAt : this.now(), raw: m };
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- moderation & lookups

  private ownRecordKey(networkMessageId: string): { collection: string; rkey: string } {
    const p = parseAtUri(networkMessageId);
    if (!p) throw new ChannelError('INVALID_REQUEST', `not a Bluesky record URI: ${networkMessageId}`);
    if (p.did !== this.did) throw new ChannelError('PERMISSION_DENIED', 'only the account\'s own posts can be deleted');
    return { collection: p.collection, rkey: p.rkey };
  }

  async delete(networkMessageId: string): Promise<void> {
    if (networkMessageId.startsWith('chat:')) throw new ChannelError('INVALID_REQUEST', 'Bluesky chat messages cannot be unsent (only hidden for yourself)');
    await this.ensureSession();
    const { collection, rkey } = this.ownRecordKey(networkMessageId);
    await this.call('write', () => this.agent.com.atproto.repo.deleteRecord({ repo: this.did, collection, rkey }));
  }

  /**
   * Another person's profile, for block, unblock and fetchProfile. The AppView refuses the profile
   * of an account it took down or holds deactivated with `AccountTakedown` / `AccountDeactivated`
   * (see appViewAccounts): those are the author's state, so they must not read as the brand's
   * account being unusable (AUTH_REVOKED, which would stop the channel).
   */
  private async authorProfile(actor: string) {
    const answer = await this.profileOrHidden(actor);
    if (!answer.hidden) return answer.profile;
    const state = answer.hidden === 'account_taken_down' ? 'taken down by Bluesky\'s moderation' : 'deactivated';
    throw new ChannelError('NOT_FOUND', `the author's Bluesky account is ${state}: Bluesky shows neither its profile nor its posts (${answer.error})`, { status: 400 });
  }

  /**
   * Another person's profile, or the state of their account when the AppView refuses it with
   * `AccountTakedown` / `AccountDeactivated` (APPVIEW_ACCOUNT_ERRORS). Read off getProfile's own
   * answer only: the same names from the brand's session (a login refused because the brand's
   * account is taken down) are the brand's, and come out of `call` as its errors.
   */
  private async profileOrHidden(actor: string) {
    return this.call('read', async () => {
      try {
        return { profile: await this.agent.app.bsky.actor.getProfile({ actor }) };
      } catch (err) {
        const hidden = APPVIEW_ACCOUNT_ERRORS.get(xrpcErrorName(err));
        if (hidden) return { hidden, error: xrpcErrorName(err)! };
        throw err;
      }
    });
  }

  async block(user: AuthorIdentity): Promise<void> {
    await this.ensureSession();
    const profile = await this.authorProfile(user.networkUserId);
    if (profile.data.viewer?.blocking) return; // already blocked: one block record is enough
    await this.call('write', () =>
      this.agent.com.atproto.repo.createRecord({
        repo: this.did,
        collection: 'app.bsky.graph.block',
        record: { $type: 'app.bsky.graph.block', subject: profile.data.did, createdAt: new Date(this.now()).toISOString() },
      }),
    );
  }

  async mute(user: AuthorIdentity): Promise<void> {
    await this.ensureSession();
    await this.call('write', () => this.agent.app.bsky.graph.muteActor({ actor: user.networkUserId }));
  }

  /** A block is a record in the brand's repository: unblocking deletes it (none: nothing to do). */
  async unblock(user: AuthorIdentity): Promise<void> {
    await this.ensureSession();
    const profile = await this.authorProfile(user.networkUserId);
    const uri = profile.data.viewer?.blocking;
    if (!uri) return;
    const { collection, rkey } = this.ownRecordKey(uri);
    await this.call('write', () => this.agent.com.atproto.repo.deleteRecord({ repo: this.did, collection, rkey }));
  }

  async unmute(user: AuthorIdentity): Promise<void> {
    await this.ensureSession();
    await this.call('write', () => this.agent.app.bsky.graph.unmuteActor({ actor: user.networkUserId }));
  }

  /**
   * Report to the moderation service (com.atproto.moderation.createReport, sent through the
   * account's PDS, which hands it to its moderation service): `reasonType` a
   * com.atproto.moderation.defs reason, `subject` the post as a com.atproto.repo.strongRef
   * {uri, cid} (its cid from the stored payload, else read from the AppView) or the account as a
   * com.atproto.admin.defs#repoRef {did}, `reason` the context (at most 2000 graphemes).
   */
  async reportToNetwork(req: NetworkReportRequest): Promise<NetworkReportResult> {
    await this.ensureSession();
    const reasonType = blueskyReasonType(req.reason);
    let subject: { $type: string; uri: string; cid: string } | { $type: string; did: string };
    if (req.subject === 'post') {
      if (!req.post) throw new ChannelError('INVALID_REQUEST', 'no post to report');
      const post = await this.parentPost({ networkMessageId: req.post.networkMessageId, raw: req.post.raw });
      subject = { $type: 'com.atproto.repo.strongRef', uri: post.uri, cid: post.cid };
    } else {
      if (!isDid(req.author.networkUserId)) throw new ChannelError('INVALID_REQUEST', `not a Bluesky account DID: ${req.author.networkUserId}`);
      subject = { $type: 'com.atproto.admin.defs#repoRef', did: req.author.networkUserId };
    }
    const res = await this.call('write', () => this.agent.com.atproto.moderation.createReport({ reasonType, subject, reason: [...req.comment].slice(0, 2000).join('') }));
    return { reportId: String(res.data.id), category: String(res.data.reasonType ?? reasonType) };
  }

  async like(networkMessageId: string): Promise<void> {
    await this.ensureSession();
    const res = await this.call('read', () => this.agent.app.bsky.feed.getPosts({ uris: [networkMessageId] }));
    const post = res.data.posts[0];
    if (!post) throw new ChannelError('NOT_FOUND', `the post ${networkMessageId} no longer exists`);
    if (post.viewer?.like) return;
    const subject: StrongRef = { uri: post.uri, cid: post.cid };
    await this.call('write', () =>
      this.agent.com.atproto.repo.createRecord({
        repo: this.did,
        collection: 'app.bsky.feed.like',
        record: { $type: 'app.bsky.feed.like', subject, createdAt: new Date(this.now()).toISOString() },
      }),
    );
  }

  async fetchProfile(networkUserId: string): Promise<AuthorIdentity> {
    await this.ensureSession();
    const res = await this.authorProfile(networkUserId);
    return authorOf(res.data as ProfileLike, { webUrl: this.webUrl });
  }

  async fetchThread(networkMessageId: string): Promise<NormalizedMessage[]> {
    await this.ensureSession();
    const res = await this.call('read', () => this.agent.app.bsky.feed.getPostThread({ uri: networkMessageId, depth: 10, parentHeight: 50 }));
    const out: NormalizedMessage[] = [];
    const ctx = this.ctx();
    type Node = { $type?: string; post?: PostLike; parent?: Node; replies?: Node[] };
    const kindOf = (p: PostLike): MessageKind => (p.record.reply ? 'reply' : 'post');
    const add = (n: Node | undefined) => {
      if (n?.$type === 'app.bsky.feed.defs#threadViewPost' && n.post) out.push(normalizePost(n.post, kindOf(n.post), ctx));
    };
    const root = res.data.thread as Node;
    const ancestors: Node[] = [];
    for (let p = root.parent; p; p = p.parent) ancestors.unshift(p);
    ancestors.forEach(add);
    add(root);
    const walk = (n: Node) => {
      for (const r of n.replies ?? []) {
        add(r);
        walk(r);
      }
    };
    walk(root);
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }
}

export const createChannel: ChannelFactory = (account, deps) => new BlueskyChannel(account, deps);

/**
 * A post that mentions the account (a mention facet), answers one of its posts (reply parent or
 * root) or quotes one (a record embed): the AppView notifies the account of it.
 */
function tagsAccount(raw: unknown, ownDid: string): boolean {
  const record = (raw as { record?: Record<string, unknown> } | null)?.record;
  if (!record || typeof record !== 'object' || !ownDid) return false;
  const own = (uri: unknown) => typeof uri === 'string' && uri.startsWith(`at://${ownDid}/`);
  const facets = Array.isArray(record.facets) ? (record.facets as { features?: unknown }[]) : [];
  if (facets.some((f) => Array.isArray(f?.features) && (f.features as { $type?: unknown; did?: unknown }[]).some((x) => x?.$type === 'app.bsky.richtext.facet#mention' && x.did === ownDid))) return true;
  const reply = replyRefOf(record);
  if (reply && (own(reply.parent.uri) || own(reply.root.uri))) return true;
  const embed = record.embed as { record?: { uri?: unknown; record?: { uri?: unknown } } } | undefined;
  return !!embed && (own(embed.record?.uri) || own(embed.record?.record?.uri));
}

/**
 * Parley's report reason as a com.atproto.moderation.defs reason type: reasonSpam (unwanted
 * promotion), reasonRude (rude, harassing), reasonMisleading (misleading identity or affiliation:
 * impersonation), reasonSexual, reasonViolation (server rules, laws, terms of service), reasonOther.
 */
export function blueskyReasonType(reason: NetworkReportReason): string {
  const name = { spam: 'reasonSpam', abuse: 'reasonRude', impersonation: 'reasonMisleading', sexual: 'reasonSexual', violation: 'reasonViolation', legal: 'reasonViolation', other: 'reasonOther' }[reason];
  return `com.atproto.moderation.defs#${name}`;
}
