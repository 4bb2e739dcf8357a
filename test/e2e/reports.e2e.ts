/**
 * Reports and the staffing planner in a real browser against a real desk (SQLite) with
 * the TWCS sample imported: the Reports section is reached from the desk navigation and
 * loads lazily; October 2017's hour-of-week heatmap is drawn (a canvas with ink, the
 * busiest hour in its text alternative, as the API counts it); the reply time per
 * message over the whole file is the contract's 11.3 min; the CSV export downloads with
 * its header; a roster built with the fill helper is saved, the staffing chart shows the
 * gap, and the what-if simulation with more heads on the short hours improves the
 * service level. The page runs under the server's real CSP: no violations, no page
 * errors; axe-core finds nothing serious on any report.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { importTwcs } from '../../src/import/importTwcs.js';
import { sharedDataFile } from '../../src/lib/paths.js';
import { factRow } from '../../src/store/facts.js';
import { writeFacts } from '../../src/store/rollup.js';
import { Client, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeSerious, ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let w: WatchedPage;
const pages: WatchedPage[] = [];

// October 2017 in the brand's zone (Europe/London: BST until 29 October, then GMT).
const OCT_FROM = '2017-09-30T23:00:00.000Z';
const OCT_TO = '2017-11-01T00:00:00.000Z';
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Records CSP violations in the page (runs before any page script, whatever the CSP). */
const CSP_PROBE = `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')));`;

/**
 * Pixels drawn on the canvases under `selector` (ECharts may paint a series on a layer of
 * its own): ink (opaque, not near-white), dark blue ink, danger-red ink, distinct colours.
 */
async function canvasInk(page: Page, selector: string): Promise<{ ink: number; dark: number; red: number; colors: number; total: number }> {
  return (await page.evaluate(`(() => {
    let ink = 0, dark = 0, red = 0, total = 0;
    const colors = new Set();
    for (const c of document.querySelectorAll(${JSON.stringify(selector)} + ' canvas')) {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      total += data.length / 4;
      for (let i = 0; i < data.length; i += 4) {
        const r = data[i], g = data[i + 1], b = data[i + 2], a = data[i + 3];
        if (a > 200 && (r < 235 || g < 235 || b < 235)) {
          ink++;
          if (r < 60 && g < 90 && b > 90) dark++;
          if (r > 150 && g < 70 && b < 60) red++;
          if (colors.size < 2000) colors.add((r << 16) | (g << 8) | b);
        }
      }
    }
    return { ink, dark, red, colors: colors.size, total };
  })()`)) as { ink: number; dark: number; red: number; colors: number; total: number };
}

async function openReportsFromNav(page: Page) {
  // the desk navigation lives in the header's menu (and, on wide screens, may be in a sidebar)
  const visible = page.locator('a:visible').filter({ hasText: /^\s*Reports\s*$/ });
  if ((await visible.count()) === 0) await page.locator('summary:visible').filter({ hasText: /^\s*Menu\s*$/ }).click();
  await visible.first().click();
  await page.waitForURL(/\/reports\/volume/);
}

