/**
 * An agent's reply as an email, built the way mail clients build one, so the
 * customer's client threads it: "Re: <subject>", In-Reply-To = the answered
 * Message-ID, References = its References + its Message-ID, the answered text
 * quoted below under "On <date>, <name> wrote:", from the account's address.
 *
 * The Message-ID is derived from the outbox's idempotency key, so every
 * attempt of one reply is the same email, and `findSent` can look for it in
 * the Sent mailbox after an ambiguous failure. X-Parley-Ref (./ref.ts) lets a
 * bounce of it prove it returns our mail.
 */
import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { EmailAddress, EmailRaw } from './parse.js';
import { extractIds } from './parse.js';
import { trimQuoted } from './quote.js';
import { REF_HEADER } from './ref.js';

/** `<parley-<key>@<domain>>`: the key as is when it is safe in a Message-ID, else its hash. */
export function messageIdFor(idempotencyKey: string, address: string): string {
  const domain = (address.split('@')[1] ?? 'parley.invalid').toLowerCase().replace(/[^a-z0-9.-]/g, '') || 'parley.invalid';
  const safe = /^[A-Za-z0-9._-]{1,120}$/.test(idempotencyKey) ? idempotencyKey : createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40);
  return `<parley-${safe}@${domain}>`;
}

/** What a reply needs to know about the mail it answers. */
export interface ReplyParent {
  messageId: string;
  subject: string | null;
  references: string[];
  /** Where replies go: Reply-To, else From. */
  replyTo: EmailAddress | null;
  from: EmailAddress | null;
  /** Its first recipient: where a follow-up to one of our own mails goes. */
  to: EmailAddress | null;
  date: string | null;
  /** The answered text, trimmed, for quoting. */
  text: string | null;
}

/** The parent as stored with an email message (`raw`, see ./parse.ts), or null when raw is not an email's. */
export function parentFromRaw(raw: unknown): ReplyParent | null {
  const r = raw as Partial<EmailRaw> | null | undefined;
  if (!r || typeof r !== 'object' || r.kind !== 'email' || typeof r.messageId !== 'string') return null;
  const first = (l: unknown) => (Array.isArray(l) && l[0] && typeof l[0].address === 'string' ? (l[0] as EmailAddress) : null);
  return {
    messageId: r.messageId,
    subject: typeof r.subject === 'string' ? r.subject : null,
    references: Array.isArray(r.references) ? r.references.filter((x): x is string => typeof x === 'string') : [],
    replyTo: first(r.replyTo) ?? first(r.from),
    from: first(r.from),
    to: first(r.to),
    date: typeof r.date === 'string' ? r.date : null,
    text: typeof r.text === 'string' ? trimQuoted(r.text).text : null,
  };
}

/**
 * Who a reply goes to: the answered mail's Reply-To, else its From — never our own address
 * (a customer's Reply-To pointing at the support address, or an agent following up on one of
 * our own mails: then whom that mail went to) — else the conversation's customer.
 */
export function replyAddress(parent: ReplyParent | null, recipient: string | null, own: string): string | null {
  const mine = own.toLowerCase();
  const candidates = [parent?.replyTo?.address, parent?.from?.address, parent?.to?.address, recipient];
  return candidates.find((a): a is string => !!a && a.toLowerCase() !== mine) ?? null;
}

export function replySubject(subject: string | null, fallback: string): string {
  const s = subject?.trim();
  if (!s) return fallback;
  return /^(re|aw|sv|antw|vs|r)\s*:/i.test(s) ? s : `Re: ${s}`;
}

/** References for a reply: the parent's, then the parent; at most 20 (the first and the newest kept). */
export function replyReferences(parent: ReplyParent): string[] {
  const all = [...new Set([...parent.references, ...extractIds(parent.messageId)])];
  return all.length <= 20 ? all : [all[0]!, ...all.slice(all.length - 19)];
}

function attribution(parent: ReplyParent): string {
  const who = parent.from ? (parent.from.name ? `${parent.from.name} <${parent.from.address}>` : parent.from.address) : 'you';
  const d = parent.date ? new Date(parent.date) : null;
  const when = d && Number.isFinite(d.getTime()) ? `On ${d.toUTCString().replace(/ GMT$/, ' UTC')}, ` : '';
  return `${when}${who} wrote:`.replace(/^./, (c) => c.toUpperCase());
}

export interface ComposeInput {
  from: EmailAddress;
  to: string;
  messageId: string;
  text: string;
  parent: ReplyParent | null;
  /** Subject when there is no parent (a first message). */
  subject: string;
  date: Date;
  /** Sent by Parley itself (an auto-acknowledgement): marked `Auto-Submitted: auto-replied` (RFC 3834) so auto-responders do not answer it. */
  automatic?: boolean;
  /** Its X-Parley-Ref token (./ref.ts `refToken`), so a bounce of it can prove it returns our mail. */
  ref?: string | null;
}

/** The complete RFC 5322 message, the same bytes for SMTP and for the Sent mailbox. */
export async function composeReply(input: ComposeInput): Promise<Buffer> {
  const { parent } = input;
  let body = input.text.replace(/\r\n?/g, '\n');
  if (parent?.text) {
    const lines = parent.text.split('\n').slice(0, 200);
    body += `\n\n${attribution(parent)}\n${lines.map((l) => (l ? `> ${l}` : '>')).join('\n')}\n`;
  }
  const composer = new MailComposer({
    from: input.from.name ? { name: input.from.name, address: input.from.address } : input.from.address,
    to: input.to,
    subject: parent ? replySubject(parent.subject, input.subject) : input.subject,
    text: body,
    messageId: input.messageId,
    date: input.date,
    inReplyTo: parent?.messageId,
    references: parent ? replyReferences(parent) : undefined,
    headers: { 'X-Mailer': 'Parley', ...(input.ref ? { [REF_HEADER]: input.ref } : {}), ...(input.automatic ? { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' } : {}) },
  });
  return composer.compile().build();
}
