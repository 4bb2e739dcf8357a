/**
 * MastodonContractServer: the parts of a Mastodon server's client API that
 * Parley's connector uses, on 127.0.0.1, with payloads shaped as in Mastodon's
 * documentation (docs.joinmastodon.org: entities Status, Account, Notification,
 * Relationship, Instance; methods statuses, notifications, accounts, blocks,
 * mutes, search, timelines, streaming; api/rate-limits). No Mastodon server can
 * run here, so this one is driven through the real `masto` client.
 *
 * Behaviour kept from the real server:
 * - OAuth bearer tokens; a revoked or unknown token gets 401
 *   `{"error":"The access token is invalid"}` on REST and on the streaming upgrade.
 * - `X-RateLimit-Limit/-Remaining/-Reset` (reset as ISO 8601) on every API
 *   answer, a real per-account budget (300 per 5 minutes by default), 429
 *   `{"error":"Too many requests"}` when it is spent.
 * - POST /api/v1/statuses (JSON or form): 422 for blank or over-long text, 404
 *   for an unknown in_reply_to_id, `Idempotency-Key` per account for one hour
 *   (a repeat returns the first status), mentions and hashtags parsed and
 *   rendered to HTML like Mastodon's formatter, `mention` notifications for the
 *   mentioned local accounts (not from accounts they block or mute).
 * - Visibility as StatusPolicy#show? decides it: nothing of a suspended author
 *   (`suspendAccount`); direct statuses are seen by their author and mentioned
 *   accounts only; private (followers-only) ones, here, by the author and mentioned
 *   ones (follows are not modelled), whatever the author blocks; public and unlisted
 *   ones by anyone, signed in or not, except an account their author blocks. A status
 *   refused is answered like a missing one: 404 `{"error":"Record not found"}`
 *   (the controller re-raises NotPermittedError as RecordNotFound; docs: "Status does
 *   not exist or is private").
 * - `anonymousReads = false` is an instance in authorized-fetch / limited federation
 *   mode: reads without a token answer 401 `{"error":"This API requires an
 *   authenticated user"}` (docs, GET /api/v1/statuses/:id).
 * - Pagination by max_id / since_id / min_id / limit with Link headers.
 * - The streaming API over WebSocket at /api/v1/streaming (token as
 *   Sec-WebSocket-Protocol, Authorization header or access_token), subscribe /
 *   unsubscribe messages, `notification` events with the payload as a string; on the
 *   `user` stream, `delete` events (payload: the deleted status's id as a plain string) for
 *   the author and the accounts the status mentioned, as RemoveStatusService publishes them.
 * - Deleting a status (DELETE /api/v1/statuses/:id) takes its mention notifications with it.
 * - Accounts as moderation and federation leave them: `suspendAccount` (suspended: the Account
 *   entity's `suspended: true`, its statuses shown to no one), `purgeAccount` (then its statuses
 *   destroyed, `delete` to its followers' streams), `removeAccount` (a remote owner's deletion:
 *   the record goes, 404), `moderatorDeleteStatus` (one status removed by a moderator),
 *   `unsuspendAccount` (a suspension lifted), `blockDomain` (a server suspended or silenced as a
 *   whole, listed by GET /api/v1/instance/domain_blocks; a `silence` limits its accounts),
 *   `unblockDomain`, `limitAccount` / `unlimitAccount` (an account limited by a moderator: the
 *   Account entity's `limited: true`, its statuses still readable).
 * - What the instance tells an account of its moderation (4.3+): `moderatorDeleteStatus` gives a
 *   local author a strike and a `moderation_warning` notification (AccountWarning `action`
 *   `delete_statuses`, `status_ids`) unless the moderator unticks notify; `blockDomain` with
 *   `severs` gives those local accounts a `severed_relationships` notification (a
 *   RelationshipSeveranceEvent `domain_block`, `target_name` the domain).
 *
 * Faults for the contract suite: `failNext` makes the next POST /api/v1/statuses
 * answer 429, 401 (token revoked), 502 (an HTML page, as from a proxy), or
 * create the status and never answer (`timeout_after_accept`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Visibility = 'public' | 'unlisted' | 'private' | 'direct';
export type FaultMode = 'rate_limit' | 'auth_revoked' | 'server_error' | 'timeout_after_accept';

export interface AccountRecord {
  id: string;
  username: string;
  displayName: string;
  note: string;
  bot: boolean;
  followersCount: number;
  followingCount: number;
  createdAt: string;
  /** Suspended by a moderator, or deleted by its owner (a self-deletion is a suspension too). */
  suspended?: boolean;
  /**
   * Limited (silenced) by the instance's moderators, or by a `silence` block of its domain
   * (BlockDomainService sets `silenced_at` to the block's time; UnblockDomainService clears only
   * those): the Account entity's `limited: true` ("returned only when an account is silenced");
   * its statuses stay readable through the API (StatusPolicy#show? does not look at it).
   */
  limited?: boolean;
  /** Limited by a domain block (lifted with it), not by a moderator. */
  limitedByDomain?: string;
  /** Another server's account, known here by federation: its `acct` is `username@domain` (the fake lets it post with a token, as if its statuses had federated in). */
  domain?: string;
}

export interface StatusRecord {
  id: string;
  accountId: string;
  /** The text as posted (Mastodon's `text` source). */
  text: string;
  spoilerText: string;
  visibility: Visibility;
  inReplyToId: string | null;
  inReplyToAccountId: string | null;
  mentionIds: string[];
  tags: string[];
  language: string | null;
  createdAt: string;
  favouritedBy: Set<string>;
  deleted: boolean;
}

interface NotificationRecord {
  id: string;
  recipientId: string;
  type: string;
  fromAccountId: string;
  statusId: string | null;
  createdAt: string;
  /** `moderation_warning` (4.3+): the AccountWarning (strike) it tells of. */
  warning?: { id: string; action: string; text: string; statusIds: string[]; createdAt: string };
  /** `severed_relationships` (4.3+): the RelationshipSeveranceEvent. */
  event?: { id: string; type: 'domain_block' | 'user_domain_block' | 'account_suspension'; targetName: string; followingCount: number; createdAt: string };
}

interface TokenRecord {
  accountId: string;
  revoked: boolean;
}

