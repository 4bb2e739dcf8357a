/**
 * Bluesky (XRPC) failures → ChannelError codes. XRPC errors carry the HTTP
 * status, a machine-readable `error` name from the lexicon and the response
 * headers (rate limits: `ratelimit-reset` in epoch seconds). Network failures
 * arrive as status 1 ("Unknown") with the fetch error as `cause`.
 *
 * Writes are the delicate part: when we cannot tell whether the PDS stored the
 * record (a timeout, a reset connection, a 5xx from a proxy in front of it),
 * the code is TIMEOUT, so the outbox asks `findSent` before sending again.
 */
import { XRPCError } from '@atproto/api';
import { ChannelError } from '../types.js';

export type Operation = 'read' | 'write' | 'login';

/** Error names the PDS/AppView/chat service use for "this does not exist". */
const NOT_FOUND = new Set(['RecordNotFound', 'NotFound', 'InvalidConvo', 'ConvoNotFound', 'ProfileNotFound', 'ActorNotFound', 'RepoNotFound']);
/** The account itself is unusable: an admin has to act (reconnect, reactivate). */
const ACCOUNT_GONE = new Set(['AccountTakedown', 'AccountDeactivated', 'AccountSuspended', 'RepoDeactivated', 'RepoTakendown', 'RepoSuspended']);
/** Chat refusals that concern the other person's settings; retrying will not help. */
const CHAT_REFUSED: Record<string, string> = {
  MessagesDisabled: 'the recipient does not accept direct messages',
  NotFollowedBySender: 'the recipient only accepts direct messages from people they follow',
  BlockedActor: 'one of you has blocked the other',
  RecipientNotFound: 'the recipient has no chat account',
  ConvoLocked: 'the conversation is locked',
};
/** Connection failures that prove the request never reached the server. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

interface XrpcLike {
  status: number;
  error?: string;
  message: string;
  headers?: Record<string, string>;
  cause?: unknown;
}

function asXrpc(err: unknown): XrpcLike | null {
  if (err instanceof XRPCError) return err as XrpcLike;
  // a second copy of @atproto/xrpc (e.g. a dev dependency's) is not `instanceof` ours
  if (err && typeof err === 'object' && (err as Error).name === 'XRPCError' && typeof (err as XrpcLike).status === 'number') return err as XrpcLike;
  return null;
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  for (let i = 0; e && i < 8; i++) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** Did the request time out or get aborted (by our per-request deadline)? */
export function isTimeout(err: unknown): boolean {
  return causes(err).some((c) => c instanceof Error && (c.name === 'TimeoutError' || c.name === 'AbortError'));
}

function connectionCode(err: unknown): string | null {
  for (const c of causes(err)) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return null;
}

/** `ratelimit-reset` (epoch seconds) → ms; a minute from now when absent. */
export function rateLimitResetAt(headers: Record<string, string> | undefined, now: number): number {
  const raw = headers?.['ratelimit-reset'] ?? headers?.['RateLimit-Reset'];
  const secs = raw !== undefined ? Number(raw) : NaN;
  if (Number.isFinite(secs) && secs > 0) return secs * 1000;
  return now + 60_000;
}

/** True when a fresh login might fix it (expired/invalid session tokens). */
export function isSessionFailure(err: unknown): boolean {
  const x = asXrpc(err);
  if (!x) return false;
  if (x.error && ACCOUNT_GONE.has(x.error)) return false;
  if (x.status === 401) return true;
  return x.status === 400 && (x.error === 'ExpiredToken' || x.error === 'InvalidToken') && !/bad token method/i.test(x.message);
}

export function toChannelError(err: unknown, op: Operation, now: number): ChannelError {
  if (err instanceof ChannelError) return err;
  const x = asXrpc(err);
  if (x?.status === 2) {
    // a 200 whose body failed lexicon validation: a write probably went through
    return op === 'write'
      ? new ChannelError('TIMEOUT', `Bluesky answered with an unreadable response; the post may have been stored (${x.message})`, { cause: err })
      : new ChannelError('TEMPORARY', `Bluesky answered with an unreadable response (${x.message})`, { cause: err });
  }
  if (!x || x.status === 1) {
    // no HTTP answer
    const code = connectionCode(err);
    const detail = x?.message ?? (err instanceof Error ? err.message : String(err));
    if (isTimeout(err)) {
      return op === 'write'
        ? new ChannelError('TIMEOUT', `Bluesky did not answer in time; the post may or may not have been stored (${detail})`, { cause: err })
        : new ChannelError('TEMPORARY', `Bluesky did not answer in time (${detail})`, { cause: err });
    }
    if (op === 'write' && !(code && NEVER_SENT.has(code))) {
      return new ChannelError('TIMEOUT', `the connection to Bluesky failed mid-request; the post may or may not have been stored (${detail})`, { cause: err });
    }
    return new ChannelError('TEMPORARY', `could not reach Bluesky: ${detail}`, { cause: err });
  }
  const name = x.error ?? '';
  const msg = `Bluesky ${x.status}${name ? ` ${name}` : ''}: ${x.message}`;
  const opts = { status: x.status, cause: err };
  if (x.status === 429 || name === 'RateLimitExceeded') return new ChannelError('RATE_LIMITED', msg, { ...opts, retryAt: rateLimitResetAt(x.headers, now) });
  if (ACCOUNT_GONE.has(name)) return new ChannelError('AUTH_REVOKED', `the Bluesky account cannot be used (${name}): ${x.message}`, opts);
  if (/bad token method/i.test(x.message)) {
    return new ChannelError('PERMISSION_DENIED', `the app password does not allow this (${x.message}); direct messages need an app password created with "Allow access to your direct messages"`, opts);
  }
  if (op === 'login' && (x.status === 401 || x.status === 400)) {
    return new ChannelError('AUTH_REVOKED', `Bluesky refused the login: ${x.message}`, opts);
  }
  if (x.status === 401 || name === 'ExpiredToken' || name === 'InvalidToken') return new ChannelError('AUTH_REVOKED', msg, opts);
  if (x.status === 403) return new ChannelError('PERMISSION_DENIED', msg, opts);
  if (NOT_FOUND.has(name) || x.status === 404) return new ChannelError('NOT_FOUND', msg, opts);
  if (CHAT_REFUSED[name]) return new ChannelError('INVALID_REQUEST', `Bluesky chat refused: ${CHAT_REFUSED[name]}`, opts);
  if (x.status >= 500) {
    // a 5xx to a write may come after the PDS committed it (a proxy timing out in front of it)
    return op === 'write' && x.status !== 501
      ? new ChannelError('TIMEOUT', `${msg} — the post may or may not have been stored`, opts)
      : new ChannelError('TEMPORARY', msg, opts);
  }
  return new ChannelError('INVALID_REQUEST', msg, opts);
}
