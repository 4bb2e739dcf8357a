/**
 * QA (sign-off): edit and resubmit. A reply an approver rejected left its author with "Not
 * approved: <note>" and an empty composer: to follow the note they retyped the reply from
 * memory. Now "Edit and send again" puts its words back in the draft; the edited reply goes to
 * sign-off again as a new draft, and the rejected one stays rejected (nothing sent twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Client, mention, signOffDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, launchBrowser, openConversationAt, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let cleo: Client;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  ({ desk, admin, cleo } = await signOffDesk('sqlite', 'ana'));
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('a rejected reply, edited and sent again', () => {
  it('brings its words back to the composer, and the new text waits for sign-off', async () => {
    const c = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare where is my parcel?' })] })).json.outcomes[0].conversationId as number;
    await admin.post(`/api/conversations/${c}/assign`, { assigneeId: desk.users.ana });
    const ana = await openPage(browser);
    pages.push(ana);
    await signIn(ana.page, desk.url, 'ana@acme.test');
    await openConversationAt(ana.page, desk.url, c);
    const box = ana.page.locator('.composer-text');
    const first = 'Hi Customer, your parcel arrives tomorrow morning.';
    await box.fill(first);
    await ana.page.getByRole('button', { name: /^Send/ }).click();
    await ana.page.getByText('Waiting for approval.').waitFor();
    const draft = (await cleo.get('/api/approvals')).json.items.find((x: any) => x.conversationId === c);
    expect((await cleo.post(`/api/approvals/${draft.id}`, { decision: 'reject', note: 'Give the tracking link, not a promise' })).status).toBe(200);
    await ana.page.locator('.delivery').getByText('Give the tracking link, not a promise').waitFor();

    await ana.page.getByRole('button', { name: 'Edit and send again' }).click();
    await expect.poll(() => box.inputValue()).toBe(first);
    const second = 'Hi Customer, your parcel is on its way: https://track.example/123';
    await box.fill(second);
    await ana.page.getByRole('button', { name: /^Send/ }).click();
    await ana.page.getByText('Waiting for approval.').waitFor();
    const waiting = (await cleo.get('/api/approvals')).json.items.filter((x: any) => x.conversationId === c);
    expect(waiting.map((x: any) => x.text)).toEqual([second]);
    const msgs = (await admin.get(`/api/conversations/${c}`)).json.messages.filter((m: any) => m.direction === 'outbound');
    expect(msgs.map((m: any) => [m.text, m.status])).toEqual([[first, 'rejected'], [second, 'pending_approval']]);
  });
});
