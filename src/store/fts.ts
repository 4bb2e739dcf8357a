/**
 * Batched full-text indexing (SQLite; see migration 20261123T2050). Ingest calls it
 * inside its write transaction once a few thousand messages are pending (one FTS
 * segment per small batch would cost each commit more pages); a recurring job
 * indexes what is left every second, and a search first indexes whatever is
 * pending, so a search always sees every stored message.
 *
 * The same pass files the emoji of the messages it indexes in `message_emoji` (the
 * full-text index drops emoji; see src/core/emojiSearch.ts and migration 20261205T1330),
 * and refiles those of messages whose text changed (queued by a trigger in
 * `message_emoji_pending`). A message without emoji costs one regular-expression test.
 * PostgreSQL does both in the database (a generated tsvector column, an emoji trigger).
 */
import { sql } from 'kysely';
import { emojiTerms } from '../core/emojiSearch.js';
import type { Store } from './db.js';
import type { Tx } from './util.js';

/** Messages read at once to file their emoji (bounds memory when a bulk import is indexed in one go). */
const EMOJI_CHUNK = 5_000;

export async function indexPendingMessages(trx: Tx, store: Store, opts: { minPending?: number } = {}): Promise<number> {
  if (store.dialect !== 'sqlite') return 0; // PostgreSQL: generated tsvector column, indexed on insert
  const { from, to } = await pendingRange(trx);
  if (to <= from || to - from < (opts.minPending ?? 1)) return 0;
  await sql`INSERT INTO message_fts(rowid, text) SELECT id, text FROM message WHERE id > ${from} AND id <= ${to}`.execute(trx);
  await fileEmoji(trx, from, to);
  await sql`UPDATE kv SET value = ${String(to)} WHERE key = 'fts.watermark'`.execute(trx);
  return to - from;
}

/** The emoji terms of the messages with ids in (from, to], read in id order, a chunk at a time. */
async function fileEmoji(trx: Tx, from: number, to: number): Promise<void> {
  for (let after = from; after < to; ) {
    const rows = (await sql<{ id: number; brand_id: number; text: string }>`
      SELECT id, brand_id, text FROM message WHERE id > ${after} AND id <= ${to} ORDER BY id LIMIT ${EMOJI_CHUNK}`.execute(trx)).rows;
    if (!rows.length) return;
    after = rows[rows.length - 1]!.id;
    await insertEmojiTerms(trx, rows);
  }
}

async function insertEmojiTerms(trx: Tx, rows: { id: number; brand_id: number; text: string }[]): Promise<void> {
  const values: { brand_id: number; term: string; message_id: number }[] = [];
  for (const r of rows) for (const term of emojiTerms(r.text)) values.push({ brand_id: r.brand_id, term, message_id: r.id });
  // 300 rows a statement: within SQLite's limit of bound variables
  for (let i = 0; i < values.length; i += 300) {
    const rows = values.slice(i, i + 300).map((v) => sql`(${v.brand_id}, ${v.term}, ${v.message_id})`);
    await sql`INSERT OR IGNORE INTO message_emoji (brand_id, term, message_id) VALUES ${sql.join(rows)}`.execute(trx);
  }
}

/** Refile the emoji of messages whose text changed since they were indexed (the trigger took their old terms off). */
async function refileChangedEmoji(trx: Tx): Promise<number> {
  const ids = (await sql<{ message_id: number }>`SELECT message_id FROM message_emoji_pending ORDER BY message_id LIMIT ${EMOJI_CHUNK}`.execute(trx)).rows.map((r) => r.message_id);
  if (!ids.length) return 0;
  const idList = sql.join(ids);
  await sql`DELETE FROM message_emoji WHERE message_id IN (${idList})`.execute(trx);
  const rows = (await sql<{ id: number; brand_id: number; text: string }>`SELECT id, brand_id, text FROM message WHERE id IN (${idList})`.execute(trx)).rows;
  await insertEmojiTerms(trx, rows);
  await sql`DELETE FROM message_emoji_pending WHERE message_id IN (${idList})`.execute(trx);
  return ids.length;
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
  const changed = await sql`SELECT 1 FROM message_emoji_pending LIMIT 1`.execute(store.db);
  if (to <= from && !changed.rows.length) return 0;
  return store.db.transaction().execute(async (trx) => {
    const n = await indexPendingMessages(trx, store);
    while ((await refileChangedEmoji(trx)) === EMOJI_CHUNK);
    return n;
  });
}
