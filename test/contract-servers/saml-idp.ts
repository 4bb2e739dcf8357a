/**
 * A SAML 2.0 identity provider on loopback, for the SAML sign-in tests: its SSO URL takes an
 * AuthnRequest by the HTTP-Redirect binding (deflated, base64, RelayState) and answers the
 * HTTP-POST binding's auto-submitting form (SAMLResponse, RelayState) to the request's ACS URL, as
 * Okta, Entra ID, Google Workspace and Keycloak do (SAML 2.0 Bindings 3.4 and 3.5; Core 3.4).
 * Responses are signed with xml-crypto (RSA-SHA256, exclusive c14n, enveloped) — the Assertion by
 * default, or the Response, or nothing — with a throwaway key and self-signed certificate made by
 * `openssl` for each IdP. Every part a test may want wrong can be overridden.
 *
 * As IdPs do when an SP's metadata says AuthnRequestsSigned, it can require signed AuthnRequests
 * (`requireSignedRequests` with the SP's certificate): the HTTP-Redirect binding's signature
 * (Bindings 3.4.4.1) over the exact query string as sent — `SAMLRequest=…&RelayState=…&SigAlg=…`,
 * the URL-encoded values as they came — checked with the SP certificate, else no Response. And it
 * can encrypt the (signed) assertion to the SP's certificate (`encryptTo`) with xml-encryption
 * (XML Encryption 1.1: AES-256-GCM content, RSA-OAEP key transport) into an EncryptedAssertion
 * (SAML Core 2.3.4), as Okta, Entra ID and Keycloak do when the SP publishes an encryption key.
 *
 * Single logout (Profiles 4.4, Core 3.7): it makes LogoutRequests and LogoutResponses (Status with
 * a top-level and an optional second-level StatusCode and a StatusMessage, Core 3.2.2) sent by the
 * HTTP-Redirect binding (signed over the query string) or HTTP-POST (enveloped signature); its SLO
 * URL checks the SP's signed LogoutRequest and answers with a LogoutResponse by redirect, Success
 * and signed unless `logoutAnswer` says otherwise.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { sign as signBytes } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { encrypt as xmlEncrypt } from 'xml-encryption';

export interface SamlKeyPair {
  key: string;
  cert: string;
}

/** A throwaway RSA key and self-signed certificate (openssl: node cannot write X.509). */
export function makeKeyPair(cn = 'Test IdP'): SamlKeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'parley-saml-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', `/CN=${cn}`, '-days', '30'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SamlUser {
  nameId: string;
  nameIdFormat?: string;
  attributes?: Record<string, string | string[]>;
}

/** What a Response says; each field may be bent by a test. */
export interface ResponseOptions {
  user: SamlUser;
  acsUrl: string;
  audience: string;
  inResponseTo: string | null;
  /** The IdP's clock (IssueInstant, NotBefore = now - 1 min, NotOnOrAfter = now + 5 min). */
  now: number;
  sign?: 'assertion' | 'response' | 'none';
  keyPair?: SamlKeyPair;
  issuer?: string;
  recipient?: string;
  destination?: string;
  notBefore?: number;
  notOnOrAfter?: number;
  assertionId?: string;
  /** Encrypt the assertion to this certificate (PEM): an EncryptedAssertion (the Signature inside it). */
  encryptTo?: string;
}

export interface LogoutResponseOptions {
  inResponseTo: string;
  destination: string | null;
  now: number;
  status?: string;
  subStatus?: string;
  statusMessage?: string;
  issuer?: string;
}

/** The HTTP-Redirect binding's SigAlg values the IdP knows (Bindings 3.4.4.1; XML Signature's algorithm ids). */
const REDIRECT_SIG_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'sha1',
};

/**
 * Check an HTTP-Redirect binding signature as the binding says: the octets signed are
 * `SAMLRequest=value&RelayState=value&SigAlg=value` (RelayState only when present), each value as
 * URL-encoded in the query string received, not decoded and encoded again. The reason it fails, or null.
 */
export function checkRedirectSignature(rawQuery: string, cert: string): string | null {
  const raw = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) raw.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sigAlg = raw.get('SigAlg');
  const signature = raw.get('Signature');
  if (!sigAlg || !signature) return 'the AuthnRequest is not signed (no SigAlg and Signature)';
  const alg = REDIRECT_SIG_ALGS[decodeURIComponent(sigAlg)];
  if (!alg) return `unknown SigAlg ${decodeURIComponent(sigAlg)}`;
  const signed = ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => raw.has(k)).map((k) => `${k}=${raw.get(k)}`).join('&');
  const ok = verifySignature(alg, Buffer.from(signed, 'utf8'), createPublicKey(cert), Buffer.from(decodeURIComponent(signature.replace(/\+/g, ' ')), 'base64'));
  return ok ? null : 'the AuthnRequest signature does not verify with the SP certificate';
}

