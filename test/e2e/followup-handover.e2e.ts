/**
 * The hand-over of follow-ups whose assignee is away, in Settings → Workflow at phone width: the
 * field shows the default (15 minutes) with its plain explanation, a bad value is named before
 * saving (nothing saved), and a good one is saved on the server; nothing scrolls sideways.
 */
import { describe, expect, it } from 'vitest';
import type { TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

describe('hand-over of follow-ups in the workflow settings', () => {
  it('shows the default, refuses a negative time, saves a new one, at phone width', async () => {
    const { page } = await open({ viewport: { width: 375, height: 740 } });
    await signIn(page, desk.url, 'admin@acme.test');
    await page.goto(`${desk.url}/admin/workflow`);
    const section = page.getByRole('region', { name: 'Follow-ups when the assignee is away' });
    const field = section.getByLabel('Hand over after (minutes)');
    expect(await field.inputValue()).toBe('15');
    await section.getByText('0 = never').waitFor();
    const saveButton = section.getByRole('button', { name: 'Save hand-over' });
    await field.fill('-5');
    await section.getByText('It cannot be negative; 0 turns it off').waitFor();
    expect(await saveButton.isDisabled()).toBe(true);
    await field.fill('30');
    await saveButton.click();
    await page.getByText('Hand-over of follow-ups saved').waitFor();
    const saved = await desk.db.store.db.selectFrom('brand').select('settings').where('id', '=', desk.brandId).executeTakeFirstOrThrow();
    expect(JSON.parse(saved.settings).workflow.handoverAfterMin).toBe(30);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  });
});
