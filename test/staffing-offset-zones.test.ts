/**
 * Staffing for a brand in a zone whose offset is not a whole number of hours (Asia/Kathmandu,
 * UTC+5:45; Asia/Kolkata, UTC+5:30; America/St_Johns, UTC−3:30 with daylight saving). Each
 * local hour of the period counts once: a week from local Monday 00:00 is one week, its last
 * hour (Sunday 23:00) is not counted twice because the whole UTC hour before the period falls
 * in it; and the simulator's weekly roster starts at local Monday 00:00, not at the first whole
 * UTC hour inside it (which ran every rostered hour 30 or 45 minutes late). Both engines.
 */
import { expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { hourOfWeekOccurrences } from '../src/core/staffing/plan.js';
import { EventBus } from '../src/events/bus.js';
import { ManualClock } from '../src/lib/clock.js';
import { localParts } from '../src/lib/tz.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { saveRoster, staffingPlan, staffingSimulation } from '../src/reports/staffing.js';
import { describeEachStore } from './db.js';
import { mention } from './helpers/parley.js';

const H = 3_600_000;
const MIN = 60_000;
const SUNDAY_23 = 6 * 24 + 23;

/** Monday 00:00 local, as a UTC instant. */
const ZONES = [
  { tz: 'Asia/Kathmandu', monday: Date.UTC(2026, 2, 1, 18, 15) }, // Mon 2 Mar 2026 00:00 +05:45
  { tz: 'Asia/Kolkata', monday: Date.UTC(2026, 2, 1, 18, 30) }, // Mon 2 Mar 2026 00:00 +05:30
  { tz: 'America/St_Johns', monday: Date.UTC(2026, 0, 12, 3, 30) }, // Mon 12 Jan 2026 00:00 −03:30 (no change for four weeks)
];

it('counts each local hour of a week once at a 30- or 45-minute offset (pure)', () => {
  for (const z of ZONES) {
    expect(localParts(z.tz, z.monday).hourOfWeek).toBe(0);
    const occ = hourOfWeekOccurrences(z.monday, z.monday + 168 * H, (t) => localParts(z.tz, t));
    expect(occ, z.tz).toEqual(new Array(168).fill(1));
    // four weeks: four of each
    expect(hourOfWeekOccurrences(z.monday, z.monday + 4 * 168 * H, (t) => localParts(z.tz, t)), z.tz).toEqual(new Array(168).fill(4));
    // a period ending 20 minutes into a local hour touches that hour
    const occ2 = hourOfWeekOccurrences(z.monday, z.monday + 10 * H + 20 * MIN, (t) => localParts(z.tz, t));
    expect(occ2.slice(0, 12), z.tz).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(occ2[SUNDAY_23], z.tz).toBe(0);
  }
});

it('counts the 30-minute local hour a half-hour change of offset leaves (Australia/Lord_Howe)', () => {
  // Mon 28 Sep 2026 00:00 +10:30 to Mon 5 Oct 2026 00:00 +11:00; on Sunday 02:00 the clocks go to 02:30
  const from = Date.UTC(2026, 8, 27, 13, 30);
  const to = Date.UTC(2026, 9, 4, 13, 0);
  const tz = 'Australia/Lord_Howe';
  expect([localParts(tz, from).hourOfWeek, localParts(tz, to).hourOfWeek]).toEqual([0, 0]);
  expect(localParts(tz, Date.UTC(2026, 9, 3, 15, 40)).hourOfWeek).toBe(6 * 24 + 2); // 02:40 local, after the change
  expect(hourOfWeekOccurrences(from, to, (t) => localParts(tz, t))).toEqual(new Array(168).fill(1));
});

describeEachStore('staffing at a 30- or 45-minute UTC offset', (get) => {
  let n = 0;
  async function brandIn(tz: string) {
    const { store } = get();
    const slug = `off${++n}`;
    const brandId = await createBrand(store.db, { slug, name: slug, timezone: tz }, Date.UTC(2026, 0, 1));
    const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: `${slug}Care`, driver: 'demo' }, Date.UTC(2026, 0, 1));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
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
  const params = (brandId: number, from: number, to: number) => ({ brandId, from, to, ahtS: 300, ahtMode: 'manual' as const, serviceLevel: 0.8, answerWithinS: 60, concurrency: 1 });

  for (const z of ZONES) {
    it(`a week from local Monday 00:00 is one week; Sunday 23:00's arrivals are not halved (${z.tz})`, async () => {
      const { store, brandId, arrive } = await brandIn(z.tz);
      // Monday 00:10 and Sunday 23:50, local
      await arrive([z.monday + 10 * MIN, z.monday + 168 * H - 10 * MIN]);
      expect(localParts(z.tz, z.monday + 168 * H - 10 * MIN).hourOfWeek).toBe(SUNDAY_23);
      const plan = await staffingPlan(store, params(brandId, z.monday, z.monday + 168 * H));
      expect(plan.weeks).toBe(1);
      expect(plan.arrivals_per_hour[0]).toBe(1);
      expect(plan.arrivals_per_hour[SUNDAY_23]).toBe(1);
      // the same arrivals the volume counts
      expect(plan.totals.volume_per_week).toBe(2);
    });

    it(`the simulated roster is on the local hour, not 30–45 minutes late (${z.tz})`, async () => {
      const { store, brandId, arrive } = await brandIn(z.tz);
      // staffed only on Monday 10:00–11:00 local; a customer writes at 10:05
      await saveRoster(store, brandId, Array.from({ length: 168 }, (_, h) => (h === 10 ? 2 : 0)));
      const at = z.monday + 10 * H + 5 * MIN;
      expect(localParts(z.tz, at).hourOfWeek).toBe(10);
      await arrive([at]);
      // the period starts mid-week (Wednesday 13:20 local the week before): the roster still runs on local hours
      const sim = await staffingSimulation(store, { ...params(brandId, z.monday - 4.5 * 24 * H + 13 * H + 20 * MIN, z.monday + 168 * H), seed: 3 });
      expect(sim.arrivals).toBe(1);
      expect(sim.result.byInterval[10]!.offered).toBe(1);
      expect(sim.result.answeredWithin).toBe(1);
      expect(sim.result.wait.maxS).toBe(0);
    });
  }
});
