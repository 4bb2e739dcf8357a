/**
 * Who may join an email conversation by reference. On the social networks a reply's parent is
 * set by the network; an email's In-Reply-To and References are written by its sender, and
 * anyone who learns a Message-ID (ours are in every reply) can claim it. So a reference joins a
 * conversation only when the sender is one of its participants: the conversation's customer,
 * or an address one of its mails was from, to or cc'd (a colleague the customer copied in).
 * Otherwise the mail starts its own conversation, its references kept in its raw payload.
 *
 * A delivery report (a bounce or receipt from a mail system, which nobody can reply to) joins
 * the conversation of the mail it returns only when it proves that mail was ours: the returned
 * headers hold the mail's X-Parley-Ref token (./ref.ts), checked when it is parsed
 * (`raw.returnedOwn`, ./parse.ts). Any other report, including "From: MAILER-DAEMON@" a forger
 * wrote, is a non-participant's mail. So is the bounce of a reply Parley sent before replies
 * carried the token, or one sent without the instance key: it starts its own conversation (marked
 * automatic, never answered), the returned Message-ID kept as its In-Reply-To. A mail system's
 * address (MAILER-DAEMON, postmaster) is never a participant, though a proven bounce from it is
 * in the conversation: else a forger would only need the address of a bounce that joined.
 *
 * After raw payload retention an email's payload holds no addresses: it keeps keyed hashes
 * (HMAC under a key derived from the instance secret, EMAIL_PARTICIPANT_PURPOSE) of the normalized
 * addresses it was from, to and cc'd (`retainEmailRaw`), and the participant check compares
 * addresses in that form (`participantMatcher`), so a colleague the customer copied in can still
 * answer. Erasure redacts a message's payload whole (src/store/redact.ts), hashes included, and
 * takes the erased person's hash out of every other mail's participants (src/commands/erase.ts).
 */
import { createHmac } from 'node:crypto';
import type { NormalizedMessage } from '../../core/types.js';
import { AUTO_SENDER, type EmailAddress } from './parse.js';

/** What the key of the retained participant hashes is derived for (`SecretBox.deriveKey`). */
export const EMAIL_PARTICIPANT_PURPOSE = 'email-participant';

/** An address as compared: trimmed, lower case (display names never count). */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** A raw payload as stored (JSON text or its UTF-8 bytes) or as given, parsed to an object, or null. */
function rawObject(raw: unknown): Record<string, unknown> | null {
  let r = raw;
  if (typeof r === 'string' || r instanceof Uint8Array) {
    try {
      r = JSON.parse(typeof r === 'string' ? r : Buffer.from(r).toString('utf8'));
    } catch {
      return null;
    }
  }
  return r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : null;
}

/**
 * Whether this message's references are the sender's claim, checked against the conversation's
 * participants before it joins one: an inbound email from someone other than the brand, unless
 * it is a delivery report proven to return our mail, and points at that mail alone.
 */
export function referencesNeedParticipant(msg: Pick<NormalizedMessage, 'network' | 'direction' | 'fromBrand' | 'automated' | 'inReplyToNetworkId' | 'threadRootNetworkId' | 'raw'>): boolean {
  if (msg.network !== 'email' || msg.direction !== 'inbound' || msg.fromBrand) return false;
  const own = msg.automated ? rawObject(msg.raw)?.returnedOwn : null;
  if (typeof own === 'string' && msg.inReplyToNetworkId === own && (msg.threadRootNetworkId == null || msg.threadRootNetworkId === own)) return false;
  return true;
}

/** The addresses a stored email's raw payload names as its sender (From, Sender is not kept), recipients (To) and copies (Cc). */
export function emailParticipants(raw: unknown): string[] {
  const o = rawObject(raw);
  if (!o) return [];
  const out: string[] = [];
  for (const k of ['from', 'to', 'cc']) {
    const list = o[k];
    if (!Array.isArray(list)) continue;
    for (const a of list as Partial<EmailAddress>[]) if (a && typeof a.address === 'string' && a.address.trim()) out.push(normalizeAddress(a.address));
  }
  return out;
}

/** The keyed hash of an address, as retention keeps it: `h1.<base64url HMAC-SHA256 of the normalized address>`. */
export function participantHash(key: Buffer, address: string): string {
  return `h1.${createHmac('sha256', key).update(normalizeAddress(address)).digest('base64url')}`;
}

/** A mail system's address (a bounce's sender): nobody writes from it, so it never takes part in a conversation. */
function mailSystem(address: string): boolean {
  return AUTO_SENDER.test(address);
}

/**
 * An email payload past raw payload retention (src/channels/retainedRaw.ts): the keyed hashes of
 * its participants, nothing else; null (keep nothing) without a key or without addresses. Pure.
 */
export function retainEmailRaw(raw: unknown, key: Buffer | null): Record<string, unknown> | null {
  if (!key) return null;
  const hashes = [...new Set(emailParticipants(raw).filter((a) => !mailSystem(a)).map((a) => participantHash(key, a)))];
  return hashes.length ? { participants: hashes } : null;
}

/** How the participant check compares addresses. */
export interface ParticipantMatcher {
  /** An address in the compared form; null for a mail system's, which is never a participant. */
  form(address: string): string | null;
  /** A stored or incoming email payload's participants in that form (a retained one's hashes included). */
  ofRaw(raw: unknown): string[];
}

/**
 * The participant check's comparison: with the key, every address as its keyed hash, so the
 * hashes retention kept compare with addresses still in clear; without it (a pipeline built
 * without the instance secret) addresses as they are, and retained payloads name nobody.
 */
export function participantMatcher(key: Buffer | null | undefined): ParticipantMatcher {
  const people = (raw: unknown) => emailParticipants(raw).filter((a) => !mailSystem(a));
  if (!key) return { form: (address) => (mailSystem(address.trim()) ? null : normalizeAddress(address)), ofRaw: people };
  return {
    form: (address) => (mailSystem(address.trim()) ? null : participantHash(key, address)),
    ofRaw(raw) {
      const o = rawObject(raw);
      if (!o) return [];
      const kept = Array.isArray(o.participants) ? o.participants.filter((h): h is string => typeof h === 'string' && h.startsWith('h1.')) : [];
      return [...kept, ...people(o).map((a) => participantHash(key, a))];
    },
  };
}
