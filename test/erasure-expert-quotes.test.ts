/**
 * Erasure reaches what the expert questions on the person's own conversations quote of them, on
 * SQLite and PostgreSQL, through a real desk: a question that quotes what they wrote (a message
 * of theirs, or a line or sentence of it, of 20 characters or more, whatever the case or
 * spacing) loses the quote as well as their identifiers, in the question, its `expert.asked`
 * audit entry and its notice; so does the expert's answer (a note) and its notice. A question
 * that quotes them only in a few words, or not at all, keeps its words (their identifiers go, as
 * before). The erasure's answer and its audit entry count what changed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { mailDesk } from './helpers/mailDesk.js';
import { Client, mention } from './helpers/parley.js';

const FIRST = 'The courier left my parcel with a neighbour at number 12.';
const SECOND = 'Nobody there has it and the tracking says delivered!';
/** A direct message of hers, two lines. */
const HER_WORDS = `${FIRST}\n${SECOND}`;

for (const dialect of DIALECTS) {
  describe(`erasure of quotes in expert questions on their conversations [${dialect}]`, () => {
    const { s, db, stored } = mailDesk(dialect);
    const questionOf = async (id: number) => (await db().selectFrom('expert_request').select(['question', 'answer_note_id']).where('id', '=', id).executeTakeFirstOrThrow());
    const askedAudit = async (id: number) => JSON.parse((await db().selectFrom('audit_event').select('data').where('action', '=', 'expert.asked').where('subject_id', '=', String(id)).executeTakeFirstOrThrow()).data) as { question: string };
    const noteText = async (id: number) => (await db().selectFrom('note').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text;

    let f: { conversationId: number; quoting: number; answer: number; short: number; plain: number; answered: Record<string, number>; audited: Record<string, number> };
    beforeAll(async () => {
      const d = dialect;
      const her = await stored(s.desk.accountId, mention({ author: { networkUserId: `zq-${d}-1`, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3 }, text: HER_WORDS, createdAt: Date.now() }));
      const contactId = Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', her.conversationId).executeTakeFirstOrThrow()).contact_id);
      const ask = async (question: string) => {
        const r = await s.ana.post(`/api/conversations/${her.conversationId}/expert-requests`, { expertId: s.desk.users.expert, question });
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        return Number(r.json.id);
      };
      // the whole message, in other case and spacing, with her handle; a sentence of it in the answer
      const quoting = await ask(`@zed_person wrote: "${FIRST.toUpperCase()}\n   ${SECOND}" Can we refund before the claim?`);
      const expert = await Client.signIn(s.desk.url, 'eli@acme.test');
      const answered = await expert.post(`/api/expert-requests/${quoting}/answer`, { text: `Yes. She says "${SECOND.replace(/ /g, '  ')}" so refund it today.` });
      expect(answered.status, JSON.stringify(answered.json)).toBe(200);
      // a few of her words (under 20 characters) are anyone's: kept; her handle goes
      const short = await ask('Was it number 12 on the street @zed_person gave us?');
      const plain = await ask('Which courier covers that street?');
      const answer = Number((await questionOf(quoting)).answer_note_id);

      const r = await s.admin.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #407' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const erased = await db().selectFrom('audit_event').select('data').where('action', '=', 'contact.erased').where('subject_id', '=', String(contactId)).executeTakeFirstOrThrow();
      f = { conversationId: her.conversationId, quoting, answer, short, plain, answered: (r.json as { alsoErased: Record<string, number> }).alsoErased, audited: (JSON.parse(erased.data) as { alsoErased: Record<string, number> }).alsoErased };
    });

    it('erases her words from an expert question on her conversation and from its audit entry, not only her handle', async () => {
      const expected = '@erased wrote: "[erased]" Can we refund before the claim?';
      expect((await questionOf(f.quoting)).question).toBe(expected);
      expect((await askedAudit(f.quoting)).question).toBe(expected);
    });

    it('erases her words from the expert\'s answer', async () => {
      expect(await noteText(f.answer)).toBe('Yes. She says "[erased]" so refund it today.');
    });

    it('keeps a question that quotes her in a few words, or not at all, as asked but for her identifiers', async () => {
      expect((await questionOf(f.short)).question).toBe('Was it number 12 on the street @erased gave us?');
      expect((await askedAudit(f.short)).question).toBe('Was it number 12 on the street @erased gave us?');
      expect((await questionOf(f.plain)).question).toBe('Which courier covers that street?');
      expect((await askedAudit(f.plain)).question).toBe('Which courier covers that street?');
    });

    it('leaves none of her words in the questions\' and answers\' notices', async () => {
      const notices = await db().selectFrom('notification').select(['kind', 'title', 'body']).where('conversation_id', '=', f.conversationId).where('kind', 'in', ['expert.asked', 'expert.answered']).execute();
      expect(notices.map((n) => n.kind).sort()).toEqual(['expert.answered', 'expert.asked', 'expert.asked', 'expert.asked']);
      for (const n of notices) {
        expect(`${n.title} ${n.body}`.toLowerCase(), n.kind).not.toContain('neighbour at number 12');
        expect(`${n.title} ${n.body}`.toLowerCase(), n.kind).not.toContain('tracking says delivered');
      }
    });

    it('counts them in the erasure\'s answer and its audit entry', () => {
      // the quoting question and the short one (her handle); the answer note
      expect(f.answered).toMatchObject({ expertQuestions: 2, notes: 1, expertQuotes: 2 });
      expect(f.audited).toMatchObject({ expertQuestions: 2, notes: 1, expertQuotes: 2 });
    });
  });
}
