/**
 * A REAL OpenID Provider for the single sign-on tests: panva's oidc-provider (a certified OP) on
 * loopback, with one confidential client. There is no login form: when a browser (or a client
 * following redirects, with or without a cookie jar) reaches the authorization endpoint, the
 * provider's interaction is completed for the person set with `signInAs` and it redirects back to
 * the redirect_uri with code+state — or with error=access_denied when `signInAs(null)`.
 *
 * Every authorization asks anew (the provider's own session cookie is ignored), so a test may
 * switch people between sign-ins in the same browser.
 *
 * It signs people out as OpenID Connect RP-Initiated Logout 1.0 says (oidc-provider's own
 * implementation): its discovery names an `end_session_endpoint` (unless `endSession: false`),
 * which refuses (400) an `id_token_hint` it did not issue to the client, a
 * `post_logout_redirect_uri` not registered (`postLogoutRedirectUris`) and a `client_id` other than
 * the hint's, and, after its confirmation form (auto-submitted: the browser's scripts, or
 * `completeEndSession` for a client without), sends the browser to the post_logout_redirect_uri
 * with the `state` it was given. What each end-session request carried is kept
 * (`endSessionRequests`), and the sign-outs it completed are counted (`signedOut`).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

/** oidc-provider ships no types: the little of it used here. */
interface OpInteraction {
  uid: string; exp: number; returnTo: string; params: Record<string, unknown>;
  session?: { uid?: string }; result?: unknown;
  save(ttl: number): Promise<unknown>;
}
interface OpProvider {
  Interaction: { find(uid: string): Promise<OpInteraction | undefined> };
  Grant: new (init: { accountId: string; clientId: string }) => { addOIDCScope(scope: string): void; save(): Promise<string> };
  on(event: string, listener: (...args: unknown[]) => void): void;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
const OIDC_PROVIDER = 'oidc-provider';

export interface OidcUser {
  sub: string; email?: string; emailVerified?: boolean; name?: string; amr?: string[];
  /** Microsoft Entra ID's optional claim "email domain owner verified" (it sends no email_verified). */
  xmsEdov?: boolean;
}
export interface EndSessionRequest {
  idTokenHint: string | null;
  postLogoutRedirectUri: string | null;
  clientId: string | null;
  state: string | null;
}
export interface TestOidcProvider {
  /** http://127.0.0.1:<port> */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** What each GET of the end-session endpoint carried, in order. */
  endSessionRequests: EndSessionRequest[];
  /** Sign-outs the provider completed (its `end_session.success`). */
  signedOut(): number;
  /** The end-session endpoint's refusals (e.g. "post_logout_redirect_uri not registered"), in order. */
  endSessionErrors: string[];
  /**
   * A Back-Channel Logout 1.0 logout token signed with the provider's own key (its JWKS has it):
   * iss, aud (the client), iat, jti and the back-channel event, plus `claims` (sid, sub; or
   * anything to spoil it). `key: 'other'` signs with a key the provider never published.
   */
  logoutToken(claims: Record<string, unknown>, opts?: { key?: 'own' | 'other'; iat?: number }): Promise<string>;
  /** Who the next authorization signs in as. Set null to make the user refuse (the provider redirects back with error=access_denied). */
  signInAs(user: OidcUser | null): void;
  close(): Promise<void>;
}

const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)$/;
const RESUME = /^\/auth\/([A-Za-z0-9_-]+)$/;

/**
 * A browser without scripts at the end-session endpoint: GET it (the provider checks what it is
 * given), submit its auto-submitting form with the provider's cookie, and return where the
 * provider then sends the browser (the post_logout_redirect_uri with the state). Throws with the
 * provider's answer when it refuses.
 */
export async function completeEndSession(url: string): Promise<{ status: number; location: string }> {
  const first = await fetch(url, { redirect: 'manual' });
  const html = await first.text();
  if (first.status !== 200) throw new Error(`end session refused: ${first.status} ${html.slice(0, 300)}`);
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const inputs = [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1]!, m[2]!] as [string, string]);
  if (!action) throw new Error(`no end-session form: ${html.slice(0, 300)}`);
  const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const confirm = await fetch(new URL(action.replace(/&amp;/g, '&'), url), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(inputs).toString() });
  await confirm.text();
  return { status: confirm.status, location: confirm.headers.get('location') ?? '' };
}

/**
 * `backchannelLogoutUri`: the client's back-channel logout URI (Back-Channel Logout 1.0, with
 * `backchannel_logout_session_required`, so that its ID tokens carry the provider session's `sid`).
 */
