/**
 * The web chat widget in Chromium, embedded in a brand's page on another origin
 * (a local site server whose CSP allows nothing but the widget script and
 * connections to Parley; no inline styles). A visitor sees the opening hours,
 * writes; the message reaches Parley (read back through the agents' API); an
 * agent's reply — hostile markup included — appears live in the widget as
 * inert text; open hours show after the calendar changes; a page on an
 * origin the account does not allow gets no chat; and a widget still holding a
 * token Parley did not issue (one made before Parley recorded the tokens it
 * issues) starts a new chat with an issued token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDesk, type TestDesk } from '../helpers/parley.js';
import { freePort } from '../setup/services.js';
import { ensureChromium, eventually, launchBrowser, openPage, type WatchedPage } from './browser.js';

let desk: TestDesk;
let admin: Client;
let browser: Browser;
let accountId = 0;
const sites: Server[] = [];
let siteUrl = '';
let otherSiteUrl = '';
let w: WatchedPage;

const HOSTILE = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script> Your parcel ships today \u202Eevil\u202C';
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A brand's site: one page embedding the widget, under a strict CSP. */
async function startSite(parley: string, account: number): Promise<{ server: Server; url: string }> {
  const port = await freePort();
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme shop</title></head>
<body><main><h1>Acme shop</h1><p>Kettles and more.</p></main>
<script src="${parley}/webchat/widget.js" data-account="${account}" async></script></body></html>`;
  const server = createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; script-src ${parley}; connect-src ${parley}; style-src 'none'; img-src 'none'`,
    });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  sites.push(server);
  return { server, url: `http://localhost:${port}` };
}

async function setCalendar(weekly: Record<string, { start: string; end: string }[]>) {
  const r = await admin.req('PUT', `/api/channel-accounts/${accountId}/calendar`, { calendar: { timeZone: 'UTC', weekly } });
  expect(r.status).toBe(200);
}

const widget = () => w.page.locator('[data-parley-webchat]');
/** Where the widget keeps its token (see widget.js). */
const tokenKey = () => `parley-webchat:${new URL(desk.url).origin}:${accountId}`;
/** The page's storage (the browser's; this file is type-checked without the DOM). */
type Storage = { getItem(k: string): string | null; setItem(k: string, v: string): void };
// (runs in the page: nothing from this module's scope)
const storedToken = (page: WatchedPage['page']) => page.evaluate(([k]) => (globalThis as unknown as { localStorage: Storage }).localStorage.getItem(k!), [tokenKey()]);
/** The visitor the server issued this token to, if it did. */
async function issuedTo(token: string | null): Promise<string | null> {
  if (!token) return null;
  const hash = createHash('sha256').update(token).digest('hex');
  const row = await desk.db.store.db.selectFrom('webchat_visitor').select('visitor_id').where('token_hash', '=', hash).where('channel_account_id', '=', accountId).executeTakeFirst();
  return row?.visitor_id ?? null;
}

beforeAll(async () => {
  ensureChromium();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  const created = await admin.post('/api/channel-accounts', { network: 'webchat', handle: 'Acme chat', externalId: 'acme-shop', settings: { allowedOrigins: [], title: 'Acme Help', greeting: 'Hi! Ask us anything.' } });
  expect(created.status).toBe(201);
  accountId = created.json.id;
  siteUrl = (await startSite(desk.url, accountId)).url;
  otherSiteUrl = (await startSite(desk.url, accountId)).url;
  // only the first site may embed the chat
  expect((await admin.req('PATCH', `/api/channel-accounts/${accountId}`, { settings: { allowedOrigins: [siteUrl], title: 'Acme Help', greeting: 'Hi! Ask us anything.' } })).status).toBe(200);
  // closed now: open tomorrow (UTC) 09:00–17:00 only
  await setCalendar({ [DAYS[(new Date().getUTCDay() + 1) % 7]!]: [{ start: '09:00', end: '17:00' }] });
  browser = await launchBrowser();
  w = await openPage(browser, { viewport: { width: 1024, height: 768 } });
});

afterAll(async () => {
  await w?.close();
  await browser?.close();
  for (const s of sites) await new Promise<void>((r) => s.close(() => r()));
  await desk?.stop();
  // startDesk's data directory (the server's secret): ours to remove
  if (desk) rmSync(desk.parley.services.config.dataDir, { recursive: true, force: true });
});

