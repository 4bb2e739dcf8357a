/**
 * SLA notices name the due time as the brand's team reads it: in the brand's time zone with the
 * zone's abbreviation (not UTC). A New York brand's warning reads "due 05:30 EST"; the pure
 * formatter gives the weekday when the due time is on another local day, and a zone without a
 * common abbreviation its offset. The desk on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { localDueTime } from '../src/workflow/workflow.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 UTC = 05:00 in New York (EST)
const T = Date.UTC(2026, 10, 17, 10, 0);

describe('localDueTime', () => {
  it('is the local time and zone abbreviation, with the weekday on another local day', () => {
    expect(localDueTime(T + 30 * MIN, 'America/New_York', T)).toBe('05:30 EST');
    expect(localDueTime(Date.UTC(2026, 6, 1, 16, 5), 'America/Los_Angeles', Date.UTC(2026, 6, 1, 15, 0))).toBe('09:05 PDT');
    expect(localDueTime(Date.UTC(2026, 6, 1, 13, 0), 'Europe/London', Date.UTC(2026, 6, 1, 12, 0))).toBe('14:00 BST');
    expect(localDueTime(Date.UTC(2026, 0, 5, 13, 0), 'Europe/Paris', Date.UTC(2026, 0, 5, 12, 0))).toBe('14:00 CET');
    expect(localDueTime(Date.UTC(2026, 10, 17, 6, 0), 'Asia/Kolkata', Date.UTC(2026, 10, 17, 5, 0))).toBe('11:30 GMT+5:30');
    expect(localDueTime(T, 'UTC', T)).toBe('10:00 UTC');
    // due after local midnight: Wednesday 00:30 in New York, while it is still Tuesday there
    expect(localDueTime(Date.UTC(2026, 10, 18, 5, 30), 'America/New_York', Date.UTC(2026, 10, 18, 4, 0))).toBe('Wed 00:30 EST');
  });
});

for (const dialect of DIALECTS) {
  describe(`SLA notices in the brand's time zone [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      await desk.db.store.db.updateTable('brand').set({ timezone: 'America/New_York' }).where('id', '=', desk.brandId).execute();
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    it('titles the warning with the New York due time', async () => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), text: '@AcmeCare my order never came' })] });
      const id = r.json.outcomes[0].conversationId as number;
      clock.set(T + 22.5 * MIN);
      await desk.parley.services.workflow.refreshSlaMany([id]);
      const notices = (await admin.get('/api/notifications')).json.items.filter((n: any) => n.conversationId === id);
      expect(notices.map((n: any) => [n.kind, n.title])).toEqual([['sla.warning', 'SLA warning: first response due 05:30 EST']]);
    });
  });
}
