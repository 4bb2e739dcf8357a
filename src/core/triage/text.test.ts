import { describe, expect, it } from 'vitest';
import { MAX_TRIAGE_CHARS, normalizeWord, sanitizeText, tokenize } from './text.js';

describe('sanitizeText', () => {
  it('removes NUL and other controls, keeps newlines', () => {
    const s = sanitizeText('a\u0000b\u0007c\nd');
    expect(s.text).toBe('abc\nd');
    expect(s.hadInvisible).toBe(true);
  });

  it('removes bidi overrides and zero-width characters', () => {
    const s = sanitizeText('free\u202Eesirp\u202C \u200Bprize');
    expect(s.text).toBe('freeesirp prize');
    expect(s.hadInvisible).toBe(true);
  });

  it('replaces lone surrogates but keeps valid pairs (emoji)', () => {
    const s = sanitizeText('x\uD800y \uDC00z 😀');
    expect(s.text).toBe('x\uFFFDy \uFFFDz 😀');
  });

  it('bounds very long input and never splits a surrogate pair', () => {
    const long = '😀'.repeat(60_000); // 120 K code units
    const s = sanitizeText(long);
    expect(s.truncated).toBe(true);
    expect(s.text.length).toBeLessThanOrEqual(MAX_TRIAGE_CHARS);
    expect(/[\uD800-\uDBFF]$/.test(s.text)).toBe(false);
  });

  it('accepts non-strings without throwing', () => {
    expect(sanitizeText(undefined).text).toBe('');
    expect(sanitizeText(null).text).toBe('');
    expect(sanitizeText(42).text).toBe('42');
  });

  it('decodes the common HTML entities networks deliver', () => {
    expect(sanitizeText('fish &amp; chips &lt;3').text).toBe('fish & chips <3');
  });
});

describe('tokenize', () => {
  it('normalizes handles, URLs, numbers, elongations and hashtags', () => {
    const t = tokenize('@AcmeHelp Soooo slow!!! Order 123456 see https://x.co/a #fail');
    expect(t.words).toEqual(['@user', 'soo', 'slow', '!!', 'order', '00000', 'see', 'httpurl', '#', 'fail']);
    expect(t.handles).toEqual(['acmehelp']);
    expect(t.urls).toBe(1);
    expect(t.mentions).toBe(1);
    expect(t.hashtags).toBe(1);
  });

  it('keeps short numbers apart from long ones', () => {
    expect(normalizeWord('12')).toBe('0');
    expect(normalizeWord('08712345678')).toBe('00000');
    expect(normalizeWord('Don’t')).toBe("don't");
  });

  it('counts shouting', () => {
    expect(tokenize('THIS IS UNACCEPTABLE REALLY').capsRatio).toBeGreaterThan(0.9);
    expect(tokenize('this is fine').capsRatio).toBe(0);
  });
});
