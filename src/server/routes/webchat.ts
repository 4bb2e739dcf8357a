/**
 * Web chat: the embeddable widget and the public, visitor-scoped routes it talks to.
 *
 *   GET  /webchat/widget.js               the widget (a few KB gzipped; <script data-account="<id>">)
 *   GET  /webchat/:accountId/config        title, open now?, business hours, expected reply time
 *   POST /webchat/:accountId/sessions      a new visitor and the token the server issues them
 *   POST /webchat/:accountId/messages      a visitor's message → the ingest queue (Bearer token)
 *   GET  /webchat/:accountId/messages      the visitor's own transcript; `?since=<etag>&wait=25`
 *                                          holds the request until it changes (long-poll)
 *
 * No session cookies: a visitor is whoever holds a token this server issued for this account
 * (../../channels/webchat/visitors.ts); any other token is a 401 and creates nothing. These
 * routes live outside /api/ so the agents' authentication never applies to them, and are
 * guarded here instead: the account must be an enabled web chat account; a browser's
 * Origin must be in the account's `settings.allowedOrigins` (CORS headers only for those);
 * every route is rate-limited per address and per visitor; bodies are size-limited; a
 * message that fails the rules after authentication is answered with the reason and
 * quarantined (nothing a visitor sends is silently dropped). Visitors' text is stored
 * verbatim and the widget renders every text with textContent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ChannelError } from '../../channels/types.js';
import { MAX_VISITOR_TEXT, visitorPrefix, webchatFactory, WebchatChannel } from '../../channels/webchat/index.js';
import { visitorTranscript } from '../../channels/webchat/transcript.js';
import { startVisitor, visitorOfToken } from '../../channels/webchat/visitors.js';
import { availabilityLine, describeNextOpening } from '../../core/autoAck.js';
import { calendarTimeZone, isOpen, nextOpening } from '../../core/businessHours.js';
import { zoneAbbreviation } from '../../core/wf_time.js';
import { AppError } from '../../errors.js';
import { repoRoot } from '../../lib/paths.js';
import { QueueFullError } from '../../pipeline/queue.js';
import { serializeRaw } from '../../pipeline/validate.js';
import type { ChannelAccount } from '../../store/schema.js';
import { decodeText } from '../../store/text.js';
import { LoginLimiter } from '../auth.js';
import type { App } from '../http.js';

const WIDGET_PATH = join(repoRoot, 'src', 'channels', 'webchat', 'widget.js');
const LONG_POLL_MAX_S = 25;
const MAX_WAITS_PER_VISITOR = 3;
const MAX_WAITS = 5000;

/** The widget as served: comment lines and indentation stripped (the source stays readable), and gzipped. */
function loadWidget() {
  const source = readFileSync(WIDGET_PATH, 'utf8');
  const body = source
    .replace(/^\/\*[\s\S]*?\*\/\n/, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('//'))
    .join('\n');
  const text = `/* Parley web chat widget */\n${body}\n`;
  return { text, gzip: gzipSync(text), etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 16)}"` };
}

interface Guarded {
  account: ChannelAccount;
  settings: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    webchat?: Guarded;
  }
}

const accountParams = z.object({ accountId: z.coerce.number().int().positive() });

function allowedOrigins(settings: Record<string, unknown>): string[] {
  const list = Array.isArray(settings.allowedOrigins) ? settings.allowedOrigins : [];
  const out: string[] = [];
  for (const o of list) {
    if (typeof o !== 'string') continue;
    try {
      out.push(new URL(o).origin);
    } catch {
      /* not an origin: never matches */
    }
  }
  return out;
}

