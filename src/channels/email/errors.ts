/**
 * IMAP (imapflow) and SMTP (nodemailer) failures → ChannelError codes, so the
 * one error policy (../errorPolicy.ts) decides: retry, wait, verify or ask an
 * admin to reconnect.
 *
 * SMTP: 535/534/530 (and nodemailer's EAUTH) → AUTH_REVOKED; 421 and 4xx that
 * say "rate", "too many", "limit" or carry enhanced status 4.7.x → RATE_LIMITED
 * (retry after the server's hint, or a minute); other 4xx (450/451/452...) →
 * TEMPORARY; 5xx → INVALID_REQUEST (the server refused this message for good);
 * no connection → TEMPORARY; a timeout or a dropped connection after the whole
 * message was handed over → TIMEOUT (the server may have accepted it).
 * IMAP: AUTHENTICATIONFAILED → AUTH_REVOKED; AUTHORIZATIONFAILED → PERMISSION_DENIED;
 * a missing mailbox → NOT_FOUND; throttling → RATE_LIMITED; connection trouble → TEMPORARY.
 */
import { ChannelError } from '../types.js';

interface MailError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: unknown;
  command?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  mailboxMissing?: boolean;
  throttleReset?: number;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT', 'ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS']);

/** Seconds the server asks us to wait ("try again in 30 seconds", "retry after 120s"), if it says. */
function retryHint(text: string): number | null {
  const m = /(?:in|after)\s+(\d{1,5})\s*(s\b|sec|second)/i.exec(text) ?? /(?:in|after)\s+(\d{1,4})\s*(m\b|min|minute)/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return /^m/i.test(m[2]!) ? n * 60 : n;
}

export interface SmtpErrorContext {
  now: number;
  /** The whole message was written to the server before the failure. */
  bodySent: boolean;
  /** Default wait after a rate limit without a hint. */
  rateLimitRetryMs: number;
}

export function smtpError(err: unknown, ctx: SmtpErrorContext): ChannelError {
  if (err instanceof ChannelError) return err;
  const e = (err ?? {}) as MailError;
  const text = `${e.message ?? ''} ${typeof e.response === 'string' ? e.response : ''}`.trim();
  const status = e.responseCode;
  const opts = { status, cause: err };
  if (e.code === 'EAUTH' || status === 535 || status === 534 || status === 530) {
    return new ChannelError('AUTH_REVOKED', `the SMTP server refused the account's credentials: ${text}`, opts);
  }
  if (status && status >= 400 && status < 500) {
    const enhanced = /\b4\.7\.\d{1,3}\b/.test(text);
    if (status === 421 || enhanced || /rate|too many|limit|throttl|try again later/i.test(text)) {
      const hint = retryHint(text);
      return new ChannelError('RATE_LIMITED', `the SMTP server asks to slow down (${status}): ${text}`, { ...opts, retryAt: ctx.now + (hint != null ? hint * 1000 : ctx.rateLimitRetryMs) });
    }
    return new ChannelError('TEMPORARY', `the SMTP server could not take the message now (${status}): ${text}`, opts);
  }
  if (status && status >= 500) return new ChannelError('INVALID_REQUEST', `the SMTP server refused the message (${status}): ${text}`, opts);
  if (ctx.bodySent && (e.code === 'ETIMEDOUT' || e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'ECONNRESET')) {
    return new ChannelError('TIMEOUT', `no answer from the SMTP server after the message was sent (${e.code}): it may have been accepted`, opts);
  }
  if (e.code && CONNECTION_CODES.has(e.code)) return new ChannelError('TEMPORARY', `cannot reach the SMTP server (${e.code}): ${text}`, opts);
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return new ChannelError('INVALID_REQUEST', `the message cannot be sent: ${text}`, opts);
  return new ChannelError('TEMPORARY', `SMTP failure: ${text || String(err)}`, opts);
}

export function imapError(err: unknown, now: number): ChannelError {
  if (err instanceof ChannelError) return err;
  const e = (err ?? {}) as MailError;
  const text = [e.message, e.responseText].filter(Boolean).join(': ');
  const opts = { cause: err };
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new ChannelError('AUTH_REVOKED', `the IMAP server refused the account's credentials: ${text}`, opts);
  }
  if (e.serverResponseCode === 'AUTHORIZATIONFAILED' || e.serverResponseCode === 'NOPERM') {
    return new ChannelError('PERMISSION_DENIED', `the IMAP server does not allow this: ${text}`, opts);
  }
  if (e.mailboxMissing || e.serverResponseCode === 'NONEXISTENT') return new ChannelError('NOT_FOUND', `mailbox not found: ${text}`, opts);
  if (e.code === 'ETHROTTLE') return new ChannelError('RATE_LIMITED', `the IMAP server is throttling: ${text}`, { ...opts, retryAt: now + (e.throttleReset ?? 60_000) });
  if (e.serverResponseCode === 'LIMIT' || e.serverResponseCode === 'INUSE') return new ChannelError('RATE_LIMITED', `the IMAP server limits connections: ${text}`, { ...opts, retryAt: now + 60_000 });
  return new ChannelError('TEMPORARY', `IMAP failure${e.code ? ` (${e.code})` : ''}: ${text || String(err)}`, opts);
}
