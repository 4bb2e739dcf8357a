/**
 * Erasure reaches two more places the person's words and name stay for a while, on SQLite and
 * PostgreSQL:
 *  - relayed live events (`live_event`, src/events/pgBridge.ts: events too large for a NOTIFY,
 *    read by id by the other processes, kept ~10 minutes): an event about her message, her
 *    conversation or her contact is rewritten with the values the desk now holds (her message
 *    without its text, marked redacted by erasure; her handle and name `erased`), and an event
 *    elsewhere (a note, an expert question's notice on someone else's conversation) loses her
 *    `@handle` and what it quotes of her. Each event stays, with its type and ids, so a process
 *    relaying it still tells its clients what changed; someone else's message stays as it is;
 *  - plain internal notes on OTHER customers' conversations that quote what she wrote: the quote
 *    becomes `[erased]` (before, only her `@handle` and address went); a note quoting someone
 *    else's words keeps them, and a note written before her first message is not read for quotes.
 * Rows written between the erasure's scan and its transaction are reached too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../src/commands/context.js';
import { eraseContact, type EraseContactResult } from '../src/commands/erase.js';
import { EventBus } from '../src/events/bus.js';
import { DIALECTS } from './db.js';
import { mailDesk } from './helpers/mailDesk.js';
import { mention } from './helpers/parley.js';

const HER_POST = 'The courier left my parcel with a neighbour at number 12.\nNobody there has it and the tracking says delivered!';
const BOB_POST = '@AcmeCare where is my order? It has been two weeks now and no reply.';
/** Any of these left anywhere is her words (or her name). */
const HER_FRAGMENTS = ['neighbour at number 12', 'nobody there has it', 'tracking says delivered', 'zed_person', 'quokkason'];
const herWordsIn = (s: string) => HER_FRAGMENTS.filter((f) => s.toLowerCase().includes(f));

