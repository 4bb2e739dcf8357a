/**
 * Emoji become searchable (src/core/emojiSearch.ts says what matches what). The full-text
 * indexes drop emoji, so each message's emoji terms go to a table beside them,
 * `message_emoji (brand_id, term, message_id)`; the message text and the full-text indexes
 * are left as they are (no rebuild), and a search shows the text as it arrived.
 *
 * - PostgreSQL: `parley_emoji_terms(text)` computes the terms in SQL, and a trigger fills the
 *   table whenever a message with an emoji is inserted or its text changes, however it is
 *   written. Existing rows: one INSERT … SELECT over the messages the cheap test picks.
 * - SQLite: the batched full-text indexing (src/store/fts.ts) adds the terms of the messages
 *   it indexes; a trigger queues a message whose text changes in `message_emoji_pending`, which
 *   the same indexing drains. Existing rows (those already full-text indexed, up to the
 *   watermark; the rest are indexed by their batch): read once in id order, in chunks.
 * Deleting a message deletes its terms (foreign key, on delete cascade).
 * Safe to run again: nothing doubles.
 */
import { sql, type Kysely } from 'kysely';
import { emojiTerms, mayHaveEmoji, pgEmojiTermsFunction } from '../../core/emojiSearch.js';
import type { MigrationContext } from '../migrate.js';

const CHUNK = 10_000;

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  const idType = dialect === 'sqlite' ? sql`integer` : sql`bigint`;
  await sql`CREATE TABLE IF NOT EXISTS message_emoji (
    brand_id ${idType} NOT NULL,
    term text NOT NULL,
    message_id ${idType} NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    PRIMARY KEY (brand_id, term, message_id)
  )${dialect === 'sqlite' ? sql` WITHOUT ROWID` : sql``}`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS message_emoji_message ON message_emoji (message_id)`.execute(db);

  if (dialect === 'postgres') {
    const { anyPattern, createFunction } = pgEmojiTermsFunction();
    await sql.raw(createFunction).execute(db);
    await sql`CREATE OR REPLACE FUNCTION message_emoji_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP = 'UPDATE' THEN DELETE FROM message_emoji WHERE message_id = OLD.id; END IF;
        INSERT INTO message_emoji (brand_id, term, message_id)
          SELECT NEW.brand_id, u.term, NEW.id FROM unnest(parley_emoji_terms(NEW.text)) AS u(term)
          ON CONFLICT DO NOTHING;
        RETURN NULL;
      END $fn$`.execute(db);
    // the WHEN test runs in the executor: a message without emoji costs one regular-expression test
    await sql`DROP TRIGGER IF EXISTS message_emoji_insert ON message`.execute(db);
    await sql`CREATE TRIGGER message_emoji_insert AFTER INSERT ON message FOR EACH ROW
      WHEN (NEW.text ~ ${sql.lit(anyPattern)}) EXECUTE FUNCTION message_emoji_sync()`.execute(db);
    await sql`DROP TRIGGER IF EXISTS message_emoji_update ON message`.execute(db);
    await sql`CREATE TRIGGER message_emoji_update AFTER UPDATE OF text ON message FOR EACH ROW
      WHEN (OLD.text IS DISTINCT FROM NEW.text) EXECUTE FUNCTION message_emoji_sync()`.execute(db);
    await sql`INSERT INTO message_emoji (brand_id, term, message_id)
      SELECT m.brand_id, u.term, m.id FROM message m CROSS JOIN LATERAL unnest(parley_emoji_terms(m.text)) AS u(term)
      WHERE m.text ~ ${sql.lit(anyPattern)}
      ON CONFLICT DO NOTHING`.execute(db);
    return;
  }

  await sql`CREATE TABLE IF NOT EXISTS message_emoji_pending (message_id integer PRIMARY KEY)`.execute(db);
  await sql`DROP TRIGGER IF EXISTS message_emoji_update`.execute(db);
  await sql`CREATE TRIGGER message_emoji_update AFTER UPDATE OF text ON message BEGIN
    DELETE FROM message_emoji WHERE message_id = old.id;
    INSERT OR IGNORE INTO message_emoji_pending (message_id) VALUES (new.id); END`.execute(db);
  const w = await sql<{ w: number | null }>`SELECT CAST(value AS INTEGER) AS w FROM kv WHERE key = 'fts.watermark'`.execute(db);
  const upTo = Number(w.rows[0]?.w ?? 0);
  for (let after = 0; after < upTo; ) {
    const rows = (await sql<{ id: number; brand_id: number; text: string }>`
      SELECT id, brand_id, text FROM message WHERE id > ${after} AND id <= ${upTo} ORDER BY id LIMIT ${CHUNK}`.execute(db)).rows;
    if (!rows.length) break;
    after = Number(rows[rows.length - 1]!.id);
    const values: { brand_id: number; term: string; message_id: number }[] = [];
    for (const r of rows) if (mayHaveEmoji(r.text)) for (const term of emojiTerms(r.text)) values.push({ brand_id: r.brand_id, term, message_id: r.id });
    await insertTerms(db, values);
  }
}

/** Insert emoji terms, skipping those already there (300 rows a statement: within SQLite's variable limit). */
async function insertTerms(db: Kysely<any>, values: { brand_id: number; term: string; message_id: number }[]): Promise<void> {
  for (let i = 0; i < values.length; i += 300) {
    await db.insertInto('message_emoji').values(values.slice(i, i + 300)).onConflict((oc) => oc.doNothing()).execute();
  }
}
