/**
 * The PostgreSQL pool survives a connection that breaks while it is checked out (a server
 * restart, an idle timeout, pg_terminate_backend): graphile-worker's LISTEN connection and a
 * sweep's advisory-lock connection are held between queries, and an 'error' event nobody
 * listens to on such a client would end the process.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db.js';

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
