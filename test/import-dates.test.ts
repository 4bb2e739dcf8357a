/**
 * `parley import twcs` and `parley report response-times` read a row's `created_at` with
 * one strict parser: a date that does not exist (Feb 30, hour 25) or whose weekday does
 * not match is quarantined by the import with the report's reason ("created_at is not a
 * date: …") instead of being stored rolled over (2017-03-02, 2017-11-01 01:07), and the
 * other rows are imported. A record over 1,000,000 characters is one bad line with its
 * own line number and a capped raw text, and the lines after it keep theirs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTwcsFile } from '../src/cli/commands/report.js';
import { EventBus } from '../src/events/bus.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { parseTwcsDate, TWCS_COLUMNS } from '../src/import/twcs.js';
import { CsvParser, MAX_ERROR_RAW_CHARS, parseCsv } from '../src/lib/csv.js';
import { ManualClock } from '../src/lib/clock.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { describeEachStore } from './db.js';

const IMPOSSIBLE = ['2017-02-30 10:00:00+00:00', 'Tue Oct 31 25:07:47 +0000 2017', 'Wed Oct 31 22:10:47 +0000 2017'];

describe('parseTwcsDate (the import’s) is the report’s strict parser', () => {
  it('reads both TWCS forms with their offsets', () => {
    expect(parseTwcsDate('Tue Oct 31 22:10:47 +0000 2017')).toBe(Date.UTC(2017, 9, 31, 22, 10, 47));
    expect(parseTwcsDate('Tue Oct 31 22:10:47 +0100 2017')).toBe(Date.UTC(2017, 9, 31, 21, 10, 47));
    expect(parseTwcsDate('2017-11-07 13:21:48+00:00')).toBe(Date.UTC(2017, 10, 7, 13, 21, 48));
    expect(parseTwcsDate('2016-02-29 00:00:00Z')).toBe(Date.UTC(2016, 1, 29));
  });

  it('refuses a day that does not exist, hour 25 and a weekday that does not match, instead of rolling them over', () => {
    for (const s of IMPOSSIBLE) expect(parseTwcsDate(s), s).toBeNaN();
    expect(parseTwcsDate('2017-02-29 10:00:00+00:00')).toBeNaN();
    expect(parseTwcsDate('2017-11-07 13:60:00+00:00')).toBeNaN();
  });
});

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-import-dates-'));
  file = join(dir, 'dates.csv');
  const rows = [
    TWCS_COLUMNS.join(','),
    '10,555,True,Tue Oct 31 22:00:00 +0000 2017,@BrandCare help please,11,', // line 2
    '11,BrandCare,False,Tue Oct 31 22:12:00 +0000 2017,@555 on it,,10', // line 3
    `20,556,True,${IMPOSSIBLE[0]},@BrandCare feb thirtieth,,`, // line 4
    `21,557,True,${IMPOSSIBLE[1]},@BrandCare hour twenty-five,,`, // line 5
    `22,558,True,${IMPOSSIBLE[2]},@BrandCare wrong weekday,,`, // line 6
    '30,559,True,2017-11-07 13:21:48+00:00,@BrandCare still fine,,', // line 7
  ];
  writeFileSync(file, rows.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEachStore('parley import twcs with impossible dates', (get) => {
  it('quarantines them with the report’s reason and imports the rest with their own dates', async () => {
    const { store } = get();
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const summary = await importTwcs(store, pipeline, file, { brandSlug: 'dates' });

    // the report refuses exactly these rows, for this reason
    const report = await readTwcsFile(file);
    expect(report.issues.map((i) => i.line)).toEqual([4, 5, 6]);
    expect(summary.bad).toEqual(report.issues);
    for (const b of summary.bad) expect(b.reason).toMatch(/^created_at is not a date: "/);

    expect(summary.stored).toBe(3);
    const stored = await store.db.selectFrom('message').select(['network_message_id', 'created_at']).where('brand_id', '=', summary.brandId).orderBy('network_message_id').execute();
    expect(stored.map((m) => [m.network_message_id, m.created_at])).toEqual([
      ['10', Date.UTC(2017, 9, 31, 22, 0)],
      ['11', Date.UTC(2017, 9, 31, 22, 12)],
      ['30', Date.UTC(2017, 10, 7, 13, 21, 48)],
    ]);
    // nothing rolled over into March 2 or November 1
    expect(stored.some((m) => m.created_at === Date.UTC(2017, 2, 2, 10) || m.created_at === Date.UTC(2017, 10, 1, 1, 7, 47))).toBe(false);

    const q = await store.db.selectFrom('quarantine').select(['line', 'reason', 'raw']).where('brand_id', '=', summary.brandId).orderBy('line').execute();
    expect(q.map((r) => [r.line, r.reason])).toEqual(report.issues.map((i) => [i.line, i.reason]));
    expect(q[0]!.raw).toContain('feb thirtieth');

    // re-importing adds nothing
    const again = await importTwcs(store, pipeline, file, { brandSlug: 'dates' });
    expect(again.stored).toBe(0);
    expect(await store.db.selectFrom('quarantine').select('id').where('brand_id', '=', summary.brandId).execute()).toHaveLength(3);
  });

  it('takes a record over 1,000,000 characters as one bad line, with its number and a capped raw text', async () => {
    const { store } = get();
    const big = join(dir, 'big.csv');
    const rows = [
      TWCS_COLUMNS.join(','),
      '40,600,True,Tue Oct 31 22:00:00 +0000 2017,@BigCare first,41,', // line 2
      `42,601,True,Tue Oct 31 22:01:00 +0000 2017,"@BigCare ${'x'.repeat(1_200_000)}",,`, // line 3
      '41,BigCare,False,Tue Oct 31 22:12:00 +0000 2017,@600 on it,,40', // line 4
      '43,602,True,Tue Oct 31 22:20:00 +0000 2017,@BigCare after the big one,,', // line 5
    ];
    writeFileSync(big, rows.join('\n') + '\n');
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const summary = await importTwcs(store, pipeline, big, { brandSlug: 'big' });
    expect(summary.bad).toEqual([{ line: 3, reason: expect.stringMatching(/^record longer than 1,000,000 characters/) }]);
    expect(summary.stored).toBe(3);
    const q = await store.db.selectFrom('quarantine').select(['line', 'raw']).where('brand_id', '=', summary.brandId).execute();
    expect(q).toHaveLength(1);
    expect(q[0]!.line).toBe(3);
    expect(q[0]!.raw.length).toBeLessThan(MAX_ERROR_RAW_CHARS + 100);
    expect(q[0]!.raw.startsWith('42,601,True,')).toBe(true);
    const lines = await store.db.selectFrom('message').select(['network_message_id', 'raw']).where('brand_id', '=', summary.brandId).orderBy('network_message_id').execute();
    expect(lines.map((m) => [m.network_message_id, JSON.parse(m.raw as string).line])).toEqual([['40', 2], ['41', 4], ['43', 5]]);
  });
});

describe('CSV records over 1,000,000 characters', () => {
  const big = 'x'.repeat(1_200_000);
  const cases: [string, string][] = [
    ['a quoted field', `a,b,c\n1,"${big}",3\n4,5,6\n7,8,9\n`],
    ['an unquoted field', `a,b,c\n1,${big},3\n4,5,6\n7,8,9\n`],
  ];
  for (const [what, text] of cases) {
    it(`${what}: one error on its own line, whatever the chunking, and the next lines keep their numbers`, () => {
      const whole = parseCsv(text, { headerFieldCount: true });
      for (const size of [1 << 20, 65_536, 999_999]) {
        const p = new CsvParser({ headerFieldCount: true });
        const items = [];
        for (let i = 0; i < text.length; i += size) items.push(...p.push(text.slice(i, i + size)));
        items.push(...p.end());
        expect(items, `chunks of ${size}`).toEqual(whole);
      }
      expect(whole.map((i) => [i.kind, i.line])).toEqual([['record', 1], ['error', 2], ['record', 3], ['record', 4]]);
      expect(whole[1]!.raw.length).toBeLessThan(MAX_ERROR_RAW_CHARS + 100);
      expect(whole[2]).toMatchObject({ fields: ['4', '5', '6'], line: 3 });
    });
  }
});
