/**
 * Saved replies worded per network and language, in a real browser against a real desk
 * (SQLite): an admin adds a Spanish X wording in Settings → Snippets and is warned, live, while
 * it is longer than X allows (X's own count: CJK characters weigh 2, links 23); an agent at
 * phone width picking the saved reply on an X conversation in Spanish gets the es/x wording,
 * sees which one it is and why, switches to another and back, and inserts it.
 */
import { describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, deskInBrowser, eventually, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

const ES_X = 'Hola {{customer.name}}, lo revisamos ya. ¿Nos escribes por DM? https://acme.example/ayuda';

describe('snippet variants', () => {
  it('an admin adds a Spanish X wording, warned while it is too long for X', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    expect((await admin.post('/api/snippets', { shortcut: 'checking', title: 'We are checking', body: 'Hi {{customer.name}}, thanks for reaching out. We are looking into it and will get back to you shortly.' })).status).toBe(201);
    const w = await open({ bypassCSP: true });
    await signIn(w.page, desk.url, 'admin@acme.test');
    await w.page.goto(`${desk.url}/admin/snippets`);
    await w.page.getByRole('button', { name: 'Edit checking' }).click();
    const variants = w.page.getByTestId('snippet-variants');
    await variants.getByRole('button', { name: 'Add a wording…' }).click();
    const wording = variants.getByRole('group', { name: 'Wording 1' });
    await wording.getByRole('combobox', { name: /^Network/ }).selectOption('x');
    await wording.getByLabel('Language', { exact: true }).fill('es');
    // the limits it is checked against: a public reply's and a private message's
    expect(await wording.getByTestId('variant-limits').textContent()).toBe("Checked against X's limits: 280 characters for a public reply, 10,000 characters for a private message (DM).");
    // 150 CJK characters: 150 code points, but 300 as X counts them
    await wording.getByLabel(/^Text for X · Spanish/).fill('漢'.repeat(150));
    const warning = wording.getByTestId('variant-warnings');
    await warning.waitFor();
    expect(await warning.textContent()).toContain('300 of 280 characters as x counts them');
    // a long link is 23 on X: this one fits
    await wording.getByLabel(/^Text for X · Spanish/).fill(ES_X);
    await warning.waitFor({ state: 'detached' });
    const serious = await axeSerious(w.page);
    expect(serious, axeReport(serious)).toEqual([]);
    await w.page.getByRole('button', { name: 'Save snippet' }).click();
    await w.page.getByTestId('snippet-wordings').waitFor();
    expect(await w.page.getByTestId('snippet-wordings').textContent()).toContain('X · Spanish (es)');
    const saved = (await admin.get('/api/snippets')).json.items.find((s: { shortcut: string }) => s.shortcut === 'checking');
    expect(saved.variants.map((v: { network: string; language: string; body: string }) => [v.network, v.language, v.body])).toEqual([
      ['any', 'any', saved.body],
      ['x', 'es', ES_X],
    ]);
    expect(w.errors).toEqual([]);
  });

  it('picking it on an X conversation in Spanish gets the es/x wording, switchable, at phone width', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const m = mention({ text: '@AcmeCare hola, mi pedido no ha llegado todavía y nadie me contesta, ¿dónde está mi paquete?', author: { networkUserId: 'sv-1', handle: 'marta_l', displayName: 'Marta López', followers: 40 } });
    const id = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId as number;
    const conv = await desk.db.store.db.selectFrom('conversation').select(['network', 'language']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(conv).toEqual({ network: 'x', language: 'es' });

    const w = await open({ viewport: { width: 390, height: 844 }, bypassCSP: true });
    await signIn(w.page, desk.url, 'ana@acme.test');
    await openConversationAt(w.page, desk.url, id);
    const box = w.page.getByLabel(/Public reply to @marta_l/);
    await w.page.getByRole('button', { name: 'Insert snippet…' }).click();
    const picker = w.page.getByRole('dialog', { name: 'Insert a snippet' });
    await picker.getByRole('button', { name: /We are checking/ }).click();
    const filled = picker.getByTestId('snippet-filled');
    await filled.waitFor();
    expect(await filled.getByTestId('snippet-variant-used').textContent()).toBe('X · Spanish (es)');
    expect(await filled.textContent()).toContain('fits this conversation’s network and language');
    expect(await filled.locator('.snippet-preview').textContent()).toBe('Hola Marta, lo revisamos ya. ¿Nos escribes por DM? https://acme.example/ayuda');

    // switch to the default wording, and back
    const select = filled.getByLabel('Switch wording');
    await select.selectOption({ label: 'Any network · Any language' });
    await eventually(async () => (await filled.locator('.snippet-preview').textContent()) === 'Hi Marta, thanks for reaching out. We are looking into it and will get back to you shortly.', 'the default wording');
    expect(await filled.getByTestId('snippet-variant-used').textContent()).toBe('Any network · Any language');
    expect(await filled.textContent()).toContain('chosen by you');
    await select.selectOption({ label: 'X · Spanish (es) (best fit)' });
    await eventually(async () => (await filled.getByTestId('snippet-variant-used').textContent()) === 'X · Spanish (es)', 'the es/x wording again');

    // nothing wider than the phone
    const over = (await w.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    expect(over).toBeLessThanOrEqual(0);
    const serious = await axeSerious(w.page);
    expect(serious, axeReport(serious)).toEqual([]);

    await filled.getByRole('button', { name: 'Insert', exact: true }).click();
    await picker.waitFor({ state: 'hidden' });
    expect(await box.inputValue()).toBe('Hola Marta, lo revisamos ya. ¿Nos escribes por DM? https://acme.example/ayuda');
    expect(w.errors).toEqual([]);
  });
});
