/**
 * Routing as a care team lead meets it, through the HTTP API on SQLite and PostgreSQL:
 * capacity counts open conversations only (resolving frees a place, reopening takes it back),
 * skills with a language match wait for a speaker, a team with no members keeps its queue,
 * a customer reopening a conversation whose agent was disabled or is offline goes back to the team's
 * queue (it stayed with them before), concurrent ingest never fills anyone beyond capacity, and out of
 * hours across a weekend and New York's DST change the acknowledgement goes once and names Monday
 * 9:00 EST while the first-response clock counts from the opening.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../src/core/sla.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const SEC = 1000;
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`routing QA [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { capacity: 2 });
      await admin.req('PATCH', `/api/users/${desk.users.ben}`, { availability: 'offline' });
      await admin.req('PATCH', `/api/users/${desk.users.approver}`, { availability: 'offline' });
      const s = await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } });
      expect(s.status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const ingest = async (over: Parameters<typeof mention>[0] = {}) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), ...over })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };
    const conv = (id: number) => db().selectFrom('conversation').select(['assignee_id', 'team_id', 'status']).where('id', '=', id).executeTakeFirstOrThrow();
    const openOf = async (userId: number) => (await db().selectFrom('conversation').select('id').where('assignee_id', '=', userId).where('status', 'in', ['new', 'open']).execute()).length;

    it('capacity: resolving frees a place, a reopened conversation takes it back', async () => {
      const a = await ingest({ author: { networkUserId: 'cap-a', handle: 'capa', displayName: 'Cap A', followers: 1 } });
      clock.advance(SEC);
      const b = await ingest();
      clock.advance(SEC);
      const c = await ingest();
      expect((await conv(a)).assignee_id).toBe(desk.users.ana);
      expect((await conv(b)).assignee_id).toBe(desk.users.ana);
      expect((await conv(c)).assignee_id).toBeNull();
      clock.advance(10 * SEC);
      const r = await admin.post(`/api/conversations/${a}/status`, { status: 'resolved' });
      expect(r.status).toBe(200);
      expect((await conv(c)).assignee_id).toBe(desk.users.ana);
      // the customer of a writes again: it reopens, with Ana
      clock.advance(10 * SEC);
      await ingest({ author: { networkUserId: 'cap-a', handle: 'capa', displayName: 'Cap A', followers: 1 }, text: '@AcmeCare still not here' });
      expect(await conv(a)).toMatchObject({ assignee_id: desk.users.ana, status: 'open' });
      expect(await openOf(desk.users.ana)).toBe(3);
      // back over capacity: new work waits, and resolving one of three does not make room
      clock.advance(10 * SEC);
      const d = await ingest();
      expect((await conv(d)).assignee_id).toBeNull();
      await admin.post(`/api/conversations/${b}/status`, { status: 'resolved' });
      expect((await conv(d)).assignee_id).toBeNull();
      await admin.post(`/api/conversations/${c}/status`, { status: 'resolved' });
      expect((await conv(d)).assignee_id).toBe(desk.users.ana);
    });

    it('a reopened conversation of a disabled agent goes back to the queue', async () => {
      const u = await admin.post('/api/users', { email: 'dora@acme.test', name: 'Dora Leaver', role: 'agent', password: 'correct horse battery', capacity: 5 });
      const dora = u.json.id as number;
      await admin.req('PATCH', `/api/users/${dora}`, { availability: 'online' });
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { availability: 'offline' });
      await admin.req('PATCH', `/api/teams/${desk.teamId}`, { members: [{ userId: desk.users.ana }, { userId: desk.users.ben }, { userId: desk.users.approver, isLead: true }, { userId: dora }] });
      clock.advance(10 * SEC);
      const who = { networkUserId: 'dis-a', handle: 'disa', displayName: 'Dis A', followers: 1 };
      const a = await ingest({ author: who });
      expect((await conv(a)).assignee_id).toBe(dora);
      await admin.post(`/api/conversations/${a}/status`, { status: 'resolved' });
      const d = await admin.req('PATCH', `/api/users/${dora}`, { disabled: true });
      expect(d.status).toBe(200);
      await admin.req('PATCH', `/api/users/${desk.users.ben}`, { availability: 'online' });
      clock.advance(60 * SEC);
      await ingest({ author: who, text: '@AcmeCare it broke again' });
      // Dora is disabled: the customer is back in the team's queue, and Ben (online) has it
      expect(await conv(a)).toMatchObject({ assignee_id: desk.users.ben, status: 'open', team_id: desk.teamId });
    });

    it('a customer reopening a conversation whose agent is offline goes back to the queue (sticky, unless offline)', async () => {
      clock.advance(60 * SEC);
      const who2 = { networkUserId: 'off-a', handle: 'offa', displayName: 'Off A', followers: 1 };
      const b = await ingest({ author: who2 });
      const owner = (await conv(b)).assignee_id!;
      await admin.post(`/api/conversations/${b}/status`, { status: 'resolved' });
      await admin.req('PATCH', `/api/users/${owner}`, { availability: 'offline' });
      clock.advance(60 * SEC);
      await ingest({ author: who2, text: '@AcmeCare it broke again' });
      // the owner went offline: a reopening follow-up does not sit in an absent person's inbox
      const after = await conv(b);
      expect(after.status).toBe('open');
      expect(after).toMatchObject({ assignee_id: null, team_id: desk.teamId }); // nobody else is online: it waits in the queue
      expect((await admin.get('/api/queues')).json.items.find((q: any) => q.id === desk.teamId).waiting).toBeGreaterThanOrEqual(1);
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { availability: 'online', capacity: 10 });
      expect((await conv(b)).assignee_id).toBe(desk.users.ana);
    });
  });

  describe(`routing QA: skills, an empty team, concurrency [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let skillsTeam = 0;
    let emptyTeam = 0;
    let frAccount = 0;
    let emptyAccount = 0;
    let fr = 0;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      for (const u of [desk.users.ana, desk.users.ben]) await admin.req('PATCH', `/api/users/${u}`, { capacity: 2, skills: { languages: ['en'] } });
      await admin.req('PATCH', `/api/users/${desk.users.approver}`, { availability: 'offline' });
      const f = await admin.post('/api/users', { email: 'fleur@acme.test', name: 'Fleur French', role: 'agent', password: 'correct horse battery', capacity: 2 });
      fr = f.json.id;
      await admin.req('PATCH', `/api/users/${fr}`, { availability: 'offline', skills: { languages: ['fr'] } });
      const t = await admin.post('/api/teams', { name: 'Languages', routingStrategy: 'skills', requireLanguageMatch: true, members: [desk.users.ana, desk.users.ben, fr].map((userId) => ({ userId })) });
      expect(t.status).toBe(201);
      skillsTeam = t.json.id;
      emptyTeam = (await admin.post('/api/teams', { name: 'Nobody', routingStrategy: 'round_robin', members: [] })).json.id;
      frAccount = (await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeFR', driver: 'demo' })).json.id;
      emptyAccount = (await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeVoid', driver: 'demo' })).json.id;
      const s = await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [
        { id: 'fr', teamId: String(skillsTeam), when: { channelAccountIds: [String(frAccount)] } },
        { id: 'void', teamId: String(emptyTeam), when: { channelAccountIds: [String(emptyAccount)] } },
      ], defaultTeamId: String(desk.teamId) } });
      expect(s.status).toBe(200);
    });
    afterAll(async () => desk?.stop());
    const db = () => desk.db.store.db;
    const conv = (id: number) => db().selectFrom('conversation').select(['assignee_id', 'team_id', 'status']).where('id', '=', id).executeTakeFirstOrThrow();
    const ingestOn = async (accountId: number, over: Parameters<typeof mention>[0] = {}) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [mention({ createdAt: clock.now(), ...over })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };

    it('a conversation needing a language nobody online speaks waits for a speaker', async () => {
      const id = await ingestOn(frAccount, { text: "@AcmeFR bonjour, ma commande n'est toujours pas arrivée, c'est inadmissible" });
      const c = await db().selectFrom('conversation').select(['language', 'assignee_id', 'team_id']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(c.team_id).toBe(skillsTeam);
      expect(c.language).toBe('fr');
      expect(c.assignee_id).toBeNull();
      clock.advance(60 * SEC);
      await admin.req('PATCH', `/api/users/${fr}`, { availability: 'online' });
      expect((await conv(id)).assignee_id).toBe(fr);
    });

    it('a team with no members keeps its queue', async () => {
      const id = await ingestOn(emptyAccount);
      expect(await conv(id)).toMatchObject({ team_id: emptyTeam, assignee_id: null, status: 'new' });
      expect((await admin.get('/api/queues')).json.items.find((q: any) => q.id === emptyTeam).waiting).toBe(1);
    });

    it('concurrent ingest never gives anyone more than their capacity', async () => {
      clock.advance(60 * SEC);
      await Promise.all(Array.from({ length: 12 }, () => admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now() }), mention({ createdAt: clock.now() })] })));
      const loads = await db().selectFrom('conversation').select(['assignee_id', (eb) => eb.fn.countAll<number>().as('n')]).where('status', 'in', ['new', 'open']).where('assignee_id', 'is not', null).groupBy('assignee_id').execute();
      const by = Object.fromEntries(loads.map((l) => [l.assignee_id!, Number(l.n)]));
      expect(by[desk.users.ana]).toBe(2);
      expect(by[desk.users.ben]).toBe(2);
      expect((await admin.get('/api/queues')).json.items.find((q: any) => q.id === desk.teamId).waiting).toBe(20);
    });
  });

  describe(`out of hours across a weekend and a DST change, New York [${dialect}]`, () => {
    // Saturday 31 October 2026, 20:00 EDT; clocks go back on Sunday 1 November
    const SATURDAY_8PM_EDT = Date.UTC(2026, 10, 1, 0, 0);
    const MONDAY_9AM_EST = Date.UTC(2026, 10, 2, 14, 0);
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(SATURDAY_8PM_EDT);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const day = [{ start: '09:00', end: '17:00' }];
      const put = await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: { timeZone: 'America/New_York', weekly: { mon: day, tue: day, wed: day, thu: day, fri: day } } });
      expect(put.status).toBe(200);
      const acc = await desk.db.store.db.selectFrom('channel_account').select('settings').where('id', '=', desk.accountId).executeTakeFirstOrThrow();
      await desk.db.store.db.updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse(acc.settings), autoAck: { enabled: true } }) }).where('id', '=', desk.accountId).execute();
      const s = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, businessHours: true } });
      expect(s.status, JSON.stringify(s.json)).toBe(200);
      desk.parley.services.workflowSettings.invalidate();
      for (const u of [desk.users.ana, desk.users.ben, desk.users.approver]) await admin.req('PATCH', `/api/users/${u}`, { availability: 'offline' });
    });
    afterAll(async () => desk?.stop());
    const acks = (id: number) => desk.db.store.db.selectFrom('message').select('text').where('conversation_id', '=', id).where('is_auto', '=', 1).execute();
    const ingest = async (over: Parameters<typeof mention>[0] = {}) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), ...over })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };

    it('acknowledges once with Monday 9:00 EST, and the first-response clock runs from Monday 9:00 EST', async () => {
      const author = { networkUserId: 'ny-1', handle: 'nyone', displayName: 'Nora York', followers: 3 };
      const id = await ingest({ author, text: '@AcmeCare I was charged twice for my order' });
      clock.advance(6 * 3600_000); // Sunday 01:00, after the clocks went back
      await ingest({ author, text: '@AcmeCare hello?' });
      const a = await acks(id);
      expect(a).toHaveLength(1);
      expect(a[0]!.text).toMatch(/Monday at 9:00 EST/);
      const conv = (await admin.get(`/api/conversations/${id}`)).json.conversation;
      expect(conv.slaDueAt).toBe(new Date(MONDAY_9AM_EST + 30 * 60_000).toISOString());
      // in hours, nobody is told we are away
      clock.set(MONDAY_9AM_EST + 3600_000);
      const open = await ingest({ text: '@AcmeCare quick question about delivery' });
      expect(await acks(open)).toHaveLength(0);
    });
  });
}
