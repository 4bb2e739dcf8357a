/**
 * Moderation by the rules and consent-based CRM links, attacked through the HTTP API on both
 * stores: rules that only forbid negativity, retired rules, repeated and undone actions, a
 * network that does not answer, hostile text, and CRM links requested at the same time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capabilities, Channel } from '../src/channels/types.js';
import { ChannelError } from '../src/channels/types.js';
import { createBrand, createUser } from '../src/commands/setup.js';
import { Client, consentGiven, mention, PASSWORD, startDesk, type TestDesk } from './helpers/parley.js';
import { DIALECTS } from './db.js';
import { housekeeping } from '../src/jobs/housekeeping.js';

for (const dialect of DIALECTS) {
  describe(`moderation by the rules, attacked [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client, ana: Client, cleo: Client, eli: Client, zed: Client;
    const calls: string[] = [];
    /** What the moderation log said while the network was being asked. */
    const seenWhileAsking: string[] = [];
    let failNext: ChannelError | null = null;
    /** How long the network takes to answer. */
    let networkMs = 0;
    let modAccount = 0;
    let harassment = 0;
    const evidence = 'Threatens a member of staff at their home.';

    beforeAll(async () => {
      desk = await startDesk(dialect);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
      const globex = await createBrand(desk.db.store.db, { slug: 'globex', name: 'Globex', timezone: 'UTC' }, Date.now());
      await createUser(desk.db.store.db, { brandId: globex, email: 'zed@globex.test', name: 'Zed Admin', role: 'admin', password: PASSWORD, availability: 'online' }, Date.now());
      zed = await Client.signIn(desk.url, 'zed@globex.test');
      const caps = { publicReply: true, privateMessage: true, hide: true, delete: true, block: true, mute: true, like: true, fetchProfile: true, fetchThread: true, search: true, webhook: true, poll: true, stream: true } as Capabilities;
      const network = async (call: string) => {
        const log = await desk.db.store.db.selectFrom('moderation_action').select(['action', 'status']).orderBy('id', 'desc').limit(1).executeTakeFirst();
        seenWhileAsking.push(`${log?.action}:${log?.status}`);
        if (networkMs) await new Promise((r) => setTimeout(r, networkMs));
        if (failNext) {
          const e = failNext;
          failNext = null;
          throw e;
        }
        calls.push(call);
      };
      desk.parley.services.registry.register('modnet', (account) => ({
        network: account.network, capabilities: caps,
        async sendPublicReply() { return { networkMessageId: 'r' }; },
        async hide(id, hidden) { await network(`${hidden ? 'hide' : 'unhide'}:${id}`); },
        async delete(id) { await network(`delete:${id}`); },
        async block(u) { await network(`block:${u.handle}`); },
        async mute(u) { await network(`mute:${u.handle}`); },
        async unblock(u) { await network(`unblock:${u.handle}`); },
        async unmute(u) { await network(`unmute:${u.handle}`); },
      }) as Channel);
      modAccount = (await admin.post('/api/channel-accounts', { network: 'facebook', handle: 'AcmePage', driver: 'modnet' })).json.id;
      harassment = (await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.' })).json.id;
    });
    afterAll(async () => desk?.stop());

    async function post(text = 'I know where you live') {
      const m = mention({ network: 'facebook', kind: 'comment', text });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: modAccount, messages: [m] });
      const [{ messageId, conversationId }] = r.json.outcomes;
      return { messageId: messageId as number, conversationId: conversationId as number, m };
    }
    const moderationAudit = async (conversationId: number) =>
      ((await ana.get(`/api/conversations/${conversationId}`)).json.audit as any[]).filter((e) => e.action.startsWith('moderation.')).map((e) => `${e.action}:${e.data.status}`).reverse();

    it('refuses a guideline that forbids only negativity, so moderation cannot cite one', async () => {
      for (const g of [
        { code: 'no-negativity', title: 'No negative reviews', description: 'Negative or critical comments about our products are hidden.' },
        { code: 'be-nice', title: 'Keep it positive', description: 'Customers who keep complaining or are rude to us get muted.' },
      ]) {
        const r = await admin.post('/api/guidelines', g);
        expect(r.status, g.code).toBe(400);
        expect(r.json.code).toBe('guideline.negativity');
      }
      expect((await admin.get('/api/guidelines')).json.items.map((g: any) => g.code)).toEqual(['harassment']);
      // a rule that names a violation stands, even in words close to negativity
      expect((await admin.post('/api/guidelines', { code: 'abuse', title: 'No abuse of staff', description: 'Insults, slurs and threats aimed at our staff are hidden.' })).status).toBe(201);
    });

    it('refuses evidence that calls criticism of the brand an attack or an insult', async () => {
      const { messageId } = await post('Your new app is a scam of a product and your prices are a joke');
      calls.length = 0;
      for (const e of ['A negative review that attacks our product', 'insulting us in every post']) {
        const r = await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence: e });
        expect(r.json.code, e).toBe('moderation.needs_evidence');
      }
      expect(calls).toEqual([]);
    });

    it('retires a guideline (admins only, audited): it can no longer be cited', async () => {
      const g = (await admin.post('/api/guidelines', { code: 'old-spam', title: 'No spam (old)', description: 'Advertising links are hidden.', allowedActions: ['hide'] })).json.id;
      const { messageId } = await post('buy cheap followers at spam.example');
      expect((await ana.post(`/api/guidelines/${g}/retire`, { reason: 'replaced' })).status).toBe(403);
      expect((await zed.post(`/api/guidelines/${g}/retire`, { reason: 'not mine' })).status).toBe(404);
      expect((await admin.post(`/api/guidelines/${g}/retire`, { reason: 'replaced by the new spam rule' })).status).toBe(204);
      expect((await admin.post(`/api/guidelines/${g}/retire`, { reason: 'again' })).json.code).toBe('guideline.retired');
      expect((await admin.get('/api/guidelines')).json.items.map((x: any) => x.code)).not.toContain('old-spam');
      const cited = await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: g, evidence: 'Advertises a spam link to buy followers.' });
      expect(cited.json.code).toBe('moderation.unknown_guideline');
      const audit = (await admin.get('/api/audit?action=guideline.retired')).json.items;
      expect(audit.map((e: any) => e.data)).toEqual([{ code: 'old-spam', title: 'No spam (old)', reason: 'replaced by the new spam rule' }]);
    });

    it('keeps roles and brands apart: an expert or another brand cannot moderate, an approver can', async () => {
      const { messageId } = await post();
      expect((await eli.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence })).status).toBe(403);
      expect((await zed.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence })).status).toBe(404);
      const theirs = (await zed.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.' })).json.id;
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: theirs, evidence })).json.code).toBe('moderation.unknown_guideline');
      expect((await cleo.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence })).json.status).toBe('done');
    });

    it('answers a repeated action `unchanged`: no second call to the network, no second audit entry', async () => {
      const { messageId, conversationId, m } = await post();
      calls.length = 0;
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence })).json.status).toBe('done');
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence })).json).toEqual({ status: 'unchanged', action: 'hide', guideline: 'harassment' });
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'block', guidelineId: harassment, evidence })).json.status).toBe('done');
      expect((await cleo.post(`/api/messages/${messageId}/moderation`, { action: 'block', guidelineId: harassment, evidence })).json.status).toBe('unchanged');
      // undone, then done again: both go to the network; an undo repeated does not
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'unhide', evidence: 'quote from a film' })).json.status).toBe('done');
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'unhide', evidence: 'quote from a film' })).json.status).toBe('unchanged');
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence })).json.status).toBe('done');
      expect(calls).toEqual([`hide:${m.networkMessageId}`, `block:${m.author.handle}`, `unhide:${m.networkMessageId}`, `hide:${m.networkMessageId}`]);
      expect(await moderationAudit(conversationId)).toEqual(['moderation.hide:done', 'moderation.block:done', 'moderation.unhide:done', 'moderation.hide:done']);
      // a deleted post is gone: nothing to hide, unhide or delete again
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'delete', guidelineId: harassment, evidence })).json.status).toBe('done');
      calls.length = 0;
      for (const action of ['unhide', 'delete']) {
        const r = await ana.post(`/api/messages/${messageId}/moderation`, { action, guidelineId: harassment, evidence });
        expect(r.status, action).toBe(409);
        expect(r.json.code).toBe('moderation.deleted');
      }
      expect(calls).toEqual([]);
    });

    it('sends a double click to the network once: the second waits its turn and is refused while the first is in flight', async () => {
      const { messageId, conversationId, m } = await post();
      calls.length = 0;
      networkMs = 300;
      try {
        const [a, b] = await Promise.all([1, 2].map(() => ana.post(`/api/messages/${messageId}/moderation`, { action: 'block', guidelineId: harassment, evidence })));
        expect([a!.status, b!.status].sort()).toEqual([200, 409]);
        expect([a, b].find((r) => r!.status === 409)!.json.code).toBe('moderation.in_progress');
      } finally {
        networkMs = 0;
      }
      expect(calls).toEqual([`block:${m.author.handle}`]);
      expect(await moderationAudit(conversationId)).toEqual(['moderation.block:done']);
    });

    it('is honest about a network that does not answer: recorded as unknown, not as failed, and can be repeated', async () => {
      const { messageId, conversationId, m } = await post();
      calls.length = 0;
      failNext = new ChannelError('TIMEOUT', 'no answer in 10 s');
      const r = await ana.post(`/api/messages/${messageId}/moderation`, { action: 'block', guidelineId: harassment, evidence });
      expect(r.status).toBe(502);
      expect(r.json.title).toBe('Bad Gateway'); // the network failed, not Parley
      expect(r.json.code).toBe('moderation.network_unknown');
      expect(r.json.detail).toMatch(/check on the network/);
      failNext = new ChannelError('PERMISSION_DENIED', 'the page lacks the moderate permission');
      const refused = await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence });
      expect(refused.json.code).toBe('moderation.network_failed');
      expect((await ana.get(`/api/conversations/${conversationId}`)).json.moderation).toEqual({ messages: [], authors: [] });
      // neither counts as done: asking again goes to the network
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'block', guidelineId: harassment, evidence })).json.status).toBe('done');
      expect(calls).toEqual([`block:${m.author.handle}`]);
      expect(await moderationAudit(conversationId)).toEqual(['moderation.block:unknown', 'moderation.hide:failed', 'moderation.block:done']);
    });

    it('records the action before asking the network, so a desk that fails afterwards still knows it asked', async () => {
      const { messageId } = await post();
      seenWhileAsking.length = 0;
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'mute', guidelineId: harassment, evidence })).json.status).toBe('done');
      expect(seenWhileAsking).toEqual(['mute:pending']);
      const row = await desk.db.store.db.selectFrom('moderation_action').select(['status']).where('message_id', '=', messageId).execute();
      expect(row).toEqual([{ status: 'done' }]);
    });

    it('refuses hostile text before it reaches the network or the store (a NUL is a 500 on PostgreSQL)', async () => {
      const { messageId, conversationId } = await post();
      calls.length = 0;
      const r = await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence: 'Threatens staff\u0000 at home, a spam link' });
      expect(r.status).toBe(400);
      // a NUL anywhere in a staff request is refused before validation (src/server/http.ts)
      expect(r.json.code).toBe('request.nul_character');
      expect(calls).toEqual([]);
      expect(await moderationAudit(conversationId)).toEqual([]);
      expect((await admin.post('/api/guidelines', { code: 'nul', title: 'No spam\u0000', description: 'Advertising links are hidden.' })).status).toBe(400);
      // markup is text: stored and shown as written
      const markup = '<img src=x onerror=alert(1)> threatens staff at home';
      expect((await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence: markup })).json.status).toBe('done');
      const d = (await ana.get(`/api/conversations/${conversationId}`)).json;
      expect(d.audit.find((e: any) => e.action === 'moderation.hide').data.evidence).toBe(markup);
    });
    it('settles an action a stopped desk left pending as unknown, audited, without asking the network again', async () => {
      const { messageId, conversationId } = await post('I will wait for your agent outside the shop tonight');
      const askedAt = Date.now() - 3 * 60_000;
      // what a desk that stopped between asking the network and recording its answer leaves behind
      const anaId = desk.users.ana;
      await desk.db.store.db.insertInto('moderation_action').values({
        brand_id: desk.brandId, message_id: messageId, conversation_id: conversationId, identity_id: null, action: 'hide',
        guideline_id: harassment, evidence, actor_user_id: anaId, status: 'pending', error: null, created_at: askedAt,
      }).execute();
      const before = calls.length;
      await housekeeping({ store: desk.db.store, bus: desk.parley.services.bus }, Date.now());
      const row = await desk.db.store.db.selectFrom('moderation_action').selectAll().where('message_id', '=', messageId).executeTakeFirstOrThrow();
      expect(row.status).toBe('unknown');
      expect(row.error).toMatch(/stopped before the network answered/);
      expect(calls.length).toBe(before);
      const entry = ((await ana.get(`/api/conversations/${conversationId}`)).json.audit as any[]).find((e) => e.action === 'moderation.hide');
      expect(entry.actorUserId).toBe(anaId);
      expect(entry.data).toMatchObject({ status: 'unknown', evidence, guideline: { code: 'harassment' } });
      // a second sweep settles nothing twice; and the post can be hidden now (it is not "in progress")
      await housekeeping({ store: desk.db.store, bus: desk.parley.services.bus }, Date.now());
      expect((await moderationAudit(conversationId)).filter((x) => x === 'moderation.hide:unknown')).toHaveLength(1);
      const again = await ana.post(`/api/messages/${messageId}/moderation`, { action: 'hide', guidelineId: harassment, evidence });
      expect(again.status).toBe(200);
      expect(again.json.status).toBe('done');
    });
  });

  describe(`CRM links with consent, attacked [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client, ana: Client, eli: Client, zed: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
      const globex = await createBrand(desk.db.store.db, { slug: 'globex', name: 'Globex', timezone: 'UTC' }, Date.now());
      await createUser(desk.db.store.db, { brandId: globex, email: 'zed@globex.test', name: 'Zed Admin', role: 'admin', password: PASSWORD, availability: 'online' }, Date.now());
      zed = await Client.signIn(desk.url, 'zed@globex.test');
    });
    afterAll(async () => desk?.stop());

    async function customer(text = 'Yes, link my account to this profile') {
      const m = mention({ text });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      const [{ messageId, conversationId }] = r.json.outcomes;
      const contactId = (await ana.get(`/api/conversations/${conversationId}`)).json.contact.id as number;
      return { messageId: messageId as number, conversationId: conversationId as number, contactId, author: m.author };
    }

    it('keeps roles, brands and evidence apart', async () => {
      const c = await customer();
      const someoneElse = await customer('hello');
      // their message unasked is no consent; their answer to our question is
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'C-1', consent: { method: 'customer_message', messageId: c.messageId } })).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
      const consent = { method: 'customer_message', messageId: await consentGiven(desk, ana, admin, c.conversationId, c.author) };
      expect((await eli.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'C-1', consent })).status).toBe(403);
      expect((await zed.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'C-1', consent })).status).toBe(404);
      expect((await eli.get(`/api/contacts/${c.contactId}/crm-consent`)).status).toBe(403);
      // another customer's message is not this customer's consent
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'C-1', consent: { method: 'customer_message', messageId: someoneElse.messageId } })).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'not_theirs' });
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'C-1', consent })).status).toBe(200);
      expect((await eli.post(`/api/contacts/${c.contactId}/crm-unlink`, { reason: 'not my job' })).status).toBe(403);
    });

    it('takes no other customer\'s message as evidence, whatever the method', async () => {
      const c = await customer();
      const someoneElse = await customer('my order is late');
      for (const method of ['verbal', 'verified_form']) {
        const r = await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'C-9', consent: { method, messageId: someoneElse.messageId, note: 'agreed on a call on Monday' } });
        expect(r.json.code, method).toBe('crm.consent_evidence');
      }
      expect((await ana.get(`/api/contacts/${c.contactId}/crm-consent`)).json.consent).toBeNull();
      // the customer's own message beside a call note is fine, and shown
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'C-9', consent: { method: 'verbal', messageId: c.messageId, note: 'agreed on a call on Monday' } })).status).toBe(200);
      expect((await ana.get(`/api/contacts/${c.contactId}/crm-consent`)).json.consent.evidenceMessage.id).toBe(c.messageId);
    });

    it('refuses a CRM id with control characters and a NUL in the note (a 500 on PostgreSQL)', async () => {
      const c = await customer();
      for (const crmCustomerId of ['C-2\nC-3', 'C-2\u0000', 'C-2\tC-3']) {
        const r = await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId, consent: { method: 'verbal', note: 'agreed on a call on Monday' } });
        expect(r.status, JSON.stringify(crmCustomerId)).toBe(400);
        expect(r.json.code).toBe(crmCustomerId.includes('\u0000') ? 'request.nul_character' : 'validation');
      }
      const nul = await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'C-2', consent: { method: 'verbal', note: 'agreed on a call\u0000 on Monday' } });
      expect(nul.status).toBe(400);
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-unlink`, { reason: 'withdrawn\u0000' })).status).toBe(400);
      expect((await ana.get(`/api/contacts/${c.contactId}/crm-consent`)).json).toEqual({ contactId: c.contactId, crmCustomerId: null, consent: null });
    });

    it('keeps one current consent when links are requested at the same time, the one behind the link', async () => {
      const c = await customer();
      const res = await Promise.all(Array.from({ length: 8 }, (_, i) => ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: `C-${i}`, consent: { method: 'verbal', note: `agreed on call number ${i}` } })));
      expect(res.map((r) => r.status)).toEqual(Array(8).fill(200));
      const current = await desk.db.store.db.selectFrom('crm_consent').select(['crm_customer_id', 'note']).where('contact_id', '=', c.contactId).where('withdrawn_at', 'is', null).execute();
      const contact = await desk.db.store.db.selectFrom('contact').select('crm_customer_id').where('id', '=', c.contactId).executeTakeFirstOrThrow();
      expect(current).toHaveLength(1);
      expect(current[0]!.crm_customer_id).toBe(contact.crm_customer_id);
      const shown = (await ana.get(`/api/contacts/${c.contactId}/crm-consent`)).json;
      expect(shown.consent.crmCustomerId).toBe(shown.crmCustomerId);
      // each link but the first says which link it replaced
      const audit = (await admin.get(`/api/audit?action=contact.crm_linked&subjectType=contact&subjectId=${c.contactId}`)).json.items;
      expect(audit.filter((e: any) => e.data.previous == null)).toHaveLength(1);
      // and a withdrawal leaves nothing current
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-unlink`, { reason: 'customer withdrew consent' })).status).toBe(204);
      expect(await desk.db.store.db.selectFrom('crm_consent').select('id').where('contact_id', '=', c.contactId).where('withdrawn_at', 'is', null).execute()).toEqual([]);
    });

    it('keeps the consent as recorded in the audit trail, so the export still has it after a withdrawal', async () => {
      const c = await customer();
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'CUST-77', consent: { method: 'verified_form', note: '  web form ref F-1234, signed 2026-12-01  ' } })).status).toBe(200);
      const yes = await consentGiven(desk, ana, admin, c.conversationId, c.author);
      const askMessageId = (await ana.get(`/api/conversations/${c.conversationId}/crm-consent-candidates`)).json.asks[0].messageId;
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-link`, { crmCustomerId: 'CUST-78', consent: { method: 'customer_message', messageId: yes } })).status).toBe(200);
      expect((await ana.post(`/api/contacts/${c.contactId}/crm-unlink`, { reason: 'customer withdrew consent by DM' })).status).toBe(204);
      expect((await ana.get(`/api/contacts/${c.contactId}/crm-consent`)).json.consent).toBeNull();
      const audit = (await admin.get(`/api/audit?action=contact.crm_*&subjectType=contact&subjectId=${c.contactId}`)).json.items.map((e: any) => ({ action: e.action, data: e.data })).reverse();
      expect(audit).toEqual([
        { action: 'contact.crm_linked', data: { crmCustomerId: 'CUST-77', method: 'verified_form', evidenceMessageId: null, note: 'web form ref F-1234, signed 2026-12-01', previous: null } },
        { action: 'contact.crm_consent_asked', data: { messageId: askMessageId, visibility: 'private' } },
        { action: 'contact.crm_linked', data: { crmCustomerId: 'CUST-78', method: 'customer_message', evidenceMessageId: yes, note: null, previous: 'CUST-77', askMessageId } },
        { action: 'contact.crm_unlinked', data: { reason: 'customer withdrew consent by DM', previous: 'CUST-78' } },
      ]);
      const csv = (await admin.req('GET', `/api/audit?action=contact.crm_*&subjectType=contact&subjectId=${c.contactId}&format=csv`)).json as string;
      expect(csv).toContain('web form ref F-1234');
    });

  });
}
