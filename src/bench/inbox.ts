/**
 * The agent inbox's first page with many open conversations: a real server
 * process on a seeded SQLite store, Debian's Chromium driven by playwright-core,
 * timed from navigation start to the first conversation row painted. The
 * baseline in the same run is the bare API call for that first page, so the
 * ratio shows what the UI adds on top of the data.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';
import { percentileOf } from './stats.js';
import { PASSWORD, startBenchServer } from './sections.js';

const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

export interface InboxBenchResult {
  first_page_ms: number;
  first_page_cold_ms: number;
  api_first_page_ms: number;
  ratio: number;
  dom_rows: number;
  open_conversations: number;
  runs: number;
}

export async function benchInbox(opts: { dataDir: string; adminEmail: string; openConversations: number; runs?: number; uiDir?: string }): Promise<InboxBenchResult | { skipped: string }> {
  // the server answers 503 without the built UI, and the sign-in page would be waited for in vain
  if (!existsSync(join(opts.uiDir ?? join(repoRoot, 'web', 'dist'), 'index.html'))) return { skipped: 'the web UI is not built (npm run build:web; npm install does it)' };
  if (!existsSync(CHROMIUM)) return { skipped: `no Chromium at ${CHROMIUM} (apt-get install chromium)` };
  const { chromium } = await import('playwright-core');
  const server = await startBenchServer({ dataDir: opts.dataDir });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.base}/login`);
    await page.getByLabel('Email').fill(opts.adminEmail);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.list-pane').waitFor({ timeout: 30_000 });
    const cookies = await context.cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');

    const runs = opts.runs ?? 7;
    const ui: number[] = [];
    const api: number[] = [];
    let domRows = 0;
    for (let i = 0; i < runs; i++) {
      // a full page load each time: HTML, scripts, the API calls, the first paint of rows
      await page.goto('about:blank');
      const t0 = Date.now();
      await page.goto(`${server.base}/`, { waitUntil: 'commit' });
      await page.locator('.conv-row').first().waitFor({ timeout: 30_000 });
      // measured in the page: from its navigation start to now (rows are in the DOM and laid out)
      const inPage = (await page.evaluate('performance.now()')) as number;
      ui.push(Math.min(inPage, Date.now() - t0));
      domRows = await page.locator('.conv-row').count();

      const a0 = performance.now();
      const r = await fetch(`${server.base}/api/conversations?view=all&limit=50`, { headers: { cookie } });
      if (!r.ok) throw new Error(`inbox bench: the API answered ${r.status}`);
      await r.arrayBuffer();
      api.push(performance.now() - a0);
    }
    const warm = ui.slice(1);
    const first = percentileOf(warm, 0.5);
    const apiMs = percentileOf(api.slice(1), 0.5);
    return {
      first_page_ms: Number(first.toFixed(1)),
      first_page_cold_ms: Number(ui[0]!.toFixed(1)),
      api_first_page_ms: Number(apiMs.toFixed(1)),
      ratio: Number((apiMs / first).toFixed(3)),
      dom_rows: domRows,
      open_conversations: opts.openConversations,
      runs,
    };
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
  }
}
