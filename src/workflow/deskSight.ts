/**
 * Response times of conversations with backfilled messages (fetched by a channel's first sync
 * from before the desk listened): a wait that began before the desk first saw the conversation
 * counts from then, as its SLA clocks do (`deskFirstSaw` in src/core/sla.ts). The instant is kept
 * in the conversation's SLA memo (`vf`, written by the workflow when it evaluates the clocks), so
 * whoever writes a response fact (ingest, the outbox) reads it from the row it already holds.
 */
import { parseObject } from '../lib/json.js';

/**
 * Where a response time measured from `from` to `to` in a conversation counts from: when the desk
 * first saw it, for a wait that began on a backfilled message written before then and answered
 * after; `from` itself otherwise — live messages always (the instant is no later than any of
 * them), and a reply the brand posted before the desk saw the conversation (history, measured as
 * an import's is).
 */
export function countsFromDesk(conv: { sla: string | null }, from: number, to: number | null): number;
export function countsFromDesk(conv: { sla: string | null }, from: number | null, to: number | null): number | null;
export function countsFromDesk(conv: { sla: string | null }, from: number | null, to: number | null): number | null {
  // (a cheap look first: most conversations have nothing backfilled)
  if (from == null || typeof conv.sla !== 'string' || !conv.sla.includes('"vf":')) return from;
  const vf = parseObject(conv.sla).vf;
  return typeof vf === 'number' && vf > from && (to == null || to >= vf) ? vf : from;
}
