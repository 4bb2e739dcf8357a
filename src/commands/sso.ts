/**
 * Single sign-on with OpenID Connect (authorization code + PKCE S256 + state + nonce; docs/sso.md):
 * a brand's admin registers its identity provider (Okta, Entra ID, Google Workspace, Keycloak…),
 * and the brand's people sign in with it.
 *
 * The relying party is openid-client (panva; certified): discovery, the authorization URL, and
 * the code grant, which checks state, nonce, PKCE, the ID token's signature (JWKS), iss, aud and
 * exp. Issuers must be https; plain http only on loopback (tests, a provider on the same host).
 *
 * A started sign-in (`sso_login`) keeps only the SHA-256 of its state, and the SHA-256 of a
 * cookie given to the browser that started it: the callback must come back to that browser,
 * within 10 minutes, once (taken with a conditional UPDATE before the code is redeemed, so two
 * callbacks racing with one state give one session at most).
 *
 * Who signs in: the person linked to the provider's subject (`sso_identity`); at a first sign-in,
 * the person of the brand with the provider's verified email (case-insensitive; domains limited by
 * `allowed_domains`), then linked, so a later email change at the provider still signs in the same
 * person; or, when the provider creates accounts (`auto_provision_role`, never admin), a new person.
 *
 * Someone with two-factor sign-in on, after a provider not trusted to enforce MFA, still owes
 * their own code: the taken sign-in is then kept pending for them (`holdForSecondFactor`), bound
 * to the browser by a new token (its SHA-256 kept), 10 minutes, a few wrong codes, once.
 *
 * A sign-in reuses the provider's discovered configuration for 10 minutes (per issuer, client id
 * and sealed secret, in this process); the admins' settings always discover afresh.
 *
 * Signing out (OpenID Connect RP-Initiated Logout 1.0): a session made by a provider whose
 * discovery names an `end_session_endpoint`, with "Sign out of <provider> too" on, keeps the sign-in's
 * ID token sealed with the session (nothing otherwise); at sign-out the desk answers with the
 * provider's end-session URL (`id_token_hint`, `post_logout_redirect_uri` = the desk's login page,
 * `client_id`, `state`), and the token goes with the session row.
 *
 * On a desk of several brands a sign-in starts only for a provider the browser was just given by
 * discovery (or the password sign-in's `auth.sso_required`): a signed, 10-minute list of provider
 * ids in an httpOnly cookie (`providersFoundToken`), or for a signed-in person of the provider's
 * brand (confirming with a recent sign-in). Anyone else's start by id is refused as an unknown
 * provider's, so the start no longer tells which identity provider, client id or tenant a brand uses.
 *
 * The client secret is sealed with the instance SecretBox and never leaves: not in an answer, not
 * in the audit trail. Whether the caller may manage providers (an admin of the brand) and the
 * per-address limits are the caller's.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import type * as Jose from 'jose';
import * as oidc from 'openid-client';
import { AppError, badRequest, notFound } from '../errors.js';
import type { SecretBox } from '../lib/secrets.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { SsoLoginTable, SsoProviderTable, User } from '../store/schema.js';
import type { Selectable } from 'kysely';
import type { Actor } from './context.js';
import { createUser, ValidationError } from './setup.js';
import { certificatesPem, parseIdpMetadata, SamlSettingsError, storedCertificates } from '../core/saml.js';
import { samlProviderMetadataPath, startSamlSignIn } from './saml.js';

/** How long a started sign-in may take to come back. */
export const SSO_LOGIN_TTL_MS = 10 * 60_000;
/** The cookie binding a started sign-in to the browser that started it. */
export const SSO_BROWSER_COOKIE = 'parley_sso';
export const SSO_CALLBACK_PATH = '/api/auth/sso/callback';

export const SSO_PROVISION_ROLES = ['agent', 'expert', 'approver'] as const;
export type SsoProvisionRole = (typeof SSO_PROVISION_ROLES)[number];
export const PASSWORD_SIGN_IN = ['everyone', 'admins'] as const;
export type PasswordSignIn = (typeof PASSWORD_SIGN_IN)[number];

/** Why a sign-in with a provider did not go through: the login page's `?sso_error=`. */
export const SSO_ERRORS = ['cancelled', 'expired', 'provider', 'unverified_email', 'domain', 'no_account', 'disabled', 'unavailable', 'rate_limited'] as const;
export type SsoErrorCode = (typeof SSO_ERRORS)[number];

export class SsoSignInError extends Error {
  /** Where the started sign-in was going (its `next`), once known: the login page keeps it as the way back. */
  next?: string;
  constructor(readonly code: SsoErrorCode, detail?: string) {
    super(detail ?? code);
    this.name = 'SsoSignInError';
  }
}

export type ProviderRow = Selectable<SsoProviderTable>;

export interface SsoDeps {
  store: Store;
  secrets: SecretBox;
}

export const SSO_PROTOCOLS = ['oidc', 'saml'] as const;
export type SsoProtocol = (typeof SSO_PROTOCOLS)[number];

export interface SsoProviderFields {
  /** Default `oidc`; fixed once the provider exists. */
  protocol?: SsoProtocol;
  label: string;
  /** OpenID Connect: the issuer URL. SAML: the IdP's entity id. */
  issuer?: string;
  /** OpenID Connect only. */
  clientId?: string;
  /** OpenID Connect only. */
  clientSecret?: string;
  /** SAML: the IdP's single sign-on URL (HTTP-Redirect). */
  samlSsoUrl?: string;
  /** SAML: the IdP's signing certificates, PEM (validated). */
  samlCertificates?: string[];
  /** SAML: the IdP's metadata XML, pasted: fills the entity id, SSO URL and certificates the fields leave out. */
  samlMetadataXml?: string;
  /** SAML: the attribute carrying the email; null: the defaults (docs/sso.md). */
  samlEmailAttribute?: string | null;
  /** SAML: the attribute carrying the display name; null: the defaults. */
  samlNameAttribute?: string | null;
  /** SAML: sign the AuthnRequest with the provider's SP key (its certificate is in the provider's SP metadata). Default off. */
  signAuthnRequests?: boolean;
  /** SAML: take only assertions encrypted to the provider's SP key. Default off. */
  wantEncryptedAssertions?: boolean;
  /** SAML: the IdP's single logout URL (HTTP-Redirect); null: none. Also from pasted metadata. */
  samlSloUrl?: string | null;
  allowedDomains: string[];
  autoProvisionRole: SsoProvisionRole | null;
  passwordSignIn: PasswordSignIn;
  trustsMfa: boolean;
  enabled: boolean;
  /** Signing out of Parley signs out at the provider too, when it supports it (`end_session_endpoint`). Default on. */
  signOutAtProvider?: boolean;
}

