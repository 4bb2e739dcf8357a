/**
 * PostgreSQL: the stored network payloads (`message.raw`, 2–3 KB of JSON each, over the
 * TOAST threshold) compressed with LZ4 instead of pglz, where the server is built with
 * LZ4 (PostgreSQL 14 and later, `default_toast_compression` offers it). Compressing a
 * 2.2 KB payload took PostgreSQL ~12–15 µs with pglz: message inserts of 5,000 rows,
 * alternated, 70–82 µs of the backend's CPU a row with pglz against 54–58 with LZ4, which
 * stores them ~7 % larger (1,330 against 1,248 bytes). Existing rows keep pglz; both are
 * read the same way. SQLite does not compress.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const r = await sql<{ lz4: boolean }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
  if (r.rows[0]?.lz4) await sql`ALTER TABLE message ALTER COLUMN raw SET COMPRESSION lz4`.execute(db);
}
