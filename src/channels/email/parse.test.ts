/**
 * Normalizing emails (RFC 5322 bytes built by nodemailer's composer, or written
 * by hand where a client's quirk matters), composing replies, and mapping
 * IMAP/SMTP failures to ChannelError codes. No servers here: see email.test.ts.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { ChannelError } from '../types.js';
import { composeReply, messageIdFor, parentFromRaw, replyReferences, replySubject } from './compose.js';
import { imapError, smtpError } from './errors.js';
import { normalizeEmail, type EmailRaw } from './parse.js';

const NOW = Date.UTC(2026, 5, 3, 12, 0, 0);
const build = (opts: ConstructorParameters<typeof MailComposer>[0]) => new MailComposer(opts).compile().build();
const support = { accountAddress: 'support@acme.test', now: NOW };

describe('normalizeEmail', () => {
  it('maps headers, author and threading; the text is the new part, the raw keeps everything', async () => {
    const src = await build({
      from: 'Ann Example <Ann@Example.TEST>',
      to: 'support@acme.test',
      subject: 'Re: Order 12345',
      messageId: '<answer-1@example.test>',
      inReplyTo: '<parley-k1@acme.test>',
      references: ['<first@example.test>', '<parley-k1@acme.test>'],
      date: new Date(NOW - 60_000),
      text: 'Yes, 12345.\n\nOn Mon, 3 Jun 2024 at 10:02, Acme <support@acme.test> wrote:\n> What is your order number?\n',
    });
    const m = await normalizeEmail(src, { ...support, position: { mailbox: 'INBOX', uid: 7, uidValidity: '99', internalDate: new Date(NOW - 30_000), size: src.length } });
    expect(m).toMatchObject({
      network: 'email', networkMessageId: '<answer-1@example.test>', direction: 'inbound', visibility: 'private', kind: 'email',
      author: { networkUserId: 'ann@example.test', handle: 'ann@example.test', displayName: 'Ann Example' },
      text: 'Yes, 12345.', inReplyToNetworkId: '<parley-k1@acme.test>', threadRootNetworkId: '<first@example.test>', createdAt: NOW - 30_000, fromBrand: false,
    });
    const raw = m.raw as EmailRaw;
    expect(raw.text).toContain('> What is your order number?');
    expect(raw).toMatchObject({ mailbox: 'INBOX', uid: 7, uidValidity: '99', subject: 'Re: Order 12345', trimmed: true, truncated: false, references: ['<first@example.test>', '<parley-k1@acme.test>'] });
    expect(raw.source).toBe(src.toString('utf8'));
  });

  it('starts a new thread\'s text with its subject, and lists attachments by name', async () => {
    const src = await build({
      from: 'bob@example.test', to: 'support@acme.test', subject: 'Broken kettle', messageId: '<k@example.test>', text: 'It leaks.',
      attachments: [{ filename: 'photo.jpg', content: Buffer.alloc(2048, 1), contentType: 'image/jpeg' }],
    });
    const m = await normalizeEmail(src, support);
    expect(m.text).toBe('Broken kettle\n\nIt leaks.\n\n[attachment: photo.jpg (image/jpeg, 2 KB)]');
    expect(m.threadRootNetworkId).toBeNull();
    expect((m.raw as EmailRaw).attachments).toEqual([{ filename: 'photo.jpg', contentType: 'image/jpeg', size: 2048 }]);
  });

  it('turns an HTML-only mail into text: scripts and styles dropped, quotes trimmed, no data: URL in the text', async () => {
    const html = '<html><head><style>p{color:red}</style><script>alert("x")</script></head><body><p>Hello <b>team</b>,</p><p>my <i>order</i> &lt;b&gt;#9&lt;/b&gt; is late.</p>'
      + `<img alt="logo" src="data:image/png;base64,${'A'.repeat(5000)}"><div class="gmail_quote">On Mon, 3 Jun 2024 at 10:02 Acme &lt;support@acme.test&gt; wrote:<blockquote>old text</blockquote></div></body></html>`;
    const src = await build({ from: 'c@example.test', to: 'support@acme.test', subject: 'Late', messageId: '<h@example.test>', inReplyTo: '<p@acme.test>', html });
    const m = await normalizeEmail(src, support);
    expect(m.text).toContain('Hello team,');
    expect(m.text).toContain('my order <b>#9</b> is late.');
    expect(m.text).not.toMatch(/alert|color:red|AAAAAAAAAA|old text/);
    expect(m.text).toContain('[inline image]');
    expect((m.raw as EmailRaw).html).toContain('<script>');
  });

  it('gives a mail without Message-ID a stable id, and marks mail from the account itself as the brand\'s own', async () => {
    const src = Buffer.from('From: support@acme.test\r\nTo: x@example.test\r\nSubject: hi\r\n\r\nbody\r\n');
    const a = await normalizeEmail(src, support);
    const b = await normalizeEmail(Buffer.from(src), support);
    expect(a.networkMessageId).toMatch(/^<parley-noid\.[0-9a-f]{40}@invalid>$/);
    expect(b.networkMessageId).toBe(a.networkMessageId);
    expect(a).toMatchObject({ direction: 'outbound', fromBrand: true });
  });

  it('keeps a non-UTF-8 source as base64 and decodes its charset', async () => {
    const src = Buffer.concat([Buffer.from('From: d@example.test\r\nMessage-ID: <l1@example.test>\r\nSubject: caf\xe9\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n', 'latin1'), Buffer.from('Caf\xe9 cr\xe8me', 'latin1')]);
    const m = await normalizeEmail(src, support);
    expect(m.text).toContain('Café crème');
    const raw = m.raw as EmailRaw;
    expect(raw.source).toBeNull();
    expect(Buffer.from(raw.sourceBase64!, 'base64').equals(src)).toBe(true);
  });

  it('never trusts a Date header from the future, and drops absurd Message-IDs in References', async () => {
    const src = await build({ from: 'e@example.test', to: 'support@acme.test', subject: 's', messageId: '<f@example.test>', date: new Date(NOW + 30 * 86_400_000), text: 'x', headers: { References: `<${'r'.repeat(600)}@x> <ok@example.test>` } });
    const m = await normalizeEmail(src, support);
    expect(m.createdAt).toBe(NOW);
    expect(m.threadRootNetworkId).toBe('<ok@example.test>');
  });
});

describe('automatic mail (auto-replies, bounces, bulk): marked, never a person', () => {
  const mk = (headers: string, body = 'x') => Buffer.from(`From: a@example.test\r\nMessage-ID: <am-${Math.random()}@example.test>\r\nSubject: s\r\n${headers}\r\n${body}\r\n`);
  it('marks out-of-office, X-Autoreply, Precedence bulk, List-Id and an empty Return-Path as automated', async () => {
    for (const h of ['Auto-Submitted: auto-replied\r\n', 'X-Autoreply: yes\r\n', 'Precedence: bulk\r\n', 'List-Id: <news.example.test>\r\n', 'Return-Path: <>\r\n']) {
      const m = await normalizeEmail(mk(h), support);
      expect(m.automated, h).toBe(true);
      expect((m.raw as EmailRaw).automatic, h).toBeTruthy();
    }
    for (const h of ['', 'Auto-Submitted: no\r\n', 'Return-Path: <a@example.test>\r\n']) {
      const m = await normalizeEmail(mk(h), support);
      expect(m.automated, h).toBeUndefined();
      expect((m.raw as EmailRaw).automatic).toBeNull();
    }
  });

  it('marks a bounce (multipart/report) automated and threads it to the reply it returns', async () => {
    const src = Buffer.from('From: MAILER-DAEMON@mx.test\r\nMessage-ID: <d2@mx.test>\r\nSubject: failure notice\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@acme.test\r\nMessage-ID:\r\n <parley-k9@acme.test>\r\n\r\n--r--\r\n');
    const m = await normalizeEmail(src, support);
    expect(m).toMatchObject({ automated: true, inReplyToNetworkId: '<parley-k9@acme.test>' });
    expect((m.raw as EmailRaw).automatic).toBe('report: delivery-status');
  });
});

describe('composing replies', () => {
  it('derives the Message-ID from the idempotency key, deterministically', () => {
    expect(messageIdFor('msg-12-3f2a', 'support@Acme.test')).toBe('<parley-msg-12-3f2a@acme.test>');
    const odd = messageIdFor('client:7:abc/def ghi', 'support@acme.test');
    expect(odd).toMatch(/^<parley-[0-9a-f]{40}@acme\.test>$/);
    expect(messageIdFor('client:7:abc/def ghi', 'support@acme.test')).toBe(odd);
  });

  it('threads the reply: Re: subject, In-Reply-To, References, the answered text quoted', async () => {
    const original = await normalizeEmail(await build({ from: 'Ann <ann@example.test>', replyTo: 'ann.private@example.test', to: 'support@acme.test', subject: 'Order 12345', messageId: '<o1@example.test>', references: ['<a@x>'], date: new Date(NOW), text: 'Where is it?\n-- \nAnn' }), support);
    const parent = parentFromRaw(original.raw)!;
    expect(parent.replyTo!.address).toBe('ann.private@example.test');
    const mail = await composeReply({ from: { address: 'support@acme.test', name: 'Acme Support' }, to: parent.replyTo!.address, messageId: '<parley-k@acme.test>', text: 'It ships today.', parent, subject: 'unused', date: new Date(NOW) });
    const back = await normalizeEmail(mail, { accountAddress: 'ann.private@example.test', now: NOW });
    const raw = back.raw as EmailRaw;
    expect(raw.subject).toBe('Re: Order 12345');
    expect(back.inReplyToNetworkId).toBe('<o1@example.test>');
    expect(raw.references).toEqual(['<a@x>', '<o1@example.test>']);
    expect(back.networkMessageId).toBe('<parley-k@acme.test>');
    expect(back.text).toBe('It ships today.');
    expect(raw.text).toContain('> Where is it?');
    expect(raw.text).not.toContain('> Ann');
    expect(raw.from).toEqual([{ address: 'support@acme.test', name: 'Acme Support' }]);
  });

  it('keeps "Re:" once and caps References at 20', () => {
    expect(replySubject('RE: x', 'f')).toBe('RE: x');
    expect(replySubject('AW: x', 'f')).toBe('AW: x');
    expect(replySubject(null, 'fallback')).toBe('fallback');
    const refs = Array.from({ length: 30 }, (_, i) => `<r${i}@x>`);
    const r = replyReferences({ messageId: '<last@x>', references: refs, subject: null, replyTo: null, from: null, to: null, date: null, text: null });
    expect(r).toHaveLength(20);
    expect(r[0]).toBe('<r0@x>');
    expect(r[19]).toBe('<last@x>');
  });
});

describe('error mapping', () => {
  const ctx = { now: NOW, bodySent: false, rateLimitRetryMs: 60_000 };
  const smtp = (e: object, over: Partial<typeof ctx> = {}) => smtpError(Object.assign(new Error((e as { message?: string }).message ?? 'x'), e), { ...ctx, ...over });

  it('maps SMTP replies', () => {
    expect(smtp({ code: 'EAUTH', responseCode: 535 }).code).toBe('AUTH_REVOKED');
    const rl = smtp({ code: 'EENVELOPE', responseCode: 421, response: '421 4.7.0 Too many messages, try again in 30 seconds' });
    expect(rl.code).toBe('RATE_LIMITED');
    expect(rl.opts.retryAt).toBe(NOW + 30_000);
    expect(smtp({ responseCode: 452, response: '452 4.5.3 Too many recipients' }).code).toBe('RATE_LIMITED');
    expect(smtp({ responseCode: 451, response: '451 4.3.0 Local error' }).code).toBe('TEMPORARY');
    expect(smtp({ responseCode: 450, response: '450 4.2.1 Mailbox busy' }).code).toBe('TEMPORARY');
    expect(smtp({ responseCode: 550, response: '550 5.1.1 No such user' }).code).toBe('INVALID_REQUEST');
    expect(smtp({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }).code).toBe('TEMPORARY');
    expect(smtp({ code: 'ETIMEDOUT' }).code).toBe('TEMPORARY');
    expect(smtp({ code: 'ETIMEDOUT' }, { bodySent: true }).code).toBe('TIMEOUT');
  });

  it('maps IMAP failures', () => {
    const e = (o: object) => imapError(Object.assign(new Error('x'), o), NOW);
    expect(e({ authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED' }).code).toBe('AUTH_REVOKED');
    expect(e({ serverResponseCode: 'AUTHORIZATIONFAILED' }).code).toBe('PERMISSION_DENIED');
    expect(e({ mailboxMissing: true }).code).toBe('NOT_FOUND');
    expect(e({ code: 'ETHROTTLE', throttleReset: 5000 }).opts.retryAt).toBe(NOW + 5000);
    expect(e({ code: 'ECONNREFUSED' }).code).toBe('TEMPORARY');
    const already = new ChannelError('CURSOR_INVALID', 'x');
    expect(imapError(already, NOW)).toBe(already);
  });
});
