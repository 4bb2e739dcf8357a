/**
 * Live event streams end when what opened them no longer signs anyone in, on SQLite and
 * PostgreSQL: a session signed out in another tab, its person disabled, their password changed
 * (by them elsewhere, by an admin, or with a reset link), two-factor sign-in turned on
 * elsewhere, the session expired; the brand's policy now requiring two-factor sign-in of a
 * session without it (one signed in with a single sign-on provider trusted to enforce MFA
 * passes, as at a request); an API token revoked or expired. Each such stream gets a last `signed-out`
 * event (the `code` a request would now be refused with, and why) and is closed within the
 * check period (`sse.pingMs`, shortened here); streams whose session is still fine stay open.
 * The check is one query a period for all the streams of the process, however many.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompiledQuery } from 'kysely';
import { createParley } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/store/db.js';
import { createSession, SESSION_COOKIE, SESSION_TTL_MS } from '../src/server/auth.js';
import { base32Decode, totp } from '../src/lib/totp.js';
import { DIALECTS } from './db.js';
import { Client, mention, openEventStream, PASSWORD, type EventStream } from './helpers/parley.js';
import { expectSignedOut as expectSignedOutWithin, sessionDesk, sleep } from './helpers/sessionStreams.js';

const PERIOD = 200;

/** Within a few periods (a check may be under way when the session ends). */
const SOON = PERIOD * 6;

/** The stream got `signed-out` with this data as its last event, and the server ended it. */
const expectSignedOut = (s: EventStream, why: { code: string; reason: string }) => expectSignedOutWithin(s, why, SOON);

/** Still open, and still hearing from the server (pings) a few periods on. */
async function expectOpen(...streams: EventStream[]) {
  const before = streams.map((s) => s.events().length);
  await sleep(PERIOD * 3);
  streams.forEach((s, i) => {
    expect(s.ended()).toBe(false);
    expect(s.events().some((e) => e.type === 'signed-out')).toBe(false);
    expect(s.events().length).toBeGreaterThan(before[i]!);
  });
}

