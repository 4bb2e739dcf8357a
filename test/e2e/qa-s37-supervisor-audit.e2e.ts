/**
 * QA (admin, audit log), in a real browser: an entry's details read as a lead would say them —
 * people and teams by name, nothing as "none", a record inside a record ("to") as
 * "assignee Ana Agent · team Care" — where before they were raw JSON with database ids
 * (`{"assigneeId":2,"teamId":1}`, `null`). A person's own words stay exactly as written. On a
 * phone (390 px) the Who column keeps names whole ("Ada Admin"), where it broke them inside their
 * words ("Ad a Adm in"); the table scrolls sideways in its own box instead.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let w: WatchedPage;
const browser = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  w = await browser.open({ viewport: { width: 1280, height: 1000 } });
  await signIn(w.page, desk.url, 'admin@acme.test');
}, 120_000);

describe('audit log details in words', () => {
  it('names the people and teams of an assignment and says "none" for nothing', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare my refund never came' })] })).json.outcomes[0];
    const id = o.conversationId as number;
    expect((await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana, teamId: desk.teamId })).status).toBe(200);
    expect((await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ben })).status).toBe(200);
    const name = '<b>Night</b> shift {"teamId":1}';
    expect((await admin.post('/api/teams', { name })).status).toBeLessThan(300);

    await w.page.goto(`${desk.url}/admin/audit`);
    const assigned = w.page.locator(`tr[data-action="conversation.assigned"]`);
    await assigned.first().waitFor({ timeout: 15_000 });
    // newest first: Ana → Ben, then (nobody) → Ana in Care
    const details = (row: number) => assigned.nth(row).locator('td').last().innerText();
    expect((await details(0)).replace(/\s+/g, ' ').trim()).toBe('from assignee Ana Agent · team Care to assignee Ben Agent · team Care');
    const first = (await details(1)).replace(/\s+/g, ' ').trim();
    expect(first).toMatch(/^from assignee none · team (none|Care) to assignee Ana Agent · team Care$/);
    expect(first).not.toMatch(/[{}"]|null/);

    // a team's name is shown as typed, braces and all
    const created = w.page.locator(`tr[data-action="team.created"]`).first();
    expect(await created.innerText()).toContain(name);
    expect(w.errors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
  });

  it('keeps the names in the Who column whole on a phone', async () => {
    const phone = await browser.open({ viewport: { width: 390, height: 844 } });
    await signIn(phone.page, desk.url, 'admin@acme.test');
    await phone.page.goto(`${desk.url}/admin/audit`);
    const who = phone.page.locator('tr[data-action="auth.login"] td:nth-child(2)').first();
    await who.waitFor({ timeout: 15_000 });
    expect((await who.innerText()).trim()).toBe('Ada Admin');
    // each word of the name is laid out on one line (a word broken inside has two or more boxes)
    const lines = await who.evaluate((td) => {
      const words: number[] = [];
      const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
      for (let node = walk.nextNode(); node; node = walk.nextNode()) {
        const re = /\S+/g;
        for (let m = re.exec(node.textContent!); m; m = re.exec(node.textContent!)) {
          const r = document.createRange();
          r.setStart(node, m.index);
          r.setEnd(node, m.index + m[0].length);
          words.push(new Set(Array.from(r.getClientRects(), (b) => Math.round(b.top))).size);
        }
      }
      return words;
    });
    expect(lines).toEqual([1, 1]);
    // the page itself is never wider than the phone: the table scrolls in its own box
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(phone.errors).toEqual([]);
  });
});
