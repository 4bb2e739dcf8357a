/**
 * Erasure reaches the staff's and the brand's words on the person's conversations, on SQLite and
 * PostgreSQL: their handles, names, email address, network user id and CRM id go from internal
 * notes, expert questions and answers (and the question's audit entry) and the brand's stored
 * replies (text and payload); a brand email's quote of their mail goes; search no longer finds
 * them; on another customer's conversation only their `@handle` and address go; a short name does not wipe ordinary words;
 * the result and its audit entry hold counts only.
 */
import type { Selectable } from 'kysely';
import { describe, expect, it } from 'vitest';
import { composeReply } from '../src/channels/email/compose.js';
import { normalizeEmail } from '../src/channels/email/parse.js';
import { eraseContact, eraseQuotedMail, identifierScrubber } from '../src/commands/erase.js';
import { systemActor } from '../src/commands/context.js';
import { createBrand, createChannelAccount, createUser } from '../src/commands/setup.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { audit } from '../src/store/audit.js';
import { indexPending } from '../src/store/fts.js';
import { searchMessageIds } from '../src/store/queries.js';
import type { MessageTable } from '../src/store/schema.js';
import { describeEachStore } from './db.js';
import { mention } from './helpers/parley.js';

describe('identifierScrubber', () => {
  const scrub = identifierScrubber({ handles: ['@zed_person', 'zed.q@example.org'], names: ['Zoë Quokkason', 'Al', 'zed.q@example.org'], userIds: ['88127346', '42'], crmIds: ['CUST-ZED-4471'] });

  it('replaces every identifier, case-insensitive, whole words only, longest first', () => {
    expect(scrub('@Zed_Person said ZOË QUOKKASON is zed_person; mail zed.q@example.org, id 88127346, crm cust-zed-4471.'))
      .toBe('@erased said erased is erased; mail erased, id erased, crm erased.');
    expect(scrub('Ms Quokkason called (Quokkason\'s order)')).toBe('Ms erased called (erased\'s order)');
  });

  it('matches across Unicode normalisation forms and white space', () => {
    expect(scrub('Zoe\u0308\n  Quokkason wrote')).toBe('erased wrote');
  });

  it('leaves words that merely contain an identifier, and short names and ids, alone', () => {
    const text = 'also a salmon from the Alps, Al was calm; @zed_personality and zed_personal; joann.zed.q@example.org; order 42, ref 881273461; quokkasons';
    expect(scrub(text)).toBe(text);
  });

  it('matches a capitalised part of a name only with its capital', () => {
    const will = identifierScrubber({ handles: [], names: ['Will Quokkason'], userIds: [], crmIds: [] });
    expect(will('Will said he will call')).toBe('erased said he will call');
  });
});

describe('eraseQuotedMail', () => {
  it('replaces the quote of their mail and its reply header, keeps the brand\'s words and signature', () => {
    const mail = 'Hello, your refund is on its way.\n\nKind regards\n-- \nAcme Care\n\nOn Mon, 3 Jun 2024 10:02:00 UTC, Zoë <zed.q@example.org> wrote:\n> My address is\n>\n> 12 Gnarwhal Lane\n';
    expect(eraseQuotedMail(mail)).toBe('Hello, your refund is on its way.\n\nKind regards\n-- \nAcme Care\n\n[erased]');
    expect(eraseQuotedMail('Answer one\n> your question\nAnswer two')).toBe('Answer one\n[erased]\nAnswer two');
    expect(eraseQuotedMail('No quote here.\nOn Monday I wrote you.')).toBe('No quote here.\nOn Monday I wrote you.');
    expect(eraseQuotedMail('Thanks, done.\n\n-----Original Message-----\nFrom: Zoë <zed.q@example.org>\nSent: Monday\nTo: care@acme.test\n\nmy words')).toBe('Thanks, done.\n\n[erased]');
  });
});

