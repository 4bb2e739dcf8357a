/**
 * Moderation by the rules. Hiding, deleting, blocking or muting happens only
 * with a cited community guideline that allows that action, and with the
 * agent's evidence of how the item breaks it — never for mere negativity
 * (the seeds: deleting negative comments "is never, ever appropriate").
 * Every action, done or failed, is logged and audited.
 */
import { ChannelError, type Channel } from '../channels/types.js';
import { AppError, badRequest, disabledAccount, forbidden, notFound } from '../errors.js';
import { evidenceRefusal } from '../core/moderationEvidence.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { Actor } from './context.js';

export const MODERATION_ACTIONS = ['hide', 'unhide', 'delete', 'block', 'unblock', 'mute', 'unmute'] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];
/** Undoing is never a sanction: it needs no guideline (a reason, when given, is recorded). */
export const UNDO_ACTIONS: readonly ModerationAction[] = ['unhide', 'unblock', 'unmute'];
const isUndo = (a: ModerationAction) => UNDO_ACTIONS.includes(a);

const CAPABILITY: Record<ModerationAction, 'hide' | 'delete' | 'block' | 'mute'> = { hide: 'hide', unhide: 'hide', delete: 'delete', block: 'block', unblock: 'block', mute: 'mute', unmute: 'mute' };

/** Words that describe disagreement or anger, not a rule broken: refused as evidence on their own. */
const NEGATIVITY_ONLY = /^\s*(negative|rude|angry|complain(s|t|ing)?|bad review|mean|hostile|unfair|critical|criticism|insulting us|bad press)\W*\s*$/i;

export interface GuidelineInput {
  code: string;
  title: string;
  description: string;
  allowedActions?: ModerationAction[];
}

export class ModerationCommands {
  constructor(private readonly deps: { store: Store; bus: EventBus; clock: Clock; registry: ChannelRegistry }) {}

  async listGuidelines(brandId: number) {
    const rows = await this.deps.store.db.selectFrom('community_guideline').selectAll().where('brand_id', '=', brandId).where('retired_at', 'is', null).orderBy('code').execute();
    return rows.map((g) => ({ id: g.id, code: g.code, title: g.title, description: g.description, allowedActions: JSON.parse(g.allowed_actions) as ModerationAction[] }));
  }

  async addGuideline(actor: Actor, g: GuidelineInput) {
    if (actor.role !== 'admin') throw forbidden('only admins publish community guidelines');
    if (!/^[a-z0-9][a-z0-9_-]{0,40}$/.test(g.code)) throw badRequest('guideline.invalid_code', 'the code is lowercase letters, digits, - or _');
    const actions = g.allowedActions ?? ['hide', 'delete', 'block', 'mute'];
    if (actions.some(isUndo)) throw badRequest('guideline.invalid', 'undoing (unhide, unblock, unmute) needs no rule');
    const now = this.deps.clock.now();
    const row = await this.deps.store.db
      .insertInto('community_guideline')
      .values({ brand_id: actor.brandId, code: g.code, title: g.title, description: g.description, allowed_actions: JSON.stringify(actions), created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
      .catch((err) => {
        throw /unique/i.test(String(err)) ? new AppError(409, 'guideline.exists', `a guideline with code "${g.code}" exists`) : err;
      });
    await audit(this.deps.store.db, { brandId: actor.brandId, actor: actor.name, action: 'guideline.published', subjectType: 'community_guideline', subjectId: row.id, data: { code: g.code, title: g.title, actions } }, now);
    return row.id;
  }

  /** Moderate an inbound message (or its author) citing a guideline. */
  async moderate(actor: Actor, messageId: number, p: { action: ModerationAction; guidelineId?: number | null; evidence?: string | null }) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    const { store, clock, registry, bus } = this.deps;
    const msg = await store.db.selectFrom('message').selectAll().where('id', '=', messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!msg) throw notFound('message');
    if (msg.direction !== 'inbound') throw badRequest('moderation.own_message', 'moderation applies to what people post, not to the brand\'s own replies');
    const evidence = (p.evidence ?? '').trim();
    if (!isUndo(p.action)) {
      if (p.guidelineId == null) {
        throw badRequest('moderation.needs_guideline', 'cite the community guideline this breaks. Negative or critical posts are not a violation: answer them instead.');
      }
      if (evidence.length < 10 || NEGATIVITY_ONLY.test(evidence)) {
        throw badRequest('moderation.needs_evidence', 'describe how the post breaks the cited rule (at least a sentence). Being negative is not a violation.');
      }
      const notAViolation = evidenceRefusal(evidence);
      if (notAViolation) throw badRequest('moderation.needs_evidence', notAViolation);
    }
    const guideline = p.guidelineId != null && !isUndo(p.action) ? await store.db.selectFrom('community_guideline').selectAll().where('id', '=', p.guidelineId).where('brand_id', '=', actor.brandId).where('retired_at', 'is', null).executeTakeFirst() : null;
    if (!isUndo(p.action)) {
      if (!guideline) throw badRequest('moderation.unknown_guideline', 'no published guideline with that id');
      const allowed = JSON.parse(guideline.allowed_actions) as string[];
      if (!allowed.includes(p.action)) throw badRequest('moderation.not_allowed', `guideline "${guideline.code}" does not justify "${p.action}" (it allows: ${allowed.join(', ')})`);
    }
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', msg.channel_account_id).executeTakeFirstOrThrow();
    if (account.listen_only) throw badRequest('moderation.listen_only', 'this account is in listen-only mode: Parley takes no action on the network');
    if (account.status === 'disabled') throw disabledAccount(account.handle);
    const channel = registry.forAccount(account);
    const cap = CAPABILITY[p.action];
    const can = channel?.capabilities[cap];
    if (!channel || can !== true) throw badRequest('moderation.unsupported', `${account.network} cannot ${p.action} here: ${typeof can === 'string' ? can : 'no connector'}`);
    if ((p.action === 'unblock' || p.action === 'unmute') && !channel[p.action]) throw badRequest('moderation.unsupported', `the ${account.network} connector cannot ${p.action}: do it on the network itself`);
    const identity = msg.author_identity_id ? await store.db.selectFrom('contact_identity').selectAll().where('id', '=', msg.author_identity_id).executeTakeFirst() : null;

    let status = 'done';
    let error: string | null = null;
    try {
      await perform(channel, p.action, msg.network_message_id!, identity);
    } catch (err) {
      status = 'failed';
      error = err instanceof ChannelError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
    }
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto('moderation_action').values({
        brand_id: actor.brandId, message_id: msg.id, conversation_id: msg.conversation_id, identity_id: identity?.id ?? null, action: p.action,
        guideline_id: guideline?.id ?? 0, evidence: evidence || `(${p.action})`, actor_user_id: actor.userId!, status, error, created_at: now,
      }).execute();
      await audit(trx, {
        brandId: actor.brandId, actor: actor.name, action: `moderation.${p.action}`, subjectType: 'message', subjectId: msg.id, conversationId: msg.conversation_id,
        data: { guideline: guideline ? { id: guideline.id, code: guideline.code, title: guideline.title } : null, evidence, status, error, author: identity?.handle ?? null },
      }, now);
    });
    bus.publish(actor.brandId, 'moderation', { conversationId: msg.conversation_id, messageId: msg.id, action: p.action, status, guideline: guideline?.code ?? null });
    if (status === 'failed') throw new AppError(502, 'moderation.network_failed', `the network refused: ${error}`);
    return { status, action: p.action, guideline: guideline?.code ?? null };
  }
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
  }
}
