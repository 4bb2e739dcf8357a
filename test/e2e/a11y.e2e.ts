/**
 * Accessibility: axe-core finds no serious or critical violations on the sign-in page,
 * the inbox, a conversation (with notes, replies and the composer in each mode) and the
 * dialogs; and at 200 % zoom (1280×800 at 2× = 640×400 CSS pixels) nothing essential
 * is cut off: the page does not scroll sideways and the key controls are reachable.
 * Working from the keyboard and a screen reader: selection is said, focus follows the
 * conversation opened and closed and is never dropped, live arrivals and draft warnings
 * are said politely without moving focus, SLA warnings are not told by colour alone, and
 * errors are tied to their fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, ensureChromium, eventually, ensureWebBuild, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from './browser.js';

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

/** What has focus: its tag, class and accessible-ish name. */
async function focused(p: Page): Promise<{ tag: string; cls: string; name: string; id: string }> {
  return (await p.evaluate(`(() => { const e = document.activeElement; return { tag: e.tagName, cls: String(e.className), id: e.id, name: (e.getAttribute('aria-label') || e.textContent || '').replace(/\\s+/g, ' ').trim() }; })()`)) as { tag: string; cls: string; name: string; id: string };
}

/** The text the app's polite live region holds (the no-break space that makes a repeat heard dropped). */
async function announced(p: Page): Promise<string> {
  return ((await p.locator('[data-announcer]').textContent()) ?? '').replace(/\u00a0/g, ' ').trim();
}

async function until(p: Page, re: RegExp, what: string): Promise<string> {
  const said = await eventually(async () => {
    const t = await announced(p);
    return re.test(t) ? t : null;
  }, what);
  return said!;
}

