/**
 * A target set to count business hours does so even when the policy itself runs around the
 * clock: the account's calendar is always handed to the SLA rules, which choose per target.
 * Policy `businessHours: false`, first response 60 min in business hours, resolution 24 h on
 * the wall clock; a message on Saturday 03:00 to a Mon–Fri 09:00–17:00 desk (London) is due a
 * first response on Monday at 10:00 and a resolution on Sunday at 03:00. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../src/core/sla.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, pendingSlaTimer, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Saturday 14 November 2026, 03:00 London (UTC+0 in November)
const SATURDAY_3AM = Date.UTC(2026, 10, 14, 3, 0);
const MONDAY_9AM = Date.UTC(2026, 10, 16, 9, 0);
const nineToFive = [{ start: '09:00', end: '17:00' }];
const WEEKDAYS = { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive };
const iso = (t: number) => new Date(t).toISOString();

for (const dialect of DIALECTS) {
  describe(`a target in business hours under a 24/7 policy [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(SATURDAY_3AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      expect((await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: { timeZone: 'Europe/London', weekly: WEEKDAYS } })).status).toBe(200);
      const sla = {
        ...DEFAULT_SLA_POLICY,
        businessHours: false,
        targets: [
          { metric: 'first_response', targetMs: 60 * MIN, businessHours: true },
          { metric: 'resolution', targetMs: 24 * 60 * MIN },
        ],
      };
      expect((await admin.req('PATCH', '/api/settings/workflow', { sla })).status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    it('counts the first-response target in business hours: due Monday at opening + target; the resolution on the wall clock', async () => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), text: '@AcmeCare my parcel is lost' })] });
      const id = r.json.outcomes[0].conversationId as number;
      const clocks = (await admin.get(`/api/conversations/${id}/sla`)).json.items as { metric: string; dueAt: string; businessHours: boolean }[];
      expect(clocks.find((c) => c.metric === 'first_response')).toMatchObject({ businessHours: true, dueAt: iso(MONDAY_9AM + 60 * MIN) });
      expect(clocks.find((c) => c.metric === 'resolution')).toMatchObject({ businessHours: false, dueAt: iso(SATURDAY_3AM + 24 * 60 * MIN) });
      const conv = (await admin.get(`/api/conversations/${id}`)).json.conversation;
      expect(conv.slaDueAt).toBe(iso(MONDAY_9AM + 60 * MIN));
      // nothing warns over the weekend: the next timer is the resolution's warning (75 % of 24 h), then Monday
      expect(await pendingSlaTimer(desk, id)).toBe(SATURDAY_3AM + 18 * 60 * MIN);
    });
  });
}
