/**
 * QA polish of the agent's desk, in a real browser against a real desk (SQLite): signing out
 * makes no request that fails (no 401 from queries refetched as the session ends, nor from the
 * live connection); toasts never cover the composer on a phone; an email customer is named as
 * their address (no `@` before it) in the composer and the dialogs; and the inbox row and the
 * conversation's header name a customer without a contact the same way.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedMessage } from '../../src/core/types.js';
import { createChannelAccount } from '../../src/commands/setup.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, openConversationAt, signIn } from './browser.js';

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

describe('signing out', () => {
  it('makes no failed request: no 401 in the network log nor an error in the console', async () => {
    // some work on the desk, so the inbox, the notifications and the incidents are loaded
    const id = await ingest([mention({ text: '@AcmeCare sign-out check' })]);
    const inc = await admin.post('/api/incidents', { title: 'Sign-out check incident', reason: 'An incident so the incidents query is loaded' });
    expect(inc.status).toBe(201);
    for (let round = 0; round < 3; round++) {
      const w = await open();
      const failed: string[] = [];
      w.page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      await signIn(w.page, desk.url, 'ana@acme.test');
      await openConversationAt(w.page, desk.url, id);
      await w.page.getByRole('button', { name: 'Sign out' }).click();
      await w.page.waitForURL(/\/login/);
      await w.page.getByLabel('Email').waitFor();
      // whatever was racing the sign-out has had time to land
      await w.page.waitForTimeout(1500);
      expect(failed, `round ${round}`).toEqual([]);
      expect(w.consoleErrors, `round ${round}`).toEqual([]);
      expect(w.errors, `round ${round}`).toEqual([]);
    }
  });
});

/** Where two boxes overlap, in px² (0: apart). */
function overlap(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

describe('toasts', () => {
  it('never cover the composer (its counter, its Send button), on a phone or a laptop', async () => {
    for (const viewport of [PHONE, { width: 1280, height: 800 }]) {
      const id = await ingest([mention({ text: `@AcmeCare toast check at ${viewport.width}` })]);
      const w = await open({ viewport });
      await signIn(w.page, desk.url, 'ana@acme.test');
      await openConversationAt(w.page, desk.url, id);
      await w.page.locator('.composer-text').fill('Thanks, we are looking into it');
      // four confirmations (as many as are shown at once), the tallest stack of toasts
      const status = w.page.locator('.conv-actions').getByLabel('Status');
      for (const [i, next] of (['open', 'waiting', 'new', 'open'] as const).entries()) {
        await status.selectOption(next);
        await eventually(async () => (await w.page.locator('.toast').count()) >= i + 1, `toast ${i + 1} shown`);
      }
      const what = `at ${viewport.width} px`;
      const toasts = await w.page.locator('.toast').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
      expect(toasts.length, what).toBeGreaterThan(0);
      for (const sel of ['.composer-text', '.composer-foot .counter', '.composer-foot button.btn-primary', '.composer-foot']) {
        const box = await w.page.locator(sel).first().boundingBox();
        expect(box, `${sel} ${what}`).not.toBeNull();
        for (const t of toasts) expect(overlap(t, box!), `toast over ${sel} ${what}`).toBe(0);
      }
      // and the toasts are on the screen
      for (const t of toasts) {
        expect(t.y, what).toBeGreaterThanOrEqual(0);
        expect(t.y + t.height, what).toBeLessThanOrEqual(viewport.height);
      }
      expect(w.errors).toEqual([]);
    }
  });
});

describe('an email customer', () => {
  it('is written as their address, without an @ before it, in the composer and the triage dialog', async () => {
    const mailbox = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'email', handle: 'care@acme.test', driver: 'demo' }, Date.now());
    const id = await ingest(
      [mention({ network: 'email', kind: 'dm', visibility: 'private', author: { networkUserId: 'jane.doe@example.com', handle: 'jane.doe@example.com', displayName: null }, text: 'My parcel never came, please help' })],
      mailbox,
    );
    const w = await open({ viewport: { width: 1280, height: 800 } });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, id);
    const label = (await w.page.locator('.composer-label').innerText()).trim();
    expect(label).toContain('to jane.doe@example.com');
    expect(label).not.toContain('@jane');

    const msg = w.page.locator('article[data-message-id]', { hasText: 'My parcel never came' }).first();
    await msg.getByRole('button', { name: /^Why\?/ }).click();
    await msg.getByRole('button', { name: 'Correct triage…' }).click();
    const dialog = w.page.getByRole('dialog', { name: 'Correct triage' });
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toContain('Message from jane.doe@example.com');
    expect(text).not.toContain('@jane');
    expect(w.errors).toEqual([]);
  });
});

describe('a conversation without a contact', () => {
  it('is named the same in the inbox row (on loading the list) and in its header: its first author', async () => {
    const at = Date.now() - 5 * 60_000;
    const id = await ingest([mention({ author: { networkUserId: `qa-nocontact-${at}`, handle: 'no_contact_kim', displayName: null, followers: 2 }, text: '@AcmeCare answering your post', createdAt: at })]);
    // as a conversation on a brand's own post has none
    await desk.db.store.db.updateTable('conversation').set({ contact_id: null }).where('id', '=', id).execute();
    const w = await open({ viewport: { width: 1280, height: 800 } });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await w.page.goto(`${desk.url}/inbox/all`);
    const rowName = w.page.locator(`.conv-row[data-conversation-id="${id}"] .row-name`);
    await rowName.waitFor();
    expect(await rowName.textContent()).toBe('@no_contact_kim');
    await openConversationAt(w.page, desk.url, id);
    expect(await w.page.locator('.conversation .conv-title h2').textContent()).toBe('@no_contact_kim');
    expect(w.errors).toEqual([]);
  });
});
