/**
 * The burst detector's job reads the brand's inbound volume per interval on both engines (on
 * PostgreSQL the interval had been a bound parameter twice, which it refused: the job failed
 * every minute and no incident was ever detected there) and keeps its state between runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`burst detection [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    const NOW = Date.UTC(2026, 10, 17, 12, 2);
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock: new ManualClock(NOW), workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    it('counts inbound mentions per interval and saves its state', async () => {
      // 7 mentions in the 11:50 interval, 2 in 11:55
      const at = (min: number) => Date.UTC(2026, 10, 17, 11, min);
      const msgs = [...Array.from({ length: 7 }, (_, i) => mention({ createdAt: at(50) + i * 1000 })), mention({ createdAt: at(56) }), mention({ createdAt: at(57) })];
      expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs })).json.outcomes.every((o: any) => o.status === 'stored')).toBe(true);
      await desk.parley.services.workflowCommands.detectBursts(desk.brandId);
      const row = await desk.db.store.db.selectFrom('kv').select('value').where('key', '=', `incident.detector.${desk.brandId}`).executeTakeFirstOrThrow();
      const saved = JSON.parse(row.value) as { next: number; state: { history: number[]; pos: number } };
      expect(saved.next).toBe(Date.UTC(2026, 10, 17, 12, 0)); // every complete interval observed
      const h = saved.state.history;
      const last = (k: number) => h[(saved.state.pos - k + h.length) % h.length];
      expect([last(2), last(1)]).toEqual([7, 2]);
    });
  });
}
