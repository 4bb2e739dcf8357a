import { describe, expect, it } from 'vitest';
import { localParts } from './tz.js';

/** The same parts straight from Intl, for comparison. */
const fmts = new Map<string, Intl.DateTimeFormat>();
function direct(tz: string, t: number) {
  let f = fmts.get(tz);
  if (!f) fmts.set(tz, (f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' })));
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  const wd = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday!);
  return { hourOfWeek: wd * 24 + Number(p.hour), day: `${p.year}-${p.month}-${p.day}` };
}

describe('localParts', () => {
  it('agrees with Intl every few minutes around DST changes and in half- and quarter-hour zones (the quarter-hour cache is exact)', () => {
    const zones = ['Europe/London', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Australia/Adelaide', 'America/St_Johns', 'Pacific/Chatham', 'UTC'];
    // 2026 DST changes: London 29 Mar / 25 Oct, New York 8 Mar / 1 Nov, Lord Howe (half-hour DST) 5 Apr / 4 Oct, Chatham 5 Apr / 27 Sep
    const days = [Date.UTC(2026, 2, 29), Date.UTC(2026, 9, 25), Date.UTC(2026, 2, 8), Date.UTC(2026, 10, 1), Date.UTC(2026, 3, 4), Date.UTC(2026, 9, 3), Date.UTC(2026, 8, 26)];
    let checked = 0;
    for (const tz of zones) {
      for (const d of days) {
        for (let t = d - 12 * 3600_000; t < d + 36 * 3600_000; t += 7 * 60_000 + 7_000) {
          expect(localParts(tz, t), `${tz} ${new Date(t).toISOString()}`).toEqual(direct(tz, t));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20_000);
  });

  it('computes instants before 1980 directly (historical offsets were not quarter hours)', () => {
    const t = Date.UTC(1937, 0, 1, 12, 10); // Amsterdam was UTC+0:19:32
    expect(localParts('Europe/Amsterdam', t)).toEqual(direct('Europe/Amsterdam', t));
    expect(localParts('Europe/Amsterdam', t - 30 * 60_000)).toEqual(direct('Europe/Amsterdam', t - 30 * 60_000));
  });
});
