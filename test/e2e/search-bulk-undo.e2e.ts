/**
 * Bulk actions on search results, in a real browser against a real desk (SQLite): search hits
 * are ticked like list rows (a checkbox, or x on the highlighted hit), and a bulk status change
 * (resolving, snoozing) on them can be undone from its toast as in the list: each conversation
 * goes back to the status (and snooze) it had, read from the server before the action (a hit is
 * a message: it does not carry its conversation's snooze). What was not selected is not touched.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let admin: Client;
let ana: WatchedPage;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  ana = await open({ viewport: { width: 1440, height: 900 } });
  await signIn(ana.page, desk.url, 'ana@acme.test');
}, 60_000);

let seq = 0;
async function ingest(text: string): Promise<number> {
  seq++;
  const m = mention({ author: { networkUserId: `search-undo-${seq}-${Date.now()}`, handle: `searchundo${seq}`, displayName: `Search Undo ${seq}`, followers: 20 }, text, createdAt: Date.now() - 60_000 + seq * 1000 });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
  expect(r.status).toBe(200);
  return r.json.outcomes[0].conversationId as number;
}

interface State {
  status: string;
  snoozedUntil: string | null;
  assigneeId: number | null;
}
const state = async (id: number): Promise<State> => {
  const c = (await admin.get(`/api/conversations/${id}`)).json.conversation;
  return { status: c.status, snoozedUntil: c.snoozedUntil, assigneeId: c.assigneeId };
};
const setStatus = async (id: number, status: string, snoozeUntil?: string) => expect((await admin.post(`/api/conversations/${id}/status`, { status, ...(snoozeUntil ? { snoozeUntil } : {}) })).status).toBe(200);

/** The inbox searching messages for `word`, with `n` hits shown. */
async function searchFor(word: string, n: number): Promise<void> {
  const { page } = ana;
  await page.goto(`${desk.url}/inbox/all?q=${encodeURIComponent(word)}`);
  await eventually(async () => (await page.locator('.hit-row').count()) === n, `${n} search hits for ${word}`);
}
const hit = (id: number) => ana.page.locator(`.hit-row[data-conversation-id="${id}"]`);

describe('bulk actions on search results', () => {
  it('resolves ticked search results, and Undo puts each back as it was (status and snooze), through the API', async () => {
    const word = `wombat${Date.now().toString(36)}`;
    const asNew = await ingest(`@AcmeCare ${word} still new`);
    const asOpen = await ingest(`@AcmeCare ${word} already open`);
    const snoozed = await ingest(`@AcmeCare ${word} snoozed for later`);
    const bystander = await ingest(`@AcmeCare ${word} not selected`);
    await setStatus(asOpen, 'open');
    const until = new Date(Date.now() + 6 * 3_600_000).toISOString();
    await setStatus(snoozed, 'waiting', until);
    const before = new Map<number, State>();
    for (const id of [asNew, asOpen, snoozed, bystander]) before.set(id, await state(id));
    expect(before.get(asNew)!.status).toBe('new');
    expect(before.get(snoozed)!.snoozedUntil).not.toBeNull();

    await searchFor(word, 4);
    const { page } = ana;
    // two by their checkbox, one by keyboard: x on the highlighted hit
    await hit(asNew).getByRole('checkbox').check();
    await hit(asOpen).getByRole('checkbox').check();
    await hit(snoozed).locator('a.row-link').focus();
    await page.keyboard.press('x');
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('3 selected').waitFor({ timeout: 5_000 });
    expect(await hit(snoozed).getByRole('checkbox').isChecked()).toBe(true);
    expect(await hit(bystander).getByRole('checkbox').isChecked()).toBe(false);

    await bar.getByLabel('Set status of selected').selectOption('resolved');
    await eventually(async () => {
      for (const id of [asNew, asOpen, snoozed]) if ((await state(id)).status !== 'resolved') return false;
      return true;
    }, 'the three resolved');
    expect(await state(bystander)).toEqual(before.get(bystander));
    // the hits show what changed
    await hit(asOpen).locator('.badge.status', { hasText: 'Resolved' }).waitFor({ timeout: 5_000 });

    await page.locator('.toasts .toast', { hasText: 'Status set to resolved' }).getByRole('button', { name: /Undo/ }).click();
    await eventually(async () => {
      for (const id of [asNew, asOpen, snoozed]) {
        const now = await state(id);
        const was = before.get(id)!;
        if (now.status !== was.status || now.snoozedUntil !== was.snoozedUntil) return false;
      }
      return true;
    }, 'each back to its own status and snooze');
    await page.locator('.toasts .toast', { hasText: 'Undone: 3 conversations back as they were' }).waitFor({ timeout: 5_000 });
    for (const id of [asNew, asOpen, snoozed, bystander]) expect(await state(id), `conversation ${id}`).toEqual(before.get(id));
    // and so do the hits, again
    await hit(asOpen).locator('.badge.status', { hasText: 'Open' }).waitFor({ timeout: 5_000 });
    expect(ana.errors).toEqual([]);
  });

  it('snoozes ticked search results (two hits of one conversation tick together, it counts once), and Undo puts them back', async () => {
    const word = `numbat${Date.now().toString(36)}`;
    const a = await ingest(`@AcmeCare ${word} one`);
    const b = await ingest(`@AcmeCare ${word} two`);
    await setStatus(b, 'open');
    // the brand's reply in b matches too: two hits of b
    const sent = await admin.post(`/api/conversations/${b}/replies`, { text: `About the ${word}: we are on it.`, visibility: 'public', idempotencyKey: `search-undo-${word}` });
    expect([200, 202]).toContain(sent.status);
    const before = new Map<number, State>([
      [a, await state(a)],
      [b, await state(b)],
    ]);
    await searchFor(word, 3);
    const { page } = ana;
    expect(await hit(b).count()).toBe(2);
    await hit(a).getByRole('checkbox').check();
    await hit(b).first().getByRole('checkbox').check();
    expect(await hit(b).nth(1).getByRole('checkbox').isChecked()).toBe(true);
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('All 2 conversations selected').waitFor({ timeout: 5_000 });
    await bar.getByRole('button', { name: 'Snooze…' }).click();
    await page.getByRole('dialog', { name: 'Snooze until…' }).getByRole('button', { name: 'In 4 hours' }).click();
    await eventually(async () => (await state(a)).snoozedUntil != null && (await state(b)).snoozedUntil != null, 'both snoozed');
    await page.locator('.toasts .toast', { hasText: 'Snoozed until' }).getByRole('button', { name: /Undo/ }).click();
    await eventually(async () => {
      for (const [id, was] of before) if (JSON.stringify(await state(id)) !== JSON.stringify(was)) return false;
      return true;
    }, 'both back, unsnoozed');
    expect(ana.errors).toEqual([]);
  });
});
