/**
 * Moderation by the rules. Hiding, deleting, blocking or muting happens only
 * with a cited community guideline that allows that action, and with the
 * agent's evidence of how the item breaks it — never for mere negativity
 * (the seeds: deleting negative comments "is never, ever appropriate").
 * Every action is logged before the network is asked and audited with how it
 * ended: done, failed (the network refused) or unknown (it did not answer).
 * A repeat of what Parley already did is `unchanged`: nothing is sent again.
 *
 * Done on the network (`doneOnNetwork`): where the connector cannot block (Instagram's Graph API
 * has no endpoint to block or restrict), a moderator who blocked, restricted, unblocked or
 * unrestricted someone in the network's own app records it here, under the same rules (a cited
 * guideline and evidence for a block or restriction). Nothing is sent; the action is logged as
 * done and audited with `doneOnNetwork: true`. It is what lets the deletion check tell a comment
 * the block took away from its author's deletion (src/pipeline/deletions.ts). Where the connector
 * can block, Parley does it itself and such a record is refused.
 */
import { ChannelError, NETWORK_REPORT_REASONS, type Channel, type NetworkReportReason, type NetworkReportRule } from '../channels/types.js';
import { AppError, badRequest, conflict, disabledAccount, forbidden, notFound } from '../errors.js';
import { evidenceRefusal } from '../core/moderationEvidence.js';
import { AUTHOR_ACTIONS, moderationEffect } from '../core/moderationEffect.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { parseStoredJson } from '../lib/json.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { SelectQueryBuilder } from 'kysely';
import type { DB } from '../store/schema.js';
import { lockKey, type Tx } from '../store/util.js';
import type { Actor } from './context.js';

/**
 * `restrict` (Instagram's restriction: the person's comments are held until approved and only they
 * see them) is a milder block: it counts under the `block` capability, and a guideline that
 * allows `block` justifies it. No connector restricts through an API: it is only ever recorded
 * as done on the network.
 */
export const MODERATION_ACTIONS = ['hide', 'unhide', 'delete', 'block', 'unblock', 'restrict', 'unrestrict', 'mute', 'unmute'] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];
/** Undoing is never a sanction: it needs no guideline (a reason, when given, is recorded). */
export const UNDO_ACTIONS: readonly ModerationAction[] = ['unhide', 'unblock', 'unrestrict', 'unmute'];
const isUndo = (a: ModerationAction) => UNDO_ACTIONS.includes(a);
/** What a moderator may record as done in the network's own app (`doneOnNetwork`), where the connector cannot do it. */
export const DONE_ON_NETWORK_ACTIONS: readonly ModerationAction[] = ['block', 'unblock', 'restrict', 'unrestrict'];

const CAPABILITY: Record<ModerationAction, 'hide' | 'delete' | 'block' | 'mute'> = { hide: 'hide', unhide: 'hide', delete: 'delete', block: 'block', unblock: 'block', restrict: 'block', unrestrict: 'block', mute: 'mute', unmute: 'mute' };

/** Words that describe disagreement or anger, not a rule broken: refused as evidence on their own. */
const NEGATIVITY_ONLY = /^\s*(negative|rude|angry|complain(s|t|ing)?|bad review|mean|hostile|unfair|critical|criticism|insulting us|bad press)\W*\s*$/i;

export interface GuidelineInput {
  code: string;
  title: string;
  description: string;
  allowedActions?: ModerationAction[];
  /** The reason a report to the network citing this rule is filed under (null: picked in the dialog). */
  reportReason?: NetworkReportReason | null;
}

/** A report Parley asked the network to file and never heard back about (see reportToNetwork). */
export interface UnsettledReport {
  subject: 'post' | 'account';
  /** When the attempt was last recorded (ISO 8601): asked, or timed out. */
  at: string;
  error: string | null;
}

export class ModerationCommands {
  /** The rules each account's network lists for reports (Mastodon's instance rules), for RULES_TTL_MS. */
  private readonly reportRulesCache = new Map<number, { at: number; rules: NetworkReportRule[] }>();

  constructor(private readonly deps: { store: Store; bus: EventBus; clock: Clock; registry: ChannelRegistry }) {}

  async listGuidelines(brandId: number) {
    const rows = await this.deps.store.db.selectFrom('community_guideline').selectAll().where('brand_id', '=', brandId).where('retired_at', 'is', null).orderBy('code').execute();
    return rows.map((g) => ({ id: g.id, code: g.code, title: g.title, description: g.description, allowedActions: JSON.parse(g.allowed_actions) as ModerationAction[], reportReason: (g.report_reason ?? null) as NetworkReportReason | null }));
  }

