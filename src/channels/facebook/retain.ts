/**
 * What of a Facebook payload survives raw payload retention (src/jobs/housekeeping.ts, through
 * src/channels/retainedRaw.ts): the Messenger message id (`message.mid`), which the connector
 * (./channel.ts `isDirectMessage`) reads to refuse a public reply to a private message and to
 * answer it privately. Comments and posts keep nothing: their ids say what they are.
 */

/** The kept subset of a stored Facebook payload, or null for none. */
export function retainFacebookRaw(raw: unknown): Record<string, unknown> | null {
  const mid = (raw as { message?: { mid?: unknown } } | null)?.message?.mid;
  return typeof mid === 'string' && mid !== '' ? { message: { mid } } : null;
}
