/**
 * The live connection in a real browser when the server goes away: stopping the server ends
 * the browser's event stream at once (stopping does not wait for it), the top bar says
 * "Reconnecting…", and once a server listens again new messages appear in the inbox that
 * stayed open. A stream that goes silent without an error (here: a proxy that stops passing
 * it on) is noticed after about two ping periods, reconnected, and resumed after the last
 * event seen, so nothing published meanwhile is missed. And the header's notifications: a
 * real unread count, read when opened, "Mark all read", live in the person's other tabs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createParley, type Parley } from '../../src/app.js';
import { createBrand, createChannelAccount, createUser } from '../../src/commands/setup.js';
import { loadConfig } from '../../src/config.js';
import { sse } from '../../src/server/routes/events.js';
import { createTestDatabase, type TestDatabase } from '../db.js';
import { Client, mention, PASSWORD } from '../helpers/parley.js';
import { freePort } from '../setup/services.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openPage, row, signIn, type WatchedPage } from './browser.js';

let db: TestDatabase;
let dataDir: string;
let port: number;
let parley: Parley;
let url: string;
let accountId: number;
let adminId: number;
let browser: Browser;
const pages: WatchedPage[] = [];

/** A Parley on `port` over the shared database: the same desk, as a restarted process would be. */
async function startParley(): Promise<Parley> {
  const config = loadConfig({}, { port, host: '127.0.0.1', demo: false, logLevel: 'warn', dataDir });
  const p = await createParley({ config, store: db.store });
  await p.listen();
  return p;
}

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  db = await createTestDatabase('sqlite');
  const now = Date.now();
  const brandId = await createBrand(db.store.db, { slug: 'acme', name: 'Acme', timezone: 'Europe/London' }, now);
  accountId = await createChannelAccount(db.store.db, { brandId, network: 'x', handle: 'AcmeCare', driver: 'demo' }, now);
  adminId = await createUser(db.store.db, { brandId, email: 'admin@acme.test', name: 'Ada Admin', role: 'admin', password: PASSWORD, availability: 'online' }, now);
  dataDir = mkdtempSync(join(tmpdir(), 'parley-live-'));
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  parley = await startParley();
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  sse.pingMs = 15_000;
  await parley?.stop().catch(() => {});
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

let seq = 0;
async function ingest(base = url): Promise<number> {
  const admin = await Client.signIn(base, 'admin@acme.test');
  seq++;
  const m = mention({ author: { networkUserId: `live-${seq}-${Date.now()}`, handle: `live${seq}`, displayName: `Live ${seq}`, followers: 10 }, text: `@AcmeCare live arrival number ${seq}` });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [m] });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId as number;
}

/** Record every text the top bar's live indicator shows from now on. */
async function watchLiveText(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(`(() => {
    const seen = (window.__liveTexts = []);
    const note = () => {
      const t = document.querySelector('.live-text')?.textContent ?? '';
      if (seen[seen.length - 1] !== t) seen.push(t);
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  })()`);
  return async () => (await page.evaluate('window.__liveTexts')) as string[];
}

async function inboxPage(base: string): Promise<Page> {
  const w = await openPage(browser);
  pages.push(w);
  await signIn(w.page, base, 'admin@acme.test');
  await w.page.goto(`${base}/inbox/all`);
  await w.page.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
  return w.page;
}

