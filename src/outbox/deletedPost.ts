/**
 * Replies to a post that is gone. When a network tells Parley that a post was deleted
 * (src/pipeline/deletions.ts), the public replies still waiting to go out in reply to it
 * would only fail at the network (or, worse, answer nothing): they are withdrawn in the
 * deletion's transaction, each audited and its author told.
 *  - queued in the outbox and not being sent: the outbox row and the message become
 *    `withdrawn`. A row a worker claimed (`sending`) is left to it: the network answers, and
 *    the failure path applies. So is a row whose last attempt timed out (it may have gone
 *    out: the worker asks the network first). The outbox row is updated before the message,
 *    in the order the worker's claim takes them, so on PostgreSQL the two wait for each
 *    other instead of deadlocking; a row the worker locked first is `sending` when this
 *    reads it again, and stays so.
 *  - waiting for sign-off: withdrawn, like a draft its author takes back; approving it is
 *    refused with the reason (src/workflow/commands.ts `review`).
 * The target is the message the reply answers (`reply_to_message_id`, what the outbox sends
 * it in reply to). Private replies are not touched: a public post's deletion takes nothing
 * from a conversation in private messages.
 *
 * A reply written (or approved) after the post was deleted is refused at once
 * (`refuseGoneTarget`). One written while the deletion's transaction runs is not held for
 * it (a share lock on the post here deadlocked on PostgreSQL with the outbox worker, which
 * locks the conversation before the post): committed before the withdrawal reads, it is
 * withdrawn with the rest; committed after, the outbox worker finds its post deleted and
 * withdraws it instead of sending it (`withdrawClaimedReply`).
 *
 * Erasure (src/commands/erase.ts) withdraws the same way every reply, public or private, still
 * waiting to go out on the erased customer's conversations (`withdrawRepliesToErased`): their
 * identity is gone (a private reply has nobody to go to), and the reply's own text has their
 * handle and name replaced ("@erased"), which must never be published. The outbox worker
 * withdraws a claimed reply whose target was erased, and writing or approving a reply to an
 * erased customer's message is refused (409 `reply.customer_erased`).
 */
import type { EventBus } from '../events/bus.js';
import { conflict } from '../errors.js';
import { presentMessage } from '../server/presenters.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { MessageRow } from '../store/schema.js';
import { decodeText } from '../store/text.js';
import { inLists, inValues, type Tx } from '../store/util.js';

/** Why such a reply was not sent: the stored reason the agent reads. */
export const POST_DELETED = 'the post was deleted before the reply was sent';
/** The message's stored error (Parley's own words: shown as stored, src/outbox/replyError.ts). */
export const POST_DELETED_ERROR = `withdrawn: ${POST_DELETED}`;
export const CUSTOMER_ERASED = 'the customer was erased before the reply was sent';
export const CUSTOMER_ERASED_ERROR = `withdrawn: ${CUSTOMER_ERASED}`;

/** Why a waiting reply is withdrawn: the post it answers was deleted, or its customer erased. */
export type WithdrawnBecause = 'post_deleted' | 'customer_erased';

const BECAUSE: Record<WithdrawnBecause, { error: string; waiting: string; queued: string }> = {
  post_deleted: {
    error: POST_DELETED_ERROR,
    waiting: 'Your reply waiting for sign-off was withdrawn: the post it answers was deleted',
    queued: 'Your reply was not sent: the post it answers was deleted',
  },
  customer_erased: {
    error: CUSTOMER_ERASED_ERROR,
    waiting: 'Your reply waiting for sign-off was withdrawn: the customer was erased',
    queued: 'Your reply was not sent: the customer was erased',
  },
};

/** Redacted by an erasure of its author (src/commands/erase.ts). */
export function isErased(m: Pick<MessageRow, 'redacted_at' | 'redacted_reason'>): boolean {
  return m.redacted_at != null && m.redacted_reason === 'erasure';
}

/** Redacted because it is gone from the network (not an erasure, where the post still exists). */
export function isDeletedPost(m: Pick<MessageRow, 'redacted_at' | 'redacted_reason'>): boolean {
  return m.redacted_at != null && (m.redacted_reason === 'deleted_by_author' || m.redacted_reason === 'deleted_by_brand' || m.redacted_reason === 'deleted' || m.redacted_reason === 'deleted_or_removed');
}

