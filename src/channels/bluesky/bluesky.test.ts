/**
 * The Bluesky connector against a real local AT Protocol network, started once
 * for this file with @atproto/dev-env's TestNetwork: PLC + PDS + AppView (on
 * the test PostgreSQL and a Redis, test/contract-servers/bluesky-network.ts) + Ozone. Chat goes through
 * the real PDS proxy to BlueskyChatContractServer (the chat service is not open
 * source). Fault injection (429, timeout after the PDS stored the post) wraps
 * the connector's fetch; the network behind it stays real. Auth is revoked for
 * real with com.atproto.server.revokeAppPassword.
 */
import { AtpAgent, RichText } from '@atproto/api';
import { TestNetwork } from '@atproto/dev-env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChannelContract, type ContractNetwork } from '../../../test/channel-contract.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/db.js';
import { createBrand, createChannelAccount } from '../../commands/setup.js';
import { EventBus } from '../../events/bus.js';
import { systemClock } from '../../lib/clock.js';
import { SecretBox } from '../../lib/secrets.js';
import { enqueue, OutboxWorker } from '../../outbox/outbox.js';
import { IngestPipeline } from '../../pipeline/ingest.js';
import { IngestQueue } from '../../pipeline/queue.js';
import { encodeText } from '../../store/text.js';
import { ChannelRegistry } from '../registry.js';
import { ChannelSyncWorker } from '../sync.js';
import type { Channel, ChannelAccountConfig } from '../types.js';
import { ChannelError } from '../types.js';
import { BlueskyChatContractServer } from '../../../test/contract-servers/bluesky-chat.js';
import { startLocalBlueskyNetwork } from '../../../test/contract-servers/bluesky-network.js';
import { BlueskyRelayContractServer, type SequencedEvent } from '../../../test/contract-servers/bluesky-relay.js';
import { BlueskyChannel, createChannel } from './index.js';
import { parseAtUri, parseChatMessageId } from './normalize.js';
import { rkeyForIdempotencyKey } from './rkey.js';

// ------------------------------------------------------------------ the network

type FaultMode = 'rate_limit' | 'auth_revoked' | 'server_error' | 'timeout_after_accept';

/** Wraps the connector's fetch: the next write gets a fault; everything else reaches the real PDS. */
class Faults {
  private next: FaultMode | null = null;
  arm(mode: FaultMode) {
    this.next = mode;
  }
  readonly fetch: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const path = new URL(req.url).pathname;
    const isWrite = req.method === 'POST' && /^\/xrpc\/(com\.atproto\.repo\.(createRecord|putRecord|deleteRecord|applyWrites)|chat\.bsky\.convo\.sendMessage)$/.test(path);
    const mode = isWrite ? this.next : null;
    if (!mode) return fetch(req);
    this.next = null;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
    switch (mode) {
      case 'rate_limit':
        // the PDS's answer when a rate limit is exceeded (RateLimit-* headers, reset in epoch seconds)
        return json(429, { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }, {
          'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 2), 'ratelimit-policy': '5000;w=3600',
        });
      case 'server_error':
        return new Response('<html><body>502 Bad Gateway</body></html>', { status: 502, headers: { 'content-type': 'text/html' } });
      case 'auth_revoked':
        return json(401, { error: 'AuthenticationRequired', message: 'Authentication Required' });
      case 'timeout_after_accept': {
        const res = await fetch(req); // the PDS stores the record...
        await res.arrayBuffer();
        return new Promise<Response>((_, reject) => {
          // ...and the answer never arrives: the connector's deadline aborts the request
          if (req.signal.aborted) reject(req.signal.reason);
          req.signal.addEventListener('abort', () => reject(req.signal.reason), { once: true });
        });
      }
    }
  };
}

interface User {
  did: string;
  handle: string;
  password: string;
  agent: AtpAgent;
}

interface World {
  net: TestNetwork;
  chat: BlueskyChatContractServer;
  brand: User;
  alice: User;
  bob: User;
  post(user: User, text: string, opts?: { replyTo?: { uri: string; cid: string } }): Promise<{ uri: string; cid: string }>;
  dm(from: User, toDid: string, text: string): Promise<string>;
  appPassword(name: string, privileged?: boolean): Promise<string>;
  brandPosts(): Promise<{ uri: string; cid: string; value: Record<string, any> }[]>;
  close(): Promise<void>;
}

