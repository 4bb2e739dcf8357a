/**
 * The agent inbox in a real browser against a real desk (SQLite, HTTP server, outbox,
 * live events): sign-in, live arrivals, replies and their delivery, assignment moving
 * conversations between views, presence between two agents, bulk actions, the length
 * counter and thread splitting, collisions, search, filters, channel health, keyboard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { markChannelHealth } from '../../src/channels/health.js';
import { createChannelAccount } from '../../src/commands/setup.js';
import { measure } from '../../src/core/textLength.js';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, row, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let anaApi: Client;
const pages: WatchedPage[] = [];

async function agentPage(email: string, viewport?: { width: number; height: number }): Promise<WatchedPage> {
  const w = await openPage(browser, { viewport });
  pages.push(w);
  await signIn(w.page, desk.url, email);
  return w;
}

let seq = 0;
/** Ingest one inbound mention; returns its conversation and message ids. */
async function ingest(over: Parameters<typeof mention>[0] = {}, channelAccountId = desk.accountId): Promise<{ conversationId: number; messageId: number; networkMessageId: string }> {
  seq++;
  const m = mention({ author: { networkUserId: `e2e-${seq}-${Date.now()}`, handle: `shopper${seq}`, displayName: `Shopper ${seq}`, followers: 120 + seq }, ...over });
  const r = await admin.post('/api/ingest/messages', { channelAccountId, messages: [m] });
  expect(r.status).toBe(200);
  const o = r.json.outcomes[0];
  expect(o.status).toBe('stored');
  return { conversationId: o.conversationId, messageId: o.messageId, networkMessageId: m.networkMessageId };
}

async function conversation(id: number) {
  const r = await admin.get(`/api/conversations/${id}`);
  expect(r.status).toBe(200);
  return r.json as { conversation: any; messages: any[]; notes: any[]; audit: any[] };
}

