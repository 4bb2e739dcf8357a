/**
 * The care workflow around each conversation: routing to a team and an agent,
 * SLA clocks with warning/breach alerts, out-of-hours acknowledgements, reply
 * checks and sign-off before anything is sent. The decisions are the pure
 * functions of src/core (routing, sla, businessHours, autoAck, replyChecks,
 * approval); this module gathers their inputs from the store, persists their
 * outputs, schedules the next SLA instant as a keyed job, and announces changes.
 */
import { parseObject } from '../lib/json.js';
import { sql } from 'kysely';
import { requiresApproval } from '../core/approval.js';
import { autoAckEligibility, autoAckText, HOSTILE_REASONS, shouldAutoAck } from '../core/autoAck.js';
import { businessMsBetween, isOpen, type BusinessCalendar } from '../core/businessHours.js';
import { checkReply } from '../core/replyChecks.js';
import { drainQueue, pickTeam, type AssignmentStrategy, type QueuedConversation, type RoutingAgent, type RoutingState } from '../core/routing.js';
import { compactSlaTimeline, deskFirstSaw, evaluateSla, usableSlaPolicy, type SlaClock, type SlaEvent } from '../core/sla.js';
import type { ConversationStatus, Network, Role, Sentiment, TriageCategory, Visibility } from '../core/types.js';
import type { Actor } from '../commands/context.js';
import type { ConversationHooks, ReplyDecision } from '../commands/conversations.js';
import { AppError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Clock } from '../lib/clock.js';
import { enqueue } from '../outbox/outbox.js';
import { iso, presentConversation, presentMessage, type ContactSummaryJson } from '../server/presenters.js';
import { applyStatus } from '../core/conversationState.js';
import { closesConversation, nothingToAnswer } from '../core/triage/triage.js';
import { AUTHOR_ACTIONS, moderationEffect } from '../core/moderationEffect.js';
import { readStoredTriage } from '../store/triageJson.js';
import { stateColumns, stateOf } from '../pipeline/ingest.js';
import { audit } from '../store/audit.js';
import { contactSummaries, presentListedConversation } from '../store/queries.js';
import type { Store } from '../store/db.js';
import { factRow } from '../store/facts.js';
import { applyRollups, deltasOf, writeFacts, type Fact } from '../store/rollup.js';
import type { ChannelAccount, Conversation } from '../store/schema.js';
import { encodeText, decodeText } from '../store/text.js';
import { chunks, inLists, insertRows, lockBrand, type Tx } from '../store/util.js';
import type { WorkflowSettings, WorkflowSettingsStore } from './settings.js';
import { refuseWithoutApprover } from './approvers.js';
import { decideOne as decideHandover, FollowUpHandover, gather as gatherHandover, handoverAudit, handoverNotice, returnTeam, timers as handoverTimers } from './followUpHandover.js';

export interface WorkflowDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  jobs: Jobs;
  settings: WorkflowSettingsStore;
  /** Wake the outbox (auto-acknowledgements). */
  onQueued?: () => void;
  /**
   * Whether the account's connector can send private messages: `true`, or the reason it cannot
   * (an Instagram account without its linked Page). A private acknowledgement from an account
   * that cannot send one would only fail in the outbox. Absent: assumed able.
   */
  canMessagePrivately?: (account: ChannelAccount) => true | string;
  log?: { warn(o: unknown, m?: string): void; error(o: unknown, m?: string): void };
}

const SLA_JOB = 'sla.tick';
/** A snoozed conversation's wake-up, keyed `snooze:<id>` at its snooze time (`wakeSnoozed`). */
const SNOOZE_JOB = 'conversation.wake';
const DRAIN_JOB = 'routing.drain';
/**
 * How long a drain's finding that a team's agents are all full stands in for draining again:
 * while every agent of the teams new work joins is at capacity, an ingest batch need not lock
 * the brand and read the queue just to leave it waiting (throughput when the desk is swamped).
 * Capacity freed here drains at once; freed by another process, it is picked up by the next
 * drain past this window, which a skipped drain schedules (`DRAIN_JOB`).
 */
const SATURATION_WINDOW_MS = 5_000;
/** The most of one team's queue a drain reads (a team that needs a language match reads this deep). */
const QUEUE_READ_LIMIT = 1000;
/** Beyond a team's free places, how many more of its queue a drain reads (conversations it may pass over). */
const QUEUE_SLACK = 100;
/** An acknowledgement answers only what arrived this recently (not a late delivery of an old message). */
const AUTO_ACK_FRESH_MS = 15 * 60_000;
const OPEN = ['new', 'open'];
/** `incident.opened_by` of an incident the burst detector opened (a person's is their name). */
const DETECTOR = 'detector';

interface SlaMemo {
  /**
   * The last state announced of each current clock (`metric:cycle`, and the start for a
   * next-response clock: `next_response:cycle:startedAt`). A clock that is no longer
   * current is settled by `h` instead.
   */
  announced: Record<string, string>;
  clocks: Pick<SlaClock, 'metric' | 'cycle' | 'state' | 'dueAt' | 'warningAt' | 'targetMs' | 'businessHours' | 'startedAt' | 'stoppedAt'>[];
  /**
   * Settled up to here: the latest stop of a clock when the memo was written. Every clock
   * stopped by then was announced (its met or breached) in that evaluation or before, so
   * a clock that is no longer current and stopped at or before `h` is not announced
   * again (a clock that a late message makes up before `h` is not announced either).
   * Absent in memos from before it existed, whose `announced` had one entry per metric and
   * cycle — which silenced every next-response clock of a cycle after its first.
   */
  h?: number;
  /**
   * The conversation's SLA timeline as of its version `v`, so the next ingest batch
   * need not read the messages and status changes back — shortened (`compactSlaTimeline`),
   * so it does not grow with the conversation; `f`: the latest instant of an event
   * dropped from it. Valid only while the row's version is still `v` and for messages
   * after `f`: every writer of the timeline (ingest, the outbox marking a reply sent, a
   * status change) bumps the version in the same transaction, and a message older than
   * `f` (a late delivery) is evaluated with the timeline read back from the tables.
   */
  tl?: { v: number; e: TimelineEntry[]; f?: number };
  /**
   * When the conversation's `sla:<id>` timer was last set to run (null: none pending),
   * written in the same transaction as the timer. An ingest batch that leaves the time
   * unchanged then writes no job row. Absent in memos from before it existed: the timer
   * is written.
   */
  timer?: number | null;
  /**
   * The cycle in which the conversation needed an answer (its triage said respond, or it was
   * untriaged): the customer's later waits in that cycle keep their response clocks whatever
   * triage makes of a short follow-up. Null: none, or a person corrected the conversation's
   * triage to say it needs none. Absent in memos from before it existed: a cycle in which the
   * brand already answered a wait (see `neededBefore`).
   */
  r?: number | null;
  /** When the current cycle's waits that need no answer began (`SlaEvaluation.withdrawn`): earlier ones stay without a clock. Absent: none. */
  w?: number[];
  /**
   * When the desk first saw the conversation, for one with backfilled messages (`deskFirstSaw`):
   * what was written before then counts from then — its clocks, and the response times reported
   * for it (`countsFromDesk` in deskSight.ts). Absent: nothing backfilled, everything counts from its network time.
   */
  vf?: number;
}

/** The cycle a memo says needed an answer; for a memo from before `r`, one in which a response clock already stopped with a response (a dialogue under way). */
function neededBefore(memo: Partial<SlaMemo>): number | null {
  if (memo.r !== undefined) return memo.r;
  let cycle: number | null = null;
  for (const c of memo.clocks ?? []) if (c.metric !== 'resolution' && c.stoppedAt != null && (cycle === null || c.cycle > cycle)) cycle = c.cycle;
  return cycle;
}

/** Whether an SLA event is a backfilled message (`deskFirstSaw`). */
const isBackfilled = (e: SlaEvent) => (e.type === 'inbound' || e.type === 'outbound') && e.backfill === true;

/** A compact SLA event: inbound (chaser flag), outbound (auto-acknowledgement flag), status. */
type TimelineEntry = ['i', number, 0 | 1] | ['o', number, 0 | 1] | ['s', number, string];
/** Longer timelines (even shortened: a conversation reopened many times) are read back from the tables each time rather than carried in the row. */
const MAX_MEMO_EVENTS = 200;

function encodeTimeline(events: SlaEvent[]): TimelineEntry[] | null {
  if (events.length > MAX_MEMO_EVENTS) return null;
  const out: TimelineEntry[] = [];
  for (const e of events) {
    if (e.type === 'inbound') out.push(['i', e.at, e.chaser ? 1 : 0]);
    else if (e.type === 'outbound') out.push(['o', e.at, e.autoAck ? 1 : 0]);
    else if (e.type === 'status') out.push(['s', e.at, e.status]);
    else return null; // not produced by the stored timeline
  }
  return out;
}

/** The timeline carried in a conversation's memo, when it is of the row's current version and the batch's messages are all after what it dropped. */
function memoTimeline(memo: Partial<SlaMemo>, version: number, batch: SlaEvent[]): SlaEvent[] | null {
  const tl = memo.tl;
  if (!tl || tl.v !== version || !Array.isArray(tl.e)) return null;
  if (typeof tl.f === 'number' && batch.some((e) => e.at <= tl.f!)) return null;
  return tl.e.map((x): SlaEvent => (x[0] === 'i' ? { type: 'inbound', at: x[1], chaser: x[2] === 1 } : x[0] === 'o' ? { type: 'outbound', at: x[1], autoAck: x[2] === 1 } : { type: 'status', at: x[1], status: x[2] as ConversationStatus }));
}

