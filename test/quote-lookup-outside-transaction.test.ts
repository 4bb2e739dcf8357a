/**
 * On SQLite a write transaction holds the one write lock, and ingest waits for it: the lookup
 * of what a note, an expert question or its answer may quote of other conversations (tens of
 * statements on a large brand) runs before their write transaction, each statement taking its
 * turn, and the quotes it finds are still recorded (src/commands/expertQuotes.ts,
 * `quotableBeforeWriting`).
 */
import { describe, expect, it } from 'vitest';
import { indexPendingMessages } from '../src/store/fts.js';
import { mailDesk } from './helpers/mailDesk.js';
import { watchWordIndexLookups } from './helpers/wordIndexLookups.js';
import { Client, mention } from './helpers/parley.js';

const HER_LINE = 'The depot on Fenwick Road hung up on me twice this morning.';

describe('the quote lookup of other conversations runs outside the write transaction [sqlite]', () => {
  const { s, db, stored, clock } = mailDesk('sqlite');

  it('for a note, an expert question and its answer: no lookup statement inside a transaction, every quote recorded', async () => {
    const zed = { networkUserId: 'zq-1', handle: 'zed_q', displayName: 'Zed Q', followers: 3 };
    const hers = await stored(s.desk.accountId, mention({ networkMessageId: 'zq-post', author: zed, text: HER_LINE, createdAt: clock.now() }));
    const bob = await stored(s.desk.accountId, mention({ networkMessageId: 'bq-post', author: { networkUserId: 'bq-1', handle: 'bob_q', displayName: 'Bob Q', followers: 5 }, text: '@AcmeCare my order never came', createdAt: clock.now() }));
    expect(bob.conversationId).not.toBe(hers.conversationId);
    await indexPendingMessages(db(), s.desk.db.store);

    // every word-index lookup the desk runs from now on, and whether a transaction was open then
    const watch = watchWordIndexLookups(s.desk.db.store.sqlite!);
    const lookups = watch.insideTransaction;
    try {
      const note = await s.ana.post(`/api/conversations/${bob.conversationId}/notes`, { text: `Same as the other customer: "${HER_LINE}" Checking.` });
      expect(note.status, JSON.stringify(note.json)).toBe(201);
      const asked = await s.ana.post(`/api/conversations/${bob.conversationId}/expert-requests`, { expertId: s.desk.users.expert, question: `Someone wrote "${HER_LINE}" Is that depot open?` });
      expect(asked.status, JSON.stringify(asked.json)).toBe(201);
      const expert = await Client.signIn(s.desk.url, 'eli@acme.test');
      const answered = await expert.post(`/api/expert-requests/${asked.json.id}/answer`, { text: `Yes. "${HER_LINE}" is a known problem there.` });
      expect(answered.status, JSON.stringify(answered.json)).toBe(200);

      expect(lookups.length).toBeGreaterThan(0);
      expect(lookups.filter((inside) => inside)).toEqual([]);
      const passages = await db().selectFrom('quote_passage').select(['subject_type', 'subject_id']).where('message_id', '=', hers.messageId).execute();
      expect(passages.map((p) => p.subject_type).sort()).toEqual(['expert_request', 'note', 'note']); // the note, the question, the answer's note
      const quoted = await db().selectFrom('expert_quote').select('part').where('message_id', '=', hers.messageId).execute();
      expect(quoted.map((q) => q.part).sort()).toEqual(['answer', 'question']);
    } finally {
      watch.stop();
    }
  });
});
