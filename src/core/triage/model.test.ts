import { describe, expect, it } from 'vitest';
import { headFromDense, predictProba } from './linear.js';
import { decodeModel, encodeModel, type TriageModel } from './model.js';
import { DEFAULT_SETTINGS } from './triage.js';

function tinyModel(): TriageModel {
  const vocab = Int32Array.of(11, -7, 123456789);
  // 3 classes
  const W = Float32Array.of(1.5, -0.2, 0.01, -2, 0.3, 0.7, 0.004, 0.05, -0.9);
  const head = headFromDense('sentiment', ['negative', 'neutral', 'positive'], vocab, W, Float32Array.of(0.1, 0.2, -0.3), 0.001);
  const bin = headFromDense('spam', ['ham', 'spam'], vocab, Float32Array.of(0, 1, 0, -1, 0, 0.5), Float32Array.of(0, -1), 0.001);
  return { version: 'test@1', heads: { sentiment: head, spam: bin }, lexicon: new Map([['good', 1.9]]), intentMap: {}, settings: DEFAULT_SETTINGS, meta: { a: 1 } };
}

describe('model encoding', () => {
  it('round-trips heads, lexicon, settings and meta (weights within quantization error)', () => {
    const m = tinyModel();
    const d = decodeModel(encodeModel(m));
    expect(d.version).toBe('test@1');
    expect(d.lexicon.get('good')).toBe(1.9);
    expect(d.settings).toEqual(DEFAULT_SETTINGS);
    expect(d.meta).toEqual({ a: 1 });
    const fv = { ids: Int32Array.of(11, 123456789, 5), vals: Float32Array.of(1, 0.5, 1), n: 3, wordEnd: 3, charEnd: 3 };
    const p1 = predictProba(m.heads.sentiment!, fv);
    const p2 = predictProba(d.heads.sentiment!, fv);
    for (let i = 0; i < 3; i++) expect(Math.abs(p1[i]! - p2[i]!)).toBeLessThan(0.01);
    expect(d.heads.spam!.cols).toBe(1);
    expect(Math.abs(predictProba(m.heads.spam!, fv)[1]! - predictProba(d.heads.spam!, fv)[1]!)).toBeLessThan(0.01);
  });

  it('encodes deterministically', () => {
    expect(Buffer.from(encodeModel(tinyModel())).equals(Buffer.from(encodeModel(tinyModel())))).toBe(true);
  });

  it('rejects other files with a clear error', () => {
    expect(() => decodeModel(new Uint8Array([1, 2, 3]))).toThrow(/too short/);
    expect(() => decodeModel(new TextEncoder().encode('{"not":"a model"}'))).toThrow(/bad magic/);
    const bytes = encodeModel(tinyModel());
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
  });
});
