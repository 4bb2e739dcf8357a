/**
 * Bad input on the X, Facebook and Instagram webhooks (and X polling) gets a clear reason
 * and loses nothing, through Parley's real HTTP route against the contract servers:
 *  - one item that cannot be read (a handle with a lone surrogate, text of the wrong type,
 *    an id that lost precision) is quarantined with the reason; the items beside it are
 *    stored, once, however often the delivery comes again, and polling carries on;
 *  - an Instagram mention Graph cannot read: a permanent error quarantines that mention,
 *    a transient one stores the rest and answers 503 so Meta redelivers;
 *  - a delivery for a disabled account is verified and kept in quarantine, not refused;
 *  - ids beyond 2^53 sent as bare JSON numbers are stored exactly, never collide;
 *  - a signed delivery of the wrong shape is quarantined with the reason, never a silent 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel as createXChannel } from '../src/channels/x/index.js';
import { normalizeV1Tweet, normalizeV2Tweet } from '../src/channels/x/normalize.js';
import { normalizeFeedChange } from '../src/channels/facebook/normalize.js';
import { normalizeItem, type RejectedItem } from '../src/channels/errorPolicy.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { XContractServer } from './contract-servers/x.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

let x: XContractServer;
let graph: GraphContractServer;
let desk: TestDesk;
let admin: Client;
const acct = { x: 0, facebook: 0, instagram: 0 };
const hook = { x: '', facebook: '', instagram: '' };
let seq = 7_000_000_000;
const uid = () => String(++seq);

beforeAll(async () => {
  x = await XContractServer.start();
  graph = await GraphContractServer.start();
  desk = await startDesk('sqlite', { workers: false });
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  const connect = async (network: 'x' | 'facebook' | 'instagram', body: Record<string, unknown>) => {
    const r = await admin.post('/api/channel-accounts', { network, ...body });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    acct[network] = r.json.id;
    hook[network] = `${desk.url}${new URL(r.json.webhookUrl, 'http://x').pathname}`;
  };
  await connect('x', { handle: x.brand.username, externalId: x.brand.id, credentials: x.credentials(), settings: { apiBaseUrl: x.url } });
  await connect('facebook', { handle: graph.page.name, externalId: graph.page.id, credentials: graph.credentials('facebook'), settings: { apiBaseUrl: graph.url } });
  await connect('instagram', { handle: graph.ig.username, externalId: graph.ig.id, credentials: graph.credentials('instagram'), settings: { apiBaseUrl: graph.url } });
});
afterAll(async () => {
  await desk?.stop();
  await x?.stop();
  await graph?.stop();
});

const db = () => desk.db.store.db;

async function post(network: 'x' | 'facebook' | 'instagram', body: string, headers: Record<string, string> = {}) {
  const sig: Record<string, string> = network === 'x' ? { 'x-twitter-webhooks-signature': x.sign(body) } : { 'x-hub-signature-256': graph.sign(body) };
  const res = await fetch(hook[network], { method: 'POST', headers: { 'content-type': 'application/json', ...sig, ...headers }, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const stored = (ids: string[]) => db().selectFrom('message').select(['network_message_id', 'text', 'url', 'kind']).where('network_message_id', 'in', ids).execute();
const lastQuarantineId = async () => Number((await db().selectFrom('quarantine').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst())?.m ?? 0);
const quarantinedSince = (id: number) => db().selectFrom('quarantine').selectAll().where('id', '>', id).orderBy('id').execute();

const tweet = (id: string, text: unknown, user = { id_str: '4242', screen_name: 'goodone' }) => ({ id_str: id, text, user, timestamp_ms: '1700000000000' });
const xBody = (events: unknown) => JSON.stringify({ for_user_id: x.brand.id, tweet_create_events: events });
const igComment = (id: string, text: unknown, username = 'ok1') => ({ field: 'comments', value: { id, text, from: { id: '91', username }, media: { id: '17900000001' } } });
const igBody = (changes: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ object: 'instagram', entry: [{ id: graph.ig.id, time: 1700000000, changes, ...extra }] });
const fbComment = (id: string, message: unknown) => ({ item: 'comment', verb: 'add', comment_id: id, post_id: `${graph.page.id}_1`, parent_id: `${graph.page.id}_1`, from: { id: '900', name: 'Pat' }, message, created_time: 1700000000 });
const fbBody = (changes: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ object: 'page', entry: [{ id: graph.page.id, time: 1700000000, changes, ...extra }] });

describe('one item that cannot be read never fails the delivery', () => {
  it('X: a handle with a lone surrogate is stored (without a profile URL) beside the good tweets, once over three deliveries', async () => {
    const [g1, bad, g2] = [uid(), uid(), uid()];
    // the JSON escape \ud800 is valid JSON and valid UTF-8: X could send it
    const body = xBody([tweet(g1, '@AcmeCare good tweet 1'), tweet(bad, '@AcmeCare hostile handle', { id_str: '4243', screen_name: 'evil\ud800' }), tweet(g2, '@AcmeCare good tweet 2', { id_str: '4244', screen_name: 'goodtwo' })]);
    expect(body).toContain('evil\\ud800');
    for (let i = 0; i < 3; i++) expect((await post('x', body)).status).toBe(200);
    const rows = await stored([g1, bad, g2]);
    expect(rows.map((r) => r.network_message_id).sort()).toEqual([g1, bad, g2].sort());
    const byId = new Map(rows.map((r) => [r.network_message_id, r]));
    expect(byId.get(bad)!.url).toBeNull();
    expect(byId.get(g1)!.url).toBe(`https://x.com/goodone/status/${g1}`);
  });

  it('Instagram: a username with a lone surrogate is stored beside the good comments, once over three deliveries', async () => {
    const [i1, ibad, i2] = [uid(), uid(), uid()];
    const body = igBody([igComment(i1, 'good comment 1'), igComment(ibad, 'hostile username', 'bad\udfff'), igComment(i2, 'good comment 2', 'ok2')]);
    for (let i = 0; i < 3; i++) expect((await post('instagram', body)).status).toBe(200);
    expect((await stored([i1, ibad, i2])).map((r) => r.network_message_id).sort()).toEqual([i1, ibad, i2].sort());
  });

  it('X: an id with a lone surrogate is quarantined once over three deliveries, never stored again and again', async () => {
    const [good, bad] = [uid(), uid()];
    const body = xBody([tweet(good, '@AcmeCare fine'), tweet(`${bad}\ud800`, '@AcmeCare surrogate id')]);
    const q0 = await lastQuarantineId();
    for (let i = 0; i < 3; i++) expect((await post('x', body)).status).toBe(200);
    expect((await stored([good])).map((r) => r.network_message_id)).toEqual([good]);
    expect(await db().selectFrom('message').select('id').where('network_message_id', 'like', `${bad}%`).execute()).toEqual([]);
    expect((await quarantinedSince(q0)).map((e) => e.reason)).toEqual([expect.stringMatching(/^tweet_create_events\[1\]: id_str .* lone surrogate/)]);
  });

  it('X polling: a mention by a handle with a lone surrogate neither fails the sync nor stops the cursor', async () => {
    const sync = desk.parley.services.sync;
    const others = await db().selectFrom('channel_account').select('id').where('id', '!=', acct.x).execute();
    const only = async () => {
      await db().updateTable('channel_account').set({ next_sync_at: Date.now() + 3_600_000 }).where('id', 'in', others.map((o) => o.id)).execute();
      await db().updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', acct.x).execute();
    };
    x.webhookUrl = null; // only polling sees these
    await only();
    await sync.runOnce(); // first run: the backfill
    const good1 = await x.postMention('@AcmeCare my order is late');
    const evil = await x.postMention('@AcmeCare hostile handle, same complaint', { author: x.addUser({ username: 'evil\ud800' }) });
    const good2 = await x.postMention('@AcmeCare still waiting');
    x.takePending();
    await only();
    expect(await sync.runOnce()).toEqual([acct.x]);
    expect((await stored([good1, evil, good2])).map((r) => r.network_message_id).sort()).toEqual([good1, evil, good2].sort());
    const account = await db().selectFrom('channel_account').selectAll().where('id', '=', acct.x).executeTakeFirstOrThrow();
    expect(JSON.parse(account.cursor!).mentions.since).toBe(good2);
    expect(JSON.parse(account.health ?? '{}').failures).toBeUndefined();
  });

  it('X polling on the desk: a post whose text is not a string is quarantined once with the reason, the rest stored, the cursor past it', async () => {
    const sync = desk.parley.services.sync;
    const others = await db().selectFrom('channel_account').select('id').where('id', '!=', acct.x).execute();
    const only = async () => {
      await db().updateTable('channel_account').set({ next_sync_at: Date.now() + 3_600_000 }).where('id', 'in', others.map((o) => o.id)).execute();
      await db().updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', acct.x).execute();
    };
    x.webhookUrl = null;
    await only();
    await sync.runOnce();
    const ids = [await x.postMention('@AcmeCare alpha'), await x.postMention('@AcmeCare beta'), await x.postMention('@AcmeCare gamma')];
    x.takePending();
    x.corruptPost(ids[1]!, { text: ['not', 'a string'] });
    const q0 = await lastQuarantineId();
    await only();
    expect(await sync.runOnce()).toEqual([acct.x]);
    expect((await stored(ids)).map((r) => r.network_message_id).sort()).toEqual([ids[0], ids[2]].sort());
    const q = await quarantinedSince(q0);
    expect(q.map((e) => e.reason)).toEqual([expect.stringMatching(new RegExp(`post ${ids[1]}: text is an array`))]);
    expect(JSON.parse((await db().selectFrom('channel_account').select('cursor').where('id', '=', acct.x).executeTakeFirstOrThrow()).cursor!).mentions.since).toBe(ids[2]);
    // the boundary read again: not quarantined twice
    await db().updateTable('channel_account').set({ cursor: null }).where('id', '=', acct.x).execute();
    await only();
    await sync.runOnce();
    expect(await quarantinedSince(q0)).toHaveLength(1);
  });

  it('X polling: a post whose text is not a string is handed back as rejected with the reason; the page and its cursor go on', async () => {
    const channel = createXChannel({ id: 1, brandId: 1, network: 'x', handle: x.brand.username, externalId: x.brand.id, credentials: x.credentials(), settings: { apiBaseUrl: x.url, pollDirectMessages: false } }, { fetch: globalThis.fetch, now: () => Date.now() });
    try {
      x.webhookUrl = null;
      const first = await channel.sync!(null);
      const ids = [await x.postMention('@AcmeCare one'), await x.postMention('@AcmeCare two'), await x.postMention('@AcmeCare three')];
      x.takePending();
      x.corruptPost(ids[1]!, { text: { value: '@AcmeCare two' } });
      const r = await channel.sync!(first.cursor);
      expect(r.messages.map((m) => m.networkMessageId).sort()).toEqual([ids[0], ids[2]].sort());
      expect(r.rejected).toHaveLength(1);
      expect(r.rejected![0]!.reason).toMatch(new RegExp(`post ${ids[1]}: text is an object, not a string`));
      expect(JSON.parse(r.cursor!).mentions.since).toBe(ids[2]);
    } finally {
      await channel.close?.();
    }
  });
});

describe('an Instagram mention Graph cannot read', () => {
  it('permanent (the comment does not exist): that mention is quarantined with the reason, the comments beside it stored, once over three deliveries', async () => {
    const [c1, c2, gone] = [uid(), uid(), uid()];
    const body = igBody([igComment(c1, 'customer comment 1'), { field: 'mentions', value: { media_id: '17900000002', comment_id: gone } }, igComment(c2, 'customer comment 2')]);
    const q0 = await lastQuarantineId();
    for (let i = 0; i < 3; i++) expect((await post('instagram', body)).status).toBe(200);
    expect((await stored([c1, c2, gone])).map((r) => r.network_message_id).sort()).toEqual([c1, c2].sort());
    const q = await quarantinedSince(q0);
    expect(q).toHaveLength(1);
    expect(q[0]!.source).toBe(`webhook:instagram:${acct.instagram}`);
    expect(q[0]!.reason).toMatch(new RegExp(`entry\\[0\\]\\.changes\\[1\\]: read the comment ${gone} .*\\(#100/33\\)`));
    expect(JSON.parse(q[0]!.raw)).toEqual({ media_id: '17900000002', comment_id: gone });
  });

  it('a comment_id that is not digits is quarantined without being put into a Graph request', async () => {
    const c1 = uid();
    const q0 = await lastQuarantineId();
    const before = graph.requests.length;
    const r = await post('instagram', igBody([igComment(c1, 'fine'), { field: 'mentions', value: { media_id: '1', comment_id: '1){id},access_token{x' } }]));
    expect(r.status).toBe(200);
    expect(await stored([c1])).toHaveLength(1);
    const q = await quarantinedSince(q0);
    expect(q.map((e) => e.reason)).toEqual([expect.stringMatching(/changes\[1\]: comment_id .* is not an Instagram comment id/)]);
    expect(graph.requests.slice(before).some((e) => JSON.stringify(e.params).includes('access_token{x'))).toBe(false);
  });

  it('transient (Graph answers 500): the rest is stored and Meta is answered 503; the redelivery stores the mention, nothing twice', async () => {
    graph.webhookUrls.instagram = null;
    const mention = await graph.igMention('@acmecare my parcel never came');
    const [d] = graph.takePending('instagram');
    const mentionChange = JSON.parse(d!.body.toString('utf8')).entry[0].changes[0];
    const c1 = uid();
    const body = igBody([igComment(c1, 'a comment beside the mention'), mentionChange]);
    const q0 = await lastQuarantineId();
    graph.failNext('server_error', 'read');
    const first = await post('instagram', body);
    expect(first.status).toBe(503);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await stored([c1, mention])).map((r) => r.network_message_id)).toEqual([c1]);
    const again = await post('instagram', body);
    expect(again.status).toBe(200);
    const rows = await stored([c1, mention]);
    expect(rows.map((r) => r.network_message_id).sort()).toEqual([c1, mention].sort());
    expect(rows.find((r) => r.network_message_id === mention)).toMatchObject({ kind: 'mention', text: '@acmecare my parcel never came' });
    expect(await quarantinedSince(q0)).toEqual([]);
  });
});

describe('a delivery for a disabled account', () => {
  it('is verified (a wrong signature is still 401) and its items are kept in quarantine with the reason', async () => {
    const setEnabled = async (enabled: boolean) => expect((await admin.req('PATCH', `/api/channel-accounts/${acct.x}`, { enabled })).status).toBe(200);
    await setEnabled(false);
    try {
      const id = uid();
      const body = xBody([tweet(id, '@AcmeCare arriving while the account is switched off')]);
      const q0 = await lastQuarantineId();
      expect((await post('x', body, { 'x-twitter-webhooks-signature': `sha256=${Buffer.alloc(32).toString('base64')}` })).status).toBe(401);
      expect(await quarantinedSince(q0)).toEqual([]);
      expect((await post('x', body)).status).toBe(200);
      expect(await stored([id])).toEqual([]);
      const q = await quarantinedSince(q0);
      expect(q).toHaveLength(1);
      expect(q[0]!.reason).toMatch(new RegExp(`channel account ${acct.x} .*is disabled`));
      expect(q[0]!.raw).toContain('arriving while the account is switched off');
    } finally {
      await setEnabled(true);
    }
  });
});

describe('ids beyond 2^53 sent as JSON numbers', () => {
  const big = () => BigInt(Date.now()) * 1_000_000n + 1_500_000_000_000_000_000n + BigInt(++seq) * 10n;

  it('X: two tweets with numeric ids only are stored under their exact ids', async () => {
    const n = big();
    const [a, b] = [n + 1n, n + 2n];
    expect(Number(a)).toBe(Number(b)); // the collision JSON.parse would make
    const body = `{"for_user_id":"${x.brand.id}","tweet_create_events":[{"id":${a},"text":"@AcmeCare tweet A","user":{"id_str":"7","screen_name":"q"}},{"id":${b},"text":"@AcmeCare tweet B","user":{"id_str":"8","screen_name":"r"}}]}`;
    expect((await post('x', body)).status).toBe(200);
    const rows = await stored([String(a), String(b)]);
    expect(Object.fromEntries(rows.map((r) => [r.network_message_id, r.text]))).toEqual({ [String(a)]: '@AcmeCare tweet A', [String(b)]: '@AcmeCare tweet B' });
  });

  it('X: for_user_id as a bare number is compared as exact text', async () => {
    const ours = uid();
    const theirs = uid();
    expect(Number(x.brand.id) > Number.MAX_SAFE_INTEGER).toBe(true);
    const neighbour = (BigInt(x.brand.id) + 1n).toString();
    expect(Number(neighbour)).toBe(Number(x.brand.id));
    expect((await post('x', `{"for_user_id":${x.brand.id},"tweet_create_events":[${JSON.stringify(tweet(ours, '@AcmeCare for us'))}]}`)).status).toBe(200);
    expect((await post('x', `{"for_user_id":${neighbour},"tweet_create_events":[${JSON.stringify(tweet(theirs, '@AcmeCare for another user of the app'))}]}`)).status).toBe(200);
    expect((await stored([ours, theirs])).map((r) => r.network_message_id)).toEqual([ours]);
  });

  it('Facebook and Instagram: comments with numeric ids are stored under their exact ids', async () => {
    const f = big();
    const fbv = (id: bigint, message: string) => `{"item":"comment","verb":"add","comment_id":${id},"post_id":"${graph.page.id}_1","from":{"id":900},"message":"${message}","created_time":1700000000}`;
    expect((await post('facebook', `{"object":"page","entry":[{"id":"${graph.page.id}","time":1700000000,"changes":[{"field":"feed","value":${fbv(f + 1n, 'comment A')}},{"field":"feed","value":${fbv(f + 2n, 'comment B')}}]}]}`)).status).toBe(200);
    const fb = await stored([String(f + 1n), String(f + 2n)]);
    expect(Object.fromEntries(fb.map((r) => [r.network_message_id, r.text]))).toEqual({ [String(f + 1n)]: 'comment A', [String(f + 2n)]: 'comment B' });
    const i = big();
    const igv = (id: bigint, text: string) => `{"field":"comments","value":{"id":${id},"text":"${text}","from":{"id":91,"username":"n"},"media":{"id":17900000001}}}`;
    expect((await post('instagram', `{"object":"instagram","entry":[{"id":${graph.ig.id},"time":1700000000,"changes":[${igv(i + 1n, 'ig A')},${igv(i + 2n, 'ig B')}]}]}`)).status).toBe(200);
    const ig = await stored([String(i + 1n), String(i + 2n)]);
    expect(Object.fromEntries(ig.map((r) => [r.network_message_id, r.text]))).toEqual({ [String(i + 1n)]: 'ig A', [String(i + 2n)]: 'ig B' });
  });

  it('a parsed item (polling) whose only id lost precision is rejected with the reason, not stored under a wrong id', () => {
    const me = { userId: x.brand.id, username: x.brand.username };
    const rejected: RejectedItem[] = [];
    expect(normalizeItem(rejected, null, 'tweet', () => normalizeV1Tweet({ id: 9007199254740993, text: 'hi', user: { id_str: '1', screen_name: 'a' } }, me))).toBeNull();
    expect(normalizeItem(rejected, null, 'comment', () => normalizeFeedChange({ item: 'comment', verb: 'add', comment_id: 9007199254740993, message: 'hi', from: { id: '1' } }, { pageId: '1', name: 'P' }, 0))).toBeNull();
    expect(rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/^tweet: id is the number .* lost precision/), expect.stringMatching(/^comment: comment_id is the number .* lost precision/)]);
    // the string form wins over the lossy number
    expect(normalizeV1Tweet({ id: 9007199254740993, id_str: '9007199254740993', text: 'hi', user: { id_str: '1' } }, me)!.networkMessageId).toBe('9007199254740993');
  });
});

describe('signed deliveries of the wrong shape are quarantined with the reason, never a silent 200', () => {
  const cases: [network: 'x' | 'facebook' | 'instagram', name: string, body: () => string, reason: RegExp][] = [
    ['x', 'tweet_create_events is an object', () => JSON.stringify({ for_user_id: x.brand.id, tweet_create_events: tweet(uid(), '@AcmeCare hi') }), /^tweet_create_events is an object, not an array/],
    ['x', 'the body is an array', () => JSON.stringify([{ for_user_id: x.brand.id }]), /^the delivery is an array/],
    ['facebook', 'changes is an object', () => JSON.stringify({ object: 'page', entry: [{ id: graph.page.id, changes: { field: 'feed', value: fbComment(uid(), 'hi') } }] }), /^entry\[0\]\.changes is an object, not an array/],
    ['facebook', 'entry is an object', () => JSON.stringify({ object: 'page', entry: { id: graph.page.id, changes: [{ field: 'feed', value: fbComment(uid(), 'hi') }] } }), /^"entry" is an object, not an array/],
    ['facebook', 'object is missing', () => JSON.stringify({ entry: [{ id: graph.page.id, changes: [{ field: 'feed', value: fbComment(uid(), 'hi') }] }] }), /^the delivery has no "object"/],
    ['facebook', 'a change value is a string', () => fbBody([{ field: 'feed', value: 'garbage' }]), /^entry\[0\]\.changes\[0\]: the feed change value is not an object/],
    ['facebook', 'messaging.message is a string', () => JSON.stringify({ object: 'page', entry: [{ id: graph.page.id, messaging: [{ sender: { id: '4' }, recipient: { id: graph.page.id }, timestamp: 1700000000000, message: 'hello' }] }] }), /^entry\[0\]\.messaging\[0\]: message is a string, not a message object/],
    ['facebook', 'the body is an array', () => JSON.stringify([{ object: 'page' }]), /^the delivery is an array/],
    ['instagram', 'a mentions change without comment_id', () => igBody([{ field: 'mentions', value: { media_id: '1', comment: 'no id' } }]), /^entry\[0\]\.changes\[0\]: the mentions change has no comment_id/],
  ];
  for (const [network, name, body, reason] of cases) {
    it(`${network}: ${name}`, async () => {
      const q0 = await lastQuarantineId();
      expect((await post(network, body())).status).toBe(200);
      const q = await quarantinedSince(q0);
      expect(q.map((e) => e.reason)).toEqual([expect.stringMatching(reason)]);
      expect(q[0]!.source).toBe(`webhook:${network}:${acct[network]}`);
    });
  }

  it('keeps the well-formed rest of the delivery', async () => {
    const [good, other] = [uid(), uid()];
    const q0 = await lastQuarantineId();
    expect((await post('facebook', fbBody([{ field: 'feed', value: `garbage ${uid()}` }, { field: 'feed', value: fbComment(good, 'a real comment') }], { messaging: { not: 'an array' } }))).status).toBe(200);
    expect((await post('instagram', igBody([{ field: 'comments', value: [1] }, igComment(other, 'a real IG comment')]))).status).toBe(200);
    expect((await stored([good, other])).map((r) => r.network_message_id).sort()).toEqual([good, other].sort());
    expect((await quarantinedSince(q0)).map((e) => e.reason)).toEqual([
      expect.stringMatching(/^entry\[0\]\.messaging is an object, not an array/),
      expect.stringMatching(/^entry\[0\]\.changes\[0\]: the feed change value is not an object/),
      expect.stringMatching(/^entry\[0\]\.changes\[0\]: the comments change value is not an object/),
    ]);
  });
});

describe('text of the wrong type is quarantined, never stored empty', () => {
  it('X: text as an object, an array or missing; the correct redelivery is then stored with its text', async () => {
    const [a, b, c] = [uid(), uid(), uid()];
    const q0 = await lastQuarantineId();
    expect((await post('x', xBody([tweet(a, { value: '@AcmeCare object text' }), tweet(b, ['@AcmeCare', 'array text']), { id_str: c, user: { id_str: '3', screen_name: 'c' } }]))).status).toBe(200);
    expect(await stored([a, b, c])).toEqual([]);
    expect((await quarantinedSince(q0)).map((e) => e.reason)).toEqual([
      'tweet_create_events[0]: text is an object, not a string',
      'tweet_create_events[1]: text is an array, not a string',
      'tweet_create_events[2]: text is missing (X sends the text of every post)',
    ]);
    expect((await post('x', xBody([tweet(a, '@AcmeCare object text'), tweet(b, '@AcmeCare array text'), tweet(c, '@AcmeCare it was missing')]))).status).toBe(200);
    expect(Object.fromEntries((await stored([a, b, c])).map((r) => [r.network_message_id, r.text]))).toEqual({ [a]: '@AcmeCare object text', [b]: '@AcmeCare array text', [c]: '@AcmeCare it was missing' });
  });

  it('Facebook message as an object and Instagram text as an array are quarantined; a photo comment without text is stored', async () => {
    const [f, photo, i] = [uid(), uid(), uid()];
    const q0 = await lastQuarantineId();
    const { message: _m, ...photoComment } = { ...fbComment(photo, undefined), photo: 'https://scontent.example/p.jpg' };
    expect((await post('facebook', fbBody([{ field: 'feed', value: fbComment(f, { text: 'object message' }) }, { field: 'feed', value: photoComment }]))).status).toBe(200);
    expect((await post('instagram', igBody([igComment(i, ['array'])]))).status).toBe(200);
    expect((await stored([f, photo, i])).map((r) => [r.network_message_id, r.text])).toEqual([[photo, '']]);
    expect((await quarantinedSince(q0)).map((e) => e.reason)).toEqual([
      'entry[0].changes[0]: message is an object, not a string',
      'entry[0].changes[0]: text is an array, not a string',
    ]);
  });

  it('X polling (API v2): a missing text is rejected; note_tweet carries the full text of a long post', () => {
    const me = { userId: x.brand.id, username: x.brand.username };
    expect(() => normalizeV2Tweet({ id: '5', author_id: '9' }, undefined, me)).toThrow('text is missing');
    expect(() => normalizeV2Tweet({ id: '5', author_id: '9', text: 5 as unknown as string }, undefined, me)).toThrow('text is a number, not a string');
    expect(normalizeV2Tweet({ id: '5', author_id: '9', text: 'short…', note_tweet: { text: 'the whole long text' } }, undefined, me)!.text).toBe('the whole long text');
  });
});
