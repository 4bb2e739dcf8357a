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
  /** The time it said it was sent, when that was not plausible (createdAt is then its receipt). */
  originalSentAt?: string | null;
  /** inbound: received; outbound: pending_approval | queued | sending | sent | failed | rejected */
  status: string;
  /** Why a reply failed or waits: a plain summary of its class. */
  error: string | null;
  /** The network's own words behind `error`: admins only (null, or absent in older events, for everyone else). */
  errorDetail?: string | null;
  isAuto: boolean;
  source: string;
  /** Inbound messages: how triage judged it (null when untriaged, and for replies). */
  triage: Triage | null;
  /** Deleted by its author on the network, or erased on request: the text is gone. */
  redacted?: 'deleted_by_author' | 'deleted_by_brand' | 'deleted' | 'erasure' | 'deleted_or_removed';
  /** kept by the network but shown to no one (src/pipeline/deletions.ts); null while shown */
  networkHidden?: { since: string; reason: string } | null;
  /** the brand's own reply removed or hidden on the network (outbound only): the customer no longer sees it; its text is kept */
  networkRemoved?: { since: string; reason: string } | null;
}

// ---------------------------------------------------------------- triage

export const TRIAGE_ACTIONS = ['respond', 'monitor', 'ignore'] as const;
export type TriageAction = (typeof TRIAGE_ACTIONS)[number];
export const TRIAGE_CATEGORIES = ['customer_service', 'brand', 'spam', 'abuse', 'other'] as const;
export type TriageCategory = (typeof TRIAGE_CATEGORIES)[number];
export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];
/** The care intents (mirrors CARE_INTENTS in src/core/triage/intents.ts). */
export const CARE_INTENTS = ['billing', 'payment_issue', 'refund', 'delivery', 'account_access', 'account_change', 'cancellation', 'fraud_security', 'technical_issue', 'outage', 'product_question'] as const;

/** One judgement: the value, how sure (0..1) and why, in words. */
export interface TriageScored<T> {
  value: T;
  confidence: number;
  reason: string;
}

/** One contribution to the priority, in points (negative when a ceiling applies). */
export interface TriagePriorityFactor {
  code: string;
  label: string;
  points: number;
}

/**
 * A message's triage as stored with it (TriageOutcome in src/core/triage/types.ts, plus
 * `corrected` once an agent corrected it). It is stored JSON: rows triaged by older
 * versions may lack fields, so everything is optional and the UI reads it through
 * `readTriage` (../conversation/triage.ts), which drops what is malformed.
 */
export interface Triage {
  action?: TriageScored<TriageAction | string> | null;
  category?: TriageScored<TriageCategory | string> | null;
  complaint?: TriageScored<boolean> | null;
  sentiment?: TriageScored<Sentiment | string> | null;
  accolade?: TriageScored<boolean> | null;
  chaser?: TriageScored<boolean> | null;
  /** Only for customer-service messages. */
  intent?: TriageScored<string> | null;
  language?: TriageScored<string> | null;
  needsResponse?: TriageScored<boolean> | null;
  /** 0–100: the sum of its factors (capped), every point listed. */
  priority?: { value: number; factors?: TriagePriorityFactor[] | null } | null;
  /** Which classifier produced it, e.g. `builtin-linear@2026-11-23`. */
  model?: string | null;
  /** Raw model scores (0..1) by name. */
  scores?: Record<string, number> | null;
  /** The text was cut to the classifiers' reading limit. */
  truncated?: boolean | null;
  /** Set when an agent corrected it: who (user id) and when. */
  corrected?: { by?: number | null; at?: string | null } | null;
  /** A live event's triage: judgements and priority without reasons and scores (the message itself has them). */
  partial?: boolean;
}

/** POST /api/messages/:id/triage: what triage got wrong (only the fields given change). */
export interface TriageCorrection {
  category?: TriageCategory;
  action?: TriageAction;
  complaint?: boolean;
  sentiment?: Sentiment;
  intent?: string;
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
  /** The incident a customer's conversation is linked to (PUT /api/conversations/:id/incident), or that a statement's conversation belongs to. */
  incidentId?: number | null;
  /** The kind of the message that opened it (mention, reply, dm...): `listening` when keyword listening found a post that did not address the brand. */
  origin?: string | null;
  /** An incident statement's own conversation: the brand's public post, not a customer's (no contact). */
  statement?: boolean;
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
  /** Set only with the customer's recorded consent. */
  crmCustomerId?: string | null;
  crmConsentAt?: string | null;
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
  /** What moderation did on the network and has not undone. */
  moderation?: ModerationState;
}

