/**
 * Leftovers of earlier QA passes, in a real browser against a real desk (SQLite):
 * - an email address among a customer's profiles reads as the address ("ana@example.com"), not
 *   as an @handle ("@ana@example.com"), in the author card and in its merges and splits;
 * - a brand with no roster: the roster card says there is none, not "not saved yet";
 * - declaring an incident: each error is under its field, not inside its label (where a screen
 *   reader reads it as part of the field's name), and tied to it;
 * - the SLA's warning share: a share out of range is named under its own field, which is
 *   focused, tied to it, and nothing is sent;
 * - the Assign dialog open when the session ends in another tab: the desk goes to the sign-in
 *   page without an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelAccount } from '../../src/commands/setup.js';
import { sse } from '../../src/server/routes/events.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, openConversationAt, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let admin: Client;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  // live streams check their session every second (set before any opens: the check's timer is
  // shared): a desk whose session ended elsewhere learns it there first, not from a request
  // refused with 401, which the browser logs (the presence heartbeat's, every 10 s)
  sse.pingMs = 1_000;
});

afterAll(() => {
  sse.pingMs = 15_000;
});

/** Ingest one message into `channelAccountId`; its conversation and customer. */
async function ingest(channelAccountId: number, m: ReturnType<typeof mention>): Promise<{ conversationId: number; contactId: number }> {
  const r = await admin.post('/api/ingest/messages', { channelAccountId, messages: [m] });
  expect(r.status).toBe(200);
  const conversationId = r.json.outcomes[0].conversationId as number;
  return { conversationId, contactId: (await admin.get(`/api/conversations/${conversationId}`)).json.contact.id as number };
}

