/**
 * XContractServer: a local stand-in for api.x.com, faithful to the documented X API v2
 * (docs.x.com, "X API v2" reference and data dictionary) for the endpoints Parley's X
 * connector uses, plus the Account Activity API webhook it would send. Real clients
 * (twitter-api-v2) talk to it over HTTP on 127.0.0.1.
 *
 * Implemented, with the documented request and response shapes:
 *  - GET  /2/users/me, /2/users/:id, /2/users/:id/mentions (since_id, pagination_token,
 *         max_results 5–100, expansions author_id / referenced_tweets.id / in_reply_to_user_id),
 *         /2/users/:id/tweets, /2/tweets/:id, /2/tweets/search/recent (a subset of the query
 *         language: terms, "phrases", OR, -is:retweet, from:/-from:, conversation_id:, negated
 *         -keyword / -#hashtag / -"phrase")
 *  - GET  /2/tweets?ids= (1–100 ids; `withheld` {copyright, country_codes, scope} in tweet.fields)
 *         and /2/users?ids= (1–100): what can be shown is in `data`, the rest in `errors` as X
 *         answers them with HTTP 200 — a deleted post, or one whose author is suspended or
 *         deactivated, "Could not find tweet with ids: [id]." (resource-not-found); a protected
 *         author's post "Sorry, you are not authorized to see the Tweet with ids: [id]."
 *         (not-authorized-for-resource); a suspended user "User has been suspended: [id]."
 *         (title Forbidden, type resource-not-found), a deactivated one "Could not find user
 *         with ids: [id]."
 *  - POST /2/tweets (text, reply.in_reply_to_tweet_id) → 201 {data:{id,text,edit_history_tweet_ids}};
 *         403 "duplicate content" for the same text twice; replies carry the auto-populated
 *         leading @mention in `text`, as X shows them
 *  - DELETE /2/tweets/:id, PUT /2/tweets/:id/hidden {hidden}
 *  - POST /2/dm_conversations/with/:participant_id/messages {text} → 201 {data:{dm_conversation_id,dm_event_id}}
 *  - GET  /2/dm_events, /2/dm_conversations/with/:participant_id/dm_events (event fields on request)
 *  - POST /2/users/:id/blocking, /2/users/:id/muting {target_user_id}, /2/users/:id/likes {tweet_id}
 *  - fields are returned only when asked for (tweet.fields, user.fields, dm_event.fields),
 *    text HTML-escapes & < > and URLs are wrapped in t.co links with entities.urls;
 *  - auth: OAuth 1.0a HMAC-SHA1 signatures are verified (RFC 5849) or an OAuth 2.0 user
 *    token; revoked credentials → 401 problem JSON;
 *  - every response carries x-rate-limit-limit/remaining/reset; exhausted windows → 429.
 * Test controls: make customers post mentions and DMs (emitting the signed Account
 * Activity delivery X would send: `tweet_create_events` v1.1 Tweet objects,
 * `direct_message_events` with a `users` map, `x-twitter-webhooks-signature`), fail the
 * next write or read (429 with reset, 401, 503, accept-then-hang), revoke credentials,
 * run X's CRC against a webhook URL; suspend, deactivate or protect an account, withhold a post
 * in some countries, answer the next read with a malformed body.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface XUser {
  id: string;
  username: string;
  name: string;
  followers: number;
  verified: boolean;
  createdAt: number;
}

interface StoredTweet {
  id: string;
  authorId: string;
  /** What the author typed. */
  typed: string;
  /** What X shows: leading reply mentions added, URLs wrapped in t.co (unescaped). */
  shown: string;
  urls: { start: number; end: number; url: string; expanded_url: string; display_url: string }[];
  createdAt: number;
  inReplyToTweetId: string | null;
  inReplyToUserId: string | null;
  conversationId: string;
  hidden: boolean;
  deleted: boolean;
}

interface StoredDm {
  id: string;
  senderId: string;
  recipientId: string;
  text: string;
  createdAt: number;
  conversationId: string;
}

export type XFailMode = 'rate_limit' | 'auth_revoked' | 'server_error' | 'timeout_after_accept';

export interface XWebhookDelivery {
  body: Buffer;
  headers: Record<string, string>;
  /** Status our webhook answered, when delivered over HTTP. */
  status?: number;
}

const TWITTER_EPOCH = 1288834974657n;