const openConversation = (page: Page, id: number, view = 'open') => openConversationAt(page, desk.url, id, view);

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  anaApi = await Client.signIn(desk.url, 'ana@acme.test');
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('the agent inbox', () => {
  it('signs in, shows who is signed in and lets them change availability', async () => {
    const w = await openPage(browser);
    pages.push(w);
    await w.page.goto(`${desk.url}/inbox/mine`);
    await w.page.waitForURL(/\/login/);
    await w.page.getByLabel('Email').fill('ana@acme.test');
    await w.page.getByLabel('Password').fill('not the password');
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await expect(w.page.getByRole('alert').textContent()).resolves.toContain('Wrong email or password');

    await w.page.getByLabel('Password').fill('correct horse battery');
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    // back where they were going
    await w.page.waitForURL(/\/inbox\/mine/);
    await w.page.locator('.me-name').waitFor();
    expect(await w.page.locator('.me-name').textContent()).toBe('Ana Agent');
    expect(await w.page.locator('.me-role').textContent()).toBe('Agent');

    await w.page.getByLabel('Availability').selectOption('away');
    await eventually(async () => (await anaApi.get('/api/me')).json.user.availability === 'away', 'availability saved');
    await w.page.getByLabel('Availability').selectOption('online');
    await eventually(async () => (await anaApi.get('/api/me')).json.user.availability === 'online', 'availability back online');

    // signing out returns to the sign-in page
    await w.page.getByRole('button', { name: 'Sign out' }).click();
    await w.page.waitForURL(/\/login/);
    await w.close();
  });

  it('shows a newly ingested message in the open inbox within a second, without reload', async () => {
    const w = await agentPage('ana@acme.test');
    const before = await w.page.locator('.view-link.active .count').textContent();
    await w.page.evaluate('window.__noReload = 42');
    const text = `my parcel ${Date.now()} never arrived, can you help?`;
    const { conversationId } = await ingest({ text: `@AcmeCare ${text}` });
    const t0 = Date.now();
    await row(w.page, conversationId).getByText(text).waitFor({ timeout: 1000 });
    expect(Date.now() - t0).toBeLessThanOrEqual(1000);
    expect(await w.page.evaluate('window.__noReload')).toBe(42);
    // the newest activity is on top, and the view's count follows
    expect(await w.page.locator('.conv-row').first().getAttribute('data-conversation-id')).toBe(String(conversationId));
    await eventually(async () => (await w.page.locator('.view-link.active .count').textContent()) !== before, 'count updated');
  });

  it('replies publicly and shows the reply queued, then sent', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare the app logs me out every five minutes' });
    const w = await agentPage('ana@acme.test');
    await openConversation(w.page, conversationId);
    await w.page.keyboard.press('r');
    const box = w.page.getByLabel(/Public reply to @shopper/);
    await eventually(() => w.page.evaluate('document.activeElement && document.activeElement.classList.contains("composer-text")'), 'composer focused by r');
    const text = 'Sorry about that! A fix ships today; could you update the app and tell us if it persists?';
    await box.fill(text);
    expect(await w.page.locator('.composer .counter').first().textContent()).toContain(`${text.length} / 280`);
    await w.page.keyboard.press('Control+Enter');
    await w.page.locator('.delivery').getByText('Sent ✓').waitFor({ timeout: 10_000 });
    // in the thread too, marked public and by network
    const msg = w.page.locator('.msg-out', { hasText: text });
    await msg.getByText('Sent ✓').waitFor();
    expect(await msg.locator('.vis-public').count()).toBe(1);
    expect(await msg.locator('.net-x').count()).toBe(1);
    const d = await conversation(conversationId);
    const sent = d.messages.find((m) => m.text === text);
    expect(sent.status).toBe('sent');
    expect(sent.visibility).toBe('public');
    // the network's id of the sent reply is kept in the tooltip, not shown
    expect(await msg.locator('.delivery-state.ok').getAttribute('title')).toContain(sent.networkMessageId);
    expect(sent.networkMessageId).toBeTruthy();
    // the composer is empty again, and the audit trail records the reply
    expect(await box.inputValue()).toBe('');
    await w.page.locator('.audit-list').getByText('sent a public reply').waitFor({ timeout: 5000 }).catch(async () => {
      // the side panel is collapsed on narrow panes; open it
      await w.page.getByRole('button', { name: 'Customer & activity' }).click();
      await w.page.locator('.audit-list').getByText('sent a public reply').waitFor({ timeout: 5000 });
    });
  });

  it('shows the customer on a row that moves into the loaded list live (an agent\'s reply, a brand reply seen on the network)', async () => {
    // two older conversations, then more newer ones than the list's first page holds: the old ones are not loaded
    const hourAgo = Date.now() - 3600_000;
    const replied = await ingest({ text: '@AcmeCare where is my refund?', createdAt: hourAgo });
    const repliedName = `Shopper ${seq}`;
    const answered = await ingest({ text: '@AcmeCare is the store open on Sunday?', createdAt: hourAgo + 1000 });
    const answeredName = `Shopper ${seq}`;
    const newer = Array.from({ length: 110 }, (_, i) => mention({ text: `@AcmeCare filler ${i}`, createdAt: hourAgo + 60_000 + i * 1000 }));
    expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: newer })).status).toBe(200);

    const w = await agentPage('ana@acme.test');
    await openConversation(w.page, replied.conversationId, 'all');
    expect(await row(w.page, replied.conversationId).count()).toBe(0);
    // the agent replies: the conversation moves to the top of the list, from live events only
    await w.page.keyboard.press('r');
    await w.page.getByLabel(/Public reply to @shopper/).fill('Sorry for the wait! The refund went out this morning.');
    await w.page.keyboard.press('Control+Enter');
    await w.page.locator('.delivery').getByText('Sent ✓').waitFor({ timeout: 10_000 });
    await row(w.page, replied.conversationId).waitFor({ timeout: 5000 });
    expect(await row(w.page, replied.conversationId).locator('.row-name').textContent()).toBe(repliedName);

    // the brand answered on the network (the listener ingests its reply): that row moves up too
    const brandReply = mention({
      direction: 'outbound', fromBrand: true, text: '@shopper We open 10:00 to 16:00 on Sundays.', inReplyToNetworkId: answered.networkMessageId,
      author: { networkUserId: 'acme-care', handle: 'AcmeCare', displayName: 'Acme Care', followers: 5000 },
    });
    expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [brandReply] })).json.outcomes[0].conversationId).toBe(answered.conversationId);
    await row(w.page, answered.conversationId).waitFor({ timeout: 5000 });
    expect(await row(w.page, answered.conversationId).locator('.row-name').textContent()).toBe(answeredName);

    // and a later change that moves neither keeps them
    expect((await anaApi.post(`/api/conversations/${replied.conversationId}/priority`, { priority: 2 })).status).toBe(200);
    await eventually(async () => (await row(w.page, replied.conversationId).locator('.prio').count()) === 1, 'the priority change shown live');
    expect(await row(w.page, replied.conversationId).locator('.row-name').textContent()).toBe(repliedName);
  });

  it('shows a failed reply with its reason', async () => {
    const broken = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'x', handle: 'AcmeNoConnector', driver: 'no-such-driver' }, Date.now());
    const { conversationId } = await ingest({ text: '@AcmeNoConnector hello?' }, broken);
    const w = await agentPage('ana@acme.test');
    await openConversation(w.page, conversationId);
    await w.page.keyboard.press('r');
    await w.page.keyboard.type('Hi! Looking into it now.');
    await w.page.getByRole('button', { name: 'Send reply' }).click();
    await w.page.locator('.delivery').getByText(/Failed: no connector is installed/).waitFor({ timeout: 10_000 });
    await w.page.locator('.msg-out').getByText(/Failed: no connector is installed/).waitFor();
  });

  it('assigns to another agent and the conversation moves between their views, live', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare I was charged twice for one order' });
    const ana = await agentPage('ana@acme.test');
    const ben = await agentPage('ben@acme.test');
    await ben.page.goto(`${desk.url}/inbox/mine`);
    await ben.page.locator('.live-live').waitFor({ state: 'attached' });
    await openConversation(ana.page, conversationId, 'mine');
    expect(await row(ana.page, conversationId).count()).toBe(0);

    // Ana takes it: it joins her Mine view
    await ana.page.getByRole('button', { name: 'Take it' }).click();
    await row(ana.page, conversationId).waitFor({ timeout: 5000 });

    // then hands it to Ben from the assign dialog (keyboard: a, type, Enter)
    await ana.page.locator('.conv-title h2').click();
    await ana.page.keyboard.press('a');
    const dialog = ana.page.getByRole('dialog', { name: 'Assign conversation' });
    await dialog.waitFor();
    // focus lands in the filter box: the agent just types
    await eventually(() => ana.page.evaluate('document.activeElement && document.activeElement.getAttribute("role") === "combobox"'), 'assign filter focused');
    await ana.page.keyboard.type('Ben');
    await ana.page.keyboard.press('Enter');
    await row(ana.page, conversationId).waitFor({ state: 'detached', timeout: 5000 });
    await row(ben.page, conversationId).waitFor({ timeout: 5000 });
    expect(await row(ben.page, conversationId).textContent()).toContain('→ me');
    expect((await conversation(conversationId)).conversation.assigneeId).toBe(desk.users.ben);

    // and to a team
    await ana.page.keyboard.press('a');
    await dialog.getByRole('combobox').fill('Team: Care');
    await ana.page.keyboard.press('Enter');
    await eventually(async () => (await conversation(conversationId)).conversation.teamId === desk.teamId, 'team assigned');
    await ben.page.goto(`${desk.url}/inbox/team`);
    await row(ben.page, conversationId).waitFor({ timeout: 5000 });
  });

  it('shows two agents in one conversation to each other (viewing, typing)', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare my account was hacked, please help' });
    const ana = await agentPage('ana@acme.test');
    const ben = await agentPage('ben@acme.test');
    await openConversation(ana.page, conversationId);
    await openConversation(ben.page, conversationId);
    await ana.page.locator('.presence-bar').getByText('Ben Agent is also viewing this conversation').waitFor({ timeout: 5000 });
    await ben.page.locator('.presence-bar').getByText('Ana Agent is also viewing this conversation').waitFor({ timeout: 5000 });
    // the list row shows it too
    await row(ana.page, conversationId).locator('.presence-chip').getByText('Ben').waitFor({ timeout: 5000 });

    await ben.page.keyboard.press('p');
    await ben.page.keyboard.type('Sorry to hear that, sending you a DM');
    await ana.page.locator('.presence-bar').getByText('Ben Agent is typing a reply…').waitFor({ timeout: 5000 });

    // Ben leaves: Ana sees it
    await ben.page.goto(`${desk.url}/inbox/open`);
    await ana.page.locator('.presence-bar').waitFor({ state: 'detached', timeout: 5000 });
  });

  it('works from the keyboard: j/k, Enter, r, n, a, e, /, ?', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await ingest({ text: `@AcmeCare keyboard check ${i}` })).conversationId);
    const w = await agentPage('ana@acme.test');
    const { page } = w;
    await page.locator('.conv-row').nth(2).waitFor();
    const cursorId = async () => page.locator('.conv-row.cursor').getAttribute('data-conversation-id');
    const first = await page.locator('.conv-row').nth(0).getAttribute('data-conversation-id');
    const second = await page.locator('.conv-row').nth(1).getAttribute('data-conversation-id');
    await page.keyboard.press('j');
    await eventually(async () => (await cursorId()) === second, 'cursor on the second row');
    await page.keyboard.press('k');
    await eventually(async () => (await cursorId()) === first, 'cursor back on the first row');
    // keys faster than the frames that move the focus: Enter opens the highlighted row, not the focused link
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`[?&]c=${first}`));
    await page.locator('.conversation .conv-title h2').waitFor();

    await page.keyboard.press('r');
    await eventually(() => page.evaluate('document.activeElement && document.activeElement.classList.contains("composer-text")'), 'composer focused');
    expect(await page.getByRole('button', { name: 'Public reply' }).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Escape');
    await page.keyboard.press('n');
    await eventually(async () => (await page.getByRole('button', { name: 'Internal note' }).getAttribute('aria-pressed')) === 'true', 'note mode');
    await page.keyboard.type('Customer is a repeat caller, be extra kind @ben');
    await page.keyboard.press('Control+Enter');
    await page.locator('.note').getByText('Customer is a repeat caller').waitFor({ timeout: 5000 });
    await page.keyboard.press('Escape');

    await page.keyboard.press('a');
    await page.getByRole('dialog', { name: 'Assign conversation' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Assign conversation' }).waitFor({ state: 'hidden' });

    await page.keyboard.press('/');
    await eventually(() => page.evaluate('document.activeElement && document.activeElement.id === "global-search"'), 'search focused');
    await page.keyboard.press('Escape');

    await page.keyboard.press('?');
    const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await sheet.waitFor();
    expect(await sheet.textContent()).toContain('Resolve the open conversation');
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'hidden' });

    await page.keyboard.press('e');
    await eventually(async () => (await conversation(Number(first))).conversation.status === 'resolved', 'resolved by e');
    await page.locator('.conv-head .status-resolved').waitFor({ timeout: 5000 });
    // resolved conversations leave the Open view
    await row(page, Number(first)).waitFor({ state: 'detached', timeout: 5000 });
  });

  it('applies bulk actions to a multi-selection', async () => {
    // one more open conversation, left unselected: two ticked rows are then a part of the list
    // ("2 selected") whatever the tests before left in it; alone, the two would be every row
    // loaded, which the bar rightly calls "All 2 conversations selected"
    await ingest({ text: '@AcmeCare bulk bystander' });
    const a = await ingest({ text: '@AcmeCare bulk one' });
    const b = await ingest({ text: '@AcmeCare bulk two' });
    const w = await agentPage('ana@acme.test');
    await row(w.page, a.conversationId).getByRole('checkbox').check();
    await row(w.page, b.conversationId).getByRole('checkbox').check();
    const bar = w.page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('2 selected').waitFor();
    await bar.getByLabel('Add a label to selected').fill('billing');
    await bar.getByLabel('Add a label to selected').press('Enter');
    await eventually(async () => (await conversation(a.conversationId)).conversation.labels.includes('billing') && (await conversation(b.conversationId)).conversation.labels.includes('billing'), 'labels on both');
    // a bulk action that succeeded clears the selection; the server can be done before the page knows,
    // so wait for the bar to go before selecting again (a tick made before the clear would be undone by it)
    await bar.waitFor({ state: 'detached', timeout: 5000 });
    await row(w.page, a.conversationId).getByRole('checkbox').check();
    await row(w.page, b.conversationId).getByRole('checkbox').check();
    await bar.getByLabel('Set status of selected').selectOption('resolved');
    await row(w.page, a.conversationId).waitFor({ state: 'detached', timeout: 5000 });
    await row(w.page, b.conversationId).waitFor({ state: 'detached', timeout: 5000 });
    expect((await conversation(a.conversationId)).conversation.status).toBe('resolved');
    expect((await conversation(b.conversationId)).conversation.status).toBe('resolved');
    await bar.waitFor({ state: 'detached', timeout: 5000 });
    // snooze a selection: both wait on the customer until the chosen time
    const c = await ingest({ text: '@AcmeCare bulk three' });
    const d = await ingest({ text: '@AcmeCare bulk four' });
    await row(w.page, c.conversationId).getByRole('checkbox').check();
    await row(w.page, d.conversationId).getByRole('checkbox').check();
    const before = Date.now();
    await bar.getByRole('button', { name: 'Snooze…' }).click();
    await w.page.getByRole('dialog', { name: 'Snooze until…' }).getByRole('button', { name: 'In 4 hours' }).click();
    await eventually(async () => {
      const cs = [(await conversation(c.conversationId)).conversation, (await conversation(d.conversationId)).conversation];
      return cs.every((x: any) => x.status === 'waiting' && x.snoozedUntil && Math.abs(Date.parse(x.snoozedUntil) - (before + 4 * 3600_000)) < 120_000);
    }, 'both snoozed for 4 hours');
  });

  it('counts length the way X does and sends a too-long reply as a thread', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare how do I return a gift without the receipt?' });
    const w = await agentPage('ana@acme.test');
    await openConversation(w.page, conversationId);
    await w.page.keyboard.press('r');
    // a URL counts 23 however long it is; CJK characters count 2
    await w.page.keyboard.type('See https://example.com/a/very/long/path/to/the/returns/policy/page 日本');
    await eventually(async () => (await w.page.locator('.composer .counter').first().textContent())?.includes('32 / 280'), 'the X-weighted count of 32');
    const long = Array.from({ length: 12 }, (_, i) => `Step ${i + 1}: bring the item to any store and show the gift message.`).join(' ');
    await w.page.locator('.composer-text').fill(long);
    const over = measure('x', long);
    expect(over.over).toBe(true);
    expect(await w.page.locator('.composer .counter').first().textContent()).toContain(`${over.length} / 280`);
    await w.page.getByRole('button', { name: 'Split into a thread' }).click();
    const parts = w.page.locator('.thread-parts li');
    const n = await parts.count();
    expect(n).toBeGreaterThan(1);
    await screenshot(w.page, 'composer');
    await w.page.getByRole('button', { name: `Send thread of ${n}` }).click();
    await eventually(async () => (await w.page.locator('.delivery .delivery-state.ok').count()) === n, 'all parts sent', 20_000);
    const d = await conversation(conversationId);
    const sent = d.messages.filter((m) => m.direction === 'outbound').sort((x, y) => x.id - y.id);
    expect(sent).toHaveLength(n);
    for (const m of sent) expect(measure('x', m.text).over).toBe(false);
    // each part answers the previous one
    for (let i = 1; i < sent.length; i++) expect(sent[i].replyToMessageId).toBe(sent[i - 1].id);
    expect(sent.every((m) => m.status === 'sent')).toBe(true);
  });

  it('warns when someone wrote meanwhile and sends only after confirmation', async () => {
    const first = await ingest({ text: '@AcmeCare my order is late', author: { networkUserId: 'conflict-user', handle: 'latecustomer', displayName: 'Late Customer' } });
    const w = await agentPage('ana@acme.test');
    await openConversation(w.page, first.conversationId);
    await w.page.keyboard.press('r');
    await w.page.keyboard.type('Let me check the tracking for you');
    const second = await ingest({ text: '@AcmeCare never mind, it just arrived!', inReplyToNetworkId: first.networkMessageId, author: { networkUserId: 'conflict-user', handle: 'latecustomer', displayName: 'Late Customer' } });
    expect(second.conversationId).toBe(first.conversationId);
    await w.page.locator('.thread').getByText('it just arrived').waitFor({ timeout: 5000 });
    await w.page.getByRole('button', { name: 'Send reply' }).click();
    const conflict = w.page.locator('.conflict');
    await conflict.getByText('1 new message arrived while you were writing').waitFor({ timeout: 5000 });
    expect(await conflict.textContent()).toContain('it just arrived');
    expect((await conversation(first.conversationId)).messages.filter((m) => m.direction === 'outbound')).toHaveLength(0);
    await conflict.getByRole('button', { name: 'Send anyway' }).click();
    await w.page.locator('.delivery').getByText('Sent ✓').waitFor({ timeout: 10_000 });
    expect((await conversation(first.conversationId)).messages.filter((m) => m.direction === 'outbound')).toHaveLength(1);
  });

  it('snoozes, sets priority and labels, and filters by them', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare where is my refund?' });
    const w = await agentPage('ana@acme.test');
    await openConversation(w.page, conversationId);
    await w.page.getByLabel('Priority', { exact: true }).selectOption({ label: 'Priority: High (70)' });
    await eventually(async () => (await conversation(conversationId)).conversation.priority === 70, 'priority saved');
    await w.page.getByLabel('Add a label').fill('Refund');
    await w.page.getByLabel('Add a label').press('Enter');
    await w.page.locator('.conv-actions .label').getByText('refund').waitFor();
    // filter the list by label and priority
    await w.page.goto(`${desk.url}/inbox/open?label=refund&priorityMin=70`);
    await row(w.page, conversationId).waitFor();
    expect(await w.page.locator('.conv-row').count()).toBe(1);

    await openConversation(w.page, conversationId);
    await w.page.locator('.conv-title h2').click();
    await w.page.keyboard.press('s');
    const dialog = w.page.getByRole('dialog', { name: 'Snooze until…' });
    await dialog.getByRole('button', { name: 'In 1 hour' }).click();
    await eventually(async () => (await conversation(conversationId)).conversation.status === 'waiting', 'snoozed');
    const snoozed = Date.parse((await conversation(conversationId)).conversation.snoozedUntil);
    expect(Math.abs(snoozed - (Date.now() + 3600_000))).toBeLessThan(120_000);
    await row(w.page, conversationId).waitFor({ state: 'detached' });
    await w.page.getByRole('link', { name: /Waiting on customer/ }).click();
    await row(w.page, conversationId).waitFor({ timeout: 5000 });
  });

  it('filters by channel and network, and searches message text newest first', async () => {
    const masto = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'mastodon', handle: 'acme@social.example', driver: 'demo' }, Date.now());
    const word = `quokka${Date.now().toString(36)}`;
    const older = await ingest({ network: 'mastodon', text: `@acme ${word} first question`, createdAt: Date.now() - 60_000 }, masto);
    const newer = await ingest({ text: `@AcmeCare ${word} second question` });
    const w = await agentPage('ana@acme.test');
    await w.page.getByRole('button', { name: /Filters/ }).click();
    await w.page.getByLabel('Network', { exact: true }).selectOption('mastodon');
    await row(w.page, older.conversationId).waitFor();
    expect(await w.page.locator('.conv-row').count()).toBe(1);
    expect(await row(w.page, older.conversationId).locator('.net-mastodon').count()).toBe(1);
    await w.page.getByLabel('Network', { exact: true }).selectOption('');
    await w.page.getByLabel('Channel', { exact: true }).selectOption({ label: 'X @AcmeCare' });
    await row(w.page, newer.conversationId).waitFor();
    expect(await row(w.page, older.conversationId).count()).toBe(0);
    await w.page.getByRole('button', { name: 'Clear filters' }).click();

    await w.page.keyboard.press('/');
    await w.page.keyboard.type(word);
    const hits = w.page.locator('.hit-row');
    await eventually(async () => (await hits.count()) === 2, 'two search hits');
    expect(await hits.nth(0).textContent()).toContain('second question');
    expect(await hits.nth(1).textContent()).toContain('first question');
    expect(await hits.nth(0).locator('mark').first().textContent()).toBe(word);
    await hits.nth(1).locator('a').click();
    await w.page.waitForURL(new RegExp(`[?&]c=${older.conversationId}`));
    // as conversations instead of messages
    await w.page.getByRole('button', { name: 'Conversations' }).click();
    await row(w.page, newer.conversationId).waitFor();
  });

  it('searches by emoji, and marks the emoji found whole (tone and selector included)', async () => {
    const word = `wombat${Date.now().toString(36)}`;
    const liked = await ingest({ text: `@AcmeCare ${word} love the new flavour ❤️ 👍🏽` });
    await ingest({ text: `@AcmeCare ${word} the family pack 👨‍👩‍👧 is great` });
    const w = await agentPage('ana@acme.test');
    await w.page.keyboard.press('/');
    await w.page.keyboard.type(`👍 ❤ ${word}`);
    const hits = w.page.locator('.hit-row');
    await eventually(async () => (await hits.count()) === 1 && ((await hits.first().textContent()) ?? '').includes('new flavour'), 'one hit: the message with both emoji');
    expect(await hits.first().locator('mark').allTextContents()).toEqual([word, '❤️', '👍🏽']);
    await hits.first().locator('a').click();
    await w.page.waitForURL(new RegExp(`[?&]c=${liked.conversationId}`));
  });

  it('shows an unhealthy channel prominently, live', async () => {
    const acct = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'bluesky', handle: 'acme.bsky.social', driver: 'demo' }, Date.now());
    const w = await agentPage('ana@acme.test');
    const row0 = await desk.db.store.db.selectFrom('channel_account').selectAll().where('id', '=', acct).executeTakeFirstOrThrow();
    await markChannelHealth(desk.db.store, desk.parley.services.bus, row0, { code: 'AUTH_REVOKED', message: 'The access token was revoked', advice: 'Reconnect the account in Settings' }, Date.now());
    const alert = w.page.getByRole('button', { name: /1 channel needs attention/ });
    await alert.waitFor({ timeout: 5000 });
    await w.page.locator('.channel-link.unhealthy', { hasText: 'acme.bsky.social' }).waitFor();
    await alert.click();
    const dialog = w.page.getByRole('dialog', { name: 'Channels that need attention' });
    // an agent reads what kind of failure it is; the network's own words are for admins
    const said = await dialog.textContent();
    expect(said).toContain('The network no longer accepts this account\'s credentials.');
    expect(said).toContain('Admins were told');
    expect(said).not.toContain('The access token was revoked');
    await w.page.keyboard.press('Escape');
    const fresh = await desk.db.store.db.selectFrom('channel_account').selectAll().where('id', '=', acct).executeTakeFirstOrThrow();
    await markChannelHealth(desk.db.store, desk.parley.services.bus, fresh, null, Date.now());
    await alert.waitFor({ state: 'detached', timeout: 5000 });
  });

  it('says at once that a listen-only account cannot reply, and still takes notes', async () => {
    const acct = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'x', handle: 'AcmeListens', driver: 'demo' }, Date.now());
    await desk.db.store.db.updateTable('channel_account').set({ listen_only: 1 }).where('id', '=', acct).execute();
    const { conversationId } = await ingest({ text: 'saw @AcmeListens mentioned in a thread about delays', author: { networkUserId: 'lurker', handle: 'lurker' } }, acct);
    const w = await agentPage('ana@acme.test');
    await openConversation(w.page, conversationId);
    const notice = w.page.locator('.composer-listen-only');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('@AcmeListens is in listen-only mode');
    await w.page.getByLabel(/Public reply to @lurker/).fill('Sorry about the delays!');
    expect(await w.page.getByRole('button', { name: 'Send reply' }).isDisabled()).toBe(true);
    await w.page.getByRole('button', { name: 'Internal note' }).click();
    await notice.waitFor({ state: 'detached' });
  });

  it('renders the conversation view: thread, notes inline, author card, audit trail', async () => {
    const author = { networkUserId: 'card-user', handle: 'globetrotter', displayName: 'Gloria Trotter', followers: 48_200, verified: true };
    const { conversationId } = await ingest({ text: '@AcmeCare my suitcase went to Lisbon without me', author });
    await anaApi.post(`/api/conversations/${conversationId}/notes`, { text: 'Checked with the airport desk: bag is on the 14:05 flight back.' });
    await anaApi.post(`/api/conversations/${conversationId}/assign`, { assigneeId: desk.users.ana });
    const w = await agentPage('ana@acme.test', { width: 1600, height: 950 });
    await openConversation(w.page, conversationId);
    await w.page.locator('.note').getByText('bag is on the 14:05 flight').waitFor();
    expect(await w.page.locator('.note').textContent()).toContain('Internal note');
    const card = w.page.locator('.author-card');
    expect(await card.textContent()).toContain('Gloria Trotter');
    expect(await card.textContent()).toContain('@globetrotter');
    expect(await card.textContent()).toContain('48');
    expect(await card.getByRole('img', { name: 'Verified' }).count()).toBeGreaterThan(0);
    await w.page.locator('.audit-list').getByText(/assigned it to Ana Agent/).waitFor();
    await w.page.locator('.audit-list').getByText(/added an internal note/).waitFor();
    await screenshot(w.page, 'conversation');
    // the inbox, now that it has some history (one row selected for bulk actions)
    await w.page.goto(`${desk.url}/inbox/all`);
    await w.page.locator('.conv-row').nth(5).waitFor();
    await w.page.locator('.conv-row').nth(2).getByRole('checkbox').check();
    await w.page.keyboard.press('j');
    await screenshot(w.page, 'inbox');
  });
});
