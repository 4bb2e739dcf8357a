import { describe, expect, it } from 'vitest';
import {
  addBusinessMs,
  businessMsBetween,
  CalendarError,
  isOpen,
  localDate,
  localMinuteOfDay,
  nextClosing,
  nextOpening,
  openingsInRange,
  validateCalendar,
  weeklyMinutes,
  type BusinessCalendar,
  type HoursInterval,
} from './businessHours.js';

const t = (iso: string) => Date.parse(iso);
const H = 3_600_000;
const M = 60_000;
const nineToFive: HoursInterval[] = [{ start: '09:00', end: '17:00' }];

function weekdays(timeZone: string, hours: HoursInterval[] = nineToFive, extra: Partial<BusinessCalendar> = {}): BusinessCalendar {
  return { timeZone, weekly: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours }, ...extra };
}
function everyDay(timeZone: string, hours: HoursInterval[]): BusinessCalendar {
  return { timeZone, weekly: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: hours, sun: hours } };
}

const london = weekdays('Europe/London');
const newYork = weekdays('America/New_York');

describe('isOpen', () => {
  it.each([
    ['2026-03-23T10:00:00Z', true, 'Monday morning (GMT)'],
    ['2026-03-23T09:00:00Z', true, 'opening instant is open'],
    ['2026-03-23T08:59:59.999Z', false, 'a millisecond before opening'],
    ['2026-03-23T17:00:00Z', false, 'closing instant is closed'],
    ['2026-03-28T12:00:00Z', false, 'Saturday'],
    ['2026-06-01T08:30:00Z', true, '09:30 BST is 08:30Z in summer'],
    ['2026-06-01T16:30:00Z', false, '17:30 BST'],
  ])('%s → %s (%s)', (iso, expected) => {
    expect(isOpen(london, t(iso))).toBe(expected);
  });

  it('treats a null calendar as always open', () => {
    expect(isOpen(null, t('2026-03-28T03:00:00Z'))).toBe(true);
  });

  it('supports several intervals per day (lunch break)', () => {
    const cal = weekdays('Europe/London', [
      { start: '09:00', end: '12:00' },
      { start: '13:00', end: '17:00' },
    ]);
    expect(isOpen(cal, t('2026-01-12T11:59:00Z'))).toBe(true);
    expect(isOpen(cal, t('2026-01-12T12:30:00Z'))).toBe(false);
    expect(nextOpening(cal, t('2026-01-12T12:30:00Z'))).toBe(t('2026-01-12T13:00:00Z'));
    expect(nextClosing(cal, t('2026-01-12T10:00:00Z'))).toBe(t('2026-01-12T12:00:00Z'));
    expect(businessMsBetween(cal, t('2026-01-12T00:00:00Z'), t('2026-01-13T00:00:00Z'))).toBe(7 * H);
  });

  it('merges overlapping intervals instead of double counting', () => {
    const cal = weekdays('UTC', [
      { start: '11:00', end: '14:00' },
      { start: '09:00', end: '12:00' },
    ]);
    expect(businessMsBetween(cal, t('2026-01-12T00:00:00Z'), t('2026-01-13T00:00:00Z'))).toBe(5 * H);
    expect(nextClosing(cal, t('2026-01-12T09:30:00Z'))).toBe(t('2026-01-12T14:00:00Z'));
  });
});

