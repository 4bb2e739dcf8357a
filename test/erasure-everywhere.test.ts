/**
 * Erasure reaches everywhere the person's data lives, and a post the brand deleted through
 * moderation is recorded as deleted by the brand, on SQLite and PostgreSQL, through a real desk:
 *  - erasing a customer clears notifications that quote or name them, their quarantined
 *    deliveries (by their network user id or handle field; a mere mention of them in someone
 *    else's delivery stays), relayed live events about their messages, CRM ids and consent notes
 *    in earlier audit entries (the entries stay), moderation evidence in the actions and their
 *    audit entries (the action and the cited rule stay), their handle and name in an internal
 *    note, an expert's question and answer and the brand's reply, all written through the API
 *    (test/erasure-staff-text.test.ts covers the rules); afterwards their words, handle, name
 *    and CRM id are found in no table but the ones documented to keep them;
 *  - a Facebook comment deleted by the brand (moderation `delete`) whose `verb: remove` webhook
 *    follows is redacted as `deleted_by_brand`; one its author removed stays `deleted_by_author`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphContractServer } from './contract-servers/graph.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

/** Every table of the schema (src/store/schema.ts). */
const TABLES = [
  'brand', 'team', 'app_user', 'team_member', 'session', 'api_token', 'channel_account', 'contact', 'contact_identity', 'conversation', 'conversation_label', 'message',
  'message_tombstone', 'note', 'audit_event', 'reporting_fact', 'quarantine', 'outbox', 'job', 'notification', 'kv', 'live_event', 'community_guideline', 'moderation_action',
  'crm_consent', 'expert_request', 'auto_ack', 'playbook', 'snippet', 'incident', 'triage_correction', 'fact_rollup', 'viewing_span', 'webchat_visitor',
] as const;

