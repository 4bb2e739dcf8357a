/**
 * Two-factor sign-in in a real browser: an agent sets it up from their account menu (the QR
 * code shows, the key is read off the page and the test's authenticator computes the code),
 * gets 10 recovery codes once; signing in then asks for a code, refuses a wrong one and takes
 * the right one, or a recovery code; an admin resets it in People (the agent lost their
 * phone) and the password alone signs the agent in again. The desk runs on a clock the test
 * moves, so each code is for a new 30-s step (a step's code is taken once).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { ManualClock } from '../../src/lib/clock.js';
import { base32Decode, totp, TOTP_PERIOD_S } from '../../src/lib/totp.js';
import { PASSWORD, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, deskInBrowser, eventually, openPage, signIn, type WatchedPage } from './browser.js';

const STEP_MS = TOTP_PERIOD_S * 1000;

let desk: TestDesk;
const clock = new ManualClock(Date.now());
const { pages, open: openWatched } = deskInBrowser((d) => (desk = d), { clock });

async function open(opts: Parameters<typeof openPage>[1] = {}): Promise<Page> {
  return (await openWatched(opts)).page;
}

/** No page of the test threw (the QR code library, a step of the dialog, the sign-in form). */
const expectNoPageErrors = () => expect(pages.flatMap((w) => w.errors)).toEqual([]);

/** What the person's authenticator app shows now (the desk's clock). */
const appCode = (secret: string) => totp(base32Decode(secret), clock.now());
/** A 6-digit code the app shows at no step near now. */
const wrongCode = (secret: string) => {
  const near = new Set([-1, 0, 1].map((d) => totp(base32Decode(secret), clock.now() + d * STEP_MS)));
  for (let n = 0; ; n++) {
    const c = String(123456 + n).padStart(6, '0');
    if (!near.has(c)) return c;
  }
};

const isFocused = (l: Locator) => l.evaluate((el) => el === (el.ownerDocument as any).activeElement) as Promise<boolean>;

async function openTwoFactor(p: Page): Promise<Locator> {
  await p.getByRole('button', { name: /Your account/ }).click();
  await p.getByRole('button', { name: /Two-factor sign-in/ }).click();
  const dialog = p.getByRole('dialog', { name: 'Two-factor sign-in' });
  await dialog.waitFor();
  return dialog;
}

/** Sets up two-factor sign-in from the account menu; returns the key and the recovery codes. */
async function setUp(dialog: Locator): Promise<{ secret: string; codes: string[] }> {
  await dialog.getByLabel('Current password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Set up' }).click();
  await dialog.getByRole('heading', { name: 'Add Parley to your authenticator app' }).waitFor();
  const secret = ((await dialog.getByTestId('two-factor-key').textContent()) ?? '').replace(/\s/g, '');
  await dialog.getByLabel('Authentication code').fill(appCode(secret));
  await dialog.getByRole('button', { name: 'Turn on' }).click();
  await dialog.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
  const codes = (await dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents()).map((c) => c.trim());
  return { secret, codes };
}

async function signOut(p: Page): Promise<void> {
  await p.getByRole('button', { name: 'Sign out' }).click();
  await p.waitForURL(/\/login/);
}

/** Email and password on the sign-in page, and the answer: asked for a code (the field shows) or in. */
async function signInAskedForCode(p: Page, email: string): Promise<Locator> {
  await p.goto(`${desk.url}/login`);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
  const code = p.getByLabel('Authentication code');
  await code.waitFor();
  return code;
}

