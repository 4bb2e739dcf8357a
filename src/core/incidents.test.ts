import { describe, expect, it } from 'vitest';
import { seededRandom } from './staffing/simulate.js';
import { baselineFor, burstReason, createDetector, DEFAULT_DETECTOR_CONFIG, detectAll, engagementOf, observe, type DetectorConfig, type VolumeObservation } from './incidents.js';
import { fromWallMs, zoneOffsetMs } from './wf_time.js';

const FIVE_MIN = 5 * 60_000;
const START = Date.UTC(2024, 0, 1); // Monday 00:00 UTC

/** Poisson draw by inversion (small means only). */
function poisson(mean: number, rnd: () => number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  const u = rnd();
  while (u > cdf && k < 10_000) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

/** A care desk's mention stream: daily cycle 2..12 per 5 min, quieter weekends. */
function series(days: number, seed: number, extra: (i: number) => number = () => 0): VolumeObservation[] {
  const rnd = seededRandom(seed);
  const out: VolumeObservation[] = [];
  for (let i = 0; i < days * 288; i++) {
    const start = START + i * FIVE_MIN;
    const hour = (i % 288) / 12;
    const dow = Math.floor(i / 288) % 7; // 0 = Monday
    const mean = (2 + 10 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI))) * (dow >= 5 ? 0.5 : 1);
    out.push({ start, count: poisson(mean, rnd) + extra(i) });
  }
  return out;
}

