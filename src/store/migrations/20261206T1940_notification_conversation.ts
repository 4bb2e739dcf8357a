/**
 * Notifications by conversation: redaction (an author's deletion, an erasure) rewrites the
 * notices on a conversation that quote the removed text (src/store/redact.ts), and read them by
 * `brand_id` and `conversation_id` with only `notification_user` to go on, i.e. the whole table
 * for every conversation redacted, inside the write transaction.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.createIndex('notification_conversation').on('notification').columns(['conversation_id']).execute();
}
