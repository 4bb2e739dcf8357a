/**
 * The erasure's write transaction is short and nothing written meanwhile escapes it:
 *  - the scan for the person elsewhere in the brand (every reply, note, email and expert
 *    question, by substring) runs before the transaction, on PostgreSQL too: inside it the
 *    transaction reads a few rows of a brand of thousands, not all of them (PostgreSQL's own
 *    per-transaction row counters, read at the end of the transaction);
 *  - PostgreSQL: a message of theirs that an ingest batch (holding ingest's brand lock, as
 *    src/pipeline/ingest.ts does first in its transaction) has stored but not committed when the
 *    erasure begins is redacted too: the transaction waits for the batch;
 *  - PostgreSQL: a reply naming them whose id was drawn before the scan but committed only after
 *    it (ids come from a sequence) is rewritten: the scan's snapshot did not hold it, and the
 *    transaction reads the ids the snapshot lacked below its high-water mark.
 */
import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { systemActor } from '../src/commands/context.js';
import { eraseContact } from '../src/commands/erase.js';
import { EventBus } from '../src/events/bus.js';
import type { Tx } from '../src/store/util.js';
import { DIALECTS } from './db.js';
import { erasureBrand } from './helpers/erasureBrand.js';

const HANDLE = 'zed_person';
/** The brand's replies to other customers, none naming the person. */
const SEEDED = 4_000;

