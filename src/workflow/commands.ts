/**
 * Commands of the care workflow that people invoke: sign-off on replies and
 * incident statements, questions to knowledge experts (and the notice when one
 * goes unanswered past its target), "take it private", playbooks and snippets,
 * and incidents (mass problems) with a public statement.
 */
import { sql, type ExpressionBuilder } from 'kysely';
import { requiresApproval, rewriteAtSignOff, signOffRefusal, SIGN_OFF_ROLES, type ApprovalReason, type StoredApprovalReason } from '../core/approval.js';
import { availabilityLine } from '../core/autoAck.js';
import type { BusinessCalendar } from '../core/businessHours.js';
import { expertDueAt, expertTarget, formatTarget, isOverdueUnannounced, overdueRecipients } from '../core/expertRequests.js';
import { createDetector, engagementOf, observe, type DetectorState, type Engagement, type IncidentEvent } from '../core/incidents.js';
import { DEFAULT_PLAYBOOKS, matchPlaybooks, renderSnippet, type Playbook, type PlaybookMatch } from '../core/playbooks.js';
import { ANY, checkVariant, normalizeLanguage, normalizeNetwork, selectVariant, VARIANT_NETWORKS, variantLabel, type VariantMatch } from '../core/snippetVariants.js';
import { privateOffer } from '../core/privateOffer.js';
import { checkReply, greetingFirstName } from '../core/replyChecks.js';
import { priorityBand, resolveTarget, type SlaPolicy } from '../core/sla.js';
import type { Network, Role, TriageCategory, Visibility } from '../core/types.js';
import type { Actor } from '../commands/context.js';
import { isUniqueViolation, type ConversationCommands } from '../commands/conversations.js';
import { mayQuote, quotableBeforeWriting, recordDraftQuotes, recordExpertQuotes, recordNoteQuotes, repliesUsing, type Quotable } from '../commands/expertQuotes.js';
import { AppError, badRequest, conflict, disabledAccount, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { publishWithAdminDetail } from '../events/adminDetail.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Clock } from '../lib/clock.js';
import { parseObject } from '../lib/json.js';
import type { HealthView } from '../channels/healthSummary.js';
import { CUSTOMER_ERASED, CUSTOMER_ERASED_ERROR, POST_DELETED, POST_DELETED_ERROR, refuseGoneTarget } from '../outbox/deletedPost.js';
import { enqueue } from '../outbox/outbox.js';
import { replyErrorFor } from '../outbox/replyError.js';
import { presentMessage, presentNote } from '../server/presenters.js';
import { audit } from '../store/audit.js';
import { presentListedConversation } from '../store/queries.js';
import type { Store } from '../store/db.js';
import { businessFor, factRow, type BusinessSeconds } from '../store/facts.js';
import { writeFacts } from '../store/rollup.js';
import { decodeText, encodeText } from '../store/text.js';
import { groupExpertTargetMin, type WorkflowSettingsStore } from './settings.js';
import { eligibleApprovers, refuseWithoutApprover, signOffWait, type SignOffWait } from './approvers.js';
import { lockBrand, type Tx } from '../store/util.js';
import { PAST_SOURCES } from '../pipeline/ingest.js';
import type { DB, Incident, MessageRow } from '../store/schema.js';

export interface WorkflowCommandDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  settings: WorkflowSettingsStore;
  conversations: ConversationCommands;
  onQueued?: () => void;
  /** Business-hours seconds on an account's calendar, for approval and expert waits. */
  businessSeconds?: BusinessSeconds;
  /** Background jobs: the overdue notice of each expert question is a keyed job at its due time. */
  jobs?: Jobs;
  log?: { error(o: unknown, m?: string): void };
}

const EXPERT_OVERDUE_JOB = 'expert.overdue';
const expertJobKey = (requestId: number) => `expert:${requestId}`;

/** Who is told of a reply held for sign-off (user ids) and its author's name, read before its write transaction. */
interface HeldReplyReaders {
  approvers: number[];
  authorName: string | null;
}

export class WorkflowCommands {
  /** Incidents (by brand) whose affected counts may have changed, announced at the next turn (`affectedMayHaveChanged`). */
  private readonly affectedDue = new Map<number, Set<number>>();
  private affectedScheduled = false;
  /** Announcements run one after another, so a later count is never overtaken by an earlier one. */
  private affectedChain: Promise<void> = Promise.resolve();
  /**
   * The counts last announced per incident — by this process or, through the bridge, another —
   * or listed: an unchanged count is not announced again.
   */
  private readonly affectedShown = new Map<number, string>();
  /** Brands whose `incident` events (local and relayed) keep `affectedShown` up to date. */
  private readonly affectedWatched = new Set<number>();
  /** Brands in a `batchAffected` (how many at once): their incidents are announced when the last ends. */
  private readonly affectedHeld = new Map<number, number>();

  constructor(private readonly deps: WorkflowCommandDeps) {
    deps.jobs?.register(EXPERT_OVERDUE_JOB, async (p: { requestId: number }) => {
      await this.notifyExpertOverdue(p.requestId);
    });
    // a resolved conversation needs no more answers: its open questions end with it
    deps.conversations.onResolved((trx, ctx) => this.cancelExpertQuestionsOfResolved(trx, ctx));
    // A linked conversation resolved or reopened — by hand, in bulk, by a customer writing
    // again, by any command — changes its incident's count of customers still waiting. Every
    // one of those publishes the conversation after its commit, so the incident is recounted
    // from there, without each of them knowing about incidents.
    for (const type of ['conversation.updated', 'conversation.created']) {
      deps.bus.onPublished(type, (e) => this.affectedMayHaveChanged(e.brandId, (e.data as { incidentId?: unknown } | null)?.incidentId));
    }
    // a reply held for sign-off: the people who may sign it off are told in the transaction that
    // stores it (once per draft; a rewrite at sign-off tells them in `review`), so no reply waits
    // with nobody told, whenever the process stops
    deps.conversations.onHeld({
      prepare: (db, ctx) => this.heldReplyReaders(db, ctx.actor),
      write: (trx, ctx, prepared) => this.notifyHeldReply(trx, ctx, prepared as HeldReplyReaders | undefined),
    });
  }

  /**
   * Kept for callers that waited for approvers to be told after the reply (tests; shutdown): they
   * are now told in the reply's own transaction, so there is never anything to wait for.
   */
  async signOffNoticesSettled(): Promise<void> {}

  private async tz(brandId: number, db: Tx = this.deps.store.db) {
    return (await db.selectFrom('brand').select('timezone').where('id', '=', brandId).executeTakeFirst())?.timezone ?? 'UTC';
  }

  // ------------------------------------------------------------ sign-off

  /** Drafts waiting for sign-off, oldest first: replies, and incident statements (with their incident). */
  async pendingApprovals(actor: Actor) {
    const rows = await this.deps.store.db
      .selectFrom('message')
      .innerJoin('conversation', 'conversation.id', 'message.conversation_id')
      .leftJoin('app_user', 'app_user.id', 'message.author_user_id')
      .leftJoin('incident', 'incident.id', 'conversation.incident_id')
      .selectAll('message')
      .select(['conversation.subject as conversation_subject', 'conversation.contact_id as conversation_contact_id', 'app_user.name as author_name', 'incident.id as incident_id', 'incident.title as incident_title', 'incident.status as incident_status'])
      .where('message.brand_id', '=', actor.brandId)
      .where('message.status', '=', 'pending_approval')
      .orderBy('message.created_at')
      .limit(500)
      .execute();
    const waits = await this.signOffWaits(actor.brandId, rows);
    return rows.map((r) => ({
      ...presentMessage(r), conversationSubject: r.conversation_subject, authorName: r.author_name, reasons: safeArr(r.approval_reasons),
      // who may sign it off, whether any of them is at the desk now, and the line its author reads when not
      signOff: waits.get(r.id) ?? null,
      // who wrote the text before a reviewer rewrote it at sign-off (the author is now that reviewer), or null
      rewrite: rewriteOf(safeArr(r.approval_reasons)),
      // a statement of a closed incident is not published: approving it is refused (it can still be rejected)
      statement: r.incident_id != null && r.conversation_contact_id == null && r.kind === 'post' ? { incidentId: r.incident_id, incidentTitle: r.incident_title ?? '', incidentStatus: r.incident_status ?? 'closed' } : null,
    }));
  }

