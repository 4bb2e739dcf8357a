/**
 * Per-message triage in a real browser against a real desk: the thread shows each
 * customer message's triage in one line, "Why?" lists every judgement with its
 * confidence and reason and every priority point exactly as the API stores them, and
 * an agent corrects it in a dialog — server refusals shown, the correction shown at
 * once, to a colleague live, stored, and audited. Replies carry no triage; experts
 * cannot correct; rows missing fields still render; axe finds nothing serious.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let anaApi: Client;
const pages: WatchedPage[] = [];

const COMPLAINT = '@AcmeCare my parcel is two weeks late and nobody answers, this is a disgrace';

async function pageAs(email: string, opts: Parameters<typeof openPage>[1] = {}): Promise<WatchedPage> {
  // axe is injected as an inline script, which the server's CSP (rightly) forbids
  const w = await openPage(browser, { bypassCSP: true, ...opts });
  pages.push(w);
  if (email === 'eli@acme.test') {
    // experts land on their questions, not the inbox
    await w.page.goto(`${desk.url}/login`);
    await w.page.getByLabel('Email').fill(email);
    await w.page.getByLabel('Password').fill('correct horse battery');
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.waitForURL(/\/expert/);
  } else {
    await signIn(w.page, desk.url, email);
  }
  return w;
}

let seq = 0;
async function ingest(text: string, followers = 50): Promise<{ conversationId: number; messageId: number }> {
  seq++;
  const m = mention({ text, author: { networkUserId: `tri-${seq}-${Date.now()}`, handle: `buyer${seq}`, displayName: `Buyer ${seq}`, followers } });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.status).toBe(200);
  const o = r.json.outcomes[0];
  expect(o.status).toBe('stored');
  return { conversationId: o.conversationId, messageId: o.messageId };
}

async function detail(id: number) {
  const r = await admin.get(`/api/conversations/${id}`);
  expect(r.status).toBe(200);
  return r.json as { conversation: any; messages: any[]; audit: any[] };
}

const openConversation = (page: Page, id: number) => openConversationAt(page, desk.url, id);

const message = (page: Page, messageId: number) => page.locator(`article[data-message-id="${messageId}"]`);
/** The row of one judgement in the "Why?" table. */
const judgement = (panel: Locator, name: string) => panel.locator('tr', { has: panel.page().locator('th', { hasText: new RegExp(`^${name.replace(/[/?]/g, '\\$&')}$`) }) });
const pct = (c: number) => `${Math.round(c * 100)}%`;
const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `\u2212${Math.abs(n)}` : '0');
const text = async (l: Locator) => ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  anaApi = await Client.signIn(desk.url, 'ana@acme.test');
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('triage in the thread', () => {
  it('shows the summary and "Why?" with every confidence, reason and priority point; an agent corrects it, a colleague sees it live, it is stored and audited', async () => {
    const { conversationId, messageId } = await ingest(COMPLAINT, 3162);
    const api = (await detail(conversationId)).messages.find((m) => m.id === messageId).triage;
    // a clearly negative complaint: the premise of this test
    expect(api.action.value).toBe('respond');
    expect(api.category.value).toBe('customer_service');
    expect(api.sentiment.value).toBe('negative');
    expect(api.complaint.value).toBe(true);
    expect(api.priority.factors.length).toBeGreaterThan(0);

    const ana = await pageAs('ana@acme.test');
    const ben = await pageAs('ben@acme.test');
    await openConversation(ana.page, conversationId);
    await openConversation(ben.page, conversationId);
    await ben.page.evaluate('window.__noReload = 11');

    // the one-line summary under the message
    const msg = message(ana.page, messageId);
    const facts = msg.locator('.triage-facts');
    await facts.waitFor();
    const line = await text(facts);
    expect(line).toContain('Action: Respond');
    expect(line).toContain('Category: Customer service');
    expect(line).toContain('Sentiment: Negative');
    expect(line).toContain('Complaint');
    expect(line).toContain(`Priority ${api.priority.value}`);
    if (api.intent) expect(line).toContain('Intent: Delivery');
    expect(line).toContain(`Language: ${api.language.value}`);
    expect(line).not.toContain('Corrected');

    // "Why?" opens from the keyboard
    const why = msg.getByRole('button', { name: /^Why\?/ });
    expect(await why.getAttribute('aria-expanded')).toBe('false');
    await why.focus();
    await ana.page.keyboard.press('Enter');
    expect(await why.getAttribute('aria-expanded')).toBe('true');
    const panel = msg.locator('.triage-why');
    await panel.locator('table').waitFor();

    // every judgement with its value, confidence as a percentage and its reason
    const rows: [string, string, any][] = [
      ['Action', 'Respond', api.action], ['Category', 'Customer service', api.category], ['Complaint', 'Yes', api.complaint], ['Sentiment', 'Negative', api.sentiment],
      ['Thanks/praise', api.accolade.value ? 'Yes' : 'No', api.accolade], ['Chaser', api.chaser.value ? 'Yes' : 'No', api.chaser],
      ['Language', api.language.value, api.language], ['Needs a response', api.needsResponse.value ? 'Yes' : 'No', api.needsResponse],
    ];
    if (api.intent) rows.push(['Intent', 'Delivery', api.intent]);
    for (const [name, value, s] of rows) {
      const cells = judgement(panel, name).locator('td');
      expect(await cells.count(), name).toBe(3);
      expect(await text(cells.nth(0)), name).toBe(value);
      expect(await text(cells.nth(1)), name).toBe(pct(s.confidence));
      expect(await text(cells.nth(2)), name).toBe(s.reason);
    }

    // every priority point, as the API stored it: nothing hidden
    const factors = panel.locator('.triage-factors li');
    expect(await factors.count()).toBe(api.priority.factors.length);
    for (const [i, f] of (api.priority.factors as { code: string; label: string; points: number }[]).entries()) {
      const li = factors.nth(i);
      expect(await li.getAttribute('data-code')).toBe(f.code);
      expect(await text(li)).toBe(`${signed(f.points)} ${f.label}`);
    }
    expect(api.priority.factors.map((f: any) => f.code)).toEqual(expect.arrayContaining(['complaint', 'public', 'reach']));
    expect(await text(panel.locator('.triage-priority p').first())).toContain(`Priority ${api.priority.value} of 100`);
    expect(await text(panel.locator('.triage-foot'))).toContain(api.model);

    // no serious accessibility problems with the panel open
    await screenshot(ana.page, 'triage-why');
    let v = await axeSerious(ana.page);
    expect(v, `conversation with "Why?" open:\n${axeReport(v)}`).toEqual([]);

    // Ben keeps the panel open too: the correction must reach him live
    await message(ben.page, messageId).getByRole('button', { name: /^Why\?/ }).click();
    await message(ben.page, messageId).locator('.triage-why table').waitFor();

    // correct it: the server refuses first (shown), then accepts
    await panel.getByRole('button', { name: 'Correct triage…' }).click();
    const dialog = ana.page.getByRole('dialog', { name: 'Correct triage' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Category').inputValue()).toBe('customer_service');
    expect(await dialog.getByLabel('Action').inputValue()).toBe('respond');
    expect(await dialog.getByLabel('Sentiment').inputValue()).toBe('negative');
    expect(await dialog.getByLabel('Complaint').inputValue()).toBe('yes');
    // focus starts on the first control
    expect(await ana.page.evaluate('document.activeElement && document.activeElement.id')).toBe(await dialog.getByLabel('Category').getAttribute('id'));
    await dialog.getByLabel('Category').selectOption('spam');
    expect(await text(dialog)).toContain('Spam is then ignored');
    await screenshot(ana.page, 'triage-dialog');
    v = await axeSerious(ana.page);
    expect(v, `correction dialog:\n${axeReport(v)}`).toEqual([]);

    await ana.page.route(`**/api/messages/${messageId}/triage`, (route) =>
      route.fulfill({ status: 409, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409, code: 'triage.test_refused', detail: 'Refused for this test: nothing was saved.' }) }), { times: 1 });
    await dialog.getByRole('button', { name: 'Save correction' }).click();
    const refusal = dialog.getByRole('alert');
    await refusal.waitFor({ timeout: 5000 });
    expect(await refusal.getAttribute('data-code')).toBe('triage.test_refused');
    expect(await text(refusal)).toContain('Refused for this test: nothing was saved.');
    expect((await detail(conversationId)).audit.some((e) => e.action === 'triage.corrected')).toBe(false);

    await dialog.getByRole('button', { name: 'Save correction' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    // focus goes back to where the agent was
    expect(await ana.page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Correct triage…');

    // the panel shows the corrected values at once
    await eventually(async () => (await text(judgement(panel, 'Category').locator('td').first())) === 'Spam', 'corrected category shown');
    const cat = judgement(panel, 'Category').locator('td');
    expect(await text(cat.nth(1))).toBe('100%');
    expect(await text(cat.nth(2))).toBe('corrected by Ana Agent');
    expect(await text(judgement(panel, 'Action').locator('td').first())).toBe('Ignore');
    expect(await text(panel.locator('.triage-by'))).toContain('corrected by Ana Agent');
    expect(await text(facts)).toContain('Category: Spam');
    expect(await text(facts)).toContain('Action: Ignore');
    expect(await text(facts)).toContain('Corrected');
    await screenshot(ana.page, 'triage-corrected');

    // Ben sees it live, without reloading
    const benPanel = message(ben.page, messageId).locator('.triage-why');
    await eventually(async () => (await text(benPanel.locator('.triage-by')).catch(() => '')).includes('corrected by Ana Agent'), 'correction live in another browser', 10_000);
    expect(await text(judgement(benPanel, 'Category').locator('td').first())).toBe('Spam');
    expect(await ben.page.evaluate('window.__noReload')).toBe(11);

    // stored and audited
    const after = await detail(conversationId);
    const t = after.messages.find((m) => m.id === messageId).triage;
    expect(t.category).toEqual({ value: 'spam', confidence: 1, reason: 'corrected by Ana Agent' });
    expect(t.action.value).toBe('ignore');
    expect(t.corrected.by).toBe(desk.users.ana);
    expect(t.sentiment.value).toBe('negative');
    expect(after.conversation.category).toBe('spam');
    const audits = after.audit.filter((e) => e.action === 'triage.corrected');
    expect(audits).toHaveLength(1);
    expect(audits[0].actorUserId).toBe(desk.users.ana);
    expect(audits[0].data.after).toEqual({ category: 'spam', action: 'ignore' });
    // and the activity list says so in words
    await eventually(async () => (await text(ana.page.locator('.audit-list'))).includes('corrected triage: category customer service → spam'), 'audit entry in the activity list');
  });

  it('shows no triage on replies, lets experts read but not correct, and renders rows missing fields', async () => {
    const { conversationId, messageId } = await ingest('@AcmeCare thank you so much, the new blender is brilliant!');
    const reply = await anaApi.post(`/api/conversations/${conversationId}/replies`, { text: 'So glad to hear it, enjoy!', visibility: 'public', idempotencyKey: `triage-reply-${Date.now()}` });
    expect(reply.status).toBeLessThan(300);
    const api = (await detail(conversationId)).messages.find((m) => m.id === messageId).triage;

    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const msg = message(ana.page, messageId);
    await msg.locator('.triage-facts').waitFor();
    if (api.accolade.value) expect(await text(msg.locator('.triage-facts'))).toContain('Thanks/praise');
    await ana.page.locator('.msg-out', { hasText: 'So glad to hear it' }).waitFor();
    expect(await ana.page.locator('.msg-out .triage').count()).toBe(0);

    // an expert asked about it reads the triage, without the correction control
    const asked = await anaApi.post(`/api/conversations/${conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'Is this blender model still under warranty?' });
    expect(asked.status).toBeLessThan(300);
    const eli = await pageAs('eli@acme.test');
    await eli.page.goto(`${desk.url}/expert?c=${conversationId}`);
    const eliMsg = message(eli.page, messageId);
    await eliMsg.waitFor({ timeout: 10_000 });
    await eliMsg.getByRole('button', { name: /^Why\?/ }).click();
    await eliMsg.locator('.triage-why table').waitFor();
    expect(await eliMsg.getByRole('button', { name: 'Correct triage…' }).count()).toBe(0);

    // a row stored by an older version, with most fields missing, still renders
    await desk.db.store.db.updateTable('message').set({ triage: JSON.stringify({ category: { value: 'brand' }, priority: { value: 7 }, intent: 'not an object' }) }).where('id', '=', messageId).execute();
    await ana.page.reload();
    await ana.page.locator('.conversation .conv-title h2').waitFor({ timeout: 10_000 });
    const old = message(ana.page, messageId);
    await old.locator('.triage-facts').waitFor();
    const line = await text(old.locator('.triage-facts'));
    expect(line).toContain('Category: Brand');
    expect(line).toContain('Priority 7');
    await old.getByRole('button', { name: /^Why\?/ }).click();
    const panel = old.locator('.triage-why');
    const cat = judgement(panel, 'Category').locator('td');
    expect(await text(cat.nth(0))).toBe('Brand');
    expect(await text(cat.nth(1))).toBe('—');
    expect(await text(panel)).toContain('no factor added points');
    expect(ana.errors).toEqual([]);
    expect(eli.errors).toEqual([]);
  });
});
