/** Daily rollups of reporting facts (see src/store/rollup.ts), filled from the facts already written. */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('fact_rollup')
    .addColumn('k', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('period_start', 'bigint', (c) => c.notNull())
    .addColumn('hour_of_week', 'integer', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('channel_account_id', 'bigint', (c) => c.notNull())
    .addColumn('team_id', 'bigint', (c) => c.notNull())
    .addColumn('agent_id', 'bigint', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('sentiment', 'text', (c) => c.notNull())
    .addColumn('needs_response', 'integer', (c) => c.notNull())
    .addColumn('clock', 'text', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addColumn('sum_s', 'double precision', (c) => c.notNull())
    .addColumn('sum_bs', 'double precision', (c) => c.notNull())
    .addColumn('hist', 'text', (c) => c.notNull())
    .addColumn('hist_b', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('fact_rollup_range').on('fact_rollup').columns(['brand_id', 'kind', 'period_start']).execute();
  // existing facts are rolled up by the application on first start (see rebuildRollups), marked here
  await sql`INSERT INTO kv (key, value, updated_at) VALUES ('rollup.rebuild', '1', 0) ON CONFLICT (key) DO NOTHING`.execute(db);
}