  async addGuideline(actor: Actor, g: GuidelineInput) {
    if (actor.role !== 'admin') throw forbidden('only admins publish community guidelines');
    if (!/^[a-z0-9][a-z0-9_-]{0,40}$/.test(g.code)) throw badRequest('guideline.invalid_code', 'the code is lowercase letters, digits, - or _');
    const actions = g.allowedActions ?? ['hide', 'delete', 'block', 'mute'];
    if (actions.some(isUndo)) throw badRequest('guideline.invalid', 'undoing (unhide, unblock, unrestrict, unmute) needs no rule');
    // A rule that forbids only negativity ("no negative reviews") would let moderation cite it for
    // exactly what moderation must never be for: the same test the evidence gets.
    const negativityRule = evidenceRefusal(`${g.title}. ${g.description}`);
    if (negativityRule) throw badRequest('guideline.negativity', `a community guideline names a violation, never negativity or criticism alone: ${negativityRule}`);
    const now = this.deps.clock.now();
    const row = await this.deps.store.db
      .insertInto('community_guideline')
      .values({ brand_id: actor.brandId, code: g.code, title: g.title, description: g.description, allowed_actions: JSON.stringify(actions), report_reason: g.reportReason ?? null, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
      .catch((err) => {
        throw /unique/i.test(String(err)) ? new AppError(409, 'guideline.exists', `a guideline with code "${g.code}" exists`) : err;
      });
    await audit(this.deps.store.db, { brandId: actor.brandId, actor: actor.name, action: 'guideline.published', subjectType: 'community_guideline', subjectId: row.id, data: { code: g.code, title: g.title, actions, ...(g.reportReason ? { reportReason: g.reportReason } : {}) } }, now);
    return row.id;
  }

  /** Set (or clear) the report reason a guideline maps to when a post or account is reported to the network citing it (admin; audited). */
  async setGuidelineReportReason(actor: Actor, guidelineId: number, reportReason: NetworkReportReason | null) {
    if (actor.role !== 'admin') throw forbidden('only admins change community guidelines');
    const { store, clock } = this.deps;
    const g = await store.db.selectFrom('community_guideline').selectAll().where('id', '=', guidelineId).where('brand_id', '=', actor.brandId).where('retired_at', 'is', null).executeTakeFirst();
    if (!g) throw notFound('guideline');
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('community_guideline').set({ report_reason: reportReason }).where('id', '=', g.id).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'guideline.report_reason', subjectType: 'community_guideline', subjectId: g.id, data: { code: g.code, from: g.report_reason ?? null, to: reportReason } }, now);
    });
    return { id: g.id, reportReason };
  }

  /**
   * Retire a guideline (admin): it can no longer be cited; what was done citing it keeps the
   * citation in the moderation log and the audit trail. Retiring a retired one is a 409.
   */
  async retireGuideline(actor: Actor, guidelineId: number, reason: string) {
    if (actor.role !== 'admin') throw forbidden('only admins retire community guidelines');
    const { store, clock } = this.deps;
    const g = await store.db.selectFrom('community_guideline').selectAll().where('id', '=', guidelineId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!g) throw notFound('guideline');
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      // only an update that still finds it live retires it: of two retirements at once, one is recorded
      const r = await trx.updateTable('community_guideline').set({ retired_at: now }).where('id', '=', g.id).where('retired_at', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw conflict('guideline.retired', `guideline "${g.code}" is already retired`);
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'guideline.retired', subjectType: 'community_guideline', subjectId: g.id, data: { code: g.code, title: g.title, reason } }, now);
    });
  }

  /**
   * Moderate an inbound message (or its author) citing a guideline; with `doneOnNetwork`, record a
   * block or restriction (or its undoing) the moderator did in the network's own app (see the header).
   */
  async moderate(actor: Actor, messageId: number, p: { action: ModerationAction; guidelineId?: number | null; evidence?: string | null; doneOnNetwork?: boolean | null }) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    const { store, clock, registry, bus } = this.deps;
    const msg = await store.db.selectFrom('message').selectAll().where('id', '=', messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!msg) throw notFound('message');
    if (msg.direction !== 'inbound') throw badRequest('moderation.own_message', 'moderation applies to what people post, not to the brand\'s own replies');
    const doneOnNetwork = p.doneOnNetwork === true;
    if (doneOnNetwork && !DONE_ON_NETWORK_ACTIONS.includes(p.action)) {
      throw badRequest('moderation.done_on_network_action', `only a block or a restriction (or undoing one) done in the network's app can be recorded; "${p.action}" is done through Parley`);
    }
    // an undo cites no rule: its reason, when one was given, is its evidence
    const cited = isUndo(p.action) ? null : await this.citedGuideline(actor.brandId, p.guidelineId, p.evidence);
    const evidence = cited?.evidence ?? (p.evidence ?? '').trim();
    const guideline = cited?.guideline ?? null;
    if (guideline) {
      const allowed = JSON.parse(guideline.allowed_actions) as string[];
      // a restriction is a milder block: a rule that justifies blocking justifies restricting
      if (!allowed.includes(p.action) && !(p.action === 'restrict' && allowed.includes('block'))) throw badRequest('moderation.not_allowed', `guideline "${guideline.code}" does not justify "${p.action}" (it allows: ${allowed.join(', ')})`);
    }
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', msg.channel_account_id).executeTakeFirstOrThrow();
    if (account.listen_only) throw badRequest('moderation.listen_only', 'this account is in listen-only mode: Parley takes no action on the network');
    if (account.status === 'disabled') throw disabledAccount(account.handle);
    const channel = registry.forAccount(account);
    const network = NETWORK_NAME[account.network] ?? account.network;
    const cap = CAPABILITY[p.action];
    const can = channel?.capabilities[cap];
    if (doneOnNetwork) {
      // Parley can block here itself: a block recorded without being sent would say the network
      // did what only the moderator's word vouches for, where Parley could have done (and confirmed) it
      if (channel && can === true) {
        throw badRequest('moderation.network_can_do_it', p.action === 'restrict' || p.action === 'unrestrict'
          ? `the ${network} connector blocks through the network's API, and ${network} has no restriction to record: block (or unblock) here instead`
          : `the ${network} connector can ${p.action} itself: ask Parley to do it (without doneOnNetwork)`);
      }
    } else {
      // only a block or restriction (or its undoing) can be recorded as done in the network's app: no other refusal points there
      const recordable = DONE_ON_NETWORK_ACTIONS.includes(p.action) ? ' (if you did it in the network\'s app, record it with doneOnNetwork)' : '';
      if (!channel || can !== true) throw badRequest('moderation.unsupported', `${network} cannot ${p.action} here: ${typeof can === 'string' ? `${can}${recordable}` : 'no connector'}`);
      if ((p.action === 'unblock' || p.action === 'unmute' || p.action === 'restrict' || p.action === 'unrestrict') && !hasMethod(channel, p.action)) {
        throw badRequest('moderation.unsupported', `the ${network} connector cannot ${p.action}: do it on the network itself`);
      }
      // a network that hides only replies cannot hide a post that answers nothing: said before asking, not logged as failed
      if (cap === 'hide' && channel.hidesOnlyReplies && !msg.in_reply_to_network_id) throw badRequest('moderation.unsupported', `${network} cannot ${p.action} this post: ${channel.hidesOnlyReplies}`);
    }
    const identity = msg.author_identity_id ? await store.db.selectFrom('contact_identity').selectAll().where('id', '=', msg.author_identity_id).executeTakeFirst() : null;
    if (doneOnNetwork && !identity) throw badRequest('moderation.unknown_author', 'the author of this message is unknown: there is no one to record a block or restriction of');
    if (!msg.network_message_id && CAPABILITY[p.action] !== 'block' && CAPABILITY[p.action] !== 'mute') throw badRequest('moderation.unsupported', 'this post has no id on the network to act on');

    // What Parley already did (done, not undone) decides a repeat: a post deleted is gone, and
    // hiding what is hidden or blocking who is blocked again is answered `unchanged`, with no
    // second call to the network and no second audit entry (a retried request). The same action
    // on the same post or author still waiting for the network is a 409 (a double click).
    // Checked and recorded in one transaction that takes turns per post or author (SQLite runs
    // one transaction at a time; PostgreSQL takes an advisory lock), so two requests cannot
    // both pass. Recorded as pending before the network is asked: if the desk fails after the
    // network acted, the log says "we asked and never heard", not nothing.
    const onAuthor = (AUTHOR_ACTIONS as readonly string[]).includes(p.action);
    const auditEntry = (now: number, status: string, error: string | null) => ({
      brandId: actor.brandId, actor: actor.name, action: `moderation.${p.action}`, subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id,
      data: { guideline: guideline ? { id: guideline.id, code: guideline.code, title: guideline.title } : null, evidence, status, error, author: identity?.handle ?? null, ...(doneOnNetwork ? { doneOnNetwork: true } : {}) },
    });
    const row = await store.db.transaction().execute(async (trx) => {
      await lockKey(trx, store, MODERATION_LOCK, onAuthor ? `identity:${identity?.id ?? 0}` : `message:${msg.id}`);
      const effect = await inForce(trx, actor.brandId, msg.id, identity?.id ?? null);
      if (!onAuthor && effect.deleted) throw conflict('moderation.deleted', 'this post was deleted from the network: there is nothing left to hide, unhide or delete');
      if (effect.repeats(p.action)) return null;
      const sameCap = (Object.keys(CAPABILITY) as ModerationAction[]).filter((a) => CAPABILITY[a] === cap);
      const waiting = await trx
        .selectFrom('moderation_action')
        .select('id')
        .where('brand_id', '=', actor.brandId)
        .where('status', '=', 'pending')
        .where('action', 'in', sameCap)
        .where(onAuthor && identity ? 'identity_id' : 'message_id', '=', onAuthor && identity ? identity.id : msg.id)
        .where('created_at', '>', clock.now() - IN_FLIGHT_MS)
        .executeTakeFirst();
      if (waiting) throw conflict('moderation.in_progress', `a ${cap} of this ${onAuthor ? 'author' : 'post'} is waiting for the network: see the conversation for how it ends`);
      const now = clock.now();
      const inserted = await trx.insertInto('moderation_action').values({
        brand_id: actor.brandId, message_id: msg.id, conversation_id: msg.conversation_id, identity_id: identity?.id ?? null, action: p.action,
        guideline_id: guideline?.id ?? 0, evidence: evidence || `(${p.action})`, actor_user_id: actor.userId!, status: doneOnNetwork ? 'done' : 'pending', error: null, created_at: now,
      }).returning('id').executeTakeFirstOrThrow();
      // already done on the network: logged and audited at once, nothing to ask
      if (doneOnNetwork) await audit(trx, auditEntry(now, 'done', null), now);
      return inserted;
    });
    if (!row) return { status: 'unchanged', action: p.action, guideline: guideline?.code ?? null };
    if (doneOnNetwork) {
      bus.publish(actor.brandId, 'moderation', { conversationId: msg.conversation_id, messageId: msg.id, action: p.action, status: 'done', guideline: guideline?.code ?? null, doneOnNetwork: true });
      return { status: 'done', action: p.action, guideline: guideline?.code ?? null, doneOnNetwork: true };
    }

    let status: 'done' | 'failed' | 'unknown' = 'done';
    let error: string | null = null;
    try {
      // a connector that can do it (checked above: only a record done on the network, returned, goes without one)
      await perform(channel!, p.action, msg.network_message_id ?? '', identity);
    } catch (err) {
      ({ status, error } = networkOutcome(err));
    }
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('moderation_action').set({ status, error, created_at: now }).where('id', '=', row.id).execute();
      await audit(trx, auditEntry(now, status, error), now);
    });
    bus.publish(actor.brandId, 'moderation', { conversationId: msg.conversation_id, messageId: msg.id, action: p.action, status, guideline: guideline?.code ?? null });
    if (status === 'unknown') throw new AppError(502, 'moderation.network_unknown', `the network did not say whether it did it (${error}): check on the network, then repeat or undo it here`);
    if (status === 'failed') throw new AppError(502, 'moderation.network_failed', `the network refused: ${error}`);
    return { status, action: p.action, guideline: guideline?.code ?? null };
  }

  /**
   * The rule an action (or a report) cites: a published guideline of the brand, with evidence of
   * how the post breaks it — at least a sentence, and never mere negativity (400s naming what is
   * missing). The evidence, trimmed.
   */
  private async citedGuideline(brandId: number, guidelineId: number | null | undefined, evidenceText: string | null | undefined) {
    if (guidelineId == null) throw badRequest('moderation.needs_guideline', 'cite the community guideline this breaks. Negative or critical posts are not a violation: answer them instead.');
    const evidence = (evidenceText ?? '').trim();
    if (evidence.length < 10 || NEGATIVITY_ONLY.test(evidence)) throw badRequest('moderation.needs_evidence', 'describe how the post breaks the cited rule (at least a sentence). Being negative is not a violation.');
    const notAViolation = evidenceRefusal(evidence);
    if (notAViolation) throw badRequest('moderation.needs_evidence', notAViolation);
    const guideline = await this.deps.store.db.selectFrom('community_guideline').selectAll().where('id', '=', guidelineId).where('brand_id', '=', brandId).where('retired_at', 'is', null).executeTakeFirst();
    if (!guideline) throw badRequest('moderation.unknown_guideline', 'no published guideline with that id');
    return { guideline, evidence };
  }

  /**
   * Whether the message's network takes reports from Parley, and if not why (the dialog shows
   * the action disabled with that reason, as it does hide on X); the rules a report there may
   * cite (`rules`: null where the network has none of its own, or could not list them —
   * `rulesError` says so, and a report can still go without them); and the reports of this post
   * or its author that Parley asked for and never heard back about (`unsettled`).
   */
  async reportAvailability(actor: Actor, messageId: number): Promise<{ available: boolean; reason: string | null; rules: NetworkReportRule[] | null; rulesError: string | null; unsettled: UnsettledReport[] }> {
    const { store, registry } = this.deps;
    const msg = await store.db.selectFrom('message').select(['id', 'channel_account_id', 'author_identity_id']).where('id', '=', messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!msg) throw notFound('message');
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', msg.channel_account_id).executeTakeFirstOrThrow();
    const channel = registry.forAccount(account);
    const why = noReportReason(channel, account.network);
    const unsettled: UnsettledReport[] = [];
    for (const subject of ['post', 'account'] as const) {
      if (subject === 'account' && msg.author_identity_id == null) continue;
      const last = await unsettledReports(reportsOf(store.db, actor.brandId, subject, { messageId: msg.id, identityId: msg.author_identity_id! }), this.deps.clock.now()).orderBy('id', 'desc').executeTakeFirst();
      if (last) unsettled.push({ subject, at: new Date(Number(last.created_at)).toISOString(), error: last.error ?? null });
    }
    if (why !== null || !channel?.reportRules) return { available: why === null, reason: why, rules: null, rulesError: null, unsettled };
    try {
      return { available: true, reason: null, rules: await this.reportRules(account.id, channel), rulesError: null, unsettled };
    } catch (err) {
      const network = NETWORK_NAME[account.network] ?? account.network;
      const detail = err instanceof ChannelError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
      return { available: true, reason: null, rules: null, rulesError: `${network} did not list its rules (${detail}). The report can still be sent without citing one of them.`, unsettled };
    }
  }

  /** The rules the account's network lists for reports, asked at most once per RULES_TTL_MS (a failure is not kept). */
  private async reportRules(accountId: number, channel: Channel): Promise<NetworkReportRule[]> {
    const now = this.deps.clock.now();
    const hit = this.reportRulesCache.get(accountId);
    if (hit && now - hit.at < RULES_TTL_MS) return hit.rules;
    const rules = await channel.reportRules!();
    this.reportRulesCache.set(accountId, { at: now, rules });
    return rules;
  }

  /**
   * Report a post (with its author) or the author's account to the network's own moderators,
   * citing a guideline with evidence, like every moderation action: the reason is the one the
   * guideline maps to (or the one picked), mapped by the connector to the network's category.
   * At most once: a report Parley filed of the same post (or account) is answered `unchanged`
   * with its id, nothing sent again; one still waiting for the network is a 409. Logged as
   * pending before the network is asked, then done (with the network's report id), failed (a
   * 502 with the network's message; a retry may file it) or unknown (it did not answer, or the
   * desk stopped mid-call). After an unknown one the network may hold the report already: it is
   * filed again only with `confirmNotFiled` (the agent checked on the network and it is not
   * there), which marks the unknown attempts `not_filed` and is audited; else a 409
   * `moderation.report_unknown`.
   */
  async reportToNetwork(actor: Actor, messageId: number, p: { subject: 'post' | 'account'; guidelineId?: number | null; evidence?: string | null; reason?: NetworkReportReason | null; ruleIds?: readonly string[] | null; confirmNotFiled?: boolean | null }) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    const { store, clock, registry, bus } = this.deps;
    const msg = await store.db.selectFrom('message').selectAll().where('id', '=', messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!msg) throw notFound('message');
    if (msg.direction !== 'inbound') throw badRequest('moderation.own_message', 'moderation applies to what people post, not to the brand\'s own replies');
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', msg.channel_account_id).executeTakeFirstOrThrow();
    const channel = registry.forAccount(account);
    // said before anything else: no guideline or evidence makes a network take a report it has no API for
    const unsupported = noReportReason(channel, account.network);
    if (unsupported) throw badRequest('moderation.report_unsupported', unsupported);
    const network = NETWORK_NAME[account.network] ?? account.network;
    if (p.ruleIds?.length && !channel?.reportRules) throw badRequest('moderation.report_rules_unsupported', `${network} reports cite no rules of the network's own: send the report without them`);
    const { guideline, evidence } = await this.citedGuideline(actor.brandId, p.guidelineId, p.evidence);
    const reason = (p.reason ?? guideline.report_reason ?? null) as NetworkReportReason | null;
    if (!reason || !(NETWORK_REPORT_REASONS as readonly string[]).includes(reason)) {
      throw badRequest('moderation.report_reason_needed', `guideline "${guideline.code}" names no report reason: pick one (${NETWORK_REPORT_REASONS.join(', ')}), or an admin sets it on the guideline`);
    }
    if (account.listen_only) throw badRequest('moderation.listen_only', 'this account is in listen-only mode: Parley takes no action on the network');
    if (account.status === 'disabled') throw disabledAccount(account.handle);
    const identity = msg.author_identity_id ? await store.db.selectFrom('contact_identity').selectAll().where('id', '=', msg.author_identity_id).executeTakeFirst() : null;
    if (!identity) throw badRequest('moderation.unknown_author', 'the author of this message is unknown: there is no one to report');
    if (p.subject === 'post' && !msg.network_message_id) throw badRequest('moderation.report_unsupported', 'this post has no id on the network to report: report the account instead');
    const action = p.subject === 'post' ? 'report_post' : 'report_account';
    const comment = `${guideline.title} (${guideline.code}): ${evidence}`;
    const auditEntry = (status: string, error: string | null, report: { id: string; category: string } | null) => ({
      brandId: actor.brandId, actor: actor.name, action: `moderation.${action}`, subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id,
      data: { guideline: { id: guideline.id, code: guideline.code, title: guideline.title }, evidence, reason, status, error, author: identity.handle, ...(report ? { networkReportId: report.id, networkCategory: report.category } : {}), ...(p.ruleIds?.length ? { ruleIds: [...p.ruleIds] } : {}) },
    });
    // at most once, as for the other actions: checked and recorded as pending in one transaction
    // that takes turns per post (or account)
    const row = await store.db.transaction().execute(async (trx) => {
      await lockKey(trx, store, MODERATION_LOCK, p.subject === 'post' ? `report:message:${msg.id}` : `report:identity:${identity.id}`);
      const mine = () => reportsOf(trx, actor.brandId, p.subject, { messageId: msg.id, identityId: identity.id });
      const filed = await mine().where('status', '=', 'done').orderBy('id', 'desc').executeTakeFirst();
      if (filed) return { repeat: filed };
      const waiting = await mine().where('status', '=', 'pending').where('created_at', '>', clock.now() - IN_FLIGHT_MS).executeTakeFirst();
      if (waiting) throw conflict('moderation.in_progress', `a report of this ${p.subject} is waiting for the network: see the conversation for how it ends`);
      // the network may have filed an attempt it never confirmed: only the agent's word that it is
      // not there files another
      const unsettled = await unsettledReports(mine(), clock.now()).orderBy('id', 'desc').execute();
      if (unsettled.length && p.confirmNotFiled !== true) {
        const at = new Date(Number(unsettled[0]!.created_at)).toISOString();
        throw conflict('moderation.report_unknown', `Parley asked ${network} to file a report of this ${p.subject} and never heard whether it did. Check on ${network} whether the report is there; if it is not, confirm that it was not filed to report it again.`, { at });
      }
      if (unsettled.length) {
        const ids = unsettled.map((u) => u.id);
        await trx.updateTable('moderation_action').set({ status: 'not_filed' }).where('id', 'in', ids).where('status', 'in', ['unknown', 'pending']).execute();
        await audit(trx, {
          brandId: actor.brandId, actor: actor.name, action: 'moderation.report_not_filed', subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id,
          data: { subject: p.subject, author: identity.handle, unknownSince: new Date(Number(unsettled[0]!.created_at)).toISOString(), moderationActionIds: ids, confirmedNotFiled: true },
        }, clock.now());
      }
      const inserted = await trx.insertInto('moderation_action').values({
        brand_id: actor.brandId, message_id: msg.id, conversation_id: msg.conversation_id, identity_id: identity.id, action,
        guideline_id: guideline.id, evidence, actor_user_id: actor.userId!, status: 'pending', error: null, network_report_id: null, created_at: clock.now(),
      }).returning('id').executeTakeFirstOrThrow();
      return { inserted };
    });
    if ('repeat' in row && row.repeat) return { status: 'unchanged' as const, subject: p.subject, guideline: guideline.code, reason, networkReportId: row.repeat.network_report_id ?? null, category: null };

    let status: 'done' | 'failed' | 'unknown' = 'done';
    let error: string | null = null;
    let report: { id: string; category: string } | null = null;
    try {
      const author = { networkUserId: identity.network_user_id, handle: identity.handle, displayName: identity.display_name };
      const r = await channel!.reportToNetwork!({ subject: p.subject, post: msg.network_message_id ? { networkMessageId: msg.network_message_id, raw: parseStoredJson(msg.raw) } : null, author, reason, comment, ruleIds: p.ruleIds ?? [] });
      report = { id: r.reportId, category: r.category };
    } catch (err) {
      ({ status, error } = networkOutcome(err));
    }
    const now = clock.now();
    const id = (row as { inserted: { id: number } }).inserted.id;
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('moderation_action').set({ status, error, network_report_id: report?.id ?? null, created_at: now }).where('id', '=', id).execute();
      await audit(trx, auditEntry(status, error, report), now);
    });
    bus.publish(actor.brandId, 'moderation', { conversationId: msg.conversation_id, messageId: msg.id, action, status, guideline: guideline.code });
    if (status === 'unknown') throw new AppError(502, 'moderation.network_unknown', `the network did not say whether it took the report (${error}): check on the network; report again only if it is not there, confirming it was not filed`);
    if (status === 'failed') throw new AppError(502, 'moderation.network_failed', `the network refused the report: ${error}`);
    return { status: 'done' as const, subject: p.subject, guideline: guideline.code, reason, networkReportId: report!.id, category: report!.category };
  }
}

