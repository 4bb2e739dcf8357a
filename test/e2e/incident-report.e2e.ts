/**
 * The incident report in a real browser against a real desk (SQLite): reachable from the
 * incident's row on the incidents page, it shows the people affected, who got a personal
 * answer, the timeline and who is still unanswered (a link to the conversation), offers the
 * CSV, and reads at phone width without sideways scrolling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  // replies go straight out during the incident here (the sign-off rules have specs of their own)
  expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { incident: { requireDuringIncident: false, publicOnly: true, statementSignOff: false } } })).status).toBe(200);
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

async function customer(n: number, text: string) {
  const m = mention({ author: { networkUserId: `ir-${n}-${Date.now()}`, handle: `report${n}`, displayName: `Report ${n}`, followers: 10 }, text: `@AcmeCare ${text}` });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.status).toBe(200);
  return { conv: r.json.outcomes[0].conversationId as number, msg: r.json.outcomes[0].messageId as number };
}

describe('incident report', () => {
  it('opens from the incident row, shows the figures and who is unanswered, at desktop and phone width', async () => {
    const inc = (await admin.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail since 09:40' })).json.id as number;
    const a = await customer(1, 'I cannot pay');
    const b = await customer(2, 'payment page broken');
    for (const x of [a, b]) expect((await admin.req('PUT', `/api/conversations/${x.conv}/incident`, { incidentId: inc })).status).toBe(200);
    expect((await admin.post(`/api/conversations/${a.conv}/replies`, { text: 'Sorry about this, we are fixing payments right now.', visibility: 'public', replyToMessageId: a.msg })).status).toBeLessThan(300);
    await eventually(async () => (await admin.get(`/api/incidents/${inc}/report`)).json.answered === 1, 'the reply went out');

    for (const viewport of [undefined, { width: 390, height: 844 }]) {
      const w = await openPage(browser, viewport ? { viewport } : {});
      pages.push(w);
      await signIn(w.page, desk.url, 'ana@acme.test');
      await w.page.goto(`${desk.url}/incidents`);
      await w.page.getByRole('button', { name: 'Report: Checkout is down' }).click();
      const report = w.page.locator(`[data-incident-report="${inc}"]`);
      await report.getByRole('heading', { name: 'Incident report: Checkout is down' }).waitFor({ timeout: 10_000 });
      expect(await report.locator('[data-figure="people"]').innerText()).toContain('2');
      expect(await report.locator('[data-figure="answered"]').innerText()).toContain('1 of 2');
      expect(await report.locator('[data-timeline]').evaluateAll((els) => els.map((e) => e.getAttribute('data-timeline')))).toEqual(['declared']);
      expect(await report.locator('[data-unanswered]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-unanswered'))))).toEqual([b.conv]);
      expect(await report.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toBe(`/api/incidents/${inc}/report?format=csv`);
      // focus went to the report's heading; nothing scrolls sideways at phone width
      expect(await w.page.evaluate(() => document.activeElement?.id)).toBe('incident-report-title');
      expect(await w.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      // back to the list, focus on the row's button
      await report.getByRole('button', { name: 'Back to incidents' }).click();
      await eventually(async () => (await w.page.evaluate(() => document.activeElement?.getAttribute('data-incident-report-button'))) === String(inc), 'focus back on the row');
      // the unanswered customer is a link to their conversation
      await w.page.getByRole('button', { name: 'Report: Checkout is down' }).click();
      await report.getByRole('link', { name: `Conversation #${b.conv}` }).click();
      await w.page.waitForURL(new RegExp(`/inbox/all\\?.*c=${b.conv}`));
      expect(w.errors).toEqual([]);
    }
  });
});
