import { describe, expect, it } from 'vitest';
import {
  etagMatches, membersAfter, nameFrom, paging, parseBulk, parseFilter, parseGroupBody, resolveBulkIds, parseGroupFilter, parseGroupPatch, parsePatch, parseUserBody, presentScimGroup, presentScimUser, ScimError, scimErrorBody, SCIM_PATCH_SCHEMA,
} from './scim.js';

const scimTypeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ScimError);
    return (err as ScimError).scimType ?? `status ${(err as ScimError).status}`;
  }
  return 'accepted';
};

describe('parseFilter', () => {
  it('reads userName eq and externalId eq, any case of attribute and operator, with JSON escapes', () => {
    expect(parseFilter('userName eq "ana@acme.test"')).toEqual({ attribute: 'userName', value: 'ana@acme.test' });
    expect(parseFilter('  USERNAME EQ "a\\"b"  ')).toEqual({ attribute: 'userName', value: 'a"b' });
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"')).toEqual({ attribute: 'userName', value: 'x' });
    expect(parseFilter('externalId eq "00u1"')).toEqual({ attribute: 'externalId', value: '00u1' });
  });
  it('refuses every other filter as invalidFilter', () => {
    for (const f of ['', 'userName', 'userName eq', 'userName ne "x"', 'userName eq x', 'displayName eq "x"', 'userName eq "a" or userName eq "b"', 'userName eq "\\u00"', `userName eq "${'a'.repeat(2000)}"`]) {
      expect(scimTypeOf(() => parseFilter(f)), f).toBe('invalidFilter');
    }
  });
});

