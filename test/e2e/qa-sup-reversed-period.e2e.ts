/**
 * QA (supervisor flows), in a real browser: a shared URL with a reversed custom period
 * (`from` after `to`) shows one clear message that the dates are reversed, with a button that
 * swaps them, instead of "This period starts after today" plus "Could not load volume: `from`
 * must be before `to`"; nothing is asked of the API for the impossible period.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let w: WatchedPage;
const browser = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  w = await browser.open({ viewport: { width: 1280, height: 1000 } });
  await signIn(w.page, desk.url, 'admin@acme.test');
}, 120_000);

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
