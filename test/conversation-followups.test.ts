/**
 * What a customer's follow-up does to a conversation, through the HTTP API with the shipped
 * triage model, on SQLite and PostgreSQL:
 *  - a chaser ("hello??") raises the priority of a conversation that was already a complaint
 *    above its unchased twin — its points on top of where the conversation stood, listed as
 *    "chased" in the chaser's priority reasons — once per unanswered stretch;
 *  - a "thanks, all sorted" after Resolve is recorded without reopening: the conversation stays
 *    resolved, no new resolution clock, no reopen against the assignee; a message that needs
 *    an answer still reopens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);
const BRAND = { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 };

for (const dialect of DIALECTS) {
  describe(`a customer's follow-ups [${dialect}]`, () => {
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
    const customer = () => ({ networkUserId: `followup-${dialect}-${++n}`, handle: `customer${n}`, displayName: `Customer ${n}`, followers: 10 });
    const ingest = async (m: ReturnType<typeof mention>) => {
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0];
      expect(o.status).toBe('stored');
      return { conversationId: o.conversationId as number, messageId: o.messageId as number, m };
    };
    const say = (author: ReturnType<typeof customer>, text: string, over: Partial<ReturnType<typeof mention>> = {}) => ingest(mention({ author, text: `@AcmeCare ${text}`, createdAt: clock.now(), ...over }));
    const answer = (to: ReturnType<typeof mention>) => ingest(mention({ direction: 'outbound', fromBrand: true, author: BRAND, text: `@${to.author.handle} Sorry about that, we are on it`, inReplyToNetworkId: to.networkMessageId, createdAt: clock.now() }));
    const detail = async (id: number) => (await admin.get(`/api/conversations/${id}`)).json;
    const message = async (id: number, messageId: number) => (await detail(id)).messages.find((x: any) => x.id === messageId);
    const row = (id: number) => desk.db.store.db.selectFrom('conversation').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const factKinds = async (id: number) => (await desk.db.store.db.selectFrom('reporting_fact').select('kind').where('conversation_id', '=', id).orderBy('id').execute()).map((f) => f.kind);

    it('raises a chased complaint above its unchased twin, with "chased" among the reasons, once per unanswered stretch', async () => {
      const complaint = 'my order has not arrived yet, it was due on Monday';
      const chased = customer();
      const twin = customer();
      // both complaints were posted two hours before the desk saw them (as in the QA report: 49)
      const first = await say(chased, complaint, { createdAt: clock.now() - 120 * MIN });
      const other = await say(twin, complaint, { createdAt: clock.now() - 120 * MIN });
      const standing = (await row(first.conversationId)).priority;
      expect((await row(other.conversationId)).priority).toBe(standing);
      expect(standing).toBeGreaterThan(40);

      const hello = await say(chased, 'hello??');
      expect(hello.conversationId).toBe(first.conversationId);
      const t = (await message(hello.conversationId, hello.messageId)).triage;
      expect(t.chaser.value).toBe(true);
      const chaserPoints = 20;
      // the chaser's own text scores less than the complaint it chases…
      expect(t.priority.factors.map((f: any) => f.code)).toEqual(['standing', 'chased']);
      expect(t.priority.factors).toEqual([
        { code: 'standing', label: expect.any(String), points: standing },
        { code: 'chased', label: 'chased: customer asked again', points: chaserPoints },
      ]);
      // …yet the conversation now stands above its unchased twin, by the chaser's points
      const raised = (await detail(first.conversationId)).conversation.priority;
      expect(raised).toBe(standing + chaserPoints);
      expect(t.priority.value).toBe(raised);
      expect((await row(other.conversationId)).priority).toBe(standing);

      // chasing the same wait again does not push it further (read back from the stored chaser)
      clock.advance(30 * MIN);
      const again = await say(chased, 'hello??');
      expect((await message(again.conversationId, again.messageId)).triage.chaser.value).toBe(true);
      expect((await row(first.conversationId)).priority).toBe(raised);

      // answered, then a new wait: that one may be chased again
      clock.advance(MIN);
      await answer(again.m);
      clock.advance(10 * MIN);
      await say(chased, 'it has still not arrived, where is it?');
      const newWait = (await row(first.conversationId)).priority;
      clock.advance(60 * MIN);
      const third = await say(chased, 'hello??');
      expect((await message(third.conversationId, third.messageId)).triage.chaser.value).toBe(true);
      expect((await row(first.conversationId)).priority).toBe(Math.min(100, newWait + chaserPoints));
    });

    it('records a "thanks, all sorted" after Resolve without reopening: no new cycle, no resolution clock, no reopen', async () => {
      const who = customer();
      const first = await say(who, 'my order has not arrived yet, it was due on Monday');
      const id = first.conversationId;
      await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana });
      clock.advance(10 * MIN);
      const reply = await answer(first.m);
      clock.advance(5 * MIN);
      expect((await admin.post(`/api/conversations/${id}/status`, { status: 'resolved' })).status).toBe(200);
      const resolved = await row(id);
      expect(resolved.status).toBe('resolved');
      const slaBefore = (await admin.get(`/api/conversations/${id}/sla`)).json.items;
      const factsBefore = await factKinds(id);

      clock.advance(20 * MIN);
      const thanks = await say(who, 'thanks, all sorted', { kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId });
      expect(thanks.conversationId).toBe(id);
      // what triage says of it: nothing to answer
      const t = (await message(id, thanks.messageId)).triage;
      expect(t.action.value).toBe('monitor');
      expect(t.action.reason).toMatch(/closes the conversation/);

      const c = (await detail(id)).conversation;
      expect(c.status).toBe('resolved');
      expect(c.slaDueAt).toBeNull();
      expect(c.slaState).toBe(resolved.sla_state);
      const after = await row(id);
      expect(after).toMatchObject({ reopened_count: 0, resolved_at: resolved.resolved_at, cycle_started_at: resolved.cycle_started_at, waiting_since: null, assignee_id: desk.users.ana, message_count: 3 });
      // no clock of a new cycle, resolution or other
      const sla = (await admin.get(`/api/conversations/${id}/sla`)).json.items;
      expect(sla).toEqual(slaBefore);
      expect(sla.filter((k: any) => k.cycle > 1)).toEqual([]);
      // and when the clocks are worked out again from the stored messages (any later action does)
      await desk.parley.services.workflow.refreshSla(id);
      expect((await admin.get(`/api/conversations/${id}/sla`)).json.items).toEqual(slaBefore);
      expect((await row(id)).sla_due_at).toBeNull();
      // counted as volume (and praise), not as a reopening
      expect(await factKinds(id)).toEqual([...factsBefore, 'inbound', 'accolade']);
      // not back in the live inbox
      const open = (await admin.get('/api/conversations?view=open&limit=200')).json.items.map((x: any) => x.id);
      expect(open).not.toContain(id);

      // a message that needs an answer still reopens, with its own clocks
      clock.advance(60 * MIN);
      const more = await say(who, 'actually one more thing, where is my refund?', { kind: 'reply', inReplyToNetworkId: reply.m.networkMessageId });
      expect((await message(id, more.messageId)).triage.action.value).toBe('respond');
      const reopened = await row(id);
      expect(reopened).toMatchObject({ status: 'open', reopened_count: 1, cycle_started_at: clock.now(), waiting_since: clock.now() });
      expect((await factKinds(id)).filter((k) => k === 'reopen')).toHaveLength(1);
      const clocks = (await admin.get(`/api/conversations/${id}/sla`)).json.items;
      expect(clocks.find((k: any) => k.metric === 'first_response' && k.stoppedAt == null)).toMatchObject({ startedAt: new Date(clock.now()).toISOString() });
      expect(clocks.find((k: any) => k.metric === 'resolution' && k.stoppedAt == null)).toMatchObject({ startedAt: new Date(clock.now()).toISOString() });
    });
  });
}
