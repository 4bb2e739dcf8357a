/**
 * A reply on Instagram goes with the comment it answers: once that top-level comment is deleted
 * (by its author, or by the brand in Parley or in the Instagram app), Graph answers the reply's
 * read 100/33 exactly as if the reply's own author had deleted it (IG Comment Replies reference,
 * Limitations: "You cannot get replies to a comment that has been deleted"). The check reads the
 * answered comment too (src/channels/instagram/gone.ts `byTheirComment`): such a reply is kept,
 * not redacted as its author's deletion, and marked hidden `parent_removed`; a reply whose
 * comment still reads is its author's deletion as before. Through the real sync worker, ingest
 * pipeline and database (SQLite and PostgreSQL), against GraphContractServer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createChannel } from '../src/channels/instagram/index.js';
import { ChannelRegistry } from '../src/channels/registry.js';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import type { Channel } from '../src/channels/types.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import type { NormalizedMessage } from '../src/core/types.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { describeEachStore } from './db.js';

const deps = { fetch: globalThis.fetch, now: () => Date.now() };

describeEachStore('Instagram replies gone with the comment they answer', (get) => {
  let server: GraphContractServer;
  beforeAll(async () => {
    server = await GraphContractServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function setup(slug: string) {
    const { store } = get();
    const secrets = new SecretBox('network-hidden-instagram-replies-0123456789abcdef');
    const now = Date.now();
    const settings = { apiBaseUrl: server.url, requestTimeoutMs: 3000, pageId: server.page.id };
    const brandId = await createBrand(store.db, { slug: `${slug}-${now}`, name: 'Instagram replies' }, now);
    const accountId = await createChannelAccount(store.db, {
      brandId, network: 'instagram', handle: server.ig.username, externalId: server.ig.id, settings, credentials: secrets.seal(server.credentials('instagram')),
    }, now);
    const channel: Channel = createChannel({ id: accountId, brandId, network: 'instagram', handle: server.ig.username, externalId: server.ig.id, settings, credentials: server.credentials('instagram') }, deps);
    const bus = new EventBus();
    const pipeline = new IngestPipeline({ store, bus, clock: systemClock });
    const registry = new ChannelRegistry(store, secrets, deps);
    registry.register('instagram', (acc) => createChannel(acc, deps));
    const worker = new ChannelSyncWorker({ store, bus, clock: systemClock, registry, queue: new IngestQueue(pipeline), goneCheck: { everyMs: 0 } });
    const ingestWebhooks = async () => {
      const msgs: NormalizedMessage[] = [];
      for (const d of server.takePending('instagram')) {
        const r = await channel.handleWebhook!({ method: 'POST', query: {}, headers: d.headers, rawBody: d.body });
        expect(r.response.status).toBe(200);
        msgs.push(...r.messages);
      }
      await pipeline.ingest(brandId, msgs.map((message) => ({ channelAccountId: accountId, message, source: 'network' as const })));
    };
    const row = (id: string) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', accountId).where('network_message_id', '=', id).executeTakeFirstOrThrow();
    const run = async () => {
      await worker.syncSoon(accountId);
      await worker.runOnce();
    };
    return { channel, worker, ingestWebhooks, row, run };
  }

  it('a reply whose comment its author deleted, or the brand deleted, is kept and marked `parent_removed`; a reply deleted on its own is redacted', async () => {
    const s = await setup('igreply');
    try {
      const media = server.igMedia('Spring drop');
      const question = await server.igComment('does it come in blue?', { mediaId: media });
      const answer = await server.igComment('it does, I have one: my order 7781 came in 2 days', { parentId: question });
      const spam = await server.igComment('cheap followers here', { mediaId: media });
      const reaction = await server.igComment('lol what, my order 9902 is stuck because of this', { parentId: spam });
      const stays = await server.igComment('love it', { mediaId: media });
      const ownDeletion = await server.igComment('my phone is 555-0199, call me', { parentId: stays });
      await s.ingestWebhooks();
      await s.run(); // all there
      for (const id of [question, answer, spam, reaction, stays, ownDeletion]) expect(await s.row(id)).toMatchObject({ redacted_at: null, network_hidden_reason: null });

      server.igRemoveComment(question); // its author deletes the question: the answer goes with it
      await s.channel.delete!(spam); // the brand deletes the spam: the reaction goes with it
      server.igRemoveComment(ownDeletion); // a reply deleted by its own author
      await s.run();

      expect(await s.row(question)).toMatchObject({ text: '', raw: null, redacted_at: expect.any(Number) });
      // its own disappearance is redacted (how the label names it is src/pipeline/deletions.ts's)
      expect(await s.row(ownDeletion)).toMatchObject({ text: '', raw: null, redacted_at: expect.any(Number), network_hidden_reason: null });
      // the replies' authors withdrew nothing: their text stays, and the agent is told why it is not shown
      expect(await s.row(answer)).toMatchObject({ text: 'it does, I have one: my order 7781 came in 2 days', redacted_at: null, network_hidden_reason: 'parent_removed', network_hidden_at: expect.any(Number) });
      expect(await s.row(reaction)).toMatchObject({ text: 'lol what, my order 9902 is stuck because of this', redacted_at: null, network_hidden_reason: 'parent_removed' });
      expect(await s.row(stays)).toMatchObject({ redacted_at: null, network_hidden_reason: null });
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('asks about a reply\'s comment only when the reply is not found, and decides nothing when that read fails', async () => {
    const s = await setup('igreply-ops');
    try {
      const media = server.igMedia();
      const top = await server.igComment('first!', { mediaId: media });
      const reply = await server.igComment('second, order 4410', { parentId: top });
      server.takePending('instagram');
      const threads = new Map([[reply, { inReplyTo: top, root: media }], [top, { inReplyTo: media, root: media }]]);
      const before = server.requests.length;
      expect(await s.channel.presenceOf!([reply], { authors: new Map(), threads })).toEqual({ gone: [], hidden: new Map(), shown: [reply] });
      // found directly: one batch, no read of its comment
      expect(server.requests.slice(before).filter((r) => r.path.startsWith('batch ') && r.path.includes(top))).toEqual([]);

      server.igRemoveComment(top);
      // both asked: the comment is gone (its author's deletion), the reply went with it
      expect(await s.channel.presenceOf!([reply, top], { authors: new Map(), threads })).toEqual({ gone: [top], hidden: new Map([[reply, 'parent_removed']]), shown: [] });
      // asked alone: its comment is read
      expect(await s.channel.presenceOf!([reply], { authors: new Map(), threads })).toEqual({ gone: [], hidden: new Map([[reply, 'parent_removed']]), shown: [] });
    } finally {
      await s.worker.stop();
    }
  }, 60_000);
});
