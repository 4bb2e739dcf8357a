/**
 * Replies waiting on their account: when it is healthy again they go out now (see
 * `sendWaitingNow`). Kept apart from the worker so channel health can call it without the send path.
 */
import type { Tx } from '../store/util.js';

/**
 * An account that is healthy again (a poll or a send went through after an outage, revoked
 * credentials or failures): its replies waiting out a retry back-off (up to the 5 minutes an
 * unhealthy account waits) are due now, not when their back-off ends. Only the time of rows
 * still `queued` changes: a row a worker is sending is left to it, and a row whose last attempt
 * was ambiguous keeps its error code, so it still asks the network whether it went out
 * (`findSent`) before posting — each reply is still sent at most once. A rate-limit wait is
 * kept: the network said when it takes the next one. Returns how many became due.
 */
export async function sendWaitingNow(db: Tx, channelAccountId: number, now: number): Promise<number> {
  const r = await db
    .updateTable('outbox')
    .set({ next_attempt_at: now, updated_at: now })
    .where('status', '=', 'queued')
    .where('next_attempt_at', '>', now)
    .where('channel_account_id', '=', channelAccountId)
    .where((eb) => eb.or([eb('last_error_code', 'is', null), eb('last_error_code', '!=', 'RATE_LIMITED')]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
