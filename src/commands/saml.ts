/**
 * Single sign-on with SAML 2.0 (docs/sso.md): Parley the Service Provider, SP-initiated: the
 * AuthnRequest goes to the IdP by HTTP-Redirect, the Response comes back by HTTP-POST to the ACS.
 *
 * Each provider has its own SP key pair (`spKeysOf`, made when first needed, the private key kept
 * sealed, a self-signed certificate published in the provider's SP metadata): with it the
 * AuthnRequest is signed (the provider's `saml_sign_requests`) and an EncryptedAssertion is
 * decrypted; with `saml_want_encrypted` a plaintext assertion is refused.
 *
 * node-saml (xml-crypto) verifies the signature — of the Response or of its one Assertion; an
 * unsigned one is refused — against the IdP certificates the admin gave, the Audience (our SP
 * entity id) and that the Response answers the AuthnRequest this sign-in sent (InResponseTo).
 * We check the rest on Parley's clock (src/core/saml.ts): the issuer, the Recipient and
 * Destination (our ACS URL), NotBefore / NotOnOrAfter with a small skew; and each assertion ID
 * is taken once (`sso_saml_assertion`, shared by every process, pruned by housekeeping).
 *
 * A started SAML sign-in is an `sso_login` row as an OpenID Connect one is (10 minutes, once,
 * bound to the browser that started it): the RelayState is its state, the AuthnRequest's ID its
 * nonce. The IdP's POST is cross-site, so the binding cookie is `parley_saml` (SameSite=None;
 * Secure) rather than `parley_sso` (Lax).
 *
 * IdP-initiated sign-in (an app tile: an unsolicited Response, no InResponseTo, SAML Profiles
 * 4.1.5) is a provider's opt-in (`saml_idp_initiated`, off by default): then such a Response is
 * taken when signed and checked as above, issued in the last few minutes, its assertion ID not
 * taken before; its RelayState only a same-origin path to land on. Off, it is refused, the reason
 * saying where an admin turns it on.
 *
 * Who signs in follows the OpenID Connect rules (`personFor`): the IdP is trusted to assert the
 * email (a verified email), allowed domains, auto-provisioning, disabled people. Every refusal at
 * the ACS is audited (`sso.saml_refused`, with the reason) when the provider is known.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, verify as verifySignature, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { SAML, ValidateInResponseTo, type Profile } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { checkLogoutRequestTimes, checkSamlAssertion, SAML_CLOCK_SKEW_MS, SAML_REDIRECT_BINDING, samlIdentity, selfSignedCertificatePem, storedCertificates, type SamlProfileLike } from '../core/saml.js';
import { audit } from '../store/audit.js';
import { enabledProvider, personFor, safeNext, SSO_LOGIN_TTL_MS, SsoSignInError, takeLogin, type FinishedSsoSignIn, type ProviderRow, type SsoDeps, type StartedSsoSignIn } from './sso.js';
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { getVerifiedXml, parseDomFromString, parseXml2JsFromString } from '@node-saml/node-saml/lib/xml.js';
import { AppError } from '../errors.js';
import type { Actor } from './context.js';

export const SAML_ACS_PATH = '/api/auth/sso/saml/acs';
export const SAML_METADATA_PATH = '/api/auth/sso/saml/metadata';
/**
 * Single logout (SAML Profiles 4.4): the IdP's LogoutRequest and LogoutResponse, HTTP-Redirect (GET)
 * or HTTP-POST. The desk-wide endpoint, listed in SP metadata before the providers' own; kept for
 * IdPs given it (a request there cannot say which brand it is for: see samlSingleLogout).
 */
export const SAML_SLO_PATH = '/api/auth/sso/saml/slo';
/**
 * One provider's SLO endpoint (listed in its SP metadata): a message there is that provider's (it must
 * verify for it, and it answers); a LogoutRequest there also ends the sessions it names of the other
 * providers of that brand it verifies for (one IdP application, one SLO URL), never another brand's.
 */
export const samlProviderSloPath = (providerId: number | string) => `/api/auth/sso/saml/${providerId}/slo`;
/** One provider's SP metadata: the same entity id and ACS, with that provider's SP certificate (signing, encryption). */
export const samlProviderMetadataPath = (providerId: number | string) => `/api/auth/sso/saml/${providerId}/metadata`;
/** How long the SP's self-signed certificate is valid: IdPs pin it, so long; a new key means a new provider. */
export const SP_CERT_VALID_MS = 10 * 365 * 24 * 60 * 60_000;
/** The cookie binding a started SAML sign-in to its browser: SameSite=None (the IdP's POST is cross-site), so Secure. */
export const SAML_BROWSER_COOKIE = 'parley_saml';

/** The desk's SP entity id and ACS URL, from its public origin. */
export const samlSp = (origin: string) => ({ entityId: `${origin}${SAML_METADATA_PATH}`, acsUrl: `${origin}${SAML_ACS_PATH}` });

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const certsOf = (row: ProviderRow): string[] => storedCertificates(row.saml_idp_certs);

/** A provider's SP key pair: the private key (PEM, kept sealed) and its self-signed certificate (PEM). */
export interface SpKeys {
  key: string;
  cert: string;
}

/**
 * The provider's SP key pair, made when first needed (RSA 2048, a self-signed certificate for ten
 * years) and kept, the private key sealed. Two processes making one at once: the first kept wins,
 * and both use it.
 */
export async function spKeysOf(d: SsoDeps, row: ProviderRow, now: number): Promise<SpKeys> {
  if (row.saml_sp_key && row.saml_sp_cert) return { key: d.secrets.open<string>(row.saml_sp_key), cert: row.saml_sp_cert };
  // the first need may be the public metadata URL: a burst of first fetches makes one key pair in
  // this process, not one each (another process's is dropped by the conditional write below)
  let inStore = spKeysMaking.get(d.store);
  if (!inStore) spKeysMaking.set(d.store, (inStore = new Map()));
  let making = inStore.get(row.id);
  if (!making) {
    const mine = inStore;
    making = makeSpKeys(d, row, now).finally(() => mine.delete(row.id));
    inStore.set(row.id, making);
  }
  const made = await making;
  row.saml_sp_key = made.sealed;
  row.saml_sp_cert = made.cert;
  return { key: made.key, cert: made.cert };
}

/** The key pairs being made, by store and provider. */
const spKeysMaking = new WeakMap<object, Map<number, Promise<SpKeys & { sealed: string }>>>();

async function makeSpKeys(d: SsoDeps, row: ProviderRow, now: number): Promise<SpKeys & { sealed: string }> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const key = createPrivateKey(privateKey);
  const cert = selfSignedCertificatePem({ privateKey: key, publicKey: createPublicKey(key), commonName: `Parley SAML SP (provider ${row.id})`, serial: randomBytes(16), notBefore: now - 60 * 60_000, notAfter: now + SP_CERT_VALID_MS });
  const made = await d.store.db.updateTable('sso_provider').set({ saml_sp_key: d.secrets.seal(privateKey), saml_sp_cert: cert }).where('id', '=', row.id).where('saml_sp_key', 'is', null).executeTakeFirst();
  // the certificate an IdP is given from now on: audited by its fingerprint (the key never leaves)
  if (Number(made.numUpdatedRows) === 1) await audit(d.store.db, { brandId: row.brand_id, actor: 'system:sso', action: 'sso.saml_sp_key.create', subjectType: 'sso_provider', subjectId: row.id, data: { certificateSha256: new X509Certificate(cert).fingerprint256 } }, now);
  const kept = await d.store.db.selectFrom('sso_provider').select(['saml_sp_key', 'saml_sp_cert']).where('id', '=', row.id).executeTakeFirstOrThrow();
  return { key: d.secrets.open<string>(kept.saml_sp_key!), cert: kept.saml_sp_cert!, sealed: kept.saml_sp_key! };
}

/**
 * node-saml for one provider and one sign-in: InResponseTo must be `requestId` (the rest of its
 * one-use, expiry and browser binding is the `sso_login` row's); null: none is checked (an
 * unsolicited Response, whose own checks are `finishIdpInitiated`'s). With `sign`, the AuthnRequest is
 * signed (RSA-SHA256, the HTTP-Redirect binding's SigAlg and Signature); with `decrypt`, an
 * EncryptedAssertion is decrypted with the SP key.
 */
