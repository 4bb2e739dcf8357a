import { describe, expect, it } from 'vitest';
import type { BusinessCalendar, HoursInterval } from './businessHours.js';
import { autoAckText, availabilityLine, describeNextOpening, shouldAutoAck } from './autoAck.js';
import { measure } from './textLength.js';

const t = (iso: string) => Date.parse(iso);
const nineToFive: HoursInterval[] = [{ start: '09:00', end: '17:00' }];
const weekdays = (timeZone: string, extra: Partial<BusinessCalendar> = {}): BusinessCalendar => ({
  timeZone,
  weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
  ...extra,
});
const london = weekdays('Europe/London');
const newYork = weekdays('America/New_York');

describe('shouldAutoAck', () => {
  const fridayEvening = t('2026-03-20T18:00:00Z');
  it.each<[string, BusinessCalendar | null, number, number[], boolean, string | null]>([
    ['closed, first message of the period', london, fridayEvening, [], true, null],
    ['already acknowledged this closed period', london, t('2026-03-21T10:00:00Z'), [t('2026-03-20T17:30:00Z')], false, 'already_acknowledged'],
    ['acknowledged last weekend only', london, fridayEvening, [t('2026-03-14T10:00:00Z')], true, null],
    ['acknowledged last night, closed again tonight', london, t('2026-03-18T19:00:00Z'), [t('2026-03-17T19:00:00Z')], true, null],
    ['open now', london, t('2026-03-20T10:00:00Z'), [], false, 'open'],
    ['24/7 (no calendar)', null, fridayEvening, [], false, 'no_calendar'],
    ['a future ack is ignored', london, fridayEvening, [t('2026-03-21T10:00:00Z')], true, null],
  ])('%s', (_label, cal, now, acks, send, reason) => {
    const d = shouldAutoAck(cal, now, acks);
    expect(d.send).toBe(send);
    expect(d.reason).toBe(reason);
  });

  it('reports the next opening and can skip when it opens soon anyway', () => {
    expect(shouldAutoAck(london, fridayEvening, []).nextOpeningAt).toBe(t('2026-03-23T09:00:00Z'));
    const early = t('2026-03-23T08:50:00Z');
    expect(shouldAutoAck(london, early, [], { skipIfOpensWithinMs: 15 * 60_000 }).reason).toBe('opens_soon');
    expect(shouldAutoAck(london, early, [], { skipIfOpensWithinMs: 5 * 60_000 }).send).toBe(true);
  });

  it('acknowledges once per conversation on a calendar that never opens', () => {
    const never: BusinessCalendar = { timeZone: 'UTC', weekly: {} };
    expect(shouldAutoAck(never, 1_000, [])).toEqual({ send: true, reason: null, nextOpeningAt: null });
    expect(shouldAutoAck(never, 9_000, [1_000]).reason).toBe('already_acknowledged');
  });
});

describe('describeNextOpening', () => {
  const christmas = weekdays('Europe/London', {
    holidays: ['2026-12-24', '2026-12-25', '2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01'].map((date) => ({ date })),
  });
  it.each<[string, BusinessCalendar, string, string]>([
    ['early morning', london, '2026-03-23T07:00:00Z', 'today at 9:00'],
    ['in the evening', london, '2026-03-19T20:00:00Z', 'tomorrow at 9:00'],
    ['just before midnight', london, '2026-03-19T23:59:00Z', 'tomorrow at 9:00'],
    ['on Friday evening', london, '2026-03-20T18:00:00Z', 'on Monday at 9:00'],
    ['across the spring-forward weekend (09:00 BST)', london, '2026-03-28T12:00:00Z', 'on Monday at 9:00'],
    ['in New York on Friday evening', newYork, '2026-03-20T23:30:00Z', 'on Monday at 9:00'],
    ['over the Christmas closure', christmas, '2026-12-23T18:00:00Z', 'on Monday 4 January at 9:00'],
  ])('%s → %s', (_label, cal, now, expected) => {
    const at = t(now);
    const shouldOpen = shouldAutoAck(cal, at, []).nextOpeningAt!;
    expect(describeNextOpening(cal, at, shouldOpen)).toBe(expected);
  });

  it('speaks 12-hour time when asked', () => {
    const cal = weekdays('Europe/London');
    expect(describeNextOpening(cal, t('2026-03-19T20:00:00Z'), t('2026-03-20T09:00:00Z'), { hour12: true })).toBe('tomorrow at 9am');
    expect(describeNextOpening(cal, t('2026-03-19T20:00:00Z'), t('2026-03-20T13:30:00Z'), { hour12: true })).toBe('tomorrow at 1:30pm');
  });
});