export interface ModerationState {
  messages: { messageId: number; hidden: boolean; deleted: boolean; at: string; byUserId: number }[];
  authors: { identityId: number; blocked: boolean; restricted?: boolean; muted: boolean; at: string; byUserId: number }[];
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
  /** Two-factor sign-in (an authenticator app's codes) is on. */
  twoFactor: boolean;
  /** False for someone a single sign-on provider made: nothing asks them a current password (a recent sign-in with the provider confirms instead). */
  hasPassword: boolean;
}

export interface Me {
  user: User;
  /** The brand requires two-factor sign-in: without it on, the desk shows only the screen that sets it up. */
  twoFactorRequired: boolean;
  csrfToken: string | null;
  teams: { id: number; name: string; isLead: boolean }[];
}

/** An admin's one-time link for someone to choose a new password (`POST /api/users/:id/password-reset`). */
export interface PasswordResetLink {
  /** `<public base>/reset-password#token=<token>`: the token in the fragment, never sent to a server. */
  url: string;
  token: string;
  /** ms since the epoch; 24 h after it was made. */
  expiresAt: number;
}

/** Whose a valid reset link is (`POST /api/auth/password-reset/lookup`, public). */
export interface PasswordResetInfo {
  email: string;
  name: string;
  expiresAt: number;
}

/** A single sign-on (OpenID Connect) provider as the sign-in page sees it (enabled ones only: `GET /api/auth/sso/providers` on a desk of one brand, `POST /api/auth/sso/discover` by the work email on a desk of several). */
export interface SsoProviderPublic {
  id: number;
  label: string;
}

/** Who a provider auto-provisions (never an admin); null: only people who already have a Parley account sign in with it. */
export type SsoProvisionRole = 'agent' | 'expert' | 'approver';

/** A single sign-on provider in Settings (`GET /api/sso/providers`, admins); its client secret is never sent back. */
export interface SsoProvider {
  id: number;
  /** 'oidc': OpenID Connect; 'saml': SAML 2.0 (`issuer` is then the IdP entity id, `clientId` empty). Fixed once made. */
  protocol: 'oidc' | 'saml';
  label: string;
  issuer: string;
  /** SAML: the IdP single sign-on URL (HTTP-Redirect). */
  samlSsoUrl: string | null;
  /** SAML: the IdP signing certificates kept. */
  samlCertificates: { pem: string; subject: string; validTo: string }[];
  /** SAML: the attribute with the email; null: the defaults (an emailAddress NameID, `email`, the emailaddress claim). */
  samlEmailAttribute: string | null;
  /** SAML: the attribute with the display name; null: `displayName` or Entra's displayname claim. */
  samlNameAttribute: string | null;
  /** SAML: the AuthnRequest is signed with the provider's own SP key. */
  signAuthnRequests: boolean;
  /** SAML: only assertions encrypted to the provider's SP certificate are taken. */
  wantEncryptedAssertions: boolean;
  /** SAML: the IdP's single logout URL; null: none. */
  samlSloUrl: string | null;
  /** SAML: this provider's SP metadata (a path on the desk), with its SP certificate; null for OpenID Connect. */
  samlSpMetadataPath: string | null;
  clientId: string;
  hasClientSecret: boolean;
  /** Lower-case email domains, e.g. `acme.com`; empty: any verified email of an existing person. */
  allowedDomains: string[];
  autoProvisionRole: SsoProvisionRole | null;
  /** 'admins': people of the brand other than admins must sign in with this provider (admins keep their password, to get in when it is down). */
  passwordSignIn: 'everyone' | 'admins';
  /** The admin states the provider enforces multi-factor sign-in: its sign-ins satisfy the brand's two-factor policy. */
  trustsMfa: boolean;
  /** Signing out of Parley also signs out at the provider (OIDC RP-initiated logout), when it offers that. */
  signOutAtProvider: boolean;
  enabled: boolean;
  linkedPeople: number;
  createdAt: number;
  updatedAt: number;
}