/**
 * Refuse a reply that has nobody left to go to, when it is written or approved:
 *  - 409 `reply.customer_erased`, public or private, when the customer it would go to was
 *    erased: the message it answers, or with none the conversation's latest inbound message
 *    (whose author the outbox addresses, src/outbox/outbox.ts `buildRequest`);
 *  - 409 `reply.post_deleted`, a public reply to a message deleted on the network (see above
 *    for one written while the deletion runs); private replies and replies with no target pass.
 */
export async function refuseGoneTarget(trx: Tx, reply: { visibility: string; conversationId: number; replyToMessageId: number | null }): Promise<void> {
  const target = reply.replyToMessageId != null
    ? await trx.selectFrom('message').select(['redacted_at', 'redacted_reason']).where('id', '=', reply.replyToMessageId).executeTakeFirst()
    : await trx.selectFrom('message').select(['redacted_at', 'redacted_reason']).where('conversation_id', '=', reply.conversationId).where('direction', '=', 'inbound')
      .orderBy('is_auto').orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (!target) return;
  if (isErased(target)) throw conflict('reply.customer_erased', 'the customer this reply would go to was erased (GDPR): there is nobody to reply to');
  if (reply.visibility === 'public' && reply.replyToMessageId != null && isDeletedPost(target)) {
    throw conflict('reply.post_deleted', target.redacted_reason === 'deleted_by_brand'
      ? 'the post this reply answers was deleted (by moderation): there is nothing to reply to publicly'
      : target.redacted_reason === 'deleted'
        ? 'the post this reply answers was deleted on the network: there is nothing to reply to publicly'
        : target.redacted_reason === 'deleted_or_removed'
        ? 'the post this reply answers is no longer on the network (deleted by its author, or removed by moderation): there is nothing to reply to publicly'
        : 'the post this reply answers was deleted by its author: there is nothing to reply to publicly');
  }
}

export interface WithdrawnReplies {
  /** The replies withdrawn now (queued or waiting for sign-off before). */
  messages: MessageRow[];
  /** Their authors' notifications, to publish after commit. */
  notices: { userId: number; conversationId: number; messageId: number }[];
}

/**
 * Withdraw the public replies waiting to go out in reply to these (deleted) messages, inside
 * the deletion's transaction. Idempotent: a reply already withdrawn, sent or being sent is
 * left alone, and nothing is audited or notified again.
 */
export function withdrawRepliesToDeleted(trx: Tx, store: Store, d: { brandId: number; messageIds: readonly number[]; actor: string; now: number }): Promise<WithdrawnReplies> {
  return withdrawWaiting(trx, store, { column: 'reply_to_message_id', ids: d.messageIds, publicOnly: true }, 'post_deleted', d);
}

/**
 * Withdraw every reply, public or private, waiting to go out (queued or for sign-off) on an
 * erased customer's conversations, inside the erasure's transaction (see the header).
 */
export function withdrawRepliesToErased(trx: Tx, store: Store, d: { brandId: number; conversationIds: readonly number[]; actor: string; now: number }): Promise<WithdrawnReplies> {
  return withdrawWaiting(trx, store, { column: 'conversation_id', ids: d.conversationIds, publicOnly: false }, 'customer_erased', d);
}

/** The brand's replies waiting to go out whose `column` is one of `ids`, withdrawn `because`. */
async function withdrawWaiting(
  trx: Tx, store: Store, which: { column: 'reply_to_message_id' | 'conversation_id'; ids: readonly number[]; publicOnly: boolean },
  because: WithdrawnBecause, d: { brandId: number; actor: string; now: number },
): Promise<WithdrawnReplies> {
  const out: WithdrawnReplies = { messages: [], notices: [] };
  for (const part of inLists([...new Set(which.ids)])) {
    const replies = await trx
      .selectFrom('message')
      .selectAll()
      .where('brand_id', '=', d.brandId)
      .where(inValues(store, which.column, part, 'bigint'))
      .where('direction', '=', 'outbound')
      .$if(which.publicOnly, (q) => q.where('visibility', '=', 'public'))
      .where('status', 'in', ['queued', 'pending_approval'])
      .orderBy('id')
      .execute();
    await withdrawEach(trx, replies, because, d, out);
  }
  return out;
}

