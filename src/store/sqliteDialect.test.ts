import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachedSqliteDialect } from './sqliteDialect.js';

// Rows are built from better-sqlite3's raw arrays: they must be exactly what its own
// object mode returns, for every kind of select the store runs.
describe('the SQLite dialect', () => {
  let raw: BetterSqlite3.Database;
  let db: Kysely<any>;
  beforeEach(() => {
    raw = new BetterSqlite3(':memory:');
    raw.exec(`create table a (id integer primary key, name text, n real, blob blob, empty text);
      create table b (id integer primary key, a_id integer, name text);
      insert into a values (1, 'one', 1.5, x'00ff', null), (2, 'two "quoted" \u2028', -0.25, null, null);
      insert into b values (10, 1, 'b-one'), (11, 2, 'b-two'), (12, 2, 'b-three');`);
    db = new Kysely<any>({ dialect: new CachedSqliteDialect(raw) });
  });
  afterEach(async () => {
    await db.destroy();
  });

  const objectMode = (text: string, ...params: unknown[]) => raw.prepare(text).all(...params);

  it('returns the same rows as better-sqlite3 objects: all columns, nulls, blobs, joins with repeated names', async () => {
    for (const text of [
      'select * from a order by id',
      'select * from a join b on b.a_id = a.id order by b.id', // id and name twice: the later wins
      'select name as "weird key ""x""", 1 + 1 as two, id from a order by id',
      "select 'x' as __proto__, id from a order by id",
    ]) {
      const got = (await sql.raw(text).execute(db)).rows;
      expect(got, text).toEqual(objectMode(text));
      for (const [i, row] of got.entries()) expect(Object.keys(row as object), text).toEqual(Object.keys(objectMode(text)[i] as object));
    }
    const proto = (await sql.raw("select 'x' as __proto__").execute(db)).rows[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });

  it('binds parameters and keeps returning fresh rows from a cached statement', async () => {
    const q = (id: number) => db.selectFrom('a').selectAll().where('id', '=', id).execute();
    expect(await q(1)).toEqual(objectMode('select * from a where id = ?', 1));
    expect(await q(2)).toEqual(objectMode('select * from a where id = ?', 2));
    const ret = await db.insertInto('b').values({ id: 13, a_id: 1, name: 'new' }).returning(['id', 'name']).execute();
    expect(ret).toEqual([{ id: 13, name: 'new' }]);
  });

  it('follows a schema change under a cached select *', async () => {
    const all = () => sql.raw('select * from a order by id').execute(db).then((r) => r.rows);
    expect(Object.keys((await all())[0] as object)).toEqual(['id', 'name', 'n', 'blob', 'empty']);
    raw.exec("alter table a add column extra text default 'e'");
    expect(await all()).toEqual(objectMode('select * from a order by id'));
    expect((await all())[0]).toMatchObject({ extra: 'e' });
  });
});
