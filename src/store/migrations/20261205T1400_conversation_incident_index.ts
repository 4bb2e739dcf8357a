/**
 * An incident's statements live in conversations of their own (`conversation.incident_id`):
 * a partial index of those few rows, so listing an incident's statements, and the
 * out-of-hours acknowledgement looking for one sent on its network, read the index instead
 * of every conversation.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`CREATE INDEX conversation_incident ON conversation (incident_id) WHERE incident_id IS NOT NULL`.execute(db);
}
