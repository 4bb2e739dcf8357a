/**
 * SAML 2.0 single sign-on, the pure parts (docs/sso.md): an IdP's signing certificates as PEM, an
 * IdP's metadata read into settings, who a verified assertion names (subject, email, name), and
 * the checks node-saml leaves to us on an assertion whose signature it verified (the Recipient,
 * the Response's Destination, the assertion's time window on Parley's clock, the issuer).
 *
 * Nothing here verifies a signature: node-saml (xml-crypto) does, in src/commands/saml.ts.
 */
import { sign, X509Certificate, type KeyObject } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';

export const SAML_NS = { metadata: 'urn:oasis:names:tc:SAML:2.0:metadata', dsig: 'http://www.w3.org/2000/09/xmldsig#' } as const;
export const SAML_REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const NAMEID_TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
/** Where an email comes from when the admin names no attribute, after an emailAddress NameID. */
export const DEFAULT_EMAIL_ATTRIBUTES = ['email', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'mail', 'urn:oid:0.9.2342.19200300.100.1.3'];
export const DEFAULT_NAME_ATTRIBUTES = ['displayName', 'http://schemas.microsoft.com/identity/claims/displayname', 'name'];
/** How far the IdP's clock and ours may disagree. */
export const SAML_CLOCK_SKEW_MS = 2 * 60_000;

/** A certificate that is not one: the admin's settings are refused (400) with this reason. */
export class SamlSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamlSettingsError';
  }
}

/** One certificate as PEM (a PEM block, or the bare base64 of metadata's X509Certificate); throws SamlSettingsError when it does not parse as X.509. */
export function certificatePem(text: string): string {
  const body = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!body || !/^[A-Za-z0-9+/]+=*$/.test(body)) throw new SamlSettingsError('a signing certificate must be a PEM block (-----BEGIN CERTIFICATE-----) or its base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
  } catch {
    throw new SamlSettingsError('a signing certificate could not be read as an X.509 certificate');
  }
  return pem;
}

/** Several PEM blocks pasted together, each checked. */
export function certificatesPem(texts: string[]): string[] {
  const out: string[] = [];
  for (const t of texts) {
    const blocks = t.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? (t.trim() ? [t] : []);
    for (const b of blocks) out.push(certificatePem(b));
  }
  return [...new Set(out)];
}

/** The certificates a provider keeps (`sso_provider.saml_idp_certs`, a JSON array of PEM); none if unreadable. */
export function storedCertificates(json: string | null | undefined): string[] {
  try {
    const c = JSON.parse(json ?? '[]') as unknown;
    return Array.isArray(c) ? c.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  certificates: string[];
  /** The SingleLogoutService with the HTTP-Redirect binding, if any. */
  sloUrl: string | null;
}

/** An IdP's metadata XML (EntityDescriptor with an IDPSSODescriptor): its entity id, HTTP-Redirect SSO URL and signing certificates. */
export function parseIdpMetadata(xml: string): IdpMetadata {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: { error: (m: string) => errors.push(m), fatalError: (m: string) => errors.push(m), warning: () => {} } }).parseFromString(xml, 'text/xml');
  if (errors.length || !doc?.documentElement) throw new SamlSettingsError('the metadata is not XML');
  const entities = [doc.documentElement, ...Array.from(doc.getElementsByTagNameNS(SAML_NS.metadata, 'EntityDescriptor'))].filter((e) => e.localName === 'EntityDescriptor' && e.namespaceURI === SAML_NS.metadata);
  const entity = entities.find((e) => e.getElementsByTagNameNS(SAML_NS.metadata, 'IDPSSODescriptor').length > 0);
  if (!entity) throw new SamlSettingsError('the metadata has no identity provider (EntityDescriptor with an IDPSSODescriptor)');
  const idp = entity.getElementsByTagNameNS(SAML_NS.metadata, 'IDPSSODescriptor')[0]!;
  const entityId = entity.getAttribute('entityID') ?? '';
  if (!entityId) throw new SamlSettingsError('the metadata names no entityID');
  const sso = Array.from(idp.getElementsByTagNameNS(SAML_NS.metadata, 'SingleSignOnService')).find((s) => s.getAttribute('Binding') === SAML_REDIRECT_BINDING);
  if (!sso?.getAttribute('Location')) throw new SamlSettingsError('the metadata has no SingleSignOnService with the HTTP-Redirect binding');
  const certificates: string[] = [];
  for (const kd of Array.from(idp.getElementsByTagNameNS(SAML_NS.metadata, 'KeyDescriptor'))) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const c of Array.from(kd.getElementsByTagNameNS(SAML_NS.dsig, 'X509Certificate'))) certificates.push(certificatePem(c.textContent ?? ''));
  }
  if (!certificates.length) throw new SamlSettingsError('the metadata has no signing certificate');
  const slo = Array.from(idp.getElementsByTagNameNS(SAML_NS.metadata, 'SingleLogoutService')).find((s) => s.getAttribute('Binding') === SAML_REDIRECT_BINDING);
  return { entityId, ssoUrl: sso.getAttribute('Location')!, certificates: [...new Set(certificates)], sloUrl: slo?.getAttribute('Location') || null };
}

