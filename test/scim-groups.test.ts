/**
 * SCIM 2.0 Groups and versions, over HTTP against a real desk on SQLite and PostgreSQL, with the
 * requests Okta and Entra ID send: a group is a team of the token's brand, made, found by
 * displayName and externalId, paged, renamed and given members by PUT and by every PATCH shape
 * the providers write; its members are the desk's own team members (the admin's API shows them,
 * routing assigns to them at once, leads stay leads); a member of another brand is refused and
 * nothing changes; an admin's team is not SCIM's; DELETE is refused while routing or open work
 * still points at the team, and otherwise empties and removes it (or keeps it for its history).
 * Every single resource carries its version: ETag, If-None-Match → 304, If-Match → 412.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScimToken } from '../src/commands/scim.js';
import { createBrand, createUser } from '../src/commands/setup.js';
import { systemActor } from '../src/commands/context.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { isScimError, scimRequest, SCIM_ERROR as ERROR, SCIM_GROUP as GROUP, SCIM_USER as USER, SCIM_PATCH as PATCH } from './helpers/scim.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`SCIM 2.0 Groups and ETags [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let token: string;
    let clock: ManualClock;
    const db = () => desk.db.store.db;

    beforeAll(async () => {
      clock = new ManualClock(Date.UTC(2026, 11, 1, 10, 0));
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      token = (await admin.post('/api/scim-tokens', { label: 'Okta' })).json.token;
    });
    afterAll(async () => desk?.stop());

    const scim = (method: string, path: string, body?: unknown, opts: { token?: string; headers?: Record<string, string> } = {}) => scimRequest(desk.url, opts.token ?? token, method, path, body, opts);
    const ops = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
    const memberIds = (g: any) => (g.members ?? []).map((m: any) => m.value).sort();
    const teamOf = async (id: string | number) => (await admin.get('/api/teams')).json.items.find((t: any) => t.id === Number(id));
    const teamRow = (id: string | number) => db().selectFrom('team').selectAll().where('id', '=', Number(id)).executeTakeFirst();
    const ana = () => String(desk.users.ana);
    const ben = () => String(desk.users.ben);
    const cleo = () => String(desk.users.approver);
    const newGroup = async (displayName: string, members: string[] = [], extra: Record<string, unknown> = {}) => {
      const res = await scim('POST', '/Groups', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })), ...extra });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json;
    };

    it('describes Groups and versions in ServiceProviderConfig, ResourceTypes and Schemas', async () => {
      expect((await scim('GET', '/ServiceProviderConfig')).json.etag).toEqual({ supported: true });
      const types = (await scim('GET', '/ResourceTypes')).json;
      expect(types.totalResults).toBe(2);
      expect(types.Resources.find((r: any) => r.id === 'Group')).toMatchObject({ endpoint: '/Groups', schema: GROUP });
      const schemas = (await scim('GET', '/Schemas')).json.Resources;
      expect(schemas.find((s: any) => s.id === GROUP).attributes.map((a: any) => a.name)).toEqual(['displayName', 'externalId', 'members']);
    });

    it('makes a team of the brand, finds it by displayName (any case) and externalId, pages, and audits as scim:<label>', async () => {
      const created = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Tier 2', externalId: '00g1okta', members: [{ value: ana() }, { value: ben() }] });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const id = created.json.id as string;
      expect(created.location).toBe(`${desk.url}/scim/v2/Groups/${id}`);
      expect(created.json).toMatchObject({ schemas: [GROUP], id, externalId: '00g1okta', displayName: 'Tier 2', meta: { resourceType: 'Group', location: `${desk.url}/scim/v2/Groups/${id}` } });
      expect(created.json.members).toEqual([
        { value: ana(), display: 'Ana Agent', type: 'User', $ref: `${desk.url}/scim/v2/Users/${ana()}` },
        { value: ben(), display: 'Ben Agent', type: 'User', $ref: `${desk.url}/scim/v2/Users/${ben()}` },
      ]);
      // the desk's own team, its members as an admin sees them
      expect(await teamOf(id)).toMatchObject({ name: 'Tier 2', routingStrategy: 'round_robin', members: [{ userId: desk.users.ana, isLead: false }, { userId: desk.users.ben, isLead: false }] });
      expect(await teamRow(id)).toMatchObject({ brand_id: desk.brandId, scim_external_id: '00g1okta' });
      const audited = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'team.created').where('subject_id', '=', id).executeTakeFirstOrThrow();
      expect(audited.actor).toBe('scim:Okta');
      expect(JSON.parse(audited.data!)).toEqual({ name: 'Tier 2', externalId: '00g1okta', members: [desk.users.ana, desk.users.ben] });

      const byName = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "TIER 2"')}`);
      expect(byName.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, itemsPerPage: 1 });
      expect(byName.json.Resources[0].id).toBe(id);
      expect((await scim('GET', `/Groups?filter=${encodeURIComponent('externalId eq "00g1okta"')}`)).json.Resources.map((g: any) => g.id)).toEqual([id]);
      expect((await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Nobody"')}`)).json).toMatchObject({ totalResults: 0, Resources: [] });
      // Entra ID's lookup without members
      const slim = await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Tier 2"')}`);
      expect(slim.json.Resources[0].members).toBeUndefined();
      expect((await scim('GET', `/Groups/${id}?excludedAttributes=members`)).json.members).toBeUndefined();

      await newGroup('Tier 3');
      const page = await scim('GET', '/Groups?startIndex=2&count=1');
      expect(page.json).toMatchObject({ startIndex: 2, itemsPerPage: 1, totalResults: 2 });
      expect(page.json.Resources[0].displayName).toBe('Tier 3');
      // an admin's team is not SCIM's: not listed, not found
      expect((await scim('GET', '/Groups')).json.Resources.map((g: any) => g.displayName)).not.toContain('Care');
      isScimError(await scim('GET', `/Groups/${desk.teamId}`), 404);
      isScimError(await scim('PATCH', `/Groups/${desk.teamId}`, ops({ op: 'add', path: 'members', value: [{ value: cleo() }] })), 404);
      isScimError(await scim('DELETE', `/Groups/${desk.teamId}`), 404);
    });

    it('refuses a name already taken, by SCIM or by an admin, in any case (409 uniqueness)', async () => {
      await newGroup('Returns');
      isScimError(await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'returns' }), 409, 'uniqueness');
      isScimError(await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Care' }), 409, 'uniqueness');
      const other = await newGroup('Refunds');
      isScimError(await scim('PATCH', `/Groups/${other.id}`, ops({ op: 'replace', path: 'displayName', value: 'CARE' })), 409, 'uniqueness');
      isScimError(await scim('PUT', `/Groups/${other.id}`, { schemas: [GROUP], displayName: 'Returns' }), 409, 'uniqueness');
      expect((await teamRow(other.id))!.name).toBe('Refunds');
    });

    it('takes Okta\'s PATCH: add and remove members, and replace without a path with id and displayName', async () => {
      const g = await newGroup('Okta pushed', [ana()]);
      const added = await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'add', path: 'members', value: [{ value: ben(), display: 'ben@acme.test' }] }));
      expect(added.status, JSON.stringify(added.json)).toBe(200);
      expect(memberIds(added.json)).toEqual([ana(), ben()].sort());
      const removed = await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'remove', path: `members[value eq "${ana()}"]` }));
      expect(memberIds(removed.json)).toEqual([ben()]);
      const renamed = await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'replace', value: { id: g.id, displayName: 'Okta renamed' } }));
      expect(renamed.status, JSON.stringify(renamed.json)).toBe(200);
      expect(renamed.json).toMatchObject({ id: g.id, displayName: 'Okta renamed' });
      expect(memberIds(renamed.json)).toEqual([ben()]);
      expect((await teamOf(g.id)).name).toBe('Okta renamed');
      const audits = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'team.updated').where('subject_id', '=', g.id).orderBy('id').execute();
      expect(audits.every((a) => a.actor === 'scim:Okta')).toBe(true);
      expect(audits.map((a) => JSON.parse(a.data!))).toEqual([
        { membersAdded: [desk.users.ben], membersRemoved: [] },
        { membersAdded: [], membersRemoved: [desk.users.ana] },
        { before: { name: 'Okta pushed' }, after: { name: 'Okta renamed' } },
      ]);
    });

    it('takes Entra ID\'s PATCH: "Add" and "Remove" with lists of members, a remove of all members, and externalId', async () => {
      const g = await newGroup('Entra made');
      const add = await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'Add', path: 'members', value: [{ value: ana() }, { value: ben() }, { value: cleo() }] }, { op: 'Replace', path: 'externalId', value: 'entra-42' }));
      expect(add.status, JSON.stringify(add.json)).toBe(200);
      expect(memberIds(add.json)).toEqual([ana(), ben(), cleo()].sort());
      expect(add.json.externalId).toBe('entra-42');
      const remove = await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'Remove', path: 'members', value: [{ value: ana() }, { value: cleo() }] }));
      expect(memberIds(remove.json)).toEqual([ben()]);
      expect((await teamOf(g.id)).members).toEqual([{ userId: desk.users.ben, isLead: false }]);
      const none = await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'remove', path: 'members' }));
      expect(none.json.members).toEqual([]);
      expect((await teamOf(g.id)).members).toEqual([]);
    });

    it('replaces name and members with PUT and keeps the leads an admin set, if they stay members; SCIM never makes a lead', async () => {
      const g = await newGroup('Social', [ana(), ben()]);
      expect((await admin.req('PATCH', `/api/teams/${g.id}`, { members: [{ userId: desk.users.ana, isLead: true }, { userId: desk.users.ben, isLead: true }] })).status).toBe(200);
      const put = await scim('PUT', `/Groups/${g.id}`, { schemas: [GROUP], id: g.id, displayName: 'Social media', members: [{ value: ana() }, { value: cleo() }] });
      expect(put.status, JSON.stringify(put.json)).toBe(200);
      expect(put.json.displayName).toBe('Social media');
      expect(put.json.externalId).toBeUndefined();
      expect((await teamOf(g.id)).members.sort((a: any, b: any) => a.userId - b.userId)).toEqual([{ userId: desk.users.ana, isLead: true }, { userId: desk.users.approver, isLead: false }].sort((a, b) => a.userId - b.userId));
      // a PUT that only renames (no members) keeps them
      const rename = await scim('PUT', `/Groups/${g.id}`, { schemas: [GROUP], displayName: 'Social care' });
      expect(memberIds(rename.json)).toEqual([ana(), cleo()].sort());
      // Okta's replace of the whole member list
      const replaced = await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'replace', path: 'members', value: [{ value: ana() }] }));
      expect(memberIds(replaced.json)).toEqual([ana()]);
      expect((await teamOf(g.id)).members).toEqual([{ userId: desk.users.ana, isLead: true }]);
    });

    it('routing sees a member SCIM adds at once: the team\'s waiting conversation is assigned to them', async () => {
      const g = await newGroup('Night shift');
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(g.id) } })).status).toBe(200);
      const conv = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare where is my parcel', createdAt: clock.now() })] })).json.outcomes[0].conversationId as number;
      const row = () => db().selectFrom('conversation').select(['team_id', 'assignee_id', 'status']).where('id', '=', conv).executeTakeFirstOrThrow();
      expect(await row()).toMatchObject({ team_id: Number(g.id), assignee_id: null });
      await Client.signIn(desk.url, 'ben@acme.test'); // online
      const res = await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'add', path: 'members', value: [{ value: ben() }] }));
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect((await row()).assignee_id).toBe(desk.users.ben);

      // in use: DELETE is refused and nothing changes
      const refused = await scim('DELETE', `/Groups/${g.id}`);
      isScimError(refused, 409);
      expect(refused.json.detail).toMatch(/default team of the brand's routing/);
      expect(refused.json.detail).toMatch(/1 open conversation is in its queue/);
      expect((await teamOf(g.id)).members).toEqual([{ userId: desk.users.ben, isLead: false }]);
      // default routing back to Care, one rule still sends French to it: still refused
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [{ teamId: String(g.id), when: { language: 'fr' } }], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
      const rule = await scim('DELETE', `/Groups/${g.id}`);
      isScimError(rule, 409);
      expect(rule.json.detail).toMatch(/1 routing rule sends conversations to it; 1 open conversation/);
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
      isScimError(await scim('DELETE', `/Groups/${g.id}`), 409);
      // the conversation resolved: the group goes; the team stays (its past conversations name it), empty and an admin's
      expect((await admin.post(`/api/conversations/${conv}/status`, { status: 'resolved' })).status).toBeLessThan(300);
      expect((await row()).status).toBe('resolved');
      const del = await scim('DELETE', `/Groups/${g.id}`);
      expect(del.status, JSON.stringify(del.json)).toBe(204);
      isScimError(await scim('GET', `/Groups/${g.id}`), 404);
      expect(await teamRow(g.id)).toMatchObject({ scim_token_id: null, scim_external_id: null });
      expect((await teamOf(g.id)).members).toEqual([]);
      const audited = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'team.updated').where('subject_id', '=', g.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(audited.actor).toBe('scim:Okta');
      expect(JSON.parse(audited.data!).membersRemoved).toEqual([desk.users.ben]);
    });

    it('removes a team nothing ever used, with its members', async () => {
      const g = await newGroup('Short lived', [ana()]);
      expect((await scim('DELETE', `/Groups/${g.id}`)).status).toBe(204);
      expect(await teamRow(g.id)).toBeUndefined();
      expect(await db().selectFrom('team_member').select('user_id').where('team_id', '=', Number(g.id)).execute()).toEqual([]);
      expect((await db().selectFrom('audit_event').select('actor').where('action', '=', 'team.deleted').where('subject_id', '=', g.id).executeTakeFirstOrThrow()).actor).toBe('scim:Okta');
      isScimError(await scim('DELETE', `/Groups/${g.id}`), 404);
    });

    it('refuses a member of another brand or no one (400 invalidValue) and changes nothing; another brand\'s token sees no group', async () => {
      const now = clock.now();
      const brandB = await createBrand(db(), { slug: 'globex-groups', name: 'Globex' }, now);
      const outsider = String(await createUser(db(), { brandId: brandB, email: 'someone@globex-groups.test', name: 'Some One', role: 'agent' }, now));
      const b = (await createScimToken(db(), { brandId: brandB, label: 'Globex Okta', role: 'agent', actor: systemActor(brandB) }, now)).token;
      const g = await newGroup('Kept apart', [ana()]);
      isScimError(await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'add', path: 'members', value: [{ value: ben() }, { value: outsider }] })), 400, 'invalidValue');
      isScimError(await scim('PUT', `/Groups/${g.id}`, { schemas: [GROUP], displayName: 'Kept apart', members: [{ value: outsider }] }), 400, 'invalidValue');
      isScimError(await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'add', path: 'members', value: [{ value: '987654321' }] })), 400, 'invalidValue');
      isScimError(await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Smuggler', members: [{ value: outsider }] }), 400, 'invalidValue');
      expect((await teamOf(g.id)).members).toEqual([{ userId: desk.users.ana, isLead: false }]);
      expect(await db().selectFrom('team').select('id').where('name', '=', 'Smuggler').execute()).toEqual([]);
      // the other brand's token: nothing of this brand, and this brand's people are not its members
      expect((await scim('GET', '/Groups', undefined, { token: b })).json.totalResults).toBe(0);
      isScimError(await scim('GET', `/Groups/${g.id}`, undefined, { token: b }), 404);
      isScimError(await scim('PATCH', `/Groups/${g.id}`, ops({ op: 'remove', path: 'members' }), { token: b }), 404);
      isScimError(await scim('DELETE', `/Groups/${g.id}`, undefined, { token: b }), 404);
      isScimError(await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Globex team', members: [{ value: ana() }] }, { token: b }), 400, 'invalidValue');
      const theirs = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Kept apart', members: [{ value: outsider }] }, { token: b });
      expect(theirs.status).toBe(201); // names are unique per brand
      expect((await teamOf(g.id)).members).toEqual([{ userId: desk.users.ana, isLead: false }]);
    });

    it('answers malformed bodies, filters and hostile input with SCIM errors, never a 500, and changes nothing', async () => {
      const g = await newGroup('Sturdy', [ana()]);
      const teams = async () => Number((await db().selectFrom('team').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const before = await teams();
      const posts: [unknown, string][] = [
        [{ schemas: [GROUP] }, 'invalidValue'],
        [{ schemas: [GROUP], displayName: '   ' }, 'invalidValue'],
        [{ schemas: [GROUP], displayName: 'x'.repeat(101) }, 'invalidValue'],
        [{ schemas: [GROUP], displayName: 'Evil \u202e team' }, 'invalidValue'],
        [{ schemas: [GROUP], displayName: 'Broken \ud800' }, 'invalidValue'],
        [{ schemas: [GROUP], displayName: 42 }, 'invalidValue'],
        [{ schemas: [GROUP], displayName: 'Members', members: 'ana' }, 'invalidValue'],
        [{ schemas: [GROUP], displayName: 'Members', members: [{ value: 'ana@acme.test' }] }, 'invalidValue'],
        [{ schemas: [GROUP], displayName: 'Huge', members: Array.from({ length: 1001 }, (_, i) => ({ value: String(i + 1) })) }, 'tooMany'],
        [[], 'invalidSyntax'],
      ];
      for (const [body, scimType] of posts) isScimError(await scim('POST', '/Groups', body), 400, scimType);
      const patches: [unknown, string][] = [
        [ops({ op: 'remove', path: 'displayName' }), 'mutability'],
        [ops({ op: 'add', path: `members[value eq "${ben()}"]`, value: [] }), 'invalidPath'],
        [ops({ op: 'remove' }), 'noTarget'],
        [ops({ op: 'move', path: 'members' }), 'invalidSyntax'],
        [ops({ op: 'add', path: 'members' }), 'invalidValue'],
        [ops({ op: 'add', path: 'no such $$ path', value: 1 }), 'invalidPath'],
        [ops(...Array.from({ length: 3 }, () => ({ op: 'add', path: 'members', value: Array.from({ length: 400 }, () => ({ value: ana() })) }))), 'tooMany'],
      ];
      for (const [body, scimType] of patches) isScimError(await scim('PATCH', `/Groups/${g.id}`, body), 400, scimType);
      for (const f of ['members eq "1"', 'displayName sw "S"', 'displayName eq "a" or displayName eq "b"']) isScimError(await scim('GET', `/Groups?filter=${encodeURIComponent(f)}`), 400, 'invalidFilter');
      isScimError(await scim('GET', '/Groups/not-a-number'), 404);
      isScimError(await scim('GET', `/Groups/${'9'.repeat(30)}`), 404);
      expect(await teams()).toBe(before);
      expect((await teamOf(g.id)).members).toEqual([{ userId: desk.users.ana, isLead: false }]);
      // markup in a name is text: kept as written, shown as text by the admin UI
      const xss = await newGroup('<img src=x onerror=alert(1)> Zoë 山田 👩🏽‍💻');
      expect(xss.displayName).toBe('<img src=x onerror=alert(1)> Zoë 山田 👩🏽‍💻');
    });

    it('versions Users and Groups: ETag, If-None-Match → 304, If-Match → 412 when stale, and a change changes the version', async () => {
      for (const kind of ['Users', 'Groups'] as const) {
        const made = kind === 'Users'
          ? await scim('POST', '/Users', { schemas: [USER], userName: 'etag.person@acme.test', name: { givenName: 'E', familyName: 'Tag' } })
          : await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'ETag team' });
        expect(made.status).toBe(201);
        const id = made.json.id as string;
        const v1 = made.json.meta.version as string;
        expect(v1).toMatch(/^W\/"[0-9a-f]{16}"$/);
        expect(made.etag).toBe(v1);
        const got = await scim('GET', `/${kind}/${id}`);
        expect(got.etag).toBe(v1);
        expect(got.json.meta.version).toBe(v1);
        const notModified = await new Client(desk.url).req('GET', `/scim/v2/${kind}/${id}`, undefined, { authorization: `Bearer ${token}`, 'if-none-match': v1 });
        expect(notModified.status).toBe(304);
        expect(notModified.headers.get('etag')).toBe(v1);
        const change = kind === 'Users' ? ops({ op: 'replace', path: 'displayName', value: 'E. Tag' }) : ops({ op: 'add', path: 'members', value: [{ value: ana() }] });
        const changed = await scim('PATCH', `/${kind}/${id}`, change, { headers: { 'if-match': v1 } });
        expect(changed.status, JSON.stringify(changed.json)).toBe(200);
        const v2 = changed.json.meta.version as string;
        expect(v2).not.toBe(v1);
        expect(changed.etag).toBe(v2);
        expect((await new Client(desk.url).req('GET', `/scim/v2/${kind}/${id}`, undefined, { authorization: `Bearer ${token}`, 'if-none-match': v1 })).status).toBe(200);
        // stale: 412, nothing changes
        const stale = kind === 'Users' ? ops({ op: 'replace', path: 'displayName', value: 'Lost update' }) : ops({ op: 'remove', path: 'members' });
        isScimError(await scim('PATCH', `/${kind}/${id}`, stale, { headers: { 'if-match': v1 } }), 412);
        const put = kind === 'Users' ? { schemas: [USER], userName: 'etag.person@acme.test' } : { schemas: [GROUP], displayName: 'Lost' };
        isScimError(await scim('PUT', `/${kind}/${id}`, put, { headers: { 'if-match': v1 } }), 412);
        isScimError(await scim('DELETE', `/${kind}/${id}`, undefined, { headers: { 'if-match': v1 } }), 412);
        const now = await scim('GET', `/${kind}/${id}`);
        expect(now.json.meta.version).toBe(v2);
        // an admin's change in the desk changes the version too
        if (kind === 'Groups') {
          expect((await admin.req('PATCH', `/api/teams/${id}`, { members: [] })).status).toBe(200);
          expect((await scim('GET', `/${kind}/${id}`)).json.meta.version).not.toBe(v2);
        }
        // the current version (or *) lets it through
        const current = (await scim('GET', `/${kind}/${id}`)).json.meta.version;
        expect((await scim('PATCH', `/${kind}/${id}`, kind === 'Users' ? ops({ op: 'replace', path: 'displayName', value: 'Fresh' }) : ops({ op: 'replace', path: 'displayName', value: 'ETag fresh' }), { headers: { 'if-match': `"nope", ${current}` } })).status).toBe(200);
        expect((await scim('DELETE', `/${kind}/${id}`, undefined, { headers: { 'if-match': '*' } })).status).toBe(204);
      }
    });

    it('makes only one of several changes sent at once with the same If-Match (the others 412): the check and the write are one step', async () => {
      for (const kind of ['Users', 'Groups'] as const) {
        const made = kind === 'Users'
          ? await scim('POST', '/Users', { schemas: [USER], userName: 'race.person@acme.test', name: { givenName: 'Ra', familyName: 'Ce' } })
          : await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Race team' });
        expect(made.status).toBe(201);
        const id = made.json.id as string;
        const updates = async () => Number((await db().selectFrom('audit_event').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', kind === 'Users' ? 'user.updated' : 'team.updated').where('subject_id', '=', String(id)).executeTakeFirstOrThrow()).n);
        for (let round = 0; round < 3; round++) {
          const version = (await scim('GET', `/${kind}/${id}`)).json.meta.version as string;
          const before = await updates();
          const names = Array.from({ length: 6 }, (_, i) => `Race ${round}.${i}`);
          // PATCHes, and a PUT, all naming the version read above, sent together
          const sent = await Promise.all(names.map((name, i) => i === 5
            ? scim('PUT', `/${kind}/${id}`, kind === 'Users' ? { schemas: [USER], userName: 'race.person@acme.test', displayName: name } : { schemas: [GROUP], displayName: name }, { headers: { 'if-match': version } })
            : scim('PATCH', `/${kind}/${id}`, ops({ op: 'replace', path: 'displayName', value: name }), { headers: { 'if-match': version } })));
          const statuses = sent.map((r) => r.status);
          expect(statuses.filter((st) => st === 200), `${kind} round ${round}: ${statuses}`).toHaveLength(1);
          expect(statuses.filter((st) => st === 412), `${kind} round ${round}: ${statuses}`).toHaveLength(5);
          for (const r of sent.filter((x) => x.status === 412)) isScimError(r, 412);
          // what is stored is what the one that went through said; it alone was audited
          const won = names[statuses.indexOf(200)]!;
          const now = (await scim('GET', `/${kind}/${id}`)).json;
          expect(now.displayName).toBe(won);
          expect(now.meta.version).toBe(sent[statuses.indexOf(200)]!.json.meta.version);
          expect(await updates()).toBe(before + 1);
        }
        // a removal racing changes with the same version: one of them only
        const version = (await scim('GET', `/${kind}/${id}`)).json.meta.version as string;
        const raced = await Promise.all([
          scim('DELETE', `/${kind}/${id}`, undefined, { headers: { 'if-match': version } }),
          ...[0, 1, 2].map((i) => scim('PATCH', `/${kind}/${id}`, ops({ op: 'replace', path: 'displayName', value: `Last ${i}` }), { headers: { 'if-match': version } })),
        ]);
        const ok = raced.filter((r) => r.status === 200 || r.status === 204);
        expect(ok, raced.map((r) => r.status).join()).toHaveLength(1);
        expect(raced.filter((r) => r.status === 412 || r.status === 404)).toHaveLength(3);
      }
    });
  });
}
