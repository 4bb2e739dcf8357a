/**
 * The Instagram connector against GraphContractServer (Instagram API with Facebook Login,
 * Instagram webhooks, Messenger Platform for Instagram through the linked Page):
 *  - the shared channel contract, receiving by the signed webhook and by polling;
 *  - the webhook through Parley's real HTTP route (verification, bad signatures, redelivery);
 *  - a private reply to a comment and the customer's DM answer in one conversation;
 *  - @mentions, moderation, capabilities without a linked Page, normalization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChannelContract, type ContractNetwork } from '../../../test/channel-contract.js';
import { GraphContractServer, type GraphWebhookDelivery } from '../../../test/contract-servers/graph.js';
import { createTestDatabase } from '../../../test/db.js';
import { Client, startDesk, type TestDesk } from '../../../test/helpers/parley.js';
import { createBrand, createChannelAccount } from '../../commands/setup.js';
import type { NormalizedMessage } from '../../core/types.js';
import { EventBus } from '../../events/bus.js';
import { systemClock } from '../../lib/clock.js';
import { SecretBox } from '../../lib/secrets.js';
import { enqueue, OutboxWorker } from '../../outbox/outbox.js';
import { IngestPipeline } from '../../pipeline/ingest.js';
import { validateMessage } from '../../pipeline/validate.js';
import { encodeText } from '../../store/text.js';
import { ChannelRegistry } from '../registry.js';
import type { Channel, ChannelAccountConfig } from '../types.js';
import { createChannel } from './index.js';
import { normalizeIgCommentChange, normalizeIgMention, normalizeIgPolledComment } from './normalize.js';

const deps = { fetch: globalThis.fetch, now: () => Date.now() };

function accountFor(server: GraphContractServer, over: Partial<ChannelAccountConfig> = {}): ChannelAccountConfig {
  return {
    id: 1, brandId: 1, network: 'instagram', handle: server.ig.username, externalId: server.ig.id,
    credentials: server.credentials('instagram'), settings: { apiBaseUrl: server.url, requestTimeoutMs: 500, pageId: server.page.id }, ...over,
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

async function instagramNetwork(mode: 'webhook' | 'poll'): Promise<ContractNetwork> {
  const server = await GraphContractServer.start();
  const acc = accountFor(server);
  let cursor: string | null = null;
  let previous: string | null = null;
  let lastBatch: GraphWebhookDelivery[] = [];
  return {
    network: 'instagram',
    makeChannel: (a) => createChannel(a, deps),
    account: { handle: acc.handle, externalId: acc.externalId, credentials: acc.credentials, settings: acc.settings },
    postMention: (text) => server.igComment(text),
    postPrivate: (text) => server.igDm(text),
    async receive(channel, opts) {
      if (mode === 'poll') {
        if (opts?.redeliver) cursor = previous;
        previous = cursor;
        const r = await channel.sync!(cursor);
        cursor = r.cursor ?? cursor;
        return r.messages;
      }
      const batch = opts?.redeliver ? lastBatch : server.takePending('instagram');
      if (!opts?.redeliver) lastBatch = batch;
      return deliver(channel, batch);
    },
    async readBack(id) {
      const c = server.igCommentById(id);
      if (c) return { text: c.text, inReplyToNetworkId: c.parentId, visibility: 'public' };
      const m = server.message(id);
      return m ? { text: m.text, inReplyToNetworkId: null, visibility: 'private' } : null;
    },
    countPosts: async (text) => server.countBrandPosts(text),
    failNext: (m) => server.failNext(m),
    revokeAuth: () => server.revoke(),
    teardown: () => server.stop(),
  };
}

runChannelContract('instagram (webhook)', () => instagramNetwork('webhook'));
runChannelContract('instagram (polling: media comments + conversations)', () => instagramNetwork('poll'));

async function snapshot(desk: TestDesk) {
  const db = desk.db.store.db;
  const count = async (t: 'message' | 'conversation' | 'quarantine' | 'contact_identity' | 'contact') => Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { messages: await count('message'), conversations: await count('conversation'), quarantine: await count('quarantine'), identities: await count('contact_identity'), contacts: await count('contact') };
}

describe('instagram webhook through the HTTP route', () => {
  let server: GraphContractServer;
  let desk: TestDesk;
  let hookUrl: string;

  beforeAll(async () => {
    server = await GraphContractServer.start();
    desk = await startDesk('sqlite', { workers: false });
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const r = await admin.post('/api/channel-accounts', { network: 'instagram', handle: server.ig.username, externalId: server.ig.id, credentials: server.credentials('instagram'), settings: { apiBaseUrl: server.url, pageId: server.page.id } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    hookUrl = `${desk.url}${new URL(r.json.webhookUrl, 'http://x').pathname}`;
    server.webhookUrls.instagram = hookUrl;
  });
  afterAll(async () => {
    await desk?.stop();
    await server?.stop();
  });

  it('answers Meta\'s verification with the challenge, and 403 to a wrong verify token', async () => {
    expect((await server.verifyWebhook(hookUrl)).ok).toBe(true);
    expect((await server.verifyWebhook(hookUrl, 'nope')).status).toBe(403);
  });

  it('stores comments, @mentions (read back from Graph) and DMs from signed deliveries', async () => {
    const c = await server.igComment('Does this come in blue? 💙 <b>');
    const mention = await server.igMention('@acmecare my parcel never came');
    const dm = await server.igDm('Order #991 is missing a part');
    const rows = await desk.db.store.db.selectFrom('message').selectAll().where('network_message_id', 'in', [c, mention, dm]).execute();
    const by = new Map(rows.map((r) => [r.network_message_id, r]));
    expect(by.get(c)).toMatchObject({ kind: 'comment', visibility: 'public' });
    expect(by.get(c)!.text).toBe('Does this come in blue? 💙 <b>');
    expect(by.get(mention)).toMatchObject({ kind: 'mention', visibility: 'public', text: '@acmecare my parcel never came' });
    expect(by.get(dm)).toMatchObject({ kind: 'dm', visibility: 'private' });
  });

  it('answers 401 to a wrong or missing signature and leaves the database unchanged', async () => {
    server.webhookUrls.instagram = null;
    await server.igComment('forged ig comment');
    const [d] = server.takePending('instagram');
    server.webhookUrls.instagram = hookUrl;
    const before = await snapshot(desk);
    expect(await server.post({ ...d!, headers: { ...d!.headers, 'x-hub-signature-256': server.sign('something else') } }, hookUrl)).toBe(401);
    expect(await server.post({ ...d!, headers: { 'content-type': 'application/json' } }, hookUrl)).toBe(401);
    expect(await snapshot(desk)).toEqual(before);
  });

  it('stores the same event delivered three times once', async () => {
    server.webhookUrls.instagram = null;
    const id = await server.igComment('thrice');
    const [d] = server.takePending('instagram');
    server.webhookUrls.instagram = hookUrl;
    for (let i = 0; i < 3; i++) expect(await server.post(d!, hookUrl)).toBe(200);
    expect(await desk.db.store.db.selectFrom('message').select('id').where('network_message_id', '=', id).execute()).toHaveLength(1);
  });
});

describe('instagram private replies and mentions', () => {
  let server: GraphContractServer;
  let channel: Channel;
  let stop: () => Promise<void>;
  let ingest: (m: NormalizedMessage[]) => Promise<unknown>;
  let reply: (replyTo: number, text: string, visibility: 'public' | 'private') => Promise<any>;
  let byNetworkId: (id: string) => Promise<any>;

  beforeAll(async () => {
    server = await GraphContractServer.start();
    const acc = accountFor(server);
    channel = createChannel(acc, deps);
    // a real pipeline and outbox on SQLite around the channel
    const db = await createTestDatabase('sqlite');
    const secrets = new SecretBox('harness-secret-0123456789abcdef0123');
    const now = Date.now();
    const brandId = await createBrand(db.store.db, { slug: 'ig', name: 'IG' }, now);
    const accountId = await createChannelAccount(db.store.db, { brandId, network: 'instagram', handle: acc.handle, externalId: acc.externalId, settings: acc.settings, credentials: secrets.seal(acc.credentials) }, now);
    const bus = new EventBus();
    const pipeline = new IngestPipeline({ store: db.store, bus, clock: systemClock });
    const registry = new ChannelRegistry(db.store, secrets, deps);
    registry.register('instagram', () => channel);
    const outbox = new OutboxWorker({ store: db.store, bus, clock: systemClock, registry, lockMs: 1 });
    ingest = (msgs) => pipeline.ingest(brandId, msgs.map((message) => ({ channelAccountId: accountId, message, source: 'network' as const })));
    byNetworkId = (id) => db.store.db.selectFrom('message').selectAll().where('network_message_id', '=', id).executeTakeFirstOrThrow();
    reply = async (replyTo, text, visibility) => {
      const t = Date.now();
      const parent = await db.store.db.selectFrom('message').selectAll().where('id', '=', replyTo).executeTakeFirstOrThrow();
      const m = await db.store.db.transaction().execute(async (trx) => {
        const e = encodeText(text);
        const row = await trx.insertInto('message').values({
          brand_id: brandId, conversation_id: parent.conversation_id, channel_account_id: accountId, network: 'instagram', network_message_id: null, direction: 'outbound', visibility,
          kind: visibility === 'private' ? 'dm' : 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: parent.network_message_id, thread_root_network_id: parent.thread_root_network_id,
          reply_to_message_id: parent.id, text: e.text, text_escaped: e.escaped, url: null, created_at: t, received_at: t, raw: null, status: 'queued', error: null, is_auto: 0, source: 'agent', idempotency_key: null,
        }).returningAll().executeTakeFirstOrThrow();
        await enqueue(trx, row, t);
        return row;
      });
      await outbox.runOnce();
      return db.store.db.selectFrom('message').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow();
    };
    stop = () => db.drop();
  });
  afterAll(async () => {
    await stop?.();
    await server?.stop();
  });

  it('a private reply to a comment, and the customer\'s DM answer, stay in the comment\'s conversation', async () => {
    const customer = server.addIgUser('sam.shops');
    const commentId = await server.igComment('My order arrived broken', { author: customer });
    await ingest(await deliver(channel, server.takePending('instagram')));
    const comment = await byNetworkId(commentId);
    const sent = await reply(comment.id, 'So sorry! Sending you a DM to sort it out.', 'private');
    expect(sent.status, sent.error ?? '').toBe('sent');
    expect(server.message(sent.network_message_id)!.conversation.userId).toBe(customer.id);
    const answerId = await server.igDm('Thanks, photo attached', customer);
    const msgs = await deliver(channel, server.takePending('instagram'));
    expect(msgs.find((m) => m.networkMessageId === answerId)!.inReplyToNetworkId).toBe(sent.network_message_id);
    await ingest(msgs);
    expect((await byNetworkId(answerId)).conversation_id).toBe(comment.conversation_id);
    // Instagram allows one private reply per comment
    await expect(channel.sendPrivateMessage!({ idempotencyKey: 'again', text: 'again', visibility: 'private', inReplyTo: { networkMessageId: commentId } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await channel.findSent!({ idempotencyKey: 'x', text: 'So sorry! Sending you a DM to sort it out.', visibility: 'private', inReplyTo: { networkMessageId: commentId }, recipient: { networkUserId: customer.id, handle: customer.username } }))?.networkMessageId).toBe(sent.network_message_id);
  });

  it('answers an @mention on someone else\'s media through the mentions edge', async () => {
    const mentionId = await server.igMention('@acmecare is this legit?');
    const msgs = await deliver(channel, server.takePending('instagram'));
    const m = msgs.find((x) => x.networkMessageId === mentionId)!;
    expect(m).toMatchObject({ kind: 'mention', text: '@acmecare is this legit?' });
    expect(m.author.networkUserId).toBeTruthy();
    await ingest(msgs);
    const stored = await byNetworkId(mentionId);
    const sent = await reply(stored.id, 'Yes, that is our official shop!', 'public');
    expect(sent.status, sent.error ?? '').toBe('sent');
    const r = server.igCommentById(sent.network_message_id)!;
    expect(r.parentId).toBe(mentionId);
    expect(server.requests.some((q) => q.method === 'POST' && q.path.endsWith(`/${server.ig.id}/mentions`))).toBe(true);
  });

  it('hides, unhides and deletes comments; says why it cannot block, mute or like', async () => {
    const id = await server.igComment('spam spam spam');
    await channel.hide!(id, true);
    expect(server.igCommentById(id)!.hidden).toBe(true);
    await channel.hide!(id, false);
    expect(server.igCommentById(id)!.hidden).toBe(false);
    await channel.delete!(id);
    expect(server.igCommentById(id)).toBeUndefined();
    for (const cap of ['block', 'mute', 'like'] as const) expect(channel.capabilities[cap]).toMatch(/Instagram/);
    expect(channel.block).toBeUndefined();
    expect(await channel.fetchProfile!(server.addIgUser('profile.me', 321).id)).toMatchObject({ handle: 'profile.me', followers: 321 });
  });

  it('without a linked Page: comments work, messaging says what is missing', async () => {
    const noPage = createChannel(accountFor(server, { settings: { apiBaseUrl: server.url } }), deps);
    expect(noPage.capabilities.privateMessage).toMatch(/pageId/);
    await expect(noPage.sendPrivateMessage!({ idempotencyKey: 'np', text: 'hi', visibility: 'private', recipient: { networkUserId: '1', handle: 'x' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const id = await server.igComment('still answerable publicly');
    const sent = await noPage.sendPublicReply({ idempotencyKey: 'pub', text: 'Thanks!', visibility: 'public', inReplyTo: { networkMessageId: id } });
    expect(server.igCommentById(sent.networkMessageId)!.parentId).toBe(id);
    const r = await noPage.sync!(null);
    expect(r.messages.some((m) => m.networkMessageId === id)).toBe(true);
  });
});

describe('instagram normalization', () => {
  const me = { igUserId: '17841405309211844', username: 'acmecare' };
  // Instagram webhooks reference, `comments` field value
  const change = { from: { id: '232323232', username: 'test' }, media: { id: '123123123', media_product_type: 'FEED' }, id: '17865799348089039', parent_id: '1231231234', text: 'This is an example.' };

  it('normalizes the documented comments change', () => {
    const m = normalizeIgCommentChange(change, me, 1_700_000_000_000)!;
    expect(m).toMatchObject({
      network: 'instagram', networkMessageId: '17865799348089039', kind: 'comment', visibility: 'public', direction: 'inbound',
      author: { networkUserId: '232323232', handle: 'test', profileUrl: 'https://www.instagram.com/test/' }, text: 'This is an example.',
      inReplyToNetworkId: '1231231234', threadRootNetworkId: '123123123', createdAt: 1_700_000_000_000,
    });
    expect(normalizeIgCommentChange({ ...change, parent_id: undefined }, me, 0)!.inReplyToNetworkId).toBe('123123123');
    expect(normalizeIgCommentChange({ ...change, from: { id: me.igUserId, username: me.username } }, me, 0)).toMatchObject({ fromBrand: true, direction: 'outbound' });
    expect(validateMessage(normalizeIgCommentChange(change, me, 0)!).ok).toBe(true);
  });

  it('normalizes mentions and polled comments, keeping hostile text verbatim', () => {
    const nasty = '<svg onload=alert(1)> 𝕳𝖊𝖑𝖑𝖔 \u200F\u0000';
    const m = normalizeIgMention({ media_id: '1', comment_id: '2' }, { id: '2', text: nasty, timestamp: '2024-01-15T10:30:00+0000', username: 'fan' }, me, 0);
    expect(m).toMatchObject({ kind: 'mention', text: nasty, author: { handle: 'fan' }, createdAt: Date.parse('2024-01-15T10:30:00Z'), raw: { mention: { media_id: '1' } } });
    const p = normalizeIgPolledComment({ id: '3', text: 'hi', timestamp: '2024-01-15T10:30:00+0000', username: 'acmecare' }, { id: '9', permalink: 'https://www.instagram.com/p/9/' }, me, 0);
    expect(p).toMatchObject({ fromBrand: true, url: 'https://www.instagram.com/p/9/' });
    const broken = validateMessage(normalizeIgCommentChange({ text: 'no id' }, me, 0)!);
    expect(broken.ok).toBe(false);
    expect(normalizeIgCommentChange(null, me, 0)).toBeNull();
  });
});
