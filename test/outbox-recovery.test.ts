/**
 * A channel account that recovers sends its held-back replies at once, not when their retry
 * back-off ends (up to 5 minutes for an account whose credentials were refused), and still at
 * most once: a reply whose last attempt was ambiguous asks the network first, a rate-limited
 * one keeps waiting for the network's reset, and a reply a worker is sending is left to it.
 * Recovery through a poll that goes through again (the sync worker) and through a send that
 * does; on both engines.
 */
import { expect, it } from 'vitest';
import { ChannelRegistry } from '../src/channels/registry.js';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import { ChannelError, type Capabilities, type Channel, type SendRequest, type SendResult } from '../src/channels/types.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { EventBus } from '../src/events/bus.js';
import { ManualClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { enqueue, OutboxWorker } from '../src/outbox/outbox.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import { encodeText } from '../src/store/text.js';
import { describeEachStore } from './db.js';
import { mention } from './helpers/parley.js';

const caps = Object.fromEntries(['publicReply', 'poll'].map((k) => [k, true])) as Capabilities;

/** A network that fails sends as told, remembers what it accepted, and answers "did it go out?". */
class ScriptedNetwork {
  /** Accepted posts by idempotency key (a key twice would be a double post). */
  readonly posted: { key: string; text: string }[] = [];
  readonly findSentAsked: string[] = [];
  /** Per reply text: what the next send of it does. */
  readonly failures = new Map<string, () => Error>();
  polls = 0;
  pollFails: Error | null = null;
  /** Answer "did it go out?" by text, newest first, as Facebook can only be asked (it keeps no idempotency key). */
  findByText = false;

  channel(network: string): Channel {
    const net = this;
    return {
      network: network as Channel['network'],
      capabilities: caps,
      async sync() {
        net.polls++;
        if (net.pollFails) throw net.pollFails;
        return { messages: [], cursor: null };
      },
      async sendPublicReply(req: SendRequest): Promise<SendResult> {
        const fail = net.failures.get(req.text);
        if (fail) {
          net.failures.delete(req.text);
          const err = fail();
          // a timeout after the network accepted the post: it is out there, the answer was lost
          if (err instanceof ChannelError && err.code === 'TIMEOUT') net.posted.push({ key: req.idempotencyKey, text: req.text });
          throw err;
        }
        net.posted.push({ key: req.idempotencyKey, text: req.text });
        return { networkMessageId: `out-${net.posted.length}` };
      },
      async findSent(req: SendRequest): Promise<SendResult | null> {
        net.findSentAsked.push(req.text);
        const i = net.findByText ? net.posted.map((p) => p.text).lastIndexOf(req.text) : net.posted.findIndex((p) => p.key === req.idempotencyKey);
        return i < 0 ? null : { networkMessageId: `out-${i + 1}` };
      },
    };
  }
}

describeEachStore('replies held back while an account was down', (get) => {
  const T = Date.UTC(2026, 11, 7, 10);

  async function setup() {
    const { store } = get();
    const clock = new ManualClock(T);
    const bus = new EventBus();
    const slug = `rec${Math.random().toString(36).slice(2, 8)}`;
    const brandId = await createBrand(store.db, { slug, name: slug }, T);
    const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: `${slug}Care`, driver: 'scripted' }, T);
    const net = new ScriptedNetwork();
    const registry = new ChannelRegistry(store, new SecretBox('outbox-recovery-secret-0123456789abcdef'), { fetch: globalThis.fetch, now: () => clock.now() });
    registry.register('scripted', (acc) => net.channel(acc.network));
    const pipeline = new IngestPipeline({ store, bus, clock });
    const outbox = new OutboxWorker({ store, bus, clock, registry, workerId: 'outbox-a' });
    const sync = new ChannelSyncWorker({ store, bus, clock, registry, queue: new IngestQueue(pipeline), workerId: 'sync-a' });
    const [o] = await pipeline.ingest(brandId, [{ channelAccountId: accountId, message: mention({ createdAt: T }), source: 'network' }]);
    if (o?.status !== 'stored') throw new Error(`the mention was not stored: ${JSON.stringify(o)}`);
    const { conversationId, messageId: parentId } = o;

    /** An agent's reply on the outbox (as the composer queues it). */
    const queueReply = (text: string) =>
      store.db.transaction().execute(async (trx) => {
        const t = encodeText(text);
        const now = clock.now();
        const m = await trx.insertInto('message').values({
          brand_id: brandId, conversation_id: conversationId, channel_account_id: accountId, network: 'x', network_message_id: null, direction: 'outbound', visibility: 'public',
          kind: 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: null, thread_root_network_id: null, reply_to_message_id: parentId,
          text: t.text, text_escaped: t.escaped, url: null, created_at: now, received_at: now, raw: null, status: 'queued', error: null, is_auto: 0, source: 'agent', idempotency_key: null,
        }).returningAll().executeTakeFirstOrThrow();
        return (await enqueue(trx, m, now)).id;
      });
    const row = (id: number) => store.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const account = () => store.db.selectFrom('channel_account').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
    return { store, clock, net, outbox, sync, accountId, queueReply, row, account };
  }

  it('a poll that goes through again makes them due at once: sent once each, the ambiguous one checked first, the rate-limited one still waiting', async () => {
    const { store, clock, net, outbox, sync, accountId, queueReply, row, account } = await setup();
    const revoked = await queueReply('sorry about that, a refund is on its way');
    const ambiguous = await queueReply('we have passed this on to the courier');
    const limited = await queueReply('thanks for your patience');
    // the outage: credentials refused, a send that timed out after the network took it (late in
    // its retries, so its back-off is long), the network's rate limit for 15 minutes
    net.failures.set('sorry about that, a refund is on its way', () => new ChannelError('AUTH_REVOKED', 'token expired (401)'));
    net.failures.set('we have passed this on to the courier', () => new ChannelError('TIMEOUT', 'no answer in 30 s'));
    net.failures.set('thanks for your patience', () => new ChannelError('RATE_LIMITED', 'too many requests', { retryAt: T + 15 * 60_000 }));
    await store.db.updateTable('outbox').set({ attempts: 6 }).where('id', '=', ambiguous).execute();
    expect(await outbox.runOnce()).toBe(3);
    expect((await account()).status).toBe('unhealthy');
    expect((await row(revoked)).next_attempt_at).toBe(T + 300_000);
    expect((await row(ambiguous)).next_attempt_at).toBeGreaterThan(T + 60_000);
    expect(net.posted.map((p) => p.text)).toEqual(['we have passed this on to the courier']);

    // ten seconds later the account's poll goes through: it is healthy again
    clock.advance(10_000);
    expect(await outbox.runOnce()).toBe(0); // nothing due yet
    await sync.syncSoon(accountId);
    expect(await sync.runOnce()).toEqual([accountId]);
    expect((await account()).status).toBe('active');
    expect((await row(revoked)).next_attempt_at).toBe(T + 10_000);
    expect((await row(ambiguous)).next_attempt_at).toBe(T + 10_000);
    expect((await row(limited)).next_attempt_at).toBe(T + 15 * 60_000);

    expect(await outbox.runOnce()).toBe(2);
    expect((await row(revoked)).status).toBe('sent');
    expect((await row(ambiguous)).status).toBe('sent');
    expect((await row(limited)).status).toBe('queued');
    // at most once: the post that went out during the timeout was found, not posted again
    expect(net.findSentAsked).toEqual(['we have passed this on to the courier']);
    expect(net.posted.map((p) => p.text).sort()).toEqual(['sorry about that, a refund is on its way', 'we have passed this on to the courier']);
    expect(new Set(net.posted.map((p) => p.key)).size).toBe(net.posted.length);
    const audit = await store.db.selectFrom('audit_event').select('data').where('action', '=', 'channel.recovered').where('subject_id', '=', String(accountId)).execute();
    expect(audit.map((a) => JSON.parse(String(a.data)))).toEqual([{ repliesDueNow: 2 }]);

    // recovering again changes nothing: the rate-limited reply waits for the network's reset, then goes out once
    expect(await outbox.runOnce()).toBe(0);
    clock.set(T + 15 * 60_000);
    expect(await outbox.runOnce()).toBe(1);
    expect(net.posted.map((p) => p.text).filter((t) => t === 'thanks for your patience')).toHaveLength(1);
  });

  it('a send that goes through on a recovering account makes its other held replies due in the same drain; one a worker is sending is left to it', async () => {
    const { store, clock, net, outbox, queueReply, row, account } = await setup();
    const first = await queueReply('first reply');
    const second = await queueReply('second reply');
    net.failures.set('first reply', () => new ChannelError('AUTH_REVOKED', 'token expired (401)'));
    net.failures.set('second reply', () => new ChannelError('AUTH_REVOKED', 'token expired (401)'));
    expect(await outbox.runOnce()).toBe(2);
    expect((await account()).status).toBe('unhealthy');
    // a third reply written meanwhile is tried at once (new work is not held back) and goes through
    const third = await queueReply('third reply');
    // and another process is in the middle of sending the second one when the account recovers
    await store.db.updateTable('outbox').set({ status: 'sending', locked_by: 'outbox-b', locked_until: T + 120_000 }).where('id', '=', second).execute();
    clock.advance(5_000);
    expect(await outbox.runOnce()).toBe(1); // the third: sent, and the account is healthy again
    expect((await row(third)).status).toBe('sent');
    expect((await account()).status).toBe('active');
    expect((await row(first)).next_attempt_at).toBe(T + 5_000);
    expect((await row(second))).toMatchObject({ status: 'sending', locked_by: 'outbox-b' });
    expect(await outbox.runOnce()).toBe(1);
    expect((await row(first)).status).toBe('sent');
    expect(net.posted.map((p) => p.text)).toEqual(['third reply', 'first reply']);
  });
  it('a network asked by text that points at another reply of ours: the uncertain one fails for a person to check, never posted again, and the other reply is kept', async () => {
    const { store, clock, net, outbox, queueReply, row } = await setup();
    net.findByText = true;
    const text = 'your refund went out today';
    const first = await queueReply(text);
    net.failures.set(text, () => new ChannelError('TIMEOUT', 'no answer in 30 s')); // accepted, answer lost
    await outbox.runOnce();
    await store.db.updateTable('outbox').set({ next_attempt_at: clock.now() + 5 * 60_000 }).where('id', '=', first).execute(); // its back-off
    const second = await queueReply(text);
    await outbox.runOnce(); // the second, same text, goes out
    expect((await row(second)).status).toBe('sent');
    clock.advance(10 * 60_000);
    await outbox.runOnce(); // the first again: asked first, and the answer is the second's post
    const r1 = await row(first);
    expect(r1.status).toBe('failed');
    expect(r1.last_error_code).toBe('UNCERTAIN');
    expect(r1.last_error).toMatch(/could not tell whether this reply went out/);
    const ours = () => net.posted.filter((p) => p.text === text); // (rows of earlier tests may pass through this worker too)
    expect(ours()).toHaveLength(2); // never a third post
    const secondMsg = await store.db.selectFrom('message').select(['status', 'network_message_id']).where('id', '=', (await row(second)).message_id).executeTakeFirstOrThrow();
    expect(secondMsg.status).toBe('sent');
    expect(secondMsg.network_message_id).toBe(`out-${net.posted.map((p) => p.text).lastIndexOf(text) + 1}`);
    clock.advance(60 * 60_000);
    await outbox.runOnce();
    expect(ours()).toHaveLength(2);
  });
});
