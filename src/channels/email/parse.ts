/**
 * One email (RFC 5322 bytes, as fetched over IMAP) → a NormalizedMessage.
 *
 * - networkMessageId is the Message-ID, angle brackets included (a mail
 *   without one gets a stable id hashed from its bytes, so a redelivery still
 *   deduplicates);
 * - threading: inReplyToNetworkId = In-Reply-To, threadRootNetworkId = the
 *   first References entry — so a customer's answer to our reply joins the
 *   conversation of the mail we answered;
 * - text: the plain-text part (an HTML-only mail is converted to text by
 *   mailparser's html-to-text: scripts and styles dropped, nothing executed,
 *   inline data: images replaced by a placeholder) with quoted history and
 *   the signature trimmed (./quote.ts). A mail that starts a thread begins with
 *   its subject line, so the conversation's subject is the email's. Attachments
 *   are listed by name;
 * - author: the From address (networkUserId = lowercase address);
 * - automated: an auto-reply, bounce, receipt or bulk mail (`automaticReason`), so it never
 *   gets an automatic answer; a bounce or receipt points at the mail it returns (In-Reply-To),
 *   and `raw.returnedOwn` names it when the returned headers prove it was ours (./ref.ts);
 * - raw: the full untrimmed text, headers that matter for replying, the
 *   attachments' names and sizes, and the whole RFC 5322 source when it is at
 *   most 1 MB (bigger mails are mostly attachments, which Parley does not store).
 */
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { NormalizedMessage } from '../../core/types.js';
import { trimQuoted } from './quote.js';
import { REF_HEADER, verifyRef } from './ref.js';

/** Where the mail was found. */
export interface MailboxPosition {
  mailbox: string;
  uid: number;
  uidValidity: string;
  /** The server's INTERNALDATE: when the mail arrived. */
  internalDate?: Date | null;
  /** RFC822.SIZE on the server; more than the bytes fetched means only the start was read. */
  size?: number | null;
}

export interface EmailAddress {
  address: string;
  name: string | null;
}

/** What an email message keeps in `raw`. */
export interface EmailRaw {
  kind: 'email';
  mailbox: string | null;
  uid: number | null;
  uidValidity: string | null;
  messageId: string;
  subject: string | null;
  date: string | null;
  from: EmailAddress[];
  replyTo: EmailAddress[];
  to: EmailAddress[];
  cc: EmailAddress[];
  inReplyTo: string | null;
  references: string[];
  autoSubmitted: string | null;
  /** Why this mail was written by a machine (see `automaticReason`), or null for a person's mail. */
  automatic: string | null;
  /**
   * The Message-ID of our own mail this delivery report returns, proven by the X-Parley-Ref
   * token in the returned headers (./ref.ts), or null: only then does a report join a
   * conversation its sender takes no part in (./threading.ts).
   */
  returnedOwn: string | null;
  /** The whole plain text as the sender wrote it, quotes and signature included. */
  text: string;
  /** The HTML part, if any (capped). */
  html: string | null;
  /** Whether quoted history or a signature was trimmed from the message text. */
  trimmed: boolean;
  attachments: { filename: string | null; contentType: string; size: number }[];
  sourceBytes: number;
  /** Only the first `sourceBytes` of a larger mail were fetched (the rest is attachments). */
  truncated: boolean;
  /** The RFC 5322 source (UTF-8) when at most SOURCE_LIMIT bytes and valid UTF-8. */
  source: string | null;
  /** The same as base64 when it is not valid UTF-8 (8-bit legacy charsets). */
  sourceBase64: string | null;
}

export const SOURCE_LIMIT = 1024 * 1024;
const TEXT_LIMIT = 500_000;
const HTML_LIMIT = 500_000;
const MAX_ID = 500;

/** Message-IDs in a header value, angle brackets included, in order. */
export function extractIds(value: string | string[] | undefined | null): string[] {
  if (!value) return [];
  const all = Array.isArray(value) ? value.join(' ') : value;
  const ids = all.match(/<[^<>\s]{1,500}>/g) ?? [];
  return ids.filter((id) => id.length <= MAX_ID);
}

function addresses(v: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const list = Array.isArray(v) ? v : v ? [v] : [];
  const out: EmailAddress[] = [];
  const walk = (entries: AddressObject['value']) => {
    for (const e of entries) {
      if (e.group) walk(e.group);
      else if (e.address) out.push({ address: e.address.trim(), name: e.name?.trim() || null });
    }
  };
  for (const a of list) walk(a.value);
  return out;
}

