import { describe, expect, it } from 'vitest';
import { erlangCMetrics, staffErlangC } from './erlang.js';
import { localParts } from '../../lib/tz.js';
import { arrivalsPerHourOfWeek, hourOfWeek, hourOfWeekOccurrences, planWeek, rosterFromPlan, rosterGap, type PlanInput } from './plan.js';

// A weekday profile: quiet nights, busy office hours; lighter weekends.
const arrivals = Array.from({ length: 168 }, (_, h) => {
  const day = Math.floor(h / 24);
  const hour = h % 24;
  const base = hour >= 8 && hour < 20 ? 200 : 20;
  return day >= 5 ? base / 2 : base;
});
const input: PlanInput = { arrivalsPerHour: arrivals, ahtS: 180, target: { serviceLevel: 0.8, answerWithinS: 20, shrinkage: 0.3, maxOccupancy: 0.85 } };

describe('planWeek', () => {
  it('solves each hour with Erlang C', () => {
    const plan = planWeek(input);
    expect(plan).toHaveLength(168);
    const monday9 = plan[9]!;
    // 200 per hour = 100 per half hour: the golden case → 14 agents, 20 heads.
    expect(monday9).toMatchObject({ hourOfWeek: 9, volume: 200, agents: 14, scheduled: 20 });
    expect(monday9.serviceLevel).toBeCloseTo(staffErlangC({ volume: 100, intervalS: 1800, ahtS: 180 }, input.target).serviceLevel, 12);
    expect(plan[3]!.agents).toBeLessThan(monday9.agents);
    for (const p of plan) expect(p.serviceLevel).toBeGreaterThanOrEqual(0.8);
  });
  it('plans fewer agents with Erlang A when customers give up', () => {
    const c = planWeek(input);
    const a = planWeek({ ...input, patienceS: 120 });
    expect(a[9]!.agents).toBeLessThanOrEqual(c[9]!.agents);
    expect(a[9]!.abandonProbability).toBeGreaterThan(0);
  });
  it('rejects a week of the wrong length', () => {
    expect(() => planWeek({ ...input, arrivalsPerHour: arrivals.slice(1) })).toThrow(/168/);
  });
});

describe('planWeek with a handling time per hour', () => {
  it('solves each hour with its own handling time', () => {
    const ahtPerHour = arrivals.map((_, h) => (h % 24 < 6 ? 600 : 180)); // slow nights
    const plan = planWeek({ ...input, ahtPerHour });
    const flat = planWeek(input);
    for (const h of [2, 10, 50, 100]) {
      expect(plan[h]!.agents).toBe(staffErlangC({ volume: arrivals[h]!, intervalS: 3600, ahtS: ahtPerHour[h]! }, input.target).agents);
    }
    expect(plan[2]!.agents).toBeGreaterThan(flat[2]!.agents);
    expect(plan[10]!.agents).toBe(flat[10]!.agents);
    // the gap against a roster measures each hour with its handling time too
    const gap = rosterGap({ ...input, ahtPerHour }, rosterFromPlan(flat));
    expect(gap.shortHours).toContain(2);
    expect(gap.shortHours).not.toContain(10);
  });
  it('rejects handling times that are not 168 positive numbers', () => {
    expect(() => planWeek({ ...input, ahtPerHour: [180] })).toThrow(RangeError);
    expect(() => planWeek({ ...input, ahtPerHour: arrivals.map((_, h) => (h === 5 ? 0 : 180)) })).toThrow(/ahtPerHour\[5\]/);
  });
});

describe('rosterGap', () => {
  it('finds no gap for the plan itself, and the short hours when heads are taken away', () => {
    const plan = planWeek(input);
    const exact = rosterGap(input, rosterFromPlan(plan), plan);
    expect(exact.shortHours).toEqual([]);
    expect(exact.volumeShareMeetingTarget).toBe(1);

    const roster = rosterFromPlan(plan);
    roster[9] = roster[9]! - 3; // Monday 09:00: 17 heads → 11 productive
    const g = rosterGap(input, roster, plan);
    expect(g.shortHours).toEqual([9]);
    expect(g.shortHeadHours).toBe(3);
    const h = g.hours[9]!;
    expect(h).toMatchObject({ rostered: 17, scheduledNeeded: 20, gap: -3, productive: 11, meetsTarget: false });
    expect(h.serviceLevel).toBeCloseTo(erlangCMetrics(11, { volume: 200, intervalS: 3600, ahtS: 180 }, 20).serviceLevel, 12);
    expect(g.volumeShareMeetingTarget).toBeLessThan(1);
  });
  it('counts surplus heads', () => {
    const plan = planWeek(input);
    const roster = rosterFromPlan(plan).map((x) => x + 1);
    expect(rosterGap(input, roster, plan).surplusHeadHours).toBe(168);
  });
});

