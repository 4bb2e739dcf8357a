/**
 * QA (routing/SLA/hours pass): an out-of-hours acknowledgement set to go privately is not
 * queued from an account that cannot send private messages (an Instagram account without
 * its linked Page): it would only fail in the outbox and show the agents a failed message.
 * The account answers nothing instead; an account that can message privately still does.
 * Through the HTTP API on SQLite and PostgreSQL with a hand-driven clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capabilities, Channel } from '../src/channels/types.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const nineToFive = [{ start: '09:00', end: '17:00' }];
const CALENDAR = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };
// Monday 16 November 2026, 20:00 London (UTC): closed.
const MONDAY_EVENING = Date.UTC(2026, 10, 16, 20);

for (const dialect of DIALECTS) {
  describe(`out-of-hours acknowledgement from an account that cannot message privately [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let noDm = 0;
    let withDm = 0;
    beforeAll(async () => {
      const clock = new ManualClock(MONDAY_EVENING);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const caps = (privateMessage: true | string) => ({ publicReply: true, privateMessage, hide: 'no', delete: 'no', block: 'no', mute: 'no', like: 'no', fetchProfile: 'no', fetchThread: 'no', search: 'no', webhook: 'no', poll: true, stream: 'no' }) as Capabilities;
      for (const [driver, pm] of [['nodmnet', 'this account has no linked Page for messages'], ['dmnet', true]] as const) {
        desk.parley.services.registry.register(driver, (account) => ({
          network: account.network, capabilities: caps(pm),
          async sendPublicReply() { return { networkMessageId: 'r' }; },
          async sendPrivateMessage() { return { networkMessageId: 'd' }; },
        }) as unknown as Channel);
      }
      noDm = (await admin.post('/api/channel-accounts', { network: 'instagram', handle: 'acme.nopage', driver: 'nodmnet' })).json.id;
      withDm = (await admin.post('/api/channel-accounts', { network: 'instagram', handle: 'acme.page', driver: 'dmnet' })).json.id;
      for (const id of [noDm, withDm]) {
        expect((await admin.req('PUT', `/api/channel-accounts/${id}/calendar`, { calendar: CALENDAR })).status).toBe(200);
        const acc = await desk.db.store.db.selectFrom('channel_account').select('settings').where('id', '=', id).executeTakeFirstOrThrow();
        await desk.db.store.db.updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse(acc.settings), autoAck: { enabled: true, visibility: 'private' } }) }).where('id', '=', id).execute();
      }
      desk.parley.services.workflowSettings.invalidate();
    });
    afterAll(async () => desk?.stop());

    const ingest = async (accountId: number, handle: string) => {
      const r = await admin.post('/api/ingest/messages', {
        channelAccountId: accountId,
        messages: [mention({ network: 'instagram', kind: 'comment', createdAt: MONDAY_EVENING, author: { networkUserId: `u-${handle}`, handle }, text: `@${accountId === noDm ? 'acme.nopage' : 'acme.page'} my order 4411 has not arrived, where is it?` })],
      });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0] as { conversationId: number };
    };
    const acks = (conversationId: number) => desk.db.store.db.selectFrom('message').select(['visibility', 'status']).where('conversation_id', '=', conversationId).where('is_auto', '=', 1).execute();

    it('queues no private acknowledgement where private messages cannot be sent', async () => {
      const o = await ingest(noDm, 'sam.customer');
      expect(await acks(o.conversationId)).toEqual([]);
    });

    it('still acknowledges privately where the account can message privately', async () => {
      const o = await ingest(withDm, 'kim.customer');
      expect(await acks(o.conversationId)).toEqual([{ visibility: 'private', status: 'queued' }]);
    });
  });
}
