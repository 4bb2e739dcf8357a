/**
 * IdP-initiated SAML sign-in (an app tile: an unsolicited Response, SAML Profiles 4.1.5), over HTTP
 * against a real desk on SQLite and PostgreSQL, with Responses signed by the loopback IdP's key
 * (test/contract-servers/saml-idp.ts): the admin's per-provider setting (off by default); off, an
 * unsolicited Response is refused and the audit trail says where to turn it on; on, a signed one
 * for our Audience / Recipient / Destination, in its time, freshly issued, signs the person in
 * (audited), once; a replay, a stale IssueInstant, an unsigned one, a solicited assertion stripped
 * of its Response's InResponseTo are refused; the RelayState lands only on a path of this desk;
 * SP-initiated sign-in goes on as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersFoundToken } from '../src/commands/sso.js';
import { DIALECTS } from './db.js';
import { makeKeyPair, startSamlIdp, type SamlUser, type TestSamlIdp } from './contract-servers/saml-idp.js';
import { authDesk, totpCode, turnOnTwoFactor } from './helpers/authDesk.js';
import type { Client, TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`IdP-initiated SAML sign-in [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let idp: TestSamlIdp;
    let ips = 0;
    const { clock, person } = authDesk(dialect, 'samlidp', (d, a) => { desk = d; admin = a; });
    const db = () => desk.db.store.db;
    const address = () => `198.19.${Math.floor(++ips / 250)}.${ips % 250}`;
    const acsUrl = () => `${desk.url}/api/auth/sso/saml/acs`;
    const spEntityId = () => `${desk.url}/api/auth/sso/saml/metadata`;
    const setting = (id: number) => `/api/sso/providers/${id}/saml/idp-initiated`;

    beforeAll(async () => {
      idp = await startSamlIdp({ clock });
    });
    afterAll(async () => idp?.close());

    /** A new SAML provider of the IdP, the only enabled one (each test's own: two allowing IdP-initiated sign-in for one IdP are ambiguous). */
    async function addProvider(over: Record<string, unknown> = {}): Promise<number> {
      await db().updateTable('sso_provider').set({ enabled: 0 }).execute();
      const res = await admin.post('/api/sso/providers', {
        protocol: 'saml', label: 'Acme Okta', issuer: idp.entityId, samlSsoUrl: idp.ssoUrl, samlCertificates: [idp.keyPair.cert],
        allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true, ...over,
      });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json.id as number;
    }
    const cookieOf = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0] ?? '';
    /** The browser's POST to the ACS, as an app tile's auto-submitting form makes it: no parley_saml cookie unless given. */
    async function acs(form: { SAMLResponse: string; RelayState?: string }, browser = '') {
      const body = new URLSearchParams({ SAMLResponse: form.SAMLResponse, ...(form.RelayState !== undefined ? { RelayState: form.RelayState } : {}) });
      const res = await fetch(acsUrl(), { method: 'POST', redirect: 'manual', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address(), ...(browser ? { cookie: browser } : {}) } });
      await res.text();
      return { status: res.status, location: res.headers.get('location') ?? '', session: cookieOf(res.headers.getSetCookie(), 'parley_session'), cookies: res.headers.getSetCookie() };
    }
    /** An unsolicited Response of the IdP's (no InResponseTo), signed (the assertion) unless told otherwise. */
    const tile = (user: SamlUser, over: Partial<Parameters<TestSamlIdp['response']>[0]> = {}) =>
      idp.response({ user, acsUrl: acsUrl(), audience: spEntityId(), inResponseTo: null, now: clock.now(), ...over });
    const ssoError = (location: string) => new URL(location, desk.url).searchParams.get('sso_error');
    const meWith = async (session: string) => {
      const res = await fetch(`${desk.url}/api/me`, { headers: { cookie: session } });
      return { status: res.status, json: (await res.json()) as any };
    };
    const lastRefusal = () => db().selectFrom('audit_event').selectAll().where('action', '=', 'sso.saml_refused').orderBy('id', 'desc').executeTakeFirst();
    const idpSignIns = (providerId: number) => db().selectFrom('audit_event').selectAll().where('action', '=', 'sso.saml_idp_initiated').where('subject_id', '=', String(providerId)).orderBy('id').execute();

    it('is an admin\'s per-provider setting, off by default: read and changed through the API, audited, agents refused, unknown providers 404', async () => {
      const id = await addProvider();
      const before = await admin.get(setting(id));
      expect(before.status, JSON.stringify(before.json)).toBe(200);
      expect(before.json).toEqual({ providerId: id, allowed: false, acsUrl: acsUrl(), maxAgeSeconds: 300 });

      const on = await admin.req('PUT', setting(id), { allowed: true });
      expect(on.status, JSON.stringify(on.json)).toBe(200);
      expect(on.json.allowed).toBe(true);
      expect((await admin.get(setting(id))).json.allowed).toBe(true);
      const audited = await db().selectFrom('audit_event').selectAll().where('action', '=', 'sso.provider.update').where('subject_id', '=', String(id)).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(JSON.parse(audited.data)).toEqual({ samlIdpInitiated: true });
      expect((await admin.req('PUT', setting(id), { allowed: false })).json.allowed).toBe(false);

      expect((await admin.req('PUT', setting(id), { allowed: 'yes' })).status).toBe(400);
      expect((await admin.get(setting(987_654))).status).toBe(404);
      const agent = await person();
      expect((await agent.client.get(setting(id))).status).toBe(403);
      expect((await agent.client.req('PUT', setting(id), { allowed: true })).status).toBe(403);
      expect((await admin.get(setting(id))).json.allowed).toBe(false);
    });

    it('off: an unsolicited Response, however well signed, is refused; the audit trail says where an admin turns it on', async () => {
      const id = await addProvider({ label: 'Tiles Off' });
      const p = await person();
      clock.advance(61_000); // an unverified refusal reaches the audit trail once a minute
      const res = await acs({ SAMLResponse: tile({ nameId: `off-${p.id}`, attributes: { email: p.email } }) });
      expect(res.status).toBe(302);
      expect(ssoError(res.location)).toBe('expired');
      expect(res.session).toBe('');
      const refused = await lastRefusal();
      expect(refused?.subject_id).toBe(String(id));
      expect(JSON.parse(refused!.data).reason).toMatch(/IdP-initiated sign-in is off for the provider "Tiles Off".*Admin → Single sign-on → Tiles Off → "Allow IdP-initiated sign-in/);
      expect(await idpSignIns(id)).toEqual([]);
      expect(await db().selectFrom('sso_identity').select('id').where('provider_id', '=', id).executeTakeFirst()).toBeUndefined();
    });

    it('on: a signed unsolicited Response signs the person in, lands on the inbox, is audited; the same assertion again is a replay', async () => {
      const id = await addProvider();
      await admin.req('PUT', setting(id), { allowed: true });
      const p = await person();
      const form = { SAMLResponse: tile({ nameId: `tile-${p.id}`, attributes: { email: p.email } }) };
      const done = await acs(form);
      expect(done.status).toBe(302);
      expect(done.location).toBe('/inbox');
      const me = await meWith(done.session);
      expect(me.status).toBe(200);
      expect(me.json.user.id).toBe(p.id);
      const link = await db().selectFrom('sso_identity').selectAll().where('provider_id', '=', id).executeTakeFirstOrThrow();
      expect(link.subject).toBe(`${idp.entityId} tile-${p.id}`);
      const signIns = await idpSignIns(id);
      expect(signIns).toHaveLength(1);
      expect(JSON.parse(signIns[0]!.data)).toMatchObject({ user: p.id, next: '/inbox', provisioned: false });
      const login = await db().selectFrom('audit_event').selectAll().where('action', '=', 'auth.login').orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(JSON.parse(login.data)).toMatchObject({ via: 'sso', provider: id });
      // the assertion ID is kept against replays, at least as long as its IssueInstant could pass
      const assertionId = JSON.parse(signIns[0]!.data).assertionId as string;
      const kept = await db().selectFrom('sso_saml_assertion').selectAll().where('issuer', '=', idp.entityId).where('assertion_id', '=', assertionId).executeTakeFirstOrThrow();
      expect(Number(kept.expires_at)).toBeGreaterThanOrEqual(clock.now() + 5 * 60_000);

      // the very same POST again, a minute later, and later still (within its validity)
      for (const wait of [60_000, 3 * 60_000]) {
        clock.advance(wait);
        const replay = await acs(form);
        expect(ssoError(replay.location)).toBe('expired');
        expect(replay.session).toBe('');
        const refused = await lastRefusal();
        expect(refused?.subject_id).toBe(String(id));
        expect(JSON.parse(refused!.data).reason).toMatch(/replayed/);
      }
      // the same assertion ID in a newly signed Response is a replay too
      const again = await acs({ SAMLResponse: tile({ nameId: `tile-${p.id}`, attributes: { email: p.email } }, { assertionId }) });
      expect(ssoError(again.location)).toBe('expired');
      expect(JSON.parse((await lastRefusal())!.data).reason).toMatch(/replayed/);
      expect(await idpSignIns(id)).toHaveLength(1);
    });

    it('refuses a stale IssueInstant, one from the future, an unsigned or wrongly signed one, another audience, recipient or destination, an expired one, a solicited assertion passed off as unsolicited', async () => {
      const id = await addProvider();
      await admin.req('PUT', setting(id), { allowed: true });
      const p = await person();
      const who = { nameId: `bad-${p.id}`, attributes: { email: p.email } };
      // a solicited Response (InResponseTo in its assertion) with the Response's own InResponseTo cut out (only the assertion is signed)
      const solicited = () => Buffer.from(Buffer.from(tile(who, { inResponseTo: '_someone-elses-request' }), 'base64').toString('utf8').replace(/(<samlp:Response[^>]*?) InResponseTo="[^"]*"/, '$1'), 'utf8').toString('base64');
      expect(Buffer.from(solicited(), 'base64').toString('utf8')).toMatch(/^<samlp:Response(?![^>]*InResponseTo)/);
      const cases: [(now: number) => string, RegExp][] = [
        // issued 10 minutes ago, still inside its NotOnOrAfter: too old for an unsolicited one
        [(now) => tile(who, { now: now - 10 * 60_000, notOnOrAfter: now + 5 * 60_000 }), /stale.*IssueInstant/],
        [(now) => tile(who, { now: now + 10 * 60_000, notBefore: now - 60_000 }), /IssueInstant is in the future/],
        [solicited, /InResponseTo/],
        [() => tile(who, { audience: 'https://someone-else.example/sp' }), /audience/i],
        [() => tile(who, { recipient: 'https://someone-else.example/acs' }), /Recipient/],
        [() => tile(who, { destination: 'https://someone-else.example/acs', sign: 'response' }), /Destination/],
        [(now) => tile(who, { now: now - 20 * 60_000, notBefore: now - 21 * 60_000, notOnOrAfter: now - 10 * 60_000 }), /expired|stale/],
      ];
      for (const [response, reason] of cases) {
        // (a refusal before the signature is known good reaches the audit trail once a minute)
        clock.advance(61_000);
        const res = await acs({ SAMLResponse: response(clock.now()) });
        expect(ssoError(res.location), String(reason)).toBe('provider');
        expect(res.session).toBe('');
        const refused = await lastRefusal();
        expect(refused?.subject_id).toBe(String(id));
        expect(JSON.parse(refused!.data).reason, String(reason)).toMatch(reason);
      }
      // not verified by the provider's key: refused (its audit trail hears of it at most once a minute)
      for (const SAMLResponse of [tile(who, { sign: 'none' }), tile(who, { keyPair: makeKeyPair('Mallory') })]) {
        clock.advance(61_000);
        const res = await acs({ SAMLResponse });
        expect(ssoError(res.location)).toBe('provider');
        expect(res.session).toBe('');
        expect(JSON.parse((await lastRefusal())!.data)).toMatchObject({ unverified: true, reason: expect.stringMatching(/signature/i) });
      }
      expect(await idpSignIns(id)).toEqual([]);
      // a fresh one is taken: the refusals were the Responses', not the provider's
      expect((await acs({ SAMLResponse: tile(who) })).location).toBe('/inbox');
    });

    it('uses the RelayState only as a path of this desk: an absolute URL, a scheme-relative one or a backslash trick lands on the inbox', async () => {
      const id = await addProvider();
      await admin.req('PUT', setting(id), { allowed: true });
      const p = await person();
      const who = { nameId: `relay-${p.id}`, attributes: { email: p.email } };
      for (const [relayState, landing] of [
        ['https://evil.example/', '/inbox'],
        ['//evil.example/inbox', '/inbox'],
        ['/\\evil.example', '/inbox'],
        ['javascript:alert(1)', '/inbox'],
        ['/inbox/open?conversation=12', '/inbox/open?conversation=12'],
      ] as const) {
        const res = await acs({ SAMLResponse: tile(who), RelayState: relayState });
        expect(res.status).toBe(302);
        expect(res.location, relayState).toBe(landing);
        expect((await meWith(res.session)).json.user.id).toBe(p.id);
      }
      const last = (await idpSignIns(id)).at(-1)!;
      expect(JSON.parse(last.data).next).toBe('/inbox/open?conversation=12');
    });

    it('asks the person\'s own second factor after it, as after any sign-in with a provider not trusted to enforce MFA', async () => {
      const id = await addProvider();
      await admin.req('PUT', setting(id), { allowed: true });
      const p = await person();
      const { secret } = await turnOnTwoFactor(p.client, clock);
      const res = await acs({ SAMLResponse: tile({ nameId: `mfa-${p.id}`, attributes: { email: p.email } }), RelayState: '/inbox/mine' });
      expect(res.location).toBe('/login?sso_code=1&redirect=%2Finbox%2Fmine');
      expect(res.session).toBe('');
      const pending = cookieOf(res.cookies, 'parley_sso');
      expect(pending).not.toBe('');
      const code = await fetch(`${desk.url}/api/auth/sso/code`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: pending, 'x-forwarded-for': address() }, body: JSON.stringify({ code: totpCode(clock, secret) }) });
      expect(code.status).toBe(200);
      expect(((await code.json()) as any).user.id).toBe(p.id);
    });

    it('leaves SP-initiated sign-in as it was when on: the round trip signs in, a Response without InResponseTo to a started sign-in is refused', async () => {
      const id = await addProvider();
      await admin.req('PUT', setting(id), { allowed: true });
      const p = await person();
      const who = { nameId: `sp-${p.id}`, attributes: { email: p.email } };
      const start = async () => {
        const found = `parley_sso_found=${providersFoundToken(desk.parley.services.secrets, [id], clock.now())}`;
        const res = await fetch(`${desk.url}/api/auth/sso/${id}/start?next=${encodeURIComponent('/queues')}`, { redirect: 'manual', headers: { cookie: found, 'x-forwarded-for': address() } });
        await res.text();
        const html = await (await fetch(res.headers.get('location')!)).text();
        const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') ?? '';
        return { browser: cookieOf(res.headers.getSetCookie(), 'parley_saml'), SAMLResponse: field('SAMLResponse'), RelayState: field('RelayState') };
      };
      idp.signInAs(who);
      const sp = await start();
      const done = await acs({ SAMLResponse: sp.SAMLResponse, RelayState: sp.RelayState }, sp.browser);
      expect(done.location).toBe('/queues');
      expect((await meWith(done.session)).json.user.id).toBe(p.id);
      // a started sign-in's RelayState keeps its rules: an answer without InResponseTo is refused there
      const again = await start();
      const unsolicited = await acs({ SAMLResponse: tile(who), RelayState: again.RelayState }, again.browser);
      expect(ssoError(unsolicited.location)).toBe('provider');
      expect(JSON.parse((await lastRefusal())!.data).reason).toMatch(/InResponseTo/);
      expect(await idpSignIns(id)).toEqual([]);
    });

    it('refuses an unsolicited Response that verifies for several providers allowing it (one IdP entity id and key): which one is unknowable', async () => {
      const first = await addProvider({ label: 'Tiles A' });
      const second = await addProvider({ label: 'Tiles B' });
      await db().updateTable('sso_provider').set({ enabled: 1 }).where('id', '=', first).execute();
      for (const id of [first, second]) expect((await admin.req('PUT', setting(id), { allowed: true })).json.allowed).toBe(true);
      const p = await person();
      const res = await acs({ SAMLResponse: tile({ nameId: `two-${p.id}`, attributes: { email: p.email } }) });
      expect(ssoError(res.location)).toBe('provider');
      expect(res.session).toBe('');
      expect(JSON.parse((await lastRefusal())!.data).reason).toMatch(/several providers/);
      // one of them refusing: the other takes it
      await admin.req('PUT', setting(first), { allowed: false });
      expect((await acs({ SAMLResponse: tile({ nameId: `two-${p.id}`, attributes: { email: p.email } }) })).location).toBe('/inbox');
      expect(await idpSignIns(second)).toHaveLength(1);
    });
  });
}
