import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { EventBus } from '../src/events/bus.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { ManualClock } from '../src/lib/clock.js';
import { sharedDataFile } from '../src/lib/paths.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { REPORTS, reportCsv, runReport } from '../src/reports/reports.js';
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

    // every CSV has its header, also over a period with nothing in it (test/api.test.ts compares
    // them with the columns of tables that have rows)
    for (const name of REPORTS) {
      const empty = reportCsv(name, await runReport(store, name, { brandId: r.brandId, from: Date.UTC(1990, 0, 1), to: Date.UTC(1990, 0, 2) }, Date.now()));
      expect(empty.split('\r\n')[0], name).toMatch(/^[a-z0-9_]+(,[a-z0-9_]+)*$/);
    }
  });
});

describeEachStore('backlog report', (get) => {
  it('counts open work now, within the team, agent, channel, network and visibility filters', async () => {
    const { store } = get();
    const now = Date.UTC(2026, 11, 3, 12, 0);
    const { createBrand, createChannelAccount, createTeam } = await import('../src/commands/setup.js');
    const brandId = await createBrand(store.db, { slug: 'backlog', name: 'Backlog' }, now);
    const x = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'BlX', driver: 'demo' }, now);
    const bsky = await createChannelAccount(store.db, { brandId, network: 'bluesky', handle: 'bl.bsky.social', driver: 'demo' }, now);
    const teamA = await createTeam(store.db, { brandId, name: 'A' }, now);
    const teamB = await createTeam(store.db, { brandId, name: 'B' }, now);
    // a deterministic spread of conversations over the dimensions, waiting 0–47 h
    const rows = Array.from({ length: 96 }, (_, i) => {
      const account = i % 3 === 0 ? bsky : x;
      return {
        brand_id: brandId, channel_account_id: account, network: account === x ? 'x' : 'bluesky', visibility: i % 4 === 0 ? 'private' : 'public',
        status: ['new', 'open', 'waiting', 'resolved'][i % 4]!, subject: `c${i}`, team_id: i % 2 ? teamA : teamB,
        created_at: now - 48 * 3600_000, updated_at: now, last_message_at: now, cycle_started_at: now - 48 * 3600_000,
        waiting_since: i % 4 === 3 ? null : now - ((i * 37) % 48) * 3600_000 - 60_000, reopened_count: 0, message_count: 1, version: 1, priority: i % 100,
      };
    });
    await store.db.insertInto('conversation').values(rows).execute();
    const filters: [string, Record<string, unknown>, (r: (typeof rows)[number]) => boolean][] = [
      ['none', {}, () => true],
      ['team', { teamId: teamA }, (r) => r.team_id === teamA],
      ['channel', { channelAccountId: bsky }, (r) => r.channel_account_id === bsky],
      ['network + visibility', { network: 'x', visibility: 'public' }, (r) => r.network === 'x' && r.visibility === 'public'],
    ];
    for (const [name, f, keep] of filters) {
      const rep: any = await runReport(store, 'backlog', { brandId, from: 0, to: 1, ...f }, now);
      const open = rows.filter((r) => keep(r) && r.status !== 'resolved');
      expect(rep.open, name).toBe(open.length);
      expect(rep.waiting, name).toBe(open.filter((r) => r.waiting_since != null).length);
      expect(rep.by_status, name).toEqual(Object.fromEntries(['new', 'open', 'waiting'].map((s) => [s, open.filter((r) => r.status === s).length]).filter(([, c]) => c)));
      expect(rep.waiting_age.reduce((s: number, b: any) => s + b.count, 0), name).toBe(rep.waiting);
      expect(rep.oldest[0]?.waiting_min ?? null, name).toBe(open.length ? Math.max(...open.filter((r) => r.waiting_since != null).map((r) => (now - r.waiting_since!) / 60_000)) : null);
    }
  });
});
