/**
 * The housekeeping sweep (every minute, one process at a time: src/app.ts registers it with
 * `jobs.every`). Availability first: whoever's sessions all expired is offline as signed out,
 * then whoever is online but has not been seen at the desk for ABSENCE_GRACE_MS is offline as
 * absent (src/commands/availability.ts); each change is announced and the queue re-routed.
 * Moderation left pending by a desk that stopped mid-call is settled as unknown
 * (src/commands/moderation.ts). Then expired sessions and old relayed live events are deleted.
 * Last, raw payload retention: a brand that set `retention.rawPayloadDays` has `message.raw`
 * cleared on messages older than that, at most RAW_RETENTION_BATCH rows a brand a run (a first
 * run over a million old rows must not hold the table), audited with the count. What a network's
 * connector still reads when answering an old message (ids only: an Instagram mention's media
 * id, a DM's mid) is kept, marked (src/channels/retainedRaw.ts). Text, triage and the search
 * index stay.
 */
import { announceAvailability, lapseAbsent, lapseAvailability } from '../commands/availability.js';
import { settleStaleModeration } from '../commands/moderation.js';
import { sql, type SqlBool } from 'kysely';
import type { EventBus } from '../events/bus.js';
import { retainedRaw, RETAINED_MARK } from '../channels/retainedRaw.js';
import { parseObject, parseStoredJson } from '../lib/json.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { inLists, inValues, type Tx } from '../store/util.js';
import { rawPayloadDays } from '../workflow/settings.js';

export interface HousekeepingDeps {
  store: Store;
  bus: EventBus;
  /** Routing after an availability change (the workflow's afterAvailability). */
  afterAvailability?: (brandId: number, userId: number) => Promise<void> | void;
  /** Rows whose raw payload one run clears at most, per brand (tests set it small). */
  rawRetentionBatch?: number;
  /** Keys derived from the instance secret (`SecretBox.deriveKey`): what retention keeps keyed (email's participant hashes) needs it. */
  deriveKey?: (purpose: string) => Buffer;
}

/** Payloads cleared a brand a run: 5,000 small updates every minute, 300,000 an hour. */
export const RAW_RETENTION_BATCH = 5_000;
const DAY_MS = 86_400_000;

/**
 * Rows whose payload is not yet trimmed to its kept keys. A literal, not a bound value: a partial
 * index that leaves trimmed rows out too is usable only when the query's term is the same text.
 */
const NOT_TRIMMED = sql<SqlBool>`raw NOT LIKE ${sql.lit(`{"${RETAINED_MARK}":%`)}`;

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
  // logout tokens too old to be taken again anyway: their jti need not be remembered (src/commands/sso.ts)
  await store.db.deleteFrom('sso_logout_jti').where('expires_at', '<=', now).execute();
  // SAML assertions past their NotOnOrAfter are refused as expired anyway (src/commands/saml.ts)
  await store.db.deleteFrom('sso_saml_assertion').where('expires_at', '<=', now).execute();
  await expireRawPayloads(store, now, deps.rawRetentionBatch ?? RAW_RETENTION_BATCH, deps.deriveKey ?? null);
}

/**
 * One batch of raw payload retention for each brand that set it; returns how many payloads each
 * cleared or trimmed to the kept keys. The select reads the partial index `message_raw_kept`
 * (rows still holding a payload, by brand and time). Rows trimmed to their kept keys stay in
 * that index and are passed over by their mark, read from the row: a brand whose old messages
 * keep keys pays for reading them on each run until the index also leaves out marked rows.
 */
export async function expireRawPayloads(store: Store, now: number, batch = RAW_RETENTION_BATCH, deriveKey: ((purpose: string) => Buffer) | null = null): Promise<Map<number, number>> {
  const cleared = new Map<number, number>();
  const brands = await store.db.selectFrom('brand').select(['id', 'settings']).execute();
  for (const b of brands) {
    const days = rawPayloadDays(parseObject(b.settings).workflow?.retention?.rawPayloadDays);
    if (days == null) continue;
    const before = now - days * DAY_MS;
    const n = await store.db.transaction().execute(async (trx) => {
      // a row retention already trimmed holds a payload still, but one that opens with the mark
      const rows = await retentionBatch(trx, b.id, before, batch).execute();
      const clear: number[] = [];
      for (const r of rows) {
        const kept = retainedRaw(r.network, parseStoredJson(r.raw), now, deriveKey);
        if (kept == null) clear.push(Number(r.id));
        else await trx.updateTable('message').set({ raw: kept }).where('id', '=', r.id).execute();
      }
      for (const part of inLists(clear)) await trx.updateTable('message').set({ raw: null }).where(inValues(store, 'id', part, 'bigint')).execute();
      const count = rows.length;
      if (count > 0) {
        await audit(trx, { brandId: b.id, actor: 'system:retention', action: 'message.raw_expired', subjectType: 'brand', subjectId: b.id, data: { count, kept: count - clear.length, days, olderThan: new Date(before).toISOString() } }, now);
      }
      return count;
    });
    if (n > 0) cleared.set(b.id, n);
  }
  return cleared;
}

/**
 * The next rows of a brand whose payload retention clears or trims: still holding the network's
 * payload (the partial index `message_raw_kept`, whose predicate is this query's), older than
 * `before`.
 */
export function retentionBatch(db: Tx | Store['db'], brandId: number, before: number, batch: number) {
  return db.selectFrom('message').select(['id', 'network', 'raw'])
    .where('brand_id', '=', brandId).where('raw', 'is not', null).where(NOT_TRIMMED).where('created_at', '<', before)
    .limit(batch);
}

