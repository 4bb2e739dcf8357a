/**
 * Erasure finds quotes of a message its author deleted before (src/commands/expertQuotes.ts
 * `quote_passage`, src/commands/erase.ts `recordedQuotes`), on SQLite and PostgreSQL, through a
 * real desk: Zed posts twice on her own conversation and replies in Bob's thread; an agent's note
 * on Bob's conversation and an expert question there quote her reply, and an expert question on
 * her own conversation quotes her second post. Then she deletes those two on the network (the
 * deletion redacts them: their text is gone), and later asks to be erased.
 *  - writing the note or question records the passages it quotes by the message's id and a keyed
 *    hash (never the text);
 *  - erasing her finds the note and the questions by her messages' ids (redacted ones too) and
 *    the quotes in them by their hashes: `[erased]`, in the question's `expert.asked` copy too;
 *    the recorded hashes of her passages are deleted; Bob's words and their record stay;
 *  - the erasure reads for quotes only the notes whose words hold a passage of hers (the notes'
 *    word index), not every note written since her first message: 300 notes on Bob's
 *    conversation that do not quote her are not read, the two that do are rewritten (one in
 *    capitals with its line break as spaces).
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../src/commands/context.js';
import { eraseContact, type EraseContactResult } from '../src/commands/erase.js';
import { EventBus } from '../src/events/bus.js';
import { applyNetworkDeletions } from '../src/pipeline/deletions.js';
import { DIALECTS } from './db.js';
import { mailDesk } from './helpers/mailDesk.js';
import { mention } from './helpers/parley.js';

const HER_POST = 'The courier left my parcel with a neighbour at number 12.\nNobody there has it and the tracking says delivered!';
const REPLY_SECOND = 'Support chat closed on me twice today.';
/** Her second post on her own conversation. */
const HER_FOLLOWUP = 'Also the driver was rude to my elderly mother at the door.';
const HER_REPLY = `@AcmeCare @bob_b same here, my order 5512 was marked delivered. ${REPLY_SECOND}`;
const BOB_POST = '@AcmeCare where is my order? It has been two weeks now and no reply.';
/** Any of these left anywhere is her words. */
const HER_FRAGMENTS = ['rude to my elderly mother', 'closed on me twice', 'nobody there has it', 'tracking says delivered', 'marked delivered', 'neighbour at number 12'];
const herWordsIn = (s: string) => HER_FRAGMENTS.filter((f) => s.toLowerCase().includes(f));

/** Counts the note texts the store hands back (rows of a `select … from note` with a `text`). */
class NoteReads implements KyselyPlugin {
  rows = 0;
  private readonly notes = new Set<unknown>();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const n = args.node as { kind: string; from?: { froms: { kind: string; table?: { identifier?: { name?: string } } }[] } };
    if (n.kind === 'SelectQueryNode' && n.from?.froms.some((f) => f.kind === 'TableNode' && f.table?.identifier?.name === 'note')) this.notes.add(args.queryId.queryId);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.notes.delete(args.queryId.queryId)) this.rows += args.result.rows.filter((r) => 'text' in r).length;
    return args.result;
  }
}

