import { describe, expect, it } from 'vitest';
import { isoTime } from './clock.js';

describe('isoTime', () => {
  it('writes exactly what toISOString writes', () => {
    const samples = [
      0, 1, 999, 1000, 59_999, 60_000, 3_599_999, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */,
      1_796_336_235_666, 1_796_336_235_666.9, 4_102_444_800_000 /* 2100-01-01 */, 253_402_300_799_999 /* last ms of 9999 */,
    ];
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      samples.push(Math.floor((seed / 2 ** 31) * 4_200_000_000_000) + (i % 3 === 0 ? 0.5 : 0));
    }
    // the same day many times over, as a batch of live events does
    for (let i = 0; i < 1000; i++) samples.push(1_796_336_235_666 + i * 997);
    // minutes that share a slot of the prefix table, alternating
    for (let i = 0; i < 200; i++) samples.push(1_796_336_235_666 + (i % 2) * 1024 * 60_000 + i, 1_796_336_235_666 + (i % 3) * 2048 * 60_000 + i * 1000);
    for (const t of samples) expect(isoTime(t), String(t)).toBe(new Date(t).toISOString());
  });

  it('leaves times outside 1970–9999 to toISOString, and throws as it does on invalid ones', () => {
    for (const t of [-1, -86_400_001.5, -62_198_755_200_000, 253_402_300_800_000, 8.64e15]) expect(isoTime(t)).toBe(new Date(t).toISOString());
    for (const t of [NaN, Infinity, -Infinity, 8.64e15 + 1]) expect(() => isoTime(t)).toThrow(RangeError);
  });
});
