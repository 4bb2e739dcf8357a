/**
 * One set of migrations for SQLite and PostgreSQL. Each migration module exports
 * `up(db, ctx)`; the context says which dialect runs it and how to declare an id
 * column, so the few dialect-specific statements stay visible in the file.
 * Migrations are append-only: never edit one that has shipped; add a new file.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { ColumnDataType, ColumnDefinitionBuilder } from 'kysely';
import type { Dialect } from './db.js';
import { migrations } from './migrations/index.js';

export interface MigrationContext {
  dialect: Dialect;
  /** Spread into `.addColumn('id', ...id)`. */
  id: [ColumnDataType, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder];
}

export type MigrationModule = { up(db: Kysely<any>, ctx: MigrationContext): Promise<void> };

function context(dialect: Dialect): MigrationContext {
  return {
    dialect,
    id: dialect === 'sqlite'
      ? ['integer', (c) => c.primaryKey()]
      : ['bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()],
  };
}

class CodeProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const ctx = context(this.dialect);
    const out: Record<string, Migration> = {};
    for (const [name, mod] of Object.entries(migrations)) out[name] = { up: (db) => mod.up(db, ctx) };
    return out;
  }
}

/** Bring the schema up to date; returns the names applied now. Throws with the failing migration's name (or none, when none could run), the driver's error as `cause`. */
export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new CodeProvider(dialect), migrationTableName: 'parley_migration', migrationLockTableName: 'parley_migration_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const why = error instanceof Error ? error.message : String(error);
    // no migration ran when the database could not be reached or read at all (it does not exist, wrong password…)
    throw new Error(failed ? `migration ${failed.migrationName} failed: ${why}` : `cannot migrate the database: ${why}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
