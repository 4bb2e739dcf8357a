/**
 * The backfill of quoted passages for notes and expert questions written before passages were
 * recorded runs as a job in bounded steps (src/jobs/quoteBackfill.ts), on SQLite and PostgreSQL:
 * migration 20261207T0310 only marks what needs doing; the job then records the same passages
 * the migration recorded when it did it all at once (`recordMissingQuotes`), on the notes' own
 * conversations and on others. A step that dies before it commits (a crash) writes nothing and
 * is done again by the next run (a restart): no passage lost, none twice. Running it again, or
 * marking again, records nothing more.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { recordMissingQuotes } from '../src/commands/expertQuotes.js';
import { backfillQuotes, backfillQuotesStep, QUOTE_BACKFILL_KEY } from '../src/jobs/quoteBackfill.js';
import { indexPendingMessages } from '../src/store/fts.js';
import { up as markBackfill } from '../src/store/migrations/20261207T0310_quote_passages_backfill.js';
import { DIALECTS } from './db.js';
import { mailDesk } from './helpers/mailDesk.js';
import { mention } from './helpers/parley.js';

const HER_POST = 'My parcel was left in the rain behind the recycling bins, the box is soaked through.';
const HER_SECOND = 'I called the depot at Fenwick Road and they hung up on me.';
const BOB_POST = '@AcmeCare where is my order? It has been two weeks now and no reply.';

for (const dialect of DIALECTS) {
  describe(`the quote backfill job [${dialect}]`, () => {
    const { s, db, stored, clock } = mailDesk(dialect);
    const seeded = { notes: [] as number[], questions: [] as number[] };
    /** The passages recorded for the seeded notes and questions, in a stable order. */
    const recorded = async () => {
      const rows = await db().selectFrom('quote_passage').select(['message_id', 'subject_type', 'subject_id', 'length', 'hash'])
        .where((eb) => eb.or([
          eb.and([eb('subject_type', '=', 'note'), eb('subject_id', 'in', seeded.notes)]),
          eb.and([eb('subject_type', '=', 'expert_request'), eb('subject_id', 'in', seeded.questions)]),
        ])).execute();
      return rows.map((r) => ({ ...r, message_id: Number(r.message_id), subject_id: Number(r.subject_id) }))
        .sort((a, b) => a.subject_type.localeCompare(b.subject_type) || a.subject_id - b.subject_id || a.message_id - b.message_id || a.length - b.length || a.hash.localeCompare(b.hash));
    };
    const forget = () => db().deleteFrom('quote_passage').where((eb) => eb.or([
      eb.and([eb('subject_type', '=', 'note'), eb('subject_id', 'in', seeded.notes)]),
      eb.and([eb('subject_type', '=', 'expert_request'), eb('subject_id', 'in', seeded.questions)]),
    ])).execute();
    const cursor = async () => (await db().selectFrom('kv').select('value').where('key', '=', QUOTE_BACKFILL_KEY).executeTakeFirst())?.value ?? null;
    let expected: Awaited<ReturnType<typeof recorded>>;
    let her: { own: number; second: number; post: number };

    beforeAll(async () => {
      const d = dialect;
      const zed = { networkUserId: `zb-${d}`, handle: 'zed_b', displayName: 'Zed B', followers: 3 };
      const post = await stored(s.desk.accountId, mention({ networkMessageId: `zb-${d}-1`, author: zed, text: HER_POST, createdAt: clock.now() }));
      const second = await stored(s.desk.accountId, mention({ networkMessageId: `zb-${d}-2`, author: zed, text: HER_SECOND, inReplyToNetworkId: `zb-${d}-1`, createdAt: clock.now() }));
      const bob = await stored(s.desk.accountId, mention({ networkMessageId: `bb-${d}-1`, author: { networkUserId: `bb-${d}`, handle: 'bob_bb', displayName: 'Bob BB', followers: 5 }, text: BOB_POST, createdAt: clock.now() }));
      expect(bob.conversationId).not.toBe(post.conversationId);
      her = { own: post.conversationId, second: second.messageId, post: post.messageId };
      await indexPendingMessages(db(), s.desk.db.store);
      // notes and questions written before passages were recorded: straight to the store
      const texts: [number, string][] = [
        [bob.conversationId, `Same depot as the other customer: "${HER_SECOND}" Checking.`],
        [bob.conversationId, `Bob: "${BOB_POST.slice(10)}" Escalated.`],
        [bob.conversationId, 'ok, thanks'],
        [post.conversationId, `She wrote "${HER_POST}" and sent photos.`],
        [bob.conversationId, 'Nothing quoted here at all, just a reminder to call back tomorrow.'],
        [bob.conversationId, `Earlier she told us ${HER_SECOND.toLowerCase()} and also ${HER_POST.toUpperCase()}`],
      ];
      for (const [conversationId, text] of texts) {
        seeded.notes.push(Number((await db().insertInto('note').values({ brand_id: s.desk.brandId, conversation_id: conversationId, author_user_id: s.desk.users.ana, text, mentions: '[]', created_at: clock.now() }).returning('id').executeTakeFirstOrThrow()).id));
      }
      for (const question of [`Someone wrote "${HER_SECOND}" Is Fenwick Road depot still open?`, 'Is the depot open on Sundays?']) {
        seeded.questions.push(Number((await db().insertInto('expert_request').values({ brand_id: s.desk.brandId, conversation_id: bob.conversationId, asked_by: s.desk.users.ana, expert_id: s.desk.users.expert, team_id: null, question, status: 'open', due_at: null, answered_by: null, answer_note_id: null, created_at: clock.now(), answered_at: null, overdue_at: null }).returning('id').executeTakeFirstOrThrow()).id));
      }
      // what the migration recorded when it did it all at once
      await db().transaction().execute((trx) => recordMissingQuotes(trx, { upto: { note: Math.max(...seeded.notes), expert_request: Math.max(...seeded.questions) }, now: clock.now() }));
      expected = await recorded();
      await forget();
    });

    it('the migration only marks them; the job records what the migration did, through a crash and a restart, once', async () => {
      // the old pass found quotes elsewhere and on the note's own conversation, of notes and questions
      expect(expected.filter((p) => p.message_id === her.second && p.subject_type === 'note').length).toBeGreaterThanOrEqual(2);
      expect(expected.some((p) => p.message_id === her.post && p.subject_type === 'note')).toBe(true);
      expect(expected.some((p) => p.message_id === her.second && p.subject_type === 'expert_request')).toBe(true);

      await markBackfill(db());
      expect(await recorded()).toEqual([]);
      const marked = await cursor();
      expect(marked).not.toBeNull();

      // a first step of two notes
      const first = await backfillQuotesStep(s.desk.db.store, clock.now(), { batch: 2 });
      expect(first.done).toBe(false);
      const afterFirst = await recorded();
      expect(afterFirst.length).toBe(first.recorded);
      expect(afterFirst.length).toBeGreaterThan(0);
      const moved = await cursor();
      expect(moved).not.toBe(marked);

      // the next step dies before it commits: nothing of it written, the cursor where it was
      await expect(backfillQuotesStep(s.desk.db.store, clock.now(), { batch: 2, beforeCommit: async () => { throw new Error('crash'); } })).rejects.toThrow('crash');
      expect(await recorded()).toEqual(afterFirst);
      expect(await cursor()).toBe(moved);

      // a restart runs it to the end
      const rest = await backfillQuotes(s.desk.db.store, clock, { batch: 2, budgetMs: Infinity });
      expect(rest.done).toBe(true);
      const all = await recorded();
      expect(all).toEqual(expected);
      expect(first.recorded + rest.recorded).toBe(expected.length);
      expect(await cursor()).toBeNull();
    });

    it('records nothing more when run again or marked again', async () => {
      expect(await backfillQuotes(s.desk.db.store, clock, { budgetMs: Infinity })).toEqual({ done: true, recorded: 0 });
      await markBackfill(db());
      expect(await cursor()).not.toBeNull();
      expect(await backfillQuotes(s.desk.db.store, clock, { budgetMs: Infinity })).toEqual({ done: true, recorded: 0 });
      expect(await recorded()).toEqual(expected);
      expect(await cursor()).toBeNull();
    });
  });
}
