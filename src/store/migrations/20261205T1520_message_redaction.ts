/**
 * Redaction (src/store/redact.ts): a message deleted by its author on the network, or erased
 * on request (GDPR Art. 17), keeps its row — ids, times, direction, conversation — so SLA
 * facts, report rollups and threading stay whole, while its text, escaped text, payload and
 * link are cleared. `redacted_at`/`redacted_reason` say when and why.
 *
 * `message_tombstone` remembers a network id whose deletion arrived before the post itself
 * (webhooks do not keep order): the ingest pipeline never stores a post with a tombstone.
 * Only the id is kept, no content.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('message').addColumn('redacted_at', 'bigint').execute();
  await db.schema.alterTable('message').addColumn('redacted_reason', 'text').execute();
  await db.schema
    .createTable('message_tombstone')
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('network_message_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_tombstone_pk', ['brand_id', 'network', 'network_message_id'])
    .execute();
}
