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

export async function createBrand(db: Tx, p: CreateBrandProps, now: number): Promise<number> {
  const tz = p.timezone ?? 'UTC';
  if (!isValidTimeZone(tz)) throw new ValidationError(`unknown time zone "${tz}"`);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(p.slug)) throw new ValidationError('brand slug must be lowercase letters, digits and dashes');
  const r = await db
    .insertInto('brand')
    .values({ slug: p.slug, name: p.name, timezone: tz, settings: JSON.stringify(p.settings ?? {}), created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
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

/** The fewest characters other than spaces a password has: eight spaces are no password. */
export const MIN_PASSWORD_CHARS = 8;

/** What is wrong with a new password, or null when it may be set. */
export function passwordProblem(password: string): string | null {
  const chars = [...password.replace(/\s+/gu, '')].length;
  if (chars < MIN_PASSWORD_CHARS) return `a password needs at least ${MIN_PASSWORD_CHARS} characters other than spaces`;
  return null;
}

/**
 * Add a person. Without a password (null) they cannot sign in until one is set: the admin
 * API always asks for one; only tools that make people who never sign in (benchmarks) omit it.
 */
export async function createUser(db: Tx, p: CreateUserProps, now: number): Promise<number> {
  const email = p.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new ValidationError(`"${p.email}" is not an email address`);
  if (!ROLES.includes(p.role)) throw new ValidationError(`role must be one of ${ROLES.join(', ')}`);
  const weak = p.password != null ? passwordProblem(p.password) : null;
  if (weak) throw new ValidationError(weak, 'password.weak');
  const existing = await db.selectFrom('app_user').select('id').where('email', '=', email).executeTakeFirst();
  if (existing) throw new ValidationError(`a user with email ${email} already exists`, 'user.exists');
  const r = await db
    .insertInto('app_user')
    .values({
      brand_id: p.brandId,
      email,
      name: p.name,
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
