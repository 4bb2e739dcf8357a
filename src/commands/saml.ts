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
 * Who signs in follows the OpenID Connect rules (`personFor`): the IdP is trusted to assert the
 * email (a verified email), allowed domains, auto-provisioning, disabled people. Every refusal at
 * the ACS is audited (`sso.saml_refused`, with the reason) when the provider is known.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { SAML, ValidateInResponseTo, type Profile } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { checkSamlAssertion, samlIdentity, selfSignedCertificatePem, storedCertificates, type SamlProfileLike } from '../core/saml.js';
import { audit } from '../store/audit.js';
import { enabledProvider, personFor, safeNext, SSO_LOGIN_TTL_MS, SsoSignInError, takeLogin, type FinishedSsoSignIn, type ProviderRow, type SsoDeps, type StartedSsoSignIn } from './sso.js';
import { createHash } from 'node:crypto';

export const SAML_ACS_PATH = '/api/auth/sso/saml/acs';
export const SAML_METADATA_PATH = '/api/auth/sso/saml/metadata';
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
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const key = createPrivateKey(privateKey);
  const cert = selfSignedCertificatePem({ privateKey: key, publicKey: createPublicKey(key), commonName: `Parley SAML SP (provider ${row.id})`, serial: randomBytes(16), notBefore: now - 60 * 60_000, notAfter: now + SP_CERT_VALID_MS });
  const made = await d.store.db.updateTable('sso_provider').set({ saml_sp_key: d.secrets.seal(privateKey), saml_sp_cert: cert }).where('id', '=', row.id).where('saml_sp_key', 'is', null).executeTakeFirst();
  // the certificate an IdP is given from now on: audited by its fingerprint (the key never leaves)
  if (Number(made.numUpdatedRows) === 1) await audit(d.store.db, { brandId: row.brand_id, actor: 'system:sso', action: 'sso.saml_sp_key.create', subjectType: 'sso_provider', subjectId: row.id, data: { certificateSha256: new X509Certificate(cert).fingerprint256 } }, now);
  const kept = await d.store.db.selectFrom('sso_provider').select(['saml_sp_key', 'saml_sp_cert']).where('id', '=', row.id).executeTakeFirstOrThrow();
  row.saml_sp_key = kept.saml_sp_key;
  row.saml_sp_cert = kept.saml_sp_cert;
  return { key: d.secrets.open<string>(kept.saml_sp_key!), cert: kept.saml_sp_cert! };
}

/**
 * node-saml for one provider and one sign-in: InResponseTo must be `requestId` (the rest of its
 * one-use, expiry and browser binding is the `sso_login` row's). With `sign`, the AuthnRequest is
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
    validateInResponseTo: ValidateInResponseTo.always,
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
 * key with AuthnRequestsSigned="true"; WantAssertionsSigned="true" (unsigned answers are never
 * taken). The key pair is made here if the provider has none yet. Unknown or not SAML: null.
 */
export async function samlProviderSpMetadata(d: SsoDeps, providerId: number, origin: string, now: number): Promise<string | null> {
  const row = await d.store.db.selectFrom('sso_provider').selectAll().where('id', '=', providerId).where('protocol', '=', 'saml').executeTakeFirst();
  if (!row) return null;
  const keys = await spKeysOf(d, row, now);
  const sp = samlSp(origin);
  const signs = Number(row.saml_sign_requests) === 1;
  return new SAML({ issuer: sp.entityId, callbackUrl: sp.acsUrl, idpCert: 'none', identifierFormat: null, wantAssertionsSigned: true, decryptionPvk: keys.key, ...(signs ? { privateKey: keys.key, signatureAlgorithm: 'sha256' as const } : {}) })
    .generateServiceProviderMetadata(keys.cert, signs ? keys.cert : null);
}

/** Unverified peeks at a Response, only to name the provider in the audit trail and to compare its Destination. */
function peek(xml: string): { issuer: string | null; destination: string | null; plainAssertion: boolean; encryptedAssertion: boolean } {
  const none = { issuer: null, destination: null, plainAssertion: false, encryptedAssertion: false };
  try {
    const doc = new DOMParser({ errorHandler: { error: () => {}, fatalError: () => {}, warning: () => {} } }).parseFromString(xml, 'text/xml');
    const root = doc.documentElement;
    if (!root || root.localName !== 'Response') return none;
    const children = Array.from(root.childNodes) as Element[];
    const issuer = children.find((n) => n.localName === 'Issuer')?.textContent?.trim() ?? null;
    return { issuer, destination: root.getAttribute('Destination') || null, plainAssertion: children.some((n) => n.localName === 'Assertion'), encryptedAssertion: children.some((n) => n.localName === 'EncryptedAssertion') };
  } catch {
    return none;
  }
}

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

/**
 * Finish a SAML sign-in at the ACS: the started sign-in taken once (by RelayState, in its
 * browser), the Response verified, the assertion taken once, then the person found, linked or
 * created by the same rules as OpenID Connect. Throws SsoSignInError with the login page's code;
 * refusals are audited as `sso.saml_refused` with the reason.
 */
