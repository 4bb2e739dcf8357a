/**
 * Two-factor sign-in (RFC 6238 TOTP, with single-use recovery codes): a person sets it up
 * (a secret for their authenticator app, pending until a code from it proves the app has it),
 * turns it on, uses it at each sign-in, renews their recovery codes, turns it off; an admin
 * (or `parley user reset-2fa`) clears it for someone who lost their phone.
 *
 * The secret is stored sealed with the instance SecretBox and leaves the server only once,
 * at setup. A code is good once: a TOTP code only for a time step later than the last one
 * accepted, a recovery code only while its hash is still listed; both are taken with a
 * conditional UPDATE, so two sign-ins racing with one code cannot both pass.
 *
 * The password checks (and their rate limit) are the caller's: these commands begin where
 * the person is known to be who they say.
 */
import { AppError, conflict, notFound } from '../errors.js';
import type { SecretBox } from '../lib/secrets.js';
import { hashRecoveryCode, matchRecoveryCode, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, otpauthUri, totpCodeOf, verifyTotp } from '../lib/totp.js';
import { endSessionsOf } from '../server/auth.js';
import { audit } from '../store/audit.js';
import { brandRequiresTwoFactor, twoFactorStaysOn } from './twoFactorPolicy.js';
import type { Kysely } from 'kysely';
import type { DB, User } from '../store/schema.js';
import type { Actor } from './context.js';

export interface TwoFactorDeps {
  db: Kysely<DB>;
  secrets: SecretBox;
}

/** Which second factor a sign-in (or a change of two-factor settings) was confirmed with. */
export type SecondFactor = 'totp' | 'recovery';

export const wrongCode = () => new AppError(403, 'two_factor.wrong_code', 'that code is not right (or was already used): enter the current code from your authenticator app, or an unused recovery code');
const notEnabled = () => conflict('two_factor.not_enabled', 'two-factor sign-in is not turned on');


const recoveryHashes = (json: string | null): string[] => {
  try {
    const v = json ? JSON.parse(json) : [];
    return Array.isArray(v) ? v.filter((h): h is string => typeof h === 'string') : [];
  } catch {
    return [];
  }
};

const openSecret = (secrets: SecretBox, sealed: string): string => secrets.open<string>(sealed);

/**
 * Take `code` as `user`'s second factor, once: a TOTP code for a step later than the last
 * accepted (which becomes it), or an unused recovery code (which is struck off). Null when it
 * is neither, or another request took it first. The user must have two-factor sign-in on.
 */
export async function useSecondFactor(deps: TwoFactorDeps, userId: number, code: string, now: number): Promise<SecondFactor | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const u = await deps.db.selectFrom('app_user').select(['totp_secret', 'totp_enabled_at', 'totp_last_step', 'totp_recovery']).where('id', '=', userId).executeTakeFirst();
    if (!u?.totp_secret || u.totp_enabled_at == null) return null;
    if (totpCodeOf(code)) {
      const step = verifyTotp(openSecret(deps.secrets, u.totp_secret), code, now, { after: u.totp_last_step });
      if (step === null) return null;
      const r = await deps.db.updateTable('app_user').set({ totp_last_step: step }).where('id', '=', userId)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)])).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1 ? 'totp' : null;
    }
    if (!normaliseRecoveryCode(code)) return null;
    const hashes = recoveryHashes(u.totp_recovery);
    const i = matchRecoveryCode(code, hashes);
    if (i < 0) return null;
    const left = hashes.filter((_, j) => j !== i);
    const r = await deps.db.updateTable('app_user').set({ totp_recovery: JSON.stringify(left) }).where('id', '=', userId).where('totp_recovery', '=', u.totp_recovery!).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return 'recovery';
    // another code of theirs was used meanwhile: look again (this one may still be unused)
  }
  return null;
}

export interface BeginSetupProps {
  actor: Actor;
  user: Pick<User, 'id' | 'email'>;
}

/**
 * A new secret for the person's authenticator app, pending until `enableTwoFactor` sees a code
 * from it (calling again replaces a pending one). 409 `two_factor.enabled` when it is on already.
 */
export async function beginTwoFactorSetup(deps: TwoFactorDeps, p: BeginSetupProps): Promise<{ secret: string; uri: string }> {
  const secret = newTotpSecret();
  const r = await deps.db.updateTable('app_user').set({ totp_secret: deps.secrets.seal(secret), totp_last_step: null, totp_recovery: null })
    .where('id', '=', p.user.id).where('totp_enabled_at', 'is', null).executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw conflict('two_factor.enabled', 'two-factor sign-in is already on: turn it off first to set up another app');
  return { secret, uri: otpauthUri(secret, p.user.email) };
}

export interface EnableProps {
  actor: Actor;
  userId: number;
  /** A code from the app set up with `beginTwoFactorSetup`. */
  code: string;
  /** The session turning it on, which stays signed in; the person's other sessions end. */
  keepSessionId?: string;
}

/**
 * Turn two-factor sign-in on with a code proving the app has the pending secret: the recovery
 * codes are made now and returned once (only their hashes are kept). The person's other
 * sessions end. 409 `two_factor.not_set_up` without a pending setup, 409 `two_factor.enabled`
 * when it is on already, 403 `two_factor.wrong_code`.
 */