describe('overnight intervals', () => {
  const nights: BusinessCalendar = { timeZone: 'Europe/London', weekly: { fri: [{ start: '22:00', end: '02:00' }] } };

  it('runs past midnight into the next day', () => {
    expect(isOpen(nights, t('2026-01-16T23:00:00Z'))).toBe(true); // Friday 23:00
    expect(isOpen(nights, t('2026-01-17T01:59:00Z'))).toBe(true); // Saturday 01:59
    expect(isOpen(nights, t('2026-01-17T02:00:00Z'))).toBe(false);
    expect(nextClosing(nights, t('2026-01-16T23:00:00Z'))).toBe(t('2026-01-17T02:00:00Z'));
    expect(businessMsBetween(nights, t('2026-01-12T00:00:00Z'), t('2026-01-19T00:00:00Z'))).toBe(4 * H);
  });

  it('belongs to the day it starts on for holidays', () => {
    const fridayOff = { ...nights, holidays: [{ date: '2026-01-16' }] };
    expect(isOpen(fridayOff, t('2026-01-17T01:00:00Z'))).toBe(false);
    const saturdayOff = { ...nights, holidays: [{ date: '2026-01-17' }] };
    expect(isOpen(saturdayOff, t('2026-01-17T01:00:00Z'))).toBe(true);
  });

  it('joins back-to-back intervals across midnight into one open period', () => {
    const cal: BusinessCalendar = {
      timeZone: 'UTC',
      weekly: { mon: [{ start: '18:00', end: '24:00' }], tue: [{ start: '00:00', end: '06:00' }] },
    };
    expect(nextClosing(cal, t('2026-01-12T20:00:00Z'))).toBe(t('2026-01-13T06:00:00Z'));
    expect(openingsInRange(cal, t('2026-01-12T00:00:00Z'), t('2026-01-14T00:00:00Z'))).toEqual([
      { start: t('2026-01-12T18:00:00Z'), end: t('2026-01-13T06:00:00Z') },
    ]);
  });

  it('treats end 00:00 as midnight at the end of the day', () => {
    const cal: BusinessCalendar = { timeZone: 'UTC', weekly: { mon: [{ start: '20:00', end: '00:00' }] } };
    expect(businessMsBetween(cal, t('2026-01-12T00:00:00Z'), t('2026-01-14T00:00:00Z'))).toBe(4 * H);
  });
});

describe('DST', () => {
  it.each([
    ['Europe/London', '2026-03-29', 'spring forward'],
    ['Europe/London', '2026-10-25', 'fall back'],
    ['America/New_York', '2026-03-08', 'spring forward'],
    ['America/New_York', '2026-11-01', 'fall back'],
    ['Australia/Lord_Howe', '2026-10-04', '30-minute spring forward'],
  ])('%s %s (%s): a 09:00–17:00 day is 8 business hours', (zone, date) => {
    const cal = everyDay(zone, nineToFive);
    const from = t(`${date}T00:00:00Z`) - 30 * H;
    const to = t(`${date}T00:00:00Z`) + 54 * H;
    const days = openingsInRange(cal, from, to).filter((p) => localDate(cal, p.start) === date);
    expect(days).toHaveLength(1);
    expect(days[0]!.end - days[0]!.start).toBe(8 * H);
    expect(localMinuteOfDay(cal, days[0]!.start)).toBe(9 * 60);
    expect(localMinuteOfDay(cal, days[0]!.end)).toBe(17 * 60);
  });

  it.each([
    ['Europe/London', '2026-03-29', 2 * H],
    ['Europe/London', '2026-10-25', 4 * H],
    ['America/New_York', '2026-03-08', 2 * H],
    ['America/New_York', '2026-11-01', 4 * H],
    ['Australia/Lord_Howe', '2026-10-04', 2.5 * H],
    ['Australia/Lord_Howe', '2026-04-05', 3.5 * H],
    ['Europe/London', '2026-03-22', 3 * H],
  ])('%s %s: 00:00–03:00 spanning the switch lasts %d ms', (zone, date, expected) => {
    const cal = everyDay(zone, [{ start: '00:00', end: '03:00' }]);
    const periods = openingsInRange(cal, t(`${date}T00:00:00Z`) - 20 * H, t(`${date}T00:00:00Z`) + 30 * H).filter(
      (p) => localDate(cal, p.start) === date,
    );
    expect(periods).toHaveLength(1);
    expect(periods[0]!.end - periods[0]!.start).toBe(expected);
  });

  it('moves a start inside the skipped hour forward by the gap', () => {
    // 01:30 does not exist in London on 2026-03-29: it reads as 02:30 BST (01:30Z).
    const cal = everyDay('Europe/London', [{ start: '01:30', end: '03:00' }]);
    const day = openingsInRange(cal, t('2026-03-29T00:00:00Z'), t('2026-03-30T00:00:00Z'));
    expect(day).toEqual([{ start: t('2026-03-29T01:30:00Z'), end: t('2026-03-29T02:00:00Z') }]);
  });

  it('counts the repeated hour twice on fall-back day', () => {
    const cal = everyDay('Europe/London', [{ start: '01:00', end: '02:00' }]);
    const day = openingsInRange(cal, t('2026-10-25T00:00:00Z'), t('2026-10-26T00:00:00Z'));
    expect(day).toEqual([{ start: t('2026-10-25T00:00:00Z'), end: t('2026-10-25T02:00:00Z') }]);
  });
});

