import { describe, expect, it } from 'vitest';
import { inLists, padInList } from './util.js';

describe('inLists', () => {
  it('splits into parts of at most the size, each padded with its last value to a power of two or the size', () => {
    const values = Array.from({ length: 1203 }, (_, i) => i);
    const parts = [...inLists(values, 500)];
    expect(parts.map((p) => p.length)).toEqual([500, 500, 256]);
    expect(new Set(parts.flat())).toEqual(new Set(values)); // every value, nothing else
    expect(parts[2]!.slice(203)).toEqual(Array(53).fill(1202));
  });

  it('keeps the number of distinct lengths (statement shapes) small', () => {
    const lengths = new Set<number>();
    for (let n = 1; n <= 500; n++) lengths.add([...inLists(Array.from({ length: n }, (_, i) => i))][0]!.length);
    expect([...lengths].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 500]);
  });

  it('yields nothing for no values, and leaves an empty list empty', () => {
    expect([...inLists([])]).toEqual([]);
    expect(padInList([])).toEqual([]);
    expect(padInList(['a', 'b', 'c'])).toEqual(['a', 'b', 'c', 'c']);
  });
});
