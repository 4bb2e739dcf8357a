import { describe, expect, it } from 'vitest';
import { analyze } from './features.js';
import { argmax, predictProba } from './linear.js';
import { headToDense, trainHead, trainSoftmax } from './train.js';

const lex = new Map<string, number>();
const data: [string, number][] = [
  ['refund please my money', 1], ['I want a refund now', 1], ['where is my refund', 1], ['refund not received', 1],
  ['lovely weather today', 0], ['see you at the game', 0], ['what a lovely day', 0], ['the game was fun', 0],
];
const ex = data.map(([t, y]) => ({ fv: analyze(t, lex).fv, y }));

describe('trainSoftmax', () => {
  it('separates a separable toy set', () => {
    const h = trainHead('t', ['no', 'yes'], ex, { epochs: 20, lr: 0.1, l2: 0, seed: 1, minCount: 1 });
    for (const [t, y] of data) expect(argmax(predictProba(h, analyze(t, lex).fv))).toBe(y);
    expect(predictProba(h, analyze('refund', lex).fv)[1]).toBeGreaterThan(0.5);
  });

  it('is deterministic for a seed and depends on it', () => {
    const a = trainSoftmax(ex, 2, { epochs: 3, lr: 0.1, l2: 1e-4, seed: 7, minCount: 1 });
    const b = trainSoftmax(ex, 2, { epochs: 3, lr: 0.1, l2: 1e-4, seed: 7, minCount: 1 });
    const c = trainSoftmax(ex, 2, { epochs: 3, lr: 0.1, l2: 1e-4, seed: 8, minCount: 1 });
    expect(Array.from(a.W)).toEqual(Array.from(b.W));
    expect(Array.from(a.W)).not.toEqual(Array.from(c.W));
  });

  it('drops rare features with minCount', () => {
    const all = trainSoftmax(ex, 2, { epochs: 1, lr: 0.1, l2: 0, seed: 1, minCount: 1 });
    const common = trainSoftmax(ex, 2, { epochs: 1, lr: 0.1, l2: 0, seed: 1, minCount: 3 });
    expect(common.vocab.length).toBeLessThan(all.vocab.length);
  });

  it('warm start keeps a prior when there is no evidence against it', () => {
    const h = trainHead('t', ['no', 'yes'], ex, { epochs: 20, lr: 0.1, l2: 0, seed: 1, minCount: 1 });
    const init = headToDense(h);
    // adapt on two unrelated examples with a strong pull towards the prior
    const few = [['bus was late', 0], ['train was late', 0]].map(([t, y]) => ({ fv: analyze(t as string, lex).fv, y: y as number }));
    const adapted = trainHead('t', ['no', 'yes'], few, { epochs: 5, lr: 0.05, l2: 1e-2, seed: 1, minCount: 1, init });
    expect(predictProba(adapted, analyze('where is my refund', lex).fv)[1]).toBeGreaterThan(0.5);
  });

  it('top-K keeps at most K weights per feature for wide heads', () => {
    const wide = data.map(([t], i) => ({ fv: analyze(t, lex).fv, y: i % 6 }));
    const d = trainSoftmax(wide, 6, { epochs: 3, lr: 0.1, l2: 0, seed: 1, minCount: 1, topK: 2, fullRows: 0, refitEpochs: 1 });
    for (let v = 0; v < d.vocab.length; v++) {
      let nz = 0;
      for (let c = 0; c < 6; c++) if (d.W[v * 6 + c] !== 0) nz++;
      expect(nz).toBeLessThanOrEqual(2);
    }
  });
});
