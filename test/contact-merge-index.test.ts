/**
 * Which contacts were merged into one (`mergedContactIds`) is read by the erasure inside its write
 * transaction: through the partial index that holds only the merge and split entries, on both
 * databases, never through every audit entry of the brand. PostgreSQL is asked with sequential
 * scans discouraged (a table this small would be scanned anyway): what is checked is that the
 * index can serve the query, i.e. that its predicate is seen to cover the query's.
 */
import { CompiledQuery } from 'kysely';
import { expect, it } from 'vitest';
import { mergeEntriesOf } from '../src/commands/contactMerge.js';
import { describeEachStore } from './db.js';

describeEachStore('the merge entries of a contact', (get, dialect) => {
  it('are read through audit_event_contact_merge, not a scan of the brand\'s audit log', async () => {
    const { store } = get();
    const c = mergeEntriesOf(store.db, 1, [7, 8]).compile();
    let plan: string;
    if (dialect === 'sqlite') {
      const r = await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${c.sql}`, [...c.parameters]));
      plan = r.rows.map((x) => x.detail).join('\n');
      expect(plan, plan).toMatch(/SEARCH audit_event USING INDEX audit_event_contact_merge/);
    } else {
      plan = await store.db.transaction().execute(async (trx) => {
        await trx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'));
        const r = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${c.sql}`, [...c.parameters]));
        return r.rows.map((x) => x['QUERY PLAN']).join('\n');
      });
      expect(plan, plan).toMatch(/Index Scan using audit_event_contact_merge|Bitmap Index Scan on audit_event_contact_merge/);
    }
    expect(plan, plan).not.toMatch(/audit_event_brand/);
  });
});
