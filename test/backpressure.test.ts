/**
 * A burst larger than the ingest queue: the API answers 503 with Retry-After
 * instead of dropping or buffering without bound; a sender that retries gets
 * every message stored exactly once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

let desk: TestDesk;
beforeAll(async () => {
  desk = await startDesk('sqlite', { ingestQueueMax: 100, workers: false });
});
afterAll(async () => {
  await desk?.stop();
});

it('refuses what does not fit with 503 + Retry-After, and loses nothing when the sender retries', async () => {
  const admin = await Client.signIn(desk.url, 'admin@acme.test');
  const requests = Array.from({ length: 40 }, (_, i) => Array.from({ length: 25 }, (_, k) => mention({ networkMessageId: `burst-${i}-${k}`, text: `@AcmeCare burst ${i}/${k}: is the app down?` })));
  const refusals: { status: number; retryAfter: string | null; code: string }[] = [];
  let attempts = 0;
  const send = async (messages: ReturnType<typeof mention>[]) => {
    for (;;) {
      attempts++;
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages });
      if (r.status === 200) return r.json.outcomes as { status: string }[];
      refusals.push({ status: r.status, retryAfter: r.headers.get('retry-after'), code: r.json?.code });
      expect(r.status).toBe(503);
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  // open the connections first (keep-alive), so that the burst's requests reach the server together
  await Promise.all(Array.from({ length: 50 }, () => admin.get('/api/me')));
  // all at once, and the same burst delivered a second time (a network retrying its webhook)
  const outcomes = (await Promise.all([...requests, ...requests.slice(0, 10)].map(send))).flat();
  expect(refusals.length).toBeGreaterThan(0);
  for (const r of refusals) {
    expect(r.code).toBe('ingest.busy');
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
  }
  expect(attempts).toBe(50 + refusals.length);
  expect(outcomes.filter((o) => o.status === 'stored')).toHaveLength(1000);
  expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(250);
  const stored = await desk.db.store.db.selectFrom('message').select((eb) => eb.fn.countAll<number>().as('n')).where('network_message_id', 'like', 'burst-%').executeTakeFirstOrThrow();
  expect(Number(stored.n)).toBe(1000);
});
