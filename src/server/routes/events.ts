/**
 * Live events over Server-Sent Events, scoped to the user's brand (and to the
 * user for personal notifications). Reconnecting clients send Last-Event-ID
 * (the header, or `?lastEventId=` from a client that opens a new stream itself)
 * and get what they missed, or a `reset` event telling them to refetch.
 *
 * Liveness: a `ping` event every `sse.pingMs` (its data says the period), so a
 * client can tell a silent stream from a quiet desk and reconnect. Shutdown: when
 * the server closes, every stream is ended at once (Fastify's preClose, before it
 * waits for connections to finish), so the process exits and browsers reconnect
 * to whichever process serves next instead of staying attached to a dying one.
 *
 * At the desk: an open stream means its person has the desk open, so the process holding it
 * marks them seen (`app_user.last_seen_at`) when it opens and every `sse.seenMs` after, for all
 * its streams together; whoever the housekeeping had set offline for absence is online
 * again (src/commands/availability.ts). In the database, not in this process: with several
 * processes the housekeeping runs in one, and the streams are held by any.
 *
 * Fan-out: one subscription per brand, not per client. Events published in one
 * turn of the event loop (a committed ingest batch) are framed once, encoded
 * into one buffer, and that same buffer is written to every client of the brand:
 * with 50 agents online the cost of an event is one JSON.stringify, one encode
 * and 50 socket writes, not 50 of each.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import type { EventBus, LiveEvent } from '../../events/bus.js';
import { announceAvailability, markAtDesk } from '../../commands/availability.js';

const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * How often an idle stream says it is alive (`pingMs`; clients treat ~2 periods of silence as a
 * dead stream), and how often the people with a stream open are marked seen (`seenMs`: well
 * inside the absence grace, ABSENCE_GRACE_MS). Tests shorten them.
 */
export const sse = { pingMs: 15_000, seenMs: 60_000 };

interface Client {
  userId: number;
  res: ServerResponse;
  /** Events up to this id predate the client (or were replayed to it): never sent again. */
  after: number;
  /** End the stream now (server closing). */
  end(): void;
  /**
   * An expert's reach: they read only the conversations they are asked about (as the API lets
   * them), so only those conversations' events, their own notifications and brand-wide notices
   * reach them. Absent for everyone else.
   */
  scope?: Set<number>;
}

/** Brand-wide notices with no customer content, for experts too. */
const BRAND_WIDE = new Set(['incident', 'channel.health']);

/** The conversation an event is about, if any. */
function conversationOf(e: LiveEvent): number | undefined {
  const d = e.data as { conversationId?: unknown; id?: unknown } | null;
  const id = d?.conversationId ?? (e.type.startsWith('conversation.') ? d?.id : undefined);
  return typeof id === 'number' ? id : undefined;
}

/** Whether this client may see this event (personal ones only by their people; an expert only within their scope). */
function mayReceive(c: Client, e: LiveEvent): boolean {
  if (e.userIds && !e.userIds.includes(c.userId)) return false;
  if (!c.scope) return true;
  const conv = conversationOf(e);
  // asked a new question: the conversation is theirs to read from now on
  if (e.userIds && e.type === 'notification' && conv !== undefined && (e.data as { kind?: string }).kind === 'expert.asked') c.scope.add(conv);
  if (e.userIds) return true;
  if (BRAND_WIDE.has(e.type)) return true;
  return conv !== undefined && c.scope.has(conv);
}

const pingFrame = () => `event: ping\ndata: {"every":${sse.pingMs}}\n\n`;

