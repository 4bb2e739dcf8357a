/**
 * Measured handling time end to end, on SQLite and PostgreSQL: agents open
 * conversations (presence heartbeats, as the web UI sends them), reply through the
 * API, and the handling-time report and the staffing plan see exactly the time
 * each reply was worked on; the plan falls back to the hand-set value while too few
 * replies are measured, and an admin can override the measurement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlingStats } from '../src/core/staffing/handlingTime.js';
import { staffErlangC } from '../src/core/staffing/erlang.js';
import { ManualClock } from '../src/lib/clock.js';
import { pruneViewingSpans, VIEWING_RETENTION_MS } from '../src/store/viewing.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const S = 1000;
const MIN = 60_000;
const TUESDAY_9AM = Date.UTC(2026, 10, 17, 9, 0);

for (const dialect of DIALECTS) {
  describe(`measured handling time [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let conversations: number[] = [];
    const from = new Date(TUESDAY_9AM - 24 * 3600_000).toISOString();
    const to = new Date(TUESDAY_9AM + 24 * 3600_000).toISOString();
    const period = `from=${from}&to=${to}`;

    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_9AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      ben = await Client.signIn(desk.url, 'ben@acme.test');
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: Array.from({ length: 34 }, () => mention({ createdAt: clock.now() })) });
      expect(r.status).toBe(200);
      conversations = r.json.outcomes.map((o: { conversationId: number }) => o.conversationId);
      expect(new Set(conversations).size).toBe(34);
      clock.advance(MIN);
    });
    afterAll(async () => desk?.stop());

    const presence = async (c: Client, id: number, state: 'viewing' | 'typing' | 'left') => expect((await c.post(`/api/conversations/${id}/presence`, { state })).status).toBe(204);
    const reply = async (c: Client, id: number, headers: Record<string, string> = {}) => {
      const r = await c.req('POST', `/api/conversations/${id}/replies`, { text: 'Sorry about that! Your order is on its way and arrives tomorrow.', visibility: 'public' }, headers);
      expect(r.status).toBe(202);
    };
    /** Open the conversation, heartbeat every 10 s (typing part of the time) for `seconds`, reply, close it. */
    const work = async (c: Client, id: number, seconds: number) => {
      await presence(c, id, 'viewing');
      for (let t = 10; t <= seconds; t += 10) {
        clock.advance(10 * S);
        await presence(c, id, t > seconds / 2 ? 'typing' : 'viewing');
      }
      clock.advance((seconds % 10) * S);
      await reply(c, id);
      await presence(c, id, 'left');
      clock.advance(5 * S);
    };
    const plan = async (q = '') => {
      const r = await admin.get(`/api/staffing/plan?${period}&serviceLevel=0.8&answerWithinS=1800&shrinkage=0.3&maxOccupancy=0.85&concurrency=3${q}`);
      expect(r.status).toBe(200);
      return r.json;
    };

    // Ana works 29 conversations for 40, 50, … 320 s each.
    const anaTimes = Array.from({ length: 30 }, (_, i) => 40 + 10 * i);

    it('falls back to the hand-set handling time while fewer than 30 replies are measured', async () => {
      for (let i = 0; i < 29; i++) await work(ana, conversations[i]!, anaTimes[i]!);
      const p = await plan();
      expect(p.aht).toMatchObject({ aht_s: 300, source: 'set_by_hand', reason: 'too_few_samples', concurrency: 3, min_samples: 30, summary: 'AHT 5 min, set by hand: only 29 replies measured (30 needed)' });
      expect(p.aht.measured.n).toBe(29);
      // the hand-set value is the one planned with
      const busiest = p.plan.reduce((a: any, b: any) => (b.volume > a.volume ? b : a));
      expect(busiest.agents).toBe(staffErlangC({ volume: busiest.volume, intervalS: 3600, ahtS: 300 }, { serviceLevel: 0.8, answerWithinS: 1800, shrinkage: 0.3, maxOccupancy: 0.85, concurrency: 3 }).agents);
    });

    it('measures each reply as the time its author had the conversation open', async () => {
      await work(ana, conversations[29]!, anaTimes[29]!);
      // Ben: 60 s, away for 5 minutes (the conversation closed), then 30 s more: 90 s
      const id = conversations[30]!;
      await presence(ben, id, 'viewing');
      for (let t = 0; t < 6; t++) (clock.advance(10 * S), await presence(ben, id, 'viewing'));
      await presence(ben, id, 'left');
      clock.advance(5 * MIN);
      await presence(ben, id, 'viewing');
      for (let t = 0; t < 3; t++) (clock.advance(10 * S), await presence(ben, id, 'viewing'));
      await reply(ben, id);
      // a reply without ever opening the conversation (nothing to measure: not zero)
      clock.advance(MIN);
      await reply(ana, conversations[31]!);
      // an integration's reply through an API token, even with presence, is not desk work
      const token = (await admin.post('/api/tokens', { name: 'bot' })).json.token as string;
      const bearer = { authorization: `Bearer ${token}`, cookie: '', 'x-csrf-token': '' };
      expect((await admin.req('POST', `/api/conversations/${conversations[32]}/presence`, { state: 'viewing' }, bearer)).status).toBe(204);
      clock.advance(2 * MIN);
      await reply(admin, conversations[32]!, bearer);

      // one row per visit, whatever the number of heartbeats: Ana's 30, Ben's 2, the token's 1
      const spans = await desk.db.store.db.selectFrom('viewing_span').select(['user_id', 'started_at', 'last_seen_at']).orderBy('id').execute();
      expect(spans).toHaveLength(33);
      expect(spans.filter((x) => Number(x.user_id) === desk.users.ben).map((x) => (Number(x.last_seen_at) - Number(x.started_at)) / S)).toEqual([60, 30]);

      const all = [...anaTimes, 90];
      const expected = handlingStats(all);
      const r = await admin.get(`/api/reports/handling-time?${period}`);
      expect(r.status).toBe(200);
      expect(r.json.replies).toBe(33);
      expect(r.json.overall.n).toBe(31);
      expect(r.json.overall.median_min).toBe(180 / 60); // 31 values: the 16th smallest, 180 s
      expect(r.json.overall.mean_min).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length / 60, 9);
      expect(r.json.overall.p90_min).toBeCloseTo(expected.p90S! / 60, 9);
      expect(r.json.overall.trimmed_mean_min).toBeCloseTo(expected.trimmedMeanS! / 60, 9);
      expect(r.json.unmeasured).toEqual({ total: 2, by_reason: { not_viewed: 1, integration: 1 } });
      expect(r.json.by_network).toEqual([expect.objectContaining({ network: 'x', n: 31 })]);
      // the same filters as every report: Ben's one reply
      const mine = (await admin.get(`/api/reports/handling-time?${period}&agent=${desk.users.ben}`)).json;
      expect(mine.overall).toMatchObject({ n: 1, median_min: 1.5, mean_min: 1.5 });
      const csv = await admin.get(`/api/reports/handling-time?${period}&format=csv`);
      expect(String(csv.json).split('\r\n')[0]).toBe('group,n,mean_min,median_min,trimmed_mean_min,p90_min,capped');
    });

    it('plans with the measured handling time once 30 replies are measured, at concurrency 1', async () => {
      const all = [...anaTimes, 90];
      const mean = all.reduce((a, b) => a + b, 0) / all.length;
      const p = await plan();
      expect(p.aht).toMatchObject({ source: 'measured', reason: 'measured', concurrency: 1, summary: `AHT ${Math.round((mean / 60) * 10) / 10} min, measured from 31 replies` });
      expect(p.aht.aht_s).toBeCloseTo(mean, 9);
      expect(p.aht.measured).toMatchObject({ n: 31, replies: 33, unmeasured: 2, median_s: 180 });
      const busiest = p.plan.reduce((a: any, b: any) => (b.volume > a.volume ? b : a));
      const direct = staffErlangC({ volume: busiest.volume, intervalS: 3600, ahtS: mean }, { serviceLevel: 0.8, answerWithinS: 1800, shrinkage: 0.3, maxOccupancy: 0.85, concurrency: 1 });
      expect(busiest.agents).toBe(direct.agents);
      expect(busiest.occupancy).toBeCloseTo(direct.occupancy, 9);
      // the simulator uses the same handling time
      await admin.req('PUT', '/api/staffing/roster', { roster: new Array(168).fill(2) });
      const sim = await admin.post('/api/staffing/simulate', { from, to, seed: 3 });
      expect(sim.status).toBe(200);
      expect(sim.json.aht).toMatchObject({ source: 'measured', concurrency: 1 });
      expect(sim.json.aht.aht_s).toBeCloseTo(mean, 9);
    });

    it('plans each hour of the week with its own measured handling time when it has enough replies', async () => {
      // the replies of this test fall in two or three local hours: with 10 needed, some hours have their own figure
      const rows = await desk.db.store.db.selectFrom('reporting_fact').select(['hour_of_week', 'value_s']).where('kind', '=', 'handling').where('value_s', 'is not', null).execute();
      const byHour = new Map<number, number[]>();
      for (const r of rows) byHour.set(Number(r.hour_of_week), [...(byHour.get(Number(r.hour_of_week)) ?? []), Number(r.value_s)]);
      const own = [...byHour].filter(([, v]) => v.length >= 10);
      expect(own.length).toBeGreaterThan(0);
      const p = await plan('&ahtMinSamples=10');
      expect(p.aht.source).toBe('measured');
      expect(p.aht.per_hour).toHaveLength(168);
      expect(p.aht.per_hour_sources.hour_of_week).toBe(own.length);
      expect(p.aht.summary).toMatch(/; by hour of week [\d.]+–[\d.]+ min \(\d+ hours? from their own replies, \d+ from the same hour on other days, \d+ from all\)$/);
      for (const [h, v] of own) {
        expect(p.aht.per_hour[h]).toBeCloseTo(handlingStats(v).meanS!, 9);
        const direct = staffErlangC({ volume: p.plan[h].volume, intervalS: 3600, ahtS: p.aht.per_hour[h] }, { serviceLevel: 0.8, answerWithinS: 1800, shrinkage: 0.3, maxOccupancy: 0.85, concurrency: 1 });
        expect(p.plan[h].agents).toBe(direct.agents);
      }
      // an hour with no replies of its own, nor at that time of day, plans with the overall figure
      const quiet = p.aht.per_hour.findIndex((_: number, h: number) => ![...byHour.keys()].some((k) => k % 24 === h % 24));
      expect(p.aht.per_hour[quiet]).toBeCloseTo(p.aht.aht_s, 9);
      // with 30 needed no hour has enough: one figure, as before
      expect((await plan()).aht).toMatchObject({ per_hour: null, per_hour_sources: null });
    });

    it('lets an admin override the measurement, or ask for more replies before using it', async () => {
      const override = await plan('&ahtS=420');
      expect(override.aht).toMatchObject({ aht_s: 420, source: 'set_by_hand', reason: 'override', concurrency: 3 });
      expect(override.aht.summary).toMatch(/^AHT 7 min, set by hand \(measured: [\d.]+ min from 31 replies\)$/);
      const stricter = await plan('&ahtMinSamples=100');
      expect(stricter.aht).toMatchObject({ aht_s: 300, reason: 'too_few_samples', summary: 'AHT 5 min, set by hand: only 31 replies measured (100 needed)' });
      const fallback = await plan('&ahtSource=auto&ahtS=600&ahtMinSamples=100');
      expect(fallback.aht).toMatchObject({ aht_s: 600, reason: 'too_few_samples' });
      const auto = await plan('&ahtSource=auto&ahtS=600');
      expect(auto.aht).toMatchObject({ source: 'measured' });
      // a channel with no replies has nothing measured
      const other = await plan(`&channel=${desk.accountId + 1000}`);
      expect(other.aht).toMatchObject({ reason: 'too_few_samples', measured: { n: 0, replies: 0 } });
    });

    it('keeps recorded visits a week, then deletes them; the handling facts stay', async () => {
      const db = desk.db.store.db;
      const count = async (t: 'viewing_span' | 'reporting_fact') => Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).$if(t === 'reporting_fact', (q) => q.where('kind' as never, '=', 'handling' as never)).executeTakeFirstOrThrow()).n);
      const spans = await count('viewing_span');
      const facts = await count('reporting_fact');
      expect(spans).toBeGreaterThan(30);
      const ends = await db.selectFrom('viewing_span').select((eb) => [eb.fn.min('last_seen_at').as('first'), eb.fn.max('last_seen_at').as('last')]).executeTakeFirstOrThrow();
      expect(await pruneViewingSpans(desk.db.store, Number(ends.first) + VIEWING_RETENTION_MS)).toBe(0); // the oldest ended exactly a week ago: kept
      expect(await pruneViewingSpans(desk.db.store, Number(ends.first) + VIEWING_RETENTION_MS + 1)).toBeGreaterThan(0);
      expect(await count('viewing_span')).toBeGreaterThan(0);
      expect(await pruneViewingSpans(desk.db.store, Number(ends.last) + VIEWING_RETENTION_MS + 1)).toBeGreaterThan(0);
      expect(await count('viewing_span')).toBe(0);
      expect(await count('reporting_fact')).toBe(facts);
    });
  });
}