export async function startOidcProvider(opts: { redirectUris: string[]; postLogoutRedirectUris?: string[]; endSession?: boolean; backchannelLogoutUri?: string }): Promise<TestOidcProvider> {
  const clientId = 'parley';
  const clientSecret = randomBytes(24).toString('base64url');
  const accounts = new Map<string, OidcUser>();
  const endSessionRequests: EndSessionRequest[] = [];
  const endSessionErrors: string[] = [];
  let signedOut = 0;
  let current: OidcUser | null = { sub: 'default', email: 'nobody@example.test', emailVerified: true, name: 'Nobody' };

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => { res.statusCode = 503; res.end(); };
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = randomBytes(8).toString('hex');
  const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: new (issuer: string, config: unknown) => OpProvider };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: opts.redirectUris,
      post_logout_redirect_uris: opts.postLogoutRedirectUris ?? [],
      ...(opts.backchannelLogoutUri ? { backchannel_logout_uri: opts.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    // its own signing key (the ID tokens' signature is checked against the provider's JWKS)
    jwks: { keys: [{ ...signingKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] },
    claims: { openid: ['sub'], email: ['email', 'email_verified', 'xms_edov'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: opts.endSession !== false }, backchannelLogout: { enabled: !!opts.backchannelLogoutUri } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, IdToken: 600, Grant: 600, Interaction: 600, Session: 600 },
    async findAccount(_ctx: unknown, sub: string) {
      const user = accounts.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            ...(user.email !== undefined ? { email: user.email } : {}),
            ...(user.emailVerified !== undefined ? { email_verified: user.emailVerified } : {}),
            ...(user.xmsEdov !== undefined ? { xms_edov: user.xmsEdov } : {}),
            ...(user.name !== undefined ? { name: user.name } : {}),
          };
        },
      };
    },
  });
  // quiet: a refused sign-in and a bad code are expected in the tests
  provider.on('server_error', () => {});
  provider.on('end_session.success', () => { signedOut++; });
  provider.on('end_session.error', (_ctx: unknown, err: unknown) => { endSessionErrors.push(String((err as { error_description?: string }).error_description ?? err)); });
  const callback = provider.callback();

  /** The provider's interaction, completed for the current person (or refused) without a form. */
  async function interact(uid: string, res: ServerResponse) {
    const interaction = await provider.Interaction.find(uid);
    if (!interaction) { res.statusCode = 400; res.end('unknown interaction'); return; }
    if (current === null) {
      interaction.result = { error: 'access_denied', error_description: 'The person declined to sign in' };
    } else {
      const user = current;
      accounts.set(user.sub, user);
      const grant = new provider.Grant({ accountId: user.sub, clientId: String(interaction.params.client_id) });
      grant.addOIDCScope(String(interaction.params.scope ?? 'openid'));
      const grantId = await grant.save();
      interaction.result = { login: { accountId: user.sub, remember: false, ...(user.amr ? { amr: user.amr } : {}) }, consent: { grantId } };
    }
    // the login starts a new provider session at the resume (see below), not the one of the authorization request
    if (interaction.session) delete interaction.session.uid;
    await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
    res.statusCode = 303;
    res.setHeader('location', interaction.returnTo);
    res.end();
  }

  handler = (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    // Every authorization asks anew: the provider's own session cookie is never sent back to it.
    // The resume cookie is put back when missing (a client without a cookie jar); it is unsigned
    // (no cookie keys) and only names the interaction the URL names already.
    // (the end-session confirmation is the exception: it checks the form against the session the
    // end-session request just made)
    const cookies = (req.headers.cookie ?? '').split(';').map((c) => c.trim()).filter((c) => c && (path === '/session/end/confirm' || !c.startsWith('_session')));
    const resume = RESUME.exec(path);
    if (resume && !cookies.some((c) => c.startsWith('_interaction_resume='))) cookies.push(`_interaction_resume=${resume[1]}`);
    if (cookies.length) req.headers.cookie = cookies.join('; ');
    else delete req.headers.cookie;

    if (path === '/session/end' && req.method === 'GET') {
      const q = new URL(req.url ?? '/', issuer).searchParams;
      endSessionRequests.push({ idTokenHint: q.get('id_token_hint'), postLogoutRedirectUri: q.get('post_logout_redirect_uri'), clientId: q.get('client_id'), state: q.get('state') });
    }
    const interaction = INTERACTION.exec(path);
    if (interaction && req.method === 'GET') {
      interact(interaction[1]!, res).catch((err: unknown) => { res.statusCode = 500; res.end(String(err)); });
      return;
    }
    callback(req, res);
  };

  return {
    issuer,
    clientId,
    clientSecret,
    endSessionRequests,
    endSessionErrors,
    signedOut: () => signedOut,
    async logoutToken(claims, o = {}) {
      const key = o.key === 'other' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : signingKey;
      return new SignJWT({ events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, jti: randomBytes(12).toString('hex'), ...claims })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt' })
        .setIssuer(issuer).setAudience(clientId).setIssuedAt(o.iat ?? Math.floor(Date.now() / 1000))
        .sign(key);
    },
    signInAs(user) { current = user; },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
