/**
 * The full-text indexes of display names from 20261206T1330 go: contact search reads the word
 * table `contact_name_word` (20261206T2000) and nothing reads them any more, but every identity
 * written or renamed still paid for them (SQLite: the FTS5 table `contact_identity_name` and the
 * three triggers that kept it; PostgreSQL: the GIN index `contact_identity_name_search` over
 * `to_tsvector('simple', display_name)`). The handle and address indexes stay (20261206T1630's
 * `contact_identity_handle_key` / `contact_identity_address_key`: handle and email search).
 *
 * On SQLite the triggers go before the table they write to; dropping the FTS5 table drops its
 * shadow tables, and their pages go to the file's free list (reused by later writes, not given
 * back to the file system without a VACUUM). `IF EXISTS` throughout: a database restored from a
 * dump made without them migrates too.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') {
    await sql`DROP INDEX IF EXISTS contact_identity_name_search`.execute(db);
    return;
  }
  for (const trigger of ['contact_identity_name_insert', 'contact_identity_name_update', 'contact_identity_name_delete']) {
    await sql`DROP TRIGGER IF EXISTS ${sql.id(trigger)}`.execute(db);
  }
  await sql`DROP TABLE IF EXISTS contact_identity_name`.execute(db);
}