describe('hour of week', () => {
  it('starts on Monday 00:00 local time', () => {
    expect(hourOfWeek(Date.UTC(2017, 9, 30, 0, 30))).toBe(0); // Monday
    expect(hourOfWeek(Date.UTC(2017, 9, 31, 22, 10))).toBe(24 + 22); // Tuesday 22:00
    expect(hourOfWeek(Date.UTC(2017, 9, 29, 23, 10))).toBe(167); // Sunday 23:00
    expect(hourOfWeek(Date.UTC(2017, 9, 29, 23, 10), 60)).toBe(0); // Monday 00:10 at UTC+1
  });
  it('averages arrivals over the weeks each hour occurs', () => {
    const from = Date.UTC(2017, 9, 30); // Monday
    const to = from + 14 * 24 * 3_600_000; // two weeks
    const ts = [from + 9.5 * 3_600_000, from + 9.6 * 3_600_000, from + (168 + 9.1) * 3_600_000, to + 1];
    const a = arrivalsPerHourOfWeek(ts, from, to);
    expect(a[9]).toBe(1.5);
    expect(a.reduce((x, y) => x + y, 0)).toBe(1.5);
  });
});

describe('hours of week across daylight-saving changes', () => {
  const H = 3_600_000;
  const zone = (tz: string) => (t: number) => localParts(tz, t);
  /** The week from a local Monday 00:00 (as UTC instants) to the next. */
  const cases = [
    // Europe/Amsterdam: clocks back Sun 25 Oct 2026 03:00 CEST → 02:00 CET (a 25-hour day), forward Sun 29 Mar 2026 02:00 CET → 03:00 CEST
    { tz: 'Europe/Amsterdam', back: [Date.UTC(2026, 9, 18, 22), Date.UTC(2026, 9, 25, 23)], forward: [Date.UTC(2026, 2, 22, 23), Date.UTC(2026, 2, 29, 22)], repeated: 6 * 24 + 2, skipped: 6 * 24 + 2 },
    // America/New_York: back Sun 1 Nov 2026 02:00 EDT → 01:00 EST, forward Sun 8 Mar 2026 02:00 EST → 03:00 EDT
    { tz: 'America/New_York', back: [Date.UTC(2026, 9, 26, 4), Date.UTC(2026, 10, 2, 5)], forward: [Date.UTC(2026, 2, 2, 5), Date.UTC(2026, 2, 9, 4)], repeated: 6 * 24 + 1, skipped: 6 * 24 + 2 },
  ];
  for (const c of cases) {
    it(`counts a week with the 25-hour day as one week, each local hour once (${c.tz})`, () => {
      const [from, to] = c.back as [number, number];
      expect((to - from) / H).toBe(169);
      const occ = hourOfWeekOccurrences(from, to, zone(c.tz));
      expect(occ).toEqual(new Array(168).fill(1));
      // four weeks around it: four of every hour
      expect(hourOfWeekOccurrences(from - 14 * 24 * H, to + 14 * 24 * H, zone(c.tz))).toEqual(new Array(168).fill(5));
      // the repeated hour is two real hours of that week
      expect(Array.from({ length: 169 }, (_, i) => localParts(c.tz, from + i * H).hourOfWeek).filter((h) => h === c.repeated)).toHaveLength(2);
    });
    it(`counts a week with the 23-hour day once, without the skipped hour (${c.tz})`, () => {
      const [from, to] = c.forward as [number, number];
      expect((to - from) / H).toBe(167);
      const occ = hourOfWeekOccurrences(from, to, zone(c.tz));
      expect(occ[c.skipped]).toBe(0);
      expect(occ.filter((n, h) => h !== c.skipped && n !== 1)).toEqual([]);
    });
  }
  it('is the plain count of hours at a fixed offset, partial hours at the edges included', () => {
    const from = Date.UTC(2017, 9, 30, 0, 30); // a Monday
    const occ = hourOfWeekOccurrences(from, from + 2 * 168 * H, (t) => ({ hourOfWeek: hourOfWeek(t), day: Math.floor(t / (24 * H)) }));
    expect(occ[0]).toBe(3); // Monday 00:00 twice, and the partial hour the range ends in
    expect(occ.reduce((a, b) => a + b, 0)).toBe(2 * 168 + 1);
  });
});
