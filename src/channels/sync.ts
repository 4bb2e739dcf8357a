/**
 * Channel sync: polls every account whose connector can `sync` (mentions,
 * replies, DMs, comments), keeps live `stream` connections open where the
 * network offers them, and stores what arrives through the ingest queue before
 * moving the account's cursor — so a crash between the two re-fetches rather
 * than loses. Accounts are leased (sync_lease_owner/until), so two Parley
 * processes never poll the same account at once. Errors go through the one
 * policy (errorPolicy.ts): rate limits wait for the reset, revoked credentials
 * mark the account unhealthy with what to do, an invalid cursor restarts from a
 * fresh backfill.
 *
 * Backfill: a run that starts from no position (a new connection, settings that moved the
 * position, an invalid cursor) reads what the network already had. What it and the runs after it
 * fetch that was written before the account's line (`channel_account.backfill_before`, set when
 * such a run starts: when the desk last had the account in sync, or the run's start for one never
 * synced) is stored with source `backfill`: history to outbound webhooks, and resolved history in
 * the desk once older than a week, as an import's (src/pipeline/ingest.ts `markHistory`). What was
 * written since, and what a stream hears, is live (`network`). A listening term (keyword, hashtag)
 * added to an account already listening has a line of its own, where the first run listening for
 * it starts: what only it (or terms as new) found from before is backfill too
 * (./listeningBackfill.ts).
 *
 * Deletions: a stream's deletion notices (Mastodon `delete` events) redact the stored
 * messages they name that the connector's `goneFrom` confirms, where it has one (a notice says
 * a post is gone, not who removed it: a suspended account's purge sends the same one). For a
 * network that tells nobody (Bluesky, Instagram), or tells only a live connection that may
 * have been down at the time (Mastodon), each sync run of an account
 * whose connector has `goneFrom` asks, at most every `goneCheck.everyMs`, whether up to
 * `goneCheck.max` of its recent inbound messages (the last `goneCheck.days` days, in
 * conversations not resolved, newest first) still exist, going on from where the last check
 * stopped until all were asked, then from the newest again; what is gone is redacted, and, from a
 * connector with `presenceOf`, what the network keeps but hides is marked so (and unmarked when
 * shown again: src/pipeline/deletions.ts `applyNetworkVisibility`). A mark does not age out with
 * the window: each round also re-asks a few (a quarter of `max`, 1 to 10) older posts still marked
 * hidden in open conversations, the least recently asked first, in place of as many recent ones.
 * Where
 * the check stands (channel_account.gone_checked_at, gone_check_below) is written with the
 * account under the run's lease, so a restart or another process keeps the cadence and the walk.
 * The brand's own replies are asked too (outbound messages sent, with a network id, in the same
 * window, walk and `max`): one the network removed or hides is kept and marked, and its
 * conversation needs a response again (src/pipeline/deletions.ts); one already known deleted for
 * good (`deleted_on_network`) is not asked again. A stream's deletion notice is checked with the
 * connector's `presenceOf` where it has one, so the brand's reply a moderator took down is marked
 * at once (a customer's post the network hides is left to the periodic check, as before).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { NormalizedMessage } from '../core/types.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { applyNetworkDeletions, applyNetworkVisibility, OUTBOUND_DELETED } from '../pipeline/deletions.js';
import type { IngestQueue } from '../pipeline/queue.js';
import type { Store } from '../store/db.js';
import type { ChannelAccount } from '../store/schema.js';
import { leaseNow } from '../jobs/leaseTime.js';
import { backoff, decide } from './errorPolicy.js';
import { markChannelHealth } from './health.js';
import type { ChannelRegistry } from './registry.js';
import { linesOf, listeningTermKeys, nextTermLines, parseTermLines, type ListeningHits, type ListeningSyncResult, type TermLines } from './listeningBackfill.js';
import { quarantineOnce } from './quarantine.js';
import { settingsSpecOf } from './settings.js';
import { ChannelError, type Channel, type GoneContext, type NetworkHiddenReason } from './types.js';

export interface SyncDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  registry: ChannelRegistry;
  queue: IngestQueue;
  workerId?: string;
  /** Default poll interval when an account does not set `settings.pollIntervalS`. */
  intervalMs?: number;
  leaseMs?: number;
  /** The check for deleted posts of connectors with `goneFrom` (defaults: the connector's `goneCheck`, else every 15 minutes, 100 messages; 7 days). */
  goneCheck?: { everyMs?: number; max?: number; days?: number };
  log?: { info(o: unknown, m?: string): void; warn(o: unknown, m?: string): void; error(o: unknown, m?: string): void };
}

