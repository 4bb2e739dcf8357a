/**
 * Learning from the team: agents correct triage (re-categorise, mark spam, say
 * it needs an answer or not), and their everyday decisions are recorded as
 * implicit labels — answering a message says it needed a response, resolving
 * without a word says it did not. `parley train --from-history` retrains on
 * these (src/triage/history.ts), so triage improves with use.
 *
 * A correction that changes what the conversation needs (respond, or monitor / ignore) also
 * moves its SLA response clock: the workflow reacts to `triage.corrected` (docs/metrics.md).
 * The message's reporting facts (its arrival, and its answer if it has one) are re-filed under
 * the corrected needs-response, category and sentiment in the same transaction, with their
 * rollups, so the response rate, trends and staffing volume follow the correction.
 */
import { sql } from 'kysely';
import type { Sentiment, TriageAction, TriageCategory } from '../core/types.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { presentIdentity, presentMessage } from '../server/presenters.js';
import { audit } from '../store/audit.js';
import { presentListedConversation } from '../store/queries.js';
import type { Store } from '../store/db.js';
import { rewriteFacts, TRIAGED_KINDS } from '../store/rollup.js';
import { readStoredTriage } from '../store/triageJson.js';
import type { Tx } from '../store/util.js';
import type { Actor } from './context.js';

export interface TriageLabels {
  category?: TriageCategory;
  action?: TriageAction;
  complaint?: boolean;
  sentiment?: Sentiment;
  intent?: string;
}

export class TriageCommands {
  constructor(private readonly deps: { store: Store; bus: EventBus; clock: Clock }) {}

  /** An agent's correction of one inbound message's triage. */
  async correct(actor: Actor, messageId: number, labels: TriageLabels) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    if (!Object.keys(labels).length) throw badRequest('validation', 'say what triage got wrong (category, action, complaint, sentiment or intent)');
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const labelsFinal: TriageLabels = { ...labels };
    if (labelsFinal.category === 'spam' && !labelsFinal.action) labelsFinal.action = 'ignore';
    if (labelsFinal.category === 'abuse' && !labelsFinal.action) labelsFinal.action = 'monitor';
    const out = await store.db.transaction().execute(async (trx) => {
      const msg = await trx.selectFrom('message').selectAll().where('id', '=', messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
      if (!msg) throw notFound('message');
      if (msg.direction !== 'inbound') throw badRequest('triage.not_inbound', 'only customers\' messages are triaged');
      const triage: Record<string, any> = readStoredTriage(msg.triage) ?? {};
      const before = { category: msg.triage_category, action: msg.triage_action, complaint: msg.complaint == null ? null : msg.complaint === 1, sentiment: msg.sentiment, intent: msg.intent };
      const who = actor.userId != null ? (await trx.selectFrom('app_user').select('name').where('id', '=', actor.userId).executeTakeFirst())?.name : undefined;
      const note = `corrected by ${who ?? actor.name}`;
      if (labelsFinal.category) triage.category = { value: labelsFinal.category, confidence: 1, reason: note };
      if (labelsFinal.action) triage.action = { value: labelsFinal.action, confidence: 1, reason: note };
      if (labelsFinal.complaint !== undefined) triage.complaint = { value: labelsFinal.complaint, confidence: 1, reason: note };
      if (labelsFinal.sentiment) triage.sentiment = { value: labelsFinal.sentiment, confidence: 1, reason: note };
      if (labelsFinal.intent) triage.intent = { value: labelsFinal.intent, confidence: 1, reason: note };
      triage.corrected = { by: actor.userId, at: new Date(now).toISOString() };
      await trx.updateTable('message').set({
        triage: JSON.stringify(triage),
        ...(labelsFinal.category ? { triage_category: labelsFinal.category } : {}),
        ...(labelsFinal.action ? { triage_action: labelsFinal.action } : {}),
        ...(labelsFinal.complaint !== undefined ? { complaint: labelsFinal.complaint ? 1 : 0 } : {}),
        ...(labelsFinal.sentiment ? { sentiment: labelsFinal.sentiment } : {}),
        ...(labelsFinal.intent ? { intent: labelsFinal.intent } : {}),
      }).where('id', '=', msg.id).execute();
      // its reporting facts say what the person said: the response rate, trends and staffing
      // volume count it as corrected (its arrival, its answer's twin and the answer itself)
      const refile: { needs_response?: number; category?: string; sentiment?: string } = {};
      if (labelsFinal.action) refile.needs_response = labelsFinal.action === 'respond' ? 1 : 0;
      if (labelsFinal.category) refile.category = labelsFinal.category;
      if (labelsFinal.sentiment) refile.sentiment = labelsFinal.sentiment;
      const factsRefiled = Object.keys(refile).length
        ? await rewriteFacts(trx, store, await trx.selectFrom('reporting_fact').selectAll().where('message_id', '=', msg.id).where('kind', 'in', [...TRIAGED_KINDS]).execute(), refile)
        : 0;
      // the conversation shows the triage of the message that speaks for it: its latest customer
      // message, or the one of the unanswered wait its triage came from (ingest keeps an urgent
      // message's triage when an "ok thanks" follows); and a person saying that a message of
      // the wait needs an answer makes the conversation need one
      const conv = await trx.selectFrom('conversation').select(['waiting_since', 'triage_action', 'category']).where('id', '=', msg.conversation_id).executeTakeFirstOrThrow();
      const latest = await trx.selectFrom('message').select('id').where('conversation_id', '=', msg.conversation_id).where('direction', '=', 'inbound').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
      const inWait = conv.waiting_since != null && msg.created_at >= conv.waiting_since;
      const speaks = latest?.id === msg.id || (inWait && conv.triage_action === before.action && conv.category === before.category);
      const patch = speaks
        ? {
          ...(labelsFinal.category ? { category: labelsFinal.category } : {}),
          ...(labelsFinal.action ? { triage_action: labelsFinal.action } : {}),
          ...(labelsFinal.sentiment ? { sentiment: labelsFinal.sentiment } : {}),
          ...(labelsFinal.intent ? { intent: labelsFinal.intent } : {}),
        }
        : inWait && labelsFinal.action === 'respond' ? { triage_action: 'respond' } : null;
      if (patch) await trx.updateTable('conversation').set({ ...patch, updated_at: now, version: sql<number>`version + 1` }).where('id', '=', msg.conversation_id).execute();
      const conversationAction = patch?.triage_action ?? null;
      await trx.insertInto('triage_correction').values({ brand_id: actor.brandId, message_id: msg.id, conversation_id: msg.conversation_id, user_id: actor.userId, source: 'agent', labels: JSON.stringify(labelsFinal), created_at: now }).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'triage.corrected', subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id, data: { before, after: labelsFinal, factsRefiled } }, now);
      return {
        conversationAction,
        msg: await trx.selectFrom('message').selectAll().where('id', '=', msg.id).executeTakeFirstOrThrow(),
        conv: await trx.selectFrom('conversation').selectAll().where('id', '=', msg.conversation_id).executeTakeFirstOrThrow(),
      };
    });
    const conv = await presentListedConversation(store.db, out.conv);
    // the message as the conversation shows it, author included
    const identity = out.msg.author_identity_id != null ? await store.db.selectFrom('contact_identity').selectAll().where('id', '=', out.msg.author_identity_id).executeTakeFirst() : undefined;
    const message = presentMessage(out.msg, identity ? presentIdentity(identity) : null);
    bus.publish(actor.brandId, 'message.updated', message);
    bus.publish(actor.brandId, 'conversation.updated', conv);
    // conversationAction: what the correction made the conversation need (null: its triage did not change)
    bus.publish(actor.brandId, 'triage.corrected', { conversationId: out.conv.id, messageId: out.msg.id, conversationAction: out.conversationAction });
    return message;
  }
}

