/**
 * A message's own time must be plausible (src/core/messageTime.ts), whatever brought it in: one
 * dated in the future (an email's Date header, a server's clock, an integration's createdAt) or
 * before 2000 (a missing time read as 0) is stored at the time the pipeline received it, so it
 * neither sorts above the inbox forever nor starts its SLA clocks in the future or in 1970. A
 * message with a plausible time keeps it, and imported history keeps its past dates. Through the
 * ingest API and the TWCS import, with a controlled clock, on SQLite and PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTwcs } from '../src/import/importTwcs.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const DAY = 86_400_000;
// Tuesday 17 November 2026, 10:00 London (inside business hours)
const T = Date.UTC(2026, 10, 17, 10, 0);
const iso = (t: number) => new Date(t).toISOString();
/** A date as TWCS writes it (ISO form, which the importer reads too). */
const twcsDate = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '+00:00');
/** A stored raw payload (text, or its exact bytes) as JSON. */
const rawJson = (raw: unknown) => JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw as Uint8Array).toString('utf8'));

for (const dialect of DIALECTS) {
  describe(`a message's time is plausible [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let dir: string;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      dir = mkdtempSync(join(tmpdir(), 'parley-message-time-'));
    });
    afterAll(async () => {
      await desk?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    let n = 0;
    const customer = () => ({ networkUserId: `mt-${dialect}-${++n}`, handle: `timecustomer${n}`, displayName: `Customer ${n}`, followers: 10 });
    const ingest = async (createdAt: number) => {
      const m = mention({ author: customer(), text: '@AcmeCare my order has not arrived', createdAt, raw: { sentAt: createdAt } });
      const [o] = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes;
      expect(o.status).toBe('stored');
      return { conversationId: o.conversationId as number, messageId: o.messageId as number };
    };
    const message = (id: number) => desk.db.store.db.selectFrom('message').select(['created_at', 'received_at', 'raw']).where('id', '=', id).executeTakeFirstOrThrow();
    const conversation = (id: number) => desk.db.store.db.selectFrom('conversation').select(['created_at', 'last_message_at', 'waiting_since', 'sla_due_at']).where('id', '=', id).executeTakeFirstOrThrow();
    const firstResponse = async (id: number) => ((await admin.get(`/api/conversations/${id}/sla`)).json.items as any[]).find((k) => k.metric === 'first_response' && k.stoppedAt == null);
    const shown = async (id: number, messageId: number) => (await admin.get(`/api/conversations/${id}`)).json.messages.find((m: any) => m.id === messageId);

    it('stores a message dated a day in the future at its receipt, and starts its first-response clock there', async () => {
      clock.set(T);
      const { conversationId, messageId } = await ingest(T + DAY);
      expect(await message(messageId)).toMatchObject({ created_at: T, received_at: T });
      // the original time stays in the raw payload, as it came
      expect(rawJson((await message(messageId)).raw)).toEqual({ sentAt: T + DAY });
      expect(await conversation(conversationId)).toMatchObject({ created_at: T, last_message_at: T, waiting_since: T });
      expect(await shown(conversationId, messageId)).toMatchObject({ createdAt: iso(T), receivedAt: iso(T) });
      expect(await firstResponse(conversationId)).toMatchObject({ startedAt: iso(T), dueAt: iso(T + 30 * MIN), state: 'active' });
    });

    it('stores a message dated 1970 at its receipt, and starts its first-response clock there', async () => {
      clock.set(T + 5 * MIN);
      const { conversationId, messageId } = await ingest(0);
      expect(await message(messageId)).toMatchObject({ created_at: T + 5 * MIN, received_at: T + 5 * MIN });
      expect(await conversation(conversationId)).toMatchObject({ created_at: T + 5 * MIN, last_message_at: T + 5 * MIN, waiting_since: T + 5 * MIN });
      expect(await firstResponse(conversationId)).toMatchObject({ startedAt: iso(T + 5 * MIN), dueAt: iso(T + 35 * MIN), state: 'active' });
    });

    it('keeps a plausible time: a few minutes old, or a sender\'s clock slightly ahead', async () => {
      clock.set(T + 10 * MIN);
      const old = await ingest(T + 7 * MIN);
      expect(await message(old.messageId)).toMatchObject({ created_at: T + 7 * MIN, received_at: T + 10 * MIN });
      expect(await conversation(old.conversationId)).toMatchObject({ created_at: T + 7 * MIN, last_message_at: T + 7 * MIN, waiting_since: T + 7 * MIN });
      expect(await firstResponse(old.conversationId)).toMatchObject({ startedAt: iso(T + 7 * MIN), dueAt: iso(T + 37 * MIN) });
      const ahead = await ingest(T + 12 * MIN);
      expect(await message(ahead.messageId)).toMatchObject({ created_at: T + 12 * MIN, received_at: T + 10 * MIN });
    });

    it('keeps imported history\'s past dates, and dates a future or pre-2000 line of the file at its receipt', async () => {
      clock.set(T + 20 * MIN);
      const past = Date.UTC(2017, 9, 31, 22, 10, 47);
      const file = join(dir, 'history.csv');
      writeFileSync(file, [
        'tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id',
        `9200000001,mtcust1,True,${twcsDate(past)},@AcmeCare my order has not arrived,9200000002,`,
        `9200000002,AcmeCare,False,${twcsDate(past + 30 * MIN)},@mtcust1 Sorry! Please DM us your order number,,9200000001`,
        `9200000003,mtcust2,True,${twcsDate(T + 400 * DAY)},@AcmeCare written in the future,,`,
        `9200000004,mtcust3,True,${twcsDate(Date.UTC(1999, 11, 31, 23))},@AcmeCare written last century,,`,
      ].join('\n') + '\n');
      const r = await importTwcs(desk.db.store, desk.parley.services.pipeline, file, { brandSlug: 'acme', now: () => T + 20 * MIN });
      expect(r.stored).toBe(4);
      const times = Object.fromEntries((await desk.db.store.db.selectFrom('message').select(['network_message_id', 'created_at']).where('network_message_id', 'like', '92000000%').execute())
        .map((m) => [m.network_message_id, Number(m.created_at)]));
      expect(times).toEqual({ 9200000001: past, 9200000002: past + 30 * MIN, 9200000003: T + 20 * MIN, 9200000004: T + 20 * MIN });
    });
  });
}
