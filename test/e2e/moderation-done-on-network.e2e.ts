/**
 * A restriction done in the network's own app, recorded from the moderation dialog, in a real
 * browser against a real desk (SQLite): on an Instagram comment (the Graph API can neither block
 * nor restrict), an approver citing a rule that allows block is offered "Restrict the author —
 * done in the Instagram app, recorded here"; the "Record: …" button stays disabled until the
 * "Done in the network's app" box is ticked (a box ticked for one action does not carry over to
 * another); recorded, the thread shows "Author restricted by …", and "Unrestrict…" asks for the
 * same box. What the server kept is checked too: the moderation_action rows and the audit with
 * `doneOnNetwork`, and that nothing was sent to Graph. On an X post (the connector blocks
 * itself) neither Restrict nor the box is offered, and Block is done through X.
 *
 * The accounts run on the real connectors against GraphContractServer and XContractServer
 * (their webhooks deliver the posts), as test/moderation-done-on-network.test.ts does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { GraphContractServer } from '../contract-servers/graph.js';
import { XContractServer } from '../contract-servers/x.js';
import { Client, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, eventually, launchBrowser, openConversationAt, openPage, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let graph: GraphContractServer;
let x: XContractServer;
let igAccount = 0;
let xAccount = 0;
const pages: WatchedPage[] = [];

const db = () => desk.db.store.db;
/** The stored message of a network's post, once its webhook has been ingested. */
const stored = async (network: string, networkMessageId: string) =>
  (await eventually(() => db().selectFrom('message').selectAll().where('network', '=', network).where('network_message_id', '=', networkMessageId).executeTakeFirst(), `the ${network} post ${networkMessageId} stored`))!;
const actionsOn = (messageId: number) => db().selectFrom('moderation_action').select(['action', 'status', 'error', 'identity_id', 'actor_user_id']).where('message_id', '=', messageId).orderBy('id').execute();
const auditsOn = async (messageId: number) =>
  (await db().selectFrom('audit_event').select(['action', 'actor', 'data']).where('subject_type', '=', 'message').where('subject_id', '=', String(messageId) as never).where('action', 'like', 'moderation.%').orderBy('id').execute())
    .map((a) => ({ ...a, data: typeof a.data === 'string' ? JSON.parse(a.data) : a.data }));

async function pageAs(email: string): Promise<Page> {
  const w = await openPage(browser);
  pages.push(w);
  await signIn(w.page, desk.url, email);
  return w.page;
}
const post = (page: Page, messageId: number) => page.locator(`.msg-in[data-message-id="${messageId}"]`);

/** Open the moderation dialog on a post and cite the harassment rule. */
async function openModeration(page: Page, messageId: number) {
  await post(page, messageId).getByRole('button', { name: /^Moderate this post by / }).click();
  const dialog = page.getByRole('dialog', { name: 'Moderate by the community guidelines' });
  await dialog.getByLabel(/No harassment/).check();
  return dialog;
}

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  graph = await GraphContractServer.start();
  x = await XContractServer.start();
  desk = await startDesk('sqlite', { workers: false });
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  const ig = await admin.post('/api/channel-accounts', { network: 'instagram', handle: graph.ig.username, externalId: graph.ig.id, credentials: graph.credentials('instagram'), settings: { apiBaseUrl: graph.url, linkDmReplies: false } });
  expect(ig.status, JSON.stringify(ig.json)).toBe(201);
  igAccount = ig.json.id;
  graph.webhookUrls.instagram = `${desk.url}${new URL(ig.json.webhookUrl, 'http://x').pathname}`;
  const xa = await admin.post('/api/channel-accounts', { network: 'x', handle: x.brand.username, externalId: x.brand.id, credentials: x.credentials(), settings: { apiBaseUrl: x.url } });
  expect(xa.status, JSON.stringify(xa.json)).toBe(201);
  xAccount = xa.json.id;
  x.webhookUrl = `${desk.url}${new URL(xa.json.webhookUrl, 'http://x').pathname}`;
  const g = await admin.post('/api/guidelines', { code: 'harassment', title: 'No harassment', description: 'Threats, slurs or targeting people (staff or customers) are removed.', allowedActions: ['hide', 'block'] });
  expect(g.status, JSON.stringify(g.json)).toBe(201);
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await desk?.stop();
  await graph?.stop();
  await x?.stop();
});

