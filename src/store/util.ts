/** Small store helpers shared by queries and the pipeline. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Store } from './db.js';
import type { DB } from './schema.js';

export type Tx = Kysely<DB> | Transaction<DB>;

export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Rows per multi-row INSERT that keep under both engines' bound-parameter limits. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.floor(30_000 / columns));
}

/**
 * Reserve `n` ids for `table` inside the current write transaction, so a batch
 * knows its rows' ids before inserting them (RETURNING order is not guaranteed).
 * SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so max(id) is ours.
 * PostgreSQL: draw from the identity sequence.
 */
export async function reserveIds(trx: Tx, store: Store, table: 'conversation' | 'message' | 'contact' | 'contact_identity' | 'reporting_fact', n: number): Promise<number[]> {
  if (n === 0) return [];
  if (store.dialect === 'sqlite') {
    const r = await sql<{ m: number | null }>`select max(id) as m from ${sql.table(table)}`.execute(trx);
    const start = (r.rows[0]?.m ?? 0) + 1;
    return Array.from({ length: n }, (_, i) => start + i);
  }
  const r = await sql<{ id: number }>`select nextval(pg_get_serial_sequence(${table}, 'id')) as id from generate_series(1, ${n})`.execute(trx);
  return r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
}

/** Serialize writers of one brand across processes (PostgreSQL); SQLite's write lock already does. */
export async function lockBrand(trx: Tx, store: Store, brandId: number, scope = 1): Promise<void> {
  if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${872000 + scope}, ${brandId})`.execute(trx);
}
