/**
 * Handing a waiting customer over when their conversation's assignee has gone away: the store side
 * of src/core/followUpHandover.ts (the decision, with the grace `handoverAfterMin`).
 *
 * Four ways in. A follow-up arriving (ingest, `Workflow.releaseUnreachable`, inside the batch's
 * transaction on the in-memory rows, with `gather` and `decideAll` below). Someone's availability
 * changing (`Workflow.afterAvailability`): a brand-wide `check`, as a person going offline starts
 * the grace of every conversation waiting on them, and a colleague coming online is someone to
 * hand them to. A keyed timer per conversation, `handover:<id>`, set when the decision says
 * when to look again (the grace ends, the desk opens), SLA timer style: the in-process scheduler on
 * SQLite, graphile-worker on PostgreSQL, so a conversation whose assignee went away is handed over
 * when the grace ends even if the customer says nothing more. And the setting itself: switching
 * the hand-over on runs the brand's check (`afterSettings`), switching it off drops the timers.
 *
 * A hand-over is the routing's: the conversation goes back unassigned to its team's queue (a team
 * picked by the routing rules if it had none) and the drain gives it to the next available agent by
 * the team's strategy; audited `conversation.assigned` with reason `assignee_unreachable`, and the
 * previous assignee notified. The update takes it only from that assignee (`where assignee_id =`),
 * under the brand's ingest lock, so a conversation is handed over once however many ways in meet.
 *
 * When someone went offline is read from the audit trail (every availability change is audited:
 * their own, an admin's, the system's), through a partial index (migration
 * 20261207T1800_availability_audit_index); when the conversation became theirs, from its latest
 * `conversation.assigned` entry.
 */
import { sql, type SqlBool } from 'kysely';
import { decideHandover, type HandoverDecision } from '../core/followUpHandover.js';
import { pickTeam, type BrandRouting } from '../core/routing.js';
import type { Network, TriageCategory, Visibility } from '../core/types.js';
import type { EventBus } from '../events/bus.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Clock } from '../lib/clock.js';
import { parseObject } from '../lib/json.js';
import { presentConversation } from '../server/presenters.js';
import type { Store } from '../store/db.js';
import { contactSummaries } from '../store/queries.js';
import type { Conversation, ConversationTable } from '../store/schema.js';
import { chunks, insertRows, lockBrand, type Tx } from '../store/util.js';
import type { WorkflowSettings, WorkflowSettingsStore } from './settings.js';

/** The per-conversation timer's job kind; its key is `handover:<conversationId>`. */
export const HANDOVER_JOB = 'routing.handover';
const ACTOR = 'system:routing';
const OPEN = ['new', 'open'];
/** The most conversations one check looks at (the rest: the next availability change, or their timers). */
const CHECK_LIMIT = 500;
/** Availability entries of people, written as the partial index is (literals: both planners then see the index holds them). */
const AVAILABILITY_ENTRIES = sql<SqlBool>`subject_type = 'user' AND action IN ('user.availability', 'user.updated')`;
/** Entries read back per person to find their latest availability change (an admin's other edits are `user.updated` too). */
const ENTRIES_READ = 20;

/** A conversation held by someone, as the decision needs it. */
export interface HeldConversation {
  id: number;
  assigneeId: number;
  teamId: number | null;
  channelAccountId: number;
  waitingSince: number | null;
}

/** What the decision needs beyond the conversation, gathered for several at once. */
export interface HandoverFacts {
  people: Map<number, { availability: string; offlineSince: number }>;
  heldSince: Map<number, number | null>;
  /** Per team: who of it takes conversations and is online now. */
  onlineByTeam: Map<number, Set<number>>;
  calendars: Map<number, import('../core/businessHours.js').BusinessCalendar | null>;
}

/** The availability an audit entry set, if it set one. */
function availabilitySet(action: string, data: string | null): string | null {
  const d = parseObject(data) as Record<string, unknown>;
  if (action === 'user.availability') return typeof d.to === 'string' ? d.to : null;
  if (d.disabled === true) return 'offline';
  return typeof d.availability === 'string' ? d.availability : null;
}

/**
 * Since when each of these people has been offline: their latest availability entry that set
 * offline (the system's absence: `absent_since`); an entry setting something else (an unaudited
 * change followed it) or none at all: that entry's time, or when they were created.
 */
