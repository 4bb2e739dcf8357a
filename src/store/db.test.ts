/**
 * The PostgreSQL pool survives a connection that breaks while it is checked out (a server
 * restart, an idle timeout, pg_terminate_backend): graphile-worker's LISTEN connection and a
 * sweep's advisory-lock connection are held between queries, and an 'error' event nobody
 * listens to on such a client would end the process. And SQLite's files are readable by their
 * owner only.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db.js';
import { openStore } from './db.js';

describe('PostgreSQL pool [postgres]', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
  });
  afterAll(() => t?.drop());

  it('a checked-out connection that is terminated between queries fails its next query, not the process; the pool carries on', async () => {
    const pool = t.store.pgPool!;
    const client = await pool.connect();
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    const admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    await ended; // the client saw its connection go (and emitted 'error' while nobody was querying)
    await expect(client.query('select 1')).rejects.toThrow();
    client.release(true);
    const r = await t.store.db.selectFrom('brand').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(r.n)).toBe(0);
  });
});

describe('SQLite files [sqlite]', () => {
  it('are readable by their owner only: the data directory it creates, the database, its WAL and shared memory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'parley-perm-'));
    try {
      const dataDir = join(root, 'data');
      const store = await openStore({ dataDir });
      await store.db.insertInto('kv').values({ key: 'k', value: 'v', updated_at: 0 }).execute();
      const mode = (f: string) => statSync(f).mode & 0o777;
      expect(mode(dataDir)).toBe(0o700);
      for (const f of ['parley.db', 'parley.db-wal', 'parley.db-shm']) expect(mode(join(dataDir, f)), f).toBe(0o600);
      await store.close();
      // files an earlier version left world-readable are narrowed at the next start
      const old = join(root, 'old');
      const s2 = await openStore({ dataDir: old });
      await s2.close();
      chmodSync(join(old, 'parley.db'), 0o644);
      writeFileSync(join(old, 'parley.db-wal'), '', { mode: 0o644 });
      const s3 = await openStore({ dataDir: old });
      expect(mode(join(old, 'parley.db'))).toBe(0o600);
      expect(mode(join(old, 'parley.db-wal'))).toBe(0o600);
      await s3.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
