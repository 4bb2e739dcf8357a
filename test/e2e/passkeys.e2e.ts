/**
 * Passkeys in a real browser, with Chromium's virtual authenticator (CDP WebAuthn domain: a
 * platform authenticator that keeps discoverable credentials and verifies the user): an agent adds
 * a passkey from their account menu (a wrong password refused in words), signs out, and signs in
 * with "Use a passkey" without typing an address; the dialog shows when it was last used;
 * removed, it signs in no more (said in words). A passkey is renamed in the dialog (shown as text,
 * audited). Someone whose brand requires two-factor sign-in adds a passkey on the set-up screen
 * instead of an authenticator app: the window they added it in stays held (the server decides), and
 * signing in with it there opens the desk. Axe finds nothing serious on the dialog, the set-up
 * screen or the sign-in page. WebAuthn needs a host name as RP ID (not an IP address): the desk is opened at
 * localhost, whose address is the server's own, so the desk (no public URL set) is its own
 * relying party there.
 */
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { Client, PASSWORD, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, deskInBrowser, signIn } from './browser.js';

let desk: TestDesk;
const { pages, open } = deskInBrowser((d) => (desk = d));
/** The desk at localhost (a valid RP ID, and a secure context over http). */
const base = () => desk.url.replace('127.0.0.1', 'localhost');

async function openPasskeys(p: Page): Promise<Locator> {
  await p.getByRole('button', { name: /Your account/ }).click();
  await p.getByRole('button', { name: 'Passkeys…' }).click();
  const dialog = p.getByRole('dialog', { name: 'Passkeys' });
  await dialog.waitFor();
  return dialog;
}

