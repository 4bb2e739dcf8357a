/**
 * Which customers' messages an expert question, or the expert's answer to it, quotes: recorded
 * when the question is asked or answered (`expert_quote`), so that erasing a person finds every
 * question that quotes them by their messages' ids, wherever it was asked (a conversation of
 * several people, someone else's conversation), with its `expert.asked` entry, its notices and
 * its answer (src/commands/erase.ts). A quote is what erasure would erase as one
 * (`quotePassages`: a message whole, a line or a sentence of it, of 20 characters or more,
 * whatever the case or spacing). The messages looked at are the inbound ones of the question's
 * conversation, every participant's, and those of other conversations of the brand that share a
 * run of words with the text (the messages' word index: `quotableElsewhere`; an agent pastes
 * a line of the customer's earlier conversation, or of someone else's), so a quote of a message on
 * another conversation is recorded too. A question asked before this record existed is still
 * found by its text (`quoteScrubber`) while the message has one.
 *
 * The passages quoted (in a question, in any internal note: `recordNoteQuotes`, and in a reply
 * draft waiting for sign-off: `recordDraftQuotes`) are also kept by their length and keyed hash
 * (`quote_passage`, never their text): a message redacted later (its author deleted it) has no
 * text to look for, but erasing its author still finds the note, question or draft by the
 * message's id and the quote in it by its hash (`recordedPassageScrubber`). Notes and questions
 * written before that record (migration 20261207T0200) are recorded once by migration
 * 20261207T0310 (`recordMissingQuotes`), while the messages they quote still have their text.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { PostgresAdapter, sql } from 'kysely';
import { decodeText } from '../store/text.js';
import type { Tx } from '../store/util.js';
import { quotePassages } from './erase.js';

/** The conversation's messages read for quotes at most (its newest): a question quotes what the agent is looking at. */
const MAX_MESSAGES = 2_000;

/** Where a quote is: the question (its audit entry and notices copy it) or the expert's answer (a note, and its notice). */
export type QuotePart = 'question' | 'answer';

/** A text as passages are compared: NFC, lower case, each run of white space one space. */
const comparable = (s: string) => s.normalize('NFC').replace(/\s+/gu, ' ').toLowerCase();

/** The ids of the messages `text` quotes (a passage of theirs appears in it), in the order given. */
export function quotedMessageIds(text: string, messages: readonly { id: number; text: string }[]): number[] {
  const within = comparable(text);
  return messages.filter((m) => quotePassages(m.text).some((p) => within.includes(p))).map((m) => m.id);
}

/**
 * Record which inbound messages of the question's conversation `text` (its question or its
 * answer) quotes, in the caller's transaction (the one that writes the question or answer).
 * Returns the ids recorded.
 */
export async function recordExpertQuotes(trx: Tx, p: { brandId: number; conversationId: number; requestId: number; part: QuotePart; text: string; now: number; elsewhere?: Quotable[] }): Promise<number[]> {
  const messages = await quotable(trx, p.brandId, p.conversationId, p.text, p.elsewhere);
  const ids = quotedMessageIds(p.text, messages);
  if (ids.length) {
    await trx.insertInto('expert_quote').values(ids.map((messageId) => ({ brand_id: p.brandId, expert_request_id: p.requestId, message_id: messageId, part: p.part, created_at: p.now }))).execute();
  }
  // the question's passages, by their keyed hash (an answer is a note: addNote records its own)
  if (p.part === 'question') await insertPassages(trx, { brandId: p.brandId, subjectType: 'expert_request', subjectId: p.requestId, now: p.now }, quotedPassages(p.text, messages));
  return ids;
}

/**
 * The replies (id and text) that used an expert's answer: they hold it whole, or one of its lines
 * or sentences of 20 characters or more (`quotePassages`, whatever the case or spacing), as "Use in
 * reply" puts it in the composer and the agent trims it. Told to an expert who corrects the answer
 * (`editExpertAnswer`): a reply already sent keeps what it said.
 */
export function repliesUsing(answer: string, replies: readonly { id: number; text: string }[]): number[] {
  const whole = comparable(answer).trim();
  if (!whole) return [];
  return replies.filter((r) => comparable(r.text).includes(whole) || quotedMessageIds(r.text, [{ id: r.id, text: answer }]).length > 0).map((r) => r.id);
}

