/**
 * Customers linked to an incident count as people working on it, with the real burst
 * detector on a real desk (SQLite and PostgreSQL, hand-driven clock, the detector's job
 * called by the test): when the burst is over, an incident nobody touched is closed as
 * before, while one with customers' conversations linked to it (and nothing else: no
 * statement, no note, no other action on it) stays open, its links kept, and the leads are
 * told the volume is back to normal and why it stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
// Tuesday 17 November 2026, 14:00 UTC (the brand's zone stays UTC)
const TUESDAY_14 = Date.UTC(2026, 10, 17, 14, 0);

for (const dialect of DIALECTS) {
  describe(`burst detector and linked customers [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    const db = () => desk.db.store.db;
    const detect = () => desk.parley.services.workflowCommands.detectBursts(desk.brandId);
    beforeAll(async () => {
      // the detector starts three days before, and sees quiet days go by
      clock = new ManualClock(TUESDAY_14 - 3 * 24 * HOUR + MIN);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      await detect();
      for (const at of [TUESDAY_14 - 2 * 24 * HOUR + MIN, TUESDAY_14 - 24 * HOUR + MIN, TUESDAY_14 - 10 * MIN]) {
        clock.set(at);
        await detect();
      }
    });
    afterAll(async () => desk?.stop());

    /** `n` mentions (each its own customer) written in the 5 minutes from `at`; their conversations. */
    const burst = async (at: number, n: number): Promise<number[]> => {
      const msgs = Array.from({ length: n }, (_, i) => mention({ createdAt: at + i * 10_000 }));
      clock.set(Math.max(clock.now(), at + (n - 1) * 10_000)); // received as written, not ahead of the clock
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs });
      expect(r.json.outcomes.every((o: any) => o.status === 'stored')).toBe(true);
      return r.json.outcomes.map((o: any) => o.conversationId as number);
    };
    const incidents = () => db().selectFrom('incident').selectAll().where('brand_id', '=', desk.brandId).orderBy('id').execute();
    const actions = async (id: number) => (await db().selectFrom('audit_event').select(['action', 'actor']).where('subject_type', '=', 'incident').where('subject_id', '=', String(id)).orderBy('id').execute()).map((a) => `${a.action} by ${a.actor}`);
    const calmNotes = () => db().selectFrom('notification').select(['user_id', 'title', 'body']).where('kind', '=', 'incident.calm').orderBy('id').execute();

    it('closes an incident without linked customers once the burst is over, as before', async () => {
      await burst(TUESDAY_14, 12);
      clock.set(TUESDAY_14 + 6 * MIN);
      await detect();
      const inc = (await incidents()).at(-1)!;
      expect(inc).toMatchObject({ status: 'open', opened_by: 'detector' });

      clock.set(TUESDAY_14 + 21 * MIN);
      await detect();
      expect((await incidents()).at(-1)).toMatchObject({ id: inc.id, status: 'closed' });
      expect(await actions(inc.id)).toEqual(['incident.opened by system:incidents', 'incident.closed by system:incidents']);
      expect(await calmNotes()).toEqual([]);
    });

    it('keeps an incident with linked customers open once the burst is over, and tells the leads why', async () => {
      // past the detector's cool-down (2 h after the last close)
      const at = TUESDAY_14 + 3 * HOUR;
      const convs = await burst(at, 15);
      clock.set(at + 6 * MIN);
      await detect();
      const inc = (await incidents()).at(-1)!;
      expect(inc).toMatchObject({ status: 'open', opened_by: 'detector' });

      // an agent links two of the customers who wrote: nothing else is done on the incident
      for (const c of convs.slice(0, 2)) expect((await ana.req('PUT', `/api/conversations/${c}/incident`, { incidentId: inc.id })).status).toBe(200);
      expect(await actions(inc.id)).toEqual(['incident.opened by system:incidents']);

      clock.set(at + 21 * MIN);
      await detect();
      const after = (await incidents()).at(-1)!;
      expect(after).toMatchObject({ id: inc.id, status: 'open', closed_at: null });
      expect((await db().selectFrom('conversation').select('id').where('incident_id', '=', inc.id).orderBy('id').execute()).map((r) => r.id)).toEqual(convs.slice(0, 2).sort((a, b) => a - b));
      expect(await actions(inc.id)).toEqual(['incident.opened by system:incidents', 'incident.calm by system:incidents']);
      const notes = await calmNotes();
      expect(notes.map((n) => n.user_id).sort((a, b) => a - b)).toEqual([desk.users.admin, desk.users.approver].sort((a, b) => a - b));
      expect(notes[0]!.body).toMatch(/stays open because 2 customers were linked to it/);
      const listed = (await admin.get('/api/incidents')).json.items.find((i: any) => i.id === inc.id);
      expect(listed).toMatchObject({ status: 'open', affected: { total: 2, open: 2 } });

      // later runs leave it open: a person closes it when the problem is solved
      clock.set(at + 40 * MIN);
      await detect();
      expect((await incidents()).at(-1)!.status).toBe('open');
    });
  });
}
