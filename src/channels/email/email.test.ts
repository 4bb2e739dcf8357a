/**
 * The email connector against real servers started here: Dovecot IMAP and an
 * SMTP server on loopback that delivers into Dovecot (test/contract-servers/mail.ts).
 * First the contract suite (a "mention" is a customer's email; every reply is
 * a private email reply), then IDLE, threading through the pipeline, UIDVALIDITY,
 * HTML mail, and each failure the servers can produce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChannelContract, type ContractNetwork } from '../../../test/channel-contract.js';
import { MailServers } from '../../../test/contract-servers/mail.js';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { createBrand, createChannelAccount } from '../../commands/setup.js';
import type { NormalizedMessage } from '../../core/types.js';
import { EventBus } from '../../events/bus.js';
import { systemClock } from '../../lib/clock.js';
import { IngestPipeline } from '../../pipeline/ingest.js';
import { freePort } from '../../../test/setup/services.js';
import type { ChannelAccountConfig, SendRequest } from '../types.js';
import { createChannel, EmailChannel, fetchGroups, PENDING_FLAG } from './index.js';
import { normalizeEmail, type EmailRaw } from './parse.js';
import { trimQuoted } from './quote.js';

const SUPPORT = 'support@desk.test';
const CUSTOMER = 'casey@customer.test';
const deps = { fetch: globalThis.fetch, now: () => Date.now() };

function account(mail: MailServers, over: { settings?: Record<string, unknown>; password?: string } = {}): ChannelAccountConfig {
  return {
    id: 1, brandId: 1, network: 'email', handle: 'Acme Support', externalId: SUPPORT,
    credentials: { user: SUPPORT, password: over.password ?? 'secret' },
    settings: { imapHost: mail.host, imapPort: mail.imapPort, imapSecure: false, smtpHost: mail.host, smtpPort: mail.smtpPort, smtpSecure: false, address: SUPPORT, timeoutMs: 1500, ...over.settings },
  };
}

/** What the customer's mail client shows of the mails from the support address. */
async function fromSupport(mail: MailServers) {
  return (await mail.mailbox(CUSTOMER)).filter((m) => m.parsed.from?.value[0]?.address === SUPPORT);
}

// ------------------------------------------------------------------ the contract suite

runChannelContract('email (Dovecot IMAP + SMTP on loopback)', async () => {
  const mail = await MailServers.start({ [SUPPORT]: 'secret', [CUSTOMER]: 'casey-pw' });
  let cursor: string | null = null;
  const net: ContractNetwork = {
    network: 'email',
    visibility: 'private',
    makeChannel: (acc) => createChannel(acc, deps),
    account: { handle: 'Acme Support', externalId: SUPPORT, credentials: account(mail).credentials, settings: account(mail).settings },
    postMention: (text) => mail.send({ from: `Casey Customer <${CUSTOMER}>`, to: SUPPORT, subject: 'Where is my order?', text }),
    postPrivate: (text) => mail.send({ from: `Casey Customer <${CUSTOMER}>`, to: SUPPORT, subject: 'A private question', text }),
    async receive(channel, opts) {
      const r = await channel.sync!(opts?.redeliver ? null : cursor);
      if (!opts?.redeliver) cursor = r.cursor;
      return r.messages;
    },
    async readBack(id) {
      const m = (await mail.mailbox(CUSTOMER)).find((x) => x.parsed.messageId === id);
      if (!m) return null;
      const n = await normalizeEmail(m.source, { accountAddress: CUSTOMER, now: Date.now() });
      const to = (m.parsed.to && !Array.isArray(m.parsed.to) ? m.parsed.to.value : []).map((a) => a.address);
      // an email to the customer alone is a private reply
      return { text: n.text, inReplyToNetworkId: n.inReplyToNetworkId ?? null, visibility: to.length === 1 && to[0] === CUSTOMER ? 'private' : 'public' };
    },
    countPosts: async (text) => (await fromSupport(mail)).filter((m) => trimQuoted(m.parsed.text ?? '').text.includes(text)).length,
    failNext: (mode) => mail.failNext(mode),
    revokeAuth: () => mail.setPassword(SUPPORT, `revoked-${Date.now()}`),
    teardown: () => mail.stop(),
  };
  return net;
});

