/**
 * The ingest API: integrations (and the benchmark) hand in normalized messages.
 * The response comes after the messages are durably stored; a full queue
 * answers 503 + Retry-After so the sender retries instead of losing anything.
 */
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { QueueFullError } from '../../pipeline/queue.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import { ingestBody, outcomeSchema } from '../schemas.js';

export function ingestRoutes(app: App) {
  const s = app.services;
  app.post('/api/ingest/messages', {
    bodyLimit: 64 * 1024 * 1024,
    schema: {
      tags: ['ingest'],
      summary: 'Hand in normalized messages for a channel account (admin or integration token). Stored exactly once; invalid items are quarantined with the reason.',
      body: ingestBody,
      response: { 200: z.object({ outcomes: z.array(outcomeSchema) }) },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    const acct = await s.store.db.selectFrom('channel_account').select(['id', 'brand_id']).where('id', '=', req.body.channelAccountId).executeTakeFirst();
    if (!acct || acct.brand_id !== a.user.brand_id) throw new AppError(404, 'not_found', 'channel account not found');
    try {
      const outcomes = await s.queue.submit(a.user.brand_id, req.body.messages.map((message) => ({ channelAccountId: acct.id, message, source: 'api' as const, origin: `api:${a.actor.name}` })));
      return { outcomes };
    } catch (err) {
      if (err instanceof QueueFullError) {
        s.metrics.ingestRejected.inc();
        reply.header('retry-after', String(err.retryAfterS));
        throw new AppError(503, 'ingest.busy', `${err.message}; retry after ${err.retryAfterS} s`);
      }
      throw err;
    }
  });
}
