/**
 * An automatic message from the customer (an out-of-office, a bounce: `automated`, stored
 * `is_auto`) into a resolved conversation reopens nothing — ingest decides that when it
 * arrives, and the SLA timeline read back from the tables (`timelines` in the workflow, used by
 * every recomputation after an agent's action) must say so too (`reopens: false`). Otherwise
 * the next recomputation — here after a colleague labels the resolved conversation — finds a
 * new cycle begun at the out-of-office, gives the resolved conversation running first-response
 * and resolution clocks (and a deadline), and a reopening by hand then owes a first response
 * counted from the out-of-office. On SQLite and PostgreSQL, through the HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, pendingSlaTimer, startDesk, type TestDesk } from './helpers/parley.js';

// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const BRAND = { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 };

for (const dialect of DIALECTS) {
  describe(`an automatic reply after a resolve, in the recomputed SLA timeline [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    const ingest = async (m: ReturnType<typeof mention>) => {
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0];
      expect(o.status).toBe('stored');
      return o.conversationId as number;
    };
    const clocks = async (id: number) => ((await admin.get(`/api/conversations/${id}/sla`)).json.items as any[]).map((c) => ({ metric: c.metric, cycle: c.cycle, state: c.state, startedAt: c.startedAt, stoppedAt: c.stoppedAt }));
    const row = (id: number) => desk.db.store.db.selectFrom('conversation').select(['status', 'sla_due_at', 'sla_state']).where('id', '=', id).executeTakeFirstOrThrow();

    it('keeps the resolved conversation without clocks after an out-of-office and a colleague\'s action, and a reopening owes no first response for it', async () => {
      const who = { networkUserId: `ooo-${dialect}`, handle: 'traveller', displayName: 'Traveller', followers: 10 };
      const complaint = mention({ author: who, text: '@AcmeCare my order has not arrived, it was due on Monday', createdAt: clock.now() });
      const id = await ingest(complaint);
      clock.advance(10 * MIN);
      const answer = mention({ direction: 'outbound', fromBrand: true, author: BRAND, text: '@traveller Sorry about that: it leaves the depot today', inReplyToNetworkId: complaint.networkMessageId, createdAt: clock.now() });
      expect(await ingest(answer)).toBe(id);
      clock.advance(5 * MIN);
      expect((await admin.post(`/api/conversations/${id}/status`, { status: 'resolved' })).status).toBe(200);
      const cycleOne = [
        { metric: 'first_response', cycle: 1, state: 'met', startedAt: iso(T), stoppedAt: iso(T + 10 * MIN) },
        { metric: 'resolution', cycle: 1, state: 'met', startedAt: iso(T), stoppedAt: iso(T + 15 * MIN) },
      ];
      expect(await clocks(id)).toEqual(cycleOne);

      // 10:20 the customer's out-of-office answers the brand's reply: automatic, it reopens nothing
      clock.advance(5 * MIN);
      const ooo = mention({ author: who, kind: 'reply', automated: true, text: '@AcmeCare I am away until Monday and will read your message then.', inReplyToNetworkId: answer.networkMessageId, createdAt: clock.now() });
      expect(await ingest(ooo)).toBe(id);
      const stored = await desk.db.store.db.selectFrom('message').select('is_auto').where('network_message_id', '=', ooo.networkMessageId).executeTakeFirstOrThrow();
      expect(stored.is_auto).toBe(1);
      expect(await row(id)).toEqual({ status: 'resolved', sla_due_at: null, sla_state: 'met' });
      expect(await clocks(id)).toEqual(cycleOne);

      // 10:25 a colleague labels it: the clocks are recomputed from the stored timeline, and still
      // find nothing to count — no cycle begun at the out-of-office, no deadline, no timer
      clock.advance(5 * MIN);
      expect((await admin.post(`/api/conversations/${id}/labels`, { add: ['delivery'] })).status).toBe(200);
      expect(await row(id)).toEqual({ status: 'resolved', sla_due_at: null, sla_state: 'met' });
      expect(await clocks(id)).toEqual(cycleOne);
      expect(await pendingSlaTimer(desk, id)).toBeNull();

      // 10:30 reopened by hand: the brand had the last word, so no first response is owed; the
      // new cycle's resolution clock starts at the reopening, not at the out-of-office
      clock.advance(5 * MIN);
      expect((await admin.post(`/api/conversations/${id}/status`, { status: 'open' })).status).toBe(200);
      expect(await clocks(id)).toEqual([{ metric: 'resolution', cycle: 2, state: 'active', startedAt: iso(T + 30 * MIN), stoppedAt: null }]);
      expect((await row(id)).sla_due_at).toBe(T + 30 * MIN + 24 * 60 * MIN);
    });
  });
}
