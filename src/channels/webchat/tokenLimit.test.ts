/**
 * The refused-token limit of web chat, on a real Parley server (SQLite and PostgreSQL): tokens
 * the server did not issue are limited per address, and that limit never falls on the visitors
 * who share the address (an office NAT, a carrier's CGNAT) — every request in these tests comes
 * from 127.0.0.1, so the "neighbour" and the visitor are behind one address.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDesk, type TestDesk } from '../../../test/helpers/parley.js';
import { webchatClient } from '../../../test/helpers/webchat.js';
import { DIALECTS } from '../../../test/db.js';

const ORIGIN = 'https://shop.acme.test';
const madeUpToken = () => randomBytes(32).toString('base64url');
const newClientId = () => randomBytes(12).toString('hex');

for (const dialect of DIALECTS) {
  describe(`webchat refused-token limit (${dialect})`, () => {
    let desk: TestDesk;
    let accountId: number;
    /** A visitor who started a chat before the neighbour began guessing. */
    let early: { token: string; visitorId: string };

    const wc = webchatClient(() => desk.url, ORIGIN);
    const session = async () => {
      const r = await wc(`/webchat/${accountId}/sessions`, { method: 'POST', body: {} });
      expect(r.status).toBe(201);
      return r.json as { token: string; visitorId: string };
    };
    const say = (token: string, text: string) => wc(`/webchat/${accountId}/messages`, { method: 'POST', token, body: { text, clientMessageId: newClientId() } });
    const read = (token: string) => wc(`/webchat/${accountId}/messages`, { token });

    beforeAll(async () => {
      desk = await startDesk(dialect);
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      const a = await admin.post('/api/channel-accounts', { network: 'webchat', handle: 'Acme chat', externalId: 'acme-site', settings: { allowedOrigins: [ORIGIN] } });
      expect(a.status).toBe(201);
      accountId = a.json.id;
      early = await session();
    }, 120_000);
    afterAll(async () => {
      await desk?.stop();
    });

    it('still limits a client guessing tokens: 401 at first, then 429 with Retry-After, for reads and posts', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await read(madeUpToken())).status);
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
      expect(statuses.slice(20)).toEqual(Array(5).fill(429));
      const post = await say(madeUpToken(), 'let me in');
      expect(post.status).toBe(429);
      expect(post.json).toMatchObject({ code: 'webchat.rate_limited' });
      expect(Number(post.headers.get('retry-after'))).toBeGreaterThan(0);
      const get = await read(madeUpToken());
      expect(get.status).toBe(429);
      expect(Number(get.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('serves a visitor on the same address while the neighbour guessing there is limited', async () => {
      // the address is over the limit (the test above); a visitor who started earlier, and one who starts now
      expect((await read(madeUpToken())).status).toBe(429);
      const before = await read(early.token);
      expect(before.status).toBe(200);
      expect(before.json.visitorId).toBe(early.visitorId);
      expect((await say(early.token, 'Hello again')).status).toBe(202);
      const a = await session();
      const sent = await say(a.token, 'Hi, where is my parcel?');
      expect(sent.status).toBe(202);
      const seen = await read(a.token);
      expect(seen.status).toBe(200);
      expect(seen.json.messages.map((m: { text: string }) => m.text)).toEqual(['Hi, where is my parcel?']);
      // more made-up tokens, posted this time, beyond the address's 60 messages a minute: refused,
      // and none of them counts against the messages of the visitors there
      for (let i = 0; i < 65; i++) expect((await say(madeUpToken(), `guess ${i}`)).status).toBe(429);
      const b = await session();
      expect((await say(b.token, 'Hello, a question about my order')).status).toBe(202);
      expect((await say(a.token, 'Still there?')).status).toBe(202);
      expect((await read(a.token)).json.messages).toHaveLength(2);
      // a valid token served at that address does not lift the limit for the guesses around it
      const miss = await read(madeUpToken());
      expect(miss.status).toBe(429);
      expect(Number(miss.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
}
