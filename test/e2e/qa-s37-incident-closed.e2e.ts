/**
 * QA (s37): a closed incident's card on a phone (390 px) showed an "Actions" heading with
 * nothing under it. Now a closed incident shows no actions heading (an open one keeps its
 * "Actions" with Post statement… and Close), and at 1280 px the table's columns still line up.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn } from './browser.js';

let desk: TestDesk;
let cleoApi: Client;
let openId: number;
let closedId: number;
const browser = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  cleoApi = await Client.signIn(desk.url, 'cleo@acme.test');
  closedId = (await cleoApi.post('/api/incidents', { title: 'Checkout outage', reason: 'Payments failed for 20 minutes' })).json.id as number;
  expect((await cleoApi.post(`/api/incidents/${closedId}/close`, {})).status).toBe(200);
  openId = (await cleoApi.post('/api/incidents', { title: 'Blender recall BL-200', reason: 'Reports of BL-200 motors failing' })).json.id as number;
});

/** The row of an incident, found by its title. */
const row = (page: Page, id: number) => page.locator('.incidents-table tbody tr', { has: page.locator(`[data-incident-title="${id}"]`) });

describe('a closed incident on the incidents page', () => {
  it('shows no empty "Actions" heading on a phone', async () => {
    const cleo = await browser.open({ viewport: { width: 390, height: 844 } });
    await signIn(cleo.page, desk.url, 'cleo@acme.test');
    await cleo.page.goto(`${desk.url}/incidents`);
    await row(cleo.page, closedId).waitFor();
    const labels = (id: number) => row(cleo.page, id).locator('td').evaluateAll((tds) => tds.map((td) => getComputedStyle(td, '::before').content).filter((c) => c !== 'none' && c !== 'normal'));
    expect(await labels(closedId)).toEqual(['"Status"', '"Opened"', '"Closed"', '"Statement"']);
    // an open incident keeps its actions, named
    expect(await labels(openId)).toEqual(['"Status"', '"Opened"', '"Closed"', '"Statement"', '"Actions"']);
    expect(await row(cleo.page, openId).getByRole('button', { name: 'Post statement…' }).isVisible()).toBe(true);
    expect(cleo.errors).toEqual([]);
  });

  it('keeps the columns lined up on a wide screen', async () => {
    const cleo = await browser.open({ viewport: { width: 1280, height: 800 } });
    await signIn(cleo.page, desk.url, 'cleo@acme.test');
    await cleo.page.goto(`${desk.url}/incidents`);
    await row(cleo.page, closedId).waitFor();
    const headers = await cleo.page.locator('.incidents-table thead th').count();
    expect(headers).toBe(6);
    expect(await row(cleo.page, closedId).locator('td').count()).toBe(headers);
    expect(await row(cleo.page, closedId).getByRole('button', { name: 'Close', exact: true }).count()).toBe(0);
    expect(cleo.errors).toEqual([]);
  });
});
