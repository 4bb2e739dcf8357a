/**
 * One-time codes for two-factor sign-in, with Node's crypto and nothing else: RFC 4648 base32
 * (how authenticator apps take a secret), RFC 4226 HOTP and RFC 6238 TOTP (SHA-1, 6 digits,
 * 30 s steps: what every authenticator app does by default), and the single-use recovery codes
 * people keep on paper. Codes are compared in constant time; recovery codes are stored only as
 * SHA-256 and read back whatever their case, spaces or dashes.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, without padding (authenticator apps take it so). */
export function base32Encode(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 4648 base32 back to bytes: any case, spaces and `=` padding allowed; anything else throws. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return Buffer.from(out);
}

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
/** Steps either side of now a code is still taken for (a phone's clock a little off, a code typed as it changed). */
export const TOTP_WINDOW = 1;

/** RFC 4226 HOTP: the code for one counter value. */
export function hotp(key: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The RFC 6238 time step at `ms` (Unix epoch, 30 s steps). */
export const totpStep = (ms: number, periodS = TOTP_PERIOD_S): number => Math.floor(ms / 1000 / periodS);

/** RFC 6238 TOTP: the code at `ms`. */
export function totp(key: Uint8Array, ms: number, digits = TOTP_DIGITS, periodS = TOTP_PERIOD_S): string {
  return hotp(key, totpStep(ms, periodS), digits);
}

/** A new secret for an authenticator app: 160 random bits (RFC 4226's recommended length), base32. */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** The `otpauth://` URI an authenticator app reads from a QR code (Google Authenticator's key URI format). */
export function otpauthUri(secret: string, account: string, issuer = 'Parley'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_PERIOD_S}`;
}

const TOTP_CODE = new RegExp(`^\\d{${TOTP_DIGITS}}$`);

/** The digits of a typed TOTP code (spaces allowed, as apps show `123 456`), or null when it is not one. */
export function totpCodeOf(input: string): string | null {
  const digits = input.replace(/\s/g, '');
  return TOTP_CODE.test(digits) ? digits : null;
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The time step `code` is right for, within ±`window` steps of `ms` and later than `after`
 * (the last step accepted: a code is good once), or null. Every step of the window is
 * compared, in constant time, whichever matches.
 */
export function verifyTotp(secret: string, code: string, ms: number, opts: { after?: number | null; window?: number } = {}): number | null {
  const digits = totpCodeOf(code);
  if (!digits) return null;
  const key = base32Decode(secret);
  const now = totpStep(ms);
  const window = opts.window ?? TOTP_WINDOW;
  let found: number | null = null;
  for (let step = now - window; step <= now + window; step++) {
    const match = sameText(hotp(key, step), digits);
    if (match && found === null && (opts.after == null || step > opts.after)) found = step;
  }
  return found;
}

// -- recovery codes

/** Letters and digits nobody misreads on paper (no 0/o, 1/l/i). */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const RECOVERY_CODES = 10;

/** `count` new recovery codes, `xxxxx-xxxxx` (10 characters of 31: about 49 random bits each). */
export function newRecoveryCodes(count = RECOVERY_CODES): string[] {
  return Array.from({ length: count }, () => {
    let s = '';
    for (let i = 0; i < 10; i++) s += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    return `${s.slice(0, 5)}-${s.slice(5)}`;
  });
}

/** A typed recovery code in its one stored form (lower case, no spaces or dashes), or null when it cannot be one. */
export function normaliseRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s\-‐‑–—]/g, '');
  return /^[a-z0-9]{10}$/.test(s) ? s : null;
}

/** How a recovery code is stored: SHA-256 (hex) of its normal form. */
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normaliseRecoveryCode(code) ?? code).digest('hex');
}

/** Which of the stored hashes `input` is the code of (-1: none); every hash is compared, in constant time. */
export function matchRecoveryCode(input: string, hashes: readonly string[]): number {
  const code = normaliseRecoveryCode(input);
  if (!code) return -1;
  const h = hashRecoveryCode(code);
  let found = -1;
  hashes.forEach((stored, i) => {
    if (sameText(stored, h) && found < 0) found = i;
  });
  return found;
}
