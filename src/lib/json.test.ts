import { describe, expect, it } from 'vitest';
import { parseObject } from './json.js';

describe('parseObject', () => {
  it('returns the stored object, and {} for what is absent, malformed or not an object', () => {
    expect(parseObject('{"a":1,"b":{"c":[2]}}')).toEqual({ a: 1, b: { c: [2] } });
    for (const s of [null, undefined, '', 'not json', '[1,2]', '42', '"x"', 'null', '{"a":']) expect(parseObject(s)).toEqual({});
  });
});
