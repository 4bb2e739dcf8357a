/**
 * The inbox's filters and selection in a real browser against a real desk (SQLite):
 * the Priority filter and the bulk presets agree with the priority labels; Shift-click
 * selects a range; the title counts what the filters match and an empty list names the
 * filters with a way to clear them; "Select all" says it holds the loaded rows only; and
 * triage's verdict (respond / monitor / ignore) filters the list and marks its rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, row, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
const pages: WatchedPage[] = [];

async function agentPage(email = 'ana@acme.test', viewport?: { width: number; height: number }): Promise<WatchedPage> {
  const w = await openPage(browser, { viewport });
  pages.push(w);
  await signIn(w.page, desk.url, email);
  return w;
}

let seq = 0;
/** Ingest `n` inbound mentions (one conversation each, oldest first); returns their conversation ids, newest first. */
async function ingestMany(n: number, text: string): Promise<number[]> {
  const t0 = Date.now() - 60_000;
  const messages = Array.from({ length: n }, (_, i) => {
    seq++;
    return mention({ author: { networkUserId: `f-${seq}-${Date.now()}`, handle: `filterer${seq}`, displayName: `Filterer ${seq}`, followers: 10 }, text: `@AcmeCare ${text} ${i}`, createdAt: t0 + i * 100 });
  });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages });
  expect(r.status).toBe(200);
  expect(r.json.outcomes.every((o: { status: string }) => o.status === 'stored')).toBe(true);
  return r.json.outcomes.map((o: { conversationId: number }) => o.conversationId).reverse();
}

/** Set columns directly (what triage or a colleague decided), as a fresh page load reads them. */
async function setColumns(ids: number[], set: { triage_action?: string; category?: string }) {
  await desk.db.store.db.updateTable('conversation').set(set).where('id', 'in', ids).execute();
}

async function label(ids: number[], l: string) {
  for (const id of ids) expect((await admin.post(`/api/conversations/${id}/labels`, { add: [l] })).status).toBe(200);
}

const titleCount = (page: Page) => page.locator('#list-title .title-count').textContent();
/** The conversation ids of the rows in the list, top to bottom. */
async function rowIds(page: Page): Promise<number[]> {
  const ids: number[] = [];
  for (const r of await page.locator('.conv-row[data-conversation-id]').all()) ids.push(Number(await r.getAttribute('data-conversation-id')));
  return ids;
}
const visibleIds = async (page: Page) => (await rowIds(page)).sort((a, b) => a - b);

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

