/**
 * An expert's correction reaches the agent who asked while they have the conversation open: two
 * browsers, the agent's on the conversation (1280 px wide) and the expert's on their questions page
 * (phone width). The expert corrects the answer; without a reload the agent's card shows the new
 * text marked "corrected", the internal note in the thread reads the new text, and "Earlier
 * versions" lists the first answer with who wrote it. The expert's page lists it too.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client, mention, PASSWORD, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));
const DESK = { viewport: { width: 1280, height: 900 } };
const PHONE = { viewport: { width: 390, height: 844 } };
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('an expert corrects an answer while the asker has the conversation open', () => {
  it('the asker sees the corrected answer without a reload, and the earlier version in the list', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const eli = await Client.signIn(desk.url, 'eli@acme.test');
    const c = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare does the warranty cover the battery?' })] })).json.outcomes[0].conversationId as number;
    const id = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Is the BL-200 battery under warranty?' })).json.id as number;
    const first = 'The battery is covered for six months.';
    const second = 'The battery is covered for two years, like the rest of the BL-200.';
    expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: first })).status).toBe(200);

    // the agent who asked, on the conversation
    const a = await open(DESK);
    await signIn(a.page, desk.url, 'ana@acme.test');
    await openConversationAt(a.page, desk.url, c);
    const note = a.page.locator('article.note').filter({ hasText: 'battery' });
    await expect.poll(() => note.textContent()).toContain(first);
    // beside the list, the conversation is narrow: the card is with the customer's details
    await a.page.getByRole('button', { name: 'Customer & activity' }).click();
    const item = a.page.locator(`.experts-card .expert-item[data-request-id="${id}"]`);
    const answer = item.locator('.expert-answer-text');
    await expect.poll(() => answer.textContent()).toContain(first);
    expect(await item.locator('.expert-edited').count()).toBe(0);
    expect(await item.locator('.expert-earlier').count()).toBe(0);
    // a mark on the page: a reload would drop it
    await a.page.evaluate(() => ((window as unknown as { __stayed: boolean }).__stayed = true));

    // the expert, on their phone, corrects it
    const e = await open(PHONE);
    // an expert lands on their questions, not the inbox
    await e.page.goto(`${desk.url}/login`);
    await e.page.getByLabel('Email').fill('eli@acme.test');
    await e.page.getByLabel('Password').fill(PASSWORD);
    await e.page.getByRole('button', { name: 'Sign in' }).click();
    await e.page.waitForURL(/\/expert/);
    await e.page.goto(`${desk.url}/expert?r=${id}`);
    await e.page.getByRole('button', { name: 'Correct the answer' }).click();
    await e.page.getByLabel(/Corrected answer/).fill(second);
    await e.page.getByRole('button', { name: 'Save the correction' }).click();
    await expect.poll(() => e.page.getByLabel('The answer').textContent()).toContain(second);

    // the agent's open conversation follows, live: the card and the note in the thread
    await expect.poll(() => answer.textContent(), { timeout: 10_000 }).toContain(second);
    expect(await answer.textContent()).not.toContain(first);
    expect(await item.locator('.expert-edited').textContent()).toBe('corrected');
    await a.page.getByRole('button', { name: 'Show thread' }).click();
    await note.waitFor();
    await expect.poll(() => note.textContent(), { timeout: 10_000 }).toContain(second);
    await a.page.getByRole('button', { name: 'Customer & activity' }).click();
    // no reload of the page
    expect(await a.page.evaluate(() => (window as unknown as { __stayed?: boolean }).__stayed)).toBe(true);

    // the earlier version, behind its disclosure
    const earlier = item.locator('.expert-earlier');
    await earlier.locator('summary').click();
    const listed = earlier.locator('li[data-version="1"]');
    await expect.poll(() => listed.textContent()).toContain(first);
    expect(await listed.textContent()).toContain('First answer by Eli Expert');
    expect(await earlier.locator('li').count()).toBe(1);

    // the expert's page lists it too
    const mine = e.page.locator('.expert-earlier');
    await mine.locator('summary').click();
    await expect.poll(() => mine.locator('li[data-version="1"]').textContent()).toContain(first);
    expect(await e.page.locator('.expert-answered .expert-edited').textContent()).toBe('corrected');
    expect(await sideways(e.page)).toBeLessThanOrEqual(0);
    expect(await sideways(a.page)).toBeLessThanOrEqual(0);
    // (the expert's page does not ask for the people list, which experts may not read: no 403 either)
    expect([...a.errors, ...a.consoleErrors, ...e.errors, ...e.consoleErrors]).toEqual([]);
  });
});
