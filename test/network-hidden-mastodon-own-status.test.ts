/**
 * A moderator of the brand's own Mastodon instance removes one of the brand's replies. Mastodon
 * publishes the same `delete` event to the brand's `user` stream as for a deletion by the brand,
 * and the status reads 404 for everyone alike; what tells them apart is the strike the brand's
 * account is sent (a `moderation_warning` notification, 4.3+: AccountWarning `action`
 * `delete_statuses`, `status_ids`). The connector reads it before confirming the stream's notice
 * (src/channels/mastodon/moderation.ts): a reply a moderator removed with a warning is not the
 * brand's deletion: it is marked taken down (`post_taken_down`); one removed without a warning
 * cannot be told apart and is marked gone from the network (`deleted_on_network`). Neither is
 * redacted: the brand's own reply keeps its text (src/pipeline/deletions.ts). Through the real sync worker, ingest pipeline and database
 * (SQLite and PostgreSQL), the real masto client and the Mastodon contract server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MastodonChannel } from '../src/channels/mastodon/index.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';
import { mastodonBrand } from './helpers/mastodonSync.js';

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeEachStore('the brand\'s own Mastodon reply removed by a moderator', (get) => {
  let server: MastodonContractServer;
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
  });
  afterAll(async () => server?.stop());

  it('a reply a moderator removed with a warning keeps its text, marked taken down; one removed without a warning keeps it too, marked gone', async () => {
    const { store } = get();
    const { brand, brandId, accountId, worker: syncWorker } = await mastodonBrand(store, server, { slug: 'mdown', username: 'ownbrand' });
    const alice = server.createAccount({ username: 'ownalice' });
    const worker = syncWorker();
    try {
      const post = async (token: string, status: string, inReplyToId?: string) => {
        const res = await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status, visibility: 'public', ...(inReplyToId ? { in_reply_to_id: inReplyToId } : {}) }) });
        expect(res.status).toBe(200);
        return ((await res.json()) as { id: string }).id;
      };
      const row = (id: string) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', accountId).where('network_message_id', '=', id).executeTakeFirstOrThrow();
      const question = await post(alice.token, '@ownbrand is the store open on Sunday?');
      await worker.runOnce(); // polls the mention, opens the stream
      const warned = await post(brand.token, '@ownalice yes, 10 to 4 (see our site for the link)', question);
      const silent = await post(brand.token, '@ownalice and on holidays too', question);
      // the brand's replies as the desk stores them (written in Mastodon's own app: read back with the thread)
      const channel = new MastodonChannel({ handle: brand.acct, externalId: brand.id, credentials: { accessToken: brand.token }, settings: { instanceUrl: server.url, timeoutMs: 3000 } } as never, { fetch: globalThis.fetch, now: Date.now });
      const thread = await channel.fetchThread(question);
      const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: systemClock });
      await pipeline.ingest(brandId, thread.filter((m) => m.fromBrand).map((message) => ({ channelAccountId: accountId, message, source: 'network' as const })));
      for (const id of [warned, silent]) expect(await row(id)).toMatchObject({ direction: 'outbound', redacted_at: null });
      await until('the brand\'s `user` stream is subscribed', () => server.streamCount(brand.id) === 1);
      await new Promise((r) => setTimeout(r, 100));

      server.moderatorDeleteStatus(silent, { notify: false });
      await until('the silent removal is marked gone', async () => (await row(silent)).network_hidden_reason === 'deleted_on_network');
      expect(await row(silent)).toMatchObject({ redacted_at: null, text: '@ownalice and on holidays too' });
      const at = server.requests.length;
      server.moderatorDeleteStatus(warned, { text: 'Links to that site are not allowed here' });
      // the stream's notice is checked: the status, then the brand's moderation notices
      await until('the notice was checked', () => server.requests.slice(at).some((r) => r.method === 'GET' && r.path.startsWith('/api/v1/notifications') && r.path.includes('moderation_warning') && r.status === 200));
      await new Promise((r) => setTimeout(r, 300));
      expect(await row(warned)).toMatchObject({ redacted_at: null, network_hidden_reason: 'post_taken_down', text: '@ownalice yes, 10 to 4 (see our site for the link)' });
      expect(await row(question)).toMatchObject({ redacted_at: null });
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