describe('addBusinessMs (deadlines)', () => {
  it.each([
    ['Friday 16:45 GMT + 30 min → Monday 09:15', london, '2026-03-20T16:45:00Z', 30 * M, '2026-03-23T09:15:00Z'],
    ['across the London spring-forward weekend', london, '2026-03-27T16:45:00Z', 30 * M, '2026-03-30T08:15:00Z'],
    ['across the London fall-back weekend', london, '2026-10-23T15:45:00Z', 30 * M, '2026-10-26T09:15:00Z'],
    ['across the New York spring-forward weekend', newYork, '2026-03-06T21:45:00Z', 30 * M, '2026-03-09T13:15:00Z'],
    ['across the New York fall-back weekend', newYork, '2026-10-30T20:45:00Z', 30 * M, '2026-11-02T14:15:00Z'],
    [
      'holiday Monday pushes to Tuesday',
      weekdays('Europe/London', nineToFive, { holidays: [{ date: '2026-05-04', name: 'Early May bank holiday' }] }),
      '2026-05-01T15:45:00Z',
      30 * M,
      '2026-05-05T08:15:00Z',
    ],
    ['budget used up exactly at closing time ends at closing', london, '2026-03-20T16:30:00Z', 30 * M, '2026-03-20T17:00:00Z'],
    ['from a closed instant starts at the next opening', london, '2026-03-21T12:00:00Z', 60 * M, '2026-03-23T10:00:00Z'],
    ['a long budget spans weeks', london, '2026-03-02T09:00:00Z', 80 * H, '2026-03-13T17:00:00Z'],
  ])('%s', (_label, cal, from, ms, due) => {
    expect(addBusinessMs(cal, t(from), ms)).toBe(t(due));
    expect(businessMsBetween(cal, t(from), t(due))).toBe(ms);
  });

  it('returns from for a zero budget and wall-clock for a null calendar', () => {
    expect(addBusinessMs(london, t('2026-03-21T12:00:00Z'), 0)).toBe(t('2026-03-21T12:00:00Z'));
    expect(addBusinessMs(null, t('2026-03-21T12:00:00Z'), 30 * M)).toBe(t('2026-03-21T12:30:00Z'));
  });

  it('returns null when the calendar never provides the time', () => {
    const empty: BusinessCalendar = { timeZone: 'UTC', weekly: {} };
    expect(addBusinessMs(empty, t('2026-03-21T12:00:00Z'), M)).toBeNull();
    const onlySpecial: BusinessCalendar = {
      timeZone: 'UTC',
      weekly: {},
      holidays: [{ date: '2026-12-24', hours: [{ start: '10:00', end: '11:00' }] }],
    };
    expect(addBusinessMs(onlySpecial, t('2026-03-21T12:00:00Z'), 30 * M)).toBe(t('2026-12-24T10:30:00Z'));
    expect(addBusinessMs(onlySpecial, t('2026-03-21T12:00:00Z'), 2 * H)).toBeNull();
  });

  it('agrees with businessMsBetween on seeded random cases in several zones', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const cals = [
      london,
      newYork,
      weekdays('Asia/Kolkata', [{ start: '09:30', end: '13:00' }, { start: '14:00', end: '18:30' }]),
      everyDay('Australia/Lord_Howe', [{ start: '22:00', end: '03:00' }]),
      weekdays('Europe/Berlin', nineToFive, { holidays: [{ date: '2026-04-03' }, { date: '2026-12-24', hours: [{ start: '09:00', end: '12:00' }] }] }),
    ];
    for (let i = 0; i < 300; i++) {
      const cal = cals[i % cals.length]!;
      const from = t('2026-01-01T00:00:00Z') + Math.floor(rnd() * 365 * 24 * 60) * M;
      const ms = Math.floor(rnd() * 60 * 60) * M + 1;
      const due = addBusinessMs(cal, from, ms)!;
      expect(businessMsBetween(cal, from, due)).toBe(ms);
      // Earliest such instant: a moment earlier is not enough.
      expect(businessMsBetween(cal, from, due - 1)).toBeLessThan(ms);
      expect(isOpen(cal, due - 1)).toBe(true);
    }
  });
});

