/**
 * Deletions from the networks: a customer deleted their post, comment or message, and the
 * network told us (X `tweet_delete_events`, a Facebook `feed` change with `verb: "remove"`).
 * The stored message is redacted (src/store/redact.ts): its content goes, its row stays for
 * threading and reports. A deletion for a message never stored is no error: a tombstone
 * keeps the post out should it still arrive (webhooks do not keep order). Runs under the
 * brand's ingest lock, so a batch storing the same post either commits first (and is then
 * redacted) or sees the tombstone.
 *
 * A post the brand deleted through moderation (src/commands/moderation.ts) comes back the
 * same way, as the network's notice that it is gone. Who deleted it (`deletionReason`):
 *  - the brand (`deleted_by_brand`) when the network confirmed Parley's delete (done), or the
 *    request is still in flight (pending: the notice can arrive before the answer is recorded);
 *  - nobody we can name (`deleted`) when Parley's delete went unanswered (unknown: it timed
 *    out, or the desk stopped mid-call): the network may have done it, or the author may have
 *    deleted the post first; the notice does not say which, so the label does not either;
 *  - its author (`deleted_by_author`) otherwise, a delete the network refused (failed) included.
 *
 * Public replies still waiting to go out in reply to a deleted message (queued, or waiting for
 * sign-off) are withdrawn in the same transaction, audited and their authors told
 * (src/outbox/deletedPost.ts): nothing is sent in reply to a post after its deletion committed.
 *
 * Hidden, not deleted (`applyNetworkVisibility`): the check for deleted posts also learns of posts
 * the network keeps but shows to no one — a remote Mastodon author suspended by the brand's
 * instance or with their whole server, a Bluesky account taken down, suspended or deactivated, an
 * Instagram comment hidden or gone with its media — or to hardly anyone: a Mastodon author the
 * instance limits (alone or with their server), a Bluesky post taken down on its own. The brand's
 * own block or mute of an author is not among them (the post is still public: nothing is marked). Such a message keeps its content and gets
 * `network_hidden_at` / `network_hidden_reason`, so agents see that a public reply would answer
 * into nothing; a later check that finds it shown again clears them. Each change (hidden, a new
 * reason, shown again) is audited once; a re-check that finds the same state writes nothing.
 */
import type { NetworkHiddenReason } from '../channels/types.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { publishWithdrawn, withdrawRepliesToDeleted } from '../outbox/deletedPost.js';
import { presentIdentity, presentMessage } from '../server/presenters.js';
import type { Store } from '../store/db.js';
import { audit } from '../store/audit.js';
import { addTombstone, redactMessages, type RedactionReason } from '../store/redact.js';
import { inLists, inValues, lockBrand } from '../store/util.js';

export interface NetworkDeletionBatch {
  brandId: number;
  network: string;
  /** The network ids of the deleted items. */
  networkMessageIds: readonly string[];
  /** Audit actor, e.g. `system:webhook:x`. */
  actor: string;
}

/** What the brand's own delete requests for a post say about who deleted it (see the header). */
export function deletionReason(deleteStatuses: readonly string[]): RedactionReason {
  if (deleteStatuses.some((s) => s === 'done' || s === 'pending')) return 'deleted_by_brand';
  if (deleteStatuses.includes('unknown')) return 'deleted';
  return 'deleted_by_author';
}

/**
 * Redact what is stored, tombstone what is not; withdraw the replies waiting to answer what is
 * stored (already redacted or not: idempotent); announce the redacted messages and the
 * withdrawn replies.
 */
