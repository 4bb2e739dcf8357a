/**
 * The ingest pipeline: normalized messages in, conversations out.
 *
 *   validate → dedupe → resolve authors → thread → triage → persist → publish → route
 *
 * One call handles a batch in one transaction, so throughput is not one
 * transaction per message. Every item gets an outcome: stored (with its
 * message and conversation ids), duplicate (already stored; a redelivery never
 * doubles), or quarantined (with the reason; the raw payload is kept).
 *
 * Threading: a message joins the conversation of the message it replies to, or
 * of its thread root, or of a stored reply to it (when the reply arrived first),
 * or — for inbound items — the same author's latest conversation on the same
 * channel account within the brand's threading window. Otherwise it starts one.
 */
import { sql } from 'kysely';
import { plausibleMessageTime } from '../core/messageTime.js';
import { addressKey, searchKey } from '../core/searchKey.js';
import { applyMessage, asHistory, isHistory, isStoredHistory, newConversationState, resumeHistory, type ConversationState, type FactDraft } from '../core/conversationState.js';
import { chasedPriority, chaserPoints, closesConversation, withoutWaitingTime } from '../core/triage/triage.js';
import type { NormalizedMessage, TriageResult } from '../core/types.js';
import type { SlaEvent } from '../core/sla.js';
import type { IngestDraft, IngestWorkflowResult } from '../workflow/workflow.js';
import { countsFromDesk } from '../workflow/deskSight.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { jsonText, parseObject } from '../lib/json.js';
import { liveTriage, presentConversation, presentMessage, type AuthorJson } from '../server/presenters.js';
import type { Store } from '../store/db.js';
import { factRow, type FactDimensions } from '../store/facts.js';
import type { ChannelAccount, Conversation, ContactIdentity, DB, NewMessage } from '../store/schema.js';
import { encodeText, sanitizeShortText } from '../store/text.js';
import { storeTriage } from '../store/triageJson.js';
import { emojiTerms, mayHaveEmoji, PG_EMOJI_BY_WRITER } from '../core/emojiSearch.js';
import { arrayParam, chunks, inLists, inValues, insertRows, prepareInsertRows, prepareUpdateChangedRows, sqliteAll, lockBrand, reserveIds, WriteQueue, type Tx } from '../store/util.js';
import { indexPendingMessages } from '../store/fts.js';
import { tombstoned } from '../store/redact.js';
import { writeNameWords } from '../store/contactNameWords.js';
import { contactSummaries } from '../store/queries.js';
import { HISTORY_RESOLUTION_DATA, prepareWriteFacts, withdrawFactsWhere, type Fact } from '../store/rollup.js';
import { validateMessage, type StoredRaw } from './validate.js';
import { EMAIL_PARTICIPANT_PURPOSE, participantMatcher, referencesNeedParticipant, type ParticipantMatcher } from '../channels/email/threading.js';
import type { Insertable } from 'kysely';

/**
 * Where a message came from. `backfill`: fetched by a channel's sync from before the desk listened
 * to the account (its first sync, or one restarted from no position: src/channels/sync.ts); like
 * an import, history by its age (`markHistory`), and history to outbound webhooks.
 */
export type MessageSource = 'network' | 'import' | 'backfill' | 'api' | 'demo' | 'agent';

/** Sources whose old messages are history (`markHistory`): an import, a channel's backfill. */
export const PAST_SOURCES: ReadonlySet<MessageSource> = new Set(['import', 'backfill']);

export interface IngestItem {
  channelAccountId: number;
  /** A NormalizedMessage, validated here (it may come straight from a webhook). */
  message: unknown;
  source: MessageSource;
  /** Where it came from, for quarantine records (e.g. `webhook:x`, `import:twcs line 42`). */
  origin?: string;
  /** Line number in an import file, for quarantine records. */
  line?: number;
  /**
   * Resolved history, whatever its age (e.g. the demo's past weeks): stored as imported history
   * is (`markHistory`) without the week-old cutoff. A conversation already live stays live.
   */
  history?: boolean;
}

export type IngestOutcome =
  | { status: 'stored'; messageId: number; conversationId: number; conversationCreated: boolean }
  | { status: 'duplicate'; messageId: number | null; conversationId: number | null }
  | { status: 'quarantined'; reason: string; quarantineId: number };

/** What triage sees about one inbound message. */
export interface TriageRequest {
  message: NormalizedMessage;
  /** Oldest unanswered inbound message of the conversation before this one, if any. */
  waitingSince: number | null;
  /** Earlier unanswered inbound texts in the conversation (newest last), for chaser detection. */
  previousUnanswered: string[];
  brandHandles: string[];
  /** What this message answers, when it is a reply: the brand's post, or the author's own earlier one. */
  replyTo?: { fromBrand: boolean; sameAuthor: boolean | null } | null;
  /** How many messages the conversation already had. */
  threadDepth?: number;
}

export type TriageFn = ((reqs: TriageRequest[], now: number) => Promise<(TriageResult | null)[]> | (TriageResult | null)[]) & {
  /** Texts about to be triaged: work that needs only the text may start now (e.g. on another thread). */
  prefetch?: (texts: string[]) => void;
  close?: () => Promise<void>;
  /** Messages triaged with a prefetched preanalysis and without one; texts held for later; requests the pipeline's thread analyzed itself instead of waiting. */
  stats?: () => { preanalyzed: number; inline: number; held: number; shared?: number };
};

/**
 * The care workflow's part of a batch (src/workflow/workflow.ts), run inside the
 * batch's transaction: routing and SLA clocks on the in-memory rows before they
 * are written, then assignment from the team queues; what it must announce runs
 * after commit.
 */
export interface IngestWorkflow {
  beforePersist(trx: Tx, brandId: number, drafts: IngestDraft[], now: number): Promise<IngestWorkflowResult>;
  drainTx(trx: Tx, brandId: number, now: number): Promise<number[]>;
  announceAssignments(brandId: number, conversationIds: number[]): Promise<void>;
}

export interface IngestDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  triage?: TriageFn;
  workflow?: IngestWorkflow;
  /** Same author + same channel within this window joins the latest conversation. Default 24 h. */
  threadingWindowMs?: number;
  /** Business-hours seconds for facts (calendar of the channel account); wall-clock when absent. */
  businessSeconds?: (account: ChannelAccount, from: number, to: number) => number;
  log?: { error(o: unknown, m?: string): void; debug?(o: unknown, m?: string): void };
  /**
   * Keys derived from the instance secret (`SecretBox.deriveKey`): email participants are compared
   * as keyed hashes with it, so those raw payload retention kept count (src/channels/email/threading.ts).
   */
  deriveKey?: (purpose: string) => Buffer;
}

interface AccountInfo {
  account: ChannelAccount;
  timezone: string;
  /** When it was read (clock ms): re-read after ACCOUNT_TTL_MS, so an edit made by another process is seen. */
  at: number;
}

/** How long a channel account row (handle, brand time zone) is reused between batches. */
const ACCOUNT_TTL_MS = 5_000;

interface Work {
  index: number;
  item: IngestItem;
  msg: NormalizedMessage;
  raw: StoredRaw;
  account: ChannelAccount;
  key: string;
  messageId?: number;
  conversationKey?: string; // `c:<id>` existing, `n:<n>` new
  conversationId?: number;
  conversationCreated?: boolean;
  identityId?: number | null;
  contactId?: number | null;
  triage?: TriageResult | null;
  /** Its own time when that was not plausible (`created_at` holds its receipt then), else null. */
  originalSentAt: number | null;
}

interface ConvWork {
  key: string;
  id?: number;
  existing?: Conversation;
  state: ConversationState;
  channelAccountId: number;
  contactId: number | null;
  network: string;
  visibility: string;
  subject: string;
  /** A new conversation's `origin`: the kind of its first message. */
  origin?: string;
  created: boolean;
  reopened: boolean;
  inbound: boolean;
  facts: { draft: FactDraft; work: Work }[];
  triage: TriageResult | null;
  lastInboundText?: string;
  /** This batch's messages as SLA events. */
  events: SlaEvent[];
  /** The row as written (after the workflow completed it). */
  row?: Conversation;
  /**
   * Imported history (`isHistory`): every message of it in the batch is imported and its last
   * message is older than the cutoff; stored resolved, kept out of the workflow (no routing,
   * SLA clocks or acknowledgement) and without the waiting-time priority factor.
   */
  history: boolean;
  /** Stored history this batch continues (`resumeHistory`): its resolution fact moves to the new last message. */
  historyResumed?: boolean;
  /** The customer has already chased the current unanswered wait (a chaser raises the priority once per wait). */
  chased: boolean;
  /**
   * When the conversation was last resolved, where a message of the batch may have been written
   * before it (`lastResolves`): such a message, delivered late across the resolve, counts from
   * its receipt. Null or absent: none that counts.
   */
  lastResolvedAt?: number | null;
}

/** A stored message that replies to one of the batch's (it arrived first). */
type ChildRow = { conversation_id: number; id: number; direction: string; created_at: number; is_auto: number };

/** A stored message as the dedupe and threading lookups read it (`findMessages`). */
interface StoredRef {
  id: number;
  conversation_id: number;
  direction: string;
  created_at: number;
  first_reply_at: number | null;
  is_auto: number;
  triage_action: string | null;
  sentiment: string | null;
  author_identity_id: number | null;
}