function samlFor(row: ProviderRow, sp: { entityId: string; acsUrl: string }, requestId: string | null, keys: { sign?: SpKeys; decrypt?: SpKeys } = {}): SAML {
  const certs = certsOf(row);
  return new SAML({
    ...(keys.sign ? { privateKey: keys.sign.key, signatureAlgorithm: 'sha256' as const } : {}),
    ...(keys.decrypt ? { decryptionPvk: keys.decrypt.key } : {}),
    entryPoint: row.saml_sso_url ?? undefined,
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acsUrl,
    idpCert: certs.length ? certs : 'none',
    // one of the two signed is required (node-saml refuses a Response with neither)
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: false,
    // times are checked on Parley's clock (core/saml.ts), not node-saml's
    acceptedClockSkewMs: -1,
    // null: an unsolicited Response (IdP-initiated), checked for having no InResponseTo by finishIdpInitiated
    validateInResponseTo: requestId === null ? ValidateInResponseTo.never : ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: SSO_LOGIN_TTL_MS,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    generateUniqueId: () => requestId ?? `_${randomBytes(20).toString('hex')}`,
    cacheProvider: {
      saveAsync: async (key, value) => ({ value, createdAt: Date.now() }),
      // the request this sign-in sent, and no other (node-saml compares its age on the wall clock: now)
      getAsync: async (key) => (requestId !== null && key === requestId ? new Date().toISOString() : null),
      removeAsync: async () => null,
    },
  });
}

/** Start a SAML sign-in: an `sso_login` row (RelayState hashed, AuthnRequest ID, browser token hashed), and the IdP's SSO URL with the deflated AuthnRequest. */
export async function startSamlSignIn(d: SsoDeps, row: ProviderRow, p: { origin: string; next?: string }, now: number): Promise<StartedSsoSignIn> {
  const sp = samlSp(p.origin);
  if (!row.saml_sso_url || !certsOf(row).length) throw new SsoSignInError('unavailable', 'the SAML provider is not fully set up');
  const requestId = `_${randomBytes(20).toString('hex')}`;
  const relayState = randomBytes(32).toString('base64url');
  const browserToken = randomBytes(32).toString('base64url');
  await d.store.db.deleteFrom('sso_login').where('expires_at', '<', now).execute();
  await d.store.db.insertInto('sso_login').values({
    provider_id: row.id, state_hash: sha256(relayState), browser_hash: sha256(browserToken), nonce: requestId, code_verifier: '',
    redirect_uri: sp.acsUrl, next_path: safeNext(p.next), created_at: now, expires_at: now + SSO_LOGIN_TTL_MS,
  }).execute();
  let url: string;
  try {
    const sign = Number(row.saml_sign_requests) === 1 ? await spKeysOf(d, row, now) : undefined;
    url = await samlFor(row, sp, requestId, { sign }).getAuthorizeUrlAsync(relayState, undefined, {});
  } catch (err) {
    throw new SsoSignInError('provider', err instanceof Error ? err.message : String(err));
  }
  return { authorizationUrl: url, browserToken, protocol: 'saml' };
}

/** The SP metadata the admin gives the IdP: entity id, ACS (HTTP-POST), no signing or encryption keys. */
export function samlSpMetadata(origin: string): string {
  const sp = samlSp(origin);
  return new SAML({ issuer: sp.entityId, callbackUrl: sp.acsUrl, idpCert: 'none', identifierFormat: null, wantAssertionsSigned: true }).generateServiceProviderMetadata(null, null);
}

/**
 * One SAML provider's SP metadata: the desk's entity id and ACS, its SP certificate as the
 * encryption key (always: an IdP may encrypt) and, when it signs its AuthnRequests, as the signing
 * key with AuthnRequestsSigned="true" (and as the signing key of its LogoutRequests when single
 * logout is set); WantAssertionsSigned="true" (unsigned answers are never
 * taken). The key pair is made here if the provider has none yet. Unknown or not SAML: null.
 */
export async function samlProviderSpMetadata(d: SsoDeps, providerId: number, origin: string, now: number): Promise<string | null> {
  const row = await d.store.db.selectFrom('sso_provider').selectAll().where('id', '=', providerId).where('protocol', '=', 'saml').executeTakeFirst();
  if (!row) return null;
  const keys = await spKeysOf(d, row, now);
  const sp = samlSp(origin);
  const signs = Number(row.saml_sign_requests) === 1;
  // the provider's own SLO endpoint: a LogoutRequest there signs out this provider's sessions (and those of its brand's other providers of the IdP it verifies for)
  const slo = row.saml_slo_url ? samlSloUrl(origin, row.id) : undefined;
  // the LogoutRequests Parley sends are signed whatever the AuthnRequests: with single logout the
  // certificate is listed for signing too (node-saml lists it only with AuthnRequestsSigned, put back)
  const listsSigning = signs || slo !== undefined;
  let xml = new SAML({ issuer: sp.entityId, callbackUrl: sp.acsUrl, idpCert: 'none', identifierFormat: null, wantAssertionsSigned: true, decryptionPvk: keys.key, logoutCallbackUrl: slo, ...(listsSigning ? { privateKey: keys.key, signatureAlgorithm: 'sha256' as const } : {}) })
    .generateServiceProviderMetadata(keys.cert, listsSigning ? keys.cert : null);
  if (!signs) xml = xml.replace(/AuthnRequestsSigned="true"/, 'AuthnRequestsSigned="false"');
  // node-saml names only the HTTP-POST binding; the SLO endpoint takes HTTP-Redirect too (listed first: preferred)
  return slo ? xml.replace(/<SingleLogoutService\b/, `<SingleLogoutService Binding="${SAML_REDIRECT_BINDING}" Location="${slo.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"/>$&`) : xml;
}

/** Unverified peeks at a Response, only to name the provider in the audit trail, to compare its Destination and to tell an unsolicited one (no InResponseTo). */
function peek(xml: string): { issuer: string | null; destination: string | null; plainAssertion: boolean; encryptedAssertion: boolean; unsolicited: boolean; issueInstant: string | null } {
  const none = { issuer: null, destination: null, plainAssertion: false, encryptedAssertion: false, unsolicited: false, issueInstant: null };
  try {
    const doc = new DOMParser({ errorHandler: { error: () => {}, fatalError: () => {}, warning: () => {} } }).parseFromString(xml, 'text/xml');
    const root = doc.documentElement;
    if (!root || root.localName !== 'Response') return none;
    const children = Array.from(root.childNodes) as Element[];
    const issuer = children.find((n) => n.localName === 'Issuer')?.textContent?.trim() ?? null;
    return {
      issuer, destination: root.getAttribute('Destination') || null, plainAssertion: children.some((n) => n.localName === 'Assertion'), encryptedAssertion: children.some((n) => n.localName === 'EncryptedAssertion'),
      unsolicited: !root.getAttribute('InResponseTo'), issueInstant: root.getAttribute('IssueInstant') || null,
    };
  } catch {
    return none;
  }
}
type Peeked = ReturnType<typeof peek>;

/** Refusals of Responses that no sign-in of the browser stands behind: audited at most this often per provider. */
export const UNVERIFIED_REFUSAL_EVERY_MS = 60_000;

async function unverifiedRefusalSince(d: SsoDeps, provider: { id: number; brand_id: number }, since: number): Promise<boolean> {
  const recent = await d.store.db.selectFrom('audit_event').select('data').where('brand_id', '=', provider.brand_id).where('created_at', '>', since).where('action', '=', 'sso.saml_refused').where('subject_type', '=', 'sso_provider').where('subject_id', '=', String(provider.id)).orderBy('id', 'desc').limit(20).execute();
  return recent.some((r) => { try { return JSON.parse(r.data).unverified === true; } catch { return false; } });
}

export interface FinishSamlSignInProps {
  samlResponse: string;
  relayState: string | undefined;
  browserToken: string | undefined;
  /** The desk's origin (PARLEY_PUBLIC_URL, else the request's): the SP entity id and ACS URL. */
  origin: string;
  ip: string;
}

/** What a sign-in found before it was refused: the provider that verified it (its audit trail gets the refusal) and the way back. */
interface SignInSoFar {
  row?: ProviderRow;
  next?: string;
  /** Not verified, the provider the Response names whose audit trail hears of its refusal (else the first with its Issuer). */
  named?: { id: number; brand_id: number };
}

/**
 * Finish a SAML sign-in at the ACS. A Response to a sign-in started here (SP-initiated): the
 * started sign-in taken once (by RelayState, in its browser), the Response verified, the assertion
 * taken once, then the person found, linked or created by the same rules as OpenID Connect. An
 * unsolicited Response (IdP-initiated: no InResponseTo, and no RelayState of a sign-in started
 * here): refused unless its provider allows IdP-initiated sign-in (`finishIdpInitiated`). Throws
 * SsoSignInError with the login page's code; refusals are audited as `sso.saml_refused` with the reason.
 */
