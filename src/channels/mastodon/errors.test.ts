/**
 * Mastodon error mapping on the errors the masto client raises.
 */
import { MastoHttpError, MastoTimeoutError, MastoUnexpectedError } from 'masto';
import { describe, expect, it } from 'vitest';
import { ChannelError } from '../types.js';
import { rateLimitResetAt, toChannelError } from './errors.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const http = (statusCode: number, message: string, headers: Record<string, string> = {}) =>
  new MastoHttpError({ statusCode, message }, { cause: new Response(JSON.stringify({ error: message }), { status: statusCode, headers }) });

describe('mastodon errors → ChannelError', () => {
  it('429 is RATE_LIMITED until X-RateLimit-Reset (ISO 8601, as Mastodon sends it)', () => {
    const e = toChannelError(http(429, 'Too many requests', { 'X-RateLimit-Reset': '2026-01-01T00:05:00.488404Z' }), 'write', NOW);
    expect(e).toMatchObject({ code: 'RATE_LIMITED', opts: { status: 429 } });
    expect(e.opts.retryAt).toBe(Date.parse('2026-01-01T00:05:00.488Z'));
    expect(rateLimitResetAt('1767225900', NOW)).toBe(1767225900_000);
    expect(rateLimitResetAt(null, NOW)).toBe(NOW + 60_000);
    expect(rateLimitResetAt('soon', NOW)).toBe(NOW + 60_000);
  });

  it('401 (invalid or revoked token) is AUTH_REVOKED; 403 (missing scope, disabled login) PERMISSION_DENIED', () => {
    expect(toChannelError(http(401, 'The access token is invalid'), 'read', NOW).code).toBe('AUTH_REVOKED');
    expect(toChannelError(http(403, 'This action is outside the authorized scopes'), 'write', NOW).code).toBe('PERMISSION_DENIED');
  });

  it('404/410 are NOT_FOUND; 422 (validation) is INVALID_REQUEST with the server\'s words', () => {
    expect(toChannelError(http(404, 'Record not found'), 'write', NOW).code).toBe('NOT_FOUND');
    expect(toChannelError(http(410, 'Gone'), 'read', NOW).code).toBe('NOT_FOUND');
    const e = toChannelError(http(422, 'Validation failed: Text character limit of 500 exceeded'), 'write', NOW);
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.message).toContain('character limit of 500');
  });

  it('5xx: TEMPORARY for reads, TIMEOUT (maybe created) for writes', () => {
    expect(toChannelError(http(503, 'unavailable'), 'read', NOW).code).toBe('TEMPORARY');
    expect(toChannelError(http(500, 'We\'re sorry'), 'write', NOW).code).toBe('TIMEOUT');
  });

  it('no readable answer: a timeout or an unparseable page is TIMEOUT for writes; a refused connection is TEMPORARY', () => {
    expect(toChannelError(new MastoTimeoutError('Request timed out'), 'write', NOW).code).toBe('TIMEOUT');
    expect(toChannelError(new MastoTimeoutError('Request timed out'), 'read', NOW).code).toBe('TEMPORARY');
    // masto cannot read an HTML 502 page: it throws without the status
    expect(toChannelError(new TypeError("Cannot destructure property 'error' of 'data' as it is undefined."), 'write', NOW).code).toBe('TIMEOUT');
    expect(toChannelError(new MastoUnexpectedError('The server returned data with an unknown encoding.'), 'read', NOW).code).toBe('TEMPORARY');
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(toChannelError(refused, 'write', NOW).code).toBe('TEMPORARY');
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    expect(toChannelError(reset, 'write', NOW).code).toBe('TIMEOUT');
  });

  it('ChannelErrors pass through', () => {
    const e = new ChannelError('NOT_FOUND', 'x');
    expect(toChannelError(e, 'read', NOW)).toBe(e);
  });
});
