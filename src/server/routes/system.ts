/** Health, OpenAPI and Prometheus endpoints. */
import { sql } from 'kysely';
import { z } from 'zod';
import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { App } from '../http.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * /metrics tells anyone who reads it the routes, volumes and queue depths: with a token set it
 * needs that token, else only clients on loopback (the socket's address, never a forwarded one).
 */
export function metricsAllowed(authorization: string | undefined, remote: string | undefined, token: string | undefined): boolean {
  if (!token) return !!remote && LOOPBACK.test(remote);
  const given = Buffer.from(authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

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

  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (!metricsAllowed(req.headers.authorization, req.socket.remoteAddress, s.config.metricsToken)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new AppError(401, 'auth.required', s.config.metricsToken ? '/metrics needs Authorization: Bearer <PARLEY_METRICS_TOKEN>' : '/metrics answers only on loopback; set PARLEY_METRICS_TOKEN to scrape it from elsewhere');
    }
    s.metrics.ingestQueueDepth.set(s.queue.depth());
    reply.header('content-type', s.metrics.registry.contentType);
    return s.metrics.registry.metrics();
  });
}
