/**
 * "Nothing lost" for listening during an outage: a burst of keyword hits far bigger than one
 * poll's pages, between two polls, ends up stored exactly once through the real sync worker,
 * ingest pipeline and database — the connector says `more` while a backfill is open, and the
 * worker polls again at once. Mastodon through the contract server and the real masto client.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';
import { mastodonBrand } from './helpers/mastodonSync.js';

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
    const { accountId, worker: syncWorker } = await mastodonBrand(store, server, { slug: 'burst', username: 'brand', settings: { keywords: ['quuxoutage'] } });
    const bob = server.createAccount({ username: 'bob' });
    const worker = syncWorker();
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