export async function enableTwoFactor(deps: TwoFactorDeps, p: EnableProps, now: number): Promise<{ recoveryCodes: string[] }> {
  const notSetUp = () => conflict('two_factor.not_set_up', 'set up two-factor sign-in first: scan the new secret into your authenticator app');
  const u = await deps.db.selectFrom('app_user').select(['brand_id', 'totp_secret', 'totp_enabled_at']).where('id', '=', p.userId).executeTakeFirstOrThrow();
  if (u.totp_enabled_at != null) throw conflict('two_factor.enabled', 'two-factor sign-in is already on');
  if (!u.totp_secret) throw notSetUp();
  const step = verifyTotp(openSecret(deps.secrets, u.totp_secret), p.code, now);
  if (step === null) throw wrongCode();
  const recoveryCodes = newRecoveryCodes();
  const sealed = u.totp_secret;
  await deps.db.transaction().execute(async (trx) => {
    // the pending secret the code was checked against, still pending (not replaced or turned on meanwhile)
    const r = await trx.updateTable('app_user').set({ totp_enabled_at: now, totp_last_step: step, totp_recovery: JSON.stringify(recoveryCodes.map(hashRecoveryCode)) })
      .where('id', '=', p.userId).where('totp_enabled_at', 'is', null).where('totp_secret', '=', sealed).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw notSetUp();
    const ended = await endSessionsOf(trx, p.userId, p.keepSessionId);
    await audit(trx, { brandId: u.brand_id, actor: p.actor.name, action: 'user.two_factor_enabled', subjectType: 'user', subjectId: p.userId, data: { sessionsEnded: ended } }, now);
  });
  return { recoveryCodes };
}

export interface ConfirmedChangeProps {
  actor: Actor;
  userId: number;
  /** A current TOTP code or an unused recovery code. */
  code: string;
}

/**
 * Turn two-factor sign-in off (the password already checked), with a code. 409 `two_factor.not_enabled`,
 * 409 `two_factor.required` while the brand requires it (the code is not used up), 403 `two_factor.wrong_code`.
 */
export async function disableTwoFactor(deps: TwoFactorDeps, p: ConfirmedChangeProps, now: number): Promise<void> {
  const { u, factor } = await confirmedByCode(deps, p, now, async (brandId) => {
    if (await brandRequiresTwoFactor(deps.db, brandId)) throw twoFactorStaysOn();
  });
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('app_user').set(CLEARED).where('id', '=', p.userId).execute();
    await audit(trx, { brandId: u.brand_id, actor: p.actor.name, action: 'user.two_factor_disabled', subjectType: 'user', subjectId: p.userId, data: { secondFactor: factor } }, now);
  });
}

/**
 * A change to someone's two-factor sign-in confirmed with a code: it must be on (409
 * `two_factor.not_enabled`), `before` may refuse first (the code is then not used up), and the
 * code is taken (403 `two_factor.wrong_code`).
 */
async function confirmedByCode(deps: TwoFactorDeps, p: ConfirmedChangeProps, now: number, before?: (brandId: number) => Promise<void>): Promise<{ u: { brand_id: number }; factor: SecondFactor }> {
  const u = await deps.db.selectFrom('app_user').select(['brand_id', 'totp_enabled_at']).where('id', '=', p.userId).executeTakeFirstOrThrow();
  if (u.totp_enabled_at == null) throw notEnabled();
  await before?.(u.brand_id);
  const factor = await useSecondFactor(deps, p.userId, p.code, now);
  if (!factor) throw wrongCode();
  return { u, factor };
}

/** New recovery codes (the password already checked), with a code; the old ones are void. 409 `two_factor.not_enabled`, 403 `two_factor.wrong_code`. */
export async function renewRecoveryCodes(deps: TwoFactorDeps, p: ConfirmedChangeProps, now: number): Promise<{ recoveryCodes: string[] }> {
  const { u, factor } = await confirmedByCode(deps, p, now);
  const recoveryCodes = newRecoveryCodes();
  await deps.db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('app_user').set({ totp_recovery: JSON.stringify(recoveryCodes.map(hashRecoveryCode)) }).where('id', '=', p.userId).where('totp_enabled_at', 'is not', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw notEnabled();
    await audit(trx, { brandId: u.brand_id, actor: p.actor.name, action: 'user.two_factor_recovery_codes', subjectType: 'user', subjectId: p.userId, data: { secondFactor: factor } }, now);
  });
  return { recoveryCodes };
}

export interface ResetProps {
  /** An admin of the brand, or `system:cli`. */
  actor: Actor;
  userId: number;
}

/**
 * Clear someone's two-factor sign-in (they lost their phone) and sign them out everywhere: they
 * sign in with their password alone and set it up again. 404 for a person of another brand,
 * 409 `two_factor.not_enabled` when it is off. Whether the actor may is the caller's check.
 */
export async function resetTwoFactor(db: Kysely<DB>, p: ResetProps, now: number): Promise<{ sessionsEnded: number }> {
  return db.transaction().execute(async (trx) => {
    const u = await trx.selectFrom('app_user').select(['id', 'totp_enabled_at']).where('id', '=', p.userId).where('brand_id', '=', p.actor.brandId).executeTakeFirst();
    if (!u) throw notFound('user');
    if (u.totp_enabled_at == null) throw notEnabled();
    await trx.updateTable('app_user').set(CLEARED).where('id', '=', u.id).execute();
    const sessionsEnded = await endSessionsOf(trx, u.id);
    await audit(trx, { brandId: p.actor.brandId, actor: p.actor.name, action: 'user.two_factor_reset', subjectType: 'user', subjectId: u.id, data: { sessionsEnded } }, now);
    return { sessionsEnded };
  });
}

const CLEARED = { totp_secret: null, totp_enabled_at: null, totp_last_step: null, totp_recovery: null };

