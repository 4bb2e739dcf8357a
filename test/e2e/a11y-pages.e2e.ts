/**
 * Accessibility beyond the inbox (test/e2e/a11y.e2e.ts covers sign-in, the inbox, a
 * conversation and its dialogs): an agent working one conversation hears, politely and
 * once for a burst, when a customer writes again in another conversation of theirs or of
 * the view they are on, and when someone assigns them a conversation, but not their own
 * actions nor other agents' replies; and the other pages (approvals, experts' questions,
 * incidents, reports, queues, settings) have no serious axe violations and can be worked
 * from the keyboard with focus kept somewhere sensible.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Client, mention, PASSWORD, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let ana: Client;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  ana = await Client.signIn(desk.url, 'ana@acme.test');
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

async function page(): Promise<Page> {
  // axe is injected as an inline script, which the server's CSP (rightly) forbids
  const w = await openPage(browser, { bypassCSP: true });
  pages.push(w);
  return w.page;
}

async function expectNoSerious(p: Page, where: string) {
  const v = await axeSerious(p);
  expect(v, `${where}:\n${axeReport(v)}`).toEqual([]);
}

/** One customer's message; the same customer writing again joins their conversation. */
async function customerWrites(who: string, name: string, text: string): Promise<number> {
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text, author: { networkUserId: `pages-${who}`, handle: who, displayName: name }, createdAt: Date.now() })] });
  return r.json.outcomes[0].conversationId as number;
}

/** Several customers' messages in one ingest batch (one burst of live events). */
async function customersWrite(msgs: { who: string; name: string; text: string }[]): Promise<void> {
  await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs.map((m) => mention({ text: m.text, author: { networkUserId: `pages-${m.who}`, handle: m.who, displayName: m.name }, createdAt: Date.now() })) });
}

/** Keep every text the app's polite live region says from now on (a later one replaces an earlier one in the DOM). */
async function recordSaid(p: Page): Promise<void> {
  await p.evaluate(`(() => {
    const el = document.querySelector('[data-announcer]');
    window.__said = [];
    new MutationObserver(() => { const t = (el.textContent || '').replace(/\\u00a0/g, ' ').trim(); if (t) window.__said.push(t); }).observe(el, { childList: true, characterData: true, subtree: true });
  })()`);
}

async function said(p: Page): Promise<string[]> {
  return (await p.evaluate('window.__said')) as string[];
}

async function focusedClass(p: Page): Promise<string> {
  return (await p.evaluate('String(document.activeElement && document.activeElement.className)')) as string;
}

