import { describe, expect, it } from 'vitest';
import type { BusinessCalendar } from './businessHours.js';
import { decideHandover, DEFAULT_HANDOVER_AFTER_MIN, handoverAfterMin, MAX_HANDOVER_AFTER_MIN, type HandoverCase } from './followUpHandover.js';

const M = 60_000;
const t = (iso: string) => Date.parse(iso);
const nineToFive = [{ start: '09:00', end: '17:00' }];
const london: BusinessCalendar = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };

/** Monday 2026-03-23 10:00 GMT, the desk open. */
const NOW = t('2026-03-23T10:00:00Z');

function base(over: Partial<HandoverCase> = {}): HandoverCase {
  return {
    afterMin: 15,
    assignee: { availability: 'offline', offlineSince: NOW - 20 * M },
    heldSince: NOW - 60 * M,
    waitingSince: NOW - 5 * M,
    calendar: null,
    colleagueOnline: true,
    ...over,
  };
}

describe('decideHandover', () => {
  it('hands over a waiting customer once the assignee has been offline longer than the grace', () => {
    expect(decideHandover(base(), NOW)).toEqual({ handOver: true, reason: 'assignee_unreachable', unreachableSince: NOW - 20 * M, awayMs: 20 * M });
  });

  it('within the grace it stays, and says when the grace ends; at exactly the grace it goes', () => {
    const c = base({ assignee: { availability: 'offline', offlineSince: NOW - 10 * M } });
    expect(decideHandover(c, NOW)).toEqual({ handOver: false, why: 'within_grace', recheckAt: NOW + 5 * M });
    expect(decideHandover(c, NOW + 5 * M - 1)).toMatchObject({ handOver: false, why: 'within_grace', recheckAt: NOW + 5 * M });
    expect(decideHandover(c, NOW + 5 * M)).toMatchObject({ handOver: true, awayMs: 15 * M });
  });

  it('0 minutes means never, whatever the absence', () => {
    expect(decideHandover(base({ afterMin: 0, assignee: { availability: 'offline', offlineSince: NOW - 30 * 24 * 60 * M } }), NOW)).toEqual({ handOver: false, why: 'never', recheckAt: null });
  });

  it('a conversation waiting on the customer never moves', () => {
    expect(decideHandover(base({ waitingSince: null }), NOW)).toEqual({ handOver: false, why: 'not_waiting', recheckAt: null });
  });

  it('an assignee online or away (a chosen break) is reachable', () => {
    for (const availability of ['online', 'away']) {
      expect(decideHandover(base({ assignee: { availability, offlineSince: NOW - 60 * M } }), NOW)).toEqual({ handOver: false, why: 'reachable', recheckAt: null });
    }
  });

  it('counts from when the conversation became theirs when that is later than their going offline (assigned for later: its own grace)', () => {
    const c = base({ assignee: { availability: 'offline', offlineSince: NOW - 24 * 60 * M }, heldSince: NOW - 14 * M });
    expect(decideHandover(c, NOW)).toEqual({ handOver: false, why: 'within_grace', recheckAt: NOW + M });
    expect(decideHandover(c, NOW + M)).toMatchObject({ handOver: true, unreachableSince: NOW - 14 * M });
    // unknown holding time: the absence alone counts
    expect(decideHandover({ ...c, heldSince: null }, NOW)).toMatchObject({ handOver: true, unreachableSince: NOW - 24 * 60 * M });
  });

  it('waits while nobody else of the team is online (nothing to gain), with no timer: someone coming online decides again', () => {
    expect(decideHandover(base({ colleagueOnline: false }), NOW)).toEqual({ handOver: false, why: 'nobody_else', recheckAt: null });
  });

  it('counts the grace in working time: signed out ten minutes before closing leaves five minutes of the next morning', () => {
    const fridayClose = t('2026-03-20T17:00:00Z');
    const c = base({ calendar: london, assignee: { availability: 'offline', offlineSince: fridayClose - 10 * M }, heldSince: null });
    // the night and the weekend are nobody's absence
    const saturday = t('2026-03-21T12:00:00Z');
    expect(decideHandover(c, saturday)).toEqual({ handOver: false, why: 'within_grace', recheckAt: t('2026-03-23T09:05:00Z') });
    expect(decideHandover(c, t('2026-03-23T09:04:59Z'))).toMatchObject({ handOver: false, why: 'within_grace' });
    expect(decideHandover(c, t('2026-03-23T09:05:00Z'))).toMatchObject({ handOver: true, awayMs: 15 * M });
  });

  it('out of hours nothing moves, even past the grace: it is decided again when the desk opens', () => {
    const c = base({ calendar: london, assignee: { availability: 'offline', offlineSince: t('2026-03-23T09:00:00Z') }, heldSince: null });
    expect(decideHandover(c, t('2026-03-23T20:00:00Z'))).toEqual({ handOver: false, why: 'out_of_hours', recheckAt: t('2026-03-24T09:00:00Z') });
    expect(decideHandover(c, t('2026-03-24T09:00:00Z'))).toMatchObject({ handOver: true });
  });

  it('an online agent out of hours is not counted absent (closed hours are nobody\'s absence)', () => {
    const c = base({ calendar: london, assignee: { availability: 'online', offlineSince: 0 } });
    expect(decideHandover(c, t('2026-03-23T20:00:00Z'))).toMatchObject({ handOver: false, why: 'reachable' });
  });

  it('an absence recorded after now (clock skew) has not begun', () => {
    expect(decideHandover(base({ assignee: { availability: 'offline', offlineSince: NOW + M } }), NOW)).toMatchObject({ handOver: false, why: 'within_grace', recheckAt: NOW + 15 * M });
  });
});

describe('handoverAfterMin', () => {
  it('takes a whole number of minutes within bounds, else the default', () => {
    expect(handoverAfterMin(0)).toBe(0);
    expect(handoverAfterMin(30)).toBe(30);
    expect(handoverAfterMin(MAX_HANDOVER_AFTER_MIN)).toBe(MAX_HANDOVER_AFTER_MIN);
    for (const bad of [undefined, null, -1, 1.5, MAX_HANDOVER_AFTER_MIN + 1, '15', Number.NaN]) expect(handoverAfterMin(bad)).toBe(DEFAULT_HANDOVER_AFTER_MIN);
  });
});
