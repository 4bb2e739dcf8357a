/**
 * A visitor not signed in, in a real browser against a real desk (SQLite): the sign-in page
 * (on a phone and a laptop, reached directly or sent there from the inbox) logs no error in
 * the browser's console; the app asks whether it is signed in without a failed request.
 * A reload after the session is gone stays quiet too.
 */
import { describe, expect, it } from 'vitest';
import type { TestDesk } from '../helpers/parley.js';
import { deskInBrowser, signIn } from './browser.js';

let desk: TestDesk;
const { open } = deskInBrowser((d) => (desk = d));

describe('signed out', () => {
  for (const viewport of [{ width: 390, height: 844 }, { width: 1280, height: 800 }]) {
    it(`shows the sign-in page without a console error (${viewport.width} px)`, async () => {
      const w = await open({ viewport });
      for (const path of ['/login', '/inbox/open']) {
        await w.page.goto(`${desk.url}${path}`);
        await w.page.getByLabel('Email').waitFor();
        await w.page.waitForLoadState('networkidle');
        expect(w.page.url(), path).toContain('/login');
      }
      expect(w.consoleErrors).toEqual([]);
      expect(w.errors).toEqual([]);
    });
  }

  it('lands on the sign-in page without a console error when the session is gone', async () => {
    const w = await open();
    await signIn(w.page, desk.url, 'ana@acme.test');
    // the cookie is gone (as when it ran out, or was cleared): a reload lands on the sign-in page
    await w.page.context().clearCookies();
    await w.page.reload();
    await w.page.getByLabel('Email').waitFor();
    await w.page.waitForLoadState('networkidle');
    expect(w.page.url()).toContain('/login');
    expect(w.consoleErrors).toEqual([]);
    expect(w.errors).toEqual([]);
    // and signing in again works
    await signIn(w.page, desk.url, 'ana@acme.test');
    expect(w.consoleErrors).toEqual([]);
  });
});
