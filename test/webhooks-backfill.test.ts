/**
 * A channel's backfill is history to outbound webhooks: when a Mastodon account is connected, its
 * first sync reads the mentions already there (written before the desk listened); those are stored
 * with source `backfill` and their `conversation.created` / `message.received` go only to an
 * endpoint that includes history, flagged `"history": true`, never to a live-only one (a chat
 * alert). A mention written after the desk began listening reaches both, unflagged. A sync that
 * starts again from no position (an invalid cursor) keeps what came since the last sync live. In
 * the desk, a backfilled conversation older than a week is stored resolved, as an import's is (no
 * SLA clock, no queue). Through the real sync worker, ingest pipeline, webhook round and database
 * (SQLite and PostgreSQL), the real masto client and the Mastodon contract server; the receiver is
 * an HTTP server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MastodonChannel } from '../src/channels/mastodon/index.js';
import { WebhookCommands } from '../src/commands/webhooks.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { SecretBox } from '../src/lib/secrets.js';
import { runWebhooks, type WebhookDeps } from '../src/jobs/webhooks.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import type { Store } from '../src/store/db.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';
import { mastodonBrand } from './helpers/mastodonSync.js';
import { mention } from './helpers/parley.js';

interface Event { type: string; history?: boolean; data: Record<string, any> }

/** A receiver on 127.0.0.1 that answers 200 and keeps what each path got. */
async function receiver() {
  const got: { path: string; event: Event }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', event: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Event });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { got, base, close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polling only (no stream): every mention reaches the desk by a sync run, the path the backfill takes. */
const pollOnly = (c: MastodonChannel) => Object.assign(c, { stream: undefined }) as MastodonChannel;

describeEachStore('webhooks: a channel\'s backfill is history', (get) => {
  let server: MastodonContractServer;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const secrets = new SecretBox('webhooks-backfill-test-secret-0123456789ab');
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
    rx = await receiver();
  });
  afterAll(async () => {
    await rx?.close();
    await server?.stop();
  });

  const deps = (store: Store): WebhookDeps => ({ store, bus: new EventBus(), clock: systemClock, secrets, allowPrivate: true, roundMs: 2000 });
  const post = async (token: string, status: string) => {
    const res = await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status, visibility: 'public' }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };
  /** A brand with a live-only endpoint (a chat alert) and one that includes history (a CRM), each on its own path. */
  async function brandWithEndpoints(store: Store, slug: string) {
    const b = await mastodonBrand(store, server, { slug, username: `${slug}brand` });
    const commands = new WebhookCommands({ store, clock: systemClock, secrets, allowPrivate: true });
    const actor = { brandId: b.brandId, userId: 1, name: 'user:1' };
    const events = ['conversation.created', 'message.received'];
    await commands.create(actor, { url: `${rx.base}/${slug}/live`, description: 'chat alert', events, enabled: true });
    await commands.create(actor, { url: `${rx.base}/${slug}/history`, description: 'CRM', events, enabled: true, includeHistory: true });
    const at = (path: string) => rx.got.filter((g) => g.path === `/${slug}/${path}`).map((g) => g.event);
    return { ...b, live: () => at('live'), history: () => at('history') };
  }
  const stored = async (store: Store, accountId: number, networkMessageId: string) =>
    store.db.selectFrom('message').select(['id', 'conversation_id', 'source']).where('channel_account_id', '=', accountId).where('network_message_id', '=', networkMessageId).executeTakeFirstOrThrow();

  it('a connected account\'s backfill reaches only the endpoint that includes history, flagged; a later live mention reaches both, unflagged', async () => {
    const { store } = get();
    const b = await brandWithEndpoints(store, 'bf');
    const alice = server.createAccount({ username: 'bfalice' });
    const bob = server.createAccount({ username: 'bfbob' });
    // written before the desk listened to the account
    const old1 = await post(alice.token, `@${b.brand.acct} my order 1234 never came`);
    const old2 = await post(bob.token, `@${b.brand.acct} still waiting for a refund`);
    await sleep(5);
    const worker = b.worker({ wrap: pollOnly });
    expect(await worker.runOnce()).toEqual([b.accountId]); // the first sync: from no position
    const backfill = [await stored(store, b.accountId, old1), await stored(store, b.accountId, old2)];
    expect(backfill.map((m) => m.source)).toEqual(['backfill', 'backfill']);

    await runWebhooks(deps(store));
    expect(b.live()).toEqual([]);
    const hist = b.history();
    expect(hist.map((e) => `${e.type}:${e.data.messageId ?? ''}:${e.data.conversationId}`).sort()).toEqual([
      ...backfill.map((m) => `conversation.created::${m.conversation_id}`),
      ...backfill.map((m) => `message.received:${m.id}:${m.conversation_id}`),
    ].sort());
    expect(hist.every((e) => e.history === true)).toBe(true);

    // written after the desk began listening: live, to both
    const live = await post(alice.token, `@${b.brand.acct} and now the tracking page is down too`);
    await worker.syncSoon(b.accountId);
    expect(await worker.runOnce()).toEqual([b.accountId]);
    const liveRow = await stored(store, b.accountId, live);
    expect(liveRow.source).toBe('network');
    await runWebhooks(deps(store));
    for (const got of [b.live(), b.history().slice(hist.length)]) {
      expect(got.filter((e) => e.type === 'message.received').map((e) => e.data.messageId)).toEqual([liveRow.id]);
      expect(got.every((e) => !('history' in e))).toBe(true);
    }
    // the backfilled conversations were never sent to the live-only endpoint, later either
    expect(b.live().some((e) => backfill.some((m) => m.conversation_id === e.data.conversationId && e.type === 'conversation.created'))).toBe(false);
    await worker.stop();
  });

  it('a sync that starts again from no position keeps what was written since the last sync live, what it reads from before as backfill', async () => {
    const { store } = get();
    const b = await brandWithEndpoints(store, 'bfr');
    const carol = server.createAccount({ username: 'bfrcarol' });
    const worker = b.worker({ wrap: pollOnly });
    expect(await worker.runOnce()).toEqual([b.accountId]); // connected: nothing there yet
    const line = (await store.db.selectFrom('channel_account').select(['backfill_before', 'last_sync_at']).where('id', '=', b.accountId).executeTakeFirstOrThrow());
    expect(line.backfill_before).not.toBeNull();
    await sleep(5);
    const since = await post(carol.token, `@${b.brand.acct} my parcel is lost`);
    // the network no longer knows the position (what the sync worker does on CURSOR_INVALID)
    await store.db.updateTable('channel_account').set({ cursor: null, next_sync_at: Date.now() }).where('id', '=', b.accountId).execute();
    expect(await worker.runOnce()).toEqual([b.accountId]);
    expect((await stored(store, b.accountId, since)).source).toBe('network');
    // the line moved to the last sync before the restart, kept with the account
    const after = await store.db.selectFrom('channel_account').select('backfill_before').where('id', '=', b.accountId).executeTakeFirstOrThrow();
    expect(Number(after.backfill_before)).toBe(Number(line.last_sync_at));
    await runWebhooks(deps(store));
    expect(b.live().map((e) => e.type).sort()).toEqual(['conversation.created', 'message.received']);
    expect(b.live().every((e) => !('history' in e))).toBe(true);
    await worker.stop();
  });

  it('in the desk, a backfilled conversation weeks old is stored resolved, without SLA clock or queue; a recent one is open work', async () => {
    const { store } = get();
    const b = await mastodonBrand(store, server, { slug: 'bfdesk' });
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: systemClock });
    const author = (n: string) => ({ networkUserId: `bfdesk-${n}`, handle: n });
    const [weeks, recent] = await pipeline.ingest(b.brandId, [
      { channelAccountId: b.accountId, message: mention({ network: 'mastodon', author: author('old'), text: '@brand where is my order?', createdAt: Date.now() - 21 * 86_400_000 }), source: 'backfill' },
      { channelAccountId: b.accountId, message: mention({ network: 'mastodon', author: author('new'), text: '@brand where is my order?', createdAt: Date.now() - 3_600_000 }), source: 'backfill' },
    ]);
    const conv = (o: typeof weeks) => store.db.selectFrom('conversation').select(['status', 'sla_due_at']).where('id', '=', (o as { conversationId: number }).conversationId).executeTakeFirstOrThrow();
    expect(await conv(weeks)).toMatchObject({ status: 'resolved', sla_due_at: null });
    expect((await conv(recent)).status).not.toBe('resolved');
  });
});
