/**
 * QA (supervisor flows): an incident statement is the brand's own public post. The inbox list
 * presents its conversation as the brand's statement (`statement: true`, no customer: the
 * first author of answers is not named as its customer), and it is in no view of open work
 * (new, open, mine): only in All and Resolved. Through the HTTP API on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const T = Date.UTC(2026, 11, 7, 10, 30);

for (const dialect of DIALECTS) {
  describe(`incident statement in the inbox [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let statementConv: number;
    let customerConv: number;
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock: new ManualClock(T), workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: T - 60_000, text: '@AcmeCare the app will not let me log in' })] })).json.outcomes[0];
      customerConv = o.conversationId;
      const inc = await admin.post('/api/incidents', { title: 'App login outage', reason: 'Logins fail since 10:30 GMT' });
      expect(inc.status).toBe(201);
      const st = await admin.post(`/api/incidents/${inc.json.id}/statement`, { channelAccountId: desk.accountId, text: 'Some of you cannot log in to the app. We are on it and will post here when it works again.' });
      expect([200, 201, 202]).toContain(st.status);
      const row = await desk.db.store.db.selectFrom('message').select('conversation_id').where('kind', '=', 'post').where('direction', '=', 'outbound').executeTakeFirstOrThrow();
      statementConv = row.conversation_id;
    });
    afterAll(async () => desk?.stop());

    const list = async (view: string) => {
      const r = await admin.get(`/api/conversations?view=${view}`);
      expect(r.status).toBe(200);
      return r.json.items as { id: number; statement: boolean; contact: unknown; subject: string }[];
    };

    it('lists the statement as the brand\'s statement in All, the customer\'s conversation as a customer\'s', async () => {
      const all = await list('all');
      const st = all.find((c) => c.id === statementConv);
      expect(st).toMatchObject({ statement: true, contact: null, subject: 'Statement: App login outage' });
      const customer = all.find((c) => c.id === customerConv);
      expect(customer).toMatchObject({ statement: false });
      expect(customer!.contact).not.toBeNull();
      expect((await list('resolved')).map((c) => c.id)).toContain(statementConv);
    });

    it('keeps it out of the views of open work', async () => {
      for (const view of ['new', 'open', 'mine', 'team', 'waiting']) expect((await list(view)).map((c) => c.id)).not.toContain(statementConv);
      expect((await list('open')).map((c) => c.id)).toContain(customerConv);
    });

    it('the conversation itself says so too', async () => {
      const r = await admin.get(`/api/conversations/${statementConv}`);
      expect(r.status).toBe(200);
      expect(r.json.conversation).toMatchObject({ statement: true, contact: null });
    });
  });
}
