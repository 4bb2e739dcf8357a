/** Picking hours of the week: a set of days and a span of hours (overnight spans wrap into the next day). */
import { useId } from 'react';
import { DAY_NAMES } from './format.js';

export type DaySet = 'all' | 'weekdays' | 'weekend' | '0' | '1' | '2' | '3' | '4' | '5' | '6';

export interface HourSpan {
  days: DaySet;
  /** First hour, 0–23. */
  from: number;
  /** End hour (exclusive), 1–24; at or before `from` the span runs past midnight. */
  to: number;
}

const DAYS_OF: Record<DaySet, number[]> = {
  all: [0, 1, 2, 3, 4, 5, 6],
  weekdays: [0, 1, 2, 3, 4],
  weekend: [5, 6],
  '0': [0], '1': [1], '2': [2], '3': [3], '4': [4], '5': [5], '6': [6],
};

/** Hours of week (0 = Monday 00:00) in a span, ascending, no repeats. */
export function hoursOf(s: HourSpan): number[] {
  const out = new Set<number>();
  const end = s.to <= s.from ? s.to + 24 : s.to;
  for (const d of DAYS_OF[s.days]) for (let h = s.from; h < end; h++) out.add((d * 24 + h) % 168);
  return [...out].sort((a, b) => a - b);
}

export function describeSpan(s: HourSpan): string {
  const days = s.days === 'all' ? 'every day' : s.days === 'weekdays' ? 'weekdays' : s.days === 'weekend' ? 'weekends' : `${DAY_NAMES[Number(s.days)]}s`;
  const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
  return `${days} ${hh(s.from)}–${hh(s.to)}`;
}

const pad = (h: number) => String(h).padStart(2, '0');

export function HourRange({ value, onChange, legend }: { value: HourSpan; onChange: (s: HourSpan) => void; legend: string }) {
  const id = useId();
  return (
    <fieldset className="hour-range">
      <legend className="visually-hidden">{legend}</legend>
      <span className="inline-field">
        <label htmlFor={`${id}-days`}>Days</label>
        <select id={`${id}-days`} value={value.days} onChange={(e) => onChange({ ...value, days: e.target.value as DaySet })}>
          <option value="all">Every day</option>
          <option value="weekdays">Weekdays (Mon–Fri)</option>
          <option value="weekend">Weekend (Sat–Sun)</option>
          {DAY_NAMES.map((d, i) => (
            <option key={d} value={String(i)}>
              {d}
            </option>
          ))}
        </select>
      </span>
      <span className="inline-field">
        <label htmlFor={`${id}-from`}>From</label>
        <select id={`${id}-from`} value={value.from} onChange={(e) => onChange({ ...value, from: Number(e.target.value) })}>
          {Array.from({ length: 24 }, (_, h) => (
            <option key={h} value={h}>
              {pad(h)}:00
            </option>
          ))}
        </select>
      </span>
      <span className="inline-field">
        <label htmlFor={`${id}-to`}>To</label>
        <select id={`${id}-to`} value={value.to} onChange={(e) => onChange({ ...value, to: Number(e.target.value) })}>
          {Array.from({ length: 24 }, (_, i) => i + 1).map((h) => (
            <option key={h} value={h}>
              {pad(h)}:00{h <= value.from ? ' (next day)' : ''}
            </option>
          ))}
        </select>
      </span>
    </fieldset>
  );
}