export async function offlineSince(db: Tx, users: { id: number; created_at: number; absent_since: number | null }[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const u of users) {
    if (u.absent_since != null) {
      out.set(u.id, u.absent_since);
      continue;
    }
    const rows = await db.selectFrom('audit_event').select(['action', 'data', 'created_at']).where(AVAILABILITY_ENTRIES).where('subject_id', '=', String(u.id)).orderBy('created_at', 'desc').limit(ENTRIES_READ).execute();
    const latest = rows.find((r) => availabilitySet(r.action, r.data) != null);
    out.set(u.id, latest ? Number(latest.created_at) : u.created_at);
  }
  return out;
}

/** Gather the decision's inputs for conversations held by people (inside the caller's transaction). */
export async function gather(db: Tx, settings: WorkflowSettingsStore, held: HeldConversation[]): Promise<HandoverFacts> {
  const ids = [...new Set(held.map((h) => h.assigneeId))];
  const users = ids.length ? await db.selectFrom('app_user').select(['id', 'availability', 'created_at', 'absent_since']).where('id', 'in', ids).execute() : [];
  const offline = users.filter((u) => u.availability === 'offline');
  const since = await offlineSince(db, offline);
  const people = new Map(users.map((u) => [u.id, { availability: u.availability, offlineSince: since.get(u.id) ?? u.created_at }]));
  // only conversations of someone offline need their holding time and their team's colleagues
  const away = held.filter((h) => people.get(h.assigneeId)?.availability === 'offline');
  const heldSince = new Map<number, number | null>();
  const awayById = new Map(away.map((h) => [h.id, h]));
  for (const part of chunks(away.map((h) => h.id), 500)) {
    const rows = await db.selectFrom('audit_event').select(['conversation_id', 'data', 'created_at']).where('conversation_id', 'in', part).where('action', '=', 'conversation.assigned').orderBy('id', 'desc').execute();
    for (const r of rows) {
      if (heldSince.has(r.conversation_id!)) continue;
      const to = (parseObject(r.data) as { to?: { assigneeId?: unknown } }).to?.assigneeId;
      const h = awayById.get(r.conversation_id!);
      // the latest assignment made it theirs; any other (to someone else, to nobody) says nothing of when
      heldSince.set(r.conversation_id!, h && Number(to) === h.assigneeId ? Number(r.created_at) : null);
    }
  }
  const teams = [...new Set(away.map((h) => h.teamId).filter((t): t is number => t != null))];
  const onlineByTeam = new Map<number, Set<number>>();
  if (teams.length) {
    const rows = await db
      .selectFrom('team_member')
      .innerJoin('app_user', 'app_user.id', 'team_member.user_id')
      .select(['team_member.team_id', 'app_user.id'])
      .where('team_member.team_id', 'in', teams)
      .where('app_user.availability', '=', 'online')
      .where('app_user.disabled_at', 'is', null)
      .where('app_user.role', '!=', 'expert')
      .execute();
    for (const r of rows) {
      const s = onlineByTeam.get(r.team_id) ?? new Set<number>();
      s.add(r.id);
      onlineByTeam.set(r.team_id, s);
    }
  }
  const accountIds = [...new Set(away.map((h) => h.channelAccountId))];
  const accounts = accountIds.length ? await db.selectFrom('channel_account').select(['id', 'calendar']).where('id', 'in', accountIds).execute() : [];
  const calendars = new Map(accounts.map((a) => [a.id, settings.calendarOf(a)]));
  return { people, heldSince, onlineByTeam, calendars };
}

/**
 * The team a handed-over conversation goes back to: its own, or the one the routing rules pick
 * for it when it had none (made again once it is unassigned, as for any queued conversation).
 */
export function returnTeam(routing: BrandRouting, c: Pick<ConversationTable, 'team_id' | 'channel_account_id' | 'network' | 'category' | 'intent' | 'language' | 'priority' | 'visibility'>): number | null {
  return c.team_id ?? Number(pickTeam(routing, {
    channelAccountId: String(c.channel_account_id), network: c.network as Network, category: c.category as TriageCategory | null, intent: c.intent, language: c.language, priority: c.priority, visibility: c.visibility as Visibility,
  }).teamId);
}

/** The decision for one held conversation (`teamId`: the team it would go back to). */
export function decideOne(h: HeldConversation, facts: HandoverFacts, afterMin: number, now: number): HandoverDecision {
  const who = facts.people.get(h.assigneeId);
  if (!who) return { handOver: false, why: 'reachable', recheckAt: null };
  const colleagues = h.teamId != null ? facts.onlineByTeam.get(h.teamId) : undefined;
  return decideHandover({
    afterMin,
    assignee: who,
    heldSince: facts.heldSince.get(h.id) ?? null,
    waitingSince: h.waitingSince,
    calendar: facts.calendars.get(h.channelAccountId) ?? null,
    colleagueOnline: !!colleagues && [...colleagues].some((id) => id !== h.assigneeId),
  }, now);
}

