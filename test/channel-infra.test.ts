/**
 * The channel plumbing every connector relies on — sync worker, webhook route,
 * health and reconnect — driven by a scripted connector registered as a driver.
 * (Each real network has its own contract-server tests in src/channels/<network>/.)
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelError, type Channel, type Capabilities, type WebhookRequest } from '../src/channels/types.js';
import type { NormalizedMessage } from '../src/core/types.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const caps = Object.fromEntries(['publicReply', 'privateMessage', 'hide', 'delete', 'block', 'mute', 'like', 'fetchProfile', 'fetchThread', 'search', 'webhook', 'poll', 'stream'].map((k) => [k, true])) as Capabilities;

describe('channel sync, webhooks and health', () => {
  let desk: TestDesk;
  let admin: Client;
  let script: { pages: (NormalizedMessage[] | Error)[]; cursors: (string | null)[] };
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    script = { pages: [], cursors: [] };
    desk.parley.services.registry.register('scripted', (account) => {
      const ch: Channel = {
        network: account.network,
        capabilities: caps,
        async sync(cursor) {
          script.cursors.push(cursor);
          const next = script.pages.shift();
          if (!next) return { messages: [], cursor: null };
          if (next instanceof Error) throw next;
          return { messages: next, cursor: `c${script.cursors.length}` };
        },
        handleWebhook(req: WebhookRequest) {
          const sig = createHmac('sha256', String(account.credentials.secret)).update(req.rawBody).digest('hex');
          if (req.headers['x-signature'] !== sig) throw new ChannelError('AUTH_REVOKED', 'bad signature');
          const body = JSON.parse(req.rawBody.toString('utf8'));
          return { response: { status: 200, body: { ok: true } }, messages: body.messages, ...(body.rejected ? { rejected: body.rejected } : {}) };
        },
        async sendPublicReply() {
          return { networkMessageId: 'x' };
        },
      };
      return ch;
    });
  });
  afterAll(async () => desk?.stop());

  it('polls, stores before moving the cursor, turns unhealthy on revoked credentials with advice, and recovers on reconnect', async () => {
    const created = await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeSync', driver: 'scripted', credentials: { secret: 's3cret', token: 'abc' } });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.json)).not.toContain('s3cret');
    const id = created.json.id;
    const sync = desk.parley.services.sync;
    script.pages.push([mention({ text: 'first poll' })], [mention({ text: 'second poll' })]);
    await sync.runOnce();
    await sync.syncSoon(id);
    await sync.runOnce();
    const acc = await desk.db.store.db.selectFrom('channel_account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(acc.cursor).toBe('c2');
    expect(script.cursors.slice(0, 2)).toEqual([null, 'c1']);
    const texts = (await desk.db.store.db.selectFrom('message').select('text').where('channel_account_id', '=', id).execute()).map((r) => r.text);
    expect(texts.sort()).toEqual(['first poll', 'second poll']);

    script.pages.push(new ChannelError('AUTH_REVOKED', 'token expired (401)'));
    await sync.syncSoon(id);
    await sync.runOnce();
    const list = (await admin.get('/api/channel-accounts')).json.items.find((a: any) => a.id === id);
    expect(list.status).toBe('unhealthy');
    expect(list.health).toMatchObject({ code: 'AUTH_REVOKED', advice: expect.stringMatching(/Reconnect/) });
    expect((await admin.get('/api/notifications')).json.items[0]).toMatchObject({ kind: 'channel.unhealthy', body: expect.stringMatching(/Reconnect/) });

    const re = await admin.req('PATCH', `/api/channel-accounts/${id}`, { credentials: { secret: 's3cret', token: 'new' } });
    expect(re.json.status).toBe('active');
    script.pages.push([mention({ text: 'after reconnect' })]);
    await sync.runOnce();
    expect((await desk.db.store.db.selectFrom('message').select('id').where('channel_account_id', '=', id).execute()).length).toBe(3);
  });

  it('rejects badly signed webhooks with 401 and stores nothing; stores a triple delivery once', async () => {
    const created = await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeHook', driver: 'scripted', credentials: { secret: 'hook-secret' } });
    const id = created.json.id;
    const m = mention({ text: 'via webhook' });
    const body = JSON.stringify({ messages: [m] });
    const count = async () => (await desk.db.store.db.selectFrom('message').select('id').where('channel_account_id', '=', id).execute()).length;
    const bad = await fetch(`${desk.url}/api/webhooks/x/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': 'deadbeef' }, body });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { code: string }).code).toBe('webhook.signature');
    expect(await count()).toBe(0);
    const sig = createHmac('sha256', 'hook-secret').update(body).digest('hex');
    for (let i = 0; i < 3; i++) {
      const ok = await fetch(`${desk.url}/api/webhooks/x/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': sig }, body });
      expect(ok.status).toBe(200);
    }
    expect(await count()).toBe(1);
    const wrongNetwork = await fetch(`${desk.url}/api/webhooks/mastodon/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(wrongNetwork.status).toBe(404);
    // what the connector could not read is kept in quarantine with its reason; the rest is stored
    const mixed = JSON.stringify({ messages: [mention({ text: 'next to junk' })], rejected: [{ reason: 'tweet_create_events[1] is not a Tweet object', raw: 42 }] });
    const r = await fetch(`${desk.url}/api/webhooks/x/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', 'hook-secret').update(mixed).digest('hex') }, body: mixed });
    expect(r.status).toBe(200);
    expect(await count()).toBe(2);
    const q = await desk.db.store.db.selectFrom('quarantine').selectAll().where('source', '=', `webhook:x:${id}`).execute();
    expect(q.map((x) => [x.reason, x.raw])).toEqual([['tweet_create_events[1] is not a Tweet object', '42']]);
  });
});
