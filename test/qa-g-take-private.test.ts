/**
 * QA of "take it private" through the real HTTP API: where the desk cannot receive the
 * customer's private message (an Instagram account without its linked Facebook Page, so no
 * Instagram messaging), no public "DM us" goes out — the customer would write into a void —
 * and the agent is told why and what to do; with the Page linked, the offer goes out. The offer
 * the reply check previews is the one posted, greeting the customer by first name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

describe('take it private where private messages cannot be received [sqlite]', () => {
  let desk: TestDesk;
  let admin: Client;
  let ana: Client;
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ana = await Client.signIn(desk.url, 'ana@acme.test');
  });
  afterAll(async () => desk?.stop());

  const comment = async (accountId: number) => {
    const m = mention({ network: 'instagram', kind: 'comment', text: 'my order has not arrived, can you check?' });
    const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [m] });
    return r.json.outcomes[0].conversationId as number;
  };
  const outbound = (id: number) => desk.db.store.db.selectFrom('message').select(['id', 'text']).where('conversation_id', '=', id).where('direction', '=', 'outbound').execute();

  it('refuses to invite a DM on Instagram without messaging, saying why, and posts nothing', async () => {
    const acc = await admin.post('/api/channel-accounts', { network: 'instagram', handle: 'acme.ig', externalId: '1000002' });
    expect(acc.status).toBe(201);
    const id = await comment(acc.json.id);
    const r = await ana.post(`/api/conversations/${id}/take-private`, { reason: 'personal_data' });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('private.unavailable');
    expect(r.json.detail ?? r.json.message).toMatch(/cannot receive private messages/);
    expect(r.json.detail ?? r.json.message).toMatch(/pageId/);
    expect(await outbound(id)).toHaveLength(0);
  });

  it('posts the very offer the reply check previews ("Take it private" shows it before posting)', async () => {
    for (const displayName of ['Dana Doe', 'Dr. Erin Example']) {
      const m = mention({ author: { networkUserId: `qa-g-offer-${displayName}`, handle: `h${Date.now()}`, displayName, followers: 3 } });
      const id = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId as number;
      const check = await ana.post('/api/reply-checks', { conversationId: id, text: 'Hi, can you reply with your order number please?', visibility: 'public' });
      const preview = check.json.results.find((r: { code: string }) => r.code === 'reply.personal_data').data.privateOffer as string;
      const r = await ana.post(`/api/conversations/${id}/take-private`, { reason: 'personal_data' });
      expect(r.status).toBe(202);
      expect((await outbound(id))[0]!.text, displayName).toBe(preview);
    }
  });

  it('invites the DM once the Page is linked', async () => {
    const acc = await admin.post('/api/channel-accounts', { network: 'instagram', handle: 'acme.ig2', externalId: '1000003', settings: { pageId: '2000003' } });
    expect(acc.status).toBe(201);
    const id = await comment(acc.json.id);
    const r = await ana.post(`/api/conversations/${id}/take-private`, { reason: 'personal_data' });
    expect(r.status).toBe(202);
    expect((await outbound(id))[0]!.text).toMatch(/DM us/);
  });
});
