/**
 * Listening exclusions in the admin UI, at phone width: the edit form of a connected account has
 * an "Exclusion keywords" field that says in plain words what it does, shows the server's
 * objection to a bad term beside it (nothing saved), saves exclusions typed in X's search syntax
 * (-pie, -"apple juice") as plain terms, and the account's card then lists what listening leaves
 * out. Nothing spills sideways.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));
const PHONE = { viewport: { width: 390, height: 844 } };
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('listening exclusions in the admin UI (phone width)', () => {
  it('edits exclusion keywords: explained, refused inline, saved as plain terms and listed on the card', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const seeded = await admin.req('PATCH', `/api/channel-accounts/${desk.accountId}`, { settings: { keywords: ['apple'] } });
    expect(seeded.status, JSON.stringify(seeded.json)).toBe(200);
    const settingsNow = async () => (await admin.get(`/api/channel-accounts/${desk.accountId}`)).json.settings as Record<string, unknown>;

    const w = await open(PHONE);
    await signIn(w.page, desk.url, 'admin@acme.test');
    await w.page.goto(`${desk.url}/admin/channels`);
    const card = w.page.locator(`li.channel-card[data-account-id="${desk.accountId}"]`);
    await card.waitFor();
    if (!(await card.getByRole('button', { name: 'Edit…' }).isVisible())) await card.getByRole('button', { name: /Show details/ }).click();
    await card.getByRole('button', { name: 'Edit…' }).click();
    const form = card.getByRole('form', { name: 'Edit @AcmeCare' });
    const exclusions = form.getByLabel('Exclusion keywords');
    await exclusions.waitFor();
    expect(await exclusions.inputValue()).toBe('');
    // what it does, in plain words, tied to the field
    const hintId = (await exclusions.getAttribute('aria-describedby'))!.split(' ')[0]!;
    expect(await w.page.locator(`[id="${hintId}"]`).textContent()).toContain('Mentions containing these words are not collected unless they tag @AcmeCare');

    // a pattern is refused beside the field, and nothing is saved
    await exclusions.fill('pie\njuic*');
    await form.getByRole('button', { name: 'Save changes' }).click();
    const error = form.locator('.field-error').filter({ hasText: /"juic\*" looks like a pattern/ });
    await error.waitFor({ timeout: 10_000 });
    expect(await exclusions.getAttribute('aria-invalid')).toBe('true');
    expect((await settingsNow()).excludeKeywords).toBeUndefined();
    expect(await sideways(w.page)).toBeLessThanOrEqual(0);

    // typed as X's search syntax: stored as plain terms
    await exclusions.fill('-pie\n-"apple juice"');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached', timeout: 10_000 });
    expect((await settingsNow()).excludeKeywords).toEqual(['pie', 'apple juice']);
    expect((await settingsNow()).keywords).toEqual(['apple']);

    // the card lists what listening leaves out; reopened, the form shows it one per line
    const leaving = card.locator('dt', { hasText: 'Leaving out' }).locator('xpath=following-sibling::dd');
    await expect.poll(() => leaving.textContent()).toBe('pie, apple juice');
    await card.getByRole('button', { name: 'Edit…' }).click();
    expect(await card.getByRole('form', { name: 'Edit @AcmeCare' }).getByLabel('Exclusion keywords').inputValue()).toBe('pie\napple juice');
    expect(await sideways(w.page)).toBeLessThanOrEqual(0);
    await card.getByRole('button', { name: 'Cancel' }).click();
    expect(w.errors).toEqual([]);
  });
});