describe('incident detector on synthetic mention counts', () => {
  it('stays quiet on ordinary traffic', () => {
    const { events } = detectAll(series(28, 1));
    expect(events).toEqual([]);
  });

  it('opens early on an outage burst, explains why, and closes when it calms down', () => {
    // Day 16 (a Wednesday), 14:00: +60 per 5 min for 40 minutes on top of ~11.
    const burstStart = 16 * 288 + 14 * 12;
    const s = series(21, 2, (i) => (i >= burstStart && i < burstStart + 8 ? 60 : 0));
    const { events } = detectAll(s);
    expect(events.map((e) => e.kind)).toEqual(['open', 'close']);
    const open = events[0]!;
    // ~6× the usual: a burst, not twice the threshold, so it opens on the second interval in a row.
    expect(open.at).toBe(START + (burstStart + 1) * FIVE_MIN);
    expect(open.incident.reason).toMatch(/^\d+ mentions in 5 min after \d+ in the 5 min before, \d+\.\d× the usual \d+(\.\d)? for Wednesday 14:05 UTC$/);
    // A bigger one opens on its first interval.
    const big = detectAll(series(21, 2, (i) => (i >= burstStart && i < burstStart + 8 ? 200 : 0))).events[0]!;
    expect(big.at).toBe(START + burstStart * FIVE_MIN);
    expect(big.incident.reason).toMatch(/^\d+ mentions in 5 min, \d+\.\d× the usual \d+(\.\d)? for Wednesday 14:00 UTC$/);
    const close = events[1]!;
    expect(close.endedAt).toBe(START + (burstStart + 8) * FIVE_MIN);
    expect(close.incident.peakCount).toBeGreaterThanOrEqual(60);
  });

  it('waits for a second interval in a row when a burst is only moderately large', () => {
    const at = 16 * 288 + 14 * 12;
    // ~12 expected at 14:00 on a weekday; +50 is ~5×: above threshold but not twice it.
    const s = series(21, 3, (i) => (i === at || i === at + 1 ? 50 : 0));
    const { events } = detectAll(s, { instantFactor: 100 });
    expect(events[0]!.at).toBe(START + (at + 1) * FIVE_MIN);
    expect(events[0]!.incident.reason).toMatch(/after \d+ in the 5 min before/);
    const single = detectAll(series(21, 3, (i) => (i === at ? 50 : 0)), { instantFactor: 100 });
    expect(single.events).toEqual([]);
  });

  it('needs a minimum absolute volume', () => {
    // 3 a.m. on a quiet series: 9 mentions is many times the usual but below minVolume 10.
    const at = 16 * 288 + 3 * 12;
    const s = series(21, 4, (i) => (i >= at && i < at + 4 ? 9 : 0));
    const low = detectAll(s, { minVolume: 30 });
    expect(low.events).toEqual([]);
    const assessed = low.assessments[at]!;
    expect(assessed.ratio).toBeGreaterThan(4);
  });

  it('does not re-open within the cool-down', () => {
    const a = 16 * 288 + 10 * 12;
    const b = a + 20; // 100 minutes later
    const s = series(21, 5, (i) => ((i >= a && i < a + 3) || (i >= b && i < b + 3) ? 80 : 0));
    expect(detectAll(s).events.filter((e) => e.kind === 'open')).toHaveLength(1);
    expect(detectAll(s, { cooldownMs: 0 }).events.filter((e) => e.kind === 'open')).toHaveLength(2);
  });

  it('learns a series that spikes every day and alarms only beyond its habit', () => {
    // A daily 13:00 spike of +40 for five minutes (a scheduled post), then one day +200.
    const habit = (i: number) => (i % 288 === 13 * 12 ? 40 : 0);
    const big = 20 * 288 + 9 * 12;
    const s = series(22, 6, (i) => habit(i) + (i === big ? 200 : 0));
    const opens = detectAll(s).events.filter((e) => e.kind === 'open');
    // The habit alarms only while it is news (before the daily peaks are learnt); the big one always.
    expect(opens.filter((e) => e.at > START + 5 * 288 * FIVE_MIN).map((e) => e.at)).toEqual([START + big * FIVE_MIN]);
  });

  it('opens on a sustained rise that never reaches the burst threshold', () => {
    // A daily 13:00 habit spike raises the threshold; then an outage adds ~+50 for an hour.
    const habit = (i: number) => (i % 288 === 13 * 12 ? 60 : 0);
    const at = 18 * 288 + 15 * 12;
    const s = series(20, 10, (i) => habit(i) + (i >= at && i < at + 12 ? 50 : 0));
    const withSustain = detectAll(s).events.filter((e) => e.kind === 'open' && e.at >= START + at * FIVE_MIN);
    const without = detectAll(s, { sustain: 0 }).events.filter((e) => e.kind === 'open' && e.at >= START + at * FIVE_MIN);
    expect(without).toEqual([]);
    expect(withSustain.map((e) => e.at)).toEqual([START + (at + DEFAULT_DETECTOR_CONFIG.sustain - 1) * FIVE_MIN]);
  });

  it('says nothing during warm-up', () => {
    const s = series(1, 7, (i) => (i === 200 ? 500 : 0));
    const { events, assessments } = detectAll(s);
    expect(events).toEqual([]);
    expect(assessments.every((a) => a.baseline === null)).toBe(true);
  });
});

