/**
 * The one behaviour suite every channel passes (called from each network's
 * test: src/channels/<network>/<network>.test.ts). It drives the connector
 * against its network — a real local network where one can run here (Bluesky
 * via @atproto/dev-env, email via Dovecot + SMTP), otherwise a contract server
 * faithful to the network's documented API — and through Parley's real
 * pipeline, outbox and sync worker on a real SQLite database.
 *
 * Every capability a network lacks is skipped with a written reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, ChannelAccountConfig, SendRequest } from '../src/channels/types.js';
import { ChannelError } from '../src/channels/types.js';
import { ChannelRegistry } from '../src/channels/registry.js';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import type { Network, NormalizedMessage, Visibility } from '../src/core/types.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { enqueue, OutboxWorker } from '../src/outbox/outbox.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import type { Store } from '../src/store/db.js';
import { encodeText } from '../src/store/text.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/** What a network test provides to the contract suite. */
export interface ContractNetwork {
  network: Network;
  /** Build a channel for an account against the network under test. */
  makeChannel(account: ChannelAccountConfig): Channel;
  /** The account Parley acts as (handle, external id, credentials, settings). */
  account: Omit<ChannelAccountConfig, 'id' | 'brandId' | 'network'>;
  /** A customer posts a public item addressed to the account (mention, comment...). Returns its network id. */
  postMention(text: string): Promise<string>;
  /** A customer sends the account a private message; returns its network id. Omit when the network has none. */
  postPrivate?(text: string): Promise<string>;
  /**
   * Bring items the network has for the account into Parley's hands, the way
   * production does (poll `sync`, or deliver the webhook the network would send,
   * or wait on the stream). `redeliver` delivers the same items again.
   */
  receive(channel: Channel, opts?: { redeliver?: boolean }): Promise<NormalizedMessage[]>;
  /** Read a post back from the network: its text, what it replies to, and whether it is private. */
  readBack(networkMessageId: string): Promise<{ text: string; inReplyToNetworkId: string | null; visibility: 'public' | 'private' } | null>;
  /** How many posts by the account the network holds with this exact text. */
  countPosts(text: string): Promise<number>;
  /** Make the network answer the next write with: 429 + reset, an auth failure, a 5xx, or accept it and then time out. */
  failNext?(mode: 'rate_limit' | 'auth_revoked' | 'server_error' | 'timeout_after_accept'): void;
  /**
   * Revoke the account's credentials on the network (reads fail too). May be
   * async: revoking for real is a request to the network (e.g. Bluesky's
   * com.atproto.server.revokeAppPassword).
   */
  revokeAuth?(): void | Promise<void>;
  /** Capabilities the network lacks, with the reason (shown in the suite as skips). */
  skip?: Partial<Record<'private' | 'rateLimit' | 'authRevoked' | 'timeout', string>>;
  /**
   * How the network shows the items `postMention` makes and the account's replies to them.
   * Default 'public'. Networks without public posts (email, web chat) say 'private': their
   * "mention" is a customer's message to the account and every reply is private.
   */
  visibility?: Visibility;
  /**
   * For networks that live inside Parley itself (web chat, whose visitors read replies from
   * Parley's database): the suite's store and account, given before `makeChannel` is called.
   */
  attach?(ctx: { store: Store; brandId: number; accountId: number }): void | Promise<void>;
  teardown?(): Promise<void>;
}