describe('the live connection across a server restart', () => {
  it('stopping the server ends the stream at once; the open inbox says Reconnecting…, then shows what arrives on the restarted server', async () => {
    const page = await inboxPage(url);
    const before = await ingest();
    await row(page, before).waitFor({ timeout: 10_000 });
    const texts = await watchLiveText(page);

    const t0 = Date.now();
    const stopped = await Promise.race([parley.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    expect(stopped, 'the server stopped while a browser was attached').toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await page.locator('.live-reconnecting, .live-offline').waitFor({ state: 'attached', timeout: 10_000 });
    expect(await page.locator('.live-text').textContent()).toBe('Reconnecting…');

    parley = await startParley();
    await page.locator('.live-live').waitFor({ state: 'attached', timeout: 20_000 });
    const after = await ingest();
    await row(page, after).waitFor({ timeout: 10_000 });
    expect(await texts()).toEqual(expect.arrayContaining(['Live', 'Reconnecting…']));
    expect((await texts()).at(-1)).toBe('Live');
  }, 90_000);
});

/** A TCP proxy in front of the desk that can stop passing on the event streams open now. */
async function startProxy(target: number): Promise<{ url: string; freeze(): void; close(): Promise<void> }> {
  const streams = new Set<Socket>();
  const frozen = new Set<Socket>();
  const all = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ port: target, host: '127.0.0.1' });
    all.add(client);
    all.add(upstream);
    client.on('data', (chunk) => {
      if (frozen.has(client)) return;
      if (chunk.includes('GET /api/events')) streams.add(client);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!frozen.has(client)) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      streams.delete(client);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  const p = await freePort();
  await new Promise<void>((r) => server.listen(p, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${p}`,
    freeze: () => {
      for (const s of streams) frozen.add(s);
    },
    close: () => new Promise<void>((r) => {
      for (const s of all) s.destroy();
      server.close(() => r());
    }),
  };
}

describe('a stream that goes silent', () => {
  it('is noticed after about two ping periods, reconnected, and resumed after the last event seen', async () => {
    sse.pingMs = 1_000;
    const proxy = await startProxy(port);
    try {
      const page = await inboxPage(proxy.url);
      const first = await ingest(proxy.url);
      await row(page, first).waitFor({ timeout: 10_000 });
      // the page has heard a ping saying the period
      await new Promise((r) => setTimeout(r, 1_500));
      const texts = await watchLiveText(page);
      proxy.freeze();
      // published while the stream is silent: only a resumed stream can bring it
      const missed = await ingest(url);
      await eventually(async () => (await texts()).includes('Reconnecting…'), 'Reconnecting… after the silence', 8_000);
      await page.locator('.live-live').waitFor({ state: 'attached', timeout: 10_000 });
      await row(page, missed).waitFor({ timeout: 10_000 });
      // and it goes on live
      const next = await ingest(url);
      await row(page, next).waitFor({ timeout: 10_000 });
      const events = pages.at(-1)!.requests.filter((u) => u.includes('/api/events'));
      expect(events.some((u) => /[?&]lastEventId=\d+/.test(u))).toBe(true);
    } finally {
      sse.pingMs = 15_000;
      await proxy.close();
    }
  }, 90_000);
});

describe('notifications in the top bar', () => {
  it('count every unread one, are read when opened, and "Mark all read" reads the rest, in every tab', async () => {
    const conversationId = await ingest();
    const now = Date.now();
    const rows = Array.from({ length: 120 }, (_, i) => ({ brand_id: 1, user_id: adminId, kind: 'note.mention', title: `Mentioned ${i}`, body: 'in a note', conversation_id: i === 119 ? conversationId : null, created_at: now + i }));
    const brand = await db.store.db.selectFrom('app_user').select('brand_id').where('id', '=', adminId).executeTakeFirstOrThrow();
    for (const r of rows) r.brand_id = Number(brand.brand_id);
    for (let i = 0; i < rows.length; i += 60) await db.store.db.insertInto('notification').values(rows.slice(i, i + 60)).execute();

    const page = await inboxPage(url);
    const other = await inboxPage(url);
    const badge = (p: Page) => p.locator('[data-testid="notifications-unread"]');
    await eventually(async () => (await badge(page).textContent())?.startsWith('120'), 'the badge at 120 (more than the list holds)');

    await page.getByRole('button', { name: /^Notifications/ }).click();
    await page.getByRole('button', { name: `Open conversation #${conversationId}` }).click();
    await page.locator('.conversation .conv-title h2').waitFor({ timeout: 10_000 });
    await eventually(async () => (await badge(page).textContent())?.startsWith('119'), 'the badge at 119 once opened');
    // the other tab follows, and a reload still says so
    await eventually(async () => (await badge(other).textContent())?.startsWith('119'), 'the other tab at 119');
    await page.reload();
    await page.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
    await eventually(async () => (await badge(page).textContent())?.startsWith('119'), 'still 119 after a reload');

    await page.getByRole('button', { name: /^Notifications/ }).click();
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await badge(page).waitFor({ state: 'detached', timeout: 10_000 });
    await badge(other).waitFor({ state: 'detached', timeout: 10_000 });
    await page.reload();
    await page.locator('.live-live').waitFor({ state: 'attached', timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(await badge(page).count()).toBe(0);
  }, 90_000);
});
