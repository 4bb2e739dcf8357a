import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capabilities, Channel } from '../src/channels/types.js';
import { Client, consentGiven, mention, startDesk, type TestDesk } from './helpers/parley.js';

describe('rule-cited moderation and consent-based CRM links', () => {
  let desk: TestDesk;
  let admin: Client;
  let ana: Client;
  const calls: string[] = [];
  let modAccount = 0;
  beforeAll(async () => {
    desk = await startDesk('sqlite');
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ana = await Client.signIn(desk.url, 'ana@acme.test');
    const caps = { publicReply: true, privateMessage: true, hide: true, delete: 'comments cannot be deleted by pages here', block: true, mute: true, like: true, fetchProfile: true, fetchThread: true, search: true, webhook: true, poll: true, stream: true } as Capabilities;
    desk.parley.services.registry.register('modnet', (account) => ({
      network: account.network, capabilities: caps,
      async sendPublicReply() { return { networkMessageId: 'r' }; },
      async hide(id, hidden) { calls.push(`${hidden ? 'hide' : 'unhide'}:${id}`); },
      async block(u) { calls.push(`block:${u.handle}`); },
      async mute(u) { calls.push(`mute:${u.handle}`); },
      async unblock(u) { calls.push(`unblock:${u.handle}`); },
      async unmute(u) { calls.push(`unmute:${u.handle}`); },
    }) as Channel);
    modAccount = (await admin.post('/api/channel-accounts', { network: 'facebook', handle: 'AcmePage', driver: 'modnet' })).json.id;
  });
  afterAll(async () => desk?.stop());

  it('refuses to hide a merely negative post, and hides a rule-breaking one citing the rule', async () => {
    const g = await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people (staff or customers) are removed.', allowedActions: ['hide', 'block'] });
    expect(g.status).toBe(201);
    expect((await ana.post('/api/guidelines', { code: 'x', title: 'xyz', description: 'agents cannot publish rules' })).status).toBe(403);
    const angry = mention({ network: 'facebook', kind: 'comment', text: 'Worst service ever, you are all useless and I want a refund' });
    const threat = mention({ network: 'facebook', kind: 'comment', text: 'I know where your agent Sam lives. Watch out.' });
    const r = await admin.post('/api/ingest/messages', { channelAccountId: modAccount, messages: [angry, threat] });
    const [angryId, threatId] = r.json.outcomes.map((o: any) => o.messageId);

    expect((await ana.post(`/api/messages/${angryId}/moderation`, { action: 'hide' })).json.code).toBe('moderation.needs_guideline');
    expect((await ana.post(`/api/messages/${angryId}/moderation`, { action: 'hide', guidelineId: g.json.id, evidence: 'negative' })).json.code).toBe('moderation.needs_evidence');
    // a sentence about how the customer feels is no more a violation than the word alone
    for (const evidence of ['very negative', 'keeps complaining about a late parcel']) {
      const refused = await ana.post(`/api/messages/${angryId}/moderation`, { action: 'hide', guidelineId: g.json.id, evidence });
      expect(refused.json.code, evidence).toBe('moderation.needs_evidence');
      expect(refused.json.detail).toMatch(/not which rule the post breaks/);
    }
    expect((await ana.post(`/api/messages/${threatId}/moderation`, { action: 'delete', guidelineId: g.json.id, evidence: 'Threatens a named member of staff at home.' })).json.code).toBe('moderation.not_allowed');
    const ok = await ana.post(`/api/messages/${threatId}/moderation`, { action: 'hide', guidelineId: g.json.id, evidence: 'Threatens a named member of staff at home.' });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ status: 'done', action: 'hide', guideline: 'harassment' });
    const blocked = await ana.post(`/api/messages/${threatId}/moderation`, { action: 'block', guidelineId: g.json.id, evidence: 'Repeated threat against staff; see the hidden comment.' });
    expect(blocked.status).toBe(200);
    expect(calls).toEqual([`hide:${threat.networkMessageId}`, `block:${threat.author.handle}`]);
    const d = (await ana.get(`/api/conversations/${r.json.outcomes[1].conversationId}`)).json;
    const entry = d.audit.find((e: any) => e.action === 'moderation.hide');
    expect(entry.data).toMatchObject({ guideline: { code: 'harassment' }, evidence: 'Threatens a named member of staff at home.', status: 'done' });
    // the conversation shows what moderation did and has not undone
    const threatMsg = d.messages.find((m: any) => m.id === threatId);
    expect(d.moderation.messages).toEqual([{ messageId: threatId, hidden: true, deleted: false, at: expect.any(String), byUserId: desk.users.ana }]);
    expect(d.moderation.authors).toEqual([{ identityId: threatMsg.author.identityId, blocked: true, restricted: false, muted: false, at: expect.any(String), byUserId: desk.users.ana }]);
    // a network that cannot do it says why
    const onDemo = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0].messageId;
    expect((await ana.post(`/api/messages/${onDemo}/moderation`, { action: 'hide', guidelineId: g.json.id, evidence: 'Threatens a named member of staff.' })).json.code).toBe('moderation.unsupported');
  });

  it('undoes a block, a mute or a hide without a guideline, audited, and the conversation shows it undone', async () => {
    const g = (await admin.get('/api/guidelines')).json.items.find((x: any) => x.code === 'harassment');
    const post = mention({ network: 'facebook', kind: 'comment', text: 'You will regret this, I know your address' });
    const r = await admin.post('/api/ingest/messages', { channelAccountId: modAccount, messages: [post] });
    const [{ messageId, conversationId }] = r.json.outcomes;
    const evidence = 'Threatens the agent with a visit to their home address.';
    for (const action of ['hide', 'block']) expect((await ana.post(`/api/messages/${messageId}/moderation`, { action, guidelineId: g.id, evidence })).status).toBe(200);
    calls.length = 0;
    // the author explains it was a quote from a film: undone, no rule needed, the reason kept
    for (const action of ['unblock', 'unhide']) {
      const undo = await ana.post(`/api/messages/${messageId}/moderation`, { action, evidence: 'It was a film quote; the customer explained' });
      expect(undo.status, action).toBe(200);
      expect(undo.json).toEqual({ status: 'done', action, guideline: null });
    }
    expect(calls).toEqual([`unblock:${post.author.handle}`, `unhide:${post.networkMessageId}`]);
    const d = (await ana.get(`/api/conversations/${conversationId}`)).json;
    expect(d.moderation).toEqual({ messages: [], authors: [] });
    expect(d.audit.filter((e: any) => e.action === 'moderation.unblock').map((e: any) => e.data.evidence)).toEqual(['It was a film quote; the customer explained']);
    // undoing is never a sanction a guideline allows
    expect((await admin.post('/api/guidelines', { code: 'undo', title: 'Undo rule', description: 'should not exist at all', allowedActions: ['unblock'] })).json.code).toBe('guideline.invalid');
    // a connector without the undo says so
    desk.parley.services.registry.register('modnet2', (account) => ({ network: account.network, capabilities: { mute: true } as Capabilities, async sendPublicReply() { return { networkMessageId: 'r' }; }, async mute() {} }) as unknown as Channel);
    const acc2 = (await admin.post('/api/channel-accounts', { network: 'facebook', handle: 'AcmePage2', driver: 'modnet2' })).json.id;
    const other = (await admin.post('/api/ingest/messages', { channelAccountId: acc2, messages: [mention({ network: 'facebook', kind: 'comment' })] })).json.outcomes[0].messageId;
    const unsupported = await ana.post(`/api/messages/${other}/moderation`, { action: 'unmute' });
    expect(unsupported.json.code).toBe('moderation.unsupported');
  });

  it('links a profile to a CRM customer only with recorded consent, and unlinks on withdrawal', async () => {
    const m = mention({ text: 'Yes, you can link my account 4411 to this profile' });
    const other = mention({ text: 'hello' });
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m, other] });
    const detail = (await ana.get(`/api/conversations/${r.json.outcomes[0].conversationId}`)).json;
    const contactId = detail.contact.id;
    expect((await ana.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-4411' })).json.code).toBe('crm.consent_required');
    expect((await ana.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-4411', consent: { method: 'customer_message', messageId: r.json.outcomes[1].messageId } })).json.code).toBe('crm.consent_evidence');
    // their own "yes" is no consent until it answers our question
    const unasked = await ana.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-4411', consent: { method: 'customer_message', messageId: r.json.outcomes[0].messageId } });
    expect(unasked.status).toBe(400);
    expect(unasked.json).toMatchObject({ code: 'crm.consent_evidence', reason: 'no_ask' });
    const yes = await consentGiven(desk, ana, admin, r.json.outcomes[0].conversationId, m.author, 'Yes, you can link my account 4411 to this profile');
    const ok = await ana.post(`/api/contacts/${contactId}/crm-link`, { crmCustomerId: 'CUST-4411', consent: { method: 'customer_message', messageId: yes } });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect((await ana.get(`/api/conversations/${r.json.outcomes[0].conversationId}`)).json.contact.crmCustomerId).toBe('CUST-4411');
    expect((await ana.post(`/api/contacts/${contactId}/crm-unlink`, { reason: 'customer asked us to forget the link' })).status).toBe(204);
    expect((await ana.get(`/api/conversations/${r.json.outcomes[0].conversationId}`)).json.contact.crmCustomerId).toBeNull();
  });
});