for (const dialect of DIALECTS) {
  describe(`live streams end with their session [${dialect}]`, () => {
    const d = sessionDesk(dialect, { period: PERIOD, at: Date.UTC(2026, 11, 1, 10, 0, 10) });
    const { stream, person } = d;
    const newToken = async (expiresInDays?: number) => {
      const made = await d.admin.post('/api/tokens', { name: `t${Math.random()}`, ...(expiresInDays ? { expiresInDays } : {}) });
      expect(made.status).toBe(201);
      return { raw: made.json.token as string, id: made.json.id as number };
    };

    it('signed out in another tab (the same cookie): signed-out, closed; a colleague\'s stream stays', async () => {
      const p = await person();
      const [mine, colleague] = [await stream(p.client), await stream(d.admin)];
      expect((await p.client.post('/api/auth/logout')).status).toBe(204);
      await expectSignedOut(mine, { code: 'auth.session_expired', reason: 'signed-out' });
      await expectOpen(colleague);
    });

    it('disabled by an admin: signed-out (disabled); the admin\'s own stream stays', async () => {
      const p = await person();
      const [theirs, admins] = [await stream(p.client), await stream(d.admin)];
      expect((await d.admin.req('PATCH', `/api/users/${p.id}`, { disabled: true })).status).toBe(200);
      await expectSignedOut(theirs, { code: 'auth.session_expired', reason: 'disabled' });
      await expectOpen(admins);
    });

    it('their password changed in another session: that one\'s stream ends, the changing session\'s stays', async () => {
      const p = await person();
      const other = await Client.signIn(d.desk.url, p.email);
      const [elsewhere, here] = [await stream(p.client), await stream(other)];
      expect((await other.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'another long password' })).status).toBe(204);
      await expectSignedOut(elsewhere, { code: 'auth.session_expired', reason: 'signed-out' });
      await expectOpen(here);
    });

    it('a new password set by an d.admin, and one chosen with a reset link: their streams end', async () => {
      const p = await person();
      const s1 = await stream(p.client);
      expect((await d.admin.req('PATCH', `/api/users/${p.id}`, { password: 'set by the admin' })).status).toBe(200);
      await expectSignedOut(s1, { code: 'auth.session_expired', reason: 'signed-out' });

      const again = await Client.signIn(d.desk.url, p.email, 'set by the admin');
      const s2 = await stream(again);
      const link = await d.admin.post(`/api/users/${p.id}/password-reset`);
      expect(link.status).toBe(200);
      const reset = await fetch(`${d.desk.url}/api/auth/password-reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: link.json.token, newPassword: 'chosen with the link' }) });
      expect(reset.status).toBe(204);
      await expectSignedOut(s2, { code: 'auth.session_expired', reason: 'signed-out' });
    });

    /** An admin with two-factor sign-in on (turned on in the test below), who can set the policy. */
    let secured: Client;
    it('two-factor sign-in turned on in another session: the other sessions\' streams end, the one that turned it on stays', async () => {
      const p = await person('admin');
      const other = await Client.signIn(d.desk.url, p.email);
      const [elsewhere, here] = [await stream(p.client), await stream(other)];
      const setup = await other.post('/api/me/two-factor/setup', { currentPassword: PASSWORD });
      expect(setup.status).toBe(200);
      const enabled = await other.post('/api/me/two-factor/enable', { code: totp(base32Decode(setup.json.secret), d.clock.now()) });
      expect(enabled.status).toBe(200);
      d.clock.advance(30_000);
      await expectSignedOut(elsewhere, { code: 'auth.session_expired', reason: 'signed-out' });
      await expectOpen(here);
      secured = other;
    });

    it('the brand now requires two-factor sign-in: streams of sessions without it end with two_factor.required; with it, and API tokens, stay', async () => {
      const p = await person();
      const token = await newToken();
      const [without, withIt, machine] = [await stream(p.client), await stream(secured), await stream(token.raw)];
      await expectOpen(without, withIt, machine);
      expect((await secured.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: true } })).status).toBe(200);
      try {
        await expectSignedOut(without, { code: 'two_factor.required', reason: 'two-factor-required' });
        await expectOpen(withIt, machine);
        // as a request would be: refused
        expect((await fetch(`${d.desk.url}/api/events`, { headers: { cookie: p.client.cookie } })).status).toBe(403);
      } finally {
        expect((await secured.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: false } })).status).toBe(200);
      }
    });

    it('under the policy, a session signed in with a single sign-on provider trusted to enforce MFA stays; one whose provider is not trusted ends', async () => {
      const db = d.desk.db.store.db;
      const provider = (trusts: number) =>
        db.insertInto('sso_provider').values({ brand_id: d.desk.brandId, label: `IdP ${trusts}`, issuer: `https://idp${trusts}.test`, client_id: 'parley', client_secret: null, allowed_domains: '[]', auto_provision_role: null, password_sign_in: 'everyone', trusts_mfa: trusts, enabled: 1, created_at: d.clock.now(), updated_at: d.clock.now() }).returning('id').executeTakeFirstOrThrow();
      const [trusted, untrusted] = [await provider(1), await provider(0)];
      const p = await person();
      const user = await db.selectFrom('app_user').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
      const signedInWith = async (ssoProviderId: number) => Object.assign(new Client(d.desk.url), { cookie: `${SESSION_COOKIE}=${(await createSession(d.desk.db.store, user, d.clock.now(), { ssoProviderId })).cookie}` });
      const [mfaBySso, notBySso] = [await stream(await signedInWith(trusted.id)), await stream(await signedInWith(untrusted.id))];
      expect((await secured.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: true } })).status).toBe(200);
      try {
        await expectSignedOut(notBySso, { code: 'two_factor.required', reason: 'two-factor-required' });
        await expectOpen(mfaBySso);
      } finally {
        expect((await secured.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: false } })).status).toBe(200);
      }
    });

    it('their role changed: the stream ends with role-changed; the next one carries what the new role may read', async () => {
      const p = await person();
      const [theirs, admins] = [await stream(p.client), await stream(d.admin)];
      expect((await d.admin.req('PATCH', `/api/users/${p.id}`, { role: 'expert' })).status).toBe(200);
      expect(await theirs.endedWithin(SOON)).toBe(true);
      expect(theirs.events().at(-1)).toEqual({ type: 'role-changed', data: { role: 'expert' } });
      expect(theirs.events().some((e) => e.type === 'signed-out')).toBe(false);
      await expectOpen(admins);
      // an expert hears only the conversations they are asked about: a new mention reaches the
      // admin's stream, not the new stream of the expert they became
      const again = await stream(p.client);
      const text = `@AcmeCare not for experts ${Math.random()}`;
      expect((await d.admin.post('/api/ingest/messages', { channelAccountId: d.desk.accountId, messages: [mention({ text })] })).status).toBe(200);
      const heard = (s: EventStream) => s.events().some((e) => e.type === 'message.created' && JSON.stringify(e.data).includes(text));
      for (let i = 0; i < 50 && !heard(admins); i++) await sleep(50);
      expect(heard(admins)).toBe(true);
      await sleep(PERIOD);
      expect(heard(again)).toBe(false);
      await expectOpen(again);
    });

    it('a token\'s person no longer an admin: its stream ends with role-changed too', async () => {
      const p = await person('admin');
      const made = await p.client.post('/api/tokens', { name: `t${Math.random()}` });
      expect(made.status).toBe(201);
      const s = await stream(made.json.token as string);
      expect((await d.admin.req('PATCH', `/api/users/${p.id}`, { role: 'agent' })).status).toBe(200);
      expect(await s.endedWithin(SOON)).toBe(true);
      expect(s.events().at(-1)).toEqual({ type: 'role-changed', data: { role: 'agent' } });
    });

    it('an API token revoked: its stream ends (auth.invalid_token); another token\'s stays', async () => {
      const [gone, kept] = [await newToken(), await newToken()];
      const [s1, s2] = [await stream(gone.raw), await stream(kept.raw)];
      expect((await d.admin.req('DELETE', `/api/tokens/${gone.id}`)).status).toBeLessThan(300);
      await expectSignedOut(s1, { code: 'auth.invalid_token', reason: 'revoked' });
      await expectOpen(s2);
    });

    it('50 streams are checked with one query a period; those whose sessions end go, the rest stay', async () => {
      const db = d.desk.db.store.db;
      const ben = await db.selectFrom('app_user').selectAll().where('id', '=', d.desk.users.ben).executeTakeFirstOrThrow();
      const cleo = await db.selectFrom('app_user').selectAll().where('id', '=', d.desk.users.approver).executeTakeFirstOrThrow();
      const sessions = await Promise.all(Array.from({ length: 50 }, (_, i) => createSession(d.desk.db.store, i % 2 ? ben : cleo, d.clock.now(), {})));
      const streams = await Promise.all(sessions.map((x) => stream(Object.assign(new Client(d.desk.url), { cookie: `${SESSION_COOKIE}=${x.cookie}` }))));
      // every statement the desk sends that reads sessions, from now on
      const executor = db.getExecutor();
      const execute = executor.executeQuery.bind(executor);
      const seen: string[] = [];
      executor.executeQuery = ((q: CompiledQuery) => {
        if (/from "session"/.test(q.sql)) seen.push(q.sql);
        return execute(q);
      }) as typeof executor.executeQuery;
      try {
        await sleep(PERIOD * 10);
        // one a period (timers may bunch by one either way), not one per stream
        expect(seen.length).toBeGreaterThanOrEqual(7);
        expect(seen.length).toBeLessThanOrEqual(12);
        expect(streams.every((s) => !s.ended())).toBe(true);
        // half of them signed out elsewhere (another process, say): gone at the next check
        const ids = await db.selectFrom('session').select('id').where('user_id', '=', ben.id).execute();
        await db.deleteFrom('session').where('id', 'in', ids.map((r) => r.id)).execute();
        const n = seen.length;
        const ended = await Promise.all(streams.map((s) => s.endedWithin(SOON)));
        expect(ended.filter(Boolean)).toHaveLength(25);
        expect(streams.filter((_, i) => i % 2).every((s) => s.events().at(-1)?.type === 'signed-out')).toBe(true);
        expect(seen.length - n).toBeLessThanOrEqual(SOON / PERIOD + 1);
        await expectOpen(...streams.filter((_, i) => !(i % 2)));
      } finally {
        executor.executeQuery = execute;
        for (const s of streams) s.close();
      }
    });

    it.runIf(dialect === 'postgres')('signed out through another process on the same database: the stream held by this one ends', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-data-'));
      const store = await openStore({ databaseUrl: d.desk.db.databaseUrl! });
      // another process of the same desk: its own store and data directory, the same secret
      const other = await createParley({ config: loadConfig({}, { port: 0, host: '127.0.0.1', demo: false, logLevel: 'warn', dataDir, secret: readFileSync(join(d.desk.parley.services.config.dataDir, 'secret'), 'utf8').trim() }), store, clock: d.clock, workers: false });
      try {
        const url = await other.listen();
        const p = await person();
        const colleague = await Client.signIn(url, 'cleo@acme.test');
        const [held, kept] = [await openEventStream(url, { cookie: p.client.cookie }), await openEventStream(url, { cookie: colleague.cookie })];
        d.track(held, kept);
        // signed out at the first process
        expect((await p.client.post('/api/auth/logout')).status).toBe(204);
        await expectSignedOut(held, { code: 'auth.session_expired', reason: 'signed-out' });
        await expectOpen(kept);
        kept.close();
      } finally {
        await other.stop();
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    // the desk's clock moves on from here: last
    it('an API token that expires, then a session that expires: their streams end; a token without an end stays', async () => {
      const p = await person();
      const [day, forever] = [await newToken(1), await newToken()];
      const [session, expiring, kept] = [await stream(p.client), await stream(day.raw), await stream(forever.raw)];
      d.clock.advance(86_400_000 + 1);
      await expectSignedOut(expiring, { code: 'auth.token_expired', reason: 'expired' });
      await expectOpen(session, kept);
      d.clock.advance(SESSION_TTL_MS);
      await expectSignedOut(session, { code: 'auth.session_expired', reason: 'expired' });
      await expectOpen(kept);
    });
  });
}
