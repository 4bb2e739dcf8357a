/**
 * Reports to the network citing the network's own rules, and no second filing after an unknown
 * outcome, on SQLite and PostgreSQL against the Mastodon contract server:
 *  - GET /api/messages/:id/network-report lists the instance's rules (GET /api/v1/instance/rules:
 *    id, text, hint), asked once per account for 15 minutes; a listing that fails says so and
 *    the report still goes without them; a ticked rule reaches Mastodon as `rule_ids` with
 *    category `violation`;
 *  - a report whose outcome is unknown (the desk stopped mid-call, or Mastodon did not answer)
 *    is not filed again without the agent's `confirmNotFiled`, which is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleStaleModeration } from '../src/commands/moderation.js';
import { ManualClock } from '../src/lib/clock.js';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

describe.each(DIALECTS)('report to the network: instance rules and unknown outcomes (%s)', (dialect) => {
  let desk: TestDesk;
  let masto: MastodonContractServer;
  let clock: ManualClock;
  let admin: Client;
  let ana: Client;
  let spamRule: number;
  let harassment: number;
  const db = () => desk.db.store.db;
  const threat = 'Threatens a named member of staff at home.';
  const rulesAsked = () => masto.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/instance/rules').length;

  beforeAll(async () => {
    masto = new MastodonContractServer();
    await masto.start();
    clock = new ManualClock(Date.now());
    desk = await startDesk(dialect, { workers: false, clock });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ana = await Client.signIn(desk.url, 'ana@acme.test');
    spamRule = (await admin.post('/api/guidelines', { code: 'spam', title: 'No spam', description: 'Repeated promotion, scam links and bulk posting are removed.', reportReason: 'spam' })).json.id;
    harassment = (await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.', reportReason: 'abuse' })).json.id;
  });
  afterAll(async () => {
    await desk?.stop();
    await masto?.stop();
  });

  /** A brand account on the contract server, connected to the desk; its channel account id. */
  async function brandAccount(username: string) {
    const brand = masto.createAccount({ username });
    const m = await admin.post('/api/channel-accounts', { network: 'mastodon', handle: brand.acct, externalId: brand.id, credentials: { accessToken: brand.token }, settings: { instanceUrl: masto.url, timeoutMs: 5000 } });
    expect(m.status, JSON.stringify(m.json)).toBe(201);
    return m.json.id as number;
  }

  /** A customer's status, ingested as a mention of `account`; its message id. */
  async function mastodonMention(account: number, username: string, text: string) {
    const who = masto.createAccount({ username });
    const res = await fetch(`${masto.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: text, visibility: 'public' }) });
    const statusId = ((await res.json()) as { id: string }).id;
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: account, messages: [mention({ network: 'mastodon', networkMessageId: statusId, text, author: { networkUserId: who.id, handle: who.acct, displayName: username, followers: 3 } })] })).json.outcomes[0];
    return { messageId: o.messageId as number, conversationId: o.conversationId as number, statusId, accountId: who.id };
  }

  it('lists the instance\'s rules for the dialog, asked once per account for 15 minutes; a ticked rule is filed as a violation with rule_ids', async () => {
    masto.rules = [
      { id: '1', text: 'No harassment or threats', hint: 'Including against staff of businesses.' },
      { id: '2', text: 'No spam', hint: '' },
    ];
    const account = await brandAccount(`rulesbrand${dialect}`);
    const post = await mastodonMention(account, `threat${dialect}`, '@rulesbrand I know where your agent lives');
    const asked = rulesAsked();
    const a = await ana.get(`/api/messages/${post.messageId}/network-report`);
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    expect(a.json).toEqual({ available: true, reason: null, rules: masto.rules, rulesError: null, unsettled: [] });
    // kept: the admin's new rule is not seen until the 15 minutes are over
    masto.rules = [...masto.rules, { id: '3', text: 'No impersonation', hint: 'Do not pretend to be someone else.' }];
    expect((await ana.get(`/api/messages/${post.messageId}/network-report`)).json.rules).toHaveLength(2);
    expect(rulesAsked()).toBe(asked + 1);
    clock.advance(16 * 60_000);
    expect((await ana.get(`/api/messages/${post.messageId}/network-report`)).json.rules.map((r: { id: string }) => r.id)).toEqual(['1', '2', '3']);
    expect(rulesAsked()).toBe(asked + 2);

    const before = masto.reports.length;
    const r = await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: harassment, evidence: threat, ruleIds: ['1'] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ status: 'done', reason: 'abuse', category: 'violation' });
    expect(masto.reports.length).toBe(before + 1);
    expect(masto.reports[masto.reports.length - 1]).toMatchObject({ statusIds: [post.statusId], category: 'violation', ruleIds: ['1'] });
    const audit = (await admin.get(`/api/audit?conversationId=${post.conversationId}`)).json.items as { action: string; data: Record<string, unknown> }[];
    expect(audit.find((e) => e.action === 'moderation.report_post')!.data).toMatchObject({ status: 'done', ruleIds: ['1'], networkCategory: 'violation' });

    // a rule cited under a spam reason: Mastodon files it as a violation of that rule
    const spam = await mastodonMention(account, `spamrule${dialect}`, '@rulesbrand cheap followers https://bots.example');
    const s = await ana.post(`/api/messages/${spam.messageId}/network-report`, { subject: 'account', guidelineId: spamRule, evidence: 'Posts the same link to a fake giveaway under every reply.', ruleIds: ['2'] });
    expect(s.json).toMatchObject({ status: 'done', reason: 'spam', category: 'violation' });
    expect(masto.reports[masto.reports.length - 1]).toMatchObject({ category: 'violation', ruleIds: ['2'], statusIds: [] });
  });

  it('a rules listing that fails says so in plain words, and the report still goes without them (as `other`)', async () => {
    const account = await brandAccount(`downbrand${dialect}`);
    const post = await mastodonMention(account, `threat2${dialect}`, '@downbrand watch your back');
    masto.failRequests(/^\/api\/v1\/instance\/rules$/, 503);
    const a = await ana.get(`/api/messages/${post.messageId}/network-report`);
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    expect(a.json).toMatchObject({ available: true, rules: null, unsettled: [] });
    expect(a.json.rulesError).toMatch(/^Mastodon did not list its rules \(TEMPORARY: .*\)\. The report can still be sent without citing one of them\.$/);
    // not kept: the next look asks again
    expect((await ana.get(`/api/messages/${post.messageId}/network-report`)).json).toMatchObject({ rules: masto.rules, rulesError: null });

    const before = masto.reports.length;
    const r = await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: harassment, evidence: threat });
    expect(r.json).toMatchObject({ status: 'done', reason: 'abuse', category: 'other' });
    expect(masto.reports[before]).toMatchObject({ category: 'other', ruleIds: [] });
  });

  it('after the desk stopped mid-call, a second report is refused (409) until the agent confirms it was not filed; the confirmation is audited', async () => {
    const account = await brandAccount(`stopbrand${dialect}`);
    const post = await mastodonMention(account, `stopped${dialect}`, '@stopbrand I will find your agent Sam');
    const identityId = (await db().selectFrom('message').select('author_identity_id').where('id', '=', post.messageId).executeTakeFirstOrThrow()).author_identity_id!;
    // the desk logged the report as pending, asked Mastodon, and stopped before hearing back
    const asked = clock.now();
    const stale = await db().insertInto('moderation_action').values({
      brand_id: desk.brandId, message_id: post.messageId, conversation_id: post.conversationId, identity_id: identityId, action: 'report_post',
      guideline_id: harassment, evidence: threat, actor_user_id: desk.users.ana, status: 'pending', error: null, network_report_id: null, created_at: asked,
    }).returning('id').executeTakeFirstOrThrow();
    const body = { subject: 'post', guidelineId: harassment, evidence: threat };
    // still within the call's time: waiting
    expect((await ana.post(`/api/messages/${post.messageId}/network-report`, body)).json.code).toBe('moderation.in_progress');
    clock.advance(3 * 60_000);
    const before = masto.reports.length;
    const refused = await ana.post(`/api/messages/${post.messageId}/network-report`, body);
    expect(refused.status, JSON.stringify(refused.json)).toBe(409);
    expect(refused.json.code).toBe('moderation.report_unknown');
    expect(refused.json.detail).toMatch(/never heard whether it did\. Check on Mastodon whether the report is there; if it is not, confirm that it was not filed/);
    expect(masto.reports.length).toBe(before);
    const look = (await ana.get(`/api/messages/${post.messageId}/network-report`)).json;
    expect(look.unsettled).toEqual([{ subject: 'post', at: new Date(asked).toISOString(), error: null }]);

    // the housekeeping sweep settles it as unknown: still refused, the sweep's words shown
    expect(await settleStaleModeration(desk.db.store, null, clock.now())).toBeGreaterThanOrEqual(1);
    expect((await ana.post(`/api/messages/${post.messageId}/network-report`, body)).json.code).toBe('moderation.report_unknown');
    expect((await ana.get(`/api/messages/${post.messageId}/network-report`)).json.unsettled[0]).toMatchObject({ subject: 'post', error: expect.stringMatching(/desk stopped/) });
    // only the post's report is unsettled, not one of the account
    expect((await ana.get(`/api/messages/${post.messageId}/network-report`)).json.unsettled).toHaveLength(1);

    // the agent checked on Mastodon: not there. Filed once, the unknown attempt marked not filed, audited
    const ok = await ana.post(`/api/messages/${post.messageId}/network-report`, { ...body, confirmNotFiled: true });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(ok.json).toMatchObject({ status: 'done', category: 'other' });
    expect(masto.reports.length).toBe(before + 1);
    const rows = await db().selectFrom('moderation_action').select(['id', 'status']).where('message_id', '=', post.messageId).orderBy('id').execute();
    expect(rows.map((x) => [Number(x.id), x.status])).toEqual([[Number(stale.id), 'not_filed'], [expect.any(Number), 'done']]);
    const audit = (await admin.get(`/api/audit?conversationId=${post.conversationId}`)).json.items as { action: string; actor: string; data: Record<string, unknown> }[];
    const confirmed = audit.filter((e) => e.action === 'moderation.report_not_filed');
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]!.data).toMatchObject({ subject: 'post', confirmedNotFiled: true, moderationActionIds: [Number(stale.id)] });
    expect((await ana.get(`/api/messages/${post.messageId}/network-report`)).json.unsettled).toEqual([]);
    // and at most once from here: a repeat is unchanged, a stray confirmation changes nothing
    expect((await ana.post(`/api/messages/${post.messageId}/network-report`, { ...body, confirmNotFiled: true })).json.status).toBe('unchanged');
    expect(masto.reports.length).toBe(before + 1);
    expect((await admin.get(`/api/audit?conversationId=${post.conversationId}`)).json.items.filter((e: { action: string }) => e.action === 'moderation.report_not_filed')).toHaveLength(1);
  });

  it('after Mastodon did not answer (a 5xx on the report), the same: 409 until confirmed', async () => {
    const account = await brandAccount(`timeoutbrand${dialect}`);
    const post = await mastodonMention(account, `timeout${dialect}`, '@timeoutbrand buy followers https://bots.example');
    const body = { subject: 'account', guidelineId: spamRule, evidence: 'Posts the same link to a fake giveaway under every reply.' };
    const before = masto.reports.length;
    masto.failRequests(/^\/api\/v1\/reports$/, 503);
    const lost = await ana.post(`/api/messages/${post.messageId}/network-report`, body);
    expect(lost.status, JSON.stringify(lost.json)).toBe(502);
    expect(lost.json.code).toBe('moderation.network_unknown');
    expect(lost.json.detail).toMatch(/report again only if it is not there, confirming it was not filed/);
    const again = await ana.post(`/api/messages/${post.messageId}/network-report`, body);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('moderation.report_unknown');
    expect((await ana.get(`/api/messages/${post.messageId}/network-report`)).json.unsettled).toEqual([{ subject: 'account', at: expect.any(String), error: expect.stringMatching(/^TIMEOUT: /) }]);
    expect(masto.reports.length).toBe(before);
    expect((await ana.post(`/api/messages/${post.messageId}/network-report`, { ...body, confirmNotFiled: true })).json).toMatchObject({ status: 'done', category: 'spam' });
    expect(masto.reports.length).toBe(before + 1);
  });
});