/** What node-saml's profile gives (the verified assertion's subject and attributes). */
export interface SamlProfileLike {
  issuer?: string;
  nameID?: string;
  nameIDFormat?: string;
  attributes?: Record<string, unknown>;
}

const firstString = (v: unknown): string | undefined => {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.trim() ? x.trim() : undefined;
};

/**
 * Who a verified assertion names: the subject Parley links (the issuer and the NameID; a transient
 * NameID changes at every sign-in, so then the email stands in), the email (the admin's attribute,
 * else an emailAddress NameID, else the usual attributes), and a display name if any.
 */
export function samlIdentity(profile: SamlProfileLike, settings: { emailAttribute: string | null; nameAttribute: string | null }): { subject: string | null; email: string | null; name: string | null } {
  const attrs = profile.attributes ?? {};
  let email: string | undefined;
  if (settings.emailAttribute) email = firstString(attrs[settings.emailAttribute]);
  else {
    if (profile.nameIDFormat === NAMEID_EMAIL) email = firstString(profile.nameID);
    for (const a of DEFAULT_EMAIL_ATTRIBUTES) email ??= firstString(attrs[a]);
  }
  let name: string | undefined;
  for (const a of settings.nameAttribute ? [settings.nameAttribute] : DEFAULT_NAME_ATTRIBUTES) name ??= firstString(attrs[a]);
  const nameId = firstString(profile.nameID);
  const issuer = profile.issuer ?? '';
  const subject = nameId && profile.nameIDFormat !== NAMEID_TRANSIENT ? `${issuer} ${nameId}` : email ? `${issuer} email:${email.toLowerCase()}` : null;
  return { subject, email: email ?? null, name: name ?? null };
}

type XmlJs = Record<string, any>;
const attr = (node: XmlJs | undefined, name: string): string | undefined => node?.$?.[name];
const when = (s: string | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : NaN;
};

/**
 * The checks of a verified assertion (xml2js form, as node-saml's `getAssertion()` gives it) that
 * node-saml leaves to us, on Parley's clock: Conditions' NotBefore / NotOnOrAfter and the bearer
 * SubjectConfirmationData's NotOnOrAfter within the clock skew, its Recipient our ACS URL. The
 * reason it fails, or null; and when the assertion stops being acceptable (for the replay cache).
 */
