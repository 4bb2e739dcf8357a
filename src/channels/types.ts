/**
 * The one interface every network implements (src/channels/<network>/).
 * A channel only talks to its network and normalizes at the edge: everything
 * it hands in is a NormalizedMessage (raw payload kept), everything it sends
 * comes from the outbox, which holds the outbound invariants (approval,
 * idempotency, echo and note refusal) in one place. Rarer capabilities are
 * optional methods, declared in `capabilities` with a reason when absent.
 */
import type { AuthorIdentity, Network, NormalizedMessage, Visibility } from '../core/types.js';

export const CHANNEL_ERROR_CODES = ['RATE_LIMITED', 'TEMPORARY', 'AUTH_REVOKED', 'PERMISSION_DENIED', 'NOT_FOUND', 'CURSOR_INVALID', 'INVALID_REQUEST', 'TIMEOUT'] as const;
export type ChannelErrorCode = (typeof CHANNEL_ERROR_CODES)[number];

/**
 * Connector errors carry a code; one policy (src/channels/errorPolicy.ts) maps
 * each code to retry, back-off, or marking the channel unhealthy.
 * TIMEOUT means "we do not know whether the network accepted it".
 */
export class ChannelError extends Error {
  constructor(
    readonly code: ChannelErrorCode,
    message: string,
    readonly opts: { retryAt?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
  }
}

export type Capability = 'publicReply' | 'privateMessage' | 'hide' | 'delete' | 'block' | 'mute' | 'like' | 'fetchProfile' | 'fetchThread' | 'search' | 'webhook' | 'poll' | 'stream';

/** true, or the reason the network lacks it (shown to admins and in the contract suite). */
export type Capabilities = Record<Capability, true | string>;

/** The connected account a channel instance serves (credentials decrypted). */
export interface ChannelAccountConfig {
  id: number;
  brandId: number;
  network: Network;
  handle: string;
  externalId: string;
  settings: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

export interface SyncResult {
  messages: NormalizedMessage[];
  /** Opaque position to resume from; null keeps the old cursor. */
  cursor: string | null;
  /** More is waiting right now (call again without sleeping). */
  more?: boolean;
  /** Items of the page that could not become messages: quarantined with the reason before the cursor moves. */
  rejected?: RejectedItem[];
}

/**
 * One item of a webhook delivery or a polled page that cannot become a message: kept in
 * quarantine with the reason and what the network sent, while the rest is stored.
 */
export interface RejectedItem {
  reason: string;
  raw: unknown;
}

export interface SendRequest {
  /** Stable across retries: the outbox's key for this message. */
  idempotencyKey: string;
  text: string;
  visibility: Visibility;
  /** The network item being answered (public replies, comment private replies). */
  inReplyTo?: { networkMessageId: string; threadRootNetworkId?: string | null; raw?: unknown } | null;
  /** The person addressed (private messages, mentions). */
  recipient?: AuthorIdentity | null;
  /** Written by Parley itself (an out-of-hours acknowledgement): email marks it Auto-Submitted so auto-responders stay quiet. */
  automatic?: boolean;
}

export interface SendResult {
  networkMessageId: string;
  url?: string | null;
  createdAt?: number;
  raw?: unknown;
}

export interface WebhookRequest {
  method: string;
  /** Path after the channel's webhook prefix, and the query string as parsed. */
  query: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  /** The exact bytes received (signatures are computed over them). */
  rawBody: Buffer;
}

export interface WebhookResponse {
  status: number;
  body?: string | object;
  headers?: Record<string, string>;
}

export interface WebhookResult {
  /** What to answer the network (challenge responses, 200 OK...). */
  response: WebhookResponse;
  messages: NormalizedMessage[];
  /** Items of the delivery that are not what the network documents (kept in quarantine with the reason, never dropped silently). */
  rejected?: RejectedItem[];
  /** Items the network says were deleted (by their author): redacted if stored, kept out if not (src/pipeline/deletions.ts). */
  deletions?: { networkMessageId: string }[];
  /**
   * Items the network says it now hides or shows again (a Facebook `feed` change with `verb:
   * hide` / `unhide`): recorded on stored messages as the presence check would
   * (src/pipeline/deletions.ts `applyNetworkVisibility`).
   */
  visibility?: { hidden: { networkMessageId: string; reason: NetworkHiddenReason }[]; shown: string[] };
}

/** What the sync worker knows of the stored items it asks `goneFrom` about. */
export interface GoneContext {
  /** Network id of an item → its author's network user id (items without a stored author are left out). */
  authors: ReadonlyMap<string, string>;
  /** Network id of an item → what it answers and its thread's root (network ids), where stored. */
  threads?: ReadonlyMap<string, { inReplyTo: string | null; root: string | null }>;
}

/**
 * Why a post the network keeps is no longer shown, though its author did not delete it (the
 * deletion check's "kept" outcomes): the author's remote account suspended by the brand's own
 * Mastodon instance, or with its whole server (defederation); a Bluesky account taken down,
 * suspended or deactivated by its host; an Instagram comment hidden; a comment whose media was
 * removed. Stored on the message (src/pipeline/deletions.ts `applyNetworkVisibility`).
 * `withheld`: an X post (or its author's account) withheld in some countries, on a legal demand
 * or for copyright; `account_protected`: an X author who made their account protected, so only
 * approved followers see the post. A hidden Facebook comment is `hidden_comment` too.
 * `author_limited` / `server_limited`: a Mastodon author limited (silenced) by the brand's
 * instance, alone or with their whole server (a `silence` domain block): kept out of its public
 * timelines and from non-followers; `post_taken_down`: a Bluesky post taken down by moderation on
 * its own (the AppView leaves it out; the author's repository still holds it, the account active);
 * `account_taken_down`: a Bluesky account taken down by the AppView's moderation alone (its PDS
 * still serves the repository, the account active there; the AppView shows none of its posts).
 * `author_blocked`: an Instagram comment gone because the brand blocked its author (a block
 * removes their comments from the account's posts), per Parley's own moderation record;
 * `author_restricted`: one held back because the brand restricted its author (held until
 * approved, only its author sees it). Both set where deletions are recorded
 * (src/pipeline/deletions.ts `removedByAuthorModeration`).
 */
export const NETWORK_HIDDEN_REASONS = ['author_suspended', 'server_defederated', 'repo_takedown', 'account_suspended', 'account_deactivated', 'hidden_comment', 'parent_removed', 'withheld', 'account_protected', 'author_limited', 'server_limited', 'post_taken_down', 'account_taken_down', 'author_blocked', 'author_restricted'] as const;
export type NetworkHiddenReason = (typeof NETWORK_HIDDEN_REASONS)[number];

/** What a connector's presence check found of the items asked (ids it cannot judge are in none of the three). */
export interface PresenceReport {
  /** Certainly deleted by their author (what `goneFrom` answers). */
  gone: string[];
  /** Kept by the network but not shown, and why. */
  hidden: ReadonlyMap<string, NetworkHiddenReason>;
  /** Shown as before (a hidden post that is visible again). */
  shown: string[];
}

export interface Channel {
  readonly network: Network;
  readonly capabilities: Capabilities;
  /**
   * Set where the network hides (and unhides) only replies, never a post that answers nothing
   * (a standalone mention, a listening hit): why, in words. Moderation refuses such a hide before
   * asking, instead of logging the network's refusal as a failed hide.
   */
  readonly hidesOnlyReplies?: string;

