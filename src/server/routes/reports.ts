/** Reports: JSON for the UI, CSV for spreadsheets. Same filters everywhere. */
import { z } from 'zod';
import { DEFAULT_AHT_S, DEFAULT_MIN_SAMPLES } from '../../core/staffing/handlingTime.js';
import { NETWORKS } from '../../core/types.js';
import { REPORTS, reportCsv, runReport } from '../../reports/reports.js';
import { saveRoster, staffingPlan, staffingSimulation } from '../../reports/staffing.js';
import { AppError } from '../../errors.js';
import { audit } from '../../store/audit.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';

/**
 * Leads every CSV body: without it Excel reads the file in the machine's legacy code page,
 * and "≤ 5 min" or a customer's name arrives as mojibake. Fetch's `text()` and most CSV
 * readers drop it.
 */
export const UTF8_BOM = '\uFEFF';

/**
 * Longest mean patience a plan accepts (one day). Erlang A in an overloaded hour walks about
 * λ·patience queue states: a patience of years made a plan with a thin roster hour spin for
 * seconds and fail (500); a customer waiting on average more than a day is no abandonment.
 */
const MAX_PATIENCE_S = 86_400;
/** Longest staffing period: five years (the plan and the simulator walk it hour by hour). */
const MAX_STAFFING_PERIOD_MS = 5 * 366 * 24 * 3600_000;

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
    if (q.from && q.to && !(Date.parse(q.from) < Date.parse(q.to))) throw new AppError(400, 'validation', '`from` must be before `to`');
    const filter = {
      brandId: a.user.brand_id, from: q.from ? Date.parse(q.from) : undefined, to: q.to ? Date.parse(q.to) : undefined, teamId: q.team, agentId: q.agent,
      channelAccountId: q.channel, network: q.network, visibility: q.visibility, business: q.business === '1' || q.business === 'true',
    };
    const data = await runReport(s.store, req.params.name, filter, s.clock.now());
    if (q.format === 'csv') {
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="parley-${req.params.name}.csv"`);
      return reply.send(UTF8_BOM + reportCsv(req.params.name, data));
    }
    return data;
  });

  /** The planner's inputs: coerced from a querystring's text, but a JSON body's numbers must be numbers (`true` is no handling time). */
  const staffingFields = (number: () => z.ZodNumber) => ({
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
    channel: number().int().positive().optional(),
    ahtS: number().positive().max(86_400).optional().describe('handling time set by hand, seconds (default 300); given alone it overrides the measurement'),
    ahtSource: z.enum(['auto', 'manual']).optional().describe('auto: the measured handling time when at least ahtMinSamples replies were measured, else ahtS; manual: ahtS. Default: manual when ahtS is given, else auto'),
    ahtMinSamples: number().int().min(1).max(1_000_000).default(DEFAULT_MIN_SAMPLES).describe('measured replies needed before the measurement is used'),
    serviceLevel: number().min(0.01).max(0.999).default(0.8),
    answerWithinS: number().positive().max(86_400).default(1800),
    shrinkage: number().min(0).max(0.95).default(0.3),
    maxOccupancy: number().min(0.1).max(1).default(0.85),
    concurrency: number().int().min(1).max(20).default(3),
    patienceS: number().positive().max(MAX_PATIENCE_S).optional().describe('mean customer patience, seconds (at most a day): plan with Erlang A'),
  });
  const staffingQuery = z.object(staffingFields(() => z.coerce.number() as unknown as z.ZodNumber));
  const staffingBody = z.object(staffingFields(() => z.number()));
  /** The handling-time inputs: an explicit ahtS alone is an override; nothing asks for the measurement. */
  const aht = (q: { ahtS?: number; ahtSource?: 'auto' | 'manual'; ahtMinSamples: number }) => ({
    ahtS: q.ahtS ?? DEFAULT_AHT_S, ahtMode: q.ahtSource ?? (q.ahtS != null ? 'manual' as const : 'auto' as const), ahtMinSamples: q.ahtMinSamples,
  });
  const period = (q: { from?: string; to?: string }) => {
    const to = q.to ? Date.parse(q.to) : s.clock.now();
    const from = q.from ? Date.parse(q.from) : to - 28 * 24 * 3600_000;
    if (!(from < to)) throw new AppError(400, 'validation', '`from` must be before `to`');
    if (to - from > MAX_STAFFING_PERIOD_MS) throw new AppError(400, 'validation', 'a staffing period spans at most 5 years (the plan walks it hour by hour)');
    return { from, to };
  };

  app.get('/api/staffing/plan', {
    schema: { tags: ['reports'], summary: 'Agents needed per hour of week from measured arrivals and handling time (Erlang C; Erlang A with patienceS), against the roster; `aht` says which handling time was used and why', querystring: staffingQuery },
  }, async (req) => {
    const a = requireRole(req, 'approver', 'admin', 'agent');
    const q = req.query;
    return staffingPlan(s.store, { brandId: a.user.brand_id, ...period(q), channelAccountId: q.channel, ...aht(q), serviceLevel: q.serviceLevel, answerWithinS: q.answerWithinS, shrinkage: q.shrinkage, maxOccupancy: q.maxOccupancy, concurrency: q.concurrency, patienceS: q.patienceS });
  });

  app.put('/api/staffing/roster', {
    schema: { tags: ['reports'], summary: 'Heads on shift per hour of week (Monday 00:00 first), 168 numbers; null clears', body: z.object({ roster: z.array(z.number().int().min(0).max(10_000)).length(168).nullable() }) },
  }, async (req) => {
    const a = requireRole(req, 'approver', 'admin');
    await saveRoster(s.store, a.user.brand_id, req.body.roster);
    await audit(s.store.db, { brandId: a.user.brand_id, actor: a.actor.name, action: 'staffing.roster', subjectType: 'brand', subjectId: a.user.brand_id }, s.clock.now());
    return { roster: req.body.roster };
  });

  app.post('/api/staffing/simulate', {
    schema: {
      tags: ['reports'], summary: 'Replay the period\'s real arrivals against the roster (optionally adjusted) with the simulator',
      body: staffingBody.extend({ roster: z.array(z.number().int().min(0).max(10_000)).length(168).nullish(), adjust: z.array(z.object({ hours: z.array(z.number().int().min(0).max(167)), delta: z.number().int().min(-1000).max(1000) })).optional(), seed: z.number().int().optional() }),
    },
  }, async (req) => {
    const a = requireRole(req, 'approver', 'admin', 'agent');
    const b = req.body;
    try {
      return await staffingSimulation(s.store, { brandId: a.user.brand_id, ...period(b), channelAccountId: b.channel, ...aht(b), serviceLevel: b.serviceLevel, answerWithinS: b.answerWithinS, shrinkage: b.shrinkage, maxOccupancy: b.maxOccupancy, concurrency: b.concurrency, patienceS: b.patienceS, roster: b.roster, adjust: b.adjust, seed: b.seed });
    } catch (err) {
      if ((err as { code?: string }).code === 'staffing.no_roster') throw new AppError(400, 'staffing.no_roster', (err as Error).message);
      throw err;
    }
  });
}
