/**
 * When someone went offline is read from their availability entries in the audit trail (their own
 * change `user.availability`, an admin's `user.updated`, the system's sign-out and absence sweep),
 * by the hand-over of follow-ups whose assignee has gone away (src/workflow/followUpHandover.ts),
 * on every follow-up to an offline person and every availability change. Without an index that
 * read went through every audit entry of the brand. A partial index holds only those entries, so
 * it costs nothing on the audit log's other writes and is never chosen for its lists.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`CREATE INDEX audit_event_user_availability ON audit_event (subject_id, created_at) WHERE subject_type = 'user' AND action IN ('user.availability', 'user.updated')`.execute(db);
}