const MAX_PAGES_PER_RUN = 20;
const DAY_MS = 86_400_000;

export class ChannelSyncWorker {
  private readonly workerId: string;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly streams = new Map<number, { ctrl: AbortController; channel: Channel; failures: number; retryAt: number }>();

  constructor(private readonly deps: SyncDeps) {
    this.workerId = deps.workerId ?? `sync-${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  start(tickMs = 1000): void {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      this.running = this.runOnce().catch((err) => this.deps.log?.error({ err }, 'channel sync tick failed')) as Promise<void>;
      await this.running;
      this.running = null;
      if (!this.stopped) this.timer = setTimeout(() => void tick(), tickMs);
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.streams.values()) s.ctrl.abort();
    this.streams.clear();
    await this.running;
  }

  /** Ask for an immediate sync of one account. */
  async syncSoon(accountId: number): Promise<void> {
    await this.deps.store.db.updateTable('channel_account').set({ next_sync_at: this.deps.clock.now() }).where('id', '=', accountId).execute();
  }

  /** Sync every due account once; returns the ids synced. */
  async runOnce(): Promise<number[]> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const leaseAt = await leaseNow(store, clock);
    const due = await store.db
      .selectFrom('channel_account')
      .selectAll()
      .where('status', '!=', 'disabled')
      .where((eb) => eb.or([eb('next_sync_at', 'is', null), eb('next_sync_at', '<=', now)]))
      .where((eb) => eb.or([eb('sync_lease_until', 'is', null), eb('sync_lease_until', '<', leaseAt), eb('sync_lease_owner', '=', this.workerId)]))
      .orderBy('next_sync_at')
      .limit(50)
      .execute();
    if (this.streams.size) {
      // an account disabled by an admin stops listening now, not at the next restart
      const off = await store.db.selectFrom('channel_account').select('id').where('id', 'in', [...this.streams.keys()]).where('status', '=', 'disabled').execute();
      for (const { id } of off) {
        this.streams.get(id)?.ctrl.abort();
        this.streams.delete(id);
      }
    }
    const done: number[] = [];
    for (const account of due) {
      const channel = this.deps.registry.forAccount(account);
      if (!channel || (!channel.sync && !channel.stream)) {
        // webhook-only (or demo) accounts: nothing to poll
        await store.db.updateTable('channel_account').set({ next_sync_at: now + 3600_000 }).where('id', '=', account.id).execute();
        continue;
      }
      if (!(await this.lease(account.id, await leaseNow(store, clock)))) continue;
      try {
        if (channel.stream) this.ensureStream(account);
        if (channel.sync) await this.syncAccount(account);
        else await this.release(account.id, { next_sync_at: now + this.interval(account) });
        done.push(account.id);
      } catch (err) {
        await this.handleError(account, err);
      }
    }
    return done;
  }

  private interval(account: ChannelAccount): number {
    try {
      const s = JSON.parse(account.settings).pollIntervalS;
      if (typeof s === 'number' && s >= 5) return s * 1000;
    } catch { /* default */ }
    return this.deps.intervalMs ?? 60_000;
  }

  private async lease(accountId: number, now: number): Promise<boolean> {
    const r = await this.deps.store.db
      .updateTable('channel_account')
      .set({ sync_lease_owner: this.workerId, sync_lease_until: now + (this.deps.leaseMs ?? 120_000) })
      .where('id', '=', accountId)
      .where((eb) => eb.or([eb('sync_lease_until', 'is', null), eb('sync_lease_until', '<', now), eb('sync_lease_owner', '=', this.workerId)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Extend this worker's lease for another term; false when it is no longer this worker's. */
  private async renew(accountId: number): Promise<boolean> {
    const r = await this.deps.store.db
      .updateTable('channel_account')
      .set({ sync_lease_until: (await leaseNow(this.deps.store, this.deps.clock)) + (this.deps.leaseMs ?? 120_000) })
      .where('id', '=', accountId)
      .where('sync_lease_owner', '=', this.workerId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async release(accountId: number, patch: Record<string, unknown>) {
    await this.deps.store.db.updateTable('channel_account').set({ ...patch, sync_lease_owner: null, sync_lease_until: null } as never).where('id', '=', accountId).where('sync_lease_owner', '=', this.workerId).execute();
  }

  /**
   * Into the ingest queue. `backfillBefore`: a sync run's line (`backfillLine`): what was written
   * on the network before it is stored as the account's backfill (source `backfill`), the rest as
   * heard live (`network`); a listening hit only new terms found is judged by their lines
   * (`termLines`, `heardBy`: ./listeningBackfill.ts). A stream's items are live.
   */
  private async store(account: ChannelAccount, messages: NormalizedMessage[], backfillBefore: number | null = null, termLines: TermLines = {}, heardBy?: ListeningHits) {
    if (!messages.length) return;
    const lines = linesOf(messages, heardBy, backfillBefore, termLines);
    await this.deps.queue.submit(account.brand_id, messages.map((message) => ({
      channelAccountId: account.id, message, source: isBackfill(message, lines.get(message) ?? null) ? 'backfill' as const : 'network' as const, origin: `sync:${account.network}`,
    })));
  }

  /**
   * The lines of the listening terms this run listens for (see ./listeningBackfill.ts): a term new
   * since the last run's gets this run's start, one no longer listened for is dropped. Written under
   * the lease with the account, as `backfill_before`.
   */
  private async listeningLines(account: ChannelAccount, runStart: number): Promise<TermLines> {
    const listening = settingsSpecOf(account.network).listening ?? [];
    const stored = parseTermLines(account.listening_backfill_before);
    if (!listening.length && stored === null) return {};
    const lines = nextTermLines(stored, listeningTermKeys(safeJson(account.settings), listening), runStart);
    const json = JSON.stringify(lines);
    if (json !== account.listening_backfill_before) {
      await this.deps.store.db.updateTable('channel_account').set({ listening_backfill_before: json }).where('id', '=', account.id).where('sync_lease_owner', '=', this.workerId).execute();
    }
    return lines;
  }

  /**
   * Where this run's backfill ends (see the header): a run that starts from no position moves the
   * account's `backfill_before` up to when the desk last had the account in sync (its last run
   * that moved the position), or to the run's start for an account never synced: a new
   * connection reads what was there before it listened, a changed server or mailbox what the new
   * terms find from before, a position the network no longer knows what was already heard
   * (deduplicated) and what came since the last sync (live: the desk was listening). Written under
   * the lease with the account, so a backfill that takes several runs, a restart or another
   * process keeps the line. A run from a position uses the line as stored.
   */
  private async backfillLine(account: ChannelAccount, cursor: string | null, runStart: number): Promise<number | null> {
    const stored = account.backfill_before == null ? null : Number(account.backfill_before);
    if (cursor !== null) return stored;
    const lastInSync = account.last_sync_at == null ? runStart : Number(account.last_sync_at);
    const line = stored === null ? lastInSync : Math.max(stored, lastInSync);
    if (line !== stored) {
      await this.deps.store.db.updateTable('channel_account').set({ backfill_before: line }).where('id', '=', account.id).where('sync_lease_owner', '=', this.workerId).execute();
    }
    return line;
  }

  /**
   * A stream's deletion notices. A Mastodon `user` stream names every deleted status of the
   * home feed too (followed accounts' posts): only those stored are the desk's business, so
   * no tombstone is written for the rest (it would grow with every deletion of everyone
   * followed). A notice for a post not stored yet needs none either: Mastodon's notification
   * of it went with it.
   */
  private async streamDeleted(account: ChannelAccount, channel: Channel, ids: readonly string[]) {
    const { store } = this.deps;
    const wanted = [...new Set(ids.filter((id) => id !== ''))];
    if (!wanted.length) return;
    const rows = await store.db
      .selectFrom('message')
      .leftJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
      .select(['message.network_message_id', 'message.in_reply_to_network_id', 'message.thread_root_network_id', 'contact_identity.network_user_id', 'message.direction'])
      .where('message.brand_id', '=', account.brand_id)
      .where('message.network', '=', account.network)
      .where('message.network_message_id', 'in', wanted)
      .execute();
    let stored = [...new Set(rows.map((r) => r.network_message_id!))];
    if (!stored.length) return;
    /** The brand's own replies named: what the network hides of them is marked at once (customers' posts wait for the periodic check, as before). */
    const own = new Set(rows.filter((r) => r.direction === 'outbound').map((r) => r.network_message_id!));
    /** What the connector says the network keeps but hides of the brand's replies named (a moderator's takedown). */
    let hidden = new Map<string, NetworkHiddenReason>();
    if (channel.goneFrom) {
      // who removed it: only what the connector confirms is its author's deletion is redacted; a
      // failed check leaves them to the periodic check (they are recent, stored and not redacted)
      try {
        const presence = channel.presenceOf ? await channel.presenceOf(stored, knownOf(rows)) : null;
        const confirmed = new Set(presence ? presence.gone : await channel.goneFrom(stored, knownOf(rows)));
        stored = stored.filter((id) => confirmed.has(id));
        if (presence) hidden = new Map([...presence.hidden].filter(([id]) => own.has(id) && !confirmed.has(id)));
      } catch (err) {
        this.deps.log?.warn({ accountId: account.id, err: err instanceof ChannelError ? `${err.code}: ${err.message}` : String(err) }, 'checking a stream\'s deletion notice failed; the periodic check asks again');
        return;
      }
    }
    if (stored.length) await applyNetworkDeletions(this.deps, { brandId: account.brand_id, network: account.network, networkMessageIds: stored, actor: `system:stream:${account.network}` });
    if (hidden.size) await applyNetworkVisibility(this.deps, { brandId: account.brand_id, network: account.network, channelAccountId: account.id, hidden, shown: [], actor: `system:stream:${account.network}` });
  }

  /**
   * Ask the connector which recent stored posts are gone (see the header), under this run's
   * lease. Where the check stands (when it last ran, below which message id it goes on) is
   * kept with the account, not in this process: a restarted process, or another one that
   * leases the account next, keeps the cadence and goes on where the last check stopped. A
   * failure is logged and tried again next time: it never fails the sync.
   */
  private async checkGone(account: ChannelAccount, channel: Channel): Promise<void> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const every = this.deps.goneCheck?.everyMs ?? channel.goneCheck?.everyMs ?? 15 * 60_000;
    const max = this.deps.goneCheck?.max ?? channel.goneCheck?.max ?? 100;
    const days = this.deps.goneCheck?.days ?? 7;
    // read under the lease (the row this run started with may predate another process's check)
    const last = await store.db.selectFrom('channel_account').select(['gone_checked_at', 'gone_check_below']).where('id', '=', account.id).where('sync_lease_owner', '=', this.workerId).executeTakeFirst();
    if (!last) return;
    const lastAt = last.gone_checked_at === null ? null : Number(last.gone_checked_at);
    const lastBelow = last.gone_check_below === null ? null : Number(last.gone_check_below);
    // (a position stamped by a process whose clock runs ahead is not waited on past one cadence)
    if (lastAt !== null && Math.abs(now - lastAt) < every) return;
    /**
     * The account's stored inbound posts and sent replies not redacted, in conversations not
     * resolved: what may be asked (a reply known deleted for good is not asked again).
     */
    const askable = () =>
      store.db
        .selectFrom('message')
        .innerJoin('conversation', 'conversation.id', 'message.conversation_id')
        .leftJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
        .select(['message.id', 'message.network_message_id', 'message.in_reply_to_network_id', 'message.thread_root_network_id', 'contact_identity.network_user_id'])
        .where('message.channel_account_id', '=', account.id)
        .where((eb) => eb.or([eb('message.direction', '=', 'inbound'), eb.and([eb('message.direction', '=', 'outbound'), eb('message.status', '=', 'sent')])]))
        .where((eb) => eb.or([eb('message.network_hidden_reason', 'is', null), eb('message.network_hidden_reason', '!=', OUTBOUND_DELETED)]))
        .where('message.network_message_id', 'is not', null)
        .where('message.redacted_at', 'is', null)
        .where('conversation.status', '!=', 'resolved');
    const recent = (below: number | null, n = max) => {
      let q = askable().where('message.created_at', '>=', now - days * DAY_MS);
      if (below !== null) q = q.where('message.id', '<', below);
      return q.orderBy('message.id', 'desc').limit(n).execute();
    };
    /** Where the check stands, written only while the lease is this run's (else the other process's stands). */
    const record = (below: number | null) =>
      store.db.updateTable('channel_account').set({ gone_checked_at: now, gone_check_below: below }).where('id', '=', account.id).where('sync_lease_owner', '=', this.workerId).execute();
    // Marks older than the window: a post marked hidden stays marked until a check finds it shown,
    // so a few of those in open conversations are asked each round whatever their age, the least
    // recently asked first (they rotate), within `max` and never crowding out the recent ones.
    const fewHidden = Math.min(10, Math.max(1, Math.floor(max / 4)));
    const oldHidden = await askable()
      .where('message.network_hidden_at', 'is not', null)
      .where('message.created_at', '<', now - days * DAY_MS)
      .orderBy(sql`coalesce(message.network_hidden_checked_at, 0)`)
      .orderBy('message.id')
      .limit(max > 1 ? fewHidden : 0)
      .execute();
    const limit = Math.max(1, max - oldHidden.length);
    let fresh = await recent(lastBelow, limit);
    // the last round ended on a full batch: this one starts from the newest again
    if (!fresh.length && lastBelow !== null) fresh = await recent(null, limit);
    // the next check goes on below these (or from the newest again when they were the last)
    const next = fresh.length === limit ? Number(fresh[fresh.length - 1]!.id) : null;
    const rows = [...fresh, ...oldHidden];
    if (!rows.length) {
      await record(null);
      return;
    }
    const asked = new Set(rows.map((r) => r.network_message_id!));
    try {
      // a connector that also tells what it keeps hidden (and shows again) is asked that way
      const presence = channel.presenceOf ? await channel.presenceOf([...asked], knownOf(rows)) : null;
      const gone = (presence ? presence.gone : await channel.goneFrom!([...asked], knownOf(rows))).filter((id) => asked.has(id));
      if (!(await this.renew(account.id))) return;
      if (gone.length) await applyNetworkDeletions(this.deps, { brandId: account.brand_id, network: account.network, networkMessageIds: gone, actor: `system:sync:${account.network}` });
      if (presence) {
        const hidden = new Map([...presence.hidden].filter(([id]) => asked.has(id) && !gone.includes(id)));
        const shown = presence.shown.filter((id) => asked.has(id));
        if (hidden.size || shown.length) await applyNetworkVisibility(this.deps, { brandId: account.brand_id, network: account.network, channelAccountId: account.id, hidden, shown, actor: `system:sync:${account.network}` });
      }
      // the old marks asked go to the back of the line
      if (oldHidden.length) await store.db.updateTable('message').set({ network_hidden_checked_at: now }).where('id', 'in', oldHidden.map((r) => r.id)).execute();
      await record(next);
    } catch (err) {
      // these are asked again next time (after the cadence: a network that is failing is not hammered)
      await record(lastBelow);
      this.deps.log?.warn({ accountId: account.id, err: err instanceof ChannelError ? `${err.code}: ${err.message}` : String(err) }, 'checking for deleted posts failed; trying again next time');
    }
  }

  private async syncAccount(account: ChannelAccount): Promise<void> {
    const { clock, store } = this.deps;
    const channel = this.deps.registry.forAccount(account)!;
    let cursor = account.cursor;
    const runStart = clock.now();
    const backfillBefore = await this.backfillLine(account, cursor, runStart);
    const termLines = await this.listeningLines(account, runStart);
    for (let page = 0; page < MAX_PAGES_PER_RUN; page++) {
      const r: ListeningSyncResult = await channel.sync!(cursor);
      // A run that stalled (a slow network, a paused process) past its lease may have been taken
      // over by another process: it writes nothing, neither what it fetched nor the cursor (the
      // other run has its own, maybe further on). Held still: the lease runs for another term.
      if (!(await this.renew(account.id))) {
        this.deps.log?.warn({ accountId: account.id }, 'channel sync lease lost during a run; another process has the account');
        return;
      }
      // what could not become a message is kept with the reason, and the cursor moves past it
      if (r.rejected?.length) await quarantineOnce(store.db, account.brand_id, `sync:${account.network}:${account.id}`, r.rejected, clock.now());
      await this.store(account, r.messages, backfillBefore, termLines, r.heardBy); // durable before the cursor moves
      if (r.cursor !== null) cursor = r.cursor;
      // Only while the settings are the ones this run started with: after an admin's edit
      // the position may belong to the old listening terms, or was reset on purpose. What
      // this run stored stays stored; the next run fetches from the last position again
      // and dedupe (network message id) drops what it already has.
      const moved = await store.db.updateTable('channel_account').set({ cursor, last_sync_at: clock.now() }).where('id', '=', account.id).where('settings', '=', account.settings).where('sync_lease_owner', '=', this.workerId).executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1 || !r.more) break;
    }
    if (channel.goneFrom) await this.checkGone(account, channel);
    const fresh = await store.db.selectFrom('channel_account').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow();
    if (fresh.status === 'unhealthy') await markChannelHealth(store, this.deps.bus, fresh, null, clock.now());
    const health = safeJson(fresh.health);
    const patch: Record<string, unknown> = { next_sync_at: clock.now() + this.interval(account) };
    if (health.failures) {
      delete health.failures;
      patch.health = JSON.stringify(health);
    }
    await this.release(account.id, patch);
    await this.soonIfEdited(account);
  }

  /** Settings edited while a run was going: run again at once with the new ones (not after a whole interval). */
  private async soonIfEdited(account: ChannelAccount) {
    await this.deps.store.db.updateTable('channel_account').set({ next_sync_at: this.deps.clock.now() }).where('id', '=', account.id).where('settings', '!=', account.settings).execute();
  }

  private async handleError(account: ChannelAccount, err: unknown) {
    const { clock, store, bus } = this.deps;
    const now = clock.now();
    const attempts = Number(safeJson(account.health).failures ?? 0) + 1;
    const d = decide(err, attempts, now);
    this.deps.log?.warn({ accountId: account.id, network: account.network, code: d.code, reason: d.reason }, 'channel sync failed');
    if (d.code === 'CURSOR_INVALID') {
      await this.release(account.id, { cursor: null, next_sync_at: now });
      return;
    }
    const fresh = await store.db.selectFrom('channel_account').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow();
    if (d.action === 'unhealthy') {
      await markChannelHealth(store, bus, fresh, { code: d.code, message: d.reason, advice: d.advice }, now);
      await this.release(account.id, { next_sync_at: d.at });
      await this.soonIfEdited(account);
      return;
    }
    const next = d.action === 'fail' ? now + backoff(attempts) : d.at;
    const health = JSON.stringify({ ...safeJson(fresh.health), failures: attempts, lastError: `${d.code}: ${d.reason}`, lastErrorAt: new Date(now).toISOString() });
    await this.release(account.id, { next_sync_at: next, health });
    // the failure may be the old settings' (an admin just fixed them): try the new ones at once
    await this.soonIfEdited(account);
    // Repeated temporary failures are a problem someone should see too.
    if (attempts >= 5 && fresh.status !== 'unhealthy') {
      await markChannelHealth(store, bus, { ...fresh, health }, { code: d.code, message: `sync has failed ${attempts} times in a row: ${d.reason}`, advice: 'Parley keeps retrying with back-off. Check the network\'s status page and the account\'s settings.' }, now);
    }
  }

  private ensureStream(account: ChannelAccount) {
    const existing = this.streams.get(account.id);
    const now = this.deps.clock.now();
    // the registry makes a new instance when settings or credentials change: the old
    // connection still listens with the old ones, so it is replaced at once
    const channel = this.deps.registry.forAccount(account)!;
    const current = existing?.channel === channel;
    if (existing && current && (!existing.ctrl.signal.aborted || existing.retryAt > now)) return;
    existing?.ctrl.abort();
    const ctrl = new AbortController();
    const entry = { ctrl, channel, failures: current ? existing.failures : 0, retryAt: 0 };
    this.streams.set(account.id, entry);
    const emit = async (messages: NormalizedMessage[], deleted?: readonly string[]) => {
      await this.store(account, messages);
      if (deleted?.length) await this.streamDeleted(account, channel, deleted);
    };
    channel.stream!(emit, ctrl.signal).then(
      () => {
        entry.failures = 0;
        entry.retryAt = this.deps.clock.now() + 1000;
        ctrl.abort();
      },
      (err) => {
        entry.failures++;
        entry.retryAt = this.deps.clock.now() + backoff(entry.failures);
        this.deps.log?.warn({ accountId: account.id, err: err instanceof ChannelError ? `${err.code}: ${err.message}` : String(err) }, 'stream ended; polling meanwhile');
        ctrl.abort();
      },
    );
  }
}

/** Whether a synced item is of the account's backfill: written on the network before the run's line (an item without a usable time is live). */
function isBackfill(message: NormalizedMessage, before: number | null): boolean {
  const at = (message as { createdAt?: unknown }).createdAt;
  return before !== null && typeof at === 'number' && Number.isFinite(at) && at < before;
}

/** What is stored of each item (its author's network user id, what it answers, its thread's root), for `goneFrom`. */
function knownOf(rows: readonly { network_message_id: string | null; network_user_id: string | null; in_reply_to_network_id: string | null; thread_root_network_id: string | null }[]): GoneContext {
  const authors = new Map<string, string>();
  const threads = new Map<string, { inReplyTo: string | null; root: string | null }>();
  for (const r of rows) {
    if (!r.network_message_id) continue;
    if (r.network_user_id) authors.set(r.network_message_id, r.network_user_id);
    threads.set(r.network_message_id, { inReplyTo: r.in_reply_to_network_id, root: r.thread_root_network_id });
  }
  return { authors, threads };
}

function safeJson(s: string): Record<string, any> {
  try {
    return JSON.parse(s);
  } catch {
    return {};
  }
}
