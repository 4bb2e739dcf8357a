/**
 * Passkeys in a real browser, with Chromium's virtual authenticator (CDP WebAuthn domain: a
 * platform authenticator that keeps discoverable credentials and verifies the user): an agent adds
 * a passkey from their account menu (a wrong password refused in words), signs out, and signs in
 * with "Use a passkey" without typing an address; the dialog shows when it was last used;
 * removed, it signs in no more (said in words). Axe finds nothing serious on the dialog or the
 * sign-in page. WebAuthn needs a host name as RP ID (not an IP address): the desk is opened at
 * localhost, whose address is the server's own, so the desk (no public URL set) is its own
 * relying party there.
 */
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { PASSWORD, type TestDesk } from '../helpers/parley.js';
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
});