describe('keyboard and screen reader', () => {
  it('ties a refused sign-in to the fields and puts focus back on the password', async () => {
    const p = await page();
    await p.goto(`${desk.url}/login`);
    await p.getByLabel('Email').fill('ana@acme.test');
    await p.getByLabel('Password').fill('not the password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    const pw = p.getByLabel('Password');
    expect(await pw.getAttribute('aria-invalid')).toBe('true');
    const describedBy = await pw.getAttribute('aria-describedby');
    expect(describedBy).toBeTruthy();
    expect(await p.locator(`#${describedBy}`).textContent()).toContain('Wrong email or password');
    expect(await p.getByLabel('Email').getAttribute('aria-describedby')).toBe(describedBy);
    await eventually(async () => (await focused(p)).tag === 'INPUT', 'focus back on a field');
    expect(await pw.evaluate((el) => el === (el.ownerDocument as any).activeElement)).toBe(true);
  });

  it('says what x selects, and the focused row says it is selected; Esc clears and says so', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.locator('.conv-row').nth(3).waitFor();
    await p.keyboard.press('j');
    await eventually(async () => (await focused(p)).cls.includes('row-link'), 'a row link focused');
    await p.keyboard.press('x');
    const said = await until(p, /^Selected .+\. 1 conversation selected\.$/, 'selection announced');
    const name = said.slice('Selected '.length, said.indexOf('. '));
    const row = p.locator('.conv-row.cursor');
    expect(await row.getByRole('checkbox').isChecked()).toBe(true);
    // focus stayed on the row's link, and its name now ends in "selected"
    expect((await focused(p)).cls).toContain('row-link');
    expect(await row.getByRole('link', { name: /, selected$/ }).count()).toBe(1);
    expect(await row.getByRole('link', { name: new RegExp(name) }).count()).toBe(1);
    await p.keyboard.press('j');
    await p.keyboard.press('x');
    await until(p, /^Selected .+\. 2 conversations selected\.$/, 'second selection announced');
    await p.keyboard.press('x');
    await until(p, /^Unselected .+\. 1 conversation selected\.$/, 'unselection announced');
    await p.keyboard.press('Escape');
    await until(p, /^Selection cleared\.$/, 'cleared announced');
    expect(await p.locator('.conv-row').getByRole('link', { name: /, selected$/ }).count()).toBe(0);
  });

  it('keeps focus on the list after a bulk action removes the bulk bar', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.locator('.conv-row').nth(3).waitFor();
    await p.keyboard.press('j');
    await p.keyboard.press('j');
    await p.keyboard.press('x');
    const bar = p.getByRole('region', { name: 'Bulk actions' });
    await bar.waitFor();
    const priority = bar.getByLabel('Set priority of selected');
    await priority.focus();
    await priority.selectOption({ label: 'Low (1)' });
    await bar.waitFor({ state: 'detached' });
    await eventually(async () => (await focused(p)).cls.includes('row-link'), 'focus back on a row');
    expect(await p.locator('.conv-row.cursor a.row-link').evaluate((el) => el === (el.ownerDocument as any).activeElement)).toBe(true);
  });

  it('moves focus into a conversation opened with Enter, and back to its row when Esc closes it', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.locator('.conv-row').nth(3).waitFor();
    await p.keyboard.press('j');
    await p.keyboard.press('j');
    await eventually(async () => (await focused(p)).cls.includes('row-link'), 'a row link focused');
    const id = await p.locator('.conv-row.cursor').getAttribute('data-conversation-id');
    await p.keyboard.press('Enter');
    const heading = p.locator('.conversation .conv-title h2');
    await heading.waitFor();
    await eventually(async () => (await focused(p)).tag === 'H2', 'focus on the conversation heading');
    expect((await focused(p)).name).toBe((await heading.textContent())!.trim());
    // j / k still walk the list from there
    await p.keyboard.press('k');
    await eventually(async () => (await focused(p)).cls.includes('row-link'), 'k moves focus back to the list');
    await p.keyboard.press('j');
    await p.keyboard.press('Enter');
    await eventually(async () => (await focused(p)).tag === 'H2', 'focus on the heading again');
    // k, then j and Enter before the next frame (a fast typist, or a loaded machine): the row's
    // focus, still waiting for its frame, must not take focus back from the heading
    await p.keyboard.press('k');
    await eventually(async () => (await focused(p)).cls.includes('row-link'), 'k moves focus back to the list again');
    // React renders j's cursor move in a microtask (as between two real key presses); no frame passes
    await p.evaluate(`(async () => {
      const press = (key) => (document.activeElement || document.body).dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
      press('j');
      for (let i = 0; i < 5; i++) await Promise.resolve();
      press('Enter');
    })()`);
    await eventually(async () => (await focused(p)).tag === 'H2', 'focus on the heading after j and Enter in one frame');
    await new Promise((r) => setTimeout(r, 200)); // several frames: the row's pending focus has run
    expect((await focused(p)).tag).toBe('H2');
    await p.keyboard.press('Escape');
    await heading.waitFor({ state: 'detached' });
    await eventually(async () => (await focused(p)).cls.includes('row-link'), 'focus back on a row, not the page');
    expect(await p.locator(`.conv-row[data-conversation-id="${id}"] a.row-link`).evaluate((el) => el === (el.ownerDocument as any).activeElement)).toBe(true);
  });

  it('does not run shortcuts while typing, and Esc leaves the field', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.goto(`${desk.url}/inbox/open?c=${conversationId}`);
    await p.locator('.conv-title h2').waitFor();
    const input = p.getByRole('textbox', { name: 'Add a label', exact: true });
    await input.focus();
    await p.keyboard.type('jxase?');
    expect(await input.inputValue()).toBe('jxase?');
    expect(await p.locator('dialog[open]').count()).toBe(0);
    expect(await p.getByRole('region', { name: 'Bulk actions' }).count()).toBe(0);
    await p.keyboard.press('Escape');
    expect((await focused(p)).tag).not.toBe('INPUT');
    // the keys work again
    await p.keyboard.press('?');
    await p.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  });

  it('names the Filters button without its arrow glyph', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.getByRole('button', { name: 'Filters', exact: true }).waitFor();
  });

  it('says an SLA warning in words and marks it with more than colour', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    // the oldest mentions (their first-response clocks nearly out) come first
    await p.goto(`${desk.url}/inbox/all?sort=due`);
    await p.locator('.conv-row').nth(3).waitFor();
    const warn = p.locator('.badge.sla[data-sla="warning"]').first();
    await warn.waitFor();
    const text = (await warn.textContent()) ?? '';
    expect(text).toContain('SLA warning: ');
    expect(text).toContain('⏰');
    // a row in the OK or "soon" state has words too, but no warning mark
    const ok = p.locator('.badge.sla[data-sla="ok"], .badge.sla[data-sla="soon"]').first();
    if (await ok.count()) expect(await ok.textContent()).not.toContain('⏰');
    const row = p.locator('.conv-row').filter({ has: p.locator('.badge.sla[data-sla="warning"]') }).first();
    expect(await row.getByRole('link', { name: /SLA warning: Due/ }).count()).toBe(1);
  });

  it('says a new customer message and a new conversation politely, without moving focus', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.goto(`${desk.url}/inbox/open?c=${conversationId}`);
    await p.locator('.conv-title h2').waitFor();
    await p.locator('.live-live').waitFor({ state: 'attached' });
    const composer = p.locator('.composer-text');
    await composer.focus();
    await p.keyboard.type('Working on it');
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare any news on my parcel?', author: { networkUserId: 'a11y-29', handle: 'customer_29', displayName: 'Customer Number 29' }, createdAt: Date.now() })] });
    await until(p, /^New message from Customer Number 29 in this conversation: @AcmeCare any news on my parcel\?$/, 'new message in the open conversation');
    expect((await focused(p)).cls).toContain('composer-text');
    expect(await composer.inputValue()).toBe('Working on it');
    await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare hello there', author: { networkUserId: 'a11y-new', handle: 'brand_new', displayName: 'Brand New' }, createdAt: Date.now() })] });
    await until(p, /^1 new conversation in the inbox\.$/, 'new conversation');
    expect((await focused(p)).cls).toContain('composer-text');
    const region = p.locator('[data-announcer]');
    expect(await region.getAttribute('aria-live')).toBe('polite');
  });

  it('says when a draft nears the limit and what the reply checks warn about', async () => {
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.goto(`${desk.url}/inbox/open?c=${conversationId}`);
    await p.locator('.conv-title h2').waitFor();
    const composer = p.locator('.composer-text');
    const live = p.locator('.composer [aria-live="polite"]').first();
    await composer.fill('Sorry about the wait. '.repeat(12));
    await eventually(async () => /Fewer than 20 characters left of 280/.test((await live.textContent()) ?? ''), 'near the limit said');
    await composer.fill('@someone_else thanks for waiting, the parcel is on its way again and arrives tomorrow.');
    await eventually(async () => /Check: Addressed to someone else/.test((await live.textContent()) ?? ''), 'warning said');
  });
});
