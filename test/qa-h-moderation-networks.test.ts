/**
 * QA (helper h): moderation on networks that cannot do an action to someone else's post.
 * X, Mastodon and Bluesky delete only the account's own posts (docs.x.com "Delete Post: if owned
 * by the authenticated user"; Mastodon "DELETE /api/v1/statuses/:id: delete one of your own
 * statuses"; atproto deleteRecord writes the account's own repo): moderation is only ever of
 * what customers post, so "delete" must be refused before asking, in words that say why and what
 * to do instead — not sent, failed at the network and logged as a failed delete. And a refusal
 * suggests recording an action as done on the network only for what can be recorded so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlueskyChannel } from '../src/channels/bluesky/index.js';
import { MastodonChannel } from '../src/channels/mastodon/index.js';
import type { ChannelAccountConfig } from '../src/channels/types.js';
import { XContractServer } from './contract-servers/x.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

describe('QA h: moderation where the network cannot act on others\' posts', () => {
  let desk: TestDesk;
  let server: XContractServer;
  let admin: Client;
  let ana: Client;
  let xId: number;
  let harassment: number;
  const db = () => desk.db.store.db;
  const evidence = 'Threatens a named member of staff at home.';

  beforeAll(async () => {
    server = await XContractServer.start();
    desk = await startDesk('sqlite', { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ana = await Client.signIn(desk.url, 'ana@acme.test');
    const r = await admin.post('/api/channel-accounts', { network: 'x', handle: server.brand.username, externalId: server.brand.id, credentials: server.credentials(), settings: { apiBaseUrl: server.url, requestTimeoutMs: 5000, pollDirectMessages: false } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    xId = r.json.id;
    harassment = (await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.' })).json.id;
  });
  afterAll(async () => {
    await desk?.stop();
    await server?.stop();
  });

  it('X: refuses to delete a customer\'s post before asking X, saying why and what to do instead; nothing logged as failed', async () => {
    const troll = server.addUser({ username: 'wile' });
    const tweet = await server.postMention(`@${server.brand.username} I will find your agent Sam at home`, { author: troll });
    await desk.parley.services.sync.runOnce();
    const m = await db().selectFrom('message').select(['id']).where('network_message_id', '=', tweet).executeTakeFirstOrThrow();

    const r = await ana.post(`/api/messages/${m.id}/moderation`, { action: 'delete', guidelineId: harassment, evidence });
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.json.code).toBe('moderation.unsupported');
    expect(r.json.detail).toMatch(/^X cannot delete here: X deletes only the account's own posts/);
    // the refusal does not send the moderator to record a delete as done on the network: that is refused too
    expect(r.json.detail).not.toMatch(/doneOnNetwork/);
    expect(server.tweet(tweet)).toBeTruthy();
    expect(await db().selectFrom('moderation_action').select('id').where('message_id', '=', m.id).execute()).toEqual([]);

    // the account list the UI reads says so too (the moderation dialog shows it instead of offering delete)
    const list = await admin.get('/api/channel-accounts');
    const x = list.json.items.find((a: { id: number }) => a.id === xId);
    expect(x.capabilities.delete).toEqual(expect.stringMatching(/own posts/));

    // what X can do to the author still works
    expect((await ana.post(`/api/messages/${m.id}/moderation`, { action: 'block', guidelineId: harassment, evidence })).json).toMatchObject({ status: 'done', action: 'block' });
  });

  it('X: refuses to hide a post that is no reply before asking X, and hides a reply in the brand\'s own thread', async () => {
    const troll = server.addUser({ username: 'roadrunner' });
    const standalone = await server.postMention(`@${server.brand.username} you lot are doxxing material, 221B Baker St`, { author: troll });
    const root = await server.postMention('Our anvils are back in stock', { author: server.brand });
    const reply = await server.postMention(`@${server.brand.username} here is Sam's home address: 221B Baker St`, { author: troll, inReplyTo: root });
    await desk.parley.services.sync.syncSoon(xId);
    await desk.parley.services.sync.runOnce();
    const idOf = async (n: string) => (await db().selectFrom('message').select('id').where('network_message_id', '=', n).executeTakeFirstOrThrow()).id;
    const body = { action: 'hide', guidelineId: harassment, evidence: 'Posts a member of staff\'s home address.' };

    const refused = await ana.post(`/api/messages/${await idOf(standalone)}/moderation`, body);
    expect(refused.status, JSON.stringify(refused.json)).toBe(400);
    expect(refused.json.code).toBe('moderation.unsupported');
    expect(refused.json.detail).toMatch(/^X cannot hide this post: X hides only replies in a conversation the brand's account started/);
    expect(server.tweet(standalone)!.hidden).toBe(false);
    expect(await db().selectFrom('moderation_action').select('id').where('message_id', '=', await idOf(standalone)).execute()).toEqual([]);

    const hidden = await ana.post(`/api/messages/${await idOf(reply)}/moderation`, body);
    expect(hidden.json).toMatchObject({ status: 'done', action: 'hide' });
    expect(server.tweet(reply)!.hidden).toBe(true);
  });

  it('Mastodon and Bluesky connectors say they delete only the account\'s own posts', () => {
    const acc = (network: 'mastodon' | 'bluesky', settings: Record<string, unknown>): ChannelAccountConfig =>
      ({ id: 1, brandId: 1, network, handle: 'acme', externalId: null, settings, credentials: {} }) as unknown as ChannelAccountConfig;
    const deps = { fetch: globalThis.fetch, now: () => Date.now() };
    const mastodon = new MastodonChannel(acc('mastodon', { instanceUrl: 'https://mastodon.example' }), deps);
    const bluesky = new BlueskyChannel(acc('bluesky', {}), deps);
    for (const c of [mastodon, bluesky]) expect(c.capabilities.delete, c.network).toEqual(expect.stringMatching(/own posts/));
  });
});
