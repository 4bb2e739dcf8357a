import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { refToken, verifyRef } from './ref.js';
import { participantHash, participantMatcher, referencesNeedParticipant, retainEmailRaw } from './threading.js';

const key = createHmac('sha256', 'test').update('k').digest();
const other = createHmac('sha256', 'test').update('other').digest();

describe('X-Parley-Ref', () => {
  it('holds for our Message-ID and recipient only, under our key only', () => {
    const t = refToken(key, '<parley-1@acme.test>', 'Alice@Y.com');
    expect(t).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(verifyRef(key, t, '<parley-1@acme.test>', ['bob@y.com', 'alice@y.com'])).toBe(true);
    expect(verifyRef(key, t, '<parley-2@acme.test>', ['alice@y.com'])).toBe(false);
    expect(verifyRef(key, t, '<parley-1@acme.test>', ['bob@y.com'])).toBe(false);
    expect(verifyRef(other, t, '<parley-1@acme.test>', ['alice@y.com'])).toBe(false);
    for (const bad of ['', 'v1.', `v2.${t.slice(3)}`, `${t}A`, 'v1.' + '!'.repeat(43)]) expect(verifyRef(key, bad, '<parley-1@acme.test>', ['alice@y.com'])).toBe(false);
  });
});

describe('participants', () => {
  const raw = { kind: 'email', from: [{ address: 'Alice@Y.com', name: 'Alice' }], to: [{ address: 'support@acme.test', name: null }], cc: [{ address: 'carol@y.com', name: null }, { address: 'MAILER-DAEMON@mx.y.com', name: null }], text: 'my address is 1 Main St' };

  it('retention keeps keyed hashes of the people, nothing in clear; nothing without a key', () => {
    const kept = retainEmailRaw(raw, key)!;
    expect(kept).toEqual({ participants: ['alice@y.com', 'support@acme.test', 'carol@y.com'].map((a) => participantHash(key, a)) });
    expect(JSON.stringify(kept)).not.toMatch(/y\.com|acme|alice|carol|main st/i);
    expect(retainEmailRaw(raw, null)).toBeNull();
    expect(retainEmailRaw({ kind: 'email', from: [] }, key)).toBeNull();
  });

  it('compares addresses as hashes, so a retained payload\'s still count; a mail system never does', () => {
    const m = participantMatcher(key);
    const retained = { 'parley:retained': 1, ...retainEmailRaw(raw, key) };
    expect(m.ofRaw(retained)).toContain(m.form(' CAROL@y.com '));
    expect(m.ofRaw(JSON.stringify(raw))).toContain(m.form('carol@y.com'));
    expect(m.ofRaw(retained)).not.toContain(m.form('mallory@x.com'));
    expect(m.form('MAILER-DAEMON@mx.y.com')).toBeNull();
    expect(m.ofRaw(raw)).not.toContain(participantHash(key, 'mailer-daemon@mx.y.com'));
    // hashes under another key are strangers
    expect(participantMatcher(other).ofRaw(retained)).not.toContain(participantMatcher(other).form('carol@y.com'));
    const clear = participantMatcher(null);
    expect(clear.ofRaw(raw)).toEqual(['alice@y.com', 'support@acme.test', 'carol@y.com']);
    expect(clear.ofRaw(retained)).toEqual([]);
    expect(clear.form('postmaster@y.com')).toBeNull();
  });

  it('a delivery report skips the check only for the proven mail it returns', () => {
    const report = { network: 'email', direction: 'inbound', fromBrand: false, automated: true, inReplyToNetworkId: '<p@a>', threadRootNetworkId: null, raw: { kind: 'email', returnedOwn: '<p@a>' } } as const;
    expect(referencesNeedParticipant(report)).toBe(false);
    expect(referencesNeedParticipant({ ...report, raw: { kind: 'email', returnedOwn: null } })).toBe(true);
    expect(referencesNeedParticipant({ ...report, inReplyToNetworkId: '<q@a>' })).toBe(true);
    expect(referencesNeedParticipant({ ...report, threadRootNetworkId: '<alice@y>' })).toBe(true);
    expect(referencesNeedParticipant({ ...report, automated: false })).toBe(true);
    expect(referencesNeedParticipant({ ...report, fromBrand: true })).toBe(false);
  });
});