export async function finishSamlSignIn(d: SsoDeps, p: FinishSamlSignInProps, now: number): Promise<FinishedSsoSignIn> {
  const xml = Buffer.from(p.samlResponse, 'base64').toString('utf8');
  const peeked = peek(xml);
  const so: SignInSoFar = {};
  try {
    // a RelayState naming a sign-in started here keeps the Response to that sign-in's rules (InResponseTo required)
    if (peeked.unsolicited && !(await startedHere(d, p.relayState))) return await finishIdpInitiated(d, p, peeked, so, now);
    return await finishSpInitiated(d, p, peeked, so, now);
  } catch (err) {
    if (!(err instanceof SsoSignInError)) throw err;
    if (so.next !== undefined) err.next = so.next;
    if (so.row) {
      await audit(d.store.db, { brandId: so.row.brand_id, actor: `sso:${so.row.id}`, action: 'sso.saml_refused', subjectType: 'sso_provider', subjectId: so.row.id, data: { code: err.code, reason: err.message.slice(0, 500), ip: p.ip } }, now);
    } else if (peeked.issuer) {
      // no sign-in of this browser behind it: the provider is named only by the Response's unverified
      // Issuer, which anyone can POST, so at most one such refusal a minute reaches its audit trail
      const known = so.named ?? await d.store.db.selectFrom('sso_provider').select(['id', 'brand_id']).where('protocol', '=', 'saml').where('issuer', '=', peeked.issuer).orderBy('id').executeTakeFirst();
      if (known && !(await unverifiedRefusalSince(d, known, now - UNVERIFIED_REFUSAL_EVERY_MS))) {
        await audit(d.store.db, { brandId: known.brand_id, actor: `sso:${known.id}`, action: 'sso.saml_refused', subjectType: 'sso_provider', subjectId: known.id, data: { code: err.code, reason: err.message.slice(0, 500), ip: p.ip, unverified: true } }, now);
      }
    }
    throw err;
  }
}

/** Whether the RelayState names a sign-in started here (whatever became of it). */
async function startedHere(d: SsoDeps, relayState: string | undefined): Promise<boolean> {
  if (!relayState) return false;
  return (await d.store.db.selectFrom('sso_login').select('id').where('state_hash', '=', sha256(relayState)).executeTakeFirst()) !== undefined;
}

async function finishSpInitiated(d: SsoDeps, p: FinishSamlSignInProps, peeked: Peeked, so: SignInSoFar, now: number): Promise<FinishedSsoSignIn> {
  const login = await takeLogin(d.store, p.relayState, p.browserToken, now).catch((err: unknown) => {
    if (err instanceof SsoSignInError) err.message = p.relayState ? 'no such sign-in started in this browser, already used, or older than 10 minutes' : 'unsolicited: no RelayState of a sign-in started here';
    throw err;
  });
  so.next = login.next_path;
  const row = (so.row = await enabledProvider(d.store, login.provider_id));
  if (row.protocol !== 'saml') throw new SsoSignInError('expired', 'the sign-in was not started with a SAML provider');
  const sp = samlSp(p.origin);
  if (login.redirect_uri !== sp.acsUrl) throw new SsoSignInError('provider', 'the ACS URL changed since the sign-in started');
  const profile = await verifiedProfile(d, row, sp, login.nonce, p.samlResponse, peeked, now);
  const checked = checkedResponse(row, sp, profile, peeked, now);
  await takeAssertion(d, row, checked.id, checked.expiresAt, now);
  const who = await samlPerson(d, row, profile, now);
  return { ...who, providerId: row.id, trustsMfa: row.trusts_mfa === 1, loginId: login.id, next: login.next_path, startedAt: Number(login.created_at), sealedIdToken: null };
}

/**
 * node-saml's verdict on a Response for one provider: the signature (Response or Assertion) by its
 * certificates, the Audience, InResponseTo (`requestId`; null: an unsolicited Response, which must
 * have none) and the decryption of an EncryptedAssertion. With `saml_want_encrypted` a plaintext
 * assertion is refused even when signed (it crossed the browser readable).
 */
async function verifiedProfile(d: SsoDeps, row: ProviderRow, sp: { entityId: string; acsUrl: string }, requestId: string | null, samlResponse: string, peeked: Peeked, now: number): Promise<Profile> {
  if (Number(row.saml_want_encrypted) === 1 && peeked.plainAssertion) throw new SsoSignInError('provider', 'not encrypted: the provider requires encrypted assertions and this one came in plaintext');
  try {
    const decrypt = peeked.encryptedAssertion ? await spKeysOf(d, row, now) : undefined;
    const done = await samlFor(row, sp, requestId, { decrypt }).validatePostResponseAsync({ SAMLResponse: samlResponse }).catch((err: unknown) => {
      // xml-encryption's own words ("error:02000079:rsa routines::oaep decoding error") say little to an admin
      if (decrypt && err instanceof Error && /decrypt|oaep|padding|rsa routines|EncryptedKey|Invalid EncryptedAssertion/i.test(err.message)) throw new Error(`undecryptable: the encrypted assertion could not be decrypted with this provider's SP key (encrypted for another certificate?): ${err.message.slice(0, 200)}`);
      throw err;
    });
    if (!done.profile) throw new Error('no assertion');
    return done.profile;
  } catch (err) {
    throw new SsoSignInError('provider', err instanceof Error ? err.message : String(err));
  }
}

/** Parley's checks of a verified Response, on its clock (core/saml.ts): the signed issuer, the Destination, the Recipient, NotBefore / NotOnOrAfter. The assertion's ID and until when it must be kept. */
function checkedResponse(row: ProviderRow, sp: { acsUrl: string }, profile: Profile, peeked: Peeked, now: number): { id: string; expiresAt: number } {
  if (profile.issuer !== row.issuer) throw new SsoSignInError('provider', `the assertion's issuer is not the provider's entity id (${String(profile.issuer).slice(0, 200)})`);
  if (peeked.destination && peeked.destination !== sp.acsUrl) throw new SsoSignInError('provider', 'the Response\'s Destination is not this desk\'s ACS URL');
  const checked = checkSamlAssertion((profile.getAssertion?.() ?? {}) as Record<string, unknown>, { now, acsUrl: sp.acsUrl });
  if (checked.reason) throw new SsoSignInError('provider', checked.reason);
  return { id: checked.id!, expiresAt: checked.expiresAt };
}

/** Each assertion once (`sso_saml_assertion`, kept until `until`; a row left from one since expired, not yet pruned, is taken over). */
async function takeAssertion(d: SsoDeps, row: ProviderRow, assertionId: string, until: number, now: number): Promise<void> {
  const taken = await d.store.db.insertInto('sso_saml_assertion').values({ issuer: row.issuer, assertion_id: assertionId, expires_at: until })
    .onConflict((oc) => oc.columns(['issuer', 'assertion_id']).doUpdateSet({ expires_at: until }).where('sso_saml_assertion.expires_at', '<=', now))
    .executeTakeFirst();
  if (!Number(taken.numInsertedOrUpdatedRows ?? 0)) throw new SsoSignInError('expired', 'replayed: this assertion was taken before');
}

/** Who a verified assertion signs in (`personFor`), with what single logout needs kept: the NameID (sealed, and its hash) and the SessionIndex. */
async function samlPerson(d: SsoDeps, row: ProviderRow, profile: Profile, now: number): Promise<Pick<FinishedSsoSignIn, 'user' | 'provisioned' | 'sid' | 'samlNameId'>> {
  const who = samlIdentity(profile as SamlProfileLike, { emailAttribute: row.saml_email_attribute, nameAttribute: row.saml_name_attribute });
  if (!who.subject) throw new SsoSignInError('unverified_email', 'the assertion names neither a NameID nor an email');
  // the IdP asserts the email: it is the verified email the rules ask for (allowed domains still hold)
  const claims = { email: who.email ?? undefined, email_verified: who.email != null, name: who.name ?? undefined };
  const { user, provisioned } = await personFor(d, row, who.subject, claims, now);
  // kept with the session for single logout: the NameID with its Format and qualifiers (sealed; its
  // hash finds the session; all of it is what a LogoutRequest's NameID must match) and the SessionIndex
  const nameId = typeof profile.nameID === 'string' && profile.nameID ? profile.nameID : null;
  const kept: KeptNameId | null = nameId ? { nameId, format: profile.nameIDFormat ?? null, nameQualifier: profile.nameQualifier ?? null, spNameQualifier: profile.spNameQualifier ?? null } : null;
  const samlNameId = kept ? { sealed: d.secrets.seal(JSON.stringify(kept)), hash: sha256(kept.nameId) } : null;
  const sid = typeof profile.sessionIndex === 'string' && profile.sessionIndex ? profile.sessionIndex.slice(0, 500) : null;
  return { user, provisioned, sid, samlNameId };
}