describe('detector state', () => {
  it('is pure: observe leaves the given state untouched', () => {
    const s = series(15, 8);
    let state = createDetector();
    for (const o of s.slice(0, -1)) state = observe(state, o).state;
    const snapshot = JSON.stringify(state);
    const r1 = observe(state, { start: s.at(-1)!.start, count: 200 });
    expect(JSON.stringify(state)).toBe(snapshot);
    const r2 = observe(state, { start: s.at(-1)!.start, count: 200 });
    expect(r2).toEqual(r1);
    // and observing step by step equals the batch run
    expect(r1.events).toEqual(detectAll([...s.slice(0, -1), { start: s.at(-1)!.start, count: 200 }]).events);
  });
  it('round-trips through JSON (it is plain data)', () => {
    // (with the default, finite configuration)
    const s = series(15, 9);
    let state = createDetector();
    for (const o of s) state = observe(state, o).state;
    const next = { start: s.at(-1)!.start + FIVE_MIN, count: 3 };
    const revived = JSON.parse(JSON.stringify(state));
    expect(observe(revived, next).assessment).toEqual(observe(state, next).assessment);
  });
  it('records skipped intervals as unknown and rejects time going backwards or off the grid', () => {
    let state = createDetector();
    state = observe(state, { start: START, count: 1 }).state;
    state = observe(state, { start: START + 3 * FIVE_MIN, count: 1 }).state;
    expect(state.history.slice(0, 4)).toEqual([1, -1, -1, 1]); // -1: unknown
    expect(() => observe(state, { start: START, count: 1 })).toThrow(/forward/);
    expect(() => observe(state, { start: START + 4 * FIVE_MIN + 1000, count: 1 })).toThrow(/grid/);
    expect(() => observe(state, { start: START + 4 * FIVE_MIN, count: -1 })).toThrow(/non-negative/);
  });
  it('checks its configuration', () => {
    expect(() => createDetector({ closeRatio: 5, openRatio: 4 })).toThrow(/hysteresis/);
    expect(() => createDetector({ intervalMs: 7 * 60_000 })).toThrow(/divide a day/);
    expect(DEFAULT_DETECTOR_CONFIG.closeRatio).toBeLessThan(DEFAULT_DETECTOR_CONFIG.openRatio);
  });
});

describe('burstReason', () => {
  it('reads like the agent would say it', () => {
    const tuesday14 = Date.UTC(2024, 0, 2, 14, 0);
    expect(burstReason(42, 6.7, tuesday14, DEFAULT_DETECTOR_CONFIG)).toBe('42 mentions in 5 min, 6.3× the usual 6.7 for Tuesday 14:00 UTC');
    expect(burstReason(11, 0, tuesday14, DEFAULT_DETECTOR_CONFIG)).toBe('11 mentions in 5 min; usually none for Tuesday 14:00 UTC');
    expect(burstReason(42, 6.7, tuesday14, { ...DEFAULT_DETECTOR_CONFIG, utcOffsetMin: 60 })).toMatch(/Tuesday 15:00 UTC\+01:00$/);
  });
});

