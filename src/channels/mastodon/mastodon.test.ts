/**
 * The Mastodon connector through the real `masto` client against
 * MastodonContractServer (test/contract-servers/mastodon.ts): the contract
 * suite, then streaming, listening, DMs, visibility, idempotency, moderation
 * and failures.
 */
import { createRestAPIClient } from 'masto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChannelContract, type ContractNetwork } from '../../../test/channel-contract.js';
import { MastodonContractServer } from '../../../test/contract-servers/mastodon.js';
import type { NormalizedMessage } from '../../core/types.js';
import type { ChannelAccountConfig } from '../types.js';
import { ChannelError } from '../types.js';
import { htmlToText } from './html.js';
import { createChannel, MastodonChannel, mastodonReportCategory } from './index.js';
import { comparableText } from './normalize.js';

type Visibility = 'public' | 'unlisted' | 'private' | 'direct';

/** A customer posting through the real masto client. */
function customer(server: MastodonContractServer, token: string) {
  const rest = createRestAPIClient({ url: server.url, accessToken: token });
  return {
    rest,
    async post(status: string, opts: { visibility?: Visibility; inReplyToId?: string } = {}) {
      const s = await rest.v1.statuses.create({ status, visibility: opts.visibility ?? 'public', ...(opts.inReplyToId ? { inReplyToId: opts.inReplyToId } : {}) });
      return s.id;
    },
  };
}

// ------------------------------------------------------------------ the contract suite

runChannelContract('mastodon (MastodonContractServer, through the masto client)', async () => {
  const server = new MastodonContractServer();
  await server.start();
  const brand = server.createAccount({ username: 'brand', displayName: 'Brand Care' });
  const alice = server.createAccount({ username: 'alice', displayName: 'Alice', followers: 42 });
  const aliceClient = customer(server, alice.token);
  let cursor: string | null = null;
  const net: ContractNetwork = {
    network: 'mastodon',
    makeChannel: (acc) => createChannel(acc, { fetch: globalThis.fetch, now: Date.now }),
    account: { handle: 'brand', externalId: brand.id, credentials: { accessToken: brand.token }, settings: { instanceUrl: server.url, timeoutMs: 1500 } },
    postMention: (text) => aliceClient.post(text),
    postPrivate: (text) => aliceClient.post(`@brand ${text}`, { visibility: 'direct' }),
    async receive(channel, opts) {
      const r = await channel.sync!(opts?.redeliver ? null : cursor);
      if (!opts?.redeliver) cursor = r.cursor;
      return r.messages;
    },
    async readBack(id) {
      const res = await fetch(`${server.url}/api/v1/statuses/${id}`, { headers: { authorization: `Bearer ${alice.token}` } });
      if (res.status === 404) return null;
      const s = (await res.json()) as { content: string; in_reply_to_id: string | null; visibility: string };
      return { text: htmlToText(s.content), inReplyToNetworkId: s.in_reply_to_id, visibility: s.visibility === 'direct' ? 'private' : 'public' };
    },
    // replies start with the customer's @mention, which Mastodon needs to notify them
    countPosts: async (text) => server.statuses().filter((s) => s.accountId === brand.id && comparableText(s.text) === comparableText(text)).length,
    failNext: (mode) => server.failNext(mode),
    revokeAuth: () => server.revokeToken(brand.token),
    teardown: () => server.stop(),
  };
  return net;
});

// ------------------------------------------------------------------ the rest of the connector

