/**
 * The consent dialog's candidates are the customer's replies that answer a consent question
 * that went out in the conversation, however many messages ago, on SQLite and PostgreSQL — not
 * a window of the first or latest few: a "yes" after 55 other messages, or one answering an
 * earlier question than the latest, is still offered (and accepted as evidence), with their
 * latest other replies shown up to a cap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_OTHERS_MAX } from '../src/commands/contacts.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`consent candidates read every reply to a question [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      [admin, ana] = (await Promise.all(['admin', 'ana'].map((n) => Client.signIn(desk.url, `${n}@acme.test`)))) as Client[];
    });
    afterAll(async () => desk?.stop());

    const customer = (n: string) => ({ networkUserId: `cand-${dialect}-${n}`, handle: `cand_${n}`, displayName: null, followers: 1 });
    /** The customer's messages, in order, a millisecond apart from now on: their ids and conversation. */
    let clockAt = Date.now();
    const write = async (who: ReturnType<typeof customer>, texts: string[]) => {
      const ids: number[] = [];
      let conversationId = 0;
      for (let i = 0; i < texts.length; i += 40) {
        const batch = texts.slice(i, i + 40).map((text) => mention({ author: who, text, createdAt: (clockAt = Math.max(clockAt + 1, Date.now())) }));
        const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: batch });
        expect(r.status).toBe(200);
        for (const o of r.json.outcomes) { ids.push(o.messageId); conversationId = o.conversationId; }
      }
      return { ids, conversationId };
    };
    const ask = async (conv: number, text?: string) => {
      const r = await ana.post(`/api/conversations/${conv}/crm-consent-ask`, text ? { text } : {});
      expect(r.json.duplicate).toBe(false);
      expect(r.status).toBe(202);
      expect(await desk.parley.services.outbox.runOnce()).toBeGreaterThanOrEqual(1);
      clockAt = Math.max(clockAt, Date.now()) + 1500; // their replies come after the question went out
      return r.json.ask.messageId as number;
    };
    const candidates = async (conv: number) => {
      const r = await ana.get(`/api/conversations/${conv}/crm-consent-candidates`);
      expect(r.status).toBe(200);
      return r.json.candidates as { messageId: number; verdict: string }[];
    };
    const contactOf = async (conv: number) => (await ana.get(`/api/conversations/${conv}`)).json.contact.id as number;

    it('offers a "yes" written after 55 other replies, with 60 more after it', async () => {
      const who = customer('far');
      const start = await write(who, ['@AcmeCare my order never came']);
      await ask(start.conversationId);
      const before = await write(who, Array.from({ length: 55 }, (_, i) => `any news about it? (${i + 1})`));
      const yes = await write(who, ['Yes, go ahead']);
      const after = await write(who, Array.from({ length: 60 }, (_, i) => `still waiting for the parcel (${i + 1})`));
      expect(new Set([before.conversationId, yes.conversationId, after.conversationId])).toEqual(new Set([start.conversationId]));

      const c = await candidates(start.conversationId);
      expect(c[0]).toMatchObject({ messageId: yes.ids[0], verdict: 'agree' });
      expect(c.filter((m) => m.verdict === 'agree')).toHaveLength(1);
      // their other replies: the latest, up to the cap, oldest first
      expect(c.slice(1).map((m) => m.messageId)).toEqual(after.ids.slice(-CONSENT_OTHERS_MAX));
      // and the "yes" offered is accepted as evidence
      const link = await ana.post(`/api/contacts/${await contactOf(start.conversationId)}/crm-link`, { crmCustomerId: 'CUST-FAR', consent: { method: 'customer_message', messageId: yes.ids[0] } });
      expect(link.status, JSON.stringify(link.json)).toBe(200);
    });

    it('offers a "yes" to an earlier question after a later question went out', async () => {
      const who = customer('earlier');
      const start = await write(who, ['@AcmeCare wrong invoice']);
      await ask(start.conversationId);
      const yes = await write(who, ['yes please']);
      await ask(start.conversationId, 'Sorry to ask again: may we link this profile to your account with us? Reply YES to agree.');
      const later = await write(who, ['why do you ask again?']);
      const c = await candidates(start.conversationId);
      expect(c.map((m) => [m.messageId, m.verdict])).toEqual([[yes.ids[0], 'agree'], [later.ids[0], 'unclear']]);
      // their complaint, written before any question, is never offered
      expect(c.map((m) => m.messageId)).not.toContain(start.ids[0]);
      const link = await ana.post(`/api/contacts/${await contactOf(start.conversationId)}/crm-link`, { crmCustomerId: 'CUST-EARLIER', consent: { method: 'customer_message', messageId: yes.ids[0] } });
      expect(link.status, JSON.stringify(link.json)).toBe(200);
    });
  });
}
