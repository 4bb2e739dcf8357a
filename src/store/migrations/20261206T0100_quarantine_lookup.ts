/**
 * What quarantining looks up before it adds an item: the same item from the same source already
 * kept (an import line by its number; a network's item redelivered, within a week:
 * src/pipeline/ingest.ts, src/channels/quarantine.ts). Without an index each lookup read every
 * quarantined row of the brand, so a flood of malformed deliveries slowed down with its own size.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.createIndex('quarantine_lookup').on('quarantine').columns(['brand_id', 'source', 'line', 'created_at']).execute();
}
