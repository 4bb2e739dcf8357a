/**
 * Reports read daily rollups plus the raw facts of the partial days at the
 * period's edges. Whatever the period and filter, counts must equal a plain
 * count over the facts; percentiles from histograms stay within their 2 %
 * buckets; a rebuild gives the same rollups; retracted facts leave no trace.
 */
import { expect, it } from 'vitest';
import { createBrand, createChannelAccount, createTeam, createUser } from '../src/commands/setup.js';
import { durationStats, histStats, runReport, type ReportFilter } from '../src/reports/reports.js';
import { factRow } from '../src/store/facts.js';
import { bucketOf, rebuildRollups, retractFactsOfMessage, writeFacts, type Fact } from '../src/store/rollup.js';
import { describeEachStore } from './db.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 5, 7, 13); // a Monday morning, not on a day boundary

/** A deterministic pseudo-random stream. */
function rng(seed: number) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

it('histogram percentiles stay within a 2 % bucket of the exact ones', () => {
  const r = rng(7);
  const secs = Array.from({ length: 5000 }, () => Math.exp(r() * 10));
  const h: Record<string, number> = {};
  for (const s of secs) h[bucketOf(s)] = (h[bucketOf(s)] ?? 0) + 1;
  const exact = durationStats(secs.map((s) => s / 60));
  const approx = histStats(h);
  expect(approx.n).toBe(exact.n);
  expect(approx.exact).toBe(false);
  for (const k of ['median_min', 'p25_min', 'p75_min', 'p90_min'] as const) expect(Math.abs(approx[k]! / exact[k]! - 1), k).toBeLessThan(0.021);
});

