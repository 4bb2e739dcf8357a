/**
 * A conversation with no contact (a brand's own post that customers answered, say) names its
 * first author in the inbox list as its detail does, on SQLite and PostgreSQL: the row said
 * "Unknown customer" while the header showed the author (found in a QA pass). The first author
 * is the earliest authored message's, however many answered after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`the inbox row of a conversation without a contact [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    it('names the first author, as the conversation does', async () => {
      const t0 = Date.now() - 60 * 60_000;
      const first = mention({ createdAt: t0, text: '@AcmeCare the app logs me out every hour', author: { networkUserId: 'u-first', handle: 'first_writer', displayName: 'First Writer' } });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [first] });
      const id = r.json.outcomes[0].conversationId as number;
      // later answers in the same thread, by others
      const replies = Array.from({ length: 3 }, (_, i) => mention({ createdAt: t0 + (i + 1) * 60_000, inReplyToNetworkId: first.networkMessageId, text: `@AcmeCare same here ${i}`, author: { networkUserId: `u-later-${i}`, handle: `later_${i}`, displayName: null } }));
      for (const m of replies) expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId).toBe(id);
      await desk.parley.services.store.db.updateTable('conversation').set({ contact_id: null }).where('id', '=', id).execute();

      const list = (await admin.get('/api/conversations?view=all')).json as { items: { id: number; contact: { handle: string | null; displayName: string | null } | null }[] };
      const row = list.items.find((c) => c.id === id)!;
      expect(row.contact).toMatchObject({ handle: 'first_writer', displayName: 'First Writer' });
    });
  });
}