/** A clock's key in the memo's `announced`: a cycle has one first-response and one resolution clock, and a next-response clock per wait. */
const clockKey = (c: SlaClock) => (c.metric === 'next_response' ? `${c.metric}:${c.cycle}:${c.startedAt}` : `${c.metric}:${c.cycle}`);

/** The memo as agents see it (the carried timeline is bookkeeping). */
const visibleMemo = (m: Partial<SlaMemo>) => JSON.stringify({ announced: m.announced ?? {}, clocks: m.clocks ?? [] });

/** A conversation as the ingest pipeline is about to write it, for the workflow to complete. */
export interface IngestDraft {
  id: number;
  created: boolean;
  /** Whether a customer message arrived in this batch. */
  inbound: boolean;
  /** The row to be written; the workflow may set team_id, queued_at and the sla columns. */
  row: Omit<Conversation, 'id'> & { id: number };
  /** This batch's messages of the conversation as SLA events (network times; backfilled ones flagged, see `deskFirstSaw`). */
  events: SlaEvent[];
  /** A customer message in this batch reopened the resolved conversation. */
  reopened?: boolean;
}

export interface IngestWorkflowResult {
  /** Reporting facts to insert with the batch (SLA met/breached). */
  facts: Record<string, unknown>[];
  /** Whether routing is configured (the pipeline then drains the queue). */
  routed: boolean;
  afterCommit(rows: Conversation[]): Promise<void>;
}

type SlaEvaluated = {
  dueAt: number | null; worst: string | null; memo: SlaMemo; transitions: { clock: SlaClock; to: string }[]; nextChangeAt: number | null;
  /** The pending timer already runs at `nextChangeAt` (or none is pending and none is needed). */
  timerKept: boolean;
  conv: Conversation; account: ChannelAccount;
  /**
   * The clocks triage just withdrew (current or announced when the memo was written: response
   * clocks of waits that now need no answer, and the resolution clock of a cycle that needs
   * none), each with the state last announced of it.
   */
  withdrawn: { clock: SlaClock; announced: string | null }[];
  /** SLA notices of the withdrawn clock marked read in the transaction, by recipient (published after commit). */
  cleared?: Map<number, number[]>;
};

/** SLA notices that name a clock: `SLA warning: first response due …`, `SLA breached: next response`. */
const SLA_NOTICE_KINDS = ['sla.warning', 'sla.breached'];
const clockWords = (metric: string) => metric.replace('_', ' ');

const dueFormats = new Map<string, Intl.DateTimeFormat>();
/** A cached formatter of local weekday, date, time and zone name in `tz`. */
function dueFormat(locale: string, tz: string): Intl.DateTimeFormat {
  const key = `${locale}|${tz}`;
  let f = dueFormats.get(key);
  if (!f) dueFormats.set(key, (f = new Intl.DateTimeFormat(locale, { timeZone: tz, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })));
  return f;
}

/**
 * A due time as the brand's team reads it: its local time with the zone's abbreviation
 * (`05:36 EST`, `14:00 BST`; `GMT+5:30` where a zone has no common one), and the weekday
 * when it falls on another local day than `now` (`Mon 09:30 EST`).
 */
export function localDueTime(at: number, tz: string, now: number): string {
  const parts = (locale: string, t: number) => Object.fromEntries(dueFormat(locale, tz).formatToParts(t).map((p) => [p.type, p.value]));
  const us = parts('en-US', at);
  // US English names the American zones (EST, PDT), British English the European ones (BST, CET)
  const zone = /^GMT[+-]/.test(us.timeZoneName ?? '') ? parts('en-GB', at).timeZoneName : us.timeZoneName;
  const today = parts('en-US', now);
  const sameDay = us.year === today.year && us.month === today.month && us.day === today.day;
  return `${sameDay ? '' : `${us.weekday} `}${us.hour}:${us.minute} ${zone}`;
}

/** Free places per team: the open conversations its online agents can still take (an agent in two teams counts in both). */
function roomByTeam(agents: Iterable<RoutingAgent>): Map<number, number> {
  const room = new Map<number, number>();
  for (const a of agents) {
    if (a.availability !== 'online' || a.openCount >= a.maxOpen) continue;
    for (const t of a.teamIds) room.set(Number(t), (room.get(Number(t)) ?? 0) + a.maxOpen - a.openCount);
  }
  return room;
}

/** The conversation's triage says its customer's latest wait needs an answer (respond), or it is untriaged. */
const needsResponse = (triageAction: string | null): boolean => triageAction == null || triageAction === 'respond';

export class Workflow {
  /** Follow-ups whose assignee has gone away: its timers and brand-wide checks (src/workflow/followUpHandover.ts). */
  readonly handover: FollowUpHandover;

  constructor(private readonly deps: WorkflowDeps) {
    this.handover = new FollowUpHandover({ ...deps, drain: (brandId) => this.drain(brandId) });
    deps.jobs.register(SLA_JOB, async (p: { conversationId: number }) => {
      await this.refreshSla(p.conversationId);
    });
    deps.jobs.register(DRAIN_JOB, async (p: { brandId: number }) => {
      await this.drain(p.brandId);
    });
    deps.jobs.register(SNOOZE_JOB, async (p: { conversationId: number }) => {
      await this.wakeSnoozed(p.conversationId);
    });
    // a removed reply makes its conversation wait again (src/pipeline/deletions.ts): its response clock comes back
    deps.bus.onPublished('conversation.reply_removed', (e) => {
      const id = (e.data as { conversationId?: unknown }).conversationId;
      if (typeof id !== 'number') return;
      this.reacted(this.refreshSlaMany([id]).catch((err) => deps.log?.error({ err, conversationId: id }, 'SLA clocks after a removed reply failed')));
    });
    // the reply shown again is the answer again (src/pipeline/deletions.ts `replyShown`): the clock its removal began goes
    deps.bus.onPublished('conversation.reply_restored', (e) => {
      const id = (e.data as { conversationId?: unknown }).conversationId;
      if (typeof id !== 'number') return;
      this.reacted(this.refreshSlaMany([id]).catch((err) => deps.log?.error({ err, conversationId: id }, 'SLA clocks after a reply shown again failed')));
    });
    // a person's triage correction may withdraw the response clock or bring it back (docs/metrics.md)
    deps.bus.onPublished('triage.corrected', (e) => {
      const d = e.data as { conversationId?: unknown; conversationAction?: unknown };
      if (typeof d.conversationId !== 'number') return;
      const id = d.conversationId;
      this.reacted(this.refreshSlaMany([id], { triageCorrected: d.conversationAction != null }).catch((err) => deps.log?.error({ err, conversationId: id }, 'SLA clocks after a triage correction failed')));
    });
  }

  /** Work this workflow set off itself, in reaction to a published event, still running (nobody awaits it otherwise). */
  private readonly reactions = new Set<Promise<void>>();

  private reacted(work: Promise<void>): void {
    this.reactions.add(work);
    void work.finally(() => this.reactions.delete(work));
  }

  /**
   * Settles once the work the workflow set off in reaction to published events (a triage
   * correction's SLA re-evaluation, which writes the conversation's clocks and its `sla:<id>` timer
   * after the correction has answered) is done, including what that work set off meanwhile: the
   * signal to wait for before the database is read as settled, or the store is closed.
   */
  async idle(): Promise<void> {
    while (this.reactions.size) await Promise.allSettled([...this.reactions]);
  }

  // ---------------------------------------------------------------- hooks

  /** Hooks for the conversation commands (reply checks, sign-off, re-evaluation). */
  conversationHooks(): ConversationHooks {
    return {
      beforeReply: (trx, ctx) => this.beforeReply(trx, ctx),
      afterChange: async (brandId, conversationId, what) => {
        if (what === 'status') await this.scheduleWake(conversationId);
        await this.refreshSla(conversationId);
        if (what === 'status' || what === 'assigned') await this.drain(brandId);
      },
    };
  }

