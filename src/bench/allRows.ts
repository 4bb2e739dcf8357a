/**
 * A second, diagnostic baseline for ingest: the bare insert of every row the pipeline
 * wrote in its measured pass — messages, conversations, identities and contacts, reporting
 * facts and their rollups, audit rows, jobs, search terms, the full-text index — into the
 * same database, in as many transactions as the pipeline committed batches, with the
 * values ready before the clock starts. The issue's baseline (`bare_rows_per_s`) writes one
 * message row a message; this one writes what the pipeline's output is, so the ratio of the
 * two rates says how much of the pipeline's time is deciding (triage, threading, routing,
 * SLA) and how much is storing what it decided.
 *
 * How: mark where each table stands before the measured pass; after it, read the rows past
 * the mark (tables without a rowid or id: the measured brand's), delete them (outside the
 * clock), and write them again (timed). Foreign-key checks are off for the rewrite (SQLite
 * `foreign_keys`, PostgreSQL `session_replication_role = replica`, which also skips triggers:
 * the rows they would write are among those rewritten), so rows need not come in parent
 * order; earlier measurements found those checks cost nothing measurable. Rows the pass
 * updated but did not create are not counted (the pass ingests a brand of its own, so it
 * creates nearly all it touches).
 */
import type { PoolClient } from 'pg';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Store } from '../store/db.js';

export interface AllRowsResult {
  /** Messages a second at which the bare rewrite stored the pass's rows. */
  msgs_per_s: number;
  /** Rows rewritten a message (the full-text index entries included on SQLite). */
  rows_per_msg: number;
}

/** Where each table stood before the measured pass: its largest rowid / id, or null where rows are read by brand. */
export type Marks = Map<string, number | null>;

const SKIP = /^(parley_migration|sqlite_|kysely_)/;

export async function markTables(store: Store): Promise<Marks> {
  const marks: Marks = new Map();
  if (store.dialect === 'sqlite') {
    const db = store.sqlite!;
    for (const t of db.prepare(`pragma table_list`).all() as { name: string; type: string; wr: number; schema: string }[]) {
      if (t.schema !== 'main' || t.type !== 'table' || SKIP.test(t.name)) continue;
      marks.set(t.name, t.wr ? null : Number((db.prepare(`select max(rowid) as m from "${t.name}"`).get() as { m: number | null }).m ?? 0));
    }
    return marks;
  }
  const tables = await store.pgPool!.query<{ t: string; has_id: boolean }>(`
    select c.relname as t, exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'id' and not a.attisdropped and a.atttypid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)) as has_id
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and c.relname not like 'parley_migration%'`);
  for (const r of tables.rows) {
    marks.set(r.t, r.has_id ? Number((await store.pgPool!.query(`select coalesce(max(id), 0) as m from "${r.t}"`)).rows[0].m) : null);
  }
  return marks;
}

/**
 * Rewrite the rows written since `marks` (for tables without a rowid / id, those of `brandId`)
 * in `batches` transactions, timed; returns the rate in messages a second over `messages`.
 */
export async function benchBareAllRows(store: Store, marks: Marks, brandId: number, messages: number, batches: number): Promise<AllRowsResult> {
  return store.dialect === 'sqlite' ? sqliteAllRows(store, marks, brandId, messages, batches) : postgresAllRows(store, marks, brandId, messages, batches);
}

