/**
 * Erasure reaches every copy of what expert questions on OTHER customers' conversations quote of
 * the person, on SQLite and PostgreSQL, through a real desk: Zed posts on her own conversation
 * and also replies in Bob's thread (a conversation of several people); agents ask the knowledge
 * expert about Bob's and Cal's conversations, quoting her, and the expert answers quoting her.
 *  - asking and answering records which of the conversation's messages a question or answer
 *    quotes (`expert_quote`, src/commands/expertQuotes.ts): her reply in Bob's thread, Bob's
 *    own post, nothing for a quote of a message on another conversation;
 *  - erasing her rewrites, on those other conversations, the question, its `expert.asked` audit
 *    entry, its notices (asked, overdue: one that the 300-character cut left with only the start
 *    of her words too), the expert's answer (a note) and its notice: her words become `[erased]`;
 *  - found by the recorded ids: an answer quoting her given between the erasure's scan and its
 *    transaction, to a question that does not quote her, goes too;
 *  - found by text when nothing was recorded (a question asked before the record existed, or
 *    quoting a message of another conversation);
 *  - a question quoting Bob's words, not hers, keeps them, and so do its notices;
 *  - counted in the erasure's answer and its audit entry.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../src/commands/context.js';
import { eraseContact, type EraseContactResult } from '../src/commands/erase.js';
import { EventBus } from '../src/events/bus.js';
import { DIALECTS } from './db.js';
import { mailDesk } from './helpers/mailDesk.js';
import { Client, mention } from './helpers/parley.js';

/** Her own post, on her conversation. */
const HER_POST = 'The courier left my parcel with a neighbour at number 12.\nNobody there has it and the tracking says delivered!';
const REPLY_FIRST = '@AcmeCare @bob_b same here, my order 5512 was marked delivered but the box never came.';
const REPLY_SECOND = 'Support chat closed on me twice.';
/** Her reply in Bob's thread. */
const HER_REPLY = `${REPLY_FIRST} ${REPLY_SECOND}`;
const BOB_POST = '@AcmeCare where is my order? It has been two weeks now and no reply.';
/** Any of these left anywhere is her words. */
const HER_FRAGMENTS = ['closed on me twice', 'nobody there has it', 'same here, my', 'marked delivered but the box', 'neighbour at number 12', 'tracking says delivered'];
const herWordsIn = (s: string) => HER_FRAGMENTS.filter((f) => s.toLowerCase().includes(f));

const FILLER = 'Bob has been waiting two weeks and is getting upset about it. '.repeat(4);

