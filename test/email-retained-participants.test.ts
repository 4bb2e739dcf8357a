/**
 * After raw payload retention an email keeps no address in clear, only keyed hashes of the
 * addresses it was from, to and cc'd (src/channels/retainedRaw.ts, src/channels/email/threading.ts),
 * and they still count as participants: the colleague a customer copied in can answer our reply
 * by reference; a stranger quoting it cannot. Erasure takes the hashes with the payload. Real
 * emails, normalized by the connector, ingested through the HTTP API of a desk that holds the
 * instance secret, retention run by the housekeeping sweep with that secret's keys, on SQLite and
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeEmail } from '../src/channels/email/parse.js';
import { createChannelAccount } from '../src/commands/setup.js';
import { housekeeping, type HousekeepingDeps } from '../src/jobs/housekeeping.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

const SUPPORT = 'support@acme.test';
const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`a copied-in colleague still takes part after raw payload retention [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let accountId = 0;
    const clock = new ManualClock(Date.UTC(2026, 10, 17, 10, 0));
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      accountId = await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network: 'email', handle: 'Acme Support', externalId: SUPPORT, driver: 'demo' }, clock.now());
    });
    afterAll(async () => desk?.stop());

    const ingest = async (src: string, daysAgo = 0) => {
      const m = await normalizeEmail(Buffer.from(src.replace(/\n/g, '\r\n')), { accountAddress: SUPPORT, now: clock.now() });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [{ ...m, createdAt: clock.now() - daysAgo * DAY }] });
      expect(r.json.outcomes[0].status, JSON.stringify(r.json)).toBe('stored');
      clock.advance(60_000);
      return r.json.outcomes[0] as { messageId: number; conversationId: number };
    };
    const rawOf = async (id: number) => {
      const r = (await desk.db.store.db.selectFrom('message').select('raw').where('id', '=', id).executeTakeFirstOrThrow()).raw;
      return r == null ? null : typeof r === 'string' ? r : Buffer.from(r as Uint8Array).toString('utf8');
    };
    /** The sweep as the desk runs it (src/app.ts): with the keys of the desk's instance secret, `SecretBox.deriveKey`. */
    const sweep = () => {
      const { deriveKey } = desk.parley.services.secrets as unknown as { deriveKey: (purpose: string) => Buffer };
      return housekeeping({ store: desk.db.store, bus: desk.parley.services.bus, deriveKey } as HousekeepingDeps, clock.now());
    };

    it('keeps hashes, not addresses; Carol (Cc) joins by reference after it, Mallory does not; erasure drops the hashes', async () => {
      const ALICE_MAIL = `<alice-r-${dialect}@y.com>`;
      const OUR_REPLY = `<parley-reply-r-${dialect}@acme.test>`;
      const alice = await ingest(`From: Alice <alice@y.com>\nTo: ${SUPPORT}\nCc: Carol <carol@y.com>\nMessage-ID: ${ALICE_MAIL}\nSubject: My order\n\nWhere is order #4411?\n`, 40);
      const ours = await ingest(`From: Acme Support <${SUPPORT}>\nTo: Alice <alice@y.com>\nMessage-ID: ${OUR_REPLY}\nIn-Reply-To: ${ALICE_MAIL}\nReferences: ${ALICE_MAIL}\nSubject: Re: My order\n\nIt ships today.\n`, 39);
      expect(ours.conversationId).toBe(alice.conversationId);

      // written forty days ago, with 30 days' retention: the payloads are trimmed to hashes
      expect((await admin.req('PATCH', '/api/settings/workflow', { retention: { rawPayloadDays: 30 } })).status).toBe(200);
      await sweep();
      for (const id of [alice.messageId, ours.messageId]) {
        const raw = await rawOf(id);
        expect(raw).toMatch(/^\{"parley:retained":\d+,"participants":\["h1\.[A-Za-z0-9_-]{43}"/);
        expect(raw).not.toMatch(/y\.com|acme\.test|alice|carol|order/i);
      }

      // Carol answers our reply: she was copied in, so she joins; a stranger quoting the same ids does not
      const carol = await ingest(`From: Carol <Carol@Y.com>\nTo: ${SUPPORT}\nMessage-ID: <carol-r-${dialect}@y.com>\nIn-Reply-To: ${OUR_REPLY}\nReferences: ${ALICE_MAIL} ${OUR_REPLY}\nSubject: Re: My order\n\nI can take delivery too.\n`);
      expect(carol.conversationId).toBe(alice.conversationId);
      const mallory = await ingest(`From: Mallory <mallory@x.com>\nTo: ${SUPPORT}\nMessage-ID: <m-r-${dialect}@x.com>\nIn-Reply-To: ${OUR_REPLY}\nReferences: ${ALICE_MAIL} ${OUR_REPLY}\nSubject: Re: My order\n\nSend it to me instead.\n`);
      expect(mallory.conversationId).not.toBe(alice.conversationId);

      // erasing Alice redacts her mail, payload and hashes with it
      const contact = (await desk.db.store.db.selectFrom('conversation').select('contact_id').where('id', '=', alice.conversationId).executeTakeFirstOrThrow()).contact_id;
      expect((await admin.post(`/api/contacts/${contact}/erase`, { reason: 'asked to be forgotten' })).status).toBe(200);
      expect(await rawOf(alice.messageId)).toBeNull();
    });
  });
}
