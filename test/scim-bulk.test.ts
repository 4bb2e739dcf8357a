/**
 * SCIM 2.0 Bulk (RFC 7644 §3.7), over HTTP against a real desk on SQLite and PostgreSQL: a User
 * and a Group whose members name it by bulkId made in one request (in either order); each
 * operation is its single request's write (same audit, same If-Match as `version`); failOnErrors
 * stops the job; an unknown or failed bulkId reference is that operation's error; circular
 * references are a 409 before anything runs; maxOperations and maxPayloadSize are 413s naming
 * the limit; hostile and odd input are SCIM errors, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { isScimError, scimRequest, SCIM_ERROR as ERROR, SCIM_USER as USER, SCIM_GROUP as GROUP, SCIM_PATCH as PATCH } from './helpers/scim.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

for (const dialect of DIALECTS) {
  describe(`SCIM 2.0 Bulk [${dialect}]`, () => {
    let desk: TestDesk;
    let token: string;
    const db = () => desk.db.store.db;

    beforeAll(async () => {
      desk = await startDesk(dialect, { clock: new ManualClock(Date.UTC(2026, 11, 1, 10, 0)), workers: false });
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      token = (await admin.post('/api/scim-tokens', { label: 'Okta' })).json.token;
    });
    afterAll(async () => desk?.stop());

    const scim = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => scimRequest(desk.url, token, method, path, body, { headers });
    const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) => scim('POST', '/Bulk', { schemas: [BULK], Operations, ...extra });
    const okBulk = (res: { status: number; json: any; type: string }) => {
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.type).toMatch(/^application\/scim\+json/);
      expect(res.json.schemas).toEqual([BULK_RESPONSE]);
      return res.json.Operations as any[];
    };
    const newUser = (bulkId: string, email: string) => ({ method: 'POST', path: '/Users', bulkId, data: { schemas: [USER], userName: email, name: { givenName: bulkId, familyName: 'Bulk' } } });
    const users = async () => Number((await db().selectFrom('app_user').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

    it('announces Bulk with its limits', async () => {
      expect((await scim('GET', '/ServiceProviderConfig')).json.bulk).toEqual({ supported: true, maxOperations: 100, maxPayloadSize: 1_048_576 });
    });

    it('makes a User and a Group whose members name it by bulkId in one request, as the single requests would (audit, location, version)', async () => {
      // the Group first: it runs after the User it refers to
      const ops = okBulk(await bulk([
        { method: 'POST', path: '/Groups', bulkId: 'g1', data: { schemas: [GROUP], displayName: 'Bulk Team', members: [{ type: 'User', value: 'bulkId:u1' }] } },
        newUser('u1', 'una.bulk@acme.test'),
      ]));
      expect(ops.map((o) => [o.method, o.bulkId, o.status])).toEqual([['POST', 'g1', '201'], ['POST', 'u1', '201']]);
      const [group, user] = ops;
      expect(user.location).toBe(`${desk.url}/scim/v2/Users/${user.response.id}`);
      expect(user.version).toBe(user.response.meta.version);
      expect(user.response).toMatchObject({ userName: 'una.bulk@acme.test', active: true });
      expect(group.location).toBe(`${desk.url}/scim/v2/Groups/${group.response.id}`);
      expect(group.response.members.map((m: any) => m.value)).toEqual([user.response.id]);
      // the desk's own team and person, as the single endpoints make them
      expect((await scim('GET', `/Groups/${group.response.id}`)).json.members.map((m: any) => m.value)).toEqual([user.response.id]);
      const member = await db().selectFrom('team_member').select('user_id').where('team_id', '=', Number(group.response.id)).execute();
      expect(member.map((m) => m.user_id)).toEqual([Number(user.response.id)]);
      const audit = async (type: string, id: string) => (await db().selectFrom('audit_event').select('actor').where('subject_type', '=', type).where('subject_id', '=', id).where('action', '=', `${type}.created`).executeTakeFirstOrThrow()).actor;
      expect(await audit('user', user.response.id)).toBe('scim:Okta');
      expect(await audit('team', group.response.id)).toBe('scim:Okta');

      // PATCH and PUT with a version (If-Match), DELETE, and a bulkId in the path
      const v = group.response.meta.version;
      const more = okBulk(await bulk([
        newUser('u2', 'uri.bulk@acme.test'),
        { method: 'PATCH', path: `/Groups/${group.response.id}`, version: v, data: { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:u2' }] }] } },
        { method: 'PATCH', path: `/Groups/${group.response.id}`, version: v, data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Stale' }] } },
        { method: 'PUT', path: '/Users/bulkId:u2', data: { schemas: [USER], userName: 'uri.bulk@acme.test', displayName: 'Uri Renamed' } },
        { method: 'DELETE', path: `/Users/${user.response.id}` },
      ]));
      expect(more.map((o) => o.status)).toEqual(['201', '200', '412', '200', '204']);
      expect(more[1].response.members.map((m: any) => m.value).sort()).toEqual([user.response.id, more[0].response.id].sort());
      expect(more[2].response).toMatchObject({ schemas: [ERROR], status: '412' });
      expect(more[2].location).toBe(`${desk.url}/scim/v2/Groups/${group.response.id}`);
      expect(more[3].response.displayName).toBe('Uri Renamed');
      expect(more[4]).toMatchObject({ method: 'DELETE', status: '204', location: `${desk.url}/scim/v2/Users/${user.response.id}` });
      expect(more[4].response).toBeUndefined();
      expect((await scim('GET', `/Groups/${group.response.id}`)).json.displayName).toBe('Bulk Team');
      expect((await db().selectFrom('app_user').select('disabled_at').where('id', '=', Number(user.response.id)).executeTakeFirstOrThrow()).disabled_at).not.toBeNull();
    });

    it('goes on after an error unless failOnErrors says stop: failOnErrors 1 stops after the first', async () => {
      const taken = newUser('dup', 'ana@acme.test'); // a person of the desk already
      const on = okBulk(await bulk([taken, newUser('after1', 'after.one@acme.test')]));
      expect(on.map((o) => o.status)).toEqual(['409', '201']);
      expect(on[0].response).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
      expect(on[0].location).toBeUndefined();

      const before = await users();
      const stopped = okBulk(await bulk([newUser('first', 'first.one@acme.test'), taken, newUser('never', 'never.made@acme.test')], { failOnErrors: 1 }));
      expect(stopped.map((o) => [o.bulkId, o.status])).toEqual([['first', '201'], ['dup', '409']]);
      expect(await users()).toBe(before + 1);
      expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "never.made@acme.test"')}`)).json.totalResults).toBe(0);

      const two = okBulk(await bulk([taken, { method: 'DELETE', path: '/Users/999999999' }, newUser('late', 'late.one@acme.test')], { failOnErrors: 2 }));
      expect(two.map((o) => o.status)).toEqual(['409', '404']);
    });

    it('refuses an unknown or failed bulkId reference in that operation only', async () => {
      const ops = okBulk(await bulk([
        { method: 'POST', path: '/Groups', bulkId: 'g-unknown', data: { schemas: [GROUP], displayName: 'Ghost Team', members: [{ value: 'bulkId:nobody' }] } },
        newUser('bad', 'not an address'),
        { method: 'POST', path: '/Groups', bulkId: 'g-failed', data: { schemas: [GROUP], displayName: 'Failed Ref Team', members: [{ value: 'bulkId:bad' }] } },
        { method: 'PATCH', path: '/Users/bulkId:missing', data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } },
        { method: 'POST', path: '/Groups', bulkId: 'g-kind', data: { schemas: [GROUP], displayName: 'Kind Team' } },
        { method: 'POST', path: '/Groups', bulkId: 'g-wrong', data: { schemas: [GROUP], displayName: 'Wrong Kind Team', members: [{ value: 'bulkId:g-kind' }] } },
      ]));
      expect(ops.map((o) => [o.bulkId, o.status])).toEqual([['g-unknown', '400'], ['bad', '400'], ['g-failed', '400'], [undefined, '400'], ['g-kind', '201'], ['g-wrong', '400']]);
      expect(ops[0].response).toMatchObject({ schemas: [ERROR], scimType: 'invalidValue' });
      expect(ops[0].response.detail).toMatch(/bulkId:nobody/);
      expect(ops[2].response.detail).toMatch(/bulkId:bad/);
      expect(ops[5].response.detail).toMatch(/not a User/);
      const names = (await db().selectFrom('team').select('name').where('brand_id', '=', desk.brandId).execute()).map((t) => t.name);
      expect(names).not.toContain('Ghost Team');
      expect(names).not.toContain('Failed Ref Team');
      expect(names).not.toContain('Wrong Kind Team');
    });

    it('refuses circular bulkId references with 409 before anything runs', async () => {
      const before = await users();
      isScimError(await bulk([
        newUser('c0', 'circle.zero@acme.test'),
        { method: 'POST', path: '/Groups', bulkId: 'ca', data: { schemas: [GROUP], displayName: 'Circle A', members: [{ value: 'bulkId:cb' }] } },
        { method: 'POST', path: '/Groups', bulkId: 'cb', data: { schemas: [GROUP], displayName: 'Circle B', members: [{ value: 'bulkId:ca' }] } },
      ]), 409);
      isScimError(await bulk([{ method: 'POST', path: '/Groups', bulkId: 'self', data: { schemas: [GROUP], displayName: 'Self', members: [{ value: 'bulkId:self' }] } }]), 409);
      expect(await users()).toBe(before);
    });

    it('enforces maxOperations and maxPayloadSize with a 413 naming the limit', async () => {
      const before = await users();
      const many = await bulk(Array.from({ length: 101 }, (_, i) => newUser(`m${i}`, `many${i}@acme.test`)));
      isScimError(many, 413);
      expect(many.json.detail).toMatch(/maxOperations \(100\)/);
      const big = await scim('POST', '/Bulk', JSON.stringify({ schemas: [BULK], Operations: [{ method: 'POST', path: '/Users', bulkId: 'big', data: { userName: 'big@acme.test', title: 'x'.repeat(1_100_000) } }] }));
      isScimError(big, 413);
      expect(big.json.detail).toMatch(/maxPayloadSize \(1048576/);
      // a body over the single endpoints' limit but within Bulk's is fine
      const fine = okBulk(await scim('POST', '/Bulk', JSON.stringify({ schemas: [BULK], Operations: [{ method: 'POST', path: '/Users', bulkId: 'roomy', data: { userName: 'roomy@acme.test', title: 'x'.repeat(400_000) } }] })));
      expect(fine[0].status).toBe('201');
      expect(await users()).toBe(before + 1);
    });

    it('answers hostile and odd input with SCIM errors, never a 500', async () => {
      const before = await users();
      for (const body of [null, [], 'text', { Operations: 'x' }, { Operations: [] }, { schemas: ['urn:x'], Operations: [{}] }, { schemas: [BULK], Operations: [newUser('f', 'f.f@acme.test')], failOnErrors: 0 }, { schemas: [BULK], Operations: [newUser('f', 'f.f@acme.test')], failOnErrors: 'lots' },
        { schemas: [BULK], Operations: [newUser('same', 's1@acme.test'), newUser('same', 's2@acme.test')] }]) {
        isScimError(await scim('POST', '/Bulk', body), 400);
      }
      isScimError(await scim('POST', '/Bulk', `${'['.repeat(200)}${']'.repeat(200)}`), 400);
      isScimError(await scim('POST', '/Bulk', '{"Operations": ['), 400, 'invalidSyntax');
      // NUL anywhere in the body: the whole request, as for the single endpoints
      isScimError(await bulk([newUser('nul', 'nul@acme.test'), { ...newUser('nul2', 'nul2@acme.test'), data: { userName: 'nul2@acme.test', displayName: 'a\u0000b' } }]), 400, 'invalidValue');
      const odd = okBulk(await bulk([
        'not an object', null, { method: 'GET', path: '/Users/1' }, { method: 'POST', path: '/Users', data: { userName: 'no.bulkid@acme.test' } },
        { method: 'POST', path: '/Users/1', bulkId: 'x1', data: {} }, { method: 'PUT', path: '/Users', data: {} }, { method: 'DELETE', path: '/Teams/1' }, { method: 'PATCH', path: '/Users/1' },
        { method: 'DELETE', path: '/Users/../../api/teams' }, { method: 'DELETE', path: `/Users/${'9'.repeat(40)}` }, { method: 'DELETE', path: `/Groups/${desk.teamId}` },
        { method: 'POST', path: '/Users', bulkId: 'b'.repeat(500), data: { userName: 'long.bulkid@acme.test' } }, { method: 'POST', path: '/Users', bulkId: { x: 1 }, data: { userName: 'obj.bulkid@acme.test' } },
        { method: 'PUT', path: `/Users/${desk.users.admin}`, data: { userName: 'admin@acme.test', active: false } }, { method: 'PATCH', path: '/Users/1', version: 42, data: {} },
        { method: 'POST', path: '/Users', bulkId: 'bell', data: { userName: 'bell@acme.test', displayName: 'a\u0007b' } },
        { method: 'POST', path: '/Groups', bulkId: 'proto', data: { schemas: [GROUP], displayName: 'Proto', members: [{ value: 'bulkId:__proto__' }], __proto__: { polluted: true } } },
      ]));
      expect(odd.map((o) => Number(o.status))).toEqual([400, 400, 400, 400, 400, 400, 400, 400, 400, 404, 404, 400, 400, 403, 400, 400, 400]);
      for (const o of odd) expect(o.response).toMatchObject({ schemas: [ERROR], status: o.status });
      expect(({} as any).polluted).toBeUndefined();
      expect(await users()).toBe(before);
      // a token that is not one is a 401, before the body is read
      const res = await new Client(desk.url).req('POST', '/scim/v2/Bulk', { schemas: [BULK], Operations: [] }, { authorization: 'Bearer nope', 'content-type': 'application/scim+json' });
      expect(res.status).toBe(401);
    });
  });
}
