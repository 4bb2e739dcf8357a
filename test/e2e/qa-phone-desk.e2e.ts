/**
 * The agent's desk on a phone (390 x 844) and a laptop (1280 x 800), in a real browser
 * against a real desk (SQLite): an open incident's banner is one line on a phone ("More"
 * shows the rest), so the conversation's messages keep most of the screen; and a customer
 * is named the same in the inbox row and in the conversation's header (display name, else
 * @handle, an email address as it is); an assignment's confirmation says to whom, and a snooze's end is
 * said to the minute, with its zone (as a passkey's added and last-used times are).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedMessage } from '../../src/core/types.js';
import { createChannelAccount } from '../../src/commands/setup.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, openConversationAt, row, signIn } from './browser.js';
import { zoneLabel } from '../../web/src/lib/format.js';

let desk: TestDesk;
let admin: Client;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
});

async function ingest(messages: NormalizedMessage[], accountId = desk.accountId): Promise<number> {
  const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId as number;
}

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

describe('the desk on a phone', () => {
  it('names a customer the same in the inbox row and the header: display name, else @handle, an email address as it is', async () => {
    const at = Date.now() - 10 * 60_000;
    const named = await ingest([mention({ author: { networkUserId: `qa-named-${at}`, handle: 'dana_k', displayName: 'Dana K', followers: 3 }, text: '@AcmeCare named customer', createdAt: at })]);
    const handleOnly = await ingest([mention({ author: { networkUserId: `qa-handle-${at}`, handle: 'plainhandle', displayName: null, followers: 3 }, text: '@AcmeCare handle only', createdAt: at + 1000 })]);
    const mailbox = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'email', handle: 'care@acme.test', driver: 'demo' }, Date.now());
    const emailed = await ingest(
      [mention({ network: 'email', kind: 'dm', visibility: 'private', author: { networkUserId: 'jane.doe@example.com', handle: 'jane.doe@example.com', displayName: null }, text: 'My parcel never came', createdAt: at + 2000 })],
      mailbox,
    );
    const expected: [number, string, string | null][] = [
      [named, 'Dana K', '@dana_k'],
      [handleOnly, '@plainhandle', null],
      [emailed, 'jane.doe@example.com', null],
    ];
    for (const viewport of [LAPTOP, PHONE]) {
      const w = await open({ viewport });
      await signIn(w.page, desk.url, 'ana@acme.test');
      for (const [id, name, handle] of expected) {
        const what = `conversation ${id} at ${viewport.width} px`;
        await w.page.goto(`${desk.url}/inbox/all`);
        const r = row(w.page, id);
        expect(await r.locator('.row-name').textContent(), what).toBe(name);
        if (handle) expect(await r.locator('.row-handle').textContent(), what).toBe(handle);
        else expect(await r.locator('.row-handle').count(), what).toBe(0);
        await openConversationAt(w.page, desk.url, id);
        expect(await w.page.locator('.conversation .conv-title h2').textContent(), what).toBe(name);
      }
      expect(w.errors).toEqual([]);
    }
  });

  it('says whom a conversation was assigned to', async () => {
    const at = Date.now() - 20 * 60_000;
    const one = await ingest([mention({ text: '@AcmeCare assign me please', createdAt: at })]);
    const w = await open({ viewport: PHONE });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, one);
    await w.page.locator('.conv-actions').getByRole('button', { name: /^Assign/ }).click();
    await w.page.getByRole('option', { name: /Ben Agent/ }).click();
    await expect.poll(() => w.page.locator('.toasts').innerText()).toContain('Assigned to Ben Agent');
    expect(await w.page.locator('.toasts').innerText()).not.toContain(': done');
    await w.page.locator('.conv-actions').getByRole('button', { name: /^Assigned: Ben Agent/ }).click();
    await w.page.getByRole('option', { name: /Team: Care/ }).click();
    await expect.poll(() => w.page.locator('.toasts').innerText()).toContain('Assigned to the team Care');
    expect(w.errors).toEqual([]);
  });

  it('says until when a conversation is snoozed to the minute, without seconds', async () => {
    const one = await ingest([mention({ text: '@AcmeCare snooze me please', createdAt: Date.now() - 15 * 60_000 })]);
    const w = await open({ viewport: PHONE });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, one);
    await w.page.locator('.conv-actions').getByRole('button', { name: 'Snooze…' }).click();
    await w.page.getByRole('button', { name: 'Tomorrow 09:00' }).click();
    await expect.poll(() => w.page.locator('.toasts').innerText()).toContain('Snoozed until');
    const badge = w.page.locator('.conv-sub .badge', { hasText: 'Snoozed until' });
    await badge.waitFor();
    // the time the browser's locale writes for tomorrow 09:00 (en-GB), in the toast and the header,
    // with the zone it is in (the browser's, Europe/London: GMT or BST), as every absolute time of the desk
    const tomorrow9 = await w.page.evaluate(() => {
      const d = new Date();
      d.setDate(d.getDate() + 1);
      d.setHours(9, 0, 0, 0);
      return { text: d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }), at: d.getTime() };
    });
    const zone = zoneLabel(tomorrow9.at, 'Europe/London');
    expect(zone).toMatch(/^(GMT|BST)$/);
    const expected = `${tomorrow9.text} ${zone}`;
    expect(await w.page.locator('.toasts').innerText()).toContain(`Snoozed until ${expected}`);
    expect(await badge.innerText()).toBe(`Snoozed until ${expected}`);
    expect(await badge.innerText()).not.toMatch(/\d\d:\d\d:\d\d/);
    expect(w.errors).toEqual([]);
  });

  it('says when a passkey was added and last used with the zone of the time (GMT in winter, BST in summer)', async () => {
    // a passkey of Ana's as the desk stores it (the ceremony itself is test/e2e/passkeys.e2e.ts)
    await desk.db.store.db.insertInto('passkey').values({
      brand_id: desk.brandId, user_id: desk.users.ana, credential_id: 'qa-zone-credential', public_key: 'qa-zone-key', sign_count: 0, transports: '[]', name: 'Zone key',
      created_at: Date.parse('2026-12-07T10:47:42Z'), last_used_at: Date.parse('2027-07-07T10:47:42Z'),
    }).execute();
    const w = await open({ viewport: LAPTOP });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await w.page.getByRole('button', { name: /Your account/ }).click();
    await w.page.getByRole('button', { name: 'Passkeys…' }).click();
    const key = w.page.getByRole('dialog', { name: 'Passkeys' }).getByTestId('passkey-row').filter({ hasText: 'Zone key' });
    await key.waitFor();
    // the browser's zone (Europe/London, en-GB), as every absolute time of the desk (fullTime)
    const text = await key.innerText();
    expect(text).toMatch(/Added 7 Dec 2026,? 10:47:42 GMT · last used 7 Jul 2027,? 11:47:42 BST/);
    expect(w.errors).toEqual([]);
  });

  it('keeps an open incident’s banner to one line on a phone, so the messages keep most of the screen', async () => {
    const at = Date.now() - 30 * 60_000;
    const author = { networkUserId: `qa-phone-${at}`, handle: 'phonecustomer', displayName: 'Phone Customer', followers: 5 };
    const root = `qa-phone-root-${at}`;
    const id = await ingest([
      mention({ author, networkMessageId: root, text: '@AcmeCare checkout fails when I pay by card', createdAt: at }),
      ...[1, 2, 3].map((i) => mention({ author, kind: 'reply', inReplyToNetworkId: root, threadRootNetworkId: root, text: `@AcmeCare still failing, attempt ${i}`, createdAt: at + i * 60_000 })),
    ]);
    const inc = await admin.post('/api/incidents', { title: 'Checkout and payment pages fail for customers paying by card in every region', reason: 'Card payments fail at checkout since 01:00 for every customer in every region; the payment provider is looking into it' });
    expect(inc.status).toBe(201);

    for (const email of ['ana@acme.test', 'cleo@acme.test']) {
      const w = await open({ viewport: PHONE });
      await signIn(w.page, desk.url, email);
      await openConversationAt(w.page, desk.url, id);
      const banner = w.page.locator('.incident-banner');
      await banner.waitFor();
      const m = await w.page.evaluate(() => ({
        thread: document.querySelector('.conversation .thread')!.getBoundingClientRect().height,
        banner: document.querySelector('.incident-banner')!.getBoundingClientRect().height,
        viewport: window.innerHeight,
      }));
      // the messages keep a good part of the screen (written out in full, the banner left them about 80 px) ...
      expect(m.thread, email).toBeGreaterThanOrEqual(0.3 * m.viewport);
      // ... the banner being one line (the title), not the reason, the times and a lead's buttons
      expect(m.banner, email).toBeLessThanOrEqual(40);
      await expect.poll(() => banner.locator('.incident-reason').isVisible()).toBe(false);
      // "More" shows the rest, "Less" folds it again
      const more = w.page.locator('.incident-more');
      expect(await more.getAttribute('aria-expanded')).toBe('false');
      await w.page.getByRole('button', { name: 'More about the incident' }).click();
      expect(await more.getAttribute('aria-expanded')).toBe('true');
      expect(await banner.locator('.incident-reason').isVisible()).toBe(true);
      if (email === 'cleo@acme.test') expect(await banner.getByRole('button', { name: 'Close incident' }).isVisible()).toBe(true);
      await w.page.getByRole('button', { name: 'Less about the incident' }).click();
      expect(await banner.locator('.incident-reason').isVisible()).toBe(false);
      // the page does not scroll sideways
      expect(await w.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
      expect(w.errors).toEqual([]);
    }

    // a laptop shows the banner in full, and no toggle
    const wide = await open({ viewport: LAPTOP });
    await signIn(wide.page, desk.url, 'ana@acme.test');
    await openConversationAt(wide.page, desk.url, id);
    await wide.page.locator('.incident-banner .incident-reason').waitFor();
    expect(await wide.page.locator('.incident-banner .incident-reason').isVisible()).toBe(true);
    expect(await wide.page.locator('.incident-more').isVisible()).toBe(false);
    expect(await wide.page.getByRole('button', { name: 'More about the incident' }).count()).toBe(0);
    expect((await admin.post(`/api/incidents/${inc.json.id}/close`, {})).status).toBe(200);
  });
});
