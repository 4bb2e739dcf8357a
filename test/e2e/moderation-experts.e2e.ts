/**
 * Undoing moderation, asking experts and changing one's password, in a real browser
 * against a real desk: a post hidden citing a rule shows "Hidden by …" on the thread (to
 * a colleague too, live), is unhidden with a reason that the activity records; an author
 * blocked is unblocked the same way; an undo the network cannot do says why; the ask
 * dialog offers exactly whom the server accepts; the asker of a question gets no answer
 * form while an admin answers on the expert's behalf; and anyone changes their password
 * from the header's account menu, after which only the new one signs in.
 *
 * The Facebook account here runs on a test connector registered in the desk's channel
 * registry (as test/moderation.test.ts does): it records what it was asked to do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Capabilities, Channel } from '../../src/channels/types.js';
import { Client, mention, PASSWORD, startDesk, type TestDesk } from '../helpers/parley.js';
import { axeReport, axeSerious, ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
const pages: WatchedPage[] = [];
/** What the test connector was asked to do on the network. */
const calls: string[] = [];
/** The test connector's capabilities: a test may take one away. */
const caps = { publicReply: true, privateMessage: true, hide: true, delete: 'comments cannot be deleted by pages here', block: true, mute: true, like: true, fetchProfile: true, fetchThread: true, search: true, webhook: true, poll: true, stream: true } as Capabilities;
let modAccount = 0;
let guidelineId = 0;

async function pageAs(email: string, password = PASSWORD, opts: Parameters<typeof openPage>[1] = {}): Promise<WatchedPage> {
  const w = await openPage(browser, opts);
  pages.push(w);
  if (email === 'eli@acme.test') {
    await w.page.goto(`${desk.url}/login`);
    await w.page.getByLabel('Email').fill(email);
    await w.page.getByLabel('Password').fill(password);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.waitForURL(/\/expert/);
  } else {
    await signIn(w.page, desk.url, email, password);
  }
  return w;
}

let seq = 0;
/** A Facebook comment on the moderating account, by a new author. */
async function comment(text: string): Promise<{ conversationId: number; messageId: number; handle: string; networkMessageId: string }> {
  seq++;
  const handle = `fbuser${seq}`;
  const m = mention({ network: 'facebook', kind: 'comment', networkMessageId: `fbc-${seq}-${Date.now()}`, author: { networkUserId: `fb-${seq}-${Date.now()}`, handle, displayName: `Fran ${seq}` }, text });
  const r = await admin.post('/api/ingest/messages', { channelAccountId: modAccount, messages: [m] });
  expect(r.status).toBe(200);
  const o = r.json.outcomes[0];
  expect(o.status).toBe('stored');
  return { conversationId: o.conversationId, messageId: o.messageId, handle, networkMessageId: m.networkMessageId };
}

const openConversation = (page: Page, id: number) => openConversationAt(page, desk.url, id);
const post = (page: Page, messageId: number) => page.locator(`.msg-in[data-message-id="${messageId}"]`);

