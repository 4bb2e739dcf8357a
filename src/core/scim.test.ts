import { describe, expect, it } from 'vitest';
import { nameFrom, paging, parseFilter, parsePatch, parseUserBody, presentScimUser, ScimError, scimErrorBody, SCIM_PATCH_SCHEMA } from './scim.js';

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
