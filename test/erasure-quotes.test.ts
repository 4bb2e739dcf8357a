/**
 * Erasure reaches what quotes the person on other people's conversations, on SQLite and
 * PostgreSQL, through a real desk:
 *  - an expert question asked on another customer's conversation that quotes what they wrote, or
 *    names their `@handle`, loses those words (and so does its copy in the `expert.asked` audit
 *    entry); a question that does neither stays as asked;
 *  - someone else's email whose quoted history is their mail (it answers their mail by
 *    In-Reply-To, or its "On …, <their address> wrote:" names them) loses that history from its
 *    stored text, and its HTML copy and RFC 5322 source; the sender's own words stay. A mail
 *    quoting someone else keeps its history.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { mailDesk, SUPPORT } from './helpers/mailDesk.js';
import { mention } from './helpers/parley.js';

const ZED = 'zed.q@example.org';
const HER_WORDS = 'My parcel 4471 never arrived at the blue house on Elm Street.';

for (const dialect of DIALECTS) {
  describe(`erasure of quotes elsewhere [${dialect}]`, () => {
    const { s, clock, db, stored, mail } = mailDesk(dialect);
    const messageRow = (id: number) => db().selectFrom('message').select(['text', 'raw']).where('id', '=', id).executeTakeFirstOrThrow();
    const rawOf = async (id: number) => {
      const r = (await messageRow(id)).raw as string | Uint8Array | null;
      return r == null ? null : JSON.parse(typeof r === 'string' ? r : Buffer.from(r).toString('utf8')) as Record<string, unknown>;
    };
    const ask = async (conversationId: number, question: string) => {
      const r = await s.ana.post(`/api/conversations/${conversationId}/expert-requests`, { expertId: s.desk.users.expert, question });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return Number((await db().selectFrom('expert_request').select('id').where('conversation_id', '=', conversationId).orderBy('id', 'desc').executeTakeFirstOrThrow()).id);
    };
    const questionOf = async (id: number) => (await db().selectFrom('expert_request').select('question').where('id', '=', id).executeTakeFirstOrThrow()).question;
    const askedAudit = async (id: number) => JSON.parse((await db().selectFrom('audit_event').select('data').where('action', '=', 'expert.asked').where('subject_id', '=', String(id)).executeTakeFirstOrThrow()).data) as { question: string };

    let f: { bob: number; carol: number; dave: number; quoting: number; plain: number; before: { bobText: string; daveRaw: unknown }; alsoErased: Record<string, number> };
    beforeAll(async () => {
      const d = dialect;
      // Zoë writes by email, and on X as @zed_person
      const zmail = await mail(`From: Zoë <${ZED}>\nTo: ${SUPPORT}\nMessage-ID: <zed-1-${d}@example.org>\nSubject: Parcel\n\n${HER_WORDS}\n`);
      const contactId = Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', zmail.conversationId).executeTakeFirstOrThrow()).contact_id);
      const zx = await stored(s.desk.accountId, mention({ author: { networkUserId: `zx-${d}-1`, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3 }, text: '@AcmeCare any news on my parcel?', createdAt: clock.now() }));
      const zxIdentity = (await db().selectFrom('message').select('author_identity_id').where('id', '=', zx.messageId).executeTakeFirstOrThrow()).author_identity_id!;
      await db().updateTable('contact_identity').set({ contact_id: contactId }).where('id', '=', zxIdentity).execute();
      await db().updateTable('conversation').set({ contact_id: contactId }).where('id', '=', zx.conversationId).execute();

      // Bob answers her mail (he was on the thread elsewhere), quoting it: his own conversation
      const bob = await mail(`From: Bob <bob@y.com>\nTo: ${SUPPORT}\nMessage-ID: <bob-1-${d}@y.com>\nIn-Reply-To: <zed-1-${d}@example.org>\nReferences: <zed-1-${d}@example.org>\nSubject: Re: Parcel\n\nSame here, mine is missing too.\n\nOn Mon, 16 Nov 2026 at 10:00, Zoë wrote:\n> ${HER_WORDS}\n`);
      expect(bob.conversationId).not.toBe(zmail.conversationId);
      // Carol forwards nothing and answers nothing of hers by reference, but quotes her mail under her reply header
      const carol = await mail(`From: Carol <carol@y.com>\nTo: ${SUPPORT}\nMessage-ID: <carol-1-${d}@y.com>\nSubject: Neighbour\n\nMy neighbour wrote this to me, please help her.\n\nOn Mon, 16 Nov 2026 at 11:00, Zoë <${ZED}> wrote:\n> Please chase Acme for me.\n> ${HER_WORDS}\n`);
      // Dave quotes someone else: kept
      const dave = await mail(`From: Dave <dave@y.com>\nTo: ${SUPPORT}\nMessage-ID: <dave-1-${d}@y.com>\nSubject: Router\n\nStill broken.\n\nOn Mon, 16 Nov 2026 at 09:00, Eve <eve@y.com> wrote:\n> Have you tried turning it off?\n`);

      // on Carl's conversation, Ana asks an expert quoting Zoë, and another question that does not
      const carl = await stored(s.desk.accountId, mention({ author: { networkUserId: `cx-${d}-55`, handle: 'carl_other', displayName: 'Carl', followers: 3 }, text: '@AcmeCare my parcel is late', createdAt: clock.now() }));
      const quoting = await ask(carl.conversationId, `Same street as @zed_person, who wrote "${HER_WORDS.toUpperCase()}" Is Elm Street blocked for couriers?`);
      const plain = await ask(carl.conversationId, 'Is Elm Street blocked for couriers this week?');

      const before = { bobText: (await messageRow(bob.messageId)).text, daveRaw: await rawOf(dave.messageId) };
      const r = await s.admin.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #312' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      // the counts as the API answers them, and as audited
      const erased = await db().selectFrom('audit_event').select('data').where('action', '=', 'contact.erased').where('subject_id', '=', String(contactId)).executeTakeFirstOrThrow();
      const audited = (JSON.parse(erased.data) as { alsoErased: Record<string, number> }).alsoErased;
      const answered = (r.json as { alsoErased: Record<string, number> }).alsoErased;
      expect({ expertQuestionsElsewhere: answered.expertQuestionsElsewhere, quotedMails: answered.quotedMails }).toEqual({ expertQuestionsElsewhere: audited.expertQuestionsElsewhere, quotedMails: audited.quotedMails });
      f = { bob: bob.messageId, carol: carol.messageId, dave: dave.messageId, quoting, plain, before, alsoErased: answered };
    });

    it('erases her words and @handle from an expert question on another conversation, and from its audit entry; other questions stay', async () => {
      const expected = 'Same street as @erased, who wrote "[erased]" Is Elm Street blocked for couriers?';
      expect(await questionOf(f.quoting)).toBe(expected);
      expect((await askedAudit(f.quoting)).question).toBe(expected);
      expect(await questionOf(f.plain)).toBe('Is Elm Street blocked for couriers this week?');
      expect((await askedAudit(f.plain)).question).toBe('Is Elm Street blocked for couriers this week?');
      expect(f.alsoErased).toMatchObject({ expertQuestionsElsewhere: 1 });
    });

    it('erases her mail from the quoted history of other people\'s emails; their own words and other quotes stay', async () => {
      const bob = (await rawOf(f.bob))!;
      expect(bob).toMatchObject({ text: 'Same here, mine is missing too.\n\n[erased]', html: null, source: null, sourceBase64: null, from: [{ address: 'bob@y.com' }] });
      expect((await messageRow(f.bob)).text).toBe(f.before.bobText);
      expect(f.before.bobText).toBe('Same here, mine is missing too.');
      const carol = (await rawOf(f.carol))!;
      expect(carol).toMatchObject({ text: 'My neighbour wrote this to me, please help her.\n\n[erased]', source: null });
      expect(await rawOf(f.dave)).toEqual(f.before.daveRaw);
      expect(f.alsoErased).toMatchObject({ quotedMails: 2 });
      // nothing of her words left in any message of the brand
      const all = await db().selectFrom('message').select(['id', 'text', 'raw']).where('brand_id', '=', s.desk.brandId).execute();
      for (const m of all) {
        const raw = m.raw == null ? '' : typeof m.raw === 'string' ? m.raw : Buffer.from(m.raw as Uint8Array).toString('utf8');
        expect(`${m.text} ${raw}`, `message ${m.id}`).not.toContain('blue house on Elm Street');
      }
    });
  });
}
