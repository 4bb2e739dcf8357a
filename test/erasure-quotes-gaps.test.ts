/**
 * Erasure reaches every recorded quote of a message its author deleted before, on SQLite and
 * PostgreSQL, through a real desk (src/commands/expertQuotes.ts, src/commands/erase.ts). Zed posts
 * twice on her own conversation; Bob and Carl post on theirs (Zed never writes there). Then:
 *  - another conversation: an agent's note and an expert question on Bob's conversation quote a
 *    line of Zed's second post (a message of another conversation): recorded by message id and
 *    keyed hash when written (the messages' word index finds the candidates);
 *  - drafts: Ana needs sign-off; her reply draft on Bob's conversation quotes Zed's third post (only it does),
 *    and on Carl's conversation an approver rewrites Ana's draft at sign-off to quote Zed's first
 *    post (its audit entry keeps the text before and after, Ana's notice its start);
 *  - notes written before passages were recorded (straight to the store: nothing recorded) on
 *    Bob's conversation quoting Zed's second post: marked by migration 20261207T0310, recorded by the backfill job.
 * Zed deletes her second and third posts on the network (their text is gone), then asks to be erased: every
 * quote of hers becomes `[erased]` (the drafts still wait for sign-off, through the API too);
 * Bob's and Carl's words stay.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../src/commands/context.js';
import { eraseContact, type EraseContactResult } from '../src/commands/erase.js';
import { EventBus } from '../src/events/bus.js';
import { applyNetworkDeletions } from '../src/pipeline/deletions.js';
import { indexPendingMessages } from '../src/store/fts.js';
import { wordWindows } from '../src/commands/expertQuotes.js';
import { up as backfill } from '../src/store/migrations/20261207T0310_quote_passages_backfill.js';
import { backfillQuotes } from '../src/jobs/quoteBackfill.js';
import { DIALECTS } from './db.js';
import { mailDesk } from './helpers/mailDesk.js';
import { Client, mention } from './helpers/parley.js';

const HER_POST = 'My parcel was left in the rain behind the recycling bins.\nThe box is soaked through and the blender inside is ruined!';
const HER_SECOND = 'I called the depot at Fenwick Road and they hung up on me.';
/** Her third post, quoted only by a reply draft. */
const HER_THIRD = 'Nobody from the courier ever rang the bell, I was home all afternoon.';
const BOB_POST = '@AcmeCare where is my order? It has been two weeks now and no reply.';
const CARL_POST = '@AcmeCare my blender arrived broken, can I get a replacement please?';
/** Any of these left anywhere is her words. */
const HER_FRAGMENTS = ['behind the recycling bins', 'soaked through', 'blender inside is ruined', 'depot at fenwick road', 'hung up on me', 'rang the bell', 'home all afternoon'];
const herWordsIn = (s: string | null | undefined) => HER_FRAGMENTS.filter((f) => (s ?? '').toLowerCase().includes(f));

describe('the runs of words a note is looked up by (wordWindows)', () => {
  it('starts a run at each word, long enough to be specific, so a quoted passage\'s first words are one', () => {
    expect(wordWindows('Same depot: "I called the depot at Fenwick Road"')).toEqual([
      'same depot i called', 'depot i called the', 'i called the depot', 'called the depot', 'the depot at fenwick', 'depot at fenwick',
    ]);
    expect(wordWindows('ok, thanks!')).toEqual([]);
  });
});

