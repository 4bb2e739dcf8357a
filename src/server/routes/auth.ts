/** Sign-in (with the second factor of those who turned it on), sign-out, the current user, availability, and a password reset with an admin's one-time link. */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AVAILABILITIES } from '../../core/types.js';
import { AppError } from '../../errors.js';
import { announceAvailability, offlineIfNoSession } from '../../commands/availability.js';
import { invalidResetLink, passwordResetFor, usePasswordReset } from '../../commands/passwordReset.js';
import { providerSignOutUrl, ssoRequiredFor } from '../../commands/sso.js';
import { samlSignOutUrl } from '../../commands/saml.js';
import { useSecondFactor, type SecondFactor } from '../../commands/twoFactor.js';
import { brandRequiresTwoFactor, twoFactorEnabled } from '../../commands/twoFactorPolicy.js';
import { hashPassword, needsRehash, verifyPassword } from '../../lib/password.js';
import { audit } from '../../store/audit.js';
import { authenticate, clearSessionCookie, createSession, destroySession, LoginGuard, requireRole, setSessionCookie } from '../auth.js';
import type { App } from '../http.js';
import type { Services } from '../services.js';
import { presentUser } from '../presenters.js';
import { deskOrigin, postLogoutRedirectUri, rememberProvidersFound } from '../origin.js';
import { userSchema } from '../schemas.js';
import { NEW_PASSWORD } from './admin.js';
import { announceSessionsEnded } from './events.js';

/** The signed-in person as GET /api/me answers (also what a sign-in answers). */
export const meSchema = z.object({ user: userSchema, twoFactorRequired: z.boolean().describe('the brand requires two-factor sign-in: without it on, set it up (POST /api/me/two-factor/setup) before anything else. False for a session signed in with a single sign-on provider trusted to enforce MFA'), csrfToken: z.string().nullable(), teams: z.array(z.object({ id: z.number(), name: z.string(), isLead: z.boolean() })) });

/** `mfaBySso`: the session was signed in with a provider trusted to enforce MFA: the policy asks nothing more of it. */
export async function presentMe(s: Services, userId: number, csrfToken: string | null, mfaBySso = false): Promise<z.infer<typeof meSchema>> {
  const user = await s.store.db.selectFrom('app_user').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
  const teams = await s.store.db.selectFrom('team_member').innerJoin('team', 'team.id', 'team_member.team_id').select(['team.id', 'team.name', 'team_member.is_lead']).where('team_member.user_id', '=', userId).execute();
  return { user: presentUser(user), twoFactorRequired: !mfaBySso && (await brandRequiresTwoFactor(s.store.db, user.brand_id)), csrfToken, teams: teams.map((t) => ({ id: t.id, name: t.name, isLead: t.is_lead === 1 })) };
}

/**
 * `guard` counts sign-in attempts (per address, per account): the password form's, and the
 * codes asked after a single sign-on (routes/sso.ts), against the same bounds.
 */
