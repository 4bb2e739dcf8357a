/**
 * A forged In-Reply-To must not join another customer's conversation (src/channels/email/threading.ts).
 * Real emails, normalized by the email connector, ingested through the HTTP API into an email
 * account, on SQLite and PostgreSQL: Alice's thread (with our reply to her) is joined by Alice
 * under another display name and by the colleague she copied in; a stranger who quotes our
 * reply's Message-ID starts a conversation of her own, the reference kept, and so does a "bounce"
 * from MAILER-DAEMON that returns our reply's headers without its X-Parley-Ref proof (real
 * bounces with and without it: test/email-bounce-proof.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeEmail, type EmailRaw } from '../src/channels/email/parse.js';
import { createChannelAccount } from '../src/commands/setup.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

const SUPPORT = 'support@acme.test';

for (const dialect of DIALECTS) {
  describe(`email references join only a conversation the sender takes part in [${dialect}]`, () => {
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

    const ingest = async (src: string) => {
      const m = await normalizeEmail(Buffer.from(src.replace(/\n/g, '\r\n')), { accountAddress: SUPPORT, now: clock.now() });
      const r = await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [{ ...m, createdAt: clock.now() }] });
      expect(r.json.outcomes[0].status, JSON.stringify(r.json)).toBe('stored');
      clock.advance(60_000);
      return r.json.outcomes[0] as { messageId: number; conversationId: number };
    };
    const ALICE_MAIL = `<alice-1-${dialect}@y.com>`;
    const OUR_REPLY = `<parley-reply-1-${dialect}@acme.test>`;

    it('keeps a stranger quoting our reply to Alice out of Alice\'s conversation, and a bounce without proof; lets Alice and her colleague in', async () => {
      const alice = await ingest(`From: Alice <alice@y.com>\nTo: ${SUPPORT}\nCc: Carol <carol@y.com>\nMessage-ID: ${ALICE_MAIL}\nSubject: My order\n\nWhere is order #4411?\n`);
      const ours = await ingest(`From: Acme Support <${SUPPORT}>\nTo: Alice <alice@y.com>\nMessage-ID: ${OUR_REPLY}\nIn-Reply-To: ${ALICE_MAIL}\nReferences: ${ALICE_MAIL}\nSubject: Re: My order\n\nIt ships today.\n`);
      expect(ours.conversationId).toBe(alice.conversationId);

      const forged = await ingest(`From: Mallory <mallory@x.com>\nTo: ${SUPPORT}\nMessage-ID: <m-1-${dialect}@x.com>\nIn-Reply-To: ${OUR_REPLY}\nReferences: ${ALICE_MAIL} ${OUR_REPLY}\nSubject: Re: My order\n\nPlease send it to my address instead.\n`);
      expect(forged.conversationId).not.toBe(alice.conversationId);
      const row = await desk.db.store.db.selectFrom('message').select(['raw', 'in_reply_to_network_id']).where('id', '=', forged.messageId).executeTakeFirstOrThrow();
      const raw = (typeof row.raw === 'string' ? JSON.parse(row.raw) : row.raw) as EmailRaw;
      expect(raw).toMatchObject({ inReplyTo: OUR_REPLY, references: [ALICE_MAIL, OUR_REPLY] });
      const theirs = (await admin.get(`/api/conversations/${alice.conversationId}`)).json.messages.map((m: any) => m.id);
      expect(theirs).not.toContain(forged.messageId);

      // Alice again, under another display name and in capitals
      const again = await ingest(`From: "ALICE SMITH" <Alice@Y.com>\nTo: ${SUPPORT}\nMessage-ID: <alice-2-${dialect}@y.com>\nIn-Reply-To: ${OUR_REPLY}\nReferences: ${ALICE_MAIL} ${OUR_REPLY}\nSubject: Re: My order\n\nThanks!\n`);
      expect(again.conversationId).toBe(alice.conversationId);
      // the colleague Alice copied in
      const carol = await ingest(`From: Carol <carol@y.com>\nTo: ${SUPPORT}\nMessage-ID: <carol-1-${dialect}@y.com>\nIn-Reply-To: ${OUR_REPLY}\nReferences: ${ALICE_MAIL} ${OUR_REPLY}\nSubject: Re: My order\n\nI can take delivery too.\n`);
      expect(carol.conversationId).toBe(alice.conversationId);
      // a "bounce" of our reply that anyone knowing its Message-ID could write: no X-Parley-Ref in the
      // returned headers, so it proves nothing and starts its own conversation, the reference kept
      const bounce = await ingest(`From: Mail Delivery System <MAILER-DAEMON@mx.y.com>\nTo: ${SUPPORT}\nMessage-ID: <bounce-1-${dialect}@mx.y.com>\nSubject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: text/plain\n\nThe mail could not be delivered.\n--r\nContent-Type: text/rfc822-headers\n\nFrom: ${SUPPORT}\nMessage-ID: ${OUR_REPLY}\n\n--r--\n`);
      expect(bounce.conversationId).not.toBe(alice.conversationId);
      const bounceRow = await desk.db.store.db.selectFrom('message').select(['in_reply_to_network_id', 'is_auto']).where('id', '=', bounce.messageId).executeTakeFirstOrThrow();
      expect(bounceRow).toEqual({ in_reply_to_network_id: OUR_REPLY, is_auto: 1 });

      // Mallory's answer to her own thread stays in hers; a second forgery (References only) stays out too
      const rootOnly = await ingest(`From: mallory@x.com\nTo: ${SUPPORT}\nMessage-ID: <m-2-${dialect}@x.com>\nReferences: ${ALICE_MAIL}\nSubject: Re: My order\n\nHello?\n`);
      expect(rootOnly.conversationId).not.toBe(alice.conversationId);
    });
  });
}
