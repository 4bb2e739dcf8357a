/**
 * Mastodon (masto client) failures → ChannelError codes.
 * - MastoHttpError: an HTTP error with a JSON body `{ "error": "..." }`; the
 *   Response is its `cause`, which gives the rate-limit headers
 *   (`X-RateLimit-Reset` is an ISO 8601 timestamp).
 * - MastoTimeoutError: our per-request timeout fired.
 * - Anything else (an HTML error page from a proxy — masto cannot parse it and
 *   loses the status —, a reset connection, fetch's TypeError) has no usable
 *   status. For a write we then cannot know whether the status was created,
 *   so it is TIMEOUT and the outbox checks with `findSent` (the Idempotency-Key
 *   protects a resend within the hour as well).
 */
import { ChannelError } from '../types.js';

export type Operation = 'read' | 'write';

const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

interface HttpLike {
  name: string;
  statusCode: number;
  message: string;
  description?: string;
  cause?: unknown;
}

function asHttp(err: unknown): HttpLike | null {
  const e = err as Partial<HttpLike> | null;
  return e && typeof e === 'object' && e.name === 'MastoHttpError' && typeof e.statusCode === 'number' ? (e as HttpLike) : null;
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

function headerOf(err: HttpLike, name: string): string | null {
  const res = err.cause;
  if (res && typeof res === 'object' && 'headers' in res && typeof (res as Response).headers?.get === 'function') return (res as Response).headers.get(name);
  return null;
}

/** X-RateLimit-Reset (ISO 8601, or epoch seconds from some servers) → ms; else a minute from now. */
export function rateLimitResetAt(value: string | null, now: number): number {
  if (value) {
    const n = Number(value);
    if (Number.isFinite(n) && n > 1e9) return n < 1e12 ? n * 1000 : n;
    const t = Date.parse(value);
    if (Number.isFinite(t)) return t;
  }
  return now + 60_000;
}

/**
 * Mastodon's answer for a record that is not there, or not there for this reader: 404 with
 * `{"error":"Record not found"}` (ActiveRecord::RecordNotFound, and a refused StatusPolicy
 * re-raised as it). A 404 from anything else (a proxy's page, a missing route) is not this.
 */
export function isRecordNotFound(err: unknown): boolean {
  const http = asHttp(err);
  return !!http && http.statusCode === 404 && http.message === 'Record not found';
}

/**
 * 410 Gone from GET /api/v1/accounts/:id: how Mastodon 2.4–3.2 answered for a suspended account
 * (docs, accounts methods: "Account is suspended (since 2.4.0 and until 3.3.0)"; since 3.3 it is
 * 200 with `suspended: true`).
 */
export function isAccountGone(err: unknown): boolean {
  const http = asHttp(err);
  return !!http && http.statusCode === 410;
}

/** 401 `{"error":"This API requires an authenticated user"}`: the instance serves no anonymous reads (authorized-fetch / limited federation mode). */
export function isAuthenticationRequired(err: unknown): boolean {
  const http = asHttp(err);
  return !!http && http.statusCode === 401 && /requires an authenticated user/i.test(http.message);
}

export function isTimeout(err: unknown): boolean {
  return causes(err).some((c) => c instanceof Error && (c.name === 'MastoTimeoutError' || c.name === 'TimeoutError' || c.name === 'AbortError'));
}

export function toChannelError(err: unknown, op: Operation, now: number): ChannelError {
  if (err instanceof ChannelError) return err;
  const http = asHttp(err);
  if (http) {
    const s = http.statusCode;
    const msg = `Mastodon ${s}: ${http.message || 'error'}${http.description ? ` (${http.description})` : ''}`;
    const opts = { status: s, cause: err };
    if (s === 429) return new ChannelError('RATE_LIMITED', msg, { ...opts, retryAt: rateLimitResetAt(headerOf(http, 'x-ratelimit-reset'), now) });
    if (s === 401) return new ChannelError('AUTH_REVOKED', msg, opts);
    if (s === 403) return new ChannelError('PERMISSION_DENIED', msg, opts);
    if (s === 404 || s === 410) return new ChannelError('NOT_FOUND', msg, opts);
    if (s >= 500) return op === 'write' && s !== 501 ? new ChannelError('TIMEOUT', `${msg} — the status may or may not have been created`, opts) : new ChannelError('TEMPORARY', msg, opts);
    return new ChannelError('INVALID_REQUEST', msg, opts);
  }
  const detail = err instanceof Error ? err.message : String(err);
  if (isTimeout(err)) {
    return op === 'write'
      ? new ChannelError('TIMEOUT', `Mastodon did not answer in time; the status may or may not have been created (${detail})`, { cause: err })
      : new ChannelError('TEMPORARY', `Mastodon did not answer in time (${detail})`, { cause: err });
  }
  const code = causes(err).map((c) => (c as { code?: unknown }).code).find((c): c is string => typeof c === 'string');
  if (op === 'write' && !(code && NEVER_SENT.has(code))) {
    return new ChannelError('TIMEOUT', `Mastodon's answer could not be read; the status may or may not have been created (${detail})`, { cause: err });
  }
  return new ChannelError('TEMPORARY', `Mastodon could not be reached or answered unreadably: ${detail}`, { cause: err });
}