for (const dialect of DIALECTS) {
  describe(`erasure of live events and of notes quoting her elsewhere [${dialect}]`, () => {
    const { s, db, stored, clock } = mailDesk(dialect);
    type Events = Record<'herMessage' | 'herConversation' | 'herContact' | 'noteElsewhere' | 'noticeElsewhere' | 'bobMessage' | 'late', number>;
    let f: {
      own: number; bob: number; herMessage: number; bobMessage: number; contactId: number; events: Events;
      notes: Record<'quoting' | 'quotingBob' | 'before' | 'late', number>;
      bobEventBefore: string; result: EraseContactResult;
    };
    const event = (id: number) => db().selectFrom('live_event').select(['type', 'data']).where('id', '=', id).executeTakeFirst();
    const noteText = async (id: number) => (await db().selectFrom('note').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text;

    beforeAll(async () => {
      const d = dialect;
      const bob = await stored(s.desk.accountId, mention({ author: { networkUserId: `bob-${d}`, handle: 'bob_b', displayName: 'Bob B', followers: 5 }, text: BOB_POST, createdAt: clock.now() }));
      const note = async (text: string) => Number((await db().insertInto('note').values({ brand_id: s.desk.brandId, conversation_id: bob.conversationId, author_user_id: s.desk.users.ana, text, mentions: '[]', created_at: clock.now() }).returning('id').executeTakeFirstOrThrow()).id);
      // written before she ever wrote: it cannot quote her (the same words are someone else's)
      const before = await note('Bob said: nobody there has it and the tracking says delivered! (his own words)');
      clock.advance(60_000);
      const zed = { networkUserId: `zl-${d}-9`, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3 };
      const own = await stored(s.desk.accountId, mention({ author: zed, text: HER_POST, createdAt: clock.now() }));
      const contactId = Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', own.conversationId).executeTakeFirstOrThrow()).contact_id);
      const quoting = await note(`Another customer wrote "${HER_POST.split('\n')[1]!.toUpperCase()}" — same courier as Bob's.`);
      const quotingBob = await note('Bob wrote "It has been two weeks now and no reply." Escalate.');

      // large events as the bridge stores them for other processes (`JSON.stringify` of the event)
      const live = async (type: string, data: unknown) => Number((await db().insertInto('live_event')
        .values({ brand_id: s.desk.brandId, type, data: JSON.stringify({ brandId: s.desk.brandId, type, data, at: clock.now() }), created_at: clock.now() })
        .returning('id').executeTakeFirstOrThrow()).id);
      const author = { contactId, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3, verified: false };
      const herMessage = await live('message.created', { id: own.messageId, conversationId: own.conversationId, direction: 'inbound', author, text: HER_POST, url: 'https://x.test/zed_person/1', triage: { category: 'delivery' } });
      const herConversation = await live('conversation.updated', { id: own.conversationId, version: 3, subject: HER_POST.slice(0, 80), contact: { id: contactId, displayName: 'Zoë Quokkason' }, labels: [] });
      const herContact = await live('contact.updated', { contactId, displayName: 'Zoë Quokkason', handle: 'zed_person' });
      const noteElsewhere = await live('note.created', { id: quoting, conversationId: bob.conversationId, text: `cc @zed_person: "${HER_POST.split('\n')[0]}"` });
      const noticeElsewhere = await live('notification', { kind: 'expert.asked', conversationId: bob.conversationId, title: 'Question from Ana', body: `Is "${HER_POST.split('\n')[1]}" the same courier?` });
      const bobData = { id: bob.messageId, conversationId: bob.conversationId, direction: 'inbound', author: { handle: 'bob_b' }, text: `${BOB_POST} ${HER_POST.split('\n')[1]}` };
      const bobMessage = await live('message.created', bobData);
      const bobEventBefore = (await db().selectFrom('live_event').select('data').where('id', '=', bobMessage).executeTakeFirstOrThrow()).data;

      let late = 0;
      let lateNote = 0;
      const result = await eraseContact(
        {
          store: s.desk.db.store, bus: new EventBus(), clock,
          // written after the erasure's scan: the transaction reads them
          afterScan: async () => {
            late = await live('expert.request', { id: 77, conversationId: bob.conversationId, question: `She said "${HER_POST.split('\n')[0]}"` });
            lateNote = await note(`Quoting the other thread: ${HER_POST.split('\n')[0]}`);
          },
        },
        systemActor(s.desk.brandId, 'test'), { contactId, reason: 'GDPR request #733' },
      );
      f = {
        own: own.conversationId, bob: bob.conversationId, herMessage: own.messageId, bobMessage: bob.messageId, contactId,
        events: { herMessage, herConversation, herContact, noteElsewhere, noticeElsewhere, bobMessage, late },
        notes: { quoting, quotingBob, before, late: lateNote }, bobEventBefore, result,
      };
    });

    it('rewrites the live events about her message, conversation and contact, keeping each event and its ids', async () => {
      const m = await event(f.events.herMessage);
      expect(m?.type).toBe('message.created');
      const e = JSON.parse(m!.data) as { type: string; data: Record<string, unknown> };
      expect(e.type).toBe('message.created');
      expect(e.data).toMatchObject({ id: f.herMessage, conversationId: f.own, text: '', url: null, triage: null, redacted: 'erasure' });
      expect((e.data.author as Record<string, unknown>).handle).toBe('erased');
      expect(herWordsIn(m!.data)).toEqual([]);
      const c = await event(f.events.herConversation);
      expect(JSON.parse(c!.data).data).toMatchObject({ id: f.own, version: 3 });
      expect(herWordsIn(c!.data)).toEqual([]);
      const k = await event(f.events.herContact);
      expect(JSON.parse(k!.data).data).toMatchObject({ contactId: f.contactId, displayName: 'erased', handle: 'erased' });
    });

    it('takes her @handle and her quoted words out of live events on other conversations, including one written after the scan', async () => {
      for (const id of [f.events.noteElsewhere, f.events.noticeElsewhere, f.events.late]) {
        const e = await event(id);
        expect(e, `live event ${id}`).toBeDefined();
        expect(herWordsIn(e!.data), e!.data).toEqual([]);
        expect(e!.data).toContain('[erased]');
        expect(JSON.parse(e!.data).data.conversationId).toBe(f.bob);
      }
      expect(JSON.parse((await event(f.events.noteElsewhere))!.data).data.text).toContain('@erased');
    });

    it('leaves another customer\'s message event as it was', async () => {
      expect((await event(f.events.bobMessage))?.data).toBe(f.bobEventBefore);
    });

    it('erases quotes of her words from plain notes on other conversations, not someone else\'s words or an earlier note', async () => {
      const quoting = await noteText(f.notes.quoting);
      expect(herWordsIn(quoting)).toEqual([]);
      expect(quoting).toBe('Another customer wrote "[erased]" — same courier as Bob\'s.');
      expect(await noteText(f.notes.late)).toBe('Quoting the other thread: [erased]');
      expect(await noteText(f.notes.quotingBob)).toBe('Bob wrote "It has been two weeks now and no reply." Escalate.');
      expect(await noteText(f.notes.before)).toContain('nobody there has it');
    });

    it('counts what it changed', () => {
      expect(f.result.alsoErased.liveEvents).toBe(6);
      expect(f.result.alsoErased.notesElsewhere).toBe(2);
    });
  });
}
