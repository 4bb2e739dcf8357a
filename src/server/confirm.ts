/**
 * Confirming a sensitive change to one's own account (a new password, two-factor sign-in, passkeys)
 * with the current password: a stolen session must neither make such a change nor guess its way
 * to the password. Tries are counted per person in the database (`SignInLimits`), in one counter
 * for every route that asks, so every process on the database and every kind of change share one
 * bound. Someone without a password (made by a single sign-on provider) confirms with a sign-in
 * with their provider within RECENT_SIGN_IN_MS instead.
 */
import type { FastifyReply } from 'fastify';
import { AppError } from '../errors.js';
import { verifyPassword } from '../lib/password.js';
import type { AuthContext, SignInLimit, SignInLimits } from './auth.js';
import type { Services } from './services.js';

/** Wrong current passwords (or wrong codes given with one) a person may send in 15 minutes. */
export const CONFIRM_TRIES: SignInLimit = { name: 'confirm-password', max: 10, windowMs: 15 * 60_000 };
/** How recent a single sign-on must be to confirm a change, for someone who has no password. */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

export type Confirm = <T>(a: AuthContext, reply: FastifyReply, currentPassword: string | undefined, then: () => Promise<T>) => Promise<T>;

/**
 * `confirmed(a, reply, currentPassword, then)` runs `then` once `currentPassword` is the signed-in
 * person's. The try is counted when it starts (so tries sent at once are bounded like tries sent
 * one by one): a wrong password, or a wrong second-factor code inside `then`, keeps it counted;
 * success clears the count; any other outcome takes the try back. 429 `auth.rate_limited` beyond
 * the bound, 403 `auth.wrong_password`, or 403 `auth.reauthenticate` (naming the provider to
 * sign in with again) for someone without a password and no recent sign-in with their provider.
 */
export function passwordConfirmation(s: Pick<Services, 'store' | 'clock'>, limits: SignInLimits): Confirm {
  const recentlySignedIn = async (a: AuthContext, now: number): Promise<void> => {
    const session = a.sessionId ? await s.store.db.selectFrom('session').select(['created_at', 'sso_provider_id']).where('id', '=', a.sessionId).executeTakeFirst() : undefined;
    if (session?.sso_provider_id != null && now - Number(session.created_at) <= RECENT_SIGN_IN_MS) return;
    // the provider they sign in with: the session's, else the one they last signed in with
    const provider = (session?.sso_provider_id != null ? await s.store.db.selectFrom('sso_provider').select(['id', 'label']).where('id', '=', session.sso_provider_id).where('enabled', '=', 1).executeTakeFirst() : undefined)
      ?? await s.store.db.selectFrom('sso_identity').innerJoin('sso_provider', 'sso_provider.id', 'sso_identity.provider_id').select(['sso_provider.id', 'sso_provider.label'])
        .where('sso_identity.user_id', '=', a.user.id).where('sso_provider.enabled', '=', 1).orderBy('sso_identity.last_login_at', 'desc').executeTakeFirst();
    throw new AppError(403, 'auth.reauthenticate', provider ? `sign in again with ${provider.label} to confirm` : 'sign in again to confirm', provider ? { provider: { id: provider.id, label: provider.label } } : undefined);
  };

  return async (a, reply, currentPassword, then) => {
    const now = s.clock.now();
    const counted = [{ limit: CONFIRM_TRIES, subject: String(a.user.id) }];
    const wait = await limits.attempt(counted, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'auth.rate_limited', `too many attempts; try again in ${wait} s`);
    }
    let guessed = false;
    try {
      const row = await s.store.db.selectFrom('app_user').select('password_hash').where('id', '=', a.user.id).executeTakeFirstOrThrow();
      if (row.password_hash == null) await recentlySignedIn(a, now);
      else if (!(await verifyPassword(currentPassword ?? '', row.password_hash))) {
        guessed = true;
        throw new AppError(403, 'auth.wrong_password', 'your current password is not right');
      }
      const out = await then();
      await limits.clear(CONFIRM_TRIES, String(a.user.id));
      return out;
    } catch (err) {
      if (err instanceof AppError && err.code === 'two_factor.wrong_code') guessed = true;
      if (!guessed) await limits.takeBack(counted, now);
      throw err;
    }
  };
}
