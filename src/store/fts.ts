/**
 * Batched full-text indexing (SQLite; see migration 20261123T2050). Ingest calls it
 * inside its write transaction once a few thousand messages are pending (one FTS
 * segment per small batch would cost each commit more pages); a recurring job
 * indexes what is left every second, and a search first indexes whatever is
 * pending, so a search always sees every stored message.
 */
import { sql } from 'kysely';
import type { Store } from './db.js';
import type { Tx } from './util.js';

export async function indexPendingMessages(trx: Tx, store: Store, opts: { minPending?: number } = {}): Promise<number> {
  if (store.dialect !== 'sqlite') return 0; // PostgreSQL: generated tsvector column, indexed on insert
  const { from, to } = await pendingRange(trx);
  if (to <= from || to - from < (opts.minPending ?? 1)) return 0;
  await sql`INSERT INTO message_fts(rowid, text) SELECT id, text FROM message WHERE id > ${from} AND id <= ${to}`.execute(trx);
  await sql`UPDATE kv SET value = ${String(to)} WHERE key = 'fts.watermark'`.execute(trx);
  return to - from;
}

async function pendingRange(db: Tx): Promise<{ from: number; to: number }> {
  const w = await sql<{ w: number }>`SELECT CAST(value AS INTEGER) AS w FROM kv WHERE key = 'fts.watermark'`.execute(db);
  const max = await sql<{ m: number | null }>`SELECT max(id) AS m FROM message`.execute(db);
  return { from: Number(w.rows[0]?.w ?? 0), to: Number(max.rows[0]?.m ?? 0) };
}

/** Outside a transaction: index whatever is pending (a write transaction only when something is). */
export async function indexPending(store: Store): Promise<number> {
  if (store.dialect !== 'sqlite') return 0;
  const { from, to } = await pendingRange(store.db);
  if (to <= from) return 0;
  return store.db.transaction().execute((trx) => indexPendingMessages(trx, store));
}
