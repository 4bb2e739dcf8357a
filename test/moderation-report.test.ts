/**
 * Reporting a post or account to the network's moderators (POST /api/messages/:id/network-report),
 * on SQLite and PostgreSQL, against the Mastodon and X contract servers: a cited guideline and
 * evidence like every moderation action, the guideline's report reason mapped to Mastodon's
 * category, audited on the conversation, at most once (a retry or a double click files one
 * report), a network refusal a 502 with the network's words and nothing lost, and X (no report
 * endpoint in API v2) refused before anything is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MastodonContractServer } from './contract-servers/mastodon.js';
import { XContractServer } from './contract-servers/x.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

describe.each(DIALECTS)('report to the network (%s)', (dialect) => {
  let desk: TestDesk;
  let masto: MastodonContractServer;
  let x: XContractServer;
  let admin: Client;
  let ana: Client;
  let mastoAccount: number;
  let xAccount: number;
  let spamRule: number;
  let harassment: number;
  const db = () => desk.db.store.db;
  const evidence = 'Posts the same link to a fake giveaway under every reply.';

  beforeAll(async () => {
    masto = new MastodonContractServer();
    await masto.start();
    x = await XContractServer.start();
    desk = await startDesk(dialect, { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ana = await Client.signIn(desk.url, 'ana@acme.test');
    const brand = masto.createAccount({ username: 'acme' });
    const m = await admin.post('/api/channel-accounts', { network: 'mastodon', handle: brand.acct, externalId: brand.id, credentials: { accessToken: brand.token }, settings: { instanceUrl: masto.url, timeoutMs: 5000 } });
    expect(m.status, JSON.stringify(m.json)).toBe(201);
    mastoAccount = m.json.id;
    const xr = await admin.post('/api/channel-accounts', { network: 'x', handle: x.brand.username, externalId: x.brand.id, credentials: x.credentials(), settings: { apiBaseUrl: x.url, requestTimeoutMs: 5000, pollDirectMessages: false } });
    expect(xr.status, JSON.stringify(xr.json)).toBe(201);
    xAccount = xr.json.id;
    const g = await admin.post('/api/guidelines', { code: 'spam', title: 'No spam', description: 'Repeated promotion, scam links and bulk posting are removed.', reportReason: 'spam' });
    expect(g.status, JSON.stringify(g.json)).toBe(201);
    spamRule = g.json.id;
    harassment = (await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.' })).json.id;
  });
  afterAll(async () => {
    await desk?.stop();
    await masto?.stop();
    await x?.stop();
  });

  /** A customer's status on the Mastodon contract server, ingested as a mention; its message id. */
  async function mastodonMention(username: string, text: string) {
    const who = masto.createAccount({ username });
    const res = await fetch(`${masto.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: text, visibility: 'public' }) });
    const statusId = ((await res.json()) as { id: string }).id;
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: mastoAccount, messages: [mention({ network: 'mastodon', networkMessageId: statusId, text, author: { networkUserId: who.id, handle: who.acct, displayName: username, followers: 3 } })] })).json.outcomes[0];
    return { messageId: o.messageId as number, conversationId: o.conversationId as number, statusId, accountId: who.id };
  }

  it('files a Mastodon report of the post under the guideline\'s category, audited on the conversation; a retry files nothing more', async () => {
    const post = await mastodonMention(`spammer${dialect}`, '@acme WIN a free phone!!! https://scam.example/claim');
    const before = masto.reports.length;
    const r = await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: spamRule, evidence });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ status: 'done', subject: 'post', guideline: 'spam', reason: 'spam', category: 'spam' });
    expect(masto.reports.length).toBe(before + 1);
    const filed = masto.reports[masto.reports.length - 1]!;
    expect(filed).toMatchObject({ targetAccountId: post.accountId, statusIds: [post.statusId], category: 'spam', ruleIds: [] });
    expect(filed.comment).toContain('No spam');
    expect(filed.comment).toContain(evidence);
    expect(r.json.networkReportId).toBe(filed.id);

    // a retry (or a second click after the first answered): unchanged, the same report, nothing sent
    const again = await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: spamRule, evidence });
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    expect(again.json).toMatchObject({ status: 'unchanged', networkReportId: filed.id });
    expect(masto.reports.length).toBe(before + 1);

    // logged once, audited once, on the conversation's timeline
    const rows = await db().selectFrom('moderation_action').selectAll().where('message_id', '=', post.messageId).execute();
    expect(rows.map((x) => [x.action, x.status, x.network_report_id])).toEqual([['report_post', 'done', filed.id]]);
    const audit = await admin.get(`/api/audit?conversationId=${post.conversationId}`);
    expect(audit.status, JSON.stringify(audit.json)).toBe(200);
    const entries = audit.json.items as { action: string; data: Record<string, unknown> }[];
    const reports = entries.filter((e) => e.action === 'moderation.report_post');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.data).toMatchObject({ status: 'done', reason: 'spam', networkReportId: filed.id, networkCategory: 'spam', guideline: { code: 'spam' } });
  });

  it('a double click files one report: the other request is unchanged or told it is in progress', async () => {
    const post = await mastodonMention(`twice${dialect}`, '@acme cheap followers here https://bots.example');
    const before = masto.reports.length;
    const body = { subject: 'account', guidelineId: spamRule, evidence };
    const [a, b] = await Promise.all([ana.post(`/api/messages/${post.messageId}/network-report`, body), ana.post(`/api/messages/${post.messageId}/network-report`, body)]);
    const outcomes = [a, b].map((r) => (r.status === 200 ? r.json.status : r.json.code)).sort();
    expect(outcomes[0]).toBe('done');
    expect(['moderation.in_progress', 'unchanged']).toContain(outcomes[1]);
    expect(masto.reports.length).toBe(before + 1);
    // an account report names no status
    expect(masto.reports[masto.reports.length - 1]).toMatchObject({ targetAccountId: post.accountId, statusIds: [] });
  });

  it('a reason picked in the dialog where the guideline names none; without either, a 400 naming the choices', async () => {
    const post = await mastodonMention(`troll${dialect}`, '@acme I will find your agent Sam at home');
    const threat = 'Threatens a named member of staff at home.';
    const none = await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: harassment, evidence: threat });
    expect(none.status).toBe(400);
    expect(none.json.code).toBe('moderation.report_reason_needed');
    // no guideline: refused as every moderation action is
    expect((await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', evidence: threat, reason: 'abuse' })).json.code).toBe('moderation.needs_guideline');
    // negativity is no evidence
    expect((await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: harassment, evidence: 'negative', reason: 'abuse' })).json.code).toBe('moderation.needs_evidence');
    const before = masto.reports.length;
    // abuse without the instance rule broken: Mastodon's `other`; with it: `violation` and the rule
    masto.rules = [{ id: '1', text: 'No harassment', hint: '' }];
    const r = await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: harassment, evidence: threat, reason: 'abuse', ruleIds: ['1'] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ status: 'done', reason: 'abuse', category: 'violation' });
    expect(masto.reports.length).toBe(before + 1);
    expect(masto.reports[masto.reports.length - 1]).toMatchObject({ category: 'violation', ruleIds: ['1'] });

    // the admin maps the guideline: later reports citing it need no pick
    const set = await admin.req('PUT', `/api/guidelines/${harassment}/report-reason`, { reportReason: 'abuse' });
    expect(set.status, JSON.stringify(set.json)).toBe(200);
    expect((await admin.get('/api/guidelines')).json.items.find((g: { id: number }) => g.id === harassment).reportReason).toBe('abuse');
    expect((await ana.req('PUT', `/api/guidelines/${harassment}/report-reason`, { reportReason: 'spam' })).status).toBe(403);
    const other = await mastodonMention(`troll2${dialect}`, '@acme your agent Sam should watch out');
    const mapped = await ana.post(`/api/messages/${other.messageId}/network-report`, { subject: 'account', guidelineId: harassment, evidence: threat });
    expect(mapped.json).toMatchObject({ status: 'done', reason: 'abuse', category: 'other' });
  });

  it('a refusal by Mastodon is a 502 with its message, logged as failed; a retry files it once (a server failing leaves the outcome unknown: test/moderation-report-rules.test.ts)', async () => {
    const post = await mastodonMention(`refused${dialect}`, '@acme buy now https://spam.example');
    masto.rules = [];
    const before = masto.reports.length;
    const r = await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: spamRule, evidence, reason: 'violation', ruleIds: ['99'] });
    expect(r.status, JSON.stringify(r.json)).toBe(502);
    expect(r.json.code).toBe('moderation.network_failed');
    expect(r.json.detail).toMatch(/Rule ids does not reference valid rules/);
    expect(masto.reports.length).toBe(before);
    const failed = await db().selectFrom('moderation_action').selectAll().where('message_id', '=', post.messageId).execute();
    expect(failed.map((x) => x.status)).toEqual(['failed']);

    // the retry files it, once
    const retry = await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: spamRule, evidence });
    expect(retry.json).toMatchObject({ status: 'done', category: 'spam' });
    expect((await ana.post(`/api/messages/${post.messageId}/network-report`, { subject: 'post', guidelineId: spamRule, evidence })).json.status).toBe('unchanged');
    expect(masto.reports.length).toBe(before + 1);
  });

  it('X: refused before anything is sent, saying X API v2 has no report endpoint; the availability says so for the dialog', async () => {
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: xAccount, messages: [mention({ network: 'x', text: '@AcmeCare free crypto at scam.example' })] })).json.outcomes[0];
    const sent = x.requests.length;
    const r = await ana.post(`/api/messages/${o.messageId}/network-report`, { subject: 'post', guidelineId: spamRule, evidence });
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.json.code).toBe('moderation.report_unsupported');
    expect(r.json.detail).toMatch(/^X cannot take a report from Parley: the X API v2 has no endpoint to report/);
    expect(x.requests.length).toBe(sent);
    expect(await db().selectFrom('moderation_action').select('id').where('message_id', '=', o.messageId).execute()).toEqual([]);
    expect((await ana.get(`/api/messages/${o.messageId}/network-report`)).json).toMatchObject({ available: false, reason: expect.stringMatching(/X API v2 has no endpoint/) });
    const m = await mastodonMention(`ok${dialect}`, '@acme hello');
    expect((await ana.get(`/api/messages/${m.messageId}/network-report`)).json).toEqual({ available: true, reason: null, rules: masto.rules, rulesError: null, unsettled: [] });
    // X has no rules of its own to cite
    expect((await ana.get(`/api/messages/${o.messageId}/network-report`)).json).toMatchObject({ rules: null, rulesError: null });
  });
});
