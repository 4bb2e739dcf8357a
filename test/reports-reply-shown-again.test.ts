/**
 * A reply the network hid and shows again (src/pipeline/deletions.ts `replyShown`, docs/metrics.md
 * "A reply shown again is the answer again"): when nothing answered the customer meanwhile, the
 * response facts its hiding withdrew come back exactly as they were (same times, values, agent;
 * the same rollups), and the conversation is answered again (no wait, its status back, no running
 * response clock), audited once. The same check delivered twice restores once; hide, show, hide,
 * show works. Another reply that answered meanwhile keeps the answer; a reply deleted for good never
 * comes back. Through the real desk (HTTP replies, the outbox, ingest, the report endpoints) on
 * SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkHiddenReason } from '../src/channels/types.js';
import { ManualClock } from '../src/lib/clock.js';
import { applyNetworkDeletions, applyNetworkVisibility } from '../src/pipeline/deletions.js';
import { DIALECTS } from './db.js';
import { Client, markerTriage, startDesk, type TestDesk } from './helpers/parley.js';
import { reportsHarness } from './helpers/reportsHarness.js';

const MIN = 60_000;
const DAY = 86_400_000;
const TUESDAY = Date.UTC(2026, 10, 17); // London is on UTC in November

for (const dialect of DIALECTS) {
  describe(`a reply shown again is the answer again [${dialect}]`, () => {
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
    const reports = async (day: number) => ({
      first: await report('first-response', day), reply: await report('reply-time', day), rate: await report('response-rate', day),
      sla: await report('sla', day), agents: await report('agents', day),
    });
    const deps = () => ({ store: store(), bus: desk.parley.services.bus, clock });
    const hide = async (networkMessageId: string, reason: NetworkHiddenReason = 'post_taken_down') => {
      const r = await applyNetworkVisibility(deps(), { brandId: desk.brandId, network: 'x', actor: 'system:sync:x', hidden: new Map([[networkMessageId, reason]]), shown: [] });
      await desk.parley.services.workflow.idle();
      return r;
    };
    const show = async (networkMessageId: string) => {
      const r = await applyNetworkVisibility(deps(), { brandId: desk.brandId, network: 'x', actor: 'system:sync:x', hidden: new Map(), shown: [networkMessageId] });
      await desk.parley.services.workflow.idle();
      return r;
    };
    /** Every fact of the conversation as stored, but its id (which a restored row does not keep). */
    const factsOf = async (conversationId: number) =>
      (await store().db.selectFrom('reporting_fact').selectAll().where('conversation_id', '=', conversationId).execute())
        .map(({ id: _id, ...f }) => JSON.parse(JSON.stringify(f, (_k, v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v))))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    /** The brand's rollup rows with a count, as stored. */
    const rollups = async () =>
      (await store().db.selectFrom('fact_rollup').select(['k', 'kind', 'n', 'sum_s', 'sum_bs', 'hist', 'hist_b']).where('brand_id', '=', desk.brandId).where('n', '!=', 0).orderBy('k').execute())
        .map((r) => ({ ...r, n: Number(r.n), sum_s: Number(r.sum_s), sum_bs: Number(r.sum_bs), hist: JSON.parse(r.hist), hist_b: JSON.parse(r.hist_b) }));
    const conv = async (id: number) => {
      const c = await store().db.selectFrom('conversation').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const n = (v: unknown) => (v == null ? null : Number(v));
      return { status: c.status, waitingSince: n(c.waiting_since), firstResponseAt: n(c.first_response_at), cycleFirstResponseAt: n(c.cycle_first_response_at) };
    };
    const audits = async (conversationId: number, action: string) =>
      (await store().db.selectFrom('audit_event').select('data').where('conversation_id', '=', conversationId).where('action', '=', action).orderBy('id').execute()).map((a) => JSON.parse(String(a.data)));
    /** The response clocks still running (the resolution clock runs on until the conversation is resolved). */
    const runningResponseClocks = async (id: number) => ((await ana.get(`/api/conversations/${id}/sla`)).json.items as any[]).filter((k) => k.stoppedAt == null && k.metric !== 'resolution');

    it('nothing answered since: the facts come back exactly, the conversation is answered again; twice restores once; hide, show, hide, show', async () => {
      const day = TUESDAY;
      const q = await customerWrites('@AcmeCare when do you open on Sunday?');
      clock.advance(5 * MIN);
      const reply = await replyFromDesk(q.conversationId, 'We open 10 to 4 on Sundays.');
      const answeredFacts = await factsOf(q.conversationId);
      const answeredReports = await reports(day);
      const answeredRollups = await rollups();
      const answered = await conv(q.conversationId);
      expect(answeredReports.first.overall).toMatchObject({ n: 1, median_min: 5 });
      expect(answered).toMatchObject({ waitingSince: null });
      expect(await runningResponseClocks(q.conversationId)).toEqual([]);

      for (const round of [1, 2]) {
        clock.advance(30 * MIN);
        expect((await hide(reply.networkMessageId)).hidden).toEqual([reply.id]);
        expect((await report('first-response', day)).overall).toMatchObject({ n: 0 });
        expect(await report('response-rate', day)).toMatchObject({ needed: 1, answered: 0 });
        expect(await conv(q.conversationId)).toMatchObject({ status: 'open', waitingSince: clock.now(), firstResponseAt: null });
        expect(await runningResponseClocks(q.conversationId)).not.toEqual([]);

        clock.advance(15 * MIN);
        expect((await show(reply.networkMessageId)).shown).toEqual([reply.id]);
        // exactly as originally computed: the same rows, the same rollups, the same reports
        expect(await factsOf(q.conversationId)).toEqual(answeredFacts);
        expect(await rollups()).toEqual(answeredRollups);
        expect(await reports(day)).toEqual(answeredReports);
        await rollupsMatchFacts();
        expect(await conv(q.conversationId)).toEqual(answered);
        expect(await runningResponseClocks(q.conversationId)).toEqual([]);
        const restored = await audits(q.conversationId, 'conversation.reply_restored');
        expect(restored).toHaveLength(round);
        expect(restored.at(-1)).toMatchObject({ messageId: reply.id, needsResponse: false, restoredFacts: ['first_response', 'message_answered', 'message_response'] });

        // the same check delivered again: nothing more comes back, nothing more is audited
        expect((await show(reply.networkMessageId)).shown).toEqual([]);
        expect(await factsOf(q.conversationId)).toEqual(answeredFacts);
        expect(await audits(q.conversationId, 'conversation.reply_restored')).toHaveLength(round);
      }
    });

    it('a conversation waiting on the customer goes back to waiting', async () => {
      const day = TUESDAY + DAY;
      clock.set(day + 10 * 60 * MIN);
      const q = await customerWrites('@AcmeCare can I change my delivery address?');
      clock.advance(4 * MIN);
      const reply = await replyFromDesk(q.conversationId, 'Yes: which one should it be?');
      expect((await ana.post(`/api/conversations/${q.conversationId}/status`, { status: 'waiting' })).status).toBeLessThan(300);
      await desk.parley.services.workflow.idle();
      const before = await conv(q.conversationId);
      expect(before.status).toBe('waiting');
      const facts = await factsOf(q.conversationId);

      clock.advance(20 * MIN);
      await hide(reply.networkMessageId);
      expect((await conv(q.conversationId)).status).toBe('open');
      clock.advance(5 * MIN);
      await show(reply.networkMessageId);
      expect(await conv(q.conversationId)).toEqual(before);
      expect(await factsOf(q.conversationId)).toEqual(facts);
      expect(await audits(q.conversationId, 'conversation.status')).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'open', to: 'waiting', reason: 'reply_shown_again_by_network', messageId: reply.id })]));
      await rollupsMatchFacts();
    });

    it('the customer wrote again while it was hidden: its facts come back, and they wait from their new message', async () => {
      const day = TUESDAY + 2 * DAY;
      clock.set(day + 10 * 60 * MIN);
      const q = await customerWrites('@AcmeCare is the sale on in store too?');
      clock.advance(2 * MIN);
      const reply = await replyFromDesk(q.conversationId, 'Yes, in every store.');
      const answered = await factsOf(q.conversationId);
      clock.advance(10 * MIN);
      await hide(reply.networkMessageId);
      clock.advance(5 * MIN);
      const wroteAt = clock.now();
      const again = await customerWrites('@AcmeCare hello?? is it?', q.networkMessageId);
      expect(again.conversationId).toBe(q.conversationId);
      clock.advance(5 * MIN);
      await show(reply.networkMessageId);
      const facts = await factsOf(q.conversationId);
      // the answer's facts are back; the new message is the only one waiting
      expect(facts.filter((f) => f.kind !== 'inbound')).toEqual(answered.filter((f) => f.kind !== 'inbound'));
      expect(await conv(q.conversationId)).toMatchObject({ status: 'open', waitingSince: wroteAt });
      expect((await report('response-rate', day))).toMatchObject({ needed: 2, answered: 1 });
      expect((await audits(q.conversationId, 'conversation.reply_restored')).at(-1)).toMatchObject({ needsResponse: true });
      await rollupsMatchFacts();
    });

    it('another reply answered meanwhile: it stays the answer, the shown reply gets nothing back', async () => {
      const day = TUESDAY + 3 * DAY;
      clock.set(day + 10 * 60 * MIN);
      const q = await customerWrites('@AcmeCare is my parcel lost?');
      clock.advance(3 * MIN);
      const first = await replyFromDesk(q.conversationId, 'Let me check.');
      clock.advance(7 * MIN);
      await hide(first.networkMessageId);
      clock.advance(5 * MIN);
      const second = await replyFromDesk(q.conversationId, 'Found it: it arrives tomorrow.');
      const facts = await factsOf(q.conversationId);
      const before = await reports(day);
      const state = await conv(q.conversationId);
      expect(before.first.overall).toMatchObject({ n: 1, median_min: 5 });

      clock.advance(10 * MIN);
      expect((await show(first.networkMessageId)).shown).toEqual([first.id]);
      expect(await factsOf(q.conversationId)).toEqual(facts);
      expect(facts.filter((f) => f.kind === 'first_response').map((f) => f.message_id)).toEqual([second.id]);
      expect(await reports(day)).toEqual(before);
      expect(await conv(q.conversationId)).toEqual(state);
      expect(await audits(q.conversationId, 'conversation.reply_restored')).toEqual([]);
      expect(await audits(q.conversationId, 'conversation.reply_shown')).toEqual([{ messageId: first.id, restored: false, reason: 'answered_since' }]);
      await rollupsMatchFacts();

      // hidden and shown again later: the answer is the second reply's still, nothing moves
      clock.advance(5 * MIN);
      await hide(first.networkMessageId);
      clock.advance(5 * MIN);
      await show(first.networkMessageId);
      expect(await factsOf(q.conversationId)).toEqual(facts);
      await rollupsMatchFacts();
    });

    it('a reply deleted for good never comes back', async () => {
      const day = TUESDAY + 4 * DAY;
      clock.set(day + 10 * 60 * MIN);
      const q = await customerWrites('@AcmeCare do you ship to Norway?');
      clock.advance(6 * MIN);
      const reply = await replyFromDesk(q.conversationId, 'We do, in 3 to 5 days.');
      clock.advance(10 * MIN);
      const gone = await applyNetworkDeletions(deps(), { brandId: desk.brandId, network: 'x', networkMessageIds: [reply.networkMessageId], actor: 'system:webhook:x' });
      await desk.parley.services.workflow.idle();
      expect(gone.removedOutbound).toEqual([reply.id]);
      const facts = await factsOf(q.conversationId);
      const state = await conv(q.conversationId);
      clock.advance(10 * MIN);
      expect((await show(reply.networkMessageId)).shown).toEqual([]);
      expect(await factsOf(q.conversationId)).toEqual(facts);
      expect(await conv(q.conversationId)).toEqual(state);
      expect((await report('first-response', day)).overall).toMatchObject({ n: 0 });
      expect(await audits(q.conversationId, 'conversation.reply_restored')).toEqual([]);
    });
  });
}