/** Moderate a post through the thread's "Moderate…" dialog, citing the harassment rule. */
async function moderate(page: Page, messageId: number, action: 'hide' | 'block', actionLabel: string) {
  await post(page, messageId).getByRole('button', { name: /Moderate this post/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Moderate by the community guidelines' });
  await dialog.getByLabel(/No harassment/).check();
  await dialog.getByLabel('Action').selectOption(action);
  await dialog.getByLabel(/Evidence/).fill('Threatens a named member of staff at their home address.');
  await dialog.getByRole('button', { name: actionLabel }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
}

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  desk.parley.services.registry.register('modnet-e2e', (account) => ({
    network: account.network, capabilities: caps,
    async sendPublicReply() { return { networkMessageId: `r-${Date.now()}` }; },
    async hide(id: string, hidden: boolean) { calls.push(`${hidden ? 'hide' : 'unhide'}:${id}`); },
    async block(u: { handle: string }) { calls.push(`block:${u.handle}`); },
    async mute(u: { handle: string }) { calls.push(`mute:${u.handle}`); },
    async unblock(u: { handle: string }) { calls.push(`unblock:${u.handle}`); },
    async unmute(u: { handle: string }) { calls.push(`unmute:${u.handle}`); },
  }) as unknown as Channel);
  const acc = await admin.post('/api/channel-accounts', { network: 'facebook', handle: 'AcmePage', driver: 'modnet-e2e' });
  expect(acc.status).toBe(201);
  modAccount = acc.json.id;
  const g = await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people (staff or customers) are removed.', allowedActions: ['hide', 'block', 'mute'] });
  expect(g.status).toBe(201);
  guidelineId = g.json.id;
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
});

describe('undoing moderation from the thread', () => {
  it('hides a post citing a rule, then unhides it with a reason: the badge comes and goes (for a colleague too, live) and the activity records it', async () => {
    const c = await comment('I know where your agent Sam lives. Watch out.');
    const ana = await pageAs('ana@acme.test');
    const ben = await pageAs('ben@acme.test');
    await openConversation(ana.page, c.conversationId);
    await openConversation(ben.page, c.conversationId);
    await ben.page.evaluate('window.__noReload = 3');

    await moderate(ana.page, c.messageId, 'hide', 'Hide the post');
    const hidden = post(ana.page, c.messageId).locator('[data-moderation="hidden"]');
    await hidden.waitFor({ timeout: 10_000 });
    expect(await hidden.textContent()).toMatch(/Hidden by Ana Agent · \d/);
    // the colleague sees it without reloading
    await post(ben.page, c.messageId).locator('[data-moderation="hidden"]').getByText('Hidden by Ana Agent').waitFor({ timeout: 10_000 });
    await screenshot(ana.page, 'moderation-hidden-badge');

    await post(ana.page, c.messageId).getByRole('button', { name: /^Unhide this post by / }).click();
    const dialog = ana.page.getByRole('dialog', { name: 'Unhide the post' });
    expect(await dialog.textContent()).toContain('Hidden by Ana Agent');
    const reason = 'The customer explained it was a quote from a film';
    await dialog.getByLabel(/Why undo it/).fill(reason);
    await screenshot(ana.page, 'moderation-unhide-dialog');
    await dialog.getByRole('button', { name: 'Unhide the post' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await hidden.waitFor({ state: 'detached', timeout: 10_000 });
    await post(ben.page, c.messageId).locator('[data-moderation="hidden"]').waitFor({ state: 'detached', timeout: 10_000 });
    expect(await ben.page.evaluate('window.__noReload')).toBe(3);
    expect(calls).toEqual([`hide:${c.networkMessageId}`, `unhide:${c.networkMessageId}`]);

    // the activity in the side panel lists the undo; the reason is recorded with it
    const undoLine = ana.page.locator('.audit-list li', { hasText: 'moderation: unhide' });
    await undoLine.waitFor({ timeout: 10_000 });
    expect(await undoLine.textContent()).toContain(reason);
    expect(await undoLine.textContent()).not.toContain('citing');
    const d = (await admin.get(`/api/conversations/${c.conversationId}`)).json;
    expect(d.moderation).toEqual({ messages: [], authors: [] });
    const undo = d.audit.find((e: any) => e.action === 'moderation.unhide');
    expect(undo.actorUserId).toBe(desk.users.ana);
    expect(undo.data).toMatchObject({ evidence: reason, status: 'done', guideline: null });
  });

  it('blocks an author, then unblocks them with a reason', async () => {
    calls.length = 0;
    const c = await comment('Next time I see your staff outside the shop they will regret it.');
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, c.conversationId);
    await moderate(ana.page, c.messageId, 'block', 'Block the author');
    const blocked = post(ana.page, c.messageId).locator('[data-moderation="blocked"]');
    await blocked.waitFor({ timeout: 10_000 });
    expect(await blocked.textContent()).toMatch(/Author blocked by Ana Agent · \d/);
    // the post itself was not hidden: no such badge
    expect(await post(ana.page, c.messageId).locator('[data-moderation="hidden"]').count()).toBe(0);
    await screenshot(ana.page, 'moderation-blocked-badge');

    await post(ana.page, c.messageId).getByRole('button', { name: /^Unblock / }).click();
    const dialog = ana.page.getByRole('dialog', { name: 'Unblock the author' });
    await dialog.getByLabel(/Why undo it/).fill('Apologised by private message; it was said in anger');
    await dialog.getByRole('button', { name: 'Unblock the author' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await blocked.waitFor({ state: 'detached', timeout: 10_000 });
    expect(calls).toEqual([`block:${c.handle}`, `unblock:${c.handle}`]);
    await ana.page.locator('.audit-list li', { hasText: 'moderation: unblock' }).waitFor({ timeout: 10_000 });
    const d = (await admin.get(`/api/conversations/${c.conversationId}`)).json;
    expect(d.moderation.authors).toEqual([]);
    expect(d.audit.find((e: any) => e.action === 'moderation.unblock').data.evidence).toBe('Apologised by private message; it was said in anger');
  });

  it('an undo the network cannot do says why and is not offered as a button that works', async () => {
    const c = await comment('Your agent Sam is a [slur]; I will find him.');
    const anaApi = await Client.signIn(desk.url, 'ana@acme.test');
    const hide = await anaApi.post(`/api/messages/${c.messageId}/moderation`, { action: 'hide', guidelineId, evidence: 'A slur and a threat against a named member of staff.' });
    expect(hide.status).toBe(200);
    // the page's account loses the right to hide (the connector says why)
    caps.hide = 'this page no longer lets apps hide comments';
    try {
      const ana = await pageAs('ana@acme.test');
      await openConversation(ana.page, c.conversationId);
      await post(ana.page, c.messageId).locator('[data-moderation="hidden"]').waitFor({ timeout: 10_000 });
      await post(ana.page, c.messageId).getByRole('button', { name: /^Unhide this post by / }).click();
      const dialog = ana.page.getByRole('dialog', { name: 'Unhide the post' });
      await dialog.getByText('this page no longer lets apps hide comments').waitFor();
      expect(await dialog.getByRole('button', { name: 'Unhide the post' }).isDisabled()).toBe(true);
      await ana.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    } finally {
      caps.hide = true;
    }
  });
});

describe('retiring a community guideline', () => {
  it('an admin retires a rule with a reason: it leaves the list, can no longer be cited, and the audit log says so; a repeat changes nothing', async () => {
    const g = await admin.post('/api/guidelines', { code: 'spam-links', title: 'No spam links', description: 'Posts that only advertise unrelated links are hidden.', allowedActions: ['hide'] });
    expect(g.status).toBe(201);
    const w = await pageAs('admin@acme.test');
    await w.page.goto(`${desk.url}/admin/guidelines`);
    const item = w.page.locator('.guideline-list li', { hasText: 'No spam links' });
    await item.waitFor({ timeout: 10_000 });
    await item.getByRole('button', { name: 'Retire the guideline “No spam links”…' }).click();
    await item.getByLabel(/Why retire/).fill('Merged into the harassment and spam rule');
    await item.getByRole('button', { name: 'Retire guideline' }).click();
    await item.waitFor({ state: 'detached', timeout: 10_000 });
    // the rule that stays is still listed; the retired one cannot be cited
    await w.page.locator('.guideline-list li', { hasText: 'No harassment' }).waitFor();
    const c = await comment('Buy followers cheap at spam.example');
    const cite = await admin.post(`/api/messages/${c.messageId}/moderation`, { action: 'hide', guidelineId: g.json.id, evidence: 'An advert for bought followers, unrelated to the brand.' });
    expect(cite.status).toBeGreaterThanOrEqual(400);
    expect(calls).not.toContain(`hide:${c.networkMessageId}`);
    // the audit log names the retirement and keeps the reason
    const audit = (await admin.get('/api/audit?action=guideline.')).json.items.find((e: any) => e.action === 'guideline.retired');
    expect(audit.data).toMatchObject({ code: 'spam-links', reason: 'Merged into the harassment and spam rule' });
    await w.page.goto(`${desk.url}/admin/audit`);
    const row = w.page.locator('table.audit-log tr[data-action="guideline.retired"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('Retired a community guideline');
    // hiding a hidden post again is answered "already done", sends nothing and adds no audit entry
    const h = await comment('I will find your agent Sam after work.');
    const first = await admin.post(`/api/messages/${h.messageId}/moderation`, { action: 'hide', guidelineId, evidence: 'A threat against a named member of staff.' });
    expect(first.json.status).toBe('done');
    const again = await admin.post(`/api/messages/${h.messageId}/moderation`, { action: 'hide', guidelineId, evidence: 'A threat against a named member of staff.' });
    expect(again.status).toBe(200);
    expect(again.json.status).toBe('unchanged');
    expect(calls.filter((x) => x === `hide:${h.networkMessageId}`)).toHaveLength(1);
  });
});

describe('knowledge experts', () => {
  it('offers exactly the experts and expert groups the server accepts', async () => {
    // an expert group by its expert member; one by its own answer target; a team that is neither; one with no one but the asker
    const teams = {
      byExpert: await admin.post('/api/teams', { name: 'Warranty experts', members: [{ userId: desk.users.expert }] }),
      byTarget: await admin.post('/api/teams', { name: 'Billing desk', members: [{ userId: desk.users.ben }], expertTargetMin: 30 }),
      neither: await admin.post('/api/teams', { name: 'Weekend cover', members: [{ userId: desk.users.ben }] }),
      onlyMe: await admin.post('/api/teams', { name: 'Ana alone', members: [{ userId: desk.users.ana }], expertTargetMin: 15 }),
    };
    for (const t of Object.values(teams)) expect(t.status).toBe(201);
    const c = await comment('Is my blender still under warranty after the repair?');
    const ana = await pageAs('ana@acme.test');
    await openConversation(ana.page, c.conversationId);
    await ana.page.getByRole('button', { name: 'Ask an expert…' }).click();
    const dialog = ana.page.getByRole('dialog', { name: 'Ask an expert' });
    const select = dialog.getByLabel('Who should answer');
    const offered = async (group: string) => (await select.locator(`optgroup[label="${group}"] option`).allTextContents()).map((s) => s.trim()).sort();
    expect(await offered('Experts')).toEqual(['Eli Expert']);
    // the care team (agents only) is not an expert group; a group with only the asker has no one to ask
    expect(await offered('Expert groups')).toEqual(['Billing desk', 'Warranty experts']);
    // and the server agrees: every group offered is accepted, the others refused
    const anaApi = await Client.signIn(desk.url, 'ana@acme.test');
    for (const [name, t] of Object.entries(teams)) {
      const r = await anaApi.post(`/api/conversations/${c.conversationId}/expert-requests`, { teamId: t.json.id, question: `Question for ${name}?` });
      expect(r.status, name).toBe(name === 'byExpert' || name === 'byTarget' ? 201 : 400);
    }
    expect((await anaApi.post(`/api/conversations/${c.conversationId}/expert-requests`, { teamId: desk.teamId, question: 'Care team?' })).status).toBe(400);
    await ana.page.keyboard.press('Escape');
  });

  it('the asker sees no answer form; an admin who was not asked answers on their behalf', async () => {
    const c = await comment('Does the X300 come with a UK plug?');
    const cleo = await pageAs('cleo@acme.test');
    await openConversation(cleo.page, c.conversationId);
    await cleo.page.getByRole('button', { name: 'Ask an expert…' }).click();
    const dialog = cleo.page.getByRole('dialog', { name: 'Ask an expert' });
    await dialog.getByLabel('Who should answer').selectOption({ label: 'Eli Expert' });
    const question = 'Which plug does the X300 ship with in the UK?';
    await dialog.getByLabel('Your question').fill(question);
    await dialog.getByRole('button', { name: 'Ask' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const req = await eventually(async () => ((await admin.get(`/api/expert-requests?conversation=${c.conversationId}`)).json.items as any[]).find((r) => r.question === question), 'the question stored');

    // the asker, on the questions page: no form, a word instead
    await cleo.page.goto(`${desk.url}/expert?r=${req.id}`);
    const own = cleo.page.locator('.review').getByText('You asked this; the expert answers');
    await own.waitFor({ timeout: 10_000 });
    expect(await cleo.page.locator('.review textarea').count()).toBe(0);
    expect(await cleo.page.getByRole('button', { name: /^Answer/ }).count()).toBe(0);
    await screenshot(cleo.page, 'expert-asker-no-form');

    // the expert answers as themselves
    const eli = await pageAs('eli@acme.test');
    await eli.page.goto(`${desk.url}/expert?r=${req.id}`);
    await eli.page.getByLabel(/Your answer/).waitFor({ timeout: 10_000 });
    expect(await eli.page.getByRole('button', { name: 'Answer on their behalf' }).count()).toBe(0);

    // an admin who was not asked: labelled as answering on the expert's behalf
    const ada = await pageAs('admin@acme.test');
    await ada.page.goto(`${desk.url}/expert?r=${req.id}`);
    const field = ada.page.getByLabel(/Answer on their behalf/);
    await field.waitFor({ timeout: 10_000 });
    const answer = 'UK units ship with a type G plug and a 13 A fuse.';
    await field.fill(answer);
    await screenshot(ada.page, 'expert-admin-on-behalf');
    await ada.page.getByRole('button', { name: 'Answer on their behalf' }).click();
    await ada.page.locator('.review-thread .note').getByText(answer).waitFor({ timeout: 10_000 });
    const d = (await admin.get(`/api/conversations/${c.conversationId}`)).json;
    expect(d.audit.find((e: any) => e.action === 'expert.answered').data.onBehalfOf).toEqual({ expertId: desk.users.expert, teamId: null });
  });
});

describe('your password', () => {
  it('an agent changes their password from the header menu; other sessions are signed out and only the new one signs in', async () => {
    const elsewhere = await Client.signIn(desk.url, 'ben@acme.test');
    const ben = await pageAs('ben@acme.test');
    await ben.page.getByRole('button', { name: /^Your account/ }).click();
    await ben.page.getByRole('button', { name: 'Change password…' }).click();
    const dialog = ben.page.getByRole('dialog', { name: 'Change your password' });
    const fresh = 'kettle piano orbit 7';

    // a wrong current password: the server's refusal, as it is
    await dialog.getByLabel('Current password').fill('not my password');
    await dialog.getByLabel('New password', { exact: true }).fill(fresh);
    await dialog.getByLabel('Confirm the new password').fill(fresh);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    const refusal = dialog.locator('.form-error[data-code]');
    await refusal.waitFor({ timeout: 10_000 });
    expect(await refusal.getAttribute('data-code')).toBe('auth.wrong_password');
    // the rule, and two different new passwords, are said before asking the server
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByLabel('New password', { exact: true }).fill('short 1');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'at least 8 characters other than spaces' }).waitFor();
    await dialog.getByLabel('New password', { exact: true }).fill(fresh);
    await dialog.getByLabel('Confirm the new password').fill(`${fresh}x`);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The two new passwords differ' }).waitFor();
    await dialog.getByLabel('Confirm the new password').fill(fresh);
    await screenshot(ben.page, 'password-dialog');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await ben.page.locator('.toasts').getByText('Your other sessions were signed out').waitFor({ timeout: 5000 });

    // this browser stays signed in; the other session is gone; only the new password works
    expect((await elsewhere.get('/api/me')).status).toBe(401);
    await expect(Client.signIn(desk.url, 'ben@acme.test', PASSWORD)).rejects.toThrow(/401|sign-in failed/);
    const again = await pageAs('ben@acme.test', fresh);
    expect(await again.page.locator('.me-name').textContent()).toBe('Ben Agent');
    await ben.page.reload();
    await ben.page.locator('.list-pane').waitFor({ timeout: 10_000 });
  });
});

describe('accessibility', () => {
  it('has no serious axe violations with a moderation badge, the undo dialog, the account menu and the password dialog', async () => {
    const c = await comment('I will wait outside your shop for the agent who answered me.');
    const anaApi = await Client.signIn(desk.url, 'ana@acme.test');
    for (const action of ['hide', 'mute']) expect((await anaApi.post(`/api/messages/${c.messageId}/moderation`, { action, guidelineId, evidence: 'A threat to wait for a named member of staff.' })).status).toBe(200);
    const w = await pageAs('ana@acme.test', PASSWORD, { bypassCSP: true });
    const problems: string[] = [];
    const check = async (what: string) => {
      const v = await axeSerious(w.page);
      if (v.length) problems.push(`${what}:\n${axeReport(v)}`);
    };
    await openConversation(w.page, c.conversationId);
    await post(w.page, c.messageId).locator('[data-moderation="muted"]').getByText('Author muted by Ana Agent').waitFor({ timeout: 10_000 });
    await post(w.page, c.messageId).locator('[data-moderation="hidden"]').waitFor();
    await check('conversation with moderation badges');
    await post(w.page, c.messageId).getByRole('button', { name: /^Unmute / }).click();
    await w.page.getByRole('dialog', { name: 'Unmute the author' }).waitFor();
    await check('unmute dialog');
    await w.page.keyboard.press('Escape');
    const account = w.page.getByRole('button', { name: /^Your account/ });
    await account.click();
    expect(await account.getAttribute('aria-expanded')).toBe('true');
    await check('account menu');
    await w.page.getByRole('button', { name: 'Change password…' }).click();
    const dialog = w.page.getByRole('dialog', { name: 'Change your password' });
    await dialog.waitFor();
    // focus starts in the first field, and goes back to the menu's button on closing
    expect(await w.page.evaluate('document.activeElement?.getAttribute("autocomplete")')).toBe('current-password');
    await check('password dialog');
    await w.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await account.evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement)).toBe(true);
    expect(await account.getAttribute('aria-expanded')).toBe('false');
    expect(problems, problems.join('\n\n')).toEqual([]);
  });

  it('keeps the account menu, availability and sign-out usable at 200 % zoom', async () => {
    const w = await pageAs('ana@acme.test', PASSWORD, { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
    const inView = async (sel: ReturnType<Page['locator']>, what: string) => {
      await sel.scrollIntoViewIfNeeded();
      const box = await sel.boundingBox();
      expect(box, `${what} is rendered`).not.toBeNull();
      expect(box!.x, `${what} starts inside the viewport`).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, `${what} ends inside the viewport`).toBeLessThanOrEqual(640 + 0.5);
    };
    await inView(w.page.getByRole('button', { name: /^Your account/ }), 'account menu');
    await inView(w.page.getByLabel('Availability'), 'availability');
    await inView(w.page.getByRole('button', { name: 'Sign out' }), 'sign out');
    await w.page.getByRole('button', { name: /^Your account/ }).click();
    await inView(w.page.getByRole('button', { name: 'Change password…' }), 'change password');
    await screenshot(w.page, 'zoom-200-account-menu');
  });
});
