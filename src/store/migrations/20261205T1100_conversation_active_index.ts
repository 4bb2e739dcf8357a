/**
 * The filtered inbox count (`listConversations` with `total`) counts unresolved work only,
 * whatever the filters: a partial index of the unresolved conversations by brand and status
 * lets PostgreSQL find them without reading the brand's resolved history (every row ever
 * resolved, which only grows). Unresolved work is the newest rows, at the end of the table,
 * so a sequential scan read nearly all of it for each count. SQLite counts through
 * `conversation_inbox` (brand, status) already; the index is the same on both engines.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`CREATE INDEX conversation_active ON conversation (brand_id, status) WHERE status <> 'resolved'`.execute(db);
}
