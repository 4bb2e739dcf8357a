/**
 * Passkeys (WebAuthn discoverable credentials, docs/passkeys.md): a person registers one or more
 * (named, user verified, no attestation asked), lists and removes theirs; anyone signs in with
 * one without typing an address (the authenticator offers the passkeys it holds for the desk).
 *
 * Each ceremony begins with a challenge kept in the database (so any process may finish it), of
 * which only the SHA-256 is stored: good once (taken by a conditional delete, so two requests
 * racing with one answer cannot both pass), for PASSKEY_CHALLENGE_TTL_MS, and bound to what asked
 * for it: registration to the person and their session, sign-in to the browser (a cookie of which
 * only the SHA-256 is stored). The relying party (RP ID and origin) is the desk's public address.
 * The checks of plain data are ../core/passkeys.ts's; the signature and the attestation's
 * structure are @simplewebauthn/server's.
 *
 * A passkey sign-in asks the authenticator to verify the user (a PIN or a biometric): it is a
 * phishing-resistant multi-factor credential on its own, so it satisfies the brand's two-factor
 * policy and stands in for the person's own second factor. It does not get round the brand's rule
 * that its provider signs non-admins in (`ssoRequiredFor`), nor a disabled account.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse, type AuthenticationResponseJSON, type AuthenticatorTransportFuture, type RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import { ceremonyFault, counterRegressed, parseAuthenticatorData, parseClientData, passkeyName, PASSKEY_NAME_MAX, type CeremonyFault, type RelyingParty } from '../core/passkeys.js';
import { AppError, conflictOnUnique, notFound } from '../errors.js';
import { sha256 } from '../server/auth.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { DB, User } from '../store/schema.js';
import type { Actor } from './context.js';
import { ssoRequiredFor } from './sso.js';

/** How long a ceremony's challenge may be answered. */
export const PASSKEY_CHALLENGE_TTL_MS = 5 * 60_000;
/** How many passkeys one person may hold. */
export const PASSKEYS_MAX = 20;
/** The cookie that binds a passkey sign-in to the browser that began it. */
export const PASSKEY_BROWSER_COOKIE = 'parley_passkey';
/** ES256, EdDSA, RS256: what authenticators make. */
const ALGORITHMS = [-7, -8, -257];

export interface PasskeyDeps {
  store: Store;
  /** The instance's key for the stable, opaque user handles (`userHandleOf`). */
  userHandleKey: Buffer;
}

export interface PasskeyView {
  id: number;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  transports: string[];
}

/**
 * The WebAuthn user handle of a person: opaque (no email, no row id in clear), the same in every
 * process that shares the instance secret, and checked back at sign-in.
 */
export const userHandleOf = (key: Buffer, userId: number): Buffer => createHmac('sha256', key).update(`passkey-user\u0000${userId}`).digest();

const parseTransports = (json: string): AuthenticatorTransportFuture[] => {
  try {
    const v = JSON.parse(json);
    return Array.isArray(v) ? v.filter((t): t is AuthenticatorTransportFuture => typeof t === 'string') : [];
  } catch {
    return [];
  }
};

const present = (r: { id: number; name: string; created_at: number | string; last_used_at: number | string | null; transports: string }): PasskeyView => ({
  id: Number(r.id), name: r.name, createdAt: Number(r.created_at), lastUsedAt: r.last_used_at == null ? null : Number(r.last_used_at), transports: parseTransports(r.transports),
});

/** A refused passkey ceremony (401 unless said otherwise). */
const refused = (code: string, message: string, status = 401) => new AppError(status, code, message);

/** The one answer for a challenge that is unknown, used, expired, or another browser's or person's. */
const challengeInvalid = () => refused('passkey.challenge_invalid', 'that passkey request has expired or was already used: try again', 400);

