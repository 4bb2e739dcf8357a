/**
 * "Nothing lost" for listening during an outage: a burst of keyword hits far bigger than one
 * poll's pages, between two polls, ends up stored exactly once through the real sync worker,
 * ingest pipeline and database — the connector says `more` while a backfill is open, and the
 * worker polls again at once. Mastodon through the contract server and the real masto client.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChannelRegistry } from '../src/channels/registry.js';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import { MastodonChannel } from '../src/channels/mastodon/index.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';

describeEachStore('listening burst bigger than one poll', (get) => {
  let server: MastodonContractServer;
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('stores all 950 hits of one keyword exactly once, and a post written after the burst too', async () => {
    const { store } = get();
    const brand = server.createAccount({ username: 'brand' });
    const bob = server.createAccount({ username: 'bob' });
    const secrets = new SecretBox('listening-burst-secret-0123456789abcdef');
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: `burst-${now}`, name: 'Burst' }, now);
    const settings = { instanceUrl: server.url, timeoutMs: 5000, keywords: ['quuxoutage'] };
    const accountId = await createChannelAccount(store.db, {
      brandId, network: 'mastodon', handle: 'brand', externalId: brand.id, settings, credentials: secrets.seal({ accessToken: brand.token }),
    }, now);
    const bus = new EventBus();
    const registry = new ChannelRegistry(store, secrets, { fetch: globalThis.fetch, now: () => Date.now() });
    registry.register('mastodon', (acc) => new MastodonChannel(acc, { fetch: globalThis.fetch, now: () => Date.now() }));
    const worker = new ChannelSyncWorker({ store, bus, clock: systemClock, registry, queue: new IngestQueue(new IngestPipeline({ store, bus, clock: systemClock })) });
    const due = () => store.db.updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', accountId).execute();
    const stored = async () =>
      (await store.db.selectFrom('message').select('network_message_id').where('channel_account_id', '=', accountId).where('kind', '=', 'listening').execute()).map((r) => r.network_message_id!);

    const before = server.addPublicStatuses(bob.id, ['quuxoutage before the poll'])[0]!;
    await worker.runOnce(); // the first poll: its position
    const burst = server.addPublicStatuses(bob.id, Array.from({ length: 950 }, (_, i) => `quuxoutage: the app is down ${i}`));
    await due();
    await worker.runOnce(); // one run: the worker polls again while the connector says `more`
    const later = server.addPublicStatuses(bob.id, ['quuxoutage still down'])[0]!;
    await due();
    await worker.runOnce();
    await worker.stop(); // (its streaming connection)
    const ids = await stored();
    expect(ids.length).toBe(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set([before, ...burst, later]));
    const cursor = JSON.parse((await store.db.selectFrom('channel_account').select('cursor').where('id', '=', accountId).executeTakeFirstOrThrow()).cursor!);
    expect(cursor.g).toBeUndefined();
  }, 120_000);
});
