/**
 * The level at which a graphile-worker log line reaches Parley's log. graphile-worker logs a
 * PostgreSQL outage it rides out (a lost LISTEN client, a failed poll, "trying again in 2000ms")
 * and a job failure it will retry at error level; an operator paged by every reconnect attempt
 * learns to ignore the page. Those are warnings: the outage itself is reported by the channel
 * health and readiness checks, and a job that fails for the last time is still an error.
 */
export type GraphileLevel = 'error' | 'warning' | 'info' | 'debug';

const RETRIED = /\b(?:trying again in|try again in|will try again|retrying in)\b/i;

export function graphileLogLevel(level: GraphileLevel, message: string): 'error' | 'warn' | null {
  if (level === 'error') {
    if (RETRIED.test(message)) return 'warn';
    const attempt = /^Failed task .*?\battempt (\d+) of (\d+)\b/.exec(message);
    if (attempt && Number(attempt[1]) < Number(attempt[2])) return 'warn';
    return 'error';
  }
  if (level === 'warning') return 'warn';
  return null;
}
