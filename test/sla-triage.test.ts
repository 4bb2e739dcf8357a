/**
 * SLA response clocks follow triage: they run only for a customer's wait that needs an answer
 * (triage action `respond`, or untriaged). A conversation triaged monitor or ignore (trolls,
 * spam) starts no first-response clock, never breaches it, is not overdue and counts in the
 * SLA report neither way; a triage correction to ignore/monitor withdraws the running clock —
 * a breach it had is taken back (fact, report, the notices and alerts) — and a correction back
 * to respond restarts it from when the customer began waiting. The pure rule first, then
 * the desk on both engines (ingest from the row's triage, corrections through the API).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactSlaTimeline, DEFAULT_SLA_POLICY, evaluateSla, type SlaEvent } from '../src/core/sla.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, markerTriage, markerTriageOf, mention, pendingSlaTimer, startDesk, streamFor, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 17, 10, 0);

describe('evaluateSla: the latest wait needs an answer or has no response clock', () => {
  const conv = (events: SlaEvent[], needsResponse?: boolean) => ({ visibility: 'public' as const, priority: 0, events, needsResponse });

  it('a wait that needs no answer has no first-response clock: no deadline, no breach, nothing in history', () => {
    const ev = evaluateSla(DEFAULT_SLA_POLICY, conv([{ type: 'inbound', at: T }], false), T + 40 * MIN);
    expect(ev.firstResponse).toBeNull();
    expect(ev.history).toEqual([]);
    // nor a resolution clock: a conversation that needs no response is never overdue
    expect(ev.resolution).toBeNull();
    expect(ev.withdrawn).toMatchObject([{ metric: 'resolution', startedAt: T, state: 'active' }, { metric: 'first_response', startedAt: T, state: 'breached' }]);
    expect(ev.nextChangeAt).toBeNull();
  });

  it('needing an answer again brings the clock back from where the customer began waiting', () => {
    const events: SlaEvent[] = [{ type: 'inbound', at: T }, { type: 'inbound', at: T + 10 * MIN, chaser: true }];
    const ev = evaluateSla(DEFAULT_SLA_POLICY, conv(events, true), T + 25 * MIN);
    expect(ev.firstResponse).toMatchObject({ startedAt: T, dueAt: T + 30 * MIN, state: 'warning' });
    expect(ev.withdrawn).toEqual([]);
    // omitted: as before (untriaged conversations keep their clocks)
    expect(evaluateSla(DEFAULT_SLA_POLICY, conv(events), T + 25 * MIN)).toEqual(ev);
  });

  it('only the latest wait: earlier waits keep their clocks, a reply to a wait that needs none is neither met nor breached', () => {
    const events: SlaEvent[] = [{ type: 'inbound', at: T }, { type: 'outbound', at: T + 10 * MIN }, { type: 'inbound', at: T + 20 * MIN }, { type: 'outbound', at: T + 90 * MIN }];
    const ev = evaluateSla(DEFAULT_SLA_POLICY, conv(events, false), T + 100 * MIN);
    expect(ev.history.map((c) => `${c.metric}:${c.state}`)).toEqual(['resolution:active', 'first_response:met']);
    expect(ev.nextResponse).toBeNull();
    expect(ev.withdrawn).toMatchObject([{ metric: 'next_response', startedAt: T + 20 * MIN, stoppedAt: T + 90 * MIN, state: 'breached' }]);
  });

  it('a wait that needed no answer stays without a clock once the customer writes again, whatever the new wait needs', () => {
    // a troll, answered anyway, posts again
    const events: SlaEvent[] = [{ type: 'inbound', at: T }, { type: 'outbound', at: T + 10 * MIN }, { type: 'inbound', at: T + 50 * MIN }];
    const first = evaluateSla(DEFAULT_SLA_POLICY, conv(events.slice(0, 2), false), T + 10 * MIN);
    expect(first.withdrawn.map((c) => [c.metric, c.startedAt])).toEqual([['resolution', T], ['first_response', T]]);
    const again = evaluateSla(DEFAULT_SLA_POLICY, { ...conv(events, false), withdrawnWaits: [T] }, T + 90 * MIN);
    expect(again.firstResponse).toBeNull();
    expect(again.nextResponse).toBeNull();
    expect(again.history).toEqual([]);
    expect(again.withdrawn.map((c) => [c.metric, c.startedAt])).toEqual([['resolution', T], ['first_response', T], ['next_response', T + 50 * MIN]]);
    // the new wait needing an answer gets its clock; the old one does not come back
    const needed = evaluateSla(DEFAULT_SLA_POLICY, { ...conv(events, true), withdrawnWaits: [T] }, T + 90 * MIN);
    expect(needed.firstResponse).toBeNull();
    expect(needed.nextResponse).toMatchObject({ startedAt: T + 50 * MIN, state: 'breached' });
    expect(needed.withdrawn.map((c) => c.startedAt)).toEqual([T]);
  });

  it('a cycle that already needed an answer keeps clocks for the customer\'s follow-ups, whatever triage makes of them alone', () => {
    const events: SlaEvent[] = [{ type: 'inbound', at: T }, { type: 'outbound', at: T + 10 * MIN }, { type: 'inbound', at: T + 20 * MIN }];
    const sticky = evaluateSla(DEFAULT_SLA_POLICY, { ...conv(events, false), neededInCycle: 1 }, T + 45 * MIN);
    expect(sticky.cycle).toBe(1);
    expect(sticky.withdrawn).toEqual([]);
    expect(sticky.nextResponse).toMatchObject({ startedAt: T + 20 * MIN, state: 'warning' });
    // needed in an earlier cycle only: the wait of this one (reopened by the customer) has no clock
    const reopened: SlaEvent[] = [...events, { type: 'outbound', at: T + 25 * MIN }, { type: 'status', at: T + 30 * MIN, status: 'resolved' }, { type: 'inbound', at: T + 40 * MIN }];
    const later = evaluateSla(DEFAULT_SLA_POLICY, { ...conv(reopened, false), neededInCycle: 1 }, T + 45 * MIN);
    expect(later.cycle).toBe(2);
    expect(later.firstResponse).toBeNull();
    expect(later.withdrawn).toMatchObject([{ metric: 'resolution', cycle: 2, startedAt: T + 40 * MIN }, { metric: 'first_response', cycle: 2, startedAt: T + 40 * MIN }]);
  });

  it('a new cycle the brand began (reopened with the brand having the last word) withdraws nothing of the last one', () => {
    const events: SlaEvent[] = [{ type: 'inbound', at: T }, { type: 'outbound', at: T + 10 * MIN }, { type: 'status', at: T + 20 * MIN, status: 'resolved' }, { type: 'reopened', at: T + 30 * MIN }];
    const ev = evaluateSla(DEFAULT_SLA_POLICY, conv(events, false), T + 40 * MIN);
    expect(ev.withdrawn).toEqual([]);
    expect(ev.history.filter((c) => c.metric === 'first_response')).toHaveLength(1);
  });

  it('the shortened timeline gives the same clocks, withdrawn one and next change as the whole one, needed or not', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 400; n++) {
      const events: SlaEvent[] = [];
      let at = T;
      for (let i = 0, len = 2 + Math.floor(rnd() * 14); i < len; i++) {
        at += Math.floor(rnd() * 50) * MIN;
        const r = rnd();
        if (r < 0.45) events.push({ type: 'inbound', at, chaser: rnd() < 0.3 });
        else if (r < 0.8) events.push({ type: 'outbound', at, autoAck: rnd() < 0.15 });
        else events.push({ type: 'status', at, status: (['resolved', 'open', 'waiting'] as const)[Math.floor(rnd() * 3)]! });
      }
      const now = at + Math.floor(rnd() * 60) * MIN;
      const short = compactSlaTimeline(events, now).events;
      const withdrawnWaits = events.filter((e) => e.type === 'inbound' && rnd() < 0.3).map((e) => e.at);
      for (const needsResponse of [true, false]) {
        const a = evaluateSla(DEFAULT_SLA_POLICY, { ...conv(events, needsResponse), withdrawnWaits }, now);
        const b = evaluateSla(DEFAULT_SLA_POLICY, { ...conv(short, needsResponse), withdrawnWaits }, now);
        // withdrawn clocks whose events the shortening dropped are over (and settled) in both
        const kept = (w: typeof a.withdrawn) => w.filter((c) => short.some((e) => e.at === c.startedAt && e.type === 'inbound'));
        expect([b.firstResponse, b.nextResponse, b.resolution, kept(b.withdrawn), b.nextChangeAt, b.cycle]).toEqual([a.firstResponse, a.nextResponse, a.resolution, kept(a.withdrawn), a.nextChangeAt, a.cycle]);
      }
    }
  });
});

const triage = markerTriage;


async function eventually<V>(fn: () => Promise<V | null | undefined | false>, what: string, ms = 5000): Promise<V> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const dialect of DIALECTS) {
  describe(`SLA clocks follow triage [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    let cleo: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false, triage });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
    });
    afterAll(async () => desk?.stop());

    let n = 0;
    const author = () => ({ networkUserId: `sla-triage-${++n}`, handle: `customer${n}`, displayName: `Customer ${n}`, followers: 10 });
    const ingest = async (text: string, over: Partial<ReturnType<typeof mention>> = {}) => {
      const m = mention({ author: author(), text: `@AcmeCare ${text}`, createdAt: clock.now(), ...over });
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0];
      return { m, conversationId: o.conversationId as number, messageId: o.messageId as number };
    };
    const conv = async (id: number) => (await ana.get(`/api/conversations/${id}`)).json.conversation;
    const clocks = async (id: number) => (await ana.get(`/api/conversations/${id}/sla`)).json;
    const slaFacts = (id: number) => desk.db.store.db.selectFrom('reporting_fact').select(['kind', 'occurred_at', 'data']).where('conversation_id', '=', id).where('kind', 'like', 'sla_%').orderBy('id').execute();
    const overdue = async () => (await ana.get('/api/conversations?view=all&dueWithinMin=0&limit=200')).json.items.map((c: any) => c.id) as number[];
    const report = async () => (await admin.get(`/api/reports/sla?from=${new Date(T - 86_400_000).toISOString()}&to=${new Date(T + 7 * 86_400_000).toISOString()}`)).json;
    const notices = async (client: Client, id: number) => (await client.get('/api/notifications')).json.items.filter((x: any) => x.conversationId === id && x.kind.startsWith('sla.'));
    /** What the conversations' `sla:<id>` timers do when they run (on both engines: graphile-worker keeps its own time). */
    const runTimers = async () => {
      const ids = await desk.db.store.db.selectFrom('conversation').select('id').where('brand_id', '=', desk.brandId).execute();
      await desk.parley.services.workflow.refreshSlaMany(ids.map((r) => Number(r.id)));
    };
    const correct = (messageId: number, labels: Record<string, string>) => ana.post(`/api/messages/${messageId}/triage`, labels);

    it('starts no first-response clock for a post triaged monitor (a troll): no warning, no breach, not overdue, not in the report', async () => {
      const start = clock.now();
      const troll = await ingest('you are all useless clowns #troll');
      const answered = await ingest('my order never came');
      let c = await conv(troll.conversationId);
      expect(c.slaState).toBeNull(); // nor a resolution clock
      expect(c.slaDueAt).toBeNull();
      expect((await clocks(troll.conversationId)).items).toEqual([]);
      for (const at of [22.5, 30, 45]) {
        clock.set(start + at * MIN);
        await runTimers();
      }
      c = await conv(troll.conversationId);
      expect(c.slaState).toBeNull();
      expect(await slaFacts(troll.conversationId)).toEqual([]);
      expect(await notices(cleo, troll.conversationId)).toEqual([]);
      expect(await overdue()).not.toContain(troll.conversationId);
      // the other conversation, which needs an answer, did breach
      expect((await conv(answered.conversationId)).slaState).toBe('breached');
      expect(await overdue()).toContain(answered.conversationId);
      expect((await report()).breached).toBe(1);
      // an agent answering the troll anyway: no response clock was running, so nothing is met
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ direction: 'outbound', fromBrand: true, text: '@troll We are here if you need us.', inReplyToNetworkId: troll.m.networkMessageId, createdAt: clock.now(), author: { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 } })] });
      expect(await slaFacts(troll.conversationId)).toEqual([]);
      expect((await report()).met).toBe(0);
    });

    it('a troll answered anyway who posts again starts no clock either, and no withdrawn clock comes back as met or breached', async () => {
      const start = clock.now();
      const o = await ingest('clowns, all of you #troll');
      const brand = { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 };
      const reply = mention({ direction: 'outbound', fromBrand: true, author: brand, text: '@troll We are here if you need us', inReplyToNetworkId: o.m.networkMessageId, createdAt: start + 40 * MIN });
      clock.set(start + 40 * MIN);
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [reply] });
      clock.set(start + 50 * MIN);
      const again = mention({ author: o.m.author, text: '@AcmeCare still clowns #troll', inReplyToNetworkId: reply.networkMessageId, createdAt: clock.now() });
      expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [again] })).json.outcomes[0].conversationId).toBe(o.conversationId);
      clock.set(start + 120 * MIN);
      await runTimers();
      expect((await clocks(o.conversationId)).items).toEqual([]);
      expect(await slaFacts(o.conversationId)).toEqual([]);
      expect(await notices(cleo, o.conversationId)).toEqual([]);
    });

    it('withdraws, at its next evaluation, the breached clock of a troll stored before the rule (a memo without `r`)', async () => {
      const start = clock.now();
      const o = await ingest('nobody cares about you lot');
      clock.set(start + 30 * MIN);
      await runTimers();
      expect((await slaFacts(o.conversationId)).map((f) => f.kind)).toEqual(['sla_breached']);
      // as an older Parley left it: triaged monitor, yet a breached first-response clock, and no `r` in the memo
      const row = await desk.db.store.db.selectFrom('conversation').select('sla').where('id', '=', o.conversationId).executeTakeFirstOrThrow();
      const { r: _r, w: _w, ...legacy } = JSON.parse(row.sla!);
      await desk.db.store.db.updateTable('conversation').set({ triage_action: 'monitor', category: 'abuse', sla: JSON.stringify(legacy) }).where('id', '=', o.conversationId).execute();
      await desk.db.store.db.updateTable('message').set({ triage_action: 'monitor', triage_category: 'abuse' }).where('id', '=', o.messageId).execute();
      clock.set(start + 35 * MIN);
      await runTimers();
      expect((await conv(o.conversationId)).slaState).toBeNull();
      expect(await slaFacts(o.conversationId)).toEqual([]);
      expect((await notices(cleo, o.conversationId)).every((x: any) => x.read)).toBe(true);
    });

    it('keeps the clock of an untriaged post (it may need an answer): it breaches', async () => {
      const start = clock.now();
      const o = await ingest('hello? #untriaged');
      clock.set(start + 30 * MIN);
      await runTimers();
      expect((await conv(o.conversationId)).slaState).toBe('breached');
      expect((await slaFacts(o.conversationId)).map((f) => f.kind)).toEqual(['sla_breached']);
    });

    it('a correction to spam withdraws a breached clock: fact, report, overdue, notices and alerts; back to respond restores it from the first wait', async () => {
      const start = clock.now();
      const o = await ingest('where is my refund');
      clock.set(start + 22.5 * MIN);
      await runTimers();
      clock.set(start + 30 * MIN);
      await runTimers();
      expect((await conv(o.conversationId)).slaState).toBe('breached');
      expect((await slaFacts(o.conversationId)).map((f) => [f.kind, Number(f.occurred_at)])).toEqual([['sla_breached', start + 30 * MIN]]);
      const breachedBefore = (await report()).breached;
      expect((await notices(cleo, o.conversationId)).map((x: any) => [x.kind, x.read])).toEqual([['sla.breached', false], ['sla.warning', false]]);
      const unreadBefore = (await cleo.get('/api/notifications')).json.unread;
      const events = collect(desk, cleo, ['sla', 'notification.read']);
      await new Promise((r) => setTimeout(r, 200));

      clock.set(start + 40 * MIN);
      expect((await correct(o.messageId, { category: 'spam' })).status).toBe(200);
      const c = await eventually(async () => {
        const x = await conv(o.conversationId);
        return x.slaState !== 'breached' && x;
      }, 'the clock withdrawn');
      expect([c.triageAction, c.category]).toEqual(['ignore', 'spam']);
      // no timer: the resolution clock is withdrawn with it (spam is never overdue)
      expect(await pendingSlaTimer(desk, o.conversationId)).toBeNull();
      expect(c.slaState).toBeNull();
      expect(c.slaDueAt).toBeNull();
      expect((await clocks(o.conversationId)).items).toEqual([]);
      expect(await slaFacts(o.conversationId)).toEqual([]);
      expect((await report()).breached).toBe(breachedBefore - 1);
      expect(await overdue()).not.toContain(o.conversationId);
      expect((await notices(cleo, o.conversationId)).map((x: any) => x.read)).toEqual([true, true]);
      expect((await cleo.get('/api/notifications')).json.unread).toBe(unreadBefore - 2);
      const audit = (await ana.get(`/api/conversations/${o.conversationId}`)).json.audit;
      expect(audit.filter((e: any) => e.action === 'sla.withdrawn').map((e: any) => e.data.clock).sort()).toEqual(['first_response', 'resolution']);
      const heard = await events;
      expect(heard).toContainEqual({ type: 'sla', data: { conversationId: o.conversationId, clock: 'first_response', state: 'withdrawn', dueAt: null } });
      expect(heard.filter((e) => e.type === 'notification.read')).toHaveLength(1);
      // no timer for it: time passing breaches nothing
      clock.set(start + 60 * MIN);
      await runTimers();
      expect(await slaFacts(o.conversationId)).toEqual([]);

      // back to respond: the customer has been waiting since `start`, so it is breached again, once
      expect((await correct(o.messageId, { action: 'respond', category: 'customer_service' })).status).toBe(200);
      const back = await eventually(async () => {
        const x = await conv(o.conversationId);
        return x.slaState === 'breached' && x;
      }, 'the clock back');
      expect(back.slaDueAt).toBe(new Date(start + 30 * MIN).toISOString());
      expect((await clocks(o.conversationId)).items.find((x: any) => x.metric === 'first_response')).toMatchObject({ startedAt: new Date(start).toISOString(), state: 'breached' });
      expect((await slaFacts(o.conversationId)).map((f) => [f.kind, Number(f.occurred_at)])).toEqual([['sla_breached', start + 30 * MIN]]);
      expect((await report()).breached).toBe(breachedBefore);
      await desk.parley.services.workflow.refreshSla(o.conversationId);
      expect(await slaFacts(o.conversationId)).toHaveLength(1);
    });

    it('a correction to monitor before the warning means no warning ever; back to respond before the target warns and breaches on time', async () => {
      const start = clock.now();
      const o = await ingest('my card was charged twice');
      clock.set(start + 10 * MIN);
      expect((await correct(o.messageId, { action: 'monitor' })).status).toBe(200);
      await eventually(async () => (await clocks(o.conversationId)).items.every((x: any) => x.metric === 'resolution'), 'the clock withdrawn');
      clock.set(start + 22.5 * MIN);
      await runTimers();
      expect(await notices(cleo, o.conversationId)).toEqual([]);
      expect(await overdue()).not.toContain(o.conversationId);
      clock.set(start + 25 * MIN);
      expect((await correct(o.messageId, { action: 'respond' })).status).toBe(200);
      const c = await eventually(async () => {
        const x = await conv(o.conversationId);
        return x.slaState === 'warning' && x;
      }, 'the warning');
      expect(c.slaDueAt).toBe(new Date(start + 30 * MIN).toISOString());
      clock.set(start + 30 * MIN);
      await runTimers();
      expect((await conv(o.conversationId)).slaState).toBe('breached');
      expect((await slaFacts(o.conversationId)).map((f) => [f.kind, Number(f.occurred_at)])).toEqual([['sla_breached', start + 30 * MIN]]);
    });

    it('keeps a next-response clock for a follow-up triage alone would monitor, until a person says it needs none', async () => {
      const start = clock.now();
      const o = await ingest('my parcel has not arrived');
      const brand = { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 };
      const reply = mention({ direction: 'outbound', fromBrand: true, author: brand, text: '@customer It is on its way', inReplyToNetworkId: o.m.networkMessageId, createdAt: start + 5 * MIN });
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [reply] });
      clock.set(start + 10 * MIN);
      const follow = mention({ author: o.m.author, text: '@AcmeCare which courier? #troll', inReplyToNetworkId: reply.networkMessageId, createdAt: clock.now() });
      const f = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [follow] })).json.outcomes[0];
      expect(f.conversationId).toBe(o.conversationId);
      expect((await conv(o.conversationId)).triageAction).toBe('monitor');
      expect((await clocks(o.conversationId)).items.find((x: any) => x.metric === 'next_response')).toMatchObject({ startedAt: new Date(start + 10 * MIN).toISOString(), state: 'active' });
      // a correction of the first message that leaves the conversation's triage as it was changes nothing
      expect((await correct(o.messageId, { sentiment: 'neutral' })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect((await clocks(o.conversationId)).items.map((x: any) => x.metric).sort()).toEqual(['first_response', 'next_response', 'resolution']);
      // a person saying the follow-up needs no answer withdraws it; the answered first wait keeps its clock
      expect((await correct(f.messageId, { action: 'monitor' })).status).toBe(200);
      await eventually(async () => !(await clocks(o.conversationId)).items.some((x: any) => x.metric === 'next_response'), 'the next-response clock withdrawn');
      expect((await clocks(o.conversationId)).items.find((x: any) => x.metric === 'first_response')).toMatchObject({ state: 'met' });
      // and it stays withdrawn when the clocks are evaluated again later
      clock.set(start + 60 * MIN);
      await runTimers();
      expect((await clocks(o.conversationId)).items.map((x: any) => x.metric).sort()).toEqual(['first_response', 'resolution']);
      expect((await slaFacts(o.conversationId)).map((f) => JSON.parse(String(f.data)).clock)).toEqual(['first_response']);
    });

    it('follows the message that speaks for the conversation, not only its latest one', async () => {
      const start = clock.now();
      const o = await ingest('the app deletes my photos');
      // an "ok thanks"-like follow-up while the first waits does not speak for the conversation
      const follow = mention({ author: o.m.author, text: '@AcmeCare #troll lol', createdAt: clock.now() + MIN, inReplyToNetworkId: o.m.networkMessageId });
      expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [follow] })).json.outcomes[0].conversationId).toBe(o.conversationId);
      expect((await conv(o.conversationId)).slaState).toBe('active');
      expect((await conv(o.conversationId)).triageAction).toBe('respond');
      expect((await clocks(o.conversationId)).items.map((x: any) => x.metric).sort()).toEqual(['first_response', 'resolution']);
      clock.set(start + 5 * MIN);
      expect((await correct(o.messageId, { category: 'spam' })).status).toBe(200);
      await eventually(async () => (await clocks(o.conversationId)).items.every((x: any) => x.metric === 'resolution'), 'the clock withdrawn');
    });
  });
}

/** `types` events on a person's live stream for ~2 s. */
const collect = async (desk: TestDesk, client: Client, types: string[]) => (await streamFor(desk, client, 2000)).filter((e) => types.includes(e.type));
