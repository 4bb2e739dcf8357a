/**
 * Availability follows the open desk, in a real browser: an agent who closes the tab without
 * signing out is set offline by the housekeeping once the grace period has passed, and when
 * they open the desk again they are online again, and their own header says so (the desk
 * loads "offline" before its live stream brings them back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ABSENCE_GRACE_MS } from '../../src/commands/availability.js';
import { housekeeping } from '../../src/jobs/housekeeping.js';
import { ManualClock } from '../../src/lib/clock.js';
import { startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let clock: ManualClock;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  clock = new ManualClock(Date.now());
  desk = await startDesk('sqlite', { clock, workers: false });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('availability and the open desk', () => {
  it('sets an agent who closed the tab offline after the grace, and online again, in their header too, when they open the desk', async () => {
    const s = desk.parley.services;
    const availability = async () => (await s.store.db.selectFrom('app_user').select('availability').where('id', '=', desk.users.ana).executeTakeFirstOrThrow()).availability;
    const streams = async () => (await s.metrics.sseClients.get()).values[0]?.value ?? 0;
    const w = await openPage(browser);
    pages.push(w);
    await signIn(w.page, desk.url, 'ana@acme.test');
    expect(await w.page.getByLabel('Availability').inputValue()).toBe('online');

    // the tab closes (the browser keeps her session cookie)
    await w.page.close();
    await eventually(async () => (await streams()) === 0, 'the stream closed');
    clock.advance(ABSENCE_GRACE_MS + 60_000);
    await housekeeping({ store: s.store, bus: s.bus, afterAvailability: (b, u) => s.workflow.afterAvailability(b, u) }, clock.now());
    expect(await availability()).toBe('offline');

    // she opens the desk again
    w.page = await w.context.newPage();
    await w.page.goto(`${desk.url}/inbox/mine`);
    await w.page.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
    await eventually(async () => (await availability()) === 'online', 'back online');
    await eventually(async () => (await w.page.getByLabel('Availability').inputValue()) === 'online', 'her header says online');
  });
});
