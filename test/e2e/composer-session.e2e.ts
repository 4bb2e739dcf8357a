/**
 * The composer and the session in a real browser against a real desk: a thread whose first
 * part goes to sign-off sends the rest as a thread of its own (new keys, renumbered, never
 * "Sending…" for a minute) until every part is out after sign-off; a reused send key is
 * answered gracefully; signing out leaves nothing of the person's (draft, alerts, the page
 * they were on) to whoever signs in next on the tab, while a session that expired keeps the
 * draft for the same person; drafts survive a reload (with the browser's prompt before
 * leaving); unsaved workflow settings are not lost by navigating away; the "new message
 * arrived" box names the customer; direction overrides in a handle, an incident title and a
 * toast are shown, not obeyed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { splitIntoThread } from '../../src/core/textLength.js';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let cleoApi: Client;
const pages: WatchedPage[] = [];

async function pageAs(email: string): Promise<WatchedPage> {
  const w = await openPage(browser);
  pages.push(w);
  await signIn(w.page, desk.url, email);
  return w;
}

/** Record the page's dialogs by type, and accept a "leave this page?" prompt (the harness dismisses every dialog). */
function acceptLeaving(w: WatchedPage): string[] {
  const types: string[] = [];
  w.page.removeAllListeners('dialog');
  w.page.on('dialog', (d) => {
    types.push(d.type());
    void (d.type() === 'beforeunload' ? d.accept() : d.dismiss()).catch(() => {});
  });
  return types;
}

let seq = 0;
async function ingest(over: Parameters<typeof mention>[0] = {}): Promise<{ conversationId: number; messageId: number; networkMessageId: string }> {
  seq++;
  const m = mention({ author: { networkUserId: `cs-${seq}-${Date.now()}`, handle: `patron${seq}`, displayName: `Patron ${seq}`, followers: 30 + seq }, ...over });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.status).toBe(200);
  const o = r.json.outcomes[0];
  expect(o.status).toBe('stored');
  return { conversationId: o.conversationId, messageId: o.messageId, networkMessageId: m.networkMessageId };
}

async function detail(id: number) {
  const r = await admin.get(`/api/conversations/${id}`);
  expect(r.status).toBe(200);
  return r.json as { conversation: any; messages: any[] };
}

const outbound = async (id: number) => (await detail(id)).messages.filter((m) => m.direction === 'outbound').sort((a, b) => a.id - b.id);
const openConversation = (page: Page, id: number) => openConversationAt(page, desk.url, id, 'all');
const storedDrafts = (page: Page) => page.evaluate("Object.keys(sessionStorage).filter((k) => k.startsWith('parley.draft:'))") as Promise<string[]>;
const sendButton = (page: Page) => page.locator('.composer-foot .btn-primary');

async function setFlags(userId: number, flags: string[]) {
  const r = await admin.req('PATCH', `/api/users/${userId}`, { flags });
  expect(r.status).toBe(200);
}

/**
 * Type into whatever has focus (the composer, focused before the session ended). Not through
 * a locator: the page goes to sign-in as soon as any request meets the ended session, which
 * may come first.
 */
const keepWriting = (page: Page, text: string) => page.keyboard.type(text);

