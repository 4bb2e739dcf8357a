/**
 * The inbox list API's filters and total, on both engines:
 * - triage's verdict (respond / monitor / ignore, any of several) filters the list, alone and
 *   with the other filters, in the store and through GET /api/conversations (validated);
 * - a filtered list's total (`total=true`): its own length when it fits a page, a count
 *   otherwise (whatever page is asked for), capped at LIST_TOTAL_CAP, and not counted over
 *   resolved history, whose size has no bound.
 * The UI's side (labels, the Priority filter and presets on one scale, what the title and the
 * bulk bar say) is in test/e2e/inbox-filters.e2e.ts: the web modules import React, whose
 * types would change the DOM types of the whole test program.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { LIST_TOTAL_CAP, listConversations } from '../src/store/queries.js';
import { insertRows } from '../src/store/util.js';
import { describeEachStore, DIALECTS, type TestDatabase } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

/** A brand with an X account, and the columns every conversation row of a test needs. */
async function conversationBase(store: TestDatabase['store'], slug: string, now: number) {
  const brandId = await createBrand(store.db, { slug, name: slug }, now);
  const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: `${slug}Care`, driver: 'demo' }, now);
  return { brandId, row: { brand_id: brandId, channel_account_id: accountId, network: 'x', visibility: 'public', status: 'open', created_at: now, updated_at: now, last_message_at: now, cycle_started_at: now, reopened_count: 0, message_count: 1, version: 1, priority: 0 } };
}

describeEachStore('conversation list filters', (get) => {
  const now = Date.UTC(2026, 11, 6, 12);

  it('filters by triage action, any of several, and with the other filters', async () => {
    const { store } = get();
    const { brandId, row } = await conversationBase(store, 'filters', now);
    const priorities = [0, 10, 39, 40, 48, 69, 70, 75, 89, 90, 95, 100];
    const actions = ['respond', 'monitor', 'ignore', null] as const;
    await store.db.transaction().execute((trx) => insertRows(trx, store, 'conversation', priorities.map((priority, i) => ({ ...row, priority, last_message_at: now - i * 1000, triage_action: actions[i % actions.length] }))));
    const list = async (f: Partial<Parameters<typeof listConversations>[1]>) => (await listConversations(store, { brandId, userId: null, view: 'open', now, limit: 200, ...f })).items;

    const byAction = async (a: string[]) => (await list({ triageAction: a })).map((c) => c.triageAction);
    expect(await byAction(['monitor'])).toEqual(['monitor', 'monitor', 'monitor']);
    expect(new Set(await byAction(['monitor', 'ignore']))).toEqual(new Set(['monitor', 'ignore']));
    expect(await byAction(['monitor', 'ignore'])).toHaveLength(6);
    expect(await byAction(['respond', 'monitor', 'ignore'])).toHaveLength(9); // never the untriaged
    // with the other filters
    expect((await list({ triageAction: ['respond'], priorityMin: 70 })).map((c) => c.priority)).toEqual([89]);
    expect((await list({ triageAction: ['monitor', 'ignore'], priorityMin: 40 })).map((c) => c.priority)).toEqual([69, 70, 90, 95]);
  });

  it('totals a filtered list: its own length on one page, a count over more, capped; not counted over resolved history', async () => {
    const { store } = get();
    const { brandId, row } = await conversationBase(store, 'totals', now);
    const n = LIST_TOTAL_CAP + 50;
    const rows = Array.from({ length: n }, (_, i) => ({ ...row, last_message_at: now - i * 1000, priority: i % 100, category: i % 10 === 0 ? 'spam' : 'customer_service', status: i < 30 ? 'resolved' : 'open', triage_action: i % 4 === 0 ? 'ignore' : 'respond' }));
    await store.db.transaction().execute((trx) => insertRows(trx, store, 'conversation', rows));
    const page = (f: Partial<Parameters<typeof listConversations>[1]>) => listConversations(store, { brandId, userId: null, now, limit: 100, total: true, ...f });
    const expected = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).length;

    // fits on one page: the page is the total
    const few = await page({ view: 'open', category: 'spam', priorityMin: 90, limit: 200 });
    expect(few.nextCursor).toBeNull();
    expect([few.total, few.totalCapped]).toEqual([expected((r) => r.status === 'open' && r.category === 'spam' && r.priority >= 90), false]);
    expect(few.items).toHaveLength(few.total!);
    // longer than a page: counted, whatever page is asked for
    const spam = expected((r) => r.status === 'open' && r.category === 'spam');
    const first = await page({ view: 'open', category: 'spam' });
    expect(first.items).toHaveLength(100);
    expect([first.total, first.totalCapped]).toEqual([spam, false]);
    const second = await page({ view: 'open', category: 'spam', cursor: first.nextCursor });
    expect([second.total, second.totalCapped]).toEqual([spam, false]);
    expect((await page({ view: 'open', triageAction: ['ignore'], priorityMin: 40 })).total).toBe(expected((r) => r.status === 'open' && r.triage_action === 'ignore' && r.priority >= 40));
    // more than the cap: counting stops there
    const all = await page({ view: 'open' });
    expect(expected((r) => r.status === 'open')).toBeGreaterThan(LIST_TOTAL_CAP);
    expect([all.total, all.totalCapped]).toEqual([LIST_TOTAL_CAP, true]);
    // an explicit status without resolved is counted in any view
    expect((await page({ view: 'all', status: ['open'], category: 'spam' })).total).toBe(spam);
    // views over resolved history are not counted (unbounded), unless they fit on the page
    expect((await page({ view: 'all', category: 'spam' })).total).toBeNull();
    expect((await page({ view: 'resolved', category: 'spam' })).total).toBe(expected((r) => r.status === 'resolved' && r.category === 'spam'));
    // without `total`, nothing is counted
    expect('total' in (await listConversations(store, { brandId, userId: null, now, view: 'open', category: 'spam' }))).toBe(false);
  });
});