  /**
   * Approve or reject a reply or an incident statement waiting for sign-off, or approve it
   * with a text of one's own. Only approved drafts enter the outbox, once: the decision
   * applies only while the draft is still pending, so a second decision (a double click,
   * another approver, a retry) is refused. A draft is never signed off by its author — and a
   * reviewer who changes the text is the author of the new text: it is not sent, it waits for
   * sign-off by someone other than them (`rewriteAtSignOff`; who rewrote whose text is kept in
   * its reasons and the audit trail), so one person never publishes words nobody else read. A
   * statement of a closed incident is never approved: the check holds the incident's row
   * (PostgreSQL) so that it and `closeIncident` happen one after the other.
   */
  async review(actor: Actor, messageId: number, p: { decision: 'approve' | 'reject'; text?: string | null; note?: string | null }) {
    const notReviewer = signOffRefusal({ authorUserId: null }, { userId: actor.userId, role: actor.role });
    if (notReviewer) throw forbidden(notReviewer.message);
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    // a rewrite at sign-off records what its text quotes: what that may be of other conversations is
    // read before the write lock is taken (for `p.text` on this brand: what `rewriteAtReview` writes)
    const elsewhere = await this.rewriteQuotableBeforeWriting(actor, messageId, p);
    const result = await store.db.transaction().execute(async (trx) => {
      const msg = await trx.selectFrom('message').selectAll().where('id', '=', messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
      if (!msg) throw notFound('reply');
      // withdrawn by its author, (a statement) by closing its incident, or (a reply) by the deletion of the post it answers
      if (msg.status === 'withdrawn') {
        if (msg.error === POST_DELETED_ERROR) throw conflict('reply.post_deleted', `${POST_DELETED}: this reply was withdrawn, there is nothing to sign off`);
        if (msg.error === CUSTOMER_ERASED_ERROR) throw conflict('reply.customer_erased', `${CUSTOMER_ERASED}: this reply was withdrawn, there is nothing to sign off`);
        throw (msg.error ?? '').includes('incident was closed')
          ? conflict('incident.closed', 'the incident is closed: this statement was withdrawn and is not published')
          : conflict('approval.withdrawn', 'its author withdrew this draft: there is nothing to sign off');
      }
      if (msg.status !== 'pending_approval') throw conflict('approval.not_pending', `this draft is ${msg.status}, not waiting for approval`);
      const refusal = signOffRefusal({ authorUserId: msg.author_user_id }, { userId: actor.userId, role: actor.role });
      if (refusal) throw new AppError(403, refusal.code, refusal.message);
      // the post it answers deleted on the network, or its customer erased (both withdraw waiting drafts; this catches one they did not: src/outbox/deletedPost.ts)
      if (p.decision === 'approve') await refuseGoneTarget(trx, { visibility: msg.visibility, conversationId: msg.conversation_id, replyToMessageId: msg.reply_to_message_id });
      const conv = await trx.selectFrom('conversation').selectAll().where('id', '=', msg.conversation_id).executeTakeFirstOrThrow();
      // statements live in a conversation of their own (no contact), linked to their incident
      const incidentId = conv.incident_id != null && conv.contact_id == null && msg.kind === 'post' ? conv.incident_id : null;
      const note = p.note?.trim() || null;
      // a rejection says why: its author reads the note (in the thread and their notification), and without one has nothing to act on
      if (p.decision === 'reject' && !note) throw badRequest('approval.reason_required', `say why the ${incidentId != null ? 'statement' : 'reply'} is rejected: its author reads it`);
      if (incidentId != null && p.decision === 'approve') {
        let lock = trx.selectFrom('incident').select(['status']).where('id', '=', incidentId);
        if (store.dialect === 'postgres') lock = lock.forUpdate();
        if ((await lock.executeTakeFirst())?.status !== 'open') throw conflict('incident.closed', 'the incident is closed: nothing more is published about it (reject the statement instead)');
      }
      if (p.decision === 'approve') {
        const account = await trx.selectFrom('channel_account').select(['handle', 'status']).where('id', '=', msg.channel_account_id).executeTakeFirst();
        if (account?.status === 'disabled') throw disabledAccount(account.handle);
      }
      const settings = await this.deps.settings.get(actor.brandId, trx);
      const before = decodeText(msg.text, msg.text_escaped);
      let after = before;
      if (p.decision === 'approve' && p.text != null && p.text !== before) {
        after = p.text;
        const report = checkReply({ text: after, network: conv.network as Network, visibility: msg.visibility as 'public' | 'private', overrides: settings.replyChecks as never, options: incidentId != null ? { expectGreeting: false } : null });
        if (!report.ok) {
          const b = report.results.find((r) => r.severity === 'block')!;
          throw new AppError(422, b.code, b.message, { checks: report.results });
        }
      }
      // the reviewer's own words: a new draft of theirs, back in the queue for someone else
      if (after !== before) return this.rewriteAtReview(trx, actor, { msg, conv, incidentId, before, after, note, now, elsewhere });
      const t = encodeText(after);
      const decided = await trx
        .updateTable('message')
        .set({ status: p.decision === 'approve' ? 'queued' : 'rejected', text: t.text, text_escaped: t.escaped, reviewed_by: actor.userId, reviewed_at: now, review_note: note, error: p.decision === 'reject' ? `rejected: ${note ?? 'no reason given'}` : null })
        .where('id', '=', msg.id)
        .where('status', '=', 'pending_approval')
        .executeTakeFirst();
      // another approver decided in between (PostgreSQL: their transaction committed first)
      if (!Number(decided.numUpdatedRows)) throw conflict('approval.not_pending', 'this draft was decided by someone else a moment ago');
      const fresh = await trx.selectFrom('message').selectAll().where('id', '=', msg.id).executeTakeFirstOrThrow();
      if (p.decision === 'approve') await enqueue(trx, fresh, now);
      const edited = after !== before;
      const outcome = p.decision === 'approve' ? (edited ? 'edited_and_approved' : 'approved') : 'rejected';
      const data = { note, ...(edited ? { before, after } : {}), waitedS: (now - msg.created_at) / 1000 };
      if (incidentId != null) {
        await audit(trx, { brandId: actor.brandId, actor: actor.name, action: `incident.statement_${outcome}`, subjectType: 'incident', subjectId: incidentId, conversationId: msg.conversation_id, data: { messageId: msg.id, ...data } }, now);
      } else {
        await audit(trx, { brandId: actor.brandId, actor: actor.name, action: `reply.${outcome}`, subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id, data }, now);
      }
      const dims = { brandId: actor.brandId, timezone: await this.tz(actor.brandId, trx), conversationId: conv.id, messageId: msg.id, agentId: msg.author_user_id, teamId: conv.team_id, channelAccountId: conv.channel_account_id, network: conv.network, visibility: msg.visibility, priority: conv.priority, category: conv.category };
      await writeFacts(trx, this.deps.store, [factRow(dims, 'approval_wait', now, msg.created_at, now, await businessFor(trx, this.deps.businessSeconds, conv.channel_account_id), { decision: p.decision, approver: actor.userId })]);
      const what = incidentId != null ? 'statement' : 'reply';
      const kind = `${what}.${p.decision === 'approve' ? 'approved' : 'rejected'}`;
      const title = p.decision === 'approve' ? `Your ${what} was approved` : `Your ${what} was not approved`;
      if (msg.author_user_id != null) {
        await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: msg.author_user_id, kind, title, body: note ?? after.slice(0, 200), conversation_id: conv.id, created_at: now }).execute();
      }
      const incident = incidentId != null ? await trx.selectFrom('incident').selectAll().where('id', '=', incidentId).executeTakeFirst() : undefined;
      return { fresh, incident, notices: msg.author_user_id != null ? [{ kind, userIds: [msg.author_user_id] }] : [], queued: p.decision === 'approve' };
    });
    const { fresh, incident, notices, queued } = result;
    bus.publish(actor.brandId, 'message.updated', presentMessage(fresh));
    await this.incidentEvent(actor.brandId, incident);
    for (const n of notices) if (n.userIds.length) bus.publish(actor.brandId, 'notification', { kind: n.kind, conversationId: fresh.conversation_id, messageId: fresh.id }, { userIds: n.userIds });
    if (queued) this.deps.onQueued?.();
    return presentMessage(fresh);
  }

  /**
   * What a rewrite at sign-off (`rewriteAtReview`) may quote of other conversations
   * (`quotableBeforeWriting`), read before `review`'s write transaction: only for an approval with
   * a text of the reviewer's own, other than the draft's as it is now. The transaction writes that
   * text on this brand, so what is read here is right for it; a draft changed in between to that
   * very text is not rewritten, and one changed from it is rewritten and looks up inside, as before.
   */
  private async rewriteQuotableBeforeWriting(actor: Actor, messageId: number, p: { decision: 'approve' | 'reject'; text?: string | null }): Promise<Quotable[] | undefined> {
    if (p.decision !== 'approve' || p.text == null || !mayQuote(p.text)) return undefined;
    const draft = await this.deps.store.db.selectFrom('message').select(['text', 'text_escaped', 'status']).where('id', '=', messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (draft?.status !== 'pending_approval' || decodeText(draft.text, draft.text_escaped) === p.text) return undefined;
    return quotableBeforeWriting(this.deps.store.db, actor.brandId, p.text);
  }

  /**
   * `review` with a text of the reviewer's own (checked already): the draft keeps waiting for
   * sign-off with the new text and the reviewer as its author. The person who wrote the
   * previous text is told (their words were replaced), and for a statement the other people who
   * sign off are asked, as when a statement is posted. No `approval_wait` fact: nobody decided
   * yet, the wait goes on until someone does.
   */
  private async rewriteAtReview(trx: Tx, actor: Actor, r: { msg: MessageRow; conv: { id: number }; incidentId: number | null; before: string; after: string; note: string | null; now: number; elsewhere?: Quotable[] }) {
    const { msg, conv, incidentId, before, after, note, now, elsewhere } = r;
    if (actor.userId == null) throw forbidden('a person rewrites a draft at sign-off: they become its author');
    const nameOf = async (id: number | null) => (id == null ? null : (await trx.selectFrom('app_user').select('name').where('id', '=', id).executeTakeFirst())?.name ?? null);
    const editorName = (await nameOf(actor.userId)) ?? 'An approver';
    const previousAuthorName = await nameOf(msg.author_user_id);
    const rewritten = rewriteAtSignOff({ authorUserId: msg.author_user_id, authorName: previousAuthorName, reasons: safeArr(msg.approval_reasons) as StoredApprovalReason[] }, { userId: actor.userId, name: editorName });
    // the new text waits for someone other than the reviewer: without anyone, it would wait forever
    const approvers = await refuseWithoutApprover(trx, actor.brandId, actor.userId, 'rewrite');
    const t = encodeText(after);
    const done = await trx
      .updateTable('message')
      .set({ text: t.text, text_escaped: t.escaped, author_user_id: rewritten.authorUserId, approval_reasons: JSON.stringify(rewritten.reasons), review_note: note })
      .where('id', '=', msg.id)
      .where('status', '=', 'pending_approval')
      .executeTakeFirst();
    if (!Number(done.numUpdatedRows)) throw conflict('approval.not_pending', 'this draft was decided by someone else a moment ago');
    // the passages its new text quotes, in place of its earlier text's (src/commands/expertQuotes.ts)
    await recordDraftQuotes(trx, { brandId: actor.brandId, conversationId: msg.conversation_id, messageId: msg.id, text: after, now, elsewhere });
    const fresh = await trx.selectFrom('message').selectAll().where('id', '=', msg.id).executeTakeFirstOrThrow();
    const what = incidentId != null ? 'statement' : 'reply';
    const data = { note, before, after, previousAuthorUserId: msg.author_user_id, editedBy: actor.userId, waitedS: (now - msg.created_at) / 1000 };
    if (incidentId != null) {
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'incident.statement_rewritten_for_sign_off', subjectType: 'incident', subjectId: incidentId, conversationId: msg.conversation_id, data: { messageId: msg.id, ...data } }, now);
    } else {
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'reply.rewritten_for_sign_off', subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id, data }, now);
    }
    const notices: { kind: string; userIds: number[] }[] = [];
    if (msg.author_user_id != null && msg.author_user_id !== actor.userId) {
      const kind = `${what}.rewritten`;
      await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: msg.author_user_id, kind, title: `${editorName} rewrote your ${what}: the new text waits for sign-off by someone other than ${editorName}`, body: note ?? after.slice(0, 200), conversation_id: conv.id, created_at: now }).execute();
      notices.push({ kind, userIds: [msg.author_user_id] });
    }
    let incident: Incident | undefined;
    if (incidentId != null) {
      // (the previous author, told above, is not asked twice)
      const reviewers = (await trx.selectFrom('app_user').select('id').where('brand_id', '=', actor.brandId).where('role', 'in', [...SIGN_OFF_ROLES]).where('disabled_at', 'is', null).where('id', '!=', actor.userId).execute()).map((u) => u.id).filter((id) => id !== msg.author_user_id);
      incident = await trx.selectFrom('incident').selectAll().where('id', '=', incidentId).executeTakeFirst();
      for (const uid of reviewers) await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: uid, kind: 'statement.pending_approval', title: `${editorName} rewrote the statement on “${incident?.title ?? 'the incident'}”: it waits for your sign-off`, body: after.slice(0, 300), conversation_id: conv.id, created_at: now }).execute();
      notices.push({ kind: 'statement.pending_approval', userIds: reviewers });
    } else {
      // a rewritten reply is a new draft to sign off: everyone who may is asked again (the previous author, told above, not twice)
      const reviewers = approvers.map((u) => u.id).filter((id) => id !== msg.author_user_id);
      const subject = (await trx.selectFrom('conversation').select('subject').where('id', '=', conv.id).executeTakeFirst())?.subject?.trim();
      for (const uid of reviewers) await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: uid, kind: 'reply.pending_approval', title: `${editorName} rewrote a reply${subject ? ` on “${subject.slice(0, 80)}”` : ''}: it waits for your sign-off`, body: after.slice(0, 300), conversation_id: conv.id, created_at: now }).execute();
      notices.push({ kind: 'reply.pending_approval', userIds: reviewers });
    }
    return { fresh, incident, notices, queued: false };
  }

  /**
   * The author takes back their own draft while it waits for sign-off (to rewrite it, or because
   * the customer was answered meanwhile): it is never sent, leaves the approvals queue, and the
   * thread keeps it as withdrawn. Only the author; only while nobody has decided yet.
   */
  async withdrawDraft(actor: Actor, messageId: number) {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const fresh = await store.db.transaction().execute(async (trx) => {
      const msg = await trx.selectFrom('message').selectAll().where('id', '=', messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
      if (!msg) throw notFound('reply');
      if (msg.author_user_id == null || msg.author_user_id !== actor.userId) throw forbidden('only its author withdraws a draft (an approver rejects it instead)');
      const done = await trx.updateTable('message').set({ status: 'withdrawn', error: 'withdrawn by its author before sign-off' }).where('id', '=', msg.id).where('status', '=', 'pending_approval').executeTakeFirst();
      if (!Number(done.numUpdatedRows)) throw conflict('approval.not_pending', `this draft is ${msg.status}, not waiting for approval: it can no longer be withdrawn`);
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'reply.withdrawn', subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id, data: { waitedS: (now - msg.created_at) / 1000 } }, now);
      return trx.selectFrom('message').selectAll().where('id', '=', msg.id).executeTakeFirstOrThrow();
    });
    bus.publish(actor.brandId, 'message.updated', presentMessage(fresh));
    return presentMessage(fresh);
  }

  /**
   * A draft's wait for sign-off as its author sees it (composer, thread): how many may sign it
   * off, how many of them are at the desk now, and the line to show when nobody is
   * (`signOffWait`). Null `signOff` once the draft no longer waits.
   */
  async signOffWaitOf(actor: Actor, messageId: number) {
    const msg = await this.deps.store.db.selectFrom('message').selectAll().where('id', '=', messageId).where('brand_id', '=', actor.brandId).where('direction', '=', 'outbound').executeTakeFirst();
    if (!msg) throw notFound('reply');
    const waits = msg.status === 'pending_approval' ? await this.signOffWaits(actor.brandId, [msg]) : new Map<number, SignOffWait>();
    return { messageId: msg.id, conversationId: msg.conversation_id, status: msg.status, signOff: waits.get(msg.id) ?? null };
  }

  /** `signOffWait` of each draft (by id): the brand's approvers read once, each account's calendar once. */
  private async signOffWaits(brandId: number, drafts: readonly Pick<MessageRow, 'id' | 'author_user_id' | 'channel_account_id'>[]): Promise<Map<number, SignOffWait>> {
    const out = new Map<number, SignOffWait>();
    if (!drafts.length) return out;
    const { store, clock, settings } = this.deps;
    const everyone = await eligibleApprovers(store.db, brandId, null);
    const accountIds = [...new Set(drafts.map((d) => d.channel_account_id))];
    const accounts = await store.db.selectFrom('channel_account').select(['id', 'calendar']).where('id', 'in', accountIds).execute();
    const calendars = new Map(accounts.map((a) => [a.id, settings.calendarOf(a)]));
    const now = clock.now();
    for (const d of drafts) {
      out.set(d.id, signOffWait(everyone.filter((u) => u.id !== d.author_user_id), { now, calendar: calendars.get(d.channel_account_id) ?? null }));
    }
    return out;
  }

  /**
   * Who a reply by `actor` would be signed off by, and the author's name, read before the
   * reply's write transaction (one indexed read of the brand's people).
   */
  private async heldReplyReaders(db: Tx, actor: Actor): Promise<HeldReplyReaders> {
    const approvers = await eligibleApprovers(db, actor.brandId, actor.userId);
    const authorName = actor.userId != null ? (await db.selectFrom('app_user').select('name').where('id', '=', actor.userId).executeTakeFirst())?.name : undefined;
    return { approvers: approvers.map((u) => u.id), authorName: authorName ?? null };
  }

  /**
   * Tell everyone who may sign a just-held reply off that it waits for them (in-app notification,
   * in the transaction that stores the reply; the live event after its commit), linking to its
   * conversation. Who is read before that transaction (`heldReplyReaders`); without it (not
   * prepared), here.
   */
  private async notifyHeldReply(trx: Tx, ctx: { actor: Actor; conversation: { id: number; subject: string | null }; message: MessageRow; now: number }, prepared: HeldReplyReaders | undefined) {
    const { bus } = this.deps;
    const { actor, conversation: conv, message: msg, now } = ctx;
    const { approvers, authorName } = prepared ?? (await this.heldReplyReaders(trx, actor));
    const on = conv.subject?.trim() ? ` on “${conv.subject.trim().slice(0, 80)}”` : '';
    const title = `${authorName ?? 'A reply'}${authorName ? '’s reply' : ''}${on} waits for your sign-off`;
    const body = decodeText(msg.text, msg.text_escaped).slice(0, 300);
    if (!approvers.length) return;
    await trx.insertInto('notification').values(approvers.map((userId) => ({ brand_id: actor.brandId, user_id: userId, kind: 'reply.pending_approval', title, body, conversation_id: conv.id, created_at: now }))).execute();
    return () => bus.publish(actor.brandId, 'notification', { kind: 'reply.pending_approval', conversationId: conv.id, messageId: msg.id }, { userIds: approvers });
  }

  // ------------------------------------------------------------ knowledge experts

  /**
   * Ask one expert or an expert group. The answer is due within the group's own target
   * (else the brand's), in business hours on the conversation's account calendar when the
   * brand's SLA counts in business hours; the overdue notice is scheduled for that instant.
   */
  async askExpert(actor: Actor, conversationId: number, p: { expertId?: number | null; teamId?: number | null; question: string }) {
    if (actor.userId == null || actor.role === 'expert') throw forbidden('agents ask experts');
    if ((p.expertId == null) === (p.teamId == null)) throw badRequest('expert.target', 'ask one expert (expertId) or an expert group (teamId)');
    const q = p.question.trim();
    if (q.length < 5) throw badRequest('expert.question', 'write the question for the expert');
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const settings = await this.deps.settings.get(actor.brandId);
    const conv = await store.db.selectFrom('conversation').select(['id', 'channel_account_id']).where('id', '=', conversationId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!conv) throw notFound('conversation');
    // what it may quote of other conversations, read before the write lock is taken
    const elsewhere = await quotableBeforeWriting(store.db, actor.brandId, q);
    const { recipients, groupTargetMin } = await this.askable(actor.brandId, actor.userId, p);
    const target = expertTarget(settings.expertTargetMin, groupTargetMin);
    const account = settings.sla.businessHours ? await store.db.selectFrom('channel_account').selectAll().where('id', '=', conv.channel_account_id).executeTakeFirst() : undefined;
    const calendar = account ? this.deps.settings.calendarOf(account) : null;
    const dueAt = expertDueAt(now, target.minutes, calendar);
    const req = await store.db.transaction().execute(async (trx) => {
      const r = await trx.insertInto('expert_request').values({ brand_id: actor.brandId, conversation_id: conv.id, asked_by: actor.userId!, expert_id: p.expertId ?? null, team_id: p.teamId ?? null, question: q, status: 'open', due_at: dueAt, created_at: now }).returningAll().executeTakeFirstOrThrow();
      // the customers' messages it quotes: an erasure of one of them finds the question, and its copies, by them
      await recordExpertQuotes(trx, { brandId: actor.brandId, conversationId: conv.id, requestId: r.id, part: 'question', text: q, now, elsewhere });
      for (const uid of recipients) await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: uid, kind: 'expert.asked', title: 'A colleague needs your expertise', body: q.slice(0, 300), conversation_id: conv.id, created_at: now }).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'expert.asked', subjectType: 'expert_request', subjectId: r.id, conversationId: conv.id, data: { expertId: p.expertId ?? null, teamId: p.teamId ?? null, question: q, targetMin: target.minutes, targetFrom: target.source, businessHours: calendar != null, dueAt } }, now);
      // the notice exists exactly when the question does
      await this.deps.jobs?.addManyIn(trx, [{ kind: EXPERT_OVERDUE_JOB, payload: { requestId: r.id }, runAt: dueAt, key: expertJobKey(r.id) }]);
      return r;
    });
    const asked = presentRequest(req, await askerNameOf(store.db, req));
    // the notice first: it opens the conversation to an expert's stream (src/server/routes/events.ts), so the request's event reaches them too
    bus.publish(actor.brandId, 'notification', { kind: 'expert.asked', conversationId: conv.id, requestId: req.id }, { userIds: recipients });
    bus.publish(actor.brandId, 'expert.request', asked);
    return asked;
  }

  /**
   * Whom a question to this expert or expert group reaches, validated: an enabled knowledge expert
   * of the brand (not the asker), or an expert group of the brand with someone other than the asker
   * to answer; with the group's own answer target, if any. Asking and reassigning both go through it.
   */
  private async askable(brandId: number, askerId: number, p: { expertId?: number | null; teamId?: number | null }): Promise<{ recipients: number[]; groupTargetMin: number | null; label: string }> {
    const { store } = this.deps;
    let recipients: number[];
    let groupTargetMin: number | null = null;
    let label: string;
    if (p.expertId != null) {
      if (p.expertId === askerId) throw badRequest('expert.self', 'you cannot ask yourself: choose a knowledge expert');
      const e = await store.db.selectFrom('app_user').select(['id', 'role', 'name']).where('id', '=', p.expertId).where('brand_id', '=', brandId).where('disabled_at', 'is', null).executeTakeFirst();
      if (!e) throw badRequest('expert.unknown', 'no such person in this brand');
      if (e.role !== 'expert') throw badRequest('expert.not_expert', `${e.name} is not a knowledge expert: ask someone with the expert role, or an expert group`);
      recipients = [e.id];
      label = e.name;
    } else {
      const t = await store.db.selectFrom('team').select(['id', 'name', 'settings']).where('id', '=', p.teamId!).where('brand_id', '=', brandId).executeTakeFirst();
      if (!t) throw badRequest('expert.unknown_team', 'no such group in this brand');
      groupTargetMin = groupExpertTargetMin(t.settings);
      label = t.name;
      const members = await store.db.selectFrom('team_member').innerJoin('app_user', 'app_user.id', 'team_member.user_id').select(['app_user.id', 'app_user.role', 'app_user.disabled_at']).where('team_member.team_id', '=', t.id).execute();
      if (!isExpertGroup(members, groupTargetMin)) throw badRequest('expert.not_expert_group', `${t.name} is not an expert group (it has no knowledge expert and no answer target of its own): ask an expert or an expert group`);
      // the asker never answers their own question, so is not asked it
      recipients = members.filter((m) => m.disabled_at == null && m.id !== askerId).map((m) => m.id);
      if (!recipients.length) throw badRequest('expert.no_one_to_ask', `nobody else in ${t.name} can answer: ask an expert`);
    }
    return { recipients, groupTargetMin, label };
  }

  /**
   * Announce that a question went unanswered past its due time: an in-app notification to
   * the named expert or the group's members and to the agent who asked, and an audit entry.
   * Exactly once per question: setting `overdue_at` where it is still null is the claim, in
   * the same transaction as the notifications, so a second run — the sweep after the job,
   * another process, a restart — finds it claimed and does nothing. Returns whether this
   * call announced it.
   */
  async notifyExpertOverdue(requestId: number): Promise<boolean> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const done = await store.db.transaction().execute(async (trx) => {
      const req = await trx.selectFrom('expert_request').selectAll().where('id', '=', requestId).executeTakeFirst();
      if (!req || !isOverdueUnannounced({ status: req.status, dueAt: req.due_at, overdueAt: req.overdue_at }, now)) return null;
      const claimed = await trx.updateTable('expert_request').set({ overdue_at: now }).where('id', '=', req.id).where('status', '=', 'open').where('overdue_at', 'is', null).executeTakeFirst();
      if (!Number(claimed.numUpdatedRows)) return null;
      const members = req.team_id != null ? (await trx.selectFrom('team_member').select('user_id').where('team_id', '=', req.team_id).execute()).map((m) => m.user_id) : [];
      const candidates = overdueRecipients({ askedBy: req.asked_by, expertId: req.expert_id, groupMemberIds: members });
      const active = new Set((await trx.selectFrom('app_user').select('id').where('id', 'in', candidates).where('disabled_at', 'is', null).execute()).map((u) => u.id));
      const to = candidates.filter((id) => active.has(id));
      const group = req.team_id != null ? await trx.selectFrom('team').select('name').where('id', '=', req.team_id).executeTakeFirst() : undefined;
      const waitedMin = Math.round((now - req.created_at) / 60_000);
      const title = `Expert question unanswered for ${formatTarget(waitedMin)}${group ? ` (${group.name})` : ''}`;
      const body = req.question.slice(0, 300);
      for (const userId of to) await trx.insertInto('notification').values({ brand_id: req.brand_id, user_id: userId, kind: 'expert.overdue', title, body, conversation_id: req.conversation_id, created_at: now }).execute();
      await audit(trx, { brandId: req.brand_id, actor: 'system:experts', action: 'expert.overdue', subjectType: 'expert_request', subjectId: req.id, conversationId: req.conversation_id, data: { dueAt: req.due_at, teamId: req.team_id, expertId: req.expert_id, notified: to } }, now);
      return { req: { ...req, overdue_at: now }, to, title, body };
    });
    if (!done) return false;
    bus.publish(done.req.brand_id, 'expert.request', presentRequest(done.req, await askerNameOf(store.db, done.req)));
    if (done.to.length) bus.publish(done.req.brand_id, 'notification', { kind: 'expert.overdue', conversationId: done.req.conversation_id, requestId: done.req.id, title: done.title, body: done.body }, { userIds: done.to });
    return true;
  }

  /**
   * The safety net behind the per-question jobs (a missed job, downtime, a target that was
   * already past when the job system was down): announce every open question past its due
   * time that has not been announced yet. Returns how many were announced now.
   */
  async sweepOverdueExpertRequests(limit = 200): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.store.db.selectFrom('expert_request').select('id').where('status', '=', 'open').where('due_at', '<=', now).where('overdue_at', 'is', null).orderBy('due_at').limit(limit).execute();
    let n = 0;
    for (const r of due) if (await this.notifyExpertOverdue(r.id)) n++;
    return n;
  }

  /** Requests for an expert (their own and their groups'), or every request of a conversation; each with its asker's name. */
  async expertRequests(actor: Actor, opts: { conversationId?: number; status?: string } = {}) {
    let q = this.deps.store.db
      .selectFrom('expert_request')
      .innerJoin('conversation', 'conversation.id', 'expert_request.conversation_id')
      .leftJoin('app_user as asker', (j) => j.onRef('asker.id', '=', 'expert_request.asked_by').onRef('asker.brand_id', '=', 'expert_request.brand_id'))
      // the answer as its note reads now (an erasure's redaction included), and who wrote it: of the request's brand only
      .leftJoin('note as answer', (j) => j.onRef('answer.id', '=', 'expert_request.answer_note_id').onRef('answer.brand_id', '=', 'expert_request.brand_id'))
      .leftJoin('app_user as answerer', (j) => j.onRef('answerer.id', '=', 'expert_request.answered_by').onRef('answerer.brand_id', '=', 'expert_request.brand_id'))
      .selectAll('expert_request')
      .select(['conversation.subject', 'asker.name as asked_by_name', 'answer.text as answer_text', 'answerer.name as answered_by_name'])
      // when the answer was last corrected (its expert's edits: `editExpertAnswer`)
      .select((eb) => eb.selectFrom('expert_answer_revision').select((e) => e.fn.max('expert_answer_revision.replaced_at').as('m')).whereRef('expert_answer_revision.expert_request_id', '=', 'expert_request.id').as('answer_edited_at'))
      .where('expert_request.brand_id', '=', actor.brandId);
    if (opts.conversationId != null) q = q.where('expert_request.conversation_id', '=', opts.conversationId);
    if (opts.status) q = q.where('expert_request.status', '=', opts.status);
    const scope = await this.expertScope(actor);
    if (scope) q = q.where(scope);
    const rows = await q.orderBy('expert_request.created_at', 'desc').limit(500).execute();
    const why = await this.cancelReasons(actor.brandId, rows.filter((r) => r.status === 'cancelled').map((r) => r.id));
    // every role that lists these reads the conversations' notes (an expert only those they were asked about, as listed)
    return rows.map((r) => ({ ...presentRequest(r, r.asked_by_name, { text: r.answer_text, byName: r.answered_by_name, editedAt: r.answer_edited_at == null ? null : Number(r.answer_edited_at) }), cancelReason: why.get(r.id)?.reason ?? null, cancelNote: why.get(r.id)?.note ?? null, conversationSubject: r.subject }));
  }

  /** The questions an expert sees: those to them or to one of their groups (null: any other role sees the brand's). */
  private async expertScope(actor: Actor) {
    if (actor.role !== 'expert') return null;
    const teams = (await this.deps.store.db.selectFrom('team_member').select('team_id').where('user_id', '=', actor.userId!).execute()).map((t) => t.team_id);
    return (eb: ExpressionBuilder<DB, 'expert_request'>) => eb.or([eb('expert_request.expert_id', '=', actor.userId!), ...(teams.length ? [eb('expert_request.team_id', 'in', teams)] : [])]);
  }

  /**
   * The versions of a question's answer, oldest first: the first answer, then each correction,
   * the last one being the answer as it reads now (an erasure's redaction included). Each with who
   * wrote it (their name, for experts who may not list people) and when. Whoever may list the
   * question may read it (an expert: questions to them or their groups); 404 otherwise, and for a
   * question not answered, whose answer has no versions.
   */
  async expertAnswerHistory(actor: Actor, requestId: number) {
    const { db } = this.deps.store;
    let q = db.selectFrom('expert_request').selectAll().where('id', '=', requestId).where('brand_id', '=', actor.brandId);
    const scope = await this.expertScope(actor);
    if (scope) q = q.where(scope);
    const req = await q.executeTakeFirst();
    if (!req) throw notFound('expert request');
    if (req.answer_note_id == null || req.answered_at == null) throw notFound('answer');
    const note = await db.selectFrom('note').select('text').where('id', '=', req.answer_note_id).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!note) throw notFound('answer');
    const revisions = await db.selectFrom('expert_answer_revision').select(['text', 'replaced_by', 'replaced_at'])
      .where('expert_request_id', '=', req.id).where('brand_id', '=', actor.brandId).orderBy('replaced_at').orderBy('id').execute();
    // a revision keeps the text it replaced: version i was written by whoever replaced version i-1 (the first, by who answered)
    const texts = [...revisions.map((r) => r.text), decodeText(note.text, null)];
    const authors = [{ by: req.answered_by, at: req.answered_at }, ...revisions.map((r) => ({ by: r.replaced_by, at: r.replaced_at }))];
    const ids = [...new Set(authors.map((a) => a.by).filter((id): id is number => id != null))];
    const names = new Map(ids.length ? (await db.selectFrom('app_user').select(['id', 'name']).where('id', 'in', ids).where('brand_id', '=', actor.brandId).execute()).map((u) => [u.id, u.name]) : []);
    return texts.map((text, i) => {
      const { by, at } = authors[i]!;
      return { version: i + 1, text, byId: by, byName: by == null ? null : names.get(by) ?? null, at: new Date(Number(at)).toISOString(), current: i === texts.length - 1 };
    });
  }

  /** Why each cancelled question was cancelled, from its `expert.cancelled` audit entry: the conversation resolved, the expert unable to answer, or withdrawn (with the reason given). */
  private async cancelReasons(brandId: number, ids: number[]): Promise<Map<number, { reason: CancelReason; note: string | null }>> {
    const out = new Map<number, { reason: CancelReason; note: string | null }>();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500).map(String);
      const rows = await this.deps.store.db.selectFrom('audit_event').select(['subject_id', 'data']).where('brand_id', '=', brandId).where('action', '=', 'expert.cancelled').where('subject_type', '=', 'expert_request').where('subject_id', 'in', part).execute();
      for (const r of rows) {
        const d = parseObject(r.data);
        out.set(Number(r.subject_id), d.reason === CONVERSATION_RESOLVED ? { reason: CONVERSATION_RESOLVED, note: null } : d.reason === WITHDRAWN ? { reason: WITHDRAWN, note: typeof d.note === 'string' ? d.note : null } : { reason: 'expert_unavailable', note: null });
      }
    }
    return out;
  }

  /** Whether an expert may see (and note on) a conversation: only what they were asked. */
  /** The conversations an expert may read: those they, or a group of theirs, were asked about. */
  async expertConversationIds(userId: number): Promise<number[]> {
    const teams = (await this.deps.store.db.selectFrom('team_member').select('team_id').where('user_id', '=', userId).execute()).map((t) => t.team_id);
    const rows = await this.deps.store.db
      .selectFrom('expert_request')
      .select('conversation_id')
      .distinct()
      .where((eb) => eb.or([eb('expert_id', '=', userId), ...(teams.length ? [eb('team_id', 'in', teams)] : [])]))
      .execute();
    return rows.map((r) => r.conversation_id);
  }

  async expertMayAccess(userId: number, conversationId: number): Promise<boolean> {
    const teams = (await this.deps.store.db.selectFrom('team_member').select('team_id').where('user_id', '=', userId).execute()).map((t) => t.team_id);
    const r = await this.deps.store.db
      .selectFrom('expert_request')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where((eb) => eb.or([eb('expert_id', '=', userId), ...(teams.length ? [eb('team_id', 'in', teams)] : [])]))
      .executeTakeFirst();
    return !!r;
  }

  /**
   * Who may answer a question: the expert it was asked of, or a member of the expert group
   * it was asked of; an admin may answer on their behalf (recorded as such). Never the
   * person who asked it — their own answer would close the question and count as an
   * expert's answer in the reports. Returns whether the answer is on someone's behalf.
   */
  private async mayAnswer(actor: Actor, req: { asked_by: number; expert_id: number | null; team_id: number | null }): Promise<{ onBehalf: boolean }> {
    if (actor.userId == null) throw forbidden('questions to experts are answered by people');
    if (actor.userId === req.asked_by) throw new AppError(403, 'expert.own_question', 'you asked this question: the expert answers it (add a note to the conversation instead)');
    const asked = req.expert_id != null
      ? req.expert_id === actor.userId
      : req.team_id != null && !!(await this.deps.store.db.selectFrom('team_member').select('user_id').where('team_id', '=', req.team_id).where('user_id', '=', actor.userId).executeTakeFirst());
    if (asked) return { onBehalf: false };
    if (actor.role === 'admin') return { onBehalf: true };
    throw forbidden('this question was not asked of you');
  }

  /** The expert answers inside the conversation, as a note; the agent keeps ownership. */
  async answerExpert(actor: Actor, requestId: number, text: string) {
    const { store, clock, bus } = this.deps;
    const req = await store.db.selectFrom('expert_request').selectAll().where('id', '=', requestId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!req) throw notFound('expert request');
    if (req.status !== 'open') throw conflict('expert.closed', `this request is ${req.status}`);
    const { onBehalf } = await this.mayAnswer(actor, req);
    const onBehalfOf = onBehalf ? { expertId: req.expert_id, teamId: req.team_id } : null;
    // what the answer may quote of other conversations, read once for its note and its record, before either writes
    const elsewhere = await quotableBeforeWriting(store.db, actor.brandId, text);
    const note = await this.deps.conversations.addNote(actor, req.conversation_id, text, { elsewhere });
    const now = clock.now();
    const answered = await store.db.transaction().execute(async (trx) => {
      const claimed = await trx.updateTable('expert_request').set({ status: 'answered', answered_by: actor.userId, answer_note_id: note.id, answered_at: now }).where('id', '=', req.id).where('status', '=', 'open').executeTakeFirst();
      // answered (or cancelled) by another request since the check above: its answer stands; this one stays a plain note
      if (!Number(claimed.numUpdatedRows)) throw conflict('expert.closed', 'this request was answered or cancelled meanwhile');
      await this.deps.jobs?.cancelManyIn(trx, [expertJobKey(req.id)]);
      await recordExpertQuotes(trx, { brandId: actor.brandId, conversationId: req.conversation_id, requestId: req.id, part: 'answer', text, now, elsewhere });
      const conv = await trx.selectFrom('conversation').selectAll().where('id', '=', req.conversation_id).executeTakeFirstOrThrow();
      const dims = { brandId: actor.brandId, timezone: await this.tz(actor.brandId, trx), conversationId: conv.id, messageId: null, agentId: actor.userId, teamId: req.team_id, channelAccountId: conv.channel_account_id, network: conv.network, visibility: conv.visibility, priority: conv.priority, category: conv.category };
      await writeFacts(trx, this.deps.store, [factRow(dims, 'expert_wait', now, req.created_at, now, await businessFor(trx, this.deps.businessSeconds, conv.channel_account_id), { requestId: req.id, onTime: req.due_at == null || now <= req.due_at, ...(onBehalf ? { onBehalf: true } : {}) })]);
      await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: req.asked_by, kind: 'expert.answered', title: onBehalf ? 'An admin answered your question for the expert' : 'An expert answered your question', body: text.slice(0, 300), conversation_id: conv.id, created_at: now }).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'expert.answered', subjectType: 'expert_request', subjectId: req.id, conversationId: conv.id, data: { noteId: note.id, ...(onBehalfOf ? { onBehalfOf } : {}) } }, now);
      return trx.selectFrom('expert_request').selectAll().where('id', '=', req.id).executeTakeFirstOrThrow();
    });
    const askerName = await askerNameOf(store.db, answered);
    bus.publish(actor.brandId, 'expert.request', presentRequest(answered, askerName));
    bus.publish(actor.brandId, 'notification', { kind: 'expert.answered', conversationId: req.conversation_id, requestId: req.id }, { userIds: [req.asked_by] });
    // the answerer reads the request as the conversation's list shows it: with the answer's text as its note reads, and who answered
    const answer = await store.db.selectFrom('note').leftJoin('app_user', (j) => j.on('app_user.id', '=', actor.userId!).onRef('app_user.brand_id', '=', 'note.brand_id'))
      .select(['note.text', 'app_user.name']).where('note.id', '=', answered.answer_note_id!).executeTakeFirst();
    return { request: { ...presentRequest(answered, askerName, { text: answer?.text ?? null, byName: answer?.name ?? null }), cancelReason: null, cancelNote: null }, note };
  }

  /** Who may cancel or reassign a question besides its asker: the desk's leads (approvers) and admins. */
  private mayManageQuestion(actor: Actor, req: { asked_by: number }): void {
    if (actor.userId == null) throw forbidden('questions to experts are managed by people');
    if (actor.userId === req.asked_by || actor.role === 'approver' || actor.role === 'admin') return;
    throw new AppError(403, 'expert.not_your_question', 'only the agent who asked, a lead or an admin may change this question');
  }

  /** An open question of the brand, or the problem: 404 unknown, 409 `expert.closed` once answered or cancelled. */
  private async openQuestion(actor: Actor, requestId: number) {
    const req = await this.deps.store.db.selectFrom('expert_request').selectAll().where('id', '=', requestId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!req) throw notFound('expert request');
    this.mayManageQuestion(actor, req);
    if (req.status !== 'open') throw conflict('expert.closed', `this question is ${req.status}: only an open question can be changed`);
    return req;
  }

  /** The people a question is with now: its named expert, or its group's members; enabled, never its asker. */
  private async askedNow(trx: Tx, req: { brand_id: number; asked_by: number; expert_id: number | null; team_id: number | null }): Promise<number[]> {
    const rows = req.expert_id != null
      ? await trx.selectFrom('app_user').select('id').where('id', '=', req.expert_id).where('brand_id', '=', req.brand_id).where('disabled_at', 'is', null).execute()
      : req.team_id != null
        ? await trx.selectFrom('team_member').innerJoin('app_user', 'app_user.id', 'team_member.user_id').select('app_user.id').where('team_member.team_id', '=', req.team_id).where('app_user.brand_id', '=', req.brand_id).where('app_user.disabled_at', 'is', null).execute()
        : [];
    return [...new Set(rows.map((r) => r.id))].filter((id) => id !== req.asked_by);
  }

  /**
   * The asker (or a lead or admin) withdraws an open question, with an optional reason: it is
   * cancelled (reason `withdrawn`), its overdue notice dropped, the expert — or the group's
   * members — told, and the asker too when someone else withdrew it; audited. 409
   * `expert.closed` once answered or cancelled.
   */
  async cancelExpertRequest(actor: Actor, requestId: number, p: { reason?: string | null } = {}) {
    const { store, clock, bus } = this.deps;
    const req = await this.openQuestion(actor, requestId);
    const reason = p.reason?.trim() || null;
    if (reason && reason.length > 500) throw badRequest('expert.reason_too_long', 'keep the reason under 500 characters');
    const now = clock.now();
    const who = await personName(store.db, actor);
    const done = await store.db.transaction().execute(async (trx) => {
      const c = await trx.updateTable('expert_request').set({ status: 'cancelled' }).where('id', '=', req.id).where('status', '=', 'open').executeTakeFirst();
      if (!Number(c.numUpdatedRows)) throw conflict('expert.closed', 'this question was answered or cancelled meanwhile');
      await this.deps.jobs?.cancelManyIn(trx, [expertJobKey(req.id)]);
      const experts = (await this.askedNow(trx, req)).filter((id) => id !== actor.userId);
      const asker = req.asked_by !== actor.userId ? [req.asked_by] : [];
      const body = (reason ? `${reason} — ${req.question}` : req.question).slice(0, 300);
      for (const userId of experts) await trx.insertInto('notification').values({ brand_id: req.brand_id, user_id: userId, kind: 'expert.cancelled', title: `${who} withdrew a question to you: no answer needed`, body, conversation_id: req.conversation_id, created_at: now }).execute();
      for (const userId of asker) await trx.insertInto('notification').values({ brand_id: req.brand_id, user_id: userId, kind: 'expert.cancelled', title: `${who} withdrew your question to the expert`, body, conversation_id: req.conversation_id, created_at: now }).execute();
      const to = [...experts, ...asker];
      await audit(trx, { brandId: req.brand_id, actor: actor.name, action: 'expert.cancelled', subjectType: 'expert_request', subjectId: req.id, conversationId: req.conversation_id, data: { expertId: req.expert_id, teamId: req.team_id, reason: WITHDRAWN, note: reason, notified: to } }, now);
      return { r: { ...req, status: 'cancelled' }, to };
    });
    const askerName = await askerNameOf(store.db, done.r);
    bus.publish(actor.brandId, 'expert.request', presentRequest(done.r, askerName));
    if (done.to.length) bus.publish(actor.brandId, 'notification', { kind: 'expert.cancelled', conversationId: req.conversation_id, requestId: req.id }, { userIds: done.to });
    return { ...presentRequest(done.r, askerName, { text: null, byName: null }), cancelReason: WITHDRAWN as CancelReason, cancelNote: reason };
  }

  /**
   * The asker (or a lead or admin) hands an open question to another expert or expert group of the
   * brand (validated as when asking). The overdue clock restarts: the new expert is held to the
   * target from when they were asked — a clock carried over would often make the question overdue
   * the moment it arrives and blame someone who never had it, the usual reason to reassign being
   * that the first expert was away. The asker's whole wait still counts in the reports (`expert_wait`
   * runs from when it was first asked). The old and new experts are told; audited with both.
   */
  async reassignExpertRequest(actor: Actor, requestId: number, p: { expertId?: number | null; teamId?: number | null; reason?: string | null }) {
    if ((p.expertId == null) === (p.teamId == null)) throw badRequest('expert.target', 'reassign to one expert (expertId) or an expert group (teamId)');
    const { store, clock, bus } = this.deps;
    const req = await this.openQuestion(actor, requestId);
    if ((p.expertId != null && p.expertId === req.expert_id) || (p.teamId != null && p.teamId === req.team_id)) throw badRequest('expert.same_target', 'the question is already with them: choose another expert or group');
    const reason = p.reason?.trim() || null;
    if (reason && reason.length > 500) throw badRequest('expert.reason_too_long', 'keep the reason under 500 characters');
    // validated as a new question would be, for the agent who asked it (they never answer it)
    const { recipients, groupTargetMin, label } = await this.askable(req.brand_id, req.asked_by, p);
    const settings = await this.deps.settings.get(actor.brandId);
    const target = expertTarget(settings.expertTargetMin, groupTargetMin);
    const conv = await store.db.selectFrom('conversation').select('channel_account_id').where('id', '=', req.conversation_id).executeTakeFirstOrThrow();
    const account = settings.sla.businessHours ? await store.db.selectFrom('channel_account').selectAll().where('id', '=', conv.channel_account_id).executeTakeFirst() : undefined;
    const calendar = account ? this.deps.settings.calendarOf(account) : null;
    const now = clock.now();
    const dueAt = expertDueAt(now, target.minutes, calendar);
    const who = await personName(store.db, actor);
    const done = await store.db.transaction().execute(async (trx) => {
      const before = (await this.askedNow(trx, req)).filter((id) => id !== actor.userId && !recipients.includes(id));
      const claimed = await trx.updateTable('expert_request').set({ expert_id: p.expertId ?? null, team_id: p.teamId ?? null, due_at: dueAt, overdue_at: null })
        .where('id', '=', req.id).where('status', '=', 'open').executeTakeFirst();
      if (!Number(claimed.numUpdatedRows)) throw conflict('expert.closed', 'this question was answered or cancelled meanwhile');
      // the overdue notice moves to the new due time (same key: the pending one is replaced)
      await this.deps.jobs?.addManyIn(trx, [{ kind: EXPERT_OVERDUE_JOB, payload: { requestId: req.id }, runAt: dueAt, key: expertJobKey(req.id) }]);
      const body = req.question.slice(0, 300);
      const to = recipients.filter((id) => id !== actor.userId);
      for (const userId of to) await trx.insertInto('notification').values({ brand_id: req.brand_id, user_id: userId, kind: 'expert.asked', title: 'A colleague needs your expertise (reassigned to you)', body, conversation_id: req.conversation_id, created_at: now }).execute();
      for (const userId of before) await trx.insertInto('notification').values({ brand_id: req.brand_id, user_id: userId, kind: 'expert.reassigned', title: `${who} gave a question to ${label}: no answer needed from you`, body, conversation_id: req.conversation_id, created_at: now }).execute();
      await audit(trx, { brandId: req.brand_id, actor: actor.name, action: 'expert.reassigned', subjectType: 'expert_request', subjectId: req.id, conversationId: req.conversation_id, data: { from: { expertId: req.expert_id, teamId: req.team_id }, to: { expertId: p.expertId ?? null, teamId: p.teamId ?? null }, reason, previousDueAt: req.due_at, dueAt, targetMin: target.minutes, targetFrom: target.source, businessHours: calendar != null, notified: [...to, ...before] } }, now);
      return { r: await trx.selectFrom('expert_request').selectAll().where('id', '=', req.id).executeTakeFirstOrThrow(), to, before };
    });
    const askerName = await askerNameOf(store.db, done.r);
    const presented = presentRequest(done.r, askerName);
    // the new experts' notice first, as when asking: their streams then carry the request's event
    if (done.to.length) bus.publish(actor.brandId, 'notification', { kind: 'expert.asked', conversationId: req.conversation_id, requestId: req.id }, { userIds: done.to });
    bus.publish(actor.brandId, 'expert.request', presented);
    if (done.before.length) bus.publish(actor.brandId, 'notification', { kind: 'expert.reassigned', conversationId: req.conversation_id, requestId: req.id }, { userIds: done.before });
    return { ...presentRequest(done.r, askerName, { text: null, byName: null }), cancelReason: null, cancelNote: null };
  }

  /**
   * The expert who answered corrects their answer. The answer stays one note, now with the new
   * text; the text it replaces is kept (`expert_answer_revision`) and both are in the audit entry
   * (`expert.answer_edited`). The asker is told. Replies already sent (or on their way) that used
   * the earlier text are named to the expert (`usedInReplies`), and left as they are. Quotes follow
   * the current answer: its `expert_quote` rows become the new text's, the earlier text's kept as
   * `revision` (the history still holds it, so an erasure of a customer it quoted must find it), and
   * the new text's passages are added to the note's (`quote_passage`); the lookups of other
   * conversations run before the write transaction, as when answering.
   */
  async editExpertAnswer(actor: Actor, requestId: number, text: string) {
    const { store, clock, bus } = this.deps;
    const body = text.trim();
    if (!body) throw badRequest('expert.answer_empty', 'write the corrected answer');
    if (body.length > 20_000) throw badRequest('expert.answer_too_long', 'answers are limited to 20,000 characters');
    const req = await store.db.selectFrom('expert_request').selectAll().where('id', '=', requestId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!req) throw notFound('expert request');
    if (req.status !== 'answered' || req.answer_note_id == null) throw conflict('expert.not_answered', `this question is ${req.status}: only an answer can be corrected`);
    if (actor.userId == null || actor.userId !== req.answered_by) throw new AppError(403, 'expert.not_your_answer', 'only the expert who answered may correct the answer');
    const current = await store.db.selectFrom('note').select(['id', 'text']).where('id', '=', req.answer_note_id).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!current) throw notFound('answer');
    const previous = decodeText(current.text, null);
    if (previous === body) throw badRequest('expert.answer_unchanged', 'the answer already says that');
    // read before the write transaction: what the new text may quote elsewhere, and the replies that used the earlier text
    const elsewhere = await quotableBeforeWriting(store.db, actor.brandId, body);
    const replies = await store.db.selectFrom('message').select(['id', 'text', 'text_escaped', 'status'])
      .where('brand_id', '=', actor.brandId).where('conversation_id', '=', req.conversation_id).where('direction', '=', 'outbound')
      .where('status', 'in', ['sent', 'queued', 'sending']).where('created_at', '>=', req.answered_at ?? 0).execute();
    const usedInReplies = repliesUsing(previous, replies.map((m) => ({ id: Number(m.id), text: decodeText(m.text, m.text_escaped) })));
    const now = clock.now();
    const edited = await store.db.transaction().execute(async (trx) => {
      // the same text as read: an edit in between is not overwritten unseen
      const c = await trx.updateTable('note').set({ text: encodeText(body).text }).where('id', '=', current.id).where('text', '=', current.text).executeTakeFirst();
      if (!Number(c.numUpdatedRows)) throw conflict('expert.answer_changed', 'the answer changed meanwhile: read it again');
      await trx.insertInto('expert_answer_revision').values({ brand_id: actor.brandId, expert_request_id: req.id, note_id: current.id, text: previous, replaced_by: actor.userId, replaced_at: now }).execute();
      await trx.updateTable('expert_quote').set({ part: 'revision' }).where('expert_request_id', '=', req.id).where('part', '=', 'answer').execute();
      await recordExpertQuotes(trx, { brandId: actor.brandId, conversationId: req.conversation_id, requestId: req.id, part: 'answer', text: body, now, elsewhere });
      await recordNoteQuotes(trx, { brandId: actor.brandId, conversationId: req.conversation_id, noteId: Number(current.id), text: body, now, elsewhere });
      await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: req.asked_by, kind: 'expert.answer_edited', title: usedInReplies.length ? 'The expert corrected an answer you already used in a reply' : 'The expert corrected their answer', body: body.slice(0, 300), conversation_id: req.conversation_id, created_at: now }).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'expert.answer_edited', subjectType: 'expert_request', subjectId: req.id, conversationId: req.conversation_id, data: { noteId: current.id, previous, text: body, usedInReplies } }, now);
      return trx.selectFrom('expert_request').selectAll().where('id', '=', req.id).executeTakeFirstOrThrow();
    });
    const askerName = await askerNameOf(store.db, edited);
    // when it was corrected says what changed (the text is read from the list, as ever)
    bus.publish(actor.brandId, 'expert.request', { ...presentRequest(edited, askerName), answerEditedAt: new Date(now).toISOString() });
    bus.publish(actor.brandId, 'notification', { kind: 'expert.answer_edited', conversationId: req.conversation_id, requestId: req.id }, { userIds: [req.asked_by] });
    return {
      request: { ...presentRequest(edited, askerName, { text: body, byName: await personName(store.db, actor), editedAt: now }), cancelReason: null, cancelNote: null },
      usedInReplies,
      ...(usedInReplies.length ? { warning: `Your earlier answer was already used in ${usedInReplies.length === 1 ? 'a reply' : `${usedInReplies.length} replies`} to the customer: sent replies are not changed. Tell the agent if the customer needs a correction.` } : {}),
    };
  }

  // ------------------------------------------------------------ people who stop taking conversations

  /**
   * Hand back the open conversations of someone who no longer takes any (disabled, or now
   * an expert): each goes back unassigned to its team's queue — the conversation's team,
   * else the person's own, else the routing default — through the ordinary assignment
   * command, so each change is audited, published live, its SLA re-evaluated and the
   * queue routed again to the agents online with capacity. Returns the conversations released.
   */
  async releaseConversations(actor: Actor, userId: number, reason: 'disabled' | 'role'): Promise<number[]> {
    const { db } = this.deps.store;
    const held = await db.selectFrom('conversation').select(['id', 'team_id']).where('brand_id', '=', actor.brandId).where('assignee_id', '=', userId).where('status', '!=', 'resolved').orderBy('id').execute();
    if (!held.length) return [];
    const ownTeam = (await db.selectFrom('team_member').innerJoin('team', 'team.id', 'team_member.team_id').select('team.id').where('team_member.user_id', '=', userId).where('team.brand_id', '=', actor.brandId).orderBy('team.id').executeTakeFirst())?.id;
    const routing = (await this.deps.settings.get(actor.brandId)).routing;
    const fallbackTeam = ownTeam ?? (routing ? Number(routing.defaultTeamId) : null);
    const released: number[] = [];
    for (const c of held) {
      await this.deps.conversations.assign(actor, c.id, { assigneeId: null, ...(c.team_id == null && fallbackTeam != null ? { teamId: fallbackTeam } : {}) });
      released.push(c.id);
    }
    await audit(db, { brandId: actor.brandId, actor: actor.name, action: 'user.conversations_released', subjectType: 'user', subjectId: userId, data: { reason, conversationIds: released } }, this.deps.clock.now());
    return released;
  }

  /**
   * Cancel the open questions asked of one knowledge expert who can no longer answer them
   * (disabled, or no longer an expert): nobody else may answer a question asked of one person,
   * so it would wait forever, and its overdue notice reach the asker alone. Each asker is told,
   * to ask someone else; each cancellation is audited and its overdue notice dropped. Questions
   * to a group stay open for the group's other members. Returns the questions cancelled.
   */
  async releaseExpertQuestions(actor: Actor, userId: number, reason: 'disabled' | 'role'): Promise<number[]> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const done = await store.db.transaction().execute(async (trx) => {
      const open = await trx.selectFrom('expert_request').selectAll().where('brand_id', '=', actor.brandId).where('expert_id', '=', userId).where('status', '=', 'open').orderBy('id').execute();
      if (!open.length) return [];
      const name = (await trx.selectFrom('app_user').select('name').where('id', '=', userId).executeTakeFirst())?.name ?? 'The expert';
      const why = reason === 'disabled' ? 'their account was disabled' : 'they are no longer a knowledge expert';
      const out: typeof open = [];
      for (const r of open) {
        const c = await trx.updateTable('expert_request').set({ status: 'cancelled' }).where('id', '=', r.id).where('status', '=', 'open').executeTakeFirst();
        if (!Number(c.numUpdatedRows)) continue;
        await this.deps.jobs?.cancelManyIn(trx, [expertJobKey(r.id)]);
        await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: r.asked_by, kind: 'expert.cancelled', title: `${name} can no longer answer your question: ask someone else`, body: r.question.slice(0, 300), conversation_id: r.conversation_id, created_at: now }).execute();
        await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'expert.cancelled', subjectType: 'expert_request', subjectId: r.id, conversationId: r.conversation_id, data: { expertId: userId, reason: why } }, now);
        out.push({ ...r, status: 'cancelled' });
      }
      return out;
    });
    for (const r of done) {
      bus.publish(actor.brandId, 'expert.request', presentRequest(r, await askerNameOf(store.db, r)));
      bus.publish(actor.brandId, 'notification', { kind: 'expert.cancelled', conversationId: r.conversation_id, requestId: r.id }, { userIds: [r.asked_by] });
    }
    return done.map((r) => r.id);
  }

  /**
   * In the transaction resolving a conversation: its open questions to experts are cancelled
   * (reason `conversation_resolved`), each audited, its overdue notice dropped, and the expert —
   * or the group's members — told, with the asker when someone else resolved it. Reopening the
   * conversation leaves them cancelled: a new need is a new question. Returns their live events.
   */
  private async cancelExpertQuestionsOfResolved(trx: Tx, ctx: { actor: Actor; conversationId: number; now: number }): Promise<(() => void) | void> {
    const { actor, conversationId, now } = ctx;
    const open = await trx.selectFrom('expert_request').selectAll().where('brand_id', '=', actor.brandId).where('conversation_id', '=', conversationId).where('status', '=', 'open').orderBy('id').execute();
    if (!open.length) return;
    const done: { r: (typeof open)[number]; to: number[]; askerName: string | null }[] = [];
    for (const r of open) {
      const c = await trx.updateTable('expert_request').set({ status: 'cancelled' }).where('id', '=', r.id).where('status', '=', 'open').executeTakeFirst();
      if (!Number(c.numUpdatedRows)) continue;
      await this.deps.jobs?.cancelManyIn(trx, [expertJobKey(r.id)]);
      const experts = r.expert_id != null
        ? await trx.selectFrom('app_user').select('id').where('id', '=', r.expert_id).where('brand_id', '=', actor.brandId).where('disabled_at', 'is', null).execute()
        : await trx.selectFrom('team_member').innerJoin('app_user', 'app_user.id', 'team_member.user_id').select('app_user.id').where('team_member.team_id', '=', r.team_id!).where('app_user.brand_id', '=', actor.brandId).where('app_user.disabled_at', 'is', null).execute();
      const to = [...new Set([...experts.map((e) => e.id).filter((id) => id !== r.asked_by), r.asked_by])].filter((id) => id !== actor.userId);
      for (const userId of to) {
        const title = userId === r.asked_by ? 'Your question to the expert was withdrawn: the conversation was resolved' : 'A question to you was withdrawn: the conversation was resolved';
        await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: userId, kind: 'expert.cancelled', title, body: r.question.slice(0, 300), conversation_id: r.conversation_id, created_at: now }).execute();
      }
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'expert.cancelled', subjectType: 'expert_request', subjectId: r.id, conversationId: r.conversation_id, data: { expertId: r.expert_id, teamId: r.team_id, reason: CONVERSATION_RESOLVED, notified: to } }, now);
      done.push({ r: { ...r, status: 'cancelled' }, to, askerName: await askerNameOf(trx, r) });
    }
    const { bus } = this.deps;
    return () => {
      for (const { r, to, askerName } of done) {
        bus.publish(actor.brandId, 'expert.request', presentRequest(r, askerName));
        if (to.length) bus.publish(actor.brandId, 'notification', { kind: 'expert.cancelled', conversationId: r.conversation_id, requestId: r.id }, { userIds: to });
      }
    };
  }

  // ------------------------------------------------------------ take it private

  /**
   * Post a short public reply inviting a private message (wording per network); the private
   * thread joins this conversation. The offer is sent at most once: a client's
   * `idempotencyKey` (one per offer) makes a retried or doubled request the same reply, and
   * without one the key is derived from the conversation and the newest public message the
   * offer answers — a second offer to the same message is the first one (`duplicate`), or a
   * 409 `private.already_offered` when it would say something else.
   */
  async takePrivate(actor: Actor, conversationId: number, p: { reason?: 'personal_data' | 'account' | 'complex'; text?: string | null; idempotencyKey?: string | null }) {
    const { db } = this.deps.store;
    const conv = await db.selectFrom('conversation').selectAll().where('id', '=', conversationId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!conv) throw notFound('conversation');
    const ident = conv.contact_id != null ? await db.selectFrom('contact_identity').select(['display_name', 'handle']).where('contact_id', '=', conv.contact_id).orderBy('updated_at', 'desc').executeTakeFirst() : undefined;
    const offer = privateOffer({ network: conv.network as Network, conversationId: String(conv.id), customerName: greetingName(ident), reason: p.reason });
    const text = p.text?.trim() || offer?.text;
    if (!text) throw badRequest('private.not_applicable', `${conv.network} conversations are already private`);
    // the customer's newest public message: what the offer answers, and (without a client key) what makes it one offer
    const answers = await db.selectFrom('message').select('id').where('conversation_id', '=', conv.id).where('direction', '=', 'inbound').where('visibility', '=', 'public').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const derived = p.idempotencyKey == null;
    const idempotencyKey = p.idempotencyKey ?? `take-private:${conv.id}:${answers?.id ?? 0}`;
    let r;
    try {
      r = await this.deps.conversations.reply(actor, conv.id, { text, visibility: 'public', replyToMessageId: answers?.id ?? null, idempotencyKey });
    } catch (err) {
      if (derived && err instanceof AppError && err.code === 'reply.key_reused') {
        throw conflict('private.already_offered', 'a private message was already offered in reply to the customer\'s latest message; it goes out once (send a new offer with an idempotencyKey)', err.extra);
      }
      throw err;
    }
    if (!r.duplicate) await this.deps.conversations.setLabels(actor, conv.id, { add: ['taken-private'] });
    return r;
  }

  // ------------------------------------------------------------ playbooks and snippets

  private async playbooks(brandId: number): Promise<Playbook[]> {
    const rows = await this.deps.store.db.selectFrom('playbook').selectAll().where('brand_id', '=', brandId).orderBy('id').execute();
    if (!rows.length) return [...DEFAULT_PLAYBOOKS];
    return rows.map((r) => ({ id: String(r.id), title: r.title, match: JSON.parse(r.match) as PlaybookMatch, outline: JSON.parse(r.outline), snippets: JSON.parse(r.snippets) }) as unknown as Playbook);
  }

  async listPlaybooks(brandId: number) {
    return this.playbooks(brandId);
  }

  async savePlaybook(actor: Actor, p: { id?: number; title: string; match: Record<string, unknown>; outline: string[]; snippets?: unknown[] }) {
    if (actor.role !== 'admin' && actor.role !== 'approver') throw forbidden('leads and admins write the rules of engagement');
    const now = this.deps.clock.now();
    const values = { brand_id: actor.brandId, title: p.title, match: JSON.stringify(p.match), outline: JSON.stringify(p.outline), snippets: JSON.stringify(p.snippets ?? []), updated_at: now };
    if (p.id != null) {
      const r = await this.deps.store.db.updateTable('playbook').set(values).where('id', '=', p.id).where('brand_id', '=', actor.brandId).executeTakeFirst();
      if (!Number(r.numUpdatedRows)) throw notFound('playbook');
      return p.id;
    }
    return (await this.deps.store.db.insertInto('playbook').values({ ...values, created_at: now }).returning('id').executeTakeFirstOrThrow()).id;
  }

  async suggestions(actor: Actor, conversationId: number) {
    const conv = await this.deps.store.db.selectFrom('conversation').selectAll().where('id', '=', conversationId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!conv) throw notFound('conversation');
    // what the customer is waiting on: every unanswered message (a complaint followed by "ok
    // thanks" is still a complaint), or the last one when nothing waits
    let q = this.deps.store.db.selectFrom('message').select(['complaint', 'chaser', 'accolade']).where('conversation_id', '=', conv.id).where('direction', '=', 'inbound').orderBy('created_at', 'desc');
    q = conv.waiting_since != null ? q.where('created_at', '>=', conv.waiting_since).limit(50) : q.limit(1);
    const waiting = await q.execute();
    const complaint = waiting.some((m) => m.complaint === 1);
    return matchPlaybooks(await this.playbooks(actor.brandId), {
      category: conv.category as TriageCategory | null, intent: conv.intent, sentiment: conv.sentiment as never, network: conv.network as Network, visibility: conv.visibility as never,
      complaint, chaser: waiting.some((m) => m.chaser === 1), accolade: !complaint && waiting.length > 0 && waiting.every((m) => m.accolade === 1),
    } as never);
  }

  /** The brand's snippets, each with its variants (the default `any`/`any` first) and what is wrong with each (`checkVariant`). */
  async listSnippets(brandId: number) {
    const { db } = this.deps.store;
    const rows = await db.selectFrom('snippet').selectAll().where('brand_id', '=', brandId).orderBy('shortcut').execute();
    const variants = await db.selectFrom('snippet_variant').select(['id', 'snippet_id', 'network', 'language', 'body']).where('brand_id', '=', brandId).orderBy('id').execute();
    const bySnippet = new Map<number, typeof variants>();
    for (const v of variants) bySnippet.set(Number(v.snippet_id), [...(bySnippet.get(Number(v.snippet_id)) ?? []), v]);
    return rows.map((s) => {
      const own = bySnippet.get(Number(s.id)) ?? [];
      const isDefault = (v: { network: string; language: string }) => v.network === ANY && v.language === ANY;
      const list = [...own.filter(isDefault), ...own.filter((v) => !isDefault(v))];
      return {
        id: s.id, shortcut: s.shortcut, title: s.title, body: s.body,
        variants: list.map((v) => ({ id: v.id, network: v.network, language: v.language, body: v.body, issues: checkVariant(v) })),
      };
    });
  }

  /**
   * Create or update a snippet by its shortcut. `body` is the default (`any`/`any`) variant;
   * `variants`, when given, are all its other variants (keyed by network and language, `any` for
   * either; one left out is removed); when absent the existing ones stay. Audited as
   * `snippet.created` / `snippet.updated` with the variants added, changed and removed. Returns
   * the id and the warnings (`checkVariant`: too long for the network, unknown variables) —
   * warnings, because a saved reply the agent fills in by hand is still worth saving.
   */
  async saveSnippet(actor: Actor, p: { shortcut: string; title: string; body: string; variants?: { network: string; language: string; body: string }[] }) {
    if (actor.role !== 'admin' && actor.role !== 'approver') throw forbidden('leads and admins maintain snippets');
    if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(p.shortcut)) throw badRequest('snippet.invalid_shortcut', 'shortcut: lowercase letters, digits and -');
    const syntax = (body: string, where: string) => {
      const parsed = renderSnippet(body, {});
      if (!parsed.ok && parsed.errors.some((e) => e.code === 'snippet.syntax')) throw badRequest('snippet.syntax', `${where}${parsed.errors.filter((e) => e.code === 'snippet.syntax').map((e) => e.message).join('; ')}`);
    };
    syntax(p.body, '');
    let variants: { network: string; language: string; body: string }[] | null = null;
    if (p.variants) {
      variants = [];
      const seen = new Set<string>();
      for (const [i, v] of p.variants.entries()) {
        const network = normalizeNetwork(v.network);
        const language = normalizeLanguage(v.language);
        if (network === null) throw badRequest('snippet.invalid_variant', `variants[${i}].network: one of ${[ANY, ...VARIANT_NETWORKS].join(', ')}`);
        if (language === null) throw badRequest('snippet.invalid_variant', `variants[${i}].language: a BCP-47 language tag (es, en-GB) or any`);
        if (network === ANY && language === ANY) throw badRequest('snippet.invalid_variant', `variants[${i}]: the any/any variant is the snippet's text (body)`);
        const key = variantLabel({ network, language });
        if (seen.has(key)) throw badRequest('snippet.duplicate_variant', `variants[${i}]: ${key} is given twice`);
        seen.add(key);
        syntax(v.body, `${key}: `);
        variants.push({ network, language, body: v.body });
      }
    }
    const now = this.deps.clock.now();
    const all = [{ network: ANY, language: ANY, body: p.body }, ...(variants ?? [])];
    const id = await this.deps.store.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('snippet').select(['id', 'title']).where('brand_id', '=', actor.brandId).where('shortcut', '=', p.shortcut).executeTakeFirst();
      const id = (await trx.insertInto('snippet').values({ brand_id: actor.brandId, shortcut: p.shortcut, title: p.title, body: p.body, created_at: now }).onConflict((oc) => oc.columns(['brand_id', 'shortcut']).doUpdateSet({ title: p.title, body: p.body })).returning('id').executeTakeFirstOrThrow()).id;
      const had = await trx.selectFrom('snippet_variant').select(['id', 'network', 'language', 'body']).where('snippet_id', '=', id).where('brand_id', '=', actor.brandId).execute();
      const had_ = new Map(had.map((v) => [variantLabel(v), v]));
      const added: string[] = [];
      const changed: string[] = [];
      for (const v of variants ? all : all.slice(0, 1)) {
        const key = variantLabel(v);
        const old = had_.get(key);
        if (old && old.body === v.body) continue;
        (old ? changed : added).push(key);
        if (old) await trx.updateTable('snippet_variant').set({ body: v.body, updated_at: now }).where('id', '=', old.id).execute();
        else await trx.insertInto('snippet_variant').values({ brand_id: actor.brandId, snippet_id: id, network: v.network, language: v.language, body: v.body, created_at: now, updated_at: now }).execute();
      }
      const keep = new Set(all.map(variantLabel));
      const removed = variants ? had.filter((v) => !keep.has(variantLabel(v))) : [];
      if (removed.length) await trx.deleteFrom('snippet_variant').where('id', 'in', removed.map((v) => v.id)).execute();
      if (!before || added.length || changed.length || removed.length || before.title !== p.title) {
        await audit(trx, { brandId: actor.brandId, actor: actor.name, action: before ? 'snippet.updated' : 'snippet.created', subjectType: 'snippet', subjectId: id, data: { shortcut: p.shortcut, ...(before && before.title !== p.title ? { title: { from: before.title, to: p.title } } : {}), added, changed, removed: removed.map(variantLabel) } }, now);
      }
      return id;
    });
    const warnings = (variants ? all : all.slice(0, 1)).flatMap((v) => checkVariant(v).map((issue) => ({ network: v.network, language: v.language, ...issue })));
    return { id, warnings };
  }

  /**
   * Fill a snippet's variables for a conversation: exact facts (hours, names) filled in, missing
   * ones named. The variant is the best for the conversation's network and language
   * (`selectVariant`), or the one the agent chose (`variantId`); the answer says which, how it
   * was picked, which one would be picked, and lists the others to switch to.
   */
  async renderSnippetFor(actor: Actor, snippetId: number, conversationId: number, variantId?: number) {
    const { store } = this.deps;
    const s = await store.db.selectFrom('snippet').selectAll().where('id', '=', snippetId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!s) throw notFound('snippet');
    const conv = await store.db.selectFrom('conversation').selectAll().where('id', '=', conversationId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!conv) throw notFound('conversation');
    const stored = await store.db.selectFrom('snippet_variant').select(['id', 'network', 'language', 'body']).where('snippet_id', '=', s.id).where('brand_id', '=', actor.brandId).orderBy('id').execute();
    // a snippet always has its default variant; should one be missing, its text stands in
    const variants = stored.some((v) => v.network === ANY && v.language === ANY) ? stored : [{ id: null as number | null, network: ANY, language: ANY, body: s.body }, ...stored];
    const best = selectVariant(variants, { network: conv.network, language: conv.language })!;
    let chosen: { variant: (typeof variants)[number]; match: VariantMatch | 'chosen' } = best;
    if (variantId != null) {
      const v = variants.find((x) => x.id != null && Number(x.id) === variantId);
      if (!v) throw notFound('snippet variant');
      chosen = { variant: v, match: 'chosen' };
    }
    const variantOf = (v: (typeof variants)[number]) => ({ id: v.id, network: v.network, language: v.language });
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', conv.channel_account_id).executeTakeFirstOrThrow();
    const brand = await store.db.selectFrom('brand').select(['name']).where('id', '=', actor.brandId).executeTakeFirstOrThrow();
    const ident = conv.contact_id != null ? await store.db.selectFrom('contact_identity').select(['display_name', 'handle']).where('contact_id', '=', conv.contact_id).orderBy('updated_at', 'desc').executeTakeFirst() : undefined;
    const agent = actor.userId != null ? await store.db.selectFrom('app_user').select(['name']).where('id', '=', actor.userId).executeTakeFirst() : undefined;
    const cal = this.deps.settings.calendarOf(account);
    const vars = {
      // the name a person greets ("Jane" for "Dr. Jane Doe"), as the take-it-private offer does
      customer: { name: firstName(ident?.display_name), handle: ident?.handle ? `@${ident.handle}` : null },
      agent: { name: agent?.name.split(/\s+/)[0] ?? null },
      brand: { name: brand.name },
      account: { handle: account.handle },
      hours: cal ? await this.availabilityLineFor(actor.brandId, cal, conv.visibility as Visibility) : null,
    };
    return {
      ...renderSnippet(chosen.variant.body, vars),
      variant: { ...variantOf(chosen.variant), match: chosen.match },
      best: { ...variantOf(best.variant), match: best.match },
      variants: variants.map(variantOf),
      conversation: { network: conv.network, language: conv.language },
    };
  }

  /**
   * The availability line ("We're here Mon–Fri 9am–5pm GMT; we reply within 4 hours during
   * those hours") for an account's calendar, promising what the brand's SLA policy targets
   * for a first response to an ordinary (lowest-band) message of that visibility — never a
   * figure the desk does not work to. No first-response target: no promise.
   */
  async availabilityLineFor(brandId: number, calendar: BusinessCalendar | null, visibility: Visibility = 'public'): Promise<string> {
    const settings = await this.deps.settings.get(brandId);
    return availabilityLine(calendar, { responseTimeMinutes: firstResponseMinutes(settings.sla, visibility) });
  }

  // ------------------------------------------------------------ incidents

  /**
   * Open an incident. A person declares one of their own (a recall while an outage is open is
   * a second incident, and one declared while only the detector's "Unusual volume" is open holds
   * replies for sign-off as theirs); declaring a title already open again (a double click, two
   * leads at once) is that incident (`created` false). The detector opens one only while none is
   * open. Decided under the brand's incident lock, so two at once cannot both create.
   */
  async openIncident(actor: Actor | null, brandId: number, p: { title: string; reason: string }): Promise<Incident & { created: boolean }> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const title = p.title.trim();
    const r = await store.db.transaction().execute(async (trx) => {
      await lockBrand(trx, store, brandId, INCIDENT_LOCK);
      const open = await trx.selectFrom('incident').selectAll().where('brand_id', '=', brandId).where('status', '=', 'open').orderBy('id').execute();
      const same = actor ? open.find((i) => i.opened_by !== DETECTOR && i.title.trim().toLowerCase() === title.toLowerCase()) : open[0];
      if (same) return { inc: same, created: false };
      const r = await trx.insertInto('incident').values({ brand_id: brandId, title: p.title, status: 'open', opened_by: actor ? actor.name : DETECTOR, reason: p.reason, opened_at: now }).returningAll().executeTakeFirstOrThrow();
      const leads = await trx.selectFrom('app_user').select('id').where('brand_id', '=', brandId).where('role', 'in', ['admin', 'approver']).where('disabled_at', 'is', null).execute();
      for (const l of leads) await trx.insertInto('notification').values({ brand_id: brandId, user_id: l.id, kind: 'incident.opened', title: `Incident: ${p.title}`, body: p.reason, conversation_id: null, created_at: now }).execute();
      await audit(trx, { brandId, actor: actor?.name ?? 'system:incidents', action: 'incident.opened', subjectType: 'incident', subjectId: r.id, data: { title: p.title, reason: p.reason } }, now);
      return { inc: r, created: true };
    });
    if (r.created) bus.publish(brandId, 'incident', presentIncident(r.inc));
    return { ...r.inc, created: r.created };
  }

  /**
   * Close an incident. Nothing about a closed incident is published afterwards: in the same
   * transaction its statements still waiting for sign-off, or approved but not yet picked up
   * by the outbox, are withdrawn (status `withdrawn`, each in the audit trail). A statement
   * the outbox already claimed is on its way and is left to finish. Returns the incident and
   * the ids of the withdrawn statements; closing a closed incident changes nothing.
   */
  async closeIncident(actor: Actor | null, brandId: number, id: number) {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const withdrawn = await store.db.transaction().execute((trx) => this.closeIncidentIn(trx, actor?.name ?? 'system:incidents', brandId, id, now));
    for (const m of withdrawn) bus.publish(brandId, 'message.updated', presentMessage(m));
    if (withdrawn.some((m) => m.status === 'queued')) this.deps.onQueued?.();
    const inc = await store.db.selectFrom('incident').selectAll().where('id', '=', id).where('brand_id', '=', brandId).executeTakeFirst();
    await this.incidentEvent(brandId, inc);
    return inc && { ...inc, withdrawnStatementIds: withdrawn.filter((m) => m.status === 'withdrawn').map((m) => m.id), releasedReplyIds: withdrawn.filter((m) => m.status === 'queued').map((m) => m.id) };
  }

  /** `closeIncident`'s work inside the caller's transaction; returns the statements it withdrew (`withdrawn`) and the replies it released (`queued`). */
  private async closeIncidentIn(trx: Tx, who: string, brandId: number, id: number, now: number): Promise<MessageRow[]> {
    // the update holds the incident's row (PostgreSQL): a sign-off of its statement waits for it, then finds it closed
    const closed = await trx.updateTable('incident').set({ status: 'closed', closed_at: now }).where('id', '=', id).where('brand_id', '=', brandId).where('status', '=', 'open').executeTakeFirst();
    if (!Number(closed.numUpdatedRows)) return [];
    await audit(trx, { brandId, actor: who, action: 'incident.closed', subjectType: 'incident', subjectId: id }, now);
    const out: MessageRow[] = [];
    for (const st of await statementRows(trx, [id])) {
      if (st.status !== 'pending_approval' && st.status !== 'queued') continue;
      if (st.status === 'queued') {
        // only while the outbox has not claimed it (a worker holding the row makes this wait, then find it `sending`)
        const pulled = await trx.updateTable('outbox').set({ status: 'withdrawn', last_error_code: 'WITHDRAWN', last_error: 'the incident was closed', locked_until: null, updated_at: now }).where('message_id', '=', st.id).where('status', '=', 'queued').executeTakeFirst();
        if (!Number(pulled.numUpdatedRows)) continue;
      }
      const w = await trx.updateTable('message').set({ status: 'withdrawn', error: 'withdrawn: the incident was closed' }).where('id', '=', st.id).where('status', '=', st.status).executeTakeFirst();
      if (!Number(w.numUpdatedRows)) continue;
      await audit(trx, { brandId, actor: who, action: 'incident.statement_withdrawn', subjectType: 'incident', subjectId: id, conversationId: st.conversation_id, data: { messageId: st.id, was: st.status, reason: 'incident closed' } }, now);
      out.push(await trx.selectFrom('message').selectAll().where('id', '=', st.id).executeTakeFirstOrThrow());
    }
    // replies held only because an incident was open go out once no incident a person opened is
    // (a reply held for other reasons too keeps waiting, for those)
    const stillOpen = await trx.selectFrom('incident').select('id').where('brand_id', '=', brandId).where('status', '=', 'open').where('opened_by', '!=', 'detector').executeTakeFirst();
    if (!stillOpen) {
      const held = await trx.selectFrom('message').selectAll().where('brand_id', '=', brandId).where('direction', '=', 'outbound').where('status', '=', 'pending_approval').where('kind', '!=', 'post').where('approval_reasons', 'like', '%"approval.incident"%').execute();
      for (const msg of held) {
        const reasons = (safeArr(msg.approval_reasons) as { code?: string }[]).filter((r) => r?.code !== 'approval.incident');
        if (reasons.length) {
          await trx.updateTable('message').set({ approval_reasons: JSON.stringify(reasons) }).where('id', '=', msg.id).execute();
          continue;
        }
        const q = await trx.updateTable('message').set({ status: 'queued', approval_reasons: null }).where('id', '=', msg.id).where('status', '=', 'pending_approval').executeTakeFirst();
        if (!Number(q.numUpdatedRows)) continue;
        const queued = await trx.selectFrom('message').selectAll().where('id', '=', msg.id).executeTakeFirstOrThrow();
        await enqueue(trx, queued, now);
        await audit(trx, { brandId, actor: who, action: 'reply.released', subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id, data: { incidentId: id, reason: 'incident closed' } }, now);
        out.push(queued);
      }
    }
    return out;
  }

  /**
   * Whether people are working on an incident (`engagementOf`): its statements in any state,
   * notes in their conversations, and every action a person recorded on it in the audit trail.
   */
  private async incidentEngagement(trx: Tx, brandId: number, id: number): Promise<Engagement> {
    const statements = await statementRows(trx, [id]);
    const notes = await trx.selectFrom('note').innerJoin('conversation', 'conversation.id', 'note.conversation_id').select('note.author_user_id').where('conversation.brand_id', '=', brandId).where('conversation.incident_id', '=', id).where('conversation.contact_id', 'is', null).execute();
    const actions = await trx.selectFrom('audit_event').select(['actor_user_id', 'action']).where('brand_id', '=', brandId).where('subject_type', '=', 'incident').where('subject_id', '=', String(id)).where('actor_user_id', 'is not', null).execute();
    return engagementOf({
      statements: statements.map((st) => ({ authorUserId: st.author_user_id, reviewedBy: st.reviewed_by, status: st.status })),
      notes: notes.map((n) => ({ authorUserId: n.author_user_id })),
      actions: actions.map((x) => ({ userId: x.actor_user_id, action: x.action })),
      linkedCustomers: (await affectedCounts(trx, brandId, [id])).get(id)?.total ?? 0,
    });
  }

  /**
   * The burst detector finds the volume back to normal on the incident it opened. Nobody
   * touched it: it is closed, as the detector opened it. People are working on it (a statement
   * in any state, a note, any action of theirs on it): the mention spike is over but the
   * outage may not be, so it stays open, nothing of theirs is withdrawn, and the leads and the
   * people who worked on it are told it may be closed — by a person, who knows. Checked and
   * decided while holding the incident's row (PostgreSQL), so a statement posted at this
   * moment is either seen here or finds the incident closed (and is refused, never withdrawn).
   */
  private async burstOver(brandId: number, id: number, e: IncidentEvent, intervalMs: number): Promise<void> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const r = await store.db.transaction().execute(async (trx) => {
      let lock = trx.selectFrom('incident').selectAll().where('id', '=', id).where('brand_id', '=', brandId);
      if (store.dialect === 'postgres') lock = lock.forUpdate();
      const inc = await lock.executeTakeFirst();
      if (inc?.status !== 'open') return null;
      const engagement = await this.incidentEngagement(trx, brandId, id);
      if (!engagement.engaged) return { closed: true as const, withdrawn: await this.closeIncidentIn(trx, 'system:incidents', brandId, id, now) };
      const leads = await trx.selectFrom('app_user').select('id').where('brand_id', '=', brandId).where('role', 'in', [...SIGN_OFF_ROLES]).where('disabled_at', 'is', null).execute();
      const involved = engagement.people.length ? await trx.selectFrom('app_user').select('id').where('brand_id', '=', brandId).where('id', 'in', engagement.people).where('disabled_at', 'is', null).execute() : [];
      const to = [...new Set([...leads, ...involved].map((u) => u.id))].sort((a, b) => a - b);
      const calmMin = Math.round((e.at + intervalMs - (e.endedAt ?? e.at)) / 60_000);
      const title = `Mentions are back to normal: “${inc.title}” may be closed`;
      const body = `The burst is over (peak ${e.incident.peakCount} mentions in ${Math.round(intervalMs / 60_000)} min; usual volume for ${calmMin} min). The incident stays open because ${engagement.reasons.join(', ')}: close it when the problem itself is solved.`;
      for (const uid of to) await trx.insertInto('notification').values({ brand_id: brandId, user_id: uid, kind: 'incident.calm', title, body, conversation_id: null, created_at: now }).execute();
      await audit(trx, { brandId, actor: 'system:incidents', action: 'incident.calm', subjectType: 'incident', subjectId: id, data: { endedAt: e.endedAt ?? null, peakCount: e.incident.peakCount, totalCount: e.incident.totalCount, keptOpenBecause: engagement.reasons, notified: to } }, now);
      return { closed: false as const, to, title, body };
    });
    if (!r) return;
    if (r.closed) {
      for (const m of r.withdrawn) bus.publish(brandId, 'message.updated', presentMessage(m));
      if (r.withdrawn.some((m) => m.status === 'queued')) this.deps.onQueued?.();
      await this.incidentEvent(brandId, await store.db.selectFrom('incident').selectAll().where('id', '=', id).executeTakeFirst());
    } else if (r.to.length) {
      bus.publish(brandId, 'notification', { kind: 'incident.calm', conversationId: null, incidentId: id, title: r.title, body: r.body }, { userIds: r.to });
    }
  }

  /**
   * Incidents, newest first, each with its latest statement (sign-off, outbox, sent...) and every statement it has had, newest first.
   * `view`: how much of a failed statement's error the reader sees (`healthViewFor` their role), as for a reply.
   */
  async listIncidents(brandId: number, view: HealthView = 'summary') {
    const { db } = this.deps.store;
    const incidents = await db.selectFrom('incident').selectAll().where('brand_id', '=', brandId).orderBy('opened_at', 'desc').limit(50).execute();
    const rows = await statementRows(db, incidents.map((i) => i.id));
    const affected = await affectedCounts(db, brandId, incidents.map((i) => i.id));
    for (const i of incidents) this.shownAffected(i.id, affected.get(i.id));
    return incidents.map((i) => presentIncident(i, rows.filter((r) => r.incident_id === i.id), affected.get(i.id), view));
  }

  /**
   * Announce an incident with its statements' state and the customers it affects. A statement's
   * error goes to the whole brand summarized; when one has an error, the brand's admins then get
   * the network's words too (as the outbox does for a reply), which replace the summary on their pages.
   */
  private async incidentEvent(brandId: number, inc: Incident | undefined) {
    if (!inc) return;
    const { db } = this.deps.store;
    const affected = (await affectedCounts(db, brandId, [inc.id])).get(inc.id);
    this.shownAffected(inc.id, affected);
    const statements = await statementRows(db, [inc.id]);
    const summary = presentIncident(inc, statements, affected);
    if (!statements.some((st) => st.error != null)) this.deps.bus.publish(brandId, 'incident', summary);
    else await publishWithAdminDetail(this.deps.store, this.deps.bus, brandId, 'incident', summary, presentIncident(inc, statements, affected, 'detail'));
  }

  private shownAffected(id: number, a: Affected | undefined) {
    if (this.affectedShown.size >= 5000) this.affectedShown.clear();
    this.affectedShown.set(id, `${a?.total ?? 0}/${a?.open ?? 0}`);
  }

  /**
   * A conversation linked to `incidentId` was published (changed): its incident's counts may
   * have changed. The incidents noted in this turn are recounted together just after it — or,
   * while the brand is in a `batchAffected`, when that ends.
   */
  private affectedMayHaveChanged(brandId: number, incidentId: unknown) {
    if (typeof incidentId !== 'number') return;
    if (!this.affectedWatched.has(brandId)) {
      this.affectedWatched.add(brandId);
      this.deps.bus.subscribe(brandId, (e) => {
        const d = e.type === 'incident' ? (e.data as { id?: unknown; affected?: Affected } | null) : null;
        if (typeof d?.id === 'number' && d.affected) this.shownAffected(d.id, d.affected);
      });
    }
    let ids = this.affectedDue.get(brandId);
    if (!ids) this.affectedDue.set(brandId, (ids = new Set()));
    ids.add(incidentId);
    if (this.affectedHeld.has(brandId) || this.affectedScheduled) return;
    this.affectedScheduled = true;
    setImmediate(() => {
      this.affectedScheduled = false;
      void this.announceAffected(this.takeAffected());
    });
  }

  /** The incidents noted for brands not in a batch (or for `brandId` only), no longer noted. */
  private takeAffected(brandId?: number): Map<number, Set<number>> {
    const out = new Map<number, Set<number>>();
    for (const [b, ids] of this.affectedDue) {
      if (brandId !== undefined ? b !== brandId : this.affectedHeld.has(b)) continue;
      out.set(b, ids);
      this.affectedDue.delete(b);
    }
    return out;
  }

  /** Recount the incidents and announce those whose counts changed (one `incident` event each). */
  private announceAffected(due: Map<number, Set<number>>): Promise<void> {
    const run = async () => {
      const { db } = this.deps.store;
      for (const [brandId, set] of due) {
        const ids = [...set];
        const counts = await affectedCounts(db, brandId, ids);
        for (const id of ids) {
          const a = counts.get(id);
          if (this.affectedShown.get(id) === `${a?.total ?? 0}/${a?.open ?? 0}`) continue;
          await this.incidentEvent(brandId, await db.selectFrom('incident').selectAll().where('id', '=', id).where('brand_id', '=', brandId).executeTakeFirst());
        }
      }
    };
    this.affectedChain = this.affectedChain.then(run).catch((err) => this.deps.log?.error({ err }, 'announcing the incidents\' counts failed'));
    return this.affectedChain;
  }

  /**
   * Run `fn` (a bulk action over many of the brand's conversations) announcing each incident
   * whose counts changed meanwhile once, when it ends — resolving 50 customers of an incident
   * is one update, not 50. (Other changes in the brand meanwhile wait for the end too.)
   */
  async batchAffected<T>(brandId: number, fn: () => Promise<T>): Promise<T> {
    this.affectedHeld.set(brandId, (this.affectedHeld.get(brandId) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      const left = this.affectedHeld.get(brandId)! - 1;
      if (left > 0) this.affectedHeld.set(brandId, left);
      else {
        this.affectedHeld.delete(brandId);
        const due = this.takeAffected(brandId);
        if (due.size) await this.announceAffected(due);
      }
    }
  }

  /**
   * Say that a customer's conversation is about an incident (a mass problem), or no longer
   * (`incidentId` null), so care leads see who is affected and answer each one. Agents,
   * approvers and admins; never experts. Only an open incident of the brand takes new
   * conversations (a closed one: 409 `incident.closed`; another brand's: 404); unlinking works
   * whatever the incident's state. Only a customer's conversation (one with a contact) is
   * linked: a statement's conversation belongs to its incident for good, and a conversation
   * without a contact would pass for one (400 `incident.not_customer`). Linking to the
   * incident it is already linked to changes nothing (no audit, no event). Decided while
   * holding the incident's row (PostgreSQL), so a link and a close happen one after the other.
   */
  async linkIncident(actor: Actor, conversationId: number, incidentId: number | null) {
    if (actor.role === 'expert') throw forbidden('experts answer the questions they are asked; they do not work the inbox');
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const r = await store.db.transaction().execute(async (trx) => {
      const conv = await trx.selectFrom('conversation').selectAll().where('id', '=', conversationId).where('brand_id', '=', actor.brandId).executeTakeFirst();
      if (!conv) throw notFound('conversation');
      if (conv.contact_id == null) {
        throw badRequest('incident.not_customer', conv.incident_id != null
          ? 'this is the conversation of an incident\'s statement: it belongs to its incident and is not linked or unlinked'
          : 'only a customer\'s conversation is linked to an incident');
      }
      let inc: Incident | undefined;
      if (incidentId != null) {
        let q = trx.selectFrom('incident').selectAll().where('id', '=', incidentId).where('brand_id', '=', actor.brandId);
        if (store.dialect === 'postgres') q = q.forUpdate();
        inc = await q.executeTakeFirst();
        if (!inc) throw notFound('incident');
        if (inc.status !== 'open' && conv.incident_id !== inc.id) throw conflict('incident.closed', 'the incident is closed: link the conversation to an open one');
      }
      const before = conv.incident_id != null ? await trx.selectFrom('incident').selectAll().where('id', '=', conv.incident_id).executeTakeFirst() : undefined;
      if (conv.incident_id === incidentId) return { conv, changed: false as const, inc, before };
      await trx.updateTable('conversation').set({ incident_id: incidentId, updated_at: now, version: sql<number>`version + 1` }).where('id', '=', conv.id).execute();
      const updated = await trx.selectFrom('conversation').selectAll().where('id', '=', conv.id).executeTakeFirstOrThrow();
      if (inc) {
        await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'conversation.incident_linked', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { incidentId: inc.id, title: inc.title, ...(before ? { previousIncidentId: before.id, previousTitle: before.title } : {}) } }, now);
      } else {
        await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'conversation.incident_unlinked', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { incidentId: conv.incident_id, title: before?.title ?? null } }, now);
      }
      return { conv: updated, changed: true as const, inc, before };
    });
    const labels = (await store.db.selectFrom('conversation_label').select('label').where('conversation_id', '=', r.conv.id).orderBy('label').execute()).map((l) => l.label);
    const presented = await presentListedConversation(store.db, r.conv, { labels });
    if (r.changed) {
      // the incidents' counts of affected customers changed: announced here, once each
      await this.batchAffected(actor.brandId, async () => {
        bus.publish(actor.brandId, 'conversation.updated', presented);
        for (const inc of [r.before, r.inc]) await this.incidentEvent(actor.brandId, inc);
      });
    }
    return presented;
  }

  /**
   * Post the public statement of an incident from a (brand) account — like an official
   * press statement, so only approvers and admins write it. It passes the reply checks
   * (length per network...) and the approval policy like any reply; under the policy's
   * `incident.statementSignOff` (on by default) it waits for a second person's sign-off and
   * reaches the outbox only once approved (`review`). It goes out as a top-level post;
   * people are still answered one by one. One statement of an incident waits for sign-off
   * at a time on each account (the versions for two networks may wait together), and a client
   * `idempotencyKey` makes a retried request return the first one.
   */
  async postStatement(actor: Actor, incidentId: number, p: { channelAccountId: number; text: string; idempotencyKey?: string | null; nextUpdateAt?: number | null }) {
    if (!SIGN_OFF_ROLES.includes(actor.role as Role) || actor.userId == null) throw forbidden('statements are written by approvers or admins');
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    if (p.idempotencyKey != null && !/^[\w.:-]{8,128}$/.test(p.idempotencyKey)) throw badRequest('validation', 'idempotencyKey: 8 to 128 letters, digits or _.:-');
    const idem = p.idempotencyKey ? `statement:${actor.userId}:${p.idempotencyKey}` : null;
    const prior = async () => (idem ? await store.db.selectFrom('message').selectAll().where('brand_id', '=', actor.brandId).where('idempotency_key', '=', idem).executeTakeFirst() : undefined);
    const duplicate = (m: MessageRow) => ({ message: presentMessage(m), duplicate: true as const, approval: null, checks: [] as unknown[] });
    const earlier = await prior();
    if (earlier) return duplicate(earlier);

    const inc = await store.db.selectFrom('incident').selectAll().where('id', '=', incidentId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!inc) throw notFound('incident');
    if (inc.status !== 'open') throw closedIncident();
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', p.channelAccountId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!account) throw badRequest('incident.unknown_account', 'no such channel account');
    if (account.listen_only) throw conflict('channel.listen_only', `@${account.handle} is in listen-only mode: Parley never posts from it`);
    if (account.status === 'disabled') throw disabledAccount(account.handle);
    const settings = await this.deps.settings.get(actor.brandId);
    const report = checkReply({ text: p.text, network: account.network as Network, visibility: 'public', overrides: settings.replyChecks as never, options: { expectGreeting: false } });
    if (!report.ok) {
      const b = report.results.find((r) => r.severity === 'block')!;
      throw new AppError(422, b.code, `${b.message}${b.detail ? ` (${b.detail})` : ''}`, { checks: report.results });
    }
    const author = await store.db.selectFrom('app_user').select(['role', 'settings']).where('id', '=', actor.userId).executeTakeFirst();
    const decision = requiresApproval(settings.approval, {
      agent: { id: String(actor.userId), roles: author ? [author.role as Role] : [], flags: (parseObject(author?.settings).flags as string[] | undefined) ?? [] },
      reply: { text: p.text, visibility: 'public', kind: 'statement' },
      incidentOpen: inc.status === 'open',
    });
    const status = decision.required ? 'pending_approval' : 'queued';
    const reasons: Pick<ApprovalReason, 'code' | 'message'>[] = decision.reasons.map((r) => ({ code: r.code, message: r.message }));
    let written;
    try {
      written = await store.db.transaction().execute(async (trx) => {
        // one statement of an incident waits for sign-off at a time on each account (the X and the
        // Facebook versions may wait together), none once it is closed, and never the same text
        // twice (the row lock orders two posts, and a post and a close, on PostgreSQL)
        let lock = trx.selectFrom('incident').select(['status']).where('id', '=', inc.id);
        if (store.dialect === 'postgres') lock = lock.forUpdate();
        const { status: incidentStatus } = await lock.executeTakeFirstOrThrow();
        if (incidentStatus !== 'open') throw closedIncident();
        const onAccount = (await statementRows(trx, [inc.id])).filter((st) => st.channel_account_id === account.id);
        // (the same words from another of the brand's accounts are another post, and allowed)
        const same = onAccount.find((st) => LIVE_STATEMENT.has(st.status) && decodeText(st.text, st.text_escaped).trim() === p.text.trim());
        if (same) {
          throw conflict('incident.statement_duplicate', same.status === 'pending_approval'
            ? `the same statement from @${account.handle} is already waiting for sign-off for this incident`
            : `the same statement was already ${same.status === 'sent' ? 'posted' : 'approved and is being posted'} from @${account.handle} for this incident: write what is new`, { messageId: same.id });
        }
        if (onAccount.some((st) => st.status === 'pending_approval')) {
          throw conflict('incident.statement_pending', `a statement from @${account.handle} for this incident is already waiting for sign-off: approve or reject it first`);
        }
        // held with nobody but its author to sign it off, it would wait forever (src/workflow/approvers.ts)
        if (status === 'pending_approval') await refuseWithoutApprover(trx, actor.brandId, actor.userId, 'statement');
        // statements live in a conversation of their own, so the inbox and audit show them
        const conv = await trx.insertInto('conversation').values({
          brand_id: actor.brandId, channel_account_id: account.id, contact_id: null, network: account.network, visibility: 'public', status: 'resolved', priority: 0, subject: `Statement: ${inc.title}`,
          created_at: now, updated_at: now, last_message_at: now, cycle_started_at: now, resolved_at: now, message_count: 1, version: 1, incident_id: inc.id, reopened_count: 0, origin: 'post',
        }).returning('id').executeTakeFirstOrThrow();
        const t = encodeText(p.text);
        const m = await trx.insertInto('message').values({
          brand_id: actor.brandId, conversation_id: conv.id, channel_account_id: account.id, network: account.network, network_message_id: null, direction: 'outbound', visibility: 'public', kind: 'post',
          author_identity_id: null, author_user_id: actor.userId, in_reply_to_network_id: null, thread_root_network_id: null, reply_to_message_id: null, text: t.text, text_escaped: t.escaped, url: null,
          created_at: now, received_at: now, raw: null, status, error: null, is_auto: 0, source: 'agent', idempotency_key: idem, approval_reasons: status === 'pending_approval' ? JSON.stringify(reasons) : null,
        }).returningAll().executeTakeFirstOrThrow();
        if (status === 'queued') await enqueue(trx, m, now);
        // the next update said with the statement (null clears it; absent keeps the one said before)
        await trx.updateTable('incident').set({ statement_message_id: m.id, ...(p.nextUpdateAt !== undefined ? { next_update_at: p.nextUpdateAt } : {}) }).where('id', '=', inc.id).execute();
        await audit(trx, {
          brandId: actor.brandId, actor: actor.name, action: status === 'queued' ? 'incident.statement' : 'incident.statement_pending_approval', subjectType: 'incident', subjectId: inc.id, conversationId: conv.id,
          data: { messageId: m.id, channelAccountId: account.id, reasons, ...(p.nextUpdateAt !== undefined ? { nextUpdateAt: p.nextUpdateAt } : {}) },
        }, now);
        let reviewers: number[] = [];
        if (status === 'pending_approval') {
          reviewers = (await trx.selectFrom('app_user').select('id').where('brand_id', '=', actor.brandId).where('role', 'in', [...SIGN_OFF_ROLES]).where('disabled_at', 'is', null).where('id', '!=', actor.userId!).execute()).map((u) => u.id);
          for (const uid of reviewers) await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: uid, kind: 'statement.pending_approval', title: `A statement on “${inc.title}” waits for your sign-off`, body: p.text.slice(0, 300), conversation_id: conv.id, created_at: now }).execute();
        }
        const fresh = await trx.selectFrom('incident').selectAll().where('id', '=', inc.id).executeTakeFirstOrThrow();
        return { m, reviewers, incident: fresh };
      });
    } catch (err) {
      // two identical requests raced past the check above: the one that won (by the unique
      // index, or by the incident's row lock) is the answer to both
      if (idem && (isUniqueViolation(err) || (err instanceof AppError && (err.code === 'incident.statement_pending' || err.code === 'incident.statement_duplicate')))) {
        const won = await prior();
        if (won) return duplicate(won);
      }
      throw err;
    }
    const { m, reviewers, incident } = written;
    bus.publish(actor.brandId, 'message.created', presentMessage(m));
    await this.incidentEvent(actor.brandId, incident);
    if (reviewers.length) bus.publish(actor.brandId, 'notification', { kind: 'statement.pending_approval', conversationId: m.conversation_id, messageId: m.id }, { userIds: reviewers });
    if (status === 'queued') this.deps.onQueued?.();
    return { message: presentMessage(m), duplicate: false as const, approval: status === 'pending_approval' ? { reasons } : null, checks: report.results.filter((r) => r.severity !== 'block') as unknown[] };
  }

  /**
   * Feed the burst detector with the brand's inbound volume per 5 minutes (spam left out) and open incidents
   * from its verdicts; when it finds a burst over, close the incident it opened only if nobody
   * is working on it (`burstOver`). Local time (time of day, weekday or weekend, the words of
   * the reason) is the brand's time zone, each interval at its own offset (DST). State is kept
   * between runs.
   */
  async detectBursts(brandId: number): Promise<void> {
    const { store, clock } = this.deps;
    const settings = await this.deps.settings.get(brandId);
    if (!settings.incidents.autoDetect) return;
    const now = clock.now();
    const key = `incident.detector.${brandId}`;
    const row = await store.db.selectFrom('kv').select('value').where('key', '=', key).executeTakeFirst();
    const timeZone = await this.tz(brandId);
    let saved = row ? (JSON.parse(row.value) as { state: DetectorState; next: number }) : null;
    // first run: events are acted on from a day ago (as always), and the baseline before that is
    // seeded from the mentions already stored — the detector's whole window (historyDays, peakDays),
    // from the first stored inbound message on — so weeks of history are judged at once, not after a day
    let liveFrom: number | null = null;
    // history (an import, a channel's backfill, the demo's past week) was not received as it
    // happened: it feeds the baseline when seeding, but never opens or closes an incident
    const history = [...PAST_SOURCES];
    if (!saved) {
      const fresh = createDetector({ timeZone });
      const iv = fresh.config.intervalMs;
      liveFrom = Math.floor((now - 24 * 3600_000) / iv) * iv;
      // the live day starts after the stored history (all of it seeds the baseline)
      const lastHistory = await store.db.selectFrom('message').select((eb) => eb.fn.max('created_at').as('at'))
        .where('brand_id', '=', brandId).where('direction', '=', 'inbound').where('source', 'in', history).where('created_at', '<', now).executeTakeFirst();
      if (lastHistory?.at != null) liveFrom = Math.min(Math.max(liveFrom, (Math.floor(Number(lastHistory.at) / iv) + 1) * iv), Math.floor(now / iv) * iv);
      const windowStart = Math.floor((now - Math.max(fresh.config.historyDays, fresh.config.peakDays) * 24 * 3600_000) / iv) * iv;
      const first = await store.db.selectFrom('message').select((eb) => eb.fn.min('created_at').as('at'))
        .where('brand_id', '=', brandId).where('direction', '=', 'inbound').where('created_at', '>=', windowStart).where('created_at', '<', liveFrom).executeTakeFirst();
      const seedFrom = first?.at == null ? liveFrom : Math.floor(Number(first.at) / iv) * iv;
      saved = { state: fresh, next: seedFrom };
    }
    // the brand's zone today (a state saved before zones were passed, or before the brand's zone changed, follows it)
    else if (saved.state.config.timeZone !== timeZone) saved.state = { ...saved.state, config: createDetector({ ...saved.state.config, timeZone }).config };
    let { state, next } = saved;
    const intervalMs = state.config.intervalMs;
    const end = Math.floor(now / intervalMs) * intervalMs; // only complete intervals
    if (next >= end) return;
    // the interval as a literal (a whole number of ms, checked by createDetector): as a bound
    // parameter, PostgreSQL sees the SELECT's and the GROUP BY's expressions as different
    // ($1 vs $2) and refuses the query
    const slot = sql<number>`(created_at / ${sql.lit(Math.trunc(intervalMs))})`;
    const counts = await store.db
      .selectFrom('message')
      .select([slot.as('slot'), (eb) => eb.fn.countAll<number>().as('c')])
      .where('brand_id', '=', brandId)
      .where('direction', '=', 'inbound')
      // a spam run is not a mass problem: it never opens an incident (untriaged messages count)
      .where((eb) => eb.or([eb('triage_category', 'is', null), eb('triage_category', '!=', 'spam')]))
      .where('created_at', '>=', next)
      .where('created_at', '<', end)
      .where((eb) => eb.or([eb('created_at', '<', liveFrom ?? next), eb('source', 'not in', history)]))
      .groupBy(slot)
      .execute();
    const bySlot = new Map(counts.map((c) => [Math.floor(Number(c.slot)) * intervalMs, Number(c.c)]));
    for (let t = next; t < end; t += intervalMs) {
      const r = observe(state, { start: t, count: bySlot.get(t) ?? 0 });
      state = r.state;
      if (liveFrom != null && t < liveFrom) {
        // seeding from stored history: past bursts are history, not incidents to raise now; one
        // still "open" when the live day begins is forgotten, so a burst going on now opens afresh
        if (t + intervalMs >= liveFrom && state.open) state = { ...state, open: null, streak: 0, elevated: 0 };
        continue;
      }
      for (const e of r.events) {
        if (e.kind === 'open') await this.openIncident(null, brandId, { title: 'Unusual volume of mentions', reason: e.incident.reason ?? 'burst detected' });
        else {
          const open = await store.db.selectFrom('incident').select('id').where('brand_id', '=', brandId).where('status', '=', 'open').where('opened_by', '=', 'detector').executeTakeFirst();
          if (open) await this.burstOver(brandId, open.id, e, intervalMs);
        }
      }
    }
    next = end;
    const value = JSON.stringify({ state, next });
    await store.db.insertInto('kv').values({ key, value, updated_at: now }).onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now })).execute();
  }
}

