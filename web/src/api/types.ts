/**
 * Shapes of the Parley HTTP API as the UI uses them. They mirror the zod schemas in
 * src/server/schemas.ts (the single source of truth); times are ISO 8601 strings.
 */

export type ConversationStatus = 'new' | 'open' | 'waiting' | 'resolved';
export const CONVERSATION_STATUSES: readonly ConversationStatus[] = ['new', 'open', 'waiting', 'resolved'];
export type View = 'new' | 'open' | 'mine' | 'team' | 'waiting' | 'resolved' | 'all';
export const VIEWS: readonly View[] = ['open', 'new', 'mine', 'team', 'waiting', 'resolved', 'all'];
export type Sort = 'recent' | 'priority' | 'due' | 'oldest';
export const SORTS: readonly Sort[] = ['recent', 'priority', 'due', 'oldest'];
export type Availability = 'online' | 'away' | 'offline';
export type Visibility = 'public' | 'private';

export interface Author {
  identityId: number;
  contactId: number;
  network: string;
  handle: string;
  displayName: string | null;
  followers: number | null;
  verified: boolean;
  profileUrl: string | null;
  avatarUrl: string | null;
}

export interface Message {
  id: number;
  conversationId: number;
  channelAccountId: number;
  network: string;
  networkMessageId: string | null;
  direction: 'inbound' | 'outbound' | string;
  visibility: Visibility | string;
  kind: string;
  author: Author | null;
  authorUserId: number | null;
  inReplyToNetworkId: string | null;
  replyToMessageId: number | null;
  /** Exactly as received: render as text, never as HTML. */
  text: string;
  url: string | null;
  createdAt: string | null;
  receivedAt: string | null;
  /** inbound: received; outbound: pending_approval | queued | sending | sent | failed | rejected */
  status: string;
  error: string | null;
  isAuto: boolean;
  source: string;
  triage: unknown;
}

export interface ContactSummary {
  id: number;
  displayName: string | null;
  handle: string | null;
  followers: number | null;
  verified: boolean;
}

export interface Conversation {
  id: number;
  channelAccountId: number;
  network: string;
  visibility: string;
  status: ConversationStatus;
  priority: number;
  assigneeId: number | null;
  teamId: number | null;
  subject: string;
  contact: ContactSummary | null;
  labels: string[];
  createdAt: string | null;
  updatedAt: string | null;
  lastMessageAt: string | null;
  lastInboundAt: string | null;
  waitingSince: string | null;
  firstResponseAt: string | null;
  resolvedAt: string | null;
  snoozedUntil: string | null;
  messageCount: number;
  version: number;
  sentiment: string | null;
  category: string | null;
  triageAction: string | null;
  intent: string | null;
  language: string | null;
  slaDueAt: string | null;
  slaState: string | null;
}

export interface Note {
  id: number;
  conversationId: number;
  authorUserId: number;
  text: string;
  mentions: number[];
  createdAt: string | null;
}

export interface AuditEvent {
  id: number;
  actor: string;
  actorUserId: number | null;
  action: string;
  subjectType: string;
  subjectId: string;
  conversationId: number | null;
  data: Record<string, unknown>;
  createdAt: string | null;
}

export interface PresenceUser {
  userId: number;
  name: string;
  state: 'viewing' | 'typing' | string;
}

export interface ContactDetail {
  id: number;
  displayName: string | null;
  identities: Author[];
  pastConversations: { id: number; network: string; status: string; subject: string; lastMessageAt: string; channelAccountId: number }[];
}

export interface ConversationDetail {
  conversation: Conversation;
  messages: Message[];
  notes: Note[];
  contact: ContactDetail | null;
  audit: AuditEvent[];
  presence: PresenceUser[];
}

export interface User {
  id: number;
  brandId: number;
  email: string;
  name: string;
  role: 'agent' | 'expert' | 'approver' | 'admin' | string;
  availability: Availability | string;
  capacity: number;
  lastSeenAt: string | null;
  disabled: boolean;
}

export interface Me {
  user: User;
  csrfToken: string | null;
  teams: { id: number; name: string; isLead: boolean }[];
}

export interface Team {
  id: number;
  name: string;
  routingStrategy: string;
  members: { userId: number; isLead: boolean }[];
}

export interface ChannelAccount {
  id: number;
  network: string;
  driver: string | null;
  handle: string;
  displayName: string | null;
  purpose: string;
  listenOnly: boolean;
  status: string;
  health: { code?: string | null; message?: string | null; advice?: string | null; since?: string; lastErrorAt?: string } & Record<string, unknown>;
  lastSyncAt: string | null;
}

export interface Counts {
  new: number;
  open: number;
  mine: number;
  team: number;
  waiting: number;
  resolved: number;
  all: number;
}

export interface ConversationPage {
  items: Conversation[];
  nextCursor: string | null;
}

export interface SearchHit extends Message {
  conversationSubject: string;
  conversationStatus: string;
}

export interface SearchPage {
  items: SearchHit[];
  nextBefore: number | null;
}

export interface Notification {
  id: number;
  kind: string;
  title: string;
  body: string;
  conversationId: number | null;
  createdAt: string;
  read: boolean;
}

export interface ReplyResult {
  message: Message;
  duplicate: boolean;
  approval: { reasons: { code: string; message: string }[] } | null;
}

export type BulkAction =
  | { type: 'assign'; assigneeId?: number | null; teamId?: number | null }
  | { type: 'status'; status: ConversationStatus }
  | { type: 'priority'; priority: number }
  | { type: 'labels'; add?: string[]; remove?: string[] };
