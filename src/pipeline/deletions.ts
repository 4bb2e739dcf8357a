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
 *  - its author (`deleted_by_author`) otherwise, a delete the network refused (failed) included —
 *    except on a network whose "gone" cannot name its author (`GONE_MEANS`: Mastodon, where a
 *    moderator's removal reads the same; Instagram, where a block or restriction made in the app
 *    does): `deleted_or_removed` there.
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
 * own block or mute of an author is not among them (the post is still public: nothing is marked; where a block or restriction takes the post away, see below). Such a message keeps its content and gets
 * `network_hidden_at` / `network_hidden_reason`, so agents see that a public reply would answer
 * into nothing; a later check that finds it shown again clears them. Each change (hidden, a new
 * reason, shown again) is audited once; a re-check that finds the same state writes nothing.
 *
 * The brand's own reply removed (deleted on the network outside Parley, or hidden by it) that
 * leaves the customer without an answer makes the conversation need a response again, and stops
 * counting as the answer in the reports: its response facts are withdrawn (`withdrawAnswer`,
 * docs/metrics.md "A removed reply is not an answer"), and kept (`withdrawn_answer`). Hidden and
 * shown again with nothing answering the customer meanwhile, it is the answer again: those facts
 * come back as they were and the wait its removal began ends (`replyShown`, "A reply shown again is
 * the answer again"). Deleted for good, it never comes back.
 *
 * Gone because the brand moderated its author (`AUTHOR_MODERATION_REMOVES`): on a network where
 * the brand's own block or restriction of a person takes that person's posts away from the
 * brand's account (Instagram: a block removes their comments from the account's posts, a
 * restriction holds them back until approved; Graph then reads both exactly as a deletion,
 * 100/33: src/channels/instagram/gone.ts), a post reported gone whose author Parley has on record
 * as blocked or restricted on that same account (a `moderation_action` block/restrict of the
 * post's author identity, through a post of that account, done or still in flight, recorded at or
 * after the post was written, or still in force now) is not its author's deletion:
 *  - it is not redacted. Redaction honours the author withdrawing what they wrote (the networks'
 *    terms); a block or restriction is the brand's act, the author withdrew nothing, and the text
 *    is the evidence the moderation record cites. The text is kept like any other stored post (a
 *    person's erasure still removes it). A post the brand also deleted itself is the brand's
 *    deletion (`deleted_by_brand`, redacted) as before;
 *  - it is marked network-hidden instead, `author_blocked` or `author_restricted` (a block over a
 *    restriction), audited `message.network_hidden` with the moderation action that explains it;
 *    a later check that reads the post again (a restricted author's comment approved) clears the
 *    mark as for any hidden post;
 *  - replies waiting to answer a blocked author's removed comment are withdrawn as for a deletion
 *    (nothing can answer it any more); a restricted author's comment is held, not gone, and the
 *    replies to it are left waiting (the mark tells the agent).
 * A post whose author was blocked, unblocked, and only then wrote it is not explained by that
 * block: its disappearance is its author's deletion as before. A moderation that failed (the
 * network refused) or went unanswered (`unknown`: nobody knows it happened) explains nothing.
 */
import { sql } from 'kysely';
import { INSTAGRAM_AUTHOR_MODERATION, INSTAGRAM_GONE_MEANS } from '../channels/instagram/gone.js';
import { MASTODON_GONE_MEANS } from '../channels/mastodon/moderation.js';
import type { NetworkHiddenReason } from '../channels/types.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { publishWithdrawn, withdrawRepliesToDeleted } from '../outbox/deletedPost.js';
import { presentIdentity, presentMessage } from '../server/presenters.js';
import type { Store } from '../store/db.js';
import { audit } from '../store/audit.js';
import { presentListedConversation } from '../store/queries.js';
import { addTombstone, redactMessages, type RedactionReason } from '../store/redact.js';
import { restoreFacts, withdrawFacts, type Fact } from '../store/rollup.js';
import { inLists, inValues, lockBrand, type Tx } from '../store/util.js';

/**
 * The mark for one of the brand's own replies gone from the network outside Parley (see the header):
 * stored in `network_hidden_reason` like the networks' reasons, only ever on an outbound message.
 */
export const OUTBOUND_DELETED = 'deleted_on_network' as const;
/** Why a stored message is marked hidden or removed: the networks' reasons, and `OUTBOUND_DELETED` for the brand's own reply. */
export type MessageHiddenReason = NetworkHiddenReason | typeof OUTBOUND_DELETED;

/** Audit reason of a conversation that needs a response again because its reply was removed. */
const REPLY_REMOVED = 'reply_removed_by_network';

/**
 * The brand's reply `messageId` was removed from (or hidden on) the network: audit it on its
 * conversation and, when it was what answered the customer, make the conversation need a response
 * again (see the header). Returns the conversation id when the conversation changed.
 */
async function replyRemoved(
  trx: Tx,
  store: Store,
  d: { brandId: number; actor: string; now: number },
  m: { id: number; conversationId: number; isAuto: boolean },
  reason: MessageHiddenReason,
): Promise<number | null> {
  const conv = await trx.selectFrom('conversation').selectAll().where('id', '=', m.conversationId).executeTakeFirst();
  if (!conv) return null;
  const entry = (data: Record<string, unknown>) =>
    audit(trx, { brandId: d.brandId, actor: d.actor, action: 'conversation.reply_removed', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { messageId: m.id, reason, ...data } }, d.now);
  const lastInbound = conv.last_inbound_at == null ? null : Number(conv.last_inbound_at);
  // an auto-acknowledgement answered nothing; a brand-started thread awaits nothing; a resolved one
  // was closed by someone; a reply gone with the comment it answered has nothing left to answer
  if (m.isAuto || lastInbound === null || conv.status === 'resolved' || reason === 'parent_removed') {
    await entry({ needsResponse: false });
    return null;
  }
  // another reply still shown since the customer last wrote still answers them
  const other = await trx.selectFrom('message').select('id').where('conversation_id', '=', conv.id).where('direction', '=', 'outbound').where('status', '=', 'sent')
    .where('is_auto', '=', 0).where('id', '!=', m.id).where('redacted_at', 'is', null).where('network_hidden_at', 'is', null).where('created_at', '>=', lastInbound).limit(1).executeTakeFirst();
  // already awaiting a reply (a later customer message, or this reply did not answer the wait)
  const waiting = conv.waiting_since != null && conv.status !== 'waiting';
  if (other || waiting) {
    await entry({ needsResponse: false });
    return null;
  }
  const status = conv.status === 'waiting' ? 'open' : conv.status;
  const waitingSince = conv.waiting_since == null ? d.now : Number(conv.waiting_since);
  let q = trx.updateTable('conversation').set({ status, waiting_since: waitingSince, snoozed_until: null, updated_at: d.now, version: sql<number>`version + 1` })
    .where('id', '=', conv.id).where('status', '=', conv.status);
  q = conv.waiting_since == null ? q.where('waiting_since', 'is', null) : q.where('waiting_since', '=', conv.waiting_since);
  if (Number((await q.executeTakeFirst()).numUpdatedRows) !== 1) {
    await entry({ needsResponse: false });
    return null;
  }
  const w = await withdrawAnswer(trx, store, conv.id, m.id);
  const withdrawn = [...new Set(w.facts.map((f) => f.kind))].sort();
  // kept for the reply shown again (`replyShown`): what it counted, and the answer as it stood
  const state: WithdrawnState = {
    status: conv.status, waitingSince, lastInboundAt: lastInbound, cycleStartedAt: Number(conv.cycle_started_at),
    firstResponseAt: conv.first_response_at == null ? null : Number(conv.first_response_at),
    cycleFirstResponseAt: conv.cycle_first_response_at == null ? null : Number(conv.cycle_first_response_at),
    parent: w.parent,
  };
  await trx.insertInto('withdrawn_answer').values({ brand_id: d.brandId, conversation_id: conv.id, message_id: m.id, withdrawn_at: d.now, facts: JSON.stringify(w.facts), state: JSON.stringify(state), settled_at: null, outcome: null }).execute();
  await entry({ needsResponse: true, waitingSince, ...(withdrawn.length ? { withdrawnFacts: withdrawn } : {}) });
  if (status !== conv.status) {
    await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'conversation.status', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { from: conv.status, to: status, snoozeUntil: null, reason: REPLY_REMOVED, messageId: m.id } }, d.now);
  }
  return conv.id;
}

