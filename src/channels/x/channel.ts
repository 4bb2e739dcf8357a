/**
 * The X connector (API v2 through twitter-api-v2, OAuth 1.0a user context or an OAuth 2.0
 * user access token).
 *  - Ingest: the Account Activity API webhook (mentions, replies, DMs, in real time) and
 *    polling as catch-up — mentions timeline (`since_id` + `pagination_token`), DM events,
 *    and recent search for `settings.keywords` (listening).
 *  - Send: replies (`reply.in_reply_to_tweet_id`), one-to-one DMs, hide replies,
 *    block/mute, like, delete our own posts.
 *  - Deleted and hidden posts: the periodic check (`presenceOf`, ./gone.ts) reads stored posts
 *    back: deleted ones are redacted, withheld ones or those of suspended, deactivated or
 *    protected accounts are marked hidden.
 *  - At-most-once: X has no idempotency key. After an ambiguous failure `findSent` looks
 *    through our recent posts (or the DM conversation) for the same text answering the
 *    same post; X's own duplicate-content refusal is a second net.
 * Credentials: `apiKey`, `apiSecret` (consumer key/secret), `accessToken`, `accessSecret`
 * (OAuth 1.0a), or `oauth2AccessToken` (OAuth 2.0 user context; `apiSecret` still needed
 * for webhooks). Settings: `apiBaseUrl` (default https://api.x.com), `requestTimeoutMs`,
 * `keywords` (string or list), `excludeKeywords` (listening exclusions: `-word` in the query, and
 * checked again on each hit; never applied to a post that tags the account),
 * `pollDirectMessages` (default true), `pageSize`.
 */
import { Agent as HttpAgent } from 'node:http';
import { TwitterApi } from 'twitter-api-v2';
import { measure } from '../../core/textLength.js';
import type { AuthorIdentity, NormalizedMessage } from '../../core/types.js';
import { postPresence } from './gone.js';
import {
  ChannelError,
  type Capabilities,
  type GoneContext,
  type PresenceReport,
  type Channel,
  type ChannelAccountConfig,
  type ChannelDeps,
  type SendRequest,
  type SendResult,
  type SyncResult,
  type WebhookRequest,
  type WebhookResult,
} from '../types.js';
import { normalizeItem, type RejectedItem } from '../errorPolicy.js';
import { isDuplicateContent, mapXError, type XOperation } from './errors.js';
import {
  authorFromV2,
  idGt,
  matchesSent,
  maxId,
  normalizeV2DmEvent,
  normalizeV2Tweet,
  postUrl,
  postedText,
  sentText,
  type DmEventV2Like,
  type IncludesV2Like,
  type TweetV2Like,
  type XAccountRef,
} from './normalize.js';
import { handleXWebhook } from './webhook.js';
import { listeningQuery } from './query.js';
import { keepsListeningHit, prepareExclusions } from '../../core/listeningExclusion.js';

export { listeningQuery, listeningTerm, X_QUERY_MAX } from './query.js';

export const X_DEFAULT_API = 'https://api.x.com';

const TWEET_FIELDS = 'created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,entities,note_tweet';
const USER_FIELDS = 'name,username,verified,public_metrics,profile_image_url';
const TWEET_EXPANSIONS = 'author_id,referenced_tweets.id,in_reply_to_user_id';
const DM_FIELDS = 'id,text,event_type,created_at,sender_id,dm_conversation_id,participant_ids';

const CAPABILITIES: Capabilities = {
  publicReply: true,
  privateMessage: true,
  hide: true,
  // DELETE /2/tweets/:id deletes only posts the authenticated account owns; moderation is of what others post
  delete: 'X deletes only the account\'s own posts, never someone else\'s: hide the reply (in a conversation the brand started), or block or mute the author',
  block: true,
  mute: true,
  like: true,
  fetchProfile: true,
  fetchThread: true,
  search: true,
  webhook: true,
  poll: true,
  stream: 'X has no per-account stream (filtered stream is app-wide); the Account Activity webhook delivers in real time',
};

/** Position of one newest-first list: everything up to `since` is done; `token` pages further back. */
interface StreamCursor {
  since?: string;
  /** The first run (one page of backfill) is done: from now on page back until `since`. */
  done?: boolean;
  token?: string;
  /** Newest id seen while paging back; becomes `since` once the gap is closed. */
  top?: string;
}

