/**
 * SCIM 2.0 provisioning, over HTTP against a real desk on SQLite and PostgreSQL, with the requests
 * Okta and Entra ID send: an admin's SCIM tokens (shown once, listed without the secret, revoked);
 * a SCIM token is the only credential of /scim/v2 and works nowhere else; the discovery
 * endpoints (Groups and versions: test/scim-groups.test.ts); a person made, found by userName and externalId, replaced, deactivated and
 * reactivated; deactivation (Okta's and Entra ID's PATCH, DELETE) does what an admin disabling
 * them does: their session stops, their open conversations go back to the queue; userName is
 * unique (409 uniqueness); another brand's token sees and changes nothing; admins are never
 * changed; bad filters, malformed PatchOps and hostile input are SCIM errors, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScimToken } from '../src/commands/scim.js';
import { createBrand, createUser } from '../src/commands/setup.js';
import { systemActor } from '../src/commands/context.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { isScimError, scimRequest, SCIM_ERROR as ERROR, SCIM_USER as USER, SCIM_PATCH as PATCH } from './helpers/scim.js';
import { Client, conversationsAssignedTo, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`SCIM 2.0 provisioning [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let token: string;
    let clock: ManualClock;
    const db = () => desk.db.store.db;

    beforeAll(async () => {
      clock = new ManualClock(Date.UTC(2026, 11, 1, 10, 0));
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const made = await admin.post('/api/scim-tokens', { label: 'Okta' });
      expect(made.status, JSON.stringify(made.json)).toBe(201);
      token = made.json.token;
    });
    afterAll(async () => desk?.stop());

    /** A request as the identity provider makes it: its bearer token (no cookie), SCIM's content type. */
    const scim = (method: string, path: string, body?: unknown, opts: { token?: string; headers?: Record<string, string>; type?: string } = {}) => scimRequest(desk.url, opts.token ?? token, method, path, body, opts);
    const userRow = (id: number) => db().selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const assignTo = (userId: number, n: number) => conversationsAssignedTo(desk, admin, userId, n, clock.now());
    const held = async (ids: number[]) => db().selectFrom('conversation').select(['id', 'assignee_id', 'team_id']).where('id', 'in', ids).execute();
    const idOf = async (email: string) => {
      const res = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
      expect(res.status).toBe(200);
      expect(res.json.totalResults).toBe(1);
      return res.json.Resources[0].id as string;
    };

    it('lets an admin make a SCIM token (shown once), list it without the secret, and revoke it; only sessions of admins make one', async () => {
      const made = await admin.post('/api/scim-tokens', { label: 'Entra ID', role: 'expert' });
      expect(made.status).toBe(201);
      expect(made.json).toMatchObject({ label: 'Entra ID', role: 'expert', baseUrl: `${desk.url}/scim/v2`, lastUsedAt: null, revokedAt: null });
      expect(made.json.token).toMatch(/^scim_/);
      const list = await admin.get('/api/scim-tokens');
      expect(list.json.baseUrl).toBe(`${desk.url}/scim/v2`);
      expect(JSON.stringify(list.json)).not.toContain(made.json.token);
      const stored = await db().selectFrom('scim_token').selectAll().where('id', '=', made.json.id).executeTakeFirstOrThrow();
      expect(stored.token_hash).not.toContain(made.json.token);
      // used: seen; the person it makes has its role
      const created = await scim('POST', '/Users', { schemas: [USER], userName: 'expert.scim@acme.test', name: { givenName: 'Ex', familyName: 'Pert' } }, { token: made.json.token });
      expect(created.status).toBe(201);
      expect((await userRow(Number(created.json.id))).role).toBe('expert');
      expect((await admin.get('/api/scim-tokens')).json.items.find((t: any) => t.id === made.json.id).lastUsedAt).not.toBeNull();
      // revoked: refused at once
      expect((await admin.req('DELETE', `/api/scim-tokens/${made.json.id}`)).status).toBe(200);
      isScimError(await scim('GET', '/Users', undefined, { token: made.json.token }), 401);
      expect((await admin.req('DELETE', `/api/scim-tokens/${made.json.id}`)).status).toBe(200);
      // never admin; never made by an agent or by an API token
      expect((await admin.post('/api/scim-tokens', { label: 'x', role: 'admin' })).status).toBe(400);
      const ana = await Client.signIn(desk.url, 'ana@acme.test');
      expect((await ana.post('/api/scim-tokens', { label: 'x' })).status).toBe(403);
      expect((await ana.get('/api/scim-tokens')).status).toBe(403);
      const api = (await admin.post('/api/tokens', { name: 'integration' })).json.token;
      const viaToken = await fetch(`${desk.url}/api/scim-tokens`, { method: 'POST', headers: { authorization: `Bearer ${api}`, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'x' }) });
      expect(viaToken.status).toBe(403);
      const audits = await db().selectFrom('audit_event').select(['action', 'actor']).where('action', 'like', 'scim.token_%').execute();
      expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['scim.token_created', 'scim.token_revoked']));
    });

    it('takes only a SCIM token on /scim/v2, and a SCIM token nowhere else', async () => {
      // no credential, a session cookie, an API token
      const bare = await fetch(`${desk.url}/scim/v2/Users`);
      expect(bare.status).toBe(401);
      const cookie = await fetch(`${desk.url}/scim/v2/Users`, { headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf } });
      expect(cookie.status).toBe(401);
      expect(((await cookie.json()) as { schemas: string[] }).schemas).toEqual([ERROR]);
      const api = (await admin.post('/api/tokens', { name: 'not scim' })).json.token as string;
      isScimError(await scim('GET', '/Users', undefined, { token: api }), 401);
      isScimError(await scim('GET', '/Users', undefined, { token: `${token}x` }), 401);
      // a SCIM token on the desk's API
      for (const path of ['/api/users', '/api/me', '/api/scim-tokens']) {
        const res = await fetch(`${desk.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status, path).toBe(401);
      }
    });

    it('describes itself: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
      const config = await scim('GET', '/ServiceProviderConfig');
      expect(config.status).toBe(200);
      expect(config.type).toMatch(/^application\/scim\+json/);
      expect(config.json).toMatchObject({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], patch: { supported: true }, bulk: { supported: true, maxOperations: 100, maxPayloadSize: 1_048_576 }, filter: { supported: true } });
      expect(config.json.authenticationSchemes[0].type).toBe('oauthbearertoken');
      const types = await scim('GET', '/ResourceTypes');
      expect(types.json.Resources[0]).toMatchObject({ id: 'User', endpoint: '/Users', schema: USER });
      // what Parley does not serve is a SCIM 404, never the web UI's page
      for (const [method, path] of [['GET', '/Bulk'], ['GET', '/Me'], ['PATCH', '/Groups/1/members'], ['GET', '/Teams']] as const) isScimError(await scim(method, path, method === 'GET' ? undefined : {}), 404);
      isScimError(await scim('GET', '/Groups', undefined, { token: 'nope' }), 401);
      isScimError(await scim('GET', '/Bulk', undefined, { token: 'nope' }), 401);
      const schemas = await scim('GET', '/Schemas');
      expect(schemas.json.Resources[0].id).toBe(USER);
      expect(schemas.json.Resources[0].attributes.map((a: any) => a.name)).toEqual(expect.arrayContaining(['userName', 'name', 'active', 'emails', 'externalId']));
    });

    it('makes a person, finds them by userName and externalId, replaces, deactivates and reactivates them, and DELETE only disables', async () => {
      const created = await scim('POST', '/Users', {
        schemas: [USER], userName: 'Dana.Round@Acme.test', externalId: '00u1okta', name: { givenName: 'Dana', familyName: 'Round' }, emails: [{ value: 'dana.round@acme.test', type: 'work', primary: true }], active: true, title: 'Agent',
      }, { type: 'application/json' });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      expect(created.type).toMatch(/^application\/scim\+json/);
      const id = created.json.id as string;
      expect(created.location).toBe(`${desk.url}/scim/v2/Users/${id}`);
      expect(created.json).toMatchObject({
        schemas: [USER], id, externalId: '00u1okta', userName: 'dana.round@acme.test', name: { formatted: 'Dana Round', givenName: 'Dana', familyName: 'Round' }, displayName: 'Dana Round', active: true,
        emails: [{ value: 'dana.round@acme.test', type: 'work', primary: true }], meta: { resourceType: 'User', location: `${desk.url}/scim/v2/Users/${id}` },
      });
      const row = await userRow(Number(id));
      expect(row).toMatchObject({ brand_id: desk.brandId, role: 'agent', password_hash: null, disabled_at: null, name: 'Dana Round' });
      expect((await db().selectFrom('audit_event').select('actor').where('action', '=', 'user.created').where('subject_id', '=', id).executeTakeFirstOrThrow()).actor).toBe('scim:Okta');

      // found by userName (any case) and by externalId; a userName nobody has: an empty list
      const byName = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "DANA.ROUND@acme.test"')}`);
      expect(byName.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      expect(byName.json.Resources[0].id).toBe(id);
      expect((await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "00u1okta"')}`)).json.Resources.map((u: any) => u.id)).toEqual([id]);
      expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "c0ffee-0000@nowhere.test"')}`)).json).toMatchObject({ totalResults: 0, Resources: [] });
      expect((await scim('GET', `/Users/${id}`)).json.userName).toBe('dana.round@acme.test');

      // PUT replaces
      const put = await scim('PUT', `/Users/${id}`, { schemas: [USER], userName: 'dana.new@acme.test', name: { givenName: 'Dana', familyName: 'Newname' }, active: true });
      expect(put.status, JSON.stringify(put.json)).toBe(200);
      expect(put.json).toMatchObject({ userName: 'dana.new@acme.test', displayName: 'Dana Newname', active: true });
      expect(put.json.externalId).toBeUndefined();
      expect(await userRow(Number(id))).toMatchObject({ email: 'dana.new@acme.test', name: 'Dana Newname', role: 'agent' });

      // deactivated (Okta), reactivated, deleted (disabled, never removed)
      const off = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
      expect(off.status).toBe(200);
      expect(off.json.active).toBe(false);
      expect((await userRow(Number(id))).disabled_at).not.toBeNull();
      const on = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
      expect(on.json.active).toBe(true);
      expect((await userRow(Number(id))).disabled_at).toBeNull();
      const del = await scim('DELETE', `/Users/${id}`);
      expect(del.status).toBe(204);
      expect((await userRow(Number(id))).disabled_at).not.toBeNull();
      expect((await scim('GET', `/Users/${id}`)).json.active).toBe(false);
      const audited = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'user.updated').where('subject_id', '=', id).orderBy('id').execute();
      expect(audited.every((a) => a.actor === 'scim:Okta')).toBe(true);
      expect(audited.map((a) => JSON.parse(a.data!).disabled).filter((d) => d !== undefined)).toEqual([true, false, true]);

      // paging
      const page = await scim('GET', '/Users?startIndex=2&count=2');
      expect(page.json).toMatchObject({ startIndex: 2, itemsPerPage: 2 });
      expect(page.json.totalResults).toBeGreaterThan(5);
      expect((await scim('GET', '/Users?count=0')).json).toMatchObject({ itemsPerPage: 0, Resources: [] });
    });

    it('refuses a userName already taken (409 uniqueness) and one that is not an email address (400 invalidValue)', async () => {
      isScimError(await scim('POST', '/Users', { schemas: [USER], userName: 'ANA@acme.test' }), 409, 'uniqueness');
      isScimError(await scim('POST', '/Users', { schemas: [USER], userName: 'not-an-email' }), 400, 'invalidValue');
      isScimError(await scim('POST', '/Users', { schemas: [USER], name: { givenName: 'No' } }), 400, 'invalidValue');
      const other = await scim('POST', '/Users', { schemas: [USER], userName: 'unique.one@acme.test' });
      isScimError(await scim('PATCH', `/Users/${other.json.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'ben@acme.test' }] }), 409, 'uniqueness');
      expect((await userRow(Number(other.json.id))).email).toBe('unique.one@acme.test');
    });

    it('ends the session and hands back the open conversations of someone Okta deactivates', async () => {
      const ana = await Client.signIn(desk.url, 'ana@acme.test');
      expect((await ana.get('/api/me')).status).toBe(200);
      const convs = await assignTo(desk.users.ana, 2);
      const id = await idOf('ana@acme.test');
      expect(id).toBe(String(desk.users.ana));
      const res = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json.active).toBe(false);
      expect((await ana.get('/api/me')).status).toBe(401);
      for (const c of await held(convs)) {
        expect(c.assignee_id).not.toBe(desk.users.ana);
        expect(c.team_id).toBe(desk.teamId);
      }
      expect(await userRow(desk.users.ana)).toMatchObject({ availability: 'offline' });
      const released = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'user.conversations_released').where('subject_id', '=', String(desk.users.ana)).executeTakeFirstOrThrow();
      expect(released.actor).toBe('scim:Okta');
      expect(JSON.parse(released.data!)).toEqual({ reason: 'disabled', conversationIds: convs });
      // reactivated: she signs in again
      expect((await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] })).json.active).toBe(true);
      expect((await (await Client.signIn(desk.url, 'ana@acme.test')).get('/api/me')).status).toBe(200);
    });

    it('takes Entra ID\'s PATCH: "Replace", path active, "False" as a string; names, the work email, externalId; attributes Parley does not keep are ignored', async () => {
      const ben = await Client.signIn(desk.url, 'ben@acme.test');
      const convs = await assignTo(desk.users.ben, 1);
      const id = await idOf('ben@acme.test');
      const renamed = await scim('PATCH', `/Users/${id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'name.givenName', value: 'Benjamin' },
          { op: 'Replace', path: 'name.familyName', value: 'Agent' },
          { op: 'Add', path: 'emails[type eq "work"].value', value: 'Benjamin.Agent@acme.test' },
          { op: 'Replace', path: 'externalId', value: 'a1b2-entra' },
          { op: 'Replace', path: 'title', value: 'Care agent' },
          { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Care' },
        ],
      }, { type: 'application/scim+json; charset=utf-8' });
      expect(renamed.status, JSON.stringify(renamed.json)).toBe(200);
      expect(renamed.json).toMatchObject({ userName: 'benjamin.agent@acme.test', displayName: 'Benjamin Agent', externalId: 'a1b2-entra', active: true, name: { givenName: 'Benjamin', familyName: 'Agent' } });
      const audited = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'user.updated').where('subject_id', '=', id).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(audited.actor).toBe('scim:Okta');
      expect(JSON.parse(audited.data!)).toEqual({ email: 'benjamin.agent@acme.test', name: 'Benjamin Agent', externalId: 'a1b2-entra', givenName: 'Benjamin', familyName: 'Agent' });
      const shown = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Ben A.' }] });
      expect(shown.json.displayName).toBe('Ben A.');
      expect((await ben.get('/api/me')).status).toBe(200);

      const off = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }, { type: 'application/json' });
      expect(off.status, JSON.stringify(off.json)).toBe(200);
      expect(off.json.active).toBe(false);
      expect((await ben.get('/api/me')).status).toBe(401);
      expect((await held(convs))[0]!.assignee_id).not.toBe(desk.users.ben);
      expect((await userRow(desk.users.ben)).role).toBe('agent');
      const on = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
      expect(on.json.active).toBe(true);
    });

    it('never changes or deactivates an admin (403), and never anyone\'s role', async () => {
      const id = await idOf('admin@acme.test');
      isScimError(await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] }), 403);
      isScimError(await scim('PUT', `/Users/${id}`, { schemas: [USER], userName: 'admin@acme.test', active: false }), 403);
      isScimError(await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Owned' }] }), 403);
      isScimError(await scim('DELETE', `/Users/${id}`), 403);
      expect(await userRow(desk.users.admin)).toMatchObject({ disabled_at: null, name: 'Ada Admin', role: 'admin' });
      expect((await admin.get('/api/me')).status).toBe(200);
      // roles in a body are accepted and ignored
      const cleo = await idOf('cleo@acme.test');
      expect((await scim('PATCH', `/Users/${cleo}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'roles', value: [{ value: 'admin' }] }] })).status).toBe(200);
      expect((await userRow(desk.users.approver)).role).toBe('approver');
    });

    it('gives another brand\'s token nothing of this brand: 404 as for an unknown id, and nothing changes', async () => {
      const now = clock.now();
      const brandB = await createBrand(db(), { slug: 'globex-scim', name: 'Globex' }, now);
      await createUser(db(), { brandId: brandB, email: 'someone@globex.test', name: 'Some One', role: 'agent' }, now);
      const b = (await createScimToken(db(), { brandId: brandB, label: 'Globex Okta', role: 'agent', actor: systemActor(brandB) }, now)).token;
      const cleo = String(desk.users.approver);
      const list = await scim('GET', '/Users', undefined, { token: b });
      expect(list.json.Resources.map((u: any) => u.userName)).toEqual(['someone@globex.test']);
      expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "cleo@acme.test"')}`, undefined, { token: b })).json.totalResults).toBe(0);
      isScimError(await scim('GET', `/Users/${cleo}`, undefined, { token: b }), 404);
      isScimError(await scim('PATCH', `/Users/${cleo}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] }, { token: b }), 404);
      isScimError(await scim('PUT', `/Users/${cleo}`, { schemas: [USER], userName: 'cleo@acme.test', active: false }, { token: b }), 404);
      isScimError(await scim('DELETE', `/Users/${cleo}`, undefined, { token: b }), 404);
      isScimError(await scim('GET', '/Users/987654321', undefined, { token: b }), 404);
      expect(await userRow(desk.users.approver)).toMatchObject({ disabled_at: null, brand_id: desk.brandId });
      // an admin of this brand cannot revoke the other brand's token
      const bId = (await db().selectFrom('scim_token').select('id').where('brand_id', '=', brandB).executeTakeFirstOrThrow()).id;
      expect((await admin.req('DELETE', `/api/scim-tokens/${bId}`)).status).toBe(404);
      expect((await admin.get('/api/scim-tokens')).json.items.map((t: any) => t.label)).not.toContain('Globex Okta');
    });

    it('answers bad filters and malformed PatchOps with SCIM errors, never a 500', async () => {
      for (const f of ['name.familyName eq "x"', 'userName sw "a"', 'userName eq x', 'garbage', 'userName eq "a" and externalId eq "b"', 'userName eq "\\q"', 'emails[type eq "work"] eq "x"']) {
        isScimError(await scim('GET', `/Users?filter=${encodeURIComponent(f)}`), 400, 'invalidFilter');
      }
      isScimError(await scim('GET', `/Users?filter=a&filter=b`), 400, 'invalidFilter');
      isScimError(await scim('GET', '/Users?startIndex=abc'), 400);
      const id = String(desk.users.approver);
      const bad: [unknown, string][] = [
        [[], 'invalidSyntax'],
        ['"just a string"', 'invalidSyntax'],
        [{ schemas: [PATCH] }, 'invalidSyntax'],
        [{ schemas: [PATCH], Operations: [] }, 'invalidSyntax'],
        [{ schemas: ['urn:wrong'], Operations: [{ op: 'replace', value: { active: false } }] }, 'invalidSyntax'],
        [{ schemas: [PATCH], Operations: [{ op: 'move', path: 'active', value: false }] }, 'invalidSyntax'],
        [{ schemas: [PATCH], Operations: ['replace'] }, 'invalidSyntax'],
        [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 42, value: false }] }, 'invalidPath'],
        [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: 'maybe' }] }, 'invalidValue'],
        [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'active' }] }, 'invalidValue'],
        [{ schemas: [PATCH], Operations: [{ op: 'replace', value: false }] }, 'invalidValue'],
        [{ schemas: [PATCH], Operations: [{ op: 'remove', path: 'active' }] }, 'mutability'],
        [{ schemas: [PATCH], Operations: [{ op: 'remove' }] }, 'noTarget'],
        [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'no such $$ path', value: 1 }] }, 'invalidPath'],
        [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'nope' }] }, 'invalidValue'],
        [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'name', value: 'flat' }] }, 'invalidValue'],
        [{ schemas: [PATCH], Operations: Array.from({ length: 101 }, () => ({ op: 'replace', value: { active: true } })) }, 'tooMany'],
      ];
      for (const [body, scimType] of bad) isScimError(await scim('PATCH', `/Users/${id}`, body), 400, scimType);
      isScimError(await scim('PATCH', `/Users/${id}`, '{"Operations": [', { type: 'application/scim+json' }), 400, 'invalidSyntax');
      isScimError(await scim('PATCH', `/Users/${id}`, '{"Operations": [', { type: 'application/json' }), 400);
      isScimError(await scim('PATCH', '/Users/not-a-number', { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] }), 404);
      expect(await userRow(desk.users.approver)).toMatchObject({ disabled_at: null, name: 'Cleo Approver' });
    });

    it('refuses hostile input (huge strings, odd Unicode, NUL, deep nesting, huge bodies) with 400 or 413, and changes nothing', async () => {
      const count = async () => Number((await db().selectFrom('app_user').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      const cases: [unknown, number][] = [
        [{ schemas: [USER], userName: `${'a'.repeat(10_000)}@acme.test` }, 400],
        [{ schemas: [USER], userName: 'long.name@acme.test', displayName: 'x'.repeat(100_000) }, 400],
        [{ schemas: [USER], userName: 'surrogate@acme.test', displayName: 'Bad \ud800 name' }, 400],
        [{ schemas: [USER], userName: 'control@acme.test', name: { givenName: 'Bell\u0007' } }, 400],
        [{ schemas: [USER], userName: 'nul@acme.test', displayName: 'a\u0000b' }, 400],
        [{ schemas: [USER], userName: 'ext@acme.test', externalId: 'e'.repeat(5000) }, 400],
        [{ schemas: [USER], userName: 'émile@acme.test\u202e' }, 400],
        [{ schemas: [USER], userName: 12345 }, 400],
        [{ schemas: [USER], userName: 'emails@acme.test', emails: Array.from({ length: 50 }, (_, i) => ({ value: `e${i}@acme.test` })) }, 400],
      ];
      for (const [body, status] of cases) {
        const res = await scim('POST', '/Users', body);
        isScimError(res, status);
      }
      isScimError(await scim('POST', '/Users', `${'['.repeat(100)}${']'.repeat(100)}`), 400);
      isScimError(await scim('POST', '/Users', JSON.stringify({ userName: 'big@acme.test', displayName: 'x'.repeat(300_000) })), 413);
      isScimError(await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${'a'.repeat(5000)}"`)}`), 400, 'invalidFilter');
      isScimError(await scim('GET', `/Users/${'9'.repeat(30)}`), 404);
      expect(await count()).toBe(before);
      // odd but fine Unicode in a name is kept as written
      const ok = await scim('POST', '/Users', { schemas: [USER], userName: 'zoe.unicode@acme.test', name: { givenName: 'Zoë', familyName: '山田 👩🏽‍💻' } });
      expect(ok.status, JSON.stringify(ok.json)).toBe(201);
      expect(ok.json.displayName).toBe('Zoë 山田 👩🏽‍💻');
    });
  });
}