// --- IdP-initiated sign-in (SAML Profiles 4.1.5, unsolicited responses) ---

/**
 * How old an unsolicited assertion may be (its IssueInstant, beyond the clock skew): no request
 * stands behind it, so only a fresh one is taken (an app tile's is seconds old).
 */
export const SAML_IDP_INITIATED_MAX_AGE_MS = 5 * 60_000;
/** Where an IdP-initiated sign-in lands when its RelayState is not a path of this desk. */
export const SAML_IDP_INITIATED_LANDING = '/inbox';

/**
 * Where an IdP-initiated sign-in goes: its RelayState when a same-origin relative path (Profiles
 * 4.1.5: the IdP MAY say where, "based on mutual agreement"; nothing else is trusted from it), else the inbox.
 */
export function idpInitiatedLanding(relayState: string | undefined): string {
  const next = safeNext(relayState);
  return next === '/' ? SAML_IDP_INITIATED_LANDING : next;
}

/**
 * The checks an unsolicited assertion needs beyond a solicited one's (pure; `assertion` as node-saml
 * parses it, `{ Assertion: … }`): no bearer SubjectConfirmationData with an InResponseTo (Profiles
 * 4.1.5: an unsolicited Response carries none; an assertion that answers a request is that
 * request's only), and an IssueInstant no older than `maxAgeMs` (nor later than now) beyond the
 * clock skew — of the assertion and, when given, of the Response. The reason, or null, and when it
 * was issued.
 */
export function checkUnsolicitedAssertion(parsed: Record<string, any>, p: { now: number; maxAgeMs: number; responseIssueInstant?: string | null }): { reason: string | null; issuedAt: number } {
  const a = parsed?.Assertion;
  const issuedAt = Date.parse(a?.$?.IssueInstant ?? '');
  const fail = (reason: string) => ({ reason, issuedAt: Number.isFinite(issuedAt) ? issuedAt : p.now });
  if (!a) return fail('no assertion');
  const confirmations: any[] = a.Subject?.[0]?.SubjectConfirmation ?? [];
  if (confirmations.some((c) => c?.SubjectConfirmationData?.some?.((s: any) => s?.$?.InResponseTo))) return fail('the assertion answers an AuthnRequest (InResponseTo): it is not an unsolicited one');
  for (const [what, at] of [['the assertion', a.$?.IssueInstant], ['the Response', p.responseIssueInstant]] as const) {
    if (at === undefined || at === null) {
      if (what === 'the assertion') return fail('the assertion has no IssueInstant');
      continue;
    }
    const t = Date.parse(at);
    if (!Number.isFinite(t)) return fail(`${what}'s IssueInstant is not a date`);
    if (t > p.now + SAML_CLOCK_SKEW_MS) return fail(`${what}'s IssueInstant is in the future`);
    if (p.now - t > p.maxAgeMs + SAML_CLOCK_SKEW_MS) return fail(`stale: ${what} was issued more than ${Math.round(p.maxAgeMs / 60_000)} minutes ago (IssueInstant), too old for an IdP-initiated sign-in`);
  }
  return { reason: null, issuedAt };
}

/** Where the admin allows IdP-initiated sign-in, said in the refusal when it is off. */
const idpInitiatedOff = (label: string) =>
  `unsolicited (IdP-initiated) Response refused: IdP-initiated sign-in is off for the provider "${label.slice(0, 100)}". An admin can allow it in Admin → Single sign-on → ${label.slice(0, 100)} → "Allow IdP-initiated sign-in (app tiles)"`;

/**
 * An IdP-initiated sign-in: an unsolicited Response (no InResponseTo, no RelayState of a sign-in
 * started here), taken only for an enabled provider whose Issuer it names and that allows it
 * (`saml_idp_initiated`), verified as a solicited one is (signature, Audience, Destination,
 * Recipient, NotBefore / NotOnOrAfter, decryption), with no InResponseTo in its assertion, an
 * IssueInstant of the last few minutes (`SAML_IDP_INITIATED_MAX_AGE_MS`), and its assertion ID
 * not taken before (kept until it could no longer pass those checks). Several such providers
 * verifying it (one IdP entity id and key for several): refused, as which one is unknowable. The
 * RelayState is only a same-origin path to land on, else the inbox. There is no sign-in to bind to
 * the browser: a taken `sso_login` row is made for a second factor still to come. Audited
 * `sso.saml_idp_initiated`.
 */
