/**
 * Opening the store: SQLite (embedded, the default) or PostgreSQL (DATABASE_URL).
 * Both behind one Kysely instance and one set of migrations.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import { CachedSqliteDialect } from './sqliteDialect.js';
import pg from 'pg';
import type { DB } from './schema.js';
import { migrateToLatest } from './migrate.js';
import { startCheckpointer } from './checkpointer.js';
import { PlannerStatistics } from './statistics.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<DB>;
  dialect: Dialect;
  /** The underlying driver, for the few paths that need it (bulk load, LISTEN/NOTIFY). */
  sqlite?: BetterSqlite3.Database;
  pgPool?: pg.Pool;
  /** Where the store lives, for logs (never includes a password). */
  describe: string;
  /** PostgreSQL: keeps the planner's statistics fresh while tables grow fast (see statistics.ts). */
  statistics?: PlannerStatistics;
  /** SQLite file: cut the WAL back to nothing once no reader holds it (after an erasure: src/store/secureDelete.ts). */
  truncateWal?: () => void;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://... ; when absent, SQLite is used. */
  databaseUrl?: string | undefined;
  /** Directory for the SQLite file (created if missing). */
  dataDir?: string;
  /** Explicit SQLite file path, or ':memory:'. Overrides dataDir. */
  sqliteFile?: string;
  /** Run migrations on open (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

const int8AsNumber = (oid: number, format?: any) => {
  // COUNT(*), bigint ids and millisecond times: all well inside 2^53.
  if (oid === 20) return (v: string) => Number(v);
  return pg.types.getTypeParser(oid, format);
};

/** chmod 600 when the file exists and is ours (another owner's file is left as it is). */
function ownerOnly(file: string): void {
  try {
    if (existsSync(file)) chmodSync(file, 0o600);
  } catch {
    /* not ours to change */
  }
}

export async function openStore(opts: StoreOptions = {}): Promise<Store> {
  let store: Store;
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10, types: { getTypeParser: int8AsNumber } as any });
    // A connection that breaks (server restart, idle timeout, pg_terminate_backend) emits 'error':
    // on the pool while the client is idle in it, on the client itself while it is checked out
    // (between queries, e.g. graphile-worker's LISTEN connection or a sweep's advisory lock). An
    // 'error' nobody listens to is an uncaught exception that ends the process, so both have a
    // listener; pg marks the client broken and the next query on it fails (and the pool replaces
    // it). graphile-worker, handed this pool, checks for exactly these two listeners.
    pool.on('error', () => { /* idle client errors surface on the next query */ });
    pool.on('connect', (client) => {
      client.on('error', () => { /* a checked-out client's error surfaces on its next query */ });
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    const u = new URL(opts.databaseUrl);
    const statistics = new PlannerStatistics(db);
    store = {
      db, dialect: 'postgres', pgPool: pool, describe: `postgres://${u.host}${u.pathname}`, statistics,
      close: async () => {
        await statistics.idle();
        await db.destroy();
      },
    };
  } else {
    const file = opts.sqliteFile ?? join(opts.dataDir ?? './data', 'parley.db');
    if (file !== ':memory:' && !opts.sqliteFile) mkdirSync(opts.dataDir ?? './data', { recursive: true, mode: 0o700 });
    const sqlite = new BetterSqlite3(file);
    // customer data and password hashes: readable by this user only (SQLite gives the WAL and
    // shared-memory files the database's mode; ones left by an earlier run are narrowed too)
    if (file !== ':memory:') for (const f of [file, `${file}-wal`, `${file}-shm`]) ownerOnly(f);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('temp_store = MEMORY');
    sqlite.pragma('cache_size = -65536');
    const db = new Kysely<DB>({ dialect: new CachedSqliteDialect(sqlite) });
    if (file === ':memory:') store = { db, dialect: 'sqlite', sqlite, describe: `sqlite:${file}`, close: () => db.destroy() };
    else {
      // checkpoints in a worker thread, never inside a commit (see checkpointer.ts); a reset WAL is cut back to 64 MB
      sqlite.pragma('wal_autocheckpoint = 0');
      sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      const checkpointer = startCheckpointer(file);
      store = {
        db, dialect: 'sqlite', sqlite, describe: `sqlite:${file}`,
        truncateWal: () => checkpointer.truncate(),
        close: async () => {
          await checkpointer.stop();
          await db.destroy();
        },
      };
    }
  }
  if (opts.migrate !== false) {
    try {
      await migrateToLatest(store.db, store.dialect);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}
