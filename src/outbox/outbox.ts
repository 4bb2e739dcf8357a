/**
 * The one send path. Every outbound message goes through `enqueue` (inside the
 * transaction that created it) and is delivered by the worker, which holds the
 * outbound invariants in one place:
 *  - only outbound replies written in Parley (never an inbound item, an echo of
 *    the brand's own post, or an internal note — notes live in their own table);
 *  - only messages whose status is `queued`: a reply waiting for approval or
 *    rejected never gets here;
 *  - one outbox row per message and per idempotency key (unique indexes), so a
 *    double click or a client retry cannot post twice;
 *  - after an ambiguous failure (timeout, crash mid-send) the next attempt first
 *    asks the network whether the post went out (findSent), so a reply is never
 *    posted twice;
 *  - rate limits wait until the network's reset; temporary errors back off;
 *    revoked credentials mark the channel unhealthy and keep the reply queued.
 * Each message shows queued / sending / sent (network id and URL) / failed (reason).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { applyMessage } from '../core/conversationState.js';
import { decide } from '../channels/errorPolicy.js';
import type { ChannelRegistry } from '../channels/registry.js';
import type { SendRequest, SendResult } from '../channels/types.js';
import type { EventBus } from '../events/bus.js';
import { publishWithAdminDetail } from '../events/adminDetail.js';
import type { Clock } from '../lib/clock.js';
import { stateColumns, stateOf } from '../pipeline/ingest.js';
import { presentMessage, type ConversationJson } from '../server/presenters.js';
import type { Store } from '../store/db.js';
import { presentListedConversation } from '../store/queries.js';
import { factRow } from '../store/facts.js';
import { retractFactsOfMessage, writeFacts } from '../store/rollup.js';
import type { ChannelAccount, MessageRow, OutboxRow } from '../store/schema.js';
import type { Tx } from '../store/util.js';
import { decodeText } from '../store/text.js';
import { audit } from '../store/audit.js';
import { markChannelHealth } from '../channels/health.js';
import { leaseNow } from '../jobs/leaseTime.js';
import { summarizeReplyError } from './replyError.js';
import { isDeletedPost, isErased, withdrawClaimedReply } from './deletedPost.js';
import { countsFromDesk } from '../workflow/deskSight.js';

export { sendWaitingNow } from './waiting.js';

export class OutboxRefusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Put a message on the outbox. Called inside the transaction that made the message sendable. */
export async function enqueue(trx: Tx, msg: Pick<MessageRow, 'id' | 'brand_id' | 'direction' | 'source' | 'status' | 'channel_account_id' | 'kind'>, now: number, idempotencyKey?: string): Promise<{ id: number; idempotencyKey: string }> {
  if (msg.direction !== 'outbound') throw new OutboxRefusal('outbox.not_outbound', 'only outbound messages can be sent');
  if (msg.source !== 'agent' && msg.source !== 'auto') throw new OutboxRefusal('outbox.echo', 'this message came from the network; it is not sent again');
  if (msg.status !== 'queued') throw new OutboxRefusal('outbox.not_approved', `a message in status "${msg.status}" cannot be sent`);
  const key = idempotencyKey ?? `msg-${msg.id}-${randomUUID()}`;
  const existing = await trx.selectFrom('outbox').select(['id', 'idempotency_key']).where('message_id', '=', msg.id).executeTakeFirst();
  if (existing) return { id: existing.id, idempotencyKey: existing.idempotency_key };
  const row = await trx
    .insertInto('outbox')
    .values({
      brand_id: msg.brand_id,
      message_id: msg.id,
      channel_account_id: msg.channel_account_id,
      idempotency_key: key,
      status: 'queued',
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, idempotencyKey: key };
}

export interface OutboxDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  registry: ChannelRegistry;
  /** Business-hours seconds for facts (calendar of the account); wall clock when absent. */
  businessSeconds?: (account: ChannelAccount, from: number, to: number) => number;
  /** A unique name for this process, for locks. */
  workerId?: string;
  /** How long a claimed send may take before another worker treats it as ambiguous. */
  lockMs?: number;
  log?: { warn(obj: unknown, msg?: string): void; error(obj: unknown, msg?: string): void };
  /** Called after a send completes (SLA and routing hooks). */
  afterSent?: (brandId: number, conversationId: number) => Promise<void> | void;
}

export class OutboxWorker {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = true;
  private wake: (() => void) | null = null;
  private readonly workerId: string;