/**
 * How a call to the network ended in an error: `failed` when the connector classified it (the
 * network refused), `unknown` for a TIMEOUT or an error it did not classify (it may have happened).
 */
function networkOutcome(err: unknown): { status: 'failed' | 'unknown'; error: string } {
  return {
    status: err instanceof ChannelError && err.code !== 'TIMEOUT' ? 'failed' : 'unknown',
    error: err instanceof ChannelError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err),
  };
}

/**
 * Why this connector cannot file a report, or null when it can. The networks without a public
 * report API say it in their own words (X API v2 and the Graph API have no report endpoint: a
 * report is made in the network's app); email and web chat have no network moderators.
 */
function noReportReason(channel: Channel | null | undefined, network: string): string | null {
  if (channel && typeof channel.reportToNetwork === 'function') return null;
  const name = NETWORK_NAME[network] ?? network;
  const why = NO_REPORT_API[network];
  return `${name} cannot take a report from Parley: ${why ?? 'no connector can file one'}`;
}
const NO_REPORT_API: Record<string, string> = {
  x: 'the X API v2 has no endpoint to report a post or account; report it in the X app',
  facebook: 'the Graph API has no endpoint to report a post, comment or account; report it in Facebook',
  instagram: 'the Instagram Graph API has no endpoint to report a comment or account; report it in the Instagram app',
  email: 'an email has no network moderators to report to',
  webchat: 'web chat has no network moderators to report to',
};

