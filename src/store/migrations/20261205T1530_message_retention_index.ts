/**
 * Raw payload retention (`retention.rawPayloadDays`, src/jobs/housekeeping.ts) clears
 * `message.raw` of old messages a batch at a time, every minute. A partial index of the rows
 * that still hold a payload, by brand and time, lets each batch read only rows it will clear:
 * once cleared they leave the index, so a sweep with nothing to do reads nothing, even on a
 * table of millions. The subject access export (src/commands/export.ts) reads a customer's
 * messages by author, a page at a time: the second index, else each page scans the table.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`CREATE INDEX message_raw_kept ON message (brand_id, created_at) WHERE raw IS NOT NULL`.execute(db);
  await sql`CREATE INDEX message_author ON message (author_identity_id, id)`.execute(db);
}
