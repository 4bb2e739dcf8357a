/**
 * A software WebAuthn authenticator for the passkey tests: ES256 key pairs made with node:crypto,
 * the attestation object (fmt "none"), authenticator data and client data built as the WebAuthn
 * Level 2 spec lays them out (§6.1 authenticator data, §6.5.4 attested credential data, §5.8.1
 * client data), CBOR-encoded by the small encoder below (RFC 8949, the major types WebAuthn uses).
 * Each part can be spoiled on purpose (origin, RP ID, flags, counter, signature, user handle).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

type Cbor = number | string | Buffer | Map<Cbor, Cbor> | Cbor[];

const head = (major: number, n: number): Buffer => {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
};

/** CBOR of integers, byte and text strings, arrays and maps (in the order given). */
export function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, b.length), b]);
  }
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const rpIdHash = (rpId: string) => createHash('sha256').update(rpId).digest();

/** A discoverable credential the authenticator holds. */
export interface SoftCredential {
  id: Buffer;
  rpId: string;
  userHandle: Buffer;
  privateKey: KeyObject;
  counter: number;
}

export interface Spoil {
  /** The origin the "browser" writes into the client data. */
  origin?: string;
  /** The RP ID whose hash goes into the authenticator data. */
  rpId?: string;
  /** The flags byte (UP 0x01, UV 0x04). */
  flags?: number;
  /** The counter to send (else the credential's, plus one). */
  counter?: number;
  /** Sign with another key. */
  signWith?: KeyObject;
  /** The user handle to send. */
  userHandle?: Buffer;
  /** The challenge to answer (else the options'). */
  challenge?: string;
  type?: string;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  constructor(private readonly origin: string) {}

  /** `navigator.credentials.create()` with the options a desk gave: a RegistrationResponseJSON. */
  create(options: { challenge: string; rp: { id?: string }; user: { id: string } }, spoil: Spoil = {}) {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
    const id = randomBytes(16);
    const cred: SoftCredential = { id, rpId, userHandle: Buffer.from(options.user.id, 'base64url'), privateKey, counter: 0 };
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(id.length);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(spoil.counter ?? 0);
    const authData = Buffer.concat([rpIdHash(spoil.rpId ?? rpId), Buffer.from([spoil.flags ?? 0x45]), counter, Buffer.alloc(16), idLen, id, cose]);
    const attestationObject = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    const clientDataJSON = JSON.stringify({ type: spoil.type ?? 'webauthn.create', challenge: spoil.challenge ?? options.challenge, origin: spoil.origin ?? this.origin, crossOrigin: false });
    this.credentials.push(cred);
    return {
      credential: cred,
      response: { id: b64u(id), rawId: b64u(id), type: 'public-key', response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject), authenticatorData: b64u(authData), transports: ['internal'] }, authenticatorAttachment: 'platform', clientExtensionResults: {} },
    };
  }

  /** `navigator.credentials.get()` with `cred` for the options a desk gave: an AuthenticationResponseJSON. */
  get(cred: SoftCredential, options: { challenge: string }, spoil: Spoil = {}) {
    const count = spoil.counter ?? cred.counter + 1;
    if (spoil.counter === undefined) cred.counter = count;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(count);
    const authData = Buffer.concat([rpIdHash(spoil.rpId ?? cred.rpId), Buffer.from([spoil.flags ?? 0x05]), counter]);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: spoil.type ?? 'webauthn.get', challenge: spoil.challenge ?? options.challenge, origin: spoil.origin ?? this.origin, crossOrigin: false }));
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]), spoil.signWith ?? cred.privateKey);
    return { id: b64u(cred.id), rawId: b64u(cred.id), type: 'public-key', response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature), userHandle: b64u(spoil.userHandle ?? cred.userHandle) }, authenticatorAttachment: 'platform', clientExtensionResults: {} };
  }
}
