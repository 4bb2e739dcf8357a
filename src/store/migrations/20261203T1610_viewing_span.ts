/**
 * Viewing spans: when an agent had a conversation open (presence heartbeats, which
 * otherwise live only in memory), so handling time can be measured from the team's
 * own work (docs/metrics.md, "Measured handling time"). One row per visit, its end
 * moved forward at most every 30 s; the index serves "this agent's visits around a
 * reply".
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('viewing_span')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('viewing_span_user').on('viewing_span').columns(['user_id', 'last_seen_at']).execute();
}
