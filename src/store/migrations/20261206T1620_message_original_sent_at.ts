/**
 * A message's own time when ingest did not keep it (src/core/messageTime.ts: dated more than the
 * tolerated skew in the future, or before 2000): `created_at` then holds its receipt, and
 * `original_sent_at` (ms, null = the time was kept) what the network, sender or integration said,
 * so the correction can be explained and audited from the message itself, even after its raw
 * payload is cleared by retention.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('message').addColumn('original_sent_at', 'bigint').execute();
}
