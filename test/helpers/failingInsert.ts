/**
 * Failure injection for atomicity tests: a real trigger in the test database that makes every
 * insert into one table fail (optionally only rows matching a condition), on SQLite and
 * PostgreSQL alike. What the code under test writes in the same transaction must then be
 * rolled back with it. `remove` drops the trigger again.
 */
import { sql } from 'kysely';
import type { Store } from '../../src/store/db.js';

/** Make inserts into `table` fail with `message` while the trigger is in place (`when`: a condition on NEW, in SQL both databases read). */
export async function failInserts(store: Store, table: string, opts: { when?: string; message?: string } = {}): Promise<{ remove(): Promise<void> }> {
  const name = `fail_insert_${table}`;
  const message = (opts.message ?? `injected failure: insert into ${table}`).replace(/'/g, "''");
  const when = opts.when ?? 'true';
  if (store.dialect === 'postgres') {
    await sql.raw(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger AS $$ BEGIN IF ${when} THEN RAISE EXCEPTION '${message}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`).execute(store.db);
    await sql.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`).execute(store.db);
    return {
      async remove() {
        await sql.raw(`DROP TRIGGER IF EXISTS ${name} ON ${table}`).execute(store.db);
        await sql.raw(`DROP FUNCTION IF EXISTS ${name}()`).execute(store.db);
      },
    };
  }
  await sql.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} WHEN ${when.replace(/\btrue\b/g, '1')} BEGIN SELECT RAISE(ABORT, '${message}'); END`).execute(store.db);
  return { async remove() { await sql.raw(`DROP TRIGGER IF EXISTS ${name}`).execute(store.db); } };
}