async function withdrawEach(trx: Tx, replies: MessageRow[], because: WithdrawnBecause, d: { brandId: number; actor: string; now: number }, out: WithdrawnReplies): Promise<void> {
  for (const r of replies) {
    const was = r.status;
    if (was === 'queued') {
      // the outbox row first (the worker's claim order); a timed-out attempt may have gone out: the worker checks
      const pulled = await trx
        .updateTable('outbox')
        .set({ status: 'withdrawn', locked_until: null, last_error_code: 'WITHDRAWN', last_error: BECAUSE[because].error.slice('withdrawn: '.length), updated_at: d.now })
        .where('message_id', '=', r.id)
        .where('status', '=', 'queued')
        .where((eb) => eb.or([eb('last_error_code', 'is', null), eb('last_error_code', '!=', 'TIMEOUT')]))
        .executeTakeFirst();
      if (!Number(pulled.numUpdatedRows)) continue;
    }
    await markWithdrawn(trx, r, was, because, d, out);
  }
}

/**
 * The message side of a withdrawal (its outbox row already withdrawn, or none): the message,
 * its audit entry and its author's notification, once (a message no longer in `was` is left).
 */
async function markWithdrawn(trx: Tx, r: MessageRow, was: string, because: WithdrawnBecause, d: { brandId: number; actor: string; now: number }, out: WithdrawnReplies): Promise<void> {
  const why = BECAUSE[because];
  const done = await trx.updateTable('message').set({ status: 'withdrawn', error: why.error }).where('id', '=', r.id).where('status', '=', was).executeTakeFirst();
  if (!Number(done.numUpdatedRows)) return;
  const data = because === 'post_deleted' ? { reason: because, was, deletedMessageId: r.reply_to_message_id } : { reason: because, was };
  await audit(trx, { brandId: d.brandId, actor: d.actor, action: 'reply.withdrawn', subjectType: 'message', subjectId: r.id, conversationId: r.conversation_id, data }, d.now);
  if (r.author_user_id != null) {
    const title = was === 'pending_approval' ? why.waiting : why.queued;
    // an erased customer's reply is not quoted: it names them
    const body = because === 'customer_erased' ? '' : decodeText(r.text, r.text_escaped).slice(0, 200);
    await trx.insertInto('notification').values({ brand_id: d.brandId, user_id: r.author_user_id, kind: 'reply.withdrawn', title, body, conversation_id: r.conversation_id, created_at: d.now }).execute();
    out.notices.push({ userId: r.author_user_id, conversationId: r.conversation_id, messageId: r.id });
  }
  out.messages.push(await trx.selectFrom('message').selectAll().where('id', '=', r.id).executeTakeFirstOrThrow());
}

/**
 * The outbox worker's side: a public reply it has claimed, about to be sent, whose post was
 * deleted meanwhile (or any reply whose customer was erased meanwhile: `because`) (the deletion left the claimed row to the worker: an attempt that failed
 * and came back, or a claim taken just before the deletion committed). Withdrawn as the
 * deletion would have, if this worker still holds the row; false when it does not.
 */
export async function withdrawClaimedReply(store: Store, bus: EventBus, row: { id: number; attempts: number; lockedBy: string }, msg: MessageRow, now: number, because: WithdrawnBecause): Promise<boolean> {
  const out: WithdrawnReplies = { messages: [], notices: [] };
  const held = await store.db.transaction().execute(async (trx) => {
    const pulled = await trx
      .updateTable('outbox')
      .set({ status: 'withdrawn', locked_until: null, last_error_code: 'WITHDRAWN', last_error: BECAUSE[because].error.slice('withdrawn: '.length), updated_at: now })
      .where('id', '=', row.id)
      .where('status', '=', 'sending')
      .where('locked_by', '=', row.lockedBy)
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    if (!Number(pulled.numUpdatedRows)) return false;
    await markWithdrawn(trx, msg, msg.status, because, { brandId: msg.brand_id, actor: 'system:outbox', now }, out);
    return true;
  });
  publishWithdrawn(bus, msg.brand_id, out);
  return held;
}

/** After commit: the withdrawn replies' `message.updated`, and their authors' notifications. */
export function publishWithdrawn(bus: EventBus, brandId: number, w: WithdrawnReplies): void {
  for (const m of w.messages) bus.publish(brandId, 'message.updated', presentMessage(m));
  for (const n of w.notices) bus.publish(brandId, 'notification', { kind: 'reply.withdrawn', conversationId: n.conversationId, messageId: n.messageId }, { userIds: [n.userId] });
}
