/**
 * Web chat: the contract suite (web chat's "network" is Parley's own database:
 * a mention is a visitor's message, a reply is read back from the visitor's
 * transcript), then the public routes on a real Parley server: the widget
 * script, CORS, visitor sessions, the ingest path, the long-poll that carries
 * agents' replies, visitor isolation, size limits with quarantine, rate limits,
 * and the opening-hours card; then, on SQLite and PostgreSQL, that only tokens
 * the server issued name a visitor.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webchatClient } from '../../../test/helpers/webchat.js';
import { runChannelContract, type ContractNetwork } from '../../../test/channel-contract.js';
import { Client, startDesk, type TestDesk } from '../../../test/helpers/parley.js';
import type { Store } from '../../store/db.js';
import { DIALECTS } from '../../../test/db.js';
import { isVisitorId, replyIdFor, visitorMessageId, visitorOfId, WebchatChannel } from './index.js';
import { visitorTranscript } from './transcript.js';
import { isTokenShaped, newVisitorId, startVisitor, tokenHash, visitorOfToken } from './visitors.js';

const deps = { fetch: globalThis.fetch, now: () => Date.now() };
const newToken = () => randomBytes(32).toString('base64url');
const newClientId = () => randomBytes(12).toString('hex');

// ------------------------------------------------------------------ the contract suite

runChannelContract('webchat (delivered from Parley\'s own database)', async () => {
  let store: Store;
  let account = { id: 0, brand_id: 0 };
  const queued: { visitorId: string; text: string; clientMessageId: string }[] = [];
  const all: typeof queued = [];
  const visitors = new Set<string>();
  const visitorWrites = async (text: string) => {
    const p = { visitorId: newVisitorId(), text, clientMessageId: newClientId() };
    visitors.add(p.visitorId);
    queued.push(p);
    all.push(p);
    return visitorMessageId(p.visitorId, p.clientMessageId);
  };
  const net: ContractNetwork = {
    network: 'webchat',
    visibility: 'private',
    attach(ctx) {
      store = ctx.store;
      account = { id: ctx.accountId, brand_id: ctx.brandId };
    },
    makeChannel: (acc) => new WebchatChannel(acc, deps, { store }),
    account: { handle: 'Acme chat', externalId: 'acme-site', credentials: {}, settings: { allowedOrigins: ['https://shop.acme.test'] } },
    postMention: visitorWrites,
    postPrivate: visitorWrites,
    // what the /webchat/:id/messages route does with a visitor's POST
    async receive(channel, opts) {
      const list = opts?.redeliver ? all : queued.splice(0);
      return list.map((p) => (channel as WebchatChannel).visitorMessage(p));
    },
    async readBack(id) {
      const t = await visitorTranscript(store, account, visitorOfId(id)!);
      const item = t.items.find((i) => i.id === id);
      return item ? { text: item.text, inReplyToNetworkId: item.inReplyTo, visibility: 'private' } : null;
    },
    async countPosts(text) {
      let n = 0;
      for (const v of visitors) n += (await visitorTranscript(store, account, v)).items.filter((i) => i.from === 'agent' && i.text === text).length;
      return n;
    },
    skip: {
      rateLimit: 'web chat replies are delivered by Parley itself: there is no network to rate-limit them',
      timeout: 'delivery is the outbox committing the reply as sent: no network call can time out after accepting it',
      authRevoked: 'web chat has no network credentials to revoke (visitors hold their own tokens)',
    },
  };
  return net;
});

// ------------------------------------------------------------------ the connector on its own

describe('webchat connector', () => {
  const channel = new WebchatChannel({ id: 5, brandId: 1, network: 'webchat', handle: 'chat', externalId: 'chat', settings: {}, credentials: {} }, { ...deps, now: () => 1_000 });

  it('makes random visitor ids, and knows the shape of an issued token', () => {
    const a = newVisitorId();
    expect(isVisitorId(a)).toBe(true);
    expect(newVisitorId()).not.toBe(a);
    expect(isTokenShaped(newToken())).toBe(true);
    for (const t of ['short', 'a'.repeat(44), `${newToken().slice(0, 42)}!`, a]) expect(isTokenShaped(t)).toBe(false);
    expect(tokenHash('x')).toBe(createHash('sha256').update('x').digest('hex'));
  });

  it('normalizes a visitor message verbatim, and refuses what breaks the rules', () => {
    const visitorId = newVisitorId();
    const text = '<img src=x onerror=alert(1)> \u202Eevil\u202C \uD800 \u0000 end  ';
    const m = channel.visitorMessage({ visitorId, text, clientMessageId: 'abcdefgh12', pageUrl: 'https://shop.acme.test/p?q=1' });
    expect(m).toMatchObject({ network: 'webchat', networkMessageId: `wc-${visitorId}-mabcdefgh12`, direction: 'inbound', visibility: 'private', kind: 'chat', text, createdAt: 1_000 });
    expect(m.author).toMatchObject({ networkUserId: visitorId, handle: expect.stringMatching(/^visitor-[0-9a-f]{6}$/) });
    expect(() => channel.visitorMessage({ visitorId, text: '   ', clientMessageId: 'abcdefgh12' })).toThrow(/empty/);
    expect(() => channel.visitorMessage({ visitorId, text: 'x'.repeat(4001), clientMessageId: 'abcdefgh12' })).toThrow(/longer than 4000/);
    expect(() => channel.visitorMessage({ visitorId, text: 'hi', clientMessageId: 'no spaces please' })).toThrow(/clientMessageId/);
    expect(() => channel.visitorMessage({ visitorId: 'v-not-an-id', text: 'hi', clientMessageId: 'abcdefgh12' })).toThrow(/visitor id/);
  });

  it('addresses a reply to the visitor it answers, with an id from the idempotency key', async () => {
    const v = newVisitorId();
    const r = await channel.sendPrivateMessage({ idempotencyKey: 'k-1', text: 'hello', visibility: 'private', inReplyTo: { networkMessageId: visitorMessageId(v, 'abcdefgh') } });
    expect(r.networkMessageId).toBe(replyIdFor(v, 'k-1'));
    expect(visitorOfId(r.networkMessageId)).toBe(v);
    const err = await channel.sendPrivateMessage({ idempotencyKey: 'k-2', text: 'hello', visibility: 'private', inReplyTo: { networkMessageId: 'tweet-1' } }).then(() => null, (e) => e);
    expect(err?.code).toBe('INVALID_REQUEST');
  });
});

// ------------------------------------------------------------------ the public routes on a real server

describe('webchat routes', () => {
  const ORIGIN = 'https://shop.acme.test';
  let desk: TestDesk;
  let admin: Client;
  let accountId: number;

  async function wc(path: string, opts: { method?: string; token?: string; origin?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.origin !== null) headers.origin = opts.origin ?? ORIGIN;
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${desk.url}${path}`, { method: opts.method ?? 'GET', headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers };
  }
  async function visitor() {
    const r = await wc(`/webchat/${accountId}/sessions`, { method: 'POST', body: {} });
    expect(r.status).toBe(201);
    return r.json as { token: string; visitorId: string };
  }
  const say = (token: string, text: string, clientMessageId = newClientId()) => wc(`/webchat/${accountId}/messages`, { method: 'POST', token, body: { text, clientMessageId, pageUrl: `${ORIGIN}/help` } });
  async function conversationOf(visitorId: string) {
    const list = await admin.get('/api/conversations?network=webchat&limit=100');
    for (const c of list.json.items) {
      const d = await admin.get(`/api/conversations/${c.id}`);
      if (d.json.messages.some((m: any) => m.networkMessageId?.startsWith(`wc-${visitorId}-`))) return d.json;
    }
    return null;
  }

  beforeAll(async () => {
    desk = await startDesk('sqlite');
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    const r = await admin.post('/api/channel-accounts', { network: 'webchat', handle: 'Acme chat', externalId: 'acme-site', settings: { allowedOrigins: [ORIGIN, 'http://localhost:8080/'], title: 'Acme Help', greeting: 'Hi! Ask us anything.', color: '#0a7d45' } });
    expect(r.status).toBe(201);
    accountId = r.json.id;
  }, 120_000);
  afterAll(async () => {
    await desk?.stop();
    // startDesk's data directory (the server's secret): ours to remove
    if (desk) rmSync(desk.parley.services.config.dataDir, { recursive: true, force: true });
  });

  it('serves the widget: a few KB gzipped, cacheable, loadable cross-origin, never using innerHTML', async () => {
    const res = await fetch(`${desk.url}/webchat/widget.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const raw = await fetch(`${desk.url}/webchat/widget.js`, { headers: { 'accept-encoding': 'identity' } });
    const text = await raw.text();
    expect(text).toContain('data-account');
    expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toBe(text);
    expect(gzipSync(text).length).toBeLessThan(6 * 1024);
    const again = await fetch(`${desk.url}/webchat/widget.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('answers only the account\'s allowed origins (CORS), and only for enabled web chat accounts', async () => {
    const pre = await wc(`/webchat/${accountId}/messages`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect((await wc(`/webchat/${accountId}/config`, { origin: 'http://localhost:8080' })).status).toBe(200);
    const evil = await wc(`/webchat/${accountId}/config`, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.json.code).toBe('webchat.origin_not_allowed');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const evilPre = await wc(`/webchat/${accountId}/sessions`, { method: 'OPTIONS', origin: 'https://evil.example' });
    expect(evilPre.headers.get('access-control-allow-origin')).toBeNull();
    // not a web chat account, or no account at all
    expect((await wc(`/webchat/${desk.accountId}/config`)).status).toBe(404);
    expect((await wc('/webchat/999999/config')).status).toBe(404);
  });

  it('takes a visitor\'s message through the ingest queue, and brings the agent\'s reply back on the long-poll', async () => {
    const v = await visitor();
    const text = 'My order #77 has not arrived <b>bold?</b>';
    const sent = await say(v.token, text);
    expect(sent.status).toBe(202);
    expect(sent.json.id).toBe(`wc-${v.visitorId}-m${sent.json.id.split('-m')[1]}`);
    const conv = await conversationOf(v.visitorId);
    expect(conv).not.toBeNull();
    expect(conv.conversation).toMatchObject({ network: 'webchat', visibility: 'private', channelAccountId: accountId });
    expect(conv.messages[0]).toMatchObject({ text, kind: 'chat', visibility: 'private', direction: 'inbound' });

    const first = await wc(`/webchat/${accountId}/messages`, { token: v.token });
    expect(first.json.messages).toEqual([expect.objectContaining({ id: sent.json.id, from: 'visitor', text })]);
    const t0 = Date.now();
    const waiting = wc(`/webchat/${accountId}/messages?since=${first.json.etag}&wait=20`, { token: v.token });
    await new Promise((r) => setTimeout(r, 200));
    const reply = await admin.post(`/api/conversations/${conv.conversation.id}/replies`, { text: 'It ships today! <script>x</script>', visibility: 'private' });
    expect(reply.status).toBe(202);
    const got = await waiting;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(got.json.messages.map((m: any) => [m.from, m.text])).toEqual([['visitor', text], ['agent', 'It ships today! <script>x</script>']]);
    expect(got.json.messages[1]).toMatchObject({ author: 'Acme Help' });
    expect(got.json.etag).not.toBe(first.json.etag);
    // the channel finds the committed reply by its idempotency key
    const row = await desk.db.store.db.selectFrom('outbox').selectAll().where('network_message_id', '=', got.json.messages[1].id).executeTakeFirstOrThrow();
    const acc = await desk.db.store.db.selectFrom('channel_account').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
    const ch = desk.parley.services.registry.forAccount(acc)!;
    expect(await ch.findSent!({ idempotencyKey: row.idempotency_key, text: '', visibility: 'private', recipient: { networkUserId: v.visitorId, handle: 'x' } })).toMatchObject({ networkMessageId: row.network_message_id });
    expect(await ch.findSent!({ idempotencyKey: 'never-sent', text: '', visibility: 'private', recipient: { networkUserId: v.visitorId, handle: 'x' } })).toBeNull();
  });

  it('shows a visitor only their own conversation', async () => {
    const a = await visitor();
    const b = await visitor();
    await say(a.token, 'secret of A: my address is 1 Main St');
    await say(b.token, 'hello from B');
    const convA = await conversationOf(a.visitorId);
    await admin.post(`/api/conversations/${convA.conversation.id}/replies`, { text: 'reply for A only', visibility: 'private' });
    await admin.post(`/api/conversations/${convA.conversation.id}/notes`, { text: 'internal note about A' });
    const seenByB = await wc(`/webchat/${accountId}/messages`, { token: b.token });
    expect(seenByB.json.messages.map((m: any) => m.text)).toEqual(['hello from B']);
    let seenByA: any;
    for (let i = 0; i < 50; i++) {
      seenByA = await wc(`/webchat/${accountId}/messages`, { token: a.token });
      if (seenByA.json.messages.length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seenByA.json.messages.map((m: any) => m.text)).toEqual(['secret of A: my address is 1 Main St', 'reply for A only']);
    expect((await wc(`/webchat/${accountId}/messages`)).status).toBe(401);
    expect((await wc(`/webchat/${accountId}/messages`, { token: 'not a token' })).status).toBe(401);
    // knowing A's visitor id (agents see it) is no key: it is not a token the server issued
    const guess = await wc(`/webchat/${accountId}/messages`, { headers: { authorization: `Bearer ${a.visitorId}` } });
    expect(guess.status).toBe(401);
    expect(JSON.stringify(guess.json)).not.toContain('secret of A');
  });

  it('stores hostile text verbatim, refuses oversize and malformed messages, quarantines what it refused, and stores a retried message once', async () => {
    const v = await visitor();
    const hostile = '<img src=x onerror="alert(1)"> \u202Egnp.exe\u202C javascript:alert(2) \uD800 nul\u0000 end';
    const id = newClientId();
    expect((await say(v.token, hostile, id)).status).toBe(202);
    const dup = await say(v.token, hostile, id);
    expect(dup.json.status).toBe('duplicate');
    const t = await wc(`/webchat/${accountId}/messages`, { token: v.token });
    expect(t.json.messages.map((m: any) => m.text)).toEqual([hostile]);

    const before = await desk.db.store.db.selectFrom('quarantine').selectAll().execute();
    const long = await say(v.token, 'x'.repeat(4001));
    expect(long.status).toBe(413);
    expect(long.json.code).toBe('webchat.too_long');
    const q = await desk.db.store.db.selectFrom('quarantine').selectAll().execute();
    expect(q.length).toBe(before.length + 1);
    expect(q[q.length - 1]).toMatchObject({ source: `webchat:${accountId}`, reason: expect.stringMatching(/longer than 4000/) });
    expect(JSON.parse(q[q.length - 1]!.raw).visitorId).toBe(v.visitorId);

    expect((await say(v.token, '   ')).status).toBe(400);
    expect((await say(v.token, '\u200B\u200D \u2060\u200E\uFEFF')).status).toBe(400); // invisible characters only
    // the same id again with another text: not dropped silently, but refused and kept in quarantine
    const reused = await say(v.token, 'actually, my order number is 4471', id);
    expect(reused.status).toBe(409);
    expect(reused.json.code).toBe('webchat.id_reused');
    const kept = await desk.db.store.db.selectFrom('quarantine').selectAll().where('reason', 'like', 'clientMessageId was already used%').execute();
    expect(kept.map((k) => JSON.parse(k.raw).body.text)).toEqual(['actually, my order number is 4471']);
    expect((await wc(`/webchat/${accountId}/messages`, { token: v.token })).json.messages.map((m: any) => m.text)).toEqual([hostile]);
    expect((await wc(`/webchat/${accountId}/messages`, { method: 'POST', token: v.token, raw: '{"text": ' })).status).toBe(400);
    expect((await wc(`/webchat/${accountId}/messages`, { method: 'POST', token: v.token, body: { text: 'hi', clientMessageId: '../../etc' } })).status).toBe(400);
    const huge = await wc(`/webchat/${accountId}/messages`, { method: 'POST', token: v.token, body: { text: 'y'.repeat(100_000), clientMessageId: newClientId() } });
    expect(huge.status).toBe(413);
    expect(huge.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((await wc(`/webchat/${accountId}/messages`, { method: 'POST', body: { text: 'no token', clientMessageId: newClientId() } })).status).toBe(401);
  });

  it('rate-limits a visitor who floods, with Retry-After', async () => {
    const v = await visitor();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await say(v.token, `flood ${i}`)).status);
    expect(statuses.slice(0, 20).every((s) => s === 202)).toBe(true);
    const last = await say(v.token, 'one too many');
    expect(last.status).toBe(429);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last.headers.get('access-control-expose-headers')).toMatch(/retry-after/);
  });

  it('tells visitors whether the team is in, when it is back, and how fast it replies', async () => {
    const now = new Date();
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const tomorrow = days[(now.getUTCDay() + 1) % 7]!;
    const closed = await admin.req('PUT', `/api/channel-accounts/${accountId}/calendar`, { calendar: { timeZone: 'UTC', weekly: { [tomorrow]: [{ start: '09:00', end: '17:00' }] } } });
    expect(closed.status).toBe(200);
    const c1 = await wc(`/webchat/${accountId}/config`);
    expect(c1.json).toMatchObject({ title: 'Acme Help', open: false, greeting: 'Hi! Ask us anything.', color: '#0a7d45' });
    expect(c1.json.status).toBe('We\'re offline now \u2014 back tomorrow at 9:00 UTC');
    expect(c1.json.availability).toMatch(/^We're here .*9am–5pm UTC; we reply within 30 min during those hours\.$/);
    expect(Date.parse(c1.json.nextOpening)).toBeGreaterThan(now.getTime());
    const all = Object.fromEntries(days.map((d) => [d, [{ start: '00:00', end: '24:00' }]]));
    await admin.req('PUT', `/api/channel-accounts/${accountId}/calendar`, { calendar: { timeZone: 'UTC', weekly: all } });
    const c2 = await wc(`/webchat/${accountId}/config`);
    expect(c2.json).toMatchObject({ open: true, status: 'We\'re online now', replyTime: 'We usually reply within 30 min.', nextOpening: null });
    expect(c2.json.availability).toBe('We\'re here 24/7; we reply within 30 min.');
  });
});

// ------------------------------------------------------------------ only issued tokens name a visitor

for (const dialect of DIALECTS) {
  describe(`webchat visitor tokens (${dialect})`, () => {
    const ORIGIN = 'https://shop.acme.test';
    let desk: TestDesk;
    let admin: Client;
    let accountId: number;
    let otherAccountId: number;

    const wc = webchatClient(() => desk.url, ORIGIN);
    const session = async (account = accountId) => {
      const r = await wc(`/webchat/${account}/sessions`, { method: 'POST', body: {} });
      expect(r.status).toBe(201);
      return r.json as { token: string; visitorId: string };
    };
    const say = (token: string, text: string, clientMessageId = newClientId(), account = accountId) => wc(`/webchat/${account}/messages`, { method: 'POST', token, body: { text, clientMessageId } });
    const read = (token: string, account = accountId) => wc(`/webchat/${account}/messages`, { token });
    const counts = async () => {
      const db = desk.db.store.db;
      const n = async (t: 'message' | 'contact_identity' | 'quarantine' | 'webchat_visitor') => Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      return { message: await n('message'), identity: await n('contact_identity'), quarantine: await n('quarantine'), visitor: await n('webchat_visitor') };
    };

    beforeAll(async () => {
      desk = await startDesk(dialect);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const a = await admin.post('/api/channel-accounts', { network: 'webchat', handle: 'Acme chat', externalId: 'acme-site', settings: { allowedOrigins: [ORIGIN] } });
      const b = await admin.post('/api/channel-accounts', { network: 'webchat', handle: 'Acme chat 2', externalId: 'acme-site-2', settings: { allowedOrigins: [ORIGIN] } });
      expect([a.status, b.status]).toEqual([201, 201]);
      accountId = a.json.id;
      otherAccountId = b.json.id;
    }, 120_000);
    afterAll(async () => {
      await desk?.stop();
    });

    it('issues a fresh 256-bit token bound to a new visitor record, and keeps only its hash', async () => {
      const a = await session();
      const b = await session();
      expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(a.token, 'base64url').length).toBe(32);
      expect(isVisitorId(a.visitorId)).toBe(true);
      expect(b.token).not.toBe(a.token);
      expect(b.visitorId).not.toBe(a.visitorId);
      const rows = await desk.db.store.db.selectFrom('webchat_visitor').selectAll().where('visitor_id', 'in', [a.visitorId, b.visitorId]).orderBy('id').execute();
      expect(rows).toMatchObject([
        { visitor_id: a.visitorId, token_hash: tokenHash(a.token), channel_account_id: accountId, brand_id: desk.brandId },
        { visitor_id: b.visitorId, token_hash: tokenHash(b.token), channel_account_id: accountId, brand_id: desk.brandId },
      ]);
      expect(JSON.stringify(rows)).not.toContain(a.token);
      expect(await visitorOfToken(desk.db.store, { id: accountId }, a.token)).toBe(a.visitorId);
      // the store function on its own: what the route calls
      const c = await startVisitor(desk.db.store, { id: accountId, brand_id: desk.brandId }, Date.now());
      expect(await visitorOfToken(desk.db.store, { id: accountId }, c.token)).toBe(c.visitorId);
      expect(await visitorOfToken(desk.db.store, { id: otherAccountId }, c.token)).toBeNull();
    });

    it('refuses a token the server did not issue — no posting, no reading — and creates nothing', async () => {
      const before = await counts();
      // well-formed but made up; a client-made token of the old kind; a visitor id; the hash of a real token
      const real = await session();
      const made = [newToken(), 'a'.repeat(64), real.visitorId, tokenHash(real.token)];
      const afterSession = await counts();
      for (const token of made) {
        const post = await say(token, 'hello, I am someone else');
        expect(post.status).toBe(401);
        expect(post.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(post.json).toMatchObject({ status: 401, code: 'webchat.token_unknown', detail: expect.stringMatching(/not issued by this chat.*sessions/) });
        const get = await read(token);
        expect(get.status).toBe(401);
        expect(get.json.code).toBe('webchat.token_unknown');
      }
      // an oversize message would be quarantined for a visitor; for no one, nothing is kept
      expect((await say(newToken(), 'x'.repeat(5000))).status).toBe(401);
      expect(afterSession).toEqual({ ...before, visitor: before.visitor + 1 });
      expect(await counts()).toEqual(afterSession);
    });

    it('lets an issued token post and read, its own transcript only, and stores a retried message once', async () => {
      const a = await session();
      const b = await session();
      const cid = newClientId();
      const sent = await say(a.token, 'A: my address is 1 Main St', cid);
      expect(sent.status).toBe(202);
      expect(sent.json.id).toBe(visitorMessageId(a.visitorId, cid));
      expect((await say(a.token, 'A: my address is 1 Main St', cid)).json.status).toBe('duplicate');
      expect((await say(b.token, 'B: hello')).status).toBe(202);
      const seenByA = await read(a.token);
      expect(seenByA.status).toBe(200);
      expect(seenByA.json.visitorId).toBe(a.visitorId);
      expect(seenByA.json.messages.map((m: any) => m.text)).toEqual(['A: my address is 1 Main St']);
      const seenByB = await read(b.token);
      expect(seenByB.json.visitorId).toBe(b.visitorId);
      expect(seenByB.json.messages.map((m: any) => m.text)).toEqual(['B: hello']);
      const stored = await desk.db.store.db.selectFrom('message').select('network_message_id').where('network', '=', 'webchat').where('network_message_id', 'like', `wc-${a.visitorId}-%`).execute();
      expect(stored).toHaveLength(1);
    });

    it('binds a token to the account that issued it', async () => {
      const a = await session();
      expect((await say(a.token, 'hi there')).status).toBe(202);
      expect((await say(a.token, 'hi other chat', newClientId(), otherAccountId)).status).toBe(401);
      expect((await read(a.token, otherAccountId)).status).toBe(401);
      const other = await session(otherAccountId);
      expect((await read(other.token, otherAccountId)).json.messages).toEqual([]);
      expect((await read(other.token)).status).toBe(401);
    });

    it('limits new visitors and unknown tokens per address (429 with Retry-After)', async () => {
      let minted = 0;
      let refused: Awaited<ReturnType<typeof wc>> | null = null;
      for (let i = 0; i < 40 && !refused; i++) {
        const r = await wc(`/webchat/${accountId}/sessions`, { method: 'POST', body: {} });
        if (r.status === 201) minted++;
        else refused = r;
      }
      expect(refused?.status).toBe(429);
      expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
      // 30 per hour from this address, counting this file's earlier sessions (the store-level one is not a request)
      const rows = Number((await desk.db.store.db.selectFrom('webchat_visitor').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      expect(rows).toBe(30 + 1);
      expect(minted).toBeGreaterThan(0);
      let miss: Awaited<ReturnType<typeof wc>> | null = null;
      for (let i = 0; i < 25; i++) {
        miss = await read(newToken());
        if (miss.status !== 401) break;
      }
      expect(miss?.status).toBe(429);
      expect(Number(miss!.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
}