export interface SsoProviderView {
  id: number;
  protocol: SsoProtocol;
  label: string;
  samlSsoUrl: string | null;
  /** SAML: the signing certificates kept, with their subject and expiry. */
  samlCertificates: { pem: string; subject: string; validTo: string }[];
  samlEmailAttribute: string | null;
  samlNameAttribute: string | null;
  /** SAML: the AuthnRequest is signed with the SP key. */
  signAuthnRequests: boolean;
  /** SAML: only encrypted assertions are taken. */
  wantEncryptedAssertions: boolean;
  /** SAML: the provider's SP metadata URL path (with its SP certificate); null for OpenID Connect. */
  samlSpMetadataPath: string | null;
  /** SAML: the IdP's single logout URL; null: no single logout. */
  samlSloUrl: string | null;
  issuer: string;
  clientId: string;
  hasClientSecret: boolean;
  allowedDomains: string[];
  autoProvisionRole: SsoProvisionRole | null;
  passwordSignIn: PasswordSignIn;
  trustsMfa: boolean;
  enabled: boolean;
  signOutAtProvider: boolean;
  linkedPeople: number;
  createdAt: number;
  updatedAt: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const domainsOf = (row: ProviderRow): string[] => {
  try {
    const d = JSON.parse(row.allowed_domains) as unknown;
    return Array.isArray(d) ? d.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** The discovery failed, or the issuer is not acceptable: 400 `sso.discovery_failed` with the reason. */
export const discoveryFailed = (reason: string) => new AppError(400, 'sso.discovery_failed', `the provider's OpenID configuration could not be used: ${reason}`, { reason });

/** The issuer as a URL: https, or http on a loopback host only. */
export function issuerUrl(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw discoveryFailed('the issuer is not a URL');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw discoveryFailed('the issuer must be an https:// URL (plain http only on this machine: 127.0.0.1, ::1, localhost)');
}

/** openid-client's configuration for a provider (fetches its discovery document). */
async function discover(issuer: string, clientId: string, clientSecret: string | undefined): Promise<oidc.Configuration> {
  const url = issuerUrl(issuer);
  try {
    return await oidc.discovery(url, clientId, clientSecret, undefined, { timeout: 10, ...(url.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}) });
  } catch (err) {
    throw discoveryFailed(err instanceof Error ? err.message : String(err));
  }
}

/** How long a sign-in reuses a provider's discovered configuration (the admins' settings always fetch it afresh). */
export const SSO_DISCOVERY_TTL_MS = 10 * 60_000;
/** Discovered configurations by issuer, client id and sealed secret (a changed setting is another key); failures are not kept. */
const discovered = new Map<string, { config: oidc.Configuration; at: number }>();
const discoveryKey = (row: ProviderRow) => `${row.issuer}\u0000${row.client_id}\u0000${row.client_secret ?? ''}`;

/** A provider's configuration for a sign-in: the one discovered within 10 minutes, else fetched now. */
async function discoverCached(d: SsoDeps, row: ProviderRow, now: number): Promise<oidc.Configuration> {
  const key = discoveryKey(row);
  const kept = discovered.get(key);
  if (kept && now - kept.at < SSO_DISCOVERY_TTL_MS && now >= kept.at) return kept.config;
  discovered.delete(key);
  const config = await discover(row.issuer, row.client_id, secretOf(d, row));
  // the oldest go first: a process serves a handful of providers, never many
  if (discovered.size >= 100) discovered.delete(discovered.keys().next().value!);
  discovered.set(key, { config, at: now });
  return config;
}

/** A sign-in with this configuration failed at the provider: the next one discovers it again (its keys or endpoints may have moved). */
const forgetDiscovery = (row: ProviderRow) => discovered.delete(discoveryKey(row));

function normalize(f: Partial<SsoProviderFields>): Partial<SsoProviderFields> {
  const out: Partial<SsoProviderFields> = { ...f };
  if (f.label !== undefined) {
    out.label = f.label.trim();
    if (!out.label) throw badRequest('validation', 'a provider needs a label (shown on the sign-in button)');
  }
  if (f.issuer !== undefined) out.issuer = f.issuer.trim().replace(/\/+$/, '');
  if (f.clientId !== undefined) {
    out.clientId = f.clientId.trim();
    if (!out.clientId) throw badRequest('validation', 'a provider needs the client id it gave Parley');
  }
  if (f.allowedDomains !== undefined) {
    out.allowedDomains = [...new Set(f.allowedDomains.map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter(Boolean))];
    for (const d of out.allowedDomains) if (!/^[a-z0-9.-]+\.[a-z0-9-]+$/.test(d)) throw badRequest('validation', `"${d.slice(0, 80)}" is not a domain`);
  }
  if (f.autoProvisionRole !== undefined && f.autoProvisionRole !== null && !SSO_PROVISION_ROLES.includes(f.autoProvisionRole)) {
    throw badRequest('validation', `people a provider creates are ${SSO_PROVISION_ROLES.join(', ')}: never admins`);
  }
  return out;
}

const certificateViews = (json: string | null | undefined) =>
  storedCertificates(json).map((pem) => {
    try {
      const x = new X509Certificate(pem);
      return { pem, subject: x.subject, validTo: x.validTo };
    } catch {
      return { pem, subject: '', validTo: '' };
    }
  });

/** A SAML setting that cannot be used: 400 `sso.invalid_saml` with the reason. */
export const invalidSaml = (reason: string) => new AppError(400, 'sso.invalid_saml', `the SAML settings cannot be used: ${reason}`, { reason });

/** A SAML provider's settings, checked: the metadata (if pasted) fills what the fields leave out; the certificates parse as X.509; the SSO URL is https (http on loopback). */
function samlSettingsOf(f: Partial<SsoProviderFields>, kept?: ProviderRow): { issuer: string; ssoUrl: string; certs: string[]; sloUrl: string | null } {
  try {
    const meta = f.samlMetadataXml?.trim() ? parseIdpMetadata(f.samlMetadataXml) : undefined;
    const issuer = (f.issuer?.trim() || meta?.entityId || kept?.issuer || '').trim();
    const ssoUrl = (f.samlSsoUrl?.trim() || meta?.ssoUrl || kept?.saml_sso_url || '').trim();
    const certs = f.samlCertificates?.some((c) => c.trim()) ? certificatesPem(f.samlCertificates) : meta?.certificates ?? storedCertificates(kept?.saml_idp_certs);
    if (!issuer) throw new SamlSettingsError('the IdP entity id is missing (or paste the IdP metadata)');
    if (!ssoUrl) throw new SamlSettingsError('the IdP single sign-on URL is missing (or paste the IdP metadata)');
    if (!certs.length) throw new SamlSettingsError('an IdP signing certificate is needed: unsigned answers are never taken');
    try {
      issuerUrl(ssoUrl);
    } catch {
      throw new SamlSettingsError('the single sign-on URL must be an https:// URL (plain http only on this machine)');
    }
    const sloUrl = f.samlSloUrl !== undefined ? f.samlSloUrl?.trim() || null : meta?.sloUrl ?? kept?.saml_slo_url ?? null;
    try {
      if (sloUrl) issuerUrl(sloUrl);
    } catch {
      throw new SamlSettingsError('the single logout URL must be an https:// URL (plain http only on this machine)');
    }
    return { issuer, ssoUrl, certs, sloUrl };
  } catch (err) {
    if (err instanceof SamlSettingsError) throw invalidSaml(err.message);
    throw err;
  }
}
const attributeName = (a: string | null | undefined) => (a == null ? a : a.trim().slice(0, 500) || null);

export async function presentProviders(store: Store, brandId: number, id?: number): Promise<SsoProviderView[]> {
  let q = store.db.selectFrom('sso_provider').selectAll('sso_provider')
    .select((eb) => eb.selectFrom('sso_identity').select(eb.fn.countAll<number>().as('n')).whereRef('sso_identity.provider_id', '=', 'sso_provider.id').as('linked'))
    .where('brand_id', '=', brandId);
  if (id !== undefined) q = q.where('id', '=', id);
  const rows = await q.orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id, protocol: (r.protocol === 'saml' ? 'saml' : 'oidc') as SsoProtocol, label: r.label,
    samlSsoUrl: r.saml_sso_url ?? null, samlCertificates: certificateViews(r.saml_idp_certs), samlEmailAttribute: r.saml_email_attribute ?? null, samlNameAttribute: r.saml_name_attribute ?? null,
    signAuthnRequests: Number(r.saml_sign_requests) === 1, wantEncryptedAssertions: Number(r.saml_want_encrypted) === 1, samlSpMetadataPath: r.protocol === 'saml' ? samlProviderMetadataPath(r.id) : null, samlSloUrl: r.saml_slo_url ?? null, issuer: r.issuer, clientId: r.client_id, hasClientSecret: r.client_secret != null,
    allowedDomains: domainsOf(r), autoProvisionRole: (r.auto_provision_role as SsoProvisionRole | null) ?? null,
    passwordSignIn: r.password_sign_in as PasswordSignIn, trustsMfa: r.trusts_mfa === 1, enabled: r.enabled === 1, signOutAtProvider: Number(r.sign_out_at_provider) === 1,
    linkedPeople: Number(r.linked ?? 0), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  }));
}

