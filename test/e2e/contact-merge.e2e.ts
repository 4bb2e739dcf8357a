/**
 * "Same person as…" in a real browser: from the author card an agent finds the customer's other
 * profile by handle, gives the reason and merges (the other profile was linked to the CRM: the
 * customer's consent is recorded with it); the profile then shows under the customer with a
 * Split action, the merge on the conversation's activity and, in the author card, on every
 * conversation of the customer (an older one too); Split undoes it and, in the same step,
 * removes the CRM link the merge brought. Hostile display names are shown as text throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createChannelAccount } from '../../src/commands/setup.js';
import { Client, consentGiven, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, originOf, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let w: WatchedPage;
const HOSTILE = 'Zoë <img src=x onerror="window.__pwned=1"> \u202Eexe';
let first = { conversationId: 0, contactId: 0, messageId: 0 };
let other = { conversationId: 0, contactId: 0, messageId: 0 };
let older = { conversationId: 0, contactId: 0, messageId: 0 };

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  const page = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'facebook', handle: 'AcmePage', driver: 'demo' }, Date.now());
  const admin = await Client.signIn(desk.url, 'admin@acme.test');
  const ingest = async (channelAccountId: number, m: ReturnType<typeof mention>) => {
    const r = await admin.post('/api/ingest/messages', { channelAccountId, messages: [m] });
    const conversationId = r.json.outcomes[0].conversationId as number;
    return { conversationId, messageId: r.json.outcomes[0].messageId as number, contactId: (await admin.get(`/api/conversations/${conversationId}`)).json.contact.id as number };
  };
  // an hour earlier, Zoë wrote to the brand's other X account: an older conversation of hers
  const deals = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'x', handle: 'AcmeDeals', driver: 'demo' }, Date.now());
  older = await ingest(deals, mention({ text: '@AcmeDeals is the winter deal still on?', createdAt: Date.now() - 3600_000, author: { networkUserId: 'zoe-x', handle: 'zoe_public', displayName: 'Zoë Public', followers: 4 } }));
  first = await ingest(desk.accountId, mention({ text: '@AcmeCare my parcel 12 is late', author: { networkUserId: 'zoe-x', handle: 'zoe_public', displayName: 'Zoë Public', followers: 4 } }));
  other = await ingest(page, mention({ network: 'facebook', kind: 'comment', text: 'it is me, zoe_public on X, about parcel 12', author: { networkUserId: 'zoe-fb', handle: 'zoe_facebook', displayName: HOSTILE, followers: 2 } }));
  expect(older.contactId).toBe(first.contactId);
  // the Facebook profile is linked to the CRM; a merge brings the link to Zoë's X profile too
  const linkYes = await consentGiven(desk, admin, admin, other.conversationId, { networkUserId: 'zoe-fb', handle: 'zoe_facebook', displayName: HOSTILE, followers: 2 }, 'yes, link my account', page);
  expect((await admin.post(`/api/contacts/${other.contactId}/crm-link`, { crmCustomerId: 'ZOE-CRM-1', consent: { method: 'customer_message', messageId: linkYes } })).status).toBe(200);
  // asked on her X conversation too, she said yes there: the merge dialog offers that reply, not her complaint
  await consentGiven(desk, admin, admin, first.conversationId, { networkUserId: 'zoe-x', handle: 'zoe_public', displayName: 'Zoë Public', followers: 4 }, 'Yes, go ahead');
  browser = await launchBrowser();
  w = await openPage(browser);
  await signIn(w.page, desk.url, 'ana@acme.test');
});

afterAll(async () => {
  await w?.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('Same person as… in the author card', () => {
  it('finds the other profile, merges it with a reason, and shows it under the customer with Split', async () => {
    const { page } = w;
    await openConversationAt(page, desk.url, first.conversationId);
    const card = page.locator('.author-card');
    await card.getByRole('button', { name: 'Same person as…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Same person as…' });
    await dialog.getByLabel('Find the other profile (handle, name or email address)').fill('zoe_face');
    const candidate = dialog.getByRole('radio');
    await candidate.first().waitFor();
    expect(await candidate.count()).toBe(1);
    // the hostile name is text in the list, never markup
    expect(await dialog.locator('.merge-candidates').textContent()).toContain('<img src=x onerror');
    await candidate.first().check();
    await dialog.getByLabel('Why are they the same person?').fill('said on Facebook that @zoe_public is them');
    // the other profile is linked to the CRM: the customer's consent for this one too. In a
    // message of theirs: only their replies after the consent question sent here are offered
    const theirMessage = dialog.getByLabel('Their message saying so');
    await expect.poll(async () => (await theirMessage.locator('option').allTextContents()).join(' | ')).toBe('Choose the message… | agrees: Yes, go ahead');
    await expect.poll(() => theirMessage.inputValue()).not.toBe('');
    await expect.poll(() => dialog.getByTestId('crm-consent-ask-state').textContent()).toMatch(/^Asked by Ada Admin, sent /);
    // (this time it was on a call)
    await dialog.getByLabel('They agreed on a call').check();
    await dialog.getByLabel('Call date and who took it').fill('on a call on 6 Dec with Ana, agreed both profiles are linked');
    await expect.poll(() => dialog.getByTestId('merge-confirm').textContent()).toContain('@zoe_facebook');
    await dialog.getByRole('button', { name: 'Merge', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    // the other profile under the customer, with its own Split
    await card.getByText('Also known as').waitFor();
    await card.getByRole('button', { name: /Split @zoe_facebook/ }).waitFor();
    expect(await card.textContent()).toContain('<img src=x onerror');
    // the merge on the conversation's activity, the other conversation among the past ones
    await eventually(async () => (await page.locator('.audit').textContent())?.includes('merged @zoe_facebook (Facebook) into this customer'), 'the merge in the activity');
    await card.locator('.past-link').first().waitFor();
    const db = desk.db.store.db;
    expect(Number((await db.selectFrom('conversation').select('contact_id').where('id', '=', other.conversationId).executeTakeFirstOrThrow()).contact_id)).toBe(first.contactId);
    await card.getByText('Linked to customer').waitFor();
  });

  it('shows the merge on every conversation of the customer, an older one too', async () => {
    const { page } = w;
    await openConversationAt(page, desk.url, older.conversationId);
    const card = page.locator('.author-card');
    await card.getByText('Merges and splits').waitFor();
    await eventually(async () => (await card.locator('.merge-history').textContent())?.includes('merged @zoe_facebook (Facebook) into this customer: “said on Facebook that @zoe_public is them”'), 'the merge in the older conversation\'s author card');
    // it was recorded on the customers' latest conversations: this one's activity does not have it
    expect(await page.locator('.audit').textContent()).not.toContain('merged @zoe_facebook');
    await openConversationAt(page, desk.url, first.conversationId);
    await card.getByText('Merges and splits').waitFor();
  });

  it('splits the profile off again', async () => {
    const { page } = w;
    const card = page.locator('.author-card');
    await card.getByRole('button', { name: /Split @zoe_facebook/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Split this profile off' });
    await dialog.getByLabel('Why (optional)').fill('a different Zoë');
    // the CRM link came with this profile's merge: removed in the same step, with a reason
    await dialog.getByLabel(/Also remove the CRM link to ZOE-CRM-1/).check();
    await dialog.getByLabel('Why the link is removed').fill('the link came with the wrong merge');
    await dialog.getByRole('button', { name: 'Split and remove the link', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await card.getByText('Also known as').waitFor({ state: 'detached' });
    await card.getByText('Not linked.').waitFor();
    const db = desk.db.store.db;
    expect(Number((await db.selectFrom('conversation').select('contact_id').where('id', '=', other.conversationId).executeTakeFirstOrThrow()).contact_id)).not.toBe(first.contactId);
    expect((await db.selectFrom('contact').select('crm_customer_id').where('id', '=', first.contactId).executeTakeFirstOrThrow()).crm_customer_id).toBeNull();
    await eventually(async () => (await card.locator('.merge-history').textContent())?.includes('split @zoe_facebook (Facebook) off'), 'the split in the author card');
    await eventually(async () => (await page.locator('.audit').textContent())?.includes('split @zoe_facebook (Facebook) off'), 'the split in the activity');
  });

  it('ran nothing from the hostile name', async () => {
    expect(w.dialogs).toEqual([]);
    expect(await w.page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(w.requests.filter((u) => originOf(u) !== originOf(desk.url))).toEqual([]);
    expect(w.errors).toEqual([]);
  });
});
