/**
 * zod schemas of the HTTP API. They validate requests, shape responses and
 * generate /api/openapi.json — one source for all three.
 */
import { z } from 'zod';
import { CONVERSATION_STATUSES, MESSAGE_KINDS, NETWORKS, ROLES } from '../core/types.js';
import { SORTS, VIEWS } from '../store/queries.js';

const isoTime = z.string().describe('ISO 8601 time');
const nullableTime = isoTime.nullable();

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('Stable machine-readable error code'),
    detail: z.string(),
  })
  .catchall(z.unknown())
  .describe('RFC 9457 problem details');

export const authorSchema = z.object({
  identityId: z.number().int(),
  contactId: z.number().int(),
  network: z.string(),
  handle: z.string(),
  displayName: z.string().nullable(),
  followers: z.number().nullable(),
  verified: z.boolean(),
  profileUrl: z.string().nullable(),
  avatarUrl: z.string().nullable(),
});

export const messageSchema = z.object({
  id: z.number().int(),
  conversationId: z.number().int(),
  channelAccountId: z.number().int(),
  network: z.string(),
  networkMessageId: z.string().nullable(),
  direction: z.string().describe('inbound | outbound'),
  visibility: z.string().describe('public | private'),
  kind: z.string(),
  author: authorSchema.nullable(),
  authorUserId: z.number().int().nullable(),
  inReplyToNetworkId: z.string().nullable(),
  replyToMessageId: z.number().int().nullable(),
  text: z.string().describe('Exactly as received; render as text, never as HTML'),
  url: z.string().nullable(),
  createdAt: nullableTime,
  receivedAt: nullableTime,
  originalSentAt: nullableTime.optional().describe('The time the message said it was sent, when that was not plausible (over 5 minutes ahead, or before 2000): createdAt then holds its receipt'),
  status: z.string().describe('inbound: received; outbound: pending_approval | queued | sending | sent | failed | rejected'),
  error: z.string().nullable().describe('Why a reply failed or waits, as a plain summary of its class'),
  errorDetail: z.string().nullable().describe('The network\'s own words behind `error`: admins only, null for everyone else'),
  isAuto: z.boolean(),
  source: z.string(),
  triage: z.unknown().nullable(),
  redacted: z.enum(['deleted_by_author', 'deleted_by_brand', 'deleted', 'erasure', 'deleted_or_removed']).optional().describe('Present when the message was deleted by its author on the network, deleted by the brand through moderation, deleted on the network by someone we cannot name (the brand\'s delete went unanswered, and the author may have deleted it first), erased, or gone from a network that cannot say whether its author deleted it or moderation removed it (`deleted_or_removed`: Mastodon, Instagram): its text is empty'),
  networkHidden: z
    .object({
      since: isoTime.describe('When a check first found it hidden for this reason'),
      reason: z.string().describe('author_suspended | server_defederated | repo_takedown | account_suspended | account_deactivated | hidden_comment | parent_removed | withheld | account_protected | author_limited | server_limited | post_taken_down | account_taken_down | author_blocked | author_restricted (more may be added: show an unknown one as text)'),
    })
    .nullable()
    .describe('The network keeps the post but shows it to no one (the author did not delete it): a public reply would answer into nothing. Null while it is shown, as far as the last check knows'),
  networkRemoved: z
    .object({
      since: isoTime.describe('When the desk learnt of it'),
      reason: z.string().describe('post_taken_down (removed by the network\'s moderators) | deleted_on_network (gone, outside Parley: the brand\'s account deleted it in the network\'s app, or the network removed it) | any networkHidden reason'),
    })
    .nullable()
    .optional()
    .describe('The brand\'s own reply (outbound only) was removed or hidden on the network: the customer no longer sees it. Its text is kept, as what the team said; the conversation needs a response again when it was the answer'),
});

export const contactSummarySchema = z.object({
  id: z.number().int(),
  displayName: z.string().nullable(),
  handle: z.string().nullable(),
  followers: z.number().nullable(),
  verified: z.boolean(),
});

export const conversationSchema = z.object({
  id: z.number().int(),
  channelAccountId: z.number().int(),
  network: z.string(),
  visibility: z.string(),
  status: z.string().describe('new | open | waiting | resolved'),
  priority: z.number().int(),
  assigneeId: z.number().int().nullable(),
  teamId: z.number().int().nullable(),
  subject: z.string(),
  contact: contactSummarySchema.nullable(),
  labels: z.array(z.string()),
  createdAt: nullableTime,
  updatedAt: nullableTime,
  lastMessageAt: nullableTime,
  lastInboundAt: nullableTime,
  waitingSince: nullableTime.describe('Oldest inbound message still awaiting a reply'),
  firstResponseAt: nullableTime,
  resolvedAt: nullableTime,
  snoozedUntil: nullableTime,
  messageCount: z.number().int(),
  version: z.number().int(),
  sentiment: z.string().nullable(),
  category: z.string().nullable(),
  triageAction: z.string().nullable(),
  intent: z.string().nullable(),
  language: z.string().nullable(),
  slaDueAt: nullableTime,
  slaState: z.string().nullable(),
  incidentId: z.number().int().nullable().describe('The incident (mass problem) a customer\'s conversation is about (PUT /api/conversations/:id/incident), or the one a statement\'s conversation (no contact) belongs to'),
  origin: z.string().nullable().describe('The kind of the message that opened it (mention, reply, comment, dm, email, chat, post, listening): `listening` when keyword listening found a post that did not address the brand'),
  statement: z.boolean().describe('An incident statement\'s own conversation: the brand\'s public post (POST /api/incidents/:id/statement), not a customer\'s; written resolved, so it is in no view of open work (new, open, mine, team, waiting) unless customers answer it; `contact` is null'),
});

