/**
 * Contact search by the words of display names through the word table `contact_name_word`
 * (src/store/migrations/20261206T2000_contact_name_words.ts), on both databases:
 *  - it finds what the full-text indexes it replaced found (20261206T1330: FTS5 on SQLite,
 *    `to_tsvector('simple')` on PostgreSQL; dropped in 20261206T2050), in the same order, over
 *    seeded random names and queries: the reference is a model of that search over the seeded
 *    rows (`oldNameSearch`), no longer the indexes themselves;
 *  - a 3-letter prefix shared by 20,000 identities reads a page's worth of the index, not every
 *    identity it starts (PostgreSQL's per-transaction row counters and EXPLAIN ANALYZE, SQLite's
 *    query plan);
 *  - the dropped full-text objects are gone and the handle and address indexes are still there;
 *  - ingest writes a new profile's words and a renamed one's, the old name's words go with it,
 *    and an erased person leaves no word behind.
 */
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactSearchQueries, contactSearchTerms, NAME_PREFIX_MIN, searchContacts } from '../src/commands/contactMerge.js';
import { foldWord, nameWords, wordKey } from '../src/core/nameWords.js';
import { fillNameWords } from '../src/store/contactNameWords.js';
import type { Store } from '../src/store/db.js';
import type { MigrationContext } from '../src/store/migrate.js';
import * as contactSearchIndexes from '../src/store/migrations/20261206T1330_contact_search.js';
import * as dropNameFullText from '../src/store/migrations/20261206T2050_drop_contact_name_fts.js';
import { DIALECTS, describeEachStore } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';
import { mulberry32 } from '../src/core/triage/hash.js';

/** A seeded generator (mulberry32): the same names and queries on every run and database. */
function random(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(xs: readonly T[]) => xs[int(xs.length)]!;
  return { next, int, pick };
}

// few syllables, so that names share their starts ("Mar", "Mari", "Ma") as a brand's customers do
const SYLLABLES = ['mar', 'ma', 'ri', 'o', 'an', 'na', 'el', 'li', 'zo', 'ë', 'é', 'ö', 'å', 'ck', 'ia', 'lu', 's'];
const word = (r: ReturnType<typeof random>) => {
  if (r.next() < 0.08) return String(r.int(300));
  let w = '';
  for (let n = 1 + r.int(3); n > 0; n--) w += r.pick(SYLLABLES);
  const c = r.next();
  return c < 0.5 ? w[0]!.toUpperCase() + w.slice(1) : c < 0.6 ? w.toUpperCase() : w;
};
const nameOf = (r: ReturnType<typeof random>) => {
  if (r.next() < 0.05) return null;
  const words = Array.from({ length: 1 + r.int(3) }, () => word(r));
  // hyphens between words of letters only (PostgreSQL's parser reads "Ana-12" otherwise)
  return words.reduce((s, w, i) => (i === 0 ? w : s + (/\d/.test(w + words[i - 1]) || r.next() < 0.8 ? ' ' : '-') + w), '');
};

/**
 * The names search as it was before the word table, as a model over the seeded rows: the
 * reference. What the full-text query of 20261206T1330 matched (src/commands/contactMerge.ts
 * before 20261206T2000: FTS5 `unicode61 remove_diacritics 0` on SQLite, `to_tsquery('simple')`
 * on PostgreSQL, both dropped in 20261206T2050): the query's words (runs of letters, digits and
 * private-use characters, in NFC, the first six) each matched a word of the display name cut the
 * same way, case folded, diacritics kept: a word of `NAME_PREFIX_MIN` code points or more as its
 * start (`"w"*`, `'w':*`), a shorter one as the whole word; every query word (AND); the brand's
 * identities only, newest identity first, `limit` of them, as their contacts. Written here on its
 * own (not with src/core/nameWords.ts), so a fault in the word table's cutting or folding shows.
 * The seeded names use ASCII letters, digits and ë é ö å (and their capitals), whose lowercase
 * all three (FTS5's fold, PostgreSQL's lower(), JavaScript's) agree on; hyphens only between
 * words of letters, which PostgreSQL's parser reads as the words and the compound (whose start is
 * the first word's).
 */
