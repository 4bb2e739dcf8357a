/**
 * The "Questions to experts" card shows an answered question's answer where the agent works:
 * the expert's text (rendered as text, long answers folded with "Show all"), who answered and
 * when (with its zone), and "Use in reply", which puts the answer at the end of the agent's
 * reply draft to edit — from an internal note too — and sends nothing. A question cancelled by
 * the conversation's resolution says so.
 */
import { describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

const HOSTILE = '<img src=x onerror="window.__pwned=1"> Yes: online orders carry the same 2-year warranty.';
const LONG = `${HOSTILE}\nSteps for the customer:\n1. Find the order number in the confirmation email.\n2. Reply with it here.\n3. We book the collection.\n4. The courier brings a box.\n5. The repair takes five working days.\nThe last line of a long answer, only shown after Show all.`;

describe('an expert’s answer on the conversation’s card', () => {
  it('shows the answer safely, folded, with who and when; Use in reply fills the draft and sends nothing', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const eli = await Client.signIn(desk.url, 'eli@acme.test');
    const c = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare is my online order covered?' })] })).json.outcomes[0].conversationId as number;
    const id = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Does the warranty cover online orders?' })).json.id as number;
    expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: LONG })).status).toBe(200);

    const w = await open();
    const { page } = w;
    await signIn(page, desk.url, 'ana@acme.test');
    await openConversationAt(page, desk.url, c);
    const item = page.locator(`.experts-card .expert-item[data-request-id="${id}"]`);
    await item.waitFor();
    await expect.poll(() => item.textContent()).toContain('Answered by Eli Expert');
    // when, with its zone (the browser's: Europe/London, GMT in December)
    const when = item.locator('.expert-answer time');
    expect(await when.textContent()).toMatch(/\d{2}:\d{2}:\d{2} (GMT|BST|UTC)/);
    // the old pointer to the thread is gone: the answer is here
    expect(await item.textContent()).not.toContain('see the internal note in the thread');

    // user text rendered as text: no element from it, nothing ran
    const answer = item.locator('.expert-answer-text');
    expect(await answer.getAttribute('aria-label')).toBe('Answer from Eli Expert');
    expect(await answer.textContent()).toContain('<img src=x onerror="window.__pwned=1">');
    expect(await item.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    // folded: the end shows after Show all
    expect(await answer.textContent()).not.toContain('only shown after Show all');
    const showAll = item.getByRole('button', { name: 'Show all' });
    expect(await showAll.getAttribute('aria-expanded')).toBe('false');
    await showAll.click();
    await expect.poll(() => answer.textContent()).toContain('The last line of a long answer, only shown after Show all.');
    expect(await item.getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded')).toBe('true');

    // Use in reply, from an internal note with a draft already in the reply: the reply takes the
    // note's place, the answer after the agent's own start, focused, and nothing is sent
    const box = page.locator('.composer-text');
    await box.fill('Hi Dana,');
    await page.getByRole('button', { name: 'Internal note' }).click();
    await eventually(async () => (await box.inputValue()) === '', 'the note draft');
    await box.fill('a note for later');
    const sentBefore = w.requests.filter((u) => /\/reply|\/messages/.test(u)).length;
    await item.getByRole('button', { name: 'Use in reply' }).click();
    await eventually(async () => (await box.inputValue()) === `Hi Dana,\n\n${LONG}`, 'the answer in the reply draft');
    expect(await page.getByRole('button', { name: 'Internal note' }).getAttribute('aria-pressed')).toBe('false');
    expect(await box.evaluate((el) => document.activeElement === el)).toBe(true);
    // the agent's own words to edit: typing goes on at the end
    await page.keyboard.type(' Anything else?');
    expect((await box.inputValue()).endsWith('only shown after Show all. Anything else?')).toBe(true);
    // the note draft is kept, not overwritten
    await page.getByRole('button', { name: 'Internal note' }).click();
    await eventually(async () => (await box.inputValue()) === 'a note for later', 'the note draft kept');
    // nothing was sent
    expect(w.requests.filter((u) => /\/reply|\/messages/.test(u)).length).toBe(sentBefore);
    const detail = (await admin.get(`/api/conversations/${c}`)).json;
    expect(detail.messages.filter((m: any) => m.direction === 'outbound')).toHaveLength(0);
    expect(w.errors).toEqual([]);
  });

  it('a question cancelled because the conversation was resolved says so', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const c = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare another question' })] })).json.outcomes[0].conversationId as number;
    const id = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Is the fee waived for members?' })).json.id as number;
    expect((await ana.post(`/api/conversations/${c}/status`, { status: 'resolved' })).status).toBe(200);
    const w = await open();
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, c);
    const item = w.page.locator(`.experts-card .expert-item[data-request-id="${id}"]`);
    await item.waitFor();
    await expect.poll(() => item.textContent()).toContain('Cancelled: the conversation was resolved.');
    expect(await item.getByRole('button', { name: 'Use in reply' }).count()).toBe(0);
  });
});
