/**
 * Mail loops: an out-of-office, a bounce or bulk mail must never get the out-of-hours
 * acknowledgement (RFC 3834), or two auto-responders answer each other. Real emails,
 * normalized by the email connector, ingested through the HTTP API into an email account
 * with auto-acknowledgement on, out of hours, on SQLite and PostgreSQL. A person's mail is
 * the control: it is acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import type { Channel, SendRequest } from '../src/channels/types.js';
import { composeReply, parentFromRaw } from '../src/channels/email/compose.js';
import { normalizeEmail } from '../src/channels/email/parse.js';
import { createChannelAccount } from '../src/commands/setup.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

const nineToFive = [{ start: '09:00', end: '17:00' }];
const CALENDAR = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };
const MONDAY_EVENING = Date.UTC(2026, 10, 16, 20, 0);
const SUPPORT = 'support@acme.test';

let n = 0;
const mail = (from: string, headers: string, body: string) =>
  Buffer.from(`From: ${from}\r\nTo: ${SUPPORT}\r\nMessage-ID: <loop-${++n}-${Date.now()}@example.test>\r\nSubject: ${n === 1 ? 'My order' : 'About your message'}\r\n${headers}\r\n${body}\r\n`);

for (const dialect of DIALECTS) {
  describe(`email auto-replies and bounces get no auto-acknowledgement [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let accountId = 0;
    const clock = new ManualClock(MONDAY_EVENING);
    const sent: SendRequest[] = [];
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock, workers: false });
      desk.parley.services.registry.register('mailcapture', (account) => ({
        network: account.network, capabilities: { publicReply: true, privateMessage: true } as Channel['capabilities'],
        async sendPrivateMessage(req: SendRequest) { sent.push(req); return { networkMessageId: `<parley-${req.idempotencyKey}@acme.test>` }; },
        async sendPublicReply(req: SendRequest) { sent.push(req); return { networkMessageId: `<parley-${req.idempotencyKey}@acme.test>` }; },
      }) as unknown as Channel);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      accountId = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'email', handle: 'Acme Support', externalId: SUPPORT, driver: 'mailcapture' }, clock.now());
      expect((await admin.req('PUT', `/api/channel-accounts/${accountId}/calendar`, { calendar: CALENDAR })).status).toBe(200);
      const acc = await desk.db.store.db.selectFrom('channel_account').select('settings').where('id', '=', accountId).executeTakeFirstOrThrow();
      await desk.db.store.db.updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse(acc.settings), autoAck: { enabled: true } }) }).where('id', '=', accountId).execute();
      desk.parley.services.workflowSettings.invalidate();
    });
    afterAll(async () => desk?.stop());

    const ingest = async (src: Buffer) => {
      const m = await normalizeEmail(src, { accountAddress: SUPPORT, now: clock.now() });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [{ ...m, createdAt: clock.now() }] });
      expect(r.json.outcomes[0].status).toBe('stored');
      clock.advance(60_000);
      return r.json.outcomes[0] as { messageId: number; conversationId: number };
    };
    const acks = (conversationId: number) => desk.db.store.db.selectFrom('message').select('id').where('conversation_id', '=', conversationId).where('direction', '=', 'outbound').where('is_auto', '=', 1).execute();

    it('acknowledges a person who writes out of hours (the control)', async () => {
      const o = await ingest(mail('Casey <casey@customer.test>', '', 'Hello, my order #4411 has not arrived, where is it?'));
      expect(await acks(o.conversationId)).toHaveLength(1);
      // the acknowledgement leaves marked automatic, and the email says so (RFC 3834), so the customer's auto-responder stays quiet
      await desk.parley.services.outbox.runOnce();
      const ack = sent.find((r) => r.automatic);
      expect(ack, JSON.stringify(sent)).toBeTruthy();
      const parent = parentFromRaw(ack!.inReplyTo?.raw);
      const bytes = await composeReply({ from: { address: SUPPORT, name: 'Acme' }, to: parent!.replyTo!.address, messageId: '<parley-ack@acme.test>', text: ack!.text, parent, subject: 'x', date: new Date(clock.now()), automatic: ack!.automatic });
      const parsed = await simpleParser(bytes);
      expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    });

    it('sends nothing to an out-of-office, a bounce, or bulk mail, and keeps them, marked automatic', async () => {
      const cases = [
        mail('Dana <dana@customer.test>', 'Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n', 'I am out of the office until Monday. Where is my order? Please call me.'),
        mail('Erin <erin@customer.test>', 'Precedence: bulk\r\n', 'Our order #5521 has not arrived, where is it? Can you help?'),
        mail('Mail Delivery System <MAILER-DAEMON@mx.customer.test>', 'Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n',
          '--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered. Where is the recipient? Please help.\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@acme.test\r\nMessage-ID: <parley-gone@acme.test>\r\n\r\n--r--'),
      ];
      for (const src of cases) {
        const o = await ingest(src);
        expect(await acks(o.conversationId), src.toString().slice(0, 120)).toEqual([]);
        const row = await desk.db.store.db.selectFrom('message').select(['is_auto', 'direction']).where('id', '=', o.messageId).executeTakeFirstOrThrow();
        expect(row).toEqual({ is_auto: 1, direction: 'inbound' });
      }
    });

    it('an out-of-office after the conversation was resolved reopens nothing, also when its clocks are worked out again; a person\'s mail does', async () => {
      clock.set(Date.UTC(2026, 10, 17, 10, 0)); // Tuesday, open: clocks run by the minute
      const first = await ingest(mail('Finn <finn@customer.test>', '', 'Hi, how do I change the delivery address of order #7781?'));
      const opened = (await admin.get(`/api/conversations/${first.conversationId}`)).json.conversation;
      const target = Date.parse(opened.slaDueAt) - Date.UTC(2026, 10, 17, 10, 0);
      expect(target).toBeGreaterThan(0);
      expect((await admin.post(`/api/conversations/${first.conversationId}/status`, { status: 'resolved' })).status).toBe(200);
      const conv = async () => (await admin.get(`/api/conversations/${first.conversationId}`)).json.conversation;
      const ooo = await ingest(mail('Finn <finn@customer.test>', 'Auto-Submitted: auto-replied\r\n', 'I am away until Monday with no access to email. Where urgent, call my office.'));
      expect(ooo.conversationId).toBe(first.conversationId);
      expect(await conv()).toMatchObject({ status: 'resolved', slaDueAt: null });
      await desk.parley.services.workflow.refreshSla(first.conversationId);
      expect(await conv()).toMatchObject({ status: 'resolved', slaDueAt: null });
      // the control: Finn himself writes again, and the conversation reopens with a clock from his
      // mail, not from the out-of-office before it — also when the clocks are worked out again
      const writtenAt = clock.now();
      await ingest(mail('Finn <finn@customer.test>', '', 'Sorry, one more question: can I also change the delivery day?'));
      expect(await conv()).toMatchObject({ status: 'open', slaDueAt: new Date(writtenAt + target).toISOString() });
      await desk.parley.services.workflow.refreshSla(first.conversationId);
      expect(await conv()).toMatchObject({ status: 'open', slaDueAt: new Date(writtenAt + target).toISOString() });
      // his out-of-office answers again; an agent's reply answers Finn's own mail, not the auto-reply
      const finnsMail = (await admin.get(`/api/conversations/${first.conversationId}`)).json.messages.filter((m: any) => m.direction === 'inbound').at(-1);
      await ingest(mail('Finn <finn@customer.test>', 'Auto-Submitted: auto-replied\r\n', 'I am away until Monday with no access to email.'));
      const reply = await admin.post(`/api/conversations/${first.conversationId}/replies`, { text: 'Hi Finn, yes: reply with the new day and we will change it for you.', visibility: 'private', confirm: true, idempotencyKey: 'finn-day-change-1' });
      expect(reply.status).toBe(202);
      expect(reply.json.message.replyToMessageId).toBe(finnsMail.id);
    });
  });
}
