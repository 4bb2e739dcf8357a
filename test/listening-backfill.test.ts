/**
 * A listening term added to a channel already listening reads back its older matches on the next
 * sync: what was posted before the term was added is the term's backfill (source `backfill`:
 * history to webhooks, resolved when weeks old, SLA clocks from when the desk first saw it), as a
 * first sync's is; what is posted after is live. Each term keeps its own line with the account; a
 * term removed and added again gets a new one. A post that tags the brand is a mention, heard live
 * whatever found it. Through the real sync worker, ingest pipeline and database (SQLite and
 * PostgreSQL), an admin's edit (editChannelAccount), and the networks' stand-ins: the Mastodon
 * contract server with the real masto client, and the local AT Protocol network (PLC, PDS, AppView)
 * with the real @atproto/api client.
 */
import { AtpAgent, RichText } from '@atproto/api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BlueskyChannel } from '../src/channels/bluesky/index.js';
import type { MastodonChannel } from '../src/channels/mastodon/index.js';
import { ChannelRegistry } from '../src/channels/registry.js';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import { editChannelAccount } from '../src/commands/channelAccounts.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import type { Store } from '../src/store/db.js';
import { startLocalBlueskyNetwork, type LocalBlueskyNetwork } from './contract-servers/bluesky-network.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';
import { mastodonBrand } from './helpers/mastodonSync.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polling only (no stream): what reaches the desk comes by a sync run. */
const pollOnly = (c: MastodonChannel) => Object.assign(c, { stream: undefined }) as MastodonChannel;
/** The secret mastodonBrand seals credentials with. */
const secrets = new SecretBox('mastodon-sync-test-secret-0123456789abcdef');

/** The source each of these posts was stored with (undefined: not stored). */
async function sources(store: Store, accountId: number, ids: string[]): Promise<Record<string, string | undefined>> {
  const rows = await store.db.selectFrom('message').select(['network_message_id', 'source']).where('channel_account_id', '=', accountId).where('network_message_id', 'in', ids).execute();
  return Object.fromEntries(ids.map((id) => [id, rows.find((r) => r.network_message_id === id)?.source]));
}

async function editSettings(store: Store, brandId: number, accountId: number, settings: Record<string, unknown>) {
  await editChannelAccount({ store, secrets }, { actor: { brandId, userId: 1, role: 'admin', name: 'user:1' }, accountId, settings }, Date.now());
}

async function termLines(store: Store, accountId: number): Promise<Record<string, number | null>> {
  const row = await store.db.selectFrom('channel_account').select('listening_backfill_before').where('id', '=', accountId).executeTakeFirstOrThrow();
  return JSON.parse(row.listening_backfill_before ?? 'null');
}

let mastodon: MastodonContractServer;
let bluesky: LocalBlueskyNetwork;
beforeAll(async () => {
  mastodon = new MastodonContractServer();
  await mastodon.start();
  bluesky = await startLocalBlueskyNetwork();
}, 180_000);
afterAll(async () => {
  await mastodon?.stop();
  await bluesky?.close();
}, 120_000);