/** What the audit trail keeps of a provider's settings: everything but the secret. */
const auditable = (f: Partial<SsoProviderFields>) => {
  const { clientSecret, ...rest } = f;
  return { ...rest, ...(clientSecret !== undefined ? { clientSecretChanged: true } : {}) };
};

/** A new provider for the actor's brand, once its discovery document is fetched. Audited without the secret. */
export async function createSsoProvider(d: SsoDeps, actor: Actor, fields: SsoProviderFields, now: number): Promise<SsoProviderView> {
  const saml = fields.protocol === 'saml';
  const f = normalize(saml ? { ...fields, issuer: undefined, clientId: undefined } : fields) as SsoProviderFields;
  if (!saml && (!f.issuer || !f.clientId)) throw badRequest('validation', 'an OpenID Connect provider needs its issuer and the client id it gave Parley');
  const s = saml ? samlSettingsOf(fields) : undefined;
  if (!saml) await discover(f.issuer!, f.clientId!, f.clientSecret || undefined);
  const row = await d.store.db.insertInto('sso_provider').values({
    brand_id: actor.brandId, label: f.label, issuer: s ? s.issuer : f.issuer!, client_id: s ? '' : f.clientId!,
    client_secret: !s && f.clientSecret ? d.secrets.seal(f.clientSecret) : null,
    protocol: s ? 'saml' : 'oidc', saml_sso_url: s?.ssoUrl ?? null, saml_idp_certs: s ? JSON.stringify(s.certs) : null,
    saml_email_attribute: s ? attributeName(fields.samlEmailAttribute) ?? null : null, saml_name_attribute: s ? attributeName(fields.samlNameAttribute) ?? null : null,
    saml_slo_url: s?.sloUrl ?? null, saml_sign_requests: s && fields.signAuthnRequests ? 1 : 0, saml_want_encrypted: s && fields.wantEncryptedAssertions ? 1 : 0,
    allowed_domains: JSON.stringify(f.allowedDomains), auto_provision_role: f.autoProvisionRole,
    password_sign_in: f.passwordSignIn, trusts_mfa: f.trustsMfa ? 1 : 0, enabled: f.enabled ? 1 : 0, sign_out_at_provider: s || f.signOutAtProvider === false ? 0 : 1, created_at: now, updated_at: now,
  }).returning('id').executeTakeFirstOrThrow();
  await audit(d.store.db, { brandId: actor.brandId, actor: actor.name, action: 'sso.provider.create', subjectType: 'sso_provider', subjectId: row.id, data: auditable(s ? { ...f, issuer: s.issuer, samlSsoUrl: s.ssoUrl, samlCertificates: undefined, samlMetadataXml: undefined, samlCertificatesCount: s.certs.length } as Partial<SsoProviderFields> : f) }, now);
  return (await presentProviders(d.store, actor.brandId, row.id))[0]!;
}

async function providerOf(store: Store, brandId: number, id: number): Promise<ProviderRow> {
  const row = await store.db.selectFrom('sso_provider').selectAll().where('id', '=', id).where('brand_id', '=', brandId).executeTakeFirst();
  if (!row) throw notFound('single sign-on provider');
  return row;
}

/** The changes of the settings both protocols have (those given; the rest kept). */
function commonChanges(f: Partial<SsoProviderFields>) {
  return {
    ...(f.label !== undefined ? { label: f.label } : {}),
    ...(f.allowedDomains !== undefined ? { allowed_domains: JSON.stringify(f.allowedDomains) } : {}),
    ...(f.autoProvisionRole !== undefined ? { auto_provision_role: f.autoProvisionRole } : {}),
    ...(f.passwordSignIn !== undefined ? { password_sign_in: f.passwordSignIn } : {}),
    ...(f.trustsMfa !== undefined ? { trusts_mfa: f.trustsMfa ? 1 : 0 } : {}),
    ...(f.enabled !== undefined ? { enabled: f.enabled ? 1 : 0 } : {}),
  };
}