function sqliteAllRows(store: Store, marks: Marks, brandId: number, messages: number, batches: number): AllRowsResult {
  const db = store.sqlite!;
  const tables: { name: string; insert: import('better-sqlite3').Statement; rows: unknown[][] }[] = [];
  let fts: unknown[][] = [];
  for (const [name, mark] of marks) {
    const cols = (db.prepare(`pragma table_info("${name}")`).all() as { name: string }[]).map((c) => c.name);
    if (mark === null && !cols.includes('brand_id')) continue;
    const where = mark === null ? `brand_id = ?` : `rowid > ?`;
    const rows = db.prepare(`select ${cols.map((c) => `"${c}"`).join(', ')} from "${name}" where ${where}`).raw(true).all(mark ?? brandId) as unknown[][];
    if (!rows.length) continue;
    if (name === 'message') fts = db.prepare(`select id, text from message where rowid > ?`).raw(true).all(mark) as unknown[][];
    tables.push({ name, rows, insert: db.prepare(`insert into "${name}" (${cols.map((c) => `"${c}"`).join(', ')}) values (${cols.map(() => '?').join(', ')})`) });
  }
  const ftsInsert = db.prepare(`insert into message_fts (rowid, text) values (?, ?)`);
  const fk = db.pragma('foreign_keys', { simple: true });
  db.pragma('foreign_keys = off');
  try {
    // out of the clock: the rows go (deleting a message takes its full-text entry with it, by trigger)
    db.transaction(() => {
      for (const t of tables) db.prepare(`delete from "${t.name}" where ${marks.get(t.name) === null ? 'brand_id = ?' : 'rowid > ?'}`).run(marks.get(t.name) ?? brandId);
    })();
    const write = db.transaction((b: number) => {
      for (const t of [...tables, { name: 'message_fts', insert: ftsInsert, rows: fts }]) {
        const per = Math.ceil(t.rows.length / batches);
        for (let i = b * per; i < Math.min(t.rows.length, (b + 1) * per); i++) t.insert.run(t.rows[i]!);
      }
    });
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) write(b);
    const s = (performance.now() - t0) / 1000;
    const rows = tables.reduce((a, t) => a + t.rows.length, 0) + fts.length;
    return { msgs_per_s: Math.round(messages / s), rows_per_msg: Number((rows / messages).toFixed(2)) };
  } finally {
    db.pragma(`foreign_keys = ${fk ? 'on' : 'off'}`);
  }
}

async function postgresAllRows(store: Store, marks: Marks, brandId: number, messages: number, batches: number): Promise<AllRowsResult> {
  const client = await store.pgPool!.connect();
  try {
    await client.query(`set session_replication_role = replica`);
    const tables: { name: string; cols: string[]; where: string; rows: Buffer[] }[] = [];
    for (const [name, mark] of marks) {
      const cols = (await client.query<{ c: string }>(`
        select a.attname as c from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' order by a.attnum`, [`"${name}"`])).rows.map((r) => r.c);
      if (mark === null && !cols.includes('brand_id')) continue;
      const where = mark === null ? `brand_id = ${Number(brandId)}` : `id > ${Number(mark)}`;
      const list = cols.map((c) => `"${c}"`).join(', ');
      const rows = binaryRows(await copyOut(client, `COPY (select ${list} from "${name}" where ${where}) TO STDOUT WITH (FORMAT binary)`));
      if (rows.length) tables.push({ name, cols, where, rows });
    }
    await client.query('begin');
    for (const t of tables) await client.query(`delete from "${t.name}" where ${t.where}`);
    await client.query('commit');
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) {
      await client.query('begin');
      for (const t of tables) {
        const per = Math.ceil(t.rows.length / batches);
        const part = t.rows.slice(b * per, (b + 1) * per);
        if (!part.length) continue;
        await streamPipeline(Readable.from([Buffer.concat([BINARY_HEADER, ...part, BINARY_TRAILER])]), client.query(copyFrom(`COPY "${t.name}" (${t.cols.map((c) => `"${c}"`).join(', ')}) FROM STDIN WITH (FORMAT binary)`)));
      }
      await client.query('commit');
    }
    const s = (performance.now() - t0) / 1000;
    const rows = tables.reduce((a, t) => a + t.rows.length, 0);
    return { msgs_per_s: Math.round(messages / s), rows_per_msg: Number((rows / messages).toFixed(2)) };
  } finally {
    await client.query(`set session_replication_role = origin`).catch(() => {});
    client.release();
  }
}

async function copyOut(client: PoolClient, sqlText: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await streamPipeline(client.query(copyTo(sqlText)), new Writable({ write(chunk: Buffer, _enc, cb) { parts.push(chunk); cb(); } }));
  return Buffer.concat(parts);
}

/** PostgreSQL's binary COPY header (signature, flags, no extension) and trailer (also `copyBinary`'s in ./ingest.ts). */
export const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** The tuples of a binary COPY output, each as its own bytes (field count, then each field's length and bytes). */
export function binaryRows(buf: Buffer): Buffer[] {
  if (buf.length < 19 || !buf.subarray(0, 11).equals(BINARY_HEADER.subarray(0, 11))) throw new Error('not PostgreSQL binary COPY output');
  let o = 19 + buf.readInt32BE(15);
  const rows: Buffer[] = [];
  for (;;) {
    const start = o;
    const fields = buf.readInt16BE(o);
    o += 2;
    if (fields === -1) return rows;
    for (let f = 0; f < fields; f++) {
      const len = buf.readInt32BE(o);
      o += 4 + Math.max(0, len);
    }
    rows.push(buf.subarray(start, o));
  }
}