/** The kv key of the desk's quote key: passages are kept as HMAC-SHA256 under it (`quote_passage`). */
const QUOTE_KEY = 'quote.key';

/**
 * The desk's key for quoted passages' hashes, made (32 random bytes) when first needed; null when
 * there is none and `create` is false (nothing was recorded then).
 */
export async function quoteKey(trx: Tx, now: number, create = true): Promise<Buffer | null> {
  const read = async () => (await trx.selectFrom('kv').select('value').where('key', '=', QUOTE_KEY).executeTakeFirst())?.value;
  let value = await read();
  if (value == null && create) {
    await trx.insertInto('kv').values({ key: QUOTE_KEY, value: randomBytes(32).toString('base64url'), updated_at: now }).onConflict((oc) => oc.column('key').doNothing()).execute();
    value = await read();
  }
  return value == null ? null : Buffer.from(value, 'base64url');
}

/** A passage's keyed hash, as stored. */
export const passageHash = (key: Buffer, passage: string): string => createHmac('sha256', key).update(passage).digest('base64url');

/** Passages of one message recorded for one quoting text at most (the longest). */
const MAX_PASSAGES_PER_MESSAGE = 20;

/**
 * The passages of these messages that `text` quotes (`quotePassages`), longest first per message,
 * as the rows of `quote_passage` keep them: the message's id, the passage's length and keyed hash.
 */
export function quotedPassages(text: string, messages: readonly { id: number; text: string }[]): { messageId: number; passage: string }[] {
  const within = comparable(text);
  return messages.flatMap((m) => quotePassages(m.text).filter((p) => within.includes(p)).sort((a, b) => b.length - a.length).slice(0, MAX_PASSAGES_PER_MESSAGE)
    .map((passage) => ({ messageId: m.id, passage })));
}

/**
 * What a note, question or draft on a conversation may quote: the conversation's inbound messages
 * not yet redacted, newest first (MAX_MESSAGES), and those of other conversations that share a run
 * of words with `text` (`quotableElsewhere`), or `elsewhere` when the caller read them before its
 * write transaction (`quotableBeforeWriting`). Each message once.
 */
async function quotable(trx: Tx, brandId: number, conversationId: number, text: string, elsewhere?: Quotable[]): Promise<Quotable[]> {
  const rows = await trx.selectFrom('message').select(['id', 'text', 'text_escaped']).where('conversation_id', '=', conversationId).where('brand_id', '=', brandId)
    .where('direction', '=', 'inbound').where('redacted_at', 'is', null).orderBy('id', 'desc').limit(MAX_MESSAGES).execute();
  const all = new Map(rows.map((m) => [Number(m.id), decodeText(m.text, m.text_escaped)]));
  for (const m of elsewhere ?? await quotableElsewhere(trx, brandId, conversationId, text)) if (!all.has(m.id)) all.set(m.id, m.text);
  return [...all].map(([id, t]) => ({ id, text: t }));
}

/** Whether a text is long enough to quote a passage (a shorter one records none, and looks nothing up). */
export const mayQuote = (text: string): boolean => comparable(text).trim().length >= 20;

/** A message a text may quote: its id and text. */
export interface Quotable {
  id: number;
  text: string;
}

/**
 * The messages of the brand's conversations `text` may quote, read before the write transaction
 * that records its quotes (`elsewhere` of `recordNoteQuotes`, `recordDraftQuotes`,
 * `recordExpertQuotes`): the lookup takes tens of statements on a large brand (docs/performance.md,
 * "Quotes of other conversations"), and on SQLite a write transaction holds the one write lock,
 * so ingest would wait for all of them; outside it, each statement takes its turn with the others.
 * A message stored or redacted in between changes nothing that matters: the text quotes what its
 * writer read before, and a passage of a message redacted since is still its own.
 */
export function quotableBeforeWriting(db: Tx, brandId: number, text: string): Promise<Quotable[]> {
  return quotableElsewhere(db, brandId, null, text);
}

/**
 * Characters (letters and digits, one space between words) of a run of words looked up in the
 * messages' word index at least (`quotableElsewhere`): a passage has 20 or more with its
 * punctuation, so its first words make such a run; a shorter run ("my order has") is in too many
 * messages to look up in a note's transaction.
 */
const MIN_RUN = 16;
/** Runs of words of one text considered at most (its first). */
const MAX_WINDOWS = 600;