interface StreamClient {
  socket: Socket;
  accountId: string;
  token: string;
  streams: Set<string>;
  buffer: Buffer;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** 0 while unanswered. */
  status: number;
}

class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_CHARS = 500;
const IDEMPOTENCY_MS = 3600_000;

export class MastodonContractServer {
  url = '';
  readonly domain: string;
  readonly requests: RequestLogEntry[] = [];
  private server: Server | null = null;
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly statusesById = new Map<string, StatusRecord>();
  private readonly notifications: NotificationRecord[] = [];
  private readonly blocks = new Map<string, Set<string>>();
  private readonly mutes = new Map<string, Set<string>>();
  private readonly idempotency = new Map<string, { statusId: string; at: number }>();
  /** The instance's rules (Admin → Server rules): GET /api/v1/instance/rules, `rules` of the instance. */
  rules: { id: string; text: string; hint: string }[] = [];
  /** Reports filed (POST /api/v1/reports), as the instance's moderators see them. */
  readonly reports: { id: string; accountId: string; targetAccountId: string; statusIds: string[]; comment: string; forwarded: boolean; category: string; ruleIds: string[]; createdAt: string }[] = [];
  private readonly budget = new Map<string, { used: number; resetAt: number }>();
  private readonly streamClients = new Set<StreamClient>();
  private readonly hanging = new Set<ServerResponse>();
  private faults: FaultMode[] = [];
  private requestFaults: { path: RegExp; status: number; times: number }[] = [];
  private seq = 0;
  private lastIdMs = 0n;
  /** Requests per account per 5 minutes (Mastodon's default for /api/*). */
  rateLimit = 300;
  /** false: the instance answers reads without a token 401 (authorized-fetch / limited federation mode). */
  anonymousReads = true;
  /** true: a server before 3.3, which answers GET /api/v1/accounts/:id of a suspended account 410 Gone (docs, accounts methods). */
  suspendedAccountsGone = false;

  constructor(opts: { domain?: string } = {}) {
    this.domain = opts.domain ?? 'mastodon.test';
  }

