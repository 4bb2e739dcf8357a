/**
 * The HTTP server: Fastify 5 with zod-validated routes, problem+json errors,
 * OpenAPI generated from the same schemas, session/token authentication, a
 * strict Content-Security-Policy (and HSTS over HTTPS), and the built agent UI at `/`.
 *
 * Every route runs in the same order: authenticate (global hook, with the brand's two-factor
 * policy) → validate (zod) → authorize (requireRole in the handler) → command → present.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import { repoRoot } from '../lib/paths.js';
import { authenticate, LoginGuard, requireSecondFactorByPolicy, type AuthContext } from './auth.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { channelRoutes } from './routes/channels.js';
import { reportRoutes } from './routes/reports.js';
import { moderationRoutes } from './routes/moderation.js';
import { workflowRoutes } from './routes/workflow.js';
import { webhookRoutes } from './routes/webhooks.js';
import { webchatRoutes } from './routes/webchat.js';
import { authRoutes } from './routes/auth.js';
import { ssoRoutes } from './routes/sso.js';
import { passkeyRoutes } from './routes/passkeys.js';
import { scimRoutes } from './routes/scim.js';
import { conversationRoutes } from './routes/conversations.js';
import { eventRoutes } from './routes/events.js';
import { ingestRoutes } from './routes/ingest.js';
import { systemRoutes } from './routes/system.js';
import { slaAndFlagsRoutes } from './routes/slaAndFlags.js';
import { integrationRoutes } from './routes/integrations.js';
import type { Services } from './services.js';

/** Extension points the care workflow plugs into (routing, experts...). */
export interface AppHooks {
  afterAvailability?: (brandId: number, userId: number) => Promise<void> | void;
  assertExpertMayRead?: (auth: AuthContext, conversationId: number) => Promise<void>;
}

export type App = FastifyInstance<any, any, any, any, ZodTypeProvider> & { services: Services; hooks: AppHooks };

/** Routes anyone may call (webhooks authenticate by signature instead); a route may also say so itself, `config: { public: true }`. */
const PUBLIC = new Set(['/api/auth/login', '/api/health', '/api/openapi.json']);
const isPublic = (url: string) => PUBLIC.has(url) || url.startsWith('/api/webhooks/') || url === '/metrics';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * HTTP Strict Transport Security: a browser that reached the desk over HTTPS keeps to HTTPS
 * for a year. Sent only when the request came over HTTPS (TLS on the socket, or the
 * X-Forwarded-Proto of a proxy PARLEY_TRUST_PROXY trusts): over plain HTTP a browser ignores
 * it, and a desk on loopback for development must never pin a browser to HTTPS.
 */
export const HSTS = 'max-age=31536000; includeSubDomains';

export type RouteModule = (app: App) => void;

/**
 * Fastify's form of the trust setting. A hop count becomes "trust the first n hops from the
 * socket" (Fastify refuses bare numbers), so the client is the address the outermost trusted
 * proxy saw, never what the client wrote further left in X-Forwarded-For.
 */
export function trustProxyOption(t: false | number | string[]): false | string[] | ((addr: string, hop: number) => boolean) {
  if (t === false || Array.isArray(t)) return t;
  return (_addr, hop) => hop < t;
}

