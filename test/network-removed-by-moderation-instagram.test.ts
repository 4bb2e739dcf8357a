/**
 * An Instagram comment taken away because the brand blocked or restricted its author reads in
 * Graph exactly as one its author deleted (100/33: a restricted person's comments are "not
 * returned unless the IG user is unrestricted and the comment is approved", a block removes their
 * comments from the account's media). Where Parley has that moderation on record (a block or a
 * restriction of the comment's author on the same account), the comment is not its author's
 * deletion: it keeps its text and is marked `author_blocked` / `author_restricted`
 * (src/pipeline/deletions.ts `removedByAuthorModeration`); one a restricted author gets approved
 * reads again and the mark goes. Without such a record — none, refused by the network, on another
 * account, or undone before the comment was written — it is the author's deletion as before.
 * Through the real sync worker, ingest pipeline and database (SQLite and PostgreSQL), against
 * GraphContractServer.
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

describeEachStore('Instagram comments removed by the brand\'s moderation of their author', (get) => {
  let server: GraphContractServer;
  beforeAll(async () => {
    server = await GraphContractServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function setup(slug: string) {
    const { store } = get();
    const secrets = new SecretBox('network-removed-by-moderation-0123456789abcdef');
    const now = Date.now();
    const settings = { apiBaseUrl: server.url, requestTimeoutMs: 3000, pageId: server.page.id };
    const brandId = await createBrand(store.db, { slug: `${slug}-${now}`, name: 'Instagram moderation removals' }, now);
    const account = { brandId, network: 'instagram' as const, handle: server.ig.username, externalId: server.ig.id, settings };
    const accountId = await createChannelAccount(store.db, { ...account, credentials: secrets.seal(server.credentials('instagram')) }, now);
    // a second Instagram account of the same brand: moderation recorded there explains nothing here
    const otherAccountId = await createChannelAccount(store.db, { ...account, handle: 'acme.other', externalId: `9${server.ig.id}`, credentials: secrets.seal(server.credentials('instagram')) }, now);
    // not synced until a test stores something on it (its id is not the contract server's account)
    await store.db.updateTable('channel_account').set({ next_sync_at: now + 86_400_000 }).where('id', '=', otherAccountId).execute();
    const channel: Channel = createChannel({ id: accountId, ...account, credentials: server.credentials('instagram') }, deps);
    const bus = new EventBus();
    const pipeline = new IngestPipeline({ store, bus, clock: systemClock });
    const registry = new ChannelRegistry(store, secrets, deps);
    registry.register('instagram', (acc) => createChannel(acc, deps));
    const worker = new ChannelSyncWorker({ store, bus, clock: systemClock, registry, queue: new IngestQueue(pipeline), goneCheck: { everyMs: 0 } });
    const ingestWebhooks = async (onAccount = accountId) => {
      const msgs: NormalizedMessage[] = [];
      for (const d of server.takePending('instagram')) {
        const r = await channel.handleWebhook!({ method: 'POST', query: {}, headers: d.headers, rawBody: d.body });
        expect(r.response.status).toBe(200);
        msgs.push(...r.messages);
      }
      await pipeline.ingest(brandId, msgs.map((message) => ({ channelAccountId: onAccount, message, source: 'network' as const })));
    };
    const row = (id: string, onAccount = accountId) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', onAccount).where('network_message_id', '=', id).executeTakeFirstOrThrow();
    const run = async () => {
      await worker.syncSoon(accountId);
      await worker.runOnce();
    };
    /** What the desk has on record: `action` of the author of `commentId` (through that comment), with this status and time. */
    const record = async (commentId: string, action: string, opts: { status?: string; at?: number; onAccount?: number } = {}) => {
      const m = await row(commentId, opts.onAccount);
      const r = await store.db.insertInto('moderation_action').values({
        brand_id: brandId, message_id: m.id, conversation_id: m.conversation_id, identity_id: m.author_identity_id, action, guideline_id: 0,
        evidence: 'repeated harassment of other commenters', actor_user_id: 1, status: opts.status ?? 'done', error: null, created_at: opts.at ?? Date.now(),
      }).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    };
    const audits = (messageId: number, action: string) =>
      store.db.selectFrom('audit_event').selectAll().where('brand_id', '=', brandId).where('subject_type', '=', 'message').where('subject_id', '=', String(messageId)).where('action', '=', action).execute();
    const data = (a: { data: unknown } | undefined) => (typeof a?.data === 'string' ? JSON.parse(a.data) : a?.data);
    return { store, brandId, accountId, otherAccountId, worker, ingestWebhooks, row, run, record, audits, data };
  }

  it('a blocked or restricted author\'s comment keeps its text and is marked so; an author\'s own deletion is still redacted; an approved comment is shown again', async () => {
    const s = await setup('igmod');
    try {
      const media = server.igMedia('Autumn drop');
      const troll = server.addIgUser('troll.account');
      const heckler = server.addIgUser('heckler.account');
      const fan = server.addIgUser('regular.fan');
      const blockedComment = await server.igComment('you are all idiots, and so is @regular.fan', { mediaId: media, author: troll });
      const restrictedComment = await server.igComment('this brand is a scam, 555-0199 call me', { mediaId: media, author: heckler });
      const deletedComment = await server.igComment('my address is 3 Quiet Street, sorry wrong post', { mediaId: media, author: fan });
      await s.ingestWebhooks();

      // the brand blocks the troll and restricts the heckler in the Instagram app, and records both in Parley
      const blockId = await s.record(blockedComment, 'block');
      const restrictId = await s.record(restrictedComment, 'restrict');
      server.igBlock(troll.id);
      server.igRestrict(heckler.id);
      server.igRemoveComment(deletedComment);
      await s.run();

      // Graph answers the same for all three; what Parley did tells them apart
      const blocked = await s.row(blockedComment);
      expect(blocked).toMatchObject({ text: 'you are all idiots, and so is @regular.fan', redacted_at: null, redacted_reason: null, network_hidden_reason: 'author_blocked', network_hidden_at: expect.any(Number) });
      const restricted = await s.row(restrictedComment);
      expect(restricted).toMatchObject({ text: 'this brand is a scam, 555-0199 call me', redacted_at: null, network_hidden_reason: 'author_restricted' });
      expect(restricted.raw).not.toBeNull();
      expect(await s.row(deletedComment)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed', network_hidden_reason: null });

      // audited once each, naming the moderation that explains it, and never as a redaction
      const [hiddenAudit] = await s.audits(Number(blocked.id), 'message.network_hidden');
      expect(s.data(hiddenAudit)).toMatchObject({ reason: 'author_blocked', moderationActionId: blockId });
      expect(s.data((await s.audits(Number(restricted.id), 'message.network_hidden'))[0])).toMatchObject({ reason: 'author_restricted', moderationActionId: restrictId });
      expect(await s.audits(Number(blocked.id), 'message.redacted')).toHaveLength(0);

      // the next check finds the same: nothing changes, nothing is audited again
      await s.run();
      expect(await s.row(blockedComment)).toMatchObject({ redacted_at: null, network_hidden_reason: 'author_blocked', network_hidden_at: blocked.network_hidden_at });
      expect(await s.audits(Number(blocked.id), 'message.network_hidden')).toHaveLength(1);

      // the heckler is unrestricted and the comment approved: Graph returns it again, the mark goes
      server.igUnrestrict(heckler.id);
      server.igApproveComment(restrictedComment);
      await s.run();
      expect(await s.row(restrictedComment)).toMatchObject({ text: 'this brand is a scam, 555-0199 call me', network_hidden_reason: null, network_hidden_at: null, redacted_at: null });
      // the troll's comment stays unread: still kept, still marked
      expect(await s.row(blockedComment)).toMatchObject({ network_hidden_reason: 'author_blocked', redacted_at: null });
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('moderation that does not explain the disappearance leaves it the author\'s deletion: none on record, refused, on another account, or undone before the comment was written', async () => {
    const s = await setup('igmod-none');
    try {
      const media = server.igMedia('Winter drop');
      const unrecorded = server.addIgUser('blocked.in.app.only');
      const refused = server.addIgUser('block.refused');
      const elsewhere = server.addIgUser('blocked.elsewhere');
      const forgiven = server.addIgUser('forgiven.person');
      const a = await server.igComment('comment one, phone 555-0110', { mediaId: media, author: unrecorded });
      const b = await server.igComment('comment two, phone 555-0111', { mediaId: media, author: refused });
      const c = await server.igComment('comment three, phone 555-0112', { mediaId: media, author: elsewhere });
      const earlier = await server.igComment('an earlier comment by the forgiven person', { mediaId: media, author: forgiven });
      await s.ingestWebhooks();
      // the same person's comment stored on the brand's other Instagram account, and blocked there
      const onOther = await server.igComment('on the other account', { mediaId: media, author: elsewhere });
      await s.ingestWebhooks(s.otherAccountId);
      // (not synced itself: its id is not the contract server's account)
      await s.store.db.updateTable('channel_account').set({ status: 'disabled' }).where('id', '=', s.otherAccountId).execute();
      await s.record(onOther, 'block', { onAccount: s.otherAccountId });
      await s.record(b, 'block', { status: 'failed' });
      // blocked and unblocked an hour ago, before writing the comment that later disappears
      await s.record(earlier, 'block', { at: Date.now() - 3_600_000 });
      await s.record(earlier, 'unblock', { at: Date.now() - 3_000_000 });
      const later = await server.igComment('written after the unblock, then deleted', { mediaId: media, author: forgiven });
      await s.ingestWebhooks();

      server.igBlock(unrecorded.id); // in the app, never recorded in Parley: nothing tells it from a deletion
      for (const id of [b, c, later]) server.igRemoveComment(id);
      await s.run();
      for (const id of [a, b, c, later]) expect(await s.row(id)).toMatchObject({ text: '', redacted_reason: 'deleted_or_removed', network_hidden_reason: null });
      expect(await s.row(earlier)).toMatchObject({ text: 'an earlier comment by the forgiven person', redacted_at: null, network_hidden_reason: null });
    } finally {
      await s.worker.stop();
    }
  }, 60_000);
});
