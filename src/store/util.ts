/** Small store helpers shared by queries and the pipeline. */
import { CompiledQuery, sql, type Kysely, type RawBuilder, type SqlBool, type Transaction } from 'kysely';
import type { Store } from './db.js';
import type { DB } from './schema.js';
import { PROFILE as SQL_PROFILE, record as recordSql } from './sqliteDialect.js';

export type Tx = Kysely<DB> | Transaction<DB>;

/**
 * Reads that must agree with each other (a conversation and its messages) in one
 * consistent snapshot: REPEATABLE READ on PostgreSQL (its default READ COMMITTED
 * would let a commit land between two reads), a read transaction on SQLite.
 */
export async function readSnapshot<T>(store: Store, fn: (db: Tx) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') return store.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(fn);
  return store.db.transaction().execute(fn);
}

export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Values for `where x in (…)`, in parts of at most `size`, each padded to a power of two
 * (or to `size`) by repeating its last value, which changes no IN test. A list's length is
 * part of the SQL text, so unpadded lists made a new statement for nearly every batch: on
 * SQLite each was prepared (and its row builder compiled) again, and the prepared-statement
 * cache churned; padded, a query has at most ten shapes.
 */
export function* inLists<T>(items: readonly T[], size = 500): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield padInList(items.slice(i, i + size), size);
}

/** `part` (changed in place) padded as `inLists` pads: to a power of two, at most `size`. */
export function padInList<T>(part: T[], size = 500): T[] {
  if (part.length === 0) return part;
  let n = 1;
  while (n < part.length) n *= 2;
  n = Math.max(part.length, Math.min(n, size));
  const last = part[part.length - 1]!;
  while (part.length < n) part.push(last);
  return part;
}

/**
 * `column IN (values)` for a hot lookup. SQLite: a plain IN list (pass a part from
 * `inLists`, so its length, part of the SQL, takes few values). PostgreSQL:
 * `column = ANY($1::type[])` with the values as one binary array parameter, one
 * parameter to bind instead of up to 500 (planning the lookups: ~150 → ~100 ms per
 * 20,000 messages), executed the same way. (Hiding the values from the planner behind
 * an InitPlan saved the rest of the reply-children lookup's planning, 1.5 ms for 500
 * values, but then the planner cannot tell the lookup is selective and may scan all of
 * a brand's messages instead.)
 */
export function inValues(store: Store, column: string, values: readonly (string | number)[], pgType: 'text' | 'bigint'): RawBuilder<SqlBool> {
  if (store.dialect === 'sqlite') return sql<SqlBool>`${sql.ref(column)} in (${sql.join(values)})`;
  return sql<SqlBool>`${sql.ref(column)} = any(${arrayParam(values, pgType)}::${sql.raw(pgType)}[])`;
}

/**
 * Reserve `n` ids for `table` inside the current write transaction, so a batch
 * knows its rows' ids before inserting them (RETURNING order is not guaranteed).
 * SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so what follows the
 * largest id is ours; the largest ever used, not the largest left: the tables the webhook
 * sweep reads by id are AUTOINCREMENT (migration 20261206T1910), whose `sqlite_sequence`
 * remembers a deleted newest row's id, which max(id) would hand out again below the
 * sweep's cursor. Inserting the ids moves the sequence past them.
 * PostgreSQL: draw from the identity sequence.
 */
export async function reserveIds(trx: Tx, store: Store, table: 'conversation' | 'message' | 'contact' | 'contact_identity' | 'reporting_fact', n: number): Promise<number[]> {
  if (n === 0) return [];
  if (store.dialect === 'sqlite') {
    const r = await sql<{ m: number | null }>`select max(coalesce((select seq from sqlite_sequence where name = ${table}), 0), coalesce((select max(id) from ${sql.table(table)}), 0)) as m`.execute(trx);
    const start = Number(r.rows[0]?.m ?? 0) + 1;
    return Array.from({ length: n }, (_, i) => start + i);
  }
  const seq = await serialSequence(trx, table);
  const r = await sql<{ id: number }>`select nextval(${seq}::regclass) as id from generate_series(1, ${n})`.execute(trx);
  return r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
}

const pgSequences = new Map<string, Promise<string>>();