export function runChannelContract(name: string, setup: () => Promise<ContractNetwork>) {
  describe(`channel contract: ${name}`, () => {
    let net: ContractNetwork;
    let db: TestDatabase;
    let brandId: number;
    let accountId: number;
    let pipeline: IngestPipeline;
    let channel: Channel;
    let registry: ChannelRegistry;
    let outbox: OutboxWorker;
    const bus = new EventBus();
    const secrets = new SecretBox('contract-suite-secret-0123456789abcdef');

    beforeAll(async () => {
      net = await setup();
      db = await createTestDatabase('sqlite');
      const now = Date.now();
      brandId = await createBrand(db.store.db, { slug: 'contract', name: 'Contract' }, now);
      accountId = await createChannelAccount(db.store.db, {
        brandId, network: net.network, handle: net.account.handle, externalId: net.account.externalId, settings: net.account.settings,
        credentials: secrets.seal(net.account.credentials),
      }, now);
      const config: ChannelAccountConfig = { ...net.account, id: accountId, brandId, network: net.network };
      await net.attach?.({ store: db.store, brandId, accountId });
      channel = net.makeChannel(config);
      pipeline = new IngestPipeline({ store: db.store, bus, clock: systemClock });
      registry = new ChannelRegistry(db.store, secrets, { fetch: globalThis.fetch, now: () => Date.now() });
      registry.register(net.network, (acc) => (acc.id === accountId ? channel : net.makeChannel(acc)));
      outbox = new OutboxWorker({ store: db.store, bus, clock: systemClock, registry, lockMs: 1 });
    }, 180_000);

    afterAll(async () => {
      await channel?.close?.();
      await net?.teardown?.();
      await db?.drop();
    });

    /** The visibility of the network's items and of replies to them (see ContractNetwork.visibility). */
    const vis = (): Visibility => net.visibility ?? 'public';
    const ingest = (msgs: NormalizedMessage[]) => pipeline.ingest(brandId, msgs.map((message) => ({ channelAccountId: accountId, message, source: 'network' as const })));

    /** Queue an agent reply on a conversation and let the outbox deliver it. */
    async function queueReply(conversationId: number, text: string, visibility: 'public' | 'private', replyTo: number | null) {
      const now = Date.now();
      const msg = await db.store.db.transaction().execute(async (trx) => {
        const conv = await trx.selectFrom('conversation').selectAll().where('id', '=', conversationId).executeTakeFirstOrThrow();
        const parent = replyTo ? await trx.selectFrom('message').selectAll().where('id', '=', replyTo).executeTakeFirstOrThrow() : null;
        const t = encodeText(text);
        const m = await trx.insertInto('message').values({
          brand_id: brandId, conversation_id: conv.id, channel_account_id: accountId, network: net.network, network_message_id: null, direction: 'outbound', visibility,
          kind: visibility === 'private' ? 'dm' : 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: parent?.network_message_id ?? null,
          thread_root_network_id: parent?.thread_root_network_id ?? null, reply_to_message_id: parent?.id ?? null, text: t.text, text_escaped: t.escaped, url: null,
          created_at: now, received_at: now, raw: null, status: 'queued', error: null, is_auto: 0, source: 'agent', idempotency_key: null,
        }).returningAll().executeTakeFirstOrThrow();
        await enqueue(trx, m, now);
        return m;
      });
      return msg;
    }

    async function drainOutbox(messageId: number, rounds = 10) {
      for (let i = 0; i < rounds; i++) {
        await db.store.db.updateTable('outbox').set({ next_attempt_at: 0 }).where('message_id', '=', messageId).where('status', '=', 'queued').execute();
        await outbox.runOnce();
        const row = await db.store.db.selectFrom('message').select(['status', 'network_message_id', 'error']).where('id', '=', messageId).executeTakeFirstOrThrow();
        if (row.status === 'sent' || row.status === 'failed') return row;
        await new Promise((r) => setTimeout(r, 20));
      }
      return db.store.db.selectFrom('message').select(['status', 'network_message_id', 'error']).where('id', '=', messageId).executeTakeFirstOrThrow();
    }

    let mentionId = '';
    let mentionMessageId = 0;
    let conversationId = 0;

    it('ingests a public item, normalized, with the raw payload kept', async () => {
      const text = `@${net.account.handle} my order has not arrived <b>#${Date.now()}</b>`;
      mentionId = await net.postMention(text);
      const items = await net.receive(channel);
      const m = items.find((x) => x.networkMessageId === mentionId);
      expect(m, `the mention ${mentionId} should come through`).toBeDefined();
      expect(m!).toMatchObject({ network: net.network, direction: 'inbound', visibility: vis() });
      expect(m!.text).toContain('my order has not arrived <b>#');
      expect(m!.author.networkUserId).toBeTruthy();
      expect(m!.author.handle).toBeTruthy();
      expect(Number.isFinite(m!.createdAt)).toBe(true);
      expect(m!.raw).toBeTruthy();
      const [o] = await ingest([m!]);
      expect(o!.status).toBe('stored');
      mentionMessageId = (o as any).messageId;
      conversationId = (o as any).conversationId;
    });

    it('stores a redelivered item once', async () => {
      const again = await net.receive(channel, { redeliver: true });
      const dup = again.filter((x) => x.networkMessageId === mentionId);
      expect(dup.length).toBeGreaterThan(0);
      const outcomes = await ingest([...dup, ...dup]);
      expect(outcomes.every((o) => o.status === 'duplicate')).toBe(true);
      const n = await db.store.db.selectFrom('message').select('id').where('network_message_id', '=', mentionId).execute();
      expect(n).toHaveLength(1);
    });

    it('replies in thread through the outbox, and the network shows it as a reply', async () => {
      const text = `Sorry to hear that! It ships today. ${Date.now()}`;
      const msg = await queueReply(conversationId, text, vis(), mentionMessageId);
      const row = await drainOutbox(msg.id);
      expect(row.status, row.error ?? '').toBe('sent');
      const back = await net.readBack(row.network_message_id!);
      expect(back).not.toBeNull();
      expect(back!.text).toContain('Sorry to hear that!');
      expect(back!.inReplyToNetworkId).toBe(mentionId);
      expect(back!.visibility).toBe(vis());
    });

    it('sends a private message', async (ctx) => {
      if (!net.postPrivate) return ctx.skip(net.skip?.private ?? 'the network has no private messages for this account type');
      const pid = await net.postPrivate(`hi, private question ${Date.now()}`);
      const items = await net.receive(channel);
      const pm = items.find((x) => x.networkMessageId === pid);
      expect(pm?.visibility).toBe('private');
      const [o] = await ingest([pm!]);
      const text = `Here are the details you asked for ${Date.now()}`;
      const msg = await queueReply((o as any).conversationId, text, 'private', (o as any).messageId);
      const row = await drainOutbox(msg.id);
      expect(row.status, row.error ?? '').toBe('sent');
      const back = await net.readBack(row.network_message_id!);
      expect(back?.visibility).toBe('private');
    });

    it('reports a rate limit with the reset time, and the outbox waits for it', async (ctx) => {
      if (!net.failNext) return ctx.skip(net.skip?.rateLimit ?? 'no way to make this network rate-limit here');
      net.failNext('rate_limit');
      const req: SendRequest = { idempotencyKey: `rl-${Date.now()}`, text: 'rate limited?', visibility: 'public', inReplyTo: { networkMessageId: mentionId } };
      const err = await channel.sendPublicReply(req).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(ChannelError);
      expect(err.code).toBe('RATE_LIMITED');
      expect(err.opts.retryAt).toBeGreaterThan(Date.now() - 1000);
      // through the outbox: queued again until the reset, then sent once
      net.failNext('rate_limit');
      const msg = await queueReply(conversationId, `after the limit ${Date.now()}`, vis(), mentionMessageId);
      await outbox.runOnce();
      const waiting = await db.store.db.selectFrom('outbox').selectAll().where('message_id', '=', msg.id).executeTakeFirstOrThrow();
      expect(waiting.status).toBe('queued');
      expect(waiting.last_error_code).toBe('RATE_LIMITED');
      const row = await drainOutbox(msg.id);
      expect(row.status).toBe('sent');
    });

    it('posts exactly once when the first send timed out after the network accepted it', async (ctx) => {
      if (!net.failNext) return ctx.skip(net.skip?.timeout ?? 'no way to inject a timeout on this network');
      if (!channel.findSent) throw new Error(`${name}: a channel without findSent cannot guarantee at-most-once after a timeout`);
      const text = `Timed out but posted ${Date.now()}`;
      net.failNext('timeout_after_accept');
      const msg = await queueReply(conversationId, text, vis(), mentionMessageId);
      const row = await drainOutbox(msg.id);
      expect(row.status, row.error ?? '').toBe('sent');
      expect(await net.countPosts(text)).toBe(1);
    });
    it('turns the account unhealthy when the network revokes its credentials', async (ctx) => {
      if (!net.revokeAuth) return ctx.skip(net.skip?.authRevoked ?? 'credentials cannot be revoked on this test network');
      await net.revokeAuth();
      const worker = new ChannelSyncWorker({ store: db.store, bus, clock: systemClock, registry, queue: new IngestQueue(pipeline) });
      await db.store.db.updateTable('channel_account').set({ next_sync_at: 0, sync_lease_until: null }).where('id', '=', accountId).execute();
      if (channel.sync) {
        await worker.runOnce();
      } else {
        const err = await channel.sendPublicReply({ idempotencyKey: `auth-${Date.now()}`, text: 'x', visibility: 'public', inReplyTo: { networkMessageId: mentionId } }).then(() => null, (e) => e);
        expect(err?.code).toBe('AUTH_REVOKED');
        const msg = await queueReply(conversationId, `after revoke ${Date.now()}`, vis(), mentionMessageId);
        await outbox.runOnce();
        expect((await db.store.db.selectFrom('outbox').select('status').where('message_id', '=', msg.id).executeTakeFirstOrThrow()).status).toBe('queued');
      }
      const acc = await db.store.db.selectFrom('channel_account').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
      expect(acc.status).toBe('unhealthy');
      expect(JSON.parse(acc.health)).toMatchObject({ code: 'AUTH_REVOKED', advice: expect.stringMatching(/Reconnect/) });
    });

  });
}
