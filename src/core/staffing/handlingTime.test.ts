import { describe, expect, it } from 'vitest';
import { ahtByHourOfWeek, chooseAht, DEFAULT_HANDLING_RULES, handlingStats, handlingTimeOfReply, type ViewingSpan } from './handlingTime.js';

const S = 1000;
const MIN = 60_000;
const T = Date.UTC(2026, 11, 7, 10, 0); // the reply, in every case below
const span = (conversationId: number, fromMinBefore: number, toMinBefore: number): ViewingSpan => ({ conversationId, startedAt: T - fromMinBefore * MIN, lastSeenAt: T - toMinBefore * MIN });

describe('handlingTimeOfReply', () => {
  it('counts the time the author had the conversation open before the reply', () => {
    const r = handlingTimeOfReply({ conversationId: 1, at: T }, [span(1, 4, 0)]);
    expect(r).toEqual({ measured: true, handlingMs: 4 * MIN, windowStart: T - 30 * MIN, capped: false });
  });

  it('is unmeasured, not zero, when the author never opened the conversation (no opening event)', () => {
    expect(handlingTimeOfReply({ conversationId: 1, at: T }, [])).toEqual({ measured: false, reason: 'not_viewed' });
    // viewing another conversation does not make this one measured
    expect(handlingTimeOfReply({ conversationId: 1, at: T }, [span(2, 5, 0)])).toEqual({ measured: false, reason: 'not_viewed' });
    // nor does a visit that ended before the window (before the previous reply)
    expect(handlingTimeOfReply({ conversationId: 1, at: T, previousReplyAt: T - 10 * MIN }, [span(1, 20, 12)])).toEqual({ measured: false, reason: 'not_viewed' });
  });

  it('leaves out the time the author was away, and time before the window', () => {
    // two visits: 10–7 and 3–0 minutes before; away in between
    const r = handlingTimeOfReply({ conversationId: 1, at: T }, [span(1, 10, 7), span(1, 3, 0)]);
    expect(r.measured && r.handlingMs).toBe(6 * MIN);
    // the author's previous reply 5 min before: only the work since belongs to this reply
    const r2 = handlingTimeOfReply({ conversationId: 1, at: T, previousReplyAt: T - 5 * MIN }, [span(1, 10, 7), span(1, 3, 0)]);
    expect(r2.measured && r2.handlingMs).toBe(3 * MIN);
    // the customer's message came 2 min before: time spent waiting for it is not handling it
    const r3 = handlingTimeOfReply({ conversationId: 1, at: T, waitingSince: T - 2 * MIN }, [span(1, 10, 0)]);
    expect(r3.measured && r3.handlingMs).toBe(2 * MIN);
  });

  it('caps a conversation left open for hours at 30 min, and says so', () => {
    const r = handlingTimeOfReply({ conversationId: 1, at: T }, [span(1, 240, 0)]);
    expect(r).toEqual({ measured: true, handlingMs: 30 * MIN, windowStart: T - 30 * MIN, capped: true });
    // under the cap it is not flagged
    const r2 = handlingTimeOfReply({ conversationId: 1, at: T, previousReplyAt: T - 40 * MIN }, [span(1, 29, 0)]);
    expect(r2.measured && r2.capped).toBe(false);
  });

  it('shares time between conversations open at once (the clock is counted once)', () => {
    // conversation 1 open 10 min; conversation 2 open at the same time for its last 4
    const r = handlingTimeOfReply({ conversationId: 1, at: T }, [span(1, 10, 0), span(2, 4, 0)]);
    expect(r.measured && r.handlingMs).toBe(6 * MIN + 2 * MIN);
    const other = handlingTimeOfReply({ conversationId: 2, at: T }, [span(1, 10, 0), span(2, 4, 0)]);
    expect(other.measured && other.handlingMs).toBe(2 * MIN);
  });

  it('counts one visit recorded twice (two processes) once', () => {
    const r = handlingTimeOfReply({ conversationId: 1, at: T }, [span(1, 5, 1), span(1, 4, 0), span(1, 5, 2)]);
    expect(r.measured && r.handlingMs).toBe(5 * MIN);
  });

  it('runs the visit on to the reply when the last heartbeat was recent (heartbeats are written every 30 s)', () => {
    const recent = handlingTimeOfReply({ conversationId: 1, at: T }, [{ conversationId: 1, startedAt: T - 3 * MIN, lastSeenAt: T - 20 * S }]);
    expect(recent.measured && recent.handlingMs).toBe(3 * MIN);
    // a visit that ended long before the reply does not run on
    const stale = handlingTimeOfReply({ conversationId: 1, at: T }, [{ conversationId: 1, startedAt: T - 3 * MIN, lastSeenAt: T - 2 * MIN }]);
    expect(stale.measured && stale.handlingMs).toBe(1 * MIN);
    // a single heartbeat just before sending still measures the seconds since
    const one = handlingTimeOfReply({ conversationId: 1, at: T }, [{ conversationId: 1, startedAt: T - 15 * S, lastSeenAt: T - 15 * S }]);
    expect(one.measured && one.handlingMs).toBe(15 * S);
    expect(DEFAULT_HANDLING_RULES.gapMs).toBeGreaterThanOrEqual(40 * S);
  });

  it('ignores broken spans and an empty window', () => {
    expect(handlingTimeOfReply({ conversationId: 1, at: T }, [{ conversationId: 1, startedAt: T, lastSeenAt: T - MIN }, { conversationId: 1, startedAt: NaN, lastSeenAt: T }])).toEqual({ measured: false, reason: 'not_viewed' });
    expect(handlingTimeOfReply({ conversationId: 1, at: T, previousReplyAt: T }, [span(1, 5, 0)])).toEqual({ measured: false, reason: 'not_viewed' });
  });
});