/**
 * The identity sequence of `table`'s id, looked up once per process: calling
 * `pg_get_serial_sequence` in the select list looked it up again for every id drawn
 * (~7 ms per thousand ids, against ~1 ms).
 */
function serialSequence(trx: Tx, table: string): Promise<string> {
  return readOnce(pgSequences, table, () =>
    sql<{ s: string | null }>`select pg_get_serial_sequence(${table}, 'id') as s`.execute(trx).then((r) => {
      const s = r.rows[0]?.s;
      if (!s) throw new Error(`reserveIds: ${table}.id has no sequence`);
      return s;
    }));
}

/**
 * Serialize writers of one brand across processes (PostgreSQL); SQLite's write lock already does.
 * Scopes: 1 ingest, 2 routing, 3 rollups, 4 people, 5 incidents (6 and 7: `lockKey`'s).
 */
export async function lockBrand(trx: Tx, store: Store, brandId: number, scope = 1): Promise<void> {
  if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${872000 + scope}, ${brandId})`.execute(trx);
}

/** `lockBrand` for a finer thing than a brand, named by a string (hashed): scopes 6 keyless replies, 7 moderation (8: the sign-in limits' counters, src/server/auth.ts). */
export async function lockKey(trx: Tx, store: Store, scope: number, key: string): Promise<void> {
  if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${872000 + scope}, hashtext(${key}))`.execute(trx);
}

const sqliteStatements = new WeakMap<object, Map<string, import('better-sqlite3').Statement>>();

function sqliteStmt(store: Store, key: string, sqlText: string) {
  const db = store.sqlite!;
  let m = sqliteStatements.get(db);
  if (!m) sqliteStatements.set(db, (m = new Map()));
  let st = m.get(key);
  if (!st) m.set(key, (st = db.prepare(sqlText)));
  return st;
}

/**
 * The rows of one SQLite query through a cached prepared statement: for a query run once
 * per item of a batch, where going through the query builder would cost more than the
 * query. It runs on the store's one connection, so inside the current transaction.
 */
export function sqliteAll<T>(store: Store, sqlText: string, params: readonly unknown[]): T[] {
  return sqliteStmt(store, sqlText, sqlText).all(...params) as T[];
}

const quoteId = (s: string) => `"${s.replace(/"/g, '""')}"`;
const toSqlite = (v: unknown) => (v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v);

/**
 * Writes of one transaction run in the order given, one after another, while the caller
 * goes on computing: on PostgreSQL the database works on a statement while JavaScript
 * prepares the next rows, instead of the two taking turns. A write added while none runs
 * begins at once; one added behind others begins when they are done, which needs the
 * caller to yield (`await started()`). `done()` waits for all of them and throws the
 * first failure; after a failure the writes behind it do not run, and the transaction
 * must be rolled back.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private running = 0;
  private lastStarted: Promise<void> = Promise.resolve();

  add(write: () => Promise<unknown>): void {
    const run = (): Promise<unknown> => {
      let p: Promise<unknown>;
      try {
        p = write();
      } catch (err) {
        p = Promise.reject(err);
      }
      return p.finally(() => void this.running--);
    };
    this.running++;
    if (this.running === 1) {
      this.tail = run();
      this.lastStarted = Promise.resolve();
    } else {
      let mark!: () => void;
      this.lastStarted = new Promise<void>((r) => (mark = r));
      this.tail = this.tail.then(
        () => (mark(), run()),
        (err: unknown) => {
          mark();
          throw err;
        },
      );
    }
    this.tail.catch(() => {}); // observed by done(); not an unhandled rejection meanwhile
  }

  /**
   * Resolves once the last write added has begun (or a write before it failed), and a turn
   * of the event loop later, so that its first statement has been sent.
   */
  started(): Promise<void> {
    return this.lastStarted.then(() => new Promise<void>((r) => setImmediate(r)));
  }

  async done(): Promise<void> {
    await this.tail;
  }
}

/**
 * Insert many rows fast. SQLite: one cached single-row prepared statement run
 * per row — no SQL to build or parse per batch (measured several times faster
 * than multi-row INSERTs through the query builder). PostgreSQL: one statement
 * with an array parameter per column, unnested into rows (measured 15 % more
 * pipeline throughput than multi-row VALUES, whose parameter per value PostgreSQL
 * must parse and plan). `upsertOn` turns it into an upsert that
 * overwrites `upsertColumns` (and bumps `version` when `bumpVersion`).
 * Call inside the caller's transaction; on SQLite the Kysely transaction and
 * better-sqlite3 share the one connection.
 */
