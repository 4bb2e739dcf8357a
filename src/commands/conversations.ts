/**
 * Named commands on conversations: assign, change status, label, prioritise,
 * add an internal note, reply. Each runs in one transaction, writes the audit
 * trail, and publishes live events after commit. Routes call these; so do the
 * CLI and jobs.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { applyStatus } from '../core/conversationState.js';
import type { HandlingTime } from '../core/staffing/handlingTime.js';
import type { ConversationStatus, Visibility } from '../core/types.js';
import { badRequest, conflict, disabledAccount, forbidden, isUniqueViolation, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { refuseGoneTarget } from '../outbox/deletedPost.js';
import { enqueue } from '../outbox/outbox.js';
import { stateColumns, stateOf } from '../pipeline/ingest.js';
import { presentIdentity, presentMessage, presentNote, type AuthorJson } from '../server/presenters.js';
import { audit } from '../store/audit.js';
import { presentListedConversation } from '../store/queries.js';
import type { Store } from '../store/db.js';
import { businessFor, factRow, handlingFactRow, type BusinessSeconds, type FactDimensions } from '../store/facts.js';
import { writeFacts } from '../store/rollup.js';
import type { Conversation, MessageRow } from '../store/schema.js';
import { decodeText, encodeText } from '../store/text.js';
import { measureReplyHandling } from '../store/viewing.js';
import { lockKey, type Tx } from '../store/util.js';
import type { Actor } from './context.js';
import { mayQuote, quotableBeforeWriting, recordDraftQuotes, recordNoteQuotes, type Quotable } from './expertQuotes.js';
import { recordAnswered, recordDismissed } from './triage.js';

export interface CommandDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  /** Wake the outbox when a reply is queued. */
  onQueued?: () => void;
  /** Hooks for the care workflow (routing, SLA, approval): see src/workflow. */
  hooks?: ConversationHooks;
  /** Business-hours seconds on an account's calendar, for the facts status changes write. */
  businessSeconds?: BusinessSeconds;
}

export interface ReplyCheckNote {
  code: string;
  severity: string;
  message: string;
  detail?: string;
  suggestion?: string;
  data?: Record<string, unknown>;
}

export interface ReplyDecision {
  /** `queued` sends now; `pending_approval` waits for an approver. */
  status: 'queued' | 'pending_approval';
  reasons?: { code: string; message: string }[];
  /** Reply-check warnings and hints that did not block the reply. */
  checks?: ReplyCheckNote[];
}

export interface ConversationHooks {
  /** Before a reply is stored: reply checks (throw AppError to refuse) and approval policy. */
  beforeReply?(trx: Tx, ctx: { actor: Actor; conversation: Conversation; text: string; visibility: Visibility; now: number }): Promise<ReplyDecision>;
  /** After any change that may move SLA clocks or routing. */
  afterChange?(brandId: number, conversationId: number, what: 'assigned' | 'status' | 'reply' | 'note' | 'priority' | 'labels'): Promise<void> | void;
}

async function loadConversation(trx: Tx, actor: Actor, id: number): Promise<Conversation> {
  const c = await trx.selectFrom('conversation').selectAll().where('id', '=', id).where('brand_id', '=', actor.brandId).executeTakeFirst();
  if (!c) throw notFound('conversation');
  return c;
}

function assertCanWork(actor: Actor) {
  if (actor.role === 'expert') throw forbidden('experts answer the questions they are asked; they do not work the inbox');
}