describe('new messages elsewhere, said politely', () => {
  it('says a customer writing again in my other conversations once for a burst, without moving focus, and not other agents’ replies nor conversations neither mine nor in view', async () => {
    const open = await customerWrites('open_one', 'Olive Open', '@AcmeCare where is my parcel?');
    const refund = await customerWrites('dana', 'Dana Dee', '@AcmeCare Refund for order 123');
    const other = await customerWrites('eve', 'Eve Else', '@AcmeCare Broken zipper on my jacket');
    const notMine = await customerWrites('nora', 'Nora None', '@AcmeCare Question about opening hours');
    for (const id of [open, refund, other]) expect((await ana.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana })).status).toBe(200);

    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.goto(`${desk.url}/inbox/mine?c=${open}`);
    await p.locator('.conversation .conv-title h2').waitFor();
    await p.locator('.live-live').waitFor({ state: 'attached' });
    await p.locator(`.conv-row[data-conversation-id="${refund}"]`).waitFor();
    const composer = p.locator('.composer-text');
    await composer.focus();
    await p.keyboard.type('Looking into it');
    await recordSaid(p);

    // one customer in a conversation of mine
    await customerWrites('dana', 'Dana Dee', '@AcmeCare any news on the refund?');
    await eventually(async () => (await said(p)).length > 0, 'something said');
    expect(await said(p)).toEqual(['New message from Dana Dee in “@AcmeCare Refund for order 123”.']);

    // a burst: two of mine and one neither mine nor in the "mine" view, one sentence
    await customersWrite([
      { who: 'dana', name: 'Dana Dee', text: '@AcmeCare hello?' },
      { who: 'eve', name: 'Eve Else', text: '@AcmeCare still broken' },
      { who: 'nora', name: 'Nora None', text: '@AcmeCare are you open on Sunday?' },
    ]);
    await eventually(async () => (await said(p)).length > 1, 'the burst said');
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await said(p)).slice(1)).toEqual(['2 new messages: Dana Dee in “@AcmeCare Refund for order 123”, and 1 more.']);
    expect(await focusedClass(p)).toContain('composer-text');
    expect(await composer.inputValue()).toBe('Looking into it');

    // another agent's reply in a conversation of mine is not news
    const ben = await Client.signIn(desk.url, 'ben@acme.test');
    const reply = await ben.post(`/api/conversations/${other}/replies`, { text: 'We are on it!', visibility: 'public', idempotencyKey: 'pages-ben-1' });
    expect(reply.status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await said(p)).length).toBe(2);
    expect(notMine).toBeGreaterThan(0);
  });

  it('says a conversation someone else assigned to me, but not one I assigned to myself', async () => {
    const theirs = await customerWrites('frank', 'Frank Fine', '@AcmeCare Cancel my subscription');
    const mine = await customerWrites('gina', 'Gina Go', '@AcmeCare Change my delivery address');
    const p = await page();
    await signIn(p, desk.url, 'ana@acme.test');
    await p.goto(`${desk.url}/inbox/open`);
    await p.locator(`.conv-row[data-conversation-id="${theirs}"]`).waitFor();
    await p.locator('.live-live').waitFor({ state: 'attached' });
    await recordSaid(p);

    // ana takes one herself from the list (bulk bar): her own doing, not said
    await p.locator(`.conv-row[data-conversation-id="${mine}"]`).getByRole('checkbox').check();
    const bar = p.getByRole('region', { name: 'Bulk actions' });
    await bar.getByRole('button', { name: 'Assign…' }).click();
    await p.getByRole('option', { name: /Assign to me/ }).waitFor();
    await p.keyboard.press('Enter');
    await eventually(async () => (await ana.get(`/api/conversations/${mine}`)).json.conversation.assigneeId === desk.users.ana, 'assigned by ana');

    // the admin assigns her another
    expect((await admin.post(`/api/conversations/${theirs}/assign`, { assigneeId: desk.users.ana })).status).toBe(200);
    await eventually(async () => (await said(p)).some((t) => /assigned to you/i.test(t)), 'assignment said');
    await new Promise((r) => setTimeout(r, 2_000));
    const assignedSaid = (await said(p)).filter((t) => /assigned to you/i.test(t));
    // once: the server's notification to her is said (as routing's is), and not again by the inbox
    expect(assignedSaid).toEqual(['Conversation assigned to you — @AcmeCare Cancel my subscription']);
  });
});

/** What has focus: tag, id, class and the data attributes the pages' rows carry. */
async function focusedEl(p: Page): Promise<{ tag: string; id: string; cls: string; messageId: string | null; text: string }> {
  return (await p.evaluate(`(() => { const e = document.activeElement; return { tag: e.tagName, id: e.id, cls: String(e.className), messageId: e.getAttribute('data-message-id'), text: (e.textContent || '').replace(/\\s+/g, ' ').trim() }; })()`)) as { tag: string; id: string; cls: string; messageId: string | null; text: string };
}

async function press(p: Page, button: ReturnType<Page['getByRole']>, key = 'Enter'): Promise<void> {
  await button.focus();
  await p.keyboard.press(key);
}

