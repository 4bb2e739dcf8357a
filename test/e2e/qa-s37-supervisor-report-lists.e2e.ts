/**
 * QA (supervisor, reports), in a real browser: the report filters list agents, teams and channel
 * accounts in reading order ("Care Agent 9" before "Care Agent 10", "@askpanera" beside
 * "@AskPayPal") — before, a desk of hundreds of agents got "Care Agent 10, 100, 101, …" and the
 * lower-case handles after all the others; and the SLA caveat counts imported history as
 * "1,200 resolutions", with the thousands separator every other figure has.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createChannelAccount, createTeam, createUser } from '../../src/commands/setup.js';
import { factRow } from '../../src/store/facts.js';
import { HISTORY_RESOLUTION_DATA, writeFacts } from '../../src/store/rollup.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let w: WatchedPage;
const browser = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  const db = desk.db.store.db;
  const now = Date.now();
  for (const name of ['Care Agent 100', 'Care Agent 10', 'Care Agent 9', 'care agent 11']) {
    await createUser(db, { brandId: desk.brandId, email: `${name.replace(/ /g, '').toLowerCase()}@acme.test`, name, role: 'agent', availability: 'online' }, now);
  }
  for (const handle of ['askpanera', 'ATVIAssist', 'AskPayPal']) await createChannelAccount(db, { brandId: desk.brandId, network: 'x', handle, driver: 'demo' }, now);
  for (const name of ['Tier 10', 'Tier 2', 'escalations']) await createTeam(db, { brandId: desk.brandId, name }, now);
  w = await browser.open({ viewport: { width: 1280, height: 1000 } });
  await signIn(w.page, desk.url, 'admin@acme.test');
}, 120_000);

const options = (label: string) => w.page.getByLabel(label, { exact: true }).locator('option').allTextContents();

describe('report filters and figures a lead reads', () => {
  it('lists agents, teams and channel accounts in reading order', async () => {
    await w.page.goto(`${desk.url}/reports/volume`);
    await w.page.getByRole('group', { name: 'Report filters' }).waitFor({ timeout: 15_000 });
    await expect.poll(async () => (await options('Agent')).length, { timeout: 10_000 }).toBe(9);
    expect(await options('Agent')).toEqual(['Everyone', 'Ada Admin', 'Ana Agent', 'Ben Agent', 'Care Agent 9', 'Care Agent 10', 'care agent 11', 'Care Agent 100', 'Cleo Approver']);
    expect(await options('Team')).toEqual(['All teams', 'Care', 'escalations', 'Tier 2', 'Tier 10']);
    expect(await options('Channel')).toEqual(['All channels', 'X @AcmeCare', 'X @askpanera', 'X @AskPayPal', 'X @ATVIAssist']);
  });

  it('counts imported history in the SLA caveat with a thousands separator', async () => {
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare where is my order?' })] })).json.outcomes[0];
    const dims = { brandId: desk.brandId, timezone: 'Europe/London', conversationId: o.conversationId, messageId: null, agentId: null, teamId: desk.teamId, channelAccountId: desk.accountId, network: 'x', visibility: 'public', priority: 0, category: null };
    const t = Date.now() - 2 * 86_400_000;
    const facts = Array.from({ length: 1200 }, (_, i) => factRow(dims, 'resolution', t + i * 1000, t - 3_600_000, t + i * 1000, null, JSON.parse(HISTORY_RESOLUTION_DATA)));
    await desk.db.store.db.transaction().execute((trx) => writeFacts(trx, desk.db.store, facts));

    await w.page.goto(`${desk.url}/reports/quality?period=7d`);
    const sla = w.page.locator('.report-card', { hasText: 'SLA attainment' }).first();
    await expect.poll(() => sla.textContent(), { timeout: 15_000 }).toContain('1,200 resolutions in this period are imported history');
    expect(await sla.textContent()).not.toContain('1200');
    expect(w.errors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
  });
});