  /**
   * Inside the ingest transaction, before conversations are written: route the
   * conversations that heard from a customer to a team, and evaluate their SLA
   * clocks from the stored timeline plus this batch — all on the in-memory rows,
   * so a batch costs one commit and no re-reads. Returns what to do after commit.
   */
  async beforePersist(trx: Tx, brandId: number, drafts: IngestDraft[], now: number): Promise<IngestWorkflowResult> {
    const settings = await this.deps.settings.get(brandId, trx);
    const audits: Record<string, unknown>[] = [];
    await this.releaseUnreachable(trx, brandId, drafts, now, settings, audits);
    if (settings.routing) {
      const arrivals = new Set<number>();
      this.arrivals.set(trx, arrivals);
      for (const d of drafts) {
        const r = d.row;
        if (!d.inbound || r.assignee_id != null || r.status === 'resolved') continue;
        if (r.team_id == null) {
          const choice = pickTeam(settings.routing, {
            channelAccountId: String(r.channel_account_id), network: r.network as Network, category: r.category as TriageCategory | null, intent: r.intent, language: r.language, priority: r.priority, visibility: r.visibility as Visibility,
          });
          r.team_id = Number(choice.teamId);
          r.queued_at = now;
          audits.push({ brand_id: brandId, actor_user_id: null, actor: 'system:routing', action: 'conversation.queued', subject_type: 'conversation', subject_id: String(d.id), conversation_id: d.id, data: JSON.stringify({ teamId: r.team_id, rule: choice.ruleId ?? choice.ruleIndex }), created_at: now });
        } else if (r.queued_at == null) {
          r.queued_at = now;
        }
        arrivals.add(r.team_id);
      }
    }
    // SLA: stored timeline (before this batch; carried in the row's memo when current) + this batch's messages
    const memos = new Map(drafts.map((d) => [d.id, parseObject(d.row.sla) as Partial<SlaMemo>]));
    const stored = new Map<number, SlaEvent[]>();
    const folds = new Map<number, number>();
    const unread: number[] = [];
    for (const d of drafts) {
      if (d.created) continue;
      const memo = memos.get(d.id)!;
      // backfilled messages count from when the desk first saw the conversation, in the network's order:
      // read the stored timeline back (with its receipts and network times), not the carried one
      const carried = d.events.some(isBackfilled) ? null : memoTimeline(memo, d.row.version, d.events);
      if (carried) {
        stored.set(d.id, carried);
        if (typeof memo.tl?.f === 'number') folds.set(d.id, memo.tl.f);
      } else unread.push(d.id);
    }
    if (unread.length) for (const [id, events] of await this.timelines(unread, trx)) stored.set(id, events);
    const accountIds = [...new Set(drafts.map((d) => d.row.channel_account_id))];
    const accounts = new Map((await trx.selectFrom('channel_account').selectAll().where('id', 'in', accountIds).execute()).map((a) => [a.id, a]));
    const evaluated: SlaEvaluated[] = [];
    for (const d of drafts) {
      const events = [...(stored.get(d.id) ?? []), ...d.events].sort((a, b) => a.at - b.at);
      // the batch writes the row with its version bumped (a new one with version 1)
      const e = this.evaluate(d.row as Conversation, accounts.get(d.row.channel_account_id)!, settings, events, now, d.row.version + 1, memos.get(d.id), folds.get(d.id));
      d.row.sla_due_at = e.dueAt;
      d.row.sla_state = e.worst;
      d.row.sla = JSON.stringify(e.memo);
      evaluated.push(e);
    }
    // replies in this batch were seen on the network: nobody at the desk wrote them (their clocks go to the assignee, like their response facts)
    const seen = new Set<string>();
    for (const d of drafts) for (const ev of d.events) if (ev.type === 'outbound') seen.add(`${d.id}:${ev.at}`);
    const facts = await this.transitionsTx(trx, evaluated, now, seen);
    await this.setTimers(trx, evaluated.filter((e) => !e.timerKept));
    if (audits.length) await insertRows(trx, this.deps.store, 'audit_event', audits);
    return {
      facts,
      routed: !!settings.routing,
      afterCommit: async (publishedRows) => {
        for (const e of evaluated) this.announceSla(brandId, e);
        for (const n of this.pendingNotices.splice(0)) this.deps.bus.publish(n.brandId, 'notification', n.data, { userIds: n.userIds });
        void publishedRows;
        this.retryCommitted(trx, brandId);
        const ids = drafts.filter((d) => d.inbound).map((d) => d.id);
        try {
          if (await this.anyAutoAck(brandId)) for (const id of ids) await this.maybeAutoAck(id);
        } catch (err) {
          this.deps.log?.error({ err, brandId }, 'auto-acknowledgement after ingest failed');
        }
      },
    };
  }

  /**
   * A customer writing again to a conversation whose assignee cannot answer: someone disabled or
   * now an expert (their open work was handed back then, `releaseConversations`, but not what was
   * resolved), or — on a routed desk, when the message reopens it — someone offline, as a follow-up
   * sticks to its owner unless they are offline (routing.ts). It goes back unassigned to its
   * team's queue, on the in-memory rows, so routing places it with this batch.
   * A follow-up on an open conversation whose assignee is offline goes back too once they have been
   * unreachable for the brand's grace (`handoverAfterMin`, src/core/followUpHandover.ts), the
   * previous assignee notified; within it, it stays theirs and its `handover:<id>` timer is set for
   * when the grace ends (src/workflow/followUpHandover.ts).
   */
  private async releaseUnreachable(trx: Tx, brandId: number, drafts: IngestDraft[], now: number, settings: WorkflowSettings, audits: Record<string, unknown>[]): Promise<void> {
    const routed = !!settings.routing;
    const held = drafts.filter((d) => d.inbound && d.row.assignee_id != null && d.row.status !== 'resolved');
    if (!held.length) return;
    const ids = [...new Set(held.map((d) => d.row.assignee_id!))];
    const people = new Map((await trx.selectFrom('app_user').select(['id', 'availability', 'disabled_at', 'role']).where('id', 'in', ids).execute()).map((u) => [u.id, u]));
    const released: IngestDraft[] = [];
    for (const d of held) {
      const u = people.get(d.row.assignee_id!);
      const why = !u || u.disabled_at != null ? 'assignee_disabled' : u.role === 'expert' ? 'assignee_not_agent' : routed && d.reopened && u.availability === 'offline' ? 'assignee_offline' : null;
      if (!why) continue;
      const from = d.row.assignee_id;
      d.row.assignee_id = null;
      d.row.queued_at = now;
      audits.push({ brand_id: brandId, actor_user_id: null, actor: 'system:routing', action: 'conversation.assigned', subject_type: 'conversation', subject_id: String(d.id), conversation_id: d.id, data: JSON.stringify({ from: { assigneeId: from, teamId: d.row.team_id }, to: { assigneeId: null, teamId: d.row.team_id }, reason: why }), created_at: now });
      released.push(d);
    }
    // an open conversation's customer waiting on someone offline: handed over past the grace
    const away = routed && settings.handoverAfterMin > 0
      ? held.filter((d) => !released.includes(d) && !d.reopened && OPEN.includes(d.row.status) && d.row.waiting_since != null && people.get(d.row.assignee_id!)?.availability === 'offline')
      : [];
    if (away.length) {
      // the team it would go back to (its routing is made again below once it is unassigned)
      const hs = away.map((d) => ({ d, h: { id: d.id, assigneeId: d.row.assignee_id!, teamId: returnTeam(settings.routing!, d.row), channelAccountId: d.row.channel_account_id, waitingSince: d.row.waiting_since } }));
      const facts = await gatherHandover(trx, this.deps.settings, hs.map(({ h }) => h));
      const rechecks: { id: number; at: number }[] = [];
      for (const { d, h } of hs) {
        const decision = decideHandover(h, facts, settings.handoverAfterMin, now);
        if (!decision.handOver) {
          if (decision.recheckAt != null) rechecks.push({ id: d.id, at: decision.recheckAt });
          continue;
        }
        d.row.assignee_id = null;
        d.row.queued_at = now;
        audits.push(handoverAudit(brandId, d.id, h.assigneeId, d.row.team_id, h.teamId, decision, settings.handoverAfterMin, now));
        const n = handoverNotice(d.row.subject);
        await trx.insertInto('notification').values({ brand_id: brandId, user_id: h.assigneeId, kind: n.kind, title: n.title, body: n.body, conversation_id: d.id, created_at: now }).execute();
        this.pendingNotices.push({ brandId, data: { ...n, conversationId: d.id }, userIds: [h.assigneeId] });
        released.push(d);
      }
      if (rechecks.length) await this.deps.jobs.addManyIn(trx, handoverTimers(rechecks, brandId));
    }
    // the batch writes only what ingest changes on a stored conversation (not its assignee): this does
    for (const part of chunks(released.map((d) => d.id), 500)) await trx.updateTable('conversation').set({ assignee_id: null }).where('id', 'in', part).execute();
  }

  async afterSent(brandId: number, conversationId: number): Promise<void> {
    await this.refreshSla(conversationId);
    void brandId;
  }

  async afterAvailability(brandId: number, _userId: number): Promise<void> {
    // someone going offline starts the grace of what waits on them; someone online can take what is past it
    await this.handover.afterAvailability(brandId);
    await this.drain(brandId);
  }

  /** Business-hours seconds for facts, on the account's calendar (wall clock when it has none). */
  businessSeconds = (account: ChannelAccount, from: number, to: number): number => {
    const cal = this.deps.settings.calendarOf(account);
    return cal ? businessMsBetween(cal, from, to) / 1000 : Math.max(0, (to - from) / 1000);
  };

  // ---------------------------------------------------------------- reply checks and sign-off

  private async beforeReply(trx: Tx, ctx: { actor: Actor; conversation: Conversation; text: string; visibility: Visibility; now: number }): Promise<ReplyDecision> {
    const { conversation: conv, actor } = ctx;
    const settings = await this.deps.settings.get(conv.brand_id, trx);
    const contact = conv.contact_id != null ? await trx.selectFrom('contact_identity').select(['handle', 'display_name', 'followers', 'verified']).where('contact_id', '=', conv.contact_id).orderBy('updated_at', 'desc').executeTakeFirst() : undefined;
    const recent = actor.userId != null
      ? await trx.selectFrom('message').select(['text', 'text_escaped']).where('brand_id', '=', conv.brand_id).where('author_user_id', '=', actor.userId).where('direction', '=', 'outbound').orderBy('id', 'desc').limit(20).execute()
      : [];
    const report = checkReply({
      text: ctx.text,
      network: conv.network as Network,
      visibility: ctx.visibility,
      customer: { name: contact?.display_name ?? null, handle: contact?.handle ?? null },
      recentReplies: recent.map((r) => decodeText(r.text, r.text_escaped)),
      conversationId: String(conv.id),
      overrides: settings.replyChecks as never,
    });
    if (!report.ok) {
      const block = report.results.find((r) => r.severity === 'block')!;
      throw new AppError(422, block.code, `${block.message}${block.detail ? ` (${block.detail})` : ''}`, { checks: report.results });
    }
    const user = actor.userId != null ? await trx.selectFrom('app_user').select(['id', 'role', 'settings']).where('id', '=', actor.userId).executeTakeFirst() : undefined;
    const flags = (parseObject(user?.settings).flags as string[] | undefined) ?? [];
    const lastInbound = await trx.selectFrom('message').select(['sentiment', 'complaint']).where('conversation_id', '=', conv.id).where('direction', '=', 'inbound').orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    // an incident a person declared: every public word is signed off while it lasts. One the burst
    // detector opened on volume alone says nothing about this reply (a spike of mentions is not
    // yet an outage), so it holds nothing back until a person declares one
    const incidentOpen = !!(await trx.selectFrom('incident').select('id').where('brand_id', '=', conv.brand_id).where('status', '=', 'open').where('opened_by', '!=', DETECTOR).executeTakeFirst());
    const decision = requiresApproval(settings.approval, {
      agent: { id: String(actor.userId), roles: user ? [user.role as Role] : [], flags },
      reply: { text: ctx.text, visibility: ctx.visibility },
      author: contact ? { followers: contact.followers, verified: contact.verified === 1 } : null,
      triage: lastInbound ? { sentiment: (lastInbound.sentiment as Sentiment | null) ?? null, complaint: lastInbound.complaint == null ? null : lastInbound.complaint === 1 } : null,
      incidentOpen,
    });
    const warnings = report.results.filter((r) => r.severity !== 'block');
    // held with nobody but its author to sign it off, it would wait forever: refused, nothing stored (src/workflow/approvers.ts)
    if (decision.required) await refuseWithoutApprover(trx, conv.brand_id, actor.userId);
    return decision.required
      ? { status: 'pending_approval', reasons: decision.reasons.map((r) => ({ code: r.code, message: r.message })), checks: warnings }
      : { status: 'queued', checks: warnings };
  }

