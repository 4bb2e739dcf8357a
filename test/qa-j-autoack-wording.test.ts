/**
 * QA (routing/SLA/hours pass): the out-of-hours acknowledgement in the customer's terms when the
 * desk opens at midnight (a desk closed at weekends that opens at 00:00 on Monday). "Back
 * tomorrow at 0:00" reads as the end of tomorrow to many people; the desk opens in a few hours,
 * so it says "tonight at midnight". Openings at other times, and midnight further ahead, read
 * as before.
 */
import { describe, expect, it } from 'vitest';
import { autoAckText, describeNextOpening } from '../src/core/autoAck.js';

// A New York desk open Monday 00:00 to Friday 24:00.
const allDay = [{ start: '00:00', end: '24:00' }];
const weekdays = { timeZone: 'America/New_York', weekly: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay } };
// Sunday 22 November 2026 22:00 EST = Monday 03:00 UTC; it opens Monday 00:00 EST = 05:00 UTC.
const sundayNight = Date.UTC(2026, 10, 23, 3);
const mondayMidnight = Date.UTC(2026, 10, 23, 5);

describe('acknowledging when the desk opens at midnight', () => {
  it('says tonight at midnight, not tomorrow at 0:00', () => {
    expect(describeNextOpening(weekdays, sundayNight, mondayMidnight)).toBe('tonight at midnight');
    expect(describeNextOpening(weekdays, sundayNight, mondayMidnight, { hour12: true })).toBe('tonight at midnight');
    const ack = autoAckText({ calendar: weekdays, now: sundayNight, conversationId: '42', network: 'x', customer: { name: 'Kim' } });
    expect(ack.when).toBe('tonight at midnight EST');
    expect(ack.text).toContain('tonight at midnight EST');
    expect(ack.text).not.toMatch(/0:00|12am/);
  });
  it('reads as before for other opening times and for midnight days ahead', () => {
    // Saturday 21 November 12:00 EST: opens Monday 00:00, two days on
    expect(describeNextOpening(weekdays, Date.UTC(2026, 10, 21, 17), mondayMidnight)).toBe('on Monday at 0:00');
    const nine = [{ start: '09:00', end: '17:00' }];
    const nyNine = { timeZone: 'America/New_York', weekly: { mon: nine } };
    expect(describeNextOpening(nyNine, sundayNight, Date.UTC(2026, 10, 23, 14))).toBe('tomorrow at 9:00');
  });
});
