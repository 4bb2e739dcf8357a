/**
 * Settings → Audit log in a real browser: the entries that belong to no conversation
 * (CRM links, tokens, teams) listed with their action in words and the actor's name,
 * filtered, paged, linked to their conversation, exported as CSV, hostile names and notes
 * shown as text; the contact card showing the consent behind a CRM link; and Settings → API
 * tokens (list, create shown once, revoke after a confirmation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Client, consentGiven, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, ensureChromium, type AxeViolation, ensureWebBuild, launchBrowser, openConversationAt, openPage, originOf, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let ana: Client;
const pages: WatchedPage[] = [];

const HOSTILE_TOKEN = '<img src=x onerror="window.__pwned=1">=cmd|\u202Eexe.txt';
const HOSTILE_NOTE = 'Call 3 March <script>window.__pwned=2</script> ref \u202Egnp.exe';
const HOSTILE_TEAM = '<b onmouseover="window.__pwned=3">Night</b> shift';
let conversationId = 0;
let contactId = 0;
let evidenceConversation = 0;
let evidenceContact = 0;

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  ana = await Client.signIn(desk.url, 'ana@acme.test');
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare my parcel is late', author: { networkUserId: 'audit-1', handle: 'parcel_person', displayName: 'Parcel Person', followers: 3 } })] });
  conversationId = r.json.outcomes[0].conversationId;
  contactId = (await ana.get(`/api/conversations/${conversationId}`)).json.contact.id;
  // more than a page of entries on the conversation (older than the rest)
  for (let p = 1; p <= 55; p++) expect((await ana.post(`/api/conversations/${conversationId}/priority`, { priority: p })).status).toBe(200);
  // a CRM link on a call, with a hostile note; and one given in the customer's own message
  expect((await ana.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-77', consent: { method: 'verbal', note: HOSTILE_NOTE } })).status).toBe(200);
  const consenting = { networkUserId: 'audit-2', handle: 'consenting', displayName: 'Consenting Customer', followers: 3 };
  const e = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare can you find my order 5150', author: consenting })] });
  evidenceConversation = e.json.outcomes[0].conversationId;
  evidenceContact = (await ana.get(`/api/conversations/${evidenceConversation}`)).json.contact.id;
  // asked for their consent, they agree
  const yes = await consentGiven(desk, ana, admin, evidenceConversation, consenting, '@AcmeCare yes <i>please</i> link my account 5150');
  expect((await ana.post(`/api/contacts/${evidenceContact}/crm-link`, { crmCustomerId: 'CUST-5150', consent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
  expect((await admin.post('/api/tokens', { name: HOSTILE_TOKEN })).status).toBe(201);
  expect((await admin.post('/api/teams', { name: HOSTILE_TEAM })).status).toBe(201);
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const w of pages) await w.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

async function pageAs(email: string, opts: Parameters<typeof openPage>[1] = {}): Promise<WatchedPage> {
  const w = await openPage(browser, opts);
  pages.push(w);
  await signIn(w.page, desk.url, email);
  return w;
}

async function assertNothingRan(w: WatchedPage) {
  expect(w.dialogs).toEqual([]);
  expect(await w.page.evaluate('typeof window.__pwned')).toBe('undefined');
  expect(w.requests.filter((u) => originOf(u) !== originOf(desk.url))).toEqual([]);
  expect(await w.page.locator('img').count()).toBe(0);
  expect(w.errors).toEqual([]);
}

describe('Settings → Audit log', () => {
  let w: WatchedPage;
  beforeAll(async () => {
    w = await pageAs('admin@acme.test');
  });

  it('lists what no conversation shows, in words, with the actor\'s name and hostile text as text', async () => {
    const { page } = w;
    await page.goto(`${desk.url}/admin/audit`);
    await page.getByRole('heading', { name: 'Audit log', exact: true, level: 2 }).waitFor();
    await page.getByRole('link', { name: 'Audit log' }).waitFor();
    const table = page.locator('table.audit-log');
    await table.waitFor();
    const linked = table.locator('tr[data-action="contact.crm_linked"]');
    await expect.poll(() => linked.count()).toBe(2);
    await expect.poll(() => linked.first().innerText()).toContain('Linked a customer to the CRM (with consent)');
    expect(await linked.first().innerText()).toContain('Ana Agent');
    // the token's hostile name is a cell of text, not markup
    const token = table.locator('tr[data-action="token.created"]');
    expect(await token.innerText()).toContain('<img src=x onerror="window.__pwned=1">');
    expect(await token.innerText()).toContain('Ada Admin');
    const team = table.locator('tr[data-action="team.created"]');
    expect(await team.innerText()).toContain('<b onmouseover="window.__pwned=3">Night</b> shift');
    expect(await team.locator('b').count()).toBe(0);
    // bidi override shown, not obeyed
    expect(await token.locator('abbr.ctrl').count()).toBeGreaterThan(0);
    await screenshot(page, 'audit-log');
    await assertNothingRan(w);
  });

  it('filters by an action group and by period, refusing a period that ends before it starts', async () => {
    const { page } = w;
    await page.getByLabel('Action').selectOption('contact.crm_*');
    await page.getByRole('button', { name: 'Apply' }).click();
    const rows = page.locator('table.audit-log tbody tr');
    await expect.poll(async () => (await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-action')))).join(',')).toBe('contact.crm_linked,contact.crm_consent_asked,contact.crm_linked');
    // the download link carries the same filters
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    const u = new URL(href!, desk.url);
    expect(u.pathname).toBe('/api/audit');
    expect(Object.fromEntries(u.searchParams)).toEqual({ action: 'contact.crm_*', format: 'csv' });
    const csv = (await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { type: r.headers.get('content-type'), text: await r.text() };
    }, href!)) as { type: string; text: string };
    expect(csv.type).toMatch(/^text\/csv/);
    expect(csv.text.trim().split('\r\n')).toHaveLength(4);
    expect(csv.text).toContain('CUST-5150');

    await page.getByLabel('From', { exact: true }).fill('2030-01-02T10:00');
    await page.getByLabel('To', { exact: true }).fill('2030-01-01T10:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('alert').filter({ hasText: '“From” must be before “To”.' }).waitFor();
    expect(await page.getByLabel('From', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    // the list still shows the last good filter
    expect(await rows.count()).toBe(3);
    await page.getByLabel('To', { exact: true }).fill('2030-01-03T10:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No audited actions match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('tr[data-action="token.created"]').waitFor();
  });

  it('pages back through older entries and links an entry to its conversation', async () => {
    const { page } = w;
    await page.getByLabel('Conversation', { exact: true }).fill(String(conversationId));
    await page.getByRole('button', { name: 'Apply' }).click();
    const rows = page.locator('table.audit-log tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().innerText()).toContain('Changed a conversation’s priority');
    await page.getByRole('button', { name: 'Show older entries' }).click();
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(55);
    expect(await page.getByRole('button', { name: 'Show older entries' }).count()).toBe(0);
    const ids = await rows.evaluateAll((trs) => trs.map((t) => Number(t.getAttribute('data-audit-id'))));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    await rows.first().getByRole('link', { name: `#${conversationId}` }).click();
    await page.waitForURL(new RegExp(`/inbox/all\\?c=${conversationId}`));
    await page.locator('.conversation .conv-title h2').waitFor();
  });

  it('shows a record\'s history from its ID, for an approver too; agents are told it is not for them', async () => {
    const cleo = await pageAs('cleo@acme.test');
    await cleo.page.goto(`${desk.url}/admin/audit`);
    const subject = cleo.page.locator('tr[data-action="contact.crm_linked"]').getByRole('button', { name: String(contactId), exact: true });
    await subject.waitFor();
    await subject.click();
    await expect.poll(() => cleo.page.getByLabel('Record ID').inputValue()).toBe(String(contactId));
    const rows = cleo.page.locator('table.audit-log tbody tr');
    await expect.poll(async () => (await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-action')))).join(',')).toBe('contact.crm_linked');
    const agent = await pageAs('ana@acme.test');
    await agent.page.goto(`${desk.url}/admin/audit`);
    await agent.page.getByText('Settings are for admins and team leads.').waitFor();
    expect(await agent.page.locator('table.audit-log').count()).toBe(0);
  });

  it('has no serious or critical axe violations', async () => {
    const a = await pageAs('admin@acme.test', { bypassCSP: true });
    await a.page.goto(`${desk.url}/admin/audit`);
    await a.page.locator('table.audit-log').waitFor();
    // the section and its tabs; the shell around them (header, sidebar) is a11y.e2e.ts's
    await axeSerious(a.page);
    const v = (await a.page.evaluate(`(async () => {
      const r = await window.axe.run({ include: [['.tabs'], ['.page-sections']] }, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '')) }));
    })()`)) as AxeViolation[];
    const serious = v.filter((x) => x.impact === 'serious' || x.impact === 'critical');
    expect(serious, axeReport(serious)).toEqual([]);
  });
});

describe('the contact card shows the consent behind a CRM link', () => {
  it('shows the method, the note as text and who recorded it; and the customer\'s own message when that was the evidence', async () => {
    const w = await pageAs('ana@acme.test');
    await openConversationAt(w.page, desk.url, conversationId);
    const consent = w.page.getByTestId('crm-consent');
    await consent.waitFor();
    const text = await consent.innerText();
    expect(text).toContain('Consent given on a call');
    expect(text).toContain('recorded by Ana Agent');
    expect(text).toContain('<script>window.__pwned=2</script>');
    expect(await consent.locator('abbr.ctrl').count()).toBe(1);

    await openConversationAt(w.page, desk.url, evidenceConversation);
    const evidence = w.page.getByTestId('crm-consent');
    await expect.poll(() => evidence.innerText()).toContain('Consent given in their own message');
    expect(await evidence.innerText()).toContain('yes <i>please</i> link my account 5150');
    expect(await evidence.locator('i').count()).toBe(0);

    // a removed link leaves no consent on the card
    await w.page.getByRole('button', { name: 'Remove link…' }).click();
    await w.page.getByLabel('Reason').fill('customer withdrew consent');
    await w.page.getByRole('button', { name: 'Remove link', exact: true }).click();
    await w.page.getByText('Not linked. Link only when the customer has agreed.').waitFor();
    expect(await w.page.getByTestId('crm-consent').count()).toBe(0);
    await assertNothingRan(w);
  });
});

describe('Settings → API tokens', () => {
  it('lists tokens with hostile names as text, creates one shown once, and revokes one after a confirmation', async () => {
    const w = await pageAs('admin@acme.test');
    const { page } = w;
    await page.goto(`${desk.url}/admin/tokens`);
    await page.getByRole('heading', { name: 'API tokens', exact: true, level: 2 }).waitFor();
    const table = page.locator('table.tokens-table');
    await table.getByRole('cell', { name: HOSTILE_TOKEN, exact: true }).waitFor();

    await page.getByLabel('Name').fill('CRM sync');
    await page.getByLabel('Expires').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('New API token').inputValue();
    expect(secret).toMatch(/^prl_/);
    expect((await fetch(`${desk.url}/api/me`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('New API token').count()).toBe(0);
    const row = table.getByRole('row').filter({ hasText: 'CRM sync' });
    await row.getByText(/active until/).waitFor();

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await row.getByText(/^revoked/).waitFor();
    expect((await fetch(`${desk.url}/api/me`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    await assertNothingRan(w);
  });

  it('is not offered to agents or team leads', async () => {
    const w = await pageAs('cleo@acme.test');
    await w.page.goto(`${desk.url}/admin/tokens`);
    await w.page.getByRole('navigation', { name: 'Settings sections' }).waitFor();
    expect(await w.page.getByRole('link', { name: 'API tokens' }).count()).toBe(0);
    await w.page.getByText('API tokens are for admins').waitFor();
  });
});