describe('web chat widget', () => {
  it('embeds on a strict-CSP page and shows that the team is offline, when it is back, and what to expect', async () => {
    await w.page.goto(siteUrl);
    const launcher = w.page.getByRole('button', { name: 'Chat with us' });
    await launcher.waitFor();
    // styled from its shadow root although the page allows no inline style
    expect(await launcher.evaluate((e) => (globalThis as any).getComputedStyle(e).position)).toBe('fixed');
    await launcher.click();
    const dialog = w.page.getByRole('dialog', { name: 'Acme Help' });
    await dialog.waitFor();
    await expect.poll(() => dialog.locator('.status-text').textContent()).toBe('We\'re offline now \u2014 back tomorrow at 9:00 UTC');
    expect(await dialog.locator('.hours').textContent()).toMatch(/^We're here \w{3} 9am–5pm UTC; we reply within 30 min during those hours\.$/);
    expect(await dialog.locator('.reply').textContent()).toBe('Leave a message and we\'ll reply when we\'re back.');
    expect(await dialog.locator('.greeting').textContent()).toBe('Hi! Ask us anything.');
    expect(await w.page.getByLabel('Your message').evaluate((e) => e === (e.getRootNode() as any).activeElement)).toBe(true);
  });

  it('sends the visitor\'s message to Parley, where agents see it', async () => {
    const input = w.page.getByLabel('Your message');
    await input.fill('Where is my kettle? Order #4411 <b>asap</b>');
    await input.press('Enter');
    const mine = widget().locator('.msg.visitor');
    await expect.poll(() => mine.last().locator('.meta').textContent(), { timeout: 10_000 }).not.toBe('Sending\u2026');
    expect(await mine.last().locator('.text').textContent()).toBe('Where is my kettle? Order #4411 <b>asap</b>');
    const conv = await eventually(async () => {
      const list = await admin.get('/api/conversations?network=webchat');
      return list.json.items.find((c: { channelAccountId: number }) => c.channelAccountId === accountId);
    }, 'the web chat conversation in Parley');
    const d = await admin.get(`/api/conversations/${conv.id}`);
    expect(d.json.messages[0]).toMatchObject({ text: 'Where is my kettle? Order #4411 <b>asap</b>', kind: 'chat', visibility: 'private', direction: 'inbound' });
    expect(d.json.messages[0].author.handle).toMatch(/^visitor-/);
    // the widget keeps the token the server issued, and the message is that visitor's
    const token = await storedToken(w.page);
    const visitorId = await issuedTo(token);
    expect(visitorId).not.toBeNull();
    expect(d.json.messages[0].networkMessageId).toMatch(new RegExp(`^wc-${visitorId}-m`));
  });

  it('shows the agent\'s reply live, hostile markup as inert text', async () => {
    const list = await admin.get('/api/conversations?network=webchat');
    const conv = list.json.items.find((c: { channelAccountId: number }) => c.channelAccountId === accountId);
    const r = await admin.post(`/api/conversations/${conv.id}/replies`, { text: HOSTILE, visibility: 'private' });
    expect(r.status).toBe(202);
    const reply = widget().locator('.msg.agent:not(.greeting)');
    await reply.first().waitFor({ timeout: 15_000 });
    expect(await reply.first().locator('.text').textContent()).toBe(HOSTILE);
    expect(await reply.first().locator('.meta').textContent()).toMatch(/^Acme Help · /);
    const injected = await widget().evaluate((host) => host.shadowRoot!.querySelectorAll('.log img, .log script, .log iframe').length);
    expect(injected).toBe(0);
    expect(await w.page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(w.dialogs).toEqual([]);
    expect(w.requests.filter((u) => /\/x$/.test(u))).toEqual([]);
    expect(w.errors).toEqual([]);
  });

  it('shows the team online once the calendar says so, and keeps the visitor\'s transcript across page loads', async () => {
    await setCalendar(Object.fromEntries(DAYS.map((d) => [d, [{ start: '00:00', end: '24:00' }]])));
    await w.page.reload();
    await w.page.getByRole('button', { name: 'Chat with us' }).click();
    const dialog = w.page.getByRole('dialog', { name: 'Acme Help' });
    await expect.poll(() => dialog.locator('.status-text').textContent()).toBe('We\'re online now');
    expect(await dialog.locator('.reply').textContent()).toBe('We usually reply within 30 min.');
    expect(await dialog.locator('.hours').textContent()).toBe('We\'re here 24/7; we reply within 30 min.');
    await expect.poll(() => widget().locator('.msg:not(.greeting) .text').allTextContents()).toEqual(['Where is my kettle? Order #4411 <b>asap</b>', HOSTILE]);
    expect(w.consoleErrors).toEqual([]);
  });

  it('gives a page on an origin the account does not allow no chat', async () => {
    const other = await openPage(browser);
    try {
      await other.page.goto(otherSiteUrl);
      await other.page.getByRole('button', { name: 'Chat with us' }).click();
      await expect.poll(() => other.page.locator('[data-parley-webchat] .status-text').textContent()).toBe('Chat is unavailable right now.');
      expect(await other.page.locator('[data-parley-webchat] .msg:not(.greeting)').count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('drops a token Parley did not issue (kept from before the upgrade) and starts a new chat with an issued one', async () => {
    const old = randomBytes(32).toString('hex'); // what a client could once make up for itself
    const other = await openPage(browser);
    try {
      await other.page.goto(siteUrl);
      await other.page.getByRole('button', { name: 'Chat with us' }).waitFor();
      await other.page.evaluate(([k, t]) => (globalThis as unknown as { localStorage: Storage }).localStorage.setItem(k!, t!), [tokenKey(), old]);
      await other.page.reload();
      // the returning visitor's poll is refused (401): the widget forgets the token and says so
      await expect.poll(() => storedToken(other.page)).toBeNull();
      await other.page.getByRole('button', { name: 'Chat with us' }).click();
      const notice = other.page.locator('[data-parley-webchat] .notice');
      await expect.poll(() => notice.textContent()).toBe('Your earlier chat could not be resumed; your next message starts a new one.');
      const input = other.page.getByLabel('Your message');
      await input.fill('Hello again, is my kettle coming?');
      await input.press('Enter');
      const mine = other.page.locator('[data-parley-webchat] .msg.visitor');
      await expect.poll(() => mine.last().locator('.meta').textContent(), { timeout: 10_000 }).not.toMatch(/Sending|Not sent/);
      expect(await notice.textContent()).toBe('');
      const token = await storedToken(other.page);
      expect(token).not.toBe(old);
      const visitorId = await issuedTo(token);
      expect(visitorId).not.toBeNull();
      // the message reached the team as the new visitor's; the made-up token named no one
      expect(await issuedTo(old)).toBeNull();
      const conv = await eventually(async () => {
        const list = await admin.get('/api/conversations?network=webchat');
        for (const c of list.json.items.filter((i: { channelAccountId: number }) => i.channelAccountId === accountId)) {
          const d = await admin.get(`/api/conversations/${c.id}`);
          if (d.json.messages.some((m: { networkMessageId: string }) => m.networkMessageId.startsWith(`wc-${visitorId}-`))) return d.json;
        }
        return undefined;
      }, 'the new visitor\'s conversation');
      expect(conv.messages.map((m: { text: string }) => m.text)).toEqual(['Hello again, is my kettle coming?']);

      // refused on sending (the page kept a token across the upgrade, its poll not yet refused):
      // the widget starts a new session once and the message is stored once, under the new visitor
      await desk.db.store.db.deleteFrom('webchat_visitor').where('visitor_id', '=', visitorId!).execute();
      await input.fill('Still there?');
      await input.press('Enter');
      await expect.poll(() => mine.last().locator('.meta').textContent(), { timeout: 10_000 }).not.toMatch(/Sending|Not sent/);
      const renewed = await storedToken(other.page);
      expect(renewed).not.toBe(token);
      const third = await issuedTo(renewed);
      expect(third).not.toBeNull();
      const stored = await desk.db.store.db.selectFrom('message').select(['network_message_id', 'text']).where('text', '=', 'Still there?').execute();
      expect(stored).toHaveLength(1);
      expect(stored[0]!.network_message_id).toMatch(new RegExp(`^wc-${third}-m`));
      expect(other.errors).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