/**
 * The runs of words of a text (letters and digits, lower case, NFC) that a passage quoted in it
 * starts with: from each word, the fewest words that make MIN_RUN characters; each once, in order
 * (MAX_WINDOWS).
 */
export function wordWindows(text: string): string[] {
  const words = text.normalize('NFC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<string>();
  for (let i = 0; i < words.length && out.size < MAX_WINDOWS; i++) {
    let j = i;
    let length = words[i]!.length;
    while (length < MIN_RUN && j + 1 < words.length) length += 1 + words[++j]!.length;
    if (length < MIN_RUN) break;
    out.add(words.slice(i, j + 1).join(' '));
  }
  return [...out];
}

/**
 * Words in so large a share of what customers and agents write that a run made only of them
 * ("thank you so much for", "we are looking into") is nobody's words to record, and that the
 * word index reads slowly: it reads a phrase's every word's whole list of messages and positions,
 * so on 1,000,000 messages one phrase of them took 25–75 ms, a long note of them seconds
 * (docs/performance.md, "Quotes of other conversations"). A run is looked up by its other words.
 */
export const COMMON_WORDS: ReadonlySet<string> = new Set(`
  a about above after again against all also am an and any anything are aren as ask at back be because been before being below between both but by
  can cannot could couldn d day did didn dm do does doesn doing don done down during each else even ever every few for from further get gets getting give go going gone good got great
  had hadn has hasn have haven having he hear hello help her here hers herself hey hi him himself his how i if im in into is isn it its itself just know
  let like ll look looking looks m make many me more most much my myself need no nor not now of off ok okay on once one only or other our ours ourselves out over own
  new please re really s said same say see she should shouldn so some soon sorry still such sure t take tell than thank thanks that the their theirs them themselves then there these they
  this those through time to today told too under until up us ve very want was wasn way we well were weren what when where which while who whom why will with within won work would wouldn
  yes yet you your yours yourself yourselves
`.trim().split(/\s+/u));

/** Runs of words of one text looked up at most: the most specific (`lookupRuns`). */
export const MAX_LOOKUPS = 48;
/** Messages of other conversations taken per run looked up at most (the newest), and per text. */
const PER_RUN = 20;
export const MAX_CANDIDATES = 400;
/** Messages holding a run's uncommon words read per run at most (the newest; SQLite), for its phrase. */
const SCAN_PER_RUN = 1_000;

/** A run of words looked up: the run, its words outside COMMON_WORDS, its number of words. */
export interface LookupRun { run: string; words: string[]; span: number }

/**
 * The runs of words of a text looked up for the passages it may quote (`wordWindows`), those with a
 * word outside COMMON_WORDS, the most specific first (more such words, then more of their
 * letters), MAX_LOOKUPS at most. A quoted passage of 20 characters has at least one run: runs
 * start at each of its words, so a passage whose every run is skipped is made of common words
 * only, or its runs lost to MAX_LOOKUPS more specific ones of a long text.
 */
export function lookupRuns(text: string): LookupRun[] {
  const runs = wordWindows(text).map((run, at) => {
    const all = run.split(' ');
    const words = all.filter((w) => !COMMON_WORDS.has(w));
    return { run, words, span: all.length, at, score: words.length * 1_000 + words.reduce((n, w) => n + w.length, 0) };
  }).filter((r) => r.words.length);
  runs.sort((a, b) => b.score - a.score || a.at - b.at);
  return runs.slice(0, MAX_LOOKUPS).map(({ run, words, span }) => ({ run, words, span }));
}

/** FTS5: the messages holding the run's uncommon words, as close as the run holds them. */
const ftsKey = (r: LookupRun) => r.words.length === 1 ? `"${r.words[0]}"` : `NEAR(${r.words.map((w) => `"${w}"`).join(' ')}, ${r.span})`;
/** SQLite LIKE (ASCII case-insensitive): the run's words in order, anything between (a word with other letters: anything). */
const likeRun = (r: LookupRun) => `%${r.run.split(' ').map((w) => (/^[a-z0-9]+$/u.test(w) ? w : '')).join('%')}%`.replace(/%+/gu, '%');

/**
 * Inbound messages of the brand's other conversations, not yet redacted, that `text` may quote:
 * those holding one of its runs of words (`lookupRuns`) as a phrase, by the messages' word index,
 * the newest PER_RUN per run, MAX_CANDIDATES in all. SQLite: FTS5 `message_fts` finds the
 * newest messages with the run's uncommon words (SCAN_PER_RUN; a phrase with common words would
 * read their long lists), the run's words in order are then checked on the message (LIKE); the
 * messages above its watermark not yet indexed are read as they are. PostgreSQL: the GIN index on
 * `search`, by the run's uncommon words and its phrase. No ranking: ranking reads every match.
 * The caller decides on the text (`quotedPassages`): a shared run of words is not yet a quote.
 */
async function quotableElsewhere(trx: Tx, brandId: number, conversationId: number | null, text: string): Promise<Quotable[]> {
  if (comparable(text).trim().length < 20) return [];
  const runs = lookupRuns(text);
  if (!runs.length) return [];
  const postgres = trx.getExecutor().adapter instanceof PostgresAdapter;
  const rows = new Map<number, string>();
  const add = (r: { id: number | string; text: string; text_escaped: string | null }) => rows.set(Number(r.id), decodeText(r.text, r.text_escaped));
  for (const r of runs) {
    if (rows.size >= MAX_CANDIDATES) break;
    if (postgres) {
      const found = await sql<{ id: string; text: string; text_escaped: string | null }>`
        SELECT m.id, m.text, m.text_escaped FROM message m
        WHERE m.search @@ (plainto_tsquery('simple'::regconfig, ${r.words.join(' ')}) && phraseto_tsquery('simple'::regconfig, ${r.run}))
          AND m.brand_id = ${brandId} AND m.direction = 'inbound' AND m.redacted_at IS NULL AND m.conversation_id <> ${conversationId ?? -1}
        LIMIT ${PER_RUN}`.execute(trx);
      found.rows.forEach(add);
    } else {
      const found = await sql<{ id: number; text: string; text_escaped: string | null }>`
        SELECT m.id, m.text, m.text_escaped FROM (SELECT rowid AS id FROM message_fts WHERE message_fts MATCH ${ftsKey(r)} ORDER BY rowid DESC LIMIT ${SCAN_PER_RUN}) f
        CROSS JOIN message m ON m.id = f.id
        WHERE m.brand_id = ${brandId} AND m.direction = 'inbound' AND m.redacted_at IS NULL AND m.conversation_id <> ${conversationId ?? -1} AND m.text LIKE ${likeRun(r)}
        LIMIT ${PER_RUN}`.execute(trx);
      found.rows.forEach(add);
    }
  }
  if (!postgres) {
    // stored since the index's last batch (src/store/fts.ts): read as they are, by id from the
    // watermark (unary + keeps the brand's indexes out: they would read all its messages)
    const watermark = Number((await sql<{ w: number | null }>`SELECT CAST(value AS INTEGER) AS w FROM kv WHERE key = 'fts.watermark'`.execute(trx)).rows[0]?.w ?? 0);
    const unindexed = await sql<{ id: number; text: string; text_escaped: string | null }>`
      SELECT id, text, text_escaped FROM message
      WHERE id > ${watermark} AND +brand_id = ${brandId} AND +direction = 'inbound' AND +redacted_at IS NULL AND +conversation_id <> ${conversationId ?? -1}
      ORDER BY id DESC LIMIT ${MAX_MESSAGES}`.execute(trx);
    unindexed.rows.forEach(add);
  }
  return [...rows].map(([id, t]) => ({ id, text: t }));
}

/** What quotes a passage (`quote_passage.subject_type`): an internal note, an expert question, a reply draft (an outbound message) waiting for sign-off. */
export type QuoteSubject = 'note' | 'expert_request' | 'message';

/** Store the passages a note or question quotes, as their lengths and keyed hashes (the key made when first needed). */
async function insertPassages(trx: Tx, p: { brandId: number; subjectType: QuoteSubject; subjectId: number; now: number }, rows: { messageId: number; passage: string }[]): Promise<void> {
  if (!rows.length) return;
  const key = (await quoteKey(trx, p.now))!;
  for (let i = 0; i < rows.length; i += 500) {
    await trx.insertInto('quote_passage').values(rows.slice(i, i + 500).map((r) => ({
      brand_id: p.brandId, message_id: r.messageId, subject_type: p.subjectType, subject_id: p.subjectId, length: r.passage.length, hash: passageHash(key, r.passage), created_at: p.now,
    }))).execute();
  }
}

/**
 * Record which passages of the conversation's inbound messages an internal note quotes
 * (`quote_passage`, by the message's id and the passage's keyed hash), in the caller's
 * transaction (the one that writes the note): an erasure of the message's author finds the
 * quote after the message was redacted. Returns the number of passages recorded.
 */
export async function recordNoteQuotes(trx: Tx, p: { brandId: number; conversationId: number; noteId: number; text: string; now: number; elsewhere?: Quotable[] }): Promise<number> {
  // (a text shorter than a passage quotes none)
  if (comparable(p.text).trim().length < 20) return 0;
  const rows = quotedPassages(p.text, await quotable(trx, p.brandId, p.conversationId, p.text, p.elsewhere));
  await insertPassages(trx, { brandId: p.brandId, subjectType: 'note', subjectId: p.noteId, now: p.now }, rows);
  return rows.length;
}

/**
 * Record which passages of customers' messages a reply draft waiting for sign-off quotes
 * (`quote_passage`, subject `message`), in the caller's transaction (the one that writes the
 * draft, or its new text at sign-off: what was recorded for its earlier text goes). An erasure of
 * a quoted message's author rewrites the quote in the draft (`[erased]`) before anyone approves
 * it, after the message was redacted too. Returns the number of passages recorded.
 */
export async function recordDraftQuotes(trx: Tx, p: { brandId: number; conversationId: number; messageId: number; text: string; now: number; elsewhere?: Quotable[] }): Promise<number> {
  await trx.deleteFrom('quote_passage').where('subject_type', '=', 'message').where('subject_id', '=', p.messageId).where('brand_id', '=', p.brandId).execute();
  if (comparable(p.text).trim().length < 20) return 0;
  const rows = quotedPassages(p.text, await quotable(trx, p.brandId, p.conversationId, p.text, p.elsewhere));
  await insertPassages(trx, { brandId: p.brandId, subjectType: 'message', subjectId: p.messageId, now: p.now }, rows);
  return rows.length;
}

/**
 * Record which passages an expert question quotes (`quote_passage`, subject `expert_request`), in
 * the caller's transaction: for a question written before passages were recorded (its
 * `expert_quote` rows are `recordExpertQuotes`'). Returns the number of passages recorded.
 */
export async function recordQuestionQuotes(trx: Tx, p: { brandId: number; conversationId: number; requestId: number; text: string; now: number; elsewhere?: Quotable[] }): Promise<number> {
  if (comparable(p.text).trim().length < 20) return 0;
  const rows = quotedPassages(p.text, await quotable(trx, p.brandId, p.conversationId, p.text, p.elsewhere));
  await insertPassages(trx, { brandId: p.brandId, subjectType: 'expert_request', subjectId: p.requestId, now: p.now }, rows);
  return rows.length;
}

/** Notes or questions read per page by `recordMissingQuotes`. */
const BACKFILL_PAGE = 200;

/**
 * All at once, in the caller's transaction (what migration 20261207T0310 ran before the
 * backfill became a job: src/jobs/quoteBackfill.ts, in bounded steps, each lookup outside a
 * write transaction; the bench and tests compare with it):
 * record the passages quoted by the notes and expert questions that have none recorded (those
 * written before `quote_passage` existed, migration 20261207T0200; others that quote nothing are
 * read again and still record nothing), against the messages as they now are: a message redacted
 * since cannot be recorded (its text is gone), one still whole is, so a later redaction and
 * erasure still find the quote, on the note's own conversation and on others (`quotableElsewhere`:
 * tens of ms a note on a brand of a million messages, so an upgrade of a desk of many notes takes
 * a while: docs/performance.md, "Quotes of other conversations"). Ids up to `upto` (the newest
 * when the pass starts), a page at a time. Returns the number of passages recorded.
 */
export async function recordMissingQuotes(trx: Tx, p: { upto: { note: number; expert_request: number }; now: number }): Promise<number> {
  let recorded = 0;
  for (let after = 0; ;) {
    const notes = await trx.selectFrom('note').select(['id', 'brand_id', 'conversation_id', 'text']).where('id', '>', after).where('id', '<=', p.upto.note)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('quote_passage').select('quote_passage.id').where('quote_passage.subject_type', '=', 'note').whereRef('quote_passage.subject_id', '=', 'note.id'))))
      .orderBy('id').limit(BACKFILL_PAGE).execute();
    for (const n of notes) {
      recorded += await recordNoteQuotes(trx, { brandId: Number(n.brand_id), conversationId: Number(n.conversation_id), noteId: Number(n.id), text: n.text, now: p.now });
    }
    if (notes.length < BACKFILL_PAGE) break;
    after = Number(notes[notes.length - 1]!.id);
  }
  for (let after = 0; ;) {
    const questions = await trx.selectFrom('expert_request').select(['id', 'brand_id', 'conversation_id', 'question']).where('id', '>', after).where('id', '<=', p.upto.expert_request)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('quote_passage').select('quote_passage.id').where('quote_passage.subject_type', '=', 'expert_request').whereRef('quote_passage.subject_id', '=', 'expert_request.id'))))
      .orderBy('id').limit(BACKFILL_PAGE).execute();
    for (const q of questions) {
      recorded += await recordQuestionQuotes(trx, { brandId: Number(q.brand_id), conversationId: Number(q.conversation_id), requestId: Number(q.id), text: q.question, now: p.now });
    }
    if (questions.length < BACKFILL_PAGE) break;
    after = Number(questions[questions.length - 1]!.id);
  }
  return recorded;
}