  // ---------------------------------------------------------------- lifecycle & test controls

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const c of this.streamClients) c.socket.destroy();
    this.streamClients.clear();
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** A local account (or, with `domain`, a remote one known by federation) and a user token for it. */
  createAccount(opts: { username: string; displayName?: string; note?: string; followers?: number; bot?: boolean; domain?: string }): { id: string; token: string; acct: string } {
    const id = this.nextId();
    this.accounts.set(id, {
      id, username: opts.username, displayName: opts.displayName ?? '', note: opts.note ?? '', bot: opts.bot ?? false,
      followersCount: opts.followers ?? 0, followingCount: 0, createdAt: new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z',
      ...(opts.domain ? { domain: opts.domain } : {}),
    });
    return { id, token: this.issueToken(id), acct: opts.domain ? `${opts.username}@${opts.domain}` : opts.username };
  }

  issueToken(accountId: string): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { accountId, revoked: false });
    return token;
  }

  /** Revoke a token (as the user would under Preferences → Account → Authorized apps): REST 401, streams closed. */
  revokeToken(token: string): void {
    const t = this.tokens.get(token);
    if (t) t.revoked = true;
    for (const c of this.streamClients) if (c.token === token) this.closeStream(c, 1008);
  }

  /** Suspend an account (a moderator's action, or its owner deleting it): its statuses are shown to no one. */
  suspendAccount(accountId: string): void {
    const a = this.accounts.get(accountId);
    if (a) a.suspended = true;
  }

  /** A moderator lifts the suspension (within the 30 days before the data is purged): the account and its statuses are shown again. */
  unsuspendAccount(accountId: string): void {
    const a = this.accounts.get(accountId);
    if (a) a.suspended = false;
  }

  /** A moderator limits (silences) an account (Admin → Accounts → Limit): `limited: true`, its statuses still readable. */
  limitAccount(accountId: string): void {
    const a = this.accounts.get(accountId);
    if (a) a.limited = true;
  }

  /** The limit is lifted (Admin → Accounts → Undo limit). */
  unlimitAccount(accountId: string): void {
    const a = this.accounts.get(accountId);
    if (a) {
      a.limited = false;
      delete a.limitedByDomain;
    }
  }

  /** The instance lifts a domain block (UnblockDomainService): the accounts its `silence` limited are no longer limited. */
  unblockDomain(domain: string): void {
    const i = this.domainBlocks.findIndex((b) => b.domain === domain);
    if (i >= 0) this.domainBlocks.splice(i, 1);
    for (const a of this.accounts.values()) {
      if (a.limitedByDomain === domain) {
        a.limited = false;
        delete a.limitedByDomain;
      }
    }
  }

  /**
   * The instance's moderators block a whole server (Admin → Federation): `suspend` is a
   * defederation (BlockDomainService also suspends its known accounts: `suspendAccount` them, or
   * `purgeAccount`), `silence` only limits it. Listed by GET /api/v1/instance/domain_blocks as
   * DomainBlock entities (`domain`, obfuscated with `*` when `obfuscate`; `digest`, the SHA-256 of
   * the domain; `severity`; `comment`), unless `domainBlocksShown` is false.
   */
  blockDomain(domain: string, opts: { severity?: 'silence' | 'suspend'; obfuscate?: boolean; comment?: string; severs?: readonly string[] } = {}): void {
    this.domainBlocks.push({ domain, severity: opts.severity ?? 'suspend', obfuscate: opts.obfuscate ?? false, comment: opts.comment ?? null });
    // `severs`: local accounts that followed someone there (follows are not modelled otherwise)
    if ((opts.severity ?? 'suspend') === 'suspend' && opts.severs?.length) this.notifySevered(domain, opts.severs);
    // a `silence` limits the known accounts of the domain and its subdomains (BlockDomainService#silence_accounts!)
    if ((opts.severity ?? 'suspend') === 'silence') {
      for (const a of this.accounts.values()) {
        if (a.domain && (a.domain === domain || a.domain.endsWith(`.${domain}`)) && !a.limited) {
          a.limited = true;
          a.limitedByDomain = domain;
        }
      }
    }
  }

  /** `show_domain_blocks` set to nobody: GET /api/v1/instance/domain_blocks answers 404. */
  domainBlocksShown = true;

  private readonly domainBlocks: { domain: string; severity: 'silence' | 'suspend'; obfuscate: boolean; comment: string | null }[] = [];

  /**
   * DeleteAccountService after a suspension (a moderator's, a domain block's — BlockDomainService
   * suspends every account of the domain, then calls it with reserve_username — or a local owner
   * deleting their account): the record is kept, suspended; every status is destroyed with its
   * mention notifications, BatchedRemoveStatusService publishing `delete` on the `user` stream
   * of the author's local followers (`followers`: follows are not modelled otherwise).
   */
  purgeAccount(accountId: string, followers: readonly string[] = []): void {
    this.suspendAccount(accountId);
    this.destroyStatusesOf(accountId, followers);
  }

  /**
   * A remote author deleting their own account: the ActivityPub Delete of the actor runs
   * DeleteAccountService without reserve_username, so after the purge (as `purgeAccount`) the
   * account record is destroyed: GET /api/v1/accounts/:id answers 404 "Record not found".
   */
  removeAccount(accountId: string, followers: readonly string[] = []): void {
    this.destroyStatusesOf(accountId, followers);
    this.accounts.delete(accountId);
  }

  /**
   * A moderator deletes one status (Admin::StatusBatchAction#handle_delete!: discarded, a strike
   * for its author, then RemovalWorker → RemoveStatusService): for everyone else it is gone
   * exactly as if its author had deleted it, `delete` events included.
   */
  moderatorDeleteStatus(statusId: string, opts: { notify?: boolean; text?: string } = {}): void {
    const s = this.statusesById.get(statusId);
    if (!s || s.deleted) return;
    s.deleted = true;
    for (let i = this.notifications.length - 1; i >= 0; i--) if (this.notifications[i]!.statusId === s.id) this.notifications.splice(i, 1);
    this.publishDelete(s);
    // the strike (AccountWarning, action `delete_statuses`, the status ids) is told to its author by a
    // `moderation_warning` notification (4.3+) only when the moderator leaves "notify" ticked and the
    // author is local (Admin::StatusBatchAction#warnable?: send_email_notification? && local?)
    const author = this.accounts.get(s.accountId);
    if (author && !author.domain && (opts.notify ?? true)) {
      const createdAt = new Date().toISOString();
      const n: NotificationRecord = {
        id: this.nextId(), recipientId: author.id, type: 'moderation_warning', fromAccountId: author.id, statusId: null, createdAt,
        warning: { id: this.nextId(), action: 'delete_statuses', text: opts.text ?? '', statusIds: [s.id], createdAt },
      };
      this.notifications.push(n);
      this.publishNotification(n);
    }
  }

  /**
   * The `severed_relationships` notification (4.3+) a local account gets when its instance's
   * moderators suspend a whole domain (`blockDomain` with severity `suspend`) and that cuts its
   * follows there: a RelationshipSeveranceEvent of type `domain_block`, `target_name` the domain.
   */
  private notifySevered(domain: string, accountIds: readonly string[]): void {
    for (const id of accountIds) {
      const a = this.accounts.get(id);
      if (!a || a.domain) continue;
      const createdAt = new Date().toISOString();
      const n: NotificationRecord = {
        id: this.nextId(), recipientId: id, type: 'severed_relationships', fromAccountId: id, statusId: null, createdAt,
        event: { id: this.nextId(), type: 'domain_block', targetName: domain, followingCount: 1, createdAt },
      };
      this.notifications.push(n);
      this.publishNotification(n);
    }
  }

  private destroyStatusesOf(accountId: string, followers: readonly string[]): void {
    for (const s of this.statusesById.values()) {
      if (s.accountId !== accountId || s.deleted) continue;
      s.deleted = true;
      for (let i = this.notifications.length - 1; i >= 0; i--) if (this.notifications[i]!.statusId === s.id) this.notifications.splice(i, 1);
      // BatchedRemoveStatusService#unpush_from_home_timelines: the author's local followers (not the mentioned accounts)
      for (const c of this.streamClients) {
        if (!followers.includes(c.accountId) || !c.streams.has('user')) continue;
        this.sendText(c, JSON.stringify({ stream: ['user'], event: 'delete', payload: s.id }));
      }
    }
  }

  /** The next POST /api/v1/statuses fails this way. */
  failNext(mode: FaultMode): void {
    this.faults.push(mode);
  }

  /** The next `times` requests whose path matches answer `status` with Mastodon's error body (an outage of one endpoint). */
  failRequests(path: RegExp, status: number, times = 1): void {
    this.requestFaults.push({ path, status, times });
  }

  /** The endpoint outage is over: no more `failRequests` answers. */
  clearRequestFaults(): void {
    this.requestFaults = [];
  }

  /** End every streaming connection (a restart of the streaming server). */
  dropStreams(): void {
    for (const c of this.streamClients) this.closeStream(c, 1001);
  }

  /**
   * Public statuses by an account, stored as federated posts arrive (no request, so no rate
   * limit): a burst of hundreds between two polls. Returns their ids, oldest first.
   */
  addPublicStatuses(accountId: string, texts: string[]): string[] {
    return texts.map((text) => {
      const s: StatusRecord = {
        id: this.nextId(), accountId, text, spoilerText: '', visibility: 'public', inReplyToId: null, inReplyToAccountId: null, mentionIds: [], tags: [],
        language: 'en', createdAt: new Date().toISOString(), favouritedBy: new Set(), deleted: false,
      };
      this.statusesById.set(s.id, s);
      return s.id;
    });
  }

  statuses(): StatusRecord[] {
    return [...this.statusesById.values()].filter((s) => !s.deleted);
  }

  status(id: string): StatusRecord | undefined {
    const s = this.statusesById.get(id);
    return s && !s.deleted ? s : undefined;
  }

  blockedBy(accountId: string): string[] {
    return [...(this.blocks.get(accountId) ?? [])];
  }

  mutedBy(accountId: string): string[] {
    return [...(this.mutes.get(accountId) ?? [])];
  }

  /** Open streaming connections (of one account's tokens, when given). */
  streamCount(accountId?: string): number {
    if (accountId === undefined) return this.streamClients.size;
    return [...this.streamClients].filter((c) => c.accountId === accountId && c.streams.has('user')).length;
  }

  // ---------------------------------------------------------------- ids, rendering, entities

  /** Snowflake-like ids as Mastodon makes them: milliseconds << 16 | sequence, as a decimal string. */
  private nextId(): string {
    let ms = BigInt(Date.now());
    if (ms < this.lastIdMs) ms = this.lastIdMs;
    this.lastIdMs = ms;
    return ((ms << 16n) | BigInt(++this.seq & 0xffff)).toString();
  }

  private base(): string {
    return this.url;
  }

  private accountByUsername(name: string): AccountRecord | undefined {
    const [user, domain] = name.toLowerCase().split('@');
    return [...this.accounts.values()].find((a) => a.username.toLowerCase() === user && (a.domain ?? this.domain) === (domain ?? this.domain));
  }

  private accountJson(a: AccountRecord) {
    const statuses = this.statuses().filter((s) => s.accountId === a.id);
    const last = statuses[statuses.length - 1];
    return {
      id: a.id,
      username: a.username,
      acct: a.domain ? `${a.username}@${a.domain}` : a.username,
      display_name: a.displayName,
      locked: false,
      bot: a.bot,
      discoverable: true,
      group: false,
      created_at: a.createdAt,
      note: a.note ? `<p>${escapeHtml(a.note)}</p>` : '',
      url: `${this.base()}/@${a.username}`,
      uri: `${this.base()}/users/${a.username}`,
      avatar: `${this.base()}/avatars/original/missing.png`,
      avatar_static: `${this.base()}/avatars/original/missing.png`,
      header: `${this.base()}/headers/original/missing.png`,
      header_static: `${this.base()}/headers/original/missing.png`,
      followers_count: a.followersCount,
      following_count: a.followingCount,
      statuses_count: statuses.length,
      last_status_at: last ? last.createdAt.slice(0, 10) : null,
      emojis: [],
      fields: [],
      ...(a.suspended ? { suspended: true } : {}),
      ...(a.limited ? { limited: true } : {}),
    };
  }

  /** Status text → HTML the way Mastodon's TextFormatter renders local statuses. */
  private renderContent(text: string): string {
    const token = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'])|(@[A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+[A-Za-z0-9])?)|(#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)/gu;
    const paragraphs = text.replace(/\r\n?/g, '\n').split(/\n{2,}/);
    const rendered = paragraphs.map((p) => {
      let html = '';
      let last = 0;
      for (const m of p.matchAll(token)) {
        const before = p.slice(last, m.index);
        const prev = before.slice(-1);
        html += escapeHtml(before);
        last = m.index! + m[0].length;
        if (m[1]) {
          const url = m[1];
          const scheme = /^https?:\/\/(www\.)?/.exec(url)![0];
          const rest = url.slice(scheme.length);
          const shown = rest.slice(0, 30);
          const cut = rest.slice(30);
          html += `<a href="${escapeHtml(url)}" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">${escapeHtml(scheme)}</span><span class="${cut ? 'ellipsis' : ''}">${escapeHtml(shown)}</span><span class="invisible">${escapeHtml(cut)}</span></a>`;
        } else if (m[2] && !/[\w@]/.test(prev)) {
          const acc = this.accountByUsername(m[2].slice(1));
          html += acc
            ? `<span class="h-card" translate="no"><a href="${this.base()}/@${acc.username}" class="u-url mention">@<span>${escapeHtml(acc.username)}</span></a></span>`
            : escapeHtml(m[2]);
        } else if (m[3] && !/[\w#]/.test(prev)) {
          const tag = m[3].slice(1);
          html += `<a href="${this.base()}/tags/${encodeURIComponent(tag.toLowerCase())}" class="mention hashtag" rel="tag">#<span>${escapeHtml(tag)}</span></a>`;
        } else {
          html += escapeHtml(m[0]);
        }
      }
      html += escapeHtml(p.slice(last));
      return `<p>${html.replace(/\n/g, '<br />')}</p>`;
    });
    return rendered.join('');
  }

  private statusJson(s: StatusRecord, viewerId: string | null): Record<string, unknown> {
    const a = this.accounts.get(s.accountId)!;
    const mentions = s.mentionIds.map((id) => this.accounts.get(id)!).map((m) => ({ id: m.id, username: m.username, url: `${this.base()}/@${m.username}`, acct: m.domain ? `${m.username}@${m.domain}` : m.username }));
    return {
      id: s.id,
      created_at: s.createdAt,
      in_reply_to_id: s.inReplyToId,
      in_reply_to_account_id: s.inReplyToAccountId,
      sensitive: false,
      spoiler_text: s.spoilerText,
      visibility: s.visibility,
      language: s.language,
      uri: `${this.base()}/users/${a.username}/statuses/${s.id}`,
      url: `${this.base()}/@${a.username}/${s.id}`,
      replies_count: this.statuses().filter((x) => x.inReplyToId === s.id).length,
      reblogs_count: 0,
      favourites_count: s.favouritedBy.size,
      edited_at: null,
      favourited: viewerId ? s.favouritedBy.has(viewerId) : false,
      reblogged: false,
      muted: false,
      bookmarked: false,
      pinned: false,
      content: this.renderContent(s.text),
      filtered: [],
      reblog: null,
      application: { name: 'Parley', website: null },
      account: this.accountJson(a),
      media_attachments: [],
      mentions,
      tags: s.tags.map((t) => ({ name: t, url: `${this.base()}/tags/${encodeURIComponent(t)}` })),
      emojis: [],
      card: null,
      poll: null,
    };
  }

  private notificationJson(n: NotificationRecord, viewerId: string) {
    const status = n.statusId ? this.statusesById.get(n.statusId) : undefined;
    return {
      id: n.id,
      type: n.type,
      created_at: n.createdAt,
      group_key: `ungrouped-${n.id}`,
      account: this.accountJson(this.accounts.get(n.fromAccountId)!),
      ...(status ? { status: this.statusJson(status, viewerId) } : {}),
      ...(n.warning ? {
        moderation_warning: {
          id: n.warning.id, action: n.warning.action, text: n.warning.text, status_ids: n.warning.statusIds,
          target_account: this.accountJson(this.accounts.get(n.recipientId)!), appeal: null, created_at: n.warning.createdAt,
        },
      } : {}),
      ...(n.event ? {
        event: { id: n.event.id, type: n.event.type, purged: false, target_name: n.event.targetName, followers_count: 0, following_count: n.event.followingCount, created_at: n.event.createdAt },
      } : {}),
    };
  }

  private relationshipJson(viewerId: string, targetId: string) {
    return {
      id: targetId,
      following: false,
      showing_reblogs: false,
      notifying: false,
      languages: null,
      followed_by: false,
      blocking: this.blocks.get(viewerId)?.has(targetId) ?? false,
      blocked_by: this.blocks.get(targetId)?.has(viewerId) ?? false,
      muting: this.mutes.get(viewerId)?.has(targetId) ?? false,
      muting_notifications: this.mutes.get(viewerId)?.has(targetId) ?? false,
      requested: false,
      requested_by: false,
      domain_blocking: false,
      endorsed: false,
      note: '',
    };
  }

  /** StatusPolicy#show? (app/policies/status_policy.rb), follows aside. */
  private canSee(viewerId: string | null, s: StatusRecord): boolean {
    if (s.deleted) return false;
    if (this.accounts.get(s.accountId)?.suspended) return false;
    if (s.visibility === 'public' || s.visibility === 'unlisted') return viewerId === null || !this.blocks.get(s.accountId)?.has(viewerId);
    return viewerId !== null && (s.accountId === viewerId || s.mentionIds.includes(viewerId));
  }

  // ---------------------------------------------------------------- HTTP

  private authenticate(req: IncomingMessage, url: URL): { accountId: string; token: string } | null {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : url.searchParams.get('access_token');
    if (!token) return null;
    const t = this.tokens.get(token);
    if (!t || t.revoked) throw new HttpFailure(401, 'The access token is invalid');
    return { accountId: t.accountId, token };
  }

  private rateLimitHeaders(accountId: string | null, res: ServerResponse): void {
    const key = accountId ?? 'anonymous';
    const now = Date.now();
    let b = this.budget.get(key);
    if (!b || b.resetAt <= now) {
      b = { used: 0, resetAt: Math.ceil(now / 300_000) * 300_000 };
      this.budget.set(key, b);
    }
    b.used++;
    res.setHeader('X-RateLimit-Limit', String(this.rateLimit));
    res.setHeader('X-RateLimit-Remaining', String(Math.max(0, this.rateLimit - b.used)));
    res.setHeader('X-RateLimit-Reset', new Date(b.resetAt).toISOString());
    if (b.used > this.rateLimit) throw new HttpFailure(429, 'Too many requests');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    // logged on arrival (a request left hanging is logged too); the status once answered
    const entry: RequestLogEntry = { method, path: url.pathname + url.search, headers: req.headers, status: 0 };
    this.requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    try {
      const fault = this.requestFaults.find((f) => f.times > 0 && f.path.test(url.pathname));
      if (fault) {
        fault.times--;
        throw new HttpFailure(fault.status, fault.status >= 500 ? 'We\'re sorry, but something went wrong on our end.' : 'Error');
      }
      const auth = this.authenticate(req, url);
      if (!auth && !this.anonymousReads && url.pathname.startsWith('/api/') && url.pathname !== '/api/v2/instance') throw new HttpFailure(401, 'This API requires an authenticated user');
      this.rateLimitHeaders(auth?.accountId ?? null, res);
      const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readBody(req) : {};
      await this.route(method, url, auth, body, req, res);
    } catch (err) {
      if (err instanceof HttpFailure) return json(res, err.status, { error: err.message });
      return json(res, 500, { error: 'We\'re sorry, but something went wrong on our end.' });
    }
  }

  private requireUser(auth: { accountId: string } | null): string {
    if (!auth) throw new HttpFailure(401, 'The access token is invalid');
    return auth.accountId;
  }

  private async route(method: string, url: URL, auth: { accountId: string; token: string } | null, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const p = url.pathname.replace(/\/+$/, '');
    const q = url.searchParams;
    let m: RegExpExecArray | null;

    if (method === 'GET' && p === '/api/v2/instance') return json(res, 200, this.instanceJson());
    if (method === 'GET' && p === '/api/v1/instance/domain_blocks') {
      // Api::V1::Instances::DomainBlocksController: 404 when the admin shows the list to no one
      if (!this.domainBlocksShown) throw new HttpFailure(404, 'Record not found');
      return json(res, 200, this.domainBlocks.map((b) => ({
        // DomainBlock#public_domain: when obfuscated, the middle half's characters (not the dots) become `*`
        domain: b.obfuscate ? [...b.domain].map((c, i, all) => (i > Math.floor(all.length / 4) && i < all.length - Math.floor(all.length / 4) && c !== '.' ? '*' : c)).join('') : b.domain,
        digest: createHash('sha256').update(b.domain).digest('hex'),
        severity: b.severity,
        comment: b.comment,
      })));
    }
    if (method === 'GET' && p === '/api/v1/accounts/verify_credentials') {
      const me = this.accounts.get(this.requireUser(auth))!;
      return json(res, 200, { ...this.accountJson(me), source: { privacy: 'public', sensitive: false, language: '', note: me.note, fields: [], follow_requests_count: 0 } });
    }
    if (method === 'GET' && (m = /^\/api\/v1\/accounts\/([^/]+)$/.exec(p))) {
      const a = this.accounts.get(m[1]!);
      if (!a) throw new HttpFailure(404, 'Record not found');
      // Mastodon 2.4–3.2: "410 Gone — Account is suspended (since 2.4.0 and until 3.3.0)"
      if (a.suspended && this.suspendedAccountsGone) throw new HttpFailure(410, 'Gone');
      return json(res, 200, this.accountJson(a));
    }
    if (method === 'GET' && (m = /^\/api\/v1\/accounts\/([^/]+)\/statuses$/.exec(p))) {
      const viewer = auth?.accountId ?? null;
      const accountId = m[1]!;
      if (!this.accounts.has(accountId)) throw new HttpFailure(404, 'Record not found');
      // profiles never list direct statuses
      const items = this.statuses().filter((s) => s.accountId === accountId && s.visibility !== 'direct' && this.canSee(viewer, s) && (q.get('exclude_replies') !== 'true' || !s.inReplyToId));
      return this.page(res, url, items, (s) => this.statusJson(s, viewer), 20, 40);
    }
    if (method === 'POST' && (m = /^\/api\/v1\/accounts\/([^/]+)\/(block|unblock|mute|unmute)$/.exec(p))) {
      const me = this.requireUser(auth);
      const target = m[1]!;
      if (!this.accounts.has(target)) throw new HttpFailure(404, 'Record not found');
      const set = (map: Map<string, Set<string>>) => map.get(me) ?? map.set(me, new Set()).get(me)!;
      if (m[2] === 'block') set(this.blocks).add(target);
      if (m[2] === 'unblock') set(this.blocks).delete(target);
      if (m[2] === 'mute') set(this.mutes).add(target);
      if (m[2] === 'unmute') set(this.mutes).delete(target);
      return json(res, 200, this.relationshipJson(me, target));
    }
    if (method === 'GET' && (p === '/api/v1/blocks' || p === '/api/v1/mutes')) {
      const me = this.requireUser(auth);
      const ids = [...((p === '/api/v1/blocks' ? this.blocks : this.mutes).get(me) ?? [])];
      return json(res, 200, ids.map((id) => this.accountJson(this.accounts.get(id)!)));
    }
    if (method === 'GET' && p === '/api/v1/notifications') {
      const me = this.requireUser(auth);
      const types = q.getAll('types[]');
      const exclude = q.getAll('exclude_types[]');
      const from = q.get('account_id');
      const items = this.notifications.filter((n) => n.recipientId === me && (!types.length || types.includes(n.type)) && !exclude.includes(n.type) && (!from || n.fromAccountId === from));
      return this.page(res, url, items, (n) => this.notificationJson(n, me), 40, 80);
    }
    if (method === 'GET' && p === '/api/v1/instance/rules') return json(res, 200, this.rules);
    if (method === 'POST' && p === '/api/v1/reports') return json(res, 200, this.createReport(this.requireUser(auth), body));
    if (method === 'POST' && p === '/api/v1/statuses') return this.createStatus(this.requireUser(auth), body, req, res);
    if ((m = /^\/api\/v1\/statuses\/([^/]+)(?:\/(context|favourite))?$/.exec(p))) {
      const viewer = auth?.accountId ?? null;
      const s = this.statusesById.get(m[1]!);
      if (!s || !this.canSee(viewer, s)) throw new HttpFailure(404, 'Record not found');
      if (method === 'GET' && !m[2]) return json(res, 200, this.statusJson(s, viewer));
      if (method === 'GET' && m[2] === 'context') {
        const ancestors: StatusRecord[] = [];
        for (let a = s.inReplyToId ? this.statusesById.get(s.inReplyToId) : undefined; a; a = a.inReplyToId ? this.statusesById.get(a.inReplyToId) : undefined) {
          if (this.canSee(viewer, a)) ancestors.unshift(a);
        }
        const descendants: StatusRecord[] = [];
        const walk = (id: string) => {
          for (const c of this.statuses().filter((x) => x.inReplyToId === id)) {
            if (!this.canSee(viewer, c)) continue;
            descendants.push(c);
            walk(c.id);
          }
        };
        walk(s.id);
        return json(res, 200, { ancestors: ancestors.map((x) => this.statusJson(x, viewer)), descendants: descendants.map((x) => this.statusJson(x, viewer)) });
      }
      if (method === 'POST' && m[2] === 'favourite') {
        s.favouritedBy.add(this.requireUser(auth));
        return json(res, 200, this.statusJson(s, viewer));
      }
      if (method === 'DELETE' && !m[2]) {
        if (s.accountId !== this.requireUser(auth)) throw new HttpFailure(404, 'Record not found');
        s.deleted = true;
        // its mentions go with it, and their notifications (Mention has_one :notification, dependent: :destroy)
        for (let i = this.notifications.length - 1; i >= 0; i--) if (this.notifications[i]!.statusId === s.id) this.notifications.splice(i, 1);
        this.publishDelete(s);
        return json(res, 200, { ...this.statusJson({ ...s, deleted: false }, viewer), text: s.text });
      }
    }
    if (method === 'GET' && p === '/api/v2/search') {
      const viewer = this.requireUser(auth);
      // a whole-query "phrase" as Mastodon's parser reads it; an unbalanced quote makes its parser
      // fail, and the search answers nothing (StatusesSearchService rescues Parslet::ParseFailed)
      const raw = q.get('q') ?? '';
      const needle = (raw.split('"').length % 2 === 0 ? '' : raw.replace(/^"(.*)"$/, '$1')).toLowerCase();
      const type = q.get('type');
      const statuses = !type || type === 'statuses'
        ? this.statuses().filter((s) => (s.visibility === 'public' || s.visibility === 'unlisted') && needle !== '' && s.text.toLowerCase().includes(needle))
        : [];
      const limit = clampLimit(q.get('limit'), 20, 40);
      // as Mastodon's StatusesSearchService: min_id/max_id only bound the results, which come
      // newest first (order id desc), `offset` pages on
      const bounded = statuses.filter((s) => (!q.get('min_id') || cmp(s.id, q.get('min_id')!) > 0) && (!q.get('max_id') || cmp(s.id, q.get('max_id')!) < 0)).sort((a, b) => cmp(b.id, a.id));
      const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
      return json(res, 200, { accounts: [], statuses: bounded.slice(offset, offset + limit).map((s) => this.statusJson(s, viewer)), hashtags: [] });
    }
    if (method === 'GET' && (m = /^\/api\/v1\/timelines\/tag\/([^/]+)$/.exec(p))) {
      const viewer = auth?.accountId ?? null;
      const tag = decodeURIComponent(m[1]!).toLowerCase();
      const items = this.statuses().filter((s) => s.visibility === 'public' && s.tags.some((t) => t.toLowerCase() === tag));
      return this.page(res, url, items, (s) => this.statusJson(s, viewer), 20, 40);
    }
    if (p.startsWith('/api/')) throw new HttpFailure(404, 'Record not found');
    throw new HttpFailure(404, 'Not Found');
  }

  /** Newest first, bounded by max_id/since_id/min_id, with Link headers for next (older) and prev (newer). */
  private page<T extends { id: string }>(res: ServerResponse, url: URL, items: T[], present: (x: T) => unknown, def: number, max: number): void {
    const limit = clampLimit(url.searchParams.get('limit'), def, max);
    const page = paginate(items, url.searchParams, limit);
    if (page.length) {
      const link = (param: string, id: string) => {
        const u = new URL(url.pathname, this.base());
        for (const [k, v] of url.searchParams) if (!['max_id', 'since_id', 'min_id'].includes(k)) u.searchParams.append(k, v);
        u.searchParams.set(param, id);
        return `<${u.toString()}>`;
      };
      res.setHeader('Link', `${link('max_id', page[page.length - 1]!.id)}; rel="next", ${link('min_id', page[0]!.id)}; rel="prev"`);
    }
    json(res, 200, page.map(present));
  }

  private instanceJson() {
    return {
      domain: this.domain,
      title: 'Mastodon contract server',
      version: '4.3.0',
      source_url: 'https://github.com/mastodon/mastodon',
      description: 'A contract server for Parley\'s tests',
      usage: { users: { active_month: this.accounts.size } },
      thumbnail: { url: `${this.base()}/packs/media/images/preview.png` },
      languages: ['en'],
      configuration: {
        urls: { streaming: this.base().replace(/^http/, 'ws') },
        accounts: { max_featured_tags: 10 },
        statuses: { max_characters: MAX_CHARS, max_media_attachments: 4, characters_reserved_per_url: 23 },
        media_attachments: { supported_mime_types: [], image_size_limit: 16777216, image_matrix_limit: 33177600, video_size_limit: 103809024, video_frame_rate_limit: 120, video_matrix_limit: 8294400 },
        polls: { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2629746 },
        translation: { enabled: false },
      },
      registrations: { enabled: false, approval_required: false, message: null },
      contact: { email: `admin@${this.domain}`, account: null },
      rules: this.rules,
    };
  }

  /**
   * POST /api/v1/reports (Api::V1::ReportsController, ReportService, Report model): `account_id`
   * must name a known account (else 404), `status_ids[]` its own statuses (else 404), `comment`
   * at most 1000 characters for a local reporter (422), `category` one of spam, legal, violation,
   * other (default other; 422 otherwise); with `rule_ids[]` the report is a `violation`, and each
   * must be one of the instance's rules (422). Answers the Report entity.
   */
  private createReport(me: string, body: Record<string, unknown>): unknown {
    const list = (k: string): string[] => {
      const v = body[k] ?? body[`${k}[]`];
      return v == null ? [] : (Array.isArray(v) ? v : [v]).map(String);
    };
    const target = this.accounts.get(String(body.account_id ?? ''));
    if (!target) throw new HttpFailure(404, 'Record not found');
    const statusIds = list('status_ids');
    for (const id of statusIds) if (this.statusesById.get(id)?.accountId !== target.id) throw new HttpFailure(404, 'Record not found');
    const comment = typeof body.comment === 'string' ? body.comment : '';
    if ([...comment].length > 1000) throw new HttpFailure(422, 'Validation failed: Comment is too long (maximum is 1000 characters)');
    const ruleIds = list('rule_ids');
    const asked = body.category == null || body.category === '' ? 'other' : String(body.category);
    if (!['spam', 'legal', 'violation', 'other'].includes(asked)) throw new HttpFailure(422, `'${asked}' is not a valid category`);
    const category = ruleIds.length ? 'violation' : asked;
    if (ruleIds.some((id) => !this.rules.some((r) => r.id === id))) throw new HttpFailure(422, 'Validation failed: Rule ids does not reference valid rules');
    const forward = (body.forward === true || body.forward === 'true') && !!target.domain;
    const r = { id: this.nextId(), accountId: me, targetAccountId: target.id, statusIds, comment, forwarded: forward, category, ruleIds, createdAt: new Date().toISOString() };
    this.reports.push(r);
    return { id: r.id, action_taken: false, action_taken_at: null, category, comment, forwarded: forward, created_at: r.createdAt, status_ids: statusIds.length ? statusIds : null, rule_ids: ruleIds.length ? ruleIds : null, target_account: this.accountJson(target) };
  }

  private async createStatus(me: string, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fault = this.faults.shift();
    if (fault === 'rate_limit') {
      res.setHeader('X-RateLimit-Remaining', '0');
      res.setHeader('X-RateLimit-Reset', new Date(Date.now() + 2000).toISOString());
      return json(res, 429, { error: 'Too many requests' });
    }
    if (fault === 'auth_revoked') {
      for (const [token, t] of this.tokens) if (t.accountId === me) this.revokeToken(token);
      return json(res, 401, { error: 'The access token is invalid' });
    }
    if (fault === 'server_error') {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>');
      return;
    }

    const key = req.headers['idempotency-key'];
    const idemKey = typeof key === 'string' && key ? `${me}:${key}` : null;
    const prior = idemKey ? this.idempotency.get(idemKey) : undefined;
    let status: StatusRecord;
    if (prior && Date.now() - prior.at < IDEMPOTENCY_MS && this.statusesById.has(prior.statusId)) {
      status = this.statusesById.get(prior.statusId)!;
    } else {
      const text = typeof body.status === 'string' ? body.status : '';
      if (!text.trim()) throw new HttpFailure(422, 'Validation failed: Text can\'t be blank');
      if ([...text].length > MAX_CHARS) throw new HttpFailure(422, `Validation failed: Text character limit of ${MAX_CHARS} exceeded`);
      const visibility = (typeof body.visibility === 'string' ? body.visibility : 'public') as Visibility;
      if (!['public', 'unlisted', 'private', 'direct'].includes(visibility)) throw new HttpFailure(422, 'Validation failed: Visibility is not included in the list');
      const replyToId = typeof body.in_reply_to_id === 'string' && body.in_reply_to_id ? body.in_reply_to_id : null;
      const parent = replyToId ? this.statusesById.get(replyToId) : undefined;
      if (replyToId && (!parent || !this.canSee(me, parent))) throw new HttpFailure(404, 'Record not found');
      const mentionIds: string[] = [];
      for (const mm of text.matchAll(/(^|[^\w@])@([A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+[A-Za-z0-9])?)/g)) {
        const acc = this.accountByUsername(mm[2]!);
        if (acc && !mentionIds.includes(acc.id)) mentionIds.push(acc.id);
      }
      const tags = [...new Set([...text.matchAll(/(^|[^\w#])#([\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)/gu)].map((t) => t[2]!))];
      status = {
        id: this.nextId(), accountId: me, text, spoilerText: typeof body.spoiler_text === 'string' ? body.spoiler_text : '', visibility,
        inReplyToId: parent?.id ?? null, inReplyToAccountId: parent?.accountId ?? null, mentionIds, tags,
        language: typeof body.language === 'string' ? body.language : 'en', createdAt: new Date().toISOString(), favouritedBy: new Set(), deleted: false,
      };
      this.statusesById.set(status.id, status);
      if (idemKey) this.idempotency.set(idemKey, { statusId: status.id, at: Date.now() });
      for (const recipient of mentionIds) {
        if (recipient === me || this.blocks.get(recipient)?.has(me) || this.mutes.get(recipient)?.has(me)) continue;
        const n: NotificationRecord = { id: this.nextId(), recipientId: recipient, type: 'mention', fromAccountId: me, statusId: status.id, createdAt: status.createdAt };
        this.notifications.push(n);
        this.publishNotification(n);
      }
    }
    if (fault === 'timeout_after_accept') {
      // stored (and federated, notified) — but the answer never comes
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    return json(res, 200, this.statusJson(status, me));
  }

  // ---------------------------------------------------------------- streaming (WebSocket)

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, error: string) => {
      const body = JSON.stringify({ error });
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if (url.pathname.replace(/\/+$/, '') !== '/api/v1/streaming') return refuse(400, 'Unknown channel requested');
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || req.headers.upgrade?.toLowerCase() !== 'websocket') return refuse(400, 'Bad websocket upgrade');
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : protocols[0] ?? url.searchParams.get('access_token');
    const t = token ? this.tokens.get(token) : undefined;
    if (!token || !t || t.revoked) return refuse(401, 'Error: Invalid access token');
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n` +
        (protocols.length ? `Sec-WebSocket-Protocol: ${protocols[0]}\r\n` : '') +
        '\r\n',
    );
    const client: StreamClient = { socket, accountId: t.accountId, token, streams: new Set(), buffer: Buffer.alloc(0) };
    this.streamClients.add(client);
    const initial = url.searchParams.get('stream');
    if (initial) this.subscribe(client, initial);
    socket.on('data', (chunk: Buffer) => this.onFrames(client, chunk));
    socket.on('close', () => this.streamClients.delete(client));
    socket.on('error', () => this.streamClients.delete(client));
    if (head.length) this.onFrames(client, head);
  }

  private subscribe(c: StreamClient, stream: string): void {
    if (!['user', 'user:notification'].includes(stream)) {
      this.sendText(c, JSON.stringify({ error: 'Unknown stream type', status: 400 }));
      return;
    }
    c.streams.add(stream);
  }

  private onFrames(c: StreamClient, chunk: Buffer): void {
    c.buffer = Buffer.concat([c.buffer, chunk]);
    for (;;) {
      const b = c.buffer;
      if (b.length < 2) return;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const maskAt = off;
      if (masked) off += 4;
      if (b.length < off + len) return;
      const payload = Buffer.from(b.subarray(off, off + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= b[maskAt + (i % 4)]!;
      c.buffer = b.subarray(off + len);
      if (opcode === 0x8) {
        this.closeStream(c, 1000);
        return;
      }
      if (opcode === 0x9) this.writeFrame(c, 0xa, payload);
      if (opcode === 0x1) {
        let msg: { type?: unknown; stream?: unknown };
        try {
          msg = JSON.parse(payload.toString('utf8'));
        } catch {
          this.sendText(c, JSON.stringify({ error: 'Bad request', status: 400 }));
          continue;
        }
        if (msg.type === 'subscribe' && typeof msg.stream === 'string') this.subscribe(c, msg.stream);
        if (msg.type === 'unsubscribe' && typeof msg.stream === 'string') c.streams.delete(msg.stream);
      }
    }
  }

  private writeFrame(c: StreamClient, opcode: number, payload: Buffer): void {
    if (c.socket.destroyed) return;
    const len = payload.length;
    const header = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    if (len < 126) header[1] = len;
    else if (len < 65536) {
      header[1] = 126;
      header.writeUInt16BE(len, 2);
    } else {
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    c.socket.write(Buffer.concat([header, payload]));
  }

  private sendText(c: StreamClient, text: string): void {
    this.writeFrame(c, 0x1, Buffer.from(text, 'utf8'));
  }

  private closeStream(c: StreamClient, code: number): void {
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code, 0);
    this.writeFrame(c, 0x8, p);
    c.socket.end();
    this.streamClients.delete(c);
  }

  /**
   * RemoveStatusService: `{"event":"delete","payload":"<status id>"}` to `timeline:<account id>`
   * of the author (remove_from_self) and of every account the status mentioned
   * (remove_from_mentions), which the `user` stream carries; `user:notification` carries
   * notifications only. (Followers' home feeds get it too; follows are not modelled here.)
   */
  private publishDelete(s: StatusRecord): void {
    const to = new Set([s.accountId, ...s.mentionIds]);
    for (const c of this.streamClients) {
      if (!to.has(c.accountId) || !c.streams.has('user')) continue;
      this.sendText(c, JSON.stringify({ stream: ['user'], event: 'delete', payload: s.id }));
    }
  }

  private publishNotification(n: NotificationRecord): void {
    for (const c of this.streamClients) {
      if (c.accountId !== n.recipientId) continue;
      for (const stream of ['user:notification', 'user']) {
        if (!c.streams.has(stream)) continue;
        this.sendText(c, JSON.stringify({ stream: [stream], event: 'notification', payload: JSON.stringify(this.notificationJson(n, c.accountId)) }));
      }
    }
  }
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function clampLimit(v: string | null, def: number, max: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : def;
}

function cmp(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** Mastodon's paging: max_id (older than), since_id (newer than, newest page), min_id (newer than, the page right after it). */
function paginate<T extends { id: string }>(items: T[], q: URLSearchParams, limit: number): T[] {
  const max = q.get('max_id');
  const since = q.get('since_id');
  const min = q.get('min_id');
  let xs = items.filter((x) => (!max || cmp(x.id, max) < 0) && (!since || cmp(x.id, since) > 0) && (!min || cmp(x.id, min) > 0));
  xs = [...xs].sort((a, b) => cmp(b.id, a.id));
  return min ? xs.slice(-limit) : xs.slice(0, limit);
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw) return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    try {
      const v = JSON.parse(raw);
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    } catch {
      throw new HttpFailure(400, 'Error while parsing request body');
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  throw new HttpFailure(415, 'Unsupported media type');
}
