/**
 * API tokens may expire: `expires_at` (ms, null = until revoked). Tokens are listed and
 * revoked by admins, and revoked when their owner's password changes.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('api_token').addColumn('expires_at', 'bigint').execute();
}