/** End a person's sessions on the server (as an expiry does). */
async function expireSessions(userId: number) {
  await desk.db.store.db.deleteFrom('session').where('user_id', '=', userId).execute();
}

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  cleoApi = await Client.signIn(desk.url, 'cleo@acme.test');
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('a thread whose part waits for sign-off', () => {
  it('sends the remaining parts as a thread of their own, renumbered, until every part is out after sign-off', async () => {
    await setFlags(desk.users.ana, ['in_training']);
    try {
      const { conversationId } = await ingest({ text: '@AcmeCare my refund for order 5512 has still not arrived, what is going on?' });
      const long = [
        'Hi Patron, thank you for your patience and sorry that the refund for order 5512 is taking this long.',
        'I have looked at the order: the refund was approved on Monday and handed to our payment provider the same afternoon.',
        'Card refunds usually reach the account within five working days, but some banks hold them for up to ten.',
        'If nothing has arrived by Friday, please send us a private message with the last four digits of the card.',
        'We will then ask the payment provider for the reference number, so that your bank can trace the payment.',
        'Sorry again for the trouble, and thanks for bearing with us while we sort this out for you.',
      ].join(' ');
      const parts = splitIntoThread('x', long, { numbering: true });
      expect(parts).toHaveLength(3);
      const bare = parts.map((p, k) => p.slice(0, -` ${k + 1}/3`.length));

      const ana = await pageAs('ana@acme.test');
      await openConversation(ana.page, conversationId);
      const box = ana.page.locator('.composer-text');
      await box.fill(long);
      await ana.page.getByRole('button', { name: 'Split into a thread' }).click();
      await ana.page.getByRole('button', { name: 'Send thread of 3' }).click();

      // part 1 waits; the other two stay, without the numbering the split added
      const error = ana.page.locator('.composer .form-error');
      await error.getByText('Part 1 waits for approval').waitFor({ timeout: 10_000 });
      expect(await error.textContent()).toContain('other 2 parts were not sent');
      await eventually(async () => (await box.inputValue()) === `${bare[1]}\n\n${bare[2]}`, 'the two remaining parts in the composer, unnumbered');
      expect(await box.inputValue()).not.toMatch(/\b[123]\/3\b/);
      await screenshot(ana.page, 'composer-thread-rest-after-approval');
      let out = await outbound(conversationId);
      expect(out.map((m) => [m.text, m.status])).toEqual([[parts[0], 'pending_approval']]);

      // the rest as its own thread: new keys, so new messages (the old key would have answered with part 1 again)
      const rest = splitIntoThread('x', `${bare[1]}\n\n${bare[2]}`, { numbering: true });
      expect(rest).toHaveLength(2);
      const last = rest[1]!.slice(0, -' 2/2'.length);
      await ana.page.getByRole('button', { name: 'Send thread of 2' }).click();
      // in training, its first part waits too: the last part stays, as a reply of its own
      await eventually(async () => (await box.inputValue()) === last, 'the last part in the composer, unnumbered', 10_000);
      await ana.page.getByRole('button', { name: 'Send reply' }).waitFor({ timeout: 5000 });
      expect(await error.textContent()).toContain('last part was not sent');
      out = await outbound(conversationId);
      expect(out.map((m) => m.text)).toEqual([parts[0], rest[0]]);
      expect(out.every((m) => m.status === 'pending_approval')).toBe(true);

      await ana.page.getByRole('button', { name: 'Send reply' }).click();
      await eventually(async () => (await box.inputValue()) === '', 'the composer empty once the last part is stored', 10_000);
      // never left "Sending…"
      await eventually(async () => (await sendButton(ana.page).textContent()) !== 'Sending…', 'the send button back', 5000);
      out = await outbound(conversationId);
      expect(out.map((m) => m.text)).toEqual([parts[0], rest[0], last]);
      expect(out.every((m) => m.status === 'pending_approval')).toBe(true);
      expect(await storedDrafts(ana.page)).toEqual([]);

      // signed off, all three go out
      for (const m of out) {
        const r = await cleoApi.post(`/api/approvals/${m.id}`, { decision: 'approve' });
        expect(r.status, JSON.stringify(r.json)).toBe(200);
      }
      await eventually(async () => (await outbound(conversationId)).every((m) => m.status === 'sent'), 'every part sent after sign-off', 20_000);
      const sent = await outbound(conversationId);
      expect(sent).toHaveLength(3);
      // every part of the original text went out exactly once
      expect(sent.map((m) => m.text.replace(/ \d\/\d$/, '')).join(' ').replace(/\s+/g, ' ')).toBe(long);
      await ana.page.locator('.msg-out', { hasText: last }).getByText('Sent ✓').waitFor({ timeout: 10_000 });
    } finally {
      await setFlags(desk.users.ana, []);
    }
  });

  it('a send key already used for other text: says so, keeps the text, and the next send posts it', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare do you deliver on Sundays?' });
    const anaApi = await Client.signIn(desk.url, 'ana@acme.test');
    const first = await anaApi.post(`/api/conversations/${conversationId}/replies`, { text: 'Hi Patron, we deliver Monday to Saturday.', visibility: 'public', idempotencyKey: 'ui-reused-key-0001' });
    expect(first.status).toBe(202);
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    // a draft in this tab that carries that key (as a draft kept from before would)
    const text = 'Hi Patron, and on Sundays only in London, between 10 and 4.';
    await ana.page.evaluate(`sessionStorage.setItem(${JSON.stringify(`parley.draft:${desk.users.ana}:${conversationId}:reply`)}, ${JSON.stringify(JSON.stringify({ text, key: 'ui-reused-key-0001', seen: null }))})`);
    acceptLeaving(ana); // the stored draft would be lost with the tab: the browser asks
    await ana.page.reload();
    await ana.page.locator('.conversation .conv-title h2').waitFor();
    const box = ana.page.locator('.composer-text');
    expect(await box.inputValue()).toBe(text);
    await ana.page.getByRole('button', { name: 'Send reply' }).click();
    await ana.page.locator('.composer .form-error').getByText('An earlier reply already went out with this send').waitFor({ timeout: 10_000 });
    expect(await box.inputValue()).toBe(text);
    expect((await outbound(conversationId)).map((m) => m.text)).toEqual(['Hi Patron, we deliver Monday to Saturday.']);
    await ana.page.getByRole('button', { name: 'Send reply' }).click();
    await ana.page.locator('.delivery').getByText('Sent ✓').waitFor({ timeout: 10_000 });
    expect((await outbound(conversationId)).map((m) => m.text)).toEqual(['Hi Patron, we deliver Monday to Saturday.', text]);
  });
});

