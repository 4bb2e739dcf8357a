/**
 * The inbox with 100,000 open conversations: the list stays virtualized (a bounded
 * number of rows in the DOM however far the agent scrolls), pages load by keyset cursor
 * as the end comes near, and live arrivals still land on top.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, row, screenshot, signIn, type WatchedPage } from './browser.js';

const N = 100_000;
let desk: TestDesk;
let browser: Browser;
let w: WatchedPage;

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  const now = Date.now();
  // 100,000 open conversations straight into the store (the ingest pipeline has its own benchmark)
  await sql`
    insert into conversation (brand_id, channel_account_id, network, visibility, status, priority, subject, created_at, updated_at, last_message_at, last_inbound_at, waiting_since, cycle_started_at, message_count, version)
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${N})
    select ${desk.brandId}, ${desk.accountId}, 'x', 'public', case when i % 4 = 0 then 'new' else 'open' end, (i * 7) % 101,
      'Scale conversation ' || i || ': my order has not arrived yet', ${now} - i * 1000, ${now} - i * 1000, ${now} - i * 1000, ${now} - i * 1000, ${now} - i * 1000, ${now} - i * 1000, 1, 1
    from n`.execute(desk.db.store.db);
  browser = await launchBrowser();
  w = await openPage(browser, { viewport: { width: 1440, height: 900 } });
  await signIn(w.page, desk.url, 'ana@acme.test');
}, 300_000);

afterAll(async () => {
  await w?.close();
  await browser?.close();
  await desk?.stop();
});

const domRows = () => w.page.locator('.conv-row').count();
const maxPos = async () => Math.max(...((await w.page.locator('.conv-row').evaluateAll((els: any[]) => els.map((e) => Number(e.getAttribute('aria-posinset') ?? 0)))) as number[]));

describe('an inbox of 100,000 open conversations', () => {
  it('counts them and renders only the visible rows', async () => {
    await w.page.locator('.view-link.active .count').getByText('100,000').waitFor({ timeout: 10_000 });
    await w.page.locator('.conv-row').first().waitFor();
    expect(await domRows()).toBeLessThan(60);
    expect(await w.page.locator('.conv-row').first().textContent()).toContain('Scale conversation 1:');
  });

  it('loads further pages while scrolling, keeping the DOM small', async () => {
    const scroller = w.page.locator('.list-scroll');
    for (let i = 0; i < 25; i++) {
      await scroller.evaluate((el: any) => {
        el.scrollTop = el.scrollHeight;
      });
      await w.page.waitForTimeout(120);
    }
    const deepest = await eventually(async () => {
      const m = await maxPos();
      return m > 1500 ? m : 0;
    }, 'rows beyond the first pages', 30_000);
    expect(deepest).toBeGreaterThan(1500);
    expect(await domRows()).toBeLessThan(60);
    // rows are in order: each visible row is the conversation the keyset says
    const subjects = (await w.page.locator('.conv-row .row-subject').allTextContents()).map((s) => Number(/Scale conversation (\d+)/.exec(s)?.[1]));
    for (let i = 1; i < subjects.length; i++) expect(subjects[i]).toBe(subjects[i - 1]! + 1);
    // j / k still move the cursor deep in the list
    await w.page.locator('.conv-row').nth(3).locator('a.row-link').focus();
    const before = Number(await w.page.locator('.conv-row.cursor').getAttribute('aria-posinset'));
    await w.page.keyboard.press('j');
    await eventually(async () => Number(await w.page.locator('.conv-row.cursor').getAttribute('aria-posinset')) === before + 1, 'cursor moved');
    await screenshot(w.page, 'scale-deep-scroll');
  });

  it('keeps the rows being read still while new conversations arrive on top', async () => {
    const scroller = w.page.locator('.list-scroll');
    await scroller.evaluate((el: any) => {
      el.scrollTop = 40 * 78;
    });
    await w.page.waitForTimeout(200);
    const firstVisible = async () =>
      (await scroller.evaluate((el: any) => {
        const top = el.getBoundingClientRect().top;
        const rows = Array.from(el.querySelectorAll('.conv-row')) as any[];
        const r = rows.filter((x) => x.getBoundingClientRect().bottom > top + 1).sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)[0];
        return r ? r.getAttribute('data-conversation-id') : null;
      })) as string | null;
    const before = await firstVisible();
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare arriving while you read' }), mention({ text: '@AcmeCare and another one' })] });
    const ids = r.json.outcomes.map((o: any) => o.conversationId as number);
    // they are in the list (above), yet the agent's view did not move
    await eventually(async () => (await w.page.locator('.view-link.active .count').textContent()) === '100,002', 'count updated');
    await w.page.waitForTimeout(300);
    expect(await firstVisible()).toBe(before);
    await scroller.evaluate((el: any) => {
      el.scrollTop = 0;
    });
    await row(w.page, ids[1]).waitFor({ timeout: 2000 });
  });

  it('still puts a live arrival on top', async () => {
    await w.page.locator('.list-scroll').evaluate((el: any) => {
      el.scrollTop = 0;
    });
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const text = `@AcmeCare live among a hundred thousand ${Date.now()}`;
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text })] });
    const id = r.json.outcomes[0].conversationId as number;
    await row(w.page, id).waitFor({ timeout: 2000 });
    expect(await w.page.locator('.conv-row').first().getAttribute('data-conversation-id')).toBe(String(id));
    await w.page.locator('.view-link.active .count').getByText('100,003').waitFor({ timeout: 5000 });
  });
});
