/**
 * Knowledge experts, people and the availability line, through the HTTP API on SQLite and
 * PostgreSQL (hand-driven clock):
 *  - only the expert asked (or a member of the expert group asked) answers a question; an
 *    admin may answer on their behalf, recorded as such; the asker never answers their own
 *    question, and cannot ask themselves, an agent or a routing team;
 *  - disabling someone, or making them an expert, puts their open conversations back in
 *    their team's queue (audited, published live) and routes them again; the queues report
 *    lists only the people routing gives work to;
 *  - everyone added has a password, of at least 8 characters other than spaces; an admin
 *    sets a new one (audited, never written down, their sessions end); people change their
 *    own with the current one; unknown fields in a change of a person are refused;
 *  - the availability line promises the brand's first-response target, not 30 minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../src/core/sla.js';
import type { LiveEvent } from '../src/events/bus.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, conversationsAssignedTo, mention, PASSWORD, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
// Tuesday 17 November 2026, 10:00 London: open.
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);
const nineToFive = [{ start: '09:00', end: '17:00' }];
const WEEKDAYS = { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive };

for (const dialect of DIALECTS) {
  describe(`experts and people [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let eli: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      ben = await Client.signIn(desk.url, 'ben@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const ingest = async (over = {}) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), ...over })] })).json.outcomes[0];
    const expertWaits = (conversationId: number) => db().selectFrom('reporting_fact').select(['agent_id', 'data']).where('kind', '=', 'expert_wait').where('conversation_id', '=', conversationId).execute();
    const requestOf = async (id: number) => db().selectFrom('expert_request').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    describe('knowledge experts', () => {
      let group: number; // an expert group: Eli (expert) and Ana (agent)

      beforeAll(async () => {
        const g = await admin.post('/api/teams', { name: 'Billing experts', routingStrategy: 'manual', members: [{ userId: desk.users.expert }, { userId: desk.users.ana }] });
        expect(g.status).toBe(201);
        group = g.json.id;
      });

      it('does not let the asker answer their own question: it stays open for the expert, and counts as no expert answer', async () => {
        const o = await ingest({ text: '@AcmeCare why was I charged a foreign transaction fee?' });
        const asked = await ana.post(`/api/conversations/${o.conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'Do we refund FX fees on debit cards?' });
        expect(asked.status).toBe(201);
        clock.advance(5 * MIN);
        const own = await ana.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Yes, I think so.' });
        expect(own.status).toBe(403);
        expect(own.json.code).toBe('expert.own_question');
        // nor someone else who was not asked
        const other = await ben.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Probably.' });
        expect(other.status).toBe(403);
        expect((await requestOf(asked.json.id)).status).toBe('open');
        expect(await expertWaits(o.conversationId)).toEqual([]);
        expect((await eli.get('/api/expert-requests')).json.items.map((r: any) => r.id)).toContain(asked.json.id);

        const ans = await eli.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Yes for debit cards under £10.' });
        expect(ans.status).toBe(200);
        expect(ans.json.request).toMatchObject({ status: 'answered' });
        expect((await expertWaits(o.conversationId)).map((f) => f.agent_id)).toEqual([desk.users.expert]);
      });

      it('lets an admin answer on the expert\'s behalf, recorded as such', async () => {
        const o = await ingest({ text: '@AcmeCare is the FX fee refundable?' });
        const asked = await ana.post(`/api/conversations/${o.conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'FX fee refunds for credit cards?' });
        const ans = await admin.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Eli is out: yes, under £10.' });
        expect(ans.status).toBe(200);
        const audit = await db().selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'expert.answered').where('subject_id', '=', String(asked.json.id)).executeTakeFirstOrThrow();
        expect(audit.actor).toBe(`user:${desk.users.admin}`);
        expect(JSON.parse(audit.data!)).toMatchObject({ onBehalfOf: { expertId: desk.users.expert, teamId: null } });
        const facts = await expertWaits(o.conversationId);
        expect(facts).toHaveLength(1);
        expect(JSON.parse(facts[0]!.data!)).toMatchObject({ onBehalf: true });
      });

      it('refuses asking yourself, someone who is not an expert, or a team that is not an expert group', async () => {
        const o = await ingest({ text: '@AcmeCare can you waive the fee?' });
        const ask = (body: Record<string, unknown>) => ana.post(`/api/conversations/${o.conversationId}/expert-requests`, { question: 'Can we waive the FX fee here?', ...body });
        const self = await ask({ expertId: desk.users.ana });
        expect(self.status).toBe(400);
        expect(self.json.code).toBe('expert.self');
        const agent = await ask({ expertId: desk.users.ben });
        expect(agent.status).toBe(400);
        expect(agent.json).toMatchObject({ code: 'expert.not_expert' });
        expect(agent.json.detail).toMatch(/Ben Agent is not a knowledge expert/);
        const routing = await ask({ teamId: desk.teamId });
        expect(routing.status).toBe(400);
        expect(routing.json.code).toBe('expert.not_expert_group');
        expect(routing.json.detail).toMatch(/Care is not an expert group/);
        expect(await db().selectFrom('expert_request').select('id').where('conversation_id', '=', o.conversationId).execute()).toEqual([]);
        // an expert, and an expert group, may be asked
        expect((await ask({ expertId: desk.users.expert })).status).toBe(201);
        expect((await ask({ teamId: group })).status).toBe(201);
      });

      it('lets a member of the group asked answer, never the asker though they are a member', async () => {
        const o = await ingest({ text: '@AcmeCare fee question' });
        const asked = await ana.post(`/api/conversations/${o.conversationId}/expert-requests`, { teamId: group, question: 'Is the FX fee refundable for business accounts?' });
        expect(asked.status).toBe(201);
        // the asker is not notified of their own question
        const told = await db().selectFrom('notification').select('user_id').where('kind', '=', 'expert.asked').where('conversation_id', '=', o.conversationId).execute();
        expect(told.map((n) => n.user_id)).toEqual([desk.users.expert]);
        expect((await ana.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Yes.' })).json.code).toBe('expert.own_question');
        expect((await ben.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Yes.' })).status).toBe(403);
        expect((await eli.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Yes, with a ticket.' })).status).toBe(200);
      });
    });

    describe('people who stop taking conversations', () => {
      const assignTo = (userId: number, n: number) => conversationsAssignedTo(desk, admin, userId, n, clock.now());
      const assignees = async (ids: number[]) => (await db().selectFrom('conversation').select(['id', 'assignee_id', 'team_id']).where('id', 'in', ids).orderBy('id').execute());
      const queueAgents = async () => (await admin.get('/api/queues')).json.items.find((t: any) => t.id === desk.teamId).agents.map((x: any) => x.id);
      const listen = () => {
        const events: LiveEvent[] = [];
        const stop = desk.parley.services.bus.subscribe(desk.brandId, (e) => events.push(e));
        return { events, stop };
      };

      it('puts a disabled agent\'s open conversations back in their team\'s queue, routed again, audited and published', async () => {
        const held = await assignTo(desk.users.ana, 3);
        expect(await queueAgents()).toContain(desk.users.ana);
        const live = listen();
        const r = await admin.req('PATCH', `/api/users/${desk.users.ana}`, { disabled: true });
        live.stop();
        expect(r.status).toBe(200);
        const after = await assignees(held);
        for (const c of after) {
          expect(c.assignee_id).not.toBe(desk.users.ana);
          expect(c.team_id).toBe(desk.teamId);
        }
        // routed again: the team's online agents with capacity (Ben, Cleo) take them
        expect(after.every((c) => c.assignee_id === desk.users.ben || c.assignee_id === desk.users.approver)).toBe(true);
        for (const id of held) {
          const audits = await db().selectFrom('audit_event').select(['action', 'actor', 'data']).where('conversation_id', '=', id).where('action', '=', 'conversation.assigned').orderBy('id').execute();
          expect(audits.map((a) => JSON.parse(a.data!)).some((d) => d.from?.assigneeId === desk.users.ana && d.to?.assigneeId == null)).toBe(true);
          expect(live.events.some((e) => e.type === 'conversation.updated' && (e.data as any).id === id)).toBe(true);
        }
        const released = await db().selectFrom('audit_event').select('data').where('action', '=', 'user.conversations_released').where('subject_id', '=', String(desk.users.ana)).executeTakeFirstOrThrow();
        expect(JSON.parse(released.data!)).toEqual({ reason: 'disabled', conversationIds: held });
        expect(await queueAgents()).not.toContain(desk.users.ana);

        expect((await admin.req('PATCH', `/api/users/${desk.users.ana}`, { disabled: false, availability: 'online' })).status).toBe(200);
        expect(await queueAgents()).toContain(desk.users.ana);
      });

      it('hands back the conversations of an agent made an expert', async () => {
        const held = await assignTo(desk.users.ben, 2);
        const r = await admin.req('PATCH', `/api/users/${desk.users.ben}`, { role: 'expert' });
        expect(r.status).toBe(200);
        const after = await assignees(held);
        expect(after.some((c) => c.assignee_id === desk.users.ben)).toBe(false);
        expect(after.every((c) => c.assignee_id != null)).toBe(true); // Ana and Cleo take them
        expect(await queueAgents()).not.toContain(desk.users.ben);
        expect((await admin.req('PATCH', `/api/users/${desk.users.ben}`, { role: 'agent' })).status).toBe(200);
      });
    });

    describe('passwords', () => {
      const login = (email: string, password: string) => fetch(`${desk.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) }).then((r) => r.status);

      it('refuses adding a person without a password, or with one of spaces or too few characters', async () => {
        const add = (email: string, extra: Record<string, unknown>) => admin.post('/api/users', { email, name: 'Fay Agent', role: 'agent', ...extra });
        for (const extra of [{}, { password: '        ' }, { password: '   a b c d e f g   ' }, { password: 'short' }]) {
          const r = await add('fay@acme.test', extra);
          expect(r.status, JSON.stringify(extra)).toBe(400);
          expect(r.json.detail).toMatch(/password/);
        }
        expect(await db().selectFrom('app_user').select('id').where('email', '=', 'fay@acme.test').execute()).toEqual([]);
        const ok = await add('fay@acme.test', { password: 'a b c d e f g h' });
        expect(ok.status).toBe(201);
        expect(await login('fay@acme.test', 'a b c d e f g h')).toBe(200);
      });

      it('lets an admin set a new password: audited without it, and their sessions end', async () => {
        const gil = await admin.post('/api/users', { email: 'gil@acme.test', name: 'Gil Agent', role: 'agent', password: PASSWORD });
        expect(gil.status).toBe(201);
        const session = await Client.signIn(desk.url, 'gil@acme.test');
        expect((await session.get('/api/me')).status).toBe(200);

        const weak = await admin.req('PATCH', `/api/users/${gil.json.id}`, { password: '         ' });
        expect(weak.status).toBe(400);
        const typo = await admin.req('PATCH', `/api/users/${gil.json.id}`, { passwrd: 'new secret words' });
        expect(typo.status).toBe(400);
        expect(typo.json.detail).toMatch(/passwrd/);

        const set = await admin.req('PATCH', `/api/users/${gil.json.id}`, { password: 'new secret words' });
        expect(set.status).toBe(200);
        expect((await session.get('/api/me')).status).toBe(401);
        expect(await login('gil@acme.test', PASSWORD)).toBe(401);
        expect(await login('gil@acme.test', 'new secret words')).toBe(200);
        const audits = await db().selectFrom('audit_event').select(['action', 'data']).where('subject_type', '=', 'user').where('subject_id', '=', String(gil.json.id)).orderBy('id').execute();
        expect(audits.map((a) => a.action)).toEqual(['user.created', 'auth.login', 'user.updated', 'user.password_set', 'auth.login']);
        expect(JSON.parse(audits[3]!.data!)).toEqual({ sessionsEnded: 1 });
        expect(audits.some((a) => (a.data ?? '').includes('new secret words'))).toBe(false);
      });

      it('lets people change their own password with the current one; their other sessions end', async () => {
        const hal = await admin.post('/api/users', { email: 'hal@acme.test', name: 'Hal Agent', role: 'agent', password: PASSWORD });
        const here = await Client.signIn(desk.url, 'hal@acme.test');
        const elsewhere = await Client.signIn(desk.url, 'hal@acme.test');
        const wrong = await here.post('/api/me/password', { currentPassword: 'not my password', newPassword: 'a better password' });
        expect(wrong.status).toBe(403);
        const weak = await here.post('/api/me/password', { currentPassword: PASSWORD, newPassword: '           ' });
        expect(weak.status).toBe(400);
        expect(await login('hal@acme.test', PASSWORD)).toBe(200);

        const ok = await here.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'a better password' });
        expect(ok.status).toBe(204);
        expect((await here.get('/api/me')).status).toBe(200);
        expect((await elsewhere.get('/api/me')).status).toBe(401);
        expect(await login('hal@acme.test', PASSWORD)).toBe(401);
        expect(await login('hal@acme.test', 'a better password')).toBe(200);
        const audit = await db().selectFrom('audit_event').select('actor').where('action', '=', 'user.password_changed').where('subject_id', '=', String(hal.json.id)).execute();
        expect(audit).toEqual([{ actor: `user:${hal.json.id}` }]);
      });
    });

    describe('the availability line', () => {
      afterAll(async () => {
        await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: null });
        await admin.req('PATCH', '/api/settings/workflow', { sla: DEFAULT_SLA_POLICY });
      });

      it('promises the brand\'s first-response target: in the bio line, on saving hours, and in snippets', async () => {
        const sla = { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'first_response', visibility: 'public', targetMs: 4 * HOUR }, { metric: 'first_response', visibility: 'private', targetMs: 8 * HOUR }, { metric: 'resolution', targetMs: 48 * HOUR }] };
        expect((await admin.req('PATCH', '/api/settings/workflow', { sla })).status).toBe(200);
        const saved = await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: { timeZone: 'Europe/London', weekly: WEEKDAYS } });
        expect(saved.status).toBe(200);
        expect(saved.json.availabilityLine).toMatch(/we reply within 4 hours during those hours/);
        expect(saved.json.availabilityLine).not.toMatch(/30 min/);
        const line = (await admin.get(`/api/channel-accounts/${desk.accountId}/availability`)).json.availabilityLine;
        expect(line).toBe(saved.json.availabilityLine);

        const snippet = await admin.post('/api/snippets', { shortcut: 'hours', title: 'Our hours', body: 'Thanks! {{hours}}' });
        expect(snippet.status).toBe(201);
        const o = await ingest();
        const rendered = await ana.post(`/api/snippets/${snippet.json.id}/render`, { conversationId: o.conversationId });
        expect(rendered.json.text).toMatch(/we reply within 4 hours/);

        // without a first-response target nothing is promised
        expect((await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'resolution', targetMs: 48 * HOUR }] } })).status).toBe(200);
        const none = (await admin.get(`/api/channel-accounts/${desk.accountId}/availability`)).json.availabilityLine;
        expect(none).toMatch(/^We're here Mon–Fri 9am–5pm/);
        expect(none).not.toMatch(/reply within/);
      });
    });
  });
}
