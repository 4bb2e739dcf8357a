/**
 * One rule for who is credited in the agents report: the person who answered gets the response
 * (count and time) and the SLA attainment of the response clock their reply stopped; a response
 * clock breached (nobody answered in time) and the resolution clock are the assignee's — at the
 * breach, at the resolution. Ana owns the conversations, Ben answers them. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`agents report credits [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ben: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ben = await Client.signIn(desk.url, 'ben@acme.test');
    });
    afterAll(async () => desk?.stop());

    const ingestForAna = async (text: string) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), text })] });
      const id = r.json.outcomes[0].conversationId as number;
      expect((await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana })).status).toBe(200);
      return id;
    };
    const benReplies = async (id: number) => {
      const r = await ben.post(`/api/conversations/${id}/replies`, { text: 'Hi, Ben here: I have found your order and it ships today.' });
      expect(r.json.message.status).toBe('queued');
      expect(await desk.parley.services.outbox.runOnce()).toBe(1);
    };
    const slaFacts = (id: number) => desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'agent_id', 'data']).where('conversation_id', '=', id).where('kind', 'in', ['sla_met', 'sla_breached', 'first_response', 'resolution']).orderBy('id').execute();
    const agents = async () => {
      const r = await admin.get(`/api/reports/agents?from=${new Date(T - 86_400_000).toISOString()}&to=${new Date(T + 86_400_000).toISOString()}`);
      return new Map((r.json.rows as any[]).map((x) => [x.id, x]));
    };

    it('gives the first response and its met clock to who answered, the resolution clock to the assignee', async () => {
      const id = await ingestForAna('@AcmeCare my order never came');
      clock.set(T + 10 * MIN);
      await benReplies(id);
      clock.set(T + 20 * MIN);
      expect((await ben.post(`/api/conversations/${id}/status`, { status: 'resolved' })).status).toBe(200);
      const facts = (await slaFacts(id)).map((f) => [f.kind, f.agent_id, f.data ? JSON.parse(f.data).clock ?? null : null]);
      expect(facts).toEqual([
        ['first_response', desk.users.ben, null],
        ['sla_met', desk.users.ben, 'first_response'],
        ['resolution', desk.users.ana, null],
        ['sla_met', desk.users.ana, 'resolution'],
      ]);
      const rows = await agents();
      expect(rows.get(desk.users.ben)).toMatchObject({ responses: 1, first_responses: 1, resolutions: 0, sla_attainment: 1 });
      expect(rows.get(desk.users.ana)).toMatchObject({ responses: 0, resolutions: 1, sla_attainment: 1 });
    });

    it('charges a breach to the assignee at the breach, and a late answer credits nobody with a met clock', async () => {
      clock.set(T + 60 * MIN);
      const id = await ingestForAna('@AcmeCare still waiting for my refund');
      clock.set(T + 95 * MIN);
      await desk.parley.services.workflow.refreshSlaMany([id]);
      await benReplies(id);
      const facts = (await slaFacts(id)).map((f) => [f.kind, f.agent_id]);
      expect(facts).toEqual([['sla_breached', desk.users.ana], ['first_response', desk.users.ben]]);
      const rows = await agents();
      expect(rows.get(desk.users.ben)).toMatchObject({ responses: 2, sla_attainment: 1 });
      expect(rows.get(desk.users.ana)).toMatchObject({ responses: 0, sla_attainment: 0.5 });
    });
  });
}
