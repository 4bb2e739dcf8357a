/**
 * SCIM 2.0 (RFC 7643 schema, RFC 7644 protocol) without I/O: the few filters identity providers
 * send, PatchOp bodies as Okta and Entra ID write them, full User bodies (POST, PUT), and the
 * error shape. What comes out is a plain change of a person (`ScimUserChange`); what Parley does
 * with it lives in ../commands/scim.ts.
 *
 * Leniency where the providers need it: `op` in any case ("Replace", Entra ID), `active` as a
 * boolean or the strings "true"/"false" in any case (Entra ID), a replace without `path` whose
 * value holds attributes, dotted ones included (Okta; Entra ID's `{"name.givenName": …}`).
 * Attributes Parley does not keep (title, phoneNumbers, the enterprise extension, a provider's
 * own…) are accepted and ignored, so a provider mapping more than Parley needs still provisions;
 * a path that is not an attribute path at all is refused (400 invalidPath).
 *
 * Groups (a brand's teams): a full Group (POST, PUT) and PatchOps on `members`, `displayName` and
 * `externalId` as Okta and Entra ID write them (Okta's replace without a path whose value holds
 * `id` and `displayName`; Entra ID's "Add"/"Remove" with a list of members, or a remove with the
 * path `members[value eq "id"]`); what comes out is a `ScimGroupChange`, a list of membership
 * steps applied in order by ../commands/scim.ts.
 *
 * Versions (RFC 7644 §3.14): a resource's `meta.version` is a weak ETag of what is presented, so
 * it changes whenever anything shown changes, whoever changed it.
 */

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCIM_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** RFC 7644 §3.12's scimType values Parley answers with. */
export type ScimType = 'invalidFilter' | 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'uniqueness' | 'mutability' | 'noTarget' | 'tooMany';

/** A refusal in SCIM's words: the route answers it as `urn:ietf:params:scim:api:messages:2.0:Error`. */
export class ScimError extends Error {
  constructor(readonly status: number, readonly detail: string, readonly scimType?: ScimType) {
    super(detail);
    this.name = 'ScimError';
  }
}

/** RFC 7644 §3.12's error body (`status` is a string there). */
export const scimErrorBody = (status: number, detail: string, scimType?: string) => ({ schemas: [SCIM_ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail });

/** The limits of what a provider may write (a person's limits in ../commands/setup.ts; an id of a provider fits 256). */
export const SCIM_MAX = { email: 320, name: 200, externalId: 256, operations: 100, filter: 1000, groupName: 100, members: 1000 } as const;

/** What a SCIM request asks to change of a person; `undefined` = unchanged, `null` = cleared. */
export interface ScimUserChange {
  userName?: string;
  /** The person's one name (name.formatted, else displayName). */
  formatted?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  /** A work or primary email: the same address as userName in Parley (userName wins when both come). */
  email?: string;
  active?: boolean;
  externalId?: string | null;
}

/** `userName eq "…"` or `externalId eq "…"`: the attribute and the value. */
export interface ScimFilter {
  attribute: 'userName' | 'externalId';
  value: string;
}

/** An `eq` filter on one of `attributes` (lower-cased name → the name), or 400 invalidFilter. */
function eqFilter<A extends string>(filter: string, schema: string, attributes: Record<string, A>): { attribute: A; value: string } {
  const names = Object.values(attributes).map((a) => `${a} eq`).join(' and ');
  if (filter.length > SCIM_MAX.filter) throw new ScimError(400, `a filter has at most ${SCIM_MAX.filter} characters`, 'invalidFilter');
  const m = /^\s*([A-Za-z][\w.:-]*)\s+([A-Za-z]{2})\s+("(?:[^"\\]|\\.)*")\s*$/s.exec(filter);
  if (!m) throw new ScimError(400, `the filter is not of the form attribute eq "value" (only ${names} are supported)`, 'invalidFilter');
  const prefix = `${schema.toLowerCase()}:`;
  const raw = m[1]!.toLowerCase();
  const attr = raw.startsWith(prefix) ? raw.slice(prefix.length) : raw;
  if (m[2]!.toLowerCase() !== 'eq') throw new ScimError(400, `only the eq operator is supported, not ${m[2]}`, 'invalidFilter');
  let value: unknown;
  try {
    value = JSON.parse(m[3]!);
  } catch {
    throw new ScimError(400, 'the filter\'s value is not a valid quoted string', 'invalidFilter');
  }
  if (typeof value !== 'string') throw new ScimError(400, 'the filter\'s value is not a string', 'invalidFilter');
  const attribute = Object.hasOwn(attributes, attr) ? attributes[attr] : undefined;
  if (attribute === undefined) throw new ScimError(400, `filtering on ${m[1]!.slice(0, 80)} is not supported (only ${names})`, 'invalidFilter');
  return { attribute, value };
}

