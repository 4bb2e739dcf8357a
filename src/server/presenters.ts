/**
 * Presenters shape stored rows into the JSON the API and live events return.
 * Times are ISO 8601 strings; hostile text is returned exactly as it arrived.
 * Credentials, password hashes and raw payloads never pass through here unless
 * a presenter says so.
 */
import { healthFor, type HealthView } from '../channels/healthSummary.js';
import { replyErrorFor } from '../outbox/replyError.js';
import type { TriageResult } from '../core/types.js';
import type { ChannelAccount, Conversation, MessageRow, Note, User, AuditEvent, ContactIdentity } from '../store/schema.js';
import { isoTime } from '../lib/clock.js';
import { decodeText } from '../store/text.js';
import type { RedactionReason } from '../store/redact.js';
import { readStoredTriage } from '../store/triageJson.js';

/** The latest instant a JavaScript date can hold (±100,000,000 days from the epoch). */
const MAX_DATE_MS = 8.64e15;

/**
 * A time as ISO 8601, or null for none — and for a number no date can hold (NaN, infinite,
 * past ±8.64e15: a deadline from a hand-edited setting, say), which `toISOString` would
 * throw on: presenting a row must never fail the write or the request that produced it.
 */
export const iso = (t: number | null | undefined): string | null => (t == null || !(Math.abs(t) <= MAX_DATE_MS) ? null : isoTime(t));

