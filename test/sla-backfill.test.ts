/**
 * A channel's backfill counts from when the desk first saw it: a mention the first sync fetches
 * from before the desk listened (source `backfill`), two days old but under the week that makes
 * it history, is open work whose SLA clocks start at its receipt — not breached on arrival (no
 * `sla_breached` fact, no breach notice), due one target after the receipt, and still so when
 * the clocks are worked out again from the stored messages (a timer, a policy change). Its first
 * response is reported from the receipt. A live mention is counted as before, from when it was
 * written. Through the real ingest pipeline and workflow on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import type { IngestItem } from '../src/pipeline/ingest.js';
import { responseTimeReport } from '../src/reports/reports.js';
import { DIALECTS } from './db.js';
import { Client, mention, pendingSlaTimer, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);
const BRAND = { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 };
const iso = (t: number) => new Date(t).toISOString();

for (const dialect of DIALECTS) {
  describe(`a backfilled mention counts from its receipt [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    let n = 0;
    const customer = () => ({ networkUserId: `bf-${dialect}-${++n}`, handle: `bfcustomer${n}`, displayName: `Customer ${n}`, followers: 10 });
    const ingest = async (source: IngestItem['source'], ...ms: ReturnType<typeof mention>[]) => {
      const outcomes = await desk.parley.services.pipeline.ingest(desk.brandId, ms.map((message) => ({ channelAccountId: desk.accountId, message, source })));
      for (const o of outcomes) expect(o.status).toBe('stored');
      return outcomes.map((o: any, i: number) => ({ conversationId: o.conversationId as number, m: ms[i]! }));
    };
    const row = (id: number) => desk.db.store.db.selectFrom('conversation').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const clocks = async (id: number) => (await admin.get(`/api/conversations/${id}/sla`)).json.items as any[];
    const running = async (id: number, metric: string) => (await clocks(id)).find((k) => k.metric === metric && k.stoppedAt == null);
    const facts = async (id: number, kind: string) => (await desk.db.store.db.selectFrom('reporting_fact').select(['occurred_at', 'value_s']).where('conversation_id', '=', id).where('kind', '=', kind).orderBy('id').execute())
      .map((f) => ({ at: Number(f.occurred_at), value: f.value_s == null ? null : Number(f.value_s) }));
    const breachNotices = async (id: number) => (await desk.db.store.db.selectFrom('notification').select('id').where('conversation_id', '=', id).where('kind', '=', 'sla.breached').execute()).length;
    const recalculate = (id: number) => desk.parley.services.workflow.refreshSlaMany([id]);
    const complaint = (who: ReturnType<typeof customer>, createdAt: number) => mention({ author: who, text: '@AcmeCare my order has not arrived and nobody answers, where is it?', createdAt });
    const answer = (to: ReturnType<typeof mention>, createdAt: number) => mention({ direction: 'outbound', fromBrand: true, author: BRAND, text: `@${to.author.handle} Sorry about that, we are on it`, inReplyToNetworkId: to.networkMessageId, kind: 'reply', createdAt });

    it('is open, not breached, and due one target after its receipt; still so when its clocks are worked out again', async () => {
      clock.set(T);
      const received = clock.now();
      const [bf] = await ingest('backfill', complaint(customer(), received - 2 * DAY));
      const id = bf!.conversationId;

      const conv = await row(id);
      expect(conv.status).not.toBe('resolved');
      expect(conv).toMatchObject({ sla_state: 'active', sla_due_at: received + 30 * MIN });
      expect(await running(id, 'first_response')).toMatchObject({ startedAt: iso(received), dueAt: iso(received + 30 * MIN), state: 'active' });
      expect(await running(id, 'resolution')).toMatchObject({ startedAt: iso(received), dueAt: iso(received + DAY) });
      expect(await pendingSlaTimer(desk, id)).toBe(received + 22.5 * MIN);
      expect(await facts(id, 'sla_breached')).toEqual([]);
      expect(await breachNotices(id)).toBe(0);

      // worked out again from the stored messages (the timer, any later action): the same
      clock.advance(10 * MIN);
      const before = await clocks(id);
      await recalculate(id);
      expect(await clocks(id)).toEqual(before);
      expect(await row(id)).toMatchObject({ sla_state: 'active', sla_due_at: received + 30 * MIN });

      // a policy change is worked out from the stored messages too: from the receipt, not two days ago
      const policy = (await admin.get('/api/settings/workflow')).json.sla;
      const targets = policy.targets.map((t: any) => (t.metric === 'first_response' && t.visibility === 'public' ? { ...t, targetMs: 60 * MIN } : t));
      expect((await admin.req('PATCH', '/api/settings/workflow', { sla: { ...policy, targets } })).status).toBe(200);
      await recalculate(id);
      expect(await row(id)).toMatchObject({ sla_state: 'active', sla_due_at: received + 60 * MIN });
      expect(await facts(id, 'sla_breached')).toEqual([]);
      expect((await admin.req('PATCH', '/api/settings/workflow', { sla: policy })).status).toBe(200);
      await recalculate(id);

      // it breaches when the target after its receipt is used up, like any other
      clock.set(received + 30 * MIN);
      await recalculate(id);
      expect((await row(id)).sla_state).toBe('breached');
      expect(await facts(id, 'sla_breached')).toEqual([{ at: received + 30 * MIN, value: 30 * 60 }]);
    });

    it('reports its first response from the receipt (a live one from when it was written)', async () => {
      clock.set(T + DAY);
      const received = clock.now();
      const [bf] = await ingest('backfill', complaint(customer(), received - 2 * DAY));
      const [live] = await ingest('network', complaint(customer(), received - 5 * MIN));
      clock.advance(10 * MIN);
      await ingest('network', answer(bf!.m, clock.now()), answer(live!.m, clock.now()));

      expect(await facts(bf!.conversationId, 'first_response')).toEqual([{ at: received + 10 * MIN, value: 10 * 60 }]);
      expect(await facts(bf!.conversationId, 'message_response')).toEqual([{ at: received + 10 * MIN, value: 10 * 60 }]);
      expect(await facts(live!.conversationId, 'first_response')).toEqual([{ at: received + 10 * MIN, value: 15 * 60 }]);
      // met, from the receipt
      expect(await facts(bf!.conversationId, 'sla_met')).toHaveLength(1);
      expect(await facts(bf!.conversationId, 'sla_breached')).toEqual([]);

      const report = await responseTimeReport(desk.db.store, { brandId: desk.brandId, from: received, to: received + 20 * MIN });
      expect(report.overall).toMatchObject({ n: 2, share_within_60: 1 });
      expect(report.overall.p90_min!).toBeLessThanOrEqual(15);
    });

    it('reports a reply sent from the desk from the receipt too (the outbox writes its facts)', async () => {
      clock.set(T + 3 * DAY);
      const received = clock.now();
      const [bf] = await ingest('backfill', complaint(customer(), received - 2 * DAY));
      clock.advance(12 * MIN);
      const r = await admin.post(`/api/conversations/${bf!.conversationId}/replies`, { text: 'Hi, I have found your order: it ships today.' });
      expect(r.status).toBe(202);
      expect(await desk.parley.services.outbox.runOnce()).toBe(1);
      expect(await facts(bf!.conversationId, 'first_response')).toEqual([{ at: received + 12 * MIN, value: 12 * 60 }]);
      expect(await facts(bf!.conversationId, 'message_response')).toEqual([{ at: received + 12 * MIN, value: 12 * 60 }]);
    });

    it('counts a live mention from when it was written, as before', async () => {
      clock.set(T + 2 * DAY);
      const received = clock.now();
      const [fresh] = await ingest('network', complaint(customer(), received - 2 * MIN));
      expect(await row(fresh!.conversationId)).toMatchObject({ sla_state: 'active', sla_due_at: received - 2 * MIN + 30 * MIN });
      // a live mention delivered two days late is no backfill: counted from when it was written
      const [late] = await ingest('network', complaint(customer(), received - 2 * DAY));
      expect((await row(late!.conversationId)).sla_state).toBe('breached');
      await recalculate(late!.conversationId);
      expect((await row(late!.conversationId)).sla_state).toBe('breached');
    });

    it('answers a backfilled mention with a backfilled reply where the desk first saw them: nothing owed, nothing breached', async () => {
      clock.set(T + 3 * DAY);
      const who = customer();
      const q = complaint(who, clock.now() - 2 * DAY);
      const [bf] = await ingest('backfill', q, answer(q, clock.now() - 2 * DAY + 20 * MIN));
      const id = bf!.conversationId;
      expect(await running(id, 'first_response')).toBeUndefined();
      expect(await facts(id, 'sla_breached')).toEqual([]);
      await recalculate(id);
      expect(await running(id, 'first_response')).toBeUndefined();
      expect(await facts(id, 'sla_breached')).toEqual([]);
      // the brand's own answer, before the desk listened, is measured as it was (history, like an import's)
      expect(await facts(id, 'first_response')).toEqual([{ at: clock.now() - 2 * DAY + 20 * MIN, value: 20 * 60 }]);
    });
  });
}
