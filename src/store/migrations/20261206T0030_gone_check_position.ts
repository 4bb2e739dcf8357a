/**
 * Where the check for deleted posts (src/channels/sync.ts `checkGone`) stands for an account,
 * kept with the account rather than in one process's memory, so a restarted process, or
 * another one that leases the account next, keeps the cadence and goes on walking through
 * older posts: `gone_checked_at` (ms, null = never checked) and `gone_check_below` (the
 * message id the next check goes on below; null = from the newest).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('channel_account').addColumn('gone_checked_at', 'bigint').execute();
  await db.schema.alterTable('channel_account').addColumn('gone_check_below', 'bigint').execute();
}
