/**
 * Contact search folds handles and email addresses the same way on both databases: by the
 * stored keys `contact_identity.handle_key` and `address_key` (email identities only), computed
 * in JavaScript by src/core/searchKey.ts (NFKC, Unicode lowercase, σ/ss/i folds) and written by
 * every writer of identities, instead of each database's `lower()` (SQLite's folds ASCII only,
 * so "ÉLODIE" never found "élodie" there; PostgreSQL's depends on the database's locale).
 *
 * The keys are compared in byte (code point) order on both: SQLite's default BINARY collation,
 * PostgreSQL's columns declared `COLLATE "C"`. The identities already stored get their keys here,
 * in batches of 2,000 (by id), and the `lower()` indexes of 20261206T1330 go: nothing reads them.
 */
import { sql, type Kysely } from 'kysely';
import { addressKey, searchKey } from '../../core/searchKey.js';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { dialect }: MigrationContext): Promise<void> {
  const pg = dialect === 'postgres';
  const type = pg ? sql`text COLLATE "C"` : sql`text`;
  await sql`ALTER TABLE contact_identity ADD COLUMN handle_key ${type}`.execute(db);
  await sql`ALTER TABLE contact_identity ADD COLUMN address_key ${type}`.execute(db);
  await fillSearchKeys(db, pg);
  await sql`CREATE INDEX contact_identity_handle_key ON contact_identity (brand_id, handle_key)`.execute(db);
  await sql`CREATE INDEX contact_identity_address_key ON contact_identity (brand_id, address_key) WHERE network = 'email'`.execute(db);
  // An identity whose network user id is rewritten is no longer that profile (the erasure does
  // it, with the handle): keys its writer left as they were go, not to keep a folded copy of the
  // erased handle or address. Ingest never rewrites the id (it finds identities by it), so no
  // writer that keeps the keys right loses them here.
  if (pg) {
    await sql`CREATE OR REPLACE FUNCTION contact_identity_keys_stale() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.handle_key IS NOT DISTINCT FROM OLD.handle_key THEN NEW.handle_key := NULL; END IF;
        IF NEW.address_key IS NOT DISTINCT FROM OLD.address_key THEN NEW.address_key := NULL; END IF;
        RETURN NEW;
      END $$`.execute(db);
    await sql`CREATE TRIGGER contact_identity_keys_stale BEFORE UPDATE OF network_user_id ON contact_identity
      FOR EACH ROW WHEN (NEW.network_user_id IS DISTINCT FROM OLD.network_user_id) EXECUTE FUNCTION contact_identity_keys_stale()`.execute(db);
  } else {
    await sql`CREATE TRIGGER contact_identity_keys_stale AFTER UPDATE OF network_user_id ON contact_identity
      WHEN new.network_user_id IS NOT old.network_user_id BEGIN
      UPDATE contact_identity SET
        handle_key = CASE WHEN new.handle_key IS old.handle_key THEN NULL ELSE new.handle_key END,
        address_key = CASE WHEN new.address_key IS old.address_key THEN NULL ELSE new.address_key END
      WHERE id = new.id;
    END`.execute(db);
  }
  await sql`DROP INDEX IF EXISTS contact_identity_handle_search`.execute(db);
  await sql`DROP INDEX IF EXISTS contact_identity_email_search`.execute(db);
}

/** Write every identity's keys, 2,000 at a time by id (exported for the test of this backfill). */
export async function fillSearchKeys(db: Kysely<any>, pg: boolean): Promise<void> {
  let after = 0;
  for (;;) {
    const rows = await db.selectFrom('contact_identity').select(['id', 'network', 'network_user_id', 'handle']).where('id', '>', after).orderBy('id').limit(2000).execute();
    if (!rows.length) break;
    after = Number(rows[rows.length - 1].id);
    const keys = rows.map((r) => [Number(r.id), searchKey(String(r.handle)), addressKey(String(r.network), String(r.network_user_id))] as const);
    if (pg) {
      const ids = keys.map((k) => k[0]);
      await sql`UPDATE contact_identity SET handle_key = k.h, address_key = k.a
        FROM unnest(${ids}::bigint[], ${keys.map((k) => k[1])}::text[], ${keys.map((k) => k[2])}::text[]) AS k(id, h, a) WHERE contact_identity.id = k.id`.execute(db);
    } else {
      // one statement a batch (a statement a row, each its own commit outside a transaction, took 27 s for 100,000 identities)
      await sql`UPDATE contact_identity SET handle_key = k.value ->> 1, address_key = k.value ->> 2
        FROM json_each(${JSON.stringify(keys)}) AS k WHERE contact_identity.id = k.value ->> 0`.execute(db);
    }
  }
}
