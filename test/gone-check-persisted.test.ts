/**
 * The sync worker's check for deleted posts (src/channels/sync.ts `checkGone`) keeps where it
 * stands with the account in the database (channel_account.gone_checked_at, gone_check_below),
 * not in one process's memory: a restarted process, or another one that leases the account
 * next, keeps the cadence and goes on walking through older posts where the last check stopped.
 * Through real sync workers (one per "process") over one database (SQLite and PostgreSQL), the
 * real Mastodon connector and the Mastodon contract server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChannelSyncWorker } from '../src/channels/sync.js';
import { ManualClock } from '../src/lib/clock.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';
import { mastodonBrand } from './helpers/mastodonSync.js';

const EVERY = 15 * 60_000;

describeEachStore('the check for deleted posts, across processes', (get) => {
  let server: MastodonContractServer;
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a second process continues where the first stopped, and waits out the cadence the first started', async () => {
    const { store } = get();
    const clock = new ManualClock(Date.now());
    const { brand, accountId, worker } = await mastodonBrand(store, server, { slug: 'gc' });
    const alice = server.createAccount({ username: 'gcalice' });
    const workers: ChannelSyncWorker[] = [];
    /** A Parley process: its own worker (and memory), the shared database. */
    const process = () => {
      const w = worker({ clock, goneCheck: { everyMs: EVERY, max: 2 } });
      workers.push(w);
      return w;
    };
    /** One run of `w`; the statuses it asked about. */
    const run = async (w: ChannelSyncWorker) => {
      const from = server.requests.length;
      await store.db.updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', accountId).execute();
      expect(await w.runOnce()).toEqual([accountId]);
      return server.requests.slice(from).filter((r) => r.method === 'GET' && /^\/api\/v1\/statuses\/\d+$/.test(r.path)).map((r) => r.path.split('/').pop()!).sort();
    };
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: `@${brand.acct} question ${i}`, visibility: 'public' }) });
        ids.push(((await res.json()) as { id: string }).id);
        // each in its own millisecond: two statuses of one millisecond are stored in the order
        // the network listed them (newest first), and "the newest two" would be a toss-up
        await new Promise((r) => setTimeout(r, 3));
      }
      const [m1, m2, m3, m4, m5] = ids as [string, string, string, string, string];

      const first = process();
      expect(await run(first)).toEqual([m4, m5].sort()); // stores the five, checks the newest two
      await first.stop(); // a restart

      const second = process();
      expect(await run(second)).toEqual([]); // checked 0 minutes ago, by the other process
      clock.advance(EVERY - 60_000);
      expect(await run(second)).toEqual([]);
      clock.advance(60_000);
      expect(await run(second)).toEqual([m2, m3].sort()); // on from where the first stopped

      // a third process leases the account next: it goes on too, and after it the second one
      const third = process();
      clock.advance(EVERY);
      expect(await run(third)).toEqual([m1]);
      clock.advance(EVERY);
      expect(await run(second)).toEqual([m4, m5].sort()); // the round is over: from the newest again
      const account = await store.db.selectFrom('channel_account').select(['gone_checked_at', 'gone_check_below']).where('id', '=', accountId).executeTakeFirstOrThrow();
      const m4Row = await store.db.selectFrom('message').select('id').where('channel_account_id', '=', accountId).where('network_message_id', '=', m4).executeTakeFirstOrThrow();
      expect(account).toEqual({ gone_checked_at: clock.now(), gone_check_below: Number(m4Row.id) });
    } finally {
      for (const w of workers) await w.stop();
    }
  }, 60_000);

  it('a run that lost its lease leaves the position of the process that took the account', async () => {
    const { store } = get();
    const clock = new ManualClock(Date.now());
    const { brand, accountId, worker: syncWorker } = await mastodonBrand(store, server, { slug: 'gcl' });
    const alice = server.createAccount({ username: 'gclalice' });
    await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: `@${brand.acct} hello`, visibility: 'public' }) });
    // the connector's check stalls past the lease, and another process takes the account meanwhile
    const worker = syncWorker({
      clock,
      goneCheck: { everyMs: 0 },
      wrap: (c) => {
        // the worker asks presenceOf (what is gone, and what is hidden or shown)
        const presenceOf = c.presenceOf.bind(c);
        c.presenceOf = async (ids, known) => {
          const r = await presenceOf(ids, known);
          clock.advance(10 * 60_000);
          await store.db.updateTable('channel_account').set({ sync_lease_owner: 'another-process', sync_lease_until: clock.now() + 120_000, gone_checked_at: 42, gone_check_below: 7 }).where('id', '=', accountId).execute();
          return r;
        };
        return c;
      },
    });
    try {
      await store.db.updateTable('channel_account').set({ next_sync_at: 0 }).where('id', '=', accountId).execute();
      await worker.runOnce();
      expect(await store.db.selectFrom('channel_account').select(['gone_checked_at', 'gone_check_below', 'sync_lease_owner']).where('id', '=', accountId).executeTakeFirstOrThrow())
        .toEqual({ gone_checked_at: 42, gone_check_below: 7, sync_lease_owner: 'another-process' });
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
