/**
 * The housekeeping sweep (every minute, one process at a time: src/app.ts registers it with
 * `jobs.every`). Availability first: whoever's sessions all expired is offline as signed out,
 * then whoever is online but has not been seen at the desk for ABSENCE_GRACE_MS is offline as
 * absent (src/commands/availability.ts); each change is announced and the queue re-routed.
 * Moderation left pending by a desk that stopped mid-call is settled as unknown
 * (src/commands/moderation.ts). Then expired sessions and old relayed live events are deleted.
 * Last, raw payload retention: a brand that set `retention.rawPayloadDays` has `message.raw`
 * cleared on messages older than that, at most RAW_RETENTION_BATCH rows a brand a run (a first
 * run over a million old rows must not hold the table), audited with the count. Text, triage
 * and the search index stay.
 */
import { announceAvailability, lapseAbsent, lapseAvailability } from '../commands/availability.js';
import { settleStaleModeration } from '../commands/moderation.js';
import type { EventBus } from '../events/bus.js';
import { parseObject } from '../lib/json.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { rawPayloadDays } from '../workflow/settings.js';

export interface HousekeepingDeps {
  store: Store;
  bus: EventBus;
  /** Routing after an availability change (the workflow's afterAvailability). */
  afterAvailability?: (brandId: number, userId: number) => Promise<void> | void;
  /** Rows whose raw payload one run clears at most, per brand (tests set it small). */
  rawRetentionBatch?: number;
}

/** Payloads cleared a brand a run: 5,000 small updates every minute, 300,000 an hour. */
export const RAW_RETENTION_BATCH = 5_000;
const DAY_MS = 86_400_000;

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
  await expireRawPayloads(store, now, deps.rawRetentionBatch ?? RAW_RETENTION_BATCH);
}

/**
 * One batch of raw payload retention for each brand that set it; returns how many payloads each
 * cleared. The inner select reads the partial index `message_raw_kept` (rows still holding a
 * payload, by brand and time): a brand with nothing left to clear costs one empty index probe.
 */
export async function expireRawPayloads(store: Store, now: number, batch = RAW_RETENTION_BATCH): Promise<Map<number, number>> {
  const cleared = new Map<number, number>();
  const brands = await store.db.selectFrom('brand').select(['id', 'settings']).execute();
  for (const b of brands) {
    const days = rawPayloadDays(parseObject(b.settings).workflow?.retention?.rawPayloadDays);
    if (days == null) continue;
    const before = now - days * DAY_MS;
    const n = await store.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('message').set({ raw: null })
        .where('id', 'in', (eb) => eb.selectFrom('message').select('id').where('brand_id', '=', b.id).where('raw', 'is not', null).where('created_at', '<', before).limit(batch))
        .executeTakeFirst();
      const count = Number(r.numUpdatedRows);
      if (count > 0) {
        await audit(trx, { brandId: b.id, actor: 'system:retention', action: 'message.raw_expired', subjectType: 'brand', subjectId: b.id, data: { count, days, olderThan: new Date(before).toISOString() } }, now);
      }
      return count;
    });
    if (n > 0) cleared.set(b.id, n);
  }
  return cleared;
}
