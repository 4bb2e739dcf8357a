/**
 * Proof that a delivery report returns a mail we really sent. Every email Parley sends carries
 * `X-Parley-Ref`: an HMAC, under a key derived from the instance secret (PARLEY_SECRET or the
 * generated one, `SecretBox.deriveKey(REF_PURPOSE)`), of its Message-ID and its recipient. A real
 * bounce or receipt (RFC 3464/3798: multipart/report with the returned mail as
 * text/rfc822-headers or message/rfc822) gives our headers back, the token with them; a forged
 * one, written by someone who only learned a Message-ID (References of later mail, a quoted
 * thread), cannot compute it. Whoever received the mail itself (the customer, or whomever they
 * forwarded it to with its headers) holds the token and could still forge its bounce: that lands
 * in the conversation of a mail they were sent, no further.
 * A plain IMAP mailbox is all this needs (VERP would need a mail server that delivers
 * `support+tag@` to the support mailbox, and submission servers that allow that envelope sender).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the token. */
export const REF_HEADER = 'X-Parley-Ref';
/** What the key for it is derived for. */
export const REF_PURPOSE = 'email-ref';

function mac(key: Buffer, messageId: string, recipient: string): Buffer {
  return createHmac('sha256', key).update(`${messageId.trim()}\n${recipient.trim().toLowerCase()}`).digest();
}

/** The token for our mail with this Message-ID to this recipient: `v1.<base64url HMAC-SHA256>`. */
export function refToken(key: Buffer, messageId: string, recipient: string): string {
  return `v1.${mac(key, messageId, recipient).toString('base64url')}`;
}

/** Whether `token` is ours for this Message-ID and one of these recipients (as the returned headers name them). */
export function verifyRef(key: Buffer, token: string, messageId: string, recipients: readonly string[]): boolean {
  const m = /^v1\.([A-Za-z0-9_-]{43})$/.exec(token.trim());
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'base64url');
  return recipients.some((r) => {
    const want = mac(key, messageId, r);
    return given.length === want.length && timingSafeEqual(given, want);
  });
}
