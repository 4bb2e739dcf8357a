/**
 * Where a single sign-on starts, over HTTP against a real desk on SQLite and PostgreSQL and a REAL
 * OpenID Provider: on a desk of one brand anyone may start with a provider's id (its login page
 * lists them); on a desk of several brands a bare start by id is refused as an unknown provider's
 * (it would tell anyone which identity provider, client id and tenant a brand uses), and goes on
 * once discovery by email gave the browser that provider (a signed cookie, 10 minutes, for those
 * providers only), or the password sign-in's `auth.sso_required` named it, or for a signed-in
 * person of the provider's brand (confirming with a recent sign-in). The per-address limit holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand } from '../src/commands/setup.js';
import { SSO_FOUND_TTL_MS } from '../src/commands/sso.js';
import { DIALECTS } from './db.js';
import { authDesk } from './helpers/authDesk.js';
import { startOidcProvider, type TestOidcProvider } from './helpers/oidcProvider.js';
import { PASSWORD, type Client, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`single sign-on: where a sign-in starts [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let op: TestOidcProvider;
    let ips = 0;
    const { clock, person, otherBrandAdmin } = authDesk(dialect, 'st', (d, a) => { desk = d; admin = a; });
    const address = () => `198.16.${Math.floor(++ips / 250)}.${ips % 250}`;

    beforeAll(async () => {
      op = await startOidcProvider({ redirectUris: [`${desk.url}/api/auth/sso/callback`] });
    });
    afterAll(async () => {
      await op?.close();
    });

    async function addProvider(over: Record<string, unknown> = {}): Promise<number> {
      const res = await admin.post('/api/sso/providers', { label: 'Acme ID', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true, ...over });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json.id as number;
    }
    async function start(id: number, cookie = '', ip = address()) {
      const res = await fetch(`${desk.url}/api/auth/sso/${id}/start?next=%2Finbox`, { redirect: 'manual', headers: { 'x-forwarded-for': ip, ...(cookie ? { cookie } : {}) } });
      await res.text();
      const location = res.headers.get('location') ?? '';
      return { status: res.status, location, atProvider: location.startsWith(`${op.issuer}/auth?`), cookies: res.headers.getSetCookie() };
    }
    async function discover(email: string) {
      const res = await fetch(`${desk.url}/api/auth/sso/discover`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address() }, body: JSON.stringify({ email }) });
      return { json: (await res.json()) as any, found: res.headers.getSetCookie().find((c) => c.startsWith('parley_sso_found='))?.split(';')[0] ?? '', setCookies: res.headers.getSetCookie() };
    }
    const logins = async () => Number((await desk.db.store.db.selectFrom('sso_login').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

    it('starts by id on a desk of one brand; on a desk of several, only after discovery gave the browser that provider', async () => {
      const acme = await addProvider({ allowedDomains: ['acme.test'] });
      const other = await addProvider({ label: 'Acme Other', allowedDomains: ['acme-other.test'] });
      // one brand: its login page lists its providers, and each links straight to its start
      expect((await start(acme)).atProvider).toBe(true);

      await createBrand(desk.db.store.db, { slug: `st-globex-${dialect}`, name: 'Globex' }, clock.now());
      // several: a bare start by id is refused as an unknown provider's, and starts nothing
      const before = await logins();
      const bare = await start(acme);
      expect(bare.status).toBe(302);
      expect(bare.location).toBe('/login?sso_error=unavailable&redirect=%2Finbox');
      expect(bare.location).not.toContain(op.issuer);
      expect(bare.cookies.some((c) => c.startsWith('parley_sso='))).toBe(false);
      expect(await logins()).toBe(before);
      // the same answer as for a provider that does not exist
      expect((await start(987654)).location).toBe(bare.location);

      // discovery gives the browser the providers it found: those start, others do not
      const found = await discover('ana@acme.test');
      expect(found.json.providers.map((p: any) => p.id)).toEqual([acme]);
      expect(found.found).toMatch(/^parley_sso_found=.+/);
      expect(found.setCookies.find((c) => c.startsWith('parley_sso_found='))).toMatch(/HttpOnly/i);
      expect(found.setCookies.find((c) => c.startsWith('parley_sso_found='))).toMatch(/Path=\/api\/auth\/sso/);
      expect((await start(acme, found.found)).atProvider).toBe(true);
      expect((await start(other, found.found)).location).toBe('/login?sso_error=unavailable&redirect=%2Finbox');
      // tampered with: refused
      const [name, value] = found.found.split('=');
      const tampered = `${name}=${value!.replace(/\.(\d+)\./, `.$1-${other}.`)}`;
      expect((await start(other, tampered)).atProvider).toBe(false);
      // an email nothing takes: nothing given (and what was given before is taken back)
      const none = await discover('nobody@unknown.test');
      expect(none.json.providers).toEqual([]);
      expect(none.found).toBe('parley_sso_found=');
      // 10 minutes
      clock.advance(SSO_FOUND_TTL_MS);
      try {
        expect((await start(acme, found.found)).atProvider).toBe(false);
      } finally {
        clock.advance(1);
      }
    });

    it('starts for the provider the password sign-in named (auth.sso_required), and for a signed-in person of its brand only', async () => {
      const p = await person();
      const required = await addProvider({ label: 'Required ID', passwordSignIn: 'admins' });
      await createBrand(desk.db.store.db, { slug: `st-initech-${dialect}`, name: 'Initech' }, clock.now());
      try {
        const res = await fetch(`${desk.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address() }, body: JSON.stringify({ email: p.email, password: PASSWORD }) });
        expect(res.status).toBe(403);
        expect(((await res.json()) as any).provider.id).toBe(required);
        const given = res.headers.getSetCookie().find((c) => c.startsWith('parley_sso_found='))?.split(';')[0] ?? '';
        expect((await start(required, given)).atProvider).toBe(true);
        // a wrong password is told nothing, and given nothing
        const wrong = await fetch(`${desk.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address() }, body: JSON.stringify({ email: p.email, password: 'not it' }) });
        expect(wrong.status).toBe(401);
        expect(wrong.headers.getSetCookie().some((c) => c.startsWith('parley_sso_found='))).toBe(false);
      } finally {
        expect((await admin.req('PATCH', `/api/sso/providers/${required}`, { passwordSignIn: 'everyone', enabled: false })).status).toBe(200);
      }

      // signed in (confirming with a recent sign-in): a person of the brand may start, another brand's may not
      const id = await addProvider({ label: 'Confirm ID' });
      expect((await start(id, admin.cookie)).atProvider).toBe(true);
      expect((await start(id, p.client.cookie)).atProvider).toBe(true);
      const boss = await otherBrandAdmin();
      expect((await start(id, boss.cookie)).location).toBe('/login?sso_error=unavailable&redirect=%2Finbox');
    });

    it('keeps the per-address limit: refused starts count too', async () => {
      const id = await addProvider({ allowedDomains: ['acme.test'] });
      await createBrand(desk.db.store.db, { slug: `st-hooli-${dialect}`, name: 'Hooli' }, clock.now());
      const ip = address();
      for (let i = 0; i < 30; i++) expect((await start(id, '', ip)).location, `try ${i}`).toContain('sso_error=unavailable');
      const { found } = await discover('ana@acme.test');
      expect((await start(id, found, ip)).location).toContain('sso_error=rate_limited');
      expect((await start(id, found)).atProvider).toBe(true);
    });
  });
}
