/**
 * One customer, several profiles (src/commands/contactMerge.ts), on a real desk over SQLite and
 * PostgreSQL: a merge moves the other contact's identities, conversations and consent records
 * to the survivor and is audited on both timelines; later (and in-flight) ingest lands on the
 * survivor; CRM links never reach a profile their consent did not cover; opposite merges at once
 * lose nothing; a split undoes it; erasure and subject access export of a merged customer cover
 * every profile merged into it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelAccount } from '../src/commands/setup.js';
import { DIALECTS } from './db.js';
import { Client, consentGiven, mention, startDesk, type TestDesk } from './helpers/parley.js';

let n = 0;

for (const dialect of DIALECTS) {
  describe(`merging and splitting contacts [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let eli: Client;
    let page: number;
    let deals: number | undefined;

    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      page = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'facebook', handle: 'AcmePage', driver: 'demo' }, Date.now());
      [admin, ana, eli] = await Promise.all(['admin', 'ana', 'eli'].map((u) => Client.signIn(desk.url, `${u}@acme.test`))) as [Client, Client, Client];
    }, 60_000);
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    /** A customer message on X (the desk's account) or Facebook (the page), by `who`. */
    const write = async (who: string, text: string, network: 'x' | 'facebook' = 'x') => {
      const r = await admin.post('/api/ingest/messages', {
        channelAccountId: network === 'x' ? desk.accountId : page,
        messages: [mention({ network, ...(network === 'facebook' ? { kind: 'comment' } : {}), text, author: { networkUserId: `${network}-${who}`, handle: who, displayName: `${who} name`, followers: 5 } })],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0] as { messageId: number; conversationId: number };
    };
    const contactOfConversation = async (id: number) => Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', id).executeTakeFirstOrThrow()).contact_id);
    const identitiesOf = async (contactId: number) => (await db().selectFrom('contact_identity').select(['id', 'handle']).where('contact_id', '=', contactId).orderBy('id').execute()).map((i) => i.handle);
    const fresh = (s: string) => `${s}${++n}${dialect[0]}`;
    /** `who` (as `write` has them write) asked for consent in `conversationId` and agreeing: their answer's id. */
    const agreed = (conversationId: number, who: string, network: 'x' | 'facebook' = 'x') =>
      consentGiven(desk, ana, admin, conversationId, { networkUserId: `${network}-${who}`, handle: who, displayName: `${who} name`, followers: 5 }, 'yes, link my account', network === 'x' ? desk.accountId : page);

    it('moves the other profile\'s identities, conversations and history to the survivor; audited on both timelines; later messages land on the survivor', async () => {
      const pub = fresh('alice');
      const mail = fresh('alicefb');
      const a = await write(pub, '@AcmeCare my order 41 never came');
      const b = await write(mail, 'It is me from twitter, @' + pub + ', about order 41', 'facebook');
      const A = await contactOfConversation(a.conversationId);
      const B = await contactOfConversation(b.conversationId);
      expect(A).not.toBe(B);

      // who may, and what is refused
      expect((await eli.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person' })).status).toBe(403);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: A, reason: 'same person' })).status).toBe(400);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: 987654, reason: 'same person' })).status).toBe(404);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B })).status).toBe(400);
      const stranger = await write(fresh('stranger'), '@AcmeCare hello');
      const badEvidence = await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person', evidenceMessageId: stranger.messageId });
      expect(badEvidence.json.code).toBe('contact.merge_evidence');
      expect(await identitiesOf(B)).toEqual([mail]);

      const r = await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: `said on Facebook that @${pub} is them`, evidenceMessageId: b.messageId });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ contactId: A, mergedContactId: B, conversationsMoved: [b.conversationId], crmCustomerId: null });
      expect(await identitiesOf(A)).toEqual([pub, mail]);
      expect(await db().selectFrom('contact').select('id').where('id', '=', B).executeTakeFirst()).toBeUndefined();
      expect(await contactOfConversation(b.conversationId)).toBe(A);

      // the side panel: both profiles, the other conversation as a past one; the merge on both timelines
      const detail = (await ana.get(`/api/conversations/${a.conversationId}`)).json;
      expect(detail.contact.identities.map((i: any) => i.handle)).toEqual([pub, mail]);
      expect(detail.contact.pastConversations.map((p: any) => p.id)).toContain(b.conversationId);
      for (const conv of [a.conversationId, b.conversationId]) {
        const e = (await ana.get(`/api/conversations/${conv}`)).json.audit.find((x: any) => x.action === 'contact.merged');
        expect(e, `conversation ${conv}`).toBeDefined();
        expect(e.data).toMatchObject({ contactId: A, otherContactId: B, reason: `said on Facebook that @${pub} is them`, evidenceMessageId: b.messageId, identities: [{ network: 'facebook', handle: mail }] });
        expect(e.actorUserId).toBe(desk.users.ana);
      }

      // the next message from the moved profile is the survivor's (and threads as theirs)
      const later = await write(mail, 'any news on 41?', 'facebook');
      expect(await contactOfConversation(later.conversationId)).toBe(A);
    });

    it('lets an ingest in flight finish on the survivor: no conversation or identity is left on the removed contact', async () => {
      for (let round = 0; round < 3; round++) {
        const pub = fresh('racer');
        const alt = fresh('racerfb');
        const a = await write(pub, '@AcmeCare first');
        const b = await write(alt, 'second, other profile', 'facebook');
        const A = await contactOfConversation(a.conversationId);
        const B = await contactOfConversation(b.conversationId);
        const ingests = Array.from({ length: 4 }, (_, i) => write(alt, `message ${i} in flight`, 'facebook'));
        const [merged, ...stored] = await Promise.all([ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person, said so' }), ...ingests]);
        expect(merged.status, JSON.stringify(merged.json)).toBe(200);
        for (const s of stored) expect(await contactOfConversation(s.conversationId)).toBe(A);
        expect(await identitiesOf(A)).toEqual([pub, alt]);
        const orphans = await db().selectFrom('conversation').select('id').where('contact_id', '=', B).execute();
        expect(orphans).toEqual([]);
      }
    });

    it('never puts a profile under a CRM link its consent did not cover', async () => {
      const whoOne = fresh('crmone');
      const whoTwo = fresh('crmtwo');
      const one = await write(whoOne, '@AcmeCare yes link my account');
      const two = await write(whoTwo, 'me again', 'facebook');
      const A = await contactOfConversation(one.conversationId);
      const B = await contactOfConversation(two.conversationId);
      // their "yes" before anyone asked is no consent
      expect((await ana.post(`/api/contacts/${A}/crm-link`, { crmCustomerId: 'CUST-1', consent: { method: 'customer_message', messageId: one.messageId } })).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
      expect((await ana.post(`/api/contacts/${A}/crm-link`, { crmCustomerId: 'CUST-1', consent: { method: 'customer_message', messageId: await agreed(one.conversationId, whoOne) } })).status).toBe(200);
      expect((await ana.post(`/api/contacts/${B}/crm-link`, { crmCustomerId: 'CUST-2', consent: { method: 'customer_message', messageId: await agreed(two.conversationId, whoTwo, 'facebook') } })).status).toBe(200);
      // two different customers
      const clash = await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person' });
      expect(clash.status).toBe(409);
      expect(clash.json.code).toBe('contact.merge_conflict');
      expect(await identitiesOf(B)).toHaveLength(1);

      // only the other linked: the survivor's profile is not covered; consent is asked for
      expect((await ana.post(`/api/contacts/${A}/crm-unlink`, { reason: 'wrong record' })).status).toBe(204);
      const ask = await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person' });
      expect(ask.status).toBe(409);
      expect(ask.json.code).toBe('contact.merge_consent_required');
      expect(await identitiesOf(B)).toHaveLength(1);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person', crmConsent: { method: 'verbal', note: 'short' } })).status).toBe(400);
      const ok = await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person', crmConsent: { method: 'verbal', note: 'on a call on 6 Dec, agreed both profiles are linked' } });
      expect(ok.status, JSON.stringify(ok.json)).toBe(200);
      expect(ok.json.crmCustomerId).toBe('CUST-2');
      const consent = (await ana.get(`/api/contacts/${A}/crm-consent`)).json;
      expect(consent).toMatchObject({ crmCustomerId: 'CUST-2', consent: { method: 'verbal', crmCustomerId: 'CUST-2' } });
      // every consent record kept: A's withdrawn CUST-1, B's CUST-2 (superseded), the new one
      const history = await db().selectFrom('crm_consent').select(['crm_customer_id', 'withdrawn_at']).where('contact_id', '=', A).orderBy('id').execute();
      expect(history.map((h) => [h.crm_customer_id, h.withdrawn_at != null])).toEqual([['CUST-1', true], ['CUST-2', true], ['CUST-2', false]]);

      // the survivor linked, the other not: its profile needs consent too
      const whoThree = fresh('crmthree');
      const three = await write(whoThree, 'and a third profile', 'facebook');
      const C = await contactOfConversation(three.conversationId);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: C, reason: 'same person' })).json.code).toBe('contact.merge_consent_required');
      // the same customer on both sides: both consents cover their own profiles for that record
      expect((await ana.post(`/api/contacts/${C}/crm-link`, { crmCustomerId: 'CUST-2', consent: { method: 'customer_message', messageId: await agreed(three.conversationId, whoThree, 'facebook') } })).status).toBe(200);
      const same = await ana.post(`/api/contacts/${A}/merge`, { otherContactId: C, reason: 'same person' });
      expect(same.status, JSON.stringify(same.json)).toBe(200);
      expect(same.json.crmCustomerId).toBe('CUST-2');
    });

    it('merges the same two customers in opposite directions at once without losing a profile', async () => {
      for (let round = 0; round < 3; round++) {
        const a = await write(fresh('twin'), '@AcmeCare one');
        const b = await write(fresh('twinfb'), 'two', 'facebook');
        const A = await contactOfConversation(a.conversationId);
        const B = await contactOfConversation(b.conversationId);
        const [x, y] = await Promise.all([
          ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person' }),
          admin.post(`/api/contacts/${B}/merge`, { otherContactId: A, reason: 'same person' }),
        ]);
        expect([x.status, y.status].sort()).toEqual([200, 404]);
        const survivor = x.status === 200 ? A : B;
        expect(await identitiesOf(survivor)).toHaveLength(2);
        expect(await contactOfConversation(a.conversationId)).toBe(survivor);
        expect(await contactOfConversation(b.conversationId)).toBe(survivor);
      }
    });

    it('splits a profile back out with the conversations only it wrote in; audited', async () => {
      const pub = fresh('sam');
      const alt = fresh('samfb');
      const a = await write(pub, '@AcmeCare hi');
      const b = await write(alt, 'not actually the same person', 'facebook');
      const A = await contactOfConversation(a.conversationId);
      const B = await contactOfConversation(b.conversationId);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'looked alike' })).status).toBe(200);
      const altId = Number((await db().selectFrom('contact_identity').select('id').where('handle', '=', alt).executeTakeFirstOrThrow()).id);
      expect((await eli.post(`/api/contacts/${A}/split`, { identityId: altId })).status).toBe(403);
      expect((await ana.post(`/api/contacts/${A}/split`, { identityId: 987654 })).status).toBe(404);
      const r = await ana.post(`/api/contacts/${A}/split`, { identityId: altId, reason: 'different people after all' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const D = r.json.newContactId as number;
      expect(r.json.conversationsMoved).toEqual([b.conversationId]);
      expect(await identitiesOf(A)).toEqual([pub]);
      expect(await identitiesOf(D)).toEqual([alt]);
      expect(await contactOfConversation(b.conversationId)).toBe(D);
      expect(await contactOfConversation(a.conversationId)).toBe(A);
      for (const conv of [a.conversationId, b.conversationId]) {
        const e = (await ana.get(`/api/conversations/${conv}`)).json.audit.find((x: any) => x.action === 'contact.split');
        expect(e?.data, `conversation ${conv}`).toMatchObject({ contactId: A, newContactId: D, identity: { id: altId, handle: alt }, reason: 'different people after all' });
      }
      const last = await ana.post(`/api/contacts/${D}/split`, { identityId: altId });
      expect(last.status).toBe(409);
      expect(last.json.code).toBe('contact.split_last_identity');
    });

    it('after a split, the audit entries about the contact merged in follow its identity, not the customer it left', async () => {
      const pub = fresh('kim');
      const alt = fresh('kimfb');
      const a = await write(pub, '@AcmeCare kim here');
      const b = await write(alt, 'a different kim, link me', 'facebook');
      const A = await contactOfConversation(a.conversationId);
      const B = await contactOfConversation(b.conversationId);
      const yes = await agreed(b.conversationId, alt, 'facebook');
      expect((await ana.post(`/api/contacts/${B}/crm-link`, { crmCustomerId: 'KIM-FB-3', consent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same name', crmConsent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
      const exported = async (id: number) => JSON.parse(await (await fetch(`${desk.url}/api/contacts/${id}/export`, { headers: { cookie: admin.cookie } })).text());
      const linkedSubjects = (doc: any) => doc.auditEvents.filter((e: any) => e.action === 'contact.crm_linked').map((e: any) => e.subjectId);
      expect(linkedSubjects(await exported(A))).toContain(String(B));
      const altId = Number((await db().selectFrom('contact_identity').select('id').where('handle', '=', alt).executeTakeFirstOrThrow()).id);
      const D = (await ana.post(`/api/contacts/${A}/split`, { identityId: altId, reason: 'not the same kim' })).json.newContactId as number;
      expect(linkedSubjects(await exported(A))).not.toContain(String(B));
      expect(linkedSubjects(await exported(D))).toContain(String(B));
    });

    /** The same X profile writing to the brand's second X account: another conversation of the same customer. */
    const toDeals = async (who: string, text: string) => {
      deals ??= await createChannelAccount(db(), { brandId: desk.brandId, network: 'x', handle: 'AcmeDeals', driver: 'demo' }, Date.now());
      const r = await admin.post('/api/ingest/messages', {
        channelAccountId: deals,
        messages: [mention({ text, author: { networkUserId: `x-${who}`, handle: who, displayName: `${who} name`, followers: 5 } })],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json.outcomes[0] as { messageId: number; conversationId: number };
    };
    const merges = async (contactId: number) => (await ana.get(`/api/contacts/${contactId}/merges`)).json as { items: any[]; crmLinkFromMerge: { crmCustomerId: string; identityIds: number[] } | null };
    const identityId = async (handle: string) => Number((await db().selectFrom('contact_identity').select('id').where('handle', '=', handle).executeTakeFirstOrThrow()).id);

    it('shows a merge and a split on every conversation of the customers, not only on their latest ones', async () => {
      const pub = fresh('olga');
      const alt = fresh('olgafb');
      const a1 = await write(pub, '@AcmeCare my first question');
      const a2 = await toDeals(pub, '@AcmeDeals and about a deal');
      const b1 = await write(alt, 'hello from facebook', 'facebook');
      expect(a2.conversationId).not.toBe(a1.conversationId);
      const A = await contactOfConversation(a1.conversationId);
      const B = await contactOfConversation(b1.conversationId);
      expect(await contactOfConversation(a2.conversationId)).toBe(A);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'said so in the DM' })).status).toBe(200);
      // every conversation's author card reads its customer's merges, whichever conversation they were written on
      for (const conv of [a1.conversationId, a2.conversationId, b1.conversationId]) {
        const contactId = (await ana.get(`/api/conversations/${conv}`)).json.contact.id as number;
        const h = await merges(contactId);
        const merged = h.items.filter((e) => e.action === 'contact.merged');
        expect(merged, `conversation ${conv}`).toHaveLength(1);
        expect(merged[0].data).toMatchObject({ contactId: A, otherContactId: B, reason: 'said so in the DM', identities: [{ handle: alt }] });
        expect(merged[0].actorUserId).toBe(desk.users.ana);
      }
      const D = (await ana.post(`/api/contacts/${A}/split`, { identityId: await identityId(alt), reason: 'not her after all' })).json.newContactId as number;
      for (const conv of [a1.conversationId, a2.conversationId]) {
        const h = await merges((await ana.get(`/api/conversations/${conv}`)).json.contact.id);
        expect(h.items.map((e) => e.action), `conversation ${conv}`).toEqual(['contact.split', 'contact.merged']);
      }
      const split = await merges((await ana.get(`/api/conversations/${b1.conversationId}`)).json.contact.id);
      expect(split.items.map((e) => [e.action, e.data.newContactId])).toEqual([['contact.split', D]]);
      expect((await eli.get(`/api/contacts/${A}/merges`)).status).toBe(403);
      expect((await ana.get('/api/contacts/987654/merges')).status).toBe(404);
    });

    it('a split offers to remove the CRM link the merge it undoes brought, with a reason, as an unlink does; it keeps it otherwise', async () => {
      /** A (unlinked) and B (linked to `crm`) merged with the customer's consent: the link moves to A with the merge. */
      const movedLink = async (crm: string) => {
        const pub = fresh('lena');
        const alt = fresh('lenafb');
        const a = await write(pub, '@AcmeCare about my plan');
        const b = await write(alt, 'yes, link my account', 'facebook');
        const A = await contactOfConversation(a.conversationId);
        const B = await contactOfConversation(b.conversationId);
        const yes = await agreed(b.conversationId, alt, 'facebook');
        expect((await ana.post(`/api/contacts/${B}/crm-link`, { crmCustomerId: crm, consent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
        const m = await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person', crmConsent: { method: 'customer_message', messageId: yes } });
        expect(m.status, JSON.stringify(m.json)).toBe(200);
        return { A, altId: await identityId(alt), pubId: await identityId(pub) };
      };
      const linkOf = async (id: number) => (await db().selectFrom('contact').select('crm_customer_id').where('id', '=', id).executeTakeFirstOrThrow()).crm_customer_id;
      const currentConsents = async (id: number) => (await db().selectFrom('crm_consent').select('id').where('contact_id', '=', id).where('withdrawn_at', 'is', null).execute()).length;

      // split with the removal: the link and its consent go, audited as an unlink with the reason
      const one = await movedLink('LENA-1');
      expect((await merges(one.A)).crmLinkFromMerge).toEqual({ crmCustomerId: 'LENA-1', identityIds: [one.altId] });
      const short = await ana.post(`/api/contacts/${one.A}/split`, { identityId: one.altId, removeCrmLink: { reason: 'x' } });
      expect(short.status).toBe(400);
      const r = await ana.post(`/api/contacts/${one.A}/split`, { identityId: one.altId, reason: 'two different Lenas', removeCrmLink: { reason: 'the link came with the wrong merge' } });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.crmLinkRemoved).toBe(true);
      expect(await linkOf(one.A)).toBeNull();
      expect(await linkOf(r.json.newContactId)).toBeNull();
      expect(await currentConsents(one.A)).toBe(0);
      const unlinked = await db().selectFrom('audit_event').select(['data', 'actor_user_id']).where('action', '=', 'contact.crm_unlinked').where('subject_id', '=', String(one.A)).execute();
      expect(unlinked).toHaveLength(1);
      expect(JSON.parse(unlinked[0]!.data)).toEqual({ reason: 'the link came with the wrong merge', previous: 'LENA-1', split: { identityId: one.altId, newContactId: r.json.newContactId } });
      expect(unlinked[0]!.actor_user_id).toBe(desk.users.ana);

      // split without it: the link stays
      const two = await movedLink('LENA-2');
      const kept = await ana.post(`/api/contacts/${two.A}/split`, { identityId: two.altId });
      expect(kept.status).toBe(200);
      expect(kept.json.crmLinkRemoved).toBe(false);
      expect(await linkOf(two.A)).toBe('LENA-2');
      expect(await currentConsents(two.A)).toBe(1);

      // a link re-recorded since the merge is not the merge's: refused, nothing written
      const three = await movedLink('LENA-3');
      expect((await ana.post(`/api/contacts/${three.A}/crm-link`, { crmCustomerId: 'LENA-3B', consent: { method: 'verbal', note: 'on a call on 6 Dec, agreed again' } })).status).toBe(200);
      expect((await merges(three.A)).crmLinkFromMerge).toBeNull();
      const again = await ana.post(`/api/contacts/${three.A}/split`, { identityId: three.altId, removeCrmLink: { reason: 'wrong merge' } });
      expect(again.status).toBe(409);
      expect(again.json.code).toBe('contact.split_link_kept');
      expect(await identitiesOf(three.A)).toHaveLength(2);
      expect(await linkOf(three.A)).toBe('LENA-3B');

      // a link the customer had before the merge is never removed by a split: the survivor's, extended to the other profile
      const pub = fresh('mira');
      const alt = fresh('mirafb');
      const a = await write(pub, '@AcmeCare link me please');
      const b = await write(alt, 'my other profile', 'facebook');
      const A = await contactOfConversation(a.conversationId);
      const B = await contactOfConversation(b.conversationId);
      expect((await ana.post(`/api/contacts/${A}/crm-link`, { crmCustomerId: 'MIRA-1', consent: { method: 'customer_message', messageId: await agreed(a.conversationId, pub) } })).status).toBe(200);
      // a message of the other profile is consent to the merge only as its answer to our question
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person', crmConsent: { method: 'customer_message', messageId: b.messageId } })).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: 'same person', crmConsent: { method: 'customer_message', messageId: await agreed(b.conversationId, alt, 'facebook') } })).status).toBe(200);
      expect((await merges(A)).crmLinkFromMerge).toBeNull();
      for (const id of [await identityId(alt), await identityId(pub)]) {
        const refused = await ana.post(`/api/contacts/${A}/split`, { identityId: id, removeCrmLink: { reason: 'wrong merge' } });
        expect(refused.status).toBe(409);
        expect(refused.json.code).toBe('contact.split_link_kept');
      }
      expect(await identitiesOf(A)).toHaveLength(2);
      expect(await linkOf(A)).toBe('MIRA-1');
      // nor one both had: the same CRM customer on both sides
      const third = fresh('mirathird');
      const c = await write(third, 'third profile', 'facebook');
      const C = await contactOfConversation(c.conversationId);
      expect((await ana.post(`/api/contacts/${C}/crm-link`, { crmCustomerId: 'MIRA-1', consent: { method: 'customer_message', messageId: await agreed(c.conversationId, third, 'facebook') } })).status).toBe(200);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: C, reason: 'same person again' })).status).toBe(200);
      const thirdId = Number((await db().selectFrom('contact_identity').select('id').where('contact_id', '=', A).orderBy('id', 'desc').executeTakeFirstOrThrow()).id);
      expect((await ana.post(`/api/contacts/${A}/split`, { identityId: thirdId, removeCrmLink: { reason: 'wrong merge' } })).json.code).toBe('contact.split_link_kept');
      expect(await linkOf(A)).toBe('MIRA-1');
    });

    it('finds customers by handle, name or email address, in the brand only, a few at a time', async () => {
      const who = fresh('findme');
      await write(who, '@AcmeCare searchable');
      const r = await ana.get(`/api/contacts?q=${encodeURIComponent('@' + who.toUpperCase())}`);
      expect(r.status).toBe(200);
      expect(r.json.items).toHaveLength(1);
      expect(r.json.items[0].identities[0]).toMatchObject({ handle: who, network: 'x' });
      expect((await ana.get('/api/contacts?q=%25')).json.items).toEqual([]);
      expect((await ana.get('/api/contacts?q=_')).json.items).toEqual([]);
      // the start of a word of the name, as ingest wrote it (the name index is kept by the database)
      const byName = (await ana.get(`/api/contacts?q=${encodeURIComponent('NAME ' + who)}`)).json.items.map((c: any) => c.identities[0].handle);
      expect(byName).toEqual([who]);
      expect((await ana.get(`/api/contacts?q=${who}&limit=1`)).json.items).toHaveLength(1);
      expect((await ana.get(`/api/contacts?q=${who}&limit=21`)).status).toBe(400);
      expect((await eli.get(`/api/contacts?q=${who}`)).status).toBe(403);
    });

    it('exports and erases a merged customer whole: every profile merged into it, and the audit entries about the contacts merged', async () => {
      const pub = fresh('erin');
      const alt = fresh('erinfb');
      const a = await write(pub, '@AcmeCare erin public message');
      const b = await write(alt, 'erin private from facebook', 'facebook');
      const A = await contactOfConversation(a.conversationId);
      const B = await contactOfConversation(b.conversationId);
      // the other profile was linked (its consent audited on it), and is merged with the customer's consent
      const yes = await agreed(b.conversationId, alt, 'facebook');
      expect((await ana.post(`/api/contacts/${B}/crm-link`, { crmCustomerId: 'ERIN-CRM-9', consent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
      expect((await ana.post(`/api/contacts/${A}/merge`, { otherContactId: B, reason: `DM: @${alt} is them`, crmConsent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
      // and asked again on the first profile's conversation (no answer yet)
      expect((await ana.post(`/api/conversations/${a.conversationId}/crm-consent-ask`, {})).status).toBe(202);
      const asks = async () => db().selectFrom('crm_consent_ask').select('id').where('conversation_id', 'in', [a.conversationId, b.conversationId]).execute();
      expect(await asks()).toHaveLength(2);

      const doc = JSON.parse(await (await fetch(`${desk.url}/api/contacts/${A}/export`, { headers: { cookie: admin.cookie } })).text());
      expect(doc.identities.map((i: any) => i.handle)).toEqual([pub, alt]);
      expect(doc.messagesWritten.map((m: any) => m.text)).toEqual(expect.arrayContaining(['@AcmeCare erin public message', 'erin private from facebook']));
      expect(doc.conversations.map((c: any) => c.id).sort()).toEqual([a.conversationId, b.conversationId].sort());
      // the link recorded on the contact that was merged in: an audit entry about that contact's id
      expect(doc.auditEvents.filter((e: any) => e.action === 'contact.crm_linked').map((e: any) => e.subjectId)).toEqual(expect.arrayContaining([String(A), String(B)]));

      const erased = await admin.post(`/api/contacts/${A}/erase`, { reason: 'GDPR request #77' });
      expect(erased.status, JSON.stringify(erased.json)).toBe(200);
      expect(erased.json.identitiesErased).toBe(2);
      // their two messages and their answer to the consent question
      expect(erased.json.messagesRedacted).toBe(3);
      // the record of our consent questions to them goes with them
      expect(await asks()).toEqual([]);
      const left = await db().selectFrom('contact_identity').select(['handle']).where('contact_id', '=', A).execute();
      expect(left.map((i) => i.handle)).toEqual(['erased', 'erased']);
      const audits = await db().selectFrom('audit_event').select(['action', 'data', 'subject_id']).where('brand_id', '=', desk.brandId)
        .where((eb) => eb.or([eb('subject_id', 'in', [String(A), String(B)]), eb('conversation_id', 'in', [a.conversationId, b.conversationId])])).execute();
      const text = JSON.stringify(audits);
      expect(text).not.toContain('ERIN-CRM-9');
      expect(text).not.toContain(alt);
      expect(text).not.toContain(pub);
    });
  });
}