async function finishIdpInitiated(d: SsoDeps, p: FinishSamlSignInProps, peeked: Peeked, so: SignInSoFar, now: number): Promise<FinishedSsoSignIn> {
  const next = idpInitiatedLanding(p.relayState);
  if (next !== SAML_IDP_INITIATED_LANDING) so.next = next;
  const named = peeked.issuer ? await d.store.db.selectFrom('sso_provider').selectAll().where('protocol', '=', 'saml').where('issuer', '=', peeked.issuer).where('enabled', '=', 1).orderBy('id').execute() : [];
  const allowing = named.filter((r) => Number(r.saml_idp_initiated) === 1);
  so.named = allowing[0] ?? named[0];
  // not verified: anyone may POST a Response naming a provider
  if (!allowing.length) throw new SsoSignInError('expired', named.length ? idpInitiatedOff(named[0]!.label) : 'unsolicited: no RelayState of a sign-in started here');
  const sp = samlSp(p.origin);
  const verified: { row: ProviderRow; profile: Profile }[] = [];
  let why = 'the signature does not verify';
  for (const row of allowing) {
    try {
      verified.push({ row, profile: await verifiedProfile(d, row, sp, null, p.samlResponse, peeked, now) });
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
  }
  if (!verified.length) throw new SsoSignInError('provider', `unsolicited (IdP-initiated) Response: ${why}`);
  const { row, profile } = verified[0]!;
  so.row = row;
  if (verified.length > 1) throw new SsoSignInError('provider', `unsolicited (IdP-initiated) Response verified for several providers (${verified.map((v) => v.row.id).join(', ')}): one IdP entity id and certificate for several, so which one is unknowable; allow IdP-initiated sign-in for one of them only`);
  const checked = checkedResponse(row, sp, profile, peeked, now);
  const fresh = checkUnsolicitedAssertion((profile.getAssertion?.() ?? {}) as Record<string, any>, { now, maxAgeMs: SAML_IDP_INITIATED_MAX_AGE_MS, responseIssueInstant: peeked.issueInstant });
  if (fresh.reason) throw new SsoSignInError('provider', fresh.reason);
  // kept until it could pass neither the validity checks nor the freshness check
  await takeAssertion(d, row, checked.id, Math.max(checked.expiresAt, fresh.issuedAt + SAML_IDP_INITIATED_MAX_AGE_MS + SAML_CLOCK_SKEW_MS), now);
  const who = await samlPerson(d, row, profile, now);
  // a sign-in row, taken already, for a second factor still to come (it then binds the browser)
  const login = await d.store.db.insertInto('sso_login').values({
    provider_id: row.id, state_hash: sha256(randomBytes(32).toString('base64url')), browser_hash: sha256(randomBytes(32).toString('base64url')), nonce: '', code_verifier: '',
    redirect_uri: sp.acsUrl, next_path: next, created_at: now, expires_at: now + SSO_LOGIN_TTL_MS, used_at: now,
  }).returning('id').executeTakeFirstOrThrow();
  await audit(d.store.db, { brandId: row.brand_id, actor: `sso:${row.id}`, action: 'sso.saml_idp_initiated', subjectType: 'sso_provider', subjectId: row.id, data: { user: who.user.id, assertionId: checked.id.slice(0, 200), next, provisioned: who.provisioned, ip: p.ip } }, now);
  return { ...who, providerId: row.id, trustsMfa: row.trusts_mfa === 1, loginId: Number(login.id), next, startedAt: now, sealedIdToken: null };
}

/** A SAML provider's IdP-initiated sign-in setting, as the admins see it. */
export interface SamlIdpInitiatedView {
  providerId: number;
  /** Unsolicited Responses (IdP app tiles) are taken. */
  allowed: boolean;
  /** Where the IdP posts them: the desk's ACS URL (its default, Profiles 4.1.5). */
  acsUrl: string;
  /** How old an unsolicited assertion may be (IssueInstant), in seconds. */
  maxAgeSeconds: number;
}

async function samlProviderOfBrand(d: SsoDeps, brandId: number, providerId: number): Promise<ProviderRow> {
  const row = await d.store.db.selectFrom('sso_provider').selectAll().where('id', '=', providerId).where('brand_id', '=', brandId).executeTakeFirst();
  if (!row) throw new AppError(404, 'not_found', 'single sign-on provider not found');
  if (row.protocol !== 'saml') throw new AppError(400, 'sso.not_saml', 'IdP-initiated sign-in is a SAML setting: this provider uses OpenID Connect');
  return row;
}

const idpInitiatedView = (row: ProviderRow, origin: string): SamlIdpInitiatedView => ({ providerId: row.id, allowed: Number(row.saml_idp_initiated) === 1, acsUrl: samlSp(origin).acsUrl, maxAgeSeconds: SAML_IDP_INITIATED_MAX_AGE_MS / 1000 });

/** A SAML provider's IdP-initiated sign-in setting (its brand's admins): 404 for another brand's, 400 `sso.not_saml` for an OpenID Connect one. */
export async function samlIdpInitiatedSetting(d: SsoDeps, actor: Actor, providerId: number, origin: string): Promise<SamlIdpInitiatedView> {
  return idpInitiatedView(await samlProviderOfBrand(d, actor.brandId, providerId), origin);
}

/** Allow or refuse IdP-initiated sign-in for a SAML provider (off by default), audited as `sso.provider.update`. */
export async function setSamlIdpInitiated(d: SsoDeps, actor: Actor, providerId: number, allowed: boolean, origin: string, now: number): Promise<SamlIdpInitiatedView> {
  const row = await samlProviderOfBrand(d, actor.brandId, providerId);
  if ((Number(row.saml_idp_initiated) === 1) !== allowed) {
    await d.store.db.updateTable('sso_provider').set({ saml_idp_initiated: allowed ? 1 : 0, updated_at: now }).where('id', '=', row.id).execute();
    await audit(d.store.db, { brandId: row.brand_id, actor: actor.name, action: 'sso.provider.update', subjectType: 'sso_provider', subjectId: row.id, data: { samlIdpInitiated: allowed } }, now);
    row.saml_idp_initiated = allowed ? 1 : 0;
  }
  return idpInitiatedView(row, origin);
}

// --- single logout (SAML Profiles 4.4; Bindings 3.4 HTTP-Redirect, 3.5 HTTP-POST) ---

/** How long Parley's LogoutRequest waits for its LogoutResponse; and how old an IdP's LogoutRequest without NotOnOrAfter may be. */
export const SAML_LOGOUT_TTL_MS = 10 * 60_000;
const sloKey = (providerId: number) => `slo ${providerId}`;
const UNSPECIFIED_NAME_ID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
/** How many SessionIndex values one LogoutRequest may name (each is one sign-in; an IdP names a handful at most). */
export const MAX_LOGOUT_SESSION_INDEXES = 50;

/** A NameID as an assertion or a LogoutRequest gives it (Core 2.2): the value, its Format and its qualifiers (null: not given). */
export interface KeptNameId {
  nameId: string;
  format: string | null;
  nameQualifier: string | null;
  spNameQualifier: string | null;
}

/** A session's sealed NameID (sessions signed in before the qualifiers were kept have none: as if not given). */
function keptNameId(d: SsoDeps, sealed: string): KeptNameId {
  const k = JSON.parse(d.secrets.open<string>(sealed)) as Partial<KeptNameId> & { nameId: string };
  return { nameId: k.nameId, format: k.format ?? null, nameQualifier: k.nameQualifier ?? null, spNameQualifier: k.spNameQualifier ?? null };
}

/**
 * Whether a LogoutRequest's NameID names the principal a session's assertion named (Core 3.7.3
 * with 3.3.4: the same identifier in the same namespace): the same value; the same Format, unless
 * either side left it unspecified; the same NameQualifier and SPNameQualifier, an absent one being
 * the IdP's and the SP's entity id (Core 8.3.7). A NameID of another Format, or of another SP's or
 * IdP's namespace, is another principal, however equal its value.
 */
export function sameSamlPrincipal(kept: KeptNameId, asked: KeptNameId, defaults: { idpEntityId: string; spEntityId: string }): boolean {
  if (kept.nameId !== asked.nameId) return false;
  const format = (f: string | null) => (f && f !== UNSPECIFIED_NAME_ID ? f : null);
  if (format(kept.format) && format(asked.format) && format(kept.format) !== format(asked.format)) return false;
  if ((kept.nameQualifier ?? defaults.idpEntityId) !== (asked.nameQualifier ?? defaults.idpEntityId)) return false;
  return (kept.spNameQualifier ?? defaults.spEntityId) === (asked.spNameQualifier ?? defaults.spEntityId);
}

/** node-saml for single logout with one provider: messages signed with its SP key, sent to its SLO URL; the IdP's checked against its certificates and entity id. */
function samlLogoutFor(row: ProviderRow, origin: string, keys: SpKeys, requestId: string | null): SAML {
  const sp = samlSp(origin);
  const certs = certsOf(row);
  return new SAML({
    privateKey: keys.key, signatureAlgorithm: 'sha256', entryPoint: row.saml_sso_url ?? row.saml_slo_url ?? undefined, logoutUrl: row.saml_slo_url ?? undefined,
    issuer: sp.entityId, callbackUrl: sp.acsUrl, idpCert: certs.length ? certs : 'none', idpIssuer: row.issuer,
    acceptedClockSkewMs: -1, validateInResponseTo: ValidateInResponseTo.always, identifierFormat: null,
    generateUniqueId: () => `_${randomBytes(20).toString('hex')}`,
    cacheProvider: {
      saveAsync: async (_key, value) => ({ value, createdAt: Date.now() }),
      getAsync: async (key) => (requestId !== null && key === requestId ? new Date().toISOString() : null),
      removeAsync: async () => null,
    },
  });
}

/**
 * SP-initiated single logout, for a session that is ending: the IdP's SLO URL with a signed
 * LogoutRequest (HTTP-Redirect: SigAlg, Signature) naming the session's NameID and SessionIndex;
 * its ID is kept (`sso_saml_assertion`, 10 minutes) for the LogoutResponse's InResponseTo. Null
 * when the session was not made by a SAML sign-in, or its provider has no SLO URL. Call it before
 * the session row goes.
 */
export async function samlSignOutUrl(d: SsoDeps, sessionId: string, origin: string, now: number): Promise<string | null> {
  const session = await d.store.db.selectFrom('session').select(['sso_provider_id', 'saml_name_id', 'sso_sid']).where('id', '=', sessionId).executeTakeFirst();
  if (session?.sso_provider_id == null || !session.saml_name_id) return null;
  const row = await d.store.db.selectFrom('sso_provider').selectAll().where('id', '=', session.sso_provider_id).where('protocol', '=', 'saml').executeTakeFirst();
  if (!row?.saml_slo_url) return null;
  try {
    const { nameId, format, nameQualifier, spNameQualifier } = keptNameId(d, session.saml_name_id);
    const keys = await spKeysOf(d, row, now);
    let requestId = '';
    const saml = samlLogoutFor(row, origin, keys, null);
    saml.options.generateUniqueId = () => (requestId = `_${randomBytes(20).toString('hex')}`);
    // the NameID as the assertion gave it, qualifiers too (Core 3.7.1: the principal as both sides know it)
    const url = await saml.getLogoutUrlAsync({ issuer: row.issuer, nameID: nameId, nameIDFormat: format ?? UNSPECIFIED_NAME_ID, sessionIndex: session.sso_sid ?? undefined, ...(nameQualifier ? { nameQualifier } : {}), ...(spNameQualifier ? { spNameQualifier } : {}) } as Profile, '', {});
    await d.store.db.insertInto('sso_saml_assertion').values({ issuer: sloKey(row.id), assertion_id: requestId, expires_at: now + SAML_LOGOUT_TTL_MS }).execute();
    return url;
  } catch {
    // the sign-out here never waits on single logout
    return null;
  }
}

/** A single logout message refused: 400 `sso.invalid_logout_request`, nothing changed. */
export const invalidSamlLogout = (why: string) => new AppError(400, 'sso.invalid_logout_request', `the SAML logout message is not valid: ${why}`, { reason: why });

/** Where a message to this SLO endpoint must say it goes (Destination): the provider's own, or the desk-wide one (null). */
export const samlSloUrl = (origin: string, providerId: number | null) => `${origin}${providerId === null ? SAML_SLO_PATH : samlProviderSloPath(providerId)}`;

export interface SamlLogoutMessage {
  /** The provider whose SLO endpoint (`/api/auth/sso/saml/<id>/slo`) received it; null: the desk-wide one (`/api/auth/sso/saml/slo`). */
  providerId: number | null;
  /** HTTP-Redirect: the query as received (its signature covers the exact octets); HTTP-POST: null. */
  rawQuery: string | null;
  SAMLRequest?: string;
  SAMLResponse?: string;
  RelayState?: string;
  SigAlg?: string;
  Signature?: string;
  origin: string;
  ip: string;
}

/** A LogoutResponse's status, read only once its signature, Issuer, InResponseTo and Destination held: the StatusCode values (top-level first) and the StatusMessage. */
export interface SamlLogoutStatus {
  codes: string[];
  message: string | null;
}

export type SamlLogoutOutcome =
  | { kind: 'request'; redirect: string | null; userIds: number[]; sessionsEnded: number }
  | { kind: 'response'; status: 'done' | 'partial' | 'refused'; reason?: string; idpStatus?: SamlLogoutStatus };

const quiet = { errorHandler: { error: () => {}, fatalError: () => {}, warning: () => {} } };
const SAMLP_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAML_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
/** What an inflated message may grow to (the form fields are at most 400 kB). */
const MAX_INFLATED = 4_000_000;

/** Unverified peeks at a logout message: its kind, Issuer, ID / InResponseTo. */
function peekLogout(xml: string): { kind: 'LogoutRequest' | 'LogoutResponse' | null; issuer: string | null; inResponseTo: string | null } {
  try {
    const doc = new DOMParser(quiet).parseFromString(xml, 'text/xml');
    const root = doc.documentElement;
    const kind = root?.localName === 'LogoutRequest' || root?.localName === 'LogoutResponse' ? root.localName : null;
    const issuer = (Array.from(root?.childNodes ?? []) as Element[]).find((n) => n.localName === 'Issuer')?.textContent?.trim() ?? null;
    return { kind, issuer, inResponseTo: root?.getAttribute('InResponseTo') || null };
  } catch {
    return { kind: null, issuer: null, inResponseTo: null };
  }
}

/** The HTTP-Redirect binding's SigAlg values taken (Bindings 3.4.4.1; XML Signature's algorithm ids), as Node names the hash. */
const REDIRECT_SIG_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'sha1',
};
const REDIRECT_FIELDS = ['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature'] as const;

