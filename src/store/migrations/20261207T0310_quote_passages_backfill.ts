/**
 * The passages quoted by internal notes and expert questions written before `quote_passage`
 * existed (migration 20261207T0200), recorded once now (`recordMissingQuotes`,
 * src/commands/expertQuotes.ts): an erasure finds a quote of a message redacted before it only by
 * the passage's recorded keyed hash (the message's text is gone then), so a note written before
 * that record, quoting a message its author deleted later, kept the quote through the erasure. A
 * message already redacted when this runs cannot be recorded (its text is gone); every other
 * quoted passage is, against the messages as they are now: the note's or question's conversation
 * and the messages elsewhere that share words with it, as a note written now is recorded. A
 * data-only pass, a page of notes at a time; notes and questions with passages recorded are
 * skipped, so it is safe to run again.
 */
import { sql, type Kysely } from 'kysely';
import { recordMissingQuotes } from '../../commands/expertQuotes.js';
import type { Tx } from '../util.js';

export async function up(db: Kysely<any>): Promise<void> {
  const max = async (table: 'note' | 'expert_request') => Number((await sql<{ m: number | string | null }>`SELECT max(id) AS m FROM ${sql.table(table)}`.execute(db)).rows[0]?.m ?? 0);
  await recordMissingQuotes(db as Tx, { upto: { note: await max('note'), expert_request: await max('expert_request') }, now: Date.now() });
}