export async function insertRows(
  trx: Tx,
  store: Store,
  table: keyof DB & string,
  rows: Record<string, unknown>[],
  opts: InsertOptions = {},
): Promise<void> {
  await (await prepareInsertRows(trx, store, table, rows, opts))();
}

type InsertOptions = {
  upsertOn?: string;
  upsertColumns?: readonly string[];
  bumpVersion?: boolean;
  ignoreConflicts?: boolean;
  /** Text columns whose values may come as UTF-8 bytes (a Uint8Array), stored as text all the same. */
  utf8Columns?: readonly string[];
};

/**
 * `insertRows` in two steps: its parameters built now (PostgreSQL), its statement sent by
 * the function returned — so a `WriteQueue` can build the next write's while the database
 * runs the last one.
 */
export async function prepareInsertRows(
  trx: Tx,
  store: Store,
  table: keyof DB & string,
  rows: Record<string, unknown>[],
  opts: InsertOptions = {},
): Promise<() => Promise<void>> {
  if (!rows.length) return async () => {};
  const cols = Object.keys(rows[0]!);
  const conflict = opts.upsertOn
    ? ` ON CONFLICT (${quoteId(opts.upsertOn)}) DO UPDATE SET ${[...(opts.upsertColumns ?? []).map((c) => `${quoteId(c)} = excluded.${quoteId(c)}`), ...(opts.bumpVersion ? [`"version" = ${quoteId(table)}."version" + 1`] : [])].join(', ')}`
    : opts.ignoreConflicts ? ' ON CONFLICT DO NOTHING' : '';
  if (store.dialect === 'sqlite') {
    return async () => {
      const key = `${table}|${cols.join(',')}|${conflict}|${opts.utf8Columns?.join(',') ?? ''}`;
      // bytes bind as a blob: cast to text, which takes them as UTF-8 (the database's encoding) as they are
      const utf8 = opts.utf8Columns ?? [];
      const values = cols.map((c) => (utf8.includes(c) ? 'CAST(? AS TEXT)' : '?')).join(', ');
      const st = sqliteStmt(store, key, `INSERT INTO ${quoteId(table)} (${cols.map(quoteId).join(', ')}) VALUES (${values})${conflict}`);
      const t0 = SQL_PROFILE ? performance.now() : 0;
      const params = new Array<unknown>(cols.length); // bound synchronously by run: one array for every row
      for (const r of rows) {
        for (let i = 0; i < cols.length; i++) params[i] = toSqlite(r[cols[i]!]);
        st.run(params);
      }
      if (SQL_PROFILE) recordSql(`insertRows ${table}${opts.upsertOn ? ' (upsert)' : ''}`, performance.now() - t0);
    };
  }
  // one array parameter per column, unnested into rows: PostgreSQL parses and plans a
  // statement of a few dozen parameters instead of one with a parameter per value
  const arrays = await arrayParameters(trx, table, cols);
  const params = cols.map((c, i) => arrays.param(rows.map((r) => r[c] ?? null), i));
  const query = CompiledQuery.raw(`INSERT INTO ${quoteId(table)} (${cols.map(quoteId).join(', ')}) SELECT * FROM unnest(${arrays.sql})${conflict}`, params);
  return async () => {
    await trx.executeQuery(query);
    if (!opts.upsertOn) store.statistics?.count(table, rows.length);
  };
}

/**
 * Write changed rows back by id, bumping `version`. SQLite: an UPDATE of only the
 * columns whose value differs from `before` (one cached statement per set of
 * columns), so an index none of whose columns changed is left alone — an upsert
 * of the whole row rewrites every index entry of the row (the conversation has
 * eight). PostgreSQL: one UPDATE of `columns` for all rows (one round trip).
 */
export async function updateChangedRows(
  trx: Tx,
  store: Store,
  table: keyof DB & string,
  rows: ChangedRow[],
  columns: readonly string[],
): Promise<void> {
  await (await prepareUpdateChangedRows(trx, store, table, rows, columns))();
}

