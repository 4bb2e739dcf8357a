/**
 * QA (supervisor flows), the Agents & teams report: per-agent figures that do not add up to the
 * team's (accolades 0/0/0/1 beside a team's 106) or an admin credited with replies they never
 * wrote are how credit works (docs/metrics.md, "Who is credited"), and the report says so under
 * the Agents table: a reply sent from Parley is its author's, one seen on the network the
 * assignee's, an accolade the assignee's when it arrived, unassigned work the team's only. In a
 * real browser against a real desk (SQLite), with facts written as the pipeline writes them.
 */
import { describe, expect, it } from 'vitest';
import { factRow, type FactDimensions } from '../../src/store/facts.js';
import { writeFacts } from '../../src/store/rollup.js';
import type { TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

describe('the Agents table', () => {
  it('explains how agents are credited, so team totals above the sum of agents are understood', async () => {
    const at = Date.now() - 60 * 60_000;
    const dims = (agentId: number | null): FactDimensions => ({
      brandId: desk.brandId, timezone: 'Europe/London', conversationId: null, messageId: null, agentId, teamId: desk.teamId,
      channelAccountId: desk.accountId, network: 'x', visibility: 'public', priority: 0, category: null,
    });
    // Ana answered one conversation; two accolades arrived while conversations were unassigned (the team's only)
    const facts = [
      factRow(dims(desk.users.ana), 'first_response', at, at - 5 * 60_000, at, null),
      factRow(dims(null), 'accolade', at + 1000, null, null, null),
      factRow(dims(null), 'accolade', at + 2000, null, null, null),
    ];
    await desk.db.store.db.transaction().execute((trx) => writeFacts(trx, desk.db.store, facts));

    const w = await open({ viewport: { width: 1280, height: 900 } });
    await signIn(w.page, desk.url, 'admin@acme.test');
    await w.page.goto(`${desk.url}/reports/people`);
    const agents = w.page.getByTestId('agents');
    await agents.locator('table').getByRole('rowheader', { name: 'Ana Agent' }).waitFor();
    // the team has the accolades, its agents none: the sentence under the table says why
    await w.page.getByTestId('teams').locator('table').getByRole('rowheader', { name: 'Care' }).waitFor();
    const note = agents.getByTestId('agents-credit');
    await note.waitFor();
    const text = await note.innerText();
    expect(text).toMatch(/sent from Parley counts for the person who wrote it/);
    expect(text).toMatch(/seen on the network .* counts for the conversation’s assignee/);
    expect(text).toMatch(/accolade .* counts for the assignee/);
    expect(text).toMatch(/team’s totals can be more than the sum of its agents/);
    // and the report's definition says it too
    expect(await agents.locator('.report-help').innerText()).toMatch(/sent from Parley is its author’s; one seen on the network is the conversation’s assignee’s/);
    // under the table, inside the Agents card
    const below = await w.page.evaluate(() => {
      const card = document.querySelector('[data-testid="agents"]')!;
      const table = card.querySelector('table')!.getBoundingClientRect();
      const p = card.querySelector('[data-testid="agents-credit"]')!.getBoundingClientRect();
      return p.top >= table.bottom;
    });
    expect(below).toBe(true);
    expect(w.errors).toEqual([]);
  });
});