/**
 * The first-response target, in minutes, for an ordinary message of a visibility under an
 * SLA policy (the band of priority 0); 0 when the policy sets none, so nothing is promised.
 */
export function firstResponseMinutes(policy: SlaPolicy, visibility: Visibility): number {
  const rule = resolveTarget(policy, 'first_response', priorityBand(policy, 0), visibility);
  return rule && rule.targetMs > 0 ? rule.targetMs / 60_000 : 0;
}

/**
 * Whether a team is an expert group, one a question may be asked of: it has a knowledge
 * expert (role `expert`, not disabled) among its members — as the ask dialog lists them —
 * or an answer target of its own. A routing team of agents is neither.
 */
function isExpertGroup(members: { role: string; disabled_at: number | null }[], ownTargetMin: number | null): boolean {
  return ownTargetMin != null || members.some((m) => m.role === 'expert' && m.disabled_at == null);
}

/** The first name in a display name: a title ("Dr.") or a word without letters (an emoji) is not one (`greetingFirstName`, as the reply checks greet). */
const firstName = greetingFirstName;

/**
 * How a person greets the customer in public: by first name ("Erin", not "Erin Example"),
 * else by handle; the @mention itself is the network's. A leading title ("Dr.") or a
 * word without letters (an emoji) is not a name.
 */
