/**
 * A customer deletes on Mastodon what they wrote to the brand: the instance publishes `delete`
 * (the status id) on the `user` stream of every account the status mentioned
 * (RemoveStatusService#remove_from_mentions), the connector listens to that stream, and the
 * sync worker redacts the stored message (content gone, row kept). A deletion made while no
 * stream was connected (a restart, a dropped connection) is caught by the sync worker's hourly
 * check (`goneFrom`: GET /api/v1/statuses/:id, only 404 "Record not found" counts, a block is
 * told apart by an anonymous read, an author suspended or purged by the instance — a moderator, a
 * defederated server — by reading the account: kept; the stream's `delete` events are checked the
 * same way before anything is redacted); an erroring server redacts nothing. Through the real sync
 * worker, ingest pipeline and database, the real masto client and the Mastodon contract server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../src/store/db.js';
import { MastodonChannel } from '../src/channels/mastodon/index.js';
import type { ChannelSyncWorker } from '../src/channels/sync.js';
import { ManualClock, systemClock, type Clock } from '../src/lib/clock.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';
import { mastodonBrand } from './helpers/mastodonSync.js';

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeEachStore('deletions on Mastodon', (get) => {
  let server: MastodonContractServer;
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a mention its author deletes is redacted from the `user` stream\'s delete event; a deleted status never stored leaves no tombstone', async () => {
    const { store } = get();
    const { brand, brandId, accountId, worker: syncWorker } = await mastodonBrand(store, server, { slug: 'mdel', username: 'brand' });
    const alice = server.createAccount({ username: 'alice' });
    const worker = syncWorker();
    try {
      const post = async (token: string, status: string) => {
        const res = await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status, visibility: 'public' }) });
        return ((await res.json()) as { id: string }).id;
      };
      const remove = (token: string, id: string) => fetch(`${server.url}/api/v1/statuses/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).then((r) => expect(r.status).toBe(200));
      const keep = await post(alice.token, '@brand my order 1234 never came');
      const gone = await post(alice.token, '@brand my address is 1 Secret Lane, call me on 555-0100');
      await worker.runOnce(); // polls both mentions, opens the stream
      const row = (id: string) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', accountId).where('network_message_id', '=', id).executeTakeFirst();
      expect((await row(gone))?.text).toBe('@brand my address is 1 Secret Lane, call me on 555-0100');
      await until('the stream is connected', () => server.streamCount() === 1);
      await new Promise((r) => setTimeout(r, 100)); // the subscribe message

      await remove(alice.token, gone);
      await until('the deleted mention is redacted', async () => (await row(gone))?.redacted_at != null);
      const redacted = (await row(gone))!;
      expect(redacted).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed', direction: 'inbound' });
      expect((await row(keep))).toMatchObject({ text: '@brand my order 1234 never came', redacted_at: null });

      // the brand's own status, never stored, deleted: the `user` stream names it too (remove_from_self)
      const own = await post(brand.token, 'a status the brand deletes');
      await remove(brand.token, own);
      // then a second customer deletion, so the first notice has surely been handled before we look
      const second = await post(alice.token, '@brand please delete my data');
      await worker.syncSoon(accountId);
      await worker.runOnce();
      expect(await row(second)).toBeTruthy();
      await remove(alice.token, second);
      await until('the second deleted mention is redacted', async () => (await row(second))?.redacted_at != null);
      const tombstones = await store.db.selectFrom('message_tombstone').select('network_message_id').where('brand_id', '=', brandId).execute();
      expect(tombstones).toEqual([]);
      // the deleted mention is not fetched back by polling either (its notification went with it)
      await worker.syncSoon(accountId);
      await worker.runOnce();
      expect((await row(gone))!.text).toBe('');
    } finally {
      await worker.stop();
    }
  }, 60_000);
  /** A brand with the Mastodon account connected; `process()` is a new sync worker (a Parley process) sharing the database. */
  async function setup(store: Store, slug: string, clock: Clock, goneCheck?: { everyMs?: number; max?: number }) {
    const { brand, brandId, accountId, worker } = await mastodonBrand(store, server, { slug });
    const settings = { instanceUrl: server.url, timeoutMs: 5000 };
    const workers: ChannelSyncWorker[] = [];
    const process = () => {
      const w = worker({ clock, goneCheck });
      workers.push(w);
      return w;
    };
    const run = async (w: ChannelSyncWorker) => {
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
    const remove = (token: string, id: string) => fetch(`${server.url}/api/v1/statuses/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).then((r) => expect(r.status).toBe(200));
    const row = (id: string) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', accountId).where('network_message_id', '=', id).executeTakeFirstOrThrow();
    /** Status reads (GET /api/v1/statuses/:id) since request number `from`: [id, with the token?]. */
    const reads = (from: number) =>
      server.requests.slice(from).filter((r) => r.method === 'GET' && /^\/api\/v1\/statuses\/\d+$/.test(r.path)).map((r) => [r.path.split('/').pop()!, !!r.headers.authorization] as const);
    const stopAll = async () => {
      for (const w of workers) await w.stop();
    };
    const channel = new MastodonChannel({ id: accountId, brandId, network: 'mastodon', handle: brand.acct, externalId: brand.id, settings, credentials: { accessToken: brand.token } }, { fetch: globalThis.fetch, now: () => Date.now() });
    return { brand, brandId, accountId, process, run, post, remove, row, reads, stopAll, channel };
  }

  it('a status deleted while no stream was connected is redacted by the next check of a restarted process, hourly; a block, a refused anonymous read or a suspended author is not a deletion', async () => {
    const { store } = get();
    const clock = new ManualClock(Date.now());
    const s = await setup(store, 'mgone', clock);
    const alice = server.createAccount({ username: 'mgonealice' });
    const bob = server.createAccount({ username: 'mgonebob' });
    const carol = server.createAccount({ username: 'mgonecarol', domain: 'elsewhere.test' }); // another server's: her suspension here is a moderator's
    const dave = server.createAccount({ username: 'mgonedave' });
    try {
      const keep = await s.post(alice.token, `@${s.brand.acct} my order 1234 never came`);
      const gone = await s.post(alice.token, `@${s.brand.acct} my address is 1 Secret Lane`);
      const goneDm = await s.post(dave.token, `@${s.brand.acct} my card ends 4242`, 'direct');
      const blocked = await s.post(bob.token, `@${s.brand.acct} bob asks, then blocks you`);
      const suspended = await s.post(carol.token, `@${s.brand.acct} carol is then suspended by a moderator`);
      const first = s.process();
      await s.run(first); // stores the five, opens the stream, and checks them: all there
      for (const id of [keep, gone, goneDm, blocked, suspended]) expect(await s.row(id)).toMatchObject({ redacted_at: null });
      await first.stop();
      await until('the stream is closed', () => server.streamCount() === 0);

      // while no Parley process listens
      await s.remove(alice.token, gone);
      await s.remove(dave.token, goneDm);
      expect((await fetch(`${server.url}/api/v1/accounts/${s.brand.id}/block`, { method: 'POST', headers: { authorization: `Bearer ${bob.token}` } })).status).toBe(200);
      server.suspendAccount(carol.id);

      // a restarted process: its stream connects after the deletions (no `delete` event), and the
      // check waits for the hour since the last one, which the first process ran
      const second = s.process();
      let at = server.requests.length;
      await s.run(second);
      expect(s.reads(at)).toEqual([]);
      expect(await s.row(gone)).toMatchObject({ redacted_at: null });

      clock.advance(61 * 60_000);
      at = server.requests.length;
      await s.run(second);
      expect(await s.row(gone)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed' });
      expect(await s.row(goneDm)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed' });
      // suspended by the instance, not deleted by carol: kept (the suspension may be lifted)
      expect(await s.row(suspended)).toMatchObject({ redacted_at: null, text: `@${s.brand.acct} carol is then suspended by a moderator` });
      expect(await s.row(keep)).toMatchObject({ redacted_at: null, text: `@${s.brand.acct} my order 1234 never came` });
      expect(await s.row(blocked)).toMatchObject({ redacted_at: null, text: `@${s.brand.acct} bob asks, then blocks you` });
      // one read each with the token; what that did not find, once more without it
      const r = s.reads(at);
      expect(r.filter(([, t]) => t).map(([id]) => id).sort()).toEqual([keep, gone, goneDm, blocked, suspended].sort());
      expect(r.filter(([, t]) => !t).map(([id]) => id).sort()).toEqual([gone, goneDm, blocked, suspended].sort());
      const audit = await store.db.selectFrom('audit_event').select('actor').where('brand_id', '=', s.brandId).execute();
      expect(audit.some((a) => a.actor === 'system:sync:mastodon')).toBe(true);

      // an instance that serves no anonymous reads: a 404 with the token cannot be told from a block
      const hidden = await s.post(bob.token, `@${s.brand.acct} hidden by the block`);
      const alsoGone = await s.post(alice.token, `@${s.brand.acct} deleted on a closed instance`);
      await s.remove(alice.token, alsoGone);
      server.anonymousReads = false;
      try {
        expect(await s.channel.goneFrom([hidden, alsoGone, keep])).toEqual([]);
      } finally {
        server.anonymousReads = true;
      }
      expect(await s.channel.goneFrom([hidden, alsoGone, keep, 'not-a-status-id'])).toEqual([alsoGone]);
    } finally {
      await s.stopAll();
    }
  }, 60_000);

  it('an erroring server redacts nothing: 401, 403, 429, 5xx and a 404 that is not "Record not found" throw, and the check asks the same statuses again', async () => {
    const { store } = get();
    const s = await setup(store, 'merr', systemClock, { everyMs: 0 });
    const erin = server.createAccount({ username: 'merrerin' });
    try {
      const gone = await s.post(erin.token, `@${s.brand.acct} please forget my phone number 555-0100`);
      const kept = await s.post(erin.token, `@${s.brand.acct} and answer my question`);
      const first = s.process();
      await s.run(first);
      await first.stop();
      await until('the stream is closed', () => server.streamCount() === 0);
      await s.remove(erin.token, gone);

      const statusPath = /^\/api\/v1\/statuses\/\d+$/;
      for (const status of [401, 403, 429, 500, 502, 503, 404]) {
        server.failRequests(statusPath, status, 100);
        try {
          await expect(s.channel.goneFrom([gone, kept]), `HTTP ${status}`).rejects.toMatchObject({ code: { 401: 'AUTH_REVOKED', 403: 'PERMISSION_DENIED', 429: 'RATE_LIMITED', 404: 'NOT_FOUND' }[status as 401] ?? 'TEMPORARY' });
        } finally {
          server.clearRequestFaults();
        }
      }
      // an outage of the status endpoint during a run: the sync succeeds, nothing is redacted
      const second = s.process();
      server.failRequests(statusPath, 503, 100);
      try {
        await s.run(second);
        await s.run(second);
      } finally {
        server.clearRequestFaults();
      }
      expect(await s.row(gone)).toMatchObject({ redacted_at: null });
      expect(await s.row(kept)).toMatchObject({ redacted_at: null });
      // over: the same statuses are asked again, and the deleted one is redacted
      const at = server.requests.length;
      await s.run(second);
      expect(s.reads(at).filter(([, t]) => t).map(([id]) => id).sort()).toEqual([gone, kept].sort());
      expect(await s.row(gone)).toMatchObject({ text: '', redacted_reason: 'deleted_or_removed' });
      expect(await s.row(kept)).toMatchObject({ redacted_at: null });
    } finally {
      await s.stopAll();
    }
  }, 60_000);

  it('who removed it: an account suspended or purged by the instance (a moderator, a defederated server) is kept, from the periodic check and from the stream\'s `delete` events alike, and marked hidden with the reason until the suspension is lifted; an account its owner deleted, and a status removed alone, are redacted', async () => {
    const { store } = get();
    const s = await setup(store, 'mwho', systemClock, { everyMs: 0 });
    const ann = server.createAccount({ username: 'mwhoann', domain: 'elsewhere.test' }); // suspended by a moderator of the brand's instance
    const ben = server.createAccount({ username: 'mwhoben', domain: 'defederated.test' }); // his server defederated: suspended, then purged
    const cid = server.createAccount({ username: 'mwhocid', domain: 'elsewhere.test' }); // deletes her own (remote) account
    const dot = server.createAccount({ username: 'mwhodot' }); // one status removed by a moderator
    const eve = server.createAccount({ username: 'mwhoeve', domain: 'defederated.test' }); // purged while the brand follows her and listens
    const gus = server.createAccount({ username: 'mwhogus' }); // deletes his own account on the brand's instance: a suspension there too
    try {
      const suspended = await s.post(ann.token, `@${s.brand.acct} ann asks about her refund`);
      const defederated = await s.post(ben.token, `@${s.brand.acct} ben asks from a server soon defederated`);
      const leaver = await s.post(cid.token, `@${s.brand.acct} cid asks, then leaves the fediverse`);
      const moderated = await s.post(dot.token, `@${s.brand.acct} dot writes something a moderator removes`);
      const followed = await s.post(eve.token, `@${s.brand.acct} eve asks too`, 'private');
      const localLeaver = await s.post(gus.token, `@${s.brand.acct} gus asks, then deletes his account here`);
      const w = s.process();
      await s.run(w); // stores the five, opens the stream, checks them: all there
      for (const id of [suspended, defederated, leaver, moderated, followed]) expect(await s.row(id)).toMatchObject({ redacted_at: null });
      await until('the brand\'s `user` stream is subscribed', () => server.streamCount(s.brand.id) === 1);

      // live: eve's account is purged (a domain block); the brand follows her, so its `user`
      // stream gets a `delete` for each of her statuses — which is not eve deleting them
      const at = server.requests.length;
      server.purgeAccount(eve.id, [s.brand.id]);
      // the notice is checked (the status, then its author) before anything is redacted
      await until('the stream\'s delete notice was checked', () => server.requests.slice(at).some((r) => r.method === 'GET' && r.path.startsWith(`/api/v1/accounts/${eve.id}`)), 10_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(await s.row(followed)).toMatchObject({ redacted_at: null, text: `@${s.brand.acct} eve asks too` });

      server.suspendAccount(ann.id);
      // the brand's instance defederates ben's server (its public list shows it obfuscated: matched by digest)
      server.blockDomain('defederated.test', { obfuscate: true, comment: 'spam' });
      server.blockDomain('elsewhere.test', { severity: 'silence' }); // only limited: ann's suspension is her own
      server.purgeAccount(ben.id);
      server.removeAccount(cid.id);
      server.moderatorDeleteStatus(moderated);
      server.purgeAccount(gus.id);
      await s.run(w);
      // a local account's suspension may be its owner's deletion (Mastodon keeps the record, suspended): honoured
      expect(await s.row(localLeaver)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed' });
      expect(await s.row(suspended)).toMatchObject({ redacted_at: null, text: `@${s.brand.acct} ann asks about her refund` });
      expect(await s.row(defederated)).toMatchObject({ redacted_at: null, text: `@${s.brand.acct} ben asks from a server soon defederated` });
      expect(await s.row(followed)).toMatchObject({ redacted_at: null });
      expect(await s.row(leaver)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed' });
      // the client API shows a moderator's removal of one status exactly as its author's deletion
      expect(await s.row(moderated)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed' });

      // kept, and marked hidden with the reason; a status deleted or shown is not
      expect(await s.row(suspended)).toMatchObject({ network_hidden_reason: 'author_suspended', network_hidden_at: expect.any(Number) });
      expect(await s.row(defederated)).toMatchObject({ network_hidden_reason: 'server_defederated' });
      expect(await s.row(followed)).toMatchObject({ network_hidden_reason: 'server_defederated' });
      for (const id of [leaver, moderated, localLeaver]) expect(await s.row(id)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      const hiddenAt = Number((await s.row(suspended)).network_hidden_at);
      const changes = async (action: string) => (await store.db.selectFrom('audit_event').select(['subject_id', 'actor', 'data']).where('brand_id', '=', s.brandId).where('action', '=', action).execute())
        .map((a) => ({ ...a, data: JSON.parse(String(a.data)) }));
      const rowId = async (nid: string) => String((await s.row(nid)).id);
      // checked again: the same state is not written or audited again
      await s.run(w);
      expect(await s.row(suspended)).toMatchObject({ network_hidden_reason: 'author_suspended', network_hidden_at: hiddenAt });
      const hiddenAudit = await changes('message.network_hidden');
      expect(hiddenAudit.map((a) => [a.subject_id, a.actor, a.data.reason]).sort()).toEqual([
        [await rowId(suspended), 'system:sync:mastodon', 'author_suspended'],
        [await rowId(defederated), 'system:sync:mastodon', 'server_defederated'],
        [await rowId(followed), 'system:sync:mastodon', 'server_defederated'],
      ].sort());

      // an instance that shows its domain blocks to no one: the suspension is what is known
      server.domainBlocksShown = false;
      try {
        const r = await s.channel.presenceOf([defederated], { authors: new Map([[defederated, ben.id]]) });
        expect(r).toEqual({ gone: [], hidden: new Map([[defederated, 'author_suspended']]), shown: [] });
      } finally {
        server.domainBlocksShown = true;
      }

      // the suspension is lifted, but her server is still limited (the `silence` limited her too): the reason changes
      server.unsuspendAccount(ann.id);
      await s.run(w);
      expect(await s.row(suspended)).toMatchObject({ redacted_at: null, network_hidden_reason: 'server_limited' });
      expect((await changes('message.network_hidden')).filter((a) => a.data.was).map((a) => [a.data.reason, a.data.was])).toEqual([['server_limited', 'author_suspended']]);
      // the limit is lifted too: ann's status is shown again, and the mark goes (audited once)
      server.unblockDomain('elsewhere.test');
      await s.run(w);
      await s.run(w);
      expect(await s.row(suspended)).toMatchObject({ redacted_at: null, network_hidden_at: null, network_hidden_reason: null });
      expect(await s.row(defederated)).toMatchObject({ network_hidden_reason: 'server_defederated' });
      expect((await changes('message.network_shown')).map((a) => [a.subject_id, a.data.was])).toEqual([[await rowId(suspended), 'server_limited']]);

      // a stream notice for the author's own deletion is still redacted at once
      const fay = server.createAccount({ username: 'mwhofay' });
      const own = await s.post(fay.token, `@${s.brand.acct} fay deletes this`);
      await s.run(w);
      expect(await s.row(own)).toMatchObject({ redacted_at: null });
      await s.remove(fay.token, own);
      await until('the deleted mention is redacted', async () => (await s.row(own)).redacted_at != null);
      expect(await s.row(own)).toMatchObject({ text: '', redacted_reason: 'deleted_or_removed' });
    } finally {
      await s.stopAll();
    }
  }, 60_000);
});
