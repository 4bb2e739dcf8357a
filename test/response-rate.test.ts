/**
 * The response rate counts the messages that arrived in a period (by their arrival, on the
 * brand's local day) and needed a response, and how many of those were answered — whenever
 * the answer went out, from the desk or on the network. Through the HTTP API on SQLite and
 * PostgreSQL, for a brand in New York:
 *  - a reply sent from the desk answers the message: its `message_response` fact carries the
 *    message's triage, and the report counts it (it used to count nothing: needs-response null);
 *  - a message arriving late on Tuesday and answered after midnight is Tuesday's, answered; a
 *    Wednesday period does not count that answer to a message from before it (it used to show
 *    answered > needed);
 *  - a person's triage correction re-files the message's facts: response rate, trends and
 *    staffing volume follow it, and the rollups stay what a rebuild gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageResult } from '../src/core/types.js';
import { ManualClock } from '../src/lib/clock.js';
import type { TriageFn } from '../src/pipeline/ingest.js';
import { measuredArrivals } from '../src/reports/staffing.js';
import { rebuildRollups } from '../src/store/rollup.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Midnight starting Tuesday 17 November 2026 in New York (EST, UTC−5). */
const TUE = Date.UTC(2026, 10, 17, 5, 0);

const scored = <V>(value: V) => ({ value, confidence: 1, reason: 'test' });
/** `#spam`: ignore; anything else: respond, a negative customer-service complaint. */
function triageOf(text: string): TriageResult {
  const spam = text.includes('#spam');
  return {
    action: scored(spam ? 'ignore' : 'respond'), category: scored(spam ? 'spam' : 'customer_service'), complaint: scored(!spam),
    sentiment: scored('negative'), accolade: scored(false), chaser: scored(false), intent: null, language: scored('en'),
    priority: { value: spam ? 0 : 40, factors: [] }, model: 'test',
  };
}
const triage: TriageFn = (reqs) => reqs.map((r) => triageOf(r.message.text));

