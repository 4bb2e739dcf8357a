/** The inbox API: list, count, read, and act on conversations. */
import { z } from 'zod';
import { healthViewFor } from '../../channels/healthSummary.js';
import { KEYLESS_REPLY_WINDOW_MS } from '../../commands/conversations.js';
import { CONVERSATION_STATUSES, type TriageAction } from '../../core/types.js';
import { AppError, notFound } from '../../errors.js';
import { getConversationDetail, LIST_TOTAL_CAP, listConversations, searchMessages, viewCounts } from '../../store/queries.js';
import { ViewingLog } from '../../store/viewing.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import { auditSchema, conversationSchema, countsSchema, idParams, listQuery, messageSchema, noteSchema, replyBody } from '../schemas.js';

const WORKERS = ['agent', 'approver', 'admin'] as const;

/** What triage says a conversation needs (src/core/types.ts `TriageAction`). */
const TRIAGE_ACTIONS = ['respond', 'monitor', 'ignore'] as const satisfies readonly TriageAction[];

/** The list's querystring: the shared list filters, plus triage's verdict and an optional total. */
const conversationListQuery = listQuery.extend({
  triageAction: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(TRIAGE_ACTIONS)).min(1))
    .optional()
    .describe('Comma-separated: what triage says the conversation needs (respond, monitor, ignore); any of them'),
  incident: z.coerce.number().int().positive().optional().describe('Only customers\' conversations linked to this incident (not its statements\' conversations)'),
  origin: z.enum(['listening', 'addressed']).optional().describe('How the conversation began: listening (found by keyword listening; the post did not address the brand) or addressed (a mention, reply, DM...)'),
  total: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional()
    .describe('Also count the conversations the filters match (capped; null where the view spans resolved history)'),
});
const checkSchema = z.object({ code: z.string(), severity: z.string(), message: z.string(), detail: z.string().optional(), suggestion: z.string().optional(), data: z.record(z.string(), z.unknown()).optional() });

/** What moderation did on the network and has not undone: hidden or deleted posts, blocked, restricted or muted authors. */
const moderationStateSchema = z.object({
  messages: z.array(z.object({ messageId: z.number().int(), hidden: z.boolean(), deleted: z.boolean(), at: z.string(), byUserId: z.number().int() })),
  authors: z.array(z.object({ identityId: z.number().int(), blocked: z.boolean(), restricted: z.boolean().describe('Restricted in the network\'s app (Instagram), recorded with doneOnNetwork'), muted: z.boolean(), at: z.string(), byUserId: z.number().int() })),
});

