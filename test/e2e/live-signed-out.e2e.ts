/**
 * A desk left open in a browser when its session ends elsewhere: signed out in another tab, the
 * live stream gets `signed-out` and the page goes to the sign-in page; the brand requiring
 * two-factor sign-in of someone without it, the page turns into the screen that sets it up. In
 * neither case does the page open the live stream again (no reconnecting to be refused). Their
 * role changed by an admin, the page shows what the new role has and opens a new stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { sse } from '../../src/server/routes/events.js';
import { Client, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(() => {
  // checked every second (the browser accepts a ping period from 1 s)
  sse.pingMs = 1_000;
});
afterAll(() => {
  sse.pingMs = 15_000;
});

/** The page's requests for the live stream so far. */
const streamsOpened = (w: WatchedPage) => w.requests.filter((u) => new URL(u).pathname === '/api/events').length;

/** The session cookie of the page, as another tab of the same browser sends it. */
async function sameBrowser(w: WatchedPage): Promise<Client> {
  const c = new Client(desk.url);
  const cookie = (await w.context.cookies(desk.url)).find((x) => x.name === 'parley_session')!;
  c.cookie = `${cookie.name}=${cookie.value}`;
  const me = await c.get('/api/me');
  expect(me.status).toBe(200);
  c.csrf = me.json.csrfToken;
  return c;
}

/** Waits a few check periods, then: no stream was opened since `before`. */
async function noReconnect(w: WatchedPage, before: number, page: Page) {
  await page.waitForTimeout(4_500);
  expect(streamsOpened(w), 'the page opened the live stream again').toBe(before);
}

describe('the live stream of a session that has ended', () => {
  it('signed out in another tab: the open desk goes to the sign-in page, without reconnecting', async () => {
    const w = await open();
    await signIn(w.page, desk.url, 'ana@acme.test');
    const opened = streamsOpened(w);
    expect(opened).toBeGreaterThan(0);
    const otherTab = await sameBrowser(w);
    expect((await otherTab.post('/api/auth/logout')).status).toBe(204);
    await w.page.waitForURL(/\/login/, { timeout: 10_000 });
    await w.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await noReconnect(w, opened, w.page);
    expect(w.errors).toEqual([]);
  }, 60_000);

  it('made an expert by an admin: the open desk shows what an expert has, on a new stream, without signing out', async () => {
    const w = await open();
    await signIn(w.page, desk.url, 'ben@acme.test');
    const opened = streamsOpened(w);
    await w.page.getByRole('link', { name: 'Queues' }).waitFor();
    expect(await w.page.getByRole('link', { name: /Questions for me/ }).count()).toBe(0);
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const ben = desk.users.ben;
    expect((await admin.req('PATCH', `/api/users/${ben}`, { role: 'expert' })).status).toBe(200);
    try {
      // the desk asked who it is again: an expert's navigation, still signed in
      await w.page.getByRole('link', { name: /Questions for me/ }).waitFor({ timeout: 10_000 });
      expect(await w.page.getByRole('link', { name: 'Queues' }).count()).toBe(0);
      expect(w.page.url()).not.toMatch(/\/login/);
      // and the live stream was opened again, for the expert
      await expect.poll(() => streamsOpened(w), { timeout: 5_000 }).toBeGreaterThan(opened);
      expect(w.errors).toEqual([]);
    } finally {
      expect((await admin.req('PATCH', `/api/users/${ben}`, { role: 'agent' })).status).toBe(200);
    }
  }, 60_000);

  it('the brand now requires two-factor sign-in: the open desk turns into the set-up screen, without reconnecting', async () => {
    const w = await open();
    await signIn(w.page, desk.url, 'ben@acme.test');
    const opened = streamsOpened(w);
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    expect((await admin.req('PATCH', '/api/settings/workflow', { security: { twoFactorRequired: true } })).status).toBe(200);
    try {
      await w.page.getByRole('heading', { name: 'Set up two-factor sign-in', level: 1 }).waitFor({ timeout: 10_000 });
      await noReconnect(w, opened, w.page);
      expect(w.errors).toEqual([]);
    } finally {
      // (the admin, held by the policy too, is let out of it at the database)
      const db = desk.db.store.db;
      await db.updateTable('brand').set({ settings: '{}' }).where('id', '=', desk.brandId).execute();
    }
  }, 60_000);
});