/** A client on the page's own session, as another tab of the same browser is. */
async function sameBrowser(w: WatchedPage): Promise<Client> {
  const c = new Client(desk.url);
  const cookie = (await w.context.cookies(desk.url)).find((x) => x.name === 'parley_session')!;
  c.cookie = `${cookie.name}=${cookie.value}`;
  const me = await c.get('/api/me');
  expect(me.status).toBe(200);
  c.csrf = me.json.csrfToken;
  return c;
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

describe('QA leftovers', () => {
  it('writes an email profile as the address, without an @, in the author card and its merges', async () => {
    const zoe = await ingest(desk.accountId, mention({ text: '@AcmeCare parcel 7 is late', author: { networkUserId: 'zoe-x-left', handle: 'zoe_left', displayName: 'Zoë Left', followers: 3 } }));
    const mailbox = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'email', handle: 'care@acme.test', driver: 'demo' }, Date.now());
    const mail = await ingest(mailbox, mention({ network: 'email', kind: 'dm', visibility: 'private', author: { networkUserId: 'ana@example.com', handle: 'ana@example.com', displayName: null }, text: 'It is me, zoe_left on X, about parcel 7' }));
    expect((await admin.post(`/api/contacts/${zoe.contactId}/merge`, { otherContactId: mail.contactId, reason: 'wrote from her address about the same parcel' })).status).toBe(200);

    const w = await open();
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, zoe.conversationId);
    const card = w.page.locator('.author-card');
    const aka = card.locator('.identities');
    await aka.waitFor();
    expect(await aka.innerText()).toContain('ana@example.com');
    expect(await aka.innerText()).not.toContain('@ana@example.com');
    // its Split button says it the same way
    await card.getByRole('button', { name: 'Split ana@example.com into a customer of their own' }).waitFor();
    const history = card.locator('.merge-history');
    await eventually(async () => (await history.textContent())?.includes('merged ana@example.com (Email) into this customer'), 'the merge, naming the address as it is');
    expect(await history.textContent()).not.toContain('@ana@example.com');

    const identityId = ((await admin.get(`/api/conversations/${zoe.conversationId}`)).json.contact.identities as { identityId: number; network: string }[]).find((i) => i.network === 'email')!.identityId;
    expect((await admin.post(`/api/contacts/${zoe.contactId}/split`, { identityId, reason: 'not her after all' })).status).toBe(200);
    await w.page.reload();
    await w.page.locator('.author-card .merge-history').waitFor({ timeout: 10_000 });
    await eventually(async () => (await w.page.locator('.author-card .merge-history').textContent())?.includes('split ana@example.com (Email) off into a customer of their own'), 'the split, naming the address as it is');
    expect(await w.page.locator('.author-card .merge-history').textContent()).not.toContain('@ana@example.com');
    expect(w.errors).toEqual([]);
  });

  it('says a brand has no roster yet, rather than that one is not saved', async () => {
    // some traffic two days ago, so there is something to plan for
    const at = Date.now() - 2 * 86_400_000;
    for (let i = 0; i < 6; i++) await ingest(desk.accountId, mention({ text: `@AcmeCare my order ${i} has not arrived, roster`, createdAt: at + i * 3600_000 }));
    expect((await admin.get('/api/staffing/plan?from=' + encodeURIComponent(new Date(at - 86_400_000).toISOString()) + '&to=' + encodeURIComponent(new Date().toISOString()))).json.roster).toBeNull();

    const w = await open({ viewport: { width: 1280, height: 1000 } });
    await signIn(w.page, desk.url, 'admin@acme.test');
    await w.page.goto(`${desk.url}/reports/staffing?period=custom&from=${day(at - 3 * 86_400_000)}&to=${day(Date.now() - 86_400_000)}`);
    const roster = w.page.getByTestId('roster');
    await roster.waitFor({ timeout: 15_000 });
    const status = roster.locator('.roster-foot [aria-live]');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/^0 head-hours a week; \d+ hours? below the plan · no roster yet$/);
    expect(await status.textContent()).not.toContain('not saved');

    // edited: unsaved; saved: saved; removed: none again
    await roster.getByLabel('Heads', { exact: true }).fill('3');
    await roster.getByRole('button', { name: 'Fill' }).click();
    await eventually(async () => (await status.textContent())?.endsWith('· unsaved changes'), 'unsaved changes');
    // the head-hours figure is written as the desk writes counts: 3 heads × 8 hours (09:00–17:00) × 5 weekdays
    expect(await status.textContent()).toMatch(/^120 head-hours a week;/);
    await roster.getByRole('button', { name: 'Save roster' }).click();
    await eventually(async () => (await status.textContent())?.endsWith('· saved'), 'saved');
    await roster.getByRole('button', { name: 'Remove saved roster' }).click();
    await eventually(async () => (await status.textContent())?.endsWith('· no roster yet'), 'no roster again');
    expect(w.errors).toEqual([]);
  });

  it('declaring an incident: each error is under its field, outside its label, and tied to it', async () => {
    await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'email', handle: 'press@acme.test', driver: 'demo' }, Date.now());
    const w = await open();
    await signIn(w.page, desk.url, 'admin@acme.test');
    await w.page.goto(`${desk.url}/incidents`);
    const form = w.page.locator('form').filter({ has: w.page.getByRole('button', { name: 'Declare incident' }) });
    await form.waitFor({ timeout: 15_000 });
    await form.getByRole('button', { name: 'Declare incident' }).click();
    const titleError = form.locator('.field-error', { hasText: 'Give the incident a title of at least 3 characters.' });
    await titleError.waitFor({ timeout: 5_000 });
    // the fields' names are their labels only: the errors are not read as part of them
    const title = form.getByRole('textbox', { name: 'Title', exact: true });
    const reason = form.getByRole('textbox', { name: 'What is happening', exact: true });
    expect(await title.count()).toBe(1);
    expect(await reason.count()).toBe(1);
    for (const [field, text] of [
      [title, 'Give the incident a title of at least 3 characters.'],
      [reason, 'Say what is happening in at least 3 characters.'],
    ] as const) {
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      const described = await field.evaluate((el) => {
        const ids = (el.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
        const errs = ids.map((id) => document.getElementById(id)).filter((e): e is HTMLElement => !!e);
        return errs.map((e) => ({
          text: e.textContent,
          inLabel: e.closest('label') !== null,
          // under the field: after it in the page
          after: !!(el.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING),
        }));
      });
      expect(described).toEqual([{ text, inLabel: false, after: true }]);
    }
    expect(await title.evaluate((el) => el === document.activeElement)).toBe(true);

    // put right, it is declared; its statement can be posted from the brand's accounts, a mailbox
    // named by its address as it is (not "@press@acme.test")
    await title.fill('Checkout is down');
    await reason.fill('Payments fail at the last step');
    await form.getByRole('button', { name: 'Declare incident' }).click();
    await eventually(async () => (await form.locator('.field-error').count()) === 0, 'the errors gone');
    await w.page.getByRole('button', { name: 'Post statement…' }).first().click();
    const statement = w.page.getByRole('dialog', { name: 'Post the public statement' });
    const accounts = await statement.getByLabel('Post from').locator('option').allTextContents();
    expect(accounts.filter((a) => a.startsWith('Email press@acme.test'))).toHaveLength(1);
    expect(accounts.filter((a) => a.startsWith('X @AcmeCare'))).toHaveLength(1);
    expect(accounts.join('\n')).not.toContain('@press@');
    await statement.getByRole('button', { name: 'Cancel' }).click();
    await admin.post(`/api/incidents/${(((await admin.get('/api/incidents')).json.items as { id: number; status: string }[]).find((i) => i.status === 'open')!).id}/close`, { reason: 'test over' });
    expect(w.errors).toEqual([]);
  });

  it('names an out-of-range warning share under its own field, focuses it, and sends nothing', async () => {
    const before = (await admin.get('/api/settings/workflow')).json.sla.warningRatio;
    const w = await open();
    await signIn(w.page, desk.url, 'admin@acme.test');
    await w.page.goto(`${desk.url}/admin/workflow`);
    const sla = w.page.locator('section', { has: w.page.getByRole('heading', { name: 'Service levels (SLA)' }) });
    const warn = sla.getByLabel('Warn at this share of the target (%)', { exact: true });
    await warn.waitFor({ timeout: 15_000 });
    const patches = () => w.requests.filter((u) => new URL(u).pathname === '/api/settings/workflow').length;
    const sent = patches();
    await warn.fill('150');
    await sla.getByRole('button', { name: 'Save SLA targets' }).click();
    await eventually(async () => (await warn.getAttribute('aria-invalid')) === 'true', 'the field marked invalid');
    const described = await warn.evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean).map((id) => ({ text: document.getElementById(id)?.textContent ?? null, inLabel: !!document.getElementById(id)?.closest('label') })));
    expect(described).toContainEqual({ text: expect.stringContaining('The warning share must be more than 0 % and at most 100 % of the target'), inLabel: false });
    expect(await warn.evaluate((el) => el === document.activeElement)).toBe(true);
    // not at form level, and nothing was sent
    expect(await sla.locator('.form-error').count()).toBe(0);
    expect(patches()).toBe(sent);
    expect((await admin.get('/api/settings/workflow')).json.sla.warningRatio).toBe(before);

    // put right: the error goes, and it saves
    await warn.fill('60');
    expect(await warn.getAttribute('aria-invalid')).toBeNull();
    await sla.getByRole('button', { name: 'Save SLA targets' }).click();
    await eventually(async () => (await admin.get('/api/settings/workflow')).json.sla.warningRatio === 0.6, 'saved');
    expect(await sla.locator('.field-error').count()).toBe(0);
    expect(w.errors).toEqual([]);
    expect((await admin.req('PATCH', '/api/settings/workflow', { sla: { ...(await admin.get('/api/settings/workflow')).json.sla, warningRatio: before } })).status).toBe(200);
  });

  it('the Assign dialog open when the session ends in another tab: to the sign-in page, without an error', async () => {
    const { conversationId } = await ingest(desk.accountId, mention({ text: '@AcmeCare assign me while I sign out' }));
    const w = await open();
    await signIn(w.page, desk.url, 'ben@acme.test');
    await openConversationAt(w.page, desk.url, conversationId);
    await w.page.getByRole('toolbar', { name: 'Conversation actions' }).getByRole('button', { name: /^Assign/ }).click();
    const dialog = w.page.getByRole('dialog', { name: 'Assign conversation' });
    await dialog.getByRole('option', { name: /Assign to me/ }).waitFor();
    const otherTab = await sameBrowser(w);
    expect((await otherTab.post('/api/auth/logout')).status).toBe(204);
    await w.page.waitForURL(/\/login/, { timeout: 10_000 });
    await w.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await w.page.waitForTimeout(1_000);
    expect(await w.page.getByRole('dialog', { name: 'Assign conversation' }).count()).toBe(0);
    expect(w.errors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
  });
});
