/**
 * Bluesky error mapping, record keys from idempotency keys, and the sync cursor.
 */
import { XRPCError } from '@atproto/api';
import { describe, expect, it } from 'vitest';
import { ChannelError } from '../types.js';
import { isSessionFailure, toChannelError } from './errors.js';
import { parseCursor } from './index.js';
import { isValidTid, rkeyForIdempotencyKey, tidClock } from './rkey.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const xrpc = (status: number, error?: string, message?: string, headers?: Record<string, string>) => new XRPCError(status, error, message, headers);
const netError = (code: string) => new XRPCError(1, undefined, 'fetch failed', undefined, { cause: Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) }) });

describe('bluesky errors → ChannelError', () => {
  it('429 is RATE_LIMITED until ratelimit-reset (epoch seconds), else a minute', () => {
    const e = toChannelError(xrpc(429, 'RateLimitExceeded', 'Rate Limit Exceeded', { 'ratelimit-reset': String(NOW / 1000 + 120) }), 'write', NOW);
    expect(e).toMatchObject({ code: 'RATE_LIMITED', opts: { retryAt: NOW + 120_000, status: 429 } });
    expect(toChannelError(xrpc(429), 'read', NOW).opts.retryAt).toBe(NOW + 60_000);
  });

  it('refused credentials are AUTH_REVOKED; a refused login too; a taken-down account too', () => {
    expect(toChannelError(xrpc(401, 'AuthenticationRequired', 'Invalid identifier or password'), 'login', NOW).code).toBe('AUTH_REVOKED');
    expect(toChannelError(xrpc(400, 'ExpiredToken', 'Token has been revoked'), 'read', NOW).code).toBe('AUTH_REVOKED');
    expect(toChannelError(xrpc(401, 'AccountTakedown', 'Account has been taken down'), 'write', NOW).code).toBe('AUTH_REVOKED');
    expect(toChannelError(xrpc(400, 'AccountDeactivated', 'Account is deactivated'), 'read', NOW).code).toBe('AUTH_REVOKED');
  });

  it('only token problems invite a fresh login (not a taken-down account, not a missing DM permission)', () => {
    expect(isSessionFailure(xrpc(401, 'AuthMissing'))).toBe(true);
    expect(isSessionFailure(xrpc(400, 'ExpiredToken', 'Token has expired'))).toBe(true);
    expect(isSessionFailure(xrpc(400, 'InvalidToken', 'Bad token method'))).toBe(false);
    expect(isSessionFailure(xrpc(401, 'AccountTakedown'))).toBe(false);
    expect(isSessionFailure(new Error('x'))).toBe(false);
  });

  it('an app password without DM access is PERMISSION_DENIED and says what to do', () => {
    const e = toChannelError(xrpc(400, 'InvalidToken', 'Bad token method'), 'read', NOW);
    expect(e.code).toBe('PERMISSION_DENIED');
    expect(e.message).toMatch(/Allow access to your direct messages/);
    expect(toChannelError(xrpc(403, 'Forbidden'), 'write', NOW).code).toBe('PERMISSION_DENIED');
  });

  it('missing things are NOT_FOUND; chat refusals are INVALID_REQUEST with the reason', () => {
    expect(toChannelError(xrpc(400, 'RecordNotFound', 'Could not locate record'), 'read', NOW).code).toBe('NOT_FOUND');
    expect(toChannelError(xrpc(400, 'InvalidConvo', 'Convo not found'), 'write', NOW).code).toBe('NOT_FOUND');
    const refused = toChannelError(xrpc(400, 'MessagesDisabled', 'recipient has disabled incoming messages'), 'write', NOW);
    expect(refused.code).toBe('INVALID_REQUEST');
    expect(refused.message).toMatch(/does not accept direct messages/);
    expect(toChannelError(xrpc(400, 'InvalidRequest', 'Invalid record key'), 'write', NOW).code).toBe('INVALID_REQUEST');
  });

  it('a 5xx is TEMPORARY for reads and TIMEOUT (maybe stored) for writes; 501 is never ambiguous', () => {
    expect(toChannelError(xrpc(502, 'UpstreamFailure'), 'read', NOW).code).toBe('TEMPORARY');
    expect(toChannelError(xrpc(500, 'InternalServerError'), 'write', NOW).code).toBe('TIMEOUT');
    expect(toChannelError(xrpc(501, 'MethodNotImplemented'), 'write', NOW).code).toBe('TEMPORARY');
  });

  it('no answer: a deadline or reset connection is TIMEOUT for writes, a refused connection is TEMPORARY (never sent)', () => {
    const timeout = new XRPCError(1, undefined, 'The operation was aborted due to timeout', undefined, { cause: new DOMException('The operation was aborted due to timeout', 'TimeoutError') });
    expect(toChannelError(timeout, 'write', NOW).code).toBe('TIMEOUT');
    expect(toChannelError(timeout, 'read', NOW).code).toBe('TEMPORARY');
    expect(toChannelError(netError('ECONNRESET'), 'write', NOW).code).toBe('TIMEOUT');
    expect(toChannelError(netError('ECONNREFUSED'), 'write', NOW).code).toBe('TEMPORARY');
    expect(toChannelError(netError('ENOTFOUND'), 'read', NOW).code).toBe('TEMPORARY');
    // a 200 whose body does not validate: the write probably happened
    expect(toChannelError(new XRPCError(2, 'InvalidResponse', 'invalid'), 'write', NOW).code).toBe('TIMEOUT');
  });

  it('ChannelErrors pass through; anything else is TEMPORARY', () => {
    const ce = new ChannelError('NOT_FOUND', 'gone');
    expect(toChannelError(ce, 'read', NOW)).toBe(ce);
    expect(toChannelError(new Error('boom'), 'read', NOW).code).toBe('TEMPORARY');
  });
});