describe('mastodon connector against the contract server', () => {
  let server: MastodonContractServer;
  let brand: { id: string; token: string };
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let aliceClient: ReturnType<typeof customer>;
  let bobClient: ReturnType<typeof customer>;

  const account = (settings: Record<string, unknown> = {}, token = brand.token): ChannelAccountConfig => ({
    id: 1, brandId: 1, network: 'mastodon', handle: 'brand', externalId: brand.id,
    credentials: { accessToken: token }, settings: { instanceUrl: server.url, timeoutMs: 1500, ...settings },
  });
  const channel = (settings: Record<string, unknown> = {}, token?: string) => new MastodonChannel(account(settings, token), { fetch: globalThis.fetch, now: Date.now });
  const statusPosts = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/statuses');

  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
    brand = server.createAccount({ username: 'brand', displayName: 'Brand Care' });
    alice = server.createAccount({ username: 'alice', displayName: 'Alice <b>Ä</b>', followers: 7 });
    bob = server.createAccount({ username: 'bob' });
    aliceClient = customer(server, alice.token);
    bobClient = customer(server, bob.token);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('reads what the customer typed back out of Mastodon\'s HTML: markup as text, links whole, paragraphs and line breaks', async () => {
    const c = channel();
    const start = await c.sync(null);
    const typed = '@brand <script>alert("x")</script> & my order #A-1 is late!\nTracking: https://example.com/track/0123456789/abcdefghijklmnopqrstuvwxyz\n\nThanks, Ä 👩‍👩‍👧';
    const id = await aliceClient.post(typed);
    const r = await c.sync(start.cursor);
    const m = r.messages.find((x) => x.networkMessageId === id)!;
    expect(m.text).toBe(typed);
    expect(m).toMatchObject({ kind: 'mention', visibility: 'public', author: { networkUserId: alice.id, handle: 'alice', displayName: 'Alice <b>Ä</b>', followers: 7, profileUrl: `${server.url}/@alice` } });
    expect((m.raw as { status: { content: string } }).status.content).toContain('&lt;script&gt;');
  });

  it('polls forward with min_id: nothing twice, and a full page says there is more', async () => {
    const c = channel();
    const first = await c.sync(null);
    expect((await c.sync(first.cursor)).messages).toEqual([]);
    const ids: string[] = [];
    for (let i = 0; i < 83; i++) ids.push(await bobClient.post(`@brand burst ${i}`));
    const a = await c.sync(first.cursor);
    expect(a.more).toBe(true);
    const b = await c.sync(a.cursor);
    expect(b.more).toBe(false);
    expect([...a.messages, ...b.messages].map((m) => m.networkMessageId).sort()).toEqual([...ids].sort());
    expect((await c.sync(b.cursor)).messages).toEqual([]);
    await expect(c.sync('nope')).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
  });

  it('streams mentions live over the streaming API and ends cleanly on abort and when the server drops the connection', async () => {
    const c = channel();
    const got: NormalizedMessage[] = [];
    const ctrl = new AbortController();
    const running = c.stream(async (ms) => void got.push(...ms), ctrl.signal);
    for (let i = 0; i < 100 && server.streamCount() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50)); // the subscribe message
    const id = await aliceClient.post('@brand live one');
    await bobClient.post('no mention here');
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got.map((m) => m.networkMessageId)).toEqual([id]);
    expect(got[0]).toMatchObject({ text: '@brand live one', kind: 'mention', author: { handle: 'alice' } });
    ctrl.abort();
    await running;

    // the server goes away: stream() resolves, so the sync worker reconnects (polling meanwhile)
    const again = c.stream(async () => {}, new AbortController().signal);
    for (let i = 0; i < 100 && server.streamCount() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    server.dropStreams();
    await again;
  });

  it('listens to the `user` stream and hands on the id of a deleted status that mentioned the brand (its `delete` event)', async () => {
    const c = channel();
    const got: NormalizedMessage[] = [];
    const deleted: string[] = [];
    const ctrl = new AbortController();
    const running = c.stream(async (ms, gone) => void (got.push(...ms), deleted.push(...(gone ?? []))), ctrl.signal);
    for (let i = 0; i < 100 && server.streamCount() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50)); // the subscribe message
    const id = await aliceClient.post('@brand please forget this one');
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got.map((m) => m.networkMessageId)).toEqual([id]);
    await bobClient.rest.v1.statuses.$select(await bobClient.post('not about the brand')).remove();
    await aliceClient.rest.v1.statuses.$select(id).remove();
    for (let i = 0; i < 100 && deleted.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(deleted).toEqual([id]);
    ctrl.abort();
    await running;
  });

  it('a revoked token: the stream cannot connect (rejects) and polling is AUTH_REVOKED', async () => {
    const token = server.issueToken(brand.id);
    const c = channel({}, token);
    await c.sync(null);
    server.revokeToken(token);
    await expect(c.stream(async () => {}, new AbortController().signal)).rejects.toBeInstanceOf(ChannelError);
    await expect(c.sync(null)).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
  });

  it('replies keep the mention\'s visibility (never wider), mention the customer once, and carry the Idempotency-Key', async () => {
    const c = channel();
    for (const visibility of ['public', 'unlisted', 'private'] as const) {
      const target = await aliceClient.post(`@brand question (${visibility})`, { visibility });
      const key = `msg-${visibility}-${Date.now()}`;
      const sent = await c.sendPublicReply({ idempotencyKey: key, text: 'Thanks, looking into it', visibility: 'public', inReplyTo: { networkMessageId: target } });
      const s = server.status(sent.networkMessageId)!;
      expect(s).toMatchObject({ visibility, inReplyToId: target, text: '@alice Thanks, looking into it', mentionIds: [alice.id] });
      expect(statusPosts().at(-1)!.headers['idempotency-key']).toBe(key);
    }
    const target = await aliceClient.post('@brand hi');
    const sent = await c.sendPublicReply({ idempotencyKey: `k-${Date.now()}`, text: 'Hi @alice, sure', visibility: 'public', inReplyTo: { networkMessageId: target } });
    expect(server.status(sent.networkMessageId)!.text).toBe('Hi @alice, sure');
  });

  it('refuses to answer a direct message in public, and bad input gets the server\'s reason', async () => {
    const c = channel();
    const dm = await aliceClient.post('@brand my card number is private', { visibility: 'direct' });
    await expect(c.sendPublicReply({ idempotencyKey: 'x1', text: 'ok', visibility: 'public', inReplyTo: { networkMessageId: dm } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const target = await aliceClient.post('@brand long one');
    const err = await c.sendPublicReply({ idempotencyKey: 'x2', text: 'a'.repeat(600), visibility: 'public', inReplyTo: { networkMessageId: target } }).catch((e) => e);
    expect(err).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(err.message).toMatch(/character limit/);
    await expect(c.sendPublicReply({ idempotencyKey: 'x3', text: 'hello', visibility: 'public', inReplyTo: { networkMessageId: '999999999' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('direct messages are `direct` statuses that mention the customer: they see it, nobody else does', async () => {
    const c = channel();
    const sent = await c.sendPrivateMessage({ idempotencyKey: `dm-${Date.now()}`, text: 'Please send us your order number', visibility: 'private', recipient: { networkUserId: alice.id, handle: 'alice' } });
    expect(server.status(sent.networkMessageId)).toMatchObject({ visibility: 'direct', text: '@alice Please send us your order number', mentionIds: [alice.id] });
    await expect(aliceClient.rest.v1.statuses.$select(sent.networkMessageId).fetch()).resolves.toMatchObject({ visibility: 'direct' });
    await expect(bobClient.rest.v1.statuses.$select(sent.networkMessageId).fetch()).rejects.toMatchObject({ statusCode: 404 });
    // the customer's own DM comes in as a private dm
    const start = await c.sync(null);
    const dm = await aliceClient.post('@brand thanks, it is 4711', { visibility: 'direct', inReplyToId: sent.networkMessageId });
    const r = await c.sync(start.cursor);
    expect(r.messages.find((m) => m.networkMessageId === dm)).toMatchObject({ visibility: 'private', kind: 'dm', inReplyToNetworkId: sent.networkMessageId });
  });

  it('the Idempotency-Key makes a resend return the first status; findSent finds a reply by its text', async () => {
    const c = channel();
    const target = await aliceClient.post('@brand double send?');
    const req = { idempotencyKey: `idem-${Date.now()}`, text: 'Only once', visibility: 'public' as const, inReplyTo: { networkMessageId: target } };
    expect(await c.findSent(req)).toBeNull();
    const a = await c.sendPublicReply(req);
    const b = await c.sendPublicReply(req);
    expect(b.networkMessageId).toBe(a.networkMessageId);
    expect(server.statuses().filter((s) => s.inReplyToId === target)).toHaveLength(1);
    expect((await c.findSent(req))?.networkMessageId).toBe(a.networkMessageId);
    // a different text in the same thread is not mistaken for it
    expect(await c.findSent({ ...req, text: 'Something else' })).toBeNull();
  });

  it('a 502 page from a proxy on a send is ambiguous (TIMEOUT), so the outbox checks before resending', async () => {
    const c = channel();
    const target = await aliceClient.post('@brand proxy trouble');
    server.failNext('server_error');
    await expect(c.sendPublicReply({ idempotencyKey: `p-${Date.now()}`, text: 'hello', visibility: 'public', inReplyTo: { networkMessageId: target } })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a spent rate-limit budget is RATE_LIMITED until the documented X-RateLimit-Reset', async () => {
    const c = channel();
    await c.sync(null);
    const before = server.rateLimit;
    server.rateLimit = 0;
    try {
      const err = await c.sync(null).catch((e) => e);
      expect(err).toMatchObject({ code: 'RATE_LIMITED' });
      const reset = server.requests.at(-1)!;
      expect(reset.status).toBe(429);
      expect(err.opts.retryAt).toBeGreaterThan(Date.now());
      expect(err.opts.retryAt % 300_000).toBe(0); // the end of Mastodon's 5-minute window
    } finally {
      server.rateLimit = before;
    }
  });

  it('listens to hashtags and keywords: public posts only, the brand\'s own left out, each once', async () => {
    const c = channel({ hashtags: ['#BrandCare'], keywords: ['zorblatt'] });
    const start = await c.sync(null);
    const tagged = await bobClient.post('Loving my #BrandCare experience');
    const word = await bobClient.post('Zorblatt shoes are great');
    await c.sendPrivateMessage({ idempotencyKey: `own-${Date.now()}`, text: 'zorblatt #BrandCare own post', visibility: 'private', recipient: { networkUserId: bob.id, handle: 'bob' } });
    await bobClient.post('zorblatt secret', { visibility: 'direct' });
    const r = await c.sync(start.cursor);
    const listening = r.messages.filter((m) => m.kind === 'listening');
    expect(listening.map((m) => m.networkMessageId).sort()).toEqual([tagged, word].sort());
    expect((await c.sync(r.cursor)).messages.filter((m) => m.kind === 'listening')).toEqual([]);
    const viaSearch = await c.search('#brandcare', null);
    expect(viaSearch.messages.map((m) => m.networkMessageId)).toContain(tagged);
  });

  it('keyword search pages back to the last position: more hits between polls than one page are all found, once', async () => {
    const c = channel({ keywords: ['quuxbrand'] });
    const before = await bobClient.post('quuxbrand before');
    const start = await c.sync(null);
    expect(start.messages.map((m) => m.networkMessageId)).toContain(before);
    const ids: string[] = [];
    for (let i = 0; i < 95; i++) ids.push(await bobClient.post(`quuxbrand post ${i}`));
    const seen: string[] = [];
    let cursor = start.cursor;
    for (let i = 0; i < 3; i++) {
      const r = await c.sync(cursor);
      seen.push(...r.messages.filter((m) => m.kind === 'listening').map((m) => m.networkMessageId));
      cursor = r.cursor;
    }
    expect(seen.length).toBe(new Set(seen).size);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('a burst bigger than one poll (950 hits) is read through over the next polls, each once, and new posts during it are not held up', async () => {
    const c = channel({ keywords: ['quuxstorm'] });
    const start = await c.sync(null);
    const old = server.addPublicStatuses(bob.id, ['quuxstorm already seen'])[0]!;
    const seen: string[] = [];
    let cursor = (await c.sync(start.cursor)).cursor;
    const burst = server.addPublicStatuses(bob.id, Array.from({ length: 950 }, (_, i) => `quuxstorm outage ${i}`));
    const polls: { more: boolean; got: string[] }[] = [];
    let late: string | null = null;
    for (let i = 0; i < 8; i++) {
      const r = await c.sync(cursor);
      const got = r.messages.filter((m) => m.kind === 'listening').map((m) => m.networkMessageId);
      polls.push({ more: !!r.more, got });
      seen.push(...got);
      cursor = r.cursor;
      // written while the backfill is under way
      if (i === 1) late = server.addPublicStatuses(bob.id, ['quuxstorm still down?'])[0]!;
    }
    expect(seen).not.toContain(old);
    expect(seen.length).toBe(new Set(seen).size);
    expect(new Set(seen)).toEqual(new Set([...burst, late!]));
    // found by the very next poll, not after the backfill
    expect(polls[2]!.got).toContain(late);
    // 200 hits, then 160 a poll (a page goes to the newest first); `more` has the sync worker poll again at once until done
    expect(polls.map((p) => p.more)).toEqual([true, true, true, true, true, false, false, false]);
    // done: the position is the newest hit and no backfill is left
    expect(JSON.parse(cursor!).g).toBeUndefined();
    expect((await c.sync(cursor)).messages.filter((m) => m.kind === 'listening')).toEqual([]);
  });

  it('reads a search position stored before backfills existed (no `g`), and a cursor with one', async () => {
    const c = channel({ keywords: ['quuxlegacy'] });
    const before = server.addPublicStatuses(bob.id, ['quuxlegacy before'])[0]!;
    const hits = server.addPublicStatuses(bob.id, Array.from({ length: 3 }, (_, i) => `quuxlegacy ${i}`));
    const legacy = JSON.stringify({ v: 1, n: null, t: {}, k: { quuxlegacy: before } });
    const r = await c.sync(legacy);
    expect(r.messages.filter((m) => m.kind === 'listening').map((m) => m.networkMessageId).sort()).toEqual([...hits].sort());
    // a backfill left by an earlier poll: only what lies inside it is read
    const gapped = JSON.stringify({ v: 1, n: null, t: {}, k: { quuxlegacy: hits[2] }, g: { quuxlegacy: [[before, hits[1]]] } });
    const r2 = await c.sync(gapped);
    expect(r2.messages.filter((m) => m.kind === 'listening').map((m) => m.networkMessageId)).toEqual([hits[0]]);
    expect(JSON.parse(r2.cursor!)).toMatchObject({ k: { quuxlegacy: hits[2] } });
    expect(JSON.parse(r2.cursor!).g).toBeUndefined();
    await expect(c.sync(JSON.stringify({ v: 1, n: null, t: {}, k: {}, g: { x: [['1']] } }))).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
  });

  it('a hashtag or keyword with no hits yet still starts its position: a burst after it is all found, once', async () => {
    const c = channel({ hashtags: ['#QuuxLaunch'], keywords: ['quuxlaunchword'] });
    const start = await c.sync(null);
    expect(start.messages.filter((m) => m.kind === 'listening')).toEqual([]);
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) ids.push(await bobClient.post(`quuxlaunchword #QuuxLaunch ${i}`));
    const seen: string[] = [];
    let cursor = start.cursor;
    for (let i = 0; i < 4; i++) {
      const r = await c.sync(cursor);
      seen.push(...r.messages.filter((m) => m.kind === 'listening').map((m) => m.networkMessageId));
      cursor = r.cursor;
    }
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('searches a keyword holding search syntax literally (a stray quote would make the server answer nothing)', async () => {
    const c = channel({ keywords: ['Quuxo 12" pizza'] });
    const start = await c.sync(null);
    const hit = await bobClient.post('my Quuxo 12 pizza oven stopped heating');
    const r = await c.sync(start.cursor);
    expect(r.messages.filter((m) => m.kind === 'listening').map((m) => m.networkMessageId)).toEqual([hit]);
  });

  it('a listening outage does not hold up mentions; the third failure in a row fails the poll', async () => {
    const c = channel({ keywords: ['zorblatt'] });
    const start = await c.sync(null);
    server.failRequests(/^\/api\/v2\/search$/, 503, 3);
    const m1 = await aliceClient.post('@brand still there?');
    const hit = await bobClient.post('zorblatt during the outage');
    const r1 = await c.sync(start.cursor);
    expect(r1.messages.map((m) => m.networkMessageId)).toEqual([m1]);
    expect(JSON.parse(r1.cursor!).k).toEqual(JSON.parse(start.cursor!).k);
    await c.sync(r1.cursor);
    await expect(c.sync(r1.cursor)).rejects.toMatchObject({ code: 'TEMPORARY' });
    // recovered: the listening hit from the outage comes through
    const r2 = await c.sync(r1.cursor);
    expect(r2.messages.map((m) => m.networkMessageId)).toEqual([hit]);
  });

  it('blocks and mutes on the server (a blocked account\'s mentions stop), likes, deletes, and reads profiles and threads', async () => {
    const c = channel();
    const mallory = server.createAccount({ username: 'mallory' });
    const malloryClient = customer(server, mallory.token);
    await c.block({ networkUserId: mallory.id, handle: 'mallory' });
    await c.mute({ networkUserId: bob.id, handle: 'bob' });
    expect(server.blockedBy(brand.id)).toEqual([mallory.id]);
    expect(server.mutedBy(brand.id)).toEqual([bob.id]);
    const start = await c.sync(null);
    await malloryClient.post('@brand spam spam');
    expect((await c.sync(start.cursor)).messages).toEqual([]);
    // undone: mentions come through again
    await c.unblock({ networkUserId: mallory.id, handle: 'mallory' });
    await c.unmute({ networkUserId: bob.id, handle: 'bob' });
    expect([server.blockedBy(brand.id), server.mutedBy(brand.id)]).toEqual([[], []]);
    const back = await malloryClient.post('@brand sorry, I was wrong');
    const afterUnblock = await c.sync(start.cursor);
    expect(afterUnblock.messages.map((m) => m.networkMessageId)).toContain(back);
    await c.block({ networkUserId: mallory.id, handle: 'mallory' });

    const root = await aliceClient.post('@brand thread root');
    const reply = await c.sendPublicReply({ idempotencyKey: `t-${Date.now()}`, text: 'in thread', visibility: 'public', inReplyTo: { networkMessageId: root } });
    const thread = await c.fetchThread(root);
    expect(thread.map((m) => m.networkMessageId)).toEqual([root, reply.networkMessageId]);
    expect(thread[1]).toMatchObject({ fromBrand: true, direction: 'outbound', inReplyToNetworkId: root });
    await c.like(root);
    expect(server.status(root)!.favouritedBy.has(brand.id)).toBe(true);
    await c.delete(reply.networkMessageId);
    expect(server.status(reply.networkMessageId)).toBeUndefined();
    expect(await c.fetchProfile(alice.id)).toMatchObject({ networkUserId: alice.id, handle: 'alice', followers: 7 });
    await expect(c.fetchProfile('123')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists the instance\'s rules a report may cite (GET /api/v1/instance/rules), and a cited rule files the report as a violation', async () => {
    server.rules = [{ id: '1', text: 'No harassment', hint: 'Threats or targeting people.' }, { id: '4', text: 'No spam', hint: '' }];
    const c = channel();
    expect(await c.reportRules()).toEqual(server.rules);
    server.rules = [];
    expect(await c.reportRules()).toEqual([]);
    server.failRequests(/^\/api\/v1\/instance\/rules$/, 503);
    await expect(c.reportRules()).rejects.toMatchObject({ code: 'TEMPORARY' });
    await expect(channel({}, 'revoked').reportRules()).rejects.toMatchObject({ code: 'AUTH_REVOKED' });

    server.rules = [{ id: '1', text: 'No harassment', hint: '' }];
    const status = await bobClient.post('@brand I know where you live');
    const author = { networkUserId: bob.id, handle: 'bob', displayName: null };
    const filed = await c.reportToNetwork({ subject: 'post', post: { networkMessageId: status }, author, reason: 'spam', comment: 'No harassment (harassment): threatens staff', ruleIds: ['1'] });
    expect(filed.category).toBe('violation');
    expect(server.reports[server.reports.length - 1]).toMatchObject({ id: filed.reportId, statusIds: [status], category: 'violation', ruleIds: ['1'] });
    // a rule the instance does not have: Mastodon's 422, a refusal
    await expect(c.reportToNetwork({ subject: 'account', author, reason: 'abuse', comment: 'x', ruleIds: ['9'] })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(mastodonReportCategory('spam', true)).toBe('violation');
    expect(mastodonReportCategory('spam', false)).toBe('spam');
    expect(mastodonReportCategory('legal', false)).toBe('legal');
    expect(mastodonReportCategory('abuse', false)).toBe('other');
  });

  it('without an instance URL or token it says what is missing', async () => {
    const noUrl = new MastodonChannel({ ...account(), settings: {} }, { fetch: globalThis.fetch, now: Date.now });
    await expect(noUrl.sync(null)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(channel({}, '').sync(null)).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
  });
});
