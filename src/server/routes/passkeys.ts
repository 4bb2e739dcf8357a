/**
 * Passkeys (docs/passkeys.md; the commands: ../../commands/passkeys.ts): a signed-in person's own
 * (register with their password, list, rename, remove with their password), and the username-less sign-in
 * (options, then the authenticator's answer), counted with the other sign-in attempts.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  beginPasskeyRegistration, beginPasskeySignIn, finishPasskeyRegistration, finishPasskeySignIn, listPasskeys, newBrowserToken, PASSKEY_BROWSER_COOKIE, PASSKEY_CHALLENGE_TTL_MS, removePasskey, renamePasskey, type PasskeyDeps,
} from '../../commands/passkeys.js';
import { relyingPartyOf } from '../../core/passkeys.js';
import { AppError } from '../../errors.js';
import { audit } from '../../store/audit.js';
import { createSession, destroySession, requireRole, SESSION_COOKIE, setSessionCookie, sha256, type AuthContext, type LoginGuard } from '../auth.js';
import { passwordConfirmation } from '../confirm.js';
import { deskOrigin } from '../origin.js';
import type { App } from '../http.js';
import { idParams } from '../schemas.js';
import { meSchema, presentMe } from './auth.js';
import { announceSessionsEnded } from './events.js';

const B64URL = z.string().max(16_384);
const transports = z.array(z.string().max(32)).max(10);
/** What `navigator.credentials.create()` answers, as JSON (base64url for the bytes). */
const registrationResponse = z.object({
  id: z.string().min(1).max(1366), rawId: z.string().min(1).max(1366), type: z.literal('public-key'),
  response: z.object({ clientDataJSON: B64URL, attestationObject: B64URL, authenticatorData: B64URL.optional(), transports: transports.optional(), publicKeyAlgorithm: z.number().optional(), publicKey: B64URL.optional() }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});
/** What `navigator.credentials.get()` answers, as JSON. */
const authenticationResponse = z.object({
  id: z.string().min(1).max(1366), rawId: z.string().min(1).max(1366), type: z.literal('public-key'),
  response: z.object({ clientDataJSON: B64URL, authenticatorData: B64URL, signature: B64URL, userHandle: B64URL.optional() }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});
const passkeySchema = z.object({ id: z.number(), name: z.string(), createdAt: z.number().describe('ms since the epoch'), lastUsedAt: z.number().nullable().describe('the last sign-in with it (ms); null: never'), transports: z.array(z.string()) });
/** The options for the browser's WebAuthn calls, as @simplewebauthn/server makes them (the challenge, user id and credential ids in base64url). */
const descriptor = z.object({ id: z.string(), type: z.literal('public-key'), transports: z.array(z.string()).optional() });
const creationOptions = z.object({
  challenge: z.string(), rp: z.object({ id: z.string().optional(), name: z.string() }), user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  pubKeyCredParams: z.array(z.object({ type: z.literal('public-key'), alg: z.number() })), timeout: z.number().optional(), excludeCredentials: z.array(descriptor).optional(),
  authenticatorSelection: z.object({ residentKey: z.string().optional(), requireResidentKey: z.boolean().optional(), userVerification: z.string().optional(), authenticatorAttachment: z.string().optional() }).optional(),
  attestation: z.string().optional(), hints: z.array(z.string()).optional(), extensions: z.object({ credProps: z.boolean().optional() }).optional(),
});
const requestOptions = z.object({
  challenge: z.string(), rpId: z.string().optional(), timeout: z.number().optional(), allowCredentials: z.array(descriptor).optional(), userVerification: z.string().optional(),
  hints: z.array(z.string()).optional(), extensions: z.object({ credProps: z.boolean().optional() }).optional(),
});
const CURRENT_PASSWORD = z.string().max(1024).optional().describe('your current password; left out by someone who has none (made by a single sign-on provider): a sign-in within the last 10 minutes confirms instead (403 auth.reauthenticate otherwise)');

/** `guard`: the sign-in attempts' counter shared with password and single sign-on (routes/auth.ts, routes/sso.ts). */
export function passkeyRoutes(app: App, guard: LoginGuard) {
  const s = app.services;
  const deps: PasskeyDeps = { store: s.store, userHandleKey: s.secrets.deriveKey('passkey-user-handle') };
  const rp = (req: FastifyRequest) => relyingPartyOf(deskOrigin(s.config, req));
  /** Passkey sign-ins are counted per address with the other sign-in bounds (in every process): at the options and at the answer; a success takes both back. */
  const tries = guard.perAddress('passkey');
  const limited = async (req: FastifyRequest, reply: FastifyReply, now: number) => {
    const wait = await tries.attempt(req.ip, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'auth.rate_limited', `too many sign-in attempts; try again in ${wait} s`);
    }
  };
  const browserCookie = { httpOnly: true, sameSite: 'strict', secure: s.config.secureCookies, path: '/api/auth/passkey', maxAge: PASSKEY_CHALLENGE_TTL_MS / 1000 } as const;

  /**
   * A change to someone's passkeys needs their password again (a stolen session must not add a
   * way in that outlives it, nor remove theirs), counted with every other such confirmation;
   * someone without one (made by a single sign-on provider) confirms with a recent sign-in with
   * it (../confirm.ts). By a session only.
   */
  const confirm = passwordConfirmation(s, guard.limits);
  const confirmed = async (a: AuthContext, reply: FastifyReply, currentPassword: string | undefined): Promise<void> => {
    sessionOf(a);
    await confirm(a, reply, currentPassword, async () => undefined);
  };
  const sessionOf = (a: AuthContext) => {
    if (a.via !== 'session' || !a.sessionId) throw new AppError(403, 'forbidden', 'passkeys are managed by the person signed in, not by an API token');
    return a.sessionId;
  };

  app.get('/api/me/passkeys', {
    config: { allowWithoutSecondFactor: true },
    schema: { tags: ['auth'], summary: 'Your passkeys (never anyone else\'s), newest first', response: { 200: z.object({ items: z.array(passkeySchema) }) } },
  }, async (req) => {
    const a = requireRole(req);
    return { items: await listPasskeys(s.store.db, a.user.id) };
  });

  app.post('/api/me/passkeys/options', {
    // a passkey, once registered, satisfies the brand's two-factor policy: someone it holds may set one up
    config: { allowWithoutSecondFactor: true },
    schema: {
      tags: ['auth'],
      summary: 'Begin registering a passkey: your current password, then the options for navigator.credentials.create() (a discoverable credential, user verification required, no attestation), good for 5 minutes, in this session. 403 auth.wrong_password, 403 auth.sso_required (your brand\'s provider signs you in), 409 passkey.too_many',
      body: z.object({ currentPassword: CURRENT_PASSWORD }),
      response: { 200: creationOptions },
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    await confirmed(a, reply, req.body.currentPassword);
    return beginPasskeyRegistration(deps, { user: a.user, sessionId: a.sessionId!, rp: rp(req) }, s.clock.now());
  });

  app.post('/api/me/passkeys', {
    config: { allowWithoutSecondFactor: true },
    schema: {
      tags: ['auth'],
      summary: 'Register the passkey the authenticator made for the options of POST /api/me/passkeys/options (this session\'s), named. 400 passkey.challenge_invalid (expired, used, or another session\'s), 400 passkey.invalid|wrong_origin|wrong_rp|not_verified, 409 passkey.exists',
      body: z.object({ name: z.string().trim().min(1).max(100).describe('what the person calls it ("work laptop")'), response: registrationResponse }),
      response: { 201: passkeySchema },
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    const sessionId = sessionOf(a);
    const made = await finishPasskeyRegistration(deps, { actor: a.actor, user: a.user, sessionId, rp: rp(req), name: req.body.name, response: req.body.response as never }, s.clock.now());
    return reply.code(201).send(made);
  });

  app.patch('/api/me/passkeys/:id', {
    schema: {
      tags: ['auth'], params: idParams,
      summary: 'Rename one of your passkeys (no password asked: a name changes no way in; audited). 400 passkey.invalid_name (1 to 60 characters, trimmed, on one line), 404 for a passkey that is not yours',
      body: z.object({ name: z.string().max(1000).describe('the new name, 1 to 60 characters once trimmed') }),
      response: { 200: passkeySchema },
    },
  }, async (req) => {
    const a = requireRole(req);
    sessionOf(a);
    return renamePasskey(s.store.db, { actor: a.actor, userId: a.user.id, brandId: a.user.brand_id, passkeyId: req.params.id, name: req.body.name }, s.clock.now());
  });

  app.post('/api/me/passkeys/:id/remove', {
    schema: {
      tags: ['auth'], params: idParams,
      summary: 'Remove one of your passkeys: your current password. It signs in no more; your other sessions signed in with it end. 404 for a passkey that is not yours, 403 auth.wrong_password',
      body: z.object({ currentPassword: CURRENT_PASSWORD }),
      response: { 204: z.null() },
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    await confirmed(a, reply, req.body.currentPassword);
    await removePasskey(s.store.db, { actor: a.actor, userId: a.user.id, brandId: a.user.brand_id, passkeyId: req.params.id, keepSessionId: a.sessionId }, s.clock.now());
    await announceSessionsEnded(s.store, s.bus, [a.user.id]);
    return reply.code(204).send(null);
  });

  app.post('/api/auth/passkey/options', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Begin signing in with a passkey (public; no address asked): the options for navigator.credentials.get(), good for 5 minutes in this browser (a cookie binds them). Counted with the sign-in attempts of the address: 429 auth.rate_limited',
      response: { 200: requestOptions },
    },
  }, async (req, reply) => {
    const now = s.clock.now();
    await limited(req, reply, now);
    const browserToken = newBrowserToken();
    const options = await beginPasskeySignIn(deps, { rp: rp(req), browserToken }, now);
    reply.setCookie(PASSKEY_BROWSER_COOKIE, browserToken, browserCookie);
    return options;
  });

  app.post('/api/auth/passkey', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Sign in with a passkey: the authenticator\'s answer to the options of POST /api/auth/passkey/options, from the same browser (sets the session cookie; the session the browser had, such as a password session the two-factor policy held, ends). The user-verified passkey stands in for the password and the second factor, and satisfies the brand\'s two-factor policy. 400 passkey.challenge_invalid (expired, used, or another browser\'s), 401 passkey.invalid|wrong_origin|wrong_rp|not_verified|unknown|bad_signature|counter|account_disabled, 403 auth.sso_required (non-admins of a brand whose provider signs them in), 429 auth.rate_limited',
      body: z.object({ response: authenticationResponse }),
      response: { 200: meSchema },
    },
  }, async (req, reply) => {
    const now = s.clock.now();
    await limited(req, reply, now);
    const done = await finishPasskeySignIn(deps, { rp: rp(req), browserToken: req.cookies?.[PASSKEY_BROWSER_COOKIE], response: req.body.response as never, ip: req.ip }, now);
    reply.clearCookie(PASSKEY_BROWSER_COOKIE, { path: '/api/auth/passkey' });
    // not failed tries: this one and the options it answers are taken back
    await tries.takeBack(req.ip, now);
    await tries.takeBack(req.ip, done.startedAt);
    const session = await createSession(s.store, done.user, now, { ip: req.ip, userAgent: req.headers['user-agent'], passkeyId: done.passkeyId });
    // the session this browser had (the password session the two-factor policy held on the forced
    // set-up screen, typically) is replaced by this one: its cookie is overwritten, so it ends now
    // rather than lingering, usable for nothing, until it expires
    const replaced = req.cookies?.[SESSION_COOKIE];
    if (replaced) await destroySession(s.store, sha256(replaced));
    setSessionCookie(reply, session.cookie, s.config.secureCookies);
    await audit(s.store.db, { brandId: done.user.brand_id, actor: `user:${done.user.id}`, action: 'auth.login', subjectType: 'user', subjectId: done.user.id, data: { ip: req.ip, method: 'passkey', passkeyId: done.passkeyId } }, now);
    return presentMe(s, done.user.id, session.csrfToken, true);
  });
}
