import { describe, expect, it } from 'vitest';
import { CUE_KINDS, decodeCues, encodeCues, matchCues } from './lexicons.js';
import { tokenize } from './text.js';

const words = (t: string) => tokenize(t).words;

describe('cue matches', () => {
  const texts = [
    'still waiting for a refund, this is ridiculous!! any update??',
    'thanks so much, you guys are amazing',
    'my order never arrived and the app keeps crashing',
    'hello ?? anyone there',
    '',
    'the weather looks mild today',
  ];

  it('match phrases by kind, the longest first, and share no list between kinds or calls', () => {
    const a = matchCues(words(texts[0]!));
    expect(a.chaser.length + a.complaint.length).toBeGreaterThan(0);
    const b = matchCues(words(texts[5]!));
    for (const k of CUE_KINDS) expect(b[k]).toEqual([]);
    // an empty kind's list is shared and frozen: a consumer cannot corrupt the next message's
    expect(() => (b.spam as string[]).push('x')).toThrow();
    expect(matchCues(words(texts[5]!)).spam).toEqual([]);
  });

  it('cross a thread boundary as one string and come back equal', () => {
    for (const t of texts) {
      const m = matchCues(words(t));
      const back = decodeCues(encodeCues(m));
      expect(back).toEqual(m);
      expect(Object.keys(back)).toEqual(Object.keys(m));
    }
    expect(encodeCues(matchCues([]))).toBe('');
  });
});