/**
 * The filter of GET /Users. Only equality on userName (case-insensitive, as RFC 7643 defines it)
 * and on externalId, what Okta and Entra ID send to find a person; anything else is a 400
 * invalidFilter rather than a wrong answer.
 */
export function parseFilter(filter: string): ScimFilter {
  return eqFilter(filter, SCIM_USER_SCHEMA, { username: 'userName', externalid: 'externalId' });
}

/** `displayName eq "…"` (case-insensitive, as a team's name is) or `externalId eq "…"`. */
export interface ScimGroupFilter {
  attribute: 'displayName' | 'externalId';
  value: string;
}

/** The filter of GET /Groups: equality on displayName or externalId (what Okta and Entra ID send to find a group). */
export function parseGroupFilter(filter: string): ScimGroupFilter {
  return eqFilter(filter, SCIM_GROUP_SCHEMA, { displayname: 'displayName', externalid: 'externalId' });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Lone surrogates, control characters, invisible direction overrides: nothing a name or an address carries (the emoji joiner U+200D is fine). */
const ODD = /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

function text(v: unknown, what: string, max: number, nullable: boolean): string | null {
  if (v === null && nullable) return null;
  if (typeof v !== 'string') throw new ScimError(400, `${what} must be a string`, 'invalidValue');
  const s = v.trim();
  if (s.length > max) throw new ScimError(400, `${what} has at most ${max} characters`, 'invalidValue');
  if (ODD.test(s)) throw new ScimError(400, `${what} may not contain control characters or broken Unicode`, 'invalidValue');
  if (!s) {
    if (nullable) return null;
    throw new ScimError(400, `${what} may not be empty`, 'invalidValue');
  }
  return s;
}

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*$/;

/** A userName (or a work email): an email address, lowercased; anything else is a 400 invalidValue. */
export function scimEmail(v: unknown, what = 'userName'): string {
  const s = text(v, what, SCIM_MAX.email, false)!.toLowerCase();
  if (!EMAIL.test(s)) throw new ScimError(400, `${what} must be the person's email address`, 'invalidValue');
  return s;
}

function active(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  throw new ScimError(400, 'active must be true or false', 'invalidValue');
}

/** The address in an `emails` value: the primary one, else the work one, else the first. */
function emailOf(list: unknown): string | undefined {
  const items = Array.isArray(list) ? list : [list];
  if (items.length > 20) throw new ScimError(400, 'emails has at most 20 values', 'invalidValue');
  for (const e of items) if (!isObject(e)) throw new ScimError(400, 'each of emails is an object with a value', 'invalidValue');
  const pick = (items as Record<string, unknown>[]).find((e) => e.primary === true || e.primary === 'true') ?? (items as Record<string, unknown>[]).find((e) => e.type === 'work') ?? items[0];
  return pick === undefined ? undefined : scimEmail((pick as Record<string, unknown>).value, 'emails.value');
}

/** Attributes of the User schema (and its enterprise extension) Parley accepts but does not keep. */
const IGNORED = new Set([
  'nickname', 'profileurl', 'title', 'usertype', 'preferredlanguage', 'locale', 'timezone', 'password', 'phonenumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509certificates',
  'name.middlename', 'name.honorificprefix', 'name.honorificsuffix', 'schemas', 'meta', 'id',
]);

/**
 * Set one attribute (a SCIM path, lower-cased; `value` undefined = remove) on the change. `emails`
 * paths with a filter (`emails[type eq "work"].value`) set the address.
 */
function setPath(change: ScimUserChange, rawPath: string, value: unknown, remove: boolean): void {
  const path = rawPath.trim().replace(/^urn:ietf:params:scim:schemas:core:2\.0:User:/i, '');
  const p = path.toLowerCase();
  const cleared = (what: string, max: number) => (remove ? null : text(value, what, max, true));
  switch (p) {
    case 'active':
      if (remove) throw new ScimError(400, 'active cannot be removed', 'mutability');
      change.active = active(value);
      return;
    case 'username':
      if (remove) throw new ScimError(400, 'userName cannot be removed', 'mutability');
      change.userName = scimEmail(value);
      return;
    case 'displayname':
      change.displayName = cleared('displayName', SCIM_MAX.name);
      return;
    case 'externalid':
      change.externalId = cleared('externalId', SCIM_MAX.externalId);
      return;
    case 'name.givenname':
      change.givenName = cleared('name.givenName', SCIM_MAX.name);
      return;
    case 'name.familyname':
      change.familyName = cleared('name.familyName', SCIM_MAX.name);
      return;
    case 'name.formatted':
      change.formatted = cleared('name.formatted', SCIM_MAX.name);
      return;
    case 'name':
      if (remove) {
        change.givenName = null;
        change.familyName = null;
        return;
      }
      if (!isObject(value)) throw new ScimError(400, 'name must be an object', 'invalidValue');
      for (const [k, v] of Object.entries(value)) setPath(change, `name.${k}`, v, false);
      return;
    case 'emails':
      if (remove) return; // the address is userName's: it stays
      {
        const e = emailOf(value);
        if (e) change.email = e;
      }
      return;
  }
  // emails[type eq "work"].value, emails[primary eq true].value
  if (/^emails\[\s*(type\s+eq\s+("work"|'work')|primary\s+eq\s+true)\s*\]\.value$/i.test(path)) {
    if (!remove) change.email = scimEmail(value, 'emails.value');
    return;
  }
  const base = p.replace(/\[.*$/s, '').replace(/\..*$/s, '');
  if (IGNORED.has(p) || IGNORED.has(base) || p.startsWith(SCIM_ENTERPRISE_SCHEMA.toLowerCase()) || /^urn:[\w.:-]+$/i.test(path)) return;
  // another email (home…), part of a name Parley does not keep, an attribute of the provider's own
  if (/^[A-Za-z][\w$-]*(\[[^\]]*\])?(\.[A-Za-z][\w$-]*)?$/.test(path)) return;
  throw new ScimError(400, `not an attribute path: ${JSON.stringify(path.slice(0, 80))}`, 'invalidPath');
}

/** Every attribute of a User body (POST, PUT, a PatchOp's value without path). */
function setAll(change: ScimUserChange, body: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(body)) {
    if (k.toLowerCase() === 'schemas' || k.toLowerCase() === 'meta' || k.toLowerCase() === 'id') continue;
    if (k === SCIM_ENTERPRISE_SCHEMA || /^urn:/i.test(k)) continue;
    setPath(change, k, v, false);
  }
}

