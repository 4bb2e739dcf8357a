/**
 * `incident.next_update_at`: when the brand said its next update on the incident is due (ms),
 * given with a statement (POST /api/incidents/:id/statement `nextUpdateAt`); the suggested
 * personal reply from the statement tells each customer (src/core/incidentReply.ts). Null: none said.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('incident').addColumn('next_update_at', 'bigint').execute();
}