/** Implicit label: these customer messages were answered by a person. */
export async function recordAnswered(trx: Tx, brandId: number, conversationId: number, userId: number | null, since: number | null, now: number): Promise<void> {
  if (since == null) return;
  const msgs = await trx.selectFrom('message').select(['id']).where('conversation_id', '=', conversationId).where('direction', '=', 'inbound').where('created_at', '>=', since).execute();
  for (const m of msgs) {
    await trx.insertInto('triage_correction').values({ brand_id: brandId, message_id: m.id, conversation_id: conversationId, user_id: userId, source: 'implicit', labels: JSON.stringify({ action: 'respond' }), created_at: now }).execute();
  }
}

/** Implicit label: a conversation resolved without any reply in its cycle did not need one. */
export async function recordDismissed(trx: Tx, brandId: number, conversationId: number, userId: number | null, cycleStart: number, now: number): Promise<void> {
  const replied = await trx.selectFrom('message').select('id').where('conversation_id', '=', conversationId).where('direction', '=', 'outbound').where('is_auto', '=', 0).where('created_at', '>=', cycleStart).where('status', 'not in', ['rejected', 'failed']).limit(1).executeTakeFirst();
  if (replied) return;
  const msgs = await trx.selectFrom('message').select(['id']).where('conversation_id', '=', conversationId).where('direction', '=', 'inbound').where('created_at', '>=', cycleStart).execute();
  for (const m of msgs) {
    await trx.insertInto('triage_correction').values({ brand_id: brandId, message_id: m.id, conversation_id: conversationId, user_id: userId, source: 'implicit', labels: JSON.stringify({ action: 'ignore' }), created_at: now }).execute();
  }
}