for (const dialect of DIALECTS) {
  describe(`erasure of quotes of her messages deleted before [${dialect}]`, () => {
    const { s, db, stored, clock } = mailDesk(dialect);
    let f: {
      own: number; bob: number; herPost: number; herFollowup: number; herReply: number; bobPost: number;
      note: number; bobNote: number; filler: number[]; bulkQuoting: number[]; qOwn: number; qBob: number;
      recordedBefore: { message_id: number; subject_type: string; length: number; hash: string }[];
      result: EraseContactResult; noteReads: number;
    };
    const noteText = async (id: number) => (await db().selectFrom('note').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text;
    const question = async (id: number) => (await db().selectFrom('expert_request').select('question').where('id', '=', id).executeTakeFirstOrThrow()).question;
    const askedAudit = async (id: number) => (JSON.parse((await db().selectFrom('audit_event').select('data').where('action', '=', 'expert.asked').where('subject_id', '=', String(id)).executeTakeFirstOrThrow()).data) as { question: string }).question;
    const recorded = () => db().selectFrom('quote_passage').select(['message_id', 'subject_type', 'length', 'hash']).orderBy('id').execute();

    beforeAll(async () => {
      const d = dialect;
      const zed = { networkUserId: `zr-${d}-9`, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3 };
      const own = await stored(s.desk.accountId, mention({ networkMessageId: `zr-${d}-post`, author: zed, text: HER_POST, createdAt: clock.now() }));
      const bobNetworkId = `bob-${d}-1`;
      const bob = await stored(s.desk.accountId, mention({ networkMessageId: bobNetworkId, author: { networkUserId: `bob-${d}`, handle: 'bob_b', displayName: 'Bob B', followers: 5 }, text: BOB_POST, createdAt: clock.now() }));
      const reply = await stored(s.desk.accountId, mention({ networkMessageId: `zr-${d}-reply`, author: zed, text: HER_REPLY, inReplyToNetworkId: bobNetworkId, createdAt: clock.now() }));
      expect(reply.conversationId).toBe(bob.conversationId);
      const followup = await stored(s.desk.accountId, mention({ networkMessageId: `zr-${d}-followup`, author: zed, text: HER_FOLLOWUP, inReplyToNetworkId: `zr-${d}-post`, createdAt: clock.now() }));
      expect(followup.conversationId).toBe(own.conversationId);
      const contactId = Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', own.conversationId).executeTakeFirstOrThrow()).contact_id);

      const addNote = async (conversationId: number, text: string) => {
        const r = await s.ana.post(`/api/conversations/${conversationId}/notes`, { text });
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        return Number(r.json.id);
      };
      const ask = async (conversationId: number, text: string) => {
        const r = await s.ana.post(`/api/conversations/${conversationId}/expert-requests`, { expertId: s.desk.users.expert, question: text });
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        return Number(r.json.id);
      };
      const note = await addNote(bob.conversationId, `The other customer here said "${REPLY_SECOND.toUpperCase()}" — chat bot again. Bob said: ${BOB_POST.slice(10)}`);
      const bobNote = await addNote(bob.conversationId, `Bob: "${BOB_POST.slice(10)}" Escalated.`);
      const qBob = await ask(bob.conversationId, `She wrote   "${REPLY_SECOND}"\nIs the chat bot dropping sessions?`);
      const qOwn = await ask(own.conversationId, `Her follow-up: ${HER_FOLLOWUP} Refund?`);
      const recordedBefore = (await recorded()).map((r) => ({ ...r, message_id: Number(r.message_id), length: Number(r.length) }));

      // a busy conversation: many notes written since her first message that do not quote her,
      // and two (written straight to the store, so nothing is recorded) that quote her post
      const at = clock.now();
      const rows = Array.from({ length: 300 }, (_, i) => ({ brand_id: s.desk.brandId, conversation_id: bob.conversationId, author_user_id: s.desk.users.ana, text: `Checked order ${1000 + i}: the courier has it, nothing unusual.`, mentions: '[]', created_at: at + i }));
      const filler: number[] = [];
      for (let i = 0; i < rows.length; i += 100) filler.push(...(await db().insertInto('note').values(rows.slice(i, i + 100)).returning('id').execute()).map((r) => Number(r.id)));
      const bulkQuoting = [
        Number((await db().insertInto('note').values({ brand_id: s.desk.brandId, conversation_id: bob.conversationId, author_user_id: s.desk.users.ana, text: `Same as the other one: "${HER_POST.toUpperCase()}"`, mentions: '[]', created_at: at + 400 }).returning('id').executeTakeFirstOrThrow()).id),
        Number((await db().insertInto('note').values({ brand_id: s.desk.brandId, conversation_id: bob.conversationId, author_user_id: s.desk.users.ana, text: `(${HER_POST.split('\n')[0]})`, mentions: '[]', created_at: at + 401 }).returning('id').executeTakeFirstOrThrow()).id),
      ];

      // she deletes her reply and her second post on the network: the desk redacts them (their text is gone)
      const bus = new EventBus();
      const deleted = await applyNetworkDeletions({ store: s.desk.db.store, bus, clock }, { brandId: s.desk.brandId, network: 'x', networkMessageIds: [`zr-${d}-reply`, `zr-${d}-followup`], actor: 'system:webhook:x' });
      expect(deleted.redacted.sort((a, b) => a - b)).toEqual([reply.messageId, followup.messageId].sort((a, b) => a - b));
      clock.advance(60_000);

      const reads = new NoteReads();
      const store = { ...s.desk.db.store, db: s.desk.db.store.db.withPlugin(reads) };
      const result = await eraseContact({ store, bus, clock }, systemActor(s.desk.brandId, 'test'), { contactId, reason: 'GDPR request #640' });
      f = {
        own: own.conversationId, bob: bob.conversationId, herPost: own.messageId, herFollowup: followup.messageId, herReply: reply.messageId, bobPost: bob.messageId,
        note, bobNote, filler, bulkQuoting, qOwn, qBob, recordedBefore, result, noteReads: reads.rows,
      };
    });

    it('records the passages a note or question quotes by message id and keyed hash, never their text', () => {
      const of = (messageId: number, type: string) => f.recordedBefore.filter((r) => r.message_id === messageId && r.subject_type === type);
      expect(of(f.herReply, 'note').length).toBeGreaterThan(0);
      expect(of(f.herReply, 'expert_request').length).toBeGreaterThan(0);
      expect(of(f.herFollowup, 'expert_request').length).toBeGreaterThan(0);
      expect(of(f.bobPost, 'note').length).toBeGreaterThan(0);
      for (const r of f.recordedBefore) {
        expect(r.hash).toMatch(/^[\w-]{43}$/);
        expect(herWordsIn(r.hash)).toEqual([]);
      }
    });

    it('erases a quote of her deleted reply from a note and a question on Bob\'s conversation, and its audit copy; Bob\'s words stay', async () => {
      expect(await noteText(f.note)).toBe(`The other customer here said "[erased]" — chat bot again. Bob said: ${BOB_POST.slice(10)}`);
      expect(await question(f.qBob)).toBe('She wrote   "[erased]"\nIs the chat bot dropping sessions?');
      expect(herWordsIn(await askedAudit(f.qBob))).toEqual([]);
      expect(await noteText(f.bobNote)).toBe(`Bob: "${BOB_POST.slice(10)}" Escalated.`);
    });

    it('erases a quote of her deleted post from the question on her own conversation', async () => {
      expect(await question(f.qOwn)).toBe('Her follow-up: [erased] Refund?');
      expect(herWordsIn(await askedAudit(f.qOwn))).toEqual([]);
    });

    it('deletes the recorded hashes of her passages and keeps Bob\'s', async () => {
      const left = await recorded();
      expect(left.filter((r) => [f.herPost, f.herReply, f.herFollowup].includes(Number(r.message_id)))).toEqual([]);
      expect(left.filter((r) => Number(r.message_id) === f.bobPost).length).toBeGreaterThan(0);
    });

    it('reads for quotes only the notes whose words hold a passage of hers, and rewrites those', async () => {
      expect(await noteText(f.bulkQuoting[0]!)).toBe('Same as the other one: "[erased]"');
      expect(await noteText(f.bulkQuoting[1]!)).toBe('([erased])');
      expect(await noteText(f.filler[0]!)).toBe('Checked order 1000: the courier has it, nothing unusual.');
      // her conversation's notes, the recorded and quoting ones, each read a few times: not the 300 others
      expect(f.noteReads).toBeLessThan(40);
      expect(f.result.alsoErased.notesElsewhere).toBe(3);
    });
  });
}