export function checkSamlAssertion(parsed: XmlJs, p: { now: number; acsUrl: string }): { reason: string | null; expiresAt: number; id: string | null } {
  const a: XmlJs | undefined = parsed?.Assertion;
  const id = attr(a, 'ID') ?? null;
  const fail = (reason: string) => ({ reason, expiresAt: p.now, id });
  if (!a) return fail('no assertion');
  const cond: XmlJs | undefined = a.Conditions?.[0];
  const notBefore = when(attr(cond, 'NotBefore'));
  const notOnOrAfter = when(attr(cond, 'NotOnOrAfter'));
  if (Number.isNaN(notBefore) || Number.isNaN(notOnOrAfter)) return fail('a Conditions time is not a date');
  if (notBefore !== undefined && p.now + SAML_CLOCK_SKEW_MS < notBefore) return fail('not yet valid (NotBefore)');
  if (notOnOrAfter !== undefined && p.now - SAML_CLOCK_SKEW_MS >= notOnOrAfter) return fail('expired (NotOnOrAfter)');
  const confirmations: XmlJs[] = a.Subject?.[0]?.SubjectConfirmation ?? [];
  const bearer = confirmations.find((c) => attr(c, 'Method') === 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
  const data: XmlJs | undefined = bearer?.SubjectConfirmationData?.[0];
  if (!data) return fail('no bearer SubjectConfirmationData');
  if (attr(data, 'Recipient') !== p.acsUrl) return fail(`the Recipient is not this desk's ACS URL (${String(attr(data, 'Recipient') ?? 'none').slice(0, 200)})`);
  const dataUntil = when(attr(data, 'NotOnOrAfter'));
  if (dataUntil === undefined || Number.isNaN(dataUntil)) return fail('the SubjectConfirmationData has no NotOnOrAfter');
  if (p.now - SAML_CLOCK_SKEW_MS >= dataUntil) return fail('expired (SubjectConfirmationData NotOnOrAfter)');
  if (!id) return fail('the assertion has no ID');
  const until = Math.max(dataUntil, notOnOrAfter ?? 0) + SAML_CLOCK_SKEW_MS;
  return { reason: null, expiresAt: until, id };
}

// --- the SP's own certificate: a minimal self-signed X.509 v3 (RFC 5280) in DER, as Node writes none ---

const derLength = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const der = (tag: number, ...body: Buffer[]): Buffer => {
  const b = Buffer.concat(body);
  return Buffer.concat([Buffer.from([tag]), derLength(b.length), b]);
};
const SEQUENCE = 0x30;
const SHA256_WITH_RSA = der(SEQUENCE, Buffer.from('06092a864886f70d01010b', 'hex'), Buffer.from('0500', 'hex'));
const derTime = (t: number): Buffer => {
  const s = new Date(t).toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
  // UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime after (RFC 5280 4.1.2.5)
  const year = new Date(t).getUTCFullYear();
  return year < 2050 ? der(0x17, Buffer.from(s.slice(2), 'ascii')) : der(0x18, Buffer.from(s, 'ascii'));
};
const derName = (cn: string) => der(SEQUENCE, der(0x31, der(SEQUENCE, Buffer.from('0603550403', 'hex'), der(0x0c, Buffer.from(cn, 'utf8')))));

/**
 * A self-signed certificate (PEM) for an RSA key: subject and issuer `CN=<commonName>`, SHA-256
 * with RSA, the serial and validity given. What an IdP wants of an SP certificate is only its
 * public key (to check AuthnRequest signatures, to encrypt assertions), so no extensions.
 * Deterministic (RSA PKCS#1 v1.5 signing is): the caller picks the serial.
 */
export function selfSignedCertificatePem(p: { privateKey: KeyObject; publicKey: KeyObject; commonName: string; serial: Buffer; notBefore: number; notAfter: number }): string {
  // a positive INTEGER in DER's minimal form: no leading 0 bytes but one where the top bit is set
  // (a random serial starting 00 7f… is "illegal padding" to OpenSSL: one SP key pair in 512 unreadable)
  let first = 0;
  while (first < p.serial.length - 1 && p.serial[first] === 0 && !(p.serial[first + 1]! & 0x80)) first++;
  const digits = p.serial.subarray(first);
  const serial = digits[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), digits]) : digits;
  const name = derName(p.commonName);
  const tbs = der(SEQUENCE,
    der(0xa0, der(0x02, Buffer.from([2]))), // version v3
    der(0x02, serial),
    SHA256_WITH_RSA,
    name,
    der(SEQUENCE, derTime(p.notBefore), derTime(p.notAfter)),
    name,
    p.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, p.privateKey);
  const cert = der(SEQUENCE, tbs, SHA256_WITH_RSA, der(0x03, Buffer.from([0]), signature));
  return `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The time checks of a verified LogoutRequest (xml2js form) node-saml leaves to us, on Parley's
 * clock: its NotOnOrAfter (Core 3.7.1) within the clock skew, and an IssueInstant neither in the
 * future nor older than `maxAgeMs` (a request without NotOnOrAfter still ages out). The reason it
 * fails, or null.
 */
export function checkLogoutRequestTimes(request: XmlJs | undefined, p: { now: number; maxAgeMs: number }): string | null {
  const until = when(attr(request, 'NotOnOrAfter'));
  const issued = when(attr(request, 'IssueInstant'));
  if (Number.isNaN(until) || issued === undefined || Number.isNaN(issued)) return 'the LogoutRequest\'s IssueInstant or NotOnOrAfter is not a date';
  if (until !== undefined && p.now - SAML_CLOCK_SKEW_MS >= until) return 'expired (NotOnOrAfter)';
  if (issued > p.now + SAML_CLOCK_SKEW_MS) return 'issued in the future (IssueInstant)';
  if (issued < p.now - SAML_CLOCK_SKEW_MS - p.maxAgeMs) return 'too old (IssueInstant)';
  return null;
}
