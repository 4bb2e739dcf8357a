/**
 * The burst detector on a desk (SQLite and PostgreSQL, hand-driven clock, the detector's job
 * called by the test):
 *  - it explains a burst in the brand's time zone (America/New_York, just after the clocks
 *    went back), not in UTC;
 *  - when the burst is over it closes an incident nobody touched, as before; but an incident
 *    people are working on (here: a statement waiting for sign-off) stays open, the statement
 *    is not withdrawn, and the leads and the statement's author are told the volume is back
 *    to normal and it may be closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromWallMs } from '../src/core/wf_time.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const NY = 'America/New_York';
const MIN = 60_000;
const HOUR = 60 * MIN;
/** New York wall-clock time as an instant. */
const ny = (month: number, d: number, h: number, min = 0) => fromWallMs(NY, Date.UTC(2026, month - 1, d, h, min));
// Clocks went back in New York on Sunday 1 November 2026, 02:00 → 01:00.
const MONDAY_14 = ny(11, 2, 14); // 19:00 UTC

for (const dialect of DIALECTS) {
  describe(`burst detector on a desk [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let cleo: Client;
    beforeAll(async () => {
      // Saturday 31 October 14:00 New York (EDT): the detector starts, a day of quiet history behind it
      clock = new ManualClock(ny(10, 31, 14, 1));
      desk = await startDesk(dialect, { clock, workers: false });
      await desk.db.store.db.updateTable('brand').set({ timezone: NY }).where('id', '=', desk.brandId).execute();
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      const detect = () => desk.parley.services.workflowCommands.detectBursts(desk.brandId);
      // two more quiet days observed, across the change of the clocks
      await detect();
      for (const at of [ny(11, 1, 14, 1), MONDAY_14 - 10 * MIN]) {
        clock.set(at);
        await detect();
      }
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const detect = () => desk.parley.services.workflowCommands.detectBursts(desk.brandId);
    /** `n` mentions written in the 5 minutes from `at`. */
    const burst = async (at: number, n: number) => {
      const msgs = Array.from({ length: n }, (_, i) => mention({ createdAt: at + i * 10_000 }));
      clock.set(Math.max(clock.now(), at + (n - 1) * 10_000)); // received as written, not ahead of the clock
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs });
      expect(r.json.outcomes.every((o: any) => o.status === 'stored')).toBe(true);
    };
    const incidents = () => db().selectFrom('incident').selectAll().where('brand_id', '=', desk.brandId).orderBy('id').execute();
    const actions = async (id: number) => (await db().selectFrom('audit_event').select(['action', 'actor']).where('subject_type', '=', 'incident').where('subject_id', '=', String(id)).orderBy('id').execute()).map((a) => `${a.action} by ${a.actor}`);

    it('explains the burst in the brand\'s local time, and closes an incident nobody touched once it is over', async () => {
      await burst(MONDAY_14, 12);
      clock.set(MONDAY_14 + 6 * MIN);
      await detect();
      const [inc] = await incidents();
      expect(inc).toMatchObject({ status: 'open', opened_by: 'detector' });
      // not "… for Monday 19:00" (UTC)
      expect(inc!.reason).toBe('12 mentions in 5 min; usually none for Monday 14:00 EST');

      // 14:05, 14:10, 14:15 are calm: the burst is over, and nobody worked on the incident
      clock.set(MONDAY_14 + 21 * MIN);
      await detect();
      const [closed] = await incidents();
      expect(closed!.status).toBe('closed');
      expect(await actions(closed!.id)).toEqual(['incident.opened by system:incidents', 'incident.closed by system:incidents']);
      expect(await db().selectFrom('notification').select('id').where('kind', '=', 'incident.calm').execute()).toHaveLength(0);
    });

    it('keeps an incident with a statement waiting for sign-off open when the burst is over, and tells the people concerned', async () => {
      // past the detector's cool-down (2 h after the last close)
      const at = MONDAY_14 + 3 * HOUR; // 17:00 New York
      await burst(at, 15);
      clock.set(at + 6 * MIN);
      await detect();
      const inc = (await incidents()).at(-1)!;
      expect(inc).toMatchObject({ status: 'open', opened_by: 'detector' });
      expect(inc.reason).toMatch(/for Monday 17:00 EST$/);

      // a lead writes the statement; it waits for a second person's sign-off
      const text = 'Many of you cannot check out right now. We are on it and will post here when it works again.';
      const st = await cleo.post(`/api/incidents/${inc.id}/statement`, { channelAccountId: desk.accountId, text });
      expect(st.status).toBe(202);
      const mid = st.json.message.id as number;
      await db().deleteFrom('notification').execute();

      // mentions calm down; the outage is not necessarily over
      clock.set(at + 21 * MIN);
      await detect();
      const after = (await incidents()).at(-1)!;
      expect(after.status).toBe('open');
      expect(after.closed_at).toBeNull();
      const m = await db().selectFrom('message').select(['status', 'error']).where('id', '=', mid).executeTakeFirstOrThrow();
      expect(m).toEqual({ status: 'pending_approval', error: null });
      expect((await admin.get('/api/approvals')).json.items.map((x: any) => x.id)).toContain(mid);

      // the leads (admins and approvers, the statement's author among them) are told it may be closed, once
      const notes = await db().selectFrom('notification').select(['user_id', 'title', 'body']).where('kind', '=', 'incident.calm').orderBy('user_id').execute();
      expect(notes.map((n) => n.user_id)).toEqual([desk.users.admin, desk.users.approver].sort((a, b) => a - b));
      expect(notes[0]!.title).toBe('Mentions are back to normal: “Unusual volume of mentions” may be closed');
      expect(notes[0]!.body).toMatch(/stays open because a statement is waiting for sign-off/);
      expect((await cleo.get('/api/notifications')).json.items.some((n: any) => n.kind === 'incident.calm')).toBe(true);
      expect(await actions(inc.id)).toEqual([
        'incident.opened by system:incidents',
        `incident.statement_pending_approval by user:${desk.users.approver}`,
        'incident.calm by system:incidents',
      ]);

      // later runs change nothing: the incident is closed by a person, when the problem is solved
      clock.set(at + 40 * MIN);
      await detect();
      expect((await incidents()).at(-1)!.status).toBe('open');
      expect(await db().selectFrom('notification').select('id').where('kind', '=', 'incident.calm').execute()).toHaveLength(2);
      // and the statement can still be signed off and posted
      expect((await admin.post(`/api/approvals/${mid}`, { decision: 'approve' })).json.status).toBe('queued');
    });
  });
}
