/**
 * SQLite full-text indexing in batches instead of a per-row trigger: FTS5
 * indexing through a trigger costs ~8x more per message than one
 * INSERT … SELECT per batch (measured in `parley bench`). Messages with ids
 * above the `fts.watermark` are indexed by the ingest batch that wrote them,
 * or within a second by the indexing job; update/delete triggers only touch
 * rows already indexed. PostgreSQL keeps its generated tsvector column.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`DROP TRIGGER IF EXISTS message_fts_insert`.execute(db);
  await sql`DROP TRIGGER IF EXISTS message_fts_update`.execute(db);
  await sql`DROP TRIGGER IF EXISTS message_fts_delete`.execute(db);
  await sql`INSERT INTO kv (key, value, updated_at) VALUES ('fts.watermark', (SELECT coalesce(max(id), 0) FROM message), 0)
    ON CONFLICT(key) DO UPDATE SET value = excluded.value`.execute(db);
  await sql`CREATE TRIGGER message_fts_delete AFTER DELETE ON message
    WHEN old.id <= (SELECT CAST(value AS INTEGER) FROM kv WHERE key = 'fts.watermark') BEGIN
    INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text); END`.execute(db);
  await sql`CREATE TRIGGER message_fts_update AFTER UPDATE OF text ON message
    WHEN old.id <= (SELECT CAST(value AS INTEGER) FROM kv WHERE key = 'fts.watermark') BEGIN
    INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO message_fts(rowid, text) VALUES (new.id, new.text); END`.execute(db);
}
