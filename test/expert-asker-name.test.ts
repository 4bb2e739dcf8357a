/**
 * An expert sees who asks them: questions carry the asker's name (`askedByName`) in the
 * list and in what asking and answering return, on SQLite and PostgreSQL, while the expert
 * still may not list people and sees no question they were not asked. Questions asked of
 * an expert group carry it too; a lead's list of a conversation's questions has it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`the asker's name on questions to experts [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let eli: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      ben = await Client.signIn(desk.url, 'ben@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
    });
    afterAll(async () => desk?.stop());

    const conversation = async (text: string): Promise<number> => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text })] })).json.outcomes[0].conversationId;

    it('names the asking agent to the expert, without letting the expert list people', async () => {
      const c1 = await conversation('@AcmeCare is the X300 waterproof?');
      const c2 = await conversation('@AcmeCare does the X300 work abroad?');
      const byAna = await ana.post(`/api/conversations/${c1}/expert-requests`, { expertId: desk.users.expert, question: 'Is the X300 rated IP67?' });
      expect(byAna.status).toBe(201);
      expect(byAna.json.askedByName).toBe('Ana Agent');
      const group = await admin.post('/api/teams', { name: 'Hardware experts', routingStrategy: 'manual', members: [{ userId: desk.users.expert }] });
      expect(group.status).toBe(201);
      const byBen = await ben.post(`/api/conversations/${c2}/expert-requests`, { teamId: group.json.id, question: 'Which voltages does the X300 take?' });
      expect(byBen.status).toBe(201);

      const mine = (await eli.get('/api/expert-requests')).json.items as any[];
      const names = Object.fromEntries(mine.map((r) => [r.id, r.askedByName]));
      expect(names[byAna.json.id]).toBe('Ana Agent');
      expect(names[byBen.json.id]).toBe('Ben Agent');
      // nothing else widened: the expert still cannot list the brand's people
      expect((await eli.get('/api/users')).status).toBe(403);
      // the answered question, as the answer returns it, still names its asker
      const answered = await eli.post(`/api/expert-requests/${byAna.json.id}/answer`, { text: 'Yes: IP67, up to 1 m for 30 minutes.' });
      expect(answered.status).toBe(200);
      expect(answered.json.request).toMatchObject({ status: 'answered', askedBy: desk.users.ana, askedByName: 'Ana Agent' });
    });

    it('gives the name with a conversation\'s questions, and only to those who may read them', async () => {
      const c = await conversation('@AcmeCare can I return an opened X300?');
      const asked = await ben.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Do opened X300s get a full refund?' });
      expect(asked.status).toBe(201);
      const listed = (await admin.get(`/api/expert-requests?conversation=${c}`)).json.items as any[];
      expect(listed.map((r) => [r.id, r.askedBy, r.askedByName])).toEqual([[asked.json.id, desk.users.ben, 'Ben Agent']]);
      // a question of another expert is not the expert's to see, name or not
      const other = await admin.post('/api/users', { email: 'olga@acme.test', name: 'Olga Other', role: 'expert', password: 'another-password-1' });
      expect(other.status).toBe(201);
      const notMine = await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: other.json.id, question: 'Is there a restocking fee?' });
      expect(notMine.status).toBe(201);
      expect(((await eli.get('/api/expert-requests')).json.items as any[]).map((r) => r.id)).not.toContain(notMine.json.id);
    });
  });
}
