/**
 * Single sign-on with SAML 2.0 in a real browser, against the SAML IdP on loopback
 * (test/contract-servers/saml-idp.ts): an admin adds a SAML provider in Settings → Single sign-on
 * by pasting the IdP's metadata (the SP entity ID and ACS URL to give the IdP are shown; a bad
 * certificate is refused with words), and "Sign in with …" on the sign-in page goes through the
 * IdP's auto-posting form to the ACS and lands the person on the desk; a person the IdP names
 * with markup in their name is created with that name as text; a refusal (another domain) is said
 * on the sign-in page. Axe finds no serious problem on the SAML form. Then the admin turns on
 * signed AuthnRequests and encrypted assertions, the form shows the provider's SP metadata URL
 * (its certificate), and a person signs in through an IdP that requires the signature and
 * encrypts to that certificate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestDesk } from '../helpers/parley.js';
import { startSamlIdp, type TestSamlIdp } from '../contract-servers/saml-idp.js';
import { axeReport, axeSerious, deskInBrowser, signIn, type WatchedPage } from './browser.js';

const LABEL = 'Acme SAML';

let desk: TestDesk;
let idp: TestSamlIdp;
const browserDesk = deskInBrowser((d) => (desk = d));
beforeAll(async () => {
  idp = await startSamlIdp({ clock: { now: () => Date.now() } });
});
afterAll(async () => idp?.close());

const open = (): Promise<WatchedPage> => browserDesk.open({ bypassCSP: true });
const whoIs = (p: Page) => p.evaluate(() => fetch('/api/me').then((r) => (r.ok ? r.json().then((m: any) => ({ email: m.user.email as string, name: m.user.name as string })) : null)));

describe('single sign-on with SAML 2.0', () => {
  it('is added by an admin from the IdP metadata, and its button signs the person in through the IdP', async () => {
    const { page: admin } = await open();
    await signIn(admin, desk.url, 'admin@acme.test');
    await admin.goto(`${desk.url}/admin/channels`);
    await admin.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Single sign-on' }).click();
    await admin.waitForURL(/\/admin\/sso$/);
    expect(await admin.getByLabel(/^SAML: SP entity ID/).inputValue()).toBe(`${desk.url}/api/auth/sso/saml/metadata`);
    expect(await admin.getByLabel(/^SAML: ACS URL/).inputValue()).toBe(`${desk.url}/api/auth/sso/saml/acs`);

    await admin.getByRole('button', { name: 'Add…' }).click();
    const form = admin.getByRole('form', { name: 'Add a single sign-on provider' });
    await form.getByLabel('Name on the sign-in button').fill(LABEL);
    await form.getByLabel('SAML 2.0').check();
    // a certificate that is not one: said in words, nothing saved
    await form.getByLabel('IdP entity ID (Issuer)').fill(idp.entityId);
    await form.getByLabel('IdP single sign-on URL').fill(idp.ssoUrl);
    await form.getByLabel(/^IdP signing certificate/).fill('-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----');
    await form.getByRole('button', { name: 'Add provider' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/certificate/);
    // the metadata fills what the fields leave out
    await form.getByLabel('IdP entity ID (Issuer)').fill('');
    await form.getByLabel('IdP single sign-on URL').fill('');
    await form.getByLabel(/^IdP signing certificate/).fill('');
    await form.getByLabel(/^IdP metadata XML/).fill(idp.metadata());
    const serious = await axeSerious(admin);
    expect(serious, `the SAML form:\n${axeReport(serious)}`).toEqual([]);
    await form.getByLabel('Allowed email domains').fill('acme.test');
    await form.getByLabel('New people who sign in with it').selectOption('agent');
    await form.getByLabel('Display name attribute (optional)').fill('displayName');
    await form.getByRole('button', { name: 'Add provider' }).click();
    const row = admin.locator('tr', { hasText: LABEL });
    await row.waitFor();
    expect(await row.textContent()).toContain('SAML 2.0 · 1 signing certificate');
    expect(await row.textContent()).toContain(idp.entityId);

    // someone new, named with markup: created, signed in, the name kept as text
    const odd = '<img src=x onerror="window.__pwned=1"> Zoë \u202Eevil\u202C';
    idp.signInAs({ nameId: 'saml-e2e-1', attributes: { email: 'newcomer@acme.test', displayName: odd } });
    const { page } = await open();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(`${desk.url}/login`);
    await page.getByRole('link', { name: `Sign in with ${LABEL}`, exact: true }).click();
    await page.locator('.list-pane').waitFor({ timeout: 15_000 });
    expect(await whoIs(page)).toEqual({ email: 'newcomer@acme.test', name: odd });
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toBe(0);

    // another domain: refused, said on the sign-in page
    idp.signInAs({ nameId: 'saml-e2e-2', attributes: { email: 'someone@elsewhere.test' } });
    const { page: stranger } = await open();
    await stranger.goto(`${desk.url}/login`);
    await stranger.getByRole('link', { name: `Sign in with ${LABEL}`, exact: true }).click();
    await stranger.waitForURL(/\/login\?sso_error=domain/, { timeout: 15_000 });
    await expect.poll(() => stranger.locator('body').textContent()).toMatch(/domain/i);
    expect(await whoIs(stranger)).toBeNull();

    // signed requests and encrypted assertions, from the provider's own form
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = admin.getByRole('form', { name: `Edit ${LABEL}` });
    const metadataUrl = await edit.getByLabel(/SP metadata URL/).inputValue();
    expect(metadataUrl).toMatch(new RegExp(`^${desk.url}/api/auth/sso/saml/\\d+/metadata$`));
    await edit.getByLabel('Sign authentication requests').check();
    await edit.getByLabel('Require encrypted assertions').check();
    const editSerious = await axeSerious(admin);
    expect(editSerious, `the SAML edit form:\n${axeReport(editSerious)}`).toEqual([]);
    await edit.getByRole('button', { name: `Save ${LABEL}` }).click();
    await edit.waitFor({ state: 'detached' });
    const meta = await (await fetch(metadataUrl)).text();
    expect(meta).toContain('AuthnRequestsSigned="true"');
    const b64 = /<KeyDescriptor use="encryption">[\s\S]*?<ds:X509Certificate>([^<]+)</.exec(meta)![1]!.replace(/\s+/g, '');
    const spCert = `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    idp.requireSignedRequests = spCert;
    idp.signInAs({ nameId: 'saml-e2e-1', attributes: { email: 'newcomer@acme.test' } }, { encryptTo: spCert });
    const { page: again } = await open();
    await again.goto(`${desk.url}/login`);
    await again.getByRole('link', { name: `Sign in with ${LABEL}`, exact: true }).click();
    await again.locator('.list-pane').waitFor({ timeout: 15_000 });
    expect(idp.lastRequest).toMatchObject({ signed: true, refused: null });
    expect((await whoIs(again))?.email).toBe('newcomer@acme.test');

    // single logout (the SLO URL came with the IdP's metadata): signing out of Parley signs out
    // at the IdP too, and the sign-in page says where it ended
    idp.sp.cert = spCert;
    idp.sp.sloUrl = `${desk.url}/api/auth/sso/saml/slo`;
    await again.getByRole('button', { name: 'Sign out' }).click();
    await again.waitForURL(/\/login\?saml_logout=done/, { timeout: 15_000 });
    await expect.poll(() => again.getByTestId('saml-logout').textContent()).toContain('signed out of Parley and of your identity provider');
    expect(idp.logoutRequests.at(-1)).toMatchObject({ nameId: 'saml-e2e-1', refused: null });
    expect(await whoIs(again)).toBeNull();
  });
});