// ------------------------------------------------------------------ the rest of the connector

describe('fetching a page of mail', () => {
  const MB = 1024 * 1024;
  it('reads the sources a budget at a time, in UID order, a mail bigger than the budget on its own', () => {
    expect(fetchGroups([{ uid: 3, size: 1000 }, { uid: 1, size: 2000 }, { uid: 2, size: 500 }], 16 * MB, 8 * MB)).toEqual([[1, 2, 3]]);
    // fifty 8 MB mails: two at a time within 16 MB, never the whole page (400 MB) at once
    const big = Array.from({ length: 50 }, (_, i) => ({ uid: i + 1, size: 30 * MB }));
    const groups = fetchGroups(big, 16 * MB, 8 * MB);
    expect(groups).toHaveLength(25);
    expect(groups.flat()).toEqual(big.map((m) => m.uid));
    // a size the server did not give counts as the most that is read of a mail
    expect(fetchGroups([{ uid: 1, size: null }, { uid: 2, size: undefined }, { uid: 3, size: 10 }], 16 * MB, 8 * MB)).toEqual([[1, 2], [3]]);
    expect(fetchGroups([], 16 * MB, 8 * MB)).toEqual([]);
  });
});

describe('email connector against Dovecot and SMTP', () => {
  let mail: MailServers;
  let channel: EmailChannel;
  const req = (key: string, inReplyTo: NormalizedMessage, text = `Reply ${key}`): SendRequest => ({
    idempotencyKey: key, text, visibility: 'private', inReplyTo: { networkMessageId: inReplyTo.networkMessageId, raw: inReplyTo.raw }, recipient: inReplyTo.author,
  });
  async function customerWrites(subject: string, text: string, extra: Partial<Parameters<MailServers['send']>[0]> = {}): Promise<NormalizedMessage> {
    const id = await mail.send({ from: `Casey <${CUSTOMER}>`, to: SUPPORT, subject, text, ...extra });
    const r = await channel.sync(null);
    const m = r.messages.find((x) => x.networkMessageId === id);
    if (!m) throw new Error(`mail ${id} not found by sync`);
    return m;
  }

  beforeAll(async () => {
    mail = await MailServers.start({ [SUPPORT]: 'secret', [CUSTOMER]: 'casey-pw' });
    channel = new EmailChannel(account(mail), deps);
  }, 120_000);
  afterAll(async () => {
    await channel?.close();
    await mail?.stop();
  });

  it('streams new mail as it arrives over IMAP IDLE, and ends when aborted', async () => {
    const got: NormalizedMessage[] = [];
    const ctrl = new AbortController();
    const ended = channel.stream(async (msgs) => void got.push(...msgs), ctrl.signal);
    for (let i = 0; i < 100 && !channel.streaming; i++) await new Promise((r) => setTimeout(r, 20));
    expect(channel.streaming).toBe(true);
    const id = await mail.send({ from: CUSTOMER, to: SUPPORT, subject: 'Live', text: `arrives live ${Date.now()}` });
    for (let i = 0; i < 200 && !got.some((m) => m.networkMessageId === id); i++) await new Promise((r) => setTimeout(r, 25));
    expect(got.map((m) => m.networkMessageId)).toContain(id);
    ctrl.abort();
    await expect(ended).resolves.toBeUndefined();
    expect(channel.streaming).toBe(false);
  });

  it('threads a customer\'s answer to our reply into the same conversation, with only the new text', async () => {
    const db: TestDatabase = await createTestDatabase('sqlite');
    try {
      const now = Date.now();
      const brandId = await createBrand(db.store.db, { slug: 'mail', name: 'Mail' }, now);
      const accountId = await createChannelAccount(db.store.db, { brandId, network: 'email', handle: 'Acme Support', externalId: SUPPORT }, now);
      const pipeline = new IngestPipeline({ store: db.store, bus: new EventBus(), clock: systemClock, threadingWindowMs: 1 });
      const ingest = (m: NormalizedMessage) => pipeline.ingest(brandId, [{ channelAccountId: accountId, message: m, source: 'network' }]);

      const first = await customerWrites('Broken kettle', 'The kettle leaks.');
      const [a] = await ingest(first);
      const sent = await channel.sendPrivateMessage(req(`thread-${now}`, first, 'Sorry! Is the lid closed?'));
      const answer = await customerWrites('Re: Broken kettle', `Yes it is closed.\n\nOn ${new Date().toUTCString()}, Acme Support <${SUPPORT}> wrote:\n> Sorry! Is the lid closed?\n`, {
        inReplyTo: sent.networkMessageId, references: [first.networkMessageId, sent.networkMessageId],
      });
      expect(answer).toMatchObject({ text: 'Yes it is closed.', inReplyToNetworkId: sent.networkMessageId, threadRootNetworkId: first.networkMessageId });
      expect((answer.raw as EmailRaw).text).toContain('> Sorry! Is the lid closed?');
      // the window rule is off (1 ms): only References can join them
      const [b] = await ingest(answer);
      expect(b!.status).toBe('stored');
      expect((b as { conversationId: number }).conversationId).toBe((a as { conversationId: number }).conversationId);
    } finally {
      await db.drop();
    }
  });

  it('turns an HTML-only mail into inert text', async () => {
    const m = await customerWrites('HTML', '', { text: undefined, html: '<p>Hi <b>there</b></p><script>window.pwned=1</script><p>&lt;img src=x onerror=alert(1)&gt;</p>' });
    expect(m.text).toContain('Hi there');
    expect(m.text).toContain('<img src=x onerror=alert(1)>');
    expect(m.text).not.toContain('pwned');
  });

  it('reports a changed UIDVALIDITY as CURSOR_INVALID, and backfills after it', async () => {
    await mail.mailboxCreate(SUPPORT, 'Support');
    const ch = new EmailChannel(account(mail, { settings: { mailbox: 'Support' } }), deps);
    const src = (n: number) => `From: ${CUSTOMER}\r\nTo: ${SUPPORT}\r\nMessage-ID: <uv-${n}-${Date.now()}@customer.test>\r\nSubject: uv\r\n\r\nmail ${n}\r\n`;
    await mail.append(SUPPORT, 'Support', src(1));
    const r1 = await ch.sync(null);
    expect(r1.messages).toHaveLength(1);
    expect((await ch.sync(r1.cursor)).messages).toHaveLength(0);
    await mail.mailboxDelete(SUPPORT, 'Support');
    await mail.mailboxCreate(SUPPORT, 'Support');
    await mail.append(SUPPORT, 'Support', src(2));
    const err = await ch.sync(r1.cursor).then(() => null, (e) => e);
    expect(err?.code).toBe('CURSOR_INVALID');
    expect(err.message).toMatch(/UIDVALIDITY/);
    const again = await ch.sync(null);
    expect(again.messages.map((m) => m.text)).toEqual(['uv\n\nmail 2']);
    await ch.close();
  });

  it('pages a large backlog and resumes from the cursor', async () => {
    await mail.mailboxCreate(SUPPORT, 'Backlog');
    for (let i = 0; i < 5; i++) await mail.append(SUPPORT, 'Backlog', `From: ${CUSTOMER}\r\nMessage-ID: <bl-${i}-${Date.now()}@customer.test>\r\nSubject: b${i}\r\n\r\nbody\r\n`);
    const ch = new EmailChannel(account(mail, { settings: { mailbox: 'Backlog', pageSize: 2 } }), deps);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await ch.sync(cursor);
      seen.push(...r.messages.map((m) => m.text.split('\n')[0]!));
      cursor = r.cursor;
      if (!r.more) break;
    }
    expect(seen).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    await ch.close();
  });

  it('sends once per idempotency key, keeps a copy in Sent, and finds it', async () => {
    const m = await customerWrites('Twice?', 'Please answer once.');
    const key = `once-${Date.now()}`;
    const a = await channel.sendPrivateMessage(req(key, m));
    const b = await channel.sendPrivateMessage(req(key, m));
    expect(b.networkMessageId).toBe(a.networkMessageId);
    expect((await fromSupport(mail)).filter((x) => x.parsed.messageId === a.networkMessageId)).toHaveLength(1);
    const sent = (await mail.mailbox(SUPPORT, 'Sent')).filter((x) => x.parsed.messageId === a.networkMessageId);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.flags.has(PENDING_FLAG)).toBe(false);
    expect(await channel.findSent(req(key, m))).toMatchObject({ networkMessageId: a.networkMessageId, raw: { pending: false } });
    expect(await channel.findSent(req(`${key}-never`, m))).toBeNull();
  });

  it('after a timeout once the server took the mail: TIMEOUT, then findSent finds it and it is never sent again', async () => {
    const m = await customerWrites('Slow server', 'Hello?');
    const key = `timeout-${Date.now()}`;
    mail.failNext('timeout_after_accept');
    const err = await channel.sendPrivateMessage(req(key, m)).then(() => null, (e) => e);
    expect(err?.code).toBe('TIMEOUT');
    expect(await channel.findSent(req(key, m))).toMatchObject({ raw: { pending: true } });
    const again = await channel.sendPrivateMessage(req(key, m));
    const delivered = (await fromSupport(mail)).filter((x) => x.parsed.messageId === again.networkMessageId);
    expect(delivered).toHaveLength(1);
  });

  it('never mails the support address itself, and refuses to answer a bounce', async () => {
    const inbox = async (id: string) => (await mail.mailbox(SUPPORT)).filter((x) => x.parsed.messageId === id);
    // a customer whose Reply-To points at the support address (a forwarding rule gone wrong): the reply goes to them
    const m = await customerWrites('Loop?', 'Answer me, not yourself.', { headers: { 'Reply-To': SUPPORT } });
    const a = await channel.sendPrivateMessage(req(`self-${Date.now()}`, m));
    expect((await fromSupport(mail)).filter((x) => x.parsed.messageId === a.networkMessageId)).toHaveLength(1);
    expect(await inbox(a.networkMessageId)).toHaveLength(0);
    // an agent following up on our own reply: it goes to whom that reply went to
    const b = await channel.sendPrivateMessage({ idempotencyKey: `followup-${Date.now()}`, text: 'One more thing.', visibility: 'private', inReplyTo: { networkMessageId: a.networkMessageId, raw: a.raw }, recipient: null });
    const got = (await fromSupport(mail)).filter((x) => x.parsed.messageId === b.networkMessageId);
    expect(got).toHaveLength(1);
    expect(got[0]!.parsed.inReplyTo).toBe(a.networkMessageId);
    expect(await inbox(b.networkMessageId)).toHaveLength(0);
    // a bounce of that reply: marked automatic, threaded to it, and not answered
    const bounceId = `<bounce-${Date.now()}@mx.desk.test>`;
    await mail.append(SUPPORT, 'INBOX', `From: Mail Delivery System <MAILER-DAEMON@mx.desk.test>\r\nTo: ${SUPPORT}\r\nMessage-ID: ${bounceId}\r\nSubject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.desk.test\r\n\r\nFinal-Recipient: rfc822; ${CUSTOMER}\r\nAction: failed\r\nStatus: 5.1.1\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: ${SUPPORT}\r\nMessage-ID: ${b.networkMessageId}\r\n\r\n--r--\r\n`);
    const bounce = (await channel.sync(null)).messages.find((x) => x.networkMessageId === bounceId)!;
    expect(bounce).toMatchObject({ automated: true, inReplyToNetworkId: b.networkMessageId, direction: 'inbound' });
    const key = `to-bounce-${Date.now()}`;
    const err = await channel.sendPrivateMessage(req(key, bounce)).then(() => null, (e) => e);
    expect(err?.code).toBe('INVALID_REQUEST');
    expect(err.message).toMatch(/mail system/);
    expect(await channel.findSent(req(key, bounce))).toBeNull();
  });

  it('marks an automatic reply Auto-Submitted (RFC 3834), and an agent\'s reply not', async () => {
    const m = await customerWrites('Out of hours', 'Anyone there?');
    const auto = await channel.sendPrivateMessage({ ...req(`ack-${Date.now()}`, m, 'We are away until 9:00.'), automatic: true });
    const person = await channel.sendPrivateMessage(req(`agent-${Date.now()}`, m, 'Here now.'));
    const got = await fromSupport(mail);
    expect(got.find((x) => x.parsed.messageId === auto.networkMessageId)!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(got.find((x) => x.parsed.messageId === person.networkMessageId)!.parsed.headers.get('auto-submitted')).toBeUndefined();
  });

  it('maps SMTP refusals, and leaves nothing behind when the mail was certainly not sent', async () => {
    const m = await customerWrites('Failures', 'Test the failures.');
    const cases: [Parameters<MailServers['failNext']>[0], string][] = [['rate_limit', 'RATE_LIMITED'], ['server_error', 'TEMPORARY'], ['refused', 'INVALID_REQUEST'], ['auth_revoked', 'AUTH_REVOKED']];
    for (const [mode, code] of cases) {
      const key = `fail-${mode}-${Date.now()}`;
      mail.failNext(mode);
      const err = await channel.sendPrivateMessage(req(key, m)).then(() => null, (e) => e);
      expect(err?.code, mode).toBe(code);
      if (code === 'RATE_LIMITED') expect(err.opts.retryAt).toBeGreaterThan(Date.now() + 30_000);
      expect(await channel.findSent(req(key, m)), `${mode}: no Sent copy`).toBeNull();
      expect((await fromSupport(mail)).some((x) => x.parsed.messageId?.includes(key))).toBe(false);
    }
    // and the same reply goes out once the server is fine again
    const ok = await channel.sendPrivateMessage(req(`fail-server_error-after-${Date.now()}`, m));
    expect((await fromSupport(mail)).filter((x) => x.parsed.messageId === ok.networkMessageId)).toHaveLength(1);
  });

  it('reports unreachable servers as TEMPORARY and a changed password as AUTH_REVOKED', async () => {
    const closed = await freePort();
    const noImap = new EmailChannel(account(mail, { settings: { imapPort: closed } }), deps);
    expect((await noImap.sync(null).then(() => null, (e) => e))?.code).toBe('TEMPORARY');
    const m = await customerWrites('Unreachable', 'x');
    const noSmtp = new EmailChannel(account(mail, { settings: { smtpPort: closed } }), deps);
    const key = `nosmtp-${Date.now()}`;
    expect((await noSmtp.sendPrivateMessage(req(key, m)).then(() => null, (e) => e))?.code).toBe('TEMPORARY');
    expect(await noSmtp.findSent(req(key, m))).toBeNull();

    const wrong = new EmailChannel(account(mail, { password: 'not-the-password' }), deps);
    expect((await wrong.sync(null).then(() => null, (e) => e))?.code).toBe('AUTH_REVOKED');
    const ctrl = new AbortController();
    expect((await wrong.stream(async () => {}, ctrl.signal).then(() => null, (e) => e))?.code).toBe('AUTH_REVOKED');
    const noCreds = new EmailChannel({ ...account(mail), credentials: {} }, deps);
    expect((await noCreds.sync(null).then(() => null, (e) => e))?.code).toBe('AUTH_REVOKED');
  });
});
