/**
 * Store fixtures: every store suite runs against real SQLite and the real
 * PostgreSQL started by test/setup/global.ts. Each test file gets its own
 * database (a temp SQLite file, a fresh PostgreSQL database), dropped after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { openStore, type Dialect, type Store } from '../src/store/db.js';

export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  store: Store;
  /** Connection settings to open more stores/processes on the same database. */
  databaseUrl?: string;
  sqliteFile?: string;
  drop(): Promise<void>;
}

let counter = 0;

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
    const sqliteFile = join(dir, 'parley.db');
    const store = await openStore({ sqliteFile });
    return {
      store,
      sqliteFile,
      async drop() {
        await store.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const adminUrl = inject('pgUrl');
  const name = `parley_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const databaseUrl = u.toString();
  const store = await openStore({ databaseUrl });
  return {
    store,
    databaseUrl,
    async drop() {
      await store.close().catch(() => {});
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * `describe` once per dialect with a fresh database for the block.
 * `get()` returns the live TestDatabase inside tests.
 */
export function describeEachStore(title: string, body: (get: () => TestDatabase, dialect: Dialect) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${title} [${dialect}]`, () => {
      let t: TestDatabase | undefined;
      beforeAll(async () => {
        t = await createTestDatabase(dialect);
      });
      afterAll(async () => {
        await t?.drop();
      });
      body(() => {
        if (!t) throw new Error('test database not ready');
        return t;
      }, dialect);
    });
  }
}
