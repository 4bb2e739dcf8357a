/**
 * Finding a customer to merge with (`GET /api/contacts?q=`, src/commands/contactMerge.ts
 * `searchContacts`) reads indexes on both databases, never every identity of the brand (a large
 * brand has millions): handles and email addresses by a range over their folded keys
 * (src/core/searchKey.ts, the same on both databases), the words of display names through the
 * word table `contact_name_word` (src/store/migrations/20261206T2000_contact_name_words.ts, whose
 * own test is test/contact-name-words.test.ts), from their third letter as prefixes. PostgreSQL is asked with
 * sequential scans discouraged (an empty table would be scanned anyway): what is checked is that
 * the index can serve the query, and, with EXPLAIN ANALYZE, how many index entries it reads.
 */
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelAccount } from '../src/commands/setup.js';
import { contactSearchQueries, contactSearchTerms, prefixUpperBound, searchContacts } from '../src/commands/contactMerge.js';
import { addressKey, searchKey } from '../src/core/searchKey.js';
import { fillNameWords, writeNameWords } from '../src/store/contactNameWords.js';
import { fillSearchKeys } from '../src/store/migrations/20261206T1630_contact_search_keys.js';
import { DIALECTS, describeEachStore } from './db.js';
import { Client, consentGiven, mention, startDesk, type TestDesk } from './helpers/parley.js';

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
    // rows written before the keys existed: the migration's backfill gives them theirs
    await fillSearchKeys(store.db, dialect === 'postgres');
    await fillNameWords(store.db);
    await sql`ANALYZE`.execute(store.db);
    const t = contactSearchTerms('@Zoë_Pu%')!;
    expect(t).toMatchObject({ handle: 'zoë_pu%', email: '@zoë_pu%', words: ['Zoë', 'Pu'] });
    const q = contactSearchQueries(store, 1, t, 8);
    const handles = await plan(q.handles.compile(store.db));
    const emails = await plan(q.emails.compile(store.db));
    const names = await plan(q.names!.compile(store.db));
    if (dialect === 'sqlite') {
      expect(handles, handles).toMatch(/SEARCH contact_identity USING INDEX contact_identity_handle_key \(brand_id=\? AND handle_key>\? AND handle_key<\?\)/);
      expect(emails, emails).toMatch(/SEARCH contact_identity USING INDEX contact_identity_address_key \(brand_id=\? AND address_key>\? AND address_key<\?\)/);
      expect(names, names).toMatch(/SEARCH w USING PRIMARY KEY \(brand_id=\? AND word_key=\?\)/);
      expect(names, names).toMatch(/SEARCH i USING INTEGER PRIMARY KEY/);
      for (const p of [handles, emails, names]) expect(p, p).not.toMatch(/SCAN contact_identity\b|SCAN w\b|USE TEMP B-TREE/);
    } else {
      expect(handles, handles).toMatch(/Index (Only )?Scan using contact_identity_handle_key/);
      expect(emails, emails).toMatch(/Index (Only )?Scan using contact_identity_address_key/);
      expect(names, names).toMatch(/Index Only Scan Backward using contact_name_word_pkey/);
      for (const p of [handles, emails, names]) expect(p, p).not.toMatch(/Sort/);
    }
  });

  it('backfills the keys of the identities stored before them a batch per statement, as each identity\'s writer computes them', async () => {
    const { store } = get();
    // the desk of the first test: 3,000 identities, one in ten by email
    await sql`UPDATE contact_identity SET handle_key = NULL, address_key = NULL`.execute(store.db);
    let statements = 0;
    const counted = store.db.withPlugin({ transformQuery: (a) => { statements++; return a.node; }, transformResult: async (a) => a.result });
    await fillSearchKeys(counted, dialect === 'postgres');
    // a read and an update per 2,000 identities, and the read that finds no more (a statement a row: 3,000 more)
    expect(statements).toBeLessThanOrEqual(5);
    const rows = await store.db.selectFrom('contact_identity').select(['network', 'network_user_id', 'handle', 'handle_key', 'address_key']).execute();
    expect(rows).toHaveLength(3000);
    for (const r of rows) expect([r.handle_key, r.address_key]).toEqual([searchKey(r.handle), addressKey(r.network, r.network_user_id)]);
  });

  it('reads a one- or two-letter query\'s handles and addresses in index order up to the limit, and names only as whole words', async () => {
    const { store } = get();
    // the desk of the first test: 3,000 names "Customer <i> Name", 3,000 handles "handle<i>"
    const t = contactSearchTerms('Cu')!;
    const q = contactSearchQueries(store, 1, t, 8);
    const short = contactSearchQueries(store, 1, contactSearchTerms('h')!, 8);
    if (dialect === 'postgres') {
      const analyze = (c: CompiledQuery) => store.db.transaction().execute(async (trx) => {
        await trx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'));
        const r = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${c.sql}`, [...c.parameters]));
        return r.rows.map((x) => x['QUERY PLAN']).join('\n');
      });
      const rowsOf = (plan: string, node: RegExp) => Number(plan.split('\n').find((l) => node.test(l))?.match(/actual rows=(\d+)/)?.[1] ?? NaN);
      // "cu" is a whole word here: none of the 3,000 "Customer"s is read, let alone sorted
      const names = await analyze(q.names!.compile(store.db));
      expect(rowsOf(names, /Index Only Scan Backward using contact_name_word_pkey/), names).toBe(0);
      // a handle's first letter: the b-tree in its order, stopped at the limit, nothing sorted
      const handles = await analyze(short.handles.compile(store.db));
      expect(handles, handles).toMatch(/Limit[\s\S]*Index (Only )?Scan using contact_identity_handle_key/);
      expect(handles, handles).not.toMatch(/Sort/);
      expect(rowsOf(handles, /Index (Only )?Scan using contact_identity_handle_key/), handles).toBe(8);
    } else {
      // the word table asked for the whole word (its key and the word), not every word that starts with it
      const names = q.names!.compile(store.db);
      expect(names.parameters).toEqual([1, 'cu', 'cu', 8]);
      expect(names.sql).toMatch(/"w"\."word" = \?/);
      const handles = await plan(short.handles.compile(store.db));
      expect(handles, handles).toMatch(/SEARCH contact_identity USING INDEX contact_identity_handle_key/);
      expect(handles, handles).not.toMatch(/TEMP B-TREE/);
    }
    // the same on both: names from the third letter, handles and addresses from the first
    const find = async (s: string) => (await searchContacts(store, 1, s, 8)).map((c) => c.id);
    expect(await find('Cu')).toEqual([]);
    expect(await find('Cus')).toHaveLength(8);
    expect(await find('h')).toEqual([1, 10, 100, 1000, 1001, 1002, 1003, 1004]);
    expect(await find('u')).toEqual([1000, 100, 1010, 1020, 1030, 1040, 1050, 1060]); // "user1000@…" < "user100@…": byte order
    expect(await find('customer 29')).toEqual([29]);
    expect(await find('customer 299')).toEqual([2999, 2998, 2997, 2996, 2995, 2994, 2993, 2992]);
  });

  it('folds handles and email addresses the same way on both databases, kept by their writers and by the backfill', async () => {
    const { store } = get();
    await sql`INSERT INTO brand (id, slug, name, created_at) VALUES (3, 'fold', 'Fold', 0)`.execute(store.db);
    const rows: [number, string, string, string][] = [
      [7001, 'x', 'x-7001', 'ÉlodieCare'],
      [7002, 'x', 'x-7002', 'E\u0301milieSupport'], // decomposed: e + U+0301
      [7003, 'x', 'x-7003', 'ΑΘΗΝΑ_Help'],
      [7004, 'x', 'x-7004', 'ΟΔΟΣ'],
      [7005, 'x', 'x-7005', 'Straße_Shop'],
      [7006, 'x', 'x-7006', 'İzmirCare'],
      [7007, 'x', 'x-7007', 'IŞIK'],
      [7008, 'x', 'x-7008', 'ＡＣＭＥ＿ＦＡＮ'], // full-width
      [7009, 'email', 'ÉLODIE.Dupont@Exemple.FR', 'Élodie'],
    ];
    // written without their keys (as before the migration): the backfill computes them
    for (const [id, network, uid, handle] of rows) {
      await store.db.insertInto('contact').values({ id, brand_id: 3, display_name: null, crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: 0, updated_at: 0 }).execute();
      await store.db.insertInto('contact_identity').values({ id, brand_id: 3, contact_id: id, network, network_user_id: uid, handle, display_name: null, followers: null, verified: 0, profile_url: null, avatar_url: null, created_at: 0, updated_at: 0 }).execute();
    }
    await fillSearchKeys(store.db, dialect === 'postgres');
    const find = async (q: string) => (await searchContacts(store, 3, q, 8)).map((c) => c.id);
    expect(await find('élodie')).toEqual([7009, 7001]);
    expect(await find('ÉLODIECARE')).toEqual([7001]);
    expect(await find('e\u0301lodiec')).toEqual([7001]);
    expect(await find('émilie')).toEqual([7002]);
    expect(await find('EMILIE')).toEqual([]); // diacritics stay
    expect(await find('αθηνα')).toEqual([7003]);
    expect(await find('Αθηνά')).toEqual([]);
    expect(await find('οδος')).toEqual([7004]); // final sigma typed
    expect(await find('ΟΔΟ')).toEqual([7004]);
    expect(await find('STRASSE')).toEqual([7005]);
    expect(await find('straß')).toEqual([7005]);
    expect(await find('izmir')).toEqual([7006]);
    expect(await find('IZMIR')).toEqual([7006]);
    expect(await find('ışık')).toEqual([7007]);
    expect(await find('işik')).toEqual([7007]);
    expect(await find('isik')).toEqual([]); // the cedilla stays
    expect(await find('acme_fan')).toEqual([7008]);
    expect(await find('ＡＣＭＥ')).toEqual([7008]);
    expect(await find('élodie.dupont@exemple.fr')).toEqual([7009]);
    expect(await find('Élodie.D')).toEqual([7009]);

    // erasure rewrites the handle and network user id (src/commands/erase.ts, which does not
    // write the keys): the old keys go with them, and the old handle finds nobody
    for (const id of [7001, 7009]) {
      await store.db.updateTable('contact_identity').set({ handle: 'erased', display_name: 'erased', network_user_id: `erased:${id}`, updated_at: 1 }).where('id', '=', id).execute();
    }
    const left = await store.db.selectFrom('contact_identity').select(['handle_key', 'address_key']).where('id', 'in', [7001, 7009]).execute();
    expect(left).toEqual([{ handle_key: null, address_key: null }, { handle_key: null, address_key: null }]);
    expect(await find('élodie')).toEqual([]);
    // a writer that rewrites the id and writes the new handle's key keeps it
    await store.db.updateTable('contact_identity').set({ network_user_id: 'x-7002b', handle: 'ÉmilieNouvelle', handle_key: searchKey('ÉmilieNouvelle') }).where('id', '=', 7002).execute();
    expect(await find('ÉMILIEN')).toEqual([7002]);
    // a key left behind by a writer that changed the handle alone finds nobody
    await store.db.updateTable('contact_identity').set({ handle: 'someone_else' }).where('id', '=', 7006).execute();
    expect(await find('izmir')).toEqual([]);
  });

  it('asks nothing of an empty query, or of one that is only an @ or control characters', async () => {
    for (const q of ['', '   ', '@', '@@', '\u0000\u0007', '\t']) expect(contactSearchTerms(q), JSON.stringify(q)).toBeNull();
    // a lone surrogate is what the database would store for it; a query of punctuation searches no names
    expect(contactSearchTerms('a\ud800')).toMatchObject({ handle: 'a\ufffd' });
    expect(contactSearchTerms('%_')!.words).toEqual([]);
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
      await store.db.insertInto('contact_identity').values({ id, brand_id: brand, contact_id: id, network, network_user_id: uid, handle, handle_key: searchKey(handle), address_key: addressKey(network, uid), display_name: name, followers: null, verified: 0, profile_url: null, avatar_url: null, created_at: 0, updated_at: 0 }).execute();
      await writeNameWords(store.db, [{ id, brand_id: brand, display_name: name }]);
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
    // an erased name leaves the word table (the erasure overwrites it, and writes no words: the
    // placeholder finds nobody); a writer of names writes the new name's words
    await store.db.updateTable('contact_identity').set({ display_name: 'erased' }).where('id', '=', 5003).execute();
    expect(await find('ångs')).toEqual([]);
    expect(await find('erased')).toEqual([]);
    await writeNameWords(store.db, [{ id: 5003, brand_id: 1, display_name: 'erased' }]);
    expect(await find('erased')).toEqual([5003]);
    await store.db.deleteFrom('contact_identity').where('id', '=', 5003).execute();
    expect(await find('erased')).toEqual([]);
  });
});

for (const dialect of DIALECTS) {
  describe(`contact search and split through the desk [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let page: number;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      page = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'facebook', handle: 'AcmePage', driver: 'demo' }, Date.now());
      [admin, ana] = await Promise.all(['admin', 'ana'].map((u) => Client.signIn(desk.url, `${u}@acme.test`))) as [Client, Client];
    }, 60_000);
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    // every profile is named alike: what is found is found by its handle
    const write = async (networkUserId: string, handle: string, text: string, network: 'x' | 'facebook' = 'x') => {
      const r = await admin.post('/api/ingest/messages', {
        channelAccountId: network === 'x' ? desk.accountId : page,
        messages: [mention({ network, ...(network === 'facebook' ? { kind: 'comment' } : {}), text, author: { networkUserId, handle, displayName: 'A customer', followers: 5 } })],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0] as { messageId: number; conversationId: number };
    };
    const found = async (q: string) => {
      const r = await ana.get(`/api/contacts?q=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      return (r.json.items as { identities: { handle: string }[] }[]).flatMap((c) => c.identities.map((i) => i.handle));
    };
    const contactOf = async (conversationId: number) => Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()).contact_id);

    it('ingest writes the folded handle of a new profile, and of a handle that changes', async () => {
      await write('x-elodie', 'ÉlodieCare', '@AcmeCare my parcel is late');
      expect(await found('élodie')).toEqual(['ÉlodieCare']);
      expect(await found('ÉLODIEC')).toEqual(['ÉlodieCare']);
      // the same profile, renamed on the network: refreshed with its key
      await write('x-elodie', 'ΑΘΗΝΑ_Care', '@AcmeCare still late');
      expect(await found('αθηνα')).toEqual(['ΑΘΗΝΑ_Care']);
      expect(await found('élodie')).toEqual([]);
    });

    it('a split of a merge recorded before merges named their consent still offers to remove the CRM link that came with it', async () => {
      const setUp = async (who: string) => {
        const a = await write(`x-${who}`, who, '@AcmeCare where is my refund');
        const b = await write(`fb-${who}`, `${who}_fb`, 'I wrote on X too', 'facebook');
        const A = await contactOf(a.conversationId);
        const B = await contactOf(b.conversationId);
        const yes = await consentGiven(desk, ana, admin, b.conversationId, { networkUserId: `fb-${who}`, handle: `${who}_fb`, displayName: 'A customer', followers: 5 }, 'yes, link my account', page);
        expect((await ana.post(`/api/contacts/${B}/crm-link`, { crmCustomerId: `CRM-${who}`, consent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
        expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person', crmConsent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
        const alt = Number((await db().selectFrom('contact_identity').select('id').where('network_user_id', '=', `fb-${who}`).executeTakeFirstOrThrow()).id);
        // the merge entries as they were written before 12-06: no crmConsentId
        const entries = await db().selectFrom('audit_event').select(['id', 'data']).where('action', '=', 'contact.merged').where('subject_id', '=', String(A)).execute();
        expect(entries.length).toBeGreaterThan(0);
        for (const e of entries) {
          const { crmConsentId, ...older } = JSON.parse(e.data) as Record<string, unknown>;
          expect(typeof crmConsentId).toBe('number');
          await db().updateTable('audit_event').set({ data: JSON.stringify(older) }).where('id', '=', e.id).execute();
        }
        return { A, alt };
      };

      const one = await setUp('nadia');
      const history = await ana.get(`/api/contacts/${one.A}/merges`);
      expect(history.json.crmLinkFromMerge).toEqual({ crmCustomerId: 'CRM-nadia', identityIds: [one.alt] });
      const r = await ana.post(`/api/contacts/${one.A}/split`, { identityId: one.alt, reason: 'two people', removeCrmLink: { reason: 'came with the wrong merge' } });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.crmLinkRemoved).toBe(true);
      expect((await db().selectFrom('contact').select('crm_customer_id').where('id', '=', one.A).executeTakeFirstOrThrow()).crm_customer_id).toBeNull();

      // when the trail does not name that merge's consent (no record made at the merge's time), nothing is offered
      const two = await setUp('omar');
      await db().updateTable('crm_consent').set({ granted_at: 1 }).where('contact_id', '=', two.A).where('withdrawn_at', 'is', null).execute();
      expect((await ana.get(`/api/contacts/${two.A}/merges`)).json.crmLinkFromMerge).toBeNull();
      const kept = await ana.post(`/api/contacts/${two.A}/split`, { identityId: two.alt, removeCrmLink: { reason: 'wrong merge' } });
      expect(kept.status).toBe(409);
      expect(kept.json.code).toBe('contact.split_link_kept');
    });
  });
}
