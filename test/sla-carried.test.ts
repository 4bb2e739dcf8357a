/**
 * Ingest evaluates SLA clocks from the timeline carried in the conversation's
 * memo (stamped with the row's version) instead of reading every message back.
 * Whatever happens in between — customer messages, a chaser, an agent's reply
 * sent by the outbox, a brand reply from the network, resolving, reopening, a
 * write elsewhere that bumps the version — the result must be exactly what a
 * full re-evaluation from the tables gives.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';
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
    /** When the conversation's pending `sla:<id>` timer runs (null: none pending). */
    const pendingTimer = async (id: number): Promise<number | null> => {
      if (dialect === 'sqlite') {
        const j = await desk.db.store.db.selectFrom('job').select('run_at').where('key', '=', `sla:${id}`).executeTakeFirst();
        return j ? Number(j.run_at) : null;
      }
      const r = await sql<{ run_at: Date }>`select run_at from graphile_worker.jobs where key = ${`sla:${id}`}`.execute(desk.db.store.db);
      return r.rows[0] ? new Date(r.rows[0].run_at).getTime() : null;
    };
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
      expect(JSON.parse(c.sla!).tl.e).toHaveLength(2);

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
      expect(JSON.parse(c.sla!).tl.e.length).toBeGreaterThanOrEqual(8);
    });
  });
}
