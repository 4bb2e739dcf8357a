/**
 * Erasure reaches what names the person outside their own conversations, on SQLite and
 * PostgreSQL, through a real desk that holds the instance secret:
 *  - their email address's keyed hash goes from other people's emails past raw payload
 *    retention (so a mail from that address no longer joins those threads by reference);
 *  - their address goes from the From/Reply-To/To/Cc of other people's emails still whole, and
 *    the RFC 5322 source with it; the sender's own words stay;
 *  - the brand's replies and the internal notes on other customers' conversations lose their
 *    `@handle` and email address (not the bare handle or name); other customers' own messages,
 *    and a reply still waiting to go out, are left as written;
 *  - the audit entry counts what was rewritten elsewhere.
 */
import type { Selectable } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_PARTICIPANT_PURPOSE, participantHash } from '../src/channels/email/threading.js';
import { housekeeping, type HousekeepingDeps } from '../src/jobs/housekeeping.js';
import type { MessageTable } from '../src/store/schema.js';
import { DIALECTS } from './db.js';
import { mailDesk, SUPPORT } from './helpers/mailDesk.js';
import { mention } from './helpers/parley.js';

const ZED = 'zed.q@example.org';
const DAY = 86_400_000;

describe('the scrubber for other customers\' conversations', () => {
  // imported when run, so that the desk tests below still run (and fail) against an erase.ts without it
  it('replaces `@handle` of any length and email addresses, as whole words; bare handles and names stay', async () => {
    const { mentionScrubber } = await import('../src/commands/erase.js');
    const scrub = mentionScrubber({ handles: ['@zq', 'zed_person'], addresses: [ZED] });
    expect(scrub('@ZQ and @Zed_Person, write to Zed.Q@Example.org')).toBe('@erased and @erased, write to erased');
    const text = 'zq and zed_person stay, as do @zqx, @zed_personality, joann.zed.q@example.org and zed.q@example.org.uk';
    expect(scrub(text)).toBe(text);
  });
});

