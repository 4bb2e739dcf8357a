/**
 * Which contacts were merged into which (src/commands/contactMerge.ts `mergedContactIds`) is read
 * from the `contact.merged` and `contact.split` audit entries, by the erasure inside its write
 * transaction and by the subject access export. Without an index that read went through every
 * audit entry of the brand (millions on a large desk: seconds of SQLite's write lock). A partial
 * index holds only those entries, so it costs nothing on the audit log's other writes and is
 * never chosen for its lists (their queries do not name these actions).
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`CREATE INDEX audit_event_contact_merge ON audit_event (brand_id, subject_id) WHERE subject_type = 'contact' AND action IN ('contact.merged', 'contact.split')`.execute(db);
}