  /** Poll for items after `cursor` (mentions, replies, DMs, comments). */
  sync?(cursor: string | null, signal?: AbortSignal): Promise<SyncResult>;
  /** Verify and parse a webhook delivery. Throws ChannelError('AUTH_REVOKED' | 'INVALID_REQUEST') for a bad signature. */
  handleWebhook?(req: WebhookRequest): Promise<WebhookResult> | WebhookResult;
  /**
   * A live connection (streaming API, IMAP IDLE...). Calls `emit` with new items
   * and resolves/rejects when the connection ends; the sync worker restarts it
   * with back-off and keeps polling with `sync` as the fallback. `deleted`: network
   * ids the connection says were deleted (a Mastodon `delete` event); the worker
   * redacts those it has stored (src/pipeline/deletions.ts).
   */
  stream?(emit: (messages: NormalizedMessage[], deleted?: readonly string[]) => Promise<void>, signal: AbortSignal): Promise<void>;
  /**
   * Which of these stored items (network ids) are certainly gone from the network: deleted
   * by their author, not merely hidden from the account (a block, a takedown elsewhere).
   * For networks that tell nobody of a deletion (Bluesky, Instagram), or tell only a live
   * connection that may have been down (Mastodon): the sync worker asks it, bounded,
   * about recent items of open conversations, and redacts what is gone. An id the connector
   * cannot judge is not gone. `known`: what is stored of each item (its author's network user
   * id), for a connector that tells an author's deletion from an account that is suspended or
   * out of reach (Mastodon). Where the connector also has `stream`, the worker asks it about
   * each stored item a stream's deletion notice names too, and redacts only what it confirms.
   */
  goneFrom?(networkMessageIds: readonly string[], known?: GoneContext): Promise<string[]>;
  /**
   * The same check, telling also which kept items the network hides (and why) and which it
   * shows: where a connector has it, the sync worker's periodic check asks this instead of
   * `goneFrom`, redacts what is gone and records what is hidden or shown again on the message.
   */
  presenceOf?(networkMessageIds: readonly string[], known?: GoneContext): Promise<PresenceReport>;
  /**
   * How often, and how many items at most, the sync worker asks `goneFrom` (defaults: every
   * 15 minutes, 100): a network whose every read counts against a small budget asks less.
   */
  readonly goneCheck?: { everyMs?: number; max?: number };
  /** Keyword/hashtag listening. */
  search?(query: string, cursor: string | null): Promise<SyncResult>;