describe('sign-off from the keyboard', () => {
  it('moves focus into the field Edit… and Reject… open, back to them on Cancel, and to the neighbouring draft after a decision', async () => {
    expect((await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: ['in_training'] })).status).toBe(200);
    const ids: number[] = [];
    for (const [who, text] of [['hana', '@AcmeCare the lid of my blender cracked'], ['ivan', '@AcmeCare my kettle leaks'], ['jo', '@AcmeCare toaster burns everything']] as const) {
      const c = await customerWrites(who, who.toUpperCase(), text);
      const r = await ana.post(`/api/conversations/${c}/replies`, { text: `Sorry to hear that, ${who}! We will send a replacement.`, visibility: 'public', idempotencyKey: `pages-approval-${who}` });
      expect(r.json.approval, JSON.stringify(r.json)).toBeTruthy();
      ids.push(r.json.message.id);
    }
    expect((await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: [] })).status).toBe(200);

    const p = await page();
    await signIn(p, desk.url, 'cleo@acme.test');
    await p.goto(`${desk.url}/approvals?m=${ids[1]}`);
    const reject = p.getByRole('button', { name: 'Reject…' });
    await reject.waitFor();
    await expectNoSerious(p, 'approvals');

    await press(p, reject);
    await eventually(async () => (await focusedEl(p)).id === 'reject-note', 'focus in the rejection note');
    await expectNoSerious(p, 'approvals, rejecting');
    await press(p, p.getByRole('button', { name: 'Cancel', exact: true }));
    await eventually(async () => (await focusedEl(p)).text === 'Reject…', 'focus back on Reject…');

    await press(p, p.getByRole('button', { name: 'Edit…' }));
    await eventually(async () => (await focusedEl(p)).id === 'edit-draft', 'focus in the draft');
    await press(p, p.getByRole('button', { name: 'Cancel edit' }));
    await eventually(async () => (await focusedEl(p)).text === 'Edit…', 'focus back on Edit…');

    // the middle one decided: focus on the one after it; the last one decided: the one before it
    await press(p, p.getByRole('button', { name: 'Approve and send' }));
    await eventually(async () => (await focusedEl(p)).messageId === String(ids[2]), 'focus on the next draft');
    await p.keyboard.press('Enter');
    await p.waitForURL(new RegExp(`m=${ids[2]}`));
    await press(p, p.getByRole('button', { name: 'Approve and send' }));
    await eventually(async () => (await focusedEl(p)).messageId === String(ids[0]), 'focus on the draft before');
    await p.keyboard.press('Enter');
    await p.waitForURL(new RegExp(`m=${ids[0]}`));
    await press(p, p.getByRole('button', { name: 'Reject…' }));
    await p.keyboard.type('Please offer a refund instead.');
    await press(p, p.getByRole('button', { name: 'Reject with note' }));
    await eventually(async () => (await focusedEl(p)).id === 'approval-list-title', 'focus on the list heading when none is left');
    await expectNoSerious(p, 'approvals, none left');
  });
});

describe('experts’ questions from the keyboard', () => {
  it('moves focus to the answered line when the answer form gives way to it', async () => {
    const c = await customerWrites('kim', 'Kim Kay', '@AcmeCare does the warranty cover water damage?');
    const asked = await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Does the warranty cover water damage?' });
    expect(asked.status, JSON.stringify(asked.json)).toBeLessThan(300);
    const id = (asked.json.request ?? asked.json).id as number;
    const p = await page();
    // an expert's home is their questions, not the inbox (signIn waits for the inbox)
    await p.goto(`${desk.url}/login`);
    await p.getByLabel('Email').fill('eli@acme.test');
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL((u) => !u.pathname.startsWith('/login'));
    await p.goto(`${desk.url}/expert?r=${id}`);
    const field = p.getByLabel(/Your answer/);
    await field.waitFor();
    await expectNoSerious(p, 'expert question');
    await field.focus();
    await p.keyboard.type('Yes, within two years of purchase.');
    await press(p, p.getByRole('button', { name: 'Answer', exact: true }));
    await eventually(async () => (await focusedEl(p)).cls.includes('expert-answered'), 'focus on the answered line');
    expect((await focusedEl(p)).text).toContain('Answered');
    await expectNoSerious(p, 'expert question answered');
  });
});

