/**
 * Two small read-only routes the workflow and admin UI need and the API did not
 * offer: people's flags (e.g. `in_training`, kept in app_user.settings and needed to
 * edit them without dropping others, since PATCH /api/users/:id replaces the list),
 * and a conversation's SLA clocks (the memo the SLA scheduler keeps in
 * conversation.sla: first response, next response, resolution).
 */
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import { iso as isoOf } from '../presenters.js';
import { idParams } from '../schemas.js';

/** A memo's time as ISO 8601; null for none or one no date can hold (a memo written under a hand-edited policy). */
const iso = (t: unknown): string | null => (typeof t === 'number' ? isoOf(t) : null);

function parse(s: string | null | undefined): Record<string, any> {
  try {
    return s ? (JSON.parse(s) as Record<string, any>) : {};
  } catch {
    return {};
  }
}

export function slaAndFlagsRoutes(app: App) {
  const s = app.services;

  app.get('/api/users/flags', {
    schema: { tags: ['admin'], summary: 'Flags of every person of the brand (e.g. in_training), for editing them', response: { 200: z.object({ items: z.array(z.object({ id: z.number(), flags: z.array(z.string()) })) }) } },
  }, async (req) => {
    const a = requireRole(req, 'approver', 'admin');
    const rows = await s.store.db.selectFrom('app_user').select(['id', 'settings']).where('brand_id', '=', a.user.brand_id).execute();
    return { items: rows.map((r) => ({ id: r.id, flags: (Array.isArray(parse(r.settings).flags) ? parse(r.settings).flags : []).filter((f: unknown): f is string => typeof f === 'string') })) };
  });

  app.get('/api/conversations/:id/sla', {
    schema: {
      tags: ['conversations'], summary: 'The conversation\'s current SLA clocks (first response, next response, resolution)', params: idParams,
      response: {
        200: z.object({
          items: z.array(z.object({ metric: z.string(), cycle: z.number(), state: z.string(), dueAt: z.string().nullable(), warningAt: z.string().nullable(), targetMs: z.number(), businessHours: z.boolean(), startedAt: z.string().nullable(), stoppedAt: z.string().nullable() })),
        }),
      },
    },
  }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin', 'expert');
    if (a.user.role === 'expert') await app.hooks.assertExpertMayRead?.(a, req.params.id);
    const c = await s.store.db.selectFrom('conversation').select(['sla']).where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
    if (!c) throw notFound('conversation');
    const clocks = Array.isArray(parse(c.sla).clocks) ? (parse(c.sla).clocks as Record<string, unknown>[]) : [];
    return {
      items: clocks.map((k) => ({
        metric: String(k.metric), cycle: Number(k.cycle ?? 1), state: String(k.state), dueAt: iso(k.dueAt), warningAt: iso(k.warningAt), targetMs: Number(k.targetMs ?? 0),
        businessHours: k.businessHours === true, startedAt: iso(k.startedAt), stoppedAt: iso(k.stoppedAt),
      })),
    };
  });
}
