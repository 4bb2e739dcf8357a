/**
 * Password reset by an admin's one-time link. Self-hosted desks often have no mail, so a person
 * who forgot their password asks an admin of their brand (or whoever runs `parley user
 * reset-password`), who hands them a link; with it they choose a new password once, within 24 h.
 *
 * Only the SHA-256 of the link's token is stored: a copy of the database yields no live link.
 * A new link for a person voids their earlier unused ones (and drops the used ones: the audit log keeps the record). The link is taken with a conditional
 * UPDATE (unused and unexpired), so two uses racing with one link cannot both set a password.
 * Using it does what a password change does (every session of the person ends, every API token
 * they made is revoked) and nothing more: two-factor sign-in stays on, and no session is made.
 *
 * Whether the caller may issue a link (an admin of the brand) and the per-address limits of the
 * public routes are the caller's; these commands check the rest.
 */
import { randomBytes } from 'node:crypto';
import { AppError, conflict, forbidden, notFound } from '../errors.js';
import { hashPassword } from '../lib/password.js';
import { endSessionsOf, revokeTokensOf, sha256 } from '../server/auth.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { Actor } from './context.js';

/** How long a link works. */
export const PASSWORD_RESET_TTL_MS = 24 * 3600_000;

/** One answer for a link that is unknown, used, expired, or whose person is disabled: the link's holder learns nothing more. */
export const invalidResetLink = () => new AppError(404, 'password_reset.invalid', 'this password reset link is not valid: it is unknown, was used already or has expired. Ask an admin of your desk for a new one');

/** The page a link opens, with the token in the fragment (it never reaches a server's logs or a Referer). */
export const resetLinkUrl = (publicBase: string, token: string) => `${publicBase.replace(/\/+$/, '')}/reset-password#token=${token}`;

export interface IssuePasswordResetProps {
  /** An admin of the brand, or `system:cli`. */
  actor: Actor;
  userId: number;
}

export interface IssuedPasswordReset {
  /** Shown once: only its hash is kept. */
  token: string;
  expiresAt: number;
  user: { id: number; email: string; name: string };
}

/**
 * A new one-time link for a person of the actor's brand, voiding their earlier unused ones; the
 * person's password and sessions are left as they are until the link is used. 404 for a person
 * of another brand, 403 for the actor themselves (they change theirs with their current one),
 * 409 `user.disabled` for a disabled person. Audited without the token.
 */
export async function issuePasswordReset(store: Store, p: IssuePasswordResetProps, now: number): Promise<IssuedPasswordReset> {
  if (p.actor.userId != null && p.actor.userId === p.userId) throw forbidden('your own password is changed with your current one (POST /api/me/password), not reset');
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + PASSWORD_RESET_TTL_MS;
  return store.db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('app_user').select(['id', 'email', 'name', 'disabled_at']).where('id', '=', p.userId).where('brand_id', '=', p.actor.brandId);
    // two links issued at once for one person: the second waits, then voids the first
    if (store.dialect === 'postgres') q = q.forUpdate();
    const u = await q.executeTakeFirst();
    if (!u) throw notFound('user');
    if (u.disabled_at != null) throw conflict('user.disabled', `${u.name} is disabled: enable them first (a disabled person cannot sign in, reset or not)`);
    const voided = Number((await trx.deleteFrom('password_reset').where('user_id', '=', u.id).where('used_at', 'is', null).executeTakeFirst()).numDeletedRows);
    // and the used ones, whose record is the audit log's: a person has one row at most
    await trx.deleteFrom('password_reset').where('user_id', '=', u.id).execute();
    await trx.insertInto('password_reset').values({ user_id: u.id, token_hash: sha256(token), created_by: p.actor.name, created_at: now, expires_at: expiresAt }).execute();
    await audit(trx, { brandId: p.actor.brandId, actor: p.actor.name, action: 'user.password_reset_issued', subjectType: 'user', subjectId: u.id, data: { expiresAt: new Date(expiresAt).toISOString(), ...(voided ? { voided } : {}) } }, now);
    return { token, expiresAt, user: { id: u.id, email: u.email, name: u.name } };
  });
}

/** Whom a link is for, while it works (unused, unexpired, the person not disabled); null otherwise. */
export async function passwordResetFor(store: Store, token: string, now: number): Promise<{ email: string; name: string; expiresAt: number } | null> {
  const row = await store.db.selectFrom('password_reset').innerJoin('app_user', 'app_user.id', 'password_reset.user_id')
    .select(['app_user.email', 'app_user.name', 'password_reset.expires_at'])
    .where('password_reset.token_hash', '=', sha256(token)).where('password_reset.used_at', 'is', null).where('password_reset.expires_at', '>', now)
    .where('app_user.disabled_at', 'is', null)
    .executeTakeFirst();
  return row ? { email: row.email, name: row.name, expiresAt: Number(row.expires_at) } : null;
}

export interface UsePasswordResetProps {
  token: string;
  /** Already checked against the password rule (NEW_PASSWORD / passwordProblem). */
  newPassword: string;
}

/**
 * Set a person's password with a link, once: their sessions end and their API tokens are
 * revoked, as a password change does. 404 `password_reset.invalid` for a link that does not
 * work (then nothing changes). Audited as the person.
 */
export async function usePasswordReset(store: Store, p: UsePasswordResetProps, now: number): Promise<{ userId: number; sessionsEnded: number; tokensRevoked: number }> {
  const hash = sha256(p.token);
  // a link that does not work costs no password hash
  const link = await store.db.selectFrom('password_reset').select(['id', 'user_id']).where('token_hash', '=', hash).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
  if (!link) throw invalidResetLink();
  const passwordHash = await hashPassword(p.newPassword);
  return store.db.transaction().execute(async (trx) => {
    // taken once: of two uses racing, the second finds it used
    const taken = await trx.updateTable('password_reset').set({ used_at: now }).where('id', '=', link.id).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) throw invalidResetLink();
    const u = await trx.selectFrom('app_user').select(['id', 'brand_id', 'disabled_at']).where('id', '=', link.user_id).executeTakeFirstOrThrow();
    // thrown out of the transaction: the link stays as it was
    if (u.disabled_at != null) throw invalidResetLink();
    await trx.updateTable('app_user').set({ password_hash: passwordHash }).where('id', '=', u.id).execute();
    const sessionsEnded = await endSessionsOf(trx, u.id);
    const tokensRevoked = await revokeTokensOf(trx, u.id, now);
    await audit(trx, { brandId: u.brand_id, actor: `user:${u.id}`, action: 'user.password_reset', subjectType: 'user', subjectId: u.id, data: { sessionsEnded, ...(tokensRevoked ? { tokensRevoked } : {}) } }, now);
    return { userId: u.id, sessionsEnded, tokensRevoked };
  });
}
