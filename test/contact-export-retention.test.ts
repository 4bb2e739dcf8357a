/**
 * Subject access export (`GET /api/contacts/:id/export`, src/commands/export.ts) and raw payload
 * retention (`retention.rawPayloadDays`, src/jobs/housekeeping.ts), on a real desk over SQLite
 * and PostgreSQL: the export is the admin's, audited, holds the person's messages, the brand's
 * replies to them and their consent and nobody else's; retention clears only old payloads, a
 * batch at a time, and a message without its payload still shows and is found by search.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONSENT_ASK_TEXT } from '../src/commands/contacts.js';
import { exportContact } from '../src/commands/export.js';
import { expireRawPayloads } from '../src/jobs/housekeeping.js';
import { DIALECTS } from './db.js';
import { Client, consentGiven, mention, startDesk, type TestDesk } from './helpers/parley.js';

const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`subject access export and raw retention [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;

    beforeAll(async () => {
      desk = await startDesk(dialect);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => {
      await desk?.stop();
    });

    const ingest = async (m: ReturnType<typeof mention>) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      expect(r.status).toBe(200);
      const o = r.json.outcomes[0];
      expect(o.status).toBe('stored');
      return o as { messageId: number; conversationId: number };
    };
    const contactOf = async (messageId: number) => {
      const db = desk.db.store.db;
      const m = await db.selectFrom('message').select('author_identity_id').where('id', '=', messageId).executeTakeFirstOrThrow();
      const i = await db.selectFrom('contact_identity').select('contact_id').where('id', '=', m.author_identity_id!).executeTakeFirstOrThrow();
      return Number(i.contact_id);
    };

    it('gives an admin everything about one customer, and nothing about another; an agent gets a 403', async () => {
      const alice = { networkUserId: 'alice-1', handle: 'alice', displayName: 'Alice </script><b>x</b>', followers: 3 };
      const first = await ingest(mention({ author: alice, text: '@AcmeCare my parcel 77 is lost <img src=x onerror=alert(1)>' }));
      // asked for consent in her conversation (a reply of the brand's), she agrees
      const yes = await consentGiven(desk, ana, admin, first.conversationId, alice, '@AcmeCare yes, link my account please');
      const bob = await ingest(mention({ author: { networkUserId: 'bob-1', handle: 'bob', displayName: 'Bob', followers: 1 }, text: '@AcmeCare Bob secret complaint' }));
      const aliceId = await contactOf(first.messageId);
      const bobId = await contactOf(bob.messageId);
      expect(aliceId).not.toBe(bobId);
      expect((await admin.post(`/api/contacts/${aliceId}/crm-link`, { crmCustomerId: 'CUST-77', consent: { method: 'customer_message', messageId: first.messageId } })).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
      const linked = await admin.post(`/api/contacts/${aliceId}/crm-link`, { crmCustomerId: 'CUST-77', consent: { method: 'customer_message', messageId: yes } });
      expect(linked.status).toBe(200);
      // replies the brand sent her (stored as sent; two in the same millisecond), and a note on her conversation
      const now = Date.now();
      for (const [i, text] of ['@alice sorry, we are on it', '@alice found it'].entries()) {
        await desk.db.store.db.insertInto('message').values({
          brand_id: desk.brandId, conversation_id: first.conversationId, channel_account_id: desk.accountId, network: 'x', network_message_id: `reply-${i}`, direction: 'outbound',
          visibility: 'public', kind: 'reply', author_user_id: desk.users.ana, text, created_at: now, received_at: now, status: 'sent', source: 'agent', is_auto: 0, reply_to_message_id: first.messageId,
        }).execute();
      }
      expect((await ana.post(`/api/conversations/${first.conversationId}/notes`, { text: 'Alice called too, parcel 77' })).status).toBeLessThan(300);

      expect((await ana.get(`/api/contacts/${aliceId}/export`)).status).toBe(403);
      expect((await admin.get('/api/contacts/999999/export')).status).toBe(404);

      const res = await fetch(`${desk.url}/api/contacts/${aliceId}/export`, { headers: { cookie: admin.cookie } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="parley-contact-${aliceId}.json"`);
      const body = await res.text();
      // hostile text is escaped, never raw markup
      expect(body).not.toMatch(/[<>]/);
      const doc = JSON.parse(body);
      expect(doc.contact).toMatchObject({ id: aliceId, crmCustomerId: 'CUST-77' });
      expect(doc.identities.map((i: any) => i.handle)).toEqual(['alice']);
      expect(doc.identities[0].displayName).toBe('Alice </script><b>x</b>');
      const texts = doc.messagesWritten.map((m: any) => m.text);
      expect(texts).toEqual(['@AcmeCare my parcel 77 is lost <img src=x onerror=alert(1)>', '@AcmeCare yes, link my account please']);
      expect(body).not.toContain('Bob secret');
      expect(doc.messagesReceived.map((m: any) => m.text)).toEqual([DEFAULT_CONSENT_ASK_TEXT, '@alice sorry, we are on it', '@alice found it']);
      expect(doc.crmConsents).toHaveLength(1);
      // and the question that asked for it, with which reply asked
      expect(doc.crmConsentAsks).toHaveLength(1);
      expect(doc.crmConsentAsks[0]).toMatchObject({ conversationId: expect.any(Number), messageId: expect.any(Number), askedAt: expect.any(String) });
      expect(doc.messagesReceived.find((m: any) => m.id === doc.crmConsentAsks[0].messageId)?.text).toBe(DEFAULT_CONSENT_ASK_TEXT);
      expect(doc.crmConsents[0]).toMatchObject({ crmCustomerId: 'CUST-77', method: 'customer_message', evidenceMessageId: yes, withdrawnAt: null });
      expect(doc.notes.map((n: any) => n.text)).toEqual(['Alice called too, parcel 77']);
      expect(doc.conversations.map((c: any) => c.id)).toContain(first.conversationId);
      expect(doc.messagesWritten[0]).toHaveProperty('triage');
      const actions = doc.auditEvents.map((e: any) => e.action);
      expect(actions).toContain('contact.crm_linked');
      // this export's start is on record in it; its end is audited after the last byte
      expect(actions).toContain('contact.export_started');
      for (const e of doc.auditEvents) if (e.conversationId != null) expect(doc.conversations.map((c: any) => c.id)).toContain(e.conversationId);
      // who exported whom, when
      const audited = await desk.db.store.db.selectFrom('audit_event').selectAll().where('action', 'in', ['contact.export_started', 'contact.exported', 'contact.export_failed']).orderBy('id').execute();
      expect(audited.map((a) => [a.action, a.actor, a.subject_id])).toEqual([['contact.export_started', `user:${desk.users.admin}`, String(aliceId)], ['contact.exported', `user:${desk.users.admin}`, String(aliceId)]]);
      expect(JSON.parse(audited[1]!.data)).toEqual({ format: 'json', bytes: Buffer.byteLength(body) });

      // read a page at a time: the same document with pages of one row
      const small = await exportContact(desk.db.store, { brandId: desk.brandId, userId: desk.users.admin, role: 'admin', name: `user:${desk.users.admin}` }, aliceId, Date.now(), 1);
      let text = '';
      for await (const c of small.chunks) text += c;
      const paged = JSON.parse(text);
      expect(paged.messagesWritten.map((m: any) => m.id)).toEqual(doc.messagesWritten.map((m: any) => m.id));
      expect(paged.messagesReceived).toEqual(doc.messagesReceived);
      expect(paged.notes).toEqual(doc.notes);
      // the first export's end, and this one's start
      expect(paged.auditEvents.length).toBe(doc.auditEvents.length + 2);
    });

    it('refuses a bad retention and clears only old payloads, a batch at a time; the messages still show and are found', async () => {
      for (const bad of [0, 1.5, 99999, 'ten']) {
        expect((await admin.req('PATCH', '/api/settings/workflow', { retention: { rawPayloadDays: bad } })).status).toBe(400);
      }
      const now = Date.now();
      const old = [];
      for (let i = 0; i < 5; i++) old.push(await ingest(mention({ createdAt: now - 40 * DAY - i * 1000, text: `@AcmeCare ancient zebrafish ${i}`, raw: { old: i } })));
      const fresh = await ingest(mention({ createdAt: now - 5 * DAY, text: '@AcmeCare recent zebrafish', raw: { fresh: true } }));
      const db = desk.db.store.db;
      const rawOf = async (id: number) => (await db.selectFrom('message').select('raw').where('id', '=', id).executeTakeFirstOrThrow()).raw;

      // off by default: nothing is cleared
      expect((await admin.get('/api/settings/workflow')).json.retention).toEqual({ rawPayloadDays: null });
      expect((await expireRawPayloads(desk.db.store, now, 2)).size).toBe(0);
      expect(await rawOf(old[0]!.messageId)).not.toBeNull();

      const set = await admin.req('PATCH', '/api/settings/workflow', { retention: { rawPayloadDays: 30 } });
      expect(set.status).toBe(200);
      expect(set.json.retention).toEqual({ rawPayloadDays: 30 });
      const counts: number[] = [];
      for (let i = 0; i < 4; i++) counts.push((await expireRawPayloads(desk.db.store, now, 2)).get(desk.brandId) ?? 0);
      // 5 old rows (plus none of the earlier test's, which are new): 2, 2, 1, then nothing
      expect(counts).toEqual([2, 2, 1, 0]);
      for (const o of old) expect(await rawOf(o.messageId)).toBeNull();
      expect(await rawOf(fresh.messageId)).not.toBeNull();
      const expired = await db.selectFrom('audit_event').selectAll().where('action', '=', 'message.raw_expired').orderBy('id').execute();
      expect(expired.map((e) => JSON.parse(e.data).count)).toEqual([2, 2, 1]);
      expect(expired.every((e) => e.actor === 'system:retention' && e.subject_type === 'brand')).toBe(true);

      // text and triage untouched; the conversation shows it; search finds it
      const row = await db.selectFrom('message').selectAll().where('id', '=', old[0]!.messageId).executeTakeFirstOrThrow();
      expect(row.text).toBe('@AcmeCare ancient zebrafish 0');
      const conv = await ana.get(`/api/conversations/${old[0]!.conversationId}`);
      expect(conv.status).toBe(200);
      expect(conv.json.messages.map((m: any) => m.text)).toContain('@AcmeCare ancient zebrafish 0');
      let found: any[] = [];
      for (let i = 0; i < 50 && found.length < 6; i++) {
        found = (await ana.get('/api/search?q=zebrafish')).json.items;
        if (found.length < 6) await new Promise((r) => setTimeout(r, 200));
      }
      expect(found.map((m: any) => m.id)).toContain(old[0]!.messageId);

      // turned off again (null): nothing more is cleared
      expect((await admin.req('PATCH', '/api/settings/workflow', { retention: { rawPayloadDays: null } })).status).toBe(200);
      expect((await expireRawPayloads(desk.db.store, now + 100 * DAY, 10)).size).toBe(0);
    });
  });
}
