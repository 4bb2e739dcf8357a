/**
 * A post the network keeps but no longer shows (src/pipeline/deletions.ts `applyNetworkVisibility`):
 * `network_hidden_at` (ms, null = visible as far as the last check knows) and
 * `network_hidden_reason` (one of NETWORK_HIDDEN_REASONS in src/channels/types.ts), set by the
 * deletion check when a post is kept because the network hides it rather than because its author
 * deleted it, and cleared when a later check finds it visible again.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('message').addColumn('network_hidden_at', 'bigint').execute();
  await db.schema.alterTable('message').addColumn('network_hidden_reason', 'text').execute();
}
