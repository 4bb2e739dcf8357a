import { describe, expect, it } from 'vitest';
import type { BusinessCalendar } from './businessHours.js';
import { expertDueAt, expertTarget, formatTarget, isOverdueUnannounced, overdueRecipients } from './expertRequests.js';

const MIN = 60_000;
const nineToFive = [{ start: '09:00', end: '17:00' }];
const LONDON: BusinessCalendar = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };
// Friday 20 November 2026, 16:45 London (UTC+0 in November)
const FRIDAY_1645 = Date.UTC(2026, 10, 20, 16, 45);
const MONDAY_0915 = Date.UTC(2026, 10, 23, 9, 15);

describe('expertTarget', () => {
  it.each<[string, number, number | null | undefined, { minutes: number; source: string }]>([
    ['a group with its own target', 120, 30, { minutes: 30, source: 'group' }],
    ['a group whose target is longer than the brand\'s', 120, 480, { minutes: 480, source: 'group' }],
    ['a group without a target', 120, null, { minutes: 120, source: 'brand' }],
    ['a named expert (no group)', 45, undefined, { minutes: 45, source: 'brand' }],
    ['a nonsense group target is ignored', 120, 0, { minutes: 120, source: 'brand' }],
    ['a fractional group target is ignored', 120, 12.5, { minutes: 120, source: 'brand' }],
    ['a target beyond two weeks is ignored', 120, 60 * 24 * 15, { minutes: 120, source: 'brand' }],
  ])('%s', (_l, brand, group, want) => {
    expect(expertTarget(brand, group)).toEqual(want);
  });
});

describe('expertDueAt', () => {
  it('counts wall-clock minutes without a calendar', () => {
    expect(expertDueAt(FRIDAY_1645, 30, null)).toBe(FRIDAY_1645 + 30 * MIN);
  });

  it('counts staffed minutes on a calendar: Friday 16:45 + 30 min is Monday 09:15', () => {
    expect(expertDueAt(FRIDAY_1645, 30, LONDON)).toBe(MONDAY_0915);
  });

  it('within open hours it is the same as the wall clock', () => {
    const tuesday10 = Date.UTC(2026, 10, 17, 10, 0);
    expect(expertDueAt(tuesday10, 120, LONDON)).toBe(tuesday10 + 120 * MIN);
  });

  it('falls back to the wall clock when the calendar never opens', () => {
    const closed: BusinessCalendar = { timeZone: 'UTC', weekly: {} };
    expect(expertDueAt(FRIDAY_1645, 30, closed)).toBe(FRIDAY_1645 + 30 * MIN);
  });
});

describe('isOverdueUnannounced', () => {
  const due = FRIDAY_1645 + 30 * MIN;
  it.each<[string, { status: string; dueAt: number | null; overdueAt: number | null }, number, boolean]>([
    ['before its due time', { status: 'open', dueAt: due, overdueAt: null }, due - 1, false],
    ['at its due time', { status: 'open', dueAt: due, overdueAt: null }, due, true],
    ['after its due time', { status: 'open', dueAt: due, overdueAt: null }, due + 5 * MIN, true],
    ['already announced', { status: 'open', dueAt: due, overdueAt: due }, due + 5 * MIN, false],
    ['answered', { status: 'answered', dueAt: due, overdueAt: null }, due + 5 * MIN, false],
    ['cancelled', { status: 'cancelled', dueAt: due, overdueAt: null }, due + 5 * MIN, false],
    ['without a due time', { status: 'open', dueAt: null, overdueAt: null }, due + 5 * MIN, false],
  ])('%s', (_l, r, now, want) => {
    expect(isOverdueUnannounced(r, now)).toBe(want);
  });
});

describe('overdueRecipients', () => {
  it('tells the group and the agent who asked, each once', () => {
    expect(overdueRecipients({ askedBy: 2, expertId: null, groupMemberIds: [5, 6, 2, 5] }).sort()).toEqual([2, 5, 6]);
  });
  it('tells the named expert and the agent who asked', () => {
    expect(overdueRecipients({ askedBy: 2, expertId: 9 }).sort()).toEqual([2, 9]);
  });
  it('an empty group still leaves the agent who asked', () => {
    expect(overdueRecipients({ askedBy: 2, expertId: null, groupMemberIds: [] })).toEqual([2]);
  });
});

describe('formatTarget', () => {
  it.each([[30, '30 min'], [60, '1 h'], [90, '1 h 30 min'], [1440 + 180, '1 d 3 h'], [0, '0 min']])('%i → %s', (m, s) => {
    expect(formatTarget(m)).toBe(s);
  });
});
