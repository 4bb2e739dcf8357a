/**
 * QA (supervisor flows), in a real browser against a real desk (SQLite):
 *  - a lead's browser in New York sees the Incidents page's times with their zone ("… EST"),
 *    so "Opened 05:47 EST" is not read against the brand's London times as if it were one;
 *  - the incident statement (the brand's own post) is listed in Inbox → All as "Brand
 *    statement" with the account it went out from, not as an "Unknown customer", and is in
 *    no view of open work;
 *  - Reports → Staffing does not name the first hour of a week-long tie as "the most".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, row, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
let incidentId: number;
let statementConv: number;
let customerConv: number;
const browser = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare the app will not let me log in' })] })).json.outcomes[0];
  customerConv = o.conversationId;
  const inc = await admin.post('/api/incidents', { title: 'App login outage', reason: 'Logins fail' });
  expect(inc.status).toBe(201);
  incidentId = inc.json.id;
  const st = await admin.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text: 'Some of you cannot log in to the app. We are on it.' });
  expect([200, 201, 202]).toContain(st.status);
  statementConv = (await desk.db.store.db.selectFrom('message').select('conversation_id').where('kind', '=', 'post').where('direction', '=', 'outbound').executeTakeFirstOrThrow()).conversation_id;
});

/** A lead's browser in New York (en-US, so its times carry "EST"/"EDT"). */
async function newYorkPage() {
  return browser.open({ locale: 'en-US', timezoneId: 'America/New_York' });
}

describe('times with their zone, the statement as the brand\'s', () => {
  it('the Incidents page names the zone of the time an incident opened', async () => {
    const { page, errors } = await newYorkPage();
    await signIn(page, desk.url, 'admin@acme.test');
    await page.goto(`${desk.url}/incidents`);
    await page.locator(`[data-incident-title="${incidentId}"]`).waitFor({ timeout: 10_000 });
    const opened = page.locator('table.data-table tbody tr').filter({ has: page.locator(`[data-incident-title="${incidentId}"]`) }).locator('time').first();
    const text = (await opened.textContent())!.trim();
    expect(text).toMatch(/\d{1,2}:\d{2}:\d{2}( [AP]M)? E[SD]T$/);
    expect(errors).toEqual([]);
  });

  it('Inbox → All lists the statement as "Brand statement" with its account, not as an unknown customer', async () => {
    const { page, errors } = await newYorkPage();
    await signIn(page, desk.url, 'admin@acme.test');
    await page.goto(`${desk.url}/inbox/all`);
    const st = row(page, statementConv);
    await st.waitFor({ timeout: 10_000 });
    await row(page, customerConv).waitFor();
    expect(await st.getAttribute('data-statement')).toBe('true');
    const name = (await st.locator('.row-name').textContent())!.trim();
    expect(name).toBe('Brand statement');
    const handle = (await st.locator('.row-handle').textContent())!.trim();
    expect(handle).toMatch(/^@\w+/);
    expect(await st.textContent()).not.toContain('Unknown customer');
    expect(await row(page, customerConv).getAttribute('data-statement')).toBeNull();

    await page.goto(`${desk.url}/inbox/open`);
    await row(page, customerConv).waitFor({ timeout: 10_000 });
    expect(await row(page, statementConv).count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('Reports → Staffing calls a plan that needs the same heads in every hour flat, not "the most at Monday 00:00"', async () => {
    // one mention in each hour of the last week, three in the busiest: every hour needs the same heads
    const now = Date.now();
    const busiest = 30;
    const messages = Array.from({ length: 168 }, (_, k) => mention({ createdAt: now - (k + 1) * 3_600_000 }));
    messages.push(mention({ createdAt: now - (busiest + 1) * 3_600_000 + 60_000 }), mention({ createdAt: now - (busiest + 1) * 3_600_000 + 120_000 }));
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages });
    expect(r.status).toBe(200);
    const { page, errors } = await newYorkPage();
    await signIn(page, desk.url, 'admin@acme.test');
    await page.goto(`${desk.url}/reports/staffing`);
    const summary = page.getByTestId('staffing-summary');
    await summary.waitFor({ timeout: 15_000 });
    await expect.poll(async () => (await summary.textContent()) ?? '', { timeout: 15_000 }).toMatch(/heads? in 168 of 168 hours: the need is flat; the busiest of them is \w+day \d\d:00–\d\d:00/);
    expect(await summary.textContent()).not.toContain('the most at');
    expect(errors).toEqual([]);
  });
});
