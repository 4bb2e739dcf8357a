/**
 * QA as a care agent (session 37): an empty inbox view says what would show there. Waiting on
 * customer, Mine and Resolved never fill with new mentions, yet each said "New mentions appear
 * here as they arrive"; now each view names what it holds, at 1280 px and at 390 px.
 */
import { describe, expect, it } from 'vitest';
import type { TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

describe('QA s37: empty inbox views', () => {
  it('says what each empty view would hold, in its own words', async () => {
    for (const width of [1280, 390]) {
      const w = await open({ viewport: { width, height: 844 } });
      await signIn(w.page, desk.url, 'ana@acme.test');
      // a fresh desk: no conversation anywhere
      const empty = async (view: string) => {
        await w.page.goto(`${desk.url}/inbox/${view}`);
        return eventually(async () => {
          const t = (await w.page.locator('.list-empty').textContent())?.trim() ?? '';
          return /Loading/.test(t) ? '' : t;
        }, `the empty ${view} view`);
      };
      const waiting = await empty('waiting');
      expect(waiting).toMatch(/Snoozed conversations/);
      expect(waiting).not.toMatch(/New mentions/);
      const mine = await empty('mine');
      expect(mine).toMatch(/assigned to you/);
      expect(mine).not.toMatch(/New mentions/);
      expect(await empty('resolved')).toMatch(/once they are resolved/);
      expect(await empty('open')).toMatch(/New mentions and messages appear here/);
      // the text fits the phone's width (no sideways scrolling)
      expect(await w.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      expect(w.errors).toEqual([]);
      expect(w.consoleErrors).toEqual([]);
    }
  });
});
