/**
 * A REAL OpenID Provider for the single sign-on tests: panva's oidc-provider (a certified OP) on
 * loopback, with one confidential client. There is no login form: when a browser (or a client
 * following redirects, with or without a cookie jar) reaches the authorization endpoint, the
 * provider's interaction is completed for the person set with `signInAs` and it redirects back to
 * the redirect_uri with code+state — or with error=access_denied when `signInAs(null)`.
 *
 * Every authorization asks anew (the provider's own session cookie is ignored), so a test may
 * switch people between sign-ins in the same browser.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
export interface TestOidcProvider {
  /** http://127.0.0.1:<port> */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next authorization signs in as. Set null to make the user refuse (the provider redirects back with error=access_denied). */
  signInAs(user: OidcUser | null): void;
  close(): Promise<void>;
}

const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)$/;
const RESUME = /^\/auth\/([A-Za-z0-9_-]+)$/;

export async function startOidcProvider(opts: { redirectUris: string[] }): Promise<TestOidcProvider> {
  const clientId = 'parley';
  const clientSecret = randomBytes(24).toString('base64url');
  const accounts = new Map<string, OidcUser>();
  let current: OidcUser | null = { sub: 'default', email: 'nobody@example.test', emailVerified: true, name: 'Nobody' };

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => { res.statusCode = 503; res.end(); };
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: new (issuer: string, config: unknown) => OpProvider };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: opts.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    // its own signing key (the ID tokens' signature is checked against the provider's JWKS)
    jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' }] },
    claims: { openid: ['sub'], email: ['email', 'email_verified', 'xms_edov'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: false } },
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
    const cookies = (req.headers.cookie ?? '').split(';').map((c) => c.trim()).filter((c) => c && !c.startsWith('_session'));
    const resume = RESUME.exec(path);
    if (resume && !cookies.some((c) => c.startsWith('_interaction_resume='))) cookies.push(`_interaction_resume=${resume[1]}`);
    if (cookies.length) req.headers.cookie = cookies.join('; ');
    else delete req.headers.cookie;

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
    signInAs(user) { current = user; },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