type ChangedRow = { before: Record<string, unknown> & { id: number; version: number }; after: Record<string, unknown> };

/** `updateChangedRows` in two steps, as `prepareInsertRows`. */
export async function prepareUpdateChangedRows(
  trx: Tx,
  store: Store,
  table: keyof DB & string,
  rows: ChangedRow[],
  columns: readonly string[],
): Promise<() => Promise<void>> {
  if (!rows.length) return async () => {};
  if (store.dialect !== 'sqlite') {
    // one UPDATE joined to an array parameter per column: 20–25 % cheaper than the upsert
    // (INSERT … ON CONFLICT DO UPDATE) it replaces, which first tried each row as an insert
    const cols = ['id', ...columns];
    const arrays = await arrayParameters(trx, table, cols);
    const params = cols.map((c, i) => arrays.param(rows.map((r) => (c === 'id' ? r.before.id : r.after[c]) ?? null), i));
    const query = CompiledQuery.raw(
      `UPDATE ${quoteId(table)} AS t SET ${columns.map((c) => `${quoteId(c)} = v.${quoteId(c)}`).join(', ')}, "version" = t."version" + 1 FROM unnest(${arrays.sql}) AS v(${cols.map(quoteId).join(', ')}) WHERE t."id" = v."id"`,
      params,
    );
    return async () => void (await trx.executeQuery(query));
  }
  return async () => {
    const t0 = SQL_PROFILE ? performance.now() : 0;
    for (const { before, after } of rows) {
      const set = columns.filter((c) => toSqlite(after[c]) !== toSqlite(before[c]));
      const st = sqliteStmt(store, `update|${table}|${set.join(',')}`, `UPDATE ${quoteId(table)} SET ${[...set.map((c) => `${quoteId(c)} = ?`), '"version" = "version" + 1'].join(', ')} WHERE "id" = ?`);
      st.run([...set.map((c) => toSqlite(after[c])), before.id]);
    }
    if (SQL_PROFILE) recordSql(`updateChangedRows ${table}`, performance.now() - t0);
  };
}

const pgColumnTypes = new Map<string, Promise<Map<string, string>>>();

/** A table's column types as PostgreSQL spells them (`bigint`, `text`, `jsonb`, …), read once per process. */
function columnTypes(trx: Tx, table: string): Promise<Map<string, string>> {
  return readOnce(pgColumnTypes, table, () =>
    sql<{ name: string; type: string }>`select a.attname as name, format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
      where a.attrelid = ${table}::regclass and a.attnum > 0 and not a.attisdropped`.execute(trx).then((r) => new Map(r.rows.map((x) => [x.name, x.type]))));
}

/**
 * One typed array parameter per column of `table`, for `unnest` (`$1::bigint[], $2::text[], …`);
 * `param` turns a column's values into its parameter: PostgreSQL's binary array format
 * (what `array_send` writes and `array_recv` reads) for text, bigint, integer and
 * double precision columns, so neither side spells or parses an array literal. node-pg
 * would build the literal in JavaScript, escaping every element with two regular
 * expressions: ~58 µs of the pipeline's thread for one 2 KB webhook payload (the stored
 * `raw`), and PostgreSQL then parses it back (~14 µs). A column whose values do not fit
 * the binary form (a fraction in a bigint column, say) goes as node-pg sends it.
 */
async function arrayParameters(trx: Tx, table: string, cols: readonly string[]): Promise<{ sql: string; param: (values: unknown[], index: number) => unknown }> {
  const types = await columnTypes(trx, table);
  const typeOf = cols.map((c) => {
    const t = types.get(c);
    if (!t) throw new Error(`${table} has no column ${c}`);
    return t;
  });
  const sql = typeOf.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  return { sql, param: (values, i) => arrayParam(values, typeOf[i]!) };
}

/** An object node-pg would send as its JSON (no prototype but Object's, no toPostgres). */
function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && typeof (v as { toPostgres?: unknown }).toPostgres !== 'function';
}

/** The column types written in PostgreSQL's binary formats. */
export type BinaryType = 'text' | 'bigint' | 'integer' | 'double precision';