describe('two-factor sign-in', () => {
  it('is set up from the account menu, asks for the code at sign-in, refuses a wrong one, takes the right one or a recovery code, and an admin resets it', async () => {
    const p = await open();
    await signIn(p, desk.url, 'ana@acme.test');
    let dialog = await openTwoFactor(p);
    await expect(dialog.getByText(/Two-factor sign-in is off/).count()).resolves.toBe(1);

    // a wrong password is refused, in words, on the password
    await dialog.getByLabel('Current password').fill('not my password');
    await dialog.getByRole('button', { name: 'Set up' }).click();
    await dialog.locator('[role="alert"][data-code="auth.wrong_password"]').filter({ hasText: 'The password is not right' }).waitFor();
    expect(await dialog.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');

    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Set up' }).click();
    const scanHeading = dialog.getByRole('heading', { name: 'Add Parley to your authenticator app' });
    await scanHeading.waitFor();
    await eventually(() => isFocused(scanHeading), 'focus on the scan step');
    // the QR code: an image (a data: URL the page's CSP allows) named for screen readers, drawn
    const qr = dialog.getByRole('img', { name: /QR code that adds “Parley: ana@acme.test”/ });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    await eventually(() => qr.evaluate((img: any) => img.complete && img.naturalWidth > 0), 'the QR code drawn');
    // the key, in groups of four, to type into an app that cannot scan
    const shown = (await dialog.getByTestId('two-factor-key').textContent()) ?? '';
    expect(shown).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    const secret = shown.replace(/\s/g, '');
    expect(secret).toHaveLength(32);

    // a wrong code does not turn it on
    await dialog.getByLabel('Authentication code').fill(wrongCode(secret));
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    await dialog.locator('[role="alert"][data-code="two_factor.wrong_code"]').filter({ hasText: 'That code is not right' }).waitFor();
    expect(await dialog.getByLabel('Authentication code').getAttribute('aria-invalid')).toBe('true');

    await dialog.getByLabel('Authentication code').fill(appCode(secret));
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    await dialog.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    await dialog.getByText('Two-factor sign-in is on.').waitFor();
    const codes = (await dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
    expect(new Set(codes).size).toBe(10);
    // downloaded as a text file with every code
    const [download] = await Promise.all([p.waitForEvent('download'), dialog.getByRole('button', { name: 'Download .txt' }).click()]);
    expect(download.suggestedFilename()).toBe('parley-recovery-codes.txt');
    const file = await readFile((await download.path())!, 'utf8');
    for (const c of codes) expect(file).toContain(c);
    expect(file).toContain('ana@acme.test');
    await dialog.getByRole('button', { name: 'I have saved them' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // the menu says it is on, and so does the dialog opened again
    dialog = await openTwoFactor(p);
    await dialog.getByText(/Two-factor sign-in is on/).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await signOut(p);

    // signing in: asked for the code, with the keyboard for it, and focus on it
    clock.advance(STEP_MS);
    const code = await signInAskedForCode(p, 'ana@acme.test');
    expect(p.url()).toContain('/login');
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await code.getAttribute('inputmode')).toBe('numeric');
    await eventually(() => isFocused(code), 'focus on the code field');
    // the email and the password are still there, sent again with the code
    expect(await p.getByLabel('Email').inputValue()).toBe('ana@acme.test');
    expect(await p.getByLabel('Password').inputValue()).toBe(PASSWORD);

    // a wrong code: said, tied to the field, and not in
    await code.fill(wrongCode(secret));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    expect(await code.getAttribute('aria-invalid')).toBe('true');
    expect((await code.getAttribute('aria-describedby'))?.split(' ')).toContain('login-error');
    await eventually(() => isFocused(code), 'focus back on the code field');
    expect(p.url()).toContain('/login');

    // the right one: in
    await code.fill(appCode(secret));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.locator('.list-pane').waitFor({ timeout: 15_000 });
    await signOut(p);

    // a recovery code (letters and a dash) signs in too, once
    const recovery = await signInAskedForCode(p, 'ana@acme.test');
    await recovery.fill(codes[3]!);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.locator('.list-pane').waitFor({ timeout: 15_000 });
    await signOut(p);
    const again = await signInAskedForCode(p, 'ana@acme.test');
    await again.fill(codes[3]!);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();

    // she lost her phone: an admin resets it in People
    const a = await open();
    await signIn(a, desk.url, 'admin@acme.test');
    await a.goto(`${desk.url}/admin/people`);
    const anaRow = a.locator(`tr[data-user-id="${desk.users.ana}"]`);
    await anaRow.locator('[data-two-factor="on"]').waitFor();
    expect(await a.locator(`tr[data-user-id="${desk.users.ben}"] [data-two-factor="off"]`).count()).toBe(1);
    // nobody resets their own here
    expect(
      await a
        .locator(`tr[data-user-id="${desk.users.admin}"]`)
        .getByRole('button', { name: /Reset two-factor/ })
        .count(),
    ).toBe(0);
    await anaRow.getByRole('button', { name: 'Reset two-factor of Ana Agent' }).click();
    const confirm = a.getByRole('dialog', { name: 'Reset two-factor sign-in of Ana Agent?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Reset two-factor' }).click();
    await anaRow.locator('[data-two-factor="off"]').waitFor();
    expect(await anaRow.getByRole('button', { name: /Reset two-factor/ }).count()).toBe(0);
    // focus is not lost with the button: it is on the row's Edit
    await eventually(() => isFocused(anaRow.getByRole('button', { name: 'Edit Ana Agent' })), 'focus on Edit Ana Agent');

    // and her password alone signs her in
    await signIn(p, desk.url, 'ana@acme.test');
    await expect(p.getByLabel('Authentication code').count()).resolves.toBe(0);
    expectNoPageErrors();
  });

  it('turns it off and makes new recovery codes with the password and a code', async () => {
    const p = await open();
    await signIn(p, desk.url, 'ben@acme.test');
    let dialog = await openTwoFactor(p);
    clock.advance(STEP_MS);
    const { secret, codes } = await setUp(dialog);
    await dialog.getByRole('button', { name: 'I have saved them' }).click();

    // new recovery codes: the old ones stop working
    dialog = await openTwoFactor(p);
    await dialog.getByRole('button', { name: 'New recovery codes…' }).click();
    await eventually(() => isFocused(dialog.getByLabel('Current password')), 'focus on the password');
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByLabel('Authentication code').fill(wrongCode(secret));
    await dialog.getByRole('button', { name: 'Make new codes' }).click();
    await dialog.locator('[role="alert"][data-code="two_factor.wrong_code"]').waitFor();
    clock.advance(STEP_MS);
    await dialog.getByLabel('Authentication code').fill(appCode(secret));
    await dialog.getByRole('button', { name: 'Make new codes' }).click();
    await dialog.getByText('New recovery codes: the old ones no longer work.').waitFor();
    const fresh = (await dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents()).map((c) => c.trim());
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => codes.includes(c))).toEqual([]);
    await dialog.getByRole('button', { name: 'I have saved them' }).click();

    // turned off with a (new) recovery code: the password alone signs in again
    dialog = await openTwoFactor(p);
    await dialog.getByRole('button', { name: 'Turn off…' }).click();
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByLabel('Authentication code').fill(codes[0]!);
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await dialog.locator('[role="alert"][data-code="two_factor.wrong_code"]').waitFor();
    await dialog.getByLabel('Authentication code').fill(fresh[0]!);
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await dialog.getByText(/Two-factor sign-in is off/).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await signOut(p);
    await signIn(p, desk.url, 'ben@acme.test');
    expectNoPageErrors();
  });

  it('has no serious accessibility problems in the dialog’s steps and the sign-in’s code step', async () => {
    // axe is injected as an inline script, which the server's CSP (rightly) forbids
    const p = await open({ bypassCSP: true });
    const expectNoSerious = async (where: string) => {
      const v = await axeSerious(p);
      expect(v, `${where}:\n${axeReport(v)}`).toEqual([]);
    };
    await signIn(p, desk.url, 'cleo@acme.test');
    let dialog = await openTwoFactor(p);
    await expectNoSerious('two-factor dialog, off');
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Set up' }).click();
    await dialog.getByRole('img', { name: /QR code/ }).waitFor();
    await expectNoSerious('two-factor dialog, scan');
    const secret = ((await dialog.getByTestId('two-factor-key').textContent()) ?? '').replace(/\s/g, '');
    clock.advance(STEP_MS);
    await dialog.getByLabel('Authentication code').fill(appCode(secret));
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    await dialog.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    await expectNoSerious('two-factor dialog, recovery codes');
    await dialog.getByRole('button', { name: 'I have saved them' }).click();
    dialog = await openTwoFactor(p);
    await dialog.getByRole('button', { name: 'Turn off…' }).click();
    await expectNoSerious('two-factor dialog, turning off');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await signOut(p);
    const code = await signInAskedForCode(p, 'cleo@acme.test');
    await expectNoSerious('sign-in, asked for the code');
    await code.fill(wrongCode(secret));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    await expectNoSerious('sign-in, wrong code');
  });
});
