/**
 * A real desk (test/helpers/parley.ts) with an email account beside its X account, for the tests
 * that store mentions and emails through the ingest API (test/erasure-elsewhere.test.ts,
 * test/erasure-quotes.test.ts). Call it inside a `describe`: it registers the suite's
 * beforeAll/afterAll. Each stored item moves the clock on a minute.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { normalizeEmail } from '../../src/channels/email/parse.js';
import { createChannelAccount } from '../../src/commands/setup.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { Dialect } from '../../src/store/db.js';
import { Client, startDesk, type TestDesk } from './parley.js';

export const SUPPORT = 'support@acme.test';
const DAY = 86_400_000;

export function mailDesk(dialect: Dialect) {
  const s = { desk: undefined as unknown as TestDesk, admin: undefined as unknown as Client, ana: undefined as unknown as Client, mailAccount: 0 };
  const clock = new ManualClock(Date.UTC(2026, 10, 17, 10, 0));
  const db = () => s.desk.db.store.db;
  beforeAll(async () => {
    s.desk = await startDesk(dialect, { clock, workers: false });
    s.admin = await Client.signIn(s.desk.url, 'admin@acme.test');
    s.ana = await Client.signIn(s.desk.url, 'ana@acme.test');
    s.mailAccount = await createChannelAccount(db(), { brandId: s.desk.brandId, network: 'email', handle: 'Acme Support', externalId: SUPPORT, driver: 'demo' }, clock.now());
  });
  afterAll(async () => s.desk?.stop());

  /** One item through POST /api/ingest/messages, which must store it. */
  const stored = async (channelAccountId: number, message: unknown) => {
    const r = await s.admin.post('/api/ingest/messages', { channelAccountId, messages: [message] });
    expect(r.json.outcomes?.[0]?.status, JSON.stringify(r.json)).toBe('stored');
    clock.advance(60_000);
    return r.json.outcomes[0] as { messageId: number; conversationId: number };
  };
  /** An RFC 5322 mail (`\n` line ends) to the support address, dated `daysAgo` days back. */
  const mail = async (src: string, daysAgo = 0) => {
    const m = await normalizeEmail(Buffer.from(src.replace(/\n/g, '\r\n')), { accountAddress: SUPPORT, now: clock.now() });
    return stored(s.mailAccount, { ...m, createdAt: clock.now() - daysAgo * DAY });
  };
  return { s, clock, db, stored, mail };
}
