/**
 * A post the network keeps but shows to no one (src/pipeline/deletions.ts
 * `applyNetworkVisibility`, as the deletion check records it), in the conversation view (a real
 * browser against a real desk, SQLite): the message carries a badge saying in plain words why,
 * live when the check marks it; the composer warns before a public reply into nothing (a warning:
 * sending stays possible) and offers the private reply where it still reaches the author; a reason
 * this UI does not know, hostile text included, is shown as text; and the marks go when the post
 * is shown again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { NetworkHiddenReason } from '../../src/channels/types.js';
import { applyNetworkVisibility } from '../../src/pipeline/deletions.js';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let w: WatchedPage;

async function ingest(text: string): Promise<{ conversationId: number; networkMessageId: string }> {
  const m = mention({ text, author: { networkUserId: `nh-${text.length}-${Date.now()}`, handle: 'hidden_author', displayName: 'Hidden Author', followers: 10 } });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.json.outcomes[0].status).toBe('stored');
  return { conversationId: r.json.outcomes[0].conversationId as number, networkMessageId: m.networkMessageId! };
}

/** What the deletion check records: hidden for `reason` (a string the UI may not know), or shown again. */
const mark = (networkMessageId: string, reason: string | null) =>
  applyNetworkVisibility({ store: desk.db.store, bus: desk.parley.services.bus, clock: { now: () => Date.now() } as never }, {
    brandId: desk.brandId, network: 'x', actor: 'system:sync:x',
    hidden: reason ? new Map([[networkMessageId, reason as NetworkHiddenReason]]) : new Map(), shown: reason ? [] : [networkMessageId],
  });

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  browser = await launchBrowser();
  w = await openPage(browser, { bypassCSP: true }); // axe is injected as a script
  await signIn(w.page, desk.url, 'ana@acme.test');
});

afterAll(async () => {
  await w?.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('a post hidden by the network', () => {
  it('shows a badge in words, live; the composer warns before a public reply and suggests a private one where it reaches the author; shown again, both go', async () => {
    const post = await ingest('@AcmeCare my order 7781 never arrived');
    await w.page.goto(`${desk.url}/inbox/open?c=${post.conversationId}`);
    const msg = w.page.locator('.msg-in').first();
    await msg.waitFor();
    const badge = msg.locator('.msg-network-hidden');
    const warning = w.page.locator('.composer-network-hidden');
    expect(await badge.count()).toBe(0);
    expect(await warning.count()).toBe(0);

    // the check finds the author suspended: the open conversation shows it without a reload
    expect((await mark(post.networkMessageId, 'author_suspended')).hidden).toHaveLength(1);
    await badge.waitFor();
    expect(await badge.textContent()).toBe('Hidden on X: the author\'s account is suspended by the brand\'s server');
    expect(await badge.getAttribute('role')).toBe('note');
    await warning.waitFor();
    expect(await warning.textContent()).toContain('A public reply would answer a post nobody else can see.');
    expect(await warning.textContent()).toContain('A private message would not reach its author either');
    // a warning, not a block: the reply can still be sent
    await w.page.locator('.composer-text').fill('Sorry to hear that, we are on it');
    expect(await w.page.getByRole('button', { name: 'Send reply' }).isEnabled()).toBe(true);
    // no warning for a private message or a note
    await w.page.getByRole('button', { name: 'Private message', exact: true }).click();
    expect(await warning.count()).toBe(0);
    await w.page.getByRole('button', { name: 'Public reply', exact: true }).click();
    await warning.waitFor();

    // a hidden comment: its author still gets a private reply, and the warning offers it
    await mark(post.networkMessageId, 'hidden_comment');
    await eventually(async () => ((await badge.textContent()) ?? '').includes('the comment is hidden'), 'the new reason');
    expect(await warning.textContent()).toContain('A private message still reaches its author');
    await warning.getByRole('button', { name: 'reply privately instead' }).click();
    expect(await w.page.getByRole('button', { name: 'Private message', exact: true }).getAttribute('aria-pressed')).toBe('true');
    expect(await warning.count()).toBe(0);
    await w.page.getByRole('button', { name: 'Public reply', exact: true }).click();

    const serious = await axeSerious(w.page);
    expect(serious, axeReport(serious)).toEqual([]);

    // shown again: the badge and the warning go
    expect((await mark(post.networkMessageId, null)).shown).toHaveLength(1);
    await eventually(async () => (await badge.count()) === 0 && (await warning.count()) === 0, 'the marks go');
    expect(w.errors).toEqual([]);
  });

  it('shows a reason it does not know, hostile text included, as text', async () => {
    const post = await ingest('@AcmeCare is anyone there?');
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    await mark(post.networkMessageId, hostile);
    await w.page.goto(`${desk.url}/inbox/open?c=${post.conversationId}`);
    const badge = w.page.locator('.msg-in .msg-network-hidden').first();
    await badge.waitFor();
    expect(await badge.textContent()).toContain('Hidden on X: the network gave the reason "<img src=x onerror=');
    const warning = w.page.locator('.composer-network-hidden');
    await warning.waitFor();
    expect(await warning.textContent()).toContain('<img src=x');
    expect(await w.page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(await w.page.locator('.msg-network-hidden img, .composer-network-hidden img, .msg-network-hidden script').count()).toBe(0);
    expect(w.dialogs).toEqual([]);
    expect(w.errors).toEqual([]);
  });

  it('says when the brand\'s own reply was removed on the network, keeping its text', async () => {
    const post = await ingest('@AcmeCare when do you open on Sunday?');
    const agent = await Client.signIn(desk.url, 'ana@acme.test');
    const r = await agent.post(`/api/conversations/${post.conversationId}/replies`, { text: '@hidden_author 10 to 4 on Sundays' });
    expect(r.status).toBe(202);
    const replyId = r.json.message.id as number;
    const sent = await eventually(async () => {
      const m = await desk.db.store.db.selectFrom('message').select(['status', 'network_message_id']).where('id', '=', replyId).executeTakeFirstOrThrow();
      return m.status === 'sent' && m.network_message_id ? m.network_message_id : null;
    }, 'the reply sent');
    await w.page.goto(`${desk.url}/inbox/all?c=${post.conversationId}`);
    const reply = w.page.locator(`[data-message-id="${replyId}"]`);
    await reply.waitFor();
    expect(await reply.locator('.msg-network-hidden').count()).toBe(0);
    // the network's moderators take it down: the badge comes live, the text stays
    await mark(sent!, 'post_taken_down');
    const badge = reply.locator('.msg-network-hidden');
    await badge.waitFor();
    expect(await badge.textContent()).toBe('Your reply was removed by X\'s moderators: the customer no longer sees it');
    expect(await reply.locator('.msg-text').textContent()).toContain('10 to 4 on Sundays');
    expect(w.errors).toEqual([]);
  });
});
