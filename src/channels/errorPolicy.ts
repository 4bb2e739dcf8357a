/**
 * One policy for connector errors (see ChannelError): retry with back-off,
 * wait for a rate-limit reset, check whether an ambiguous send went out, give
 * up with a reason, or mark the channel unhealthy with what an admin should do.
 * Also the rules for items a network sends that are not what it documents (below).
 */
import { ChannelError, type ChannelErrorCode, type RejectedItem } from './types.js';

export type ErrorDecision =
  | { action: 'retry'; at: number; code: ChannelErrorCode; reason: string }
  /** The network may have accepted it: look for it (findSent) before sending again. */
  | { action: 'verify'; at: number; code: ChannelErrorCode; reason: string }
  | { action: 'fail'; code: ChannelErrorCode; reason: string }
  /** The account needs an admin; sends wait (they go out once it is healthy again). */
  | { action: 'unhealthy'; at: number; code: ChannelErrorCode; reason: string; advice: string };

export const MAX_ATTEMPTS = 8;

/** 2 s, 4 s, 8 s ... capped at 5 minutes, with ±20 % jitter from `rand`. */
export function backoff(attempt: number, rand: number = Math.random()): number {
  const base = Math.min(300_000, 2000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * rand));
}

export const ADVICE: Partial<Record<ChannelErrorCode, string>> = {
  AUTH_REVOKED: 'The network no longer accepts this account\'s credentials (revoked, expired or password changed). Reconnect the account in Settings → Channels.',
  PERMISSION_DENIED: 'The account lacks a permission this action needs. Reconnect it and grant the requested permissions, or ask the network to enable the API product.',
  CURSOR_INVALID: 'The stored sync position was rejected; Parley restarts from a fresh backfill.',
};

export function decide(err: unknown, attempt: number, now: number, rand?: number): ErrorDecision {
  const e = err instanceof ChannelError ? err : new ChannelError('TEMPORARY', err instanceof Error ? err.message : String(err), { cause: err });
  const reason = e.message;
  switch (e.code) {
    case 'RATE_LIMITED':
      return { action: 'retry', at: Math.max(now + 1000, e.opts.retryAt ?? now + backoff(attempt, rand)), code: e.code, reason };
    case 'TIMEOUT':
      return attempt >= MAX_ATTEMPTS ? { action: 'fail', code: e.code, reason: `gave up after ${attempt} attempts: ${reason}` } : { action: 'verify', at: now + backoff(attempt, rand), code: e.code, reason };
    case 'TEMPORARY':
      return attempt >= MAX_ATTEMPTS ? { action: 'fail', code: e.code, reason: `gave up after ${attempt} attempts: ${reason}` } : { action: 'retry', at: now + backoff(attempt, rand), code: e.code, reason };
    case 'AUTH_REVOKED':
    case 'PERMISSION_DENIED':
      return { action: 'unhealthy', at: now + 300_000, code: e.code, reason, advice: ADVICE[e.code]! };
    case 'NOT_FOUND':
      return { action: 'fail', code: e.code, reason: `${reason} (the post being answered may have been deleted)` };
    case 'CURSOR_INVALID':
    case 'INVALID_REQUEST':
      return { action: 'fail', code: e.code, reason };
  }
}

// ---- items a network sends that are not what it documents ------------------------

export type { RejectedItem };

/** Thrown by a normalizer for an item that is not what the network documents; the reason is shown to admins. */
export class ItemRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ItemRejected';
  }
}

/**
 * Normalize one item so that it can never fail its neighbours: whatever the normalizer
 * throws (ItemRejected with its reason, or anything unforeseen a hostile payload provokes)
 * rejects this item alone, with `where` (e.g. `tweet_create_events[2]`) and the reason.
 * Returns the normalizer's result (null: not a message, e.g. a repost or a reaction).
 */
export function normalizeItem<T>(rejected: RejectedItem[], raw: unknown, where: string, normalize: () => T | null): T | null {
  try {
    return normalize();
  } catch (err) {
    const reason = err instanceof ItemRejected ? err.message : `could not be read (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)})`;
    rejected.push({ reason: `${where}: ${reason}`, raw });
    return null;
  }
}

/** What a JSON value is, for reasons ("an object", "an array", "a number"...). */
export function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export function isPlainObject(v: unknown): v is Record<string, any> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/**
 * An id as exact text: a string as is, a whole number within 2^53 as its digits. A JSON
 * number beyond that has already lost digits when it was parsed (two ids would collide),
 * so the item is rejected with the reason rather than stored under a wrong id, as is text
 * with a lone surrogate. Anything else (absent, an object...) is '' and the pipeline's edge
 * check quarantines the item.
 */
export function exactId(v: unknown, field: string): string {
  if (typeof v === 'string') {
    // stored, a lone surrogate becomes U+FFFD: the id would no longer match itself and each redelivery would be stored again
    if (!v.isWellFormed()) throw new ItemRejected(`${field} ${JSON.stringify(v.slice(0, 100))} is not well-formed Unicode (a lone surrogate): not an id`);
    return v;
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return String(v);
    if (!Number.isInteger(v)) throw new ItemRejected(`${field} is the number ${v}, not an id`);
    throw new ItemRejected(`${field} is the number ${v}, beyond 2^53: the id lost precision (ids that large must be sent as strings)`);
  }
  return '';
}

/**
 * A text field: its string, or `undefined` when absent (or null). Present with another
 * type (an object, an array, a number) the item is rejected: storing it as an empty
 * message would lose what was said and make a later correct redelivery a "duplicate".
 */
export function textField(o: Record<string, any> | null | undefined, key: string, where = key): string | undefined {
  const v = o?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ItemRejected(`${where} is ${jsonKind(v)}, not a string`);
  return v;
}

/** `encodeURIComponent` for a URL built from what a network sent: null (no URL) instead of throwing on a lone surrogate. */
export function urlSegment(s: unknown): string | null {
  if (typeof s !== 'string' || !s || !s.isWellFormed()) return null;
  try {
    return encodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * JSON.parse for a network's delivery, keeping whole numbers beyond 2^53 exact: each is
 * read as a string of its digits (an id sent as a bare number would otherwise collide with
 * its neighbour and be stored under the wrong id). Throws what JSON.parse throws.
 */
export function parseJsonExact(text: string): unknown {
  const value: unknown = JSON.parse(text);
  // an unsafe integer is a number literal of at least 16 digits (not digits inside a string,
  // which a quote precedes): most bodies need no second pass
  return UNQUOTED_LONG_NUMBER.test(text) ? parseJsonExactly(text) : value;
}

const UNQUOTED_LONG_NUMBER = /[:[,]\s*-?\d{16}/;

/** JSON.parse with every integer literal beyond 2^53 read as a string of its digits (a second, slower pass). */
export function parseJsonExactly(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}

const isNumberChar = (c: number) => (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65;

/** Valid JSON text with every integer literal beyond Number.MAX_SAFE_INTEGER turned into a string literal. */
function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip the string literal (a quote preceded by an even run of backslashes ends it)
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return text;
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j++;
      }
      i = j + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && isNumberChar(text.charCodeAt(j))) j++;
      const token = text.slice(i, j);
      if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(last, i)}"${token}"`;
        last = j;
      }
      i = j;
    } else i++;
  }
  return last === 0 ? text : out + text.slice(last);
}
