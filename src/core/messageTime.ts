/**
 * Whether a message's own time is plausible: one rule for every message, whatever its channel
 * or source, applied by the ingest pipeline before a message is stored.
 *
 * A message's time comes from outside: an email's Date header is written by the sender (spam
 * often dates mail in the future), a Mastodon server or a webhook sender keeps its own clock, the
 * ingest API and imports take `createdAt` as given, and a payload without a time may come out as
 * 0 (1970). A message dated in the future sorts above everything in the inbox for as long as that
 * future lasts, and its SLA clocks start in the future (a first response "before" the customer
 * wrote); one dated 1970 counts decades of waiting. Such a time is replaced by when the pipeline
 * received the message. Past times after 2000 are kept as they are: imported history stays dated
 * when it happened.
 */

/**
 * How far after its receipt a message may be dated and still keep its own time: the clock skew
 * tolerated between a sender and us. Servers synchronised by NTP differ by well under a second,
 * but an email's Date comes from the sender's own machine and a small server's clock drifts; five
 * minutes is the skew Kerberos tolerates by default, and a message dated at most that far ahead
 * moves an SLA clock by at most that much. Beyond it the time is not a clock's error but a wrong
 * (or forged) date.
 */
export const MESSAGE_TIME_SKEW_MS = 5 * 60_000;

/** 2000-01-01T00:00:00Z: no message Parley reads is older; an earlier time is a missing or broken one (0 is 1970). */
export const EARLIEST_MESSAGE_TIME = Date.UTC(2000, 0, 1);

/** Why a message's time was not kept. */
export type MessageTimeCorrection = 'future' | 'before_2000';

export interface MessageTime {
  /** The time to store: the message's own, or its receipt when that is not plausible. */
  createdAt: number;
  /** Why the message's own time was replaced, or null when it was kept. */
  corrected: MessageTimeCorrection | null;
}

/**
 * The time a message received at `receivedAt` (the pipeline's clock, ms) is stored with: its own
 * `createdAt` unless that is more than `MESSAGE_TIME_SKEW_MS` after `receivedAt` or before
 * `EARLIEST_MESSAGE_TIME`, in which case `receivedAt`.
 */
export function plausibleMessageTime(createdAt: number, receivedAt: number): MessageTime {
  if (createdAt > receivedAt + MESSAGE_TIME_SKEW_MS) return { createdAt: receivedAt, corrected: 'future' };
  if (createdAt < EARLIEST_MESSAGE_TIME) return { createdAt: receivedAt, corrected: 'before_2000' };
  return { createdAt, corrected: null };
}
