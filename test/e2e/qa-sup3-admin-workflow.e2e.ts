/**
 * Three admin/workflow defects a QA pass found, in a real browser against a real desk (brand in
 * Europe/London): the business-hours editor of a lead whose browser is in New York starts in the
 * brand's zone and says so; saving routing towards a team with no members warns, naming it, and
 * Queues flags the team; a brand that keeps moderation to its leads shows agents the action
 * disabled, with the reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
const browser = deskInBrowser((d) => (desk = d));

/** A page whose browser runs in `timezoneId` (en-US, as a lead in New York would have it). */
async function pageIn(timezoneId: string) {
  return (await browser.open({ locale: 'en-US', timezoneId })).page;
}

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
});

describe('QA admin/workflow in the browser', () => {
  it('the business-hours editor of a lead in New York starts in the brand\'s zone (London) and shows it', async () => {
    const page = await pageIn('America/New_York');
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('America/New_York');
    await signIn(page, desk.url, 'admin@acme.test');
    await page.goto(`${desk.url}/admin/channels`);
    await page.getByRole('button', { name: 'Show details of @AcmeCare' }).click();
    await page.getByRole('button', { name: 'Business hours…' }).click();
    const zone = page.getByRole('combobox', { name: /Time zone/ });
    await zone.waitFor({ timeout: 10_000 });
    expect(await zone.inputValue()).toBe('Europe/London');
    await expect.poll(() => page.locator('.calendar-zone').textContent()).toBe('(in Europe/London)');
    expect(await page.locator('.calendar-zone-note').textContent()).toBe('The brand’s time zone.');
    // saved as shown: London hours
    await page.getByRole('button', { name: 'Save business hours' }).click();
    await page.getByText(/Saved\. Line for the profile bio/).waitFor({ timeout: 10_000 });
    const acc = await desk.db.store.db.selectFrom('channel_account').select('calendar').where('id', '=', desk.accountId).executeTakeFirstOrThrow();
    expect(JSON.parse(acc.calendar!).timeZone).toBe('Europe/London');
  });

  it('saving routing towards a team with no members warns, naming it; Queues flags the team', async () => {
    const spanish = (await admin.post('/api/teams', { name: 'Spanish', routingStrategy: 'skills' })).json.id as number;
    const page = await pageIn('Europe/London');
    await signIn(page, desk.url, 'admin@acme.test');
    await page.goto(`${desk.url}/admin/workflow`);
    await page.getByLabel('Default team (when no rule matches)').selectOption(String(spanish));
    await page.getByRole('button', { name: 'Save routing' }).click();
    const warning = page.locator('.routing-warnings');
    await warning.waitFor({ timeout: 10_000 });
    expect(await warning.textContent()).toMatch(/Team "Spanish" has no members/);
    // saved all the same
    expect((await admin.get('/api/settings/workflow')).json.routing.defaultTeamId).toBe(String(spanish));

    await page.goto(`${desk.url}/queues`);
    const card = page.locator(`section.queue[data-team-id="${spanish}"]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.getByRole('alert').textContent()).toMatch(/Routing sends conversations to this team, but it has no members/);
    // a team with people has no such alert
    expect(await page.locator(`section.queue[data-team-id="${desk.teamId}"] .queue-no-members`).count()).toBe(0);
    expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
  });

  it('with moderation kept to leads (set in Settings → Workflow), an agent sees the action disabled with the reason', async () => {
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare buy followers cheap at spam.example' })] })).json.outcomes[0];
    const adminPage = await pageIn('Europe/London');
    await signIn(adminPage, desk.url, 'admin@acme.test');
    await adminPage.goto(`${desk.url}/admin/workflow`);
    await adminPage.getByLabel('Approvers and admins only (leads)').check();
    await adminPage.getByRole('button', { name: 'Save moderation roles' }).click();
    await eventually(async () => JSON.stringify((await admin.get('/api/settings/workflow')).json.moderation) === JSON.stringify({ allowedRoles: ['approver', 'admin'] }), 'leads-only saved');

    const page = await pageIn('Europe/London');
    await signIn(page, desk.url, 'ana@acme.test');
    await openConversationAt(page, desk.url, o.conversationId);
    const post = page.locator(`.msg-in[data-message-id="${o.messageId}"]`);
    const button = post.getByRole('button', { name: /Moderate this post/ });
    await button.waitFor({ timeout: 10_000 });
    await eventually(() => button.isDisabled(), 'Moderate… disabled for an agent');
    expect(await post.locator('.msg-moderate-why').textContent()).toMatch(/only approvers and admins may take moderation actions/);

    // a lead may
    const lead = await pageIn('Europe/London');
    await signIn(lead, desk.url, 'cleo@acme.test');
    await openConversationAt(lead, desk.url, o.conversationId);
    const leadButton = lead.locator(`.msg-in[data-message-id="${o.messageId}"]`).getByRole('button', { name: /Moderate this post/ });
    await leadButton.waitFor({ timeout: 10_000 });
    expect(await leadButton.isEnabled()).toBe(true);
  });
});
