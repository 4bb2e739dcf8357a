/**
 * Snoozed conversations wake when their snooze ends (a keyed job each, and a sweep as a safety
 * net): a partial index of the snoozed ones only, so the sweep is an index range read.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`CREATE INDEX conversation_snoozed ON conversation (snoozed_until) WHERE snoozed_until IS NOT NULL`.execute(db);
}