for (const dialect of DIALECTS) {
  describe(`erasure of quotes in expert questions on other conversations, and their notices [${dialect}]`, () => {
    const { s, db, stored, clock } = mailDesk(dialect);
    type Ids = Record<'q1' | 'q2' | 'q3' | 'q4' | 'q5' | 'q6' | 'q7', number>;
    let f: {
      own: number; bob: number; cal: number; herPost: number; herReply: number; bobPost: number; q: Ids;
      recorded: Record<string, { message_id: number; part: string }[]>;
      result: EraseContactResult; audited: Record<string, number>;
    };
    const questionOf = async (id: number) => db().selectFrom('expert_request').select(['question', 'answer_note_id']).where('id', '=', id).executeTakeFirstOrThrow();
    const askedAudit = async (id: number) => (JSON.parse((await db().selectFrom('audit_event').select('data').where('action', '=', 'expert.asked').where('subject_id', '=', String(id)).executeTakeFirstOrThrow()).data) as { question: string }).question;
    const answerOf = async (id: number) => (await db().selectFrom('note').select('text').where('id', '=', Number((await questionOf(id)).answer_note_id)).executeTakeFirstOrThrow()).text;
    const notices = (conversationId: number) => db().selectFrom('notification').select(['kind', 'body']).where('conversation_id', '=', conversationId).where('kind', 'like', 'expert.%').orderBy('id').execute();

    beforeAll(async () => {
      const d = dialect;
      const zed = { networkUserId: `zq-${d}-9`, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3 };
      const own = await stored(s.desk.accountId, mention({ author: zed, text: HER_POST, createdAt: clock.now() }));
      const bobNetworkId = `bob-${d}-1`;
      const bob = await stored(s.desk.accountId, mention({ networkMessageId: bobNetworkId, author: { networkUserId: `bob-${d}`, handle: 'bob_b', displayName: 'Bob B', followers: 5 }, text: BOB_POST, createdAt: clock.now() }));
      // her reply joins Bob's thread: a conversation of several people, his
      const reply = await stored(s.desk.accountId, mention({ author: zed, text: HER_REPLY, inReplyToNetworkId: bobNetworkId, createdAt: clock.now() }));
      expect(reply.conversationId).toBe(bob.conversationId);
      const cal = await stored(s.desk.accountId, mention({ author: { networkUserId: `cal-${d}`, handle: 'cal_c', displayName: 'Cal C', followers: 5 }, text: '@AcmeCare my parcel is late too', createdAt: clock.now() }));
      const contactId = Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', own.conversationId).executeTakeFirstOrThrow()).contact_id);

      const expert = await Client.signIn(s.desk.url, 'eli@acme.test');
      const ask = async (conversationId: number, question: string) => {
        const r = await s.ana.post(`/api/conversations/${conversationId}/expert-requests`, { expertId: s.desk.users.expert, question });
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        return Number(r.json.id);
      };
      const answer = async (id: number, text: string) => {
        const r = await expert.post(`/api/expert-requests/${id}/answer`, { text });
        expect(r.status, JSON.stringify(r.json)).toBe(200);
      };
      // her reply, quoted on Bob's conversation (recorded); the expert's answer quotes it too
      const q1 = await ask(bob.conversationId, `The other customer in this thread wrote "${REPLY_SECOND}" Is the chat bot dropping sessions?`);
      await answer(q1, `Yes: "${REPLY_SECOND.toUpperCase()}" is the known bug.`);
      // her own post, quoted on Cal's conversation (another conversation's message: recorded too, found by its words), and in the answer
      const q2 = await ask(cal.conversationId, `A customer posted "${HER_POST.split('\n')[0]!.toLowerCase()}" Same courier here?`);
      await answer(q2, `Same depot. ${HER_POST.split('\n')[1]} is what she said too.`);
      // a long question: its notices hold its first 300 characters, which cut her words
      const long = `${FILLER}She added: "${REPLY_FIRST}" What can we offer?`;
      expect(long.indexOf(REPLY_FIRST)).toBeLessThan(300);
      expect(long.indexOf(REPLY_FIRST) + REPLY_FIRST.length).toBeGreaterThan(300);
      const q3 = await ask(bob.conversationId, long);
      await db().updateTable('expert_request').set({ due_at: clock.now() - 1 }).where('id', '=', q3).execute();
      expect(await s.desk.parley.services.workflowCommands.notifyExpertOverdue(q3)).toBe(true);
      // asked before quotes were recorded: its record goes (found by its text)
      const q4 = await ask(bob.conversationId, `Quoting her: "${REPLY_SECOND}" Any news on the fix?`);
      // a question that does not quote her, answered (quoting her) after the erasure's scan
      const q5 = await ask(bob.conversationId, 'Should we offer Bob a voucher for the wait?');
      // Bob's words, not hers
      const q6 = await ask(bob.conversationId, `Bob wrote "It has been two weeks now and no reply." Can we expedite?`);
      // on her own conversation too, a notice's cut may fall in a quote of hers
      const ownLong = `${FILLER}She wrote: "${HER_POST.split('\n')[1]}" Refund now?`;
      expect(ownLong.indexOf('Nobody there')).toBeLessThan(300);
      expect(ownLong.indexOf('Nobody there') + 52).toBeGreaterThan(300);
      const q7 = await ask(own.conversationId, ownLong);
      const q: Ids = { q1, q2, q3, q4, q5, q6, q7 };

      const recorded: Record<string, { message_id: number; part: string }[]> = {};
      for (const [k, id] of Object.entries(q)) {
        recorded[k] = (await db().selectFrom('expert_quote').select(['message_id', 'part']).where('expert_request_id', '=', id).orderBy('part', 'desc').orderBy('message_id').execute())
          .map((r) => ({ message_id: Number(r.message_id), part: r.part }));
      }
      await db().deleteFrom('expert_quote').where('expert_request_id', '=', q4).execute();

      const result = await eraseContact(
        { store: s.desk.db.store, bus: new EventBus(), clock, afterScan: () => answer(q5, `She also said "${REPLY_SECOND}" which is the same bug.`) },
        systemActor(s.desk.brandId, 'test'), { contactId, reason: 'GDPR request #512' },
      );
      const erased = await db().selectFrom('audit_event').select('data').where('action', '=', 'contact.erased').where('subject_id', '=', String(contactId)).executeTakeFirstOrThrow();
      f = { own: own.conversationId, bob: bob.conversationId, cal: cal.conversationId, herPost: own.messageId, herReply: reply.messageId, bobPost: bob.messageId, q, recorded, result, audited: (JSON.parse(erased.data) as { alsoErased: Record<string, number> }).alsoErased };
    });

    it('records which messages a question and its answer quote: any participant\'s of the conversation, and another conversation\'s', () => {
      expect(f.recorded.q1).toEqual([{ message_id: f.herReply, part: 'question' }, { message_id: f.herReply, part: 'answer' }]);
      expect(f.recorded.q3).toEqual([{ message_id: f.herReply, part: 'question' }]);
      expect(f.recorded.q6).toEqual([{ message_id: f.bobPost, part: 'question' }]);
      expect(f.recorded.q2).toEqual([{ message_id: f.herPost, part: 'question' }, { message_id: f.herPost, part: 'answer' }]);
      expect(f.recorded.q5).toEqual([]);
    });

    it('erases her words from a question on someone else\'s conversation, its audit entry and its notice', async () => {
      const expected = 'The other customer in this thread wrote "[erased]" Is the chat bot dropping sessions?';
      expect((await questionOf(f.q.q1)).question).toBe(expected);
      expect(await askedAudit(f.q.q1)).toBe(expected);
      expect((await notices(f.bob)).filter((n) => n.kind === 'expert.asked').map((n) => n.body)).toContain(expected);
    });

    it('erases her words from the expert\'s answer on that conversation and from its notice', async () => {
      expect(await answerOf(f.q.q1)).toBe('Yes: "[erased]" is the known bug.');
      expect((await notices(f.bob)).filter((n) => n.kind === 'expert.answered').map((n) => n.body)).toContain('Yes: "[erased]" is the known bug.');
    });

    it('erases a quote of a message from another conversation (not recorded) by its text, with its answer and notices', async () => {
      expect((await questionOf(f.q.q2)).question).toBe('A customer posted "[erased]" Same courier here?');
      expect(await askedAudit(f.q.q2)).toBe('A customer posted "[erased]" Same courier here?');
      expect(await answerOf(f.q.q2)).toBe('Same depot. [erased] is what she said too.');
      expect((await notices(f.cal)).map((n) => `${n.kind}: ${n.body}`)).toEqual([
        'expert.asked: A customer posted "[erased]" Same courier here?',
        'expert.answered: Same depot. [erased] is what she said too.',
      ]);
    });

    it('leaves no start of her words in the notices that hold the first 300 characters of a long question (asked, overdue)', async () => {
      const question = `${FILLER}She added: "[erased]" What can we offer?`;
      expect((await questionOf(f.q.q3)).question).toBe(question);
      const cut = (await notices(f.bob)).filter((n) => n.body.startsWith(FILLER));
      expect(cut.map((n) => n.kind).sort()).toEqual(['expert.asked', 'expert.overdue', 'expert.overdue']);
      for (const n of cut) expect(n.body).toBe(question.slice(0, 300));
    });

    it('leaves no start of her words in the notice of a long question on her own conversation either', async () => {
      const question = `${FILLER}She wrote: "[erased]" Refund now?`;
      expect((await questionOf(f.q.q7)).question).toBe(question);
      expect((await notices(f.own)).map((n) => `${n.kind}: ${n.body}`)).toEqual([`expert.asked: ${question.slice(0, 300)}`]);
    });

    it('erases a question that quotes her with nothing recorded (asked before the record), by its text', async () => {
      expect((await questionOf(f.q.q4)).question).toBe('Quoting her: "[erased]" Any news on the fix?');
      expect(await askedAudit(f.q.q4)).toBe('Quoting her: "[erased]" Any news on the fix?');
    });

    it('finds by its recorded quote an answer given after its scan, to a question that does not quote her', async () => {
      expect((await questionOf(f.q.q5)).question).toBe('Should we offer Bob a voucher for the wait?');
      expect(await answerOf(f.q.q5)).toBe('She also said "[erased]" which is the same bug.');
      expect((await notices(f.bob)).filter((n) => n.kind === 'expert.answered').map((n) => n.body)).toContain('She also said "[erased]" which is the same bug.');
    });

    it('keeps a question quoting someone else\'s words as asked, with its notice', async () => {
      const bobs = 'Bob wrote "It has been two weeks now and no reply." Can we expedite?';
      expect((await questionOf(f.q.q6)).question).toBe(bobs);
      expect(await askedAudit(f.q.q6)).toBe(bobs);
      expect((await notices(f.bob)).map((n) => n.body)).toContain(bobs);
    });

    it('leaves none of her words in any expert question, answer, audit copy or notice of the brand', async () => {
      const questions = await db().selectFrom('expert_request').select('question').where('brand_id', '=', s.desk.brandId).execute();
      const answers = await db().selectFrom('note').select('text').where('brand_id', '=', s.desk.brandId).execute();
      const asked = await db().selectFrom('audit_event').select('data').where('brand_id', '=', s.desk.brandId).where('action', '=', 'expert.asked').execute();
      const notified = await db().selectFrom('notification').select('body').where('brand_id', '=', s.desk.brandId).execute();
      const all = [...questions.map((r) => r.question), ...answers.map((r) => r.text), ...asked.map((r) => r.data), ...notified.map((r) => r.body)];
      expect(all.length).toBeGreaterThan(20);
      expect(all.filter((x) => herWordsIn(x).length)).toEqual([]);
    });

    it('counts them in the erasure\'s answer and its audit entry', () => {
      // questions q1-q4; answers of q1, q2, q5; notices: q1 asked and answered, q2 asked and
      // answered, q3 asked and overdue (to the expert and the asker), q4 asked, q5 answered; on
      // her own conversation, q7 and its notice
      expect(f.result.alsoErased).toMatchObject({ expertQuestionsElsewhere: 4, notesElsewhere: 3, notifications: 10, expertQuestions: 1, expertQuotes: 1 });
      expect(f.audited).toMatchObject({ expertQuestionsElsewhere: 4, notesElsewhere: 3, notifications: 10, expertQuestions: 1, expertQuotes: 1 });
    });
  });
}
