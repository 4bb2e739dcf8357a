/**
 * Password reset by an admin's one-time link, in a real browser: the admin makes a link in
 * People (asked first; not on their own row), copies it from the dialog; the agent opens it in
 * a browser of their own, sees whose it is, is refused a too-short password and two different
 * ones, sets a good one and lands on the sign-in page, which says so; the old password no longer
 * signs in and the new one does, their other session is over; the link works once, and a link
 * that is not (any more) valid says to ask an admin. Axe finds no serious problem on the pages
 * and the dialog.
 */
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { PASSWORD, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, deskInBrowser, eventually, openPage, signIn, type WatchedPage } from './browser.js';

const NEW_PASSWORD = 'violet lantern orchard';

let desk: TestDesk;
const browserDesk = deskInBrowser((d) => (desk = d));

/** A fresh browser (its own cookies); axe is injected as an inline script, which the server's CSP (rightly) forbids. */
const open = (): Promise<WatchedPage> => browserDesk.open({ bypassCSP: true });

const isFocused = (l: Locator) => l.evaluate((el) => el === (el.ownerDocument as any).activeElement) as Promise<boolean>;

async function expectNoSerious(p: Page, where: string) {
  const v = await axeSerious(p);
  expect(v, `${where}:\n${axeReport(v)}`).toEqual([]);
}

/** As the admin on People: makes a reset link for `name` and returns it as the dialog shows it. */
async function makeLink(a: Page, userId: number, name: string, opts: { axe?: boolean } = {}): Promise<string> {
  const row = a.locator(`tr[data-user-id="${userId}"]`);
  const button = row.getByRole('button', { name: `Reset password… of ${name}` });
  await button.click();
  const dialog = a.getByRole('dialog', { name: `Reset the password of ${name}?` });
  await dialog.waitFor();
  // what it does, before it is done; Enter does not confirm by accident
  await dialog.getByText(/one-time link .* valid for 24 hours/).waitFor();
  await eventually(() => isFocused(dialog.getByRole('button', { name: 'Cancel' })), 'focus on Cancel');
  if (opts.axe) await expectNoSerious(a, 'People, reset password asked');
  await dialog.getByRole('button', { name: 'Make reset link' }).click();
  const shown = a.getByRole('dialog', { name: `Reset link for ${name}` });
  await shown.waitFor();
  const field = shown.getByLabel(`Reset link for ${name}`);
  // focus on the link, ready to copy
  await eventually(() => isFocused(field), 'focus on the link');
  const url = await field.inputValue();
  expect(url).toMatch(new RegExp(`^${desk.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/reset-password#token=[A-Za-z0-9_-]{20,}$`));
  await shown.getByText(/It works once, until/).waitFor();
  await shown.getByText(new RegExp(`Send it to ${name} privately`)).waitFor();
  if (opts.axe) await expectNoSerious(a, 'People, reset link shown');
  return url;
}

async function closeLinkDialog(a: Page, userId: number, name: string) {
  await a.getByRole('dialog', { name: `Reset link for ${name}` }).getByRole('button', { name: 'Done' }).click();
  await a.getByRole('dialog', { name: `Reset link for ${name}` }).waitFor({ state: 'hidden' });
  // focus back on the row's button
  await eventually(() => isFocused(a.locator(`tr[data-user-id="${userId}"]`).getByRole('button', { name: `Reset password… of ${name}` })), 'focus back on Reset password…');
}

/** The page a link that does not work shows. */
async function expectInvalid(p: Page) {
  await p.getByRole('heading', { name: 'This link no longer works' }).waitFor();
  await p.getByText('Ask an admin of your desk for a new link.').waitFor();
  expect(await p.getByLabel('New password', { exact: true }).count()).toBe(0);
}

