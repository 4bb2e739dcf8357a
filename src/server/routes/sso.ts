/**
 * Single sign-on with OpenID Connect (docs/sso.md; the commands: ../../commands/sso.ts): the
 * sign-in page's providers (a desk of one brand's) and home-realm discovery by email, the start
 * (302 to the provider) and the callback (302 back into the desk, or to `/login?sso_error=<code>`,
 * or to `/login?sso_code=1` when the person's own second factor is still to come, which
 * `POST /api/auth/sso/code` takes), and the admins' provider settings. On a desk of several brands
 * discovery gives the browser the providers it found (a signed cookie), and only those start.
 * Signing out at the provider too: routes/auth.ts's sign-out, with `providerSignOutUrl`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  backChannelLogout, checkSsoProvider, createSsoProvider, deleteSsoProvider, discoverProviders, finishPendingSsoSignIn, finishSsoSignIn, holdForSecondFactor, keepForSignOut, mayStartSignIn, PASSWORD_SIGN_IN, pendingSsoSignIn, presentProviders,
  safeNext, signInOffer, SSO_PROTOCOLS, type FinishedSsoSignIn, SSO_BACKCHANNEL_PATH, SSO_BROWSER_COOKIE, SSO_CALLBACK_PATH, SSO_FOUND_COOKIE, SSO_LOGIN_TTL_MS, SSO_PROVISION_ROLES, ssoSignInExpired, SsoSignInError, startSsoSignIn, updateSsoProvider, wrongSsoCode, type SsoErrorCode,
} from '../../commands/sso.js';
import { announceAvailability, offlineIfNoSession } from '../../commands/availability.js';
import { useSecondFactor } from '../../commands/twoFactor.js';
import { twoFactorEnabled } from '../../commands/twoFactorPolicy.js';
import { AppError } from '../../errors.js';
import { audit } from '../../store/audit.js';
import { authenticate, createSession, requireRole, SESSION_COOKIE, setSessionCookie, sha256, type LoginGuard } from '../auth.js';
import type { App } from '../http.js';
import { deskOrigin, postLogoutRedirectUri, rememberProvidersFound } from '../origin.js';
import { idParams } from '../schemas.js';
import { meSchema, presentMe } from './auth.js';
import { samlRoutes } from './saml.js';
import { announceSessionsEnded } from './events.js';
import { SAML_BROWSER_COOKIE, samlSp } from '../../commands/saml.js';

/** A provider as the sign-in page shows it. */
const publicProvider = z.object({ id: z.number(), label: z.string() });

const providerSchema = z.object({
  id: z.number(), protocol: z.enum(SSO_PROTOCOLS).describe('oidc: OpenID Connect; saml: SAML 2.0 (issuer is then the IdP entity id, clientId empty)'), label: z.string(), issuer: z.string(), clientId: z.string(),
  samlSsoUrl: z.string().nullable().describe('SAML: the IdP single sign-on URL (HTTP-Redirect)'),
  samlCertificates: z.array(z.object({ pem: z.string(), subject: z.string(), validTo: z.string() })).describe('SAML: the IdP signing certificates kept'),
  samlEmailAttribute: z.string().nullable().describe('SAML: the attribute holding the email; null: NameID (emailAddress format), else email or the emailaddress claim'),
  samlNameAttribute: z.string().nullable().describe('SAML: the attribute holding the display name; null: displayName or Entra\'s displayname claim'),
  signAuthnRequests: z.boolean().describe('SAML: the AuthnRequest is signed (RSA-SHA256, HTTP-Redirect SigAlg/Signature) with the provider\'s SP key'),
  wantEncryptedAssertions: z.boolean().describe('SAML: only assertions encrypted to the provider\'s SP certificate are taken'),
  samlSloUrl: z.string().nullable().describe('SAML: the IdP single logout URL (HTTP-Redirect); null: no single logout'),
  samlSpMetadataPath: z.string().nullable().describe('SAML: this provider\'s SP metadata (path on the desk\'s origin), with its SP certificate: give it to the IdP'),
  hasClientSecret: z.boolean().describe('a client secret is kept (it is never shown)'),
  allowedDomains: z.array(z.string()).describe('lower-case email domains; [] = any verified email of an existing person'),
  autoProvisionRole: z.enum(SSO_PROVISION_ROLES).nullable().describe('the role of people the provider creates at their first sign-in; null: only people with an account sign in'),
  passwordSignIn: z.enum(PASSWORD_SIGN_IN).describe('admins: the brand\'s other people sign in only with this provider'),
  trustsMfa: z.boolean().describe('the provider enforces MFA: its sign-ins satisfy the brand\'s two-factor policy'),
  enabled: z.boolean(),
  signOutAtProvider: z.boolean().describe('signing out of Parley signs out at the provider too (RP-Initiated Logout), when its discovery names an end_session_endpoint'),
  linkedPeople: z.number(), createdAt: z.number(), updatedAt: z.number(),
});

