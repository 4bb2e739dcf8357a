/**
 * The bulk write helpers the ingest pipeline uses (src/store/util.ts), on both
 * engines: rows inserted through PostgreSQL's unnested arrays (text columns carried
 * as JSON) come back exactly (quotes, backslashes, braces, commas, newlines, emoji,
 * NULLs, JSON escapes, a 300 KB payload); an
 * update of changed columns writes those and bumps the version, leaving the rest;
 * writes queued while the next are prepared (`WriteQueue`) run in order, and a failed
 * one stops those behind it and fails the transaction. A text column may be given as
 * UTF-8 bytes (the raw payloads of webhooks): stored and read back as text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { binaryArray, insertRows, prepareInsertRows, prepareUpdateChangedRows, updateChangedRows, WriteQueue } from '../src/store/util.js';
import { createTestDatabase, describeEachStore, type TestDatabase } from './db.js';

const HOSTILE = [
  'plain',
  'with "double" and \'single\' quotes',
  'back\\slash \\" and \\\\',
  '{braces}, [brackets], (parens), commas,,',
  'line one\nline two\r\n\ttab',
  'NULL',
  '',
  '👩🏽‍💻 \u202Ebidi\u202C ＠fullwidth',
  '<script>alert(1)</script>',
  JSON.stringify({ nested: { quote: '"', slash: '\\', list: [1, null, 'x'] } }),
  '\\u0041 is not A, \\n is not a newline, and "\\"" stays',
  `${'{"k":"v\\"","a":[1,2]}'.repeat(12_000)}`,
];

/** A brand with an X account, and the columns every conversation row of a test needs. */
async function conversationBase(store: TestDatabase['store'], slug: string, now: number) {
  const brandId = await createBrand(store.db, { slug, name: slug }, now);
  const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: `${slug}Care`, driver: 'demo' }, now);
  return { brand_id: brandId, channel_account_id: accountId, network: 'x', visibility: 'public', status: 'open', created_at: now, updated_at: now, last_message_at: now, cycle_started_at: now, reopened_count: 0, message_count: 1, version: 1, priority: 10 };
}

describeEachStore('bulk writes', (db) => {
  it('inserts rows with hostile text exactly, and updates only what changed', async () => {
    const { store } = db();
    const base = await conversationBase(store, 'writes', Date.UTC(2026, 11, 3, 12));
    const ids = HOSTILE.map((_, i) => 9000 + i);
    await store.db.transaction().execute((trx) => insertRows(trx, store, 'conversation', HOSTILE.map((subject, i) => ({ ...base, id: ids[i], subject, sla: i === 6 ? null : subject }))));
    const stored = await store.db.selectFrom('conversation').selectAll().where('id', 'in', ids).orderBy('id').execute();
    expect(stored.map((c) => c.subject)).toEqual(HOSTILE);
    expect(stored.map((c) => c.sla)).toEqual(HOSTILE.map((s, i) => (i === 6 ? null : s)));

    // change the priority of one, the status and subject of another; the rest are written unchanged
    const rows = stored.map((before) => ({ before: before as never, after: { ...before } as Record<string, unknown> }));
    rows[0]!.after.priority = 55;
    rows[1]!.after.status = 'waiting';
    rows[1]!.after.subject = 'changed "again"';
    await store.db.transaction().execute((trx) => updateChangedRows(trx, store, 'conversation', rows, ['status', 'priority', 'subject', 'sla', 'last_message_at']));
    const after = await store.db.selectFrom('conversation').selectAll().where('id', 'in', ids).orderBy('id').execute();
    expect(after[0]!.priority).toBe(55);
    expect(after[0]!.status).toBe('open');
    expect([after[1]!.status, after[1]!.subject]).toEqual(['waiting', 'changed "again"']);
    expect(after.slice(2).map((c) => c.subject)).toEqual(HOSTILE.slice(2));
    expect(after.slice(2).map((c) => c.sla)).toEqual(HOSTILE.slice(2).map((s, i) => (i + 2 === 6 ? null : s)));
    expect(after.map((c) => Number(c.version))).toEqual(ids.map(() => 2));
  });
});

