/**
 * The care workflow's API: settings (routing, SLA, approval, reply checks, sign-in security),
 * queues, sign-off, knowledge experts, take-it-private, playbooks and snippets,
 * incidents, live reply checks, and people's capacity/skills.
 */
import { z } from 'zod';
import { checkReply } from '../../core/replyChecks.js';
import { isOpen, nextOpening } from '../../core/businessHours.js';
import { healthViewFor } from '../../channels/healthSummary.js';
import { ROLES, type Network, type Visibility } from '../../core/types.js';
import { conflict, notFound } from '../../errors.js';
import { hashPassword } from '../../lib/password.js';
import { updatePerson } from '../../commands/people.js';
import { audit } from '../../store/audit.js';
import { decodeText } from '../../store/text.js';
import type { ChannelAccount } from '../../store/schema.js';
import { checkCalendar, settingsPatchSchema } from '../../workflow/settings.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import { NEW_PASSWORD } from './admin.js';
import { presentUser } from '../presenters.js';
import { idParams, messageSchema, userSchema } from '../schemas.js';
import { incidentReport, incidentReportCsv } from '../../reports/incidentReport.js';
import { incidentReplyFor } from '../../workflow/incidentReplySuggestion.js';
import { UTF8_BOM } from './reports.js';

const statementSchema = z.object({
  messageId: z.number().int(), conversationId: z.number().int(), channelAccountId: z.number().int(), network: z.string(), text: z.string(),
  status: z.string().describe('pending_approval | queued | sending | sent | failed | rejected | withdrawn (by its author before sign-off, or its incident closed before it went out)'),
  authorUserId: z.number().int().nullable(), reasons: z.array(z.unknown()), reviewedBy: z.number().int().nullable(), reviewedAt: z.string().nullable(), reviewNote: z.string().nullable(),
  url: z.string().nullable(), error: z.string().nullable().describe('why it failed or waits, as a plain summary of its class'),
  errorDetail: z.string().nullable().describe('the network\'s own words behind `error`: admins only, null for everyone else'), createdAt: z.string().nullable(), sentAt: z.string().nullable().describe('when the outbox posted it'),
});
const incidentSchema = z.object({
  id: z.number().int(), title: z.string(), status: z.string().describe('open | closed'), openedBy: z.string(), reason: z.string(), openedAt: z.string(), closedAt: z.string().nullable(),
  statementMessageId: z.number().int().nullable(),
  statement: statementSchema.nullable().describe('the latest statement'),
  statements: z.array(statementSchema).describe('every statement of the incident, newest first'),
  affected: z.object({ total: z.number().int(), open: z.number().int() }).describe('customers\' conversations linked to the incident (PUT /api/conversations/:id/incident): all, and those not resolved'),
});

const checkSchema = z.object({ code: z.string(), severity: z.string(), message: z.string(), detail: z.string().optional(), suggestion: z.string().optional(), data: z.record(z.string(), z.unknown()).optional() });

