import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressAllowed, classifyAddress, laneShares, newWebhookSecret, nextRetryAt, RETRY_DELAYS_MS, signWebhook, urlProblem, verifyWebhook } from './webhooks.js';

describe('webhook signing (Standard Webhooks)', () => {
  it('signs "id.timestamp.body" with the base64 secret after whsec_, as the spec example', () => {
    // the example of the Standard Webhooks spec (standard-webhooks/spec, "Verifying webhook authenticity")
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const ts = 1614265330;
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, id, ts, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies its own signatures, one of several, and refuses a changed body', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const sig = signWebhook(secret, 'msg_1', 100, '{}');
    expect(sig).toBe(`v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update('msg_1.100.{}').digest('base64')}`);
    expect(verifyWebhook(secret, 'msg_1', 100, '{}', `v1,bm9wZQ== ${sig}`)).toBe(true);
    expect(verifyWebhook(secret, 'msg_1', 100, '{"a":1}', sig)).toBe(false);
    expect(verifyWebhook(secret, 'msg_1', 101, '{}', sig)).toBe(false);
  });
});

describe('webhook retries', () => {
  it('backs off from 5 s to 10 h, about a day in all, then gives up', () => {
    expect(nextRetryAt(1, 0)).toBe(5_000);
    expect(nextRetryAt(2, 0)).toBe(300_000);
    expect(nextRetryAt(RETRY_DELAYS_MS.length, 0)).toBe(36_000_000);
    expect(nextRetryAt(RETRY_DELAYS_MS.length + 1, 0)).toBeNull();
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(24 * 3_600_000);
    expect(total).toBeLessThan(30 * 3_600_000);
  });
});

describe('webhook targets', () => {
  it('classifies addresses', () => {
    expect(classifyAddress('127.0.0.1')).toBe('loopback');
    expect(classifyAddress('10.1.2.3')).toBe('private');
    expect(classifyAddress('172.16.0.1')).toBe('private');
    expect(classifyAddress('172.32.0.1')).toBe('public');
    expect(classifyAddress('192.168.1.1')).toBe('private');
    expect(classifyAddress('169.254.169.254')).toBe('metadata');
    expect(classifyAddress('169.254.1.1')).toBe('link_local');
    expect(classifyAddress('0.0.0.0')).toBe('unspecified');
    expect(classifyAddress('::1')).toBe('loopback');
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:7f00:1')).toBe('loopback');
    expect(classifyAddress('fe80::1')).toBe('link_local');
    expect(classifyAddress('fd12::1')).toBe('private');
    expect(classifyAddress('fd00:ec2::254')).toBe('metadata');
    expect(classifyAddress('93.184.216.34')).toBe('public');
    expect(classifyAddress('2606:2800:220:1:248:1893:25c8:1946')).toBe('public');
  });

  it('refuses private targets unless allowed, and metadata always', () => {
    expect(addressAllowed('10.0.0.1', false)).toBe(false);
    expect(addressAllowed('10.0.0.1', true)).toBe(true);
    expect(addressAllowed('169.254.169.254', true)).toBe(false);
    expect(addressAllowed('8.8.8.8', false)).toBe(true);
  });

  it('checks URLs: https, no credentials, no internal literal hosts', () => {
    expect(urlProblem('https://hooks.example.com/x', false)).toBeNull();
    expect(urlProblem('http://hooks.example.com/x', false)).toMatch(/https/);
    expect(urlProblem('http://127.0.0.1:9/x', true)).toBeNull();
    for (const u of ['https://127.0.0.1/', 'https://10.0.0.5/', 'https://169.254.169.254/latest', 'https://[::1]/', 'https://localhost/', 'https://0.0.0.0/']) expect(urlProblem(u, false), u).not.toBeNull();
    expect(urlProblem('https://169.254.169.254/', true)).toMatch(/metadata/);
    expect(urlProblem('https://user:pw@example.com/', false)).toMatch(/password/);
    expect(urlProblem('not a url', false)).toBe('not a URL');
  });
});

describe('delivery lanes', () => {
  it('give each endpoint its own room, so a full lane takes nothing from the others', () => {
    // endpoint 1 is slow: its lane of 3 is full; 2 has one under way; 3 none
    expect(laneShares([1, 2, 3], new Map([[1, 3], [2, 1]]), 3, 100)).toEqual(new Map([[2, 2], [3, 3]]));
    // nothing under way: each gets its whole lane
    expect(laneShares([7, 8], new Map(), 50, 400)).toEqual(new Map([[7, 50], [8, 50]]));
  });

  it('share what the total leaves in turn, one at a time', () => {
    expect(laneShares([1, 2, 3], new Map([[9, 5]]), 10, 9)).toEqual(new Map([[1, 2], [2, 1], [3, 1]]));
    expect(laneShares([1, 2], new Map([[1, 4]]), 10, 4)).toEqual(new Map());
    expect(laneShares([], new Map(), 10, 10)).toEqual(new Map());
  });
});
