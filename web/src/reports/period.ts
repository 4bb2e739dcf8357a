/**
 * The reporting period: presets and custom dates are brand-local calendar days, turned
 * into instants at the brand time zone's midnights (reports count days and hours of week
 * there). With no period in the URL the last 30 days are shown — or, when nothing
 * arrived in them (an imported archive such as TWCS, from 2017), all time, saying so.
 */
import { useMemo } from 'react';
import { useReport, type ReportFilter } from '../api/reports.js';
import { useNow } from '../lib/format.js';
import { addDays, dayRange, daysBetween, fmtDay, todayIn, zonedMidnight } from './format.js';
import { customPeriodProblem } from './customPeriod.js';
import { PERIOD_LABEL, type Period, type ReportsSearch } from './search.js';

export interface ResolvedPeriod {
  /** False while the default is still being decided. */
  ready: boolean;
  /** The period in effect. */
  kind: Period;
  /** Chosen by default (no period in the URL). */
  auto: boolean;
  /** The default fell back to all time because the last 30 days were empty. */
  fellBack: boolean;
  /** Brand-local dates, both inclusive; absent for all time. */
  fromDate?: string;
  toDate?: string;
  /** Instants for the API; `to` exclusive. */
  from?: string;
  to?: string;
  label: string;
  /** First and last day with inbound mentions (known for all time). */
  dataRange?: { first: string; last: string };
  /** For all time: the all-time volume has loaded, so a missing `dataRange` means there are no mentions at all. */
  dataKnown?: boolean;
  /** The period starts after today (brand-local): nothing can have happened in it yet. */
  future?: boolean;
  /** Custom dates in the wrong order (a hand-edited or shared URL): the dates swapped, to offer; nothing is loaded for them. */
  reversed?: { from: string; to: string };
}

const PRESET_DAYS: Partial<Record<Period, number>> = { '7d': 7, '30d': 30, '90d': 90 };

export function isoAtMidnight(date: string, tz: string): string {
  return new Date(zonedMidnight(date, tz)).toISOString();
}

function bounded(kind: Period, fromDate: string, toDate: string, tz: string) {
  return { kind, fromDate, toDate, from: isoAtMidnight(fromDate, tz), to: isoAtMidnight(addDays(toDate, 1), tz) };
}

export function rangeLabel(fromDate?: string, toDate?: string): string {
  if (!fromDate || !toDate) return 'All time';
  return fromDate === toDate ? fmtDay(fromDate) : `${fmtDay(fromDate)} – ${fmtDay(toDate)}`;
}

export function useResolvedPeriod(search: ReportsSearch, tz: string | undefined): ResolvedPeriod {
  const now = useNow();
  const today = tz ? todayIn(tz, now) : undefined;
  const auto = !search.period;
  const last30 = useMemo(() => (tz && today ? bounded('30d', addDays(today, -29), today, tz) : null), [tz, today]);
  const probe = useReport('volume', { from: last30?.from, to: last30?.to }, auto && !!last30);
  const fellBack = auto && probe.data?.total === 0 && !probe.isPlaceholderData;
  const kind: Period = search.period ?? (fellBack ? 'all' : '30d');
  const allTime = useReport('volume', {}, kind === 'all' && !!tz);
  const first = allTime.data?.by_day[0]?.day;
  const last = allTime.data?.by_day.at(-1)?.day;

  return useMemo((): ResolvedPeriod => {
    if (!tz || !today) return { ready: false, kind, auto, fellBack: false, label: PERIOD_LABEL[kind] };
    const ready = !auto || (probe.isSuccess && !probe.isPlaceholderData) || probe.isError;
    const dataRange = first && last ? { first, last } : undefined;
    if (kind === 'all') return { ready, kind, auto, fellBack, label: 'All time', dataRange, dataKnown: allTime.isSuccess && !allTime.isPlaceholderData };
    if (kind === 'custom' && search.from && search.to) {
      const problem = customPeriodProblem(search.from, search.to, today);
      // reversed: no instants, so no report asks the API for an impossible period
      if (problem?.kind === 'reversed') return { ready, kind, auto, fellBack, fromDate: search.from, toDate: search.to, label: `${fmtDay(search.from)} – ${fmtDay(search.to)} (reversed)`, reversed: problem.swapped };
      return { ready, auto, fellBack, ...bounded('custom', search.from, search.to, tz), label: rangeLabel(search.from, search.to), future: problem?.kind === 'future' };
    }
    const n = PRESET_DAYS[kind] ?? 30;
    return { ready, auto, fellBack, ...bounded(kind, addDays(today, -(n - 1)), today, tz), label: PERIOD_LABEL[kind] };
  }, [tz, today, kind, auto, fellBack, probe.isSuccess, probe.isPlaceholderData, probe.isError, search.from, search.to, first, last, allTime.isSuccess, allTime.isPlaceholderData]);
}

/** The filter every report takes, from the period and the URL's filters. */
export function reportFilter(p: ResolvedPeriod, s: ReportsSearch): ReportFilter {
  const f: ReportFilter = {};
  if (p.from) f.from = p.from;
  if (p.to) f.to = p.to;
  if (s.team) f.team = s.team;
  if (s.agent) f.agent = s.agent;
  if (s.channel) f.channel = s.channel;
  if (s.network) f.network = s.network;
  if (s.visibility) f.visibility = s.visibility;
  if (s.business) f.business = true;
  return f;
}

/**
 * The staffing planner needs a bounded period (it averages over the weeks in it): all
 * time becomes the last four weeks with data.
 */
export function staffingPeriod(p: ResolvedPeriod, tz: string | undefined): { from: string; to: string; fromDate: string; toDate: string; derived: boolean } | null {
  if (!tz) return null;
  if (p.from && p.to && p.fromDate && p.toDate) return { from: p.from, to: p.to, fromDate: p.fromDate, toDate: p.toDate, derived: false };
  if (p.dataRange) {
    const toDate = p.dataRange.last;
    const fromDate = addDays(toDate, -27);
    return { from: isoAtMidnight(fromDate, tz), to: isoAtMidnight(addDays(toDate, 1), tz), fromDate, toDate, derived: true };
  }
  return null;
}

/**
 * Rows per day over the whole period, a zero row for each day without data, so a chart's
 * day axis is a calendar (a quiet week is a gap, not left out) and "over N days" counts
 * the period's days. Periods longer than 400 days, and all time without a known range, keep
 * the rows as they are.
 */
export function everyDay<R extends { day: string }>(rows: R[], period: ResolvedPeriod, zero: (day: string) => R): R[] {
  const first = period.fromDate ?? rows[0]?.day;
  const last = period.toDate ?? rows.at(-1)?.day;
  if (!first || !last || first > last || daysBetween(first, last) > 400) return rows;
  const got = new Map(rows.map((r) => [r.day, r]));
  return dayRange(first, last).map((day) => got.get(day) ?? zero(day));
}
