/**
 * Listening exclusions through the API, on SQLite and PostgreSQL: an admin sets an account's
 * `excludeKeywords` on connect or edit (refused with the reason, per term, like the keywords;
 * nothing changed then), the change is audited, and the next poll of an X account against
 * XContractServer leaves out a post with an excluded word while a mention with the same word is
 * stored. An account stored without the field listens as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XContractServer } from './contract-servers/x.js';
import { DIALECTS } from './db.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`listening exclusions through the API [${dialect}]`, () => {
    let desk: TestDesk;
    let server: XContractServer;
    let admin: Client;
    let xId: number;

    const db = () => desk.db.store.db;
    const row = (id: number) => db().selectFrom('channel_account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const stored = async (networkMessageId: string) => db().selectFrom('message').select(['kind']).where('network_message_id', '=', networkMessageId).execute();
    const patch = (id: number, body: unknown) => admin.req('PATCH', `/api/channel-accounts/${id}`, body);

    beforeAll(async () => {
      server = await XContractServer.start();
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const r = await admin.post('/api/channel-accounts', {
        network: 'x', handle: server.brand.username, externalId: server.brand.id, credentials: server.credentials(),
        settings: { apiBaseUrl: server.url, requestTimeoutMs: 5000, pollDirectMessages: false, keywords: ['apple'] },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      xId = r.json.id;
    });
    afterAll(async () => {
      await desk?.stop();
      await server?.stop();
    });

    it('refuses bad exclusions with the reason per term, and changes nothing', async () => {
      const before = await row(xId);
      const r = await patch(xId, { settings: { excludeKeywords: ['pie', 'juic*', '!!', 'pie -tart'] } });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('validation');
      expect(r.json.errors).toEqual(
        expect.arrayContaining([
          { path: 'body/settings/excludeKeywords/1', message: expect.stringContaining('looks like a pattern') },
          { path: 'body/settings/excludeKeywords/2', message: expect.stringContaining('no letter or digit') },
          { path: 'body/settings/excludeKeywords/3', message: expect.stringContaining('one exclusion per line') },
        ]),
      );
      // a keyword written as an exclusion points to the exclusions
      const k = await patch(xId, { settings: { keywords: ['apple', '-pie'] } });
      expect(k.status).toBe(400);
      expect(k.json.errors).toEqual([{ path: 'body/settings/keywords/1', message: expect.stringContaining('exclusion keywords') }]);
      // too long for X's query together with the keywords
      const long = await patch(xId, { settings: { excludeKeywords: Array.from({ length: 25 }, (_, i) => `a rather long unrelated phrase ${i}`) } });
      expect(long.status).toBe(400);
      expect(long.json.errors).toEqual([{ path: 'body/settings', message: expect.stringMatching(/^excludeKeywords: .*512/) }]);
      expect((await row(xId)).settings).toBe(before.settings);
      // another network's account reads no exclusions
      const fb = await admin.post('/api/channel-accounts', { network: 'facebook', handle: 'applepage', driver: 'demo', settings: { excludeKeywords: ['pie'] } });
      expect(fb.status).toBe(400);
      expect(fb.json.errors[0]).toMatchObject({ path: 'body/settings/excludeKeywords', message: expect.stringMatching(/not a setting of facebook accounts/) });
    });

    it('stores what the admin typed as a list, audits it, and the next poll leaves excluded posts out but keeps a mention with the same word', async () => {
      const sync = desk.parley.services.sync;
      expect(await sync.runOnce()).toContain(xId);
      const r = await patch(xId, { settings: { excludeKeywords: '-pie\n-"apple juice"' } });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.settings.excludeKeywords).toEqual(['pie', 'apple juice']);
      const audit = await db().selectFrom('audit_event').selectAll().where('subject_type', '=', 'channel_account').where('subject_id', '=', String(xId)).where('action', '=', 'channel.updated').execute();
      expect(audit.map((a) => JSON.parse(a.data).changed)).toContainEqual(['settings.excludeKeywords']);

      const fan = server.addUser({ username: 'granny' });
      const phone = await server.postMention('new apple phone is great', { author: fan });
      const pie = await server.postMention('apple pie for dinner', { author: fan });
      const juice = await server.postMention('Apple Juice is the best', { author: fan });
      const tagged = await server.postMention(`@${server.brand.username} the apple pie promo code fails`, { author: fan });
      expect(await sync.runOnce()).toContain(xId);
      expect((await stored(phone)).map((m) => m.kind)).toEqual(['listening']);
      expect(await stored(pie)).toEqual([]);
      expect(await stored(juice)).toEqual([]);
      expect((await stored(tagged)).map((m) => m.kind)).toEqual(['mention']);
      const q = JSON.parse((await row(xId)).cursor ?? '{}').q as string;
      expect(q).toContain('-pie -"apple juice"');

      // cleared: listening takes them in again
      expect((await patch(xId, { settings: { excludeKeywords: null } })).status).toBe(200);
      const again = await server.postMention('apple pie season', { author: fan });
      expect(await sync.runOnce()).toContain(xId);
      expect((await stored(again)).map((m) => m.kind)).toEqual(['listening']);
    });
  });
}
