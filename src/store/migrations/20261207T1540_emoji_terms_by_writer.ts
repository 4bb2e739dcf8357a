/**
 * PostgreSQL: a writer may file the emoji terms of the messages it inserts itself, in one
 * statement, instead of the row trigger of migration 20261205T1330 doing it one message at a time
 * (a PL/pgSQL call, its insert and its foreign-key check per message with an emoji: ~15 µs of
 * the database a message of the ingest stream). It says so for its transaction with
 * `set_config('parley.emoji_terms_by_writer', 'on', true)`, `PG_EMOJI_BY_WRITER` (the ingest pipeline does,
 * src/pipeline/ingest.ts); every other writer is still served by the trigger, so a message is
 * indexed however it is written. SQLite: nothing (its emoji are filed by the batched
 * full-text indexing).
 */
import { sql, type Kysely } from 'kysely';
import { PG_EMOJI_BY_WRITER, pgEmojiTermsFunction } from '../../core/emojiSearch.js';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const { anyPattern } = pgEmojiTermsFunction();
  await sql`DROP TRIGGER IF EXISTS message_emoji_insert ON message`.execute(db);
  await sql`CREATE TRIGGER message_emoji_insert AFTER INSERT ON message FOR EACH ROW
    WHEN (NEW.text ~ ${sql.lit(anyPattern)} AND coalesce(current_setting(${sql.lit(PG_EMOJI_BY_WRITER)}, true), '') <> 'on')
    EXECUTE FUNCTION message_emoji_sync()`.execute(db);
}