export async function finishSamlSignIn(d: SsoDeps, p: FinishSamlSignInProps, now: number): Promise<FinishedSsoSignIn> {
  const xml = Buffer.from(p.samlResponse, 'base64').toString('utf8');
  const peeked = peek(xml);
  let row: ProviderRow | undefined;
  let next: string | undefined;
  try {
    const login = await takeLogin(d.store, p.relayState, p.browserToken, now).catch((err: unknown) => {
      if (err instanceof SsoSignInError) err.message = p.relayState ? 'no such sign-in started in this browser, already used, or older than 10 minutes' : 'unsolicited: no RelayState of a sign-in started here';
      throw err;
    });
    next = login.next_path;
    row = await enabledProvider(d.store, login.provider_id);
    if (row.protocol !== 'saml') throw new SsoSignInError('expired', 'the sign-in was not started with a SAML provider');
    const sp = samlSp(p.origin);
    if (login.redirect_uri !== sp.acsUrl) throw new SsoSignInError('provider', 'the ACS URL changed since the sign-in started');

    // encryption wanted: a plaintext assertion is refused even when signed (it crossed the browser readable)
    if (Number(row.saml_want_encrypted) === 1 && peeked.plainAssertion) throw new SsoSignInError('provider', 'not encrypted: the provider requires encrypted assertions and this one came in plaintext');
    let profile: Profile;
    try {
      const decrypt = peeked.encryptedAssertion ? await spKeysOf(d, row, now) : undefined;
      const done = await samlFor(row, sp, login.nonce, { decrypt }).validatePostResponseAsync({ SAMLResponse: p.samlResponse }).catch((err: unknown) => {
        // xml-encryption's own words ("error:02000079:rsa routines::oaep decoding error") say little to an admin
        if (decrypt && err instanceof Error && /decrypt|oaep|padding|rsa routines|EncryptedKey|Invalid EncryptedAssertion/i.test(err.message)) throw new Error(`undecryptable: the encrypted assertion could not be decrypted with this provider's SP key (encrypted for another certificate?): ${err.message.slice(0, 200)}`);
        throw err;
      });
      if (!done.profile) throw new Error('no assertion');
      profile = done.profile;
    } catch (err) {
      throw new SsoSignInError('provider', err instanceof Error ? err.message : String(err));
    }
    if (profile.issuer !== row.issuer) throw new SsoSignInError('provider', `the assertion's issuer is not the provider's entity id (${String(profile.issuer).slice(0, 200)})`);
    if (peeked.destination && peeked.destination !== sp.acsUrl) throw new SsoSignInError('provider', 'the Response\'s Destination is not this desk\'s ACS URL');
    const checked = checkSamlAssertion((profile.getAssertion?.() ?? {}) as Record<string, unknown>, { now, acsUrl: sp.acsUrl });
    if (checked.reason) throw new SsoSignInError('provider', checked.reason);

    // each assertion once (a row left from one since expired, not yet pruned, is taken over)
    const taken = await d.store.db.insertInto('sso_saml_assertion').values({ issuer: row.issuer, assertion_id: checked.id!, expires_at: checked.expiresAt })
      .onConflict((oc) => oc.columns(['issuer', 'assertion_id']).doUpdateSet({ expires_at: checked.expiresAt }).where('sso_saml_assertion.expires_at', '<=', now))
      .executeTakeFirst();
    if (!Number(taken.numInsertedOrUpdatedRows ?? 0)) throw new SsoSignInError('expired', 'replayed: this assertion was taken before');

    const who = samlIdentity(profile as SamlProfileLike, { emailAttribute: row.saml_email_attribute, nameAttribute: row.saml_name_attribute });
    if (!who.subject) throw new SsoSignInError('unverified_email', 'the assertion names neither a NameID nor an email');
    // the IdP asserts the email: it is the verified email the rules ask for (allowed domains still hold)
    const claims = { email: who.email ?? undefined, email_verified: who.email != null, name: who.name ?? undefined };
    const { user, provisioned } = await personFor(d, row, who.subject, claims, now);
    return { user, providerId: row.id, trustsMfa: row.trusts_mfa === 1, loginId: login.id, next: login.next_path, startedAt: Number(login.created_at), provisioned, sealedIdToken: null, sid: null };
  } catch (err) {
    if (!(err instanceof SsoSignInError)) throw err;
    if (next !== undefined) err.next = next;
    if (row) {
      await audit(d.store.db, { brandId: row.brand_id, actor: `sso:${row.id}`, action: 'sso.saml_refused', subjectType: 'sso_provider', subjectId: row.id, data: { code: err.code, reason: err.message.slice(0, 500), ip: p.ip } }, now);
    } else if (peeked.issuer) {
      // no sign-in of this browser behind it: the provider is named only by the Response's unverified
      // Issuer, which anyone can POST, so at most one such refusal a minute reaches its audit trail
      const known = await d.store.db.selectFrom('sso_provider').select(['id', 'brand_id']).where('protocol', '=', 'saml').where('issuer', '=', peeked.issuer).orderBy('id').executeTakeFirst();
      if (known && !(await unverifiedRefusalSince(d, known, now - UNVERIFIED_REFUSAL_EVERY_MS))) {
        await audit(d.store.db, { brandId: known.brand_id, actor: `sso:${known.id}`, action: 'sso.saml_refused', subjectType: 'sso_provider', subjectId: known.id, data: { code: err.code, reason: err.message.slice(0, 500), ip: p.ip, unverified: true } }, now);
      }
    }
    throw err;
  }
}
