import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from './password.js';

/** A hash in the stored format with chosen settings, as an older Parley wrote them. */
const legacy = (password: string, N: number, r: number, p: number) => {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
};

describe('password hashing', () => {
  it('hashes with settings OWASP rates as strong as N=2^17, p=1 (N=2^14, r=8, p=5: 16 MiB a hash)', async () => {
    const h = await hashPassword('correct horse');
    expect(h.split('$').slice(0, 4)).toEqual(['scrypt', '16384', '8', '5']);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct hors', h)).toBe(false);
    expect(needsRehash(h)).toBe(false);
  });

  it('still verifies hashes made with the older settings, and says they need hashing again', async () => {
    const old = legacy('s3cret', 16384, 8, 1);
    expect(await verifyPassword('s3cret', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(null)).toBe(true);
  });

  it('compares the password as the person typed it, whatever its Unicode composition', async () => {
    const h = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', h)).toBe(true);
  });

  it('refuses, without computing, a stored hash with settings no Parley writes (no CPU or memory exhaustion)', async () => {
    const good = legacy('x', 16384, 8, 1).split('$');
    const t0 = performance.now();
    for (const [n, r, p] of [['1073741824', '8', '1'], ['16384', '8', '100000'], ['16384', '1024', '1'], ['1000', '8', '1'], ['16384', '8', '0'], ['abc', '8', '1']]) {
      expect(await verifyPassword('x', ['scrypt', n, r, p, good[4], good[5]].join('$'))).toBe(false);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await verifyPassword('x', 'scrypt$16384$8$1$only-salt')).toBe(false);
    expect(await verifyPassword('x', `${good.join('$')}$extra`)).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$2b$10$whatever')).toBe(false);
  });
});
