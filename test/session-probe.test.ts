/**
 * GET /api/session, the web app's first question on every page load: 200 whether or not the
 * browser is signed in (a browser logs every 401 as an error, on the sign-in page too), while
 * GET /api/me keeps answering 401 to API clients that are not signed in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

describe('GET /api/session', () => {
  let desk: TestDesk;
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false });
  });
  afterAll(async () => desk?.stop());

  const session = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${desk.url}/api/session`, { headers });
    return { status: res.status, json: (await res.json()) as { signedIn: boolean; me?: { user: { email: string }; csrfToken: string | null } } };
  };

  it('answers 200 signed out, with no cookie, an unknown cookie or an unknown API token; /api/me stays 401', async () => {
    expect(await session()).toEqual({ status: 200, json: { signedIn: false } });
    expect(await session({ cookie: 'parley_session=not-a-session' })).toEqual({ status: 200, json: { signedIn: false } });
    expect(await session({ authorization: 'Bearer not-a-token' })).toEqual({ status: 200, json: { signedIn: false } });
    const me = await fetch(`${desk.url}/api/me`);
    expect(me.status).toBe(401);
    expect(((await me.json()) as { code: string }).code).toBe('auth.required');
  });

  it('answers what /api/me answers while signed in, and signed out after signing out', async () => {
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const s = await session({ cookie: ana.cookie });
    expect(s.status).toBe(200);
    expect(s.json.signedIn).toBe(true);
    expect(s.json.me).toEqual((await ana.get('/api/me')).json);
    expect(s.json.me?.user.email).toBe('ana@acme.test');
    expect(s.json.me?.csrfToken).toBe(ana.csrf);
    expect((await ana.post('/api/auth/logout')).status).toBe(204);
    expect(await session({ cookie: ana.cookie })).toEqual({ status: 200, json: { signedIn: false } });
  });
});
