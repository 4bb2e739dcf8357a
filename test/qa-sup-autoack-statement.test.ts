/**
 * QA (supervisor flows): the out-of-hours acknowledgement points a customer to an open
 * incident's statement only when that statement was posted from the account the customer
 * wrote to. A brand with two X accounts (@AcmeCare, @AcmeFood) posts the statement from
 * @AcmeFood: a customer of @AcmeCare must not be told "our latest post has the update",
 * one of @AcmeFood is. Through the HTTP API on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelAccount } from '../src/commands/setup.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const nineToFive = [{ start: '09:00', end: '17:00' }];
const CALENDAR = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };
const at = (day: number, h: number, m = 0) => Date.UTC(2026, 10, day, h, m); // November 2026, London on UTC
const FRIDAY = 20;
const POINTER = /many are reporting/;

for (const dialect of DIALECTS) {
  describe(`auto-acknowledgement statement pointer stays on its account [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let foodId = 0;
    beforeAll(async () => {
      clock = new ManualClock(at(FRIDAY, 21));
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      foodId = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'x', handle: 'AcmeFood', driver: 'demo' }, clock.now());
      for (const id of [desk.accountId, foodId]) {
        expect((await admin.req('PUT', `/api/channel-accounts/${id}/calendar`, { calendar: CALENDAR })).status).toBe(200);
        const acc = await db().selectFrom('channel_account').select('settings').where('id', '=', id).executeTakeFirstOrThrow();
        await db().updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse(acc.settings), autoAck: { enabled: true } }) }).where('id', '=', id).execute();
      }
      desk.parley.services.workflowSettings.invalidate();
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    let seq = 0;
    const ingest = async (accountId: number, handle: string) => {
      seq++;
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [mention({ createdAt: clock.now(), author: { networkUserId: `qa-mass-${seq}`, handle: `qamass${seq}` }, text: `@${handle} checkout keeps failing, I cannot pay, is it down?` })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };
    const ackText = async (conversationId: number) => {
      const rows = await db().selectFrom('message').select('text').where('conversation_id', '=', conversationId).where('is_auto', '=', 1).execute();
      expect(rows).toHaveLength(1);
      return rows[0]!.text;
    };

    it('mentions the statement only to customers of the account that posted it', async () => {
      const cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      const inc = await cleo.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail for everyone since 20:30' });
      expect(inc.status).toBe(201);
      const st = await cleo.post(`/api/incidents/${inc.json.id}/statement`, { channelAccountId: foodId, text: 'Checkout is failing for many of you tonight. We are on it and will post here when it works again.' });
      expect(st.status).toBe(202);
      const mid = st.json.message.id as number;
      if (st.json.approval) expect((await admin.post(`/api/approvals/${mid}`, { decision: 'approve' })).status).toBe(200);
      await desk.parley.services.outbox.runOnce();
      const sent = await db().selectFrom('message').select(['status', 'channel_account_id', 'network']).where('id', '=', mid).executeTakeFirstOrThrow();
      expect(sent).toMatchObject({ status: 'sent', channel_account_id: foodId, network: 'x' });

      clock.set(at(FRIDAY, 21, 5));
      // same brand, same network, another account: its timeline has no such post
      const care = await ingest(desk.accountId, 'AcmeCare');
      const careAck = await ackText(care);
      expect(careAck).toMatch(/Monday/);
      expect(careAck).not.toMatch(POINTER);
      // the account that posted it points there
      const food = await ingest(foodId, 'AcmeFood');
      expect(await ackText(food)).toContain("If it's about the problem many are reporting, our latest post has the update.");
    });
  });
}
