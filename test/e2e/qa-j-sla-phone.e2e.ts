/**
 * QA (routing/SLA/hours pass), in a real browser at phone width against a real desk (SQLite):
 * an agent opens a conversation whose first-response clock the server last reported in
 * `warning` and which is now past due (the server's sweep has not run yet). The side panel's
 * clock reads "Breached … (10m ago)", as the header badge does — not "Warning · due in 10m",
 * which told the agent there was time left. Nothing overflows the phone's width.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, openConversationAt, signIn } from './browser.js';

const MIN = 60_000;
// the desk's clock: the customer wrote 40 minutes before the browser's now, and the server last
// looked 25 minutes after that (warning: 75 % of the 30-minute public target used)
const wroteAt = Date.now() - 40 * MIN;
const clock = new ManualClock(wroteAt);
let desk: TestDesk;
let conversationId: number;
const browser = deskInBrowser((d) => (desk = d), { clock });

beforeAll(async () => {
  const admin = await Client.signIn(desk.url, 'admin@acme.test');
  const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: wroteAt, text: '@AcmeCare my parcel 5521 is a week late, where is it?' })] })).json.outcomes[0];
  conversationId = o.conversationId;
  clock.set(wroteAt + 25 * MIN);
  await desk.parley.services.workflow.refreshSla(conversationId);
  const sla = (await admin.req('GET', `/api/conversations/${conversationId}/sla`)).json.items as Array<{ metric: string; state: string }>;
  expect(sla.find((k) => k.metric === 'first_response')?.state).toBe('warning');
});

describe('SLA clocks at phone width', () => {
  it('an overdue clock the server last called a warning reads as breached, with nothing wider than the screen', async () => {
    const { page, errors } = await browser.open({ viewport: { width: 390, height: 844 } });
    await signIn(page, desk.url, 'admin@acme.test');
    await openConversationAt(page, desk.url, conversationId);
    await page.getByRole('button', { name: 'Customer & activity' }).click();
    const first = page.locator('.sla-clock').filter({ hasText: 'First response' });
    await first.waitFor({ timeout: 10_000 });
    await expect.poll(async () => (await first.textContent()) ?? '').toMatch(/Breached/);
    const text = (await first.textContent())!;
    expect(text).toMatch(/was due .*\((9|10|11)m ago\)/);
    expect(text).not.toMatch(/due in/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
  });
});
