/**
 * A failed incident statement's error as people see it: as for a reply (src/outbox/replyError.ts),
 * the network's raw words (API URLs, token hints, account ids) reach admins only; everyone else
 * reads a plain summary of the error's class — in the incidents API and in the live `incident`
 * events. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelError, type Channel, type SendRequest } from '../src/channels/types.js';
import { createChannelAccount } from '../src/commands/setup.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, collectEvents, startDesk, type TestDesk } from './helpers/parley.js';

const RAW = 'POST https://api.example.com/2/tweets?oauth_token=EAABsbCS1iHgBAxyz failed: (#100) account 998877 suspended';
const LEAKS = /api\.example|oauth_token|998877|EAAB/;

for (const dialect of DIALECTS) {
  describe(`a failed incident statement's error, by role [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let agent: Client;
    let approver: Client;
    let accountId = 0;
    let incidentId = 0;
    let messageId = 0;
    const clock = new ManualClock(Date.UTC(2026, 10, 17, 10, 0));
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock, workers: false });
      const send = async (_req: SendRequest): Promise<{ networkMessageId: string }> => {
        throw new ChannelError('INVALID_REQUEST', RAW);
      };
      desk.parley.services.registry.register('failing', (account) => ({
        network: account.network, capabilities: { publicReply: true, privateMessage: true } as Channel['capabilities'],
        sendPrivateMessage: send, sendPublicReply: send,
      }) as unknown as Channel);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      agent = await Client.signIn(desk.url, 'ana@acme.test');
      approver = await Client.signIn(desk.url, 'cleo@acme.test');
      accountId = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'x', handle: 'AcmeNews', driver: 'failing' }, clock.now());
      // statements go out without a second sign-off here: the outbox takes them at once
      const settings = (await admin.get('/api/settings/workflow')).json;
      const off = await admin.req('PATCH', '/api/settings/workflow', { approval: { ...settings.approval, incident: { ...settings.approval.incident, statementSignOff: false } } });
      expect(off.status).toBe(200);
      const inc = await approver.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail with error 502 since 09:40' });
      incidentId = inc.json.id;
      const st = await approver.post(`/api/incidents/${incidentId}/statement`, { channelAccountId: accountId, text: 'Checkout is failing for some of you. We are on it and will update you here.' });
      expect(st.status).toBe(202);
      messageId = st.json.message.id;
      await desk.parley.services.outbox.runOnce();
      const row = await desk.db.store.db.selectFrom('message').select(['status', 'error']).where('id', '=', messageId).executeTakeFirstOrThrow();
      expect(row.status).toBe('failed');
      expect(row.error).toContain('api.example.com');
    });
    afterAll(async () => desk?.stop());

    const statementOf = (items: any[]) => items.find((i) => i.id === incidentId).statements.find((s: any) => s.messageId === messageId);

    it('an agent reads a plain summary in the incidents API, an admin also the network\'s words', async () => {
      const asAgent = await agent.get('/api/incidents');
      expect(asAgent.status).toBe(200);
      const theirs = statementOf(asAgent.json.items);
      expect(theirs).toMatchObject({ status: 'failed', errorDetail: null });
      expect(theirs.error).toMatch(/refused the reply as invalid/);
      expect(JSON.stringify(asAgent.json)).not.toMatch(LEAKS);
      const latest = asAgent.json.items.find((i: any) => i.id === incidentId).statement;
      expect(latest).toMatchObject({ messageId, error: theirs.error, errorDetail: null });

      const asApprover = await approver.get('/api/incidents');
      expect(JSON.stringify(asApprover.json)).not.toMatch(LEAKS);

      const asAdmin = await admin.get('/api/incidents');
      const adminView = statementOf(asAdmin.json.items);
      expect(adminView.error).toBe(theirs.error);
      expect(adminView.errorDetail).toBe(`INVALID_REQUEST: ${RAW}`);
    });

    it('the live incident event carries the summary to everyone, the raw text to admins only', async () => {
      const isIncident = (e: { type: string; data: any }) => e.type === 'incident' && e.data.id === incidentId;
      // closing the incident announces it, with its statements
      const forAgent = await collectEvents(desk, agent, (ev) => ev.some(isIncident), async () => {
        clock.advance(60_000);
        const r = await desk.parley.services.workflowCommands.closeIncident(null, desk.brandId, incidentId);
        expect(r?.status).toBe('closed');
      });
      const agentEvents = forAgent.filter(isIncident);
      expect(agentEvents.length).toBeGreaterThan(0);
      expect(statementOf(agentEvents.map((e) => e.data)).error).toMatch(/refused the reply as invalid/);
      expect(JSON.stringify(agentEvents)).not.toMatch(LEAKS);

      // an incident event again (a relink recount would do the same): the admin gets the detail after the summary
      const forAdmin = await collectEvents(desk, admin, (ev) => ev.some((e) => isIncident(e) && statementOf([e.data])?.errorDetail), async () => {
        await (desk.parley.services.workflowCommands as any).incidentEvent(desk.brandId, await desk.db.store.db.selectFrom('incident').selectAll().where('id', '=', incidentId).executeTakeFirst());
      });
      const adminEvents = forAdmin.filter(isIncident);
      expect(statementOf([adminEvents.at(-1)!.data]).errorDetail).toBe(`INVALID_REQUEST: ${RAW}`);
      expect(statementOf([adminEvents[0]!.data]).errorDetail).toBeNull();
    });
  });
}