function greetingName(ident: { display_name: string | null; handle: string | null } | undefined): string | null {
  const name = firstName(ident?.display_name);
  if (name) return name;
  const handle = ident?.handle?.replace(/^[@＠]/, '').split('@')[0];
  return handle || null;
}

/**
 * A question to experts as the API shows it. `askedByName` is the asker's name: an expert
 * may not list people, yet sees who asks them (nothing else about the asker).
 */
function presentRequest(r: { id: number; conversation_id: number; asked_by: number; expert_id: number | null; team_id: number | null; question: string; status: string; due_at: number | null; created_at: number; answered_at: number | null; answer_note_id: number | null; answered_by: number | null; overdue_at: number | null }, askedByName: string | null, answer?: { text: string | null; byName: string | null; editedAt?: number | null }) {
  const iso = (t: number | null) => (t == null ? null : new Date(t).toISOString());
  return {
    id: r.id, conversationId: r.conversation_id, askedBy: r.asked_by, askedByName, expertId: r.expert_id, teamId: r.team_id, question: r.question, status: r.status, dueAt: iso(r.due_at), createdAt: iso(r.created_at), answeredAt: iso(r.answered_at), answerNoteId: r.answer_note_id, overdueAt: iso(r.overdue_at),
    // the answer's text and its author's name go with the list (readers of the conversation's notes); live events carry neither, only that the request changed
    answeredBy: r.answered_by, ...(answer ? { answerText: answer.text, answeredByName: answer.byName, answerEditedAt: iso(answer.editedAt ?? null) } : {}),
  };
}

