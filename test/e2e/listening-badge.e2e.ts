/**
 * Conversations keyword listening found, in the inbox (a real browser against a real desk,
 * SQLite): their rows carry a "Listening" badge whose accessible name says the post did not
 * address the brand (words, not colour), a live arrival too; and the "Found by" filter shows
 * listening only or mentions only, kept in the URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeSerious, axeReport, ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, row, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let w: WatchedPage;

let seq = 0;
async function ingest(kind: 'listening' | 'mention', text: string): Promise<number> {
  seq++;
  const m = mention({ kind, author: { networkUserId: `lb-${seq}`, handle: `poster${seq}`, displayName: `Poster ${seq}`, followers: 10 }, text, createdAt: Date.now() - 60_000 + seq * 100 });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.json.outcomes[0].status).toBe('stored');
  return r.json.outcomes[0].conversationId as number;
}

const visibleIds = async (page: Page) => {
  const ids: number[] = [];
  for (const r of await page.locator('.conv-row[data-conversation-id]').all()) ids.push(Number(await r.getAttribute('data-conversation-id')));
  return ids.sort((a, b) => a - b);
};

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  browser = await launchBrowser();
  w = await openPage(browser, { bypassCSP: true }); // axe is injected as a script
  await signIn(w.page, desk.url, 'ana@acme.test');
});

afterAll(async () => {
  await w?.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('listening results in the inbox', () => {
  it('marks a listening row in words, live too, and filters listening only / mentions only', async () => {
    const found = await ingest('listening', 'does anyone know why the acme app logs me out every day');
    const addressed = await ingest('mention', '@AcmeCare my parcel is late');
    await w.page.goto(`${desk.url}/inbox/all`);
    await row(w.page, found).waitFor();
    await row(w.page, addressed).waitFor();
    const badge = row(w.page, found).locator('[data-origin="listening"]');
    expect(await badge.textContent()).toBe('Listening (not addressed to the brand)');
    expect(await badge.isVisible()).toBe(true);
    expect(await badge.getAttribute('title')).toMatch(/keyword listening/);
    expect(await row(w.page, addressed).locator('[data-origin]').count()).toBe(0);
    // the row's link names it (a screen reader hears the badge's words)
    expect(await row(w.page, found).getByRole('link').textContent()).toContain('Listening (not addressed to the brand)');

    // a listening result arriving live is marked as it appears
    const live = await ingest('listening', 'acme checkout broken for anyone else?');
    await row(w.page, live).locator('[data-origin="listening"]').waitFor();

    await w.page.getByRole('button', { name: /Filters/ }).first().click();
    const foundBy = w.page.getByLabel('Found by');
    await foundBy.selectOption('listening');
    await eventually(async () => (await visibleIds(w.page)).join() === [found, live].sort((a, b) => a - b).join(), 'listening results only');
    expect(new URL(w.page.url()).searchParams.get('origin')).toBe('listening');
    await foundBy.selectOption('addressed');
    await eventually(async () => (await visibleIds(w.page)).join() === String(addressed), 'mentions only');
    // reload: the filter is kept in the URL
    await w.page.reload();
    await row(w.page, addressed).waitFor();
    expect(await visibleIds(w.page)).toEqual([addressed]);
    const serious = await axeSerious(w.page);
    expect(serious, axeReport(serious)).toEqual([]);
    expect(w.errors).toEqual([]);
  });
});
