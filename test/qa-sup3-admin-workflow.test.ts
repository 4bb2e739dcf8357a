/**
 * Three admin/workflow defects a QA pass found, through the HTTP API on SQLite and PostgreSQL:
 * routing saved towards a team nobody works answers with a warning naming it (and Queues flags
 * it), the business-hours editor learns the brand's time zone, and a brand may keep moderation
 * to its leads (`moderation.allowedRoles`): agents refused with 403 moderation.role_not_allowed,
 * the setting validated, round-tripped and audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capabilities, Channel } from '../src/channels/types.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`QA admin/workflow [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client, ana: Client, cleo: Client;
    let modAccount = 0;
    let guideline = 0;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      const caps = { publicReply: true, privateMessage: true, hide: true, delete: true, block: true, mute: true, like: true, fetchProfile: true, fetchThread: true, search: true, webhook: true, poll: true, stream: true } as Capabilities;
      desk.parley.services.registry.register('qa3modnet', (account) => ({
        network: account.network, capabilities: caps,
        async sendPublicReply() { return { networkMessageId: 'r' }; },
        async hide() {},
        async delete() {},
        async block() {},
        async mute() {},
        async unblock() {},
        async unmute() {},
      }) as Channel);
      modAccount = (await admin.post('/api/channel-accounts', { network: 'facebook', handle: 'AcmeQa3', driver: 'qa3modnet' })).json.id;
      guideline = (await admin.post('/api/guidelines', { code: 'spam', title: 'No spam', description: 'Advertising and scam links are hidden.', allowedActions: ['hide', 'block'] })).json.id;
    });
    afterAll(async () => desk?.stop());

    const audits = async () => (await desk.db.store.db.selectFrom('audit_event').select(['action', 'data']).where('action', '=', 'settings.workflow').orderBy('id', 'asc').execute()).map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) : r.data));

    it('routing to a team with no members is saved with a warning naming it; Queues flags the team', async () => {
      const spanish = (await admin.post('/api/teams', { name: 'Spanish', routingStrategy: 'skills' })).json.id as number;
      const r = await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [{ teamId: String(spanish), when: { languages: ['es'] } }], defaultTeamId: String(desk.teamId) } });
      expect(r.status).toBe(200);
      // saved, not refused
      expect(r.json.routing.rules[0].teamId).toBe(String(spanish));
      expect(r.json.warnings).toHaveLength(1);
      expect(r.json.warnings[0]).toMatchObject({ teamId: String(spanish), team: 'Spanish' });
      expect(r.json.warnings[0].message).toMatch(/Team "Spanish" has no members/);
      // the team with members gets no warning
      expect(r.json.warnings.map((w: { team: string }) => w.team)).not.toContain('Support');

      const q = await ana.get('/api/queues');
      const row = q.json.items.find((t: { id: number }) => t.id === spanish);
      expect(row).toMatchObject({ routed: true, agents: [] });
      expect(q.json.items.find((t: { id: number }) => t.id === desk.teamId)).toMatchObject({ routed: true });

      // a member who is disabled does not count
      const u = await admin.post('/api/users', { email: 'sofia@acme.test', name: 'Sofía Leaver', role: 'agent', password: 'correct horse battery', capacity: 5 });
      expect((await admin.req('PATCH', `/api/teams/${spanish}`, { members: [{ userId: u.json.id }] })).status).toBe(200);
      expect((await admin.req('PATCH', `/api/users/${u.json.id}`, { disabled: true })).status).toBe(200);
      const again = await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [{ teamId: String(spanish), when: { languages: ['es'] } }], defaultTeamId: String(desk.teamId) } });
      expect(again.json.warnings.map((w: { message: string }) => w.message)).toEqual(['Team "Spanish" has only disabled members: conversations routed to it will wait in its queue until someone joins it']);
      // once someone works it, no warning
      expect((await admin.req('PATCH', `/api/teams/${spanish}`, { members: [{ userId: desk.users.ben }] })).status).toBe(200);
      const fine = await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [{ teamId: String(spanish), when: { languages: ['es'] } }], defaultTeamId: String(desk.teamId) } });
      expect(fine.json.warnings).toEqual([]);
      // saving something else says nothing about routing
      expect((await admin.req('PATCH', '/api/settings/workflow', { expertTargetMin: 90 })).json.warnings).toEqual([]);
    });

    it('the availability of an account names the brand\'s time zone for the hours editor', async () => {
      const r = await admin.get(`/api/channel-accounts/${desk.accountId}/availability`);
      expect(r.status).toBe(200);
      expect(r.json.brandTimeZone).toBe('Europe/London');
    });

    it('moderation: allowed to agents by default, refused with a clear 403 when the brand keeps it to leads', async () => {
      const posts = (await admin.post('/api/ingest/messages', { channelAccountId: modAccount, messages: [mention({ network: 'facebook', kind: 'comment', text: 'Buy cheap followers at spam.example' }), mention({ network: 'facebook', kind: 'comment', text: 'Crypto giveaway at scam.example' })] })).json.outcomes.map((o: { messageId: number }) => o.messageId) as number[];
      const [first, second] = posts as [number, number];
      const hide = { action: 'hide', guidelineId: guideline, evidence: 'Advertises bought followers with a link.' };

      expect((await ana.get('/api/moderation/policy')).json).toEqual({ allowedRoles: ['agent', 'approver', 'admin'], allowed: true, reason: null });
      expect((await admin.get('/api/settings/workflow')).json.moderation).toEqual({ allowedRoles: ['agent', 'approver', 'admin'] });
      const ok = await ana.post(`/api/messages/${first}/moderation`, hide);
      expect(ok.status).toBe(200);

      const set = await admin.req('PATCH', '/api/settings/workflow', { moderation: { allowedRoles: ['approver', 'admin'] } });
      expect(set.status).toBe(200);
      expect(set.json.moderation).toEqual({ allowedRoles: ['approver', 'admin'] });
      expect((await admin.get('/api/settings/workflow')).json.moderation).toEqual({ allowedRoles: ['approver', 'admin'] });

      const refused = await ana.post(`/api/messages/${second}/moderation`, { ...hide, evidence: 'Scam giveaway link.' });
      expect(refused.status).toBe(403);
      expect(refused.json.code).toBe('moderation.role_not_allowed');
      expect(refused.json.detail).toMatch(/only approvers and admins may take moderation actions/);
      // undoing is moderating too
      expect((await ana.post(`/api/messages/${first}/moderation`, { action: 'unhide', evidence: 'Mistake.' })).json.code).toBe('moderation.role_not_allowed');
      // nothing was done for the refused agent
      const logged = await desk.db.store.db.selectFrom('moderation_action').select('message_id').where('message_id', '=', second).execute();
      expect(logged).toEqual([]);
      expect((await ana.get('/api/moderation/policy')).json).toMatchObject({ allowed: false, allowedRoles: ['approver', 'admin'], reason: expect.stringMatching(/only approvers and admins/) });
      // a lead still may
      expect((await cleo.post(`/api/messages/${second}/moderation`, { ...hide, evidence: 'Scam giveaway link.' })).status).toBe(200);
      // an agent cannot change the setting
      expect((await ana.req('PATCH', '/api/settings/workflow', { moderation: { allowedRoles: ['agent', 'admin'] } })).status).toBe(403);

      // every change is audited with the roles before and after
      const entries = (await audits()).filter((d) => d.moderation);
      expect(entries.at(-1)).toMatchObject({ changed: ['moderation'], moderation: { allowedRoles: ['approver', 'admin'], before: ['agent', 'approver', 'admin'] } });

      // back to agents
      expect((await admin.req('PATCH', '/api/settings/workflow', { moderation: { allowedRoles: ['agent', 'approver', 'admin'] } })).status).toBe(200);
      expect((await ana.post(`/api/messages/${first}/moderation`, { action: 'unhide', evidence: 'Mistake.' })).status).toBe(200);
      expect((await audits()).filter((d) => d.moderation).at(-1)).toMatchObject({ moderation: { allowedRoles: ['agent', 'approver', 'admin'], before: ['approver', 'admin'] } });
    });

    it('moderation roles are validated: every problem refused, nothing saved', async () => {
      for (const bad of [{ allowedRoles: [] }, { allowedRoles: ['agent'] }, { allowedRoles: ['expert', 'admin'] }, { allowedRoles: 'admin' }, {}]) {
        const r = await admin.req('PATCH', '/api/settings/workflow', { moderation: bad });
        expect(r.status, JSON.stringify(bad)).toBe(400);
        expect(JSON.stringify(r.json), JSON.stringify(bad)).toMatch(/moderat|allowedRoles/i);
      }
      expect((await admin.get('/api/settings/workflow')).json.moderation).toEqual({ allowedRoles: ['agent', 'approver', 'admin'] });
    });
  });
}