export function workflowRoutes(app: App) {
  const s = app.services;
  const wf = s.workflowCommands;
  const tags = ['workflow'];
  /** Where an account's customers are answered: in public, unless its network has no public replies (e-mail, web chat). */
  const answersIn = (acc: ChannelAccount): Visibility => (s.registry.forAccount(acc)?.capabilities.publicReply ?? true) === true ? 'public' : 'private';

  app.get('/api/settings/workflow', { schema: { tags, summary: 'Routing rules, SLA policy, approval policy, reply-check severities, the security policy (two-factor sign-in required)' } }, async (req) => {
    const a = requireRole(req, 'admin', 'approver');
    return s.workflowSettings.get(a.user.brand_id);
  });

  app.patch('/api/settings/workflow', {
    schema: {
      tags, body: settingsPatchSchema,
      summary: 'Change workflow settings (admin); validated, every problem listed. `security.twoFactorRequired`: everyone of the brand must sign in with two-factor sign-in; a session of someone without it gets 403 two_factor.required everywhere but GET /api/me, setting it up and signing out (live events too), and nobody turns theirs off (409 two_factor.required). API tokens are not affected (machine access). `moderation.allowedRoles`: who may hide, delete, block, restrict or mute (default agents, approvers and admins; must include admin), others get 403 moderation.role_not_allowed. The answer is the saved settings with `warnings`: when routing is saved, each team it sends conversations to that has nobody to take them (no members, or only disabled people or experts) is named; the routing is saved all the same',
    },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    // the settings as saved before (read with the save, never a cached copy): the audit entry says who lost (or gained) the right to moderate, and the hand-over's old minutes
    const { before, after: saved } = await s.workflowSettings.update(a.user.brand_id, req.body);
    const moderationBefore = req.body.moderation ? before.moderation : null;
    const handoverBefore = req.body.handoverAfterMin !== undefined ? before.handoverAfterMin : null;
    // which parts changed; the security policy with its new value (whether it was turned on or off is what an auditor asks); the moderation roles before and after
    await audit(s.store.db, { brandId: a.user.brand_id, actor: a.actor.name, action: 'settings.workflow', subjectType: 'brand', subjectId: a.user.brand_id, data: { changed: Object.keys(req.body), ...(req.body.security ? { security: req.body.security } : {}), ...(moderationBefore ? { moderation: { allowedRoles: saved.moderation.allowedRoles, before: moderationBefore.allowedRoles } } : {}), ...(handoverBefore != null ? { handoverAfterMin: { from: handoverBefore, to: saved.handoverAfterMin } } : {}) } }, s.clock.now());
    // saved, but a team the routing sends work to with nobody to take it is named (the admin may build the team next)
    const warnings = req.body.routing ? await s.workflowSettings.routingWarnings(a.user.brand_id, saved.routing) : [];
    return { ...saved, warnings };
  });

  app.put('/api/channel-accounts/:id/calendar', {
    schema: { tags, summary: 'Set the account\'s business hours (time zone, weekly hours, holidays); null = 24/7', params: idParams, body: z.object({ calendar: z.unknown().nullable() }) },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const cal = req.body.calendar === null ? null : checkCalendar(req.body.calendar);
    const r = await s.store.db.updateTable('channel_account').set({ calendar: cal ? JSON.stringify(cal) : null }).where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
    if (!Number(r.numUpdatedRows)) throw notFound('channel account');
    s.workflowSettings.invalidate();
    await audit(s.store.db, { brandId: a.user.brand_id, actor: a.actor.name, action: 'channel.calendar', subjectType: 'channel_account', subjectId: req.params.id }, s.clock.now());
    const acc = await s.store.db.selectFrom('channel_account').selectAll().where('id', '=', req.params.id).executeTakeFirstOrThrow();
    return { calendar: cal, availabilityLine: await wf.availabilityLineFor(a.user.brand_id, cal, answersIn(acc)) };
  });

  app.get('/api/channel-accounts/:id/availability', {
    schema: { tags, summary: 'Open now? Next opening, the availability line for the profile bio, and the brand\'s time zone (`brandTimeZone`, where new business hours start)', params: idParams },
  }, async (req) => {
    const a = requireRole(req);
    const acc = await s.store.db.selectFrom('channel_account').selectAll().where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
    if (!acc) throw notFound('channel account');
    const cal = s.workflowSettings.calendarOf(acc);
    const now = s.clock.now();
    const next = cal ? nextOpening(cal, now) : now;
    // the brand's zone: the hours editor starts there (not the browser's: a lead in New York setting a London account's hours)
    const brand = await s.store.db.selectFrom('brand').select('timezone').where('id', '=', a.user.brand_id).executeTakeFirst();
    return { open: isOpen(cal, now), nextOpening: next == null ? null : new Date(next).toISOString(), availabilityLine: await wf.availabilityLineFor(a.user.brand_id, cal, answersIn(acc)), calendar: cal, brandTimeZone: brand?.timezone || 'UTC' };
  });

  app.get('/api/queues', { schema: { tags, summary: 'Per team: waiting conversations, oldest wait, agents online and their load' } }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const teams = await s.store.db.selectFrom('team').selectAll().where('brand_id', '=', a.user.brand_id).execute();
    // teams the routing sends conversations to: one with nobody to take them is flagged on the Queues page
    const routing = (await s.workflowSettings.get(a.user.brand_id)).routing;
    const routedTo = new Set(routing ? [routing.defaultTeamId, ...routing.rules.map((r) => r.teamId)].map(String) : []);
    const out = [];
    for (const t of teams) {
      const waiting = await s.store.db.selectFrom('conversation').select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('queued_at').as('oldest')]).where('team_id', '=', t.id).where('assignee_id', 'is', null).where('status', 'in', ['new', 'open']).executeTakeFirst();
      const agents = await s.store.db
        .selectFrom('team_member')
        .innerJoin('app_user', 'app_user.id', 'team_member.user_id')
        .select(['app_user.id', 'app_user.name', 'app_user.availability', 'app_user.capacity', 'team_member.is_lead'])
        .where('team_member.team_id', '=', t.id)
        // the people routing gives conversations to: not disabled people, not experts
        .where('app_user.disabled_at', 'is', null)
        .where('app_user.role', '!=', 'expert')
        .execute();
      const loads = agents.length ? await s.store.db.selectFrom('conversation').select(['assignee_id', (eb) => eb.fn.countAll<number>().as('n')]).where('assignee_id', 'in', agents.map((x) => x.id)).where('status', 'in', ['new', 'open']).groupBy('assignee_id').execute() : [];
      out.push({
        id: t.id, name: t.name, strategy: t.routing_strategy, routed: routedTo.has(String(t.id)), waiting: Number(waiting?.n ?? 0), oldestQueuedAt: waiting?.oldest ? new Date(Number(waiting.oldest)).toISOString() : null,
        agents: agents.map((x) => ({ id: x.id, name: x.name, availability: x.availability, capacity: x.capacity, lead: x.is_lead === 1, open: Number(loads.find((l) => l.assignee_id === x.id)?.n ?? 0) })),
      });
    }
    return { items: out };
  });

  app.patch('/api/users/:id', {
    schema: {
      tags: ['admin'], params: idParams,
      summary: 'Capacity, skills, flags (e.g. in_training), role, availability, disabling, a new password (admin). Disabling someone, or making them an expert, puts their open conversations back in their team\'s queue, routed again; a new password signs them out everywhere. Unknown fields are refused',
      body: z.strictObject({
        capacity: z.number().int().min(0).max(1000).optional(),
        skills: z.strictObject({ languages: z.array(z.string()).optional(), networks: z.array(z.string()).optional(), intents: z.array(z.string()).optional() }).optional(),
        flags: z.array(z.string().max(40)).max(20).optional(),
        role: z.enum(ROLES).optional(),
        availability: z.enum(['online', 'away', 'offline']).optional(),
        disabled: z.boolean().optional(),
        password: NEW_PASSWORD.optional().describe('a new password they sign in with (at least 8 characters other than spaces); their sessions end'),
      }),
      response: { 200: userSchema },
    },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const { password, ...b } = req.body;
    const passwordHash = password !== undefined ? await hashPassword(password) : undefined;
    return updatePerson(s, { actor: a.actor, userId: req.params.id, change: { ...b, ...(passwordHash ? { passwordHash } : {}) }, keepSession: a.sessionId });
  });

  // -- sign-off
  app.get('/api/approvals', { schema: { tags, summary: 'Replies and incident statements waiting for sign-off, oldest first' } }, async (req) => {
    const a = requireRole(req, 'approver', 'admin', 'agent');
    return { items: await wf.pendingApprovals(a.actor) };
  });

  app.post('/api/approvals/:id', {
    schema: { tags, summary: 'Approve or reject a reply or incident statement; only approved drafts are sent, never signed off by their author; approving with a changed text makes the reviewer its author: it is not sent but waits for someone else\'s sign-off; rejecting needs a note saying why (400 approval.reason_required), which the author reads; a statement of a closed incident is not approved (409 incident.closed)', params: idParams, body: z.object({ decision: z.enum(['approve', 'reject']), text: z.string().min(1).max(100_000).nullish(), note: z.string().max(2000).nullish() }), response: { 200: messageSchema } },
  }, async (req) => {
    const a = requireRole(req, 'approver', 'admin');
    return wf.review(a.actor, req.params.id, req.body);
  });

  app.get('/api/approvals/:id/sign-off', {
    schema: {
      tags, summary: 'A reply\'s wait for sign-off as its author sees it: how many may sign it off (approvers and admins other than its author, not disabled), how many are at the desk now (online, within the account\'s business hours), and the line to show when nobody is ("no approver is online now; it will wait until one is"); signOff is null once it no longer waits',
      params: idParams,
      response: { 200: z.object({
        messageId: z.number().int(), conversationId: z.number().int(), status: z.string(),
        signOff: z.object({ approvers: z.number().int(), availableNow: z.number().int(), reason: z.enum(['none', 'away', 'out_of_hours']).nullable(), notice: z.string().nullable() }).nullable(),
      }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return wf.signOffWaitOf(a.actor, req.params.id);
  });

  app.post('/api/approvals/:id/withdraw', {
    schema: { tags, summary: 'The author withdraws their own draft while it waits for sign-off: never sent, out of the approvals queue (409 once decided)', params: idParams, response: { 200: messageSchema } },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return wf.withdrawDraft(a.actor, req.params.id);
  });

  // -- experts
  app.post('/api/conversations/:id/expert-requests', {
    schema: { tags, summary: 'Ask a knowledge expert (or an expert group); the agent keeps the conversation', params: idParams, body: z.object({ expertId: z.number().int().positive().nullish(), teamId: z.number().int().positive().nullish(), question: z.string().min(5).max(5000) }) },
  }, async (req, reply) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return reply.code(201).send(await wf.askExpert(a.actor, req.params.id, req.body));
  });

  app.get('/api/expert-requests', {
    schema: { tags, summary: 'Questions for me (experts) or for a conversation', querystring: z.object({ conversation: z.coerce.number().int().positive().optional(), status: z.enum(['open', 'answered', 'cancelled']).optional() }) },
  }, async (req) => {
    const a = requireRole(req);
    return { items: await wf.expertRequests(a.actor, { conversationId: req.query.conversation, status: req.query.status }) };
  });

  app.post('/api/expert-requests/:id/answer', {
    schema: { tags, summary: 'Answer a question inside the conversation, as an internal note', params: idParams, body: z.object({ text: z.string().min(1).max(20_000) }) },
  }, async (req) => {
    const a = requireRole(req, 'expert', 'agent', 'approver', 'admin');
    return wf.answerExpert(a.actor, req.params.id, req.body.text);
  });

  app.get('/api/expert-requests/:id/answers', {
    schema: {
      tags,
      summary: 'The versions of a question\'s answer, oldest first: the first answer, then each correction by its expert; the last is the answer as it reads now. For whoever may list the question (an expert: questions to them or their groups); 404 for others, and for a question not answered',
      params: idParams,
      response: { 200: z.object({ items: z.array(z.object({
        version: z.number().int().describe('1 for the first answer'),
        text: z.string(),
        byId: z.number().nullable().describe('who wrote this version'),
        byName: z.string().nullable(),
        at: z.string().describe('when this version was written'),
        current: z.boolean().describe('the answer as it reads now'),
      })) }) },
    },
  }, async (req) => {
    const a = requireRole(req);
    return { items: await wf.expertAnswerHistory(a.actor, req.params.id) };
  });

  app.post('/api/expert-requests/:id/cancel', {
    schema: { tags, summary: 'Withdraw an open question (its asker, a lead or an admin), with an optional reason: the expert (or group) is told and it leaves their list. 409 expert.closed once answered or cancelled; 403 expert.not_your_question for anyone else', params: idParams, body: z.object({ reason: z.string().max(500).nullish() }).optional() },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return wf.cancelExpertRequest(a.actor, req.params.id, { reason: req.body?.reason ?? null });
  });

  app.post('/api/expert-requests/:id/reassign', {
    schema: { tags, summary: 'Give an open question to another knowledge expert or expert group of the brand (its asker, a lead or an admin), validated as when asking; the answer target restarts from now. Old and new experts are told. 409 expert.closed once answered or cancelled', params: idParams, body: z.object({ expertId: z.number().int().positive().nullish(), teamId: z.number().int().positive().nullish(), reason: z.string().max(500).nullish() }) },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return wf.reassignExpertRequest(a.actor, req.params.id, req.body);
  });

  app.put('/api/expert-requests/:id/answer', {
    schema: { tags, summary: 'Correct an answer (the expert who answered): the earlier text is kept in its history and audited with the new one; the asker is told; `usedInReplies` names replies already sent with the earlier text (they are not changed). 409 expert.not_answered; 403 expert.not_your_answer', params: idParams, body: z.object({ text: z.string().min(1).max(20_000) }) },
  }, async (req) => {
    const a = requireRole(req, 'expert', 'agent', 'approver', 'admin');
    return wf.editExpertAnswer(a.actor, req.params.id, req.body.text);
  });

  // -- take it private
  app.post('/api/conversations/:id/take-private', {
    schema: {
      tags, params: idParams,
      summary: 'Reply publicly inviting a private message (network wording); the private thread joins this conversation. Sent at most once: the same idempotencyKey (one per offer), or without one a second offer to the same customer message, answers with the first (200, duplicate); another text for that message without a key is 409 private.already_offered',
      body: z.object({ reason: z.enum(['personal_data', 'account', 'complex']).optional(), text: z.string().max(5000).nullish(), idempotencyKey: z.string().max(128).nullish() }),
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    // a public "DM us" where the desk cannot receive the DM (an Instagram account without its
    // linked Page) sends the customer's details into a void: refused, with the connector's reason
    const acc = await s.store.db.selectFrom('conversation').innerJoin('channel_account', 'channel_account.id', 'conversation.channel_account_id').selectAll('channel_account').where('conversation.id', '=', req.params.id).where('conversation.brand_id', '=', a.user.brand_id).executeTakeFirst();
    const canMessage = acc ? s.registry.forAccount(acc)?.capabilities.privateMessage ?? true : true;
    if (canMessage !== true) {
      throw conflict('private.unavailable', `@${acc!.handle} cannot receive private messages here (${canMessage}); answer in public without personal details, or ask an admin to set this up`);
    }
    const r = await wf.takePrivate(a.actor, req.params.id, req.body);
    return reply.code(r.duplicate ? 200 : 202).send(r);
  });

  // -- live reply checks for the composer
  app.post('/api/reply-checks', {
    schema: { tags, summary: 'Run the reply checks on a draft (the same run again before sending)', body: z.object({ conversationId: z.number().int().positive(), text: z.string().max(100_000), visibility: z.enum(['public', 'private']) }) },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const conv = await s.store.db.selectFrom('conversation').selectAll().where('id', '=', req.body.conversationId).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
    if (!conv) throw notFound('conversation');
    const ident = conv.contact_id != null ? await s.store.db.selectFrom('contact_identity').select(['display_name', 'handle']).where('contact_id', '=', conv.contact_id).executeTakeFirst() : undefined;
    const recent = await s.store.db.selectFrom('message').select(['text', 'text_escaped']).where('author_user_id', '=', a.user.id).where('direction', '=', 'outbound').orderBy('id', 'desc').limit(20).execute();
    const settings = await s.workflowSettings.get(a.user.brand_id);
    return checkReply({
      text: req.body.text, network: conv.network as Network, visibility: req.body.visibility, customer: { name: ident?.display_name ?? null, handle: ident?.handle ?? null },
      recentReplies: recent.map((r) => decodeText(r.text, r.text_escaped)), conversationId: String(conv.id), overrides: settings.replyChecks as never,
    });
  });

  // -- playbooks and snippets
  app.get('/api/conversations/:id/playbooks', { schema: { tags, summary: 'Rules-of-engagement playbooks that fit this conversation', params: idParams } }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return { items: await wf.suggestions(a.actor, req.params.id) };
  });

  app.get('/api/playbooks', { schema: { tags, summary: 'The brand\'s playbooks (outlines, not verbatim text)' } }, async (req) => {
    const a = requireRole(req);
    return { items: await wf.listPlaybooks(a.user.brand_id) };
  });

  app.post('/api/playbooks', {
    schema: { tags, summary: 'Create or update a playbook (leads/admins)', body: z.object({ id: z.number().int().positive().optional(), title: z.string().min(3).max(200), match: z.record(z.string(), z.unknown()), outline: z.array(z.string().min(1).max(1000)).min(1).max(30), snippets: z.array(z.unknown()).optional() }) },
  }, async (req, reply) => {
    const a = requireRole(req, 'approver', 'admin');
    return reply.code(201).send({ id: await wf.savePlaybook(a.actor, req.body) });
  });

  app.get('/api/snippets', { schema: { tags, summary: 'Saved snippets with variables for facts that must be exact' } }, async (req) => {
    const a = requireRole(req);
    return { items: await wf.listSnippets(a.user.brand_id) };
  });

  const snippetVariantBody = z.object({
    network: z.string().min(1).max(20).describe('x, facebook, instagram, mastodon, bluesky, email, webchat, or any'),
    language: z.string().min(1).max(35).describe('a BCP-47 language tag (its primary subtag is kept: es-MX is es), or any'),
    body: z.string().min(1).max(5000),
  });
  app.post('/api/snippets', {
    schema: {
      tags, summary: 'Create or update a snippet (leads/admins); `body` is its default wording, `variants` (when given: all of them, one left out is removed) its wordings per network and language. Warnings: a variant longer than its network allows for a public reply or a private message (each named), variables Parley never fills.',
      body: z.object({ shortcut: z.string().min(1).max(41), title: z.string().min(1).max(200), body: z.string().min(1).max(5000), variants: z.array(snippetVariantBody).max(60).optional() }),
      response: { 201: z.object({ id: z.number(), warnings: z.array(z.object({ network: z.string(), language: z.string(), code: z.string(), message: z.string(), variable: z.string().optional(), length: z.number().optional(), limit: z.number().optional(), use: z.enum(['public', 'private', 'any']).optional().describe('snippet.too_long: too long for a public reply, a private message (DM), or any reply (one limit holds both there)') })) }) },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'approver', 'admin');
    return reply.code(201).send(await wf.saveSnippet(a.actor, req.body));
  });

  app.post('/api/snippets/:id/render', { schema: { tags, summary: 'Fill a snippet for a conversation in the variant that fits its network and language best (or the one chosen: variantId); missing variables are named, never guessed', params: idParams, body: z.object({ conversationId: z.number().int().positive(), variantId: z.number().int().positive().optional() }) } }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return wf.renderSnippetFor(a.actor, req.params.id, req.body.conversationId, req.body.variantId);
  });

  // -- incidents
  app.get('/api/incidents', { schema: { tags, summary: 'Mass problems (outages, recalls), newest first, each with its latest statement and all its statements', response: { 200: z.object({ items: z.array(incidentSchema) }) } } }, async (req) => {
    const a = requireRole(req);
    return { items: await wf.listIncidents(a.user.brand_id, healthViewFor(a.user.role)) };
  });

  app.post('/api/incidents', { schema: { tags, summary: 'Declare an incident (approvers/admins): 201 with a new incident — also while another, or the detector\'s, is open — or 200 with the open incident of the same title', body: z.object({ title: z.string().min(3).max(200), reason: z.string().min(3).max(2000) }) } }, async (req, reply) => {
    const a = requireRole(req, 'approver', 'admin');
    const inc = await wf.openIncident(a.actor, a.user.brand_id, req.body);
    return reply.code(inc.created ? 201 : 200).send({ id: inc.id });
  });

  app.post('/api/incidents/:id/close', {
    schema: {
      tags, params: idParams,
      summary: 'Close an incident: its statement still waiting for sign-off or not yet sent is withdrawn, so nothing about it is published afterwards',
      response: { 200: z.object({ id: z.number().int(), status: z.string(), withdrawnStatementIds: z.array(z.number().int()).describe('statements withdrawn by this close'), releasedReplyIds: z.array(z.number().int()).describe('replies held only because an incident was open, sent now that none a person opened is') }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'approver', 'admin');
    const inc = await wf.closeIncident(a.actor, a.user.brand_id, req.params.id);
    if (!inc) throw notFound('incident');
    return { id: inc.id, status: inc.status, withdrawnStatementIds: inc.withdrawnStatementIds, releasedReplyIds: inc.releasedReplyIds };
  });

  app.post('/api/incidents/:id/statement', {
    schema: {
      tags, params: idParams,
      summary: 'Write the public statement from a brand account (approvers/admins): reply checks apply, and under the approval policy it waits for a second person\'s sign-off (POST /api/approvals/:id) before it is sent; people are still answered one by one. Refused (409) once the incident is closed (incident.closed), and when the same text is already waiting or sent (incident.statement_duplicate)',
      body: z.object({ channelAccountId: z.number().int().positive(), text: z.string().min(10).max(10_000), idempotencyKey: z.string().max(128).nullish(), nextUpdateAt: z.string().datetime({ offset: true }).nullish().describe('when the next update on the incident is due; the suggested personal replies tell each customer (null clears it)') }),
      response: {
        202: z.object({ message: messageSchema, duplicate: z.boolean(), approval: z.object({ reasons: z.array(z.object({ code: z.string(), message: z.string() })) }).nullable(), checks: z.array(checkSchema) }),
        200: z.object({ message: messageSchema, duplicate: z.boolean(), approval: z.null(), checks: z.array(checkSchema) }),
      },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'approver', 'admin');
    const { nextUpdateAt, ...body } = req.body;
    const r = await wf.postStatement(a.actor, req.params.id, { ...body, ...(nextUpdateAt !== undefined ? { nextUpdateAt: nextUpdateAt === null ? null : Date.parse(nextUpdateAt) } : {}) });
    return reply.code(r.duplicate ? 200 : 202).send(r as any);
  });

  const incidentReportSchema = z.object({
    incident: z.object({ id: z.number().int(), title: z.string(), status: z.string(), reason: z.string(), openedBy: z.string(), openedAt: z.number().int().describe('ms since the epoch'), closedAt: z.number().int().nullable() }),
    timeline: z.array(z.object({ at: z.number().int(), kind: z.enum(['detected', 'declared', 'statement_posted', 'statement_updated', 'next_update_promised', 'resolved']), messageId: z.number().int().optional() })).describe('oldest first; the first statement posted, each later one an update; `next_update_promised` at the time the next update was promised for (the statement\'s `nextUpdateAt`), when one was'),
    volume: z.array(z.object({ start: z.number().int(), messages: z.number().int() })).describe('customers\' messages in the linked conversations per 15-minute bucket'),
    conversations: z.number().int().describe('customers\' conversations linked to the incident'),
    people: z.number().int().describe('distinct authors of their messages'),
    answered: z.number().int().describe('linked conversations with a personal answer (a first response)'),
    firstResponse: z.object({ n: z.number().int(), medianMin: z.number().nullable(), p90Min: z.number().nullable() }).describe('first-response time of the linked conversations, minutes'),
    sentiment: z.object({ negative: z.number().int(), neutral: z.number().int(), positive: z.number().int(), unknown: z.number().int() }),
    complaintShare: z.number().nullable().describe('complaints among the triaged customers\' messages; null when none is triaged'),
    unanswered: z.array(z.object({ conversationId: z.number().int(), status: z.string(), since: z.number().int(), contactId: z.number().int().nullable() })).describe('linked conversations with no personal answer yet, oldest first'),
  });
  app.get('/api/incidents/:id/report', {
    schema: {
      tags, params: idParams, querystring: z.object({ format: z.enum(['json', 'csv']).default('json') }),
      summary: 'The incident report a lead shares afterwards (agents, approvers, admins): timeline, volume per 15 minutes, people affected, personal answers and first-response time (median, p90), sentiment and complaint share, who is still unanswered; `format=csv` downloads it as CSV',
      response: { 200: incidentReportSchema },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const r = await incidentReport(s.store, a.user.brand_id, req.params.id);
    if (!r) throw notFound('incident');
    if (req.query.format === 'csv') {
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="parley-incident-${r.incident.id}.csv"`);
      return reply.send((UTF8_BOM + incidentReportCsv(r)) as never); // text, not the JSON schema's shape
    }
    return r;
  });

  app.get('/api/conversations/:id/incident-reply', {
    schema: {
      tags, params: idParams,
      summary: 'A suggested personal reply built from the linked incident\'s posted statement (greets the customer, acknowledges their case, carries the statement\'s key facts, fits the network); never sent by itself. `suggestion` is null when the conversation is not linked, the incident has no posted statement, or it has no fact to pass on',
      response: { 200: z.object({ suggestion: z.object({ incidentId: z.number().int(), incidentTitle: z.string(), statementMessageId: z.number().int(), suggestion: z.object({ text: z.string(), language: z.string(), facts: z.array(z.string()), factsDropped: z.number().int(), length: z.number().int(), limit: z.number().int() }) }).nullable() }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return { suggestion: await incidentReplyFor(s.store, a.actor, req.params.id, s.clock.now()) };
  });

}