export async function buildServer(services: Services, extraRoutes: RouteModule[] = [], hooks: AppHooks = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: services.log,
    logController: new LogController({ disableRequestLogging: true }) as never,
    bodyLimit: 2 * 1024 * 1024,
    trustProxy: trustProxyOption(services.config.trustProxy),
    ajv: undefined,
    // a URL the router cannot read (a lone `%`, an encoded lone surrogate, a path parameter over
    // 100 characters) is refused as problem+json like every other refusal, not Fastify's own JSON
    frameworkErrors: (err, req, reply) => problem(reply, req, new AppError(err.statusCode && err.statusCode < 500 ? err.statusCode : 400, 'request.invalid_url', err.message)),
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('services', services);
  app.decorate('hooks', hooks);

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Parley API',
        version: services.version,
        description: 'Social customer care desk. Errors are application/problem+json with a stable `code`. Authenticate with the session cookie (and X-CSRF-Token on writes) or `Authorization: Bearer <API token>`.',
      },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'parley_session' }, token: { type: 'http', scheme: 'bearer' } } },
      security: [{ session: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
  });

  // Raw body for webhook signature checks (HMAC over the exact bytes).
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    (req as FastifyRequest & { rawBody?: Buffer }).rawBody = body;
    if (body.length === 0) return done(null, undefined);
    const scan = scanJson(body);
    if (scan.tooDeep) return done(new AppError(400, 'request.too_deep', `the request body nests more than ${MAX_JSON_DEPTH} levels deep`), undefined);
    // staff-written text with a NUL: refused here on both databases (PostgreSQL could not store it)
    if (scan.nul && !carriesMessages(req.routeOptions.url)) return done(nulRefused(), undefined);
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch {
      done(new AppError(400, 'request.invalid_json', 'the request body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    (req as FastifyRequest & { rawBody?: Buffer }).rawBody = body;
    done(null, body.toString('utf8'));
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
    // Fastify reads X-Forwarded-Proto only from a trusted proxy (trustProxyOption)
    if (req.protocol.toLowerCase() === 'https') reply.header('strict-transport-security', HSTS);
    (req as FastifyRequest & { t0?: number }).t0 = performance.now();
  });

  // Before the body is read: a caller without a session or token is refused before the server
  // buffers, parses and validates up to the route's body limit (64 MB on ingest) for them.
  app.addHook('onRequest', async (req) => {
    const url = req.routeOptions.url ?? req.url;
    if (!url.startsWith('/api/')) return;
    if (isPublic(url) || req.routeOptions.config?.public === true) {
      // Sign-in still benefits from knowing a caller, but never requires one.
      return;
    }
    req.auth = await authenticate(services.store, req, services.clock.now());
    // a brand that requires two-factor sign-in: a session without it only sets it up or signs out
    // (live events included); the workflow settings' cache spares a query on each request
    if (req.routeOptions.config?.allowWithoutSecondFactor !== true) {
      await requireSecondFactorByPolicy(req.auth, async (brandId) => (await services.workflowSettings.get(brandId)).security.twoFactorRequired);
    }
  });

  // A NUL in a path parameter or the querystring (`%00`) is refused on every route, so staff text
  // behaves the same on both databases (the body's check is in the JSON parser above)
  app.addHook('preValidation', async (req) => {
    if (hasNul(req.params) || hasNul(req.query)) throw nulRefused();
  });

  app.addHook('onResponse', async (req, reply) => {
    const t0 = (req as FastifyRequest & { t0?: number }).t0;
    if (t0 !== undefined && req.routeOptions.url !== '/api/events') {
      services.metrics.httpSeconds.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, (performance.now() - t0) / 1000);
    }
  });

  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => problem(reply, req, err));

  systemRoutes(app);
  // one count of sign-in attempts for passwords and for the codes asked after a single sign-on, in the database (every process shares it)
  const signIns = new LoginGuard(services.store, services.secrets.deriveKey);
  authRoutes(app, signIns);
  ssoRoutes(app, signIns);
  passkeyRoutes(app, signIns);
  scimRoutes(app);
  conversationRoutes(app);
  ingestRoutes(app);
  adminRoutes(app, signIns);
  eventRoutes(app);
  channelRoutes(app);
  reportRoutes(app);
  moderationRoutes(app);
  workflowRoutes(app);
  webhookRoutes(app);
  webchatRoutes(app);
  slaAndFlagsRoutes(app);
  auditRoutes(app);
  integrationRoutes(app);
  for (const r of extraRoutes) r(app);

  await serveUi(app);
  return app;
}

/**
 * How deep a JSON body may nest. No request the desk documents comes near it, and a deeper one
 * (10,000 levels fit in a 2 MB body) would overflow the stack of whatever walks it later
 * (JSON.stringify when a free-form field is stored, zod), a 500 in the middle of a command.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * One pass over JSON text (brackets and escapes inside strings are text, not structure):
 * whether it nests deeper than MAX_JSON_DEPTH (the pass stops there), and whether a string in it
 * holds a NUL, a `\u0000` escape (a raw NUL byte is not JSON at all: JSON.parse refuses it).
 * The NUL test runs only at a backslash inside a string, so it costs next to nothing on top of
 * the depth pass (measured with tsx on Node 20: a 2 MB body, 4.6 ms against 4.4 ms for the depth
 * pass alone; 2.5 MB that is nearly all escapes, 4.9 ms against 4.2 ms).
 */