/** The response facts a reply writes (src/outbox/outbox.ts, src/pipeline/ingest.ts): on the reply itself, and on the message it answered. */
const REPLY_RESPONSE_KINDS = ['first_response', 'next_response'] as const;
const ANSWERED_KINDS = ['message_response', 'message_answered'] as const;

/**
 * A removed reply that answered the customer no longer counts as the answer in the reports
 * (docs/metrics.md, "A removed reply is not an answer"): its `first_response` / `next_response`
 * fact, and the `message_response` of the message it answered with that message's
 * `message_answered` twin, are withdrawn from the facts and their rollups; the answered message
 * is unanswered again (`first_reply_at` cleared) and, when the reply was the cycle's first
 * response, so is the cycle (`cycle_first_response_at`, and `first_response_at` when it was the
 * conversation's first). The next real reply is then the answer, through the writers' usual
 * rules: the cycle's `first_response` (or a `next_response`), measured from the wait as the desk
 * and its SLA clock count it — from the removal (`waiting_since`): the team answered in time and
 * the removal was not theirs — and the answered message's `message_response` and its
 * `message_answered`, measured from the customer's message itself. Kept: the reply's `handling`
 * (the work was done) and the `sla_met` of the clock it stopped (the SLA engine still holds that
 * clock met; the wait after the removal has its own clock). Only what this reply counted goes:
 * another reply's facts are untouched, and a second delivery of the removal finds nothing left to
 * withdraw (the rows are deleted, and uncounted only by the statement that deleted them).
 * Returns the facts withdrawn (as they were) and the answered message it unanswered.
 */