for (const dialect of DIALECTS) {
  describe(`response rate by arrival [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUE);
      desk = await startDesk(dialect, { clock, workers: false, triage });
      // before anything is ingested: facts are filed under New York days
      await desk.db.store.db.updateTable('brand').set({ timezone: 'America/New_York' }).where('id', '=', desk.brandId).execute();
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    let n = 0;
    const ingest = async (text: string) => {
      n++;
      const m = mention({ author: { networkUserId: `rr-${n}`, handle: `rr${n}`, displayName: `Customer ${n}`, followers: 10 }, text, createdAt: clock.now() });
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0];
      expect(o.status).toBe('stored');
      return { conversationId: o.conversationId as number, messageId: o.messageId as number };
    };
    /** A reply written at the desk by Ana and sent by the outbox now. */
    const replyFromDesk = async (conversationId: number) => {
      const r = await ana.post(`/api/conversations/${conversationId}/replies`, { text: 'Hi! So sorry about this, we are looking into your order right now.' });
      expect(r.json.message.status).toBe('queued');
      expect(await desk.parley.services.outbox.runOnce()).toBe(1);
    };
    const rate = async (from: number, to: number) => {
      const r = await admin.get(`/api/reports/response-rate?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`);
      expect(r.status).toBe(200);
      return r.json;
    };
    const factsOf = (messageId: number) => desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'needs_response', 'sentiment', 'category', 'day']).where('message_id', '=', messageId).orderBy('kind').execute();

    it('counts a reply sent from the desk, with the answered message\'s triage on its fact', async () => {
      clock.set(TUE + 10 * HOUR);
      const a = await ingest('@AcmeCare my order 1234 never arrived, can you help me please?');
      clock.set(TUE + 10 * HOUR + 20 * MIN);
      await replyFromDesk(a.conversationId);
      const day = await rate(TUE, TUE + DAY);
      expect(day).toMatchObject({ needed: 1, answered: 1, rate: 1, untriaged: 0, by_day: [{ day: '2026-11-17', needed: 1, answered: 1, rate: 1 }] });
      const reply = (await admin.get(`/api/reports/reply-time?from=${new Date(TUE).toISOString()}&to=${new Date(TUE + DAY).toISOString()}`)).json;
      expect(reply.overall.n).toBe(1);
      // the answer's fact says what the message needed (as ingest files replies seen on the network)
      const response = (await factsOf(a.messageId)).find((f) => f.kind === 'message_response');
      expect(response).toMatchObject({ needs_response: 1, sentiment: 'negative', category: 'customer_service' });
    });

    it('files an answer under the day the message arrived (brand time), and a period counts only answers to its own arrivals', async () => {
      // Tuesday 23:30 in New York (Wednesday 04:30 UTC), answered at 00:30 on Wednesday
      clock.set(TUE + 23.5 * HOUR);
      const late = await ingest('@AcmeCare still no sign of my parcel, where is it?');
      clock.set(TUE + DAY + 0.5 * HOUR);
      await replyFromDesk(late.conversationId);
      // Wednesday 10:00: another message, not answered
      clock.set(TUE + DAY + 10 * HOUR);
      await ingest('@AcmeCare my refund has not come through');

      const both = await rate(TUE, TUE + 2 * DAY);
      expect(both).toMatchObject({ needed: 3, answered: 2 });
      expect(both.by_day).toEqual([
        { day: '2026-11-17', needed: 2, answered: 2, rate: 1 },
        { day: '2026-11-18', needed: 1, answered: 0, rate: 0 },
      ]);
      // Wednesday alone: its one arrival, unanswered — not the answer to Tuesday's
      expect(await rate(TUE + DAY, TUE + 2 * DAY)).toMatchObject({ needed: 1, answered: 0, rate: 0 });
      // Tuesday alone: both its arrivals answered, one of them after midnight
      expect(await rate(TUE, TUE + DAY)).toMatchObject({ needed: 2, answered: 2, rate: 1 });
      // a period that starts mid-day (partial days read from the raw facts) agrees
      expect(await rate(TUE + 23 * HOUR, TUE + DAY + 11 * HOUR)).toMatchObject({ needed: 2, answered: 1 });
      for (const f of (await factsOf(late.messageId)).filter((x) => x.kind !== 'message_response')) expect(f.day).toBe('2026-11-17');
    });

    it('re-files a corrected message: response rate, trends and staffing volume follow the correction', async () => {
      const FRI = TUE + 3 * DAY;
      clock.set(FRI + 9 * HOUR);
      const answered = await ingest('@AcmeCare the app keeps crashing when I pay');
      const open = await ingest('@AcmeCare WIN A FREE PHONE click here');
      clock.set(FRI + 9 * HOUR + 10 * MIN);
      await replyFromDesk(answered.conversationId);
      const period = [FRI, FRI + DAY] as const;
      const trends = async () => (await admin.get(`/api/reports/trends?from=${new Date(FRI).toISOString()}&to=${new Date(FRI + DAY).toISOString()}`)).json.category;
      const volume = async () => (await measuredArrivals(desk.db.store, desk.brandId, FRI, FRI + DAY)).totals.reduce((a, b) => a + b, 0);
      expect(await rate(...period)).toMatchObject({ needed: 2, answered: 1 });
      expect(await trends()).toEqual([{ day: '2026-11-20', customer_service: 2 }]);
      expect(await volume()).toBe(2);

      // the answered one did not need an answer after all
      expect((await ana.post(`/api/messages/${answered.messageId}/triage`, { action: 'ignore' })).status).toBe(200);
      expect(await rate(...period)).toMatchObject({ needed: 1, answered: 0 });
      expect((await factsOf(answered.messageId)).map((f) => [f.kind, f.needs_response])).toEqual([['inbound', 0], ['message_answered', 0], ['message_response', 0]]);
      expect(await volume()).toBe(1);

      // the other is spam (no answer needed either, filed under spam)
      expect((await ana.post(`/api/messages/${open.messageId}/triage`, { category: 'spam' })).status).toBe(200);
      expect(await rate(...period)).toMatchObject({ needed: 0, answered: 0, rate: null });
      expect(await trends()).toEqual([{ day: '2026-11-20', customer_service: 1, spam: 1 }]);
      expect(await volume()).toBe(0);
      expect((await factsOf(open.messageId))).toMatchObject([{ kind: 'inbound', needs_response: 0, category: 'spam' }]);

      // a sentiment correction moves the trends too
      expect((await ana.post(`/api/messages/${answered.messageId}/triage`, { sentiment: 'positive' })).status).toBe(200);
      const sentiment = (await admin.get(`/api/reports/trends?from=${new Date(FRI).toISOString()}&to=${new Date(FRI + DAY).toISOString()}`)).json.sentiment;
      expect(sentiment).toEqual([{ day: '2026-11-20', negative: 1, positive: 1 }]);

      // the rollups moved exactly as the facts did: a rebuild from the facts changes no report
      const before = [await rate(TUE, FRI + DAY), await rate(...period), await trends()];
      await rebuildRollups(desk.db.store, desk.brandId);
      expect([await rate(TUE, FRI + DAY), await rate(...period), await trends()]).toEqual(before);
    });
  });
}
