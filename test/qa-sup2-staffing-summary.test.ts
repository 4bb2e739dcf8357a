/**
 * QA (supervisor flows): the staffing summary names the plan's peak as it is. A plan whose top
 * figure is shared by most hours is flat: not "the most at Monday 00:00–01:00" (the first of a
 * 157-way tie). Tied hours name the busiest by contacts; a lone peak is named.
 */
import { describe, expect, it } from 'vitest';
import type { HourPlan, StaffingPlan } from '../web/src/api/reports.js';
import { peakShort, peakWords, planPeak, planSummary } from '../web/src/reports/staffingSummary.js';

function hour(h: number, scheduled: number, volume: number): HourPlan {
  return { hourOfWeek: h, volume, agents: scheduled, scheduled, serviceLevel: 1, waitProbability: 0, asaS: 0, occupancy: 0.5, abandonProbability: 0 };
}

function planOf(hours: HourPlan[]): StaffingPlan {
  return {
    model: 'erlang-c', timezone: 'Europe/London', weeks: 4, arrivals_per_hour: hours.map((h) => h.volume), plan: hours, roster: null, gap: null,
    totals: { scheduled_head_hours: hours.reduce((s, h) => s + h.scheduled, 0), volume_per_week: hours.reduce((s, h) => s + h.volume, 0) },
    aht: { aht_s: 300, source: 'set_by_hand', reason: 'too_few_samples', summary: 'AHT 5 min', concurrency: 3, set_by_hand_s: 300, min_samples: 50, per_hour: null, per_hour_sources: null, measured: { n: 0, mean_s: null, median_s: null, trimmed_mean_s: null, p90_s: null, capped: 0, replies: 0, unmeasured: 0 } },
  };
}

describe('staffing summary: the peak', () => {
  it('a flat plan (157 of 168 hours at the top) is called flat, with its busiest hour by volume, not Monday midnight', () => {
    // 11 night hours need nobody; every other hour needs 2; Friday 12:00 has the most contacts
    const quiet = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const busiest = 4 * 24 + 12;
    const plan = planOf(Array.from({ length: 168 }, (_, h) => (quiet.has(h) ? hour(h, 0, 0) : hour(h, 2, h === busiest ? 3.1 : 1))));
    const s = planSummary(plan);
    expect(s).toContain('2 heads in 157 of 168 hours: the need is flat');
    expect(s).toContain('the busiest of them is Friday 12:00–13:00 (3.1 contacts a week)');
    expect(s).not.toContain('the most at Monday 00:00');
    expect(peakShort(plan)).toBe('peak 2 heads in 157 hours');
    expect(planPeak(plan)).toMatchObject({ heads: 2, busiest: busiest });
    expect(planPeak(plan).hours).toHaveLength(157);
  });

  it('a lone peak is named with its heads', () => {
    const plan = planOf(Array.from({ length: 168 }, (_, h) => hour(h, h === 34 ? 4 : 1, h === 34 ? 9 : 1)));
    expect(peakWords(plan)).toBe('the most at Tuesday 10:00–11:00 (4 heads)');
    expect(peakShort(plan)).toBe('peak 4 heads');
  });

  it('a few tied hours are all named; the busiest is told only when their volumes differ', () => {
    const tied = [10, 34];
    const plan = planOf(Array.from({ length: 168 }, (_, h) => hour(h, tied.includes(h) ? 3 : 1, h === 34 ? 6 : tied.includes(h) ? 5 : 1)));
    expect(peakWords(plan)).toBe('the most, 3 heads, at Monday 10:00–11:00 and Tuesday 10:00–11:00; the busiest of them is Tuesday 10:00–11:00 (6 contacts a week)');
    const even = planOf(Array.from({ length: 168 }, (_, h) => hour(h, tied.includes(h) ? 3 : 1, tied.includes(h) ? 5 : 1)));
    expect(peakWords(even)).toBe('the most, 3 heads, at Monday 10:00–11:00 and Tuesday 10:00–11:00');
  });

  it('many tied hours short of half the week are counted, not called flat', () => {
    const plan = planOf(Array.from({ length: 168 }, (_, h) => hour(h, h % 24 >= 9 && h % 24 < 17 ? 3 : 1, 2)));
    expect(peakWords(plan)).toBe('3 heads in 56 of 168 hours');
  });

  it('a plan with no contacts needs nobody', () => {
    const plan = planOf(Array.from({ length: 168 }, (_, h) => hour(h, 0, 0)));
    expect(planSummary(plan)).toContain('no hour needs anyone');
  });
});
