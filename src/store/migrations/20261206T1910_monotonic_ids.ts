/**
 * Ids that never come back, for the tables the outbound webhook sweep reads by id
 * (`conversation`, `message`, `audit_event`, `reporting_fact`; docs/webhooks.md), and for
 * `team`, whose id the reporting facts of a deleted team keep (with its name in `retired_team`):
 * a team made after the newest was deleted took its id, and with it the old team's past work.
 *
 * SQLite gives a row without an explicit id max(rowid) + 1, and `reserveIds` took max(id) + 1:
 * once the newest row was deleted (a withdrawn breach fact, the echo of a reply the outbox
 * drops), the next row took its id again, below the sweep's cursor, and its event was never
 * sent (nor was the message's text put in the full-text index, whose watermark was past it
 * too). AUTOINCREMENT keeps the largest id ever used in `sqlite_sequence` and never goes
 * below it, for every insert path: `reserveIds` (which now reads it), plain INSERTs and those
 * with explicit ids (which move it up). A table cannot be altered to AUTOINCREMENT, so each is
 * rebuilt: a copy with the same columns, ids and rows, then its indexes and triggers again
 * (the full-text index reads `message` by id, which is kept, so it stays valid). The copy
 * costs about 35 µs a message (18 s for 500,000 messages with their raw payloads, once).
 * The sequence starts past the sweep's cursor and the full-text watermark, in case the newest
 * row was deleted before this ran.
 *
 * PostgreSQL: nothing to do (identity sequences never hand out an id twice).
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

const TABLES = ['conversation', 'message', 'audit_event', 'reporting_fact', 'team'] as const;

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  // dropping the old table must neither cascade (message_emoji) nor trip a reference (outbox):
  // foreign keys are off for the rebuild (a pragma that is ignored inside a transaction)
  await sql`PRAGMA foreign_keys = OFF`.execute(db);
  try {
    await sql`BEGIN IMMEDIATE`.execute(db);
    try {
      for (const table of TABLES) await rebuild(db, table);
      await sql`COMMIT`.execute(db);
    } catch (err) {
      await sql`ROLLBACK`.execute(db);
      throw err;
    }
  } finally {
    await sql`PRAGMA foreign_keys = ON`.execute(db);
  }
}

async function rebuild(db: Kysely<any>, table: string): Promise<void> {
  const def = (await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ${table}`.execute(db)).rows[0]?.sql;
  if (!def) throw new Error(`${table}: no such table`);
  if (/autoincrement/i.test(def)) return;
  const copy = `${table}_autoincrement`;
  const pk = /("id"|\bid\b)\s+integer\s+primary\s+key\b/i;
  if (!pk.test(def)) throw new Error(`${table}: id is not an integer primary key`);
  const ddl = def.replace(pk, '"id" integer primary key autoincrement').replace(/^CREATE TABLE\s+("[^"]+"|\S+)/i, `CREATE TABLE "${copy}"`);
  // indexes and triggers go with the old table: made again on the new one, as they were
  const dependents = (await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ${table} AND sql IS NOT NULL ORDER BY type, name`.execute(db)).rows;
  const hasStats = (await sql`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'`.execute(db)).rows.length > 0;
  const stats = hasStats ? (await sql<{ tbl: string; idx: string | null; stat: string }>`SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = ${table}`.execute(db)).rows : [];
  await sql.raw(ddl).execute(db);
  await sql.raw(`INSERT INTO "${copy}" SELECT * FROM "${table}" ORDER BY id`).execute(db);
  await sql.raw(`DROP TABLE "${table}"`).execute(db);
  await sql.raw(`ALTER TABLE "${copy}" RENAME TO "${table}"`).execute(db);
  for (const d of dependents) await sql.raw(d.sql).execute(db);
  for (const s of stats) await sql`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (${s.tbl}, ${s.idx}, ${s.stat})`.execute(db);
  // never below an id the webhook sweep (or, for messages, the full-text index) is already past
  const floor = Number((await sql<{ m: number | null }>`SELECT max(v) AS m FROM (
      SELECT coalesce(max(id), 0) AS v FROM ${sql.table(table)}
      UNION ALL SELECT coalesce(max(last_id), 0) FROM webhook_cursor WHERE source = ${table}
      UNION ALL SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM kv WHERE key = 'fts.watermark' AND ${table} = 'message')`.execute(db)).rows[0]?.m ?? 0);
  await sql`DELETE FROM sqlite_sequence WHERE name = ${table}`.execute(db);
  if (floor > 0) await sql`INSERT INTO sqlite_sequence (name, seq) VALUES (${table}, ${floor})`.execute(db);
}
