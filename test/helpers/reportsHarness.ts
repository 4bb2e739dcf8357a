/**
 * What the removed-reply and reply-shown-again report tests do on a desk on a manual clock: read
 * a report over a whole UTC day (from the rollups) and over part of it (from the raw facts) and
 * require both to agree; let a customer write; send the desk's reply through the outbox; check
 * every rollup count against its facts.
 */
import { expect } from 'vitest';
import type { ManualClock } from '../../src/lib/clock.js';
import { mention, type Client, type TestDesk } from './parley.js';

const MIN = 60_000;
const DAY = 86_400_000;

export function reportsHarness(get: () => { desk: TestDesk; clock: ManualClock; ana: Client }) {
  const store = () => get().desk.db.store;
  /** A report over a whole UTC day (from the rollups) and over a partial one (from the raw facts): they must agree. */
  async function report(name: string, day: number): Promise<any> {
    const { ana } = get();
    const q = (from: number, to: number) => `/api/reports/${name}?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const whole = await ana.get(q(day, day + DAY));
    const partial = await ana.get(q(day + 60 * MIN, day + 23 * 60 * MIN));
    expect(whole.status).toBe(200);
    expect(partial.status).toBe(200);
    const strip = (r: any) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'exact' ? undefined : v)));
    expect(strip(partial.json)).toEqual(strip(whole.json));
    return whole.json;
  }
  /** A customer's post now (in reply to a post, when given), through the pipeline. */
  const customerWrites = async (text: string, inReplyToNetworkId?: string) => {
    const { desk, clock } = get();
    const m = mention({ text, createdAt: clock.now(), ...(inReplyToNetworkId ? { inReplyToNetworkId } : {}) });
    const [o] = await desk.parley.services.pipeline.ingest(desk.brandId, [{ channelAccountId: desk.accountId, source: 'network', message: m }]);
    await desk.parley.services.workflow.idle();
    return { conversationId: (o as { conversationId: number }).conversationId, networkMessageId: m.networkMessageId };
  };
  /** Ana's reply, sent through the outbox. */
  const replyFromDesk = async (conversationId: number, text: string) => {
    const { desk, ana } = get();
    const r = await ana.post(`/api/conversations/${conversationId}/replies`, { text });
    expect(r.status).toBe(202);
    expect(await desk.parley.services.outbox.runOnce()).toBe(1);
    await desk.parley.services.workflow.idle();
    const m = await store().db.selectFrom('message').select(['id', 'network_message_id', 'status']).where('id', '=', r.json.message.id).executeTakeFirstOrThrow();
    expect(m.status).toBe('sent');
    return { id: Number(m.id), networkMessageId: m.network_message_id! };
  };
  /** Every rollup count equals its facts' count, per kind. */
  async function rollupsMatchFacts() {
    const brandId = get().desk.brandId;
    const facts = await store().db.selectFrom('reporting_fact').select(['kind']).select((eb) => eb.fn.countAll<number>().as('n')).where('brand_id', '=', brandId).groupBy('kind').execute();
    const rolled = await store().db.selectFrom('fact_rollup').select(['kind']).select((eb) => eb.fn.sum<number>('n').as('n')).where('brand_id', '=', brandId).groupBy('kind').execute();
    const asMap = (rows: { kind: string; n: number }[]) => Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]).filter(([, n]) => n !== 0));
    expect(asMap(rolled)).toEqual(asMap(facts));
  }
  return { store, report, customerWrites, replyFromDesk, rollupsMatchFacts };
}
