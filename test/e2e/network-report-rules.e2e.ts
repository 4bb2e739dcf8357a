/**
 * The report dialog with a Mastodon server's rules (Chromium, at desktop and phone width, against
 * MastodonContractServer): the server's rules are offered as checkboxes with their text and hint
 * and what ticking one means; a ticked rule reaches the server as `rule_ids` with category
 * `violation`. A report Mastodon never answered is shown, and another is sent only after the
 * agent confirms, having checked, that it is not there; the activity says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MastodonContractServer } from '../contract-servers/mastodon.js';
import { Client, type TestDesk } from '../helpers/parley.js';
import { connectMastodon, mastodonMention as postMention } from '../helpers/mastodonDesk.js';
import { deskInBrowser, eventually, moderationOptions, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
let masto: MastodonContractServer;
let admin: Client;
let mastoAccount = 0;
const { open } = deskInBrowser((d) => (desk = d));

const RULES = [
  { id: '1', text: 'Mark sensitive media as sensitive', hint: '' },
  { id: '2', text: 'Do not threaten or target people', hint: 'This includes the staff of businesses and their families.' },
];

beforeAll(async () => {
  masto = new MastodonContractServer();
  await masto.start();
  masto.rules = RULES;
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  mastoAccount = await connectMastodon(admin, masto);
  const g = await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people are removed.', allowedActions: ['hide', 'delete', 'block', 'mute'], reportReason: 'abuse' });
  expect(g.status, JSON.stringify(g.json)).toBe(201);
});
afterAll(async () => {
  await masto?.stop();
});

const mastodonMention = (username: string, text: string) => postMention(admin, masto, mastoAccount, username, text);

describe('report dialog: the network\'s rules and an unanswered report', () => {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`Mastodon (${label}): offers the server's rules; a ticked rule is filed as a violation with its id`, async () => {
      const post = await mastodonMention(`rules${label}`, '@acme I know where your agent Sam lives');
      const before = masto.reports.length;
      const w = await open({ viewport });
      await signIn(w.page, desk.url, 'ana@acme.test');
      await openConversationAt(w.page, desk.url, post.conversationId);
      await moderationOptions(w.page, post.messageId);
      const dialog = w.page.getByRole('dialog');
      await dialog.getByLabel('Action').selectOption('report_post');
      const rules = dialog.getByTestId('network-rules');
      await rules.waitFor();
      expect(await rules.locator('legend').textContent()).toBe('Mastodon server rules it breaks (optional)');
      expect(await rules.textContent()).toContain('Ticking one files the report as a rule violation');
      expect(await rules.getByRole('checkbox').count()).toBe(2);
      const rule = rules.getByLabel(/Do not threaten or target people/);
      expect(await rules.textContent()).toContain('This includes the staff of businesses and their families.');
      await rule.scrollIntoViewIfNeeded();
      await rule.check();
      await dialog.getByLabel(/Evidence/).fill('Threatens a named member of staff at home.');
      // nothing in the dialog is wider than the phone
      expect(await w.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      const submit = dialog.getByRole('button', { name: 'Report the post to Mastodon' });
      await submit.scrollIntoViewIfNeeded();
      await submit.click();
      await w.page.locator('.toasts').getByText(/Reported to Mastodon \(report \d+\), citing “No harassment”/).waitFor({ timeout: 10_000 });
      expect(masto.reports.length).toBe(before + 1);
      expect(masto.reports[masto.reports.length - 1]).toMatchObject({ statusIds: [post.statusId], category: 'violation', ruleIds: ['2'] });
      expect(w.errors).toEqual([]);
      expect(w.consoleErrors).toEqual([]);
    });
  }

  it('a report Mastodon never answered: shown, and sent again only once the agent confirms it is not there', async () => {
    const post = await mastodonMention('unanswered', '@acme your agent Sam should watch out');
    const before = masto.reports.length;
    const w = await open({ viewport: { width: 390, height: 844 } });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, post.conversationId);
    await moderationOptions(w.page, post.messageId);
    const dialog = w.page.getByRole('dialog');
    await dialog.getByLabel('Action').selectOption('report_account');
    await dialog.getByLabel(/Evidence/).fill('Threatens a named member of staff at home.');
    const submit = dialog.getByRole('button', { name: 'Report the account to Mastodon' });
    // the server fails the report: Mastodon may or may not have it
    masto.failRequests(/^\/api\/v1\/reports$/, 503);
    await submit.scrollIntoViewIfNeeded();
    await submit.click();
    await dialog.locator('[data-code="moderation.network_unknown"]').waitFor({ timeout: 10_000 });
    const note = dialog.getByTestId('report-unsettled');
    await note.waitFor();
    expect(await note.textContent()).toMatch(/A report of this account may already be with Mastodon\. Parley sent one on .*, but Mastodon never said whether it received it\./);
    expect(await submit.isDisabled()).toBe(true);
    expect(masto.reports.length).toBe(before);
    const confirm = note.getByLabel(/I checked on Mastodon: that report is not there/);
    await confirm.check();
    await submit.click();
    await w.page.locator('.toasts').getByText(/Reported to Mastodon \(report \d+\)/).waitFor({ timeout: 10_000 });
    expect(masto.reports.length).toBe(before + 1);
    expect(masto.reports[masto.reports.length - 1]).toMatchObject({ targetAccountId: post.accountId, statusIds: [], category: 'other' });
    await eventually(async () => /checked on the network that an earlier report of the account, never answered, was not filed, and reported it again/.test((await w.page.locator('.audit-list').textContent()) ?? ''), 'the confirmation in the activity');
    expect(w.errors).toEqual([]);
  });
});