/** Change some of a provider's settings (a secret left out is kept); the discovery is fetched again when the issuer or client changes. */
export async function updateSsoProvider(d: SsoDeps, actor: Actor, id: number, fields: Partial<SsoProviderFields>, now: number): Promise<SsoProviderView> {
  const row = await providerOf(d.store, actor.brandId, id);
  if (fields.protocol !== undefined && fields.protocol !== (row.protocol === 'saml' ? 'saml' : 'oidc')) throw badRequest('validation', 'a provider\'s protocol is fixed: add another provider');
  if (row.protocol === 'saml') return updateSamlProvider(d, actor, row, fields, now);
  const f = normalize(fields);
  if (f.issuer !== undefined || f.clientId !== undefined) {
    await discover(f.issuer ?? row.issuer, f.clientId ?? row.client_id, f.clientSecret ?? undefined);
  }
  await d.store.db.updateTable('sso_provider').set({
    ...commonChanges(f),
    ...(f.issuer !== undefined ? { issuer: f.issuer } : {}),
    ...(f.clientId !== undefined ? { client_id: f.clientId } : {}),
    ...(f.clientSecret !== undefined ? { client_secret: f.clientSecret ? d.secrets.seal(f.clientSecret) : null } : {}),
    ...(f.signOutAtProvider !== undefined ? { sign_out_at_provider: f.signOutAtProvider ? 1 : 0 } : {}),
    updated_at: now,
  }).where('id', '=', row.id).execute();
  // off: the ID tokens kept for it are not needed any more
  if (f.signOutAtProvider === false) await d.store.db.updateTable('session').set({ sso_id_token: null }).where('sso_provider_id', '=', row.id).execute();
  await audit(d.store.db, { brandId: actor.brandId, actor: actor.name, action: 'sso.provider.update', subjectType: 'sso_provider', subjectId: row.id, data: auditable(f) }, now);
  return (await presentProviders(d.store, actor.brandId, row.id))[0]!;
}

async function updateSamlProvider(d: SsoDeps, actor: Actor, row: ProviderRow, fields: Partial<SsoProviderFields>, now: number): Promise<SsoProviderView> {
  const f = normalize({ ...fields, issuer: undefined, clientId: undefined });
  const changesIdp = fields.issuer !== undefined || fields.samlSsoUrl !== undefined || fields.samlCertificates !== undefined || fields.samlMetadataXml !== undefined || fields.samlSloUrl !== undefined;
  const s = changesIdp ? samlSettingsOf(fields, row) : undefined;
  await d.store.db.updateTable('sso_provider').set({
    ...commonChanges(f),
    ...(s ? { issuer: s.issuer, saml_sso_url: s.ssoUrl, saml_idp_certs: JSON.stringify(s.certs), saml_slo_url: s.sloUrl } : {}),
    ...(fields.samlEmailAttribute !== undefined ? { saml_email_attribute: attributeName(fields.samlEmailAttribute) ?? null } : {}),
    ...(fields.samlNameAttribute !== undefined ? { saml_name_attribute: attributeName(fields.samlNameAttribute) ?? null } : {}),
    ...(fields.signAuthnRequests !== undefined ? { saml_sign_requests: fields.signAuthnRequests ? 1 : 0 } : {}),
    ...(fields.wantEncryptedAssertions !== undefined ? { saml_want_encrypted: fields.wantEncryptedAssertions ? 1 : 0 } : {}),
    updated_at: now,
  }).where('id', '=', row.id).execute();
  const { samlCertificates: _c, samlMetadataXml: _m, clientSecret: _s, ...rest } = fields;
  await audit(d.store.db, { brandId: actor.brandId, actor: actor.name, action: 'sso.provider.update', subjectType: 'sso_provider', subjectId: row.id, data: { ...rest, ...(s ? { issuer: s.issuer, samlSsoUrl: s.ssoUrl, samlCertificatesCount: s.certs.length } : {}) } }, now);
  return (await presentProviders(d.store, actor.brandId, row.id))[0]!;
}

/** Remove a provider with its links and started sign-ins; sessions signed in with it stay, as password ones. */
export async function deleteSsoProvider(d: SsoDeps, actor: Actor, id: number, now: number): Promise<void> {
  const row = await providerOf(d.store, actor.brandId, id);
  await d.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sso_login').where('provider_id', '=', row.id).execute();
    await trx.deleteFrom('sso_identity').where('provider_id', '=', row.id).execute();
    await trx.updateTable('session').set({ sso_provider_id: null, sso_id_token: null }).where('sso_provider_id', '=', row.id).execute();
    await trx.deleteFrom('sso_provider').where('id', '=', row.id).execute();
    await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'sso.provider.delete', subjectType: 'sso_provider', subjectId: row.id, data: { label: row.label, issuer: row.issuer } }, now);
  });
}

/** Fetch a provider's discovery document now: its authorization endpoint and end-session endpoint (null: it has none), or 400 `sso.discovery_failed`. */
export async function checkSsoProvider(d: SsoDeps, actor: Actor, id: number): Promise<{ ok: true; authorizationEndpoint: string; endSessionEndpoint: string | null }> {
  const row = await providerOf(d.store, actor.brandId, id);
  // a SAML provider has nothing to fetch: where it signs people in, and no single logout
  if (row.protocol === 'saml') return { ok: true, authorizationEndpoint: row.saml_sso_url ?? '', endSessionEndpoint: null };
  const config = await discover(row.issuer, row.client_id, undefined);
  const endpoint = config.serverMetadata().authorization_endpoint;
  if (!endpoint) throw discoveryFailed('the provider names no authorization endpoint');
  return { ok: true, authorizationEndpoint: endpoint, endSessionEndpoint: config.serverMetadata().end_session_endpoint ?? null };
}

/** The enabled providers of every brand, for the sign-in page (label only). */
export async function publicProviders(store: Store): Promise<{ id: number; label: string }[]> {
  return store.db.selectFrom('sso_provider').select(['id', 'label']).where('enabled', '=', 1).orderBy('id').execute();
}

/**
 * What the sign-in page offers before anyone has said who they are. A desk of one brand (the
 * self-hosted case) lists its enabled providers as buttons: they are all its own, so they tell a
 * visitor nothing about anyone else. A desk of several brands lists none (they would tell anyone
 * which companies use it, and show each brand's people buttons that are not theirs) and says only
 * whether single sign-on is there to be found by email (`discovery`, POST /api/auth/sso/discover).
 */
export async function signInOffer(store: Store): Promise<{ providers: { id: number; label: string }[]; discovery: boolean }> {
  const providers = await publicProviders(store);
  if (!(await severalBrands(store))) return { providers, discovery: false };
  return { providers: [], discovery: providers.length > 0 };
}

/**
 * Home-realm discovery: the enabled providers that take this email. A provider whose allowed
 * domains hold the email's domain takes it, whoever it names: the answer depends on the domain
 * alone, so it tells nothing about whether that person exists (only that the domain's company
 * uses this desk, which is what discovery is for). A provider with no domain list (any verified
 * email of an existing person of its brand) can be found only by a person of its brand, so for it
 * the answer does tell that someone with that exact email has an account there: the price of a
 * provider without domains on a desk of several brands, counted per address as sign-in is, and
 * avoided by giving the provider its domains (docs/sso.md). Both questions are always asked, in
 * the same two queries, whatever the email, so the time of an answer does not depend on it.
 */
