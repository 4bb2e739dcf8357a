/**
 * A bounce joins the conversation of the mail it returns only when it proves that mail was ours
 * (src/channels/email/ref.ts, threading.ts). Against real servers (Dovecot IMAP, the SMTP server
 * that delivers into it: test/contract-servers/mail.ts): the connector answers Alice, the reply
 * arrives in her mailbox with its X-Parley-Ref, and Postfix-style delivery status notifications
 * (RFC 3464 multipart/report, the returned mail as text/rfc822-headers or whole as message/rfc822)
 * are delivered to the support mailbox, read by the connector's sync and ingested on SQLite and
 * PostgreSQL. A real bounce joins Alice's conversation; forged ones "From: MAILER-DAEMON@" that
 * know our reply's Message-ID (no token, a made-up token, another mail's token) start their own,
 * and so does the bounce of a reply sent without a token (before the change).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailServers } from './contract-servers/mail.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './db.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import type { NormalizedMessage } from '../src/core/types.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { EmailChannel } from '../src/channels/email/index.js';
import type { EmailRaw } from '../src/channels/email/parse.js';
import type { ChannelAccountConfig, SendRequest } from '../src/channels/types.js';
import { createHmac } from 'node:crypto';

const SUPPORT = 'support@desk.test';
const ALICE = 'alice@customer.test';
const BOB = 'bob@customer.test';

/** The instance's keys, by purpose (in the desk: SecretBox.deriveKey). */
const deriveKey = (p: string) => createHmac('sha256', 'bounce-proof-instance-secret').update(p).digest();

function account(mail: MailServers): ChannelAccountConfig {
  return {
    id: 1, brandId: 1, network: 'email', handle: 'Acme Support', externalId: SUPPORT,
    credentials: { user: SUPPORT, password: 'secret' },
    settings: { imapHost: mail.host, imapPort: mail.imapPort, imapSecure: false, smtpHost: mail.host, smtpPort: mail.smtpPort, smtpSecure: false, address: SUPPORT, timeoutMs: 5000 },
  };
}

/**
 * A delivery status notification as Postfix's bounce daemon writes it: a human part, the
 * machine-readable message/delivery-status, and the returned mail — its headers only
 * (text/rfc822-headers, `bounce_size_limit` exceeded or headers-only notices) or whole (message/rfc822).
 */