describeEachStore('erasure of staff text and the brand\'s replies', (get, dialect) => {
  it('rewrites notes, expert questions and answers and the brand\'s replies on their conversations only, and search follows', async () => {
    const { store } = get();
    const db = store.db;
    const now = Date.now();
    const brandId = await createBrand(db, { slug: 'acme', name: 'Acme' }, now);
    const xAccount = await createChannelAccount(db, { brandId, network: 'x', handle: 'AcmeCare', driver: 'demo' }, now);
    const mailAccount = await createChannelAccount(db, { brandId, network: 'email', handle: 'care@acme.test', driver: 'demo' }, now);
    const ana = await createUser(db, { brandId, email: 'ana@acme.test', name: 'Ana Agent', role: 'agent', availability: 'online' }, now);
    const eli = await createUser(db, { brandId, email: 'eli@acme.test', name: 'Eli Expert', role: 'expert', availability: 'online' }, now);
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: systemClock });
    const ingest = async (channelAccountId: number, m: ReturnType<typeof mention>) => {
      const [o] = await pipeline.ingest(brandId, [{ channelAccountId, source: 'api', message: m }]);
      expect(o!.status, JSON.stringify(o)).toBe('stored');
      return o as unknown as { messageId: number; conversationId: number };
    };

    const theirId = `7731204${dialect.length}55`;
    const address = 'zed.q@example.org';
    const a = await ingest(xAccount, mention({ author: { networkUserId: theirId, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3 }, text: '@AcmeCare my parcel is lost' }));
    const contactId = Number((await db.selectFrom('contact_identity').select('contact_id').where('network_user_id', '=', theirId).executeTakeFirstOrThrow()).contact_id);
    await db.updateTable('contact').set({ crm_customer_id: 'CUST-ZED-4471' }).where('id', '=', contactId).execute();
    // the same person by email (a 2-letter display name there): one contact, two identities
    await db.insertInto('contact_identity').values({ brand_id: brandId, contact_id: contactId, network: 'email', network_user_id: address, handle: address, display_name: 'Al', followers: null, verified: 0, profile_url: null, avatar_url: null, created_at: now, updated_at: now }).execute();
    const customerMail = await normalizeEmail(Buffer.from(`From: Al <${address}>\r\nTo: care@acme.test\r\nSubject: Refund for order 5521\r\nMessage-ID: <m1@example.org>\r\nDate: Mon, 3 Jun 2024 10:02:00 +0000\r\n\r\nMy address is 12 Gnarwhalpie Lane, please refund.\r\n`), { accountAddress: 'care@acme.test', now });
    const e = await ingest(mailAccount, customerMail);
    expect(Number((await db.selectFrom('conversation').select('contact_id').where('id', '=', e.conversationId).executeTakeFirstOrThrow()).contact_id)).toBe(contactId);
    const b = await ingest(xAccount, mention({ author: { networkUserId: `${theirId}9`, handle: 'zed_personality', displayName: 'Someone Else', followers: 8 }, text: '@AcmeCare where is my order' }));

    const note = async (conversationId: number, text: string, author = ana) => Number((await db.insertInto('note').values({ brand_id: brandId, conversation_id: conversationId, author_user_id: author, text, mentions: '[]', created_at: now }).returning('id').executeTakeFirstOrThrow()).id);
    const nA = await note(a.conversationId, 'Zoë Quokkason (@zed_person, CUST-ZED-4471) called again; also amazed about the salmon. Ms Quokkason prefers email: zed.q@example.org');
    const nPlain = await note(a.conversationId, 'Refund approved by finance, see the thread');
    const answer = await note(e.conversationId, 'Yes: Al is owed the refund, ZED_PERSON confirmed on X', eli);
    const nB = await note(b.conversationId, 'zed_personality is fine; not @zed_person, not Zoë Quokkason');
    const question = (conversationId: number, text: string, answerId: number | null) => db.insertInto('expert_request').values({
      brand_id: brandId, conversation_id: conversationId, asked_by: ana, expert_id: eli, team_id: null, question: text, status: answerId ? 'answered' : 'open', due_at: null,
      answered_by: answerId ? eli : null, answer_note_id: answerId, created_at: now, answered_at: answerId ? now : null, overdue_at: null,
    }).returning('id').executeTakeFirstOrThrow();
    const qE = await question(e.conversationId, `Is ${address} (Zoë Quokkason) owed a refund?`, answer);
    const qB = await question(b.conversationId, 'Is Zoë Quokkason related to this one?', null);
    for (const [q, c, text] of [[qE, e.conversationId, `Is ${address} (Zoë Quokkason) owed a refund?`], [qB, b.conversationId, 'Is Zoë Quokkason related to this one?']] as const) {
      await audit(db, { brandId, actor: `user:${ana}`, action: 'expert.asked', subjectType: 'expert_request', subjectId: q.id, conversationId: c, data: { expertId: eli, teamId: null, question: text } }, now);
    }

    // the brand's replies, stored as the send path stores them (text, the network's answer as raw)
    let seq = 0;
    const reply = async (inbound: number, text: string, raw: unknown) => {
      // (PostgreSQL's generated `search` column is computed, never inserted)
      const { id: _id, search: _search, ...m } = await db.selectFrom('message').selectAll().where('id', '=', inbound).executeTakeFirstOrThrow() as Selectable<MessageTable> & { search?: unknown };
      return Number((await db.insertInto('message').values({
        ...m, network_message_id: `out-${dialect}-${++seq}`, direction: 'outbound', author_identity_id: null, author_user_id: ana, reply_to_message_id: inbound, text, text_escaped: null,
        raw: raw == null ? null : JSON.stringify(raw), status: 'sent', source: 'agent', triage: null, first_reply_at: null, review_note: 'ok for Quokkason', redacted_at: null, redacted_reason: null,
      }).returning('id').executeTakeFirstOrThrow()).id);
    };
    const rA = await reply(a.messageId, '@zed_person sorry Zoë Quokkason, we will find it', { data: { id: '9001', text: '@zed_person sorry Zoë Quokkason, we will find it', in_reply_to_user_id: theirId } });
    const parent = { messageId: '<m1@example.org>', subject: 'Refund for order 5521', references: [], replyTo: null, from: { address, name: 'Al' }, to: null, date: 'Mon, 3 Jun 2024 10:02:00 +0000', text: 'My address is 12 Gnarwhalpie Lane, please refund.' };
    const sentMail = await normalizeEmail(await composeReply({ from: { address: 'care@acme.test', name: 'Acme Care' }, to: address, messageId: '<parley-1@acme.test>', text: 'Dear Quokkason, your refund is on its way.\n-- \nAcme Care', parent, subject: 'x', date: new Date(now) }), { accountAddress: 'care@acme.test', now });
    expect(JSON.stringify(sentMail.raw)).toContain('Gnarwhalpie');
    const rE = await reply(e.messageId, 'Dear Quokkason, your refund is on its way.\n-- \nAcme Care', sentMail.raw);
    const rB = await reply(b.messageId, '@zed_personality thanks, unlike Zoë Quokkason you waited', { data: { id: '9002', text: '@zed_personality thanks' } });

    const search = async (q: string) => {
      await indexPending(store);
      return searchMessageIds(store, brandId, q, 50);
    };
    // indexed before the erasure: the index must follow the rewrite
    expect(await search('Quokkason')).toEqual(expect.arrayContaining([rA, rE, rB]));

    const before = {
      nPlain: (await db.selectFrom('note').select('text').where('id', '=', nPlain).executeTakeFirstOrThrow()).text,
      nB: (await db.selectFrom('note').select('text').where('id', '=', nB).executeTakeFirstOrThrow()).text,
      qB: await db.selectFrom('expert_request').select('question').where('id', '=', qB.id).executeTakeFirstOrThrow(),
      rB: await db.selectFrom('message').select(['text', 'raw', 'review_note']).where('id', '=', rB).executeTakeFirstOrThrow(),
    };

    const r = await eraseContact({ store, bus: new EventBus(), clock: systemClock }, systemActor(brandId, 'cli'), { contactId, reason: 'GDPR request #91' });
    expect(r).toMatchObject({
      contactId, messagesRedacted: 2, identitiesErased: 2,
      notesToReview: { count: 3, conversationIds: [a.conversationId, e.conversationId].sort((x, y) => x - y), rewritten: 2 },
      alsoErased: { notes: 2, expertQuestions: 1, brandReplies: 2, auditEntries: 1, notesElsewhere: 1, brandRepliesElsewhere: 0 },
    });

    const noteText = async (id: number) => (await db.selectFrom('note').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text;
    expect(await noteText(nA)).toBe('erased (@erased, erased) called again; also amazed about the salmon. Ms erased prefers email: erased');
    expect(await noteText(answer)).toBe('Yes: Al is owed the refund, erased confirmed on X');
    expect(await noteText(nPlain)).toBe(before.nPlain);
    expect((await db.selectFrom('expert_request').select('question').where('id', '=', qE.id).executeTakeFirstOrThrow()).question).toBe('Is erased (erased) owed a refund?');
    const askedAudit = await db.selectFrom('audit_event').select('data').where('action', '=', 'expert.asked').where('subject_id', '=', String(qE.id)).executeTakeFirstOrThrow();
    expect(JSON.parse(askedAudit.data)).toEqual({ expertId: eli, teamId: null, question: 'Is erased (erased) owed a refund?' });

    const replyA = await db.selectFrom('message').select(['text', 'raw', 'review_note']).where('id', '=', rA).executeTakeFirstOrThrow();
    expect(replyA.text).toBe('@erased sorry erased, we will find it');
    expect(JSON.parse(replyA.raw!)).toEqual({ data: { id: '9001', text: '@erased sorry erased, we will find it', in_reply_to_user_id: 'erased' } });
    expect(replyA.review_note).toBe('ok for erased');
    const replyE = await db.selectFrom('message').select(['text', 'raw']).where('id', '=', rE).executeTakeFirstOrThrow();
    expect(replyE.text).toBe('Dear erased, your refund is on its way.\n-- \nAcme Care');
    const mail = JSON.parse(replyE.raw!);
    expect(mail.text.trimEnd()).toBe('Dear erased, your refund is on its way.\n-- \nAcme Care\n\n[erased]');
    expect(mail).toMatchObject({ kind: 'email', subject: 'Re: [erased]', source: null, html: null, to: [{ address: 'erased' }], messageId: '<parley-1@acme.test>' });

    // another customer's conversation: only their `@handle` goes (bare handles and names stay)
    expect(await noteText(nB)).toBe('zed_personality is fine; not @erased, not Zoë Quokkason');
    expect(await db.selectFrom('expert_request').select('question').where('id', '=', qB.id).executeTakeFirstOrThrow()).toEqual(before.qB);
    expect(JSON.parse((await db.selectFrom('audit_event').select('data').where('action', '=', 'expert.asked').where('subject_id', '=', String(qB.id)).executeTakeFirstOrThrow()).data).question).toBe('Is Zoë Quokkason related to this one?');
    expect(await db.selectFrom('message').select(['text', 'raw', 'review_note']).where('id', '=', rB).executeTakeFirstOrThrow()).toEqual(before.rB);

    // their conversations hold none of it any more; search finds only the other customer's reply
    const theirs = JSON.stringify([
      await db.selectFrom('note').selectAll().where('conversation_id', 'in', [a.conversationId, e.conversationId]).execute(),
      await db.selectFrom('expert_request').selectAll().where('conversation_id', 'in', [a.conversationId, e.conversationId]).execute(),
      await db.selectFrom('message').selectAll().where('conversation_id', 'in', [a.conversationId, e.conversationId]).execute(),
    ]);
    for (const secret of ['Quokkason', 'zed_person', address, theirId, 'CUST-ZED-4471', 'Gnarwhalpie']) expect(theirs, secret).not.toContain(secret);
    expect(await search('Quokkason')).toEqual([rB]);
    expect(await search('Gnarwhalpie')).toEqual([]);

    // audited with counts only
    const erased = await db.selectFrom('audit_event').select('data').where('action', '=', 'contact.erased').where('subject_id', '=', String(contactId)).executeTakeFirstOrThrow();
    expect(JSON.parse(erased.data)).toMatchObject({ reason: 'GDPR request #91', alsoErased: { notes: 2, expertQuestions: 1, brandReplies: 2 } });
    for (const secret of ['Quokkason', 'zed', 'Gnarwhalpie', theirId]) expect(erased.data).not.toContain(secret);
  });
});
