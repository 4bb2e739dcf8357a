/**
 * Deleting personal data from the SQLite file itself, not only from its rows (an erasure, a post
 * its author deleted on the network). By default SQLite leaves a deleted or rewritten row's bytes
 * where they were (the old cell on its page, a page put on the free list), and FTS5 keeps a deleted
 * row's terms, with their positions, in its segments until they merge: the words could be read
 * back from the file. So:
 *  - the full-text indexes delete for real (FTS5 `secure-delete`, migration 20261207T0230);
 *  - `secureDeleting` turns SQLite's `secure_delete` on for the statements it wraps (deleted
 *    content and freed pages are overwritten with zeros), then off again: the one connection
 *    writes everything, and ingest's writes need not pay for it;
 *  - `afterSecureDelete` asks the checkpointer to copy the WAL back and cut it to nothing (its old
 *    frames hold the pages as they were), once the transaction has committed.
 * PostgreSQL keeps a deleted or updated row's old version until VACUUM reclaims it (autovacuum,
 * soon after on a busy table): docs/channels.md, "Erasure".
 */
import { sql } from 'kysely';
import type { Store } from './db.js';
import type { Tx } from './util.js';

/** Nesting depth per connection: an erasure's transaction wraps the redactions it makes. */
const depth = new WeakMap<object, number>();

export async function secureDeleting<T>(trx: Tx, store: Store, fn: () => Promise<T>): Promise<T> {
  if (store.dialect !== 'sqlite' || !store.sqlite) return fn();
  const key = store.sqlite;
  const d = depth.get(key) ?? 0;
  if (d === 0) await sql`PRAGMA secure_delete = 1`.execute(trx);
  depth.set(key, d + 1);
  try {
    return await fn();
  } finally {
    depth.set(key, d);
    if (d === 0) await sql`PRAGMA secure_delete = 0`.execute(trx);
  }
}

/** Once the transaction that deleted has committed: the WAL's old frames go too (SQLite file). */
export function afterSecureDelete(store: Store): void {
  store.truncateWal?.();
}