export async function discoverProviders(store: Store, email: string): Promise<{ id: number; label: string }[]> {
  const normalized = email.trim().toLowerCase();
  const at = normalized.lastIndexOf('@');
  const domain = at > 0 ? normalized.slice(at + 1) : '';
  const rows = await store.db.selectFrom('sso_provider').selectAll().where('enabled', '=', 1).orderBy('id').execute();
  const people = await store.db.selectFrom('app_user').select('brand_id').where('email', '=', at > 0 ? normalized : '').where('disabled_at', 'is', null).execute();
  const brandsOfPerson = new Set(people.map((p) => p.brand_id));
  return rows
    .filter((r) => {
      const domains = domainsOf(r);
      return domains.length ? domain !== '' && domains.includes(domain) : brandsOfPerson.has(r.brand_id);
    })
    .map((r) => ({ id: r.id, label: r.label }));
}

/** The enabled provider whose `passwordSignIn: 'admins'` holds this person to single sign-on, if any. */
export async function ssoRequiredFor(store: Store, user: Pick<User, 'brand_id' | 'role'>): Promise<{ id: number; label: string } | null> {
  if (user.role === 'admin') return null;
  const row = await store.db.selectFrom('sso_provider').select(['id', 'label']).where('brand_id', '=', user.brand_id).where('enabled', '=', 1).where('password_sign_in', '=', 'admins').orderBy('id').executeTakeFirst();
  return row ?? null;
}

/** Where to go after signing in: a same-origin path only (one `/`, no `//`, no `/\`), else `/`. */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 2000) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  // control characters and backslashes anywhere: browsers read some of them as slashes
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  return next;
}

export async function enabledProvider(store: Store, id: number): Promise<ProviderRow> {
  const row = await store.db.selectFrom('sso_provider').selectAll().where('id', '=', id).where('enabled', '=', 1).executeTakeFirst();
  if (!row) throw new SsoSignInError('unavailable');
  return row;
}

const secretOf = (d: SsoDeps, row: ProviderRow): string | undefined => (row.client_secret ? d.secrets.open<string>(row.client_secret) : undefined);

export interface StartedSsoSignIn {
  /** Where to send the browser. */
  authorizationUrl: string;
  /** The browser binding cookie's value (set it for the callback). */
  browserToken: string;
  /** `saml`: the binding cookie is `parley_saml` (the IdP's POST back is cross-site). */
  protocol?: SsoProtocol;
}

/**
 * Start a sign-in with an enabled provider: a state, nonce and PKCE verifier kept for 10 minutes
 * (the state and browser token only as hashes), and the provider's authorization URL.
 * `unavailable` for an unknown or disabled provider, `provider` when its discovery fails.
 */
export async function startSsoSignIn(d: SsoDeps, p: { providerId: number; redirectUri: string; next?: string; origin?: string }, now: number): Promise<StartedSsoSignIn> {
  const row = await enabledProvider(d.store, p.providerId);
  if (row.protocol === 'saml') return startSamlSignIn(d, row, { origin: p.origin ?? new URL(p.redirectUri).origin, next: p.next }, now);
  let config: oidc.Configuration;
  try {
    config = await discoverCached(d, row, now);
  } catch {
    throw new SsoSignInError('provider', 'discovery failed');
  }
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const browserToken = randomBytes(32).toString('base64url');
  // the expired ones go as new ones come
  await d.store.db.deleteFrom('sso_login').where('expires_at', '<', now).execute();
  await d.store.db.insertInto('sso_login').values({
    provider_id: row.id, state_hash: sha256(state), browser_hash: sha256(browserToken), nonce, code_verifier: verifier,
    redirect_uri: p.redirectUri, next_path: safeNext(p.next), created_at: now, expires_at: now + SSO_LOGIN_TTL_MS,
  }).execute();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: p.redirectUri, scope: 'openid email profile', response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
  });
  return { authorizationUrl: url.href, browserToken, protocol: 'oidc' };
}

export interface FinishSsoSignInProps {
  /** The callback's query string as received (code, state, iss, or error). */
  query: Record<string, string | undefined>;
  /** The browser binding cookie, if it came back. */
  browserToken: string | undefined;
}

export interface FinishedSsoSignIn {
  user: User;
  providerId: number;
  /** The provider is trusted to enforce MFA: the person's own second factor is not asked. */
  trustsMfa: boolean;
  /** The started sign-in (`sso_login`) it took: kept as pending when the person's second factor is still to come. */
  loginId: number;
  next: string;
  /** When the sign-in was started (its per-address attempt may be taken back). */
  startedAt: number;
  provisioned: boolean;
  /** The ID token, sealed, when the session is to sign out at the provider too (see `keepForSignOut`); else null. */
  sealedIdToken: string | null;
  /** The provider's session id (the ID token's `sid`, SAML's SessionIndex), when it gives one: its back-channel logout names it. */
  sid: string | null;
  /** SAML: the assertion's NameID, sealed, and its SHA-256 (for single logout); absent for OpenID Connect. */
  samlNameId?: { sealed: string; hash: string } | null;
}

/** A started sign-in, taken once: unknown, used, expired, or of another browser → `expired`. */
export async function takeLogin(store: Store, state: string | undefined, browserToken: string | undefined, now: number) {
  if (!state || !browserToken) throw new SsoSignInError('expired');
  const row = await store.db.selectFrom('sso_login').selectAll().where('state_hash', '=', sha256(state)).executeTakeFirst();
  if (!row || row.used_at != null || row.expires_at <= now || row.browser_hash !== sha256(browserToken)) throw new SsoSignInError('expired');
  // of two callbacks racing with one state, one takes it
  const taken = await store.db.updateTable('sso_login').set({ used_at: now }).where('id', '=', row.id).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) throw new SsoSignInError('expired');
  return row;
}

const isTrue = (v: unknown) => v === true || v === 'true';
/**
 * Whether the provider vouches for the email: `email_verified`, or, from a provider that sends no
 * `email_verified` at all (Microsoft Entra ID for work accounts), Entra's optional `xms_edov`
 * ("email domain owner verified": the tenant owns the email's domain). An explicit
 * `email_verified: false` is never overridden.
 */
const emailVouchedFor = (claims: Record<string, unknown>) => (claims.email_verified === undefined ? isTrue(claims.xms_edov) : isTrue(claims.email_verified));

/**
 * Finish a sign-in at the callback: the started sign-in taken once, the code redeemed and the ID
 * token verified by openid-client (state, nonce, PKCE, signature, iss, aud, exp), then the person
 * found, linked or created. Throws SsoSignInError with the login page's code.
 */
export async function finishSsoSignIn(d: SsoDeps, p: FinishSsoSignInProps, now: number): Promise<FinishedSsoSignIn> {
  const login = await takeLogin(d.store, p.query.state, p.browserToken, now);
  try {
    return await finishTaken(d, p, login, now);
  } catch (err) {
    // the way back goes with the refusal: the person returns there after trying again
    if (err instanceof SsoSignInError) err.next = login.next_path;
    throw err;
  }
}