/** RFC 3986 percent-encoding, as OAuth 1.0a requires. */
function pct(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** v1.1 date format: "Wed Oct 10 20:19:24 +0000 2018". */
function v1Date(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 ${d.getUTCFullYear()}`;
}

function big(a: string): bigint {
  return BigInt(a);
}

export class XContractServer {
  readonly consumerKey = `ck_${randomBytes(8).toString('hex')}`;
  readonly consumerSecret = `cs_${randomBytes(16).toString('hex')}`;
  readonly accessToken: string;
  readonly accessSecret = `as_${randomBytes(16).toString('hex')}`;
  readonly oauth2Token = `o2_${randomBytes(16).toString('hex')}`;
  readonly brand: XUser;
  /** Where to POST Account Activity deliveries; when unset they wait in `pending`. */
  webhookUrl: string | null = null;
  /** Enterprise tier has block/unblock; self-serve answers 403 client-forbidden. */
  tier: 'enterprise' | 'self-serve' = 'enterprise';
  /** Seconds until a rate-limit window resets when a 429 is forced. */
  rateLimitResetS = 60;
  readonly requests: { method: string; path: string; status: number }[] = [];
  readonly pending: XWebhookDelivery[] = [];
  readonly delivered: XWebhookDelivery[] = [];

  private server!: Server;
  private seq = 0n;
  private readonly users = new Map<string, XUser>();
  private readonly tweets: StoredTweet[] = [];
  private readonly dms: StoredDm[] = [];
  private readonly blocks = new Set<string>();
  private readonly mutes = new Set<string>();
  private readonly likes = new Set<string>();
  private readonly failWrites: XFailMode[] = [];
  private readonly failReads: XFailMode[] = [];
  private revoked = false;
  private readonly windows = new Map<string, { remaining: number; reset: number }>();
  private readonly hung = new Set<ServerResponse>();
  /** Posts the API shows with some fields replaced (see `corruptPost`). */
  private readonly corrupted = new Map<string, Record<string, unknown>>();
  /** Account states set by X (suspended), by the user (deactivated, protected). */
  private readonly suspended = new Set<string>();
  private readonly deactivated = new Set<string>();
  private readonly protectedUsers = new Set<string>();
  /** Posts withheld, by id: the `withheld` object X shows. */
  private readonly withheld = new Map<string, { copyright: boolean; country_codes: string[]; scope: 'tweet' | 'user' }>();
  /** The next GET answers 200 with this body verbatim (a broken answer). */
  private malformedNext: { body: string; path: string | null } | null = null;
  url = '';

  private constructor() {
    this.brand = this.addUser({ username: 'AcmeCare', name: 'Acme Care', followers: 52_000, verified: true });
    this.accessToken = `${this.brand.id}-${randomBytes(12).toString('hex')}`;
  }

  static async start(): Promise<XContractServer> {
    const s = new XContractServer();
    s.server = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.hung.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Credentials for the brand account, as the connector expects them. */
  credentials(kind: 'oauth1' | 'oauth2' = 'oauth1'): Record<string, string> {
    return kind === 'oauth1'
      ? { apiKey: this.consumerKey, apiSecret: this.consumerSecret, accessToken: this.accessToken, accessSecret: this.accessSecret }
      : { oauth2AccessToken: this.oauth2Token, apiSecret: this.consumerSecret };
  }

  // ---- the world -------------------------------------------------------------

  private nextId(): string {
    const ms = BigInt(Date.now()) - TWITTER_EPOCH;
    this.seq++;
    return ((ms << 22n) | (this.seq & 0x3fffffn)).toString();
  }

  addUser(u: { username: string; name?: string; followers?: number; verified?: boolean }): XUser {
    const user: XUser = { id: this.nextId(), username: u.username, name: u.name ?? u.username, followers: u.followers ?? 10, verified: u.verified ?? false, createdAt: Date.now() - 86_400_000 * 400 };
    this.users.set(user.id, user);
    return user;
  }

  user(id: string): XUser | undefined {
    return this.users.get(id);
  }

  /** Wrap every URL in a t.co link, as X does, and record the entities. */
  private shorten(text: string) {
    const urls: StoredTweet['urls'] = [];
    let out = '';
    let last = 0;
    for (const m of text.matchAll(/https?:\/\/[^\s]+/g)) {
      out += text.slice(last, m.index);
      const tco = `https://t.co/${createHash('sha1').update(m[0]).digest('base64url').slice(0, 10)}`;
      urls.push({ start: [...out].length, end: [...out].length + tco.length, url: tco, expanded_url: m[0], display_url: m[0].replace(/^https?:\/\//, '').slice(0, 26) });
      out += tco;
      last = m.index! + m[0].length;
    }
    return { shown: out + text.slice(last), urls };
  }

  private createTweet(author: XUser, text: string, inReplyTo: StoredTweet | null): StoredTweet {
    const id = this.nextId();
    // X auto-populates the reply's leading @mention of the author answered
    const prefix = inReplyTo && inReplyTo.authorId !== author.id ? `@${this.users.get(inReplyTo.authorId)!.username} ` : '';
    const typedWithPrefix = prefix && !text.toLowerCase().startsWith(prefix.trim().toLowerCase()) ? prefix + text : text;
    const { shown, urls } = this.shorten(typedWithPrefix);
    const t: StoredTweet = {
      id, authorId: author.id, typed: text, shown, urls, createdAt: Date.now(),
      inReplyToTweetId: inReplyTo?.id ?? null, inReplyToUserId: inReplyTo?.authorId ?? null, conversationId: inReplyTo?.conversationId ?? id, hidden: false, deleted: false,
    };
    this.tweets.push(t);
    return t;
  }

  /** A customer posts a public mention of the brand (or a reply to `inReplyTo`); X then sends the webhook. */
  async postMention(text: string, opts: { author?: XUser; inReplyTo?: string } = {}): Promise<string> {
    const author = opts.author ?? this.addUser({ username: `customer${this.users.size}`, name: `Customer ${this.users.size}`, followers: 120 });
    const parent = opts.inReplyTo ? this.tweets.find((t) => t.id === opts.inReplyTo) ?? null : null;
    const t = this.createTweet(author, text, parent);
    await this.emit({ for_user_id: this.brand.id, user_has_blocked: 'false', tweet_create_events: [this.tweetV1(t)] });
    return t.id;
  }

  /** A customer sends the brand a direct message; X then sends the webhook. */
  async sendDmToBrand(text: string, opts: { from?: XUser } = {}): Promise<string> {
    const from = opts.from ?? this.addUser({ username: `dmcustomer${this.users.size}`, name: `DM Customer ${this.users.size}` });
    const dm = this.storeDm(from.id, this.brand.id, text);
    await this.emit(this.dmDelivery(dm));
    return dm.id;
  }

  private storeDm(senderId: string, recipientId: string, text: string): StoredDm {
    const [a, b] = big(senderId) < big(recipientId) ? [senderId, recipientId] : [recipientId, senderId];
    const dm: StoredDm = { id: this.nextId(), senderId, recipientId, text, createdAt: Date.now(), conversationId: `${a}-${b}` };
    this.dms.push(dm);
    return dm;
  }

  tweet(id: string): StoredTweet | undefined {
    return this.tweets.find((t) => t.id === id && !t.deleted);
  }

  dm(id: string): StoredDm | undefined {
    return this.dms.find((d) => d.id === id);
  }

  /** How many live posts by the brand carry exactly this text (as typed). */
  countBrandPosts(text: string): number {
    return this.tweets.filter((t) => t.authorId === this.brand.id && !t.deleted && t.typed === text).length + this.dms.filter((d) => d.senderId === this.brand.id && d.text === text).length;
  }

  isBlocked(userId: string) {
    return this.blocks.has(userId);
  }
  isMuted(userId: string) {
    return this.mutes.has(userId);
  }

  failNext(mode: XFailMode, on: 'write' | 'read' = 'write') {
    (on === 'write' ? this.failWrites : this.failReads).push(mode);
  }

  revoke() {
    this.revoked = true;
  }

  /** Fault: API v2 reads show this post with these fields replaced (e.g. `text` as an object), as a broken or hostile response would. */
  corruptPost(id: string, fields: Record<string, unknown>) {
    this.corrupted.set(id, fields);
  }
  restore() {
    this.revoked = false;
  }

  /** X suspends the account (or lifts it): its posts can no longer be read. */
  suspendUser(id: string, on = true) {
    if (on) this.suspended.add(id);
    else this.suspended.delete(id);
  }
  /** The user deactivates (or reactivates) their account. */
  deactivateUser(id: string, on = true) {
    if (on) this.deactivated.add(id);
    else this.deactivated.delete(id);
  }
  /** The user protects their posts (or makes them public again): only approved followers see them. */
  protectUser(id: string, on = true) {
    if (on) this.protectedUsers.add(id);
    else this.protectedUsers.delete(id);
  }
  /** The post is withheld in these countries (null: no longer withheld). */
  withholdTweet(id: string, countryCodes: string[] | null, copyright = false) {
    if (countryCodes) this.withheld.set(id, { copyright, country_codes: countryCodes, scope: 'tweet' });
    else this.withheld.delete(id);
  }
  /** Fault: the next GET (on `path`, when given) answers 200 with this body (not what X documents). */
  malformNextRead(body: string, path: string | null = null) {
    this.malformedNext = { body, path };
  }

  /** The author deletes their Post; X sends `tweet_delete_events` (Account Activity data objects). */
  async authorDeletesTweet(id: string): Promise<void> {
    const t = this.tweets.find((x) => x.id === id);
    if (t) t.deleted = true;
    await this.emit({ for_user_id: this.brand.id, tweet_delete_events: [{ status: { id, user_id: t?.authorId ?? '0' }, timestamp_ms: String(Date.now()) }] });
  }

  // ---- webhooks --------------------------------------------------------------

  sign(body: Buffer | string): string {
    return `sha256=${createHmac('sha256', this.consumerSecret).update(body).digest('base64')}`;
  }

  private async emit(payload: unknown) {
    const body = Buffer.from(JSON.stringify(payload));
    const d: XWebhookDelivery = { body, headers: { 'content-type': 'application/json; charset=utf-8', 'x-twitter-webhooks-signature': this.sign(body) } };
    if (this.webhookUrl) {
      await this.post(d);
      this.delivered.push(d);
    } else {
      this.pending.push(d);
    }
  }

  /** POST a delivery to the webhook URL (again): returns our webhook's status. */
  async post(d: XWebhookDelivery, url = this.webhookUrl!): Promise<number> {
    const res = await fetch(url, { method: 'POST', headers: d.headers, body: new Uint8Array(d.body) });
    await res.arrayBuffer();
    d.status = res.status;
    return res.status;
  }

  takePending(): XWebhookDelivery[] {
    return this.pending.splice(0);
  }

  /** X's Challenge-Response Check against a webhook URL: GET ?crc_token=… must return the right response_token. */
  async crcCheck(url = this.webhookUrl!): Promise<{ ok: boolean; status: number; body: string }> {
    const token = randomBytes(24).toString('base64url');
    const res = await fetch(`${url}${url.includes('?') ? '&' : '?'}crc_token=${encodeURIComponent(token)}&nonce=${randomBytes(8).toString('hex')}`);
    const body = await res.text();
    let parsed: any = null;
    try {
      parsed = JSON.parse(body);
    } catch {
      /* not JSON */
    }
    const expected = `sha256=${createHmac('sha256', this.consumerSecret).update(token).digest('base64')}`;
    return { ok: res.status === 200 && parsed?.response_token === expected, status: res.status, body };
  }

  private userV1(u: XUser) {
    return {
      id: Number(u.id), id_str: u.id, name: u.name, screen_name: u.username, location: null, url: null, description: '', protected: false, verified: u.verified,
      followers_count: u.followers, friends_count: 10, listed_count: 0, favourites_count: 0, statuses_count: 42, created_at: v1Date(u.createdAt),
      profile_image_url_https: `https://pbs.twimg.com/profile_images/${u.id}/avatar_normal.jpg`,
    };
  }

  /** A v1.1 Tweet object, as Account Activity `tweet_create_events` carry it. */
  tweetV1(t: StoredTweet) {
    const author = this.users.get(t.authorId)!;
    const replyUser = t.inReplyToUserId ? this.users.get(t.inReplyToUserId) : undefined;
    const mentions = [...t.shown.matchAll(/@(\w{1,15})/g)].map((m) => [...this.users.values()].find((u) => u.username.toLowerCase() === m[1]!.toLowerCase())).filter((u): u is XUser => !!u);
    const entities = {
      hashtags: [], symbols: [], urls: t.urls.map((u) => ({ url: u.url, expanded_url: u.expanded_url, display_url: u.display_url, indices: [u.start, u.end] })),
      user_mentions: mentions.map((u) => ({ screen_name: u.username, name: u.name, id: Number(u.id), id_str: u.id, indices: [0, 0] })),
    };
    const long = [...t.shown].length > 140;
    return {
      created_at: v1Date(t.createdAt), id: Number(t.id), id_str: t.id,
      text: long ? `${esc([...t.shown].slice(0, 139).join(''))}…` : esc(t.shown),
      display_text_range: [0, Math.min(140, [...t.shown].length)],
      source: '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>', truncated: long,
      in_reply_to_status_id: t.inReplyToTweetId ? Number(t.inReplyToTweetId) : null, in_reply_to_status_id_str: t.inReplyToTweetId,
      in_reply_to_user_id: t.inReplyToUserId ? Number(t.inReplyToUserId) : null, in_reply_to_user_id_str: t.inReplyToUserId, in_reply_to_screen_name: replyUser?.username ?? null,
      user: this.userV1(author), geo: null, coordinates: null, place: null, contributors: null, is_quote_status: false,
      ...(long ? { extended_tweet: { full_text: esc(t.shown), display_text_range: [0, [...t.shown].length], entities } } : {}),
      quote_count: 0, reply_count: 0, retweet_count: 0, favorite_count: 0, entities, favorited: false, retweeted: false, filter_level: 'low', lang: 'en', timestamp_ms: String(t.createdAt),
    };
  }

  private dmDelivery(dm: StoredDm) {
    const users: Record<string, unknown> = {};
    for (const id of [dm.senderId, dm.recipientId]) {
      const u = this.users.get(id)!;
      users[id] = { id: u.id, created_timestamp: String(u.createdAt), name: u.name, screen_name: u.username, location: null, description: '', protected: false, verified: u.verified, followers_count: u.followers, friends_count: 10, statuses_count: 42, profile_image_url_https: `https://pbs.twimg.com/profile_images/${u.id}/avatar_normal.jpg` };
    }
    return {
      for_user_id: this.brand.id,
      direct_message_events: [{
        type: 'message_create', id: dm.id, created_timestamp: String(dm.createdAt),
        message_create: { target: { recipient_id: dm.recipientId }, sender_id: dm.senderId, source_app_id: '13090192', message_data: { text: esc(dm.text), entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] } } },
      }],
      apps: { 13090192: { id: '13090192', name: 'ParleyContractApp', url: 'https://example.invalid' } },
      users,
    };
  }

  // ---- HTTP ------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const write = method !== 'GET';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method, path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...this.rateHeaders(method, url.pathname), ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const problem = (status: number, title: string, detail: string, type = 'about:blank', extra: Record<string, unknown> = {}) => send(status, { title, detail, type, status, ...extra });

    const authed = this.authenticate(req, url, method, raw);
    if (!authed) return problem(401, 'Unauthorized', 'Unauthorized');

    const forced = (write ? this.failWrites : this.failReads).shift();
    if (forced === 'rate_limit') {
      const reset = Math.floor(Date.now() / 1000) + this.rateLimitResetS;
      return send(429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }, { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) });
    }
    if (forced === 'auth_revoked') return problem(401, 'Unauthorized', 'Unauthorized');
    if (forced === 'server_error') return problem(503, 'Service Unavailable', 'Service Unavailable');
    const window = this.consume(method, url.pathname);
    if (window && window.remaining < 0) return problem(429, 'Too Many Requests', 'Too Many Requests');

    let body: any = undefined;
    if (raw.length && String(req.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', 'https://api.x.com/2/problems/invalid-request');
      }
    }
    const hang = forced === 'timeout_after_accept';
    const respond = (status: number, b: unknown) => {
      if (hang) {
        // accepted and applied, but the answer never comes
        this.requests.push({ method, path: url.pathname, status: 0 });
        this.hung.add(res);
        return;
      }
      send(status, b);
    };
    try {
      this.route(method, url, body, respond, problem);
    } catch (err) {
      problem(500, 'Internal Server Error', String(err));
    }
  }

  private rateHeaders(method: string, path: string): Record<string, string> {
    const w = this.windows.get(this.endpointKey(method, path));
    if (!w) return { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '900', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 900) };
    return { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': String(Math.max(0, w.remaining)), 'x-rate-limit-reset': String(w.reset) };
  }

  private endpointKey(method: string, path: string) {
    return `${method} ${path.replace(/\d{3,}/g, ':id')}`;
  }

  /** 15-minute windows of 900 requests per endpoint (generous; a forced 429 is the usual test). */
  private consume(method: string, path: string) {
    const key = this.endpointKey(method, path);
    const now = Math.floor(Date.now() / 1000);
    let w = this.windows.get(key);
    if (!w || w.reset <= now) this.windows.set(key, (w = { remaining: 900, reset: now + 900 }));
    w.remaining--;
    return w;
  }

  private authenticate(req: IncomingMessage, url: URL, method: string, raw: Buffer): boolean {
    if (this.revoked) return false;
    const auth = String(req.headers.authorization ?? '');
    if (auth.startsWith('Bearer ')) return auth.slice(7) === this.oauth2Token;
    if (!auth.startsWith('OAuth ')) return false;
    const oauth: Record<string, string> = {};
    for (const m of auth.slice(6).matchAll(/([\w]+)="([^"]*)"/g)) oauth[decodeURIComponent(m[1]!)] = decodeURIComponent(m[2]!);
    if (oauth.oauth_consumer_key !== this.consumerKey || oauth.oauth_token !== this.accessToken || oauth.oauth_signature_method !== 'HMAC-SHA1') return false;
    if (Math.abs(Number(oauth.oauth_timestamp) - Date.now() / 1000) > 300) return false;
    const params: [string, string][] = [];
    for (const [k, v] of Object.entries(oauth)) if (k !== 'oauth_signature' && k !== 'realm') params.push([k, v]);
    for (const [k, v] of url.searchParams) params.push([k, v]);
    if (String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params.push([k, v]);
    const norm = params.map(([k, v]) => [pct(k), pct(v)] as const).sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
    const base = [method, pct(`${url.protocol}//${url.host}${url.pathname}`), pct(norm.map(([k, v]) => `${k}=${v}`).join('&'))].join('&');
    const sig = createHmac('sha1', `${pct(this.consumerSecret)}&${pct(this.accessSecret)}`).update(base).digest('base64');
    return sig === oauth.oauth_signature;
  }

  private fieldsOf(url: URL, name: string): Set<string> {
    return new Set((url.searchParams.get(name) ?? '').split(',').filter(Boolean));
  }

  private userV2(u: XUser, fields: Set<string>) {
    const o: Record<string, unknown> = { id: u.id, name: u.name, username: u.username };
    if (fields.has('verified')) o.verified = u.verified;
    if (fields.has('public_metrics')) o.public_metrics = { followers_count: u.followers, following_count: 10, tweet_count: 42, listed_count: 0, like_count: 0 };
    if (fields.has('profile_image_url')) o.profile_image_url = `https://pbs.twimg.com/profile_images/${u.id}/avatar_normal.jpg`;
    if (fields.has('created_at')) o.created_at = new Date(u.createdAt).toISOString();
    if (fields.has('description')) o.description = '';
    return o;
  }

  private tweetV2(t: StoredTweet, fields: Set<string>) {
    const o: Record<string, unknown> = { id: t.id, text: esc(t.shown), edit_history_tweet_ids: [t.id] };
    if (fields.has('created_at')) o.created_at = new Date(t.createdAt).toISOString();
    if (fields.has('author_id')) o.author_id = t.authorId;
    if (fields.has('conversation_id')) o.conversation_id = t.conversationId;
    if (fields.has('in_reply_to_user_id') && t.inReplyToUserId) o.in_reply_to_user_id = t.inReplyToUserId;
    if (fields.has('referenced_tweets') && t.inReplyToTweetId) o.referenced_tweets = [{ type: 'replied_to', id: t.inReplyToTweetId }];
    if (fields.has('entities') && t.urls.length) o.entities = { urls: t.urls };
    if (fields.has('withheld') && this.withheld.has(t.id)) o.withheld = this.withheld.get(t.id);
    Object.assign(o, this.corrupted.get(t.id));
    return o;
  }

  /** `{data, includes, meta}` for a page of posts, with the requested expansions. */
  private tweetPage(url: URL, list: StoredTweet[], meta: Record<string, unknown> | null) {
    const tf = this.fieldsOf(url, 'tweet.fields');
    const uf = this.fieldsOf(url, 'user.fields');
    const ex = this.fieldsOf(url, 'expansions');
    const users = new Map<string, XUser>();
    const refs = new Map<string, StoredTweet>();
    for (const t of list) {
      if (ex.has('author_id')) users.set(t.authorId, this.users.get(t.authorId)!);
      if (ex.has('in_reply_to_user_id') && t.inReplyToUserId) users.set(t.inReplyToUserId, this.users.get(t.inReplyToUserId)!);
      if (ex.has('referenced_tweets.id') && t.inReplyToTweetId) {
        const p = this.tweet(t.inReplyToTweetId);
        if (p) refs.set(p.id, p);
      }
    }
    const out: Record<string, unknown> = {};
    if (list.length) out.data = list.map((t) => this.tweetV2(t, tf));
    if (users.size || refs.size) {
      const inc: Record<string, unknown> = {};
      if (users.size) inc.users = [...users.values()].map((u) => this.userV2(u, uf));
      if (refs.size) inc.tweets = [...refs.values()].map((t) => this.tweetV2(t, tf));
      out.includes = inc;
    }
    if (meta) out.meta = meta;
    return out;
  }

  /** Newest-first pagination over `list` with since_id/until_id and an opaque token. */
  private paginate<T extends { id: string }>(url: URL, all: T[], tokenParam: string, maxDefault = 10, min = 5) {
    const max = Number(url.searchParams.get('max_results') ?? maxDefault);
    if (!Number.isInteger(max) || max < min || max > 100) return { error: `The \`max_results\` query parameter value [${url.searchParams.get('max_results')}] is not between ${min} and 100` } as const;
    const since = url.searchParams.get('since_id');
    const token = url.searchParams.get(tokenParam);
    let until: string | null = null;
    if (token) {
      try {
        until = Buffer.from(token, 'base64url').toString('utf8');
        if (!/^\d+$/.test(until)) throw new Error('bad');
      } catch {
        return { error: `Invalid ${tokenParam}`, param: tokenParam } as const;
      }
    }
    const list = all
      .filter((t) => (!since || big(t.id) > big(since)) && (!until || big(t.id) < big(until)))
      .sort((a, b) => (big(b.id) > big(a.id) ? 1 : -1));
    const page = list.slice(0, max);
    const meta: Record<string, unknown> = { result_count: page.length };
    if (page.length) {
      meta.newest_id = page[0]!.id;
      meta.oldest_id = page[page.length - 1]!.id;
    }
    if (list.length > max) meta.next_token = Buffer.from(page[page.length - 1]!.id).toString('base64url');
    return { page, meta } as const;
  }

  private matchesQuery(t: StoredTweet, q: string): boolean {
    let rest = q;
    const conv = /conversation_id:(\d+)/.exec(rest);
    if (conv) {
      if (t.conversationId !== conv[1]) return false;
      rest = rest.replace(conv[0], '');
    }
    for (const m of rest.matchAll(/(-?)from:(\w+)/g)) {
      const author = this.users.get(t.authorId)!;
      const same = author.username.toLowerCase() === m[2]!.toLowerCase();
      if ((m[1] === '-' && same) || (m[1] !== '-' && !same)) return false;
    }
    rest = rest.replace(/-?from:\w+/g, '').replace(/-?is:retweet/g, '').replace(/[()]/g, ' ').trim();
    // negated keywords, #hashtags and "exact phrases" (ANDed): a post with any of them is left out;
    // keywords match whole words without case, a keyword matches the same word as a #hashtag too
    const words = t.shown.toLowerCase().match(/[#$]?[\p{L}\p{M}\p{N}_]+/gu) ?? [];
    const same = (x: string, w: string) => x === w || (!/^[#$]/.test(w) && x.replace(/^[#$]/, '') === w);
    for (const m of rest.matchAll(/(?:^|\s)-("([^"]*)"|[^\s"]+)/g)) {
      const neg = (m[2] ?? m[1]!).toLowerCase().match(/[#$]?[\p{L}\p{M}\p{N}_]+/gu) ?? [];
      if (neg.length && words.some((_, i) => neg.every((w, j) => i + j < words.length && same(words[i + j]!, w)))) return false;
    }
    rest = rest.replace(/(?:^|\s)-("[^"]*"|[^\s"]+)/g, ' ').trim();
    if (!rest) return true;
    const terms = rest.split(/\s+OR\s+/).map((s) => s.trim().replace(/^"|"$/g, '').toLowerCase()).filter(Boolean);
    const text = t.shown.toLowerCase();
    return terms.some((term) => term.split(/\s+/).every((w) => text.includes(w)));
  }

  private route(method: string, url: URL, body: any, respond: (s: number, b: unknown) => void, problem: (s: number, t: string, d: string, type?: string, extra?: Record<string, unknown>) => void) {
    const p = url.pathname;
    const invalid = (detail: string, param?: string) =>
      problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', 'https://api.x.com/2/problems/invalid-request', {
        errors: [{ ...(param ? { parameters: { [param]: [url.searchParams.get(param) ?? ''] } } : {}), message: detail }],
      });
    const notFound = (what: string, id: string) => problem(404, 'Not Found Error', `Could not find ${what} with id: [${id}].`, 'https://api.x.com/2/problems/resource-not-found');
    const forbidden = (detail: string, type = 'about:blank') => problem(403, 'Forbidden', detail, type);
    let m: RegExpExecArray | null = null;

    if (method === 'GET' && this.malformedNext && (this.malformedNext.path === null || this.malformedNext.path === p)) {
      const b = this.malformedNext.body;
      this.malformedNext = null;
      return respond(200, JSON.parse(b));
    }

    if (method === 'GET' && (p === '/2/tweets' || p === '/2/users')) {
      const raw = url.searchParams.get('ids') ?? '';
      const ids = raw.split(',');
      if (!raw || ids.length > 100 || ids.some((id) => !/^\d{1,19}$/.test(id))) return invalid(`The \`ids\` query parameter value [${raw}] is not valid`, 'ids');
      const data: unknown[] = [];
      const errors: unknown[] = [];
      const err = (id: string, resource: 'tweet' | 'user', title: string, detail: string, type: string) =>
        errors.push({ value: id, detail, title, resource_type: resource, parameter: 'ids', resource_id: id, type: `https://api.x.com/2/problems/${type}` });
      for (const id of ids) {
        if (p === '/2/users') {
          const u = this.users.get(id);
          if (u && this.suspended.has(id)) err(id, 'user', 'Forbidden', `User has been suspended: [${id}].`, 'resource-not-found');
          else if (!u || this.deactivated.has(id)) err(id, 'user', 'Not Found Error', `Could not find user with ids: [${id}].`, 'resource-not-found');
          else data.push(this.userV2(u, this.fieldsOf(url, 'user.fields')));
          continue;
        }
        const t = this.tweet(id);
        const author = t?.authorId ?? '';
        if (!t || this.suspended.has(author) || this.deactivated.has(author)) err(id, 'tweet', 'Not Found Error', `Could not find tweet with ids: [${id}].`, 'resource-not-found');
        else if (this.protectedUsers.has(author) && author !== this.brand.id) err(id, 'tweet', 'Authorization Error', `Sorry, you are not authorized to see the Tweet with ids: [${id}].`, 'not-authorized-for-resource');
        else data.push(this.tweetV2(t, this.fieldsOf(url, 'tweet.fields')));
      }
      return respond(200, { ...(data.length ? { data } : {}), ...(errors.length ? { errors } : {}) });
    }

    if (method === 'GET' && p === '/2/users/me') return respond(200, { data: this.userV2(this.brand, this.fieldsOf(url, 'user.fields')) });

    if (method === 'GET' && (m = /^\/2\/users\/(\d+)\/mentions$/.exec(p))) {
      const user = this.users.get(m[1]!);
      if (!user) return notFound('user', m[1]!);
      const re = new RegExp(`(^|[^\\w])@${user.username}\\b`, 'i');
      const all = this.tweets.filter((t) => !t.deleted && t.authorId !== user.id && re.test(t.shown));
      const r = this.paginate(url, all, 'pagination_token');
      if ('error' in r) return invalid(r.error!, 'param' in r ? r.param : 'max_results');
      return respond(200, this.tweetPage(url, r.page, r.meta));
    }

    if (method === 'GET' && (m = /^\/2\/users\/(\d+)\/tweets$/.exec(p))) {
      const all = this.tweets.filter((t) => !t.deleted && t.authorId === m![1]);
      const r = this.paginate(url, all, 'pagination_token');
      if ('error' in r) return invalid(r.error!, 'param' in r ? r.param : 'max_results');
      return respond(200, this.tweetPage(url, r.page, r.meta));
    }

    if (method === 'GET' && (m = /^\/2\/users\/(\d+)$/.exec(p))) {
      const u = this.users.get(m[1]!);
      if (!u) return respond(200, { errors: [{ value: m[1], detail: `Could not find user with id: [${m[1]}].`, title: 'Not Found Error', resource_type: 'user', parameter: 'id', resource_id: m[1], type: 'https://api.x.com/2/problems/resource-not-found' }] });
      return respond(200, { data: this.userV2(u, this.fieldsOf(url, 'user.fields')) });
    }

    if (method === 'GET' && p === '/2/tweets/search/recent') {
      const q = url.searchParams.get('query');
      if (!q) return invalid('The `query` parameter can not be empty', 'query');
      const weekAgo = Date.now() - 7 * 86_400_000;
      const all = this.tweets.filter((t) => !t.deleted && t.createdAt >= weekAgo && this.matchesQuery(t, q));
      const r = this.paginate(url, all, 'next_token', 10, 10);
      if ('error' in r) return invalid(r.error!, 'param' in r ? r.param : 'max_results');
      return respond(200, this.tweetPage(url, r.page, r.meta));
    }

    if (method === 'GET' && (m = /^\/2\/tweets\/(\d+)$/.exec(p))) {
      const t = this.tweet(m[1]!);
      if (!t) return respond(200, { errors: [{ value: m[1], detail: `Could not find tweet with id: [${m[1]}].`, title: 'Not Found Error', resource_type: 'tweet', parameter: 'id', resource_id: m[1], type: 'https://api.x.com/2/problems/resource-not-found' }] });
      const page = this.tweetPage(url, [t], null) as { data: unknown[]; includes?: unknown };
      return respond(200, { data: page.data[0], ...(page.includes ? { includes: page.includes } : {}) });
    }

    if (method === 'POST' && p === '/2/tweets') {
      const text = typeof body?.text === 'string' ? body.text : '';
      if (!text) return invalid('text is required');
      if ([...text].length > 280 && !/^\s*$/.test(text)) return forbidden('Your Tweet text is too long.');
      const replyTo = body?.reply?.in_reply_to_tweet_id ? String(body.reply.in_reply_to_tweet_id) : null;
      const parent = replyTo ? this.tweet(replyTo) : null;
      if (replyTo && !parent) return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', 'https://api.x.com/2/problems/invalid-request', { errors: [{ message: 'Your Tweet could not be created because the tweet you are replying to has been deleted or is not visible to you.' }] });
      const dayAgo = Date.now() - 86_400_000;
      if (this.tweets.some((t) => t.authorId === this.brand.id && !t.deleted && t.typed === text && t.createdAt > dayAgo)) {
        return forbidden('You are not allowed to create a Tweet with duplicate content.');
      }
      const t = this.createTweet(this.brand, text, parent ?? null);
      void this.emit({ for_user_id: this.brand.id, tweet_create_events: [this.tweetV1(t)] });
      return respond(201, { data: { id: t.id, text: esc(t.shown), edit_history_tweet_ids: [t.id] } });
    }

    if (method === 'DELETE' && (m = /^\/2\/tweets\/(\d+)$/.exec(p))) {
      const t = this.tweet(m[1]!);
      if (!t) return notFound('tweet', m[1]!);
      if (t.authorId !== this.brand.id) return forbidden('You are not authorized to delete this Tweet.');
      t.deleted = true;
      return respond(200, { data: { deleted: true } });
    }

    if (method === 'PUT' && (m = /^\/2\/tweets\/(\d+)\/hidden$/.exec(p))) {
      const t = this.tweet(m[1]!);
      if (!t) return notFound('tweet', m[1]!);
      if (typeof body?.hidden !== 'boolean') return invalid('hidden is required');
      const root = this.tweet(t.conversationId);
      // only replies in conversations the authenticated user started can be hidden
      if (!root || root.authorId !== this.brand.id) return forbidden('You cannot hide or unhide replies to a conversation you do not own.');
      t.hidden = body.hidden;
      return respond(200, { data: { hidden: t.hidden } });
    }

    if (method === 'POST' && (m = /^\/2\/dm_conversations\/with\/(\d+)\/messages$/.exec(p))) {
      const to = this.users.get(m[1]!);
      if (!to) return invalid(`Could not find user with id: [${m[1]}].`);
      const text = typeof body?.text === 'string' ? body.text : '';
      if (!text && !body?.attachments) return invalid('text or attachments is required');
      if (this.blocks.has(to.id)) return forbidden('You cannot send messages to users you have blocked.');
      const dm = this.storeDm(this.brand.id, to.id, text);
      void this.emit(this.dmDelivery(dm));
      return respond(201, { data: { dm_conversation_id: dm.conversationId, dm_event_id: dm.id } });
    }

    const convPath = /^\/2\/dm_conversations\/with\/(\d+)\/dm_events$/.exec(p);
    if (method === 'GET' && (p === '/2/dm_events' || convPath)) {
      const other = convPath?.[1];
      const mine = this.dms.filter((d) => (d.senderId === this.brand.id || d.recipientId === this.brand.id) && (!other || d.senderId === other || d.recipientId === other));
      const r = this.paginate(url, mine, 'pagination_token', 100, 1);
      if ('error' in r) return invalid(r.error!, 'param' in r ? r.param : 'max_results');
      const f = this.fieldsOf(url, 'dm_event.fields');
      const ex = this.fieldsOf(url, 'expansions');
      const data = r.page.map((d) => {
        const o: Record<string, unknown> = { id: d.id, event_type: 'MessageCreate', text: esc(d.text) };
        if (f.has('sender_id')) o.sender_id = d.senderId;
        if (f.has('dm_conversation_id')) o.dm_conversation_id = d.conversationId;
        if (f.has('created_at')) o.created_at = new Date(d.createdAt).toISOString();
        if (f.has('participant_ids')) o.participant_ids = [d.senderId, d.recipientId];
        return o;
      });
      const out: Record<string, unknown> = { meta: r.meta };
      if (data.length) out.data = data;
      if (ex.has('sender_id') && data.length) out.includes = { users: [...new Set(r.page.map((d) => d.senderId))].map((id) => this.userV2(this.users.get(id)!, this.fieldsOf(url, 'user.fields'))) };
      return respond(200, out);
    }

    if (method === 'POST' && (m = /^\/2\/users\/(\d+)\/(blocking|muting|likes)$/.exec(p))) {
      if (m[1] !== this.brand.id) return forbidden('You are not permitted to perform this action on behalf of another user.');
      if (m[2] === 'likes') {
        const t = this.tweet(String(body?.tweet_id ?? ''));
        if (!t) return invalid('tweet_id is invalid');
        this.likes.add(t.id);
        return respond(200, { data: { liked: true } });
      }
      const target = String(body?.target_user_id ?? '');
      if (!this.users.has(target)) return invalid('target_user_id is invalid');
      if (m[2] === 'blocking') {
        if (this.tier !== 'enterprise') return forbidden('When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.', 'https://api.x.com/2/problems/client-forbidden');
        this.blocks.add(target);
        return respond(200, { data: { blocking: true } });
      }
      this.mutes.add(target);
      return respond(200, { data: { muting: true } });
    }

    // unblock / unmute: DELETE /2/users/:source_user_id/(blocking|muting)/:target_user_id → {data: {blocking|muting: false}};
    // "succeeds with no action" when the target was not blocked or muted
    if (method === 'DELETE' && (m = /^\/2\/users\/(\d+)\/(blocking|muting)\/(\d+)$/.exec(p))) {
      if (m[1] !== this.brand.id) return forbidden('You are not permitted to perform this action on behalf of another user.');
      if (m[2] === 'blocking') {
        if (this.tier !== 'enterprise') return forbidden('When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.', 'https://api.x.com/2/problems/client-forbidden');
        this.blocks.delete(m[3]!);
        return respond(200, { data: { blocking: false } });
      }
      this.mutes.delete(m[3]!);
      return respond(200, { data: { muting: false } });
    }

    return problem(404, 'Not Found', `no route ${method} ${p}`);
  }
}