  // ---------------------------------------------------------------- routing

  /**
   * Per brand, what its last drain left: the teams where nobody
   * could take more (every online member at capacity, nobody online, or a manual team) and
   * whether that was every team. An ingest batch whose new work all joined such teams skips
   * its drain within `SATURATION_WINDOW_MS`; a team with room is drained whatever another
   * team's backlog. `retryAt`: the drain a skip scheduled for the end of the window.
   */
  private readonly saturated = new Map<number, { at: number; teams: Set<number>; all: boolean; retryAt: number | null }>();

  /** The teams an ingest batch put conversations in the queue of, by its transaction (`beforePersist` → `drainTx`). */
  private readonly arrivals = new WeakMap<Tx, Set<number>>();

  /** The retry a skipped drain scheduled in a transaction, remembered once that transaction commits. */
  private readonly retries = new WeakMap<Tx, number>();

  /** Assign queued conversations, priority then age, to online agents with capacity. */
  async drain(brandId: number): Promise<number> {
    this.saturated.delete(brandId);
    const { store, clock } = this.deps;
    const assigned = await store.db.transaction().execute((trx) => this.drainTx(trx, brandId, clock.now()));
    await this.announceAssignments(brandId, assigned);
    return assigned.length;
  }

  /** Publish what a drain assigned (after its transaction committed). */
  async announceAssignments(brandId: number, assigned: number[]): Promise<void> {
    if (!assigned.length) return;
    const rows: Conversation[] = [];
    for (const part of chunks(assigned, 500)) rows.push(...(await this.deps.store.db.selectFrom('conversation').selectAll().where('id', 'in', part).execute()));
    // with the customer: the inbox shows a row as the event has it (no contact: "Unknown customer")
    const contacts = await contactSummaries(this.deps.store.db, rows.map((c) => c.contact_id));
    for (const c of rows) {
      this.deps.bus.publish(brandId, 'conversation.updated', presentConversation(c, { contact: c.contact_id != null ? contacts.get(c.contact_id) ?? null : null }));
      this.deps.bus.publish(brandId, 'notification', { kind: 'assigned', conversationId: c.id, title: 'New conversation assigned to you', body: c.subject }, { userIds: [c.assignee_id!] });
    }
  }

