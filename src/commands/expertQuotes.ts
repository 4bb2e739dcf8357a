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
 */
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
  const rows = await trx.selectFrom('message').select(['id', 'text', 'text_escaped']).where('conversation_id', '=', p.conversationId).where('brand_id', '=', p.brandId)
    .where('direction', '=', 'inbound').where('redacted_at', 'is', null).orderBy('id', 'desc').limit(MAX_MESSAGES).execute();
  const ids = quotedMessageIds(p.text, rows.map((m) => ({ id: Number(m.id), text: decodeText(m.text, m.text_escaped) })));
  if (ids.length) {
    await trx.insertInto('expert_quote').values(ids.map((messageId) => ({ brand_id: p.brandId, expert_request_id: p.requestId, message_id: messageId, part: p.part, created_at: p.now }))).execute();
  }
  return ids;
}
