/**
 * The time work leases (outbox claims, channel sync leases) are stamped and compared with.
 * On PostgreSQL with the system clock: the database's clock, one clock for every process, so a
 * process whose clock runs ahead (a host without NTP, a paused VM) cannot take another's lease
 * before it ends, nor one running behind keep its own past the end. Otherwise the given clock:
 * SQLite has one process, and tests drive their own clock.
 */
import { sql } from 'kysely';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Store } from '../store/db.js';

export async function leaseNow(store: Store, clock: Clock): Promise<number> {
  if (store.dialect !== 'postgres' || clock !== systemClock) return clock.now();
  const r = await sql<{ t: string | number }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as t`.execute(store.db);
  return Number(r.rows[0]!.t);
}