  /** The drain itself, inside the caller's transaction; returns the conversation ids assigned. */
  async drainTx(trx: Tx, brandId: number, now: number): Promise<number[]> {
    const { store } = this.deps;
    const arrivals = this.arrivals.get(trx);
    this.arrivals.delete(trx);
    const sat = this.saturated.get(brandId);
    // new work only for full teams (unknown: every team is full) waits for capacity anyway
    if (sat && now - sat.at < SATURATION_WINDOW_MS && (arrivals ? [...arrivals].every((t) => sat.teams.has(t)) : sat.all)) {
      // …which may have freed meanwhile where this process cannot see it: drain once the window is over
      const at = sat.at + SATURATION_WINDOW_MS;
      if (sat.retryAt !== at && (!arrivals || arrivals.size > 0)) {
        await this.deps.jobs.addManyIn(trx, [{ kind: DRAIN_JOB, payload: { brandId }, runAt: at, key: `${DRAIN_JOB}:${brandId}` }]);
        this.retries.set(trx, at);
      }
      return [];
    }
    await lockBrand(trx, store, brandId, 2);
    const teams = await trx.selectFrom('team').select(['id', 'routing_strategy', 'settings']).where('brand_id', '=', brandId).execute();
    const members = await trx
      .selectFrom('team_member')
      .innerJoin('app_user', 'app_user.id', 'team_member.user_id')
      .select(['team_member.team_id', 'app_user.id', 'app_user.availability', 'app_user.capacity', 'app_user.skills', 'app_user.role', 'app_user.disabled_at'])
      .where('app_user.brand_id', '=', brandId)
      .execute();
    const byAgent = new Map<number, RoutingAgent>();
    for (const m of members) {
      if (m.disabled_at || m.role === 'expert') continue;
      const a = byAgent.get(m.id) ?? { id: String(m.id), availability: m.availability as RoutingAgent['availability'], teamIds: [], maxOpen: m.capacity, openCount: 0, skills: parseObject(m.skills) as RoutingAgent['skills'] };
      (a.teamIds as string[]).push(String(m.team_id));
      byAgent.set(m.id, a);
    }
    if (!byAgent.size) {
      this.saturated.set(brandId, { at: now, teams: new Set([...teams.map((t) => t.id), ...(arrivals ?? [])]), all: true, retryAt: null });
      return [];
    }
    const loads = await trx.selectFrom('conversation').select(['assignee_id', (eb) => eb.fn.countAll<number>().as('n')]).where('brand_id', '=', brandId).where('assignee_id', 'in', [...byAgent.keys()]).where('status', 'in', OPEN).groupBy('assignee_id').execute();
    for (const l of loads) byAgent.get(l.assignee_id!)!.openCount = Number(l.n);
    const config = teams.map((t) => ({ teamId: String(t.id), strategy: t.routing_strategy as AssignmentStrategy, requireLanguageMatch: !!parseObject(t.settings).requireLanguageMatch }));
    // The queue is read per team that can take work now (an online agent with room), each team's
    // own head by priority then age: one team's backlog never hides another's, however long.
    const room = roomByTeam(byAgent.values());
    const columns = ['id', 'team_id', 'priority', 'queued_at', 'created_at', 'language', 'network', 'intent', 'contact_id'] as const;
    const queued = () => trx.selectFrom('conversation').select(columns).where('brand_id', '=', brandId).where('assignee_id', 'is', null).where('status', 'in', OPEN);
    const read = new Map<number, Awaited<ReturnType<ReturnType<typeof queued>['execute']>>[number]>();
    for (const t of config) {
      const free = room.get(Number(t.teamId)) ?? 0;
      if (t.strategy === 'manual' || free <= 0) continue;
      // a team that needs a language match may pass over many it cannot place: it reads deeper
      const limit = t.strategy === 'skills' && t.requireLanguageMatch ? QUEUE_READ_LIMIT : Math.min(QUEUE_READ_LIMIT, free + QUEUE_SLACK);
      for (const q of await queued().where('team_id', '=', Number(t.teamId)).orderBy('priority', 'desc').orderBy('queued_at').limit(limit).execute()) read.set(q.id, q);
    }
    // a customer's follow-up goes back to whoever has their other open conversation (not offline),
    // at capacity or not, whatever its team: read those too, in teams with no room as well
    const reachable = [...byAgent].filter(([, a]) => a.availability !== 'offline').map(([id]) => id);
    if (reachable.length) {
      const sticky = await queued()
        .where('team_id', 'is not', null)
        .where('contact_id', 'in', (eb) => eb.selectFrom('conversation as owned').select('owned.contact_id').where('owned.brand_id', '=', brandId).where('owned.assignee_id', 'in', reachable).where('owned.status', '!=', 'resolved').where('owned.contact_id', 'is not', null))
        .orderBy('priority', 'desc')
        .orderBy('queued_at')
        .limit(QUEUE_READ_LIMIT)
        .execute();
      for (const q of sticky) read.set(q.id, q);
    }
    const queue = [...read.values()];
    const known = [...teams.map((t) => t.id), ...(arrivals ?? [])];
    if (!queue.length) {
      this.noteSaturation(brandId, now, [...byAgent.values()], teams, known);
      return [];
    }
    const contacts = [...new Set(queue.map((q) => q.contact_id).filter((x): x is number => x != null))];
    const owners = new Map<number, number>();
    for (const part of chunks(contacts, 500)) {
      const rows = await trx.selectFrom('conversation').select(['contact_id', 'assignee_id']).where('contact_id', 'in', part).where('assignee_id', 'is not', null).where('status', '!=', 'resolved').orderBy('last_message_at', 'desc').execute();
      for (const r of rows) if (!owners.has(r.contact_id!)) owners.set(r.contact_id!, r.assignee_id!);
    }
    const items: QueuedConversation[] = queue.map((q) => ({
      conversationId: String(q.id), teamId: String(q.team_id), priority: q.priority, queuedAt: q.queued_at ?? q.created_at, language: q.language, network: q.network as Network, intent: q.intent,
      stickyAgentId: q.contact_id != null && owners.has(q.contact_id) ? String(owners.get(q.contact_id)) : null,
    }));
    const stateRow = await trx.selectFrom('kv').select('value').where('key', '=', `routing.state.${brandId}`).executeTakeFirst();
    const state = (stateRow ? JSON.parse(stateRow.value) : { roundRobin: {} }) as RoutingState;
    const result = drainQueue(items, [...byAgent.values()], state, { teams: config, now });
    this.noteSaturation(brandId, now, result.agents, teams, [...known, ...queue.map((q) => q.team_id!)]);
    if (!result.assignments.length) return [];
    const value = JSON.stringify(result.state);
    await trx.insertInto('kv').values({ key: `routing.state.${brandId}`, value, updated_at: now }).onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now })).execute();
    const audits: Record<string, unknown>[] = [];
    for (const a of result.assignments) {
      await trx.updateTable('conversation').set({ assignee_id: Number(a.agentId), queued_at: null, updated_at: now, version: sql<number>`version + 1` }).where('id', '=', Number(a.conversationId)).where('assignee_id', 'is', null).execute();
      audits.push({ brand_id: brandId, actor_user_id: null, actor: 'system:routing', action: 'conversation.assigned', subject_type: 'conversation', subject_id: a.conversationId, conversation_id: Number(a.conversationId), data: JSON.stringify({ to: { assigneeId: Number(a.agentId), teamId: Number(a.teamId) }, reason: a.reason }), created_at: now });
    }
    await insertRows(trx, store, 'audit_event', audits);
    return result.assignments.map((a) => Number(a.conversationId));
  }

  /**
   * After a drain: the teams it left full (nobody online with room, or a manual team), whose new
   * work would wait anyway. Their queues beyond what was read are not known, and need not be:
   * new work joining only such teams skips its drain within the window (`drainTx`).
   */
  private noteSaturation(brandId: number, now: number, agents: readonly RoutingAgent[], teams: { id: number; routing_strategy: string }[], knownTeams: number[]): void {
    const manual = new Set(teams.filter((t) => t.routing_strategy === 'manual').map((t) => t.id));
    const room = roomByTeam(agents);
    const full = new Set<number>();
    const ids = new Set([...teams.map((t) => t.id), ...knownTeams]);
    for (const id of ids) if (manual.has(id) || (room.get(id) ?? 0) <= 0) full.add(id);
    if (!full.size) this.saturated.delete(brandId);
    else this.saturated.set(brandId, { at: now, teams: full, all: full.size === ids.size, retryAt: null });
  }

  /** After an ingest batch committed: a retry its skipped drain scheduled now exists. */
  private retryCommitted(trx: Tx, brandId: number): void {
    const at = this.retries.get(trx);
    if (at === undefined) return;
    this.retries.delete(trx);
    const sat = this.saturated.get(brandId);
    if (sat && sat.at + SATURATION_WINDOW_MS === at) sat.retryAt = at;
  }

  // ---------------------------------------------------------------- SLA clocks

  /** Re-evaluate a conversation's SLA clocks now; announce transitions; schedule the next one. */
  async refreshSla(conversationId: number): Promise<void> {
    await this.refreshSlaMany([conversationId]);
  }

  /**
   * Re-evaluate many conversations' SLA clocks with a handful of queries (after a
   * reply, a status change, a timer): load rows and timelines in bulk, evaluate
   * in memory, write back only what changed, in one transaction.
   */
  async refreshSlaMany(conversationIds: number[], opts: { triageCorrected?: boolean } = {}): Promise<void> {
    const { store, clock, bus } = this.deps;
    if (!conversationIds.length) return;
    const now = clock.now();
    const ids = [...new Set(conversationIds)];
    const convs: Conversation[] = [];
    // a conversation stored resolved that never had clocks (imported history) has none to work out:
    // evaluated from its messages it would read as open and breach every target at once
    for (const part of chunks(ids, 500)) convs.push(...(await store.db.selectFrom('conversation').selectAll().where('id', 'in', part).where((eb) => eb.or([eb('status', '!=', 'resolved'), eb('sla', 'is not', null)])).execute()));
    if (!convs.length) return;
    const accounts = new Map((await store.db.selectFrom('channel_account').selectAll().where('id', 'in', [...new Set(convs.map((c) => c.channel_account_id))]).execute()).map((a) => [a.id, a]));
    const timelines = await this.timelines(convs.map((c) => c.id));
    const evaluated: SlaEvaluated[] = [];
    for (const conv of convs) {
      const settings = await this.deps.settings.get(conv.brand_id);
      const account = accounts.get(conv.channel_account_id)!;
      evaluated.push(this.evaluate(conv, account, settings, timelines.get(conv.id) ?? [], now, conv.version, undefined, undefined, opts.triageCorrected));
    }
    // changed: written and announced; quiet (only the carried timeline differs): written, not announced
    const changed: SlaEvaluated[] = [];
    const quiet: SlaEvaluated[] = [];
    for (const e of evaluated) {
      if (e.conv.sla_due_at !== e.dueAt || e.conv.sla_state !== e.worst || visibleMemo(parseObject(e.conv.sla)) !== visibleMemo(e.memo) || e.transitions.length || e.withdrawn.length) changed.push(e);
      else if (e.conv.sla !== JSON.stringify(e.memo)) quiet.push(e);
    }
    await store.db.transaction().execute(async (trx) => {
      for (const e of [...changed, ...quiet]) await trx.updateTable('conversation').set({ sla_due_at: e.dueAt, sla_state: e.worst, sla: JSON.stringify(e.memo) }).where('id', '=', e.conv.id).execute();
      const facts = await this.transitionsTx(trx, changed, now);
      await writeFacts(trx, store, facts as Fact[]);
      // every timer, kept or not: this is also how a timer lost meanwhile comes back
      await this.setTimers(trx, evaluated);
    });
    const contacts = changed.length ? await contactSummaries(store.db, changed.map((e) => e.conv.contact_id)) : new Map<number, ContactSummaryJson>();
    for (const e of changed) {
      const c = { ...e.conv, sla_due_at: e.dueAt, sla_state: e.worst, sla: JSON.stringify(e.memo) };
      bus.publish(c.brand_id, 'conversation.updated', presentConversation(c, { contact: c.contact_id != null ? contacts.get(c.contact_id) ?? null : null }));
      this.announceSla(c.brand_id, e);
    }
    for (const n of this.pendingNotices.splice(0)) bus.publish(n.brandId, 'notification', n.data, { userIds: n.userIds });
  }

  /**
   * After commit: each clock's warning or breach (met ones only as facts), a withdrawn clock (the
   * UI drops its alerts), and the SLA notices that withdrawal marked read (each recipient's badge).
   */
  private announceSla(brandId: number, e: SlaEvaluated): void {
    const { bus } = this.deps;
    for (const t of e.transitions) {
      if (t.to !== 'met') bus.publish(brandId, 'sla', { conversationId: e.conv.id, clock: t.clock.metric, state: t.to, dueAt: iso(t.clock.dueAt) });
    }
    for (const w of e.withdrawn) bus.publish(brandId, 'sla', { conversationId: e.conv.id, clock: w.clock.metric, state: 'withdrawn', dueAt: null });
    for (const [userId, ids] of e.cleared ?? []) bus.publish(brandId, 'notification.read', { ids }, { userIds: [userId] });
  }

  /** Schedule (or drop) each conversation's `sla:<id>` timer at its next change. */
  private async setTimers(trx: Tx, evaluated: SlaEvaluated[]): Promise<void> {
    await this.deps.jobs.addManyIn(trx, evaluated.filter((e) => e.nextChangeAt != null).map((e) => ({ kind: SLA_JOB, payload: { conversationId: e.conv.id }, runAt: e.nextChangeAt!, key: `sla:${e.conv.id}` })));
    await this.deps.jobs.cancelManyIn(trx, evaluated.filter((e) => e.nextChangeAt == null).map((e) => `sla:${e.conv.id}`));
  }

  /** Evaluate one conversation's clocks (pure apart from reading cached settings). */
  /**
   * `version`: the row's version once written, which the carried timeline is stamped with;
   * `carriedFold`: when `events` start with the carried timeline, the latest instant dropped from it;
   * `triageCorrected`: a person just corrected the conversation's triage, which then decides
   * alone whether the latest wait needs an answer (what the cycle needed before is forgotten).
   */
  private evaluate(conv: Conversation, account: ChannelAccount, settings: WorkflowSettings, events: SlaEvent[], now: number, version: number, parsed?: Partial<SlaMemo>, carriedFold?: number, triageCorrected = false): SlaEvaluated {
    const calendar: BusinessCalendar | null = this.deps.settings.calendarOf(account);
    // a stored policy is evaluated as far as it can be (an old or hand-edited row must not stop ingest)
    const sla = usableSlaPolicy(settings.sla);
    // the account's calendar whatever the policy says: a target may count business hours of its own (evaluateSla decides per target)
    const policy = { ...sla, calendar };
    const memo: SlaMemo = { announced: {}, clocks: [], ...(parsed ?? parseObject(conv.sla)) } as SlaMemo;
    // the triage is the row's (in ingest, the batch's own, computed before this step) and what the memo remembers: no query
    const triageNeeds = needsResponse(conv.triage_action);
    const neededInCycle = triageCorrected ? null : neededBefore(memo);
    const ev = evaluateSla(policy, { visibility: conv.visibility as Visibility, priority: conv.priority, events, needsResponse: triageNeeds, neededInCycle, withdrawnWaits: memo.w }, now);
    memo.r = ev.cycle >= 1 && (triageNeeds || neededInCycle === ev.cycle) ? ev.cycle : null;
    memo.w = ev.withdrawn.length ? [...new Set(ev.withdrawn.map((c) => c.startedAt))] : undefined;
    const current = [ev.firstResponse, ev.nextResponse, ev.resolution].filter((c): c is SlaClock => !!c);
    const timerKept = memo.timer !== undefined && memo.timer === ev.nextChangeAt;
    memo.timer = ev.nextChangeAt;
    const running = current.filter((c) => c.stoppedAt == null && c.state !== 'met');
    const responseClock = current.find((c) => c.metric !== 'resolution' && c.stoppedAt == null) ?? null;
    const dueAt = (responseClock ?? running[0])?.dueAt ?? null;
    const rank: Record<string, number> = { breached: 4, warning: 3, active: 2, paused: 1, met: 0 };
    const worst = running.length ? running.reduce((a, b) => (rank[b.state]! > rank[a.state]! ? b : a)).state : current.length ? 'met' : null;
    const transitions: { clock: SlaClock; to: string }[] = [];
    const legacy = typeof memo.h !== 'number';
    const settledUntil = legacy ? -Infinity : memo.h!;
    const announced: Record<string, string> = {};
    let h = settledUntil;
    for (const c of ev.history) {
      if (c.stoppedAt != null && c.stoppedAt > h) h = c.stoppedAt;
      const isCurrent = current.includes(c);
      if (!isCurrent && c.stoppedAt != null && c.stoppedAt <= settledUntil) continue; // over, and announced when it stopped
      const key = clockKey(c);
      const prev = memo.announced[key] ?? (legacy ? memo.announced[`${c.metric}:${c.cycle}`] : undefined);
      if (c.state !== prev && c.state !== 'active' && c.state !== 'paused' && prev !== 'met' && prev !== 'breached') {
        transitions.push({ clock: c, to: c.state });
        if (isCurrent) announced[key] = c.state;
      } else if (isCurrent && prev !== undefined) announced[key] = prev; // final: announced once
    }
    // a clock triage withdrew is settled once: what was announced of it is taken back, and its key
    // leaves the memo (brought back, it is announced afresh); stopped, it is settled like any other
    const withdrawn: SlaEvaluated['withdrawn'] = [];
    for (const w of ev.withdrawn) {
      if (w.stoppedAt != null && w.stoppedAt > h) h = w.stoppedAt;
      const was = memo.announced[clockKey(w)] ?? (legacy ? memo.announced[`${w.metric}:${w.cycle}`] : undefined);
      if (was !== undefined || memo.clocks.some((c) => c.metric === w.metric && c.cycle === w.cycle && c.startedAt === w.startedAt)) withdrawn.push({ clock: w, announced: was ?? null });
    }
    memo.announced = announced;
    memo.h = Number.isFinite(h) ? h : 0; // 0: nothing has stopped yet
    memo.clocks = current.map((c) => ({ metric: c.metric, cycle: c.cycle, state: c.state, dueAt: c.dueAt, warningAt: c.warningAt, targetMs: c.targetMs, businessHours: c.businessHours, startedAt: c.startedAt, stoppedAt: c.stoppedAt }));
    // when the desk first saw a conversation with backfilled messages (kept: the carried timeline has them where they count)
    const firstSaw = deskFirstSaw(events);
    if (firstSaw !== null) memo.vf = Math.min(memo.vf ?? firstSaw, firstSaw);
    // carried shortened: the clocks of the dropped events are over and were announced above
    const compacted = compactSlaTimeline(events, now);
    const e = encodeTimeline(compacted.events);
    const folded = Math.max(compacted.foldedUntil ?? -Infinity, carriedFold ?? -Infinity);
    memo.tl = e ? { v: version, e, ...(folded > -Infinity ? { f: folded } : {}) } : undefined;
    return { dueAt, worst, memo, transitions, nextChangeAt: ev.nextChangeAt, timerKept, conv, account, withdrawn };
  }

  /** Notifications (queued for publishing after commit) and facts for clock transitions; what a withdrawn clock had announced, taken back. */
  private async transitionsTx(trx: Tx, evaluated: SlaEvaluated[], now: number, seenOnNetwork?: Set<string>): Promise<Record<string, unknown>[]> {
    const facts: Record<string, unknown>[] = [];
    const tzs = new Map<number, string>();
    const answerers = await this.answerers(trx, evaluated, seenOnNetwork);
    for (const e of evaluated) {
      for (const w of e.withdrawn) await this.withdrawTx(trx, e, w, now);
      if (!e.transitions.length) continue;
      const conv = e.conv;
      if (!tzs.has(conv.brand_id)) tzs.set(conv.brand_id, (await trx.selectFrom('brand').select('timezone').where('id', '=', conv.brand_id).executeTakeFirst())?.timezone ?? 'UTC');
      const dims = { brandId: conv.brand_id, timezone: tzs.get(conv.brand_id)!, conversationId: conv.id, messageId: null, agentId: conv.assignee_id, teamId: conv.team_id, channelAccountId: conv.channel_account_id, network: conv.network, visibility: conv.visibility, priority: conv.priority, category: conv.category };
      for (const t of e.transitions) {
        if (t.to === 'met' || t.to === 'breached') {
          const at = t.to === 'met' ? t.clock.stoppedAt ?? now : t.clock.dueAt ?? now;
          // a response clock met is the answerer's; a breach (nobody answered in time) and the resolution clock are the assignee's
          const answerer = t.to === 'met' && t.clock.metric !== 'resolution' && t.clock.stoppedAt != null ? answerers.get(`${conv.id}:${t.clock.stoppedAt}`) : undefined;
          facts.push(factRow(answerer != null ? { ...dims, agentId: answerer } : dims, t.to === 'met' ? 'sla_met' : 'sla_breached', at, t.clock.startedAt, t.clock.stoppedAt ?? at, (a, b) => this.businessSeconds(e.account, a, b), { clock: t.clock.metric, cycle: t.clock.cycle, targetMs: t.clock.targetMs }) as Record<string, unknown>);
        }
        if (t.to === 'warning' || t.to === 'breached') await this.notifySla(trx, conv, t.clock, t.to, now, tzs.get(conv.brand_id)!);
      }
    }
    return facts;
  }

  /**
   * Who answered in time, for each response clock met in `evaluated` (`conversationId:stoppedAt`
   * → the author of the desk reply whose sending stopped it). A reply seen on the network (in
   * `seenOnNetwork`, or with no author) has no person at the desk: its clock stays the assignee's,
   * as its response facts are. One query, only when a clock was met by a reply sent from the desk.
   */
  private async answerers(trx: Tx, evaluated: SlaEvaluated[], seenOnNetwork?: Set<string>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const wanted = new Set<string>();
    const convIds = new Set<number>();
    let latest = -Infinity;
    for (const e of evaluated) {
      for (const t of e.transitions) {
        const at = t.clock.stoppedAt;
        if (t.to !== 'met' || t.clock.metric === 'resolution' || at == null) continue;
        const key = `${e.conv.id}:${at}`;
        if (seenOnNetwork?.has(key)) continue;
        wanted.add(key);
        convIds.add(e.conv.id);
        if (at > latest) latest = at;
      }
    }
    if (!wanted.size) return out;
    for (const part of inLists([...convIds])) {
      const rows = await trx
        .selectFrom('message')
        .leftJoin('outbox', 'outbox.message_id', 'message.id')
        .select(['message.conversation_id', 'message.author_user_id', 'message.created_at', 'outbox.sent_at'])
        .where('message.conversation_id', 'in', part)
        .where('message.direction', '=', 'outbound')
        .where('message.status', '=', 'sent')
        .where('message.is_auto', '=', 0)
        .where('message.author_user_id', 'is not', null)
        .where('message.created_at', '<=', latest)
        .execute();
      // the timeline's instant of a reply: when the outbox sent it (or when it was written, seen on the network)
      for (const r of rows) {
        const key = `${r.conversation_id}:${r.sent_at ?? r.created_at}`;
        if (wanted.has(key) && !out.has(key)) out.set(key, r.author_user_id!);
      }
    }
    return out;
  }

  /**
   * A clock that triage withdrew (a response clock, or the cycle's resolution clock) counts
   * neither way: its `sla_met` / `sla_breached` fact is retracted (from the facts and their
   * rollups), its unread warning and breach notices are marked read, and the audit trail says
   * so. Rare (a correction, or a batch that turns the conversation's triage), so the queries
   * here are not on the common ingest path.
   */
  private async withdrawTx(trx: Tx, e: SlaEvaluated, w: SlaEvaluated['withdrawn'][number], now: number): Promise<void> {
    const { clock: c, announced } = w;
    const conv = e.conv;
    if (announced === 'met' || announced === 'breached') {
      const at = announced === 'met' ? c.stoppedAt : c.dueAt;
      let q = trx.selectFrom('reporting_fact').selectAll().where('brand_id', '=', conv.brand_id).where('kind', '=', announced === 'met' ? 'sla_met' : 'sla_breached').where('conversation_id', '=', conv.id);
      if (at != null) q = q.where('occurred_at', '=', at);
      const rows = (await q.execute()).filter((f) => {
        const d = parseObject(f.data);
        return d.clock === c.metric && d.cycle === c.cycle;
      });
      if (rows.length) {
        await trx.deleteFrom('reporting_fact').where('id', 'in', rows.map((f) => f.id)).execute();
        await applyRollups(trx, this.deps.store, deltasOf(rows as Fact[], -1));
      }
    }
    const notices = (await trx.selectFrom('notification').select(['id', 'user_id', 'title']).where('conversation_id', '=', conv.id).where('kind', 'in', SLA_NOTICE_KINDS).where('read_at', 'is', null).where('created_at', '>=', c.startedAt).execute())
      .filter((n) => n.title.includes(clockWords(c.metric)));
    if (notices.length) {
      await trx.updateTable('notification').set({ read_at: now }).where('id', 'in', notices.map((n) => n.id)).execute();
      e.cleared ??= new Map();
      for (const n of notices) e.cleared.set(n.user_id, [...(e.cleared.get(n.user_id) ?? []), n.id]);
    }
    await audit(trx, { brandId: conv.brand_id, actor: 'system:sla', action: 'sla.withdrawn', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { clock: c.metric, cycle: c.cycle, startedAt: c.startedAt, announced, triageAction: conv.triage_action, noticesRead: notices.length } }, now);
  }

  /** Notifications waiting for their transaction to commit. */
  private readonly pendingNotices: { brandId: number; data: Record<string, unknown>; userIds: number[] }[] = [];

  private async notifySla(trx: Tx, conv: Conversation, c: SlaClock, state: 'warning' | 'breached', now: number, timezone: string) {
    const leads = conv.team_id != null ? (await trx.selectFrom('team_member').select('user_id').where('team_id', '=', conv.team_id).where('is_lead', '=', 1).execute()).map((r) => r.user_id) : [];
    let to = [...new Set([conv.assignee_id, ...leads].filter((x): x is number => x != null))];
    if (!to.length) {
      // nobody owns it yet: whoever leads the desk must know
      to = (await trx.selectFrom('app_user').select('id').where('brand_id', '=', conv.brand_id).where('role', 'in', ['approver', 'admin']).where('disabled_at', 'is', null).execute()).map((u) => u.id);
    }
    const what = clockWords(c.metric);
    const title = state === 'warning' ? `SLA warning: ${what} due ${c.dueAt != null ? localDueTime(c.dueAt, timezone, now) : 'soon'}` : `SLA breached: ${what}`;
    for (const userId of to) {
      await trx.insertInto('notification').values({ brand_id: conv.brand_id, user_id: userId, kind: `sla.${state}`, title, body: conv.subject, conversation_id: conv.id, created_at: now }).execute();
    }
    await audit(trx, { brandId: conv.brand_id, actor: 'system:sla', action: `sla.${state}`, subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { clock: c.metric, cycle: c.cycle, dueAt: c.dueAt } }, now);
    if (to.length) this.pendingNotices.push({ brandId: conv.brand_id, data: { kind: `sla.${state}`, conversationId: conv.id, title, body: conv.subject }, userIds: to });
  }

  /** Conversations' timelines as SLA events: messages, and status changes from the audit trail. */
  private async timelines(conversationIds: number[], db: Tx = this.deps.store.db): Promise<Map<number, SlaEvent[]>> {
    const out = new Map<number, SlaEvent[]>();
    const push = (id: number, e: SlaEvent) => {
      let l = out.get(id);
      if (!l) out.set(id, (l = []));
      l.push(e);
    };
    for (const part of inLists(conversationIds)) {
      const msgs = await db
        .selectFrom('message')
        .leftJoin('outbox', 'outbox.message_id', 'message.id')
        .select(['message.conversation_id', 'message.direction', 'message.created_at', 'message.received_at', 'message.status', 'message.is_auto', 'message.chaser', 'message.triage_action', 'message.source', 'outbox.sent_at'])
        // the stored triage only where it can say "closing only" (a monitor): thanks after a resolve reopen nothing
        .select((eb) => eb.case().when('message.triage_action', '=', 'monitor').then(eb.ref('message.triage')).else(null).end().as('monitor_triage'))
        .where('message.conversation_id', 'in', part)
        .execute();
      for (const m of msgs) {
        // received after it was written: a late delivery across a resolve counts from its receipt (countedTimeline)
        // an automatic one (an out-of-office, a bounce) reopens nothing either, as ingest decided
        // backfilled (fetched by a first sync from before the desk listened): counts from when the desk first saw the conversation (deskFirstSaw)
        const backfill = m.source === 'backfill';
        if (m.direction === 'inbound') push(m.conversation_id, { type: 'inbound', at: m.created_at, chaser: m.chaser === 1, ...(m.is_auto === 1 || (m.monitor_triage && closesConversation(readStoredTriage(m.monitor_triage) as never)) ? { reopens: false } : {}), ...(m.received_at > m.created_at || backfill ? { receivedAt: m.received_at } : {}), ...(backfill ? { backfill } : {}) });
        else if (m.status === 'sent') push(m.conversation_id, { type: 'outbound', at: m.sent_at ?? m.created_at, autoAck: m.is_auto === 1, ...(backfill ? { backfill, receivedAt: m.received_at } : {}) });
      }
      const statuses = await db.selectFrom('audit_event').select(['conversation_id', 'action', 'data', 'created_at']).where('conversation_id', 'in', part)
        .where('action', 'in', ['conversation.status', 'conversation.reply_removed', 'conversation.reply_restored']).orderBy('id').execute();
      // the wait a removal began, per conversation and reply, until the reply is shown again
      const removals = new Map<string, SlaEvent>();
      for (const st of statuses) {
        const data = parseObject(st.data);
        // the brand's reply that answered was removed on the network (src/pipeline/deletions.ts
        // `replyRemoved`): the customer waits again from then, as if they had written again; the
        // reply still met the clock it answered. Never a reopening of a resolved conversation.
        if (st.action === 'conversation.reply_removed') {
          if (data.needsResponse === true) {
            const e: SlaEvent = { type: 'inbound', at: st.created_at, reopens: false };
            push(st.conversation_id!, e);
            removals.set(`${st.conversation_id}:${String(data.messageId)}`, e);
          }
          continue;
        }
        // shown again and the answer again (`replyShown`): the wait its removal began never was
        if (st.action === 'conversation.reply_restored') {
          const key = `${st.conversation_id}:${String(data.messageId)}`;
          const e = removals.get(key);
          const l = out.get(st.conversation_id!);
          if (e && l) l.splice(l.indexOf(e), 1);
          removals.delete(key);
          continue;
        }
        const to = data.to as string | undefined;
        if (to === 'resolved' || to === 'open' || to === 'waiting' || to === 'new') push(st.conversation_id!, { type: 'status', at: st.created_at, status: to });
      }
    }
    for (const l of out.values()) l.sort((a, b) => a.at - b.at);
    return out;
  }

  /** A recurring safety net: re-evaluate clocks that are due (e.g. after downtime). */
  async sweepSla(limit = 500): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.store.db.selectFrom('conversation').select('id').where('sla_due_at', 'is not', null).where('sla_due_at', '<=', now).where('sla_state', 'in', ['active', 'warning']).limit(limit).execute();
    for (const d of due) await this.refreshSla(d.id);
    return due.length;
  }

  // ---------------------------------------------------------------- snooze

  /**
   * After a status change: a conversation snoozed (waiting, with a snooze time) gets its wake-up
   * job at that time, keyed per conversation so snoozing again moves it; any other status drops it.
   * (A job left behind finds nothing to wake: `wakeSnoozed` checks the row.)
   */
  async scheduleWake(conversationId: number): Promise<void> {
    const c = await this.deps.store.db.selectFrom('conversation').select(['status', 'snoozed_until']).where('id', '=', conversationId).executeTakeFirst();
    const key = `snooze:${conversationId}`;
    if (c?.status === 'waiting' && c.snoozed_until != null) await this.deps.jobs.add(SNOOZE_JOB, { conversationId }, { runAt: c.snoozed_until, key });
    else await this.deps.jobs.cancel(key);
  }

  /**
   * A snooze is over: the conversation is open again (snooze cleared, in the audit trail as the
   * system), its assignee is told, everyone sees it live, and its clocks and routing follow.
   * Only a conversation still waiting whose snooze has passed: a customer who wrote meanwhile
   * already reopened it (and cleared the snooze), and a snooze moved later waits for its time.
   */
  async wakeSnoozed(conversationId: number): Promise<boolean> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const woke = await store.db.transaction().execute(async (trx) => {
      const conv = await trx.selectFrom('conversation').selectAll().where('id', '=', conversationId).executeTakeFirst();
      if (!conv || conv.status !== 'waiting' || conv.snoozed_until == null) return null;
      if (conv.snoozed_until > now) {
        await this.deps.jobs.addManyIn(trx, [{ kind: SNOOZE_JOB, payload: { conversationId }, runAt: conv.snoozed_until, key: `snooze:${conversationId}` }]);
        return null;
      }
      const r = applyStatus(stateOf(conv), 'open', now);
      const done = await trx.updateTable('conversation').set({ ...stateColumns(r.state), updated_at: now, version: sql<number>`version + 1` })
        .where('id', '=', conv.id).where('status', '=', 'waiting').where('snoozed_until', '=', conv.snoozed_until).executeTakeFirst();
      if (!Number(done.numUpdatedRows)) return null;
      // woken by the sweep (or run twice): no wake-up left behind
      await this.deps.jobs.cancelManyIn(trx, [`snooze:${conversationId}`]);
      await audit(trx, { brandId: conv.brand_id, actor: 'system:snooze', action: 'conversation.status', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { from: 'waiting', to: 'open', snoozeUntil: conv.snoozed_until, reason: 'snooze_ended' } }, now);
      const title = 'Snooze over: a conversation is back in your inbox';
      if (conv.assignee_id != null) await trx.insertInto('notification').values({ brand_id: conv.brand_id, user_id: conv.assignee_id, kind: 'snooze.ended', title, body: conv.subject, conversation_id: conv.id, created_at: now }).execute();
      const row = await trx.selectFrom('conversation').selectAll().where('id', '=', conv.id).executeTakeFirstOrThrow();
      return { row, listed: await presentListedConversation(trx, row), title };
    });
    if (!woke) return false;
    const { row, listed, title } = woke;
    bus.publish(row.brand_id, 'conversation.updated', listed);
    if (row.assignee_id != null) bus.publish(row.brand_id, 'notification', { kind: 'snooze.ended', conversationId: row.id, title, body: row.subject }, { userIds: [row.assignee_id] });
    await this.refreshSla(row.id);
    if (row.assignee_id == null && row.team_id != null) await this.drain(row.brand_id);
    return true;
  }

  /** A recurring safety net: wake conversations whose snooze has passed (a job lost, or the desk was down). */
  async sweepSnoozes(limit = 500): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.store.db.selectFrom('conversation').select('id').where(sql<boolean>`snoozed_until IS NOT NULL`).where('snoozed_until', '<=', now).where('status', '=', 'waiting').limit(limit).execute();
    let n = 0;
    for (const d of due) if (await this.wakeSnoozed(d.id)) n++;
    return n;
  }

  // ---------------------------------------------------------------- out-of-hours acknowledgement

  /** The connector's word on private messages; one that cannot even be built leaves it to the outbox (which reports why). */
  private canMessagePrivately(account: ChannelAccount): boolean {
    try {
      return (this.deps.canMessagePrivately?.(account) ?? true) === true;
    } catch {
      return true;
    }
  }

  /** Whether any account of the brand acknowledges out of hours (cheap check before per-conversation work). */
  private anyAutoAck(brandId: number): Promise<boolean> {
    return this.deps.settings.anyAutoAck(brandId);
  }

  /**
   * When the account's desk is closed, tell the customer when help will be there — once per
   * closed period, only for a message that was written to us and needs an answer (never spam,
   * abuse, a bare thanks or "all sorted", a listening result that does not tag us, a moderated
   * message, a blocked or muted author, or one of the brand's own accounts), and never while a
   * person is on the conversation (an agent replied within `RECENT_AGENT_REPLY_MS`, or its
   * assignee is online).
   */
  async maybeAutoAck(conversationId: number): Promise<boolean> {
    const { store, clock, bus } = this.deps;
    const now = clock.now();
    const conv = await store.db.selectFrom('conversation').selectAll().where('id', '=', conversationId).executeTakeFirst();
    if (!conv || conv.status === 'resolved') return false;
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', conv.channel_account_id).executeTakeFirstOrThrow();
    const cfg = parseObject(account.settings).autoAck as { enabled?: boolean; visibility?: Visibility; signature?: string } | undefined;
    if (!cfg?.enabled || account.listen_only || account.status === 'disabled') return false;
    const calendar = this.deps.settings.calendarOf(account);
    if (!calendar || isOpen(calendar, now)) return false; // shouldAutoAck's first answer, before reading anything more
    // what just arrived, newest first (a batch may bring several messages of one conversation)
    const fresh = await store.db
      .selectFrom('message')
      .select(['id', 'created_at', 'visibility', 'network_message_id', 'author_identity_id', 'kind', 'text', 'triage_action', 'triage_category', 'triage', 'is_auto'])
      .where('conversation_id', '=', conv.id)
      .where('direction', '=', 'inbound')
      .where('created_at', '>=', now - AUTO_ACK_FRESH_MS)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(20)
      .execute();
    if (!fresh.length) return false; // only for what just arrived
    const moderation = await store.db
      .selectFrom('moderation_action')
      .select(['message_id', 'identity_id', 'action', 'id'])
      .where('brand_id', '=', conv.brand_id)
      .where('status', '=', 'done')
      .where((eb) => {
        const identities = [...new Set(fresh.map((m) => m.author_identity_id).filter((x): x is number => x != null))];
        const byMessage = eb('message_id', 'in', fresh.map((m) => m.id));
        return identities.length ? eb.or([byMessage, eb.and([eb('identity_id', 'in', identities), eb('action', 'in', AUTHOR_ACTIONS)])]) : byMessage;
      })
      .orderBy('id')
      .execute();
    // in order, so the latest of hide/unhide, block/unblock, restrict/unrestrict and mute/unmute wins
    const { hidden, deleted, blocked, muted, restricted } = moderationEffect(moderation);
    // the brand's own accounts on this network (a sister account tagging this one is not a customer)
    const ownAccounts = await store.db.selectFrom('channel_account').select(['handle', 'external_id']).where('brand_id', '=', conv.brand_id).where('network', '=', conv.network).execute();
    const ownIds = new Set(ownAccounts.map((a) => a.external_id).filter((x) => x));
    const ownHandles = new Set(ownAccounts.map((a) => a.handle.replace(/^[@＠]/, '').toLowerCase()).filter((x) => x));
    const authorIds = [...new Set(fresh.map((m) => m.author_identity_id).filter((x): x is number => x != null))];
    const authors = authorIds.length ? await store.db.selectFrom('contact_identity').select(['id', 'handle', 'network_user_id']).where('id', 'in', authorIds).execute() : [];
    const brandAuthors = new Set(authors.filter((i) => ownIds.has(i.network_user_id) || (i.handle != null && ownHandles.has(i.handle.replace(/^[@＠]/, '').toLowerCase()))).map((i) => i.id));
    const verdicts = fresh.map((m) => ({
      m,
      why: autoAckEligibility({
        kind: m.kind, visibility: m.visibility, text: m.text, triageAction: m.triage_action, triageCategory: m.triage_category,
        moderated: deleted.has(m.id) || hidden.get(m.id) === true, authorBlocked: m.author_identity_id != null && (blocked.get(m.author_identity_id) === true || muted.get(m.author_identity_id) === true || restricted.get(m.author_identity_id) === true),
        fromBrand: m.author_identity_id != null && brandAuthors.has(m.author_identity_id),
        closingOnly: m.is_auto === 1 || nothingToAnswer(readStoredTriage(m.triage) as never), // an auto-reply or bounce: answering it loops
      }, [account.handle]),
    }));
    // a hostile latest message vetoes the acknowledgement; otherwise answer the latest that needs one
    if (verdicts[0]!.why !== null && HOSTILE_REASONS.has(verdicts[0]!.why)) return false;
    const last = verdicts.find((v) => v.why === null)?.m;
    if (!last) return false;
    const prev = (await store.db.selectFrom('auto_ack').select('created_at').where('conversation_id', '=', conv.id).execute()).map((r) => r.created_at);
    const replied = await store.db
      .selectFrom('message')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('conversation_id', '=', conv.id)
      .where('direction', '=', 'outbound')
      .where('is_auto', '=', 0)
      .where('status', 'not in', ['failed', 'rejected'])
      .executeTakeFirst();
    const assignee = conv.assignee_id != null ? await store.db.selectFrom('app_user').select(['availability', 'disabled_at']).where('id', '=', conv.assignee_id).executeTakeFirst() : undefined;
    const decision = shouldAutoAck(calendar, now, prev, {
      skipIfOpensWithinMs: 10 * 60_000,
      lastAgentReplyAt: replied?.at == null ? null : Number(replied.at),
      assigneeAvailable: assignee?.availability === 'online' && assignee.disabled_at == null,
    });
    if (!decision.send || !calendar) return false;
    const ident = last.author_identity_id ? await store.db.selectFrom('contact_identity').select(['handle', 'display_name']).where('id', '=', last.author_identity_id).executeTakeFirst() : undefined;
    // a mass problem out of hours: the public statement of an open incident, sent from the very
    // account the customer wrote to (a sister account's post is not on this customer's timeline;
    // statements live in conversations of their own, conversation.incident_id; the latest sent wins)
    const statement = await store.db
      .selectFrom('incident')
      .innerJoin('conversation', 'conversation.incident_id', 'incident.id')
      .innerJoin('message', 'message.conversation_id', 'conversation.id')
      .select(['message.url'])
      .where('incident.brand_id', '=', conv.brand_id)
      .where('incident.status', '=', 'open')
      .where('conversation.contact_id', 'is', null)
      .where('message.kind', '=', 'post')
      .where('message.status', '=', 'sent')
      .where('message.network', '=', conv.network)
      .where('message.channel_account_id', '=', conv.channel_account_id)
      .orderBy('message.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const ack = autoAckText({ calendar, now, conversationId: String(conv.id), network: conv.network as Network, customer: { name: ident?.display_name ?? null, handle: ident?.handle ?? null }, signature: cfg.signature ?? null, statement: statement ? { url: statement.url } : null });
    const visibility: Visibility = cfg.visibility ?? (last.visibility as Visibility);
    // a private acknowledgement the account cannot send would only fail in the outbox and show
    // the team a failed message: nothing is sent (the customer hears from a person in hours)
    if (visibility === 'private' && !this.canMessagePrivately(account)) return false;
    const created = await store.db.transaction().execute(async (trx) => {
      const key = String(decision.nextOpeningAt ?? 'never');
      const ins = await trx.insertInto('auto_ack').values({ conversation_id: conv.id, period_key: key, message_id: null, created_at: now }).onConflict((oc) => oc.columns(['conversation_id', 'period_key']).doNothing()).returning('id').executeTakeFirst();
      if (!ins) return null; // another process acknowledged this period already
      const t = encodeText(ack.text);
      const msg = await trx.insertInto('message').values({
        brand_id: conv.brand_id, conversation_id: conv.id, channel_account_id: conv.channel_account_id, network: conv.network, network_message_id: null, direction: 'outbound', visibility,
        kind: visibility === 'private' ? 'dm' : 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: last.network_message_id, thread_root_network_id: null,
        reply_to_message_id: last.id, text: t.text, text_escaped: t.escaped, url: null, created_at: now, received_at: now, raw: null, status: 'queued', error: null, is_auto: 1, source: 'auto', idempotency_key: null,
      }).returningAll().executeTakeFirstOrThrow();
      await trx.updateTable('auto_ack').set({ message_id: msg.id }).where('id', '=', ins.id).execute();
      await enqueue(trx, msg, now);
      await audit(trx, { brandId: conv.brand_id, actor: 'system:auto_ack', action: 'auto_ack.queued', subjectType: 'message', subjectId: msg.id, conversationId: conv.id, data: { nextOpeningAt: decision.nextOpeningAt, variant: ack.variant } }, now);
      return msg;
    });
    if (!created) return false;
    bus.publish(conv.brand_id, 'message.created', presentMessage(created));
    this.deps.onQueued?.();
    return true;
  }
}
