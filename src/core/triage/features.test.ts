import { describe, expect, it } from 'vitest';
import { analyze, DENSE_IDS, wordFeatureId } from './features.js';

const lex = new Map<string, number>([['great', 3.1], ['terrible', -2.5]]);

describe('analyze', () => {
  it('is deterministic', () => {
    const a = analyze('@AcmeHelp my order is terrible', lex);
    const b = analyze('@AcmeHelp my order is terrible', lex);
    expect(Array.from(a.fv.ids)).toEqual(Array.from(b.fv.ids));
    expect(Array.from(a.fv.vals)).toEqual(Array.from(b.fv.vals));
  });

  it('lays out word n-grams, then char n-grams, then dense features', () => {
    const a = analyze('great service', lex);
    const { fv } = a;
    expect(fv.wordEnd).toBe(5); // 2 unigrams + 2 bigrams + end-of-sentence bigram
    expect(fv.charEnd).toBeGreaterThan(fv.wordEnd);
    expect(fv.ids[0]).toBe(wordFeatureId('great'));
    expect(fv.ids[2]).toBe(wordFeatureId('service'));
    const dense = Array.from(fv.ids.subarray(fv.charEnd, fv.n));
    expect(dense).toContain(DENSE_IDS.val_pos);
    expect(dense).not.toContain(DENSE_IDS.val_neg);
  });

  it('flips valence after a negation', () => {
    const a = analyze('not great', lex);
    expect(a.valence.pos).toBe(0);
    expect(a.valence.neg).toBeGreaterThan(0);
  });

  it('finds cues by kind', () => {
    const a = analyze('@AcmeHelp still waiting, I was charged twice. Worst service!', lex);
    expect(a.cues.chaser).toContain('still waiting');
    expect(a.cues.problem).toContain('charged twice');
    expect(a.cues.complaint).toContain('worst');
  });

  it('handles empty and hostile text', () => {
    const empty = analyze('', lex).fv;
    expect(empty.charEnd).toBe(0); // no n-grams, only dense features (e.g. `short`)
    expect(empty.n).toBeLessThanOrEqual(2);
    const big = analyze('spam '.repeat(20_000), lex);
    expect(big.fv.n).toBeLessThanOrEqual(8192);
    expect(big.clean.truncated).toBe(true);
  });
});
