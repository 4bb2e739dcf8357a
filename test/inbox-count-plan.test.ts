/**
 * The filtered inbox count (`listConversations` with `total`) on PostgreSQL reads unresolved
 * work through an index, never the conversation table from end to end: 300,000 conversations
 * over three brands, the oldest 70 % resolved (a desk's history) and the newest 30 % open work,
 * analyzed; the plan of the very query the list runs is asked for each kind of filtered list,
 * and its total checked against a direct count. (A sequential scan under the count's old LIMIT
 * was priced as stopping early, but open work sits behind the whole history: 45–245 ms. At this
 * share of open work the partial index alone, or counting without the LIMIT alone, still scans.)
 */
import { Kysely, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamMember, createBrand, createChannelAccount, createTeam, createUser } from '../src/commands/setup.js';
import type { Store } from '../src/store/db.js';
import { LIST_TOTAL_CAP, listConversations, type ConversationFilter } from '../src/store/queries.js';
import type { DB } from '../src/store/schema.js';
import { createTestDatabase, type TestDatabase } from './db.js';

const ROWS = 300_000;
const NOW = Date.UTC(2026, 11, 7, 12);

describe('the filtered inbox count uses an index (PostgreSQL)', () => {
  let t: TestDatabase;
  let logged: Store;
  const queries: { sql: string; parameters: readonly unknown[] }[] = [];
  const brands: number[] = [];
  let users: number[] = [];
  let teams: number[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    const { store } = t;
    const accounts: number[] = [];
    for (const slug of ['big', 'mid', 'small']) {
      const b = await createBrand(store.db, { slug, name: slug }, NOW);
      brands.push(b);
      accounts.push(await createChannelAccount(store.db, { brandId: b, network: 'x', handle: `${slug}X`, driver: 'demo' }, NOW));
      accounts.push(await createChannelAccount(store.db, { brandId: b, network: 'facebook', handle: `${slug}Fb`, driver: 'demo' }, NOW));
    }
    teams = [await createTeam(store.db, { brandId: brands[0]!, name: 'Care' }, NOW), await createTeam(store.db, { brandId: brands[0]!, name: 'Billing' }, NOW)];
    for (let i = 0; i < 4; i++) {
      const u = await createUser(store.db, { brandId: brands[0]!, email: `agent${i}@big.test`, name: `Agent ${i}`, role: 'agent', password: 'correct horse battery' }, NOW);
      users.push(u);
      await addTeamMember(store.db, teams[i % 2]!, u);
    }
    // g = 1 is the oldest; brand by g % 10 (80 / 10 / 10 %), the rest from a scrambled g
    await store.pgPool!.query(
      `insert into conversation (brand_id, channel_account_id, network, visibility, status, priority, assignee_id, team_id, subject,
         created_at, updated_at, last_message_at, cycle_started_at, reopened_count, message_count, version, sentiment, category, triage_action, sla_due_at, waiting_since)
       select ($1::bigint[])[b], ($2::bigint[])[(2 * b - 1 + h % 2)::int], case when h % 2 = 0 then 'x' else 'facebook' end, case when h % 5 = 0 then 'private' else 'public' end,
         case when g <= $5::int * 0.7 then 'resolved' when h % 10 < 3 then 'new' when h % 10 < 8 then 'open' else 'waiting' end,
         h % 101,
         case when b = 1 and h % 7 < 5 then ($3::bigint[])[(1 + h % 4)::int] end,
         case when b = 1 then ($4::bigint[])[(1 + h % 2)::int] end,
         'subject ' || g,
         $6::bigint - ($5::int - g) * 60000, $6::bigint - ($5::int - g) * 60000, $6::bigint - ($5::int - g) * 30000, $6::bigint - ($5::int - g) * 60000, 0, 1, 1,
         (array['positive', 'neutral', 'negative'])[(1 + h % 3)::int],
         (array['customer_service', 'complaint', 'spam', 'abuse', 'praise', 'question', 'billing', 'delivery', 'technical', 'other'])[(1 + (h / 7) % 10)::int],
         (array['respond', 'respond', 'respond', 'monitor', 'ignore', null])[(1 + (h / 3) % 6)::int],
         case when h % 3 = 0 then $6::bigint + (h % 600) * 60000 end,
         $6::bigint - ($5::int - g) * 60000
       from (select g, (g * 7919) % 100003 as h, case when g % 10 < 8 then 1 when g % 10 < 9 then 2 else 3 end as b from generate_series(1::bigint, $5::bigint) g) s`,
      [brands, accounts, users, teams, ROWS, NOW],
    );
    await store.pgPool!.query('analyze conversation');
    // the same store, with every query it runs written down
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: store.pgPool! }), log: (e) => void (e.level === 'query' && queries.push({ sql: e.query.sql, parameters: e.query.parameters })) });
    logged = { ...store, db };
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  /** The count query a filtered list runs, its plan, its total and the direct count of what the filter matches. */
  async function countOf(f: Partial<ConversationFilter>, where: string, params: unknown[] = []) {
    queries.length = 0;
    const r = await listConversations(logged, { brandId: brands[0]!, userId: null, now: NOW, limit: 50, total: true, ...f });
    const count = queries.find((q) => /count\(\*\)/.test(q.sql));
    if (!count) throw new Error(`no count ran for ${JSON.stringify(f)} (total ${r.total})`);
    const plan = (await t.store.pgPool!.query(`explain ${count.sql}`, count.parameters as unknown[])).rows.map((x) => x['QUERY PLAN'] as string).join('\n');
    const direct = Number((await t.store.pgPool!.query(`select count(*) as n from conversation where brand_id = $1 and ${where}`, [brands[0], ...params])).rows[0].n);
    return { plan, total: r.total, capped: r.totalCapped, direct };
  }

  const lists: [string, Partial<ConversationFilter>, string, unknown[]?][] = [
    ['open', { view: 'open' }, `status in ('new', 'open')`],
    ['open on one network', { view: 'open', network: 'facebook' }, `status in ('new', 'open') and network = 'facebook'`],
    ['open, spam, priority 90+', { view: 'open', category: 'spam', priorityMin: 90 }, `status in ('new', 'open') and category = 'spam' and priority >= 90`],
    ['open, negative, priority 70+', { view: 'open', sentiment: 'negative', priorityMin: 70 }, `status in ('new', 'open') and sentiment = 'negative' and priority >= 70`],
    ['open, triaged monitor or ignore', { view: 'open', triageAction: ['monitor', 'ignore'] }, `status in ('new', 'open') and triage_action in ('monitor', 'ignore')`],
    ['open, private', { view: 'open', status: ['open'] }, `status = 'open'`],
    ['new', { view: 'new' }, `status = 'new'`],
    ['waiting', { view: 'waiting' }, `status = 'waiting'`],
    ['all, status open or waiting', { view: 'all', status: ['open', 'waiting'] }, `status in ('open', 'waiting')`],
    ['open, unassigned', { view: 'open', assigneeId: 'none' }, `status in ('new', 'open') and assignee_id is null`],
    ['open, due within an hour', { view: 'open', dueWithinMs: 3_600_000 }, `status in ('new', 'open') and sla_due_at is not null and sla_due_at <= $2`, [NOW + 3_600_000]],
  ];
  for (const [name, f, where, params] of lists) {
    it(`${name}: no sequential scan of the conversations, and the right total`, async () => {
      const c = await countOf(f, where, params);
      expect(c.plan, c.plan).not.toMatch(/Seq Scan on conversation/);
      expect(c.plan, c.plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
      expect([c.total, c.capped]).toEqual([Math.min(c.direct, LIST_TOTAL_CAP), c.direct > LIST_TOTAL_CAP]);
    });
  }

  it('mine and my team: no sequential scan either', async () => {
    for (const f of [{ view: 'mine', userId: users[0]! }, { view: 'team', userId: users[1]! }] as Partial<ConversationFilter>[]) {
      const where = f.view === 'mine' ? `assignee_id = $2 and status <> 'resolved'` : `team_id = $2 and status <> 'resolved'`;
      const c = await countOf(f, where, [f.view === 'mine' ? users[0] : teams[1]]);
      expect(c.plan, c.plan).not.toMatch(/Seq Scan on conversation/);
      expect([c.total, c.capped]).toEqual([Math.min(c.direct, LIST_TOTAL_CAP), c.direct > LIST_TOTAL_CAP]);
    }
  });
});
