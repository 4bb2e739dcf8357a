import { describe, expect, it } from 'vitest';
import { serializeRaw, validateMessage } from './validate.js';

describe('serializeRaw', () => {
  it('is JSON.stringify for plain payloads', () => {
    const v = { a: 1, b: ['x', null, { c: true }], s: '<script>"\u2028' };
    expect(serializeRaw(v)).toBe(JSON.stringify(v));
    expect(serializeRaw(undefined)).toBe('null');
    expect(serializeRaw(() => 1)).toBe('null');
  });

  it('writes BigInts as their decimal digits', () => {
    expect(serializeRaw({ id: 12345678901234567890n, n: [1n] })).toBe('{"id":"12345678901234567890","n":["1"]}');
  });

  it('never throws: a cycle becomes a marker with the error', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const out = JSON.parse(serializeRaw(cyclic)) as { unserializable: string };
    expect(out.unserializable).toMatch(/circular/i);
  });
});

describe('validateMessage', () => {
  const good = { network: 'x', networkMessageId: '1', direction: 'inbound', visibility: 'public', kind: 'mention', author: { networkUserId: 'u', handle: 'h' }, text: 'hi', createdAt: 1, raw: { id: 1n } };

  it('keeps the raw payload, BigInts included', () => {
    const v = validateMessage(good);
    expect(v.ok).toBe(true);
    expect(v.raw).toBe('{"id":"1"}');
  });

  it('quarantines with the reason and the raw input', () => {
    const v = validateMessage({ ...good, createdAt: 'yesterday' });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reason).toMatch(/^createdAt: /);
    expect(JSON.parse(v.raw).createdAt).toBe('yesterday');
  });
});

describe('validateMessage: ids are stored exactly as they came', () => {
  const good = { network: 'x', networkMessageId: '1', direction: 'inbound', visibility: 'public', kind: 'mention', author: { networkUserId: 'u', handle: 'h' }, text: 'hi', createdAt: 1, raw: {} };

  it('quarantines an id with a lone surrogate or a NUL, naming the field, the raw input keeping it escaped', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ networkMessageId: 'a\ud800' }, /^networkMessageId: not well-formed Unicode \(a lone surrogate\)/],
      [{ author: { networkUserId: '\udc00u', handle: 'h' } }, /^author\.networkUserId: not well-formed Unicode/],
      [{ inReplyToNetworkId: 'p\u0000' }, /^inReplyToNetworkId: contains a NUL character/],
      [{ threadRootNetworkId: 'r\udfff' }, /^threadRootNetworkId: not well-formed Unicode/],
    ];
    for (const [over, reason] of cases) {
      const v = validateMessage({ ...good, ...over });
      expect(v.ok).toBe(false);
      if (v.ok) continue;
      expect(v.reason).toMatch(reason);
      expect(v.raw.isWellFormed()).toBe(true);
      expect(JSON.parse(v.raw)).toEqual({ ...good, ...over });
    }
  });

  it('keeps a surrogate pair (well-formed) in an id, and hostile text', () => {
    expect(validateMessage({ ...good, networkMessageId: 'emoji 👩', text: 'lone \ud800 and NUL \u0000' }).ok).toBe(true);
  });
});
