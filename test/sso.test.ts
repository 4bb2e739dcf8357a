/**
 * Single sign-on with OpenID Connect, over HTTP against a real desk on SQLite and PostgreSQL and a
 * REAL OpenID Provider (panva's oidc-provider) on loopback: the round trip signs in the person
 * with the provider's verified email (case-insensitive) and links them by subject (a later email
 * change at the provider still signs the same person in); a started sign-in is good once, in the
 * browser that started it, for 10 minutes, with its PKCE verifier and nonce checked; each refusal
 * lands on the login page with its code; `next` stays on the desk; password sign-in kept to
 * admins; the brand's two-factor policy met by a provider trusted to enforce MFA; the admins'
 * provider settings (never showing the secret); sign-ins limited per address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand, createUser } from '../src/commands/setup.js';
import { providersFoundToken, safeNext, SSO_CODE_TRIES, SSO_DISCOVERY_TTL_MS, SSO_LOGIN_TTL_MS } from '../src/commands/sso.js';
import { DIALECTS } from './db.js';
import { authDesk, totpCode, turnOnTwoFactor } from './helpers/authDesk.js';
import { startOidcProvider, type OidcUser, type TestOidcProvider } from './helpers/oidcProvider.js';
import { Client, PASSWORD, type TestDesk } from './helpers/parley.js';

describe('safeNext', () => {
  it('keeps paths of the desk only', () => {
    expect(safeNext('/inbox/5?x=1#y')).toBe('/inbox/5?x=1#y');
    for (const bad of ['//evil.example', 'https://evil.example', '/\\evil', '\\\\evil', 'evil', '', undefined, '/\t/evil', `/${'a'.repeat(2001)}`]) expect(safeNext(bad)).toBe('/');
  });
});

for (const dialect of DIALECTS) {
  describe(`single sign-on with OpenID Connect [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let op: TestOidcProvider;
    let other: TestOidcProvider;
    let ips = 0;
    const { clock, person } = authDesk(dialect, 's', (d, a) => { desk = d; admin = a; });
    const db = () => desk.db.store.db;
    const address = () => `198.19.${Math.floor(++ips / 250)}.${ips % 250}`;
    const callbackUrl = () => `${desk.url}/api/auth/sso/callback`;

    beforeAll(async () => {
      op = await startOidcProvider({ redirectUris: [callbackUrl()] });
      other = await startOidcProvider({ redirectUris: [callbackUrl()] });
    });
    afterAll(async () => {
      await op?.close();
      await other?.close();
    });

    const settings = (over: Record<string, unknown> = {}, p: TestOidcProvider = op) => ({
      label: 'Acme Okta', issuer: p.issuer, clientId: p.clientId, clientSecret: p.clientSecret, allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true, ...over,
    });
    async function addProvider(over: Record<string, unknown> = {}, p: TestOidcProvider = op): Promise<number> {
      const res = await admin.post('/api/sso/providers', settings(over, p));
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json.id as number;
    }

    /** A browser: GET without following redirects, with its cookies. */
    async function get(url: string, cookie = '', ip = address()) {
      const res = await fetch(url, { redirect: 'manual', headers: { 'x-forwarded-for': ip, ...(cookie ? { cookie } : {}) } });
      await res.text();
      return { status: res.status, location: res.headers.get('location') ?? '', cookies: res.headers.getSetCookie() };
    }
    const cookieOf = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0] ?? '';

    /**
     * Start at the desk: where the provider is, and the browser's binding cookie. The browser went
     * through discovery first (its cookie naming the provider: a desk of several brands requires it,
     * and this desk gets a second brand below; test/sso-start.test.ts tests that requirement).
     */
    async function start(providerId: number, next?: string, ip = address()) {
      const found = `parley_sso_found=${providersFoundToken(desk.parley.services.secrets, [providerId], clock.now())}`;
      const res = await get(`${desk.url}/api/auth/sso/${providerId}/start${next !== undefined ? `?next=${encodeURIComponent(next)}` : ''}`, found, ip);
      return { ...res, browser: cookieOf(res.cookies, 'parley_sso') };
    }
    /** Through the provider (as whoever it signs in) back to the desk's callback URL. */
    async function atProvider(url: string): Promise<string> {
      let at = url;
      for (let i = 0; i < 10; i++) {
        if (at.startsWith(callbackUrl())) return at;
        const res = await get(at);
        expect([302, 303], `${at} → ${res.status}`).toContain(res.status);
        at = new URL(res.location, at).href;
      }
      throw new Error(`the provider never sent the browser back: ${at}`);
    }
    async function callback(url: string, browser: string, ip = address()) {
      const res = await get(url, browser, ip);
      expect(res.status).toBe(302);
      // pending: the browser's cookie now binds the second step
      return { location: res.location, session: cookieOf(res.cookies, 'parley_session'), pending: cookieOf(res.cookies, 'parley_sso') };
    }
    /** The whole round trip as `user` (null: they decline at the provider). */
    async function ssoSignIn(providerId: number, user: OidcUser | null, next?: string, p: TestOidcProvider = op) {
      p.signInAs(user);
      const started = await start(providerId, next);
      expect(started.status).toBe(302);
      return callback(await atProvider(started.location), started.browser);
    }
    const meWith = async (session: string) => {
      const res = await fetch(`${desk.url}/api/me`, { headers: { cookie: session } });
      return { status: res.status, json: (await res.json()) as any };
    };
    const lastAudit = (action: string) => db().selectFrom('audit_event').selectAll().where('action', '=', action).orderBy('id', 'desc').executeTakeFirst();
    const ssoError = (location: string) => new URL(location, desk.url).searchParams.get('sso_error');

    it('is in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      for (const [path, method] of [['/api/auth/sso/providers', 'get'], ['/api/auth/sso/{id}/start', 'get'], ['/api/auth/sso/callback', 'get'], ['/api/auth/sso/code', 'post'], ['/api/sso/providers', 'get'], ['/api/sso/providers', 'post'], ['/api/sso/providers/{id}', 'patch'], ['/api/sso/providers/{id}', 'delete'], ['/api/sso/providers/{id}/check', 'post']] as const) {
        expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      }
    });

    it('lets only admins manage providers, never shows the secret, discovers first, refuses plain http off loopback', async () => {
      const ana = await person();
      expect((await ana.client.get('/api/sso/providers')).status).toBe(403);
      expect((await ana.client.post('/api/sso/providers', settings())).status).toBe(403);

      const made = await admin.post('/api/sso/providers', settings({ allowedDomains: ['ACME.test', '@acme.test'] }));
      expect(made.status).toBe(201);
      expect(made.json).toMatchObject({ label: 'Acme Okta', issuer: op.issuer, clientId: op.clientId, hasClientSecret: true, allowedDomains: ['acme.test'], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true, signOutAtProvider: true, linkedPeople: 0 });
      const id = made.json.id as number;
      const listed = await admin.get('/api/sso/providers');
      expect(listed.json.callbackUrl).toBe(callbackUrl());
      expect(listed.json.postLogoutRedirectUri).toBe(`${desk.url}/login`);
      expect(listed.json.providers.map((p: any) => p.id)).toContain(id);

      const row = await db().selectFrom('sso_provider').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.client_secret).toMatch(/^v1:/);
      expect(desk.parley.services.secrets.open<string>(row.client_secret!)).toBe(op.clientSecret);

      expect((await ana.client.req('PATCH', `/api/sso/providers/${id}`, { label: 'x' })).status).toBe(403);
      const patched = await admin.req('PATCH', `/api/sso/providers/${id}`, { label: 'Okta', trustsMfa: true });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ label: 'Okta', trustsMfa: true, hasClientSecret: true });
      expect((await admin.req('PATCH', `/api/sso/providers/${id}`, { clientSecret: 'a new secret' })).json.hasClientSecret).toBe(true);
      expect((await admin.req('PATCH', `/api/sso/providers/${id}`, { autoProvisionRole: 'admin' })).status).toBe(400);

      const checked = await admin.post(`/api/sso/providers/${id}/check`, {});
      expect(checked.status).toBe(200);
      expect(checked.json).toEqual({ ok: true, authorizationEndpoint: `${op.issuer}/auth`, endSessionEndpoint: `${op.issuer}/session/end` });
      expect((await ana.client.post(`/api/sso/providers/${id}/check`, {})).status).toBe(403);

      // discovery fails: nothing listens there
      const down = await admin.post('/api/sso/providers', settings({ issuer: 'http://127.0.0.1:9' }));
      expect(down.status).toBe(400);
      expect(down.json.code).toBe('sso.discovery_failed');
      // plain http is for this machine only
      const plain = await admin.post('/api/sso/providers', settings({ issuer: 'http://idp.example.test' }));
      expect(plain.status).toBe(400);
      expect(plain.json.code).toBe('sso.discovery_failed');
      expect(plain.json.detail).toMatch(/https/);
      expect((await admin.req('PATCH', `/api/sso/providers/${id}`, { issuer: 'http://idp.example.test' })).json.code).toBe('sso.discovery_failed');

      // never in any answer, never in the audit trail
      const answers = JSON.stringify([made.json, listed.json, patched.json, (await admin.get('/api/sso/providers')).json, (await fetch(`${desk.url}/api/auth/sso/providers`).then((r) => r.json()))]);
      expect(answers).not.toContain(op.clientSecret);
      const audits = await db().selectFrom('audit_event').select(['action', 'data']).where('action', 'like', 'sso.provider.%').execute();
      expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['sso.provider.create', 'sso.provider.update']));
      expect(JSON.stringify(audits)).not.toContain(op.clientSecret);
      expect(JSON.stringify(audits)).not.toContain('a new secret');

      expect((await ana.client.req('DELETE', `/api/sso/providers/${id}`)).status).toBe(403);
      expect((await admin.req('DELETE', `/api/sso/providers/${id}`)).status).toBe(204);
      expect((await lastAudit('sso.provider.delete'))?.subject_id).toBe(String(id));
      expect((await admin.get('/api/sso/providers')).json.providers.map((p: any) => p.id)).not.toContain(id);
    });

    it('signs in an existing person by verified email (any case), links them by subject, and keeps them after an email change at the provider', async () => {
      const id = await addProvider();
      const p = await person();
      const back = await ssoSignIn(id, { sub: 'okta-100', email: p.email.toUpperCase(), emailVerified: true, name: 'P' }, '/inbox/5?tab=mine');
      expect(back.location).toBe('/inbox/5?tab=mine');
      const me = await meWith(back.session);
      expect(me.status).toBe(200);
      expect(me.json.user.id).toBe(p.id);
      const login = await lastAudit('auth.login');
      expect(login).toMatchObject({ subject_id: String(p.id) });
      expect(JSON.parse(String(login!.data))).toMatchObject({ via: 'sso', provider: id });
      expect(await db().selectFrom('sso_identity').select(['user_id', 'subject']).where('provider_id', '=', id).execute()).toEqual([{ user_id: p.id, subject: 'okta-100' }]);
      expect((await admin.get('/api/sso/providers')).json.providers.find((x: any) => x.id === id).linkedPeople).toBe(1);
      // the session is as good as a password one: writes with its CSRF token
      const session = await db().selectFrom('session').select('sso_provider_id').where('user_id', '=', p.id).orderBy('created_at', 'desc').execute();
      expect(session.map((s) => s.sso_provider_id)).toContain(id);

      // the provider now gives another email (not even verified): the link by subject decides
      const again = await ssoSignIn(id, { sub: 'okta-100', email: 'renamed@elsewhere.test', emailVerified: false });
      expect(again.location).toBe('/');
      expect((await meWith(again.session)).json.user.id).toBe(p.id);
    });

    it('takes Entra ID\'s xms_edov for a verified email when the provider sends no email_verified, never over an explicit false', async () => {
      const id = await addProvider({ allowedDomains: ['acme.test'] });
      const p = await person();
      expect(ssoError((await ssoSignIn(id, { sub: 'entra-0', email: p.email, emailVerified: false, xmsEdov: true })).location)).toBe('unverified_email');
      expect(ssoError((await ssoSignIn(id, { sub: 'entra-1', email: p.email, xmsEdov: false })).location)).toBe('unverified_email');
      const back = await ssoSignIn(id, { sub: 'entra-2', email: p.email, xmsEdov: true });
      expect(back.location).toBe('/');
      expect((await meWith(back.session)).json.user.id).toBe(p.id);
    });

    it('takes a started sign-in once: a replay is expired, and of two racing callbacks one signs in', async () => {
      const id = await addProvider();
      const p = await person();
      op.signInAs({ sub: 'race-1', email: p.email, emailVerified: true });
      const started = await start(id, '/x');
      const url = await atProvider(started.location);
      const first = await callback(url, started.browser);
      expect(first.location).toBe('/x');
      const replay = await callback(url, started.browser);
      expect(ssoError(replay.location)).toBe('expired');
      expect(replay.session).toBe('');

      const sessionsBefore = (await db().selectFrom('session').select('id').where('user_id', '=', p.id).execute()).length;
      const s2 = await start(id, '/y');
      const url2 = await atProvider(s2.location);
      const raced = await Promise.all([callback(url2, s2.browser), callback(url2, s2.browser), callback(url2, s2.browser)]);
      expect(raced.filter((r) => r.location === '/y')).toHaveLength(1);
      expect(raced.filter((r) => ssoError(r.location) === 'expired')).toHaveLength(2);
      expect((await db().selectFrom('session').select('id').where('user_id', '=', p.id).execute()).length).toBe(sessionsBefore + 1);
    });

    it('takes a started sign-in only from the browser that started it, only with its provider, within 10 minutes', async () => {
      const id = await addProvider();
      const otherId = await addProvider({ label: 'Other IdP' }, other);
      const p = await person();
      const who = { sub: 'bound-1', email: p.email, emailVerified: true };
      op.signInAs(who);
      other.signInAs(who);

      // another browser (its own start), and none at all
      const mine = await start(id);
      const theirs = await start(id);
      const url = await atProvider(mine.location);
      expect(ssoError((await callback(url, theirs.browser)).location)).toBe('expired');
      expect(ssoError((await callback(url, '')).location)).toBe('expired');

      // a code of another provider with this state: refused by the verification
      const a = await start(id);
      const b = await start(otherId);
      const fromA = new URL(await atProvider(a.location));
      const fromB = new URL(await atProvider(b.location));
      fromB.searchParams.set('state', fromA.searchParams.get('state')!);
      const swapped = await callback(fromB.href, a.browser);
      expect(ssoError(swapped.location)).toBe('provider');
      expect(swapped.session).toBe('');

      // 10 minutes
      const late = await start(id);
      const lateUrl = await atProvider(late.location);
      clock.advance(SSO_LOGIN_TTL_MS);
      try {
        expect(ssoError((await callback(lateUrl, late.browser)).location)).toBe('expired');
      } finally {
        clock.advance(1);
      }
      const rows = await db().selectFrom('sso_login').select(['state_hash', 'nonce']).execute();
      expect(JSON.stringify(rows)).not.toContain(fromA.searchParams.get('state')!);
    });

    it('checks the PKCE verifier and the nonce it started with', async () => {
      const id = await addProvider();
      const p = await person();
      op.signInAs({ sub: 'pkce-1', email: p.email, emailVerified: true });
      for (const column of ['code_verifier', 'nonce'] as const) {
        const started = await start(id);
        const url = await atProvider(started.location);
        const row = await db().selectFrom('sso_login').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
        await db().updateTable('sso_login').set({ [column]: 'x'.repeat(43) }).where('id', '=', row.id).execute();
        const back = await callback(url, started.browser);
        expect(ssoError(back.location), column).toBe('provider');
        expect(back.session).toBe('');
      }
    });

    it('refuses, each with its code: declined, no verified email, another domain, no account, disabled, unknown or disabled provider', async () => {
      const id = await addProvider({ allowedDomains: ['acme.test'] });
      const p = await person();
      expect(ssoError((await ssoSignIn(id, null)).location)).toBe('cancelled');
      expect(ssoError((await ssoSignIn(id, { sub: 'u-1', email: p.email, emailVerified: false })).location)).toBe('unverified_email');
      expect(ssoError((await ssoSignIn(id, { sub: 'u-2', email: p.email })).location)).toBe('unverified_email');
      expect(ssoError((await ssoSignIn(id, { sub: 'u-3', emailVerified: true })).location)).toBe('unverified_email');
      expect(ssoError((await ssoSignIn(id, { sub: 'u-4', email: 'someone@globex.test', emailVerified: true })).location)).toBe('domain');
      expect(ssoError((await ssoSignIn(id, { sub: 'u-5', email: 'nobody-here@acme.test', emailVerified: true })).location)).toBe('no_account');
      expect(await db().selectFrom('app_user').select('id').where('email', '=', 'nobody-here@acme.test').executeTakeFirst()).toBeUndefined();

      await db().updateTable('app_user').set({ disabled_at: clock.now() }).where('id', '=', p.id).execute();
      expect(ssoError((await ssoSignIn(id, { sub: 'u-6', email: p.email, emailVerified: true })).location)).toBe('disabled');
      // and once linked, too
      await db().updateTable('app_user').set({ disabled_at: null }).where('id', '=', p.id).execute();
      expect((await ssoSignIn(id, { sub: 'u-6', email: p.email, emailVerified: true })).location).toBe('/');
      await db().updateTable('app_user').set({ disabled_at: clock.now() }).where('id', '=', p.id).execute();
      expect(ssoError((await ssoSignIn(id, { sub: 'u-6', email: p.email, emailVerified: true })).location)).toBe('disabled');

      expect(ssoError((await start(987654)).location)).toBe('unavailable');
      const off = await addProvider({ enabled: false });
      expect(ssoError((await start(off)).location)).toBe('unavailable');
      const listed = (await (await fetch(`${desk.url}/api/auth/sso/providers`)).json()) as any;
      expect(listed.providers.map((x: any) => x.id)).toContain(id);
      expect(listed.providers.map((x: any) => x.id)).not.toContain(off);
      expect(Object.keys(listed.providers[0]).sort()).toEqual(['id', 'label']);
      // turned off between the start and the callback
      op.signInAs({ sub: 'u-7', email: 'x@acme.test', emailVerified: true });
      const started = await start(id);
      const url = await atProvider(started.location);
      await admin.req('PATCH', `/api/sso/providers/${id}`, { enabled: false });
      expect(ssoError((await callback(url, started.browser)).location)).toBe('unavailable');
    });

    it('creates a person with the provider\'s role (never admin) when it is set to, and audits it', async () => {
      const id = await addProvider({ autoProvisionRole: 'agent' });
      expect((await admin.post('/api/sso/providers', settings({ autoProvisionRole: 'admin' }))).status).toBe(400);
      const back = await ssoSignIn(id, { sub: 'new-1', email: 'New.Person@Acme.test', emailVerified: true, name: 'New Person' }, '/inbox');
      expect(back.location).toBe('/inbox');
      const me = await meWith(back.session);
      expect(me.json.user).toMatchObject({ email: 'new.person@acme.test', name: 'New Person', role: 'agent' });
      const made = await lastAudit('user.created');
      expect(made).toMatchObject({ actor: 'system:sso', subject_id: String(me.json.user.id) });
      expect(JSON.parse(String(made!.data))).toMatchObject({ email: 'new.person@acme.test', role: 'agent' });
      const row = await db().selectFrom('app_user').select(['brand_id', 'password_hash']).where('id', '=', me.json.user.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ brand_id: desk.brandId, password_hash: null });
      // someone of another brand is not this provider's to sign in (nor to make again)
      const otherBrand = await createBrand(db(), { slug: `s-other-${dialect}`, name: 'Other' }, clock.now());
      await createUser(db(), { brandId: otherBrand, email: 'elsewhere@acme.test', name: 'E', role: 'agent' }, clock.now());
      expect(ssoError((await ssoSignIn(id, { sub: 'new-2', email: 'elsewhere@acme.test', emailVerified: true })).location)).toBe('no_account');
    });

    it('goes only to paths of the desk after signing in', async () => {
      const id = await addProvider();
      const p = await person();
      for (const next of ['//evil.example', 'https://evil.example', '/\\evil', 'javascript:alert(1)']) {
        const back = await ssoSignIn(id, { sub: 'next-1', email: p.email, emailVerified: true }, next);
        expect(back.location, next).toBe('/');
      }
    });

    it('keeps password sign-in to admins when the provider says so, telling only someone with the right password', async () => {
      const p = await person();
      const id = await addProvider({ label: 'Acme Entra', passwordSignIn: 'admins' });
      const login = (email: string, password: string) => fetch(`${desk.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address() }, body: JSON.stringify({ email, password }) }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));
      try {
        const refused = await login(p.email, PASSWORD);
        expect(refused.status).toBe(403);
        expect(refused.json.code).toBe('auth.sso_required');
        expect(refused.json.detail).toBe('Acme Entra signs you in here');
        const wrong = await login(p.email, 'not the password');
        expect(wrong.status).toBe(401);
        expect(wrong.json.code).toBe('auth.invalid_credentials');
        expect((await login('admin@acme.test', PASSWORD)).status).toBe(200);
        // and the provider signs them in
        expect((await ssoSignIn(id, { sub: 'pw-1', email: p.email, emailVerified: true })).location).toBe('/');
        // turned off: passwords again
        await admin.req('PATCH', `/api/sso/providers/${id}`, { enabled: false });
        expect((await login(p.email, PASSWORD)).status).toBe(200);
      } finally {
        await admin.req('DELETE', `/api/sso/providers/${id}`);
      }
    });

    it('meets the brand\'s two-factor policy with a provider trusted to enforce MFA, and only then', async () => {
      const trusted = await addProvider({ trustsMfa: true });
      const plain = await addProvider({ trustsMfa: false });
      const p = await person();
      // the admin too is held by the policy (no authenticator app): they work through the trusted provider
      const viaAdmin = await ssoSignIn(trusted, { sub: 'mfa-admin', email: 'admin@acme.test', emailVerified: true });
      const boss = new Client(desk.url);
      boss.cookie = viaAdmin.session;
      boss.csrf = (await meWith(viaAdmin.session)).json.csrfToken;
      expect((await boss.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: true } })).status).toBe(200);
      expect((await admin.get('/api/conversations')).json.code).toBe('two_factor.required');
      try {
        const viaTrusted = await ssoSignIn(trusted, { sub: 'mfa-1', email: p.email, emailVerified: true, amr: ['pwd', 'mfa'] });
        const a = await meWith(viaTrusted.session);
        expect(a.json.twoFactorRequired).toBe(false);
        expect((await fetch(`${desk.url}/api/conversations`, { headers: { cookie: viaTrusted.session } })).status).toBe(200);

        const viaPlain = await ssoSignIn(plain, { sub: 'mfa-2', email: p.email, emailVerified: true });
        const b = await meWith(viaPlain.session);
        expect(b.json.twoFactorRequired).toBe(true);
        const held = await fetch(`${desk.url}/api/conversations`, { headers: { cookie: viaPlain.session } });
        expect(held.status).toBe(403);
        expect(((await held.json()) as any).code).toBe('two_factor.required');

        // no longer trusted: held at the next request
        expect((await boss.req('PATCH', `/api/sso/providers/${plain}`, { trustsMfa: true })).status).toBe(200);
        expect((await fetch(`${desk.url}/api/conversations`, { headers: { cookie: viaPlain.session } })).status).toBe(200);
        expect((await boss.req('PATCH', `/api/sso/providers/${plain}`, { trustsMfa: false })).status).toBe(200);
        expect((await fetch(`${desk.url}/api/conversations`, { headers: { cookie: viaPlain.session } })).status).toBe(403);
      } finally {
        expect((await boss.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: false } })).status).toBe(200);
      }
    });

    it('limits sign-ins with a provider per address, as password sign-in is', async () => {
      const id = await addProvider();
      const ip = address();
      for (let i = 0; i < 30; i++) expect(ssoError((await start(id, '/', ip)).location) ?? 'ok', `try ${i}`).toBe('ok');
      const limited = await start(id, '/', ip);
      expect(ssoError(limited.location)).toBe('rate_limited');
      expect(limited.browser).toBe('');
      expect((await get(`${desk.url}/api/auth/sso/callback?state=x&code=y`, '', ip)).location).toBe('/login?sso_error=rate_limited');
      // another address is not held
      expect(ssoError((await start(id, '/')).location)).toBeNull();
    });

    // ---- the person's own second factor after a provider not trusted to enforce MFA ----

    const codeOf = (secret: string) => totpCode(clock, secret);
    const nextStep = () => clock.advance(30_000);
    /** The second step's POST, from the browser holding `pending` (its parley_sso cookie). */
    async function sendCode(pending: string, code: string, ip = address()) {
      const res = await fetch(`${desk.url}/api/auth/sso/code`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...(pending ? { cookie: pending } : {}) }, body: JSON.stringify({ code }) });
      return { status: res.status, json: (await res.json()) as any, session: cookieOf(res.headers.getSetCookie(), 'parley_session') };
    }
    const sessionsOf = async (userId: number) => (await db().selectFrom('session').select('id').where('user_id', '=', userId).execute()).length;

    it('asks the person\'s own code after a provider not trusted to enforce MFA (not after a trusted one), and signs in only with it, once', async () => {
      const plain = await addProvider({ trustsMfa: false });
      const trusted = await addProvider({ trustsMfa: true });
      const p = await person();
      const { secret, recoveryCodes } = await turnOnTwoFactor(p.client, clock);
      const who = { sub: 'code-1', email: p.email, emailVerified: true };
      const before = await sessionsOf(p.id);

      // no session yet: the login page asks the code, with the way back
      const back = await ssoSignIn(plain, who, '/inbox/7?tab=mine');
      expect(back.location).toBe(`/login?sso_code=1&redirect=${encodeURIComponent('/inbox/7?tab=mine')}`);
      expect(back.session).toBe('');
      expect(back.pending).toMatch(/^parley_sso=.+/);
      expect(await sessionsOf(p.id)).toBe(before);
      // only a hash of the pending token is kept
      const rows = await db().selectFrom('sso_login').select(['pending_user_id', 'pending_hash']).where('pending_user_id', '=', p.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.pending_hash).not.toContain(back.pending.slice('parley_sso='.length));

      // another browser (no cookie, or its own) has nothing pending
      expect((await sendCode('', codeOf(secret))).json.code).toBe('auth.sso_expired');
      expect((await sendCode('parley_sso=not-this-one', codeOf(secret))).status).toBe(401);
      // a wrong code: refused, no session
      const wrong = await sendCode(back.pending, '000000' === codeOf(secret) ? '111111' : '000000');
      expect(wrong.status).toBe(401);
      expect(wrong.json.code).toBe('auth.invalid_code');
      expect(wrong.session).toBe('');
      // the right one: the session (of the provider), what /api/auth/login answers, audited with the factor
      const right = await sendCode(back.pending, codeOf(secret));
      expect(right.status, JSON.stringify(right.json)).toBe(200);
      expect(right.json.user).toMatchObject({ id: p.id, twoFactor: true, hasPassword: true });
      expect(typeof right.json.csrfToken).toBe('string');
      expect(right.session).toMatch(/^parley_session=.+/);
      const me = await meWith(right.session);
      expect(me.json.user.id).toBe(p.id);
      expect(me.json.csrfToken).toBe(right.json.csrfToken);
      const made = await db().selectFrom('session').select('sso_provider_id').where('user_id', '=', p.id).orderBy('created_at', 'desc').execute();
      expect(made.map((x) => x.sso_provider_id)).toContain(plain);
      const login = await lastAudit('auth.login');
      expect(login).toMatchObject({ subject_id: String(p.id) });
      expect(JSON.parse(String(login!.data))).toMatchObject({ via: 'sso', provider: plain, secondFactor: 'totp' });
      // once: the pending sign-in is used up
      nextStep();
      expect((await sendCode(back.pending, codeOf(secret))).json.code).toBe('auth.sso_expired');
      expect(await sessionsOf(p.id)).toBe(before + 1);

      // a provider trusted to enforce MFA: no code asked
      const viaTrusted = await ssoSignIn(trusted, who, '/inbox/8');
      expect(viaTrusted.location).toBe('/inbox/8');
      expect((await meWith(viaTrusted.session)).json.user.id).toBe(p.id);

      // two right codes racing (the app's and a recovery code): one session
      nextStep();
      const race = await ssoSignIn(plain, who);
      const raced = await Promise.all([sendCode(race.pending, codeOf(secret)), sendCode(race.pending, recoveryCodes[0]!)]);
      expect(raced.map((r) => r.status).sort()).toEqual([200, 401]);
      expect(raced.find((r) => r.status === 401)!.json.code).toBe('auth.sso_expired');
      expect(await sessionsOf(p.id)).toBe(before + 3);

      // 10 minutes to type it
      nextStep();
      const late = await ssoSignIn(plain, who);
      clock.advance(SSO_LOGIN_TTL_MS);
      try {
        expect((await sendCode(late.pending, codeOf(secret))).json.code).toBe('auth.sso_expired');
      } finally {
        clock.advance(1);
      }
    });

    it('voids a pending sign-in after a few wrong codes, and counts wrong codes per address as password sign-in does', async () => {
      const plain = await addProvider();
      const p = await person();
      const { secret } = await turnOnTwoFactor(p.client, clock);
      const who = { sub: 'tries-1', email: p.email, emailVerified: true };
      const bad = () => (codeOf(secret) === '000000' ? '111111' : '000000');
      const ip = address();
      for (let round = 0; round < 2; round++) {
        const back = await ssoSignIn(plain, who);
        for (let i = 1; i < SSO_CODE_TRIES; i++) expect((await sendCode(back.pending, bad(), ip)).json.code, `try ${i}`).toBe('auth.invalid_code');
        // the last wrong one voids it: even the right code does not sign in now
        expect((await sendCode(back.pending, bad(), ip)).json.code).toBe('auth.sso_expired');
        expect((await sendCode(back.pending, codeOf(secret), ip)).json.code).toBe('auth.sso_expired');
      }
      // 10 wrong codes of this account from this address: held, even with the right code
      const held = await ssoSignIn(plain, who);
      const limited = await sendCode(held.pending, codeOf(secret), ip);
      expect(limited.status).toBe(429);
      expect(limited.json.code).toBe('auth.rate_limited');
      // another address goes on
      expect((await sendCode(held.pending, codeOf(secret))).status).toBe(200);
    });

    it('lets someone without a password confirm two-factor changes with a sign-in with the provider in the last 10 minutes', async () => {
      const id = await addProvider({ autoProvisionRole: 'agent' });
      const who = { sub: 'nopw-1', email: 'no.password@acme.test', emailVerified: true, name: 'No Password' };
      const back = await ssoSignIn(id, who);
      const me = await meWith(back.session);
      expect(me.json.user).toMatchObject({ email: 'no.password@acme.test', hasPassword: false, twoFactor: false });
      const c = new Client(desk.url);
      c.cookie = back.session;
      c.csrf = me.json.csrfToken;
      // just signed in with the provider: that confirms it
      const setup = await c.post('/api/me/two-factor/setup', {});
      expect(setup.status, JSON.stringify(setup.json)).toBe(200);
      const secret = setup.json.secret as string;
      expect((await c.post('/api/me/two-factor/enable', { code: codeOf(secret) })).status).toBe(200);
      nextStep();
      // 10 minutes on: sign in again with the provider (no password to type instead)
      clock.advance(10 * 60_000 + 1);
      const stale = await c.post('/api/me/two-factor/recovery-codes', { code: codeOf(secret) });
      expect(stale.status).toBe(403);
      expect(stale.json.code).toBe('auth.reauthenticate');
      expect(stale.json.detail).toBe('sign in again with Acme Okta to confirm');
      expect(stale.json.provider).toEqual({ id, label: 'Acme Okta' });
      expect((await c.post('/api/me/two-factor/disable', { currentPassword: 'anything', code: codeOf(secret) })).json.code).toBe('auth.reauthenticate');
      // signed in again (with their own code now): confirmed; a wrong code is still refused
      const again = await ssoSignIn(id, who);
      const fresh = await sendCode(again.pending, codeOf(secret));
      expect(fresh.status).toBe(200);
      nextStep();
      const d = new Client(desk.url);
      d.cookie = fresh.session;
      d.csrf = fresh.json.csrfToken;
      expect((await d.post('/api/me/two-factor/recovery-codes', { code: 'nope-nope' })).json.code).toBe('two_factor.wrong_code');
      expect((await d.post('/api/me/two-factor/disable', { code: codeOf(secret) })).status).toBe(204);
      expect((await meWith(fresh.session)).json.user.twoFactor).toBe(false);
      // and sets a first password the same way (none to type; a stale sign-in does not do)
      expect((await c.post('/api/me/password', { newPassword: 'a first password' })).json.code).toBe('auth.reauthenticate');
      expect((await d.post('/api/me/password', { newPassword: 'a first password' })).status).toBe(204);
      expect((await meWith(fresh.session)).json.user.hasPassword).toBe(true);
      expect((await d.post('/api/me/two-factor/setup', {})).json.code).toBe('auth.wrong_password');

      // someone with a password still types it, however they signed in
      const p = await person();
      const viaSso = await ssoSignIn(id, { sub: 'haspw-1', email: p.email, emailVerified: true });
      const e = new Client(desk.url);
      e.cookie = viaSso.session;
      e.csrf = (await meWith(viaSso.session)).json.csrfToken;
      expect((await meWith(viaSso.session)).json.user.hasPassword).toBe(true);
      expect((await e.post('/api/me/two-factor/setup', {})).json.code).toBe('auth.wrong_password');
      expect((await e.post('/api/me/two-factor/setup', { currentPassword: PASSWORD })).status).toBe(200);
    });

    it('reuses a provider\'s discovery for 10 minutes at sign-in (the admins\' settings fetch it afresh), and fetches it again after a failure', async () => {
      const third = await startOidcProvider({ redirectUris: [callbackUrl()] });
      let closed = false;
      try {
        const id = await addProvider({ label: 'Cached IdP' }, third);
        const first = await start(id);
        expect(first.location.startsWith(`${third.issuer}/auth?`)).toBe(true);
        await third.close();
        closed = true;
        // the provider is down: a sign-in still starts with what was discovered (it fails at the provider, not here)
        const cached = await start(id);
        expect(cached.location.startsWith(`${third.issuer}/auth?`), cached.location).toBe(true);
        // the admin's check fetches it now
        const checked = await admin.post(`/api/sso/providers/${id}/check`, {});
        expect(checked.status).toBe(400);
        expect(checked.json.code).toBe('sso.discovery_failed');
        // 10 minutes on, it is fetched again: down, the sign-in says so; and it keeps trying (no failure kept)
        clock.advance(SSO_DISCOVERY_TTL_MS);
        expect(ssoError((await start(id)).location)).toBe('provider');
        expect(ssoError((await start(id)).location)).toBe('provider');
      } finally {
        if (!closed) await third.close();
      }
    });

    it('keeps the way back when a sign-in fails, so that trying again returns there', async () => {
      const id = await addProvider();
      const declined = await ssoSignIn(id, null, '/inbox/5?tab=mine');
      expect(declined.location).toBe(`/login?sso_error=cancelled&redirect=${encodeURIComponent('/inbox/5?tab=mine')}`);
      expect((await ssoSignIn(id, { sub: 'wb-1', email: 'nobody-at-all@acme.test', emailVerified: true }, '/queues')).location).toBe('/login?sso_error=no_account&redirect=%2Fqueues');
      expect((await start(987654, '/reports')).location).toBe('/login?sso_error=unavailable&redirect=%2Freports');
      // none, or not a path of the desk: no way back
      expect((await ssoSignIn(id, null)).location).toBe('/login?sso_error=cancelled');
      expect((await ssoSignIn(id, null, '//evil.example')).location).toBe('/login?sso_error=cancelled');
    });
  });
}

/**
 * The sign-in page on a desk of several brands: no brand's providers are listed to anyone;
 * home-realm discovery answers by the email's domain, and, for a provider without a domain list,
 * by a person of its brand; the same shape for an email nobody has; counted per address.
 */
for (const dialect of DIALECTS) {
  describe(`single sign-on: what the sign-in page offers, and discovery by email [${dialect}]`, () => {
    let desk: TestDesk;
    const { clock } = authDesk(dialect, 'd', (d) => { desk = d; });
    let ips = 0;
    const ip = () => `198.18.${Math.floor(++ips / 250)}.${ips % 250}`;
    const offer = async () => (await fetch(`${desk.url}/api/auth/sso/providers`)).json() as Promise<any>;
    const discover = async (email: string, from = ip()) => {
      const res = await fetch(`${desk.url}/api/auth/sso/discover`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body: JSON.stringify({ email }) });
      return { status: res.status, json: (await res.json()) as any, retryAfter: res.headers.get('retry-after') };
    };
    /** A provider made in the database (the API would fetch its discovery document first). */
    const provider = async (brandId: number, label: string, allowedDomains: string[], enabled = true) =>
      (await desk.db.store.db.insertInto('sso_provider').values({ brand_id: brandId, label, issuer: 'https://idp.example.test', client_id: label, client_secret: null, allowed_domains: JSON.stringify(allowedDomains), auto_provision_role: null, password_sign_in: 'everyone', trusts_mfa: 0, enabled: enabled ? 1 : 0, created_at: clock.now(), updated_at: clock.now() }).returning('id').executeTakeFirstOrThrow()).id;

    it('lists a one-brand desk\'s providers, and none of a desk of several brands, finding them by email instead', async () => {
      const acme = await provider(desk.brandId, 'Acme Okta', ['acme.test']);
      const acmeOff = await provider(desk.brandId, 'Acme Old', ['acme.test'], false);
      expect(await offer()).toEqual({ providers: [{ id: acme, label: 'Acme Okta' }], discovery: false });

      const globex = await createBrand(desk.db.store.db, { slug: `globex-${dialect}`, name: 'Globex' }, clock.now());
      const globexIdp = await provider(globex, 'Globex Entra', ['globex.test', 'globex-corp.test']);
      // no domain list: found only by a person of its brand
      const initech = await createBrand(desk.db.store.db, { slug: `initech-${dialect}`, name: 'Initech' }, clock.now());
      const initechIdp = await provider(initech, 'Initech Keycloak', []);
      await createUser(desk.db.store.db, { brandId: initech, email: 'peter@initech.test', name: 'Peter', role: 'agent' }, clock.now());
      await createUser(desk.db.store.db, { brandId: initech, email: 'gone@initech.test', name: 'Gone', role: 'agent' }, clock.now());
      await desk.db.store.db.updateTable('app_user').set({ disabled_at: clock.now() }).where('email', '=', 'gone@initech.test').execute();

      const page = await offer();
      expect(page).toEqual({ providers: [], discovery: true });
      expect(JSON.stringify(page)).not.toMatch(/Acme|Globex|Initech/);

      expect((await discover('  Ana@ACME.test ')).json).toEqual({ providers: [{ id: acme, label: 'Acme Okta' }] });
      // by the domain alone: anyone of it, with an account or not
      expect((await discover('nobody-here@globex-corp.test')).json).toEqual({ providers: [{ id: globexIdp, label: 'Globex Entra' }] });
      expect((await discover('peter@initech.test')).json).toEqual({ providers: [{ id: initechIdp, label: 'Initech Keycloak' }] });
      // the same answer, and shape, for an email nobody has, a disabled person, a subdomain, nonsense
      for (const email of ['paul@initech.test', 'gone@initech.test', 'ana@sub.acme.test', 'ana@acme.test.evil', 'not an email', '', 'peter@initech.test@x']) {
        const res = await discover(email);
        expect(res, email).toMatchObject({ status: 200, json: { providers: [] } });
        expect(Object.keys(res.json)).toEqual(['providers']);
      }
      // a person of another brand does not find a provider without domains
      await createUser(desk.db.store.db, { brandId: globex, email: 'mike@globex.test', name: 'Mike', role: 'agent' }, clock.now());
      expect((await discover('mike@globex.test')).json.providers.map((p: any) => p.id)).toEqual([globexIdp]);
      expect((await discover('ana@acme.test')).json.providers.map((p: any) => p.id)).not.toContain(acmeOff);
    });

    it('counts discovery per address: 429 after 30 in 10 minutes, every answer counted', async () => {
      const from = ip();
      for (let i = 0; i < 30; i++) expect((await discover(`x${i}@acme.test`, from)).status).toBe(200);
      const limited = await discover('ana@acme.test', from);
      expect(limited.status).toBe(429);
      expect(limited.json.code).toBe('auth.rate_limited');
      expect(Number(limited.retryAfter)).toBeGreaterThan(0);
      expect((await discover('ana@acme.test')).status).toBe(200);
      clock.advance(10 * 60_000 + 1000);
      expect((await discover('ana@acme.test', from)).status).toBe(200);
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      expect(doc.paths['/api/auth/sso/discover']?.post).toBeTruthy();
    });
  });
}