export async function applyNetworkDeletions(deps: { store: Store; bus: EventBus; clock: Clock }, d: NetworkDeletionBatch): Promise<{ redacted: number[]; tombstoned: number; withdrawnReplies: number[] }> {
  const { store, bus, clock } = deps;
  const ids = [...new Set(d.networkMessageIds.filter((id) => id !== ''))];
  if (!ids.length) return { redacted: [], tombstoned: 0, withdrawnReplies: [] };
  const now = clock.now();
  const done = await store.db.transaction().execute(async (trx) => {
    await lockBrand(trx, store, d.brandId);
    const found = new Map<string, number>();
    for (const part of inLists(ids)) {
      const rows = await trx.selectFrom('message').select(['id', 'network_message_id']).where('brand_id', '=', d.brandId).where('network', '=', d.network).where(inValues(store, 'network_message_id', part, 'text')).execute();
      for (const r of rows) found.set(r.network_message_id!, Number(r.id));
    }
    let tombstoned = 0;
    for (const id of ids) {
      if (found.has(id)) continue;
      await addTombstone(trx, { brandId: d.brandId, network: d.network, networkMessageId: id, reason: 'deleted_by_author', now });
      tombstoned++;
    }
    const stored = [...found.values()];
    const deletes = new Map<number, string[]>();
    for (const part of inLists(stored)) {
      const rows = await trx.selectFrom('moderation_action').select(['message_id', 'status']).where('brand_id', '=', d.brandId).where('action', '=', 'delete')
        .where(inValues(store, 'message_id', part, 'bigint')).execute();
      for (const r of rows) deletes.set(Number(r.message_id), [...(deletes.get(Number(r.message_id)) ?? []), r.status]);
    }
    const byReason = new Map<RedactionReason, number[]>();
    for (const id of stored) {
      const reason = deletionReason(deletes.get(id) ?? []);
      byReason.set(reason, [...(byReason.get(reason) ?? []), id]);
    }
    const redacted: number[] = [];
    for (const [reason, messageIds] of byReason) {
      redacted.push(...(await redactMessages(trx, store, { brandId: d.brandId, messageIds, reason, actor: d.actor, now })).redacted);
    }
    const withdrawn = await withdrawRepliesToDeleted(trx, store, { brandId: d.brandId, messageIds: stored, actor: d.actor, now });
    return { redacted, tombstoned, withdrawn };
  });
  await publishRedacted(deps, d.brandId, done.redacted);
  publishWithdrawn(bus, d.brandId, done.withdrawn);
  return { redacted: done.redacted, tombstoned: done.tombstoned, withdrawnReplies: done.withdrawn.messages.map((m) => m.id) };
}

export interface NetworkVisibilityBatch {
  brandId: number;
  network: string;
  /** The account whose check this is (network ids are only unique per instance on Mastodon); all the brand's on `network` when absent. */
  channelAccountId?: number;
  /** Network ids of posts the network keeps but does not show, and why. */
  hidden: ReadonlyMap<string, NetworkHiddenReason>;
  /** Network ids of posts it shows (clears a hidden state). */
  shown: readonly string[];
  /** Audit actor, e.g. `system:sync:mastodon`. */
  actor: string;
}

/**
 * Record what a presence check found (see the header): mark the stored, unredacted messages the
 * network hides (a new reason replaces the old one and restarts `since`), clear those it shows
 * again. Each row changes under a condition on its previous state, so two processes checking at
 * once audit a change once. Announces the changed messages. Returns their ids.
 * A comment hidden by the brand's own moderation in Parley (its latest hide/unhide is a hide,
 * done, in flight or unanswered) is not marked `hidden_comment`: the network reports that hide
 * the same way as its own filters', and the thread already shows the brand's hide.
 */
