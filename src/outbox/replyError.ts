/**
 * What a reply's stored error says to whom. The outbox stores what went wrong as
 * `<CODE>: <reason>` (plus `— retrying at <ISO time>` while it waits), and the reason is
 * often the network's own words: API URLs, token hints, account ids, stack-like text. As
 * for a channel's health (src/channels/healthSummary.ts), admins read all of it; everyone
 * else reads a plain sentence for the error's class (its code) and what happens next.
 * Texts Parley wrote itself (a withdrawal, an approver's rejection note) are shown as stored.
 */
import type { HealthView } from '../channels/healthSummary.js';

/** One plain sentence per class of send error (src/channels/errorPolicy.ts decides what each does). */
export const REPLY_ERROR_SUMMARY: Record<string, string> = {
  AUTH_REVOKED: 'Authentication failed — an admin must reconnect the account. The reply waits until then.',
  PERMISSION_DENIED: 'The reply was refused: the account may not send it (a missing permission, or the account is listen-only or disabled).',
  RATE_LIMITED: 'The network is rate limiting Parley; the reply will be retried.',
  TEMPORARY: 'Parley could not reach the network, or the network could not answer; the reply will be retried.',
  TIMEOUT: 'The network did not answer in time; Parley checks whether the reply went out before trying again.',
  NOT_FOUND: 'The network refused the reply: what it answers no longer exists there (deleted, or the account was removed).',
  INVALID_REQUEST: 'The network refused the reply as invalid.',
  UNCERTAIN: 'Parley could not tell whether this reply went out: check the conversation on the network before sending it again.',
};

const UNKNOWN = 'The reply could not be sent.';
/**
 * The outbox's own refusals (src/outbox/outbox.ts `process`), written by Parley, not the network:
 * they tell the agent what to do (connect the account, enable it) and are shown as stored.
 */
const PARLEY_REASONS = /^(no connector is installed for |this account was imported from an archive|this account is in listen-only mode|@\S+ was disabled before this was sent|message or channel account no longer exists|refused: not a reply written in Parley|\S+ has no private messages for this account)/;
const RETRYING = / — retrying at (\d{4}-\d{2}-\d{2}T[\d:.]+Z)$/;

/**
 * The plain summary of a stored reply error: the sentence for its code, with when it is
 * retried (Parley's own schedule, not the network's words). Parley's own texts (no code:
 * `withdrawn: …`, `rejected: …`) pass through; null stays null.
 */
export function summarizeReplyError(stored: string | null | undefined): string | null {
  if (stored == null || stored === '') return stored ?? null;
  const m = /^([A-Z][A-Z_]*):/.exec(stored);
  // no code: Parley's own words (`withdrawn: …`, `rejected: <the approver's note>`)
  if (!m) return stored;
  if (PARLEY_REASONS.test(stored.slice(m[0].length).trimStart())) return stored;
  const summary = REPLY_ERROR_SUMMARY[m[1]!] ?? UNKNOWN;
  const retry = RETRYING.exec(stored);
  return retry ? `${summary} Next attempt at ${retry[1]}.` : summary;
}

/** A stored reply error as `view` shows it: `error` is always the summary; `errorDetail` the stored text, for admins only. */
export function replyErrorFor(stored: string | null | undefined, view: HealthView): { error: string | null; errorDetail: string | null } {
  return { error: summarizeReplyError(stored), errorDetail: view === 'detail' ? stored ?? null : null };
}
