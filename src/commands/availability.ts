/**
 * Availability that follows whether someone is at the desk: routing gives work only to people
 * who are online, and the out-of-hours acknowledgement is skipped when an assignee is online,
 * so "online" must not outlive the person's last session. Signing out of the last session, or
 * every session expiring, sets them offline, audited as the system's doing with the reason.
 */
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { User } from '../store/schema.js';

export interface WentOffline {
  user: User;
  from: string;
}

async function setOffline(store: Store, user: User, reason: string, now: number): Promise<WentOffline | null> {
  const r = await store.db.updateTable('app_user').set({ availability: 'offline' }).where('id', '=', user.id).where('availability', '!=', 'offline').executeTakeFirst();
  if (!Number(r.numUpdatedRows)) return null;
  await audit(store.db, { brandId: user.brand_id, actor: 'system:presence', action: 'user.availability', subjectType: 'user', subjectId: user.id, data: { from: user.availability, to: 'offline', reason } }, now);
  const after = await store.db.selectFrom('app_user').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
  return { user: after, from: user.availability };
}

/** After a sign-out: offline when no other live session of theirs remains. */
export async function offlineIfNoSession(store: Store, userId: number, now: number, reason: string): Promise<WentOffline | null> {
  const user = await store.db.selectFrom('app_user').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user || user.availability === 'offline') return null;
  const live = await store.db.selectFrom('session').select('id').where('user_id', '=', userId).where('expires_at', '>', now).executeTakeFirst();
  return live ? null : setOffline(store, user, reason, now);
}

/**
 * Everyone marked available whose sessions have all expired: offline. Run before expired
 * sessions are deleted (people who never had a session, such as the demo's agents, are left
 * as they are).
 */
export async function lapseAvailability(store: Store, now: number): Promise<WentOffline[]> {
  const users = await store.db
    .selectFrom('app_user')
    .selectAll()
    .where('availability', '!=', 'offline')
    .where('disabled_at', 'is', null)
    .where(({ and, not, exists, selectFrom }) => and([
      exists(selectFrom('session').select('session.id').whereRef('session.user_id', '=', 'app_user.id').where('session.expires_at', '<=', now)),
      not(exists(selectFrom('session').select('session.id').whereRef('session.user_id', '=', 'app_user.id').where('session.expires_at', '>', now))),
    ]))
    .limit(1000)
    .execute();
  const out: WentOffline[] = [];
  for (const u of users) {
    const w = await setOffline(store, u, 'session expired', now);
    if (w) out.push(w);
  }
  return out;
}
