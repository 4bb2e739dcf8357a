/** Community guidelines, rule-cited moderation, and consent-based CRM links. */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { exportContact } from '../../commands/export.js';
import { CONSENT_METHODS } from '../../commands/contacts.js';
import { eraseContact } from '../../commands/erase.js';
import { MODERATION_ACTIONS } from '../../commands/moderation.js';
import { NETWORK_REPORT_REASONS } from '../../channels/types.js';
import { AppError } from '../../errors.js';
import type { AuthContext } from '../auth.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import { presentAudit } from '../presenters.js';
import { idParams, messageSchema } from '../schemas.js';

/** Free text that is stored and audited: PostgreSQL refuses a NUL in text, so it is a 400 here, not a 500 later. */
const text = () => z.string().refine((v) => !v.includes('\u0000'), 'contains a NUL character');

/** How the customer consented to a CRM link (their message, a verified form, a call), as the link and a merge that extends one take it. */
const consentSchema = z.object({ method: z.enum(CONSENT_METHODS), messageId: z.number().int().positive().nullish(), note: text().max(2000).nullish() });

const ROLE_PLURAL: Record<string, string> = { agent: 'agents', approver: 'approvers', admin: 'admins' };

/** "approvers and admins": who the brand lets moderate, in words. */
export function moderatorsText(roles: readonly string[]): string {
  const names = roles.map((r) => ROLE_PLURAL[r] ?? r);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : (names[0] ?? 'admins');
}