/**
 * A full User (POST, PUT): userName is required; what is missing is cleared (PUT replaces), but
 * `active` missing keeps what it is.
 */
export function parseUserBody(body: unknown): ScimUserChange & { userName: string } {
  if (!isObject(body)) throw new ScimError(400, 'the body must be a SCIM User object', 'invalidSyntax');
  const change: ScimUserChange = {};
  setAll(change, body);
  if (change.userName === undefined) throw new ScimError(400, 'userName is required', 'invalidValue');
  return { formatted: null, displayName: null, givenName: null, familyName: null, externalId: null, ...change, userName: change.userName };
}

/** A PatchOp body's operations, checked for shape: the kind lower-cased (Entra ID writes "Replace"). */
function patchOps(body: unknown): { kind: 'add' | 'replace' | 'remove'; path: string | undefined; value: unknown; hasValue: boolean }[] {
  if (!isObject(body)) throw new ScimError(400, 'the body must be a PatchOp object', 'invalidSyntax');
  if (body.schemas !== undefined && !(Array.isArray(body.schemas) && body.schemas.includes(SCIM_PATCH_SCHEMA))) {
    throw new ScimError(400, `schemas must include ${SCIM_PATCH_SCHEMA}`, 'invalidSyntax');
  }
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops) || ops.length === 0) throw new ScimError(400, 'Operations must be an array of one or more operations', 'invalidSyntax');
  if (ops.length > SCIM_MAX.operations) throw new ScimError(400, `at most ${SCIM_MAX.operations} operations in one request`, 'tooMany');
  return ops.map((op) => {
    if (!isObject(op)) throw new ScimError(400, 'each operation is an object with op, path and value', 'invalidSyntax');
    const kind = typeof op.op === 'string' ? op.op.toLowerCase() : '';
    if (kind !== 'add' && kind !== 'replace' && kind !== 'remove') throw new ScimError(400, 'op must be add, replace or remove', 'invalidSyntax');
    if (op.path !== undefined && (typeof op.path !== 'string' || op.path.length > 300)) throw new ScimError(400, 'path must be a string of at most 300 characters', 'invalidPath');
    return { kind, path: op.path as string | undefined, value: op.value, hasValue: 'value' in op };
  });
}