/**
 * Actions still `pending` long after they were asked (the desk stopped between asking the network
 * and recording its answer): `unknown`, audited under the person who asked, with no second call
 * to the network — someone checks there, then repeats or undoes it. Run by the housekeeping sweep.
 */
export async function settleStaleModeration(store: Store, bus: EventBus | null, now: number): Promise<number> {
  const stale = await store.db.selectFrom('moderation_action').selectAll().where('status', '=', 'pending').where('created_at', '<=', now - IN_FLIGHT_MS).execute();
  let settled = 0;
  for (const r of stale) {
    const error = 'the desk stopped before the network answered: check on the network';
    const done = await store.db.transaction().execute(async (trx) => {
      // only one sweep (or a late answer) settles it
      const u = await trx.updateTable('moderation_action').set({ status: 'unknown', error }).where('id', '=', r.id).where('status', '=', 'pending').executeTakeFirst();
      if (Number(u.numUpdatedRows) === 0) return false;
      const g = r.guideline_id ? await trx.selectFrom('community_guideline').select(['id', 'code', 'title']).where('id', '=', r.guideline_id).executeTakeFirst() : null;
      await audit(trx, {
        brandId: r.brand_id, actor: `user:${r.actor_user_id}`, action: `moderation.${r.action}`, subjectType: r.message_id != null ? 'message' : 'moderation_action', subjectId: r.message_id ?? r.id, conversationId: r.conversation_id,
        data: { guideline: g ? { id: g.id, code: g.code, title: g.title } : null, evidence: r.evidence, status: 'unknown', error, settledBy: 'housekeeping' },
      }, now);
      return true;
    });
    if (!done) continue;
    settled++;
    bus?.publish(r.brand_id, 'moderation', { conversationId: r.conversation_id, messageId: r.message_id, action: r.action, status: 'unknown', guideline: null });
  }
  return settled;
}

