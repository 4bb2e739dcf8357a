/**
 * The X connector against XContractServer (a local api.x.com faithful to the documented
 * X API v2 and Account Activity API), through the real twitter-api-v2 client:
 *  - the shared channel contract, twice: receiving by polling and by the signed webhook;
 *  - the webhook through Parley's real HTTP route (CRC, bad signatures, redelivery);
 *  - sync paging, listening, DMs, moderation, at-most-once and error mapping.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChannelContract, type ContractNetwork } from '../../../test/channel-contract.js';
import { XContractServer, type XWebhookDelivery } from '../../../test/contract-servers/x.js';
import { Client, startDesk, type TestDesk } from '../../../test/helpers/parley.js';
import type { NormalizedMessage } from '../../core/types.js';
import { ChannelError, type Channel, type ChannelAccountConfig } from '../types.js';
import { createChannel } from './index.js';

const deps = { fetch: globalThis.fetch, now: () => Date.now() };

function accountFor(server: XContractServer, over: Partial<ChannelAccountConfig> = {}): ChannelAccountConfig {
  return {
    id: 1, brandId: 1, network: 'x', handle: server.brand.username, externalId: server.brand.id,
    credentials: server.credentials(), settings: { apiBaseUrl: server.url, requestTimeoutMs: 500 }, ...over,
  };
}

async function xNetwork(mode: 'poll' | 'webhook'): Promise<ContractNetwork> {
  const server = await XContractServer.start();
  const acc = accountFor(server);
  let cursor: string | null = null;
  let previous: string | null = null;
  let lastBatch: XWebhookDelivery[] = [];
  return {
    network: 'x',
    makeChannel: (a) => createChannel(a, deps),
    account: { handle: acc.handle, externalId: acc.externalId, credentials: acc.credentials, settings: acc.settings },
    postMention: (text) => server.postMention(text),
    postPrivate: (text) => server.sendDmToBrand(text),
    async receive(channel, opts) {
      const out: NormalizedMessage[] = [];
      if (mode === 'poll') {
        if (opts?.redeliver) cursor = previous;
        previous = cursor;
        for (let i = 0; i < 20; i++) {
          const r = await channel.sync!(cursor);
          out.push(...r.messages);
          if (r.cursor !== null) cursor = r.cursor;
          if (!r.more) break;
        }
        return out;
      }
      const batch = opts?.redeliver ? lastBatch : server.takePending();
      if (!opts?.redeliver) lastBatch = batch;
      for (const d of batch) {
        const r = await channel.handleWebhook!({ method: 'POST', query: {}, headers: d.headers, rawBody: d.body });
        expect(r.response.status).toBe(200);
        out.push(...r.messages);
      }
      return out;
    },
    async readBack(id) {
      const t = server.tweet(id);
      if (t) return { text: t.shown, inReplyToNetworkId: t.inReplyToTweetId, visibility: 'public' };
      const d = server.dm(id);
      return d ? { text: d.text, inReplyToNetworkId: null, visibility: 'private' } : null;
    },
    countPosts: async (text) => server.countBrandPosts(text),
    failNext: (m) => server.failNext(m),
    revokeAuth: () => server.revoke(),
    teardown: () => server.stop(),
  };
}

runChannelContract('x (polling: mentions timeline + DM events)', () => xNetwork('poll'));
runChannelContract('x (Account Activity webhook)', () => xNetwork('webhook'));

/** Row counts of everything an ingest could touch. */
async function snapshot(desk: TestDesk) {
  const db = desk.db.store.db;
  const count = async (t: 'message' | 'conversation' | 'quarantine' | 'contact_identity' | 'contact') => Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { messages: await count('message'), conversations: await count('conversation'), quarantine: await count('quarantine'), identities: await count('contact_identity'), contacts: await count('contact') };
}

