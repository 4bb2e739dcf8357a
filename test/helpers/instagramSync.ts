/**
 * A brand with its Instagram account connected on the Graph contract server, a sync worker whose
 * deletion check runs at every run (unless told otherwise), and `ingestWebhooks`: what the pending
 * webhook deliveries hold, through the real connector and ingest pipeline.
 */
import { expect } from 'vitest';
import { createChannel } from '../../src/channels/instagram/index.js';
import { ChannelRegistry } from '../../src/channels/registry.js';
import { ChannelSyncWorker } from '../../src/channels/sync.js';
import type { Channel } from '../../src/channels/types.js';
import { createBrand, createChannelAccount } from '../../src/commands/setup.js';
import type { NormalizedMessage } from '../../src/core/types.js';
import { EventBus } from '../../src/events/bus.js';
import { systemClock, type Clock } from '../../src/lib/clock.js';
import { SecretBox } from '../../src/lib/secrets.js';
import { IngestPipeline } from '../../src/pipeline/ingest.js';
import { IngestQueue } from '../../src/pipeline/queue.js';
import type { Store } from '../../src/store/db.js';
import type { GraphContractServer } from '../contract-servers/graph.js';

const deps = { fetch: globalThis.fetch, now: () => Date.now() };

export async function instagramBrand(store: Store, server: GraphContractServer, opts: { slug: string; name: string; clock?: Clock; goneCheck?: { everyMs?: number; max?: number } | null }) {
  const secrets = new SecretBox('instagram-sync-test-secret-0123456789abcdef');
  const now = Date.now();
  const settings = { apiBaseUrl: server.url, requestTimeoutMs: 3000, pageId: server.page.id };
  const brandId = await createBrand(store.db, { slug: `${opts.slug}-${now}`, name: opts.name }, now);
  const accountId = await createChannelAccount(store.db, {
    brandId, network: 'instagram', handle: server.ig.username, externalId: server.ig.id, settings, credentials: secrets.seal(server.credentials('instagram')),
  }, now);
  const channel: Channel = createChannel({ id: accountId, brandId, network: 'instagram', handle: server.ig.username, externalId: server.ig.id, settings, credentials: server.credentials('instagram') }, deps);
  const bus = new EventBus();
  const pipeline = new IngestPipeline({ store, bus, clock: systemClock });
  const registry = new ChannelRegistry(store, secrets, deps);
  registry.register('instagram', (acc) => createChannel(acc, deps));
  const goneCheck = opts.goneCheck === null ? undefined : (opts.goneCheck ?? { everyMs: 0 });
  const worker = new ChannelSyncWorker({ store, bus, clock: opts.clock ?? systemClock, registry, queue: new IngestQueue(pipeline), ...(goneCheck ? { goneCheck } : {}) });
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
  return { store, brandId, accountId, channel, worker, ingestWebhooks, row, run };
}
