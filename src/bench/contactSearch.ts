/**
 * Contact search by a 3-letter start of a name on SQLite, before and after the word table
 * (src/store/migrations/20261206T2000_contact_name_words.ts): p50/p95 of the names query of
 * `searchContacts` through the FTS5 index it replaced and through `contact_name_word`, and how
 * long the migration's backfill of the words takes. One brand of `identities` customers named
 * from common first and last names (seeded: the same names every run), so "mar" starts tens
 * of thousands of them. The FTS5 index is gone from the schema (20261206T2050): the bench makes
 * it again in its own throwaway database, as 20261206T1330 made it, to measure against.
 * Run: `npx tsx src/bench/contactSearch.ts [identities]` (default 1,000,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { contactSearchQueries, contactSearchTerms } from '../commands/contactMerge.js';
import { mulberry32 } from '../core/triage/hash.js';
import { fillNameWords } from '../store/contactNameWords.js';
import { openStore } from '../store/db.js';

const FIRST = ['Maria', 'Mario', 'Mark', 'Marta', 'Marek', 'Marcus', 'Marie', 'Anna', 'John', 'James', 'Chris', 'Christine', 'Steve', 'Sarah', 'Laura', 'David', 'Daniel', 'Emma', 'Olivia', 'Liam', 'Noah', 'Sophie', 'Lucas', 'Mia', 'Elena', 'Peter', 'Paul', 'Julia', 'Thomas', 'Kevin', 'Nadia', 'Omar', 'Yuki', 'Chen', 'Li', 'Fatima', 'Ahmed', 'Zoë', 'Ångström', 'Élodie'];
const LAST = ['Smith', 'Jones', 'Martin', 'Marquez', 'Brown', 'Garcia', 'Müller', 'Schmidt', 'Rossi', 'Dubois', 'Nguyen', 'Kim', 'Wang', 'Silva', 'Novak', 'Kowalski', 'Johansson', 'Olsen', 'Costa', 'Santos', 'Lee', 'Taylor', 'Wilson', 'Evans'];

const random = mulberry32;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function main() {
  const n = Number(process.argv[2] ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-contacts-'));
  const store = await openStore({ sqliteFile: join(dir, 'parley.db') });
  try {
    const raw = store.sqlite!;
    // the "before": the FTS5 index of display names and its insert trigger, as 20261206T1330 made them
    raw.exec(`CREATE VIRTUAL TABLE contact_identity_name USING fts5(display_name, content='contact_identity', content_rowid='id', tokenize="unicode61 remove_diacritics 0")`);
    raw.exec(`CREATE TRIGGER contact_identity_name_insert AFTER INSERT ON contact_identity WHEN new.display_name IS NOT NULL BEGIN
      INSERT INTO contact_identity_name (rowid, display_name) VALUES (new.id, new.display_name);
    END`);
    const r = random(42);
    raw.prepare(`INSERT INTO brand (id, slug, name, created_at) VALUES (1, 'big', 'Big', 0)`).run();
    const contact = raw.prepare(`INSERT INTO contact (id, brand_id, display_name, created_at, updated_at) VALUES (?, 1, ?, 0, 0)`);
    const identity = raw.prepare(`INSERT INTO contact_identity (id, brand_id, contact_id, network, network_user_id, handle, display_name, verified, created_at, updated_at) VALUES (?, 1, ?, 'x', ?, ?, ?, 0, 0, 0)`);
    let t0 = performance.now();
    const load = raw.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const name = `${FIRST[Math.floor(r() * FIRST.length)]} ${LAST[Math.floor(r() * LAST.length)]}`;
        contact.run(i, name);
        identity.run(i, i, `x-${i}`, `h${i}`, name);
      }
    });
    for (let i = 1; i <= n; i += 50_000) load(i, Math.min(n + 1, i + 50_000));
    console.log(`loaded ${n} identities (with the FTS5 index's triggers) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // the migration's backfill, on identities stored before the word table
    t0 = performance.now();
    await fillNameWords(store.db);
    const words = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM contact_name_word`.execute(store.db)).rows[0]!.n);
    console.log(`backfill: ${words} words of ${n} identities in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await sql`ANALYZE`.execute(store.db);

    for (const prefix of ['mar', 'chr', 'ann', 'zoë', 'marq']) {
      const t = contactSearchTerms(prefix)!;
      const now = contactSearchQueries(store, 1, t, 8).names!.compile(store.db);
      const fts = sql<{ contact_id: number }>`SELECT i.contact_id AS contact_id FROM contact_identity_name JOIN contact_identity i ON i.id = contact_identity_name.rowid WHERE contact_identity_name MATCH ${`"${t.words[0]}"*`} AND i.brand_id = 1 ORDER BY contact_identity_name.rowid DESC LIMIT 8`.compile(store.db);
      const matches = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM contact_identity_name WHERE contact_identity_name MATCH ${`"${t.words[0]}"*`}`.execute(store.db)).rows[0]!.n);
      const times = { before: [] as number[], after: [] as number[] };
      let same = true;
      for (let k = 0; k < 60; k++) {
        let s = performance.now();
        const a = (await store.db.executeQuery<{ contact_id: number }>(fts)).rows.map((x) => x.contact_id);
        times.before.push(performance.now() - s);
        s = performance.now();
        const b = (await store.db.executeQuery<{ contact_id: number }>(now)).rows.map((x) => x.contact_id);
        times.after.push(performance.now() - s);
        same &&= JSON.stringify(a) === JSON.stringify(b);
      }
      const f = (xs: number[]) => `p50 ${pct(xs, 0.5).toFixed(2)} ms, p95 ${pct(xs, 0.95).toFixed(2)} ms`;
      console.log(`"${prefix}" (${matches} identities): before (FTS5) ${f(times.before)}; after (word table) ${f(times.after)}; same results: ${same}`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
