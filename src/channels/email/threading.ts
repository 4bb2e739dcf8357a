/**
 * Who may join an email conversation by reference. On the social networks a reply's parent is
 * set by the network; an email's In-Reply-To and References are written by its sender, and
 * anyone who learns a Message-ID (ours are in every reply) can claim it. So a reference joins a
 * conversation only when the sender is one of its participants: the conversation's customer,
 * or an address one of its mails was from, to or cc'd (a colleague the customer copied in).
 * Otherwise the mail starts its own conversation, its references kept in its raw payload.
 * A bounce from a mail system (MAILER-DAEMON, postmaster) is threaded to the mail it returns
 * all the same: it is automatic, and nobody can reply to a mail system (src/channels/email/index.ts).
 */
import type { NormalizedMessage } from '../../core/types.js';
import { AUTO_SENDER, type EmailAddress } from './parse.js';

/** An address as compared: trimmed, lower case (display names never count). */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/**
 * Whether this message's references are the sender's claim, checked against the conversation's
 * participants before it joins one: an inbound email from someone other than the brand, and not
 * a mail system's delivery report.
 */
export function referencesNeedParticipant(msg: Pick<NormalizedMessage, 'network' | 'direction' | 'fromBrand' | 'automated' | 'author'>): boolean {
  if (msg.network !== 'email' || msg.direction !== 'inbound' || msg.fromBrand) return false;
  if (msg.automated && AUTO_SENDER.test(msg.author.networkUserId)) return false;
  return true;
}

/** The addresses a stored email's raw payload names as its sender (From, Sender is not kept), recipients (To) and copies (Cc). */
export function emailParticipants(raw: unknown): string[] {
  let r = raw;
  if (typeof r === 'string') {
    try {
      r = JSON.parse(r);
    } catch {
      return [];
    }
  } else if (r instanceof Uint8Array) {
    try {
      r = JSON.parse(Buffer.from(r).toString('utf8'));
    } catch {
      return [];
    }
  }
  if (!r || typeof r !== 'object' || Array.isArray(r)) return [];
  const o = r as Record<string, unknown>;
  const out: string[] = [];
  for (const k of ['from', 'to', 'cc']) {
    const list = o[k];
    if (!Array.isArray(list)) continue;
    for (const a of list as Partial<EmailAddress>[]) if (a && typeof a.address === 'string' && a.address.trim()) out.push(normalizeAddress(a.address));
  }
  return out;
}
