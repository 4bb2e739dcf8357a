/**
 * An erased person's words leave the SQLite file itself, not only its rows: after the erasure and
 * a checkpoint, no byte of the database file or its WAL holds them — not the message's old cell on
 * its page, not a page freed meanwhile, not the full-text indexes' segments (FTS5 keeps a deleted
 * row's terms, with their positions, until its segments merge, unless `secure-delete` is on).
 * PostgreSQL keeps dead tuples until VACUUM: docs/channels.md, "Erasure".
 */
import { readFileSync, existsSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { systemActor } from '../src/commands/context.js';
import { eraseContact } from '../src/commands/erase.js';
import { EventBus } from '../src/events/bus.js';
import { walBytes } from '../src/store/checkpointer.js';
import { indexPendingMessages } from '../src/store/fts.js';
import { erasureBrand } from './helpers/erasureBrand.js';

const WORDS = ['quokkablossom', 'zebrafinchwaffle', 'marmaladequasar'];

describe('erasure in the SQLite file', () => {
  const { clock, ids, db, database, conversation, insertMessage } = erasureBrand('sqlite');

  const bytesHold = (word: string) => {
    const file = database().sqliteFile!;
    const hits: string[] = [];
    for (const f of [file, `${file}-wal`]) {
      if (!existsSync(f)) continue;
      const b = readFileSync(f);
      // as stored (UTF-8) and as the index's folded terms
      if (b.includes(Buffer.from(word, 'utf8')) || b.includes(Buffer.from(word.toUpperCase(), 'utf8'))) hits.push(f.endsWith('-wal') ? 'wal' : 'db');
    }
    return hits;
  };

  it('leaves none of their words in the database file, its WAL or the full-text index', async () => {
    const now = clock.now();
    const contactId = Number((await db().insertInto('contact').values({ brand_id: ids.brandId, display_name: 'Zoë Quokkason', crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id);
    const identityId = Number((await db().insertInto('contact_identity').values({
      brand_id: ids.brandId, contact_id: contactId, network: 'x', network_user_id: '4411', handle: 'zoe_q', display_name: 'Zoë', followers: 3, verified: 0, profile_url: null, avatar_url: null, created_at: now, updated_at: now,
    }).returning('id').executeTakeFirstOrThrow()).id);
    const theirs = await conversation(contactId);
    // other people's messages around theirs, so their pages are shared and kept, not dropped whole
    const others = await conversation(null);
    for (let i = 0; i < 200; i++) await insertMessage(others, `@AcmeCare order ${i} is late, any news on the delivery?`, { direction: 'inbound' });
    await insertMessage(theirs, `@AcmeCare ${WORDS[0]} parcel never came, ${WORDS[1]} says ${WORDS[2]}`, { direction: 'inbound', author: identityId });
    for (let i = 0; i < 200; i++) await insertMessage(others, `@AcmeCare refund ${i} still pending after a week`, { direction: 'inbound' });
    // indexed for search, as the indexing job does within a second
    await db().transaction().execute((trx) => indexPendingMessages(trx, database().store));
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db());
    // the test can see them before
    expect(bytesHold(WORDS[0]!)).not.toEqual([]);

    await eraseContact({ store: database().store, bus: new EventBus(), clock } as Parameters<typeof eraseContact>[0], systemActor(ids.brandId, 'test'), { contactId, reason: 'GDPR request #12' });
    // a search still works for everyone else's words
    const found = await sql<{ rowid: number }>`SELECT rowid FROM message_fts WHERE message_fts MATCH 'refund'`.execute(db());
    expect(found.rows.length).toBe(200);
    // the desk's checkpointer copies the WAL back and cuts it to nothing by itself (its old frames
    // hold the pages as they were), though it is far below the size that triggers a checkpoint
    const file = database().sqliteFile!;
    const deadline = Date.now() + 10_000;
    while (walBytes(file) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(walBytes(file), 'WAL bytes after the erasure').toBe(0);
    for (const w of WORDS) expect(bytesHold(w), w).toEqual([]);
  });
});
