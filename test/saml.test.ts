/**
 * Single sign-on with SAML 2.0, over HTTP against a real desk on SQLite and PostgreSQL and a SAML
 * IdP on loopback (test/contract-servers/saml-idp.ts, signing with xml-crypto): the round trip
 * (HTTP-Redirect AuthnRequest, HTTP-POST Response to the ACS) links the person by issuer + NameID
 * and makes a session; what is refused, each landing on the login page with its code and audited
 * with the reason: unsigned, signed by another key, another audience, expired, a replay, an
 * unsolicited Response, another domain, a disabled person; the admins' settings (certificates
 * checked, IdP metadata imported) and the SP metadata.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersFoundToken } from '../src/commands/sso.js';
import { DIALECTS } from './db.js';
import { makeKeyPair, startSamlIdp, type SamlUser, type TestSamlIdp } from './contract-servers/saml-idp.js';
import { authDesk, totpCode, turnOnTwoFactor } from './helpers/authDesk.js';
import type { Client, TestDesk } from './helpers/parley.js';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

for (const dialect of DIALECTS) {
  describe(`single sign-on with SAML 2.0 [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let idp: TestSamlIdp;
    let ips = 0;
    const { clock, person } = authDesk(dialect, 'saml', (d, a) => { desk = d; admin = a; });
    const db = () => desk.db.store.db;
    const address = () => `198.18.${Math.floor(++ips / 250)}.${ips % 250}`;
    const acsUrl = () => `${desk.url}/api/auth/sso/saml/acs`;
    const spEntityId = () => `${desk.url}/api/auth/sso/saml/metadata`;

    beforeAll(async () => {
      idp = await startSamlIdp({ clock });
    });
    afterAll(async () => idp?.close());

    const settings = (over: Record<string, unknown> = {}) => ({
      protocol: 'saml', label: 'Acme SAML', issuer: idp.entityId, samlSsoUrl: idp.ssoUrl, samlCertificates: [idp.keyPair.cert],
      allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true, ...over,
    });
    async function addProvider(over: Record<string, unknown> = {}): Promise<number> {
      const res = await admin.post('/api/sso/providers', settings(over));
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json.id as number;
    }
    const cookieOf = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0] ?? '';

    /** Start at the desk (found by discovery, as a desk of several brands requires): the IdP's URL and the browser's SAML cookie. */
    async function start(providerId: number, next?: string) {
      const found = `parley_sso_found=${providersFoundToken(desk.parley.services.secrets, [providerId], clock.now())}`;
      const res = await fetch(`${desk.url}/api/auth/sso/${providerId}/start${next ? `?next=${encodeURIComponent(next)}` : ''}`, { redirect: 'manual', headers: { cookie: found, 'x-forwarded-for': address() } });
      await res.text();
      const cookies = res.headers.getSetCookie();
      return { status: res.status, location: res.headers.get('location') ?? '', browser: cookieOf(cookies, 'parley_saml'), setCookie: cookies.find((c) => c.startsWith('parley_saml=')) ?? '' };
    }
    /** At the IdP: the HTTP-POST binding's form (SAMLResponse, RelayState). */
    async function atIdp(url: string) {
      const html = await (await fetch(url)).text();
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') ?? '';
      const action = /action="([^"]+)"/.exec(html)?.[1] ?? '';
      return { action, SAMLResponse: field('SAMLResponse'), RelayState: field('RelayState') };
    }
    /** The browser's POST to the ACS. */
    async function acs(form: { SAMLResponse: string; RelayState?: string }, browser: string, ip = address()) {
      const body = new URLSearchParams({ SAMLResponse: form.SAMLResponse, ...(form.RelayState !== undefined ? { RelayState: form.RelayState } : {}) });
      const res = await fetch(acsUrl(), { method: 'POST', redirect: 'manual', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, ...(browser ? { cookie: browser } : {}) } });
      await res.text();
      return { status: res.status, location: res.headers.get('location') ?? '', session: cookieOf(res.headers.getSetCookie(), 'parley_session') };
    }
    async function samlSignIn(providerId: number, user: SamlUser, over: Parameters<TestSamlIdp['signInAs']>[1] = {}, next?: string) {
      idp.signInAs(user, over);
      const started = await start(providerId, next);
      expect(started.status).toBe(302);
      const form = await atIdp(started.location);
      expect(form.action).toBe(acsUrl());
      return { ...(await acs(form, started.browser)), form, browser: started.browser };
    }
    const ssoError = (location: string) => new URL(location, desk.url).searchParams.get('sso_error');
    const meWith = async (session: string) => {
      const res = await fetch(`${desk.url}/api/me`, { headers: { cookie: session } });
      return { status: res.status, json: (await res.json()) as any };
    };
    const lastRefusal = () => db().selectFrom('audit_event').selectAll().where('action', '=', 'sso.saml_refused').orderBy('id', 'desc').executeTakeFirst();

    it('takes settings (certificates checked, clear 400s), imports IdP metadata, shows the SP entity id and ACS URL, serves SP metadata', async () => {
      const made = await admin.post('/api/sso/providers', settings());
      expect(made.status, JSON.stringify(made.json)).toBe(201);
      expect(made.json).toMatchObject({ protocol: 'saml', issuer: idp.entityId, clientId: '', samlSsoUrl: idp.ssoUrl, hasClientSecret: false, samlEmailAttribute: null });
      expect(made.json.samlCertificates[0].subject).toContain('CN=Test IdP');

      const bad = await admin.post('/api/sso/providers', settings({ samlCertificates: ['-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----'] }));
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('sso.invalid_saml');
      expect(bad.json.detail ?? bad.json.message ?? JSON.stringify(bad.json)).toMatch(/certificate/);
      const none = await admin.post('/api/sso/providers', settings({ samlCertificates: [] }));
      expect(none.status).toBe(400);
      expect(JSON.stringify(none.json)).toMatch(/signing certificate is needed/);
      expect((await admin.post('/api/sso/providers', settings({ samlSsoUrl: 'http://idp.example/sso' }))).status).toBe(400);
      const garbage = await admin.post('/api/sso/providers', { protocol: 'saml', label: 'x', samlMetadataXml: '<not xml', allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true });
      expect(garbage.status).toBe(400);

      const imported = await admin.post('/api/sso/providers', { protocol: 'saml', label: 'From metadata', samlMetadataXml: idp.metadata(), allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: false });
      expect(imported.status, JSON.stringify(imported.json)).toBe(201);
      expect(imported.json).toMatchObject({ issuer: idp.entityId, samlSsoUrl: idp.ssoUrl });
      expect(imported.json.samlCertificates).toHaveLength(1);
      // a changed certificate is checked too; the protocol is fixed
      expect((await admin.req('PATCH', `/api/sso/providers/${imported.json.id}`, { samlCertificates: ['nope'] })).status).toBe(400);
      expect((await admin.req('PATCH', `/api/sso/providers/${imported.json.id}`, { protocol: 'oidc' })).status).toBe(400);
      expect((await admin.req('PATCH', `/api/sso/providers/${imported.json.id}`, { samlEmailAttribute: 'mail' })).json.samlEmailAttribute).toBe('mail');

      const listed = await admin.get('/api/sso/providers');
      expect(listed.json).toMatchObject({ samlEntityId: spEntityId(), samlAcsUrl: acsUrl() });
      const meta = await fetch(spEntityId());
      expect(meta.status).toBe(200);
      const xml = await meta.text();
      expect(xml).toContain(`entityID="${spEntityId()}"`);
      expect(xml).toContain(`Location="${acsUrl()}"`);
      expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
      for (const id of [made.json.id, imported.json.id]) expect((await admin.req('DELETE', `/api/sso/providers/${id}`)).status).toBe(204);
    });

    it('signs in: the AuthnRequest by redirect, the signed Response posted to the ACS; links by issuer + NameID, makes a session, audits', async () => {
      const id = await addProvider({ allowedDomains: ['acme.test'] });
      const p = await person();
      const started = await start(id, '/inbox');
      expect(started.status).toBe(302);
      expect(started.location.startsWith(`${idp.ssoUrl}?SAMLRequest=`)).toBe(true);
      expect(new URL(started.location).searchParams.get('RelayState')).toBeTruthy();
      expect(started.setCookie).toMatch(/SameSite=None/i);
      expect(started.setCookie).toMatch(/Secure/i);

      idp.signInAs({ nameId: 'okta-00u1', nameIdFormat: PERSISTENT, attributes: { email: p.email.toUpperCase() } });
      const form = await atIdp(started.location);
      expect(idp.lastRequest).toMatchObject({ acsUrl: acsUrl(), issuer: spEntityId() });
      const done = await acs(form, started.browser);
      expect(done.status).toBe(302);
      expect(done.location).toBe('/inbox');
      const me = await meWith(done.session);
      expect(me.status).toBe(200);
      expect(me.json.user.id).toBe(p.id);
      const link = await db().selectFrom('sso_identity').selectAll().where('provider_id', '=', id).executeTakeFirstOrThrow();
      expect(link.subject).toBe(`${idp.entityId} okta-00u1`);
      const login = await db().selectFrom('audit_event').selectAll().where('action', '=', 'auth.login').orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(JSON.parse(login.data)).toMatchObject({ via: 'sso', provider: id });

      // the link decides afterwards: another email at the IdP still signs in the same person
      const again = await samlSignIn(id, { nameId: 'okta-00u1', nameIdFormat: PERSISTENT, attributes: { email: 'renamed@acme.test' } });
      expect((await meWith(again.session)).json.user.id).toBe(p.id);
      // a Response signed as a whole (not the assertion) is taken too; an emailAddress NameID is the email
      const q = await person();
      const whole = await samlSignIn(id, { nameId: q.email, nameIdFormat: EMAIL_FORMAT }, { sign: 'response' });
      expect(whole.location).toBe('/');
      expect((await meWith(whole.session)).json.user.id).toBe(q.id);
    });

    /** A provider's SP metadata and the certificate in it (the use="encryption" one). */
    async function spMetadata(providerId: number) {
      const res = await fetch(`${desk.url}/api/auth/sso/saml/${providerId}/metadata`);
      const xml = await res.text();
      const certOf = (use: string) => {
        const b64 = new RegExp(`<KeyDescriptor use="${use}">[\\s\\S]*?<ds:X509Certificate>([^<]+)</ds:X509Certificate>`).exec(xml)?.[1]?.replace(/\s+/g, '');
        return b64 ? `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n` : null;
      };
      return { status: res.status, xml, encryptionCert: certOf('encryption'), signingCert: certOf('signing') };
    }

    it('signs its AuthnRequests with the provider\'s own SP key when set: the IdP that requires signing verifies them and refuses unsigned or altered ones; the SP metadata publishes the certificate, never the key', async () => {
      const id = await addProvider();
      const p = await person();
      const who = { nameId: `sig-${p.id}`, attributes: { email: p.email } };
      const made = (await admin.get('/api/sso/providers')).json.providers.find((x: any) => x.id === id);
      expect(made).toMatchObject({ signAuthnRequests: false, wantEncryptedAssertions: false, samlSpMetadataPath: `/api/auth/sso/saml/${id}/metadata` });

      // the key pair is made on first need and kept: the same certificate every time, the private key sealed
      const meta = await spMetadata(id);
      expect(meta.status).toBe(200);
      expect(meta.xml).toContain(`entityID="${spEntityId()}"`);
      expect(meta.xml).toContain('WantAssertionsSigned="true"');
      expect(meta.xml).toContain('AuthnRequestsSigned="false"');
      expect(meta.signingCert).toBeNull();
      const spCert = meta.encryptionCert!;
      expect(new X509Certificate(spCert).subject).toContain('Parley SAML SP');
      expect((await spMetadata(id)).encryptionCert).toBe(spCert);
      const keyMade = await db().selectFrom('audit_event').selectAll().where('action', '=', 'sso.saml_sp_key.create').where('subject_id', '=', String(id)).execute();
      expect(keyMade.map((a) => JSON.parse(a.data))).toEqual([{ certificateSha256: new X509Certificate(spCert).fingerprint256 }]);
      const row = await db().selectFrom('sso_provider').select(['saml_sp_key', 'saml_sp_cert']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.saml_sp_key).toMatch(/^v1:/);
      expect(row.saml_sp_key).not.toContain('PRIVATE KEY');
      expect(JSON.stringify((await admin.get('/api/sso/providers')).json)).not.toMatch(/PRIVATE KEY|saml_sp_key|v1:/);
      expect((await fetch(`${desk.url}/api/auth/sso/saml/999999/metadata`)).status).toBe(404);

      try {
        idp.requireSignedRequests = spCert;
        // not signing yet: the IdP refuses, nothing comes back
        idp.signInAs(who);
        const unsigned = await start(id);
        expect(unsigned.location).not.toContain('Signature=');
        const page = await fetch(unsigned.location);
        expect(page.status).toBe(400);
        expect(idp.lastRequest).toMatchObject({ signed: false, refused: expect.stringMatching(/not signed/) });

        const on = await admin.req('PATCH', `/api/sso/providers/${id}`, { signAuthnRequests: true });
        expect(on.status, JSON.stringify(on.json)).toBe(200);
        expect(on.json.signAuthnRequests).toBe(true);
        const signedMeta = await spMetadata(id);
        expect(signedMeta.xml).toContain('AuthnRequestsSigned="true"');
        expect(signedMeta.signingCert).toBe(spCert);

        const done = await samlSignIn(id, who);
        expect(idp.lastRequest).toMatchObject({ signed: true, refused: null });
        expect(done.location).toBe('/');
        expect((await meWith(done.session)).json.user.id).toBe(p.id);
        const url = new URL((await start(id)).location);
        expect(url.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');

        // the signature covers the request and the RelayState: another RelayState breaks it
        const altered = (await start(id)).location.replace(/RelayState=[^&]+/, 'RelayState=someone-elses');
        expect((await fetch(altered)).status).toBe(400);
        expect(idp.lastRequest?.refused).toMatch(/does not verify/);
        // each provider has its own key: another provider's certificate does not verify this one's requests
        const other = await addProvider({ label: 'Other SAML', signAuthnRequests: true });
        idp.requireSignedRequests = (await spMetadata(other)).signingCert;
        expect(idp.requireSignedRequests).not.toBe(spCert);
        expect((await fetch((await start(id)).location)).status).toBe(400);
        expect(idp.lastRequest?.refused).toMatch(/does not verify/);
        expect((await fetch((await start(other)).location)).status).toBe(200);
      } finally {
        idp.requireSignedRequests = null;
      }
    });

    it('takes an assertion encrypted to the provider\'s SP certificate; refuses one encrypted for another key, and a plaintext one when encryption is required — audited with the reason', async () => {
      const id = await addProvider({ wantEncryptedAssertions: true });
      const p = await person();
      const who = { nameId: `enc-${p.id}`, attributes: { email: p.email } };
      const spCert = (await spMetadata(id)).encryptionCert!;

      const done = await samlSignIn(id, who, { encryptTo: spCert });
      expect(done.location).toBe('/');
      expect(Buffer.from(done.form.SAMLResponse, 'base64').toString('utf8')).toMatch(/<saml:EncryptedAssertion>[\s\S]*xenc:EncryptedData/);
      expect(Buffer.from(done.form.SAMLResponse, 'base64').toString('utf8')).not.toContain(`enc-${p.id}`);
      expect((await meWith(done.session)).json.user.id).toBe(p.id);
      // the Response signed over the EncryptedAssertion is taken too
      expect((await samlSignIn(id, who, { encryptTo: spCert, sign: 'response' })).location).toBe('/');

      const other = await addProvider({ label: 'Other SAML' });
      const cases: [Parameters<TestSamlIdp['signInAs']>[1], string, RegExp][] = [
        [{}, 'provider', /not encrypted/],
        [{ sign: 'response' }, 'provider', /not encrypted/],
        [{ encryptTo: makeKeyPair('Someone else').cert }, 'provider', /undecryptable/],
        [{ encryptTo: (await spMetadata(other)).encryptionCert! }, 'provider', /undecryptable/],
        // decrypted, but signed by another key
        [{ encryptTo: spCert, keyPair: makeKeyPair('Mallory') }, 'provider', /signature/i],
      ];
      for (const [over, code, reason] of cases) {
        const res = await samlSignIn(id, who, over);
        expect(ssoError(res.location), JSON.stringify(over).slice(0, 100)).toBe(code);
        expect(res.session).toBe('');
        const audited = await lastRefusal();
        expect(audited?.subject_id).toBe(String(id));
        expect(JSON.parse(audited!.data).reason).toMatch(reason);
      }
      // not required: a plaintext assertion is taken again, an encrypted one still is
      expect((await admin.req('PATCH', `/api/sso/providers/${id}`, { wantEncryptedAssertions: false })).json.wantEncryptedAssertions).toBe(false);
      expect((await samlSignIn(id, who)).location).toBe('/');
      expect((await samlSignIn(id, who, { encryptTo: spCert })).location).toBe('/');
    });

    it('refuses an unsigned Response, one signed by another key, another audience, an expired one, another recipient — audited with the reason', async () => {
      const id = await addProvider();
      const p = await person();
      const who = { nameId: `n-${p.id}`, attributes: { email: p.email } };
      const cases: [Parameters<TestSamlIdp['signInAs']>[1], RegExp][] = [
        [{ sign: 'none' }, /signature/i],
        [{ keyPair: makeKeyPair('Mallory') }, /signature/i],
        [{ audience: 'https://someone-else.example/sp' }, /audience/i],
        [{ notOnOrAfter: clock.now() - 10 * 60_000, notBefore: clock.now() - 20 * 60_000 }, /expired/i],
        [{ notBefore: clock.now() + 10 * 60_000 }, /not yet valid/i],
        [{ recipient: 'https://someone-else.example/acs' }, /Recipient/],
        [{ destination: 'https://someone-else.example/acs', sign: 'response' }, /Destination/],
        [{ issuer: 'https://other-idp.example' }, /issuer/i],
      ];
      for (const [over, reason] of cases) {
        const res = await samlSignIn(id, who, over);
        expect(res.status, JSON.stringify(over)).toBe(302);
        expect(ssoError(res.location), JSON.stringify(over)).toBe('provider');
        expect(res.session).toBe('');
        const audited = await lastRefusal();
        expect(audited?.subject_id).toBe(String(id));
        expect(JSON.parse(audited!.data).reason, JSON.stringify(over)).toMatch(reason);
      }
      // a minute of clock skew is fine
      expect((await samlSignIn(id, who, { notBefore: clock.now() + 60_000 })).location).toBe('/');
      expect(await db().selectFrom('sso_identity').select('id').where('provider_id', '=', id).executeTakeFirst()).toBeDefined();
    });

    it('takes a Response once: a replay, an unsolicited Response, one answering another request, another browser are refused', async () => {
      const id = await addProvider();
      const p = await person();
      const who = { nameId: `r-${p.id}`, attributes: { email: p.email } };
      const ok = await samlSignIn(id, who);
      expect(ok.location).toBe('/');
      // the very same POST again
      const replay = await acs(ok.form, ok.browser);
      expect(ssoError(replay.location)).toBe('expired');
      expect(replay.session).toBe('');
      expect(JSON.parse((await lastRefusal())!.data).reason).toMatch(/already used|no such sign-in/);

      // the same assertion in a fresh sign-in's form (its RelayState and browser): the assertion answers another request
      idp.signInAs(who);
      const fresh = await start(id);
      const freshForm = await atIdp(fresh.location);
      const spliced = await acs({ SAMLResponse: ok.form.SAMLResponse, RelayState: freshForm.RelayState }, fresh.browser);
      expect(ssoError(spliced.location)).toBe('provider');
      expect(JSON.parse((await lastRefusal())!.data).reason).toMatch(/InResponseTo/);

      // the replay cache: an assertion ID taken before is refused even in a Response to a new request
      const taken = await db().selectFrom('sso_saml_assertion').selectAll().where('issuer', '=', idp.entityId).orderBy('expires_at', 'desc').executeTakeFirstOrThrow();
      idp.signInAs(who, { assertionId: taken.assertion_id });
      const third = await start(id);
      const reused = await acs(await atIdp(third.location), third.browser);
      expect(ssoError(reused.location)).toBe('expired');
      expect(JSON.parse((await lastRefusal())!.data).reason).toMatch(/replayed/);

      // unsolicited (IdP-initiated): no InResponseTo, no RelayState
      clock.advance(61_000); // the replay above was the last refusal no sign-in stood behind
      const unsolicited = await acs({ SAMLResponse: idp.response({ user: who, acsUrl: acsUrl(), audience: spEntityId(), inResponseTo: null, now: clock.now() }) }, '');
      expect(ssoError(unsolicited.location)).toBe('expired');
      const unverified = await lastRefusal();
      expect(JSON.parse(unverified!.data)).toMatchObject({ reason: expect.stringMatching(/unsolicited/), unverified: true });
      // anyone can POST a Response naming the provider: within the minute, such refusals are not audited again
      for (let i = 0; i < 5; i++) {
        const flood = await acs({ SAMLResponse: idp.response({ user: who, acsUrl: acsUrl(), audience: spEntityId(), inResponseTo: null, now: clock.now() }) }, '');
        expect(ssoError(flood.location)).toBe('expired');
      }
      expect((await lastRefusal())!.id).toBe(unverified!.id);
      // no InResponseTo, though a sign-in was started
      const fourth = await start(id);
      const form4 = await atIdp(fourth.location);
      const noIrt = await acs({ SAMLResponse: idp.response({ user: who, acsUrl: acsUrl(), audience: spEntityId(), inResponseTo: null, now: clock.now() }), RelayState: form4.RelayState }, fourth.browser);
      expect(ssoError(noIrt.location)).toBe('provider');
      expect(JSON.parse((await lastRefusal())!.data).reason).toMatch(/InResponseTo/);

      // another browser (no parley_saml cookie of this sign-in)
      idp.signInAs(who);
      const fifth = await start(id);
      const stolen = await acs(await atIdp(fifth.location), 'parley_saml=someone-else');
      expect(ssoError(stolen.location)).toBe('expired');
      // housekeeping forgets assertions past their time
      const { housekeeping } = await import('../src/jobs/housekeeping.js');
      await housekeeping({ store: desk.db.store, bus: desk.parley.services.bus } as any, clock.now() + 60 * 60_000);
      expect(await db().selectFrom('sso_saml_assertion').select('assertion_id').where('assertion_id', '=', taken.assertion_id).executeTakeFirst()).toBeUndefined();
    });

    it('follows the person rules: allowed domains, disabled people, no account, provisioning; odd attributes are kept as text', async () => {
      const id = await addProvider({ allowedDomains: ['acme.test'] });
      const outside = await samlSignIn(id, { nameId: 'd-1', attributes: { email: 'someone@elsewhere.test' } });
      expect(ssoError(outside.location)).toBe('domain');
      expect(JSON.parse((await lastRefusal())!.data)).toMatchObject({ code: 'domain' });
      const nobody = await samlSignIn(id, { nameId: 'd-2', attributes: { email: 'nobody@acme.test' } });
      expect(ssoError(nobody.location)).toBe('no_account');
      const noEmail = await samlSignIn(id, { nameId: 'd-3', attributes: {} });
      expect(ssoError(noEmail.location)).toBe('unverified_email');

      const p = await person();
      await db().updateTable('app_user').set({ disabled_at: clock.now() }).where('id', '=', p.id).execute();
      const disabled = await samlSignIn(id, { nameId: 'd-4', attributes: { email: p.email } });
      expect(ssoError(disabled.location)).toBe('disabled');
      expect(disabled.session).toBe('');
      await db().updateTable('app_user').set({ disabled_at: null }).where('id', '=', p.id).execute();

      // a new person, named by the IdP's attribute: markup and odd Unicode are kept as plain text
      expect((await admin.req('PATCH', `/api/sso/providers/${id}`, { autoProvisionRole: 'agent', samlNameAttribute: 'displayName' })).status).toBe(200);
      const odd = '<img src=x onerror=alert(1)> Zoë \u202Eevil\u202C \u200Bname "&amp;"';
      const made = await samlSignIn(id, { nameId: 'd-5', attributes: { email: 'newcomer@acme.test', displayName: odd } });
      expect(made.location).toBe('/');
      const me = await meWith(made.session);
      expect(me.json.user).toMatchObject({ email: 'newcomer@acme.test', name: odd, role: 'agent' });
      const created = await db().selectFrom('audit_event').selectAll().where('action', '=', 'user.created').where('actor', '=', 'system:sso').orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(created.subject_id).toBe(String(me.json.user.id));
    });

    it('never answers a 500 to a Response that is not one', async () => {
      const id = await addProvider();
      for (const junk of ['!!!', Buffer.from('<not xml').toString('base64'), Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&e;</samlp:Response>').toString('base64')]) {
        expect(ssoError((await acs({ SAMLResponse: junk }, '')).location)).toBe('expired');
        idp.signInAs({ nameId: 'x' });
        const started = await start(id);
        const form = await atIdp(started.location);
        const res = await acs({ SAMLResponse: junk, RelayState: form.RelayState }, started.browser);
        expect(res.status).toBe(302);
        expect(ssoError(res.location)).toBe('provider');
      }
      const empty = await fetch(acsUrl(), { method: 'POST', redirect: 'manual', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address() } });
      expect(empty.status).toBe(302);
    });

    it('asks the person\'s own second factor after a provider not trusted to enforce MFA, as OpenID Connect does', async () => {
      const id = await addProvider();
      const p = await person();
      const { secret } = await turnOnTwoFactor(p.client, clock);
      idp.signInAs({ nameId: `mfa-${p.id}`, attributes: { email: p.email } });
      const started = await start(id, '/inbox');
      const form = await atIdp(started.location);
      const body = new URLSearchParams({ SAMLResponse: form.SAMLResponse, RelayState: form.RelayState });
      const res = await fetch(acsUrl(), { method: 'POST', redirect: 'manual', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address(), cookie: started.browser } });
      expect(res.headers.get('location')).toBe('/login?sso_code=1&redirect=%2Finbox');
      const pending = cookieOf(res.headers.getSetCookie(), 'parley_sso');
      expect(cookieOf(res.headers.getSetCookie(), 'parley_session')).toBe('');
      const code = await fetch(`${desk.url}/api/auth/sso/code`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: pending, 'x-forwarded-for': address() }, body: JSON.stringify({ code: totpCode(clock, secret) }) });
      expect(code.status).toBe(200);
      expect(((await code.json()) as any).user.id).toBe(p.id);
    });

    it('a disabled or unknown SAML provider does not start; the login page button lists it like any provider', async () => {
      const id = await addProvider({ label: 'Acme Entra' });
      const offer = await (await fetch(`${desk.url}/api/auth/sso/providers`)).json() as any;
      if (!offer.discovery) expect(offer.providers).toContainEqual({ id, label: 'Acme Entra' });
      await admin.req('PATCH', `/api/sso/providers/${id}`, { enabled: false });
      const res = await start(id);
      expect(res.status).toBe(302);
      expect(ssoError(res.location)).toBe('unavailable');
    });
  });
}
