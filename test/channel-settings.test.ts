/**
 * Editing a connected channel account (PATCH /api/channel-accounts/:id) on a running
 * desk, on SQLite and PostgreSQL: new listening keywords are used by the very next poll
 * (an X account against XContractServer, no restart, no message lost or stored twice),
 * only admins may edit, bad input is refused with the reason and changes nothing,
 * credentials never come back, and pointing the account at another server takes them again;
 * every change is audited; and the sync worker's side of
 * it: a run that overlaps an edit leaves the position alone, a live stream is reopened
 * with the new settings, a disabled account's stream is closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XContractServer } from './contract-servers/x.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';
import type { Capabilities, Channel, SyncResult } from '../src/channels/types.js';
import type { NormalizedMessage } from '../src/core/types.js';

const caps = Object.fromEntries(['publicReply', 'privateMessage', 'hide', 'delete', 'block', 'mute', 'like', 'fetchProfile', 'fetchThread', 'search', 'webhook', 'poll', 'stream'].map((k) => [k, true])) as Capabilities;

for (const dialect of DIALECTS) {
  describe(`editing a channel account [${dialect}]`, () => {
    let desk: TestDesk;
    let server: XContractServer;
    let admin: Client;
    let ana: Client;
    let xId: number;

    const db = () => desk.db.store.db;
    const row = (id: number) => db().selectFrom('channel_account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const stored = async (networkMessageId: string) => db().selectFrom('message').select(['id', 'kind']).where('network_message_id', '=', networkMessageId).execute();
    const audits = (id: number) => db().selectFrom('audit_event').selectAll().where('subject_type', '=', 'channel_account').where('subject_id', '=', String(id)).orderBy('id').execute();
    const patch = (id: number, body: unknown, as: Client = admin) => as.req('PATCH', `/api/channel-accounts/${id}`, body);
    const cursorOf = async (id: number) => JSON.parse((await row(id)).cursor ?? '{}') as { mentions?: { since?: string }; q?: string };

    beforeAll(async () => {
      server = await XContractServer.start();
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      const r = await admin.post('/api/channel-accounts', {
        network: 'x', handle: server.brand.username, externalId: server.brand.id, credentials: server.credentials(),
        settings: { apiBaseUrl: server.url, requestTimeoutMs: 5000, pollDirectMessages: false, keywords: ['rocket skates'] },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      xId = r.json.id;
    });
    afterAll(async () => {
      await desk?.stop();
      await server?.stop();
    });

    it('uses edited keywords at the next poll, keeps the mentions position, and stores nothing twice', async () => {
      const sync = desk.parley.services.sync;
      const fan = server.addUser({ username: 'wile' });
      const skates = await server.postMention('the rocket skates arrived broken', { author: fan });
      const anvil = await server.postMention('is the anvil back in stock?', { author: fan });
      const tagged = await server.postMention(`@${server.brand.username} where is my order?`);
      expect(await sync.runOnce()).toContain(xId);
      expect((await stored(skates)).map((m) => m.kind)).toEqual(['listening']);
      expect(await stored(tagged)).toHaveLength(1);
      expect(await stored(anvil)).toHaveLength(0); // not a keyword yet
      const before = await cursorOf(xId);
      expect(before.q).toContain('rocket skates');
      expect(before.mentions?.since).toBeTruthy();

      const r = await patch(xId, { settings: { keywords: 'anvil\nroadrunner, Anvil' } });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.settings.keywords).toEqual(['anvil', 'roadrunner']); // one list, trimmed, without repeats
      expect(r.json.settings.apiBaseUrl).toBe(server.url); // a merge: the other settings stay
      const edited = await row(xId);
      expect(edited.next_sync_at).toBeLessThanOrEqual(Date.now()); // polled at once, not after the interval
      expect((await cursorOf(xId)).mentions).toEqual(before.mentions); // the position is kept

      const later = await server.postMention('anvil fell on my foot', { author: fan });
      const oldTerm = await server.postMention('rocket skates again, same problem', { author: fan });
      // the next tick, with no syncSoon and no restart
      expect(await sync.runOnce()).toContain(xId);
      const after = await cursorOf(xId);
      expect(after.q).toContain('anvil');
      expect(after.q).not.toContain('rocket');
      expect(after.mentions?.since).toBe(before.mentions?.since); // no new mentions: the mentions position did not move back
      expect((await stored(anvil)).map((m) => m.kind)).toEqual(['listening']); // the new term's backfill
      expect((await stored(later)).map((m) => m.kind)).toEqual(['listening']);
      expect(await stored(oldTerm)).toHaveLength(0); // the old term is no longer listened to
      expect(await stored(skates)).toHaveLength(1);
      expect(await stored(tagged)).toHaveLength(1);
      // and the X search really ran with the new query only
      expect(server.requests.filter((q) => q.path === '/2/tweets/search/recent').length).toBeGreaterThanOrEqual(2);
    });

    it('audits the change with the settings before and after', async () => {
      const rows = await audits(xId);
      const e = rows.find((a) => a.action === 'channel.updated');
      expect(e, JSON.stringify(rows)).toBeTruthy();
      expect(e!.actor).toBe(`user:${desk.users.admin}`);
      const data = JSON.parse(e!.data);
      expect(data.changed).toEqual(['settings.keywords']);
      expect(data.before).toEqual({ settings: { keywords: ['rocket skates'] } });
      expect(data.after).toEqual({ settings: { keywords: ['anvil', 'roadrunner'] } });
      expect(rows.map((a) => a.action)[0]).toBe('channel.connected');
    });

    it('lets only admins edit', async () => {
      const before = await row(xId);
      const r = await patch(xId, { settings: { keywords: ['agents cannot'] } }, ana);
      expect(r.status).toBe(403);
      expect(r.json.code).toBe('forbidden');
      expect((await ana.get(`/api/channel-accounts/${xId}`)).status).toBe(403);
      const anon = await fetch(`${desk.url}/api/channel-accounts/${xId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'x' }) });
      expect(anon.status).toBe(401);
      expect(await row(xId)).toEqual(before);
    });

    it('refuses bad input with the reason and changes nothing', async () => {
      const before = await row(xId);
      const auditCount = (await audits(xId)).length;
      const cases: { body: unknown; path: string; message: RegExp }[] = [
        { body: { settings: { keyword: 'typo' } }, path: 'body/settings/keyword', message: /not a setting of x accounts.*keywords/ },
        { body: { settings: { pageSize: 500 } }, path: 'body/settings/pageSize', message: /10 to 100/ },
        { body: { settings: { keywords: 42 } }, path: 'body/settings/keywords', message: /./ },
        { body: { settings: { apiBaseUrl: 'ftp://nope' } }, path: 'body/settings/apiBaseUrl', message: /http\(s\) URL/ },
        { body: { credentials: { password: 'hunter22' } }, path: 'body/credentials/password', message: /not a credential of x accounts/ },
        { body: { calendar: { timeZone: 'Mars/Olympus', weekly: {} } }, path: 'body/calendar', message: /./ },
        { body: { handle: '@' }, path: 'body/handle', message: /handle is needed/ },
        // a good change next to a bad one: neither is made
        { body: { displayName: 'Renamed', settings: { keywords: ['fine'], pollIntervalS: 1 }, credentials: { accessSecret: 'replacement' } }, path: 'body/settings/pollIntervalS', message: /at least 5/ },
      ];
      for (const c of cases) {
        const r = await patch(xId, c.body);
        expect(r.status, JSON.stringify(c.body)).toBe(400);
        expect(r.json.code).toBe('validation');
        const hit = (r.json.errors as { path: string; message: string }[]).find((e) => e.path === c.path);
        expect(hit, JSON.stringify(r.json)).toBeTruthy();
        expect(hit!.message).toMatch(c.message);
      }
      // request-shape errors come from the same schema layer, also 400
      for (const body of [{ keywords: ['not top level'] }, { settings: 'keywords=anvil' }, { credentials: { apiKey: 7 } }]) {
        const r = await patch(xId, body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.json.code).toBe('validation');
      }
      expect(await row(xId)).toEqual(before);
      expect((await audits(xId)).length).toBe(auditCount);
      // connecting applies the very same check
      const c = await admin.post('/api/channel-accounts', { network: 'x', handle: 'Other', settings: { keyword: 'typo' } });
      expect(c.status).toBe(400);
      expect(c.json.errors).toEqual([{ path: 'body/settings/keyword', message: expect.stringMatching(/not a setting of x accounts/) }]);
      expect(await db().selectFrom('channel_account').select('id').where('handle', '=', 'Other').execute()).toHaveLength(0);
    });

    it('never returns credentials: a replaced one is used, the others kept, only names are shown and audited', async () => {
      const secret = `o2-${Math.random().toString(36).slice(2)}-SECRET`;
      const r = await patch(xId, { credentials: { oauth2AccessToken: secret } });
      expect(r.status).toBe(200);
      expect(r.json.credentialNames).toEqual(['accessSecret', 'accessToken', 'apiKey', 'apiSecret', 'oauth2AccessToken']);
      expect(r.json.hasCredentials).toBe(true);
      const sealed = desk.parley.services.secrets.open<Record<string, string>>((await row(xId)).credentials!);
      expect(sealed).toEqual({ ...server.credentials(), oauth2AccessToken: secret });
      expect((await row(xId)).credentials).not.toContain(secret);
      const refused = await patch(xId, { credentials: { apiSecret: `${secret}-2` }, settings: { nope: true } });
      expect(refused.status).toBe(400);
      const responses = [r, refused, await admin.get(`/api/channel-accounts/${xId}`), await admin.get('/api/channel-accounts'), await ana.get('/api/channel-accounts')];
      for (const res of responses) {
        expect(JSON.stringify(res.json)).not.toContain(secret);
        expect(JSON.stringify(res.json)).not.toContain(server.consumerSecret);
        expect(JSON.stringify(res.json)).not.toContain(server.accessSecret);
      }
      const all = JSON.stringify(await audits(xId));
      expect(all).not.toContain(secret);
      expect(all).not.toContain(server.consumerSecret);
      const e = (await audits(xId)).at(-1)!;
      expect(e.action).toBe('channel.reconnected');
      expect(JSON.parse(e.data).credentials).toEqual({ set: ['oauth2AccessToken'], removed: [] });

      const removed = await patch(xId, { credentials: { oauth2AccessToken: null } });
      expect(removed.json.credentialNames).not.toContain('oauth2AccessToken');
      // the account still works with what is left
      const hit = await server.postMention('anvil number three', { author: server.addUser({ username: 'coyote' }) });
      await desk.parley.services.sync.runOnce();
      expect(await stored(hit)).toHaveLength(1);
    });

    it('sends stored credentials to another server only when they are given again in the same change', async () => {
      const before = await row(xId);
      const refused = await patch(xId, { settings: { apiBaseUrl: 'http://127.0.0.1:9/collect' } });
      expect(refused.status).toBe(400);
      expect(refused.json.errors).toEqual([{ path: 'body/settings/apiBaseUrl', message: expect.stringMatching(/give the credentials again/) }]);
      expect(await row(xId)).toEqual(before);
      // with them (and back to the real server), it goes through
      const moved = await patch(xId, { settings: { apiBaseUrl: `${server.url}/` }, credentials: server.credentials() });
      expect(moved.status, JSON.stringify(moved.json)).toBe(200);
      expect((await patch(xId, { settings: { apiBaseUrl: server.url }, credentials: server.credentials() })).status).toBe(200);
      // other settings still change on their own
      expect((await patch(xId, { settings: { requestTimeoutMs: 4000 } })).status).toBe(200);
    });

    it('sends the replies that waited out an outage as soon as an admin reconnects the account', async () => {
      const conv = (await admin.post('/api/ingest/messages', { channelAccountId: xId, messages: [mention({ text: `@${server.brand.username} where is my refund?`, networkMessageId: `rc-${Date.now()}` })] })).json.outcomes[0].conversationId;
      const r = await admin.post(`/api/conversations/${conv}/replies`, { text: 'Sorry for the wait: the refund left us on Monday and shows within 3 working days.', visibility: 'public' });
      expect(r.status, JSON.stringify(r.json)).toBe(202);
      // its last try failed on refused credentials: the back-off holds it for minutes
      const later = Date.now() + 5 * 60_000;
      await db().updateTable('outbox').set({ next_attempt_at: later, attempts: 1, last_error: 'AUTH_REVOKED' }).where('message_id', '=', r.json.message.id).execute();
      const before = Date.now();
      expect((await patch(xId, { credentials: { accessToken: server.credentials().accessToken } })).status).toBe(200);
      const row = await db().selectFrom('outbox').select(['status', 'next_attempt_at']).where('message_id', '=', r.json.message.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('queued');
      expect(Number(row.next_attempt_at)).toBeLessThan(later);
      expect(Number(row.next_attempt_at)).toBeGreaterThanOrEqual(before - 1000);
    });

    it('hands a new handle to the connector at the next poll (X leaves the account\'s own posts out of listening by it)', async () => {
      expect((await cursorOf(xId)).q).toContain(`-from:${server.brand.username}`);
      expect((await patch(xId, { handle: '@AcmeCareHQ' })).json.handle).toBe('AcmeCareHQ');
      await desk.parley.services.sync.runOnce();
      expect((await cursorOf(xId)).q).toContain('-from:AcmeCareHQ');
      expect((await patch(xId, { handle: server.brand.username })).status).toBe(200);
    });

    it('edits the handle and display name; a setting that points elsewhere restarts sync, the others keep its position', async () => {
      const m = await admin.post('/api/channel-accounts', { network: 'mastodon', handle: 'acme', driver: 'demo', settings: { instanceUrl: 'https://one.example', hashtags: '#acme, #AcmeHelp' } });
      expect(m.status, JSON.stringify(m.json)).toBe(201);
      expect(m.json.settings.hashtags).toEqual(['acme', 'AcmeHelp']);
      const id = m.json.id;
      // Mastodon needs its server: connect and edit refuse to lose it
      expect((await admin.post('/api/channel-accounts', { network: 'mastodon', handle: 'nohost', driver: 'demo' })).json.errors[0]).toMatchObject({ path: 'body/settings', message: expect.stringMatching(/instanceUrl/) });
      expect((await patch(id, { settings: { instanceUrl: null } })).status).toBe(400);

      await db().updateTable('channel_account').set({ cursor: '{"v":1,"n":"109","t":{},"k":{}}' }).where('id', '=', id).execute();
      const r = await patch(id, { handle: '@AcmeHelp', displayName: 'Acme Help', settings: { keywords: ['parcel'] } });
      expect(r.json).toMatchObject({ handle: 'AcmeHelp', displayName: 'Acme Help', settings: { instanceUrl: 'https://one.example', hashtags: ['acme', 'AcmeHelp'], keywords: ['parcel'] } });
      expect((await row(id)).cursor).toBe('{"v":1,"n":"109","t":{},"k":{}}');
      const e = (await audits(id)).at(-1)!;
      expect(JSON.parse(e.data)).toMatchObject({ before: { handle: 'acme', displayName: null, settings: { keywords: null } }, after: { handle: 'AcmeHelp', displayName: 'Acme Help', settings: { keywords: ['parcel'] } } });

      const moved = await patch(id, { settings: { instanceUrl: 'https://two.example' } });
      expect(moved.status).toBe(200);
      expect((await row(id)).cursor).toBeNull(); // ids of one.example mean nothing on two.example
      expect(JSON.parse((await audits(id)).at(-1)!.data).syncRestarted).toEqual(['instanceUrl']);

      // a setting stored before these checks does not block an unrelated edit, and is kept; naming it is refused
      await db().updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse((await row(id)).settings), legacyThing: 1 }) }).where('id', '=', id).execute();
      const kept = await patch(id, { settings: { keywords: ['parcel', 'refund'] } });
      expect(kept.status, JSON.stringify(kept.json)).toBe(200);
      expect(kept.json.settings).toMatchObject({ legacyThing: 1, keywords: ['parcel', 'refund'] });
      expect((await patch(id, { settings: { legacyThing: 2 } })).json.errors).toEqual([{ path: 'body/settings/legacyThing', message: expect.stringMatching(/not a setting of mastodon accounts/) }]);
      expect((await patch(id, { settings: { legacyThing: null } })).json.settings.legacyThing).toBeUndefined();

      // nothing to change: no write, no audit row
      const n = (await audits(id)).length;
      expect((await patch(id, { displayName: 'Acme Help', settings: { keywords: ['parcel', 'refund'] } })).status).toBe(200);
      expect((await audits(id)).length).toBe(n);
    });

    it('a sync run that overlaps an edit leaves the position alone and runs again at once with the new settings', async () => {
      const seen: { keywords: unknown; cursor: string | null }[] = [];
      const gate: { open: (() => void) | null } = { open: null };
      desk.parley.services.registry.register('slow-x', (account) => ({
        network: account.network, capabilities: caps,
        async sync(cursor): Promise<SyncResult> {
          seen.push({ keywords: account.settings.keywords, cursor });
          if (seen.length === 1) await new Promise<void>((resolve) => (gate.open = resolve));
          const msg: NormalizedMessage = mention({ kind: 'listening', text: `heard ${seen.length}` });
          return { messages: [msg], cursor: `pos-${String(account.settings.keywords)}-${seen.length}` };
        },
        async sendPublicReply() {
          return { networkMessageId: 'never' };
        },
      }) satisfies Channel);
      const c = await admin.post('/api/channel-accounts', { network: 'x', handle: 'SlowX', driver: 'slow-x', settings: { keywords: ['old'] } });
      const id = c.json.id;
      await db().updateTable('channel_account').set({ cursor: 'start' }).where('id', '=', id).execute();
      const sync = desk.parley.services.sync;
      const run = sync.runOnce();
      while (!gate.open) await new Promise((r) => setTimeout(r, 10));
      expect((await patch(id, { settings: { keywords: ['new'] } })).status).toBe(200);
      gate.open();
      await run;
      const mid = await row(id);
      expect(mid.cursor).toBe('start'); // the old run's position was not written over the edit
      expect(mid.next_sync_at).toBeLessThanOrEqual(Date.now());
      expect(await sync.runOnce()).toContain(id);
      expect(seen.map((s) => s.keywords)).toEqual([['old'], ['new']]);
      expect(seen[1]!.cursor).toBe('start');
      expect((await row(id)).cursor).toBe('pos-new-2');
      // what the overlapping run fetched was stored, once
      const texts = (await db().selectFrom('message').select('text').where('channel_account_id', '=', id).execute()).map((m) => m.text).sort();
      expect(texts).toEqual(['heard 1', 'heard 2']);
    });

    it('reopens a live stream with the new settings and closes it when the account is disabled', async () => {
      const streams: { keywords: unknown; signal: AbortSignal }[] = [];
      desk.parley.services.registry.register('live-x', (account) => ({
        network: account.network, capabilities: caps,
        stream(_emit, signal) {
          streams.push({ keywords: account.settings.keywords, signal });
          return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        },
        async sendPublicReply() {
          return { networkMessageId: 'never' };
        },
      }) satisfies Channel);
      const c = await admin.post('/api/channel-accounts', { network: 'x', handle: 'LiveX', driver: 'live-x', settings: { keywords: ['first'] } });
      const id = c.json.id;
      const sync = desk.parley.services.sync;
      await sync.runOnce();
      expect(streams.map((s) => s.keywords)).toEqual([['first']]);
      await sync.runOnce(); // not due again yet; and the stream is current: no second connection
      expect(streams).toHaveLength(1);
      await patch(id, { settings: { keywords: ['second'] } });
      await sync.runOnce();
      expect(streams.map((s) => s.keywords)).toEqual([['first'], ['second']]);
      expect(streams[0]!.signal.aborted).toBe(true);
      expect(streams[1]!.signal.aborted).toBe(false);
      await patch(id, { enabled: false });
      await sync.runOnce();
      expect(streams[1]!.signal.aborted).toBe(true);
      expect(streams).toHaveLength(2);
    });
  });
}
