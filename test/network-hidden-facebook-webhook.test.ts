/**
 * Facebook comments hidden, through the real webhook route and moderation API, on SQLite and
 * PostgreSQL: a `feed` change with `verb: hide` / `unhide` marks and unmarks the stored comment
 * at once (src/server/routes/webhooks.ts → src/pipeline/deletions.ts `applyNetworkVisibility`);
 * a comment the brand hid through Parley's own moderation is not marked hidden-by-network, though
 * Meta reports that hide the same way (the webhook, and `is_hidden: true` on the periodic check).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`Facebook comments hidden [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let fb: GraphContractServer;
    let fbAccountId: number;
    const db = () => desk.db.store.db;
    const rowOf = (id: string) => db().selectFrom('message').selectAll().where('network', '=', 'facebook').where('network_message_id', '=', id).executeTakeFirstOrThrow();

    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      fb = await GraphContractServer.start();
      const rf = await admin.post('/api/channel-accounts', { network: 'facebook', handle: fb.page.name, externalId: fb.page.id, credentials: fb.credentials('facebook'), settings: { apiBaseUrl: fb.url } });
      expect(rf.status, JSON.stringify(rf.json)).toBe(201);
      fbAccountId = rf.json.id;
      fb.webhookUrls.page = `${desk.url}${new URL(rf.json.webhookUrl, 'http://x').pathname}`;
    });
    afterAll(async () => {
      await desk?.stop();
      await fb?.stop();
    });

    it('the feed webhook\'s hide marks the comment at once, unhide clears it, each audited once', async () => {
      const id = await fb.fbComment('buy followers cheap at spam.example');
      expect((await rowOf(id)).network_hidden_reason).toBeNull();
      await fb.fbHideComment(id); // the Page's blocked-words filter
      expect(fb.delivered.at(-1)!.status).toBe(200);
      expect(await rowOf(id)).toMatchObject({ network_hidden_reason: 'hidden_comment', network_hidden_at: expect.any(Number), text: 'buy followers cheap at spam.example' });
      await fb.fbHideComment(id); // delivered again: nothing more written
      await fb.fbHideComment(id, false);
      expect(fb.delivered.at(-1)!.status).toBe(200);
      expect(await rowOf(id)).toMatchObject({ network_hidden_reason: null, network_hidden_at: null });
      const m = await rowOf(id);
      const audits = await db().selectFrom('audit_event').select(['action']).where('subject_type', '=', 'message').where('subject_id', '=', String(m.id) as any).where('action', 'like', 'message.network_%').execute();
      expect(audits.map((a) => a.action).sort()).toEqual(['message.network_hidden', 'message.network_shown']);
    });

    it('a comment the brand hid through Parley\'s moderation is not marked hidden by the network, by the webhook nor by the check', async () => {
      const g = await admin.post('/api/guidelines', { code: `spam-${dialect}`, title: 'No spam', description: 'Links to scams or unrelated advertising are removed.' });
      expect(g.status, JSON.stringify(g.json)).toBe(201);
      const id = await fb.fbComment('cheap watches at scam.example, click now');
      const m = await rowOf(id);
      const r = await admin.post(`/api/messages/${m.id}/moderation`, { action: 'hide', guidelineId: g.json.id, evidence: 'Advertises a scam watch shop with a link' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(fb.comment(id)!.hidden).toBe(true);
      // Meta reports the Page's hide like any other
      await fb.fbHideComment(id);
      expect(fb.delivered.at(-1)!.status).toBe(200);
      expect(await rowOf(id)).toMatchObject({ network_hidden_reason: null, network_hidden_at: null });
      // the check reads `is_hidden: true`: still the brand's doing
      const account = await db().selectFrom('channel_account').selectAll().where('id', '=', fbAccountId).executeTakeFirstOrThrow();
      const channel = desk.parley.services.registry.forAccount(account)!;
      const presence = await channel.presenceOf!([id]);
      expect(presence.hidden.get(id)).toBe('hidden_comment');
      const { applyNetworkVisibility } = await import('../src/pipeline/deletions.js');
      await applyNetworkVisibility(desk.parley.services, { brandId: desk.brandId, network: 'facebook', hidden: presence.hidden, shown: presence.shown, actor: 'system:sync:facebook' });
      expect(await rowOf(id)).toMatchObject({ network_hidden_reason: null });
      // the brand unhides it in Parley; the Page's filter hides it later: that one is the network's
      const u = await admin.post(`/api/messages/${m.id}/moderation`, { action: 'unhide', evidence: 'Reviewed again, the link is gone' });
      expect(u.status, JSON.stringify(u.json)).toBe(200);
      await fb.fbHideComment(id);
      expect(await rowOf(id)).toMatchObject({ network_hidden_reason: 'hidden_comment' });
    });
  });
}
