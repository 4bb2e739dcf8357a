import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffErlangC } from '../src/core/staffing/erlang.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { sharedDataFile } from '../src/lib/paths.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

describe('staffing from measured volume', () => {
  let desk: TestDesk;
  let admin: Client;
  const from = '2017-10-01T00:00:00Z';
  const to = '2017-11-01T00:00:00Z';
  beforeAll(async () => {
    desk = await startDesk('sqlite');
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    await importTwcs(desk.db.store, desk.parley.services.pipeline, sharedDataFile('twcs/twcs_head5k.csv'), { brandSlug: 'acme' });
  });
  afterAll(async () => desk?.stop());

  it('plans agents per hour of week with Erlang C on the measured arrivals', async () => {
    const q = `from=${from}&to=${to}&ahtS=300&serviceLevel=0.8&answerWithinS=1800&shrinkage=0.3&maxOccupancy=0.85&concurrency=3`;
    const r = await admin.get(`/api/staffing/plan?${q}`);
    expect(r.status).toBe(200);
    expect(r.json.plan).toHaveLength(168);
    expect(r.json.arrivals_per_hour).toHaveLength(168);
    expect(r.json.totals.volume_per_week).toBeGreaterThan(0);
    // the busiest hour's advice is exactly what the Erlang C contract gives for that volume
    const busiest = r.json.plan.reduce((a: any, b: any) => (b.volume > a.volume ? b : a));
    const direct = staffErlangC({ volume: busiest.volume, intervalS: 3600, ahtS: 300 }, { serviceLevel: 0.8, answerWithinS: 1800, shrinkage: 0.3, maxOccupancy: 0.85, concurrency: 3 });
    expect(busiest.agents).toBe(direct.agents);
    expect(busiest.scheduled).toBe(direct.scheduled);
  });

  it('shows the roster gap, and simulates "two more agents" on the short hours', async () => {
    const plan = (await admin.get(`/api/staffing/plan?from=${from}&to=${to}&ahtS=600&concurrency=1&answerWithinS=600`)).json;
    const thin = plan.plan.map((h: any) => Math.max(0, h.scheduled - 2));
    expect((await admin.req('PUT', '/api/staffing/roster', { roster: thin })).status).toBe(200);
    const withGap = (await admin.get(`/api/staffing/plan?from=${from}&to=${to}&ahtS=600&concurrency=1&answerWithinS=600`)).json;
    expect(withGap.gap.shortHeadHours).toBeGreaterThan(0);
    const short: number[] = withGap.gap.shortHours;
    const body = { from, to, ahtS: 600, concurrency: 1, answerWithinS: 600, seed: 7 };
    const base = (await admin.post('/api/staffing/simulate', body)).json;
    const more = (await admin.post('/api/staffing/simulate', { ...body, adjust: [{ hours: short, delta: 2 }] })).json;
    expect(base.arrivals).toBeGreaterThan(100);
    expect(more.result.serviceLevel).toBeGreaterThan(base.result.serviceLevel);
    expect(more.result.wait.meanS).toBeLessThan(base.result.wait.meanS);
    // an hour named twice in one adjustment is one hour: the same replay as naming it once
    const twice = (await admin.post('/api/staffing/simulate', { ...body, adjust: [{ hours: [...short, ...short], delta: 2 }] })).json;
    expect(twice.result).toEqual(more.result);
  });
});
