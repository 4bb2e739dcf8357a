/**
 * Overdue questions to experts are announced once: `overdue_at` records when the notice
 * went out, and setting it (only where it is still null) is the claim that makes the
 * notice happen once across restarts and processes. The index serves the sweep for
 * open questions past their due time.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('expert_request').addColumn('overdue_at', 'bigint').execute();
  await db.schema.createIndex('expert_request_due').on('expert_request').columns(['status', 'due_at']).execute();
}