async function bump(trx: Tx, id: number, patch: Record<string, unknown>, now: number) {
  await trx.updateTable('conversation').set({ ...patch, updated_at: now, version: sql<number>`version + 1` } as any).where('id', '=', id).execute();
  return trx.selectFrom('conversation').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/**
 * The answer to a reply whose idempotency key was used before: the same reply (a retry, a
 * double click) is the stored one, marked duplicate. A key reused for another conversation,
 * or for other text (before any approver edited it), is a client's mistake that would
 * otherwise drop the new reply without a word: 409 `reply.key_reused`.
 */
function sameReply(prior: MessageRow, conversationId: number, text: string) {
  const differs = prior.conversation_id !== conversationId
    ? `conversation ${prior.conversation_id}`
    : prior.reviewed_by == null && decodeText(prior.text, prior.text_escaped) !== text ? 'another text' : null;
  if (differs) throw conflict('reply.key_reused', `this idempotencyKey was already used for a reply in ${differs}: a new reply needs a new key`, { messageId: prior.id });
  return duplicateOf(prior);
}

/** The answer to a request that is a reply already stored: that reply, marked duplicate (HTTP 200), never a second send. */
function duplicateOf(prior: MessageRow) {
  return { message: presentMessage(prior), duplicate: true as const, approval: null, checks: [] as ReplyCheckNote[] };
}

/**
 * How long a reply sent without an idempotencyKey stays the same reply: the same author sending
 * the same text (ignoring surrounding whitespace and line-ending style) with the same visibility
 * and replyToMessageId in the same conversation within this window gets the first reply back
 * (`duplicate`), never a second send. An API client that retries a timed-out request without a
 * key would otherwise post twice to a customer; a reply meant to say the same again sooner
 * needs a key of its own.
 */
export const KEYLESS_REPLY_WINDOW_MS = 10 * 60_000;

/** `lockKey`'s scope serializing identical keyless replies. */
const KEYLESS_REPLY_LOCK = 6;

interface KeylessReply {
  /** What makes two keyless requests the same reply (author, conversation, visibility, target, text). */
  stem: string;
  /** The key this reply is stored under: the stem and its window-long time bucket. */
  key: string;
  /** The keys an identical reply within the window can have: this bucket's and its neighbours'. */
  candidates: string[];
}

/**
 * A keyless reply's derived idempotency key, `auto:<userId>:<hash>:<bucket>`. The bucket is
 * KEYLESS_REPLY_WINDOW_MS long, so a reply within the window has this bucket's key or the
 * previous one's (a retry a second after a bucket boundary still finds it), or, when two
 * identical requests run at once either side of a boundary and the later-stamped one stored
 * first, the next one's. The lock `writeReply` takes on the stem makes them take turns (and the
 * unique index on the key backs it): two identical requests at once are one reply.
 */
function keylessReply(userId: number, conversationId: number, p: { text: string; visibility: Visibility; replyToMessageId?: number | null }, now: number): KeylessReply {
  const text = p.text.replace(/\r\n?/g, '\n').trim();
  const hash = createHash('sha256').update(JSON.stringify([conversationId, p.visibility, p.replyToMessageId ?? null, text])).digest('base64url').slice(0, 32);
  const stem = `auto:${userId}:${hash}`;
  const bucket = Math.floor(now / KEYLESS_REPLY_WINDOW_MS);
  return { stem, key: `${stem}:${bucket}`, candidates: [bucket, bucket - 1, bucket + 1].map((b) => `${stem}:${b}`) };
}

/** The reply a keyless request repeats: an identical one stored within the window (or stamped just after `now`, by a request running at once), if any. */
function priorKeyless(db: Tx | Store['db'], brandId: number, k: KeylessReply, now: number): Promise<MessageRow | undefined> {
  return db
    .selectFrom('message')
    .selectAll()
    .where('brand_id', '=', brandId)
    .where('idempotency_key', 'in', k.candidates)
    .where('created_at', '>', now - KEYLESS_REPLY_WINDOW_MS)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Work that ends with a conversation's resolution, inside the resolving transaction (its
 * open questions to experts are cancelled: src/workflow/commands.ts). What it returns runs
 * after the commit (its live events).
 */
export type ResolveListener = (trx: Tx, ctx: { actor: Actor; conversationId: number; now: number }) => Promise<(() => Promise<void> | void) | void>;

/**
 * Work one reply brings with it (`reply`'s `p.withReply`), in the transaction that stores it:
 * after its message row, before it is queued for sending. What it records exists whenever the
 * reply does, and a failure stores and sends nothing (the consent question: src/commands/contacts.ts).
 */
export type WithReply = (trx: Tx, ctx: { message: MessageRow; conversation: Conversation; now: number }) => Promise<void>;

/**
 * Work every reply held for sign-off brings with it, in the transaction that stores it (its
 * approvers are told: src/workflow/commands.ts), so a held reply is never stored without it.
 * `prepare` reads before the write transaction (a few indexed rows, for each reply a person
 * writes); what it returns is handed to `write`. What `write` returns runs after the commit.
 */
export interface HeldReplyListener {
  prepare(db: Tx, ctx: { actor: Actor; conversationId: number }): Promise<unknown>;
  write(trx: Tx, ctx: { actor: Actor; conversation: Conversation; message: MessageRow; now: number }, prepared: unknown): Promise<(() => void) | void>;
}

export class ConversationCommands {
  /** Registered by the commands that keep records tied to an unresolved conversation. */
  private readonly resolveListeners: ResolveListener[] = [];

  constructor(private readonly deps: CommandDeps) {}

  /** Run `l` in the transaction of every resolution (a conversation becoming `resolved`; a reopening does not undo it). */
  onResolved(l: ResolveListener): void {
    this.resolveListeners.push(l);
  }

  /** Registered by the commands that must accompany every reply held for sign-off (`HeldReplyListener`). */
  private readonly heldListeners: HeldReplyListener[] = [];

  /** Run `l` in the transaction that stores each reply held for sign-off. */
  onHeld(l: HeldReplyListener): void {
    this.heldListeners.push(l);
  }

  /** Publish a changed conversation with its contact summary (a row that arrives or moves live shows its customer); returns what was published. */
  private async publishConversation(c: Conversation, extra: { labels?: string[] } = {}) {
    const presented = await presentListedConversation(this.deps.store.db, c, extra);
    this.deps.bus.publish(c.brand_id, 'conversation.updated', presented);
    return presented;
  }

  /** Assign to an agent and/or a team; null clears. Agents must belong to the brand and be active. */
  async assign(actor: Actor, id: number, p: { assigneeId?: number | null; teamId?: number | null }) {
    assertCanWork(actor);
    const { store, clock } = this.deps;
    const now = clock.now();
    const c = await store.db.transaction().execute(async (trx) => {
      const conv = await loadConversation(trx, actor, id);
      const patch: Record<string, unknown> = {};
      if (p.assigneeId !== undefined) {
        if (p.assigneeId !== null) {
          const u = await trx.selectFrom('app_user').select(['id', 'role', 'disabled_at']).where('id', '=', p.assigneeId).where('brand_id', '=', actor.brandId).executeTakeFirst();
          if (!u || u.disabled_at) throw badRequest('assign.unknown_user', 'no active user with that id in this brand');
          if (u.role === 'expert') throw badRequest('assign.expert', 'experts are asked questions, not assigned conversations');
        }
        patch.assignee_id = p.assigneeId;
        // handed back to the queue: it waits there from when its customer began waiting (not at the
        // back, and counted in the queue's oldest wait); taken by someone, it leaves the queue
        if (p.assigneeId === null && conv.assignee_id != null && conv.status !== 'resolved') patch.queued_at = Math.min(conv.waiting_since ?? now, now);
        if (p.assigneeId !== null) patch.queued_at = null;
      }
      if (p.teamId !== undefined) {
        if (p.teamId !== null) {
          const t = await trx.selectFrom('team').select('id').where('id', '=', p.teamId).where('brand_id', '=', actor.brandId).executeTakeFirst();
          if (!t) throw badRequest('assign.unknown_team', 'no team with that id in this brand');
        }
        patch.team_id = p.teamId;
      }
      if (!Object.keys(patch).length) throw badRequest('validation', 'give assigneeId and/or teamId');
      const updated = await bump(trx, conv.id, patch, now);
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'conversation.assigned', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { from: { assigneeId: conv.assignee_id, teamId: conv.team_id }, to: { assigneeId: updated.assignee_id, teamId: updated.team_id } } }, now);
      return { ...updated, before: conv.assignee_id };
    });
    const { before, ...conv } = c;
    const presented = await this.publishConversation(conv);
    // handed to someone by someone else: they are told, as routing tells them (not the one who took it)
    if (conv.assignee_id != null && conv.assignee_id !== before && conv.assignee_id !== actor.userId) {
      this.deps.bus.publish(actor.brandId, 'notification', { kind: 'assigned', conversationId: conv.id, title: 'Conversation assigned to you', body: conv.subject }, { userIds: [conv.assignee_id] });
    }
    await this.deps.hooks?.afterChange?.(actor.brandId, conv.id, 'assigned');
    return presented;
  }

  /** Change status; `waiting` may carry a snooze time; resolving writes a resolution fact. */
  async setStatus(actor: Actor, id: number, status: ConversationStatus, snoozeUntil: number | null = null) {
    assertCanWork(actor);
    const { store, clock } = this.deps;
    const now = clock.now();
    if (snoozeUntil !== null && status !== 'waiting') throw badRequest('status.snooze_needs_waiting', 'a snooze time goes with status "waiting"');
    if (snoozeUntil !== null && snoozeUntil <= now) throw badRequest('status.snooze_in_past', 'the snooze time must be in the future');
    const afterCommit: (() => Promise<void> | void)[] = [];
    const c = await store.db.transaction().execute(async (trx) => {
      const conv = await loadConversation(trx, actor, id);
      const r = applyStatus(stateOf(conv), status, now, snoozeUntil);
      if (status === 'resolved' && conv.status !== 'resolved') {
        await recordDismissed(trx, actor.brandId, conv.id, actor.userId, conv.cycle_started_at, now);
        for (const l of this.resolveListeners) {
          const after = await l(trx, { actor, conversationId: conv.id, now });
          if (after) afterCommit.push(after);
        }
      }
      const updated = await bump(trx, conv.id, stateColumns(r.state), now);
      if (r.facts.length) {
        const dims = await factDims(trx, conv, { agentId: updated.assignee_id, teamId: updated.team_id });
        const biz = await businessFor(trx, this.deps.businessSeconds, conv.channel_account_id);
        await writeFacts(trx, this.deps.store, r.facts.map((f) => factRow(dims, f.kind, f.occurredAt, f.from, f.to, biz)));
      }
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'conversation.status', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { from: conv.status, to: status, snoozeUntil } }, now);
      return updated;
    });
    for (const after of afterCommit) await after();
    const presented = await this.publishConversation(c);
    await this.deps.hooks?.afterChange?.(actor.brandId, c.id, 'status');
    return presented;
  }

  async setPriority(actor: Actor, id: number, priority: number) {
    assertCanWork(actor);
    if (!Number.isInteger(priority) || priority < 0 || priority > 100) throw badRequest('validation', 'priority is an integer from 0 to 100');
    const { store, clock } = this.deps;
    const now = clock.now();
    const c = await store.db.transaction().execute(async (trx) => {
      const conv = await loadConversation(trx, actor, id);
      const updated = await bump(trx, conv.id, { priority }, now);
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'conversation.priority', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { from: conv.priority, to: priority } }, now);
      return updated;
    });
    const presented = await this.publishConversation(c);
    await this.deps.hooks?.afterChange?.(actor.brandId, c.id, 'priority');
    return presented;
  }

  async setLabels(actor: Actor, id: number, p: { add?: string[]; remove?: string[] }) {
    assertCanWork(actor);
    const clean = (xs: string[] | undefined) => [...new Set((xs ?? []).map((x) => x.trim().toLowerCase()).filter(Boolean))];
    const add = clean(p.add);
    const remove = clean(p.remove);
    for (const l of add) if (l.length > 64 || !/^[\p{L}\p{N}][\p{L}\p{N} _.:/-]*$/u.test(l)) throw badRequest('label.invalid', `label "${l.slice(0, 70)}" must be letters, digits, spaces or _.:/- and at most 64 characters`);
    const { store, clock } = this.deps;
    const now = clock.now();
    const { conv, labels } = await store.db.transaction().execute(async (trx) => {
      const conv = await loadConversation(trx, actor, id);
      for (const l of add) await trx.insertInto('conversation_label').values({ conversation_id: conv.id, label: l }).onConflict((oc) => oc.columns(['conversation_id', 'label']).doNothing()).execute();
      if (remove.length) await trx.deleteFrom('conversation_label').where('conversation_id', '=', conv.id).where('label', 'in', remove).execute();
      const updated = await bump(trx, conv.id, {}, now);
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'conversation.labels', subjectType: 'conversation', subjectId: conv.id, conversationId: conv.id, data: { add, remove } }, now);
      const labels = (await trx.selectFrom('conversation_label').select('label').where('conversation_id', '=', conv.id).orderBy('label').execute()).map((r) => r.label);
      return { conv: updated, labels };
    });
    const presented = await this.publishConversation(conv, { labels });
    await this.deps.hooks?.afterChange?.(actor.brandId, conv.id, 'labels');
    return presented;
  }

  /** An internal note: never leaves Parley (notes have their own table; the outbox cannot see them). */
  /** `elsewhere`: what the note may quote of other conversations, when the caller already read it (`quotableBeforeWriting`). */
  async addNote(actor: Actor, id: number, text: string, opts: { elsewhere?: Quotable[] } = {}) {
    if (actor.userId == null) throw forbidden('notes are written by people');
    const body = text.trim();
    if (!body) throw badRequest('note.empty', 'a note needs some text');
    if (body.length > 20_000) throw badRequest('note.too_long', 'notes are limited to 20,000 characters');
    const { store, clock } = this.deps;
    const now = clock.now();
    // what it may quote of other conversations, read before the write lock is taken (each statement takes its turn with ingest)
    const elsewhere = opts.elsewhere ?? await quotableBeforeWriting(store.db, actor.brandId, body);
    const note = await store.db.transaction().execute(async (trx) => {
      const conv = await loadConversation(trx, actor, id);
      if (actor.role === 'expert') {
        // experts write only into conversations they were asked about
        const teams = (await trx.selectFrom('team_member').select('team_id').where('user_id', '=', actor.userId!).execute()).map((t) => t.team_id);
        const asked = await trx
          .selectFrom('expert_request')
          .select('id')
          .where('conversation_id', '=', conv.id)
          .where((eb) => eb.or([eb('expert_id', '=', actor.userId!), ...(teams.length ? [eb('team_id', 'in', teams)] : [])]))
          .executeTakeFirst();
        if (!asked) throw forbidden('experts can only answer conversations they were asked about');
      }
      const mentions = await resolveMentions(trx, actor.brandId, body);
      const n = await trx
        .insertInto('note')
        .values({ brand_id: actor.brandId, conversation_id: conv.id, author_user_id: actor.userId!, text: encodeText(body).text, mentions: JSON.stringify(mentions), created_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      // the passages of the customers' messages it quotes, by keyed hash: an erasure finds them after a redaction
      await recordNoteQuotes(trx, { brandId: actor.brandId, conversationId: conv.id, noteId: Number(n.id), text: body, now, elsewhere });
      await bump(trx, conv.id, {}, now);
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'note.added', subjectType: 'note', subjectId: n.id, conversationId: conv.id, data: { mentions } }, now);
      for (const uid of mentions) {
        if (uid === actor.userId) continue;
        await trx.insertInto('notification').values({ brand_id: actor.brandId, user_id: uid, kind: 'note.mention', title: 'You were mentioned in a note', body: body.slice(0, 200), conversation_id: conv.id, created_at: now }).execute();
      }
      return n;
    });
    const presented = presentNote(note);
    this.deps.bus.publish(actor.brandId, 'note.created', presented);
    const mentioned = JSON.parse(note.mentions) as number[];
    if (mentioned.length) this.deps.bus.publish(actor.brandId, 'notification', { kind: 'note.mention', conversationId: note.conversation_id, noteId: note.id }, { userIds: mentioned });
    await this.deps.hooks?.afterChange?.(actor.brandId, note.conversation_id, 'note');
    return presented;
  }

  /**
   * Write a reply. It goes to the outbox (or waits for approval when policy says
   * so). `lastSeenMessageId` guards against collisions: if someone else wrote in
   * the conversation after the agent last looked, the reply is refused with the
   * new messages unless `confirm` is set. A reply is sent at most once: the same
   * `idempotencyKey` is the same reply, and without one the same request within
   * KEYLESS_REPLY_WINDOW_MS is (see there); either way a repeat answers with the
   * first reply, marked `duplicate`.
   */
  async reply(actor: Actor, id: number, p: { text: string; visibility: Visibility; replyToMessageId?: number | null; idempotencyKey?: string | null; lastSeenMessageId?: number | null; confirm?: boolean; withReply?: WithReply }) {
    assertCanWork(actor);
    if (actor.userId == null) throw forbidden('replies are written by people or by the auto-acknowledgement job');
    const { store, clock } = this.deps;
    const now = clock.now();
    if (!p.text.trim()) throw badRequest('reply.empty', 'a reply needs some text');
    if (p.idempotencyKey != null && !/^[\w.:-]{8,128}$/.test(p.idempotencyKey)) throw badRequest('validation', 'idempotencyKey: 8 to 128 letters, digits or _.:-');
    const idem = p.idempotencyKey ? `client:${actor.userId}:${p.idempotencyKey}` : null;
    const keyless = idem ? null : keylessReply(actor.userId, id, p, now);
    const prior = async () => (idem
      ? await store.db.selectFrom('message').selectAll().where('brand_id', '=', actor.brandId).where('idempotency_key', '=', idem).executeTakeFirst()
      : await priorKeyless(store.db, actor.brandId, keyless!, now));
    const answer = (m: MessageRow) => (idem ? sameReply(m, id, p.text) : duplicateOf(m));

    // a keyless repeat is found inside writeReply's transaction, under the lock that makes it race-free
    if (idem) {
      const first = await prior();
      if (first) return answer(first);
    }

    // a draft held for sign-off records what it quotes: what that may be of other conversations is read before the write lock is taken
    const elsewhere = await this.draftQuotableBeforeWriting(actor, id, p, now);
    // what the work of a held reply reads (who to tell), before the write lock is taken
    const prepared = new Map<HeldReplyListener, unknown>();
    for (const l of this.heldListeners) prepared.set(l, await l.prepare(store.db, { actor, conversationId: id }));
    let result;
    try {
      result = await this.writeReply(actor, id, p, idem ?? keyless!.key, now, keyless, elsewhere, prepared);
    } catch (err) {
      // Two identical requests raced past the check above: the unique index let one win; answer the other with it.
      if (isUniqueViolation(err)) {
        const first = await prior();
        if (first) return answer(first);
      }
      throw err;
    }
    if (result.repeats) return duplicateOf(result.repeats);
    const conv = await presentListedConversation(store.db, result.conv);
    this.deps.bus.publish(actor.brandId, 'message.created', presentMessage(result.msg));
    this.deps.bus.publish(actor.brandId, 'conversation.updated', conv);
    for (const after of result.afterCommit) after();
    if (result.outbox) this.deps.onQueued?.();
    await this.deps.hooks?.afterChange?.(actor.brandId, result.conv.id, 'reply');
    return { message: presentMessage(result.msg), duplicate: false as const, approval: result.decision.status === 'pending_approval' ? { reasons: result.decision.reasons ?? [] } : null, checks: result.decision.checks ?? [] };
  }

  /**
   * What a reply may quote of other conversations (`quotableBeforeWriting`), read before its write
   * transaction when the policy holds it for sign-off as things stand (`beforeReply` asked outside
   * the transaction: its reads only, a few indexed rows), as a note's is: on SQLite that
   * transaction holds the one write lock. A reply sent at once records no quotes: nothing is looked
   * up for it. The transaction decides again; a draft held there without this (the policy or the
   * conversation changed in between) looks up inside it, as before. What is read here is right for
   * the text the transaction writes: the same text, on the same brand.
   */
  private async draftQuotableBeforeWriting(actor: Actor, id: number, p: { text: string; visibility: Visibility }, now: number): Promise<Quotable[] | undefined> {
    const { store, hooks } = this.deps;
    if (!hooks?.beforeReply || !mayQuote(p.text)) return undefined;
    try {
      const conversation = await loadConversation(store.db, actor, id);
      if ((await hooks.beforeReply(store.db, { actor, conversation, text: p.text, visibility: p.visibility, now })).status !== 'pending_approval') return undefined;
    } catch {
      // refused: the transaction refuses it again, with its reason (or finds a keyless repeat first)
      return undefined;
    }
    return quotableBeforeWriting(store.db, actor.brandId, p.text);
  }

  /** Store a reply; for a keyless one that repeats a reply within the window, that reply (`repeats`) and nothing written. */
  private writeReply(actor: Actor, id: number, p: { text: string; visibility: Visibility; replyToMessageId?: number | null; lastSeenMessageId?: number | null; confirm?: boolean; withReply?: WithReply }, idem: string, now: number, keyless: KeylessReply | null, elsewhere?: Quotable[], prepared = new Map<HeldReplyListener, unknown>()) {
    const { store } = this.deps;
    return store.db.transaction().execute(async (trx) => {
      if (keyless) {
        // First in the transaction (holding no other lock, so it cannot deadlock): an identical
        // request running now waits here until this one commits, then finds its reply. SQLite's
        // write transactions are serial already. Without it, two requests either side of a bucket
        // boundary would store under two keys and both send.
        await lockKey(trx, store, KEYLESS_REPLY_LOCK, `${actor.brandId}:${keyless.stem}`);
        const repeats = await priorKeyless(trx, actor.brandId, keyless, now);
        if (repeats) return { repeats };
      }
      const conv = await loadConversation(trx, actor, id);
      const account = await trx.selectFrom('channel_account').select(['handle', 'listen_only', 'status']).where('id', '=', conv.channel_account_id).executeTakeFirst();
      if (account?.listen_only) {
        throw conflict('channel.listen_only', `@${account.handle} is in listen-only mode: Parley never sends from it (an admin can change this in Settings → Channels)`);
      }
      if (account?.status === 'disabled') throw disabledAccount(account.handle);
      if (p.lastSeenMessageId != null && !p.confirm) {
        const newer = await trx
          .selectFrom('message')
          .selectAll()
          .where('conversation_id', '=', conv.id)
          .where('id', '>', p.lastSeenMessageId)
          .where((eb) => eb.or([eb('author_user_id', 'is', null), eb('author_user_id', '!=', actor.userId!)]))
          .orderBy('id')
          .limit(20)
          .execute();
        if (newer.length) {
          // with their authors, as the conversation shows them: the agent sees who wrote (the customer, a colleague, the brand)
          const identityIds = [...new Set(newer.map((m) => m.author_identity_id).filter((x): x is number => x != null))];
          const authors = new Map<number, AuthorJson>();
          if (identityIds.length) for (const i of await trx.selectFrom('contact_identity').selectAll().where('id', 'in', identityIds).execute()) authors.set(i.id, presentIdentity(i));
          const newMessages = newer.map((m) => presentMessage(m, m.author_identity_id != null ? authors.get(m.author_identity_id) ?? null : null));
          throw conflict('reply.conflict', `${newer.length} new message(s) arrived in this conversation since you opened it; read them, then send again to confirm`, { newMessages });
        }
      }
      let replyTo: MessageRow | undefined;
      if (p.replyToMessageId != null) {
        replyTo = await trx.selectFrom('message').selectAll().where('id', '=', p.replyToMessageId).where('conversation_id', '=', conv.id).executeTakeFirst();
        if (!replyTo) throw badRequest('reply.unknown_parent', 'replyToMessageId is not a message of this conversation');
      } else {
        replyTo = await trx
          .selectFrom('message')
          .selectAll()
          .where('conversation_id', '=', conv.id)
          .where('direction', '=', 'inbound')
          .where('visibility', '=', p.visibility)
          // the customer's latest own message, not an out-of-office or a bounce after it (an
          // email reply to a mail system reaches nobody)
          .orderBy('is_auto')
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
      }
      // a post deleted on the network gets no public reply (409, not a send that fails at the network)
      // nor any reply to an erased customer (their identity is gone, their handle reads "@erased")
      await refuseGoneTarget(trx, { visibility: p.visibility, conversationId: conv.id, replyToMessageId: replyTo?.id ?? null });
      const decision: ReplyDecision = this.deps.hooks?.beforeReply
        ? await this.deps.hooks.beforeReply(trx, { actor, conversation: conv, text: p.text, visibility: p.visibility, now })
        : { status: 'queued' };
      // the author's working time on this reply (measured before the reply joins the conversation)
      const handling: HandlingTime = actor.name.startsWith('token:')
        ? { measured: false, reason: 'integration' }
        : await measureReplyHandling(trx, { userId: actor.userId!, conversationId: conv.id, at: now, waitingSince: conv.waiting_since });
      const t = encodeText(p.text);
      const msg = await trx
        .insertInto('message')
        .values({
          brand_id: actor.brandId, conversation_id: conv.id, channel_account_id: conv.channel_account_id, network: conv.network, network_message_id: null,
          direction: 'outbound', visibility: p.visibility, kind: p.visibility === 'private' ? 'dm' : 'reply', author_identity_id: null, author_user_id: actor.userId,
          in_reply_to_network_id: replyTo?.network_message_id ?? null, thread_root_network_id: replyTo?.thread_root_network_id ?? null, reply_to_message_id: replyTo?.id ?? null,
          text: t.text, text_escaped: t.escaped, url: null, created_at: now, received_at: now, raw: null, status: decision.status, error: null, is_auto: 0, source: 'agent',
          idempotency_key: idem, approval_reasons: decision.status === 'pending_approval' ? JSON.stringify(decision.reasons ?? []) : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      // a draft waiting for sign-off: the passages of customers' messages it quotes, by keyed hash
      // (an erasure of their author rewrites them before anyone approves it, after a redaction too)
      if (decision.status === 'pending_approval') await recordDraftQuotes(trx, { brandId: actor.brandId, conversationId: conv.id, messageId: Number(msg.id), text: p.text, now, elsewhere });
      // what this reply and every held one bring with them, stored with it or not at all (before it is queued)
      if (p.withReply) await p.withReply(trx, { message: msg, conversation: conv, now });
      const afterCommit: (() => void)[] = [];
      if (decision.status === 'pending_approval') {
        for (const l of this.heldListeners) {
          const after = await l.write(trx, { actor, conversation: conv, message: msg, now }, prepared.get(l));
          if (after) afterCommit.push(after);
        }
      }
      let outbox: { id: number; idempotencyKey: string } | null = null;
      if (decision.status === 'queued') outbox = await enqueue(trx, msg, now);
      await recordAnswered(trx, actor.brandId, conv.id, actor.userId, conv.waiting_since, now);
      const updated = await bump(trx, conv.id, conv.status === 'new' ? { status: 'open' } : {}, now);
      // after the conversation's row lock, as every writer of facts takes them (the outbox marking a
      // reply sent, ingest): the rollups' lock taken first here deadlocked with them on PostgreSQL
      await this.writeHandlingFact(trx, actor, conv, msg, handling, now);
      await audit(trx, {
        brandId: actor.brandId, actor: actor.name, action: decision.status === 'queued' ? 'reply.queued' : 'reply.pending_approval', subjectType: 'message', subjectId: msg.id, conversationId: conv.id,
        data: { visibility: p.visibility, reasons: decision.reasons ?? [] },
      }, now);
      return { msg, conv: updated, outbox, decision, afterCommit };
    });
  }

  /**
   * A `handling` fact for a reply written at a desk: its author's working time on it
   * (null with the reason when unmeasured), for the measured AHT of staffing.
   */
  private async writeHandlingFact(trx: Tx, actor: Actor, conv: Conversation, msg: MessageRow, handling: HandlingTime, now: number) {
    const dims = await factDims(trx, conv, { messageId: msg.id, agentId: actor.userId, visibility: msg.visibility });
    await writeFacts(trx, this.deps.store, [handlingFactRow(dims, now, handling)]);
  }
}

/** A conversation's reporting dimensions in its brand's time zone; `over` names the agent, message, visibility… of the fact. */
async function factDims(trx: Tx, conv: Conversation, over: Partial<FactDimensions>): Promise<FactDimensions> {
  const tz = (await trx.selectFrom('brand').select('timezone').where('id', '=', conv.brand_id).executeTakeFirst())?.timezone ?? 'UTC';
  return {
    brandId: conv.brand_id, timezone: tz, conversationId: conv.id, messageId: null, agentId: conv.assignee_id, teamId: conv.team_id, channelAccountId: conv.channel_account_id,
    network: conv.network, visibility: conv.visibility, priority: conv.priority, category: conv.category, ...over,
  };
}

/** `@name` or `@email` tokens in a note that match users of the brand. */
async function resolveMentions(trx: Tx, brandId: number, text: string): Promise<number[]> {
  const tokens = [...text.matchAll(/@([\p{L}\p{N}._+-]+(?:@[\w.-]+)?)/gu)].map((m) => m[1]!.toLowerCase());
  if (!tokens.length) return [];
  const users = await trx.selectFrom('app_user').select(['id', 'email', 'name']).where('brand_id', '=', brandId).where('disabled_at', 'is', null).execute();
  const out = new Set<number>();
  for (const u of users) {
    const first = u.name.split(/\s+/)[0]!.toLowerCase();
    const joined = u.name.replace(/\s+/g, '').toLowerCase();
    const local = u.email.split('@')[0]!.toLowerCase();
    if (tokens.some((t) => t === u.email || t === local || t === first || t === joined)) out.add(u.id);
  }
  return [...out];
}

/** Moved to errors.ts (shared with the admin routes); still exported here for existing importers. */
export { isUniqueViolation };