/** A Response (base64) with its Assertion encrypted to `cert`: AES-256-GCM, the key by RSA-OAEP (what xml-encryption and node-saml share). */
export async function encryptAssertion(responseB64: string, cert: string): Promise<string> {
  const xml = Buffer.from(responseB64, 'base64').toString('utf8');
  const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)?.[0];
  if (!assertion) throw new Error('no assertion to encrypt');
  const encrypted = await promisify(xmlEncrypt)(assertion, {
    rsa_pub: createPublicKey(cert).export({ type: 'spki', format: 'pem' }).toString(), pem: cert,
    encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    disallowEncryptionWithInsecureAlgorithm: true,
  } as Parameters<typeof xmlEncrypt>[1]);
  return Buffer.from(xml.replace(assertion, `<saml:EncryptedAssertion>${encrypted}</saml:EncryptedAssertion>`), 'utf8').toString('base64');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface TestSamlIdp {
  entityId: string;
  ssoUrl: string;
  keyPair: SamlKeyPair;
  /** The IdP metadata XML (entity id, HTTP-Redirect SSO URL, signing certificate). */
  metadata(): string;
  /** Who the next sign-in is (null: the IdP answers with a Responder status, no assertion). */
  signInAs(user: SamlUser | null, over?: Partial<ResponseOptions>): void;
  /** The last AuthnRequest received: its ID and ACS URL, whether it came signed, and why it was refused (null: answered). */
  lastRequest: { id: string; acsUrl: string; issuer: string; signed: boolean; refused: string | null } | null;
  /** Require AuthnRequests signed with this SP certificate (PEM); null: signatures are not asked for. */
  requireSignedRequests: string | null;
  /** A Response as the IdP would make it (base64, ready for the form); `encryptTo` is for the SSO URL's answers (or encryptAssertion). */
  response(o: ResponseOptions): string;
  /** A Response (base64) signed as a whole. */
  signResponse(b64: string, keyPair?: SamlKeyPair): string;
  /** Single logout (Core 3.7): a LogoutRequest of the IdP's (XML), each part bendable. */
  logoutRequest(o: { nameId: string; nameIdFormat?: string; sessionIndex?: string; destination: string; now: number; notOnOrAfter?: number | null; issuer?: string; id?: string }): string;
  /**
   * A LogoutResponse (XML) to `inResponseTo` (Core 3.7.2): `status` the top-level StatusCode
   * (Success by default), `subStatus` a second-level one inside it (e.g. PartialLogout), and a
   * StatusMessage; `destination` null leaves the attribute out.
   */
  logoutResponse(o: LogoutResponseOptions): string;
  /** How the SLO URL answers the SP's LogoutRequests: the status the LogoutResponse carries, and its signing key (null: unsigned; default the IdP's). */
  logoutAnswer: Omit<Partial<LogoutResponseOptions>, 'inResponseTo' | 'destination' | 'now'> & { keyPair?: SamlKeyPair | null };
  /** HTTP-Redirect binding (Bindings 3.4.4.1): deflated, base64, signed over `param=…&RelayState=…&SigAlg=…` as sent (keyPair null: unsigned). The query string. */
  redirectQuery(param: 'SAMLRequest' | 'SAMLResponse', xml: string, o?: { relayState?: string; keyPair?: SamlKeyPair | null }): string;
  /** HTTP-POST binding (Bindings 3.5.4): base64 of the message with an enveloped signature of its root (keyPair null: unsigned). */
  postMessage(xml: string, o?: { keyPair?: SamlKeyPair | null }): string;
  /** The SP's LogoutRequests received at the IdP's SLO URL (HTTP-Redirect): ID, NameID, SessionIndex, and why its signature failed (null: good). */
  logoutRequests: { id: string; nameId: string; sessionIndex: string | null; refused: string | null }[];
  /** The SP's certificate, to check its LogoutRequests; and where its SLO endpoint is, for the LogoutResponse. */
  sp: { cert: string | null; sloUrl: string | null };
  sloUrl: string;
  close(): Promise<void>;
}

