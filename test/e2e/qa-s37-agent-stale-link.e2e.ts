/**
 * QA as a care agent (session 37): an inbox link with parameters the desk does not know (an old
 * bookmark, a mistyped or hand-edited address: ?sort=nonsense, ?status=bogus, ?c=abc) opens the
 * view as if they were not there. The router handed them on beside the validated ones, so the
 * list asked the server with them and showed "Could not load conversations: querystring/sort …"
 * (a 400 and a console error), and ?c=abc asked for conversation "abc".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, row, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
});

describe('QA s37: stale or mistyped inbox links', () => {
  it('ignores parameters the inbox does not know, asks the server nothing with them, and keeps working', async () => {
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare my order 88 is late', author: { networkUserId: 's37-link', handle: 's37_link', displayName: null, followers: 5 } })] });
    const id = r.json.outcomes[0].conversationId as number;
    for (const width of [1280, 390]) {
      const w = await open({ viewport: { width, height: 844 } });
      const { page } = w;
      await signIn(page, desk.url, 'ana@acme.test');
      const refused: string[] = [];
      page.on('response', (res) => {
        if (res.status() >= 400) refused.push(`${res.status()} ${res.url()}`);
      });
      await page.goto(`${desk.url}/inbox/open?sort=nonsense&status=bogus&sentiment=angry&c=abc`);
      await row(page, id).waitFor({ timeout: 10_000 });
      expect(await page.getByText(/Could not load/).count()).toBe(0);
      // no filter counted from the junk, no conversation opened for "abc"
      expect(await page.getByRole('button', { name: /^Filters/ }).textContent()).not.toMatch(/\(\d+\)/);
      expect(await page.locator('.conversation').count()).toBe(0);
      // a change made on the page leaves the junk behind
      await page.getByLabel('Sort').selectOption('priority');
      await page.waitForURL(/[?&]sort=priority/);
      expect(page.url()).not.toMatch(/bogus|angry|nonsense|c=abc/);
      await row(page, id).waitFor();
      expect(refused).toEqual([]);
      expect(w.requests.filter((u) => u.includes('/api/') && /bogus|angry|nonsense|conversations\/abc/.test(u))).toEqual([]);
      expect(w.errors).toEqual([]);
      expect(w.consoleErrors).toEqual([]);
    }
  });
});