/** Parley's reports of a post (by its message) or of an account (by its author's identity). */
function reportsOf(db: Tx, brandId: number, subject: 'post' | 'account', of: { messageId: number; identityId: number }) {
  const q = db.selectFrom('moderation_action').select(['id', 'status', 'network_report_id', 'created_at', 'error']).where('brand_id', '=', brandId).where('action', '=', subject === 'post' ? 'report_post' : 'report_account');
  return subject === 'post' ? q.where('message_id', '=', of.messageId) : q.where('identity_id', '=', of.identityId);
}

/** Reports asked of the network and never answered: `unknown`, or `pending` past IN_FLIGHT_MS (a desk that stopped mid-call, not yet settled). */
function unsettledReports<O>(q: SelectQueryBuilder<DB, 'moderation_action', O>, now: number) {
  return q.where((eb) => eb.or([eb('status', '=', 'unknown'), eb.and([eb('status', '=', 'pending'), eb('created_at', '<=', now - IN_FLIGHT_MS)])]));
}

const MESSAGE_ACTIONS: readonly ModerationAction[] = ['hide', 'unhide', 'delete'];
/** Networks as people write them, for refusals ("X cannot delete here", not "x cannot…"). */
const NETWORK_NAME: Record<string, string> = { x: 'X', facebook: 'Facebook', instagram: 'Instagram', mastodon: 'Mastodon', bluesky: 'Bluesky', email: 'Email', webchat: 'Web chat', demo: 'The demo network' };
/** `lockKey`'s scope for moderating one post or author at a time. */
const MODERATION_LOCK = 7;
/** A pending action older than this is a desk that failed mid-call, not a request in flight. */
const IN_FLIGHT_MS = 120_000;
/** How long a network's list of report rules is kept before it is asked again. */
const RULES_TTL_MS = 15 * 60_000;