/** What an admin sends to create a provider (`clientSecret` "": a public client); a PATCH sends any subset, `clientSecret` left out keeps it. */
export interface SsoProviderInput {
  protocol?: 'oidc' | 'saml';
  label: string;
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  samlSsoUrl?: string;
  samlCertificates?: string[];
  samlMetadataXml?: string;
  samlEmailAttribute?: string | null;
  samlNameAttribute?: string | null;
  signAuthnRequests?: boolean;
  wantEncryptedAssertions?: boolean;
  samlSloUrl?: string | null;
  allowedDomains: string[];
  autoProvisionRole: SsoProvisionRole | null;
  passwordSignIn: 'everyone' | 'admins';
  trustsMfa: boolean;
  signOutAtProvider?: boolean;
  enabled: boolean;
}

/** Why a single sign-on came back to `/login?sso_error=<code>` (the server's callback and start). */
export const SSO_ERRORS = ['cancelled', 'expired', 'provider', 'unverified_email', 'domain', 'no_account', 'disabled', 'unavailable', 'rate_limited'] as const;
export type SsoError = (typeof SSO_ERRORS)[number];

export interface Team {
  id: number;
  name: string;
  routingStrategy: string;
  /** As an expert group, its own answer target in minutes; null: the brand's applies. */
  expertTargetMin: number | null;
  /** Routing gives its conversations only to agents whose skills list the customer's language. */
  requireLanguageMatch?: boolean;
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
  /** `message` (and `lastError`) are the network's own words for admins only; everyone else gets a plain summary of `code`. */
  health: { code?: string | null; message?: string | null; advice?: string | null; since?: string; lastErrorAt?: string } & Record<string, unknown>;
  lastSyncAt: string | null;
  /** What the connector can do: true, or the reason the network lacks it. */
  capabilities?: Record<string, true | string> | null;
  /** Set where the network hides only replies (X): why a post that is no reply cannot be hidden. */
  hidesOnlyReplies?: string | null;
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
  /** Reply checks that did not block (warnings, hints). */
  checks?: ReplyCheck[];
}

export type BulkAction =
  | { type: 'assign'; assigneeId?: number | null; teamId?: number | null }
  | { type: 'status'; status: ConversationStatus; snoozeUntil?: string | null }
  | { type: 'priority'; priority: number }
  | { type: 'labels'; add?: string[]; remove?: string[] };

// ---------------------------------------------------------------- care workflow

export interface ReplyCheck {
  code: string;
  severity: 'block' | 'warn' | 'hint' | string;
  message: string;
  detail?: string;
  suggestion?: string;
  data?: Record<string, unknown>;
}

export interface ReplyCheckReport {
  ok: boolean;
  results: ReplyCheck[];
}

export interface ApprovalReason {
  code: string;
  message: string;
}

/** A reply waiting for sign-off (GET /api/approvals). */
export interface PendingApproval extends Message {
  conversationSubject: string;
  authorName: string | null;
  reasons: ApprovalReason[];
  /** Set when the draft is an incident's public statement; a closed incident's statement is not approved (only rejected). */
  statement?: { incidentId: number; incidentTitle: string; incidentStatus: 'open' | 'closed' | string } | null;
  /** Who rewrote whose draft at sign-off: the author is now the one who rewrote it. */
  rewrite?: ApprovalRewrite | null;
}

export interface ApprovalRewrite {
  editedBy: number;
  editedByName: string;
  previousAuthorUserId: number | null;
  previousAuthorName: string | null;
}

export interface SlaClockView {
  metric: 'first_response' | 'next_response' | 'resolution' | string;
  cycle: number;
  state: 'active' | 'warning' | 'breached' | 'met' | 'paused' | string;
  dueAt: string | null;
  warningAt: string | null;
  targetMs: number;
  businessHours: boolean;
  startedAt: string | null;
  stoppedAt: string | null;
}

export interface QueueAgent {
  id: number;
  name: string;
  availability: Availability | string;
  capacity: number;
  lead: boolean;
  open: number;
}

export interface QueueTeam {
  id: number;
  name: string;
  strategy: string;
  waiting: number;
  oldestQueuedAt: string | null;
  agents: QueueAgent[];
}

export interface ExpertRequest {
  id: number;
  conversationId: number;
  askedBy: number;
  /** The asker's name, with the list of questions: an expert, who may not list people, still sees who asks. */
  askedByName?: string | null;
  expertId: number | null;
  teamId: number | null;
  question: string;
  status: 'open' | 'answered' | 'cancelled' | string;
  dueAt: string | null;
  createdAt: string | null;
  answeredAt: string | null;
  answerNoteId: number | null;
  /** When the "unanswered past its target" notice went out (once). */
  overdueAt?: string | null;
  conversationSubject?: string;
  /** The answer as it reads now, who wrote it, and when its expert last corrected it (null: never), with the list. */
  answerText?: string | null;
  answeredBy?: number | null;
  answeredByName?: string | null;
  answerEditedAt?: string | null;
  /** Why it was cancelled, and the reason its asker gave when withdrawing it. */
  cancelReason?: 'conversation_resolved' | 'expert_unavailable' | 'withdrawn' | string | null;
  cancelNote?: string | null;
}