function oldNameSearch(rows: readonly { id: number; brand: number; name: string | null }[], brandId: number, q: string, limit: number): number[] {
  const tokens = (s: string) => (s.normalize('NFC').match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []).map((t) => t.toLowerCase());
  const cleaned = q.replace(/\p{Cc}/gu, '').trim();
  if (!cleaned.replace(/^@+/, '')) return [];
  const terms = (cleaned.normalize('NFC').match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []).slice(0, 6)
    .map((w) => ({ word: w.toLowerCase(), prefix: [...w].length >= NAME_PREFIX_MIN }));
  if (!terms.length) return [];
  return rows
    .filter((r) => r.brand === brandId && r.name != null)
    .filter((r) => {
      const words = tokens(r.name!);
      return terms.every((t) => words.some((w) => (t.prefix ? w.startsWith(t.word) : w === t.word)));
    })
    .sort((a, b) => b.id - a.id)
    .slice(0, limit)
    .map((r) => r.id); // each seeded identity is its own contact: contact id = identity id
}

const insertIdentities = async (store: Store, rows: { id: number; brand: number; name: string | null }[]) => {
  for (let i = 0; i < rows.length; i += 500) {
    const part = rows.slice(i, i + 500);
    await store.db.insertInto('contact').values(part.map((r) => ({ id: r.id, brand_id: r.brand, display_name: r.name, crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: 0, updated_at: 0 }))).execute();
    await store.db.insertInto('contact_identity').values(part.map((r) => ({
      id: r.id, brand_id: r.brand, contact_id: r.id, network: 'x', network_user_id: `x-${r.id}`, handle: `h${r.id}`, display_name: r.name, followers: null, verified: 0, profile_url: null, avatar_url: null, created_at: 0, updated_at: 0,
    }))).execute();
  }
};

it('cuts a name into its distinct folded words, each under its first three letters', () => {
  expect(nameWords('Zoë Ångström-Blå ZOË 12')).toEqual(['zoë', 'ångström', 'blå', '12']);
  expect(nameWords('E\u0301milie <img src=x>')).toEqual(['émilie', 'img', 'src', 'x']);
  expect(nameWords(null)).toEqual([]);
  expect(nameWords('!!! --')).toEqual([]);
  expect(wordKey(foldWord('Marguerite'))).toBe('mar');
  expect(wordKey(foldWord('Li'))).toBe('li');
  expect([...foldWord('x'.repeat(500))]).toHaveLength(200);
});

