/**
 * QA (supervisor flows), in a real browser: a shared URL with a reversed custom period
 * (`from` after `to`) shows one clear message that the dates are reversed, with a button that
 * swaps them, instead of "This period starts after today" plus "Could not load volume: `from`
 * must be before `to`"; nothing is asked of the API for the impossible period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, launchBrowser, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let w: WatchedPage;

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  browser = await launchBrowser();
  w = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
  await signIn(w.page, desk.url, 'admin@acme.test');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await browser?.close();
  await desk?.stop();
});

describe('a reversed custom period in a shared URL', () => {
  it('says the dates are reversed, once, and swaps them on request', async () => {
    const page = w.page;
    const asked: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/api/reports/')) asked.push(r.url()); });
    await page.goto(`${desk.url}/reports/volume?period=custom&from=2026-12-10&to=2026-12-01`);
    const alert = page.getByTestId('period-reversed');
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toContain('These dates are reversed');
    const body = (await page.locator('main').textContent())!;
    expect(body).not.toContain('starts after today');
    expect(body).not.toContain('Could not load');
    // no report asked for the impossible period
    expect(asked.filter((u) => u.includes(encodeURIComponent('2026-12-10')) || /from=2026-12-1/.test(u))).toEqual([]);
    await alert.getByRole('button', { name: /instead/ }).click();
    await page.waitForURL(/from=2026-12-01&.*to=2026-12-10|to=2026-12-10&.*from=2026-12-01/, { timeout: 10_000 });
    await page.getByTestId('period-reversed').waitFor({ state: 'detached', timeout: 10_000 });
    expect(w.errors).toEqual([]);
  });
});