export interface PlaybookMatchRule {
  categories?: string[] | null;
  intents?: string[] | null;
  sentiments?: string[] | null;
  complaint?: boolean | null;
  networks?: string[] | null;
  visibility?: string | null;
}

export interface Playbook {
  id: string | number;
  /** Built-in playbooks have a name; saved ones a title. */
  name?: string;
  title?: string;
  match: PlaybookMatchRule;
  outline: string[];
  dos?: string[];
  donts?: string[];
  takePrivate?: boolean;
  escalateTo?: string | null;
  snippets?: { id: string; title: string; body: string }[];
}

export interface PlaybookSuggestion {
  playbook: Playbook;
  score: number;
  matchedOn: string[];
}

export interface Snippet {
  id: number;
  shortcut: string;
  title: string;
  /** The default (any network, any language) wording. */
  body: string;
  /** Its wordings per network and language (src/core/snippetVariants.ts), the default first; absent from older servers. */
  variants?: SnippetVariant[];
}

/** A snippet's wording for a network (or `any`) and a language (BCP-47 primary subtag, or `any`). */
export interface SnippetVariant {
  id: number;
  network: string;
  language: string;
  body: string;
  /** Warnings (too long for the network, unknown variables), as the server checks them. */
  issues?: { code: string; message: string }[];
}

/** Which variant a render used, and how it was picked (`chosen`: by the agent). */
export interface SnippetVariantPick {
  id: number | null;
  network: string;
  language: string;
  match: 'exact' | 'language' | 'network' | 'default' | 'chosen';
}

export interface SnippetIssue {
  code: string;
  message: string;
  variable: string | null;
  index: number;
}

export type SnippetRender = ({ ok: true; text: string; variables: string[] } | { ok: false; text: string; variables: string[]; errors: SnippetIssue[] }) & {
  variant?: SnippetVariantPick;
  best?: SnippetVariantPick;
  variants?: { id: number | null; network: string; language: string }[];
  conversation?: { network: string; language: string | null };
};

export interface Incident {
  id: number;
  title: string;
  status: 'open' | 'closed' | string;
  openedBy: string;
  reason: string;
  openedAt: string;
  closedAt: string | null;
  statementMessageId: number | null;
  /** The latest statement and where it is: waiting for sign-off, queued, sent, rejected... */
  statement?: IncidentStatement | null;
  /** Every statement of the incident, newest first (the latest is also `statement`). */
  statements?: IncidentStatement[];
  /** Customers' conversations linked to it: all, and those not resolved (still waiting). */
  affected?: { total: number; open: number };
}

export interface IncidentStatement {
  messageId: number;
  conversationId: number;
  channelAccountId: number;
  network: string;
  text: string;
  /** `withdrawn`: the incident was closed before it went out. */
  status: 'pending_approval' | 'queued' | 'sending' | 'sent' | 'failed' | 'rejected' | 'withdrawn' | string;
  authorUserId: number | null;
  reasons: ApprovalReason[];
  reviewedBy: number | null;
  reviewedAt: string | null;
  reviewNote: string | null;
  url: string | null;
  /** Why it failed or waits: a plain summary of the error's class. */
  error: string | null;
  /** The network's own words behind `error`: admins only. */
  errorDetail?: string | null;
  createdAt: string | null;
  /** When the outbox posted it. */
  sentAt?: string | null;
}

export interface Guideline {
  id: number;
  code: string;
  title: string;
  description: string;
  allowedActions: string[];
  /** The reason a report to the network citing this rule is filed under (null: picked when reporting). */
  reportReason?: string | null;
}

export type ModerationAction = 'hide' | 'unhide' | 'delete' | 'block' | 'unblock' | 'restrict' | 'unrestrict' | 'mute' | 'unmute';
export const MODERATION_ACTIONS: readonly ModerationAction[] = ['hide', 'unhide', 'delete', 'block', 'unblock', 'restrict', 'unrestrict', 'mute', 'unmute'];
/** Undoing a moderation action: no guideline needed. */
export const UNDO_ACTIONS: readonly ModerationAction[] = ['unhide', 'unblock', 'unrestrict', 'unmute'];
/** What a moderator records as done in the network's own app (`doneOnNetwork`) where the connector cannot do it. */
export const DONE_ON_NETWORK_ACTIONS: readonly ModerationAction[] = ['block', 'unblock', 'restrict', 'unrestrict'];

