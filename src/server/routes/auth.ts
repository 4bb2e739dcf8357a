/** Sign-in (with the second factor of those who turned it on), sign-out, the current user, and availability. */
import { z } from 'zod';
import { AVAILABILITIES } from '../../core/types.js';
import { AppError } from '../../errors.js';
import { announceAvailability, offlineIfNoSession } from '../../commands/availability.js';
import { twoFactorEnabled, useSecondFactor, type SecondFactor } from '../../commands/twoFactor.js';
import { hashPassword, needsRehash, verifyPassword } from '../../lib/password.js';
import { audit } from '../../store/audit.js';
import { clearSessionCookie, createSession, destroySession, LoginGuard, requireRole, setSessionCookie } from '../auth.js';
import type { App } from '../http.js';
import { presentUser } from '../presenters.js';
import { userSchema } from '../schemas.js';

export function authRoutes(app: App) {
  const s = app.services;
  const guard = new LoginGuard();
  const meSchema = z.object({ user: userSchema, csrfToken: z.string().nullable(), teams: z.array(z.object({ id: z.number(), name: z.string(), isLead: z.boolean() })) });

  const me = async (userId: number, csrfToken: string | null) => {
    const user = await s.store.db.selectFrom('app_user').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    const teams = await s.store.db.selectFrom('team_member').innerJoin('team', 'team.id', 'team_member.team_id').select(['team.id', 'team.name', 'team_member.is_lead']).where('team_member.user_id', '=', userId).execute();
    return { user: presentUser(user), csrfToken, teams: teams.map((t) => ({ id: t.id, name: t.name, isLead: t.is_lead === 1 })) };
  };

  app.post('/api/auth/login', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Sign in with email and password (sets the session cookie). With two-factor sign-in on, also `code`: the authenticator app\'s 6 digits or an unused recovery code (401 auth.code_required without it, 401 auth.invalid_code when wrong or already used; checked only once the password is right)',
      body: z.object({ email: z.string().max(320), password: z.string().max(1024), code: z.string().max(64).optional().describe('a 6-digit TOTP code (spaces allowed) or a recovery code xxxxx-xxxxx; ignored without two-factor sign-in') }),
      response: { 200: meSchema },
    },
  }, async (req, reply) => {
    const now = s.clock.now();
    const email = req.body.email.trim().toLowerCase();
    const user = await s.store.db.selectFrom('app_user').selectAll().where('email', '=', email).executeTakeFirst();
    // an address with a live session of this person is theirs: the bound per account from
    // anywhere does not lock them out of it
    const known = user ? !!(await s.store.db.selectFrom('session').select('id').where('user_id', '=', user.id).where('ip', '=', req.ip).where('expires_at', '>', now).executeTakeFirst()) : false;
    const wait = guard.attempt(email, req.ip, now, known);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'auth.rate_limited', `too many sign-in attempts; try again in ${wait} s`);
    }
    // an unknown address costs as much time as a wrong password (no account enumeration by timing)
    const ok = await verifyPassword(req.body.password, user?.password_hash ?? null);
    if (!user || !ok || user.disabled_at) throw new AppError(401, 'auth.invalid_credentials', 'wrong email or password');
    // only now, the password right, may the answer say that a second factor is on
    let secondFactor: SecondFactor | undefined;
    if (twoFactorEnabled(user)) {
      const code = req.body.code?.trim();
      if (!code) {
        // not a failed attempt: the sign-in form asks for the code and sends it all again
        guard.excused(email, req.ip, now);
        throw new AppError(401, 'auth.code_required', 'enter the code from your authenticator app, or a recovery code');
      }
      // a wrong or used code stays counted, as a wrong password is
      secondFactor = (await useSecondFactor({ db: s.store.db, secrets: s.secrets }, user.id, code, now)) ?? undefined;
      if (!secondFactor) throw new AppError(401, 'auth.invalid_code', 'that code is not right, or was already used');
    }
    guard.succeeded(email, req.ip, now);
    if (needsRehash(user.password_hash)) {
      // made with older, weaker settings: upgraded now, the one moment the password is known
      const upgraded = await hashPassword(req.body.password);
      await s.store.db.updateTable('app_user').set({ password_hash: upgraded }).where('id', '=', user.id).where('password_hash', '=', user.password_hash!).execute();
    }
    const session = await createSession(s.store, user, now, { ip: req.ip, userAgent: req.headers['user-agent'] });
    setSessionCookie(reply, session.cookie, s.config.secureCookies);
    await audit(s.store.db, { brandId: user.brand_id, actor: `user:${user.id}`, action: 'auth.login', subjectType: 'user', subjectId: user.id, data: { ip: req.ip, ...(secondFactor ? { secondFactor } : {}) } }, now);
    return me(user.id, session.csrfToken);
  });

  app.post('/api/auth/logout', { schema: { tags: ['auth'], summary: 'Sign out (signing out of your last session sets you offline: routing stops giving you work)', response: { 204: z.null() } } }, async (req, reply) => {
    if (req.auth?.sessionId) {
      await destroySession(s.store, req.auth.sessionId);
      const off = await offlineIfNoSession(s.store, req.auth.user.id, s.clock.now(), 'signed out');
      if (off) await announceAvailability(s.bus, app.hooks.afterAvailability, [off]);
    }
    clearSessionCookie(reply);
    return reply.code(204).send(null);
  });

  app.get('/api/me', { schema: { tags: ['auth'], summary: 'The signed-in user, their teams, and the CSRF token for writes', response: { 200: meSchema } } }, async (req) => {
    const a = requireRole(req);
    return me(a.user.id, a.csrfToken ?? null);
  });

  app.patch('/api/me', {
    schema: { tags: ['auth'], summary: 'Set your availability (routing only assigns to online agents)', body: z.object({ availability: z.enum(AVAILABILITIES) }), response: { 200: meSchema } },
  }, async (req) => {
    const a = requireRole(req);
    const now = s.clock.now();
    // their own choice (absent_since cleared): the system never undoes it when they come back
    await s.store.db.updateTable('app_user').set({ availability: req.body.availability, last_seen_at: now, absent_since: null }).where('id', '=', a.user.id).execute();
    await audit(s.store.db, { brandId: a.user.brand_id, actor: a.actor.name, action: 'user.availability', subjectType: 'user', subjectId: a.user.id, data: { from: a.user.availability, to: req.body.availability } }, now);
    const out = await me(a.user.id, a.csrfToken ?? null);
    s.bus.publish(a.user.brand_id, 'user.updated', out.user);
    await app.hooks.afterAvailability?.(a.user.brand_id, a.user.id);
    return out;
  });
}
