/**
 * QA as a care agent (session 37): Esc in the search box leaves the field, as the shortcut
 * sheet says, and keeps the results, so j / k and Enter work them from the keyboard. It used to
 * empty the search as it left (and Chromium's own Esc empties a search field), leaving no way
 * from the box to the hits but tabbing through the header. Esc again, outside the field, clears
 * the search. One hit is counted as "1 message matches" (it read "1 message match"), and the
 * shortcut sheet names "g then a" (All), which worked but was not listed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
});

async function ingest(text: string, handle: string): Promise<number> {
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text, author: { networkUserId: `s37-${handle}`, handle, displayName: null, followers: 5 } })] });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId as number;
}

const focused = (page: import('playwright-core').Page) => page.evaluate(() => ({ id: document.activeElement?.id ?? '', row: document.activeElement?.closest('[data-conversation-id]')?.getAttribute('data-conversation-id') ?? null }));

describe('QA s37: Esc in the search box', () => {
  it('leaves the field with the results kept; j and Enter open a hit; Esc again clears the search', async () => {
    await ingest('@AcmeCare my suitcase never arrived', 'bags_one');
    const hit = await ingest('@AcmeCare where is my luggage voucher', 'bags_two');
    const w = await open({ viewport: { width: 1280, height: 800 } });
    const { page } = w;
    await signIn(page, desk.url, 'ana@acme.test');
    await page.keyboard.press('/');
    await page.keyboard.type('voucher');
    await page.waitForURL(/[?&]q=voucher/);
    // one hit, counted in plain English ("1 message matches", not "1 message match")
    await page.getByText('1 message matches, newest first').waitFor({ timeout: 10_000 });

    await page.keyboard.press('Escape');
    expect((await focused(page)).id).not.toBe('global-search');
    // the search and its results stay
    expect(await page.locator('#global-search').inputValue()).toBe('voucher');
    expect(page.url()).toMatch(/[?&]q=voucher/);
    await page.keyboard.press('j');
    await eventually(async () => (await focused(page)).row === String(hit), 'the hit focused by j');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`[?&]c=${hit}`));
    await page.locator('.conversation .conv-title h2').waitFor();

    // Esc closes the conversation (back on the hits), Esc again clears the search
    await page.keyboard.press('Escape');
    await eventually(() => !/[?&]c=/.test(page.url()), 'conversation closed');
    expect(page.url()).toMatch(/[?&]q=voucher/);
    await page.keyboard.press('Escape');
    await eventually(() => !/[?&]q=/.test(page.url()), 'search cleared');
    expect(await page.locator('#global-search').inputValue()).toBe('');

    // a search typed but left at once (before it ran) is dropped, not run
    await page.keyboard.press('/');
    await page.keyboard.type('zz');
    await page.keyboard.press('Escape');
    await page.waitForTimeout(600);
    expect(page.url()).not.toMatch(/[?&]q=/);
    expect(await page.locator('#global-search').inputValue()).toBe('');

    // the shortcut sheet names every "g then …" key the inbox answers to, All included
    await page.keyboard.press('?');
    const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(await sheet.textContent()).toContain('Go to Open / Mine / My team / Waiting / All');
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'hidden' });
    await page.keyboard.press('g');
    await page.keyboard.press('a');
    await page.waitForURL(/\/inbox\/all/);
    expect(w.errors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
  });
});
