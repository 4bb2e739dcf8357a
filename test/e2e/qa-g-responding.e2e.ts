/**
 * QA of responding well in a real browser on a phone (390 x 844), against a real desk (SQLite):
 * - a saved reply inserted "with the gaps marked" says what is still to fill in and cannot be
 *   sent until it is — the customer never gets "{{order.number}}";
 * - a long reply to a Mastodon customer on another instance, split into a thread, goes out
 *   whole: each part leaves room for the @acct Mastodon puts in front, so no part stops the
 *   thread half-way as too long.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createChannelAccount } from '../../src/commands/setup.js';
import type { NormalizedMessage } from '../../src/core/types.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, openConversationAt, screenshot, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
const { open } = deskInBrowser((d) => (desk = d));
const PHONE = { width: 390, height: 844 };

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
});

async function ingest(messages: NormalizedMessage[], accountId = desk.accountId): Promise<number> {
  const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId as number;
}
const outbound = (id: number) => desk.db.store.db.selectFrom('message').select(['text', 'status']).where('conversation_id', '=', id).where('direction', '=', 'outbound').orderBy('id').execute();

describe('responding well on a phone', () => {
  it('says what a saved reply still needs and does not send it with a gap', async () => {
    expect((await admin.post('/api/snippets', { shortcut: 'shipped', title: 'Order shipped', body: 'Hi {{customer.name}}, your order {{order.number}} left our depot today and arrives tomorrow.' })).status).toBe(201);
    const id = await ingest([mention({ author: { networkUserId: `qa-g-${Date.now()}`, handle: 'erin_e', displayName: 'Dr. Erin Example', followers: 5 }, text: '@AcmeCare where is my order?' })]);
    const w = await open({ viewport: PHONE });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, id);
    await w.page.getByRole('button', { name: 'Insert snippet…' }).click();
    await w.page.getByRole('button', { name: /Order shipped/ }).click();
    await w.page.getByRole('button', { name: 'Insert with the gaps marked' }).click();
    const box = w.page.locator('.composer-text');
    expect(await box.inputValue()).toBe('Hi Erin, your order {{order.number}} left our depot today and arrives tomorrow.');
    const gap = w.page.locator('[data-check="reply.unfilled_placeholder"]');
    await gap.waitFor({ timeout: 10_000 });
    expect(await gap.textContent()).toContain('Still to fill in: {{order.number}}');
    const send = w.page.getByRole('button', { name: 'Send reply' });
    expect(await send.isDisabled()).toBe(true);
    expect(await w.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(w.page, 'qa-g-snippet-gap-phone');
    expect(await outbound(id)).toHaveLength(0);
    // filled in, it goes
    await box.fill('Hi Erin, your order AB-1234 left our depot today and arrives tomorrow.');
    await eventually(async () => (await gap.count()) === 0 && !(await send.isDisabled()), 'the gap check gone and Send enabled');
    await send.click();
    await eventually(async () => (await outbound(id)).length === 1, 'the reply stored');
  });

  it('sends a long Mastodon reply to a remote customer as a whole thread', async () => {
    const masto = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'mastodon', handle: 'acme', driver: 'demo' }, Date.now());
    const acct = 'dana_from_the_long_instance_name@social.example.org';
    const id = await ingest([mention({ network: 'mastodon', author: { networkUserId: `qa-g-m-${Date.now()}`, handle: acct, displayName: 'Dana Doe', followers: 5 }, text: '@acme my order has not arrived' })], masto);
    const w = await open({ viewport: PHONE });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, id);
    const sentence = 'Hi Dana, we checked the order and the courier has it now, it arrives on Thursday before noon. ';
    await w.page.locator('.composer-text').fill(sentence.repeat(14).trim());
    await w.page.getByRole('button', { name: 'Split into a thread' }).click();
    const sendThread = w.page.getByRole('button', { name: /^Send thread of \d+$/ });
    const n = Number(/(\d+)$/.exec((await sendThread.textContent()) ?? '')![1]);
    expect(n).toBeGreaterThan(2);
    // every part's counter counts the @dana_from_the_long_instance_name put in front, and fits
    const counters = await w.page.locator('.thread-parts .counter').allTextContents();
    for (const c of counters) expect(Number(c.split('/')[0])).toBeLessThanOrEqual(500);
    expect(await w.page.locator('.thread-parts .counter.over').count()).toBe(0);
    await sendThread.click();
    // each part answers the one before once that is sent: the outbox sends as it goes
    await eventually(async () => {
      await desk.parley.services.outbox.runOnce();
      const out = await outbound(id);
      return out.length === n && out.every((m) => m.status === 'sent');
    }, `all ${n} parts sent`, 20_000, 250);
    expect(await w.page.locator('.composer .form-error').count()).toBe(0);
    expect((await outbound(id)).map((m) => m.text.endsWith(`/${n}`))).toEqual(Array(n).fill(true));
  });
});