async function withdrawAnswer(trx: Tx, store: Store, conversationId: number, messageId: number): Promise<{ facts: Fact[]; parent: { id: number; firstReplyAt: number } | null }> {
  const reply = await trx.selectFrom('message').leftJoin('outbox', 'outbox.message_id', 'message.id')
    .select(['message.reply_to_message_id', 'message.created_at', 'outbox.sent_at']).where('message.id', '=', messageId).executeTakeFirst();
  if (!reply) return { facts: [], parent: null };
  let parent: { id: number; firstReplyAt: number } | null = null;
  // when the reply went out, as its facts and the answered message's first_reply_at have it: sent by the outbox, or written (seen on the network)
  const at = Number(reply.sent_at ?? reply.created_at);
  const ids: number[] = [];
  const own = await trx.selectFrom('reporting_fact').select(['id', 'kind', 'occurred_at']).where('conversation_id', '=', conversationId).where('message_id', '=', messageId)
    .where('kind', 'in', [...REPLY_RESPONSE_KINDS]).execute();
  ids.push(...own.map((f) => Number(f.id)));
  if (reply.reply_to_message_id != null) {
    const parentId = Number(reply.reply_to_message_id);
    // only when this reply was the message's first reply (another, earlier one keeps answering it)
    const cleared = await trx.updateTable('message').set({ first_reply_at: null }).where('id', '=', parentId).where('direction', '=', 'inbound').where('first_reply_at', '=', at).executeTakeFirst();
    if (Number(cleared.numUpdatedRows) === 1) {
      parent = { id: parentId, firstReplyAt: at };
      const rows = await trx.selectFrom('reporting_fact').select(['id', 'kind', 'occurred_at']).where('conversation_id', '=', conversationId).where('message_id', '=', parentId)
        .where('kind', 'in', [...ANSWERED_KINDS]).orderBy('id').execute();
      const responses = rows.filter((f) => f.kind === 'message_response' && Number(f.occurred_at) === at);
      // one twin per response withdrawn
      const twins = rows.filter((f) => f.kind === 'message_answered').slice(0, responses.length);
      ids.push(...responses.map((f) => Number(f.id)), ...twins.map((f) => Number(f.id)));
    }
  }
  const gone = await withdrawFacts(trx, store, ids);
  const first = gone.find((f) => f.kind === 'first_response');
  if (first) {
    // the cycle has no first response any more: the next real reply is it
    const firstAt = Number(first.occurred_at);
    await trx.updateTable('conversation').set({ cycle_first_response_at: null }).where('id', '=', conversationId).where('cycle_first_response_at', '=', firstAt).execute();
    await trx.updateTable('conversation').set({ first_response_at: null }).where('id', '=', conversationId).where('first_response_at', '=', firstAt).execute();
  }
  return { facts: gone, parent };
}

/** The conversation's answer as it stood when a removed reply's facts were withdrawn (`withdrawn_answer.state`), and the wait the removal began. */
interface WithdrawnState {
  status: string;
  /** The wait the removal began (`waiting_since` from then). */
  waitingSince: number;
  lastInboundAt: number;
  cycleStartedAt: number;
  firstResponseAt: number | null;
  cycleFirstResponseAt: number | null;
  /** The answered message the withdrawal unanswered, and its `first_reply_at` before. */
  parent: { id: number; firstReplyAt: number } | null;
}

/** Audit reason of a conversation answered again because its reply was shown again. */
const REPLY_RESTORED = 'reply_shown_again_by_network';

