/**
 * Erasure in a large brand: the scan for the person's `@handle` and address elsewhere in the
 * brand (the brand's replies, notes and emails, by substring) runs before the erasure's write
 * transaction, so ingest is not kept waiting while it reads every row (on SQLite, one writer).
 * What changes or arrives between the scan and the rewrite is still decided on:
 *  - on SQLite, another connection commits while the scan is done (it waits for no lock: its
 *    `busy_timeout` is 0, so a held write lock would fail it at once);
 *  - a reply and a note stored after the scan (ids above its high-water mark) are rewritten;
 *  - a reply still queued when scanned, sent before the rewrite, is rewritten as sent replies are;
 *  - a note found by the scan and edited since is decided on as it now reads.
 */
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { systemActor } from '../src/commands/context.js';
import { eraseContact } from '../src/commands/erase.js';
import { EventBus } from '../src/events/bus.js';
import { DIALECTS } from './db.js';
import { erasureBrand } from './helpers/erasureBrand.js';

const HANDLE = 'zed_person';
const ADDRESS = 'zed.q@example.org';

for (const dialect of DIALECTS) {
  describe(`erasure scans before its transaction [${dialect}]`, () => {
    const { clock, ids, db, database, conversation, message, insertMessage } = erasureBrand(dialect);
    const insertNote = async (conversationId: number, text: string) =>
      Number((await db().insertInto('note').values({ brand_id: ids.brandId, conversation_id: conversationId, author_user_id: ids.agentId, text, mentions: '[]', created_at: clock.now() }).returning('id').executeTakeFirstOrThrow()).id);
    const textOf = async (id: number) => (await db().selectFrom('message').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text;
    const noteOf = async (id: number) => (await db().selectFrom('note').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text;

    it('rewrites what changed or arrived between the scan and the transaction; on SQLite another writer commits in between', async () => {
      const now = clock.now();
      const contactId = Number((await db().insertInto('contact').values({ brand_id: ids.brandId, display_name: 'Zoë Quokkason', crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id);
      const identity = async (network: string, userId: string, handle: string) => Number((await db().insertInto('contact_identity').values({
        brand_id: ids.brandId, contact_id: contactId, network, network_user_id: userId, handle, display_name: 'Zoë', followers: 3, verified: 0, profile_url: null, avatar_url: null, created_at: now, updated_at: now,
      }).returning('id').executeTakeFirstOrThrow()).id);
      const xIdentity = await identity('x', '88127001', HANDLE);
      await identity('email', ADDRESS, ADDRESS);
      const theirs = await conversation(contactId);
      await insertMessage(theirs, '@AcmeCare my parcel', { direction: 'inbound', status: 'received', author: xIdentity });
      const carl = await conversation(null);
      const before = await insertMessage(carl, `@carl_other and @${HANDLE}, refund on its way`);
      const queued = await insertMessage(carl, `@carl_other @${HANDLE} is in copy`, { status: 'queued' });
      const editedNote = await insertNote(carl, `Carl shares order #77 with @${HANDLE}`);

      let arrived = { reply: 0, note: 0 };
      let otherWriterCommitted = false;
      const afterScan = async () => {
        if (dialect === 'sqlite') {
          // a second connection that waits for no lock: it fails at once if the erasure holds the write lock
          const other = new BetterSqlite3(database().sqliteFile!);
          try {
            other.pragma('busy_timeout = 0');
            other.prepare("INSERT INTO kv (key, value, updated_at) VALUES ('test.other-writer', '1', 0)").run();
            otherWriterCommitted = true;
          } finally {
            other.close();
          }
        }
        arrived = {
          reply: await insertMessage(carl, `@${HANDLE} and you are both booked`),
          note: await insertNote(carl, `Also mailed ${ADDRESS}`),
        };
        // the queued reply goes out; the note found by the scan is edited
        await db().updateTable('message').set({ status: 'sent' }).where('id', '=', queued).execute();
        await db().updateTable('note').set({ text: `Carl shares order #77 with @${HANDLE} (${ADDRESS})` }).where('id', '=', editedNote).execute();
      };

      const r = await eraseContact({ store: database().store, bus: new EventBus(), clock, afterScan } as Parameters<typeof eraseContact>[0], systemActor(ids.brandId, 'test'), { contactId, reason: 'GDPR request #7' });

      if (dialect === 'sqlite') expect(otherWriterCommitted).toBe(true);
      expect(arrived.reply).toBeGreaterThan(0);
      expect(await textOf(before)).toBe('@carl_other and @erased, refund on its way');
      expect(await textOf(arrived.reply)).toBe('@erased and you are both booked');
      expect(await textOf(queued)).toBe('@carl_other @erased is in copy');
      expect(await noteOf(arrived.note)).toBe('Also mailed erased');
      expect(await noteOf(editedNote)).toBe('Carl shares order #77 with @erased (erased)');
      expect(r.alsoErased).toMatchObject({ brandRepliesElsewhere: 3, notesElsewhere: 2 });
    });
  });
}
