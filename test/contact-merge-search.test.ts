/**
 * Finding a customer to merge with (`GET /api/contacts?q=`, src/commands/contactMerge.ts
 * `searchContacts`) reads indexes on both databases, never every identity of the brand (a large
 * brand has millions): handles and email addresses by a range over their lowered value, the
 * words of display names through the full-text index of each database. PostgreSQL is asked with
 * sequential scans discouraged (an empty table would be scanned anyway): what is checked is that
 * the index can serve the query, i.e. that its expression is seen to be the query's.
 */
import { CompiledQuery, sql } from 'kysely';
import { expect, it } from 'vitest';
import { contactSearchQueries, contactSearchTerms, prefixUpperBound, searchContacts } from '../src/commands/contactMerge.js';
import { describeEachStore } from './db.js';

it('bounds a prefix by the least string above every string that starts with it', () => {
  expect(prefixUpperBound('abc')).toBe('abd');
  expect(prefixUpperBound('zo\u00eb')).toBe('zo\u00ec');
  expect(prefixUpperBound('a\u{10ffff}')).toBe('b');
  expect(prefixUpperBound('\u{10ffff}')).toBeNull();
  expect(prefixUpperBound('\ud7ff')).toBe('\ue000');
  expect(prefixUpperBound('')).toBeNull();
});

