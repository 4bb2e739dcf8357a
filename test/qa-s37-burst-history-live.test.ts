/**
 * QA (s37): history is not a burst. On a fresh demo desk the burst detector's first run came
 * while the demo's past week was being stored, counted a burst in it as live arrivals, and
 * opened and closed "Unusual volume of mentions — 67 mentions in 5 min; usually none for
 * Sunday 22:10" in the same second, on a Monday evening. History (imported, backfilled, the
 * demo's) feeds the baseline only: stored after live traffic — before the detector's first
 * run, or between two runs — it opens and closes nothing, while a live burst still opens an
 * incident whose reason names its own weekday and time in the brand's zone.
 * SQLite and PostgreSQL, hand-driven clock, the detector's job called by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromWallMs } from '../src/core/wf_time.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const PARIS = 'Europe/Paris'; // CET (UTC+01:00) in December
const MIN = 60_000;
const HOUR = 60 * MIN;
/** Paris wall-clock time in December 2026 as an instant. */
const paris = (d: number, h: number, min = 0) => fromWallMs(PARIS, Date.UTC(2026, 11, d, h, min));
const MONDAY_19 = paris(7, 19); // Monday 7 December 2026

for (const dialect of DIALECTS) {
  describe(`burst detector and stored history [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(MONDAY_19 + MIN);
      desk = await startDesk(dialect, { clock, workers: false });
      await desk.db.store.db.updateTable('brand').set({ timezone: PARIS }).where('id', '=', desk.brandId).execute();
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    const detect = () => desk.parley.services.workflowCommands.detectBursts(desk.brandId);
    const incidents = () => desk.db.store.db.selectFrom('incident').selectAll().where('brand_id', '=', desk.brandId).orderBy('id').execute();
    /** Stored as the demo stores its past week: imported, flagged history. */
    const importHistory = async (times: number[]) => {
      for (let i = 0; i < times.length; i += 100) {
        const items = times.slice(i, i + 100).map((createdAt) => ({ channelAccountId: desk.accountId, message: mention({ createdAt }), source: 'import' as const, history: true }));
        const outcomes = await desk.parley.services.pipeline.ingest(desk.brandId, items);
        expect(outcomes.every((o) => o.status === 'stored')).toBe(true);
      }
    };
    /** Live mentions, received now. */
    const live = async (times: number[]) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: times.map((createdAt) => mention({ createdAt })) });
      expect(r.json.outcomes.every((o: any) => o.status === 'stored')).toBe(true);
    };

    it('opens nothing for a burst in history stored after live traffic, before its first run', async () => {
      // live traffic this last hour: a mention every 10 minutes
      await live(Array.from({ length: 6 }, (_, i) => paris(7, 18, i * 10 + 3)));
      // then the past week arrives: a mention every 2 hours, and 67 in 5 minutes on Sunday 22:10
      const past: number[] = [];
      for (let t = paris(0, 0, 20); t < paris(7, 0); t += 2 * HOUR) past.push(t); // from Monday 30 November
      for (let i = 0; i < 67; i++) past.push(paris(6, 22, 10) + i * 4_000);
      await importHistory(past);
      await detect();
      expect(await incidents()).toEqual([]);
      // ... and the history is the baseline: Sunday 22:10's 67 are in the detector's memory
      const row = await desk.db.store.db.selectFrom('kv').select('value').where('key', '=', `incident.detector.${desk.brandId}`).executeTakeFirstOrThrow();
      const { next, state } = JSON.parse(row.value) as { next: number; state: { history: number[]; pos: number; config: { intervalMs: number } } };
      expect(next).toBe(MONDAY_19);
      const back = (next - paris(6, 22, 10)) / state.config.intervalMs;
      expect(state.history[(state.pos - back + state.history.length) % state.history.length]).toBe(67);
    });

    it('opens nothing for history stored between two runs, however recent', async () => {
      clock.set(MONDAY_19 + 11 * MIN);
      // 30 imported mentions written at 19:05, in the interval the detector judges next
      await importHistory(Array.from({ length: 30 }, (_, i) => MONDAY_19 + 5 * MIN + i * 5_000));
      await detect();
      expect(await incidents()).toEqual([]);
    });

    it('still opens an incident for a live burst, named by its own weekday and time in the brand\'s zone', async () => {
      clock.set(MONDAY_19 + 30 * MIN + 2 * MIN);
      await live(Array.from({ length: 12 }, (_, i) => MONDAY_19 + 30 * MIN + i * 10_000));
      clock.set(MONDAY_19 + 36 * MIN);
      await detect();
      const found = await incidents();
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ status: 'open', opened_by: 'detector', title: 'Unusual volume of mentions' });
      expect(found[0]!.reason).toBe('12 mentions in 5 min; usually none for Monday 19:30 CET');
    });
  });
}