describe('bluesky record keys from idempotency keys', () => {
  it('are valid TIDs, the same for the same key, different for different keys', () => {
    const a = rkeyForIdempotencyKey('msg-1-7c9e6679-7425-40de-944b-e07fc1f90ae7');
    expect(isValidTid(a)).toBe(true);
    expect(rkeyForIdempotencyKey('msg-1-7c9e6679-7425-40de-944b-e07fc1f90ae7')).toBe(a);
    const keys = new Set(Array.from({ length: 2000 }, (_, i) => rkeyForIdempotencyKey(`msg-${i}`)));
    expect(keys.size).toBe(2000);
    for (const k of keys) expect(isValidTid(k)).toBe(true);
  });

  it('a monotonic TID clock never repeats or goes backwards, even when time stands still', () => {
    const next = tidClock(() => 1_700_000_000_000);
    const tids = Array.from({ length: 100 }, next);
    expect([...tids].sort()).toEqual(tids);
    expect(new Set(tids).size).toBe(100);
  });
});

describe('bluesky sync cursor', () => {
  it('starts empty and round-trips; anything else is CURSOR_INVALID', () => {
    expect(parseCursor(null)).toEqual({ v: 1, n: null, k: {}, c: null });
    const c = { v: 1, n: { at: '2024-01-01T00:00:00.000Z', uris: ['at://x/app.bsky.feed.post/y'] }, k: { brand: { at: '2024-01-01T00:00:00.000Z', uris: [] } }, c: { convo1: '3l6ov' } };
    expect(parseCursor(JSON.stringify(c))).toEqual(c);
    for (const bad of ['nope', '[]', '{"v":1}', '{"v":1,"n":{"at":"yesterday","uris":[]},"k":{},"c":null}', '{"v":1,"n":null,"k":{"a":1},"c":null}']) {
      expect(() => parseCursor(bad), bad).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID' }));
    }
  });
});
