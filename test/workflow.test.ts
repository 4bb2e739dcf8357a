/**
 * The care workflow through the HTTP API: sign-off that nothing bypasses,
 * reply checks, out-of-hours acknowledgement exactly once, SLA warning and
 * breach at the right instants (hand-driven clock), routing with capacity,
 * and knowledge experts who see only what they are asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Saturday 14 November 2026, 03:00 London: closed for a Mon–Fri 09:00–17:00 desk.
const SATURDAY_3AM = Date.UTC(2026, 10, 14, 3, 0);
// Tuesday 17 November 2026, 10:00 London (UTC+0 in November): open.
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);
const WEEKDAYS = { mon: [{ start: '09:00', end: '17:00' }], tue: [{ start: '09:00', end: '17:00' }], wed: [{ start: '09:00', end: '17:00' }], thu: [{ start: '09:00', end: '17:00' }], fri: [{ start: '09:00', end: '17:00' }] };

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('care workflow', () => {
  let desk: TestDesk;
  let clock: ManualClock;
  let admin: Client;
  let ana: Client;
  let ben: Client;
  let cleo: Client;
  let eli: Client;
  beforeAll(async () => {
    clock = new ManualClock(TUESDAY_10AM);
    desk = await startDesk('sqlite', { clock });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ana = await Client.signIn(desk.url, 'ana@acme.test');
    ben = await Client.signIn(desk.url, 'ben@acme.test');
    cleo = await Client.signIn(desk.url, 'cleo@acme.test');
    eli = await Client.signIn(desk.url, 'eli@acme.test');
  });
  afterAll(async () => desk?.stop());

  const ingest = async (over = {}) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), ...over })] })).json.outcomes[0];
  const outboxRows = async (messageId: number) => desk.db.store.db.selectFrom('outbox').selectAll().where('message_id', '=', messageId).execute();

  it('refuses a link-only reply with reply.link_only and says why', async () => {
    const o = await ingest();
    const r = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text: 'https://help.acme.test/delivery' });
    expect(r.status).toBe(422);
    expect(r.json.code).toBe('reply.link_only');
    expect(r.json.detail).toMatch(/Answer first/i);
    const live = await ana.post('/api/reply-checks', { conversationId: o.conversationId, text: 'https://help.acme.test/delivery', visibility: 'public' });
    expect(live.json.ok).toBe(false);
    expect(live.json.results[0].code).toBe('reply.link_only');
  });

  it('holds a reply that needs sign-off out of the outbox until an approver approves it; a rejected one never goes', async () => {
    await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: ['in_training'] });
    const o = await ingest({ text: '@AcmeCare my refund never arrived' });
    const r = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text: 'Hi! So sorry — I have issued your refund of £20 today.' });
    expect(r.status).toBe(202);
    expect(r.json.message.status).toBe('pending_approval');
    expect(r.json.approval.reasons.map((x: any) => x.code)).toContain('approval.agent_flagged');
    const mid = r.json.message.id;
    expect(await outboxRows(mid)).toHaveLength(0);
    await desk.parley.services.outbox.runOnce();
    expect((await ana.get(`/api/conversations/${o.conversationId}`)).json.messages.find((m: any) => m.id === mid).status).toBe('pending_approval');
    // nobody approves their own reply, agents cannot approve
    expect((await ana.post(`/api/approvals/${mid}`, { decision: 'approve' })).status).toBe(403);
    const queue = await cleo.get('/api/approvals');
    expect(queue.json.items.map((m: any) => m.id)).toContain(mid);
    // an edit at sign-off makes the reviewer the author: not sent, back for someone else's sign-off
    const edited = await cleo.post(`/api/approvals/${mid}`, { decision: 'approve', text: 'Hi! So sorry about that — your £20 refund went out today.', note: 'softer wording' });
    expect(edited.json.status).toBe('pending_approval');
    expect((await cleo.post(`/api/approvals/${mid}`, { decision: 'approve' })).json.code).toBe('approval.own_draft');
    const ok = await admin.post(`/api/approvals/${mid}`, { decision: 'approve' });
    expect(ok.json.status).toBe('queued');
    const sent = await waitFor(async () => {
      const m = (await ana.get(`/api/conversations/${o.conversationId}`)).json.messages.find((x: any) => x.id === mid);
      return m.status === 'sent' ? m : null;
    });
    expect(sent.text).toBe('Hi! So sorry about that — your £20 refund went out today.');
    const audit = (await ana.get(`/api/conversations/${o.conversationId}`)).json.audit.map((e: any) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['reply.pending_approval', 'reply.rewritten_for_sign_off', 'reply.approved', 'reply.sent']));

    const o2 = await ingest();
    const r2 = await ana.post(`/api/conversations/${o2.conversationId}/replies`, { text: 'Hi there, let me look into this for you right away.' });
    const rej = await cleo.post(`/api/approvals/${r2.json.message.id}`, { decision: 'reject', note: 'check the order first' });
    expect(rej.json.status).toBe('rejected');
    await desk.parley.services.outbox.runOnce();
    expect(await outboxRows(r2.json.message.id)).toHaveLength(0);
    expect((await cleo.post(`/api/approvals/${r2.json.message.id}`, { decision: 'approve' })).json.code).toBe('approval.not_pending');
    await admin.req('PATCH', `/api/users/${desk.users.ana}`, { flags: [] });
  });

  it('acknowledges an out-of-hours message exactly once per closed period, and not as a first response', async () => {
    const cal = { timeZone: 'Europe/London', weekly: WEEKDAYS };
    const put = await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: cal });
    expect(put.json.availabilityLine).toMatch(/Mon/);
    const acc = await desk.db.store.db.selectFrom('channel_account').select('settings').where('id', '=', desk.accountId).executeTakeFirstOrThrow();
    await desk.db.store.db.updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse(acc.settings), autoAck: { enabled: true } }) }).where('id', '=', desk.accountId).execute();
    desk.parley.services.workflowSettings.invalidate();
    clock.set(SATURDAY_3AM);
    const author = { networkUserId: 'night-owl', handle: 'nightowl', displayName: 'Nina Owl' };
    const first = await ingest({ author, text: '@AcmeCare my card was charged twice' });
    clock.advance(5 * MIN);
    await ingest({ author, text: '@AcmeCare hello?? anyone there?' });
    clock.advance(5 * MIN);
    await ingest({ author, text: '@AcmeCare still waiting' });
    const acks = await desk.db.store.db.selectFrom('message').selectAll().where('conversation_id', '=', first.conversationId).where('is_auto', '=', 1).execute();
    expect(acks).toHaveLength(1);
    expect(acks[0]!.text).toMatch(/Monday/);
    expect(acks[0]!.text).toMatch(/Nina/);
    await waitFor(async () => (await desk.db.store.db.selectFrom('message').select('status').where('id', '=', acks[0]!.id).executeTakeFirstOrThrow()).status === 'sent');
    const conv = (await ana.get(`/api/conversations/${first.conversationId}`)).json.conversation;
    expect(conv.firstResponseAt).toBeNull(); // an auto-acknowledgement is not a response
    expect(conv.waitingSince).not.toBeNull();
    await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: null });
    clock.set(TUESDAY_10AM + 3600_000);
  });

  it('fires SLA warning at 75 % and breach at the target, with a hand-driven clock', async () => {
    const start = clock.now();
    const o = await ingest({ text: '@AcmeCare the app crashes on login' });
    const conv = async () => (await ana.get(`/api/conversations/${o.conversationId}`)).json.conversation;
    expect((await conv()).slaState).toBe('active');
    expect((await conv()).slaDueAt).toBe(new Date(start + 30 * MIN).toISOString());
    const jobs = desk.parley.services.jobs;
    clock.set(start + 22 * MIN);
    await jobs.runDue();
    expect((await conv()).slaState).toBe('active');
    clock.set(start + 22.5 * MIN);
    await jobs.runDue();
    expect((await conv()).slaState).toBe('warning');
    clock.set(start + 30 * MIN);
    await jobs.runDue();
    expect((await conv()).slaState).toBe('breached');
    const audit = (await ana.get(`/api/conversations/${o.conversationId}`)).json.audit;
    const warn = audit.find((e: any) => e.action === 'sla.warning');
    const breach = audit.find((e: any) => e.action === 'sla.breached');
    expect(warn.createdAt).toBe(new Date(start + 22.5 * MIN).toISOString());
    expect(breach.createdAt).toBe(new Date(start + 30 * MIN).toISOString());
    const facts = await desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'occurred_at']).where('conversation_id', '=', o.conversationId).where('kind', 'like', 'sla_%').execute();
    expect(facts).toEqual([{ kind: 'sla_breached', occurred_at: start + 30 * MIN }]);
    // the team lead is told (the conversation is unassigned, so there is no assignee to tell)
    const lead = (await cleo.get('/api/notifications')).json.items.filter((n: any) => n.conversationId === o.conversationId).map((n: any) => n.kind);
    expect(lead.sort()).toEqual(['sla.breached', 'sla.warning']);
  });

  it('routes to a team, assigns within capacity, queues the rest, and assigns the moment capacity frees', async () => {
    await admin.req('PATCH', `/api/users/${desk.users.ana}`, { capacity: 1 });
    await admin.req('PATCH', `/api/users/${desk.users.ben}`, { capacity: 1 });
    await admin.req('PATCH', `/api/users/${desk.users.approver}`, { availability: 'offline' });
    // clear what earlier tests left open so loads start at zero
    const open = await desk.db.store.db.selectFrom('conversation').select('id').where('status', '!=', 'resolved').execute();
    for (const c of open) await admin.post(`/api/conversations/${c.id}/status`, { status: 'resolved' });
    await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } });
    const a = await ingest({ author: { networkUserId: 'r1', handle: 'r1' }, text: '@AcmeCare one' });
    clock.advance(MIN);
    const b = await ingest({ author: { networkUserId: 'r2', handle: 'r2' }, text: '@AcmeCare two' });
    clock.advance(MIN);
    const c = await ingest({ author: { networkUserId: 'r3', handle: 'r3' }, text: '@AcmeCare three' });
    const get = async (id: number) => (await admin.get(`/api/conversations/${id}`)).json.conversation;
    const assigned = [await get(a.conversationId), await get(b.conversationId)].map((x) => x.assigneeId).sort();
    expect(assigned).toEqual([desk.users.ana, desk.users.ben].sort());
    expect((await get(c.conversationId)).assigneeId).toBeNull();
    expect((await get(c.conversationId)).teamId).toBe(desk.teamId);
    const queues = (await admin.get('/api/queues')).json.items.find((q: any) => q.id === desk.teamId);
    expect(queues.waiting).toBe(1);
    // a follow-up from customer r1 goes back to its owner, even at capacity
    const owner = (await get(a.conversationId)).assigneeId;
    await ingest({ author: { networkUserId: 'r1', handle: 'r1' }, text: '@AcmeCare and another thing', createdAt: clock.now() - 1 });
    expect((await get(a.conversationId)).assigneeId).toBe(owner);
    // resolving frees capacity: the queued one is assigned at once
    const ownerClient = owner === desk.users.ana ? ana : ben;
    await ownerClient.post(`/api/conversations/${a.conversationId}/status`, { status: 'resolved' });
    expect((await get(c.conversationId)).assigneeId).toBe(owner);
  });

  it('lets an expert see and answer only what they are asked, while the agent keeps the conversation', async () => {
    const o = await ingest({ text: '@AcmeCare why was I charged a foreign transaction fee?' });
    const other = await ingest({ text: '@AcmeCare unrelated' });
    await admin.post(`/api/conversations/${o.conversationId}/assign`, { assigneeId: desk.users.ana });
    expect((await eli.get(`/api/conversations/${o.conversationId}`)).status).toBe(403);
    const req = await ana.post(`/api/conversations/${o.conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'Do we refund FX fees on debit cards?' });
    expect(req.status).toBe(201);
    expect((await eli.get('/api/expert-requests')).json.items.map((r: any) => r.id)).toEqual([req.json.id]);
    expect((await eli.get(`/api/conversations/${o.conversationId}`)).status).toBe(200);
    expect((await eli.get(`/api/conversations/${other.conversationId}`)).status).toBe(403);
    expect((await eli.get('/api/conversations')).status).toBe(403);
    clock.advance(12 * MIN);
    const ans = await eli.post(`/api/expert-requests/${req.json.id}/answer`, { text: 'Yes for debit cards if under £10; otherwise raise a billing ticket.' });
    expect(ans.status).toBe(200);
    const d = (await ana.get(`/api/conversations/${o.conversationId}`)).json;
    expect(d.notes.map((n: any) => n.text)).toContain('Yes for debit cards if under £10; otherwise raise a billing ticket.');
    expect(d.conversation.assigneeId).toBe(desk.users.ana);
    const f = await desk.db.store.db.selectFrom('reporting_fact').select('value_s').where('kind', '=', 'expert_wait').where('conversation_id', '=', o.conversationId).execute();
    expect(f).toEqual([{ value_s: 720 }]);
  });

  it('takes a conversation private with network wording, and the private thread joins it', async () => {
    const author = { networkUserId: 'p1', handle: 'pat', displayName: 'Pat Smith' };
    const o = await ingest({ author, text: '@AcmeCare my account is locked' });
    const r = await ana.post(`/api/conversations/${o.conversationId}/take-private`, { reason: 'account' });
    expect(r.status).toBe(202);
    expect(r.json.message.visibility).toBe('public');
    expect(r.json.message.text).toMatch(/DM/);
    clock.advance(2 * MIN);
    const dm = await ingest({ author, visibility: 'private', kind: 'dm', text: 'here are my details: pat@example.com' });
    expect(dm.conversationId).toBe(o.conversationId);
  });

  it('measures resolution and expert waits in business hours too, on the account\'s calendar', async () => {
    await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: { timeZone: 'Europe/London', weekly: WEEKDAYS } });
    try {
      clock.set(SATURDAY_3AM);
      const o = await ingest({ author: { networkUserId: 'weekend-1', handle: 'weekender' }, text: '@AcmeCare is the FX fee refundable?' });
      clock.advance(60 * MIN);
      const req = await ana.post(`/api/conversations/${o.conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'FX fee refunds?' });
      clock.advance(2 * 60 * MIN);
      expect((await eli.post(`/api/expert-requests/${req.json.id}/answer`, { text: 'Refundable under £10.' })).status).toBe(200);
      clock.advance(60 * MIN);
      expect((await ana.post(`/api/conversations/${o.conversationId}/status`, { status: 'resolved' })).status).toBe(200);
      const facts = await desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'value_s', 'business_s']).where('conversation_id', '=', o.conversationId).where('kind', 'in', ['resolution', 'expert_wait']).orderBy('kind').execute();
      // all of it on a Saturday night: hours on the wall clock, none in business hours
      expect(facts).toEqual([
        { kind: 'expert_wait', value_s: 2 * 3600, business_s: 0 },
        { kind: 'resolution', value_s: 4 * 3600, business_s: 0 },
      ]);
    } finally {
      await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: null });
      clock.set(TUESDAY_10AM + 3 * 3600_000);
    }
  });

  it('lets an admin change a team after creating it: name, assignment and members with leads, audited', async () => {
    const created = await admin.post('/api/teams', { name: 'Billing', routingStrategy: 'round_robin', members: [{ userId: desk.users.ana }] });
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect((await ana.req('PATCH', `/api/teams/${id}`, { name: 'Nope' })).status).toBe(403);
    const bad = await admin.req('PATCH', `/api/teams/${id}`, { name: 'Billing & refunds', members: [{ userId: desk.users.ben, isLead: true }, { userId: 999_999 }] });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('team.unknown_user');
    const ok = await admin.req('PATCH', `/api/teams/${id}`, { name: 'Billing & refunds', routingStrategy: 'least_loaded', members: [{ userId: desk.users.ben, isLead: true }, { userId: desk.users.ana }] });
    expect(ok.status).toBe(200);
    const team = (await admin.get('/api/teams')).json.items.find((t: any) => t.id === id);
    expect(team).toMatchObject({ name: 'Billing & refunds', routingStrategy: 'least_loaded' });
    expect([...team.members].sort((a: any, b: any) => a.userId - b.userId)).toEqual([{ userId: desk.users.ana, isLead: false }, { userId: desk.users.ben, isLead: true }].sort((a, b) => a.userId - b.userId));
    const audits = await desk.db.store.db.selectFrom('audit_event').select(['action', 'data']).where('subject_type', '=', 'team').where('subject_id', '=', String(id)).orderBy('id').execute();
    expect(audits.map((a) => a.action)).toEqual(['team.created', 'team.updated']); // the refused change left nothing
    expect(JSON.parse(audits[1]!.data!).before.name).toBe('Billing');
  });
});