/** Sign-in's faults are 401 (nobody is signed in); registration's 400 (the signed-in person sent a bad answer). */
const FAULTS: Record<CeremonyFault, (status?: number) => AppError> = {
  malformed: (status) => refused('passkey.invalid', 'the passkey\'s answer could not be read', status),
  wrong_type: (status) => refused('passkey.invalid', 'the passkey\'s answer is not for this step', status),
  wrong_origin: (status) => refused('passkey.wrong_origin', 'the passkey was used on another site than this desk', status),
  wrong_rp: (status) => refused('passkey.wrong_rp', 'the passkey is for another site than this desk', status),
  not_verified: (status) => refused('passkey.not_verified', 'the passkey did not verify you (a PIN or a biometric): this desk needs it', status),
};

/** Keep a challenge for `PASSKEY_CHALLENGE_TTL_MS`; expired ones go (a batch at a time). */
async function keepChallenge(db: Kysely<DB>, challenge: string, row: { purpose: 'register' | 'sign_in'; user_id?: number; session_id?: string; browser_hash?: string }, now: number): Promise<void> {
  await db.deleteFrom('passkey_challenge').where('id', 'in', db.selectFrom('passkey_challenge').select('id').where('expires_at', '<=', now).limit(500)).execute();
  await db.insertInto('passkey_challenge').values({ challenge_hash: sha256(challenge), purpose: row.purpose, user_id: row.user_id ?? null, session_id: row.session_id ?? null, browser_hash: row.browser_hash ?? null, created_at: now, expires_at: now + PASSKEY_CHALLENGE_TTL_MS }).execute();
}

/**
 * Take the challenge the browser says it answered, once: it must be live, for `purpose`, and bound
 * to what `bound` says. Refused (400 `passkey.challenge_invalid`) otherwise; a challenge that is
 * not bound to this caller is left for its own. Its begin time, when taken.
 */
async function takeChallenge(db: Kysely<DB>, challenge: string, purpose: 'register' | 'sign_in', bound: { user_id: number; session_id: string } | { browser_hash: string }, now: number): Promise<{ createdAt: number }> {
  let q = db.selectFrom('passkey_challenge').select(['id', 'created_at']).where('challenge_hash', '=', sha256(challenge)).where('purpose', '=', purpose).where('expires_at', '>', now);
  q = 'browser_hash' in bound ? q.where('browser_hash', '=', bound.browser_hash) : q.where('user_id', '=', bound.user_id).where('session_id', '=', bound.session_id);
  const row = await q.executeTakeFirst();
  if (!row) throw challengeInvalid();
  const r = await db.deleteFrom('passkey_challenge').where('id', '=', row.id).executeTakeFirst();
  if (Number(r.numDeletedRows) !== 1) throw challengeInvalid();
  return { createdAt: Number(row.created_at) };
}

export interface BeginRegistrationProps {
  user: Pick<User, 'id' | 'email' | 'name' | 'brand_id' | 'role'>;
  sessionId: string;
  rp: RelyingParty;
}

/**
 * The options for `navigator.credentials.create()`: a discoverable credential, user verified, no
 * attestation; the person's own passkeys excluded (an authenticator holds one of theirs at most).
 * 403 `auth.sso_required` for someone their brand's provider signs in; 409 `passkey.too_many`.
 */
