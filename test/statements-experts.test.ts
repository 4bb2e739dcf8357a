/**
 * Two gaps closed in the care workflow, through the HTTP API on SQLite and PostgreSQL
 * (hand-driven clock, outbox and sweeps driven by the test):
 *  - an incident's public statement follows the approval policy: by default it waits
 *    for a second person's sign-off, reaches the outbox only once approved and is sent
 *    once; its author cannot approve it; a rejection keeps the reason and sends nothing;
 *    reply checks apply to it; closing the incident withdraws a statement not yet sent,
 *    and nothing about a closed incident is published; the same text is not posted twice,
 *    and the incident keeps every statement it sent;
 *  - a question to an expert group is due within the group's own target (else the
 *    brand's), and once overdue the group and the asking agent are notified exactly once,
 *    however often and wherever the sweep runs.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../src/events/bus.js';
import { ManualClock } from '../src/lib/clock.js';
import { openStore, type Store } from '../src/store/db.js';
import { WorkflowCommands } from '../src/workflow/commands.js';
import { WorkflowSettingsStore } from '../src/workflow/settings.js';
import { createChannelAccount } from '../src/commands/setup.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 London (UTC+0 in November): open.
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);
// Friday 20 November 2026, 16:45 London; 30 staffed minutes later is Monday 09:15.
const FRIDAY_1645 = Date.UTC(2026, 10, 20, 16, 45);
const MONDAY_0915 = Date.UTC(2026, 10, 23, 9, 15);
const nineToFive = [{ start: '09:00', end: '17:00' }];
const WEEKDAYS = { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive };
const iso = (t: number) => new Date(t).toISOString();

for (const dialect of DIALECTS) {
  describe(`incident statements and overdue expert questions [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let cleo: Client;
    let ana: Client;
    let eli: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      // no background loops: the test drives the outbox, the jobs and the sweeps itself
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const outboxRows = (messageId: number) => db().selectFrom('outbox').selectAll().where('message_id', '=', messageId).execute();
    const messageRow = (id: number) => db().selectFrom('message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const runOutbox = async () => {
      await desk.parley.services.outbox.runOnce();
      await desk.parley.services.outbox.runOnce();
    };
    const incidentOf = async (id: number) => (await cleo.get('/api/incidents')).json.items.find((i: any) => i.id === id);
    const incidentAudit = async (id: number) =>
      (await db().selectFrom('audit_event').select(['action', 'actor', 'data']).where('subject_type', '=', 'incident').where('subject_id', '=', String(id)).orderBy('id').execute()).map((a) => ({ ...a, data: JSON.parse(a.data ?? '{}') }));
    const notifications = (kind: string, conversationId?: number) => {
      let q = db().selectFrom('notification').select(['user_id', 'title', 'body']).where('kind', '=', kind);
      if (conversationId != null) q = q.where('conversation_id', '=', conversationId);
      return q.orderBy('user_id').execute();
    };

    describe('incident statements', () => {
      let incidentId: number;
      const STATEMENT = 'We know checkout is failing right now and are fixing it. We will post here when it works again.';

      beforeAll(async () => {
        const r = await cleo.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail with error 502 since 09:40' });
        expect(r.status).toBe(201);
        incidentId = r.json.id;
      });

      it('holds a statement for a second person’s sign-off, then sends it exactly once', async () => {
        const r = await cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text: STATEMENT });
        expect(r.status).toBe(202);
        expect(r.json.message.status).toBe('pending_approval');
        expect(r.json.approval.reasons.map((x: any) => x.code)).toEqual(['approval.incident_statement']);
        const mid = r.json.message.id as number;
        expect(await outboxRows(mid)).toHaveLength(0);
        await runOutbox();
        expect((await messageRow(mid)).status).toBe('pending_approval');

        // in the approvals queue, as the statement of its incident; the incident shows it waiting
        const queued = (await admin.get('/api/approvals')).json.items.find((x: any) => x.id === mid);
        expect(queued.statement).toEqual({ incidentId, incidentTitle: 'Checkout is down', incidentStatus: 'open' });
        expect(queued.reasons.map((x: any) => x.code)).toEqual(['approval.incident_statement']);
        expect((await incidentOf(incidentId)).statement).toMatchObject({ messageId: mid, status: 'pending_approval', text: STATEMENT, authorUserId: desk.users.approver });
        // the other people who can sign it off are told; its author is not
        expect((await notifications('statement.pending_approval')).map((n) => n.user_id)).toEqual([desk.users.admin]);

        // nobody signs off their own statement, and agents sign nothing off
        const own = await cleo.post(`/api/approvals/${mid}`, { decision: 'approve' });
        expect(own.status).toBe(403);
        expect(own.json.code).toBe('approval.own_draft');
        expect((await ana.post(`/api/approvals/${mid}`, { decision: 'approve' })).status).toBe(403);
        // a second statement does not jump the queue while this one waits
        const another = await cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text: 'Checkout is failing; we are on it and will update you here.' });
        expect(another.status).toBe(409);
        expect(another.json.code).toBe('incident.statement_pending');
        expect(await outboxRows(mid)).toHaveLength(0);

        // approved twice at once (a double click): one decision wins, the other is refused
        const both = await Promise.all([admin.post(`/api/approvals/${mid}`, { decision: 'approve' }), admin.post(`/api/approvals/${mid}`, { decision: 'approve' })]);
        expect(both.map((x) => x.status).sort()).toEqual([200, 409]);
        expect(both.find((x) => x.status === 409)!.json.code).toBe('approval.not_pending');
        expect(await outboxRows(mid)).toHaveLength(1);

        await runOutbox();
        await runOutbox();
        const sent = await messageRow(mid);
        expect(sent.status).toBe('sent');
        const rows = await outboxRows(mid);
        expect(rows).toHaveLength(1);
        expect(rows[0]!.status).toBe('sent');
        // the (demo) network received it once
        const posted = await db().selectFrom('kv').select('key').where('key', 'like', 'demo.posted.%').where('key', '=', `demo.posted.${rows[0]!.idempotency_key}`).execute();
        expect(posted).toHaveLength(1);
        const sends = await db().selectFrom('audit_event').select('id').where('action', '=', 'reply.sent').where('subject_id', '=', String(mid)).execute();
        expect(sends).toHaveLength(1);

        const trail = await incidentAudit(incidentId);
        expect(trail.map((a) => a.action)).toEqual(['incident.opened', 'incident.statement_pending_approval', 'incident.statement_approved']);
        expect(trail[1]!.actor).toBe(`user:${desk.users.approver}`);
        expect(trail[2]!.actor).toBe(`user:${desk.users.admin}`);
        expect(trail[2]!.data.messageId).toBe(mid);
        expect((await incidentOf(incidentId)).statement).toMatchObject({ messageId: mid, status: 'sent', reviewedBy: desk.users.admin });
        expect((await notifications('statement.approved')).map((n) => n.user_id)).toEqual([desk.users.approver]);
      });

      it('a rejected statement keeps the reason and never reaches the outbox', async () => {
        const r = await cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text: 'Checkout works again for everyone. Thank you for your patience!' });
        expect(r.status).toBe(202);
        const mid = r.json.message.id as number;
        const bare = await admin.post(`/api/approvals/${mid}`, { decision: 'reject' });
        expect(bare.status).toBe(400);
        expect(bare.json.code).toBe('approval.reason_required');
        const rej = await admin.post(`/api/approvals/${mid}`, { decision: 'reject', note: 'Not yet: payments still fail in the EU' });
        expect(rej.status).toBe(200);
        expect(rej.json.status).toBe('rejected');
        await runOutbox();
        expect(await outboxRows(mid)).toHaveLength(0);
        const row = await messageRow(mid);
        expect(row.status).toBe('rejected');
        expect(row.review_note).toBe('Not yet: payments still fail in the EU');
        expect((await incidentOf(incidentId)).statement).toMatchObject({ messageId: mid, status: 'rejected', reviewNote: 'Not yet: payments still fail in the EU' });
        const rejected = (await incidentAudit(incidentId)).find((a) => a.action === 'incident.statement_rejected');
        expect(rejected?.data).toMatchObject({ messageId: mid, note: 'Not yet: payments still fail in the EU' });
        expect((await notifications('statement.rejected')).map((n) => [n.user_id, n.body])).toEqual([[desk.users.approver, 'Not yet: payments still fail in the EU']]);
        // decided is decided
        expect((await admin.post(`/api/approvals/${mid}`, { decision: 'approve' })).json.code).toBe('approval.not_pending');
        expect(await outboxRows(mid)).toHaveLength(0);
      });

      it('applies the reply checks to statements, when written and when edited at sign-off', async () => {
        const before = await db().selectFrom('message').select('id').where('kind', '=', 'post').execute();
        const tooLong = `We know checkout is failing. ${'Our engineers are working on the payment service and we will post every update right here. '.repeat(4)}`;
        const r = await cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text: tooLong });
        expect(r.status).toBe(422);
        expect(r.json.code).toBe('reply.too_long');
        expect(await db().selectFrom('message').select('id').where('kind', '=', 'post').execute()).toHaveLength(before.length);
        // an approver's edit is checked too: the statement keeps waiting
        const ok = await cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text: 'Checkout is still failing for some of you. We are on it.' });
        const mid = ok.json.message.id as number;
        const edit = await admin.post(`/api/approvals/${mid}`, { decision: 'approve', text: tooLong });
        expect(edit.status).toBe(422);
        expect(edit.json.code).toBe('reply.too_long');
        expect((await messageRow(mid)).status).toBe('pending_approval');
        expect(await outboxRows(mid)).toHaveLength(0);
        expect((await admin.post(`/api/approvals/${mid}`, { decision: 'reject', note: 'Superseded' })).status).toBe(200);
      });

      it('a retried post with the same idempotency key is the same statement', async () => {
        const body = { channelAccountId: desk.accountId, text: 'Checkout is recovering; we keep watching it closely.', idempotencyKey: 'statement-retry-0001' };
        // a double click: both requests at once get the same statement
        const pair = await Promise.all([cleo.post(`/api/incidents/${incidentId}/statement`, body), cleo.post(`/api/incidents/${incidentId}/statement`, body)]);
        expect(pair.map((x) => x.status).sort()).toEqual([200, 202]);
        const first = pair.find((x) => x.status === 202)!;
        expect(pair.find((x) => x.status === 200)!.json.message.id).toBe(first.json.message.id);
        // and a retry later
        const again = await cleo.post(`/api/incidents/${incidentId}/statement`, body);
        expect(again.status).toBe(200);
        expect(again.json.duplicate).toBe(true);
        expect(again.json.message.id).toBe(first.json.message.id);
        expect(await db().selectFrom('message').select('id').where('idempotency_key', '=', `statement:${desk.users.approver}:statement-retry-0001`).execute()).toHaveLength(1);
        expect((await admin.post(`/api/approvals/${first.json.message.id}`, { decision: 'reject', note: 'Wait for the all-clear' })).status).toBe(200);
      });

      it('the policy can let statements go without sign-off; a saved policy that predates the rule keeps sign-off on', async () => {
        const settings = (await admin.get('/api/settings/workflow')).json;
        expect(settings.approval.incident.statementSignOff).toBe(true);
        const { statementSignOff: _omit, ...incidentRules } = settings.approval.incident;
        // saved without the key (as before statements were covered): still signed off
        expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { ...settings.approval, incident: incidentRules } })).json.approval.incident.statementSignOff).toBe(true);
        try {
          const off = await admin.req('PATCH', '/api/settings/workflow', { approval: { ...settings.approval, incident: { ...incidentRules, statementSignOff: false } } });
          expect(off.json.approval.incident.statementSignOff).toBe(false);
          const r = await cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text: 'Checkout works again. Thank you for bearing with us.' });
          expect(r.status).toBe(202);
          expect(r.json.message.status).toBe('queued');
          expect(r.json.approval).toBeNull();
          expect(await outboxRows(r.json.message.id)).toHaveLength(1);
          await runOutbox();
          expect((await messageRow(r.json.message.id)).status).toBe('sent');
          expect((await incidentAudit(incidentId)).at(-1)!.action).toBe('incident.statement');
        } finally {
          await admin.req('PATCH', '/api/settings/workflow', { approval: settings.approval });
        }
      });

      afterAll(async () => {
        await cleo.post(`/api/incidents/${incidentId}/close`);
      });
    });

    describe('closed incidents and repeated statements', () => {
      const declare = async (title: string) => {
        const r = await cleo.post('/api/incidents', { title, reason: 'Many people report it at once' });
        expect(r.status).toBe(201);
        return r.json.id as number;
      };
      const postStatement = (incidentId: number, text: string) => cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text });
      const postedOnNetwork = async (messageId: number) => {
        const keys = (await outboxRows(messageId)).map((o) => `demo.posted.${o.idempotency_key}`);
        return keys.length ? db().selectFrom('kv').select('key').where('key', 'in', keys).execute() : [];
      };

      it('closing an incident withdraws its statement waiting for sign-off: approving it is refused, nothing is posted, and no statement can follow', async () => {
        const incidentId = await declare('Login fails');
        const r = await postStatement(incidentId, 'Some of you cannot log in right now. We are on it and will update you here.');
        expect(r.status).toBe(202);
        const mid = r.json.message.id as number;

        const closed = await admin.post(`/api/incidents/${incidentId}/close`);
        expect(closed.status).toBe(200);
        expect(closed.json).toEqual({ id: incidentId, status: 'closed', withdrawnStatementIds: [mid], releasedReplyIds: [] });
        expect((await messageRow(mid)).status).toBe('withdrawn');
        expect((await admin.get('/api/approvals')).json.items.map((x: any) => x.id)).not.toContain(mid);

        const approve = await admin.post(`/api/approvals/${mid}`, { decision: 'approve' });
        expect(approve.status).toBe(409);
        expect(approve.json.code).toBe('incident.closed');
        expect(approve.json.detail).toMatch(/incident is closed/);
        await runOutbox();
        expect((await messageRow(mid)).status).toBe('withdrawn');
        expect(await outboxRows(mid)).toHaveLength(0);

        const trail = await incidentAudit(incidentId);
        expect(trail.map((a) => a.action)).toEqual(['incident.opened', 'incident.statement_pending_approval', 'incident.closed', 'incident.statement_withdrawn']);
        expect(trail[3]!.actor).toBe(`user:${desk.users.admin}`);
        expect(trail[3]!.data).toMatchObject({ messageId: mid, was: 'pending_approval' });
        expect((await incidentOf(incidentId)).statement).toMatchObject({ messageId: mid, status: 'withdrawn' });

        const after = await postStatement(incidentId, 'Login works again for everyone. Thank you for your patience.');
        expect(after.status).toBe(409);
        expect(after.json.code).toBe('incident.closed');
        // closing again changes nothing and records nothing
        expect((await admin.post(`/api/incidents/${incidentId}/close`)).json.withdrawnStatementIds).toEqual([]);
        expect(await incidentAudit(incidentId)).toHaveLength(4);
      });

      it('closing an incident withdraws an approved statement the outbox has not sent yet', async () => {
        const incidentId = await declare('Card payments fail');
        const r = await postStatement(incidentId, 'Card payments fail for some of you. We are fixing it now.');
        const mid = r.json.message.id as number;
        expect((await admin.post(`/api/approvals/${mid}`, { decision: 'approve' })).status).toBe(200);
        expect((await outboxRows(mid)).map((o) => o.status)).toEqual(['queued']);

        const closed = await cleo.post(`/api/incidents/${incidentId}/close`);
        expect(closed.json.withdrawnStatementIds).toEqual([mid]);
        await runOutbox();
        expect((await messageRow(mid)).status).toBe('withdrawn');
        expect((await outboxRows(mid)).map((o) => o.status)).toEqual(['withdrawn']);
        expect(await postedOnNetwork(mid)).toHaveLength(0);
        expect((await incidentAudit(incidentId)).at(-1)).toMatchObject({ action: 'incident.statement_withdrawn', data: { messageId: mid, was: 'queued' } });
      });

      it('a statement the outbox was sending when the incident closed is withdrawn at its next attempt, not published', async () => {
        const incidentId = await declare('Logins fail');
        const r = await postStatement(incidentId, 'Logins fail for some of you. We are on it.');
        const mid = r.json.message.id as number;
        expect((await admin.post(`/api/approvals/${mid}`, { decision: 'approve' })).status).toBe(200);
        // a worker had claimed it and then died (or its attempt failed and it was queued again) …
        await db().updateTable('outbox').set({ status: 'sending', locked_until: clock.now() - 1 }).where('message_id', '=', mid).execute();
        // … when the incident was closed: closing leaves a send in flight alone
        expect((await cleo.post(`/api/incidents/${incidentId}/close`)).json.withdrawnStatementIds).toEqual([]);
        await runOutbox();
        expect((await messageRow(mid)).status).toBe('withdrawn');
        expect((await outboxRows(mid)).map((o) => o.status)).toEqual(['withdrawn']);
        expect(await postedOnNetwork(mid)).toHaveLength(0);
        expect((await incidentAudit(incidentId)).at(-1)).toMatchObject({ action: 'incident.statement_withdrawn', data: { messageId: mid, was: 'sending' } });
      });

      it('a statement still waiting for an incident that is closed is never approved, and the approvals list says so', async () => {
        const incidentId = await declare('App crashes on start');
        const r = await postStatement(incidentId, 'The app crashes on start for some of you. A fix is on its way.');
        const mid = r.json.message.id as number;
        // closed without the close command (a statement left over from before withdrawal existed)
        await db().updateTable('incident').set({ status: 'closed', closed_at: clock.now() }).where('id', '=', incidentId).execute();
        const listed = (await admin.get('/api/approvals')).json.items.find((x: any) => x.id === mid);
        expect(listed.statement).toEqual({ incidentId, incidentTitle: 'App crashes on start', incidentStatus: 'closed' });
        const approve = await admin.post(`/api/approvals/${mid}`, { decision: 'approve' });
        expect(approve.status).toBe(409);
        expect(approve.json.code).toBe('incident.closed');
        expect((await messageRow(mid)).status).toBe('pending_approval');
        expect(await outboxRows(mid)).toHaveLength(0);
        // it can still be rejected, out of the queue
        expect((await admin.post(`/api/approvals/${mid}`, { decision: 'reject', note: 'The incident is over' })).status).toBe(200);
      });

      it('the same statement is not published twice, and the incident keeps every statement it sent, newest first', async () => {
        const incidentId = await declare('Orders are delayed');
        const FIRST = 'Orders placed today ship a day late. We are sorry and are catching up.';
        const SECOND = 'We have caught up: orders placed today ship on time again.';
        const first = await postStatement(incidentId, FIRST);
        const m1 = first.json.message.id as number;
        expect((await admin.post(`/api/approvals/${m1}`, { decision: 'approve' })).status).toBe(200);
        await runOutbox();
        expect((await messageRow(m1)).status).toBe('sent');
        const sentAt1 = clock.now();

        clock.advance(5 * MIN);
        const again = await postStatement(incidentId, `  ${FIRST}\n`);
        expect(again.status).toBe(409);
        expect(again.json.code).toBe('incident.statement_duplicate');
        expect(await db().selectFrom('message').select('id').where('kind', '=', 'post').where('id', '>', m1).execute()).toHaveLength(0);

        const second = await postStatement(incidentId, SECOND);
        expect(second.status).toBe(202);
        const m2 = second.json.message.id as number;
        // the same text as one waiting for sign-off is refused too
        const twin = await postStatement(incidentId, SECOND);
        expect(twin.status).toBe(409);
        expect(twin.json.code).toBe('incident.statement_duplicate');
        expect((await admin.post(`/api/approvals/${m2}`, { decision: 'approve' })).status).toBe(200);
        clock.advance(MIN);
        await runOutbox();
        expect(await postedOnNetwork(m1)).toHaveLength(1);
        expect(await postedOnNetwork(m2)).toHaveLength(1);

        const inc = await incidentOf(incidentId);
        expect(inc.statementMessageId).toBe(m2);
        expect(inc.statement).toMatchObject({ messageId: m2, status: 'sent', text: SECOND });
        expect(inc.statements.map((x: any) => [x.messageId, x.status, x.text])).toEqual([[m2, 'sent', SECOND], [m1, 'sent', FIRST]]);
        expect(inc.statements[1].sentAt).toBe(iso(sentAt1));
        expect(inc.statements[0].sentAt).toBe(iso(sentAt1 + 6 * MIN));
        expect(inc.statements[1].createdAt).toBe(iso(sentAt1));
        // a rejected text may be written again
        const redo = await postStatement(incidentId, 'Orders ship on time again; thank you for waiting.');
        expect((await admin.post(`/api/approvals/${redo.json.message.id}`, { decision: 'reject', note: 'Say it in our voice' })).status).toBe(200);
        expect((await postStatement(incidentId, 'Orders ship on time again; thank you for waiting.')).status).toBe(202);
        const closed = await admin.post(`/api/incidents/${incidentId}/close`);
        expect(closed.json.withdrawnStatementIds).toHaveLength(1);
        expect((await incidentOf(incidentId)).statements.map((x: any) => x.status)).toEqual(['withdrawn', 'rejected', 'sent', 'sent']);
      });

      it('the same statement may go out from another of the brand\'s accounts', async () => {
        const incidentId = await declare('Checkout is slow');
        const TEXT = 'Checkout is slow for some of you. We are on it and will update here.';
        const first = await postStatement(incidentId, TEXT);
        expect((await admin.post(`/api/approvals/${first.json.message.id}`, { decision: 'approve' })).status).toBe(200);
        await runOutbox();
        const other = await createChannelAccount(db(), { brandId: desk.brandId, network: 'x', handle: 'AcmeStatus', driver: 'demo' }, clock.now());
        const there = await cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: other, text: TEXT });
        expect(there.status).toBe(202);
        const again = await cleo.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: desk.accountId, text: TEXT });
        expect(again.status).toBe(409);
        expect(again.json.detail).toContain('@AcmeCare');
      });
    });

    describe('overdue expert questions', () => {
      let billing: number; // an expert group with its own 30-minute target
      let legal: number; // an expert group without one: the brand's applies
      const ingest = async (over = {}) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), ...over })] })).json.outcomes[0];
      const ask = (conversationId: number, body: Record<string, unknown>) => ana.post(`/api/conversations/${conversationId}/expert-requests`, { question: 'Can we waive the FX fee for this customer?', ...body });
      const sweep = () => desk.parley.services.workflowCommands.sweepOverdueExpertRequests();

      beforeAll(async () => {
        clock.set(TUESDAY_10AM + 6 * 3600_000);
        const b = await admin.post('/api/teams', { name: 'Billing experts', routingStrategy: 'manual', expertTargetMin: 30, members: [{ userId: desk.users.expert }, { userId: desk.users.ben }] });
        expect(b.status).toBe(201);
        billing = b.json.id;
        const l = await admin.post('/api/teams', { name: 'Legal experts', routingStrategy: 'manual', members: [{ userId: desk.users.expert }] });
        legal = l.json.id;
      });

      it('shows and changes a group’s own target, audited', async () => {
        const teams = (await admin.get('/api/teams')).json.items;
        expect(teams.find((t: any) => t.id === billing).expertTargetMin).toBe(30);
        expect(teams.find((t: any) => t.id === legal).expertTargetMin).toBeNull();
        expect((await admin.req('PATCH', `/api/teams/${legal}`, { expertTargetMin: 0 })).status).toBe(400);
        expect((await admin.req('PATCH', `/api/teams/${legal}`, { expertTargetMin: 240 })).status).toBe(200);
        expect((await admin.get('/api/teams')).json.items.find((t: any) => t.id === legal).expertTargetMin).toBe(240);
        expect((await admin.req('PATCH', `/api/teams/${legal}`, { expertTargetMin: null })).status).toBe(200);
        expect((await admin.get('/api/teams')).json.items.find((t: any) => t.id === legal).expertTargetMin).toBeNull();
        const audits = await db().selectFrom('audit_event').select('data').where('action', '=', 'team.updated').where('subject_id', '=', String(legal)).orderBy('id').execute();
        expect(JSON.parse(audits.at(-1)!.data!)).toMatchObject({ before: { expertTargetMin: 240 }, after: { expertTargetMin: null } });
      });

      it('a question past its group’s target notifies the group and the asker exactly once, however often the sweep runs', async () => {
        const o = await ingest({ text: '@AcmeCare why was I charged a foreign transaction fee?' });
        const t0 = clock.now();
        const r = await ask(o.conversationId, { teamId: billing });
        expect(r.status).toBe(201);
        expect(r.json.dueAt).toBe(iso(t0 + 30 * MIN));
        clock.set(t0 + 29 * MIN);
        expect(await sweep()).toBe(0);
        expect(await notifications('expert.overdue', o.conversationId)).toHaveLength(0);

        clock.set(t0 + 30 * MIN);
        const runs = await Promise.all([sweep(), sweep()]);
        expect(runs[0]! + runs[1]!).toBe(1);
        expect(await sweep()).toBe(0);
        clock.advance(60 * MIN);
        expect(await sweep()).toBe(0);
        expect(await desk.parley.services.workflowCommands.notifyExpertOverdue(r.json.id)).toBe(false);

        // the group's members and the asking agent, once each; nobody else
        const told = await notifications('expert.overdue', o.conversationId);
        expect(told.map((n) => n.user_id)).toEqual([desk.users.ana, desk.users.ben, desk.users.expert].sort((a, b) => a - b));
        expect(told[0]!.title).toMatch(/unanswered for 30 min \(Billing experts\)/);
        expect(told[0]!.body).toBe('Can we waive the FX fee for this customer?');
        expect((await eli.get('/api/notifications')).json.items.filter((n: any) => n.kind === 'expert.overdue' && n.conversationId === o.conversationId)).toHaveLength(1);
        const audits = await db().selectFrom('audit_event').select(['actor', 'data', 'created_at']).where('action', '=', 'expert.overdue').where('subject_id', '=', String(r.json.id)).execute();
        expect(audits).toHaveLength(1);
        expect(audits[0]!.actor).toBe('system:experts');
        expect(audits[0]!.created_at).toBe(t0 + 30 * MIN);
        const listed = (await ana.get(`/api/expert-requests?conversation=${o.conversationId}`)).json.items[0];
        expect(listed.overdueAt).toBe(iso(t0 + 30 * MIN));
      });

      // SQLite is one process by design (a single writer); several processes share PostgreSQL
      it.skipIf(dialect === 'sqlite')('several processes sweeping at once still notify once', async () => {
        const o = await ingest({ text: '@AcmeCare is the FX fee refundable?' });
        const t0 = clock.now();
        const r = await ask(o.conversationId, { teamId: billing });
        clock.set(t0 + 31 * MIN);
        // a second Parley process's store and commands on the same database
        const other: Store = await openStore({ databaseUrl: desk.db.databaseUrl! });
        try {
          const second = new WorkflowCommands({ store: other, bus: new EventBus(), clock, settings: new WorkflowSettingsStore(other), conversations: desk.parley.services.commands });
          const runs = await Promise.all([sweep(), second.sweepOverdueExpertRequests(), sweep(), second.sweepOverdueExpertRequests()]);
          expect(runs.reduce((a, b) => a + b, 0)).toBe(1);
        } finally {
          await other.close();
        }
        expect((await notifications('expert.overdue', o.conversationId)).map((n) => n.user_id)).toEqual([desk.users.ana, desk.users.ben, desk.users.expert].sort((a, b) => a - b));
        expect(await db().selectFrom('audit_event').select('id').where('action', '=', 'expert.overdue').where('subject_id', '=', String(r.json.id)).execute()).toHaveLength(1);
      });

      it('a group without its own target uses the brand default, and a named expert too', async () => {
        await admin.req('PATCH', '/api/settings/workflow', { expertTargetMin: 90 });
        try {
          const o = await ingest({ text: '@AcmeCare can I sue you over this fee?' });
          const t0 = clock.now();
          const toLegal = await ask(o.conversationId, { teamId: legal });
          const toEli = await ask(o.conversationId, { expertId: desk.users.expert });
          const toBilling = await ask(o.conversationId, { teamId: billing });
          expect(toLegal.json.dueAt).toBe(iso(t0 + 90 * MIN));
          expect(toEli.json.dueAt).toBe(iso(t0 + 90 * MIN));
          expect(toBilling.json.dueAt).toBe(iso(t0 + 30 * MIN));
          const audit = await db().selectFrom('audit_event').select('data').where('action', '=', 'expert.asked').where('subject_id', '=', String(toLegal.json.id)).executeTakeFirstOrThrow();
          expect(JSON.parse(audit.data!)).toMatchObject({ targetMin: 90, targetFrom: 'brand' });

          clock.set(t0 + 30 * MIN);
          expect(await sweep()).toBe(1); // only the billing question
          clock.set(t0 + 89 * MIN);
          expect(await sweep()).toBe(0);
          clock.set(t0 + 90 * MIN);
          expect(await sweep()).toBe(2);
          const overdue = (await ana.get(`/api/expert-requests?conversation=${o.conversationId}`)).json.items;
          expect(Object.fromEntries(overdue.map((x: any) => [x.id, x.overdueAt]))).toEqual({
            [toLegal.json.id]: iso(t0 + 90 * MIN),
            [toEli.json.id]: iso(t0 + 90 * MIN),
            [toBilling.json.id]: iso(t0 + 30 * MIN),
          });
          // the named expert's question: the expert and the asker
          const forEli = await db().selectFrom('audit_event').select('data').where('action', '=', 'expert.overdue').where('subject_id', '=', String(toEli.json.id)).executeTakeFirstOrThrow();
          expect([...JSON.parse(forEli.data!).notified].sort()).toEqual([desk.users.ana, desk.users.expert].sort());
        } finally {
          await admin.req('PATCH', '/api/settings/workflow', { expertTargetMin: 120 });
        }
      });

      it('an answer in time means no notice, and its job is gone', async () => {
        const o = await ingest({ text: '@AcmeCare do you refund FX fees?' });
        const t0 = clock.now();
        const r = await ask(o.conversationId, { teamId: billing });
        clock.set(t0 + 10 * MIN);
        expect((await eli.post(`/api/expert-requests/${r.json.id}/answer`, { text: 'Yes, under £10 for debit cards.' })).status).toBe(200);
        clock.set(t0 + 45 * MIN);
        expect(await sweep()).toBe(0);
        await desk.parley.services.jobs.runDue(); // whatever else is due (SLA timers) runs; no notice among it
        expect(await notifications('expert.overdue', o.conversationId)).toHaveLength(0);
        const key = `expert:${r.json.id}`;
        if (dialect === 'sqlite') expect(await db().selectFrom('job').select('id').where('key', '=', key).execute()).toHaveLength(0);
        else expect((await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where key = ${key}`.execute(db())).rows[0]!.n).toBe(0);
      });

      it('schedules the notice as a keyed job at the due time; the job and the sweep together notify once', async () => {
        const o = await ingest({ text: '@AcmeCare where is my refund for the fee?' });
        const t0 = clock.now();
        const r = await ask(o.conversationId, { teamId: billing });
        const key = `expert:${r.json.id}`;
        if (dialect === 'sqlite') {
          const job = await db().selectFrom('job').select(['kind', 'run_at']).where('key', '=', key).executeTakeFirstOrThrow();
          expect(job).toEqual({ kind: 'expert.overdue', run_at: t0 + 30 * MIN });
          clock.set(t0 + 29 * MIN);
          await desk.parley.services.jobs.runDue();
          expect(await notifications('expert.overdue', o.conversationId)).toHaveLength(0);
          clock.set(t0 + 30 * MIN);
          await desk.parley.services.jobs.runDue();
        } else {
          // graphile-worker holds the job (its own clock runs it); here the sweep stands in for it
          const job = (await sql<{ task_identifier: string; run_at: Date }>`select task_identifier, run_at from graphile_worker.jobs where key = ${key}`.execute(db())).rows;
          expect(job.map((j) => [j.task_identifier, new Date(j.run_at).getTime()])).toEqual([['expert.overdue', t0 + 30 * MIN]]);
          clock.set(t0 + 30 * MIN);
          expect(await desk.parley.services.workflowCommands.notifyExpertOverdue(r.json.id)).toBe(true);
        }
        expect(await notifications('expert.overdue', o.conversationId)).toHaveLength(3);
        expect(await sweep()).toBe(0);
        expect(await notifications('expert.overdue', o.conversationId)).toHaveLength(3);
      });

      it('counts the target in business hours when the brand’s SLA does', async () => {
        const settings = (await admin.get('/api/settings/workflow')).json;
        await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: { timeZone: 'Europe/London', weekly: WEEKDAYS } });
        await admin.req('PATCH', '/api/settings/workflow', { sla: { ...settings.sla, businessHours: true } });
        try {
          clock.set(FRIDAY_1645);
          const o = await ingest({ text: '@AcmeCare charged twice for the FX fee' });
          const r = await ask(o.conversationId, { teamId: billing });
          expect(r.json.dueAt).toBe(iso(MONDAY_0915));
          clock.set(FRIDAY_1645 + 24 * 3600_000); // Saturday: long past 30 wall-clock minutes, not yet due
          expect(await sweep()).toBe(0);
          clock.set(MONDAY_0915);
          expect(await sweep()).toBe(1);
        } finally {
          await admin.req('PATCH', '/api/settings/workflow', { sla: settings.sla });
          await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: null });
        }
      });
    });
  });
}
