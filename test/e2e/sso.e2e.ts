/**
 * Single sign-on (OpenID Connect) in a real browser, against a real OpenID Provider on loopback
 * (panva's oidc-provider, test/helpers/oidcProvider.ts): an admin adds the provider in Settings →
 * Single sign-on (the callback URL to register is shown; Check reaches the issuer; the secret is
 * never shown again), signs out, and "Sign in with …" on the sign-in page lands the person the
 * provider signs in on the desk, signed in as them; someone who declines at the provider is told
 * so; a sign-in that took the way back of someone else's expired session does not stay on their
 * page (the same person's does); once a second provider is required of everyone but admins, an
 * agent's password is refused with a pointer to that provider's button (an admin's still works);
 * deleting a provider (asked first) takes its button away. Someone with two-factor sign-in on is
 * asked their own code after a provider not trusted to enforce MFA (a wrong one is said on the
 * field; the right one lands them where they were going), and not after a trusted one. Axe finds
 * no serious problem on the settings and sign-in pages. On a desk of several brands no provider is
 * listed: "Sign in with single sign-on" asks the work email, goes straight on to the one provider
 * that takes it, offers the choice when several do, and says so (on the field) when none does.
 * Signing out after a provider's sign-in signs out at the provider too (OpenID Connect
 * RP-Initiated Logout: its end-session page), which sends the browser back to the sign-in page;
 * Settings shows the post-logout redirect URI to register, and "Sign out of <provider> too".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { createBrand } from '../../src/commands/setup.js';
import { Client, PASSWORD, type TestDesk } from '../helpers/parley.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidcProvider.js';
import { base32Decode, totp } from '../../src/lib/totp.js';
import { axeReport, axeSerious, deskInBrowser, eventually, screenshot, signIn, type WatchedPage } from './browser.js';

const LABEL = 'Acme ID';
const BACKUP = 'Backup ID';
const STRICT = 'Strict ID';
const TRUSTED = 'Trusted ID';
const MAKER = 'Maker ID';
const DOMAIN = 'Domain ID';

let desk: TestDesk;
let op: TestOidcProvider;
const browserDesk = deskInBrowser((d) => (desk = d));
// (after the desk's: the provider needs its callback URL)
beforeAll(async () => {
  op = await startOidcProvider({ redirectUris: [`${desk.url}/api/auth/sso/callback`], postLogoutRedirectUris: [`${desk.url}/login`] });
});
afterAll(async () => {
  await op?.close();
});

/** A fresh browser (its own cookies); axe is injected as an inline script, which the server's CSP (rightly) forbids. */
const open = (): Promise<WatchedPage> => browserDesk.open({ bypassCSP: true });

const isFocused = (l: Locator) => l.evaluate((el) => el === (el.ownerDocument as any).activeElement) as Promise<boolean>;

async function expectNoSerious(p: Page, where: string) {
  const v = await axeSerious(p);
  expect(v, `${where}:\n${axeReport(v)}`).toEqual([]);
}

/** Who the page's session is (the desk asks the same). */
const whoIs = (p: Page) => p.evaluate(() => fetch('/api/me').then((r) => (r.ok ? r.json().then((m: any) => m.user.email as string) : null)));

/** Who the tab remembers as its user (shell/LoginPage.tsx `claimTab`: someone else's drafts and alerts are forgotten). */
const tabUser = (p: Page) => p.evaluate('sessionStorage.getItem("parley.tab-user")') as Promise<string | null>;

const ssoButton = (p: Page, label = LABEL) => p.getByRole('link', { name: `Sign in with ${label}`, exact: true });

async function signOut(p: Page): Promise<void> {
  await p.getByRole('button', { name: 'Sign out' }).click();
  await p.waitForURL(/\/login/);
}

/** Signed in by the provider as `email`: the desk shows, live, as them. */
async function landsOnDeskAs(p: Page, email: string, path = /\/inbox\/open/): Promise<void> {
  await p.waitForURL(path, { timeout: 15_000 }).catch((err: Error) => {
    throw new Error(`not on the desk at ${path} but at ${p.url()}: ${err.message}`);
  });
  await p.locator('.list-pane').waitFor({ timeout: 15_000 });
  await p.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
  expect(await whoIs(p)).toBe(email);
}