/** Plain text of an HTML part when mailparser could not convert it: tags out, nothing interpreted. */
function crudeHtmlText(html: string): string {
  return html
    .slice(0, HTML_LIMIT)
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h\d)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The text of a parsed mail: the plain part, or the HTML converted; inline images as placeholders. */
function bodyText(mail: ParsedMail): string {
  let text = mail.text ?? '';
  // empty: the HTML could not be converted (too deep, too long), or the text part is blank
  if (!text.trim() && mail.html) text = crudeHtmlText(mail.html);
  // html-to-text writes images as "alt [src]": a data: URL would be megabytes of base64
  text = text.replace(/\[(data:[^\]\s]{0,50})[^\]\s]*\]/g, '[inline image]').replace(/\[cid:[^\]\s]*\]/g, '[inline image]');
  return text.length > TEXT_LIMIT ? text.slice(0, TEXT_LIMIT) : text;
}

/** A header's raw values (unfolded, trimmed), as the sender wrote them. */
function headerValues(mail: ParsedMail, key: string): string[] {
  return mail.headerLines
    .filter((h) => h.key === key)
    .map((h) => h.line.slice(h.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim());
}

/** Addresses of mail systems, not people: bounces come from them, and nobody reads replies to them. */
export const AUTO_SENDER = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i;

/**
 * Why a mail was written by a machine, not a person — an out-of-office or other auto-reply, a
 * bounce (delivery status notification), a read receipt, list or bulk mail — or null. Such mail
 * must never get an automatic answer (RFC 3834: that is how mail loops start); it is kept and
 * marked `automated`. Signals: Auto-Submitted other than "no", X-Autoreply/X-Autorespond,
 * Precedence bulk/junk/list/auto_reply, List-Id, multipart/report, an empty Return-Path (the
 * envelope sender of bounces and auto-replies) and mail from MAILER-DAEMON/postmaster.
 */
export function automaticReason(mail: ParsedMail): string | null {
  const auto = headerValues(mail, 'auto-submitted')[0]?.toLowerCase().split(';')[0]!.trim();
  if (auto && auto !== 'no') return `auto-submitted: ${auto}`;
  if (headerValues(mail, 'x-autoreply').length || headerValues(mail, 'x-autorespond').length || headerValues(mail, 'x-autoreply-from').length) return 'auto-reply';
  const prec = headerValues(mail, 'precedence')[0]?.toLowerCase();
  if (prec && /^(bulk|junk|list|auto_reply)\b/.test(prec)) return `precedence: ${prec}`;
  const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value?.toLowerCase() === 'multipart/report') return `report: ${type.params?.['report-type'] ?? 'unknown'}`;
  if (headerValues(mail, 'list-id').length) return 'mailing list';
  if (headerValues(mail, 'return-path').some((v) => /^<\s*>$/.test(v))) return 'empty return path';
  const from = addresses(mail.from)[0]?.address;
  if (from && AUTO_SENDER.test(from)) return 'mailer daemon';
  return null;
}

/** What a bounce or receipt gives back of the mail it reports on: that mail's headers, read from its returned part. */
interface ReturnedMail {
  messageId: string;
  /** Its X-Parley-Ref token (./ref.ts), if any. */
  ref: string | null;
  /** The addresses its To and Cc name. */
  recipients: string[];
}

/** The mails a delivery report returns (message/rfc822 or text/rfc822-headers parts), those with a Message-ID, in order. */
function returnedMails(mail: ParsedMail): ReturnedMail[] {
  const out: ReturnedMail[] = [];
  for (const a of mail.attachments) {
    if (!/^(message\/(rfc822|global|global-headers)|text\/rfc822-headers)$/i.test(a.contentType)) continue;
    const text = a.content.subarray(0, 64 * 1024).toString('utf8');
    const head = text.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
    const field = (name: string) => [...head.matchAll(new RegExp(`^${name}:[ \\t]*(.*)$`, 'gim'))].map((m) => m[1]!.trim());
    const messageId = extractIds(field('message-id')[0])[0];
    if (!messageId) continue;
    const recipients = [...field('to'), ...field('cc')].flatMap((v) => v.match(/[^\s<>,;:"()]+@[^\s<>,;:"()]+/g) ?? []);
    out.push({ messageId, ref: field(REF_HEADER)[0] ?? null, recipients });
  }
  return out;
}

