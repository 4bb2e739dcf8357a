/**
 * The erasure's scans of notifications, quarantined deliveries and relayed live events
 * (src/commands/erase.ts `findTraces`, `eraseTraces`) run before its write transaction on
 * PostgreSQL, and nothing written meanwhile escapes it:
 *  - inside the transaction a few rows of each table are read, not every one of the brand's
 *    (PostgreSQL's own per-transaction row counters, read at the start and end of the transaction);
 *  - a row of theirs written between the scan and the transaction is erased (both databases);
 *  - PostgreSQL: a row of theirs whose id was drawn before the scan and committed after it (ids come
 *    from sequences) is erased: the scan's snapshot did not hold it;
 *  - an identity merged into the contact between the scan and the transaction (the transaction looks
 *    for more than the scan did): its notifications, deliveries and live events go too.
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

/** Rows of each table that are not theirs. */
const SEEDED = 2_000;
const TABLES = ['notification', 'quarantine', 'live_event'] as const;
type Reads = Record<(typeof TABLES)[number], number>;

for (const dialect of DIALECTS) {
  describe(`erasure's notifications, quarantine and live events [${dialect}]`, () => {
    const { clock, ids, db, database, conversation, insertMessage } = erasureBrand(dialect);
    const person = async (handle: string, userId: string) => {
      const now = clock.now();
      const contactId = Number((await db().insertInto('contact').values({ brand_id: ids.brandId, display_name: 'Zoë Quokkason', crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id);
      const identityId = await identity(contactId, handle, userId);
      const theirs = await conversation(contactId);
      const messageId = await insertMessage(theirs, '@AcmeCare my parcel never came', { direction: 'inbound', author: identityId });
      return { contactId, identityId, theirs, messageId };
    };
    const identity = async (contactId: number, handle: string, userId: string) => Number((await db().insertInto('contact_identity').values({
      brand_id: ids.brandId, contact_id: contactId, network: 'x', network_user_id: userId, handle, display_name: 'Zoë', followers: 3, verified: 0, profile_url: null, avatar_url: null, created_at: clock.now(), updated_at: clock.now(),
    }).returning('id').executeTakeFirstOrThrow()).id);
    const erase = (contactId: number, hooks: { afterScan?: () => Promise<void>; inTransaction?: (trx: Tx, at: 'start' | 'end') => Promise<void> } = {}) =>
      eraseContact({ store: database().store, bus: new EventBus(), clock, ...hooks } as Parameters<typeof eraseContact>[0], systemActor(ids.brandId, 'test'), { contactId, reason: 'GDPR request #12' });
    /** The rows of one trace of each kind: a notification naming `@handle`, a delivery by `userId`, a live event about `conversationId` naming them. */
    const rowsOf = (handle: string, userId: string, conversationId: number, elsewhere: number) => ({
      notification: { brand_id: ids.brandId, user_id: ids.agentId, kind: 'mention', title: 'Mentioned', body: `Carl wrote: @carl_other and @${handle} are waiting`, conversation_id: elsewhere, created_at: clock.now(), read_at: null },
      quarantine: { brand_id: ids.brandId, source: 'webhook:x', reason: 'rate limited', line: null, raw: JSON.stringify({ id_str: '9911', user: { id_str: userId, screen_name: handle }, text: 'still waiting' }), created_at: clock.now(), resolved_at: null },
      live_event: { brand_id: ids.brandId, type: 'conversation.updated', data: JSON.stringify({ type: 'conversation.updated', brandId: ids.brandId, data: { id: conversationId, contact: { handle } } }), created_at: clock.now() },
    });
    const insert = async (rows: ReturnType<typeof rowsOf>) => {
      const out = {} as Reads;
      for (const t of TABLES) out[t] = Number((await db().insertInto(t).values(rows[t] as never).returning('id').executeTakeFirstOrThrow()).id);
      return out;
    };
    const left = async (table: (typeof TABLES)[number], id: number) => db().selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst();
    const expectErased = async (r: Reads) => {
      expect(await db().selectFrom('notification').select('body').where('id', '=', r.notification).executeTakeFirstOrThrow()).toEqual({ body: expect.stringMatching(/^Carl wrote: @carl_other and @erased are waiting$/) });
      expect(await left('quarantine', r.quarantine), 'quarantined delivery').toBeUndefined();
      // kept (a process relaying it still tells its clients what changed), without their handle
      const live = await left('live_event', r.live_event);
      expect(live, 'live event').toBeDefined();
      expect(JSON.parse(live!.data as string).data).toEqual({ id: expect.any(Number), contact: { handle: 'erased' } });
    };

    it('reads a few of those rows inside its transaction, not every one of the brand\'s; theirs are still erased', async () => {
      const { contactId, theirs } = await person('zed_trace', '88129001');
      const carl = await conversation(null);
      for (let i = 0; i < SEEDED; i += 500) {
        const n = Array.from({ length: 500 }, (_, k) => i + k);
        await db().insertInto('notification').values(n.map((k) => ({ brand_id: ids.brandId, user_id: ids.agentId, kind: 'assigned', title: 'Assigned to you', body: `order ${k}`, conversation_id: carl, created_at: clock.now(), read_at: null }))).execute();
        await db().insertInto('quarantine').values(n.map((k) => ({ brand_id: ids.brandId, source: 'webhook:x', reason: 'no author', line: null, raw: JSON.stringify({ id_str: `77${k}`, text: `about zed_trace's parcel ${k}` }), created_at: clock.now(), resolved_at: null }))).execute();
        await db().insertInto('live_event').values(n.map((k) => ({ brand_id: ids.brandId, type: 'message.created', data: JSON.stringify({ type: 'message.created', data: { id: 900000 + k, conversationId: carl } }), created_at: clock.now() }))).execute();
      }
      const mine = await insert(rowsOf('zed_trace', '88129001', theirs, carl));
      if (dialect === 'postgres') await sql`ANALYZE`.execute(db());

      let read: Reads | null = null;
      let start = { notification: 0, quarantine: 0, live_event: 0 };
      await erase(contactId, {
        inTransaction: async (trx, at) => {
          if (dialect !== 'postgres') return;
          // rows read from each table (sequential scans, and its indexes' entries and the rows they
          // fetched) by this backend and not yet reported: the difference is the transaction's
          const count = async (table: string) => Number((await sql<{ n: string }>`
            SELECT sum(pg_stat_get_xact_tuples_returned(r) + pg_stat_get_xact_tuples_fetched(r)) AS n
            FROM (SELECT ${table}::regclass::oid AS r UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid = ${table}::regclass) rels`.execute(trx)).rows[0]!.n);
          const now = { notification: await count('notification'), quarantine: await count('quarantine'), live_event: await count('live_event') };
          if (at === 'start') start = now;
          else read = { notification: now.notification - start.notification, quarantine: now.quarantine - start.quarantine, live_event: now.live_event - start.live_event };
        },
      });
      await expectErased(mine);
      if (dialect === 'postgres') {
        expect(read, 'the transaction ran its end hook').not.toBeNull();
        // with the scans inside the transaction: every quarantined delivery (2,000: each names
        // "zed_trace") and live event of the brand
        expect(read!.quarantine, JSON.stringify(read)).toBeLessThan(50);
        expect(read!.live_event, JSON.stringify(read)).toBeLessThan(50);
        // notifications: 2,000 were read twice (the scan for them, then the notices on their
        // conversation by src/store/redact.ts, a sequential scan before the
        // notification_conversation index)
        expect(read!.notification, JSON.stringify(read)).toBeLessThan(50);
      }
    });

    it('erases those written between its scan and its transaction', async () => {
      const { contactId, theirs, messageId } = await person('zed_between', '88129002');
      const carl = await conversation(null);
      const before = await insert(rowsOf('zed_between', '88129002', theirs, carl));
      let during: Reads | null = null;
      let onTheirs = 0;
      let aboutMessage = 0;
      await erase(contactId, {
        afterScan: async () => {
          during = await insert(rowsOf('zed_between', '88129002', theirs, carl));
          // a notice on their conversation (it names them only by name) and an event about their message
          onTheirs = Number((await db().insertInto('notification').values({ brand_id: ids.brandId, user_id: ids.agentId, kind: 'sla', title: 'Zoë Quokkason waits', body: 'due soon', conversation_id: theirs, created_at: clock.now(), read_at: null }).returning('id').executeTakeFirstOrThrow()).id);
          aboutMessage = Number((await db().insertInto('live_event').values({ brand_id: ids.brandId, type: 'message.updated', data: JSON.stringify({ type: 'message.updated', data: { id: messageId, text: '@AcmeCare my parcel never came' } }), created_at: clock.now() }).returning('id').executeTakeFirstOrThrow()).id);
        },
      });
      await expectErased(before);
      expect(during).not.toBeNull();
      await expectErased(during!);
      expect((await db().selectFrom('notification').select('title').where('id', '=', onTheirs).executeTakeFirstOrThrow()).title).toBe('erased waits');
      expect(JSON.parse((await left('live_event', aboutMessage))!.data as string).data).toEqual({ id: messageId, text: '', redacted: 'erasure' });
    });

    it('erases those of an identity merged into the contact between its scan and its transaction', async () => {
      const { contactId } = await person('zed_merged', '88129003');
      // their other profile, a contact of its own when the scan runs
      const other = Number((await db().insertInto('contact').values({ brand_id: ids.brandId, display_name: 'Zoë Q', crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: clock.now(), updated_at: clock.now() }).returning('id').executeTakeFirstOrThrow()).id);
      const alt = await identity(other, 'zed_alt', '88129033');
      const altConversation = await conversation(other);
      await insertMessage(altConversation, '@AcmeCare me again', { direction: 'inbound', author: alt });
      const carl = await conversation(null);
      const rows = await insert(rowsOf('zed_alt', '88129033', altConversation, carl));
      await erase(contactId, {
        afterScan: async () => {
          // a merge (src/commands/contactMerge.ts): the identity and its conversations move
          await db().updateTable('contact_identity').set({ contact_id: contactId }).where('id', '=', alt).execute();
          await db().updateTable('conversation').set({ contact_id: contactId }).where('id', '=', altConversation).execute();
        },
      });
      await expectErased(rows);
    });

    it.runIf(dialect === 'postgres')('erases those whose ids were drawn before its scan and committed after it', async () => {
      const { contactId, theirs } = await person('zed_gap', '88129004');
      const carl = await conversation(null);
      const late = new pg.Client({ connectionString: database().databaseUrl });
      await late.connect();
      try {
        await late.query('BEGIN');
        const lateIds = {} as Reads;
        const rows = rowsOf('zed_gap', '88129004', theirs, carl);
        for (const t of TABLES) {
          const r = rows[t] as Record<string, unknown>;
          const cols = Object.keys(r);
          lateIds[t] = Number((await late.query(`INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`, Object.values(r))).rows[0].id);
        }
        // later ids, committed: the scan's high-water marks are above the late rows' ids
        const after = await insert(rowsOf('zed_gap', '88129004', theirs, carl));
        for (const t of TABLES) expect(after[t]).toBeGreaterThan(lateIds[t]);
        await erase(contactId, { afterScan: async () => { await late.query('COMMIT'); } });
        await expectErased(lateIds);
        await expectErased(after);
      } finally {
        await late.end();
      }
    });
  });
}
