/**
 * Staffing in a brand's time zone across daylight-saving changes: the week with the 25-hour
 * day is one week (not two), its repeated hour is one hour of that day holding the arrivals
 * of both real hours, and the week with the 23-hour day has no skipped hour; the simulator's
 * roster stays on the local wall clock after a change. Europe/Amsterdam and America/New_York,
 * both changes each, on both engines (arrivals stored through the ingest pipeline, filed by
 * the brand's zone).
 */
import { expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { EventBus } from '../src/events/bus.js';
import { ManualClock } from '../src/lib/clock.js';
import { localParts } from '../src/lib/tz.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { saveRoster, staffingPlan, staffingSimulation } from '../src/reports/staffing.js';
import { describeEachStore } from './db.js';
import { mention } from './helpers/parley.js';

const H = 3_600_000;
const SUNDAY = 6 * 24;

/** A week from a local Monday 00:00 to the next (UTC instants), and the local hour the change repeats or skips. */
const ZONES = [
  {
    tz: 'Europe/Amsterdam',
    back: { from: Date.UTC(2026, 9, 18, 22), to: Date.UTC(2026, 9, 25, 23), repeated: [Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 1, 30)], hour: SUNDAY + 2 },
    forward: { from: Date.UTC(2026, 2, 22, 23), to: Date.UTC(2026, 2, 29, 22), skipped: SUNDAY + 2 },
  },
  {
    tz: 'America/New_York',
    back: { from: Date.UTC(2026, 9, 26, 4), to: Date.UTC(2026, 10, 2, 5), repeated: [Date.UTC(2026, 10, 1, 5, 30), Date.UTC(2026, 10, 1, 6, 30)], hour: SUNDAY + 1 },
    forward: { from: Date.UTC(2026, 2, 2, 5), to: Date.UTC(2026, 2, 9, 4), skipped: SUNDAY + 2 },
  },
];

describeEachStore('staffing across daylight-saving changes', (get) => {
  let n = 0;
  async function brandIn(tz: string) {
    const { store } = get();
    const slug = `dst${++n}`;
    const brandId = await createBrand(store.db, { slug, name: slug, timezone: tz }, Date.UTC(2026, 0, 1));
    const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: `${slug}Care`, driver: 'demo' }, Date.UTC(2026, 0, 1));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    // untriaged: every arrival needs handling
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock, triage: (reqs) => reqs.map(() => null) });
    const arrive = async (times: number[]) => {
      for (const t of times) {
        clock.set(t);
        const [o] = await pipeline.ingest(brandId, [{ channelAccountId: accountId, message: mention({ createdAt: t }), source: 'network' }]);
        expect(o?.status).toBe('stored');
      }
    };
    return { store, brandId, arrive };
  }
  const params = (brandId: number, from: number, to: number) => ({ brandId, from, to, ahtS: 300, ahtMode: 'manual' as const, serviceLevel: 0.8, answerWithinS: 60 });

  for (const z of ZONES) {
    it(`the week the clocks go back is one week; its repeated hour holds both real hours' arrivals (${z.tz})`, async () => {
      const { store, brandId, arrive } = await brandIn(z.tz);
      const { from, to, repeated, hour } = z.back;
      // one arrival in each real hour of the repeated local hour, one on Monday 09:30, one on Wednesday 14:15
      await arrive([...repeated, from + 9.5 * H, from + (2 * 24 + 14.25) * H]);
      expect(repeated.map((t) => localParts(z.tz, t).hourOfWeek)).toEqual([hour, hour]);
      const plan = await staffingPlan(store, params(brandId, from, to));
      expect(plan.weeks).toBe(1);
      expect(plan.arrivals_per_hour[hour]).toBe(2);
      expect(plan.arrivals_per_hour[9]).toBe(1);
      expect(plan.totals.volume_per_week).toBe(4);
      // and over four weeks around it: four weeks, each arrival a quarter
      const wide = await staffingPlan(store, params(brandId, from - 14 * 24 * H, to + 14 * 24 * H));
      expect(wide.weeks).toBe(5);
      expect(wide.totals.volume_per_week).toBeCloseTo(4 / 5, 10);
    });

    it(`the week the clocks go forward is one week, without the skipped hour (${z.tz})`, async () => {
      const { store, brandId, arrive } = await brandIn(z.tz);
      const { from, to, skipped } = z.forward;
      // Sunday 01:30 and 03:30 local: either side of the hour that does not exist
      const sunday = from + SUNDAY * H; // Sunday 00:00 local, before the change
      await arrive([sunday + 1.5 * H, sunday + 2.5 * H]);
      expect([sunday + 1.5 * H, sunday + 2.5 * H].map((t) => localParts(z.tz, t).hourOfWeek)).toEqual([SUNDAY + 1, SUNDAY + 3]);
      const plan = await staffingPlan(store, params(brandId, from, to));
      expect(plan.weeks).toBe(1);
      expect(plan.arrivals_per_hour[skipped]).toBe(0);
      expect(plan.arrivals_per_hour[SUNDAY + 1]).toBe(1);
      expect(plan.arrivals_per_hour[SUNDAY + 3]).toBe(1);
      expect(plan.totals.volume_per_week).toBe(2);
    });

    it(`the simulated roster stays on the local wall clock after the clocks go back (${z.tz})`, async () => {
      const { store, brandId, arrive } = await brandIn(z.tz);
      const { from, to } = z.back;
      // staffed only on Monday 09:00–10:00 local; customers write at 09:10 the Monday before and the Monday after the change
      await saveRoster(store, brandId, Array.from({ length: 168 }, (_, h) => (h === 9 ? 2 : 0)));
      const mondayAfter = to + 9 * H + 10 * 60_000;
      expect(localParts(z.tz, mondayAfter).hourOfWeek).toBe(9);
      await arrive([from + 9 * H + 10 * 60_000, mondayAfter]);
      const sim = await staffingSimulation(store, { ...params(brandId, from, to + 7 * 24 * H), seed: 3 });
      expect(sim.arrivals).toBe(2);
      expect(sim.result.answeredWithin).toBe(2);
      expect(sim.result.byInterval[9]!.offered).toBe(2);
    });
  }
});