async function startWorld(): Promise<World> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    const local = await startLocalBlueskyNetwork();
    cleanups.push(() => local.close());
    const { net } = local;

    const chat = new BlueskyChatContractServer();
    await chat.start();
    cleanups.push(() => chat.stop());

    // The chat service's DID resolves to the contract server (offline there is no api.bsky.chat).
    const resolver = net.pds.ctx.idResolver.did as unknown as { resolveNoCache(did: string): Promise<unknown> };
    const resolveNoCache = resolver.resolveNoCache.bind(resolver);
    resolver.resolveNoCache = async (did: string) => (did === chat.did ? chat.didDocument() : resolveNoCache(did));

    const createUser = async (name: string): Promise<User> => {
      const agent = new AtpAgent({ service: net.pds.url });
      const password = `${name}-password`;
      const res = await agent.createAccount({ handle: `${name}.test`, email: `${name}@parley.test`, password });
      chat.addProfile({ did: res.data.did, handle: res.data.handle }, name === 'bob' ? 'none' : 'all');
      return { did: res.data.did, handle: res.data.handle, password, agent };
    };
    const brand = await createUser('brand');
    const alice = await createUser('alice');
    const bob = await createUser('bob');
    await brand.agent.upsertProfile((p) => ({ ...p, displayName: 'Brand Care' }));
    await alice.agent.upsertProfile((p) => ({ ...p, displayName: 'Alice Ü <script>' }));
    await bob.agent.follow(alice.did);
    await net.processAll();

    return {
      net,
      chat,
      brand,
      alice,
      bob,
      async post(user, text, opts = {}) {
        const rt = new RichText({ text });
        await rt.detectFacets(user.agent);
        let reply;
        if (opts.replyTo) {
          const parent = await user.agent.com.atproto.repo.getRecord({ ...split(opts.replyTo.uri) });
          const root = (parent.data.value as { reply?: { root: { uri: string; cid: string } } }).reply?.root ?? opts.replyTo;
          reply = { root: { uri: root.uri, cid: root.cid }, parent: opts.replyTo };
        }
        const r = await user.agent.post({ text: rt.text, facets: rt.facets, ...(reply ? { reply } : {}) });
        await net.processAll();
        return { uri: r.uri, cid: r.cid };
      },
      async dm(from, toDid, text) {
        const chatAgent = from.agent.withProxy('bsky_chat', chat.did);
        const convo = await chatAgent.chat.bsky.convo.getConvoForMembers({ members: [toDid] });
        const m = await chatAgent.chat.bsky.convo.sendMessage({ convoId: convo.data.convo.id, message: { text } });
        return `chat:${convo.data.convo.id}:${m.data.id}`;
      },
      async appPassword(name, privileged = true) {
        const r = await brand.agent.com.atproto.server.createAppPassword({ name, privileged });
        return r.data.password;
      },
      async brandPosts() {
        const out: { uri: string; cid: string; value: Record<string, any> }[] = [];
        let cursor: string | undefined;
        do {
          const r = await alice.agent.com.atproto.repo.listRecords({ repo: brand.did, collection: 'app.bsky.feed.post', limit: 100, cursor });
          out.push(...(r.data.records as typeof out));
          cursor = r.data.records.length ? r.data.cursor : undefined;
        } while (cursor);
        return out;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function split(uri: string) {
  const p = parseAtUri(uri);
  if (!p) throw new Error(`not an at:// uri: ${uri}`);
  return { repo: p.did, collection: p.collection, rkey: p.rkey };
}

let worldPromise: Promise<World> | null = null;
const world = () => (worldPromise ??= startWorld());
afterAll(async () => {
  if (worldPromise) await (await worldPromise.catch(() => null))?.close();
}, 120_000);

/** A channel for the brand with its own app password and clock. */
async function brandChannel(w: World, opts: { name: string; privileged?: boolean; settings?: Record<string, unknown>; faults?: Faults; clock?: { now(): number } }) {
  const password = await w.appPassword(opts.name, opts.privileged ?? true);
  const account: ChannelAccountConfig = {
    id: 1, brandId: 1, network: 'bluesky', handle: w.brand.handle, externalId: w.brand.did,
    credentials: { identifier: w.brand.handle, password },
    settings: { service: w.net.pds.url, timeoutMs: 3000, ...opts.settings },
  };
  return { account, channel: new BlueskyChannel(account, { fetch: opts.faults?.fetch ?? globalThis.fetch, now: opts.clock?.now ?? Date.now }), password };
}

// ------------------------------------------------------------------ the contract suite

runChannelContract('bluesky (local AT Protocol network; chat via the PDS proxy to a chat contract server)', async () => {
  const w = await world();
  const faults = new Faults();
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const password = await w.appPassword('parley-contract');
  let cursor: string | null = null;
  const net: ContractNetwork = {
    network: 'bluesky',
    makeChannel: (acc) => createChannel(acc, { fetch: faults.fetch, now: clock.now }),
    account: {
      handle: w.brand.handle,
      externalId: w.brand.did,
      credentials: { identifier: w.brand.handle, password },
      settings: { service: w.net.pds.url, timeoutMs: 2000 },
    },
    postMention: async (text) => (await w.post(w.alice, text)).uri,
    postPrivate: (text) => w.dm(w.alice, w.brand.did, text),
    async receive(channel, opts) {
      await w.net.processAll();
      const r = await channel.sync!(opts?.redeliver ? null : cursor);
      if (!opts?.redeliver) cursor = r.cursor;
      return r.messages;
    },
    async readBack(id) {
      const chatRef = parseChatMessageId(id);
      if (chatRef) {
        const m = w.chat.findMessage(chatRef.convoId, chatRef.messageId);
        return m ? { text: m.text, inReplyToNetworkId: null, visibility: 'private' } : null;
      }
      const r = await w.alice.agent.com.atproto.repo.getRecord(split(id));
      const v = r.data.value as { text: string; reply?: { parent: { uri: string } } };
      return { text: v.text, inReplyToNetworkId: v.reply?.parent.uri ?? null, visibility: 'public' };
    },
    countPosts: async (text) => (await w.brandPosts()).filter((p) => p.value.text === text).length,
    failNext: (mode) => faults.arm(mode),
    async revokeAuth() {
      // for real: the app password (and its refresh tokens) are revoked on the PDS; access
      // tokens are stateless JWTs valid up to 2 h, so the channel's clock moves past their expiry
      await w.brand.agent.com.atproto.server.revokeAppPassword({ name: 'parley-contract' });
      clock.offset += 3 * 3600_000;
    },
  };
  return net;
});

// ------------------------------------------------------------------ acceptance: mention → outbox → reply on the network

describe('bluesky acceptance: a mention is ingested, answered through the outbox, and the network holds a correct reply', () => {
  let w: World;
  let db: TestDatabase;
  let channel: BlueskyChannel;
  let brandId: number;
  let accountId: number;
  let pipeline: IngestPipeline;
  let outbox: OutboxWorker;
  const bus = new EventBus();
  const secrets = new SecretBox('bluesky-acceptance-secret-0123456789abcdef');

  beforeAll(async () => {
    w = await world();
    const b = await brandChannel(w, { name: 'parley-acceptance' });
    db = await createTestDatabase('sqlite');
    const now = Date.now();
    brandId = await createBrand(db.store.db, { slug: 'bsky', name: 'Bluesky brand' }, now);
    accountId = await createChannelAccount(db.store.db, {
      brandId, network: 'bluesky', handle: b.account.handle, externalId: b.account.externalId, settings: b.account.settings, credentials: secrets.seal(b.account.credentials),
    }, now);
    channel = new BlueskyChannel({ ...b.account, id: accountId, brandId }, { fetch: globalThis.fetch, now: Date.now });
    pipeline = new IngestPipeline({ store: db.store, bus, clock: systemClock });
    const registry = new ChannelRegistry(db.store, secrets, { fetch: globalThis.fetch, now: Date.now });
    registry.register('bluesky', () => channel);
    outbox = new OutboxWorker({ store: db.store, bus, clock: systemClock, registry, lockMs: 1 });
  }, 180_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('replies under the customer\'s post with reply.root = the thread start and reply.parent = the mention (URI + CID)', async () => {
    // alice starts a thread, then mentions the brand in a reply inside it
    const start = await w.post(w.alice, 'Anyone else waiting for a parcel this week?');
    const mention = await w.post(w.alice, `@${w.brand.handle} mine is two weeks late, order 4711`, { replyTo: start });

    const { messages } = await channel.sync(null);
    const m = messages.find((x) => x.networkMessageId === mention.uri);
    expect(m, 'the mention comes through listNotifications').toBeDefined();
    expect(m).toMatchObject({
      network: 'bluesky', direction: 'inbound', visibility: 'public', kind: 'mention',
      text: `@${w.brand.handle} mine is two weeks late, order 4711`,
      inReplyToNetworkId: start.uri, threadRootNetworkId: start.uri,
      url: `https://bsky.app/profile/alice.test/post/${split(mention.uri).rkey}`,
      author: { networkUserId: w.alice.did, handle: 'alice.test', displayName: 'Alice Ü <script>', profileUrl: 'https://bsky.app/profile/alice.test' },
    });
    expect(m!.author.followers).toBe(1); // bob follows alice: fetched with getProfiles

    const [o] = await pipeline.ingest(brandId, [{ channelAccountId: accountId, message: m!, source: 'network' }]);
    expect(o!.status).toBe('stored');
    const { messageId, conversationId } = o as unknown as { messageId: number; conversationId: number };

    const text = `Sorry @${w.alice.handle}! Order 4711 ships today: https://example.com/track/4711`;
    const now = Date.now();
    const queued = await db.store.db.transaction().execute(async (trx) => {
      const t = encodeText(text);
      const row = await trx.insertInto('message').values({
        brand_id: brandId, conversation_id: conversationId, channel_account_id: accountId, network: 'bluesky', network_message_id: null, direction: 'outbound', visibility: 'public',
        kind: 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: mention.uri, thread_root_network_id: start.uri, reply_to_message_id: messageId,
        text: t.text, text_escaped: t.escaped, url: null, created_at: now, received_at: now, raw: null, status: 'queued', error: null, is_auto: 0, source: 'agent', idempotency_key: null,
      }).returningAll().executeTakeFirstOrThrow();
      const e = await enqueue(trx, row, now);
      return { row, key: e.idempotencyKey };
    });
    await outbox.runOnce();
    const sent = await db.store.db.selectFrom('message').selectAll().where('id', '=', queued.row.id).executeTakeFirstOrThrow();
    expect(sent.status, sent.error ?? '').toBe('sent');
    const rkey = rkeyForIdempotencyKey(queued.key);
    expect(sent.network_message_id).toBe(`at://${w.brand.did}/app.bsky.feed.post/${rkey}`);
    expect(sent.url).toBe(`https://bsky.app/profile/brand.test/post/${rkey}`);

    // read back from the network: the record on the brand's PDS...
    const rec = await w.alice.agent.com.atproto.repo.getRecord(split(sent.network_message_id!));
    const value = rec.data.value as { text: string; reply: { root: { uri: string; cid: string }; parent: { uri: string; cid: string } }; facets?: { features: { $type: string; did?: string; uri?: string }[] }[] };
    expect(value.text).toBe(text);
    expect(value.reply.root).toEqual({ uri: start.uri, cid: start.cid });
    expect(value.reply.parent).toEqual({ uri: mention.uri, cid: mention.cid });
    const features = (value.facets ?? []).flatMap((f) => f.features);
    expect(features).toContainEqual(expect.objectContaining({ $type: 'app.bsky.richtext.facet#mention', did: w.alice.did }));
    expect(features).toContainEqual(expect.objectContaining({ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com/track/4711' }));

    // ...and the AppView shows it in the thread, under the mention
    await w.net.processAll();
    const thread = await w.alice.agent.app.bsky.feed.getPostThread({ uri: start.uri, depth: 5 });
    const t = thread.data.thread as any;
    const mentionNode = t.replies.find((r: any) => r.post.uri === mention.uri);
    expect(mentionNode.replies.map((r: any) => r.post.uri)).toContain(sent.network_message_id);
    // alice is notified of it (as a reply to her post, which also mentions her)
    const notes = await w.alice.agent.app.bsky.notification.listNotifications({ limit: 100 });
    const note = notes.data.notifications.find((n) => n.uri === sent.network_message_id);
    expect(note?.reason).toMatch(/^(reply|mention)$/);
  });
});

// ------------------------------------------------------------------ the rest of the connector against the network

describe('bluesky connector on the local network', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  }, 180_000);

  it('polls with a cursor: a second sync brings nothing old, a new mention once; a garbage cursor is CURSOR_INVALID', async () => {
    const { channel } = await brandChannel(w, { name: 'parley-cursor' });
    const first = await channel.sync(null);
    const again = await channel.sync(first.cursor);
    expect(again.messages).toEqual([]);
    const p = await w.post(w.bob, `@${w.brand.handle} hello from bob ${Date.now()}`);
    const next = await channel.sync(again.cursor);
    expect(next.messages.map((m) => m.networkMessageId)).toEqual([p.uri]);
    expect((await channel.sync(next.cursor)).messages).toEqual([]);
    await expect(channel.sync('{not json')).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
    await expect(channel.sync('{"v":2}')).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
  });

  it('listens for brand keywords with searchPosts: kind listening, the brand\'s own posts left out, each post once', async () => {
    const { channel } = await brandChannel(w, { name: 'parley-listen', settings: { keywords: ['zorblatt'] } });
    const start = await channel.sync(null);
    const hit = await w.post(w.alice, 'Just bought Zorblatt sneakers — zorblatt rocks');
    await w.post(w.brand, 'zorblatt news from the brand itself');
    await w.post(w.bob, 'nothing to see here');
    const r = await channel.sync(start.cursor);
    const listening = r.messages.filter((m) => m.kind === 'listening');
    expect(listening.map((m) => m.networkMessageId)).toEqual([hit.uri]);
    expect(listening[0]).toMatchObject({ visibility: 'public', direction: 'inbound', author: { handle: 'alice.test' } });
    expect((await channel.sync(r.cursor)).messages.filter((m) => m.kind === 'listening')).toEqual([]);
    // the same listening through search()
    const s = await channel.search('zorblatt', null);
    expect(s.messages.map((m) => m.networkMessageId)).toContain(hit.uri);
    expect((await channel.search('zorblatt', s.cursor)).messages).toEqual([]);
    await expect(channel.search('zorblatt', 'not json')).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
    await expect(channel.search('zorblatt', '{"at":"never","uris":[]}')).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
  });

  it('listening exclusions: a hit with an excluded word is dropped, a post tagging the brand with the same word is kept', async () => {
    const { channel } = await brandChannel(w, { name: 'parley-exclude', settings: { keywords: ['quuxapple'], excludeKeywords: ['pie', 'quuxapple juice'] } });
    const start = await channel.sync(null);
    const kept = await w.post(w.alice, 'my quuxapple laptop will not boot');
    const pie = await w.post(w.alice, 'baking a quuxapple PIE tonight');
    const juice = await w.post(w.bob, 'Quuxapple, juice and toast');
    const tagged = await w.post(w.bob, `@${w.brand.handle} the quuxapple pie voucher failed`);
    const r = await channel.sync(start.cursor);
    const got = r.messages.map((m) => m.networkMessageId);
    expect(got).toContain(kept.uri);
    expect(got).toContain(tagged.uri);
    expect(got).not.toContain(pie.uri);
    expect(got).not.toContain(juice.uri);
  });

  it('a retried send with the same key cannot make a second post; findSent finds it by its key', async () => {
    const { channel } = await brandChannel(w, { name: 'parley-idem' });
    const target = await w.post(w.alice, `@${w.brand.handle} idempotency check ${Date.now()}`);
    const req = { idempotencyKey: `msg-1-${Date.now()}`, text: `One answer only ${Date.now()}`, visibility: 'public' as const, inReplyTo: { networkMessageId: target.uri } };
    expect(await channel.findSent(req)).toBeNull();
    const a = await channel.sendPublicReply(req);
    const b = await channel.sendPublicReply(req); // the PDS refuses the duplicate key; the first post is the answer
    expect(b.networkMessageId).toBe(a.networkMessageId);
    expect((await channel.findSent(req))?.networkMessageId).toBe(a.networkMessageId);
    expect((await w.brandPosts()).filter((p) => p.value.text === req.text)).toHaveLength(1);
  });

  it('refuses what Bluesky would refuse, with a clear code: too long, private thread answered publicly, DMs to someone who does not accept them', async () => {
    const { channel } = await brandChannel(w, { name: 'parley-refusals' });
    const target = await w.post(w.alice, `@${w.brand.handle} refusals ${Date.now()}`);
    const long = 'é'.repeat(301);
    await expect(channel.sendPublicReply({ idempotencyKey: 'long-1', text: long, visibility: 'public', inReplyTo: { networkMessageId: target.uri } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(channel.sendPublicReply({ idempotencyKey: 'dm-pub', text: 'x', visibility: 'public', inReplyTo: { networkMessageId: 'chat:c1:m1' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const missing = `at://${w.alice.did}/app.bsky.feed.post/3jzfcijpj2z2a`;
    await expect(channel.sendPublicReply({ idempotencyKey: 'gone-1', text: 'hello', visibility: 'public', inReplyTo: { networkMessageId: missing } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const err = await channel.sendPrivateMessage({ idempotencyKey: 'dm-bob', text: 'hi bob', visibility: 'private', recipient: { networkUserId: w.bob.did, handle: w.bob.handle } }).catch((e) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.message).toMatch(/does not accept direct messages/);
  });

  it('opens a chat to answer a public mention privately, and findSent recognizes that DM', async () => {
    const { channel } = await brandChannel(w, { name: 'parley-private-offer' });
    const mention = await w.post(w.alice, `@${w.brand.handle} can I send you my address privately? ${Date.now()}`);
    const req = { idempotencyKey: `pm-${Date.now()}`, text: `Yes — send it here ${Date.now()}`, visibility: 'private' as const, inReplyTo: { networkMessageId: mention.uri }, recipient: { networkUserId: w.alice.did, handle: w.alice.handle } };
    expect(await channel.findSent(req)).toBeNull();
    const sent = await channel.sendPrivateMessage(req);
    const ref = parseChatMessageId(sent.networkMessageId)!;
    expect(w.chat.findMessage(ref.convoId, ref.messageId)).toMatchObject({ text: req.text, senderDid: w.brand.did });
    expect((await channel.findSent(req))?.networkMessageId).toBe(sent.networkMessageId);
  });

  it('an app password without DM access is PERMISSION_DENIED (with what to do); directMessages: false polls without chat', async () => {
    const plain = await brandChannel(w, { name: 'parley-no-dm', privileged: false });
    const err = await plain.channel.sync(null).catch((e) => e);
    expect(err).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(err.message).toMatch(/Allow access to your direct messages/);
    const noDm = new BlueskyChannel({ ...plain.account, settings: { ...plain.account.settings, directMessages: false } }, { fetch: globalThis.fetch, now: Date.now });
    const r = await noDm.sync(null);
    expect(r.messages.every((m) => m.kind !== 'dm')).toBe(true);
  });

  it('a wrong app password is AUTH_REVOKED at login', async () => {
    const { account } = await brandChannel(w, { name: 'parley-wrong' });
    const c = new BlueskyChannel({ ...account, credentials: { identifier: w.brand.handle, password: 'aaaa-bbbb-cccc-dddd' } }, { fetch: globalThis.fetch, now: Date.now });
    await expect(c.sync(null)).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
  });

  it('logs in again when the access token is refused, and refreshes it before it expires', async () => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset };
    const calls: string[] = [];
    const recording: typeof fetch = (input, init) => {
      const req = input instanceof Request ? input : new Request(input, init);
      calls.push(new URL(req.url).pathname.replace('/xrpc/', ''));
      return fetch(req);
    };
    const password = await w.appPassword('parley-refresh');
    const c = new BlueskyChannel(
      { id: 1, brandId: 1, network: 'bluesky', handle: w.brand.handle, externalId: w.brand.did, credentials: { identifier: w.brand.handle, password }, settings: { service: w.net.pds.url } },
      { fetch: recording, now: clock.now },
    );
    await c.sync(null);
    expect(calls.filter((x) => x === 'com.atproto.server.createSession')).toHaveLength(1);
    calls.length = 0;
    clock.offset = 2 * 3600_000; // the access token's exp is behind the clock: refreshed before the next call
    await c.sync(null);
    expect(calls[0]).toBe('com.atproto.server.refreshSession');
    expect(calls).not.toContain('com.atproto.server.createSession');
    clock.offset = 0;
    calls.length = 0;
    const agent = (c as unknown as { agent: AtpAgent }).agent;
    agent.sessionManager.session = { ...agent.session!, accessJwt: 'garbage.token.value', refreshJwt: 'garbage.refresh.value' };
    await c.sync(null); // the PDS refuses token and refresh: one fresh login, then the poll goes through
    expect(calls.filter((x) => x === 'com.atproto.server.createSession')).toHaveLength(1);
    expect(calls).toContain('app.bsky.notification.listNotifications');
  });

  it('a chat outage does not hold up mentions; the third failure in a row fails the poll', async () => {
    let chatDown = 0;
    const flaky: typeof fetch = (input, init) => {
      const req = input instanceof Request ? input : new Request(input, init);
      if (chatDown > 0 && new URL(req.url).pathname === '/xrpc/chat.bsky.convo.listConvos') {
        chatDown--;
        return Promise.resolve(new Response(JSON.stringify({ error: 'UpstreamFailure', message: 'Upstream Failure' }), { status: 502, headers: { 'content-type': 'application/json' } }));
      }
      return fetch(req);
    };
    const { account } = await brandChannel(w, { name: 'parley-chat-outage' });
    const c = new BlueskyChannel(account, { fetch: flaky, now: Date.now });
    const start = await c.sync(null);
    chatDown = 3;
    const mention = await w.post(w.bob, `@${w.brand.handle} during the chat outage ${Date.now()}`);
    const dm = await w.dm(w.alice, w.brand.did, `a DM during the outage ${Date.now()}`);
    const r1 = await c.sync(start.cursor);
    expect(r1.messages.map((m) => m.networkMessageId)).toEqual([mention.uri]);
    expect(JSON.parse(r1.cursor!).c).toEqual(JSON.parse(start.cursor!).c);
    await c.sync(r1.cursor);
    await expect(c.sync(r1.cursor)).rejects.toMatchObject({ code: 'TEMPORARY' });
    // chat is back: the DM from the outage comes through
    const r2 = await c.sync(r1.cursor);
    expect(r2.messages.map((m) => m.networkMessageId)).toContain(dm);
  });

  it('blocks and mutes on the network, likes and deletes, fetches profiles and threads', async () => {
    const { channel } = await brandChannel(w, { name: 'parley-moderation' });
    await channel.sync(null);
    const bob = { networkUserId: w.bob.did, handle: w.bob.handle };
    await channel.block(bob);
    await channel.block(bob); // idempotent: still one block record
    await channel.mute(bob);
    await w.net.processAll();
    const blocks = await w.alice.agent.com.atproto.repo.listRecords({ repo: w.brand.did, collection: 'app.bsky.graph.block' });
    expect(blocks.data.records.map((r) => (r.value as { subject: string }).subject)).toEqual([w.bob.did]);
    const viewer = new AtpAgent({ service: w.net.pds.url });
    await viewer.login({ identifier: w.brand.handle, password: w.brand.password });
    const seen = await viewer.app.bsky.actor.getProfile({ actor: w.bob.did });
    expect(seen.data.viewer?.blocking).toBe(blocks.data.records[0]!.uri);
    expect(seen.data.viewer?.muted).toBe(true);
    // undone: the block record deleted, the mute lifted (and again: nothing left to undo is no error)
    await channel.unblock(bob);
    await channel.unmute(bob);
    await channel.unblock(bob);
    await w.net.processAll();
    expect((await w.alice.agent.com.atproto.repo.listRecords({ repo: w.brand.did, collection: 'app.bsky.graph.block' })).data.records).toEqual([]);
    const after = await viewer.app.bsky.actor.getProfile({ actor: w.bob.did });
    expect([after.data.viewer?.blocking ?? null, after.data.viewer?.muted]).toEqual([null, false]);
    await channel.block(bob);
    await channel.mute(bob);
    await w.net.processAll();

    const post = await w.post(w.alice, 'a post to like and to answer');
    await channel.like(post.uri);
    await channel.like(post.uri);
    const likes = await w.alice.agent.com.atproto.repo.listRecords({ repo: w.brand.did, collection: 'app.bsky.feed.like' });
    expect(likes.data.records.filter((r) => (r.value as { subject: { uri: string } }).subject.uri === post.uri)).toHaveLength(1);

    const reply = await channel.sendPublicReply({ idempotencyKey: `del-${Date.now()}`, text: 'to be deleted', visibility: 'public', inReplyTo: { networkMessageId: post.uri } });
    await w.net.processAll();
    const thread = await channel.fetchThread(post.uri);
    expect(thread.map((m) => m.networkMessageId)).toEqual([post.uri, reply.networkMessageId]);
    expect(thread[1]).toMatchObject({ fromBrand: true, direction: 'outbound', inReplyToNetworkId: post.uri });
    await channel.delete(reply.networkMessageId);
    await expect(w.alice.agent.com.atproto.repo.getRecord(split(reply.networkMessageId))).rejects.toThrow();
    await expect(channel.delete(post.uri)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });

    const profile = await channel.fetchProfile(w.alice.did);
    expect(profile).toMatchObject({ networkUserId: w.alice.did, handle: 'alice.test', displayName: 'Alice Ü <script>', followers: 1 });
  });
});

// ------------------------------------------------------------------ deletions: a deleted post is redacted, a blocked one is not

describe('bluesky deletions: the sync worker finds a post its author deleted and redacts it; a post hidden by a block stays', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  }, 180_000);

  /** A brand in Parley with the brand's Bluesky account connected, and a sync worker that reaches it through `channel`. */
  async function deletionDesk(db: TestDatabase, slug: string, account: ChannelAccountConfig, channel: BlueskyChannel, goneCheck: { everyMs: number; max: number }) {
    const secrets = new SecretBox('bluesky-deletions-secret-0123456789abcdef');
    const bus = new EventBus();
    const registry = new ChannelRegistry(db.store, secrets, { fetch: globalThis.fetch, now: Date.now });
    registry.register('bluesky', () => channel);
    const worker = new ChannelSyncWorker({ store: db.store, bus, clock: systemClock, registry, queue: new IngestQueue(new IngestPipeline({ store: db.store, bus, clock: systemClock })), goneCheck });
    const now = Date.now();
    const brandId = await createBrand(db.store.db, { slug, name: 'Bluesky deletions' }, now);
    const accountId = await createChannelAccount(db.store.db, {
      brandId, network: 'bluesky', handle: account.handle, externalId: account.externalId, settings: account.settings, credentials: secrets.seal(account.credentials),
    }, now);
    /** One sync run of the account, after the network has indexed what was written. */
    const run = async () => {
      await w.net.processAll();
      await db.store.db.updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', accountId).execute();
      expect(await worker.runOnce()).toEqual([accountId]);
    };
    const row = (uri: string) => db.store.db.selectFrom('message').selectAll().where('channel_account_id', '=', accountId).where('network_message_id', '=', uri).executeTakeFirstOrThrow();
    return { brandId, accountId, worker, run, row };
  }

  it.each(DIALECTS)('on %s', async (dialect) => {
    const db = await createTestDatabase(dialect);
    const b = await brandChannel(w, { name: `parley-deletions-${dialect}`, settings: { plcUrl: w.net.plc.url, timeoutMs: 20_000 } });
    const bob = { networkUserId: w.bob.did, handle: w.bob.handle };
    // (the moderation test above leaves bob blocked and muted: his mentions would not come)
    await b.channel.unblock(bob);
    await b.channel.unmute(bob);
    await w.net.processAll();
    const { brandId, worker, run, row } = await deletionDesk(db, `bsky-del-${dialect}`, b.account, b.channel, { everyMs: 0, max: 500 });
    try {
      const tag = `${dialect}-${Date.now()}`;
      const gone = await w.post(w.alice, `@${w.brand.handle} my phone number is 555-0100 (${tag})`);
      const kept = await w.post(w.alice, `@${w.brand.handle} still waiting on my refund (${tag})`);
      const blocked = await w.post(w.bob, `@${w.brand.handle} bob asks too (${tag})`);
      await run(); // stores the three; all still there
      for (const p of [gone, kept, blocked]) expect(await row(p.uri)).toMatchObject({ redacted_at: null });

      // alice deletes her post for real; the brand blocks bob: getPosts leaves out both
      await w.alice.agent.com.atproto.repo.deleteRecord(split(gone.uri));
      await b.channel.block(bob);
      await w.net.processAll();
      const shown = await b.channel['agent'].app.bsky.feed.getPosts({ uris: [gone.uri, kept.uri, blocked.uri] });
      expect(shown.data.posts.map((p) => p.uri)).toEqual([kept.uri]);

      await run();
      expect(await row(gone.uri)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_by_author' });
      expect(await row(kept.uri)).toMatchObject({ redacted_at: null, text: `@${w.brand.handle} still waiting on my refund (${tag})` });
      expect(await row(blocked.uri)).toMatchObject({ redacted_at: null, text: `@${w.brand.handle} bob asks too (${tag})` });
      // the brand's block is its own choice, not the network hiding the post: not marked either
      expect(await row(blocked.uri)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      const audit = await db.store.db.selectFrom('audit_event').select(['actor', 'action']).where('brand_id', '=', brandId).execute();
      expect(audit.some((a) => a.actor === 'system:sync:bluesky')).toBe(true);

      // a resolved conversation is not checked any more (the check stays bounded)
      const conv = (await row(kept.uri)).conversation_id;
      await db.store.db.updateTable('conversation').set({ status: 'resolved' }).where('id', '=', conv).execute();
      await w.alice.agent.com.atproto.repo.deleteRecord(split(kept.uri));
      await run();
      expect(await row(kept.uri)).toMatchObject({ redacted_at: null });
    } finally {
      await worker.stop();
      await b.channel.unblock(bob);
      await db.drop();
    }
  }, 120_000);

  it('the check is bounded: at most `max` messages a run, going on from where the last run stopped, then from the newest again', async () => {
    const db = await createTestDatabase('sqlite');
    const b = await brandChannel(w, { name: 'parley-deletions-bounds' });
    const asked: string[][] = [];
    const counting: typeof fetch = async (input, init) => {
      const req = input instanceof Request ? input : new Request(input, init);
      const url = new URL(req.url);
      if (url.pathname === '/xrpc/app.bsky.feed.getPosts') asked[asked.length - 1]!.push(...url.searchParams.getAll('uris'));
      return fetch(req);
    };
    const channel = new BlueskyChannel(b.account, { fetch: counting, now: Date.now });
    const d = await deletionDesk(db, 'bsky-del-bounds', b.account, channel, { everyMs: 0, max: 3 });
    const { accountId, worker } = d;
    try {
      for (let i = 0; i < 4; i++) await w.post(w.alice, `@${w.brand.handle} bounded ${i} ${Date.now()}`);
      const run = async () => {
        asked.push([]);
        await d.run();
        return asked[asked.length - 1]!;
      };
      const first = await run(); // stores the backfill, then checks the newest three
      const rows = await db.store.db.selectFrom('message').select(['id', 'network_message_id']).where('channel_account_id', '=', accountId).where('direction', '=', 'inbound').orderBy('id', 'desc').execute();
      const ids = rows.map((r) => r.network_message_id!);
      const posts = ids.filter((id) => id.startsWith('at://'));
      expect(posts.length).toBeGreaterThanOrEqual(4);
      const seen = new Set(first);
      const runs = Math.ceil(ids.length / 3);
      for (let i = 1; i < runs; i++) for (const u of await run()) seen.add(u);
      for (const a of asked) expect(a.length).toBeLessThanOrEqual(3);
      expect(new Set(seen)).toEqual(new Set(posts)); // every stored post once in a round
      expect(asked.flat().length).toBe(posts.length);
      // the next round starts again from the newest
      expect(await run()).toEqual(ids.slice(0, 3).filter((id) => id.startsWith('at://')));
    } finally {
      await worker.stop();
      await db.drop();
    }
  }, 120_000);

  it('asks the author\'s own repository: a deleted account\'s posts are deleted; a deactivated account\'s, posts taken down by moderation (marked post_taken_down), and a repository its PDS lost are not; an unreachable repository holds up nobody else', async () => {
    const db = await createTestDatabase('sqlite');
    // the authors' PDS answers through this fetch: `down` makes one DID's repository unreachable
    const down = new Set<string>();
    const faulty: typeof fetch = async (input, init) => {
      const req = input instanceof Request ? input : new Request(input, init);
      const url = new URL(req.url);
      if (url.pathname === '/xrpc/com.atproto.sync.getRecord' && down.has(url.searchParams.get('did')!)) return new Response('bad gateway', { status: 502 });
      return fetch(req);
    };
    // a generous deadline: a repository that answers late would be 'unknown' (not redacted), which is frank's case only
    // the relay knows accounts from what their PDS sequenced (its #account events among them)
    const relay = new BlueskyRelayContractServer(async () => (await w.net.pds.ctx.sequencer.requestSeqRange({ limit: 100_000 })) as unknown as SequencedEvent[]);
    const b = await brandChannel(w, { name: 'parley-deletions-accounts', settings: { plcUrl: w.net.plc.url, relayUrl: await relay.start(), timeoutMs: 20_000 } });
    const channel = new BlueskyChannel(b.account, { fetch: faulty, now: Date.now });
    const { worker, run, row } = await deletionDesk(db, 'bsky-del-accounts', b.account, channel, { everyMs: 0, max: 500 });
    const tag = Date.now().toString(36);
    const user = async (name: string) => {
      const agent = new AtpAgent({ service: w.net.pds.url });
      const res = await agent.createAccount({ handle: `${name}${tag}.test`, email: `${name}${tag}@parley.test`, password: `${name}-password` });
      return { did: res.data.did, handle: res.data.handle, password: `${name}-password`, agent } satisfies User;
    };
    try {
      const [carol, dave, erin, frank, gina] = [await user('carol'), await user('dave'), await user('erin'), await user('frank'), await user('gina')];
      const deleted = await w.post(w.alice, `@${w.brand.handle} alice deletes this (${tag})`);
      const leaver = await w.post(carol, `@${w.brand.handle} carol leaves Bluesky (${tag})`);
      const resting = await w.post(dave, `@${w.brand.handle} dave takes a break (${tag})`);
      const takenDown = await w.post(erin, `@${w.brand.handle} erin breaks the rules (${tag})`);
      const unreachable = await w.post(frank, `@${w.brand.handle} frank deletes this, his PDS is down (${tag})`);
      const lost = await w.post(gina, `@${w.brand.handle} gina's PDS loses her repository (${tag})`);
      await run();
      for (const p of [deleted, leaver, resting, takenDown, unreachable, lost]) expect(await row(p.uri)).toMatchObject({ redacted_at: null });

      const admin = { headers: w.net.pds.adminAuthHeaders(), encoding: 'application/json' } as const;
      const pdsAdmin = new AtpAgent({ service: w.net.pds.url });
      await w.alice.agent.com.atproto.repo.deleteRecord(split(deleted.uri));
      await pdsAdmin.com.atproto.admin.deleteAccount({ did: carol.did }, admin);
      await dave.agent.com.atproto.server.deactivateAccount({});
      // moderation takes erin's post down in the AppView (its data plane's takedownRecord, which
      // Ozone's pushed takedowns call) and in her repository's PDS (the admin API)
      await w.net.bsky.ctx.dataplane.takedownRecord({ recordUri: takenDown.uri, ref: `takedown-${tag}` });
      await pdsAdmin.com.atproto.admin.updateSubjectStatus({ subject: { $type: 'com.atproto.repo.strongRef', uri: takenDown.uri, cid: takenDown.cid }, takedown: { applied: true, ref: `takedown-${tag}` } }, admin);
      await frank.agent.com.atproto.repo.deleteRecord(split(unreachable.uri));
      down.add(frank.did);
      // gina blocks the brand (the AppView leaves her post out), then her PDS loses her account
      // (its records go, no #account event is sequenced): getRecord and getRepoStatus answer
      // RepoNotFound as for carol, but the relay still hosts her
      await gina.agent.app.bsky.graph.block.create({ repo: gina.did }, { subject: w.brand.did, createdAt: new Date().toISOString() });
      await w.net.processAll();
      await w.net.pds.ctx.accountManager.deleteAccount(gina.did as `did:${string}:${string}`);
      await w.net.processAll();
      // the AppView shows none of them any more, for six different reasons
      const shown = await channel['agent'].app.bsky.feed.getPosts({ uris: [deleted.uri, leaver.uri, resting.uri, takenDown.uri, unreachable.uri, lost.uri] });
      const names = new Map([[deleted.uri, 'deleted'], [leaver.uri, 'leaver'], [resting.uri, 'resting'], [takenDown.uri, 'takenDown'], [unreachable.uri, 'unreachable'], [lost.uri, 'lost']]);
      expect(shown.data.posts.map((p) => names.get(p.uri))).toEqual([]);

      await run();
      expect(await row(deleted.uri)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_by_author' });
      expect(await row(leaver.uri)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_by_author' });
      expect(await row(resting.uri)).toMatchObject({ redacted_at: null, text: `@${w.brand.handle} dave takes a break (${tag})` });
      expect(await row(takenDown.uri)).toMatchObject({ redacted_at: null, text: `@${w.brand.handle} erin breaks the rules (${tag})` });
      expect(await row(unreachable.uri)).toMatchObject({ redacted_at: null });
      expect(await row(lost.uri)).toMatchObject({ redacted_at: null, text: `@${w.brand.handle} gina's PDS loses her repository (${tag})` });

      // kept and marked where the account says why (dave's is deactivated); erin's record, taken down
      // alone (still in her repository, her account active, no block), is marked as such; a lost
      // repository, or one that cannot be read, says nothing
      expect(await row(resting.uri)).toMatchObject({ network_hidden_reason: 'account_deactivated', network_hidden_at: expect.any(Number) });
      expect(await row(takenDown.uri)).toMatchObject({ network_hidden_reason: 'post_taken_down', network_hidden_at: expect.any(Number) });
      for (const p of [lost, unreachable, deleted]) expect(await row(p.uri)).toMatchObject({ network_hidden_reason: null });

      // frank's repository answers again: the next round finds his deletion
      down.clear();
      await run();
      expect(await row(unreachable.uri)).toMatchObject({ text: '', redacted_reason: 'deleted_by_author' });
      expect(await row(resting.uri)).toMatchObject({ redacted_at: null });
      expect(await row(lost.uri)).toMatchObject({ redacted_at: null });

      // dave comes back, and erin's takedown is reversed: their posts are shown again, and the marks go
      await dave.agent.com.atproto.server.activateAccount();
      await w.net.bsky.ctx.dataplane.untakedownRecord({ recordUri: takenDown.uri });
      await pdsAdmin.com.atproto.admin.updateSubjectStatus({ subject: { $type: 'com.atproto.repo.strongRef', uri: takenDown.uri, cid: takenDown.cid }, takedown: { applied: false } }, admin);
      await w.net.processAll();
      await run();
      expect(await row(resting.uri)).toMatchObject({ redacted_at: null, network_hidden_at: null, network_hidden_reason: null });
      expect(await row(takenDown.uri)).toMatchObject({ redacted_at: null, network_hidden_at: null, network_hidden_reason: null });
    } finally {
      await worker.stop();
      await relay.stop();
      await db.drop();
    }
  }, 120_000);

  it('an account the AppView alone took down (its PDS keeps it active) has every post marked account_taken_down, blocked or not; a record taken down alone stays post_taken_down; other authors are untouched; reversals lift the marks', async () => {
    const db = await createTestDatabase('sqlite');
    const b = await brandChannel(w, { name: 'parley-deletions-appview', settings: { plcUrl: w.net.plc.url, timeoutMs: 20_000 } });
    const { worker, run, row } = await deletionDesk(db, 'bsky-del-appview', b.account, b.channel, { everyMs: 0, max: 500 });
    const tag = Date.now().toString(36);
    const user = async (name: string) => {
      const agent = new AtpAgent({ service: w.net.pds.url });
      const res = await agent.createAccount({ handle: `${name}${tag}.test`, email: `${name}${tag}@parley.test`, password: `${name}-password` });
      return { did: res.data.did, handle: res.data.handle, password: `${name}-password`, agent } satisfies User;
    };
    // the AppView's own moderation API (com.atproto.admin.updateSubjectStatus, as Ozone calls it); the PDS is told nothing
    const appView = new AtpAgent({ service: w.net.bsky.url });
    const admin = { headers: w.net.bsky.adminAuthHeaders(), encoding: 'application/json' } as const;
    const moderate = (subject: { $type: string; did?: string; uri?: string; cid?: string }, applied: boolean) =>
      appView.com.atproto.admin.updateSubjectStatus({ subject, takedown: applied ? { applied: true, ref: `appview-${tag}` } : { applied: false } }, admin);
    let jadeBlocked: { networkUserId: string; handle: string } | null = null;
    try {
      const [hana, ivan, jade] = [await user('hana'), await user('ivan'), await user('jade')];
      const hana1 = await w.post(hana, `@${w.brand.handle} hana's first complaint (${tag})`);
      const hana2 = await w.post(hana, `@${w.brand.handle} hana again (${tag})`);
      const ivanPost = await w.post(ivan, `@${w.brand.handle} ivan's post breaks the rules (${tag})`);
      const jadePost = await w.post(jade, `@${w.brand.handle} jade writes (${tag})`);
      const other = await w.post(w.alice, `@${w.brand.handle} alice is just asking (${tag})`);
      const all = [hana1, hana2, ivanPost, jadePost, other];
      await run();
      for (const p of all) expect(await row(p.uri)).toMatchObject({ redacted_at: null, network_hidden_reason: null });

      jadeBlocked = { networkUserId: jade.did, handle: jade.handle };
      await b.channel.block(jadeBlocked); // the brand blocks jade...
      await moderate({ $type: 'com.atproto.admin.defs#repoRef', did: jade.did }, true); // ...and the AppView takes her whole account down
      await moderate({ $type: 'com.atproto.admin.defs#repoRef', did: hana.did }, true); // hana's whole account
      await moderate({ $type: 'com.atproto.repo.strongRef', uri: ivanPost.uri, cid: ivanPost.cid }, true); // ivan's one post
      await w.net.processAll();
      // what the network answers: the PDS still serves the accounts as active, and the records
      const pds = new AtpAgent({ service: w.net.pds.url });
      for (const u of [hana, jade]) expect((await pds.com.atproto.sync.getRepoStatus({ did: u.did })).data).toMatchObject({ did: u.did, active: true });
      for (const p of [hana1, ivanPost, jadePost]) expect((await pds.com.atproto.repo.getRecord(split(p.uri))).data.uri).toBe(p.uri);
      // the AppView answers getProfile for a taken-down account with AccountTakedown (as public.api.bsky.app does), and getPosts leaves their posts out
      for (const u of [hana, jade]) await expect(b.channel['agent'].app.bsky.actor.getProfile({ actor: u.did })).rejects.toMatchObject({ error: 'AccountTakedown' });
      expect((await b.channel['agent'].app.bsky.actor.getProfile({ actor: ivan.did })).data.did).toBe(ivan.did);
      const shown = await b.channel['agent'].app.bsky.feed.getPosts({ uris: all.map((p) => p.uri) });
      expect(shown.data.posts.map((p) => p.uri)).toEqual([other.uri]);
      // the author's taken-down account is the author's state, not the brand's account being unusable
      // (AUTH_REVOKED would stop the channel): blocking or reading the profile says so and nothing else
      const hanaRef = { networkUserId: hana.did, handle: hana.handle };
      for (const attempt of [() => b.channel.block(hanaRef), () => b.channel.unblock(hanaRef), () => b.channel.fetchProfile(hana.did)]) {
        await expect(attempt()).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/author's Bluesky account is taken down/) });
      }
      expect((await b.channel.fetchProfile(ivan.did)).networkUserId).toBe(ivan.did);

      await run();
      for (const p of [hana1, hana2, jadePost]) expect(await row(p.uri)).toMatchObject({ redacted_at: null, network_hidden_reason: 'account_taken_down', network_hidden_at: expect.any(Number) });
      expect(await row(ivanPost.uri)).toMatchObject({ redacted_at: null, network_hidden_reason: 'post_taken_down', network_hidden_at: expect.any(Number) });
      expect(await row(other.uri)).toMatchObject({ redacted_at: null, network_hidden_at: null, network_hidden_reason: null });

      // the takedowns are reversed (and the brand lifts its block): shown again, the marks go
      await moderate({ $type: 'com.atproto.admin.defs#repoRef', did: hana.did }, false);
      await moderate({ $type: 'com.atproto.repo.strongRef', uri: ivanPost.uri, cid: ivanPost.cid }, false);
      await moderate({ $type: 'com.atproto.admin.defs#repoRef', did: jade.did }, false);
      await b.channel.unblock(jadeBlocked);
      jadeBlocked = null;
      await run();
      for (const p of all) expect(await row(p.uri)).toMatchObject({ redacted_at: null, network_hidden_at: null, network_hidden_reason: null });
    } finally {
      await worker.stop();
      if (jadeBlocked) await b.channel.unblock(jadeBlocked).catch(() => {});
      await db.drop();
    }
  }, 120_000);
});
