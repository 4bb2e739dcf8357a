/**
 * QA (supervisor, staffing planner), in a real browser: with the measured handling time in use,
 * the plan counts one conversation at a time, so the Concurrency field is greyed out showing the
 * 1 the plan uses and says why (before, it kept an editable "3" that changed nothing when
 * applied). With too few replies measured, or a handling time typed, it is the lead's to set.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { factRow } from '../../src/store/facts.js';
import { writeFacts } from '../../src/store/rollup.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let w: WatchedPage;
const browser = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  w = await browser.open({ viewport: { width: 1280, height: 1000 } });
  await signIn(w.page, desk.url, 'admin@acme.test');
}, 120_000);

describe('the staffing planner’s concurrency with a measured handling time', () => {
  it('is the lead’s to set until enough replies are measured, then greyed out at 1 with the reason; a typed handling time brings it back', async () => {
    const page = w.page;
    const concurrency = page.getByLabel('Concurrency');
    const note = page.getByTestId('aht-source');
    await page.goto(`${desk.url}/reports/staffing?period=7d`);
    await note.waitFor({ timeout: 15_000 });
    // nothing measured: the hand-set handling time runs at the chosen concurrency
    expect(await note.getAttribute('data-source')).toBe('set_by_hand');
    expect(await concurrency.isEnabled()).toBe(true);
    expect(await concurrency.inputValue()).toBe('3');

    // 30 replies measured yesterday (as the reply command records them), 4 min each
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare hello' })] })).json.outcomes[0];
    const dims = { brandId: desk.brandId, timezone: 'Europe/London', conversationId: o.conversationId, messageId: null, agentId: desk.users.ana, teamId: desk.teamId, channelAccountId: desk.accountId, network: 'x', visibility: 'public', priority: 0, category: null };
    const day = Date.now() - 86_400_000;
    const facts = Array.from({ length: 30 }, (_, i) => day + i * 60_000).map((t) => factRow(dims, 'handling', t, t - 240_000, t, null));
    await desk.db.store.db.transaction().execute((trx) => writeFacts(trx, desk.db.store, facts));

    await page.goto(`${desk.url}/reports/staffing?period=7d`);
    await eventually(async () => (await note.getAttribute('data-source')) === 'measured', 'measured handling time in use');
    expect(await concurrency.isDisabled()).toBe(true);
    expect(await concurrency.inputValue()).toBe('1');
    const help = page.locator(`[id="${await concurrency.getAttribute('aria-describedby')}"]`);
    expect(await help.textContent()).toBe('Not used with the measured handling time: that is focused time per reply, so the plan counts one conversation at a time. Type a handling time to plan with concurrency.');

    // a handling time typed by hand: concurrency is the lead's again, with the value chosen
    await page.getByLabel('Handling time').fill('6');
    expect(await concurrency.isEnabled()).toBe(true);
    expect(await concurrency.inputValue()).toBe('3');
    await concurrency.fill('2');
    await page.getByRole('button', { name: 'Update plan' }).click();
    await page.waitForURL(/aht=6.*conc=2|conc=2.*aht=6/, { timeout: 10_000 });
    await eventually(async () => (await note.getAttribute('data-source')) === 'set_by_hand', 'the typed handling time in use');
    expect(await concurrency.isEnabled()).toBe(true);
    expect(w.errors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
  });
});