/** Why a question was cancelled: its conversation was resolved, its expert can no longer answer (disabled, or no longer an expert), or its asker (a lead, an admin) withdrew it. */
const CONVERSATION_RESOLVED = 'conversation_resolved';
const WITHDRAWN = 'withdrawn';
type CancelReason = typeof CONVERSATION_RESOLVED | typeof WITHDRAWN | 'expert_unavailable';

/** The name a person goes by in notices (the actor's `name` is their audit identity). */
async function personName(db: Tx, actor: Actor): Promise<string> {
  const u = actor.userId == null ? undefined : await db.selectFrom('app_user').select('name').where('id', '=', actor.userId).where('brand_id', '=', actor.brandId).executeTakeFirst();
  return u?.name ?? 'A colleague';
}

/** The name of the person who asked a question (of the question's brand), or null when they are gone. */
async function askerNameOf(db: Tx, r: { brand_id: number; asked_by: number }): Promise<string | null> {
  const u = await db.selectFrom('app_user').select('name').where('id', '=', r.asked_by).where('brand_id', '=', r.brand_id).executeTakeFirst();
  return u?.name ?? null;
}

/** Statuses of a statement that is out, or on its way out: the same text is not posted again. */
const LIVE_STATEMENT = new Set(['pending_approval', 'queued', 'sending', 'sent']);

