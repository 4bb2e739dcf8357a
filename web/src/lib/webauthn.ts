/**
 * Passkeys in the browser with the native WebAuthn API (`navigator.credentials`): the server's
 * options arrive as JSON with base64url bytes (as @simplewebauthn/server makes them), go to the
 * browser as ArrayBuffers, and the authenticator's answer goes back as JSON with base64url bytes.
 * What the browser or the person refused is said in words (`webauthnProblem`).
 */

const toBytes = (b64url: string): ArrayBuffer => {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
};

const toB64url = (buf: ArrayBuffer | ArrayBufferView): string => {
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** Whether this browser can use passkeys here (WebAuthn, in a secure context). */
export const passkeysSupported = (): boolean => typeof window !== 'undefined' && window.isSecureContext && typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

interface Descriptor {
  id: string;
  type: 'public-key';
  transports?: string[];
}
export interface CreationOptionsJSON {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  pubKeyCredParams: { type: 'public-key'; alg: number }[];
  timeout?: number;
  excludeCredentials?: Descriptor[];
  authenticatorSelection?: AuthenticatorSelectionCriteria;
  attestation?: AttestationConveyancePreference;
}
export interface RequestOptionsJSON {
  challenge: string;
  rpId?: string;
  timeout?: number;
  allowCredentials?: Descriptor[];
  userVerification?: UserVerificationRequirement;
}

const descriptor = (d: Descriptor): PublicKeyCredentialDescriptor => ({ id: toBytes(d.id), type: 'public-key', ...(d.transports ? { transports: d.transports as AuthenticatorTransport[] } : {}) });

/** Make a passkey with the server's registration options: the answer as JSON for POST /api/me/passkeys. */
export async function createPasskey(o: CreationOptionsJSON): Promise<Record<string, unknown>> {
  const cred = (await navigator.credentials.create({
    publicKey: {
      challenge: toBytes(o.challenge), rp: o.rp, user: { ...o.user, id: toBytes(o.user.id) }, pubKeyCredParams: o.pubKeyCredParams, timeout: o.timeout,
      excludeCredentials: (o.excludeCredentials ?? []).map(descriptor), authenticatorSelection: o.authenticatorSelection, attestation: o.attestation ?? 'none',
    },
  })) as PublicKeyCredential | null;
  if (!cred) throw new DOMException('no passkey was made', 'NotAllowedError');
  const r = cred.response as AuthenticatorAttestationResponse;
  return {
    id: cred.id, rawId: toB64url(cred.rawId), type: 'public-key',
    response: {
      clientDataJSON: toB64url(r.clientDataJSON), attestationObject: toB64url(r.attestationObject),
      ...(typeof r.getAuthenticatorData === 'function' ? { authenticatorData: toB64url(r.getAuthenticatorData()) } : {}),
      ...(typeof r.getTransports === 'function' ? { transports: r.getTransports() } : {}),
    },
    ...(cred.authenticatorAttachment ? { authenticatorAttachment: cred.authenticatorAttachment } : {}),
    clientExtensionResults: {},
  };
}

/** Sign in with a passkey for the server's options: the answer as JSON for POST /api/auth/passkey. */
export async function getPasskey(o: RequestOptionsJSON): Promise<Record<string, unknown>> {
  const cred = (await navigator.credentials.get({
    publicKey: { challenge: toBytes(o.challenge), rpId: o.rpId, timeout: o.timeout, allowCredentials: (o.allowCredentials ?? []).map(descriptor), userVerification: o.userVerification ?? 'required' },
  })) as PublicKeyCredential | null;
  if (!cred) throw new DOMException('no passkey was chosen', 'NotAllowedError');
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: cred.id, rawId: toB64url(cred.rawId), type: 'public-key',
    response: { clientDataJSON: toB64url(r.clientDataJSON), authenticatorData: toB64url(r.authenticatorData), signature: toB64url(r.signature), ...(r.userHandle ? { userHandle: toB64url(r.userHandle) } : {}) },
    ...(cred.authenticatorAttachment ? { authenticatorAttachment: cred.authenticatorAttachment } : {}),
    clientExtensionResults: {},
  };
}

/** What the browser's refusal of a WebAuthn call means, in words; null when it was not the browser's. */
export function webauthnProblem(err: unknown): string | null {
  if (!(err instanceof DOMException)) return null;
  if (err.name === 'NotAllowedError') return 'No passkey was used: it was cancelled, or it took too long. Try again.';
  if (err.name === 'InvalidStateError') return 'This device already holds a passkey of yours for this desk.';
  if (err.name === 'SecurityError') return 'This browser will not use passkeys at this address. Open the desk at its usual address (https).';
  if (err.name === 'NotSupportedError') return 'This browser or device cannot make a passkey of the kind the desk needs (one that checks it is you, with a PIN or a fingerprint).';
  return `The passkey did not work: ${err.message}`;
}