export const CONSENT_METHODS = ['customer_message', 'verified_form', 'verbal'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

export interface QuarantineItem {
  id: number;
  source: string;
  reason: string;
  line: number | null;
  raw: string;
  createdAt: string;
}

export interface Availability2 {
  open: boolean;
  nextOpening: string | null;
  availabilityLine: string | null;
  calendar: BusinessCalendar | null;
}

export interface HoursInterval {
  start: string;
  end: string;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BusinessCalendar {
  timeZone: string;
  weekly: Partial<Record<Weekday, HoursInterval[]>>;
  holidays?: { date: string; name?: string; hours?: HoursInterval[] }[];
}

/** A connected account as the admin API returns it (credentials are never returned). */
export interface ChannelAccountAdmin extends ChannelAccount {
  externalId: string;
  hasCredentials: boolean;
  settings: Record<string, unknown>;
  calendar: BusinessCalendar | null;
  createdAt: string | null;
  webhookUrl?: string;
  /** Names of the stored credentials (one account, admins only); their values are never returned. */
  credentialNames?: string[];
}

/** What accounts of a network take (GET /api/channel-networks): the rules both connect and edit check. */
export interface ChannelNetworkInfo {
  network: string;
  settings: string[];
  /** The settings that are listening terms (keywords, hashtags). */
  listening: string[];
  credentials: string[];
  /** Settings whose change restarts sync from a backfill. */
  resetCursorOn: string[];
}

export interface UserAdmin extends User {
  skills: { languages?: string[]; networks?: string[]; intents?: string[] } & Record<string, unknown>;
}

export interface SlaTargetRule {
  metric: 'first_response' | 'next_response' | 'resolution' | string;
  bands?: string[] | null;
  visibility?: 'public' | 'private' | null;
  targetMs: number;
  businessHours?: boolean | null;
}

export interface SlaPolicy {
  id?: string;
  targets: SlaTargetRule[];
  priorityBands?: { name: string; minPriority?: number | null }[] | null;
  businessHours?: boolean | null;
  calendar?: BusinessCalendar | null;
  warningRatio?: number | null;
  pauseWhileWaitingOnCustomer?: boolean | null;
}

export interface ApprovalPolicy {
  id?: string;
  exemptRoles?: string[] | null;
  agents?: { agentIds?: string[] | null; flags?: string[] | null } | null;
  audience?: { followersAtLeast?: number | null; verifiedAuthors?: boolean | null; publicNegativeComplaint?: boolean | null } | null;
  content?: { keywords?: string[] | null; refundTerms?: boolean | string[] | null; amountLimits?: Record<string, number> | null } | null;
  incident?: { requireDuringIncident?: boolean | null; publicOnly?: boolean | null; statementSignOff?: boolean | null } | null;
}

export interface RoutingRule {
  id?: string;
  teamId: string;
  when: {
    channelAccountIds?: string[] | null;
    networks?: string[] | null;
    categories?: string[] | null;
    intents?: string[] | null;
    languages?: string[] | null;
    minPriority?: number | null;
    maxPriority?: number | null;
    visibility?: 'public' | 'private' | null;
  };
}

export interface WorkflowSettings {
  routing: { rules: RoutingRule[]; defaultTeamId: string } | null;
  sla: SlaPolicy;
  approval: ApprovalPolicy;
  replyChecks: Record<string, 'block' | 'warn' | 'hint' | 'off'>;
  expertTargetMin: number;
  incidents: { autoDetect: boolean };
  /** Raw payloads of messages older than this are cleared; null: kept. */
  retention?: { rawPayloadDays: number | null };
  /** The brand's sign-in policy: two-factor sign-in required of everyone. */
  security?: { twoFactorRequired: boolean };
}

export const REPLY_CHECK_CODES = ['reply.empty', 'reply.unfilled_placeholder', 'reply.link_only', 'reply.too_long', 'reply.near_duplicate', 'reply.personal_data', 'reply.shouting', 'reply.no_greeting', 'reply.no_name', 'reply.wrong_person', 'reply.stock_phrase'] as const;
