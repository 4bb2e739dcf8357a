/**
 * Signing out at the identity provider too (OpenID Connect RP-Initiated Logout 1.0), over HTTP
 * against a real desk on SQLite and PostgreSQL and a REAL OpenID Provider (panva's oidc-provider,
 * which checks what its end-session endpoint is given): a session made by a provider that names an
 * end_session_endpoint answers its sign-out with where to go (id_token_hint = the ID token of that
 * sign-in, post_logout_redirect_uri = the desk's login page, client_id, state), the provider accepts
 * it and sends the browser back to the login page with the state; the session and its ID token are
 * gone. A password session, a provider without the endpoint, and "Sign out of <provider> too" off
 * sign out plainly (204), and keep no ID token. A provider's back-channel logout (Back-Channel
 * Logout 1.0: a logout token signed with its JWKS key) ends the Parley sessions of the provider
 * session it names (`sid`) or of the person (`sub`), and nothing else; a token that does not verify
 * is refused (400) and ends nothing.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersFoundToken } from '../src/commands/sso.js';
import { housekeeping } from '../src/jobs/housekeeping.js';
import { DIALECTS } from './db.js';
import { authDesk, totpCode, turnOnTwoFactor } from './helpers/authDesk.js';
import { completeEndSession, startOidcProvider, type OidcUser, type TestOidcProvider } from './helpers/oidcProvider.js';
import type { Client, TestDesk } from './helpers/parley.js';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

for (const dialect of DIALECTS) {
  describe(`single sign-on: signing out at the provider too [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let op: TestOidcProvider;
    let noEnd: TestOidcProvider;
    let back: TestOidcProvider;
    let ips = 0;
    const { clock, person } = authDesk(dialect, 'lo', (d, a) => { desk = d; admin = a; });
    const db = () => desk.db.store.db;
    const address = () => `198.17.${Math.floor(++ips / 250)}.${ips % 250}`;
    const callbackUrl = () => `${desk.url}/api/auth/sso/callback`;
    const loginPage = () => `${desk.url}/login`;

    beforeAll(async () => {
      op = await startOidcProvider({ redirectUris: [callbackUrl()], postLogoutRedirectUris: [loginPage()] });
      noEnd = await startOidcProvider({ redirectUris: [callbackUrl()], endSession: false });
      back = await startOidcProvider({ redirectUris: [callbackUrl()], postLogoutRedirectUris: [loginPage()], backchannelLogoutUri: `${desk.url}/api/auth/sso/backchannel-logout` });
    });
    afterAll(async () => {
      await op?.close();
      await noEnd?.close();
      await back?.close();
    });

    async function addProvider(p: TestOidcProvider, over: Record<string, unknown> = {}): Promise<number> {
      const res = await admin.post('/api/sso/providers', { label: 'Acme ID', issuer: p.issuer, clientId: p.clientId, clientSecret: p.clientSecret, allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true, ...over });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json.id as number;
    }
    async function get(url: string, cookie = '') {
      const res = await fetch(url, { redirect: 'manual', headers: { 'x-forwarded-for': address(), ...(cookie ? { cookie } : {}) } });
      await res.text();
      return { status: res.status, location: res.headers.get('location') ?? '', cookies: res.headers.getSetCookie() };
    }
    const cookieOf = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0] ?? '';

    /** The round trip as `user`: the session cookie, or the pending second step's cookie. */
    async function ssoSignIn(providerId: number, p: TestOidcProvider, user: OidcUser) {
      p.signInAs(user);
      const started = await get(`${desk.url}/api/auth/sso/${providerId}/start`, `parley_sso_found=${providersFoundToken(desk.parley.services.secrets, [providerId], clock.now())}`);
      expect(started.status).toBe(302);
      let at = started.location;
      for (let i = 0; i < 10 && !at.startsWith(callbackUrl()); i++) at = new URL((await get(at)).location, at).href;
      const back = await get(at, cookieOf(started.cookies, 'parley_sso'));
      expect(back.status).toBe(302);
      return { location: back.location, session: cookieOf(back.cookies, 'parley_session'), pending: cookieOf(back.cookies, 'parley_sso') };
    }
    const csrfOf = async (session: string) => ((await (await fetch(`${desk.url}/api/me`, { headers: { cookie: session } })).json()) as any).csrfToken as string;
    async function signOut(session: string) {
      const res = await fetch(`${desk.url}/api/auth/logout`, { method: 'POST', headers: { cookie: session, 'x-csrf-token': await csrfOf(session) } });
      const text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as any) : null, cleared: res.headers.getSetCookie().some((c) => c.startsWith('parley_session=;')) };
    }
    const sessionRow = async (userId: number) => db().selectFrom('session').select(['id', 'sso_id_token', 'sso_provider_id']).where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id').execute();
    const meStatus = async (session: string) => (await fetch(`${desk.url}/api/me`, { headers: { cookie: session } })).status;

    it('sends the browser to the provider\'s end-session endpoint with the sign-in\'s ID token, the login page and a state; the provider takes it and comes back', async () => {
      const id = await addProvider(op);
      const p = await person();
      const who = { sub: 'lo-1', email: p.email, emailVerified: true };
      const back = await ssoSignIn(id, op, who);
      expect(back.location).toBe('/');
      // kept with the session, sealed (a stolen database does not hold the token as such)
      const [row] = (await sessionRow(p.id)).filter((r) => r.sso_provider_id === id);
      expect(row?.sso_id_token).toMatch(/^v1:/);
      const kept = desk.parley.services.secrets.open<string>(row!.sso_id_token!);
      expect(claimsOf(kept)).toMatchObject({ iss: op.issuer, aud: op.clientId, sub: 'lo-1' });

      const before = op.signedOut();
      const out = await signOut(back.session);
      expect(out.status).toBe(200);
      expect(out.cleared).toBe(true);
      const url = new URL(out.json.redirect);
      expect(`${url.origin}${url.pathname}`).toBe(`${op.issuer}/session/end`);
      expect(url.searchParams.get('id_token_hint')).toBe(kept);
      expect(url.searchParams.get('post_logout_redirect_uri')).toBe(loginPage());
      expect(url.searchParams.get('client_id')).toBe(op.clientId);
      const state = url.searchParams.get('state');
      expect(state).toMatch(/^[\w-]{20,}$/);
      // over here: the session and its ID token are gone
      expect(await meStatus(back.session)).toBe(401);
      expect((await sessionRow(p.id)).filter((r) => r.id === row!.id)).toEqual([]);
      expect(JSON.stringify(await db().selectFrom('session').select('sso_id_token').execute())).not.toContain(row!.sso_id_token!);

      // the provider takes it (its own checks: a token it issued to this client, a registered URI) and comes back with the state
      const done = await completeEndSession(out.json.redirect);
      expect(done.status).toBe(303);
      expect(done.location).toBe(`${loginPage()}?state=${state}`);
      expect(op.signedOut()).toBe(before + 1);
      expect(op.endSessionRequests.at(-1)).toEqual({ idTokenHint: kept, postLogoutRedirectUri: loginPage(), clientId: op.clientId, state });
      expect(op.endSessionErrors).toEqual([]);
      // a second sign-out of the same session: nothing left to send anywhere
      expect((await fetch(`${desk.url}/api/auth/logout`, { method: 'POST', headers: { cookie: back.session } })).status).toBe(401);
    });

    it('is refused by the provider with a token it did not issue or a post-logout URI not registered (what the desk sends is what it checks)', async () => {
      const id = await addProvider(op);
      const p = await person();
      const out = await signOut((await ssoSignIn(id, op, { sub: 'lo-2', email: p.email, emailVerified: true })).session);
      const forged = new URL(out.json.redirect);
      const [h, , sig] = forged.searchParams.get('id_token_hint')!.split('.');
      forged.searchParams.set('id_token_hint', `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(new URL(out.json.redirect).searchParams.get('id_token_hint')!), sub: 'someone-else' })).toString('base64url')}.${sig}`);
      await expect(completeEndSession(forged.href)).rejects.toThrow(/400/);
      const elsewhere = new URL(out.json.redirect);
      elsewhere.searchParams.set('post_logout_redirect_uri', 'https://evil.example/login');
      await expect(completeEndSession(elsewhere.href)).rejects.toThrow(/400/);
      expect(op.endSessionErrors.at(-1)).toMatch(/post_logout_redirect_uri not registered/);
      // the real one still works
      expect((await completeEndSession(out.json.redirect)).location).toMatch(new RegExp(`^${loginPage()}\\?state=`));
    });

    it('keeps the ID token across the person\'s own second factor, and only until that step is taken', async () => {
      const id = await addProvider(op);
      const p = await person();
      const { secret } = await turnOnTwoFactor(p.client, clock);
      const back = await ssoSignIn(id, op, { sub: 'lo-3', email: p.email, emailVerified: true });
      expect(back.location).toBe('/login?sso_code=1');
      const pending = await db().selectFrom('sso_login').select(['id', 'id_token']).where('pending_user_id', '=', p.id).executeTakeFirstOrThrow();
      expect(pending.id_token).toMatch(/^v1:/);
      const res = await fetch(`${desk.url}/api/auth/sso/code`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address(), cookie: back.pending }, body: JSON.stringify({ code: totpCode(clock, secret) }) });
      expect(res.status).toBe(200);
      const session = cookieOf(res.headers.getSetCookie(), 'parley_session');
      expect((await db().selectFrom('sso_login').select('id_token').where('id', '=', pending.id).executeTakeFirstOrThrow()).id_token).toBeNull();
      const out = await signOut(session);
      expect(out.status).toBe(200);
      expect(claimsOf(new URL(out.json.redirect).searchParams.get('id_token_hint')!)).toMatchObject({ sub: 'lo-3', aud: op.clientId });
      expect((await completeEndSession(out.json.redirect)).status).toBe(303);
    });

    it('signs out plainly (204, nothing kept) after a password, with a provider without an end-session endpoint, and with the setting off', async () => {
      // a password
      const p = await person();
      const plain = await signOut(p.client.cookie);
      expect(plain).toMatchObject({ status: 204, json: null, cleared: true });

      // a provider that names no end_session_endpoint
      const none = await addProvider(noEnd, { label: 'No End' });
      expect((await admin.post(`/api/sso/providers/${none}/check`, {})).json.endSessionEndpoint).toBeNull();
      const q = await person();
      const viaNone = await ssoSignIn(none, noEnd, { sub: 'lo-4', email: q.email, emailVerified: true });
      expect((await sessionRow(q.id)).find((r) => r.sso_provider_id === none)?.sso_id_token).toBeNull();
      expect(await signOut(viaNone.session)).toMatchObject({ status: 204, json: null });
      expect(await meStatus(viaNone.session)).toBe(401);

      // "Sign out of Acme ID too" off: nothing kept at the sign-in, nothing sent at the sign-out
      const id = await addProvider(op, { signOutAtProvider: false });
      expect((await admin.get('/api/sso/providers')).json.providers.find((x: any) => x.id === id).signOutAtProvider).toBe(false);
      const r = await person();
      const viaOff = await ssoSignIn(id, op, { sub: 'lo-5', email: r.email, emailVerified: true });
      expect((await sessionRow(r.id)).find((x) => x.sso_provider_id === id)?.sso_id_token).toBeNull();
      expect(await signOut(viaOff.session)).toMatchObject({ status: 204, json: null });

      // turned off while signed in: the kept token goes at once, and the sign-out is plain
      const on = await addProvider(op);
      const s = await person();
      const viaOn = await ssoSignIn(on, op, { sub: 'lo-6', email: s.email, emailVerified: true });
      expect((await sessionRow(s.id)).find((x) => x.sso_provider_id === on)?.sso_id_token).toMatch(/^v1:/);
      expect((await admin.req('PATCH', `/api/sso/providers/${on}`, { signOutAtProvider: false })).json.signOutAtProvider).toBe(false);
      expect((await sessionRow(s.id)).find((x) => x.sso_provider_id === on)?.sso_id_token).toBeNull();
      expect(await signOut(viaOn.session)).toMatchObject({ status: 204, json: null });

      // a deleted provider's sessions go on as password ones: nothing kept
      const gone = await addProvider(op);
      const t = await person();
      const viaGone = await ssoSignIn(gone, op, { sub: 'lo-7', email: t.email, emailVerified: true });
      expect((await admin.req('DELETE', `/api/sso/providers/${gone}`)).status).toBe(204);
      expect((await sessionRow(t.id)).every((x) => x.sso_id_token === null)).toBe(true);
      expect(await signOut(viaGone.session)).toMatchObject({ status: 204, json: null });
    });

    it('ends the sessions a provider\'s back-channel logout names (sid, or sub), only with a logout token it signed', async () => {
      const id = await addProvider(back, { label: 'Back ID' });
      const other = await addProvider(op, { label: 'Other ID' });
      expect((await admin.get('/api/sso/providers')).json.backchannelLogoutUri).toBe(`${desk.url}/api/auth/sso/backchannel-logout`);
      const p = await person();
      const q = await person();
      const one = await ssoSignIn(id, back, { sub: 'bc-p', email: p.email, emailVerified: true });
      const two = await ssoSignIn(id, back, { sub: 'bc-p', email: p.email, emailVerified: true });
      const viaOther = await ssoSignIn(other, op, { sub: 'bc-p-other', email: p.email, emailVerified: true });
      const theirs = await ssoSignIn(id, back, { sub: 'bc-q', email: q.email, emailVerified: true });
      const sidOf = async (session: string) => (await db().selectFrom('session').select('sso_sid').where('id', '=', createHash('sha256').update(session.slice('parley_session='.length)).digest('hex')).executeTakeFirstOrThrow()).sso_sid;
      const sid = await sidOf(one.session);
      expect(sid).toMatch(/.+/);
      expect(await sidOf(two.session)).not.toBe(sid);
      const post = async (logoutToken: string, contentType = 'application/x-www-form-urlencoded') => {
        const res = await fetch(`${desk.url}/api/auth/sso/backchannel-logout`, { method: 'POST', headers: { 'content-type': contentType, 'x-forwarded-for': address() }, body: contentType.includes('json') ? JSON.stringify({ logout_token: logoutToken }) : new URLSearchParams({ logout_token: logoutToken }).toString() });
        return { status: res.status, json: res.status === 200 ? null : ((await res.json()) as any), cacheControl: res.headers.get('cache-control') };
      };
      const iat = Math.floor(clock.now() / 1000);
      const alive = async () => ({ one: await meStatus(one.session), two: await meStatus(two.session), other: await meStatus(viaOther.session), theirs: await meStatus(theirs.session), password: await meStatus(p.client.cookie) });

      // refused, ending nothing: another key, no event, a nonce, neither sid nor sub, too old, not a JWT
      for (const [why, token] of [
        ['another key', await back.logoutToken({ sid }, { key: 'other', iat })],
        ['no event', await back.logoutToken({ sid, events: {} }, { iat })],
        ['a nonce', await back.logoutToken({ sid, nonce: 'n' }, { iat })],
        ['neither sid nor sub', await back.logoutToken({}, { iat })],
        ['too old', await back.logoutToken({ sid }, { iat: iat - 3600 })],
        ['not a JWT', 'not.a.jwt'],
      ] as const) {
        const r = await post(token);
        expect(r.status, why).toBe(400);
        expect(r.json.code, why).toBe('sso.invalid_logout_token');
      }
      expect(await alive()).toEqual({ one: 200, two: 200, other: 200, theirs: 200, password: 200 });
      // another provider of the desk naming this provider's session: its own sessions only, so none
      expect((await post(await op.logoutToken({ sid }, { iat }))).status).toBe(200);
      expect(await alive()).toEqual({ one: 200, two: 200, other: 200, theirs: 200, password: 200 });

      // sid: that provider session's Parley session only
      const bySid = await post(await back.logoutToken({ sid }, { iat }));
      expect(bySid).toMatchObject({ status: 200, cacheControl: 'no-store' });
      expect(await alive()).toEqual({ one: 401, two: 200, other: 200, theirs: 200, password: 200 });
      // sub: every session of that person from that provider (not another provider's, not a password one, not someone else's)
      expect((await post(await back.logoutToken({ sub: 'bc-p' }, { iat }))).status).toBe(200);
      expect(await alive()).toEqual({ one: 401, two: 401, other: 200, theirs: 200, password: 200 });
      // nothing left to end, or nobody linked: still 200
      expect((await post(await back.logoutToken({ sub: 'bc-nobody' }, { iat }))).status).toBe(200);
      const audited = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'sso.backchannel_logout').orderBy('id').execute();
      expect(audited.filter((a) => a.actor === `sso:${id}`).map((a) => JSON.parse(String(a.data)).sessionsEnded)).toEqual([1, 1, 0]);
      // (every provider of the desk registered as that same client at that issuer looked, and ended none)
      const others = audited.filter((a) => a.actor !== `sso:${id}`);
      expect(others.map((a) => a.actor)).toContain(`sso:${other}`);
      expect(others.every((a) => JSON.parse(String(a.data)).sessionsEnded === 0)).toBe(true);
      // a JSON body is not what the specification sends, but carries the same token
      expect((await post(await back.logoutToken({ sub: 'bc-q' }, { iat }), 'application/json')).status).toBe(200);
      expect(await meStatus(theirs.session)).toBe(401);
    });

    it('takes a logout token once: a replayed jti from the same issuer is refused (400, audited) on every process, until the token would be too old anyway', async () => {
      const id = await addProvider(back, { label: 'Back ID (replays)' });
      const p = await person();
      const post = async (logoutToken: string) => {
        const res = await fetch(`${desk.url}/api/auth/sso/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address() }, body: new URLSearchParams({ logout_token: logoutToken }).toString() });
        return { status: res.status, json: res.status === 200 ? null : ((await res.json()) as any) };
      };
      const iat = Math.floor(clock.now() / 1000);
      const token = await back.logoutToken({ sub: 'rp-1', jti: 'replayed-jti-1' }, { iat });
      const first = await ssoSignIn(id, back, { sub: 'rp-1', email: p.email, emailVerified: true });
      expect((await post(token)).status).toBe(200);
      expect(await meStatus(first.session)).toBe(401);
      // kept in the database (every process of the desk reads it), until iat + 10 min + 1 min of clock tolerance
      const kept = await db().selectFrom('sso_logout_jti').selectAll().where('jti', '=', 'replayed-jti-1').execute();
      expect(kept.map((k) => ({ ...k, expires_at: Number(k.expires_at) }))).toEqual([{ issuer: back.issuer.replace(/\/+$/, ''), jti: 'replayed-jti-1', expires_at: (iat + 660) * 1000 }]);

      // signed in again: the same token sent again ends nothing
      const second = await ssoSignIn(id, back, { sub: 'rp-1', email: p.email, emailVerified: true });
      const ended = () => db().selectFrom('audit_event').select('data').where('action', '=', 'sso.backchannel_logout').where('actor', '=', `sso:${id}`).execute();
      const endedBefore = (await ended()).length;
      const replay = await post(token);
      expect(replay.status).toBe(400);
      expect(replay.json.code).toBe('sso.invalid_logout_token');
      expect(replay.json.detail ?? replay.json.message ?? JSON.stringify(replay.json)).toMatch(/replayed/);
      expect(await meStatus(second.session)).toBe(200);
      // another token (another iat, so another signature) with the same jti from the same issuer: refused too
      const again = await post(await back.logoutToken({ sub: 'rp-1', jti: 'replayed-jti-1' }, { iat: iat + 1 }));
      expect(again.status).toBe(400);
      expect(await meStatus(second.session)).toBe(200);
      expect((await ended()).length).toBe(endedBefore);
      const refused = await db().selectFrom('audit_event').select(['brand_id', 'subject_id', 'data']).where('action', '=', 'sso.backchannel_logout_refused').where('actor', '=', `sso:${id}`).execute();
      expect(refused).toHaveLength(2);
      expect(refused.map((r) => JSON.parse(String(r.data)))).toEqual([
        { reason: 'replayed', jti: 'replayed-jti-1', sub: 'rp-1' },
        { reason: 'replayed', jti: 'replayed-jti-1', sub: 'rp-1' },
      ]);
      expect(String(refused[0]!.subject_id)).toBe(String(id));

      // the same jti from another issuer is another token
      expect((await post(await op.logoutToken({ sub: 'rp-1', jti: 'replayed-jti-1' }, { iat }))).status).toBe(200);
      // a fresh jti still works
      expect((await post(await back.logoutToken({ sub: 'rp-1' }, { iat }))).status).toBe(200);
      expect(await meStatus(second.session)).toBe(401);

      // sent several times at once: taken once, the others refused
      const third = await ssoSignIn(id, back, { sub: 'rp-1', email: p.email, emailVerified: true });
      const once = await back.logoutToken({ sub: 'rp-1', jti: 'raced-jti' }, { iat });
      const raced = await Promise.all([0, 1, 2, 3, 4].map(() => post(once)));
      expect(raced.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400]);
      expect(await meStatus(third.session)).toBe(401);

      // the housekeeping sweep forgets a jti once its token is too old to be taken anyway
      await housekeeping({ store: desk.db.store, bus: desk.parley.services.bus }, (iat + 660) * 1000 - 1);
      expect((await db().selectFrom('sso_logout_jti').select('issuer').where('jti', '=', 'replayed-jti-1').execute()).length).toBe(2);
      await housekeeping({ store: desk.db.store, bus: desk.parley.services.bus }, (iat + 660) * 1000);
      expect(await db().selectFrom('sso_logout_jti').select('jti').where('jti', 'in', ['replayed-jti-1', 'raced-jti']).execute()).toEqual([]);
    });

    it('is in the OpenAPI document: the sign-out answers 200 with a redirect, or 204', async () => {
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      const responses = doc.paths['/api/auth/logout'].post.responses;
      expect(Object.keys(responses).sort()).toEqual(expect.arrayContaining(['200', '204']));
    });
  });
}
