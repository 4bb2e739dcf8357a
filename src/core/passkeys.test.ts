import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ceremonyFault, counterRegressed, parseAuthenticatorData, parseClientData, relyingPartyOf } from './passkeys.js';

const rp = relyingPartyOf('https://care.example.com:8443/desk');
const authData = (rpId: string, flags: number, count: number) => Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), Buffer.from([0, 0, 0, count])]);
const client = (over: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: 'abc', origin: 'https://care.example.com:8443', ...over })).toString('base64url');

describe('passkey ceremony checks', () => {
  it('takes the RP ID from the host name and the origin with its port', () => {
    expect(rp).toEqual({ id: 'care.example.com', origin: 'https://care.example.com:8443', name: 'Parley' });
  });

  it('accepts the desk\'s own, user-verified ceremony', () => {
    expect(ceremonyFault(rp, 'webauthn.get', parseClientData(client()), parseAuthenticatorData(authData('care.example.com', 0x05, 1)))).toBeNull();
  });

  it('names what is wrong', () => {
    const good = parseAuthenticatorData(authData('care.example.com', 0x05, 1));
    expect(ceremonyFault(rp, 'webauthn.get', parseClientData('not json'), good)).toBe('malformed');
    expect(ceremonyFault(rp, 'webauthn.get', parseClientData(client()), parseAuthenticatorData(Buffer.alloc(10)))).toBe('malformed');
    expect(ceremonyFault(rp, 'webauthn.create', parseClientData(client()), good)).toBe('wrong_type');
    expect(ceremonyFault(rp, 'webauthn.get', parseClientData(client({ origin: 'https://care.example.com.evil.test' })), good)).toBe('wrong_origin');
    expect(ceremonyFault(rp, 'webauthn.get', parseClientData(client({ crossOrigin: true })), good)).toBe('wrong_origin');
    expect(ceremonyFault(rp, 'webauthn.get', parseClientData(client()), parseAuthenticatorData(authData('evil.test', 0x05, 1)))).toBe('wrong_rp');
    expect(ceremonyFault(rp, 'webauthn.get', parseClientData(client()), parseAuthenticatorData(authData('care.example.com', 0x01, 1)))).toBe('not_verified');
  });

  it('reads the counter, and sees one go backwards', () => {
    expect(parseAuthenticatorData(authData('x', 0x05, 7))?.signCount).toBe(7);
    expect(counterRegressed(0, 0)).toBe(false);
    expect(counterRegressed(5, 6)).toBe(false);
    expect(counterRegressed(5, 5)).toBe(true);
    expect(counterRegressed(5, 0)).toBe(true);
    expect(counterRegressed(0, 3)).toBe(false);
  });
});
