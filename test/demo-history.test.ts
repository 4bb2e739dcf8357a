/**
 * The demo opens with weeks of history: a desk starting on an empty database seeds the demo
 * brand and stores the bundled excerpt, time-shifted onto the past five weeks up to yesterday,
 * through the pipeline — so the reports have volume by day and hour, measured responses and
 * agents, the last week as full as the ones before it — while the live inbox holds none of it
 * (no history conversation open, assigned or under an SLA clock). Stored once however many desks start; a store that stopped
 * half-way is finished without duplicates; the live replay afterwards still stores its items.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParley, type Parley } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { HISTORY_DAYS, HISTORY_FIRST_DAY_BACK, HISTORY_STALE_MS, HISTORY_SUFFIX, planHistory, storeDemoHistory } from '../src/demo/history.js';
import { DEMO_FILE, DEMO_HISTORY_KEY, DEMO_SLUG, seedDemoIfEmpty } from '../src/demo/seed.js';
import { readTwcs, type TwcsTweet } from '../src/import/twcs.js';
import { peopleReport, responseTimeReport, volumeReport } from '../src/reports/reports.js';
import { openStore, type Store } from '../src/store/db.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './db.js';

const DAY = 86_400_000;
/** One secret for every desk on a database (each would otherwise generate its own). */
const SECRET = 'demo-history-test-secret-0123456789abcdef';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-demo-history-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A desk with the demo on, on `store`; its replay fast, so live items arrive within the test. */
async function desk(store: Store, t: TestDatabase, speed = 1_000_000): Promise<Parley> {
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', demo: true, demoSpeed: speed, secret: SECRET, logLevel: 'warn', dataDir: mkdtempSync(join(dir, 'desk-')), databaseUrl: t.databaseUrl });
  return createParley({ config, store, workers: false });
}

async function openAgain(t: TestDatabase): Promise<Store> {
  return t.databaseUrl ? openStore({ databaseUrl: t.databaseUrl }) : openStore({ sqliteFile: t.sqliteFile! });
}

async function brandId(store: Store): Promise<number> {
  return (await store.db.selectFrom('brand').select('id').where('slug', '=', DEMO_SLUG).executeTakeFirstOrThrow()).id;
}

async function historyCounts(store: Store) {
  const m = await store.db.selectFrom('message').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('author_user_id').as('authored')]).where('network_message_id', 'like', `%${HISTORY_SUFFIX}`).executeTakeFirstOrThrow();
  const f = await store.db.selectFrom('reporting_fact').innerJoin('message', 'message.id', 'reporting_fact.message_id').select((eb) => eb.fn.countAll<number>().as('n')).where('reporting_fact.kind', '=', 'inbound').where('message.network_message_id', 'like', `%${HISTORY_SUFFIX}`).executeTakeFirstOrThrow();
  const rollup = await store.db.selectFrom('fact_rollup').select((eb) => eb.fn.sum<number>('n').as('n')).where('kind', '=', 'first_response').executeTakeFirstOrThrow();
  const facts = await store.db.selectFrom('reporting_fact').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'first_response').executeTakeFirstOrThrow();
  return { messages: Number(m.n), authored: Number(m.authored), inboundFacts: Number(f.n), firstResponseRollup: Number(rollup.n ?? 0), firstResponseFacts: Number(facts.n) };
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the history plan', () => {
  it('puts each conversation on one of the past days up to yesterday, keeps its time of day and its timing, and ends it before today (the live replay\'s day)', async () => {
    const tweets: TwcsTweet[] = [];
    for await (const item of readTwcs(DEMO_FILE)) if (item.kind === 'tweet') tweets.push(item.tweet);
    const now = Date.UTC(2026, 11, 6, 0, 30); // just after midnight: yesterday's late conversations would reach now
    const plan = planHistory(tweets, now);
    expect(plan).toHaveLength(tweets.length);
    expect(plan).toEqual(planHistory(tweets, now)); // deterministic
    const byRoot = new Map<string, typeof plan>();
    for (const h of plan) byRoot.set(h.root, [...(byRoot.get(h.root) ?? []), h]);
    expect(byRoot.size).toBeGreaterThan(400);
    const days = new Set<number>();
    for (const group of byRoot.values()) {
      const shift = group[0]!.at - group[0]!.tweet.createdAt;
      expect(shift % DAY).toBe(0); // whole days: the recorded time of day
      for (const h of group) expect(h.at - h.tweet.createdAt).toBe(shift); // the recorded timing
      for (const h of group) expect(h.at).toBeLessThan(Math.min(now - 3600_000, Math.floor(now / DAY) * DAY)); // never on the live replay's day
      days.add(Math.floor(Math.min(...group.map((h) => h.at)) / DAY));
    }
    expect(days.size).toBeGreaterThanOrEqual(HISTORY_DAYS - 1);
    // the last week is history too: each of the last seven days (yesterday back) has conversations
    const today = Math.floor(now / DAY);
    for (let back = 1; back <= 7; back++) expect(days.has(today - back), `${back} day(s) back`).toBe(true);
    // on their day, or a few days before it when they last long (a handful of the excerpt's threads span weeks or years)
    const oldest = Math.floor(now / DAY) - HISTORY_FIRST_DAY_BACK - HISTORY_DAYS - 3;
    const firsts = [...byRoot.values()].map((g) => Math.floor(Math.min(...g.map((h) => h.at)) / DAY));
    expect(firsts.filter((d) => d >= oldest).length).toBeGreaterThan(byRoot.size * 0.95);
  });
});

