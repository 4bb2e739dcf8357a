/**
 * One policy for connector errors (see ChannelError): retry with back-off,
 * wait for a rate-limit reset, check whether an ambiguous send went out, give
 * up with a reason, or mark the channel unhealthy with what an admin should do.
 */
import { ChannelError, type ChannelErrorCode } from './types.js';

export type ErrorDecision =
  | { action: 'retry'; at: number; code: ChannelErrorCode; reason: string }
  /** The network may have accepted it: look for it (findSent) before sending again. */
  | { action: 'verify'; at: number; code: ChannelErrorCode; reason: string }
  | { action: 'fail'; code: ChannelErrorCode; reason: string }
  /** The account needs an admin; sends wait (they go out once it is healthy again). */
  | { action: 'unhealthy'; at: number; code: ChannelErrorCode; reason: string; advice: string };

export const MAX_ATTEMPTS = 8;

/** 2 s, 4 s, 8 s ... capped at 5 minutes, with ±20 % jitter from `rand`. */
export function backoff(attempt: number, rand: number = Math.random()): number {
  const base = Math.min(300_000, 2000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * rand));
}

export const ADVICE: Partial<Record<ChannelErrorCode, string>> = {
  AUTH_REVOKED: 'The network no longer accepts this account\'s credentials (revoked, expired or password changed). Reconnect the account in Settings → Channels.',
  PERMISSION_DENIED: 'The account lacks a permission this action needs. Reconnect it and grant the requested permissions, or ask the network to enable the API product.',
  CURSOR_INVALID: 'The stored sync position was rejected; Parley restarts from a fresh backfill.',
};

export function decide(err: unknown, attempt: number, now: number, rand?: number): ErrorDecision {
  const e = err instanceof ChannelError ? err : new ChannelError('TEMPORARY', err instanceof Error ? err.message : String(err), { cause: err });
  const reason = e.message;
  switch (e.code) {
    case 'RATE_LIMITED':
      return { action: 'retry', at: Math.max(now + 1000, e.opts.retryAt ?? now + backoff(attempt, rand)), code: e.code, reason };
    case 'TIMEOUT':
      return attempt >= MAX_ATTEMPTS ? { action: 'fail', code: e.code, reason: `gave up after ${attempt} attempts: ${reason}` } : { action: 'verify', at: now + backoff(attempt, rand), code: e.code, reason };
    case 'TEMPORARY':
      return attempt >= MAX_ATTEMPTS ? { action: 'fail', code: e.code, reason: `gave up after ${attempt} attempts: ${reason}` } : { action: 'retry', at: now + backoff(attempt, rand), code: e.code, reason };
    case 'AUTH_REVOKED':
    case 'PERMISSION_DENIED':
      return { action: 'unhealthy', at: now + 300_000, code: e.code, reason, advice: ADVICE[e.code]! };
    case 'NOT_FOUND':
      return { action: 'fail', code: e.code, reason: `${reason} (the post being answered may have been deleted)` };
    case 'CURSOR_INVALID':
    case 'INVALID_REQUEST':
      return { action: 'fail', code: e.code, reason };
  }
}
