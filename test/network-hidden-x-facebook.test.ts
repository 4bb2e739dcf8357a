/**
 * Posts X and Facebook keep but hide, and posts deleted while the webhook missed it: the sync
 * worker's periodic check asks the connector's `presenceOf` (src/channels/x/gone.ts,
 * src/channels/facebook/gone.ts); deleted posts are redacted, hidden ones marked
 * (src/pipeline/deletions.ts `applyNetworkVisibility`) and unmarked when shown again. Through the
 * real sync worker, ingest pipeline and database (SQLite and PostgreSQL), against
 * XContractServer and GraphContractServer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createChannel as createFacebook } from '../src/channels/facebook/index.js';
import { ChannelRegistry } from '../src/channels/registry.js';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import type { Channel, ChannelFactory } from '../src/channels/types.js';
import { createChannel as createX } from '../src/channels/x/index.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import type { NormalizedMessage } from '../src/core/types.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { applyNetworkVisibility } from '../src/pipeline/deletions.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { XContractServer } from './contract-servers/x.js';
import { describeEachStore } from './db.js';

const deps = { fetch: globalThis.fetch, now: () => Date.now() };

describeEachStore('network-hidden posts on X and Facebook', (get) => {
  let x: XContractServer;
  let fb: GraphContractServer;
  beforeAll(async () => {
    x = await XContractServer.start();
    fb = await GraphContractServer.start();
  });
  afterAll(async () => {
    await x?.stop();
    await fb?.stop();
  });

  async function setup(slug: string, network: 'x' | 'facebook') {
    const { store } = get();
    const secrets = new SecretBox('network-hidden-x-facebook-0123456789abcdef');
    const now = Date.now();
    const factory: ChannelFactory = network === 'x' ? createX : createFacebook;
    const settings = network === 'x' ? { apiBaseUrl: x.url, requestTimeoutMs: 3000 } : { apiBaseUrl: fb.url, requestTimeoutMs: 3000 };
    const credentials = network === 'x' ? x.credentials() : fb.credentials('facebook');
    const handle = network === 'x' ? x.brand.username : fb.page.name;
    const externalId = network === 'x' ? x.brand.id : fb.page.id;
    const brandId = await createBrand(store.db, { slug: `${slug}-${now}`, name: 'Hidden posts' }, now);
    const accountId = await createChannelAccount(store.db, { brandId, network, handle, externalId, settings, credentials: secrets.seal(credentials) }, now);
    const channel: Channel = factory({ id: accountId, brandId, network, handle, externalId, settings, credentials }, deps);
    const bus = new EventBus();
    const pipeline = new IngestPipeline({ store, bus, clock: systemClock });
    const registry = new ChannelRegistry(store, secrets, deps);
    registry.register(network, (acc) => factory(acc, deps));
    const warnings: unknown[] = [];
    const log = { info() {}, warn: (o: unknown) => void warnings.push(o), error: (o: unknown) => void warnings.push(o) };
    const worker = new ChannelSyncWorker({ store, bus, clock: systemClock, registry, queue: new IngestQueue(pipeline), goneCheck: { everyMs: 0 }, log });
    /** Meta's pending `feed` deliveries, through the connector: messages stored, hide/unhide applied as the webhook route does. */
    const ingestWebhooks = async () => {
      const msgs: NormalizedMessage[] = [];
      for (const d of network === 'x' ? x.takePending() : fb.takePending('page')) {
        const r = await channel.handleWebhook!({ method: 'POST', query: {}, headers: d.headers, rawBody: d.body });
        expect(r.response.status).toBe(200);
        msgs.push(...r.messages);
        if (r.visibility) {
          await applyNetworkVisibility({ store, bus, clock: systemClock }, {
            brandId, network, hidden: new Map(r.visibility.hidden.map((h) => [h.networkMessageId, h.reason])), shown: r.visibility.shown, actor: `system:webhook:${network}`,
          });
        }
      }
      await pipeline.ingest(brandId, msgs.map((message) => ({ channelAccountId: accountId, message, source: 'network' as const })));
    };
    const row = (id: string) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', accountId).where('network_message_id', '=', id).executeTakeFirstOrThrow();
    const run = async () => {
      await worker.syncSoon(accountId);
      await worker.runOnce();
    };
    const audited = async (action: string) =>
      (await store.db.selectFrom('audit_event').select(['subject_id', 'data']).where('brand_id', '=', brandId).where('action', '=', action).execute()).map((a) => [String(a.subject_id), JSON.parse(String(a.data))]);
    return { store, brandId, accountId, channel, worker, ingestWebhooks, row, run, audited, warnings };
  }

  it('X: a withheld post is marked hidden, a deleted one redacted, a suspended, deactivated or protected author\'s kept and marked; shown again, unmarked', async () => {
    const s = await setup('xhidden', 'x');
    try {
      const [a, b, c, d, e, f] = ['fan_a', 'fan_b', 'fan_c', 'fan_d', 'fan_e', 'fan_f'].map((username) => x.addUser({ username }));
      const withheld = await x.postMention('@acme my order 7001 is late', { author: a });
      const deleted = await x.postMention('@acme call me at 555-0142', { author: b });
      const suspended = await x.postMention('@acme refund please, order 7002', { author: c });
      const deactivated = await x.postMention('@acme nobody answers, order 7003', { author: d });
      const protectedPost = await x.postMention('@acme where is order 7004?', { author: e });
      const kept = await x.postMention('@acme thanks for the help', { author: f });
      await s.ingestWebhooks();
      await s.run();
      for (const id of [withheld, deleted, suspended, deactivated, protectedPost, kept]) expect(await s.row(id)).toMatchObject({ redacted_at: null, network_hidden_reason: null });

      x.withholdTweet(withheld, ['DE', 'FR']);
      await x.authorDeletesTweet(deleted); // the webhook is not delivered: only the check learns of it
      x.takePending();
      x.suspendUser(c!.id);
      x.deactivateUser(d!.id);
      x.protectUser(e!.id);
      await s.run();
      expect(await s.row(withheld)).toMatchObject({ redacted_at: null, network_hidden_reason: 'withheld', network_hidden_at: expect.any(Number), text: expect.stringContaining('order 7001') });
      expect(await s.row(deleted)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_by_author', network_hidden_reason: null });
      expect(await s.row(suspended)).toMatchObject({ redacted_at: null, network_hidden_reason: 'account_suspended', text: expect.stringContaining('order 7002') });
      expect(await s.row(deactivated)).toMatchObject({ redacted_at: null, network_hidden_reason: 'account_deactivated' });
      expect(await s.row(protectedPost)).toMatchObject({ redacted_at: null, network_hidden_reason: 'account_protected' });
      expect(await s.row(kept)).toMatchObject({ redacted_at: null, network_hidden_reason: null });

      await s.run(); // the same state again: written and audited once
      const idOf = async (nid: string) => String((await s.row(nid)).id);
      expect((await s.audited('message.network_hidden')).sort()).toEqual([
        [await idOf(withheld), { reason: 'withheld' }],
        [await idOf(suspended), { reason: 'account_suspended' }],
        [await idOf(deactivated), { reason: 'account_deactivated' }],
        [await idOf(protectedPost), { reason: 'account_protected' }],
      ].sort());

      x.withholdTweet(withheld, null);
      x.suspendUser(c!.id, false);
      x.protectUser(e!.id, false);
      await s.run();
      for (const id of [withheld, suspended, protectedPost]) expect(await s.row(id)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null, redacted_at: null });
      expect(await s.row(deactivated)).toMatchObject({ network_hidden_reason: 'account_deactivated' });
      expect((await s.audited('message.network_shown')).sort()).toEqual([
        [await idOf(withheld), { was: 'withheld' }],
        [await idOf(suspended), { was: 'account_suspended' }],
        [await idOf(protectedPost), { was: 'account_protected' }],
      ].sort());
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('X: a malformed answer changes nothing, is logged, and the next check still works', async () => {
    const s = await setup('xmalformed', 'x');
    try {
      const author = x.addUser({ username: 'fan_m' });
      const post = await x.postMention('@acme order 7010 broken', { author });
      await s.ingestWebhooks();
      await s.run();
      x.withholdTweet(post, ['IN']);
      const before = s.warnings.length;
      for (const broken of [{ data: { id: post }, errors: 'nope' }, { data: [{ text: 'no id' }] }, { meta: {} }, [post]]) {
        x.malformNextRead(JSON.stringify(broken), '/2/tweets');
        await s.run();
        expect(await s.row(post)).toMatchObject({ redacted_at: null, network_hidden_reason: null, text: expect.stringContaining('order 7010') });
      }
      expect(await s.row(post)).toMatchObject({ redacted_at: null, network_hidden_reason: null, text: expect.stringContaining('order 7010') });
      expect(s.warnings.length).toBe(before + 4);
      expect(JSON.stringify(s.warnings.slice(before))).toMatch(/nothing was changed/);
      await s.run();
      expect(await s.row(post)).toMatchObject({ network_hidden_reason: 'withheld' });
      x.withholdTweet(post, null);
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('Facebook: a comment hidden by the Page\'s filters is marked, unhidden unmarked, deleted redacted; the feed webhook\'s hide/unhide marks at once', async () => {
    const s = await setup('fbhidden', 'facebook');
    try {
      const post = fb.pagePost();
      const hidden = await fb.fbComment('this brand is a scam, visit spam.example', { postId: post });
      const deleted = await fb.fbComment('my card is 4111 1111 1111 1111', { postId: post });
      const kept = await fb.fbComment('when does the store open?', { postId: post });
      await s.ingestWebhooks();
      for (const id of [hidden, deleted, kept]) expect(await s.row(id)).toMatchObject({ redacted_at: null, network_hidden_reason: null });

      // the filter hides it; the webhook was missed: the check finds it
      await fb.fbHideComment(hidden);
      fb.takePending('page');
      // its author deletes it; the webhook was missed too
      await fb.fbRemoveComment(deleted);
      fb.takePending('page');
      await s.run();
      expect(await s.row(hidden)).toMatchObject({ redacted_at: null, network_hidden_reason: 'hidden_comment', text: 'this brand is a scam, visit spam.example' });
      expect(await s.row(deleted)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_by_author' });
      expect(await s.row(kept)).toMatchObject({ redacted_at: null, network_hidden_reason: null });

      // unhidden in Facebook's UI: the webhook says so, the mark goes without waiting for the check
      await fb.fbHideComment(hidden, false);
      await s.ingestWebhooks();
      expect(await s.row(hidden)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      // hidden again: the webhook marks it at once
      await fb.fbHideComment(kept);
      await s.ingestWebhooks();
      expect(await s.row(kept)).toMatchObject({ network_hidden_reason: 'hidden_comment', network_hidden_at: expect.any(Number) });
      // and the check agrees: nothing more is written
      const hiddenBefore = (await s.audited('message.network_hidden')).length;
      await s.run();
      expect((await s.audited('message.network_hidden')).length).toBe(hiddenBefore);
      // unhidden while the webhook is missed: the check unmarks it
      await fb.fbHideComment(kept, false);
      fb.takePending('page');
      await s.run();
      expect(await s.row(kept)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      const idOf = async (nid: string) => String((await s.row(nid)).id);
      expect((await s.audited('message.network_shown')).sort()).toEqual([[await idOf(hidden), { was: 'hidden_comment' }], [await idOf(kept), { was: 'hidden_comment' }]].sort());
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('Facebook: a feed hide change without a comment id is quarantined with the reason, nothing else changes', async () => {
    const s = await setup('fbbadhide', 'facebook');
    try {
      const body = JSON.stringify({ object: 'page', entry: [{ id: fb.page.id, time: Math.floor(Date.now() / 1000), changes: [{ field: 'feed', value: { item: 'comment', verb: 'hide', post_id: `${fb.page.id}_1` } }] }] });
      const r = await s.channel.handleWebhook!({ method: 'POST', query: {}, headers: { 'x-hub-signature-256': fb.sign(body) }, rawBody: Buffer.from(body) });
      expect(r.response.status).toBe(200);
      expect(r.visibility).toBeUndefined();
      expect(r.rejected?.[0]?.reason).toMatch(/hide change without comment_id/);
    } finally {
      await s.worker.stop();
    }
  });
});
