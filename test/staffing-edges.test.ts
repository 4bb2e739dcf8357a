/**
 * The staffing endpoints at the edges of their inputs, through the HTTP API: a patience far
 * longer than any customer waits used to make a plan with a thin roster hour walk tens of
 * millions of queue states and fail with a 500 (now a day at most, 400 beyond); an hour with
 * no heads rostered is solved at once whatever the patience; the what-if roster has the saved
 * roster's bounds; a period of centuries is refused instead of walked hour by hour. And the
 * textbook case by hand: 100 contacts an hour, 3 minutes each, 80 % answered within 20 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, markerTriage, mention, startDesk, type TestDesk } from './helpers/parley.js';

const H = 3_600_000;
const DAY = 24 * H;
const MON = Date.UTC(2026, 2, 2); // Monday 2 March 2026, 00:00 in Europe/London (GMT)
const iso = (t: number) => new Date(t).toISOString();

for (const dialect of DIALECTS) {
  describe(`staffing input limits [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    const week = `from=${iso(MON)}&to=${iso(MON + 7 * DAY)}`;
    beforeAll(async () => {
      const clock = new ManualClock(MON + 10 * H);
      desk = await startDesk(dialect, { clock, workers: false, triage: markerTriage });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // 200 customers on Monday 09:00–09:34, 100 on Tuesday 14:00–14:50
      const messages = Array.from({ length: 200 }, (_, i) => mention({ createdAt: MON + 9 * H + i * 10_000 }));
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages });
      expect(r.status).toBe(200);
      const tuesday = Array.from({ length: 100 }, (_, i) => mention({ createdAt: MON + 38 * H + i * 30_000 }));
      clock.set(MON + 39 * H); // they arrive as written (a message dated ahead of its receipt is dated at its receipt)
      expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: tuesday })).status).toBe(200);
      clock.set(MON + 7 * DAY);
    });
    afterAll(async () => desk?.stop());

    it('gives the textbook answer: 100 an hour at 3 min, 80 % in 20 s → 8 agents (hand calculation)', async () => {
      const r = await admin.get(`/api/staffing/plan?${week}&ahtS=180&concurrency=1&shrinkage=0&maxOccupancy=1&serviceLevel=0.8&answerWithinS=20`);
      expect(r.status).toBe(200);
      const hour = r.json.plan[38]; // Tuesday 14:00
      // A = 100 × 180 / 3600 = 5 Erlangs; Erlang B(8, 5) = 0.070048, C = 8B / (8 − 5(1 − B)) = 0.16727,
      // SL = 1 − C·e^(−(8 − 5)·20/180) = 0.88015 (7 agents: 0.740, short of 80 %)
      expect(hour).toMatchObject({ volume: 100, agents: 8, scheduled: 8 });
      expect(hour.serviceLevel).toBeCloseTo(0.88015, 4);
      expect(hour.waitProbability).toBeCloseTo(0.16727, 4);
      expect(hour.occupancy).toBeCloseTo(5 / 8, 10);
      expect(hour.asaS).toBeCloseTo((0.16727 * 180) / 3, 1);
      // an hour with nobody writing needs nobody
      expect(r.json.plan[100]).toMatchObject({ volume: 0, agents: 0, scheduled: 0 });
    });

    it('plans with a patience of a day against a thin roster, and refuses a longer one (was a 500)', async () => {
      expect((await admin.req('PUT', '/api/staffing/roster', { roster: new Array(168).fill(1) })).status).toBe(200);
      const started = Date.now();
      const ok = await admin.get(`/api/staffing/plan?${week}&ahtS=300&concurrency=1&patienceS=86400`);
      expect(ok.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(ok.json.model).toBe('erlang-a');
      const nine = ok.json.gap.hours[9];
      expect(nine).toMatchObject({ volume: 200, rostered: 1, productive: 0, meetsTarget: false });
      expect(ok.json.plan[9].agents).toBeGreaterThan(10);
      const long = await admin.get(`/api/staffing/plan?${week}&ahtS=300&concurrency=1&shrinkage=0&patienceS=1e9`);
      expect(long.status).toBe(400);
      expect(long.json.code).toBe('validation');
      const sim = await admin.post('/api/staffing/simulate', { from: iso(MON), to: iso(MON + 7 * DAY), ahtS: 300, patienceS: 1e9 });
      expect(sim.status).toBe(400);
    });

    it('solves an hour with nobody rostered at once: everyone gives up', async () => {
      expect((await admin.req('PUT', '/api/staffing/roster', { roster: new Array(168).fill(0) })).status).toBe(200);
      const r = await admin.get(`/api/staffing/plan?${week}&ahtS=300&patienceS=86400`);
      expect(r.status).toBe(200);
      expect(r.json.gap.hours[9]).toMatchObject({ productive: 0, serviceLevel: 0, abandonProbability: 1, meetsTarget: false });
    });

    it('takes a what-if roster within the saved roster\'s bounds (10,000 heads)', async () => {
      const body = { from: iso(MON), to: iso(MON + 7 * DAY), ahtS: 300, seed: 1 };
      const big = await admin.post('/api/staffing/simulate', { ...body, roster: new Array(168).fill(10_000) });
      expect(big.status).toBe(200);
      expect(big.json.result).toMatchObject({ offered: 300, answered: 300, serviceLevel: 1 });
      expect((await admin.post('/api/staffing/simulate', { ...body, roster: new Array(168).fill(10_001) })).status).toBe(400);
    });

    it('refuses a staffing period longer than five years', async () => {
      const five = await admin.get(`/api/staffing/plan?from=${iso(MON + 7 * DAY - 5 * 365 * DAY)}&to=${iso(MON + 7 * DAY)}&ahtS=300`);
      expect(five.status).toBe(200);
      const six = await admin.get(`/api/staffing/plan?from=${iso(MON - 6 * 365 * DAY)}&to=${iso(MON + 7 * DAY)}&ahtS=300`);
      expect(six.status).toBe(400);
      const ages = await admin.post('/api/staffing/simulate', { from: '0001-01-01T00:00:00Z', to: '9999-01-01T00:00:00Z', ahtS: 300, roster: new Array(168).fill(1) });
      expect(ages.status).toBe(400);
    });
  });
}
