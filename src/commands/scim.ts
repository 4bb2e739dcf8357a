/**
 * SCIM 2.0 provisioning of a brand's people by its identity provider (docs/sso.md, "Provisioning
 * with SCIM"): the brand's SCIM tokens, and what a SCIM client may do to the brand's people.
 *
 * A SCIM token is made by an admin and shown once; only its SHA-256 is kept. It authenticates
 * only /scim/v2/* of its brand (and nothing else authenticates there): API tokens and sessions
 * are looked up elsewhere (../server/auth.ts), and a SCIM token is in neither of their tables.
 *
 * What SCIM does to people: makes them (with the token's role, never admin; no password: they
 * sign in with the brand's single sign-on), renames them, changes their address, disables and
 * enables them, through the same command as an admin (./people.ts), audited as `scim:<label>`.
 * What it never does: change anyone's role, delete anyone (DELETE disables; their history stays),
 * or change or disable an admin (403: a misconfigured provider must not lock the brand out;
 * admins are managed in Parley).
 *
 * What SCIM does to teams (its Groups): makes them, renames them and sets their members through
 * the same membership path as an admin (./teams.ts: routing sees new members at once), audited as
 * `scim:<label>`. It sees and changes only the teams SCIM made (`team.scim_token_id`), never an
 * admin's, and never who leads a team (a lead who stays a member stays its lead). DELETE refuses
 * (409) while routing rules, open conversations or open questions to experts point at the team,
 * so no conversation is routed to nowhere; otherwise the team loses its members and is removed,
 * or, when past conversations keep its name in the history, is kept as an admin's empty team.
 *
 * Versions: every resource carries `meta.version` (../core/scim.ts); a change or removal with
 * `If-Match` is refused with 412 when the resource has changed since. The version is checked
 * again inside the transaction that writes, with the resource held (a User: the brand's people
 * lock updatePerson takes; a Group: its team row `FOR UPDATE` on PostgreSQL; SQLite's write
 * transactions are serial), so of two changes sent with the same If-Match only one is made.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import {
  etagMatches, membersAfter, nameFrom, paging, parseGroupBody, parseGroupPatch, parsePatch, parseUserBody, presentScimGroup, presentScimUser, resolveBulkIds, ScimError, scimErrorBody, SCIM_BULK_RESPONSE_SCHEMA, SCIM_LIST_SCHEMA,
  type ScimBulkRequest, type ScimFilter, type ScimGroupChange, type ScimGroupFilter, type ScimPerson, type ScimResourceType, type ScimTeam, type ScimUserChange, type ScimWriteMethod,
} from '../core/scim.js';
import { parseObject } from '../lib/json.js';
import { AppError, notFound } from '../errors.js';
import { sha256 } from '../server/auth.js';
import { audit } from '../store/audit.js';
import type { Dialect } from '../store/db.js';
import type { User } from '../store/schema.js';
import type { Tx } from '../store/util.js';
import type { Actor } from './context.js';
import { updatePerson, type PeopleDeps, type PersonChange } from './people.js';
import { createTeam, createUser, teamExists, ValidationError } from './setup.js';
import { replaceTeamMembers, teamChanged, type TeamDeps } from './teams.js';

export const SCIM_ROLES = ['agent', 'expert', 'approver'] as const;
export type ScimRole = (typeof SCIM_ROLES)[number];

/** The SCIM client calling: its token, its brand, and who it is in the audit trail. */
export interface ScimClient {
  tokenId: number;
  brandId: number;
  label: string;
  role: ScimRole;
  actor: Actor;
}

// -- tokens

