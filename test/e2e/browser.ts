/**
 * Browser fixtures for the e2e specs: Debian's Chromium driven by playwright-core,
 * provisioned with apt when missing; the web UI built when web/dist is missing or older
 * than its sources; pages that record every request, dialog and page error so specs
 * can assert that nothing ran or left the server; axe-core; screenshots.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ensureDebianPackage } from '../setup/services.js';
import { afterAll, beforeAll } from 'vitest';
import type { Clock } from '../../src/lib/clock.js';
import { PASSWORD, startDesk, type TestDesk } from '../helpers/parley.js';

export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = join(repo, 'test', 'e2e', 'screenshots');
const AXE = join(repo, 'node_modules', 'axe-core', 'axe.min.js');

/** apt-get install chromium when it is missing (as root), or a clear error. */
export function ensureChromium(): void {
  ensureDebianPackage(CHROMIUM, ['chromium']);
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** `npm run build:web` when web/dist is missing or older than the UI's sources. */
export function ensureWebBuild(): void {
  const built = join(repo, 'web', 'dist', 'index.html');
  const sources = [join(repo, 'web', 'src'), join(repo, 'web', 'index.html'), join(repo, 'web', 'vite.config.ts'), join(repo, 'src', 'core', 'textLength.ts'), join(repo, 'src', 'core', 'wf_text.ts')];
  const newest = Math.max(...sources.map(newestMtime));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  const r = spawnSync('npm', ['run', 'build:web', '--silent'], { cwd: repo, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  if (r.status !== 0 || !existsSync(built)) throw new Error('npm run build:web failed; see the output above');
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that remembers what happened on it. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Every request URL the page made. */
  requests: string[];
  /** Messages of alert/confirm/prompt dialogs (dismissed). */
  dialogs: string[];
  /** Uncaught page errors. */
  errors: string[];
  /** console.error messages. */
  consoleErrors: string[];
  close(): Promise<void>;
}

/** How `openPage` sets up a page's browser context. */
export interface PageOptions {
  viewport?: { width: number; height: number };
  deviceScaleFactor?: number;
  bypassCSP?: boolean;
  /** The browser's IANA time zone (Europe/London, the brand's zone, unless a spec plays someone elsewhere). */
  timezoneId?: string;
  /** The browser's locale (en-GB unless a spec needs another, e.g. en-US for "EST"-style zone names). */
  locale?: string;
}

/** A watched page in a context of its own (viewport 1440×900, en-GB, Europe/London unless `opts` says otherwise). */
export async function openPage(browser: Browser, opts: PageOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
    bypassCSP: opts.bypassCSP ?? false,
    locale: opts.locale ?? 'en-GB',
    timezoneId: opts.timezoneId ?? 'Europe/London',
  });
  const page = await context.newPage();
  const w: WatchedPage = {
    context, page, requests: [], dialogs: [], errors: [], consoleErrors: [],
    close: () => context.close(),
  };
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('dialog', (d) => {
    if (d.type() !== 'beforeunload') w.dialogs.push(d.message());
    // a leave-page prompt (a draft is open) is accepted, so a test's navigation goes through
    void (d.type() === 'beforeunload' ? d.accept() : d.dismiss()).catch(() => {});
  });
  page.on('pageerror', (e) => w.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') w.consoleErrors.push(m.text());
  });
  return w;
}

/**
 * One desk on SQLite (on `clock`, when the spec drives one) and one Chromium for a spec file:
 * started before its tests (`ready` is handed the desk), stopped after them with every page
 * `open` gave.
 */
export function deskInBrowser(ready: (desk: TestDesk) => void, opts: { clock?: Clock } = {}): { open: (o?: PageOptions) => Promise<WatchedPage>; pages: WatchedPage[] } {
  let desk: TestDesk | undefined;
  let browser: Browser | undefined;
  const pages: WatchedPage[] = [];
  beforeAll(async () => {
    ensureChromium();
    ensureWebBuild();
    desk = await startDesk('sqlite', { clock: opts.clock, workers: false });
    browser = await launchBrowser();
    ready(desk);
  });
  afterAll(async () => {
    for (const p of pages) await p.close().catch(() => {});
    await browser?.close();
    await desk?.stop();
  });
  return {
    pages,
    open: async (o = {}) => {
      const w = await openPage(browser!, o);
      pages.push(w);
      return w;
    },
  };
}

/** An action the moderation dialog offers, as its option reads (a disabled one says why). */
export type ModerationOption = { value: string; text: string; disabled: boolean };

/** Open the moderation dialog of an inbound post, cite the "No harassment" rule, and read the actions it offers. */
export async function moderationOptions(page: Page, messageId: number): Promise<ModerationOption[]> {
  await page.locator(`.msg-in[data-message-id="${messageId}"]`).getByRole('button', { name: /Moderate this post/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/No harassment/).check();
  const select = dialog.getByLabel('Action');
  return (await eventually(async () => {
    const o: ModerationOption[] = await select.locator('option').evaluateAll((els) => els.map((e) => ({ value: (e as HTMLOptionElement).value, text: e.textContent ?? '', disabled: (e as HTMLOptionElement).disabled })));
    return o.length > 1 ? o : null;
  }, 'the actions the guideline allows')) as ModerationOption[];
}

/** Sign in through the UI and wait for the inbox. */
export async function signIn(page: Page, baseUrl: string, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.list-pane').waitFor({ timeout: 15_000 });
  // the live connection is up once the header says so
  await page.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
}

/** The inbox row of a conversation. */
export function row(page: Page, conversationId: number): Locator {
  return page.locator(`.conv-row[data-conversation-id="${conversationId}"]`);
}

/** Open one conversation in a view of the inbox at `baseUrl`, and wait until it is shown and live. */
export async function openConversationAt(page: Page, baseUrl: string, id: number, view = 'all'): Promise<void> {
  await page.goto(`${baseUrl}/inbox/${view}?c=${id}`);
  await page.locator('.conversation .conv-title h2').waitFor({ timeout: 10_000 });
  await page.locator('.live-live').waitFor({ state: 'attached', timeout: 10_000 });
}

/** Wait until `fn` returns a truthy value (polling), or fail with `what`. */
export async function eventually<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Axe violations in words, for an assertion's message. */
export function axeReport(v: AxeViolation[]): string {
  return v.map((x) => `${x.impact} ${x.id}: ${x.help}\n  ${x.nodes.join('\n  ')}`).join('\n');
}

/**
 * Run axe-core in the page; returns serious and critical violations. The page's context
 * must bypass CSP (axe is injected as an inline script).
 */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate(`(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '')) }));
  })()`)) as AxeViolation[];
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** The origin of a URL, for "no request left the server" checks. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
