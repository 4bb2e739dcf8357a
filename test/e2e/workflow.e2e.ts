/**
 * The care workflow and administration in a real browser against a real desk: sign-off
 * (an agent in training writes, an approver approves or rejects in another browser, the
 * agent sees the outcome live), reply checks in the composer (a link-only reply is
 * blocked; personal data in a public draft offers "Take it private"), knowledge experts,
 * SLA badges turning to warning and breach on a manual clock, connecting a channel and
 * seeing an unhealthy one's advice, queues, incidents, moderation by the rules, and
 * axe-core on the new pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { markChannelHealth } from '../../src/channels/health.js';
import { ADVICE } from '../../src/channels/errorPolicy.js';
import { ManualClock } from '../../src/lib/clock.js';
import { applyNetworkDeletions } from '../../src/pipeline/deletions.js';
import { Client, mention, PASSWORD, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, row, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let cleoApi: Client;
const pages: WatchedPage[] = [];

async function pageAs(email: string, opts: Parameters<typeof openPage>[1] = {}, d: TestDesk = desk): Promise<WatchedPage> {
  const w = await openPage(browser, opts);
  pages.push(w);
  if (email === 'eli@acme.test') {
    // experts land on their questions, not the inbox
    await w.page.goto(`${d.url}/login`);
    await w.page.getByLabel('Email').fill(email);
    await w.page.getByLabel('Password').fill(PASSWORD);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.waitForURL(/\/expert/);
    await w.page.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
  } else {
    await signIn(w.page, d.url, email);
  }
  return w;
}

let seq = 0;
async function ingest(over: Parameters<typeof mention>[0] = {}, d: TestDesk = desk, api: Client = admin): Promise<{ conversationId: number; messageId: number }> {
  seq++;
  const m = mention({ author: { networkUserId: `wf-${seq}-${Date.now()}`, handle: `client${seq}`, displayName: `Client ${seq}`, followers: 40 + seq }, ...over });
  const r = await api.post('/api/ingest/messages', { channelAccountId: d.accountId, messages: [m] });
  expect(r.status).toBe(200);
  const o = r.json.outcomes[0];
  expect(o.status).toBe('stored');
  return { conversationId: o.conversationId, messageId: o.messageId };
}

async function detail(id: number, api: Client = admin) {
  const r = await api.get(`/api/conversations/${id}`);
  expect(r.status).toBe(200);
  return r.json as { conversation: any; messages: any[]; notes: any[]; audit: any[]; contact: any };
}

const openConversation = (page: Page, id: number, d: TestDesk = desk) => openConversationAt(page, d.url, id);

async function setFlags(userId: number, flags: string[]) {
  const r = await admin.req('PATCH', `/api/users/${userId}`, { flags });
  expect(r.status).toBe(200);
}

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  cleoApi = await Client.signIn(desk.url, 'cleo@acme.test');
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('sign-off', () => {
  it("an agent's reply goes to approval, an approver approves it in another browser, the agent sees it sent, live", async () => {
    await setFlags(desk.users.ana, ['in_training']);
    const { conversationId } = await ingest({ text: '@AcmeCare my refund has not arrived after two weeks' });
    const ana = await pageAs('ana@acme.test');
    const cleo = await pageAs('cleo@acme.test');
    // Cleo watches the approvals queue before anything is waiting: the draft must arrive live
    await cleo.page.goto(`${desk.url}/approvals`);
    await cleo.page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    await cleo.page.locator('.live-live').waitFor({ state: 'attached' });

    await openConversation(ana.page, conversationId);
    await ana.page.evaluate('window.__noReload = 7');
    const text = 'Hi Client, so sorry about the wait! I have asked our payments team to check it today.';
    await ana.page.getByLabel(/Public reply to @client/).fill(text);
    await ana.page.getByRole('button', { name: 'Send reply' }).click();
    // the composer says why, and the message says it waits
    const wait = ana.page.locator('.approval-wait');
    await wait.waitFor({ timeout: 10_000 });
    expect(await wait.textContent()).toContain('in_training');
    const msg = ana.page.locator('.msg-out', { hasText: text });
    await msg.getByText('Waiting for approval').waitFor();
    const pending = (await detail(conversationId)).messages.find((m) => m.text === text);
    expect(pending.status).toBe('pending_approval');
    await screenshot(ana.page, 'workflow-pending-approval');

    // the approver sees it arrive, with the reasons and the conversation
    const item = cleo.page.locator(`.approval-item[data-message-id="${pending.id}"]`);
    await item.waitFor({ timeout: 10_000 });
    await item.click();
    const review = cleo.page.locator('.review');
    await review.locator('.review-why').getByText('in_training').waitFor();
    await review.locator('.draft-text').getByText(text).waitFor();
    await review.locator('.review-thread .msg-in').getByText('my refund has not arrived').waitFor();
    await screenshot(cleo.page, 'workflow-approvals');
    await cleo.page.getByRole('button', { name: 'Approve and send' }).click();
    await item.waitFor({ state: 'detached', timeout: 10_000 });

    // the author sees it go out without reloading, and is told
    await msg.getByText('Sent ✓').waitFor({ timeout: 15_000 });
    expect(await ana.page.evaluate('window.__noReload')).toBe(7);
    await ana.page.locator('.live-alert[data-kind="reply.approved"]').waitFor({ timeout: 10_000 });
    const sent = (await detail(conversationId)).messages.find((m) => m.id === pending.id);
    expect(sent.status).toBe('sent');
    expect(sent.networkMessageId).toBeTruthy();
  });

  it('the author withdraws a reply waiting for sign-off: it leaves the queue and is never sent', async () => {
    await setFlags(desk.users.ana, ['in_training']);
    const { conversationId } = await ingest({ text: '@AcmeCare is my order shipped yet?' });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const text = 'Hi Client, it shipped this morning and arrives on Thursday.';
    await ana.page.getByLabel(/Public reply to @client/).fill(text);
    await ana.page.getByRole('button', { name: 'Send reply' }).click();
    const msg = ana.page.locator('.msg-out', { hasText: text });
    await msg.getByText('Waiting for approval').waitFor({ timeout: 10_000 });
    const pending = (await detail(conversationId)).messages.find((m) => m.text === text);
    await ana.page.locator('.approval-wait').getByRole('button', { name: 'Withdraw it' }).click();
    await msg.getByText('Withdrawn before sign-off').waitFor({ timeout: 10_000 });
    const cleo = await pageAs('cleo@acme.test');
    await cleo.page.goto(`${desk.url}/approvals`);
    await cleo.page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    expect(await cleo.page.locator(`.approval-item[data-message-id="${pending.id}"]`).count()).toBe(0);
    expect((await detail(conversationId)).messages.find((m) => m.id === pending.id).status).toBe('withdrawn');
  });

  it('a reply waiting for sign-off whose post its author deleted says so, live', async () => {
    await setFlags(desk.users.ana, ['in_training']);
    const { conversationId, messageId } = await ingest({ text: '@AcmeCare my parcel is late again' });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const text = 'Hi Client, sorry! It is with the courier and arrives tomorrow.';
    await ana.page.getByLabel(/Public reply to @client/).fill(text);
    await ana.page.getByRole('button', { name: 'Send reply' }).click();
    const msg = ana.page.locator('.msg-out', { hasText: text });
    await msg.getByText('Waiting for approval').waitFor({ timeout: 10_000 });
    // the network says the customer deleted the post (as its webhook does)
    const post = await desk.db.store.db.selectFrom('message').select('network_message_id').where('id', '=', messageId).executeTakeFirstOrThrow();
    await applyNetworkDeletions(desk.parley.services, { brandId: desk.brandId, network: 'x', networkMessageIds: [post.network_message_id!], actor: 'system:webhook:x' });
    await msg.getByText('Withdrawn: the post was deleted before the reply was sent').waitFor({ timeout: 10_000 });
  });

  it('a rejected reply shows the note to the agent and is never sent', async () => {
    await setFlags(desk.users.ana, ['in_training']);
    const { conversationId } = await ingest({ text: '@AcmeCare when will my broken kettle be replaced?' });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const text = 'Hi Client, it will be replaced by Friday for sure.';
    await ana.page.getByLabel(/Public reply to @client/).fill(text);
    await ana.page.getByRole('button', { name: 'Send reply' }).click();
    const msg = ana.page.locator('.msg-out', { hasText: text });
    await msg.getByText('Waiting for approval').waitFor({ timeout: 10_000 });
    const pending = (await detail(conversationId)).messages.find((m) => m.text === text);

    const cleo = await pageAs('cleo@acme.test');
    await cleo.page.goto(`${desk.url}/approvals?m=${pending.id}`);
    await cleo.page.getByRole('button', { name: 'Reject…' }).click();
    const note = 'Please do not promise a date; say we will confirm it once the courier books it.';
    await cleo.page.getByLabel(/Note to Ana Agent/).fill(note);
    await cleo.page.getByRole('button', { name: 'Reject with note' }).click();
    await cleo.page.locator('.approval-handled').waitFor({ timeout: 10_000 });

    await msg.getByText(`Not approved: ${note}`).waitFor({ timeout: 10_000 });
    await ana.page.locator('.delivery').getByText(/Not approved/).waitFor();
    await ana.page.locator('.live-alert[data-kind="reply.rejected"]').waitFor({ timeout: 10_000 });
    await screenshot(ana.page, 'workflow-rejected');
    // and it never goes out
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await detail(conversationId)).messages.find((m) => m.id === pending.id);
    expect(after.status).toBe('rejected');
    expect(after.networkMessageId).toBeNull();
    const outbox = await desk.db.store.db.selectFrom('outbox').selectAll().where('message_id', '=', pending.id).execute().catch(() => []);
    expect(outbox.length).toBe(0);
    await setFlags(desk.users.ana, []);
  });
});

describe('reply checks in the composer', () => {
  it('blocks a link-only reply with the message, and lets an answer with a link through', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare how do I reset my password?' });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const box = ana.page.getByLabel(/Public reply to @client/);
    await box.fill('https://acme.test/help/password');
    const block = ana.page.locator('.check-block[data-check="reply.link_only"]');
    await block.waitFor({ timeout: 5000 });
    expect(await block.textContent()).toContain('Answer first, then link');
    const send = ana.page.getByRole('button', { name: 'Send reply' });
    expect(await send.isDisabled()).toBe(true);
    await screenshot(ana.page, 'workflow-link-only-blocked');
    await box.fill('Hi Client! Tap “Forgot password” on the sign-in screen and follow the e-mail. Details: https://acme.test/help/password');
    await block.waitFor({ state: 'detached', timeout: 5000 });
    await eventually(async () => !(await send.isDisabled()), 'send enabled again');
  });

  it('offers Take it private for personal data in a public draft, and it works', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare you sent my order to the wrong address' });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const draft = 'Hi Client, sorry! Is your address still 12 Baker Street and your e-mail jane.doe@example.com?';
    await ana.page.getByLabel(/Public reply to @client/).fill(draft);
    const warn = ana.page.locator('.check-warn[data-check="reply.personal_data"]');
    await warn.waitFor({ timeout: 5000 });
    await screenshot(ana.page, 'workflow-personal-data');
    await warn.getByRole('button', { name: 'Take it private' }).click();
    // the public invitation goes out, the draft becomes a private reply
    await ana.page.getByRole('button', { name: 'Private message', pressed: true }).waitFor({ timeout: 10_000 });
    expect(await ana.page.getByLabel(/Private message to @client/).inputValue()).toBe(draft);
    await eventually(async () => {
      const d = await detail(conversationId);
      return d.conversation.labels.includes('taken-private') && d.messages.some((m) => m.direction === 'outbound' && m.visibility === 'public' && /DM|private|message/i.test(m.text) && m.status === 'sent');
    }, 'the public invitation sent and the conversation labelled');
    await ana.page.locator('.msg-out.msg-public').getByText('Sent ✓').waitFor({ timeout: 10_000 });
  });
});

describe('knowledge experts', () => {
  it('an expert answers a question and the agent sees the note, live', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare does the X200 blender work on 110V in the US?' });
    const other = await ingest({ text: '@AcmeCare an unrelated question' });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    await ana.page.evaluate('window.__noReload = 9');
    await ana.page.getByRole('button', { name: 'Ask an expert…' }).click();
    const dialog = ana.page.getByRole('dialog', { name: 'Ask an expert' });
    await dialog.getByLabel('Who should answer').selectOption({ label: 'Eli Expert' });
    const question = 'Is the X200 dual-voltage, or does it need a converter in the US?';
    await dialog.getByLabel('Your question').fill(question);
    await dialog.getByRole('button', { name: 'Ask' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const card = ana.page.locator('.experts-card');
    await card.locator('.expert-open').getByText(question).waitFor({ timeout: 5000 }).catch(async () => {
      await ana.page.getByRole('button', { name: 'Customer & activity' }).click();
      await card.locator('.expert-open').getByText(question).waitFor({ timeout: 5000 });
    });

    const eli = await pageAs('eli@acme.test');
    await eli.page.locator('.approval-item').getByText(question.slice(0, 40)).waitFor({ timeout: 10_000 });
    await eli.page.locator('.review-thread').getByText('does the X200 blender work on 110V').waitFor({ timeout: 10_000 });
    // experts see only the conversations they are asked about
    const eliApi = await Client.signIn(desk.url, 'eli@acme.test');
    expect((await eliApi.get(`/api/conversations/${other.conversationId}`)).status).toBe(403);
    expect((await eliApi.get(`/api/conversations/${conversationId}`)).status).toBe(200);
    await screenshot(eli.page, 'workflow-expert-view');
    const answer = 'The X200 is 230V only: it needs a step-up converter of at least 1000W in the US.';
    await eli.page.getByLabel(/Your answer/).fill(answer);
    await eli.page.getByRole('button', { name: 'Answer' }).click();
    await eli.page.locator('.review-thread .note').getByText(answer).waitFor({ timeout: 10_000 });

    await ana.page.locator('.thread .note').getByText(answer).waitFor({ timeout: 10_000 });
    expect(await ana.page.evaluate('window.__noReload')).toBe(9);
    await ana.page.locator('.live-alert[data-kind="expert.answered"]').waitFor({ timeout: 10_000 });
    await card.locator('.expert-answered').waitFor({ timeout: 10_000 });
  });
});

describe('SLA', () => {
  it('the SLA badge turns to warning and then to breach as the clock moves, live', async () => {
    const clock = new ManualClock(Date.now());
    const d = await startDesk('sqlite', { clock });
    try {
      const api = await Client.signIn(d.url, 'admin@acme.test');
      const { conversationId } = await ingest({ text: '@AcmeCare nobody answers me', createdAt: clock.now() }, d, api);
      await eventually(async () => (await api.get(`/api/conversations/${conversationId}`)).json.conversation.slaDueAt, 'SLA clock started');
      const w = await pageAs('admin@acme.test', {}, d);
      await w.page.goto(`${d.url}/inbox/open?c=${conversationId}&sort=due`);
      await w.page.locator('.conversation .conv-title h2').waitFor();
      await w.page.locator('.live-live').waitFor({ state: 'attached' });
      const badge = row(w.page, conversationId).locator('.sla');
      const head = w.page.locator('.conv-head .sla-head');
      expect(await badge.getAttribute('data-sla')).toMatch(/ok|soon/);

      // 23 of 30 minutes used: past the 75 % warning share
      clock.advance(23 * 60_000);
      await d.parley.services.jobs.runDue();
      await eventually(async () => (await badge.getAttribute('data-sla')) === 'warning', 'list badge in warning', 10_000);
      await eventually(async () => (await head.getAttribute('data-sla')) === 'warning', 'header badge in warning', 10_000);
      await w.page.locator('.live-alert[data-kind="sla.warning"]').waitFor({ timeout: 10_000 });
      await screenshot(w.page, 'workflow-sla-warning');

      clock.advance(8 * 60_000);
      await d.parley.services.jobs.runDue();
      await eventually(async () => (await badge.getAttribute('data-sla')) === 'breached', 'list badge breached', 10_000);
      await eventually(async () => (await head.getAttribute('data-sla')) === 'breached', 'header badge breached', 10_000);
      await w.page.locator('.live-alert[data-kind="sla.breached"]').waitFor({ timeout: 10_000 });
      expect((await api.get(`/api/conversations/${conversationId}`)).json.conversation.slaState).toBe('breached');
      // the side panel names the clock that broke
      const clocks = w.page.locator('.sla-card');
      await clocks.getByText('First response').waitFor({ timeout: 5000 }).catch(async () => {
        await w.page.getByRole('button', { name: 'Customer & activity' }).click();
      });
      await eventually(async () => (await clocks.textContent())?.includes('Breached'), 'clock listed as breached', 10_000);
      await screenshot(w.page, 'workflow-sla-breached');
      // "Due soon" narrows the list to what is due within the hour, soonest first
      await w.page.getByRole('button', { name: 'Due soon' }).click();
      await w.page.waitForURL(/due=60/);
      expect(w.page.url()).toContain('sort=due');
      await row(w.page, conversationId).waitFor();
      await w.close();
    } finally {
      await d.stop();
    }
  });
});

describe('administration', () => {
  it('sets how the out-of-hours acknowledgement goes out: on, as a private message, signed', async () => {
    const w = await pageAs('admin@acme.test');
    await w.page.goto(`${desk.url}/admin/channels`);
    const card = w.page.locator(`li.channel-card[data-account-id="${desk.accountId}"]`);
    await card.waitFor();
    if (!(await card.getByLabel('Acknowledge automatically outside business hours').isVisible())) await card.getByRole('button', { name: /Show details/ }).click();
    // the box shows the saved state: it turns on once the server has it
    await card.getByLabel('Acknowledge automatically outside business hours').click();
    await card.getByLabel('Acknowledge as').waitFor();
    await card.getByLabel('Acknowledge as').selectOption('private');
    await card.getByLabel('Signature').fill('^Ana');
    await card.getByRole('button', { name: 'Save signature' }).click();
    const ack = async () => ((await admin.get('/api/channel-accounts')).json.items.find((x: any) => x.id === desk.accountId)?.settings?.autoAck ?? {}) as Record<string, unknown>;
    await eventually(async () => {
      const a = await ack();
      return a.enabled === true && a.visibility === 'private' && a.signature === '^Ana';
    }, 'auto-ack settings saved');
    await card.getByLabel('Acknowledge automatically outside business hours').click();
    await eventually(async () => (await ack()).enabled === false, 'auto-ack off again');
  });

  it("an admin connects a channel account and sees an unhealthy one's advice", async () => {
    const w = await pageAs('admin@acme.test');
    await w.page.goto(`${desk.url}/admin/channels`);
    await w.page.getByRole('heading', { name: 'Settings · Channels' }).waitFor();
    await w.page.getByRole('button', { name: 'Connect…' }).click();
    const form = w.page.locator('#connect-form');
    await form.getByLabel('Network').selectOption('bluesky');
    await form.getByLabel('Handle').fill('acme.bsky.social');
    await form.getByLabel('Connector (optional)').fill('demo');
    await form.getByLabel('Credentials 1: name').fill('identifier');
    await form.getByLabel('Credentials 1: value').fill('acme.bsky.social');
    await form.getByRole('button', { name: 'Add a row' }).first().click();
    await form.getByLabel('Credentials 2: name').fill('password');
    await form.getByLabel('Credentials 2: value').fill('abcd-efgh-ijkl-mnop');
    await screenshot(w.page, 'workflow-admin-connect');
    await form.getByRole('button', { name: 'Connect account' }).click();
    const done = w.page.locator('.connected');
    await done.waitFor({ timeout: 10_000 });
    const created = (await admin.get('/api/channel-accounts')).json.items.find((a: any) => a.handle === 'acme.bsky.social');
    expect(created).toBeTruthy();
    expect(created.network).toBe('bluesky');
    expect(created.hasCredentials).toBe(true);
    expect(JSON.stringify(created)).not.toContain('abcd-efgh');
    // Bluesky is polled: no webhook URL to hand out (test/e2e/shell-experts-channels.e2e.ts covers one that has)
    expect(await done.locator('input').count()).toBe(0);

    // the network revokes the token: the card says what happened and what to do, live
    const row0 = await desk.db.store.db.selectFrom('channel_account').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    await markChannelHealth(desk.db.store, desk.parley.services.bus, row0, { code: 'AUTH_REVOKED', message: 'The app password was revoked', advice: ADVICE.AUTH_REVOKED! }, Date.now());
    const card = w.page.locator(`.channel-card[data-account-id="${created.id}"]`);
    await card.locator('.channel-health-bad').getByText('Reconnect the account in Settings → Channels').waitFor({ timeout: 10_000 });
    expect(await card.locator('.health-message').textContent()).toContain('The app password was revoked');
    await card.scrollIntoViewIfNeeded();
    await screenshot(w.page, 'workflow-admin-channels');

    // reconnecting with new credentials makes it healthy again
    await card.getByRole('button', { name: /Reconnect/ }).click();
    await card.getByLabel(/New credentials for @acme.bsky.social 1: name/).fill('password');
    await card.getByLabel(/New credentials for @acme.bsky.social 1: value/).fill('qrst-uvwx-yzab-cdef');
    await card.getByRole('button', { name: 'Reconnect', exact: true }).click();
    await eventually(async () => (await card.getAttribute('data-status')) === 'active', 'reconnected account active', 10_000);

    // business hours give the line for the profile bio
    await card.getByRole('button', { name: 'Business hours…' }).click();
    await card.getByRole('button', { name: 'Save business hours' }).click();
    await card.locator('.calendar-editor [role="status"]').getByText(/Line for the profile bio: “We're here Mon–Fri 9am–5pm/).waitFor({ timeout: 10_000 }).catch(async () => {
      // the wording of the line is the server's; any line proves the round trip
      await card.locator('.calendar-editor [role="status"]').getByText(/Line for the profile bio/).waitFor({ timeout: 5000 });
    });
    const saved = (await admin.get(`/api/channel-accounts/${created.id}/availability`)).json;
    expect(saved.calendar.weekly.mon).toEqual([{ start: '09:00', end: '17:00' }]);
    expect(saved.availabilityLine).toBeTruthy();

    // disabling is asked once more, with what it does; cancelled, nothing changes
    await card.getByRole('button', { name: 'Disable', exact: true }).click();
    const confirm = w.page.getByRole('dialog', { name: 'Disable @acme.bsky.social?' });
    await confirm.getByText(/sends nothing from it/).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect(await card.getAttribute('data-status')).toBe('active');
    await card.getByRole('button', { name: 'Disable', exact: true }).click();
    await confirm.getByRole('button', { name: 'Disable', exact: true }).click();
    await eventually(async () => (await card.getAttribute('data-status')) === 'disabled', 'account disabled', 10_000);
  });

  it("edits a connected account's listening keywords: prefilled, the server's objection shown inline, saved, secrets never shown", async () => {
    const secret = `k-${Date.now().toString(36)}-SECRET`;
    const seeded = await admin.req('PATCH', `/api/channel-accounts/${desk.accountId}`, { settings: { keywords: ['rocket skates'] }, credentials: { apiKey: secret } });
    expect(seeded.status, JSON.stringify(seeded.json)).toBe(200);
    const settingsNow = async () => (await admin.get(`/api/channel-accounts/${desk.accountId}`)).json.settings as Record<string, unknown>;
    const autoAckBefore = (await settingsNow()).autoAck;
    const w = await pageAs('admin@acme.test');
    await w.page.goto(`${desk.url}/admin/channels`);
    const card = w.page.locator(`li.channel-card[data-account-id="${desk.accountId}"]`);
    await card.waitFor();
    // the demo account is not polled, and says why rather than "never synced"
    await card.getByText('not polled: the demo replays in-process').waitFor();
    if (!(await card.getByRole('button', { name: 'Edit…' }).isVisible())) await card.getByRole('button', { name: /Show details/ }).click();
    await card.getByRole('button', { name: 'Edit…' }).click();
    const form = card.getByRole('form', { name: 'Edit @AcmeCare' });
    const keywords = form.getByLabel('Listening keywords');
    await keywords.waitFor();
    // prefilled from what is stored; the credential is there by name only
    expect(await keywords.inputValue()).toBe('rocket skates');
    const apiKey = form.getByLabel('apiKey', { exact: true });
    expect(await apiKey.getAttribute('placeholder')).toBe('unchanged');
    expect(await apiKey.inputValue()).toBe('');
    expect(await w.page.content()).not.toContain(secret);

    // a setting the server refuses: shown beside it, nothing saved
    await keywords.fill('anvil\nroadrunner');
    await form.getByRole('button', { name: 'Add a row' }).first().click();
    await form.getByLabel('Settings of @AcmeCare 1: name').fill('pageSize');
    await form.getByLabel('Settings of @AcmeCare 1: value').fill('5');
    await form.getByRole('button', { name: 'Save changes' }).click();
    const rowError = form.locator('.kv-row .field-error').filter({ hasText: /10 to 100/ });
    await rowError.waitFor({ timeout: 10_000 });
    expect(await form.getByLabel('Settings of @AcmeCare 1: value').getAttribute('aria-invalid')).toBe('true');
    expect((await settingsNow()).keywords).toEqual(['rocket skates']);
    await screenshot(w.page, 'workflow-admin-channel-edit-error');

    // without it the edit goes through, and only the keywords change
    await form.getByRole('button', { name: 'Remove Settings of @AcmeCare row 1' }).click();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached', timeout: 10_000 });
    const after = await settingsNow();
    expect(after.keywords).toEqual(['anvil', 'roadrunner']);
    expect(after.autoAck).toEqual(autoAckBefore);
    expect(after.pageSize).toBeUndefined();
    const stored = await desk.db.store.db.selectFrom('channel_account').select(['credentials', 'next_sync_at']).where('id', '=', desk.accountId).executeTakeFirstOrThrow();
    expect(desk.parley.services.secrets.open<Record<string, string>>(stored.credentials!)).toEqual({ apiKey: secret });
    const audited = await desk.db.store.db.selectFrom('audit_event').select(['action', 'data']).where('subject_type', '=', 'channel_account').where('subject_id', '=', String(desk.accountId)).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audited.action).toBe('channel.updated');
    expect(JSON.parse(audited.data).after.settings.keywords).toEqual(['anvil', 'roadrunner']);

    // reopened, it shows what was saved
    await card.getByRole('button', { name: 'Edit…' }).click();
    expect(await card.getByRole('form', { name: 'Edit @AcmeCare' }).getByLabel('Listening keywords').inputValue()).toBe('anvil\nroadrunner');
    expect(await w.page.content()).not.toContain(secret);
    await card.getByRole('button', { name: 'Cancel' }).click();
  });

  it('edits a person (in training) and shows the server’s validation errors for workflow settings', async () => {
    const w = await pageAs('admin@acme.test');
    await w.page.goto(`${desk.url}/admin/people`);
    await w.page.getByRole('button', { name: 'Edit Ben Agent' }).click();
    const form = w.page.getByRole('form', { name: 'Edit Ben Agent' });
    await form.getByLabel('In training (replies need sign-off)').check();
    await form.getByLabel('Capacity (open conversations)').fill('5');
    await form.getByLabel('Languages').fill('en, de');
    await form.getByRole('button', { name: 'Save Ben Agent' }).click();
    await eventually(async () => {
      const flags = (await admin.get('/api/users/flags')).json.items.find((x: any) => x.id === desk.users.ben)?.flags ?? [];
      const u = (await admin.get('/api/users')).json.items.find((x: any) => x.id === desk.users.ben);
      return flags.includes('in_training') && u.capacity === 5 && (u.skills.languages ?? []).join() === 'en,de';
    }, 'Ben saved');
    await w.page.locator(`tr[data-user-id="${desk.users.ben}"]`).getByText('in training').waitFor();
    await setFlags(desk.users.ben, []);

    await w.page.goto(`${desk.url}/admin/workflow`);
    await w.page.getByLabel('Target 1 in minutes').fill('0');
    await w.page.getByRole('button', { name: 'Save SLA targets' }).click();
    const err = w.page.locator('#sla-title').locator('xpath=ancestor::section').locator('.form-error');
    await err.waitFor({ timeout: 5000 });
    // in the minutes the page takes, not the milliseconds it stores
    expect(await err.textContent()).toMatch(/First response target must be a positive duration \(got 0 min\)/);
    await screenshot(w.page, 'workflow-admin-settings-error');
  });

  it('edits a team: renames it, changes how it assigns and who leads it', async () => {
    const team = await admin.post('/api/teams', { name: 'Returns', routingStrategy: 'round_robin', members: [{ userId: desk.users.ana, isLead: false }] });
    const teamId = team.json.id as number;
    const w = await pageAs('admin@acme.test');
    await w.page.goto(`${desk.url}/admin/teams`);
    await w.page.getByRole('button', { name: 'Edit team Returns' }).click();
    await w.page.getByLabel('Name').last().fill('Returns & refunds');
    await w.page.getByLabel('Assignment').last().selectOption('least_loaded');
    await w.page.getByRole('checkbox', { name: 'Ben Agent' }).last().check();
    await w.page.getByRole('checkbox', { name: 'lead (Ben Agent)' }).last().check();
    await w.page.getByRole('button', { name: 'Save team' }).click();
    await eventually(async () => {
      const t = (await admin.get('/api/teams')).json.items.find((x: any) => x.id === teamId);
      return t?.name === 'Returns & refunds' && t.routingStrategy === 'least_loaded' && t.members.some((m: any) => m.userId === desk.users.ben && m.isLead) && t.members.some((m: any) => m.userId === desk.users.ana && !m.isLead);
    }, 'team saved');
    await w.page.getByRole('cell', { name: 'Returns & refunds', exact: true }).waitFor();
    expect(await w.page.getByText('Ben Agent (lead)').count()).toBeGreaterThan(0);
  });

  it('the queues page shows waiting work, live', async () => {
    const team = await admin.post('/api/teams', { name: 'Billing', routingStrategy: 'manual', members: [{ userId: desk.users.ben, isLead: false }] });
    expect(team.status).toBe(201);
    const teamId = team.json.id as number;
    for (let i = 0; i < 2; i++) {
      const { conversationId } = await ingest({ text: `@AcmeCare invoice question ${i}` });
      expect((await admin.post(`/api/conversations/${conversationId}/assign`, { teamId, assigneeId: null })).status).toBe(200);
    }
    const w = await pageAs('cleo@acme.test');
    await w.page.goto(`${desk.url}/queues`);
    const q = w.page.locator(`.queue[data-team-id="${teamId}"]`);
    await q.waitFor({ timeout: 10_000 });
    await eventually(async () => (await q.locator('.queue-waiting-count').getAttribute('data-waiting')) === '2', 'two waiting');
    expect(await q.textContent()).toContain('Ben Agent');
    await screenshot(w.page, 'workflow-queues');
    const { conversationId } = await ingest({ text: '@AcmeCare a third invoice question' });
    await admin.post(`/api/conversations/${conversationId}/assign`, { teamId, assigneeId: null });
    await eventually(async () => (await q.locator('.queue-waiting-count').getAttribute('data-waiting')) === '3', 'three waiting, live', 15_000);
  });
});

describe('playbooks, snippets and the CRM link', () => {
  it('shows the playbook beside the composer and inserts snippets, naming what it cannot fill', async () => {
    expect((await admin.post('/api/snippets', { shortcut: 'thanks', title: 'Thanks for waiting', body: 'Thanks for waiting, {{customer.name | there}}! {{agent.name}} here.' })).status).toBe(201);
    expect((await admin.post('/api/snippets', { shortcut: 'hours', title: 'Opening hours', body: 'We are open {{hours}}.' })).status).toBe(201);
    const { conversationId } = await ingest({ text: '@AcmeCare this is the worst service ever, my parcel is lost again', author: { networkUserId: 'pb-1', handle: 'angrydan', displayName: 'Dan Smith', followers: 300 } });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const guidance = ana.page.locator('.guidance');
    await guidance.locator('.playbook').first().waitFor({ timeout: 10_000 });
    expect((await guidance.locator('.playbook-outline li').count()) > 0).toBe(true);

    const box = ana.page.getByLabel(/Public reply to @angrydan/);
    await ana.page.getByRole('button', { name: 'Insert snippet…' }).click();
    let picker = ana.page.getByRole('dialog', { name: 'Insert a snippet' });
    await picker.getByRole('button', { name: /thanks/ }).click();
    await picker.waitFor({ state: 'hidden' });
    expect(await box.inputValue()).toBe('Thanks for waiting, Dan! Ana here.');

    await ana.page.getByRole('button', { name: 'Insert snippet…' }).click();
    picker = ana.page.getByRole('dialog', { name: 'Insert a snippet' });
    await picker.getByRole('button', { name: /Opening hours/ }).click();
    const problem = picker.locator('.snippet-problem');
    await problem.waitFor({ timeout: 5000 });
    expect(await problem.textContent()).toContain('hours');
    await screenshot(ana.page, 'workflow-snippet-missing');
    await picker.getByRole('button', { name: 'Insert with the gaps marked' }).click();
    expect(await box.inputValue()).toContain('We are open {{hours}}');
  });

  it('links the customer to a CRM record only with consent, and unlinks with a reason', async () => {
    const cora = { networkUserId: 'crm-1', handle: 'consenting', displayName: 'Cora Sent', followers: 20 };
    const { conversationId, messageId } = await ingest({ text: '@AcmeCare yes, you can look me up with my customer number, I agree', author: cora });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    // nobody asked her yet: her message is no answer to a consent question, and is not offered
    await ana.page.getByRole('button', { name: 'Link to CRM customer…' }).click();
    let dialog = ana.page.getByRole('dialog', { name: 'Link to a CRM customer' });
    await dialog.getByLabel('They agreed in a message here').check();
    await expect.poll(() => dialog.getByTestId('crm-consent-ask-state').textContent()).toContain('Nobody has asked them for consent in this conversation yet');
    expect(await dialog.getByLabel('Their message saying so').locator(`option[value="${messageId}"]`).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    // ask, the question goes out, she says yes
    await ana.page.locator('.crm').getByRole('button', { name: 'Ask for consent…' }).click();
    const ask = ana.page.getByRole('dialog', { name: 'Ask for consent' });
    await expect.poll(() => ask.getByLabel('Question').inputValue()).toContain('Reply YES to agree');
    await ask.getByRole('button', { name: 'Send question' }).click();
    await ask.waitFor({ state: 'detached' });
    const question = await desk.db.store.db.selectFrom('crm_consent_ask').select('message_id').where('conversation_id', '=', conversationId).executeTakeFirstOrThrow();
    const sent = async () => (await desk.db.store.db.selectFrom('outbox').select('status').where('message_id', '=', question.message_id).executeTakeFirst())?.status;
    await expect.poll(async () => (await desk.parley.services.outbox.runOnce(), await sent()), { timeout: 10_000 }).toBe('sent');
    const yes = await ingest({ text: 'Yes, go ahead', author: cora });
    expect(yes.conversationId).toBe(conversationId);

    await ana.page.getByRole('button', { name: 'Link to CRM customer…' }).click();
    dialog = ana.page.getByRole('dialog', { name: 'Link to a CRM customer' });
    await dialog.getByLabel('CRM customer ID').fill('CUST-4711');
    await dialog.getByLabel('They agreed in a message here').check();
    // her reply after the question is chosen for the agent; her earlier message is still not offered
    await expect.poll(() => dialog.getByLabel('Their message saying so').inputValue()).toBe(String(yes.messageId));
    expect(await dialog.getByLabel('Their message saying so').locator(`option[value="${messageId}"]`).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Link with consent' }).click();
    await ana.page.locator('.crm').getByText('CUST-4711').waitFor({ timeout: 10_000 });
    expect((await detail(conversationId)).contact.crmCustomerId).toBe('CUST-4711');
    await ana.page.getByRole('button', { name: 'Remove link…' }).click();
    const un = ana.page.getByRole('dialog', { name: 'Remove the CRM link' });
    await un.getByLabel('Reason').fill('The customer withdrew consent');
    await un.getByRole('button', { name: 'Remove link' }).click();
    await ana.page.getByRole('button', { name: 'Link to CRM customer…' }).waitFor({ timeout: 10_000 });
    expect((await detail(conversationId)).contact.crmCustomerId).toBeNull();
  });
});

describe('incidents and moderation', () => {
  it('declares an incident: everyone sees the banner live; a statement is posted; it closes', async () => {
    const ana = await pageAs('ana@acme.test');
    const cleo = await pageAs('cleo@acme.test');
    await cleo.page.goto(`${desk.url}/incidents`);
    await cleo.page.getByRole('heading', { name: 'Declare an incident' }).waitFor();
    await cleo.page.getByLabel('Title').fill('Checkout is down');
    await cleo.page.getByLabel('What is happening').fill('Payments fail with error 502 since 09:40');
    await cleo.page.getByRole('button', { name: 'Declare incident' }).click();
    const banner = ana.page.locator('.incident-banner');
    await banner.getByText('Incident: Checkout is down').waitFor({ timeout: 10_000 });
    await screenshot(ana.page, 'workflow-incident-banner');
    await cleo.page.locator('.incident-banner').getByRole('button', { name: 'Post statement…' }).click();
    const dialog = cleo.page.getByRole('dialog', { name: 'Post the public statement' });
    await dialog.getByLabel('Post from').selectOption({ label: 'X @AcmeCare' });
    await dialog.getByLabel('Statement').fill('We know checkout is failing right now and are fixing it. We will post here when it works again.');
    await dialog.getByRole('button', { name: 'Post statement' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await eventually(async () => (await cleoApi.get('/api/incidents')).json.items[0]?.statementMessageId != null, 'statement recorded');
    // a statement speaks for the brand: it waits for a second person's sign-off, and its author cannot give it
    const state = cleo.page.locator('.incident-banner .statement-state');
    await eventually(async () => (await state.getAttribute('data-statement-status').catch(() => null)) === 'pending_approval', 'statement waiting for sign-off');
    expect(await state.textContent()).toContain('Waiting for sign-off');
    const statementId = (await cleoApi.get('/api/incidents')).json.items[0].statementMessageId as number;
    await cleo.page.goto(`${desk.url}/approvals?m=${statementId}`);
    await cleo.page.getByText('You wrote this statement: another approver or admin signs it off.').waitFor();
    expect(await cleo.page.getByRole('button', { name: 'Approve and send' }).count()).toBe(0);
    const ada = await pageAs('admin@acme.test');
    await ada.page.goto(`${desk.url}/approvals?m=${statementId}`);
    const item = ada.page.locator(`.approval-item[data-message-id="${statementId}"]`);
    await item.locator('.badge', { hasText: 'Incident statement' }).first().waitFor(); // the kind, and the policy's reason
    await screenshot(ada.page, 'workflow-statement-approval');
    await ada.page.getByRole('button', { name: 'Approve and send' }).click();
    await ada.page.locator('.approval-handled').getByText(/Approved .*statement/).waitFor({ timeout: 10_000 });
    // the author sees it leave the sign-off state, live
    await cleo.page.goto(`${desk.url}/incidents`);
    await eventually(async () => ['queued', 'sent'].includes((await cleo.page.locator('.incident-banner .statement-state').getAttribute('data-statement-status').catch(() => null)) ?? ''), 'statement approved');
    // closing is asked once more, with what it does; cancelling keeps it open
    await cleo.page.locator('.incident-banner').getByRole('button', { name: 'Close incident' }).click();
    let confirm = cleo.page.getByRole('dialog', { name: /Close the incident/ });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect(await banner.isVisible()).toBe(true);
    await cleo.page.locator('.incident-banner').getByRole('button', { name: 'Close incident' }).click();
    confirm = cleo.page.getByRole('dialog', { name: /Close the incident/ });
    await confirm.getByRole('button', { name: 'Close incident' }).click();
    await banner.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('moderates only by citing a guideline, and shows the refusal', async () => {
    const g = await admin.post('/api/guidelines', { code: 'doxxing', title: "No sharing of other people's private information", description: 'Posts that publish someone else’s address, phone number or documents are hidden.', allowedActions: ['hide'] });
    expect(g.status).toBe(201);
    const ana = await pageAs('ana@acme.test');
    // on a network that cannot hide posts the action is offered disabled, with the network's reason
    const onDemo = await ingest({ text: '@AcmeCare your product is terrible' });
    await openConversation(ana.page, onDemo.conversationId);
    await ana.page.getByRole('button', { name: /Moderate this post/ }).first().click();
    let dialog = ana.page.getByRole('dialog', { name: 'Moderate by the community guidelines' });
    await dialog.getByLabel(/No sharing of other people/).check();
    const hideOption = dialog.getByLabel('Action').locator('option[value="hide"]');
    expect(await hideOption.isDisabled()).toBe(true);
    expect(await hideOption.textContent()).toContain('not on this network: the demo network has no moderation');
    await ana.page.keyboard.press('Escape');
    // a Facebook page can hide comments: there the guideline's evidence rule decides
    const fb = await admin.post('/api/channel-accounts', { network: 'facebook', handle: 'AcmeFB', externalId: '100200300', driver: 'facebook', credentials: { pageAccessToken: 'page-token', appSecret: 'app-secret', verifyToken: 'verify' }, settings: { apiBaseUrl: 'http://127.0.0.1:9' } });
    expect(fb.status).toBe(201);
    try {
      const m = mention({ network: 'facebook', kind: 'comment', networkMessageId: `fbc-${Date.now()}`, author: { networkUserId: 'fb-user-1', handle: 'Pat Critic' }, text: 'your product is terrible and so is your support' });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: fb.json.id, messages: [m] });
      const conversationId = r.json.outcomes[0].conversationId as number;
      await openConversation(ana.page, conversationId);
      await ana.page.getByRole('button', { name: /Moderate this post/ }).first().click();
      dialog = ana.page.getByRole('dialog', { name: 'Moderate by the community guidelines' });
      expect(await dialog.textContent()).toContain('Negative feedback, criticism and complaints are not violations');
      await dialog.getByLabel(/No sharing of other people/).check();
      await dialog.getByLabel('Action').selectOption('hide');
      await dialog.getByLabel(/Evidence/).fill('negative');
      await screenshot(ana.page, 'workflow-moderation');
      await dialog.getByRole('button', { name: 'Hide the post' }).click();
      const refusal = dialog.locator('.form-error');
      await refusal.waitFor({ timeout: 5000 });
      expect(await refusal.getAttribute('data-code')).toBe('moderation.needs_evidence');
      expect(await refusal.textContent()).toContain('Being negative is not a violation');
      await ana.page.keyboard.press('Escape');
    } finally {
      await admin.req('PATCH', `/api/channel-accounts/${fb.json.id}`, { enabled: false });
    }
  });
});

describe('accessibility of the new pages', () => {
  it('has no serious or critical axe violations on approvals, queues, experts, incidents and settings', async () => {
    await setFlags(desk.users.ana, ['in_training']);
    const anaApi = await Client.signIn(desk.url, 'ana@acme.test');
    const { conversationId } = await ingest({ text: '@AcmeCare the lid of my blender cracked' });
    const r = await anaApi.post(`/api/conversations/${conversationId}/replies`, { text: 'Hi Client, sorry to hear that! We will send you a new lid.', visibility: 'public', idempotencyKey: 'axe-approval-1' });
    expect(r.json.approval).toBeTruthy();
    await setFlags(desk.users.ana, []);
    const w = await pageAs('admin@acme.test', { bypassCSP: true });
    const problems: string[] = [];
    const check = async (path: string, ready: string, name: string) => {
      await w.page.goto(`${desk.url}${path}`);
      await w.page.locator(ready).first().waitFor({ timeout: 10_000 });
      await w.page.waitForTimeout(300);
      const v = await axeSerious(w.page);
      if (v.length) problems.push(`${path}:\n${axeReport(v)}`);
      await screenshot(w.page, name);
    };
    await check('/approvals', '.review', 'axe-approvals');
    await check('/queues', '.queue', 'axe-queues');
    await check('/incidents', '.panel', 'axe-incidents');
    await check('/expert', '.approval-list-pane', 'axe-expert-questions');
    for (const s of ['channels', 'people', 'teams', 'workflow', 'guidelines', 'playbooks', 'snippets', 'quarantine']) await check(`/admin/${s}`, '.panel', `axe-admin-${s}`);
    // the conversation with the workflow panels and a dialog open
    await w.page.goto(`${desk.url}/inbox/all?c=${conversationId}`);
    await w.page.locator('.guidance').waitFor();
    let v = await axeSerious(w.page);
    if (v.length) problems.push(`conversation:\n${axeReport(v)}`);
    await w.page.getByRole('button', { name: 'Ask an expert…' }).click();
    await w.page.getByRole('dialog', { name: 'Ask an expert' }).waitFor();
    v = await axeSerious(w.page);
    if (v.length) problems.push(`ask-an-expert dialog:\n${axeReport(v)}`);
    expect(problems, problems.join('\n\n')).toEqual([]);
  }, 240_000);
});
