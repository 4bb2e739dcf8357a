/**
 * Named commands that create the tenant-level records: brands, users, teams,
 * channel accounts. Used by the CLI, the demo seeder and the admin API.
 */
import { conflictOnUnique, isUniqueViolation } from '../errors.js';
import { hashPassword } from '../lib/password.js';
import { isValidTimeZone } from '../lib/tz.js';
import type { Role, Network, AccountPurpose } from '../core/types.js';
import { ROLES } from '../core/types.js';
import type { Tx } from '../store/util.js';
import { audit } from '../store/audit.js';

export class ValidationError extends Error {
  constructor(message: string, readonly code = 'validation') {
    super(message);
  }
}

export interface CreateBrandProps {
  slug: string;
  name: string;
  timezone?: string;
  settings?: Record<string, unknown>;
}

/** What is wrong with a brand's slug (lowercase letters, digits and dashes, starting with a letter or digit), or null. */
export function brandSlugProblem(slug: string): string | null {
  return /^[a-z0-9][a-z0-9-]{0,62}$/.test(slug) ? null : `brand slug "${slug.slice(0, 80)}" must be 1–63 lowercase letters, digits and dashes, starting with a letter or digit`;
}

/**
 * Add a brand. The slug is its name in URLs and on the command line; the time zone (IANA,
 * e.g. Europe/London; default UTC) is the one its reports and staffing count hours and days in.
 */
