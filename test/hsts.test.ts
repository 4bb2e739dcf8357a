/**
 * Strict-Transport-Security is sent only on responses the browser got over HTTPS: behind a
 * proxy PARLEY_TRUST_PROXY trusts, X-Forwarded-Proto says so. Never over plain HTTP (a desk
 * on loopback for development must not pin a browser to HTTPS), and never because a client
 * wrote X-Forwarded-Proto itself: with no proxy trusted, or from an address not trusted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDesk, type TestDesk } from './helpers/parley.js';

const HSTS = 'max-age=31536000; includeSubDomains';
const hstsOf = async (desk: TestDesk, path: string, headers: Record<string, string> = {}) => (await fetch(`${desk.url}${path}`, { headers })).headers.get('strict-transport-security');

describe('HSTS', () => {
  const desks: Record<'trusted' | 'none' | 'elsewhere', TestDesk | undefined> = { trusted: undefined, none: undefined, elsewhere: undefined };
  beforeAll(async () => {
    // the proxy in front is this test (loopback); none trusted; only a proxy at another address trusted
    [desks.trusted, desks.none, desks.elsewhere] = await Promise.all([
      startDesk('sqlite', { workers: false, config: { trustProxy: 'true' } }),
      startDesk('sqlite', { workers: false }),
      startDesk('sqlite', { workers: false, config: { trustProxy: '10.1.2.3' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(Object.values(desks).map((d) => d?.stop()));
  });

  it('is sent over HTTPS through a trusted proxy, on API answers, errors and the UI alike', async () => {
    const d = desks.trusted!;
    for (const path of ['/api/health', '/api/conversations', '/api/no-such-route', '/']) {
      expect(await hstsOf(d, path, { 'x-forwarded-proto': 'https' }), path).toBe(HSTS);
    }
    // beside the headers it always sends
    const res = await fetch(`${d.url}/api/health`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('is not sent over plain HTTP, nor when the trusted proxy says the client used HTTP', async () => {
    expect(await hstsOf(desks.trusted!, '/api/health')).toBeNull();
    expect(await hstsOf(desks.trusted!, '/api/health', { 'x-forwarded-proto': 'http' })).toBeNull();
    expect(await hstsOf(desks.none!, '/api/health')).toBeNull();
    expect(await hstsOf(desks.none!, '/')).toBeNull();
  });

  it('is not sent for an X-Forwarded-Proto from a client no trusted proxy stands for', async () => {
    expect(await hstsOf(desks.none!, '/api/health', { 'x-forwarded-proto': 'https' })).toBeNull();
    expect(await hstsOf(desks.elsewhere!, '/api/health', { 'x-forwarded-proto': 'https' })).toBeNull();
    expect(await hstsOf(desks.elsewhere!, '/', { 'x-forwarded-proto': 'https' })).toBeNull();
  });
});
