/**
 * A brand with its Mastodon account connected on the contract server, and sync workers over the
 * shared database: each `worker()` is one Parley process (its own bus, registry and memory), with
 * the real masto client, sync worker and ingest pipeline.
 */
import { MastodonChannel } from '../../src/channels/mastodon/index.js';
import { ChannelRegistry } from '../../src/channels/registry.js';
import { ChannelSyncWorker, type SyncDeps } from '../../src/channels/sync.js';
import { createBrand, createChannelAccount } from '../../src/commands/setup.js';
import { EventBus } from '../../src/events/bus.js';
import { systemClock, type Clock } from '../../src/lib/clock.js';
import { SecretBox } from '../../src/lib/secrets.js';
import { IngestPipeline } from '../../src/pipeline/ingest.js';
import { IngestQueue } from '../../src/pipeline/queue.js';
import type { Store } from '../../src/store/db.js';
import type { MastodonContractServer } from '../contract-servers/mastodon.js';

export async function mastodonBrand(store: Store, server: MastodonContractServer, opts: { slug: string; username?: string; settings?: Record<string, unknown> }) {
  const brand = server.createAccount({ username: opts.username ?? `${opts.slug}brand` });
  const secrets = new SecretBox('mastodon-sync-test-secret-0123456789abcdef');
  const now = Date.now();
  const brandId = await createBrand(store.db, { slug: `${opts.slug}-${now}`, name: `Mastodon ${opts.slug}` }, now);
  const accountId = await createChannelAccount(store.db, {
    brandId, network: 'mastodon', handle: brand.acct, externalId: brand.id,
    settings: { instanceUrl: server.url, timeoutMs: 5000, ...opts.settings }, credentials: secrets.seal({ accessToken: brand.token }),
  }, now);
  /** A sync worker (a Parley process); `wrap` may change the connector it gets (fault injection). */
  const worker = (o: { clock?: Clock; goneCheck?: SyncDeps['goneCheck']; wrap?: (c: MastodonChannel) => MastodonChannel } = {}) => {
    const bus = new EventBus();
    const registry = new ChannelRegistry(store, secrets, { fetch: globalThis.fetch, now: () => Date.now() });
    registry.register('mastodon', (acc) => {
      const c = new MastodonChannel(acc, { fetch: globalThis.fetch, now: () => Date.now() });
      return o.wrap ? o.wrap(c) : c;
    });
    return new ChannelSyncWorker({ store, bus, clock: o.clock ?? systemClock, registry, queue: new IngestQueue(new IngestPipeline({ store, bus, clock: systemClock })), ...(o.goneCheck ? { goneCheck: o.goneCheck } : {}) });
  };
  return { brand, brandId, accountId, worker };
}
