/**
 * The statement's "Next update" and the suggested personal reply, in a real browser against a
 * real desk (SQLite): a lead posts an incident's statement with the time of the next update —
 * typed in the brand's zone (Europe/London) even from a browser in New York; a time already
 * passed is refused in the dialog with a plain message and nothing is posted — and in a
 * conversation linked to the incident the "Suggested reply" card's "Use in reply" puts a reply
 * greeting the customer and naming that time into the composer. It is never sent by itself.
 * The incident report's timeline says the next update promised. At desktop and phone (390 px) width.
 */
import { describe, expect, it } from 'vitest';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, eventually, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

const BRAND_ZONE = 'Europe/London';
const MIN = 60_000;

/** `YYYY-MM-DDTHH:mm` of instant `t` on the wall clock of `zone`, as a datetime-local field takes it. */
function wallIn(zone: string, t: number): string {
  const p = new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(t);
  const g = (k: string) => p.find((x) => x.type === k)!.value;
  return `${g('year')}-${g('month')}-${g('day')}T${g('hour')}:${g('minute')}`;
}

/** "11:30 GMT": how the suggested reply says the time (the brand's zone). */
function hmIn(zone: string, t: number): string {
  const hm = wallIn(zone, t).slice(11);
  const abbr = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'short' }).formatToParts(t).find((x) => x.type === 'timeZoneName')!.value;
  return `${hm} ${abbr}`;
}

describe('the statement’s next update in the suggested personal reply', () => {
  for (const [label, opts] of [
    ['desktop, a lead in New York', { timezoneId: 'America/New_York' }],
    ['phone (390 px)', { viewport: { width: 390, height: 844 } }],
  ] as const) {
    it(`a past time is refused; the next update time reaches the composer, nothing is sent (${label})`, async () => {
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      // statements go straight out here (the sign-off rules have specs of their own)
      expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { incident: { requireDuringIncident: false, publicOnly: true, statementSignOff: false } } })).status).toBe(200);
      const title = `Checkout is down ${label}`;
      const inc = (await admin.post('/api/incidents', { title, reason: 'card payments fail' })).json.id as number;
      const m = mention({ author: { networkUserId: `inc-reply-${Date.now()}`, handle: 'dana_d', displayName: 'Dana Doe', followers: 10 }, text: '@AcmeCare I cannot pay for my order' });
      const conv = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId as number;
      expect((await admin.req('PUT', `/api/conversations/${conv}/incident`, { incidentId: inc })).status).toBe(200);

      const w = await open(opts);
      const { page } = w;
      await signIn(page, desk.url, 'admin@acme.test');
      await page.goto(`${desk.url}/incidents`);
      const rowOf = page.locator('tr', { has: page.locator(`[data-incident-title="${inc}"]`) });
      await rowOf.getByRole('button', { name: 'Post statement…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Post the public statement' });
      await dialog.waitFor();
      await dialog.getByLabel('Post from').selectOption(String(desk.accountId));
      await dialog.getByLabel('Statement').fill('Card payments at checkout are failing since 09:55. Orders already placed are safe.');
      const next = dialog.getByLabel('Next update (optional)');
      const hint = dialog.locator('[data-next-update-hint]');
      // the brand's zone, not the browser's, once the account is chosen
      await eventually(async () => (await hint.textContent())?.includes(BRAND_ZONE), 'the brand’s zone in the hint');

      // a time already passed: refused in the dialog, said plainly under the field, nothing posted
      await next.fill(wallIn(BRAND_ZONE, Date.now() - 2 * 60 * MIN));
      await dialog.getByRole('button', { name: 'Post statement' }).click();
      const err = dialog.getByRole('alert');
      await err.waitFor();
      expect(await err.textContent()).toContain('That time has already passed');
      expect(await next.getAttribute('aria-invalid')).toBe('true');
      expect(await next.evaluate((el) => document.activeElement === el)).toBe(true);
      expect((await admin.get('/api/incidents')).json.items.find((i: { id: number }) => i.id === inc).statements).toHaveLength(0);
      // nothing scrolls sideways with the field at phone width
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

      // three hours on, on the brand's clock: told back in the brand's zone, then posted
      const due = Math.floor((Date.now() + 3 * 60 * MIN) / MIN) * MIN;
      await next.fill(wallIn(BRAND_ZONE, due));
      await eventually(async () => (await hint.textContent())?.startsWith('Customers are told:'), 'the time as customers are told it');
      expect(await dialog.getByRole('alert').count()).toBe(0);
      await dialog.getByRole('button', { name: 'Post statement' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await desk.parley.services.outbox.runOnce();
      const stored = await desk.db.store.db.selectFrom('incident').select('next_update_at').where('id', '=', inc).executeTakeFirstOrThrow();
      expect(Number(stored.next_update_at)).toBe(due);
      await eventually(async () => (await admin.get('/api/incidents')).json.items.find((i: { id: number }) => i.id === inc).statements[0]?.status === 'sent', 'the statement posted');

      // the conversation: the suggested reply card, Use in reply fills the composer
      await openConversationAt(page, desk.url, conv);
      // on a phone the card is behind "Customer & activity", in place of the thread
      const phone = 'viewport' in opts;
      if (phone) await page.getByRole('button', { name: 'Customer & activity' }).click();
      const card = page.locator(`[data-incident-reply="${inc}"]`);
      await card.getByRole('heading', { name: 'Suggested reply' }).waitFor({ timeout: 10_000 });
      const box = page.locator('.composer-text');
      await card.getByRole('button', { name: 'Use in reply' }).click();
      await eventually(async () => (await box.inputValue()).length > 0, 'the suggestion in the reply draft');
      // the draft is in view and focused, to make it personal (on a phone: back from the side column)
      await eventually(async () => (await box.isVisible()) && (await box.evaluate((el) => document.activeElement === el)), 'the composer shown and focused');
      const draft = await box.inputValue();
      expect(draft.startsWith('Hi ')).toBe(true);
      expect(draft).toContain('Hi Dana');
      expect(draft).toContain(hmIn(BRAND_ZONE, due));
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

      // never sent by itself: no outbound message stored, nothing waiting to go out
      await desk.parley.services.outbox.runOnce();
      const outbound = await desk.db.store.db.selectFrom('message').select('id').where('conversation_id', '=', conv).where('direction', '=', 'outbound').execute();
      expect(outbound).toHaveLength(0);

      // the incident report's timeline says what was promised, and for when
      await page.goto(`${desk.url}/incidents`);
      await page.getByRole('button', { name: `Report: ${title}` }).click();
      const promised = page.locator(`[data-incident-report="${inc}"] [data-timeline="next_update_promised"]`);
      await promised.waitFor({ timeout: 10_000 });
      expect(await promised.textContent()).toMatch(/^Next update promised for /);
      expect(await promised.locator('time').getAttribute('datetime')).toBe(new Date(due).toISOString());
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(w.errors).toEqual([]);
    });
  }
});