/** `incident.opened_by` of an incident the burst detector opened (a person's is their name). */
const DETECTOR = 'detector';
/** lockBrand's scope for opening incidents (the scopes are listed at lockBrand). */
const INCIDENT_LOCK = 5;

const closedIncident = () => conflict('incident.closed', 'the incident is closed: nothing more is published about it');

/** A statement row, with the incident it is about and when the outbox sent it. */
type StatementRow = MessageRow & { incident_id: number | null; sent_at: number | null };

/**
 * The statements of incidents, newest first. Each lives in a conversation of its own linked
 * to its incident; only those conversations have no contact, so the contact index finds them.
 */
async function statementRows(db: Tx, incidentIds: number[]): Promise<StatementRow[]> {
  if (!incidentIds.length) return [];
  return db
    .selectFrom('message')
    .innerJoin('conversation', 'conversation.id', 'message.conversation_id')
    .leftJoin('outbox', 'outbox.message_id', 'message.id')
    .selectAll('message')
    .select(['conversation.incident_id as incident_id', 'outbox.sent_at as sent_at'])
    .where('conversation.contact_id', 'is', null)
    .where('conversation.incident_id', 'in', incidentIds)
    .where('message.kind', '=', 'post')
    .orderBy('message.created_at', 'desc')
    .orderBy('message.id', 'desc')
    .execute();
}