describe('settings from the keyboard', () => {
  it('API tokens: focus goes to the new secret, back to the name when done, and to the neighbour’s Revoke after a revocation', async () => {
    const p = await page();
    await signIn(p, desk.url, 'admin@acme.test');
    await p.goto(`${desk.url}/admin/tokens`);
    const name = p.getByLabel('Name', { exact: true });
    await name.waitFor();
    await expectNoSerious(p, 'API tokens');
    for (const n of ['First sync', 'Second sync', 'Third sync']) {
      await name.focus();
      await p.keyboard.type(n);
      await p.keyboard.press('Enter');
      await eventually(async () => (await p.evaluate('document.activeElement && document.activeElement.getAttribute("aria-label")')) === 'New API token', 'focus on the new secret');
      expect(await p.evaluate('String(getSelection())')).toMatch(/^prl_/);
      await press(p, p.getByRole('button', { name: 'Done' }));
      await eventually(async () => (await name.evaluate((el) => el === (el.ownerDocument as any).activeElement)) as boolean, 'focus back on the name');
    }
    const revokeOf = (n: string) => p.getByRole('button', { name: `Revoke “${n}”` });
    await revokeOf('Second sync').waitFor();
    await expectNoSerious(p, 'API tokens listed');
    const focusedLabel = async () => (await p.evaluate('document.activeElement && (document.activeElement.getAttribute("aria-label") || document.activeElement.id)')) as string;
    // newest first: Third, Second, First. Second's neighbour after it is First
    await press(p, revokeOf('Second sync'));
    await p.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await eventually(async () => (await focusedLabel()) === 'Revoke “First sync”' || (await focusedLabel()) === 'Revoke “Third sync”', 'focus on a neighbour’s Revoke');
    const order = await p.locator('button[data-token-id]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    expect(order).toHaveLength(2);
    for (const n of ['First sync', 'Third sync']) {
      await press(p, revokeOf(n));
      await p.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
      await eventually(async () => (await revokeOf(n).count()) === 0, `${n} revoked`);
    }
    await eventually(async () => (await focusedLabel()) === 'tokens-title', 'focus on the heading when no token is left to revoke');
  });
});

describe('incidents from the keyboard', () => {
  it('returns focus to Close when the question is cancelled, and puts it on the incident’s row once it is closed', async () => {
    const r = await admin.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail with a timeout' });
    expect(r.status).toBe(201);
    const id = r.json.id as number;
    const p = await page();
    await signIn(p, desk.url, 'admin@acme.test');
    await p.goto(`${desk.url}/incidents`);
    const row = p.getByRole('row').filter({ hasText: 'Checkout is down' });
    const close = row.getByRole('button', { name: 'Close', exact: true });
    await close.waitFor();
    await expectNoSerious(p, 'incidents');
    await press(p, close);
    const dialog = p.getByRole('dialog', { name: /Close the incident/ });
    await dialog.waitFor();
    await expectNoSerious(p, 'close incident dialog');
    await p.keyboard.press('Escape');
    await eventually(async () => (await close.evaluate((el) => el === (el.ownerDocument as any).activeElement)) as boolean, 'focus back on Close');
    await press(p, close);
    await press(p, dialog.getByRole('button', { name: 'Close incident' }));
    await eventually(async () => (await p.evaluate('document.activeElement && document.activeElement.getAttribute("data-incident-title")')) === String(id), 'focus on the closed incident’s row');
    expect(await close.count()).toBe(0);
    await expectNoSerious(p, 'incidents, one closed');
  });
});

describe('people and teams from the keyboard', () => {
  it('brings focus back to Edit or Add… when their form closes, saved or cancelled', async () => {
    const p = await page();
    await signIn(p, desk.url, 'admin@acme.test');
    await p.goto(`${desk.url}/admin/people`);
    const edit = p.getByRole('button', { name: 'Edit Ben Agent' });
    await edit.waitFor();
    await expectNoSerious(p, 'people');
    const isFocused = async (l: ReturnType<Page['getByRole']>) => (await l.evaluate((el) => el === (el.ownerDocument as any).activeElement)) as boolean;

    await press(p, edit);
    const form = p.getByRole('form', { name: 'Edit Ben Agent' });
    await form.waitFor();
    await expectNoSerious(p, 'people, editing');
    await press(p, form.getByRole('button', { name: 'Cancel' }));
    await eventually(() => isFocused(edit), 'focus back on Edit after Cancel');

    await press(p, edit);
    await form.getByLabel(/Capacity/).fill('9');
    await press(p, form.getByRole('button', { name: 'Save Ben Agent' }));
    await form.waitFor({ state: 'detached' });
    await eventually(() => isFocused(edit), 'focus back on Edit after Save');

    const add = p.getByRole('button', { name: 'Add…' });
    await press(p, add);
    const addSection = p.getByRole('region', { name: 'Add a person' });
    await addSection.getByLabel('Name').fill('Nia New');
    await addSection.getByLabel('Email').fill('nia@acme.test');
    await addSection.getByLabel(/Password/).fill('a long enough password');
    await addSection.getByLabel(/Password/).press('Enter');
    await p.getByRole('button', { name: 'Edit Nia New' }).waitFor();
    await eventually(() => isFocused(p.getByRole('button', { name: 'Add…' })), 'focus back on Add… after adding');

    await p.goto(`${desk.url}/admin/teams`);
    const editTeam = p.getByRole('button', { name: 'Edit team Care' });
    await press(p, editTeam);
    await p.getByRole('button', { name: 'Cancel' }).first().waitFor();
    await press(p, p.getByRole('button', { name: 'Cancel' }).first());
    await eventually(() => isFocused(editTeam), 'focus back on the team’s Edit after Cancel');
  });
});

describe('channels from the keyboard', () => {
  it('brings focus back to Edit… and Business hours… when their forms close, and hands it on when a row or an interval is removed', async () => {
    const p = await page();
    await signIn(p, desk.url, 'admin@acme.test');
    await p.goto(`${desk.url}/admin/channels`);
    const isFocused = async (l: ReturnType<Page['getByRole']>) => (await l.evaluate((el) => el === (el.ownerDocument as any).activeElement)) as boolean;
    const details = p.getByRole('button', { name: 'Show details of @AcmeCare' });
    await details.waitFor();
    await press(p, details);
    const edit = p.getByRole('button', { name: 'Edit…' });
    await press(p, edit);
    const form = p.getByRole('form', { name: 'Edit @AcmeCare' });
    await form.waitFor();
    await expectNoSerious(p, 'channel, editing');
    // key/value rows: a removed row hands focus to the one before it, the last one to "Add a row"
    const creds = form.getByRole('group', { name: 'New credentials of @AcmeCare' });
    const addRow = creds.getByRole('button', { name: 'Add a row' });
    const removeRow = creds.getByRole('button', { name: /^Remove New credentials/ });
    const rowsBefore = await removeRow.count();
    await press(p, addRow);
    await press(p, addRow);
    await eventually(async () => (await removeRow.count()) === rowsBefore + 2, 'two rows added');
    await press(p, removeRow.last());
    await eventually(() => isFocused(removeRow.nth(rowsBefore)), 'focus on the row before');
    for (let n = rowsBefore + 1; n > 0; n--) {
      await eventually(async () => ((await p.evaluate('String(document.activeElement && document.activeElement.getAttribute("aria-label"))')) as string).startsWith('Remove New credentials'), 'focus on a Remove button');
      await p.keyboard.press('Enter');
      await eventually(async () => (await removeRow.count()) === n - 1, 'one row fewer');
    }
    await eventually(() => isFocused(addRow), 'focus on Add a row when none is left');
    await press(p, form.getByRole('button', { name: 'Cancel' }));
    await eventually(() => isFocused(edit), 'focus back on Edit… after Cancel');

    const hours = p.getByRole('button', { name: 'Business hours…' });
    await press(p, hours);
    const close = p.getByRole('button', { name: 'Close', exact: true });
    await close.waitFor();
    await expectNoSerious(p, 'channel, business hours');
    // a removed interval hands focus to the one before it, and the last one to "+ hours"
    const addMonday = p.getByRole('button', { name: '+ hours on Monday' });
    const removers = p.getByRole('button', { name: /^Remove Monday hours/ });
    const before = await removers.count();
    await press(p, addMonday);
    await press(p, addMonday);
    await eventually(async () => (await removers.count()) === before + 2, 'two intervals added');
    await press(p, removers.last());
    await eventually(() => isFocused(removers.nth(before)), 'focus on the interval before');
    for (let n = before + 1; n > 0; n--) {
      await eventually(async () => ((await p.evaluate('String(document.activeElement && document.activeElement.getAttribute("aria-label"))')) as string).startsWith('Remove Monday hours'), 'focus on a Remove button');
      await p.keyboard.press('Enter');
      await eventually(async () => (await removers.count()) === n - 1, 'one interval fewer');
    }
    await eventually(async () => (await removers.count()) === 0, 'every Monday interval removed from the keyboard');
    await eventually(() => isFocused(addMonday), 'focus on + hours when none is left');
    await press(p, close);
    await eventually(() => isFocused(hours), 'focus back on Business hours… after Close');
  });
});

describe('workflow settings from the keyboard', () => {
  it('keeps focus on a routing rule it moves, and hands it on when a rule is removed', async () => {
    const p = await page();
    await signIn(p, desk.url, 'admin@acme.test');
    await p.goto(`${desk.url}/admin/workflow`);
    const routing = p.getByRole('region', { name: 'Routing' });
    const add = routing.getByRole('button', { name: 'Add a rule' });
    await add.waitFor();
    const focusedName = async () => (await p.evaluate('(() => { const e = document.activeElement; return e ? (e.getAttribute("aria-label") || e.textContent || "").replace(/\\s+/g, " ").trim() : ""; })()')) as string;
    const removers = routing.getByRole('button', { name: /^Remove rule/ });
    const before = await removers.count();
    await press(p, add);
    await press(p, add);
    await eventually(async () => (await removers.count()) === before + 2, 'two rules added');
    await expectNoSerious(p, 'workflow settings with rules');
    const last = before + 2;
    // the last rule moved up: its Move up is now the one before's
    await press(p, routing.getByRole('button', { name: `Move up rule ${last}` }));
    await eventually(async () => (await focusedName()) === `Move up rule ${last - 1}` || (await focusedName()) === `Move down rule ${last - 1}`, 'focus follows the moved rule');
    // moved to the bottom, its Move down is disabled: focus on its Move up
    await press(p, routing.getByRole('button', { name: `Move down rule ${last - 1}` }));
    await eventually(async () => (await focusedName()) === `Move up rule ${last}`, 'focus on Move up of the rule at the bottom');
    await press(p, routing.getByRole('button', { name: `Remove rule ${last}` }));
    await eventually(async () => (await focusedName()) === `Remove rule ${last - 1}`, 'focus on the rule before');
    for (let n = last - 1; n > 0; n--) {
      await eventually(async () => (await focusedName()).startsWith('Remove rule'), 'focus on a Remove button');
      await p.keyboard.press('Enter');
      await eventually(async () => (await removers.count()) === n - 1, 'one rule fewer');
    }
    await eventually(async () => (await focusedName()) === 'Add a rule', 'focus on Add a rule when none is left');
  });
});

describe('snippets from the keyboard', () => {
  it('takes focus to the editor below the list when it opens, and back to the button when it closes', async () => {
    const p = await page();
    await signIn(p, desk.url, 'admin@acme.test');
    await p.goto(`${desk.url}/admin/snippets`);
    const focusedId = async () => (await p.evaluate('document.activeElement && document.activeElement.id')) as string;
    const isFocused = async (l: ReturnType<Page['getByRole']>) => (await l.evaluate((el) => el === (el.ownerDocument as any).activeElement)) as boolean;
    const create = p.getByRole('button', { name: 'New snippet…' });
    await press(p, create);
    await eventually(async () => (await focusedId()) === 'snippet-edit-title', 'focus on the editor’s heading');
    const editor = p.getByRole('region', { name: 'New snippet' });
    await expectNoSerious(p, 'snippet editor');
    await editor.getByLabel('Shortcut').fill('hours');
    await editor.getByLabel('Title').fill('Opening hours');
    await editor.getByLabel('Text').fill('We are open 9 to 5.');
    await press(p, editor.getByRole('button', { name: 'Save snippet' }));
    await editor.waitFor({ state: 'detached' });
    await eventually(() => isFocused(create), 'focus back on New snippet… after saving');

    const edit = p.getByRole('button', { name: 'Edit hours' });
    await press(p, edit);
    await eventually(async () => (await focusedId()) === 'snippet-edit-title', 'focus on the editor’s heading');
    await press(p, p.getByRole('region', { name: 'Edit /hours' }).getByRole('button', { name: 'Cancel' }));
    await eventually(() => isFocused(edit), 'focus back on Edit after Cancel');
  });
});
