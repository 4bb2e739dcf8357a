/**
 * QA (helper l), in Chromium against a desk with an X account on XContractServer: X hides only
 * replies (in a conversation the brand's account started), and the server refuses hiding a post
 * that is no reply. The moderation dialog says so up front: for a plain mention "Hide" is shown
 * disabled with X's reason, as "Delete" is; for a reply it is offered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XContractServer } from '../contract-servers/x.js';
import { Client, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, moderationOptions, openConversationAt, signIn, type ModerationOption } from './browser.js';

let desk: TestDesk;
let server: XContractServer;
let admin: Client;
let guidelineId = 0;
let xId = 0;
const { open } = deskInBrowser((d) => (desk = d));


beforeAll(async () => {
  server = await XContractServer.start();
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  const r = await admin.post('/api/channel-accounts', { network: 'x', handle: server.brand.username, externalId: server.brand.id, credentials: server.credentials(), settings: { apiBaseUrl: server.url, requestTimeoutMs: 5000, pollDirectMessages: false } });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  xId = r.json.id;
  const g = await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.', allowedActions: ['hide', 'delete', 'block', 'mute'] });
  expect(g.status, JSON.stringify(g.json)).toBe(201);
  guidelineId = g.json.id;
});
afterAll(async () => server?.stop());

async function actionOptions(tweet: string): Promise<ModerationOption[]> {
  await desk.parley.services.sync.syncSoon(xId);
  await desk.parley.services.sync.runOnce();
  const row = await desk.db.store.db.selectFrom('message').select(['id', 'conversation_id']).where('network_message_id', '=', tweet).executeTakeFirstOrThrow();
  const w = await open();
  await signIn(w.page, desk.url, 'ana@acme.test');
  await openConversationAt(w.page, desk.url, Number(row.conversation_id));
  const options = await moderationOptions(w.page, Number(row.id));
  expect(w.errors).toEqual([]);
  return options;
}

describe('QA l: hiding on X in the moderation dialog', () => {
  it('shows Hide disabled with X\'s reason for a plain mention, and the server agrees', async () => {
    const tweet = await server.postMention(`@${server.brand.username} you are all useless, I know where your agent works`, { author: server.addUser({ username: 'plainmention' }) });
    const options = await actionOptions(tweet);
    const hide = options.find((o) => o.value === 'hide')!;
    expect(hide).toMatchObject({ disabled: true });
    expect(hide.text).toMatch(/not for this post: X hides only replies in a conversation the brand's account started/);
    // shown as Delete is: disabled, with the reason
    expect(options.find((o) => o.value === 'delete')).toMatchObject({ disabled: true });
    for (const a of ['block', 'mute']) expect(options.find((o) => o.value === a), a).toMatchObject({ disabled: false });
    // the dialog says what the server does
    const row = await desk.db.store.db.selectFrom('message').select(['id']).where('network_message_id', '=', tweet).executeTakeFirstOrThrow();
    const refused = await admin.post(`/api/messages/${row.id}/moderation`, { action: 'hide', guidelineId, evidence: 'threatens staff' });
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('moderation.unsupported');
    expect(server.tweet(tweet)!.hidden).toBe(false);
  });

  it('offers Hide for a reply in the brand\'s own thread', async () => {
    const root = await server.postMention('Our anvils are back in stock', { author: server.brand });
    const reply = await server.postMention(`@${server.brand.username} and your agent is an idiot`, { author: server.addUser({ username: 'replier' }), inReplyTo: root });
    const options = await actionOptions(reply);
    const hide = options.find((o) => o.value === 'hide')!;
    expect(hide).toMatchObject({ disabled: false });
    expect(hide.text).not.toMatch(/not for this post/);
  });
});
