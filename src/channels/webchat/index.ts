/**
 * The web chat connector: a chat widget on the brand's own site
 * (./widget.js, served by src/server/routes/webchat.ts) talking to Parley.
 *
 * Visitors: the server issues each visitor a token (./visitors.ts: a record
 * with a random visitor id and the token's hash); the browser keeps the token.
 * The visitor id is not derived from the token, so knowing it (agents see it)
 * never lets anyone read that visitor's conversation. Nothing else about a
 * visitor is stored besides their messages.
 *
 * Inbound: the public routes authenticate the visitor by their token, then turn
 * their POST into a NormalizedMessage here (`visitorMessage`: kind chat,
 * private, author = the visitor, text
 * verbatim, id from the widget's client message id so a retried POST is stored
 * once) and hand it to the ingest queue.
 *
 * Outbound: web chat's "network" is this Parley's own database. A reply is
 * addressed to the visitor it answers (the id encodes them) and becomes visible
 * to that visitor when the outbox commits it as sent — the same transaction
 * that records the send — and the visitor's live connection is woken by the
 * `message.updated` event. So an interrupted send was never shown, and
 * `findSent` (by the id derived from the idempotency key) finds a reply only
 * once it was committed: at most once by construction.
 */
import { createHash } from 'node:crypto';
import type { NormalizedMessage } from '../../core/types.js';
import type { Store } from '../../store/db.js';
import { ChannelError, type Capabilities, type Channel, type ChannelAccountConfig, type ChannelDeps, type ChannelFactory, type SendRequest, type SendResult } from '../types.js';

const CAPS: Capabilities = {
  // the reply to a visitor's message; like every web chat message it is seen by that visitor alone
  publicReply: true,
  privateMessage: true,
  hide: 'visitors\' messages are only seen by the visitor and the team',
  delete: 'a delivered chat message stays in the visitor\'s transcript',
  block: 'visitors are anonymous; limit abuse with the rate limits and allowed origins',
  mute: 'visitors are anonymous; limit abuse with the rate limits and allowed origins',
  like: 'web chat has no likes',
  fetchProfile: 'visitors are anonymous',
  fetchThread: 'the transcript is Parley\'s own conversation',
  search: 'web chat has no public posts to listen to',
  webhook: 'visitors post to Parley\'s /webchat routes, not to a webhook',
  poll: 'visitors\' messages arrive as they are posted',
  stream: 'visitors\' messages arrive as they are posted',
};

/** Longest visitor message, in UTF-16 code units (what a textarea's maxlength counts). */
export const MAX_VISITOR_TEXT = 4000;
const CLIENT_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
const VISITOR_RE = /^v[0-9a-f]{32}$/;

export const isVisitorId = (s: unknown): s is string => typeof s === 'string' && VISITOR_RE.test(s);

/** Prefix of every network id addressed to or written by this visitor. */
export const visitorPrefix = (visitorId: string) => `wc-${visitorId}-`;

/** The id of a visitor's message (`m`) — stable across retries of the same client message. */
export const visitorMessageId = (visitorId: string, clientMessageId: string) => `${visitorPrefix(visitorId)}m${clientMessageId}`;

