import { describe, expect, it } from 'vitest';
import { LoginGuard } from './auth.js';

describe('LoginGuard', () => {
  const T = Date.UTC(2026, 11, 5, 9);
  /** n attempts that all fail (none is taken back). */
  const fail = (g: LoginGuard, email: string, ip: string, n: number, at = T) => {
    for (let i = 0; i < n; i++) expect(g.attempt(email, ip, at + i)).toBe(0);
  };

  it('stops guessing at one account from one address after 10 failures', () => {
    const g = new LoginGuard();
    fail(g, 'ana@acme.test', '203.0.113.9', 10);
    expect(g.attempt('ana@acme.test', '203.0.113.9', T + 20)).toBeGreaterThan(0);
  });

  it('counts an attempt when it starts: attempts in flight at once are bounded the same way', () => {
    const g = new LoginGuard();
    // 200 attempts arrive before any password check has finished (same instant, no outcome yet)
    const admitted = Array.from({ length: 200 }, () => g.attempt('ben@acme.test', '203.0.113.9', T)).filter((w) => w === 0);
    expect(admitted).toHaveLength(10);
  });

  it('takes a successful attempt back, so signing in does not use up the allowance', () => {
    const g = new LoginGuard();
    for (let i = 0; i < 40; i++) {
      expect(g.attempt('ana@acme.test', '192.0.2.1', T + i)).toBe(0);
      g.succeeded('ana@acme.test', '192.0.2.1', T + i);
    }
    expect(g.attempt('cleo@acme.test', '192.0.2.1', T + 50)).toBe(0);
  });

  it('does not lock the person out from their own address because someone else failed under their name', () => {
    const g = new LoginGuard();
    fail(g, 'ana@acme.test', '203.0.113.9', 10);
    expect(g.attempt('ana@acme.test', '198.51.100.7', T + 20)).toBe(0);
  });

  it('bounds guessing from many addresses at 50 failures an account, except where that person signs in', () => {
    const g = new LoginGuard();
    g.attempt('ana@acme.test', '198.51.100.1', T - 1000);
    g.succeeded('ana@acme.test', '198.51.100.1', T - 1000);
    for (let a = 0; a < 10; a++) fail(g, 'ana@acme.test', `203.0.113.${a}`, 5);
    expect(g.attempt('ana@acme.test', '198.51.100.7', T + 100)).toBeGreaterThan(0);
    // her own address (a success seen here, or a live session the caller found) still works
    expect(g.attempt('ana@acme.test', '198.51.100.1', T + 100)).toBe(0);
    expect(g.attempt('ana@acme.test', '198.51.100.8', T + 100, true)).toBe(0);
    // and the bound lifts after the window
    expect(g.attempt('ana@acme.test', '198.51.100.7', T + 16 * 60_000)).toBe(0);
  });

  it('does not lock an office out behind one address for one person’s typos, and stops a spray from it', () => {
    const g = new LoginGuard();
    fail(g, 'ben@acme.test', '192.0.2.1', 3);
    expect(g.attempt('ana@acme.test', '192.0.2.1', T + 10)).toBe(0);
    for (let i = 0; i < 30; i++) g.attempt(`x${i}@acme.test`, '192.0.2.1', T + 10 + i);
    expect(g.attempt('ana@acme.test', '192.0.2.1', T + 100)).toBeGreaterThan(0);
  });

  it('clears an account’s count from an address on success there', () => {
    const g = new LoginGuard();
    fail(g, 'ana@acme.test', '203.0.113.9', 9);
    expect(g.attempt('ana@acme.test', '203.0.113.9', T + 40)).toBe(0);
    g.succeeded('ana@acme.test', '203.0.113.9', T + 40);
    fail(g, 'ana@acme.test', '203.0.113.9', 9, T + 50);
    expect(g.attempt('ana@acme.test', '203.0.113.9', T + 60)).toBe(0);
  });
});
