/**
 * SLA targets are bounded, and no stored setting can stop the desk, on SQLite and PostgreSQL:
 *  - the settings API refuses a target over 365 days (and an experts' answer target over
 *    14 days) with 400 and a message in the minutes the settings page takes;
 *  - a policy saved before the bound, or edited by hand in the database, with a target whose
 *    deadline no date can hold (1e12 minutes made every new mention fail with 500 `Invalid
 *    time value` and lost it), or one that does not even parse as a policy, still lets
 *    messages be ingested and stored: such a deadline is none, the broken parts are left out;
 *  - an SLA memo or due date written under such a policy is presented as no deadline, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../src/core/sla.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);
const HUGE_MIN = 1_000_000_000_000; // what the admin typed into "Target in minutes"
const WEEKDAYS = { mon: [{ start: '09:00', end: '17:00' }], tue: [{ start: '09:00', end: '17:00' }], wed: [{ start: '09:00', end: '17:00' }], thu: [{ start: '09:00', end: '17:00' }], fri: [{ start: '09:00', end: '17:00' }] };

for (const dialect of DIALECTS) {
  describe(`SLA targets no date can hold [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    /** Writes the brand's SLA policy straight into the database, as an old or hand-edited row has it (no validation). */
    const storePolicy = async (sla: unknown) => {
      const row = await db().selectFrom('brand').select('settings').where('id', '=', desk.brandId).executeTakeFirstOrThrow();
      const settings = row.settings ? JSON.parse(row.settings) : {};
      settings.workflow = { ...(settings.workflow ?? {}), sla };
      await db().updateTable('brand').set({ settings: JSON.stringify(settings) }).where('id', '=', desk.brandId).execute();
      desk.parley.services.workflowSettings.invalidate(desk.brandId);
    };
    const hugePolicy = (extra: Partial<SlaPolicy> = {}): SlaPolicy => ({
      ...DEFAULT_SLA_POLICY,
      targets: [{ metric: 'first_response', targetMs: HUGE_MIN * MIN }, { metric: 'next_response', targetMs: 1e20 }, { metric: 'resolution', targetMs: 24 * 60 * MIN }],
      ...extra,
    });
    const ingest = async (text: string) => {
      const m = mention({ text, createdAt: clock.now() });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      return { r, m };
    };
    /** The mention was stored (not failed, not quarantined): its message row and conversation exist and present. */
    const expectStored = async (r: { status: number; json: any }, m: ReturnType<typeof mention>) => {
      expect(r.status).toBe(200);
      expect(r.json.outcomes[0]).toMatchObject({ status: 'stored' });
      const row = await db().selectFrom('message').select(['id', 'conversation_id']).where('network_message_id', '=', m.networkMessageId).executeTakeFirstOrThrow();
      expect(row.conversation_id).toBe(r.json.outcomes[0].conversationId);
      expect(await db().selectFrom('quarantine').select('id').execute()).toEqual([]);
      const view = await ana.get(`/api/conversations/${row.conversation_id}`);
      expect(view.status).toBe(200);
      expect(view.json.messages.map((x: any) => x.id)).toContain(row.id);
      return { conversationId: row.conversation_id as number, conversation: view.json.conversation };
    };
    const clocksOf = async (id: number) => {
      const r = await ana.get(`/api/conversations/${id}/sla`);
      expect(r.status).toBe(200);
      return Object.fromEntries(r.json.items.map((k: any) => [k.metric, k]));
    };

    it('the settings API refuses a target over 365 days with 400, saying so in minutes, and keeps what was saved', async () => {
      const before = (await admin.get('/api/settings/workflow')).json.sla;
      const r = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'first_response', targetMs: HUGE_MIN * MIN }, { metric: 'resolution', targetMs: 24 * 60 * MIN }] } });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('settings.invalid');
      expect(r.json.errors).toEqual([`First response target must be at most 365 days (got ${HUGE_MIN} min)`]);
      const e20 = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'next_response', targetMs: 1e20 }] } });
      expect(e20.status).toBe(400);
      expect(e20.json.errors).toHaveLength(1);
      expect(e20.json.errors[0]).toMatch(/^Next response target must be at most 365 days \(got [\d.]+ min\)$/);
      expect((await admin.get('/api/settings/workflow')).json.sla).toEqual(before);
      // a year is allowed; a minute more is not
      const year = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'resolution', targetMs: 365 * 24 * 60 * MIN }] } });
      expect(year.status).toBe(200);
      const more = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'resolution', targetMs: (365 * 24 * 60 + 1) * MIN }] } });
      expect(more.json.errors).toEqual(['Resolution target must be at most 365 days (got 525601 min)']);
      // the experts' answer target, in the same units
      const experts = await admin.req('PATCH', '/api/settings/workflow', { expertTargetMin: 1_000_000_000 });
      expect(experts.status).toBe(400);
      expect(experts.json.detail).toContain("Experts' answer target must be at most 14 days (got 1000000000 min)");
      expect((await admin.req('PATCH', '/api/settings/workflow', { sla: DEFAULT_SLA_POLICY })).status).toBe(200);
    });

    it('a huge target saved directly in the database still lets mentions be ingested and stored, with no deadline for it', async () => {
      await storePolicy(hugePolicy());
      const start = clock.now();
      const { r, m } = await ingest('@AcmeCare my card was charged twice, this is a disgrace');
      const { conversationId, conversation } = await expectStored(r, m);
      const clocks = await clocksOf(conversationId);
      expect(clocks.first_response).toMatchObject({ state: 'active', dueAt: null, warningAt: null, startedAt: new Date(start).toISOString() });
      expect(clocks.resolution).toMatchObject({ state: 'active', dueAt: new Date(start + 24 * 60 * MIN).toISOString() });
      // the conversation's due date is the running response clock's: none
      expect(conversation.slaDueAt).toBeNull();
      expect(conversation.slaState).toBe('active');

      // the workflow keeps working on it: a reply sent stops the clock as met
      clock.advance(10 * MIN);
      expect((await ana.post(`/api/conversations/${conversationId}/replies`, { text: 'So sorry about that! I have refunded the second charge.', visibility: 'public' })).status).toBe(202);
      await desk.parley.services.outbox.runOnce();
      expect((await clocksOf(conversationId)).first_response).toMatchObject({ state: 'met', dueAt: null, stoppedAt: new Date(clock.now()).toISOString() });
      // and the customer writing again: a next-response clock with a 1e20 ms target
      clock.advance(5 * MIN);
      const again = mention({ author: m.author, text: '@AcmeCare and the first one?', inReplyToNetworkId: m.networkMessageId, createdAt: clock.now() });
      const r2 = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [again] });
      expect(r2.json.outcomes[0]).toMatchObject({ status: 'stored', conversationId });
      expect((await clocksOf(conversationId)).next_response).toMatchObject({ state: 'active', dueAt: null });
    });

    it('counted in business hours too, without walking the calendar for ages', async () => {
      expect((await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: { timeZone: 'Europe/London', weekly: WEEKDAYS } })).status).toBe(200);
      try {
        await storePolicy(hugePolicy({ businessHours: true, targets: [{ metric: 'first_response', targetMs: 1e15 }, { metric: 'resolution', targetMs: HUGE_MIN * MIN }] }));
        const { r, m } = await ingest('@AcmeCare the app crashes on login every time');
        const { conversationId } = await expectStored(r, m);
        const clocks = await clocksOf(conversationId);
        expect(clocks.first_response).toMatchObject({ state: 'active', dueAt: null, businessHours: true });
        expect(clocks.resolution).toMatchObject({ state: 'active', dueAt: null });
      } finally {
        await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: null });
      }
    });

    it('a stored policy that does not parse is evaluated as far as it can be: ingest never fails on it', async () => {
      // not a list of targets at all: the default policy applies
      await storePolicy({ targets: 'all of them', warningRatio: 'soon' });
      const start = clock.now();
      const a = await ingest('@AcmeCare where is my parcel? it is a week late');
      const first = await expectStored(a.r, a.m);
      expect((await clocksOf(first.conversationId)).first_response).toMatchObject({ dueAt: new Date(start + 30 * MIN).toISOString() });
      // broken targets left out, bands that are not a list replaced by the default ones
      await storePolicy({ targets: [{ metric: 'first_response', targetMs: -5 }, null, { metric: 'resolution', targetMs: 8 * 60 * MIN }], priorityBands: 5, warningRatio: 4 });
      const b = await ingest('@AcmeCare I was charged twice for one order');
      const second = await expectStored(b.r, b.m);
      const clocks = await clocksOf(second.conversationId);
      expect(clocks.first_response).toBeUndefined();
      expect(clocks.resolution).toMatchObject({ dueAt: new Date(start + 8 * 60 * MIN).toISOString(), warningAt: new Date(start + 6 * 60 * MIN).toISOString() });
    });

    it('presents a due date or memo written under such a policy as no deadline, never a 500', async () => {
      await storePolicy(DEFAULT_SLA_POLICY);
      const { r, m } = await ingest('@AcmeCare nobody answers the phone');
      const { conversationId } = await expectStored(r, m);
      // what a desk that evaluated a 1e12-minute target before this fix could have written
      const memo = { announced: {}, clocks: [{ metric: 'first_response', cycle: 1, state: 'active', dueAt: 6e16, warningAt: 4.5e16, targetMs: 6e16, businessHours: false, startedAt: clock.now(), stoppedAt: null }], h: 0 };
      await db().updateTable('conversation').set({ sla_due_at: 6e16, sla: JSON.stringify(memo) }).where('id', '=', conversationId).execute();
      const view = await ana.get(`/api/conversations/${conversationId}`);
      expect(view.status).toBe(200);
      expect(view.json.conversation.slaDueAt).toBeNull();
      expect((await ana.get('/api/conversations?status=new')).status).toBe(200);
      expect((await clocksOf(conversationId)).first_response).toMatchObject({ dueAt: null, warningAt: null, startedAt: new Date(clock.now()).toISOString() });
      // the next evaluation writes the real clocks back
      await desk.parley.services.workflow.refreshSla(conversationId);
      expect((await ana.get(`/api/conversations/${conversationId}`)).json.conversation.slaDueAt).toBe(new Date(clock.now() + 30 * MIN).toISOString());
    });
  });
}