for (const dialect of DIALECTS) {
  describe(`erasure's transaction [${dialect}]`, () => {
    const { clock, ids, db, database, conversation, message, insertMessage } = erasureBrand(dialect);
    const person = async (handle: string, userId: string) => {
      const now = clock.now();
      const contactId = Number((await db().insertInto('contact').values({ brand_id: ids.brandId, display_name: 'Zoë Quokkason', crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id);
      const identityId = Number((await db().insertInto('contact_identity').values({
        brand_id: ids.brandId, contact_id: contactId, network: 'x', network_user_id: userId, handle, display_name: 'Zoë', followers: 3, verified: 0, profile_url: null, avatar_url: null, created_at: now, updated_at: now,
      }).returning('id').executeTakeFirstOrThrow()).id);
      const theirs = await conversation(contactId);
      await insertMessage(theirs, '@AcmeCare my parcel never came', { direction: 'inbound', author: identityId });
      return { contactId, identityId, theirs };
    };
    const erase = (contactId: number, hooks: { afterScan?: () => Promise<void>; inTransaction?: (trx: Tx, at: 'start' | 'end') => Promise<void> } = {}) =>
      eraseContact({ store: database().store, bus: new EventBus(), clock, ...hooks } as Parameters<typeof eraseContact>[0], systemActor(ids.brandId, 'test'), { contactId, reason: 'GDPR request #9' });
    const row = (id: number) => db().selectFrom('message').select(['text', 'redacted_reason']).where('id', '=', id).executeTakeFirstOrThrow();

    it('reads a few rows inside its transaction, not every reply and note of the brand; the rows naming them are still rewritten', async () => {
      const { contactId } = await person(HANDLE, '88127001');
      const carl = await conversation(null);
      const rows = Array.from({ length: SEEDED }, (_, i) => message(carl, `@carl_other order ${i} is on its way`));
      for (let i = 0; i < rows.length; i += 500) await db().insertInto('message').values(rows.slice(i, i + 500) as never).execute();
      for (let i = 0; i < 200; i++) await db().insertInto('note').values({ brand_id: ids.brandId, conversation_id: carl, author_user_id: ids.agentId, text: `Carl called about order ${i}`, mentions: '[]', created_at: clock.now() }).execute();
      const naming = await insertMessage(carl, `@carl_other and @${HANDLE}, refund on its way`);
      if (dialect === 'postgres') await sql`ANALYZE message`.execute(db());

      let read: { message: number; note: number } | null = null;
      let start = { message: 0, note: 0 };
      const r = await erase(contactId, {
        inTransaction: async (trx, at) => {
          if (dialect !== 'postgres') return;
          // rows read from each table (sequential scans, and its indexes' entries and the rows they
          // fetched) by this backend and not yet reported, the earlier statements' too: the
          // difference between the transaction's start and end is the transaction's
          const count = async (table: string) => Number((await sql<{ n: string }>`
            SELECT sum(pg_stat_get_xact_tuples_returned(r) + pg_stat_get_xact_tuples_fetched(r)) AS n
            FROM (SELECT ${table}::regclass::oid AS r UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid = ${table}::regclass) rels`.execute(trx)).rows[0]!.n);
          const now = { message: await count('message'), note: await count('note') };
          if (at === 'start') start = now;
          else read = { message: now.message - start.message, note: now.note - start.note };
        },
      });
      expect(await row(naming)).toMatchObject({ text: '@carl_other and @erased, refund on its way' });
      expect(r.alsoErased.brandRepliesElsewhere).toBe(1);
      if (dialect === 'postgres') {
        expect(read, 'the transaction ran its end hook').not.toBeNull();
        // the scans inside the transaction read every reply (4,000) and note of the brand
        expect(read!.message).toBeLessThan(200);
        expect(read!.note).toBeLessThan(50);
      }
    });

    it.runIf(dialect === 'postgres')('waits for an ingest batch in flight: a message of theirs it stored is redacted, not left behind', async () => {
      const { contactId, identityId, theirs } = await person('ingest_zed', '88127002');
      // an ingest batch: ingest's brand lock first (src/pipeline/ingest.ts, lockBrand), then their message, not yet committed
      const batch = new pg.Client({ connectionString: database().databaseUrl });
      await batch.connect();
      try {
        await batch.query('BEGIN');
        await batch.query('SELECT pg_advisory_xact_lock(872001, $1)', [ids.brandId]);
        const m = message(theirs, 'my new address is 12 Elm Street, Springfield', { direction: 'inbound', author: identityId });
        const cols = Object.keys(m);
        const inserted = await batch.query(`INSERT INTO message (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`, Object.values(m));
        const stored = Number(inserted.rows[0].id);

        let done = false;
        const erasing = erase(contactId).finally(() => { done = true; });
        // the erasure's transaction waits for the batch's lock (or, without it, runs to its end)
        const waiting = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`.execute(db())).rows[0]!.n) > 0;
        for (let i = 0; i < 100 && !done && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 20));
        await batch.query('COMMIT');
        const r = await erasing;
        expect(await row(stored)).toEqual({ text: '', redacted_reason: 'erasure' });
        expect(r.messagesRedacted).toBe(2);
      } finally {
        await batch.end();
      }
    });

    it.runIf(dialect === 'postgres')('rewrites a reply naming them whose id was drawn before the scan and committed after it', async () => {
      const { contactId } = await person('gap_zed', '88127003');
      const carl = await conversation(null);
      // Ana's reply: its id drawn now, committed only after the scan's snapshot
      const late = new pg.Client({ connectionString: database().databaseUrl });
      await late.connect();
      try {
        await late.query('BEGIN');
        const m = message(carl, '@carl_other I have told @gap_zed too');
        const cols = Object.keys(m);
        const lateId = Number((await late.query(`INSERT INTO message (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`, Object.values(m))).rows[0].id);
        // a later id, committed: the scan's high-water mark is above the late reply's id
        const after = await insertMessage(carl, '@carl_other and @gap_zed, both booked');
        expect(after).toBeGreaterThan(lateId);
        const r = await erase(contactId, { afterScan: async () => { await late.query('COMMIT'); } });
        expect(await row(lateId)).toMatchObject({ text: '@carl_other I have told @erased too' });
        expect(await row(after)).toMatchObject({ text: '@carl_other and @erased, both booked' });
        expect(r.alsoErased.brandRepliesElsewhere).toBe(2);
      } finally {
        await late.end();
      }
    });
  });
}
