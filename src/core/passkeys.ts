/**
 * The checks of a passkey (WebAuthn) ceremony that are plain data, before and after the
 * signature (which @simplewebauthn/server verifies): who the relying party is, given the desk's
 * public address; what the browser says it signed (clientDataJSON: the type, challenge and
 * origin); what the authenticator says (authenticatorData: the RP ID hash, flags and counter);
 * and whether a signature counter went backwards (a cloned authenticator).
 */
import { createHash } from 'node:crypto';

/** The relying party a desk is: its origin and, as RP ID, its host name (WebAuthn takes no port). */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

/** The relying party of a desk at `baseUrl` (its configured public URL, else the request's own). */
export function relyingPartyOf(baseUrl: string, name = 'Parley'): RelyingParty {
  const u = new URL(baseUrl);
  return { id: u.hostname, origin: u.origin, name };
}

/** What the browser says it signed. */
export interface ClientData {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin?: boolean;
}

/** clientDataJSON (base64url) as the browser wrote it; null when it is not that. */
export function parseClientData(b64url: string): ClientData | null {
  try {
    const v = JSON.parse(Buffer.from(b64url, 'base64url').toString('utf8')) as Partial<ClientData>;
    if (typeof v !== 'object' || v === null || typeof v.type !== 'string' || typeof v.challenge !== 'string' || typeof v.origin !== 'string') return null;
    return { type: v.type, challenge: v.challenge, origin: v.origin, crossOrigin: v.crossOrigin === true };
  } catch {
    return null;
  }
}

/** What the authenticator says (the first 37 bytes of authenticatorData). */
export interface AuthenticatorDataHead {
  rpIdHash: Buffer;
  userPresent: boolean;
  userVerified: boolean;
  signCount: number;
}

/** The fixed head of authenticatorData (base64url, or the bytes); null when it is too short. */
export function parseAuthenticatorData(data: string | Buffer): AuthenticatorDataHead | null {
  const b = typeof data === 'string' ? Buffer.from(data, 'base64url') : data;
  if (b.length < 37) return null;
  const flags = b[32]!;
  return { rpIdHash: b.subarray(0, 32), userPresent: (flags & 0x01) !== 0, userVerified: (flags & 0x04) !== 0, signCount: b.readUInt32BE(33) };
}

/** Why a ceremony's data is not this desk's; null when it is. */
export type CeremonyFault = 'malformed' | 'wrong_type' | 'wrong_origin' | 'wrong_rp' | 'not_verified';

/**
 * Check what the browser and the authenticator say against the relying party, before the
 * signature: the ceremony's type, the origin (the desk's, not in a cross-origin frame), the RP ID
 * hash, and that the user was present and verified (a passkey stands in for a password and a
 * second factor only when the authenticator asked for a PIN or biometric).
 */
export function ceremonyFault(rp: RelyingParty, type: 'webauthn.create' | 'webauthn.get', clientData: ClientData | null, authData: AuthenticatorDataHead | null): CeremonyFault | null {
  if (!clientData) return 'malformed';
  if (clientData.type !== type) return 'wrong_type';
  if (clientData.origin !== rp.origin || clientData.crossOrigin) return 'wrong_origin';
  if (!authData) return 'malformed';
  if (!authData.rpIdHash.equals(createHash('sha256').update(rp.id).digest())) return 'wrong_rp';
  if (!authData.userPresent || !authData.userVerified) return 'not_verified';
  return null;
}

/**
 * Whether a signature counter went backwards (or stood still): the authenticator may have been
 * cloned. An authenticator that keeps no counter sends 0 every time, which is fine while the
 * stored one is 0 too (WebAuthn §6.1.1).
 */
export const counterRegressed = (stored: number, received: number): boolean => (stored > 0 || received > 0) && received <= stored;

/** The longest name a person gives one of their passkeys, in characters. */
export const PASSKEY_NAME_MAX = 60;

/**
 * A passkey's new name as the person typed it: trimmed, 1 to PASSKEY_NAME_MAX characters (code
 * points), no control characters (it is shown as text, on one line); null when it is not one.
 */
export function passkeyName(raw: string): string | null {
  const name = raw.trim();
  const length = [...name].length;
  if (length < 1 || length > PASSKEY_NAME_MAX) return null;
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(name)) return null;
  return name;
}
