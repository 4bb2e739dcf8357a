/**
 * More posts a network keeps but hides, on Mastodon, and marks that outlive the check's window.
 *
 *  - An author limited (silenced) by the brand's instance — by a moderator, or with their whole
 *    server by a `silence` domain block — is still readable through the API (the status's Account
 *    entity says `limited: true`), but hidden from the instance's public timelines and from
 *    non-followers: marked `author_limited` / `server_limited`, unmarked when the limit is lifted.
 *    The brand's own block or mute of an author is not the network hiding anything: not marked.
 *  - A post marked hidden in an open conversation is asked again each round whatever its age (a
 *    few a round, the least recently asked first), so a post shown again after the 7-day window
 *    loses its mark; the recent posts are still asked every round.
 *
 * Through the real sync worker, ingest pipeline and database (SQLite and PostgreSQL), the real
 * masto client and the Mastodon contract server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MastodonChannel } from '../src/channels/mastodon/index.js';
import type { ChannelSyncWorker } from '../src/channels/sync.js';
import { systemClock } from '../src/lib/clock.js';
import type { Store } from '../src/store/db.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';
import { mastodonBrand } from './helpers/mastodonSync.js';

const DAY = 86_400_000;

describeEachStore('posts hidden by the network: Mastodon limits, and old marks', (get) => {
  let server: MastodonContractServer;
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function setup(store: Store, slug: string, goneCheck: { everyMs?: number; max?: number }) {
    const { brand, brandId, accountId, worker } = await mastodonBrand(store, server, { slug });
    const workers: ChannelSyncWorker[] = [];
    const w = worker({ clock: systemClock, goneCheck });
    workers.push(w);
    const run = async () => {
      // only this account is due (the other tests' accounts share the database)
      await store.db.updateTable('channel_account').set({ next_sync_at: 8.64e15 }).where('id', '!=', accountId).execute();
      await store.db.updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', accountId).execute();
      expect(await w.runOnce()).toEqual([accountId]);
    };
    const post = async (token: string, status: string, visibility = 'public') => {
      const res = await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status, visibility }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }).id;
    };
    const row = (id: string) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', accountId).where('network_message_id', '=', id).executeTakeFirstOrThrow();
    /** Status ids read with the brand's token since request number `from`. */
    const reads = (from: number) =>
      server.requests.slice(from).filter((r) => r.method === 'GET' && /^\/api\/v1\/statuses\/\d+$/.test(r.path) && !!r.headers.authorization).map((r) => r.path.split('/').pop()!);
    const act = async (what: 'block' | 'mute', accountIdOnServer: string) =>
      expect((await fetch(`${server.url}/api/v1/accounts/${accountIdOnServer}/${what}`, { method: 'POST', headers: { authorization: `Bearer ${brand.token}` } })).status).toBe(200);
    const channel = new MastodonChannel({ id: accountId, brandId, network: 'mastodon', handle: brand.acct, externalId: brand.id, settings: { instanceUrl: server.url, timeoutMs: 5000 }, credentials: { accessToken: brand.token } }, { fetch: globalThis.fetch, now: () => Date.now() });
    const stopAll = async () => {
      for (const x of workers) await x.stop();
    };
    return { brand, brandId, accountId, run, post, row, reads, act, channel, stopAll };
  }

  it('an author limited by the brand\'s instance, alone or with their whole server, is marked hidden (author_limited, server_limited) until the limit is lifted; the brand\'s own block or mute is not the network hiding the post', async () => {
    const { store } = get();
    const s = await setup(store, 'mlim', { everyMs: 0 });
    const lia = server.createAccount({ username: 'mlimlia', domain: 'elsewhere.test' }); // limited by a moderator of the brand's instance
    const loc = server.createAccount({ username: 'mlimloc' }); // a local account, limited
    const sil = server.createAccount({ username: 'mlimsil', domain: 'quiet.example.test' }); // her server is limited (a subdomain of the block)
    const bea = server.createAccount({ username: 'mlimbea' }); // the brand blocks her
    const max = server.createAccount({ username: 'mlimmax', domain: 'elsewhere.test' }); // the brand mutes him
    const pia = server.createAccount({ username: 'mlimpia' });
    try {
      const limited = await s.post(lia.token, `@${s.brand.acct} lia asks about her parcel`);
      const local = await s.post(loc.token, `@${s.brand.acct} loc asks too`);
      const silenced = await s.post(sil.token, `@${s.brand.acct} sil asks from a limited server`);
      const blocked = await s.post(bea.token, `@${s.brand.acct} bea is rude`);
      const muted = await s.post(max.token, `@${s.brand.acct} max is noisy`);
      const plain = await s.post(pia.token, `@${s.brand.acct} pia just asks`);
      const all = [limited, local, silenced, blocked, muted, plain];
      await s.run();
      for (const id of all) expect(await s.row(id)).toMatchObject({ redacted_at: null, network_hidden_reason: null });

      server.limitAccount(lia.id);
      server.limitAccount(loc.id);
      server.blockDomain('example.test', { severity: 'silence', obfuscate: true }); // listed obfuscated: matched by digest
      await s.act('block', bea.id);
      await s.act('mute', max.id);
      await s.run();
      for (const id of all) expect(await s.row(id)).toMatchObject({ redacted_at: null });
      expect(await s.row(limited)).toMatchObject({ network_hidden_reason: 'author_limited', network_hidden_at: expect.any(Number) });
      expect(await s.row(local)).toMatchObject({ network_hidden_reason: 'author_limited' });
      expect(await s.row(silenced)).toMatchObject({ network_hidden_reason: 'server_limited' });
      // the post is still public for everyone but the brand: not hidden by the network
      for (const id of [blocked, muted, plain]) expect(await s.row(id)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      const audited = await store.db.selectFrom('audit_event').select(['subject_id', 'data']).where('brand_id', '=', s.brandId).where('action', '=', 'message.network_hidden').execute();
      expect(audited.map((a) => [a.subject_id, JSON.parse(String(a.data)).reason]).sort()).toEqual([
        [String((await s.row(limited)).id), 'author_limited'],
        [String((await s.row(local)).id), 'author_limited'],
        [String((await s.row(silenced)).id), 'server_limited'],
      ].sort());

      // an instance that shows its domain blocks to no one: the author's limit is what is known
      server.domainBlocksShown = false;
      try {
        expect(await s.channel.presenceOf([silenced, plain])).toEqual({ gone: [], hidden: new Map([[silenced, 'author_limited']]), shown: [plain] });
      } finally {
        server.domainBlocksShown = true;
      }

      // the limits are lifted (a moderator's, and the domain block with the limits it made): shown again
      server.unlimitAccount(lia.id);
      server.unblockDomain('example.test');
      await s.run();
      expect(await s.row(limited)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      expect(await s.row(silenced)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      expect(await s.row(local)).toMatchObject({ network_hidden_reason: 'author_limited' });
    } finally {
      await s.stopAll();
    }
  }, 60_000);

  it('a mark older than the check\'s window is asked again, a few a round, the least recently asked first, beside the recent posts: shown again, it is unmarked; in a resolved conversation it is left alone', async () => {
    const { store } = get();
    // max 8: two old marks a round, six recent posts
    const s = await setup(store, 'mold', { everyMs: 0, max: 8 });
    const ann = server.createAccount({ username: 'moldann', domain: 'elsewhere.test' }); // suspended by a moderator, later lifted
    const ben = server.createAccount({ username: 'moldben', domain: 'elsewhere.test' }); // suspended; his conversation gets resolved
    const cal = server.createAccount({ username: 'moldcal' });
    try {
      let old = [await s.post(ann.token, `@${s.brand.acct} ann 1`), await s.post(ann.token, `@${s.brand.acct} ann 2`), await s.post(ann.token, `@${s.brand.acct} ann 3`)];
      const resolvedOld = await s.post(ben.token, `@${s.brand.acct} ben asks once`);
      const recent = await s.post(cal.token, `@${s.brand.acct} cal asks now`);
      await s.run();
      // marks never asked go in the order of the desk's message ids (their times are made equal
      // below); two posts of the same millisecond may be stored in either order
      const stored = new Map(await Promise.all(old.map(async (id) => [id, Number((await s.row(id)).id)] as const)));
      old = [...old].sort((a, b) => stored.get(a)! - stored.get(b)!);
      server.suspendAccount(ann.id);
      server.suspendAccount(ben.id);
      await s.run();
      for (const id of [...old, resolvedOld]) expect(await s.row(id)).toMatchObject({ network_hidden_reason: 'author_suspended' });
      expect((await s.row(resolvedOld)).conversation_id).not.toBe((await s.row(old[0]!)).conversation_id);

      // time passes: these marked posts are now older than the 7-day window; ben's conversation is resolved
      const eightDaysAgo = Date.now() - 8 * DAY;
      for (const id of [...old, resolvedOld]) await store.db.updateTable('message').set({ created_at: eightDaysAgo }).where('id', '=', (await s.row(id)).id).execute();
      await store.db.updateTable('conversation').set({ status: 'resolved' }).where('id', '=', (await s.row(resolvedOld)).conversation_id).execute();

      // still hidden: each round asks two of the old marks (they rotate) and the recent post
      let at = server.requests.length;
      await s.run();
      expect(s.reads(at).sort()).toEqual([old[0]!, old[1]!, recent].sort());
      at = server.requests.length;
      await s.run();
      expect(s.reads(at).sort()).toEqual([old[2]!, old[0]!, recent].sort());

      // ann's suspension is lifted: the old marks go as they are asked, the two asked longest ago this round, the last one next
      server.unsuspendAccount(ann.id);
      server.unsuspendAccount(ben.id);
      at = server.requests.length;
      await s.run();
      expect(s.reads(at).sort()).toEqual([old[1]!, old[0]!, recent].sort());
      expect(await s.row(old[1]!)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null, redacted_at: null });
      expect(await s.row(old[0]!)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      expect(await s.row(old[2]!)).toMatchObject({ network_hidden_reason: 'author_suspended' });
      await s.run();
      for (const id of old) expect(await s.row(id)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null, redacted_at: null });
      // once unmarked, an old post is no longer asked
      at = server.requests.length;
      await s.run();
      expect(s.reads(at)).toEqual([recent]);
      // the resolved conversation's mark stays: the check no longer looks there
      expect(await s.row(resolvedOld)).toMatchObject({ network_hidden_reason: 'author_suspended' });
    } finally {
      await s.stopAll();
    }
  }, 60_000);
});