for (const dialect of DIALECTS) {
  describe(`GET /api/conversations filters [${dialect}]`, () => {
    let desk: TestDesk;
    let ana: Client;
    let ids: number[] = [];
    beforeAll(async () => {
      desk = await startDesk(dialect);
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: Array.from({ length: 6 }, (_, i) => mention({ text: `@AcmeCare question number ${i} about my order`, createdAt: Date.now() - (6 - i) * 1000 })) });
      expect(r.status).toBe(200);
      ids = r.json.outcomes.map((o: { conversationId: number }) => o.conversationId);
      // what triage would say, set directly so the test does not depend on the model
      const verdicts = ['respond', 'monitor', 'ignore', 'monitor', 'respond', 'ignore'];
      for (const [i, id] of ids.entries()) await desk.db.store.db.updateTable('conversation').set({ triage_action: verdicts[i]! }).where('id', '=', id).execute();
    });
    afterAll(async () => desk?.stop());

    it('filters by triageAction (comma-separated, any of them) and refuses an unknown one', async () => {
      const get = async (qs: string) => {
        const r = await ana.get(`/api/conversations?view=open${qs.includes('limit=') ? '' : '&limit=100'}${qs}`);
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        return r.json as { items: { id: number; triageAction: string }[]; total?: number | null; totalCapped?: boolean };
      };
      expect((await get('&triageAction=monitor')).items.map((c) => c.id).sort()).toEqual([ids[1], ids[3]].sort());
      const quiet = await get('&triageAction=monitor,ignore&total=true');
      expect(quiet.items.map((c) => c.triageAction).sort()).toEqual(['ignore', 'ignore', 'monitor', 'monitor']);
      expect([quiet.total, quiet.totalCapped]).toEqual([4, false]);
      // a total over more than the page asked for is counted
      const one = await get('&triageAction=respond,ignore&total=1&limit=1');
      expect(one.items).toHaveLength(1);
      expect(one.total).toBe(4);
      expect('total' in (await get('&triageAction=respond'))).toBe(false);
      const bad = await ana.get('/api/conversations?view=open&triageAction=respond,later');
      expect(bad.status).toBe(400);
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      expect(doc.paths['/api/conversations'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['triageAction', 'total']));
    });
  });
}
