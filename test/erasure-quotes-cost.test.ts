/**
 * What a note's quote lookup reads in its write transaction (src/commands/expertQuotes.ts,
 * `quotableElsewhere`), on SQLite and PostgreSQL: a long note of the phrases agents write ("thank
 * you so much for your patience, we are looking into this…") shares runs of common words with a
 * large share of the brand's messages; looking them all up read (and ranked) every such message
 * in the note's transaction (seconds on 1,000,000 messages, docs/performance.md). Runs made only
 * of common words are not looked up, the rest a bounded number of messages each, the newest first:
 * the statements and rows read stay few, and a real quote in the note is still recorded, also of an
 * old message that many newer ones share the quote's uncommon words with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import { recordNoteQuotes } from '../src/commands/expertQuotes.js';
import { createBrand, createChannelAccount, createUser } from '../src/commands/setup.js';
import { indexPendingMessages } from '../src/store/fts.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './db.js';

/** Sentences of common words only: nobody's words to record, in many messages. */
const COMMON = [
  'Thank you so much for all of your help!', 'We are looking into this for you now.', 'Please let us know if there is anything else.',
  'Can you get back to me as soon as you can?', 'I am not sure what is going on here.', 'This is the same as it was before.',
];
/** Her old message: the note quotes its second sentence. */
const HERS = 'Hello. My order 5512 arrived with a cracked blender jug and no receipt inside.';
const QUOTED = 'My order 5512 arrived with a cracked blender jug and no receipt inside.';

/** Counts the statements run and the rows they returned. */
function counter() {
  const c = { statements: 0, rows: 0 };
  const plugin: KyselyPlugin = {
    transformQuery: (a) => {
      c.statements++;
      return a.node;
    },
    transformResult: async (a) => {
      c.rows += a.result.rows.length;
      return a.result;
    },
  };
  return { c, plugin };
}

for (const dialect of DIALECTS) {
  describe(`a note's quote lookup stays bounded [${dialect}]`, () => {
    let t: TestDatabase;
    let f: { brandId: number; own: number; hers: number; agentId: number };
    const now = Date.UTC(2026, 11, 7, 9);

    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      const db = t.store.db;
      const brandId = await createBrand(db, { slug: 'cost', name: 'Cost' }, now);
      const accountId = await createChannelAccount(db, { brandId, network: 'x', handle: 'CostCare', driver: 'demo' }, now);
      const agentId = await createUser(db, { brandId, email: 'ana@cost.test', name: 'Ana', role: 'agent', password: null }, now);
      let n = 0;
      const conversation = async (text: string) => {
        const id = Number((await db.insertInto('conversation').values({
          brand_id: brandId, channel_account_id: accountId, contact_id: null, network: 'x', visibility: 'public', status: 'open', priority: 1, assignee_id: null, team_id: null,
          subject: text.slice(0, 50), created_at: now, updated_at: now, last_message_at: now, waiting_since: now, cycle_started_at: now, reopened_count: 0, message_count: 1, version: 1,
        } as never).returning('id').executeTakeFirstOrThrow()).id);
        const m = await db.insertInto('message').values({
          brand_id: brandId, conversation_id: id, channel_account_id: accountId, network: 'x', network_message_id: `c${n++}`, direction: 'inbound',
          visibility: 'public', kind: 'mention', text, created_at: now + n, received_at: now + n, status: 'received', is_auto: 0, source: 'import',
        } as never).returning('id').executeTakeFirstOrThrow();
        return { conversationId: id, messageId: Number(m.id) };
      };
      const own = await conversation('@CostCare where is my parcel?');
      // hers first: the oldest message
      const hers = await conversation(HERS);
      // then 240 newer messages of common sentences, and 60 sharing the quote's uncommon words (not its phrase)
      for (let i = 0; i < 240; i++) await conversation(`${COMMON[i % COMMON.length]} ${COMMON[(i + 1 + Math.floor(i / 6)) % COMMON.length]}`);
      for (let i = 0; i < 60; i++) await conversation(`Blender order ${5512 + (i % 2)} arrived? Receipt and jug ${i}: cracked, inside my box.`);
      await indexPendingMessages(db, t.store);
      f = { brandId, own: own.conversationId, hers: hers.messageId, agentId };
    }, 120_000);
    afterAll(async () => t?.drop());

    it('reads few statements and rows for a long note of common phrases, and records its one real quote', async () => {
      let note = '';
      for (let i = 0; note.length < 1_500; i++) note += `${COMMON[(i * 5) % COMMON.length]} `;
      note += `She wrote: "${QUOTED}" Replacement sent.`;
      expect(note.length).toBeGreaterThan(1_500);
      const { c, plugin } = counter();
      const recorded = await t.store.db.transaction().execute(async (trx) => {
        const n = await trx.insertInto('note').values({ brand_id: f.brandId, conversation_id: f.own, author_user_id: f.agentId, text: note, mentions: '[]', created_at: now }).returning('id').executeTakeFirstOrThrow();
        await recordNoteQuotes(trx.withPlugin(plugin), { brandId: f.brandId, conversationId: f.own, noteId: Number(n.id), text: note, now });
        return trx.selectFrom('quote_passage').select(['message_id', 'length']).where('subject_type', '=', 'note').where('subject_id', '=', Number(n.id)).execute();
      });
      // her quoted sentence (and no passage of the 300 messages sharing only common words or scattered words with the note)
      expect(recorded.map((r) => [Number(r.message_id), r.length])).toEqual([[f.hers, QUOTED.length]]);
      // each run looked up reads at most a few candidates; the common sentences are read by none
      expect(c.rows).toBeLessThan(40);
      expect(c.statements).toBeLessThan(60);
    });
  });
}
