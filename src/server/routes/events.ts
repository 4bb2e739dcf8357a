/**
 * Live events over Server-Sent Events, scoped to the user's brand (and to the
 * user for personal notifications). Reconnecting clients send Last-Event-ID
 * and get what they missed, or a `reset` event telling them to refetch.
 */
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import type { LiveEvent } from '../../events/bus.js';

const MAX_BUFFERED_BYTES = 1024 * 1024;

export function eventRoutes(app: App) {
  const s = app.services;
  app.get('/api/events', { schema: { tags: ['events'], summary: 'Live events (text/event-stream): message.created, conversation.updated, presence, notification, ...' } }, async (req, reply) => {
    const a = requireRole(req);
    const brandId = a.user.brand_id;
    const userId = a.user.id;
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...securityHeaders(),
    });
    res.write(`retry: 3000\n: connected\n\n`);
    // frames published together (a committed batch) go out in one write per client
    let queued: string[] = [];
    let closed = false;
    const flush = () => {
      const out = queued.join('');
      queued = [];
      if (closed || !out) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        // a client this far behind cannot catch up: close; it reconnects with Last-Event-ID
        res.end();
        return;
      }
      res.write(out);
    };
    const send = (e: LiveEvent) => {
      if (e.userIds && !e.userIds.includes(userId)) return;
      if (queued.push(frameOf(e)) === 1) setImmediate(flush);
    };
    const lastId = Number(req.headers['last-event-id']);
    if (Number.isFinite(lastId) && lastId > 0) {
      const missed = s.bus.since(brandId, lastId);
      if (missed === null) res.write(`event: reset\ndata: {}\n\n`);
      else for (const e of missed) send(e);
    }
    const unsubscribe = s.bus.subscribe(brandId, send);
    s.metrics.sseClients.inc();
    const ping = setInterval(() => res.write(`: ping\n\n`), 15_000);
    const close = () => {
      closed = true;
      clearInterval(ping);
      unsubscribe();
      s.metrics.sseClients.dec();
    };
    res.on('close', close);
  });
}

function securityHeaders() {
  return { 'x-content-type-options': 'nosniff' };
}

/** An event's SSE frame, serialised once however many clients receive it. */
const frames = new WeakMap<LiveEvent, string>();
function frameOf(e: LiveEvent): string {
  let f = frames.get(e);
  if (f === undefined) frames.set(e, (f = `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`));
  return f;
}