/**
 * What moderation done (not failed, unknown or pending) leaves in force on a post and its
 * author, and so whether `action` would repeat it: hiding what is hidden, unhiding what is
 * shown again after a hide, blocking who is blocked...
 */
async function inForce(db: Tx, brandId: number, messageId: number, identityId: number | null) {
  const rows = await db
    .selectFrom('moderation_action')
    .select(['action', 'message_id', 'identity_id'])
    .where('brand_id', '=', brandId)
    .where('status', '=', 'done')
    .where((eb) => {
      const byMessage = eb.and([eb('message_id', '=', messageId), eb('action', 'in', MESSAGE_ACTIONS)]);
      return identityId == null ? byMessage : eb.or([byMessage, eb.and([eb('identity_id', '=', identityId), eb('action', 'in', AUTHOR_ACTIONS)])]);
    })
    .orderBy('id')
    .execute();
  const e = moderationEffect(rows);
  const state = (a: ModerationAction) =>
    CAPABILITY[a] === 'hide' ? e.hidden.get(messageId)
      : identityId == null ? undefined
      : a === 'restrict' || a === 'unrestrict' ? e.restricted.get(identityId)
      : CAPABILITY[a] === 'block' ? e.blocked.get(identityId)
      : CAPABILITY[a] === 'mute' ? e.muted.get(identityId) : undefined;
  return {
    deleted: e.deleted.has(messageId),
    /** Whether doing `a` now changes nothing Parley did before (hide after hide, unhide after unhide...). */
    repeats: (a: ModerationAction) => state(a) === !isUndo(a),
  };
}

