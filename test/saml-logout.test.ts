/**
 * SAML single logout (docs/sso.md), over HTTP against a real desk on SQLite and PostgreSQL and the
 * SAML IdP on loopback (test/contract-servers/saml-idp.ts): the IdP's LogoutRequest (HTTP-Redirect
 * signed over the query string, HTTP-POST enveloped) ends only the sessions its provider's sign-ins
 * of that NameID made (SessionIndex narrowing, other people, password sessions and other brands
 * untouched); forged, unsigned, expired ones change nothing; and the SP-initiated round trip. A
 * LogoutResponse is checked (signature, Issuer, InResponseTo, Destination) before its status is
 * read, so a forged non-Success one says nothing; and a LogoutRequest at one provider's own SLO
 * endpoint signs out only that brand's sessions though another brand's shares the IdP's entity
 * id and key (which the desk-wide endpoint refuses). Two providers of one IdP in one brand at the
 * desk-wide endpoint: the sessions the request names end through either, answered and audited by
 * the provider whose sign-in it named; every SessionIndex it lists counts, and a NameID of another
 * Format or namespace is another principal. At a provider's own endpoint, the sessions the request
 * names through its brand's other providers of that IdP (same entity id and certificate) end too,
 * answered by the endpoint's provider; another brand's, or one with another certificate, untouched.
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersFoundToken } from '../src/commands/sso.js';
import { certificatePem } from '../src/core/saml.js';
import { DIALECTS } from './db.js';
import { makeKeyPair, startSamlIdp, type SamlUser, type TestSamlIdp } from './contract-servers/saml-idp.js';
import { authDesk } from './helpers/authDesk.js';
import type { Client, TestDesk } from './helpers/parley.js';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

/** Whether an HTTP-Redirect LogoutResponse URL is signed (Bindings 3.4.4.1: over `SAMLResponse=…&RelayState=…&SigAlg=…` as sent) by the key of this certificate. */
function redirectSignedBy(url: string, cert: string): boolean {
  const raw = new Map((url.split('?')[1] ?? '').split('&').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
  expect(decodeURIComponent(raw.get('SigAlg') ?? '')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  const signed = ['SAMLResponse', 'RelayState', 'SigAlg'].filter((k) => raw.has(k)).map((k) => `${k}=${raw.get(k)}`).join('&');
  return verifySignature('sha256', Buffer.from(signed, 'utf8'), createPublicKey(cert), Buffer.from(decodeURIComponent(raw.get('Signature') ?? ''), 'base64'));
}

for (const dialect of DIALECTS) {
  describe(`SAML single logout [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let idp: TestSamlIdp;
    let ips = 0;
    const { clock, person, otherBrandAdmin } = authDesk(dialect, 'slo', (d, a) => { desk = d; admin = a; });
    const db = () => desk.db.store.db;
    const address = () => `198.19.${Math.floor(++ips / 250)}.${ips % 250}`;
    const sloUrl = () => `${desk.url}/api/auth/sso/saml/slo`;
    const providerSloUrl = (id: number) => `${desk.url}/api/auth/sso/saml/${id}/slo`;
    beforeAll(async () => { idp = await startSamlIdp({ clock }); });
    afterAll(async () => idp?.close());

    async function addProvider(client: Client, over: Record<string, unknown> = {}): Promise<number> {
      const res = await client.post('/api/sso/providers', { protocol: 'saml', label: 'Acme SAML', issuer: idp.entityId, samlSsoUrl: idp.ssoUrl, samlCertificates: [idp.keyPair.cert], samlSloUrl: idp.sloUrl, allowedDomains: [], autoProvisionRole: 'agent', passwordSignIn: 'everyone', trustsMfa: true, enabled: true, ...over });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json.id as number;
    }
    const cookieOf = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0] ?? '';
    /** A whole SAML sign-in: the session cookie and the assertion's SessionIndex. */
    async function samlSignIn(providerId: number, user: SamlUser, over: Parameters<TestSamlIdp['signInAs']>[1] = {}) {
      idp.signInAs(user, over);
      const found = `parley_sso_found=${providersFoundToken(desk.parley.services.secrets, [providerId], clock.now())}`;
      const started = await fetch(`${desk.url}/api/auth/sso/${providerId}/start`, { redirect: 'manual', headers: { cookie: found, 'x-forwarded-for': address() } });
      await started.text();
      const browser = cookieOf(started.headers.getSetCookie(), 'parley_saml');
      const html = await (await fetch(started.headers.get('location')!)).text();
      const samlResponse = /name="SAMLResponse" value="([^"]*)"/.exec(html)![1]!;
      const relayState = /name="RelayState" value="([^"]*)"/.exec(html)![1]!;
      const sessionIndex = /SessionIndex="([^"]+)"/.exec(Buffer.from(samlResponse, 'base64').toString('utf8'))![1]!;
      const done = await fetch(`${desk.url}/api/auth/sso/saml/acs`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address(), cookie: browser } });
      await done.text();
      const session = cookieOf(done.headers.getSetCookie(), 'parley_session');
      expect(session).toBeTruthy();
      return { session, sessionIndex };
    }
    const alive = async (session: string) => (await fetch(`${desk.url}/api/me`, { headers: { cookie: session } })).status === 200;
    const redirectSlo = (query: string) => fetch(`${sloUrl()}?${query}`, { redirect: 'manual', headers: { 'x-forwarded-for': address() } });
    const logoutAudits = () => db().selectFrom('audit_event').selectAll().where('action', '=', 'sso.saml_logout').execute();
    const refusals = async (providerId: number, code: string) => (await db().selectFrom('audit_event').select('data').where('action', '=', 'sso.saml_refused').where('subject_id', '=', String(providerId)).execute()).map((a) => JSON.parse(a.data) as { code: string; reason: string }).filter((a) => a.code === code);
    /** A signed-in session signed out of Parley (SP-initiated): the redirect to the IdP and the ID of the LogoutRequest in it. */
    async function spSignOut(session: string) {
      const me = await (await fetch(`${desk.url}/api/me`, { headers: { cookie: session } })).json() as { csrfToken: string };
      const out = await fetch(`${desk.url}/api/auth/logout`, { method: 'POST', headers: { cookie: session, 'x-csrf-token': me.csrfToken } });
      expect(out.status).toBe(200);
      const { redirect } = await out.json() as { redirect: string };
      const request = inflateRawSync(Buffer.from(new URL(redirect).searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
      return { redirect, requestId: /\sID="([^"]+)"/.exec(request)![1]! };
    }
    const outcome = async (res: Response) => { await res.text(); return res.headers.get('location'); };
    const postSlo = (url: string, fields: Record<string, string>) => fetch(url, { method: 'POST', redirect: 'manual', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address() } });
    /** The sso.saml_logout audit entries after the audit event `after`, oldest first: the provider and what it says. */
    const lastAuditId = async () => Number((await db().selectFrom('audit_event').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst())?.id ?? 0);
    const logoutsSince = async (after: number) => (await db().selectFrom('audit_event').selectAll().where('action', '=', 'sso.saml_logout').where('id', '>', after).orderBy('id').execute()).map((a) => ({ provider: Number(a.subject_id), ...JSON.parse(a.data) as { sessionsEnded: number; sessionIndex?: string; sessionIndexes?: string[]; answered?: boolean } }));
    /** A provider's SP certificate, from its SP metadata. */
    const spCertOf = async (id: number) => certificatePem(/<(?:ds:)?X509Certificate>([^<]+)</.exec(await (await fetch(`${desk.url}/api/auth/sso/saml/${id}/metadata`)).text())![1]!);
    const RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';
    const PARTIAL = 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout';

    it('IdP-initiated, HTTP-Redirect: ends only the sessions of that provider + NameID (and SessionIndex), answers a signed LogoutResponse', async () => {
      const id = await addProvider(admin);
      const p = await person();
      const q = await person();
      const a1 = await samlSignIn(id, { nameId: 'u-p', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const a2 = await samlSignIn(id, { nameId: 'u-p', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const other = await samlSignIn(id, { nameId: 'u-q', nameIdFormat: PERSISTENT, attributes: { email: q.email } });
      // another brand's provider of the same entity id (another IdP tenant, its own key), the same NameID there
      const globex = await otherBrandAdmin();
      const otherKey = makeKeyPair('Globex IdP');
      const gid = await addProvider(globex, { samlCertificates: [otherKey.cert] });
      const elsewhere = await samlSignIn(gid, { nameId: 'u-p', nameIdFormat: PERSISTENT, attributes: { email: 'p@globex.test' } }, { keyPair: otherKey });

      // SessionIndex narrows to the one sign-in
      let res = await redirectSlo(idp.redirectQuery('SAMLRequest', idp.logoutRequest({ nameId: 'u-p', sessionIndex: a1.sessionIndex, destination: sloUrl(), now: clock.now() }), { relayState: 'rs1' }));
      expect(res.status).toBe(302);
      const answer = new URL(res.headers.get('location')!);
      expect(answer.origin + answer.pathname).toBe(idp.sloUrl);
      expect(answer.searchParams.get('RelayState')).toBe('rs1');
      expect(answer.searchParams.get('Signature')).toBeTruthy();
      expect(await alive(a1.session)).toBe(false);
      expect(await alive(a2.session)).toBe(true);

      // without SessionIndex: every session of that NameID at this provider; not q's, not p's password session, not the other brand's
      res = await redirectSlo(idp.redirectQuery('SAMLRequest', idp.logoutRequest({ nameId: 'u-p', destination: sloUrl(), now: clock.now() })));
      expect(res.status).toBe(302);
      expect(await alive(a2.session)).toBe(false);
      expect(await alive(other.session)).toBe(true);
      expect(await alive(elsewhere.session)).toBe(true);
      expect((await p.client.get('/api/me')).status).toBe(200);
      const audits = await logoutAudits();
      expect(audits.map((a) => JSON.parse(a.data).sessionsEnded)).toEqual([1, 1]);
    });

    it('IdP-initiated, HTTP-POST with an enveloped signature', async () => {
      const id = await addProvider(admin);
      const p = await person();
      const s = await samlSignIn(id, { nameId: 'post-p', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const res = await fetch(sloUrl(), { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLRequest: idp.postMessage(idp.logoutRequest({ nameId: 'post-p', destination: sloUrl(), now: clock.now() })) }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address() } });
      expect(res.status).toBe(302);
      expect(await alive(s.session)).toBe(false);
    });

    it('refuses forged, unsigned, expired and replayed LogoutRequests: nothing changes; refusals audited at most once a minute', async () => {
      const id = await addProvider(admin);
      const p = await person();
      const s = await samlSignIn(id, { nameId: 'f-p', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const before = (await db().selectFrom('audit_event').select('id').where('action', '=', 'sso.saml_refused').where('subject_id', '=', String(id)).execute()).length;
      const req = () => idp.logoutRequest({ nameId: 'f-p', destination: sloUrl(), now: clock.now() });
      const forged = await redirectSlo(idp.redirectQuery('SAMLRequest', req(), { keyPair: makeKeyPair('Mallory') }));
      expect(forged.status).toBe(400);
      expect((await forged.json()).code).toBe('sso.invalid_logout_request');
      expect((await redirectSlo(idp.redirectQuery('SAMLRequest', req(), { keyPair: null }))).status).toBe(400);
      const unsignedPost = await fetch(sloUrl(), { method: 'POST', body: new URLSearchParams({ SAMLRequest: idp.postMessage(req(), { keyPair: null }) }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(unsignedPost.status).toBe(400);
      const expired = await redirectSlo(idp.redirectQuery('SAMLRequest', idp.logoutRequest({ nameId: 'f-p', destination: sloUrl(), now: clock.now() - 20 * 60_000, notOnOrAfter: clock.now() - 10 * 60_000 })));
      expect(expired.status).toBe(400);
      expect(await alive(s.session)).toBe(true);
      const after = (await db().selectFrom('audit_event').select('id').where('action', '=', 'sso.saml_refused').where('subject_id', '=', String(id)).execute()).length;
      expect(after - before).toBe(1);
      // a good one once; the same again is refused
      const good = idp.redirectQuery('SAMLRequest', req());
      expect((await redirectSlo(good)).status).toBe(302);
      expect(await alive(s.session)).toBe(false);
      expect((await redirectSlo(good)).status).toBe(400);
    });

    it('SP-initiated: the session ends before the redirect; the signed LogoutRequest names NameID and SessionIndex; the LogoutResponse is taken once; a wrong InResponseTo is refused', async () => {
      const id = await addProvider(admin);
      const meta = await (await fetch(`${desk.url}/api/auth/sso/saml/${id}/metadata`)).text();
      // AuthnRequests unsigned, but the LogoutRequests are: the certificate is listed for signing
      expect(meta).toContain('AuthnRequestsSigned="false"');
      expect(meta).toMatch(/<KeyDescriptor use="signing">/);
      // the provider's own SLO endpoint, not the desk-wide one
      expect(meta).toContain(`Location="${providerSloUrl(id)}"`);
      expect(meta).not.toContain(`Location="${sloUrl()}"`);
      expect(meta).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect');
      idp.sp.cert = certificatePem(/<(?:ds:)?X509Certificate>([^<]+)</.exec(meta)![1]!);
      idp.sp.sloUrl = providerSloUrl(id);
      const p = await person();
      const s = await samlSignIn(id, { nameId: 'sp-p', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const me = await (await fetch(`${desk.url}/api/me`, { headers: { cookie: s.session } })).json() as { csrfToken: string };
      const out = await fetch(`${desk.url}/api/auth/logout`, { method: 'POST', headers: { cookie: s.session, 'x-csrf-token': me.csrfToken } });
      expect(out.status).toBe(200);
      const { redirect } = await out.json() as { redirect: string };
      expect(redirect.startsWith(`${idp.sloUrl}?SAMLRequest=`)).toBe(true);
      expect(await alive(s.session)).toBe(false);
      // a LogoutResponse with a wrong InResponseTo is refused
      const wrong = await redirectSlo(idp.redirectQuery('SAMLResponse', idp.logoutResponse({ inResponseTo: '_nope', destination: sloUrl(), now: clock.now() })));
      expect(wrong.headers.get('location')).toBe('/login?saml_logout=refused');
      // at the IdP: the request checked, answered by redirect to the SLO endpoint
      const atIdp = await fetch(redirect, { redirect: 'manual' });
      expect(atIdp.status, await atIdp.clone().text()).toBe(302);
      const last = idp.logoutRequests.at(-1)!;
      expect(last).toMatchObject({ nameId: 'sp-p', sessionIndex: s.sessionIndex, refused: null });
      const back = atIdp.headers.get('location')!;
      const done = await fetch(back, { redirect: 'manual' });
      expect(done.headers.get('location')).toBe('/login?saml_logout=done');
      expect((await fetch(back, { redirect: 'manual' })).headers.get('location')).toBe('/login?saml_logout=refused');
    });

    it('a LogoutResponse with a non-Success status is checked like any other before its status is read: forged, unsigned or misaddressed ones are refused and leave the sign-out waiting', async () => {
      const id = await addProvider(admin);
      const p = await person();
      const s = await samlSignIn(id, { nameId: 'nr-p', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const { requestId } = await spSignOut(s.session);
      const before = (await refusals(id, 'logout_response')).length;
      const partial = (o: { destination?: string | null; issuer?: string } = {}) => idp.logoutResponse({ inResponseTo: requestId, destination: sloUrl(), now: clock.now(), status: RESPONDER, subStatus: PARTIAL, statusMessage: 'forged', ...o });
      const mallory = makeKeyPair('Mallory');
      // HTTP-Redirect at the desk-wide endpoint (what IdPs set up before per-provider endpoints use): another key, no signature
      expect(await outcome(await redirectSlo(idp.redirectQuery('SAMLResponse', partial(), { keyPair: mallory })))).toBe('/login?saml_logout=refused');
      expect(await outcome(await redirectSlo(idp.redirectQuery('SAMLResponse', partial(), { keyPair: null })))).toBe('/login?saml_logout=refused');
      // signed over another query than the one sent (RelayState added afterwards)
      expect(await outcome(await redirectSlo(`${idp.redirectQuery('SAMLResponse', partial())}&RelayState=x`))).toBe('/login?saml_logout=refused');
      // HTTP-POST: another key, unsigned
      expect(await outcome(await postSlo(sloUrl(), { SAMLResponse: idp.postMessage(partial(), { keyPair: mallory }) }))).toBe('/login?saml_logout=refused');
      expect(await outcome(await postSlo(sloUrl(), { SAMLResponse: idp.postMessage(partial(), { keyPair: null }) }))).toBe('/login?saml_logout=refused');
      // signed by the provider, but for another SLO URL or naming another IdP
      expect(await outcome(await redirectSlo(idp.redirectQuery('SAMLResponse', partial({ destination: `${desk.url}/elsewhere` }))))).toBe('/login?saml_logout=refused');
      expect(await outcome(await postSlo(sloUrl(), { SAMLResponse: idp.postMessage(partial({ issuer: 'https://other-idp.test/metadata' })) }))).toBe('/login?saml_logout=refused');
      // at the provider's own endpoint, the Destination must be that endpoint
      expect(await outcome(await fetch(`${providerSloUrl(id)}?${idp.redirectQuery('SAMLResponse', partial())}`, { redirect: 'manual', headers: { 'x-forwarded-for': address() } }))).toBe('/login?saml_logout=refused');
      const refused = await refusals(id, 'logout_response');
      expect(refused.length - before).toBe(8);
      expect(refused.slice(before).map((r) => r.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/signature/i), expect.stringMatching(/not signed/), expect.stringMatching(/Destination/), expect.stringMatching(/Issuer/)]));
      // none of them said anything for the provider: no sign-out recorded, and the real answer still lands
      expect((await logoutAudits()).filter((a) => JSON.parse(a.data).initiatedBy === 'sp' && a.subject_id === String(id))).toEqual([]);
      const real = idp.redirectQuery('SAMLResponse', idp.logoutResponse({ inResponseTo: requestId, destination: sloUrl(), now: clock.now() }));
      expect(await outcome(await redirectSlo(real))).toBe('/login?saml_logout=done');
    });

    it('a LogoutResponse with a non-Success status signed by the provider says partial, with the IdP\'s status and message in the audit trail (HTTP-Redirect round trip and HTTP-POST)', async () => {
      const id = await addProvider(admin);
      const meta = await (await fetch(`${desk.url}/api/auth/sso/saml/${id}/metadata`)).text();
      idp.sp.cert = certificatePem(/<(?:ds:)?X509Certificate>([^<]+)</.exec(meta)![1]!);
      idp.sp.sloUrl = providerSloUrl(id);
      const p = await person();
      // through the IdP: it checks the LogoutRequest and answers PartialLogout, signed, at the provider's SLO URL
      idp.logoutAnswer = { status: RESPONDER, subStatus: PARTIAL, statusMessage: 'The HR portal did not answer' };
      try {
        const s1 = await samlSignIn(id, { nameId: 'pl-p', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
        const first = await spSignOut(s1.session);
        const atIdp = await fetch(first.redirect, { redirect: 'manual' });
        expect(atIdp.status, await atIdp.text()).toBe(302);
        expect(idp.logoutRequests.at(-1)).toMatchObject({ id: first.requestId, refused: null });
        const back = atIdp.headers.get('location')!;
        expect(back.startsWith(`${providerSloUrl(id)}?SAMLResponse=`)).toBe(true);
        expect(await outcome(await fetch(back, { redirect: 'manual' }))).toBe('/login?saml_logout=partial');
        expect(await outcome(await fetch(back, { redirect: 'manual' }))).toBe('/login?saml_logout=refused');
      } finally {
        idp.logoutAnswer = {};
      }
      // HTTP-POST, enveloped signature, a Requester status without a message
      const s2 = await samlSignIn(id, { nameId: 'pl-p', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const second = await spSignOut(s2.session);
      const posted = idp.postMessage(idp.logoutResponse({ inResponseTo: second.requestId, destination: providerSloUrl(id), now: clock.now(), status: 'urn:oasis:names:tc:SAML:2.0:status:Requester' }));
      expect(await outcome(await postSlo(providerSloUrl(id), { SAMLResponse: posted }))).toBe('/login?saml_logout=partial');
      const mine = (await logoutAudits()).filter((a) => a.subject_id === String(id)).map((a) => JSON.parse(a.data));
      expect(mine).toEqual([
        expect.objectContaining({ initiatedBy: 'sp', status: 'partial', statusCodes: [RESPONDER, PARTIAL], statusMessage: 'The HR portal did not answer' }),
        expect.objectContaining({ initiatedBy: 'sp', status: 'partial', statusCodes: ['urn:oasis:names:tc:SAML:2.0:status:Requester'] }),
      ]);
      expect(mine[1].statusMessage).toBeUndefined();
      expect(await refusals(id, 'logout_response')).toEqual([]);
    });

    // (the brand's providers made by the tests above share this IdP's entity id and key too: every request at the desk-wide endpoint verifies for all of them)
    it('two providers of one IdP in one brand, at the desk-wide endpoint: the SessionIndex picks the sign-in and the provider that answers; without one the principal\'s sessions through both end; the other providers\' audit trails stay quiet', async () => {
      const support = await addProvider(admin, { label: 'Acme SAML (support agents)' });
      const billing = await addProvider(admin, { label: 'Acme SAML (billing agents)', samlSloUrl: `${idp.sloUrl}/billing` });
      const p = await person();
      const viaSupport = await samlSignIn(support, { nameId: 'grp-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const viaBilling = await samlSignIn(billing, { nameId: 'grp-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      clock.advance(1000);
      const viaBillingLater = await samlSignIn(billing, { nameId: 'grp-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const [supportCert, billingCert] = [await spCertOf(support), await spCertOf(billing)];

      // the SessionIndex of a sign-in through billing: that session alone ends, and billing answers (its SLO URL, its SP key)
      let mark = await lastAuditId();
      let res = await redirectSlo(idp.redirectQuery('SAMLRequest', idp.logoutRequest({ nameId: 'grp-u', sessionIndex: viaBilling.sessionIndex, destination: sloUrl(), now: clock.now() }), { relayState: 'grp' }));
      expect(res.status, await res.clone().text()).toBe(302);
      let answer = res.headers.get('location')!;
      expect(answer.startsWith(`${idp.sloUrl}/billing?SAMLResponse=`)).toBe(true);
      expect(new URL(answer).searchParams.get('RelayState')).toBe('grp');
      expect(redirectSignedBy(answer, billingCert)).toBe(true);
      expect(redirectSignedBy(answer, supportCert)).toBe(false);
      expect(await alive(viaBilling.session)).toBe(false);
      expect(await alive(viaSupport.session)).toBe(true);
      expect(await alive(viaBillingLater.session)).toBe(true);
      // one audit entry, billing's: none for support nor for the brand's other providers of this IdP
      expect(await logoutsSince(mark)).toEqual([expect.objectContaining({ provider: billing, sessionsEnded: 1, sessionIndex: viaBilling.sessionIndex, answered: true })]);

      // no SessionIndex (HTTP-POST): every session of the principal this IdP signed in ends, through either provider
      // (Core 3.7.3); the provider of the latest of those sign-ins answers
      mark = await lastAuditId();
      res = await postSlo(sloUrl(), { SAMLRequest: idp.postMessage(idp.logoutRequest({ nameId: 'grp-u', destination: sloUrl(), now: clock.now() })) });
      expect(res.status, await res.clone().text()).toBe(302);
      answer = res.headers.get('location')!;
      expect(answer.startsWith(`${idp.sloUrl}/billing?SAMLResponse=`)).toBe(true);
      expect(redirectSignedBy(answer, billingCert)).toBe(true);
      expect(await alive(viaSupport.session)).toBe(false);
      expect(await alive(viaBillingLater.session)).toBe(false);
      expect((await logoutsSince(mark)).map((a) => [a.provider, a.sessionsEnded, a.answered ?? false]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([[support, 1, false], [billing, 1, true]]);

      // when the sign-in it names went through support, support answers (the IdP's SLO URL there, its SP key)
      const again = await samlSignIn(support, { nameId: 'grp-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      res = await redirectSlo(idp.redirectQuery('SAMLRequest', idp.logoutRequest({ nameId: 'grp-u', sessionIndex: again.sessionIndex, destination: sloUrl(), now: clock.now() })));
      answer = res.headers.get('location')!;
      expect(answer.startsWith(`${idp.sloUrl}?SAMLResponse=`)).toBe(true);
      expect(redirectSignedBy(answer, supportCert)).toBe(true);
      expect(await alive(again.session)).toBe(false);
    });

    it('a LogoutRequest ends the sign-ins of every SessionIndex it names, and only the principal it names: the same value as another NameID Format, or qualified by another SP or IdP, is another principal', async () => {
      const id = await addProvider(admin);
      const p = await person();
      const s1 = await samlSignIn(id, { nameId: 'multi-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const s2 = await samlSignIn(id, { nameId: 'multi-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const s3 = await samlSignIn(id, { nameId: 'multi-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const request = (o: { nameIdFormat?: string; sessionIndexes?: string[]; qualifiers?: string } = {}) => {
        const [first, ...more] = o.sessionIndexes ?? [];
        return idp.logoutRequest({ nameId: 'multi-u', destination: sloUrl(), now: clock.now(), ...(first ? { sessionIndex: first } : {}), ...(o.nameIdFormat ? { nameIdFormat: o.nameIdFormat } : {}) })
          .replace('<saml:NameID ', `<saml:NameID ${o.qualifiers ?? ''} `)
          .replace('</samlp:LogoutRequest>', `${more.map((x) => `<samlp:SessionIndex>${x}</samlp:SessionIndex>`).join('')}</samlp:LogoutRequest>`);
      };

      // two SessionIndex elements: both sign-ins end, the third stays
      const mark = await lastAuditId();
      let res = await redirectSlo(idp.redirectQuery('SAMLRequest', request({ sessionIndexes: [s1.sessionIndex, s2.sessionIndex] })));
      expect(res.status, await res.clone().text()).toBe(302);
      expect(await alive(s1.session)).toBe(false);
      expect(await alive(s2.session)).toBe(false);
      expect(await alive(s3.session)).toBe(true);
      expect(await logoutsSince(mark)).toEqual([expect.objectContaining({ provider: id, sessionsEnded: 2, sessionIndexes: [s1.sessionIndex, s2.sessionIndex] })]);

      // another principal: a transient NameID of the same value, one of another SP's namespace, one another IdP qualified
      for (const other of [request({ nameIdFormat: TRANSIENT }), request({ qualifiers: 'SPNameQualifier="https://another-sp.example/metadata"' }), request({ qualifiers: 'NameQualifier="https://another-idp.example/metadata"' })]) {
        res = await postSlo(sloUrl(), { SAMLRequest: idp.postMessage(other) });
        expect(res.status, await res.clone().text()).toBe(302);
        expect(await alive(s3.session)).toBe(true);
      }
      // the same principal with its qualifiers spelled out (the IdP's entity id, the desk's SP entity id): it ends
      res = await redirectSlo(idp.redirectQuery('SAMLRequest', request({ qualifiers: `NameQualifier="${idp.entityId}" SPNameQualifier="${desk.url}/api/auth/sso/saml/metadata"` })));
      expect(res.status).toBe(302);
      expect(await alive(s3.session)).toBe(false);

      // more SessionIndex values than any IdP sends: refused with the reason, nothing taken
      const s4 = await samlSignIn(id, { nameId: 'multi-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      res = await redirectSlo(idp.redirectQuery('SAMLRequest', request({ sessionIndexes: [s4.sessionIndex, ...Array.from({ length: 50 }, (_, i) => `_s${i}`)] })));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'sso.invalid_logout_request', reason: expect.stringMatching(/SessionIndex/) });
      // an empty SessionIndex names no sign-in; it is not read as naming none (which would be all of them)
      res = await postSlo(sloUrl(), { SAMLRequest: idp.postMessage(request().replace('</samlp:LogoutRequest>', '<samlp:SessionIndex></samlp:SessionIndex></samlp:LogoutRequest>')) });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'sso.invalid_logout_request', reason: expect.stringMatching(/empty SessionIndex/) });
      expect(await alive(s4.session)).toBe(true);
    });

    // (last: from here on two brands' providers share the IdP's entity id and key, which the desk-wide endpoint refuses)
    it('two brands with one IdP entity id and certificate: a LogoutRequest at one provider\'s SLO endpoint signs out only that brand\'s sessions; the desk-wide endpoint refuses it', async () => {
      const id = await addProvider(admin);
      const p = await person();
      const globex = await otherBrandAdmin();
      const gid = await addProvider(globex);
      const a1 = await samlSignIn(id, { nameId: 'shared-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const a2 = await samlSignIn(id, { nameId: 'shared-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } });
      const b1 = await samlSignIn(gid, { nameId: 'shared-u', nameIdFormat: PERSISTENT, attributes: { email: 'shared@globex.test' } });
      const b2 = await samlSignIn(gid, { nameId: 'shared-u', nameIdFormat: PERSISTENT, attributes: { email: 'shared@globex.test' } });
      const request = (destination: string, sessionIndex?: string) => idp.logoutRequest({ nameId: 'shared-u', destination, now: clock.now(), ...(sessionIndex ? { sessionIndex } : {}) });

      // the desk-wide endpoint cannot tell which brand it is for: refused, nothing ends
      const wide = await redirectSlo(idp.redirectQuery('SAMLRequest', request(sloUrl())));
      expect(wide.status).toBe(400);
      expect(await wide.json()).toMatchObject({ code: 'sso.invalid_logout_request', reason: expect.stringMatching(/several brands/) });
      const widePost = await postSlo(sloUrl(), { SAMLRequest: idp.postMessage(request(sloUrl())) });
      expect(widePost.status).toBe(400);
      for (const s of [a1, a2, b1, b2]) expect(await alive(s.session)).toBe(true);

      // brand A's endpoint (HTTP-Redirect): A's sessions end, B's stay
      let res = await fetch(`${providerSloUrl(id)}?${idp.redirectQuery('SAMLRequest', request(providerSloUrl(id)))}`, { redirect: 'manual', headers: { 'x-forwarded-for': address() } });
      expect(res.status).toBe(302);
      expect(await alive(a1.session)).toBe(false);
      expect(await alive(a2.session)).toBe(false);
      expect(await alive(b1.session)).toBe(true);
      expect(await alive(b2.session)).toBe(true);

      // one addressed to B's endpoint but sent to A's is refused (Destination), so is another IdP's at A's
      res = await fetch(`${providerSloUrl(id)}?${idp.redirectQuery('SAMLRequest', request(providerSloUrl(gid)))}`, { redirect: 'manual', headers: { 'x-forwarded-for': address() } });
      expect(res.status).toBe(400);
      const stranger = await startSamlIdp({ clock });
      try {
        res = await fetch(`${providerSloUrl(id)}?${stranger.redirectQuery('SAMLRequest', stranger.logoutRequest({ nameId: 'shared-u', destination: providerSloUrl(id), now: clock.now() }))}`, { redirect: 'manual', headers: { 'x-forwarded-for': address() } });
        expect(res.status).toBe(400);
      } finally {
        await stranger.close();
      }
      expect(await alive(b1.session)).toBe(true);

      // brand B's endpoint (HTTP-POST), its SessionIndex: only that session of B's
      res = await postSlo(providerSloUrl(gid), { SAMLRequest: idp.postMessage(request(providerSloUrl(gid), b1.sessionIndex)) });
      expect(res.status).toBe(302);
      expect(await alive(b1.session)).toBe(false);
      expect(await alive(b2.session)).toBe(true);
      const ends = (await logoutAudits()).filter((a) => [String(id), String(gid)].includes(a.subject_id!)).map((a) => [Number(a.subject_id), JSON.parse(a.data).sessionsEnded]);
      expect(ends).toEqual([[id, 2], [gid, 1]]);
    });

    // (after the test above: another brand's providers share the IdP's entity id and key, so only providers' own endpoints are used)
    it('at a provider\'s own endpoint, a LogoutRequest also ends the sessions it names through its brand\'s other providers of that IdP (same entity id and certificate), answered by the endpoint\'s provider; not another brand\'s, not one with another certificate', async () => {
      const a = await addProvider(admin, { label: 'Acme SAML (A)' });
      const b = await addProvider(admin, { label: 'Acme SAML (B)', samlSloUrl: `${idp.sloUrl}/b` });
      // the same Issuer in the same brand, but another IdP tenant's key: not the IdP that signs these requests
      const otherKey = makeKeyPair('Acme other tenant');
      const c = await addProvider(admin, { label: 'Acme SAML (other key)', samlCertificates: [otherKey.cert] });
      const globex = await otherBrandAdmin();
      const g = await addProvider(globex);
      const p = await person();
      const user = { nameId: 'fan-u', nameIdFormat: PERSISTENT, attributes: { email: p.email } };
      const viaA = await samlSignIn(a, user);
      const viaB = await samlSignIn(b, user);
      const viaB2 = await samlSignIn(b, user);
      const viaC = await samlSignIn(c, user, { keyPair: otherKey });
      const viaG = await samlSignIn(g, { ...user, attributes: { email: 'fan@globex.test' } });
      const aCert = await spCertOf(a);
      const atA = (query: string) => fetch(`${providerSloUrl(a)}?${query}`, { redirect: 'manual', headers: { 'x-forwarded-for': address() } });
      const request = (sessionIndex?: string) => idp.logoutRequest({ nameId: 'fan-u', destination: providerSloUrl(a), now: clock.now(), ...(sessionIndex ? { sessionIndex } : {}) });

      // the SessionIndex of a sign-in through B, sent to A's endpoint (the one SLO URL the IdP application holds): that session ends
      let mark = await lastAuditId();
      let res = await atA(idp.redirectQuery('SAMLRequest', request(viaB.sessionIndex), { relayState: 'fan' }));
      expect(res.status, await res.clone().text()).toBe(302);
      expect(await alive(viaB.session)).toBe(false);
      for (const s of [viaA, viaB2, viaC, viaG]) expect(await alive(s.session)).toBe(true);
      // A answers (the IdP sent it to A's URL): A's IdP SLO URL, A's SP key; B's audit entry counts the session
      let answer = res.headers.get('location')!;
      expect(answer.startsWith(`${idp.sloUrl}?SAMLResponse=`)).toBe(true);
      expect(new URL(answer).searchParams.get('RelayState')).toBe('fan');
      expect(redirectSignedBy(answer, aCert)).toBe(true);
      expect((await logoutsSince(mark)).map((e) => [e.provider, e.sessionsEnded, e.answered ?? false, e.sessionIndex]).sort((x, y) => Number(x[0]) - Number(y[0])))
        .toEqual([[a, 0, true, viaB.sessionIndex], [b, 1, false, viaB.sessionIndex]]);

      // no SessionIndex (HTTP-POST): the principal's sessions through A and B end; C's (another certificate) and the other brand's stay
      mark = await lastAuditId();
      res = await postSlo(providerSloUrl(a), { SAMLRequest: idp.postMessage(request()) });
      expect(res.status, await res.clone().text()).toBe(302);
      answer = res.headers.get('location')!;
      expect(answer.startsWith(`${idp.sloUrl}?SAMLResponse=`)).toBe(true);
      expect(redirectSignedBy(answer, aCert)).toBe(true);
      expect(await alive(viaA.session)).toBe(false);
      expect(await alive(viaB2.session)).toBe(false);
      expect(await alive(viaC.session)).toBe(true);
      expect(await alive(viaG.session)).toBe(true);
      expect((await logoutsSince(mark)).map((e) => [e.provider, e.sessionsEnded, e.answered ?? false]).sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual([[a, 1, true], [b, 1, false]]);

      // C's IdP tenant signing a request at A's endpoint: A's certificate does not verify it, so it is refused and ends nothing (C's session too)
      res = await atA(idp.redirectQuery('SAMLRequest', request(viaC.sessionIndex), { keyPair: otherKey }));
      expect(res.status).toBe(400);
      expect(await alive(viaC.session)).toBe(true);
    });
  });
}
