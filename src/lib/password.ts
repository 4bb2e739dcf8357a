/** Password hashing with Node's scrypt (no native dependency), self-describing format. */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

/**
 * OWASP's password storage cheat sheet lists scrypt settings of equal strength: N=2^17 with
 * p=1 (128 MiB a hash) down to N=2^13 with p=10 (8 MiB). N=2^14, r=8, p=5 is one of them: 16
 * MiB a hash, so a burst of sign-ins cannot exhaust memory. It takes about 175 ms here.
 * Hashes made with weaker settings are upgraded at the next successful sign-in (`needsRehash`).
 */
const PARAMS = { N: 16384, r: 8, p: 5 };
const KEYLEN = 32;
/** Settings above these are refused rather than computed (a stored value is trusted only so far). */
const MAX = { N: 2 ** 20, r: 32, p: 16 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEYLEN, { ...PARAMS, maxmem: 128 * PARAMS.N * PARAMS.r * 2 });
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Hashed against when there is no stored hash, so a missing account takes as long as a wrong password. */
let dummy: Promise<string> | null = null;

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored || !stored.startsWith('scrypt$')) {
    await verifyPassword(password, await (dummy ??= hashPassword(randomBytes(16).toString('hex'))));
    return false;
  }
  const parsed = parse(stored);
  if (!parsed) return false;
  const { N, r, p, salt, expected } = parsed;
  const key = await scrypt(password.normalize('NFC'), salt, expected.length, { N, r, p, maxmem: 128 * N * r * 2 });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

function parse(stored: string) {
  const [algo, n, r, p, saltB64, keyB64, extra] = stored.split('$');
  const N = Number(n), R = Number(r), P = Number(p);
  if (algo !== 'scrypt' || !saltB64 || !keyB64 || extra !== undefined) return null;
  if (![N, R, P].every(Number.isSafeInteger) || N < 2 || (N & (N - 1)) !== 0 || N > MAX.N || R < 1 || R > MAX.r || P < 1 || P > MAX.p) return null;
  const expected = Buffer.from(keyB64, 'base64url');
  if (expected.length < 16) return null;
  return { N, r: R, p: P, salt: Buffer.from(saltB64, 'base64url'), expected };
}

/** Whether a stored hash was made with other settings than today's: hash it again at sign-in. */
export function needsRehash(stored: string | null): boolean {
  const parsed = stored ? parse(stored) : null;
  return !parsed || parsed.N !== PARAMS.N || parsed.r !== PARAMS.r || parsed.p !== PARAMS.p || parsed.expected.length !== KEYLEN;
}

/** A random password people can type: 4 groups of 4 from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i && i % 4 === 0) out += '-';
    out += alphabet[bytes[i]! % alphabet.length];
  }
  return out;
}