async function finishTaken(d: SsoDeps, p: FinishSsoSignInProps, login: Selectable<SsoLoginTable>, now: number): Promise<FinishedSsoSignIn> {
  if (p.query.error) throw new SsoSignInError(p.query.error === 'access_denied' ? 'cancelled' : 'provider', p.query.error);
  const row = await enabledProvider(d.store, login.provider_id);
  if (row.protocol === 'saml') throw new SsoSignInError('expired', 'a SAML sign-in comes back to the ACS, not here');

  let claims: Record<string, unknown>;
  let sealedIdToken: string | null = null;
  let sid: string | null = null;
  try {
    const config = await discoverCached(d, row, now);
    const callbackUrl = new URL(login.redirect_uri);
    for (const [k, v] of Object.entries(p.query)) if (v !== undefined) callbackUrl.searchParams.set(k, v);
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: login.code_verifier, expectedState: p.query.state, expectedNonce: login.nonce, idTokenExpected: true });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('no ID token');
    claims = { ...idClaims };
    if (typeof idClaims.sid === 'string' && idClaims.sid.length <= 500) sid = idClaims.sid;
    // kept only to sign out at the provider: when it can, and the admin wants it
    if (tokens.id_token && row.sign_out_at_provider === 1 && config.serverMetadata().end_session_endpoint) sealedIdToken = d.secrets.seal(tokens.id_token);
    // many providers put the email only in the UserInfo answer (the ID token of a code flow is lean)
    if (claims.email === undefined && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...info, ...idClaims, email: info.email, email_verified: info.email_verified };
    }
  } catch (err) {
    if (err instanceof SsoSignInError) throw err;
    forgetDiscovery(row);
    throw new SsoSignInError('provider', err instanceof Error ? err.message : String(err));
  }

  const subject = String(claims.sub);
  const { user, provisioned } = await personFor(d, row, subject, claims, now);
  return { user, providerId: row.id, trustsMfa: row.trusts_mfa === 1, loginId: login.id, next: login.next_path, startedAt: Number(login.created_at), provisioned, sealedIdToken, sid };
}

/** Wrong codes a pending sign-in takes before it is void (the person starts again at the provider). */
export const SSO_CODE_TRIES = 5;

/** The pending sign-in is unknown, used, void, of another browser or past its 10 minutes: start again. */
export const ssoSignInExpired = (detail = 'that sign-in is over (too old, already used, or too many wrong codes): start it again') => new AppError(401, 'auth.sso_expired', detail);

/**
 * Keep a sign-in taken at the callback as pending until the person's own second factor (someone
 * with two-factor sign-in on, after a provider not trusted to enforce MFA): 10 minutes from now,
 * for this person, bound to the browser by a new token (returned: the `parley_sso` cookie's new
 * value; only its SHA-256 is kept).
 */
export async function holdForSecondFactor(store: Store, loginId: number, userId: number, now: number, keep: SignOutKeep = { sealedIdToken: null, sid: null }): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await store.db.updateTable('sso_login').set({ pending_user_id: userId, pending_hash: sha256(token), pending_tries: 0, expires_at: now + SSO_LOGIN_TTL_MS, id_token: keep.sealedIdToken, sid: keep.sid, saml_name_id: keep.samlNameId?.sealed ?? null, saml_name_id_hash: keep.samlNameId?.hash ?? null })
    .where('id', '=', loginId).execute();
  return token;
}

export interface PendingSsoSignIn {
  login: Selectable<SsoLoginTable>;
  user: User;
}

/** The browser's pending sign-in, while it may still take a code (401 `auth.sso_expired` otherwise). */
export async function pendingSsoSignIn(store: Store, browserToken: string | undefined, now: number): Promise<PendingSsoSignIn> {
  if (!browserToken) throw ssoSignInExpired();
  const login = await store.db.selectFrom('sso_login').selectAll().where('pending_hash', '=', sha256(browserToken)).executeTakeFirst();
  if (!login || login.pending_user_id == null || login.pending_done_at != null || Number(login.pending_tries) >= SSO_CODE_TRIES || Number(login.expires_at) <= now) throw ssoSignInExpired();
  const user = await store.db.selectFrom('app_user').selectAll().where('id', '=', login.pending_user_id).executeTakeFirst();
  const provider = await store.db.selectFrom('sso_provider').select('id').where('id', '=', login.provider_id).where('enabled', '=', 1).executeTakeFirst();
  if (!user || user.disabled_at != null || !provider) throw ssoSignInExpired();
  return { login, user };
}

/** A wrong code for a pending sign-in: counted; whether it is now void (too many). */
export async function wrongSsoCode(store: Store, loginId: number): Promise<boolean> {
  await store.db.updateTable('sso_login').set((eb) => ({ pending_tries: eb('pending_tries', '+', 1) })).where('id', '=', loginId).where('pending_done_at', 'is', null).execute();
  const row = await store.db.selectFrom('sso_login').select('pending_tries').where('id', '=', loginId).executeTakeFirst();
  const isVoid = !row || Number(row.pending_tries) >= SSO_CODE_TRIES;
  if (isVoid) await store.db.updateTable('sso_login').set({ id_token: null }).where('id', '=', loginId).execute();
  return isVoid;
}

