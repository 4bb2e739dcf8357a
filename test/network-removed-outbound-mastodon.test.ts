/**
 * The brand's OWN replies removed on the network (src/pipeline/deletions.ts, header): a reply a
 * moderator of the brand's Mastodon instance took down (told to the brand's account by a
 * `moderation_warning` notification, AccountWarning `delete_statuses`), or one the brand's account
 * deleted in Mastodon's own app, keeps its text (the desk's record of what the team said), is
 * marked removed with the reason and the time, is audited on its conversation, and the
 * conversation, waiting on the customer, needs a response again. A reply not removed, and the
 * customers' posts, are untouched. Through the real sync worker (stream notices and the periodic
 * check, which now asks about the brand's sent replies too), ingest pipeline and database (SQLite
 * and PostgreSQL), the real masto client and the Mastodon contract server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MastodonChannel } from '../src/channels/mastodon/index.js';
import { ConversationCommands } from '../src/commands/conversations.js';
import { systemActor } from '../src/commands/context.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { presentMessage } from '../src/server/presenters.js';
import type { Store } from '../src/store/db.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { describeEachStore } from './db.js';
import { mastodonBrand } from './helpers/mastodonSync.js';

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeEachStore('the brand\'s own replies removed on the network', (get) => {
  let server: MastodonContractServer;
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
  });
  afterAll(async () => server?.stop());

  /** A brand on the contract server with customers' questions answered by the brand's replies, stored as the desk stores them, each conversation then set waiting on the customer. */
  async function setup(store: Store, slug: string, customers: string[]) {
    const b = await mastodonBrand(store, server, { slug, username: `${slug}brand` });
    // the accounts other tests of this file connected are not synced by this one's workers
    await store.db.updateTable('channel_account').set({ next_sync_at: 8.64e15 }).where('id', '!=', b.accountId).execute();
    const post = async (token: string, status: string, inReplyToId?: string) => {
      const res = await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status, visibility: 'public', ...(inReplyToId ? { in_reply_to_id: inReplyToId } : {}) }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }).id;
    };
    const people = customers.map((c) => server.createAccount({ username: `${slug}${c}` }));
    const questions: string[] = [];
    for (const p of people) questions.push(await post(p.token, `@${slug}brand is the store open on Sunday, ${p.acct}?`));
    const worker = b.worker();
    await worker.runOnce(); // polls the mentions, opens the stream
    const replies: string[] = [];
    for (const [i, p] of people.entries()) replies.push(await post(b.brand.token, `@${p.acct} yes, 10 to 4 (reply ${i})`, questions[i]));
    // the brand's replies as the desk stores them (written in Mastodon's own app: read back with the thread)
    const channel = new MastodonChannel({ handle: b.brand.acct, externalId: b.brand.id, credentials: { accessToken: b.brand.token }, settings: { instanceUrl: server.url, timeoutMs: 3000 } } as never, { fetch: globalThis.fetch, now: Date.now });
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: systemClock });
    for (const q of questions) {
      const thread = await channel.fetchThread(q);
      await pipeline.ingest(b.brandId, thread.filter((m) => m.fromBrand).map((message) => ({ channelAccountId: b.accountId, message, source: 'network' as const })));
    }
    const row = (id: string) => store.db.selectFrom('message').selectAll().where('channel_account_id', '=', b.accountId).where('network_message_id', '=', id).executeTakeFirstOrThrow();
    const conversation = async (id: string) => store.db.selectFrom('conversation').selectAll().where('id', '=', (await row(id)).conversation_id).executeTakeFirstOrThrow();
    const commands = new ConversationCommands({ store, bus: new EventBus(), clock: systemClock });
    for (const [i, r] of replies.entries()) {
      expect(await row(r)).toMatchObject({ direction: 'outbound', status: 'sent', redacted_at: null, network_hidden_at: null });
      const conv = await conversation(r);
      expect(conv.id).toBe((await row(questions[i]!)).conversation_id);
      expect(conv.waiting_since).toBeNull(); // answered
      await commands.setStatus(systemActor(b.brandId, 'test'), conv.id, 'waiting');
    }
    const audits = async (conversationId: number) => store.db.selectFrom('audit_event').select(['action', 'subject_type', 'subject_id', 'data']).where('conversation_id', '=', conversationId).orderBy('id').execute();
    return { ...b, workerFactory: b.worker, worker, questions, replies, row, conversation, audits, deleteAsBrand: async (id: string) => {
      const res = await fetch(`${server.url}/api/v1/statuses/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${b.brand.token}` } });
      expect(res.status).toBe(200);
    } };
  }

  it('a reply a moderator took down (stream notice) keeps its text, is marked and audited, and its conversation needs a response again; a reply not removed is untouched', async () => {
    const { store } = get();
    const s = await setup(store, 'rmstream', ['alice', 'bob']);
    const [removed, kept] = s.replies as [string, string];
    try {
      await until('the brand\'s `user` stream is subscribed', () => server.streamCount(s.brand.id) === 1);
      await new Promise((r) => setTimeout(r, 100));
      const before = Date.now();
      server.moderatorDeleteStatus(removed, { text: 'Links to that site are not allowed here' });
      await until('the removed reply is marked', async () => (await s.row(removed)).network_hidden_reason != null);
      const r = await s.row(removed);
      expect(r).toMatchObject({ direction: 'outbound', redacted_at: null, redacted_reason: null, network_hidden_reason: 'post_taken_down' });
      expect(r.text).toMatch(/yes, 10 to 4 \(reply 0\)$/);
      expect(Number(r.network_hidden_at)).toBeGreaterThanOrEqual(before);
      // in the API: removed, why and since when, the text still there
      const json = presentMessage(r);
      expect(json.networkRemoved).toEqual({ reason: 'post_taken_down', since: new Date(Number(r.network_hidden_at)).toISOString() });
      expect(json.text).toMatch(/reply 0/);
      const conv = await s.conversation(removed);
      expect(conv.status).toBe('open');
      expect(Number(conv.waiting_since)).toBeGreaterThanOrEqual(before);
      const trail = await s.audits(conv.id);
      expect(trail).toEqual(expect.arrayContaining([
        expect.objectContaining({ action: 'message.network_hidden', subject_type: 'message', subject_id: String(r.id) }),
        expect.objectContaining({ action: 'conversation.reply_removed', subject_type: 'conversation', subject_id: String(conv.id) }),
        expect.objectContaining({ action: 'conversation.status', subject_type: 'conversation' }),
      ]));
      const removedEntry = trail.find((a) => a.action === 'conversation.reply_removed')!;
      expect(JSON.parse(String(removedEntry.data))).toMatchObject({ messageId: r.id, reason: 'post_taken_down', needsResponse: true });
      expect(JSON.parse(String(trail.filter((a) => a.action === 'conversation.status').at(-1)!.data))).toMatchObject({ from: 'waiting', to: 'open', reason: 'reply_removed_by_network' });
      // the customer's question, the other reply and its conversation: untouched
      expect(await s.row(s.questions[0]!)).toMatchObject({ redacted_at: null, network_hidden_at: null });
      expect(await s.row(kept)).toMatchObject({ redacted_at: null, network_hidden_at: null, network_hidden_reason: null });
      expect(presentMessage(await s.row(kept)).networkRemoved).toBeNull();
      const other = await s.conversation(kept);
      expect(other).toMatchObject({ status: 'waiting', waiting_since: null });
      expect((await s.audits(other.id)).map((a) => a.action)).not.toContain('conversation.reply_removed');
    } finally {
      await s.worker.stop();
    }
  }, 60_000);

  it('the periodic check asks about the brand\'s sent replies: one deleted in Mastodon\'s app keeps its text (deleted_on_network), one a moderator took down is marked so; each conversation needs a response again', async () => {
    const { store } = get();
    const s = await setup(store, 'rmcheck', ['carol', 'dan', 'erin']);
    const [deleted, takenDown, kept] = s.replies as [string, string, string];
    // nobody listens while it happens: only the periodic check can learn of it
    await s.worker.stop();
    await s.deleteAsBrand(deleted);
    server.moderatorDeleteStatus(takenDown, { text: 'Spam' });
    const before = Date.now();
    // a new Parley process, checking at every run
    const w = s.workerFactory({ goneCheck: { everyMs: 0 } });
    try {
      await w.syncSoon(s.accountId);
      expect(await w.runOnce()).toEqual([s.accountId]);
      const d = await s.row(deleted);
      expect(d).toMatchObject({ redacted_at: null, network_hidden_reason: 'deleted_on_network' });
      expect(d.text).toMatch(/reply 0\)$/);
      expect(presentMessage(d).networkRemoved).toMatchObject({ reason: 'deleted_on_network' });
      const t = await s.row(takenDown);
      expect(t).toMatchObject({ redacted_at: null, network_hidden_reason: 'post_taken_down' });
      expect(t.text).toMatch(/reply 1\)$/);
      for (const id of [deleted, takenDown]) {
        const conv = await s.conversation(id);
        expect(conv.status).toBe('open');
        expect(Number(conv.waiting_since)).toBeGreaterThanOrEqual(before);
        expect((await s.audits(conv.id)).map((a) => a.action)).toEqual(expect.arrayContaining(['message.network_hidden', 'conversation.reply_removed']));
      }
      expect(await s.row(kept)).toMatchObject({ redacted_at: null, network_hidden_at: null });
      expect(await s.conversation(kept)).toMatchObject({ status: 'waiting', waiting_since: null });
      for (const q of s.questions) expect(await s.row(q)).toMatchObject({ redacted_at: null, network_hidden_at: null });
      // a second check changes nothing and audits nothing more (a reply deleted for good is not asked again)
      const trail = await store.db.selectFrom('audit_event').select('id').where('brand_id', '=', s.brandId).execute();
      const asked = server.requests.length;
      await w.syncSoon(s.accountId);
      await w.runOnce();
      expect(server.requests.slice(asked).some((r) => r.path === `/api/v1/statuses/${deleted}`)).toBe(false);
      expect(await store.db.selectFrom('audit_event').select('id').where('brand_id', '=', s.brandId).execute()).toHaveLength(trail.length);
      // (the new process's stream is let open before it stops: a connection aborted mid-handshake is retried by the client)
      await until('the new process\'s stream is subscribed', () => server.streamCount(s.brand.id) === 1);
    } finally {
      await w.stop();
    }
  }, 60_000);
});