export async function beginPasskeyRegistration(deps: PasskeyDeps, p: BeginRegistrationProps, now: number) {
  const db = deps.store.db;
  const sso = await ssoRequiredFor(deps.store, p.user);
  if (sso) throw new AppError(403, 'auth.sso_required', `${sso.label} signs you in here: a passkey would not`, { provider: sso });
  const own = await db.selectFrom('passkey').select(['credential_id', 'transports']).where('user_id', '=', p.user.id).execute();
  if (own.length >= PASSKEYS_MAX) throw new AppError(409, 'passkey.too_many', `you have ${PASSKEYS_MAX} passkeys: remove one first`);
  const options = await generateRegistrationOptions({
    rpName: p.rp.name, rpID: p.rp.id, userName: p.user.email, userDisplayName: p.user.name, userID: new Uint8Array(userHandleOf(deps.userHandleKey, p.user.id)),
    timeout: PASSKEY_CHALLENGE_TTL_MS, attestationType: 'none', supportedAlgorithmIDs: ALGORITHMS,
    excludeCredentials: own.map((c) => ({ id: c.credential_id, transports: parseTransports(c.transports) })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  });
  await keepChallenge(db, options.challenge, { purpose: 'register', user_id: p.user.id, session_id: p.sessionId }, now);
  return options;
}

export interface FinishRegistrationProps {
  actor: Actor;
  user: Pick<User, 'id' | 'brand_id'>;
  sessionId: string;
  rp: RelyingParty;
  name: string;
  response: RegistrationResponseJSON;
}

/**
 * Keep the passkey the authenticator made for the challenge of `beginPasskeyRegistration` (this
 * person, this session), audited. 400 `passkey.challenge_invalid`, `passkey.invalid`,
 * `passkey.wrong_origin`, `passkey.wrong_rp`, `passkey.not_verified`; 409 `passkey.exists` (already registered).
 */
export async function finishPasskeyRegistration(deps: PasskeyDeps, p: FinishRegistrationProps, now: number): Promise<PasskeyView> {
  const db = deps.store.db;
  const clientData = parseClientData(p.response.response?.clientDataJSON ?? '');
  if (!clientData) throw FAULTS.malformed(400);
  await takeChallenge(db, clientData.challenge, 'register', { user_id: p.user.id, session_id: p.sessionId }, now);
  const fault = ceremonyFault(p.rp, 'webauthn.create', clientData, parseAuthenticatorData(p.response.response?.authenticatorData ?? '') ?? null);
  // authenticatorData is optional in the JSON (it is inside the attestation object): the library's check of the RP ID hash and flags then stands alone
  if (fault && !(fault === 'malformed' && !p.response.response?.authenticatorData)) throw FAULTS[fault](400);
  let info;
  try {
    const v = await verifyRegistrationResponse({ response: p.response, expectedChallenge: clientData.challenge, expectedOrigin: p.rp.origin, expectedRPID: p.rp.id, requireUserVerification: true, supportedAlgorithmIDs: ALGORITHMS });
    if (!v.verified) throw FAULTS.malformed(400);
    info = v.registrationInfo;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw refused('passkey.invalid', `the passkey could not be registered: ${(err as Error).message}`, 400);
  }
  const c = info.credential;
  const transports = JSON.stringify(c.transports ?? p.response.response?.transports ?? []);
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('passkey')
      .values({ brand_id: p.user.brand_id, user_id: p.user.id, credential_id: c.id, public_key: Buffer.from(c.publicKey).toString('base64url'), sign_count: c.counter, transports, name: p.name, created_at: now, last_used_at: null })
      .returning(['id', 'name', 'created_at', 'last_used_at', 'transports']).executeTakeFirstOrThrow()
      .catch(conflictOnUnique('passkey.exists', 'that passkey is already registered'));
    await audit(trx, { brandId: p.user.brand_id, actor: p.actor.name, action: 'user.passkey_added', subjectType: 'user', subjectId: p.user.id, data: { passkeyId: Number(row.id), name: p.name, userVerified: info.userVerified } }, now);
    return present(row);
  });
}

/** A person's passkeys, newest first. */
export async function listPasskeys(db: Kysely<DB>, userId: number): Promise<PasskeyView[]> {
  const rows = await db.selectFrom('passkey').select(['id', 'name', 'created_at', 'last_used_at', 'transports']).where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(present);
}

export interface RemoveProps {
  actor: Actor;
  userId: number;
  brandId: number;
  passkeyId: number;
  /** The session making the change: it stays signed in even if it was signed in with this passkey. */
  keepSessionId?: string;
}

