/**
 * Golden test: `parley report response-times --json` on the real TWCS head
 * reproduces the figures published in ../shared/data/README.md §1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReport } from '../src/cli/commands/report.js';
import { sharedDataFile } from '../src/lib/paths.js';
import { measureResponseTimes } from '../src/core/responseTimes.js';
import { readTwcsFile } from '../src/cli/commands/report.js';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runReport(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const tenth = (x: number) => Number(x.toFixed(1));

describe('report response-times on twcs_head5k.csv (README §1 figures)', () => {
  const file = sharedDataFile('twcs/twcs_head5k.csv');

  it('prints the contract JSON with the published overall and per-brand figures', async () => {
    const { code, out, err } = await run(['response-times', '--twcs', file, '--json']);
    expect(code).toBe(0);
    expect(err).toBe(''); // the shared file is clean
    const json = JSON.parse(out);
    expect(Object.keys(json)).toEqual(['overall', 'by_brand']);
    expect(Object.keys(json.overall)).toEqual(['n', 'median_min', 'p90_min', 'share_within_60']);
    expect(json.overall.n).toBe(1644);
    expect(tenth(json.overall.median_min)).toBe(11.3);
    expect(Math.round(json.overall.p90_min)).toBe(375);
    expect((json.overall.share_within_60 * 100).toFixed(1)).toBe('77.7');

    const published: Record<string, number> = {
      TMobileHelp: 3.1, VerizonSupport: 3.5, SouthwestAir: 4.6, AskPlayStation: 5.4, AmericanAir: 6.4,
      comcastcares: 8.0, AmazonHelp: 8.4, AppleSupport: 8.9, ChipotleTweets: 9.7, Uber_Support: 17.0,
      Delta: 19.7, SpotifyCares: 23.4, XboxSupport: 57.3, Tesco: 93.3, British_Airways: 354.5,
    };
    // README lists exactly the brands with n >= 40.
    const big = Object.entries(json.by_brand as Record<string, { n: number; median_min: number; p90_min: number }>).filter(([, s]) => s.n >= 40);
    expect(Object.fromEntries(big.map(([b, s]) => [b, tenth(s.median_min)]))).toEqual(published);
    for (const [, s] of big) expect(Object.keys(s)).toEqual(['n', 'median_min', 'p90_min']);
    // Answered tweets are split over brands without loss.
    const total = Object.values(json.by_brand as Record<string, { n: number }>).reduce((a, s) => a + s.n, 0);
    expect(total).toBe(1644);
  });

  it('matches the quartiles and inbound count behind the README figures', async () => {
    const { tweets, issues } = await readTwcsFile(file);
    expect(issues).toEqual([]);
    const r = measureResponseTimes(tweets);
    expect(r.inbound).toBe(2233);
    expect(tenth(r.overall!.p25Min)).toBe(4.8);
    expect(tenth(r.overall!.p75Min)).toBe(47.8);
    // Ties at exact arithmetic (189 s = 3.15 min, 387 s = 6.45 min) print like the README.
    expect(r.byBrand.TMobileHelp!.medianMin * 60).toBeCloseTo(189, 9);
    expect(r.byBrand.AmericanAir!.medianMin * 60).toBeCloseTo(387, 9);
  });

  it('prints a readable table without --json', async () => {
    const { code, out } = await run(['response-times', '--twcs', file, '--min-n', '40']);
    expect(code).toBe(0);
    expect(out).toContain('1,644 answered of 2,233 inbound tweets');
    expect(out).toMatch(/median 11\.3 min/);
    expect(out).toMatch(/^British_Airways\s+48\s+354\.5/m);
    expect(out).not.toMatch(/^VirginAmerica/m);
  });
});

describe('report response-times on bad input', () => {
  it('reports unusable rows by line number on stderr and measures the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-rt-'));
    const f = join(dir, 'bad.csv');
    writeFileSync(
      f,
      [
        'conversation_root,tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id',
        '1,10,555,True,Tue Oct 31 22:00:00 +0000 2017,"help, please",11,', // line 2
        '1,11,BrandCare,False,Tue Oct 31 22:12:00 +0000 2017,"multi\nline reply",,10', // lines 3-4
        '2,20,556,True,Wed Oct 31 22:00:00 +0000 2017,wrong weekday,,', // line 5
        '3,30,557,maybe,Tue Oct 31 22:00:00 +0000 2017,bad flag,,', // line 6
        '4,40,558,True,Tue Oct 31 22:00:00 +0000 2017,too,few', // line 7
        '1,11,BrandCare,False,Tue Oct 31 22:13:00 +0000 2017,dupe,,10', // line 8
        '5,50,559,True,2017-10-31 23:00:00+01:00,iso with offset,,', // line 9 (= 22:00 UTC)
        '5,51,BrandCare,False,Tue Oct 31 22:30:00 +0000 2017,reply,,50', // line 10
        '5,52,OtherCare,False,Tue Oct 31 22:20:00 +0000 2017,earlier reply,,50', // line 11
      ].join('\n') + '\n',
    );
    const { code, out, err } = await run(['response-times', '--twcs', f, '--json']).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(code).toBe(0);
    expect(err).toMatch(/line 5: created_at is not a date/);
    expect(err).toMatch(/line 6: inbound must be True or False/);
    expect(err).toMatch(/line 7: expected 8 fields, found 7/);
    expect(err).toMatch(/line 8: duplicate tweet_id 11/);
    const json = JSON.parse(out);
    expect(json.overall.n).toBe(2);
    expect(json.by_brand).toEqual({ BrandCare: { n: 1, median_min: 12, p90_min: 12 }, OtherCare: { n: 1, median_min: 20, p90_min: 20 } });
  });

  it('rejects a missing --twcs and an unknown report', async () => {
    expect((await run(['response-times'])).code).toBe(2);
    await expect(run(['no-such-report'])).rejects.toThrow(/unknown report/);
  });
});
