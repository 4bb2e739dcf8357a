import { describe, expect, it } from 'vitest';
import { excludedBy, keepsListeningHit, prepareExclusions } from './listeningExclusion.js';

const ex = (...terms: string[]) => prepareExclusions(terms);

describe('listening exclusions', () => {
  it('matches a word as a whole word, without case', () => {
    const e = ex('pie');
    expect(excludedBy('Apple PIE recipe', e)).toBe('pie');
    expect(excludedBy('my apple pie!', e)).toBe('pie');
    // part of another word is not the word
    expect(excludedBy('apple piety', e)).toBeNull();
    expect(excludedBy('my new Apple phone', e)).toBeNull();
  });

  it('matches a phrase as its words in a row, punctuation and spacing between them ignored', () => {
    const e = ex('apple juice');
    expect(excludedBy('Fresh apple juice today', e)).toBe('apple juice');
    expect(excludedBy('apple, juice and more', e)).toBe('apple juice');
    expect(excludedBy('APPLE\n\tJUICE', e)).toBe('apple juice');
    expect(excludedBy('juice from apple', e)).toBeNull();
    expect(excludedBy('apple iphone juice pack', e)).toBeNull();
  });

  it('a plain word matches its #hashtag too; a #hashtag matches only the hashtag', () => {
    expect(excludedBy('baking day #Pie', ex('pie'))).toBe('pie');
    expect(excludedBy('baking day #Pie', ex('#pie'))).toBe('#pie');
    expect(excludedBy('a pie for dinner', ex('#pie'))).toBeNull();
    expect(excludedBy('buying $ORNG now', ex('$orng'))).toBe('$orng');
  });

  it('folds Unicode the way contact search does: full-width, decomposed accents, ß and the Turkish i; keeps diacritics apart', () => {
    expect(excludedBy('ＡＰＰＬＥ ＪＵＩＣＥ', ex('apple juice'))).toBe('apple juice');
    expect(excludedBy('une pa\u0302te feuilletée', ex('p\u00e2te'))).toBe('p\u00e2te');
    expect(excludedBy('ORANGENSAFT STRASSE', ex('Straße'))).toBe('Straße');
    expect(excludedBy('İSTANBUL pie', ex('istanbul'))).toBe('istanbul');
    // an accent is a different word, as the networks' keyword search has it
    expect(excludedBy('une pate', ex('pâte'))).toBeNull();
    // a zero-width or odd character inside does not crash the match
    expect(excludedBy('\u0000\ud800 pie \u200b', ex('pie'))).toBe('pie');
  });

  it('matches a term in a script without spaces anywhere in the text', () => {
    expect(excludedBy('今日はオレンジジュースを飲んだ', ex('オレンジジュース'))).toBe('オレンジジュース');
    expect(excludedBy('今日はオレンジを食べた', ex('オレンジジュース'))).toBeNull();
  });

  it('leaves out a term with nothing to match; no exclusions excludes nothing', () => {
    expect(prepareExclusions(['', '  ', '!!', 'pie'])).toHaveLength(1);
    expect(excludedBy('pie', [])).toBeNull();
    expect(excludedBy('', ex('pie'))).toBeNull();
  });

  it('never drops a post that tags the brand, whatever it holds', () => {
    const e = ex('pie', 'apple juice');
    expect(keepsListeningHit('@apple my apple juice leaked, help', true, e)).toBe(true);
    expect(keepsListeningHit('my apple juice leaked', false, e)).toBe(false);
    expect(keepsListeningHit('my apple watch broke', false, e)).toBe(true);
  });
});
