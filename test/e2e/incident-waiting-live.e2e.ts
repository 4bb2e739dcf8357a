/**
 * The incident banner's "waiting" count is live, in a real browser against a real desk
 * (SQLite): a colleague resolves customers linked to the incident (one, then several in bulk)
 * and the banner and the incidents page count fewer waiting without a reload; a customer
 * reopened counts again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, launchBrowser, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
const pages: WatchedPage[] = [];

let seq = 0;
async function customer(text: string): Promise<number> {
  seq++;
  const m = mention({ author: { networkUserId: `iw-${seq}-${Date.now()}`, handle: `waiting${seq}`, displayName: `Waiting ${seq}`, followers: 10 }, text: `@AcmeCare ${text}` });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId;
}

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('the incident banner\'s waiting count', () => {
  it('drops live when a colleague resolves linked customers, and rises when one is reopened', async () => {
    const inc = (await admin.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail since 09:40' })).json.id as number;
    const convs: number[] = [];
    for (const text of ['I cannot pay', 'payment page broken', 'checkout error again', 'card declined at checkout']) convs.push(await customer(text));
    for (const c of convs) expect((await admin.req('PUT', `/api/conversations/${c}/incident`, { incidentId: inc })).status).toBe(200);

    const w = await openPage(browser);
    pages.push(w);
    await signIn(w.page, desk.url, 'ana@acme.test');
    await w.page.goto(`${desk.url}/incidents`);
    const inBanner = w.page.locator('.incident-banner .incident-affected');
    const onPage = w.page.locator('table .incident-affected');
    await inBanner.getByText('4 customers affected · 4 waiting').waitFor({ timeout: 10_000 });
    await onPage.getByText('4 customers affected · 4 waiting').waitFor({ timeout: 10_000 });

    // a colleague resolves one (not this page's own action: nothing here refetches by itself)
    expect((await admin.post(`/api/conversations/${convs[0]}/status`, { status: 'resolved' })).status).toBe(200);
    await inBanner.getByText('4 customers affected · 3 waiting').waitFor({ timeout: 5_000 });
    await onPage.getByText('4 customers affected · 3 waiting').waitFor({ timeout: 5_000 });

    // two more in bulk
    expect((await admin.post('/api/conversations/bulk', { ids: convs.slice(1, 3), action: { type: 'status', status: 'resolved' } })).json.done).toHaveLength(2);
    await inBanner.getByText('4 customers affected · 1 waiting').waitFor({ timeout: 5_000 });

    // reopened: waiting again
    expect((await admin.post(`/api/conversations/${convs[0]}/status`, { status: 'open' })).status).toBe(200);
    await inBanner.getByText('4 customers affected · 2 waiting').waitFor({ timeout: 5_000 });
    await onPage.getByText('4 customers affected · 2 waiting').waitFor({ timeout: 5_000 });
    expect(w.errors).toEqual([]);
  });
});
