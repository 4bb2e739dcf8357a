/**
 * Contact search by a word of the display name, bounded by the page: the word table
 * `contact_name_word` (brand, the word's first three letters, the word, the identity).
 *
 * The full-text indexes of 20261206T1330 find the identities with a word starting "mar", but in
 * their own order: PostgreSQL's GIN index hands over all of them to be sorted newest first,
 * SQLite's FTS5 merges every term starting "mar" before the first row comes out. A 3-letter
 * prefix of a common name is tens of thousands of identities in a large brand, read for a page
 * of eight. Here the primary key is (brand_id, word_key, identity_id, word): the identities
 * with a word starting with a 3-letter prefix are one run of the index, newest first (read
 * backwards), so the page reads its rows and stops. A longer prefix reads the same run and
 * keeps the words that start with it (the word is in the key: no table row is fetched).
 *
 * The words are cut and folded in JavaScript (src/core/nameWords.ts), so both databases store
 * the same words; ingest writes them with the name (src/store/contactNameWords.ts). The
 * database removes them (triggers): when an identity's display name changes, whatever wrote it
 * (the erasure's "erased" gets no words: nothing of an erased person's name survives), and
 * when the identity is deleted. The names already stored get their words here, 2,000
 * identities a batch (by id). The full-text indexes went in 20261206T2050 (nothing searched them).
 */
import { sql, type Kysely } from 'kysely';
import { fillNameWords } from '../contactNameWords.js';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  const pg = dialect === 'postgres';
  // byte (code point) order on both, as the handle keys (20261206T1630): a prefix is a range
  const text = pg ? sql`text COLLATE "C"` : sql`text`;
  const int = pg ? sql`bigint` : sql`integer`;
  await sql`CREATE TABLE contact_name_word (
    brand_id ${int} NOT NULL,
    word_key ${text} NOT NULL,
    word ${text} NOT NULL,
    identity_id ${int} NOT NULL,
    PRIMARY KEY (brand_id, word_key, identity_id, word)
  )${pg ? sql`` : sql` WITHOUT ROWID`}`.execute(db);
  // the triggers' deletes, by identity. On PostgreSQL a hash index: in identity order, a b-tree
  // would offer the planner the page's order without the key (read backwards, filtered by
  // brand and key), the whole table for a rare prefix, and it took it for a common one
  await sql`CREATE INDEX contact_name_word_identity ON contact_name_word ${pg ? sql`USING hash ` : sql``}(identity_id)`.execute(db);
  if (pg) {
    await sql`CREATE OR REPLACE FUNCTION contact_name_word_forget() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM contact_name_word WHERE identity_id = OLD.id;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER contact_name_word_renamed AFTER UPDATE OF display_name ON contact_identity
      FOR EACH ROW WHEN (NEW.display_name IS DISTINCT FROM OLD.display_name) EXECUTE FUNCTION contact_name_word_forget()`.execute(db);
    await sql`CREATE TRIGGER contact_name_word_deleted AFTER DELETE ON contact_identity
      FOR EACH ROW EXECUTE FUNCTION contact_name_word_forget()`.execute(db);
  } else {
    await sql`CREATE TRIGGER contact_name_word_renamed AFTER UPDATE OF display_name ON contact_identity
      WHEN new.display_name IS NOT old.display_name BEGIN
      DELETE FROM contact_name_word WHERE identity_id = old.id;
    END`.execute(db);
    await sql`CREATE TRIGGER contact_name_word_deleted AFTER DELETE ON contact_identity BEGIN
      DELETE FROM contact_name_word WHERE identity_id = old.id;
    END`.execute(db);
  }
  await fillNameWords(db);
}