/** A page with Chromium's virtual authenticator (user verifying, keeps discoverable credentials). */
async function withAuthenticator(p: Page) {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

async function signOut(p: Page): Promise<void> {
  await p.getByRole('button', { name: 'Sign out' }).click();
  await p.waitForURL(/\/login/);
}

async function expectAxeClean(p: Page, where: string): Promise<void> {
  const v = await axeSerious(p);
  expect(v, `${where}:\n${axeReport(v)}`).toEqual([]);
}

describe('passkeys', () => {
  it('are added from the account menu, sign in without an address, and once removed sign in no more', async () => {
    const w = await open({ bypassCSP: true });
    const p = w.page;
    const cdp = await p.context().newCDPSession(p);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await signIn(p, base(), 'ana@acme.test');
    let dialog = await openPasskeys(p);
    await dialog.getByText('You have no passkeys yet.').waitFor();
    await expectAxeClean(p, 'the passkeys dialog');

    // a wrong password is refused, in words, and nothing is made
    await dialog.getByLabel('Name').fill('Work laptop');
    await dialog.getByLabel('Current password').fill('not my password');
    await dialog.getByRole('button', { name: 'Add passkey' }).click();
    await dialog.locator('[role="alert"][data-code="auth.wrong_password"]').filter({ hasText: 'The password is not right' }).waitFor();
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(0);

    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Add passkey' }).click();
    const row = dialog.getByTestId('passkey-row').filter({ hasText: 'Work laptop' });
    await row.waitFor();
    await row.getByText('never used').waitFor();
    const held = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    expect(held).toHaveLength(1);
    expect(held[0]!.isResidentCredential).toBe(true);
    expect(held[0]!.rpId).toBe('localhost');
    await expectAxeClean(p, 'the passkeys dialog with a passkey');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // signed out, back in with the passkey alone
    await signOut(p);
    await expectAxeClean(p, 'the sign-in page');
    await p.getByRole('button', { name: 'Use a passkey' }).click();
    await p.locator('.list-pane').waitFor({ timeout: 15_000 });
    await p.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
    const login = await desk.db.store.db.selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'auth.login').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(login.actor).toBe(`user:${desk.users.ana}`);
    expect(JSON.parse(login.data!)).toMatchObject({ method: 'passkey' });

    // the dialog says when it was last used; removing it asks the password
    dialog = await openPasskeys(p);
    await dialog.getByTestId('passkey-row').filter({ hasText: 'Work laptop' }).getByText(/last used/).waitFor();
    await dialog.getByRole('button', { name: 'Remove Work laptop' }).click();
    const confirm = dialog.getByRole('form', { name: 'Remove Work laptop' });
    await confirm.getByLabel('Current password').fill(PASSWORD);
    await expectAxeClean(p, 'the removal form');
    await confirm.getByRole('button', { name: 'Remove passkey' }).click();
    await dialog.getByText('You have no passkeys yet.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // the authenticator still holds it, but the desk no longer takes it (this session was the one removing it: it stays)
    await signOut(p);
    await p.getByRole('button', { name: 'Use a passkey' }).click();
    const refused = p.locator('#passkey-error[role="alert"][data-code="passkey.unknown"]');
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/not registered on this desk/);
    expect(await p.getByRole('button', { name: 'Use a passkey' }).evaluate((el) => el === (el.ownerDocument as any).activeElement)).toBe(true);
    expect(p.url()).toMatch(/\/login/);
    expect(pages.flatMap((x) => x.errors)).toEqual([]);
  });

  it('are renamed in the dialog: the new name shown as text, audited', async () => {
    const w = await open({ bypassCSP: true });
    const p = w.page;
    await withAuthenticator(p);
    await signIn(p, base(), 'ben@acme.test');
    const dialog = await openPasskeys(p);
    await dialog.getByLabel('Name', { exact: true }).fill('Laptop');
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Add passkey' }).click();
    await dialog.getByTestId('passkey-row').filter({ hasText: 'Laptop' }).waitFor();

    await dialog.getByRole('button', { name: 'Rename Laptop' }).click();
    const form = dialog.getByRole('form', { name: 'Rename Laptop' });
    const field = form.getByLabel('New name');
    expect(await field.inputValue()).toBe('Laptop');
    // no more than 60 characters are taken; nothing but blanks is refused by the server, in words
    await field.fill('x'.repeat(70));
    expect(await field.inputValue()).toHaveLength(60);
    await field.fill('   ');
    await form.getByRole('button', { name: 'Save name' }).click();
    await form.locator('[role="alert"][data-code="passkey.invalid_name"]').filter({ hasText: '1 to 60 characters' }).waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await expectAxeClean(p, 'the rename form');
    const hostile = '<img src=x onerror="window.pwned=1"> Ben’s key';
    await field.fill(`  ${hostile}  `);
    await form.getByRole('button', { name: 'Save name' }).click();
    const row = dialog.getByTestId('passkey-row').filter({ hasText: hostile });
    await row.waitFor();
    expect(await row.locator('img').count()).toBe(0);
    expect(await p.evaluate(() => (globalThis as any).pwned)).toBeUndefined();
    await expect(dialog.getByRole('form', { name: /^Rename/ }).count()).resolves.toBe(0);
    const audited = await desk.db.store.db.selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'user.passkey_renamed').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audited.actor).toBe(`user:${desk.users.ben}`);
    expect(JSON.parse(audited.data!)).toMatchObject({ before: 'Laptop', after: hostile });
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(pages.flatMap((x) => x.errors)).toEqual([]);
  });

  it('satisfy a brand\'s two-factor requirement: added on the set-up screen, then signed in with there, the desk opens', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    expect((await admin.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: true } })).status).toBe(200);
    const w = await open({ bypassCSP: true });
    const p = w.page;
    const { cdp, authenticatorId } = await withAuthenticator(p);
    await p.goto(`${base()}/login`);
    await p.getByLabel('Email').fill('cleo@acme.test');
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    const screen = p.getByRole('main').filter({ has: p.getByRole('heading', { name: 'Set up two-factor sign-in', level: 1 }) });
    await screen.waitFor({ timeout: 15_000 });
    const passkey = screen.getByRole('region', { name: 'Or with a passkey' });
    await screen.getByRole('region', { name: 'With an authenticator app' }).waitFor();
    await expectAxeClean(p, 'the set-up screen with its passkey way');

    // a wrong password: said, nothing made
    await passkey.getByLabel('Passkey name').fill('Cleo’s laptop');
    await passkey.getByLabel('Your Parley password').fill('not my password');
    await passkey.getByRole('button', { name: 'Add a passkey' }).click();
    await passkey.locator('[role="alert"][data-code="auth.wrong_password"]').waitFor();
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(0);
    await passkey.getByLabel('Your Parley password').fill(PASSWORD);
    await passkey.getByRole('button', { name: 'Add a passkey' }).click();
    await passkey.getByRole('status').filter({ hasText: 'was added' }).waitFor();
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(1);
    // the server still holds this window (signed in with a password): no desk yet
    expect(await p.evaluate(async () => (await fetch('/api/conversations')).status)).toBe(403);
    await expect(p.locator('.list-pane').count()).resolves.toBe(0);
    await expectAxeClean(p, 'the set-up screen after adding a passkey');

    await passkey.getByRole('button', { name: 'Sign in with your passkey' }).click();
    await p.locator('.list-pane').waitFor({ timeout: 15_000 });
    await p.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
    await expect(screen.count()).resolves.toBe(0);
    expect(await p.evaluate(async () => (await fetch('/api/conversations')).status)).toBe(200);
    const login = await desk.db.store.db.selectFrom('audit_event').select(['actor', 'data']).where('action', '=', 'auth.login').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(login.actor).toBe(`user:${desk.users.approver}`);
    expect(JSON.parse(login.data!)).toMatchObject({ method: 'passkey' });
    expect(pages.flatMap((x) => x.errors)).toEqual([]);
  });
});
