/**
 * Which of the customers' messages an expert question quotes (src/commands/expertQuotes.ts):
 * `expert_quote`, one row per question and message quoted, in the question (`part`
 * `question`) or in the expert's answer to it (`answer`), recorded when the question is asked
 * or answered. An erasure finds the questions that quote the person's messages by these ids
 * (`expert_quote_message`), and with each question its `expert.asked` entry, its notices and its
 * answer, wherever the question was asked; questions written before this table are still found
 * by their text (src/commands/erase.ts `quoteScrubber`).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('expert_quote')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('expert_request_id', 'bigint', (c) => c.notNull())
    .addColumn('message_id', 'bigint', (c) => c.notNull())
    .addColumn('part', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('expert_quote_message').on('expert_quote').columns(['message_id']).execute();
  await db.schema.createIndex('expert_quote_request').on('expert_quote').columns(['expert_request_id']).execute();
}
