/**
 * The desk's shell and a few pages, in Chromium against a real desk:
 *  - every page has exactly one `main` landmark holding its primary content (the inbox's
 *    list and conversation, not its navigation or top bar);
 *  - the channel-health dialog says since when in words that read ("Since just now",
 *    "Since 5 min ago", "Since 3 hours ago", a date), never "Since now ago";
 *  - the expert asked a question sees who asked it, by name, though experts may not list people;
 *  - Settings → Channels shows a webhook URL only for accounts the network posts events to
 *    (X here), not for a Mastodon account, which is streamed and polled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { markChannelHealth } from '../../src/channels/health.js';
import { createChannelAccount } from '../../src/commands/setup.js';
import { Client, mention, PASSWORD, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, launchBrowser, openConversationAt, openPage, signIn, type WatchedPage } from './browser.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let conversationId = 0;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  // no background sync: the channel health set here stays as set
  desk = await startDesk('sqlite', { workers: false });
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare does the X300 come with a UK plug?' })] });
  conversationId = r.json.outcomes[0].conversationId;
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

async function pageAs(email: string): Promise<Page> {
  const w = await openPage(browser);
  pages.push(w);
  if (email === 'eli@acme.test') {
    // an expert lands on their questions, not the inbox
    await w.page.goto(`${desk.url}/login`);
    await w.page.getByLabel('Email').fill(email);
    await w.page.getByLabel('Password').fill(PASSWORD);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.waitForURL(/\/expert/);
  } else {
    await signIn(w.page, desk.url, email);
  }
  return w.page;
}

describe('the main landmark', () => {
  it('the inbox has one main region: the list and the conversation, without the navigation or the top bar', async () => {
    const page = await pageAs('ana@acme.test');
    const main = page.getByRole('main');
    expect(await main.count()).toBe(1);
    expect(await main.getByRole('heading', { level: 1 }).count()).toBe(1);
    expect(await main.locator('.list-pane').count()).toBe(1);
    expect(await main.locator('.conversation-pane').count()).toBe(1);
    expect(await main.getByRole('navigation', { name: 'Inbox views' }).count()).toBe(0);
    expect(await main.locator('.topbar').count()).toBe(0);
    // the list and the conversation still sit side by side, the views beside them
    const nav = (await page.getByRole('navigation', { name: 'Inbox views' }).boundingBox())!;
    const list = (await page.locator('.list-pane').boundingBox())!;
    const pane = (await page.locator('.conversation-pane').boundingBox())!;
    expect(list.x).toBeGreaterThanOrEqual(nav.x + nav.width - 1);
    expect(pane.x).toBeGreaterThanOrEqual(list.x + list.width - 1);
    expect(pane.width).toBeGreaterThan(500);
    expect(list.height).toBeGreaterThan(600);

    await openConversationAt(page, desk.url, conversationId);
    expect(await page.getByRole('main').count()).toBe(1);
    expect(await page.getByRole('main').locator('.conversation .conv-title h2').count()).toBe(1);
  });

  it('every other page has exactly one too', async () => {
    const page = await pageAs('admin@acme.test');
    for (const path of ['/inbox/all', '/queues', '/approvals', '/expert', '/incidents', '/admin/channels', '/reports/volume']) {
      await page.goto(`${desk.url}${path}`);
      await page.locator('h1').first().waitFor({ timeout: 10_000 });
      expect(await page.getByRole('main').count(), path).toBe(1);
      expect(await page.getByRole('main').getByRole('heading', { level: 1 }).count(), path).toBe(1);
    }
    const eli = await pageAs('eli@acme.test');
    await eli.locator('h1').first().waitFor();
    expect(await eli.getByRole('main').count()).toBe(1);
    const out = await openPage(browser);
    pages.push(out);
    await out.page.goto(`${desk.url}/login`);
    await out.page.getByLabel('Email').waitFor();
    expect(await out.page.getByRole('main').count()).toBe(1);
  });
});

describe('the channel-health dialog', () => {
  it('says since when in words that read, for every age', async () => {
    const now = Date.now();
    const ages = [
      { handle: 'acme-fresh', age: 5_000, says: 'Since just now' },
      { handle: 'acme-minutes', age: 5 * MIN + 10_000, says: 'Since 5 min ago' },
      { handle: 'acme-one-minute', age: MIN + 10_000, says: 'Since 1 min ago' },
      { handle: 'acme-hours', age: 3 * HOUR + MIN, says: 'Since 3 hours ago' },
      { handle: 'acme-a-day', age: DAY + HOUR, says: 'Since 1 day ago' },
      { handle: 'acme-old', age: 10 * DAY, says: `Since ${new Date(now - 10 * DAY).toLocaleDateString('en-GB', { month: 'short', day: 'numeric', timeZone: 'Europe/London' })}` },
    ];
    for (const a of ages) {
      const id = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'mastodon', handle: a.handle, driver: 'demo' }, now);
      const row = await desk.db.store.db.selectFrom('channel_account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      await markChannelHealth(desk.db.store, desk.parley.services.bus, row, { code: 'TEMPORARY', message: 'The server did not answer', advice: 'Parley retries by itself' }, now - a.age);
    }
    const page = await pageAs('ana@acme.test');
    await page.getByRole('button', { name: new RegExp(`${ages.length} channels need attention`) }).click();
    const dialog = page.getByRole('dialog', { name: 'Channels that need attention' });
    for (const a of ages) {
      const item = dialog.locator('li', { hasText: `@${a.handle}` });
      const since = (await item.locator('p', { hasText: /^Since / }).textContent())?.trim();
      expect(since, a.handle).toBe(a.says);
    }
    expect(await dialog.textContent()).not.toMatch(/now ago|\d ago ago|on \d/);
    await page.keyboard.press('Escape');
    for (const a of ages) await desk.db.store.db.updateTable('channel_account').set({ status: 'active', health: '{}' }).where('handle', '=', a.handle).execute();
  });
});

describe('the expert page', () => {
  it('shows the expert who asks them, by name', async () => {
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const asked = await ana.post(`/api/conversations/${conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'Which plug does the X300 ship with in the UK?' });
    expect(asked.status).toBe(201);
    const eli = await pageAs('eli@acme.test');
    await eli.goto(`${desk.url}/expert?r=${asked.json.id}`);
    const who = eli.locator('.review-why strong');
    await who.waitFor({ timeout: 10_000 });
    expect(await who.textContent()).toMatch(/^Ana Agent asks /);
    expect(await eli.locator('.review').textContent()).not.toContain('A colleague');
    // the list says who asked each question too
    expect(await eli.locator(`[data-request-id="${asked.json.id}"]`).textContent()).toContain('from Ana Agent');
  });
});

describe('Settings → Channels', () => {
  it('shows a webhook URL for an X account, and none for a Mastodon account', async () => {
    const x = await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeHooks' });
    expect(x.status).toBe(201);
    const mastodon = await admin.post('/api/channel-accounts', { network: 'mastodon', handle: 'acme', settings: { instanceUrl: 'https://mastodon.invalid' } });
    expect(mastodon.status).toBe(201);
    const page = await pageAs('admin@acme.test');
    await page.goto(`${desk.url}/admin/channels`);
    const card = (id: number) => page.locator(`.channel-card[data-account-id="${id}"]`);
    for (const [id, handle] of [[x.json.id, 'AcmeHooks'], [mastodon.json.id, 'acme']] as const) {
      await card(id).waitFor({ timeout: 10_000 });
      const details = card(id).getByRole('button', { name: `Show details of @${handle}` });
      if (await details.count()) await details.click();
      await card(id).locator('.channel-body').waitFor();
    }
    const xField = card(x.json.id).getByLabel('Webhook URL');
    expect(await xField.inputValue()).toBe(`${desk.url}/api/webhooks/x/${x.json.id}`);
    expect(await card(mastodon.json.id).getByLabel('Webhook URL').count()).toBe(0);
    expect(await card(mastodon.json.id).textContent()).not.toMatch(/webhook/i);
  });
});
