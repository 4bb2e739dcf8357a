/**
 * `conversation.origin`: the kind of the message that opened the conversation (`mention`, `dm`,
 * `comment`, `listening`...; src/core/types.ts `MESSAGE_KINDS`). The inbox list shows and filters
 * on it — a conversation found by keyword listening did not address the brand, and is answered
 * differently — and lists run over every open conversation, so it is stored on the row rather
 * than looked up in the messages for each one. Written at creation (src/pipeline/ingest.ts);
 * here for the conversations already stored: their earliest message's kind (through the
 * `message_conversation` index). A conversation with no message keeps null.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('conversation').addColumn('origin', 'text').execute();
  await sql`UPDATE conversation SET origin = (
    SELECT m.kind FROM message m WHERE m.conversation_id = conversation.id ORDER BY m.created_at, m.id LIMIT 1)`.execute(db);
}
