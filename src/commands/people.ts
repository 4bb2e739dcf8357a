/**
 * Changing a person: one command for every way a person is changed after they were made (an
 * admin's PATCH /api/users/:id, an identity provider's SCIM client), so disabling someone does the
 * same everywhere: they go offline, their password reset links are dropped, their open
 * conversations go back to their team's queue and are routed again, and it is audited. Their
 * sessions and API tokens stop authenticating at once (authenticate checks `disabled_at`), and
 * their open live streams end within a ping period (../server/routes/events.ts).
 *
 * Whether the caller may make the change (an admin of the brand; SCIM never touches admins) is
 * the caller's; the rule that a brand keeps one active admin is here.
 */
import type { Role } from '../core/types.js';
import { conflict, conflictOnUnique, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { endSessionsOf } from '../server/auth.js';
import { presentUser } from '../server/presenters.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { User } from '../store/schema.js';
import { lockBrand, type Tx } from '../store/util.js';
import type { WorkflowCommands } from '../workflow/commands.js';
import type { Workflow } from '../workflow/workflow.js';
import type { Actor } from './context.js';

export interface PeopleDeps {
  store: Store;
  clock: Clock;
  bus: EventBus;
  workflow: Workflow;
  workflowCommands: WorkflowCommands;
}

/** lockBrand's scope for changes of people (1–3 are ingest, routing and rollups). */
export const PEOPLE_LOCK = 4;

/** Experts are asked questions; they are never given conversations (see routing's drain). */
const takesConversations = (role: string) => role !== 'expert';

/** What changes of a person; anything left out stays as it is. */
export interface PersonChange {
  capacity?: number;
  skills?: { languages?: string[]; networks?: string[]; intents?: string[] };
  flags?: string[];
  role?: Role;
  availability?: 'online' | 'away' | 'offline';
  /** true: disabled (offline, reset links dropped, conversations handed back); false: enabled again. */
  disabled?: boolean;
  /** A new password's hash (hashed by the caller, outside the transaction): their other sessions end. */
  passwordHash?: string;
  /** Checked by the caller (../core/scim.ts, setup.ts's rules). */
  name?: string;
  /** Lower-cased and checked by the caller; another person's address is a 409 `user.exists`. */
  email?: string;
}

export interface UpdatePersonProps {
  actor: Actor;
  userId: number;
  change: PersonChange;
  /** The session making the change: kept when someone sets their own password. */
  keepSession?: string | null;
  /** Run in the transaction, on the person as they are, before anything changes: may refuse. */
  check?: (u: User) => void;
  /** Run in the transaction after the change (the caller's own records of the person). */
  alongside?: (trx: Tx, u: User) => Promise<void>;
  /** More of what changed, for the audit trail (what the caller keeps itself). */
  auditData?: Record<string, unknown>;
}

/** Change a person of the actor's brand (404 for anyone else's); the person as presented after. */
export async function updatePerson(deps: PeopleDeps, p: UpdatePersonProps): Promise<ReturnType<typeof presentUser>> {
  const { store, clock } = deps;
  const { actor, change: b } = p;
  const now = clock.now();
  const u = await store.db.transaction().execute(async (trx) => {
    // one change of people per brand at a time: two admins demoting each other at once must not both pass the check below
    await lockBrand(trx, store, actor.brandId, PEOPLE_LOCK);
    const u = await trx.selectFrom('app_user').selectAll().where('id', '=', p.userId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!u) throw notFound('user');
    p.check?.(u);
    const activeAdmin = (role: string, disabled: boolean) => role === 'admin' && !disabled;
    if (activeAdmin(u.role, u.disabled_at != null) && !activeAdmin(b.role ?? u.role, b.disabled ?? u.disabled_at != null)) {
      const another = await trx.selectFrom('app_user').select('id').where('brand_id', '=', actor.brandId).where('role', '=', 'admin').where('disabled_at', 'is', null).where('id', '!=', u.id).executeTakeFirst();
      if (!another) throw conflict('user.last_admin', `${u.name} is the last active admin of the brand: make someone else admin first`);
    }
    const exists = () => conflict('user.exists', `a user with email ${b.email} already exists`);
    if (b.email !== undefined && b.email !== u.email) {
      if (await trx.selectFrom('app_user').select('id').where('email', '=', b.email).where('id', '!=', u.id).executeTakeFirst()) throw exists();
    }
    const patch: Record<string, unknown> = {};
    if (b.capacity !== undefined) patch.capacity = b.capacity;
    if (b.skills) patch.skills = JSON.stringify(b.skills);
    if (b.flags) patch.settings = JSON.stringify({ ...JSON.parse(u.settings || '{}'), flags: b.flags });
    if (b.role) patch.role = b.role;
    if (b.availability) patch.availability = b.availability;
    if (b.name !== undefined && b.name !== u.name) patch.name = b.name;
    if (b.email !== undefined && b.email !== u.email) patch.email = b.email;
    if (b.disabled !== undefined) patch.disabled_at = b.disabled ? (u.disabled_at ?? now) : null;
    // someone disabled is nobody's online colleague (the queues, presence, routing)
    if (b.disabled) patch.availability = 'offline';
    // set by a person, not by the system's absence sweep: not undone when they come back to the desk
    if (patch.availability) patch.absent_since = null;
    if (b.passwordHash) patch.password_hash = b.passwordHash;
    if (Object.keys(patch).length) {
      await trx.updateTable('app_user').set(patch as never).where('id', '=', u.id).execute().catch(conflictOnUnique('user.exists', `a user with email ${b.email} already exists`));
    }
    // a reset link must not outlive disabling them (enabled again, it would work) nor a password set for them
    if (b.disabled || b.passwordHash) await trx.deleteFrom('password_reset').where('user_id', '=', u.id).execute();
    // the password itself is never written down, only that it was set
    const { passwordHash, ...said } = b;
    await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'user.updated', subjectType: 'user', subjectId: u.id, data: { ...said, ...p.auditData, ...(passwordHash ? { password: 'set' } : {}) } }, now);
    if (passwordHash) {
      // whoever was signed in as them (the old password's holder) signs in again; an admin setting their own keeps this session
      const sessionsEnded = await endSessionsOf(trx, u.id, u.id === actor.userId ? p.keepSession : null);
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'user.password_set', subjectType: 'user', subjectId: u.id, data: { sessionsEnded } }, now);
    }
    const after = await trx.selectFrom('app_user').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    await p.alongside?.(trx, after);
    return after;
  });
  // who takes no conversations any more hands back the open ones, to be routed again
  if ((b.disabled !== undefined || b.role !== undefined) && (u.disabled_at != null || !takesConversations(u.role))) {
    await deps.workflowCommands.releaseConversations(actor, u.id, u.disabled_at != null ? 'disabled' : 'role');
  }
  // an expert who can no longer answer (disabled, or another role now): the questions asked of them alone are cancelled, their askers told
  if ((b.disabled !== undefined || b.role !== undefined) && (u.disabled_at != null || u.role !== 'expert')) {
    await deps.workflowCommands.releaseExpertQuestions(actor, u.id, u.disabled_at != null ? 'disabled' : 'role');
  }
  // an availability change starts (or ends) the grace of the follow-ups waiting on them; afterAvailability drains too
  if (b.availability !== undefined || b.disabled !== undefined) await deps.workflow.afterAvailability(actor.brandId, u.id);
  else await deps.workflow.drain(actor.brandId);
  const out = presentUser(await store.db.selectFrom('app_user').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow());
  deps.bus.publish(actor.brandId, 'user.updated', out);
  return out;
}