/** The id of a reply (`r`) to a visitor, derived from the outbox's idempotency key. */
export const replyIdFor = (visitorId: string, idempotencyKey: string) => `${visitorPrefix(visitorId)}r${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;

/** The visitor a web chat network id belongs to, or null. */
export function visitorOfId(networkMessageId: string | null | undefined): string | null {
  const m = /^wc-(v[0-9a-f]{32})-/.exec(networkMessageId ?? '');
  return m ? m[1]! : null;
}

export interface VisitorMessageInput {
  /** The visitor, as authenticated by their issued token (./visitors.ts). */
  visitorId: string;
  text: unknown;
  clientMessageId: unknown;
  /** The page the visitor wrote from (kept in raw, capped). */
  pageUrl?: unknown;
  origin?: string | null;
  userAgent?: string | null;
}

export class WebchatChannel implements Channel {
  readonly network = 'webchat' as const;
  readonly capabilities = CAPS;

  constructor(readonly account: ChannelAccountConfig, private readonly deps: ChannelDeps, private readonly opts: { store?: Store } = {}) {}

  /**
   * A visitor's message, normalized. Throws ChannelError('INVALID_REQUEST') with the reason for
   * a malformed visitor or client message id, empty text or text over MAX_VISITOR_TEXT. The text
   * is kept verbatim.
   */
  visitorMessage(input: VisitorMessageInput): NormalizedMessage {
    const visitorId = input.visitorId;
    if (!isVisitorId(visitorId)) throw new ChannelError('INVALID_REQUEST', 'the visitor id is malformed');
    if (typeof input.clientMessageId !== 'string' || !CLIENT_ID_RE.test(input.clientMessageId)) {
      throw new ChannelError('INVALID_REQUEST', 'clientMessageId must be 8 to 64 letters, digits, _ or -');
    }
    if (typeof input.text !== 'string') throw new ChannelError('INVALID_REQUEST', 'text must be a string');
    // only spaces or invisible characters (zero-width spaces and joiners, direction marks) is empty
    if (/^[\s\p{Cf}]*$/u.test(input.text)) throw new ChannelError('INVALID_REQUEST', 'the message is empty');
    if (input.text.length > MAX_VISITOR_TEXT) throw new ChannelError('INVALID_REQUEST', `the message is longer than ${MAX_VISITOR_TEXT} characters`);
    const cap = (v: unknown, n: number) => (typeof v === 'string' && v ? v.slice(0, n) : null);
    return {
      network: 'webchat',
      networkMessageId: visitorMessageId(visitorId, input.clientMessageId),
      direction: 'inbound',
      visibility: 'private',
      kind: 'chat',
      author: { networkUserId: visitorId, handle: `visitor-${visitorId.slice(1, 7)}`, displayName: null },
      text: input.text,
      inReplyToNetworkId: null,
      threadRootNetworkId: null,
      createdAt: this.deps.now(),
      url: null,
      raw: { kind: 'webchat', visitorId, clientMessageId: input.clientMessageId, pageUrl: cap(input.pageUrl, 2048), origin: cap(input.origin, 512), userAgent: cap(input.userAgent, 512) },
    };
  }

  /** The visitor a reply is for: the recipient, else the author of the answered message. */
  private visitorOf(req: SendRequest): string {
    const v = isVisitorId(req.recipient?.networkUserId) ? req.recipient!.networkUserId : visitorOfId(req.inReplyTo?.networkMessageId);
    if (!v) throw new ChannelError('INVALID_REQUEST', 'a web chat reply needs the visitor it answers (reply to one of their messages)');
    return v;
  }

  private async deliver(req: SendRequest): Promise<SendResult> {
    if (!req.text.trim()) throw new ChannelError('INVALID_REQUEST', 'a chat reply needs some text');
    const visitorId = this.visitorOf(req);
    // Delivery is the outbox committing this id as sent (see the module header).
    return { networkMessageId: replyIdFor(visitorId, req.idempotencyKey), url: null, createdAt: this.deps.now(), raw: { kind: 'webchat-reply', visitorId } };
  }

  sendPublicReply(req: SendRequest): Promise<SendResult> {
    return this.deliver(req);
  }

  sendPrivateMessage(req: SendRequest): Promise<SendResult> {
    return this.deliver(req);
  }

  /** The reply with this idempotency key, if it was committed as sent (and so shown to the visitor). */
  async findSent(req: SendRequest): Promise<SendResult | null> {
    const store = this.opts.store;
    if (!store) return null; // without the store nothing was committed by us: an unfinished send was never shown
    const id = replyIdFor(this.visitorOf(req), req.idempotencyKey);
    const row = await store.db
      .selectFrom('message')
      .select(['network_message_id', 'created_at', 'url'])
      .where('channel_account_id', '=', this.account.id)
      .where('network', '=', 'webchat')
      .where('network_message_id', '=', id)
      .where('status', '=', 'sent')
      .executeTakeFirst();
    return row ? { networkMessageId: id, url: row.url, createdAt: row.created_at } : null;
  }
}

/** Without a store (a registry that does not know the database): findSent answers "not committed". */
export const createChannel: ChannelFactory = (account: ChannelAccountConfig, deps: ChannelDeps) => new WebchatChannel(account, deps);

/** The factory the server registers: with Parley's store, so findSent can look. */
export const webchatFactory = (store: Store): ChannelFactory => (account, deps) => new WebchatChannel(account, deps, { store });
