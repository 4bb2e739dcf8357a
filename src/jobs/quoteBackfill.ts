/**
 * The backfill of quoted passages for notes and expert questions written before `quote_passage`
 * existed (migration 20261207T0200), as a background job in bounded steps. Migration
 * 20261207T0310 only marks what needs doing (`markMissingQuotes`: a cursor in kv, up to the
 * newest note and question then); `backfillQuotes` runs from the recurring sweep (src/app.ts,
 * one process at a time on PostgreSQL). The lookup of what a note may quote of other
 * conversations takes tens of statements on a large brand (13-50 s per 1,000 notes at a million
 * messages, docs/performance.md "Quotes of other conversations"): inside the migration it held
 * SQLite's one write lock all that time. Here each step reads a few notes and their lookups
 * outside any transaction (`quotableBeforeWriting`), then writes their passages and moves the
 * cursor in one short transaction: a crash loses at most the step under way, which the next run
 * does again (nothing of it was written), and a note already holding passages is passed over, so
 * nothing is recorded twice. When the cursor reaches its end it is deleted.
 */
import { sql } from 'kysely';
import { mayQuote, quotableBeforeWriting, recordNoteQuotes, recordQuestionQuotes, type Quotable } from '../commands/expertQuotes.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/db.js';
import type { Tx } from '../store/util.js';
import type { Jobs } from './jobs.js';

/** The kv key of the backfill's cursor. */
export const QUOTE_BACKFILL_KEY = 'quote.backfill';
/** Notes (or questions) a step reads and records at most. */
export const QUOTE_BACKFILL_BATCH = 10;
/** How long one run of the sweep goes on taking steps (it stops after the step under way). */
const RUN_BUDGET_MS = 1_000;
/** How often the sweep runs: once the cursor is gone, a run is one read of kv. */
export const QUOTE_BACKFILL_EVERY_MS = 2_000;

type Subject = 'note' | 'expert_request';

/** Where the backfill is: the ids up to which it records (the newest when marked), and the last id done, per table. */
interface Cursor {
  upto: Record<Subject, number>;
  after: Record<Subject, number>;
}

function parseCursor(value: string | undefined): Cursor | null {
  if (value == null) return null;
  try {
    const c = JSON.parse(value) as Cursor;
    const ok = (r: unknown) => !!r && typeof r === 'object' && ['note', 'expert_request'].every((k) => Number.isFinite((r as Record<string, unknown>)[k]));
    return ok(c.upto) && ok(c.after) ? c : null;
  } catch {
    return null;
  }
}

/**
 * Mark the notes and questions written so far for the backfill (migration 20261207T0310): a
 * cursor up to the newest ids, from the start. A cursor already there keeps where it is and
 * reaches the newest ids too. Nothing when there is neither note nor question. Returns whether
 * there is work.
 */
export async function markMissingQuotes(db: Tx, now: number): Promise<boolean> {
  const max = async (table: Subject) => Number((await sql<{ m: number | string | null }>`SELECT max(id) AS m FROM ${sql.table(table)}`.execute(db)).rows[0]?.m ?? 0);
  const upto = { note: await max('note'), expert_request: await max('expert_request') };
  if (!upto.note && !upto.expert_request) return false;
  const was = parseCursor((await db.selectFrom('kv').select('value').where('key', '=', QUOTE_BACKFILL_KEY).executeTakeFirst())?.value);
  const cursor: Cursor = was
    ? { upto: { note: Math.max(was.upto.note, upto.note), expert_request: Math.max(was.upto.expert_request, upto.expert_request) }, after: was.after }
    : { upto, after: { note: 0, expert_request: 0 } };
  const value = JSON.stringify(cursor);
  await db.insertInto('kv').values({ key: QUOTE_BACKFILL_KEY, value, updated_at: now }).onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now })).execute();
  return true;
}

export interface BackfillStepOptions {
  /** Rows read a step (QUOTE_BACKFILL_BATCH). */
  batch?: number;
  /** Called in the step's transaction before its cursor moves (tests: a crash mid-step). */
  beforeCommit?: () => Promise<void>;
}

/**
 * One step of the backfill: the next notes (then questions) after the cursor without passages
 * recorded, their lookups of other conversations outside any transaction, then in one
 * transaction each one's passages (`recordNoteQuotes`, `recordQuestionQuotes`, against its
 * conversation as it is then) and the cursor moved past them. In the transaction each row is
 * read again: gone, or holding passages by now, it is passed over; rewritten meanwhile (an
 * erasure), its new text is recorded, looked up there. A cursor another run moved meanwhile:
 * nothing written. Returns whether the backfill is done and the passages recorded.
 */
