/**
 * Settings on a phone (390 × 844), in a real browser against a real desk (SQLite): a table
 * wider than the screen (people, teams, tokens, webhook deliveries, the audit log, SLA targets,
 * reply checks, business hours, ...) scrolls sideways inside its own box, a labelled region
 * keyboard users can focus and scroll with the arrow keys, while the page and the settings
 * panel around it stay as wide as the screen; column headers stay on one line, readable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SECTIONS } from '../../web/src/admin/sections.js';
import { Client, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let admin: Client;
let w: WatchedPage;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  // something in the tables: a snippet, a token, a webhook endpoint with a delivery (and their audit entries)
  expect((await admin.post('/api/snippets', { shortcut: 'refund-status', title: 'Where is my refund', body: 'Refunds reach your account within 5 working days of the return arriving.' })).status).toBe(201);
  expect((await admin.post('/api/tokens', { name: 'Phone width check: a rather long token name' })).status).toBe(201);
  const hook = await admin.post('/api/integrations/webhooks', { url: 'https://hooks.example.com/parley/a-fairly-long-path-for-a-phone', description: 'Slack bridge', events: ['conversation.created'] });
  expect(hook.status).toBe(201);
  expect((await admin.post(`/api/integrations/webhooks/${hook.json.item.id}/test`)).status).toBe(202);
  w = await open({ viewport: { width: 390, height: 844 } });
  await signIn(w.page, desk.url, 'admin@acme.test');
}, 120_000);

interface TableCheck {
  table: string;
  region: { role: string | null; label: string | null; tabIndex: number } | null;
  wrapperWidth: number;
  wrapperScrollWidth: number;
  tableWidth: number;
  /** Header cells laid out on more than one line. */
  brokenHeaders: string[];
}

/** What the open section looks like: page and panel widths, and each table's box. */
async function measure(): Promise<{ page: number; viewport: number; panels: { title: string; over: number }[]; tables: TableCheck[] }> {
  return w.page.evaluate(() => {
    const tables = Array.from(document.querySelectorAll<HTMLTableElement>('main table, .page-sections table')).filter((t, i, all) => all.indexOf(t) === i);
    return {
      page: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      panels: Array.from(document.querySelectorAll<HTMLElement>('.page-sections .panel')).map((p) => ({ title: p.querySelector('h2')?.textContent ?? '?', over: p.scrollWidth - p.clientWidth })),
      tables: tables.map((t) => {
        const wrap = t.parentElement!.closest<HTMLElement>('.table-scroll');
        const name = t.querySelector('caption')?.textContent || t.closest('.panel')?.querySelector('h2')?.textContent || t.className;
        const brokenHeaders = Array.from(t.querySelectorAll<HTMLElement>('thead th'))
          .filter((th) => {
            // one line: the boxes of its visible text (not of a visually hidden name) all on the same line
            const tops = new Set<number>();
            const walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
              if (!n.textContent?.trim() || n.parentElement?.closest('.visually-hidden')) continue;
              const range = document.createRange();
              range.selectNodeContents(n);
              for (const r of Array.from(range.getClientRects())) if (r.width > 0) tops.add(Math.round(r.top));
            }
            return tops.size > 1;
          })
          .map((th) => th.textContent!.trim());
        return {
          table: name,
          region: wrap ? { role: wrap.getAttribute('role'), label: wrap.getAttribute('aria-label'), tabIndex: wrap.tabIndex } : null,
          wrapperWidth: wrap?.clientWidth ?? -1,
          wrapperScrollWidth: wrap?.scrollWidth ?? -1,
          tableWidth: t.getBoundingClientRect().width,
          brokenHeaders,
        };
      }),
    };
  });
}

