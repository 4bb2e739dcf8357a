/**
 * A customer deletes on Instagram a comment they wrote on the brand's media, or the comment they
 * @mentioned the brand in on their own media. Instagram's webhooks say nothing of it, so each sync
 * run reads the stored comments back (src/channels/instagram/gone.ts, through the sync worker's
 * `checkGone`) and the deleted ones are redacted (content gone, row kept). Only Graph's "does not
 * exist" answer (100/33), vouched for by a control read of the account in the same batch, counts:
 * a revoked token, an outage or a withdrawn permission redacts nothing, and a DM is never asked.
 * Through the real sync worker, ingest pipeline and database (SQLite and PostgreSQL), against
 * GraphContractServer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../src/lib/clock.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { describeEachStore } from './db.js';
import { instagramBrand } from './helpers/instagramSync.js';

describeEachStore('deletions on Instagram', (get) => {
  let server: GraphContractServer;
  beforeAll(async () => {
    server = await GraphContractServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A brand with the Instagram account connected, a sync worker that checks for deletions at every run, and what the pending webhooks hold stored. */
  const setup = (slug: string, opts: { clock?: Clock; goneCheck?: { everyMs?: number; max?: number } | null; server?: GraphContractServer } = {}) =>
    instagramBrand(get().store, opts.server ?? server, { slug, name: 'Instagram deletions', ...opts });

  it('a deleted comment on the brand\'s media and a deleted @mention elsewhere are redacted at the next sync; the rest, and DMs, are kept', async () => {
    const s = await setup('igdel');
    try {
      const fan = server.addIgUser('fan.of.acme');
      const media = server.igMedia('New drop');
      const keepComment = await server.igComment('love it, when does it ship?', { mediaId: media, author: fan });
      const goneComment = await server.igComment('my address is 1 Secret Lane, ring 555-0100', { mediaId: media });
      const goneReply = await server.igComment('and my email is me@example.com', { parentId: keepComment });
      const keepMention = await server.igMention('@acmecare my order 4411 never came', fan);
      const goneMention = await server.igMention('@acmecare I am at 2 Hidden Road, come and fix it');
      const dm = await server.igDm('hi, my card ends 4242');
      await s.ingestWebhooks();
      for (const id of [keepComment, goneComment, goneReply, keepMention, goneMention, dm]) expect((await s.row(id)).redacted_at).toBeNull();

      await s.run(); // all still there: nothing redacted
      for (const id of [keepComment, goneComment, goneReply, keepMention, goneMention, dm]) expect((await s.row(id)).redacted_at).toBeNull();
      const batches = server.requests.filter((r) => r.method === 'POST' && /\/v\d+\.\d+\/?$/.test(r.path) && r.status === 200);
      expect(batches.length).toBeGreaterThan(0);
      // the DM's id is never asked about
      expect(server.requests.some((r) => r.path.includes(dm))).toBe(false);

      server.igRemoveComment(goneComment);
      server.igRemoveComment(goneReply);
      server.igRemoveComment(goneMention);
      await s.run();
      for (const id of [goneComment, goneReply, goneMention]) {
        expect(await s.row(id)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed', direction: 'inbound' });
      }
      expect(await s.row(keepComment)).toMatchObject({ text: 'love it, when does it ship?', redacted_at: null });
      expect(await s.row(keepMention)).toMatchObject({ text: '@acmecare my order 4411 never came', redacted_at: null });
      expect(await s.row(dm)).toMatchObject({ text: 'hi, my card ends 4242', redacted_at: null });
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('an outage or a refused token during the check redacts nothing; the next check, once Meta answers, does', async () => {
    const s = await setup('igdel-outage');
    try {
      const goneComment = await server.igComment('delete me later, phone 555-0101');
      const goneMention = await server.igMention('@acmecare delete me too');
      await s.ingestWebhooks();
      server.igRemoveComment(goneComment);
      server.igRemoveComment(goneMention);

      server.failNext('server_error', 'batch'); // the whole batch answers 500
      await s.run();
      server.failNext('auth_revoked', 'batch'); // the whole batch answers 190
      await s.run();
      server.failNext('rate_limit', 'batch');
      await s.run();
      for (const id of [goneComment, goneMention]) expect((await s.row(id)).redacted_at).toBeNull();

      await s.run();
      for (const id of [goneComment, goneMention]) expect((await s.row(id)).redacted_reason).toBe('deleted_or_removed');
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('a revoked token, a withdrawn comments permission or a failed control read reports nothing gone, though every comment then reads as 100/33', async () => {
    const s = await setup('igdel-auth');
    try {
      const media = server.igMedia();
      const a = await server.igComment('still here', { mediaId: media });
      const b = await server.igComment('still here too', { mediaId: media });
      const m = await server.igMention('@acmecare still here as well');
      const gone = await server.igComment('really deleted');
      server.igRemoveComment(gone);
      const dm = await server.igDm('a DM is never gone');
      await s.ingestWebhooks();
      const ids = [a, b, m, gone, dm];
      expect(await s.channel.goneFrom!(ids)).toEqual([gone]);

      // instagram_manage_comments taken back: each comment "cannot be loaded due to missing permissions" (100/33)
      server.withdrawPermission('instagram_manage_comments');
      try {
        await expect(s.channel.goneFrom!(ids)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
        // through the worker too: the sync fails on the comments it cannot read, and nothing is redacted
        await s.run();
        for (const id of [a, b, m]) expect((await s.row(id)).redacted_at).toBeNull();
      } finally {
        server.grantPermission('instagram_manage_comments');
      }

      // the control read answers 500 (it is the batch's first read): nothing taken as deleted
      server.failNext('server_error', 'read');
      await expect(s.channel.goneFrom!(ids)).rejects.toMatchObject({ code: 'TEMPORARY' });
      // the token refused for operations inside the batch (190 on the control and the first comment): nothing either
      server.failNext('auth_revoked', 'read');
      server.failNext('auth_revoked', 'read');
      await expect(s.channel.goneFrom!(ids)).rejects.toMatchObject({ code: 'AUTH_REVOKED' });

      server.revoke();
      try {
        await expect(s.channel.goneFrom!(ids)).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
        await s.run();
        for (const id of [a, b, m, dm]) expect((await s.row(id)).redacted_at).toBeNull();
        const account = await s.store.db.selectFrom('channel_account').select('status').where('id', '=', s.accountId).executeTakeFirstOrThrow();
        expect(account.status).toBe('unhealthy');
      } finally {
        server.restore();
      }
      expect(await s.channel.goneFrom!(ids)).toEqual([gone]);
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('asks in batches of at most 50 operations, the control first in each', async () => {
    const s = await setup('igdel-batch');
    try {
      const media = server.igMedia();
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) ids.push(await server.igComment(`comment ${i}`, { mediaId: media }));
      server.takePending('instagram');
      server.igRemoveComment(ids[0]!);
      server.igRemoveComment(ids[59]!);
      const before = server.requests.length;
      expect((await s.channel.goneFrom!(ids)).sort()).toEqual([ids[0]!, ids[59]!].sort());
      const ops = server.requests.slice(before).filter((r) => r.path.startsWith('batch '));
      const batches = server.requests.slice(before).filter((r) => !r.path.startsWith('batch '));
      // per part of 49 comments: a batch of direct reads with its control, then one of mention reads (with the control) for those not found
      expect(batches).toHaveLength(4);
      expect(ops.map((o) => o.path.startsWith(`batch /${server.ig.id}`))).toEqual([
        true, ...Array(49).fill(false), true, true,
        true, ...Array(11).fill(false), true, true,
      ]);
      // the mention reads go through the Mentioned Comment node, for exactly the comments not found directly
      expect(ops[51]!.params.fields).toBe(`mentioned_comment.comment_id(${ids[0]}){id}`);
      expect(ops[65]!.params.fields).toBe(`mentioned_comment.comment_id(${ids[59]}){id}`);
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('asks hourly and 50 at a time by default: every read counts against the account\'s rate limit', async () => {
    // a Graph of its own: only this account's comments to poll and check
    const server = await GraphContractServer.start();
    const clock = new ManualClock(Date.now());
    const s = await setup('igdel-budget', { clock, goneCheck: null, server });
    try {
      const media = server.igMedia();
      for (let i = 0; i < 60; i++) await server.igComment(`question ${i}`, { mediaId: media });
      await s.ingestWebhooks();
      // reads of comments by id (the control reads the account)
      const directReads = (from: number) => server.requests.slice(from).filter((r) => r.path.startsWith('batch /') && !r.path.startsWith(`batch /${server.ig.id}`)).length;
      let at = server.requests.length;
      await s.run();
      expect(directReads(at)).toBe(50);
      // 20 minutes on (the default for other networks is 15): not yet
      clock.advance(20 * 60_000);
      at = server.requests.length;
      await s.run();
      expect(directReads(at)).toBe(0);
      // past the hour: the other 10
      clock.advance(41 * 60_000);
      at = server.requests.length;
      await s.run();
      expect(directReads(at)).toBe(10);
    } finally {
      await s.worker.stop();
      await server.stop();
    }
  }, 60_000);

  it('who removed it: comments that went with the brand\'s deleted media, and a comment the brand hid, are kept and marked hidden (until unhidden); a comment its author deleted beside them is redacted', async () => {
    const s = await setup('igdel-who');
    try {
      const dropped = server.igMedia('A post the brand deletes in the app');
      const kept = server.igMedia('A post that stays');
      const onDropped = await server.igComment('where is my order 5512?', { mediaId: dropped });
      const replyOnDropped = await server.igComment('same here, order 5513', { parentId: onDropped });
      const deleted = await server.igComment('my phone is 555-0199, call me', { mediaId: kept });
      const hidden = await server.igComment('this brand is a scam, visit spam.example', { mediaId: kept });
      const mention = await server.igMention('@acmecare I delete this mention later');
      await s.ingestWebhooks();
      await s.run();
      for (const id of [onDropped, replyOnDropped, deleted, hidden, mention]) expect((await s.row(id)).redacted_at).toBeNull();

      server.igDeleteMedia(dropped); // its comments go with it: each reads 100/33
      server.igRemoveComment(deleted); // its author deletes it
      server.igRemoveComment(mention);
      await s.channel.hide!(hidden, true); // the brand hides it: Graph still reads it, `hidden: true`
      await s.run();
      expect(await s.row(onDropped)).toMatchObject({ redacted_at: null, text: 'where is my order 5512?' });
      expect(await s.row(replyOnDropped)).toMatchObject({ redacted_at: null, text: 'same here, order 5513' });
      expect(await s.row(hidden)).toMatchObject({ redacted_at: null, text: 'this brand is a scam, visit spam.example' });
      expect(await s.row(deleted)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed' });
      // a mention on someone else's media is judged without its media (Graph reads only the account's own)
      expect(await s.row(mention)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_or_removed' });

      // kept, and marked: gone with their media, or hidden; the redacted ones are not marked
      expect(await s.row(onDropped)).toMatchObject({ network_hidden_reason: 'parent_removed', network_hidden_at: expect.any(Number) });
      expect(await s.row(replyOnDropped)).toMatchObject({ network_hidden_reason: 'parent_removed' });
      expect(await s.row(hidden)).toMatchObject({ network_hidden_reason: 'hidden_comment' });
      for (const id of [deleted, mention]) expect(await s.row(id)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null });
      const audited = async (action: string) =>
        (await s.store.db.selectFrom('audit_event').select(['subject_id', 'data']).where('brand_id', '=', s.brandId).where('action', '=', action).execute()).map((a) => [a.subject_id, JSON.parse(String(a.data))]);
      const idOf = async (nid: string) => String((await s.row(nid)).id);
      await s.run(); // the same state again: written and audited once
      expect((await audited('message.network_hidden')).sort()).toEqual([
        [await idOf(onDropped), { reason: 'parent_removed' }],
        [await idOf(replyOnDropped), { reason: 'parent_removed' }],
        [await idOf(hidden), { reason: 'hidden_comment' }],
      ].sort());

      // the brand unhides the comment: shown again, the mark goes
      await s.channel.hide!(hidden, false);
      await s.run();
      expect(await s.row(hidden)).toMatchObject({ network_hidden_at: null, network_hidden_reason: null, text: 'this brand is a scam, visit spam.example' });
      expect(await audited('message.network_shown')).toEqual([[await idOf(hidden), { was: 'hidden_comment' }]]);
      expect(await s.row(onDropped)).toMatchObject({ network_hidden_reason: 'parent_removed' });
    } finally {
      await s.worker.stop();
    }
  }, 60_000);
});
