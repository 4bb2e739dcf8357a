/**
 * Raw payload retention now trims some payloads to the ids their connector still needs
 * (src/channels/retainedRaw.ts: `{"parley:retained":...}`) instead of clearing them. Those rows
 * still hold a payload, so they stayed in `message_raw_kept` and every sweep read past them
 * again. The index now leaves them out too; its predicate is the sweep's own text
 * (src/jobs/housekeeping.ts `NOT_TRIMMED`), as a partial index is used only for a query that
 * states it.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`DROP INDEX message_raw_kept`.execute(db);
  await sql`CREATE INDEX message_raw_kept ON message (brand_id, created_at) WHERE raw IS NOT NULL AND raw NOT LIKE '{"parley:retained":%'`.execute(db);
}
