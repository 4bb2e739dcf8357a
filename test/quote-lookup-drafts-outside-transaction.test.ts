/**
 * On SQLite a write transaction holds the one write lock, and ingest waits for it: the lookup of
 * what a reply draft held for sign-off, or an approver's rewrite of one, may quote of other
 * conversations (tens of statements on a large brand) runs before the write transaction, as a
 * note's does (test/quote-lookup-outside-transaction.test.ts), and the quotes it finds are still
 * recorded (src/commands/expertQuotes.ts, `quotableBeforeWriting`). A reply sent at once records
 * no quotes and looks nothing up.
 */
import { describe, expect, it } from 'vitest';
import { indexPendingMessages } from '../src/store/fts.js';
import { mailDesk } from './helpers/mailDesk.js';
import { watchWordIndexLookups } from './helpers/wordIndexLookups.js';
import { Client, mention } from './helpers/parley.js';

const HER_LINE = 'The depot on Fenwick Road hung up on me twice this morning.';

describe('the quote lookup of other conversations for reply drafts runs outside the write transaction [sqlite]', () => {
  const { s, db, stored, clock } = mailDesk('sqlite');

  it('for a draft held for sign-off and a rewrite at sign-off: no lookup statement inside a transaction, every quote recorded; none for a reply sent at once', async () => {
    expect((await s.admin.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [String(s.desk.users.ana)] } } })).status).toBe(200);
    const zed = { networkUserId: 'zd-1', handle: 'zed_d', displayName: 'Zed D', followers: 3 };
    const hers = await stored(s.desk.accountId, mention({ networkMessageId: 'zd-post', author: zed, text: HER_LINE, createdAt: clock.now() }));
    const bob = await stored(s.desk.accountId, mention({ networkMessageId: 'bd-post', author: { networkUserId: 'bd-1', handle: 'bob_d', displayName: 'Bob D', followers: 5 }, text: '@AcmeCare my order never came', createdAt: clock.now() }));
    const carl = await stored(s.desk.accountId, mention({ networkMessageId: 'cd-post', author: { networkUserId: 'cd-1', handle: 'carl_d', displayName: 'Carl D', followers: 5 }, text: '@AcmeCare my blender arrived broken', createdAt: clock.now() }));
    expect(new Set([hers.conversationId, bob.conversationId, carl.conversationId]).size).toBe(3);
    await indexPendingMessages(db(), s.desk.db.store);
    const cleo = await Client.signIn(s.desk.url, 'cleo@acme.test');

    // every word-index lookup the desk runs from now on, and whether a transaction was open then
    const watch = watchWordIndexLookups(s.desk.db.store.sqlite!);
    const lookups = watch.insideTransaction;
    try {
      const held = await s.ana.post(`/api/conversations/${bob.conversationId}/replies`, { text: `@bob_d Sorry! Another customer said "${HER_LINE}" We are on it.`, visibility: 'public' });
      expect(held.json.message?.status, JSON.stringify(held.json)).toBe('pending_approval');
      const lookedUpForDraft = lookups.length;
      expect(lookedUpForDraft).toBeGreaterThan(0);

      const short = await s.ana.post(`/api/conversations/${carl.conversationId}/replies`, { text: '@carl_d Sorry to hear that, we are checking.', visibility: 'public' });
      expect(short.json.message?.status, JSON.stringify(short.json)).toBe('pending_approval');
      const rewrite = await cleo.post(`/api/approvals/${short.json.message.id}`, { decision: 'approve', text: `@carl_d Sorry! Like the customer who wrote "${HER_LINE}" we will call the depot.` });
      expect(rewrite.status, JSON.stringify(rewrite.json)).toBe(200);
      expect(rewrite.json.status).toBe('pending_approval');
      expect(lookups.length).toBeGreaterThan(lookedUpForDraft);

      // a reply that is not held records no quotes: nothing looked up for it
      const before = lookups.length;
      const sent = await cleo.post(`/api/conversations/${bob.conversationId}/replies`, { text: `@bob_d We know "${HER_LINE}" and we are on it.`, visibility: 'public' });
      expect(sent.json.message?.status, JSON.stringify(sent.json)).toBe('queued');
      expect(lookups.length).toBe(before);

      expect(lookups.filter((inside) => inside)).toEqual([]);
      const passages = await db().selectFrom('quote_passage').select(['subject_type', 'subject_id']).where('message_id', '=', hers.messageId).orderBy('subject_id').execute();
      expect(passages).toEqual([
        { subject_type: 'message', subject_id: Number(held.json.message.id) },
        { subject_type: 'message', subject_id: Number(short.json.message.id) },
      ]);
    } finally {
      watch.stop();
    }
  });
});
