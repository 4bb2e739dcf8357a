/**
 * A conversation that needs a response again because the brand's reply was removed on the network
 * (src/pipeline/deletions.ts `replyRemoved`) gets its response clock back, from when the desk
 * learnt of the removal (the team answered in time; the removal was not theirs), with its timer:
 * without it the conversation waited with no clock, and never breached. Real desk, SQLite and
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { applyNetworkVisibility } from '../src/pipeline/deletions.js';
import { DIALECTS } from './db.js';
import { Client, mention, pendingSlaTimer, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 17, 10, 0); // a Tuesday, in business hours

for (const dialect of DIALECTS) {
  describe(`a removed reply's conversation gets its clock back [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    const conv = (id: number) => desk.db.store.db.selectFrom('conversation').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    // the response clocks (the resolution clock runs on until the conversation is resolved)
    const running = async (id: number) => ((await ana.get(`/api/conversations/${id}/sla`)).json.items as any[]).filter((k) => k.stoppedAt == null && k.metric !== 'resolution');

    it('starts a response clock at the removal, due one target later, with its timer', async () => {
      const [o] = await desk.parley.services.pipeline.ingest(desk.brandId, [{ channelAccountId: desk.accountId, source: 'network', message: mention({ text: '@AcmeCare when do you open on Sunday?', createdAt: clock.now() }) }]);
      const id = (o as { conversationId: number }).conversationId;
      clock.advance(5 * MIN);
      const r = await ana.post(`/api/conversations/${id}/replies`, { text: 'We open 10 to 4 on Sundays.' });
      expect(r.status).toBe(202);
      expect(await desk.parley.services.outbox.runOnce()).toBe(1);
      const reply = await desk.db.store.db.selectFrom('message').select(['network_message_id', 'status']).where('id', '=', r.json.message.id).executeTakeFirstOrThrow();
      expect(reply.status).toBe('sent');
      await desk.parley.services.workflow.idle();
      expect(await running(id)).toEqual([]);

      clock.advance(40 * MIN);
      const removedAt = clock.now();
      await applyNetworkVisibility({ store: desk.db.store, bus: desk.parley.services.bus, clock }, {
        brandId: desk.brandId, network: 'x', actor: 'system:sync:x', hidden: new Map([[reply.network_message_id!, 'post_taken_down']]), shown: [],
      });
      await desk.parley.services.workflow.idle();
      expect((await conv(id)).status).toBe('open');
      const clocks = await running(id);
      expect(clocks.length).toBeGreaterThan(0);
      const due = Math.min(...clocks.map((k) => Date.parse(k.dueAt)));
      expect(due).toBeGreaterThan(removedAt);
      expect(Number((await conv(id)).sla_due_at)).toBe(due);
      // its timer is set, for the clock's next change (a warning before it is due)
      const timer = await pendingSlaTimer(desk, id);
      expect(timer).not.toBeNull();
      expect(timer!).toBeGreaterThan(removedAt);
      expect(timer!).toBeLessThanOrEqual(due);
    });
  });
}
