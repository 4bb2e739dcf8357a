/**
 * QA (session 37), the conversation pane:
 * - a conversation that cannot be loaded (a stale link: /inbox/all?c=999999) said "could not be
 *   loaded" yet sent presence heartbeats for it, each a 404 and a console error;
 * - on a phone, Esc with "Customer & activity" open closed the whole conversation instead of
 *   going back to the thread;
 * - the playbook panel showed a raw "({{hours}})" in the general playbook's step
 *   (src/core/playbooks.test.ts checks every default playbook).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
});

describe('QA s37: the conversation pane', () => {
  it('a conversation that cannot be loaded says so and sends no presence for it', async () => {
    for (const width of [1280, 390]) {
      const w = await open({ viewport: { width, height: 844 } });
      const { page } = w;
      // where each console error comes from (a refused request names its address there)
      const errorsFrom: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errorsFrom.push(m.location().url ?? '');
      });
      await signIn(page, desk.url, 'ana@acme.test');
      await page.goto(`${desk.url}/inbox/all?c=999999`);
      await page.getByText(/This conversation could not be loaded/).waitFor({ timeout: 10_000 });
      // a heartbeat would have gone at once; give a late one the time to show
      await page.waitForTimeout(1_000);
      expect(w.requests.filter((u) => u.includes('/presence'))).toEqual([]);
      // the only refusal is the conversation itself (its 404 is what the message reports)
      expect(errorsFrom.filter((u) => !u.endsWith('/api/conversations/999999'))).toEqual([]);
      expect(w.errors).toEqual([]);
      await page.getByRole('button', { name: 'Back to the list' }).last().click();
      await page.waitForURL((u) => !u.searchParams.has('c'));
      await w.close();
    }
  });

  /** A conversation of its own, opened at phone width with "Customer & activity" open. */
  const openAside = async (handle: string) => {
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare hello there', author: { networkUserId: handle, handle, displayName: null, followers: 5 } })] });
    const id = r.json.outcomes[0].conversationId as number;
    const w = await open({ viewport: { width: 390, height: 844 } });
    const { page } = w;
    await signIn(page, desk.url, 'ana@acme.test');
    await openConversationAt(page, desk.url, id);
    const toggle = page.locator('.conversation .aside-toggle');
    const aside = page.locator('.conv-aside');
    const thread = page.locator('.conv-main');
    await toggle.click();
    await aside.waitFor({ state: 'visible' });
    expect(await thread.isVisible()).toBe(false);
    return { id, w, page, toggle, aside, thread };
  };

  it('the playbook panel reads as plain words, no template placeholder', async () => {
    const { w, page } = await openAside('s37_playbook');
    const guidance = page.locator('.guidance');
    await eventually(async () => !/Loading/.test((await guidance.textContent()) ?? ''), 'playbooks loaded');
    const guidanceText = (await guidance.textContent()) ?? '';
    expect(guidanceText).toContain('General');
    expect(guidanceText).not.toMatch(/\{\{|\}\}/);
    expect(w.consoleErrors).toEqual([]);
  });

  it('on a phone, Esc goes back from "Customer & activity" to the thread, then closes the conversation', async () => {
    const { id, w, page, toggle, aside, thread } = await openAside('s37_aside');

    // a dialog open owns Esc: it closes, the aside stays
    await page.keyboard.press('a');
    await page.locator('dialog[open]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    expect(await aside.isVisible()).toBe(true);
    expect(new URL(page.url()).searchParams.get('c')).toBe(String(id));

    // Esc: back to the thread, the conversation stays open, focus on the toggle
    await page.keyboard.press('Escape');
    await thread.waitFor({ state: 'visible', timeout: 5_000 });
    expect(await aside.isVisible()).toBe(false);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('aside-toggle'))).toBe(true);
    expect(new URL(page.url()).searchParams.get('c')).toBe(String(id));

    // typing in a field: Esc leaves the field, the aside stays open
    await toggle.click();
    await aside.waitFor({ state: 'visible' });
    await page.getByLabel('Add a label').focus();
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => document.activeElement?.id)).not.toBe('add-label');
    expect(await aside.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await thread.waitFor({ state: 'visible', timeout: 5_000 });

    // Esc again: the conversation closes, as before
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => !u.searchParams.has('c'));
    expect(w.errors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
  });
});