function parseJson(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

export function webchatRoutes(app: App) {
  const s = app.services;
  // Web chat delivers from this Parley's database: bind the store, so findSent can look there.
  s.registry.register('webchat', webchatFactory(s.store));

  let widget: ReturnType<typeof loadWidget> | null = null;
  const limits = {
    sessions: new LoginLimiter(30, 3600_000), // per address: new visitors
    unknownTokens: new LoginLimiter(20, 60_000), // per address: tokens this server did not issue (never an issued one)
    messagesByVisitor: new LoginLimiter(20, 60_000),
    messagesByAddress: new LoginLimiter(60, 60_000),
    polls: new LoginLimiter(90, 60_000), // per visitor: a healthy widget polls every 25 s
    config: new LoginLimiter(120, 60_000), // per address
  };
  const waiting = new Map<string, number>();
  let waitingTotal = 0;
  const wakers = new Set<() => void>();
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    for (const w of [...wakers]) w();
  });

  function limit(l: LoginLimiter, key: string, reply: FastifyReply) {
    const now = s.clock.now();
    const wait = l.check(key, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'webchat.rate_limited', `too many requests; try again in ${wait} s`, { retryAfterS: wait });
    }
    l.record(key, now);
  }

  /** Account, origin and CORS for every /webchat/:accountId route (runs before the body is parsed, so errors carry CORS headers). */
  async function guard(req: FastifyRequest, reply: FastifyReply) {
    const id = Number((req.params as { accountId?: string }).accountId);
    if (!Number.isSafeInteger(id) || id <= 0) throw new AppError(404, 'webchat.not_found', 'no such web chat');
    const account = await s.store.db.selectFrom('channel_account').selectAll().where('id', '=', id).executeTakeFirst();
    if (!account || account.network !== 'webchat' || account.status === 'disabled') throw new AppError(404, 'webchat.not_found', 'no such web chat');
    const settings = parseJson(account.settings);
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowedOrigins(settings).includes(origin)) {
        throw new AppError(403, 'webchat.origin_not_allowed', `${origin.slice(0, 200)} may not use this chat: add it to the account's allowedOrigins`);
      }
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-expose-headers', 'retry-after');
    }
    reply.header('vary', 'origin');
    reply.header('cache-control', 'no-store');
    req.webchat = { account, settings };
  }

  /**
   * The visitor whose issued token the request carries; 401 for none, and for one this server did
   * not issue for this account. An issued token always names its visitor: tokens this server did
   * not issue are limited per address (429 once over the limit), and those refusals never fall on
   * an issued token, so a neighbour behind the same address (an office NAT, a carrier's CGNAT)
   * sending made-up tokens cannot lock out the visitors there.
   */
  async function visitorOf(req: FastifyRequest, reply: FastifyReply, account: ChannelAccount): Promise<string> {
    const h = req.headers.authorization;
    const token = typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7).trim() : '';
    if (!token) throw new AppError(401, 'webchat.token_required', 'start a chat session first (POST /webchat/:accountId/sessions) and send its token as Authorization: Bearer <token>');
    const visitorId = await visitorOfToken(s.store, account, token);
    if (visitorId) return visitorId;
    // Guessing an issued token is hopeless (256 bits); a client that keeps presenting tokens this
    // server did not issue is told to stop: after the limit, its misses are 429 with Retry-After.
    const now = s.clock.now();
    const key = `u:${req.ip}`;
    const wait = limits.unknownTokens.check(key, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'webchat.rate_limited', `too many requests with unknown visitor tokens; try again in ${wait} s`, { retryAfterS: wait });
    }
    limits.unknownTokens.record(key, now);
    throw new AppError(401, 'webchat.token_unknown', 'this visitor token was not issued by this chat: start a new session (POST /webchat/:accountId/sessions) and send the token it returns');
  }

  function channelFor(account: ChannelAccount): WebchatChannel {
    const ch = s.registry.forAccount(account);
    if (!(ch instanceof WebchatChannel)) throw new AppError(503, 'webchat.unavailable', 'the web chat connector is not installed');
    return ch;
  }

  const hooks = { onRequest: guard };
  const tags = ['webchat'];

  app.get('/webchat/widget.js', { schema: { tags, summary: 'The embeddable chat widget (public)', hide: true } }, async (req, reply) => {
    widget ??= loadWidget();
    reply.header('content-type', 'application/javascript; charset=utf-8');
    reply.header('cache-control', 'public, max-age=300');
    reply.header('etag', widget.etag);
    reply.header('vary', 'accept-encoding');
    // loaded by other sites' pages
    reply.header('cross-origin-resource-policy', 'cross-origin');
    if (req.headers['if-none-match'] === widget.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      reply.header('content-encoding', 'gzip');
      return reply.send(widget.gzip);
    }
    return reply.send(widget.text);
  });

  app.options('/webchat/:accountId/*', { ...hooks, schema: { hide: true } }, async (_req, reply) => {
    reply.header('access-control-allow-methods', 'GET, POST');
    reply.header('access-control-allow-headers', 'authorization, content-type');
    reply.header('access-control-max-age', '600');
    return reply.code(204).send();
  });

  app.get('/webchat/:accountId/config', { ...hooks, schema: { tags, summary: 'The chat\'s title, whether the team is in now, business hours and expected reply time (public)', params: accountParams, hide: true } }, async (req, reply) => {
    limit(limits.config, `c:${req.ip}`, reply);
    const { account, settings } = req.webchat!;
    const brand = await s.store.db.selectFrom('brand').select(['name']).where('id', '=', account.brand_id).executeTakeFirst();
    const cal = s.workflowSettings.calendarOf(account);
    const now = s.clock.now();
    const open = isOpen(cal, now);
    const minutes = typeof settings.responseTimeMinutes === 'number' && settings.responseTimeMinutes > 0 ? settings.responseTimeMinutes : 30;
    const within = minutes < 60 ? `${Math.round(minutes)} min` : `${Math.round((minutes / 60) * 10) / 10} h`;
    let status: string;
    let replyTime: string;
    const next = open ? null : nextOpening(cal, now);
    if (open) {
      status = 'We\'re online now';
      replyTime = `We usually reply within ${within}.`;
    } else if (next != null && cal) {
      status = `We're offline now \u2014 back ${describeNextOpening(cal, now, next)} ${zoneAbbreviation(calendarTimeZone(cal), next)}`;
      replyTime = 'Leave a message and we\'ll reply when we\'re back.';
    } else {
      status = 'We\'re offline now';
      replyTime = 'Leave a message and we\'ll reply as soon as we can.';
    }
    const str = (k: string, n: number) => (typeof settings[k] === 'string' && settings[k] ? (settings[k] as string).slice(0, n) : null);
    return {
      title: str('title', 80) ?? account.display_name ?? brand?.name ?? 'Chat',
      open,
      status,
      availability: availabilityLine(cal, { at: now, responseTimeMinutes: minutes }),
      replyTime,
      nextOpening: next == null ? null : new Date(next).toISOString(),
      greeting: str('greeting', 500),
      color: typeof settings.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(settings.color) ? settings.color : null,
      maxLength: MAX_VISITOR_TEXT,
    };
  });

  app.post('/webchat/:accountId/sessions', { ...hooks, bodyLimit: 1024, schema: { tags, summary: 'Start a visitor session: a new visitor and a token only this browser keeps (public)', params: accountParams, hide: true } }, async (req, reply) => {
    limit(limits.sessions, `s:${req.ip}`, reply);
    const { token, visitorId } = await startVisitor(s.store, req.webchat!.account, s.clock.now());
    return reply.code(201).send({ token, visitorId });
  });

  const messageBody = z.object({ text: z.unknown(), clientMessageId: z.unknown(), pageUrl: z.unknown().optional() }).passthrough();

  app.post('/webchat/:accountId/messages', { ...hooks, bodyLimit: 64 * 1024, schema: { tags, summary: 'A visitor\'s message; stored before the answer (public, Bearer visitor token)', params: accountParams, hide: true } }, async (req, reply) => {
    const { account } = req.webchat!;
    const visitorId = await visitorOf(req, reply, account);
    // counted only for issued tokens, so someone else's refused requests do not use up an address's messages
    limit(limits.messagesByAddress, `m:${req.ip}`, reply);
    limit(limits.messagesByVisitor, `v:${visitorId}`, reply);
    const parsed = messageBody.safeParse(req.body);
    if (!parsed.success) throw new AppError(400, 'webchat.invalid', 'send JSON: {"text": "...", "clientMessageId": "..."}');
    const body = parsed.data;
    let message;
    try {
      message = channelFor(account).visitorMessage({ visitorId, text: body.text, clientMessageId: body.clientMessageId, pageUrl: body.pageUrl, origin: req.headers.origin ?? null, userAgent: req.headers['user-agent'] ?? null });
    } catch (err) {
      if (!(err instanceof ChannelError)) throw err;
      const tooLong = typeof body.text === 'string' && body.text.length > MAX_VISITOR_TEXT;
      // Something to keep (not just an empty or malformed request): quarantine it with the reason.
      if (tooLong || (typeof body.text === 'string' && body.text.trim())) {
        const raw = serializeRaw({ visitorId, body, origin: req.headers.origin ?? null });
        await s.store.db.insertInto('quarantine').values({ brand_id: account.brand_id, source: `webchat:${account.id}`, reason: err.message, line: null, raw: raw.slice(0, 256 * 1024), created_at: s.clock.now() }).execute();
      }
      throw new AppError(tooLong ? 413 : 400, tooLong ? 'webchat.too_long' : 'webchat.invalid', err.message);
    }
    let outcome;
    try {
      [outcome] = await s.queue.submit(account.brand_id, [{ channelAccountId: account.id, message, source: 'network', origin: `webchat:${account.id}` }]);
    } catch (err) {
      if (err instanceof QueueFullError) {
        s.metrics.ingestRejected.inc();
        reply.header('retry-after', String(err.retryAfterS));
        throw new AppError(503, 'ingest.busy', `${err.message}; retry after ${err.retryAfterS} s`);
      }
      throw err;
    }
    if (outcome!.status === 'quarantined') throw new AppError(422, 'webchat.quarantined', `the message was not accepted: ${outcome!.reason}`);
    if (outcome!.status === 'duplicate') {
      // a retry is the same message; another text under the same id (a widget that reuses ids, an
      // edit) would be dropped without a word: kept in quarantine with the reason, and refused
      const stored = await s.store.db.selectFrom('message').select(['text', 'text_escaped']).where('brand_id', '=', account.brand_id).where('network', '=', 'webchat').where('network_message_id', '=', message.networkMessageId).executeTakeFirst();
      if (stored && decodeText(stored.text, stored.text_escaped) !== message.text) {
        const reason = 'clientMessageId was already used for a message with another text: a new message needs a new clientMessageId';
        await s.store.db.insertInto('quarantine').values({ brand_id: account.brand_id, source: `webchat:${account.id}`, reason, line: null, raw: serializeRaw({ visitorId, body, origin: req.headers.origin ?? null }).slice(0, 256 * 1024), created_at: s.clock.now() }).execute();
        throw new AppError(409, 'webchat.id_reused', reason);
      }
    }
    return reply.code(202).send({ id: message.networkMessageId, status: outcome!.status === 'duplicate' ? 'duplicate' : 'received' });
  });

  const pollQuery = z.object({ since: z.string().max(64).optional(), wait: z.coerce.number().min(0).max(60).optional() });

  app.get('/webchat/:accountId/messages', { ...hooks, schema: { tags, summary: 'The visitor\'s own transcript; with since + wait, held until it changes (public, Bearer visitor token)', params: accountParams, querystring: pollQuery, hide: true } }, async (req, reply) => {
    const { account, settings } = req.webchat!;
    const visitorId = await visitorOf(req, reply, account);
    limit(limits.polls, `p:${visitorId}`, reply);
    const q = req.query as z.infer<typeof pollQuery>;
    const brand = await s.store.db.selectFrom('brand').select(['name']).where('id', '=', account.brand_id).executeTakeFirst();
    const author = (typeof settings.title === 'string' && settings.title ? settings.title.slice(0, 80) : null) ?? account.display_name ?? brand?.name ?? null;
    let t = await visitorTranscript(s.store, account, visitorId);
    const wait = Math.min(LONG_POLL_MAX_S, q.wait ?? 0);
    if (q.since !== undefined && q.since === t.etag && wait > 0) {
      const mine = waiting.get(visitorId) ?? 0;
      if (mine >= MAX_WAITS_PER_VISITOR || waitingTotal >= MAX_WAITS) {
        reply.header('retry-after', '5');
        throw new AppError(429, 'webchat.too_many_waits', 'too many open connections for this visitor');
      }
      waiting.set(visitorId, mine + 1);
      waitingTotal++;
      try {
        // Woken by any message of the visitor's conversations (a reply being queued, say): answer
        // only when what the visitor sees changed, the wait is over, or they left.
        const until = Date.now() + wait * 1000;
        let gone = false;
        reply.raw.once('close', () => {
          gone = true;
        });
        while (t.etag === q.since && Date.now() < until && !gone && !closing) {
          await waitForChange(account.brand_id, visitorId, new Set(t.conversationIds), until - Date.now(), reply);
          t = await visitorTranscript(s.store, account, visitorId);
        }
      } finally {
        waitingTotal--;
        const n = (waiting.get(visitorId) ?? 1) - 1;
        if (n > 0) waiting.set(visitorId, n);
        else waiting.delete(visitorId);
      }
    }
    return {
      visitorId,
      etag: t.etag,
      messages: t.items.map((i) => ({ id: i.id, from: i.from, text: i.text, at: new Date(i.at).toISOString(), ...(i.from === 'agent' && author ? { author } : {}) })),
    };
  });

  /** Resolves when a message of this visitor is created or updated (e.g. a reply marked sent), on timeout, or when the client leaves. */
  function waitForChange(brandId: number, visitorId: string, conversations: Set<number>, ms: number, reply: FastifyReply): Promise<void> {
    const prefix = visitorPrefix(visitorId);
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        wakers.delete(finish);
        reply.raw.off('close', finish);
        resolve();
      };
      const unsubscribe = s.bus.subscribe(brandId, (e) => {
        if (e.type !== 'message.created' && e.type !== 'message.updated') return;
        const d = (e.data ?? {}) as { networkMessageId?: string | null; conversationId?: number };
        if ((typeof d.networkMessageId === 'string' && d.networkMessageId.startsWith(prefix)) || (d.conversationId != null && conversations.has(d.conversationId))) finish();
      });
      const timer = setTimeout(finish, ms);
      wakers.add(finish);
      reply.raw.on('close', finish);
    });
  }
}