describeEachStore('the contact search', (get, dialect) => {
  const plan = async (c: CompiledQuery) => {
    const { store } = get();
    if (dialect === 'sqlite') {
      const r = await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${c.sql}`, [...c.parameters]));
      return r.rows.map((x) => x.detail).join('\n');
    }
    return store.db.transaction().execute(async (trx) => {
      await trx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'));
      const r = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${c.sql}`, [...c.parameters]));
      return r.rows.map((x) => x['QUERY PLAN']).join('\n');
    });
  };

  it('reads handles, email addresses and the words of names through their indexes', async () => {
    const { store } = get();
    // one brand of a few thousand customers, as the planners' statistics see it
    await sql`INSERT INTO brand (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', 0)`.execute(store.db);
    const n = sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)`;
    await sql`${n} INSERT INTO contact (id, brand_id, display_name, created_at, updated_at) SELECT i, 1, 'Customer ' || i, 0, 0 FROM n`.execute(store.db);
    await sql`${n} INSERT INTO contact_identity (id, brand_id, contact_id, network, network_user_id, handle, display_name, verified, created_at, updated_at)
      SELECT i, 1, i, CASE WHEN i % 10 = 0 THEN 'email' ELSE 'x' END, 'user' || i || '@example.com', 'handle' || i, 'Customer ' || i || ' Name', 0, 0, 0 FROM n`.execute(store.db);
    await sql`ANALYZE`.execute(store.db);
    const t = (await contactSearchTerms(store.db, '@Zoë_Pu%'))!;
    expect(t).toMatchObject({ handle: 'zoë_pu%', email: '@zoë_pu%', words: ['Zoë', 'Pu'] });
    const q = contactSearchQueries(store, 1, t, 8);
    const handles = await plan(q.handles.compile(store.db));
    const emails = await plan(q.emails.compile(store.db));
    const names = await plan(q.names!.compile(store.db));
    if (dialect === 'sqlite') {
      expect(handles, handles).toMatch(/SEARCH contact_identity USING INDEX contact_identity_handle_search \(brand_id=\? AND <expr>>\? AND <expr><\?\)/);
      expect(emails, emails).toMatch(/SEARCH contact_identity USING INDEX contact_identity_email_search \(brand_id=\? AND <expr>>\? AND <expr><\?\)/);
      expect(names, names).toMatch(/SCAN contact_identity_name VIRTUAL TABLE INDEX/);
      expect(names, names).toMatch(/SEARCH i USING INTEGER PRIMARY KEY/);
      for (const p of [handles, emails, names]) expect(p, p).not.toMatch(/SCAN contact_identity\b(?!_name)|USE TEMP B-TREE/);
    } else {
      expect(handles, handles).toMatch(/Index (Only )?Scan using contact_identity_handle_search/);
      expect(emails, emails).toMatch(/Index (Only )?Scan using contact_identity_email_search/);
      expect(names, names).toMatch(/Bitmap Index Scan on contact_identity_name_search/);
      for (const p of [handles, emails]) expect(p, p).not.toMatch(/Sort/);
    }
  });

  it('asks nothing of an empty query, or of one that is only an @ or control characters', async () => {
    const { store } = get();
    for (const q of ['', '   ', '@', '@@', '\u0000\u0007', '\t']) expect(await contactSearchTerms(store.db, q), JSON.stringify(q)).toBeNull();
    // a lone surrogate is what the database would store for it; a query of punctuation searches no names
    expect(await contactSearchTerms(store.db, 'a\ud800')).toMatchObject({ handle: 'a\ufffd' });
    expect((await contactSearchTerms(store.db, '%_'))!.words).toEqual([]);
  });

  it('finds what agents type: a handle with or without @, the start of any word of a name, an email address; % and _ are characters', async () => {
    const { store } = get();
    await sql`INSERT INTO brand (id, slug, name, created_at) VALUES (2, 'other', 'Other', 0)`.execute(store.db);
    const rows: [number, number, string, string, string, string | null][] = [
      [5001, 1, 'x', 'x-5001', 'per%cent', 'Quentin Odd'],
      [5002, 1, 'x', 'x-5002', 'per_x', null],
      [5003, 1, 'facebook', 'fb-5003', 'ZOE_Public', 'Zoë Ångström-Blå'],
      [5004, 1, 'email', 'Ana.Maria@Example.COM', 'Ana Maria', 'Ana María'],
      [5005, 2, 'x', 'x-5005', 'handle12other', 'Customer 12 Name'],
      [5006, 1, 'x', 'x-5006', 'hostile', 'Zoë <img src=x onerror=1> \u202Eexe'],
    ];
    for (const [id, brand, network, uid, handle, name] of rows) {
      await store.db.insertInto('contact').values({ id, brand_id: brand, display_name: name, crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: 0, updated_at: 0 }).execute();
      await store.db.insertInto('contact_identity').values({ id, brand_id: brand, contact_id: id, network, network_user_id: uid, handle, display_name: name, followers: null, verified: 0, profile_url: null, avatar_url: null, created_at: 0, updated_at: 0 }).execute();
    }
    const find = async (q: string, limit = 8) => (await searchContacts(store, 1, q, limit)).map((c) => c.id);

    // handles: with or without @, any case, exact one first, within the brand, at most `limit`
    expect(await find('handle12')).toEqual([12, 120, 1200, 1201, 1202, 1203, 1204, 1205]);
    expect(await find('@HANDLE1200')).toEqual([1200]);
    expect(await find('handle12', 3)).toHaveLength(3);
    expect(await find('zoe_pub')).toEqual([5003]);
    // % and _ are taken literally, never as patterns
    expect(await find('per%')).toEqual([5001]);
    expect(await find('per_')).toEqual([5002]);
    expect(await find('p%')).toEqual([]);
    expect(await find('%')).toEqual([]);
    expect(await find('_')).toEqual([]);
    expect(await find('handle_2')).toEqual([]);
    // email addresses: exact or their start, any case; a handle that only contains the term is not found
    expect(await find('ana.maria@example.com')).toEqual([5004]);
    expect(await find('Ana.Ma')).toEqual([5004]);
    expect(await find('user30@')).toEqual([30]);
    expect(await find('user31@')).toEqual([]);
    expect(await find('andle12')).toEqual([]);
    // names: the start of any of their words, every word of the query, letters beyond ASCII
    expect(await find('ångs')).toEqual([5003]);
    expect(await find('BLÅ')).toEqual([5003]);
    expect(await find('zoë')).toEqual(expect.arrayContaining([5003, 5006]));
    expect(await find('María')).toEqual([5004]);
    expect(await find('customer 2999')).toEqual([2999]);
    expect(await find('ustomer')).toEqual([]);
    expect(await find('\u202Eexe')).toEqual([5006]);
    // odd and hostile queries find nothing and break nothing
    for (const q of ['"', "'", '\\', '*', 'a AND b', 'NEAR(', ':*', '!', '(', '\u0000zoe', '@@@', '🙂', 'x'.repeat(200), '\ud83d']) {
      const r = await searchContacts(store, 1, q, 8);
      expect(Array.isArray(r), q).toBe(true);
    }
    expect(await find('\u0000ZOE_Pub')).toEqual([5003]);
    expect(await find('')).toEqual([]);
    // an erased name leaves the name index (the erasure overwrites it)
    await store.db.updateTable('contact_identity').set({ display_name: 'erased' }).where('id', '=', 5003).execute();
    expect(await find('ångs')).toEqual([]);
    expect(await find('erased')).toEqual([5003]);
    await store.db.deleteFrom('contact_identity').where('id', '=', 5003).execute();
    expect(await find('erased')).toEqual([]);
  });
});