const fields = {
  protocol: z.enum(SSO_PROTOCOLS).optional().describe('default oidc; fixed once made'),
  label: z.string().min(1).max(100),
  issuer: z.string().min(1).max(500).optional().describe('OpenID Connect: the issuer URL (https; its /.well-known/openid-configuration is fetched). SAML: the IdP entity id (or from samlMetadataXml)'),
  clientId: z.string().min(1).max(500).optional().describe('OpenID Connect only'),
  clientSecret: z.string().max(2000).optional().describe('OpenID Connect only; write-only; "" removes it (a public client)'),
  samlSsoUrl: z.string().max(2000).optional().describe('SAML: the IdP single sign-on URL, HTTP-Redirect (or from samlMetadataXml)'),
  samlCertificates: z.array(z.string().max(20_000)).max(10).optional().describe('SAML: the IdP signing certificates, PEM; each must parse as X.509 (400 sso.invalid_saml)'),
  samlMetadataXml: z.string().max(200_000).optional().describe('SAML: the IdP metadata XML, pasted: gives the entity id, SSO URL and certificates the other fields leave out'),
  samlEmailAttribute: z.string().max(500).nullable().optional(),
  samlNameAttribute: z.string().max(500).nullable().optional(),
  signAuthnRequests: z.boolean().optional().describe('SAML: sign the AuthnRequest with the provider\'s SP key (default off)'),
  wantEncryptedAssertions: z.boolean().optional().describe('SAML: take only assertions encrypted to the provider\'s SP certificate (default off)'),
  samlSloUrl: z.string().max(2000).nullable().optional().describe('SAML: the IdP single logout URL, HTTP-Redirect (or from samlMetadataXml\'s SingleLogoutService); null: none'),
  allowedDomains: z.array(z.string().max(253)).max(100),
  autoProvisionRole: z.enum(SSO_PROVISION_ROLES).nullable(),
  passwordSignIn: z.enum(PASSWORD_SIGN_IN),
  trustsMfa: z.boolean(),
  enabled: z.boolean(),
  signOutAtProvider: z.boolean().optional().describe('default true: sign out at the provider too when it supports it'),
};
const createBody = z.object(fields);
const patchBody = z.object(fields).partial();