export async function applyNetworkVisibility(deps: { store: Store; bus: EventBus; clock: Clock }, d: NetworkVisibilityBatch): Promise<{ hidden: number[]; shown: number[] }> {
  const { store, clock } = deps;
  const now = clock.now();
  const done = await store.db.transaction().execute(async (trx) => {
    const rows = async (ids: string[], hiddenOnly = false) => {
      const out: { id: number; conversation_id: number; network_message_id: string; network_hidden_reason: string | null }[] = [];
      for (const part of inLists(ids)) {
        let q = trx.selectFrom('message').select(['id', 'conversation_id', 'network_message_id', 'network_hidden_reason'])
          .where('brand_id', '=', d.brandId).where('network', '=', d.network).where('direction', '=', 'inbound').where('redacted_at', 'is', null)
          .where(inValues(store, 'network_message_id', part, 'text'));
        if (d.channelAccountId !== undefined) q = q.where('channel_account_id', '=', d.channelAccountId);
        // the posts shown: only those marked hidden change (most are not, and are not read)
        if (hiddenOnly) q = q.where('network_hidden_reason', 'is not', null);
        const r = await q.execute();
        out.push(...r.map((m) => ({ id: Number(m.id), conversation_id: Number(m.conversation_id), network_message_id: m.network_message_id!, network_hidden_reason: m.network_hidden_reason ?? null })));
      }
      return out;
    };
    const candidates = await rows([...d.hidden.keys()]);
    const hiddenByBrand = new Set<number>();
    const commentIds = candidates.filter((m) => d.hidden.get(m.network_message_id) === 'hidden_comment').map((m) => m.id);
    for (const part of inLists(commentIds)) {
      const acts = await trx.selectFrom('moderation_action').select(['message_id', 'action']).where('brand_id', '=', d.brandId).where('action', 'in', ['hide', 'unhide'])
        .where('status', 'in', ['done', 'pending', 'unknown']).where(inValues(store, 'message_id', part, 'bigint')).orderBy('id').execute();
      const last = new Map<number, string>();
      for (const a of acts) last.set(Number(a.message_id), a.action);
      for (const [id, action] of last) if (action === 'hide') hiddenByBrand.add(id);
    }
    const hidden: number[] = [];
    for (const m of candidates) {
      const reason = d.hidden.get(m.network_message_id)!;
      if (m.network_hidden_reason === reason || hiddenByBrand.has(m.id)) continue;
      let q = trx.updateTable('message').set({ network_hidden_at: now, network_hidden_reason: reason }).where('id', '=', m.id);
      q = m.network_hidden_reason === null ? q.where('network_hidden_reason', 'is', null) : q.where('network_hidden_reason', '=', m.network_hidden_reason);
      if (Number((await q.executeTakeFirst()).numUpdatedRows) !== 1) continue;
      await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'message.network_hidden', subjectType: 'message', subjectId: m.id, conversationId: m.conversation_id, data: { reason, ...(m.network_hidden_reason ? { was: m.network_hidden_reason } : {}) } }, now);
      hidden.push(m.id);
    }
    const shown: number[] = [];
    for (const m of await rows([...new Set(d.shown)], true)) {
      const r = await trx.updateTable('message').set({ network_hidden_at: null, network_hidden_reason: null }).where('id', '=', m.id).where('network_hidden_reason', '=', m.network_hidden_reason).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'message.network_shown', subjectType: 'message', subjectId: m.id, conversationId: m.conversation_id, data: { was: m.network_hidden_reason } }, now);
      shown.push(m.id);
    }
    return { hidden, shown };
  });
  await publishRedacted(deps, d.brandId, [...done.hidden, ...done.shown]);
  return done;
}

/** Live `message.updated` events for redacted messages, or ones hidden or shown again (author kept, so the view still shows who). */
export async function publishRedacted(deps: { store: Store; bus: EventBus }, brandId: number, messageIds: readonly number[]): Promise<void> {
  for (const part of inLists([...messageIds])) {
    const rows = await deps.store.db.selectFrom('message').selectAll().where(inValues(deps.store, 'id', part, 'bigint')).execute();
    const seen = new Set<number>();
    for (const m of rows) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      const ident = m.author_identity_id ? await deps.store.db.selectFrom('contact_identity').selectAll().where('id', '=', m.author_identity_id).executeTakeFirst() : null;
      deps.bus.publish(brandId, 'message.updated', presentMessage(m, ident ? presentIdentity(ident) : null));
    }
  }
}