/** What one transaction of a batch decided: the outcomes, and what to publish and run after its commit. */
interface Attempt {
  outcomes: IngestOutcome[];
  publish: (() => void)[];
  after: (() => Promise<void>)[];
}

/** Message rows of a batch its insert skipped as already stored (`checkInserted`); the batch is rolled back. */
export class RowsNotInsertedError extends Error {
  constructor(readonly messages: string[]) {
    super(`ingest: ${messages.length} message(s) were not stored although no stored copy was found for them (${messages.slice(0, 5).join(', ')}${messages.length > 5 ? ', …' : ''}); the batch was rolled back`);
    this.name = 'RowsNotInsertedError';
  }
}

/**
 * The unique violation of a message insert on a message another writer stored after the batch's
 * lookup (PostgreSQL: the insert has no ON CONFLICT clause), as the `RowsNotInsertedError` that
 * runs the batch again; null for any other error. PostgreSQL names the row in the error's detail,
 * "Key (brand_id, network, network_message_id)=(…) already exists."
 */
function storedMeanwhile(err: unknown, fresh: readonly Work[]): RowsNotInsertedError | null {
  const e = err as { code?: string; constraint?: string; detail?: string };
  if (e?.code !== '23505' || e.constraint !== 'message_network_id') return null;
  const key = /^Key \(brand_id, network, network_message_id\)=\(\d+, ([^,]+), (.*)\) already exists\.$/s.exec(e.detail ?? '');
  const named = key ? fresh.filter((w) => w.msg.network === key[1] && w.msg.networkMessageId === key[2]) : [];
  return new RowsNotInsertedError((named.length ? named : fresh).map((w) => `${w.msg.network} ${JSON.stringify(w.msg.networkMessageId)}`));
}

/** The emoji search terms of message rows, as the row trigger of migration 20261205T1330 files them from the stored text. */
function emojiRows(rows: readonly { id?: unknown; brand_id?: unknown; text?: unknown }[]): { brand_id: number; term: string; message_id: number }[] {
  const out: { brand_id: number; term: string; message_id: number }[] = [];
  for (const r of rows) {
    if (typeof r.text !== 'string' || !mayHaveEmoji(r.text)) continue;
    for (const term of emojiTerms(r.text)) out.push({ brand_id: Number(r.brand_id), term, message_id: Number(r.id) });
  }
  return out;
}

/** Where a batch's message insert leaves the unique violation it met (`storedMeanwhile`). */
interface InsertConflict {
  error: RowsNotInsertedError | null;
}

/** What threading found and decided for a batch. */
interface Threading {
  /** Stored messages the batch's replies and thread roots point at. */
  refs: Map<string, StoredRef>;
  /** Stored replies to the batch's messages (they arrived first). */
  children: Map<string, ChildRow[]>;
  /** The batch's messages by network id. */
  byNetworkId: Map<string, Work>;
  /** The conversations touched: `c:<id>` stored, `n:<n>` new. */
  convs: Map<string, ConvWork>;
}

/** An inbound message's first reply, for its first_reply_at and its `message_response` fact. */
interface FirstReply {
  at: number;
  inboundAt: number;
  work: Work;
  needs: boolean | null;
  sentiment: string | null;
}

const DEFAULT_WINDOW_MS = 24 * 3600_000;
/** How many earlier unanswered texts of its conversation triage sees with a message. */
const UNANSWERED_KEPT = 5;
const LAST_UNANSWERED_SQLITE = `SELECT text, chaser FROM message WHERE conversation_id = ? AND direction = 'inbound' AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ${UNANSWERED_KEPT}`;

/** PARLEY_PIPELINE_PROFILE=1: milliseconds per pipeline stage, printed at exit (benchmark profiling). */
const STAGES = process.env.PARLEY_PIPELINE_PROFILE === '1' ? new Map<string, number>() : null;
let stageT = 0;
const BATCHES = { n: 0, items: 0 };
function stage(name: string | null) {
  if (!STAGES) return;
  const now = performance.now();
  if (name) STAGES.set(name, (STAGES.get(name) ?? 0) + (now - stageT));
  stageT = now;
}
if (STAGES) process.on('exit', () => {
  process.stderr.write(`${BATCHES.n} batches, ${BATCHES.items} items (${(BATCHES.items / Math.max(1, BATCHES.n)).toFixed(1)} per batch)\n`);
  for (const [k, v] of [...STAGES].sort((a, b) => b[1] - a[1])) process.stderr.write(`${v.toFixed(0).padStart(7)} ms  ${k}\n`);
});

export class IngestPipeline {
  private readonly accounts = new Map<number, AccountInfo>();

  /** How email participants are compared (keyed hashes when the pipeline has the instance key). */
  private readonly participants: ParticipantMatcher;

  constructor(private readonly deps: IngestDeps) {
    this.participants = participantMatcher(deps.deriveKey?.(EMAIL_PARTICIPANT_PURPOSE));
  }

  /** Forget cached channel accounts (after an admin changes one). */
  invalidateAccounts(): void {
    this.accounts.clear();
  }

  private async accountInfo(db: Tx, ids: number[]): Promise<Map<number, AccountInfo>> {
    const now = this.deps.clock.now();
    // this process's edits clear the cache at once (invalidateAccounts); another process's show within the TTL
    const missing = ids.filter((id) => {
      const a = this.accounts.get(id);
      return !a || now - a.at >= ACCOUNT_TTL_MS || now < a.at;
    });
    if (missing.length) {
      const rows = await db
        .selectFrom('channel_account')
        .innerJoin('brand', 'brand.id', 'channel_account.brand_id')
        .selectAll('channel_account')
        .select('brand.timezone')
        .where('channel_account.id', 'in', missing)
        .execute();
      for (const id of missing) this.accounts.delete(id); // gone meanwhile: its items are quarantined, not stored
      for (const r of rows) {
        const { timezone, ...account } = r;
        this.accounts.set(account.id, { account, timezone, at: now });
      }
    }
    return this.accounts;
  }

  /**
   * Customer texts about to be ingested: triage may start on their text alone now
   * (on another thread), so the batch's triage step only adds the context.
   */
  prefetch(items: readonly IngestItem[]): void {
    const pre = this.deps.triage?.prefetch;
    if (!pre) return;
    const texts: string[] = [];
    for (const item of items) {
      const m = item.message as { text?: unknown; direction?: unknown; fromBrand?: unknown } | null;
      if (m && typeof m === 'object' && typeof m.text === 'string' && m.direction !== 'outbound' && !m.fromBrand) texts.push(m.text);
    }
    if (texts.length) pre(texts);
  }

  /** Ingest a batch for one brand. `prefetched`: the caller has already handed the items to `prefetch` (the ingest queue does, ahead of the batch). */
  async ingest(brandId: number, items: IngestItem[], opts: { prefetched?: boolean } = {}): Promise<IngestOutcome[]> {
    if (!opts.prefetched) this.prefetch(items);
    if (STAGES) (BATCHES.n++, (BATCHES.items += items.length));
    let done: Attempt;
    // PostgreSQL: the insert's unique violation, which the statements queued behind it may report
    // first as "current transaction is aborted"
    const insert: InsertConflict = { error: null };
    try {
      done = await this.attempt(brandId, items, insert);
    } catch (err) {
      if (!(err instanceof RowsNotInsertedError) && !insert.error) throw err;
      // Another writer stored one of these messages after the lookup (PostgreSQL: the outbox
      // recording a sent reply's network id as its echo arrives). Everything was rolled back;
      // once more, where the lookup finds it: a duplicate, with the stored row's ids. Should the
      // insert skip a row again, the error stands: nothing of the batch is stored or reported.
      insert.error = null;
      done = await this.attempt(brandId, items, insert).catch((err: unknown) => { throw insert.error ?? err; });
    }
    const { outcomes, publish, after } = done;

    stage('commit');
    this.deps.store.statistics?.check();
    for (const p of publish) p();
    stage('9 publish');
    for (const a of after) {
      try {
        await a();
      } catch (err) {
        // the batch is stored; what failed here (announcements, acknowledgements) is retried by the next change or sweep
        this.deps.log?.error({ err, brandId }, 'after-ingest step failed');
      }
    }
    stage('10 workflow (route, SLA, auto-ack)');
    return outcomes;
  }

  /** One transaction of `ingest`: the outcomes, and what to publish and run once it has committed. */
  private async attempt(brandId: number, items: IngestItem[], insert: InsertConflict): Promise<Attempt> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const outcomes: IngestOutcome[] = new Array(items.length);
    const publish: (() => void)[] = [];
    const after: (() => Promise<void>)[] = [];

