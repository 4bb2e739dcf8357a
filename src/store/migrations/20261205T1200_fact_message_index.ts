/**
 * Reporting facts by the message they describe: a first reply finds the inbound fact of the
 * message it answers (its `message_answered` twin, src/store/rollup.ts), a triage correction
 * re-files that message's facts, and an echo's facts are retracted — each a handful of rows
 * that were found by reading every fact of the brand.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.createIndex('reporting_fact_message').on('reporting_fact').columns(['message_id']).execute();
}
