/**
 * The SP's self-signed certificate (core/saml.ts `selfSignedCertificatePem`): whatever random
 * serial it is given, the DER INTEGER is minimal and positive, so OpenSSL (Node's X509Certificate,
 * and the IdPs given the SP metadata) reads it.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificatePem } from './saml.js';

describe('selfSignedCertificatePem', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const make = (serial: number[]) => selfSignedCertificatePem({ privateKey, publicKey, commonName: 'Parley SAML SP (test)', serial: Buffer.from(serial), notBefore: Date.UTC(2026, 0, 1), notAfter: Date.UTC(2036, 0, 1) });

  it('encodes serials with leading zero bytes, a top bit set, or both, as minimal positive INTEGERs OpenSSL reads', () => {
    const serials = [[0x00, 0x01, 0x02, 0x03], [0x00, 0x00, 0x7f, 0xff], [0x00, 0x80, 0x01], [0x80, 0x00, 0x01], [0x7f, 0x00], [0x00, 0x00], [0x05]];
    for (const serial of serials) {
      const cert = new X509Certificate(make(serial));
      expect(BigInt(`0x${cert.serialNumber}`), Buffer.from(serial).toString('hex')).toBe(BigInt(`0x${Buffer.from(serial).toString('hex')}`));
      expect(cert.subject).toBe('CN=Parley SAML SP (test)');
      expect(cert.verify(publicKey)).toBe(true);
    }
  });
});