async function perform(channel: Channel, action: ModerationAction, networkMessageId: string, identity: { network_user_id: string; handle: string; display_name: string | null } | null | undefined) {
  const user = identity ? { networkUserId: identity.network_user_id, handle: identity.handle, displayName: identity.display_name } : null;
  switch (action) {
    case 'hide':
      return channel.hide!(networkMessageId, true);
    case 'unhide':
      return channel.hide!(networkMessageId, false);
    case 'delete':
      return channel.delete!(networkMessageId);
    case 'block':
      if (!user) throw new ChannelError('INVALID_REQUEST', 'the author of this message is unknown');
      return channel.block!(user);
    case 'mute':
      if (!user) throw new ChannelError('INVALID_REQUEST', 'the author of this message is unknown');
      return channel.mute!(user);
    case 'unblock':
    case 'unmute':
      if (!user) throw new ChannelError('INVALID_REQUEST', 'the author of this message is unknown');
      return channel[action]!(user);
    case 'restrict':
    case 'unrestrict':
      // no connector restricts through an API (refused before: only recorded as done on the network)
      throw new ChannelError('INVALID_REQUEST', `the connector cannot ${action}`);
  }
}

/** Whether the connector implements `action` (restrict/unrestrict: none does; the Channel interface has no such method). */
function hasMethod(channel: Channel, action: 'unblock' | 'unmute' | 'restrict' | 'unrestrict'): boolean {
  return typeof (channel as unknown as Record<string, unknown>)[action] === 'function';
}
