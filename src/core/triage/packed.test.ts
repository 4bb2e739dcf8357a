import { describe, expect, it } from 'vitest';
import { headFromDense, predictProba } from './linear.js';
import type { TriageModel } from './model.js';
import { lookupRows, narrowLogits, packedModel, wideLogits } from './packed.js';

// ids 1,2 are "word" features, 3 a "char" feature, 4 a dense one
const C = 10;
const W = new Float32Array(4 * C);
for (let v = 0; v < 4; v++) W[v * C + v] = 1 + v;
const wide = headFromDense('intent', Array.from({ length: C }, (_, i) => `c${i}`), Int32Array.of(1, 2, 3, 4), W, new Float32Array(C), 0.001, 'words');
const sent = headFromDense('sentiment', ['negative', 'neutral', 'positive'], Int32Array.of(1, 3), Float32Array.of(1, 0, 0, 0, 0, 2), new Float32Array(3), 0.001);
const model: TriageModel = { version: 't', heads: { intent: wide, sentiment: sent }, lexicon: new Map(), intentMap: {}, meta: {} };

describe('packed scoring', () => {
  it('matches per-head scoring', () => {
    const fv = { ids: Int32Array.of(1, 2, 3, 4), vals: Float32Array.of(1, 1, 1, 1), n: 4, wordEnd: 2, charEnd: 3 };
    const p = packedModel(model);
    const rows = lookupRows(p, fv);
    const z = wideLogits(p, 'intent', fv, rows)!;
    expect(Array.from(z.slice(0, 4))).toEqual([1, 2, 0, 4]); // char feature 3 skipped by the 'words' head
    expect(Array.from(predictProba(wide, fv))).toEqual(expect.any(Array));
    const n = narrowLogits(p, fv, rows);
    expect(Array.from(n)).toEqual([1, 0, 2]);
  });

  it('terminates when a message has no character n-grams (wordEnd === charEnd)', () => {
    for (const fv of [
      { ids: Int32Array.of(1, 4), vals: Float32Array.of(1, 1), n: 2, wordEnd: 1, charEnd: 1 },
      { ids: Int32Array.of(4), vals: Float32Array.of(1), n: 1, wordEnd: 0, charEnd: 0 },
      { ids: new Int32Array(0), vals: new Float32Array(0), n: 0, wordEnd: 0, charEnd: 0 },
    ]) {
      const p = packedModel(model);
      expect(wideLogits(p, 'intent', fv, lookupRows(p, fv))).not.toBeNull();
      expect(predictProba(wide, fv)).toHaveLength(C);
    }
  });
});