/** Code units of the NFC text each code unit of its comparable form (`comparable`) came from: `from[i]` its first, `to[i]` one past its last. */
function comparableWithMap(nfc: string): { text: string; from: number[]; to: number[] } {
  // lower case as `comparable` does, on the whole text (a final sigma), when that keeps each code unit where it was
  const flat = collapsedWithMap(nfc, false);
  const lower = flat.text.toLowerCase();
  return lower.length === flat.text.length ? { ...flat, text: lower } : collapsedWithMap(nfc, true);
}

function collapsedWithMap(nfc: string, lowerEach: boolean): { text: string; from: number[]; to: number[] } {
  let text = '';
  const from: number[] = [];
  const to: number[] = [];
  let i = 0;
  for (const ch of nfc) {
    const end = i + ch.length;
    if (/\s/u.test(ch)) {
      if (text.endsWith(' ')) to[to.length - 1] = end;
      else {
        text += ' ';
        from.push(i);
        to.push(end);
      }
    } else {
      const low = lowerEach ? ch.toLowerCase() : ch;
      text += low;
      for (let k = 0; k < low.length; k++) {
        from.push(i);
        to.push(end);
      }
    }
    i = end;
  }
  return { text, from, to };
}

/**
 * A function that replaces the recorded passages (`quote_passage` rows: length and keyed hash)
 * found in a text with `[erased]`, longest first: each stretch of the text's comparable form
 * (NFC, lower case, white space one space) of a recorded length is hashed and looked up. Finds a
 * quote of a message whose text is gone (redacted). A text without one: the same string.
 */