/**
 * An HTTP-Redirect message checked as the binding says (SAML Bindings 3.4.4.1): the octets signed
 * are `SAMLRequest=…` or `SAMLResponse=…`, then `&RelayState=…` when present, then `&SigAlg=…`, each
 * value exactly as URL-encoded in the query received; the Signature must verify with one of the
 * provider's certificates. The message is then read from those same octets (not from a parser's
 * idea of the query), so nothing unsigned is ever read. Throws the reason.
 */
function verifiedRedirect(rawQuery: string, param: 'SAMLRequest' | 'SAMLResponse', certs: string[]): { xml: string; fields: Record<string, string> } {
  const raw = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (!(REDIRECT_FIELDS as readonly string[]).includes(key)) continue;
    if (raw.has(key)) throw new Error(`${key} is given twice`);
    raw.set(key, eq < 0 ? '' : part.slice(eq + 1));
  }
  const form = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
  const message = raw.get(param);
  if (!message) throw new Error(`no ${param}`);
  if (raw.has(param === 'SAMLRequest' ? 'SAMLResponse' : 'SAMLRequest')) throw new Error('both a SAMLRequest and a SAMLResponse');
  const sigAlg = raw.get('SigAlg');
  const signature = raw.get('Signature');
  if (!sigAlg || !signature) throw new Error('not signed (no SigAlg and Signature)');
  const alg = REDIRECT_SIG_ALGS[form(sigAlg)];
  if (!alg) throw new Error(`the SigAlg ${form(sigAlg).slice(0, 100)} is not supported`);
  const signed = Buffer.from([param, 'RelayState', 'SigAlg'].filter((k) => raw.has(k)).map((k) => `${k}=${raw.get(k)}`).join('&'), 'utf8');
  const sig = Buffer.from(form(signature), 'base64');
  const verifies = certs.some((cert) => {
    try {
      return verifySignature(alg, signed, createPublicKey(cert), sig);
    } catch {
      return false;
    }
  });
  if (!verifies) throw new Error('Invalid query signature');
  const fields = Object.fromEntries([...raw].map(([k, v]) => [k, form(v)]));
  return { xml: inflateRawSync(Buffer.from(fields[param]!, 'base64'), { maxOutputLength: MAX_INFLATED }).toString('utf8'), fields };
}

/**
 * The desk's SAML providers a LogoutRequest at this endpoint may be for: at the desk-wide endpoint
 * every provider whose entity id is its Issuer; at a provider's own endpoint that provider first,
 * then the other providers of its brand with that entity id (one IdP application holds one SLO URL:
 * a request there is also theirs when it verifies for them), never another brand's.
 */
async function logoutRequestProviders(d: SsoDeps, m: SamlLogoutMessage, issuer: string | null, now: number): Promise<ProviderRow[]> {
  if (m.providerId === null) {
    const rows = issuer ? await d.store.db.selectFrom('sso_provider').selectAll().where('protocol', '=', 'saml').where('issuer', '=', issuer).orderBy('id').execute() : [];
    if (!rows.length) throw invalidSamlLogout('from no SAML provider of this desk (Issuer)');
    return rows;
  }
  const row = await d.store.db.selectFrom('sso_provider').selectAll().where('id', '=', m.providerId).where('protocol', '=', 'saml').executeTakeFirst();
  if (!row) throw invalidSamlLogout('no SAML provider has this SLO endpoint');
  if (issuer !== row.issuer) {
    await refusedLogoutRequest(d, [row], m, 'from another IdP than this provider\'s (Issuer)', now);
    throw invalidSamlLogout('from another IdP than this provider\'s (Issuer)');
  }
  const sameIdp = await d.store.db.selectFrom('sso_provider').selectAll().where('protocol', '=', 'saml').where('issuer', '=', row.issuer).where('brand_id', '=', row.brand_id).where('id', '!=', row.id).orderBy('id').execute();
  return [row, ...sameIdp];
}

/** A refused LogoutRequest in the providers' audit trails: at most one a minute each (its Issuer is not verified, anyone may send one). */
async function refusedLogoutRequest(d: SsoDeps, rows: ProviderRow[], m: SamlLogoutMessage, why: string, now: number): Promise<void> {
  for (const row of rows) {
    if (!(await unverifiedRefusalSince(d, row, now - UNVERIFIED_REFUSAL_EVERY_MS))) {
      await audit(d.store.db, { brandId: row.brand_id, actor: `sso:${row.id}`, action: 'sso.saml_refused', subjectType: 'sso_provider', subjectId: row.id, data: { code: 'logout_request', reason: why.slice(0, 500), ip: m.ip, unverified: true } }, now);
    }
  }
}

/**
 * The SLO endpoints: a provider's own, `/api/auth/sso/saml/<id>/slo` (what its SP metadata lists),
 * and the desk-wide `/api/auth/sso/saml/slo` (listed before; kept for IdPs given it). A
 * LogoutRequest of an IdP (IdP-initiated) or the LogoutResponse to Parley's own (SP-initiated), by
 * HTTP-Redirect or HTTP-POST.
 *
 * A LogoutRequest must be signed (the Redirect binding's SigAlg and Signature over the exact query
 * string, or an enveloped signature of the whole message) by a certificate of the provider — at a
 * provider's endpoint that provider, its entity id the Issuer; at the desk-wide one the providers
 * whose entity id is its Issuer — be within its time (NotOnOrAfter, IssueInstant on Parley's clock),
 * name the endpoint it came to as Destination if any, and be taken once; then the sessions it names
 * end (`endIdpSessions`): made by the sign-ins of the providers it verifies for (at a provider's
 * endpoint, that provider and the other providers of its brand with that Issuer it verifies for:
 * one IdP application has one SLO URL) of that principal — NameID, Format and qualifiers — and,
 * when it gives SessionIndex values, of those sign-ins only, in that brand only, audited
 * `sso.saml_logout`; the answer is a signed LogoutResponse to the SLO URL of the endpoint's
 * provider, or at the desk-wide one of the provider whose sign-in it named (null when it has
 * none). At the desk-wide endpoint a request that
 * verifies for providers of more than one brand (one IdP entity id and certificate shared by
 * brands) is refused: which brand's sign-out it is cannot be told there. Otherwise 400
 * `sso.invalid_logout_request`, nothing changed, audited as `sso.saml_refused` at most once a
 * minute per provider (its Issuer is unverified).
 *
 * A LogoutResponse must answer a LogoutRequest Parley sent (InResponseTo, 10 minutes, once) — at
 * a provider's endpoint, one that provider sent — and be signed by that provider, with its Issuer
 * and Destination right, all checked before its status is read: then the status says whether the
 * IdP signed the person out everywhere. Any other is refused (audited when its provider is known)
 * and leaves the sign-out waiting for its real answer.
 */
