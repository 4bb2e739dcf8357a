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
 */
import { randomBytes } from 'node:crypto';
import { nameFrom, paging, presentScimUser, ScimError, SCIM_LIST_SCHEMA, type ScimFilter, type ScimPerson, type ScimUserChange } from '../core/scim.js';
import { AppError, notFound } from '../errors.js';
import { sha256 } from '../server/auth.js';
import { audit } from '../store/audit.js';
import type { User } from '../store/schema.js';
import type { Tx } from '../store/util.js';
import type { Actor } from './context.js';
import { updatePerson, type PeopleDeps, type PersonChange } from './people.js';
import { createUser, ValidationError } from './setup.js';

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

export async function listScimTokens(db: Tx, brandId: number) {
  const rows = await db.selectFrom('scim_token').selectAll().where('brand_id', '=', brandId).orderBy('id').execute();
  const iso = (t: number | null) => (t == null ? null : new Date(Number(t)).toISOString());
  return rows.map((t) => ({ id: t.id, label: t.label, prefix: t.prefix, role: t.role, createdAt: iso(t.created_at)!, lastUsedAt: iso(t.last_used_at), revokedAt: iso(t.revoked_at) }));
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
export async function changeScimUser(deps: PeopleDeps, c: ScimClient, id: string, ch: ScimUserChange, base: string) {
  const r = await load(deps.store.db, c, id);
  notAdmin(r);
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
        // the person may have become an admin since it was read
        check: notAdmin,
        alongside: (trx, u) => keepScimFields(trx, u, ch, deps.clock.now()),
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
export async function deactivateScimUser(deps: PeopleDeps, c: ScimClient, id: string): Promise<void> {
  const r = await load(deps.store.db, c, id);
  notAdmin(r);
  if (r.disabled_at != null) return;
  await updatePerson(deps, { actor: c.actor, userId: r.id, change: { disabled: true }, check: notAdmin });
}
