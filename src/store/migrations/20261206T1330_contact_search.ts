/**
 * Finding a customer ("Same person as…", `GET /api/contacts?q=`) through indexes, not a scan of
 * the brand's identities (a large brand has millions: everyone who ever mentioned it).
 *
 * What an agent types matches the start of a handle, of an email address, or of any word of a
 * profile's display name (src/commands/contactMerge.ts `searchContacts`):
 *  - handle: `(brand_id, lower(handle))`, searched as a range (on PostgreSQL in the "C"
 *    collation, so the range is byte order on both databases and `%`/`_` are never patterns);
 *  - email address: the same over `network_user_id`, for email identities only (partial);
 *  - words of the display name: PostgreSQL, a GIN index over `to_tsvector('simple', …)` (no
 *    extension: pg_trgm is not always installed); SQLite, an FTS5 index of the display names
 *    (external content: the names stay in `contact_identity`) kept by triggers, so every writer
 *    (ingest, its refresh upsert, erasure) keeps it right and none has to know about it.
 * Nothing is added to ingest's rows: the cost there is the indexes' upkeep.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') {
    await sql`CREATE INDEX IF NOT EXISTS contact_identity_handle_search ON contact_identity (brand_id, (lower(handle) COLLATE "C"))`.execute(db);
    await sql`CREATE INDEX IF NOT EXISTS contact_identity_email_search ON contact_identity (brand_id, (lower(network_user_id) COLLATE "C")) WHERE network = 'email'`.execute(db);
    await sql`CREATE INDEX IF NOT EXISTS contact_identity_name_search ON contact_identity USING gin (to_tsvector('simple'::regconfig, coalesce(display_name, '')))`.execute(db);
    return;
  }
  await sql`CREATE INDEX IF NOT EXISTS contact_identity_handle_search ON contact_identity (brand_id, lower(handle))`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS contact_identity_email_search ON contact_identity (brand_id, lower(network_user_id)) WHERE network = 'email'`.execute(db);
  // diacritics kept, as PostgreSQL's 'simple' configuration keeps them: the same query finds the same names on both
  await sql`CREATE VIRTUAL TABLE IF NOT EXISTS contact_identity_name USING fts5(display_name, content='contact_identity', content_rowid='id', tokenize="unicode61 remove_diacritics 0")`.execute(db);
  await sql`DROP TRIGGER IF EXISTS contact_identity_name_insert`.execute(db);
  await sql`CREATE TRIGGER contact_identity_name_insert AFTER INSERT ON contact_identity WHEN new.display_name IS NOT NULL BEGIN
    INSERT INTO contact_identity_name (rowid, display_name) VALUES (new.id, new.display_name);
  END`.execute(db);
  await sql`DROP TRIGGER IF EXISTS contact_identity_name_update`.execute(db);
  await sql`CREATE TRIGGER contact_identity_name_update AFTER UPDATE OF display_name ON contact_identity WHEN old.display_name IS NOT new.display_name BEGIN
    INSERT INTO contact_identity_name (contact_identity_name, rowid, display_name) SELECT 'delete', old.id, old.display_name WHERE old.display_name IS NOT NULL;
    INSERT INTO contact_identity_name (rowid, display_name) SELECT new.id, new.display_name WHERE new.display_name IS NOT NULL;
  END`.execute(db);
  await sql`DROP TRIGGER IF EXISTS contact_identity_name_delete`.execute(db);
  await sql`CREATE TRIGGER contact_identity_name_delete AFTER DELETE ON contact_identity WHEN old.display_name IS NOT NULL BEGIN
    INSERT INTO contact_identity_name (contact_identity_name, rowid, display_name) VALUES ('delete', old.id, old.display_name);
  END`.execute(db);
  // the names already there (safe to run again: the index is emptied first)
  await sql`INSERT INTO contact_identity_name (contact_identity_name) VALUES ('delete-all')`.execute(db);
  await sql`INSERT INTO contact_identity_name (rowid, display_name) SELECT id, display_name FROM contact_identity WHERE display_name IS NOT NULL`.execute(db);
}