describeEachStore('reports over rollups', (get) => {
  it('count exactly what the facts say, for any period and filter, and survive rebuild and retraction', async () => {
    const { store } = get();
    const now = T0 + 20 * DAY;
    const brandId = await createBrand(store.db, { slug: 'roll', name: 'Roll' }, now);
    const accounts = [await createChannelAccount(store.db, { brandId, network: 'x', handle: 'RollX', driver: 'demo' }, now), await createChannelAccount(store.db, { brandId, network: 'mastodon', handle: 'RollM', driver: 'demo' }, now)];
    const teams = [await createTeam(store.db, { brandId, name: 'A' }, now), await createTeam(store.db, { brandId, name: 'B' }, now)];
    const agents: number[] = [];
    for (let i = 0; i < 4; i++) agents.push(await createUser(store.db, { brandId, email: `a${i}@roll.test`, name: `Agent ${i}`, role: 'agent', password: null }, now));
    const r = rng(42);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const facts: Fact[] = [];
    for (let i = 0; i < 2500; i++) {
      const kind = pick(['inbound', 'inbound', 'first_response', 'message_response', 'next_response', 'resolution', 'accolade', 'sla_met', 'sla_breached']);
      const at = T0 + Math.floor(r() * 14 * DAY);
      const acct = pick([0, 1]);
      const measured = ['first_response', 'message_response', 'next_response', 'resolution'].includes(kind);
      const wait = measured ? Math.floor(30 + r() * 20_000) * 1000 : 0;
      facts.push(factRow({
        brandId, timezone: 'Europe/Berlin', conversationId: i, messageId: i + 1, agentId: kind === 'inbound' ? null : pick(agents), teamId: pick(teams), channelAccountId: accounts[acct]!,
        network: acct ? 'mastodon' : 'x', visibility: pick(['public', 'private']), priority: 10, category: pick(['customer_service', 'brand', 'spam']),
        needsResponse: kind === 'inbound' || kind === 'message_response' ? r() < 0.7 : null, sentiment: kind === 'inbound' ? pick(['negative', 'neutral', 'positive']) : null,
      }, kind, at, measured ? at - wait : null, measured ? at : null, measured ? (a, b) => (b - a) / 2000 : null, kind.startsWith('sla_') ? { clock: pick(['first_response', 'resolution']) } : undefined));
    }
    // written in several transactions, as the desk does
    for (let i = 0; i < facts.length; i += 300) await store.db.transaction().execute((trx) => writeFacts(trx, store, facts.slice(i, i + 300)));

    const filters: ReportFilter[] = [
      { brandId },
      { brandId, from: T0 + 2 * DAY + 5 * 3600_000 + 17, to: T0 + 9 * DAY - 3 * 3600_000 }, // partial days at both edges
      { brandId, from: T0 + 3 * DAY + 3600_000, to: T0 + 3 * DAY + 5 * 3600_000 }, // inside one day
      { brandId, teamId: teams[1], network: 'x' },
      { brandId, agentId: agents[2], from: T0 + 4 * DAY + 1 },
      { brandId, visibility: 'private', to: T0 + 6 * DAY + 1234, business: true },
    ];
    const inRange = (f: ReportFilter, x: Fact) => x.brand_id === brandId && (f.from == null || x.occurred_at >= f.from) && (f.to == null || x.occurred_at < f.to)
      && (f.teamId == null || x.team_id === f.teamId) && (f.agentId == null || x.agent_id === f.agentId) && (f.network == null || x.network === f.network) && (f.visibility == null || x.visibility === f.visibility);

    const snapshot = async (live: Fact[]) => {
      const out: unknown[] = [];
      for (const f of filters) {
        const sel = live.filter((x) => inRange(f, x));
        const of = (k: string) => sel.filter((x) => x.kind === k);
        const vol: any = await runReport(store, 'volume', f, now);
        expect(vol.total).toBe(of('inbound').length);
        const heat = new Array(168).fill(0);
        for (const x of of('inbound')) heat[x.hour_of_week]++;
        expect(vol.by_hour_of_week).toEqual(heat);
        const rate: any = await runReport(store, 'response-rate', f, now);
        expect(rate.needed).toBe(of('inbound').filter((x) => x.needs_response === 1).length);
        const answeredIds = new Set(live.filter((x) => x.kind === 'message_response').map((x) => x.message_id));
        expect(rate.answered).toBe(of('inbound').filter((x) => x.needs_response === 1 && answeredIds.has(x.message_id)).length);
        const sla: any = await runReport(store, 'sla', f, now);
        expect([sla.met, sla.breached]).toEqual([of('sla_met').length, of('sla_breached').length]);
        const trends: any = await runReport(store, 'trends', f, now);
        const neg = trends.sentiment.reduce((s: number, d: any) => s + d.negative, 0);
        expect(neg).toBe(of('inbound').filter((x) => x.sentiment === 'negative').length);
        // every day has every column (0 where none arrived): no holes in the table or its CSV
        for (const table of [trends.sentiment, trends.category]) {
          const keys = new Set(table.flatMap((d: any) => Object.keys(d)));
          for (const d of table) expect(Object.keys(d).sort()).toEqual([...keys].sort());
        }
        const people: any = await runReport(store, 'agents', f, now);
        for (const a of agents) {
          const row = people.rows.find((p: any) => p.id === a);
          const resolutions = of('resolution').filter((x) => x.agent_id === a).length;
          expect(row?.resolutions ?? 0, `agent ${a}`).toBe(resolutions);
        }
        // exact percentiles, and the histogram path within a bucket of them
        const exact: any = await runReport(store, 'first-response', f, now);
        const secs = of('first_response').map((x) => (f.business ? x.business_s : x.value_s)!);
        expect(exact.overall).toEqual(durationStats(secs.map((s) => s / 60)));
        const approx: any = await runReport(store, 'first-response', { ...f, exactLimit: 0 }, now);
        expect(approx.overall.n).toBe(secs.length);
        if (secs.length) {
          expect(approx.overall.exact).toBe(false);
          expect(Math.abs(approx.overall.median_min / exact.overall.median_min - 1), JSON.stringify({ f, exact: exact.overall, approx: approx.overall })).toBeLessThan(0.021);
        }
        out.push(vol, rate, sla, trends, people, exact, approx);
      }
      return out;
    };
    const before = await snapshot(facts);

    await rebuildRollups(store, brandId);
    expect(await snapshot(facts)).toEqual(before);

    // retracting a message's facts (a duplicate echo being replaced) removes them from every report
    const gone = new Set(facts.filter((_, i) => i % 10 === 0).map((x) => x.message_id!));
    for (const id of gone) await store.db.transaction().execute((trx) => retractFactsOfMessage(trx, store, id));
    await snapshot(facts.filter((x) => !gone.has(x.message_id!)));
  }, 120_000);
});