/**
 * Remove one of the person's own passkeys (whether they may, the password checked, is the
 * caller's): it signs in no more, and the other sessions signed in with it end. 404 for a passkey
 * that is not theirs.
 */
export async function removePasskey(db: Kysely<DB>, p: RemoveProps, now: number): Promise<{ sessionsEnded: number }> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('passkey').select(['id', 'name']).where('id', '=', p.passkeyId).where('user_id', '=', p.userId).executeTakeFirst();
    if (!row) throw notFound('passkey');
    await trx.deleteFrom('passkey').where('id', '=', row.id).execute();
    let q = trx.deleteFrom('session').where('user_id', '=', p.userId).where('passkey_id', '=', row.id);
    if (p.keepSessionId) q = q.where('id', '!=', p.keepSessionId);
    const sessionsEnded = Number((await q.executeTakeFirst()).numDeletedRows);
    await audit(trx, { brandId: p.brandId, actor: p.actor.name, action: 'user.passkey_removed', subjectType: 'user', subjectId: p.userId, data: { passkeyId: Number(row.id), name: row.name, sessionsEnded } }, now);
    return { sessionsEnded };
  });
}

export interface RenameProps {
  actor: Actor;
  userId: number;
  brandId: number;
  passkeyId: number;
  /** As typed: trimmed here, 1–60 characters (`passkeyName`). */
  name: string;
}

/**
 * Rename one of the person's own passkeys (a label: it changes no way in, so no password is
 * asked), audited with the name before and after. 400 `passkey.invalid_name`; 404 for a passkey
 * that is not theirs. The same name again changes nothing and audits nothing.
 */
export async function renamePasskey(db: Kysely<DB>, p: RenameProps, now: number): Promise<PasskeyView> {
  const name = passkeyName(p.name);
  if (name === null) throw new AppError(400, 'passkey.invalid_name', `a passkey's name is 1 to ${PASSKEY_NAME_MAX} characters on one line`);
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('passkey').select(['id', 'name', 'created_at', 'last_used_at', 'transports']).where('id', '=', p.passkeyId).where('user_id', '=', p.userId).executeTakeFirst();
    if (!row) throw notFound('passkey');
    if (row.name === name) return present(row);
    await trx.updateTable('passkey').set({ name }).where('id', '=', row.id).execute();
    await audit(trx, { brandId: p.brandId, actor: p.actor.name, action: 'user.passkey_renamed', subjectType: 'user', subjectId: p.userId, data: { passkeyId: Number(row.id), before: row.name, after: name } }, now);
    return present({ ...row, name });
  });
}

/** A new browser binding for a sign-in: the cookie's value (only its SHA-256 is kept). */
export const newBrowserToken = () => randomBytes(24).toString('base64url');

/** The options for `navigator.credentials.get()`: no credentials listed (the authenticator offers its discoverable ones), user verification required. */
export async function beginPasskeySignIn(deps: PasskeyDeps, p: { rp: RelyingParty; browserToken: string }, now: number) {
  const options = await generateAuthenticationOptions({ rpID: p.rp.id, allowCredentials: [], userVerification: 'required', timeout: PASSKEY_CHALLENGE_TTL_MS });
  await keepChallenge(deps.store.db, options.challenge, { purpose: 'sign_in', browser_hash: sha256(p.browserToken) }, now);
  return options;
}

export interface FinishSignInProps {
  rp: RelyingParty;
  browserToken: string | undefined;
  response: AuthenticationResponseJSON;
  ip: string;
}

export interface PasskeySignIn {
  user: User;
  passkeyId: number;
  /** When the sign-in's challenge was asked for (its count is taken back on success). */
  startedAt: number;
}