/** Element type OIDs (pg_type) and fixed sizes of the types sent in binary. */
const BINARY_TYPES: Record<BinaryType, { oid: number; size: number }> = {
  text: { oid: 25, size: -1 },
  bigint: { oid: 20, size: 8 },
  integer: { oid: 23, size: 4 },
  'double precision': { oid: 701, size: 8 },
};

/** Bytes `v` takes as a binary field of `type` (see `writeBinaryField`), its length word included. */
export function binaryFieldSize(v: string | number | Uint8Array | null, type: BinaryType): number {
  if (v == null) return 4;
  const size = BINARY_TYPES[type].size;
  return 4 + (size >= 0 ? size : v instanceof Uint8Array ? v.byteLength : Buffer.byteLength(String(v), 'utf8'));
}

/**
 * One value as a field of PostgreSQL's binary formats (an array element, a binary COPY
 * field): its byte length (-1 for NULL), then the bytes — text as UTF-8 (a lone surrogate
 * as U+FFFD; a Uint8Array is taken as UTF-8 already), integers and floats big-endian. `v`
 * must fit `type` (a safe integer for bigint, an int32 for integer). Returns the offset
 * after it.
 */
export function writeBinaryField(buf: Buffer, o: number, v: string | number | Uint8Array | null, type: BinaryType): number {
  if (v == null) return buf.writeInt32BE(-1, o);
  switch (type) {
    case 'text': {
      if (v instanceof Uint8Array) {
        buf.set(v, o + 4);
        buf.writeInt32BE(v.byteLength, o);
        return o + 4 + v.byteLength;
      }
      const n = buf.write(String(v), o + 4, 'utf8');
      buf.writeInt32BE(n, o);
      return o + 4 + n;
    }
    case 'double precision':
      return buf.writeDoubleBE(v as number, buf.writeInt32BE(8, o));
    case 'integer':
      return buf.writeInt32BE(v as number, buf.writeInt32BE(4, o));
    default: {
      // a safe integer as two 32-bit halves (no BigInt to allocate)
      const x = Number(v);
      const hi = Math.floor(x / 4294967296);
      return buf.writeUInt32BE(x - hi * 4294967296, buf.writeInt32BE(hi, buf.writeInt32BE(8, o)));
    }
  }
}

/** An array parameter of `type`: in binary (`binaryArray`) when the values fit it, else as node-pg sends an array. */
export function arrayParam(values: readonly unknown[], type: string): unknown {
  return binaryArray(values, type) ?? [...values];
}

/**
 * `values` as a one-dimensional PostgreSQL array in binary format: ndim, has-nulls
 * flag, element type OID, length and lower bound, then each element as a binary field.
 * Null when the type is not one of BINARY_TYPES or a value does not fit it. PostgreSQL
 * still checks a text's bytes (a NUL is refused, as in text).
 */
export function binaryArray(values: readonly unknown[], type: string): Buffer | null {
  if (!(type in BINARY_TYPES)) return null;
  const kind = type as BinaryType;
  const fields = new Array<string | number | Uint8Array | null>(values.length);
  let nulls = 0;
  let bytes = 20;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let f: string | number | Uint8Array | null;
    if (v == null) (f = null), nulls++;
    else if (kind === 'text') {
      if (typeof v === 'string' || v instanceof Uint8Array) f = v;
      else if (typeof v !== 'object') f = String(v);
      else if (isPlainObject(v)) f = JSON.stringify(v);
      else return null; // a Date, array or value with toPostgres: node-pg's own conversion (bytes are taken as UTF-8 text above)
    } else if (typeof v !== 'number') return null;
    else if (kind === 'integer' ? (v | 0) !== v : kind === 'bigint' ? !Number.isSafeInteger(v) : false) return null;
    else f = v;
    fields[i] = f;
    bytes += binaryFieldSize(f, kind);
  }
  const buf = Buffer.allocUnsafe(bytes);
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(nulls ? 1 : 0, 4);
  buf.writeUInt32BE(BINARY_TYPES[kind].oid, 8);
  buf.writeInt32BE(values.length, 12);
  buf.writeInt32BE(1, 16);
  let o = 20;
  for (const f of fields) o = writeBinaryField(buf, o, f, kind);
  return buf;
}

/** A catalog lookup made once per process and key (a failed one is tried again next time). */
function readOnce<T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = read();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
