/**
 * `channel_account.listening_backfill_before` (JSON text; null: none kept yet): the backfill line
 * of each listening term of the account (term key → ms, or null for "as the account's
 * `backfill_before`"). A keyword added to a channel already listening reads back its older matches
 * on the next sync; what was posted before the term was added is stored as backfill
 * (src/channels/listeningBackfill.ts, src/channels/sync.ts). Kept with the account and written
 * under the sync lease, so a restart or another process keeps each term's line.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('channel_account').addColumn('listening_backfill_before', 'text').execute();
}