    await store.db.transaction().execute(async (trx) => {
      await lockBrand(trx, store, brandId);
      const accounts = await this.accountInfo(trx, [...new Set(items.map((i) => i.channelAccountId))]);

      stage(null);
      // 1. validate; quarantine what fails
      const quarantine: { index: number; reason: string; raw: string; item: IngestItem }[] = [];
      let work: Work[] = [];
      items.forEach((item, index) => {
        const info = accounts.get(item.channelAccountId);
        const v = validateMessage(item.message);
        if (!info || info.account.brand_id !== brandId) {
          quarantine.push({ index, item, reason: `unknown channel account ${item.channelAccountId} for brand ${brandId}`, raw: jsonText(v.raw) });
          return;
        }
        if (!v.ok) {
          quarantine.push({ index, item, reason: v.reason, raw: v.raw });
          return;
        }
        if (info.account.status === 'disabled') {
          // kept where an admin sees it, out of the inbox: the brand switched this account off
          quarantine.push({ index, item, reason: `channel account ${info.account.id} (@${info.account.handle}) is disabled`, raw: jsonText(v.raw) });
          return;
        }
        if (v.message.network !== info.account.network) {
          quarantine.push({ index, item, reason: `message network ${v.message.network} does not match channel account network ${info.account.network}`, raw: jsonText(v.raw) });
          return;
        }
        // a time in the future or before 2000 is not the message's: it is stored at its receipt,
        // its own kept beside it (`original_sent_at`; the raw payload keeps what came, until retention)
        const time = plausibleMessageTime(v.message.createdAt, now);
        if (time.corrected) {
          this.deps.log?.debug?.({ brandId, network: v.message.network, networkMessageId: v.message.networkMessageId, createdAt: v.message.createdAt, receivedAt: now, why: time.corrected }, 'message time not plausible: stored with its receipt time');
        }
        const msg = time.corrected ? { ...v.message, createdAt: time.createdAt } : v.message;
        // every field from the start: one object shape through the batch (fields added later
        // in different orders gave V8 several, and optimized code that kept being thrown away)
        work.push({
          index, item, msg, raw: v.raw, account: info.account, key: `${v.message.network}\u0000${v.message.networkMessageId}`, originalSentAt: time.corrected ? v.message.createdAt : null,
          messageId: undefined, conversationKey: undefined, conversationId: undefined, conversationCreated: undefined, identityId: undefined, contactId: undefined, triage: undefined,
        });
      });
      for (const q of quarantine) {
        const source = q.item.origin ?? `ingest:${q.item.source}`;
        const line = q.item.line ?? null;
        // a line of an import file is quarantined once: importing the file again adds nothing; an
        // item a network delivers again (a webhook retried, a poll re-reading its boundary) is
        // quarantined once a week, as src/channels/quarantine.ts does for what connectors reject
        const seen = await trx
          .selectFrom('quarantine').select('id')
          .where('brand_id', '=', brandId).where('source', '=', source).where('raw', '=', q.raw)
          .$if(line !== null, (qb) => qb.where('line', '=', line))
          .$if(line === null, (qb) => qb.where('line', 'is', null).where('reason', '=', q.reason).where('created_at', '>=', now - 7 * 86_400_000))
          .executeTakeFirst();
        const row = seen ?? await trx
          .insertInto('quarantine')
          .values({ brand_id: brandId, source, reason: q.reason, line, raw: q.raw, created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        outcomes[q.index] = { status: 'quarantined', reason: q.reason, quarantineId: row.id };
      }

      stage('1 validate');
      // 2. dedupe within the batch and against the store
      const firstByKey = new Map<string, Work>();
      const dupInBatch: Work[] = [];
      for (const w of work) {
        if (firstByKey.has(w.key)) dupInBatch.push(w);
        else firstByKey.set(w.key, w);
      }
      work = [...firstByKey.values()];
      const existing = await this.findMessages(trx, brandId, work.map((w) => w.key));
      const fresh: Work[] = [];
      // deleted on the network before it reached us (src/pipeline/deletions.ts): never stored; reported as seen
      const gone = await tombstoned(trx, store, brandId, work.filter((w) => !existing.has(w.key)).map((w) => w.key));
      for (const w of work) {
        const hit = existing.get(`${w.msg.network}\u0000${w.msg.networkMessageId}`);
        if (hit) outcomes[w.index] = { status: 'duplicate', messageId: hit.id, conversationId: hit.conversation_id };
        else if (gone.has(w.key)) outcomes[w.index] = { status: 'duplicate', messageId: null, conversationId: null };
        else fresh.push(w);
      }
      // Time order, so replies thread after their parents within a batch.
      fresh.sort((a, b) => a.msg.createdAt - b.msg.createdAt || a.index - b.index);

      if (fresh.length) await this.persist(trx, brandId, fresh, now, publish, after, insert);

      // the stored outcomes first: a copy later in the batch names the message it repeats
      for (const w of fresh) {
        if (w.messageId !== undefined && w.conversationId !== undefined && !outcomes[w.index]) {
          outcomes[w.index] = { status: 'stored', messageId: w.messageId, conversationId: w.conversationId, conversationCreated: w.conversationCreated ?? false };
        }
      }
      for (const d of dupInBatch) {
        const first = firstByKey.get(d.key)!;
        const o = outcomes[first.index];
        outcomes[d.index] = o && o.status === 'stored'
          ? { status: 'duplicate', messageId: o.messageId, conversationId: o.conversationId }
          : o && o.status === 'duplicate' ? o : { status: 'duplicate', messageId: null, conversationId: null };
      }
    });
    return { outcomes, publish, after };
  }

  /**
   * Throws RowsNotInsertedError unless every one of the batch's message rows was written (SQLite;
   * PostgreSQL's insert fails instead, `storedMeanwhile`). The
   * insert skips a row whose (brand, network, network id) is already stored: one the lookup did
   * not find (written by another transaction since, or an id the database stores differently
   * from how it came) would otherwise be reported stored, under an id no row has, with its
   * conversation counting it and facts and live events written for it. One count per batch
   * (the ids are reserved in one block, so a range when they are consecutive).
   */
  private async checkInserted(trx: Tx, fresh: Work[]): Promise<void> {
    const { store } = this.deps;
    const n = fresh.length;
    let lo = Infinity;
    let hi = -Infinity;
    for (const w of fresh) {
      if (w.messageId! < lo) lo = w.messageId!;
      if (w.messageId! > hi) hi = w.messageId!;
    }
    const ids = hi - lo === n - 1 ? null : fresh.map((w) => w.messageId!);
    let stored: number;
    if (store.dialect === 'sqlite' && !ids) {
      stored = sqliteAll<{ n: number }>(store, 'SELECT count(*) AS n FROM message WHERE id BETWEEN ? AND ?', [lo, hi])[0]!.n;
    } else {
      const q = trx.selectFrom('message').select((eb) => eb.fn.countAll<number | string>().as('n'));
      const r = await (ids ? q.where(inValues(store, 'id', ids, 'bigint')) : q.where('id', '>=', lo).where('id', '<=', hi)).executeTakeFirstOrThrow();
      stored = Number(r.n);
    }
    if (stored === n) return;
    // which ones (rare: the batch is rolled back and tried again)
    const present = new Set<number>();
    for (const part of inLists(fresh.map((w) => w.messageId!))) {
      for (const r of await trx.selectFrom('message').select('id').where(inValues(store, 'id', part, 'bigint')).execute()) present.add(Number(r.id));
    }
    throw new RowsNotInsertedError(fresh.filter((w) => !present.has(w.messageId!)).map((w) => `${w.msg.network} ${JSON.stringify(w.msg.networkMessageId)}`));
  }

  /** Stored messages by network id; `keys` are `${network}\0${id}` (the unique index is brand, network, id). */
  private async findMessages(trx: Tx, brandId: number, keys: Iterable<string>): Promise<Map<string, StoredRef>> {
    const out = new Map<string, StoredRef>();
    const byNetwork = new Map<string, Set<string>>();
    for (const k of keys) {
      const i = k.indexOf('\u0000');
      const n = k.slice(0, i);
      let set = byNetwork.get(n);
      if (!set) byNetwork.set(n, (set = new Set()));
      set.add(k.slice(i + 1));
    }
    for (const [network, ids] of byNetwork) {
      for (const part of inLists([...ids])) {
        const rows = await trx
          .selectFrom('message')
          .select(['id', 'conversation_id', 'network', 'network_message_id', 'direction', 'created_at', 'first_reply_at', 'is_auto', 'triage_action', 'sentiment', 'author_identity_id'])
          .where('brand_id', '=', brandId)
          .where('network', '=', network)
          .where(inValues(this.deps.store, 'network_message_id', part, 'text'))
          .execute();
        for (const r of rows) out.set(`${r.network}\u0000${r.network_message_id}`, r);
      }
    }
    return out;
  }

  private async persist(trx: Tx, brandId: number, fresh: Work[], now: number, publish: (() => void)[], after: (() => Promise<void>)[], insert: InsertConflict) {
    const { store } = this.deps;

    stage('2 dedupe');
    const identityJson = await this.authors(trx, fresh, now);

    stage('3 identities');
    const th = await this.thread(trx, brandId, fresh);
    const { convs } = th;

    stage('4 threading');
    const history = markHistory(fresh, convs, now);
    await this.triageBatch(trx, fresh, th, now);
    if (history) {
      // a wait measured to the import ("waiting 3321 days") says nothing about history
      for (const w of fresh) if (w.triage && convs.get(w.conversationKey!)!.history) w.triage = withoutWaitingTime(w.triage);
    }

    stage('5 triage');
    // 6. conversation state transitions and facts
    await this.lastResolves(trx, fresh, convs);
    applyStates(fresh, convs, now);
    if (history) for (const c of convs.values()) if (c.history) c.state = asHistory(c.state);

    stage('6 state');
    // 7. ids, rows
    const newConvList = [...convs.values()].filter((c) => c.created);
    const convIds = await reserveIds(trx, store, 'conversation', newConvList.length);
    newConvList.forEach((c, i) => (c.id = convIds[i]));
    const msgIds = await reserveIds(trx, store, 'message', fresh.length);
    fresh.forEach((w, i) => {
      const conv = convs.get(w.conversationKey!)!;
      w.messageId = msgIds[i];
      w.conversationId = conv.id;
      w.conversationCreated = conv.created;
    });

    // the workflow completes the rows (team, queue, SLA clocks) before they are written
    for (const c of convs.values()) c.row = conversationRow(brandId, c, now);
    // imported history is not live work: no routing, SLA clocks or acknowledgement
    const drafts: IngestDraft[] = [];
    for (const c of convs.values()) if (!c.history) drafts.push({ id: c.id!, created: c.created, inbound: c.inbound, reopened: c.reopened, row: c.row!, events: c.events });
    stage('7a ids, rows');
    const wf = this.deps.workflow && drafts.length ? await this.deps.workflow.beforePersist(trx, brandId, drafts, now) : null;
    stage('7b workflow: routing, SLA');
    // the writes, in order, each prepared while the database runs the one before
    const writes = new WriteQueue();
    if (newConvList.length) writes.add(await prepareInsertRows(trx, store, 'conversation', newConvList.map((c) => ({ ...c.row!, version: 1 }))));
    const { msgRows, firstReply, rowById } = messageRows(brandId, fresh, th, now);
    // PostgreSQL: a plain insert. With ON CONFLICT DO NOTHING each row was first probed in every
    // unique index (speculative insertion), ~25 % of the insert's time; a row another writer
    // stored meanwhile now fails the statement instead, and the batch is run again the same way
    const insertMessages = await prepareInsertRows(trx, store, 'message', msgRows, { ignoreConflicts: store.dialect === 'sqlite', utf8Columns: ['raw'] });
    // PostgreSQL: the batch files its messages' emoji terms in one statement, with the row trigger
    // off for its insert only (migration 20261207T1540; SQLite: the full-text indexing files them)
    const emoji = store.dialect === 'postgres' ? emojiRows(msgRows) : [];
    if (emoji.length) writes.add(() => sql`select set_config(${PG_EMOJI_BY_WRITER}, 'on', true)`.execute(trx));
    writes.add(store.dialect === 'sqlite' ? insertMessages : () => insertMessages().catch((err: unknown) => { throw (insert.error = storedMeanwhile(err, fresh)) ?? err; }));
    if (emoji.length) {
      writes.add(() => sql`select set_config(${PG_EMOJI_BY_WRITER}, 'off', true)`.execute(trx));
      writes.add(await prepareInsertRows(trx, store, 'message_emoji', emoji));
    }
    if (store.dialect !== 'sqlite') await writes.started(); // the messages are being inserted: what follows is prepared meanwhile (SQLite: at the next await, synchronously)
    // every row written, or the batch is rolled back (and run again); PostgreSQL's plain insert wrote all or failed
    if (store.dialect === 'sqlite') writes.add(() => this.checkInserted(trx, fresh));
    const storedParents = [...firstReply.keys()].filter((id) => !rowById.has(id));
    for (const part of chunks(storedParents, 400)) {
      // one statement for the batch (CTE + correlated subquery: the same SQL on SQLite and PostgreSQL)
      const values = sql.join(part.map((id) => sql`(cast(${id} as bigint), cast(${firstReply.get(id)!.at} as bigint))`));
      writes.add(() => sql`with v(id, at) as (values ${values})
        update message set first_reply_at = (select v.at from v where v.id = message.id)
        where id in (select v.id from v) and first_reply_at is null`.execute(trx));
    }
    stage('7c-d conversations, messages (rows)');
    // existing conversations: only what changed (read in this transaction, so nobody changed it meanwhile)
    const changed = [...convs.values()].filter((c) => !c.created);
    if (changed.length) {
      writes.add(await prepareUpdateChangedRows(trx, store, 'conversation', changed.map((c) => ({ before: c.existing!, after: c.row! as Record<string, unknown> })), UPSERT_COLUMNS));
      // routing put some in a team's queue: only where nobody set a team meanwhile
      for (const c of changed) {
        if (c.existing!.team_id == null && c.row!.team_id != null) {
          writes.add(() => trx.updateTable('conversation').set({ team_id: c.row!.team_id }).where('id', '=', c.id!).where('team_id', 'is', null).execute());
        }
      }
    }
    // 8. reporting facts
    const facts = this.factRows(brandId, convs, firstReply, fresh);
    if (history) {
      await withdrawHistoryResolutions(trx, store, brandId, convs);
      facts.push(...historyResolutions(convs, fresh, (c, w) => this.dims(brandId, c, w, this.accounts.get(w.account.id)?.timezone ?? 'UTC'), (w) => this.business(w.account)));
    }
    writes.add(await prepareWriteFacts(trx, store, wf?.facts.length ? [...facts, ...(wf.facts as typeof facts)] : facts));
    // 9. the events, published after commit (prepared now, while the writes run)
    const events: [string, unknown][] = [];
    for (const w of fresh) {
      const row = rowById.get(w.messageId!)!;
      events.push(['message.created', presentMessage(row as any, w.identityId ? identityJson.get(w.identityId) : null, liveTriage(w.triage))]);
    }
    stage('8 facts, events (rows)');
    await writes.done();
    stage('7-8 writes (waiting)');
    // conversations with their contact summary, as the list API gives it: a row that moves
    // into a loaded inbox list (a brand reply, a customer writing again) still shows its customer
    const contacts = await contactSummaries(trx, [...convs.values()].map((c) => c.row!.contact_id));
    for (const c of convs.values()) {
      const contact = c.row!.contact_id != null ? contacts.get(c.row!.contact_id) ?? null : null;
      events.push([c.created ? 'conversation.created' : 'conversation.updated', presentConversation({ ...c.row!, version: (c.existing?.version ?? 0) + 1 }, { contact })]);
    }
    stage('8 contacts for the events');
    await indexPendingMessages(trx, store, { minPending: FTS_MIN_PENDING });
    stage('8 search index');
    const assigned = wf?.routed ? await this.deps.workflow!.drainTx(trx, brandId, now) : [];
    stage('8b assignment');
    publish.push(() => {
      for (const [type, data] of events) this.deps.bus.publish(brandId, type, data);
    });
    if (assigned.length) after.push(() => this.deps.workflow!.announceAssignments(brandId, assigned));
    if (wf) after.push(() => wf.afterCommit([...convs.values()].map((c) => c.row!)));
  }

  /** 3. Authors → contact identities (the brand's own posts have no contact); their JSON for the live events. */
  private async authors(trx: Tx, fresh: Work[], now: number): Promise<Map<number, AuthorJson>> {
    const identities = await this.resolveIdentities(trx, fresh.filter((w) => !w.msg.fromBrand && w.msg.direction === 'inbound'), now);
    const identityJson = new Map<number, AuthorJson>();
    for (const w of fresh) {
      if (w.msg.fromBrand || w.msg.direction !== 'inbound') { w.identityId = null; w.contactId = null; continue; }
      const ident = identities.get(`${w.msg.network}\u0000${w.msg.author.networkUserId}`)!;
      w.identityId = ident.id;
      w.contactId = ident.contact_id;
      identityJson.set(ident.id, identityToJson(ident));
    }
    return identityJson;
  }

  /** 4. Threading: parents, roots, children already stored, and the window rule; the conversations touched (stored ones loaded). */
  private async thread(trx: Tx, brandId: number, fresh: Work[]): Promise<Threading> {
    const { store } = this.deps;
    const windowMs = this.deps.threadingWindowMs ?? DEFAULT_WINDOW_MS;
    const refKeys = new Set<string>();
    for (const w of fresh) {
      if (w.msg.inReplyToNetworkId) refKeys.add(`${w.msg.network}\u0000${w.msg.inReplyToNetworkId}`);
      if (w.msg.threadRootNetworkId) refKeys.add(`${w.msg.network}\u0000${w.msg.threadRootNetworkId}`);
    }
    const refs = await this.findMessages(trx, brandId, refKeys);
    const children = new Map<string, ChildRow[]>();
    for (const part of inLists(fresh.map((w) => w.msg.networkMessageId))) {
      const rows = await trx
        .selectFrom('message')
        .select(['id', 'conversation_id', 'network', 'in_reply_to_network_id', 'direction', 'created_at', 'is_auto'])
        .where('brand_id', '=', brandId)
        .where(inValues(store, 'in_reply_to_network_id', part, 'text'))
        .execute();
      for (const r of rows) {
        const k = `${r.network}\u0000${r.in_reply_to_network_id}`;
        let list = children.get(k);
        if (!list) children.set(k, (list = []));
        list.push(r);
      }
    }
    const contactIds = [...new Set(fresh.map((w) => w.contactId).filter((x): x is number => x != null))];
    const minCreated = Math.min(...fresh.map((w) => w.msg.createdAt));
    const recentByContact = new Map<string, { id: number; last_message_at: number }>();
    for (const part of inLists(contactIds)) {
      const rows = await trx
        .selectFrom('conversation')
        .select(['id', 'contact_id', 'channel_account_id', 'last_message_at'])
        .where(inValues(store, 'contact_id', part, 'bigint'))
        .where('last_message_at', '>=', minCreated - windowMs)
        .orderBy('last_message_at', 'desc')
        .execute();
      for (const r of rows) {
        const k = `${r.contact_id}:${r.channel_account_id}`;
        if (!recentByContact.has(k)) recentByContact.set(k, r);
      }
    }

    const participants = await this.participantsOf(trx, fresh, refs, children);
    const { byNetworkId, newConvs } = decideConversations(fresh, refs, children, recentByContact, windowMs, participants, this.participants);

    // Load the existing conversations touched.
    const existingIds = [...new Set(fresh.map((w) => w.conversationKey!).filter((k) => k.startsWith('c:')).map((k) => Number(k.slice(2))))];
    const convs = new Map<string, ConvWork>();
    for (const part of inLists(existingIds)) {
      const rows = await trx.selectFrom('conversation').selectAll().where(inValues(store, 'id', part, 'bigint')).execute();
      for (const c of rows) {
        convs.set(`c:${c.id}`, {
          key: `c:${c.id}`, id: c.id, existing: c, state: stateOf(c), channelAccountId: c.channel_account_id, contactId: c.contact_id,
          network: c.network, visibility: c.visibility, subject: c.subject, created: false, reopened: false, inbound: false, facts: [], triage: null, events: [], history: false, chased: false,
        });
      }
    }
    for (const { key, w } of newConvs) {
      convs.set(key, {
        key, state: newConversationState(w.msg.createdAt), channelAccountId: w.account.id, contactId: w.contactId ?? null,
        network: w.msg.network, visibility: w.msg.visibility, subject: subjectOf(w.msg.text), origin: w.msg.kind, created: true, reopened: false, inbound: false, facts: [], triage: null, events: [], history: false, chased: false,
      });
    }
    return { refs, children, byNetworkId, convs };
  }

  /**
   * 4a. The participants (normalized addresses) of each stored conversation that a message whose
   * references are its sender's claim (an email: src/channels/email/threading.ts) points at: its
   * customer's identities, its messages' authors, and the addresses its mails were from, to or cc'd
   * (in the matcher's form: keyed hashes, which retained payloads keep; never a mail system).
   */
  private async participantsOf(trx: Tx, fresh: Work[], refs: Map<string, StoredRef>, children: Map<string, ChildRow[]>): Promise<Map<number, Set<string>>> {
    const ids = new Set<number>();
    for (const w of fresh) {
      if (!referencesNeedParticipant(w.msg)) continue;
      for (const id of [w.msg.inReplyToNetworkId, w.msg.threadRootNetworkId]) {
        const r = id ? refs.get(`${w.msg.network}\u0000${id}`) : undefined;
        if (r) ids.add(r.conversation_id);
      }
      for (const c of children.get(`${w.msg.network}\u0000${w.msg.networkMessageId}`) ?? []) ids.add(c.conversation_id);
    }
    const out = new Map<number, Set<string>>();
    const p = this.participants;
    const add = (id: number, form: string | null) => void (form !== null && out.get(id)!.add(form));
    for (const part of inLists([...ids])) {
      for (const id of part) out.set(id, new Set());
      const customers = await trx.selectFrom('conversation').innerJoin('contact_identity', 'contact_identity.contact_id', 'conversation.contact_id')
        .select(['conversation.id as id', 'contact_identity.network_user_id as address']).where('conversation.id', 'in', part).where('contact_identity.network', '=', 'email').execute();
      for (const r of customers) add(r.id, p.form(r.address));
      const authors = await trx.selectFrom('message').innerJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
        .select(['message.conversation_id as id', 'contact_identity.network_user_id as address']).where('message.conversation_id', 'in', part).where('contact_identity.network', '=', 'email').execute();
      for (const r of authors) add(r.id, p.form(r.address));
      const mails = await trx.selectFrom('message').select(['conversation_id', 'raw']).where('conversation_id', 'in', part).where('network', '=', 'email').execute();
      for (const r of mails) for (const a of p.ofRaw(r.raw)) add(r.conversation_id, a);
    }
    return out;
  }

  /**
   * 6a. When each stored conversation was last resolved, for the batch's customer messages that
   * may have been written before it (delivered late across it: they count from their receipt,
   * `applyStates`). A resolved conversation says so itself; one reopened since (by hand, or by an
   * earlier late message) has it only in its audit trail, which is read only for a conversation
   * with a message older than its current cycle (rare). The latest resolve that changed the status
   * counts (not one repeated while resolved), as `countedTimeline` reads the SLA timeline.
   */
  private async lastResolves(trx: Tx, fresh: Work[], convs: Map<string, ConvWork>): Promise<void> {
    const oldest = new Map<string, number>();
    for (const w of fresh) {
      if (w.msg.direction !== 'inbound' || w.msg.fromBrand) continue;
      const at = oldest.get(w.conversationKey!);
      if (at === undefined || w.msg.createdAt < at) oldest.set(w.conversationKey!, w.msg.createdAt);
    }
    const unknown: ConvWork[] = [];
    for (const [key, at] of oldest) {
      const c = convs.get(key)!;
      // a conversation the brand began is resolved without a customer in it: no resolve to cross
      if (c.created || c.history || c.state.lastInboundAt === null) continue;
      if (c.state.status === 'resolved') c.lastResolvedAt = c.state.resolvedAt;
      else if (c.state.reopenedCount > 0 && at <= c.state.cycleStartedAt) unknown.push(c);
    }
    for (const part of inLists(unknown.map((c) => c.id!))) {
      const rows = await trx.selectFrom('audit_event').select(['conversation_id', 'data', 'created_at']).where('conversation_id', 'in', part).where('action', '=', 'conversation.status').orderBy('id').execute();
      const last = new Map<number, number>();
      for (const r of rows) {
        const d = parseObject(r.data);
        if (d.to === 'resolved' && d.from !== 'resolved') last.set(r.conversation_id!, Number(r.created_at));
      }
      for (const c of unknown) if (last.has(c.id!)) c.lastResolvedAt = last.get(c.id!)!;
    }
  }

  /** 5. Triage of the inbound messages, with their conversation's context. */
  private async triageBatch(trx: Tx, fresh: Work[], th: Threading, now: number): Promise<void> {
    const { convs, byNetworkId, refs } = th;
    if (this.deps.triage) {
      const previousUnanswered = await this.unansweredTexts(trx, [...convs.values()].filter((c) => c.existing && c.existing.waiting_since != null));
      const inbound = fresh.filter((w) => w.msg.direction === 'inbound' && !w.msg.fromBrand);
      const pending = new Map<string, string[]>();
      const reqs: TriageRequest[] = inbound.map((w) => {
        const conv = convs.get(w.conversationKey!)!;
        const prev = [...(previousUnanswered.get(conv.key) ?? []), ...(pending.get(conv.key) ?? [])];
        const waiting = conv.existing?.waiting_since ?? null;
        let replyTo: TriageRequest['replyTo'] = null;
        if (w.msg.inReplyToNetworkId) {
          const k = `${w.msg.network}\u0000${w.msg.inReplyToNetworkId}`;
          const p = byNetworkId.get(k);
          const stored = refs.get(k);
          if (p) replyTo = { fromBrand: !!p.msg.fromBrand || p.msg.direction === 'outbound', sameAuthor: p.msg.author.networkUserId === w.msg.author.networkUserId };
          else if (stored) replyTo = { fromBrand: stored.direction === 'outbound', sameAuthor: stored.author_identity_id != null && stored.author_identity_id === w.identityId };
        }
        const req: TriageRequest = { message: w.msg, waitingSince: waiting, previousUnanswered: prev.slice(-UNANSWERED_KEPT), brandHandles: [w.account.handle], replyTo, threadDepth: (conv.existing?.message_count ?? 0) + (pending.get(conv.key)?.length ?? 0) };
        const list = pending.get(conv.key) ?? [];
        list.push(w.msg.text.slice(0, 2000));
        pending.set(conv.key, list);
        return req;
      });
      const results = await this.deps.triage(reqs, now);
      inbound.forEach((w, i) => (w.triage = results[i] ?? null));
    }
  }

  /** 8. The batch's reporting facts: state transitions, first responses, accolades. */
  private factRows(brandId: number, convs: Map<string, ConvWork>, firstReply: Map<number, FirstReply>, fresh: Work[]): Insertable<DB['reporting_fact']>[] {
    const facts: Insertable<DB['reporting_fact']>[] = [];
    const info = this.accounts;
    for (const c of convs.values()) {
      for (const { draft, work } of c.facts) {
        const tz = info.get(work.account.id)?.timezone ?? 'UTC';
        // a wait that began on a backfilled message is measured from when the desk first saw it (countsFromDesk)
        const from = draft.kind === 'first_response' || draft.kind === 'next_response' ? countsFromDesk(c.row ?? c.existing!, draft.from, draft.to) : draft.from;
        facts.push(factRow(this.dims(brandId, c, work, tz), draft.kind, draft.occurredAt, from, draft.to, this.business(work.account)));
      }
    }
    for (const [inboundId, fr] of firstReply) {
      const conv = convs.get(fr.work.conversationKey!)!;
      const tz = info.get(fr.work.account.id)?.timezone ?? 'UTC';
      facts.push(factRow({ ...this.dims(brandId, conv, fr.work, tz), messageId: inboundId, needsResponse: fr.needs, sentiment: fr.sentiment }, 'message_response', fr.at, countsFromDesk(conv.row ?? conv.existing!, fr.inboundAt, fr.at), fr.at, this.business(fr.work.account)));
    }
    for (const w of fresh) {
      if (w.triage?.accolade.value) {
        const conv = convs.get(w.conversationKey!)!;
        facts.push(factRow({ ...this.dims(brandId, conv, w, info.get(w.account.id)?.timezone ?? 'UTC'), messageId: w.messageId! }, 'accolade', w.msg.createdAt, null, null, null));
      }
    }
    return facts;
  }

  private dims(brandId: number, c: ConvWork, w: Work, tz: string): FactDimensions {
    const inbound = w.msg.direction === 'inbound' && !w.msg.fromBrand;
    return {
      needsResponse: inbound && w.triage ? w.triage.action.value === 'respond' : null,
      sentiment: inbound ? w.triage?.sentiment.value ?? null : null,
      brandId, timezone: tz, conversationId: c.id!, messageId: w.messageId ?? null,
      // the row as this batch writes it: the team routing just chose for a new conversation, not the stored row's (none yet)
      agentId: c.row ? c.row.assignee_id : c.existing?.assignee_id ?? null, teamId: c.row ? c.row.team_id : c.existing?.team_id ?? null,
      channelAccountId: w.account.id, network: w.msg.network, visibility: c.visibility, priority: c.state.priority, category: c.triage?.category.value ?? c.existing?.category ?? null,
    };
  }

  private business(account: ChannelAccount) {
    const fn = this.deps.businessSeconds;
    return fn ? (from: number, to: number) => fn(account, from, to) : null;
  }

  /**
   * The last five inbound texts of each waiting conversation since it began waiting, oldest
   * first; a conversation is marked `chased` when one of them was a chaser (read in the same
   * statement: a chaser raises the priority once per wait). Each conversation's messages are walked newest first down the
   * (conversation_id, created_at) index, stopping at five, instead of reading every inbound
   * message since the longest wait of the batch and keeping the last five of each in
   * JavaScript: over 100,000 messages that read 13.7 rows a conversation to keep 4.3, and
   * cost 24 µs a message, growing with the stream.
   */
  private async unansweredTexts(trx: Tx, convs: ConvWork[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const { store } = this.deps;
    const keep = (c: ConvWork, newestFirst: { text: string; chaser: number | null }[]) => {
      const texts: string[] = new Array(newestFirst.length);
      for (let i = 0, n = newestFirst.length; i < n; i++) {
        const r = newestFirst[i]!;
        texts[n - 1 - i] = r.text.slice(0, 2000);
        if (r.chaser === 1) c.chased = true;
      }
      out.set(c.key, texts);
    };
    if (store.dialect === 'sqlite') {
      for (const c of convs) keep(c, sqliteAll<{ text: string; chaser: number | null }>(store, LAST_UNANSWERED_SQLITE, [c.id!, c.existing!.waiting_since!]));
      return out;
    }
    for (const part of chunks(convs, 500)) {
      const rows = await sql<{ conversation_id: number | string; text: string; chaser: number | null }>`
        select v.id as conversation_id, m.text, m.chaser
        from unnest(${arrayParam(part.map((c) => c.id!), 'bigint')}::bigint[], ${arrayParam(part.map((c) => c.existing!.waiting_since!), 'bigint')}::bigint[]) as v(id, since)
        cross join lateral (
          select text, chaser, created_at, id from message
          where conversation_id = v.id and direction = 'inbound' and created_at >= v.since
          order by created_at desc limit ${UNANSWERED_KEPT} -- index order, so the scan stops at five
        ) m
        order by v.id, m.created_at desc, m.id desc`.execute(trx);
      const by = new Map<number, { text: string; chaser: number | null }[]>();
      for (const r of rows.rows) {
        const id = Number(r.conversation_id);
        const l = by.get(id);
        if (l) l.push(r);
        else by.set(id, [r]);
      }
      for (const c of part) keep(c, by.get(c.id!) ?? []);
    }
    return out;
  }

  private async resolveIdentities(trx: Tx, works: Work[], now: number): Promise<Map<string, ContactIdentity>> {
    const { store } = this.deps;
    const brandId = works[0]?.account.brand_id;
    const out = new Map<string, ContactIdentity>();
    if (brandId === undefined) return out;
    const latest = new Map<string, Work>();
    for (const w of works) latest.set(`${w.msg.network}\u0000${w.msg.author.networkUserId}`, w); // time-sorted: last wins
    const byNetwork = new Map<string, string[]>();
    for (const w of latest.values()) {
      const list = byNetwork.get(w.msg.network) ?? [];
      list.push(w.msg.author.networkUserId);
      byNetwork.set(w.msg.network, list);
    }
    for (const [network, ids] of byNetwork) {
      for (const part of inLists(ids)) {
        const rows = await trx.selectFrom('contact_identity').selectAll().where('brand_id', '=', brandId).where('network', '=', network).where(inValues(store, 'network_user_id', part, 'text')).execute();
        for (const r of rows) out.set(`${r.network}\u0000${r.network_user_id}`, r);
      }
    }
    // Refresh profile facts that changed (followers, names...): one multi-row upsert, not an UPDATE each.
    const refreshed: ContactIdentity[] = [];
    // contact search's words of a name that changed (the database dropped the old ones with it)
    const renamed: ContactIdentity[] = [];
    for (const [k, w] of latest) {
      const cur = out.get(k);
      if (!cur) continue;
      const next = identityColumns(w.msg);
      // names and flags when they change; follower counts when they move by 10 % or a day has passed
      const changed = (Object.keys(next) as (keyof typeof next)[]).some((f) => {
        if (next[f] == null || next[f] === cur[f]) return false;
        if (f !== 'followers') return true;
        const a = Number(cur.followers ?? 0);
        const b = Number(next.followers);
        return Math.abs(b - a) > Math.max(1, a * 0.1) || now - cur.updated_at > 24 * 3600_000;
      });
      if (changed) {
        const patch = Object.fromEntries(Object.entries(next).filter(([, v]) => v != null));
        const row = { ...cur, ...patch, updated_at: now } as ContactIdentity;
        refreshed.push(row);
        if (row.display_name !== cur.display_name) renamed.push(row);
        out.set(k, row);
      }
    }
    await insertRows(trx, store, 'contact_identity', refreshed as unknown as Record<string, unknown>[], { upsertOn: 'id', upsertColumns: IDENTITY_REFRESH_COLUMNS });
    await writeNameWords(trx, renamed);
    const missing = [...latest.entries()].filter(([k]) => !out.has(k));
    if (missing.length) {
      const contactIds = await reserveIds(trx, store, 'contact', missing.length);
      const identityIds = await reserveIds(trx, store, 'contact_identity', missing.length);
      const contacts = missing.map(([, w], i) => ({
        id: contactIds[i]!, brand_id: brandId, display_name: sanitizeShortText(w.msg.author.displayName || w.msg.author.handle), crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: now, updated_at: now,
      }));
      await insertRows(trx, store, 'contact', contacts);
      const idents = missing.map(([, w], i) => ({
        id: identityIds[i]!, brand_id: brandId, contact_id: contactIds[i]!, network: w.msg.network, network_user_id: w.msg.author.networkUserId,
        ...identityColumns(w.msg), address_key: addressKey(w.msg.network, w.msg.author.networkUserId), verified: w.msg.author.verified ? 1 : 0, created_at: now, updated_at: now,
      }));
      await insertRows(trx, store, 'contact_identity', idents);
      await writeNameWords(trx, idents);
      for (const r of idents) out.set(`${r.network}\u0000${r.network_user_id}`, r as ContactIdentity);
    }
    return out;
  }
}

/**
 * Each message's conversation, in time order: the conversation of the message it replies
 * to, or of its thread root (in the batch or stored), or of a stored reply to it, or the
 * author's latest on the same account within the window; otherwise a new one (`n:<n>`).
 */
function decideConversations(
  fresh: Work[], refs: Map<string, StoredRef>, children: Map<string, ChildRow[]>, recentByContact: Map<string, { id: number; last_message_at: number }>, windowMs: number,
  participants: Map<number, Set<string>> = new Map(), matcher: ParticipantMatcher = participantMatcher(null),
): { byNetworkId: Map<string, Work>; newConvs: { key: string; w: Work }[] } {
  const byNetworkId = new Map<string, Work>();
  const convKeyOf = (w: Work) => w.conversationKey!;
  const newConvs: { key: string; w: Work }[] = [];
  let newCount = 0;
  const lastByContact = new Map<string, { key: string; at: number }>();
  // the batch's own emails, by the conversation they joined: their addresses are participants too
  const batchParticipants = new Map<string, Set<string>>();
  for (const w of fresh) {
    const netKey = (id: string) => `${w.msg.network}\u0000${id}`;
    // an email's references are its sender's claim: they join only a conversation the sender takes part in
    const checked = referencesNeedParticipant(w.msg);
    // null: a mail system's address, never a participant (a bounce joins only by its proof);
    // only email has participants (and the keyed form is an HMAC: not for every tweet)
    const sender = w.msg.network === 'email' ? matcher.form(w.msg.author.networkUserId) : null;
    const mayJoin = (k: string) => !checked || (sender !== null && (!!batchParticipants.get(k)?.has(sender) || (k.startsWith('c:') && !!participants.get(Number(k.slice(2)))?.has(sender))));
    let key: string | undefined;
    const parentId = w.msg.inReplyToNetworkId;
    const rootId = w.msg.threadRootNetworkId;
    if (parentId) {
      const inBatch = byNetworkId.get(netKey(parentId));
      if (inBatch) key = convKeyOf(inBatch);
      else if (refs.has(netKey(parentId))) key = `c:${refs.get(netKey(parentId))!.conversation_id}`;
      if (key && !mayJoin(key)) key = undefined;
    }
    if (!key && rootId) {
      const inBatch = byNetworkId.get(netKey(rootId));
      if (inBatch) key = convKeyOf(inBatch);
      else if (refs.has(netKey(rootId))) key = `c:${refs.get(netKey(rootId))!.conversation_id}`;
      if (key && !mayJoin(key)) key = undefined;
    }
    if (!key) {
      const kids = children.get(netKey(w.msg.networkMessageId));
      if (kids?.length) key = `c:${kids[0]!.conversation_id}`;
      if (key && !mayJoin(key)) key = undefined;
    }
    if (!key && w.contactId != null) {
      const ck = `${w.contactId}:${w.account.id}`;
      const inBatch = lastByContact.get(ck);
      const stored = recentByContact.get(ck);
      if (inBatch && w.msg.createdAt - inBatch.at <= windowMs) key = inBatch.key;
      else if (stored && w.msg.createdAt - stored.last_message_at <= windowMs) key = `c:${stored.id}`;
    }
    if (!key) {
      key = `n:${newCount++}`;
      newConvs.push({ key, w });
    }
    w.conversationKey = key;
    if (w.msg.network === 'email') {
      let set = batchParticipants.get(key);
      if (!set) batchParticipants.set(key, (set = new Set()));
      if (sender !== null && !w.msg.fromBrand && w.msg.direction === 'inbound') set.add(sender);
      for (const a of matcher.ofRaw(w.msg.raw)) set.add(a);
    }
    byNetworkId.set(netKey(w.msg.networkMessageId), w);
    if (w.contactId != null) lastByContact.set(`${w.contactId}:${w.account.id}`, { key, at: w.msg.createdAt });
  }
  return { byNetworkId, newConvs };
}

/**
 * 4b. Which conversations of the batch are imported history (`ConvWork.history`): every message
 * of theirs in the batch imported (or of a channel's backfill), the last one older than the cutoff, and new or stored as
 * history already (a live conversation stays live). Items flagged `history` are history whatever
 * their age: a conversation whose batch messages are all flagged skips the cutoff. Stored history
 * that the batch continues is resumed, so the import's messages are not a reopening. Whether the
 * batch has any.
 */
function markHistory(fresh: Work[], convs: Map<string, ConvWork>, now: number): boolean {
  let any = false;
  for (const w of fresh) if (PAST_SOURCES.has(w.item.source) || w.item.history === true) any = true;
  if (!any) return false;
  for (const c of convs.values()) {
    // stored history, or the brand's own post (resolved as written: a customer's first answer to it is a first contact)
    c.history = c.created || (c.state.status === 'resolved' && (isStoredHistory(c.state) || c.state.lastInboundAt === null) && c.existing!.assignee_id == null && c.existing!.team_id == null);
  }
  // conversations with a message that is history only by its age: their last message must be past the cutoff too
  let aged: Set<ConvWork> | null = null;
  for (const w of fresh) {
    const c = convs.get(w.conversationKey!)!;
    if (!c.history || w.item.history === true) continue;
    if (!PAST_SOURCES.has(w.item.source) || !isHistory(w.msg.createdAt, now)) c.history = false;
    else (aged ??= new Set()).add(c);
  }
  any = false;
  for (const c of convs.values()) {
    if (!c.history) continue;
    if (aged?.has(c) && !isHistory(c.state.lastMessageAt, now)) {
      c.history = false;
      continue;
    }
    any = true;
    if (!c.created && isStoredHistory(c.state)) {
      c.state = resumeHistory(c.state);
      c.historyResumed = true;
    }
  }
  return any;
}

/**
 * The `resolution` fact of each conversation of the batch stored as history (`asHistory`): at its
 * last message, measured from its cycle's start, with no agent (it was handled outside Parley)
 * and its team as the conversation has it. One per history conversation: a batch that continues
 * stored history first withdraws the fact it had (`withdrawHistoryResolutions`), and a re-import
 * dedupes its messages, so the conversation is not in the batch at all.
 */
function historyResolutions(convs: Map<string, ConvWork>, fresh: Work[], dims: (c: ConvWork, w: Work) => FactDimensions, business: (w: Work) => ((from: number, to: number) => number) | null): Fact[] {
  const last = new Map<ConvWork, Work>();
  for (const w of fresh) {
    const c = convs.get(w.conversationKey!)!;
    // the brand's own post with nobody answering it yet is no customer's conversation: nothing resolved
    if (!c.history || c.state.lastInboundAt === null) continue;
    const prev = last.get(c);
    if (!prev || w.msg.createdAt >= prev.msg.createdAt) last.set(c, w);
  }
  const out: Fact[] = [];
  for (const [c, w] of last) {
    const at = c.state.resolvedAt ?? c.state.lastMessageAt;
    out.push(factRow({ ...dims(c, w), agentId: null }, 'resolution', at, Math.min(c.state.cycleStartedAt, at), at, business(w), { history: true }));
  }
  return out;
}

/** Stored history's `resolution` facts on conversations this batch continues: deleted, and uncounted from their rollups. */
async function withdrawHistoryResolutions(trx: Tx, store: Store, brandId: number, convs: Map<string, ConvWork>): Promise<void> {
  const resumed = [...convs.values()].filter((c) => c.history && c.historyResumed && c.id != null);
  if (!resumed.length) return;
  // facts have no conversation index: the brand's resolutions since the oldest of these
  // conversations began (a resolution comes after its conversation's start), down (brand, kind, time)
  let since = Infinity;
  for (const c of resumed) since = Math.min(since, Number(c.existing?.created_at ?? -Infinity));
  for (const part of inLists(resumed.map((c) => c.id!))) {
    await withdrawFactsWhere(trx, store, (q) => {
      const scoped = q.where('brand_id', '=', brandId).where('kind', '=', 'resolution').where('conversation_id', 'in', part).where('data', '=', HISTORY_RESOLUTION_DATA);
      return Number.isFinite(since) ? scoped.where('occurred_at', '>=', since) : scoped;
    });
  }
}

/** 6. Each message's effect on its conversation's state, in time order; the facts those transitions make. */
function applyStates(fresh: Work[], convs: Map<string, ConvWork>, now: number): void {
  for (const w of fresh) {
    const conv = convs.get(w.conversationKey!)!;
    const inbound = w.msg.direction === 'inbound' && !w.msg.fromBrand;
    const wasResolved = conv.state.status === 'resolved';
    // a message that starts a wait (nothing was unanswered) speaks for the conversation; while
    // others wait unanswered, it does only if it is at least as urgent as they are — an
    // "ok thanks" after an unanswered complaint must not turn it into praise to monitor
    const speaks = wasResolved || conv.state.waitingSince === null || (w.triage?.priority.value ?? -1) >= conv.state.priority;
    const automatic = isAutomatic(w.msg);
    // a chaser of a wait not chased yet adds its points to where the conversation stands
    const chase = inbound && w.triage?.chaser.value && !conv.chased && conv.state.waitingSince !== null ? chaserPoints(w.triage) : 0;
    const standing = conv.state.priority;
    const waitedSince = conv.state.waitingSince;
    // written before the conversation's latest resolve, received after it (a webhook retry, a sync
    // catching up): it counts from now — nobody could have answered it before — as its SLA clock does
    const resolve = conv.lastResolvedAt;
    const late = inbound && resolve != null && w.msg.createdAt <= resolve && resolve < now;
    const r = applyMessage(conv.state, {
      direction: inbound ? 'inbound' : 'outbound',
      createdAt: w.msg.createdAt,
      isAuto: automatic,
      priority: w.triage?.priority.value ?? null,
      // an automatic message (an out-of-office, a bounce) answers nobody's question either
      closesOnly: inbound && wasResolved && (automatic || closesConversation(w.triage)),
      chaserPoints: chase,
      countsFrom: late ? now : null,
    });
    conv.state = r.state;
    // once per unanswered stretch: a new wait (after an answer, or reopening) may be chased again
    if (r.state.waitingSince === null || (inbound && (waitedSince === null || wasResolved))) conv.chased = false;
    if (inbound && w.triage?.chaser.value) conv.chased = true;
    // the chaser's triage explains the priority it gave the conversation (its own text scored less)
    if (chase && w.triage && r.state.priority > w.triage.priority.value && r.state.priority > standing) w.triage = { ...w.triage, priority: chasedPriority(standing, chase) };
    // a closing message recorded on a resolved conversation begins nothing: no SLA event
    const recordedOnly = inbound && wasResolved && r.state.status === 'resolved';
    // a backfilled message's clocks count from when the desk first saw its conversation (deskFirstSaw in sla.ts)
    if (!recordedOnly) {
      const backfill = w.item.source === 'backfill';
      conv.events.push(inbound ? { type: 'inbound', at: w.msg.createdAt, chaser: w.triage?.chaser.value ?? false, receivedAt: now, ...(backfill ? { backfill } : {}) } : { type: 'outbound', at: w.msg.createdAt, autoAck: automatic, ...(backfill ? { backfill, receivedAt: now } : {}) });
    }
    if (inbound) {
      conv.inbound = true;
      if (wasResolved && r.state.status === 'open') conv.reopened = true;
      if (w.triage && speaks) conv.triage = w.triage;
      if (conv.contactId == null && w.contactId != null) conv.contactId = w.contactId;
    }
    for (const f of r.facts) conv.facts.push({ draft: f, work: w });
  }
}

/** A message row as the pipeline inserts it: the raw payload may be its exact UTF-8 bytes. */
type MessageRow = Omit<NewMessage, 'raw'> & { raw: StoredRaw | null };

/** 7d. The message rows, with their reply links, and each inbound message's first reply (in the batch or stored before it). */
function messageRows(brandId: number, fresh: Work[], th: Threading, now: number): { msgRows: MessageRow[]; firstReply: Map<number, FirstReply>; rowById: Map<number, MessageRow> } {
  const { byNetworkId, refs, children, convs } = th;
  // message-level reply links (reply_to_message_id) and first-reply times
  // inbound message id → its first reply (and the inbound's triage, for the fact)
  const firstReply = new Map<number, FirstReply>();
  const msgRows: MessageRow[] = fresh.map((w) => {
    const netKey = (id: string) => `${w.msg.network}\u0000${id}`;
    let replyTo: number | null = null;
    if (w.msg.inReplyToNetworkId) {
      const p = byNetworkId.get(netKey(w.msg.inReplyToNetworkId));
      const stored = refs.get(netKey(w.msg.inReplyToNetworkId));
      replyTo = p?.messageId ?? stored?.id ?? null;
      const outbound = w.msg.direction === 'outbound' || w.msg.fromBrand;
      if (outbound && !isAutomatic(w.msg)) {
        const parentInbound = p ? (p.msg.direction === 'inbound' && !p.msg.fromBrand) : stored?.direction === 'inbound';
        const parentAt = p ? p.msg.createdAt : stored?.created_at;
        const parentFirst = p ? undefined : stored?.first_reply_at;
        if (replyTo != null && parentInbound && parentFirst == null && parentAt != null && w.msg.createdAt >= parentAt) {
          const cur = firstReply.get(replyTo);
          const needs = p ? (p.triage ? p.triage.action.value === 'respond' : null) : stored?.triage_action ? stored.triage_action === 'respond' : null;
          const sentiment = p ? p.triage?.sentiment.value ?? null : stored?.sentiment ?? null;
          if (!cur || w.msg.createdAt < cur.at) firstReply.set(replyTo, { at: w.msg.createdAt, inboundAt: parentAt, work: w, needs, sentiment });
        }
      }
    }
    const t = encodeText(w.msg.text);
    const tri = w.triage;
    return {
      id: w.messageId!, brand_id: brandId, conversation_id: convs.get(w.conversationKey!)!.id!, channel_account_id: w.account.id, network: w.msg.network,
      network_message_id: w.msg.networkMessageId, direction: w.msg.fromBrand ? 'outbound' : w.msg.direction, visibility: w.msg.visibility, kind: w.msg.kind,
      author_identity_id: w.identityId ?? null, author_user_id: null, in_reply_to_network_id: w.msg.inReplyToNetworkId ?? null,
      thread_root_network_id: w.msg.threadRootNetworkId ?? null, reply_to_message_id: replyTo, text: t.text, text_escaped: t.escaped,
      url: sanitizeShortText(w.msg.url ?? null, 4096), created_at: w.msg.createdAt, received_at: now, raw: w.raw, status: w.msg.direction === 'inbound' && !w.msg.fromBrand ? 'received' : 'sent',
      error: null, is_auto: isAutomatic(w.msg) ? 1 : 0, source: w.item.source, idempotency_key: null,
      triage: storeTriage(tri), triage_action: tri?.action.value ?? null, triage_category: tri?.category.value ?? null,
      sentiment: tri?.sentiment.value ?? null, complaint: tri ? (tri.complaint.value ? 1 : 0) : null, accolade: tri ? (tri.accolade.value ? 1 : 0) : null,
      chaser: tri ? (tri.chaser.value ? 1 : 0) : null, intent: tri?.intent?.value ?? null, language: tri?.language.value ?? null,
      priority: tri?.priority.value ?? null, first_reply_at: null, original_sent_at: w.originalSentAt,
    };
  });
  // A stored reply that arrived before this inbound message (out-of-order import/delivery).
  for (const w of fresh) {
    if (w.msg.direction !== 'inbound' || w.msg.fromBrand) continue;
    const kids = children.get(`${w.msg.network}\u0000${w.msg.networkMessageId}`) ?? [];
    for (const k of kids) {
      if (k.direction !== 'outbound' || k.is_auto || k.created_at < w.msg.createdAt) continue;
      const cur = firstReply.get(w.messageId!);
      if (!cur || k.created_at < cur.at) firstReply.set(w.messageId!, { at: k.created_at, inboundAt: w.msg.createdAt, work: w, needs: w.triage ? w.triage.action.value === 'respond' : null, sentiment: w.triage?.sentiment.value ?? null });
    }
  }
  const rowById = new Map(msgRows.map((r) => [r.id!, r]));
  for (const [inboundId, fr] of firstReply) {
    const row = rowById.get(inboundId);
    if (row) row.first_reply_at = fr.at;
  }
  return { msgRows, firstReply, rowById };
}

/** A message the network marks as automated: stored as automatic — a brand's never counts as a response, a customer's (an auto-reply, a bounce) never gets an auto-acknowledgement. */
const isAutomatic = (m: NormalizedMessage): boolean => !!m.automated;

const IDENTITY_REFRESH_COLUMNS = ['handle', 'handle_key', 'display_name', 'followers', 'verified', 'profile_url', 'avatar_url', 'updated_at'] as const;

function identityColumns(m: NormalizedMessage) {
  const a = m.author;
  const handle = sanitizeShortText(a.handle) ?? '';
  return {
    handle,
    // contact search's fold of it (src/core/searchKey.ts), refreshed with it
    handle_key: searchKey(handle),
    display_name: sanitizeShortText(a.displayName ?? null),
    followers: a.followers ?? null,
    verified: a.verified == null ? null : a.verified ? 1 : 0,
    profile_url: sanitizeShortText(a.profileUrl ?? null),
    avatar_url: sanitizeShortText(a.avatarUrl ?? null),
  } as { handle: string; handle_key: string; display_name: string | null; followers: number | null; verified: number | null; profile_url: string | null; avatar_url: string | null };
}

function identityToJson(i: ContactIdentity): AuthorJson {
  return {
    identityId: i.id, contactId: i.contact_id, network: i.network, handle: i.handle, displayName: i.display_name, followers: i.followers,
    verified: i.verified === 1, profileUrl: i.profile_url, avatarUrl: i.avatar_url,
  };
}

function subjectOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return (sanitizeShortText(flat.length > 200 ? flat.slice(0, 199) + '…' : flat) ?? '').toWellFormed();
}

/** Full-text indexing within a batch once this many messages wait for it (see src/store/fts.ts). */
const FTS_MIN_PENDING = 2_000;

/** Columns an ingest batch may change on an existing conversation. */
const UPSERT_COLUMNS = [
  'status', 'created_at', 'last_message_at', 'last_inbound_at', 'last_outbound_at', 'waiting_since', 'first_response_at', 'cycle_started_at', 'cycle_first_response_at',
  'resolved_at', 'reopened_count', 'snoozed_until', 'message_count', 'priority', 'sentiment', 'category', 'triage_action', 'intent', 'language', 'contact_id', 'updated_at',
  'queued_at', 'sla_due_at', 'sla_state', 'sla',
] as const;

export function stateOf(c: Conversation): ConversationState {
  return {
    status: c.status as ConversationState['status'], createdAt: c.created_at, lastMessageAt: c.last_message_at, lastInboundAt: c.last_inbound_at,
    lastOutboundAt: c.last_outbound_at, waitingSince: c.waiting_since, firstResponseAt: c.first_response_at, cycleStartedAt: c.cycle_started_at,
    cycleFirstResponseAt: c.cycle_first_response_at, resolvedAt: c.resolved_at, reopenedCount: c.reopened_count, snoozedUntil: c.snoozed_until,
    messageCount: c.message_count, priority: c.priority,
  };
}

export function stateColumns(s: ConversationState) {
  return {
    status: s.status, created_at: s.createdAt, last_message_at: s.lastMessageAt, last_inbound_at: s.lastInboundAt, last_outbound_at: s.lastOutboundAt,
    waiting_since: s.waitingSince, first_response_at: s.firstResponseAt, cycle_started_at: s.cycleStartedAt, cycle_first_response_at: s.cycleFirstResponseAt,
    resolved_at: s.resolvedAt, reopened_count: s.reopenedCount, snoozed_until: s.snoozedUntil, message_count: s.messageCount, priority: s.priority,
  };
}

function triageColumns(t: TriageResult | null) {
  if (!t) return {};
  return { sentiment: t.sentiment.value, category: t.category.value, triage_action: t.action.value, intent: t.intent?.value ?? null, language: t.language.value };
}

/** The row to write: the stored one (or a new one) with this batch's state and triage. */
function conversationRow(brandId: number, c: ConvWork, now: number): Conversation {
  const base: Conversation = c.existing ?? {
    id: c.id!, brand_id: brandId, channel_account_id: c.channelAccountId, contact_id: c.contactId, network: c.network, visibility: c.visibility, status: 'new', priority: 0,
    assignee_id: null, team_id: null, subject: c.subject, created_at: c.state.createdAt, updated_at: now, last_message_at: c.state.lastMessageAt, last_inbound_at: null,
    last_outbound_at: null, waiting_since: null, first_response_at: null, cycle_started_at: c.state.cycleStartedAt, cycle_first_response_at: null, resolved_at: null,
    reopened_count: 0, snoozed_until: null, message_count: 0, version: 0, sentiment: null, category: null, triage_action: null, intent: null, language: null,
    sla_due_at: null, sla_state: null, sla: null, queued_at: null, incident_id: null, origin: c.origin ?? null,
  };
  return { ...base, ...stateColumns(c.state), ...triageColumns(c.triage), contact_id: c.contactId, updated_at: now };
}
