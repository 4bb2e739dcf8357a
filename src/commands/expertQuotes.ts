/**
 * Which customers' messages an expert question, or the expert's answer to it, quotes: recorded
 * when the question is asked or answered (`expert_quote`), so that erasing a person finds every
 * question that quotes them by their messages' ids, wherever it was asked (a conversation of
 * several people, someone else's conversation), with its `expert.asked` entry, its notices and
 * its answer (src/commands/erase.ts). A quote is what erasure would erase as one
 * (`quotePassages`: a message whole, a line or a sentence of it, of 20 characters or more,
 * whatever the case or spacing). The messages looked at are the inbound ones of the question's
 * conversation, every participant's: a quote of a message on another conversation is not
 * recorded, and erasure still finds it by its text (`quoteScrubber`), as it finds the questions
 * asked before this record existed.
 *
 * The passages quoted (in a question, and in any internal note: `recordNoteQuotes`) are also
 * kept by their length and keyed hash (`quote_passage`, never their text): a message redacted
 * later (its author deleted it) has no text to look for, but erasing its author still finds the
 * note or question by the message's id and the quote in it by its hash (`recordedPassageScrubber`).
 */
import { createHmac, randomBytes } from 'node:crypto';
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
export async function recordExpertQuotes(trx: Tx, p: { brandId: number; conversationId: number; requestId: number; part: QuotePart; text: string; now: number }): Promise<number[]> {
  const messages = await quotable(trx, p.brandId, p.conversationId);
  const ids = quotedMessageIds(p.text, messages);
  if (ids.length) {
    await trx.insertInto('expert_quote').values(ids.map((messageId) => ({ brand_id: p.brandId, expert_request_id: p.requestId, message_id: messageId, part: p.part, created_at: p.now }))).execute();
  }
  // the question's passages, by their keyed hash (an answer is a note: addNote records its own)
  if (p.part === 'question') await insertPassages(trx, { brandId: p.brandId, subjectType: 'expert_request', subjectId: p.requestId, now: p.now }, quotedPassages(p.text, messages));
  return ids;
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

/** The conversation's inbound messages not yet redacted, newest first (MAX_MESSAGES): what a note or question there may quote. */
async function quotable(trx: Tx, brandId: number, conversationId: number): Promise<{ id: number; text: string }[]> {
  const rows = await trx.selectFrom('message').select(['id', 'text', 'text_escaped']).where('conversation_id', '=', conversationId).where('brand_id', '=', brandId)
    .where('direction', '=', 'inbound').where('redacted_at', 'is', null).orderBy('id', 'desc').limit(MAX_MESSAGES).execute();
  return rows.map((m) => ({ id: Number(m.id), text: decodeText(m.text, m.text_escaped) }));
}

/** Store the passages a note or question quotes, as their lengths and keyed hashes (the key made when first needed). */
async function insertPassages(trx: Tx, p: { brandId: number; subjectType: 'note' | 'expert_request'; subjectId: number; now: number }, rows: { messageId: number; passage: string }[]): Promise<void> {
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
export async function recordNoteQuotes(trx: Tx, p: { brandId: number; conversationId: number; noteId: number; text: string; now: number }): Promise<number> {
  // (a text shorter than a passage quotes none)
  if (comparable(p.text).trim().length < 20) return 0;
  const rows = quotedPassages(p.text, await quotable(trx, p.brandId, p.conversationId));
  await insertPassages(trx, { brandId: p.brandId, subjectType: 'note', subjectId: p.noteId, now: p.now }, rows);
  return rows.length;
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
