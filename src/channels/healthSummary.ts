/**
 * What a channel account's health says to whom. The health record keeps what the network
 * answered (a remote API's error text may carry account ids, tokens it echoed back, internal
 * host names): admins, who connect, reconnect and fix channel accounts (the only role the
 * channel-account routes let in), read all of it. Everyone else needs to know that a channel
 * is failing and in what way, not the raw detail: they read a plain summary of the error's
 * class (its code), and that admins can see more.
 */
import { CHANNEL_ERROR_CODES, type ChannelErrorCode } from './types.js';

/** How much of a channel's health a reader sees: all of it, or the plain summary. */
export type HealthView = 'detail' | 'summary';

/** The roles that manage channel accounts see the network's own words; everyone else the summary. */
export function healthViewFor(role: string): HealthView {
  return role === 'admin' ? 'detail' : 'summary';
}

/** One plain sentence per class of connector error (src/channels/errorPolicy.ts decides what each does). */
export const HEALTH_SUMMARY: Record<ChannelErrorCode, string> = {
  AUTH_REVOKED: 'The network no longer accepts this account\'s credentials.',
  PERMISSION_DENIED: 'The network refused an action: the account lacks a permission it needs.',
  RATE_LIMITED: 'The network is limiting how often Parley may call it.',
  TEMPORARY: 'Parley could not reach the network, or the network could not answer.',
  TIMEOUT: 'The network did not answer in time.',
  NOT_FOUND: 'The network could not find what Parley asked it for.',
  INVALID_REQUEST: 'The network refused a request from Parley.',
  CURSOR_INVALID: 'The network rejected the stored sync position; Parley starts again from a fresh backfill.',
};

/** A problem whose code is not one of ours (never expected; a record written by hand). */
const UNKNOWN_PROBLEM = 'This channel is failing.';
const ADVICE = 'Parley keeps trying. Admins were told and see the details in Settings → Channels.';

/** Fields with no text from the network in them: times and counts. */
const PLAIN_FIELDS = ['since', 'lastErrorAt', 'recoveredAt', 'reconnectedAt', 'failures'] as const;

const isCode = (c: unknown): c is ChannelErrorCode => typeof c === 'string' && (CHANNEL_ERROR_CODES as readonly string[]).includes(c);

/**
 * A health record for someone who does not manage channel accounts: its times and failure
 * count, its error code, and in place of what the network answered (`message`, `lastError`)
 * the summary of that code and what happens next. Anything else in the record is left out.
 */
export function summarizeHealth(health: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of PLAIN_FIELDS) if (health[k] !== undefined) out[k] = health[k];
  const problem = health.code != null || health.message != null;
  if (problem) {
    const code = isCode(health.code) ? health.code : null;
    out.code = code;
    out.message = code ? HEALTH_SUMMARY[code] : UNKNOWN_PROBLEM;
    out.advice = ADVICE;
  } else if ('code' in health || 'message' in health || 'advice' in health) {
    // recovered: the record says so with nulls
    out.code = null;
    out.message = null;
    out.advice = null;
  }
  return out;
}

/** A health record as `view` shows it. */
export function healthFor(health: Record<string, unknown>, view: HealthView): Record<string, unknown> {
  if (!health || typeof health !== 'object' || Array.isArray(health)) return {};
  return view === 'detail' ? health : summarizeHealth(health);
}
