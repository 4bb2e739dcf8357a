/**
 * A reply on Instagram goes with the comment it answers: once that top-level comment is deleted
 * (by its author, or by the brand in Parley or in the Instagram app), Graph answers the reply's
 * read 100/33 exactly as if the reply's own author had deleted it (IG Comment Replies reference,
 * Limitations: "You cannot get replies to a comment that has been deleted"). The check reads the
 * answered comment too (src/channels/instagram/gone.ts `byTheirComment`): such a reply is kept,
 * not redacted as its author's deletion, and marked hidden `parent_removed`; a reply whose
 * comment still reads is its author's deletion as before. Through the real sync worker, ingest
 * pipeline and database (SQLite and PostgreSQL), against GraphContractServer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GraphContractServer } from './contract-servers/graph.js';
import { describeEachStore } from './db.js';
import { instagramBrand } from './helpers/instagramSync.js';

describeEachStore('Instagram replies gone with the comment they answer', (get) => {
  let server: GraphContractServer;
  beforeAll(async () => {
    server = await GraphContractServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const setup = (slug: string) => instagramBrand(get().store, server, { slug, name: 'Instagram replies' });

  it('a reply whose comment its author deleted, or the brand deleted, is kept and marked `parent_removed`; a reply deleted on its own is redacted', async () => {
    const s = await setup('igreply');
    try {
      const media = server.igMedia('Spring drop');
      const question = await server.igComment('does it come in blue?', { mediaId: media });
      const answer = await server.igComment('it does, I have one: my order 7781 came in 2 days', { parentId: question });
      const spam = await server.igComment('cheap followers here', { mediaId: media });
      const reaction = await server.igComment('lol what, my order 9902 is stuck because of this', { parentId: spam });
      const stays = await server.igComment('love it', { mediaId: media });
      const ownDeletion = await server.igComment('my phone is 555-0199, call me', { parentId: stays });
      await s.ingestWebhooks();
      await s.run(); // all there
      for (const id of [question, answer, spam, reaction, stays, ownDeletion]) expect(await s.row(id)).toMatchObject({ redacted_at: null, network_hidden_reason: null });

      server.igRemoveComment(question); // its author deletes the question: the answer goes with it
      await s.channel.delete!(spam); // the brand deletes the spam: the reaction goes with it
      server.igRemoveComment(ownDeletion); // a reply deleted by its own author
      await s.run();

      expect(await s.row(question)).toMatchObject({ text: '', raw: null, redacted_at: expect.any(Number) });
      // its own disappearance is redacted (how the label names it is src/pipeline/deletions.ts's)
      expect(await s.row(ownDeletion)).toMatchObject({ text: '', raw: null, redacted_at: expect.any(Number), network_hidden_reason: null });
      // the replies' authors withdrew nothing: their text stays, and the agent is told why it is not shown
      expect(await s.row(answer)).toMatchObject({ text: 'it does, I have one: my order 7781 came in 2 days', redacted_at: null, network_hidden_reason: 'parent_removed', network_hidden_at: expect.any(Number) });
      expect(await s.row(reaction)).toMatchObject({ text: 'lol what, my order 9902 is stuck because of this', redacted_at: null, network_hidden_reason: 'parent_removed' });
      expect(await s.row(stays)).toMatchObject({ redacted_at: null, network_hidden_reason: null });
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('asks about a reply\'s comment only when the reply is not found, and decides nothing when that read fails', async () => {
    const s = await setup('igreply-ops');
    try {
      const media = server.igMedia();
      const top = await server.igComment('first!', { mediaId: media });
      const reply = await server.igComment('second, order 4410', { parentId: top });
      server.takePending('instagram');
      const threads = new Map([[reply, { inReplyTo: top, root: media }], [top, { inReplyTo: media, root: media }]]);
      const before = server.requests.length;
      expect(await s.channel.presenceOf!([reply], { authors: new Map(), threads })).toEqual({ gone: [], hidden: new Map(), shown: [reply] });
      // found directly: one batch, no read of its comment
      expect(server.requests.slice(before).filter((r) => r.path.startsWith('batch ') && r.path.includes(top))).toEqual([]);

      server.igRemoveComment(top);
      // both asked: the comment is gone (its author's deletion), the reply went with it
      expect(await s.channel.presenceOf!([reply, top], { authors: new Map(), threads })).toEqual({ gone: [top], hidden: new Map([[reply, 'parent_removed']]), shown: [] });
      // asked alone: its comment is read
      expect(await s.channel.presenceOf!([reply], { authors: new Map(), threads })).toEqual({ gone: [], hidden: new Map([[reply, 'parent_removed']]), shown: [] });
    } finally {
      await s.worker.stop();
    }
  }, 60_000);
});
