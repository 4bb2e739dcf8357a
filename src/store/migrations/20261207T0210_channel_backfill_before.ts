/**
 * `channel_account.backfill_before` (ms; null: no backfill recorded): the network time before which
 * the account's posts were fetched as a backfill (what was there before the desk listened), not
 * heard live. The sync worker sets it when a run starts from no position (a new connection, a
 * server or mailbox changed, a position the network no longer knows), to when the desk last had
 * the account in sync (or the run's start, for one never synced); what its runs fetch that was
 * written before it is stored with source `backfill` (src/channels/sync.ts), which outbound
 * webhooks send as history (src/jobs/webhooks.ts). Kept with the account, so a backfill that takes
 * several runs, or a restart, keeps the same line.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('channel_account').addColumn('backfill_before', 'bigint').execute();
}
