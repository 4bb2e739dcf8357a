/**
 * SQLite's full-text indexes delete for real (src/store/secureDelete.ts): FTS5's `secure-delete`
 * option removes a deleted or rewritten row's terms from the index's segments at once, instead of
 * writing a tombstone and leaving the terms, with their positions, until the segments merge, from
 * which an erased message or note could be read back. It costs the deletes only (an
 * erasure, a redaction, a rewritten note), not the inserts. PostgreSQL: nothing to do here.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

const TABLES = ['message_fts', 'note_fts'] as const;

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  for (const t of TABLES) await sql`INSERT INTO ${sql.table(t)}(${sql.ref(t)}, rank) VALUES ('secure-delete', 1)`.execute(db);
}
