/**
 * Events whose full form is for admins only: a network's own error words (channel health, a
 * failed reply, a failed incident statement) can name API hosts, account ids or token hints.
 * The whole brand gets the summarized form; the brand's active admins then get the detailed
 * one, which replaces the summary on their pages.
 */
import type { Store } from '../store/db.js';
import type { EventBus } from './bus.js';

/** The brand's active admins: who may read a network's own words. */
export function adminsOf(store: Store, brandId: number): Promise<{ id: number }[]> {
  return store.db.selectFrom('app_user').select('id').where('brand_id', '=', brandId).where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
}

/** Publish `summary` to the brand, then `detail` to its admins (`admins` when already read). */
export async function publishWithAdminDetail(store: Store, bus: EventBus, brandId: number, type: string, summary: unknown, detail: unknown, admins?: { id: number }[]): Promise<void> {
  bus.publish(brandId, type, summary);
  const to = admins ?? (await adminsOf(store, brandId));
  if (to.length) bus.publish(brandId, type, detail, { userIds: to.map((a) => a.id) });
}