export interface NormalizeOptions {
  /** The account's own address: mail from it is the brand's own (outbound). */
  accountAddress: string;
  position?: MailboxPosition | null;
  now: number;
  /**
   * The key of our X-Parley-Ref tokens (./ref.ts): a delivery report that returns a mail of ours
   * with a valid token is marked `returnedOwn`. Without it no report is.
   */
  refKey?: Buffer | null;
}

/** Parse and normalize one email. Never throws for a malformed mail: what cannot be read stays in raw. */
export async function normalizeEmail(source: Buffer, opts: NormalizeOptions): Promise<NormalizedMessage> {
  const mail = await simpleParser(source, { skipTextToHtml: true, skipImageLinks: true, keepCidLinks: true, maxHtmlLengthToParse: 2_000_000 });
  const from = addresses(mail.from);
  const replyTo = addresses(mail.replyTo);
  const messageId = extractIds(mail.messageId)[0] ?? `<parley-noid.${createHash('sha256').update(source).digest('hex').slice(0, 40)}@invalid>`;
  const automatic = automaticReason(mail);
  // a bounce or receipt carries no In-Reply-To: it answers the mail it returns. It joins that
  // conversation by reference only when the returned headers prove the mail was ours (./threading.ts)
  const isReport = (mail.headers.get('content-type') as { value?: string } | undefined)?.value?.toLowerCase() === 'multipart/report';
  const returned = isReport ? returnedMails(mail) : [];
  const own = opts.refKey ? returned.find((r) => r.ref && verifyRef(opts.refKey!, r.ref, r.messageId, r.recipients)) : undefined;
  const inReplyTo = own?.messageId ?? extractIds(mail.inReplyTo)[0] ?? returned[0]?.messageId ?? null;
  const references = extractIds(mail.references);
  const subject = mail.subject?.replace(/\s+/g, ' ').trim() || null;

  const fullText = bodyText(mail);
  const trim = trimQuoted(fullText);
  const startsThread = !inReplyTo && references.length === 0;
  const parts: string[] = [];
  if (startsThread && subject) parts.push(subject);
  if (trim.text) parts.push(trim.text);
  const attachments = mail.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size }));
  const listed = attachments.filter((a) => a.filename);
  if (listed.length) parts.push(listed.map((a) => `[attachment: ${a.filename} (${a.contentType}, ${humanSize(a.size)})]`).join('\n'));

  const sender = from[0] ?? replyTo[0] ?? { address: 'unknown-sender@invalid', name: null };
  const address = sender.address.toLowerCase();
  const fromBrand = address === opts.accountAddress.toLowerCase();
  const validUtf8 = source.length <= SOURCE_LIMIT && Buffer.from(source.toString('utf8'), 'utf8').equals(source);
  const autoSubmitted = mail.headers.get('auto-submitted');

  const raw: EmailRaw = {
    kind: 'email',
    mailbox: opts.position?.mailbox ?? null,
    uid: opts.position?.uid ?? null,
    uidValidity: opts.position?.uidValidity ?? null,
    messageId,
    subject,
    date: mail.date && Number.isFinite(mail.date.getTime()) ? mail.date.toISOString() : null,
    from,
    replyTo,
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    inReplyTo,
    references,
    autoSubmitted: typeof autoSubmitted === 'string' ? autoSubmitted : null,
    automatic,
    returnedOwn: own?.messageId ?? null,
    text: fullText,
    html: mail.html ? mail.html.slice(0, HTML_LIMIT) : null,
    trimmed: trim.trimmed,
    attachments,
    sourceBytes: source.length,
    truncated: (opts.position?.size ?? 0) > source.length,
    source: validUtf8 ? source.toString('utf8') : null,
    sourceBase64: !validUtf8 && source.length <= SOURCE_LIMIT ? source.toString('base64') : null,
  };

  const internal = opts.position?.internalDate?.getTime();
  const dated = mail.date?.getTime();
  const createdAt = Number.isFinite(internal) ? internal! : Number.isFinite(dated) && dated! <= opts.now + 86_400_000 ? dated! : opts.now;

  return {
    network: 'email',
    networkMessageId: messageId,
    direction: fromBrand ? 'outbound' : 'inbound',
    visibility: 'private',
    kind: 'email',
    author: { networkUserId: address, handle: address, displayName: sender.name },
    text: parts.join('\n\n'),
    inReplyToNetworkId: inReplyTo,
    threadRootNetworkId: references[0] ?? null,
    createdAt: Math.round(createdAt),
    url: null,
    fromBrand,
    ...(automatic ? { automated: true } : {}),
    raw,
  };
}