  constructor(private readonly deps: OutboxDeps) {
    this.workerId = deps.workerId ?? `outbox-${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  start(intervalMs = 500): void {
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      try {
        while (!this.stopped && (await this.runOnce()) > 0) { /* drain */ }
      } catch (err) {
        this.deps.log?.error({ err }, 'outbox loop failed');
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, intervalMs);
      });
      this.wake = null;
      void loop();
    };
    void loop();
  }

  /** New work: run now instead of at the next tick. */
  poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  /** Claim and process due sends; returns how many were processed. */
  async runOnce(limit = 20): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const claimed = await this.claim(limit);
      for (const row of claimed) await this.process(row);
      return claimed.length;
    } finally {
      this.running = false;
    }
  }

  private async claim(limit: number): Promise<(OutboxRow & { ambiguous: boolean })[]> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const lockMs = this.deps.lockMs ?? 120_000;
    const lockAt = await leaseNow(store, clock);
    return store.db.transaction().execute(async (trx) => {
      let q = trx
        .selectFrom('outbox')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '<=', now)]),
            // a send whose worker died or hung: its outcome is unknown
            eb.and([eb('status', '=', 'sending'), eb('locked_until', '<', lockAt)]),
          ]),
        )
        .orderBy('next_attempt_at')
        .limit(limit);
      if (store.dialect === 'postgres') q = q.forUpdate().skipLocked();
      const rows = await q.execute();
      for (const r of rows) {
        await trx
          .updateTable('outbox')
          .set({ status: 'sending', locked_until: lockAt + lockMs, locked_by: this.workerId, attempts: r.attempts + 1, updated_at: now })
          .where('id', '=', r.id)
          .execute();
        await trx.updateTable('message').set({ status: 'sending' }).where('id', '=', r.message_id).execute();
      }
      // A row found in `sending` was interrupted mid-send, or a previous attempt timed out (`verify`).
      return rows.map((r) => ({ ...r, attempts: r.attempts + 1, ambiguous: r.status === 'sending' || r.last_error_code === 'TIMEOUT' }));
    });
  }

  private async process(row: OutboxRow & { ambiguous: boolean }): Promise<void> {
    const { store, clock, registry, bus } = this.deps;
    const msg = await store.db.selectFrom('message').selectAll().where('id', '=', row.message_id).executeTakeFirst();
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', row.channel_account_id).executeTakeFirst();
    if (!msg || !account) return this.fail(row, 'INVALID_REQUEST', 'message or channel account no longer exists');
    if (msg.direction !== 'outbound' || (msg.source !== 'agent' && msg.source !== 'auto')) return this.fail(row, 'INVALID_REQUEST', 'refused: not a reply written in Parley');
    if (account.listen_only) return this.fail(row, 'PERMISSION_DENIED', 'this account is in listen-only mode: Parley never sends from it');
    // queued before the account was disabled (or approved since): not sent late, when it is enabled again
    if (account.status === 'disabled') return this.fail(row, 'PERMISSION_DENIED', `@${account.handle} was disabled before this was sent: enable it in Settings → Channels and send again`);
    const channel = registry.forAccount(account);
    if (!channel) {
      const why = account.driver === 'archive'
        ? 'this account was imported from an archive: connect it in Settings → Channels to reply from Parley'
        : `no connector is installed for ${account.driver ?? account.network}`;
      return this.fail(row, 'INVALID_REQUEST', why);
    }

    const { req, target } = await this.buildRequest(msg, row);
    // once the network has the post, nothing may send it again blind: a failure to record it
    // leaves the row ambiguous, so the next attempt asks the network first
    let accepted = false;
    try {
      let result: SendResult | null = null;
      if (row.ambiguous && channel.findSent) result = await channel.findSent(req);
      if (result) accepted = true;
      if (!result) {
        // an incident's statement that was being sent when the incident closed, and is back for
        // another attempt: withdrawn, never published after the close
        const incident = await this.incidentOf(msg);
        if (incident?.status === 'closed') return this.withdraw(row, msg, incident.id);
        // the post it answers was deleted on the network since it was queued (an attempt that
        // failed and came back, or a claim taken just before the deletion): withdrawn, not sent
        // (any reply, when its customer was erased: their handle in its text is "@erased" now)
        const because = target && isErased(target) ? 'customer_erased' : msg.visibility === 'public' && msg.reply_to_message_id != null && target && isDeletedPost(target) ? 'post_deleted' : null;
        if (because) {
          if (!(await withdrawClaimedReply(store, bus, { id: row.id, attempts: row.attempts, lockedBy: this.workerId }, msg, clock.now(), because))) {
            this.deps.log?.warn({ outboxId: row.id, because }, 'outbox claim lost before withdrawing a reply; left to the worker that holds it');
          }
          return;
        }
        // a worker that stalled (a paused process, a slow database) past its lock may have lost
        // the row to another, which may have sent it already: only the holder sends
        if (!(await this.stillHolds(row))) {
          this.deps.log?.warn({ outboxId: row.id }, 'outbox claim lost before sending; left to the worker that holds it');
          return;
        }
        if (msg.visibility === 'private') {
          if (!channel.sendPrivateMessage) return this.fail(row, 'INVALID_REQUEST', `${account.network} has no private messages for this account`);
          result = await channel.sendPrivateMessage(req);
        } else {
          result = await channel.sendPublicReply(req);
        }
        accepted = true;
      }
      // the post the network points at is another reply written here (a network that can only be
      // asked by text, two replies with the same text): whether this one went out cannot be told,
      // and sending again could post it twice, so a person decides
      const other = await this.otherReplyWith(msg, result.networkMessageId);
      if (other != null) {
        return this.fail(row, 'UNCERTAIN', `could not tell whether this reply went out: the ${account.network} post ${result.networkMessageId} with the same text belongs to reply ${other}. Check the conversation on ${account.network} before sending it again`);
      }
      await this.markSent(row, msg, account, result);
      if (account.status === 'unhealthy') await markChannelHealth(store, bus, account, null, clock.now());
    } catch (err) {
      const d = decide(err, row.attempts, clock.now());
      if (accepted) {
        // sent, but not recorded: retried as uncertain (findSent first), never as a fresh send
        this.deps.log?.error({ err, outboxId: row.id }, 'sent, but recording it failed; the next attempt asks the network first');
        return this.retryLater(row, d.action === 'fail' ? clock.now() + 30_000 : d.at, 'TIMEOUT', `sent, but recording it failed (${d.reason}); the next attempt checks the network first`);
      }
      if (d.action === 'fail') return this.fail(row, d.code, d.reason);
      if (d.action === 'unhealthy') await markChannelHealth(store, bus, account, { code: d.code, message: d.reason, advice: d.advice }, clock.now());
      await this.retryLater(row, d.at, d.code, d.reason);
      this.deps.log?.warn({ outboxId: row.id, code: d.code, reason: d.reason }, 'send will be retried');
    }
  }

  /** Renew this worker's claim on a row it is about to send; false when another worker has it (or it is done). */
  private async stillHolds(row: OutboxRow): Promise<boolean> {
    const r = await this.deps.store.db
      .updateTable('outbox')
      .set({ locked_until: (await leaseNow(this.deps.store, this.deps.clock)) + (this.deps.lockMs ?? 120_000) })
      .where('id', '=', row.id)
      .where('status', '=', 'sending')
      .where('locked_by', '=', this.workerId)
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The request to send, and the message it answers (its row, as stored now). */
  private async buildRequest(msg: MessageRow, row: OutboxRow): Promise<{ req: SendRequest; target: MessageRow | undefined }> {
    const { store } = this.deps;
    let inReplyTo: SendRequest['inReplyTo'] = null;
    let recipient: SendRequest['recipient'] = null;
    const parent = msg.reply_to_message_id
      ? await store.db.selectFrom('message').selectAll().where('id', '=', msg.reply_to_message_id).executeTakeFirst()
      : await store.db
          .selectFrom('message')
          .selectAll()
          .where('conversation_id', '=', msg.conversation_id)
          .where('direction', '=', 'inbound')
          // a person's latest message before an automatic one (an out-of-office, a bounce)
          .orderBy('is_auto')
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
    if (parent?.network_message_id) {
      inReplyTo = { networkMessageId: parent.network_message_id, threadRootNetworkId: parent.thread_root_network_id, raw: parent.raw ? safeParse(parent.raw) : undefined };
    }
    const authorId = parent?.author_identity_id;
    if (authorId) {
      const i = await store.db.selectFrom('contact_identity').selectAll().where('id', '=', authorId).executeTakeFirst();
      if (i) recipient = { networkUserId: i.network_user_id, handle: i.handle, displayName: i.display_name };
    }
    const req: SendRequest = { idempotencyKey: row.idempotency_key, text: decodeText(msg.text, msg.text_escaped), visibility: msg.visibility as 'public' | 'private', inReplyTo, recipient, ...(msg.is_auto === 1 ? { automatic: true } : {}) };
    return { req, target: parent };
  }

  /** Another reply written in Parley (not a network echo) already holding this network id, or null. */
  private async otherReplyWith(msg: MessageRow, networkMessageId: string): Promise<number | null> {
    const m = await this.deps.store.db
      .selectFrom('message').select(['id', 'source'])
      .where('brand_id', '=', msg.brand_id).where('network', '=', msg.network).where('network_message_id', '=', networkMessageId)
      .where('id', '!=', msg.id).where('source', 'in', ['agent', 'auto'])
      .executeTakeFirst();
    return m?.id ?? null;
  }

  private async markSent(row: OutboxRow, msg: MessageRow, account: ChannelAccount, result: SendResult): Promise<void> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const sentAt = now;
    let convOut: ConversationJson | null = null;
    let msgOut: MessageRow | null = null;
    await store.db.transaction().execute(async (trx) => {
      // The network may have echoed our post back before we learned its id (a
      // webhook or poll can be faster than the API response): keep ours, drop the echo.
      const echo = await trx
        .selectFrom('message')
        .select(['id', 'source'])
        .where('brand_id', '=', msg.brand_id)
        .where('network', '=', msg.network)
        .where('network_message_id', '=', result.networkMessageId)
        .executeTakeFirst();
      // only a copy the network delivered is an echo; another reply written here is never deleted
      if (echo && echo.id !== msg.id && echo.source !== 'agent' && echo.source !== 'auto') {
        await retractFactsOfMessage(trx, store, echo.id);
        await trx.deleteFrom('message').where('id', '=', echo.id).execute();
      }
      await trx.updateTable('outbox').set({ status: 'sent', network_message_id: result.networkMessageId, sent_at: sentAt, locked_until: null, last_error: null, last_error_code: null, updated_at: now }).where('id', '=', row.id).execute();
      await trx.updateTable('message').set({ status: 'sent', network_message_id: result.networkMessageId, url: result.url ?? null, error: null, raw: result.raw === undefined ? msg.raw : JSON.stringify(result.raw) }).where('id', '=', msg.id).execute();

      const conv = await trx.selectFrom('conversation').selectAll().where('id', '=', msg.conversation_id).executeTakeFirstOrThrow();
      const r = applyMessage(stateOf(conv), { direction: 'outbound', createdAt: sentAt, isAuto: msg.is_auto === 1 });
      await trx.updateTable('conversation').set({ ...stateColumns(r.state), updated_at: now, version: sql<number>`version + 1` }).where('id', '=', conv.id).execute();
      const tz = (await trx.selectFrom('brand').select('timezone').where('id', '=', msg.brand_id).executeTakeFirst())?.timezone ?? 'UTC';
      const biz = this.deps.businessSeconds ? (a: number, b: number) => this.deps.businessSeconds!(account, a, b) : null;
      const dims = {
        brandId: msg.brand_id, timezone: tz, conversationId: conv.id, messageId: msg.id, agentId: msg.author_user_id, teamId: conv.team_id,
        channelAccountId: account.id, network: msg.network, visibility: msg.visibility, priority: conv.priority, category: conv.category,
      };
      // a wait that began on a backfilled message is measured from when the desk first saw it (as its SLA clock)
      const facts = r.facts.map((f) => factRow(dims, f.kind, f.occurredAt, f.kind === 'first_response' || f.kind === 'next_response' ? countsFromDesk(conv, f.from, f.to) : f.from, f.to, biz));
      if (msg.reply_to_message_id && msg.is_auto !== 1) {
        const parent = await trx.selectFrom('message').select(['id', 'direction', 'created_at', 'first_reply_at', 'triage_action', 'triage_category', 'sentiment']).where('id', '=', msg.reply_to_message_id).executeTakeFirst();
        if (parent && parent.direction === 'inbound' && parent.first_reply_at == null) {
          await trx.updateTable('message').set({ first_reply_at: sentAt }).where('id', '=', parent.id).execute();
          // the answered message's triage, as ingest files a reply seen on the network (untriaged: null, never guessed)
          const triaged = { needsResponse: parent.triage_action == null ? null : parent.triage_action === 'respond', sentiment: parent.sentiment, category: parent.triage_category ?? conv.category };
          facts.push(factRow({ ...dims, ...triaged, messageId: parent.id }, 'message_response', sentAt, countsFromDesk(conv, parent.created_at, sentAt), sentAt, biz));
        }
      }
      await writeFacts(trx, store, facts);
      await audit(trx, { brandId: msg.brand_id, actor: 'system:outbox', action: 'reply.sent', subjectType: 'message', subjectId: msg.id, conversationId: conv.id, data: { networkMessageId: result.networkMessageId, url: result.url ?? null, attempts: row.attempts } }, now);
      msgOut = await trx.selectFrom('message').selectAll().where('id', '=', msg.id).executeTakeFirstOrThrow();
      // with its contact summary: a row that moves into a loaded inbox list still shows its customer
      // (read here, not after commit: nothing may fail between the commit and the events, or the send would be retried)
      convOut = await presentListedConversation(trx, await trx.selectFrom('conversation').selectAll().where('id', '=', conv.id).executeTakeFirstOrThrow());
    });
    bus.publish(msg.brand_id, 'message.updated', presentMessage(msgOut!));
    bus.publish(msg.brand_id, 'conversation.updated', convOut!);
    await this.deps.afterSent?.(msg.brand_id, msg.conversation_id);
  }

  private async retryLater(row: OutboxRow, at: number, code: string, reason: string): Promise<void> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('outbox').set({ status: 'queued', next_attempt_at: at, locked_until: null, last_error_code: code, last_error: reason, updated_at: now }).where('id', '=', row.id).execute();
      await trx.updateTable('message').set({ status: 'queued', error: `${code}: ${reason} — retrying at ${new Date(at).toISOString()}` }).where('id', '=', row.message_id).execute();
    });
    const m = await store.db.selectFrom('message').selectAll().where('id', '=', row.message_id).executeTakeFirst();
    if (m) await this.publishMessage(m);
  }

  /** The incident a message is the public statement of (a post in its conversation), if any. */
  private async incidentOf(msg: MessageRow): Promise<{ id: number; status: string } | null> {
    if (msg.kind !== 'post') return null;
    const r = await this.deps.store.db
      .selectFrom('conversation')
      .innerJoin('incident', 'incident.id', 'conversation.incident_id')
      .select(['incident.id as id', 'incident.status as status'])
      .where('conversation.id', '=', msg.conversation_id)
      .executeTakeFirst();
    return r ?? null;
  }

  private async withdraw(row: OutboxRow, msg: MessageRow, incidentId: number): Promise<void> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('outbox').set({ status: 'withdrawn', locked_until: null, last_error_code: 'WITHDRAWN', last_error: 'the incident was closed', updated_at: now }).where('id', '=', row.id).execute();
      await trx.updateTable('message').set({ status: 'withdrawn', error: 'withdrawn: the incident was closed' }).where('id', '=', msg.id).execute();
      await audit(trx, { brandId: msg.brand_id, actor: 'system:outbox', action: 'incident.statement_withdrawn', subjectType: 'incident', subjectId: incidentId, conversationId: msg.conversation_id, data: { messageId: msg.id, was: 'sending', reason: 'incident closed' } }, now);
    });
    const m = await store.db.selectFrom('message').selectAll().where('id', '=', msg.id).executeTakeFirst();
    if (m) await this.publishMessage(m);
  }

  /**
   * Tell open pages that a reply changed (`message.updated`): the whole brand gets its error
   * summarized (src/outbox/replyError.ts); its admins then get it with the network's words,
   * which replace the summary on their pages.
   */
  private async publishMessage(m: MessageRow): Promise<void> {
    const { store, bus } = this.deps;
    if (m.error == null) bus.publish(m.brand_id, 'message.updated', presentMessage(m));
    else await publishWithAdminDetail(store, bus, m.brand_id, 'message.updated', presentMessage(m), presentMessage(m, undefined, undefined, 'detail'));
  }

  private async fail(row: OutboxRow, code: string, reason: string): Promise<void> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('outbox').set({ status: 'failed', locked_until: null, last_error_code: code, last_error: reason, updated_at: now }).where('id', '=', row.id).execute();
      await trx.updateTable('message').set({ status: 'failed', error: `${code}: ${reason}` }).where('id', '=', row.message_id).execute();
      const m = await trx.selectFrom('message').select(['conversation_id']).where('id', '=', row.message_id).executeTakeFirst();
      // approvers read the audit trail too: the summary of the error, not the network's words (admins see those on the reply)
      await audit(trx, { brandId: row.brand_id, actor: 'system:outbox', action: 'reply.failed', subjectType: 'message', subjectId: row.message_id, conversationId: m?.conversation_id ?? null, data: { code, reason: summarizeReplyError(`${code}: ${reason}`) } }, now);
    });
    const m = await store.db.selectFrom('message').selectAll().where('id', '=', row.message_id).executeTakeFirst();
    if (m) await this.publishMessage(m);
  }
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