function parseJson<T>(s: string | null | undefined, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

export interface AuthorJson {
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

export function presentIdentity(i: ContactIdentity): AuthorJson {
  return {
    identityId: i.id,
    contactId: i.contact_id,
    network: i.network,
    handle: i.handle,
    displayName: i.display_name,
    followers: i.followers,
    verified: i.verified === 1,
    profileUrl: i.profile_url,
    avatarUrl: i.avatar_url,
  };
}

type ScoredLike = { value: unknown; confidence: number } | null | undefined;
const valueOf = (s: ScoredLike) => (s ? { value: s.value, confidence: s.confidence } : null);

/**
 * A new message's triage as its live event carries it: every judgement with its
 * confidence, and the priority with its points, but not the reasons and raw scores
 * (about two thirds of the bytes). `partial: true` says so: the message itself
 * (`GET /api/conversations/:id`) has all of it, and the UI fetches it.
 * With 50 agents online every byte of an event is sent 50 times.
 */
export function liveTriage(t: TriageResult | null | undefined) {
  if (!t) return null;
  return {
    action: valueOf(t.action), category: valueOf(t.category), complaint: valueOf(t.complaint), sentiment: valueOf(t.sentiment),
    accolade: valueOf(t.accolade), chaser: valueOf(t.chaser), intent: valueOf(t.intent), language: valueOf(t.language),
    priority: t.priority, partial: true as const,
  };
}

/**
 * `triage`: the parsed triage when the caller has it (the ingest pipeline), to skip re-parsing the stored JSON.
 * `view`: a failed reply's error as its reader may see it (src/outbox/replyError.ts): the plain summary
 * by default, the network's own words too (`errorDetail`) for admins (`healthViewFor`).
 */
export function presentMessage(m: MessageRow, author?: AuthorJson | null, triage?: unknown, view: HealthView = 'summary') {
  return {
    id: m.id,
    conversationId: m.conversation_id,
    channelAccountId: m.channel_account_id,
    network: m.network,
    networkMessageId: m.network_message_id,
    direction: m.direction,
    visibility: m.visibility,
    kind: m.kind,
    author: author ?? null,
    authorUserId: m.author_user_id,
    inReplyToNetworkId: m.in_reply_to_network_id,
    replyToMessageId: m.reply_to_message_id,
    text: decodeText(m.text, m.text_escaped),
    url: m.url,
    createdAt: iso(m.created_at),
    receivedAt: iso(m.received_at),
    // the time it said it was sent, when that was not plausible and createdAt holds its receipt instead
    ...(m.original_sent_at != null ? { originalSentAt: iso(m.original_sent_at) } : {}),
    status: m.status,
    ...replyErrorFor(m.error, view),
    isAuto: m.is_auto === 1,
    source: m.source,
    triage: triage !== undefined ? triage : readStoredTriage(m.triage),
    // deleted by its author on the network, or erased: shown without text (src/store/redact.ts)
    ...(m.redacted_reason ? { redacted: m.redacted_reason as RedactionReason } : {}),
    // kept by the network but shown to no one (src/pipeline/deletions.ts applyNetworkVisibility)
    networkHidden: networkHiddenOf(m),
    // the brand's own reply removed or hidden on the network: the customer no longer sees it (its text is kept)
    networkRemoved: m.direction === 'outbound' ? networkHiddenOf(m) : null,
  };
}
export type MessageJson = ReturnType<typeof presentMessage>;

/** A message's hidden-by-the-network state, or null while shown. */
function networkHiddenOf(m: MessageRow): { since: string; reason: string } | null {
  const since = iso(m.network_hidden_at);
  return since !== null && m.network_hidden_reason ? { since, reason: m.network_hidden_reason } : null;
}

export interface ContactSummaryJson {
  id: number;
  displayName: string | null;
  handle: string | null;
  followers: number | null;
  verified: boolean;
}

export function presentConversation(c: Conversation, extra: { contact?: ContactSummaryJson | null; labels?: string[] } = {}) {
  return {
    id: c.id,
    channelAccountId: c.channel_account_id,
    network: c.network,
    visibility: c.visibility,
    status: c.status,
    priority: c.priority,
    assigneeId: c.assignee_id,
    teamId: c.team_id,
    subject: c.subject,
    contact: extra.contact ?? null,
    labels: extra.labels ?? [],
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
    lastMessageAt: iso(c.last_message_at),
    lastInboundAt: iso(c.last_inbound_at),
    waitingSince: iso(c.waiting_since),
    firstResponseAt: iso(c.first_response_at),
    resolvedAt: iso(c.resolved_at),
    snoozedUntil: iso(c.snoozed_until),
    messageCount: c.message_count,
    version: c.version,
    sentiment: c.sentiment,
    category: c.category,
    triageAction: c.triage_action,
    intent: c.intent,
    language: c.language,
    slaDueAt: iso(c.sla_due_at),
    slaState: c.sla_state,
    incidentId: c.incident_id,
    /** The kind of the message that opened it: `listening` when keyword listening found a post that did not address the brand. */
    origin: c.origin,
    /**
     * An incident statement's own conversation: the brand's public post, not a customer's
     * (the incident flow writes it without a contact, resolved; `linkIncident` links only
     * conversations with a contact, so no customer's conversation is stored so).
     */
    statement: c.contact_id == null && c.incident_id != null,
  };
}
export type ConversationJson = ReturnType<typeof presentConversation>;

export function presentNote(n: Note) {
  return { id: n.id, conversationId: n.conversation_id, authorUserId: n.author_user_id, text: n.text, mentions: parseJson<number[]>(n.mentions, []), createdAt: iso(n.created_at) };
}

export function presentUser(u: User) {
  return {
    id: u.id,
    brandId: u.brand_id,
    email: u.email,
    name: u.name,
    role: u.role,
    availability: u.availability,
    capacity: u.capacity,
    skills: parseJson<Record<string, unknown>>(u.skills, {}),
    lastSeenAt: iso(u.last_seen_at),
    disabled: u.disabled_at != null,
    twoFactor: u.totp_enabled_at != null,
    hasPassword: u.password_hash != null,
  };
}

/**
 * `capabilities`: the connector's, when the caller has it (the account list). `health`: what
 * the network answered, and the account's settings, only for those who manage channel accounts
 * (`healthViewFor`); by default the plain summary (src/channels/healthSummary.ts) and no settings.
 */
export function presentChannelAccount(a: ChannelAccount, capabilities?: Record<string, true | string> | null, health: HealthView = 'summary') {
  return {
    id: a.id,
    network: a.network,
    driver: a.driver,
    handle: a.handle,
    externalId: a.external_id,
    displayName: a.display_name,
    purpose: a.purpose,
    listenOnly: a.listen_only === 1,
    status: a.status,
    health: healthFor(parseJson<Record<string, unknown>>(a.health, {}), health),
    hasCredentials: a.credentials != null,
    // the settings name servers (API base URL, mail hosts, instance) and how the account is set up:
    // for admins, who manage accounts; nobody else's page uses them
    ...(health === 'detail' ? { settings: parseJson<Record<string, unknown>>(a.settings, {}) } : {}),
    calendar: parseJson<unknown>(a.calendar, null),
    lastSyncAt: iso(a.last_sync_at),
    createdAt: iso(a.created_at),
    ...(capabilities !== undefined ? { capabilities } : {}),
  };
}

export function presentAudit(e: AuditEvent) {
  return {
    id: e.id,
    actor: e.actor,
    actorUserId: e.actor_user_id,
    action: e.action,
    subjectType: e.subject_type,
    subjectId: e.subject_id,
    conversationId: e.conversation_id,
    data: parseJson<Record<string, unknown>>(e.data, {}),
    createdAt: iso(e.created_at),
  };
}