/** A PatchOp body: its operations applied in order to one change (the request is atomic). */
export function parsePatch(body: unknown): ScimUserChange {
  const change: ScimUserChange = {};
  for (const { kind, path, value, hasValue } of patchOps(body)) {
    if (kind === 'remove') {
      if (!path) throw new ScimError(400, 'a remove needs a path', 'noTarget');
      setPath(change, path, undefined, true);
      continue;
    }
    if (!hasValue) throw new ScimError(400, `an ${kind} needs a value`, 'invalidValue');
    if (path) setPath(change, path, value, false);
    else if (isObject(value)) setAll(change, value);
    else throw new ScimError(400, `an ${kind} without a path needs an object of attributes as its value`, 'invalidValue');
  }
  return change;
}

/** The person's one name from what the provider said: formatted, else displayName, else given and family names. */
export function nameFrom(p: { formatted?: string | null; displayName?: string | null; givenName?: string | null; familyName?: string | null }): string | null {
  return p.formatted || p.displayName || [p.givenName, p.familyName].filter(Boolean).join(' ').slice(0, SCIM_MAX.name) || null;
}

/** What is presented of a person. */
export interface ScimPerson {
  id: number;
  email: string;
  name: string;
  disabled: boolean;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  created: number;
  lastModified: number;
}

/** A person as a SCIM User resource (with its version); `base` is the service's URL (…/scim/v2). */
export function presentScimUser(p: ScimPerson, base: string) {
  return withVersion({
    schemas: [SCIM_USER_SCHEMA],
    id: String(p.id),
    ...(p.externalId != null ? { externalId: p.externalId } : {}),
    userName: p.email,
    name: { formatted: p.name, ...(p.givenName != null ? { givenName: p.givenName } : {}), ...(p.familyName != null ? { familyName: p.familyName } : {}) },
    displayName: p.name,
    active: !p.disabled,
    emails: [{ value: p.email, type: 'work', primary: true }],
    meta: { resourceType: 'User', created: new Date(p.created).toISOString(), lastModified: new Date(p.lastModified).toISOString(), location: `${base}/Users/${p.id}` },
  });
}

/** RFC 7644 §3.4.2.4 paging: startIndex from 1 (less is 1), count from 0 (capped at `max`). */
export function paging(q: { startIndex?: unknown; count?: unknown }, max = 200): { startIndex: number; count: number } {
  const int = (v: unknown, dflt: number) => {
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || !/^\s*-?\d+\s*$/.test(String(v))) throw new ScimError(400, 'startIndex and count are whole numbers', 'invalidValue');
    return Math.trunc(n);
  };
  return { startIndex: Math.min(1_000_000_000, Math.max(1, int(q.startIndex, 1))), count: Math.min(max, Math.max(0, int(q.count, 100))) };
}

// -- groups

/** One step of a group's membership, applied in order: members added, removed, all removed, or replaced. */
export type ScimMembersStep = { op: 'add' | 'remove' | 'replace'; ids: string[] } | { op: 'removeAll' };