/** The audit entry of a hand-over (the same action as any assignment, with its reason). */
export function handoverAudit(brandId: number, conversationId: number, from: number, teamId: number | null, toTeamId: number | null, d: Extract<HandoverDecision, { handOver: true }>, afterMin: number, now: number): Record<string, unknown> {
  return {
    brand_id: brandId, actor_user_id: null, actor: ACTOR, action: 'conversation.assigned', subject_type: 'conversation', subject_id: String(conversationId), conversation_id: conversationId,
    data: JSON.stringify({ from: { assigneeId: from, teamId }, to: { assigneeId: null, teamId: toTeamId }, reason: d.reason, unreachableSince: d.unreachableSince, awayMin: Math.floor(d.awayMs / 60_000), afterMin }),
    created_at: now,
  };
}

/** The previous assignee's notification: the words, stored and published alike. */
export function handoverNotice(subject: string): { kind: string; title: string; body: string } {
  return { kind: 'conversation.handed_over', title: 'A customer waiting on you was handed to a colleague while you were away', body: subject };
}

const timerKey = (conversationId: number) => `handover:${conversationId}`;

/** Timers for the conversations whose decision says when to look again. */
export function timers(rechecks: { id: number; at: number }[], brandId: number) {
  return rechecks.map((r) => ({ kind: HANDOVER_JOB, payload: { brandId, conversationId: r.id }, runAt: r.at, key: timerKey(r.id) }));
}

export interface HandoverDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  jobs: Jobs;
  settings: WorkflowSettingsStore;
  /** Give the queue to whoever can take it now (the workflow's drain, which announces what it assigned). */
  drain: (brandId: number) => Promise<unknown>;
  log?: { error(o: unknown, m?: string): void };
}

/** The periodic side: a brand's (or one conversation's) check outside ingest. */
export class FollowUpHandover {
  constructor(private readonly deps: HandoverDeps) {
    deps.jobs.register(HANDOVER_JOB, async (p: { brandId: number; conversationId: number }) => {
      await this.check(p.brandId, [p.conversationId]);
    });
    deps.settings.onSaved((brandId, before, after) => this.afterSettings(brandId, before, after));
  }

  /** Conversations of the brand whose customer waits on someone (not disabled) now offline. */
  private waitingOnOffline(db: Tx, brandId: number) {
    return db
      .selectFrom('conversation')
      .innerJoin('app_user', 'app_user.id', 'conversation.assignee_id')
      .where('conversation.brand_id', '=', brandId)
      .where('conversation.status', 'in', OPEN)
      .where('conversation.waiting_since', 'is not', null)
      .where('app_user.availability', '=', 'offline')
      .where('app_user.disabled_at', 'is', null);
  }