for (const dialect of DIALECTS) {
  describe(`erasure everywhere, deletions by the brand [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let fb: GraphContractServer;
    const db = () => desk.db.store.db;

    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      fb = await GraphContractServer.start();
      const rf = await admin.post('/api/channel-accounts', { network: 'facebook', handle: fb.page.name, externalId: fb.page.id, credentials: fb.credentials('facebook'), settings: { apiBaseUrl: fb.url } });
      expect(rf.status, JSON.stringify(rf.json)).toBe(201);
      fb.webhookUrls.page = `${desk.url}${new URL(rf.json.webhookUrl, 'http://x').pathname}`;
    });
    afterAll(async () => {
      await desk?.stop();
      await fb?.stop();
    });

    const ingest = async (m: ReturnType<typeof mention>) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0] as { messageId: number; conversationId: number };
    };

    it('erases the person from notifications, quarantine, live events, audit details and moderation evidence', async () => {
      const theirId = `8812734${dialect.length}90017`;
      const author = { networkUserId: theirId, handle: 'zed_person', displayName: 'Zed Quokkason', followers: 4 };
      const other = { networkUserId: `${theirId}5`, handle: 'zed_personality', displayName: 'Someone Else', followers: 9 };
      const a = await ingest(mention({ author, text: '@AcmeCare gnarwhalpie is my home address, send it there' }));
      const b = await ingest(mention({ author: other, text: '@AcmeCare unrelated otterquill question' }));
      const contactId = Number((await db().selectFrom('contact_identity').select('contact_id').where('network_user_id', '=', theirId).executeTakeFirstOrThrow()).contact_id);
      const subject = (await db().selectFrom('conversation').select('subject').where('id', '=', a.conversationId).executeTakeFirstOrThrow()).subject;
      expect(subject).toContain('gnarwhalpie');

      // a CRM link with a consent note (audited as contact.crm_linked)
      const linked = await admin.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-ZED-4471', consent: { method: 'verbal', note: 'Zed Quokkason agreed on the phone, ticket 4471' } });
      expect(linked.status, JSON.stringify(linked.json)).toBe(200);

      const now = Date.now();
      const notify = (title: string, body: string, conversationId: number | null) => db().insertInto('notification')
        .values({ brand_id: desk.brandId, user_id: desk.users.ana, kind: 'sla.breached', title, body, conversation_id: conversationId, created_at: now }).returning('id').executeTakeFirstOrThrow();
      // as the SLA sweep writes them (body: the conversation's subject), and one naming them
      const nSubject = await notify('SLA breached: first response', subject, a.conversationId);
      const nNamed = await notify('New message from @zed_person: …', 'Zed Quokkason wrote again', a.conversationId);
      const nElsewhere = await notify('Escalated by @Zed_Person', 'see the thread', b.conversationId);
      const nOther = await notify('New message from @zed_personality: …', 'unrelated otterquill question', b.conversationId);

      const quarantine = (raw: string, source = 'webhook:x') => db().insertInto('quarantine')
        .values({ brand_id: desk.brandId, source, reason: 'text: not a string', line: null, raw, created_at: now }).returning('id').executeTakeFirstOrThrow();
      const qJson = await quarantine(JSON.stringify({ id_str: '1790', text: null, user: { id_str: theirId, screen_name: 'zed_person', name: 'Zed Quokkason' }, note: 'gnarwhalpie' }));
      const qHandle = await quarantine(JSON.stringify({ id: '1791', author: { username: '@Zed_Person' }, text: 17 }));
      const qLine = await quarantine(`1792,${theirId},True,Tue Oct 31 22:10:47 +0000 2017,"gnarwhalpie again",,`, 'import:twcs');
      const qMention = await quarantine(JSON.stringify({ id: '1793', user: { id_str: other.networkUserId, screen_name: 'zed_personality' }, text: 'hey @zed_person look' }));
      const qLonger = await quarantine(`1794,${theirId}5,True,Tue Oct 31 22:10:47 +0000 2017,"not theirs",,`, 'import:twcs');

      const live = (e: object) => db().insertInto('live_event').values({ brand_id: desk.brandId, type: (e as { type: string }).type, data: JSON.stringify({ brandId: desk.brandId, at: now, ...e }), created_at: now }).returning('id').executeTakeFirstOrThrow();
      const lMessage = await live({ type: 'message.created', data: { id: a.messageId, conversationId: a.conversationId, text: '@AcmeCare gnarwhalpie is my home address' } });
      const lConversation = await live({ type: 'conversation.updated', data: { id: a.conversationId, subject } });
      const lOther = await live({ type: 'message.created', data: { id: b.messageId, conversationId: b.conversationId, text: 'unrelated otterquill question' } });

      // moderation of their post, as src/commands/moderation.ts records it (the X demo account cannot moderate)
      const g = await admin.post('/api/guidelines', { code: 'doxxing', title: 'No private data', description: 'Addresses and phone numbers are hidden to protect people.', allowedActions: ['hide', 'delete'] });
      expect(g.status, JSON.stringify(g.json)).toBe(201);
      const evidence = 'Posts "gnarwhalpie is my home address" in public';
      const mod = await db().insertInto('moderation_action').values({
        brand_id: desk.brandId, message_id: a.messageId, conversation_id: a.conversationId, identity_id: null, action: 'hide', guideline_id: g.json.id, evidence, actor_user_id: desk.users.ana, status: 'done', error: null, created_at: now,
      }).returning('id').executeTakeFirstOrThrow();
      await db().insertInto('audit_event').values({
        brand_id: desk.brandId, actor_user_id: desk.users.ana, actor: `user:${desk.users.ana}`, action: 'moderation.hide', subject_type: 'message', subject_id: String(a.messageId), conversation_id: a.conversationId,
        data: JSON.stringify({ guideline: { id: g.json.id, code: 'doxxing', title: 'No private data' }, evidence, status: 'done', error: null, author: 'zed_person' }), created_at: now,
      }).execute();

      // staff text naming them, through the desk: a note, a question to the expert and its answer, the brand's reply
      const noted = await admin.post(`/api/conversations/${a.conversationId}/notes`, { text: 'Zed Quokkason (@zed_person) called about the same post' });
      expect(noted.status, JSON.stringify(noted.json)).toBe(201);
      const asked = await admin.post(`/api/conversations/${a.conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'Is zed_person (Zed Quokkason) a known case?' });
      expect(asked.status, JSON.stringify(asked.json)).toBe(201);
      const expert = await Client.signIn(desk.url, 'eli@acme.test');
      const answered = await expert.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Yes: @Zed_Person wrote to us in March' });
      expect(answered.status, JSON.stringify(answered.json)).toBe(200);
      const replied = await admin.post(`/api/conversations/${a.conversationId}/replies`, { text: '@zed_person sorry Zed Quokkason, we have hidden it' });
      expect([200, 202], JSON.stringify(replied.json)).toContain(replied.status);

      const r = await admin.post(`/api/contacts/${contactId}/erase`, { reason: 'GDPR request #88' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ contactId, messagesRedacted: 1, identitiesErased: 1, notesToReview: { count: 2, conversationIds: [a.conversationId] }, alsoErased: { notifications: 5, quarantined: 3, liveEvents: 2, auditEntries: 3, moderationEvidence: 1 } });
      // (the notices of the question and of its answer quote them, as does the question's `expert.asked` audit entry)
      const noteTexts = (await db().selectFrom('note').select('text').where('conversation_id', '=', a.conversationId).orderBy('id').execute()).map((n) => n.text);
      expect(noteTexts).toEqual(['erased (@erased) called about the same post', 'Yes: @erased wrote to us in March']);
      expect((await db().selectFrom('expert_request').select('question').where('id', '=', asked.json.id).executeTakeFirstOrThrow()).question).toBe('Is erased (erased) a known case?');
      expect((await db().selectFrom('message').select('text').where('id', '=', replied.json.message.id).executeTakeFirstOrThrow()).text).toBe('@erased sorry erased, we have hidden it');

      const note = async (id: number) => db().selectFrom('notification').select(['title', 'body']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(await note(nSubject.id)).toEqual({ title: 'SLA breached: first response', body: '[erased]' });
      expect(await note(nNamed.id)).toEqual({ title: 'New message from @erased: …', body: 'erased wrote again' });
      expect(await note(nElsewhere.id)).toEqual({ title: 'Escalated by @erased', body: 'see the thread' });
      expect(await note(nOther.id)).toEqual({ title: 'New message from @zed_personality: …', body: 'unrelated otterquill question' });

      const quarantined = (await db().selectFrom('quarantine').select('id').execute()).map((q) => Number(q.id));
      for (const q of [qJson, qHandle, qLine]) expect(quarantined).not.toContain(Number(q.id));
      for (const q of [qMention, qLonger]) expect(quarantined).toContain(Number(q.id));

      // kept, with the values the desk now holds (a process relaying one still tells its clients what changed)
      const event = async (id: number) => (await db().selectFrom('live_event').select('data').where('id', '=', id).executeTakeFirstOrThrow()).data;
      expect(JSON.parse(await event(Number(lMessage.id))).data).toEqual({ id: a.messageId, conversationId: a.conversationId, text: '', redacted: 'erasure' });
      const stored = (await db().selectFrom('conversation').select('subject').where('id', '=', a.conversationId).executeTakeFirstOrThrow()).subject;
      expect(JSON.parse(await event(Number(lConversation.id))).data).toEqual({ id: a.conversationId, subject: stored });
      expect(await event(Number(lConversation.id))).not.toContain('gnarwhalpie');
      expect(JSON.parse(await event(Number(lOther.id))).data.text).toBe('unrelated otterquill question');

      // the actions and who did them stay; what they said about the person goes
      const action = await db().selectFrom('moderation_action').selectAll().where('id', '=', mod.id).executeTakeFirstOrThrow();
      expect(action).toMatchObject({ action: 'hide', guideline_id: g.json.id, status: 'done', evidence: '[erased]', actor_user_id: desk.users.ana });
      const modAudit = await db().selectFrom('audit_event').selectAll().where('action', '=', 'moderation.hide').where('subject_id', '=', String(a.messageId)).executeTakeFirstOrThrow();
      expect(modAudit.actor).toBe(`user:${desk.users.ana}`);
      expect(JSON.parse(modAudit.data)).toEqual({ guideline: { id: g.json.id, code: 'doxxing', title: 'No private data' }, evidence: '[erased]', status: 'done', error: null, author: 'erased' });
      const crmAudit = await db().selectFrom('audit_event').selectAll().where('action', '=', 'contact.crm_linked').where('subject_id', '=', String(contactId)).executeTakeFirstOrThrow();
      expect(crmAudit.actor).toBe(`user:${desk.users.admin}`);
      expect(JSON.parse(crmAudit.data)).toMatchObject({ crmCustomerId: '[erased]', method: 'verbal', note: '[erased]', previous: null });

      // their words, handle, name, CRM id and network id are nowhere any more
      for (const table of TABLES) {
        // (a mention of them in someone else's quarantined delivery is that person's: it stays)
        const rows = JSON.stringify((await db().selectFrom(table).selectAll().execute()).filter((x) => table !== 'quarantine' || Number((x as { id: number }).id) !== Number(qMention.id)));
        for (const secret of ['gnarwhalpie', 'Quokkason', 'CUST-ZED-4471', theirId]) {
          // the longer id and the other person's handle are someone else's
          const found = rows.split(secret).length - 1 - (secret === theirId ? rows.split(`${theirId}5`).length - 1 : 0);
          expect(found, `${secret} in ${table}`).toBe(0);
        }
        expect(rows.replace(/zed_personality/gi, ''), `zed_person in ${table}`).not.toMatch(/zed_person/i);
      }
    });

    it('records a comment the brand deleted through moderation as deleted by the brand when the network\'s removal comes', async () => {
      const g = await admin.post('/api/guidelines', { code: 'spam', title: 'No spam', description: 'Advertising and scam links are removed from the Page.', allowedActions: ['hide', 'delete'] });
      expect(g.status, JSON.stringify(g.json)).toBe(201);
      const rowOf = (id: string) => db().selectFrom('message').selectAll().where('network_message_id', '=', id).executeTakeFirstOrThrow();

      const spam = await fb.fbComment('cheap pills at scamlinkzork dot example');
      const mine = await fb.fbComment('my kettlewhisk order, sorry, wrong page');
      const spamRow = await rowOf(spam);
      const del = await admin.post(`/api/messages/${spamRow.id}/moderation`, { action: 'delete', guidelineId: g.json.id, evidence: 'Advertises a scam pharmacy link, not about our products.' });
      expect(del.status, JSON.stringify(del.json)).toBe(200);
      expect(del.json).toMatchObject({ status: 'done', action: 'delete' });

      // Meta then sends `verb: remove` for both: one deleted by the Page, one by its author
      await fb.fbRemoveComment(spam);
      expect(fb.delivered.at(-1)!.status).toBe(200);
      await fb.fbRemoveComment(mine);
      expect(fb.delivered.at(-1)!.status).toBe(200);
      expect(await rowOf(spam)).toMatchObject({ text: '', redacted_reason: 'deleted_by_brand' });
      expect(await rowOf(mine)).toMatchObject({ text: '', redacted_reason: 'deleted_by_author' });
      const audits = await db().selectFrom('audit_event').select('data').where('action', '=', 'message.redacted').where('subject_id', '=', String(spamRow.id)).execute();
      expect(audits.map((x) => JSON.parse(x.data))).toEqual([{ reason: 'deleted_by_brand' }]);

      const detail = await admin.get(`/api/conversations/${spamRow.conversation_id}`);
      expect(detail.status).toBe(200);
      expect(detail.json.messages.find((m: { id: number }) => m.id === spamRow.id)).toMatchObject({ text: '', redacted: 'deleted_by_brand' });
    });
  });
}