export function authRoutes(app: App, guard: LoginGuard) {
  const s = app.services;
  const me = (userId: number, csrfToken: string | null, mfaBySso = false) => presentMe(s, userId, csrfToken, mfaBySso);

  app.post('/api/auth/login', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Sign in with email and password (sets the session cookie). 403 auth.sso_required (once the password is right) for someone whose brand signs its people in with a single sign-on provider that keeps password sign-in to admins. With two-factor sign-in on, also `code`: the authenticator app\'s 6 digits or an unused recovery code (401 auth.code_required without it, 401 auth.invalid_code when wrong or already used; checked only once the password is right)',
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
    const wait = await guard.attempt(email, req.ip, now, known);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'auth.rate_limited', `too many sign-in attempts; try again in ${wait} s`);
    }
    // an unknown address costs as much time as a wrong password (no account enumeration by timing)
    const ok = await verifyPassword(req.body.password, user?.password_hash ?? null);
    if (!user || !ok || user.disabled_at) throw new AppError(401, 'auth.invalid_credentials', 'wrong email or password');
    // a brand whose provider signs its people in (password sign-in for admins only, the break-glass):
    // said only now, the password right, so that it tells a guesser nothing
    const sso = await ssoRequiredFor(s.store, user);
    if (sso) {
      await guard.excused(email, req.ip, now);
      // its button may start a sign-in now, on a desk of several brands too (as discovery's would)
      rememberProvidersFound(reply, { secrets: s.secrets, secure: s.config.secureCookies }, [sso.id], now);
      throw new AppError(403, 'auth.sso_required', `${sso.label} signs you in here`, { provider: sso });
    }
    // only now, the password right, may the answer say that a second factor is on
    let secondFactor: SecondFactor | undefined;
    if (twoFactorEnabled(user)) {
      const code = req.body.code?.trim();
      if (!code) {
        // not a failed attempt: the sign-in form asks for the code and sends it all again
        await guard.excused(email, req.ip, now);
        throw new AppError(401, 'auth.code_required', 'enter the code from your authenticator app, or a recovery code');
      }
      // a wrong or used code stays counted, as a wrong password is
      secondFactor = (await useSecondFactor({ db: s.store.db, secrets: s.secrets }, user.id, code, now)) ?? undefined;
      if (!secondFactor) throw new AppError(401, 'auth.invalid_code', 'that code is not right, or was already used');
    }
    await guard.succeeded(email, req.ip, now);
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

  /**
   * A reset link's token is guessed no faster than a password: tries per address, as many as
   * sign-in allows an address, counted when they start (tries sent at once are bounded like tries
   * sent one by one, in every process); one with a link that works is taken back.
   */
  const resetTries = guard.perAddress('password-reset');
  const resetTry = async (ip: string, now: number, reply: FastifyReply) => {
    const wait = await resetTries.attempt(ip, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'auth.rate_limited', `too many attempts; try again in ${wait} s`);
    }
  };
  const RESET_TOKEN = z.string().min(1).max(200).describe('the token from the reset link (after #token=)');

  // the token goes in a body, never in a URL: proxies' access logs keep request lines
  app.post('/api/auth/password-reset/lookup', {
    config: { public: true },
    schema: {
      tags: ['auth'], body: z.object({ token: RESET_TOKEN }),
      summary: 'Whom a password reset link is for, while it works (public; rate-limited per address like sign-in; the token in the body, so that no access log keeps it). 404 password_reset.invalid when it is unknown, used, expired or the person is disabled (one answer for all)',
      response: { 200: z.object({ email: z.string(), name: z.string(), expiresAt: z.number().describe('ms since the epoch') }) },
    },
  }, async (req, reply) => {
    const now = s.clock.now();
    await resetTry(req.ip, now, reply);
    const found = await passwordResetFor(s.store, req.body.token, now);
    if (!found) throw invalidResetLink();
    await resetTries.takeBack(req.ip, now);
    return found;
  });

  app.post('/api/auth/password-reset', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Choose a new password with a reset link (public; rate-limited per address like sign-in): it works once. Every session of the person is signed out and their API tokens revoked, as a password change does; two-factor sign-in stays on. No session is made: sign in afterwards with the new password. 404 password_reset.invalid when the link does not work; 400 when the new password does not meet the rule (the link stays usable)',
      body: z.object({ token: RESET_TOKEN, newPassword: NEW_PASSWORD }),
      response: { 204: z.null() },
    },
  }, async (req, reply) => {
    const now = s.clock.now();
    await resetTry(req.ip, now, reply);
    const { userId, sessionsEnded } = await usePasswordReset(s.store, { token: req.body.token, newPassword: req.body.newPassword }, now);
    await resetTries.takeBack(req.ip, now);
    if (sessionsEnded) await announceSessionsEnded(s.store, s.bus, [userId]);
    // signed out everywhere, as by signing out of their last session: routing stops giving them work
    const off = sessionsEnded ? await offlineIfNoSession(s.store, userId, now, 'password reset') : null;
    if (off) await announceAvailability(s.bus, app.hooks.afterAvailability, [off]);
    return reply.code(204).send(null);
  });

  app.post('/api/auth/logout', {
    config: { allowWithoutSecondFactor: true },
    schema: {
      tags: ['auth'],
      summary: 'Sign out (signing out of your last session sets you offline: routing stops giving you work). 204; or, for a session signed in with a single sign-on provider that signs people out too (RP-Initiated Logout: its end_session_endpoint, and "Sign out of <provider> too" on), 200 with `redirect`: send the browser there (id_token_hint, post_logout_redirect_uri = the desk\'s /login, client_id, state); the session here is over either way',
      response: { 200: z.object({ redirect: z.string().describe('the provider\'s end-session URL') }), 204: z.null() },
    },
  }, async (req, reply) => {
    let redirect: string | null = null;
    if (req.auth?.sessionId) {
      // SAML single logout (a signed LogoutRequest to the IdP's SLO URL), else OpenID Connect RP-Initiated Logout
      redirect = (await samlSignOutUrl({ store: s.store, secrets: s.secrets }, req.auth.sessionId, deskOrigin(s.config, req), s.clock.now()))
        ?? (await providerSignOutUrl({ store: s.store, secrets: s.secrets }, req.auth.sessionId, postLogoutRedirectUri(s.config, req), s.clock.now()));
      await destroySession(s.store, req.auth.sessionId);
      // its live streams end now, in whichever process holds them
      await announceSessionsEnded(s.store, s.bus, [req.auth.user.id]);
      const off = await offlineIfNoSession(s.store, req.auth.user.id, s.clock.now(), 'signed out');
      if (off) await announceAvailability(s.bus, app.hooks.afterAvailability, [off]);
    }
    clearSessionCookie(reply);
    if (redirect) return { redirect };
    return reply.code(204).send(null);
  });

  app.get('/api/me', { config: { allowWithoutSecondFactor: true }, schema: { tags: ['auth'], summary: 'The signed-in user, their teams, and the CSRF token for writes', response: { 200: meSchema } } }, async (req) => {
    const a = requireRole(req);
    return me(a.user.id, a.csrfToken ?? null, a.mfaBySso);
  });

  // The web app's first question on every page load, the sign-in page's too: answered 200 either
  // way, so that a visitor not signed in makes no failed request (a browser logs each 401 as an
  // error). GET /api/me keeps its 401 for API clients.
  app.get('/api/session', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Whether this browser is signed in, answered 200 either way: `{ signedIn: false }` (no session cookie, or one that is unknown or ended), or `{ signedIn: true, me }` with what GET /api/me answers. GET /api/me answers 401 instead when signed out',
      response: { 200: z.object({ signedIn: z.boolean(), me: meSchema.optional() }) },
    },
  }, async (req) => {
    let a;
    try {
      a = await authenticate(s.store, req, s.clock.now());
    } catch (err) {
      if (err instanceof AppError && err.status === 401) return { signedIn: false };
      throw err;
    }
    return { signedIn: true, me: await me(a.user.id, a.csrfToken ?? null, a.mfaBySso) };
  });

  app.patch('/api/me', {
    schema: { tags: ['auth'], summary: 'Set your availability (routing only assigns to online agents)', body: z.object({ availability: z.enum(AVAILABILITIES) }), response: { 200: meSchema } },
  }, async (req) => {
    const a = requireRole(req);
    const now = s.clock.now();
    // their own choice (absent_since cleared): the system never undoes it when they come back
    await s.store.db.updateTable('app_user').set({ availability: req.body.availability, last_seen_at: now, absent_since: null }).where('id', '=', a.user.id).execute();
    await audit(s.store.db, { brandId: a.user.brand_id, actor: a.actor.name, action: 'user.availability', subjectType: 'user', subjectId: a.user.id, data: { from: a.user.availability, to: req.body.availability } }, now);
    const out = await me(a.user.id, a.csrfToken ?? null, a.mfaBySso);
    s.bus.publish(a.user.brand_id, 'user.updated', out.user);
    await app.hooks.afterAvailability?.(a.user.brand_id, a.user.id);
    return out;
  });
}
