/**
 * A brand's policy "two-factor sign-in required", over HTTP against a real desk on SQLite and
 * PostgreSQL (the desk's clock in the test's hand, so authenticator codes are computed here):
 * off, nothing changes; only an admin turns it on or off, validated and audited with its value;
 * on, a session of someone of the brand without two-factor sign-in gets 403 `two_factor.required`
 * on every route (live events included) but `GET /api/me` (which says so), setting it up and
 * signing out, and once it is on everything works again; another brand's people and API tokens
 * are not affected; nobody turns theirs off while it is required (409), while an admin's reset
 * stays allowed and the person is then held at their next sign-in until they set it up again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand, createUser } from '../src/commands/setup.js';
import { ManualClock } from '../src/lib/clock.js';
import { hashPassword } from '../src/lib/password.js';
import { DIALECTS } from './db.js';
import { totpCode, turnOnTwoFactor } from './helpers/authDesk.js';
import { Client, PASSWORD, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`two-factor sign-in required by the brand [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    /** An API token the admin made before the policy. */
    let token: string;
    /** A person of another brand, without two-factor sign-in. */
    let boss: Client;
    let anaSecret = '';
    let adminSecret = '';
    beforeAll(async () => {
      // 10 s into a 30 s step
      clock = new ManualClock(Date.UTC(2026, 11, 1, 10, 0, 10));
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      const made = await admin.post('/api/tokens', { name: 'crm' });
      expect(made.status).toBe(201);
      token = made.json.token;
      const globex = await createBrand(db(), { slug: 'globex', name: 'Globex' }, clock.now());
      const bossId = await createUser(db(), { brandId: globex, email: 'boss@globex.test', name: 'Boss', role: 'agent' }, clock.now());
      await db().updateTable('app_user').set({ password_hash: await hashPassword(PASSWORD) }).where('id', '=', bossId).execute();
      boss = await Client.signIn(desk.url, 'boss@globex.test');
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const codeOf = (secret: string) => totpCode(clock, secret);
    const policy = (c: Client, on: unknown) => c.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: on } });
    const asToken = (path: string, init: RequestInit = {}) => fetch(`${desk.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
    const audits = () => db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'settings.workflow').orderBy('id', 'desc').execute();
    const totpRow = (email: string) => db().selectFrom('app_user').select(['id', 'totp_enabled_at', 'totp_last_step']).where('email', '=', email).executeTakeFirstOrThrow();

    /** Opens the live event stream with these headers: its status and, when refused, the code; closed at once. */
    async function stream(headers: Record<string, string>): Promise<{ status: number; type: string | null; code?: string }> {
      const ctrl = new AbortController();
      const res = await fetch(`${desk.url}/api/events`, { headers, signal: ctrl.signal });
      const out = { status: res.status, type: res.headers.get('content-type') };
      if (res.status !== 200) return { ...out, code: ((await res.json()) as { code: string }).code };
      ctrl.abort();
      await res.body?.cancel().catch(() => {});
      return out;
    }


    it('is off unless an admin turns it on: a person without two-factor sign-in works as before', async () => {
      const s = await admin.get('/api/settings/workflow');
      expect(s.status).toBe(200);
      expect(s.json.security).toEqual({ twoFactorRequired: false });
      expect((await ana.get('/api/conversations')).status).toBe(200);
      expect(await stream({ cookie: ana.cookie })).toMatchObject({ status: 200, type: expect.stringMatching(/text\/event-stream/) });
      const me = await ana.get('/api/me');
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({ twoFactorRequired: false, user: { twoFactor: false } });
    });

    it('is changed by admins only, validated like the other settings', async () => {
      const before = (await audits()).length;
      const cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      for (const who of [ana, cleo]) {
        const r = await policy(who, true);
        expect(r.status).toBe(403);
        expect(r.json.code).toBe('forbidden');
      }
      for (const bad of ['yes', 1, null]) {
        const r = await policy(admin, bad);
        expect(r.status, String(bad)).toBe(400);
        expect(r.json.code).toBe('validation');
      }
      expect((await admin.req('PATCH', '/api/settings/workflow', { security: {} })).status).toBe(400);
      expect((await admin.get('/api/settings/workflow')).json.security).toEqual({ twoFactorRequired: false });
      expect((await ana.get('/api/conversations')).status).toBe(200);
      expect(await audits()).toHaveLength(before);
    });

    it('on: a session without two-factor sign-in may only see who it is, set it up or sign out; then the desk is theirs', async () => {
      const on = await policy(admin, true);
      expect(on.status).toBe(200);
      expect(on.json.security).toEqual({ twoFactorRequired: true });
      const [last] = await audits();
      expect(last!.actor).toBe(`user:${desk.users.admin}`);
      expect(JSON.parse(last!.data!)).toEqual({ changed: ['security'], security: { twoFactorRequired: true } });

      // everyone of the brand, the admin who turned it on included
      for (const [who, c] of [['ana', ana], ['admin', admin]] as const) {
        for (const [method, path, body] of [['GET', '/api/conversations'], ['GET', '/api/settings/workflow'], ['PATCH', '/api/me', { availability: 'away' }], ['POST', '/api/me/password', { currentPassword: PASSWORD, newPassword: 'another long password' }]] as const) {
          const r = await c.req(method, path, body);
          expect(r.status, `${who} ${method} ${path}`).toBe(403);
          expect(r.json.code).toBe('two_factor.required');
          expect(r.json.detail).toMatch(/requires two-factor sign-in/);
        }
      }
      expect(await stream({ cookie: ana.cookie })).toMatchObject({ status: 403, code: 'two_factor.required' });
      // nothing the refused requests asked for was done
      expect((await db().selectFrom('app_user').select('availability').where('id', '=', desk.users.ana).executeTakeFirstOrThrow()).availability).toBe('online');

      // what they may do: see who they are (and that the desk requires it), sign in, sign out
      const me = await ana.get('/api/me');
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({ twoFactorRequired: true, user: { twoFactor: false } });
      const ben = await Client.signIn(desk.url, 'ben@acme.test');
      expect((await ben.get('/api/me')).json.twoFactorRequired).toBe(true);
      expect((await ben.get('/api/conversations')).json.code).toBe('two_factor.required');
      expect((await ben.post('/api/auth/logout')).status).toBe(204);
      expect((await ben.get('/api/me')).status).toBe(401);

      // another brand's people are not held
      expect((await boss.get('/api/conversations')).status).toBe(200);
      expect((await boss.get('/api/me')).json.twoFactorRequired).toBe(false);

      // set up and turned on: the desk works again, live events too
      anaSecret = (await turnOnTwoFactor(ana, clock)).secret;
      expect((await ana.get('/api/conversations')).status).toBe(200);
      expect((await ana.req('PATCH', '/api/me', { availability: 'online' })).status).toBe(200);
      expect(await stream({ cookie: ana.cookie })).toMatchObject({ status: 200, type: expect.stringMatching(/text\/event-stream/) });
      expect((await ana.get('/api/me')).json).toMatchObject({ twoFactorRequired: true, user: { twoFactor: true } });
    });

    it('does not apply to API tokens (machine access)', async () => {
      expect((await asToken('/api/conversations')).status).toBe(200);
      expect((await asToken('/api/settings/workflow')).status).toBe(200);
      const ctrl = new AbortController();
      const live = await asToken('/api/events', { signal: ctrl.signal });
      expect(live.status).toBe(200);
      ctrl.abort();
      await live.body?.cancel().catch(() => {});
      // while the admin's own session, without two-factor sign-in, is held
      expect((await admin.get('/api/conversations')).json.code).toBe('two_factor.required');
    });

    it('while required nobody turns theirs off; an admin still resets it, and the person sets it up again at their next sign-in', async () => {
      const before = await totpRow('ana@acme.test');
      const off = await ana.post('/api/me/two-factor/disable', { currentPassword: PASSWORD, code: codeOf(anaSecret) });
      expect(off.status).toBe(409);
      expect(off.json.code).toBe('two_factor.required');
      // still on, and the code was not used up by the refusal
      expect(await totpRow('ana@acme.test')).toEqual(before);
      expect((await ana.get('/api/me')).json.user.twoFactor).toBe(true);

      // the admin sets theirs up (their session is held until then), then resets Ana's (she lost her phone)
      adminSecret = (await turnOnTwoFactor(admin, clock)).secret;
      const reset = await admin.post(`/api/users/${desk.users.ana}/two-factor/reset`);
      expect(reset.status).toBe(204);
      expect((await totpRow('ana@acme.test')).totp_enabled_at).toBeNull();
      // signed out by the reset; the password alone signs her in, and the desk holds her until she sets it up
      expect((await ana.get('/api/me')).status).toBe(401);
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      expect((await ana.get('/api/me')).json).toMatchObject({ twoFactorRequired: true, user: { twoFactor: false } });
      expect((await ana.get('/api/conversations')).json.code).toBe('two_factor.required');
    });

    it('turned off again: as before, and two-factor sign-in can be turned off again', async () => {
      const r = await policy(admin, false);
      expect(r.status).toBe(200);
      expect(r.json.security).toEqual({ twoFactorRequired: false });
      expect(JSON.parse((await audits())[0]!.data!)).toEqual({ changed: ['security'], security: { twoFactorRequired: false } });
      expect((await ana.get('/api/conversations')).status).toBe(200);
      expect((await ana.get('/api/me')).json.twoFactorRequired).toBe(false);
      expect(await stream({ cookie: ana.cookie })).toMatchObject({ status: 200 });
      const off = await admin.post('/api/me/two-factor/disable', { currentPassword: PASSWORD, code: codeOf(adminSecret) });
      expect(off.status).toBe(204);
      expect((await admin.get('/api/conversations')).status).toBe(200);
    });
  });
}
