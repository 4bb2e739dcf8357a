/**
 * QA (helper h), in Chromium at phone width (390×844) against a desk with an X account on
 * XContractServer: a listening hit with hostile text (markup, a right-to-left override,
 * zero-width and combining characters, 100 KB) renders as text, inert, without widening the
 * page; and the moderation dialog for a customer's X post shows "Delete" disabled with X's
 * reason (X deletes only the account's own posts) rather than offering what X refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XContractServer } from '../contract-servers/x.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, moderationOptions, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
let server: XContractServer;
let admin: Client;
let xId = 0;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  server = await XContractServer.start();
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  const r = await admin.post('/api/channel-accounts', { network: 'x', handle: server.brand.username, externalId: server.brand.id, credentials: server.credentials(), settings: { apiBaseUrl: server.url, requestTimeoutMs: 5000, pollDirectMessages: false, keywords: ['anvil'] } });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  xId = r.json.id;
  expect((await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.' })).status).toBe(201);
});
afterAll(async () => server?.stop());

describe('QA h: listening and moderation at phone width', () => {
  it('renders a hostile listening hit as inert text without widening the page', async () => {
    const hostile = `anvil <img src=x onerror="alert(1)"><script>alert(2)</script> \u202Egnp.exe\u202C a\u200Bn\u200Dv\u2060il Z\u0335\u0321\u0322\u0327\u0328\u0334\u0336\u0337\u0338\u0300\u0301\u0302\u0303\u0304\u0305 ${'x'.repeat(2000)} ${'long words '.repeat(9000)}`;
    expect(hostile.length).toBeGreaterThan(100_000 - 2000);
    const m = mention({ kind: 'listening', text: hostile.slice(0, 100_000) });
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const conversationId = r.json.outcomes[0].conversationId;

    const w = await open({ viewport: { width: 390, height: 844 } });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, conversationId);
    const text = w.page.locator('.msg-in .msg-text').first();
    await text.waitFor();
    expect(await text.innerText()).toContain('<img src=x onerror="alert(1)">');
    expect(await w.page.locator('.msg-in img[src="x"], .msg-in script').count()).toBe(0);
    // nothing is wider than the phone: the 2000-character word wraps
    const overflow = await w.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await text.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(w.dialogs).toEqual([]);
    expect(w.errors).toEqual([]);
  });

  it('shows Delete as not possible on X for a customer\'s post, with X\'s reason, and Hide too for a post that is no reply; block and mute stay', async () => {
    const tweet = await server.postMention(`@${server.brand.username} I know where your agent Sam lives`, { author: server.addUser({ username: 'wile' }) });
    await desk.parley.services.sync.runOnce();
    const row = await desk.db.store.db.selectFrom('message').select(['id', 'conversation_id']).where('network_message_id', '=', tweet).executeTakeFirstOrThrow();

    const w = await open({ viewport: { width: 390, height: 844 } });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, Number(row.conversation_id));
    const options = await moderationOptions(w.page, Number(row.id));
    const del = options.find((o) => o.value === 'delete')!;
    expect(del).toMatchObject({ disabled: true });
    expect(del.text).toMatch(/not on this network: X deletes only the account's own posts/);
    // X hides only replies: this post is none, so Hide is shown disabled with the reason too
    expect(options.find((o) => o.value === 'hide')).toMatchObject({ disabled: true, text: expect.stringMatching(/not for this post: X hides only replies/) });
    for (const a of ['block', 'mute']) expect(options.find((o) => o.value === a), a).toMatchObject({ disabled: false });
    expect(server.tweet(tweet)).toBeTruthy();
    expect(xId).toBeGreaterThan(0);
  });
});