export async function samlSingleLogout(d: SsoDeps, m: SamlLogoutMessage, now: number): Promise<SamlLogoutOutcome> {
  const encoded = m.SAMLRequest ?? m.SAMLResponse ?? '';
  let xml: string;
  try {
    xml = m.rawQuery !== null ? inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: MAX_INFLATED }).toString('utf8') : Buffer.from(encoded, 'base64').toString('utf8');
  } catch {
    throw invalidSamlLogout('not a deflated, base64 SAML message');
  }
  const peeked = peekLogout(xml);
  const endpoint = samlSloUrl(m.origin, m.providerId);
  if (m.SAMLResponse !== undefined) return logoutResponse(d, m, peeked, endpoint, now);
  if (peeked.kind !== 'LogoutRequest') throw invalidSamlLogout('not a LogoutRequest');
  const rows = await logoutRequestProviders(d, m, peeked.issuer, now);
  // at a provider's endpoint: that provider (first), which must take the request and answers it; the rest only ride along
  const own = m.providerId === null ? null : rows[0]!;
  // (the same IdP may be a provider of several brands, or twice in one: each that verifies is its session authority)
  let why = 'its signature does not verify';
  let verified: VerifiedLogoutRequest[] = [];
  for (const row of rows) {
    try {
      verified.push(await verifiedLogoutRequest(d, row, m, endpoint, now));
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
      if (row === own) break;
    }
  }
  if (new Set(verified.map((v) => Number(v.row.brand_id))).size > 1) {
    // one IdP entity id and key shared by brands: signed by it, the request is every such provider's
    // to the letter, yet meant for one brand; only a provider's own endpoint says which
    verified = [];
    why = 'providers of several brands share this IdP entity id and certificate: the IdP must send each its LogoutRequests at that provider\'s own SLO URL (/api/auth/sso/saml/<provider id>/slo, in its SP metadata)';
  }
  if (verified.length) {
    try {
      return await endIdpSessions(d, verified, m, now, own ? verified[0] : undefined);
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
  }
  // (at a provider's endpoint the refusal is that provider's: the request came to its URL)
  await refusedLogoutRequest(d, own ? [own] : rows, m, why, now);
  throw invalidSamlLogout(why);
}

interface VerifiedLogoutRequest {
  row: ProviderRow;
  saml: SAML;
  requestId: string;
  /** The principal it names: its NameID, Format and qualifiers. */
  nameId: KeptNameId;
  /** The sign-ins it names (Core 3.7.1: zero or more SessionIndex); none: every session of the principal. */
  sessionIndexes: string[];
  /** Until when it would be taken: how long its ID is kept against a replay. */
  until: number;
}

/** An IdP's LogoutRequest checked for one provider: signature, Issuer, time, Destination (the endpoint it came to). Throws the reason. */
async function verifiedLogoutRequest(d: SsoDeps, row: ProviderRow, m: SamlLogoutMessage, endpoint: string, now: number): Promise<VerifiedLogoutRequest> {
  const keys = await spKeysOf(d, row, now);
  const saml = samlLogoutFor(row, m.origin, keys, null);
  let profile: Profile | null;
  let xml: string;
  if (m.rawQuery !== null) {
    // the signature over the exact query first (node-saml takes an unsigned Redirect message), then node-saml reads it
    const signed = verifiedRedirect(m.rawQuery, 'SAMLRequest', certsOf(row));
    xml = signed.xml;
    profile = (await saml.validateRedirectAsync(signed.fields, m.rawQuery)).profile;
  } else {
    const posted = Buffer.from(m.SAMLRequest ?? '', 'base64').toString('utf8');
    profile = (await saml.validatePostRequestAsync({ SAMLRequest: m.SAMLRequest ?? '' })).profile;
    // what is read on (NameID, SessionIndex, times) is the signed XML, as for a LogoutResponse
    const signed = getVerifiedXml(posted, (await parseDomFromString(posted)).documentElement, certsOf(row));
    if (!signed) throw new Error('not signed by the provider (no enveloped signature of the LogoutRequest that verifies)');
    xml = signed;
  }
  if (!profile) throw new Error('no LogoutRequest');
  const parsed = await parseXml2JsFromString(xml) as Record<string, any>;
  const request = parsed?.LogoutRequest;
  const late = checkLogoutRequestTimes(request, { now, maxAgeMs: SAML_LOGOUT_TTL_MS });
  if (late) throw new Error(late);
  const destination = request?.$?.Destination as string | undefined;
  if (destination && destination !== endpoint) throw new Error('the Destination is not the SLO URL it came to');
  const value = typeof profile.nameID === 'string' ? profile.nameID : '';
  if (!value) throw new Error('no NameID');
  // node-saml reads the NameID's value and the first SessionIndex only: the rest from the signed XML
  const root = new DOMParser(quiet).parseFromString(xml, 'text/xml').documentElement;
  const children = (Array.from(root?.childNodes ?? []) as Element[]).filter((n) => n.nodeType === 1);
  const nameIdEl = children.find((n) => n.localName === 'NameID' && n.namespaceURI === SAML_NS);
  const attr = (name: string) => nameIdEl?.getAttribute(name) || null;
  const nameId: KeptNameId = { nameId: value, format: attr('Format'), nameQualifier: attr('NameQualifier'), spNameQualifier: attr('SPNameQualifier') };
  const given = children.filter((n) => n.localName === 'SessionIndex' && n.namespaceURI === SAMLP_NS).map((n) => (n.textContent ?? '').trim().slice(0, 500));
  // (an empty one names no sign-in: not read as naming none, which would mean all of them)
  if (given.some((x) => !x)) throw new Error('an empty SessionIndex');
  const sessionIndexes = [...new Set(given)];
  if (sessionIndexes.length > MAX_LOGOUT_SESSION_INDEXES) throw new Error(`more than ${MAX_LOGOUT_SESSION_INDEXES} SessionIndex values`);
  const until = request?.$?.NotOnOrAfter ? Date.parse(request.$.NotOnOrAfter) : Date.parse(request?.$?.IssueInstant) + SAML_LOGOUT_TTL_MS;
  return { row, saml, requestId: String((profile as { ID?: string }).ID ?? ''), nameId, sessionIndexes, until };
}

/**
 * A verified LogoutRequest taken (once, for each provider it verified for), then the sessions it
 * names end: those signed in through one of those providers (all of one brand), of people of that
 * brand, whose NameID is the principal it names (`sameSamlPrincipal`) and, when it names
 * SessionIndex values, whose SessionIndex is one of them (Core 3.7.3: the sessions the NameID and
 * the SessionIndex elements refer to; with none, all of the principal's). Several providers of one
 * IdP in one brand are one session authority: whichever the sign-in went through, its session
 * ends. Audited `sso.saml_logout` for each provider whose sessions ended; the LogoutResponse comes
 * from `answeredBy` when given (at a provider's own endpoint: that provider, the IdP sent it to its
 * URL), else from the provider of the latest of them (the one the IdP last signed in through; with
 * none ended, the first; one with an SLO URL before one without), signed with its SP key to its SLO URL.
 */
