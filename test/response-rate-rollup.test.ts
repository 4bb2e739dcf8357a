/**
 * The response rate over rollups: for any period and filter, `answered` is exactly the messages
 * that arrived in the selection, needed a response and got one (`needed` the ones that needed
 * one), by the local day they arrived — never more answered than needed on any day, whenever
 * the answers went out. Facts written in batches as the desk writes them (an answer in the same
 * batch as its message, or later), then rebuilt, re-filed by a correction, and retracted.
 */
import { expect, it } from 'vitest';
import { createBrand, createChannelAccount, createTeam, createUser } from '../src/commands/setup.js';
import { runReport, type ReportFilter } from '../src/reports/reports.js';
import { factRow } from '../src/store/facts.js';
import { rebuildRollups, retractFactsOfMessage, rewriteFacts, writeFacts, type Fact } from '../src/store/rollup.js';
import { localParts } from '../src/lib/tz.js';
import { describeEachStore } from './db.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 5, 7, 13); // a Monday morning, not on a day boundary
const TZ = 'America/New_York';

function rng(seed: number) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

describeEachStore('response rate over rollups', (get) => {
  it('counts the answered share of each selection\'s own arrivals, for any period and filter', async () => {
    const { store } = get();
    const now = T0 + 20 * DAY;
    const brandId = await createBrand(store.db, { slug: 'rr', name: 'RR', timezone: TZ }, now);
    const accounts = [await createChannelAccount(store.db, { brandId, network: 'x', handle: 'RrX', driver: 'demo' }, now), await createChannelAccount(store.db, { brandId, network: 'mastodon', handle: 'RrM', driver: 'demo' }, now)];
    const teams = [await createTeam(store.db, { brandId, name: 'A' }, now), await createTeam(store.db, { brandId, name: 'B' }, now)];
    const agents: number[] = [];
    for (let i = 0; i < 3; i++) agents.push(await createUser(store.db, { brandId, email: `a${i}@rr.test`, name: `Agent ${i}`, role: 'agent', password: null }, now));
    const r = rng(11);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    /** Each message: its arrival, and maybe an answer (up to two days later). */
    const messages = Array.from({ length: 1200 }, (_, i) => {
      const acct = pick([0, 1]);
      const at = T0 + Math.floor(r() * 14 * DAY);
      const dims = {
        brandId, timezone: TZ, conversationId: i + 1, messageId: i + 1, agentId: r() < 0.3 ? pick(agents) : null, teamId: pick(teams), channelAccountId: accounts[acct]!,
        network: acct ? 'mastodon' : 'x', visibility: pick(['public', 'private']), priority: 10, category: pick(['customer_service', 'brand']),
      };
      const needs = r() < 0.1 ? null : r() < 0.75;
      const inbound = factRow({ ...dims, needsResponse: needs, sentiment: pick(['negative', 'neutral']) }, 'inbound', at, null, null, null);
      const replyAt = r() < 0.6 ? at + Math.floor(r() * 2 * DAY) : null;
      const response = replyAt == null ? null : factRow({ ...dims, agentId: pick(agents), needsResponse: needs }, 'message_response', replyAt, at, replyAt, null);
      return { id: i + 1, at, inbound, response };
    });
    // in time order, 200 events a transaction: an answer lands in its message's batch or a later one
    const events = messages.flatMap((m) => [{ at: m.at, f: m.inbound }, ...(m.response ? [{ at: m.response.occurred_at, f: m.response }] : [])]).sort((a, b) => a.at - b.at);
    for (let i = 0; i < events.length; i += 200) await store.db.transaction().execute((trx) => writeFacts(trx, store, events.slice(i, i + 200).map((e) => e.f)));

    const filters: ReportFilter[] = [
      { brandId },
      { brandId, from: T0 + 2 * DAY + 5 * 3600_000 + 17, to: T0 + 9 * DAY - 3 * 3600_000 },
      { brandId, from: T0 + 3 * DAY + 3600_000, to: T0 + 3 * DAY + 5 * 3600_000 },
      { brandId, teamId: teams[1], network: 'x' },
      { brandId, agentId: agents[2], from: T0 + 4 * DAY + 1 },
      { brandId, visibility: 'private', to: T0 + 6 * DAY + 1234 },
    ];
    const inSelection = (f: ReportFilter, x: Fact) => (f.from == null || x.occurred_at >= f.from) && (f.to == null || x.occurred_at < f.to)
      && (f.teamId == null || x.team_id === f.teamId) && (f.agentId == null || x.agent_id === f.agentId) && (f.network == null || x.network === f.network) && (f.visibility == null || x.visibility === f.visibility);

    const check = async (live: typeof messages) => {
      const out: unknown[] = [];
      for (const f of filters) {
        const mine = live.filter((m) => inSelection(f, m.inbound) && m.inbound.needs_response === 1);
        const byDay = new Map<string, { needed: number; answered: number }>();
        for (const m of mine) {
          const d = byDay.get(m.inbound.day) ?? { needed: 0, answered: 0 };
          d.needed++;
          if (m.response) d.answered++;
          byDay.set(m.inbound.day, d);
        }
        const rate: any = await runReport(store, 'response-rate', f, now);
        expect(rate.needed, JSON.stringify(f)).toBe(mine.length);
        expect(rate.answered, JSON.stringify(f)).toBe(mine.filter((m) => m.response).length);
        expect(rate.untriaged).toBe(live.filter((m) => inSelection(f, m.inbound) && m.inbound.needs_response == null).length);
        expect(rate.by_day.map((d: any) => [d.day, d.needed, d.answered])).toEqual([...byDay].sort((a, b) => a[0].localeCompare(b[0])).map(([day, d]) => [day, d.needed, d.answered]));
        for (const d of rate.by_day) expect(d.answered).toBeLessThanOrEqual(d.needed);
        out.push(rate);
      }
      return out;
    };
    // days are the brand's (New York), of the arrival
    expect(messages[0]!.inbound.day).toBe(localParts(TZ, messages[0]!.at).day);
    const before = await check(messages);
    await rebuildRollups(store, brandId);
    expect(await check(messages)).toEqual(before);

    // a correction re-files a message's facts (arrival, answer's twin, answer): it no longer needs a response
    const corrected = messages.filter((m) => m.inbound.needs_response === 1 && m.response).slice(0, 40);
    for (const m of corrected) {
      await store.db.transaction().execute(async (trx) => {
        const rows = await trx.selectFrom('reporting_fact').selectAll().where('message_id', '=', m.id).execute();
        expect(rows.map((x) => x.kind).sort()).toEqual(['inbound', 'message_answered', 'message_response']);
        await rewriteFacts(trx, store, rows, { needs_response: 0 });
      });
      m.inbound.needs_response = 0;
    }
    const afterCorrection = await check(messages);
    await rebuildRollups(store, brandId);
    expect(await check(messages)).toEqual(afterCorrection);

    // retracting a message's facts takes its arrival and its answer out of every selection
    const gone = new Set(messages.filter((_, i) => i % 10 === 0).map((m) => m.id));
    for (const id of gone) await store.db.transaction().execute((trx) => retractFactsOfMessage(trx, store, id));
    await check(messages.filter((m) => !gone.has(m.id)));
  }, 120_000);
});