export function moderationRoutes(app: App) {
  const s = app.services;

  /** The brand's moderation policy for this person: whether they may moderate, and if not, why (the same words as the 403). */
  const moderationPolicy = async (a: AuthContext) => {
    const allowedRoles = (await s.workflowSettings.get(a.user.brand_id)).moderation.allowedRoles;
    const allowed = (allowedRoles as readonly string[]).includes(a.user.role);
    return { allowedRoles, allowed, reason: allowed ? null : `In this brand only ${moderatorsText(allowedRoles)} may take moderation actions (Settings → Workflow → Moderation).` };
  };

  app.get('/api/moderation/policy', {
    schema: { tags: ['moderation'], summary: 'Who may take moderation actions in the brand (a workflow setting), and whether you may; `reason` says why not', response: { 200: z.object({ allowedRoles: z.array(z.string()), allowed: z.boolean(), reason: z.string().nullable() }) } },
  }, async (req) => {
    const a = requireRole(req);
    return moderationPolicy(a);
  });
  const guideline = z.object({ id: z.number(), code: z.string(), title: z.string(), description: z.string(), allowedActions: z.array(z.string()), reportReason: z.string().nullable().describe('The reason a report to the network citing this rule is filed under (null: picked when reporting)') });
  const reportReason = z.enum(NETWORK_REPORT_REASONS).describe('Parley\'s report reason, mapped by the connector to the network\'s own: Mastodon `category` spam | legal | violation (with instance rules) | other; Bluesky `reasonType` reasonSpam, reasonRude (abuse), reasonMisleading (impersonation), reasonSexual, reasonViolation (violation, legal), reasonOther');

  app.get('/api/guidelines', { schema: { tags: ['moderation'], summary: 'The brand\'s published community guidelines', response: { 200: z.object({ items: z.array(guideline) }) } } }, async (req) => {
    const a = requireRole(req);
    return { items: await s.moderation.listGuidelines(a.user.brand_id) };
  });

  app.post('/api/guidelines', {
    schema: { tags: ['moderation'], summary: 'Publish a community guideline (admin)', body: z.object({ code: z.string().max(41, 'a code is at most 41 characters'), title: text().min(3, 'give the rule a title of at least 3 characters').max(200, 'a title is at most 200 characters'), description: text().min(10, 'describe what the rule forbids (at least 10 characters)').max(5000, 'a description is at most 5000 characters'), allowedActions: z.array(z.enum(MODERATION_ACTIONS)).min(1, 'name at least one action the rule allows: hide, delete, block, restrict or mute').optional(), reportReason: reportReason.nullish() }), response: { 201: z.object({ id: z.number() }) } },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    return reply.code(201).send({ id: await s.moderation.addGuideline(a.actor, req.body) });
  });

  app.put('/api/guidelines/:id/report-reason', {
    schema: { tags: ['moderation'], summary: 'Set (or clear, with null) the report reason a guideline maps to when a post or account is reported to the network citing it (admin; audited)', params: idParams, body: z.object({ reportReason: reportReason.nullable() }), response: { 200: z.object({ id: z.number(), reportReason: z.string().nullable() }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return s.moderation.setGuidelineReportReason(a.actor, req.params.id, req.body.reportReason);
  });

  app.post('/api/guidelines/:id/retire', {
    schema: { tags: ['moderation'], summary: 'Retire a community guideline (admin): it can no longer be cited; past moderation keeps its citation', params: idParams, body: z.object({ reason: text().min(3).max(1000) }), response: { 204: z.null() } },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    await s.moderation.retireGuideline(a.actor, req.params.id, req.body.reason);
    return reply.code(204).send(null);
  });

  app.post('/api/messages/:id/moderation', {
    schema: {
      tags: ['moderation'],
      summary: 'Hide, delete, block, restrict or mute — only citing a guideline that allows it (one that allows block allows restrict), with evidence (never for mere negativity); unhide, unblock, unrestrict or unmute — no guideline needed, the reason (evidence) recorded. With `doneOnNetwork: true`, record a block, unblock, restrict or unrestrict the moderator did in the network\'s own app, where the connector cannot (Instagram): same rules, nothing sent, logged as done and audited with `doneOnNetwork`; a 400 `moderation.network_can_do_it` where the connector can block, `moderation.done_on_network_action` for any other action. `status` is `done`, or `unchanged` when Parley already did it (nothing is sent again); the same action still waiting for the network is a 409 `moderation.in_progress`, a role the brand does not let moderate (workflow setting `moderation.allowedRoles`) a 403 `moderation.role_not_allowed` naming who may, a deleted post a 409 `moderation.deleted`, a network that does not answer a 502 `moderation.network_unknown`',
      params: idParams,
      body: z.object({
        action: z.enum(MODERATION_ACTIONS), guidelineId: z.number().int().positive().nullish(), evidence: text().max(2000).nullish(),
        doneOnNetwork: z.boolean().optional().describe('The moderator already did this block/restriction (or its undoing) in the network\'s own app, where Parley\'s connector cannot: record it, send nothing'),
      }),
      response: { 200: z.object({ status: z.string(), action: z.string(), guideline: z.string().nullable(), doneOnNetwork: z.boolean().optional() }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    // the brand may keep moderation to its leads (workflow setting moderation.allowedRoles)
    const policy = await moderationPolicy(a);
    if (!policy.allowed) throw new AppError(403, 'moderation.role_not_allowed', policy.reason!, { allowedRoles: policy.allowedRoles });
    return s.moderation.moderate(a.actor, req.params.id, req.body);
  });

  app.get('/api/messages/:id/network-report', {
    schema: {
      tags: ['moderation'],
      summary: 'Whether the message\'s network takes a report from Parley; `reason` says why not (X API v2 and the Graph API have no report endpoint; email and web chat no network moderators). `rules`: the network\'s own rules a report may cite (`ruleIds`; Mastodon GET /api/v1/instance/rules, kept 15 minutes per account), null where it has none or could not list them (`rulesError` says so; the report can still go without them). `unsettled`: reports of this post or its author that Parley asked for and never heard back about; another needs `confirmNotFiled`',
      params: idParams,
      response: {
        200: z.object({
          available: z.boolean(),
          reason: z.string().nullable(),
          rules: z.array(z.object({ id: z.string(), text: z.string(), hint: z.string() })).nullable(),
          rulesError: z.string().nullable(),
          unsettled: z.array(z.object({ subject: z.enum(['post', 'account']), at: z.string(), error: z.string().nullable() })),
        }),
      },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return s.moderation.reportAvailability(a.actor, req.params.id);
  });

  app.post('/api/messages/:id/network-report', {
    schema: {
      tags: ['moderation'],
      summary: 'Report the post (with its author) or the author\'s account to the network\'s moderators (Mastodon POST /api/v1/reports, Bluesky com.atproto.moderation.createReport), citing a guideline with evidence; the reason is the guideline\'s `reportReason` unless `reason` is given (neither: 400 `moderation.report_reason_needed`). Audited, on the conversation\'s timeline. At most once: a report already filed is answered `unchanged` with its id, nothing sent; one waiting for the network is a 409 `moderation.in_progress`; after one whose outcome is unknown (the network did not answer, or the desk stopped mid-call) another is filed only with `confirmNotFiled: true` (audited as `moderation.report_not_filed`), else a 409 `moderation.report_unknown`. `ruleIds` where the network lists no rules: 400 `moderation.report_rules_unsupported`. A network without a report API: 400 `moderation.report_unsupported` before anything is sent; the network refusing: 502 `moderation.network_failed` with its message (a retry may file it); no answer: 502 `moderation.network_unknown`',
      params: idParams,
      body: z.object({
        subject: z.enum(['post', 'account']).default('post'),
        guidelineId: z.number().int().positive().nullish(),
        evidence: text().max(2000).nullish(),
        reason: reportReason.nullish(),
        ruleIds: z.array(z.string().min(1).max(64)).max(20).nullish().describe('Mastodon: the instance rules broken (GET /api/v1/instance/rules ids); the report is then filed as a violation'),
        confirmNotFiled: z.boolean().nullish().describe('The agent checked on the network that an earlier report of this post (or account) whose outcome is unknown was not filed: file it again'),
      }),
      response: { 200: z.object({ status: z.enum(['done', 'unchanged']), subject: z.string(), guideline: z.string(), reason: z.string(), networkReportId: z.string().nullable(), category: z.string().nullable() }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const policy = await moderationPolicy(a);
    if (!policy.allowed) throw new AppError(403, 'moderation.role_not_allowed', policy.reason!, { allowedRoles: policy.allowedRoles });
    return s.moderation.reportToNetwork(a.actor, req.params.id, req.body);
  });

  app.post('/api/messages/:id/triage', {
    schema: {
      tags: ['triage'],
      summary: 'Correct triage (re-categorise, mark spam, needs / does not need a response); recorded so `parley train --from-history` learns from it',
      params: idParams,
      body: z.object({
        category: z.enum(['customer_service', 'brand', 'spam', 'abuse', 'other']).optional(),
        action: z.enum(['respond', 'monitor', 'ignore']).optional(),
        complaint: z.boolean().optional(),
        sentiment: z.enum(['negative', 'neutral', 'positive']).optional(),
        intent: z.string().min(1).max(64).optional(),
      }),
      response: { 200: messageSchema },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return s.triage.correct(a.actor, req.params.id, req.body);
  });

  app.post('/api/contacts/:id/crm-link', {
    schema: {
      tags: ['contacts'],
      summary: 'Link a social profile to a CRM customer — only with the customer\'s recorded consent. `customer_message` evidence must be their reply, in the same conversation, to a consent question that went out (POST /api/conversations/:id/crm-consent-ask), reading as an agreement; else 400 `crm.consent_evidence` with `reason` `no_ask`, `not_agreement` or `not_theirs`',
      params: idParams,
      body: z.object({ crmCustomerId: z.string().min(1).max(200), consent: consentSchema.nullish() }),
      response: { 200: z.object({ contactId: z.number(), crmCustomerId: z.string(), consentAt: z.string(), method: z.string() }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return s.contacts.linkCrm(a.actor, req.params.id, req.body);
  });

  app.post('/api/conversations/:id/crm-consent-ask', {
    schema: {
      tags: ['contacts'],
      summary: 'Ask the conversation\'s customer for consent to a CRM link: a reply through the normal reply path (outbox, sign-off when required) with the brand\'s question (or the agent\'s edit of it), private when the conversation is private or the channel can message privately (else public; `visibility` overrides). Recorded: only a reply of theirs written after this question went out, in this conversation, that reads as an agreement is accepted as `customer_message` consent',
      params: idParams,
      body: z.object({ text: text().min(10).max(2000).nullish(), visibility: z.enum(['public', 'private']).nullish(), idempotencyKey: z.string().max(128).nullish() }),
      response: { 202: z.object({ message: messageSchema, duplicate: z.boolean(), approval: z.object({ reasons: z.array(z.object({ code: z.string(), message: z.string() })) }).nullable(), ask: z.object({ messageId: z.number(), visibility: z.string(), askedAt: z.string() }) }) },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const r = await s.contacts.askForConsent(a.actor, req.params.id, req.body, {
      canMessagePrivately: (acc) => s.registry.forAccount(acc)?.capabilities.privateMessage === true,
      reply: (v) => s.commands.reply(a.actor, req.params.id, v),
    });
    return reply.code(202).send({ message: r.message, duplicate: r.duplicate, approval: r.approval as { reasons: { code: string; message: string }[] } | null, ask: r.ask } as any);
  });

  app.get('/api/conversations/:id/crm-consent-candidates', {
    schema: {
      tags: ['contacts'],
      summary: 'The consent questions asked in the conversation (latest first) and the customer\'s replies answering any question that went out (their agreements, however long ago, up to 20; then their latest 30 other replies), each read as `agree`, `decline` or `unclear` with the reason: what a link by `customer_message` may cite',
      params: idParams,
      response: {
        200: z.object({
          askText: z.string(),
          asks: z.array(z.object({ messageId: z.number(), askedAt: z.string(), askedBy: z.object({ id: z.number(), name: z.string().nullable() }), status: z.string(), sentAt: z.string().nullable(), visibility: z.string() })),
          candidates: z.array(z.object({ messageId: z.number(), text: z.string(), createdAt: z.string(), verdict: z.enum(['agree', 'decline', 'unclear']), reason: z.string() })),
        }),
      },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const r = await s.contacts.consentCandidates(a.actor, req.params.id);
    return { askText: (await s.contacts.consentAskText(a.user.brand_id)).text, ...r };
  });

  app.get('/api/crm/consent-ask-text', {
    schema: { tags: ['contacts'], summary: 'The brand\'s consent question (its own wording, or the default when `custom` is false)', response: { 200: z.object({ text: z.string(), custom: z.boolean() }) } },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return s.contacts.consentAskText(a.user.brand_id);
  });

  app.put('/api/crm/consent-ask-text', {
    schema: { tags: ['contacts'], summary: 'Set the brand\'s consent question (admin; 10 to 1000 characters; null restores the default); audited', body: z.object({ text: text().max(1000).nullable() }), response: { 200: z.object({ text: z.string(), custom: z.boolean() }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return s.contacts.setConsentAskText(a.actor, req.body.text);
  });

  app.post('/api/contacts/:id/crm-unlink', {
    schema: { tags: ['contacts'], summary: 'Remove the CRM link (consent withdrawn); history is kept', params: idParams, body: z.object({ reason: text().min(3).max(1000) }), response: { 204: z.null() } },
  }, async (req, reply) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    await s.contacts.unlinkCrm(a.actor, req.params.id, req.body.reason);
    return reply.code(204).send(null);
  });

  // ---- one customer, several profiles: src/commands/contactMerge.ts
  app.get('/api/contacts', {
    schema: {
      tags: ['contacts'],
      summary: 'The brand\'s customers with a profile whose handle (with or without @) or email address starts with `q`, or whose display name has words starting with each of `q`\'s words (words of 3 characters or more; shorter ones match whole words; handles and addresses compared by their Unicode fold, NFKC and lowercase, docs/contacts.md; `%` and `_` are plain characters), at most `limit`: handle matches first, then email addresses, then names; with their profiles, for picking the one to merge with. Served by indexes',
      querystring: z.object({ q: z.string().min(1).max(200), limit: z.coerce.number().int().min(1).max(20).default(8) }),
      response: { 200: z.object({ items: z.array(z.object({ id: z.number(), displayName: z.string().nullable(), crmLinked: z.boolean(), identities: z.array(z.object({ identityId: z.number(), network: z.string(), handle: z.string(), displayName: z.string().nullable() })) })) }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return { items: await s.contacts.search(a.actor, req.query.q, req.query.limit) };
  });

  app.post('/api/contacts/:id/merge', {
    schema: {
      tags: ['contacts'],
      summary: 'Same person: the other customer\'s profiles, conversations and consent records move to this one, and the other is removed (audited with the reason). Both linked to different CRM customers: 409 `contact.merge_conflict`; exactly one linked: the customer\'s consent for the merged profiles is needed (`crmConsent`), else 409 `contact.merge_consent_required`',
      params: idParams,
      body: z.object({
        otherContactId: z.number().int().positive(),
        reason: text().min(3).max(1000),
        evidenceMessageId: z.number().int().positive().nullish(),
        crmConsent: consentSchema.nullish(),
      }),
      response: { 200: z.object({ contactId: z.number(), mergedContactId: z.number(), identitiesMoved: z.array(z.number()), conversationsMoved: z.array(z.number()), crmCustomerId: z.string().nullable() }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return s.contacts.merge(a.actor, req.params.id, req.body);
  });

  app.post('/api/contacts/:id/split', {
    schema: {
      tags: ['contacts'],
      summary: 'Undo a merge: the profile, with the conversations only it wrote in, moves to a new customer (audited). The CRM link stays, unless `removeCrmLink` is given and the link came with the merge being undone (`crmLinkFromMerge` of GET /api/contacts/:id/merges): then it is removed in the same step, as crm-unlink removes one (consent withdrawn, audited with the reason); for any other link 409 `contact.split_link_kept` and nothing is written',
      params: idParams,
      body: z.object({ identityId: z.number().int().positive(), reason: text().max(1000).nullish(), removeCrmLink: z.object({ reason: text().min(3).max(1000) }).nullish() }),
      response: { 200: z.object({ contactId: z.number(), newContactId: z.number(), identityId: z.number(), conversationsMoved: z.array(z.number()), crmLinkRemoved: z.boolean() }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    return s.contacts.split(a.actor, req.params.id, req.body);
  });

  app.get('/api/contacts/:id/merges', {
    schema: {
      tags: ['contacts'],
      summary: 'The customer\'s merges and splits (and those of the customers merged into it), newest first, whichever conversation they were recorded on; and the CRM link that came with a merge, with the profiles whose split may remove it',
      params: idParams,
      response: {
        200: z.object({
          items: z.array(z.object({ id: z.number(), actor: z.string(), actorUserId: z.number().nullable(), action: z.string(), subjectType: z.string(), subjectId: z.string(), conversationId: z.number().nullable(), data: z.record(z.string(), z.unknown()), createdAt: z.string().nullable() })),
          crmLinkFromMerge: z.object({ crmCustomerId: z.string(), identityIds: z.array(z.number()) }).nullable(),
        }),
      },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const h = await s.contacts.history(a.actor, req.params.id);
    return { items: h.entries.map(presentAudit), crmLinkFromMerge: h.crmLinkFromMerge };
  });

  app.post('/api/contacts/:id/erase', {
    schema: {
      tags: ['contacts'],
      summary: 'Erase a customer (GDPR Art. 17, admin): their messages redacted, identities and CRM links removed; counts in reports kept',
      params: idParams,
      body: z.object({ reason: text().min(3).max(1000) }),
      response: { 200: z.object({ contactId: z.number(), messagesRedacted: z.number(), identitiesErased: z.number(), notesToReview: z.object({ count: z.number(), conversationIds: z.array(z.number()), rewritten: z.number() }).describe('Conversations with internal notes: their handles, names, addresses and ids were replaced (`rewritten` notes changed), but a note may still describe them in other words: for the admin to read'),
        alsoErased: z.object({ notifications: z.number(), quarantined: z.number(), liveEvents: z.number(), auditEntries: z.number(), moderationEvidence: z.number(), webchatVisitors: z.number(), notes: z.number(), expertQuestions: z.number(), expertQuotes: z.number(), brandReplies: z.number(), repliesWithdrawn: z.number(), brandRepliesElsewhere: z.number(), notesElsewhere: z.number(), expertQuestionsElsewhere: z.number(), emailPayloads: z.number(), quotedMails: z.number(), draftsElsewhere: z.number() }).describe('Other records changed or deleted: notifications naming or quoting them, quarantined deliveries of theirs, relayed live events, audit entries (CRM id, consent note, moderation evidence, expert questions), moderation evidence, web chat visitor records; internal notes, expert questions and the brand\'s stored replies on their conversations that named or quoted them (Parley\'s copy: replies published on the network stay published); replies to them still waiting to go out, withdrawn; on other customers\' conversations, the brand\'s stored replies and internal notes naming their @handle or email address; other stored emails holding their address in a header, or its keyed hash past retention; expert questions on other conversations naming or quoting them; expert questions and answers on their conversations that quoted them (`expertQuotes`, the quote now `[erased]`); other emails quoting their mail (that quoted history replaced by one `[erased]` line); reply drafts on other conversations awaiting sign-off whose quotes of them became `[erased]` (`draftsElsewhere`)') }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return eraseContact(s, a.actor, { contactId: req.params.id, reason: req.body.reason });
  });

  // ---- subject access export (GDPR Art. 15): src/commands/export.ts
  app.get('/api/contacts/:id/export', {
    schema: { tags: ['contacts'], summary: 'Everything Parley holds about this customer, as one JSON file (admin; the export is audited). Streamed: any size', params: idParams },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    const out = await exportContact(s.store, a.actor, req.params.id, s.clock.now());
    reply.header('content-type', 'application/json; charset=utf-8').header('content-disposition', `attachment; filename="${out.filename}"`).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
    // a stream, sent as it is, never serialised
    return reply.send(Readable.from(out.chunks) as never);
  });
}
