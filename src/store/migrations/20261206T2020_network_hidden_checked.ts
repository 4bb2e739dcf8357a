/**
 * When the deletion check last asked the network about a post marked hidden
 * (`message.network_hidden_checked_at`, ms; null: not since it was marked). The check re-asks a few
 * hidden posts each round whatever their age (src/channels/sync.ts `checkGone`), the least recently
 * asked first, so a mark older than the recent window is lifted once the post is shown again.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('message').addColumn('network_hidden_checked_at', 'bigint').execute();
}