export async function createBrand(db: Tx, p: CreateBrandProps, now: number): Promise<number> {
  const tz = p.timezone ?? 'UTC';
  if (!isValidTimeZone(tz)) throw new ValidationError(`unknown time zone "${tz}" (an IANA zone such as Europe/London, America/New_York or UTC)`, 'timezone.unknown');
  const slugProblem = brandSlugProblem(p.slug);
  if (slugProblem) throw new ValidationError(slugProblem);
  const name = p.name.trim();
  if (!name || name.length > 200) throw new ValidationError('a brand needs a name of 1–200 characters');
  const r = await db
    .insertInto('brand')
    .values({ slug: p.slug, name, timezone: tz, settings: JSON.stringify(p.settings ?? {}), created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow()
    .catch((err) => {
      throw isUniqueViolation(err) ? new ValidationError(`a brand "${p.slug}" already exists`, 'brand.exists') : err;
    });
  return r.id;
}

export interface CreateUserProps {
  brandId: number;
  email: string;
  name: string;
  role: Role;
  password?: string | null;
  capacity?: number;
  availability?: 'online' | 'away' | 'offline';
  skills?: Record<string, unknown>;
  actor?: string;
}

/** A person's limits, the same for the admin API, the CLI and the demo. */
export const MAX_CAPACITY = 1000;
export const MAX_NAME_CHARS = 200;
export const MAX_EMAIL_CHARS = 320;
/** local@domain, no spaces, the domain's labels non-empty. */
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*$/;

/** The fewest characters other than spaces a password has: eight spaces are no password. */
export const MIN_PASSWORD_CHARS = 8;

/** What is wrong with a new password, or null when it may be set. */
export function passwordProblem(password: string): string | null {
  const chars = [...password.replace(/\s+/gu, '')].length;
  if (chars < MIN_PASSWORD_CHARS) return `a password needs at least ${MIN_PASSWORD_CHARS} characters other than spaces`;
  return null;
}

/**
 * Add a person, checked here so every way in (admin API, `parley user add`, the demo) shares
 * one rule: a valid email, a name (trimmed, non-empty), a role from ROLES, a capacity that is
 * a whole number from 0 to 1000. Without a password (null) they cannot sign in until one is set: the admin
 * API always asks for one; only tools that make people who never sign in (benchmarks) omit it.
 */
export async function createUser(db: Tx, p: CreateUserProps, now: number): Promise<number> {
  const email = p.email.trim().toLowerCase();
  if (email.length > MAX_EMAIL_CHARS || !EMAIL.test(email)) throw new ValidationError(`"${p.email.slice(0, 80)}" is not an email address`);
  const name = p.name.trim();
  if (!name) throw new ValidationError('a person needs a name');
  if (name.length > MAX_NAME_CHARS) throw new ValidationError(`a name has at most ${MAX_NAME_CHARS} characters`);
  if (!ROLES.includes(p.role)) throw new ValidationError(`role must be one of ${ROLES.join(', ')}`);
  if (p.capacity !== undefined && !(Number.isInteger(p.capacity) && p.capacity >= 0 && p.capacity <= MAX_CAPACITY)) {
    throw new ValidationError(`capacity is how many conversations a person holds at once: a whole number from 0 to ${MAX_CAPACITY}, not ${p.capacity}`);
  }
  const weak = p.password != null ? passwordProblem(p.password) : null;
  if (weak) throw new ValidationError(weak, 'password.weak');
  const existing = await db.selectFrom('app_user').select('id').where('email', '=', email).executeTakeFirst();
  if (existing) throw new ValidationError(`a user with email ${email} already exists`, 'user.exists');
  const r = await db
    .insertInto('app_user')
    .values({
      brand_id: p.brandId,
      email,
      name,
      role: p.role,
      password_hash: p.password != null ? await hashPassword(p.password) : null,
      availability: p.availability ?? 'offline',
      capacity: p.capacity ?? 8,
      skills: JSON.stringify(p.skills ?? {}),
      settings: '{}',
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
    .catch((err) => {
      // another request added the same address after the check above
      throw isUniqueViolation(err) ? new ValidationError(`a user with email ${email} already exists`, 'user.exists') : err;
    });
  await audit(db, { brandId: p.brandId, actor: p.actor ?? 'system', action: 'user.created', subjectType: 'user', subjectId: r.id, data: { email, role: p.role } }, now);
  return r.id;
}

/** A team's name is unique in its brand: a taken one is a 409 `team.exists` (`teamExists`). */
export async function createTeam(db: Tx, p: { brandId: number; name: string; routingStrategy?: string; settings?: Record<string, unknown> }, now: number): Promise<number> {
  const r = await db
    .insertInto('team')
    .values({ brand_id: p.brandId, name: p.name, routing_strategy: p.routingStrategy ?? 'round_robin', settings: JSON.stringify(p.settings ?? {}), created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow()
    .catch(teamExists(p.name));
  return r.id;
}

/** For `.catch` on a write of a team's name: the unique index's violation as a 409 that names the team. */
export const teamExists = (name: string) => conflictOnUnique('team.exists', `a team named "${name}" already exists`);

export async function addTeamMember(db: Tx, teamId: number, userId: number, isLead = false): Promise<void> {
  await db.insertInto('team_member').values({ team_id: teamId, user_id: userId, is_lead: isLead ? 1 : 0 }).onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet({ is_lead: isLead ? 1 : 0 })).execute();
}

export interface CreateChannelAccountProps {
  brandId: number;
  network: Network;
  handle: string;
  externalId?: string;
  displayName?: string | null;
  purpose?: AccountPurpose;
  driver?: string | null;
  listenOnly?: boolean;
  settings?: Record<string, unknown>;
  credentials?: string | null;
}

export async function createChannelAccount(db: Tx, p: CreateChannelAccountProps, now: number): Promise<number> {
  const r = await db
    .insertInto('channel_account')
    .values({
      brand_id: p.brandId,
      network: p.network,
      driver: p.driver ?? null,
      handle: p.handle,
      external_id: p.externalId ?? p.handle.toLowerCase(),
      display_name: p.displayName ?? null,
      purpose: p.purpose ?? 'care',
      listen_only: p.listenOnly ? 1 : 0,
      status: 'active',
      health: '{}',
      credentials: p.credentials ?? null,
      settings: JSON.stringify(p.settings ?? {}),
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}
