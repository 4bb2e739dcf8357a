/**
 * twitter-api-v2 errors → ChannelError codes (see src/channels/errorPolicy.ts).
 * X answers errors as problem JSON (`{title, detail, type, status}`, docs "Response codes
 * and errors") with `x-rate-limit-limit/remaining/reset` headers (reset = epoch seconds).
 * A write whose outcome we cannot know (timeout, connection lost after sending, a 5xx
 * other than 503) is TIMEOUT: the outbox then asks `findSent` before posting again.
 */
import { ApiPartialResponseError, ApiRequestError, ApiResponseError } from 'twitter-api-v2';
import { ChannelError } from '../types.js';

export type XOperation = 'read' | 'write';

/** Connection errors that happen before the request reaches X: certainly not accepted. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT']);

function problemText(data: any): string {
  if (!data || typeof data !== 'object') return typeof data === 'string' ? data.slice(0, 300) : '';
  const parts: string[] = [];
  if (typeof data.title === 'string') parts.push(data.title);
  if (typeof data.detail === 'string' && data.detail !== data.title) parts.push(data.detail);
  if (Array.isArray(data.errors)) {
    for (const e of data.errors.slice(0, 3)) {
      const m = typeof e?.message === 'string' ? e.message : typeof e?.detail === 'string' ? e.detail : null;
      if (m) parts.push(m);
    }
  }
  return parts.join(': ').slice(0, 500);
}

function problemTypes(data: any): string[] {
  const types: string[] = [];
  if (typeof data?.type === 'string') types.push(data.type);
  if (Array.isArray(data?.errors)) for (const e of data.errors) if (typeof e?.type === 'string') types.push(e.type);
  return types;
}

/** Which parameters a 400 complains about (`errors[].parameters` keys). */
function badParameters(data: any): string[] {
  const out: string[] = [];
  if (Array.isArray(data?.errors)) for (const e of data.errors) if (e?.parameters && typeof e.parameters === 'object') out.push(...Object.keys(e.parameters));
  return out;
}

/** The latest reset among the limits that are exhausted (15-minute window, 24-hour app/user caps). */
function resetAt(err: ApiResponseError): number | undefined {
  const rl = err.rateLimit;
  const candidates: number[] = [];
  if (rl?.reset) candidates.push(rl.reset);
  if (rl?.day && rl.day.remaining === 0 && rl.day.reset) candidates.push(rl.day.reset);
  if (rl?.userDay && rl.userDay.remaining === 0 && rl.userDay.reset) candidates.push(rl.userDay.reset);
  if (!candidates.length) {
    const h = Number(err.headers?.['x-rate-limit-reset']);
    if (Number.isFinite(h) && h > 0) candidates.push(h);
  }
  return candidates.length ? Math.max(...candidates) * 1000 : undefined;
}

export function isDuplicateContent(err: unknown): boolean {
  return err instanceof ApiResponseError && err.code === 403 && /duplicate content/i.test(problemText(err.data));
}

export function mapXError(err: unknown, op: XOperation, what: string): ChannelError {
  if (err instanceof ChannelError) return err;
  if (err instanceof ApiResponseError) {
    const status = err.code;
    const text = problemText(err.data) || `HTTP ${status}`;
    const msg = `${what}: X answered ${status} ${text}`;
    const types = problemTypes(err.data);
    const opts = { status, cause: err };
    if (status === 429 || types.some((t) => t.endsWith('/usage-capped') || t.endsWith('/rate-limit-exceeded'))) {
      return new ChannelError('RATE_LIMITED', msg, { ...opts, retryAt: resetAt(err) });
    }
    if (status === 401) return new ChannelError('AUTH_REVOKED', msg, opts);
    if (status === 403) {
      if (isDuplicateContent(err)) return new ChannelError('INVALID_REQUEST', msg, opts);
      return new ChannelError('PERMISSION_DENIED', msg, opts);
    }
    if (status === 404 || types.some((t) => t.endsWith('/resource-not-found'))) return new ChannelError('NOT_FOUND', msg, opts);
    if (status === 400 || status === 422) {
      const params = badParameters(err.data);
      if (params.some((p) => p === 'pagination_token' || p === 'next_token' || p === 'since_id') || /pagination_token|next_token|since_id/.test(text)) {
        return new ChannelError('CURSOR_INVALID', msg, opts);
      }
      return new ChannelError('INVALID_REQUEST', msg, opts);
    }
    if (status >= 500) {
      // 503 = overloaded, request not processed; other 5xx on a write may have been applied
      if (op === 'write' && status !== 503) return new ChannelError('TIMEOUT', msg, opts);
      return new ChannelError('TEMPORARY', msg, opts);
    }
    return new ChannelError('TEMPORARY', msg, opts);
  }
  if (err instanceof ApiPartialResponseError) {
    return new ChannelError(op === 'write' ? 'TIMEOUT' : 'TEMPORARY', `${what}: the response from X was cut off (${err.message})`, { cause: err });
  }
  if (err instanceof ApiRequestError) {
    // twitter-api-v2 1.x stores the cause as `_options.error` while its `requestError` getter reads `_options.requestError`
    const inner = (err.requestError ?? (err as unknown as { _options?: { error?: Error } })._options?.error) as (Error & { code?: string }) | undefined;
    if (inner?.code && NOT_SENT.has(inner.code)) return new ChannelError('TEMPORARY', `${what}: could not reach X (${inner.code})`, { cause: err });
    const why = inner?.message ?? err.message;
    return new ChannelError(op === 'write' ? 'TIMEOUT' : 'TEMPORARY', `${what}: no answer from X (${why})`, { cause: err });
  }
  return new ChannelError('TEMPORARY', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
