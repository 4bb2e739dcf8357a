/**
 * Password reset by an admin's one-time link, over HTTP against a real desk on SQLite and
 * PostgreSQL, with the desk's clock in the test's hand: an admin of the brand (not another
 * brand's, not a non-admin, not for themselves, not for a disabled person) issues a link with
 * the token in the fragment, valid 24 h, stored only as its SHA-256 and audited without it; the
 * public lookup says whom it is for; using it sets the password once (a second use, a racing
 * use, an expired link, a voided one are 404), signs the person out everywhere and revokes their
 * API tokens, and leaves two-factor sign-in on; wrong tokens are limited per address; the CLI
 * prints a link that works.
 */
import { describe, expect, it } from 'vitest';
import { base32Decode, totp } from '../src/lib/totp.js';
import { DIALECTS } from './db.js';
import { sha256 } from '../src/server/auth.js';
import { authDesk } from './helpers/authDesk.js';
import { Client, PASSWORD, type TestDesk } from './helpers/parley.js';

const NEW_PASSWORD = 'a brand new passphrase';
const DAY = 24 * 3600_000;

for (const dialect of DIALECTS) {
  describe(`password reset by an admin's link [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ips = 0;
    const { clock, person, otherBrandAdmin, cli } = authDesk(dialect, 'r', (d, a) => { desk = d; admin = a; });

    const db = () => desk.db.store.db;
    /** Each call comes from its own address unless told: the per-address limits of one do not touch another's. */
    const address = () => `198.18.${Math.floor(++ips / 250)}.${ips % 250}`;

    async function call(method: string, path: string, body?: unknown, ip = address()) {
      const res = await fetch(`${desk.url}${path}`, { method, headers: { 'x-forwarded-for': ip, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : null) as any, headers: res.headers };
    }
    const lookup = (token: string, ip?: string) => call('POST', '/api/auth/password-reset/lookup', { token }, ip);
    const reset = (token: string, newPassword = NEW_PASSWORD, ip?: string) => call('POST', '/api/auth/password-reset', { token, newPassword }, ip);
    const login = (email: string, password = PASSWORD, code?: string) => call('POST', '/api/auth/login', { email, password, ...(code !== undefined ? { code } : {}) });

    async function issue(userId: number, by: Client = admin) {
      const res = await by.post(`/api/users/${userId}/password-reset`, {});
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return res.json as { url: string; token: string; expiresAt: number };
    }
    const lastAudit = (action: string) => db().selectFrom('audit_event').selectAll().where('action', '=', action).orderBy('id', 'desc').executeTakeFirst();

    it('is in the OpenAPI document: the admin route and the two public ones', async () => {
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      expect(doc.paths['/api/users/{id}/password-reset']?.post).toBeDefined();
      expect(doc.paths['/api/auth/password-reset/lookup']?.post).toBeDefined();
      expect(Object.keys(doc.paths['/api/auth/password-reset']?.post.requestBody.content['application/json'].schema.properties)).toEqual(['token', 'newPassword']);
    });

    it('gives an admin a link with the token in the fragment, valid 24 h, stored only hashed, audited without it; nothing else changes yet', async () => {
      const p = await person();
      const link = await issue(p.id);
      expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // no PARLEY_PUBLIC_URL: the request's origin
      expect(link.url).toBe(`${desk.url}/reset-password#token=${link.token}`);
      expect(link.expiresAt).toBe(clock.now() + DAY);

      const rows = await db().selectFrom('password_reset').selectAll().where('user_id', '=', p.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ token_hash: sha256(link.token), created_by: `user:${desk.users.admin}`, created_at: clock.now(), expires_at: link.expiresAt, used_at: null });
      expect(JSON.stringify(rows)).not.toContain(link.token);

      const audited = await lastAudit('user.password_reset_issued');
      expect(audited).toMatchObject({ actor: `user:${desk.users.admin}`, subject_type: 'user', subject_id: String(p.id) });
      expect(JSON.parse(String(audited!.data))).toEqual({ expiresAt: new Date(link.expiresAt).toISOString() });
      const everyAudit = await db().selectFrom('audit_event').select('data').execute();
      expect(JSON.stringify(everyAudit)).not.toContain(link.token);

      // the person is still signed in, and their password still works, until the link is used
      expect((await p.client.get('/api/me')).status).toBe(200);
      expect((await login(p.email)).status).toBe(200);

      // behind a trusted proxy: the origin the browser used
      const proxied = await admin.req('POST', `/api/users/${p.id}/password-reset`, {}, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'care.acme.test' });
      expect(proxied.json.url).toBe(`https://care.acme.test/reset-password#token=${proxied.json.token}`);
      // PARLEY_PUBLIC_URL, when set, wins (its trailing slash dropped)
      const config = desk.parley.services.config as { publicUrl?: string };
      config.publicUrl = 'https://desk.acme.test/care/';
      try {
        const configured = await issue(p.id);
        expect(configured.url).toBe(`https://desk.acme.test/care/reset-password#token=${configured.token}`);
      } finally {
        delete config.publicUrl;
      }
      // also with an API token of an admin
      const token = await admin.post('/api/tokens', { name: 'reset links' });
      const viaToken = await fetch(`${desk.url}/api/users/${p.id}/password-reset`, { method: 'POST', headers: { authorization: `Bearer ${token.json.token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(viaToken.status).toBe(200);
      expect((await lastAudit('user.password_reset_issued'))!.actor).toBe(`token:${token.json.id}`);
    });

    it('says whom a link is for, without signing in', async () => {
      const p = await person();
      const link = await issue(p.id);
      const found = await lookup(link.token);
      expect(found.status).toBe(200);
      expect(found.json).toEqual({ email: p.email, name: p.name, expiresAt: link.expiresAt });
      const unknown = await lookup('not-a-token-anyone-issued');
      expect(unknown.status).toBe(404);
      expect(unknown.json.code).toBe('password_reset.invalid');
      // the hash is not the token
      expect((await lookup(sha256(link.token))).status).toBe(404);
    });

    it('sets the new password once: the old stops working, every session ends, the person\'s API tokens are revoked; no session is made', async () => {
      const p = await person('admin');
      const other = await Client.signIn(desk.url, p.email);
      const made = await p.client.post('/api/tokens', { name: 'their integration' });
      expect(made.status).toBe(201);
      const bearer = (t: string) => fetch(`${desk.url}/api/me`, { headers: { authorization: `Bearer ${t}` } });
      expect((await bearer(made.json.token)).status).toBe(200);
      // someone else's token stays
      const admins = await admin.post('/api/tokens', { name: 'the admin\'s own' });
      const link = await issue(p.id);

      const done = await reset(link.token);
      expect(done.status).toBe(204);
      expect(done.headers.get('set-cookie')).toBeNull();

      expect((await login(p.email, PASSWORD)).json.code).toBe('auth.invalid_credentials');
      expect((await login(p.email, NEW_PASSWORD)).status).toBe(200);
      expect((await p.client.get('/api/me')).status).toBe(401);
      expect((await other.get('/api/me')).status).toBe(401);
      expect((await bearer(made.json.token)).status).toBe(401);
      expect((await bearer(admins.json.token)).status).toBe(200);
      expect((await db().selectFrom('api_token').select('revoked_at').where('id', '=', made.json.id).executeTakeFirstOrThrow()).revoked_at).toBe(clock.now());
      expect((await db().selectFrom('password_reset').select('used_at').where('token_hash', '=', sha256(link.token)).executeTakeFirstOrThrow()).used_at).toBe(clock.now());

      const audited = await lastAudit('user.password_reset');
      expect(audited).toMatchObject({ actor: `user:${p.id}`, subject_id: String(p.id) });
      expect(JSON.parse(String(audited!.data))).toEqual({ sessionsEnded: 2, tokensRevoked: 1 });
      expect(JSON.stringify(audited)).not.toContain(link.token);
      // signed out everywhere: offline, so routing gives them no work
      expect((await db().selectFrom('app_user').select('availability').where('id', '=', p.id).executeTakeFirstOrThrow()).availability).toBe('offline');

      // a second use
      const again = await reset(link.token, 'yet another passphrase');
      expect(again.status).toBe(404);
      expect(again.json.code).toBe('password_reset.invalid');
      expect((await lookup(link.token)).status).toBe(404);
      expect((await login(p.email, NEW_PASSWORD)).status).toBe(200);
    });

    it('takes one link once when two uses race: exactly one 204', async () => {
      const p = await person();
      const link = await issue(p.id);
      const raced = await Promise.all([reset(link.token, 'first racing passphrase'), reset(link.token, 'second racing passphrase')]);
      expect(raced.map((r) => r.status).sort()).toEqual([204, 404]);
      const winner = raced[0]!.status === 204 ? 'first racing passphrase' : 'second racing passphrase';
      const loser = raced[0]!.status === 204 ? 'second racing passphrase' : 'first racing passphrase';
      expect((await login(p.email, winner)).status).toBe(200);
      expect((await login(p.email, loser)).status).toBe(401);
      expect(await db().selectFrom('audit_event').select('id').where('action', '=', 'user.password_reset').where('subject_id', '=', String(p.id)).execute()).toHaveLength(1);
    });

    it('works for 24 hours, then not', async () => {
      const p = await person();
      const link = await issue(p.id);
      clock.advance(DAY - 1000);
      expect((await lookup(link.token)).status).toBe(200);
      clock.advance(1000);
      const late = await lookup(link.token);
      expect(late.status).toBe(404);
      expect(late.json.code).toBe('password_reset.invalid');
      const used = await reset(link.token);
      expect(used.status).toBe(404);
      expect(used.json.code).toBe('password_reset.invalid');
      expect((await login(p.email)).status).toBe(200);
    });

    it('voids a person\'s earlier link when a new one is issued', async () => {
      const p = await person();
      const first = await issue(p.id);
      const second = await issue(p.id);
      expect(second.token).not.toBe(first.token);
      expect((await lookup(first.token)).status).toBe(404);
      expect((await reset(first.token)).status).toBe(404);
      expect((await lookup(second.token)).status).toBe(200);
      expect(await db().selectFrom('password_reset').select('token_hash').where('user_id', '=', p.id).execute()).toEqual([{ token_hash: sha256(second.token) }]);
      expect(JSON.parse(String((await lastAudit('user.password_reset_issued'))!.data))).toMatchObject({ voided: 1 });
      expect((await reset(second.token)).status).toBe(204);
      // a used link is not voided, and not kept once a new one is issued
      const third = await issue(p.id);
      expect(JSON.parse(String((await lastAudit('user.password_reset_issued'))!.data))).toEqual({ expiresAt: new Date(third.expiresAt).toISOString() });
      expect(await db().selectFrom('password_reset').select('token_hash').where('user_id', '=', p.id).execute()).toEqual([{ token_hash: sha256(third.token) }]);
    });

    it('refuses a new password that breaks the rule with 400, and the link still works', async () => {
      const p = await person();
      const link = await issue(p.id);
      for (const bad of ['short', '          spaces only          '.replace(/\S/g, ' ')]) {
        const res = await reset(link.token, bad);
        expect(res.status).toBe(400);
        expect(res.json.code).toBe('validation');
      }
      expect((await db().selectFrom('password_reset').select('used_at').where('token_hash', '=', sha256(link.token)).executeTakeFirstOrThrow()).used_at).toBeNull();
      expect((await p.client.get('/api/me')).status).toBe(200);
      expect((await lookup(link.token)).status).toBe(200);
      expect((await reset(link.token)).status).toBe(204);
      expect((await login(p.email, NEW_PASSWORD)).status).toBe(200);
    });

    it('is issued only by an admin of the person\'s brand, not for oneself, not for a disabled person', async () => {
      const p = await person();
      const otherAdmin = await otherBrandAdmin();
      const ana = await Client.signIn(desk.url, 'ana@acme.test');
      const cleo = await Client.signIn(desk.url, 'cleo@acme.test');

      const byAgent = await ana.post(`/api/users/${p.id}/password-reset`, {});
      expect(byAgent.status).toBe(403);
      expect(byAgent.json.code).toBe('forbidden');
      expect((await cleo.post(`/api/users/${p.id}/password-reset`, {})).status).toBe(403);
      const byOtherBrand = await otherAdmin.post(`/api/users/${p.id}/password-reset`, {});
      expect(byOtherBrand.status).toBe(404);
      expect((await admin.post('/api/users/987654321/password-reset', {})).status).toBe(404);
      const self = await admin.post(`/api/users/${desk.users.admin}/password-reset`, {});
      expect(self.status).toBe(403);
      expect(self.json.code).toBe('forbidden');
      expect(await db().selectFrom('password_reset').select('id').where('user_id', 'in', [p.id, desk.users.admin]).execute()).toEqual([]);
      expect(await db().selectFrom('audit_event').select('id').where('action', '=', 'user.password_reset_issued').where('subject_id', 'in', [String(p.id), String(desk.users.admin)]).execute()).toEqual([]);

      // a link issued before the person was disabled no longer works; none is issued while they are
      const link = await issue(p.id);
      expect((await admin.req('PATCH', `/api/users/${p.id}`, { disabled: true })).status).toBe(200);
      const disabled = await admin.post(`/api/users/${p.id}/password-reset`, {});
      expect(disabled.status).toBe(409);
      expect(disabled.json.code).toBe('user.disabled');
      const gone = await lookup(link.token);
      expect(gone.status).toBe(404);
      expect(gone.json.code).toBe('password_reset.invalid');
      expect((await reset(link.token)).status).toBe(404);
      // disabling voided it: enabled again, the person needs a new link
      expect((await admin.req('PATCH', `/api/users/${p.id}`, { disabled: false })).status).toBe(200);
      expect((await lookup(link.token)).status).toBe(404);
      expect((await login(p.email, PASSWORD)).status).toBe(200);
      // so does a password an admin sets: the link would set another one behind it
      const link2 = await issue(p.id);
      expect((await admin.req('PATCH', `/api/users/${p.id}`, { password: 'an admin chose this one' })).status).toBe(200);
      expect((await reset(link2.token)).status).toBe(404);
      expect((await login(p.email, 'an admin chose this one')).status).toBe(200);
    });

    it('leaves two-factor sign-in on: after a reset, sign-in still asks for the code', async () => {
      const p = await person();
      const setup = await p.client.post('/api/me/two-factor/setup', { currentPassword: PASSWORD });
      const secret = setup.json.secret as string;
      const codeOf = () => totp(base32Decode(secret), clock.now());
      expect((await p.client.post('/api/me/two-factor/enable', { code: codeOf() })).status).toBe(200);
      clock.advance(30_000);
      const before = await db().selectFrom('app_user').select(['totp_secret', 'totp_enabled_at', 'totp_recovery']).where('id', '=', p.id).executeTakeFirstOrThrow();

      const link = await issue(p.id);
      expect((await reset(link.token)).status).toBe(204);
      expect(await db().selectFrom('app_user').select(['totp_secret', 'totp_enabled_at', 'totp_recovery']).where('id', '=', p.id).executeTakeFirstOrThrow()).toEqual(before);
      const noCode = await login(p.email, NEW_PASSWORD);
      expect(noCode.status).toBe(401);
      expect(noCode.json.code).toBe('auth.code_required');
      const signedIn = await login(p.email, NEW_PASSWORD, codeOf());
      expect(signedIn.status).toBe(200);
      expect(signedIn.json.user.twoFactor).toBe(true);
    });

    it('limits wrong tokens per address (429 with Retry-After), on both public routes; a link that works is not counted', async () => {
      const p = await person();
      const link = await issue(p.id);
      // a link that works, opened again and again from one address, is never limited
      const home = address();
      for (let i = 0; i < 35; i++) expect((await lookup(link.token, home)).status).toBe(200);

      const guesser = address();
      for (let i = 0; i < 30; i++) {
        const res = i % 2 ? await lookup(`guess-${i}`, guesser) : await reset(`guess-${i}`, NEW_PASSWORD, guesser);
        expect(res.status, `guess ${i}`).toBe(404);
      }
      const limited = await lookup('guess-more', guesser);
      expect(limited.status).toBe(429);
      expect(limited.json.code).toBe('auth.rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await reset('guess-more', NEW_PASSWORD, guesser)).status).toBe(429);
      // even the right token, from that address
      expect((await reset(link.token, NEW_PASSWORD, guesser)).status).toBe(429);
      expect((await lookup(link.token, guesser)).status).toBe(429);
      // from another address it works
      expect((await reset(link.token, NEW_PASSWORD, address())).status).toBe(204);
      // and after the window, the guesser may try again
      clock.advance(10 * 60_000);
      expect((await lookup('guess-again', guesser)).status).toBe(404);
    });

    it('is issued from the command line: parley user reset-password prints a link that works', async () => {
      const p = await person();
      const run = (...args: string[]) => cli('user', 'reset-password', ...args);

      const r = run('--email', p.email.toUpperCase(), '--brand', 'acme', '--public-url', 'https://care.acme.test');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const url = r.stdout.match(/^https:\/\/care\.acme\.test\/reset-password#token=([A-Za-z0-9_-]{43})$/m);
      expect(url, r.stdout).not.toBeNull();
      expect(r.stdout).toMatch(new RegExp(`password reset link for <${p.email.replace('.', '\\.')}> in brand acme \\(shown once; works once, until \\d{4}-\\d\\d-\\d\\dT`));
      const token = url![1]!;
      expect(await lastAudit('user.password_reset_issued')).toMatchObject({ actor: 'system:cli', subject_id: String(p.id) });
      expect(JSON.stringify(await lastAudit('user.password_reset_issued'))).not.toContain(token);
      expect((await lookup(token)).json).toMatchObject({ email: p.email });
      expect((await reset(token)).status).toBe(204);
      expect((await login(p.email, NEW_PASSWORD)).status).toBe(200);

      // without a public URL: the desk's local address, and a word about it
      const local = run('--email', p.email, '--brand', 'acme');
      expect(local.status).toBe(0);
      expect(local.stdout).toMatch(/^http:\/\/localhost:3000\/reset-password#token=[A-Za-z0-9_-]{43}$/m);
      expect(local.stdout).toMatch(/PARLEY_PUBLIC_URL/);

      const nobody = run('--email', 'nobody@acme.test', '--brand', 'acme');
      expect(nobody.status).toBe(1);
      expect(nobody.stderr).toMatch(/no user <nobody@acme\.test> in brand acme/);
      expect(run('--brand', 'acme').status).toBe(2);
      expect(run('--email', p.email, '--brand', 'acme', '--public-url', 'not a url').status).toBe(1);
    });
  });
}
