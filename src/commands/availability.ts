/**
 * Availability that follows whether someone is at the desk: routing gives work only to people
 * who are online, and the out-of-hours acknowledgement is skipped when an assignee is online,
 * so "online" must not outlive the person's presence. The system sets them offline, audited as
 * `system:presence` with the reason, when they sign out of their last session, when every
 * session expires, or when they stay online but are not seen at the desk for
 * ABSENCE_GRACE_MS (the browser closed without signing out). Only that last offline is undone
 * by the system: they are online again when they come back to the desk. Away or offline chosen
 * by a person (themselves, an admin) is never changed by the system, nor a sign-out undone.
 *
 * "Seen" is `app_user.last_seen_at`, in the database so every process sees it: refreshed by
 * their authenticated requests (at most once a minute per session, src/server/auth.ts) and,
 * while they keep a live-event stream open, by the process holding it (markAtDesk, about once
 * a minute for all its streams together: src/server/routes/events.ts).
 */
import type { EventBus } from '../events/bus.js';
import { presentUser } from '../server/presenters.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { User } from '../store/schema.js';

/**
 * How long someone online may go unseen before the housekeeping sets them offline. Well over
 * the stream's heartbeat (a minute), so a slow heartbeat or a reconnecting stream never trips it.
 */
export const ABSENCE_GRACE_MS = 10 * 60_000;

/** Someone's availability changed by the system: who they are now, and what it was. */
export interface AvailabilityChange {
  user: User;
  from: string;
}

const ACTOR = 'system:presence';

/** Offline, audited; `unseenBefore` given: as absent, only if still online and not seen since. */
async function setOffline(store: Store, user: User, reason: string, now: number, unseenBefore?: number): Promise<AvailabilityChange | null> {
  const absent = unseenBefore !== undefined;
  if (user.availability === 'offline') {
    // offline already, and now signed out as well: no longer "absent", nothing to restore on return
    if (!absent && user.absent_since != null) await store.db.updateTable('app_user').set({ absent_since: null }).where('id', '=', user.id).where('availability', '=', 'offline').execute();
    return null;
  }
  let q = store.db.updateTable('app_user').set({ availability: 'offline', absent_since: absent ? now : null }).where('id', '=', user.id);
  // an absence takes only someone still online (not one who chose away meanwhile) and still unseen (no stream marked them since)
  q = absent ? q.where('availability', '=', 'online').where('last_seen_at', '<', unseenBefore) : q.where('availability', '!=', 'offline');
  const r = await q.executeTakeFirst();
  if (!Number(r.numUpdatedRows)) return null;
  await audit(store.db, { brandId: user.brand_id, actor: ACTOR, action: 'user.availability', subjectType: 'user', subjectId: user.id, data: { from: user.availability, to: 'offline', reason } }, now);
  const after = await store.db.selectFrom('app_user').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
  return { user: after, from: user.availability };
}

/** After a sign-out: offline when no other live session of theirs remains. */
export async function offlineIfNoSession(store: Store, userId: number, now: number, reason: string): Promise<AvailabilityChange | null> {
  const user = await store.db.selectFrom('app_user').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user || (user.availability === 'offline' && user.absent_since == null)) return null;
  const live = await store.db.selectFrom('session').select('id').where('user_id', '=', userId).where('expires_at', '>', now).executeTakeFirst();
  return live ? null : setOffline(store, user, reason, now);
}

/**
 * Everyone marked available (or offline for absence) whose sessions have all expired: offline,
 * as signed out. Run before expired sessions are deleted (people who never had a session, such
 * as the demo's agents, are left as they are).
 */
export async function lapseAvailability(store: Store, now: number): Promise<AvailabilityChange[]> {
  const users = await store.db
    .selectFrom('app_user')
    .selectAll()
    .where((eb) => eb.or([eb('availability', '!=', 'offline'), eb('absent_since', 'is not', null)]))
    .where('disabled_at', 'is', null)
    .where(({ and, not, exists, selectFrom }) => and([
      exists(selectFrom('session').select('session.id').whereRef('session.user_id', '=', 'app_user.id').where('session.expires_at', '<=', now)),
      not(exists(selectFrom('session').select('session.id').whereRef('session.user_id', '=', 'app_user.id').where('session.expires_at', '>', now))),
    ]))
    .limit(1000)
    .execute();
  const out: AvailabilityChange[] = [];
  for (const u of users) {
    const w = await setOffline(store, u, 'session expired', now);
    if (w) out.push(w);
  }
  return out;
}

/**
 * Everyone online who has not been seen for `graceMs`: offline, as absent (the browser closed,
 * the laptop asleep, the network gone). People never seen (seeded, the demo's agents) and
 * anyone away or offline by their own choice are left as they are.
 */
export async function lapseAbsent(store: Store, now: number, graceMs = ABSENCE_GRACE_MS): Promise<AvailabilityChange[]> {
  const users = await store.db
    .selectFrom('app_user')
    .selectAll()
    .where('availability', '=', 'online')
    .where('disabled_at', 'is', null)
    .where('last_seen_at', 'is not', null)
    .where('last_seen_at', '<', now - graceMs)
    .limit(1000)
    .execute();
  const out: AvailabilityChange[] = [];
  for (const u of users) {
    const w = await setOffline(store, u, 'left the desk', now, now - graceMs);
    if (w) out.push(w);
  }
  return out;
}

/**
 * These people are at the desk now (a live-event stream of theirs is open): seen now, and
 * whoever the system had set offline for absence is online again. Returns those restored.
 */
export async function markAtDesk(store: Store, userIds: readonly number[], now: number): Promise<AvailabilityChange[]> {
  if (!userIds.length) return [];
  const ids = [...userIds];
  await store.db.updateTable('app_user').set({ last_seen_at: now }).where('id', 'in', ids).execute();
  const back = await store.db
    .updateTable('app_user')
    .set({ availability: 'online', absent_since: null })
    .where('id', 'in', ids)
    .where('availability', '=', 'offline')
    .where('absent_since', 'is not', null)
    .returningAll()
    .execute();
  for (const u of back) await audit(store.db, { brandId: u.brand_id, actor: ACTOR, action: 'user.availability', subjectType: 'user', subjectId: u.id, data: { from: 'offline', to: 'online', reason: 'back at the desk' } }, now);
  return back.map((user) => ({ user, from: 'offline' }));
}

/**
 * Tell the desk about availability the system changed: the person's card everywhere
 * (`user.updated`), then routing (afterAvailability: the queue is drained to whoever is online
 * now). Their open conversations stay theirs, as when they set it themselves.
 */
export async function announceAvailability(bus: EventBus, afterAvailability: ((brandId: number, userId: number) => Promise<void> | void) | undefined, changes: readonly AvailabilityChange[]): Promise<void> {
  for (const c of changes) {
    bus.publish(c.user.brand_id, 'user.updated', presentUser(c.user));
    await afterAvailability?.(c.user.brand_id, c.user.id);
  }
}
