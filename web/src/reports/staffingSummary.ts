/**
 * The staffing plan in words: how many head-hours, and where the peak is. Pure (no React), so
 * the words are unit-tested. The peak is told as it is: a plan whose top figure is shared by
 * most of the week's hours is flat, and naming the first of them (Monday midnight) as "the
 * most" would send a lead to staff an hour that needs no more than any other.
 */
import type { StaffingPlan } from '../api/reports.js';
import { fmtCount, fmtHourOfWeek, fmtPct } from './format.js';

/** Up to this many hours sharing the peak are named one by one; more are counted. */
const NAMED_PEAK_HOURS = 3;

/** The plan's peak: its heads, the hours of week that need them, and the busiest of those by contacts. */
export interface PlanPeak {
  heads: number;
  hours: number[];
  /** The peak hour with the most contacts, when the tied hours' volumes differ (else null). */
  busiest: number | null;
}

export function planPeak(plan: Pick<StaffingPlan, 'plan'>): PlanPeak {
  const heads = plan.plan.reduce((m, h) => Math.max(m, h.scheduled), 0);
  const tied = plan.plan.filter((h) => h.scheduled === heads);
  let busiest = tied[0] ?? null;
  for (const h of tied) if (busiest && h.volume > busiest.volume) busiest = h;
  const differs = tied.some((h) => h.volume !== tied[0]!.volume);
  return { heads, hours: tied.map((h) => h.hourOfWeek), busiest: differs && busiest ? busiest.hourOfWeek : null };
}

const headsWord = (n: number) => `${fmtCount(n)} head${n === 1 ? '' : 's'}`;
const contactsWord = (v: number) => `${fmtCount(Math.round(v * 10) / 10)} contact${v === 1 ? '' : 's'} a week`;

function listWords(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/**
 * Where the plan peaks, as a clause: "the most at Tuesday 10:00–11:00 (3 heads)"; a few tied
 * hours named ("the most, 3 heads, at Monday 10:00–11:00 and Tuesday 10:00–11:00"); many
 * counted ("2 heads in 157 of 168 hours: the need is flat; the busiest of them is Friday
 * 12:00–13:00, 3.1 contacts a week").
 */
export function peakWords(plan: Pick<StaffingPlan, 'plan'>): string {
  const p = planPeak(plan);
  const total = plan.plan.length;
  if (!p.hours.length || p.heads === 0) return 'no hour needs anyone';
  const volumeOf = (h: number) => plan.plan.find((x) => x.hourOfWeek === h)?.volume ?? 0;
  if (p.hours.length === 1) return `the most at ${fmtHourOfWeek(p.hours[0]!)} (${headsWord(p.heads)})`;
  if (p.hours.length <= NAMED_PEAK_HOURS) {
    const busiest = p.busiest != null ? `; the busiest of them is ${fmtHourOfWeek(p.busiest)} (${contactsWord(volumeOf(p.busiest))})` : '';
    return `the most, ${headsWord(p.heads)}, at ${listWords(p.hours.map((h) => fmtHourOfWeek(h)))}${busiest}`;
  }
  const flat = p.hours.length * 2 >= total ? ': the need is flat' : '';
  const busiest = p.busiest != null ? `; the busiest of them is ${fmtHourOfWeek(p.busiest)} (${contactsWord(volumeOf(p.busiest))})` : '';
  return `${headsWord(p.heads)} in ${fmtCount(p.hours.length)} of ${fmtCount(total)} hours${flat}${busiest}`;
}

/** The peak as a short figure for the stats strip: "peak 3 heads", "peak 2 heads in 157 hours". */
export function peakShort(plan: Pick<StaffingPlan, 'plan'>): string {
  const p = planPeak(plan);
  if (p.heads === 0) return 'no peak';
  return p.hours.length === 1 ? `peak ${headsWord(p.heads)}` : `peak ${headsWord(p.heads)} in ${fmtCount(p.hours.length)} hours`;
}

/** The plan in words: head-hours, contacts, the peak and, with a roster saved, the gap. */
export function planSummary(plan: StaffingPlan): string {
  const base = `The plan needs ${fmtCount(plan.totals.scheduled_head_hours)} head-hours a week for ${fmtCount(Math.round(plan.totals.volume_per_week * 10) / 10)} contacts; ${peakWords(plan)}.`;
  if (!plan.gap) return `${base} No roster is saved, so there is no gap to show.`;
  const g = plan.gap;
  return `${base} The saved roster is short in ${g.shortHours.length} of 168 hours (${fmtCount(g.shortHeadHours)} head-hours missing, ${fmtCount(g.surplusHeadHours)} beyond the plan); ${fmtPct(g.volumeShareMeetingTarget)} of the week's contacts arrive in hours that meet the target.`;
}