/**
 * The brand's reply `m`, hidden by the network, is shown again (docs/metrics.md "A reply shown
 * again is the answer again"). Its withdrawal still open (`withdrawn_answer`, settled here once):
 *  - nothing answered the customer since (no response fact since the withdrawal): the reply is
 *    the answer again. Its withdrawn facts come back exactly as they were (`restoreFacts`: same
 *    times, values, agent and team, into the same rollups); the answered message is answered again
 *    at the reply's time, unless another reply answered it meanwhile (then its response stays
 *    withdrawn); the conversation's first and cycle first response come back where still unset in
 *    the same cycle; the wait the removal began ends — the customer is answered (status back to
 *    `waiting` when the removal had taken it from there), or, when they wrote again since, waits
 *    from their first message after the reply, as if it had never gone. Audited
 *    `conversation.reply_restored` (the SLA timeline then forgets the removal's wait);
 *  - another reply answered since: that reply is the answer and keeps its facts (the desk answered
 *    the wait the removal made, its SLA clock was met or breached on that answer and announced);
 *    the shown reply gets nothing back, audited `conversation.reply_shown` with `restored: false`.
 * Returns the conversation id when it changed.
 */
async function replyShown(trx: Tx, store: Store, d: { brandId: number; actor: string; now: number }, m: { id: number; conversationId: number }): Promise<number | null> {
  const w = await trx.selectFrom('withdrawn_answer').selectAll().where('message_id', '=', m.id).where('settled_at', 'is', null).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!w) return null;
  const conv = await trx.selectFrom('conversation').selectAll().where('id', '=', m.conversationId).executeTakeFirst();
  if (!conv) return null;
  const withdrawnAt = Number(w.withdrawn_at);
  // the response facts another reply counted since the withdrawal: that reply answered the wait
  const since = await trx.selectFrom('reporting_fact').select('id').where('brand_id', '=', d.brandId).where('conversation_id', '=', conv.id).where('kind', 'in', [...REPLY_RESPONSE_KINDS])
    .where('occurred_at', '>=', withdrawnAt).where('message_id', '!=', m.id).limit(1).executeTakeFirst();
  const outcome = since ? 'answered_since' : 'restored';
  // settled once: a second delivery of the same check (or two at once) restores nothing more
  const settled = await trx.updateTable('withdrawn_answer').set({ settled_at: d.now, outcome }).where('id', '=', w.id).where('settled_at', 'is', null).executeTakeFirst();
  if (Number(settled.numUpdatedRows) !== 1) return null;
  const entry = (action: string, data: Record<string, unknown>) =>
    audit(trx, { brandId: d.brandId, actor: d.actor, action, subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { messageId: m.id, ...data } }, d.now);
  if (since) {
    await entry('conversation.reply_shown', { restored: false, reason: outcome });
    return null;
  }
  const st = JSON.parse(w.state) as WithdrawnState;
  let facts = JSON.parse(w.facts) as Fact[];
  if (st.parent) {
    const p = st.parent;
    const answered = await trx.updateTable('message').set({ first_reply_at: p.firstReplyAt }).where('id', '=', p.id).where('first_reply_at', 'is', null).executeTakeFirst();
    // answered meanwhile by another reply: that reply's response stands
    if (Number(answered.numUpdatedRows) !== 1) facts = facts.filter((f) => !(ANSWERED_KINDS as readonly string[]).includes(f.kind) || Number(f.message_id) !== p.id);
  }
  await restoreFacts(trx, store, facts);
  if (facts.some((f) => f.kind === 'first_response')) {
    if (st.firstResponseAt !== null) await trx.updateTable('conversation').set({ first_response_at: st.firstResponseAt }).where('id', '=', conv.id).where('first_response_at', 'is', null).execute();
    if (st.cycleFirstResponseAt !== null) {
      await trx.updateTable('conversation').set({ cycle_first_response_at: st.cycleFirstResponseAt }).where('id', '=', conv.id).where('cycle_first_response_at', 'is', null)
        .where('cycle_started_at', '=', st.cycleStartedAt).execute();
    }
  }
  // the wait the removal began ends (unless the conversation moved on: resolved, or a new cycle)
  let needsResponse = conv.waiting_since != null;
  let status = conv.status;
  let bumped = false;
  if (conv.waiting_since != null && Number(conv.waiting_since) === st.waitingSince && conv.status !== 'resolved' && Number(conv.cycle_started_at) === st.cycleStartedAt) {
    const lastInbound = conv.last_inbound_at == null ? null : Number(conv.last_inbound_at);
    // the customer wrote again since: they wait from their first message after the reply's answer
    const next = lastInbound !== null && lastInbound > st.lastInboundAt
      ? await trx.selectFrom('message').select((eb) => eb.fn.min<number>('created_at').as('at')).where('conversation_id', '=', conv.id).where('direction', '=', 'inbound').where('created_at', '>', st.lastInboundAt).executeTakeFirst()
      : undefined;
    const waitingSince = next?.at == null ? null : Number(next.at);
    status = waitingSince === null && st.status === 'waiting' && conv.status === 'open' ? 'waiting' : conv.status;
    const r = await trx.updateTable('conversation').set({ status, waiting_since: waitingSince, updated_at: d.now, version: sql<number>`version + 1` })
      .where('id', '=', conv.id).where('status', '=', conv.status).where('waiting_since', '=', conv.waiting_since).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) {
      needsResponse = waitingSince !== null;
      bumped = true;
    } else status = conv.status;
  }
  // a new version either way: the SLA timeline carried in the row (stamped with its version) is read afresh
  if (!bumped) await trx.updateTable('conversation').set({ updated_at: d.now, version: sql<number>`version + 1` }).where('id', '=', conv.id).execute();
  const restored = [...new Set(facts.map((f) => f.kind))].sort();
  await entry('conversation.reply_restored', { needsResponse, ...(restored.length ? { restoredFacts: restored } : {}) });
  if (status !== conv.status) {
    await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'conversation.status', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { from: conv.status, to: status, snoozeUntil: null, reason: REPLY_RESTORED, messageId: m.id } }, d.now);
  }
  return conv.id;
}

