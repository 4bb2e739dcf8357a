/**
 * Responding well through the real HTTP API, on SQLite and PostgreSQL: a link with words that
 * only point at it is refused as no answer; a refund with a soft hyphen pasted from a document
 * still waits for sign-off; a reply that opens with someone else's @handle is flagged; the
 * brand's own hotline in a public reply is no personal data, while a card number pasted with
 * no-break spaces is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`responding well at the desk [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      // refunds are signed off before they are sent
      expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { content: { refundTerms: true } } })).status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const conversation = async () => {
      const m = mention();
      const id = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId as number;
      return { id, name: m.author.displayName!.split(' ')[0]! };
    };

    it('refuses a link with words that only point at it', async () => {
      const { id, name } = await conversation();
      const r = await ana.post(`/api/conversations/${id}/replies`, { text: `Hi ${name}, kindly refer to https://help.example.com/delivery`, visibility: 'public' });
      expect(r.status).toBe(422);
      expect(r.json.code).toBe('reply.link_only');
      const ok = await ana.post(`/api/conversations/${id}/replies`, { text: `Hi ${name}, your parcel left our depot today and arrives tomorrow: https://help.example.com/delivery`, visibility: 'public' });
      expect(ok.status).toBe(202);
    });

    it('holds a refund for sign-off though a soft hyphen splits the word', async () => {
      const { id, name } = await conversation();
      const r = await ana.post(`/api/conversations/${id}/replies`, { text: `Hi ${name}, sorry about that! We will re\u00ADfund the delivery fee today.`, visibility: 'public' });
      expect(r.status).toBe(202);
      expect(r.json.message.status).toBe('pending_approval');
      expect(r.json.approval.reasons.map((x: { code: string }) => x.code)).toContain('approval.refund');
      await desk.parley.services.outbox.runOnce();
      expect(await desk.db.store.db.selectFrom('outbox').select('id').where('message_id', '=', r.json.message.id).execute()).toHaveLength(0);
    });

    it('warns when a reply opens with someone else\'s @handle', async () => {
      const m = mention();
      const id = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId as number;
      const r = await ana.post(`/api/conversations/${id}/replies`, { text: '@someone_else sorry for the wait! Your parcel arrives tomorrow.', visibility: 'public' });
      expect(r.status).toBe(202);
      expect(r.json.checks.find((x: { code: string }) => x.code === 'reply.wrong_person')).toMatchObject({ severity: 'warn', detail: `Addressed to @someone_else, but this customer is @${m.author.handle!.toLowerCase()}` });
      const right = await ana.post('/api/reply-checks', { conversationId: id, text: `@${m.author.handle} sorry for the wait! Your parcel arrives tomorrow.`, visibility: 'public' });
      expect(right.json.results.map((x: { code: string }) => x.code)).not.toContain('reply.wrong_person');
    });

    it("does not call the brand's own hotline personal data, but does a customer's pasted card number", async () => {
      const { id, name } = await conversation();
      const check = async (text: string) => (await ana.post('/api/reply-checks', { conversationId: id, text, visibility: 'public' })).json.results.map((x: { code: string }) => x.code);
      expect(await check(`Hi ${name}, call us on 0800 123 4567 any time and we will sort it out.`)).not.toContain('reply.personal_data');
      expect(await check(`Hi ${name}, we are open 10.00-18.00 on weekdays.`)).not.toContain('reply.personal_data');
      expect(await check(`Hi ${name}, the card 4111\u00A01111\u00A01111\u00A01111 was charged twice, sorry.`)).toContain('reply.personal_data');
      // and the reply itself goes out without the warning
      const sent = await ana.post(`/api/conversations/${id}/replies`, { text: `Hi ${name}, call us on 0800 123 4567 any time and we will sort it out.`, visibility: 'public' });
      expect(sent.status).toBe(202);
      expect(sent.json.checks.map((x: { code: string }) => x.code)).not.toContain('reply.personal_data');
    });
  });
}
