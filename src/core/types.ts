/**
 * The domain vocabulary shared by every layer. Networks are normalized into these
 * shapes at the edge (src/channels/<network>/); triage, routing, SLA and reports
 * only ever see these, never a network's JSON.
 */

export const NETWORKS = ['x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'email', 'webchat', 'demo'] as const;
export type Network = (typeof NETWORKS)[number];

export type Direction = 'inbound' | 'outbound';
export type Visibility = 'public' | 'private';

/** What kind of item a channel delivered; informs triage and threading, never core branching. */
export const MESSAGE_KINDS = ['mention', 'reply', 'comment', 'post', 'dm', 'email', 'chat', 'listening'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const CONVERSATION_STATUSES = ['new', 'open', 'waiting', 'resolved'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const ROLES = ['agent', 'expert', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const AVAILABILITIES = ['online', 'away', 'offline'] as const;
export type Availability = (typeof AVAILABILITIES)[number];

export type AccountPurpose = 'care' | 'brand';

/** A person's identity on one network, as the network describes them. */
export interface AuthorIdentity {
  /** Stable id on the network (numeric id, DID, email address...). */
  networkUserId: string;
  handle: string;
  displayName?: string | null;
  followers?: number | null;
  verified?: boolean | null;
  profileUrl?: string | null;
  avatarUrl?: string | null;
}

/**
 * One inbound (or externally-seen outbound) item, normalized at the edge.
 * `raw` is the network's payload, kept verbatim for audit and debugging.
 */
export interface NormalizedMessage {
  network: Network;
  /** Unique per network: tweet id, AT URI, comment id, Message-ID... */
  networkMessageId: string;
  direction: Direction;
  visibility: Visibility;
  kind: MessageKind;
  author: AuthorIdentity;
  text: string;
  /** Network id of the item this replies to, if any. */
  inReplyToNetworkId?: string | null;
  /** Network id of the thread root (AT reply root, email References[0]...), if known. */
  threadRootNetworkId?: string | null;
  /** When the network says it was created (ms since epoch). */
  createdAt: number;
  url?: string | null;
  /** True for the brand's own posts seen on the network (made outside Parley, or imported). */
  fromBrand?: boolean;
  /**
   * Posted by a bot or an automation, as the network marks it (Mastodon's bot accounts, say).
   * A brand message so marked is stored as automatic: it never counts as a response; a customer's
   * (an email auto-reply or bounce) is stored as automatic too and never gets an auto-acknowledgement.
   */
  automated?: boolean;
  raw: unknown;
}

/** Triage outcome stored with each inbound message (see src/core/triage). */
export type TriageAction = 'respond' | 'monitor' | 'ignore';
export type TriageCategory = 'customer_service' | 'brand' | 'spam' | 'abuse' | 'other';
export type Sentiment = 'negative' | 'neutral' | 'positive';

export interface Scored<T> {
  value: T;
  /** 0..1 */
  confidence: number;
  reason: string;
}

export interface PriorityFactor {
  /** Stable code, e.g. `complaint`, `negative_sentiment`, `chaser`, `waiting_time`, `public`, `reach`. */
  code: string;
  label: string;
  points: number;
}

export interface TriageResult {
  action: Scored<TriageAction>;
  category: Scored<TriageCategory>;
  complaint: Scored<boolean>;
  sentiment: Scored<Sentiment>;
  accolade: Scored<boolean>;
  chaser: Scored<boolean>;
  intent: Scored<string> | null;
  language: Scored<string>;
  priority: { value: number; factors: PriorityFactor[] };
  /** Which classifier produced it (e.g. `builtin-linear@2026-11-23`, or a plugin's name). */
  model: string;
}
