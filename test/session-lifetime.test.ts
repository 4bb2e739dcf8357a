/**
 * A session slides while it is used (14 days idle ends it) but ends 30 days after sign-in
 * however active it is, so a stolen cookie does not live for ever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

const DAY = 86_400_000;

describe('session lifetime', () => {
  let desk: TestDesk;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 1, 9));
    desk = await startDesk('sqlite', { clock, workers: false });
  });
  afterAll(async () => desk?.stop());

  it('slides with use, and ends 30 days after sign-in however active', async () => {
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    for (let d = 1; d < 30; d++) {
      clock.advance(DAY);
      expect((await ana.get('/api/me')).status, `day ${d}`).toBe(200);
    }
    clock.advance(DAY);
    const res = await ana.get('/api/me');
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('auth.session_expired');
    // and the row says so too (housekeeping and availability read it)
    const rows = await desk.db.store.db.selectFrom('session').select('expires_at').where('user_id', '=', desk.users.ana).execute();
    expect(rows.every((r) => Number(r.expires_at) <= clock.now())).toBe(true);
  });

  it('ends after 14 idle days', async () => {
    const ben = await Client.signIn(desk.url, 'ben@acme.test');
    clock.advance(14 * DAY + 1000);
    expect((await ben.get('/api/me')).status).toBe(401);
  });
});