describe('password reset by an admin’s link', () => {
  it('an admin makes a link in People, the agent sets a new password with it once, and signs in with it', async () => {
    // Ana is signed in elsewhere (her phone): the reset ends that session too
    const phone = await open();
    await signIn(phone.page, desk.url, 'ana@acme.test');

    const admin = await open();
    const a = admin.page;
    await signIn(a, desk.url, 'admin@acme.test');
    await admin.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: desk.url });
    await a.goto(`${desk.url}/admin/people`);
    await a.locator(`tr[data-user-id="${desk.users.ana}"]`).waitFor();
    // not on their own row (they change theirs knowing it)
    expect(await a.locator(`tr[data-user-id="${desk.users.admin}"]`).getByRole('button', { name: /Reset password/ }).count()).toBe(0);
    expect(await a.locator(`tr[data-user-id="${desk.users.ben}"]`).getByRole('button', { name: 'Reset password… of Ben Agent' }).count()).toBe(1);

    // Cancel makes no link
    await a.locator(`tr[data-user-id="${desk.users.ana}"]`).getByRole('button', { name: 'Reset password… of Ana Agent' }).click();
    await a.getByRole('dialog', { name: 'Reset the password of Ana Agent?' }).getByRole('button', { name: 'Cancel' }).click();
    await a.getByRole('dialog', { name: 'Reset the password of Ana Agent?' }).waitFor({ state: 'hidden' });
    expect(admin.requests.filter((u) => u.includes('/password-reset'))).toEqual([]);

    const url = await makeLink(a, desk.users.ana, 'Ana Agent', { axe: true });
    // Copy puts it on the clipboard, and says so
    const shown = a.getByRole('dialog', { name: 'Reset link for Ana Agent' });
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await a.evaluate('navigator.clipboard.readText()')).toBe(url);
    await closeLinkDialog(a, desk.users.ana, 'Ana Agent');
    // her password is unchanged until she uses it: her other session is still on
    await phone.page.reload();
    await phone.page.locator('.list-pane').waitFor();

    // Ana, in a browser of her own
    const agent = await open();
    const p = agent.page;
    await p.goto(url);
    await p.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(await p.getByTestId('reset-who').textContent()).toBe('Choose a new password for Ana Agent (ana@acme.test).');
    expect(p.url()).toContain('/reset-password');
    const next = p.getByLabel('New password', { exact: true });
    const repeat = p.getByLabel('Repeat the new password');
    await eventually(() => isFocused(next), 'focus on the new password');
    await expectNoSerious(p, 'reset page');

    // too short: refused, said, tied to the field, focus on it
    await next.fill('short 1');
    await repeat.fill('short 1');
    await p.getByRole('button', { name: 'Set the new password' }).click();
    const alert = p.getByRole('alert').filter({ hasText: 'A password needs at least 8 characters other than spaces.' });
    await alert.waitFor();
    expect(await next.getAttribute('aria-invalid')).toBe('true');
    expect((await next.getAttribute('aria-describedby'))?.split(' ')).toContain(await alert.getAttribute('id'));
    await eventually(() => isFocused(next), 'focus back on the new password');
    await expectNoSerious(p, 'reset page, too short');

    // two different ones: on the repeat
    await next.fill(NEW_PASSWORD);
    await repeat.fill(`${NEW_PASSWORD}!`);
    await p.getByRole('button', { name: 'Set the new password' }).click();
    await p.getByRole('alert').filter({ hasText: 'The two passwords differ' }).waitFor();
    expect(await repeat.getAttribute('aria-invalid')).toBe('true');
    expect(await next.getAttribute('aria-invalid')).toBeNull();
    await eventually(() => isFocused(repeat), 'focus on the repeated password');
    expect(p.url()).toContain('/reset-password');

    // a good one: set, and on to sign in
    await repeat.fill(NEW_PASSWORD);
    await p.getByRole('button', { name: 'Set the new password' }).click();
    await p.waitForURL(/\/login\?reset=done$/);
    await p.getByTestId('password-changed').filter({ hasText: 'Your password was changed' }).waitFor();
    await p.getByText('Forgot your password? Ask an admin of your desk for a reset link.').waitFor();
    await expectNoSerious(p, 'sign-in after a reset');

    // the old password no longer signs in
    await p.getByLabel('Email').fill('ana@acme.test');
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    expect(p.url()).toContain('/login');
    // the new one does
    await p.getByLabel('Password').fill(NEW_PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.locator('.list-pane').waitFor({ timeout: 15_000 });

    // her other session was signed out
    await phone.page.reload();
    await phone.page.waitForURL(/\/login/);
    await phone.page.getByLabel('Email').waitFor();

    // the link works once: opened again (here signed in, and in a fresh browser) it says so
    await p.goto(url);
    await expectInvalid(p);
    const again = await open();
    await again.page.goto(url);
    await expectInvalid(again.page);
    await expectNoSerious(again.page, 'reset page, link used');

    expect([...phone.errors, ...admin.errors, ...agent.errors, ...again.errors]).toEqual([]);
  });

  it('says to ask an admin for a link that is unknown, missing or voided by a newer one; works where someone else is signed in', async () => {
    const w = await open();
    const p = w.page;
    await p.goto(`${desk.url}/reset-password#token=not-a-token-parley-made`);
    await expectInvalid(p);
    await p.getByRole('link', { name: 'Go to sign-in' }).click();
    await p.waitForURL(/\/login$/);
    await p.goto(`${desk.url}/reset-password`);
    await expectInvalid(p);
    await expectNoSerious(p, 'reset page, no token');

    // a new link voids the one before, even with its page open
    const admin = await open();
    const a = admin.page;
    await signIn(a, desk.url, 'admin@acme.test');
    await a.goto(`${desk.url}/admin/people`);
    const first = await makeLink(a, desk.users.ben, 'Ben Agent');
    await closeLinkDialog(a, desk.users.ben, 'Ben Agent');
    await p.goto(first);
    await p.getByTestId('reset-who').filter({ hasText: 'Ben Agent (ben@acme.test)' }).waitFor();
    const second = await makeLink(a, desk.users.ben, 'Ben Agent');
    await closeLinkDialog(a, desk.users.ben, 'Ben Agent');
    expect(second).not.toBe(first);
    await p.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await p.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await p.getByRole('button', { name: 'Set the new password' }).click();
    await expectInvalid(p);
    // the page changed under them: focus is on what it says now
    await eventually(() => isFocused(p.getByRole('heading', { name: 'This link no longer works' })), 'focus on the heading');
    // the newer link, pasted into the same tab, works
    await p.goto(second);
    await p.getByTestId('reset-who').filter({ hasText: 'Ben Agent (ben@acme.test)' }).waitFor();

    // opened where someone else is signed in (the admin trying it): set, and said so there
    await a.goto(second);
    await a.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await a.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await a.getByRole('button', { name: 'Set the new password' }).click();
    await a.getByRole('status').filter({ hasText: 'The password of ben@acme.test was changed. This browser is signed in as admin@acme.test' }).waitFor();
    const ben = await open();
    await signIn(ben.page, desk.url, 'ben@acme.test', NEW_PASSWORD);
    expect([...w.errors, ...admin.errors, ...ben.errors]).toEqual([]);
  });
});