describe('autoAckText', () => {
  const base = { calendar: london, network: 'x' as const, customer: { name: 'Jane Doe', handle: '@jane_doe' } };

  it('is personal and says when we are back, with the zone abbreviation', () => {
    const ack = autoAckText({ ...base, now: t('2026-03-20T18:00:00Z'), conversationId: 'conv-1' });
    expect(ack.text).toContain('Jane');
    expect(ack.text).not.toContain('Doe');
    expect(ack.text).toContain('on Monday at 9:00 GMT');
    expect(ack.when).toBe('on Monday at 9:00 GMT');
    expect(ack.nextOpeningAt).toBe(t('2026-03-23T09:00:00Z'));
    expect(measure('x', ack.text).over).toBe(false);
  });

  it('uses the abbreviation in force at the opening (BST after the switch, EDT in New York)', () => {
    expect(autoAckText({ ...base, now: t('2026-03-28T12:00:00Z'), conversationId: 'c' }).when).toBe('on Monday at 9:00 BST');
    expect(autoAckText({ ...base, calendar: newYork, now: t('2026-03-20T23:30:00Z'), conversationId: 'c' }).when).toBe('on Monday at 9:00 EDT');
    expect(autoAckText({ ...base, calendar: newYork, now: t('2026-01-16T23:30:00Z'), conversationId: 'c' }).when).toBe('on Monday at 9:00 EST');
  });

  it('varies wording by conversation, deterministically', () => {
    const now = t('2026-03-20T18:00:00Z');
    const variants = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const a = autoAckText({ ...base, now, conversationId: `conv-${i}` });
      expect(autoAckText({ ...base, now, conversationId: `conv-${i}` })).toEqual(a);
      variants.add(a.variant);
    }
    expect(variants.size).toBeGreaterThanOrEqual(3);
  });

  it('falls back to the handle, signs off, and always fits the network', () => {
    const now = t('2026-03-20T18:00:00Z');
    const byHandle = autoAckText({ ...base, customer: { handle: '@sam_k' }, now, conversationId: 'c2', signature: '– Acme Care' });
    expect(byHandle.text).toContain('sam_k');
    expect(byHandle.text.endsWith('– Acme Care')).toBe(true);
    const tight = autoAckText({
      ...base,
      network: { counter: 'graphemes', limit: 100 },
      customer: { name: 'Maximiliana-Bartholomea' },
      now,
      conversationId: 'c3',
    });
    expect(tight.text.length).toBeLessThanOrEqual(100);
  });

  it('points to an open incident\'s statement for whoever writes about it, and drops the pointer before it would not fit', () => {
    const now = t('2026-03-20T18:00:00Z');
    const url = 'https://x.com/AcmeCare/status/1850000000000000001';
    const ack = autoAckText({ ...base, now, conversationId: 'c4', statement: { url } });
    expect(ack.text).toContain(`our latest update is here: ${url}`);
    expect(ack.text).toContain('on Monday at 9:00 GMT');
    expect(measure('x', ack.text).over).toBe(false);
    expect(autoAckText({ ...base, now, conversationId: 'c4', statement: { url: null } }).text).toContain('our latest post has the update');
    // without a statement nothing is said of one
    expect(autoAckText({ ...base, now, conversationId: 'c4' }).text).not.toMatch(/update/);
    // too tight for the pointer: the acknowledgement itself still goes, without it
    const tight = autoAckText({ ...base, network: { counter: 'graphemes', limit: 120 }, now, conversationId: 'c4', statement: { url } });
    expect(tight.text.length).toBeLessThanOrEqual(120);
    expect(tight.text).not.toContain(url);
  });

  it('still acknowledges politely when the desk never opens', () => {
    const ack = autoAckText({ ...base, calendar: { timeZone: 'UTC', weekly: {} }, now: 0, conversationId: 'c' });
    expect(ack.when).toBeNull();
    expect(ack.text).toMatch(/as soon as we can/);
  });
});

describe('availabilityLine', () => {
  it.each<[string, BusinessCalendar | null, Parameters<typeof availabilityLine>[1], string]>([
    ['weekdays in winter', london, { at: t('2026-01-15T12:00:00Z') }, "We're here Mon–Fri 9am–5pm GMT; we reply within 30 min during those hours."],
    ['weekdays in summer', london, { at: t('2026-07-15T12:00:00Z') }, "We're here Mon–Fri 9am–5pm BST; we reply within 30 min during those hours."],
    ['year-round label for London', london, {}, "We're here Mon–Fri 9am–5pm GMT/BST; we reply within 30 min during those hours."],
    ['year-round label for New York', newYork, { responseTimeMinutes: 60 }, "We're here Mon–Fri 9am–5pm ET; we reply within 1 hour during those hours."],
    [
      'lunch break and a Saturday',
      {
        timeZone: 'Europe/Berlin',
        weekly: {
          mon: [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:30' }],
          tue: [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:30' }],
          sat: [{ start: '10:00', end: '14:00' }],
        },
      },
      { at: t('2026-01-15T12:00:00Z'), responseTimeMinutes: 90 },
      "We're here Mon & Tue 9am–12pm & 1pm–5:30pm, Sat 10am–2pm CET; we reply within 1.5 hours during those hours.",
    ],
    [
      '24-hour clock and overnight hours',
      { timeZone: 'UTC', weekly: { fri: [{ start: '22:00', end: '02:00' }], sat: [{ start: '22:00', end: '02:00' }] } },
      { hour12: false, responseTimeMinutes: 0 },
      "We're here Fri & Sat 22:00–02:00 UTC.",
    ],
    ['no calendar', null, {}, "We're here 24/7; we reply within 30 min."],
    [
      'a calendar open around the clock',
      { timeZone: 'UTC', weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start: '00:00', end: '24:00' }]])) },
      { responseTimeMinutes: 15 },
      "We're here 24/7; we reply within 15 min.",
    ],
    ['an empty calendar', { timeZone: 'UTC', weekly: {} }, {}, "Send us a message any time; we'll get back to you as soon as we can."],
  ])('%s', (_label, cal, options, expected) => {
    expect(availabilityLine(cal, options)).toBe(expected);
  });

  it('fits a bio (160 characters)', () => {
    expect(availabilityLine(london).length).toBeLessThanOrEqual(160);
  });
});
