/**
 * A NUL (U+0000) behaves the same on SQLite and PostgreSQL. PostgreSQL's text cannot hold one,
 * SQLite's can: staff-written text (a name, title, note, filter, path value) with a NUL is refused
 * with 400 `request.nul_character` before the command runs, on both, and nothing is written. A
 * network's or a customer's message (the ingest API, a webhook, the web chat visitor API) with a
 * NUL is accepted and kept as it came, the same on both (../src/store/text.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeText } from '../src/store/text.js';
import { XContractServer } from './contract-servers/x.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

/** What each dialect answered, compared once both have run. */
const seen: Record<string, Record<string, unknown>> = {};

/** Requests carrying staff-written text with a NUL (as JSON text: `\u0000` escapes). */
const STAFF: { what: string; method: string; path: (d: Seeded) => string; body?: string }[] = [
  { what: 'a team name', method: 'POST', path: () => '/api/teams', body: '{"name":"Care\\u0000team"}' },
  { what: 'a snippet title', method: 'POST', path: () => '/api/snippets', body: '{"shortcut":"nul","title":"Re\\u0000fund","body":"We refund"}' },
  { what: 'an incident title', method: 'POST', path: () => '/api/incidents', body: '{"title":"Out\\u0000age","reason":"sweep"}' },
  { what: 'an internal note', method: 'POST', path: (d) => `/api/conversations/${d.conversation}/notes`, body: '{"text":"see \\u0000 here"}' },
  { what: 'a NUL deeper in the body (a list item)', method: 'POST', path: () => '/api/teams', body: '{"name":"Care two","members":[],"zz":["ok","\\u0000"]}' },
  { what: 'a NUL in an object key', method: 'POST', path: () => '/api/teams', body: '{"name":"Care three","\\u0000":1}' },
  { what: 'a NUL in the querystring (a search)', method: 'GET', path: () => '/api/search?q=parcel%00lost' },
  { what: 'a NUL in the querystring (the inbox filter)', method: 'GET', path: () => '/api/conversations?q=a%00b' },
  { what: 'a NUL in a path parameter', method: 'GET', path: () => '/api/reports/volume%00' },
];

interface Seeded { conversation: number }