/** An event's SSE frame. */
function frameOf(e: LiveEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

function send(c: Client, out: Buffer | string): void {
  if (c.res.destroyed || c.res.writableEnded) return;
  if (c.res.writableLength > MAX_BUFFERED_BYTES) {
    // a client this far behind cannot catch up: drop it now (ending would wait for it to read
    // what is buffered); it reconnects with Last-Event-ID
    c.res.destroy();
    return;
  }
  c.res.write(out);
}

class BrandFanout {
  readonly clients = new Set<Client>();
  private pending: LiveEvent[] = [];
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, brandId: number) {
    this.unsubscribe = bus.subscribe(brandId, (e) => {
      this.pending.push(e);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  close(): void {
    this.unsubscribe();
  }

  private flush(): void {
    this.scheduled = false;
    const events = this.pending;
    this.pending = [];
    if (!events.length || !this.clients.size) return;
    const first = events[0]!.id;
    const forEveryone = events.every((e) => !e.userIds);
    let frames: string[] | null = null;
    let shared: Buffer | null = null;
    for (const c of this.clients) {
      frames ??= events.map(frameOf);
      if (forEveryone && c.after < first && !c.scope) {
        send(c, (shared ??= Buffer.from(frames.join(''))));
        continue;
      }
      // a personal notification, or a client that joined mid-turn: its own selection
      let out = '';
      events.forEach((e, i) => {
        if (e.id > c.after && mayReceive(c, e)) out += frames![i];
      });
      if (out) send(c, out);
    }
  }
}

export function eventRoutes(app: App) {
  const s = app.services;
  const fanouts = new Map<number, BrandFanout>();
  let closing = false;
  // who is at the desk: everyone with a stream open here marked at once, while any is
  let seenTimer: ReturnType<typeof setInterval> | null = null;
  let marking = false;
  const atDesk = async (userIds: number[]) => {
    try {
      await announceAvailability(s.bus, app.hooks.afterAvailability, await markAtDesk(s.store, userIds, s.clock.now()));
    } catch (err) {
      app.log.warn({ err }, 'marking who is at the desk failed');
    }
  };
  const markStreams = async () => {
    if (marking) return;
    marking = true;
    const ids = new Set<number>();
    for (const f of fanouts.values()) for (const c of f.clients) ids.add(c.userId);
    await atDesk([...ids]).finally(() => (marking = false));
  };
  const stopMarking = () => {
    if (seenTimer) clearInterval(seenTimer);
    seenTimer = null;
  };
  // before Fastify stops listening and waits for open connections: streams never finish by themselves
  app.addHook('preClose', async () => {
    closing = true;
    stopMarking();
    for (const f of [...fanouts.values()]) for (const c of [...f.clients]) c.end();
  });
  app.get('/api/events', {
    schema: {
      tags: ['events'], summary: 'Live events (text/event-stream): message.created, conversation.updated, presence, notification, ping, ...; Last-Event-ID (header, or lastEventId) replays what was missed',
      querystring: z.object({ lastEventId: z.string().regex(/^\d{1,20}$/).optional() }),
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    if (closing) throw new AppError(503, 'server.closing', 'the server is shutting down; reconnect in a moment');
    const brandId = a.user.brand_id;
    // read before the stream opens, so nothing published once it is open is missed
    const scope = a.user.role === 'expert' ? new Set(await s.workflowCommands.expertConversationIds(a.user.id)) : undefined;
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write(`retry: 3000\n: connected\n\n`);
    let ping: ReturnType<typeof setInterval> | undefined;
    const client: Client = {
      userId: a.user.id, res, after: s.bus.lastId(),
      end() {
        clearInterval(ping);
        if (!res.writableEnded) res.end();
        // not kept alive for another request: the server is closing
        res.socket?.end();
      },
    };
    // a write that fails (the client went away) ends this stream, never the process
    res.on('error', () => client.end());
    if (scope) client.scope = scope;
    const lastId = Number(req.headers['last-event-id'] ?? req.query.lastEventId);
    if (Number.isFinite(lastId) && lastId > 0) {
      const missed = s.bus.since(brandId, lastId);
      if (missed === null) res.write(`event: reset\ndata: {}\n\n`);
      else {
        const out = missed.filter((e) => mayReceive(client, e)).map(frameOf).join('');
        if (out) res.write(out);
      }
    }
    let fanout = fanouts.get(brandId);
    if (!fanout) fanouts.set(brandId, (fanout = new BrandFanout(s.bus, brandId)));
    fanout.clients.add(client);
    s.metrics.sseClients.inc();
    ping = setInterval(() => send(client, pingFrame()), sse.pingMs);
    if (!seenTimer && !closing) {
      seenTimer = setInterval(() => void markStreams(), sse.seenMs);
      seenTimer.unref();
    }
    res.on('close', () => {
      clearInterval(ping);
      s.metrics.sseClients.dec();
      fanout.clients.delete(client);
      if (!fanout.clients.size && fanouts.get(brandId) === fanout) {
        fanout.close();
        fanouts.delete(brandId);
        if (!fanouts.size) stopMarking();
      }
    });
    // seen now; back at the desk if they were away from it (after the stream is in the fan-out,
    // so their own desk hears that too)
    await atDesk([a.user.id]);
  });
}
