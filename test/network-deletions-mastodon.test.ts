/**
 * A customer deletes on Mastodon what they wrote to the brand: the instance publishes `delete`
 * (the status id) on the `user` stream of every account the status mentioned
 * (RemoveStatusService#remove_from_mentions), the connector listens to that stream, and the
 * sync worker redacts the stored message (content gone, row kept). Through the real sync
 * worker, ingest pipeline and database, the real masto client and the Mastodon contract server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MastodonChannel } from '../src/channels/mastodon/index.js';
import { ChannelRegistry } from '../src/channels/registry.js';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeEachStore('deletions on Mastodon', (get) => {
  let server: MastodonContractServer;
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a mention its author deletes is redacted from the `user` stream\'s delete event; a deleted status never stored leaves no tombstone', async () => {
    const { store } = get();
    const brand = server.createAccount({ username: 'brand' });
    const alice = server.createAccount({ username: 'alice' });
    const secrets = new SecretBox('network-deletions-mastodon-0123456789abcdef');
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: `mdel-${now}`, name: 'Mastodon deletions' }, now);
    const accountId = await createChannelAccount(store.db, {
      brandId, network: 'mastodon', handle: 'brand', externalId: brand.id, settings: { instanceUrl: server.url, timeoutMs: 5000 }, credentials: secrets.seal({ accessToken: brand.token }),
    }, now);
    const bus = new EventBus();
    const registry = new ChannelRegistry(store, secrets, { fetch: globalThis.fetch, now: () => Date.now() });
    registry.register('mastodon', (acc) => new MastodonChannel(acc, { fetch: globalThis.fetch, now: () => Date.now() }));
    const worker = new ChannelSyncWorker({ store, bus, clock: systemClock, registry, queue: new IngestQueue(new IngestPipeline({ store, bus, clock: systemClock })) });
    try {
      const post = async (token: string, status: string) => {
        const res = await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status, visibility: 'public' }) });
        return ((await res.json()) as { id: string }).id;
      };
      const remove = (token: string, id: string) => fetch(`${server.url}/api/v1/statuses/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).then((r) => expect(r.status).toBe(200));
      const keep = await post(alice.token, '@brand my order 1234 never came');
      const gone = await post(alice.token, '@brand my address is 1 Secret Lane, call me on 555-0100');
      await worker.runOnce(); // polls both mentions, opens the stream
      const row = (id: string) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', accountId).where('network_message_id', '=', id).executeTakeFirst();
      expect((await row(gone))?.text).toBe('@brand my address is 1 Secret Lane, call me on 555-0100');
      await until('the stream is connected', () => server.streamCount() === 1);
      await new Promise((r) => setTimeout(r, 100)); // the subscribe message

      await remove(alice.token, gone);
      await until('the deleted mention is redacted', async () => (await row(gone))?.redacted_at != null);
      const redacted = (await row(gone))!;
      expect(redacted).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_by_author', direction: 'inbound' });
      expect((await row(keep))).toMatchObject({ text: '@brand my order 1234 never came', redacted_at: null });

      // the brand's own status, never stored, deleted: the `user` stream names it too (remove_from_self)
      const own = await post(brand.token, 'a status the brand deletes');
      await remove(brand.token, own);
      // then a second customer deletion, so the first notice has surely been handled before we look
      const second = await post(alice.token, '@brand please delete my data');
      await worker.syncSoon(accountId);
      await worker.runOnce();
      expect(await row(second)).toBeTruthy();
      await remove(alice.token, second);
      await until('the second deleted mention is redacted', async () => (await row(second))?.redacted_at != null);
      const tombstones = await store.db.selectFrom('message_tombstone').select('network_message_id').where('brand_id', '=', brandId).execute();
      expect(tombstones).toEqual([]);
      // the deleted mention is not fetched back by polling either (its notification went with it)
      await worker.syncSoon(accountId);
      await worker.runOnce();
      expect((await row(gone))!.text).toBe('');
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