interface XCursor {
  v: 1;
  mentions?: StreamCursor;
  dms?: StreamCursor;
  search?: StreamCursor;
  /** The query the search position belongs to (changing keywords restarts listening). */
  q?: string;
}

/** The few HTTP verbs we use, on twitter-api-v2's v2 client, against the configured base URL. */
interface XHttp {
  get<T = any>(path: string, query?: Record<string, string>): Promise<T>;
  post<T = any>(path: string, body: Record<string, unknown>): Promise<T>;
  put<T = any>(path: string, body: Record<string, unknown>): Promise<T>;
  delete<T = any>(path: string): Promise<T>;
}

interface Page<T> {
  items: T[];
  includes?: IncludesV2Like;
  nextToken?: string;
}

function parseCursor(cursor: string | null): XCursor {
  if (!cursor) return { v: 1 };
  // a bare id (older cursor, or set by hand) means "mentions since this id"
  if (/^\d+$/.test(cursor)) return { v: 1, mentions: { since: cursor } };
  try {
    const c = JSON.parse(cursor) as XCursor;
    if (c && c.v === 1) return c;
  } catch {
    /* fall through */
  }
  throw new ChannelError('CURSOR_INVALID', 'the stored X sync position is not one this connector wrote');
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function keywordsOf(settings: Record<string, unknown>, setting = 'keywords'): string[] {
  const k = settings[setting];
  const list = Array.isArray(k) ? k : typeof k === 'string' ? k.split(/[\n,]/) : [];
  return list.map((x) => String(x).trim()).filter(Boolean);
}

/**
 * A post that tags the account: mentions it, replies to it or quotes one of its posts. X brings it
 * on the mentions timeline as well; listening exclusions never drop it (a direct care item).
 */
function tagsAccount(m: NormalizedMessage, me: XAccountRef): boolean {
  const raw = m.raw as { data?: TweetV2Like & { entities?: { mentions?: { id?: string; username?: string }[] } }; includes?: IncludesV2Like } | null;
  const t = raw?.data;
  if (!t) return false;
  if (t.in_reply_to_user_id === me.userId) return true;
  const handle = me.username.toLowerCase();
  if (t.entities?.mentions?.some((x) => x?.id === me.userId || (!!handle && x?.username?.toLowerCase() === handle))) return true;
  if (raw?.includes?.tweets?.some((q) => q?.author_id === me.userId)) return true;
  // without entities (a payload that left them out): an @handle in the text as written
  return !!handle && new RegExp(`(^|[^\\w@])@${handle.replace(/\W/g, '')}(?!\\w)`, 'i').test(m.text);
}

export class XChannel implements Channel {
  readonly network = 'x' as const;
  readonly capabilities = CAPABILITIES;
  // PUT /2/tweets/:id/hidden hides replies in conversations the account started; a post that is no reply is never one
  readonly hidesOnlyReplies = 'X hides only replies in a conversation the brand\'s account started, and this post is not a reply: block or mute the author instead';
  private readonly http: XHttp | null;
  private readonly consumerSecret: string | null;
  private readonly agent: HttpAgent | undefined;
  private me: XAccountRef | null = null;
  private readonly pageSize: number;

  constructor(private readonly account: ChannelAccountConfig, private readonly deps: ChannelDeps) {
    const c = account.credentials ?? {};
    const s = account.settings ?? {};
    const base = (str(s.apiBaseUrl) ?? X_DEFAULT_API).replace(/\/+$/, '');
    const timeout = typeof s.requestTimeoutMs === 'number' && s.requestTimeoutMs > 0 ? s.requestTimeoutMs : 20_000;
    this.pageSize = typeof s.pageSize === 'number' ? Math.min(100, Math.max(10, Math.floor(s.pageSize))) : 100;
    this.consumerSecret = str(c.apiSecret) ?? null;
    // twitter-api-v2 speaks node:https; a plain-HTTP base (a contract server) needs an http agent
    this.agent = base.startsWith('http:') ? new HttpAgent({ keepAlive: true }) : undefined;
    const settings = {
      ...(this.agent ? { httpAgent: this.agent } : {}),
      // every request gets a socket timeout, so a hung write surfaces as TIMEOUT
      plugins: [{ onBeforeRequestConfig: (args: { params: { timeout?: number } }) => void (args.params.timeout ??= timeout) }],
    };
    let client: TwitterApi | null = null;
    const [apiKey, accessToken, accessSecret, oauth2] = [str(c.apiKey), str(c.accessToken), str(c.accessSecret), str(c.oauth2AccessToken)];
    if (apiKey && this.consumerSecret && accessToken && accessSecret) {
      client = new TwitterApi({ appKey: apiKey, appSecret: this.consumerSecret, accessToken, accessSecret }, settings);
    } else if (oauth2) {
      client = new TwitterApi(oauth2, settings);
    }
    if (client) {
      const v2 = client.v2;
      const prefix = `${base}/2/`;
      this.http = {
        get: (path, query) => v2.get(path, query, { prefix }),
        post: (path, body) => v2.post(path, body, { prefix, forceBodyMode: 'json' }),
        put: (path, body) => v2.put(path, body, { prefix, forceBodyMode: 'json' }),
        delete: (path) => v2.delete(path, undefined, { prefix }),
      };
    } else {
      this.http = null;
    }
    const id = str(account.externalId);
    if (id && /^\d+$/.test(id)) this.me = { userId: id, username: account.handle.replace(/^@/, '') };
  }

  private api(): XHttp {
    if (!this.http) throw new ChannelError('AUTH_REVOKED', 'the X account has no usable credentials (apiKey, apiSecret, accessToken, accessSecret — or oauth2AccessToken)');
    return this.http;
  }

  private async call<T>(op: XOperation, what: string, fn: (api: XHttp) => Promise<T>): Promise<T> {
    const api = this.api();
    try {
      return await fn(api);
    } catch (err) {
      throw mapXError(err, op, what);
    }
  }

  /** The account's numeric id: `externalId`, or asked once from GET /2/users/me. */
  private async self(): Promise<XAccountRef> {
    if (this.me) return this.me;
    const r = await this.call('read', 'look up the connected account', (api) => api.get<{ data: { id: string; username: string } }>('users/me'));
    this.me = { userId: r.data.id, username: r.data.username };
    return this.me;
  }

  // ---- ingest ----------------------------------------------------------------

  handleWebhook(req: WebhookRequest): WebhookResult {
    const me = this.me ?? { userId: this.account.externalId, username: this.account.handle };
    return handleXWebhook(req, this.consumerSecret, me, this.deps.now());
  }

  async sync(cursor: string | null): Promise<SyncResult> {
    const state = parseCursor(cursor);
    const me = await this.self();
    const now = this.deps.now();
    const messages: NormalizedMessage[] = [];
    const rejected: RejectedItem[] = [];
    let more = false;

    // each item normalized on its own: one that cannot be read is rejected with the reason
    // (kept in quarantine) and the page, its cursor and the items around it go on
    const m = await this.step(state.mentions, (since, token) => this.mentionsPage(me, since, token), true);
    m.items.forEach((t, i) => pushIf(messages, normalizeItem(rejected, t, `mentions timeline post ${t.id ?? i}`, () => normalizeV2Tweet(t, m.includes, me, { now }))));
    state.mentions = m.state;
    more ||= m.more;

    if (this.account.settings?.pollDirectMessages !== false) {
      const d = await this.step(state.dms, (_since, token) => this.dmPage(token), false);
      d.items.forEach((ev, i) => pushIf(messages, normalizeItem(rejected, ev, `DM event ${ev.id ?? i}`, () => normalizeV2DmEvent(ev, d.includes, me, { now }))));
      state.dms = d.state;
      more ||= d.more;
    }

    const excluded = keywordsOf(this.account.settings ?? {}, 'excludeKeywords');
    const q = listeningQuery(keywordsOf(this.account.settings ?? {}), me.username, excluded);
    if (q) {
      if (state.q !== q) state.search = undefined;
      const s = await this.step(state.search, (since, token) => this.searchPage(q, since, token), true);
      // X leaves the exclusions out already; checked again for what the query could not carry
      const exclusions = prepareExclusions(excluded);
      const keep = (m: NormalizedMessage | null) => (m && keepsListeningHit(m.text, tagsAccount(m, me), exclusions) ? m : null);
      s.items.forEach((t, i) => pushIf(messages, keep(normalizeItem(rejected, t, `search result post ${t.id ?? i}`, () => normalizeV2Tweet(t, s.includes, me, { now, kind: 'listening' })))));
      state.search = s.state;
      state.q = q;
      more ||= s.more;
    }
    return { messages, cursor: JSON.stringify(state), more, ...(rejected.length ? { rejected } : {}) };
  }

  async search(query: string, cursor: string | null): Promise<SyncResult> {
    const me = await this.self();
    const prev: StreamCursor | undefined = cursor ? (JSON.parse(cursor) as StreamCursor) : undefined;
    const s = await this.step(prev, (since, token) => this.searchPage(query, since, token), true);
    const now = this.deps.now();
    const messages: NormalizedMessage[] = [];
    const rejected: RejectedItem[] = [];
    s.items.forEach((t, i) => pushIf(messages, normalizeItem(rejected, t, `search result post ${t.id ?? i}`, () => normalizeV2Tweet(t, s.includes, me, { now, kind: 'listening' }))));
    return { messages, cursor: JSON.stringify(s.state), more: s.more, ...(rejected.length ? { rejected } : {}) };
  }

  /**
   * One page of a newest-first list. With a known `since`, keep paging back until the
   * page reaches it (then `since` moves to the newest id seen); the first run takes one
   * page only (a backfill of the most recent items, not the whole history).
   */
  private async step<T extends { id?: string }>(prev: StreamCursor | undefined, fetch: (since: string | undefined, token: string | undefined) => Promise<Page<T>>, serverFiltersSince: boolean) {
    const since = prev?.since;
    const page = await fetch(since, prev?.token);
    const items = page.items.filter((i) => i.id && (since === undefined || idGt(i.id, since)));
    const top = maxId([prev?.top, ...items.map((i) => i.id)]);
    const reached = since !== undefined && !serverFiltersSince && page.items.some((i) => i.id && !idGt(i.id, since));
    const backfilled = prev?.done === true || since !== undefined;
    if (backfilled && page.nextToken && !reached) {
      return { items, includes: page.includes, state: { since, done: true, token: page.nextToken, top } as StreamCursor, more: true };
    }
    return { items, includes: page.includes, state: { since: top ?? since, done: true } as StreamCursor, more: false };
  }

  private async mentionsPage(me: XAccountRef, since: string | undefined, token: string | undefined): Promise<Page<TweetV2Like>> {
    const query: Record<string, string> = { max_results: String(this.pageSize), expansions: TWEET_EXPANSIONS, 'tweet.fields': TWEET_FIELDS, 'user.fields': USER_FIELDS };
    if (since) query.since_id = since;
    if (token) query.pagination_token = token;
    const r = await this.call('read', 'read mentions', (api) => api.get<any>(`users/${me.userId}/mentions`, query));
    return { items: Array.isArray(r?.data) ? r.data : [], includes: r?.includes, nextToken: r?.meta?.next_token };
  }

  private async dmPage(token: string | undefined): Promise<Page<DmEventV2Like>> {
    const query: Record<string, string> = { max_results: String(this.pageSize), event_types: 'MessageCreate', 'dm_event.fields': DM_FIELDS, expansions: 'sender_id', 'user.fields': USER_FIELDS };
    if (token) query.pagination_token = token;
    const r = await this.call('read', 'read direct messages', (api) => api.get<any>('dm_events', query));
    return { items: Array.isArray(r?.data) ? r.data : [], includes: r?.includes, nextToken: r?.meta?.next_token };
  }

  private async searchPage(q: string, since: string | undefined, token: string | undefined): Promise<Page<TweetV2Like>> {
    const query: Record<string, string> = { query: q, max_results: String(Math.max(10, this.pageSize)), expansions: TWEET_EXPANSIONS, 'tweet.fields': TWEET_FIELDS, 'user.fields': USER_FIELDS };
    if (since) query.since_id = since;
    if (token) query.next_token = token;
    const r = await this.call('read', 'search recent posts', (api) => api.get<any>('tweets/search/recent', query));
    return { items: Array.isArray(r?.data) ? r.data : [], includes: r?.includes, nextToken: r?.meta?.next_token };
  }

  // ---- send ------------------------------------------------------------------

  async sendPublicReply(req: SendRequest): Promise<SendResult> {
    const m = measure('x', req.text);
    if (m.over) throw new ChannelError('INVALID_REQUEST', `the reply is ${m.length} of ${m.limit} weighted characters on X; shorten it or split it into a thread`);
    if (!req.text.trim()) throw new ChannelError('INVALID_REQUEST', 'an X post needs text');
    const me = await this.self();
    const body: Record<string, unknown> = { text: req.text };
    if (req.inReplyTo?.networkMessageId) body.reply = { in_reply_to_tweet_id: req.inReplyTo.networkMessageId };
    let r: any;
    try {
      r = await this.api().post('tweets', body);
    } catch (err) {
      // X refuses a post identical to a recent one: if that one is ours and answers the same post, it went out
      if (isDuplicateContent(err)) {
        const found = await this.findSent(req);
        if (found) return found;
      }
      throw mapXError(err, 'write', 'post the reply');
    }
    const id = String(r?.data?.id ?? '');
    if (!id) throw new ChannelError('TIMEOUT', 'X accepted the post but returned no id');
    return { networkMessageId: id, url: postUrl(me.username, id), createdAt: this.deps.now(), raw: r };
  }

  async sendPrivateMessage(req: SendRequest): Promise<SendResult> {
    const participant = this.participantOf(req);
    if (!req.text.trim()) throw new ChannelError('INVALID_REQUEST', 'an X direct message needs text');
    let r: any;
    try {
      r = await this.api().post(`dm_conversations/with/${encodeURIComponent(participant)}/messages`, { text: req.text });
    } catch (err) {
      throw mapXError(err, 'write', 'send the direct message');
    }
    const id = String(r?.data?.dm_event_id ?? '');
    if (!id) throw new ChannelError('TIMEOUT', 'X accepted the direct message but returned no event id');
    return { networkMessageId: id, url: null, createdAt: this.deps.now(), raw: r };
  }

  private participantOf(req: SendRequest): string {
    const id = req.recipient?.networkUserId;
    if (id && /^\d+$/.test(id)) return id;
    throw new ChannelError('INVALID_REQUEST', 'a direct message on X needs the recipient\'s numeric user id');
  }

  /**
   * Is this request already on X? Public: among our latest posts, one answering the same
   * post with the same text (t.co links expanded, HTML escapes undone). Private: a message
   * from us with the same text in the DM conversation with the recipient.
   * Residual risk: an agent deliberately sending the exact same text to the same post (or
   * person) twice within the window is taken as already sent.
   */
  async findSent(req: SendRequest): Promise<SendResult | null> {
    const me = await this.self();
    const want = sentText(req.text);
    if (req.visibility === 'private') {
      const participant = this.participantOf(req);
      const r = await this.call('read', 'look for the direct message', (api) =>
        api.get<any>(`dm_conversations/with/${encodeURIComponent(participant)}/dm_events`, { max_results: '50', event_types: 'MessageCreate', 'dm_event.fields': DM_FIELDS }),
      );
      const hit = (Array.isArray(r?.data) ? (r.data as DmEventV2Like[]) : []).find((e) => e.sender_id === me.userId && postedText(String(e.text ?? '')) === want);
      return hit?.id ? { networkMessageId: hit.id, url: null, createdAt: hit.created_at ? Date.parse(hit.created_at) : undefined, raw: { data: hit } } : null;
    }
    const parent = req.inReplyTo?.networkMessageId ?? null;
    const r = await this.call('read', 'look for the post', (api) =>
      api.get<any>(`users/${me.userId}/tweets`, { max_results: '100', exclude: 'retweets', 'tweet.fields': 'created_at,referenced_tweets,entities,note_tweet,conversation_id' }),
    );
    const hit = (Array.isArray(r?.data) ? (r.data as TweetV2Like[]) : []).find((t) => {
      const repliedTo = t.referenced_tweets?.find((x) => x?.type === 'replied_to')?.id ?? null;
      if (repliedTo !== parent) return false;
      return matchesSent(postedText(String(t.note_tweet?.text ?? t.text ?? ''), t.entities?.urls), want);
    });
    return hit?.id ? { networkMessageId: hit.id, url: postUrl(me.username, hit.id), createdAt: hit.created_at ? Date.parse(hit.created_at) : undefined, raw: { data: hit } } : null;
  }

  // ---- deletions and hidden posts ------------------------------------------------

  /**
   * The sync worker's check for deleted and hidden posts (./gone.ts): at most 25 posts an hour.
   * Every post X returns counts against the app's monthly read cap (a few thousand to tens of
   * thousands of posts on the self-serve tiers) and `GET /2/tweets` has a small 15-minute window;
   * the webhook's `tweet_delete_events` already carry most deletions, so this is the backstop.
   * 25 an hour is at most ~18,000 posts a month, fewer when fewer posts are open and recent.
   */
  readonly goneCheck = { everyMs: 3_600_000, max: 25 };

  async goneFrom(networkMessageIds: readonly string[], known?: GoneContext): Promise<string[]> {
    return (await this.presenceOf(networkMessageIds, known)).gone;
  }

  /** Which stored posts X no longer has, which it keeps but does not show (and why), and which it shows (./gone.ts). */
  presenceOf(networkMessageIds: readonly string[], known?: GoneContext): Promise<PresenceReport> {
    return postPresence((path, query, what) => this.call('read', what, (api) => api.get<unknown>(path, query)), networkMessageIds, known);
  }

  // ---- moderation and lookups ------------------------------------------------

  async hide(networkMessageId: string, hidden: boolean): Promise<void> {
    await this.call('write', hidden ? 'hide the reply' : 'unhide the reply', (api) => api.put(`tweets/${encodeURIComponent(networkMessageId)}/hidden`, { hidden }));
  }

  async delete(networkMessageId: string): Promise<void> {
    await this.call('write', 'delete the post', (api) => api.delete(`tweets/${encodeURIComponent(networkMessageId)}`));
  }

  async block(user: AuthorIdentity): Promise<void> {
    const me = await this.self();
    await this.call('write', 'block the user', (api) => api.post(`users/${me.userId}/blocking`, { target_user_id: user.networkUserId }));
  }

  async mute(user: AuthorIdentity): Promise<void> {
    const me = await this.self();
    await this.call('write', 'mute the user', (api) => api.post(`users/${me.userId}/muting`, { target_user_id: user.networkUserId }));
  }

  async unblock(user: AuthorIdentity): Promise<void> {
    const me = await this.self();
    await this.call('write', 'unblock the user', (api) => api.delete(`users/${me.userId}/blocking/${encodeURIComponent(user.networkUserId)}`));
  }

  async unmute(user: AuthorIdentity): Promise<void> {
    const me = await this.self();
    await this.call('write', 'unmute the user', (api) => api.delete(`users/${me.userId}/muting/${encodeURIComponent(user.networkUserId)}`));
  }

  async like(networkMessageId: string): Promise<void> {
    const me = await this.self();
    await this.call('write', 'like the post', (api) => api.post(`users/${me.userId}/likes`, { tweet_id: networkMessageId }));
  }

  async fetchProfile(networkUserId: string): Promise<AuthorIdentity> {
    const r = await this.call('read', 'look up the user', (api) => api.get<any>(`users/${encodeURIComponent(networkUserId)}`, { 'user.fields': USER_FIELDS }));
    if (!r?.data) throw new ChannelError('NOT_FOUND', `X has no user ${networkUserId}`);
    return authorFromV2(networkUserId, r.data);
  }

  /** The conversation a post belongs to: its root and the replies recent search still sees (last 7 days). */
  async fetchThread(networkMessageId: string): Promise<NormalizedMessage[]> {
    const me = await this.self();
    const now = this.deps.now();
    const q = { expansions: TWEET_EXPANSIONS, 'tweet.fields': TWEET_FIELDS, 'user.fields': USER_FIELDS };
    const r = await this.call('read', 'read the post', (api) => api.get<any>(`tweets/${encodeURIComponent(networkMessageId)}`, q));
    const post = r?.data as TweetV2Like | undefined;
    if (!post) throw new ChannelError('NOT_FOUND', `X has no post ${networkMessageId}`);
    const conversation = post.conversation_id ?? post.id!;
    const out: NormalizedMessage[] = [];
    // a lookup for display: a post in the thread that cannot be read is left out, not the whole thread
    const skipped: RejectedItem[] = [];
    if (conversation !== post.id) {
      const root = await this.call('read', 'read the thread root', (api) => api.get<any>(`tweets/${encodeURIComponent(conversation)}`, q)).catch(() => null);
      if (root?.data) pushIf(out, normalizeItem(skipped, root.data, 'thread root', () => normalizeV2Tweet(root.data, root.includes, me, { now })));
    }
    const s = await this.call('read', 'read the thread', (api) => api.get<any>('tweets/search/recent', { ...q, query: `conversation_id:${conversation}`, max_results: '100' }));
    for (const t of Array.isArray(s?.data) ? s.data : []) pushIf(out, normalizeItem(skipped, t, 'thread reply', () => normalizeV2Tweet(t, s.includes, me, { now })));
    pushIf(out, normalizeItem(skipped, post, 'thread post', () => normalizeV2Tweet(post, r.includes, me, { now })));
    const unique = new Map(out.map((m) => [m.networkMessageId, m]));
    return [...unique.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  async close(): Promise<void> {
    this.agent?.destroy();
  }
}

function pushIf(list: NormalizedMessage[], m: NormalizedMessage | null) {
  if (m) list.push(m);
}
