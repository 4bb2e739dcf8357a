/**
 * Questions to experts after they are asked, on SQLite and PostgreSQL through a real desk: the
 * asker (or a lead, an admin) withdraws an open question — the expert's list drops it, the expert
 * is told, it is audited, a second cancel is a 409 — or reassigns it to another expert or expert
 * group of the brand (validated as when asking; the overdue clock restarts; old and new experts
 * told). The expert who answered corrects the answer: the earlier text is kept and audited with
 * the new one, the card's list shows the current answer marked edited, the asker is told, replies
 * already on their way with the earlier text are named, and the quotes recorded follow the
 * current answer. An erasure still scrubs the answer's history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';
import { addTeamMember, createBrand, createTeam, createUser } from '../src/commands/setup.js';

const HER_FIRST = 'The courier left my parcel with a neighbour at number 12.';
const HER_SECOND = 'Nobody there has it and the tracking says delivered!';

for (const dialect of DIALECTS) {
  describe(`expert questions: cancel, reassign, edit the answer [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let eli: Client;
    let cleo: Client;
    let uma: Client;
    let umaId: number;
    let groupId: number;
    const clock = { ahead: 0, now() { return Date.now() + this.ahead; } };
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false, clock });
      [admin, ana, ben, eli, cleo] = await Promise.all(['admin', 'ana', 'ben', 'eli', 'cleo'].map((n) => Client.signIn(desk.url, `${n}@acme.test`))) as Client[];
      umaId = await createUser(desk.db.store.db, { brandId: desk.brandId, email: 'uma@acme.test', name: 'Uma Expert', role: 'expert', availability: 'online' }, Date.now());
      uma = await signInAs('uma@acme.test', umaId);
      groupId = await createTeam(desk.db.store.db, { brandId: desk.brandId, name: 'Billing experts' }, Date.now());
      await addTeamMember(desk.db.store.db, groupId, umaId);
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    async function signInAs(email: string, id: number) {
      const hash = (await db().selectFrom('app_user').select('password_hash').where('id', '=', desk.users.admin).executeTakeFirstOrThrow()).password_hash;
      await db().updateTable('app_user').set({ password_hash: hash }).where('id', '=', id).execute();
      return Client.signIn(desk.url, email);
    }
    const conv = async (over = {}) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention(over)] })).json.outcomes[0].conversationId as number;
    const ask = async (c: number, body: Record<string, unknown>, who = ana) => {
      const r = await who.post(`/api/conversations/${c}/expert-requests`, body);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const listed = async (who: Client, query = '') => (await who.get(`/api/expert-requests${query}`)).json.items as any[];
    const notices = (userId: number, kind: string) => db().selectFrom('notification').select(['title', 'body', 'conversation_id']).where('user_id', '=', userId).where('kind', '=', kind).orderBy('id').execute();
    const audits = (action: string, id: number) => db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', action).where('subject_type', '=', 'expert_request').where('subject_id', '=', String(id)).execute();

    it('the asker withdraws an open question with a reason: the expert is told and their list drops it; a second cancel is 409', async () => {
      const c = await conv();
      const id = await ask(c, { expertId: desk.users.expert, question: 'Can we waive the restocking fee?' });
      expect((await listed(eli, '?status=open')).map((r) => r.id)).toContain(id);
      const before = (await notices(desk.users.expert, 'expert.cancelled')).length;

      // another agent may not; the expert may not
      expect((await ben.post(`/api/expert-requests/${id}/cancel`, {})).json.code).toBe('expert.not_your_question');
      expect((await eli.post(`/api/expert-requests/${id}/cancel`, {})).status).toBe(403);

      const r = await ana.post(`/api/expert-requests/${id}/cancel`, { reason: 'The customer found the answer on the website' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ id, status: 'cancelled', cancelReason: 'withdrawn', cancelNote: 'The customer found the answer on the website' });
      expect((await listed(eli, '?status=open')).map((x) => x.id)).not.toContain(id);
      const onCard = (await listed(ana, `?conversation=${c}`)).find((x) => x.id === id);
      expect(onCard).toMatchObject({ status: 'cancelled', cancelReason: 'withdrawn', cancelNote: 'The customer found the answer on the website' });
      // the answer is the request as the card's list then shows it (same fields, same values)
      const { conversationSubject: _c, ...cardShape } = onCard;
      expect(r.json).toEqual(cardShape);
      const told = await notices(desk.users.expert, 'expert.cancelled');
      expect(told).toHaveLength(before + 1);
      expect(told.at(-1)!.title).toContain('Ana Agent withdrew');
      expect(told.at(-1)!.body).toContain('The customer found the answer on the website');
      const [entry] = await audits('expert.cancelled', id);
      expect(entry!.actor).toBe(`user:${desk.users.ana}`);
      expect(JSON.parse(entry!.data as string)).toMatchObject({ reason: 'withdrawn', note: 'The customer found the answer on the website', notified: [desk.users.expert] });
      if (dialect === 'sqlite') expect(await db().selectFrom('job').select('key').where('key', '=', `expert:${id}`).execute()).toHaveLength(0);

      const again = await ana.post(`/api/expert-requests/${id}/cancel`, {});
      expect(again.status).toBe(409);
      expect(again.json.code).toBe('expert.closed');
      expect(again.headers.get('content-type')).toContain('application/problem+json');
    });

    it('a lead cancels someone else’s question and the asker is told; an answered question is 409', async () => {
      const c = await conv();
      const id = await ask(c, { expertId: desk.users.expert, question: 'Is the BL-200 covered abroad?' });
      const r = await cleo.post(`/api/expert-requests/${id}/cancel`, {});
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect((await notices(desk.users.ana, 'expert.cancelled')).at(-1)!.title).toBe('Cleo Approver withdrew your question to the expert');

      const answered = await ask(c, { expertId: desk.users.expert, question: 'And the BL-300?' });
      expect((await eli.post(`/api/expert-requests/${answered}/answer`, { text: 'Covered too.' })).status).toBe(200);
      const late = await ana.post(`/api/expert-requests/${answered}/cancel`, { reason: 'too late' });
      expect(late.status).toBe(409);
      expect(late.json.code).toBe('expert.closed');
      expect((await db().selectFrom('expert_request').select('status').where('id', '=', answered).executeTakeFirstOrThrow()).status).toBe('answered');
    });

    it('reassigns an open question to another expert: validated, the clock restarts, old and new experts told; only the new one may answer', async () => {
      const c = await conv();
      const id = await ask(c, { expertId: desk.users.expert, question: 'Can we refund a gift card?' });
      // long past its target: the overdue notice goes out
      clock.ahead = 3 * 86_400_000;
      try {
        await desk.parley.services.workflowCommands.notifyExpertOverdue(id);
        const overdue = (await listed(ana, `?conversation=${c}`)).find((x) => x.id === id);
        expect(overdue.overdueAt).not.toBeNull();

        // not an expert, disabled, another brand's, the same expert, neither or both: refused, nothing changes
        expect((await ana.post(`/api/expert-requests/${id}/reassign`, { expertId: desk.users.ben })).json.code).toBe('expert.not_expert');
        const gone = await createUser(db(), { brandId: desk.brandId, email: 'gone@acme.test', name: 'Gone Expert', role: 'expert', availability: 'online' }, Date.now());
        await db().updateTable('app_user').set({ disabled_at: Date.now() }).where('id', '=', gone).execute();
        expect((await ana.post(`/api/expert-requests/${id}/reassign`, { expertId: gone })).json.code).toBe('expert.unknown');
        const other = await createBrand(db(), { slug: `globex-${dialect}`, name: 'Globex', timezone: 'UTC' }, Date.now());
        const foreign = await createUser(db(), { brandId: other, email: `gx-${dialect}@globex.test`, name: 'Gx Expert', role: 'expert', availability: 'online' }, Date.now());
        expect((await ana.post(`/api/expert-requests/${id}/reassign`, { expertId: foreign })).json.code).toBe('expert.unknown');
        const foreignTeam = await createTeam(db(), { brandId: other, name: 'Globex experts' }, Date.now());
        expect((await ana.post(`/api/expert-requests/${id}/reassign`, { teamId: foreignTeam })).json.code).toBe('expert.unknown_team');
        expect((await ana.post(`/api/expert-requests/${id}/reassign`, { expertId: desk.users.expert })).json.code).toBe('expert.same_target');
        expect((await ana.post(`/api/expert-requests/${id}/reassign`, {})).json.code).toBe('expert.target');
        expect((await ben.post(`/api/expert-requests/${id}/reassign`, { expertId: umaId })).json.code).toBe('expert.not_your_question');
        expect((await db().selectFrom('expert_request').select('expert_id').where('id', '=', id).executeTakeFirstOrThrow()).expert_id).toBe(desk.users.expert);

        const r = await ana.post(`/api/expert-requests/${id}/reassign`, { expertId: umaId });
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        expect(r.json).toMatchObject({ id, status: 'open', expertId: umaId, teamId: null, overdueAt: null });
        // the new expert has the whole target from now
        expect(Date.parse(r.json.dueAt)).toBeGreaterThan(clock.now());
        const { conversationSubject: _c, ...cardShape } = (await listed(ana, `?conversation=${c}`)).find((x) => x.id === id);
        expect(r.json).toEqual(cardShape);
        expect((await notices(umaId, 'expert.asked')).at(-1)).toMatchObject({ body: 'Can we refund a gift card?', conversation_id: c });
        expect((await notices(desk.users.expert, 'expert.reassigned')).at(-1)!.title).toContain('Uma Expert');
        expect((await listed(uma, '?status=open')).map((x) => x.id)).toContain(id);
        expect((await listed(eli, '?status=open')).map((x) => x.id)).not.toContain(id);
        const [entry] = await audits('expert.reassigned', id);
        expect(JSON.parse(entry!.data as string)).toMatchObject({ from: { expertId: desk.users.expert, teamId: null }, to: { expertId: umaId, teamId: null } });
        // the new due time's notice was scheduled, and the old expert may no longer answer
        expect(await desk.parley.services.workflowCommands.notifyExpertOverdue(id)).toBe(false);
        expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: 'Yes.' })).status).toBe(403);

        // then on to a group, by a lead
        const toGroup = await cleo.post(`/api/expert-requests/${id}/reassign`, { teamId: groupId });
        expect(toGroup.status, JSON.stringify(toGroup.json)).toBe(200);
        expect(toGroup.json).toMatchObject({ expertId: null, teamId: groupId });
        expect((await uma.post(`/api/expert-requests/${id}/answer`, { text: 'Gift cards are refunded to the card.' })).status).toBe(200);
        expect((await ana.post(`/api/expert-requests/${id}/reassign`, { expertId: desk.users.expert })).status).toBe(409);
      } finally {
        clock.ahead = 0;
      }
    });

    it('the expert corrects an answer: history kept and audited with both texts, the card shows it edited, the asker is told, a reply that used it is named', async () => {
      const c = await conv();
      const id = await ask(c, { expertId: desk.users.expert, question: 'How long is the warranty on the BL-200?' });
      expect((await eli.req('PUT', `/api/expert-requests/${id}/answer`, { text: 'Two years.' })).json.code).toBe('expert.not_answered');
      const first = 'The warranty is one year from delivery.';
      expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: first })).status).toBe(200);
      const before = (await listed(ana, `?conversation=${c}`)).find((x) => x.id === id);
      expect(before).toMatchObject({ answerText: first, answerEditedAt: null });

      // the agent used it in a reply that is on its way
      const inbound = await db().selectFrom('message').select('id').where('conversation_id', '=', c).where('direction', '=', 'inbound').executeTakeFirstOrThrow();
      const sent = await ana.post(`/api/conversations/${c}/replies`, { text: `Hi! ${first} Anything else?`, visibility: 'public', replyToMessageId: Number(inbound.id) });
      expect(sent.status, JSON.stringify(sent.json)).toBeLessThan(300);
      const replyId = Number((await db().selectFrom('message').select('id').where('conversation_id', '=', c).where('direction', '=', 'outbound').executeTakeFirstOrThrow()).id);
      const replyBefore = await db().selectFrom('message').select(['text', 'status']).where('id', '=', replyId).executeTakeFirstOrThrow();

      // only the expert who answered
      expect((await ana.req('PUT', `/api/expert-requests/${id}/answer`, { text: 'Two years.' })).json.code).toBe('expert.not_your_answer');
      expect((await uma.req('PUT', `/api/expert-requests/${id}/answer`, { text: 'Two years.' })).json.code).toBe('expert.not_your_answer');
      expect((await eli.req('PUT', `/api/expert-requests/${id}/answer`, { text: `  ${first} ` })).json.code).toBe('expert.answer_unchanged');
      expect((await eli.req('PUT', `/api/expert-requests/${id}/answer`, { text: '   ' })).status).toBe(400);

      const second = 'The warranty is two years from delivery (the EU rule applies).';
      const r = await eli.req('PUT', `/api/expert-requests/${id}/answer`, { text: second });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.usedInReplies).toEqual([replyId]);
      expect(r.json.warning).toMatch(/already used in a reply/);
      expect(r.json.request).toMatchObject({ answerText: second, status: 'answered' });
      // the sent reply is not changed
      expect(await db().selectFrom('message').select(['text', 'status']).where('id', '=', replyId).executeTakeFirstOrThrow()).toEqual(replyBefore);

      const after = (await listed(ana, `?conversation=${c}`)).find((x) => x.id === id);
      expect(after.answerText).toBe(second);
      const { conversationSubject: _c, ...cardShape } = after;
      expect(r.json.request).toEqual(cardShape);
      expect(Date.parse(after.answerEditedAt)).toBeGreaterThan(0);
      const note = await db().selectFrom('note').select('text').where('id', '=', Number(after.answerNoteId)).executeTakeFirstOrThrow();
      expect(note.text).toBe(second);
      const history = await db().selectFrom('expert_answer_revision').select(['text', 'replaced_by']).where('expert_request_id', '=', id).execute();
      expect(history).toEqual([{ text: first, replaced_by: desk.users.expert }]);
      const [entry] = await audits('expert.answer_edited', id);
      expect(JSON.parse(entry!.data as string)).toMatchObject({ previous: first, text: second, usedInReplies: [replyId] });
      expect((await notices(desk.users.ana, 'expert.answer_edited')).at(-1)).toMatchObject({ title: 'The expert corrected an answer you already used in a reply', body: second });

      // a second correction, not used anywhere: no warning, history grows
      const third = 'Two years from delivery; one year on refurbished units.';
      const r3 = await eli.req('PUT', `/api/expert-requests/${id}/answer`, { text: third });
      expect(r3.json.usedInReplies).toEqual([]);
      expect(r3.json.warning).toBeUndefined();
      expect((await db().selectFrom('expert_answer_revision').select('text').where('expert_request_id', '=', id).orderBy('id').execute()).map((x) => x.text)).toEqual([first, second]);
    });

    it('the quotes recorded follow the current answer; the earlier text’s stay findable as its history', async () => {
      const c = await conv({ text: `${HER_FIRST}\n${HER_SECOND}`, author: { networkUserId: `q-${dialect}`, handle: 'quoted_person', displayName: 'Quinn', followers: 1 } });
      const msg = Number((await db().selectFrom('message').select('id').where('conversation_id', '=', c).where('direction', '=', 'inbound').executeTakeFirstOrThrow()).id);
      const id = await ask(c, { expertId: desk.users.expert, question: 'Do we resend or refund?' });
      const quotes = async () => (await db().selectFrom('expert_quote').select(['message_id', 'part']).where('expert_request_id', '=', id).execute()).map((q) => `${q.part}:${q.message_id}`).sort();
      expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: 'Refund it.' })).status).toBe(200);
      expect(await quotes()).toEqual([]);
      // the correction quotes her: recorded as the answer's
      expect((await eli.req('PUT', `/api/expert-requests/${id}/answer`, { text: `She says "${HER_SECOND}" so refund it today.` })).status).toBe(200);
      expect(await quotes()).toEqual([`answer:${msg}`]);
      // corrected again without the quote: the answer quotes nothing; the earlier text (kept) still does
      expect((await eli.req('PUT', `/api/expert-requests/${id}/answer`, { text: 'Refund it today.' })).status).toBe(200);
      expect(await quotes()).toEqual([`revision:${msg}`]);
    });

    it('an erasure scrubs the answer’s earlier texts, their audit entry and notices', async () => {
      const c = await conv({ text: `${HER_FIRST}\n${HER_SECOND}`, author: { networkUserId: `z-${dialect}`, handle: 'zed_person', displayName: 'Zoë', followers: 1 } });
      const id = await ask(c, { expertId: desk.users.expert, question: 'Can we refund before the claim?' });
      expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: `Yes. She says "${HER_FIRST}" so refund it.` })).status).toBe(200);
      expect((await eli.req('PUT', `/api/expert-requests/${id}/answer`, { text: 'Yes: refund it today.' })).status).toBe(200);
      const contactId = Number((await db().selectFrom('conversation').select('contact_id').where('id', '=', c).executeTakeFirstOrThrow()).contact_id);
      // the subject-access export holds the answer's history (staff text on their conversation)
      const exported = await admin.get(`/api/contacts/${contactId}/export`);
      expect(exported.status).toBe(200);
      const doc = typeof exported.json === 'string' ? JSON.parse(exported.json) : exported.json;
      expect(doc.expertAnswerRevisions).toMatchObject([{ expertRequestId: id, text: `Yes. She says "${HER_FIRST}" so refund it.`, replacedBy: desk.users.expert }]);
      const erased = await admin.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #512' });
      expect(erased.status, JSON.stringify(erased.json)).toBe(200);

      const history = await db().selectFrom('expert_answer_revision').select('text').where('expert_request_id', '=', id).execute();
      expect(history.map((h) => h.text)).toEqual(['Yes. She says "[erased]" so refund it.']);
      const [entry] = await audits('expert.answer_edited', id);
      expect(JSON.parse(entry!.data as string)).toMatchObject({ previous: 'Yes. She says "[erased]" so refund it.', text: 'Yes: refund it today.' });
      const told = await db().selectFrom('notification').select('body').where('conversation_id', '=', c).where('kind', 'in', ['expert.answered', 'expert.answer_edited']).execute();
      expect(told.length).toBe(2);
      for (const n of told) expect(n.body.toLowerCase()).not.toContain('neighbour at number 12');
    });
  });
}
