/**
 * Accessibility: axe-core finds no serious or critical violations on the sign-in page,
 * the inbox, a conversation (with notes, replies and the composer in each mode) and the
 * dialogs; and at 200 % zoom (1280×800 at 2× = 640×400 CSS pixels) nothing essential
 * is cut off: the page does not scroll sideways and the key controls are reachable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, ensureChromium, ensureWebBuild, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let conversationId: number;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  const admin = await Client.signIn(desk.url, 'admin@acme.test');
  const ana = await Client.signIn(desk.url, 'ana@acme.test');
  const msgs = Array.from({ length: 30 }, (_, i) =>
    mention({
      text: `@AcmeCare ${['my order never arrived', 'the app crashes when I pay', 'can I change my delivery address?', 'thanks for the quick help!'][i % 4]} (#${i})`,
      author: { networkUserId: `a11y-${i}`, handle: `customer_${i}`, displayName: `Customer Number ${i}`, followers: 100 * i, verified: i % 7 === 0 },
      createdAt: Date.now() - (30 - i) * 60_000,
    }),
  );
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs });
  conversationId = r.json.outcomes[29].conversationId;
  await ana.post(`/api/conversations/${conversationId}/assign`, { assigneeId: desk.users.ana });
  await ana.post(`/api/conversations/${conversationId}/labels`, { add: ['delivery', 'vip'] });
  await ana.post(`/api/conversations/${conversationId}/priority`, { priority: 75 });
  await ana.post(`/api/conversations/${conversationId}/notes`, { text: 'Order 4411 is stuck in the depot; @ben can you check with logistics?' });
  await ana.post(`/api/conversations/${conversationId}/replies`, { text: 'So sorry! We are checking with the depot and will update you within the hour.', visibility: 'public', idempotencyKey: 'a11y-reply-1' });
  await ana.post(`/api/conversations/${conversationId}/replies`, { text: 'Could you DM us your order number?', visibility: 'private', idempotencyKey: 'a11y-reply-2' });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

async function page(opts: Parameters<typeof openPage>[1] = {}): Promise<Page> {
  // axe is injected as an inline script, which the server's CSP (rightly) forbids
  const w = await openPage(browser, { bypassCSP: true, ...opts });
  pages.push(w);
  return w.page;
}

async function expectNoSerious(p: Page, where: string) {
  const v = await axeSerious(p);
  expect(v, `${where}:\n${axeReport(v)}`).toEqual([]);
}

describe('accessibility', () => {
  it('has no serious or critical axe violations on sign-in, inbox, conversation and dialogs', async () => {
    const p = await page();
    await p.goto(`${desk.url}/login`);
    await p.getByLabel('Email').waitFor();
    await expectNoSerious(p, 'sign-in');

    await signIn(p, desk.url, 'ana@acme.test');
    await p.locator('.conv-row').nth(10).waitFor();
    await expectNoSerious(p, 'inbox');

    // with filters open and a selection (bulk bar)
    await p.getByRole('button', { name: /Filters/ }).click();
    await p.locator('.conv-row').nth(1).getByRole('checkbox').check();
    await p.getByRole('region', { name: 'Bulk actions' }).waitFor();
    await expectNoSerious(p, 'inbox with filters and bulk bar');
    await p.keyboard.press('Escape');

    await p.goto(`${desk.url}/inbox/open?c=${conversationId}`);
    await p.locator('.note').waitFor();
    await p.locator('.msg-out').nth(1).waitFor();
    await expectNoSerious(p, 'conversation');

    await p.getByRole('button', { name: 'Internal note' }).click();
    await p.getByRole('button', { name: 'Private message' }).click();
    await p.locator('.composer-text').fill('x'.repeat(10_050));
    await expectNoSerious(p, 'conversation, private composer over the limit');
    await p.locator('.composer-text').fill('');

    await p.locator('.conv-title h2').click();
    await p.keyboard.press('a');
    await p.getByRole('dialog', { name: 'Assign conversation' }).waitFor();
    await expectNoSerious(p, 'assign dialog');
    await p.keyboard.press('Escape');
    await p.keyboard.press('?');
    await p.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await expectNoSerious(p, 'shortcuts dialog');
    await p.keyboard.press('Escape');
    await p.keyboard.press('s');
    await p.getByRole('dialog', { name: 'Snooze until…' }).waitFor();
    await expectNoSerious(p, 'snooze dialog');
    await p.keyboard.press('Escape');

    await p.goto(`${desk.url}/inbox/open?q=order`);
    await p.locator('.hit-row').first().waitFor();
    await expectNoSerious(p, 'search results');
  });

  it('shows a visible focus indicator on keyboard focus', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.locator('.conv-row').first().waitFor();
    await p.keyboard.press('j');
    const outline = await p.locator('.conv-row.cursor a.row-link').evaluate((el: any) => {
      const s = (globalThis as any).getComputedStyle(el);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    expect(outline.style).not.toBe('none');
    expect(outline.width).toBeGreaterThanOrEqual(2);
  });

  describe('at 200 % zoom', () => {
    const zoom = { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 };

    async function inView(p: Page, l: Locator, what: string) {
      await l.scrollIntoViewIfNeeded();
      const box = await l.boundingBox();
      expect(box, `${what} is rendered`).not.toBeNull();
      expect(box!.width, `${what} has a width`).toBeGreaterThan(0);
      expect(box!.x, `${what} starts inside the viewport`).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, `${what} ends inside the viewport`).toBeLessThanOrEqual(640 + 0.5);
      expect(await l.isVisible(), `${what} is visible`).toBe(true);
    }

    async function noSidewaysScroll(p: Page) {
      const { scroll, client } = (await p.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
      expect(scroll).toBeLessThanOrEqual(client + 1);
    }

    it('keeps the inbox usable', async () => {
      const p = await page(zoom);
      await signIn(p, desk.url, 'ana@acme.test');
      await p.locator('.conv-row').first().waitFor();
      await noSidewaysScroll(p);
      await inView(p, p.getByRole('searchbox', { name: 'Search messages' }), 'search');
      await inView(p, p.getByLabel('Availability'), 'availability');
      await inView(p, p.getByRole('button', { name: 'Sign out' }), 'sign out');
      await inView(p, p.getByLabel('View', { exact: true }), 'view picker');
      await inView(p, p.locator('.conv-row').first().locator('.row-subject'), 'first conversation');
      await screenshot(p, 'zoom-200-inbox');
      await expectNoSerious(p, 'inbox at 200 %');
    });

    it('keeps a conversation and the composer usable', async () => {
      const p = await page(zoom);
      await signIn(p, desk.url, 'ana@acme.test');
      await p.goto(`${desk.url}/inbox/open?c=${conversationId}`);
      await p.locator('.conv-title h2').waitFor();
      await noSidewaysScroll(p);
      await inView(p, p.getByRole('button', { name: 'Back to the list' }), 'back to list');
      await inView(p, p.locator('.conv-title h2'), 'conversation heading');
      await inView(p, p.getByRole('button', { name: 'Resolve' }), 'resolve');
      await inView(p, p.getByRole('button', { name: /Assigned: me/ }), 'assign');
      await inView(p, p.locator('.msg-in').first(), 'customer message');
      await inView(p, p.locator('.composer-text'), 'composer');
      await p.locator('.composer-text').fill('Thanks for waiting — the parcel is back on its way and should reach you tomorrow.');
      await inView(p, p.getByRole('button', { name: 'Send reply' }), 'send button');
      await inView(p, p.locator('.composer .counter').first(), 'length counter');
      await screenshot(p, 'zoom-200-conversation', true);
      await p.getByRole('button', { name: 'Customer & activity' }).click();
      await inView(p, p.locator('.author-card h2'), 'author card');
      await screenshot(p, 'zoom-200-customer', true);
      await p.getByRole('button', { name: 'Back to the list' }).click();
      await p.locator('.conv-row').first().waitFor();
      await noSidewaysScroll(p);
    });
  });
});