/** What a SCIM request asks to change of a group; `undefined` = unchanged. */
export interface ScimGroupChange {
  displayName?: string;
  externalId?: string | null;
  members: ScimMembersStep[];
}

/** The User ids of a `members` value (a list of `{value}`, or one): strings of digits, at most SCIM_MAX.members in a request. */
function memberIds(v: unknown, seen: { n: number }): string[] {
  const items = Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
  seen.n += items.length;
  if (seen.n > SCIM_MAX.members) throw new ScimError(400, `at most ${SCIM_MAX.members} members in one request`, 'tooMany');
  return items.map((m) => {
    const id = isObject(m) ? m.value : undefined;
    const s = typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : id;
    if (typeof s !== 'string' || !/^\d{1,15}$/.test(s.trim())) throw new ScimError(400, 'each member is {"value": "<the id of a User of this brand>"}', 'invalidValue');
    return s.trim();
  });
}

const groupName = (v: unknown) => text(v, 'displayName', SCIM_MAX.groupName, false)!;

/** Set one attribute of a group (a path, or a key of a value without path). */
function setGroupPath(change: ScimGroupChange, kind: 'add' | 'replace' | 'remove', rawPath: string, value: unknown, seen: { n: number }): void {
  const path = rawPath.trim().replace(/^urn:ietf:params:scim:schemas:core:2\.0:Group:/i, '');
  const p = path.toLowerCase();
  if (p === 'members') {
    if (kind === 'remove') change.members.push(value === undefined || value === null ? { op: 'removeAll' } : { op: 'remove', ids: memberIds(value, seen) });
    else change.members.push({ op: kind, ids: memberIds(value, seen) });
    return;
  }
  const one = /^members\[\s*value\s+eq\s+("(?:[^"\\]|\\.)*")\s*\]$/i.exec(path);
  if (one) {
    if (kind !== 'remove') throw new ScimError(400, 'members[value eq "…"] is a path to remove a member; add members with the path members', 'invalidPath');
    let id: unknown;
    try {
      id = JSON.parse(one[1]!);
    } catch {
      throw new ScimError(400, 'the member\'s id is not a valid quoted string', 'invalidPath');
    }
    change.members.push({ op: 'remove', ids: memberIds([{ value: id }], seen) });
    return;
  }
  switch (p) {
    case 'displayname':
      if (kind === 'remove') throw new ScimError(400, 'displayName cannot be removed', 'mutability');
      change.displayName = groupName(value);
      return;
    case 'externalid':
      change.externalId = kind === 'remove' ? null : text(value, 'externalId', SCIM_MAX.externalId, true);
      return;
    case 'id': case 'schemas': case 'meta':
      return; // Okta's replace sends the group's id back; it names the resource already addressed
  }
  if (/^[A-Za-z][\w$-]*$/.test(path) || /^urn:[\w.:-]+$/i.test(path)) return; // an attribute of the provider's own
  throw new ScimError(400, `not an attribute path of a Group: ${JSON.stringify(path.slice(0, 80))}`, 'invalidPath');
}

/**
 * A full Group (POST, PUT): displayName is required; `members` replaces the members when given
 * (a PUT without it, as a rename only, keeps them: a care desk does not lose a team to an
 * omission); externalId missing is cleared.
 */
export function parseGroupBody(body: unknown): ScimGroupChange & { displayName: string } {
  if (!isObject(body)) throw new ScimError(400, 'the body must be a SCIM Group object', 'invalidSyntax');
  const change: ScimGroupChange = { members: [] };
  const seen = { n: 0 };
  for (const [k, v] of Object.entries(body)) setGroupPath(change, 'replace', k, v, seen);
  if (change.displayName === undefined) throw new ScimError(400, 'displayName is required', 'invalidValue');
  return { externalId: null, ...change, displayName: change.displayName };
}

