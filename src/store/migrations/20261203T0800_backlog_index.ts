/**
 * The backlog report (how long customers have been waiting) over every open
 * conversation: a partial index on the waiting clock of open work only, so the
 * age buckets are index range counts and the oldest ten an index walk.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`CREATE INDEX conversation_waiting ON conversation (brand_id, waiting_since) WHERE status IN ('new', 'open', 'waiting') AND waiting_since IS NOT NULL`.execute(db);
}