/** A new SCIM token for the brand: the secret (shown once) and its row's id. */
export async function createScimToken(db: Tx, p: { brandId: number; label: string; role: ScimRole; actor: Actor }, now: number): Promise<{ id: number; token: string; prefix: string }> {
  const raw = `scim_${randomBytes(30).toString('base64url')}`;
  const row = await db
    .insertInto('scim_token')
    .values({ brand_id: p.brandId, label: p.label, token_hash: sha256(raw), prefix: raw.slice(0, 9), role: p.role, created_by: p.actor.userId, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(db, { brandId: p.brandId, actor: p.actor.name, action: 'scim.token_created', subjectType: 'scim_token', subjectId: row.id, data: { label: p.label, role: p.role } }, now);
  return { id: row.id, token: raw, prefix: raw.slice(0, 9) };
}

/** The brand's SCIM tokens (never the secret), each with the teams it provisions (the admin UI's "Provisioned by"). */
export async function listScimTokens(db: Tx, brandId: number) {
  const rows = await db.selectFrom('scim_token').selectAll().where('brand_id', '=', brandId).orderBy('id').execute();
  const teams = await db.selectFrom('team').select(['id', 'scim_token_id']).where('brand_id', '=', brandId).where('scim_token_id', 'is not', null).orderBy('id').execute();
  const iso = (t: number | null) => (t == null ? null : new Date(Number(t)).toISOString());
  return rows.map((t) => ({
    id: t.id, label: t.label, prefix: t.prefix, role: t.role, createdAt: iso(t.created_at)!, lastUsedAt: iso(t.last_used_at), revokedAt: iso(t.revoked_at),
    teamIds: teams.filter((g) => Number(g.scim_token_id) === Number(t.id)).map((g) => g.id),
  }));
}

/** Revoke a token of the brand (404 for another brand's or an unknown one; revoking twice is fine). */
export async function revokeScimToken(db: Tx, p: { brandId: number; id: number; actor: Actor }, now: number): Promise<void> {
  const t = await db.selectFrom('scim_token').select(['id', 'revoked_at', 'label']).where('id', '=', p.id).where('brand_id', '=', p.brandId).executeTakeFirst();
  if (!t) throw notFound('SCIM token');
  if (t.revoked_at != null) return;
  await db.updateTable('scim_token').set({ revoked_at: now }).where('id', '=', t.id).execute();
  await audit(db, { brandId: p.brandId, actor: p.actor.name, action: 'scim.token_revoked', subjectType: 'scim_token', subjectId: t.id, data: { label: t.label } }, now);
}

/** The SCIM client of a bearer token, or a 401 (unknown, revoked, none). */
export async function authenticateScim(db: Tx, authorization: string | undefined, now: number): Promise<ScimClient> {
  const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(authorization ?? '');
  if (!m) throw new ScimError(401, 'a SCIM token is required: Authorization: Bearer <token>');
  const t = await db.selectFrom('scim_token').selectAll().where('token_hash', '=', sha256(m[1]!)).executeTakeFirst();
  if (!t || t.revoked_at != null) throw new ScimError(401, 'the SCIM token is unknown or revoked');
  if (t.last_used_at == null || now - Number(t.last_used_at) > 60_000) await db.updateTable('scim_token').set({ last_used_at: now }).where('id', '=', t.id).execute();
  return { tokenId: t.id, brandId: t.brand_id, label: t.label, role: t.role as ScimRole, actor: { brandId: t.brand_id, userId: null, role: 'system', name: `scim:${t.label}` } };
}

/**
 * RFC 7644 §3.14: a change or removal sent with If-Match is made only to the version it names
 * (else 412: the provider reads the resource again and decides).
 */
function unchangedSince(current: { id: string; meta: { resourceType: string; version: string } }, ifMatch: string | undefined): void {
  if (ifMatch !== undefined && !etagMatches(ifMatch, current.meta.version)) {
    throw new ScimError(412, `${current.meta.resourceType} ${current.id} has changed since the version in If-Match (it is now ${current.meta.version}): read it again`);
  }
}

// -- people

type Row = User & { external_id: string | null; given_name: string | null; family_name: string | null; scim_updated: number | null };

function peopleOf(db: Tx, brandId: number) {
  return db
    .selectFrom('app_user')
    .leftJoin('scim_user', 'scim_user.user_id', 'app_user.id')
    .selectAll('app_user')
    .select(['scim_user.external_id', 'scim_user.given_name', 'scim_user.family_name', 'scim_user.updated_at as scim_updated'])
    .where('app_user.brand_id', '=', brandId);
}

const person = (r: Row): ScimPerson => ({
  id: r.id, email: r.email, name: r.name, disabled: r.disabled_at != null, externalId: r.external_id, givenName: r.given_name, familyName: r.family_name,
  created: Number(r.created_at), lastModified: Math.max(Number(r.created_at), Number(r.scim_updated ?? 0), Number(r.disabled_at ?? 0)),
});

/** A person of the client's brand by SCIM id (a string of digits; anything else, or another brand's, is 404). */
async function load(db: Tx, c: ScimClient, id: string): Promise<Row> {
  const n = /^\d{1,15}$/.test(id) ? Number(id) : NaN;
  const r = Number.isSafeInteger(n) ? await peopleOf(db, c.brandId).where('app_user.id', '=', n).executeTakeFirst() : undefined;
  if (!r) throw new ScimError(404, `no User ${id.slice(0, 40)}`);
  return r as Row;
}

export async function getScimUser(deps: PeopleDeps, c: ScimClient, id: string, base: string) {
  return presentScimUser(person(await load(deps.store.db, c, id)), base);
}

/** GET /Users: the brand's people, by id, filtered by userName or externalId, a page of them. */
export async function listScimUsers(deps: PeopleDeps, c: ScimClient, q: { filter?: ScimFilter; startIndex?: unknown; count?: unknown }, base: string) {
  const { startIndex, count } = paging(q);
  let query = peopleOf(deps.store.db, c.brandId);
  if (q.filter?.attribute === 'userName') query = query.where('app_user.email', '=', q.filter.value.trim().toLowerCase());
  if (q.filter?.attribute === 'externalId') query = query.where('scim_user.external_id', '=', q.filter.value);
  const total = Number((await query.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = count > 0 ? ((await query.orderBy('app_user.id').limit(count).offset(startIndex - 1).execute()) as Row[]) : [];
  return { schemas: [SCIM_LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: rows.length, Resources: rows.map((r) => presentScimUser(person(r), base)) };
}

/** Admins are managed in Parley: SCIM reads them, never changes them. */
const notAdmin = (u: User) => {
  if (u.role === 'admin') throw new ScimError(403, `${u.email} is an admin of the brand: SCIM does not change or deactivate admins; an admin changes them in Parley (Settings → People)`);
};

/** The person's one name after `ch`, from what the provider says and what it said before. */
function nameAfter(r: { name: string; given_name: string | null; family_name: string | null } | null, ch: ScimUserChange): string | undefined {
  const given = ch.givenName !== undefined ? ch.givenName : r?.given_name ?? null;
  const family = ch.familyName !== undefined ? ch.familyName : r?.family_name ?? null;
  if (ch.formatted || ch.displayName) return nameFrom({ formatted: ch.formatted, displayName: ch.displayName }) ?? undefined;
  if (ch.givenName !== undefined || ch.familyName !== undefined) return nameFrom({ givenName: given, familyName: family }) ?? undefined;
  return undefined;
}

/** Keep what Parley's own record does not hold (externalId, the given and family names). */
async function keepScimFields(trx: Tx, u: User, ch: ScimUserChange, now: number): Promise<void> {
  const set: Record<string, unknown> = { updated_at: now };
  if (ch.externalId !== undefined) set.external_id = ch.externalId;
  if (ch.givenName !== undefined) set.given_name = ch.givenName;
  if (ch.familyName !== undefined) set.family_name = ch.familyName;
  const had = await trx.selectFrom('scim_user').select('user_id').where('user_id', '=', u.id).executeTakeFirst();
  if (had) await trx.updateTable('scim_user').set(set).where('user_id', '=', u.id).execute();
  else await trx.insertInto('scim_user').values({ user_id: u.id, brand_id: u.brand_id, external_id: null, given_name: null, family_name: null, created_at: now, ...set, updated_at: now }).execute();
}

/** POST /Users: a new person of the brand with the token's role, no password (they sign in with single sign-on). */
export async function createScimUser(deps: PeopleDeps, c: ScimClient, ch: ScimUserChange & { userName: string }, base: string) {
  const now = deps.clock.now();
  const email = ch.userName;
  const name = nameAfter(null, ch) ?? email;
  const id = await deps.store.db.transaction().execute(async (trx) => {
    try {
      const id = await createUser(trx, { brandId: c.brandId, email, name, role: c.role, password: null, actor: c.actor.name }, now);
      const u = await trx.selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      await keepScimFields(trx, u, ch, now);
      // made active: false (Entra ID may do so): disabled from the start
      if (ch.active === false) {
        await trx.updateTable('app_user').set({ disabled_at: now, availability: 'offline' }).where('id', '=', id).execute();
        await audit(trx, { brandId: c.brandId, actor: c.actor.name, action: 'user.updated', subjectType: 'user', subjectId: id, data: { disabled: true } }, now);
      }
      return id;
    } catch (err) {
      if (err instanceof ValidationError && err.code === 'user.exists') throw new ScimError(409, `a person with userName ${email} already exists`, 'uniqueness');
      if (err instanceof ValidationError) throw new ScimError(400, err.message, 'invalidValue');
      throw err;
    }
  });
  return presentScimUser(person((await peopleOf(deps.store.db, c.brandId).where('app_user.id', '=', id).executeTakeFirstOrThrow()) as Row), base);
}

/**
 * PUT (a whole User) or PATCH (a PatchOp's change) of a person of the brand: their address, name,
 * active, externalId; never their role, never an admin (403).
 */
export async function changeScimUser(deps: PeopleDeps, c: ScimClient, id: string, ch: ScimUserChange, base: string, ifMatch?: string) {
  const r = await load(deps.store.db, c, id);
  // (a quick answer; the check that counts is the one inside the write's transaction)
  unchangedSince(presentScimUser(person(r), base), ifMatch);
  notAdmin(r);
  const held = heldUnchanged(ifMatch);
  const email = ch.userName ?? ch.email;
  const change: PersonChange = {};
  if (email !== undefined && email !== r.email) change.email = email;
  const name = nameAfter(r, ch);
  if (name !== undefined && name !== r.name) change.name = name;
  if (ch.active !== undefined && ch.active === (r.disabled_at != null)) change.disabled = !ch.active;
  const keeps = ch.externalId !== undefined || ch.givenName !== undefined || ch.familyName !== undefined;
  if (Object.keys(change).length || keeps) {
    try {
      await updatePerson(deps, {
        actor: c.actor, userId: r.id, change,
        // the person may have become an admin, or changed, since it was read
        check: held.check,
        alongside: async (trx, u) => {
          await held.verify(trx);
          await keepScimFields(trx, u, ch, deps.clock.now());
        },
        auditData: Object.fromEntries(Object.entries({ externalId: ch.externalId, givenName: ch.givenName, familyName: ch.familyName }).filter(([, v]) => v !== undefined)),
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'user.exists') throw new ScimError(409, `a person with userName ${email} already exists`, 'uniqueness');
      if (err instanceof AppError && err.code === 'not_found') throw new ScimError(404, `no User ${id}`);
      throw err;
    }
  }
  return getScimUser(deps, c, id, base);
}

/** DELETE /Users/:id: the person is disabled (Parley never deletes a person: their history stays). */
export async function deactivateScimUser(deps: PeopleDeps, c: ScimClient, id: string, ifMatch?: string): Promise<void> {
  const r = await load(deps.store.db, c, id);
  unchangedSince(presentScimUser(person(r), ''), ifMatch);
  notAdmin(r);
  if (r.disabled_at != null) return;
  const held = heldUnchanged(ifMatch);
  await updatePerson(deps, { actor: c.actor, userId: r.id, change: { disabled: true }, check: held.check, alongside: held.verify });
}

/**
 * If-Match checked inside updatePerson's transaction, under the brand's people lock it takes (the
 * only writer of `app_user` and `scim_user` for SCIM's fields): `check` sees the person as locked,
 * before the change, `verify` (first thing in `alongside`, before SCIM's own fields are written)
 * adds what SCIM keeps of them and refuses with 412 when that is no longer the version the client
 * named; throwing there rolls the change and its audit back.
 */
function heldUnchanged(ifMatch: string | undefined) {
  let before: User | undefined;
  return {
    check: (u: User) => {
      notAdmin(u);
      before = u;
    },
    verify: async (trx: Tx) => {
      if (ifMatch === undefined || !before) return;
      const kept = await trx.selectFrom('scim_user').select(['external_id', 'given_name', 'family_name', 'updated_at']).where('user_id', '=', before.id).executeTakeFirst();
      const row: Row = { ...before, external_id: kept?.external_id ?? null, given_name: kept?.given_name ?? null, family_name: kept?.family_name ?? null, scim_updated: kept?.updated_at ?? null };
      unchangedSince(presentScimUser(person(row), ''), ifMatch);
    },
  };
}

// -- teams (Groups)

/** What the group commands need: people's, and what routing needs after a change of members. */
export type GroupDeps = PeopleDeps & TeamDeps;

type TeamRow = { id: number; brand_id: number; name: string; created_at: number; scim_token_id: number | null; scim_external_id: string | null; scim_updated_at: number | null };

/** The teams SCIM provisions in the brand (an admin's teams are not SCIM's to see or change). */
function groupsOf(db: Tx, brandId: number) {
  return db.selectFrom('team').select(['id', 'brand_id', 'name', 'created_at', 'scim_token_id', 'scim_external_id', 'scim_updated_at']).where('brand_id', '=', brandId).where('scim_token_id', 'is not', null);
}

/**
 * A SCIM team of the client's brand by id (404 otherwise). With `lockOn` (inside a transaction
 * that changes it): its row is held until the transaction ends on PostgreSQL, so the version
 * checked against If-Match is the one written over (SQLite's write transactions are serial).
 */
async function loadTeam(db: Tx, c: ScimClient, id: string, lockOn?: Dialect): Promise<TeamRow> {
  const n = /^\d{1,15}$/.test(id) ? Number(id) : NaN;
  const q = groupsOf(db, c.brandId).where('id', '=', n);
  const t = Number.isSafeInteger(n) ? await (lockOn === 'postgres' ? q.forUpdate() : q).executeTakeFirst() : undefined;
  if (!t) throw new ScimError(404, `no Group ${id.slice(0, 40)}`);
  return t as TeamRow;
}

/** The members of these teams (with whether they lead), by team, in the order of their ids. */
async function membersOf(db: Tx, teamIds: number[]) {
  const by = new Map<number, { id: number; name: string; isLead: boolean }[]>(teamIds.map((t) => [t, []]));
  if (!teamIds.length) return by;
  const rows = await db.selectFrom('team_member').innerJoin('app_user', 'app_user.id', 'team_member.user_id').select(['team_member.team_id', 'app_user.id', 'app_user.name', 'team_member.is_lead']).where('team_member.team_id', 'in', teamIds).orderBy('app_user.id').execute();
  for (const r of rows) by.get(r.team_id)?.push({ id: r.id, name: r.name, isLead: Number(r.is_lead) === 1 });
  return by;
}

const team = (t: TeamRow, members: { id: number; name: string }[]): ScimTeam => ({
  id: t.id, name: t.name, externalId: t.scim_external_id, members: members.map((m) => ({ id: m.id, name: m.name })), created: Number(t.created_at), lastModified: Math.max(Number(t.created_at), Number(t.scim_updated_at ?? 0)),
});

async function presentTeam(db: Tx, t: TeamRow, base: string) {
  return presentScimGroup(team(t, (await membersOf(db, [t.id])).get(t.id)!), base);
}

export async function getScimGroup(deps: GroupDeps, c: ScimClient, id: string, base: string) {
  return presentTeam(deps.store.db, await loadTeam(deps.store.db, c, id), base);
}

/** GET /Groups: the brand's SCIM teams, by id, filtered by displayName (any case) or externalId, a page of them. */
export async function listScimGroups(deps: GroupDeps, c: ScimClient, q: { filter?: ScimGroupFilter; startIndex?: unknown; count?: unknown }, base: string) {
  const { startIndex, count } = paging(q);
  let query = groupsOf(deps.store.db, c.brandId);
  if (q.filter?.attribute === 'displayName') query = query.where(sql`lower(name)`, '=', sql`lower(${q.filter.value.trim()})`);
  if (q.filter?.attribute === 'externalId') query = query.where('scim_external_id', '=', q.filter.value);
  const total = Number((await query.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = count > 0 ? ((await query.orderBy('id').limit(count).offset(startIndex - 1).execute()) as TeamRow[]) : [];
  const members = await membersOf(deps.store.db, rows.map((r) => r.id));
  return { schemas: [SCIM_LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: rows.length, Resources: rows.map((r) => presentScimGroup(team(r, members.get(r.id)!), base)) };
}

/** Members must be people of the client's brand: another brand's or an unknown id is a 400 invalidValue (and nothing changes). */
async function assertMembers(trx: Tx, brandId: number, ids: string[]): Promise<number[]> {
  const nums = [...new Set(ids.map(Number))];
  if (!nums.length) return [];
  const found = new Set<number>();
  for (let i = 0; i < nums.length; i += 500) {
    for (const u of await trx.selectFrom('app_user').select('id').where('brand_id', '=', brandId).where('id', 'in', nums.slice(i, i + 500)).execute()) found.add(u.id);
  }
  const missing = nums.find((n) => !found.has(n));
  if (missing !== undefined) throw new ScimError(400, `member ${missing} is not a User of this brand`, 'invalidValue');
  return nums;
}

const taken = (name: string) => (err: unknown): never => {
  if (err instanceof AppError && err.code === 'team.exists') throw new ScimError(409, `a team named "${name}" already exists in the brand`, 'uniqueness');
  throw err;
};

/** POST /Groups: a new team of the brand (round-robin routing, no leads), provisioned by the client's token. */
export async function createScimGroup(deps: GroupDeps, c: ScimClient, ch: ScimGroupChange & { displayName: string }, base: string) {
  const now = deps.clock.now();
  const t = await deps.store.db.transaction().execute(async (trx) => {
    const members = await assertMembers(trx, c.brandId, membersAfter([], ch.members));
    const id = await createTeam(trx, { brandId: c.brandId, name: ch.displayName }, now).catch(taken(ch.displayName));
    await trx.updateTable('team').set({ scim_token_id: c.tokenId, scim_external_id: ch.externalId ?? null, scim_updated_at: now }).where('id', '=', id).execute();
    await replaceTeamMembers(trx, id, members.map((userId) => ({ userId, isLead: false })));
    await audit(trx, { brandId: c.brandId, actor: c.actor.name, action: 'team.created', subjectType: 'team', subjectId: id, data: { name: ch.displayName, externalId: ch.externalId ?? null, members } }, now);
    return (await groupsOf(trx, c.brandId).where('id', '=', id).executeTakeFirstOrThrow()) as TeamRow;
  });
  await teamChanged(deps, c.brandId);
  return presentTeam(deps.store.db, t, base);
}

/** PUT (a whole Group) or PATCH (a PatchOp's change) of a SCIM team of the brand: its name, externalId, members (leads who stay keep leading). */
export async function changeScimGroup(deps: GroupDeps, c: ScimClient, id: string, ch: ScimGroupChange, base: string, ifMatch?: string) {
  const now = deps.clock.now();
  const membersChanged = await deps.store.db.transaction().execute(async (trx) => {
    const t = await loadTeam(trx, c, id, deps.store.dialect);
    const current = (await membersOf(trx, [t.id])).get(t.id)!;
    unchangedSince(presentScimGroup(team(t, current), base), ifMatch);
    const beforeIds = current.map((m) => String(m.id));
    const afterIds = membersAfter(beforeIds, ch.members);
    const added = afterIds.filter((m) => !beforeIds.includes(m));
    await assertMembers(trx, c.brandId, added);
    const membersDiffer = afterIds.length !== beforeIds.length || added.length > 0;
    const renamed = ch.displayName !== undefined && ch.displayName !== t.name;
    const external = ch.externalId !== undefined && ch.externalId !== t.scim_external_id;
    if (!renamed && !external && !membersDiffer) return false;
    if (renamed) await trx.updateTable('team').set({ name: ch.displayName! }).where('id', '=', t.id).execute().catch(teamExists(ch.displayName!)).catch(taken(ch.displayName!));
    await trx.updateTable('team').set({ scim_updated_at: now, ...(external ? { scim_external_id: ch.externalId } : {}) }).where('id', '=', t.id).execute();
    if (membersDiffer) {
      const leads = new Set(current.filter((m) => m.isLead).map((m) => String(m.id)));
      await replaceTeamMembers(trx, t.id, afterIds.map((m) => ({ userId: Number(m), isLead: leads.has(m) })));
    }
    await audit(trx, {
      brandId: c.brandId, actor: c.actor.name, action: 'team.updated', subjectType: 'team', subjectId: t.id,
      data: {
        ...(renamed ? { before: { name: t.name }, after: { name: ch.displayName } } : {}),
        ...(external ? { externalId: ch.externalId } : {}),
        ...(membersDiffer ? { membersAdded: added.map(Number), membersRemoved: beforeIds.filter((m) => !afterIds.includes(m)).map(Number) } : {}),
      },
    }, now);
    return membersDiffer;
  });
  if (membersChanged) await teamChanged(deps, c.brandId);
  return getScimGroup(deps, c, id, base);
}

/** What still sends work to the team: routing rules, open conversations, open questions to it as an expert group (empty: none). */
async function stillInUse(trx: Tx, brandId: number, teamId: number): Promise<string[]> {
  const why: string[] = [];
  const brand = await trx.selectFrom('brand').select('settings').where('id', '=', brandId).executeTakeFirst();
  const routing = (parseObject(brand?.settings).workflow as { routing?: { defaultTeamId?: unknown; rules?: { teamId?: unknown }[] } | null } | undefined)?.routing;
  if (routing && String(routing.defaultTeamId) === String(teamId)) why.push('it is the default team of the brand\'s routing');
  const rules = (routing?.rules ?? []).filter((r) => String(r.teamId) === String(teamId)).length;
  if (rules) why.push(`${rules} routing rule${rules === 1 ? '' : 's'} send${rules === 1 ? 's' : ''} conversations to it`);
  const open = Number((await trx.selectFrom('conversation').select((eb) => eb.fn.countAll<number>().as('n')).where('brand_id', '=', brandId).where('team_id', '=', teamId).where('status', '!=', 'resolved').executeTakeFirstOrThrow()).n);
  if (open) why.push(`${open} open conversation${open === 1 ? ' is' : 's are'} in its queue`);
  const asked = Number((await trx.selectFrom('expert_request').select((eb) => eb.fn.countAll<number>().as('n')).where('brand_id', '=', brandId).where('team_id', '=', teamId).where('status', '=', 'open').executeTakeFirstOrThrow()).n);
  if (asked) why.push(`${asked} open question${asked === 1 ? ' is' : 's are'} asked of it as an expert group`);
  return why;
}

/**
 * DELETE /Groups/:id. Refused (409) while anything still sends work to the team (no conversation
 * is routed to nowhere); an admin first changes routing or moves the conversations. Otherwise its
 * members are removed and the team goes (its name kept in `retired_team`, so the reports of its
 * past facts still name it); one that past conversations or questions to experts name stays, as
 * an admin's empty team (the history and reports keep it), and SCIM sees it no more.
 */
export async function deleteScimGroup(deps: GroupDeps, c: ScimClient, id: string, ifMatch?: string): Promise<void> {
  const now = deps.clock.now();
  await deps.store.db.transaction().execute(async (trx) => {
    const t = await loadTeam(trx, c, id, deps.store.dialect);
    const current = (await membersOf(trx, [t.id])).get(t.id)!;
    unchangedSince(presentScimGroup(team(t, current), ''), ifMatch);
    const why = await stillInUse(trx, c.brandId, t.id);
    if (why.length) throw new ScimError(409, `the team "${t.name}" is still in use: ${why.join('; ')}. Change the routing rules or move its conversations in Parley first, then delete the group again`);
    await replaceTeamMembers(trx, t.id, []);
    const history = (await trx.selectFrom('conversation').select('id').where('team_id', '=', t.id).limit(1).executeTakeFirst())
      ?? (await trx.selectFrom('expert_request').select('id').where('brand_id', '=', c.brandId).where('team_id', '=', t.id).limit(1).executeTakeFirst());
    const members = current.map((m) => m.id);
    if (history) {
      await trx.updateTable('team').set({ scim_token_id: null, scim_external_id: null, scim_updated_at: now }).where('id', '=', t.id).execute();
      await audit(trx, { brandId: c.brandId, actor: c.actor.name, action: 'team.updated', subjectType: 'team', subjectId: t.id, data: { scim: 'deleted; kept for its past conversations', membersRemoved: members } }, now);
    } else {
      await trx.deleteFrom('team').where('id', '=', t.id).execute();
      // its reporting facts keep its id: the reports still name it (src/reports/reports.ts, teamNames)
      await trx.insertInto('retired_team').values({ id: t.id, brand_id: c.brandId, name: t.name, retired_at: now }).onConflict((oc) => oc.column('id').doUpdateSet({ brand_id: c.brandId, name: t.name, retired_at: now })).execute();
      await audit(trx, { brandId: c.brandId, actor: c.actor.name, action: 'team.deleted', subjectType: 'team', subjectId: t.id, data: { name: t.name, externalId: t.scim_external_id, membersRemoved: members } }, now);
    }
  });
  await teamChanged(deps, c.brandId);
}


// -- writes, one by one or in bulk

/** One write of a resource, as a single request or an operation of a BulkRequest names it. */
export interface ScimWrite {
  method: ScimWriteMethod;
  resource: ScimResourceType;
  /** The resource's id (none for a POST). */
  id?: string;
  /** The request's body (none for a DELETE). */
  body?: unknown;
  /** If-Match (a bulk operation's `version`). */
  ifMatch?: string;
}

type Presented = { id: string; meta: { version: string; location: string } };

/**
 * A write of a User or a Group: the body parsed as its endpoint parses it, then the command. The
 * status a single request answers with, and the resource (none after a DELETE).
 */
export async function scimWrite(deps: GroupDeps, c: ScimClient, w: ScimWrite, base: string): Promise<{ status: number; resource?: Presented }> {
  const id = w.id ?? '';
  if (w.resource === 'Users') {
    switch (w.method) {
      case 'POST': return { status: 201, resource: await createScimUser(deps, c, parseUserBody(w.body), base) };
      case 'PUT': return { status: 200, resource: await changeScimUser(deps, c, id, parseUserBody(w.body), base, w.ifMatch) };
      case 'PATCH': return { status: 200, resource: await changeScimUser(deps, c, id, parsePatch(w.body), base, w.ifMatch) };
      case 'DELETE': await deactivateScimUser(deps, c, id, w.ifMatch); return { status: 204 };
    }
  }
  switch (w.method) {
    case 'POST': return { status: 201, resource: await createScimGroup(deps, c, parseGroupBody(w.body), base) };
    case 'PUT': return { status: 200, resource: await changeScimGroup(deps, c, id, parseGroupBody(w.body), base, w.ifMatch) };
    case 'PATCH': return { status: 200, resource: await changeScimGroup(deps, c, id, parseGroupPatch(w.body), base, w.ifMatch) };
    case 'DELETE': await deleteScimGroup(deps, c, id, w.ifMatch); return { status: 204 };
  }
}

/**
 * A refusal in SCIM's words: a ScimError as it is, the desk's coded errors mapped (a taken address
 * is `uniqueness`, a bad body `invalidSyntax` or `invalidValue`); null for anything else (a bug:
 * the caller logs it and answers 500).
 */
export function asScimError(err: unknown): ScimError | null {
  if (err instanceof ScimError) return err;
  if (err instanceof AppError) {
    const scimType = err.code === 'user.exists' ? 'uniqueness' : err.status !== 400 ? undefined : err.code === 'request.invalid_json' || err.code === 'request.too_deep' ? 'invalidSyntax' : 'invalidValue';
    return new ScimError(err.status, err.message, scimType);
  }
  return null;
}

/** One operation's answer in a BulkResponse (`status` a string, as RFC 7644 writes it). */
export interface ScimBulkResult {
  method: string;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: unknown;
}

/**
 * POST /Bulk: the operations, one after the other in the request's order (a reference's POST
 * first), each through `scimWrite`; `bulkId:<id>` references resolved to the ids made so far. A
 * failed operation is answered in its place and the job goes on, until `failOnErrors` errors have
 * been met: the rest are not run and not answered. `unexpected`: told of an error that is not a
 * refusal (logged by the caller; the operation answers 500).
 */
export async function runScimBulk(deps: GroupDeps, c: ScimClient, bulk: ScimBulkRequest, base: string, unexpected: (err: unknown) => void) {
  const made = new Map<string, { resource: ScimResourceType; id: string } | null>();
  const results = new Map<number, ScimBulkResult>();
  let errors = 0;
  for (const op of bulk.operations) {
    if (errors >= bulk.failOnErrors) break;
    const head = { method: op.method || 'unknown', ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}) };
    let id: string | undefined;
    try {
      if (op.error) throw op.error;
      const resolved = resolveBulkIds(op, made);
      id = resolved.id;
      const out = await scimWrite(deps, c, { method: op.method as ScimWriteMethod, resource: op.resource!, id, body: resolved.data, ifMatch: op.version }, base);
      if (op.method === 'POST' && op.bulkId !== undefined) made.set(op.bulkId, { resource: op.resource!, id: out.resource!.id });
      results.set(op.index, {
        ...head, location: out.resource?.meta.location ?? `${base}/${op.resource}/${id}`, ...(out.resource ? { version: out.resource.meta.version } : {}), status: String(out.status), ...(out.resource ? { response: out.resource } : {}),
      });
    } catch (err) {
      errors++;
      if (op.method === 'POST' && op.bulkId !== undefined) made.set(op.bulkId, null);
      let e = asScimError(err);
      if (!e) {
        unexpected(err);
        e = new ScimError(500, 'something went wrong on our side; it has been logged');
      }
      const location = id !== undefined && /^\d{1,15}$/.test(id) && e.status !== 404 ? { location: `${base}/${op.resource}/${id}` } : {};
      results.set(op.index, { ...head, ...location, status: String(e.status), response: scimErrorBody(e.status, e.detail, e.scimType) });
    }
  }
  return { schemas: [SCIM_BULK_RESPONSE_SCHEMA], Operations: [...results].sort((a, b) => a[0] - b[0]).map(([, r]) => r) };
}
