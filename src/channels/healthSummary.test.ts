import { describe, expect, it } from 'vitest';
import { HEALTH_SUMMARY, healthFor, healthViewFor, summarizeHealth } from './healthSummary.js';
import { CHANNEL_ERROR_CODES } from './types.js';

describe('channel health summary', () => {
  const unhealthy = {
    code: 'AUTH_REVOKED', message: 'HTTP 401 for account 123 at api.internal:8443', advice: 'Reconnect the account in Settings → Channels.',
    since: '2026-12-01T10:00:00.000Z', lastErrorAt: '2026-12-01T10:05:00.000Z', failures: 3, lastError: 'AUTH_REVOKED: HTTP 401 for account 123', somethingElse: 'x',
  };

  it('keeps times, failure count and code, and says the code\'s summary instead of the network\'s words', () => {
    expect(summarizeHealth(unhealthy)).toEqual({
      code: 'AUTH_REVOKED', message: HEALTH_SUMMARY.AUTH_REVOKED, advice: expect.stringContaining('Admins were told'),
      since: '2026-12-01T10:00:00.000Z', lastErrorAt: '2026-12-01T10:05:00.000Z', failures: 3,
    });
  });

  it('has a summary for every connector error code, and a plain one for a code it does not know', () => {
    for (const code of CHANNEL_ERROR_CODES) expect(HEALTH_SUMMARY[code], code).toMatch(/\.$/);
    expect(summarizeHealth({ code: 'SOMETHING: secret', message: 'secret' })).toMatchObject({ code: null, message: 'This channel is failing.' });
  });

  it('says a recovery with nulls, and a failing sync without its error text', () => {
    expect(summarizeHealth({ code: null, message: null, advice: null, recoveredAt: '2026-12-01T11:00:00.000Z' })).toEqual({ code: null, message: null, advice: null, recoveredAt: '2026-12-01T11:00:00.000Z' });
    expect(summarizeHealth({ failures: 2, lastError: 'TEMPORARY: 502 from gw.internal', lastErrorAt: '2026-12-01T10:05:00.000Z' })).toEqual({ failures: 2, lastErrorAt: '2026-12-01T10:05:00.000Z' });
    expect(summarizeHealth({})).toEqual({});
  });

  it('shows the detail to admins only', () => {
    expect(healthViewFor('admin')).toBe('detail');
    for (const role of ['approver', 'agent', 'expert', 'system']) expect(healthViewFor(role)).toBe('summary');
    expect(healthFor(unhealthy, 'detail')).toBe(unhealthy);
    expect(healthFor(null as never, 'summary')).toEqual({});
  });
});