/** Take a pending sign-in once its code is right: of two racing right codes, one takes it (false for the other). */
export async function finishPendingSsoSignIn(store: Store, loginId: number, now: number): Promise<boolean> {
  const r = await store.db.updateTable('sso_login').set({ pending_done_at: now, id_token: null }).where('id', '=', loginId).where('pending_done_at', 'is', null)
    .where('pending_tries', '<', SSO_CODE_TRIES).where('expires_at', '>', now).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * The person a provider's subject signs in as: linked, matched by verified email and linked, or
 * created. The one set of rules for every protocol (OpenID Connect here, SAML in ./saml.ts):
 * `claims` holds `email`, `email_verified` (or Entra's `xms_edov`) and `name`.
 */
export async function personFor(d: SsoDeps, row: ProviderRow, subject: string, claims: Record<string, unknown>, now: number): Promise<{ user: User; provisioned: boolean }> {
  const db = d.store.db;
  const linked = await db.selectFrom('sso_identity').innerJoin('app_user', 'app_user.id', 'sso_identity.user_id').selectAll('app_user')
    .where('sso_identity.provider_id', '=', row.id).where('sso_identity.subject', '=', subject).where('app_user.brand_id', '=', row.brand_id).executeTakeFirst();
  if (linked) {
    if (linked.disabled_at != null) throw new SsoSignInError('disabled');
    await db.updateTable('sso_identity').set({ last_login_at: now }).where('provider_id', '=', row.id).where('subject', '=', subject).execute();
    return { user: linked, provisioned: false };
  }

  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
  if (!email || !emailVouchedFor(claims)) throw new SsoSignInError('unverified_email');
  const domains = domainsOf(row);
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (domains.length && !domains.includes(domain)) throw new SsoSignInError('domain');

  let user = await db.selectFrom('app_user').selectAll().where('email', '=', email).executeTakeFirst();
  // someone of another brand is not this provider's to sign in
  if (user && user.brand_id !== row.brand_id) throw new SsoSignInError('no_account');
  let provisioned = false;
  if (!user) {
    const role = row.auto_provision_role as SsoProvisionRole | null;
    if (!role || !SSO_PROVISION_ROLES.includes(role)) throw new SsoSignInError('no_account');
    const named = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 100) : email.slice(0, email.indexOf('@'));
    try {
      // audited as `user.created` by system:sso (the link that follows names the provider)
      await createUser(db, { brandId: row.brand_id, email, name: named, role, actor: 'system:sso' }, now);
      provisioned = true;
    } catch (err) {
      // created meanwhile by a racing sign-in: that one is theirs
      if (!(err instanceof ValidationError && err.code === 'user.exists')) throw new SsoSignInError('no_account', String(err));
    }
    user = await db.selectFrom('app_user').selectAll().where('email', '=', email).where('brand_id', '=', row.brand_id).executeTakeFirst();
    if (!user) throw new SsoSignInError('no_account');
  }
  if (user.disabled_at != null) throw new SsoSignInError('disabled');
  const link = await db.insertInto('sso_identity').values({ provider_id: row.id, subject, user_id: user.id, created_at: now, last_login_at: now })
    .onConflict((oc) => oc.columns(['provider_id', 'subject']).doNothing()).executeTakeFirst();
  if (Number(link.numInsertedOrUpdatedRows ?? 0n) === 1) {
    await audit(db, { brandId: row.brand_id, actor: `user:${user.id}`, action: 'sso.identity.link', subjectType: 'user', subjectId: user.id, data: { provider: row.id } }, now);
  }
  return { user, provisioned };
}

/** Keep with the session a single sign-on made what signing out needs: the ID token (already sealed) for the provider's end-session endpoint, the provider's `sid` for its back-channel logout. */
export async function keepForSignOut(store: Store, sessionId: string, keep: SignOutKeep): Promise<void> {
  if (keep.sealedIdToken || keep.sid || keep.samlNameId) await store.db.updateTable('session').set({ sso_id_token: keep.sealedIdToken, sso_sid: keep.sid, saml_name_id: keep.samlNameId?.sealed ?? null, saml_name_id_hash: keep.samlNameId?.hash ?? null }).where('id', '=', sessionId).execute();
}

/** What a session keeps for signing out: the sealed ID token, the provider's session id (OIDC `sid`, SAML SessionIndex), the SAML NameID sealed and hashed. */
export interface SignOutKeep {
  sealedIdToken: string | null;
  sid: string | null;
  samlNameId?: { sealed: string; hash: string } | null;
}

/**
 * Where the browser goes to sign out at the provider too (RP-Initiated Logout 1.0), for a session
 * that is ending: the provider's `end_session_endpoint` with `id_token_hint` (the sign-in's ID
 * token), `post_logout_redirect_uri`, `client_id` and a fresh `state`; null when the session was
 * not made by a provider, kept no ID token, the provider is gone, its "Sign out of <provider> too"
 * is off, or its discovery names no end-session endpoint (or fails: the desk's sign-out never waits
 * on a provider that is down for longer than its discovery's timeout). Call it before the session
 * row goes (the token goes with it).
 */
export async function providerSignOutUrl(d: SsoDeps, sessionId: string, postLogoutRedirectUri: string, now: number): Promise<string | null> {
  const session = await d.store.db.selectFrom('session').select(['sso_provider_id', 'sso_id_token']).where('id', '=', sessionId).executeTakeFirst();
  if (session?.sso_provider_id == null || !session.sso_id_token) return null;
  const row = await d.store.db.selectFrom('sso_provider').selectAll().where('id', '=', session.sso_provider_id).executeTakeFirst();
  if (!row || row.sign_out_at_provider !== 1) return null;
  let idToken: string;
  let config: oidc.Configuration;
  try {
    idToken = d.secrets.open<string>(session.sso_id_token);
    config = await discoverCached(d, row, now);
  } catch {
    return null;
  }
  if (!config.serverMetadata().end_session_endpoint) return null;
  return oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri, state: oidc.randomState() }).href;
}

/** Whether the desk hosts several brands (then the sign-in page lists no provider, and a start needs discovery first). */
export async function severalBrands(store: Store): Promise<boolean> {
  return (await store.db.selectFrom('brand').select('id').limit(2).execute()).length > 1;
}

/** The cookie holding the providers discovery gave this browser (path /api/auth/sso). */
export const SSO_FOUND_COOKIE = 'parley_sso_found';
/** How long what discovery gave lets its providers start. */
export const SSO_FOUND_TTL_MS = SSO_LOGIN_TTL_MS;

const foundMac = (secrets: SecretBox, body: string) => createHmac('sha256', secrets.deriveKey('sso-providers-found')).update(body).digest('base64url');

/** A signed list of the providers discovery (or `auth.sso_required`) gave this browser, good for 10 minutes: `<expires>.<ids>.<mac>`. */
export function providersFoundToken(secrets: SecretBox, providerIds: number[], now: number): string {
  const body = `${now + SSO_FOUND_TTL_MS}.${[...new Set(providerIds)].join('-')}`;
  return `${body}.${foundMac(secrets, body)}`;
}

/** Whether a token from `providersFoundToken` is good now and names this provider. */
export function providerWasFound(secrets: SecretBox, token: string | undefined, providerId: number, now: number): boolean {
  if (!token || token.length > 1000) return false;
  const at = token.lastIndexOf('.');
  if (at < 0) return false;
  const body = token.slice(0, at);
  const mac = Buffer.from(token.slice(at + 1));
  const want = Buffer.from(foundMac(secrets, body));
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) return false;
  const [expires, ids] = body.split('.');
  if (!(Number(expires) > now)) return false;
  return (ids ?? '').split('-').includes(String(providerId));
}

/**
 * Whether a browser may start a sign-in with this provider: on a desk of one brand, anyone (its
 * login page lists its providers); on a desk of several, only a browser discovery gave it to
 * (`foundToken`), or a signed-in person of its brand (`signedInBrandId`: confirming with a recent
 * sign-in). Unknown and disabled providers are the start's own refusal.
 */
export async function mayStartSignIn(d: SsoDeps, p: { providerId: number; foundToken?: string; signedInBrandId?: number }, now: number): Promise<boolean> {
  if (!(await severalBrands(d.store))) return true;
  if (providerWasFound(d.secrets, p.foundToken, p.providerId, now)) return true;
  if (p.signedInBrandId === undefined) return false;
  const row = await d.store.db.selectFrom('sso_provider').select('brand_id').where('id', '=', p.providerId).executeTakeFirst();
  return row?.brand_id === p.signedInBrandId;
}