/** Open a section and what its tables need opened (a channel's business hours, an endpoint's deliveries). */
async function openSection(section: string): Promise<void> {
  const { page } = w;
  await page.goto(`${desk.url}/admin/${section}`);
  await page.locator('.page-sections').waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => !document.querySelector('.page-sections .spinner, .page-sections [aria-busy="true"]'), undefined, { timeout: 15_000 });
  if (section === 'channels') {
    await page.getByRole('button', { name: /^Show details of @/ }).first().click();
    await page.getByRole('button', { name: 'Business hours…' }).first().click();
    await page.locator('table.hours-table').waitFor({ timeout: 10_000 });
  }
  if (section === 'integrations') {
    await page.getByRole('button', { name: 'Deliveries' }).first().click();
    await page.locator('table.webhook-deliveries').waitFor({ timeout: 10_000 });
  }
  if (section === 'audit') await page.locator('table.audit-log').waitFor({ timeout: 10_000 });
  if (section === 'people') await page.locator('table.people-table').waitFor({ timeout: 10_000 });
  if (section === 'snippets') await page.locator('.page-sections table').waitFor({ timeout: 10_000 });
  if (section === 'tokens') await page.locator('table.tokens-table').waitFor({ timeout: 10_000 });
  if (section === 'workflow') await page.locator('table.sla-targets').waitFor({ timeout: 10_000 });
}

describe('settings tables on a phone', () => {
  it('every section: the page is never wider than the screen, each table scrolls in its own labelled, focusable box', async () => {
    const wide: string[] = [];
    for (const section of ADMIN_SECTIONS) {
      await openSection(section);
      const m = await measure();
      const where = `/admin/${section}`;
      expect.soft(m.page, `${where}: page ${m.page}px wide on a ${m.viewport}px screen`).toBeLessThanOrEqual(m.viewport);
      for (const p of m.panels) expect.soft(p.over, `${where}: the panel “${p.title}” scrolls sideways`).toBeLessThanOrEqual(0);
      for (const t of m.tables) {
        const what = `${where}: table “${t.table}”`;
        expect.soft(t.region, `${what} has no scroll box`).not.toBeNull();
        expect.soft(t.wrapperWidth, what).toBeLessThanOrEqual(m.viewport);
        expect.soft(t.brokenHeaders, `${what}: headers on more than one line`).toEqual([]);
        // a table wider than its box: the box scrolls (and the table is the one that is wide)
        if (t.tableWidth > t.wrapperWidth + 1) {
          wide.push(`${section}: ${t.table}`);
          expect.soft(t.wrapperScrollWidth, what).toBeGreaterThan(t.wrapperWidth);
          // a labelled region in the tab order, for keyboard scrolling
          expect.soft(t.region?.role, what).toBe('region');
          expect.soft(t.region?.label?.trim(), what).toBeTruthy();
          expect.soft(t.region?.tabIndex, what).toBe(0);
        }
      }
    }
    // the wide ones on a phone, at least (else this test would check nothing)
    for (const s of ['people', 'teams', 'tokens', 'integrations', 'audit', 'workflow']) expect(wide.some((x) => x.startsWith(`${s}:`)), `${s} has a table wider than the phone: ${wide.join('; ')}`).toBe(true);
    expect(w.errors).toEqual([]);
  }, 120_000);

  it('a keyboard user focuses a wide table’s box and scrolls it with the arrow keys; the page does not move', async () => {
    for (const [section, table] of [['people', 'table.people-table'], ['audit', 'table.audit-log']] as const) {
      await openSection(section);
      const box = w.page.locator(`.table-scroll:has(> ${table})`);
      await box.focus();
      expect(await box.evaluate((el) => el === document.activeElement && el.scrollLeft === 0)).toBe(true);
      for (let i = 0; i < 5; i++) await w.page.keyboard.press('ArrowRight');
      await w.page.waitForFunction((sel) => document.querySelector(`.table-scroll:has(> ${sel})`)!.scrollLeft > 0, table, { timeout: 5_000 });
      expect(await w.page.evaluate(() => [window.scrollX, document.documentElement.scrollWidth <= window.innerWidth])).toEqual([0, true]);
      await box.scrollIntoViewIfNeeded();
      await screenshot(w.page, `phone-settings-${section}-table`);
    }
  }, 60_000);
});