describe('x webhook through the HTTP route', () => {
  let server: XContractServer;
  let desk: TestDesk;
  let hookUrl: string;

  beforeAll(async () => {
    server = await XContractServer.start();
    desk = await startDesk('sqlite', { workers: false });
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const r = await admin.post('/api/channel-accounts', {
      network: 'x', handle: server.brand.username, externalId: server.brand.id, credentials: server.credentials(), settings: { apiBaseUrl: server.url },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(JSON.stringify(r.json)).not.toContain(server.consumerSecret);
    hookUrl = `${desk.url}${new URL(r.json.webhookUrl, 'http://x').pathname}`;
    server.webhookUrl = hookUrl;
  });
  afterAll(async () => {
    await desk?.stop();
    await server?.stop();
  });

  it('answers X\'s CRC with the HMAC of the token under the consumer secret', async () => {
    const crc = await server.crcCheck(hookUrl);
    expect(crc.status).toBe(200);
    expect(crc.ok, crc.body).toBe(true);
    // a GET without crc_token is a bad request, not a pass
    expect((await fetch(hookUrl)).status).toBe(400);
  });

  it('stores a signed delivery', async () => {
    const id = await server.postMention(`@${server.brand.username} parcel lost <script>alert(1)</script> & more`);
    expect(server.delivered.at(-1)!.status).toBe(200);
    const row = await desk.db.store.db.selectFrom('message').selectAll().where('network_message_id', '=', id).executeTakeFirstOrThrow();
    expect(row.direction).toBe('inbound');
    expect(row.text).toContain('<script>alert(1)</script> & more');
  });

  it('answers 401 to a wrong or missing signature and leaves the database unchanged', async () => {
    server.webhookUrl = null;
    await server.postMention(`@${server.brand.username} forged delivery`);
    const [d] = server.takePending();
    server.webhookUrl = hookUrl;
    const before = await snapshot(desk);
    const forged = { ...d!, headers: { ...d!.headers, 'x-twitter-webhooks-signature': `sha256=${Buffer.alloc(32).toString('base64')}` } };
    expect(await server.post(forged)).toBe(401);
    const tampered = { ...d!, body: Buffer.from(d!.body.toString('utf8').replace('forged delivery', 'tampered delivery')) };
    expect(await server.post(tampered)).toBe(401);
    const unsigned = { ...d!, headers: { 'content-type': 'application/json' } };
    expect(await server.post(unsigned)).toBe(401);
    expect(await snapshot(desk)).toEqual(before);
  });

  it('refuses a crc_token that is not one of X\'s tokens, so the CRC cannot sign a forged delivery', async () => {
    server.webhookUrl = null;
    await server.postMention(`@${server.brand.username} forged through the CRC`);
    const [d] = server.takePending();
    server.webhookUrl = hookUrl;
    const before = await snapshot(desk);
    const body = d!.body.toString('utf8');
    const crc = await fetch(`${hookUrl}?crc_token=${encodeURIComponent(body)}`);
    expect(crc.status).toBe(400);
    // had the CRC answered, its token would be the signature of this body
    const forged = { ...d!, headers: { ...d!.headers, 'x-twitter-webhooks-signature': `sha256=${createHmac('sha256', server.consumerSecret).update(body).digest('base64')}` } };
    expect(forged.headers['x-twitter-webhooks-signature']).toBe(d!.headers['x-twitter-webhooks-signature']);
    // a repeated parameter is a bad request too, not a crash
    expect((await fetch(`${hookUrl}?crc_token=a&crc_token=b`)).status).toBe(400);
    expect(await snapshot(desk)).toEqual(before);
  });

  it('stores the same event delivered three times once', async () => {
    server.webhookUrl = null;
    const id = await server.postMention(`@${server.brand.username} delivered thrice`);
    const [d] = server.takePending();
    server.webhookUrl = hookUrl;
    for (let i = 0; i < 3; i++) expect(await server.post(d!)).toBe(200);
    const rows = await desk.db.store.db.selectFrom('message').select('id').where('network_message_id', '=', id).execute();
    expect(rows).toHaveLength(1);
  });

  it('stores DM events as private messages', async () => {
    const id = await server.sendDmToBrand('my account number is 42 & I need help');
    const row = await desk.db.store.db.selectFrom('message').selectAll().where('network_message_id', '=', id).executeTakeFirstOrThrow();
    expect(row.visibility).toBe('private');
    expect(row.text).toBe('my account number is 42 & I need help');
  });
});

describe('x connector behaviour', () => {
  let server: XContractServer;
  let channel: Channel;
  beforeAll(async () => {
    server = await XContractServer.start();
    channel = createChannel(accountFor(server, { settings: { apiBaseUrl: server.url, requestTimeoutMs: 500, pageSize: 10, keywords: ['acme rocket', 'roadrunner'] } }), deps);
  });
  afterAll(async () => {
    await channel?.close?.();
    await server?.stop();
  });

  async function drain(cursor: string | null) {
    const all: NormalizedMessage[] = [];
    let pages = 0;
    for (;;) {
      const r = await channel.sync!(cursor);
      pages++;
      all.push(...r.messages);
      cursor = r.cursor ?? cursor;
      if (!r.more) return { all, cursor, pages };
    }
  }

  it('pages back through the mentions timeline until the last position, then moves the cursor', async () => {
    const first = await drain(null);
    const firstIds = new Set(first.all.map((m) => m.networkMessageId));
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) ids.push(await server.postMention(`@${server.brand.username} complaint ${i}`));
    const next = await drain(first.cursor);
    expect(next.pages).toBeGreaterThanOrEqual(3); // 23 mentions, pages of 10
    const got = next.all.filter((m) => m.kind === 'mention').map((m) => m.networkMessageId);
    expect(new Set(got)).toEqual(new Set(ids.filter((id) => !firstIds.has(id))));
    expect(got.length).toBe(new Set(got).size);
    // nothing new: nothing returned, cursor stable
    const again = await drain(next.cursor);
    expect(again.all.filter((m) => m.kind === 'mention')).toHaveLength(0);
  });

  it('listens for settings.keywords with recent search, without our own posts', async () => {
    const c = await drain(null);
    const hit = await server.postMention('Anyone tried the acme rocket skates?', { author: server.addUser({ username: 'wile' }) });
    await server.postMention('nothing to see here', { author: server.addUser({ username: 'bystander' }) });
    const r = await drain(c.cursor);
    const listening = r.all.filter((m) => m.kind === 'listening');
    expect(listening.map((m) => m.networkMessageId)).toEqual([hit]);
    expect(listening[0]!.author.handle).toBe('wile');
  });

  it('normalizes a polled reply to our post as a reply with its thread root, author metrics and decoded text', async () => {
    const c = await drain(null);
    const ours = await channel.sendPublicReply({ idempotencyKey: 'k-root', text: `Our update ${Date.now()}`, visibility: 'public' });
    const fan = server.addUser({ username: 'fan', name: 'Fan <b>', followers: 777, verified: true });
    const id = await server.postMention(`@${server.brand.username} 5 > 3 && "quotes" https://example.com/a?b=1&c=2`, { author: fan, inReplyTo: ours.networkMessageId });
    const r = await drain(c.cursor);
    const m = r.all.find((x) => x.networkMessageId === id)!;
    expect(m).toMatchObject({
      kind: 'reply', visibility: 'public', direction: 'inbound', inReplyToNetworkId: ours.networkMessageId, threadRootNetworkId: ours.networkMessageId,
      author: { networkUserId: fan.id, handle: 'fan', displayName: 'Fan <b>', followers: 777, verified: true },
    });
    // X escapes & < > and wraps URLs in t.co: the text is decoded back, the t.co link stays (it is what X shows)
    expect(m.text).toMatch(/^@AcmeCare 5 > 3 && "quotes" https:\/\/t\.co\/\w+$/);
    expect(m.url).toBe(`https://x.com/fan/status/${id}`);
  });

  it('sends and finds direct messages', async () => {
    const cust = server.addUser({ username: 'dmer' });
    const inbound = await server.sendDmToBrand('hello there', { from: cust });
    const req = { idempotencyKey: 'dm-1', text: `Private details ${Date.now()}`, visibility: 'private' as const, inReplyTo: { networkMessageId: inbound }, recipient: { networkUserId: cust.id, handle: 'dmer' } };
    expect(await channel.findSent!(req)).toBeNull();
    const sent = await channel.sendPrivateMessage!(req);
    expect(server.dm(sent.networkMessageId)?.recipientId).toBe(cust.id);
    expect((await channel.findSent!(req))?.networkMessageId).toBe(sent.networkMessageId);
    await expect(channel.sendPrivateMessage!({ ...req, recipient: null })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('finds a reply X already holds (after a timeout) and treats X\'s duplicate refusal as already sent', async () => {
    const mention = await server.postMention(`@${server.brand.username} where is it`);
    const req = { idempotencyKey: 'dup-1', text: `Link: https://acme.test/track?id=1&x=2 ${Date.now()}`, visibility: 'public' as const, inReplyTo: { networkMessageId: mention } };
    expect(await channel.findSent!(req)).toBeNull();
    server.failNext('timeout_after_accept');
    const err = await channel.sendPublicReply(req).catch((e) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect(err.code).toBe('TIMEOUT');
    const found = await channel.findSent!(req);
    expect(found?.networkMessageId).toBeTruthy();
    expect(server.tweet(found!.networkMessageId)!.inReplyToTweetId).toBe(mention);
    // a blind resend: X refuses the duplicate, the connector recognises its own post
    const again = await channel.sendPublicReply(req);
    expect(again.networkMessageId).toBe(found!.networkMessageId);
    expect(server.countBrandPosts(req.text)).toBe(1);
    // same text to another post is not "already sent"
    const other = await server.postMention(`@${server.brand.username} me too`);
    expect(await channel.findSent!({ ...req, inReplyTo: { networkMessageId: other } })).toBeNull();
  });

  it('refuses an over-long reply before calling X (X weighted length)', async () => {
    const before = server.requests.length;
    const err = await channel.sendPublicReply({ idempotencyKey: 'long', text: '界'.repeat(141), visibility: 'public' }).catch((e) => e);
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.message).toMatch(/282 of 280/);
    expect(server.requests.length).toBe(before);
  });

  it('hides replies, mutes, blocks and likes', async () => {
    const ours = await channel.sendPublicReply({ idempotencyKey: 'h-root', text: `Root for hiding ${Date.now()}`, visibility: 'public' });
    const troll = server.addUser({ username: 'troll' });
    const reply = await server.postMention(`@${server.brand.username} spam spam`, { author: troll, inReplyTo: ours.networkMessageId });
    await channel.hide!(reply, true);
    expect(server.tweet(reply)!.hidden).toBe(true);
    await channel.hide!(reply, false);
    expect(server.tweet(reply)!.hidden).toBe(false);
    await channel.mute!({ networkUserId: troll.id, handle: 'troll' });
    expect(server.isMuted(troll.id)).toBe(true);
    await channel.block!({ networkUserId: troll.id, handle: 'troll' });
    expect(server.isBlocked(troll.id)).toBe(true);
    // undone, e.g. after a wrongful block (twice: nothing to undo is no error)
    await channel.unblock!({ networkUserId: troll.id, handle: 'troll' });
    await channel.unmute!({ networkUserId: troll.id, handle: 'troll' });
    await channel.unmute!({ networkUserId: troll.id, handle: 'troll' });
    expect([server.isBlocked(troll.id), server.isMuted(troll.id)]).toEqual([false, false]);
    await channel.like!(reply);
    await expect(channel.hide!('1', true)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    server.tier = 'self-serve';
    await expect(channel.block!({ networkUserId: troll.id, handle: 'troll' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    server.tier = 'enterprise';
  });

  it('fetches a profile and a thread', async () => {
    const u = server.addUser({ username: 'profiled', name: 'Pro Filed', followers: 3 });
    expect(await channel.fetchProfile!(u.id)).toMatchObject({ networkUserId: u.id, handle: 'profiled', displayName: 'Pro Filed', followers: 3 });
    const root = await server.postMention(`@${server.brand.username} thread root`, { author: u });
    const r1 = await channel.sendPublicReply({ idempotencyKey: 't1', text: `thread reply ${Date.now()}`, visibility: 'public', inReplyTo: { networkMessageId: root } });
    const thread = await channel.fetchThread!(r1.networkMessageId);
    expect(thread.map((m) => m.networkMessageId)).toEqual([root, r1.networkMessageId]);
    expect(thread[1]!.fromBrand).toBe(true);
  });

  it('maps X errors to channel error codes', async () => {
    const mention = await server.postMention(`@${server.brand.username} errors`);
    const send = (t: string) => channel.sendPublicReply({ idempotencyKey: t, text: t, visibility: 'public', inReplyTo: { networkMessageId: mention } }).then(() => null, (e) => e);
    server.failNext('rate_limit');
    const rl = await send(`rl ${Date.now()}`);
    expect(rl.code).toBe('RATE_LIMITED');
    expect(Math.abs(rl.opts.retryAt - (Date.now() + server.rateLimitResetS * 1000))).toBeLessThan(2000);
    server.failNext('server_error');
    expect((await send(`se ${Date.now()}`)).code).toBe('TEMPORARY'); // 503: not processed
    server.failNext('auth_revoked');
    expect((await send(`ar ${Date.now()}`)).code).toBe('AUTH_REVOKED');
    server.failNext('timeout_after_accept', 'read');
    expect((await channel.sync!(null).catch((e) => e)).code).toBe('TEMPORARY'); // a read timing out is just a retry
    server.failNext('rate_limit', 'read');
    expect((await channel.sync!(null).catch((e) => e)).code).toBe('RATE_LIMITED');
    const bad = JSON.stringify({ v: 1, mentions: { since: '1', token: 'not-a-token!' } });
    expect((await channel.sync!(bad).catch((e) => e)).code).toBe('CURSOR_INVALID');
    expect((await channel.sync!('garbage').catch((e) => e)).code).toBe('CURSOR_INVALID');
    expect((await send('   ')).code).toBe('INVALID_REQUEST');
  });

  it('works with an OAuth 2.0 user token, and without credentials says AUTH_REVOKED', async () => {
    const o2 = createChannel(accountFor(server, { credentials: server.credentials('oauth2') }), deps);
    const r = await o2.sync!(null);
    expect(Array.isArray(r.messages)).toBe(true);
    const none = createChannel(accountFor(server, { credentials: {} }), deps);
    await expect(none.sync!(null)).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
    expect(() => none.handleWebhook!({ method: 'GET', query: { crc_token: 'x' }, headers: {}, rawBody: Buffer.alloc(0) })).toThrow(/apiSecret/);
    await o2.close?.();
  });

  it('could not reach X: TEMPORARY, even for a write (nothing was sent)', async () => {
    const dead = createChannel(accountFor(server, { settings: { apiBaseUrl: 'http://127.0.0.1:1', requestTimeoutMs: 500 } }), deps);
    const err = await dead.sendPublicReply({ idempotencyKey: 'dead', text: 'hello', visibility: 'public' }).catch((e) => e);
    expect(err.code).toBe('TEMPORARY');
  });

  it('ignores webhook deliveries for other users of the same app webhook', async () => {
    server.webhookUrl = null;
    await server.postMention(`@${server.brand.username} mine`);
    const [d] = server.takePending();
    const other = JSON.parse(d!.body.toString('utf8'));
    other.for_user_id = '12345';
    const body = Buffer.from(JSON.stringify(other));
    const r = await channel.handleWebhook!({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': server.sign(body) }, rawBody: body });
    expect(r.messages).toHaveLength(0);
  });
});
