/**
 * The reporting facts of a conversation's first message carry the team routing chose for it in
 * the same batch (a new conversation has no stored team yet): filtered by team, the volume and
 * response-rate reports count every first message. Through the HTTP API, on SQLite and
 * PostgreSQL: 6 mentions routed, 5 to Care and 1 to Billing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);
const BRAND = { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 };

for (const dialect of DIALECTS) {
  describe(`team filters count first messages [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let billing = 0;
    let billingAccount = 0;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const team = await admin.post('/api/teams', { name: 'Billing', routingStrategy: 'least_loaded', members: [{ userId: desk.users.ben }] });
      expect(team.status).toBe(201);
      billing = team.json.id;
      billingAccount = (await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeBilling', driver: 'demo' })).json.id;
      const s = await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [{ id: 'billing', teamId: String(billing), when: { channelAccountIds: [String(billingAccount)] } }], defaultTeamId: String(desk.teamId) } });
      expect(s.status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const period = `from=${new Date(T - 86_400_000).toISOString()}&to=${new Date(T + 86_400_000).toISOString()}`;
    const report = async (name: string, team: number) => {
      const r = await admin.get(`/api/reports/${name}?${period}&team=${team}`);
      expect(r.status).toBe(200);
      return r.json;
    };

    it('files each first message under the team routing chose for it', async () => {
      const care: ReturnType<typeof mention>[] = [];
      for (let i = 0; i < 6; i++) {
        const account = i === 5 ? billingAccount : desk.accountId;
        const m = mention({ text: `@AcmeCare my order #${100 + i} has not arrived, where is it?`, createdAt: clock.now() });
        const o = (await admin.post('/api/ingest/messages', { channelAccountId: account, messages: [m] })).json.outcomes[0];
        expect(o.status).toBe('stored');
        const row = await desk.db.store.db.selectFrom('conversation').select('team_id').where('id', '=', o.conversationId).executeTakeFirstOrThrow();
        expect(row.team_id).toBe(i === 5 ? billing : desk.teamId);
        if (i < 5) care.push(m);
        clock.advance(MIN);
      }
      expect((await report('volume', desk.teamId)).total).toBe(5);
      expect((await report('volume', billing)).total).toBe(1);
      const careRate = await report('response-rate', desk.teamId);
      expect(careRate).toMatchObject({ needed: 5, answered: 0, untriaged: 0 });
      expect((await report('response-rate', billing)).needed).toBe(1);

      // Care answers three of its five: the rate is of the team's own first messages
      for (const m of care.slice(0, 3)) {
        await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ direction: 'outbound', fromBrand: true, author: BRAND, text: `@${m.author.handle} Sorry, we are looking into it`, inReplyToNetworkId: m.networkMessageId, createdAt: clock.now() })] });
      }
      expect(await report('response-rate', desk.teamId)).toMatchObject({ needed: 5, answered: 3, rate: 0.6 });
      expect(await report('response-rate', billing)).toMatchObject({ needed: 1, answered: 0, rate: 0 });
    });
  });
}
