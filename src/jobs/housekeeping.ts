/**
 * The housekeeping sweep (every minute, one process at a time: src/app.ts registers it with
 * `jobs.every`). Availability first: whoever's sessions all expired is offline as signed out,
 * then whoever is online but has not been seen at the desk for ABSENCE_GRACE_MS is offline as
 * absent (src/commands/availability.ts); each change is announced and the queue re-routed.
 * Moderation left pending by a desk that stopped mid-call is settled as unknown
 * (src/commands/moderation.ts). Then expired sessions and old relayed live events are deleted.
 */
import { announceAvailability, lapseAbsent, lapseAvailability } from '../commands/availability.js';
import { settleStaleModeration } from '../commands/moderation.js';
import type { EventBus } from '../events/bus.js';
import type { Store } from '../store/db.js';

export interface HousekeepingDeps {
  store: Store;
  bus: EventBus;
  /** Routing after an availability change (the workflow's afterAvailability). */
  afterAvailability?: (brandId: number, userId: number) => Promise<void> | void;
}

/** Live events too large for a NOTIFY, relayed between processes through the table: read at once, kept this long. */
const LIVE_EVENT_KEEP_MS = 600_000;

export async function housekeeping(deps: HousekeepingDeps, now: number): Promise<void> {
  const { store, bus } = deps;
  // expired sessions are read before they are deleted below
  await announceAvailability(bus, deps.afterAvailability, await lapseAvailability(store, now));
  await announceAvailability(bus, deps.afterAvailability, await lapseAbsent(store, now));
  // moderation the desk asked for and never heard back about (it stopped mid-call): unknown, audited
  await settleStaleModeration(store, bus, now);
  await store.db.deleteFrom('session').where('expires_at', '<=', now).execute();
  await store.db.deleteFrom('live_event').where('created_at', '<', now - LIVE_EVENT_KEEP_MS).execute();
}
