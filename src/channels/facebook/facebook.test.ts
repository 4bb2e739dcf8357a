/**
 * The Facebook Pages connector against GraphContractServer (a local graph.facebook.com
 * faithful to Meta's documented Pages API, Messenger Send API and Page webhooks):
 *  - the shared channel contract, receiving by the signed webhook and by polling;
 *  - the webhook through Parley's real HTTP route (verification, bad signatures, redelivery);
 *  - a private reply to a comment and the customer's Messenger answer in one conversation;
 *  - visitor posts, moderation, Messenger windows, at-most-once and error mapping.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChannelContract, type ContractNetwork } from '../../../test/channel-contract.js';
import { GraphContractServer, type GraphWebhookDelivery } from '../../../test/contract-servers/graph.js';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { Client, startDesk, type TestDesk } from '../../../test/helpers/parley.js';
import { createBrand, createChannelAccount } from '../../commands/setup.js';
import type { Network, NormalizedMessage } from '../../core/types.js';
import { EventBus } from '../../events/bus.js';
import { systemClock } from '../../lib/clock.js';
import { SecretBox } from '../../lib/secrets.js';
import { enqueue, OutboxWorker } from '../../outbox/outbox.js';
import { IngestPipeline } from '../../pipeline/ingest.js';
import { encodeText } from '../../store/text.js';
import { ChannelRegistry } from '../registry.js';
import type { Channel, ChannelAccountConfig } from '../types.js';
import { createChannel } from './index.js';

const deps = { fetch: globalThis.fetch, now: () => Date.now() };

/** A local port nothing listens on (connection refused: the request certainly never left). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function accountFor(server: GraphContractServer, over: Partial<ChannelAccountConfig> = {}): ChannelAccountConfig {
  return {
    id: 1, brandId: 1, network: 'facebook', handle: server.page.name, externalId: server.page.id,
    credentials: server.credentials('facebook'), settings: { apiBaseUrl: server.url, requestTimeoutMs: 500 }, ...over,
  };
}

async function deliver(channel: Channel, batch: GraphWebhookDelivery[]): Promise<NormalizedMessage[]> {
  const out: NormalizedMessage[] = [];
  for (const d of batch) {
    const r = await channel.handleWebhook!({ method: 'POST', query: {}, headers: d.headers, rawBody: d.body });
    expect(r.response.status).toBe(200);
    out.push(...r.messages);
  }
  return out;
}

async function facebookNetwork(mode: 'webhook' | 'poll'): Promise<ContractNetwork> {
  const server = await GraphContractServer.start();
  const acc = accountFor(server);
  let cursor: string | null = null;
  let previous: string | null = null;
  let lastBatch: GraphWebhookDelivery[] = [];
  return {
    network: 'facebook',
    makeChannel: (a) => createChannel(a, deps),
    account: { handle: acc.handle, externalId: acc.externalId, credentials: acc.credentials, settings: acc.settings },
    postMention: (text) => server.fbComment(text),
    postPrivate: (text) => server.messengerDm(text),
    async receive(channel, opts) {
      if (mode === 'poll') {
        if (opts?.redeliver) cursor = previous;
        previous = cursor;
        const r = await channel.sync!(cursor);
        cursor = r.cursor ?? cursor;
        return r.messages;
      }
      const batch = opts?.redeliver ? lastBatch : server.takePending('page');
      if (!opts?.redeliver) lastBatch = batch;
      return deliver(channel, batch);
    },
    async readBack(id) {
      const c = server.comment(id);
      if (c) return { text: c.message, inReplyToNetworkId: c.parentId, visibility: 'public' };
      const m = server.message(id);
      return m ? { text: m.text, inReplyToNetworkId: null, visibility: 'private' } : null;
    },
    countPosts: async (text) => server.countBrandPosts(text),
    failNext: (m) => server.failNext(m),
    revokeAuth: () => server.revoke(),
    teardown: () => server.stop(),
  };
}

runChannelContract('facebook (Page webhook)', () => facebookNetwork('webhook'));
runChannelContract('facebook (polling: feed + conversations)', () => facebookNetwork('poll'));

async function snapshot(desk: TestDesk) {
  const db = desk.db.store.db;
  const count = async (t: 'message' | 'conversation' | 'quarantine' | 'contact_identity' | 'contact') => Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { messages: await count('message'), conversations: await count('conversation'), quarantine: await count('quarantine'), identities: await count('contact_identity'), contacts: await count('contact') };
}

describe('facebook webhook through the HTTP route', () => {
  let server: GraphContractServer;
  let desk: TestDesk;
  let hookUrl: string;

  beforeAll(async () => {
    server = await GraphContractServer.start();
    desk = await startDesk('sqlite', { workers: false });
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const r = await admin.post('/api/channel-accounts', { network: 'facebook', handle: server.page.name, externalId: server.page.id, credentials: server.credentials('facebook'), settings: { apiBaseUrl: server.url } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(JSON.stringify(r.json)).not.toContain(server.appSecret);
    hookUrl = `${desk.url}${new URL(r.json.webhookUrl, 'http://x').pathname}`;
    server.webhookUrls.page = hookUrl;
  });
  afterAll(async () => {
    await desk?.stop();
    await server?.stop();
  });

  it('answers Meta\'s verification with the challenge, and 403 to a wrong verify token', async () => {
    const ok = await server.verifyWebhook(hookUrl);
    expect(ok.ok, ok.body).toBe(true);
    const bad = await server.verifyWebhook(hookUrl, 'not-the-token');
    expect(bad.status).toBe(403);
    expect(bad.body).not.toContain('hub');
  });

  it('stores a signed comment delivery', async () => {
    const id = await server.fbComment('Where is my order? <img src=x onerror=alert(1)>');
    expect(server.delivered.at(-1)!.status).toBe(200);
    const row = await desk.db.store.db.selectFrom('message').selectAll().where('network_message_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ network: 'facebook', visibility: 'public', kind: 'comment', direction: 'inbound' });
    expect(row.text).toContain('<img src=x onerror=alert(1)>');
  });

  it('answers 401 to a wrong or missing signature and leaves the database unchanged', async () => {
    server.webhookUrls.page = null;
    await server.fbComment('forged comment');
    const [d] = server.takePending('page');
    server.webhookUrls.page = hookUrl;
    const before = await snapshot(desk);
    expect(await server.post({ ...d!, headers: { ...d!.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } }, hookUrl)).toBe(401);
    expect(await server.post({ ...d!, body: Buffer.from(d!.body.toString('utf8').replace('forged', 'tampered')) }, hookUrl)).toBe(401);
    expect(await server.post({ ...d!, headers: { 'content-type': 'application/json' } }, hookUrl)).toBe(401);
    // the legacy SHA-1 header alone is not accepted
    expect(await server.post({ ...d!, headers: { 'content-type': 'application/json', 'x-hub-signature': d!.headers['x-hub-signature']! } }, hookUrl)).toBe(401);
    expect(await snapshot(desk)).toEqual(before);
  });

  it('stores the same event delivered three times once', async () => {
    server.webhookUrls.page = null;
    const id = await server.fbComment('delivered thrice');
    const [d] = server.takePending('page');
    server.webhookUrls.page = hookUrl;
    for (let i = 0; i < 3; i++) expect(await server.post(d!, hookUrl)).toBe(200);
    expect(await desk.db.store.db.selectFrom('message').select('id').where('network_message_id', '=', id).execute()).toHaveLength(1);
  });

  it('stores Messenger messages as private, and ignores entries for other Pages of the same app', async () => {
    const id = await server.messengerDm('I need to change my address');
    const row = await desk.db.store.db.selectFrom('message').selectAll().where('network_message_id', '=', id).executeTakeFirstOrThrow();
    expect(row.visibility).toBe('private');
    const before = await snapshot(desk);
    const body = Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: '999', time: Date.now(), messaging: [{ sender: { id: '1' }, recipient: { id: '999' }, timestamp: Date.now(), message: { mid: 'm_other', text: 'not for this page' } }] }] }));
    expect(await server.post({ object: 'page', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': server.sign(body) } }, hookUrl)).toBe(200);
    expect(await snapshot(desk)).toEqual(before);
  });
});

/** A real pipeline and outbox on SQLite around one channel, for end-to-end conversation checks. */
async function deskHarness(network: Network, channel: Channel, account: Omit<ChannelAccountConfig, 'id' | 'brandId' | 'network'>) {
  const db: TestDatabase = await createTestDatabase('sqlite');
  const secrets = new SecretBox('harness-secret-0123456789abcdef0123');
  const now = Date.now();
  const brandId = await createBrand(db.store.db, { slug: `h-${network}`, name: 'Harness' }, now);
  const accountId = await createChannelAccount(db.store.db, { brandId, network, handle: account.handle, externalId: account.externalId, settings: account.settings, credentials: secrets.seal(account.credentials) }, now);
  const bus = new EventBus();
  const pipeline = new IngestPipeline({ store: db.store, bus, clock: systemClock });
  const registry = new ChannelRegistry(db.store, secrets, deps);
  registry.register(network, () => channel);
  const outbox = new OutboxWorker({ store: db.store, bus, clock: systemClock, registry, lockMs: 1 });
  const ingest = (msgs: NormalizedMessage[]) => pipeline.ingest(brandId, msgs.map((message) => ({ channelAccountId: accountId, message, source: 'network' as const })));
  async function reply(replyTo: number, text: string, visibility: 'public' | 'private') {
    const t = Date.now();
    const parent = await db.store.db.selectFrom('message').selectAll().where('id', '=', replyTo).executeTakeFirstOrThrow();
    const msg = await db.store.db.transaction().execute(async (trx) => {
      const e = encodeText(text);
      const m = await trx.insertInto('message').values({
        brand_id: brandId, conversation_id: parent.conversation_id, channel_account_id: accountId, network, network_message_id: null, direction: 'outbound', visibility,
        kind: visibility === 'private' ? 'dm' : 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: parent.network_message_id, thread_root_network_id: parent.thread_root_network_id,
        reply_to_message_id: parent.id, text: e.text, text_escaped: e.escaped, url: null, created_at: t, received_at: t, raw: null, status: 'queued', error: null, is_auto: 0, source: 'agent', idempotency_key: null,
      }).returningAll().executeTakeFirstOrThrow();
      await enqueue(trx, m, t);
      return m;
    });
    await outbox.runOnce();
    return db.store.db.selectFrom('message').selectAll().where('id', '=', msg.id).executeTakeFirstOrThrow();
  }
  const byNetworkId = (id: string) => db.store.db.selectFrom('message').selectAll().where('network_message_id', '=', id).executeTakeFirstOrThrow();
  return { db, ingest, reply, byNetworkId, stop: () => db.drop() };
}

