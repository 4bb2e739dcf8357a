/**
 * Raw payload retention must not break replies (src/jobs/housekeeping.ts,
 * src/channels/retainedRaw.ts, src/channels/instagram/retain.ts): an Instagram @mention on
 * someone else's media whose payload expired is still answered through the mentions edge with its
 * media id, and the expired payload holds its ids and nothing personal. A comment whose payload
 * is gone altogether is refused with the reason rather than posted to an edge that may be wrong.
 * A real pipeline, outbox and housekeeping over SQLite and PostgreSQL, against
 * GraphContractServer.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import type { NormalizedMessage } from '../src/core/types.js';
import { EventBus } from '../src/events/bus.js';
import { expireRawPayloads, retentionBatch } from '../src/jobs/housekeeping.js';
import { systemClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { enqueue, OutboxWorker } from '../src/outbox/outbox.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { encodeText } from '../src/store/text.js';
import { ChannelRegistry } from '../src/channels/registry.js';
import type { Channel } from '../src/channels/types.js';
import { createChannel } from '../src/channels/instagram/index.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './db.js';

const DAY = 86_400_000;
const deps = { fetch: globalThis.fetch, now: () => Date.now() };

for (const dialect of DIALECTS) {
  describe(`raw payload retention keeps what Instagram replies need [${dialect}]`, () => {
    let server: GraphContractServer;
    let channel: Channel;
    let db: TestDatabase;
    let brandId: number;
    let accountId: number;
    let outbox: OutboxWorker;
    let pipeline: IngestPipeline;

    beforeAll(async () => {
      server = await GraphContractServer.start();
      const acc = {
        id: 1, brandId: 1, network: 'instagram' as const, handle: server.ig.username, externalId: server.ig.id,
        credentials: server.credentials('instagram'), settings: { apiBaseUrl: server.url, requestTimeoutMs: 2000, pageId: server.page.id },
      };
      channel = createChannel(acc, deps);
      db = await createTestDatabase(dialect);
      const secrets = new SecretBox('harness-secret-0123456789abcdef0123');
      const now = Date.now();
      brandId = await createBrand(db.store.db, { slug: 'ig', name: 'IG' }, now);
      await db.store.db.updateTable('brand').set({ settings: JSON.stringify({ workflow: { retention: { rawPayloadDays: 30 } } }) }).where('id', '=', brandId).execute();
      accountId = await createChannelAccount(db.store.db, { brandId, network: 'instagram', handle: acc.handle, externalId: acc.externalId, settings: acc.settings, credentials: secrets.seal(acc.credentials) }, now);
      const bus = new EventBus();
      pipeline = new IngestPipeline({ store: db.store, bus, clock: systemClock });
      const registry = new ChannelRegistry(db.store, secrets, deps);
      registry.register('instagram', () => channel);
      outbox = new OutboxWorker({ store: db.store, bus, clock: systemClock, registry, lockMs: 1 });
    });
    afterAll(async () => {
      await db?.drop();
      await server?.stop();
    });

    /** What the webhook deliveries now pending become, stored as if written 40 days ago. */
    const ingestOld = async (): Promise<NormalizedMessage[]> => {
      const msgs: NormalizedMessage[] = [];
      for (const d of server.takePending('instagram')) {
        const r = await channel.handleWebhook!({ method: 'POST', query: {}, headers: d.headers, rawBody: d.body });
        expect(r.response.status).toBe(200);
        msgs.push(...r.messages);
      }
      for (const m of msgs) m.createdAt = Date.now() - 40 * DAY;
      await pipeline.ingest(brandId, msgs.map((message) => ({ channelAccountId: accountId, message, source: 'network' as const })));
      return msgs;
    };
    const byNetworkId = (id: string) => db.store.db.selectFrom('message').selectAll().where('network_message_id', '=', id).executeTakeFirstOrThrow();
    const rawOf = async (id: string): Promise<any> => {
      const r = (await byNetworkId(id)).raw as unknown;
      return r == null ? null : JSON.parse(typeof r === 'string' ? r : Buffer.from(r as Uint8Array).toString('utf8'));
    };
    const reply = async (parentNetworkId: string, text: string) => {
      const parent = await byNetworkId(parentNetworkId);
      const t = Date.now();
      const m = await db.store.db.transaction().execute(async (trx) => {
        const e = encodeText(text);
        const row = await trx.insertInto('message').values({
          brand_id: brandId, conversation_id: parent.conversation_id, channel_account_id: accountId, network: 'instagram', network_message_id: null, direction: 'outbound', visibility: 'public',
          kind: 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: parent.network_message_id, thread_root_network_id: parent.thread_root_network_id,
          reply_to_message_id: parent.id, text: e.text, text_escaped: e.escaped, url: null, created_at: t, received_at: t, raw: null, status: 'queued', error: null, is_auto: 0, source: 'agent', idempotency_key: null,
        }).returningAll().executeTakeFirstOrThrow();
        await enqueue(trx, row, t);
        return row;
      });
      await outbox.runOnce();
      return db.store.db.selectFrom('message').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow();
    };

    it('answers an old @mention through the mentions edge after its payload expired; the payload keeps its ids and nothing personal', async () => {
      const fan = server.addIgUser('fan.of.acme');
      const mentionId = await server.igMention('@acmecare my order 4411 never came, call me on 555-0100', fan);
      const mediaId = server.igCommentById(mentionId)!.mediaId;
      const dmId = await server.igDm('my address is 1 Secret Lane', fan);
      const ownComment = await server.igComment('love the new colours', { author: fan });
      await ingestOld();
      expect((await rawOf(mentionId)).mentioned_comment.text).toContain('555-0100');

      const now = Date.now();
      const cleared = await expireRawPayloads(db.store, now);
      expect(cleared.get(brandId)).toBe(3);
      // only the ids a reply needs, under the mark; no text, names or profile data
      expect(await rawOf(mentionId)).toEqual({ 'parley:retained': now, mention: { media_id: mediaId, comment_id: mentionId } });
      expect(await rawOf(dmId)).toEqual({ 'parley:retained': now, message: { mid: dmId } });
      expect(await rawOf(ownComment)).toEqual({ 'parley:retained': now });
      for (const id of [mentionId, dmId, ownComment]) {
        const stored = JSON.stringify(await rawOf(id));
        for (const personal of ['555-0100', 'Secret Lane', 'love the new', fan.username, fan.id]) expect(stored).not.toContain(personal);
      }
      // trimmed rows are not trimmed again (nor counted) by the next runs
      expect((await expireRawPayloads(db.store, now + 60_000)).size).toBe(0);
      expect((await rawOf(mentionId))['parley:retained']).toBe(now);
      const audited = await db.store.db.selectFrom('audit_event').select('data').where('action', '=', 'message.raw_expired').execute();
      expect(audited.map((a) => JSON.parse(a.data))).toEqual([expect.objectContaining({ count: 3, kept: 3, days: 30 })]);

      const before = server.requests.length;
      const sent = await reply(mentionId, 'So sorry! We have sent you a DM.');
      expect(sent.status, sent.error ?? '').toBe('sent');
      const posts = server.requests.slice(before).filter((q) => q.method === 'POST');
      expect(posts.map((q) => q.path)).toEqual([expect.stringMatching(new RegExp(`/${server.ig.id}/mentions$`))]);
      expect(posts[0]!.params).toMatchObject({ media_id: mediaId, comment_id: mentionId });
      expect(server.igCommentById(sent.network_message_id!)).toMatchObject({ mediaId, parentId: mentionId });

      // a comment on the account's own media is still answered under the comment
      const again = server.requests.length;
      const answered = await reply(ownComment, 'Thank you!');
      expect(answered.status, answered.error ?? '').toBe('sent');
      expect(server.requests.slice(again).filter((q) => q.method === 'POST').map((q) => q.path)).toEqual([expect.stringMatching(new RegExp(`/${ownComment}/replies$`))]);
    });

    it('a sweep reads only rows still holding their payload: the trimmed ones are out of its index', async () => {
      await server.igMention('@acmecare is my order coming?');
      await ingestOld();
      await expireRawPayloads(db.store, Date.now());
      // trimmed rows hold a payload still, but are no candidates
      expect(await retentionBatch(db.store.db, brandId, Date.now() - 30 * DAY, 100).execute()).toEqual([]);
      const q = retentionBatch(db.store.db, brandId, Date.now() - 30 * DAY, 100).compile();
      const plan = await db.store.db.transaction().execute(async (trx) => {
        // PostgreSQL would scan so small a table: made to take an index if one fits the query
        if (dialect === 'postgres') await sql`set local enable_seqscan = off`.execute(trx);
        const r = await trx.executeQuery({ ...q, sql: `${dialect === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN (ANALYZE, COSTS OFF)'} ${q.sql}` });
        return (r.rows as Record<string, string>[]).map((row) => row.detail ?? row['QUERY PLAN']).join(' | ');
      });
      expect(plan).toMatch(/message_raw_kept/);
      if (dialect === 'postgres') {
        // the index holds no trimmed row: none is read and then filtered out
        expect(plan).not.toMatch(/Rows Removed by (Index Recheck|Filter)/);
      } else {
        // SQLite tells no row counts: the index's own predicate leaves the trimmed rows out
        const ix = await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and name = 'message_raw_kept'`.execute(db.store.db);
        expect(ix.rows[0]?.sql).toContain(`NOT LIKE '{"parley:retained":%'`);
      }
    });

    it('refuses, with the reason, to answer a comment on media whose payload is gone entirely', async () => {
      const mentionId = await server.igMention('@acmecare hello?');
      await ingestOld();
      // as a sweep before retention kept the mention's ids left it
      await db.store.db.updateTable('message').set({ raw: null }).where('network_message_id', '=', mentionId).execute();
      const before = server.requests.length;
      const sent = await reply(mentionId, 'Hello!');
      expect(sent.status).toBe('failed');
      expect(sent.error).toMatch(/cannot tell whether it is a mention/);
      expect(server.requests.slice(before).filter((q) => q.method === 'POST')).toEqual([]);
    });
  });
}
