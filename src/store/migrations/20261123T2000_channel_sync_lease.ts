/** Per-account sync leases, so two processes never poll the same account at once. */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('channel_account').addColumn('sync_lease_until', 'bigint').execute();
  await db.schema.alterTable('channel_account').addColumn('sync_lease_owner', 'text').execute();
  await db.schema.alterTable('channel_account').addColumn('next_sync_at', 'bigint').execute();
}
