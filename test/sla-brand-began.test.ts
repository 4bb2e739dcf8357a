/**
 * SLA clocks of a conversation the brand began (its own post), through the ingest pipeline
 * and the workflow, on SQLite and PostgreSQL. The post answers nobody and runs no clock;
 * the customer's first message starts the first-response clock exactly as in a
 * conversation the customer began (due = its time + the target, in business hours when the
 * policy says so), the post not counting as a response; the agent's reply stops it as met.
 * A customer message stamped ahead of the desk's clock gets its clock when its time comes
 * (a timer is set for it) instead of none at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../src/core/sla.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, pendingSlaTimer, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);
// Friday 20 November 2026, London (UTC+0 in November)
const FRIDAY_NOON = Date.UTC(2026, 10, 20, 12, 0);
const WEEKDAYS = { mon: [{ start: '09:00', end: '17:00' }], tue: [{ start: '09:00', end: '17:00' }], wed: [{ start: '09:00', end: '17:00' }], thu: [{ start: '09:00', end: '17:00' }], fri: [{ start: '09:00', end: '17:00' }] };
const BRAND = { networkUserId: 'acme-brand', handle: 'AcmeCare', displayName: 'Acme' };
const iso = (t: number) => new Date(t).toISOString();

for (const dialect of DIALECTS) {
  describe(`SLA of a conversation the brand began [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      // no background loops: the test drives the outbox and the timers itself
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    const ingest = async (m: ReturnType<typeof mention>) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      expect(r.status).toBe(200);
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };
    const brandPost = (text: string) => mention({ direction: 'outbound', fromBrand: true, kind: 'post', author: BRAND, text, createdAt: clock.now() });
    const customerReply = (post: ReturnType<typeof mention>, who: string, text: string, createdAt = clock.now()) =>
      mention({ kind: 'reply', author: { networkUserId: who, handle: who, displayName: who, followers: 10 }, text, inReplyToNetworkId: post.networkMessageId, createdAt });
    const clocksOf = async (id: number) => {
      const r = await ana.get(`/api/conversations/${id}/sla`);
      expect(r.status).toBe(200);
      return r.json.items as any[];
    };
    const conversation = async (id: number) => (await ana.get(`/api/conversations/${id}`)).json.conversation;
    const pendingTimer = (id: number) => pendingSlaTimer(desk, id);
    /** What ingest wrote is what a full re-evaluation from the tables gives. */
    const agreesWithFullEvaluation = async (id: number) => {
      const before = await clocksOf(id);
      await desk.parley.services.workflow.refreshSla(id);
      expect(await clocksOf(id)).toEqual(before);
      return before;
    };

    it('starts the first-response clock at the customer\'s first message on the brand\'s post, and the agent\'s reply meets it', async () => {
      const post = brandPost('Our new app is out today: faster checkout, dark mode and more!');
      const id = await ingest(post);
      // the post alone: nobody waits, nothing is measured, nothing in the open inbox
      expect((await conversation(id)).status).toBe('resolved');
      expect(await clocksOf(id)).toEqual([]);
      expect(await pendingTimer(id)).toBeNull();

      clock.advance(10 * MIN);
      const replyAt = clock.now();
      const reply = customerReply(post, 'angry_anna', '@AcmeCare the new app crashes on login and charged me twice. Terrible, fix it now!');
      expect(await ingest(reply)).toBe(id);
      const c = await conversation(id);
      expect(c).toMatchObject({ status: 'new', waitingSince: iso(replyAt), firstResponseAt: null, slaState: 'active', slaDueAt: iso(replyAt + 30 * MIN) });
      const clocks = await agreesWithFullEvaluation(id);
      expect(clocks).toEqual([
        { metric: 'first_response', cycle: 1, state: 'active', dueAt: iso(replyAt + 30 * MIN), warningAt: iso(replyAt + 22.5 * MIN), targetMs: 30 * MIN, businessHours: false, startedAt: iso(replyAt), stoppedAt: null },
        { metric: 'resolution', cycle: 1, state: 'active', dueAt: iso(replyAt + 24 * 60 * MIN), warningAt: iso(replyAt + 18 * 60 * MIN), targetMs: 24 * 60 * MIN, businessHours: false, startedAt: iso(replyAt), stoppedAt: null },
      ]);
      // the scheduler looks again at the warning
      expect(await pendingTimer(id)).toBe(replyAt + 22.5 * MIN);

      // an agent answers 12 minutes later; the outbox sends it
      clock.advance(12 * MIN);
      const sentAt = clock.now();
      expect((await ana.post(`/api/conversations/${id}/replies`, { text: 'So sorry, Anna! The second charge is refunded and a fix for the login crash ships today.', visibility: 'public' })).status).toBe(202);
      await desk.parley.services.outbox.runOnce();
      const after = await agreesWithFullEvaluation(id);
      expect(after.find((k) => k.metric === 'first_response')).toMatchObject({ state: 'met', stoppedAt: iso(sentAt), dueAt: iso(replyAt + 30 * MIN) });
      expect(after.find((k) => k.metric === 'resolution')).toMatchObject({ state: 'active', stoppedAt: null });
      expect(await conversation(id)).toMatchObject({ status: 'open', firstResponseAt: iso(sentAt) });
      const met = await desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'value_s']).where('conversation_id', '=', id).where('kind', 'in', ['first_response', 'sla_met', 'sla_breached']).orderBy('kind').execute();
      expect(met.map((f) => [f.kind, Number(f.value_s)])).toEqual([['first_response', 12 * 60], ['sla_met', 12 * 60]]);
    });

    it('counts the first response in business hours as configured: Friday 16:45 is due Monday 09:15', async () => {
      expect((await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: { timeZone: 'Europe/London', weekly: WEEKDAYS } })).status).toBe(200);
      expect((await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, businessHours: true } })).status).toBe(200);
      try {
        clock.set(FRIDAY_NOON);
        const post = brandPost('Weekend sale: 20 % off everything until Sunday!');
        const id = await ingest(post);
        clock.set(Date.UTC(2026, 10, 20, 16, 45));
        const replyAt = clock.now();
        expect(await ingest(customerReply(post, 'late_larry', '@AcmeCare the discount code does not work at checkout, I want a refund'))).toBe(id);
        const clocks = await agreesWithFullEvaluation(id);
        expect(clocks.find((k) => k.metric === 'first_response')).toMatchObject({ state: 'active', businessHours: true, startedAt: iso(replyAt), dueAt: iso(Date.UTC(2026, 10, 23, 9, 15)), warningAt: iso(Date.UTC(2026, 10, 23, 9, 7, 30)) });
        expect((await conversation(id)).slaDueAt).toBe(iso(Date.UTC(2026, 10, 23, 9, 15)));
      } finally {
        await admin.req('PATCH', '/api/settings/workflow', { sla: DEFAULT_SLA_POLICY });
        await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: null });
        clock.set(TUESDAY_10AM + 24 * 60 * MIN);
      }
    });

    it('gives a customer message stamped ahead of the desk\'s clock its clock when its time comes', async () => {
      const post = brandPost('We are open on the bank holiday this year.');
      const id = await ingest(post);
      clock.advance(5 * MIN);
      // the network's clock runs two minutes ahead of ours
      const replyAt = clock.now() + 2 * MIN;
      expect(await ingest(customerReply(post, 'ahead_ada', '@AcmeCare my order never arrived and nobody answers', replyAt))).toBe(id);
      expect(await clocksOf(id)).toEqual([]);
      // not forgotten: the scheduler looks again when the message's time comes
      expect(await pendingTimer(id)).toBe(replyAt);
      clock.set(replyAt);
      if (dialect === 'sqlite') await desk.parley.services.jobs.runDue();
      else await desk.parley.services.workflow.refreshSla(id); // graphile-worker runs the timer by the wall clock; run what it runs
      const clocks = await clocksOf(id);
      expect(clocks.find((k) => k.metric === 'first_response')).toMatchObject({ state: 'active', startedAt: iso(replyAt), dueAt: iso(replyAt + 30 * MIN) });
      expect((await conversation(id)).slaDueAt).toBe(iso(replyAt + 30 * MIN));
      expect(await pendingTimer(id)).toBe(replyAt + 22.5 * MIN);
    });
  });
}
