/**
 * QA of saved replies (snippets) through the real HTTP API: a snippet inserted "with the gaps
 * marked" is never sent to the customer with a placeholder still in it (the reply checks block
 * it, live and again on sending), and `{{customer.name}}` is the name a person would greet —
 * "Jane" for "Dr. Jane Doe", "Alice" for "🌸 Alice" — never a title or an emoji.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

describe('saved replies at the desk [sqlite]', () => {
  let desk: TestDesk;
  let admin: Client;
  let ana: Client;
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ana = await Client.signIn(desk.url, 'ana@acme.test');
  });
  afterAll(async () => desk?.stop());

  const conversation = async (displayName: string) => {
    const m = mention({ author: { networkUserId: `u-${displayName}-${Date.now()}`, handle: `h${Date.now()}`, displayName, followers: 10 } });
    return (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId as number;
  };
  const snippet = async (shortcut: string, body: string) => {
    const r = await admin.post('/api/snippets', { shortcut, title: shortcut, body });
    expect(r.status).toBe(201);
    return r.json.id as number;
  };

  it('never sends a saved reply with an unfilled placeholder', async () => {
    const id = await conversation('Erin Example');
    const s = await snippet('order-check', 'Hi {{customer.name}}, your order {{order.number}} left our depot today and arrives tomorrow.');
    const rendered = await ana.post(`/api/snippets/${s}/render`, { conversationId: id });
    expect(rendered.json.ok).toBe(false);
    expect(rendered.json.text).toContain('{{order.number}}');
    // the agent picks "Insert with the gaps marked": the live check says what is wrong…
    const live = await ana.post('/api/reply-checks', { conversationId: id, text: rendered.json.text, visibility: 'public' });
    expect(live.json.ok).toBe(false);
    expect(live.json.results[0]).toMatchObject({ code: 'reply.unfilled_placeholder', severity: 'block', detail: 'Still to fill in: {{order.number}}' });
    // …and sending refuses it, nothing queued
    const sent = await ana.post(`/api/conversations/${id}/replies`, { text: rendered.json.text, visibility: 'public' });
    expect(sent.status).toBe(422);
    expect(sent.json.code).toBe('reply.unfilled_placeholder');
    expect(await desk.db.store.db.selectFrom('message').select('id').where('conversation_id', '=', id).where('direction', '=', 'outbound').execute()).toHaveLength(0);
    // once filled in, it goes
    const filled = rendered.json.text.replace('{{order.number}}', 'AB-1234');
    expect((await ana.post(`/api/conversations/${id}/replies`, { text: filled, visibility: 'public' })).status).toBe(202);
  });

  it("fills {{customer.name}} with the name a person would greet, not a title or an emoji", async () => {
    const s = await snippet('hello', 'Hi {{customer.name}}, thanks for getting in touch.');
    for (const [display, greeted] of [['Dr. Jane Doe', 'Jane'], ['🌸 Alice Smith', 'Alice'], ['Bob', 'Bob']] as const) {
      const id = await conversation(display);
      const r = await ana.post(`/api/snippets/${s}/render`, { conversationId: id });
      expect(r.json).toMatchObject({ ok: true, text: `Hi ${greeted}, thanks for getting in touch.` });
    }
  });
});