const percent = (s: string | null) => Number((s ?? '').replace(/[^\d.]/g, ''));

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  await importTwcs(desk.db.store, desk.parley.services.pipeline, sharedDataFile('twcs/twcs_head5k.csv'), { brandSlug: 'acme' });
  browser = await launchBrowser();
  w = await openPage(browser, { viewport: { width: 1440, height: 1000 } });
  pages.push(w);
  await w.page.addInitScript(CSP_PROBE);
  await signIn(w.page, desk.url, 'admin@acme.test');
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('reports', () => {
  it('opens Reports from the desk navigation, lazily, and falls back to all time when the last 30 days are empty', async () => {
    const page = w.page;
    // the inbox did not load the reports code (ECharts lives in the lazy chunk)
    expect(w.requests.filter((u) => /ReportsPage-[\w-]+\.js/.test(u))).toEqual([]);
    await openReportsFromNav(page);
    await eventually(() => w.requests.some((u) => /ReportsPage-[\w-]+\.js/.test(u)), 'reports chunk loaded');
    // the imported archive is from 2017: nothing in the last 30 days, so the default covers all time and says so
    await page.getByText('Nothing arrived in the last 30 days').waitFor({ timeout: 15_000 });
    expect(await page.locator('.reports-period').textContent()).toContain('All time');
  });

  it('draws the hour-of-week heatmap for October 2017, with the busiest hour in its text alternative', async () => {
    const page = w.page;
    await page.getByLabel('Period', { exact: true }).selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill('2017-10-01');
    await page.getByLabel('To', { exact: true }).fill('2017-10-31');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/period=custom/);
    const url = new URL(page.url());
    expect(url.searchParams.get('from')).toBe('2017-10-01');
    expect(url.searchParams.get('to')).toBe('2017-10-31');

    // what the API counts for the brand-local month
    const api = (await admin.get(`/api/reports/volume?from=${OCT_FROM}&to=${OCT_TO}`)).json as { total: number; by_hour_of_week: number[] };
    expect(api.total).toBeGreaterThan(100);
    const peak = api.by_hour_of_week.indexOf(Math.max(...api.by_hour_of_week));
    const peakText = `${DAYS[Math.floor(peak / 24)]} ${pad(peak % 24)}:00–${pad((peak + 1) % 24)}:00 with ${api.by_hour_of_week[peak]!.toLocaleString('en-GB')} mentions`;

    const summary = page.getByTestId('heatmap-summary');
    await eventually(async () => (await summary.textContent())?.includes(peakText), `heatmap summary naming ${peakText}`, 15_000);
    expect(await page.getByTestId('heatmap').getAttribute('role')).toBe('img');
    expect(await page.getByTestId('heatmap').getAttribute('aria-label')).toContain(peakText);
    const totalStat = page.getByTestId('volume-heatmap').locator('.stat').filter({ hasText: 'Inbound mentions' });
    expect(await totalStat.locator('.stat-value').textContent()).toBe(api.total.toLocaleString('en-GB'));

    // the canvas has been drawn: many cells of several shades, the darkest for the peak
    const ink = await eventually(async () => {
      const r = await canvasInk(page, '[data-testid="heatmap"]');
      return r.ink > 20_000 && r.colors > 10 ? r : null;
    }, 'heatmap pixels');
    expect(ink!.dark).toBeGreaterThan(100);
    // a tooltip (drawn on the canvas: the HTML one would need inline styles the CSP forbids)
    const box = (await page.getByTestId('heatmap').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.25);
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.4);

    // the CSV link carries the same filters, as brand-local midnights
    const csvHref = await page.getByRole('link', { name: 'Export CSV: Mentions by hour of week' }).getAttribute('href');
    expect(csvHref).toContain(`from=${encodeURIComponent(OCT_FROM)}`);
    expect(csvHref).toContain(`to=${encodeURIComponent(OCT_TO)}`);
    expect(csvHref).toContain('format=csv');

    await screenshot(page, 'reports-heatmap');

    // the per-day chart's axis tooltip too (ECharts' default HTML tooltip would break the CSP here)
    await page.locator('.chart-daily').scrollIntoViewIfNeeded();
    const daily = (await page.locator('.chart-daily').boundingBox())!;
    await page.mouse.move(daily.x + daily.width * 0.5, daily.y + daily.height * 0.6, { steps: 4 });
    await page.mouse.move(daily.x + daily.width * 0.95, daily.y + daily.height * 0.6, { steps: 4 });
  });

  it('shows the contract reply time for the whole file (median 11.3 min) and exports it as CSV', async () => {
    const page = w.page;
    await page.getByLabel('Period', { exact: true }).selectOption('all');
    await page.getByRole('navigation', { name: 'Desk' }).getByRole('link', { name: 'Response time' }).click();
    await page.waitForURL(/\/reports\/response-time/);
    await page.getByRole('button', { name: /Reply time per message/ }).click();
    await page.waitForURL(/metric=reply-time/);
    const card = page.getByTestId('rt-reply-time');
    const median = card.getByTestId('median').locator('.stat-value');
    await median.waitFor({ timeout: 15_000 });
    expect(await median.textContent()).toBe('11.3 min');
    expect(await card.getByTestId('n').locator('.stat-value').textContent()).toBe('1,644');
    expect(await card.getByTestId('within60').locator('.stat-value').textContent()).toBe('77.7 %');
    expect(await card.getByTestId('p90').locator('.stat-sub').textContent()).toBe('374.8 min');
    // the distribution chart is drawn
    await eventually(async () => (await canvasInk(page, '[data-testid="rt-reply-time"] .chart-buckets')).ink > 2000, 'distribution chart pixels');

    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('link', { name: /^Export CSV/ }).click()]);
    expect(download.suggestedFilename()).toBe('parley-reply-time.csv');
    const bytes = readFileSync((await download.path())!);
    // a UTF-8 byte-order mark first, so a spreadsheet reads the text as UTF-8 ("≤ 5 min", names)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString('utf8').replace(/^\uFEFF/, '');
    const [header, all] = csv.split('\r\n');
    // `exact` says whether the percentiles come from every fact (true) or from the hourly histograms of a very long period
    expect(header).toBe('channel_account_id,handle,network,n,median_min,p25_min,p75_min,p90_min,share_within_60,exact');
    const cols = header!.split(',');
    const row = all!.split(',');
    expect(row[cols.indexOf('exact')]).toBe('true');
    expect(row[cols.indexOf('handle')]).toBe('(all)');
    expect(row[cols.indexOf('n')]).toBe('1644');
    expect(Number(row[cols.indexOf('median_min')]).toFixed(1)).toBe('11.3');
  });

  it('plans staffing against a saved roster, shows the gap, and simulates more heads on the short hours', async () => {
    const page = w.page;
    await page.setViewportSize({ width: 1440, height: 2300 });
    await page.goto(`${desk.url}/reports/staffing?period=custom&from=2017-10-01&to=2017-10-31`);
    await page.getByTestId('staffing-chart').waitFor({ timeout: 15_000 });
    await page.getByText('No roster is saved yet').waitFor();

    // build a roster with the fill helper: two heads every hour of the week, then save
    const roster = page.getByTestId('roster');
    await roster.getByLabel('Days').selectOption('all');
    await roster.getByLabel('From').selectOption('0');
    await roster.getByLabel('To').selectOption('24');
    await roster.getByLabel('Heads', { exact: true }).fill('2');
    await roster.getByRole('button', { name: 'Fill' }).click();
    expect(await roster.getByLabel('Tuesday 22:00, heads on shift', { exact: false }).inputValue()).toBe('2');
    await roster.getByRole('button', { name: 'Save roster' }).click();
    await eventually(async () => {
      const r = (await admin.get(`/api/staffing/plan?from=${OCT_FROM}&to=${OCT_TO}`)).json;
      return Array.isArray(r.roster) && r.roster.length === 168 && r.roster.every((x: number) => x === 2);
    }, 'roster saved');

    // the gap as the API computes it for the same inputs (the UI's defaults)
    const plan = (await admin.get(`/api/staffing/plan?from=${OCT_FROM}&to=${OCT_TO}&ahtS=300&serviceLevel=0.8&answerWithinS=1800&shrinkage=0.3&maxOccupancy=0.85&concurrency=3`)).json;
    const short = plan.gap.shortHours.length as number;
    expect(short).toBeGreaterThan(0);
    const shortStat = page.getByTestId('short-hours').locator('.stat-value');
    await shortStat.waitFor({ timeout: 15_000 });
    expect(await shortStat.textContent()).toBe(`${short} of 168`);
    const chart = page.getByTestId('staffing-chart');
    expect(await chart.getAttribute('aria-label')).toContain(`short in ${short} of 168 hours`);
    const ink = await eventually(async () => {
      const r = await canvasInk(page, '[data-testid="staffing-chart"]');
      return r.ink > 5000 ? r : null;
    }, 'staffing chart pixels');
    expect(ink!.colors).toBeGreaterThan(3);
    // the gap's short hours are drawn as danger-red bars
    expect(ink!.red).toBeGreaterThan(50);
    const sbox = (await chart.boundingBox())!;
    await page.mouse.move(sbox.x + sbox.width * 0.3, sbox.y + sbox.height * 0.5, { steps: 4 });

    // what if: more heads in the hours short of the plan (Tuesday 22:00–24:00, the evening of
    // 31 October's burst). Two more do not move the service level: the hour before is already
    // backlogged past the 30-minute target, so its queue is still being served; ten do.
    const whatIf = page.getByTestId('what-if');
    await whatIf.getByLabel(/The hours short of the plan/).check();
    await whatIf.getByLabel('Change in heads').fill('10');
    await whatIf.getByRole('button', { name: 'Run simulation' }).click();
    const result = page.getByTestId('what-if-result');
    await result.waitFor({ timeout: 30_000 });
    const before = percent(await result.getByTestId('sl-baseline').locator('.stat-value').textContent());
    const after = percent(await result.getByTestId('sl-what-if').locator('.stat-value').textContent());
    expect(after).toBeGreaterThan(before);
    expect(await result.locator('caption').textContent()).toContain(`10 more heads in ${short} hours of the week`);

    await screenshot(page, 'staffing-planner');
    await page.setViewportSize({ width: 1440, height: 1000 });
  });

  it('says which handling time the plan uses: set by hand until enough replies are measured, then measured, by hour of week', async () => {
    const page = w.page;
    const url = `${desk.url}/reports/staffing?period=custom&from=2017-10-01&to=2017-10-31`;
    await page.goto(url);
    const note = page.getByTestId('aht-source');
    await note.waitFor({ timeout: 15_000 });
    // imported replies were not written at the desk: nothing measured
    expect(await note.getAttribute('data-source')).toBe('set_by_hand');
    expect(await note.textContent()).toContain('AHT 5 min, set by hand: no replies measured (30 needed).');

    // 40 replies measured in October (as the reply command records them): 35 of 4 min on
    // Tuesday mornings at 10:00, 5 of 10 min at other times
    const conv = await desk.db.store.db.selectFrom('conversation').select(['id', 'channel_account_id']).orderBy('id').executeTakeFirstOrThrow();
    const dims = { brandId: desk.brandId, timezone: 'Europe/London', conversationId: conv.id, messageId: null, agentId: null, teamId: null, channelAccountId: conv.channel_account_id, network: 'x', visibility: 'public', priority: 0, category: null };
    const at = (day: number, hourUtc: number, min: number) => Date.UTC(2017, 9, day, hourUtc, min);
    const facts = [
      ...Array.from({ length: 35 }, (_, i) => ({ t: at([3, 10, 17, 24][i % 4]!, 9, i), s: 240 })), // 10:xx BST
      ...Array.from({ length: 5 }, (_, i) => ({ t: at(5 + i, 15, 0), s: 600 })),
    ].map(({ t, s }) => factRow(dims, 'handling', t, t - s * 1000, t, null));
    await desk.db.store.db.transaction().execute((trx) => writeFacts(trx, desk.db.store, facts));

    await page.goto(url);
    await eventually(async () => (await note.getAttribute('data-source')) === 'measured', 'measured handling time shown');
    // as the page asks (no handling time typed in: measured when there is enough)
    const plan = (await admin.get(`/api/staffing/plan?from=${OCT_FROM}&to=${OCT_TO}&serviceLevel=0.8&answerWithinS=1800&shrinkage=0.3&maxOccupancy=0.85&concurrency=3`)).json;
    expect(plan.aht).toMatchObject({ source: 'measured', concurrency: 1, measured: { n: 40 } });
    expect(plan.aht.per_hour_sources).toMatchObject({ hour_of_week: 1 }); // Tuesday 10:00 has 35 of its own
    expect(plan.aht.summary).toMatch(/^AHT 4\.8 min, measured from 40 replies; by hour of week 4–4\.8 min/);
    const text = await note.textContent();
    expect(text).toContain(`${plan.aht.summary}.`);
    expect(text).toContain('the plan uses a concurrency of 1');
  });

  it('ran under the real CSP without violations or page errors', async () => {
    const violations = (await w.page.evaluate('window.__csp')) as string[];
    expect(violations).toEqual([]);
    expect(w.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    expect(w.errors).toEqual([]);
    expect(w.dialogs).toEqual([]);
    // nothing left the server
    expect(w.requests.filter((u) => !u.startsWith(desk.url) && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);
  });

  it('has no serious or critical axe violations on any report', async () => {
    // axe is injected as an inline script, which the real CSP forbids
    const a = await openPage(browser, { bypassCSP: true, viewport: { width: 1440, height: 1000 } });
    pages.push(a);
    await signIn(a.page, desk.url, 'ana@acme.test');
    const oct = 'period=custom&from=2017-10-01&to=2017-10-31';
    for (const section of ['volume', 'response-time', 'quality', 'people', 'trends', 'backlog', 'staffing']) {
      await a.page.goto(`${desk.url}/reports/${section}?${oct}`);
      await a.page.locator('.report-card').first().waitFor({ timeout: 15_000 });
      await eventually(async () => (await a.page.locator('.report-state .spinner, .report-body.stale').count()) === 0, `${section} loaded`, 15_000);
      // open the folded number tables too
      for (const d of await a.page.locator('details.chart-numbers').all()) await d.locator('summary').click();
      const v = await axeSerious(a.page);
      expect(v, `${section}:\n${v.map((x) => `${x.impact} ${x.id}: ${x.help}\n  ${x.nodes.join('\n  ')}`).join('\n')}`).toEqual([]);
    }
    expect(a.errors).toEqual([]);
  }, 150_000);
});
