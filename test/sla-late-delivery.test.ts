/**
 * A customer message delivered late across a Resolve (QA "L2"): written before the agent
 * resolved the conversation, received after — a webhook retry, a sync catching up. It counts
 * from when Parley received it: it reopens the conversation there, with a first-response clock
 * that runs from the receipt (the team could not have answered earlier), breaches at the
 * policy's target after it and is measured from it in the reports; the thread still shows it
 * where the network dated it. A late "thanks" still reopens nothing, and a message written after
 * the Resolve counts from when the customer wrote it, as before. Through the HTTP API with the
 * shipped triage model, on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, pendingSlaTimer, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);
const BRAND = { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 };
const iso = (t: number) => new Date(t).toISOString();

for (const dialect of DIALECTS) {
  describe(`a message delivered late across a Resolve [${dialect}]`, () => {
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
    const customer = () => ({ networkUserId: `late-${dialect}-${++n}`, handle: `latecustomer${n}`, displayName: `Customer ${n}`, followers: 10 });
    const ingest = async (...ms: ReturnType<typeof mention>[]) => {
      const outcomes = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: ms })).json.outcomes;
      for (const o of outcomes) expect(o.status).toBe('stored');
      return outcomes.map((o: any, i: number) => ({ conversationId: o.conversationId as number, messageId: o.messageId as number, m: ms[i]! }));
    };
    const say = async (author: ReturnType<typeof customer>, text: string, over: Partial<ReturnType<typeof mention>> = {}) => (await ingest(mention({ author, text: `@AcmeCare ${text}`, createdAt: clock.now(), ...over })))[0]!;
    const answer = async (to: ReturnType<typeof mention>) => (await ingest(mention({ direction: 'outbound', fromBrand: true, author: BRAND, text: `@${to.author.handle} Sorry about that, we are on it`, inReplyToNetworkId: to.networkMessageId, createdAt: clock.now() })))[0]!;
    const detail = async (id: number) => (await admin.get(`/api/conversations/${id}`)).json;
    const row = (id: number) => desk.db.store.db.selectFrom('conversation').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const clocks = async (id: number) => (await admin.get(`/api/conversations/${id}/sla`)).json.items as any[];
    const running = async (id: number, metric: string) => (await clocks(id)).find((k) => k.metric === metric && k.stoppedAt == null);
    const facts = async (id: number) => (await desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'occurred_at', 'value_s', 'data']).where('conversation_id', '=', id).orderBy('id').execute())
      .map((f) => ({ kind: f.kind, at: Number(f.occurred_at), value: f.value_s == null ? null : Number(f.value_s), clock: f.data ? (JSON.parse(f.data).clock as string | undefined) : undefined }));
    /** What the conversation's `sla:<id>` timer does when it runs (on both engines: graphile-worker keeps its own time). */
    const runTimer = (id: number) => desk.parley.services.workflow.refreshSlaMany([id]);
    const resolve = async (id: number) => expect((await admin.post(`/api/conversations/${id}/status`, { status: 'resolved' })).status).toBe(200);

    /** A complaint, answered after ten minutes, resolved five minutes later: the conversation and when it was resolved. */
    const resolvedCase = async () => {
      const who = customer();
      const first = await say(who, 'my order has not arrived yet, it was due on Monday');
      const id = first.conversationId;
      await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana });
      clock.advance(10 * MIN);
      const reply = await answer(first.m);
      clock.advance(5 * MIN);
      await resolve(id);
      const resolvedAt = clock.now();
      expect(await row(id)).toMatchObject({ status: 'resolved', resolved_at: resolvedAt, sla_due_at: null });
      return { who, id, reply, resolvedAt };
    };

    it('reopens on a complaint written before the Resolve and received after, with a first-response clock from the receipt that breaches on time', async () => {
      const { who, id, reply, resolvedAt } = await resolvedCase();
      // written two minutes before the agent resolved, delivered twenty minutes after
      clock.advance(20 * MIN);
      const received = clock.now();
      const late = await say(who, 'actually one more thing, where is my refund?', { kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId, createdAt: resolvedAt - 2 * MIN });
      expect(late.conversationId).toBe(id);

      // open, as of the receipt
      const reopened = await row(id);
      expect(reopened).toMatchObject({ status: 'open', reopened_count: 1, cycle_started_at: received, waiting_since: received, resolved_at: null });
      // the thread still shows it where the network dated it (before the Resolve)
      const d = await detail(id);
      expect(d.messages.map((x: any) => x.id).at(-1)).toBe(late.messageId);
      expect(d.messages.find((x: any) => x.id === late.messageId)).toMatchObject({ createdAt: iso(resolvedAt - 2 * MIN), receivedAt: iso(received) });

      // a running first-response clock of the new cycle, from the receipt, with its timer
      expect(await running(id, 'first_response')).toMatchObject({ cycle: 2, startedAt: iso(received), dueAt: iso(received + 30 * MIN), state: 'active' });
      expect(await running(id, 'resolution')).toMatchObject({ cycle: 2, startedAt: iso(received) });
      expect(d.conversation).toMatchObject({ status: 'open', slaState: 'active', slaDueAt: iso(received + 30 * MIN) });
      expect(await pendingSlaTimer(desk, id)).toBe(received + 22.5 * MIN);
      // worked out again from the stored messages and status changes (any later action does): the same
      const before = await clocks(id);
      await desk.parley.services.workflow.refreshSla(id);
      expect(await clocks(id)).toEqual(before);
      expect(await pendingSlaTimer(desk, id)).toBe(received + 22.5 * MIN);

      // the timer warns, then breaches, at the policy's times after the receipt
      clock.set(received + 22.5 * MIN);
      await runTimer(id);
      expect((await row(id)).sla_state).toBe('warning');
      expect(await pendingSlaTimer(desk, id)).toBe(received + 30 * MIN);
      clock.set(received + 30 * MIN);
      await runTimer(id);
      expect((await row(id)).sla_state).toBe('breached');
      const breaches = (await facts(id)).filter((f) => f.kind === 'sla_breached');
      expect(breaches).toEqual([{ kind: 'sla_breached', at: received + 30 * MIN, value: 30 * 60, clock: 'first_response' }]);
      // the reopening is counted when the desk received it
      expect((await facts(id)).filter((f) => f.kind === 'reopen')).toEqual([{ kind: 'reopen', at: received, value: null, clock: undefined }]);

      // the answer: the first response of the cycle is measured from the receipt
      clock.set(received + 40 * MIN);
      await answer(late.m);
      const firsts = (await facts(id)).filter((f) => f.kind === 'first_response');
      expect(firsts.map((f) => f.value)).toEqual([10 * 60, 40 * 60]);
    });

    it('keeps the clock of the first late message when a second one, as old, arrives later (one wait, from the first receipt)', async () => {
      const { who, id, reply, resolvedAt } = await resolvedCase();
      clock.advance(20 * MIN);
      const received = clock.now();
      // two at once (a sync catching up), both from before the Resolve
      await ingest(
        mention({ author: who, text: '@AcmeCare actually one more thing, where is my refund?', kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId, createdAt: resolvedAt - 3 * MIN }),
        mention({ author: who, text: '@AcmeCare and the invoice is wrong too', kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId, createdAt: resolvedAt - 2 * MIN }),
      );
      expect(await row(id)).toMatchObject({ status: 'open', reopened_count: 1, cycle_started_at: received, waiting_since: received });
      // a third, as old, delivered ten minutes later still (a webhook retry)
      clock.advance(10 * MIN);
      await say(who, 'please check the refund', { kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId, createdAt: resolvedAt - MIN });
      expect(await row(id)).toMatchObject({ status: 'open', reopened_count: 1, cycle_started_at: received, waiting_since: received });
      expect(await running(id, 'first_response')).toMatchObject({ cycle: 2, startedAt: iso(received), dueAt: iso(received + 30 * MIN) });
      await desk.parley.services.workflow.refreshSla(id);
      expect(await running(id, 'first_response')).toMatchObject({ cycle: 2, startedAt: iso(received), dueAt: iso(received + 30 * MIN) });
      expect((await facts(id)).filter((f) => f.kind === 'reopen')).toHaveLength(1);
    });

    it('counts a late message from its receipt on a conversation reopened by hand after the Resolve, too', async () => {
      const { who, id, reply, resolvedAt } = await resolvedCase();
      clock.advance(5 * MIN);
      expect((await admin.post(`/api/conversations/${id}/status`, { status: 'open' })).status).toBe(200);
      clock.advance(15 * MIN);
      const received = clock.now();
      await say(who, 'actually one more thing, where is my refund?', { kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId, createdAt: resolvedAt - 2 * MIN });
      expect(await row(id)).toMatchObject({ status: 'open', reopened_count: 1, waiting_since: received });
      expect(await running(id, 'first_response')).toMatchObject({ cycle: 2, startedAt: iso(received), dueAt: iso(received + 30 * MIN) });
      await desk.parley.services.workflow.refreshSla(id);
      expect(await running(id, 'first_response')).toMatchObject({ cycle: 2, startedAt: iso(received), dueAt: iso(received + 30 * MIN) });
      clock.advance(10 * MIN);
      await ingest(mention({ direction: 'outbound', fromBrand: true, author: BRAND, text: `@${who.handle} Refund is on its way`, inReplyToNetworkId: reply.m.networkMessageId, createdAt: clock.now() }));
      expect((await facts(id)).filter((f) => f.kind === 'first_response').map((f) => f.value)).toEqual([10 * 60, 10 * 60]);
    });

    it('leaves the conversation resolved on a late "thanks": no new cycle, no clock, no reopening', async () => {
      const { who, id, reply, resolvedAt } = await resolvedCase();
      const slaBefore = await clocks(id);
      const before = await row(id);
      const factsBefore = (await facts(id)).map((f) => f.kind);
      clock.advance(20 * MIN);
      const thanks = await say(who, 'thanks, all sorted', { kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId, createdAt: resolvedAt - 2 * MIN });
      expect(thanks.conversationId).toBe(id);
      expect((await detail(id)).messages.find((x: any) => x.id === thanks.messageId).triage.action.value).toBe('monitor');
      expect(await row(id)).toMatchObject({ status: 'resolved', reopened_count: 0, resolved_at: resolvedAt, cycle_started_at: before.cycle_started_at, waiting_since: null, sla_due_at: null });
      expect(await clocks(id)).toEqual(slaBefore);
      await desk.parley.services.workflow.refreshSla(id);
      expect(await clocks(id)).toEqual(slaBefore);
      expect((await row(id)).sla_due_at).toBeNull();
      expect(await pendingSlaTimer(desk, id)).toBeNull();
      // counted as volume (and praise), not as a reopening
      expect((await facts(id)).map((f) => f.kind)).toEqual([...factsBefore, 'inbound', 'accolade']);
    });

    it('counts a message written after the Resolve from when the customer wrote it, however late it arrives (as before)', async () => {
      const { who, id, reply, resolvedAt } = await resolvedCase();
      // written five minutes after the Resolve, delivered fifteen minutes later
      clock.advance(20 * MIN);
      await say(who, 'actually one more thing, where is my refund?', { kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId, createdAt: resolvedAt + 5 * MIN });
      expect(await row(id)).toMatchObject({ status: 'open', reopened_count: 1, cycle_started_at: resolvedAt + 5 * MIN, waiting_since: resolvedAt + 5 * MIN });
      expect(await running(id, 'first_response')).toMatchObject({ cycle: 2, startedAt: iso(resolvedAt + 5 * MIN), dueAt: iso(resolvedAt + 35 * MIN) });
      await desk.parley.services.workflow.refreshSla(id);
      expect(await running(id, 'first_response')).toMatchObject({ cycle: 2, startedAt: iso(resolvedAt + 5 * MIN), dueAt: iso(resolvedAt + 35 * MIN) });
      expect((await facts(id)).filter((f) => f.kind === 'reopen').map((f) => f.at)).toEqual([resolvedAt + 5 * MIN]);

      // and one delivered at once: reopened there, as always
      const other = await resolvedCase();
      clock.advance(30 * MIN);
      await say(other.who, 'where is my refund?', { kind: 'reply', inReplyToNetworkId: other.reply.m.networkMessageId });
      expect(await row(other.id)).toMatchObject({ status: 'open', reopened_count: 1, cycle_started_at: clock.now(), waiting_since: clock.now() });
      expect(await running(other.id, 'first_response')).toMatchObject({ cycle: 2, startedAt: iso(clock.now()) });
      expect(other.resolvedAt).toBeLessThan(clock.now());
    });
  });
}
