/**
 * Rewriting a draft at sign-off, in a real browser: the approver's edit button says the text
 * goes back for sign-off, the edit is not sent, and the approvals list then shows the approver
 * as the author of the current text (rewritten from the agent's draft); the approver cannot
 * sign their own text off, another approver or admin does, and only then does it go out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from './browser.js';

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
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('sign-off: editing sends the text back for sign-off', () => {
  it('the approver\'s edit is theirs: not sent, listed under their name, signed off by someone else', async () => {
    await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: ['in_training'] });
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const m = mention({ author: { networkUserId: 'rw-1', handle: 'client1', displayName: 'Client One', followers: 12 }, text: '@AcmeCare can I return opened headphones?' });
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0];
    const r = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text: 'Hi Client, yes u can return them whenever.', visibility: 'public', idempotencyKey: 'rewrite-e2e-1' });
    expect(r.json.message.status).toBe('pending_approval');
    const mid = r.json.message.id as number;
    await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: [] });

    const cleo = await openPage(browser);
    pages.push(cleo);
    await signIn(cleo.page, desk.url, 'cleo@acme.test');
    await cleo.page.goto(`${desk.url}/approvals?m=${mid}`);
    await cleo.page.getByRole('button', { name: 'Edit…' }).click();
    // the edit says what it does before it is done
    await cleo.page.locator('#edit-sends-back').getByText(/not sent/).waitFor();
    const edited = 'Hi Client, yes: opened headphones can be returned within 30 days with the receipt.';
    await cleo.page.getByLabel('Edit the reply').fill(edited);
    await cleo.page.getByRole('button', { name: 'Edit and send back for sign-off' }).click();
    await cleo.page.locator('.approval-handled').getByText(/not sent yet/).waitFor({ timeout: 10_000 });

    // not sent: waiting again, now as Cleo's text
    const row = async () => (await admin.get(`/api/conversations/${o.conversationId}`)).json.messages.find((x: any) => x.id === mid);
    expect(await row()).toMatchObject({ status: 'pending_approval', text: edited, authorUserId: desk.users.approver });
    // the list shows who wrote the current text, and whose draft it replaced
    const item = cleo.page.locator(`.approval-item[data-message-id="${mid}"]`);
    await item.getByText('Cleo Approver').waitFor({ timeout: 10_000 });
    await item.locator('.approval-rewritten').getByText('Rewritten from Ana Agent’s draft').waitFor();
    await item.click();
    await cleo.page.locator('.approval-rewrite-note').waitFor();
    await cleo.page.getByText('You rewrote this reply: another approver or admin signs it off.').waitFor();
    expect(await cleo.page.getByRole('button', { name: 'Approve and send' }).count()).toBe(0);
    await screenshot(cleo.page, 'sign-off-rewritten');

    // Ada (admin) signs Cleo's text off; then it goes out
    const ada = await openPage(browser);
    pages.push(ada);
    await signIn(ada.page, desk.url, 'admin@acme.test');
    await ada.page.goto(`${desk.url}/approvals?m=${mid}`);
    await ada.page.getByRole('heading', { name: /Reply by Cleo Approver/ }).waitFor({ timeout: 10_000 });
    await ada.page.getByRole('button', { name: 'Approve and send' }).click();
    await ada.page.locator('.approval-handled').getByText(/Approved Cleo Approver’s reply/).waitFor({ timeout: 10_000 });
    await eventually(async () => {
      const x = await row();
      return x.status === 'sent' && x.text === edited;
    }, 'the rewritten reply sent after a second sign-off');
    const audit = (await admin.get(`/api/conversations/${o.conversationId}`)).json.audit.map((e: any) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['reply.rewritten_for_sign_off', 'reply.approved']));
  });
});