/** The person's session ends on the server (as when it expires): the page's next load goes to sign-in, with the way back. */
async function endSessionsOf(userId: number): Promise<void> {
  await desk.db.store.db.deleteFrom('session').where('user_id', '=', userId).execute();
}

describe('single sign-on', () => {
  let admin: Page;
  let providerId: number;

  it('is added by an admin in Settings, and its button signs the person it names in, onto the desk', async () => {
    admin = (await open()).page;
    await signIn(admin, desk.url, 'admin@acme.test');
    // the tab is in Settings for admins
    await admin.goto(`${desk.url}/admin/channels`);
    await admin.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Single sign-on' }).click();
    await admin.waitForURL(/\/admin\/sso$/);
    await admin.getByText('No providers yet').waitFor();
    // the callback URL to register at the provider, with Copy
    const callback = admin.getByLabel(/^Callback URL/);
    expect(await callback.inputValue()).toBe(`${desk.url}/api/auth/sso/callback`);
    await admin.getByRole('button', { name: 'Copy the callback URL' }).waitFor();
    // and the post-logout redirect URI, for signing out at the provider too
    expect(await admin.getByLabel(/^Post-logout redirect URI/).inputValue()).toBe(`${desk.url}/login`);
    expect(await admin.getByLabel(/^Back-channel logout URI/).inputValue()).toBe(`${desk.url}/api/auth/sso/backchannel-logout`);
    await expectNoSerious(admin, 'Settings → Single sign-on, empty');

    await admin.getByRole('button', { name: 'Add…' }).click();
    const form = admin.getByRole('form', { name: 'Add a single sign-on provider' });
    await form.getByLabel('Name on the sign-in button').fill(LABEL);
    // an issuer that is not one: refused, said on the issuer
    await form.getByLabel('Issuer URL').fill('http://127.0.0.1:1');
    await form.getByLabel('Client ID').fill(op.clientId);
    await form.getByLabel('Client secret').fill(op.clientSecret);
    await form.getByLabel('Allowed email domains').fill('Acme.test  @example.org,');
    await expectNoSerious(admin, 'Settings → Single sign-on, adding');
    await form.getByRole('button', { name: 'Add provider' }).click();
    await form.locator('[role="alert"][data-code="sso.discovery_failed"]').waitFor({ timeout: 15_000 });
    expect(await form.getByLabel('Issuer URL').getAttribute('aria-invalid')).toBe('true');
    await eventually(() => isFocused(form.getByLabel('Issuer URL')), 'focus on the issuer');
    await form.getByLabel('Issuer URL').fill(op.issuer);
    await form.getByRole('button', { name: 'Add provider' }).click();
    await form.waitFor({ state: 'hidden', timeout: 15_000 });

    const row = admin.locator('tr[data-sso-id]').filter({ hasText: LABEL });
    await row.waitFor();
    providerId = Number(await row.getAttribute('data-sso-id'));
    await row.getByText(op.issuer).waitFor();
    await row.getByText('enabled').waitFor();
    await row.getByText('Everyone may use a password').waitFor();
    await row.getByText('emails at acme.test, example.org').waitFor();
    // Check reaches the issuer and names where it signs people in
    await row.getByRole('button', { name: `Check ${LABEL}` }).click();
    await row.locator('[data-sso-check="ok"]').getByText(`Reachable: signs in at ${op.issuer}`).waitFor({ timeout: 15_000 });
    // the secret is kept, never shown: its field is empty, and says so
    await row.getByRole('button', { name: `Edit ${LABEL}` }).click();
    const edit = admin.getByRole('form', { name: `Edit ${LABEL}` });
    expect(await edit.getByLabel('Client secret').inputValue()).toBe('');
    expect(await edit.getByLabel('Client secret').getAttribute('placeholder')).toBe('kept');
    expect(await edit.getByLabel('Allowed email domains').inputValue()).toBe('acme.test, example.org');
    expect(await edit.getByLabel(`Sign out of ${LABEL} too`).isChecked()).toBe(true);
    await expectNoSerious(admin, 'Settings → Single sign-on, editing');
    await screenshot(admin, 'sso-settings-editing', true);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await eventually(() => isFocused(row.getByRole('button', { name: `Edit ${LABEL}` })), 'focus back on Edit');
    expect(JSON.stringify((await (await Client.signIn(desk.url, 'admin@acme.test')).get('/api/sso/providers')).json)).not.toContain(op.clientSecret);

    // signed out on purpose: the button, with no way back to the admin's page
    await signOut(admin);
    const button = ssoButton(admin);
    await button.waitFor();
    expect(await button.getAttribute('href')).toBe(`/api/auth/sso/${providerId}/start`);
    await expectNoSerious(admin, 'sign-in page with a provider');
    await screenshot(admin, 'sso-sign-in');

    // the provider signs Ana in: on the desk, as Ana, and the tab is hers now
    op.signInAs({ sub: 'ana-at-acme-id', email: 'ana@acme.test', emailVerified: true, name: 'Ana Agent' });
    await button.click();
    await landsOnDeskAs(admin, 'ana@acme.test');
    await admin.getByText('Ana Agent').first().waitFor();
    expect(await tabUser(admin)).toBe(String(desk.users.ana));
  });

  it('says so when the person declines at the provider', async () => {
    const p = (await open()).page;
    await p.goto(`${desk.url}/login`);
    op.signInAs(null);
    await ssoButton(p).click();
    await p.waitForURL(/\/login\?sso_error=cancelled/, { timeout: 15_000 });
    const alert = p.locator('[role="alert"][data-code="sso.cancelled"]');
    await alert.getByText('Single sign-on was cancelled at the provider, so you are not signed in.').waitFor();
    // the button tells it again, to whoever comes back to it
    expect(await ssoButton(p).getAttribute('aria-describedby')).toBe(await alert.getAttribute('id'));
    expect(await whoIs(p)).toBeNull();
    await expectNoSerious(p, 'sign-in page after a declined single sign-on');
    await screenshot(p, 'sso-sign-in-cancelled');
    // trying the password form clears it
    await p.getByLabel('Email').fill('ana@acme.test');
    await p.getByLabel('Password').fill('not the password');
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await p.getByText('Wrong email or password.').waitFor();
    expect(await alert.count()).toBe(0);
  });

  it('signs out at the provider too, which sends the browser back to the sign-in page', async () => {
    const p = (await open()).page;
    await p.goto(`${desk.url}/login`);
    op.signInAs({ sub: 'ana-at-acme-id', email: 'ana@acme.test', emailVerified: true });
    await ssoButton(p).click();
    await landsOnDeskAs(p, 'ana@acme.test');
    const seen: string[] = [];
    p.on('framenavigated', (f) => {
      if (f === p.mainFrame()) seen.push(f.url());
    });
    const before = op.signedOut();
    await p.getByRole('button', { name: 'Sign out' }).click();
    // through the provider's end-session page (it checks the ID token and the registered URI), back with the state
    await p.waitForURL(/\/login\?state=/, { timeout: 15_000 });
    expect(seen.some((u) => u.startsWith(`${op.issuer}/session/end`))).toBe(true);
    expect(op.signedOut()).toBe(before + 1);
    expect(op.endSessionErrors).toEqual([]);
    const asked = op.endSessionRequests.at(-1)!;
    expect(asked).toMatchObject({ postLogoutRedirectUri: `${desk.url}/login`, clientId: op.clientId });
    expect(new URL(p.url()).searchParams.get('state')).toBe(asked.state);
    expect(await whoIs(p)).toBeNull();
    await ssoButton(p).waitFor();
    // a password session signs out here only
    const q = (await open()).page;
    await signIn(q, desk.url, 'ben@acme.test');
    const asks = op.endSessionRequests.length;
    await signOut(q);
    expect(new URL(q.url()).searchParams.get('state')).toBeNull();
    expect(op.endSessionRequests.length).toBe(asks);
    expect(browserDesk.pages.flatMap((w) => w.errors)).toEqual([]);
  });

  it('is a section of Settings for admins only', async () => {
    const p = (await open()).page;
    await signIn(p, desk.url, 'cleo@acme.test');
    await p.goto(`${desk.url}/admin/sso`);
    await p.getByText('Single sign-on is for admins.').waitFor();
    expect(await p.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Single sign-on' }).count()).toBe(0);
    expect(await p.getByLabel(/^Callback URL/).count()).toBe(0);
  });

  it('takes the way back of an expired session only for the same person', async () => {
    const p = (await open()).page;
    op.signInAs({ sub: 'ana-at-acme-id', email: 'ana@acme.test', emailVerified: true });
    await p.goto(`${desk.url}/login`);
    await ssoButton(p).click();
    await landsOnDeskAs(p, 'ana@acme.test');

    // Ana's session ends while she is on her own list: sign-in keeps the way back, for the provider too
    await endSessionsOf(desk.users.ana);
    await p.goto(`${desk.url}/inbox/mine`);
    await p.waitForURL(/\/login\?redirect=/);
    expect(await ssoButton(p).getAttribute('href')).toBe(`/api/auth/sso/${providerId}/start?next=${encodeURIComponent('/inbox/mine')}`);
    // Ben signs in on her tab: he lands on the desk, not on her page
    op.signInAs({ sub: 'ben-at-acme-id', email: 'ben@acme.test', emailVerified: true });
    await ssoButton(p).click();
    await landsOnDeskAs(p, 'ben@acme.test', /\/inbox\/open/);
    expect(new URL(p.url()).pathname).toBe('/inbox/open');
    expect(await tabUser(p)).toBe(String(desk.users.ben));

    // his own session ends: he is taken back to where he was
    await p.goto(`${desk.url}/inbox/mine`);
    await p.locator('.list-pane').waitFor();
    await endSessionsOf(desk.users.ben);
    await p.reload();
    await p.waitForURL(/\/login\?redirect=/);
    await ssoButton(p).click();
    await landsOnDeskAs(p, 'ben@acme.test', /\/inbox\/mine/);
    expect(new URL(p.url()).pathname).toBe('/inbox/mine');
  });

  it('once one is required of everyone but admins, refuses an agent’s password and points at its button; an admin’s still works; deleted, its button goes', async () => {
    // a second provider, which is the one to require (its button is not the first)
    const api = await Client.signIn(desk.url, 'admin@acme.test');
    const backup = await api.post('/api/sso/providers', {
      label: BACKUP, issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true,
    });
    expect(backup.status).toBe(201);
    const a = (await open()).page;
    await signIn(a, desk.url, 'admin@acme.test');
    await a.goto(`${desk.url}/admin/sso`);
    const row = a.locator(`tr[data-sso-id="${providerId}"]`);
    const backupRow = a.locator(`tr[data-sso-id="${backup.json.id}"]`);
    // two people are linked to the first now (Ana and Ben)
    await expect.poll(async () => (await row.locator('td').nth(4).textContent())?.trim()).toBe('2');
    await backupRow.getByRole('button', { name: `Edit ${BACKUP}` }).click();
    const edit = a.getByRole('form', { name: `Edit ${BACKUP}` });
    await edit.getByLabel('People other than admins must use this provider').check();
    await edit.getByRole('button', { name: `Save ${BACKUP}` }).click();
    await edit.waitFor({ state: 'hidden', timeout: 15_000 });
    await backupRow.getByText('Admins only; everyone else uses this provider').waitFor();

    const p = (await open()).page;
    await p.goto(`${desk.url}/login`);
    await ssoButton(p, BACKUP).waitFor();
    await p.getByLabel('Email').fill('ben@acme.test');
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    const alert = p.locator('#login-error[role="alert"][data-code="auth.sso_required"]');
    await alert.getByText(`Your desk signs you in with ${BACKUP}, not a password: use “Sign in with ${BACKUP}” below.`).waitFor();
    // focus on that provider's button, which the message describes; the password was not wrong
    await eventually(() => isFocused(ssoButton(p, BACKUP)), 'focus on the required provider’s button');
    expect(await ssoButton(p, BACKUP).getAttribute('aria-describedby')).toBe('login-error');
    expect(await p.getByLabel('Password').getAttribute('aria-invalid')).toBeNull();
    expect(await whoIs(p)).toBeNull();
    await expectNoSerious(p, 'sign-in page, password refused for single sign-on');
    await screenshot(p, 'sso-sign-in-required');
    // an admin's password still signs in (when the provider is down)
    await Client.signIn(desk.url, 'admin@acme.test');

    // deleted (asked first): gone from Settings and from the sign-in page; focus on the neighbour's Edit
    await backupRow.getByRole('button', { name: `Delete ${BACKUP}` }).click();
    let dialog = a.getByRole('dialog', { name: `Delete “${BACKUP}”?` });
    await dialog.getByText(/nobody can sign in with it any more\. Signed-in sessions stay/).waitFor();
    await dialog.getByRole('button', { name: 'Delete provider' }).click();
    await backupRow.waitFor({ state: 'detached' });
    await eventually(() => isFocused(row.getByRole('button', { name: `Edit ${LABEL}` })), 'focus on the neighbour’s Edit');
    await Promise.all([p.waitForResponse((r) => r.url().endsWith('/api/auth/sso/providers')), p.goto(`${desk.url}/login`)]);
    await ssoButton(p).waitFor();
    expect(await ssoButton(p, BACKUP).count()).toBe(0);
    // and Ben's password works again
    await p.getByLabel('Email').fill('ben@acme.test');
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await landsOnDeskAs(p, 'ben@acme.test');

    // the last one: its linked people are said; then no provider, no button
    await row.getByRole('button', { name: `Delete ${LABEL}` }).click();
    dialog = a.getByRole('dialog', { name: `Delete “${LABEL}”?` });
    await dialog.getByText(/the 2 people linked to it sign in with a password/).waitFor();
    await dialog.getByRole('button', { name: 'Delete provider' }).click();
    await a.getByText('No providers yet').waitFor();
    await eventually(() => isFocused(a.locator('#sso-title')), 'focus on the list’s heading');
    const q = (await open()).page;
    await Promise.all([q.waitForResponse((r) => r.url().endsWith('/api/auth/sso/providers')), q.goto(`${desk.url}/login`)]);
    await q.getByLabel('Email').waitFor();
    expect(await q.getByRole('link', { name: /^Sign in with/ }).count()).toBe(0);
    expect(browserDesk.pages.flatMap((w) => w.errors)).toEqual([]);
  });

  it('asks the code of someone with two-factor sign-in on after a provider not trusted to enforce MFA: a wrong one is said on the field, the right one lands on the desk; a trusted provider asks none', async () => {
    const api = await Client.signIn(desk.url, 'admin@acme.test');
    const provider = (label: string, trustsMfa: boolean) => ({ label, issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa, enabled: true });
    expect((await api.post('/api/sso/providers', provider(STRICT, false))).status).toBe(201);
    expect((await api.post('/api/sso/providers', provider(TRUSTED, true))).status).toBe(201);
    // Cleo turns two-factor sign-in on with her app's code of the step before (the current one is left for her sign-in)
    const cleo = await Client.signIn(desk.url, 'cleo@acme.test');
    const setup = await cleo.post('/api/me/two-factor/setup', { currentPassword: PASSWORD });
    expect(setup.status).toBe(200);
    const secret = setup.json.secret as string;
    const appCode = (at = Date.now()) => totp(base32Decode(secret), at);
    expect((await cleo.post('/api/me/two-factor/enable', { code: appCode(Date.now() - 30_000) })).status).toBe(200);
    const near = new Set([-1, 0, 1, 2].map((d) => appCode(Date.now() + d * 30_000)));
    const wrong = ['123456', '234567', '345678'].find((c) => !near.has(c))!;
    op.signInAs({ sub: 'cleo-at-acme-id', email: 'cleo@acme.test', emailVerified: true });

    // her session ended on her list: the provider's sign-in, then only the code, keeps the way back
    const w = await open();
    const p = w.page;
    await p.goto(`${desk.url}/inbox/mine`);
    await p.waitForURL(/\/login\?redirect=/);
    await ssoButton(p, STRICT).click();
    await p.waitForURL(/\/login\?sso_code=1/, { timeout: 15_000 });
    const field = p.getByLabel('Authentication code');
    await field.waitFor();
    await eventually(() => isFocused(field), 'focus on the code');
    // the address stays as the desk wrote it (the router once rewrote it to sso_code=%221%22, which a reload still read, but no link matched)
    expect(new URL(p.url()).search).toBe('?sso_code=1&redirect=%2Finbox%2Fmine');
    // only the code: no password form, no provider buttons
    expect(await p.getByLabel('Password').count()).toBe(0);
    expect(await p.getByRole('link', { name: /^Sign in with/ }).count()).toBe(0);
    expect(await whoIs(p)).toBeNull();
    await expectNoSerious(p, 'sign-in page asking the code after single sign-on');

    await field.fill(wrong);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    const alert = p.locator('#login-error[role="alert"]');
    await alert.getByText('That code is not right, or was already used.').waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await field.getAttribute('aria-describedby')).toContain('login-error');
    await eventually(() => isFocused(field), 'focus back on the code');
    expect(await whoIs(p)).toBeNull();
    await expectNoSerious(p, 'sign-in page, a wrong code after single sign-on');
    await screenshot(p, 'sso-sign-in-code-wrong');

    await field.fill(appCode());
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await landsOnDeskAs(p, 'cleo@acme.test', /\/inbox\/mine/);
    expect(await tabUser(p)).toBe(String(desk.users.approver));

    // a provider trusted to enforce MFA: no code asked
    const t = (await open()).page;
    await t.goto(`${desk.url}/login`);
    const seen: string[] = [];
    t.on('framenavigated', (f) => {
      if (f === t.mainFrame()) seen.push(f.url());
    });
    await ssoButton(t, TRUSTED).click();
    await landsOnDeskAs(t, 'cleo@acme.test');
    expect(seen.filter((u) => u.includes('sso_code'))).toEqual([]);
    expect(browserDesk.pages.flatMap((x) => x.errors)).toEqual([]);
  });

  it('asks no password of someone a provider made: two-factor set-up and a first password are confirmed by the recent sign-in', async () => {
    const api = await Client.signIn(desk.url, 'admin@acme.test');
    const made = await api.post('/api/sso/providers', { label: MAKER, issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, allowedDomains: [], autoProvisionRole: 'agent', passwordSignIn: 'everyone', trustsMfa: false, enabled: true });
    expect(made.status).toBe(201);
    const p = (await open()).page;
    await p.goto(`${desk.url}/login`);
    op.signInAs({ sub: 'nia-at-acme-id', email: 'nia@acme.test', emailVerified: true, name: 'Nia New' });
    await ssoButton(p, MAKER).click();
    await landsOnDeskAs(p, 'nia@acme.test');

    // two-factor sign-in: no password field, the set-up goes straight to the app's key
    await p.getByRole('button', { name: /Your account/ }).click();
    await p.getByRole('button', { name: /Two-factor sign-in/ }).click();
    const dialog = p.getByRole('dialog', { name: 'Two-factor sign-in' });
    await dialog.getByText(/no Parley password: a sign-in with it in the last 10 minutes confirms this/).waitFor();
    expect(await dialog.getByLabel('Current password').count()).toBe(0);
    await expectNoSerious(p, 'two-factor set-up without a password');
    await dialog.getByRole('button', { name: 'Set up' }).click();
    await dialog.getByTestId('two-factor-key').waitFor({ timeout: 15_000 });
    await p.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // a first password, likewise
    await p.getByRole('button', { name: /Your account/ }).click();
    await p.getByRole('button', { name: /Change password/ }).click();
    const set = p.getByRole('dialog', { name: 'Set a password' });
    await set.waitFor();
    expect(await set.getByLabel('Current password').count()).toBe(0);
    await set.getByLabel('New password', { exact: true }).fill('a first password');
    await set.getByLabel('Confirm the new password').fill('a first password');
    await set.getByRole('button', { name: 'Change password' }).click();
    await set.waitFor({ state: 'hidden', timeout: 15_000 });
    await Client.signIn(desk.url, 'nia@acme.test', 'a first password');
    expect(browserDesk.pages.flatMap((x) => x.errors)).toEqual([]);
  });

  it('lists no provider on a desk of several brands: the work email finds the one that signs the person in', async () => {
    const db = desk.db.store.db;
    const api = await Client.signIn(desk.url, 'admin@acme.test');
    const made = await api.post('/api/sso/providers', { label: DOMAIN, issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, allowedDomains: ['acme.test'], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: true, enabled: true });
    expect(made.status).toBe(201);
    await createBrand(db, { slug: 'globex', name: 'Globex' }, Date.now());
    // only the one for emails at acme.test stays on; the others (no domain list) come back below
    await db.updateTable('sso_provider').set({ enabled: 0 }).where('label', '!=', DOMAIN).execute();
    const p = (await open()).page;
    await p.goto(`${desk.url}/login?redirect=${encodeURIComponent('/inbox/mine')}`);
    const find = p.getByRole('button', { name: 'Sign in with single sign-on', exact: true });
    await find.waitFor();
    expect(await p.getByRole('link', { name: /^Sign in with / }).count()).toBe(0);
    expect(await p.content()).not.toContain(DOMAIN);
    await p.getByLabel('Email', { exact: true }).fill('nobody@unknown.test');
    await find.click();
    const form = p.getByRole('form', { name: 'Sign in with single sign-on' });
    const work = form.getByLabel('Work email');
    // what was typed above is carried over, and focus is on it
    expect(await work.inputValue()).toBe('nobody@unknown.test');
    await eventually(() => isFocused(work), 'focus on the work email');
    await expectNoSerious(p, 'sign-in, single sign-on by email');
    await form.getByRole('button', { name: 'Continue with single sign-on' }).click();
    const none = form.getByRole('alert');
    await none.waitFor();
    expect(await none.textContent()).toContain('No single sign-on is set up for that email address');
    expect(await work.getAttribute('aria-invalid')).toBe('true');
    expect(await work.getAttribute('aria-describedby')).toBe(await none.getAttribute('id'));

    // one provider takes it: straight on to it, and back onto the desk where the person was going
    op.signInAs({ sub: 'ana-at-acme-id', email: 'ana@acme.test', emailVerified: true });
    await work.fill('Ana@acme.test');
    await form.getByRole('button', { name: 'Continue with single sign-on' }).click();
    await landsOnDeskAs(p, 'ana@acme.test', /\/inbox\/mine/);

    // two take it (a provider without a domain list, of her brand, too): their buttons, to choose
    await db.updateTable('sso_provider').set({ enabled: 1 }).where('label', '=', MAKER).execute();
    const q = (await open()).page;
    await q.goto(`${desk.url}/login`);
    await q.getByRole('button', { name: 'Sign in with single sign-on', exact: true }).click();
    await q.getByLabel('Work email').fill('ana@acme.test');
    await q.getByRole('button', { name: 'Continue with single sign-on' }).click();
    await ssoButton(q, MAKER).waitFor();
    expect(await q.getByRole('link', { name: /^Sign in with / }).count()).toBe(2);
    await ssoButton(q, DOMAIN).click();
    await landsOnDeskAs(q, 'ana@acme.test');
    expect(browserDesk.pages.flatMap((x) => x.errors)).toEqual([]);
  });
});