describe('local time in the brand\'s time zone (America/New_York, across DST)', () => {
  const NY = 'America/New_York';
  /** A New York wall-clock time as an instant. */
  const ny = (y: number, month: number, d: number, h = 0, min = 0) => fromWallMs(NY, Date.UTC(y, month - 1, d, h, min));
  /** Every 5-min interval in [from, to), counted by `count(local wall time as a UTC Date)`. */
  const localSeries = (from: number, to: number, count: (wall: Date) => number): VolumeObservation[] => {
    const out: VolumeObservation[] = [];
    for (let t = from; t < to; t += FIVE_MIN) out.push({ start: t, count: count(new Date(t + zoneOffsetMs(NY, t))) });
    return out;
  };

  it('explains a burst in the brand\'s local time, before and after the clocks change', () => {
    for (const friday of [ny(2026, 10, 30, 14), ny(2026, 11, 6, 14)]) { // 14:00 EDT (18:00 UTC), 14:00 EST (19:00 UTC)
      const s = localSeries(friday - 16 * 86_400_000, friday + FIVE_MIN, () => 2);
      s[s.length - 1]!.count = 30;
      const local = detectAll(s, { timeZone: NY }).events;
      expect(local.map((e) => e.kind)).toEqual(['open']);
      expect(local[0]!.incident.reason).toBe(`30 mentions in 5 min, 15.0× the usual 2.0 for Friday 14:00 ${friday < ny(2026, 11, 1) ? 'EDT' : 'EST'}`);
      // (in UTC it would be "Friday 18:00" / "Friday 19:00": what the desk used to say)
      expect(detectAll(s).events[0]!.incident.reason).toMatch(/for Friday 1[89]:00 UTC$/);
    }
  });

  it('compares the same local time of day on each side of a DST change: a daily local peak is no burst', () => {
    // 30 mentions per 5 min from 14:00 to 15:00 New York time every day, 3 otherwise
    const peak = (wall: Date) => (wall.getUTCHours() === 14 ? 30 : 3);
    // 13 whole local days (the history holds 14), across the change: 1 November (fall back), 8 March (spring forward)
    for (const [from, to] of [[ny(2026, 10, 23), ny(2026, 11, 5)], [ny(2026, 2, 26), ny(2026, 3, 11)]] as const) {
      const s = localSeries(from, to, peak);
      expect(detectAll(s, { timeZone: NY }).events).toEqual([]);
      // a fixed offset sees the peak move by an hour when the clocks change, and alarms
      const fixed = detectAll(s, { utcOffsetMin: zoneOffsetMs(NY, from) / 60_000 }).events.filter((e) => e.kind === 'open');
      expect(fixed.length).toBeGreaterThan(0);
    }
  });

  it('splits weekdays from weekends on local days', () => {
    // 10 per 5 min on New York weekdays, 2 on New York weekends; judge Friday 21:00 New York
    // (Saturday 02:00 UTC): a weekday evening, with a weekday's baseline
    const fri21 = ny(2026, 11, 6, 21);
    const s = localSeries(fri21 - 15 * 86_400_000, fri21, (wall) => (wall.getUTCDay() === 0 || wall.getUTCDay() === 6 ? 2 : 10));
    const fed = (config: Partial<DetectorConfig>) => {
      let state = createDetector(config);
      for (const o of s) state = observe(state, o).state;
      return baselineFor(state, fri21)!.baseline;
    };
    expect(fed({ timeZone: NY })).toBe(10);
    expect(fed({})).not.toBe(10); // on UTC days it is a Saturday, judged with New York's Friday and Saturday evenings
  });

  it('refuses an unknown zone, and keeps the zone in its plain-data state', () => {
    expect(() => createDetector({ timeZone: 'Mars/Olympus_Mons' })).toThrow(/time zone/i);
    expect(JSON.parse(JSON.stringify(createDetector({ timeZone: NY }))).config.timeZone).toBe(NY);
  });
});

describe('engagementOf: whether people are working on an incident', () => {
  const none = { statements: [], notes: [], actions: [] };
  it('an incident nobody touched (the detector opened it) is not engaged', () => {
    expect(engagementOf(none)).toEqual({ engaged: false, people: [], reasons: [] });
    // the system's own audit entries (opened, calm) are not engagement
    expect(engagementOf({ ...none, actions: [{ userId: null, action: 'incident.opened' }, { userId: null, action: 'incident.calm' }] }).engaged).toBe(false);
  });
  it('a statement in any state, a note, or any action of a person is', () => {
    const pending = engagementOf({ ...none, statements: [{ authorUserId: 4, reviewedBy: null, status: 'pending_approval' }], actions: [{ userId: 4, action: 'incident.statement_pending_approval' }] });
    expect(pending).toEqual({ engaged: true, people: [4], reasons: ['a statement is waiting for sign-off'] });
    for (const status of ['queued', 'sending', 'sent', 'rejected', 'withdrawn', 'failed']) {
      expect(engagementOf({ ...none, statements: [{ authorUserId: 4, reviewedBy: 1, status }] })).toMatchObject({ engaged: true, people: [1, 4] });
    }
    expect(engagementOf({ ...none, notes: [{ authorUserId: 7 }] })).toEqual({ engaged: true, people: [7], reasons: ['a note was written'] });
    expect(engagementOf({ ...none, actions: [{ userId: 9, action: 'incident.acknowledged' }] })).toEqual({ engaged: true, people: [9], reasons: ['someone worked on it'] });
    // customers linked to it are being answered as part of it
    expect(engagementOf({ ...none, linkedCustomers: 3 })).toEqual({ engaged: true, people: [], reasons: ['3 customers were linked to it'] });
    expect(engagementOf({ ...none, linkedCustomers: 0 }).engaged).toBe(false);
  });
});
