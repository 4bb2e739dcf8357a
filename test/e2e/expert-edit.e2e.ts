/**
 * Expert questions after they are asked, in the browser at phone width: the expert's page shows an
 * answered question's answer, and its expert corrects it there — told when the earlier text was
 * already used in a reply; the agent's card then shows the current answer marked "corrected". The
 * agent who asked withdraws an open question (with a reason) from the questions page, and
 * reassigns another from the conversation's card. Nothing spills sideways.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client, mention, PASSWORD, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, openConversationAt, signIn } from './browser.js';
import { createTeam, addTeamMember } from '../../src/commands/setup.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));
const PHONE = { viewport: { width: 390, height: 844 } };
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('expert questions: correct an answer, withdraw, reassign (phone width)', () => {
  it('the expert sees and corrects the answer, warned that a reply used it; the card shows it corrected', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const eli = await Client.signIn(desk.url, 'eli@acme.test');
    const c = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare how long is the warranty?' })] })).json.outcomes[0].conversationId as number;
    const id = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'How long is the BL-200 warranty?' })).json.id as number;
    const first = 'The warranty is one year from delivery.';
    expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: first })).status).toBe(200);
    const inbound = (await admin.get(`/api/conversations/${c}`)).json.messages.find((m: any) => m.direction === 'inbound');
    expect((await ana.post(`/api/conversations/${c}/replies`, { text: `Hi! ${first}`, visibility: 'public', replyToMessageId: inbound.id })).status).toBeLessThan(300);

    const w = await open(PHONE);
    // an expert lands on their questions, not the inbox
    await w.page.goto(`${desk.url}/login`);
    await w.page.getByLabel('Email').fill('eli@acme.test');
    await w.page.getByLabel('Password').fill(PASSWORD);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.waitForURL(/\/expert/);
    await w.page.goto(`${desk.url}/expert?r=${id}`);
    const answer = w.page.getByLabel('The answer');
    await expect.poll(() => answer.textContent()).toContain(first);
    await w.page.getByRole('button', { name: 'Correct the answer' }).click();
    const second = 'The warranty is two years from delivery (EU rule).';
    await w.page.getByLabel(/Corrected answer/).fill(second);
    expect(await sideways(w.page)).toBeLessThanOrEqual(0);
    await w.page.getByRole('button', { name: 'Save the correction' }).click();
    const warned = w.page.locator('.expert-edit-warning');
    await expect.poll(() => warned.textContent()).toContain('already used in a reply');
    await expect.poll(() => answer.textContent()).toContain(second);
    await expect.poll(() => w.page.locator('.expert-answered').textContent()).toContain('corrected');
    expect(await sideways(w.page)).toBeLessThanOrEqual(0);
    expect(w.errors).toEqual([]);

    // the agent's card: the current answer, marked corrected
    const a = await open(PHONE);
    await signIn(a.page, desk.url, 'ana@acme.test');
    await openConversationAt(a.page, desk.url, c);
    // on a phone the card is with the customer's details
    await a.page.getByRole('button', { name: 'Customer & activity' }).click();
    const item = a.page.locator(`.experts-card .expert-item[data-request-id="${id}"]`);
    await item.waitFor();
    await expect.poll(() => item.locator('.expert-answer-text').textContent()).toContain(second);
    expect(await item.locator('.expert-edited').textContent()).toBe('corrected');
    expect(await item.textContent()).not.toContain(first);
  });

  it('the asker withdraws a question with a reason from the questions page, and reassigns another from the card', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const c = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare can I return it?' })] })).json.outcomes[0].conversationId as number;
    const gone = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'Is a return possible after 40 days?' })).json.id as number;
    const group = await createTeam(desk.db.store.db, { brandId: desk.brandId, name: 'Returns experts' }, Date.now());
    await addTeamMember(desk.db.store.db, group, desk.users.expert);
    const moved = (await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question: 'And for a gift?' })).json.id as number;

    const w = await open(PHONE);
    await signIn(w.page, desk.url, 'ana@acme.test');
    await w.page.goto(`${desk.url}/expert?r=${gone}`);
    await w.page.getByRole('button', { name: 'Withdraw…' }).click();
    await w.page.getByLabel(/Why withdraw it/).fill('The customer kept it after all');
    expect(await sideways(w.page)).toBeLessThanOrEqual(0);
    await w.page.getByRole('button', { name: 'Withdraw the question' }).click();
    await eventually(async () => (await ana.get(`/api/expert-requests?conversation=${c}`)).json.items.find((r: any) => r.id === gone)?.status === 'cancelled', 'withdrawn');

    await openConversationAt(w.page, desk.url, c);
    await w.page.getByRole('button', { name: 'Customer & activity' }).click();
    const withdrawn = w.page.locator(`.experts-card .expert-item[data-request-id="${gone}"]`);
    await expect.poll(() => withdrawn.textContent()).toContain('Withdrawn: The customer kept it after all');
    const item = w.page.locator(`.experts-card .expert-item[data-request-id="${moved}"]`);
    await item.getByRole('button', { name: 'Reassign…' }).click();
    await item.getByLabel('Give it to').selectOption({ label: 'Returns experts' });
    await item.getByRole('button', { name: 'Reassign', exact: true }).click();
    await expect.poll(() => item.textContent()).toContain('Returns experts');
    expect(await sideways(w.page)).toBeLessThanOrEqual(0);
    expect(w.errors).toEqual([]);
  });
});