describe('handlingStats', () => {
  it('has no figures without data', () => {
    expect(handlingStats([])).toEqual({ n: 0, meanS: null, medianS: null, trimmedMeanS: null, p90S: null, capped: 0, invalid: 0 });
  });

  it('is that value for one reply', () => {
    expect(handlingStats([240])).toEqual({ n: 1, meanS: 240, medianS: 240, trimmedMeanS: 240, p90S: 240, capped: 0, invalid: 0 });
  });

  it('gives median, mean, trimmed mean and p90 (type-2 percentiles)', () => {
    const s = handlingStats([60, 120, 180, 240, 300, 360, 420, 480, 540, 600]);
    expect(s.n).toBe(10);
    expect(s.medianS).toBe(330); // (300 + 360) / 2
    expect(s.p90S).toBe(570); // h = 9 is whole: (540 + 600) / 2
    expect(s.meanS).toBe(330);
    expect(s.trimmedMeanS).toBe(330); // 120 … 540
  });

  it('keeps a huge outlier from moving the mean: counted at the cap', () => {
    const base = Array.from({ length: 19 }, () => 120);
    const s = handlingStats([...base, 86_400 * 3]);
    expect(s.capped).toBe(1);
    expect(s.meanS).toBeCloseTo((19 * 120 + 1800) / 20, 9);
    expect(s.medianS).toBe(120);
    expect(s.trimmedMeanS).toBe(120); // 2 cut at each end: the outlier is gone
    expect(s.p90S).toBe(120);
    // with a tighter cap
    expect(handlingStats([...base, 10_000], { capS: 600 }).meanS).toBeCloseTo((19 * 120 + 600) / 20, 9);
  });

  it('drops values that are not handling times', () => {
    const s = handlingStats([60, -5, NaN, 120]);
    expect(s).toMatchObject({ n: 2, invalid: 2, meanS: 90 });
  });

  it('rejects a trim that would cut everything', () => {
    expect(() => handlingStats([1, 2], { trim: 0.5 })).toThrow(/trim/);
  });
});

