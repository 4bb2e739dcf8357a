/**
 * Hostile public content in the browser: markup, event-handler attributes, bidi
 * overrides, 100 KB of text, a lone surrogate, NUL, `javascript:` links, remote images
 * in profiles. Everything must render as text; no script may run (no dialog, no
 * `window.__pwned`), no request may leave the Parley server, and links must show their
 * real target with rel="noopener noreferrer nofollow ugc".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Client, mention, startDesk, type TestDesk } from '../helpers/parley.js';
import { ensureChromium, ensureWebBuild, launchBrowser, openPage, originOf, row, screenshot, signIn, type WatchedPage } from './browser.js';

let desk: TestDesk;
let browser: Browser;
let admin: Client;
let w: WatchedPage;

const HUGE = `${'A'.repeat(60_000)} ${'b'.repeat(40_000)}`;
const CORPUS: { name: string; text: string; visible: string }[] = [
  { name: 'script', text: '@AcmeCare <script>window.__pwned = 1; alert("script")</script> hi', visible: '<script>window.__pwned = 1; alert("script")</script>' },
  { name: 'img-onerror', text: '@AcmeCare <img src=x onerror="window.__pwned=2;alert(2)"><img src="https://tracker.evil.example/p.gif">', visible: '<img src=x onerror="window.__pwned=2;alert(2)">' },
  { name: 'bidi', text: '@AcmeCare refund to \u202Egnp.exe\u202C please, see https://example.com/\u202Efdp.exe', visible: 'refund to' },
  { name: 'huge', text: HUGE, visible: 'AAAAAAAAAA' },
  { name: 'lone-surrogate', text: '@AcmeCare broken \uD800 surrogate \uDFFF end', visible: 'surrogate' },
  { name: 'nul', text: '@AcmeCare nul \u0000 byte \u0000 here', visible: 'byte' },
  { name: 'javascript-link', text: '@AcmeCare click javascript:alert(document.cookie) or [here](javascript:window.__pwned=3) or <a href="javascript:alert(4)">this</a> or https://evil.example/login?next=javascript:alert(5)', visible: 'javascript:alert(document.cookie)' },
  { name: 'html-entities', text: '@AcmeCare &lt;b&gt;bold&lt;/b&gt; <iframe src="https://evil.example/"></iframe> <style>body{display:none}</style>', visible: '<iframe src="https://evil.example/"></iframe>' },
];

const ids = new Map<string, number>();

beforeAll(async () => {
  ensureChromium();
  ensureWebBuild();
  desk = await startDesk('sqlite');
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  let n = 0;
  for (const c of CORPUS) {
    n++;
    const m = mention({
      text: c.text,
      author: {
        networkUserId: `hostile-${n}`,
        handle: `h4x0r_${n}`,
        displayName: n === 1 ? '<img src=x onerror="window.__pwned=9">\u202EnimdA' : `Hostile ${c.name}`,
        followers: 5,
        profileUrl: n === 1 ? 'javascript:alert(1)' : `https://evil.example/u/${n}`,
        avatarUrl: `https://evil.example/avatar-${n}.png`,
      },
    });
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
    expect(r.status).toBe(200);
    expect(r.json.outcomes[0].status).toBe('stored');
    ids.set(c.name, r.json.outcomes[0].conversationId);
  }
  browser = await launchBrowser();
  w = await openPage(browser);
  await signIn(w.page, desk.url, 'ana@acme.test');
});

afterAll(async () => {
  await w?.close();
  await browser?.close();
  await desk?.stop();
});

async function assertNothingRan() {
  expect(w.dialogs).toEqual([]);
  expect(await w.page.evaluate('typeof window.__pwned')).toBe('undefined');
  const foreign = w.requests.filter((u) => originOf(u) !== originOf(desk.url));
  expect(foreign).toEqual([]);
  // no images at all (initials avatars), no frames, no javascript: links, only our own scripts
  expect(await w.page.locator('img').count()).toBe(0);
  expect(await w.page.locator('iframe').count()).toBe(0);
  expect(await w.page.locator('a[href^="javascript:" i]').count()).toBe(0);
  const scripts = (await w.page.evaluate('Array.from(document.scripts).map((s) => s.src)')) as string[];
  for (const s of scripts) expect(originOf(s)).toBe(originOf(desk.url));
  expect(w.errors).toEqual([]);
  // and the UI itself lives within the CSP (no inline script or style was refused)
  expect(w.consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
}

describe('hostile public content', () => {
  it('renders in the inbox list as text', async () => {
    for (const c of CORPUS) await row(w.page, ids.get(c.name)!).waitFor({ timeout: 10_000 });
    expect(await row(w.page, ids.get('script')!).locator('.row-subject').textContent()).toContain('<script>');
    expect(await row(w.page, ids.get('script')!).locator('.row-name').textContent()).toContain('<img src=x onerror');
    // 100 KB subjects are clipped for the list
    expect(((await row(w.page, ids.get('huge')!).locator('.row-subject').textContent()) ?? '').length).toBeLessThan(1000);
    await assertNothingRan();
  });

  it('renders every message of the corpus as text in the conversation view', async () => {
    for (const c of CORPUS) {
      const id = ids.get(c.name)!;
      await w.page.goto(`${desk.url}/inbox/open?c=${id}`);
      const text = w.page.locator('.msg-in .msg-text').first();
      await text.waitFor({ timeout: 10_000 });
      expect(await text.textContent()).toContain(c.visible);
      await assertNothingRan();
    }
  });

  it('folds 100 KB of text and shows all of it on request', async () => {
    await w.page.goto(`${desk.url}/inbox/open?c=${ids.get('huge')}`);
    const text = w.page.locator('.msg-in .msg-text').first();
    await text.waitFor();
    expect(((await text.textContent()) ?? '').length).toBeLessThan(10_000);
    await text.getByRole('button', { name: /Show all 100,001 characters/ }).click();
    expect(((await text.textContent()) ?? '').length).toBeGreaterThanOrEqual(100_001);
    await assertNothingRan();
  });

  it('keeps the lone surrogate and NUL as sent, without breaking the page', async () => {
    await w.page.goto(`${desk.url}/inbox/open?c=${ids.get('lone-surrogate')}`);
    const t = w.page.locator('.msg-in .msg-text').first();
    await t.waitFor();
    const s = (await t.evaluate((el: any) => el.textContent)) as string;
    expect(s).toContain('\uD800');
    await w.page.goto(`${desk.url}/inbox/open?c=${ids.get('nul')}`);
    const nul = w.page.locator('.msg-in .msg-text').first();
    await nul.getByText(/byte/).waitFor();
    // NUL is shown as a visible symbol, not swallowed
    expect(await nul.locator('abbr.ctrl').count()).toBe(2);
    expect(await nul.textContent()).toContain('nul \u2400 byte');
    await assertNothingRan();
  });

  it('shows links with their real target, safely, and never links javascript:', async () => {
    await w.page.goto(`${desk.url}/inbox/open?c=${ids.get('javascript-link')}`);
    const msg = w.page.locator('.msg-in .msg-text').first();
    await msg.waitFor();
    const links = msg.locator('a');
    expect(await links.count()).toBe(1);
    const a = links.first();
    const href = await a.getAttribute('href');
    expect(href).toBe('https://evil.example/login?next=javascript:alert(5)');
    expect(await a.textContent()).toBe(href);
    expect(await a.getAttribute('rel')).toBe('noopener noreferrer nofollow ugc');
    expect(await a.getAttribute('target')).toBe('_blank');

    // a bidi override cannot hide inside a link's visible target
    await w.page.goto(`${desk.url}/inbox/open?c=${ids.get('bidi')}`);
    const bidi = w.page.locator('.msg-in .msg-text').first();
    await bidi.waitFor();
    for (const l of await bidi.locator('a').all()) {
      expect(await l.textContent()).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
      expect(await l.getAttribute('href')).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    }
    // the override is shown, not obeyed: "gnp.exe" cannot pose as "exe.png"
    expect(await bidi.textContent()).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(await bidi.locator('abbr.ctrl').first().textContent()).toBe('RLO');
    expect(await bidi.textContent()).toContain('RLOgnp.exePDF');
    expect(await row(w.page, ids.get('bidi')!).locator('.row-subject').textContent()).toContain('[RLO]gnp.exe[PDF]');
    // and the message text is isolated so nothing in it can reorder the UI around it
    expect(await bidi.locator('.safe-text').getAttribute('dir')).toBe('auto');
    expect(await bidi.locator('.safe-text').evaluate((el: any) => (globalThis as any).getComputedStyle(el).unicodeBidi)).toBe('isolate');

    // profile links: javascript: is not linked at all; https ones are, with the target shown
    await w.page.goto(`${desk.url}/inbox/open?c=${ids.get('script')}`);
    await w.page.locator('.author-card').waitFor();
    expect(await w.page.locator('.author-card a').count()).toBe(0);
    expect(await w.page.locator('.author-card').textContent()).toContain('<img src=x onerror');
    await w.page.goto(`${desk.url}/inbox/open?c=${ids.get('bidi')}`);
    const profile = w.page.locator('.author-card a');
    await profile.waitFor();
    expect(await profile.textContent()).toBe('https://evil.example/u/3');
    expect(await profile.getAttribute('rel')).toBe('noopener noreferrer nofollow ugc');
    await screenshot(w.page, 'hostile-conversation');
    await assertNothingRan();
  });

  it('renders search hits over hostile text as text', async () => {
    await w.page.goto(`${desk.url}/inbox/open?q=${encodeURIComponent('pwned')}`);
    await w.page.locator('.hit-row').first().waitFor({ timeout: 10_000 });
    expect(await w.page.locator('.hit-row').count()).toBeGreaterThanOrEqual(2);
    expect(await w.page.locator('.hit-row mark').first().textContent()).toMatch(/pwned/i);
    await assertNothingRan();
  });
});