for (const dialect of DIALECTS) {
  describe(`erasure of her quotes in notes elsewhere, drafts and earlier notes [${dialect}]`, () => {
    const { s, db, stored, clock } = mailDesk(dialect);
    let cleo: Client;
    let f: {
      bob: number; carl: number; second: number; noteElsewhere: number; question: number; draftBob: number; draftCarl: number;
      before: number; bobNote: number; result: EraseContactResult;
    };
    const noteText = async (id: number) => (await db().selectFrom('note').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text;
    const recordedFor = async (type: string, id: number) => db().selectFrom('quote_passage').select('message_id').where('subject_type', '=', type).where('subject_id', '=', id).execute();

    beforeAll(async () => {
      const d = dialect;
      cleo = await Client.signIn(s.desk.url, 'cleo@acme.test');
      expect((await s.admin.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [String(s.desk.users.ana)] } } })).status).toBe(200);
      const zed = { networkUserId: `zg-${d}-9`, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3 };
      const own = await stored(s.desk.accountId, mention({ networkMessageId: `zg-${d}-post`, author: zed, text: HER_POST, createdAt: clock.now() }));
      const second = await stored(s.desk.accountId, mention({ networkMessageId: `zg-${d}-second`, author: zed, text: HER_SECOND, inReplyToNetworkId: `zg-${d}-post`, createdAt: clock.now() }));
      expect(second.conversationId).toBe(own.conversationId);
      const third = await stored(s.desk.accountId, mention({ networkMessageId: `zg-${d}-third`, author: zed, text: HER_THIRD, inReplyToNetworkId: `zg-${d}-second`, createdAt: clock.now() }));
      expect(third.conversationId).toBe(own.conversationId);
      const bob = await stored(s.desk.accountId, mention({ networkMessageId: `bob-${d}-1`, author: { networkUserId: `bob-${d}`, handle: 'bob_b', displayName: 'Bob B', followers: 5 }, text: BOB_POST, createdAt: clock.now() }));
      const carl = await stored(s.desk.accountId, mention({ networkMessageId: `carl-${d}-1`, author: { networkUserId: `carl-${d}`, handle: 'carl_c', displayName: 'Carl C', followers: 5 }, text: CARL_POST, createdAt: clock.now() }));
      // the messages' word index holds them (SQLite indexes in batches; the note's lookup also reads what is not yet indexed)
      await indexPendingMessages(db(), s.desk.db.store);
      const contactId = Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', own.conversationId).executeTakeFirstOrThrow()).contact_id);

      const noteElsewhere = Number((await s.ana.post(`/api/conversations/${bob.conversationId}/notes`, { text: `Same depot as the other customer: "${HER_SECOND.toUpperCase()}" Checking.` })).json.id);
      const bobNote = Number((await s.ana.post(`/api/conversations/${bob.conversationId}/notes`, { text: `Bob: "${BOB_POST.slice(10)}" Escalated.` })).json.id);
      const asked = await s.ana.post(`/api/conversations/${bob.conversationId}/expert-requests`, { expertId: s.desk.users.expert, question: `Someone wrote "${HER_SECOND}" Is Fenwick Road depot still open?` });
      expect(asked.status, JSON.stringify(asked.json)).toBe(201);
      const question = Number(asked.json.id);

      // drafts waiting for sign-off
      const draft = async (conversationId: number, text: string) => {
        const r = await s.ana.post(`/api/conversations/${conversationId}/replies`, { text, visibility: 'public' });
        expect(r.json.message?.status, JSON.stringify(r.json)).toBe('pending_approval');
        return Number(r.json.message.id);
      };
      const draftBob = await draft(bob.conversationId, `@bob_b Sorry! Another customer said "${HER_THIRD}" We are on it.`);
      const draftCarl = await draft(carl.conversationId, '@carl_c Sorry to hear that, we are checking.');
      const rewrite = await cleo.post(`/api/approvals/${draftCarl}`, { decision: 'approve', text: `@carl_c Sorry! Like the customer whose "${HER_POST.split('\n')[1]}" we will replace it.` });
      expect(rewrite.status, JSON.stringify(rewrite.json)).toBe(200);
      expect(rewrite.json.status).toBe('pending_approval');

      // a note written before passages were recorded: straight to the store, nothing recorded; the backfill records it
      const before = Number((await db().insertInto('note').values({ brand_id: s.desk.brandId, conversation_id: bob.conversationId, author_user_id: s.desk.users.ana, text: `Earlier: she told us ${HER_SECOND.toLowerCase()}`, mentions: '[]', created_at: clock.now() }).returning('id').executeTakeFirstOrThrow()).id);
      expect(await recordedFor('note', before)).toEqual([]);
      await backfill(db());
      // the migration marks it; the job records it (src/jobs/quoteBackfill.ts)
      expect(await recordedFor('note', before)).toEqual([]);
      expect((await backfillQuotes(s.desk.db.store, clock, { budgetMs: Infinity })).done).toBe(true);

      // she deletes her second post on the network: its text is gone
      const bus = new EventBus();
      const deleted = await applyNetworkDeletions({ store: s.desk.db.store, bus, clock }, { brandId: s.desk.brandId, network: 'x', networkMessageIds: [`zg-${d}-second`, `zg-${d}-third`], actor: 'system:webhook:x' });
      expect(deleted.redacted.sort((a, b) => a - b)).toEqual([second.messageId, third.messageId].sort((a, b) => a - b));
      clock.advance(60_000);
      const result = await eraseContact({ store: s.desk.db.store, bus, clock }, systemActor(s.desk.brandId, 'test'), { contactId, reason: 'GDPR request #655' });
      f = { bob: bob.conversationId, carl: carl.conversationId, second: second.messageId, noteElsewhere, question, draftBob, draftCarl, before, bobNote, result };
    });

    it('erases a quote of her deleted post from a note and an expert question on another conversation', async () => {
      expect(await noteText(f.noteElsewhere)).toBe('Same depot as the other customer: "[erased]" Checking.');
      const q = await db().selectFrom('expert_request').select('question').where('id', '=', f.question).executeTakeFirstOrThrow();
      expect(q.question).toBe('Someone wrote "[erased]" Is Fenwick Road depot still open?');
      const asked = await db().selectFrom('audit_event').select('data').where('action', '=', 'expert.asked').where('subject_id', '=', String(f.question)).executeTakeFirstOrThrow();
      expect(herWordsIn(asked.data)).toEqual([]);
      // Bob's own words stay
      expect(await noteText(f.bobNote)).toBe(`Bob: "${BOB_POST.slice(10)}" Escalated.`);
    });

    it('erases her quotes from reply drafts waiting for sign-off, their audit entries and notices; the drafts still wait', async () => {
      const queue = (await cleo.get('/api/approvals')).json.items as { id: number; text: string; status: string }[];
      const bobDraft = queue.find((x) => x.id === f.draftBob)!;
      const carlDraft = queue.find((x) => x.id === f.draftCarl)!;
      expect(bobDraft.text).toBe('@bob_b Sorry! Another customer said "[erased]" We are on it.');
      expect(carlDraft.text).toBe('@carl_c Sorry! Like the customer whose "[erased]" we will replace it.');
      for (const id of [f.draftBob, f.draftCarl]) {
        const m = await db().selectFrom('message').select(['status', 'text']).where('id', '=', id).executeTakeFirstOrThrow();
        expect(m.status).toBe('pending_approval');
        const audits = await db().selectFrom('audit_event').select('data').where('subject_type', '=', 'message').where('subject_id', '=', String(id)).execute();
        expect(audits.flatMap((a) => herWordsIn(a.data))).toEqual([]);
      }
      const notices = await db().selectFrom('notification').select('body').where('conversation_id', 'in', [f.bob, f.carl]).execute();
      expect(notices.flatMap((n) => herWordsIn(n.body))).toEqual([]);
      expect(f.result.alsoErased.draftsElsewhere).toBe(2);
    });

    it('erases a quote in a note written before passages were recorded, once the backfill recorded it', async () => {
      expect(await noteText(f.before)).toBe('Earlier: she told us [erased]');
    });

    it('leaves none of her words in any note, question or draft, and no recorded passage of hers', async () => {
      const notes = await db().selectFrom('note').select('text').where('brand_id', '=', s.desk.brandId).execute();
      expect(notes.flatMap((n) => herWordsIn(n.text))).toEqual([]);
      const drafts = await db().selectFrom('message').select('text').where('brand_id', '=', s.desk.brandId).where('direction', '=', 'outbound').execute();
      expect(drafts.flatMap((m) => herWordsIn(m.text))).toEqual([]);
      expect(await db().selectFrom('quote_passage').select('id').where('message_id', '=', f.second).execute()).toEqual([]);
    });
  });
}
