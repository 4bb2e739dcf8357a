/**
 * A block or restriction done in the network's own app, recorded through the moderation API
 * (`doneOnNetwork`), on SQLite and PostgreSQL: on Instagram, whose Graph API can neither block
 * nor restrict, a moderator records what they did in the Instagram app under the same rules as
 * any moderation (a cited guideline that allows it, evidence, never mere negativity); it is
 * logged as done without asking the network, audited with `doneOnNetwork`, and the deletion
 * check then tells the comment the block or restriction took away from its author's deletion
 * (`author_blocked` / `author_restricted`, text kept: src/pipeline/deletions.ts). Refused where
 * the connector can block itself (Facebook through the same Graph API) and for hide, delete or
 * mute. Through the real HTTP API, webhook route, sync worker and GraphContractServer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelSyncWorker } from '../src/channels/sync.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { IngestQueue } from '../src/pipeline/queue.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { DIALECTS } from './db.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`moderation recorded as done in the network's app [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let graph: GraphContractServer;
    let igAccountId = 0;
    let worker: ChannelSyncWorker;
    let harassment = 0;
    const db = () => desk.db.store.db;
    const rowOf = (network: string, id: string) => db().selectFrom('message').selectAll().where('network', '=', network).where('network_message_id', '=', id).executeTakeFirstOrThrow();
    const auditsOf = (messageId: number, like: string) =>
      db().selectFrom('audit_event').select(['action', 'data']).where('subject_type', '=', 'message').where('subject_id', '=', String(messageId) as never).where('action', 'like', like).orderBy('id').execute();
    const data = (a: { data: unknown } | undefined) => (typeof a?.data === 'string' ? JSON.parse(a.data) : a?.data);
    /** The deletion check of the Instagram account, as the sync worker runs it. */
    const check = async () => {
      await worker.syncSoon(igAccountId);
      await worker.runOnce();
    };

    beforeAll(async () => {
      graph = await GraphContractServer.start();
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      const connect = async (network: 'facebook' | 'instagram', body: Record<string, unknown>) => {
        const r = await admin.post('/api/channel-accounts', { network, ...body });
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        graph.webhookUrls[network === 'facebook' ? 'page' : 'instagram'] = `${desk.url}${new URL(r.json.webhookUrl, 'http://x').pathname}`;
        return r.json.id as number;
      };
      await connect('facebook', { handle: graph.page.name, externalId: graph.page.id, credentials: graph.credentials('facebook'), settings: { apiBaseUrl: graph.url, linkDmReplies: false } });
      igAccountId = await connect('instagram', { handle: graph.ig.username, externalId: graph.ig.id, credentials: graph.credentials('instagram'), settings: { apiBaseUrl: graph.url, linkDmReplies: false } });
      const { store, bus, clock, registry } = desk.parley.services;
      worker = new ChannelSyncWorker({ store, bus, clock, registry, queue: new IngestQueue(new IngestPipeline({ store, bus, clock })), goneCheck: { everyMs: 0 } });
      const g = await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people (staff or customers) are removed.', allowedActions: ['hide', 'block'] });
      expect(g.status, JSON.stringify(g.json)).toBe(201);
      harassment = g.json.id;
    }, 60_000);
    afterAll(async () => {
      await worker?.stop();
      await desk?.stop();
      await graph?.stop();
    });

    it('a block done in the Instagram app: recorded citing the rule, audited as done on the network, and the comment it took away is kept and marked author_blocked', async () => {
      const troll = graph.addIgUser(`troll.${dialect}`);
      const fan = graph.addIgUser(`fan.${dialect}`);
      const media = graph.igMedia('Autumn drop');
      const abusive = await graph.igComment('you are all idiots and I know where the shop staff live', { mediaId: media, author: troll });
      const deleted = await graph.igComment('wrong post, sorry, my number is 555-0123', { mediaId: media, author: fan });
      const m = await rowOf('instagram', abusive);
      const url = `/api/messages/${m.id}/moderation`;

      // Parley cannot block on Instagram: asked to, it says so and points to recording it
      const unsupported = await ana.post(url, { action: 'block', guidelineId: harassment, evidence: 'Threatens the shop staff at their homes.' });
      expect(unsupported.status).toBe(400);
      expect(unsupported.json).toMatchObject({ code: 'moderation.unsupported' });
      expect(unsupported.json.detail).toMatch(/doneOnNetwork/);
      // recording it still takes the rule and the evidence, never mere negativity
      expect((await ana.post(url, { action: 'block', doneOnNetwork: true, evidence: 'Threatens the shop staff at their homes.' })).json.code).toBe('moderation.needs_guideline');
      expect((await ana.post(url, { action: 'block', doneOnNetwork: true, guidelineId: harassment, evidence: 'negative' })).json.code).toBe('moderation.needs_evidence');
      expect((await ana.post(url, { action: 'block', doneOnNetwork: true, guidelineId: harassment, evidence: 'keeps complaining about a late parcel' })).json.code).toBe('moderation.needs_evidence');
      // hide and delete are done through Parley (Instagram's connector can): never recorded as done elsewhere
      for (const action of ['hide', 'delete', 'mute']) {
        const r = await ana.post(url, { action, doneOnNetwork: true, guidelineId: harassment, evidence: 'Threatens the shop staff at their homes.' });
        expect(r.status, action).toBe(400);
        expect(r.json.code, action).toBe('moderation.done_on_network_action');
      }
      expect(await db().selectFrom('moderation_action').select('id').where('message_id', '=', m.id).execute()).toEqual([]);

      // the moderator blocks the troll in the Instagram app, and records it
      graph.igBlock(troll.id);
      const ok = await ana.post(url, { action: 'block', doneOnNetwork: true, guidelineId: harassment, evidence: 'Threatens the shop staff at their homes.' });
      expect(ok.status, JSON.stringify(ok.json)).toBe(200);
      expect(ok.json).toEqual({ status: 'done', action: 'block', guideline: 'harassment', doneOnNetwork: true });
      const logged = await db().selectFrom('moderation_action').selectAll().where('message_id', '=', m.id).execute();
      expect(logged).toMatchObject([{ action: 'block', status: 'done', error: null, identity_id: m.author_identity_id }]);
      const [audited] = await auditsOf(Number(m.id), 'moderation.%');
      expect(audited!.action).toBe('moderation.block');
      expect(data(audited)).toMatchObject({ guideline: { code: 'harassment' }, evidence: 'Threatens the shop staff at their homes.', status: 'done', doneOnNetwork: true, author: troll.username });
      // recorded again (a retried request): unchanged, no second record or audit
      expect((await ana.post(url, { action: 'block', doneOnNetwork: true, guidelineId: harassment, evidence: 'Threatens the shop staff at their homes.' })).json.status).toBe('unchanged');
      expect(await auditsOf(Number(m.id), 'moderation.%')).toHaveLength(1);
      // the conversation shows the author blocked
      const conv = (await ana.get(`/api/conversations/${m.conversation_id}`)).json;
      expect(conv.moderation.authors).toEqual([expect.objectContaining({ identityId: Number(m.author_identity_id), blocked: true })]);

      // the fan deletes their own comment; Graph answers both the same; the record tells them apart
      graph.igRemoveComment(deleted);
      await check();
      expect(await rowOf('instagram', abusive)).toMatchObject({ text: 'you are all idiots and I know where the shop staff live', redacted_at: null, network_hidden_reason: 'author_blocked', network_hidden_at: expect.any(Number) });
      expect(await rowOf('instagram', deleted)).toMatchObject({ text: '', redacted_reason: 'deleted_or_removed', network_hidden_reason: null });
      expect(data((await auditsOf(Number(m.id), 'message.network_hidden'))[0])).toMatchObject({ reason: 'author_blocked', moderationActionId: Number(logged[0]!.id) });
      expect(await auditsOf(Number(m.id), 'message.redacted')).toEqual([]);
      // presented as hidden by the network, with its text
      const shown = (await ana.get(`/api/conversations/${m.conversation_id}`)).json.messages.find((x: { id: number }) => x.id === Number(m.id));
      expect(shown).toMatchObject({ text: 'you are all idiots and I know where the shop staff live', networkHidden: { reason: 'author_blocked' } });
    }, 60_000);

    it('a restriction done in the Instagram app: allowed by a rule that allows block, recorded, and the held comment is kept and marked author_restricted; unrestrict needs no rule', async () => {
      const heckler = graph.addIgUser(`heckler.${dialect}`);
      const held = await graph.igComment('posting the manager\'s home phone 555-0199 until you refund me', { author: heckler });
      const m = await rowOf('instagram', held);
      const url = `/api/messages/${m.id}/moderation`;
      const evidence = 'Posts a member of staff\'s private phone number.';
      // Parley cannot restrict: without doneOnNetwork, the refusal every unsupported action gets
      expect((await ana.post(url, { action: 'restrict', guidelineId: harassment, evidence })).json.code).toBe('moderation.unsupported');
      expect((await ana.post(url, { action: 'restrict', doneOnNetwork: true, evidence })).json.code).toBe('moderation.needs_guideline');
      // a rule that allows only hiding does not justify restricting
      const hideOnly = await admin.post('/api/guidelines', { code: 'spam', title: 'No spam', description: 'Links to scams or unrelated advertising are hidden.', allowedActions: ['hide'] });
      expect((await ana.post(url, { action: 'restrict', doneOnNetwork: true, guidelineId: hideOnly.json.id, evidence })).json.code).toBe('moderation.not_allowed');

      graph.igRestrict(heckler.id);
      const ok = await ana.post(url, { action: 'restrict', doneOnNetwork: true, guidelineId: harassment, evidence });
      expect(ok.status, JSON.stringify(ok.json)).toBe(200);
      expect(ok.json).toEqual({ status: 'done', action: 'restrict', guideline: 'harassment', doneOnNetwork: true });
      expect(data((await auditsOf(Number(m.id), 'moderation.restrict'))[0])).toMatchObject({ status: 'done', doneOnNetwork: true, guideline: { code: 'harassment' } });
      expect((await ana.post(url, { action: 'restrict', doneOnNetwork: true, guidelineId: harassment, evidence })).json.status).toBe('unchanged');

      await check();
      expect(await rowOf('instagram', held)).toMatchObject({ text: 'posting the manager\'s home phone 555-0199 until you refund me', redacted_at: null, network_hidden_reason: 'author_restricted' });

      // lifted in the app and recorded: no rule needed, the reason kept; the approved comment reads again
      graph.igUnrestrict(heckler.id);
      graph.igApproveComment(held);
      const undo = await ana.post(url, { action: 'unrestrict', doneOnNetwork: true, evidence: 'Apologised and removed the number' });
      expect(undo.status, JSON.stringify(undo.json)).toBe(200);
      expect(undo.json).toEqual({ status: 'done', action: 'unrestrict', guideline: null, doneOnNetwork: true });
      expect(data((await auditsOf(Number(m.id), 'moderation.unrestrict'))[0])).toMatchObject({ status: 'done', doneOnNetwork: true, guideline: null, evidence: 'Apologised and removed the number' });
      await check();
      expect(await rowOf('instagram', held)).toMatchObject({ network_hidden_reason: null, redacted_at: null });
    }, 60_000);

    it('refuses doneOnNetwork where the connector can block itself (Facebook), and restrict there either way', async () => {
      const id = await graph.fbComment('I know where your agent lives, watch out', { author: graph.addFbUser(`Fb Troll ${dialect}`) });
      const m = await rowOf('facebook', id);
      const url = `/api/messages/${m.id}/moderation`;
      const evidence = 'Threatens a member of staff at their home.';
      for (const action of ['block', 'unblock', 'restrict', 'unrestrict']) {
        const r = await ana.post(url, { action, doneOnNetwork: true, ...(action.startsWith('un') ? {} : { guidelineId: harassment }), evidence });
        expect(r.status, action).toBe(400);
        expect(r.json.code, action).toBe('moderation.network_can_do_it');
      }
      expect((await ana.post(url, { action: 'restrict', guidelineId: harassment, evidence })).json.code).toBe('moderation.unsupported');
      expect(await db().selectFrom('moderation_action').select('id').where('message_id', '=', m.id).execute()).toEqual([]);
      expect(await auditsOf(Number(m.id), 'moderation.%')).toEqual([]);
      // Parley blocks there itself
      const blocked = await ana.post(url, { action: 'block', guidelineId: harassment, evidence });
      expect(blocked.status, JSON.stringify(blocked.json)).toBe(200);
      expect(blocked.json).toEqual({ status: 'done', action: 'block', guideline: 'harassment' });
      expect(data((await auditsOf(Number(m.id), 'moderation.block'))[0])).not.toHaveProperty('doneOnNetwork');
    }, 60_000);
  });
}