export function recordedPassageScrubber(key: Buffer | null, passages: readonly { length: number; hash: string }[], erased: string): (s: string) => string {
  const byLength = new Map<number, Set<string>>();
  for (const p of passages) {
    let set = byLength.get(p.length);
    if (!set) byLength.set(p.length, (set = new Set()));
    set.add(p.hash);
  }
  if (!key || !byLength.size) return (s) => s;
  const lengths = [...byLength.keys()].sort((a, b) => b - a);
  return (s) => {
    const nfc = s.normalize('NFC');
    const { text, from, to } = comparableWithMap(nfc);
    // stretches found, in the comparable form, none overlapping one found before (longest first)
    const found: [number, number][] = [];
    const taken = new Uint8Array(text.length);
    for (const length of lengths) {
      const hashes = byLength.get(length)!;
      for (let i = 0; i + length <= text.length; i++) {
        if (text[i] === ' ' || text[i + length - 1] === ' ' || taken[i] || taken[i + length - 1]) continue;
        if (!hashes.has(passageHash(key, text.slice(i, i + length)))) continue;
        if (taken.subarray(i, i + length).some((x) => x)) continue;
        taken.fill(1, i, i + length);
        found.push([i, i + length]);
        i += length - 1;
      }
    }
    if (!found.length) return s;
    found.sort((a, b) => a[0] - b[0]);
    let out = '';
    let at = 0;
    for (const [lo, hi] of found) {
      out += nfc.slice(at, from[lo]!) + erased;
      at = to[hi - 1]!;
    }
    return out + nfc.slice(at);
  };
}
