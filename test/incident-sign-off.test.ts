/**
 * The during-an-incident sign-off holds replies only while an incident a person declared is
 * open. The burst detector's "Unusual volume of mentions" (opened on volume alone) holds back
 * no unrelated reply; an incident an admin declares does, and closing it releases the replies
 * held only for it. Through the HTTP API on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`incident sign-off [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    const replyToNewMention = async (text: string) => {
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), text: '@AcmeCare how do I change my delivery address?' })] })).json.outcomes[0];
      const r = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text });
      expect([201, 202]).toContain(r.status);
      return r.json;
    };

    it('sends an unrelated reply while only the detector\'s incident is open', async () => {
      const inc = await desk.parley.services.workflowCommands.openIncident(null, desk.brandId, { title: 'Unusual volume of mentions', reason: '42 mentions in 5 min, 6.3× the usual 6.7 for Tuesday 10:00' });
      expect(inc.opened_by).toBe('detector');
      const r = await replyToNewMention('Hi! You can change it under Account → Addresses.');
      expect(r.message.status).toBe('queued');
      expect(r.approval).toBeNull();
      await desk.parley.services.workflowCommands.closeIncident(null, desk.brandId, inc.id);
    });

    it('holds every public reply for sign-off while an incident a person declared is open', async () => {
      const declared = await admin.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail since 09:40' });
      expect(declared.status).toBe(201);
      const r = await replyToNewMention('Hi! You can change it under Account → Addresses.');
      expect(r.message.status).toBe('pending_approval');
      expect(r.approval.reasons.map((x: any) => x.code)).toContain('approval.incident');
      // an agent in training: held for that too, so closing the incident does not release it
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: ['in_training'] });
      const trainee = await replyToNewMention('Hi! Account → Addresses, then Save.');
      expect(trainee.approval.reasons.map((x: any) => x.code).sort()).toEqual(['approval.agent_flagged', 'approval.incident']);
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: [] });

      const closed = await admin.post(`/api/incidents/${declared.json.id}/close`);
      expect(closed.status).toBe(200);
      // held only for the incident: released to the outbox, audited
      expect(closed.json.releasedReplyIds).toEqual([r.message.id]);
      const row = (id: number) => desk.db.store.db.selectFrom('message').select(['status', 'approval_reasons']).where('id', '=', id).executeTakeFirstOrThrow();
      expect((await row(r.message.id)).status).toBe('queued');
      expect(await desk.db.store.db.selectFrom('outbox').select('id').where('message_id', '=', r.message.id).execute()).toHaveLength(1);
      expect(await desk.db.store.db.selectFrom('audit_event').select('action').where('action', '=', 'reply.released').where('subject_id', '=', String(r.message.id)).execute()).toHaveLength(1);
      // the trainee's reply still waits, for the other reason only
      const t = await row(trainee.message.id);
      expect(t.status).toBe('pending_approval');
      expect(JSON.parse(String(t.approval_reasons)).map((x: any) => x.code)).toEqual(['approval.agent_flagged']);
    });
  });
}
