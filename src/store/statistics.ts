/**
 * Fresh planner statistics on PostgreSQL while tables grow fast.
 *
 * The pipeline's lookups (`brand_id = ? and network = ? and network_message_id in (…)`, the
 * same for reply parents and author identities) use the unique index on all three columns
 * only when PostgreSQL knows the table is large. Until a table has been analyzed it plans
 * as if the table were nearly empty: the index finds the brand's rows and filters them one
 * by one, so every lookup reads all of the brand's messages (measured: 1,000 lookups over
 * 20,000 messages in 9 ms instead of 4; over 100,000, five times that). Autovacuum analyzes
 * a table at most once a minute per database, so a new desk or an import of history runs
 * on those plans for its first minute, and a desk growing by more than a tenth a minute
 * never catches up.
 *
 * So the store counts the rows it inserts per table, and after a commit analyzes (on
 * another connection, in the background) each table that grew by half since its last
 * statistics, from 5,000 rows on: about ten ANALYZEs while a table grows from nothing to a
 * million rows, none once it is large and grows slowly (autovacuum's 10 % rule covers that).
 *
 * Only the columns the hot queries filter, join and sort on are analyzed (`ANALYZED`):
 * every column costs a sort of the sample, and the free text and the full-text vector
 * (lexeme frequencies) cost most. The rest are left to autovacuum's ANALYZE, which takes
 * every column. Measured over 25,000 messages: 445 → 100 ms for the message table and
 * 123 → 44 ms for the facts — work on the machine's other core while the pipeline ingests.
 * The sample is also smaller than PostgreSQL's default (`STATISTICS_TARGET`).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/**
 * The statistics target of these ANALYZEs (PostgreSQL's default is 100): a sample of 9,000
 * rows instead of 30,000. ANALYZE of the message table's looked-up columns at 65,000 rows:
 * 155 ms at 100, 60 ms at 30 — work that competes with ingest for the same cores.
 */
const STATISTICS_TARGET = 30;

/** The tables whose lookups depend on their statistics. */
const WATCHED = new Set(['message', 'conversation', 'contact_identity', 'contact', 'reporting_fact']);

/** Per watched table, the columns its hot queries filter, join and sort on (those present are analyzed). */
const ANALYZED: Record<string, readonly string[]> = {
  message: ['brand_id', 'network', 'network_message_id', 'in_reply_to_network_id', 'conversation_id', 'created_at', 'direction', 'status', 'idempotency_key'],
  conversation: ['brand_id', 'status', 'last_message_at', 'contact_id', 'channel_account_id', 'team_id', 'assignee_id', 'priority', 'queued_at', 'waiting_since', 'sla_due_at', 'sla_state'],
  contact_identity: ['brand_id', 'network', 'network_user_id', 'contact_id'],
  contact: ['brand_id', 'crm_customer_id'],
  reporting_fact: ['brand_id', 'kind', 'occurred_at', 'conversation_id', 'message_id'],
};

export interface PlannerStatisticsOptions {
  /** Rows a table must gain before it is analyzed at all (default 5,000). */
  minRows?: number;
  /** Growth, as a share of the rows at its last statistics, that makes a table due (default 0.5). */
  growth?: number;
}

export class PlannerStatistics {
  private readonly added = new Map<string, number>();
  /** Rows per table when its statistics were last taken (PostgreSQL's `reltuples`); unknown until read. */
  private readonly known = new Map<string, number>();
  /** The columns analyzed per table, read from the catalog once. */
  private readonly columns = new Map<string, string[]>();
  private running: Promise<void> | null = null;
  /** Tables analyzed, in order (metrics and tests). */
  readonly analyzed: string[] = [];
  /** A failed ANALYZE (the app logs it); the lookups then keep their older plans until autovacuum runs. */
  onError: ((err: unknown) => void) | null = null;

  private readonly minRows: number;
  private readonly growth: number;

  constructor(private readonly db: Kysely<DB>, opts: PlannerStatisticsOptions = {}) {
    this.minRows = opts.minRows ?? 5_000;
    this.growth = opts.growth ?? 0.5;
  }

  /** `n` rows inserted into `table` (committed or about to be). */
  count(table: string, n: number): void {
    if (n > 0 && WATCHED.has(table)) this.added.set(table, (this.added.get(table) ?? 0) + n);
  }

  /** After a commit: analyze, in the background, the tables that are due. Never throws. */
  check(): void {
    if (this.running || !this.anyCandidate()) return;
    this.running = this.analyzeDue()
      .catch((err) => this.onError?.(err))
      .finally(() => {
        this.running = null;
      });
  }

  /** Resolves when no ANALYZE is running (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private anyCandidate(): boolean {
    for (const n of this.added.values()) if (n >= this.minRows) return true;
    return false;
  }

  private async analyzeDue(): Promise<void> {
    const tables = [...this.added].filter(([, n]) => n >= this.minRows).map(([t]) => t);
    for (const t of tables) if (!this.known.has(t)) this.known.set(t, await this.reltuples(t));
    const due = tables.filter((t) => this.added.get(t)! >= this.growth * this.known.get(t)!);
    if (!due.length) return;
    for (const t of due) this.added.set(t, 0);
    const targets: RawBuilder<unknown>[] = [];
    for (const t of due) {
      const cols = await this.analyzedColumns(t);
      targets.push(cols.length ? sql`${sql.table(t)} (${sql.join(cols.map((c) => sql.ref(c)))})` : sql.table(t));
    }
    // a sample of 300 × STATISTICS_TARGET rows: enough to tell the planner the table is large
    // and its lookup columns selective; autovacuum's later ANALYZE refines them at its own target
    await this.db.transaction().execute(async (trx) => {
      await sql`set local default_statistics_target = ${sql.raw(String(STATISTICS_TARGET))}`.execute(trx);
      await sql`analyze ${sql.join(targets)}`.execute(trx);
    });
    for (const t of due) {
      this.known.set(t, await this.reltuples(t));
      this.analyzed.push(t);
    }
  }

  private async analyzedColumns(table: string): Promise<string[]> {
    let cols = this.columns.get(table);
    if (!cols) {
      // the listed columns the table has (a column added or dropped by a later migration never breaks the ANALYZE)
      const r = await sql<{ name: string }>`select attname as name from pg_attribute
        where attrelid = to_regclass(${table}) and attnum > 0 and not attisdropped order by attnum`.execute(this.db);
      const want = ANALYZED[table] ?? [];
      cols = r.rows.map((x) => x.name).filter((c) => want.includes(c));
      this.columns.set(table, cols);
    }
    return cols;
  }

  /** PostgreSQL's row estimate for `table` (0 when never analyzed: -1 since PostgreSQL 14). */
  private async reltuples(table: string): Promise<number> {
    const r = await sql<{ n: number | string | null }>`select reltuples as n from pg_class where oid = to_regclass(${table})`.execute(this.db);
    return Math.max(0, Number(r.rows[0]?.n ?? 0));
  }
}
