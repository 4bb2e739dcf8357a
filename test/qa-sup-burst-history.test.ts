/**
 * QA (supervisor flows): the burst detector judges a burst on its very first run when the brand
 * has weeks of stored mentions, instead of waiting a day to build its baseline: its first run
 * seeds the baseline from the stored inbound volume (counts per 5 minutes, in SQL). A burst in
 * the stored history is not raised as an incident now. SQLite and PostgreSQL, hand-driven clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 18, 14, 1); // Wednesday 18 November 2026, 14:01 London (UTC)
const BURST = Date.UTC(2026, 10, 18, 13, 50);

for (const dialect of DIALECTS) {
  describe(`burst detector seeded from stored mentions [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(NOW);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // three weeks of steady mentions (one every 2 hours, at :20), and a burst five days ago
      const past: ReturnType<typeof mention>[] = [];
      for (let t = Date.UTC(2026, 9, 28, 0, 20); t < NOW - 2 * HOUR; t += 2 * HOUR) past.push(mention({ createdAt: t }));
      const oldBurst = Date.UTC(2026, 10, 13, 3, 0);
      for (let i = 0; i < 12; i++) past.push(mention({ createdAt: oldBurst + i * 10_000 }));
      for (let i = 0; i < past.length; i += 100) {
        const outcomes = await desk.parley.services.pipeline.ingest(desk.brandId, past.slice(i, i + 100).map((message) => ({ channelAccountId: desk.accountId, message, source: 'import' as const })));
        expect(outcomes.every((o) => o.status === 'stored')).toBe(true);
      }
    });
    afterAll(async () => desk?.stop());

    const incidents = () => desk.db.store.db.selectFrom('incident').selectAll().where('brand_id', '=', desk.brandId).execute();

    it('raises an incident for a burst now on its first run, and none for the burst in the history', async () => {
      const msgs = Array.from({ length: 12 }, (_, i) => mention({ createdAt: BURST + i * 10_000 }));
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs });
      expect(r.json.outcomes.every((o: any) => o.status === 'stored')).toBe(true);
      expect(await desk.db.store.db.selectFrom('kv').select('key').where('key', '=', `incident.detector.${desk.brandId}`).executeTakeFirst()).toBeUndefined();
      await desk.parley.services.workflowCommands.detectBursts(desk.brandId);
      const found = await incidents();
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ status: 'open', opened_by: 'detector' });
      expect(found[0]!.reason).toMatch(/^12 mentions in 5 min; usually/);
    });
  });
}