describeEachStore('text given as UTF-8 bytes', (db) => {
  it('is stored as text, exactly, next to rows whose value is a string', async () => {
    const { store } = db();
    const base = await conversationBase(store, 'bytes', Date.UTC(2026, 11, 5, 12));
    const ids = HOSTILE.map((_, i) => 9500 + i);
    // a view into a larger buffer, as a webhook body's items are
    const views = HOSTILE.map((t) => Buffer.from(`[${t}]`).subarray(1, 1 + Buffer.byteLength(t)));
    const rows = HOSTILE.map((t, i) => ({ ...base, id: ids[i], subject: i % 2 ? t : views[i], sla: null }));
    await store.db.transaction().execute((trx) => insertRows(trx, store, 'conversation', rows, { utf8Columns: ['subject'] }));
    const stored = await store.db.selectFrom('conversation').select(['subject']).where('id', 'in', ids).orderBy('id').execute();
    expect(stored.map((c) => c.subject)).toEqual(HOSTILE);
    if (store.sqlite) {
      const types = store.sqlite.prepare(`select distinct typeof(subject) as t from conversation where id between 9500 and 9600`).all();
      expect(types).toEqual([{ t: 'text' }]);
    }
  });
});

describeEachStore('writes queued while the next are prepared', (db) => {
  const setup = async (slug: string) => {
    const { store } = db();
    const now = Date.UTC(2026, 11, 4, 12);
    const brandId = await createBrand(store.db, { slug, name: slug }, now);
    const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: `${slug}Care`, driver: 'demo' }, now);
    const conv = (id: number) => ({ id, brand_id: brandId, channel_account_id: accountId, network: 'x', visibility: 'public', status: 'open', subject: `c${id}`, created_at: now, updated_at: now, last_message_at: now, cycle_started_at: now, reopened_count: 0, message_count: 1, version: 1, priority: 10 });
    const msg = (id: number, conversationId: number) => ({ id, brand_id: brandId, conversation_id: conversationId, channel_account_id: accountId, network: 'x', network_message_id: `q${id}`, direction: 'inbound', visibility: 'public', kind: 'mention', text: `m${id}`, text_escaped: 0, created_at: now, received_at: now, status: 'received', is_auto: 0, source: 'network' });
    return { store, conv, msg };
  };

  it('runs them in the order given: conversations before the messages that reference them, then updates', async () => {
    const { store, conv, msg } = await setup('queued');
    const convs = [conv(7100), conv(7101)];
    await store.db.transaction().execute(async (trx) => {
      const writes = new WriteQueue();
      writes.add(await prepareInsertRows(trx, store, 'conversation', convs));
      writes.add(await prepareInsertRows(trx, store, 'message', [msg(7200, 7100), msg(7201, 7101), msg(7202, 7100)]));
      await writes.started();
      writes.add(await prepareUpdateChangedRows(trx, store, 'conversation', convs.map((c) => ({ before: c, after: { ...c, message_count: c.id === 7100 ? 2 : 1 } })), ['message_count']));
      await writes.done();
    });
    const counts = await store.db.selectFrom('conversation').select(['id', 'message_count', 'version']).where('id', 'in', [7100, 7101]).orderBy('id').execute();
    expect(counts.map((c) => [c.id, c.message_count, Number(c.version)])).toEqual([[7100, 2, 2], [7101, 1, 2]]);
    const msgs = await store.db.selectFrom('message').select(['id', 'conversation_id']).where('id', 'in', [7200, 7201, 7202]).orderBy('id').execute();
    expect(msgs).toEqual([{ id: 7200, conversation_id: 7100 }, { id: 7201, conversation_id: 7101 }, { id: 7202, conversation_id: 7100 }]);
  });

  it('stops at a failed write: what is behind it does not run, done() throws, the transaction rolls back', async () => {
    const { store, conv, msg } = await setup('failing');
    let behind = 0;
    const attempt = store.db.transaction().execute(async (trx) => {
      const writes = new WriteQueue();
      writes.add(await prepareInsertRows(trx, store, 'conversation', [conv(7300)]));
      writes.add(await prepareInsertRows(trx, store, 'conversation', [conv(7300)])); // the same id again
      writes.add(async () => void behind++);
      await writes.started(); // resolves although the write before it failed
      writes.add(await prepareInsertRows(trx, store, 'message', [msg(7400, 7300)]));
      await writes.done();
    });
    await expect(attempt).rejects.toThrow(/unique|duplicate/i);
    expect(behind).toBe(0);
    expect(await store.db.selectFrom('conversation').select('id').where('id', '=', 7300).execute()).toEqual([]);
    expect(await store.db.selectFrom('message').select('id').where('id', '=', 7400).execute()).toEqual([]);
  });
});

