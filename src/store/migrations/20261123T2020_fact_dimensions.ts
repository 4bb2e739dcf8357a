/** Reporting facts also carry the triage verdict they are counted by: needs-a-response and sentiment. */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('reporting_fact').addColumn('needs_response', 'integer').execute();
  await db.schema.alterTable('reporting_fact').addColumn('sentiment', 'text').execute();
  await db.schema.createIndex('reporting_fact_time').on('reporting_fact').columns(['brand_id', 'occurred_at']).execute();
}
