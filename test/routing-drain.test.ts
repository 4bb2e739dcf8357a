/**
 * Routing never strands work behind another team's backlog, through the HTTP API on SQLite
 * and PostgreSQL (hand-driven clock, jobs driven by the test):
 *  - team Care is full with a backlog; team QA has room: two mentions for QA a second apart
 *    are both assigned at once, and QA's queue is empty;
 *  - when QA is full as well, a mention a second later skips the drain (the short-cut that
 *    keeps ingest fast while every agent is busy), even though capacity was meanwhile freed
 *    where this process did not see it (another process resolving conversations); the drain
 *    the skip scheduled for the end of the window assigns what waited.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const SEC = 1000;
// Tuesday 17 November 2026, 10:00 London: open (no calendar is set anyway).
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`routing drains each team on its own [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let qaTeam = 0;
    let qaAccount = 0;
    const qaAgents: number[] = [];
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // Care: Ana and Ben, one conversation each; their lead is away
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { capacity: 1 });
      await admin.req('PATCH', `/api/users/${desk.users.ben}`, { capacity: 1 });
      await admin.req('PATCH', `/api/users/${desk.users.approver}`, { availability: 'offline' });
      // QA: two agents online with room for one each; its mentions come in on its own account
      for (const [email, name] of [['quinn@acme.test', 'Quinn QA'], ['quincy@acme.test', 'Quincy QA']]) {
        const u = await admin.post('/api/users', { email, name, role: 'agent', password: 'correct horse battery', capacity: 1 });
        expect(u.status).toBe(201);
        await admin.req('PATCH', `/api/users/${u.json.id}`, { availability: 'online' });
        qaAgents.push(u.json.id);
      }
      const team = await admin.post('/api/teams', { name: 'QA', routingStrategy: 'least_loaded', members: qaAgents.map((userId) => ({ userId })) });
      expect(team.status).toBe(201);
      qaTeam = team.json.id;
      qaAccount = (await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeQA', driver: 'demo' })).json.id;
      const s = await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [{ id: 'qa', teamId: String(qaTeam), when: { channelAccountIds: [String(qaAccount)] } }], defaultTeamId: String(desk.teamId) } });
      expect(s.status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const ingest = async (accountId: number) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [mention({ createdAt: clock.now(), text: '@AcmeCare my order has not arrived' })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };
    const conv = (id: number) => db().selectFrom('conversation').select(['assignee_id', 'team_id']).where('id', '=', id).executeTakeFirstOrThrow();
    const waiting = async (teamId: number) => (await admin.get('/api/queues')).json.items.find((q: any) => q.id === teamId).waiting as number;
    /** The pending `routing.drain` job of the brand: when it runs and with what. */
    async function pendingDrain(): Promise<{ runAt: number; payload: any } | null> {
      const key = `routing.drain:${desk.brandId}`;
      if (desk.db.store.dialect === 'sqlite') {
        const j = await db().selectFrom('job').select(['run_at', 'payload', 'kind']).where('key', '=', key).executeTakeFirst();
        return j ? { runAt: Number(j.run_at), payload: JSON.parse(j.payload) } : null;
      }
      const r = await sql<{ run_at: Date; payload: unknown; task_identifier: string }>`select j.run_at, j.payload, t.identifier as task_identifier from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where j.key = ${key}`.execute(db());
      const row = r.rows[0];
      if (!row) return null;
      expect(row.task_identifier).toBe('routing.drain');
      return { runAt: new Date(row.run_at).getTime(), payload: row.payload };
    }

    it('assigns work for a team with room while another team is full', async () => {
      // Care: two assigned, one waiting — Care is full
      const care = [await ingest(desk.accountId), await ingest(desk.accountId), await ingest(desk.accountId)];
      expect((await Promise.all(care.map(conv))).filter((c) => c.assignee_id == null)).toHaveLength(1);
      expect(await waiting(desk.teamId)).toBe(1);
      clock.advance(10 * SEC);
      const first = await ingest(qaAccount);
      clock.advance(1 * SEC);
      const second = await ingest(qaAccount);
      const [a, b] = [await conv(first), await conv(second)];
      expect([a.team_id, b.team_id]).toEqual([qaTeam, qaTeam]);
      expect([a.assignee_id, b.assignee_id].sort()).toEqual([...qaAgents].sort());
      expect(await waiting(qaTeam)).toBe(0);
      expect(await waiting(desk.teamId)).toBe(1);
    });

    it('skips the drain while every agent is full, and the scheduled drain assigns what waited', async () => {
      const assignedQa = await db().selectFrom('conversation').select('id').where('team_id', '=', qaTeam).where('assignee_id', 'is not', null).execute();
      expect(assignedQa).toHaveLength(2);
      clock.advance(10 * SEC);
      const drainedAt = clock.now();
      const third = await ingest(qaAccount); // QA is full too: it waits
      expect((await conv(third)).assignee_id).toBeNull();
      // another process resolves QA's two conversations (its own drain ran before this mention arrived)
      await db().updateTable('conversation').set({ status: 'resolved', resolved_at: clock.now() }).where('id', 'in', assignedQa.map((c) => c.id)).execute();
      clock.advance(1 * SEC);
      const fourth = await ingest(qaAccount);
      // the short-cut: this batch did not drain (so did not see the freed capacity) …
      expect((await conv(fourth)).assignee_id).toBeNull();
      // … and left a drain for the end of the window
      const job = await pendingDrain();
      expect(job).toEqual({ runAt: drainedAt + 5 * SEC, payload: { brandId: desk.brandId } });
      clock.set(job!.runAt);
      const jobs = desk.parley.services.jobs;
      if (dialect === 'sqlite') expect(await jobs.runDue()).toBeGreaterThanOrEqual(1);
      else await desk.parley.services.workflow.drain(job!.payload.brandId); // graphile-worker runs it by the wall clock; run what it runs
      expect([(await conv(third)).assignee_id, (await conv(fourth)).assignee_id].sort()).toEqual([...qaAgents].sort());
      expect(await waiting(qaTeam)).toBe(0);
      expect(await waiting(desk.teamId)).toBe(1);
      if (dialect === 'sqlite') expect(await pendingDrain()).toBeNull();
    });
  });
}
