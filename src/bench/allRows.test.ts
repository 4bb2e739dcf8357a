import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/db.js';
import type { Store } from '../store/db.js';
import { benchBareAllRows, binaryRows, markTables } from './allRows.js';
import { benchPipeline } from './ingest.js';

/** Every table's rows, as sorted JSON lines (generated columns included on PostgreSQL: they follow from the rest). */
async function snapshot(store: Store): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const t of (await markTables(store)).keys()) {
    const rows = store.dialect === 'sqlite'
      ? store.sqlite!.prepare(`select * from "${t}"`).raw(true).all()
      : (await store.pgPool!.query({ text: `select * from "${t}"`, rowMode: 'array' })).rows;
    out.set(t, rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).sort());
  }
  return out;
}

describeEachStore('the bare rewrite of all the rows an ingest pass wrote', (db, dialect) => {
  it('puts back exactly the rows the pass wrote, counts them, and times the rewrite', async () => {
    const { store } = db();
    await benchPipeline(store, 200, undefined); // rows before the mark, as the warm-up pass leaves them
    const marks = await markTables(store);
    const pass = await benchPipeline(store, 400, undefined);
    const before = await snapshot(store);
    const written = [...before].reduce((a, [t, rows]) => a + rows.length, 0);
    const r = await benchBareAllRows(store, marks, pass.brandId, 400, pass.batches);
    const after = await snapshot(store);
    for (const [t, rows] of before) expect(after.get(t), t).toEqual(rows);
    // the pass wrote each message with its conversation, identity, facts and more
    expect(r.rows_per_msg).toBeGreaterThan(2);
    expect(r.msgs_per_s).toBeGreaterThan(0);
    expect(written).toBeGreaterThan(400 * 2);
    if (dialect === 'sqlite') {
      // the full-text index was rewritten too: every message of the pass is found by a word of it
      const m = store.sqlite!.prepare(`select id, text from message where brand_id = ? and text like '% %' limit 1`).get(pass.brandId) as { id: number; text: string };
      const word = m.text.split(/\s+/).find((w) => /^[a-z]{4,}$/i.test(w))!;
      const hits = store.sqlite!.prepare(`select rowid from message_fts where message_fts match ?`).raw(true).all(`"${word}"`).flat();
      expect(hits).toContain(m.id);
    }
  });
});

it('splits PostgreSQL binary COPY output into its tuples, and refuses other bytes', () => {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
  const field = (s: string | null) => (s === null ? Buffer.from([0xff, 0xff, 0xff, 0xff]) : Buffer.concat([Buffer.from([0, 0, 0, Buffer.byteLength(s)]), Buffer.from(s)]));
  const tuple = (...f: (string | null)[]) => Buffer.concat([Buffer.from([0, f.length]), ...f.map(field)]);
  const a = tuple('ab', null);
  const b = tuple('', 'xyz');
  const rows = binaryRows(Buffer.concat([header, a, b, Buffer.from([0xff, 0xff])]));
  expect(rows.map((r) => r.toString('hex'))).toEqual([a.toString('hex'), b.toString('hex')]);
  expect(() => binaryRows(Buffer.from('id,text\n1,a\n'))).toThrow(/binary COPY/);
});
