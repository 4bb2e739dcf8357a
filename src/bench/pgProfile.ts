/**
 * PARLEY_PG_PROFILE=1: where PostgreSQL's own time goes during the ingest benchmark's measured
 * pass, per statement shape, from `pg_stat_statements` — what PARLEY_SQL_PROFILE=1 prints for
 * SQLite. The benchmark's throwaway server loads the extension only then (`startPostgres`, which
 * reads the same variable); the statements of triggers and foreign-key checks are counted on
 * their own (`track = all`), so the trigger of a message insert shows as its own line.
 */
import { sql } from 'kysely';
import type { Store } from '../store/db.js';

export const PG_PROFILE = process.env.PARLEY_PG_PROFILE === '1';

export interface StatementTime {
  /** The statement's text as the extension normalizes it (constants as $n), whitespace folded. */
  statement: string;
  calls: number;
  rows: number;
  /** Execution time, ms. */
  ms: number;
}

/** Start counting: create the extension in this database if needed and zero its counters. False where the server did not load it. */
export async function startStatementProfile(store: Store): Promise<boolean> {
  if (store.dialect !== 'postgres') return false;
  try {
    await sql`create extension if not exists pg_stat_statements`.execute(store.db);
    await sql`select pg_stat_statements_reset()`.execute(store.db);
    return true;
  } catch {
    return false; // not in shared_preload_libraries: the view cannot be read
  }
}

/** The statements of this database since `startStatementProfile`, most time first. */
export async function statementProfile(store: Store, limit = 25): Promise<StatementTime[]> {
  const r = await sql<{ query: string; calls: string; rows: string; ms: number }>`
    select query, calls, rows, total_exec_time as ms from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database())
      and query not like '%pg_stat_statements%'
    order by total_exec_time desc limit ${limit}`.execute(store.db);
  return r.rows.map((x) => ({ statement: x.query.replace(/\s+/g, ' ').trim(), calls: Number(x.calls), rows: Number(x.rows), ms: Number(x.ms) }));
}

/** The profile as lines for stderr: ms, its share of the listed time, µs a message, calls, rows, the statement's start. */
export function formatStatementProfile(rows: readonly StatementTime[], messages: number): string {
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const lines = [`PostgreSQL execution time per statement over ${messages} messages (pg_stat_statements, top ${rows.length}): ${Math.round(total)} ms, ${Math.round((1000 * total) / messages)} µs a message`];
  for (const r of rows) {
    lines.push(`${Math.round(r.ms).toString().padStart(7)} ms ${((100 * r.ms) / (total || 1)).toFixed(1).padStart(5)} % ${((1000 * r.ms) / messages).toFixed(1).padStart(6)} µs/msg ${String(r.calls).padStart(7)} calls ${String(r.rows).padStart(8)} rows  ${r.statement.slice(0, 120)}`);
  }
  return lines.join('\n');
}
