/**
 * Where the desk is, as browsers and other servers reach it, and what single sign-on leaves in a
 * browser between its steps (used by the sign-in, sign-out, SSO, passkey and SCIM routes alike).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { providersFoundToken, SSO_FOUND_COOKIE, SSO_FOUND_TTL_MS } from '../commands/sso.js';
import type { Config } from '../config.js';
import type { SecretBox } from '../lib/secrets.js';

/** The desk's own origin: PARLEY_PUBLIC_URL, else this request's (without a trailing slash). */
export const deskOrigin = (config: Pick<Config, 'publicUrl'>, req: FastifyRequest) => (config.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');

/** Where a provider sends the browser back after signing out there (register it at the provider): the desk's login page. */
export const postLogoutRedirectUri = (config: Pick<Config, 'publicUrl'>, req: FastifyRequest) => `${deskOrigin(config, req)}/login`;

/** Give this browser the providers it may start a sign-in with on a desk of several brands (discovery's, or the one `auth.sso_required` names). */
export function rememberProvidersFound(reply: FastifyReply, p: { secrets: SecretBox; secure: boolean }, providerIds: number[], now: number): void {
  if (!providerIds.length) {
    reply.clearCookie(SSO_FOUND_COOKIE, { path: '/api/auth/sso' });
    return;
  }
  reply.setCookie(SSO_FOUND_COOKIE, providersFoundToken(p.secrets, providerIds, now), { httpOnly: true, sameSite: 'lax', secure: p.secure, path: '/api/auth/sso', maxAge: SSO_FOUND_TTL_MS / 1000 });
}
