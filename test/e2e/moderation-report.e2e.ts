/**
 * Reporting to the network in the moderation dialog (Chromium, at desktop and phone width):
 * on Mastodon (MastodonContractServer) the post is reported under the guideline's report reason,
 * filed once on the instance and shown in the conversation's activity; on X (XContractServer,
 * no report endpoint in API v2) the report is offered disabled with that reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MastodonContractServer } from '../contract-servers/mastodon.js';
import { XContractServer } from '../contract-servers/x.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { connectMastodon, mastodonMention as postMention } from '../helpers/mastodonDesk.js';
import { deskInBrowser, eventually, moderationOptions, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
let masto: MastodonContractServer;
let x: XContractServer;
let admin: Client;
let mastoAccount = 0;
let xAccount = 0;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  masto = new MastodonContractServer();
  await masto.start();
  x = await XContractServer.start();
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  mastoAccount = await connectMastodon(admin, masto);
  const xr = await admin.post('/api/channel-accounts', { network: 'x', handle: x.brand.username, externalId: x.brand.id, credentials: x.credentials(), settings: { apiBaseUrl: x.url, requestTimeoutMs: 5000, pollDirectMessages: false } });
  expect(xr.status, JSON.stringify(xr.json)).toBe(201);
  xAccount = xr.json.id;
  const g = await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.', allowedActions: ['hide', 'delete', 'block', 'mute'], reportReason: 'abuse' });
  expect(g.status, JSON.stringify(g.json)).toBe(201);
});
afterAll(async () => {
  await masto?.stop();
  await x?.stop();
});

const mastodonMention = (username: string, text: string) => postMention(admin, masto, mastoAccount, username, text);

describe('moderation dialog: report to the network', () => {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`Mastodon (${label}): reports the post under the guideline's reason, once, and the activity shows it`, async () => {
      const post = await mastodonMention(`troll${label}`, '@acme I know where your agent Sam lives');
      const before = masto.reports.length;
      const w = await open({ viewport });
      await signIn(w.page, desk.url, 'ana@acme.test');
      await openConversationAt(w.page, desk.url, post.conversationId);
      const options = await moderationOptions(w.page, post.messageId);
      expect(options.find((o) => o.value === 'report_post')).toMatchObject({ disabled: false, text: 'Report the post to Mastodon' });
      expect(options.find((o) => o.value === 'report_account')).toMatchObject({ disabled: false });
      const dialog = w.page.getByRole('dialog');
      await dialog.getByLabel('Action').selectOption('report_post');
      // the guideline's report reason is picked for the moderator
      const reason = dialog.getByLabel(/Report reason/);
      expect(await reason.inputValue()).toBe('abuse');
      await dialog.getByLabel(/Evidence/).fill('Threatens a named member of staff at home.');
      const submit = dialog.getByRole('button', { name: 'Report the post to Mastodon' });
      await submit.scrollIntoViewIfNeeded();
      await submit.click();
      await w.page.locator('.toasts').getByText(/Reported to Mastodon \(report \d+\), citing “No harassment”/).waitFor({ timeout: 10_000 });
      expect(masto.reports.length).toBe(before + 1);
      expect(masto.reports[masto.reports.length - 1]).toMatchObject({ statusIds: [post.statusId], targetAccountId: post.accountId, category: 'other' });
      // the activity says it in words, with the network's report id and the guideline cited
      await eventually(async () => /reported the post to the network \(abuse, report \d+\), citing “No harassment”/.test((await w.page.locator('.audit-list').textContent()) ?? ''), 'the report in the activity');
      expect(w.errors).toEqual([]);
    });
  }

  it('X: the report is shown disabled with the reason X API v2 has no report endpoint', async () => {
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: xAccount, messages: [mention({ network: 'x', text: '@AcmeCare I know where your agent Sam lives' })] })).json.outcomes[0];
    const w = await open({ viewport: { width: 390, height: 844 } });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, o.conversationId);
    const options = await moderationOptions(w.page, o.messageId);
    const report = options.find((x) => x.value === 'report_post')!;
    expect(report.disabled).toBe(true);
    expect(report.text).toMatch(/not on this network: X cannot take a report from Parley: the X API v2 has no endpoint to report/);
    await w.page.getByRole('dialog').getByTestId('report-unavailable').waitFor();
    expect(w.errors).toEqual([]);
  });
});
