import { describe, expect, it } from 'vitest';
import { LoginGuard } from './auth.js';

describe('LoginGuard', () => {
  const T = Date.UTC(2026, 11, 5, 9);
  const fail = (g: LoginGuard, email: string, ip: string, n: number) => {
    for (let i = 0; i < n; i++) g.failed(email, ip, T + i);
  };

  it('stops guessing at one account from one address after 10 failures', () => {
    const g = new LoginGuard();
    fail(g, 'ana@acme.test', '203.0.113.9', 10);
    expect(g.check('ana@acme.test', '203.0.113.9', T + 20)).toBeGreaterThan(0);
  });

  it('does not lock the person out from their own address because someone else failed under their name', () => {
    const g = new LoginGuard();
    fail(g, 'ana@acme.test', '203.0.113.9', 10);
    expect(g.check('ana@acme.test', '198.51.100.7', T + 20)).toBe(0);
  });

  it('bounds guessing from many addresses at 50 failures an account', () => {
    const g = new LoginGuard();
    for (let a = 0; a < 10; a++) fail(g, 'ana@acme.test', `203.0.113.${a}`, 5);
    expect(g.check('ana@acme.test', '198.51.100.7', T + 100)).toBeGreaterThan(0);
    // and lifts after the window
    expect(g.check('ana@acme.test', '198.51.100.7', T + 16 * 60_000)).toBe(0);
  });

  it('does not lock an office out behind one address for one person’s typos, and stops a spray from it', () => {
    const g = new LoginGuard();
    fail(g, 'ben@acme.test', '192.0.2.1', 3);
    expect(g.check('ana@acme.test', '192.0.2.1', T + 10)).toBe(0);
    for (let i = 0; i < 30; i++) g.failed(`x${i}@acme.test`, '192.0.2.1', T + 10 + i);
    expect(g.check('ana@acme.test', '192.0.2.1', T + 100)).toBeGreaterThan(0);
  });

  it('clears an account’s count from an address on success there', () => {
    const g = new LoginGuard();
    fail(g, 'ana@acme.test', '203.0.113.9', 9);
    g.succeeded('ana@acme.test', '203.0.113.9');
    g.failed('ana@acme.test', '203.0.113.9', T + 50);
    expect(g.check('ana@acme.test', '203.0.113.9', T + 60)).toBe(0);
  });
});