describeEachStore('contact search by the words of names', (get, dialect) => {
  const names = async (store: Store, brandId: number, q: string, limit: number) => {
    const t = contactSearchTerms(q);
    const query = t && contactSearchQueries(store, brandId, t, limit).names;
    return query ? (await query.execute(store.db)).rows.map((r) => Number(r.contact_id)) : [];
  };

  it('finds what the full-text search found (its model), in the same order, for seeded random names and queries (the backfill wrote the words)', async () => {
    const { store } = get();
    await sql`INSERT INTO brand (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', 0), (2, 'other', 'Other', 0)`.execute(store.db);
    const r = random(20261206);
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i + 1, brand: r.next() < 0.85 ? 1 : 2, name: nameOf(r) }));
    await insertIdentities(store, rows);
    // written before the word table had their words: the migration's backfill writes them
    expect(Number((await sql<{ n: number }>`SELECT count(*) AS n FROM contact_name_word`.execute(store.db)).rows[0]!.n)).toBe(0);
    // a batch of 2,000 identities is a read and an insert of their words per 2,000 words, not a statement a row
    let statements = 0;
    await fillNameWords(store.db.withPlugin({ transformQuery: (x) => { statements++; return x.node; }, transformResult: async (x) => x.result }));
    const words = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM contact_name_word`.execute(store.db)).rows[0]!.n);
    expect(words).toBe(rows.reduce((k, x) => k + nameWords(x.name).length, 0));
    expect(statements).toBeLessThanOrEqual(2 + Math.ceil(words / 2000) + 2);
    const queries = new Set<string>();
    while (queries.size < 300) {
      const n = r.next();
      const w = word(r);
      // the start of a word (1 to 6 letters), a whole word, two words, odd case and spacing
      const start = w.slice(0, 1 + r.int(6));
      const q = n < 0.5 ? start : n < 0.7 ? w : n < 0.9 ? `${start} ${word(r).slice(0, 1 + r.int(5))}` : `  ${start.toUpperCase()}-${w} `;
      queries.add(q);
    }
    let nonEmpty = 0;
    for (const q of queries) {
      for (const [brand, limit] of [[1, 8], [1, 60], [2, 8]] as const) {
        const expected = oldNameSearch(rows, brand, q, limit);
        expect(await names(store, brand, q, limit), `${JSON.stringify(q)} brand ${brand} limit ${limit}`).toEqual(expected);
        if (expected.length) nonEmpty++;
      }
    }
    // the comparison compared something: most queries find names, many a full page
    expect(nonEmpty).toBeGreaterThan(400);
  });

  it('has no full-text index of display names left (20261206T2050), also on a database that had them, and keeps the handle and address indexes', async () => {
    const { store } = get();
    const ctx = { dialect } as MigrationContext;
    /** The full-text objects of names there are (the dropped ones: none), and whether the handle and address indexes are there. */
    const schema = async () => {
      if (dialect === 'postgres') {
        const rows = (await sql<{ indexname: string; indexdef: string }>`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contact_identity'`.execute(store.db)).rows;
        const names = rows.map((x) => x.indexname);
        return { fullText: rows.filter((x) => x.indexname === 'contact_identity_name_search' || /to_tsvector/.test(x.indexdef)).map((x) => x.indexname), keys: ['contact_identity_handle_key', 'contact_identity_address_key'].every((k) => names.includes(k)) };
      }
      const fullText = (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE name LIKE 'contact_identity_name%' OR (type = 'trigger' AND sql LIKE '%contact_identity_name%')`.execute(store.db)).rows.map((x) => x.name);
      const names = (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contact_identity'`.execute(store.db)).rows.map((x) => x.name);
      return { fullText, keys: ['contact_identity_handle_key', 'contact_identity_address_key'].every((k) => names.includes(k)) };
    };
    // a new database: migrated to the latest, nothing of them
    expect(await schema()).toEqual({ fullText: [], keys: true });

    // a database migrated before 20261206T2050: the indexes there, holding a name
    await sql`INSERT INTO brand (id, slug, name, created_at) VALUES (9, 'gone', 'Gone', 0)`.execute(store.db);
    await insertIdentities(store, [{ id: 900_001, brand: 9, name: 'Odile Quist' }]);
    await contactSearchIndexes.up(store.db, ctx);
    // (the handle and address indexes that came with them went in 20261206T1630)
    await sql`DROP INDEX IF EXISTS contact_identity_handle_search`.execute(store.db);
    await sql`DROP INDEX IF EXISTS contact_identity_email_search`.execute(store.db);
    expect((await schema()).fullText).toEqual(expect.arrayContaining(dialect === 'postgres' ? ['contact_identity_name_search']
      : ['contact_identity_name', 'contact_identity_name_insert', 'contact_identity_name_update', 'contact_identity_name_delete', 'contact_identity_name_data']));
    await insertIdentities(store, [{ id: 900_002, brand: 9, name: 'Odile Second' }]);

    await dropNameFullText.up(store.db, ctx);
    expect(await schema()).toEqual({ fullText: [], keys: true });
    await dropNameFullText.up(store.db, ctx); // again: nothing to drop, no error
    // a profile written, renamed and deleted touches no dropped object (a trigger left behind would fail here)
    await insertIdentities(store, [{ id: 900_003, brand: 9, name: 'Odile Third' }]);
    await store.db.updateTable('contact_identity').set({ display_name: 'Odile Renamed' }).where('id', 'in', [900_001, 900_003]).execute();
    await store.db.deleteFrom('contact_identity').where('brand_id', '=', 9).execute();
    expect(Number((await sql<{ n: number }>`SELECT count(*) AS n FROM contact_identity WHERE brand_id = 9`.execute(store.db)).rows[0]!.n)).toBe(0);
  });

  it('reads a page of a 3-letter prefix shared by 20,000 identities, not all 20,000', async () => {
    const { store } = get();
    await sql`INSERT INTO brand (id, slug, name, created_at) VALUES (5, 'big', 'Big', 0)`.execute(store.db);
    const r = random(5);
    const firsts = ['Mar', 'Mario', 'Maria', 'Marguerite', 'Marek', 'Marta'];
    const rows = Array.from({ length: 24_000 }, (_, i) => ({
      id: 100_001 + i, brand: 5,
      // 20,000 with a word starting "mar" (some with two), 4,000 others
      name: i % 6 === 5 ? `Ann Olsen ${i}` : `${r.pick(firsts)} ${i % 9 === 0 ? 'Marquez' : word(r)}`,
    }));
    await insertIdentities(store, rows);
    // and 30,000 newer customers of no "mar" (the newest first is then no shortcut to them)
    await sql`WITH RECURSIVE n(i) AS (SELECT 124001 UNION ALL SELECT i + 1 FROM n WHERE i < 154000) INSERT INTO contact (id, brand_id, display_name, created_at, updated_at) SELECT i, 5, 'Ann Olsen', 0, 0 FROM n`.execute(store.db);
    await sql`WITH RECURSIVE n(i) AS (SELECT 124001 UNION ALL SELECT i + 1 FROM n WHERE i < 154000) INSERT INTO contact_identity (id, brand_id, contact_id, network, network_user_id, handle, display_name, verified, created_at, updated_at)
      SELECT i, 5, i, 'x', 'x-' || i, 'h' || i, 'Ann Olsen ' || i, 0, 0, 0 FROM n`.execute(store.db);
    await fillNameWords(store.db);
    const marCount = rows.filter((x) => nameWords(x.name).some((w) => w.startsWith('mar'))).length;
    expect(marCount).toBe(20_000);
    await sql`ANALYZE`.execute(store.db);
    const t = contactSearchTerms('mar')!;
    const q = contactSearchQueries(store, 5, t, 8).names!.compile(store.db);
    const newer = Array.from({ length: 30_000 }, (_, i) => ({ id: 124_001 + i, brand: 5, name: `Ann Olsen ${124_001 + i}` }));
    expect(await names(store, 5, 'mar', 8)).toEqual(oldNameSearch([...rows, ...newer], 5, 'mar', 8));
    if (dialect === 'postgres') {
      // rows this backend read from each table (its scans, its indexes' entries and the rows they
      // fetched), by PostgreSQL's own per-transaction counters, around one run of the query
      const reads = (c: CompiledQuery) => store.db.transaction().execute(async (trx) => {
        const count = async () => Object.fromEntries((await sql<{ t: string; n: string }>`
          SELECT t, sum(pg_stat_get_xact_tuples_returned(r) + pg_stat_get_xact_tuples_fetched(r)) AS n
          FROM (SELECT t, t::regclass::oid AS r FROM unnest(ARRAY['contact_identity', 'contact_name_word']) t
                UNION ALL SELECT t, indexrelid FROM unnest(ARRAY['contact_identity', 'contact_name_word']) t JOIN pg_index ON indrelid = t::regclass) rels
          GROUP BY t`.execute(trx)).rows.map((x) => [x.t, Number(x.n)]));
        const before = await count();
        await trx.executeQuery(c);
        const after = await count();
        return { identities: after.contact_identity - before.contact_identity, words: after.contact_name_word - before.contact_name_word };
      });
      const explain = async (c: CompiledQuery) => (await store.db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ${c.sql}`, [...c.parameters]))).rows.map((x) => x['QUERY PLAN']).join('\n');
      const plan = await explain(q);
      // the word table's primary key, read backwards (newest first), nothing sorted
      expect(plan, plan).toMatch(/Index Only Scan Backward using contact_name_word_pkey on contact_name_word/);
      expect(plan, plan).not.toMatch(/Sort|Bitmap/);
      // a page (and the second entries of identities with two "mar" words), and the page's
      // identities: each counted as an index entry and, unvacuumed, the table row it checked
      const now = await reads(q);
      expect(now.words, JSON.stringify(now)).toBeLessThanOrEqual(2 * (8 + 4));
      expect(now.identities, JSON.stringify(now)).toBeLessThanOrEqual(8 * 2);
      // a longer prefix reads its key's run only until the page is full
      const longer = await reads(contactSearchQueries(store, 5, contactSearchTerms('Marque')!, 8).names!.compile(store.db));
      expect(longer.words, JSON.stringify(longer)).toBeLessThan(2 * 200);
    } else {
      const plan = (await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${q.sql}`, [...q.parameters]))).rows.map((x) => x.detail).join('\n');
      // one run of the primary key (brand, key), in its order: nothing sorted, stopped at the limit
      expect(plan, plan).toMatch(/SEARCH w USING PRIMARY KEY \(brand_id=\? AND word_key=\?/);
      expect(plan, plan).toMatch(/SEARCH i USING INTEGER PRIMARY KEY/);
      expect(plan, plan).not.toMatch(/TEMP B-TREE FOR ORDER BY|SCAN w\b|SCAN i\b/);
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`ingest and erasure keep the words of names [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    }, 60_000);
    afterAll(async () => desk?.stop());

    const write = async (networkUserId: string, displayName: string, text: string) => {
      const r = await admin.post('/api/ingest/messages', {
        channelAccountId: desk.accountId,
        messages: [mention({ text, author: { networkUserId, handle: `h_${networkUserId}`, displayName, followers: 5 } })],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json.outcomes[0] as { conversationId: number };
    };
    const found = async (q: string) => {
      const r = await admin.get(`/api/contacts?q=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      return (r.json.items as { identities: { displayName: string | null }[] }[]).flatMap((c) => c.identities.map((i) => i.displayName));
    };
    const wordsOf = async (identityId: number) => (await desk.db.store.db.selectFrom('contact_name_word').select('word').where('identity_id', '=', identityId).orderBy('word').execute()).map((w) => w.word);

    it('writes a new profile\'s words and a renamed one\'s; an erased person\'s words all go', async () => {
      const first = await write('x-marg', 'Marguerite Quokkason', '@AcmeCare my parcel is late');
      expect(await found('marg')).toEqual(['Marguerite Quokkason']);
      expect(await found('QUOKKA')).toEqual(['Marguerite Quokkason']);
      const db = desk.db.store.db;
      const { id: identityId, contact_id: contactId } = await db.selectFrom('contact_identity').select(['id', 'contact_id']).where('network_user_id', '=', 'x-marg').executeTakeFirstOrThrow();
      expect(await wordsOf(Number(identityId))).toEqual(['marguerite', 'quokkason']);
      // renamed on the network: the new name's words, none of the old one's
      await write('x-marg', 'Margo Zebedee', '@AcmeCare still late');
      expect(await wordsOf(Number(identityId))).toEqual(['margo', 'zebedee']);
      expect(await found('quokka')).toEqual([]);
      expect(await found('zebed')).toEqual(['Margo Zebedee']);
      // a second identity of the same person (merged) and someone else with the same first name
      const other = await write('x-margo2', 'Margo Other', '@AcmeCare hello');
      expect(await found('margo')).toEqual(['Margo Other', 'Margo Zebedee']);
      void first; void other;
      // merged: the other profile's words find the person they now belong to (and go with their erasure)
      const twin = await write('x-twin', 'Quentin Marlowe', '@AcmeCare me again, other account');
      const twinContact = Number((await db.selectFrom('conversation').select('contact_id').where('id', '=', twin.conversationId).executeTakeFirstOrThrow()).contact_id);
      const merged = await admin.post(`/api/contacts/${contactId}/merge`, { otherContactId: twinContact, reason: 'same person' });
      expect(merged.status, JSON.stringify(merged.json)).toBe(200);
      const byMarlowe = (await admin.get('/api/contacts?q=marlo')).json.items as { id: number; identities: unknown[] }[];
      expect(byMarlowe.map((c) => [c.id, c.identities.length])).toEqual([[Number(contactId), 2]]);

      const r = await admin.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #12' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      // nothing of the erased person's name is left in the word table, and nothing finds them
      expect(await wordsOf(Number(identityId))).toEqual([]);
      const left = await db.selectFrom('contact_name_word').select('word').where('word', 'in', ['margo', 'zebedee', 'marguerite', 'quokkason', 'quentin', 'marlowe', 'erased']).execute();
      expect(left.map((w) => w.word)).toEqual(['margo']); // Margo Other's
      expect(await found('zebedee')).toEqual([]);
      expect(await found('erased')).toEqual([]);
      expect(await found('marlowe')).toEqual([]);
      expect(await found('margo')).toEqual(['Margo Other']);
    });
  });
}
