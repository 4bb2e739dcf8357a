/** Health, OpenAPI and Prometheus endpoints. */
import { sql } from 'kysely';
import { z } from 'zod';
import type { App } from '../http.js';

export function systemRoutes(app: App) {
  const s = app.services;
  app.get('/api/health', {
    schema: {
      tags: ['system'],
      summary: 'Liveness and readiness',
      response: { 200: z.object({ status: z.literal('ok'), database: z.string(), version: z.string(), uptimeS: z.number(), ingestQueue: z.number() }), 503: z.object({ status: z.literal('unavailable'), error: z.string() }) },
    },
  }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(s.store.db);
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable' as const, error: `database: ${(err as Error).message}` });
    }
    return { status: 'ok' as const, database: s.store.dialect, version: s.version, uptimeS: Math.round((Date.now() - s.startedAt) / 1000), ingestQueue: s.queue.depth() };
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    s.metrics.ingestQueueDepth.set(s.queue.depth());
    reply.header('content-type', s.metrics.registry.contentType);
    return s.metrics.registry.metrics();
  });
}