for (const dialect of DIALECTS) {
  describe(`NUL in requests [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let x: XContractServer;
    let seeded: Seeded;
    const out: Record<string, unknown> = (seen[dialect] = {});

    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false, config: { trustProxy: 1 } });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const res = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare my parcel is lost' })] });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      seeded = { conversation: res.json.outcomes[0].conversationId };
      x = await XContractServer.start();
    }, 60_000);
    afterAll(async () => {
      await desk?.stop();
      await x?.stop();
    });

    const rows = async () => {
      const db = desk.db.store.db;
      const n = async (t: 'team' | 'snippet' | 'incident' | 'message' | 'audit_event') => Number((await db.selectFrom(t).select((e) => e.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
      return { team: await n('team'), snippet: await n('snippet'), incident: await n('incident'), message: await n('message'), audit: await n('audit_event') };
    };

    it('refuses staff text with a NUL (body, querystring, path) with 400 request.nul_character, writing nothing', async () => {
      for (const r of STAFF) {
        const before = await rows();
        const res = await admin.req(r.method, r.path(seeded), r.body);
        expect(res.headers.get('content-type'), r.what).toMatch(/^application\/problem\+json/);
        expect({ what: r.what, status: res.status, code: res.json.code }).toEqual({ what: r.what, status: 400, code: 'request.nul_character' });
        expect(await rows(), r.what).toEqual(before);
        out[`staff: ${r.what}`] = [res.status, res.json.code];
      }
    });

    it('reads an escaped backslash before `u0000` as text, not a NUL: the name is kept as written', async () => {
      const res = await admin.req('POST', '/api/teams', '{"name":"Back\\\\u0000slash"}');
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      const team = await desk.db.store.db.selectFrom('team').select('name').where('id', '=', res.json.id).executeTakeFirstOrThrow();
      expect(team.name).toBe('Back\\u0000slash');
      out['escaped backslash'] = team.name;
    });

    const stored = async (where: { network: string; networkMessageId?: string; textLike?: string }) => {
      let q = desk.db.store.db.selectFrom('message').leftJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
        .select(['message.id', 'message.conversation_id', 'message.text', 'message.text_escaped', 'contact_identity.display_name']).where('message.network', '=', where.network);
      if (where.networkMessageId) q = q.where('message.network_message_id', '=', where.networkMessageId);
      if (where.textLike) q = q.where('message.text', 'like', where.textLike);
      const m = await q.executeTakeFirstOrThrow();
      const detail = await admin.get(`/api/conversations/${m.conversation_id}`);
      expect(detail.status, JSON.stringify(detail.json)).toBe(200);
      const shown = (detail.json.messages as { id: number; text: string }[]).find((v) => v.id === Number(m.id));
      return { text: decodeText(m.text, m.text_escaped), searchable: m.text, displayName: m.display_name, shown: shown?.text };
    };

    it('accepts message text with a NUL from the ingest API and keeps it as it came', async () => {
      const msg = mention({ text: '@AcmeCare order\u0000 1234 lost', author: { networkUserId: 'nul-author', handle: 'nulcustomer', displayName: 'Nul\u0000Name', followers: 1 } });
      const res = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [msg] });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json.outcomes[0].status).toBe('stored');
      const m = await stored({ network: 'x', networkMessageId: msg.networkMessageId });
      expect(m.text).toBe('@AcmeCare order\u0000 1234 lost');
      expect(m.shown).toBe('@AcmeCare order\u0000 1234 lost');
      out.ingest = m;
    });

    it('accepts message text with a NUL from a network\'s webhook (X, signed) and keeps it as it came', async () => {
      const acct = await admin.post('/api/channel-accounts', { network: 'x', handle: x.brand.username, externalId: x.brand.id, credentials: x.credentials(), settings: { apiBaseUrl: x.url } });
      expect(acct.status, JSON.stringify(acct.json)).toBe(201);
      x.webhookUrl = `${desk.url}/api/webhooks/x/${acct.json.id}`;
      const author = x.addUser({ username: 'nulfan', name: 'Nul\u0000Fan' });
      const id = await x.postMention(`@${x.brand.username} where\u0000is my refund`, { author });
      expect(x.delivered.at(-1)?.status).toBe(200);
      await desk.parley.services.queue.idle();
      const m = await stored({ network: 'x', networkMessageId: id });
      expect(m.text).toBe(`@${x.brand.username} where\u0000is my refund`);
      expect(m.shown).toBe(m.text);
      out.webhook = m;
    });

    it('accepts a web chat visitor\'s message with a NUL and keeps it as it came', async () => {
      const chat = await admin.post('/api/channel-accounts', { network: 'webchat', handle: 'Acme chat', externalId: 'acme-nul-chat', settings: { allowedOrigins: [] } });
      expect(chat.status, JSON.stringify(chat.json)).toBe(201);
      const session = await fetch(`${desk.url}/webchat/${chat.json.id}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.7.0.1' }, body: '{}' });
      const { token } = (await session.json()) as { token: string };
      const sent = await fetch(`${desk.url}/webchat/${chat.json.id}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-forwarded-for': '10.7.0.1' }, body: '{"text":"hello\\u0000 anyone there?","clientMessageId":"nul-msg-0001"}' });
      expect(sent.status, await sent.clone().text()).toBe(202);
      await desk.parley.services.queue.idle();
      const m = await stored({ network: 'webchat', textLike: 'hello%anyone there?' });
      expect(m.text).toBe('hello\u0000 anyone there?');
      expect(m.shown).toBe(m.text);
      out.webchat = { text: m.text, searchable: m.searchable, shown: m.shown };
    });
  });
}

describe('NUL in requests: the same on both databases', () => {
  it('answered and stored the same on SQLite and PostgreSQL', () => {
    expect(Object.keys(seen.sqlite ?? {}).length).toBeGreaterThan(10);
    expect(seen.postgres).toEqual(seen.sqlite);
  });
});