describe('nextOpening / nextClosing', () => {
  it('returns t itself when already open / already closed', () => {
    const open = t('2026-03-23T10:00:00Z');
    const closed = t('2026-03-23T18:00:00Z');
    expect(nextOpening(london, open)).toBe(open);
    expect(nextClosing(london, closed)).toBe(closed);
  });

  it('finds Monday 09:00 from Friday evening, and skips holidays', () => {
    expect(nextOpening(london, t('2026-03-20T18:00:00Z'))).toBe(t('2026-03-23T09:00:00Z'));
    const easter = weekdays('Europe/London', nineToFive, { holidays: [{ date: '2026-04-03' }, { date: '2026-04-06' }] });
    expect(nextOpening(easter, t('2026-04-02T18:00:00Z'))).toBe(t('2026-04-07T08:00:00Z'));
  });

  it('uses special hours on a holiday entry with hours', () => {
    const eve = weekdays('Europe/London', nineToFive, { holidays: [{ date: '2026-12-24', hours: [{ start: '10:00', end: '14:00' }] }] });
    expect(isOpen(eve, t('2026-12-24T09:30:00Z'))).toBe(false);
    expect(nextOpening(eve, t('2026-12-24T09:30:00Z'))).toBe(t('2026-12-24T10:00:00Z'));
    expect(nextClosing(eve, t('2026-12-24T11:00:00Z'))).toBe(t('2026-12-24T14:00:00Z'));
  });

  it('merges duplicate holiday entries: a full closure wins', () => {
    const cal = weekdays('UTC', nineToFive, {
      holidays: [{ date: '2026-12-24', hours: [{ start: '10:00', end: '14:00' }] }, { date: '2026-12-24', name: 'Closed' }],
    });
    expect(isOpen(cal, t('2026-12-24T11:00:00Z'))).toBe(false);
  });

  it('never closes on a 24/7 calendar but closes for its holiday', () => {
    const allWeek = everyDay('Europe/London', [{ start: '00:00', end: '24:00' }]);
    expect(nextClosing(allWeek, t('2026-03-23T10:00:00Z'))).toBeNull();
    expect(nextClosing(null, t('2026-03-23T10:00:00Z'))).toBeNull();
    const withHoliday = { ...allWeek, holidays: [{ date: '2026-12-25' }] };
    expect(nextClosing(withHoliday, t('2026-12-01T10:00:00Z'))).toBe(t('2026-12-25T00:00:00Z'));
    expect(nextOpening(withHoliday, t('2026-12-25T10:00:00Z'))).toBe(t('2026-12-26T00:00:00Z'));
  });

  it('an empty calendar is never open', () => {
    const empty: BusinessCalendar = { timeZone: 'Europe/London', weekly: {} };
    expect(isOpen(empty, t('2026-03-23T10:00:00Z'))).toBe(false);
    expect(nextOpening(empty, t('2026-03-23T10:00:00Z'))).toBeNull();
    expect(nextClosing(empty, t('2026-03-23T10:00:00Z'))).toBe(t('2026-03-23T10:00:00Z'));
    expect(businessMsBetween(empty, 0, t('2026-03-23T10:00:00Z'))).toBe(0);
  });

  it('is consistent with isOpen on seeded random instants', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const cal = weekdays('America/New_York', [{ start: '08:00', end: '12:00' }, { start: '12:30', end: '23:30' }]);
    for (let i = 0; i < 200; i++) {
      const at = t('2026-01-01T00:00:00Z') + Math.floor(rnd() * 365 * 24 * 60) * M;
      const o = nextOpening(cal, at)!;
      const c = nextClosing(cal, at)!;
      expect(isOpen(cal, o)).toBe(true);
      expect(isOpen(cal, c)).toBe(false);
      if (o > at) expect(businessMsBetween(cal, at, o)).toBe(0);
      if (c > at) expect(businessMsBetween(cal, at, c)).toBe(c - at);
    }
  });
});