describe('chooseAht', () => {
  const measured = handlingStats(Array.from({ length: 312 }, (_, i) => (i % 2 ? 200 : 304))); // mean 252 s
  const few = handlingStats([100, 200, 300]);

  it('uses the measured mean when enough replies were measured, at concurrency 1', () => {
    const c = chooseAht({ measured, handSetS: 300, mode: 'auto', minSamples: 30, concurrency: 3 });
    expect(c).toEqual({ ahtS: measured.meanS, source: 'measured', reason: 'measured', concurrency: 1, summary: 'AHT 4.2 min, measured from 312 replies' });
    expect(measured.meanS).toBeCloseTo(252, 9);
  });

  it('writes a count in the thousands with its separator', () => {
    const many = handlingStats(Array.from({ length: 9_779 }, () => 252));
    expect(chooseAht({ measured: many, handSetS: 300, mode: 'auto', minSamples: 30, concurrency: 3 }).summary).toBe('AHT 4.2 min, measured from 9,779 replies');
  });

  it('falls back to the hand-set value with too few replies, and says how many', () => {
    const c = chooseAht({ measured: few, handSetS: 300, mode: 'auto', minSamples: 30, concurrency: 3 });
    expect(c).toEqual({ ahtS: 300, source: 'set_by_hand', reason: 'too_few_samples', concurrency: 3, summary: 'AHT 5 min, set by hand: only 3 replies measured (30 needed)' });
    expect(chooseAht({ measured: handlingStats([]), handSetS: 300, mode: 'auto', minSamples: 30, concurrency: 2 }).summary).toBe('AHT 5 min, set by hand: no replies measured (30 needed)');
    // the threshold is configurable: 3 replies are enough when 3 are asked for
    expect(chooseAht({ measured: few, handSetS: 300, mode: 'auto', minSamples: 3, concurrency: 3 }).source).toBe('measured');
  });

  it('lets an admin override the measurement', () => {
    const c = chooseAht({ measured, handSetS: 420, mode: 'manual', minSamples: 30, concurrency: 3 });
    expect(c).toEqual({ ahtS: 420, source: 'set_by_hand', reason: 'override', concurrency: 3, summary: 'AHT 7 min, set by hand (measured: 4.2 min from 312 replies)' });
  });
});

describe('ahtByHourOfWeek', () => {
  // Monday 09:00 (hour 9): 4 replies of 60 s; Tuesday 09:00 (hour 33): 2 of 240 s;
  // Monday 03:00 (hour 3): 3 of 600 s and one of 3,600 s (counted at the 30-minute cap)
  const samples = [
    ...[60, 60, 60, 60].map((s) => ({ hourOfWeek: 9, s })),
    ...[240, 240].map((s) => ({ hourOfWeek: 33, s })),
    ...[600, 600, 600, 3600].map((s) => ({ hourOfWeek: 3, s })),
  ];
  it('uses the replies of the hour itself when it has enough, else the same hour of other days, else the overall figure', () => {
    const r = ahtByHourOfWeek(samples, 300, 4);
    expect(r.perHour).toHaveLength(168);
    expect(r.perHour[9]).toBe(60); // its own 4
    expect(r.source[9]).toBe('hour_of_week');
    expect(r.perHour[3]).toBe((600 * 3 + 1800) / 4); // the cap applies
    // Tuesday 09:00 has 2 of its own: 09:00 over the week has 6 (4 × 60 + 2 × 240)
    expect(r.perHour[33]).toBe((4 * 60 + 2 * 240) / 6);
    expect(r.source[33]).toBe('hour_of_day');
    expect(r.perHour[9 + 24 * 4]).toBe(r.perHour[33]); // Friday 09:00 too
    expect(r.perHour[3 + 24]).toBe(r.perHour[3]); // Tuesday 03:00 from Monday's
    expect(r.perHour[12]).toBe(300);
    expect(r.source[12]).toBe('overall');
    expect(r.counts).toEqual({ hour_of_week: 2, hour_of_day: 12, overall: 154 });
  });
  it('falls back to the overall figure everywhere with too few replies, and ignores hours that are not hours of the week', () => {
    const r = ahtByHourOfWeek([...samples, { hourOfWeek: 168, s: 5 }, { hourOfWeek: -1, s: 5 }, { hourOfWeek: 2.5, s: 5 }], 300, 50);
    expect(r.perHour.every((x) => x === 300)).toBe(true);
    expect(r.counts).toEqual({ hour_of_week: 0, hour_of_day: 0, overall: 168 });
  });
  it('rejects a non-positive fallback or sample minimum', () => {
    expect(() => ahtByHourOfWeek(samples, 0, 4)).toThrow(RangeError);
    expect(() => ahtByHourOfWeek(samples, 300, 0)).toThrow(RangeError);
  });
});

