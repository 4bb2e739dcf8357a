/**
 * "A second person signs off" holds when the reviewer edits the text: approving with a text
 * of one's own does not send it. The reviewer becomes the author of the new text, it waits
 * for sign-off by someone else (the one who wrote the previous text may give it; the one who
 * rewrote it may not), and only then goes out, once — for replies waiting for sign-off and for
 * incident statements alike. Through the HTTP API on SQLite and PostgreSQL, outbox driven by
 * the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

// Tuesday 17 November 2026, 10:00 London
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`sign-off of a rewritten draft [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let cleo: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const outboxRows = (messageId: number) => db().selectFrom('outbox').selectAll().where('message_id', '=', messageId).execute();
    const messageRow = (id: number) => db().selectFrom('message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const runOutbox = async () => {
      await desk.parley.services.outbox.runOnce();
      await desk.parley.services.outbox.runOnce();
    };
    const auditOf = async (action: string) => (await db().selectFrom('audit_event').select(['actor', 'data', 'subject_type', 'subject_id']).where('action', '=', action).orderBy('id').execute()).map((a) => ({ ...a, data: JSON.parse(a.data ?? '{}') }));
    const notifications = (kind: string) => db().selectFrom('notification').select(['user_id', 'title', 'body']).where('kind', '=', kind).orderBy('user_id').execute();

    it('a reply rewritten by its reviewer is not sent: it waits for someone else, who may be anyone but the rewriter', async () => {
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: ['in_training'] });
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), text: '@AcmeCare can I return opened headphones?' })] })).json.outcomes[0];
      const r = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text: 'Hi Customer, yes u can return them whenever.' });
      expect(r.status).toBe(202);
      const mid = r.json.message.id as number;
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: [] });

      // Cleo rewrites it while "approving": nothing is sent, the words are hers now
      const mine = 'Hi Customer, yes: opened headphones can be returned within 30 days with the receipt.';
      clock.advance(60_000);
      const edit = await cleo.post(`/api/approvals/${mid}`, { decision: 'approve', text: mine, note: 'say the actual policy' });
      expect(edit.status).toBe(200);
      expect(edit.json.status).toBe('pending_approval');
      expect(edit.json.text).toBe(mine);
      expect(edit.json.authorUserId).toBe(desk.users.approver);
      await runOutbox();
      expect(await outboxRows(mid)).toHaveLength(0);
      expect((await messageRow(mid)).status).toBe('pending_approval');

      // the queue says who wrote the current text, and whose draft it replaced
      const queued = (await admin.get('/api/approvals')).json.items.find((x: any) => x.id === mid);
      expect(queued).toMatchObject({ authorUserId: desk.users.approver, authorName: 'Cleo Approver', text: mine, rewrite: { editedBy: desk.users.approver, editedByName: 'Cleo Approver', previousAuthorUserId: desk.users.ana, previousAuthorName: 'Ana Agent' } });
      expect(queued.reasons.map((x: any) => x.code)).toEqual(['approval.rewritten_at_sign_off', 'approval.agent_flagged']);

      // the one who rewrote it cannot sign it off, nor rewrite it again on her own say-so
      const own = await cleo.post(`/api/approvals/${mid}`, { decision: 'approve' });
      expect(own.status).toBe(403);
      expect(own.json.code).toBe('approval.own_draft');
      expect((await cleo.post(`/api/approvals/${mid}`, { decision: 'approve', text: `${mine} Thanks!` })).json.code).toBe('approval.own_draft');
      // Ana's words were replaced: she is told; and the trail keeps both texts and who wrote each
      expect((await notifications('reply.rewritten')).map((n) => [n.user_id, n.body])).toEqual([[desk.users.ana, 'say the actual policy']]);
      const [trail] = await auditOf('reply.rewritten_for_sign_off');
      expect(trail).toMatchObject({ actor: `user:${desk.users.approver}`, subject_id: String(mid), data: { before: 'Hi Customer, yes u can return them whenever.', after: mine, previousAuthorUserId: desk.users.ana, editedBy: desk.users.approver } });
      expect(await auditOf('reply.edited_and_approved')).toEqual([]);
      // nobody decided yet: no approval wait is measured
      expect(await db().selectFrom('reporting_fact').select('id').where('kind', '=', 'approval_wait').where('message_id', '=', mid).execute()).toHaveLength(0);

      // a second person signs it off: then it goes out once, with the text they read
      const ok = await admin.post(`/api/approvals/${mid}`, { decision: 'approve' });
      expect(ok.status).toBe(200);
      expect(ok.json.status).toBe('queued');
      await runOutbox();
      const sent = await messageRow(mid);
      expect(sent.status).toBe('sent');
      expect(sent.text).toBe(mine);
      expect(sent.author_user_id).toBe(desk.users.approver);
      expect(sent.reviewed_by).toBe(desk.users.admin);
      expect(await outboxRows(mid)).toHaveLength(1);
      expect((await notifications('reply.approved')).map((n) => n.user_id)).toEqual([desk.users.approver]);
    });

    it('a statement rewritten at sign-off waits again; its first author may now sign off the new words, its rewriter may not', async () => {
      const inc = await cleo.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail with error 502' });
      expect(inc.status).toBe(201);
      const first = 'We know checkout is failing and are on it. Updates here.';
      const st = await cleo.post(`/api/incidents/${inc.json.id}/statement`, { channelAccountId: desk.accountId, text: first });
      expect(st.status).toBe(202);
      const mid = st.json.message.id as number;

      const adas = 'Checkout is failing for some of you. We are fixing it and will post here when it works again.';
      const edit = await admin.post(`/api/approvals/${mid}`, { decision: 'approve', text: adas });
      expect(edit.status).toBe(200);
      expect(edit.json.status).toBe('pending_approval');
      await runOutbox();
      expect(await outboxRows(mid)).toHaveLength(0);
      const statement = (await cleo.get('/api/incidents')).json.items.find((i: any) => i.id === inc.json.id).statement;
      expect(statement).toMatchObject({ messageId: mid, status: 'pending_approval', text: adas, authorUserId: desk.users.admin });
      expect((await auditOf('incident.statement_rewritten_for_sign_off')).map((a) => [a.subject_id, a.data.messageId, a.data.previousAuthorUserId, a.data.editedBy])).toEqual([[String(inc.json.id), mid, desk.users.approver, desk.users.admin]]);
      // Cleo is told her statement was rewritten (and not asked twice)
      expect((await notifications('statement.rewritten')).map((n) => n.user_id)).toEqual([desk.users.approver]);

      expect((await admin.post(`/api/approvals/${mid}`, { decision: 'approve' })).json.code).toBe('approval.own_draft');
      const ok = await cleo.post(`/api/approvals/${mid}`, { decision: 'approve' });
      expect(ok.status).toBe(200);
      expect(ok.json.status).toBe('queued');
      await runOutbox();
      expect((await messageRow(mid)).status).toBe('sent');
      expect((await messageRow(mid)).text).toBe(adas);
      expect(await outboxRows(mid)).toHaveLength(1);
    });
  });
}