describe('businessMsBetween / openingsInRange', () => {
  it('counts a whole year of weekdays without holidays', () => {
    // 2026 has 261 weekdays.
    expect(businessMsBetween(london, t('2026-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z'))).toBe(261 * 8 * H);
  });

  it('is zero for an empty or reversed range', () => {
    expect(businessMsBetween(london, t('2026-03-23T12:00:00Z'), t('2026-03-23T11:00:00Z'))).toBe(0);
    expect(businessMsBetween(null, 10, 10)).toBe(0);
    expect(businessMsBetween(null, 10, 25)).toBe(15);
  });

  it('lists the week’s openings clipped to the range', () => {
    const periods = openingsInRange(london, t('2026-03-23T12:00:00Z'), t('2026-03-27T12:00:00Z'));
    expect(periods).toEqual([
      { start: t('2026-03-23T12:00:00Z'), end: t('2026-03-23T17:00:00Z') },
      { start: t('2026-03-24T09:00:00Z'), end: t('2026-03-24T17:00:00Z') },
      { start: t('2026-03-25T09:00:00Z'), end: t('2026-03-25T17:00:00Z') },
      { start: t('2026-03-26T09:00:00Z'), end: t('2026-03-26T17:00:00Z') },
      { start: t('2026-03-27T09:00:00Z'), end: t('2026-03-27T12:00:00Z') },
    ]);
    expect(openingsInRange(null, 5, 9)).toEqual([{ start: 5, end: 9 }]);
  });
});

describe('validation', () => {
  it('rejects an unknown time zone with a clear error', () => {
    const bad: BusinessCalendar = { timeZone: 'Mars/Olympus_Mons', weekly: { mon: nineToFive } };
    expect(() => isOpen(bad, 0)).toThrow(CalendarError);
    try {
      isOpen(bad, 0);
    } catch (e) {
      expect((e as CalendarError).code).toBe('calendar.invalid_time_zone');
      expect((e as Error).message).toContain('Mars/Olympus_Mons');
    }
  });

  it('reports every issue with its path', () => {
    const issues = validateCalendar({
      timeZone: 'Europe/London',
      weekly: { mon: [{ start: '9:00', end: '17:00' }], tue: [{ start: '10:00', end: '10:00' }], funday: [] } as never,
      holidays: [{ date: '2026-02-30' }, { date: '2026-12-24', hours: [{ start: '24:00', end: '25:00' }] }],
    });
    expect(issues.map((i) => `${i.code}@${i.path}`)).toEqual([
      'calendar.invalid_time@weekly.mon[0].start',
      'calendar.empty_interval@weekly.tue[0]',
      'calendar.invalid_weekday@weekly.funday',
      'calendar.invalid_date@holidays[0].date',
      'calendar.invalid_time@holidays[1].hours[0].start',
      'calendar.invalid_time@holidays[1].hours[0].end',
    ]);
    expect(validateCalendar(london)).toEqual([]);
  });

  it('rejects non-finite instants', () => {
    expect(() => isOpen(london, Number.NaN)).toThrow(/finite/);
  });

  it('accepts a lower-case zone name and exposes merged weekly minutes', () => {
    const cal = weekdays('europe/london', [{ start: '13:00', end: '17:00' }, { start: '09:00', end: '12:00' }]);
    expect(isOpen(cal, t('2026-03-23T10:00:00Z'))).toBe(true);
    expect(weeklyMinutes(cal)[1]).toEqual([
      { start: 540, end: 720 },
      { start: 780, end: 1020 },
    ]);
  });
});