/**
 * An incident with its statements: `statement` is the latest (the one `statementMessageId`
 * names), `statements` every one it has had, newest first — a statement sent earlier stays
 * in view when a newer one is posted. `view`: a failed statement's error as its reader may see it
 * (`presentStatement`); live events carry the summary to everyone, then the detail to admins (`incidentEvent`).
 */
function presentIncident(i: Incident, statements: StatementRow[] = [], affected: Affected = { total: 0, open: 0 }, view: HealthView = 'summary') {
  const current = statements.find((st) => st.id === i.statement_message_id);
  return {
    id: i.id, title: i.title, status: i.status, openedBy: i.opened_by, reason: i.reason, openedAt: new Date(i.opened_at).toISOString(), closedAt: iso(i.closed_at), statementMessageId: i.statement_message_id,
    statement: current ? presentStatement(current, view) : null,
    statements: statements.map((st) => presentStatement(st, view)),
    affected,
  };
}

/** The customers' conversations linked to an incident: all of them, and those not resolved (still waiting for the team). */
type Affected = { total: number; open: number };

/**
 * `Affected` of incidents, by incident id, in one grouped query over the partial index
 * `conversation_incident`. Customers' conversations only: a statement's conversation (no
 * contact) is not an affected customer.
 */
async function affectedCounts(db: Tx, brandId: number, incidentIds: number[]): Promise<Map<number, Affected>> {
  const out = new Map<number, Affected>();
  if (!incidentIds.length) return out;
  const rows = await db
    .selectFrom('conversation')
    .select((eb) => [
      'incident_id',
      eb.fn.countAll<number | string>().as('total'),
      eb.fn.sum<number | string | null>(eb.case().when('status', '!=', 'resolved').then(1).else(0).end()).as('open'),
    ])
    .where('incident_id', 'in', incidentIds)
    .where('brand_id', '=', brandId)
    .where('contact_id', 'is not', null)
    .groupBy('incident_id')
    .execute();
  for (const r of rows) if (r.incident_id != null) out.set(Number(r.incident_id), { total: Number(r.total), open: Number(r.open ?? 0) });
  return out;
}