/** OpenID Connect Back-Channel Logout 1.0: the event a logout token carries. */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
export const SSO_BACKCHANNEL_PATH = '/api/auth/sso/backchannel-logout';
/** A logout token that is not one, or not from a provider of this desk: 400 (the provider may log it). */
export const invalidLogoutToken = (why: string) => new AppError(400, 'sso.invalid_logout_token', `the logout token is not valid: ${why}`);
/** How old a logout token may be (from its iat), and the clocks' disagreement allowed, in seconds. */
const LOGOUT_TOKEN_MAX_AGE_S = 600;
const LOGOUT_TOKEN_TOLERANCE_S = 60;
/** Providers' key sets by jwks_uri (jose's own cache and cool-down inside each). */
const keySets = new Map<string, ReturnType<typeof Jose.createRemoteJWKSet>>();
const keySetOf = (jose: typeof Jose, uri: string) => {
  let set = keySets.get(uri);
  if (!set) {
    if (keySets.size >= 100) keySets.delete(keySets.keys().next().value!);
    set = jose.createRemoteJWKSet(new URL(uri), { timeoutDuration: 10_000 });
    keySets.set(uri, set);
  }
  return set;
};

/**
 * A provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0, 2.6): the logout
 * token verified against the provider it names (its issuer and our client id as audience, the
 * signature with the provider's JWKS, iat, jti, the back-channel event, no nonce, a `sid` or a
 * `sub`), then that provider's Parley sessions end: those of the provider session `sid`, or every
 * one of the person `sub` is linked to. Throws 400 `sso.invalid_logout_token`. Sessions of other
 * providers, and password ones, are left alone. The people signed out, for their availability.
 * A token is taken once (2.6 "MAY ... reject a replayed jti"): its issuer and `jti` are recorded in
 * the database (`sso_logout_jti`, shared by every process) in the transaction that ends the
 * sessions, until the token would be too old anyway (iat + max age + tolerance; the housekeeping
 * sweep prunes them), and a replay is refused (400, audited as `sso.backchannel_logout_refused`).
 */
export async function backChannelLogout(d: SsoDeps, logoutToken: string, now: number): Promise<{ userIds: number[]; sessionsEnded: number }> {
  // (loaded here: only this verifies a JWT itself; openid-client verifies ID tokens)
  const jose = await import('jose');
  let peek: Jose.JWTPayload;
  try {
    peek = jose.decodeJwt(logoutToken);
  } catch {
    throw invalidLogoutToken('not a JWT');
  }
  const iss = typeof peek.iss === 'string' ? peek.iss.replace(/\/+$/, '') : '';
  const audiences = (Array.isArray(peek.aud) ? peek.aud : [peek.aud]).filter((a): a is string => typeof a === 'string');
  if (!iss || !audiences.length) throw invalidLogoutToken('no issuer or audience');
  const rows = await d.store.db.selectFrom('sso_provider').selectAll().where('issuer', '=', iss).where('client_id', 'in', audiences).where('protocol', '=', 'oidc').orderBy('id').execute();
  if (!rows.length) throw invalidLogoutToken('from no provider of this desk');
  // (several providers, of one brand or more, may be the same registration at one issuer: each that verifies is signed out)
  const verified: { row: ProviderRow; claims: Jose.JWTPayload }[] = [];
  let why = 'its signature or claims do not verify';
  for (const row of rows) {
    try {
      const meta = (await discoverCached(d, row, now)).serverMetadata();
      if (!meta.jwks_uri) continue;
      const { payload } = await jose.jwtVerify(logoutToken, keySetOf(jose, meta.jwks_uri), { issuer: meta.issuer, audience: row.client_id, currentDate: new Date(now), maxTokenAge: LOGOUT_TOKEN_MAX_AGE_S, clockTolerance: LOGOUT_TOKEN_TOLERANCE_S, requiredClaims: ['iat', 'jti', 'events'] });
      verified.push({ row, claims: payload });
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
  }
  if (!verified.length) throw invalidLogoutToken(why);
  const { claims } = verified[0]!;
  const events = claims.events as Record<string, unknown> | undefined;
  if (!events || typeof events !== 'object' || typeof events[BACKCHANNEL_LOGOUT_EVENT] !== 'object' || events[BACKCHANNEL_LOGOUT_EVENT] === null) throw invalidLogoutToken('no back-channel logout event');
  if (claims.nonce !== undefined) throw invalidLogoutToken('a logout token has no nonce');
  const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  if (!sid && !sub) throw invalidLogoutToken('neither sid nor sub');
  const jti = claims.jti;
  if (typeof jti !== 'string' || !jti || jti.length > 1000) throw invalidLogoutToken('no jti');
  const expiresAt = (Number(claims.iat) + LOGOUT_TOKEN_MAX_AGE_S + LOGOUT_TOKEN_TOLERANCE_S) * 1000;

  const done = await d.store.db.transaction().execute(async (trx) => {
    // taken once: a row for this issuer and jti (one left from a token since expired, not yet pruned, is taken over)
    const taken = await trx.insertInto('sso_logout_jti').values({ issuer: iss, jti, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['issuer', 'jti']).doUpdateSet({ expires_at: expiresAt }).where('sso_logout_jti.expires_at', '<=', now))
      .executeTakeFirst();
    if (!Number(taken.numInsertedOrUpdatedRows ?? 0)) return null;
    const userIds = new Set<number>();
    let sessionsEnded = 0;
    for (const { row } of verified) {
      let q = trx.selectFrom('session').select(['id', 'user_id']).where('sso_provider_id', '=', row.id);
      if (sid) q = q.where('sso_sid', '=', sid);
      let ending: { id: string; user_id: number }[] = [];
      const linked = sub ? await trx.selectFrom('sso_identity').select('user_id').where('provider_id', '=', row.id).where('subject', '=', sub).execute() : undefined;
      if (!linked || linked.length) ending = await (linked ? q.where('user_id', 'in', linked.map((l) => l.user_id)) : q).execute();
      if (ending.length) await trx.deleteFrom('session').where('id', 'in', ending.map((e) => e.id)).execute();
      for (const e of ending) userIds.add(Number(e.user_id));
      sessionsEnded += ending.length;
      await audit(trx, { brandId: row.brand_id, actor: `sso:${row.id}`, action: 'sso.backchannel_logout', subjectType: 'sso_provider', subjectId: row.id, data: { ...(sid ? { sid } : {}), ...(sub ? { sub } : {}), sessionsEnded: ending.length } }, now);
    }
    return { userIds: [...userIds], sessionsEnded };
  });
  if (!done) {
    for (const { row } of verified) {
      await audit(d.store.db, { brandId: row.brand_id, actor: `sso:${row.id}`, action: 'sso.backchannel_logout_refused', subjectType: 'sso_provider', subjectId: row.id, data: { reason: 'replayed', jti, ...(sid ? { sid } : {}), ...(sub ? { sub } : {}) } }, now);
    }
    throw invalidLogoutToken('it was replayed: a logout token with this jti was taken before');
  }
  return done;
}
