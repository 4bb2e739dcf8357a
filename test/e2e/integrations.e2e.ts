/**
 * Settings → Integrations in a real browser: an admin registers a webhook endpoint (a receiver
 * on 127.0.0.1, private targets allowed for the test), each event type offered with a plain-words
 * description, history imports off unless asked (and changed in its row), its signing secret is
 * shown once, a test event is sent and shows as delivered in the endpoint's deliveries; a hostile
 * description is shown as text; the section is not offered to team leads; no serious axe violations.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, type AxeViolation, axeSerious, ensureChromium, ensureWebBuild, launchBrowser, openPage, originOf, signIn, type WatchedPage } from './browser.js';

const HOSTILE = '<img src=x onerror="window.__pwned=1"> Slack \u202Eexe.txt';
let desk: TestDesk;
let browser: Browser;
let server: Server;
let hookUrl = '';
const received: { headers: Record<string, string>; body: string }[] = [];
const pages: WatchedPage[] = [];

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  desk = await startDesk('sqlite', { config: { webhooksAllowPrivate: true } });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const w of pages) await w.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
  await new Promise<void>((r) => server?.close(() => r()));
});

async function pageAs(email: string, opts: Parameters<typeof openPage>[1] = {}): Promise<WatchedPage> {
  const w = await openPage(browser, opts);
  pages.push(w);
  await signIn(w.page, desk.url, email);
  return w;
}

describe('Settings → Integrations', () => {
  it('registers an endpoint, shows its secret once, sends a test event and lists it delivered', async () => {
    // axe is injected as a script: the page's CSP is bypassed for it
    const w = await pageAs('admin@acme.test', { bypassCSP: true });
    const { page } = w;
    await page.goto(`${desk.url}/admin/integrations`);
    await page.getByRole('heading', { name: 'Webhook endpoints', level: 2 }).waitFor();
    await page.getByText('No endpoints yet.').waitFor();
    await page.getByLabel('URL').fill(hookUrl);
    await page.getByLabel('Description').fill(HOSTILE);
    // every event type is offered with what it means in plain words, read out with its checkbox
    for (const [type, words] of [['sla.breached', 'missed an SLA target'], ['conversation.note_added', 'the note\'s text is sent'], ['conversation.labels_changed', 'Labels are added'], ['conversation.priority_changed', 'changes a conversation\'s priority']] as const) {
      const box = page.getByRole('checkbox', { name: type, exact: true });
      await box.waitFor();
      const describedBy = await box.getAttribute('aria-describedby');
      expect(describedBy, type).toBeTruthy();
      expect(await page.locator(`[id="${describedBy}"]`).innerText(), type).toContain(words);
    }
    await page.getByRole('checkbox', { name: 'conversation.resolved' }).check();
    // history imports: off unless asked, with what it does in plain words
    const history = page.getByRole('checkbox', { name: 'Include history imports', exact: true });
    expect(await history.isChecked()).toBe(false);
    expect(await page.locator(`[id="${await history.getAttribute('aria-describedby')}"]`).innerText()).toContain('"history": true');
    await history.check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await page.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('Signing secret').count()).toBe(0);
    await page.getByText(HOSTILE, { exact: true }).waitFor();
    expect(await page.content()).not.toContain(secret);
    // the endpoint takes history; turned off in its row, it says so
    const rowHistory = page.getByRole('checkbox', { name: `Include history imports: ${hookUrl}` });
    expect(await rowHistory.isChecked()).toBe(true);
    await page.getByText('includes history imports').waitFor();
    // a slow save (as over a real network): the box shows the new value while it is saved
    await page.route('**/api/integrations/webhooks/*', async (route) => {
      if (route.request().method() === 'PATCH') await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    });
    // read in the click's own task: the box must not spring back while the save is told to the page
    // (Playwright's uncheck() reads it a moment later, and lost that race on a loaded machine)
    expect(await rowHistory.evaluate((el: HTMLInputElement) => { el.click(); return el.checked; })).toBe(false);
    await page.getByText('includes history imports').waitFor({ state: 'detached' });
    await page.unroute('**/api/integrations/webhooks/*');
    expect(await rowHistory.isChecked()).toBe(false);

    await page.getByRole('button', { name: 'Send test event' }).click();
    const deliveries = page.locator('table.webhook-deliveries');
    await deliveries.locator('tr[data-delivery-status="delivered"]').getByText('webhook.test').waitFor({ timeout: 15_000 });
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.body).type).toBe('webhook.test');
    expect(received[0]!.headers['webhook-signature']).toMatch(/^v1,/);

    await axeSerious(page);
    const v = (await page.evaluate(`(async () => {
      const r = await window.axe.run({ include: [['.tabs'], ['.page-sections']] }, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '')) }));
    })()`)) as AxeViolation[];
    const serious = v.filter((x) => x.impact === 'serious' || x.impact === 'critical');
    expect(serious, axeReport(serious)).toEqual([]);

    expect(w.dialogs).toEqual([]);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(w.requests.filter((u) => originOf(u) !== originOf(desk.url))).toEqual([]);
    expect(w.errors).toEqual([]);
  });

  it('is not offered to team leads', async () => {
    const w = await pageAs('cleo@acme.test');
    await w.page.goto(`${desk.url}/admin/integrations`);
    await w.page.getByRole('navigation', { name: 'Settings sections' }).waitFor();
    expect(await w.page.getByRole('link', { name: 'Integrations' }).count()).toBe(0);
    await w.page.getByText('Integrations are for admins').waitFor();
  });
});
