/**
 * Mass problems and out-of-hours honesty, from a QA pass (HTTP API on SQLite and PostgreSQL,
 * hand-driven clock):
 *  - a lead who declares an incident gets that incident, also while the detector's "Unusual
 *    volume" or another declared incident is open (a recall during an outage); declaring the
 *    same title again, or twice at once, is the one already open;
 *  - a burst of spam opens no incident (the same volume of real mentions does);
 *  - the out-of-hours acknowledgement never goes to one of the brand's own accounts, nor to a
 *    bare "thanks!" / "all sorted" (nothing to answer), while a real question still gets it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoAckEligibility } from '../src/core/autoAck.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, markerTriage, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const nineToFive = [{ start: '09:00', end: '17:00' }];
const CALENDAR = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };
// November 2026: London is on UTC. Tuesday 17th.
const at = (day: number, h: number, m = 0) => Date.UTC(2026, 10, day, h, m);

describe('autoAckEligibility: the brand itself and bare thanks (pure)', () => {
  const base = { kind: 'mention', visibility: 'public', text: '@AcmeCare thanks!', triageAction: 'respond', triageCategory: 'brand', moderated: false, authorBlocked: false };
  it('refuses the brand\'s own accounts and messages that only close the conversation', () => {
    expect(autoAckEligibility(base, ['AcmeCare'])).toBeNull();
    expect(autoAckEligibility({ ...base, fromBrand: true }, ['AcmeCare'])).toBe('own_account');
    expect(autoAckEligibility({ ...base, closingOnly: true }, ['AcmeCare'])).toBe('no_response_needed');
  });
});

for (const dialect of DIALECTS) {
  describe(`incidents and auto-acknowledgements, QA [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let cleo: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(at(17, 10));
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());
    const db = () => desk.db.store.db;
    const openIncidents = async () => (await admin.get('/api/incidents')).json.items.filter((i: any) => i.status === 'open').map((i: any) => `${i.title} by ${i.openedBy === 'detector' ? 'detector' : 'a person'}`).sort();

    it('declares an incident of its own while the detector\'s or another is open, and holds replies for it', async () => {
      const det = await desk.parley.services.workflowCommands.openIncident(null, desk.brandId, { title: 'Unusual volume of mentions', reason: '42 mentions in 5 min, 6.3× the usual 6.7 for Tuesday 10:00' });
      const outage = await admin.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail since 09:40' });
      expect(outage.status).toBe(201);
      expect(outage.json.id).not.toBe(det.id);
      // a reply now waits for sign-off: a person's incident is open
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), text: '@AcmeCare how do I change my delivery address?' })] })).json.outcomes[0];
      const r = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text: 'Hi! You can change it under Account → Addresses.' });
      expect(r.json.message.status).toBe('pending_approval');
      expect(r.json.approval.reasons.map((x: any) => x.code)).toContain('approval.incident');
      // a second problem is a second incident; the same title again is the one open
      const recall = await cleo.post('/api/incidents', { title: 'Kettle recall', reason: 'Model K2 overheats' });
      expect(recall.status).toBe(201);
      const again = await cleo.post('/api/incidents', { title: 'checkout is down ', reason: 'Still failing' });
      expect(again.status).toBe(200);
      expect(again.json.id).toBe(outage.json.id);
      expect(await openIncidents()).toEqual(['Checkout is down by a person', 'Kettle recall by a person', 'Unusual volume of mentions by detector']);
      // two leads declaring the same thing at once: one incident
      const pair = await Promise.all([admin.post('/api/incidents', { title: 'App login fails', reason: 'Error 500 on sign-in' }), cleo.post('/api/incidents', { title: 'App login fails', reason: 'Users cannot sign in' })]);
      expect(pair.map((x) => x.status).sort()).toEqual([200, 201]);
      expect(pair[0]!.json.id).toBe(pair[1]!.json.id);
      expect(await db().selectFrom('incident').select('id').where('title', '=', 'App login fails').execute()).toHaveLength(1);
      // the detector opens nothing more while one is open
      const detAgain = await desk.parley.services.workflowCommands.openIncident(null, desk.brandId, { title: 'Unusual volume of mentions', reason: 'again' });
      expect(detAgain.created).toBe(false);
      for (const inc of await db().selectFrom('incident').select('id').where('status', '=', 'open').execute()) expect((await admin.post(`/api/incidents/${inc.id}/close`)).status).toBe(200);
      // the reply held only for the incidents goes out once the last one a person opened is closed
      expect((await db().selectFrom('message').select('status').where('id', '=', r.json.message.id).executeTakeFirstOrThrow()).status).toBe('queued');
    });

    it('acknowledges out of hours neither the brand\'s own accounts nor a bare thanks, and still a real question', async () => {
      const news = (await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeNews', driver: 'demo' })).json.id;
      await db().updateTable('channel_account').set({ external_id: 'x-acme-news' }).where('id', '=', news).execute();
      expect((await admin.req('PUT', `/api/channel-accounts/${desk.accountId}/calendar`, { calendar: CALENDAR })).status).toBe(200);
      const acc = await db().selectFrom('channel_account').select('settings').where('id', '=', desk.accountId).executeTakeFirstOrThrow();
      await db().updateTable('channel_account').set({ settings: JSON.stringify({ ...JSON.parse(acc.settings), autoAck: { enabled: true } }) }).where('id', '=', desk.accountId).execute();
      desk.parley.services.workflowSettings.invalidate();
      // nobody online: the desk is closed and nobody is on the conversations
      await db().updateTable('app_user').set({ availability: 'offline' }).where('brand_id', '=', desk.brandId).execute();
      const ingest = async (over: Parameters<typeof mention>[0]) => {
        const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), ...over })] });
        expect(r.json.outcomes[0].status).toBe('stored');
        return r.json.outcomes[0] as { conversationId: number };
      };
      const acks = async (conversationId: number) => (await db().selectFrom('message').select('text').where('conversation_id', '=', conversationId).where('is_auto', '=', 1).execute()).map((m) => m.text);

      clock.set(at(17, 20));
      const sister = await ingest({ author: { networkUserId: 'x-acme-news', handle: 'AcmeNews', displayName: 'Acme News' }, text: '@AcmeCare our winter range is in store today, have a look!' });
      expect(await acks(sister.conversationId)).toEqual([]);
      const self = await ingest({ author: { networkUserId: 'x-acme-care', handle: 'acmecare', displayName: 'Acme Care' }, text: '@AcmeCare testing our new order tracking page' });
      expect(await acks(self.conversationId)).toEqual([]);
      for (const text of ['@AcmeCare thanks!', '@AcmeCare thank you so much, all sorted now!']) expect(await acks((await ingest({ text })).conversationId)).toEqual([]);
      const question = await ingest({ text: '@AcmeCare thanks! where is my order #5512 though?' });
      expect(await acks(question.conversationId)).toEqual([expect.stringMatching(/tomorrow at 9:00 GMT/)]);
    });
  });

  describe(`burst detector and spam [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    const T = at(17, 10, 1);
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false, triage: markerTriage });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());
    const detect = () => desk.parley.services.workflowCommands.detectBursts(desk.brandId);
    /** `n` mentions in each of two 5-minute intervals from `start`. */
    const burst = async (start: number, n: number, tag: string) => {
      for (const k of [0, 1]) {
        const msgs = Array.from({ length: n }, (_, i) => mention({ createdAt: start + k * 5 * MIN + i * 5000, text: `@AcmeCare ${tag} ${k}-${i}` }));
        clock.set(Math.max(clock.now(), start + k * 5 * MIN + (n - 1) * 5000)); // received as written, not ahead of the clock
        const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs });
        expect(r.json.outcomes.every((o: any) => o.status === 'stored')).toBe(true);
      }
    };

    it('opens no incident for a burst of spam, and one for the same volume of real mentions', async () => {
      // two quiet days of history
      await detect();
      clock.set(T + 24 * HOUR);
      await detect();
      clock.set(T + 48 * HOUR - 10 * MIN);
      await detect();
      const start = T + 48 * HOUR - MIN; // Thursday 10:00
      await burst(start, 30, 'WIN A FREE PHONE, click the link #spam');
      clock.set(start + 11 * MIN);
      await detect();
      expect(await desk.db.store.db.selectFrom('incident').select('id').execute()).toEqual([]);
      await burst(start + 30 * MIN, 30, 'checkout fails with error 502, I cannot pay');
      clock.set(start + 41 * MIN);
      await detect();
      const incidents = await desk.db.store.db.selectFrom('incident').select(['opened_by', 'reason']).execute();
      expect(incidents).toHaveLength(1);
      expect(incidents[0]).toMatchObject({ opened_by: 'detector', reason: expect.stringMatching(/^30 mentions in 5 min/) });
    });
  });
}
