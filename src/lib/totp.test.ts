import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hashRecoveryCode, hotp, matchRecoveryCode, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, otpauthUri, totp, totpCodeOf, totpStep, verifyTotp } from './totp.js';

const RFC_KEY = Buffer.from('12345678901234567890');

describe('base32 (RFC 4648 §10 test vectors, without padding)', () => {
  const vectors: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
  it.each(vectors)('%j ⇄ %s', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(plain);
  });

  it('reads any case, spaces and padding; refuses what is not base32', () => {
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW1')).toThrow(/not base32/);
  });

  it('round-trips a new secret of 160 bits', () => {
    const s = newTotpSecret();
    expect(s).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(s)).toHaveLength(20);
    expect(base32Encode(base32Decode(s))).toBe(s);
  });
});

describe('HOTP (RFC 4226 appendix D)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  it.each(expected.map((c, i) => [i, c] as const))('counter %i → %s', (counter, code) => {
    expect(hotp(RFC_KEY, counter)).toBe(code);
  });
});

describe('TOTP (RFC 6238 appendix B, SHA-1)', () => {
  const vectors: [number, string][] = [[59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'], [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130']];
  it.each(vectors)('at %i s: %s (8 digits) and its last 6', (seconds, code) => {
    expect(totp(RFC_KEY, seconds * 1000, 8)).toBe(code);
    expect(totp(RFC_KEY, seconds * 1000)).toBe(code.slice(2));
  });

  it('takes a code of the step before, now or after, and no other', () => {
    const secret = base32Encode(RFC_KEY);
    const t = 1111111111_000;
    const step = totpStep(t);
    expect(verifyTotp(secret, totp(RFC_KEY, t), t)).toBe(step);
    expect(verifyTotp(secret, totp(RFC_KEY, t - 30_000), t)).toBe(step - 1);
    expect(verifyTotp(secret, totp(RFC_KEY, t + 30_000), t)).toBe(step + 1);
    expect(verifyTotp(secret, totp(RFC_KEY, t - 60_000), t)).toBeNull();
    expect(verifyTotp(secret, totp(RFC_KEY, t + 60_000), t)).toBeNull();
  });

  it('takes a code once: not for a step already accepted (no replay)', () => {
    const secret = base32Encode(RFC_KEY);
    const t = 1234567890_000;
    const code = totp(RFC_KEY, t);
    const step = verifyTotp(secret, code, t)!;
    expect(verifyTotp(secret, code, t, { after: step })).toBeNull();
    expect(verifyTotp(secret, code, t, { after: step - 1 })).toBe(step);
  });

  it('reads a code typed with spaces; refuses one of other digits or length', () => {
    const secret = base32Encode(RFC_KEY);
    const t = 2000000000_000;
    const code = totp(RFC_KEY, t);
    expect(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, t)).toBe(totpStep(t));
    expect(verifyTotp(secret, code.slice(1), t)).toBeNull();
    expect(verifyTotp(secret, `${code}0`, t)).toBeNull();
    expect(verifyTotp(secret, String((Number(code) + 1) % 1_000_000).padStart(6, '0'), t)).toBeNull();
    expect(totpCodeOf(' 12 34 56 ')).toBe('123456');
    expect(totpCodeOf('12345a')).toBeNull();
  });

  it('writes the otpauth URI authenticator apps read', () => {
    expect(otpauthUri('GEZDGNBV', 'ada@acme.test')).toBe('otpauth://totp/Parley:ada%40acme.test?secret=GEZDGNBV&issuer=Parley&algorithm=SHA1&digits=6&period=30');
  });
});

describe('recovery codes', () => {
  it('makes 10 distinct codes xxxxx-xxxxx', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  });

  it('reads a code whatever its case, spaces or dashes', () => {
    expect(normaliseRecoveryCode('abcde-12345')).toBe('abcde12345');
    expect(normaliseRecoveryCode(' ABCDE 12345 ')).toBe('abcde12345');
    expect(normaliseRecoveryCode('ab-cd-e1-23-45')).toBe('abcde12345');
    expect(normaliseRecoveryCode('abcde-1234')).toBeNull();
    expect(normaliseRecoveryCode('abcde-1234!')).toBeNull();
    expect(hashRecoveryCode('ABCDE 12345')).toBe(hashRecoveryCode('abcde-12345'));
    expect(hashRecoveryCode('abcde-12345')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds which stored hash a typed code is, or none', () => {
    const codes = newRecoveryCodes(3);
    const hashes = codes.map(hashRecoveryCode);
    expect(matchRecoveryCode(codes[1]!.toUpperCase().replace('-', ' '), hashes)).toBe(1);
    expect(matchRecoveryCode('zzzzz-zzzzz', hashes)).toBe(-1);
    expect(matchRecoveryCode('123456', hashes)).toBe(-1);
  });
});