export async function backfillQuotesStep(store: Store, now: number, opts: BackfillStepOptions = {}): Promise<{ done: boolean; recorded: number }> {
  const batch = opts.batch ?? QUOTE_BACKFILL_BATCH;
  const raw = (await store.db.selectFrom('kv').select('value').where('key', '=', QUOTE_BACKFILL_KEY).executeTakeFirst())?.value;
  if (raw == null) return { done: true, recorded: 0 };
  const start = parseCursor(raw);
  const subject: Subject | null = !start ? null : start.after.note < start.upto.note ? 'note' : start.after.expert_request < start.upto.expert_request ? 'expert_request' : null;
  if (!start || !subject) {
    // done (or a cursor nobody can read: nothing to resume from); unless it was marked again meanwhile
    await store.db.deleteFrom('kv').where('key', '=', QUOTE_BACKFILL_KEY).where('value', '=', raw).execute();
    return { done: true, recorded: 0 };
  }
  const after = start.after[subject];
  const upto = start.upto[subject];
  const rows = await pending(store.db, subject, after, upto, batch);
  const reached = rows.length < batch ? upto : rows[rows.length - 1]!.id;
  // what each may quote of other conversations, read before the write lock is taken
  const looked = new Map<number, Quotable[]>();
  for (const r of rows) if (mayQuote(r.text)) looked.set(r.id, await quotableBeforeWriting(store.db, r.brandId, r.text));
  const recorded = await store.db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('kv').select('value').where('key', '=', QUOTE_BACKFILL_KEY);
    if (store.dialect === 'postgres') q = q.forUpdate();
    const cursor = parseCursor((await q.executeTakeFirst())?.value);
    if (!cursor || cursor.after[subject] !== after) return 0;
    let n = 0;
    const ids = rows.map((r) => r.id);
    if (ids.length) {
      const current = new Map((await pendingById(trx, subject, ids)).map((r) => [r.id, r]));
      for (const r of rows) {
        const c = current.get(r.id);
        if (!c) continue;
        const elsewhere = c.text === r.text ? looked.get(r.id) ?? [] : undefined;
        n += subject === 'note'
          ? await recordNoteQuotes(trx, { brandId: c.brandId, conversationId: c.conversationId, noteId: c.id, text: c.text, now, elsewhere })
          : await recordQuestionQuotes(trx, { brandId: c.brandId, conversationId: c.conversationId, requestId: c.id, text: c.text, now, elsewhere });
      }
    }
    await opts.beforeCommit?.();
    const value = JSON.stringify({ ...cursor, after: { ...cursor.after, [subject]: reached } });
    await trx.updateTable('kv').set({ value, updated_at: now }).where('key', '=', QUOTE_BACKFILL_KEY).execute();
    return n;
  });
  return { done: false, recorded };
}

interface Pending { id: number; brandId: number; conversationId: number; text: string }

/** Notes or questions after `after`, up to `upto`, without passages recorded, oldest first. */
async function pending(db: Tx, subject: Subject, after: number, upto: number, limit: number): Promise<Pending[]> {
  if (subject === 'note') {
    const rows = await db.selectFrom('note').select(['id', 'brand_id', 'conversation_id', 'text']).where('id', '>', after).where('id', '<=', upto)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('quote_passage').select('quote_passage.id').where('quote_passage.subject_type', '=', 'note').whereRef('quote_passage.subject_id', '=', 'note.id'))))
      .orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ id: Number(r.id), brandId: Number(r.brand_id), conversationId: Number(r.conversation_id), text: r.text }));
  }
  const rows = await db.selectFrom('expert_request').select(['id', 'brand_id', 'conversation_id', 'question']).where('id', '>', after).where('id', '<=', upto)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('quote_passage').select('quote_passage.id').where('quote_passage.subject_type', '=', 'expert_request').whereRef('quote_passage.subject_id', '=', 'expert_request.id'))))
    .orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: Number(r.id), brandId: Number(r.brand_id), conversationId: Number(r.conversation_id), text: r.question }));
}

/** Of these notes or questions, those still there without passages recorded, as they are now. */
async function pendingById(trx: Tx, subject: Subject, ids: number[]): Promise<Pending[]> {
  if (subject === 'note') {
    const rows = await trx.selectFrom('note').select(['id', 'brand_id', 'conversation_id', 'text']).where('id', 'in', ids)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('quote_passage').select('quote_passage.id').where('quote_passage.subject_type', '=', 'note').whereRef('quote_passage.subject_id', '=', 'note.id'))))
      .execute();
    return rows.map((r) => ({ id: Number(r.id), brandId: Number(r.brand_id), conversationId: Number(r.conversation_id), text: r.text }));
  }
  const rows = await trx.selectFrom('expert_request').select(['id', 'brand_id', 'conversation_id', 'question']).where('id', 'in', ids)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('quote_passage').select('quote_passage.id').where('quote_passage.subject_type', '=', 'expert_request').whereRef('quote_passage.subject_id', '=', 'expert_request.id'))))
    .execute();
  return rows.map((r) => ({ id: Number(r.id), brandId: Number(r.brand_id), conversationId: Number(r.conversation_id), text: r.question }));
}

/**
 * Steps of the backfill (`backfillQuotesStep`) until it is done or about RUN_BUDGET_MS went by
 * (the recurring run; `budgetMs: Infinity` to the end). Returns whether it is done and the
 * passages recorded.
 */
export async function backfillQuotes(store: Store, clock: Clock, opts: BackfillStepOptions & { budgetMs?: number } = {}): Promise<{ done: boolean; recorded: number }> {
  const budget = opts.budgetMs ?? RUN_BUDGET_MS;
  const started = performance.now();
  let recorded = 0;
  for (;;) {
    const step = await backfillQuotesStep(store, clock.now(), opts);
    recorded += step.recorded;
    if (step.done) return { done: true, recorded };
    if (performance.now() - started >= budget) return { done: false, recorded };
  }
}

/** The recurring backfill (src/app.ts): a run every QUOTE_BACKFILL_EVERY_MS, one process at a time. */
export function registerQuoteBackfill(jobs: Jobs, store: Store, clock: Clock): void {
  jobs.every('quotes.backfill', QUOTE_BACKFILL_EVERY_MS, async () => void (await backfillQuotes(store, clock)));
}
