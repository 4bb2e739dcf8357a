import { describe, expect, it } from 'vitest';
import { computeMetrics } from './metrics.js';

describe('computeMetrics', () => {
  it('computes per-class and macro figures keyed by gold labels', () => {
    const gold = ['a', 'a', 'a', 'b', 'b', 'c'];
    const pred = ['a', 'a', 'b', 'b', 'x', 'c'];
    const m = computeMetrics(gold, pred);
    expect(m.n).toBe(6);
    expect(m.accuracy).toBeCloseTo(4 / 6, 4);
    expect(Object.keys(m.per_class)).toEqual(['a', 'b', 'c']); // 'x' is an error, not a class
    expect(m.per_class.a).toEqual({ precision: 1, recall: 0.6667, f1: 0.8, support: 3 });
    expect(m.per_class.b).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(m.macro_recall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 3);
    expect(m.macro_f1).toBeCloseTo((0.8 + 0.5 + 1) / 3, 3);
  });

  it('rejects mismatched lengths', () => {
    expect(() => computeMetrics(['a'], [])).toThrow();
  });
});
