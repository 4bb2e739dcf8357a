/**
 * A reply the network removed is not the answer in the reports (src/pipeline/deletions.ts
 * `withdrawAnswer`, docs/metrics.md "A removed reply is not an answer"): the response facts it
 * wrote (`first_response`, the answered message's `message_response` and `message_answered`) are
 * withdrawn from the facts and their rollups alike, so the first-response, reply-time and
 * response-rate reports no longer count it, over whole days (rollups) and partial ones (raw facts);
 * the next real reply is the answer (the cycle's first response, from the removal; the message's
 * reply time, from the customer's message). Delivered twice, it withdraws once. A second reply
 * removed withdraws nothing of the first's; an auto-acknowledgement never counted. Through the
 * real desk (HTTP replies, the outbox, ingest, the report endpoints) on SQLite, the first case on
 * PostgreSQL too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { applyNetworkDeletions } from '../src/pipeline/deletions.js';
import { DIALECTS } from './db.js';
import { Client, markerTriage, mention, startDesk, type TestDesk } from './helpers/parley.js';
import { reportsHarness } from './helpers/reportsHarness.js';

const MIN = 60_000;
const DAY = 86_400_000;
const TUESDAY = Date.UTC(2026, 10, 17); // London is on UTC in November

for (const dialect of DIALECTS) {
  describe(`a removed reply is not the answer in the reports [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY + 10 * 60 * MIN);
      desk = await startDesk(dialect, { clock, workers: false, triage: markerTriage });
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    const { store, report, customerWrites, replyFromDesk, rollupsMatchFacts } = reportsHarness(() => ({ desk, clock, ana }));
    const removeOnNetwork = async (networkMessageId: string) => {
      const r = await applyNetworkDeletions({ store: store(), bus: desk.parley.services.bus, clock }, { brandId: desk.brandId, network: 'x', networkMessageIds: [networkMessageId], actor: 'system:webhook:x' });
      await desk.parley.services.workflow.idle();
      return r;
    };
    const factsOf = async (conversationId: number) =>
      (await store().db.selectFrom('reporting_fact').select(['kind', 'message_id', 'value_s']).where('conversation_id', '=', conversationId).orderBy('id').execute())
        .map((f) => ({ kind: f.kind, messageId: f.message_id == null ? null : Number(f.message_id), valueS: f.value_s == null ? null : Number(f.value_s) }));
    it('withdraws the removed first answer from the response reports, once; the next real reply is the answer', async () => {
      const day = TUESDAY;
      const asked = clock.now();
      const q = await customerWrites('@AcmeCare when do you open on Sunday?');
      clock.advance(5 * MIN);
      const first = await replyFromDesk(q.conversationId, 'We open 10 to 4 on Sundays.');
      expect((await report('first-response', day)).overall).toMatchObject({ n: 1, median_min: 5 });
      expect((await report('reply-time', day)).overall).toMatchObject({ n: 1, median_min: 5 });
      expect(await report('response-rate', day)).toMatchObject({ needed: 1, answered: 1 });
      const sla = await report('sla', day);

      clock.advance(35 * MIN);
      const removedAt = clock.now();
      expect((await removeOnNetwork(first.networkMessageId)).removedOutbound).toEqual([first.id]);
      const conv = await store().db.selectFrom('conversation').selectAll().where('id', '=', q.conversationId).executeTakeFirstOrThrow();
      expect(conv).toMatchObject({ status: 'open', first_response_at: null, cycle_first_response_at: null });
      expect(Number(conv.waiting_since)).toBe(removedAt);
      expect((await report('first-response', day)).overall).toMatchObject({ n: 0 });
      expect((await report('reply-time', day)).overall).toMatchObject({ n: 0 });
      expect(await report('response-rate', day)).toMatchObject({ needed: 1, answered: 0 });
      // the clock the reply met stays met (the SLA engine holds it so); the renewed wait has its own
      expect(await report('sla', day)).toEqual(sla);
      expect((await factsOf(q.conversationId)).map((f) => f.kind)).not.toEqual(expect.arrayContaining(['first_response']));
      await rollupsMatchFacts();
      const audit = await store().db.selectFrom('audit_event').select('data').where('conversation_id', '=', q.conversationId).where('action', '=', 'conversation.reply_removed').execute();
      expect(audit).toHaveLength(1);
      expect(JSON.parse(String(audit[0]!.data))).toMatchObject({ needsResponse: true, withdrawnFacts: ['first_response', 'message_answered', 'message_response'] });

      // the same removal delivered again: nothing more is withdrawn or audited
      const before = await factsOf(q.conversationId);
      await removeOnNetwork(first.networkMessageId);
      expect(await factsOf(q.conversationId)).toEqual(before);
      expect(await store().db.selectFrom('audit_event').select('id').where('conversation_id', '=', q.conversationId).where('action', '=', 'conversation.reply_removed').execute()).toHaveLength(1);
      await rollupsMatchFacts();

      clock.advance(10 * MIN);
      const second = await replyFromDesk(q.conversationId, 'Sorry, again: we open 10 to 4 on Sundays.');
      // the cycle's first response is now this reply, from the removal; the message's reply time from the question
      expect((await report('first-response', day)).overall).toMatchObject({ n: 1, median_min: 10 });
      expect((await report('reply-time', day)).overall).toMatchObject({ n: 1, median_min: 50 });
      expect(await report('response-rate', day)).toMatchObject({ needed: 1, answered: 1 });
      const after = await factsOf(q.conversationId);
      expect(after.filter((f) => f.kind === 'first_response')).toEqual([{ kind: 'first_response', messageId: second.id, valueS: 600 }]);
      expect(after.filter((f) => f.kind === 'message_response')).toEqual([{ kind: 'message_response', messageId: expect.any(Number), valueS: (clock.now() - asked) / 1000 }]);
      expect(after.filter((f) => f.kind === 'message_answered')).toHaveLength(1);
      expect(after.filter((f) => f.kind === 'next_response')).toEqual([]);
      const answered = await store().db.selectFrom('conversation').select(['first_response_at', 'waiting_since']).where('id', '=', q.conversationId).executeTakeFirstOrThrow();
      expect(Number(answered.first_response_at)).toBe(clock.now());
      expect(answered.waiting_since).toBeNull();
      await rollupsMatchFacts();
    });

    it('a second reply removed withdraws nothing of the answer', async () => {
      const day = TUESDAY + DAY;
      clock.set(day + 10 * 60 * MIN);
      const q = await customerWrites('@AcmeCare is my parcel lost?');
      clock.advance(3 * MIN);
      await replyFromDesk(q.conversationId, 'Let me check.');
      clock.advance(3 * MIN);
      const second = await replyFromDesk(q.conversationId, 'Found it: it arrives tomorrow.');
      const facts = await factsOf(q.conversationId);
      const reports = { first: await report('first-response', day), reply: await report('reply-time', day), rate: await report('response-rate', day) };
      expect(reports.first.overall).toMatchObject({ n: 1, median_min: 3 });

      clock.advance(20 * MIN);
      expect((await removeOnNetwork(second.networkMessageId)).removedOutbound).toEqual([second.id]);
      expect(await factsOf(q.conversationId)).toEqual(facts);
      expect({ first: await report('first-response', day), reply: await report('reply-time', day), rate: await report('response-rate', day) }).toEqual(reports);
      await rollupsMatchFacts();
    });

    it('a next response written in the network\'s own app (seen by ingest), removed: only its facts go, and the next real reply is the next response', async () => {
      const day = TUESDAY + 3 * DAY;
      clock.set(day + 10 * 60 * MIN);
      const q = await customerWrites('@AcmeCare where is my refund?');
      clock.advance(2 * MIN);
      const first = await replyFromDesk(q.conversationId, 'It is on its way.');
      clock.advance(8 * MIN);
      const followUp = mention({ text: '@AcmeCare still nothing, when exactly?', createdAt: clock.now(), author: { networkUserId: 'refund-customer', handle: 'refundee', displayName: 'Refundee', followers: 3 }, inReplyToNetworkId: first.networkMessageId });
      await desk.parley.services.pipeline.ingest(desk.brandId, [{ channelAccountId: desk.accountId, source: 'network', message: followUp }]);
      const followUpId = Number((await store().db.selectFrom('message').select('id').where('network_message_id', '=', followUp.networkMessageId).executeTakeFirstOrThrow()).id);
      expect(Number((await store().db.selectFrom('message').select('conversation_id').where('id', '=', followUpId).executeTakeFirstOrThrow()).conversation_id)).toBe(q.conversationId);
      clock.advance(4 * MIN);
      const native = mention({
        direction: 'outbound', fromBrand: true, inReplyToNetworkId: followUp.networkMessageId, createdAt: clock.now(),
        author: { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme Care', followers: 1000 }, text: 'By Friday.',
      });
      await desk.parley.services.pipeline.ingest(desk.brandId, [{ channelAccountId: desk.accountId, source: 'network', message: native }]);
      await desk.parley.services.workflow.idle();
      const kinds = async () => (await factsOf(q.conversationId)).filter((f) => f.kind !== 'inbound' && f.kind !== 'handling');
      expect(await kinds()).toEqual(expect.arrayContaining([
        { kind: 'next_response', messageId: expect.any(Number), valueS: 240 },
        { kind: 'message_response', messageId: followUpId, valueS: 240 },
      ]));
      expect((await report('next-response', day)).overall).toMatchObject({ n: 1, median_min: 4 });

      clock.advance(16 * MIN);
      expect((await removeOnNetwork(native.networkMessageId)).removedOutbound).toHaveLength(1);
      expect((await report('next-response', day)).overall).toMatchObject({ n: 0 });
      // the first answer stands: the first reply's facts are untouched
      expect((await report('first-response', day)).overall).toMatchObject({ n: 1, median_min: 2 });
      expect((await report('reply-time', day)).overall).toMatchObject({ n: 1, median_min: 2 });
      expect(await report('response-rate', day)).toMatchObject({ needed: 2, answered: 1 });
      expect((await kinds()).filter((f) => f.messageId === followUpId)).toEqual([]);
      await rollupsMatchFacts();

      clock.advance(10 * MIN);
      await replyFromDesk(q.conversationId, 'Friday at the latest, sorry for the confusion.');
      expect((await report('next-response', day)).overall).toMatchObject({ n: 1, median_min: 10 });
      expect((await report('first-response', day)).overall).toMatchObject({ n: 1, median_min: 2 });
      expect((await report('reply-time', day)).overall).toMatchObject({ n: 2 });
      expect((await kinds()).filter((f) => f.kind === 'message_response' && f.messageId === followUpId)).toEqual([{ kind: 'message_response', messageId: followUpId, valueS: 30 * 60 }]);
      expect(await report('response-rate', day)).toMatchObject({ needed: 2, answered: 2 });
      await rollupsMatchFacts();
    });

    it('an auto-acknowledgement never counted, and its removal withdraws nothing', async () => {
      const day = TUESDAY + 2 * DAY;
      clock.set(day + 10 * 60 * MIN);
      const q = await customerWrites('@AcmeCare my card was charged twice');
      clock.advance(MIN);
      const ack = mention({
        direction: 'outbound', fromBrand: true, automated: true, inReplyToNetworkId: q.networkMessageId, createdAt: clock.now(),
        author: { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme Care', followers: 1000 }, text: 'Thanks, we will be with you shortly.',
      });
      await desk.parley.services.pipeline.ingest(desk.brandId, [{ channelAccountId: desk.accountId, source: 'network', message: ack }]);
      expect((await factsOf(q.conversationId)).map((f) => f.kind)).toEqual(['inbound']);
      expect(await report('response-rate', day)).toMatchObject({ needed: 1, answered: 0 });

      clock.advance(4 * MIN);
      const removed = await removeOnNetwork(ack.networkMessageId);
      expect(removed.removedOutbound).toHaveLength(1);
      expect((await factsOf(q.conversationId)).map((f) => f.kind)).toEqual(['inbound']);

      clock.advance(5 * MIN);
      await replyFromDesk(q.conversationId, 'Sorry about that, refunding the second charge now.');
      // the first answer is the person's reply, from the customer's message
      expect((await report('first-response', day)).overall).toMatchObject({ n: 1, median_min: 10 });
      expect((await report('reply-time', day)).overall).toMatchObject({ n: 1, median_min: 10 });
      expect(await report('response-rate', day)).toMatchObject({ needed: 1, answered: 1 });
      await rollupsMatchFacts();
    });
  });
}