describe('a restriction done in the Instagram app, recorded from the moderation dialog', () => {
  it('an approver records a restriction (the box is required, per action), sees "Author restricted", and records the unrestriction the same way', async () => {
    const heckler = graph.addIgUser('heckler.e2e');
    const text = 'posting the manager\'s home phone 555-0199 until you refund me';
    const commentId = await graph.igComment(text, { mediaId: graph.igMedia('Autumn drop'), author: heckler });
    const m = await stored('instagram', commentId);
    expect(m.channel_account_id).toBe(igAccount);
    const messageId = Number(m.id);

    const page = await pageAs('cleo@acme.test');
    await openConversationAt(page, desk.url, Number(m.conversation_id));
    const dialog = await openModeration(page, messageId);
    const select = dialog.getByLabel('Action');
    // the rule allows hide and block: hide is done through Parley; block, and restrict (the milder), in the app
    const options = (await select.locator('option:not([value=""])').allTextContents()).map((s) => s.trim());
    // reporting is offered too, disabled: the Instagram Graph API cannot take a report (moderation-report.e2e.ts)
    expect(options).toEqual(['Hide the post', 'Block the author — done in the Instagram app, recorded here', 'Restrict the author — done in the Instagram app, recorded here',
      expect.stringMatching(/^Report the post to Instagram — not on this network: /), expect.stringMatching(/^Report the account to Instagram — not on this network: /)]);
    expect(await select.locator('option[value="restrict"]').isDisabled()).toBe(false);
    expect(await select.locator('option[value="report_post"]').isDisabled()).toBe(true);
    expect(await select.locator('option[value="report_account"]').isDisabled()).toBe(true);
    const done = dialog.getByRole('checkbox', { name: /^Done in the network's app/ });
    // hiding is done here: no box, the button does it
    await select.selectOption('hide');
    expect(await done.count()).toBe(0);
    expect(await dialog.getByRole('button', { name: 'Hide the post' }).count()).toBe(1);

    // a box ticked for a block does not vouch for a restriction
    await select.selectOption('block');
    await done.check();
    expect(await dialog.getByRole('button', { name: 'Record: Block the author' }).isEnabled()).toBe(true);
    await select.selectOption('restrict');
    expect(await done.isChecked()).toBe(false);

    const record = dialog.getByRole('button', { name: 'Record: Restrict the author' });
    expect(await dialog.locator('label.checkbox').textContent()).toContain('I have already restricted @heckler.e2e in the Instagram app');
    const evidence = 'Posts a member of staff\'s private phone number.';
    await dialog.getByLabel(/Evidence/).fill(evidence);
    expect(await record.isDisabled()).toBe(true);
    await screenshot(page, 'moderation-done-on-network-restrict');
    // the moderator restricts the heckler in the Instagram app, then ticks the box
    graph.igRestrict(heckler.id);
    const graphWritesBefore = graph.requests.filter((r) => r.method !== 'GET').length;
    await done.check();
    expect(await record.isEnabled()).toBe(true);
    await record.click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await page.locator('.toasts').getByText('Restrict the author: recorded as done in the Instagram app, citing “No harassment”').waitFor({ timeout: 5000 });

    const restricted = post(page, messageId).locator('[data-moderation="restricted"]');
    await restricted.waitFor({ timeout: 10_000 });
    expect(await restricted.textContent()).toMatch(/Author restricted by Cleo Approver · \d/);
    expect(await post(page, messageId).locator('[data-moderation="blocked"]').count()).toBe(0);
    // what the server recorded: done, on the author, by Cleo, nothing asked of Graph
    expect(await actionsOn(messageId)).toEqual([{ action: 'restrict', status: 'done', error: null, identity_id: m.author_identity_id, actor_user_id: desk.users.approver }]);
    const [audited, ...more] = await auditsOn(messageId);
    expect(more).toEqual([]);
    expect(audited!.action).toBe('moderation.restrict');
    expect(audited!.data).toMatchObject({ guideline: { code: 'harassment' }, evidence, status: 'done', doneOnNetwork: true });
    expect(graph.requests.filter((r) => r.method !== 'GET')).toHaveLength(graphWritesBefore);
    const conv = (await admin.get(`/api/conversations/${m.conversation_id}`)).json;
    expect(conv.moderation.authors).toEqual([expect.objectContaining({ identityId: Number(m.author_identity_id), restricted: true, blocked: false, byUserId: desk.users.approver })]);

    // lifted in the app: "Unrestrict…" asks for the same box
    graph.igUnrestrict(heckler.id);
    await post(page, messageId).getByRole('button', { name: /^Unrestrict / }).click();
    const undo = page.getByRole('dialog', { name: 'Unrestrict the author' });
    expect(await undo.textContent()).toContain('Restricted by Cleo Approver');
    const undoDone = undo.getByRole('checkbox', { name: /^Done in the network's app/ });
    expect(await undo.locator('label.checkbox').textContent()).toContain('I have already unrestricted @heckler.e2e in the Instagram app');
    const reason = 'Apologised and removed the number';
    await undo.getByLabel(/Why undo it/).fill(reason);
    const undoButton = undo.getByRole('button', { name: 'Unrestrict the author' });
    expect(await undoButton.isDisabled()).toBe(true);
    await screenshot(page, 'moderation-done-on-network-unrestrict');
    await undoDone.check();
    expect(await undoButton.isEnabled()).toBe(true);
    await undoButton.click();
    await undo.waitFor({ state: 'hidden', timeout: 10_000 });
    await restricted.waitFor({ state: 'detached', timeout: 10_000 });

    expect((await actionsOn(messageId)).map((a) => [a.action, a.status, a.actor_user_id])).toEqual([['restrict', 'done', desk.users.approver], ['unrestrict', 'done', desk.users.approver]]);
    const unrestricted = (await auditsOn(messageId)).find((a) => a.action === 'moderation.unrestrict');
    expect(unrestricted?.data).toMatchObject({ guideline: null, evidence: reason, status: 'done', doneOnNetwork: true });
    expect(graph.requests.filter((r) => r.method !== 'GET')).toHaveLength(graphWritesBefore);
    expect((await admin.get(`/api/conversations/${m.conversation_id}`)).json.moderation.authors).toEqual([]);
    await page.locator('.audit-list li', { hasText: 'moderation: unrestrict' }).waitFor({ timeout: 10_000 });
  });
});

describe('where the connector blocks itself (X)', () => {
  it('offers no Restrict and no "done in the app" box; Block is done through X', async () => {
    const troll = x.addUser({ username: 'troll_e2e', name: 'Troll E2E' });
    const tweetId = await x.postMention('@AcmeCare I know where your agent Sam lives', { author: troll });
    const m = await stored('x', tweetId);
    expect(m.channel_account_id).toBe(xAccount);
    const messageId = Number(m.id);

    const page = await pageAs('cleo@acme.test');
    await openConversationAt(page, desk.url, Number(m.conversation_id));
    const dialog = await openModeration(page, messageId);
    const select = dialog.getByLabel('Action');
    const options = (await select.locator('option:not([value=""])').allTextContents()).map((s) => s.trim());
    // a mention is no reply in a thread the brand started: X cannot hide it, so Hide is shown disabled with why
    // reporting is offered disabled: the X API v2 has no report endpoint (moderation-report.e2e.ts)
    expect(options).toEqual([expect.stringMatching(/^Hide the post — not for this post: X hides only replies/), 'Block the author',
      expect.stringMatching(/^Report the post to X — not on this network: /), expect.stringMatching(/^Report the account to X — not on this network: /)]);
    expect(await select.locator('option[value="hide"]').isDisabled()).toBe(true);
    expect(await select.locator('option[value="report_post"]').isDisabled()).toBe(true);
    expect(await select.locator('option[value="restrict"]').count()).toBe(0);
    await select.selectOption('block');
    expect(await dialog.getByRole('checkbox', { name: /Done in the network's app/ }).count()).toBe(0);
    expect(await dialog.getByText(/done in the .* app/i).count()).toBe(0);
    expect(await dialog.getByRole('button', { name: /^Record:/ }).count()).toBe(0);
    await dialog.getByLabel(/Evidence/).fill('Threatens a named member of staff at their home.');
    await dialog.getByRole('button', { name: 'Block the author', exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });

    await post(page, messageId).locator('[data-moderation="blocked"]').getByText(/Author blocked by Cleo Approver/).waitFor({ timeout: 10_000 });
    expect(x.isBlocked(troll.id)).toBe(true);
    expect(await actionsOn(messageId)).toEqual([{ action: 'block', status: 'done', error: null, identity_id: m.author_identity_id, actor_user_id: desk.users.approver }]);
    const [audited] = await auditsOn(messageId);
    expect(audited!.action).toBe('moderation.block');
    expect(audited!.data).not.toHaveProperty('doneOnNetwork');

    // the undo is done through X too: no box
    await post(page, messageId).getByRole('button', { name: /^Unblock / }).click();
    const undo = page.getByRole('dialog', { name: 'Unblock the author' });
    await undo.getByLabel(/Why undo it/).waitFor();
    expect(await undo.getByRole('checkbox').count()).toBe(0);
    await page.keyboard.press('Escape');
    await undo.waitFor({ state: 'hidden' });
  });
});
