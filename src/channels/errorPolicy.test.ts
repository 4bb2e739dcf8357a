/**
 * The rules for items a network sends that are not what it documents (errorPolicy.ts):
 * one item that cannot be read is rejected with the reason and never fails its neighbours,
 * ids beyond 2^53 stay exact or are rejected (never stored under a neighbour's id), text of
 * the wrong type is rejected (never stored empty), and URLs built from hostile handles
 * never throw.
 */
import { describe, expect, it } from 'vitest';
import { exactId, ItemRejected, normalizeItem, parseJsonExact, textField, urlSegment, type RejectedItem } from './errorPolicy.js';

describe('items a network sends that are not what it documents', () => {
  it('keeps whole numbers beyond 2^53 exact as their digits, and leaves everything else as JSON.parse reads it', () => {
    const text = '{"id":9007199254740993,"b":[9007199254740994,-9007199254740995],"safe":9007199254740991,"f":1.5,"e":1e300,"s":"12345678901234567890 \\"9007199254740993\\"","n":null}';
    expect(parseJsonExact(text)).toEqual({
      id: '9007199254740993', b: ['9007199254740994', '-9007199254740995'], safe: 9007199254740991, f: 1.5, e: 1e300, s: '12345678901234567890 "9007199254740993"', n: null,
    });
    // without big numbers: exactly JSON.parse
    expect(parseJsonExact('{"a":[1,2,"x\\\\"],"b":{"c":true}}')).toEqual({ a: [1, 2, 'x\\'], b: { c: true } });
    // a string ending in an escaped backslash does not hide the number after it
    expect(parseJsonExact('["a\\\\",12345678901234567891]')).toEqual(['a\\', '12345678901234567891']);
    expect(() => parseJsonExact('{"a":12345678901234567890')).toThrow(SyntaxError);
  });

  it('reads ids as exact text and rejects a number that has lost digits', () => {
    expect(exactId('1924465506158878979', 'id')).toBe('1924465506158878979');
    expect(exactId(42, 'id')).toBe('42');
    expect(exactId(undefined, 'id')).toBe('');
    expect(exactId({ a: 1 }, 'id')).toBe('');
    expect(() => exactId(9007199254740993, 'comment_id')).toThrow(ItemRejected);
    expect(() => exactId(9007199254740993, 'comment_id')).toThrow(/comment_id .* lost precision/);
    expect(() => exactId(1.5, 'id')).toThrow(/not an id/);
    // a lone surrogate would be stored as U+FFFD and never match itself again (each redelivery stored anew)
    expect(() => exactId('1924465506158878979\ud800', 'id_str')).toThrow(/id_str .* lone surrogate/);
  });

  it('rejects text of the wrong type, and lets absent text be absent', () => {
    expect(textField({ text: 'hi' }, 'text')).toBe('hi');
    expect(textField({ text: '' }, 'text')).toBe('');
    expect(textField({}, 'text')).toBeUndefined();
    expect(textField({ text: null }, 'text')).toBeUndefined();
    expect(() => textField({ text: { value: 'x' } }, 'text')).toThrow('text is an object, not a string');
    expect(() => textField({ text: ['a'] }, 'text')).toThrow('text is an array, not a string');
    expect(() => textField({ message: 7 }, 'message', 'value.message')).toThrow('value.message is a number, not a string');
  });

  it('builds no URL from a handle with a lone surrogate instead of throwing', () => {
    expect(() => encodeURIComponent('evil\ud800')).toThrow(URIError);
    expect(urlSegment('evil\ud800')).toBeNull();
    expect(urlSegment('bad\udfff')).toBeNull();
    expect(urlSegment('')).toBeNull();
    expect(urlSegment({})).toBeNull();
    expect(urlSegment('jane doe/é')).toBe('jane%20doe%2F%C3%A9');
  });

  it('rejects the one item whose normalization throws, with where and why, and keeps its neighbours', () => {
    const rejected: RejectedItem[] = [];
    const out = [1, 2, 3, 4].map((n) => normalizeItem(rejected, { n }, `items[${n}]`, () => {
      if (n === 2) throw new ItemRejected('text is an object, not a string');
      if (n === 3) throw new URIError('URI malformed');
      return n * 10;
    }));
    expect(out).toEqual([10, null, null, 40]);
    expect(rejected).toEqual([
      { reason: 'items[2]: text is an object, not a string', raw: { n: 2 } },
      { reason: 'items[3]: could not be read (URIError: URI malformed)', raw: { n: 3 } },
    ]);
  });
});
