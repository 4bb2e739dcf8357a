/**
 * The audit trail, readable: the brand's whole log for admins and team leads
 * (approvers), filtered, paged newest first and exported as CSV; and the consent
 * evidence behind a contact's CRM link for the people working the contact. Read-only:
 * there is no route that changes or deletes an audit entry.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError, notFound } from '../../errors.js';
import { actorNames, AUDIT_CSV_COLUMNS, AUDIT_PAGE_MAX, auditBatches, auditCsvLines, currentCrmConsent, listAudit, type AuditFilter } from '../../store/auditQueries.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import { presentAudit } from '../presenters.js';
import { UTF8_BOM } from './reports.js';
import { auditSchema, idParams } from '../schemas.js';

const auditQuery = z.object({
  action: z.string().min(1).max(100).regex(/^[\w.:-]+\*?$/, 'letters, digits, `_ . : -`, optionally ending in `*`')
    .optional().describe('an action (`contact.crm_linked`), or a prefix: ending in `.` (`contact.`) or `*` (`contact.crm_*`)'),
  subjectType: z.string().min(1).max(64).optional().describe('`contact`, `user`, `conversation`, `message`, `channel_account`…'),
  subjectId: z.string().min(1).max(200).optional().describe('with subjectType: one record'),
  actorUserId: z.coerce.number().int().positive().optional().describe('entries by this person, signed in (an API token acts as `token:<id>`)'),
  conversationId: z.coerce.number().int().positive().optional(),
  from: z.string().datetime({ offset: true }).optional().describe('inclusive'),
  to: z.string().datetime({ offset: true }).optional().describe('exclusive; after `from`'),
  cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
  format: z.enum(['json', 'csv']).default('json').describe('csv: every matching entry from `cursor` on (limit does not apply), formula-looking cells neutralised'),
});

const consentSchema = z.object({
  contactId: z.number().int(),
  crmCustomerId: z.string().nullable(),
  consent: z.object({
    crmCustomerId: z.string(),
    method: z.string(),
    note: z.string().nullable(),
    grantedAt: z.string(),
    recordedBy: z.object({ id: z.number().int(), name: z.string().nullable() }),
    evidenceMessage: z.object({ id: z.number().int(), conversationId: z.number().int(), text: z.string(), createdAt: z.string() }).nullable(),
  }).nullable(),
});

export function auditRoutes(app: App) {
  const s = app.services;

  app.get('/api/audit', {
    schema: {
      tags: ['audit'],
      summary: 'The brand\'s audit log, newest first (admins; approvers read it too). `format=csv` exports it (text/csv)',
      querystring: auditQuery,
      response: { 200: z.object({ items: z.array(auditSchema.extend({ actorName: z.string() })), nextCursor: z.string().nullable() }) },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin', 'approver');
    const q = req.query;
    const from = q.from ? Date.parse(q.from) : undefined;
    const to = q.to ? Date.parse(q.to) : undefined;
    if (from != null && to != null && !(from < to)) throw new AppError(400, 'validation', '`from` must be before `to`');
    if (q.subjectId != null && q.subjectType == null) throw new AppError(400, 'validation', '`subjectId` needs `subjectType`');
    const filter: AuditFilter = { brandId: a.user.brand_id, action: q.action, subjectType: q.subjectType, subjectId: q.subjectId, actorUserId: q.actorUserId, conversationId: q.conversationId, from, to };
    if (q.format === 'csv') {
      const batches = auditBatches(s.store, filter, q.cursor);
      // the first batch is read before answering, so a bad cursor is still a 400
      const first = await batches.next();
      const brandId = a.user.brand_id;
      async function* lines() {
        // the byte-order mark, once: Excel then reads the file as UTF-8 (see reports.ts)
        yield `${UTF8_BOM}${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
        if (first.done) return;
        yield auditCsvLines(first.value, await actorNames(s.store, brandId, first.value));
        for await (const rows of batches) yield auditCsvLines(rows, await actorNames(s.store, brandId, rows));
      }
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="parley-audit.csv"').header('cache-control', 'no-store');
      // a stream, not the JSON page the schema describes: sent as it is, never serialised
      return reply.send(Readable.from(lines()) as never);
    }
    const page = await listAudit(s.store, filter, { cursor: q.cursor, limit: q.limit });
    const names = await actorNames(s.store, a.user.brand_id, page.rows);
    return { items: page.rows.map((r) => ({ ...presentAudit(r), actorName: names.get(r.actor) ?? r.actor })), nextCursor: page.nextCursor };
  });

  app.get('/api/contacts/:id/crm-consent', {
    schema: {
      tags: ['contacts'],
      summary: 'The consent behind a contact\'s CRM link: how it was given, the evidence (the customer\'s message) or note, who recorded it and when',
      params: idParams,
      response: { 200: consentSchema },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const c = await currentCrmConsent(s.store, a.user.brand_id, req.params.id);
    if (!c) throw notFound('contact');
    return c;
  });
}
