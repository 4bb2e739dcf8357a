/**
 * CRM consent "in their own message" is the customer's answer to our question: asked from the
 * conversation (a reply through the normal reply path, recorded), answered after it went out, in
 * the same conversation, reading as an agreement. Anything else is a 400 `crm.consent_evidence`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONSENT_ASK_TEXT } from '../src/commands/contacts.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`CRM consent by the customer's message (${dialect})`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    /** A customer's message, in their conversation (a follow-up threads by author within the window). */
    const write = async (author: { networkUserId: string; handle: string }, text: string, createdAt = Date.now()) => {
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ author: { ...author, displayName: null, followers: 1 }, text, createdAt })] })).json.outcomes[0];
      return { messageId: o.messageId as number, conversationId: o.conversationId as number };
    };
    const customer = (n: string) => ({ networkUserId: `consent-${dialect}-${n}`, handle: `consent_${n}` });
    const link = (contactId: number, messageId: number) => ana.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: `CUST-${messageId}`, consent: { method: 'customer_message', messageId } });
    const contactOf = async (conversationId: number) => (await ana.get(`/api/conversations/${conversationId}`)).json.contact.id as number;

    it('asks, takes their "yes" after the question as consent, and audits the question with the link', async () => {
      const who = customer('yes');
      const complaint = await write(who, '@AcmeCare my order never came');
      const contactId = await contactOf(complaint.conversationId);

      // their complaint is no consent, and without a question nothing they wrote is
      const noAsk = await link(contactId, complaint.messageId);
      expect(noAsk.status).toBe(400);
      expect(noAsk.json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });

      const ask = await ana.post(`/api/conversations/${complaint.conversationId}/crm-consent-ask`, {});
      expect(ask.status).toBe(202);
      // asked privately: the channel can message privately
      expect(ask.json.message).toMatchObject({ direction: 'outbound', text: DEFAULT_CONSENT_ASK_TEXT, visibility: 'private' });
      expect(ask.json.ask.messageId).toBe(ask.json.message.id);

      // a "yes" written before the question went out (arriving late) answers something else
      const early = await write(who, 'yes', Date.now() - 1500);
      expect(early.conversationId).toBe(complaint.conversationId);
      expect((await link(contactId, early.messageId)).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });

      expect(await desk.parley.services.outbox.runOnce()).toBeGreaterThanOrEqual(1);
      const agree = await write(who, '@AcmeCare Yes, go ahead 👍');
      const refuse = await write(who, 'no');
      const question = await write(who, 'why?');
      expect(new Set([agree.conversationId, refuse.conversationId, question.conversationId])).toEqual(new Set([complaint.conversationId]));

      // the dialog's candidates: their replies after the question, agreements first
      const c = await ana.get(`/api/conversations/${complaint.conversationId}/crm-consent-candidates`);
      expect(c.status).toBe(200);
      expect(c.json.askText).toBe(DEFAULT_CONSENT_ASK_TEXT);
      expect(c.json.asks).toHaveLength(1);
      expect(c.json.asks[0]).toMatchObject({ messageId: ask.json.ask.messageId, status: 'sent', askedBy: { id: desk.users.ana, name: 'Ana Agent' } });
      expect(c.json.candidates.map((m: any) => [m.messageId, m.verdict])).toEqual([[agree.messageId, 'agree'], [refuse.messageId, 'decline'], [question.messageId, 'unclear']]);
      expect(c.json.candidates.map((m: any) => m.messageId)).not.toContain(complaint.messageId);

      const no = await link(contactId, refuse.messageId);
      expect(no.status).toBe(400);
      expect(no.json).toMatchObject({ code: 'crm.consent_evidence', reason: 'not_agreement', verdict: 'decline' });
      expect(no.json.detail).toMatch(/not an agreement/);
      expect((await link(contactId, question.messageId)).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'not_agreement', verdict: 'unclear' });
      // still: the complaint and the "yes" written before the question went out are no answer to it
      expect((await link(contactId, early.messageId)).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
      expect((await link(contactId, complaint.messageId)).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
      expect((await ana.get(`/api/conversations/${complaint.conversationId}`)).json.contact.crmCustomerId).toBeNull();

      const ok = await link(contactId, agree.messageId);
      expect(ok.status, JSON.stringify(ok.json)).toBe(200);
      expect(ok.json).toMatchObject({ contactId, crmCustomerId: `CUST-${agree.messageId}`, method: 'customer_message' });
      const audit = await desk.db.store.db.selectFrom('audit_event').select(['action', 'data']).where('brand_id', '=', desk.brandId).where('subject_id', '=', String(contactId)).where('action', 'in', ['contact.crm_linked', 'contact.crm_consent_asked']).orderBy('id').execute();
      expect(audit.map((e) => e.action)).toEqual(['contact.crm_consent_asked', 'contact.crm_linked']);
      expect(JSON.parse(String(audit[1]!.data))).toMatchObject({ method: 'customer_message', evidenceMessageId: agree.messageId, askMessageId: ask.json.ask.messageId });
    });

    it('refuses another customer\'s "yes", and a "yes" in another conversation than the question', async () => {
      const a = customer('a');
      const b = customer('b');
      const first = await write(a, '@AcmeCare where is my parcel');
      const other = await write(b, '@AcmeCare hi');
      const contactA = await contactOf(first.conversationId);
      expect((await ana.post(`/api/conversations/${first.conversationId}/crm-consent-ask`, { text: 'May we link this profile to your account with us? Reply YES to agree.' })).status).toBe(202);
      await desk.parley.services.outbox.runOnce();
      const theirYes = await write(b, 'yes');
      expect(theirYes.conversationId).toBe(other.conversationId);
      const notTheirs = await link(contactA, theirYes.messageId);
      expect(notTheirs.json).toMatchObject({ code: 'crm.consent_evidence', reason: 'not_theirs' });
      // B was never asked: their own yes is no answer either
      expect((await link(await contactOf(other.conversationId), theirYes.messageId)).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
    });

    it('uses the brand\'s wording (admins set it), and a question waiting for sign-off counts only once sent', async () => {
      expect((await ana.req('PUT', '/api/crm/consent-ask-text', { text: 'Can we link your profile? Reply YES.' })).status).toBe(403);
      expect((await admin.req('PUT', '/api/crm/consent-ask-text', { text: 'short' })).json.code).toBe('validation');
      const set = await admin.req('PUT', '/api/crm/consent-ask-text', { text: 'Hi! Can we link this profile to your Acme account? Reply YES to agree.' });
      expect(set.json).toEqual({ text: 'Hi! Can we link this profile to your Acme account? Reply YES to agree.', custom: true });
      const who = customer('brandtext');
      const first = await write(who, '@AcmeCare refund please');
      const ask = await ana.post(`/api/conversations/${first.conversationId}/crm-consent-ask`, { idempotencyKey: 'consent-ask-brandtext-1' });
      expect(ask.json.message.text).toBe(set.json.text);
      // the same request again: one reply, one question recorded
      const again = await ana.post(`/api/conversations/${first.conversationId}/crm-consent-ask`, { idempotencyKey: 'consent-ask-brandtext-1' });
      expect(again.json.duplicate).toBe(true);
      expect((await ana.get(`/api/conversations/${first.conversationId}/crm-consent-candidates`)).json.asks).toHaveLength(1);
      expect((await admin.req('PUT', '/api/crm/consent-ask-text', { text: null })).json).toEqual({ text: DEFAULT_CONSENT_ASK_TEXT, custom: false });

      // Ana's replies now need sign-off: her question waits, and a "yes" while it waits answers nothing
      expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [String(desk.users.ana)] } } })).status).toBe(200);
      const cleo = await Client.signIn(desk.url, 'cleo@acme.test');
      const who2 = customer('signoff');
      const start = await write(who2, '@AcmeCare my invoice is wrong');
      const contactId = await contactOf(start.conversationId);
      const waiting = await ana.post(`/api/conversations/${start.conversationId}/crm-consent-ask`, { visibility: 'public' });
      expect(waiting.json.message).toMatchObject({ status: 'pending_approval', visibility: 'public' });
      expect(waiting.json.approval).not.toBeNull();
      const tooSoon = await write(who2, 'yes');
      expect((await link(contactId, tooSoon.messageId)).json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
      expect((await ana.get(`/api/conversations/${start.conversationId}/crm-consent-candidates`)).json).toMatchObject({ asks: [{ status: 'pending_approval', sentAt: null }], candidates: [] });
      expect((await cleo.post(`/api/approvals/${waiting.json.message.id}`, { decision: 'approve' })).status).toBe(200);
      expect(await desk.parley.services.outbox.runOnce()).toBeGreaterThanOrEqual(1);
      const after = await write(who2, 'Sí, de acuerdo');
      expect((await link(contactId, after.messageId)).status).toBe(200);
    });
  });
}