describe('sign-out and the next person on the tab', () => {
  it('an explicit sign-out leaves no draft, alert or open conversation to the next person', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare I was charged twice for my order' });
    const other = await ingest({ text: '@AcmeCare unrelated question about opening hours' });
    const ben = await pageAs('ben@acme.test');
    await openConversation(ben.page, conversationId);
    const secret = 'Hi, I can see the second charge on the card ending 4242, refunding it now.';
    await ben.page.locator('.composer-text').fill(secret);
    expect((await storedDrafts(ben.page)).length).toBe(1);
    // an alert for Ben
    const anaApi = await Client.signIn(desk.url, 'ana@acme.test');
    expect((await anaApi.post(`/api/conversations/${other.conversationId}/notes`, { text: '@ben can you take this one?' })).status).toBe(201);
    await ben.page.locator('.live-alert[data-kind="note.mention"]').waitFor({ timeout: 10_000 });

    await ben.page.getByRole('button', { name: 'Sign out' }).click();
    await ben.page.waitForURL(/\/login/);
    // no way back into Ben's conversation for whoever signs in next
    expect(new URL(ben.page.url()).search).toBe('');
    expect(await storedDrafts(ben.page)).toEqual([]);
    expect(await ben.page.locator('.live-alert').count()).toBe(0);

    await ben.page.getByLabel('Email').fill('ana@acme.test');
    await ben.page.getByLabel('Password').fill('correct horse battery');
    await ben.page.getByRole('button', { name: 'Sign in' }).click();
    await ben.page.waitForURL(/\/inbox\/open(\?(?!.*\bc=)|$)/);
    await ben.page.locator('.me-name').getByText('Ana Agent').waitFor();
    await ben.page.locator('.list-pane').waitFor();
    expect(await ben.page.locator('.conversation .conv-title h2').count()).toBe(0);
    expect(await ben.page.locator('.live-alert').count()).toBe(0);
    await screenshot(ben.page, 'composer-session-next-person');
    // and Ben's draft is not in Ana's composer
    await openConversation(ben.page, conversationId);
    expect(await ben.page.locator('.composer-text').inputValue()).toBe('');
    expect(await ben.page.locator('.composer').textContent()).not.toContain('4242');
  });

  it('a session that expires keeps the draft for the same person, and forgets it when someone else signs in', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare my parcel shows delivered but it is not here' });
    await ingest({ text: '@AcmeCare another conversation in the list' });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const box = ana.page.locator('.composer-text');
    const draft = 'Hi Patron, sorry about that! Could you check with your neighbours';
    await box.fill(draft);
    await box.press('End');
    await expireSessions(desk.users.ana);
    // she keeps writing: the live checks meet the ended session. The page may notice it
    // before she types, or halfway (the check of what she filled in, a heartbeat): then the
    // textarea is gone with the page, so the keys go to whatever has focus, not to a locator
    // that would wait for the textarea forever
    await keepWriting(ana.page, ' first?');
    await ana.page.waitForURL(/\/login\?redirect=/, { timeout: 15_000 });
    await ana.page.getByLabel('Email').fill('ana@acme.test');
    await ana.page.getByLabel('Password').fill('correct horse battery');
    await ana.page.getByRole('button', { name: 'Sign in' }).click();
    await ana.page.waitForURL(new RegExp(`[?&]c=${conversationId}`));
    await ana.page.locator('.conversation .conv-title h2').waitFor();
    // what she wrote before the page noticed, and nothing else
    await eventually(async () => {
      const kept = await box.inputValue();
      return kept.startsWith(draft) && `${draft} first?`.startsWith(kept);
    }, 'the draft kept for Ana', 5000);

    // expired again, and now Ben signs in on this tab
    await box.press('End');
    await expireSessions(desk.users.ana);
    await keepWriting(ana.page, ' Thanks!');
    await ana.page.waitForURL(/\/login\?redirect=/, { timeout: 15_000 });
    await ana.page.getByLabel('Email').fill('ben@acme.test');
    await ana.page.getByLabel('Password').fill('correct horse battery');
    await ana.page.getByRole('button', { name: 'Sign in' }).click();
    await ana.page.waitForURL(/\/inbox\/open(\?(?!.*\bc=)|$)/);
    await ana.page.locator('.me-name').getByText('Ben Agent').waitFor();
    expect(await ana.page.locator('.conversation .conv-title h2').count()).toBe(0);
    expect(await storedDrafts(ana.page)).toEqual([]);
    await openConversation(ana.page, conversationId);
    expect(await ana.page.locator('.composer-text').inputValue()).toBe('');
  });
});