/** A PatchOp body on a Group: its operations in order, as one change (the request is atomic). */
export function parseGroupPatch(body: unknown): ScimGroupChange {
  const change: ScimGroupChange = { members: [] };
  const seen = { n: 0 };
  for (const { kind, path, value, hasValue } of patchOps(body)) {
    if (kind === 'remove') {
      if (!path) throw new ScimError(400, 'a remove needs a path', 'noTarget');
      setGroupPath(change, 'remove', path, value, seen);
      continue;
    }
    if (!hasValue) throw new ScimError(400, `an ${kind} needs a value`, 'invalidValue');
    if (path) setGroupPath(change, kind, path, value, seen);
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) setGroupPath(change, kind, k, v, seen);
    else throw new ScimError(400, `an ${kind} without a path needs an object of attributes as its value`, 'invalidValue');
  }
  return change;
}

/** The member ids after `steps`, from `before` (order kept, no duplicates). */
export function membersAfter(before: readonly string[], steps: readonly ScimMembersStep[]): string[] {
  let ids = [...new Set(before)];
  for (const s of steps) {
    if (s.op === 'removeAll') ids = [];
    else if (s.op === 'replace') ids = [...new Set(s.ids)];
    else if (s.op === 'add') ids = [...new Set([...ids, ...s.ids])];
    else {
      const gone = new Set(s.ids);
      ids = ids.filter((id) => !gone.has(id));
    }
  }
  return ids;
}

/** What is presented of a team. */
export interface ScimTeam {
  id: number;
  name: string;
  externalId: string | null;
  members: { id: number; name: string }[];
  created: number;
  lastModified: number;
}

/** A team as a SCIM Group resource (with its version); `base` is the service's URL. */
export function presentScimGroup(t: ScimTeam, base: string) {
  return withVersion({
    schemas: [SCIM_GROUP_SCHEMA],
    id: String(t.id),
    ...(t.externalId != null ? { externalId: t.externalId } : {}),
    displayName: t.name,
    members: t.members.map((m) => ({ value: String(m.id), display: m.name, type: 'User', $ref: `${base}/Users/${m.id}` })),
    meta: { resourceType: 'Group', created: new Date(t.created).toISOString(), lastModified: new Date(t.lastModified).toISOString(), location: `${base}/Groups/${t.id}` },
  });
}

// -- versions (ETags)

