/**
 * The reporting facts of a conversation's first message carry the team routing chose for it in
 * the same batch (a new conversation has no stored team yet): filtered by team, the volume and
 * response-rate reports count every first message. Through the HTTP API, on SQLite and
 * PostgreSQL: 6 mentions routed, 5 to Care and 1 to Billing. A team SCIM deletes is gone from
 * routing, the pickers and SCIM, but the reports of its past facts still name it (also those
 * removed before its name was kept: the migration finds them in the audit trail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { createBrand, createTeam } from '../src/commands/setup.js';
import { peopleReport } from '../src/reports/reports.js';
import { audit } from '../src/store/audit.js';
import { factRow } from '../src/store/facts.js';
import { rebuildRollups } from '../src/store/rollup.js';
import { up as keepRetiredTeams } from '../src/store/migrations/20261206T1930_retired_team.js';
import { describeEachStore, DIALECTS } from './db.js';
import { scimRequest } from './helpers/scim.js';
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

    it('still names a team SCIM deleted in the reports of its past work, while it is gone from routing, the pickers and SCIM', async () => {
      const token = (await admin.post('/api/scim-tokens', { label: 'Okta' })).json.token as string;
      const scim = (method: string, path: string, body?: unknown) => scimRequest(desk.url, token, method, path, body);
      const made = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Returns', members: [{ value: String(desk.users.ben) }] });
      expect(made.status, JSON.stringify(made.json)).toBe(201);
      const returns = Number(made.json.id);
      const routeTo = async (teamId: number) => expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [{ id: 'billing', teamId: String(teamId), when: { channelAccountIds: [String(billingAccount)] } }], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
      await routeTo(returns);
      // a conversation Returns works: routed to it, answered (a first response filed under it)
      const m = mention({ text: '@AcmeCare I want to send these shoes back', createdAt: clock.now() });
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: billingAccount, messages: [m] })).json.outcomes[0];
      expect((await desk.db.store.db.selectFrom('conversation').select('team_id').where('id', '=', o.conversationId).executeTakeFirstOrThrow()).team_id).toBe(returns);
      clock.advance(MIN);
      await admin.post('/api/ingest/messages', { channelAccountId: billingAccount, messages: [mention({ direction: 'outbound', fromBrand: true, author: BRAND, text: `@${m.author.handle} Of course, here is the label`, inReplyToNetworkId: m.networkMessageId, createdAt: clock.now() })] });
      const named = async () => ((await report('teams', returns)).rows as { id: number; name: string; first_responses: number }[]).find((r) => r.id === returns);
      expect(await named()).toMatchObject({ name: 'Returns', first_responses: 1 });
      // the provider drops the group once its work has moved on: routing elsewhere, the conversation to Care
      await routeTo(billing);
      expect((await admin.post(`/api/conversations/${o.conversationId}/assign`, { teamId: desk.teamId })).status).toBe(200);
      expect((await scim('DELETE', `/Groups/${returns}`)).status).toBe(204);
      expect(await desk.db.store.db.selectFrom('team').select('id').where('id', '=', returns).executeTakeFirst()).toBeUndefined();
      expect((await admin.get('/api/teams')).json.items.map((t: { id: number }) => t.id)).not.toContain(returns);
      expect((await scim('GET', '/Groups')).json.Resources).toEqual([]);
      // its past work is still filed under it, by name
      expect(await named()).toMatchObject({ name: 'Returns', first_responses: 1 });
      const handling = await report('handling-time', returns);
      for (const t of handling.by_team as { team_id: number; name: string }[]) expect(t.name).not.toMatch(/^#/);
      // Returns was the newest team: the next one does not take its id (nor its past work)
      const next = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Exchanges' });
      expect(next.status, JSON.stringify(next.json)).toBe(201);
      expect(Number(next.json.id)).toBeGreaterThan(returns);
      expect(await named()).toMatchObject({ name: 'Returns', first_responses: 1 });
    });
  });
}

describeEachStore('migration: the names of teams removed before it', (get, dialect) => {
  it('keeps the name of each team the audit trail says was deleted (not of one still there)', async () => {
    const { store } = get();
    const brandId = await createBrand(store.db, { slug: 'gone', name: 'Gone', timezone: 'Europe/London' }, T);
    const kept = await createTeam(store.db, { brandId, name: 'Kept' }, T);
    await store.db.schema.dropTable('retired_team').execute();
    await audit(store.db, { brandId, actor: 'scim:Okta', action: 'team.deleted', subjectType: 'team', subjectId: 9001, data: { name: 'Returns', externalId: null, membersRemoved: [] } }, T);
    await audit(store.db, { brandId, actor: 'scim:Okta', action: 'team.deleted', subjectType: 'team', subjectId: kept, data: { name: 'Old name of a reused id' } }, T);
    await keepRetiredTeams(store.db, { dialect, id: ['bigint', (c) => c] });
    expect(await store.db.selectFrom('retired_team').select(['id', 'brand_id', 'name']).where('brand_id', '=', brandId).execute()).toEqual([{ id: 9001, brand_id: brandId, name: 'Returns' }]);
    // a report of facts filed under it names it
    await store.db.insertInto('reporting_fact').values(factRow({ brandId, timezone: 'Europe/London', conversationId: 1, messageId: 1, agentId: null, teamId: 9001, channelAccountId: null, network: 'x', visibility: 'public', priority: 0, category: null }, 'resolution', T, null, null, null)).execute();
    await rebuildRollups(store, brandId);
    expect((await peopleReport(store, { brandId }, 'team')).rows.map((r) => [r.id, r.name])).toEqual([[9001, 'Returns']]);
  });
});
