/**
 * SCIM provisioning in a real browser: an admin finds the SCIM base URL in Settings → Single
 * sign-on → Provisioning (SCIM), creates a token (shown once, with Copy; listed by name, role and
 * use, never its secret), the provider's calls with it work, and revoking it (asked first) stops
 * it at once. A team the provider pushes as a group shows "Provisioned by <label>" in Settings →
 * Teams, its name (markup and all) as text. Axe finds no serious problem on the section.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, deskInBrowser, signIn } from './browser.js';

let desk: TestDesk;
const browserDesk = deskInBrowser((d) => (desk = d));

async function expectNoSerious(p: Page, where: string) {
  const v = await axeSerious(p);
  expect(v, `${where}:\n${axeReport(v)}`).toEqual([]);
}

const scimUsers = (token: string) => fetch(`${desk.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

describe('SCIM provisioning settings', () => {
  it('shows the base URL, makes a token shown once, lists it without the secret, and revokes it', async () => {
    const admin = (await browserDesk.open({ bypassCSP: true })).page;
    await signIn(admin, desk.url, 'admin@acme.test');
    await admin.goto(`${desk.url}/admin/sso`);
    const section = admin.getByRole('region', { name: 'Provisioning (SCIM)' });
    await section.getByText('No SCIM tokens').waitFor();
    expect(await section.getByLabel(/^SCIM base URL/).inputValue()).toBe(`${desk.url}/scim/v2`);
    await section.getByRole('button', { name: 'Copy the SCIM base URL' }).waitFor();

    const form = section.getByRole('form', { name: 'Create a SCIM token' });
    await form.getByLabel(/^Name/).fill('Okta');
    await form.getByLabel('People it creates are').selectOption('expert');
    await form.getByRole('button', { name: 'Create SCIM token' }).click();
    const secret = section.getByLabel(/^Token for “Okta”/);
    await secret.waitFor();
    const token = await secret.inputValue();
    expect(token).toMatch(/^scim_/);
    await section.getByRole('button', { name: 'Copy the SCIM token' }).waitFor();
    const row = section.locator('tr[data-scim-token-id]').filter({ hasText: 'Okta' });
    await row.getByText('experts').waitFor();
    await row.getByText('never').waitFor();
    await expectNoSerious(admin, 'Settings → Single sign-on → Provisioning, a token just made');
    expect(await scimUsers(token)).toBe(200);

    await section.getByRole('button', { name: 'Done' }).click();
    await secret.waitFor({ state: 'detached' });
    expect(await admin.content()).not.toContain(token);

    // a group the provider pushes: a team shown as provisioned by the token, its name as text
    const evil = '<img src=x onerror="window.__pwned=1"> Night shift';
    const pushed = await fetch(`${desk.url}/scim/v2/Groups`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: evil, members: [] }) });
    expect(pushed.status).toBe(201);
    await admin.goto(`${desk.url}/admin/teams`);
    const teamRow = admin.locator('tr').filter({ hasText: 'Night shift' });
    await teamRow.getByText('Provisioned by Okta').waitFor();
    expect(await teamRow.locator('strong').textContent()).toBe(evil);
    expect(await teamRow.locator('img').count()).toBe(0);
    expect(await admin.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await admin.locator('tr').filter({ hasText: 'Care' }).first().getByText(/Provisioned by/).count()).toBe(0);
    await expectNoSerious(admin, 'Settings → Teams, with a provisioned team');
    await admin.goto(`${desk.url}/admin/sso`);
    await row.waitFor();

    await row.getByRole('button', { name: 'Revoke Okta' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await section.getByText('No SCIM tokens').waitFor();
    expect(await scimUsers(token)).toBe(401);
  });
});
