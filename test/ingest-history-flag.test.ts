/**
 * An ingest item flagged `history` is resolved history whatever its age (the demo's past days):
 * a conversation minutes old, flagged, is stored resolved — never routed, clocked or
 * acknowledged, without a waiting-time priority — while the same conversation unflagged (an
 * import, or live traffic) is live work. A conversation already live stays live when flagged
 * history continues it. SQLite and PostgreSQL, through the desk's own pipeline (routing on, an
 * out-of-hours acknowledgement on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import type { MessageSource } from '../src/pipeline/ingest.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const HOUR = 3600_000;
const nineToFive = [{ start: '09:00', end: '17:00' }];
const CALENDAR = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };
// Monday 16 November 2026, 20:00 London (UTC then): out of hours, so a live mention is acknowledged
const T = Date.UTC(2026, 10, 16, 20, 0);

for (const dialect of DIALECTS) {
  describe(`ingest items flagged history [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock: new ManualClock(T), workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // routing on: live work is queued for Care; the out-of-hours acknowledgement on
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
      expect((await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: CALENDAR })).status).toBe(200);
      const acc = await db().selectFrom('channel_account').select('settings').where('id', '=', desk.accountId).executeTakeFirstOrThrow();
      await db().updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse(acc.settings), autoAck: { enabled: true } }) }).where('id', '=', desk.accountId).execute();
      // nobody online at 20:00: live work waits in the queue, and the customer is told when we are back
      await db().updateTable('app_user').set({ availability: 'offline' }).where('brand_id', '=', desk.brandId).execute();
      desk.parley.services.workflowSettings.invalidate();
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;

    /** A customer's mention five minutes ago, unanswered, and another's of three hours ago answered an hour later; stored with `opts`. */
    async function ingestPair(tag: string, opts: { source: MessageSource; history?: boolean }) {
      const waiting = mention({ networkMessageId: `${tag}-1`, author: { networkUserId: `${tag}-u1`, handle: `${tag}one` }, text: '@AcmeCare my order #1234 has not arrived, where is it?', createdAt: T - 5 * 60_000 });
      const asked = mention({ networkMessageId: `${tag}-2`, author: { networkUserId: `${tag}-u2`, handle: `${tag}two` }, text: '@AcmeCare my parcel is lost, can you help?', createdAt: T - 3 * HOUR });
      const reply = mention({
        networkMessageId: `${tag}-3`, direction: 'outbound', kind: 'reply', inReplyToNetworkId: `${tag}-2`,
        author: { networkUserId: 'acmecare', handle: 'AcmeCare' }, text: `@${tag}two Sorry! Please DM us your order number`, createdAt: T - 2 * HOUR,
      });
      const items = [asked, reply, waiting].map((message) => ({ channelAccountId: desk.accountId, message, ...opts }));
      const outcomes = await desk.parley.services.pipeline.ingest(desk.brandId, items);
      expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'stored']);
      return outcomes.map((o) => (o as { conversationId: number }).conversationId);
    }

    async function conversation(id: number) {
      const c = await db().selectFrom('conversation').select(['status', 'team_id', 'assignee_id', 'queued_at', 'sla', 'sla_due_at', 'waiting_since', 'first_response_at']).where('id', '=', id).executeTakeFirstOrThrow();
      const acks = await db().selectFrom('message').select('id').where('conversation_id', '=', id).where('is_auto', '=', 1).execute();
      const triage = await db().selectFrom('message').select('triage').where('conversation_id', '=', id).where('direction', '=', 'inbound').execute();
      const facts = await db().selectFrom('reporting_fact').select('kind').where('conversation_id', '=', id).execute();
      return { ...c, acks: acks.length, waitingPriority: triage.some((m) => m.triage?.includes('waiting_time')), factKinds: facts.map((f) => f.kind).sort() };
    }

    it('stores a flagged conversation younger than a week as resolved history: no routing, SLA clocks or acknowledgement', async () => {
      const [asked, answered, waiting] = await ingestPair('flag', { source: 'import', history: true });
      expect(asked).toBe(answered);
      for (const id of [answered!, waiting!]) {
        const c = await conversation(id);
        expect(c).toMatchObject({ status: 'resolved', team_id: null, assignee_id: null, queued_at: null, sla: null, sla_due_at: null, acks: 0, waitingPriority: false });
        expect(c.factKinds.filter((k) => k.startsWith('sla_') || k === 'reopen')).toEqual([]);
        // resolved outside Parley: one resolution at its last message, no agent (test/qa-sup-history-resolutions.test.ts)
        expect(c.factKinds.filter((k) => k === 'resolution')).toEqual(['resolution']);
        expect(c.factKinds).toContain('inbound'); // still in the reports
      }
      expect((await conversation(answered!)).first_response_at).toBe(T - 2 * HOUR);
      expect((await conversation(answered!)).factKinds).toContain('first_response');
      // nothing in the live inbox, the queues or the backlog
      const counts = (await admin.get('/api/conversations/counts')).json;
      for (const view of ['new', 'open', 'team', 'waiting']) expect(counts[view] ?? 0, view).toBe(0);
      expect((await admin.get('/api/reports/backlog')).json.oldest).toEqual([]);
      expect(await db().selectFrom('audit_event').select('id').where('brand_id', '=', desk.brandId).where('action', '=', 'conversation.queued').execute()).toEqual([]);
    });

    it('keeps the same conversations unflagged as live work: routed, clocked, acknowledged', async () => {
      const [, answered, waiting] = await ingestPair('plain', { source: 'import' });
      const w = await conversation(waiting!);
      expect(w).toMatchObject({ status: 'new', team_id: desk.teamId, acks: 1, waitingPriority: true });
      expect(w.queued_at).not.toBeNull();
      expect(w.sla).not.toBeNull();
      expect(w.sla_due_at).not.toBeNull();
      expect((await conversation(answered!)).status).toBe('open');
    });

    it('keeps a live conversation live when flagged history continues it', async () => {
      const live = mention({ networkMessageId: 'live-1', author: { networkUserId: 'live-u', handle: 'liveone' }, text: '@AcmeCare my refund never came', createdAt: T - HOUR });
      const [o] = await desk.parley.services.pipeline.ingest(desk.brandId, [{ channelAccountId: desk.accountId, message: live, source: 'network' }]);
      const id = (o as { conversationId: number }).conversationId;
      expect((await conversation(id)).status).toBe('new');
      const reply = mention({
        networkMessageId: 'live-2', direction: 'outbound', kind: 'reply', inReplyToNetworkId: 'live-1',
        author: { networkUserId: 'acmecare', handle: 'AcmeCare' }, text: '@liveone Sorry! Please DM us', createdAt: T - HOUR / 2,
      });
      const [r] = await desk.parley.services.pipeline.ingest(desk.brandId, [{ channelAccountId: desk.accountId, message: reply, source: 'import', history: true }]);
      expect((r as { conversationId: number }).conversationId).toBe(id);
      const c = await conversation(id);
      expect(c.status).toBe('open');
      expect(c.team_id).toBe(desk.teamId);
    });
  });
}
