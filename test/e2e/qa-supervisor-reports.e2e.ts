/**
 * Supervisor QA of the reports on a phone (390 × 844), in a real browser against a real
 * desk with the TWCS sample: the response-time distribution's nine band labels ("≤ 5 min"
 * … "> 24 h") each stay inside their bar's slot instead of running together into one
 * unreadable line. Read from the chart's canvas pixels: no label ink crosses the border
 * between two slots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { importTwcs } from '../../src/import/importTwcs.js';
import { sharedDataFile } from '../../src/lib/paths.js';
import { startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, launchBrowser, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let w: WatchedPage;
const OCT = 'period=custom&from=2017-10-01&to=2017-10-31';

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  await importTwcs(desk.db.store, desk.parley.services.pipeline, sharedDataFile('twcs/twcs_head5k.csv'), { brandSlug: 'acme' });
  browser = await launchBrowser();
  w = await openPage(browser, { viewport: { width: 390, height: 844 } });
  await signIn(w.page, desk.url, 'admin@acme.test');
}, 180_000);

afterAll(async () => {
  await w?.close();
  await browser?.close();
  await desk?.stop();
});

describe('response time on a phone', () => {
  it('the distribution’s band labels stay inside their slots (no label runs into the next)', async () => {
    await w.page.goto(`${desk.url}/reports/response-time?${OCT}`);
    const chart = w.page.locator('.chart-buckets');
    await chart.waitFor({ timeout: 15_000 });
    expect(await chart.getAttribute('aria-label')).toContain('≤ 5 min: 151'); // the TWCS sample's figures
    await w.page.waitForTimeout(1_000); // ECharts' first draw animates
    const crossings = await chart.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d')!;
      const { width: W, height: H } = c;
      const px = ctx.getImageData(0, 0, W, H).data;
      const ink = (x: number, y: number) => {
        const i = (y * W + x) * 4;
        return px[i + 3] > 40 && (px[i] + px[i + 1] + px[i + 2]) / 3 < 200;
      };
      // the x axis: the lowest row drawn across most of the width
      let axis = -1;
      for (let y = H - 1; y > H / 2 && axis < 0; y--) {
        let n = 0;
        for (let x = 0; x < W; x++) if (ink(x, y)) n++;
        if (n > W * 0.6) axis = y;
      }
      if (axis < 0) return ['no x axis found'];
      // its ends: the longest unbroken run of that row (the y axis's "0" sits on it, apart)
      let x0 = 0, x1 = 0;
      for (let x = 0, start = -1; x <= W; x++) {
        if (x < W && ink(x, axis)) { if (start < 0) start = x; continue; }
        if (start >= 0 && x - 1 - start > x1 - x0) { x0 = start; x1 = x - 1; }
        start = -1;
      }
      const slot = (x1 - x0) / 9;
      const out: string[] = [];
      for (let k = 1; k < 9; k++) {
        const bx = Math.round(x0 + k * slot);
        for (let y = axis + 8; y < H; y++) for (const x of [bx - 1, bx, bx + 1]) if (ink(x, y)) { out.push(`label ink on the border of slots ${k} and ${k + 1} (x=${x}, y=${y})`); y = H; break; }
      }
      return out;
    });
    expect(crossings).toEqual([]);
    expect(w.errors).toEqual([]);
  });
});