describe('nothing unsaved is lost without a word', () => {
  it('a reply draft survives a reload (the browser asks first), and goes once sent', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare can I change my delivery address?' });
    const ana = await pageAs('ana@acme.test');
    const dialogs = acceptLeaving(ana);
    await openConversation(ana.page, conversationId);
    const box = ana.page.locator('.composer-text');
    const draft = 'Hi Patron, yes: until the parcel is handed to the courier you can change it in your account.';
    await box.click();
    await box.pressSequentially(draft.slice(0, 20));
    await box.fill(draft);
    await ana.page.reload();
    await ana.page.locator('.conversation .conv-title h2').waitFor();
    expect(dialogs).toContain('beforeunload');
    expect(await box.inputValue()).toBe(draft);
    await ana.page.getByRole('button', { name: 'Send reply' }).click();
    await ana.page.locator('.delivery').getByText('Sent ✓').waitFor({ timeout: 10_000 });
    expect(await box.inputValue()).toBe('');
    expect(await storedDrafts(ana.page)).toEqual([]);
    expect((await outbound(conversationId)).map((m) => m.text)).toEqual([draft]);
    // nothing unsent: leaving does not ask
    const before = dialogs.length;
    await ana.page.reload();
    await ana.page.locator('.conversation .conv-title h2').waitFor();
    expect(dialogs.length).toBe(before);
    expect(await box.inputValue()).toBe('');
  });

  it('unsaved workflow settings: leaving the page asks first; staying keeps the change', async () => {
    const w = await pageAs('admin@acme.test');
    const dialogs = acceptLeaving(w);
    await w.page.goto(`${desk.url}/admin/workflow`);
    const warn = w.page.getByLabel('Warn at this share of the target (%)');
    await warn.waitFor();
    const saved = await warn.inputValue();
    const changed = saved === '60' ? '65' : '60';
    await warn.fill(changed);
    const sla = w.page.locator('section', { has: w.page.getByRole('heading', { name: 'Service levels (SLA)' }) });
    await sla.getByText('Unsaved changes').waitFor();

    await w.page.getByRole('link', { name: 'Reports', exact: true }).click();
    const ask = w.page.getByRole('dialog', { name: 'Leave without saving?' });
    await ask.waitFor({ timeout: 5000 });
    expect(await ask.textContent()).toContain('SLA targets');
    await screenshot(w.page, 'settings-leave-unsaved');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'hidden' });
    expect(new URL(w.page.url()).pathname).toBe('/admin/workflow');
    expect(await warn.inputValue()).toBe(changed);
    await sla.getByText('Unsaved changes').waitFor();

    // a reload asks too (the browser's own prompt)
    await w.page.reload();
    expect(dialogs).toContain('beforeunload');

    // saved: leaving no longer asks
    await warn.waitFor();
    await warn.fill(changed);
    await sla.getByRole('button', { name: 'Save SLA targets' }).click();
    await eventually(async () => (await sla.getByText('Unsaved changes').count()) === 0, 'saved');
    await w.page.getByRole('link', { name: 'Reports', exact: true }).click();
    await w.page.waitForURL(/\/reports\//);
    expect(await w.page.getByRole('dialog', { name: 'Leave without saving?' }).count()).toBe(0);

    // changed again and left on purpose: gone
    await w.page.goto(`${desk.url}/admin/workflow`);
    await warn.waitFor();
    await warn.fill(saved || '70');
    await w.page.getByRole('link', { name: 'Reports', exact: true }).click();
    await w.page.getByRole('dialog', { name: 'Leave without saving?' }).getByRole('button', { name: 'Leave and discard changes' }).click();
    await w.page.waitForURL(/\/reports\//);
  });
});