async function endIdpSessions(d: SsoDeps, verified: VerifiedLogoutRequest[], m: SamlLogoutMessage, now: number, answeredBy?: VerifiedLogoutRequest): Promise<Extract<SamlLogoutOutcome, { kind: 'request' }>> {
  const { requestId, nameId, sessionIndexes, until } = verified[0]!;
  const brandId = verified[0]!.row.brand_id;
  const defaults = { spEntityId: samlSp(m.origin).entityId };
  const { ending, answering } = await d.store.db.transaction().execute(async (trx) => {
    // each LogoutRequest once (a row left from one since expired, not yet pruned, is taken over)
    for (const { row } of verified) {
      const taken = await trx.insertInto('sso_saml_assertion').values({ issuer: row.issuer, assertion_id: `logout ${row.id} ${requestId}`, expires_at: until + SAML_CLOCK_SKEW_MS })
        .onConflict((oc) => oc.columns(['issuer', 'assertion_id']).doUpdateSet({ expires_at: until + SAML_CLOCK_SKEW_MS }).where('sso_saml_assertion.expires_at', '<=', now))
        .executeTakeFirst();
      // thrown, the transaction is undone: no provider's copy of it is taken
      if (!Number(taken.numInsertedOrUpdatedRows ?? 0)) throw new Error('replayed: this LogoutRequest was taken before');
    }
    const byProvider = new Map(verified.map((v) => [Number(v.row.id), v]));
    let q = trx.selectFrom('session').innerJoin('app_user', 'app_user.id', 'session.user_id').select(['session.id', 'session.user_id', 'session.sso_provider_id', 'session.saml_name_id', 'session.created_at'])
      .where('session.sso_provider_id', 'in', [...byProvider.keys()]).where('session.saml_name_id_hash', '=', sha256(nameId.nameId)).where('app_user.brand_id', '=', brandId);
    if (sessionIndexes.length) q = q.where('session.sso_sid', 'in', sessionIndexes);
    const ending = (await q.execute()).filter((s) => {
      const provider = byProvider.get(Number(s.sso_provider_id))!;
      try {
        return sameSamlPrincipal(keptNameId(d, s.saml_name_id!), nameId, { ...defaults, idpEntityId: provider.row.issuer });
      } catch {
        // its NameID unreadable (the secret box changed): the hash matched, and a session left alive is the worse mistake
        return true;
      }
    }).sort((a, b) => Number(b.created_at) - Number(a.created_at));
    if (ending.length) await trx.deleteFrom('session').where('id', 'in', ending.map((e) => e.id)).execute();
    // who answers: the provider the latest of those sign-ins went through, else the next, else the first (one with an SLO URL before one without)
    const order = [...new Set([...ending.map((e) => byProvider.get(Number(e.sso_provider_id))!), ...verified])];
    const answering = answeredBy ?? order.find((v) => v.row.saml_slo_url) ?? order[0]!;
    for (const v of verified) {
      const mine = ending.filter((e) => Number(e.sso_provider_id) === Number(v.row.id));
      if (!mine.length && v !== answering) continue;
      await audit(trx, { brandId: v.row.brand_id, actor: `sso:${v.row.id}`, action: 'sso.saml_logout', subjectType: 'sso_provider', subjectId: v.row.id, data: { initiatedBy: 'idp', sessionsEnded: mine.length, users: [...new Set(mine.map((e) => Number(e.user_id)))], ...(sessionIndexes.length === 1 ? { sessionIndex: sessionIndexes[0] } : sessionIndexes.length ? { sessionIndexes } : {}), ...(v === answering ? { answered: true } : {}), ip: m.ip } }, now);
    }
    return { ending, answering };
  });
  const row = answering.row;
  const redirect = row.saml_slo_url ? await answering.saml.getLogoutResponseUrlAsync({ ID: requestId, issuer: row.issuer } as Profile, m.RelayState ?? '', {}, true) : null;
  return { kind: 'request', redirect, userIds: [...new Set(ending.map((e) => Number(e.user_id)))], sessionsEnded: ending.length };
}

/**
 * A LogoutResponse checked for the provider its sign-out went to, everything before the status:
 * the signature (HTTP-Redirect: over the exact query; HTTP-POST: an enveloped signature of the
 * whole LogoutResponse, and only the signed octets read on), then the Issuer (the provider's IdP
 * entity id), InResponseTo (the sign-out's ID) and Destination (when present, the SLO URL it came
 * to); then its status. Throws the reason.
 */
async function verifiedLogoutResponse(row: ProviderRow, m: SamlLogoutMessage, endpoint: string, inResponseTo: string): Promise<SamlLogoutStatus> {
  const certs = certsOf(row);
  if (!certs.length) throw new Error('the provider has no IdP certificate to check it with');
  let signedXml: string;
  if (m.rawQuery !== null) {
    signedXml = verifiedRedirect(m.rawQuery, 'SAMLResponse', certs).xml;
  } else {
    const xml = Buffer.from(m.SAMLResponse ?? '', 'base64').toString('utf8');
    const dom = await parseDomFromString(xml);
    const verified = getVerifiedXml(xml, dom.documentElement, certs);
    if (!verified) throw new Error('not signed by the provider (no enveloped signature of the LogoutResponse that verifies)');
    signedXml = verified;
  }
  const root = new DOMParser(quiet).parseFromString(signedXml, 'text/xml').documentElement;
  if (!root || root.localName !== 'LogoutResponse' || root.namespaceURI !== SAMLP_NS) throw new Error('not a LogoutResponse');
  const children = (el: Element, name: string) => (Array.from(el.childNodes) as Element[]).filter((n) => n.nodeType === 1 && n.localName === name);
  const issuer = children(root, 'Issuer')[0]?.textContent?.trim() ?? null;
  if (issuer !== row.issuer) throw new Error(issuer ? 'the Issuer is not the provider\'s IdP entity id' : 'no Issuer');
  if (root.getAttribute('InResponseTo') !== inResponseTo) throw new Error('InResponseTo is not the sign-out it is the answer to');
  const destination = root.getAttribute('Destination');
  if (destination && destination !== endpoint) throw new Error('the Destination is not the SLO URL it came to');
  // only now the status, of a message known to be the provider's answer to this sign-out
  const status = children(root, 'Status')[0];
  const codes: string[] = [];
  for (let code = status ? children(status, 'StatusCode')[0] : undefined; code; code = children(code, 'StatusCode')[0]) codes.push(code.getAttribute('Value') ?? '');
  if (!codes.length || !codes[0]) throw new Error('no StatusCode');
  const message = status ? children(status, 'StatusMessage')[0]?.textContent?.trim() || null : null;
  return { codes, message: message?.slice(0, 500) ?? null };
}

async function logoutResponse(d: SsoDeps, m: SamlLogoutMessage, peeked: ReturnType<typeof peekLogout>, endpoint: string, now: number): Promise<SamlLogoutOutcome> {
  const refused = (reason: string): SamlLogoutOutcome => ({ kind: 'response', status: 'refused', reason });
  if (peeked.kind !== 'LogoutResponse') return refused('not a LogoutResponse');
  if (!peeked.inResponseTo) return refused('no InResponseTo: not an answer to a sign-out of this desk');
  // (the unverified InResponseTo only picks the sign-out, hence the provider whose key must have signed it)
  const waiting = await d.store.db.selectFrom('sso_saml_assertion').select(['issuer', 'expires_at']).where('assertion_id', '=', peeked.inResponseTo).where('issuer', 'like', 'slo %').executeTakeFirst();
  if (!waiting || Number(waiting.expires_at) <= now) return refused('InResponseTo names no sign-out of this desk waiting for its answer');
  const row = await d.store.db.selectFrom('sso_provider').selectAll().where('id', '=', Number(waiting.issuer.slice(4))).where('protocol', '=', 'saml').executeTakeFirst();
  if (!row) return refused('the provider of that sign-out is gone');
  if (m.providerId !== null && m.providerId !== row.id) return refused('that sign-out was sent by another provider than this SLO URL\'s');
  let idpStatus: SamlLogoutStatus;
  try {
    idpStatus = await verifiedLogoutResponse(row, m, endpoint, peeked.inResponseTo);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    // whatever status it claims: the sign-out keeps waiting for the provider's real answer
    await audit(d.store.db, { brandId: row.brand_id, actor: `sso:${row.id}`, action: 'sso.saml_refused', subjectType: 'sso_provider', subjectId: row.id, data: { code: 'logout_response', reason: why.slice(0, 500), ip: m.ip } }, now);
    return refused(why);
  }
  const taken = await d.store.db.deleteFrom('sso_saml_assertion').where('issuer', '=', waiting.issuer).where('assertion_id', '=', peeked.inResponseTo).executeTakeFirst();
  if (Number(taken.numDeletedRows) !== 1) return refused('already answered');
  // a signed non-Success says the IdP did not sign the person out everywhere (Core 3.7.3.2: e.g. PartialLogout)
  const status = idpStatus.codes[0] === SAML_SUCCESS ? 'done' as const : 'partial' as const;
  await audit(d.store.db, { brandId: row.brand_id, actor: `sso:${row.id}`, action: 'sso.saml_logout', subjectType: 'sso_provider', subjectId: row.id, data: { initiatedBy: 'sp', status, ...(status === 'partial' ? { statusCodes: idpStatus.codes, ...(idpStatus.message ? { statusMessage: idpStatus.message } : {}) } : {}), ip: m.ip } }, now);
  return { kind: 'response', status, ...(status === 'partial' ? { idpStatus } : {}) };
}
