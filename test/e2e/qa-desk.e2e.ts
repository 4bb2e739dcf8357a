/**
 * Findings of an exploratory QA pass, in a real browser against a real desk (SQLite):
 * settings tables wider than a phone scroll inside their panel instead of pushing the
 * whole page sideways; the inbox row's time says the date and time in words when hovered
 * (not a raw UTC ISO string); and changing the status from the conversation's select
 * confirms it with the status's label ("Waiting on customer"), not its API value; and on a
 * phone the conversation's actions fit the screen even when an open incident has a long title.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, openConversationAt, row, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
});

async function ingest(text: string): Promise<number> {
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text, createdAt: Date.now() - 5 * 60_000 })] });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId as number;
}

describe('QA pass', () => {
  it('keeps settings pages within a 390 px wide screen: wide tables scroll in their own box', async () => {
    const w = await open({ viewport: { width: 390, height: 844 } });
    await signIn(w.page, desk.url, 'admin@acme.test');
    for (const [path, table] of [
      ['/admin/people', '.people-table'],
      ['/admin/workflow', '.sla-targets'],
    ] as const) {
      await w.page.goto(`${desk.url}${path}`);
      await w.page.locator(table).waitFor();
      const m = await w.page.evaluate((sel) => {
        const t = document.querySelector(sel)!;
        const box = t.closest('.table-scroll')!;
        return { page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth, table: t.getBoundingClientRect().width, boxScroll: box.scrollWidth - box.clientWidth };
      }, table);
      // the table is wider than the phone ...
      expect(m.table, path).toBeGreaterThan(m.viewport);
      // ... yet the page does not scroll sideways: the table's own box does (admin/fields.tsx TableScroll)
      expect(m.page, path).toBe(m.viewport);
      expect(m.boxScroll, path).toBeGreaterThan(0);
    }
    expect(w.errors).toEqual([]);
  });

  it('titles an inbox row’s time with a readable date and time, not an ISO string', async () => {
    const id = await ingest('@AcmeCare where is my parcel? QA time title');
    const w = await open();
    await signIn(w.page, desk.url, 'ana@acme.test');
    await w.page.goto(`${desk.url}/inbox/all`);
    const title = await row(w.page, id).locator('.row-time').getAttribute('title');
    expect(title).toBeTruthy();
    expect(title).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    // the message's own time, as the browser's locale and zone write it (en-GB, Europe/London), with the zone
    const detail = await admin.get(`/api/conversations/${id}`);
    const expected = await w.page.evaluate((iso) => new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }), detail.json.conversation.lastMessageAt as string);
    expect(title).toMatch(new RegExp(`^${expected} (GMT|BST)$`));
  });

  it('confirms a status change with the status’s label', async () => {
    const id = await ingest('@AcmeCare my refund is late. QA status toast');
    const w = await open();
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, id);
    await w.page.getByRole('combobox', { name: 'Status' }).selectOption('waiting');
    await expect.poll(() => w.page.locator('.toasts').innerText()).toContain('Status: Waiting on customer');
    expect(await w.page.locator('.toasts').innerText()).not.toContain('Status: waiting');
  });

  it('fits a conversation’s actions on a phone while an incident with a long title is open', async () => {
    const id = await ingest('@AcmeCare checkout fails again. QA phone incident');
    const inc = await admin.post('/api/incidents', { title: 'Checkout and payment pages fail for customers paying by card in every region', reason: 'Card payments fail at checkout since 01:00' });
    expect(inc.status).toBe(201);
    const w = await open({ viewport: { width: 390, height: 844 } });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, id);
    const incident = w.page.getByRole('combobox', { name: 'Incident' });
    await incident.waitFor();
    const m = await w.page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth }));
    expect(m.page).toBe(m.viewport);
    const box = (await incident.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(m.viewport);
    expect(w.errors).toEqual([]);
  });
});