/** `guard`: the sign-in attempts' counter shared with password sign-in (routes/auth.ts). */
export function ssoRoutes(app: App, guard: LoginGuard) {
  const s = app.services;
  /** Sign-ins with a provider are limited per address as password sign-ins are (in every process): counted at the start and at a failed callback; a success takes its start back. */
  const tries = guard.perAddress('sso');
  const deps = { store: s.store, secrets: s.secrets };
  const base = (req: FastifyRequest) => deskOrigin(s.config, req);
  /** To the login page with why; and the way back (`redirect`) when the sign-in had one, so trying again returns there. */
  const failed = (reply: FastifyReply, code: SsoErrorCode, next?: string) => reply.redirect(`/login?sso_error=${code}${wayBack(next)}`, 302);
  const wayBack = (next: string | undefined) => (next && safeNext(next) !== '/' ? `&redirect=${encodeURIComponent(safeNext(next))}` : '');
  const browserCookie = { httpOnly: true, sameSite: 'lax', secure: s.config.secureCookies, path: '/api/auth/sso', maxAge: SSO_LOGIN_TTL_MS / 1000 } as const;
  const limited = async (ip: string, now: number) => (await tries.attempt(ip, now)) > 0;

  /**
   * A provider vouched for the person (an OpenID Connect callback or a SAML ACS): the per-address
   * tries taken back, then their own second factor asked next (a provider not trusted to enforce
   * MFA, someone with two-factor sign-in on) or a session made, audited, and on to where it was going.
   */
  async function signedIn(req: FastifyRequest, reply: FastifyReply, done: FinishedSsoSignIn, now: number) {
    // not a failed try: this one and the start it finishes are taken back
    await tries.takeBack(req.ip, now);
    await tries.takeBack(req.ip, done.startedAt);
    if (!done.trustsMfa && twoFactorEnabled(done.user)) {
      // the provider vouches for who they are, not for a second factor: their own is asked next,
      // on the login page, in this browser (the cookie now binds the pending step)
      const pending = await holdForSecondFactor(s.store, done.loginId, done.user.id, now, { sealedIdToken: done.sealedIdToken, sid: done.sid, samlNameId: done.samlNameId });
      reply.setCookie(SSO_BROWSER_COOKIE, pending, browserCookie);
      return reply.redirect(`/login?sso_code=1${wayBack(done.next)}`, 302);
    }
    reply.clearCookie(SSO_BROWSER_COOKIE, { path: '/api/auth/sso' });
    const session = await createSession(s.store, done.user, now, { ip: req.ip, userAgent: req.headers['user-agent'], ssoProviderId: done.providerId });
    await keepForSignOut(s.store, sha256(session.cookie), { sealedIdToken: done.sealedIdToken, sid: done.sid, samlNameId: done.samlNameId });
    setSessionCookie(reply, session.cookie, s.config.secureCookies);
    await audit(s.store.db, { brandId: done.user.brand_id, actor: `user:${done.user.id}`, action: 'auth.login', subjectType: 'user', subjectId: done.user.id, data: { ip: req.ip, via: 'sso', provider: done.providerId } }, now);
    return reply.redirect(done.next, 302);
  }
  samlRoutes(app, { deps, base, limited, failed, signedIn });

  app.get('/api/auth/sso/providers', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'What the sign-in page offers (public): on a desk of one brand, its enabled single sign-on providers; on a desk of several, none (they would tell anyone which companies use the desk), and `discovery: true` when there are providers to find by email (POST /api/auth/sso/discover)',
      response: { 200: z.object({ providers: z.array(publicProvider), discovery: z.boolean().describe('ask for the work email and POST /api/auth/sso/discover') }) },
    },
  }, async () => signInOffer(s.store));

  /** Discovery is counted per address on its own (every process shares the count): it is asked once per sign-in, and a guesser of emails or domains is slowed as a guesser of passwords is. */
  const discoveries = guard.perAddress('sso-discover');
  app.post('/api/auth/sso/discover', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Home-realm discovery (public): the enabled single sign-on providers that take this work email: those whose allowed domains hold its domain, and those without a domain list whose brand has a person with this email (docs/sso.md, on what that tells). [] when none. The answer also gives this browser (an httpOnly cookie, 10 minutes) the right to start a sign-in with those providers, which a desk of several brands requires. 429 auth.rate_limited after 30 in 10 minutes from an address',
      body: z.object({ email: z.string().max(320) }),
      response: { 200: z.object({ providers: z.array(publicProvider) }) },
    },
  }, async (req, reply) => {
    const wait = await discoveries.attempt(req.ip, s.clock.now());
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'auth.rate_limited', `too many attempts; try again in ${wait} s`);
    }
    const providers = await discoverProviders(s.store, req.body.email);
    rememberProvidersFound(reply, { secrets: s.secrets, secure: s.config.secureCookies }, providers.map((p) => p.id), s.clock.now());
    return { providers };
  });

  app.get('/api/auth/sso/:id/start', {
    config: { public: true },
    schema: {
      tags: ['auth'], params: idParams, querystring: z.object({ next: z.string().max(2000).optional().describe('where to go once signed in: a path of this desk (anything else: /)') }),
      summary: 'Sign in with a provider: 302 to it (authorization code + PKCE). Unknown or disabled provider: 302 /login?sso_error=unavailable; too many sign-ins from this address: rate_limited. On a desk of several brands, only for a provider POST /api/auth/sso/discover gave this browser in the last 10 minutes (or for a signed-in person of its brand); any other start is refused as an unknown provider\'s',
      response: { 302: z.null() },
    },
  }, async (req, reply) => {
    const now = s.clock.now();
    if (await limited(req.ip, now)) return failed(reply, 'rate_limited', req.query.next);
    // a desk of several brands: which provider, client and tenant a brand uses is told only to a
    // browser that found it by email (or to a signed-in person of that brand)
    const signedIn = req.cookies?.[SESSION_COOKIE] ? await authenticate(s.store, req, now).catch(() => undefined) : undefined;
    if (!(await mayStartSignIn(deps, { providerId: req.params.id, foundToken: req.cookies?.[SSO_FOUND_COOKIE], signedInBrandId: signedIn?.user.brand_id }, now))) {
      req.log.info({ provider: req.params.id }, 'single sign-on start refused: not found by discovery');
      return failed(reply, 'unavailable', req.query.next);
    }
    try {
      const started = await startSsoSignIn(deps, { providerId: req.params.id, redirectUri: `${base(req)}${SSO_CALLBACK_PATH}`, next: req.query.next, origin: base(req) }, now);
      // SAML's answer is a cross-site POST: only a SameSite=None cookie (so Secure) comes back with it
      if (started.protocol === 'saml') reply.setCookie(SAML_BROWSER_COOKIE, started.browserToken, { ...browserCookie, sameSite: 'none', secure: true });
      else reply.setCookie(SSO_BROWSER_COOKIE, started.browserToken, browserCookie);
      return reply.redirect(started.authorizationUrl, 302);
    } catch (err) {
      if (!(err instanceof SsoSignInError)) throw err;
      req.log.info({ provider: req.params.id, reason: err.message }, 'single sign-on did not start');
      return failed(reply, err.code, req.query.next);
    }
  });

  // the provider's server, not a browser, posts here: a form body (Back-Channel Logout 1.0, 2.5),
  // parsed only on this route (no other route takes what a cross-site form can send)
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 32_768 }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
    scope.withTypeProvider<ZodTypeProvider>().post(SSO_BACKCHANNEL_PATH, {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'OpenID Connect Back-Channel Logout 1.0 (public; the provider\'s server posts `logout_token`, application/x-www-form-urlencoded): a logout token signed by a provider of this desk (its JWKS), for our client id, with the back-channel logout event, iat, jti, no nonce, and a sid or sub, ends that provider\'s Parley sessions of that provider session (sid) or person (sub). 200 (also when none was left to end); 400 sso.invalid_logout_token otherwise. Register it at the provider (GET /api/sso/providers gives it)',
        body: z.object({ logout_token: z.string().min(1).max(16_000) }),
        response: { 200: z.null() },
      },
    }, async (req, reply) => {
      const now = s.clock.now();
      const ended = await backChannelLogout(deps, req.body.logout_token, now);
      await announceSessionsEnded(s.store, s.bus, ended.userIds);
      for (const userId of ended.userIds) {
        const off = await offlineIfNoSession(s.store, userId, now, 'signed out at the identity provider');
        if (off) await announceAvailability(s.bus, app.hooks.afterAvailability, [off]);
      }
      reply.header('cache-control', 'no-store');
      return reply.code(200).send(null);
    });
  });

  app.get('/api/auth/sso/callback', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      querystring: z.object({ code: z.string().max(4096).optional(), state: z.string().max(512).optional(), iss: z.string().max(500).optional(), session_state: z.string().max(512).optional(), error: z.string().max(200).optional(), error_description: z.string().max(2000).optional() }),
      summary: 'Where the provider sends the browser back (register it at the provider: GET /api/sso/providers gives it). Success: the session cookie is set and 302 to where the sign-in was going; for someone with two-factor sign-in on and a provider not trusted to enforce MFA, 302 /login?sso_code=1 (the code goes to POST /api/auth/sso/code); otherwise 302 /login?sso_error=cancelled|expired|provider|unverified_email|domain|no_account|disabled|unavailable|rate_limited (with redirect=<where it was going>, if anywhere)',
      response: { 302: z.null() },
    },
  }, async (req, reply) => {
    const now = s.clock.now();
    const clear = () => reply.clearCookie(SSO_BROWSER_COOKIE, { path: '/api/auth/sso' });
    if (await limited(req.ip, now)) {
      clear();
      return failed(reply, 'rate_limited');
    }
    try {
      const done = await finishSsoSignIn(deps, { query: req.query, browserToken: req.cookies?.[SSO_BROWSER_COOKIE] }, now);
      return await signedIn(req, reply, done, now);
    } catch (err) {
      clear();
      if (!(err instanceof SsoSignInError)) throw err;
      req.log.info({ reason: err.message, code: err.code }, 'single sign-on refused');
      return failed(reply, err.code, err.next);
    }
  });

  // public, as password sign-in is (no CSRF token exists before it): the pending step is bound to
  // the httpOnly SameSite=Lax cookie of the browser that came back from the provider, which a
  // cross-site form cannot send
  app.post('/api/auth/sso/code', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'The second step of a single sign-on (after 302 /login?sso_code=1): the person\'s own code, from their authenticator app or an unused recovery code, for the sign-in pending in this browser (its parley_sso cookie). Right: the session cookie is set and the answer is GET /api/me\'s (as POST /api/auth/login\'s). 401 auth.invalid_code when wrong or used (counted per address and account as password sign-in\'s; 5 wrong codes void the sign-in); 401 auth.sso_expired when there is no such sign-in any more (10 minutes, once, void): start again; 429 auth.rate_limited',
      body: z.object({ code: z.string().max(64).describe('a 6-digit TOTP code (spaces allowed) or a recovery code xxxxx-xxxxx') }),
      response: { 200: meSchema },
    },
  }, async (req, reply) => {
    const now = s.clock.now();
    const { login, user } = await pendingSsoSignIn(s.store, req.cookies?.[SSO_BROWSER_COOKIE], now);
    const wait = await guard.attempt(user.email, req.ip, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'auth.rate_limited', `too many sign-in attempts; try again in ${wait} s`);
    }
    // a wrong or used code stays counted, as a wrong password is, and counts against this sign-in
    const secondFactor = await useSecondFactor({ db: s.store.db, secrets: s.secrets }, user.id, req.body.code.trim(), now);
    if (!secondFactor) {
      if (await wrongSsoCode(s.store, login.id)) {
        reply.clearCookie(SSO_BROWSER_COOKIE, { path: '/api/auth/sso' });
        throw ssoSignInExpired('too many wrong codes: start the sign-in again');
      }
      throw new AppError(401, 'auth.invalid_code', 'that code is not right, or was already used');
    }
    // of two racing right codes, one signs in
    if (!(await finishPendingSsoSignIn(s.store, login.id, now))) throw ssoSignInExpired();
    await guard.succeeded(user.email, req.ip, now);
    reply.clearCookie(SSO_BROWSER_COOKIE, { path: '/api/auth/sso' });
    const session = await createSession(s.store, user, now, { ip: req.ip, userAgent: req.headers['user-agent'], ssoProviderId: login.provider_id });
    await keepForSignOut(s.store, sha256(session.cookie), { sealedIdToken: login.id_token, sid: login.sid, samlNameId: login.saml_name_id && login.saml_name_id_hash ? { sealed: login.saml_name_id, hash: login.saml_name_id_hash } : null });
    setSessionCookie(reply, session.cookie, s.config.secureCookies);
    await audit(s.store.db, { brandId: user.brand_id, actor: `user:${user.id}`, action: 'auth.login', subjectType: 'user', subjectId: user.id, data: { ip: req.ip, via: 'sso', provider: login.provider_id, secondFactor } }, now);
    // the provider is not trusted to enforce MFA (else no code was asked): the brand's policy holds as for a password sign-in
    return presentMe(s, user.id, session.csrfToken);
  });

  app.get('/api/sso/providers', {
    schema: { tags: ['admin'], summary: 'The brand\'s single sign-on providers (admin), the callback URL to register at a provider (PARLEY_PUBLIC_URL, else this request\'s origin), and the post-logout redirect URI to register for signing out there too', response: { 200: z.object({ providers: z.array(providerSchema), callbackUrl: z.string(), postLogoutRedirectUri: z.string(), backchannelLogoutUri: z.string().describe('register it at the provider as the back-channel logout URI'), samlEntityId: z.string().describe('SAML: the SP entity id (Audience) to give the IdP'), samlAcsUrl: z.string().describe('SAML: the ACS URL (Recipient, HTTP-POST) to give the IdP'), samlMetadataUrl: z.string().describe('SAML: the SP metadata XML') }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const sp = samlSp(base(req));
    return { providers: await presentProviders(s.store, a.user.brand_id), callbackUrl: `${base(req)}${SSO_CALLBACK_PATH}`, postLogoutRedirectUri: postLogoutRedirectUri(s.config, req), backchannelLogoutUri: `${base(req)}${SSO_BACKCHANNEL_PATH}`, samlEntityId: sp.entityId, samlAcsUrl: sp.acsUrl, samlMetadataUrl: sp.entityId };
  });

  app.post('/api/sso/providers', {
    schema: { tags: ['admin'], summary: 'Add a single sign-on provider (admin). Its discovery document is fetched first: 400 sso.discovery_failed with the reason when it cannot be (https only; http on loopback). The secret is kept sealed and never shown', body: createBody, response: { 201: providerSchema } },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    return reply.code(201).send(await createSsoProvider(deps, a.actor, req.body, s.clock.now()));
  });

  app.patch('/api/sso/providers/:id', {
    schema: { tags: ['admin'], params: idParams, summary: 'Change a single sign-on provider (admin): any of its settings; a clientSecret left out is kept. A new issuer or client id is discovered first (400 sso.discovery_failed)', body: patchBody, response: { 200: providerSchema } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return updateSsoProvider(deps, a.actor, req.params.id, req.body, s.clock.now());
  });

  app.delete('/api/sso/providers/:id', {
    schema: { tags: ['admin'], params: idParams, summary: 'Remove a single sign-on provider (admin), with its links to people; sessions signed in with it go on as password ones', response: { 204: z.null() } },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    await deleteSsoProvider(deps, a.actor, req.params.id, s.clock.now());
    return reply.code(204).send(null);
  });

  app.post('/api/sso/providers/:id/check', {
    schema: { tags: ['admin'], params: idParams, summary: 'Fetch a provider\'s discovery document now (admin): its authorization endpoint and end-session endpoint (null: it cannot sign people out from the desk), or 400 sso.discovery_failed with the reason', response: { 200: z.object({ ok: z.literal(true), authorizationEndpoint: z.string(), endSessionEndpoint: z.string().nullable() }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return checkSsoProvider(deps, a.actor, req.params.id);
  });
}