describe('inbox filters and selection', () => {
  it('filters by priority on the labels\' scale, and the bulk presets set what their labels say', async () => {
    // either side of every label's threshold: Low above 0, Medium from 40, High from 70, Urgent from 90
    const scores = [10, 39, 40, 48, 69, 70, 89, 90, 95];
    const labels = ['Low', 'Low', 'Medium', 'Medium', 'Medium', 'High', 'High', 'Urgent', 'Urgent'];
    const ids = await ingestMany(scores.length, 'priority scale');
    for (const [i, id] of ids.entries()) expect((await admin.post(`/api/conversations/${id}/priority`, { priority: scores[i] })).status).toBe(200);
    await label(ids, 'prio-e2e');
    const scored = (pred: (score: number) => boolean) => ids.filter((_, i) => pred(scores[i]!)).sort((a, b) => a - b);
    const w = await agentPage();
    await w.page.goto(`${desk.url}/inbox/open?label=prio-e2e`);
    await row(w.page, ids[0]!).waitFor();
    const badge = async (id: number) => row(w.page, id).locator('.prio').textContent();
    for (const [i, id] of ids.entries()) expect(`${scores[i]}: ${await badge(id)}`).toBe(`${scores[i]}: ${labels[i]}`);

    // each option lists exactly the conversations labelled that level or higher
    const priority = w.page.locator('#filters').getByLabel('Priority', { exact: true });
    const options = await priority.locator('option').allTextContents();
    expect(options).toEqual(['Any priority', 'Low and up (1+)', 'Medium and up (40+)', 'High and up (70+)', 'Urgent (90+)']);
    for (const [option, min] of [['Medium and up (40+)', 40], ['Low and up (1+)', 1], ['Urgent (90+)', 90], ['High and up (70+)', 70]] as const) {
      await priority.selectOption({ label: option });
      await eventually(async () => (await visibleIds(w.page)).join() === scored((s) => s >= min).join(), `${option}: priorities ${scores.filter((s) => s >= min).join(', ')}`);
      for (const id of await visibleIds(w.page)) expect(['Low', 'Medium', 'High', 'Urgent'].indexOf((await badge(id))!)).toBeGreaterThanOrEqual(['Low and up (1+)', 'Medium and up (40+)', 'High and up (70+)', 'Urgent (90+)'].indexOf(option));
    }

    // the bulk presets are the labels' thresholds: "Medium (40)" makes the Low one (10) Medium
    await priority.selectOption({ label: 'Any priority' });
    await row(w.page, ids[0]!).getByRole('checkbox').check();
    const bar = w.page.getByRole('region', { name: 'Bulk actions' });
    expect(await bar.getByLabel('Set priority of selected').locator('option').allTextContents()).toEqual(['Priority…', 'None', 'Low (1)', 'Medium (40)', 'High (70)', 'Urgent (90)']);
    await bar.getByLabel('Set priority of selected').selectOption({ label: 'Medium (40)' });
    await eventually(async () => (await admin.get(`/api/conversations/${ids[0]}`)).json.conversation.priority === 40, 'preset saved');
    await eventually(async () => (await badge(ids[0]!)) === 'Medium', 'the row shows Medium');
    // (on a fresh load: a live event does not carry labels, so a loaded label-filtered list cannot take the row in)
    await w.page.goto(`${desk.url}/inbox/open?label=prio-e2e`);
    await row(w.page, ids[0]!).waitFor();
    await w.page.locator('#filters').getByLabel('Priority', { exact: true }).selectOption({ label: 'Medium and up (40+)' });
    await eventually(async () => (await visibleIds(w.page)).join() === [ids[0]!, ...scored((s) => s >= 40)].sort((a, b) => a - b).join(), 'Medium and up lists what the Medium preset set');
    // an old bookmark's number is shown as the number it is
    await w.page.goto(`${desk.url}/inbox/open?label=prio-e2e&priorityMin=50`);
    await eventually(async () => (await w.page.locator('#filters').getByLabel('Priority', { exact: true }).locator('option:checked').textContent()) === '50 and up', 'custom minimum shown');
  });

  it('selects a range with Shift-click, and unselects one the same way', async () => {
    const ids = await ingestMany(5, 'range select');
    await label(ids, 'range-e2e');
    const w = await agentPage();
    await w.page.goto(`${desk.url}/inbox/open?label=range-e2e`);
    await row(w.page, ids[4]!).waitFor();
    const order = await rowIds(w.page);
    expect(order).toHaveLength(5);
    const box = (i: number) => row(w.page, order[i]!).getByRole('checkbox');
    const checked = async () => Promise.all(order.map((_, i) => box(i).isChecked()));
    await box(0).click();
    await box(3).click({ modifiers: ['Shift'] });
    const bar = w.page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('4 selected').waitFor();
    expect(await checked()).toEqual([true, true, true, true, false]);
    // Shift-click on a ticked row unticks the range from the last one clicked
    await box(1).click({ modifiers: ['Shift'] });
    await bar.getByText('1 selected').waitFor();
    expect(await checked()).toEqual([true, false, false, false, false]);
    // upwards works too
    await box(4).click();
    await box(2).click({ modifiers: ['Shift'] });
    await bar.getByText('4 selected').waitFor();
    expect(await checked()).toEqual([true, false, true, true, true]);
  });

  it('counts what the filters match in the title, names the filters when nothing matches, and clears them', async () => {
    await ingestMany(3, 'not spam');
    expect((await admin.get('/api/conversations?view=open&category=spam&priorityMin=90')).json.items).toHaveLength(0);
    const w = await agentPage('ana@acme.test', { width: 700, height: 900 });
    const counts = (await admin.get('/api/conversations/counts')).json;
    await eventually(async () => (await titleCount(w.page))?.trim() === counts.open.toLocaleString('en-GB'), 'the unfiltered title counts the view');
    await w.page.getByRole('button', { name: /Filters/ }).first().click();
    await w.page.locator('#filters').getByLabel('Category', { exact: true }).selectOption('spam');
    await w.page.locator('#filters').getByLabel('Priority', { exact: true }).selectOption('90');
    const empty = w.page.locator('.list-empty');
    await empty.getByText(/No conversation in Open matches these 2 filters/).waitFor();
    expect(await empty.getByRole('list', { name: 'Active filters' }).textContent()).toBe('Priority: UrgentCategory: Spam');
    expect((await titleCount(w.page))?.trim()).toBe('0 matching');
    // the narrow screen's view selector says the same
    expect(await w.page.locator('.view-select option:checked').textContent()).toBe('Open (0 matching)');
    await empty.getByRole('button', { name: 'Clear filters' }).click();
    await w.page.locator('.conv-row').first().waitFor();
    expect(new URL(w.page.url()).search).not.toMatch(/category|priorityMin/);
    expect(await w.page.locator('.view-select option:checked').textContent()).toMatch(/^Open \([\d,]+\)$/);
  });

  it('filters by what triage says (any of several), marks rows that need no response, and says what Select all selects', async () => {
    const respond = await ingestMany(2, 'please answer');
    const monitor = await ingestMany(130, 'just chatter');
    const ignore = await ingestMany(3, 'cheap followers');
    // what triage said of the earlier tests' conversations does not matter here: they need a response
    await desk.db.store.db.updateTable('conversation').set({ triage_action: 'respond' }).execute();
    await setColumns(monitor, { triage_action: 'monitor' });
    await setColumns(ignore, { triage_action: 'ignore', category: 'spam' });
    const w = await agentPage();
    await w.page.goto(`${desk.url}/inbox/open`);
    await w.page.getByRole('button', { name: /Filters/ }).first().click();
    const triage = w.page.getByRole('group', { name: 'Triage says' });
    await triage.getByLabel('Ignore').check();
    await eventually(async () => (await visibleIds(w.page)).join() === [...ignore].sort((a, b) => a - b).join(), 'only what triage ignores');
    expect(new URL(w.page.url()).searchParams.get('triage')).toBe('ignore');
    for (const id of ignore) expect(await row(w.page, id).locator('.triage-action').textContent()).toBe('Triage: Ignore');
    expect((await titleCount(w.page))?.trim()).toBe('3 matching');
    // a live arrival triage does not ignore stays out of the list
    const openCount = await w.page.locator('.view-link.active .count').textContent();
    const [arrival] = await ingestMany(1, 'where is my parcel? it was due on Monday');
    expect((await admin.get(`/api/conversations/${arrival}`)).json.conversation.triageAction).not.toBe('ignore');
    await eventually(async () => (await w.page.locator('.view-link.active .count').textContent()) !== openCount, 'the live arrival counted');
    await w.page.waitForTimeout(300);
    expect(await visibleIds(w.page)).toEqual([...ignore].sort((a, b) => a - b));
    // any of several
    await triage.getByLabel('Respond').check();
    await eventually(async () => (await visibleIds(w.page)).length >= 5, 'respond or ignore');
    const shown = await visibleIds(w.page);
    for (const id of [...respond, ...ignore]) expect(shown).toContain(id);
    for (const id of respond) expect(await row(w.page, id).locator('.triage-action').count()).toBe(0);
    expect(shown.some((id) => monitor.includes(id))).toBe(false);
    await triage.getByLabel('Respond').uncheck();
    await triage.getByLabel('Ignore').uncheck();
    await triage.getByLabel('Monitor').check();
    await row(w.page, monitor[0]!).waitFor();
    expect(await row(w.page, monitor[0]!).locator('.triage-action').textContent()).toBe('Triage: Monitor');
    // more than a page matches: the title counts them all, from the server
    await eventually(async () => (await titleCount(w.page))?.trim() === '130 matching', 'the title counts all 130 monitored');

    // "Select all" selects the loaded rows, and says so
    await row(w.page, monitor[0]!).getByRole('checkbox').check();
    const bar = w.page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByRole('button', { name: 'Select all 100 loaded' }).click();
    await bar.getByText('100 loaded conversations selected — of 130 matching').waitFor();
    await bar.getByText('Actions apply to these 100 only; scroll to load more.').waitFor();
    await bar.getByRole('button', { name: 'Clear' }).click();
  });
});
