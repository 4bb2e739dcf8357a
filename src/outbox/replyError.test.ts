import { describe, expect, it } from 'vitest';
import { replyErrorFor, summarizeReplyError } from './replyError.js';

describe('a reply error as its reader sees it', () => {
  it('summarizes the network\'s words by code, keeps the retry time, and passes Parley\'s own words through', () => {
    expect(summarizeReplyError('AUTH_REVOKED: 401 https://api.example/oauth token=abc')).toMatch(/^Authentication failed — an admin must reconnect/);
    expect(summarizeReplyError('RATE_LIMITED: 429 app 5550 — retrying at 2026-11-17T10:10:00.000Z')).toBe('The network is rate limiting Parley; the reply will be retried. Next attempt at 2026-11-17T10:10:00.000Z.');
    expect(summarizeReplyError('WEIRD: x')).toBe('The reply could not be sent.');
    expect(summarizeReplyError('INVALID_REQUEST: no connector is installed for x')).toBe('INVALID_REQUEST: no connector is installed for x');
    expect(summarizeReplyError('PERMISSION_DENIED: @acme was disabled before this was sent: enable it')).toBe('PERMISSION_DENIED: @acme was disabled before this was sent: enable it');
    expect(summarizeReplyError('withdrawn: the incident was closed')).toBe('withdrawn: the incident was closed');
    expect(summarizeReplyError('rejected: tone')).toBe('rejected: tone');
    expect(summarizeReplyError(null)).toBeNull();
    expect(replyErrorFor('NOT_FOUND: GET https://x/1', 'summary')).toEqual({ error: expect.stringMatching(/no longer exists/), errorDetail: null });
    expect(replyErrorFor('NOT_FOUND: GET https://x/1', 'detail').errorDetail).toBe('NOT_FOUND: GET https://x/1');
  });
});
