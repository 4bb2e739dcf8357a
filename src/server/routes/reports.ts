/** Reports: JSON for the UI, CSV for spreadsheets. Same filters everywhere. */
import { z } from 'zod';
import { NETWORKS } from '../../core/types.js';
import { REPORTS, reportCsv, runReport } from '../../reports/reports.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';

export function reportRoutes(app: App) {
  const s = app.services;
  app.get('/api/reports/:name', {
    schema: {
      tags: ['reports'],
      summary: 'A report over reporting facts (see docs/metrics.md for every definition)',
      params: z.object({ name: z.enum(REPORTS) }),
      querystring: z.object({
        from: z.string().datetime({ offset: true }).optional(),
        to: z.string().datetime({ offset: true }).optional(),
        team: z.coerce.number().int().positive().optional(),
        agent: z.coerce.number().int().positive().optional(),
        channel: z.coerce.number().int().positive().optional(),
        network: z.enum(NETWORKS).optional(),
        visibility: z.enum(['public', 'private']).optional(),
        business: z.enum(['0', '1', 'true', 'false']).optional().describe('count durations in business hours'),
        format: z.enum(['json', 'csv']).default('json'),
      }),
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const q = req.query;
    const filter = {
      brandId: a.user.brand_id, from: q.from ? Date.parse(q.from) : undefined, to: q.to ? Date.parse(q.to) : undefined, teamId: q.team, agentId: q.agent,
      channelAccountId: q.channel, network: q.network, visibility: q.visibility, business: q.business === '1' || q.business === 'true',
    };
    const data = await runReport(s.store, req.params.name, filter, s.clock.now());
    if (q.format === 'csv') {
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="parley-${req.params.name}.csv"`);
      return reply.send(reportCsv(req.params.name, data));
    }
    return data;
  });
}
