/**
 * The demo opens with weeks of history: a desk starting on an empty database seeds the demo
 * brand and stores the bundled excerpt, time-shifted onto the past five weeks up to yesterday,
 * through the pipeline — so the reports have volume by day and hour, each past day of the same
 * shape (yesterday no fuller than the usual day), measured responses and agents, and Staffing a
 * handling time measured from the agents' replies — while the live inbox holds none of it
 * (no history conversation open, assigned or under an SLA clock). Stored once however many desks start; a store that stopped
 * half-way is finished without duplicates; the live replay afterwards still stores its items.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParley, type Parley } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { HISTORY_DAYS, HISTORY_FIRST_DAY_BACK, HISTORY_MAX_GAP_MS, HISTORY_STALE_MS, HISTORY_SUFFIX, HOUR_WEIGHTS, WEEKDAY_WEIGHTS, historyCopies, historyHandlingS, historyTimeOfDay, planHistory, replayMessagesPerDay, scheduleHistoryAgents, storeDemoHistory } from '../src/demo/history.js';
import { DEMO_HISTORY_KEY, DEMO_SLUG, seedDemoIfEmpty } from '../src/demo/seed.js';
import { readTwcs } from '../src/import/twcs.js';
import { sharedDataDir } from '../src/lib/paths.js';
import { peopleReport, responseTimeReport, volumeReport } from '../src/reports/reports.js';
import { staffingAht } from '../src/reports/staffing.js';
import { openStore, type Store } from '../src/store/db.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './db.js';
import { excerpt } from './helpers/twcsExcerpt.js';

const DAY = 86_400_000;
/** One secret for every desk on a database (each would otherwise generate its own). */
const SECRET = 'demo-history-test-secret-0123456789abcdef';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-demo-history-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A desk with the demo on, on `store`; its replay fast, so live items arrive within the test (a
 * pass every ~15 s), yet not so fast that its batches crowd out the history's short ones.
 */
async function desk(store: Store, t: TestDatabase, speed = 2000): Promise<Parley> {
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
  const handling = await store.db.selectFrom('reporting_fact').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('message_id').distinct().as('messages'), eb.fn.count<number>('value_s').as('measured')]).where('kind', '=', 'handling').executeTakeFirstOrThrow();
  const handlingRollup = await store.db.selectFrom('fact_rollup').select((eb) => eb.fn.sum<number>('n').as('n')).where('kind', '=', 'handling').executeTakeFirstOrThrow();
  return {
    messages: Number(m.n), authored: Number(m.authored), inboundFacts: Number(f.n), firstResponseRollup: Number(rollup.n ?? 0), firstResponseFacts: Number(facts.n),
    handlingFacts: Number(handling.n), handlingMessages: Number(handling.messages), handlingMeasured: Number(handling.measured), handlingRollup: Number(handlingRollup.n ?? 0),
  };
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


/**
 * An instant on a zone's wall clock, read with Intl (not the code under test's helpers): its
 * civil day (days since 1970-01-01 there), weekday (0 = Sunday), hour, ms after its midnight,
 * and the zone's offset then.
 */
function wallClock(zone: string) {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });
  return (at: number) => {
    const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
    const wallMs = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) + (((at % 1000) + 1000) % 1000);
    const day = Math.floor(wallMs / DAY);
    return { day, weekday: new Date(day * DAY).getUTCDay(), hour: Number(p.hour), msOfDay: wallMs - day * DAY, offset: wallMs - at };
  };
}