/**
 * A statement is sent by the outbox as a reply is, and its stored error is the same `<CODE>: <reason>`
 * (often the network's own words): `error` is the plain summary (src/outbox/replyError.ts),
 * `errorDetail` the stored text for admins only (`view` 'detail').
 */
function presentStatement(st: StatementRow, view: HealthView = 'summary') {
  return {
    messageId: st.id, conversationId: st.conversation_id, channelAccountId: st.channel_account_id, network: st.network, text: decodeText(st.text, st.text_escaped),
    /** pending_approval | queued | sending | sent | failed | rejected | withdrawn */
    status: st.status, authorUserId: st.author_user_id, reasons: safeArr(st.approval_reasons), reviewedBy: st.reviewed_by, reviewedAt: iso(st.reviewed_at), reviewNote: st.review_note,
    url: st.url, ...replyErrorFor(st.error, view), createdAt: iso(st.created_at), sentAt: iso(st.sent_at),
  };
}

const iso = (t: number | null) => (t == null ? null : new Date(t).toISOString());

/** The latest rewrite at sign-off recorded in a draft's reasons: who rewrote whose text. */
function rewriteOf(reasons: unknown[]): { editedBy: number; editedByName: string; previousAuthorUserId: number | null; previousAuthorName: string | null } | null {
  const r = reasons.find((x): x is StoredApprovalReason => typeof x === 'object' && x != null && (x as StoredApprovalReason).code === 'approval.rewritten_at_sign_off');
  const d = r?.data;
  if (!d || typeof d.editedBy !== 'number') return null;
  return { editedBy: d.editedBy, editedByName: String(d.editedByName ?? ''), previousAuthorUserId: typeof d.previousAuthorUserId === 'number' ? d.previousAuthorUserId : null, previousAuthorName: typeof d.previousAuthorName === 'string' ? d.previousAuthorName : null };
}

function safeArr(s: string | null): unknown[] {
  try {
    return s ? JSON.parse(s) : [];
  } catch {
    return [];
  }
}

export { presentNote };
