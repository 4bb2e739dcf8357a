/**
 * Who the out-of-hours acknowledgement goes to, through the HTTP API on SQLite and
 * PostgreSQL (hand-driven clock, Mon–Fri 09:00–17:00 London desk):
 *  - only people who wrote to us and need an answer: never abuse, spam or what triage would
 *    only monitor, never a listening result that does not tag us (one that does is answered),
 *    never an author the brand blocked or muted, never a hidden message;
 *  - never in the middle of a live conversation: not within RECENT_AGENT_REPLY_MS of a
 *    person's reply, nor while the assignee is online; once neither holds, it is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capabilities, Channel } from '../src/channels/types.js';
import { autoAckEligibility, mentionsHandle, RECENT_AGENT_REPLY_MS, shouldAutoAck } from '../src/core/autoAck.js';
import { ManualClock } from '../src/lib/clock.js';
import { measure } from '../src/core/textLength.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const nineToFive = [{ start: '09:00', end: '17:00' }];
const CALENDAR = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };
// November 2026: London is on UTC.
const at = (day: number, h: number, m = 0) => Date.UTC(2026, 10, day, h, m);
const MONDAY = 16;
const TUESDAY = 17;
const WEDNESDAY = 18;
const THURSDAY = 19;

describe('autoAckEligibility and shouldAutoAck (pure)', () => {
  const base = { kind: 'mention', visibility: 'public', text: '@AcmeCare my order has not arrived', triageAction: 'respond', triageCategory: 'customer_service', moderated: false, authorBlocked: false };
  it('answers what needs a response, or an untriaged message to us', () => {
    expect(autoAckEligibility(base, ['AcmeCare'])).toBeNull();
    expect(autoAckEligibility({ ...base, triageAction: null, triageCategory: null }, ['AcmeCare'])).toBeNull();
  });
  it('refuses abuse and spam whatever the action, monitor/ignore, moderated messages, blocked authors and untagged listening', () => {
    expect(autoAckEligibility({ ...base, triageCategory: 'abuse' }, ['AcmeCare'])).toBe('spam_or_abuse');
    expect(autoAckEligibility({ ...base, triageCategory: 'spam' }, ['AcmeCare'])).toBe('spam_or_abuse');
    expect(autoAckEligibility({ ...base, triageAction: 'monitor' }, ['AcmeCare'])).toBe('no_response_needed');
    expect(autoAckEligibility({ ...base, triageAction: 'ignore' }, ['AcmeCare'])).toBe('no_response_needed');
    expect(autoAckEligibility({ ...base, moderated: true }, ['AcmeCare'])).toBe('moderated');
    expect(autoAckEligibility({ ...base, authorBlocked: true }, ['AcmeCare'])).toBe('author_blocked');
    expect(autoAckEligibility({ ...base, kind: 'listening', text: 'acme lost my parcel again' }, ['AcmeCare'])).toBe('not_addressed');
    expect(autoAckEligibility({ ...base, kind: 'listening', text: 'hey @acmecare, lost my parcel again' }, ['@AcmeCare'])).toBeNull();
  });
  it('matches handles as networks write them', () => {
    expect(mentionsHandle('@acme.bsky.social help', ['acme.bsky.social'])).toBe(true);
    expect(mentionsHandle('@acme@mastodon.social help', ['acme'])).toBe(true);
    expect(mentionsHandle('@AcmeCareers help', ['AcmeCare'])).toBe(false);
    expect(mentionsHandle('mail acmecare@example.com', ['AcmeCare'])).toBe(false);
  });
  it('holds back while a person is on the conversation', () => {
    const cal = { timeZone: 'Europe/London', weekly: CALENDAR.weekly };
    const now = at(MONDAY, 20);
    expect(shouldAutoAck(cal, now, []).send).toBe(true);
    expect(shouldAutoAck(cal, now, [], { assigneeAvailable: true }).reason).toBe('agent_present');
    expect(shouldAutoAck(cal, now, [], { lastAgentReplyAt: now - RECENT_AGENT_REPLY_MS + 1 }).reason).toBe('agent_present');
    expect(shouldAutoAck(cal, now, [], { lastAgentReplyAt: now - RECENT_AGENT_REPLY_MS }).send).toBe(true);
  });
});

for (const dialect of DIALECTS) {
  describe(`out-of-hours acknowledgement: who gets it [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    let pageId = 0;
    let guidelineId = 0;
    beforeAll(async () => {
      clock = new ManualClock(at(MONDAY, 20));
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      // a network that can moderate, for blocks and hides
      const caps = { publicReply: true, privateMessage: true, hide: true, delete: true, block: true, mute: true, like: true, fetchProfile: true, fetchThread: true, search: true, webhook: true, poll: true, stream: true } as Capabilities;
      desk.parley.services.registry.register('modnet', (account) => ({
        network: account.network, capabilities: caps,
        async sendPublicReply() { return { networkMessageId: 'r' }; },
        async hide() {}, async delete() {}, async block() {}, async mute() {},
      }) as Channel);
      pageId = (await admin.post('/api/channel-accounts', { network: 'facebook', handle: 'AcmePage', driver: 'modnet' })).json.id;
      for (const id of [desk.accountId, pageId]) {
        expect((await admin.req('PUT', `/api/channel-accounts/${id}/calendar`, { calendar: CALENDAR })).status).toBe(200);
        await setAutoAck(id, true);
      }
      guidelineId = (await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats or targeting people are removed.', allowedActions: ['hide', 'block', 'mute'] })).json.id;
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    async function setAutoAck(accountId: number, enabled: boolean) {
      const acc = await db().selectFrom('channel_account').select('settings').where('id', '=', accountId).executeTakeFirstOrThrow();
      await db().updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse(acc.settings), autoAck: { enabled } }) }).where('id', '=', accountId).execute();
      desk.parley.services.workflowSettings.invalidate();
    }
    const ingest = async (over: Parameters<typeof mention>[0] = {}, accountId = desk.accountId) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [mention({ createdAt: clock.now(), ...over })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0] as { messageId: number; conversationId: number };
    };
    const acks = (conversationId: number) => db().selectFrom('message').select(['id', 'text', 'created_at']).where('conversation_id', '=', conversationId).where('is_auto', '=', 1).execute();
    const triageOf = (messageId: number) => db().selectFrom('message').select(['triage_action', 'triage_category']).where('id', '=', messageId).executeTakeFirstOrThrow();
    const page = (text: string, author: { networkUserId: string; handle: string }) => ({ network: 'facebook' as const, kind: 'comment' as const, text, author });

    it('acknowledges a customer who wrote to us out of hours', async () => {
      clock.set(at(MONDAY, 20));
      const o = await ingest({ text: '@AcmeCare my order #4411 has not arrived, where is it?' });
      const a = await acks(o.conversationId);
      expect(a).toHaveLength(1);
      expect(a[0]!.text).toMatch(/tomorrow at 9:00/);
    });

    it('sends nothing to a troll: abuse that triage only monitors', async () => {
      clock.set(at(MONDAY, 20, 5));
      const o = await ingest({ author: { networkUserId: 'trollz', handle: 'trollz' }, text: '@AcmeCare you are a bunch of worthless idiots, go die' });
      expect(await triageOf(o.messageId)).toEqual({ triage_action: 'monitor', triage_category: 'abuse' });
      expect(await acks(o.conversationId)).toEqual([]);
    });

    it('sends nothing to spam', async () => {
      clock.set(at(MONDAY, 20, 10));
      const o = await ingest({ kind: 'dm', visibility: 'private', text: 'WINNER!! You have won a £1000 cash prize. Call 09061701461 to claim now' });
      expect((await triageOf(o.messageId)).triage_category).toBe('spam');
      expect(await acks(o.conversationId)).toEqual([]);
    });

    it('sends nothing to a listening result that does not tag us, and answers one that does', async () => {
      clock.set(at(MONDAY, 20, 15));
      const o = await ingest({ kind: 'listening', text: 'acme deliveries are always late, my parcel is lost again. never ordering from them' });
      expect(await acks(o.conversationId)).toEqual([]);
      const tagged = await ingest({ kind: 'listening', text: 'hey @AcmeCare my parcel is lost again, order 5512, can you help?' });
      expect((await triageOf(tagged.messageId)).triage_action).toBe('respond');
      expect(await acks(tagged.conversationId)).toHaveLength(1);
    });

    it('sends nothing to an author the brand blocked or muted', async () => {
      const blockedAuthor = { networkUserId: 'fb-blocked', handle: 'blocked.person' };
      const mutedAuthor = { networkUserId: 'fb-muted', handle: 'muted.person' };
      const control = { networkUserId: 'fb-ok', handle: 'ok.person' };
      // in hours: they write, and two of them are moderated by the rules
      clock.set(at(TUESDAY, 16));
      const first = await ingest(page('I know where your agent Sam lives. Watch out.', blockedAuthor), pageId);
      const second = await ingest(page('I know where your agent Jo lives. Watch out.', mutedAuthor), pageId);
      const third = await ingest(page('My order #7781 has not arrived', control), pageId);
      for (const [id, action] of [[first.messageId, 'block'], [second.messageId, 'mute']] as const) {
        const r = await ana.post(`/api/messages/${id}/moderation`, { action, guidelineId, evidence: 'Threatens a named member of staff at home.' });
        expect(r.status).toBe(200);
      }
      for (const o of [first, second, third]) expect(await acks(o.conversationId)).toEqual([]);
      // out of hours, each writes again (same conversation)
      clock.set(at(TUESDAY, 20));
      const again = [
        await ingest(page('Where is my order? I need it today, please help me', blockedAuthor), pageId),
        await ingest(page('Where is my order? I need it today, please help me', mutedAuthor), pageId),
        await ingest(page('Where is my order? I need it today, please help me', control), pageId),
      ];
      expect(again.map((o) => o.conversationId)).toEqual([first, second, third].map((o) => o.conversationId));
      expect(await acks(first.conversationId)).toEqual([]);
      expect(await acks(second.conversationId)).toEqual([]);
      expect(await acks(third.conversationId)).toHaveLength(1);
    });

    it('sends nothing for a hidden message, and does once it is unhidden', async () => {
      clock.set(at(TUESDAY, 20, 30));
      await setAutoAck(pageId, false);
      const o = await ingest(page('My refund for order #9911 never arrived, can someone help?', { networkUserId: 'fb-hidden', handle: 'hidden.person' }), pageId);
      await setAutoAck(pageId, true);
      expect((await ana.post(`/api/messages/${o.messageId}/moderation`, { action: 'hide', guidelineId, evidence: 'Posts a customer’s home address in public.' })).status).toBe(200);
      clock.advance(MIN);
      const wf = desk.parley.services.workflow;
      expect(await wf.maybeAutoAck(o.conversationId)).toBe(false);
      expect(await acks(o.conversationId)).toEqual([]);
      expect((await ana.post(`/api/messages/${o.messageId}/moderation`, { action: 'unhide' })).status).toBe(200);
      expect(await wf.maybeAutoAck(o.conversationId)).toBe(true);
      expect(await acks(o.conversationId)).toHaveLength(1);
    });

    it('does not interrupt a live exchange: an agent replied within the last hour', async () => {
      const author = { networkUserId: 'live-1', handle: 'livecustomer' };
      clock.set(at(WEDNESDAY, 16, 50)); // open
      const o = await ingest({ author, text: '@AcmeCare my card was charged twice for order #3001' });
      clock.set(at(WEDNESDAY, 17, 30)); // closed: the agent stays on
      const reply = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text: 'Sorry about that! Could you tell me the last four digits of the card so I can check?' });
      expect(reply.json.message.status).toBe('queued');
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { availability: 'offline' }); // not "online", but she just replied
      clock.set(at(WEDNESDAY, 17, 40));
      await ingest({ author, text: '@AcmeCare it ends in 4242, charged twice on Monday' });
      expect(await acks(o.conversationId)).toEqual([]);
      // more than an hour after her reply, nobody is on it: the customer is told when we are back
      clock.set(at(WEDNESDAY, 17, 30) + RECENT_AGENT_REPLY_MS + 5 * MIN);
      await ingest({ author, text: '@AcmeCare hello? still charged twice, any update?' });
      const a = await acks(o.conversationId);
      expect(a).toHaveLength(1);
      expect(a[0]!.text).toMatch(/tomorrow at 9:00/);
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { availability: 'online' });
    });

    it('does not tell the customer nobody is in while the assignee is online', async () => {
      const author = { networkUserId: 'live-2', handle: 'assignedcustomer' };
      clock.set(at(THURSDAY, 16)); // open
      const o = await ingest({ author, text: '@AcmeCare my order #3002 arrived damaged' });
      expect((await admin.post(`/api/conversations/${o.conversationId}/assign`, { assigneeId: desk.users.ana })).status).toBe(200);
      clock.set(at(THURSDAY, 20));
      await ingest({ author, text: '@AcmeCare here is a photo of the damage, what now?' });
      expect(await acks(o.conversationId)).toEqual([]);
      // she logs off: the next message is acknowledged
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { availability: 'offline' });
      clock.set(at(THURSDAY, 20, 10));
      await ingest({ author, text: '@AcmeCare hello, anyone?' });
      expect(await acks(o.conversationId)).toHaveLength(1);
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { availability: 'online' });
    });

    it('points people to an open incident\'s statement once it is out on their network, and stops when the incident closes', async () => {
      const FRIDAY = 20;
      clock.set(at(FRIDAY, 21)); // closed
      const cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      const inc = await cleo.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail for everyone since 20:30' });
      expect(inc.status).toBe(201);
      const st = await cleo.post(`/api/incidents/${inc.json.id}/statement`, { channelAccountId: desk.accountId, text: 'Checkout is failing for many of you tonight. We are on it and will post here when it works again.' });
      expect(st.status).toBe(202);
      const mid = st.json.message.id as number;
      // the Facebook version may wait for sign-off beside it; a second one for X may not
      const fbStatement = await cleo.post(`/api/incidents/${inc.json.id}/statement`, { channelAccountId: pageId, text: 'Checkout is failing for many of you tonight. We are working on it and will post an update on this page.' });
      expect(fbStatement.status).toBe(202);
      const again = await cleo.post(`/api/incidents/${inc.json.id}/statement`, { channelAccountId: desk.accountId, text: 'Checkout fails for many tonight; we are on it and will post here soon.' });
      expect(again.status).toBe(409);
      expect(again.json.code).toBe('incident.statement_pending');
      const customer = (n: number) => ({ networkUserId: `mass-${n}`, handle: `masscustomer${n}` });
      // while the statement waits for sign-off nothing is said of it
      const early = await ingest({ author: customer(1), text: '@AcmeCare checkout keeps failing, is it down?' });
      expect((await acks(early.conversationId))[0]!.text).not.toMatch(/many are reporting/);
      expect((await admin.post(`/api/approvals/${mid}`, { decision: 'approve' })).status).toBe(200);
      await desk.parley.services.outbox.runOnce();
      const sent = await db().selectFrom('message').select(['status', 'url']).where('id', '=', mid).executeTakeFirstOrThrow();
      expect(sent.status).toBe('sent');
      // sent: the acknowledgement on that network points to it
      clock.set(at(FRIDAY, 21, 5));
      const o = await ingest({ author: customer(2), text: '@AcmeCare I cannot pay for my order, what is going on?' });
      const [ack] = await acks(o.conversationId);
      expect(ack!.text).toMatch(/tomorrow|Monday/);
      // the demo network gives no link to a post (a network that does is linked: src/core/autoAck.test.ts)
      expect(sent.url).toBeNull();
      expect(ack!.text).toContain("If it's about the problem many are reporting, our latest post has the update.");
      expect(measure('x', ack!.text).over).toBe(false);
      // not on another network, where the statement is not out yet (Facebook's still waits for sign-off)
      const fb = await ingest(page('Cannot pay on your site tonight, help', customer(3)), pageId);
      expect((await acks(fb.conversationId))[0]!.text).not.toMatch(/many are reporting/);
      // closed: no more pointer
      expect((await cleo.post(`/api/incidents/${inc.json.id}/close`, {})).status).toBe(200);
      clock.set(at(FRIDAY, 21, 10));
      const later = await ingest({ author: customer(4), text: '@AcmeCare is checkout working again? mine fails' });
      expect((await acks(later.conversationId))[0]!.text).not.toMatch(/many are reporting/);
    });
  });
}
