/**
 * The bulk write helpers the ingest pipeline uses (src/store/util.ts), on both
 * engines: rows inserted through PostgreSQL's unnested arrays come back exactly
 * (quotes, backslashes, braces, commas, newlines, emoji, NULLs, big JSON); an
 * update of changed columns writes those and bumps the version, leaving the rest.
 */
import { expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { insertRows, updateChangedRows } from '../src/store/util.js';
import { describeEachStore } from './db.js';

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
];

describeEachStore('bulk writes', (db) => {
  it('inserts rows with hostile text exactly, and updates only what changed', async () => {
    const { store } = db();
    const now = Date.UTC(2026, 11, 3, 12);
    const brandId = await createBrand(store.db, { slug: 'writes', name: 'Writes' }, now);
    const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'WritesCare', driver: 'demo' }, now);
    const base = { brand_id: brandId, channel_account_id: accountId, network: 'x', visibility: 'public', status: 'open', created_at: now, updated_at: now, last_message_at: now, cycle_started_at: now, reopened_count: 0, message_count: 1, version: 1, priority: 10 };
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
    expect(after.map((c) => Number(c.version))).toEqual(ids.map(() => 2));
  });
});