/** Pearson's correlation of two series of the same length. */
function correlation(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0, sxx = 0, syy = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('the history plan', () => {
  it('places every conversation on the past days up to yesterday, keeps its timing (long silences shortened), and ends it before today (the live replay\'s day)', async () => {
    const tweets = await excerpt();
    const now = Date.UTC(2026, 11, 6, 0, 30); // just after midnight: yesterday's late conversations would reach now
    const plan = planHistory(tweets, now);
    expect(plan).toHaveLength(tweets.length);
    expect(new Set(plan.map((h) => h.tweet.id)).size).toBe(tweets.length); // each tweet once: nothing dropped
    expect(plan).toEqual(planHistory(tweets, now)); // deterministic
    const byRoot = new Map<string, typeof plan>();
    for (const h of plan) byRoot.set(h.root, [...(byRoot.get(h.root) ?? []), h]);
    expect(byRoot.size).toBeGreaterThan(400);
    const today = Math.floor(now / DAY) * DAY;
    const oldest = today - (HISTORY_FIRST_DAY_BACK + HISTORY_DAYS - 1) * DAY;
    let shortened = 0;
    for (const group of byRoot.values()) {
      const g = [...group].sort((a, b) => a.tweet.createdAt - b.tweet.createdAt || a.at - b.at);
      for (let i = 1; i < g.length; i++) {
        const recorded = g[i]!.tweet.createdAt - g[i - 1]!.tweet.createdAt;
        const placed = g[i]!.at - g[i - 1]!.at;
        // the recorded timing, a silence longer than the cap shortened to it
        expect(placed).toBe(Math.min(recorded, HISTORY_MAX_GAP_MS));
        if (recorded > HISTORY_MAX_GAP_MS) shortened++;
      }
      // within the history's days, never on the live replay's day nor within the hour before now
      for (const h of group) {
        expect(h.at).toBeGreaterThanOrEqual(oldest);
        expect(h.at).toBeLessThan(Math.min(now - 3600_000, today));
      }
    }
    expect(shortened).toBeGreaterThan(0); // the excerpt has threads picked up again weeks or years later
  });

  it('spreads the threads a one-day history cannot fit on its day over the window, instead of ending them all at its last instant', async () => {
    const tweets = await excerpt();
    const now = Date.UTC(2026, 11, 7, 22, 0);
    const plan = planHistory(tweets, now, 'UTC', { days: 1, copies: 4 });
    expect(plan).toHaveLength(tweets.length * 4);
    const lastOf = new Map<string, number>();
    for (const h of plan) lastOf.set(h.root, Math.max(lastOf.get(h.root) ?? -Infinity, h.at));
    // the most threads ending in one minute (before: the ~1 in 5 that did not fit all ended at the same instant)
    const perMinute = new Map<number, number>();
    for (const at of lastOf.values()) perMinute.set(Math.floor(at / 60_000), (perMinute.get(Math.floor(at / 60_000)) ?? 0) + 1);
    expect(Math.max(...perMinute.values())).toBeLessThan(lastOf.size / 50);
  });

  it('gives each of the past days volume of the same shape: yesterday no fuller than the others, weekdays busier than weekends, days busier than nights', async () => {
    const tweets = await excerpt();
    // a Sunday just after midnight, a Tuesday afternoon, a Saturday evening
    for (const now of [Date.UTC(2026, 11, 6, 0, 30), Date.UTC(2026, 11, 8, 15, 0), Date.UTC(2027, 2, 13, 21, 45)]) {
      const plan = planHistory(tweets, now);
      const today = Math.floor(now / DAY);
      const inbound = new Array<number>(HISTORY_DAYS).fill(0); // index: days back - 1
      const all = new Array<number>(HISTORY_DAYS).fill(0);
      const hours = new Array<number>(24).fill(0);
      for (const h of plan) {
        const back = today - Math.floor(h.at / DAY);
        expect(back).toBeGreaterThanOrEqual(HISTORY_FIRST_DAY_BACK);
        expect(back).toBeLessThan(HISTORY_FIRST_DAY_BACK + HISTORY_DAYS);
        all[back - HISTORY_FIRST_DAY_BACK]!++;
        if (h.tweet.inbound) {
          inbound[back - HISTORY_FIRST_DAY_BACK]!++;
          hours[new Date(h.at).getUTCHours()]!++;
        }
      }
      const at = new Date(now).toISOString();
      for (const counts of [inbound, all]) {
        const m = median(counts);
        // yesterday holds about as much as a usual day, not the long threads' ends
        expect(counts[0]!, `${at}: yesterday against the median day`).toBeLessThanOrEqual(1.5 * m);
        for (const [i, n] of counts.entries()) {
          expect(n, `${at}: ${i + HISTORY_FIRST_DAY_BACK} day(s) back`).toBeGreaterThanOrEqual(0.4 * m);
          expect(n, `${at}: ${i + HISTORY_FIRST_DAY_BACK} day(s) back`).toBeLessThanOrEqual(1.5 * m);
        }
      }
      // each day as its weekday's weight says (the source's Monday lighter than midweek); weekdays are busier than weekends
      const weekdayOf = (i: number) => new Date((today - i - HISTORY_FIRST_DAY_BACK) * DAY).getUTCDay();
      const weekday = inbound.filter((_, i) => ![0, 6].includes(weekdayOf(i)));
      const weekend = inbound.filter((_, i) => [0, 6].includes(weekdayOf(i)));
      expect(Math.min(...weekday), at).toBeGreaterThan(Math.max(...weekend));
      const perWeight = inbound.map((n, i) => n / WEEKDAY_WEIGHTS[weekdayOf(i)]!);
      expect(Math.max(...perWeight), at).toBeLessThanOrEqual(1.25 * Math.min(...perWeight));
      // an hour-of-day curve: the hours' weights (the source's evening peak over its late-morning lull)
      expect(correlation(hours, [...HOUR_WEIGHTS]), at).toBeGreaterThan(0.6);
    }
  });

  it('places the days, weekdays and hours on the brand\'s own wall clock, across summer-time switches: the busy hours are the brand\'s, not UTC\'s', async () => {
    const tweets = await excerpt();
    const cases: [string, number][] = [
      ['Europe/London', Date.UTC(2027, 3, 1, 12)], // back over the switch to BST (28 March 2027)
      ['Europe/London', Date.UTC(2026, 9, 29, 9)], // back over the switch to GMT (25 October 2026)
      ['America/New_York', Date.UTC(2027, 2, 17, 3, 30)], // still 16 March there; back over the switch to EDT (14 March 2027)
      ['America/New_York', Date.UTC(2026, 10, 4, 23)], // back over the switch to EST (1 November 2026)
    ];
    for (const [zone, now] of cases) {
      const at = `${zone} ${new Date(now).toISOString()}`;
      const wall = wallClock(zone);
      const plan = planHistory(tweets, now, zone);
      expect(plan, at).toHaveLength(tweets.length);
      expect(new Set(plan.map((h) => h.tweet.id)).size, at).toBe(tweets.length);
      expect(plan, at).toEqual(planHistory(tweets, now, zone)); // deterministic
      const today = wall(now).day;
      const byRoot = new Map<string, typeof plan>();
      for (const h of plan) byRoot.set(h.root, [...(byRoot.get(h.root) ?? []), h]);

      let utcDiffers = 0;
      let onSwitchDays = 0;
      const starts = new Array<number>(24).fill(0);
      const utcStarts = new Array<number>(24).fill(0);
      for (const [root, group] of byRoot) {
        const g = [...group].sort((a, b) => a.tweet.createdAt - b.tweet.createdAt || a.at - b.at);
        // the demo's invariants hold: recorded timing (silences over 12 h shortened), on the brand's past days, before its today and an hour before now
        for (let i = 1; i < g.length; i++) expect(g[i]!.at - g[i - 1]!.at, at).toBe(Math.min(g[i]!.tweet.createdAt - g[i - 1]!.tweet.createdAt, HISTORY_MAX_GAP_MS));
        for (const h of g) {
          const back = today - wall(h.at).day;
          expect(back, at).toBeGreaterThanOrEqual(HISTORY_FIRST_DAY_BACK);
          expect(back, at).toBeLessThan(HISTORY_FIRST_DAY_BACK + HISTORY_DAYS);
          expect(h.at, at).toBeLessThan(now - 3600_000);
        }
        // it starts at the time of day drawn for it, on the brand's clock
        const start = wall(g[0]!.at);
        const drawn = historyTimeOfDay(root);
        if (start.msOfDay !== drawn) {
          // only a wall time the spring-forward gap skipped, moved forward by the gap (an hour)
          expect(start.msOfDay - drawn, `${at}: ${root}`).toBe(3600_000);
          expect(wall(g[0]!.at - 86_400_000).offset, `${at}: ${root}`).not.toBe(start.offset);
          onSwitchDays++;
        }
        if ((g[0]!.at % 86_400_000) !== drawn) utcDiffers++;
        starts[start.hour]!++;
        utcStarts[new Date(g[0]!.at).getUTCHours()]!++;
      }
      expect(onSwitchDays, at).toBeLessThanOrEqual(3);
      // on UTC's clock it would be another hour: on every summer day in London (about half of
      // this week), on every day in New York
      expect(utcDiffers, at).toBeGreaterThan(byRoot.size * (zone === 'Europe/London' ? 0.25 : 0.95));

      // the local hours have the curve's shape (the hours' weights), on the brand's clock
      const local = correlation(starts, [...HOUR_WEIGHTS]);
      expect(local, at).toBeGreaterThan(0.6);
      if (zone === 'America/New_York') {
        // UTC's clock puts the curve four or five hours later: it no longer has the weights' shape
        expect(correlation(utcStarts, [...HOUR_WEIGHTS]), at).toBeLessThan(local - 0.4);
      }

      // each of the brand's days of the same shape: weekdays (its weekdays) busier than weekends, no day far off the usual
      const inbound = new Array<number>(HISTORY_DAYS).fill(0);
      const weekdays = new Array<number>(HISTORY_DAYS).fill(-1);
      for (const h of plan) {
        const w = wall(h.at);
        weekdays[today - w.day - HISTORY_FIRST_DAY_BACK] = w.weekday;
        if (h.tweet.inbound) inbound[today - w.day - HISTORY_FIRST_DAY_BACK]!++;
      }
      const m = median(inbound);
      for (const [i, n] of inbound.entries()) {
        expect(n, `${at}: ${i + HISTORY_FIRST_DAY_BACK} day(s) back`).toBeGreaterThanOrEqual(0.4 * m);
        expect(n, `${at}: ${i + HISTORY_FIRST_DAY_BACK} day(s) back`).toBeLessThanOrEqual(1.5 * m);
      }
      const weekend = inbound.filter((_, i) => weekdays[i] === 0 || weekdays[i] === 6);
      const weekday = inbound.filter((_, i) => weekdays[i]! > 0 && weekdays[i]! < 6);
      expect(weekend.length + weekday.length, at).toBe(HISTORY_DAYS);
      expect(Math.min(...weekday), at).toBeGreaterThan(Math.max(...weekend));
    }
  });

  it('refuses a zone that is not one, saying so', async () => {
    const tweets = (await excerpt()).slice(0, 50);
    expect(() => planHistory(tweets, Date.UTC(2027, 3, 10, 12), 'Mars/Olympus_Mons')).toThrow(/time zone/i);
  });

  it('gives the history replies a skewed handling time of a few minutes', () => {
    const s = Array.from({ length: 2000 }, (_, i) => historyHandlingS(`${i}${HISTORY_SUFFIX}`));
    expect(s).toEqual(Array.from({ length: 2000 }, (_, i) => historyHandlingS(`${i}${HISTORY_SUFFIX}`))); // deterministic
    expect(Math.min(...s)).toBeGreaterThanOrEqual(60);
    expect(Math.max(...s)).toBeLessThanOrEqual(900);
    const m = median(s);
    expect(m).toBeGreaterThan(150);
    expect(m).toBeLessThan(270);
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    expect(mean).toBeGreaterThan(m); // skewed: a tail of longer replies
    expect(s.filter((x) => x >= 120 && x <= 480).length).toBeGreaterThan(s.length * 0.8);
  });
});

/**
 * The desk tests' history: a week, at a small rate (2 copies of the excerpt: ~570 messages a
 * day) so a test stores it in seconds; the full rate is the plan's test above.
 */
const SMALL = { days: HISTORY_DAYS, messagesPerDay: 600 };

/** The TWCS sample with a daily shape (customers' tweets over 103 days), when the evaluation data is here. */
const SOURCE = join(sharedDataDir() ?? '/nonexistent', 'twcs', 'spotifycares_inbound.csv');

describe('the history at the live replay\'s scale', () => {
  it('has the replay\'s messages a day on every one of its days (the last 7 days full), and the hour-of-day shape of the TWCS source', async () => {
    const tweets = await excerpt();
    // the replay's rate, measured here: the excerpt's tweets over its replayed timeline (silences capped at 30 s) at the default speed
    const ordered = [...tweets].sort((a, b) => a.createdAt - b.createdAt);
    let recorded = 0;
    for (let i = 1; i < ordered.length; i++) recorded += Math.min(30_000, ordered[i]!.createdAt - ordered[i - 1]!.createdAt);
    const speed = loadConfig({}, {}).demoSpeed;
    const replayPerDay = (ordered.length / (recorded / speed)) * DAY;
    expect(replayMessagesPerDay(tweets, speed)).toBeCloseTo(replayPerDay, 0);
    expect(replayPerDay).toBeGreaterThan(10_000); // a big brand's pace, not the old history's 57 a day

    const now = Date.UTC(2026, 11, 8, 15, 0);
    const plan = planHistory(tweets, now, 'UTC', { days: HISTORY_DAYS, copies: historyCopies(tweets.length, HISTORY_DAYS, replayMessagesPerDay(tweets)) });
    const today = Math.floor(now / DAY);
    const perDay = new Array<number>(HISTORY_DAYS).fill(0);
    const hours = new Array<number>(24).fill(0);
    for (const h of plan) {
      perDay[today - Math.floor(h.at / DAY) - HISTORY_FIRST_DAY_BACK]!++;
      if (h.tweet.inbound) hours[new Date(h.at).getUTCHours()]!++;
    }
    expect(new Set(plan.map((h) => h.tweet.id + h.suffix)).size).toBe(plan.length); // each copy its own network ids
    const mean = perDay.reduce((a, b) => a + b, 0) / HISTORY_DAYS;
    expect(mean).toBeGreaterThan(0.7 * replayPerDay);
    expect(mean).toBeLessThan(1.3 * replayPerDay);
    // the reports' "last 7 days" are full: every day at the desk's scale (a weekend day lighter, never thin)
    expect(HISTORY_DAYS).toBeGreaterThanOrEqual(7);
    for (const n of perDay) expect(n).toBeGreaterThan(0.5 * replayPerDay);
    if (existsSync(SOURCE)) {
      // the source's customers' tweets by hour of day, read here
      const source = new Array<number>(24).fill(0);
      for await (const item of readTwcs(SOURCE)) if (item.kind === 'tweet') source[new Date(item.tweet.createdAt).getUTCHours()]!++;
      expect(correlation(hours, source)).toBeGreaterThan(0.9);
    }
  }, 60_000);

  it('staffs it as a desk could: one reply at a time per agent, at most their capacity held, more agents when the volume needs them', () => {
    // 400 conversations an hour, each two replies ten minutes apart, each reply's visit 4 minutes
    const conversations = Array.from({ length: 400 }, (_, i) => {
      const start = i * 9_000;
      return { root: `c${i}`, visits: [{ start, end: start + 240_000 }, { start: start + 600_000, end: start + 840_000 }] };
    });
    const agents = scheduleHistoryAgents(conversations, 3, 8);
    expect(agents).toEqual(scheduleHistoryAgents(conversations, 3, 8)); // deterministic
    const count = Math.max(...agents) + 1;
    expect(count).toBeGreaterThan(3);
    for (let a = 0; a < count; a++) {
      const mine = conversations.filter((_, i) => agents[i] === a);
      const visits = mine.flatMap((c) => c.visits.map((v) => ({ ...v, root: c.root }))).sort((x, y) => x.start - y.start);
      for (let i = 1; i < visits.length; i++) if (visits[i]!.root !== visits[i - 1]!.root) expect(visits[i]!.start).toBeGreaterThanOrEqual(visits[i - 1]!.end);
      // held (first visit to last reply) at once: never more than the capacity
      for (const c of mine) {
        const at = c.visits[0]!.start;
        expect(mine.filter((o) => o.visits[0]!.start <= at && o.visits.at(-1)!.end > at).length).toBeLessThanOrEqual(8);
      }
    }
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
      // the seed as the desk's own, at the tests' scale (the desks find it seeded and store its history)
      await seedDemoIfEmpty(t.store, Date.now(), { history: SMALL });
      const first = await desk(t.store, t);
      let stored = 0;
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
        await waitFor(async () => !(await store.db.selectFrom('kv').select('key').where('key', '=', DEMO_HISTORY_KEY).executeTakeFirst()), 90_000, 'the history stored');
        const now = Date.now();
        const f = { brandId: id, from: now - (HISTORY_DAYS + 2) * DAY, to: now };

        const volume = await volumeReport(store, f);
        expect(volume.total).toBeGreaterThan(500);
        // the last week (yesterday back: before the live replay's today) as full as the week before it
        const today = Math.floor(now / DAY) * DAY;
        const lastWeek = await volumeReport(store, { brandId: id, from: today - 7 * DAY, to: today });
        // the last 7 days full: each of them at the seed's rate (±30 % on the week, a weekend day lighter)
        expect(lastWeek.by_day.filter((d) => d.inbound > 0).length).toBe(7);
        const placed = await store.db.selectFrom('message').select('created_at').where('network_message_id', 'like', `%${HISTORY_SUFFIX}`).execute();
        const perDay = new Array<number>(7).fill(0);
        for (const m of placed) {
          const back = Math.floor((today - Number(m.created_at)) / DAY);
          if (back >= 0 && back < 7) perDay[back]!++;
        }
        const mean = perDay.reduce((a, b) => a + b, 0) / 7;
        expect(mean).toBeGreaterThan(0.7 * SMALL.messagesPerDay);
        expect(mean).toBeLessThan(1.3 * SMALL.messagesPerDay);
        for (const n of perDay) expect(n).toBeGreaterThan(0.5 * SMALL.messagesPerDay);
        expect(volume.by_day.filter((d) => d.inbound > 0).length).toBeGreaterThanOrEqual(HISTORY_DAYS);
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

        // each past day about as full as the usual day: yesterday holds no pile of long threads' ends
        const past = volume.by_day.filter((d) => d.day < new Date(today).toISOString().slice(0, 10));
        expect(past.length).toBeGreaterThanOrEqual(HISTORY_DAYS - 1);
        const usual = median(past.map((d) => d.inbound));
        expect(past.at(-1)!.day).toBe(new Date(today - DAY).toISOString().slice(0, 10));
        expect(past.at(-1)!.inbound).toBeLessThanOrEqual(1.5 * usual);
        expect(Math.max(...past.map((d) => d.inbound))).toBeLessThanOrEqual(1.5 * usual);

        // staffing plans with the handling time measured from the agents' history replies (their visits before replying), not the hand-set 5 minutes
        const aht = await staffingAht(store, { brandId: id, from: now - 28 * DAY, to: now, ahtS: 300, serviceLevel: 0.8, answerWithinS: 3600 });
        expect(aht.reason).toBe('measured');
        expect(aht.source).toBe('measured');
        expect(aht.measured.n).toBeGreaterThanOrEqual(30);
        expect(aht.aht_s).toBeGreaterThan(60);
        expect(aht.aht_s).toBeLessThan(480);
        expect(aht.summary).toMatch(/^AHT \d+(\.\d)? min, measured from \d{1,3}(,\d{3})* replies/);
        const visits = await store.db.selectFrom('viewing_span').innerJoin('app_user', 'app_user.id', 'viewing_span.user_id')
          .select((eb) => eb.fn.countAll<number>().as('n')).where('app_user.brand_id', '=', id)
          .executeTakeFirstOrThrow();
        expect(Number(visits.n)).toBeGreaterThanOrEqual(aht.measured.n);
        // staffed as a desk could be: an agent's visits before replying never overlap another conversation's, and they hold at most their capacity
        const spans = await store.db.selectFrom('viewing_span').innerJoin('app_user', 'app_user.id', 'viewing_span.user_id')
          .select(['viewing_span.user_id', 'viewing_span.conversation_id', 'viewing_span.started_at', 'viewing_span.last_seen_at', 'app_user.capacity'])
          .where('app_user.brand_id', '=', id).orderBy('viewing_span.user_id').orderBy('viewing_span.started_at').execute();
        const held = new Map<number, Map<number, [number, number]>>();
        const end = new Map<number, { conversation: number; until: number }>();
        for (const v of spans) {
          const last = end.get(v.user_id);
          if (last && last.conversation !== v.conversation_id) expect(Number(v.started_at)).toBeGreaterThanOrEqual(last.until);
          if (!last || last.conversation !== v.conversation_id || Number(v.last_seen_at) > last.until) end.set(v.user_id, { conversation: v.conversation_id, until: Math.max(Number(v.last_seen_at), last?.conversation === v.conversation_id ? last.until : 0) });
          const mine = held.get(v.user_id) ?? new Map<number, [number, number]>();
          const h = mine.get(v.conversation_id);
          mine.set(v.conversation_id, [Math.min(h?.[0] ?? Infinity, Number(v.started_at)), Math.max(h?.[1] ?? 0, Number(v.last_seen_at))]);
          held.set(v.user_id, mine);
        }
        const capacity = new Map(spans.map((v) => [v.user_id, Number(v.capacity)]));
        for (const [user, convs] of held) {
          const intervals = [...convs.values()];
          for (const [at] of intervals) expect(intervals.filter(([s, e]) => s <= at && e >= at).length).toBeLessThanOrEqual(capacity.get(user)!);
        }
        expect(held.size).toBeGreaterThanOrEqual(3);

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
        stored = once.messages;
        expect(once.messages).toBeGreaterThan(3800);
        expect(once.authored).toBeGreaterThan(500);
        expect(once.inboundFacts).toBeLessThanOrEqual(once.messages);
        expect(once.firstResponseRollup).toBe(once.firstResponseFacts);
        // one handling fact for each of the agents' history replies, nearly all measured
        expect(once.handlingFacts).toBe(once.authored);
        expect(once.handlingMessages).toBe(once.authored);
        expect(once.handlingMeasured).toBeGreaterThan(once.authored * 0.9);
        expect(once.handlingRollup).toBe(once.handlingFacts);

        // the live replay stores its own items beside the history, into the inbox
        await waitFor(async () => {
          const r = await store.db.selectFrom('message').select((eb) => eb.fn.countAll<number>().as('n')).where('network_message_id', 'not like', `%${HISTORY_SUFFIX}`).executeTakeFirstOrThrow();
          return Number(r.n) > 1000;
        }, 60_000, 'the live replay');
        // into conversations of their own: how many of them are still open at this moment depends on
        // where the replay's wrap-ups are (14–231 measured over passes), so the open ones are only
        // required to exist and to be the replay's, never the history's
        const replayed = await store.db.selectFrom('message').select((eb) => eb.fn.count<number>('conversation_id').distinct().as('n')).where('network_message_id', 'not like', `%${HISTORY_SUFFIX}`).executeTakeFirstOrThrow();
        expect(Number(replayed.n)).toBeGreaterThan(100);
        const open = await store.db.selectFrom('conversation').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['new', 'open', 'waiting']).executeTakeFirstOrThrow();
        expect(Number(open.n)).toBeGreaterThan(0);
        const openHistory = await store.db.selectFrom('conversation').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['new', 'open', 'waiting'])
          .where((eb) => eb.exists(eb.selectFrom('message').select('message.id').whereRef('message.conversation_id', '=', 'conversation.id').where('message.network_message_id', 'like', `%${HISTORY_SUFFIX}`)))
          .executeTakeFirstOrThrow();
        expect(Number(openHistory.n)).toBe(0);
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
        expect((await historyCounts(t.store)).messages).toBe(stored);
        // and storing again writes nothing: nothing is due (an ingest that fails the test were it called)
        expect(await storeDemoHistory({ store: t.store, brandId: await brandId(t.store), now: Date.now, ingest: async () => { throw new Error('stored again'); } })).toBeNull();
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
        const seed = await seedDemoIfEmpty(t.store, Date.now(), { history: SMALL });
        const id = seed!.brandId;
        let clock = Date.now();
        const now = () => clock;
        // the first storer stops after one batch
        let batches = 0;
        const crash = storeDemoHistory({ store: t.store, brandId: id, now, ingest: async (b, items) => {
          if (++batches > 1) throw new Error('stopped');
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
        expect(full.messages).toBeGreaterThan(3800);
        expect(full.firstResponseRollup).toBe(full.firstResponseFacts);
        // each reply measured once, though the first storer stopped half-way
        expect(full.handlingFacts).toBe(full.authored);
        expect(full.handlingMessages).toBe(full.authored);
        expect(full.handlingRollup).toBe(full.handlingFacts);
        expect((await responseTimeReport(t.store, { brandId: id }, 'first_response')).overall.n).toBe(full.firstResponseFacts);
      } finally {
        await p.stop();
      }
    }, 120_000);
  });

  describe(`a demo brand in another zone [${dialect}]`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(() => t.drop());

    it('has its history\'s busy hours on its own clock in the reports (New York\'s evening, not UTC\'s)', async () => {
      const config = loadConfig({}, { port: 0, host: '127.0.0.1', demo: false, logLevel: 'warn', dataDir: mkdtempSync(join(dir, 'zone-')), databaseUrl: t.databaseUrl });
      const p = await createParley({ config, store: t.store, workers: false });
      try {
        const id = (await seedDemoIfEmpty(t.store, Date.now(), { history: SMALL }))!.brandId;
        await t.store.db.updateTable('brand').set({ timezone: 'America/New_York' }).where('id', '=', id).execute();
        const now = Date.now();
        const done = await storeDemoHistory({ store: t.store, brandId: id, now: () => now, ingest: (b, items) => p.services.pipeline.ingest(b, items) });
        expect(done?.stored).toBeGreaterThan(3800);
        // the report buckets by the brand's hours (New York's): the curve shows there
        const volume = await volumeReport(t.store, { brandId: id, from: now - (HISTORY_DAYS + 2) * DAY, to: now });
        const hours = new Array<number>(24).fill(0);
        volume.by_hour_of_week.forEach((n, h) => (hours[h % 24]! += n));
        // the hours' weights on New York's clock; placed on UTC's clock they would show four or five hours earlier there
        // (customers' tweets, not conversation starts: a conversation's later tweets come hours after its start)
        const local = correlation(hours, [...HOUR_WEIGHTS]);
        const onUtc = correlation(hours, HOUR_WEIGHTS.map((_, h) => HOUR_WEIGHTS[(h + 5) % 24]!));
        expect(local).toBeGreaterThan(0.5);
        expect(local).toBeGreaterThan(onUtc + 0.3);
      } finally {
        await p.stop();
      }
    }, 120_000);
  });
}