describe('facebook private replies', () => {
  let server: GraphContractServer;
  let channel: Channel;
  let h: Awaited<ReturnType<typeof deskHarness>>;
  beforeAll(async () => {
    server = await GraphContractServer.start();
    const acc = accountFor(server);
    channel = createChannel(acc, deps);
    h = await deskHarness('facebook', channel, acc);
  });
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
  });

  it('a private reply to a comment, and the customer\'s Messenger answer, stay in the comment\'s conversation', async () => {
    const customer = server.addFbUser('Priya Patel');
    const commentId = await server.fbComment('My card was charged twice, order 1234', { author: customer });
    const [stored] = await h.ingest(await deliver(channel, server.takePending('page')));
    expect(stored!.status).toBe('stored');
    const comment = await h.byNetworkId(commentId);

    const sent = await h.reply(comment.id, 'Sorry about that! Could you send us the card\'s last 4 digits here?', 'private');
    expect(sent.status, sent.error ?? '').toBe('sent');
    expect(sent.conversation_id).toBe(comment.conversation_id);
    const dm = server.message(sent.network_message_id!)!;
    expect(dm.conversation.userId).toBe(customer.psid); // Messenger uses the page-scoped id, not the comment's user id
    expect(server.comment(commentId)!.privateReplyConversation).toBe(dm.conversation.id);

    // the customer answers in Messenger: the webhook's sender is the PSID, tied to our private reply
    const answerId = await server.messengerDm('It ends in 4242', customer);
    const msgs = await deliver(channel, server.takePending('page'));
    const answer = msgs.find((m) => m.networkMessageId === answerId)!;
    expect(answer.inReplyToNetworkId).toBe(sent.network_message_id);
    await h.ingest(msgs);
    expect((await h.byNetworkId(answerId)).conversation_id).toBe(comment.conversation_id);

    // only one private reply per comment: a second is refused for this reply, the account stays fine
    await expect(channel.sendPrivateMessage!({ idempotencyKey: 'pr2', text: 'again', visibility: 'private', inReplyTo: { networkMessageId: commentId } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    // findSent recognises the private reply through the comment's private_reply_conversation
    const found = await channel.findSent!({ idempotencyKey: 'pr1', text: 'Sorry about that! Could you send us the card\'s last 4 digits here?', visibility: 'private', inReplyTo: { networkMessageId: commentId } });
    expect(found?.networkMessageId).toBe(sent.network_message_id);
  });

  it('polling ties a Messenger answer to the Page\'s previous message too', async () => {
    const customer = server.addFbUser('Tom');
    const commentId = await server.fbComment('Is the store open on Sunday?', { author: customer });
    server.takePending();
    const first = await channel.sync!(null);
    await h.ingest(first.messages);
    const comment = await h.byNetworkId(commentId);
    const sent = await h.reply(comment.id, 'Yes, 10 to 4. Anything else?', 'private');
    expect(sent.status, sent.error ?? '').toBe('sent');
    const answerId = await server.messengerDm('Great, thanks!', customer);
    server.takePending();
    const next = await channel.sync!(first.cursor);
    const answer = next.messages.find((m) => m.networkMessageId === answerId)!;
    expect(answer.inReplyToNetworkId).toBe(sent.network_message_id);
    await h.ingest(next.messages);
    expect((await h.byNetworkId(answerId)).conversation_id).toBe(comment.conversation_id);
  });
});

describe('facebook connector behaviour', () => {
  let server: GraphContractServer;
  let channel: Channel;
  beforeAll(async () => {
    server = await GraphContractServer.start();
    channel = createChannel(accountFor(server), deps);
  });
  afterAll(async () => server?.stop());

  it('ingests visitor posts and replies under them, never the Page\'s own posts', async () => {
    const postId = await server.fbVisitorPost('Visitor post: the app crashes on login');
    const reply = await server.fbComment('same here', { postId });
    server.pagePost('Brand announcement');
    const msgs = await deliver(channel, server.takePending('page'));
    expect(msgs.map((m) => [m.networkMessageId, m.kind])).toEqual([[postId, 'post'], [reply, 'comment']]);
    expect(msgs[1]).toMatchObject({ inReplyToNetworkId: postId, threadRootNetworkId: postId });
    const polled = await channel.sync!(null);
    expect(polled.messages.some((m) => m.networkMessageId === postId && m.kind === 'post')).toBe(true);
    expect(polled.messages.some((m) => m.text === 'Brand announcement')).toBe(false);
    // a public answer under the visitor post, and a private reply to the visitor (recipient post_id)
    const pub = await channel.sendPublicReply({ idempotencyKey: 'vp', text: 'Fix is rolling out', visibility: 'public', inReplyTo: { networkMessageId: postId } });
    expect(server.comment(pub.networkMessageId)!.postId).toBe(postId);
    const priv = await channel.sendPrivateMessage!({ idempotencyKey: 'vpp', text: 'DMing you the details', visibility: 'private', inReplyTo: { networkMessageId: postId } });
    expect(server.message(priv.networkMessageId)!.conversation.platform).toBe('messenger');
  });

  it('hides, unhides, deletes, likes comments and bans people from the Page', async () => {
    const troll = server.addFbUser('Troll');
    const id = await server.fbComment('buy followers at spam.example', { author: troll });
    await channel.hide!(id, true);
    expect(server.comment(id)!.hidden).toBe(true);
    await channel.hide!(id, false);
    expect(server.comment(id)!.hidden).toBe(false);
    await channel.like!(id);
    expect(server.comment(id)!.likes).toBe(1);
    await channel.block!({ networkUserId: troll.id, handle: 'Troll' });
    expect(server.isBlocked(troll.id)).toBe(true);
    await channel.unblock!({ networkUserId: troll.id, handle: 'Troll' });
    expect(server.isBlocked(troll.id)).toBe(false);
    await channel.delete!(id);
    expect(server.comment(id)).toBeUndefined();
    await expect(channel.hide!(id, true)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await channel.fetchProfile!(server.addFbUser('Ada Lovelace').psid)).toMatchObject({ displayName: 'Ada Lovelace' });
  });

  it('answers Messenger within 24 hours, refuses after it, and uses the HUMAN_AGENT tag when enabled', async () => {
    const u = server.addFbUser('Late');
    const dmId = await server.messengerDm('hello?', u);
    const [inbound] = (await deliver(channel, server.takePending('page'))).filter((m) => m.networkMessageId === dmId);
    server.age(dmId, 30 * 3_600_000);
    const raw = { ...(inbound!.raw as object), timestamp: Date.now() - 30 * 3_600_000 };
    const req = { idempotencyKey: 'late', text: 'Sorry for the wait', visibility: 'private' as const, inReplyTo: { networkMessageId: dmId, raw }, recipient: { networkUserId: u.psid, handle: u.psid } };
    await expect(channel.sendPrivateMessage!(req)).rejects.toMatchObject({ code: 'INVALID_REQUEST' }); // not PERMISSION_DENIED: the account is fine
    const tagged = createChannel(accountFor(server, { settings: { apiBaseUrl: server.url, humanAgentTag: true } }), deps);
    const sent = await tagged.sendPrivateMessage!(req);
    expect(server.requests.at(-1)!.status).toBe(200);
    expect(server.message(sent.networkMessageId)!.text).toBe('Sorry for the wait');
    expect((await tagged.findSent!(req))?.networkMessageId).toBe(sent.networkMessageId);
  });

  it('maps Graph errors to channel error codes', async () => {
    const id = await server.fbComment('errors please');
    const send = (t: string) => channel.sendPublicReply({ idempotencyKey: t, text: t, visibility: 'public', inReplyTo: { networkMessageId: id } }).then(() => null, (e) => e);
    server.failNext('rate_limit');
    const rl = await send('rl');
    expect(rl.code).toBe('RATE_LIMITED');
    expect(Math.abs(rl.opts.retryAt - (Date.now() + 60_000))).toBeLessThan(2000); // estimated_time_to_regain_access: 1 minute
    server.failNext('server_error');
    expect((await send('se')).code).toBe('TIMEOUT'); // a write answered 5xx may have been applied
    server.failNext('server_error', 'read');
    expect((await channel.sync!(null).catch((e) => e)).code).toBe('TEMPORARY');
    server.failNext('auth_revoked');
    expect((await send('ar')).code).toBe('AUTH_REVOKED');
    expect((await channel.sendPublicReply({ idempotencyKey: 'nf', text: 'x', visibility: 'public', inReplyTo: { networkMessageId: '1_2' } }).catch((e) => e)).code).toBe('NOT_FOUND');
    expect((await channel.sync!('{"v":9}').catch((e) => e)).code).toBe('CURSOR_INVALID');
    const wrongSecret = createChannel(accountFor(server, { credentials: { ...server.credentials('facebook'), appSecret: 'wrong' } }), deps);
    expect((await wrongSecret.sync!(null).catch((e) => e)).code).toBe('AUTH_REVOKED'); // invalid appsecret_proof
    const noToken = createChannel(accountFor(server, { credentials: {} }), deps);
    expect((await noToken.sync!(null).catch((e) => e)).code).toBe('AUTH_REVOKED');
    const dead = createChannel(accountFor(server, { settings: { apiBaseUrl: `http://127.0.0.1:${await closedPort()}` } }), deps);
    expect((await dead.sendPublicReply({ idempotencyKey: 'd', text: 'x', visibility: 'public', inReplyTo: { networkMessageId: id } }).catch((e) => e)).code).toBe('TEMPORARY');
  });

  it('refuses what Facebook cannot do, with a reason', async () => {
    expect(typeof channel.capabilities.mute).toBe('string');
    await expect(channel.sendPublicReply({ idempotencyKey: 'np', text: 'a new post', visibility: 'public' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(channel.sendPublicReply({ idempotencyKey: 'dm', text: 'x', visibility: 'public', inReplyTo: { networkMessageId: 'm_abc' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