/** An enveloped signature (RSA-SHA256, exclusive c14n) of the element at `target`, placed right after its Issuer (the schema's place for it). */
function signElement(xml: string, target: string, kp: SamlKeyPair): string {
  const sig = new SignedXml({ privateKey: kp.key, publicCert: kp.cert, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
  sig.addReference({ xpath: target, transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
  sig.computeSignature(xml, { location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

export async function startSamlIdp(opts: { clock: { now(): number } }): Promise<TestSamlIdp> {
  const keyPair = makeKeyPair();
  let user: SamlUser | null = null;
  let over: Partial<ResponseOptions> = {};
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const entityId = `${origin}/metadata`;

  const idp: TestSamlIdp = {
    entityId, ssoUrl: `${origin}/sso`, keyPair, lastRequest: null, requireSignedRequests: null,
    metadata: () => `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${esc(entityId)}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${keyPair.cert.replace(/-----[A-Z ]+-----|\s/g, '')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(origin)}/slo"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(origin)}/sso-post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(origin)}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`,
    signInAs(u, o = {}) {
      user = u;
      over = o;
    },
    response(o) {
      const kp = o.keyPair ?? keyPair;
      const issuer = o.issuer ?? entityId;
      const id = `_r${randomBytes(16).toString('hex')}`;
      const aid = o.assertionId ?? `_a${randomBytes(16).toString('hex')}`;
      const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
      const notBefore = o.notBefore ?? o.now - 60_000;
      const notOnOrAfter = o.notOnOrAfter ?? o.now + 5 * 60_000;
      const attrs = Object.entries(o.user.attributes ?? {}).map(([name, v]) => `<saml:Attribute Name="${esc(name)}">${(Array.isArray(v) ? v : [v]).map((x) => `<saml:AttributeValue>${esc(x)}</saml:AttributeValue>`).join('')}</saml:Attribute>`).join('');
      const assertion = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${aid}" Version="2.0" IssueInstant="${iso(o.now)}"><saml:Issuer>${esc(issuer)}</saml:Issuer><saml:Subject><saml:NameID Format="${esc(o.user.nameIdFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent')}">${esc(o.user.nameId)}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(o.recipient ?? o.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${iso(o.now)}" SessionIndex="${aid}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>${attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : ''}</saml:Assertion>`;
      let xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${iso(o.now)}" Destination="${esc(o.destination ?? o.acsUrl)}"${irt}><saml:Issuer>${esc(issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${assertion}</samlp:Response>`;
      const sign = o.sign ?? 'assertion';
      if (sign !== 'none') xml = signElement(xml, sign === 'assertion' ? "//*[local-name(.)='Assertion']" : "/*[local-name(.)='Response']", kp);
      return Buffer.from(xml, 'utf8').toString('base64');
    },
    signResponse: (b64, kp = keyPair) => Buffer.from(signElement(Buffer.from(b64, 'base64').toString('utf8'), "/*[local-name(.)='Response']", kp), 'utf8').toString('base64'),
    logoutRequests: [], sp: { cert: null, sloUrl: null }, sloUrl: `${origin}/slo`,
    logoutRequest: (o) => {
      const until = o.notOnOrAfter === undefined ? o.now + 5 * 60_000 : o.notOnOrAfter;
      return `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${esc(o.id ?? `_l${randomBytes(16).toString('hex')}`)}" Version="2.0" IssueInstant="${iso(o.now)}" Destination="${esc(o.destination)}"${until !== null ? ` NotOnOrAfter="${iso(until)}"` : ''}><saml:Issuer>${esc(o.issuer ?? entityId)}</saml:Issuer><saml:NameID Format="${esc(o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent')}">${esc(o.nameId)}</saml:NameID>${o.sessionIndex ? `<samlp:SessionIndex>${esc(o.sessionIndex)}</samlp:SessionIndex>` : ''}</samlp:LogoutRequest>`;
    },
    logoutAnswer: {},
    logoutResponse: (o) => {
      const top = esc(o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success');
      const code = o.subStatus ? `<samlp:StatusCode Value="${top}"><samlp:StatusCode Value="${esc(o.subStatus)}"/></samlp:StatusCode>` : `<samlp:StatusCode Value="${top}"/>`;
      const message = o.statusMessage !== undefined ? `<samlp:StatusMessage>${esc(o.statusMessage)}</samlp:StatusMessage>` : '';
      return `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lr${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${iso(o.now)}"${o.destination !== null ? ` Destination="${esc(o.destination)}"` : ''} InResponseTo="${esc(o.inResponseTo)}"><saml:Issuer>${esc(o.issuer ?? entityId)}</saml:Issuer><samlp:Status>${code}${message}</samlp:Status></samlp:LogoutResponse>`;
    },
    redirectQuery: (param, xml, o = {}) => {
      let q = `${param}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`;
      if (o.relayState !== undefined) q += `&RelayState=${encodeURIComponent(o.relayState)}`;
      const kp = o.keyPair === undefined ? keyPair : o.keyPair;
      if (!kp) return q;
      q += `&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
      return `${q}&Signature=${encodeURIComponent(signBytes('sha256', Buffer.from(q, 'utf8'), kp.key).toString('base64'))}`;
    },
    postMessage: (xml, o = {}) => {
      const kp = o.keyPair === undefined ? keyPair : o.keyPair;
      return Buffer.from(kp ? signElement(xml, '/*', kp) : xml, 'utf8').toString('base64');
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };

  server.on('request', (req, res) => void answer(req, res).catch((err: unknown) => { if (!res.headersSent) res.writeHead(500).end(String(err)); }));
  async function answer(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(idp.metadata());
      return;
    }
    if (url.pathname === '/slo') {
      // the SP's LogoutRequest by HTTP-Redirect: checked (signature over the query as sent), recorded, answered with a signed LogoutResponse by redirect
      const rawQuery = (req.url ?? '').split('?')[1] ?? '';
      let xml = '';
      try {
        xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
      } catch {
        res.writeHead(400).end('not a deflated LogoutRequest');
        return;
      }
      const id = /\sID="([^"]+)"/.exec(xml)?.[1] ?? '';
      const nameId = /<saml:NameID[^>]*>([^<]+)<\/saml:NameID>/.exec(xml)?.[1] ?? '';
      const sessionIndex = /<(?:\w+:)?SessionIndex[^>]*>([^<]+)<\/(?:\w+:)?SessionIndex>/.exec(xml)?.[1] ?? null;
      const refused = idp.sp.cert ? checkRedirectSignature(rawQuery, idp.sp.cert) : 'no SP certificate to check the signature with';
      idp.logoutRequests.push({ id, nameId, sessionIndex, refused });
      if (refused || !idp.sp.sloUrl) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`LogoutRequest refused: ${refused ?? 'no SP SLO URL'}`);
        return;
      }
      const relayState = url.searchParams.get('RelayState');
      const { keyPair: answerKey, ...answerStatus } = idp.logoutAnswer;
      const answer = idp.redirectQuery('SAMLResponse', idp.logoutResponse({ ...answerStatus, inResponseTo: id, destination: idp.sp.sloUrl, now: opts.clock.now() }), { ...(relayState ? { relayState } : {}), ...(answerKey !== undefined ? { keyPair: answerKey } : {}) });
      res.writeHead(302, { location: `${idp.sp.sloUrl}?${answer}` }).end();
      return;
    }
    if (url.pathname !== '/sso') {
      res.writeHead(404).end();
      return;
    }
    let request: string;
    try {
      request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    } catch {
      res.writeHead(400).end('not a deflated AuthnRequest');
      return;
    }
    const id = /\sID="([^"]+)"/.exec(request)?.[1] ?? '';
    const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(request)?.[1] ?? '';
    const issuer = /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(request)?.[1] ?? '';
    const rawQuery = (req.url ?? '').split('?')[1] ?? '';
    const refused = idp.requireSignedRequests ? checkRedirectSignature(rawQuery, idp.requireSignedRequests) : null;
    idp.lastRequest = { id, acsUrl, issuer, signed: url.searchParams.has('Signature'), refused };
    if (refused) {
      // as IdPs do: an error page, nothing posted back to the SP
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`AuthnRequest refused: ${refused}`);
      return;
    }
    const relayState = url.searchParams.get('RelayState') ?? '';
    const o: ResponseOptions | null = user ? { user, acsUrl, audience: issuer, inResponseTo: id, now: opts.clock.now(), ...over } : null;
    // an encrypted assertion is signed first, then encrypted; a signed Response is signed over the EncryptedAssertion
    const samlResponse = o
      ? o.encryptTo
        ? o.sign === 'response'
          ? idp.signResponse(await encryptAssertion(idp.response({ ...o, sign: 'none' }), o.encryptTo), o.keyPair)
          : await encryptAssertion(idp.response(o), o.encryptTo)
        : idp.response(o)
      : Buffer.from(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0" IssueInstant="${iso(opts.clock.now())}" InResponseTo="${esc(id)}"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode></samlp:Status></samlp:Response>`).toString('base64');
    // the HTTP-POST binding: a form the browser submits to the ACS
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="${esc(acsUrl)}"><input type="hidden" name="SAMLResponse" value="${esc(samlResponse)}"><input type="hidden" name="RelayState" value="${esc(relayState)}"><noscript><button>Continue</button></noscript></form></body></html>`);
  }
  return idp;
}
