/**
 * A long backlog in one team never starves another: routing reads each team's own queue when
 * it has an online agent with room. Team Care is unstaffed (everyone offline) with more than a
 * thousand higher-priority conversations waiting; team QA has an agent online with room, and a
 * mention for QA is assigned at once. Through the HTTP API on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { insertRows } from '../src/store/util.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const SEC = 1000;
// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);
const BACKLOG = 1200;

for (const dialect of DIALECTS) {
  describe(`routing past another team's backlog [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let quinn = 0;
    let qaTeam = 0;
    let qaAccount = 0;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // Care: nobody at the desk
      for (const id of [desk.users.ana, desk.users.ben, desk.users.approver]) expect((await admin.req('PATCH', `/api/users/${id}`, { availability: 'offline' })).status).toBe(200);
      const u = await admin.post('/api/users', { email: 'quinn@acme.test', name: 'Quinn QA', role: 'agent', password: 'correct horse battery', capacity: 5 });
      quinn = u.json.id;
      await admin.req('PATCH', `/api/users/${quinn}`, { availability: 'online' });
      qaTeam = (await admin.post('/api/teams', { name: 'QA', routingStrategy: 'least_loaded', members: [{ userId: quinn }] })).json.id;
      qaAccount = (await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeQA', driver: 'demo' })).json.id;
      const s = await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [{ id: 'qa', teamId: String(qaTeam), when: { channelAccountIds: [String(qaAccount)] } }], defaultTeamId: String(desk.teamId) } });
      expect(s.status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const authors = new Map<number, ReturnType<typeof mention>['author']>();
    const ingest = async (accountId: number, text: string, author?: ReturnType<typeof mention>['author']) => {
      const m = mention({ createdAt: clock.now(), text, ...(author ? { author } : {}) });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [m] });
      authors.set(r.json.outcomes[0].conversationId, m.author);
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };

    it('assigns a team\'s work while another team has more than a thousand higher-priority conversations waiting', async () => {
      const first = await ingest(desk.accountId, '@AcmeCare my order has not arrived');
      const row = await db().selectFrom('conversation').selectAll().where('id', '=', first).executeTakeFirstOrThrow();
      expect([row.team_id, row.assignee_id]).toEqual([desk.teamId, null]);
      // Care's backlog: urgent, older than anything QA will get, each from a different customer
      const { id: _id, ...template } = row;
      const clones = Array.from({ length: BACKLOG }, (_, i) => ({ ...template, contact_id: null, priority: 100, queued_at: T - 3600 * SEC + i, subject: `backlog ${i}`, sla: null }));
      await db().transaction().execute((trx) => insertRows(trx, desk.db.store, 'conversation', clones));
      clock.advance(10 * SEC);
      const qa = await ingest(qaAccount, '@AcmeQA the beta build crashes on start');
      const got = await db().selectFrom('conversation').select(['team_id', 'assignee_id']).where('id', '=', qa).executeTakeFirstOrThrow();
      expect(got).toEqual({ team_id: qaTeam, assignee_id: quinn });
      // nobody in Care took anything (nobody is there), and a drain by hand changes nothing for it
      await desk.parley.services.workflow.drain(desk.brandId);
      const careAssigned = await db().selectFrom('conversation').select('id').where('team_id', '=', desk.teamId).where('assignee_id', 'is not', null).execute();
      expect(careAssigned).toEqual([]);
    });

    it('fills every place a team has, by priority then age, behind the other team\'s backlog', async () => {
      // three more for QA (Quinn has room for four more): all assigned, none of Care's
      clock.advance(10 * SEC);
      const more = [await ingest(qaAccount, '@AcmeQA login fails'), await ingest(qaAccount, '@AcmeQA sync is slow'), await ingest(qaAccount, '@AcmeQA export is empty')];
      const rows = await db().selectFrom('conversation').select(['id', 'assignee_id']).where('id', 'in', more).execute();
      expect(rows.map((r) => r.assignee_id)).toEqual([quinn, quinn, quinn]);
      // Ana comes back: Care's most urgent and oldest go to her, up to her capacity
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { availability: 'online', capacity: 3 });
      await desk.parley.services.workflow.drain(desk.brandId);
      const taken = await db().selectFrom('conversation').select(['subject']).where('team_id', '=', desk.teamId).where('assignee_id', '=', desk.users.ana).orderBy('id').execute();
      expect(taken.map((r) => r.subject)).toEqual(['backlog 0', 'backlog 1', 'backlog 2']);
    });

    it('still sends a customer\'s new conversation to whoever has their other one, in a team with no room, behind its backlog', async () => {
      const qaConv = (await db().selectFrom('conversation').select('id').where('team_id', '=', qaTeam).where('assignee_id', '=', quinn).orderBy('id').executeTakeFirstOrThrow()).id;
      clock.advance(10 * SEC);
      // the same customer writes to Care's account: Care is full (Ana at capacity), Quinn has their case
      const again = await ingest(desk.accountId, '@AcmeCare also, my invoice is wrong', authors.get(qaConv));
      const row = await db().selectFrom('conversation').select(['team_id', 'assignee_id', 'contact_id']).where('id', '=', again).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ team_id: desk.teamId, assignee_id: quinn });
    });
  });
}
