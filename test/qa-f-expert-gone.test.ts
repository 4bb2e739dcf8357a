/**
 * QA (experts): a question asked of one knowledge expert who then leaves — disabled, or no
 * longer an expert — used to stay open forever: nobody else could answer it, the asker was
 * never told, and at its due time the overdue notice went to the asker alone. Now the question
 * is cancelled there and then, the asker is told why and to ask someone else, it is audited,
 * and its overdue notice never fires; a question to a group is left to the group's others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';
import { addTeamMember, createTeam, createUser } from '../src/commands/setup.js';

for (const dialect of DIALECTS) {
  describe(`a question to an expert who leaves [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    // the desk's clock, moved on to see what the overdue sweep does after the due time
    const clock = { ahead: 0, now() { return Date.now() + this.ahead; } };
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false, clock });
      [admin, ana] = await Promise.all(['admin', 'ana'].map((n) => Client.signIn(desk.url, `${n}@acme.test`))) as Client[];
    });
    afterAll(async () => desk?.stop());

    const conv = async () => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0].conversationId as number;

    it('is cancelled when the expert is disabled: the asker is told, the trail says why, nothing fires later', async () => {
      const c = await conv();
      const asked = await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Does the BL-200 warranty cover online orders?' });
      expect(asked.status).toBe(201);
      const id = asked.json.id as number;
      expect((await admin.req('PATCH', `/api/users/${desk.users.expert}`, { disabled: true })).status).toBe(200);

      const r = (await ana.get(`/api/expert-requests?conversation=${c}`)).json.items.find((x: any) => x.id === id);
      expect(r.status).toBe('cancelled');
      const n = (await ana.get('/api/notifications')).json.items.find((x: any) => x.kind === 'expert.cancelled');
      expect(n).toMatchObject({ conversationId: c, title: 'Eli Expert can no longer answer your question: ask someone else' });
      expect(n.body).toContain('BL-200 warranty');
      const audit = (await admin.get(`/api/conversations/${c}`)).json.audit.find((e: any) => e.action === 'expert.cancelled');
      expect(audit).toBeTruthy();
      // no overdue notice for it, even past its due time
      clock.ahead = 3 * 86_400_000;
      try {
        expect(await desk.parley.services.workflowCommands.sweepOverdueExpertRequests()).toBe(0);
      } finally {
        clock.ahead = 0;
      }
      expect((await ana.get('/api/notifications')).json.items.filter((x: any) => x.kind === 'expert.overdue')).toHaveLength(0);
      // an admin answering "on behalf" of someone gone is refused as closed, not recorded as an expert's answer
      expect((await admin.post(`/api/expert-requests/${id}/answer`, { text: 'Yes it does.' })).json.code).toBe('expert.closed');
      await admin.req('PATCH', `/api/users/${desk.users.expert}`, { disabled: false });
    });

    it('is cancelled when the expert becomes an agent; a group question and answered ones stay as they are', async () => {
      const c = await conv();
      const now = Date.now();
      const other = await createUser(desk.db.store.db, { brandId: desk.brandId, email: 'uma@acme.test', name: 'Uma Expert', role: 'expert', availability: 'online' }, now);
      const group = await createTeam(desk.db.store.db, { brandId: desk.brandId, name: 'Warranty experts' }, now);
      await addTeamMember(desk.db.store.db, group, desk.users.expert);
      await addTeamMember(desk.db.store.db, group, other);
      const eli = await Client.signIn(desk.url, 'eli@acme.test');
      const answered = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'First question for Eli?' })).json.id;
      expect((await eli.post(`/api/expert-requests/${answered}/answer`, { text: 'First answer.' })).status).toBe(200);
      const named = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Second question for Eli?' })).json.id;
      const toGroup = (await ana.post(`/api/conversations/${c}/expert-requests`, { teamId: group, question: 'A question for the group?' })).json.id;
      expect((await admin.req('PATCH', `/api/users/${desk.users.expert}`, { role: 'agent' })).status).toBe(200);
      const status = new Map((await ana.get(`/api/expert-requests?conversation=${c}`)).json.items.map((x: any) => [x.id, x.status]));
      expect(status.get(named)).toBe('cancelled');
      expect(status.get(toGroup)).toBe('open');
      expect(status.get(answered)).toBe('answered');
      // the group's other expert still answers it
      const hash = (await desk.db.store.db.selectFrom('app_user').select('password_hash').where('id', '=', desk.users.admin).executeTakeFirstOrThrow()).password_hash;
      await desk.db.store.db.updateTable('app_user').set({ password_hash: hash }).where('id', '=', other).execute();
      const uma = await Client.signIn(desk.url, 'uma@acme.test');
      expect((await uma.post(`/api/expert-requests/${toGroup}/answer`, { text: 'Yes, the group says so.' })).status).toBe(200);
    });
  });
}
