/**
 * QA (incidents, experts) on a phone-width screen (390 px):
 * - the incidents list was a six-column table squeezed into the phone: an incident's title broke
 *   inside its words ("Blende r recall") and its statement and actions (Post statement…, Close)
 *   sat off screen to the right, behind a sideways scroll; now each incident is a card of its own;
 * - a question to an expert who was then disabled is shown as cancelled, saying to ask someone
 *   else — not as "Open", waiting for an answer that cannot come.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
const browser = deskInBrowser((d) => (desk = d));
const PHONE = { viewport: { width: 390, height: 844 } };

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
});

describe('incidents and expert questions on a phone', () => {
  it('shows each incident whole: its title in whole words, its statement and its actions on screen', async () => {
    const cleoApi = await Client.signIn(desk.url, 'cleo@acme.test');
    const inc = (await cleoApi.post('/api/incidents', { title: 'Blender recall BL-200', reason: 'Dozens of reports of BL-200 motors failing after a few days' })).json.id as number;
    expect((await cleoApi.post(`/api/incidents/${inc}/statement`, { channelAccountId: desk.accountId, text: 'We are aware some BL-200 blenders stop working. Please stop using them; next steps here within 2 hours.' })).status).toBe(202);

    const cleo = await browser.open(PHONE);
    await signIn(cleo.page, desk.url, 'cleo@acme.test');
    await cleo.page.goto(`${desk.url}/incidents`);
    const title = cleo.page.locator(`[data-incident-title="${inc}"]`);
    await title.waitFor();
    // the title is on one line (it fits a phone's width many times over), not broken inside its words
    const lineHeight = await title.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 18);
    expect((await title.boundingBox())!.height).toBeLessThan(lineHeight * 1.5);
    // what a lead acts on is on screen, without scrolling sideways
    for (const target of [cleo.page.getByRole('button', { name: 'Post statement…' }), cleo.page.getByRole('button', { name: 'Close', exact: true }), cleo.page.getByRole('link', { name: /Review/ })]) {
      const box = (await target.first().boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    const sideways = await cleo.page.locator('section[aria-labelledby="incidents-title"]').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(sideways).toBeLessThanOrEqual(1);
    // each fact still says what it is
    const labels = await cleo.page.locator('.incidents-table tbody tr').first().locator('td[data-label]').evaluateAll((tds) => tds.map((td) => getComputedStyle(td, '::before').content));
    expect(labels).toEqual(['"Status"', '"Opened"', '"Closed"', '"Statement"', '"Actions"']);
    await cleo.page.screenshot({ path: '/tmp/qaf/phone-incidents-fixed.png', fullPage: true });
    expect(cleo.errors).toEqual([]);
  });

  it('shows a question to an expert who left as cancelled, with what to do', async () => {
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const c = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare is my blender covered?' })] })).json.outcomes[0].conversationId as number;
    await admin.post(`/api/conversations/${c}/assign`, { assigneeId: desk.users.ana });
    const id = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Does the BL-200 warranty cover online orders?' })).json.id as number;
    expect((await admin.req('PATCH', `/api/users/${desk.users.expert}`, { disabled: true })).status).toBe(200);

    const page = await browser.open(PHONE);
    await signIn(page.page, desk.url, 'ana@acme.test');
    await openConversationAt(page.page, desk.url, c);
    const item = page.page.locator(`.expert-item[data-request-id="${id}"]`);
    await item.waitFor({ state: 'attached' });
    await expect.poll(() => item.locator('.badge').textContent()).toBe('Cancelled');
    expect(await item.textContent()).toMatch(/can no longer answer.*Ask someone else/);
  });
});
