/**
 * Single sign-on with SAML 2.0 (docs/sso.md; the commands: ../../commands/saml.ts): the ACS, where
 * the IdP's HTTP-POST binding brings the Response back (then the same way into the desk as an
 * OpenID Connect callback: routes/sso.ts's `signedIn`), and the SP metadata for the admin to give
 * the IdP (the desk's, without keys, and each provider's, with its SP certificate). The start is
 * the shared `/api/auth/sso/:id/start`. Single logout: each provider's own SLO endpoint (what its
 * SP metadata lists; a message there is that provider's, its LogoutRequest also ending the named
 * sessions of its brand's other providers of that IdP) and the desk-wide one, kept for
 * IdPs given it before. IdP-initiated sign-in (app tiles, unsolicited Responses at the ACS) is each
 * provider's opt-in, its own admin setting (`/api/sso/providers/:id/saml/idp-initiated`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { finishSamlSignIn, samlIdpInitiatedSetting, setSamlIdpInitiated, SAML_SLO_PATH, samlProviderSloPath, samlSingleLogout, type SamlLogoutMessage, SAML_ACS_PATH, SAML_BROWSER_COOKIE, SAML_METADATA_PATH, samlProviderMetadataPath, samlProviderSpMetadata, samlSpMetadata } from '../../commands/saml.js';
import { SsoSignInError, type FinishedSsoSignIn, type SsoDeps, type SsoErrorCode } from '../../commands/sso.js';
import { notFound } from '../../errors.js';
import { announceAvailability, offlineIfNoSession } from '../../commands/availability.js';
import type { App } from '../http.js';
import { requireRole } from '../auth.js';
import { idParams } from '../schemas.js';
import { announceSessionsEnded } from './events.js';

export interface SamlRouteContext {
  deps: SsoDeps;
  base: (req: FastifyRequest) => string;
  limited: (ip: string, now: number) => Promise<boolean>;
  failed: (reply: FastifyReply, code: SsoErrorCode, next?: string) => FastifyReply;
  signedIn: (req: FastifyRequest, reply: FastifyReply, done: FinishedSsoSignIn, now: number) => Promise<FastifyReply>;
}

export function samlRoutes(app: App, c: SamlRouteContext) {
  const s = app.services;

  app.get(SAML_METADATA_PATH, {
    config: { public: true },
    schema: { tags: ['auth'], summary: 'The desk\'s SAML 2.0 Service Provider metadata (public; also its entity id): the ACS URL (HTTP-POST). Give it to the IdP', response: { 200: z.string() } },
  }, async (req, reply) => {
    reply.header('content-type', 'application/samlmetadata+xml; charset=utf-8');
    return samlSpMetadata(c.base(req));
  });

  app.withTypeProvider<ZodTypeProvider>().get(samlProviderMetadataPath(':id'), {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'One SAML provider\'s SP metadata (public, as SP metadata is): the desk\'s entity id and ACS URL, the provider\'s SP certificate as the encryption key and, when it signs its AuthnRequests, as the signing key (AuthnRequestsSigned="true"); WantAssertionsSigned="true". The SP key pair is made on first need; the private key is never shown. 404 for an unknown or OpenID Connect provider',
      params: z.object({ id: z.coerce.number().int().positive().max(2 ** 31) }),
      response: { 200: z.string() },
    },
  }, async (req, reply) => {
    const xml = await samlProviderSpMetadata(c.deps, req.params.id, c.base(req), s.clock.now());
    if (xml === null) throw notFound('SAML provider');
    reply.header('content-type', 'application/samlmetadata+xml; charset=utf-8');
    return xml;
  });


  const idpInitiatedSchema = z.object({
    providerId: z.number(),
    allowed: z.boolean().describe('unsolicited Responses (IdP-initiated sign-in, e.g. an Okta or Entra app tile) are taken at the ACS'),
    acsUrl: z.string().describe('where the IdP posts them: the desk\'s ACS URL'),
    maxAgeSeconds: z.number().describe('how old an unsolicited assertion may be (its IssueInstant)'),
  });
  const idpInitiatedSummary = 'the trade-off: with no request behind it, an unsolicited Response cannot be tied to the browser that posts it (someone holding a fresh assertion of their own could sign another browser in as themselves), so only a signed one is taken, for our Audience, Recipient and Destination, within its NotBefore / NotOnOrAfter, issued in the last 5 minutes, its assertion ID once; its RelayState only as a path on this desk, else the inbox. Each such sign-in is audited as sso.saml_idp_initiated';
  app.get('/api/sso/providers/:id/saml/idp-initiated', {
    schema: { tags: ['admin'], params: idParams, summary: `Whether a SAML provider takes IdP-initiated sign-ins (admin; off by default). 404 for another brand's provider, 400 sso.not_saml for an OpenID Connect one. ${idpInitiatedSummary}`, response: { 200: idpInitiatedSchema } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return samlIdpInitiatedSetting(c.deps, a.actor, req.params.id, c.base(req));
  });
  app.put('/api/sso/providers/:id/saml/idp-initiated', {
    schema: { tags: ['admin'], params: idParams, summary: `Allow or refuse IdP-initiated sign-in for a SAML provider (admin), audited as sso.provider.update. Off, an unsolicited Response is refused (sso_error=expired), the reason in the audit trail saying where to turn it on. ${idpInitiatedSummary}`, body: z.object({ allowed: z.boolean() }), response: { 200: idpInitiatedSchema } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return setSamlIdpInitiated(c.deps, a.actor, req.params.id, req.body.allowed, c.base(req), s.clock.now());
  });

  /** The SLO endpoint's answer: an IdP's LogoutRequest → its signed LogoutResponse (302 to its SLO URL, or 200); a LogoutResponse → the login page with the outcome. */
  async function singleLogout(req: FastifyRequest, reply: FastifyReply, m: Omit<SamlLogoutMessage, 'origin' | 'ip'>) {
    const now = s.clock.now();
    if (await c.limited(req.ip, now)) return c.failed(reply, 'rate_limited');
    const done = await samlSingleLogout(c.deps, { ...m, origin: c.base(req), ip: req.ip }, now);
    if (done.kind === 'response') {
      if (done.reason) req.log.info({ reason: done.reason }, 'SAML LogoutResponse refused');
      if (done.idpStatus) req.log.info({ idpStatus: done.idpStatus }, 'SAML LogoutResponse: the IdP did not sign out everywhere');
      return reply.redirect(`/login?saml_logout=${done.status}`, 302);
    }
    // their live streams end now, in whichever process holds them
    await announceSessionsEnded(s.store, s.bus, done.userIds);
    // signed out everywhere, as by signing out of their last session: routing stops giving them work
    for (const userId of done.userIds) {
      const off = await offlineIfNoSession(s.store, userId, now, 'signed out at the identity provider');
      if (off) await announceAvailability(s.bus, app.hooks.afterAvailability, [off]);
    }
    if (done.redirect) return reply.redirect(done.redirect, 302);
    return reply.type('text/plain; charset=utf-8').send(`signed out: ${done.sessionsEnded} session(s) ended`);
  }
  const sloSummary = 'SAML 2.0 single logout (public), the desk-wide endpoint (kept for IdPs given it; a provider\'s SP metadata lists its own, /api/auth/sso/saml/<id>/slo): an IdP\'s LogoutRequest — signed by the provider its Issuer names (HTTP-Redirect: SigAlg and Signature over the query string; HTTP-POST: enveloped), in its time, taken once; refused when providers of several brands share that IdP entity id and certificate — ends the sessions it names: made by the sign-ins of the providers it verifies for (of one IdP in one brand: one session authority, whichever the person signed in through), of the principal its NameID names (value, Format, NameQualifier, SPNameQualifier), only those of its SessionIndex values when given (at most 50); answered with a LogoutResponse signed by the provider whose sign-in it named (302 to its IdP SLO URL); otherwise 400 sso.invalid_logout_request. The LogoutResponse to a sign-out of this desk (InResponseTo, signed) lands on /login?saml_logout=done|partial|refused';
  const providerSloSummary = 'SAML 2.0 single logout at one provider\'s own endpoint (public; listed in its SP metadata): an IdP\'s LogoutRequest — its Issuer this provider\'s IdP entity id, signed by its certificate (HTTP-Redirect: SigAlg and Signature over the query string; HTTP-POST: enveloped), Destination this URL if any, in its time, taken once — ends the sessions of the principal its NameID names (value, Format, NameQualifier, SPNameQualifier; only those of its SessionIndex values when given, at most 50) made through this provider and through the other providers of its brand the request verifies for (the same IdP entity id and certificate: one IdP application, one SLO URL; never another brand\'s), audited as at the desk-wide endpoint, and is answered by this provider with a signed LogoutResponse (302 to its IdP SLO URL); otherwise 400 sso.invalid_logout_request. The LogoutResponse to a sign-out of this provider (InResponseTo, signed, Issuer and Destination checked before the status is read) lands on /login?saml_logout=done|partial|refused';
  const sloParams = z.object({ id: z.coerce.number().int().positive().max(2 ** 31) });
  const sloFields = { SAMLRequest: z.string().max(400_000).optional(), SAMLResponse: z.string().max(400_000).optional(), RelayState: z.string().max(1000).optional(), SigAlg: z.string().max(200).optional(), Signature: z.string().max(2000).optional() };
  app.withTypeProvider<ZodTypeProvider>().get(SAML_SLO_PATH, {
    config: { public: true },
    schema: { tags: ['auth'], summary: sloSummary, querystring: z.object(sloFields) },
  }, async (req, reply) => {
    if (!req.query.SAMLRequest && !req.query.SAMLResponse) return c.failed(reply, 'provider');
    return singleLogout(req, reply, { ...req.query, providerId: null, rawQuery: req.url.split('?')[1] ?? '' });
  });
  app.withTypeProvider<ZodTypeProvider>().get(samlProviderSloPath(':id'), {
    config: { public: true },
    schema: { tags: ['auth'], summary: providerSloSummary, params: sloParams, querystring: z.object(sloFields) },
  }, async (req, reply) => {
    if (!req.query.SAMLRequest && !req.query.SAMLResponse) return c.failed(reply, 'provider');
    return singleLogout(req, reply, { ...req.query, providerId: req.params.id, rawQuery: req.url.split('?')[1] ?? '' });
  });

  // the IdP's HTTP-POST binding: a form, parsed only on these routes
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 512_000 }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
    scope.withTypeProvider<ZodTypeProvider>().post(SAML_ACS_PATH, {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'SAML 2.0 Assertion Consumer Service (public; the IdP\'s HTTP-POST binding: SAMLResponse and RelayState, form-encoded). A Response to a sign-in started in this browser (RelayState, InResponseTo, 10 minutes, once), signed by the provider\'s certificate (Response or Assertion), for our entity id and ACS URL, in its time window, an assertion not taken before: 302 into the desk (or /login?sso_code=1). Otherwise 302 /login?sso_error=<code>, audited as sso.saml_refused with the reason',
        body: z.object({ SAMLResponse: z.string().max(400_000).optional(), RelayState: z.string().max(1000).optional() }),
        response: { 302: z.null() },
      },
    }, async (req, reply) => {
      const now = s.clock.now();
      reply.clearCookie(SAML_BROWSER_COOKIE, { path: '/api/auth/sso', sameSite: 'none', secure: true });
      if (await c.limited(req.ip, now)) return c.failed(reply, 'rate_limited');
      if (!req.body.SAMLResponse) return c.failed(reply, 'provider');
      try {
        const done = await finishSamlSignIn(c.deps, { samlResponse: req.body.SAMLResponse, relayState: req.body.RelayState, browserToken: req.cookies?.[SAML_BROWSER_COOKIE], origin: c.base(req), ip: req.ip }, now);
        return await c.signedIn(req, reply, done, now);
      } catch (err) {
        if (!(err instanceof SsoSignInError)) throw err;
        req.log.info({ reason: err.message, code: err.code }, 'SAML sign-in refused');
        return c.failed(reply, err.code, err.next);
      }
    });
    scope.withTypeProvider<ZodTypeProvider>().post(SAML_SLO_PATH, {
      config: { public: true },
      schema: { tags: ['auth'], summary: sloSummary, body: z.object(sloFields) },
    }, async (req, reply) => {
      if (!req.body.SAMLRequest && !req.body.SAMLResponse) return c.failed(reply, 'provider');
      return singleLogout(req, reply, { SAMLRequest: req.body.SAMLRequest, SAMLResponse: req.body.SAMLResponse, RelayState: req.body.RelayState, providerId: null, rawQuery: null });
    });
    scope.withTypeProvider<ZodTypeProvider>().post(samlProviderSloPath(':id'), {
      config: { public: true },
      schema: { tags: ['auth'], summary: providerSloSummary, params: sloParams, body: z.object(sloFields) },
    }, async (req, reply) => {
      if (!req.body.SAMLRequest && !req.body.SAMLResponse) return c.failed(reply, 'provider');
      return singleLogout(req, reply, { SAMLRequest: req.body.SAMLRequest, SAMLResponse: req.body.SAMLResponse, RelayState: req.body.RelayState, providerId: req.params.id, rawQuery: null });
    });
  });
}