describe('what the composer says', () => {
  it('names the customer in the "new message arrived" box', async () => {
    const author = { networkUserId: 'cs-late', handle: 'latepatron', displayName: 'Late Patron' };
    const first = await ingest({ text: '@AcmeCare my order is late', author });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, first.conversationId);
    await ana.page.locator('.composer-text').fill('Let me check the tracking for you');
    const second = await ingest({ text: '@AcmeCare never mind, it just arrived!', inReplyToNetworkId: first.networkMessageId, author });
    expect(second.conversationId).toBe(first.conversationId);
    await ana.page.locator('.thread').getByText('it just arrived').waitFor({ timeout: 5000 });
    await ana.page.getByRole('button', { name: 'Send reply' }).click();
    const conflict = ana.page.locator('.conflict');
    await conflict.getByText('1 new message arrived while you were writing').waitFor({ timeout: 5000 });
    const who = conflict.locator('.conflict-author');
    expect(await who.textContent()).toBe('Late Patron (@latepatron):');
    expect(await who.getAttribute('data-direction')).toBe('inbound');
    expect(await conflict.textContent()).not.toContain('Brand:');
    await screenshot(ana.page, 'composer-conflict-customer');
    // the server says who wrote it
    const anaApi = await Client.signIn(desk.url, 'ana@acme.test');
    const r = await anaApi.post(`/api/conversations/${first.conversationId}/replies`, { text: 'Glad it arrived!', visibility: 'public', idempotencyKey: 'conflict-author-1', lastSeenMessageId: first.messageId });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('reply.conflict');
    expect(r.json.newMessages[0].author).toMatchObject({ handle: 'latepatron', displayName: 'Late Patron' });
  });

  it('shows direction overrides in a handle, an incident title and a toast instead of obeying them', async () => {
    const { conversationId } = await ingest({ text: '@AcmeCare see the attached file', author: { networkUserId: 'cs-rlo', handle: 'rtl\u202Egnp.exe', displayName: 'Rtl' } });
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, conversationId);
    const label = ana.page.locator('.composer-label');
    expect(await label.textContent()).toBe('Public reply to @rtl[RLO]gnp.exe on X');
    await ana.page.getByLabel('Public reply to @rtl[RLO]gnp.exe on X').waitFor();

    const title = 'Refunds \u202Egnp.exe delayed';
    const inc = await cleoApi.post('/api/incidents', { title, reason: 'Refunds are late because of a payment provider outage' });
    expect(inc.status, JSON.stringify(inc.json)).toBe(201);
    const banner = ana.page.locator('.incident-banner .incident-text strong');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.textContent()).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(await banner.locator('abbr.ctrl').textContent()).toBe('RLO');
    expect(await banner.textContent()).toBe('Incident: Refunds RLOgnp.exe delayed');
    await screenshot(ana.page, 'composer-rlo-handle-incident');

    // the toast that echoes the title on closing
    const cleo = await pageAs('cleo@acme.test');
    await cleo.page.goto(`${desk.url}/incidents`);
    await cleo.page.locator('.incident-banner').getByRole('button', { name: 'Close incident' }).click();
    await cleo.page.getByRole('dialog', { name: /Close the incident/ }).getByRole('button', { name: 'Close incident' }).click();
    const toast = cleo.page.locator('.toast', { hasText: 'Incident closed' });
    await toast.waitFor({ timeout: 10_000 });
    expect(await toast.textContent()).toBe('Incident closed: Refunds [RLO]gnp.exe delayed');
    await ana.page.locator('.incident-banner').waitFor({ state: 'detached', timeout: 10_000 });
  });
});
