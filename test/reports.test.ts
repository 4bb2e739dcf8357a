import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { EventBus } from '../src/events/bus.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { ManualClock } from '../src/lib/clock.js';
import { sharedDataFile } from '../src/lib/paths.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { reportCsv, runReport } from '../src/reports/reports.js';
import { describeEachStore } from './db.js';

const round1 = (x: number | null) => (x == null ? null : Number(x.toFixed(1)));

describeEachStore('reports after a TWCS import', (get) => {
  it('reproduce the response-time CLI figures exactly (overall and per brand)', async () => {
    const { store } = get();
    const file = sharedDataFile('twcs/twcs_head5k.csv');
    const r = await importTwcs(store, new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(Date.UTC(2026, 0, 1)) }), file, { brandSlug: 'twcs' });
    const cli = JSON.parse(execFileSync(process.execPath, ['bin/parley.js', 'report', 'response-times', '--twcs', file, '--json'], { encoding: 'utf8' }));
    const rep: any = await runReport(store, 'reply-time', { brandId: r.brandId }, Date.now());
    expect(rep.overall.n).toBe(cli.overall.n);
    expect(rep.overall.n).toBe(1644);
    expect(round1(rep.overall.median_min)).toBe(cli.overall.median_min);
    expect(round1(rep.overall.median_min)).toBe(11.3);
    expect(round1(rep.overall.p90_min)).toBe(cli.overall.p90_min);
    expect(Number(rep.overall.share_within_60.toFixed(3))).toBe(cli.overall.share_within_60);
    const byHandle = new Map(rep.by_channel_account.map((a: any) => [a.handle, a]));
    for (const [brand, v] of Object.entries<any>(cli.by_brand)) {
      const mine: any = byHandle.get(brand);
      expect(mine, brand).toBeDefined();
      expect([brand, mine.n, round1(mine.median_min), round1(mine.p90_min)]).toEqual([brand, v.n, v.median_min, v.p90_min]);
    }
    expect(round1((byHandle.get('British_Airways') as any).median_min)).toBe(354.5);
    const vol: any = await runReport(store, 'volume', { brandId: r.brandId }, Date.now());
    expect(vol.total).toBeGreaterThan(2000);
    expect(vol.by_hour_of_week).toHaveLength(168);
    const csv = reportCsv('reply-time', rep);
    expect(csv.split('\r\n')[0]).toContain('median_min');
  });
});