describe('binary array parameters (PostgreSQL reads them back as sent)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await t?.drop();
  });
  const roundTrip = async (type: string, values: unknown[]) => {
    const buf = binaryArray(values, type);
    expect(buf).toBeInstanceOf(Buffer);
    const r = await t.store.pgPool!.query(`select x::text as x from unnest($1::${type}[]) with ordinality as u(x, n) order by n`, [buf]);
    return r.rows.map((row: { x: string | null }) => row.x);
  };

  it('text: exact strings, NULLs, empty, huge and non-ASCII; other values as node-pg spells them', async () => {
    const big = 'ж"\\{},'.repeat(50_000);
    expect(await roundTrip('text', [...HOSTILE, null, big, 42, true, { a: 1 }])).toEqual([...HOSTILE, null, big, '42', 'true', '{"a":1}']);
    // a lone surrogate is not UTF-8: U+FFFD, as node-pg's text encoding makes it (text that reaches the store is sanitized before)
    expect(await roundTrip('text', ['lone \ud800'])).toEqual(['lone \ufffd']);
  });

  it('bigint, integer and double precision: extremes, negatives and timestamps', async () => {
    const ints = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 1_764_806_400_123, -1_764_806_400_123, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, null];
    expect(await roundTrip('bigint', ints)).toEqual(ints.map((v) => (v == null ? null : String(v))));
    expect(await roundTrip('integer', [0, -1, 2 ** 31 - 1, -(2 ** 31), null])).toEqual(['0', '-1', '2147483647', '-2147483648', null]);
    expect(await roundTrip('double precision', [0.1, -2.5, 1e300, Infinity, -Infinity, NaN, null])).toEqual(['0.1', '-2.5', '1e+300', 'Infinity', '-Infinity', 'NaN', null]);
  });

  it('stores message payloads compressed with LZ4 where the server has it, and reads them back exactly', async () => {
    const lz4 = (await t.store.pgPool!.query(`select 'lz4' = any(enumvals) as ok from pg_settings where name = 'default_toast_compression'`)).rows[0]?.ok;
    const now = Date.UTC(2026, 11, 4, 12);
    const brandId = await createBrand(t.store.db, { slug: 'lz4', name: 'LZ4' }, now);
    const accountId = await createChannelAccount(t.store.db, { brandId, network: 'x', handle: 'Lz4Care', driver: 'demo' }, now);
    const conversationId = 77_001;
    const raw = JSON.stringify({ text: 'a payload over the TOAST threshold '.repeat(80), user: { id_str: '1590000000000000001' } });
    await t.store.db.transaction().execute(async (trx) => {
      await insertRows(trx, t.store, 'conversation', [{ id: conversationId, brand_id: brandId, channel_account_id: accountId, network: 'x', visibility: 'public', status: 'open', created_at: now, updated_at: now, last_message_at: now, cycle_started_at: now, reopened_count: 0, message_count: 1, version: 1, priority: 10 }]);
      await insertRows(trx, t.store, 'message', [{ id: 88_001, brand_id: brandId, conversation_id: conversationId, channel_account_id: accountId, network: 'x', network_message_id: 'lz4-1', direction: 'inbound', visibility: 'public', kind: 'mention', text: 'hi', created_at: now, received_at: now, raw, status: 'received', is_auto: 0, source: 'network' }]);
    });
    const r = await t.store.pgPool!.query(`select raw, pg_column_compression(raw) as method from message where id = 88001`);
    expect(r.rows[0].raw).toBe(raw);
    expect(r.rows[0].method).toBe(lz4 ? 'lz4' : 'pglz');
  });

  it('leaves to node-pg what the binary form cannot carry', () => {
    expect(binaryArray([1.5], 'bigint')).toBeNull();
    expect(binaryArray([2 ** 53], 'bigint')).toBeNull();
    expect(binaryArray(['7'], 'bigint')).toBeNull();
    expect(binaryArray([2 ** 31], 'integer')).toBeNull();
    expect(binaryArray([true], 'integer')).toBeNull();
    expect(binaryArray(['x'], 'tsvector')).toBeNull();
    // objects node-pg converts its own way (a Date as a timestamp, an array as an array literal)
    expect(binaryArray([new Date(0)], 'text')).toBeNull();
    expect(binaryArray([['a']], 'text')).toBeNull();
    expect(binaryArray([{ toPostgres: () => 'x' }], 'text')).toBeNull();
  });
});