for (const dialect of DIALECTS) {
  describe(`erasure elsewhere in the brand [${dialect}]`, () => {
    const { s, clock, db, stored, mail } = mailDesk(dialect);
    const row = (id: number) => db().selectFrom('message').select(['text', 'raw', 'conversation_id']).where('id', '=', id).executeTakeFirstOrThrow();
    const rawOf = async (id: number) => {
      const r = (await row(id)).raw as string | Uint8Array | null;
      return r == null ? null : typeof r === 'string' ? r : Buffer.from(r).toString('utf8');
    };
    const noteText = async (id: number) => (await db().selectFrom('note').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text;

    /** What the setup made, and what some of it held before the erasure. */
    let f: {
      contactId: number; zedHash: string; keptBefore: string[]; bobOld: number; bobOldConversation: number; BOB_OLD: string;
      bobNew: number; ours: number; carlIn: number; carlReply: number; queued: number; carlNote: number; otherNote: number;
      before: { carlIn: unknown; otherNote: string; queued: unknown };
    };

    beforeAll(async () => {
      const d = dialect;
      // Zoë: on X (@zed_person) and by email, one contact
      const zx = await stored(s.desk.accountId, mention({ author: { networkUserId: `zx-${d}-88127`, handle: 'zed_person', displayName: 'Zoë Quokkason', followers: 3 }, text: '@AcmeCare my parcel is lost', createdAt: clock.now() }));
      const contactId = Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', zx.conversationId).executeTakeFirstOrThrow()).contact_id);
      const t = clock.now();
      await db().insertInto('contact_identity').values({ brand_id: s.desk.brandId, contact_id: contactId, network: 'email', network_user_id: ZED, handle: ZED, display_name: 'Zoë', followers: null, verified: 0, profile_url: null, avatar_url: null, created_at: t, updated_at: t }).execute();
      const zmail = await mail(`From: Zoë <${ZED}>\nTo: ${SUPPORT}\nMessage-ID: <zed-1-${d}@example.org>\nSubject: Parcel\n\nStill lost.\n`);
      expect(Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', zmail.conversationId).executeTakeFirstOrThrow()).contact_id)).toBe(contactId);

      // Bob's mail of forty days ago copied Zoë in: retention will keep its participants' hashes only
      const BOB_OLD = `<bob-old-${d}@y.com>`;
      const bobOld = await mail(`From: Bob <bob@y.com>\nTo: ${SUPPORT}\nCc: Zoë <${ZED}>, Carol <carol@y.com>\nMessage-ID: ${BOB_OLD}\nSubject: Joint order\n\nOur joint order #77.\n`, 40);
      // Bob's recent mail, answered to Zoë, copying her, naming her address in his words
      const bobNew = await mail(`From: Bob <bob@y.com>\nReply-To: Zoë <Zed.Q@Example.org>\nTo: ${SUPPORT}\nCc: Carol <carol@y.com>, Zoë <ZED.Q@example.org>\nMessage-ID: <bob-new-${d}@y.com>\nSubject: Joint order again\n\nPlease also write to zed.q@example.org.\n`);
      // the brand's mail to Bob, copying Zoë
      const ours = await mail(`From: Acme Support <${SUPPORT}>\nTo: Bob <bob@y.com>\nCc: Zoë <${ZED}>\nMessage-ID: <parley-out-${d}@acme.test>\nIn-Reply-To: <bob-new-${d}@y.com>\nReferences: <bob-new-${d}@y.com>\nSubject: Re: Joint order again\n\nHi Bob, I have copied ${ZED} and @zed_person as asked.\n`);
      expect(ours.conversationId).toBe(bobNew.conversationId);

      // Carl on X names her; the brand answers him naming her (one reply sent, one still queued); notes on his conversation
      const carl = await stored(s.desk.accountId, mention({ author: { networkUserId: `cx-${d}-55`, handle: 'carl_other', displayName: 'Carl', followers: 3 }, text: '@AcmeCare me and @zed_person are still waiting', createdAt: clock.now() }));
      const { id: _id, search: _search, ...inbound } = await db().selectFrom('message').selectAll().where('id', '=', carl.messageId).executeTakeFirstOrThrow() as Selectable<MessageTable> & { search?: unknown };
      const replyText = '@carl_other and @Zed_Person you both get a refund, zed_person included';
      const carlReply = Number((await db().insertInto('message').values({
        ...inbound, network_message_id: `out-${d}-1`, direction: 'outbound', author_identity_id: null, author_user_id: s.desk.users.ana, reply_to_message_id: carl.messageId, text: replyText, text_escaped: null,
        raw: JSON.stringify({ data: { id: '9001', text: replyText } }), status: 'sent', source: 'agent', triage: null, first_reply_at: null, review_note: 'fine to name @zed_person', redacted_at: null, redacted_reason: null,
      }).returning('id').executeTakeFirstOrThrow()).id);
      const queued = await s.ana.post(`/api/conversations/${carl.conversationId}/replies`, { text: '@carl_other @zed_person is in copy', visibility: 'public' });
      expect([200, 202], JSON.stringify(queued.json)).toContain(queued.status);
      const note = async (text: string) => Number((await db().insertInto('note').values({ brand_id: s.desk.brandId, conversation_id: carl.conversationId, author_user_id: s.desk.users.ana, text, mentions: '[]', created_at: clock.now() }).returning('id').executeTakeFirstOrThrow()).id);
      const carlNote = await note(`Carl and @zed_person (${ZED}) share order #77; zed_person and Zoë Quokkason stay as words`);
      const otherNote = await note('@zed_personality is someone else');

      // forty days on with 30 days' retention: Bob's old mail keeps hashes, Zoë's among them
      expect((await s.admin.req('PATCH', '/api/settings/workflow', { retention: { rawPayloadDays: 30 } })).status).toBe(200);
      const { deriveKey } = s.desk.parley.services.secrets;
      await housekeeping({ store: s.desk.db.store, bus: s.desk.parley.services.bus, deriveKey } as HousekeepingDeps, clock.now());
      const zedHash = participantHash(deriveKey(EMAIL_PARTICIPANT_PURPOSE), ZED);
      const keptBefore = (JSON.parse((await rawOf(bobOld.messageId))!) as { participants: string[] }).participants;
      expect(keptBefore).toContain(zedHash);
      expect(keptBefore).toHaveLength(4);

      const queuedId = Number(queued.json.message.id);
      const before = { carlIn: await row(carl.messageId), otherNote: await noteText(otherNote), queued: await row(queuedId) };
      const r = await s.admin.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #311' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      f = {
        contactId, zedHash, keptBefore, bobOld: bobOld.messageId, bobOldConversation: bobOld.conversationId, BOB_OLD, bobNew: bobNew.messageId, ours: ours.messageId,
        carlIn: carl.messageId, carlReply, queued: queuedId, carlNote, otherNote, before,
      };
    });

    it('removes her address\'s keyed hash from other people\'s emails past retention: a mail from her no longer joins their thread', async () => {
      const kept = (JSON.parse((await rawOf(f.bobOld))!) as { participants: string[] }).participants;
      expect(kept).toEqual(f.keptBefore.filter((h) => h !== f.zedHash));
      expect(kept).toHaveLength(3);
      const again = await mail(`From: Zoë <${ZED}>\nTo: ${SUPPORT}\nMessage-ID: <zed-2-${dialect}@example.org>\nIn-Reply-To: ${f.BOB_OLD}\nReferences: ${f.BOB_OLD}\nSubject: Re: Joint order\n\nAdd me back.\n`);
      expect(again.conversationId).not.toBe(f.bobOldConversation);
    });

    it('removes her address from the headers and source of other people\'s emails still whole; the sender\'s words stay', async () => {
      const bobRaw = JSON.parse((await rawOf(f.bobNew))!);
      expect(bobRaw).toMatchObject({ kind: 'email', from: [{ address: 'bob@y.com' }], replyTo: [], to: [{ address: SUPPORT }], cc: [{ address: 'carol@y.com', name: 'Carol' }], source: null, sourceBase64: null, subject: 'Joint order again' });
      expect(bobRaw.text).toContain(ZED);
      expect((await row(f.bobNew)).text).toContain(ZED);
      // the brand's own mail: headers, source and words
      const oursRaw = JSON.parse((await rawOf(f.ours))!);
      expect(oursRaw).toMatchObject({ kind: 'email', to: [{ address: 'bob@y.com' }], cc: [], source: null });
      expect(oursRaw.text).toContain('Hi Bob, I have copied erased and @erased as asked.');
    });

    it('rewrites her @handle and address in the brand\'s replies and notes on other conversations; not bare words, other customers\' messages or replies still to be sent', async () => {
      expect((await row(f.ours)).text).toBe('Hi Bob, I have copied erased and @erased as asked.');
      const reply = await db().selectFrom('message').select(['text', 'raw', 'review_note']).where('id', '=', f.carlReply).executeTakeFirstOrThrow();
      expect(reply.text).toBe('@carl_other and @erased you both get a refund, zed_person included');
      expect(JSON.parse(reply.raw as string)).toEqual({ data: { id: '9001', text: '@carl_other and @erased you both get a refund, zed_person included' } });
      expect(reply.review_note).toBe('fine to name @erased');
      expect(await noteText(f.carlNote)).toBe('Carl and @erased (erased) share order #77; zed_person and Zoë Quokkason stay as words');
      expect(await noteText(f.otherNote)).toBe(f.before.otherNote);
      // Carl's own words, and a reply still to be sent (rewritten, it would publish "@erased"), as written
      expect(await row(f.carlIn)).toEqual(f.before.carlIn);
      expect(await row(f.queued)).toEqual(f.before.queued);
    });

    it('leaves no hash of hers, and her address only in other people\'s own words; the audit entry counts what changed', async () => {
      const all = await db().selectFrom('message').select(['id', 'text', 'raw', 'direction']).where('brand_id', '=', s.desk.brandId).execute();
      for (const m of all) {
        const raw = m.raw == null ? '' : typeof m.raw === 'string' ? m.raw : Buffer.from(m.raw as Uint8Array).toString('utf8');
        expect(raw, `message ${m.id}`).not.toContain(f.zedHash);
        // whoever's mail it is, her address is in none of its headers, except as the sender of a mail she wrote after
        const mailOf = JSON.parse(raw || '{}') as Record<string, { address?: string }[] | undefined>;
        const fromHer = mailOf.from?.some((a) => a.address === ZED) ?? false;
        for (const k of ['replyTo', 'to', 'cc', ...(fromHer ? [] : ['from'])]) expect((mailOf[k] ?? []).map((a) => a.address?.toLowerCase()), `message ${m.id} ${k}`).not.toContain(ZED);
        // the brand's words name her nowhere
        if (m.direction === 'outbound') expect(`${m.text} ${raw}`.toLowerCase(), `message ${m.id}`).not.toContain(ZED);
      }
      const erased = await db().selectFrom('audit_event').select('data').where('action', '=', 'contact.erased').where('subject_id', '=', String(f.contactId)).executeTakeFirstOrThrow();
      expect(JSON.parse(erased.data)).toMatchObject({ reason: 'GDPR request #311', alsoErased: { brandRepliesElsewhere: 2, notesElsewhere: 1, emailPayloads: 2 } });
      for (const secret of [ZED, 'zed_person', f.zedHash]) expect(erased.data).not.toContain(secret);
    });
  });
}
