/**
 * Customers linked to an incident, in a real browser against a real desk (SQLite): the
 * banner and the incidents page say how many customers are affected and how many still
 * wait, and link to them in the inbox (`/inbox/all?incident=<id>`), which lists exactly
 * those conversations and takes in one linked meanwhile, live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, row, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
const pages: WatchedPage[] = [];

let seq = 0;
async function customer(text: string): Promise<number> {
  seq++;
  const m = mention({ author: { networkUserId: `il-${seq}-${Date.now()}`, handle: `linked${seq}`, displayName: `Linked ${seq}`, followers: 10 }, text: `@AcmeCare ${text}` });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId;
}
const link = async (conv: number, incidentId: number | null) => expect((await admin.req('PUT', `/api/conversations/${conv}/incident`, { incidentId })).status).toBe(200);

async function rowIds(page: Page): Promise<number[]> {
  const ids: number[] = [];
  for (const r of await page.locator('.conv-row[data-conversation-id]').all()) ids.push(Number(await r.getAttribute('data-conversation-id')));
  return ids.sort((a, b) => a - b);
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

describe('customers linked to an incident', () => {
  it('shows how many customers are affected and waiting, and lists them in the inbox', async () => {
    const inc = (await admin.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail since 09:40' })).json.id as number;
    const a = await customer('I cannot pay');
    const b = await customer('payment page broken');
    const c = await customer('checkout error again');
    const unrelated = await customer('what are your opening hours');
    await link(a, inc);
    await link(b, inc);
    await link(c, inc);
    expect((await admin.post(`/api/conversations/${c}/status`, { status: 'resolved' })).status).toBe(200);

    const w = await openPage(browser);
    pages.push(w);
    await signIn(w.page, desk.url, 'ana@acme.test');
    await w.page.goto(`${desk.url}/incidents`);
    const onPage = w.page.locator('table .incident-affected');
    await onPage.getByText('3 customers affected · 2 waiting').waitFor({ timeout: 10_000 });
    const inBanner = w.page.locator('.incident-banner .incident-affected');
    await inBanner.getByText('3 customers affected · 2 waiting').waitFor();

    await onPage.click();
    await w.page.waitForURL(new RegExp(`/inbox/all\\?.*incident=${inc}`));
    await row(w.page, a).waitFor({ timeout: 10_000 });
    await eventually(async () => JSON.stringify(await rowIds(w.page)) === JSON.stringify([a, b, c].sort((x, y) => x - y)), 'only the linked conversations are listed');
    expect(await rowIds(w.page)).not.toContain(unrelated);

    // linked meanwhile: the row comes in live, and the counts follow
    await link(unrelated, inc);
    await row(w.page, unrelated).waitFor({ timeout: 10_000 });
    await inBanner.getByText('4 customers affected · 3 waiting').waitFor({ timeout: 10_000 });
    expect(w.errors).toEqual([]);
  });

  it('an agent links the conversation in front of them from its toolbar, and unlinks it', async () => {
    const inc = (await admin.post('/api/incidents', { title: 'App login fails', reason: 'Sign-in errors since 10:05' })).json.id as number;
    const conv = await customer('the app will not let me log in');
    const w = await openPage(browser);
    pages.push(w);
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, conv);
    const pick = w.page.locator('.conv-actions').getByLabel('Incident');
    await pick.selectOption({ label: 'Incident: App login fails' });
    await eventually(async () => (await admin.get(`/api/conversations/${conv}`)).json.conversation.incidentId === inc, 'linked on the server');
    const audit = (await admin.get(`/api/conversations/${conv}`)).json.audit.find((e: any) => e.action === 'conversation.incident_linked');
    expect(audit).toMatchObject({ actorUserId: desk.users.ana, data: { incidentId: inc, title: 'App login fails' } });
    await w.page.locator('.incident-banner .incident-affected').getByText('1 customer affected · 1 waiting').waitFor({ timeout: 10_000 });
    await pick.selectOption({ label: 'Not part of an incident' });
    await eventually(async () => (await admin.get(`/api/conversations/${conv}`)).json.conversation.incidentId == null, 'unlinked on the server');
    expect(w.errors).toEqual([]);
  });
});
