/**
 * Passkeys over HTTP against a real desk on SQLite and PostgreSQL, with a software authenticator
 * (test/helpers/softAuthenticator.ts: ES256 keys, CBOR attestation objects, signatures as the
 * WebAuthn spec lays them out) and the desk's public URL as its relying party: a person registers
 * (with their password), lists and removes their own; a username-less sign-in makes a session
 * that satisfies the brand's two-factor policy (live events included); every spoiled ceremony
 * (wrong origin, wrong RP ID, a used or expired or another browser's challenge, a bad signature,
 * another person's passkey, a counter that goes backwards, a disabled person, a brand whose
 * provider signs non-admins in) is refused with its code and makes no session; failures count
 * with the address's sign-in attempts, successes do not.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { base32Decode, totp } from '../src/lib/totp.js';
import { sse } from '../src/server/routes/events.js';
import { Client, openEventStream, PASSWORD, startDesk, type TestDesk } from './helpers/parley.js';
import { SoftAuthenticator, type SoftCredential, type Spoil } from './helpers/softAuthenticator.js';

const ORIGIN = 'https://care.acme.test';
/** The live stream's check period, shortened. */
const PERIOD = 150;

for (const dialect of DIALECTS) {
  describe(`passkeys [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    const clock = new ManualClock(Date.UTC(2026, 11, 6, 13, 0, 0));
    let people = 0;
    let ips = 0;
    beforeAll(async () => {
      sse.pingMs = PERIOD;
      desk = await startDesk(dialect, { clock, workers: false, config: { trustProxy: 'true', publicUrl: ORIGIN } });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => {
      sse.pingMs = 15_000;
      await desk?.stop();
    });

    const db = () => desk.db.store.db;
    /** An address of its own, so one test's sign-in counts do not touch another's. */
    const newIp = () => `198.51.100.${++ips}`;
    const person = async (role: 'agent' | 'admin' = 'agent') => {
      const email = `pk${++people}@acme.test`;
      const made = await admin.post('/api/users', { email, name: `Passkey ${people}`, role, password: PASSWORD });
      expect(made.status, JSON.stringify(made.json)).toBe(201);
      return { id: made.json.id as number, email, client: await Client.signIn(desk.url, email) };
    };
    const register = async (c: Client, auth: SoftAuthenticator, name = 'laptop', spoil: Spoil = {}) => {
      const options = await c.post('/api/me/passkeys/options', { currentPassword: PASSWORD });
      expect(options.status, JSON.stringify(options.json)).toBe(200);
      const made = auth.create(options.json, spoil);
      const res = await c.post('/api/me/passkeys', { name, response: made.response });
      return { res, credential: made.credential, options: options.json };
    };
    /** A browser: the options (with the cookie that binds them), then its answer. */
    const begin = async (ip = newIp()) => {
      const res = await fetch(`${desk.url}/api/auth/passkey/options`, { method: 'POST', headers: { 'x-forwarded-for': ip } });
      const json = (await res.json()) as any;
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
      return { status: res.status, options: json, cookie, ip };
    };
    /** `held`: the browser's session cookie too (a password session it has signed in with). */
    const answer = async (b: { cookie: string; ip: string }, response: unknown, held?: string) => {
      const cookie = held ? `${b.cookie}; ${held}` : b.cookie;
      const res = await fetch(`${desk.url}/api/auth/passkey`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-forwarded-for': b.ip }, body: JSON.stringify({ response }) });
      const setCookie = res.headers.get('set-cookie') ?? '';
      const session = /parley_session=([^;]+)/.exec(setCookie)?.[1];
      return { status: res.status, json: (await res.json()) as any, session: session && session.length > 0 ? session : undefined };
    };
    const signIn = async (auth: SoftAuthenticator, cred: SoftCredential, spoil: Spoil = {}, ip = newIp(), held?: string) => {
      const b = await begin(ip);
      expect(b.status).toBe(200);
      return answer(b, auth.get(cred, b.options, spoil), held);
    };
    const asSession = (session: string, csrf: string) => {
      const c = new Client(desk.url);
      c.cookie = `parley_session=${session}`;
      c.csrf = csrf;
      return c;
    };
    const lastAudit = (action: string) => db().selectFrom('audit_event').select(['actor', 'subject_id', 'data']).where('action', '=', action).orderBy('id', 'desc').executeTakeFirst();
    const refusedWith = (r: { status: number; json: any; session?: string }, status: number, code: string) => {
      expect(r.json?.code, JSON.stringify(r.json)).toBe(code);
      expect(r.status).toBe(status);
      expect(r.session).toBeUndefined();
    };

    it('registers a passkey (password confirmed), lists it, and signs in with it without an address', async () => {
      const p = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      expect((await p.client.post('/api/me/passkeys/options', { currentPassword: 'not it' })).json.code).toBe('auth.wrong_password');
      const { res, credential, options } = await register(p.client, auth, 'work laptop');
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      expect(res.json).toMatchObject({ name: 'work laptop', lastUsedAt: null, transports: ['internal'] });
      // discoverable, user verified, no attestation, the desk's RP ID
      expect(options).toMatchObject({ rp: { id: 'care.acme.test' }, attestation: 'none', authenticatorSelection: { residentKey: 'required', userVerification: 'required' } });
      expect(JSON.parse((await lastAudit('user.passkey_added'))!.data!)).toMatchObject({ passkeyId: res.json.id, name: 'work laptop' });

      const signed = await signIn(auth, credential);
      expect(signed.status, JSON.stringify(signed.json)).toBe(200);
      expect(signed.session).toBeDefined();
      expect(signed.json.user.id).toBe(p.id);
      const me = await asSession(signed.session!, signed.json.csrfToken).get('/api/me');
      expect(me.status).toBe(200);
      expect(me.json.user.email).toBe(p.email);
      const listed = await p.client.get('/api/me/passkeys');
      expect(listed.json.items).toEqual([expect.objectContaining({ id: res.json.id, name: 'work laptop', lastUsedAt: clock.now() })]);
      expect(await lastAudit('auth.login')).toMatchObject({ actor: `user:${p.id}` });
      expect(JSON.parse((await lastAudit('auth.login'))!.data!)).toMatchObject({ method: 'passkey', passkeyId: res.json.id });
    });

    it('satisfies the brand\'s two-factor policy (and stands in for the person\'s own code), the live stream included', async () => {
      const p = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { credential } = await register(p.client, auth);
      const signed = await signIn(auth, credential);
      expect(signed.status, JSON.stringify(signed.json)).toBe(200);
      const c = asSession(signed.session!, signed.json.csrfToken);
      // streams open before the policy: the periodic check of credentials ends the password session's only
      const byPassword = await Client.signIn(desk.url, p.email);
      // the admin who sets the policy is held by it too: they set it with a passkey session
      const boss = await person('admin');
      const { credential: bosses } = await register(boss.client, auth);
      const bossSigned = await signIn(auth, bosses);
      const secured = asSession(bossSigned.session!, bossSigned.json.csrfToken);
      const [passwordStream, passkeyStream] = [await openEventStream(desk.url, { cookie: byPassword.cookie }), await openEventStream(desk.url, { cookie: c.cookie })];
      expect((await secured.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: true } })).status).toBe(200);
      try {
        expect(await passwordStream.endedWithin(5_000)).toBe(true);
        expect(passwordStream.events().find((e) => e.type === 'signed-out')?.data).toMatchObject({ code: 'two_factor.required' });
        expect(await passkeyStream.endedWithin(PERIOD * 4)).toBe(false);
        expect(passkeyStream.events().some((e) => e.type === 'signed-out')).toBe(false);
        // a password session of the same person is held to the policy
        expect((await byPassword.get('/api/me')).json.twoFactorRequired).toBe(true);
        expect((await byPassword.get('/api/conversations')).json.code).toBe('two_factor.required');
        // the passkey's is not, nor a new one
        expect((await c.get('/api/me')).json.twoFactorRequired).toBe(false);
        expect((await c.get('/api/conversations')).status).toBe(200);
        const again = await signIn(auth, credential);
        expect(again.json.twoFactorRequired).toBe(false);
        expect((await asSession(again.session!, again.json.csrfToken).get('/api/conversations')).status).toBe(200);
      } finally {
        passwordStream.close();
        passkeyStream.close();
        expect((await secured.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: false } })).status).toBe(200);
      }
    });

    it('stands in for the person\'s own second factor (a user-verified passkey is one)', async () => {
      const p = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { credential } = await register(p.client, auth);
      const setup = await p.client.post('/api/me/two-factor/setup', { currentPassword: PASSWORD });
      expect(setup.status).toBe(200);
      expect((await p.client.post('/api/me/two-factor/enable', { code: totp(base32Decode(setup.json.secret), clock.now()) })).status).toBe(200);
      const signed = await signIn(auth, credential);
      expect(signed.status, JSON.stringify(signed.json)).toBe(200);
      expect(signed.json.user.twoFactor).toBe(true);
    });

    it('refuses an answer from another origin or for another RP ID, and makes no session', async () => {
      const p = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { credential } = await register(p.client, auth);
      refusedWith(await signIn(auth, credential, { origin: 'https://care.acme.test.evil.test' }), 401, 'passkey.wrong_origin');
      refusedWith(await signIn(auth, credential, { origin: 'http://care.acme.test' }), 401, 'passkey.wrong_origin');
      refusedWith(await signIn(auth, credential, { rpId: 'evil.test' }), 401, 'passkey.wrong_rp');
      refusedWith(await signIn(auth, credential, { flags: 0x01 }), 401, 'passkey.not_verified');
      refusedWith(await signIn(auth, credential, { type: 'webauthn.create' }), 401, 'passkey.invalid');
      // nor is one registered from another origin, or for another RP ID
      for (const [spoil, code] of [[{ origin: 'https://evil.test' }, 'passkey.wrong_origin'], [{ rpId: 'evil.test' }, 'passkey.wrong_rp'], [{ flags: 0x41 }, 'passkey.not_verified']] as const) {
        const { res } = await register(p.client, new SoftAuthenticator(ORIGIN), 'spoiled', spoil);
        expect(res.json.code, JSON.stringify(res.json)).toBe(code);
      }
      expect((await p.client.get('/api/me/passkeys')).json.items).toHaveLength(1);
    });

    it('takes a challenge once, within 5 minutes, from the browser that asked for it', async () => {
      const p = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { credential } = await register(p.client, auth);
      const b = await begin();
      const response = auth.get(credential, b.options);
      expect((await answer(b, response)).status).toBe(200);
      // replayed
      refusedWith(await answer(b, response), 400, 'passkey.challenge_invalid');
      // another browser's challenge
      const theirs = await begin();
      const mine = await begin();
      refusedWith(await answer(mine, auth.get(credential, theirs.options)), 400, 'passkey.challenge_invalid');
      refusedWith(await answer({ cookie: '', ip: mine.ip }, auth.get(credential, mine.options)), 400, 'passkey.challenge_invalid');
      // expired
      const late = await begin();
      clock.advance(5 * 60_000 + 1);
      refusedWith(await answer(late, auth.get(credential, late.options)), 400, 'passkey.challenge_invalid');
      // a registration challenge is not a sign-in's, and is this session's only
      const reg = await p.client.post('/api/me/passkeys/options', { currentPassword: PASSWORD });
      const fresh = await begin();
      refusedWith(await answer(fresh, auth.get(credential, fresh.options, { challenge: reg.json.challenge })), 400, 'passkey.challenge_invalid');
      const otherSession = await Client.signIn(desk.url, p.email);
      const stolen = await otherSession.post('/api/me/passkeys', { name: 'x', response: new SoftAuthenticator(ORIGIN).create(reg.json).response });
      expect(stolen.json.code).toBe('passkey.challenge_invalid');
    });

    it('refuses a bad signature, and another person\'s passkey under someone else\'s user handle', async () => {
      const ana = await person();
      const ben = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { credential: anas } = await register(ana.client, auth);
      const { credential: bens } = await register(ben.client, auth);
      refusedWith(await signIn(auth, anas, { signWith: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }), 401, 'passkey.bad_signature');
      // Ana's passkey claiming to be Ben's
      refusedWith(await signIn(auth, anas, { userHandle: bens.userHandle }), 401, 'passkey.unknown');
      // a passkey never registered here
      const stranger = { ...anas, id: Buffer.from('never registered') };
      refusedWith(await signIn(auth, stranger), 401, 'passkey.unknown');
      // each still signs in as themselves
      expect((await signIn(auth, anas)).json.user.id).toBe(ana.id);
      expect((await signIn(auth, bens)).json.user.id).toBe(ben.id);
    });

    it('refuses (and audits) a counter that goes backwards', async () => {
      const p = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { credential } = await register(p.client, auth);
      expect((await signIn(auth, credential, { counter: 5 })).status).toBe(200);
      refusedWith(await signIn(auth, credential, { counter: 5 }), 401, 'passkey.counter');
      refusedWith(await signIn(auth, credential, { counter: 2 }), 401, 'passkey.counter');
      const audit = await lastAudit('auth.passkey_counter_regressed');
      expect(Number(audit!.subject_id)).toBe(p.id);
      expect(JSON.parse(audit!.data!)).toMatchObject({ stored: 5, received: 2 });
      expect((await signIn(auth, credential, { counter: 6 })).status).toBe(200);
    });

    it('refuses a disabled person, and a non-admin of a brand whose provider signs its people in', async () => {
      const p = await person();
      const boss = await person('admin');
      const auth = new SoftAuthenticator(ORIGIN);
      const { credential } = await register(p.client, auth);
      const { credential: bosses } = await register(boss.client, auth);
      const provider = await db().insertInto('sso_provider').values({ brand_id: desk.brandId, label: 'Acme IdP', issuer: 'https://idp.acme.test', client_id: 'desk', client_secret: null, allowed_domains: '[]', auto_provision_role: null, password_sign_in: 'admins', trusts_mfa: 0, enabled: 1, created_at: clock.now(), updated_at: clock.now() }).returning('id').executeTakeFirstOrThrow();
      try {
        const held = await signIn(auth, credential);
        refusedWith(held, 403, 'auth.sso_required');
        expect(held.json.provider).toMatchObject({ label: 'Acme IdP' });
        // nor may they register one now
        expect((await p.client.post('/api/me/passkeys/options', { currentPassword: PASSWORD })).json.code).toBe('auth.sso_required');
        // the break-glass admin still signs in
        expect((await signIn(auth, bosses)).status).toBe(200);
      } finally {
        await db().deleteFrom('sso_provider').where('id', '=', provider.id).execute();
      }
      expect((await admin.req('PATCH', `/api/users/${p.id}`, { disabled: true })).status).toBe(200);
      refusedWith(await signIn(auth, credential), 401, 'passkey.account_disabled');
      expect((await admin.req('PATCH', `/api/users/${p.id}`, { disabled: false })).status).toBe(200);
      expect((await signIn(auth, credential)).status).toBe(200);
    });

    it('removes a passkey with the password: it signs in no more, and its other sessions end; nobody lists or removes another\'s', async () => {
      const ana = await person();
      const ben = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { res, credential } = await register(ana.client, auth);
      const { res: second } = await register(ana.client, auth, 'phone');
      await register(ben.client, auth, 'ben\'s');
      const earlier = await signIn(auth, credential);
      expect(earlier.status).toBe(200);
      // Ben sees only his own, and cannot remove Ana's
      expect((await ben.client.get('/api/me/passkeys')).json.items.map((k: { name: string }) => k.name)).toEqual(['ben\'s']);
      expect((await ben.client.post(`/api/me/passkeys/${res.json.id}/remove`, { currentPassword: PASSWORD })).status).toBe(404);
      expect((await ana.client.post(`/api/me/passkeys/${res.json.id}/remove`, { currentPassword: 'not it' })).json.code).toBe('auth.wrong_password');
      expect((await ana.client.get('/api/me/passkeys')).json.items.map((k: { name: string }) => k.name)).toEqual(['phone', 'laptop']);
      const removed = await ana.client.post(`/api/me/passkeys/${res.json.id}/remove`, { currentPassword: PASSWORD });
      expect(removed.status).toBe(204);
      expect(JSON.parse((await lastAudit('user.passkey_removed'))!.data!)).toMatchObject({ passkeyId: res.json.id, sessionsEnded: 1 });
      expect((await ana.client.get('/api/me/passkeys')).json.items.map((k: { id: number }) => k.id)).toEqual([second.json.id]);
      refusedWith(await signIn(auth, credential), 401, 'passkey.unknown');
      expect((await asSession(earlier.session!, earlier.json.csrfToken).get('/api/me')).status).toBe(401);
      // the person's own session (a password's) stays
      expect((await ana.client.get('/api/me')).status).toBe(200);
    });

    it('renames a passkey (1–60 characters, trimmed, kept as typed; audited); nobody renames another\'s', async () => {
      const ana = await person();
      const ben = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { res } = await register(ana.client, auth, 'laptop');
      const id = res.json.id as number;
      const renamed = await ana.client.req('PATCH', `/api/me/passkeys/${id}`, { name: '  <b>Work</b> laptop “A” 🔑  ' });
      expect(renamed.status, JSON.stringify(renamed.json)).toBe(200);
      expect(renamed.json).toMatchObject({ id, name: '<b>Work</b> laptop “A” 🔑' });
      expect((await ana.client.get('/api/me/passkeys')).json.items.map((k: { name: string }) => k.name)).toEqual(['<b>Work</b> laptop “A” 🔑']);
      expect(await lastAudit('user.passkey_renamed')).toMatchObject({ actor: `user:${ana.id}`, subject_id: String(ana.id) });
      expect(JSON.parse((await lastAudit('user.passkey_renamed'))!.data!)).toEqual({ passkeyId: id, before: 'laptop', after: '<b>Work</b> laptop “A” 🔑' });
      // 60 characters (emoji count as one) is the longest; empty, blank, 61 and a line break are refused, nothing changes
      expect((await ana.client.req('PATCH', `/api/me/passkeys/${id}`, { name: '🔑'.repeat(60) })).status).toBe(200);
      for (const name of ['', '   ', 'x'.repeat(61), 'two\nlines']) {
        const r = await ana.client.req('PATCH', `/api/me/passkeys/${id}`, { name });
        expect(r.status, JSON.stringify(name)).toBe(400);
        expect(r.json.code).toBe('passkey.invalid_name');
      }
      expect((await ana.client.req('PATCH', `/api/me/passkeys/${id}`, { name: 42 })).status).toBe(400);
      expect((await ana.client.get('/api/me/passkeys')).json.items[0].name).toBe('🔑'.repeat(60));
      // the same name again: nothing to audit
      const audits = async () => (await db().selectFrom('audit_event').select('id').where('action', '=', 'user.passkey_renamed').where('subject_id', '=', String(ana.id)).execute()).length;
      const before = await audits();
      expect((await ana.client.req('PATCH', `/api/me/passkeys/${id}`, { name: '🔑'.repeat(60) })).status).toBe(200);
      expect(await audits()).toBe(before);
      // another's: 404, unchanged
      expect((await ben.client.req('PATCH', `/api/me/passkeys/${id}`, { name: 'mine now' })).status).toBe(404);
      expect((await ana.client.get('/api/me/passkeys')).json.items[0].name).toBe('🔑'.repeat(60));
      // an API token renames none
      const made = await admin.post('/api/tokens', { name: 'renamer' });
      const byToken = await fetch(`${desk.url}/api/me/passkeys/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${made.json.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'token' }) });
      expect(byToken.status).toBe(403);
    });

    it('lets someone the two-factor policy holds add a passkey; the session they added it in stays held, and a sign-in with it in the same browser goes on and ends that session', async () => {
      const boss = await person('admin');
      const bossAuth = new SoftAuthenticator(ORIGIN);
      const bossSigned = await signIn(bossAuth, (await register(boss.client, bossAuth)).credential);
      const secured = asSession(bossSigned.session!, bossSigned.json.csrfToken);
      const p = await person();
      expect((await secured.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: true } })).status).toBe(200);
      try {
        expect((await p.client.get('/api/me')).json.twoFactorRequired).toBe(true);
        expect((await p.client.get('/api/conversations')).json.code).toBe('two_factor.required');
        // the forced set-up screen's "Add a passkey": allowed while held
        const auth = new SoftAuthenticator(ORIGIN);
        const { res, credential } = await register(p.client, auth, 'phone');
        expect(res.status, JSON.stringify(res.json)).toBe(201);
        expect((await p.client.get('/api/me/passkeys')).json.items).toHaveLength(1);
        // the server is the authority: having a passkey does not make this password session one signed in with it
        expect((await p.client.get('/api/me')).json.twoFactorRequired).toBe(true);
        expect((await p.client.get('/api/conversations')).json.code).toBe('two_factor.required');
        // renaming is not among what a held session may do
        expect((await p.client.req('PATCH', `/api/me/passkeys/${res.json.id}`, { name: 'x' })).json.code).toBe('two_factor.required');
        // "Sign in with your passkey" in the same browser goes on, and ends the held password session
        // there and then (its cookie is replaced): no row lingers, usable for nothing, until it expires
        const sessionsOf = async () => (await db().selectFrom('session').select(['id', 'passkey_id']).where('user_id', '=', p.id).execute());
        expect(await sessionsOf()).toHaveLength(1);
        // another browser of theirs, held too, is not this browser's to end
        const elsewhere = await Client.signIn(desk.url, p.email);
        const signed = await signIn(auth, credential, {}, newIp(), p.client.cookie);
        expect(signed.status).toBe(200);
        expect(signed.json.twoFactorRequired).toBe(false);
        expect((await asSession(signed.session!, signed.json.csrfToken).get('/api/conversations')).status).toBe(200);
        const left = await sessionsOf();
        expect(left.map((r) => r.passkey_id)).toEqual(expect.arrayContaining([res.json.id, null]));
        expect(left).toHaveLength(2);
        expect((await p.client.get('/api/me')).json.code).toBe('auth.session_expired');
        // signing out of a held session ends it too
        expect((await elsewhere.post('/api/auth/logout', {})).status).toBe(204);
        expect((await sessionsOf()).map((r) => r.passkey_id)).toEqual([res.json.id]);
      } finally {
        expect((await secured.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: false } })).status).toBe(200);
      }
    });

    it('counts failures with the address\'s sign-in attempts; successes are taken back', async () => {
      const p = await person();
      const auth = new SoftAuthenticator(ORIGIN);
      const { credential } = await register(p.client, auth);
      const good = newIp();
      for (let i = 0; i < 20; i++) expect((await signIn(auth, credential, {}, good)).status).toBe(200);
      const bad = newIp();
      let limited: { status: number; json: any } | undefined;
      for (let i = 0; i < 20 && !limited; i++) {
        const b = await begin(bad);
        if (b.status === 429) {
          limited = { status: b.status, json: b.options };
          break;
        }
        const r = await answer(b, auth.get(credential, b.options, { origin: 'https://evil.test' }));
        if (r.status === 429) limited = r;
        else expect(r.json.code).toBe('passkey.wrong_origin');
      }
      expect(limited).toMatchObject({ status: 429, json: { code: 'auth.rate_limited' } });
      // the right passkey from that address waits too; another address is not held
      expect((await begin(bad)).status).toBe(429);
      expect((await signIn(auth, credential, {}, good)).status).toBe(200);
    });

    it('keeps passkeys to the person signed in: an API token manages none', async () => {
      const made = await admin.post('/api/tokens', { name: 'crm' });
      const asToken = (path: string, body: unknown) => fetch(`${desk.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${made.json.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await asToken('/api/me/passkeys/options', { currentPassword: PASSWORD })).status).toBe(403);
    });
  });
}
