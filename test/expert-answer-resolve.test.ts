/**
 * Experts, where the agent works: the list of a conversation's questions carries each answer's
 * text, who answered and when (to the roles that read the conversation's notes; an expert only
 * the questions asked of them; never another brand). Resolving a conversation cancels its open
 * questions (reason `conversation_resolved`): the expert is told, the overdue notice never fires,
 * it is audited, and reopening the conversation leaves them cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';
import { addTeamMember, createBrand, createTeam, createUser } from '../src/commands/setup.js';

for (const dialect of DIALECTS) {
  describe(`expert answers on the card, and questions ending with their conversation [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let eli: Client;
    let approver: Client;
    // the desk's clock, moved on to see what the overdue sweep does after the due time
    const clock = { ahead: 0, now() { return Date.now() + this.ahead; } };
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false, clock });
      [admin, ana, ben, eli, approver] = await Promise.all(['admin', 'ana', 'ben', 'eli', 'cleo'].map((n) => Client.signIn(desk.url, `${n}@acme.test`))) as Client[];
    });
    afterAll(async () => desk?.stop());

    const conv = async () => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0].conversationId as number;
    const listed = async (who: Client, c: number) => (await who.get(`/api/expert-requests?conversation=${c}`)).json.items as any[];
    const signInAs = async (email: string, id: number) => {
      const hash = (await desk.db.store.db.selectFrom('app_user').select('password_hash').where('id', '=', desk.users.admin).executeTakeFirstOrThrow()).password_hash;
      await desk.db.store.db.updateTable('app_user').set({ password_hash: hash }).where('id', '=', id).execute();
      return Client.signIn(desk.url, email);
    };

    it('lists the answer text, who answered and when, to the brand’s agents, approvers, admins and the expert asked; not to another expert or brand', async () => {
      const c = await conv();
      const id = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Does the BL-200 warranty cover online orders?' })).json.id as number;
      const open = (await listed(ana, c)).find((x) => x.id === id);
      expect(open).toMatchObject({ status: 'open', answerText: null, answeredByName: null, answeredBy: null });
      const text = 'Yes: online orders have the same 2-year warranty. <b>Not</b> refurbished units.';
      const answered = await eli.post(`/api/expert-requests/${id}/answer`, { text });
      expect(answered.status).toBe(200);
      for (const who of [ana, ben, approver, admin, eli]) {
        const r = (await listed(who, c)).find((x) => x.id === id);
        expect(r).toMatchObject({ status: 'answered', answerText: text, answeredBy: desk.users.expert, answeredByName: 'Eli Expert', cancelReason: null });
        expect(Date.parse(r.answeredAt)).toBeGreaterThan(0);
      }
      // an expert who was not asked sees neither the question nor its answer
      const uma = await createUser(desk.db.store.db, { brandId: desk.brandId, email: 'uma@acme.test', name: 'Uma Expert', role: 'expert', availability: 'online' }, Date.now());
      const umaC = await signInAs('uma@acme.test', uma);
      expect(JSON.stringify((await umaC.get('/api/expert-requests')).json)).not.toContain('2-year warranty');
      // another brand's admin never sees it
      const other = await createBrand(desk.db.store.db, { slug: 'globex', name: 'Globex', timezone: 'UTC' }, Date.now());
      const gus = await createUser(desk.db.store.db, { brandId: other, email: 'gus@globex.test', name: 'Gus Admin', role: 'admin', availability: 'online' }, Date.now());
      const gusC = await signInAs('gus@globex.test', gus);
      const theirs = await gusC.get(`/api/expert-requests?conversation=${c}`);
      expect(theirs.status).toBe(200);
      expect(theirs.json.items).toHaveLength(0);
      expect(JSON.stringify((await gusC.get('/api/expert-requests')).json)).not.toContain('2-year warranty');
    });

    it('resolving cancels the open questions: the expert and group are told, audited, no overdue notice; reopening leaves them cancelled; answered ones stay', async () => {
      const c = await conv();
      const group = await createTeam(desk.db.store.db, { brandId: desk.brandId, name: 'Warranty experts' }, Date.now());
      await addTeamMember(desk.db.store.db, group, desk.users.expert);
      await addTeamMember(desk.db.store.db, group, desk.users.ben);
      const done = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'First: is it covered?' })).json.id as number;
      expect((await eli.post(`/api/expert-requests/${done}/answer`, { text: 'It is covered.' })).status).toBe(200);
      const named = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Second: and the battery?' })).json.id as number;
      const toGroup = (await ana.post(`/api/conversations/${c}/expert-requests`, { teamId: group, question: 'Third: what about the charger?' })).json.id as number;
      // a question on another conversation is not touched
      const elsewhere = await conv();
      const untouched = (await ana.post(`/api/conversations/${elsewhere}/expert-requests`, { expertId: desk.users.expert, question: 'Unrelated: a different order?' })).json.id as number;
      const jobsBefore = dialect === 'sqlite' ? await desk.db.store.db.selectFrom('job').select('key').where('key', 'in', [`expert:${named}`, `expert:${toGroup}`]).execute() : null;

      expect((await ana.post(`/api/conversations/${c}/status`, { status: 'resolved' })).status).toBe(200);

      const byId = new Map((await listed(ana, c)).map((x) => [x.id, x]));
      expect(byId.get(named)).toMatchObject({ status: 'cancelled', cancelReason: 'conversation_resolved' });
      expect(byId.get(toGroup)).toMatchObject({ status: 'cancelled', cancelReason: 'conversation_resolved' });
      expect(byId.get(done)).toMatchObject({ status: 'answered', answerText: 'It is covered.' });
      expect((await listed(ana, elsewhere)).find((x) => x.id === untouched)?.status).toBe('open');
      // the expert is told (both questions: theirs and their group's); the group's other member too; the asker resolved it, so is not
      const eliNotes = (await eli.get('/api/notifications')).json.items.filter((x: any) => x.kind === 'expert.cancelled');
      expect(eliNotes.map((x: any) => x.body).sort()).toEqual(['Second: and the battery?', 'Third: what about the charger?']);
      expect(eliNotes[0]).toMatchObject({ conversationId: c, title: 'A question to you was withdrawn: the conversation was resolved' });
      expect((await ben.get('/api/notifications')).json.items.filter((x: any) => x.kind === 'expert.cancelled').map((x: any) => x.body)).toEqual(['Third: what about the charger?']);
      expect((await ana.get('/api/notifications')).json.items.filter((x: any) => x.kind === 'expert.cancelled')).toHaveLength(0);
      const audit = (await admin.get(`/api/conversations/${c}`)).json.audit.filter((e: any) => e.action === 'expert.cancelled');
      expect(audit).toHaveLength(2);
      expect(audit.map((e: any) => e.data.reason)).toEqual(['conversation_resolved', 'conversation_resolved']);
      // the overdue jobs are gone (SQLite's job table; PostgreSQL's are graphile-worker's), and the sweep past their due time finds nothing
      if (jobsBefore) {
        expect(jobsBefore.length).toBe(2);
        expect(await desk.db.store.db.selectFrom('job').select('key').where('key', 'in', [`expert:${named}`, `expert:${toGroup}`]).execute()).toHaveLength(0);
      }
      clock.ahead = 3 * 86_400_000;
      try {
        expect(await desk.parley.services.workflowCommands.sweepOverdueExpertRequests()).toBe(1); // the unrelated one only
      } finally {
        clock.ahead = 0;
      }
      expect((await eli.get('/api/notifications')).json.items.filter((x: any) => x.kind === 'expert.overdue' && x.conversationId === c)).toHaveLength(0);
      // nobody answers a cancelled question
      expect((await eli.post(`/api/expert-requests/${named}/answer`, { text: 'Late answer.' })).json.code).toBe('expert.closed');

      // reopened: the questions stay cancelled, and nobody is told again
      expect((await ana.post(`/api/conversations/${c}/status`, { status: 'open' })).status).toBe(200);
      expect((await listed(ana, c)).filter((x) => x.status === 'open')).toHaveLength(0);
      expect((await ana.post(`/api/conversations/${c}/status`, { status: 'resolved' })).status).toBe(200);
      expect((await eli.get('/api/notifications')).json.items.filter((x: any) => x.kind === 'expert.cancelled')).toHaveLength(2);
      expect((await admin.get(`/api/conversations/${c}`)).json.audit.filter((e: any) => e.action === 'expert.cancelled')).toHaveLength(2);
    });

    it('someone other than the asker resolving it tells the asker too; a question cancelled because the expert left says so', async () => {
      const c = await conv();
      const id = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Can we refund the shipping?' })).json.id as number;
      expect((await ben.post(`/api/conversations/${c}/status`, { status: 'resolved' })).status).toBe(200);
      const n = (await ana.get('/api/notifications')).json.items.find((x: any) => x.kind === 'expert.cancelled' && x.conversationId === c);
      expect(n).toMatchObject({ title: 'Your question to the expert was withdrawn: the conversation was resolved', body: 'Can we refund the shipping?' });
      expect((await listed(ana, c)).find((x) => x.id === id)).toMatchObject({ status: 'cancelled', cancelReason: 'conversation_resolved' });

      const c2 = await conv();
      const gone = (await ana.post(`/api/conversations/${c2}/expert-requests`, { expertId: desk.users.expert, question: 'Is the fee waived?' })).json.id as number;
      expect((await admin.req('PATCH', `/api/users/${desk.users.expert}`, { disabled: true })).status).toBe(200);
      try {
        expect((await listed(ana, c2)).find((x) => x.id === gone)).toMatchObject({ status: 'cancelled', cancelReason: 'expert_unavailable' });
      } finally {
        await admin.req('PATCH', `/api/users/${desk.users.expert}`, { disabled: false });
      }
    });
  });
}
