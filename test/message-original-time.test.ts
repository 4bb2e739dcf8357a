/**
 * A message whose own time ingest did not keep (src/core/messageTime.ts: more than the tolerated
 * skew in the future, or before 2000) keeps that time in `original_sent_at`, beside the receipt
 * time it is stored with; a message whose time was kept has none. Through the ingest API, with a
 * controlled clock, on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`a corrected message time keeps the original [${dialect}]`, () => {
    let desk: TestDesk;
    const clock = new ManualClock(T);
    let admin: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    let n = 0;
    const ingest = async (createdAt: number) => {
      const m = mention({ author: { networkUserId: `ot-${dialect}-${++n}`, handle: `origtime${n}`, displayName: `Customer ${n}`, followers: 10 }, text: '@AcmeCare my order has not arrived', createdAt });
      const [o] = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes;
      expect(o.status).toBe('stored');
      const row = await desk.db.store.db.selectFrom('message').select(['created_at', 'received_at', 'original_sent_at']).where('id', '=', o.messageId as number).executeTakeFirstOrThrow();
      // and as the API shows it
      const c = await admin.get(`/api/conversations/${o.conversationId as number}`);
      const shown = (c.json.messages as { id: number; originalSentAt?: string }[]).find((x) => x.id === o.messageId);
      return { ...row, shown: shown?.originalSentAt ?? null };
    };
    const ms = (v: unknown) => (v == null ? v : Number(v));

    it('keeps the time a message said it was sent when it was in the future or before 2000, and none when its time was kept', async () => {
      clock.set(T);
      const future = await ingest(T + DAY);
      expect({ created: ms(future.created_at), original: ms(future.original_sent_at) }).toEqual({ created: T, original: T + DAY });
      expect(future.shown).toBe(new Date(T + DAY).toISOString());
      const epoch = await ingest(0);
      expect({ created: ms(epoch.created_at), original: ms(epoch.original_sent_at) }).toEqual({ created: T, original: 0 });
      const kept = await ingest(T - 3 * MIN);
      expect({ created: ms(kept.created_at), original: ms(kept.original_sent_at) }).toEqual({ created: T - 3 * MIN, original: null });
      expect(kept.shown).toBeNull();
      // a sender's clock a little ahead is not corrected
      const ahead = await ingest(T + 2 * MIN);
      expect({ created: ms(ahead.created_at), original: ms(ahead.original_sent_at) }).toEqual({ created: T + 2 * MIN, original: null });
    });
  });
}
