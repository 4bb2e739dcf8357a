/**
 * Supervisor QA of the settings and incidents pages on a phone (390 × 844), in a real
 * browser against a real desk: the SLA priority bands label their boxes on screen (a bare
 * "urgent" over a bare "80" says neither is a name nor a threshold). Declaring an incident with a missing title or
 * description says what is wrong under the field (linked, focused, aria-invalid), not in
 * the browser's vanishing bubble, and declares nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Client, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let w: WatchedPage;

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  browser = await launchBrowser();
  w = await openPage(browser, { viewport: { width: 390, height: 844 } });
  await signIn(w.page, desk.url, 'admin@acme.test');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await browser?.close();
  await desk?.stop();
});

describe('settings on a phone', () => {
  it('the SLA priority bands say which box is the name and which the minimum priority', async () => {
    await w.page.goto(`${desk.url}/admin/workflow`);
    const bands = w.page.locator('legend', { hasText: 'Priority bands' }).locator('xpath=..');
    await bands.waitFor({ timeout: 15_000 });
    const rows = bands.locator('.kv-row');
    expect(await rows.count()).toBeGreaterThan(0);
    for (let i = 0; i < (await rows.count()); i++) {
      for (const [id, text] of [[`band-n-${i}`, `Band ${i + 1} name`], [`band-p-${i}`, `Band ${i + 1} minimum priority (empty: everything else)`]]) {
        const label = rows.nth(i).locator(`label[for="${id}"]`);
        expect((await label.textContent())?.trim()).toBe(text);
        await label.scrollIntoViewIfNeeded();
        const box = (await label.boundingBox())!;
        expect(box.width).toBeGreaterThan(20); // on screen, not only for screen readers
        expect(box.height).toBeGreaterThan(5);
      }
    }
  });
});

describe('declaring an incident', () => {
  it('a missing title or description is named under its field, focused, and nothing is declared', async () => {
    const page = w.page;
    const api = await Client.signIn(desk.url, 'admin@acme.test');
    const incidents = async () => ((await api.get('/api/incidents')).json as { items: unknown[] }).items.length;
    const before = await incidents();
    await page.goto(`${desk.url}/incidents`);
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Declare incident' }) });
    await form.waitFor({ timeout: 15_000 });
    const title = form.getByLabel('Title');
    await title.fill('   '); // only spaces: the browser's minLength would let three through
    await form.getByRole('button', { name: 'Declare incident' }).click();
    const err = form.locator('#declare-title-error');
    await err.waitFor({ timeout: 5_000 });
    expect(await err.textContent()).toBe('Give the incident a title of at least 3 characters.');
    expect(await title.getAttribute('aria-invalid')).toBe('true');
    expect(await title.getAttribute('aria-describedby')).toBe('declare-title-error');
    expect(await title.evaluate((el) => el.ownerDocument.activeElement === el)).toBe(true);
    expect(await form.locator('#declare-reason-error').textContent()).toBe('Say what is happening in at least 3 characters.');

    await title.fill('Checkout is down');
    await form.getByRole('button', { name: 'Declare incident' }).click();
    await form.locator('#declare-title-error').waitFor({ state: 'detached', timeout: 5_000 });
    expect(await form.getByLabel('What is happening').evaluate((el) => el.ownerDocument.activeElement === el)).toBe(true);
    expect(await incidents()).toBe(before); // nothing declared while a field is wrong

    await form.getByLabel('What is happening').fill('Payments fail at the last step');
    await form.getByRole('button', { name: 'Declare incident' }).click();
    await eventually(async () => (await incidents()) === before + 1, 'the incident is declared');
    expect(await form.locator('.field-error').count()).toBe(0);
    expect(w.errors).toEqual([]);
  });
});