export function conversationRoutes(app: App) {
  const s = app.services;
  const tags = ['conversations'];
  const viewing = new ViewingLog(s.store);

  app.get('/api/conversations', {
    schema: {
      tags, summary: 'List conversations of a view, filtered, newest activity first (keyset pagination)', querystring: conversationListQuery,
      response: {
        200: z.object({
          items: z.array(conversationSchema),
          nextCursor: z.string().nullable(),
          total: z.number().int().nullable().optional().describe(`With total=true: how many conversations the filters match, at most ${LIST_TOTAL_CAP.toLocaleString('en')} (see totalCapped); null when not counted (views over resolved history)`),
          totalCapped: z.boolean().optional().describe('True when more than `total` match'),
        }),
      },
    },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    const q = req.query;
    try {
      return await listConversations(s.store, {
        brandId: a.user.brand_id, userId: a.user.id, view: q.view, status: q.status, assigneeId: q.assignee === 'me' ? a.user.id : q.assignee, teamId: q.team,
        channelAccountId: q.channel, network: q.network, priorityMin: q.priorityMin, label: q.label, sentiment: q.sentiment, category: q.category, triageAction: q.triageAction, incidentId: q.incident, origin: q.origin,
        dueWithinMs: q.dueWithinMin != null ? q.dueWithinMin * 60_000 : undefined, q: q.q, sort: q.sort, cursor: q.cursor, limit: q.limit, total: q.total, now: s.clock.now(),
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'cursor.invalid') throw new AppError(400, 'cursor.invalid', 'the cursor is not one this server issued');
      throw err;
    }
  });

  app.get('/api/conversations/counts', { schema: { tags, summary: 'Conversation counts per inbox view, for the signed-in user', response: { 200: countsSchema } } }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    return viewCounts(s.store, a.user.brand_id, a.user.id);
  });

  app.get('/api/conversations/:id', {
    schema: {
      tags, summary: 'A conversation with its messages, notes, author card and audit trail', params: idParams,
      response: { 200: z.object({ conversation: conversationSchema, messages: z.array(messageSchema), notes: z.array(noteSchema), contact: z.unknown().nullable(), audit: z.array(auditSchema), moderation: moderationStateSchema, presence: z.array(z.object({ userId: z.number(), name: z.string(), state: z.string() })) }) },
    },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS, 'expert');
    if (a.user.role === 'expert') await app.hooks.assertExpertMayRead?.(a, req.params.id);
    const d = await getConversationDetail(s.store, a.user.brand_id, req.params.id, healthViewFor(a.user.role));
    if (!d) throw notFound('conversation');
    return { ...d, presence: s.presence.list(a.user.brand_id, req.params.id) };
  });

  app.post('/api/conversations/:id/assign', {
    schema: { tags, summary: 'Assign to an agent and/or a team (null clears)', params: idParams, body: z.object({ assigneeId: z.number().int().positive().nullable().optional(), teamId: z.number().int().positive().nullable().optional() }), response: { 200: conversationSchema } },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    return s.commands.assign(a.actor, req.params.id, req.body);
  });

  app.post('/api/conversations/:id/status', {
    schema: { tags, summary: 'Change status; waiting may snooze until a time', params: idParams, body: z.object({ status: z.enum(CONVERSATION_STATUSES), snoozeUntil: z.string().datetime({ offset: true }).nullable().optional() }), response: { 200: conversationSchema } },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    return s.commands.setStatus(a.actor, req.params.id, req.body.status, req.body.snoozeUntil ? Date.parse(req.body.snoozeUntil) : null);
  });

  app.post('/api/conversations/:id/priority', {
    schema: { tags, summary: 'Set priority (0–100)', params: idParams, body: z.object({ priority: z.number().int().min(0).max(100) }), response: { 200: conversationSchema } },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    return s.commands.setPriority(a.actor, req.params.id, req.body.priority);
  });

  app.post('/api/conversations/:id/labels', {
    schema: { tags, summary: 'Add and remove labels', params: idParams, body: z.object({ add: z.array(z.string().max(64)).max(50).optional(), remove: z.array(z.string().max(64)).max(50).optional() }), response: { 200: conversationSchema } },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    return s.commands.setLabels(a.actor, req.params.id, req.body);
  });

  app.put('/api/conversations/:id/incident', {
    schema: {
      tags, params: idParams, body: z.object({ incidentId: z.number().int().positive().nullable() }), response: { 200: conversationSchema },
      summary: 'Link a customer\'s conversation to an open incident of the brand (a mass problem: outage, recall), or unlink it (null); audited. 404 for an unknown incident, 409 incident.closed for a closed one, 400 incident.not_customer for a conversation without a customer (an incident statement\'s own)',
    },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    return s.workflowCommands.linkIncident(a.actor, req.params.id, req.body.incidentId);
  });

  app.post('/api/conversations/:id/notes', {
    schema: { tags, summary: 'Add an internal note (never sent; @name mentions notify colleagues)', params: idParams, body: z.object({ text: z.string().min(1).max(20_000) }), response: { 201: noteSchema } },
  }, async (req, reply) => {
    const a = requireRole(req, ...WORKERS, 'expert');
    return reply.code(201).send(await s.commands.addNote(a.actor, req.params.id, req.body.text));
  });

  app.post('/api/conversations/:id/replies', {
    schema: {
      tags, summary: 'Reply publicly or privately; the reply goes to the outbox (or waits for approval), and is sent at most once', params: idParams, body: replyBody,
      description: [
        'A new reply answers 202. A repeated request answers 200 with the first reply and `duplicate: true`, and nothing is sent again:',
        'with an `idempotencyKey`, the same key from the same person is the same reply (reused for another conversation or another text it is a 409 `reply.key_reused`);',
        `without one, the same person sending the same text (ignoring surrounding whitespace) with the same visibility and replyToMessageId in the same conversation within ${KEYLESS_REPLY_WINDOW_MS / 60_000} minutes is the same reply.`,
        'To say the same thing again within that time on purpose, send a new idempotencyKey.',
      ].join(' '),
      response: {
        202: z.object({ message: messageSchema, duplicate: z.boolean(), approval: z.object({ reasons: z.array(z.object({ code: z.string(), message: z.string() })) }).nullable(), checks: z.array(checkSchema) }),
        200: z.object({ message: messageSchema, duplicate: z.boolean(), approval: z.null(), checks: z.array(checkSchema) }),
      },
    },
  }, async (req, reply) => {
    const a = requireRole(req, ...WORKERS);
    const r = await s.commands.reply(a.actor, req.params.id, req.body);
    return reply.code(r.duplicate ? 200 : 202).send(r as any);
  });

  app.post('/api/conversations/:id/presence', {
    schema: { tags, summary: 'Tell colleagues you are viewing or typing in this conversation (heartbeat every 10 s); visits are recorded to measure handling time', params: idParams, body: z.object({ state: z.enum(['viewing', 'typing', 'left']) }), response: { 204: z.null() } },
  }, async (req, reply) => {
    const a = requireRole(req, ...WORKERS, 'expert');
    // an expert shows up only where they were asked (and cannot probe which ids exist)
    if (a.user.role === 'expert') await app.hooks.assertExpertMayRead?.(a, req.params.id);
    const exists = await s.store.db.selectFrom('conversation').select('id').where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
    if (!exists) throw notFound('conversation');
    s.presence.set(a.user.brand_id, req.params.id, { id: a.user.id, name: a.user.name }, req.body.state);
    // the visit, for measured handling time (experts answer questions, they do not reply)
    if (a.user.role !== 'expert') {
      await viewing.beat(a.user.brand_id, req.params.id, a.user.id, req.body.state, s.clock.now()).catch((err) => req.log.warn({ err }, 'viewing span not recorded'));
    }
    return reply.code(204).send(null);
  });

  app.post('/api/conversations/bulk', {
    schema: {
      tags, summary: 'Apply one action to many conversations', body: z.object({
        ids: z.array(z.number().int().positive()).min(1).max(500),
        action: z.discriminatedUnion('type', [
          z.object({ type: z.literal('assign'), assigneeId: z.number().int().positive().nullable().optional(), teamId: z.number().int().positive().nullable().optional() }),
          z.object({ type: z.literal('status'), status: z.enum(CONVERSATION_STATUSES), snoozeUntil: z.string().datetime({ offset: true }).nullable().optional() }),
          z.object({ type: z.literal('priority'), priority: z.number().int().min(0).max(100) }),
          z.object({ type: z.literal('labels'), add: z.array(z.string().max(64)).optional(), remove: z.array(z.string().max(64)).optional() }),
        ]),
      }),
      response: { 200: z.object({ done: z.array(z.number()), failed: z.array(z.object({ id: z.number(), code: z.string(), detail: z.string() })) }) },
    },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    const done: number[] = [];
    const failed: { id: number; code: string; detail: string }[] = [];
    const act = req.body.action;
    // an incident whose linked customers this resolves or reopens is announced once, at the end
    await s.workflowCommands.batchAffected(a.user.brand_id, async () => {
      for (const id of req.body.ids) {
        try {
          if (act.type === 'assign') await s.commands.assign(a.actor, id, act);
          else if (act.type === 'status') await s.commands.setStatus(a.actor, id, act.status, act.snoozeUntil ? Date.parse(act.snoozeUntil) : null);
          else if (act.type === 'priority') await s.commands.setPriority(a.actor, id, act.priority);
          else await s.commands.setLabels(a.actor, id, act);
          done.push(id);
        } catch (err) {
          if (err instanceof AppError) failed.push({ id, code: err.code, detail: err.message });
          else throw err;
        }
      }
    });
    return { done, failed };
  });

  app.get('/api/search', {
    schema: { tags, summary: 'Full-text search over message text, newest first', querystring: z.object({ q: z.string().min(1).max(500), limit: z.coerce.number().int().min(1).max(200).default(50), before: z.coerce.number().int().positive().optional() }), response: { 200: z.object({ items: z.array(messageSchema.extend({ conversationSubject: z.string(), conversationStatus: z.string() })), nextBefore: z.number().nullable() }) } },
  }, async (req) => {
    const a = requireRole(req, ...WORKERS);
    return searchMessages(s.store, a.user.brand_id, req.query.q, req.query.limit, req.query.before);
  });
}