/**
 * Live `conversation.updated` events for conversations a removed reply made need a response again
 * (`conversation.reply_removed`), or a reply shown again answered again (`conversation.reply_restored`).
 */
async function publishConversations(deps: { store: Store; bus: EventBus }, brandId: number, ids: readonly number[], event: 'conversation.reply_removed' | 'conversation.reply_restored' = 'conversation.reply_removed'): Promise<void> {
  for (const id of new Set(ids)) {
    const row = await deps.store.db.selectFrom('conversation').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) continue;
    deps.bus.publish(brandId, 'conversation.updated', await presentListedConversation(deps.store.db, row));
    // the conversation waits again (its response clock comes back), or is answered again (the workflow reacts, src/workflow/workflow.ts)
    deps.bus.publish(brandId, event, { conversationId: id });
  }
}

export interface NetworkDeletionBatch {
  brandId: number;
  network: string;
  /** The network ids of the deleted items. */
  networkMessageIds: readonly string[];
  /** Audit actor, e.g. `system:webhook:x`. */
  actor: string;
}

/** What a block or a restriction of its author (Parley's `moderation_action.action`) makes of a post on a network: only the networks listed take the author's posts away. */
export type AuthorModerationRemovals = Readonly<Partial<Record<'block' | 'restrict', NetworkHiddenReason>>>;

/**
 * The networks where the brand's own moderation of an author takes that author's posts off the
 * brand's account, as the connector documents it (see the header). Elsewhere a block or a mute
 * leaves the author's posts where they are (X, Facebook, Mastodon, Bluesky): a post gone there is
 * its author's deletion whatever the brand did to the author.
 */
export const AUTHOR_MODERATION_REMOVES: Readonly<Record<string, AuthorModerationRemovals>> = { instagram: INSTAGRAM_AUTHOR_MODERATION };

/** Moderation statuses that can explain a removal: done, or asked and not answered yet (a refused or unanswered one cannot). */
const EXPLAINING_STATUSES = ['done', 'pending'];

/**
 * Which of these stored posts went because the brand blocked or restricted their author on the
 * same account (see the header): message id → the reason and the moderation action that explains it.
 */
export async function removedByAuthorModeration(
  trx: Tx,
  store: Store,
  brandId: number,
  removals: AuthorModerationRemovals,
  posts: readonly { id: number; authorIdentityId: number | null; channelAccountId: number; createdAt: number }[],
): Promise<Map<number, { reason: NetworkHiddenReason; moderationActionId: number }>> {
  const out = new Map<number, { reason: NetworkHiddenReason; moderationActionId: number }>();
  const kinds = (['block', 'restrict'] as const).filter((k) => removals[k]);
  const authors = [...new Set(posts.map((p) => p.authorIdentityId).filter((a): a is number => a !== null))];
  if (!kinds.length || !authors.length) return out;
  const actions = kinds.flatMap((k) => [k, `un${k}`]);
  const acts: { id: number; identityId: number; action: string; createdAt: number; accountId: number }[] = [];
  for (const part of inLists(authors)) {
    const rows = await trx.selectFrom('moderation_action').innerJoin('message', 'message.id', 'moderation_action.message_id')
      .select(['moderation_action.id', 'moderation_action.identity_id', 'moderation_action.action', 'moderation_action.created_at', 'message.channel_account_id'])
      .where('moderation_action.brand_id', '=', brandId).where('moderation_action.action', 'in', actions).where('moderation_action.status', 'in', EXPLAINING_STATUSES)
      .where(inValues(store, 'moderation_action.identity_id', part, 'bigint')).execute();
    for (const r of rows) acts.push({ id: Number(r.id), identityId: Number(r.identity_id), action: r.action, createdAt: Number(r.created_at), accountId: Number(r.channel_account_id) });
  }
  acts.sort((a, b) => a.id - b.id);
  for (const p of posts) {
    if (p.authorIdentityId === null) continue;
    const mine = acts.filter((a) => a.identityId === p.authorIdentityId && a.accountId === p.channelAccountId);
    // a block over a restriction: the block removes, the restriction only holds back
    for (const kind of kinds) {
      const pair = mine.filter((a) => a.action === kind || a.action === `un${kind}`);
      const last = pair.at(-1);
      const since = pair.filter((a) => a.action === kind && a.createdAt >= p.createdAt).at(-1);
      const explaining = since ?? (last?.action === kind ? last : undefined);
      if (explaining) {
        out.set(p.id, { reason: removals[kind]!, moderationActionId: explaining.id });
        break;
      }
    }
  }
  return out;
}

