/**
 * One Graph batch of reads vouched for by a control read, shared by the Facebook and Instagram
 * presence checks (./gone.ts, ../instagram/gone.ts). What Graph answers for an object it cannot
 * read is one error for several causes (code 100, subcode 33: "does not exist, cannot be loaded
 * due to missing permissions, or does not support this operation"), so an item's absence counts
 * only when a control read of the owner (the Page, the Instagram account) in the same batch
 * (`POST /?batch=[…]`, same token, at most 50 operations: Graph API "Batch Requests") answered
 * 200 with the owner's id, and no token, rate-limit or temporary error came back anywhere in it.
 */
import { ChannelError } from '../types.js';
import { mapGraphError, type GraphClient } from './graph.js';

/** Graph's batch limit (Batch Requests, Limitations); one place is the control. */
export const GRAPH_BATCH_MAX = 50;

/** Errors that say nothing about one item but about the token, the app's limits or Meta's health. */
const ACCOUNT_WIDE = new Set(['AUTH_REVOKED', 'RATE_LIMITED', 'TEMPORARY', 'TIMEOUT']);

/** One read's answer: read, missing (100/33), another error, or none within the batch. */
export type BatchAnswer = { kind: 'ok'; body: any } | { kind: 'missing' } | { kind: 'error'; error: ChannelError } | { kind: 'none' };

/** Who the control read is of: its id, the read itself (e.g. `{id}?fields=id`), and its name in errors. */
export interface BatchOwner {
  id: string;
  control: string;
  noun: string;
}

/** One batch of GETs; the answers in the order asked ("The ordering of responses correspond with the ordering of operations"). */
async function batch(graph: GraphClient, urls: string[], what: string, now: () => number): Promise<BatchAnswer[]> {
  const r = await graph.post<unknown>('', { batch: JSON.stringify(urls.map((relative_url) => ({ method: 'GET', relative_url }))), include_headers: false }, what);
  if (!Array.isArray(r) || r.length !== urls.length) {
    throw new ChannelError('TEMPORARY', `${what}: Meta answered the batch with ${Array.isArray(r) ? `${r.length} answers` : 'no list'} for ${urls.length} requests; nothing was changed`);
  }
  return r.map((item): BatchAnswer => {
    // an operation that did not complete in time is answered null
    if (!item || typeof item !== 'object' || typeof (item as any).code !== 'number') return { kind: 'none' };
    const status = (item as any).code as number;
    let body: any;
    try {
      body = typeof (item as any).body === 'string' ? JSON.parse((item as any).body) : undefined;
    } catch {
      body = undefined;
    }
    if (status === 200 && body && typeof body === 'object' && !body.error) return { kind: 'ok', body };
    const e = body?.error;
    if (status < 500 && e?.code === 100 && e?.error_subcode === 33) return { kind: 'missing' };
    return { kind: 'error', error: mapGraphError(status, e, new Headers(), 'read', what, now()) };
  });
}

/**
 * The answers to `urls`, read in one batch after the owner's control read. Throws (nothing is
 * judged) unless the control answered for the owner, and on any account-wide error among them.
 */
export async function vouchedBatch(graph: GraphClient, owner: BatchOwner, urls: string[], what: string, now: () => number): Promise<BatchAnswer[]> {
  const answers = await batch(graph, [owner.control, ...urls], what, now);
  const control = answers[0]!;
  if (control.kind !== 'ok' || String(control.body?.id ?? '') !== owner.id) {
    if (control.kind === 'error') throw control.error;
    throw new ChannelError('TEMPORARY', `${what}: the control read of the ${owner.noun} ${owner.id} ${control.kind === 'missing' ? 'found no such object (100/33)' : control.kind === 'none' ? 'got no answer' : 'answered for another object'}; nothing is judged`);
  }
  for (const a of answers) if (a.kind === 'error' && ACCOUNT_WIDE.has(a.error.code)) throw a.error;
  return answers.slice(1);
}
