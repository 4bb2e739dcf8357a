/**
 * An agent's inbox and conversation QA pass, in a real browser against a real desk (SQLite).
 * Findings fixed here:
 * - a selection only ever holds conversations the list shows: one resolved by a colleague (or
 *   otherwise gone from the list) leaves the selection, the bulk bar says so, and a bulk action
 *   acts only on what is listed and selected;
 * - resolving or snoozing (one conversation, or a selection) can be undone from the toast for a
 *   few seconds: its Undo button (keyboard reachable) puts the previous status back through the
 *   ordinary API, audited like any change;
 * - a sent reply reads "Sent ✓" with a link to the post on its network, not its raw network id
 *   (kept in a tooltip);
 * - the session ended elsewhere while a conversation is open: the server ends the page's live
 *   stream at once (not at its next periodic check), the presence heartbeat (which never asks the
 *   server about the session) sends nothing more, and the desk goes to sign-in without a 401 or
 *   any other console error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sse } from '../../src/server/routes/events.js';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, row, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  sse.pingMs = 15_000;
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

let seq = 0;
async function ingest(text: string): Promise<number> {
  seq++;
  const m = mention({ author: { networkUserId: `qa-undo-${seq}-${Date.now()}`, handle: `undo${seq}`, displayName: `Undo Person ${seq}`, followers: 50 }, text });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId as number;
}

const conversation = async (id: number) => (await admin.get(`/api/conversations/${id}`)).json as { conversation: { status: string; snoozedUntil: string | null; priority: number }; audit: { action: string; data: Record<string, unknown> }[] };

async function pageAs(email: string): Promise<WatchedPage> {
  const w = await openPage(browser, { viewport: { width: 1440, height: 900 } });
  pages.push(w);
  await signIn(w.page, desk.url, email);
  return w;
}

describe('QA: inbox selection, undo, sent replies, signed out elsewhere', () => {
  let ana: WatchedPage;
  beforeAll(async () => {
    ana = await pageAs('ana@acme.test');
  }, 60_000);

  it('drops selected conversations that leave the list, says so, and a bulk action acts only on the listed ones', async () => {
    await ingest('@AcmeCare selection bystander');
    const a = await ingest('@AcmeCare selection one');
    const b = await ingest('@AcmeCare selection two');
    const c = await ingest('@AcmeCare selection three');
    const { page } = ana;
    await page.goto(`${desk.url}/inbox/open`);
    for (const id of [a, b, c]) await row(page, id).getByRole('checkbox').check();
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('3 selected').waitFor();
    // a colleague resolves one of them: it leaves Open, and the selection with it
    expect((await admin.post(`/api/conversations/${b}/status`, { status: 'resolved' })).status).toBe(200);
    await row(page, b).waitFor({ state: 'detached', timeout: 10_000 });
    await bar.getByText('2 selected').waitFor({ timeout: 5_000 });
    await bar.getByText(/1 selected conversation left the list/).waitFor();
    // the bulk action goes to the two still listed, not to the resolved one
    const bBefore = (await conversation(b)).conversation.priority;
    await bar.getByLabel('Set priority of selected').selectOption('90');
    await bar.waitFor({ state: 'detached', timeout: 10_000 });
    await eventually(async () => (await conversation(a)).conversation.priority === 90 && (await conversation(c)).conversation.priority === 90, 'priority set on the two listed');
    expect(bBefore).not.toBe(90);
    expect((await conversation(b)).conversation.priority).toBe(bBefore);
    expect((await conversation(b)).audit.filter((x) => x.action === 'conversation.priority')).toEqual([]);
    expect(ana.errors).toEqual([]);
  });

  it('undoes resolving and snoozing one conversation from the toast, by keyboard, audited', async () => {
    const id = await ingest('@AcmeCare undo me');
    const { page } = ana;
    await openConversationAt(page, desk.url, id, 'all');
    const before = (await conversation(id)).conversation.status;
    await page.getByRole('toolbar', { name: 'Conversation actions' }).getByRole('button', { name: 'Resolve' }).click();
    const toast = page.locator('.toasts .toast', { hasText: 'Resolved' });
    const undo = toast.getByRole('button', { name: /Undo/ });
    await undo.waitFor({ timeout: 5_000 });
    await eventually(async () => (await conversation(id)).conversation.status === 'resolved', 'resolved');
    // a real button in the announced region (its name is read with the toast), in the tab order,
    // pressed with Enter
    expect(await undo.evaluate((b) => b.tagName === 'BUTTON' && b.tabIndex === 0 && !!b.closest('[aria-live="polite"]'))).toBe(true);
    await undo.focus();
    await page.keyboard.press('Enter');
    await eventually(async () => (await conversation(id)).conversation.status === before, `back to ${before}`);
    await page.locator('.toasts .toast', { hasText: /Undone/ }).waitFor({ timeout: 5_000 });
    const statusAudit = (await conversation(id)).audit.filter((x) => x.action === 'conversation.status').map((x) => [x.data.from, x.data.to]);
    expect(statusAudit).toEqual(expect.arrayContaining([[before, 'resolved'], ['resolved', before]]));

    // snoozed, then undone: the snooze goes with the status
    await page.getByRole('toolbar', { name: 'Conversation actions' }).getByRole('button', { name: 'Snooze…' }).click();
    await page.getByRole('dialog', { name: 'Snooze until…' }).getByRole('button', { name: 'In 4 hours' }).click();
    await eventually(async () => (await conversation(id)).conversation.snoozedUntil != null, 'snoozed');
    await page.locator('.toasts .toast', { hasText: 'Snoozed until' }).getByRole('button', { name: /Undo/ }).click();
    await eventually(async () => {
      const x = (await conversation(id)).conversation;
      return x.status === before && x.snoozedUntil == null;
    }, 'unsnoozed');
    expect(ana.errors).toEqual([]);
  });

  it('undoes a bulk resolve: each conversation back to its own status', async () => {
    await ingest('@AcmeCare bulk undo bystander');
    const a = await ingest('@AcmeCare bulk undo one');
    const b = await ingest('@AcmeCare bulk undo two');
    expect((await admin.post(`/api/conversations/${b}/status`, { status: 'open' })).status).toBe(200);
    const was = { [a]: (await conversation(a)).conversation.status, [b]: 'open' };
    const { page } = ana;
    await page.goto(`${desk.url}/inbox/all`);
    await row(page, a).getByRole('checkbox').check();
    await row(page, b).getByRole('checkbox').check();
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('2 selected').waitFor();
    await bar.getByLabel('Set status of selected').selectOption('resolved');
    await eventually(async () => (await conversation(a)).conversation.status === 'resolved' && (await conversation(b)).conversation.status === 'resolved', 'both resolved');
    await page.locator('.toasts .toast', { hasText: 'Status set to resolved' }).getByRole('button', { name: /Undo/ }).click();
    await eventually(async () => (await conversation(a)).conversation.status === was[a] && (await conversation(b)).conversation.status === was[b], 'both back');
    expect(ana.errors).toEqual([]);
  });

  it('shows a sent reply as "Sent ✓" with a link to the post, its network id only in a tooltip', async () => {
    const id = await ingest('@AcmeCare where is my parcel?');
    const sent = await admin.post(`/api/conversations/${id}/replies`, { text: 'It is on its way today.', visibility: 'public', idempotencyKey: `qa-undo-reply-${Date.now()}` });
    expect([200, 202]).toContain(sent.status);
    const reply = await eventually(async () => (await admin.get(`/api/conversations/${id}`)).json.messages.find((m: any) => m.direction === 'outbound' && m.status === 'sent'), 'the reply sent');
    expect(reply.networkMessageId).toBeTruthy();
    await desk.db.store.db.updateTable('message').set({ url: `https://x.com/AcmeCare/status/${reply.networkMessageId}` }).where('id', '=', reply.id).execute();
    const { page } = ana;
    await openConversationAt(page, desk.url, id, 'all');
    const msg = page.locator(`.msg[data-message-id="${reply.id}"]`);
    await msg.getByText('Sent ✓').waitFor();
    expect(await msg.innerText()).not.toContain(reply.networkMessageId);
    expect(await msg.locator('.delivery-state').getAttribute('title')).toContain(reply.networkMessageId);
    const link = msg.getByRole('link', { name: /View on X/ });
    expect(await link.getAttribute('href')).toBe(`https://x.com/AcmeCare/status/${reply.networkMessageId}`);
  });

  it('the session ends elsewhere with a conversation open: the stream ends at once, the heartbeat stops without asking about the session, to sign-in, no console error', async () => {
    // the live streams' periodic check is rare here (a minute): only the server ending the
    // session's stream at once takes the page to sign-in in time. (The check's timer is shared,
    // made by the first stream and gone with the last: Ana's page closes first, so the one opened
    // next has the new period.)
    await ana.close();
    await new Promise((r) => setTimeout(r, 500));
    sse.pingMs = 60_000;
    const id = await ingest('@AcmeCare heartbeat after sign-out');
    const w = await pageAs('ben@acme.test');
    await openConversationAt(w.page, desk.url, id, 'all');
    const beats = () => w.requests.filter((u) => u.endsWith(`/api/conversations/${id}/presence`)).length;
    const sessionAsks = () => w.requests.filter((u) => new URL(u).pathname === '/api/session').length;
    // a periodic beat (every 10 s) goes without asking the server about the session first
    const [beatsBefore, asksBefore] = [beats(), sessionAsks()];
    await eventually(() => beats() > beatsBefore, 'a periodic heartbeat', 15_000);
    expect(sessionAsks()).toBe(asksBefore);
    const other = new Client(desk.url);
    const cookie = (await w.context.cookies(desk.url)).find((x) => x.name === 'parley_session')!;
    other.cookie = `${cookie.name}=${cookie.value}`;
    const me = await other.get('/api/me');
    expect(me.status).toBe(200);
    other.csrf = me.json.csrfToken;
    const signedOutAt = w.requests.length;
    expect((await other.post('/api/auth/logout')).status).toBe(204);
    // the stream's `signed-out` comes at once (the periodic check would take up to a minute)
    await w.page.waitForURL(/\/login/, { timeout: 5_000 });
    await w.page.getByRole('button', { name: 'Sign in' }).waitFor();
    // past the next beat's time: nothing more said for the ended session, not even "left"
    await w.page.waitForTimeout(11_000);
    expect(w.requests.slice(signedOutAt).filter((u) => u.endsWith('/presence'))).toEqual([]);
    // the session asked about once, when the stream said it ended (not once a beat)
    expect(w.requests.slice(signedOutAt).filter((u) => new URL(u).pathname === '/api/session').length).toBeLessThanOrEqual(1);
    expect(w.errors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
    sse.pingMs = 15_000;
  }, 90_000);
});