  sendPublicReply(req: SendRequest): Promise<SendResult>;
  sendPrivateMessage?(req: SendRequest): Promise<SendResult>;
  /**
   * After an ambiguous failure (timeout, crash mid-send), look on the network
   * for a post carrying this request, so a reply is never posted twice.
   * Returns null when it is certainly not there.
   */
  findSent?(req: SendRequest): Promise<SendResult | null>;

  hide?(networkMessageId: string, hidden: boolean): Promise<void>;
  delete?(networkMessageId: string): Promise<void>;
  block?(user: AuthorIdentity): Promise<void>;
  mute?(user: AuthorIdentity): Promise<void>;
  /** Undo a block or mute (a wrongful one, or one whose reason is gone); the `block` and `mute` capabilities cover them. */
  unblock?(user: AuthorIdentity): Promise<void>;
  unmute?(user: AuthorIdentity): Promise<void>;
  /**
   * File a report with the network's own moderators (Mastodon POST /api/v1/reports, Bluesky
   * com.atproto.moderation.createReport): a post (with its author) or an account. The connector
   * maps Parley's `reason` to the network's category. Absent where the network has no public
   * report API (X API v2, the Graph API): moderation refuses before asking.
   */
  reportToNetwork?(req: NetworkReportRequest): Promise<NetworkReportResult>;
  /**
   * The rules a report may cite as broken (Mastodon GET /api/v1/instance/rules): `ruleIds` of
   * `reportToNetwork`. Absent where the network's reports cite no rules of its own (Bluesky).
   */
  reportRules?(): Promise<NetworkReportRule[]>;
  like?(networkMessageId: string): Promise<void>;
  fetchProfile?(networkUserId: string): Promise<AuthorIdentity>;
  fetchThread?(networkMessageId: string): Promise<NormalizedMessage[]>;

  close?(): Promise<void>;
}

/** Why a post or account is reported to its network: Parley's words, mapped by each connector to its network's categories. */
export const NETWORK_REPORT_REASONS = ['spam', 'abuse', 'impersonation', 'sexual', 'violation', 'legal', 'other'] as const;
export type NetworkReportReason = (typeof NETWORK_REPORT_REASONS)[number];

export interface NetworkReportRequest {
  /** A post (reported with its author) or the author's account alone. */
  subject: 'post' | 'account';
  /** The post (subject `post`), with what was stored of it (Bluesky needs the post's cid). */
  post?: { networkMessageId: string; raw?: unknown } | null;
  author: AuthorIdentity;
  reason: NetworkReportReason;
  /** For the network's moderators: the cited guideline and the evidence. */
  comment: string;
  /** Mastodon: the instance rules broken (GET /api/v1/instance/rules ids); the report is then filed as `violation`. */
  ruleIds?: readonly string[];
}

/** A rule of the network (a Mastodon instance's server rule) that a report may cite. */
export interface NetworkReportRule {
  id: string;
  text: string;
  /** The longer explanation, '' when the network gives none. */
  hint: string;
}

export interface NetworkReportResult {
  /** The network's id of the report filed. */
  reportId: string;
  /** The network's category it was filed under (Mastodon `category`, Bluesky `reasonType`). */
  category: string;
}

export type ChannelFactory = (account: ChannelAccountConfig, deps: ChannelDeps) => Channel;

export interface ChannelDeps {
  /** fetch, injectable so tests can point a connector at a contract server. */
  fetch: typeof fetch;
  now: () => number;
  /** Keys derived from the instance secret, by purpose (`SecretBox.deriveKey`); absent in bare tests. */
  deriveKey?: (purpose: string) => Buffer;
}
