/**
 * QA (supervisor flows): times shown in different zones said which. The desk's shared
 * formatter (`fullTime`, web/src/lib/format.ts: Incidents, Approvals, the Audit log...) names
 * the zone of each time it shows, and the burst detector's reason, written by the server,
 * names the brand's zone ("for Monday 10:30 GMT"), so a lead can match one against the other.
 */
import { describe, expect, it } from 'vitest';
import { burstReason, createDetector, describeSlot } from '../src/core/incidents.js';
import { fullTime, zoneLabel } from '../web/src/lib/format.js';

const WINTER = '2026-12-07T10:47:42Z'; // 05:47:42 in New York (EST), 10:47:42 in London (GMT)
const SUMMER = '2026-07-07T10:47:42Z'; // 06:47:42 EDT, 11:47:42 BST

describe('fullTime names its zone', () => {
  it('the browser zone (or the one asked for) is written after the time, with its abbreviation at that instant', () => {
    expect(fullTime(WINTER, 'America/New_York')).toMatch(/05:47:42( AM)? EST$/);
    expect(fullTime(SUMMER, 'America/New_York')).toMatch(/06:47:42( AM)? EDT$/);
    expect(fullTime(WINTER, 'Europe/London')).toMatch(/10:47:42( AM)? GMT$/);
    expect(fullTime(SUMMER, 'Europe/London')).toMatch(/11:47:42( AM)? BST$/);
    expect(fullTime(WINTER, 'UTC')).toMatch(/10:47:42( AM)? UTC$/);
    // a zone without a common abbreviation: its offset
    expect(zoneLabel(Date.parse(WINTER), 'Asia/Kathmandu')).toMatch(/^GMT\+5:45$/);
  });

  it('without a zone, the browser\'s own (the process\'s here), still labelled', () => {
    const t = Date.parse(WINTER);
    const own = zoneLabel(t);
    expect(own).not.toBe('');
    expect(fullTime(WINTER).endsWith(` ${own}`)).toBe(true);
  });

  it('bad input: nothing shown for a missing or unreadable time; an unknown zone falls back to the browser\'s, labelled', () => {
    expect(fullTime(null)).toBe('');
    expect(fullTime('not a time')).toBe('');
    expect(fullTime(WINTER, 'Mars/Olympus_Mons')).toBe(fullTime(WINTER));
  });
});

describe('the burst detector\'s reason names the brand\'s zone', () => {
  const london = createDetector({ timeZone: 'Europe/London' }).config;
  it('GMT in winter, BST in summer: the time the reason states is read in the zone it names', () => {
    const mondayWinter = Date.UTC(2026, 11, 7, 10, 30); // Monday 10:30 GMT
    const mondaySummer = Date.UTC(2026, 6, 6, 9, 30); // Monday 10:30 BST
    expect(burstReason(42, 6.7, mondayWinter, london)).toBe('42 mentions in 5 min, 6.3× the usual 6.7 for Monday 10:30 GMT');
    expect(burstReason(11, 0, mondaySummer, london)).toBe('11 mentions in 5 min; usually none for Monday 10:30 BST');
  });

  it('a fixed offset is named as one', () => {
    const t = Date.UTC(2026, 11, 7, 10, 30);
    expect(describeSlot(t, 0)).toBe('Monday 10:30 UTC');
    expect(describeSlot(t, -300)).toBe('Monday 05:30 UTC-05:00');
    expect(describeSlot(t, 330)).toBe('Monday 16:00 UTC+05:30');
  });
});
