/**
 * Kysely's SQLite dialect, with two changes measured to matter for ingest:
 * - prepared statements are cached by SQL text (Kysely's driver re-prepares every
 *   query; preparing costs more than running a small insert);
 * - write transactions start with BEGIN IMMEDIATE, so a transaction that reads
 *   and then writes never fails with SQLITE_BUSY half-way, and ids read inside
 *   it (max(id)) cannot be taken by another writer.
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

const CACHE_SIZE = 500;

/** PARLEY_SQL_PROFILE=1: time per statement shape, printed at exit (for `parley bench` profiling). */
export const PROFILE = process.env.PARLEY_SQL_PROFILE === '1';
const profile = new Map<string, { n: number; ms: number }>();
export function record(sql: string, ms: number) {
  const key = sql.replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(…)').slice(0, 160);
  const e = profile.get(key) ?? { n: 0, ms: 0 };
  e.n++;
  e.ms += ms;
  profile.set(key, e);
}
if (PROFILE) {
  process.on('exit', () => {
    const rows = [...profile].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
    for (const [k, v] of rows) process.stderr.write(`${v.ms.toFixed(0).padStart(7)} ms ${String(v.n).padStart(7)}x  ${k}\n`);
  });
}

type RowBuilder = ((values: unknown[]) => Record<string, unknown>) & { width: number };

/**
 * Rows as objects, built here from better-sqlite3's arrays (`raw` mode): its own objects
 * get their properties one by one from C++ and came out about twice as slow to make (600
 * conversation rows of 35 columns: 10–17 ms against 4–7). The builder is an object literal
 * compiled once per statement, so every row shares one shape. Same result as the object
 * mode: columns in order, a later column of the same name wins, and a column named
 * `__proto__` is no property (assigning a value there is a no-op).
 */
function rowBuilder(columns: readonly string[]): RowBuilder {
  const fields = columns.map((c, i) => (c === '__proto__' ? null : `${JSON.stringify(c)}: v[${i}]`)).filter((f) => f !== null);
  const build = new Function('v', `return {${fields.join(', ')}};`) as (values: unknown[]) => Record<string, unknown>;
  return Object.assign(build, { width: columns.length });
}

class CachedConnection implements DatabaseConnection {
  private readonly cache = new Map<string, { stmt: BetterSqlite3.Statement; build: RowBuilder | null }>();
  constructor(private readonly db: BetterSqlite3.Database) {}

  private prepare(sql: string): { stmt: BetterSqlite3.Statement; build: RowBuilder | null } {
    let entry = this.cache.get(sql);
    if (entry) {
      // refresh LRU position
      this.cache.delete(sql);
      this.cache.set(sql, entry);
      return entry;
    }
    const stmt = this.db.prepare(sql);
    entry = { stmt, build: stmt.reader ? rowBuilder(stmt.columns().map((c) => c.name)) : null };
    if (stmt.reader) stmt.raw(true);
    this.cache.set(sql, entry);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const t0 = PROFILE ? performance.now() : 0;
    const entry = this.prepare(q.sql);
    const { stmt } = entry;
    const params = q.parameters as unknown[];
    try {
      if (entry.build) {
        const values = stmt.all(params) as unknown[][];
        // a schema change re-prepares the statement underneath (`select *` after a column is added)
        if (values.length && values[0]!.length !== entry.build.width) entry.build = rowBuilder(stmt.columns().map((c) => c.name));
        const build = entry.build;
        const rows = new Array<R>(values.length);
        for (let i = 0; i < values.length; i++) rows[i] = build(values[i]!) as R;
        return { rows };
      }
      const { changes, lastInsertRowid } = stmt.run(params);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    } finally {
      if (PROFILE) record(q.sql, performance.now() - t0);
    }
  }

  async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(q.query)) throw new Error('SQLite streaming supports only SELECT');
    const stmt = this.db.prepare(q.sql);
    for (const row of stmt.iterate(q.parameters as unknown[])) yield { rows: [row as R] };
  }
}

class Mutex {
  private chain: Promise<void> = Promise.resolve();
  private release: (() => void) | null = null;
  async lock(): Promise<void> {
    const prev = this.chain;
    let release!: () => void;
    this.chain = new Promise<void>((r) => (release = r));
    await prev;
    this.release = release;
  }
  unlock(): void {
    const r = this.release;
    this.release = null;
    r?.();
  }
}

class CachedSqliteDriver implements Driver {
  private readonly mutex = new Mutex();
  private conn!: CachedConnection;
  constructor(private readonly db: BetterSqlite3.Database) {}
  async init(): Promise<void> {
    this.conn = new CachedConnection(this.db);
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock();
    return this.conn;
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }
  async destroy(): Promise<void> {
    this.db.close();
  }
}

export class CachedSqliteDialect implements Dialect {
  constructor(private readonly db: BetterSqlite3.Database) {}
  createDriver(): Driver {
    return new CachedSqliteDriver(this.db);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}