/** Networks whose report of a post gone cannot name who took it away (see the header): the reason used instead of `deleted_by_author`. */
export const GONE_MEANS: Readonly<Record<string, RedactionReason>> = { mastodon: MASTODON_GONE_MEANS, instagram: INSTAGRAM_GONE_MEANS };

/** What the brand's own delete requests for a post say about who deleted it (see the header); `otherwise`: what the network's notice alone means. */
export function deletionReason(deleteStatuses: readonly string[], otherwise: RedactionReason = 'deleted_by_author'): RedactionReason {
  if (deleteStatuses.some((s) => s === 'done' || s === 'pending')) return 'deleted_by_brand';
  if (deleteStatuses.includes('unknown')) return 'deleted';
  return otherwise;
}

/**
 * Redact what is stored, tombstone what is not; withdraw the replies waiting to answer what is
 * stored (already redacted or not: idempotent); announce the redacted messages and the
 * withdrawn replies. A stored post that went because the brand blocked or restricted its author
 * is kept and marked instead (`removedByModeration`; see the header).
 */
export async function applyNetworkDeletions(deps: { store: Store; bus: EventBus; clock: Clock }, d: NetworkDeletionBatch): Promise<{ redacted: number[]; tombstoned: number; withdrawnReplies: number[]; removedByModeration: number[]; removedOutbound: number[] }> {
  const { store, bus, clock } = deps;
  const ids = [...new Set(d.networkMessageIds.filter((id) => id !== ''))];
  if (!ids.length) return { redacted: [], tombstoned: 0, withdrawnReplies: [], removedByModeration: [], removedOutbound: [] };
  const now = clock.now();
  const done = await store.db.transaction().execute(async (trx) => {
    await lockBrand(trx, store, d.brandId);
    const found = new Map<string, number>();
    const posts: { id: number; authorIdentityId: number | null; channelAccountId: number; createdAt: number; conversationId: number; redacted: boolean; hiddenReason: string | null; outbound: boolean; isAuto: boolean }[] = [];
    for (const part of inLists(ids)) {
      const rows = await trx.selectFrom('message').select(['id', 'network_message_id', 'author_identity_id', 'channel_account_id', 'created_at', 'conversation_id', 'redacted_at', 'network_hidden_reason', 'direction', 'is_auto'])
        .where('brand_id', '=', d.brandId).where('network', '=', d.network).where(inValues(store, 'network_message_id', part, 'text')).execute();
      for (const r of rows) {
        found.set(r.network_message_id!, Number(r.id));
        posts.push({ id: Number(r.id), authorIdentityId: r.author_identity_id == null ? null : Number(r.author_identity_id), channelAccountId: Number(r.channel_account_id), createdAt: Number(r.created_at), conversationId: Number(r.conversation_id), redacted: r.redacted_at != null, hiddenReason: r.network_hidden_reason ?? null, outbound: r.direction === 'outbound', isAuto: Number(r.is_auto) === 1 });
      }
    }
    const deletes = new Map<number, string[]>();
    for (const part of inLists([...found.values()])) {
      const rows = await trx.selectFrom('moderation_action').select(['message_id', 'status']).where('brand_id', '=', d.brandId).where('action', '=', 'delete')
        .where(inValues(store, 'message_id', part, 'bigint')).execute();
      for (const r of rows) deletes.set(Number(r.message_id), [...(deletes.get(Number(r.message_id)) ?? []), r.status]);
    }
    // gone because the brand blocked or restricted the author (see the header): kept and marked, not
    // redacted — unless the brand deleted the post itself too (its delete explains it first)
    const removals = AUTHOR_MODERATION_REMOVES[d.network];
    const candidates = posts.filter((p) => !p.outbound && !p.redacted && p.authorIdentityId !== null && deletionReason(deletes.get(p.id) ?? []) !== 'deleted_by_brand');
    const moderated = removals ? await removedByAuthorModeration(trx, store, d.brandId, removals, candidates) : new Map<number, { reason: NetworkHiddenReason; moderationActionId: number }>();
    const marked: number[] = [];
    for (const p of posts) {
      const why = moderated.get(p.id);
      if (!why || p.hiddenReason === why.reason) continue;
      let q = trx.updateTable('message').set({ network_hidden_at: now, network_hidden_reason: why.reason }).where('id', '=', p.id).where('redacted_at', 'is', null);
      q = p.hiddenReason === null ? q.where('network_hidden_reason', 'is', null) : q.where('network_hidden_reason', '=', p.hiddenReason);
      if (Number((await q.executeTakeFirst()).numUpdatedRows) !== 1) continue;
      await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'message.network_hidden', subjectType: 'message', subjectId: p.id, conversationId: p.conversationId, data: { reason: why.reason, moderationActionId: why.moderationActionId, ...(p.hiddenReason ? { was: p.hiddenReason } : {}) } }, now);
      marked.push(p.id);
    }
    // the brand's own replies gone outside Parley: kept and marked, not redacted (see the header); one
    // Parley deleted itself keeps its own record (the brand's deletion) as before
    const ownRemoved = new Set<number>();
    const reopened: number[] = [];
    for (const p of posts) {
      if (!p.outbound || deletionReason(deletes.get(p.id) ?? []) === 'deleted_by_brand') continue;
      ownRemoved.add(p.id);
      // erased already, or already marked (a moderator's takedown says more than "gone")
      if (p.redacted || p.hiddenReason !== null) continue;
      const r = await trx.updateTable('message').set({ network_hidden_at: now, network_hidden_reason: OUTBOUND_DELETED })
        .where('id', '=', p.id).where('redacted_at', 'is', null).where('network_hidden_reason', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'message.network_hidden', subjectType: 'message', subjectId: p.id, conversationId: p.conversationId, data: { reason: OUTBOUND_DELETED, direction: 'outbound' } }, now);
      marked.push(p.id);
      const c = await replyRemoved(trx, store, { brandId: d.brandId, actor: d.actor, now }, p, OUTBOUND_DELETED);
      if (c !== null) reopened.push(c);
    }
    let tombstoned = 0;
    for (const id of ids) {
      if (found.has(id)) continue;
      await addTombstone(trx, { brandId: d.brandId, network: d.network, networkMessageId: id, reason: 'deleted_by_author', now });
      tombstoned++;
    }
    const all = [...found.values()];
    // the posts left to redact: the author's (or the brand's) deletion
    const stored = all.filter((id) => !moderated.has(id) && !ownRemoved.has(id));
    const byReason = new Map<RedactionReason, number[]>();
    for (const id of stored) {
      const reason = deletionReason(deletes.get(id) ?? [], GONE_MEANS[d.network]);
      byReason.set(reason, [...(byReason.get(reason) ?? []), id]);
    }
    const redacted: number[] = [];
    for (const [reason, messageIds] of byReason) {
      redacted.push(...(await redactMessages(trx, store, { brandId: d.brandId, messageIds, reason, actor: d.actor, now })).redacted);
    }
    // a restricted author's comment is held, not gone: the replies to it wait (see the header)
    const answerable = all.filter((id) => moderated.get(id)?.reason !== 'author_restricted');
    const withdrawn = await withdrawRepliesToDeleted(trx, store, { brandId: d.brandId, messageIds: answerable, actor: d.actor, now });
    return { redacted, tombstoned, withdrawn, marked, ownRemoved, reopened };
  });
  await publishRedacted(deps, d.brandId, [...done.redacted, ...done.marked]);
  publishWithdrawn(bus, d.brandId, done.withdrawn);
  await publishConversations(deps, d.brandId, done.reopened);
  return {
    redacted: done.redacted, tombstoned: done.tombstoned, withdrawnReplies: done.withdrawn.messages.map((m) => m.id),
    removedByModeration: done.marked.filter((id) => !done.ownRemoved.has(id)), removedOutbound: done.marked.filter((id) => done.ownRemoved.has(id)),
  };
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
      const out: { id: number; conversation_id: number; network_message_id: string; network_hidden_reason: string | null; outbound: boolean; is_auto: boolean }[] = [];
      for (const part of inLists(ids)) {
        // the brand's own replies too (see the header); one gone for good (`OUTBOUND_DELETED`) is neither hidden nor shown again
        let q = trx.selectFrom('message').select(['id', 'conversation_id', 'network_message_id', 'network_hidden_reason', 'direction', 'is_auto'])
          .where('brand_id', '=', d.brandId).where('network', '=', d.network).where('redacted_at', 'is', null)
          .where((eb) => eb.or([eb('network_hidden_reason', 'is', null), eb('network_hidden_reason', '!=', OUTBOUND_DELETED)]))
          .where(inValues(store, 'network_message_id', part, 'text'));
        if (d.channelAccountId !== undefined) q = q.where('channel_account_id', '=', d.channelAccountId);
        // the posts shown: only those marked hidden change (most are not, and are not read)
        if (hiddenOnly) q = q.where('network_hidden_reason', 'is not', null);
        const r = await q.execute();
        out.push(...r.map((m) => ({ id: Number(m.id), conversation_id: Number(m.conversation_id), network_message_id: m.network_message_id!, network_hidden_reason: m.network_hidden_reason ?? null, outbound: m.direction === 'outbound', is_auto: Number(m.is_auto) === 1 })));
      }
      return out;
    };
    const candidates = await rows([...d.hidden.keys()]);
    const hiddenByBrand = new Set<number>();
    const commentIds = candidates.filter((m) => !m.outbound && d.hidden.get(m.network_message_id) === 'hidden_comment').map((m) => m.id);
    for (const part of inLists(commentIds)) {
      const acts = await trx.selectFrom('moderation_action').select(['message_id', 'action']).where('brand_id', '=', d.brandId).where('action', 'in', ['hide', 'unhide'])
        .where('status', 'in', ['done', 'pending', 'unknown']).where(inValues(store, 'message_id', part, 'bigint')).orderBy('id').execute();
      const last = new Map<number, string>();
      for (const a of acts) last.set(Number(a.message_id), a.action);
      for (const [id, action] of last) if (action === 'hide') hiddenByBrand.add(id);
    }
    const hidden: number[] = [];
    const reopened: number[] = [];
    for (const m of candidates) {
      const reason = d.hidden.get(m.network_message_id)!;
      if (m.network_hidden_reason === reason || hiddenByBrand.has(m.id)) continue;
      let q = trx.updateTable('message').set({ network_hidden_at: now, network_hidden_reason: reason }).where('id', '=', m.id);
      q = m.network_hidden_reason === null ? q.where('network_hidden_reason', 'is', null) : q.where('network_hidden_reason', '=', m.network_hidden_reason);
      if (Number((await q.executeTakeFirst()).numUpdatedRows) !== 1) continue;
      await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'message.network_hidden', subjectType: 'message', subjectId: m.id, conversationId: m.conversation_id, data: { reason, ...(m.network_hidden_reason ? { was: m.network_hidden_reason } : {}), ...(m.outbound ? { direction: 'outbound' } : {}) } }, now);
      hidden.push(m.id);
      // the brand's reply the customer no longer sees (a new reason for one already hidden changes nothing more)
      if (m.outbound && m.network_hidden_reason === null) {
        const c = await replyRemoved(trx, store, { brandId: d.brandId, actor: d.actor, now }, { id: m.id, conversationId: m.conversation_id, isAuto: m.is_auto }, reason);
        if (c !== null) reopened.push(c);
      }
    }
    const shown: number[] = [];
    const answered: number[] = [];
    for (const m of await rows([...new Set(d.shown)], true)) {
      const r = await trx.updateTable('message').set({ network_hidden_at: null, network_hidden_reason: null }).where('id', '=', m.id).where('network_hidden_reason', '=', m.network_hidden_reason).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'message.network_shown', subjectType: 'message', subjectId: m.id, conversationId: m.conversation_id, data: { was: m.network_hidden_reason } }, now);
      shown.push(m.id);
      // the brand's reply the customer sees again: the answer again, when nothing answered since
      if (m.outbound) {
        const c = await replyShown(trx, store, { brandId: d.brandId, actor: d.actor, now }, { id: m.id, conversationId: m.conversation_id });
        if (c !== null) answered.push(c);
      }
    }
    return { hidden, shown, reopened, answered };
  });
  await publishRedacted(deps, d.brandId, [...done.hidden, ...done.shown]);
  await publishConversations(deps, d.brandId, done.reopened);
  await publishConversations(deps, d.brandId, done.answered, 'conversation.reply_restored');
  return { hidden: done.hidden, shown: done.shown };
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
