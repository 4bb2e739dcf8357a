/**
 * Quotes of a customer's words that erasure must still find after the words are gone
 * (src/commands/expertQuotes.ts, src/commands/erase.ts):
 *  - `quote_passage`: one row per passage of a customer's message (`quotePassages`: the message
 *    whole, a line or a sentence of it, 20 characters or more) that an internal note or an
 *    expert question quotes, recorded when the note or question is written: the message's id,
 *    and the passage as its length and keyed hash (HMAC-SHA256 under the desk's quote key, kv
 *    `quote.key`), never its text. A message redacted later (its author deleted it, the brand
 *    did) loses its text, but an erasure of its author still finds the note by the message's id
 *    and the quote in it by its hash; the erasure then deletes its rows;
 *  - a word index over internal notes (SQLite: FTS5 `note_fts`, kept by triggers; PostgreSQL:
 *    a GIN index on `to_tsvector('simple', text)`): an erasure reads for quotes only the notes
 *    holding one of the person's passages as a phrase, not every note written since their first
 *    message.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect, id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('quote_passage')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('message_id', 'bigint', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'bigint', (c) => c.notNull())
    .addColumn('length', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('quote_passage_message').on('quote_passage').columns(['message_id']).execute();
  await db.schema.createIndex('quote_passage_subject').on('quote_passage').columns(['subject_type', 'subject_id']).execute();
  if (dialect === 'sqlite') {
    await sql`CREATE VIRTUAL TABLE note_fts USING fts5(text, content='note', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`.execute(db);
    await sql`CREATE TRIGGER note_fts_insert AFTER INSERT ON note BEGIN
      INSERT INTO note_fts(rowid, text) VALUES (new.id, new.text); END`.execute(db);
    await sql`CREATE TRIGGER note_fts_delete AFTER DELETE ON note BEGIN
      INSERT INTO note_fts(note_fts, rowid, text) VALUES ('delete', old.id, old.text); END`.execute(db);
    await sql`CREATE TRIGGER note_fts_update AFTER UPDATE OF text ON note BEGIN
      INSERT INTO note_fts(note_fts, rowid, text) VALUES ('delete', old.id, old.text);
      INSERT INTO note_fts(rowid, text) VALUES (new.id, new.text); END`.execute(db);
    await sql`INSERT INTO note_fts(note_fts) VALUES ('rebuild')`.execute(db);
  } else {
    await sql`CREATE INDEX note_words ON note USING gin (to_tsvector('simple'::regconfig, text))`.execute(db);
  }
}