function postfixBounce(opts: { returned: Buffer; recipient: string; whole: boolean; from?: string; id: string }): string {
  const b = `A1B2C3D4E5.${opts.id}/mx.customer.test`;
  const returned = opts.returned.toString('utf8').replace(/\r?\n/g, '\r\n');
  const part = opts.whole ? returned : `${returned.split('\r\n\r\n')[0]}\r\n`;
  return [
    'Return-Path: <>',
    `Delivered-To: ${SUPPORT}`,
    'Date: Tue, 17 Nov 2026 10:05:00 +0000 (UTC)',
    `From: ${opts.from ?? 'MAILER-DAEMON@mx.customer.test (Mail Delivery System)'}`,
    'Subject: Undelivered Mail Returned to Sender',
    `To: ${SUPPORT}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${b}"`,
    'Content-Transfer-Encoding: 8bit',
    `Message-Id: <20261117100500.A1B2C3D4E5.${opts.id}@mx.customer.test>`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${b}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.customer.test.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients. It\'s attached below.',
    '',
    `<${opts.recipient}>: host mx.customer.test[192.0.2.25] said: 550 5.1.1`,
    `    <${opts.recipient}>: Recipient address rejected: User unknown in local`,
    '    recipient table (in reply to RCPT TO command)',
    '',
    `--${b}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.customer.test',
    'X-Postfix-Queue-ID: A1B2C3D4E5',
    `X-Postfix-Sender: rfc822; ${SUPPORT}`,
    'Arrival-Date: Tue, 17 Nov 2026 10:04:59 +0000 (UTC)',
    '',
    `Final-Recipient: rfc822; ${opts.recipient}`,
    `Original-Recipient: rfc822;${opts.recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.customer.test',
    `Diagnostic-Code: smtp; 550 5.1.1 <${opts.recipient}>: Recipient address rejected: User unknown in local recipient table`,
    '',
    `--${b}`,
    `Content-Description: ${opts.whole ? 'Undelivered Message' : 'Undelivered Message Headers'}`,
    `Content-Type: ${opts.whole ? 'message/rfc822' : 'text/rfc822-headers'}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    part,
    `--${b}--`,
    '',
  ].join('\r\n');
}

describe('a bounce joins a conversation by reference only when it proves it returns our mail', () => {
  let mail: MailServers;
  let channel: EmailChannel;
  /** The same mailbox, read and answered by a connector without the instance key (Parley before tokens). */
  let untokened: EmailChannel;
  beforeAll(async () => {
    mail = await MailServers.start({ [SUPPORT]: 'secret', [ALICE]: 'alice-pw', [BOB]: 'bob-pw' });
    channel = new EmailChannel(account(mail), { fetch: globalThis.fetch, now: () => Date.now(), deriveKey });
    untokened = new EmailChannel(account(mail), { fetch: globalThis.fetch, now: () => Date.now() });
  }, 120_000);
  afterAll(async () => {
    await channel?.close();
    await untokened?.close();
    await mail?.stop();
  });

  const req = (key: string, to: NormalizedMessage, text: string): SendRequest => ({
    idempotencyKey: key, text, visibility: 'private', inReplyTo: { networkMessageId: to.networkMessageId, raw: to.raw }, recipient: to.author,
  });
  /** Deliver a mail into the support mailbox and read it back through the connector. */
  async function arrives(source: string, id: string): Promise<NormalizedMessage> {
    await mail.append(SUPPORT, 'INBOX', source);
    const m = (await channel.sync(null)).messages.find((x) => x.networkMessageId === id);
    if (!m) throw new Error(`${id} not found by sync`);
    return m;
  }
  /** What really arrived at the customer: the bytes of our reply in their mailbox. */
  async function delivered(user: string, messageId: string): Promise<Buffer> {
    const m = (await mail.mailbox(user)).find((x) => x.parsed.messageId === messageId);
    if (!m) throw new Error(`${messageId} not in ${user}'s mailbox`);
    return m.source;
  }

  for (const dialect of DIALECTS) {
    it(`on ${dialect}`, async () => {
      const db: TestDatabase = await createTestDatabase(dialect);
      try {
        const now = Date.now();
        const brandId = await createBrand(db.store.db, { slug: 'mail', name: 'Mail' }, now);
        const accountId = await createChannelAccount(db.store.db, { brandId, network: 'email', handle: 'Acme Support', externalId: SUPPORT }, now);
        // the window rule is off (1 ms): only references can join
        const pipeline = new IngestPipeline({ store: db.store, bus: new EventBus(), clock: systemClock, threadingWindowMs: 1 });
        const ingest = async (m: NormalizedMessage) => {
          const [o] = await pipeline.ingest(brandId, [{ channelAccountId: accountId, message: m, source: 'network' }]);
          expect(o!.status, JSON.stringify(o)).toBe('stored');
          return o as { messageId: number; conversationId: number };
        };
        const tag = `${dialect}-${now}`;

        // Alice writes; we answer her; the reply arrives in her mailbox with its token
        const aliceId = `<alice-${tag}@customer.test>`;
        const first = await arrives(`From: Alice <${ALICE}>\r\nTo: ${SUPPORT}\r\nMessage-ID: ${aliceId}\r\nSubject: My order\r\nDate: Tue, 17 Nov 2026 10:00:00 +0000\r\n\r\nWhere is order #4411?\r\n`, aliceId);
        const conv = (await ingest(first)).conversationId;
        const sent = await channel.sendPrivateMessage(req(`alice-${tag}`, first, 'It ships today.'));
        const reply = { network: 'email', networkMessageId: sent.networkMessageId, direction: 'outbound', visibility: 'private', kind: 'email', author: { networkUserId: SUPPORT, handle: SUPPORT }, text: 'It ships today.', inReplyToNetworkId: aliceId, threadRootNetworkId: aliceId, createdAt: Date.now(), url: null, fromBrand: true, raw: sent.raw } as NormalizedMessage;
        expect((await ingest(reply)).conversationId).toBe(conv);
        const ours = await delivered(ALICE, sent.networkMessageId);
        expect(ours.toString('utf8')).toMatch(/^X-Parley-Ref: v1\.[A-Za-z0-9_-]{43}\r$/m);

        // a real bounce of it, headers only and whole: proven, joins Alice's conversation
        for (const whole of [false, true]) {
          const b = await arrives(postfixBounce({ returned: ours, recipient: ALICE, whole, id: `real-${whole}-${tag}` }), `<20261117100500.A1B2C3D4E5.real-${whole}-${tag}@mx.customer.test>`);
          expect(b).toMatchObject({ automated: true, inReplyToNetworkId: sent.networkMessageId });
          expect((b.raw as EmailRaw).returnedOwn).toBe(sent.networkMessageId);
          expect((await ingest(b)).conversationId, `whole: ${whole}`).toBe(conv);
        }

        // forgeries that know our reply's Message-ID: no token, a made-up one, Bob's token (he got a
        // reply from us too) pasted under Alice's Message-ID, Alice's token for another recipient.
        // Two come from the very MAILER-DAEMON whose real bounce joined: a mail system's address is
        // never a participant
        const bobId = `<bob-${tag}@customer.test>`;
        const bobMail = await arrives(`From: Bob <${BOB}>\r\nTo: ${SUPPORT}\r\nMessage-ID: ${bobId}\r\nSubject: Hi\r\n\r\nA question.\r\n`, bobId);
        const bobConv = (await ingest(bobMail)).conversationId;
        const toBob = await channel.sendPrivateMessage(req(`bob-${tag}`, bobMail, 'An answer.'));
        const bobsToken = /^X-Parley-Ref: (\S+)\r$/m.exec((await delivered(BOB, toBob.networkMessageId)).toString('utf8'))![1]!;
        const withoutToken = Buffer.from(ours.toString('utf8').replace(/^X-Parley-Ref: .*\r\n/m, ''));
        const forgeries = {
          'no token': withoutToken,
          'a made-up token': Buffer.from(ours.toString('utf8').replace(/^X-Parley-Ref: .*$/m, `X-Parley-Ref: v1.${'A'.repeat(43)}\r`)),
          'another mail\'s token': Buffer.from(ours.toString('utf8').replace(/^X-Parley-Ref: .*$/m, `X-Parley-Ref: ${bobsToken}\r`)),
          'the token, another recipient': Buffer.from(ours.toString('utf8').replace(/^To: .*$/m, `To: ${BOB}\r`)),
        };
        for (const [i, [name, returned]] of Object.entries(forgeries).entries()) {
          const id = `forged-${name.replace(/\W+/g, '-')}-${tag}`;
          const from = i % 2 ? undefined : 'Mail Delivery System <MAILER-DAEMON@evil.example>';
          const f = await arrives(postfixBounce({ returned, recipient: ALICE, whole: false, id, from }), `<20261117100500.A1B2C3D4E5.${id}@mx.customer.test>`);
          expect(f, name).toMatchObject({ automated: true, inReplyToNetworkId: sent.networkMessageId });
          expect((f.raw as EmailRaw).returnedOwn, name).toBeNull();
          const o = await ingest(f);
          expect(o.conversationId, name).not.toBe(conv);
          expect(o.conversationId, name).not.toBe(bobConv);
          // the reference is kept where it was
          const row = await db.store.db.selectFrom('message').select('in_reply_to_network_id').where('id', '=', o.messageId).executeTakeFirstOrThrow();
          expect(row.in_reply_to_network_id, name).toBe(sent.networkMessageId);
        }

        // a reply sent before replies carried the token: its bounce cannot prove anything, and starts its own conversation
        const old = await untokened.sendPrivateMessage(req(`old-${tag}`, first, 'An older answer.'));
        const oldBytes = await delivered(ALICE, old.networkMessageId);
        expect(oldBytes.toString('utf8')).not.toMatch(/X-Parley-Ref/i);
        await ingest({ ...reply, networkMessageId: old.networkMessageId, raw: old.raw });
        const ob = await arrives(postfixBounce({ returned: oldBytes, recipient: ALICE, whole: true, id: `old-${tag}` }), `<20261117100500.A1B2C3D4E5.old-${tag}@mx.customer.test>`);
        expect((await ingest(ob)).conversationId).not.toBe(conv);
      } finally {
        await db.drop();
      }
    }, 60_000);
  }
});
