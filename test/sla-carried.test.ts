/**
 * Ingest evaluates SLA clocks from the timeline carried in the conversation's
 * memo (stamped with the row's version) instead of reading every message back.
 * Whatever happens in between — customer messages, a chaser, an agent's reply
 * sent by the outbox, a brand reply from the network, resolving, reopening, a
 * write elsewhere that bumps the version — the result must be exactly what a
 * full re-evaluation from the tables gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { Client, mention, pendingSlaTimer, startDesk, type TestDesk } from './helpers/parley.js';
import { DIALECTS } from './db.js';

const MIN = 60_000;
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`SLA from the carried timeline [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      // no background jobs: the test drives every re-evaluation itself
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    const row = (id: number) => desk.db.store.db.selectFrom('conversation').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const visible = (c: { sla: string | null; sla_due_at: number | null; sla_state: string | null }) => {
      const m = c.sla ? JSON.parse(c.sla) : {};
      return { dueAt: c.sla_due_at, state: c.sla_state, announced: m.announced, clocks: m.clocks };
    };
    const pendingTimer = (id: number) => pendingSlaTimer(desk, id);
    /** What ingest wrote equals a full re-evaluation from the tables, its timer included (ingest skips writing an unchanged one). */
    const agreesWithFullEvaluation = async (id: number) => {
      const before = await row(id);
      const timerBefore = await pendingTimer(id);
      expect(timerBefore).toBe(JSON.parse(before.sla!).timer);
      await desk.parley.services.workflow.refreshSla(id);
      const after = await row(id);
      expect(visible(after)).toEqual(visible(before));
      expect(await pendingTimer(id)).toBe(timerBefore);
      expect(JSON.parse(after.sla!).timer).toBe(timerBefore);
      return before;
    };
    /** Counts the timers the workflow schedules from now on. */
    const countJobWrites = () => {
      const jobs = desk.parley.services.jobs;
      const orig = jobs.addManyIn.bind(jobs);
      let n = 0;
      jobs.addManyIn = async (trx, list) => {
        n += list.length;
        return orig(trx, list);
      };
      return () => {
        jobs.addManyIn = orig;
        return n;
      };
    };
    const ingest = async (m: ReturnType<typeof mention>) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0];

    it('agrees with a full evaluation after every kind of change', async () => {
      const author = { networkUserId: 'carry-1', handle: 'carrier', displayName: 'Carrier', followers: 10 };
      const first = mention({ author, text: '@AcmeCare my parcel has not arrived', createdAt: clock.now() });
      const o = await ingest(first);
      const id = o.conversationId as number;
      let c = await agreesWithFullEvaluation(id);
      expect(JSON.parse(c.sla!).tl).toMatchObject({ v: Number(c.version) });
      const timerAtFirst = await pendingTimer(id);
      expect(timerAtFirst).toBeGreaterThan(clock.now());

      // another customer message before any clock changes state restarts nothing: the
      // timer's time stays, and ingest does not write it again (a second conversation, so
      // the first one's timeline stays as the steps below expect)
      const other = { networkUserId: 'carry-2', handle: 'other', displayName: 'Other', followers: 10 };
      const id2 = (await ingest(mention({ author: other, text: '@AcmeCare my card was charged twice', createdAt: clock.now() }))).conversationId as number;
      const timer2 = await pendingTimer(id2);
      clock.advance(2 * MIN);
      const jobsWritten = countJobWrites();
      expect((await ingest(mention({ author: other, text: '@AcmeCare the order number is 1234', createdAt: clock.now() }))).conversationId).toBe(id2);
      expect(jobsWritten()).toBe(0);
      expect(await pendingTimer(id2)).toBe(timer2);
      await agreesWithFullEvaluation(id2);

      // a chaser 40 minutes later, carried timeline in use
      clock.advance(40 * MIN);
      const chaser = mention({ author, text: '@AcmeCare hello?? still waiting', inReplyToNetworkId: first.networkMessageId, createdAt: clock.now() });
      expect((await ingest(chaser)).conversationId).toBe(id);
      c = await agreesWithFullEvaluation(id);
      // a chaser changes no clock: the carried timeline drops it, and remembers up to when it dropped
      expect(JSON.parse(c.sla!).tl).toMatchObject({ e: [['i', first.createdAt, 0]], f: chaser.createdAt });

      // an agent answers; the outbox sends it (and bumps the version)
      clock.advance(10 * MIN);
      expect((await ana.post(`/api/conversations/${id}/replies`, { text: 'Sorry for the wait! It is with the courier and arrives tomorrow.', visibility: 'public' })).status).toBe(202);
      await desk.parley.services.outbox.runOnce();
      await agreesWithFullEvaluation(id);

      // the customer again: a next-response clock from the carried timeline (which now holds the sent reply)
      clock.advance(5 * MIN);
      const again = mention({ author, text: '@AcmeCare which courier?', inReplyToNetworkId: chaser.networkMessageId, createdAt: clock.now() });
      expect((await ingest(again)).conversationId).toBe(id);
      c = await agreesWithFullEvaluation(id);
      expect(JSON.parse(c.sla!).clocks.map((x: { metric: string }) => x.metric)).toContain('next_response');

      // a brand reply arriving from the network
      clock.advance(5 * MIN);
      await ingest(mention({ direction: 'outbound', fromBrand: true, author: { networkUserId: 'brand', handle: 'AcmeCare' }, text: '@carrier DPD, tracking in your DMs', inReplyToNetworkId: again.networkMessageId, createdAt: clock.now() }));
      await agreesWithFullEvaluation(id);

      // resolved by an agent, then the customer writes again: a new cycle
      clock.advance(5 * MIN);
      expect((await ana.post(`/api/conversations/${id}/status`, { status: 'resolved' })).json.status).toBe('resolved');
      clock.advance(60 * MIN);
      const reopen = mention({ author, text: '@AcmeCare it did not come after all', inReplyToNetworkId: again.networkMessageId, createdAt: clock.now() });
      expect((await ingest(reopen)).conversationId).toBe(id);
      c = await agreesWithFullEvaluation(id);
      expect(JSON.parse(c.sla!).clocks.every((x: { cycle: number }) => x.cycle === 2)).toBe(true);

      // a write elsewhere bumps the version without touching the memo: the carried timeline is stale, so ingest reads the tables
      await desk.db.store.db.updateTable('conversation').set({ version: Number(c.version) + 5 }).where('id', '=', id).execute();
      clock.advance(2 * MIN);
      expect((await ingest(mention({ author, text: '@AcmeCare ??', inReplyToNetworkId: reopen.networkMessageId, createdAt: clock.now() }))).conversationId).toBe(id);
      c = await agreesWithFullEvaluation(id);
      expect(JSON.parse(c.sla!).tl).toMatchObject({ v: Number(c.version) });
      expect(JSON.parse(c.sla!).tl.e.length).toBeGreaterThanOrEqual(4);
    });

    /** The SLA facts written for a conversation: `kind clock:cycle`. */
    const slaFacts = async (id: number) =>
      (await desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'data']).where('conversation_id', '=', id).where('kind', 'in', ['sla_met', 'sla_breached']).orderBy('id').execute())
        .map((f) => `${f.kind} ${JSON.parse(f.data as string).clock}`);

    it('stays short over a long back-and-forth, announces every wait once, and reads the tables for a late message', async () => {
      const author = { networkUserId: 'carry-long', handle: 'talker', displayName: 'Talker', followers: 10 };
      const brand = { networkUserId: 'brand', handle: 'AcmeCare' };
      let last = mention({ author, text: '@AcmeCare my router keeps dropping', createdAt: clock.now() });
      const id = (await ingest(last)).conversationId as number;
      const replies: ReturnType<typeof mention>[] = [];
      // ten waits: the customer writes, the brand answers five minutes later (met), apart from
      // the fourth and the eighth, answered after 40 minutes (breached)
      for (let round = 0; round < 10; round++) {
        clock.advance(round === 3 || round === 7 ? 40 * MIN : 5 * MIN);
        if (round === 3 || round === 7) await desk.parley.services.workflow.refreshSla(id); // the timer firing
        const reply = mention({ direction: 'outbound', fromBrand: true, author: brand, text: `@talker step ${round}: restart it`, inReplyToNetworkId: last.networkMessageId, createdAt: clock.now() });
        replies.push(reply);
        await ingest(reply);
        clock.advance(MIN);
        last = mention({ author, text: `@AcmeCare tried step ${round}, still dropping`, inReplyToNetworkId: reply.networkMessageId, createdAt: clock.now() });
        expect((await ingest(last)).conversationId).toBe(id);
        const c = await agreesWithFullEvaluation(id);
        expect(JSON.parse(c.sla!).tl.e.length).toBeLessThanOrEqual(4);
      }
      // every wait answered was announced once, the late ones as breached (the fact of each clock, in order)
      const facts = await slaFacts(id);
      expect(facts.filter((f) => f === 'sla_met first_response')).toHaveLength(1);
      expect(facts.filter((f) => f.endsWith('next_response'))).toEqual([
        'sla_met next_response', 'sla_met next_response', 'sla_breached next_response', 'sla_met next_response', 'sla_met next_response', 'sla_met next_response', 'sla_breached next_response', 'sla_met next_response', 'sla_met next_response',
      ]);
      // the eleventh wait runs late too: warned, then breached, by the timer
      clock.advance(25 * MIN);
      await desk.parley.services.workflow.refreshSla(id);
      expect(JSON.parse((await row(id)).sla!).clocks.find((x: { metric: string }) => x.metric === 'next_response').state).toBe('warning');
      clock.advance(10 * MIN);
      await desk.parley.services.workflow.refreshSla(id);
      expect((await slaFacts(id)).filter((f) => f === 'sla_breached next_response')).toHaveLength(3);
      const notices = await desk.db.store.db.selectFrom('audit_event').select('action').where('conversation_id', '=', id).where('action', 'like', 'sla.%').execute();
      expect(notices.filter((n) => n.action === 'sla.breached')).toHaveLength(3);
      expect(notices.filter((n) => n.action === 'sla.warning')).toHaveLength(1); // the late ones before were past due when the timer looked

      // a customer message delivered late, older than what the carried timeline dropped (from the
      // carried timeline alone it would start the current wait): read from the tables, the same
      // result, nothing announced twice
      const fold = JSON.parse((await row(id)).sla!).tl.f as number;
      expect(fold).toBe(replies[9]!.createdAt);
      const before = (await slaFacts(id)).length;
      expect((await ingest(mention({ author, text: '@AcmeCare (sent earlier) hello?', inReplyToNetworkId: replies[8]!.networkMessageId, createdAt: fold - 1 }))).conversationId).toBe(id);
      await agreesWithFullEvaluation(id);
      expect((await slaFacts(id)).length).toBe(before);
    });

    it('reads a memo written before clocks were settled by time without announcing anything again', async () => {
      const author = { networkUserId: 'carry-legacy', handle: 'oldtimer', displayName: 'Old', followers: 10 };
      const brand = { networkUserId: 'brand', handle: 'AcmeCare' };
      let last = mention({ author, text: '@AcmeCare my bill is wrong', createdAt: clock.now() });
      const id = (await ingest(last)).conversationId as number;
      for (let round = 0; round < 3; round++) {
        clock.advance(5 * MIN);
        const reply = mention({ direction: 'outbound', fromBrand: true, author: brand, text: `@oldtimer answer ${round}`, inReplyToNetworkId: last.networkMessageId, createdAt: clock.now() });
        await ingest(reply);
        if (round < 2) {
          clock.advance(MIN);
          last = mention({ author, text: `@AcmeCare and ${round}?`, inReplyToNetworkId: reply.networkMessageId, createdAt: clock.now() });
          await ingest(last);
        }
      }
      const facts = await slaFacts(id);
      expect(facts.filter((f) => f.endsWith('next_response'))).toHaveLength(2);
      // as the code before wrote it: one entry per metric and cycle, no settled time, the whole timeline
      const memo = JSON.parse((await row(id)).sla!);
      const legacy = { announced: { 'first_response:1': 'met', 'next_response:1': 'met' }, clocks: memo.clocks, timer: memo.timer };
      await desk.db.store.db.updateTable('conversation').set({ sla: JSON.stringify(legacy) }).where('id', '=', id).execute();
      clock.advance(MIN);
      await desk.parley.services.workflow.refreshSla(id);
      expect(await slaFacts(id)).toEqual(facts);
      const upgraded = JSON.parse((await row(id)).sla!);
      expect(upgraded.h).toBeTypeOf('number');
      expect(upgraded.tl.e).toHaveLength(4); // the first message and reply, the last wait and its reply
      // and from then on a new wait is announced
      clock.advance(MIN);
      await ingest(mention({ author, text: '@AcmeCare one more thing', inReplyToNetworkId: last.networkMessageId, createdAt: clock.now() }));
      clock.advance(40 * MIN);
      await desk.parley.services.workflow.refreshSla(id);
      expect((await slaFacts(id)).slice(facts.length)).toEqual(['sla_breached next_response']);
    });
  });
}
