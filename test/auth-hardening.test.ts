/**
 * Sign-in and operator-endpoint hardening, over HTTP against a real desk:
 * attempts sent at once are bounded like attempts sent one by one; a missing account costs
 * as long as a wrong password; behind a proxy only the proxy's own X-Forwarded-For entry is
 * believed; a caller without credentials is refused before their body is read; /metrics needs
 * its token (or loopback).
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsAllowed } from '../src/server/routes/system.js';
import { Client, PASSWORD, startDesk, type TestDesk } from './helpers/parley.js';

const login = (url: string, email: string, password: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ email, password }) });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('sign-in limits over HTTP', () => {
  let desk: TestDesk;
  beforeAll(async () => {
    desk = await startDesk('sqlite', { config: { trustProxy: 'true', metricsToken: 'metrics-token-0123456789' } });
  });
  afterAll(async () => desk?.stop());

  it('admits at most 10 of 40 guesses sent at once at one account from one address', async () => {
    const statuses = await Promise.all(Array.from({ length: 40 }, () => login(desk.url, 'ben@acme.test', 'wrong password').then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
  });

  it('believes only the entry the proxy in front added to X-Forwarded-For', async () => {
    // each guess claims a different client on the left; the proxy's own entry (right) is the same
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await login(desk.url, 'cleo@acme.test', 'wrong', { 'x-forwarded-for': `10.9.8.${i}, 198.51.100.20` })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    // a sign-in from another real client address is not held up, and is audited with that address
    const ok = await login(desk.url, 'cleo@acme.test', PASSWORD, { 'x-forwarded-for': '6.6.6.6, 198.51.100.21' });
    expect(ok.status).toBe(200);
    const row = await desk.db.store.db.selectFrom('audit_event').select('data').where('action', '=', 'auth.login').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(String(row.data)).toContain('198.51.100.21');
    expect(String(row.data)).not.toContain('6.6.6.6');
  });

  it('does not lock a person out of an address with their live session, whatever failed under their name elsewhere', async () => {
    await Client.signIn(desk.url, 'ana@acme.test'); // a live session from this desk's loopback address
    for (let a = 0; a < 6; a++) {
      for (let i = 0; i < 10; i++) await login(desk.url, 'ana@acme.test', 'wrong', { 'x-forwarded-for': `203.0.113.${a}` });
    }
    expect((await login(desk.url, 'ana@acme.test', PASSWORD, { 'x-forwarded-for': '203.0.113.99' })).status).toBe(429);
    expect((await login(desk.url, 'ana@acme.test', PASSWORD)).status).toBe(200);
  });

  it('takes as long to refuse an unknown address as a wrong password (no account enumeration by timing)', async () => {
    const time = async (email: string) => {
      const t0 = performance.now();
      expect((await login(desk.url, email, 'not the password', { 'x-forwarded-for': `192.0.2.${Math.floor(Math.random() * 250)}` })).status).toBe(401);
      return performance.now() - t0;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time('admin@acme.test'));
      unknown.push(await time(`nobody${i}@acme.test`));
    }
    // scrypt dominates a wrong password; without the dummy hash an unknown address took ~1/15 of it
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
  });

  it('upgrades a password hashed with older, weaker settings at the next sign-in, which keeps working', async () => {
    const salt = randomBytes(16);
    const key = scryptSync(PASSWORD, salt, 32, { N: 16384, r: 8, p: 1 });
    const old = `scrypt$16384$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    const users = desk.db.store.db.updateTable('app_user').where('email', '=', 'eli@acme.test');
    await users.set({ password_hash: old }).execute();
    expect((await login(desk.url, 'eli@acme.test', 'not it', { 'x-forwarded-for': '192.0.2.77' })).status).toBe(401);
    const stored = () => desk.db.store.db.selectFrom('app_user').select('password_hash').where('email', '=', 'eli@acme.test').executeTakeFirstOrThrow().then((r) => r.password_hash);
    expect(await stored()).toBe(old); // a wrong password changes nothing
    expect((await login(desk.url, 'eli@acme.test', PASSWORD, { 'x-forwarded-for': '192.0.2.78' })).status).toBe(200);
    const upgraded = await stored();
    expect(upgraded?.split('$').slice(0, 4)).toEqual(['scrypt', '16384', '8', '5']);
    expect((await login(desk.url, 'eli@acme.test', PASSWORD, { 'x-forwarded-for': '192.0.2.79' })).status).toBe(200);
    expect(await stored()).toBe(upgraded); // hashed again once, not at every sign-in
  });

  it('refuses a caller without credentials before reading their body', async () => {
    // a body that would fail validation: had it been parsed first, this would be a 400
    const body = JSON.stringify({ channelAccountId: 'x', messages: 'y'.repeat(1024 * 1024) });
    const res = await fetch(`${desk.url}/api/ingest/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toMatch(/^auth\./);
    // still answered normally with credentials
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    expect((await admin.post('/api/ingest/messages', { channelAccountId: 'x', messages: [] })).status).toBe(400);
  });

  it('answers /metrics only with its bearer token when one is set', async () => {
    const refused = await fetch(`${desk.url}/metrics`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('auth.required');
    expect((await fetch(`${desk.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await fetch(`${desk.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('parley_ingest_items_total');
  });
});

describe('metricsAllowed', () => {
  it('without a token admits loopback sockets only', () => {
    expect(metricsAllowed(undefined, '127.0.0.1', undefined)).toBe(true);
    expect(metricsAllowed(undefined, '::1', undefined)).toBe(true);
    expect(metricsAllowed(undefined, '::ffff:127.0.0.1', undefined)).toBe(true);
    expect(metricsAllowed(undefined, '10.0.0.5', undefined)).toBe(false);
    expect(metricsAllowed('Bearer anything', '203.0.113.1', undefined)).toBe(false);
  });
  it('with a token admits exactly that token, from anywhere', () => {
    expect(metricsAllowed('Bearer s3cret-token-abcdefgh', '203.0.113.1', 's3cret-token-abcdefgh')).toBe(true);
    expect(metricsAllowed(undefined, '127.0.0.1', 's3cret-token-abcdefgh')).toBe(false);
    expect(metricsAllowed('Bearer s3cret-token-abcdefgX', '127.0.0.1', 's3cret-token-abcdefgh')).toBe(false);
  });
});
