/**
 * Two-factor sign-in (RFC 6238 TOTP and recovery codes), over HTTP against a real desk on SQLite
 * and PostgreSQL, with the desk's clock in the test's hand so the codes are computed here from the
 * secret: setup needs a session and the password; turning it on needs a code from the app; then a
 * sign-in needs a code, a wrong one counts as a failed attempt, a code is good once (a replay, or
 * two sign-ins racing with one code, is refused), a recovery code once; turning it off and renewing
 * recovery codes need the password and a code; an admin of the brand (or `parley user reset-2fa`)
 * clears it and signs the person out. The secret is stored sealed.
 */
import { describe, expect, it } from 'vitest';
import { useSecondFactor } from '../src/commands/twoFactor.js';
import { DIALECTS } from './db.js';
import { authDesk, totpCode, turnOnTwoFactor } from './helpers/authDesk.js';
import { Client, PASSWORD, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`two-factor sign-in [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ips = 0;
    const { clock, person, otherBrandAdmin, cli } = authDesk(dialect, 'p', (d, a) => { desk = d; admin = a; });

    const db = () => desk.db.store.db;
    const codeOf = (secret: string, at = clock.now()) => totpCode(clock, secret, at);
    /** The next 30 s step (a code of the step before is then still taken, but a new one is due). */
    const nextStep = () => clock.advance(30_000);
    /** Each test signs in from its own address: the sign-in limits of one do not touch another's. */
    const newAddress = () => `198.51.100.${++ips}`;

    async function login(email: string, body: { password?: string; code?: string } = {}, ip = newAddress()) {
      const res = await fetch(`${desk.url}/api/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ email, password: body.password ?? PASSWORD, ...(body.code !== undefined ? { code: body.code } : {}) }),
      });
      return { status: res.status, json: (await res.json()) as any, cookie: res.headers.get('set-cookie') };
    }

    const row = (id: number) => db().selectFrom('app_user').select(['totp_secret', 'totp_enabled_at', 'totp_last_step', 'totp_recovery']).where('id', '=', id).executeTakeFirstOrThrow();
    const lastAudit = (action: string) => db().selectFrom('audit_event').select(['actor', 'subject_id', 'data']).where('action', '=', action).orderBy('id', 'desc').executeTakeFirst();

    it('is in the OpenAPI document: the routes, the sign-in code, twoFactor on the user', async () => {
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      for (const path of ['setup', 'enable', 'disable', 'recovery-codes']) expect(doc.paths[`/api/me/two-factor/${path}`]?.post, path).toBeDefined();
      expect(doc.paths['/api/users/{id}/two-factor/reset']?.post).toBeDefined();
      expect(doc.paths['/api/auth/login'].post.requestBody.content['application/json'].schema.properties.code).toMatchObject({ type: 'string', maxLength: 64 });
      expect(JSON.stringify(doc.paths['/api/me'].get.responses['200'])).toContain('twoFactor');
    });

    it('sets up only in a session (an API token gets 403), with the right password; the secret is stored sealed', async () => {
      const token = await admin.post('/api/tokens', { name: 'integration' });
      expect(token.status).toBe(201);
      const viaToken = await fetch(`${desk.url}/api/me/two-factor/setup`, { method: 'POST', headers: { authorization: `Bearer ${token.json.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: PASSWORD }) });
      expect(viaToken.status).toBe(403);
      expect((await db().selectFrom('app_user').select('totp_secret').where('email', '=', 'admin@acme.test').executeTakeFirstOrThrow()).totp_secret).toBeNull();

      const p = await person();
      const wrong = await p.client.post('/api/me/two-factor/setup', { currentPassword: 'not the password' });
      expect(wrong.status).toBe(403);
      expect(wrong.json.code).toBe('auth.wrong_password');
      expect((await row(p.id)).totp_secret).toBeNull();

      const setup = await p.client.post('/api/me/two-factor/setup', { currentPassword: PASSWORD });
      expect(setup.status).toBe(200);
      const secret = setup.json.secret as string;
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(setup.json.uri).toBe(`otpauth://totp/Parley:${encodeURIComponent(p.email)}?secret=${secret}&issuer=Parley&algorithm=SHA1&digits=6&period=30`);
      const stored = (await row(p.id)).totp_secret!;
      expect(stored).toMatch(/^v1:/);
      expect(stored.toUpperCase()).not.toContain(secret);
      // pending: not on yet, and the password alone still signs in
      expect((await p.client.get('/api/me')).json.user.twoFactor).toBe(false);
      expect((await login(p.email)).status).toBe(200);

      // again: a new secret replaces the pending one
      const again = await p.client.post('/api/me/two-factor/setup', { currentPassword: PASSWORD });
      expect(again.json.secret).not.toBe(secret);
      expect((await row(p.id)).totp_secret).not.toBe(stored);
    });

    it('turns on only with a right code from the pending secret; signs out the person\'s other sessions', async () => {
      const p = await person();
      expect((await p.client.post('/api/me/two-factor/enable', { code: '123456' })).json.code).toBe('two_factor.not_set_up');
      const setup = await p.client.post('/api/me/two-factor/setup', { currentPassword: PASSWORD });
      const secret = setup.json.secret as string;
      const other = await Client.signIn(desk.url, p.email);

      const wrongCode = String((Number(codeOf(secret)) + 1) % 1_000_000).padStart(6, '0');
      const refused = await p.client.post('/api/me/two-factor/enable', { code: wrongCode });
      expect(refused.status).toBe(403);
      expect(refused.json.code).toBe('two_factor.wrong_code');
      expect(await row(p.id)).toMatchObject({ totp_enabled_at: null, totp_recovery: null });
      expect((await other.get('/api/me')).status).toBe(200);
      // a code of an old step (two steps back) is refused too
      expect((await p.client.post('/api/me/two-factor/enable', { code: codeOf(secret, clock.now() - 60_000) })).status).toBe(403);
      expect((await login(p.email)).status).toBe(200);

      const on = await p.client.post('/api/me/two-factor/enable', { code: codeOf(secret) });
      expect(on.status).toBe(200);
      expect(on.json.recoveryCodes).toHaveLength(10);
      for (const c of on.json.recoveryCodes) expect(c).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
      const stored = await row(p.id);
      expect(stored.totp_enabled_at).toBe(clock.now());
      // only hashes of the recovery codes are kept
      for (const c of on.json.recoveryCodes) expect(stored.totp_recovery).not.toContain(c.replace('-', ''));
      expect(JSON.parse(stored.totp_recovery!)).toHaveLength(10);
      expect((await other.get('/api/me')).status).toBe(401);
      expect((await p.client.get('/api/me')).json.user.twoFactor).toBe(true);
      expect((await p.client.post('/api/me/two-factor/setup', { currentPassword: PASSWORD })).json.code).toBe('two_factor.enabled');
      expect((await p.client.post('/api/me/two-factor/enable', { code: codeOf(secret) })).json.code).toBe('two_factor.enabled');
      expect(await lastAudit('user.two_factor_enabled')).toMatchObject({ actor: `user:${p.id}`, subject_id: String(p.id) });
      // and the list of people shows who has it on
      const list = await admin.get('/api/users');
      expect(list.json.items.find((u: any) => u.id === p.id).twoFactor).toBe(true);
      expect(list.json.items.find((u: any) => u.email === 'ana@acme.test').twoFactor).toBe(false);
    });

    it('then signs in only with a right code, each code once', async () => {
      const p = await person();
      const { secret } = await turnOnTwoFactor(p.client, clock);

      const noCode = await login(p.email);
      expect(noCode.status).toBe(401);
      expect(noCode.json.code).toBe('auth.code_required');
      expect(noCode.cookie).toBeNull();
      // an empty code is no code
      expect((await login(p.email, { code: '  ' })).json.code).toBe('auth.code_required');
      // the password is checked first, whatever the code
      const badPassword = await login(p.email, { password: 'not the password', code: codeOf(secret) });
      expect(badPassword.json.code).toBe('auth.invalid_credentials');
      // a code from the step the enabling used is spent
      const spent = await login(p.email, { code: codeOf(secret, clock.now() - 30_000) });
      expect(spent.status).toBe(401);
      expect(spent.json.code).toBe('auth.invalid_code');
      expect(spent.cookie).toBeNull();

      const code = codeOf(secret);
      const ok = await login(p.email, { code: `${code.slice(0, 3)} ${code.slice(3)}` });
      expect(ok.status).toBe(200);
      expect(ok.cookie).toMatch(/^parley_session=/);
      expect(ok.json.user.twoFactor).toBe(true);
      expect(JSON.parse(String((await lastAudit('auth.login'))!.data))).toMatchObject({ secondFactor: 'totp' });
      // the same code again, in the same step: a replay
      const replay = await login(p.email, { code });
      expect(replay.status).toBe(401);
      expect(replay.json.code).toBe('auth.invalid_code');

      // two sign-ins racing with one fresh code: one passes
      nextStep();
      const fresh = codeOf(secret);
      const raced = await Promise.all([login(p.email, { code: fresh }), login(p.email, { code: fresh })]);
      expect(raced.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('takes one code once when uses of it race (the conditional UPDATE, not only the check before it)', async () => {
      const p = await person();
      const { secret, recoveryCodes } = await turnOnTwoFactor(p.client, clock);
      const deps = { db: db(), secrets: desk.parley.services.secrets };
      // each use reads the row before any of them writes: only the write's condition tells them apart
      const totpUses = await Promise.all(Array.from({ length: 5 }, () => useSecondFactor(deps, p.id, codeOf(secret), clock.now())));
      expect(totpUses.filter((f) => f === 'totp')).toHaveLength(1);
      const recoveryUses = await Promise.all(Array.from({ length: 5 }, () => useSecondFactor(deps, p.id, recoveryCodes[0]!, clock.now())));
      expect(recoveryUses.filter((f) => f === 'recovery')).toHaveLength(1);
      expect(JSON.parse((await row(p.id)).totp_recovery!)).toHaveLength(9);
    });

    it('takes a recovery code once, in any case, with spaces or without the dash', async () => {
      const p = await person();
      const { recoveryCodes } = await turnOnTwoFactor(p.client, clock);
      const [first, second] = recoveryCodes as [string, string];
      const typed = ` ${first.toUpperCase().replace('-', ' ')} `;
      const ok = await login(p.email, { code: typed });
      expect(ok.status).toBe(200);
      expect(JSON.parse(String((await lastAudit('auth.login'))!.data))).toMatchObject({ secondFactor: 'recovery' });
      expect(JSON.parse((await row(p.id)).totp_recovery!)).toHaveLength(9);
      const again = await login(p.email, { code: first });
      expect(again.status).toBe(401);
      expect(again.json.code).toBe('auth.invalid_code');
      expect((await login(p.email, { code: second.replace('-', '') })).status).toBe(200);
      expect((await login(p.email, { code: 'zzzzz-zzzzz' })).json.code).toBe('auth.invalid_code');
    });

    it('counts a wrong code as a failed sign-in (429 after enough), but not a missing one', async () => {
      const p = await person();
      const { secret } = await turnOnTwoFactor(p.client, clock);
      const ip = newAddress();
      // asking for the code is not a failure: as many as the limit and more
      for (let i = 0; i < 12; i++) expect((await login(p.email, {}, ip)).json.code).toBe('auth.code_required');
      const wrong = String((Number(codeOf(secret)) + 500_000) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 9; i++) expect((await login(p.email, { code: wrong }, ip)).json.code).toBe('auth.invalid_code');
      // the password alone between wrong codes does not wipe them out: the 10th wrong code is the last
      expect((await login(p.email, {}, ip)).json.code).toBe('auth.code_required');
      expect((await login(p.email, { code: wrong }, ip)).json.code).toBe('auth.invalid_code');
      const limited = await login(p.email, { code: codeOf(secret) }, ip);
      expect(limited.status).toBe(429);
      expect(limited.json.code).toBe('auth.rate_limited');
      expect((await login(p.email, {}, ip)).status).toBe(429);
      // from another address, the right code signs in
      expect((await login(p.email, { code: codeOf(secret) })).status).toBe(200);
    });

    it('turns off only with the password and a code', async () => {
      const p = await person();
      const { secret, recoveryCodes } = await turnOnTwoFactor(p.client, clock);
      const wrongPassword = await p.client.post('/api/me/two-factor/disable', { currentPassword: 'not the password', code: codeOf(secret) });
      expect(wrongPassword.status).toBe(403);
      expect(wrongPassword.json.code).toBe('auth.wrong_password');
      const wrongCode = await p.client.post('/api/me/two-factor/disable', { currentPassword: PASSWORD, code: 'zzzzz-zzzzz' });
      expect(wrongCode.status).toBe(403);
      expect(wrongCode.json.code).toBe('two_factor.wrong_code');
      expect((await row(p.id)).totp_enabled_at).not.toBeNull();

      const off = await p.client.post('/api/me/two-factor/disable', { currentPassword: PASSWORD, code: recoveryCodes[3]! });
      expect(off.status).toBe(204);
      expect(await row(p.id)).toEqual({ totp_secret: null, totp_enabled_at: null, totp_last_step: null, totp_recovery: null });
      expect((await p.client.get('/api/me')).json.user.twoFactor).toBe(false);
      expect(await lastAudit('user.two_factor_disabled')).toMatchObject({ actor: `user:${p.id}` });
      expect((await login(p.email)).status).toBe(200);
      const notOn = await p.client.post('/api/me/two-factor/disable', { currentPassword: PASSWORD, code: codeOf(secret) });
      expect(notOn.status).toBe(409);
      expect(notOn.json.code).toBe('two_factor.not_enabled');
    });

    it('renews the recovery codes with the password and a code: the old ones stop working', async () => {
      const p = await person();
      const { secret, recoveryCodes: old } = await turnOnTwoFactor(p.client, clock);
      expect((await p.client.post('/api/me/two-factor/recovery-codes', { currentPassword: 'nope', code: codeOf(secret) })).json.code).toBe('auth.wrong_password');
      expect((await p.client.post('/api/me/two-factor/recovery-codes', { currentPassword: PASSWORD, code: '000000' === codeOf(secret) ? '111111' : '000000' })).json.code).toBe('two_factor.wrong_code');
      const renewed = await p.client.post('/api/me/two-factor/recovery-codes', { currentPassword: PASSWORD, code: codeOf(secret) });
      expect(renewed.status).toBe(200);
      const fresh = renewed.json.recoveryCodes as string[];
      expect(fresh).toHaveLength(10);
      expect(fresh.filter((c) => old.includes(c))).toEqual([]);
      expect((await login(p.email, { code: old[0]! })).json.code).toBe('auth.invalid_code');
      expect((await login(p.email, { code: fresh[0]! })).status).toBe(200);
      expect(await lastAudit('user.two_factor_recovery_codes')).toMatchObject({ actor: `user:${p.id}` });
    });

    it('is cleared by an admin of the brand (not another brand\'s, not a non-admin), which signs the person out', async () => {
      const p = await person();
      const { secret } = await turnOnTwoFactor(p.client, clock);
      const otherAdmin = await otherBrandAdmin();
      const ben = await Client.signIn(desk.url, 'ben@acme.test');

      expect((await otherAdmin.post(`/api/users/${p.id}/two-factor/reset`)).status).toBe(404);
      const notAdmin = await ben.post(`/api/users/${p.id}/two-factor/reset`);
      expect(notAdmin.status).toBe(403);
      expect((await admin.post('/api/users/987654321/two-factor/reset')).status).toBe(404);
      expect((await row(p.id)).totp_enabled_at).not.toBeNull();
      expect((await p.client.get('/api/me')).status).toBe(200);

      const reset = await admin.post(`/api/users/${p.id}/two-factor/reset`);
      expect(reset.status).toBe(204);
      expect(await row(p.id)).toEqual({ totp_secret: null, totp_enabled_at: null, totp_last_step: null, totp_recovery: null });
      expect((await p.client.get('/api/me')).status).toBe(401);
      expect(await lastAudit('user.two_factor_reset')).toMatchObject({ subject_id: String(p.id) });
      expect((await admin.get('/api/users')).json.items.find((u: any) => u.id === p.id).twoFactor).toBe(false);
      const signIn = await login(p.email);
      expect(signIn.status).toBe(200);
      expect(signIn.json.user.twoFactor).toBe(false);
      expect((await admin.post(`/api/users/${p.id}/two-factor/reset`)).json.code).toBe('two_factor.not_enabled');
      // not their own: an admin turns theirs off with their password and a code
      const a2 = await person('admin');
      await turnOnTwoFactor(a2.client, clock);
      expect((await a2.client.post(`/api/users/${a2.id}/two-factor/reset`)).status).toBe(403);
      void secret;
    });

    it('is cleared from the command line: parley user reset-2fa', async () => {
      const p = await person();
      await turnOnTwoFactor(p.client, clock);
      const run = (...args: string[]) => cli('user', 'reset-2fa', ...args);

      const r = run('--email', p.email.toUpperCase(), '--brand', 'acme');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`two-factor sign-in of <${p.email}> in brand acme is off; 1 session(s) signed out`);
      expect((await row(p.id)).totp_enabled_at).toBeNull();
      expect((await p.client.get('/api/me')).status).toBe(401);
      expect(await lastAudit('user.two_factor_reset')).toMatchObject({ actor: 'system:cli', subject_id: String(p.id) });
      expect((await login(p.email)).status).toBe(200);

      const again = run('--email', p.email, '--brand', 'acme');
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/two-factor sign-in is not turned on/);
      const nobody = run('--email', 'nobody@acme.test', '--brand', 'acme');
      expect(nobody.status).toBe(1);
      expect(nobody.stderr).toMatch(/no user <nobody@acme\.test> in brand acme/);
      expect(run('--brand', 'acme').status).toBe(2);
    });
  });
}
