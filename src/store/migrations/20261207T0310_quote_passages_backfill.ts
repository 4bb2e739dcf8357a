/**
 * The passages quoted by internal notes and expert questions written before `quote_passage`
 * existed (migration 20261207T0200) are recorded once: an erasure finds a quote of a message
 * redacted before it only by the passage's recorded keyed hash (the message's text is gone then),
 * so a note written before that record, quoting a message its author deleted later, kept the
 * quote through the erasure. This migration only marks them (`markMissingQuotes`: a cursor in kv
 * up to the newest note and question now); the background job src/jobs/quoteBackfill.ts records
 * them in small steps, each note's lookup of other conversations outside a write transaction,
 * resumable and safe to run again. (It first recorded them all here, holding SQLite's write lock
 * 13-50 s per 1,000 notes on a brand of a million messages; an install that ran it then has them.)
 * A message already redacted when the job reaches a note cannot be recorded (its text is gone);
 * every other quoted passage is, against the messages as they are then.
 */
import type { Kysely } from 'kysely';
import { markMissingQuotes } from '../../jobs/quoteBackfill.js';
import type { Tx } from '../util.js';

export async function up(db: Kysely<any>): Promise<void> {
  await markMissingQuotes(db as Tx, Date.now());
}
