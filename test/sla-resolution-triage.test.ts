/**
 * The resolution clock follows triage like the response clocks: a conversation the customer
 * began with nothing that needs an answer (spam, a troll) has no resolution clock — no
 * deadline, no warning, no breach, not overdue, not in the SLA report — and a triage that
 * later says it needs an answer brings the clock back from the cycle's start (breached at
 * once when the target is already past). A correction to spam withdraws a resolution breach
 * already announced (fact, report, notices). A real case whose follow-up needs no answer keeps
 * its resolution clock. The pure rule first, then the desk on both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactSlaTimeline, DEFAULT_SLA_POLICY, evaluateSla, type SlaEvent } from '../src/core/sla.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, markerTriage, mention, pendingSlaTimer, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T = Date.UTC(2026, 10, 17, 10, 0);

describe('evaluateSla: the resolution clock of a cycle that needs no answer', () => {
  const conv = (events: SlaEvent[], needsResponse: boolean, withdrawnWaits?: number[]) => ({ visibility: 'public' as const, priority: 0, events, needsResponse, withdrawnWaits });

  it('spam has no resolution clock: no deadline, never breached, no timer', () => {
    const ev = evaluateSla(DEFAULT_SLA_POLICY, conv([{ type: 'inbound', at: T }], false), T + 30 * HOUR);
    expect(ev.resolution).toBeNull();
    expect(ev.history).toEqual([]);
    expect(ev.nextChangeAt).toBeNull();
    expect(ev.withdrawn.find((c) => c.metric === 'resolution')).toMatchObject({ startedAt: T, state: 'breached' });
    // resolved by an agent: still neither met nor breached
    const resolved = evaluateSla(DEFAULT_SLA_POLICY, conv([{ type: 'inbound', at: T }, { type: 'status', at: T + 30 * HOUR, status: 'resolved' }], false), T + 31 * HOUR);
    expect(resolved.resolution).toBeNull();
    expect(resolved.history).toEqual([]);
  });

  it('triage that says it needs an answer brings it back from the start of the cycle, like a response clock', () => {
    const events: SlaEvent[] = [{ type: 'inbound', at: T }];
    const early = evaluateSla(DEFAULT_SLA_POLICY, conv(events, true), T + 20 * HOUR);
    expect(early.resolution).toMatchObject({ startedAt: T, dueAt: T + 24 * HOUR, state: 'warning' });
    const late = evaluateSla(DEFAULT_SLA_POLICY, conv(events, true), T + 30 * HOUR);
    expect(late.resolution).toMatchObject({ startedAt: T, dueAt: T + 24 * HOUR, state: 'breached' });
    // a troll answered anyway, then a real question from the same customer: the cycle's clock runs from its start
    const troll: SlaEvent[] = [{ type: 'inbound', at: T }, { type: 'outbound', at: T + 10 * MIN }, { type: 'inbound', at: T + 2 * HOUR }];
    expect(evaluateSla(DEFAULT_SLA_POLICY, conv(troll, true, [T]), T + 3 * HOUR).resolution).toMatchObject({ startedAt: T, state: 'active' });
    expect(evaluateSla(DEFAULT_SLA_POLICY, conv(troll, false, [T]), T + 3 * HOUR).resolution).toBeNull();
  });

  it('a real case whose follow-up needs no answer keeps its resolution clock', () => {
    const events: SlaEvent[] = [{ type: 'inbound', at: T }, { type: 'outbound', at: T + 10 * MIN }, { type: 'inbound', at: T + 20 * MIN }];
    const ev = evaluateSla(DEFAULT_SLA_POLICY, conv(events, false), T + 25 * HOUR);
    expect(ev.resolution).toMatchObject({ startedAt: T, state: 'breached' });
    expect(ev.withdrawn.map((c) => c.metric)).toEqual(['next_response']);
  });

  it('gives the same resolution clock on the shortened timeline (what the workflow carries)', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 300; n++) {
      const events: SlaEvent[] = [];
      let at = T;
      for (let i = 0, len = 2 + Math.floor(rnd() * 14); i < len; i++) {
        at += Math.floor(rnd() * 90) * MIN;
        const r = rnd();
        if (r < 0.5) events.push({ type: 'inbound', at });
        else if (r < 0.85) events.push({ type: 'outbound', at });
        else events.push({ type: 'status', at, status: rnd() < 0.5 ? 'resolved' : 'open' });
      }
      const now = at + Math.floor(rnd() * 30) * HOUR;
      const short = compactSlaTimeline(events, now).events;
      const withdrawnWaits = events.filter((e) => e.type === 'inbound' && rnd() < 0.5).map((e) => e.at);
      for (const needs of [true, false]) {
        const a = evaluateSla(DEFAULT_SLA_POLICY, conv(events, needs, withdrawnWaits), now);
        const b = evaluateSla(DEFAULT_SLA_POLICY, conv(short, needs, withdrawnWaits), now);
        expect([b.resolution, b.withdrawn.filter((c) => c.metric === 'resolution'), b.nextChangeAt]).toEqual([a.resolution, a.withdrawn.filter((c) => c.metric === 'resolution'), a.nextChangeAt]);
      }
    }
  });
});

const triage = markerTriage;

for (const dialect of DIALECTS) {
  describe(`the resolution clock follows triage [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    let cleo: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false, triage });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
    });
    afterAll(async () => desk?.stop());

    let n = 0;
    const ingest = async (text: string) => {
      n++;
      const m = mention({ author: { networkUserId: `res-${n}`, handle: `res${n}`, displayName: `Res ${n}`, followers: 10 }, text: `@AcmeCare ${text}`, createdAt: clock.now() });
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0];
      return { conversationId: o.conversationId as number, messageId: o.messageId as number };
    };
    const conv = async (id: number) => (await ana.get(`/api/conversations/${id}`)).json.conversation;
    const clocks = async (id: number) => (await ana.get(`/api/conversations/${id}/sla`)).json.items as { metric: string; state: string; startedAt: string }[];
    const resolutionFacts = async (id: number) =>
      (await desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'data']).where('conversation_id', '=', id).where('kind', 'like', 'sla_%').execute())
        .filter((f) => JSON.parse(String(f.data)).clock === 'resolution').map((f) => f.kind);
    const overdue = async () => (await ana.get('/api/conversations?view=all&dueWithinMin=0&limit=200')).json.items.map((c: any) => c.id) as number[];
    const report = async () => (await admin.get(`/api/reports/sla?from=${new Date(T - 86_400_000).toISOString()}&to=${new Date(T + 7 * 86_400_000).toISOString()}`)).json;
    const resolutionNotices = async (id: number) => (await cleo.get('/api/notifications')).json.items.filter((x: any) => x.conversationId === id && x.kind.startsWith('sla.') && /resolution/.test(x.title));
    const runTimers = async () => {
      const ids = await desk.db.store.db.selectFrom('conversation').select('id').where('brand_id', '=', desk.brandId).execute();
      await desk.parley.services.workflow.refreshSlaMany(ids.map((r) => Number(r.id)));
    };
    const correct = (messageId: number, labels: Record<string, string>) => ana.post(`/api/messages/${messageId}/triage`, labels);
    async function eventually<V>(fn: () => Promise<V | null | undefined | false>, what: string): Promise<V> {
      const end = Date.now() + 5000;
      for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    it('spam left for a day and more: no resolution clock, no warning, no breach, not overdue, not in the report', async () => {
      const start = clock.now();
      const spam = await ingest('cheap followers at spam.example #spam');
      expect(await clocks(spam.conversationId)).toEqual([]);
      expect(await pendingSlaTimer(desk, spam.conversationId)).toBeNull();
      for (const h of [18, 24, 30]) {
        clock.set(start + h * HOUR);
        await runTimers();
      }
      const c = await conv(spam.conversationId);
      expect([c.slaState, c.slaDueAt]).toEqual([null, null]);
      expect(await resolutionFacts(spam.conversationId)).toEqual([]);
      expect(await resolutionNotices(spam.conversationId)).toEqual([]);
      expect(await overdue()).not.toContain(spam.conversationId);
      expect((await report()).breached).toBe(0);
    });

    it('a correction to spam withdraws a resolution breach (fact, report, notices); back to respond it is breached again, once', async () => {
      const start = clock.now();
      const o = await ingest('my refund never arrived');
      for (const h of [0.5, 18, 24]) {
        clock.set(start + h * HOUR);
        await runTimers();
      }
      expect(await resolutionFacts(o.conversationId)).toEqual(['sla_breached']);
      expect((await resolutionNotices(o.conversationId)).map((x: any) => [x.kind, x.read])).toEqual([['sla.breached', false], ['sla.warning', false]]);
      const breached = (await report()).breached;

      clock.set(start + 25 * HOUR);
      expect((await correct(o.messageId, { category: 'spam' })).status).toBe(200);
      await eventually(async () => (await conv(o.conversationId)).slaState === null, 'the clocks withdrawn');
      expect(await clocks(o.conversationId)).toEqual([]);
      expect(await resolutionFacts(o.conversationId)).toEqual([]);
      expect((await report()).breached).toBe(breached - 2); // its first-response and resolution breaches
      expect((await resolutionNotices(o.conversationId)).every((x: any) => x.read)).toBe(true);
      expect(await overdue()).not.toContain(o.conversationId);
      expect(await pendingSlaTimer(desk, o.conversationId)).toBeNull();
      clock.set(start + 40 * HOUR);
      await runTimers();
      expect(await resolutionFacts(o.conversationId)).toEqual([]);

      expect((await correct(o.messageId, { action: 'respond', category: 'customer_service' })).status).toBe(200);
      const back = await eventually(async () => (await clocks(o.conversationId)).find((x) => x.metric === 'resolution'), 'the resolution clock back');
      expect(back).toMatchObject({ state: 'breached', startedAt: new Date(start).toISOString() });
      expect(await resolutionFacts(o.conversationId)).toEqual(['sla_breached']);
      expect((await report()).breached).toBe(breached);
      await runTimers();
      expect(await resolutionFacts(o.conversationId)).toEqual(['sla_breached']);
    });

    it('a troll triaged to respond before the target: the resolution clock is back from the first message and breaches on time', async () => {
      const start = clock.now();
      const o = await ingest('you lot are useless #troll');
      expect(await clocks(o.conversationId)).toEqual([]);
      clock.set(start + 2 * HOUR);
      expect((await correct(o.messageId, { action: 'respond' })).status).toBe(200);
      const back = await eventually(async () => (await clocks(o.conversationId)).find((x) => x.metric === 'resolution'), 'the resolution clock back');
      expect(back).toMatchObject({ state: 'active', startedAt: new Date(start).toISOString() });
      clock.set(start + 24 * HOUR);
      await runTimers();
      expect(await resolutionFacts(o.conversationId)).toEqual(['sla_breached']);
    });
  });
}
