/**
 * Deletions and erasure, on SQLite and PostgreSQL, through a real desk:
 *  - the redaction primitive: text, payload and link cleared, search no longer finds the words
 *    or the emoji, the row and the report counts stay, audited once (idempotent);
 *  - X `tweet_delete_events` and a Facebook `feed` `verb: remove` delivered, signed, through
 *    the real webhook route (from the contract servers) redact the stored message;
 *  - a deletion that arrives before its post keeps the post out;
 *  - erasing a customer through the API: 200 for an admin, 403 for an agent, 409 for the
 *    brand's own account.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphContractServer } from './contract-servers/graph.js';
import { XContractServer } from './contract-servers/x.js';
import { feedRemoval } from '../src/channels/facebook/normalize.js';
import { handleXWebhook, signXWebhook } from '../src/channels/x/webhook.js';
import { indexPending } from '../src/store/fts.js';
import { searchMessageIds } from '../src/store/queries.js';
import { redactMessages } from '../src/store/redact.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`deletions and erasure [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let x: XContractServer;
    let fb: GraphContractServer;
    const db = () => desk.db.store.db;
    const store = () => desk.db.store;

    const ingest = async (over: Parameters<typeof mention>[0]) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention(over)] });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json.outcomes[0] as { status: string; messageId: number; conversationId: number };
    };
    const search = async (q: string) => {
      await indexPending(store());
      return searchMessageIds(store(), desk.brandId, q, 50);
    };
    const rowOf = (networkMessageId: string) => db().selectFrom('message').selectAll().where('network_message_id', '=', networkMessageId).executeTakeFirst();
    const volume = async () => {
      const r = await admin.get('/api/reports/volume');
      expect(r.status).toBe(200);
      return r.json;
    };
    const counts = async () => ({
      messages: Number((await db().selectFrom('message').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
      facts: Number((await db().selectFrom('reporting_fact').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
      volume: await volume(),
    });

    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      x = await XContractServer.start();
      fb = await GraphContractServer.start();
      const rx = await admin.post('/api/channel-accounts', { network: 'x', handle: x.brand.username, externalId: x.brand.id, credentials: x.credentials(), settings: { apiBaseUrl: x.url } });
      expect(rx.status, JSON.stringify(rx.json)).toBe(201);
      x.webhookUrl = `${desk.url}${new URL(rx.json.webhookUrl, 'http://x').pathname}`;
      const rf = await admin.post('/api/channel-accounts', { network: 'facebook', handle: fb.page.name, externalId: fb.page.id, credentials: fb.credentials('facebook'), settings: { apiBaseUrl: fb.url } });
      expect(rf.status, JSON.stringify(rf.json)).toBe(201);
      fb.webhookUrls.page = `${desk.url}${new URL(rf.json.webhookUrl, 'http://x').pathname}`;
    });
    afterAll(async () => {
      await desk?.stop();
      await x?.stop();
      await fb?.stop();
    });

    it('redacts a message: words and emoji no longer found, row and report counts kept, audited once', async () => {
      const o = await ingest({ text: '@AcmeCare my zanzibarquux parcel is late 😡', raw: { secret: 'payload-zanzibarquux' } });
      expect(o.status).toBe('stored');
      expect(await search('zanzibarquux')).toContain(o.messageId);
      expect(await search('😡')).toContain(o.messageId);
      const before = await counts();

      const now = Date.now();
      const r = await db().transaction().execute((trx) => redactMessages(trx, store(), { brandId: desk.brandId, messageIds: [o.messageId], reason: 'deleted_by_author', actor: 'system:test', now }));
      expect(r.redacted).toEqual([o.messageId]);
      // again: nothing more to do, no second audit entry
      const again = await db().transaction().execute((trx) => redactMessages(trx, store(), { brandId: desk.brandId, messageIds: [o.messageId], reason: 'deleted_by_author', actor: 'system:test', now }));
      expect(again.redacted).toEqual([]);

      expect(await search('zanzibarquux')).not.toContain(o.messageId);
      expect(await search('😡')).not.toContain(o.messageId);
      const row = await db().selectFrom('message').selectAll().where('id', '=', o.messageId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ text: '', text_escaped: null, raw: null, redacted_reason: 'deleted_by_author', conversation_id: o.conversationId, direction: 'inbound' });
      expect(Number(row.redacted_at)).toBe(now);
      expect((await sql`SELECT term FROM message_emoji WHERE message_id = ${o.messageId}`.execute(db())).rows).toEqual([]);
      const conv = await db().selectFrom('conversation').select(['subject', 'message_count']).where('id', '=', o.conversationId).executeTakeFirstOrThrow();
      expect(conv.subject).not.toContain('zanzibarquux');
      expect(await counts()).toEqual(before);
      const audits = await db().selectFrom('audit_event').selectAll().where('action', '=', 'message.redacted').where('subject_id', '=', String(o.messageId)).execute();
      expect(audits).toHaveLength(1);
      expect(audits[0]!.data).not.toContain('zanzibarquux');

      // the conversation view presents it as deleted, without text
      const detail = await admin.get(`/api/conversations/${o.conversationId}`);
      expect(detail.status).toBe(200);
      const m = detail.json.messages.find((mm: { id: number }) => mm.id === o.messageId);
      expect(m).toMatchObject({ text: '', redacted: 'deleted_by_author' });
      expect(JSON.stringify(detail.json)).not.toContain('zanzibarquux');
    });

    it('honours an X tweet_delete_events delivery through the webhook route', async () => {
      const id = await x.postMention(`@${x.brand.username} my xylophonequirk order broke`);
      expect(x.delivered.at(-1)!.status).toBe(200);
      expect((await rowOf(id))!.text).toContain('xylophonequirk');
      await x.authorDeletesTweet(id);
      expect(x.delivered.at(-1)!.status).toBe(200);
      const row = (await rowOf(id))!;
      expect(row).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_by_author' });
      expect(await search('xylophonequirk')).toEqual([]);
      // redelivered: still one row, still redacted, not an error
      expect(await x.post(x.delivered.at(-1)!)).toBe(200);
      expect(await db().selectFrom('message').select('id').where('network_message_id', '=', id).execute()).toHaveLength(1);
    });

    it('honours a Facebook feed remove delivery through the webhook route', async () => {
      const id = await fb.fbComment('my quokkaflume refund never came');
      expect(fb.delivered.at(-1)!.status).toBe(200);
      expect((await rowOf(id))!.text).toContain('quokkaflume');
      await fb.fbRemoveComment(id);
      expect(fb.delivered.at(-1)!.status).toBe(200);
      expect(await rowOf(id)).toMatchObject({ text: '', raw: null, redacted_reason: 'deleted_by_author' });
      expect(await search('quokkaflume')).toEqual([]);
    });

    it('keeps out a post whose deletion arrived first; a deletion of an unknown post is no error', async () => {
      const hook = x.webhookUrl;
      x.webhookUrl = null; // hold the post's delivery
      const id = await x.postMention(`@${x.brand.username} walrusplinth comes late`);
      const [create] = x.takePending();
      x.webhookUrl = hook;
      await x.authorDeletesTweet(id);
      expect(x.delivered.at(-1)!.status).toBe(200);
      expect(await x.post(create!)).toBe(200);
      expect(await rowOf(id)).toBeUndefined();
      expect(await search('walrusplinth')).toEqual([]);
      // Facebook: a removal of a comment never seen
      await fb.fbRemoveComment('123_456');
      expect(fb.delivered.at(-1)!.status).toBe(200);
    });

    it('erases a customer: admin 200, agent 403, the brand\'s own account 409', async () => {
      const author = { networkUserId: `erase-${dialect}`, handle: 'gdpr_person', displayName: 'Gina Person', followers: 3, avatarUrl: 'https://pbs.example/gina.jpg' };
      const a = await ingest({ author, text: '@AcmeCare hippogriffwax is my address' });
      const b = await ingest({ author, text: '@AcmeCare also 🦄 please', createdAt: Date.now() + 1 });
      const ident = await db().selectFrom('contact_identity').selectAll().where('network_user_id', '=', author.networkUserId).executeTakeFirstOrThrow();
      const contactId = Number(ident.contact_id);
      const before = await counts();

      const agent = await Client.signIn(desk.url, 'ana@acme.test');
      expect((await agent.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #7' })).status).toBe(403);
      expect((await admin.post(`/api/contacts/${contactId}/erase`, {})).status).toBe(400);

      const r = await admin.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #7' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ contactId, messagesRedacted: 2, identitiesErased: 1, notesToReview: { count: 0 } });
      for (const o of [a, b]) expect(await db().selectFrom('message').select(['text', 'redacted_reason']).where('id', '=', o.messageId).executeTakeFirstOrThrow()).toEqual({ text: '', redacted_reason: 'erasure' });
      expect(await search('hippogriffwax')).toEqual([]);
      expect(await search('🦄')).toEqual([]);
      const after = await db().selectFrom('contact_identity').selectAll().where('id', '=', ident.id).executeTakeFirstOrThrow();
      expect(after).toMatchObject({ handle: 'erased', display_name: 'erased', avatar_url: null });
      expect(after.network_user_id).not.toBe(author.networkUserId);
      expect(await counts()).toEqual(before);
      const audit = await db().selectFrom('audit_event').selectAll().where('action', '=', 'contact.erased').where('subject_id', '=', String(contactId)).executeTakeFirstOrThrow();
      expect(audit.actor).toBe(`user:${desk.users.admin}`);
      expect(audit.data).toContain('GDPR request #7');
      expect(audit.data).not.toContain('hippogriffwax');
      expect(audit.data).not.toContain('gdpr_person');

      // the brand's own account (an identity that is one of its channel accounts) is refused
      const own = await db().selectFrom('channel_account').select(['network', 'external_id']).where('network', '=', 'x').where('external_id', '=', x.brand.id).executeTakeFirstOrThrow();
      const ownIdent = await db().selectFrom('contact_identity').select('contact_id').where('network', '=', own.network).where('network_user_id', '=', own.external_id).executeTakeFirst();
      const ownContact = ownIdent?.contact_id ?? (await createOwnContact(desk, own.external_id));
      expect((await admin.post(`/api/contacts/${ownContact}/erase`, { reason: 'testing the refusal' })).status).toBe(409);
    });
  });
}

/** A contact whose identity is the brand's own X account (as ingesting one of its posts would make). */
async function createOwnContact(desk: TestDesk, externalId: string): Promise<number> {
  const now = Date.now();
  const db = desk.db.store.db;
  const c = await db.insertInto('contact').values({ brand_id: desk.brandId, display_name: 'Acme', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('contact_identity').values({ brand_id: desk.brandId, contact_id: c.id, network: 'x', network_user_id: externalId, handle: 'acme', verified: 0, created_at: now, updated_at: now }).execute();
  return Number(c.id);
}

describe('reading deletion events', () => {
  it('X: tweet_delete_events become deletions; a malformed one is quarantined, not dropped', () => {
    const body = Buffer.from(JSON.stringify({ for_user_id: '42', tweet_delete_events: [{ status: { id: '1045405559317569537', user_id: '7' }, timestamp_ms: '1432228155593' }, { status: 'nope' }] }));
    const r = handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('s3cret', body) }, rawBody: body }, 's3cret', { userId: '42', username: 'acme' }, Date.now());
    expect(r.deletions).toEqual([{ networkMessageId: '1045405559317569537' }]);
    expect(r.messages).toEqual([]);
    expect(r.rejected?.map((x) => x.reason)).toEqual([expect.stringContaining('tweet_delete_events[1]')]);
    // another subscribed user's deletions are not ours
    const other = Buffer.from(JSON.stringify({ for_user_id: '43', tweet_delete_events: [{ status: { id: '1', user_id: '7' } }] }));
    expect(handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('s3cret', other) }, rawBody: other }, 's3cret', { userId: '42', username: 'acme' }, Date.now()).deletions).toBeUndefined();
  });

  it('Facebook: verb remove of a comment or a visitor post names the removed item; other verbs do not', () => {
    expect(feedRemoval({ item: 'comment', verb: 'remove', comment_id: '1_2', post_id: '1' })).toBe('1_2');
    expect(feedRemoval({ item: 'status', verb: 'remove', post_id: '9_3' })).toBe('9_3');
    expect(feedRemoval({ item: 'post', verb: 'remove', post_id: '9_4' })).toBe('9_4');
    expect(feedRemoval({ item: 'comment', verb: 'add', comment_id: '1_2' })).toBeNull();
    expect(feedRemoval({ item: 'reaction', verb: 'remove', post_id: '9_3' })).toBeNull();
  });
});
