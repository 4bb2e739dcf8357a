/**
 * X listening on a running desk, on SQLite and PostgreSQL, against XContractServer: a post
 * found by the mentions timeline and by keyword search, or by two keywords, is stored once
 * (as the mention when it tags us); an untagged hit is stored as `listening`, shown so in
 * the API and not acknowledged; the brand's own posts are not listening hits; the next poll
 * re-ingests nothing and misses nothing posted in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XContractServer } from './contract-servers/x.js';
import { DIALECTS } from './db.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`X listening dedupe [${dialect}]`, () => {
    let desk: TestDesk;
    let server: XContractServer;
    let admin: Client;
    let xId: number;
    const db = () => desk.db.store.db;
    const stored = (id: string) => db().selectFrom('message').select(['id', 'kind', 'conversation_id', 'triage_action', 'is_auto']).where('network_message_id', '=', id).execute();

    beforeAll(async () => {
      server = await XContractServer.start();
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const r = await admin.post('/api/channel-accounts', {
        network: 'x', handle: server.brand.username, externalId: server.brand.id, credentials: server.credentials(),
        settings: { apiBaseUrl: server.url, requestTimeoutMs: 5000, pollDirectMessages: false, keywords: ['rocket skates', 'anvil', 'Acme'] },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      xId = r.json.id;
    });
    afterAll(async () => {
      await desk?.stop();
      await server?.stop();
    });

    it('stores each post once, a tagged one as the mention, an untagged one as listening, never the brand\'s own', async () => {
      const sync = desk.parley.services.sync;
      const fan = server.addUser({ username: 'wile' });
      const tagged = await server.postMention(`@${server.brand.username} my rocket skates and the anvil both broke`, { author: fan });
      const untagged = await server.postMention('the anvil from acme fell on my rocket skates', { author: server.addUser({ username: 'coyote' }) });
      const own = await server.postMention('Acme anvils are back in stock', { author: server.brand });
      expect(await sync.runOnce()).toContain(xId);

      expect((await stored(tagged)).map((m) => m.kind)).toEqual(['mention']);
      const u = await stored(untagged);
      expect(u.map((m) => m.kind)).toEqual(['listening']);
      expect((await stored(own)).filter((m) => m.kind === 'listening')).toEqual([]);

      // the API says what it is; nothing was sent to the untagged author
      const detail = await admin.get(`/api/conversations/${u[0]!.conversation_id}`);
      expect(detail.status).toBe(200);
      expect(detail.json.messages.map((m: { kind: string }) => m.kind)).toEqual(['listening']);
      expect(detail.json.messages.filter((m: { direction: string }) => m.direction === 'outbound')).toEqual([]);

      // the next poll: what was posted in between, once; nothing again
      const between = await server.postMention('ACME rocket skates, never again', { author: fan });
      for (let i = 0; i < 2; i++) {
        await sync.syncSoon(xId);
        expect(await sync.runOnce()).toContain(xId);
      }
      expect((await stored(between)).map((m) => m.kind)).toEqual(['listening']);
      for (const id of [tagged, untagged, between]) expect(await stored(id)).toHaveLength(1);
    });
  });
}