export function scanJson(body: Buffer): { tooDeep: boolean; nul: boolean } {
  let depth = 0;
  let inString = false;
  let nul = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) {
        // a backslash escapes the next byte; `\u0000` is a NUL
        if (body[i + 1] === 0x75 && body[i + 2] === 0x30 && body[i + 3] === 0x30 && body[i + 4] === 0x30 && body[i + 5] === 0x30) nul = true;
        i++;
      } else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return { tooDeep: true, nul };
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return { tooDeep: false, nul };
}

/**
 * Routes whose body is a network's or a customer's message (webhooks, the web chat visitor API,
 * the ingest API): text with a NUL is kept as it came (../store/text.ts stores a well-formed copy
 * and the exact original beside it), so their bodies are not refused for one.
 */
export function carriesMessages(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/api/webhooks/') || url.startsWith('/webchat/') || url === '/api/ingest/messages');
}

/** Whether a parsed path or querystring (strings, arrays of them) holds a NUL. */
function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(hasNul);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => k.includes('\u0000') || hasNul(x));
  return false;
}

const nulRefused = () => new AppError(400, 'request.nul_character', 'text here may not contain the NUL character (U+0000)');

function problem(reply: FastifyReply, req: FastifyRequest, err: FastifyError | AppError | Error) {
  let status = 500;
  let code = 'internal';
  let detail = 'something went wrong on our side; it has been logged';
  let extra: Record<string, unknown> = {};
  if (err instanceof AppError) {
    status = err.status;
    code = err.code;
    detail = err.message;
    extra = err.extra;
  } else if (hasZodFastifySchemaValidationErrors(err)) {
    status = 400;
    code = 'validation';
    const issues = err.validation.map((v) => ({ path: `${err.validationContext ?? ''}${v.instancePath || ''}`, message: v.message }));
    detail = issues.map((i) => `${i.path || '(request)'}: ${i.message}`).join('; ');
    extra = { errors: issues };
  } else if ((err as { code?: string }).code === '22021' && /0x00/.test(err.message)) {
    // PostgreSQL's text cannot hold NUL: a name, title or filter with one is the caller's to fix
    // (message text, which keeps what arrived, is escaped before it is stored: ../store/text.ts).
    // Requests are refused before this (scanJson, the preValidation hook): this is the backstop.
    status = 400;
    code = 'request.nul_character';
    detail = 'text here may not contain the NUL character (U+0000)';
  } else if (isResponseSerializationError(err)) {
    req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
  } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
    status = (err as FastifyError).statusCode!;
    code = status === 413 ? 'request.too_large' : status === 415 ? 'request.unsupported_media_type' : status === 404 ? 'not_found' : 'request.invalid';
    detail = err.message;
  } else {
    req.log.error({ err }, 'unhandled error');
  }
  return reply
    .code(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `https://parley.dev/problems/${code}`, title: titleFor(status), status, code, detail, ...extra }));
}

function titleFor(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 422: 'Unprocessable', 429: 'Too Many Requests', 502: 'Bad Gateway', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}

/** The built UI (web/dist) at `/`, with client-side routes falling back to index.html. */
async function serveUi(app: App) {
  const dist = join(repoRoot, 'web', 'dist');
  const hasUi = existsSync(join(dist, 'index.html'));
  // wildcard: files are looked up on disk per request, so a rebuilt UI is served without a restart
  if (hasUi) await app.register(fastifyStatic, { root: dist, prefix: '/', index: ['index.html'], wildcard: true, cacheControl: false, setHeaders: (res, path) => {
    res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
  } });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/') || req.url.startsWith('/webchat/') || req.url === '/metrics' || req.method !== 'GET') {
      return problem(reply, req, new AppError(404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
    }
    if (!hasUi) return reply.code(503).type('text/plain').send('The web UI is not built yet: run `npm run build:web` (npm install does it for you).');
    return reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html');
  });
}