  /**
   * Hand over what is due of the brand's conversations whose customer waits on someone offline
   * (only these ids when given), set the timers of the rest, then drain. Returns the ids handed over.
   */
  async check(brandId: number, only?: number[]): Promise<number[]> {
    const { store, clock, bus } = this.deps;
    const settings = await this.deps.settings.get(brandId);
    // nothing to route back to, or turned off: a conversation stays with its assignee
    if (!settings.routing || !(settings.handoverAfterMin > 0)) return [];
    const now = clock.now();
    const notices: { userId: number; conversationId: number; subject: string }[] = [];
    const moved = await store.db.transaction().execute(async (trx) => {
      // after an ingest batch of the brand, never beside one (it would hand over the same follow-up)
      await lockBrand(trx, store, brandId);
      let q = this.waitingOnOffline(trx, brandId).selectAll('conversation');
      if (only) {
        if (!only.length) return [];
        q = q.where('conversation.id', 'in', only);
      }
      const rows = await q.orderBy('conversation.waiting_since').limit(CHECK_LIMIT).execute();
      if (!rows.length) return [];
      const held = rows.map((c) => ({ id: c.id, assigneeId: c.assignee_id!, teamId: returnTeam(settings.routing!, c), channelAccountId: c.channel_account_id, waitingSince: c.waiting_since }));
      const facts = await gather(trx, this.deps.settings, held);
      const audits: Record<string, unknown>[] = [];
      const rechecks: { id: number; at: number }[] = [];
      const out: number[] = [];
      for (const [i, c] of rows.entries()) {
        const h = held[i]!;
        const d = decideOne(h, facts, settings.handoverAfterMin, now);
        if (!d.handOver) {
          if (d.recheckAt != null) rechecks.push({ id: c.id, at: d.recheckAt });
          continue;
        }
        const r = await trx.updateTable('conversation').set({ assignee_id: null, team_id: h.teamId, queued_at: now, updated_at: now, version: sql<number>`version + 1` }).where('id', '=', c.id).where('assignee_id', '=', h.assigneeId).executeTakeFirst();
        if (!Number(r.numUpdatedRows)) continue;
        audits.push(handoverAudit(brandId, c.id, h.assigneeId, c.team_id, h.teamId, d, settings.handoverAfterMin, now));
        const n = handoverNotice(c.subject);
        await trx.insertInto('notification').values({ brand_id: brandId, user_id: h.assigneeId, kind: n.kind, title: n.title, body: n.body, conversation_id: c.id, created_at: now }).execute();
        notices.push({ userId: h.assigneeId, conversationId: c.id, subject: c.subject });
        out.push(c.id);
      }
      if (audits.length) await insertRows(trx, store, 'audit_event', audits);
      if (rechecks.length) await this.deps.jobs.addManyIn(trx, timers(rechecks, brandId));
      return out;
    });
    if (!moved.length) return moved;
    const rows: Conversation[] = [];
    for (const part of chunks(moved, 500)) rows.push(...(await store.db.selectFrom('conversation').selectAll().where('id', 'in', part).execute()));
    const contacts = await contactSummaries(store.db, rows.map((c) => c.contact_id));
    for (const c of rows) bus.publish(brandId, 'conversation.updated', presentConversation(c, { contact: c.contact_id != null ? contacts.get(c.contact_id) ?? null : null }));
    for (const n of notices) bus.publish(brandId, 'notification', { ...handoverNotice(n.subject), conversationId: n.conversationId }, { userIds: [n.userId] });
    await this.deps.drain(brandId);
    return moved;
  }

  /** `check` for an availability change, never failing the change itself (logged). */
  async afterAvailability(brandId: number): Promise<void> {
    try {
      await this.check(brandId);
    } catch (err) {
      this.deps.log?.error({ err, brandId }, 'handing over follow-ups after an availability change failed');
    }
  }

  /**
   * The hand-over was switched on or off, or its grace changed (`handoverAfterMin`; routing set or
   * cleared switches it too: without routing nothing is handed over). On: every customer already
   * waiting on someone offline is handed over at once when that person's grace has passed, else
   * gets the timer for when it ends, as if they had just gone offline — without this, nobody gone
   * before it was turned on would ever be handed over. Off: the pending timers are dropped. The
   * settings change itself is audited by its route; each hand-over as `conversation.assigned`.
   * Never fails the save (logged).
   */
  async afterSettings(brandId: number, before: WorkflowSettings, after: WorkflowSettings): Promise<void> {
    const on = (s: WorkflowSettings) => s.routing != null && s.handoverAfterMin > 0;
    if (on(before) === on(after) && (!on(after) || before.handoverAfterMin === after.handoverAfterMin)) return;
    try {
      if (on(after)) await this.resume(brandId);
      else await this.cancelTimers(brandId);
    } catch (err) {
      this.deps.log?.error({ err, brandId }, 'handing over follow-ups after a settings change failed');
    }
  }

  /** `check` every conversation of the brand waiting on someone offline, however many (in parts of `CHECK_LIMIT`). */
  private async resume(brandId: number): Promise<void> {
    const rows = await this.waitingOnOffline(this.deps.store.db, brandId).select('conversation.id').orderBy('conversation.id').execute();
    for (const part of chunks(rows.map((r) => r.id), CHECK_LIMIT)) await this.check(brandId, part);
  }

  /** Drop the brand's pending `handover:<id>` timers: those of its open conversations held by someone (a timer left on any other finds nothing to do when it runs). */
  private async cancelTimers(brandId: number): Promise<void> {
    const { store, jobs } = this.deps;
    const rows = await store.db.selectFrom('conversation').select('id').where('brand_id', '=', brandId).where('status', 'in', OPEN).where('assignee_id', 'is not', null).execute();
    if (!rows.length) return;
    await store.db.transaction().execute((trx) => jobs.cancelManyIn(trx, rows.map((r) => timerKey(r.id))));
  }
}