describeEachStore('listening: a new term\'s read-back is backfill', (get) => {
  it('mastodon: a keyword or hashtag added later reads back its older matches as backfill; later ones, and mentions, are live; removed and added again, a new line', async () => {
    const { store } = get();
    const slug = `lb${Math.random().toString(36).slice(2, 7)}`;
    const b = await mastodonBrand(store, mastodon, { slug, settings: { keywords: ['quuxold'] } });
    const bob = mastodon.createAccount({ username: `${slug}bob` });
    const worker = b.worker({ wrap: pollOnly });
    /** Posted through the API (mentions and hashtags parsed, as Mastodon does). */
    const post = async (status: string) => {
      const res = await fetch(`${mastodon.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status, visibility: 'public' }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }).id;
    };
    const run = async () => {
      await store.db.updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', b.accountId).execute();
      expect(await worker.runOnce()).toEqual([b.accountId]);
    };
    await run(); // connected and listening for "quuxold"
    await sleep(5);

    // the desk is listening for "quuxold" and mentions; posted before "zorbnew" and "#zorbtag" are listened for
    const [oldKw, oldTag, oldBoth] = [await post('my zorbnew broke'), await post('loving it #zorbtag'), await post('quuxold and zorbnew both')];
    const tagged = await post(`@${b.brand.acct} my zorbnew is late`);
    await sleep(5);
    await editSettings(store, b.brandId, b.accountId, { keywords: ['quuxold', 'zorbnew'], hashtags: ['#zorbtag'] });
    await run();
    expect(await sources(store, b.accountId, [oldKw, oldTag, oldBoth, tagged])).toEqual({
      [oldKw]: 'backfill', [oldTag]: 'backfill',
      // found by the term listened for before too: heard live; a post tagging the brand is a mention
      [oldBoth]: 'network', [tagged]: 'network',
    });
    const lines = await termLines(store, b.accountId);
    expect(lines['keywords:quuxold']).toBeNull();
    expect(lines['keywords:zorbnew']).toEqual(expect.any(Number));
    expect(lines['hashtags:zorbtag']).toEqual(expect.any(Number));

    await sleep(5);
    const [liveKw, liveTag] = [await post('zorbnew again'), await post('still #zorbtag')];
    await run();
    expect(await sources(store, b.accountId, [liveKw, liveTag])).toEqual({ [liveKw]: 'network', [liveTag]: 'network' });

    // removed: its line goes; what is posted meanwhile is not listened for
    await editSettings(store, b.brandId, b.accountId, { keywords: ['quuxold'] });
    await run();
    expect(Object.keys(await termLines(store, b.accountId)).sort()).toEqual(['hashtags:zorbtag', 'keywords:quuxold']);
    await sleep(5);
    const meanwhile = await post('zorbnew while nobody listened');
    await sleep(5);
    // added again: a new line, after what was posted while it was not listened for
    await editSettings(store, b.brandId, b.accountId, { keywords: ['quuxold', 'ZorbNew'] });
    await run();
    expect((await termLines(store, b.accountId))['keywords:zorbnew']).toBeGreaterThan(lines['keywords:zorbnew']!);
    expect(await sources(store, b.accountId, [meanwhile, oldKw, liveKw])).toEqual({ [meanwhile]: 'backfill', [oldKw]: 'backfill', [liveKw]: 'network' });
    await worker.stop();
  });

  it('bluesky: a keyword added later reads back its older matches as backfill; later ones, and posts that mention the brand, are live', async () => {
    const { store } = get();
    const { net } = bluesky;
    const tag = Math.random().toString(36).slice(2, 7);
    const user = async (name: string) => {
      const agent = new AtpAgent({ service: net.pds.url });
      const res = await agent.createAccount({ handle: `${name}${tag}.test`, email: `${name}${tag}@parley.test`, password: `${name}-password` });
      return { did: res.data.did, handle: res.data.handle, agent };
    };
    const [brand, carol] = [await user('lbbrand'), await user('lbcarol')];
    const post = async (text: string) => {
      const rt = new RichText({ text });
      await rt.detectFacets(carol.agent);
      return (await carol.agent.post({ text: rt.text, facets: rt.facets })).uri;
    };
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: `lb-bsky-${tag}`, name: 'Bluesky listening' }, now);
    const accountId = await createChannelAccount(store.db, {
      brandId, network: 'bluesky', handle: brand.handle, externalId: brand.did,
      settings: { service: net.pds.url, plcUrl: net.plc.url, directMessages: false, fetchFollowers: false, timeoutMs: 20_000, keywords: [`quux${tag}`] },
      credentials: secrets.seal({ identifier: brand.handle, password: 'lbbrand-password' }),
    }, now);
    const registry = new ChannelRegistry(store, secrets, { fetch: globalThis.fetch, now: () => Date.now() });
    registry.register('bluesky', (acc) => new BlueskyChannel(acc, { fetch: globalThis.fetch, now: () => Date.now() }));
    const bus = new EventBus();
    const worker = new ChannelSyncWorker({ store, bus, clock: systemClock, registry, queue: new IngestQueue(new IngestPipeline({ store, bus, clock: systemClock })) });
    const run = async () => {
      await net.processAll();
      await store.db.updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', accountId).execute();
      expect(await worker.runOnce()).toEqual([accountId]);
    };
    await run(); // connected and listening
    await sleep(5);

    const word = `zorb${tag}`;
    const old = await post(`my ${word} broke`);
    const tagged = await post(`@${brand.handle} my ${word} is late`);
    await sleep(5);
    await editSettings(store, brandId, accountId, { keywords: [`quux${tag}`, word] });
    await run();
    expect(await sources(store, accountId, [old, tagged])).toEqual({ [old]: 'backfill', [tagged]: 'network' });

    await sleep(5);
    const later = await post(`${word} again`);
    await run();
    expect(await sources(store, accountId, [later])).toEqual({ [later]: 'network' });
    await worker.stop();
  }, 60_000);
});
