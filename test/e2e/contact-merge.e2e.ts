/**
 * "Same person as…" in a real browser: from the author card an agent finds the customer's other
 * profile by handle, gives the reason and merges; the profile then shows under the customer with
 * a Split action, the merge on the conversation's activity; Split undoes it. Hostile display
 * names are shown as text throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createChannelAccount } from '../../src/commands/setup.js';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, originOf, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let w: WatchedPage;
const HOSTILE = 'Zoë <img src=x onerror="window.__pwned=1"> \u202Eexe';
let first = { conversationId: 0, contactId: 0 };
let other = { conversationId: 0, contactId: 0 };

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  const page = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'facebook', handle: 'AcmePage', driver: 'demo' }, Date.now());
  const admin = await Client.signIn(desk.url, 'admin@acme.test');
  const ingest = async (channelAccountId: number, m: ReturnType<typeof mention>) => {
    const r = await admin.post('/api/ingest/messages', { channelAccountId, messages: [m] });
    const conversationId = r.json.outcomes[0].conversationId as number;
    return { conversationId, contactId: (await admin.get(`/api/conversations/${conversationId}`)).json.contact.id as number };
  };
  first = await ingest(desk.accountId, mention({ text: '@AcmeCare my parcel 12 is late', author: { networkUserId: 'zoe-x', handle: 'zoe_public', displayName: 'Zoë Public', followers: 4 } }));
  other = await ingest(page, mention({ network: 'facebook', kind: 'comment', text: 'it is me, zoe_public on X, about parcel 12', author: { networkUserId: 'zoe-fb', handle: 'zoe_facebook', displayName: HOSTILE, followers: 2 } }));
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
  });

  it('splits the profile off again', async () => {
    const { page } = w;
    const card = page.locator('.author-card');
    await card.getByRole('button', { name: /Split @zoe_facebook/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Split this profile off' });
    await dialog.getByLabel('Why (optional)').fill('a different Zoë');
    await dialog.getByRole('button', { name: 'Split', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await card.getByText('Also known as').waitFor({ state: 'detached' });
    const db = desk.db.store.db;
    expect(Number((await db.selectFrom('conversation').select('contact_id').where('id', '=', other.conversationId).executeTakeFirstOrThrow()).contact_id)).not.toBe(first.contactId);
    await eventually(async () => (await page.locator('.audit').textContent())?.includes('split @zoe_facebook (Facebook) off'), 'the split in the activity');
  });

  it('ran nothing from the hostile name', async () => {
    expect(w.dialogs).toEqual([]);
    expect(await w.page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(w.requests.filter((u) => originOf(u) !== originOf(desk.url))).toEqual([]);
    expect(w.errors).toEqual([]);
  });
});
