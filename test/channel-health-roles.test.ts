/**
 * A failing channel's health through the HTTP API, by role (SQLite and PostgreSQL): what the
 * network answered (here an error text echoing an account id, a token and an internal host)
 * reaches admins, who manage channel accounts; agents, leads and experts read that the channel
 * is failing and in what way (the summary of the error's code), never the network's words:
 * not in the account list, not on the live stream, not in the audit trail leads read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markChannelHealth } from '../src/channels/health.js';
import { HEALTH_SUMMARY } from '../src/channels/healthSummary.js';
import { ChannelError, type Capabilities, type Channel } from '../src/channels/types.js';
import { DIALECTS } from './db.js';
import { Client, collectEvents, startDesk, type TestDesk } from './helpers/parley.js';

const caps = Object.fromEntries(['publicReply', 'privateMessage', 'hide', 'delete', 'block', 'mute', 'like', 'fetchProfile', 'fetchThread', 'search', 'webhook', 'poll', 'stream'].map((k) => [k, true])) as Capabilities;

/** What a remote API might answer: nothing an agent should read. */
const REMOTE_TEMPORARY = 'upstream 502 from api-gw-7.internal.example.net:8443 (account 99887766)';
const REMOTE_REVOKED = 'HTTP 401: invalid token "xoxb-SECRET-TOKEN-123" for account 99887766';
const SECRETS = ['internal.example.net', '99887766', 'xoxb-SECRET-TOKEN-123', 'HTTP 401', 'upstream 502'];
const hasSecret = (x: unknown) => SECRETS.some((s) => JSON.stringify(x).includes(s));

for (const dialect of DIALECTS) {
  describe(`channel health by role [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let cleo: Client;
    let eli: Client;
    let id: number;
    const errors: Error[] = [];
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
      desk.parley.services.registry.register('failing', (account) => ({
        network: account.network,
        capabilities: caps,
        async sync() {
          const e = errors.shift();
          if (e) throw e;
          return { messages: [], cursor: null };
        },
        async sendPublicReply() {
          return { networkMessageId: 'x' };
        },
      }) as Channel);
      const created = await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeFailing', driver: 'failing', credentials: { token: 'abc' } });
      expect(created.status).toBe(201);
      id = created.json.id;
    });
    afterAll(async () => desk?.stop());

    const accountAs = async (c: Client) => {
      const r = await c.get('/api/channel-accounts');
      expect(r.status).toBe(200);
      return r.json.items.find((a: any) => a.id === id);
    };
    const syncFails = async (err: Error) => {
      errors.push(err);
      await desk.parley.services.sync.syncSoon(id);
      await desk.parley.services.sync.runOnce();
    };

    it('shows a failed sync\'s raw error to admins only', async () => {
      await syncFails(new ChannelError('TEMPORARY', REMOTE_TEMPORARY));
      const forAdmin = await accountAs(admin);
      expect(forAdmin.health).toMatchObject({ failures: 1, lastError: `TEMPORARY: ${REMOTE_TEMPORARY}` });
      for (const c of [ana, cleo, eli]) {
        const a = await accountAs(c);
        expect(a.health.failures).toBe(1);
        expect(a.health.lastError).toBeUndefined();
        expect(hasSecret(a)).toBe(false);
      }
    });

    it('gives agents, leads and experts a plain summary of an unhealthy channel, and admins what the network said', async () => {
      let anaEvents: { type: string; data: any }[] = [];
      const adminEvents = await collectEvents(desk, admin, (es) => es.filter((e) => e.type === 'channel.health').length >= 2, async () => {
        anaEvents = await collectEvents(desk, ana, (es) => es.some((e) => e.type === 'channel.health'), () => syncFails(new ChannelError('AUTH_REVOKED', REMOTE_REVOKED)));
      });

      const forAdmin = await accountAs(admin);
      expect(forAdmin.status).toBe('unhealthy');
      expect(forAdmin.health).toMatchObject({ code: 'AUTH_REVOKED', message: REMOTE_REVOKED, advice: expect.stringMatching(/Reconnect the account/) });
      expect((await admin.get(`/api/channel-accounts/${id}`)).json.health.message).toBe(REMOTE_REVOKED);

      for (const c of [ana, cleo, eli]) {
        const a = await accountAs(c);
        expect(a.status).toBe('unhealthy');
        expect(a.health).toMatchObject({ code: 'AUTH_REVOKED', message: HEALTH_SUMMARY.AUTH_REVOKED, advice: expect.stringMatching(/Admins were told/), since: expect.any(String) });
        expect(hasSecret(a)).toBe(false);
      }
      // the account's own page is an admin's
      expect((await ana.get(`/api/channel-accounts/${id}`)).status).toBe(403);

      // live: the agent's stream carries the summary only; the admin's ends with the detail
      const anaHealth = anaEvents.filter((e) => e.type === 'channel.health' && e.data.id === id);
      expect(anaHealth.length).toBeGreaterThanOrEqual(1);
      expect(anaHealth.at(-1)!.data.health.message).toBe(HEALTH_SUMMARY.AUTH_REVOKED);
      expect(hasSecret(anaEvents)).toBe(false);
      const adminHealth = adminEvents.filter((e) => e.type === 'channel.health' && e.data.id === id);
      expect(adminHealth.at(-1)!.data.health.message).toBe(REMOTE_REVOKED);

      // the audit trail, which leads read, keeps the summary
      const audit = await cleo.get('/api/audit?action=channel.unhealthy');
      expect(audit.status).toBe(200);
      const entry = audit.json.items.find((e: any) => e.subjectId === String(id) && e.data.code === 'AUTH_REVOKED');
      expect(entry.data.message).toBe(HEALTH_SUMMARY.AUTH_REVOKED);
      expect(hasSecret(audit.json)).toBe(false);
      // admins are notified with the network's words
      expect((await admin.get('/api/notifications')).json.items.find((n: any) => n.kind === 'channel.unhealthy').body).toContain(REMOTE_REVOKED);
    });

    it('shows an account\'s settings, which name its servers, to admins only', async () => {
      const internal = 'https://x-proxy.internal.example.net:8443';
      await desk.db.store.db.updateTable('channel_account').set({ settings: JSON.stringify({ apiBaseUrl: internal }) }).where('id', '=', id).execute();
      expect((await accountAs(admin)).settings).toEqual({ apiBaseUrl: internal });
      for (const c of [ana, cleo, eli]) {
        const a = await accountAs(c);
        expect(a.settings).toBeUndefined();
        expect(JSON.stringify(a)).not.toContain('internal.example.net');
      }
      // nor on the live stream the whole brand reads
      const row = await desk.db.store.db.selectFrom('channel_account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const anaEvents = await collectEvents(desk, ana, (es) => es.some((e) => e.type === 'channel.health'), () => markChannelHealth(desk.db.store, desk.parley.services.bus, row, null, Date.now()));
      const health = anaEvents.filter((e) => e.type === 'channel.health' && e.data.id === id);
      expect(health.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(health)).not.toContain('internal.example.net');
    });
  });
}