/** Two FNV-1a lanes over the text: 64 bits, enough to tell one state of a resource from the next. */
function fingerprint(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/**
 * The resource with `meta.version`: a weak ETag of everything else it presents but its URLs
 * (`location`, `$ref`), so a version does not depend on the host name the request came by.
 */
export function withVersion<R extends { meta: Record<string, unknown> }>(r: R): R & { meta: R['meta'] & { version: string } } {
  const { version: _old, ...meta } = r.meta;
  const seen = JSON.stringify({ ...r, meta }, (k, v) => (k === 'location' || k === '$ref' ? undefined : v));
  return { ...r, meta: { ...meta, version: `W/"${fingerprint(seen)}"` } } as R & { meta: R['meta'] & { version: string } };
}

/**
 * Whether an If-Match or If-None-Match header names this version: `*`, or one of its
 * comma-separated tags, compared weakly (W/ or not: SCIM's versions are weak).
 */
export function etagMatches(header: string | undefined, version: string): boolean {
  if (header === undefined) return false;
  const bare = (t: string) => t.trim().replace(/^W\//i, '');
  if (header.trim() === '*') return true;
  return header.slice(0, 2000).split(',').some((t) => bare(t) === bare(version));
}

// -- bulk (RFC 7644 §3.7)

export const SCIM_BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const SCIM_BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

/** What ServiceProviderConfig announces and the Bulk endpoint enforces (413 beyond either). */
export const SCIM_BULK = { maxOperations: 100, maxPayloadSize: 1_048_576 } as const;

export type ScimResourceType = 'Users' | 'Groups';
export type ScimWriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One operation of a BulkRequest, checked for shape. `error`: what is wrong with it alone (it is
 * answered in its place in the BulkResponse; the others still run). `refs`: the bulkIds it refers
 * to (`bulkId:<id>` as the id of its path or as any string of its data).
 */
export interface ScimBulkOperation {
  index: number;
  method: string;
  bulkId?: string;
  version?: string;
  resource?: ScimResourceType;
  /** The id of its path: a resource's id, or `bulkId:<id>` (none for a POST). */
  id?: string;
  data?: unknown;
  refs: string[];
  error?: ScimError;
}

export interface ScimBulkRequest {
  /** How many errors end the job (RFC 7644's failOnErrors; Infinity: none given, every operation is tried). */
  failOnErrors: number;
  /** The operations in the order they run: a reference's POST before it, else as sent. */
  operations: ScimBulkOperation[];
}

const BULK_ID = /^[A-Za-z0-9._~:-]{1,100}$/;
const REF = /^bulkId:(.+)$/s;

/** The bulkIds a value refers to (every string `bulkId:<id>` in it). */
function refsIn(v: unknown, out: string[]): void {
  if (typeof v === 'string') {
    const m = REF.exec(v);
    if (m) out.push(m[1]!);
  } else if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (isObject(v)) for (const x of Object.values(v)) refsIn(x, out);
}

function bulkOperation(op: unknown, index: number): ScimBulkOperation {
  const fail = (status: number, detail: string, scimType?: ScimType, partial: Partial<ScimBulkOperation> = {}): ScimBulkOperation => ({ index, method: '', refs: [], ...partial, error: new ScimError(status, detail, scimType) });
  if (!isObject(op)) return fail(400, 'each operation is an object with method, path and, but for a DELETE, data', 'invalidSyntax');
  const method = typeof op.method === 'string' ? op.method.trim().toUpperCase().slice(0, 10) : '';
  const bulkId = typeof op.bulkId === 'string' && BULK_ID.test(op.bulkId) ? op.bulkId : undefined;
  const seen = { index, method, bulkId, refs: [] as string[] };
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH' && method !== 'DELETE') return fail(400, 'method must be POST, PUT, PATCH or DELETE', 'invalidSyntax', seen);
  if (op.bulkId !== undefined && bulkId === undefined) return fail(400, 'bulkId must be 1 to 100 letters, digits or ._~:-', 'invalidValue', seen);
  if (method === 'POST' && bulkId === undefined) return fail(400, 'a POST needs a bulkId', 'invalidValue', seen);
  if (op.version !== undefined && (typeof op.version !== 'string' || op.version.length > 200)) return fail(400, 'version must be a string (the resource\'s meta.version)', 'invalidValue', seen);
  const path = typeof op.path === 'string' && op.path.length <= 300 ? /^\/?(Users|Groups)(?:\/([^/?#\s]{1,200}))?\/?$/.exec(op.path.trim()) : null;
  if (!path) return fail(400, 'path must be /Users or /Groups (for a POST), or /Users/<id> or /Groups/<id>', 'invalidPath', seen);
  const resource = path[1] as ScimResourceType;
  const id = path[2];
  if (method === 'POST' && id !== undefined) return fail(400, `a POST's path is /${resource}`, 'invalidPath', seen);
  if (method !== 'POST' && id === undefined) return fail(400, `a ${method}'s path names the resource: /${resource}/<id>`, 'invalidPath', seen);
  if (method !== 'DELETE' && !isObject(op.data)) return fail(400, `a ${method} needs data: the body it would have on its own`, 'invalidSyntax', seen);
  const refs: string[] = [];
  if (id !== undefined) refsIn(id, refs);
  if (method !== 'DELETE') refsIn(op.data, refs);
  return { ...seen, refs: [...new Set(refs)], resource, id, data: method === 'DELETE' ? undefined : op.data, ...(typeof op.version === 'string' ? { version: op.version } : {}) };
}

/**
 * A BulkRequest: its failOnErrors and its operations, in an order where each runs after the POSTs
 * whose bulkIds it refers to. Refused as a whole: not a BulkRequest (400), more than
 * `max.operations` operations (413, naming the limit), one bulkId given to two operations (400),
 * and circular references (409: RFC 7644 §3.7.2 lets a service provider refuse what it cannot
 * order; nothing has run then).
 */
export function parseBulk(body: unknown, max: { operations: number } = { operations: SCIM_BULK.maxOperations }): ScimBulkRequest {
  if (!isObject(body)) throw new ScimError(400, 'the body must be a SCIM BulkRequest object', 'invalidSyntax');
  if (body.schemas !== undefined && !(Array.isArray(body.schemas) && body.schemas.includes(SCIM_BULK_REQUEST_SCHEMA))) {
    throw new ScimError(400, `schemas must include ${SCIM_BULK_REQUEST_SCHEMA}`, 'invalidSyntax');
  }
  const list = body.Operations ?? body.operations;
  if (!Array.isArray(list) || list.length === 0) throw new ScimError(400, 'Operations must be an array of one or more operations', 'invalidSyntax');
  if (list.length > max.operations) throw new ScimError(413, `the request has ${list.length} operations, more than maxOperations (${max.operations})`);
  let failOnErrors = Infinity;
  if (body.failOnErrors !== undefined && body.failOnErrors !== null) {
    const n = typeof body.failOnErrors === 'string' && /^\s*\d{1,9}\s*$/.test(body.failOnErrors) ? Number(body.failOnErrors) : body.failOnErrors;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new ScimError(400, 'failOnErrors must be a whole number of 1 or more', 'invalidValue');
    failOnErrors = n;
  }
  const ops = list.map(bulkOperation);
  const byBulkId = new Map<string, ScimBulkOperation>();
  for (const op of ops) {
    if (op.bulkId === undefined || op.method !== 'POST') continue;
    if (byBulkId.has(op.bulkId)) throw new ScimError(400, `bulkId ${op.bulkId} is given to more than one operation`, 'invalidValue');
    byBulkId.set(op.bulkId, op);
  }
  return { failOnErrors, operations: bulkOrder(ops, byBulkId) };
}

/** Each operation after the POSTs it refers to (else in the order sent); a cycle is a 409. */
function bulkOrder(ops: ScimBulkOperation[], byBulkId: Map<string, ScimBulkOperation>): ScimBulkOperation[] {
  const deps = (op: ScimBulkOperation) => (op.error ? [] : op.refs.map((r) => byBulkId.get(r)).filter((d): d is ScimBulkOperation => d !== undefined && !d.error));
  const state = new Map<number, 'visiting' | 'done'>();
  const order: ScimBulkOperation[] = [];
  const visit = (op: ScimBulkOperation, trail: ScimBulkOperation[]) => {
    const s = state.get(op.index);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(op)), op].map((o) => `bulkId:${o.bulkId}`).join(' → ');
      throw new ScimError(409, `circular bulkId references (${cycle.slice(0, 300)}): a resource cannot refer to itself, even through others; nothing was done`);
    }
    state.set(op.index, 'visiting');
    for (const d of deps(op)) visit(d, [...trail, op]);
    state.set(op.index, 'done');
    order.push(op);
  };
  for (const op of ops) visit(op, []);
  return order;
}

/**
 * The operation's id and data with every `bulkId:<id>` replaced by the id its POST made. A
 * reference in data names a User (a Group's members are Users: Parley's resources refer to
 * nothing else); one in the path names the path's kind of resource. Unknown, failed, or of the
 * wrong kind: 400 invalidValue, and the operation does not run.
 */
export function resolveBulkIds(op: ScimBulkOperation, made: ReadonlyMap<string, { resource: ScimResourceType; id: string } | null>): { id?: string; data?: unknown } {
  const one = (ref: string, want: ScimResourceType) => {
    const m = made.get(ref);
    if (m === undefined) throw new ScimError(400, `bulkId:${ref.slice(0, 100)} names no POST of this request`, 'invalidValue');
    if (m === null) throw new ScimError(400, `bulkId:${ref.slice(0, 100)} names a POST that failed`, 'invalidValue');
    if (m.resource !== want) throw new ScimError(400, `bulkId:${ref.slice(0, 100)} is a ${m.resource === 'Users' ? 'User' : 'Group'}, not a ${want === 'Users' ? 'User' : 'Group'}`, 'invalidValue');
    return m.id;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = REF.exec(v);
      return m ? one(m[1]!, 'Users') : v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const ref = op.id === undefined ? null : REF.exec(op.id);
  return { id: ref ? one(ref[1]!, op.resource!) : op.id, data: op.refs.length ? walk(op.data) : op.data };
}
