/**
 * `withdrawn_answer`: the response facts a removed reply had counted, kept when they are withdrawn
 * (src/pipeline/deletions.ts `withdrawAnswer`, docs/metrics.md "A removed reply is not an answer"),
 * with the conversation's answer as it stood, so that a reply the network hid and shows again gets
 * exactly those facts back (`restoreAnswer`). One row per withdrawal; `settled_at` / `outcome` say
 * once what became of it (restored, or kept out because another reply answered meanwhile).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('withdrawn_answer')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint', (c) => c.notNull())
    .addColumn('message_id', 'bigint', (c) => c.notNull())
    .addColumn('withdrawn_at', 'bigint', (c) => c.notNull())
    .addColumn('facts', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('settled_at', 'bigint')
    .addColumn('outcome', 'text')
    .execute();
  await db.schema.createIndex('withdrawn_answer_message').on('withdrawn_answer').columns(['message_id']).execute();
}