/**
 * Who signs in with this answer to a challenge of `beginPasskeySignIn` (this browser's), once:
 * the desk's origin and RP ID, user verified, a passkey registered here whose user handle is its
 * owner's, a good signature, a counter that did not go backwards (else refused and audited: the
 * authenticator may have been cloned), an enabled person whom no provider alone signs in. The
 * counter and last use are kept. 400 `passkey.challenge_invalid`; 401 `passkey.invalid`,
 * `passkey.wrong_origin`, `passkey.wrong_rp`, `passkey.not_verified`, `passkey.unknown`,
 * `passkey.bad_signature`, `passkey.counter`, `passkey.account_disabled`; 403 `auth.sso_required`.
 */
export async function finishPasskeySignIn(deps: PasskeyDeps, p: FinishSignInProps, now: number): Promise<PasskeySignIn> {
  const db = deps.store.db;
  const r = p.response.response;
  const clientData = parseClientData(r?.clientDataJSON ?? '');
  if (!clientData || !p.browserToken) throw clientData ? challengeInvalid() : FAULTS.malformed();
  const { createdAt } = await takeChallenge(db, clientData.challenge, 'sign_in', { browser_hash: sha256(p.browserToken) }, now);
  const authData = parseAuthenticatorData(r?.authenticatorData ?? '');
  const fault = ceremonyFault(p.rp, 'webauthn.get', clientData, authData);
  if (fault) throw FAULTS[fault]();
  const unknown = () => refused('passkey.unknown', 'this passkey is not registered here (it may have been removed)');
  const key = await db.selectFrom('passkey').selectAll().where('credential_id', '=', String(p.response.id ?? '')).executeTakeFirst();
  if (!key) throw unknown();
  // the user handle the authenticator keeps with the passkey: its owner's (a passkey is never taken as another's)
  const handle = Buffer.from(r.userHandle ?? '', 'base64url');
  const expected = userHandleOf(deps.userHandleKey, Number(key.user_id));
  if (!r.userHandle || (handle.length !== expected.length || !timingSafeEqual(handle, expected))) throw unknown();
  let verified = false;
  try {
    // the counter is checked below, against the stored one, once the signature is known good
    const v = await verifyAuthenticationResponse({
      response: p.response, expectedChallenge: clientData.challenge, expectedOrigin: p.rp.origin, expectedRPID: p.rp.id, requireUserVerification: true,
      credential: { id: key.credential_id, publicKey: new Uint8Array(Buffer.from(key.public_key, 'base64url')), counter: 0, transports: parseTransports(key.transports) },
    });
    verified = v.verified;
  } catch {
    verified = false;
  }
  if (!verified) throw refused('passkey.bad_signature', 'the passkey\'s signature is not right');
  const stored = Number(key.sign_count);
  const received = authData!.signCount;
  if (counterRegressed(stored, received)) {
    await audit(db, { brandId: Number(key.brand_id), actor: `user:${key.user_id}`, action: 'auth.passkey_counter_regressed', subjectType: 'user', subjectId: Number(key.user_id), data: { passkeyId: Number(key.id), stored, received, ip: p.ip } }, now);
    throw refused('passkey.counter', 'this passkey\'s counter went backwards (it may have been copied): it was refused; sign in another way and remove it');
  }
  const user = await db.selectFrom('app_user').selectAll().where('id', '=', Number(key.user_id)).executeTakeFirst();
  if (!user || user.disabled_at) throw refused('passkey.account_disabled', 'this account is disabled');
  const sso = await ssoRequiredFor(deps.store, user);
  if (sso) throw new AppError(403, 'auth.sso_required', `${sso.label} signs you in here`, { provider: sso });
  // the counter moves only forwards, and only from the value this sign-in was checked against
  const moved = await db.updateTable('passkey').set({ sign_count: received, last_used_at: now }).where('id', '=', key.id).where('sign_count', '=', key.sign_count).executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) throw refused('passkey.counter', 'this passkey was used by another sign-in at the same moment: try again');
  return { user, passkeyId: Number(key.id), startedAt: createdAt };
}