export const noteSchema = z.object({ id: z.number().int(), conversationId: z.number().int(), authorUserId: z.number().int(), text: z.string(), mentions: z.array(z.number().int()), createdAt: nullableTime });

export const auditSchema = z.object({
  id: z.number().int(),
  actor: z.string(),
  actorUserId: z.number().int().nullable(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  conversationId: z.number().int().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: nullableTime,
});

export const userSchema = z.object({
  id: z.number().int(),
  brandId: z.number().int(),
  email: z.string(),
  name: z.string(),
  role: z.string().describe(ROLES.join(' | ')),
  availability: z.string(),
  capacity: z.number().int(),
  skills: z.record(z.string(), z.unknown()),
  lastSeenAt: nullableTime,
  disabled: z.boolean(),
  twoFactor: z.boolean().describe('two-factor sign-in (an authenticator app\'s code) is on'),
  hasPassword: z.boolean().describe('the person has a password (false: made by a single sign-on provider; changes that ask the current password are confirmed by a recent sign-in with the provider instead)'),
});

export const channelAccountSchema = z.object({
  id: z.number().int(),
  network: z.string(),
  driver: z.string().nullable(),
  handle: z.string(),
  externalId: z.string(),
  displayName: z.string().nullable(),
  purpose: z.string(),
  listenOnly: z.boolean(),
  status: z.string(),
  health: z.record(z.string(), z.unknown()),
  hasCredentials: z.boolean(),
  /** Admins only (they manage accounts): the settings may name servers. */
  settings: z.record(z.string(), z.unknown()).optional(),
  calendar: z.unknown().nullable(),
  lastSyncAt: nullableTime,
  createdAt: nullableTime,
  /** What the connector can do: true, or the reason the network lacks it (hide, block, mute...). */
  capabilities: z.record(z.string(), z.union([z.literal(true), z.string()])).nullable().optional(),
  /** Set where the network hides only replies (X): why a post that is no reply cannot be hidden. */
  hidesOnlyReplies: z.string().nullable().optional(),
});

export const idParams = z.object({ id: z.coerce.number().int().positive() });

const statusList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.enum(CONVERSATION_STATUSES)));

export const listQuery = z.object({
  view: z.enum(VIEWS).default('all'),
  status: statusList.optional().describe('Comma-separated statuses'),
  assignee: z.union([z.literal('none'), z.literal('me'), z.coerce.number().int().positive()]).optional(),
  team: z.coerce.number().int().positive().optional(),
  channel: z.coerce.number().int().positive().optional(),
  network: z.enum(NETWORKS).optional(),
  priorityMin: z.coerce.number().int().min(0).max(100).optional(),
  label: z.string().max(64).optional(),
  sentiment: z.enum(['negative', 'neutral', 'positive']).optional(),
  category: z.string().max(64).optional(),
  dueWithinMin: z.coerce.number().int().min(0).max(100_000).optional().describe('SLA due within this many minutes'),
  q: z.string().max(500).optional().describe('Full-text search over message text'),
  sort: z.enum(SORTS).default('recent'),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const countsSchema = z.object({ new: z.number(), open: z.number(), mine: z.number(), team: z.number(), waiting: z.number(), resolved: z.number(), all: z.number() });

export const replyBody = z.object({
  text: z.string().min(1).max(100_000),
  visibility: z.enum(['public', 'private']).default('public'),
  replyToMessageId: z.number().int().positive().nullish(),
  idempotencyKey: z.string().min(8).max(128).nullish().describe('Same key → same reply, never sent twice'),
  lastSeenMessageId: z.number().int().nullish().describe('The newest message the agent has seen; newer ones from others make the reply a 409 unless confirm'),
  confirm: z.boolean().optional(),
});

export const ingestBody = z.object({
  channelAccountId: z.number().int().positive(),
  messages: z.array(z.unknown()).min(1).max(5000).describe('NormalizedMessage objects; invalid ones are quarantined with the reason, the rest stored'),
});

export const normalizedMessageDoc = z.object({
  network: z.enum(NETWORKS),
  networkMessageId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  visibility: z.enum(['public', 'private']),
  kind: z.enum(MESSAGE_KINDS),
  author: z.object({ networkUserId: z.string(), handle: z.string(), displayName: z.string().nullish(), followers: z.number().nullish(), verified: z.boolean().nullish(), profileUrl: z.string().nullish() }),
  text: z.string(),
  inReplyToNetworkId: z.string().nullish(),
  threadRootNetworkId: z.string().nullish(),
  createdAt: z.number().describe('ms since the Unix epoch'),
  url: z.string().nullish(),
  fromBrand: z.boolean().optional(),
  automated: z.boolean().optional().describe('posted by a bot or automation: a brand message so marked never counts as a response; a customer\'s (an out-of-office, a bounce) gets no auto-acknowledgement and reopens no resolved conversation'),
  raw: z.unknown(),
});

export const outcomeSchema = z.object({
  status: z.enum(['stored', 'duplicate', 'quarantined']),
  messageId: z.number().int().nullable().optional(),
  conversationId: z.number().int().nullable().optional(),
  conversationCreated: z.boolean().optional(),
  reason: z.string().optional(),
  quarantineId: z.number().int().optional(),
});
