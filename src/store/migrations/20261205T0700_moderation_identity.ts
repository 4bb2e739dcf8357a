/**
 * Moderation by author: whether the brand blocks or mutes a person is read from their latest
 * block/unblock/mute/unmute (the conversation view, the out-of-hours acknowledgement), by
 * identity; without this index each read scanned every moderation action of every brand.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.createIndex('moderation_action_identity').on('moderation_action').columns(['identity_id', 'id']).execute();
}
