/**
 * Batched full-text indexing (SQLite; see migration 20261123T2050). Call inside
 * a write transaction after inserting messages; a recurring job calls it too,
 * so single inserts (replies, notes of the system) are searchable within a second.
 */
import { sql } from 'kysely';
import type { Store } from './db.js';
import type { Tx } from './util.js';

export async function indexPendingMessages(trx: Tx, store: Store): Promise<number> {
  if (store.dialect !== 'sqlite') return 0; // PostgreSQL: generated tsvector column, indexed on insert
  const w = await sql<{ w: number }>`SELECT CAST(value AS INTEGER) AS w FROM kv WHERE key = 'fts.watermark'`.execute(trx);
  const from = Number(w.rows[0]?.w ?? 0);
  const max = await sql<{ m: number | null }>`SELECT max(id) AS m FROM message`.execute(trx);
  const to = Number(max.rows[0]?.m ?? 0);
  if (to <= from) return 0;
  await sql`INSERT INTO message_fts(rowid, text) SELECT id, text FROM message WHERE id > ${from} AND id <= ${to}`.execute(trx);
  await sql`UPDATE kv SET value = ${String(to)} WHERE key = 'fts.watermark'`.execute(trx);
  return to - from;
}

/** Outside a transaction: index whatever is pending. */
export async function indexPending(store: Store): Promise<number> {
  if (store.dialect !== 'sqlite') return 0;
  return store.db.transaction().execute((trx) => indexPendingMessages(trx, store));
}