describe('parsePatch', () => {
  const ops = (...Operations: unknown[]) => ({ schemas: [SCIM_PATCH_SCHEMA], Operations });
  it('takes Okta\'s replace without a path and Entra ID\'s capitalised ops with string booleans', () => {
    expect(parsePatch(ops({ op: 'replace', value: { active: false } }))).toEqual({ active: false });
    expect(parsePatch(ops({ op: 'Replace', path: 'active', value: 'False' }))).toEqual({ active: false });
    expect(parsePatch(ops({ op: 'Replace', path: 'active', value: 'TRUE' }))).toEqual({ active: true });
    expect(parsePatch(ops({ op: 'Add', path: 'emails[type eq "work"].value', value: 'A@B.test' }), )).toEqual({ email: 'a@b.test' });
    expect(parsePatch(ops({ op: 'replace', value: { 'name.givenName': 'Ana', displayName: 'Ana A', externalId: 'x1', title: 'ignored' } }))).toEqual({ givenName: 'Ana', displayName: 'Ana A', externalId: 'x1' });
    expect(parsePatch(ops({ op: 'remove', path: 'externalId' }))).toEqual({ externalId: null });
    expect(parsePatch(ops({ op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Care' }))).toEqual({});
    expect(parsePatch(ops({ op: 'replace', path: 'costCenter', value: 'C1' }, { op: 'add', path: 'phoneNumbers[type eq "work"].value', value: '+44' }))).toEqual({});
  });
  it('refuses malformed operations with their scimType', () => {
    expect(scimTypeOf(() => parsePatch(null))).toBe('invalidSyntax');
    expect(scimTypeOf(() => parsePatch({ Operations: [] }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => parsePatch(ops({ op: 'copy', path: 'active', value: true })))).toBe('invalidSyntax');
    expect(scimTypeOf(() => parsePatch(ops({ op: 'replace', path: 'active', value: 'yes' })))).toBe('invalidValue');
    expect(scimTypeOf(() => parsePatch(ops({ op: 'remove', path: 'userName' })))).toBe('mutability');
    expect(scimTypeOf(() => parsePatch(ops({ op: 'remove' })))).toBe('noTarget');
    expect(scimTypeOf(() => parsePatch(ops({ op: 'replace', path: '!!', value: 1 })))).toBe('invalidPath');
  });
});

describe('parseUserBody', () => {
  it('needs an email as userName, lower-cases it, clears what a PUT leaves out but active', () => {
    expect(parseUserBody({ userName: 'Ana@Acme.TEST', name: { givenName: 'Ana', familyName: 'A' } })).toEqual({ userName: 'ana@acme.test', givenName: 'Ana', familyName: 'A', formatted: null, displayName: null, externalId: null });
    expect(scimTypeOf(() => parseUserBody({ userName: 'ana' }))).toBe('invalidValue');
    expect(scimTypeOf(() => parseUserBody({ displayName: 'no userName' }))).toBe('invalidValue');
    expect(scimTypeOf(() => parseUserBody({ userName: 'a@b.test', displayName: 'RTL \u202e' }))).toBe('invalidValue');
    expect(scimTypeOf(() => parseUserBody({ userName: 'a@b.test', displayName: '\udc00' }))).toBe('invalidValue');
  });
});

describe('presenting', () => {
  it('a User resource, a name, paging and the error body', () => {
    const u = presentScimUser({ id: 7, email: 'a@b.test', name: 'Ana A', disabled: true, externalId: null, givenName: 'Ana', familyName: null, created: 0, lastModified: 1000 }, 'https://desk.test/scim/v2');
    expect(u).toMatchObject({ id: '7', userName: 'a@b.test', active: false, name: { formatted: 'Ana A', givenName: 'Ana' }, meta: { location: 'https://desk.test/scim/v2/Users/7', lastModified: '1970-01-01T00:00:01.000Z' } });
    expect('externalId' in u).toBe(false);
    expect(nameFrom({ givenName: 'Ana', familyName: 'A' })).toBe('Ana A');
    expect(nameFrom({})).toBeNull();
    expect(paging({})).toEqual({ startIndex: 1, count: 100 });
    expect(paging({ startIndex: '0', count: '-5' })).toEqual({ startIndex: 1, count: 0 });
    expect(paging({ count: '100000' }).count).toBe(200);
    expect(scimErrorBody(409, 'taken', 'uniqueness')).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness', detail: 'taken' });
  });
});

describe('Groups', () => {
  const ops = (...Operations: unknown[]) => ({ schemas: [SCIM_PATCH_SCHEMA], Operations });
  it('filters on displayName and externalId only', () => {
    expect(parseGroupFilter('displayName eq "Tier 2"')).toEqual({ attribute: 'displayName', value: 'Tier 2' });
    expect(parseGroupFilter('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"')).toEqual({ attribute: 'displayName', value: 'x' });
    expect(parseGroupFilter('EXTERNALID eq "00g1"')).toEqual({ attribute: 'externalId', value: '00g1' });
    for (const f of ['userName eq "x"', 'members eq "1"', 'displayName co "x"', 'urn:ietf:params:scim:schemas:core:2.0:User:displayName eq "x"', 'constructor eq "x"']) expect(scimTypeOf(() => parseGroupFilter(f)), f).toBe('invalidFilter');
  });
  it('takes Okta\'s PATCH shapes: add members, remove by members[value eq], replace without a path holding id and displayName', () => {
    expect(parseGroupPatch(ops({ op: 'add', path: 'members', value: [{ value: '7', display: 'a@b.test' }] }))).toEqual({ members: [{ op: 'add', ids: ['7'] }] });
    expect(parseGroupPatch(ops({ op: 'remove', path: 'members[value eq "7"]' }))).toEqual({ members: [{ op: 'remove', ids: ['7'] }] });
    expect(parseGroupPatch(ops({ op: 'replace', value: { id: '12', displayName: 'Renamed' } }))).toEqual({ displayName: 'Renamed', members: [] });
    expect(parseGroupPatch(ops({ op: 'replace', path: 'members', value: [{ value: '1' }, { value: '2' }] }))).toEqual({ members: [{ op: 'replace', ids: ['1', '2'] }] });
  });
  it('takes Entra ID\'s: "Add"/"Remove" with lists, a remove of all members without a value, externalId', () => {
    expect(parseGroupPatch(ops({ op: 'Add', path: 'members', value: [{ value: '1' }, { value: 2 }] }, { op: 'Remove', path: 'members', value: [{ value: '1' }] }, { op: 'Replace', path: 'externalId', value: 'e1' }))).toEqual({
      externalId: 'e1', members: [{ op: 'add', ids: ['1', '2'] }, { op: 'remove', ids: ['1'] }],
    });
    expect(parseGroupPatch(ops({ op: 'Remove', path: 'members' }))).toEqual({ members: [{ op: 'removeAll' }] });
    expect(parseGroupPatch(ops({ op: 'remove', path: 'externalId' }))).toEqual({ externalId: null, members: [] });
  });
  it('applies membership steps in order, without duplicates', () => {
    expect(membersAfter(['1', '2'], [{ op: 'add', ids: ['3', '2'] }, { op: 'remove', ids: ['1'] }])).toEqual(['2', '3']);
    expect(membersAfter(['1'], [{ op: 'removeAll' }, { op: 'add', ids: ['4'] }])).toEqual(['4']);
    expect(membersAfter(['1'], [{ op: 'replace', ids: ['5', '5', '6'] }])).toEqual(['5', '6']);
  });
  it('refuses what is not a Group or a member, and caps members', () => {
    expect(scimTypeOf(() => parseGroupBody({ members: [] }))).toBe('invalidValue');
    expect(scimTypeOf(() => parseGroupBody({ displayName: 'x'.repeat(101) }))).toBe('invalidValue');
    expect(scimTypeOf(() => parseGroupBody({ displayName: 'RTL \u202e' }))).toBe('invalidValue');
    expect(scimTypeOf(() => parseGroupBody({ displayName: 'A', members: [{ value: 'ana@acme.test' }] }))).toBe('invalidValue');
    expect(scimTypeOf(() => parseGroupBody({ displayName: 'A', members: Array.from({ length: 1001 }, () => ({ value: '1' })) }))).toBe('tooMany');
    expect(scimTypeOf(() => parseGroupPatch(ops({ op: 'remove', path: 'displayName' })))).toBe('mutability');
    expect(scimTypeOf(() => parseGroupPatch(ops({ op: 'add', path: 'members[value eq "1"]', value: [] })))).toBe('invalidPath');
    expect(scimTypeOf(() => parseGroupPatch(ops({ op: 'remove', path: 'members[value eq "1]' })))).toBe('invalidPath');
    expect(scimTypeOf(() => parseGroupPatch(ops({ op: 'remove' })))).toBe('noTarget');
    expect(scimTypeOf(() => parseGroupPatch(ops({ op: 'add', path: 'a b', value: 1 })))).toBe('invalidPath');
    // a PUT without members keeps them; with them, replaces; externalId missing is cleared
    expect(parseGroupBody({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: '3', displayName: ' Care ' })).toEqual({ displayName: 'Care', externalId: null, members: [] });
    expect(parseGroupBody({ displayName: 'Care', members: [] })).toEqual({ displayName: 'Care', externalId: null, members: [{ op: 'replace', ids: [] }] });
  });
});

describe('versions', () => {
  const group = (name: string) => presentScimGroup({ id: 3, name, externalId: null, members: [{ id: 7, name: 'Ana' }], created: 0, lastModified: 0 }, 'https://a.test/scim/v2');
  it('are weak ETags of what is presented, the same from any host, different after any change', () => {
    const v = group('Care').meta.version;
    expect(v).toMatch(/^W\/"[0-9a-f]{16}"$/);
    expect(presentScimGroup({ id: 3, name: 'Care', externalId: null, members: [{ id: 7, name: 'Ana' }], created: 0, lastModified: 0 }, 'https://b.test/scim/v2').meta.version).toBe(v);
    expect(group('Care 2').meta.version).not.toBe(v);
    const u = presentScimUser({ id: 7, email: 'a@b.test', name: 'Ana', disabled: false, externalId: null, givenName: null, familyName: null, created: 0, lastModified: 0 }, '');
    expect(presentScimUser({ id: 7, email: 'a@b.test', name: 'Ana', disabled: true, externalId: null, givenName: null, familyName: null, created: 0, lastModified: 0 }, '').meta.version).not.toBe(u.meta.version);
  });
  it('match If-Match and If-None-Match: *, a list, weak or not', () => {
    expect(etagMatches('*', 'W/"ab"')).toBe(true);
    expect(etagMatches('W/"ab"', 'W/"ab"')).toBe(true);
    expect(etagMatches('"ab"', 'W/"ab"')).toBe(true);
    expect(etagMatches('"x", W/"ab"', 'W/"ab"')).toBe(true);
    expect(etagMatches('W/"ac"', 'W/"ab"')).toBe(false);
    expect(etagMatches(undefined, 'W/"ab"')).toBe(false);
  });
});

describe('parseBulk', () => {
  const post = (bulkId: string, path: string, data: unknown) => ({ method: 'post', path, bulkId, data });
  const statusOf = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as ScimError).status;
    }
    return 'accepted';
  };

  it('orders each operation after the POSTs it refers to, else as sent, and reads failOnErrors', () => {
    const b = parseBulk({ failOnErrors: '2', Operations: [
      post('g', '/Groups', { displayName: 'G', members: [{ value: 'bulkId:u' }] }), { method: 'DELETE', path: '/Users/7' }, post('u', 'Users', { userName: 'u@x.test' }),
    ] });
    expect(b.failOnErrors).toBe(2);
    expect(b.operations.map((o) => [o.index, o.method, o.resource, o.refs])).toEqual([[2, 'POST', 'Users', []], [0, 'POST', 'Groups', ['u']], [1, 'DELETE', 'Users', []]]);
    expect(parseBulk({ Operations: [{ method: 'DELETE', path: '/Users/1' }] }).failOnErrors).toBe(Infinity);
  });

  it('keeps a malformed operation as its own error, and refuses the request for cycles, duplicates and too many', () => {
    const b = parseBulk({ Operations: [{ method: 'GET', path: '/Users/1' }, { method: 'POST', path: '/Users', data: {} }, { method: 'PATCH', path: '/Users' }, { method: 'DELETE', path: '/Me' }] });
    expect(b.operations.map((o) => [o.error?.status, o.error?.scimType])).toEqual([[400, 'invalidSyntax'], [400, 'invalidValue'], [400, 'invalidPath'], [400, 'invalidPath']]);
    expect(statusOf(() => parseBulk({ Operations: [post('a', '/Groups', { members: [{ value: 'bulkId:b' }] }), post('b', '/Groups', { members: [{ value: 'bulkId:a' }] })] }))).toBe(409);
    expect(statusOf(() => parseBulk({ Operations: [{ method: 'PATCH', path: '/Groups/bulkId:a', data: {} }, post('a', '/Groups', { members: [{ value: 'bulkId:a' }] })] }))).toBe(409);
    expect(statusOf(() => parseBulk({ Operations: [post('a', '/Users', {}), post('a', '/Users', {})] }))).toBe(400);
    expect(statusOf(() => parseBulk({ Operations: [{ method: 'DELETE', path: '/Users/1' }, { method: 'DELETE', path: '/Users/2' }] }, { operations: 1 }))).toBe(413);
    expect(statusOf(() => parseBulk({ Operations: [] }))).toBe(400);
    expect(statusOf(() => parseBulk({ failOnErrors: -1, Operations: [{ method: 'DELETE', path: '/Users/1' }] }))).toBe(400);
  });

  it('resolves references to the ids made, refusing unknown, failed and wrong-kind ones', () => {
    const [op] = parseBulk({ Operations: [{ method: 'PUT', path: '/Groups/bulkId:g', data: { displayName: 'G', members: [{ value: 'bulkId:u' }, { value: '9' }] } }] }).operations;
    const made = new Map([['g', { resource: 'Groups' as const, id: '5' }], ['u', { resource: 'Users' as const, id: '12' }]]);
    expect(resolveBulkIds(op!, made)).toEqual({ id: '5', data: { displayName: 'G', members: [{ value: '12' }, { value: '9' }] } });
    expect(scimTypeOf(() => resolveBulkIds(op!, new Map([['g', { resource: 'Groups' as const, id: '5' }]])))).toBe('invalidValue');
    expect(scimTypeOf(() => resolveBulkIds(op!, new Map([['g', { resource: 'Groups' as const, id: '5' }], ['u', null]])))).toBe('invalidValue');
    expect(scimTypeOf(() => resolveBulkIds(op!, new Map([['g', { resource: 'Users' as const, id: '5' }], ['u', { resource: 'Users' as const, id: '12' }]])))).toBe('invalidValue');
  });
});
