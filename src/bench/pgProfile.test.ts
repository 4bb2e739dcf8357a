import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../lib/services.js';
import { openStore, type Store } from '../store/db.js';
import { formatStatementProfile, startStatementProfile, statementProfile } from './pgProfile.js';

describe('PARLEY_PG_PROFILE: PostgreSQL time per statement', () => {
  let pg: RunningPostgres;
  let store: Store;
  beforeAll(async () => {
    const was = process.env.PARLEY_PG_PROFILE;
    process.env.PARLEY_PG_PROFILE = '1'; // the throwaway server loads the extension
    try {
      pg = await startPostgres();
    } finally {
      if (was === undefined) delete process.env.PARLEY_PG_PROFILE;
      else process.env.PARLEY_PG_PROFILE = was;
    }
    store = await openStore({ databaseUrl: pg.url, migrate: false });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    pg?.stop();
  });

  it("counts the statements run after it starts, triggers' own apart, most time first", async () => {
    await store.pgPool!.query('create table t (id int primary key, v text)');
    await store.pgPool!.query('create table t_log (id int)');
    await store.pgPool!.query(`create function t_logged() returns trigger language plpgsql as $$ begin insert into t_log values (new.id); return null; end $$`);
    await store.pgPool!.query('create trigger t_after after insert on t for each row execute function t_logged()');
    await store.pgPool!.query(`insert into t select g, 'before' from generate_series(1, 10) g`);
    expect(await startStatementProfile(store)).toBe(true);
    await store.pgPool!.query(`insert into t select g, repeat('x', 100) from generate_series(11, 5010) g`);
    for (let i = 0; i < 3; i++) await store.pgPool!.query('select count(*) from t where v = $1', ['y']);
    const rows = await statementProfile(store);
    const insert = rows.find((r) => r.statement.startsWith('insert into t select'));
    expect(insert).toMatchObject({ calls: 1, rows: 5000 });
    expect(rows.find((r) => r.statement.startsWith('insert into t_log'))).toMatchObject({ calls: 5000, rows: 5000 });
    expect(rows.find((r) => r.statement.startsWith('select count(*) from t'))).toMatchObject({ calls: 3 });
    expect(rows.some((r) => r.statement.includes("'before'"))).toBe(false); // reset at the start
    expect(rows.map((r) => r.ms)).toEqual([...rows.map((r) => r.ms)].sort((a, b) => b - a));
    const text = formatStatementProfile(rows, 5000);
    expect(text.split('\n')[0]).toMatch(/over 5000 messages .* µs a message$/);
    expect(text).toContain('5000 calls');
  });

  it('says no where the server did not load the extension', async () => {
    const plain = await startPostgres();
    const s = await openStore({ databaseUrl: plain.url, migrate: false });
    try {
      expect(await startStatementProfile(s)).toBe(false);
    } finally {
      await s.close();
      plain.stop();
    }
  }, 60_000);
});