for (const dialect of DIALECTS) {
  describe(`a demo desk's first start [${dialect}]`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(() => t.drop());

    it('opens with weeks of history in the reports, none of it in the inbox; a second desk stores it no more; the live replay still stores its items', async () => {
      const first = await desk(t.store, t);
      // PostgreSQL: two desks starting together on an empty database (SQLite: one process, one
      // connection at a time; two stores in one test process would wait on each other's locks)
      const second = dialect === 'postgres' ? await desk(await openAgain(t), t) : null;
      try {
        const started = Date.now();
        // one seeds, the history is stored once
        await Promise.all([first.listen(), second?.listen()]);
        const ms = Date.now() - started;
        expect(ms).toBeLessThan(30_000);
        const store = t.store;
        const id = await brandId(store);
        await waitFor(async () => !(await store.db.selectFrom('kv').select('key').where('key', '=', DEMO_HISTORY_KEY).executeTakeFirst()), 30_000, 'the history stored');
        const now = Date.now();
        const f = { brandId: id, from: now - (HISTORY_DAYS + 2) * DAY, to: now };

        const volume = await volumeReport(store, f);
        expect(volume.total).toBeGreaterThan(500);
        // the last week (yesterday back: before the live replay's today) as full as the week before it
        const today = Math.floor(now / DAY) * DAY;
        const lastWeek = await volumeReport(store, { brandId: id, from: today - 7 * DAY, to: today });
        const weekBefore = await volumeReport(store, { brandId: id, from: today - 14 * DAY, to: today - 7 * DAY });
        expect(lastWeek.by_day.filter((d) => d.inbound > 0).length).toBeGreaterThanOrEqual(5);
        expect(weekBefore.total).toBeGreaterThan(50);
        expect(lastWeek.total).toBeGreaterThanOrEqual(weekBefore.total / 2);
        expect(volume.by_day.filter((d) => d.inbound > 0).length).toBeGreaterThanOrEqual(30);
        const hours = new Set(volume.by_hour_of_week.flatMap((n, h) => (n > 0 ? [h % 24] : [])));
        expect(hours.size).toBeGreaterThanOrEqual(12);

        const first_ = await responseTimeReport(store, f, 'first_response');
        expect(first_.overall.n).toBeGreaterThanOrEqual(100);
        expect(first_.overall.median_min).not.toBeNull();

        // the brand's replies are the demo agents'
        const agents = await peopleReport(store, f, 'agent');
        const names = agents.rows.filter((r) => r.responses > 0).map((r) => r.name).sort();
        expect(names).toEqual(expect.arrayContaining(['Ana Agent', 'Ben Agent', 'Cleo Lead']));
        const teams = await peopleReport(store, f, 'team');
        expect(teams.rows.find((r) => r.name === 'Care')?.responses ?? 0).toBeGreaterThanOrEqual(100);

        // none of it in the live inbox
        const live = await store.db.selectFrom('conversation').innerJoin('message', 'message.conversation_id', 'conversation.id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('message.network_message_id', 'like', `%${HISTORY_SUFFIX}`).where('conversation.status', 'in', ['new', 'open', 'waiting'])
          .executeTakeFirstOrThrow();
        expect(Number(live.n)).toBe(0);
        const assigned = await store.db.selectFrom('conversation').innerJoin('message', 'message.conversation_id', 'conversation.id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('message.network_message_id', 'like', `%${HISTORY_SUFFIX}`).where((eb) => eb.or([eb('conversation.assignee_id', 'is not', null), eb('conversation.team_id', 'is not', null)]))
          .executeTakeFirstOrThrow();
        expect(Number(assigned.n)).toBe(0);
        const clocked = await store.db.selectFrom('conversation').innerJoin('message', 'message.conversation_id', 'conversation.id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('message.network_message_id', 'like', `%${HISTORY_SUFFIX}`).where((eb) => eb.or([eb('conversation.sla', 'is not', null), eb('conversation.sla_due_at', 'is not', null), eb('conversation.queued_at', 'is not', null)]))
          .executeTakeFirstOrThrow();
        expect(Number(clocked.n)).toBe(0);
        const acks = await store.db.selectFrom('message').innerJoin('message as h', 'h.conversation_id', 'message.conversation_id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('h.network_message_id', 'like', `%${HISTORY_SUFFIX}`).where('message.is_auto', '=', 1)
          .executeTakeFirstOrThrow();
        expect(Number(acks.n)).toBe(0);

        // stored once: each history message once, each counted once (facts and rollups agree)
        const once = await historyCounts(store);
        expect(once.messages).toBeGreaterThan(1900);
        expect(once.authored).toBeGreaterThan(500);
        expect(once.inboundFacts).toBeLessThanOrEqual(once.messages);
        expect(once.firstResponseRollup).toBe(once.firstResponseFacts);

        // the live replay stores its own items beside the history, into the inbox
        await waitFor(async () => {
          const r = await store.db.selectFrom('message').select((eb) => eb.fn.countAll<number>().as('n')).where('network_message_id', 'not like', `%${HISTORY_SUFFIX}`).executeTakeFirstOrThrow();
          return Number(r.n) > 1000;
        }, 60_000, 'the live replay');
        const open = await store.db.selectFrom('conversation').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['new', 'open', 'waiting']).executeTakeFirstOrThrow();
        expect(Number(open.n)).toBeGreaterThan(100);
        const after = await historyCounts(store);
        expect(after.messages).toBe(once.messages);
        expect(after.inboundFacts).toBe(once.inboundFacts);
      } finally {
        await first.stop();
        if (second) {
          const other = second.services.store;
          await second.stop();
          await other.close();
        }
      }
      // a restart stores nothing again
      const again = await desk(t.store, t, 1);
      try {
        await again.listen();
        expect(again.demo.seeded).toBeNull();
        expect(await seedDemoIfEmpty(t.store, Date.now())).toBeNull();
        expect((await historyCounts(t.store)).messages).toBeGreaterThan(1900);
      } finally {
        await again.stop();
      }
    }, 180_000);
  });

  describe(`a history stopped half-way [${dialect}]`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(() => t.drop());

    it('is left to its process while it is alive, then finished by another without duplicates', async () => {
      const config = loadConfig({}, { port: 0, host: '127.0.0.1', demo: false, logLevel: 'warn', dataDir: mkdtempSync(join(dir, 'half-')), databaseUrl: t.databaseUrl });
      const p = await createParley({ config, store: t.store, workers: false });
      try {
        const seed = await seedDemoIfEmpty(t.store, Date.now());
        const id = seed!.brandId;
        let clock = Date.now();
        const now = () => clock;
        // the first storer stops after two batches
        let batches = 0;
        const crash = storeDemoHistory({ store: t.store, brandId: id, now, ingest: async (b, items) => {
          if (++batches > 2) throw new Error('stopped');
          return p.services.pipeline.ingest(b, items);
        } });
        await expect(crash).rejects.toThrow('stopped');
        const partial = await historyCounts(t.store);
        expect(partial.messages).toBeGreaterThan(0);
        const ingest = (b: number, items: Parameters<typeof p.services.pipeline.ingest>[1]) => p.services.pipeline.ingest(b, items);
        // its claim is fresh: nobody else takes it yet
        expect(await storeDemoHistory({ store: t.store, brandId: id, now, ingest })).toBeNull();
        // stale: the next one finishes it
        clock += HISTORY_STALE_MS + 1000;
        const done = await storeDemoHistory({ store: t.store, brandId: id, now, ingest });
        expect(done?.duplicates).toBe(partial.messages);
        expect(await storeDemoHistory({ store: t.store, brandId: id, now, ingest })).toBeNull();
        const full = await historyCounts(t.store);
        expect(full.messages).toBe(partial.messages + done!.stored);
        expect(full.messages).toBeGreaterThan(1900);
        expect(full.firstResponseRollup).toBe(full.firstResponseFacts);
        expect((await responseTimeReport(t.store, { brandId: id }, 'first_response')).overall.n).toBe(full.firstResponseFacts);
      } finally {
        await p.stop();
      }
    }, 120_000);
  });
}
