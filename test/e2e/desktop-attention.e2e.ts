/**
 * The desk in a background tab gets its agent's attention (web/src/live/attention.ts): the tab's
 * title counts what waits for them, and, turned on in the notifications panel (Chromium's own
 * permission granted to the desk's origin), desktop notifications show alerts and customers
 * waiting for them, only while the desk is not looked at. The notifications are Chromium's
 * real ones; the page records what it constructs, and "in the background" is set by the test
 * (a headless browser has no other window to switch to).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

/** Records every desktop notification the page makes, and lets the test put the page in the background (run in the page). */
const INIT = `(() => {
  window.__shown = [];
  window.__last = null;
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, o) {
      super(title, o);
      window.__shown.push({ title, body: o && o.body, tag: o && o.tag });
      window.__last = this;
    }
  };
  let background = false;
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (background ? 'hidden' : 'visible') });
  Document.prototype.hasFocus = () => !background;
  window.__background = (b) => {
    background = b;
    document.dispatchEvent(new Event('visibilitychange'));
    if (!b) window.dispatchEvent(new Event('focus'));
  };
})()`;

const shown = (page: Page) => page.evaluate('window.__shown') as Promise<{ title: string; body?: string; tag?: string }[]>;
const background = (page: Page, b: boolean) => page.evaluate(`window.__background(${b})`);

describe('the desk in the background', () => {
  it('counts in the tab title and, turned on, notifies of customers waiting and of alerts, only while not looked at', async () => {
    const w = await open();
    await w.context.grantPermissions(['notifications'], { origin: desk.url });
    await w.page.addInitScript(INIT);
    await signIn(w.page, desk.url, 'ana@acme.test');
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const ana = desk.users.ana;

    // turned on in the notifications panel
    await w.page.getByRole('button', { name: /^Notifications/ }).click();
    const toggle = w.page.getByRole('checkbox', { name: 'Desktop notifications' });
    await toggle.check();
    await expect.poll(() => toggle.isChecked()).toBe(true);
    await w.page.keyboard.press('Escape');
    expect(await w.page.title()).toBe('Parley');

    // a customer's conversation assigned to Ana while she looks at the desk: nothing on the desktop
    const author = { networkUserId: 'u-att-1', handle: 'dana_waits', displayName: 'Dana', followers: 3 };
    const opening = mention({ author, text: '@AcmeCare where is my parcel?' });
    const first = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [opening] });
    const conversationId = first.json.outcomes[0].conversationId as number;
    expect((await admin.post(`/api/conversations/${conversationId}/assign`, { assigneeId: ana })).status).toBe(200);
    await w.page.waitForTimeout(1_500);
    expect(await shown(w.page)).toEqual([]);

    // in the background, the customer writes again: one notification, the title counts it
    await background(w.page, true);
    const hostile = '@AcmeCare still nothing <img src=x onerror=alert(1)> \u202Egnp.exe';
    const again = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ author, text: hostile, inReplyToNetworkId: opening.networkMessageId })] });
    expect(again.status).toBe(200);
    const withAgain = again.json.outcomes[0].conversationId as number;
    expect(withAgain).toBe(conversationId);
    await eventually(async () => (await shown(w.page)).length >= 1, 'a desktop notification');
    const [n] = await shown(w.page);
    expect(n!.title).toBe('@dana_waits is waiting for you on X');
    expect(n!.tag).toBe(`parley-${withAgain}`);
    // their words as plain text, the direction override shown, not obeyed
    expect(n!.body).not.toContain('\u202E');
    expect(await w.page.evaluate(`document.querySelectorAll('img[src="x"]').length`)).toBe(0);
    expect(n!.body).toContain('[RLO]');
    await eventually(async () => (await w.page.title()) === '(1) Parley', 'the title counting one');

    // the same conversation updated again without a new customer message: no second notification
    expect((await admin.post(`/api/conversations/${withAgain}/priority`, { priority: 90 })).status).toBe(200);
    await w.page.waitForTimeout(1_000);
    expect((await shown(w.page)).length).toBe(1);

    // an alert (a colleague mentions her in a note) while in the background: a notification too
    const ben = await Client.signIn(desk.url, 'ben@acme.test');
    expect((await ben.post(`/api/conversations/${withAgain}/notes`, { text: '@ana can you check the courier?' })).status).toBe(201);
    await eventually(async () => (await shown(w.page)).length >= 2, 'the alert as a desktop notification');
    expect((await shown(w.page))[1]!.title).toMatch(/mentioned/i);
    await eventually(async () => (await w.page.title()) === '(2) Parley', 'the unread note mention counted too');

    // clicking the notification brings the desk forward on that conversation
    await w.page.evaluate(`window.__last.onclick(new Event('click'))`);
    await w.page.waitForURL(new RegExp(`c=${withAgain}`));
    // looked at again: the waiting customer is in front of her (and the mention read by opening it)
    await background(w.page, false);
    await eventually(async () => (await w.page.title()) === 'Parley', 'the title without a count');
    expect(w.errors).toEqual([]);
  }, 90_000);

  it('turned off (the default): the title still counts, nothing reaches the desktop', async () => {
    const w = await open();
    await w.context.grantPermissions(['notifications'], { origin: desk.url });
    await w.page.addInitScript(INIT);
    await signIn(w.page, desk.url, 'ben@acme.test');
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    await background(w.page, true);
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare hello?' })] });
    const id = r.json.outcomes[0].conversationId as number;
    expect((await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ben })).status).toBe(200);
    // the title still counts it: that much needs no permission
    await eventually(async () => (await w.page.title()) === '(1) Parley', 'the title counting one');
    expect(await shown(w.page)).toEqual([]);
  }, 60_000);
});
