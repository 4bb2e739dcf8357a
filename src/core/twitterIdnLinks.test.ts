/**
 * X's weighted length for domains outside plain ASCII, checked against twitter-text
 * (twitter/twitter-text): its conformance files and, where they have no case, its extractor.
 *
 * What twitter-text does (js/src/extractUrlsWithIndices.js): a URL with http(s):// may have any
 * valid domain, Unicode included. A URL without a protocol counts only for the "ASCII" domain
 * found inside it (regexp/validAsciiDomain.js: labels of a-z, 0-9, "-" and latinAccentChars —
 * Latin accented letters such as ü, é, Í, ß — ending in a gTLD, a ccTLD or a punycode TLD,
 * regexp/validPunycode.js `xn--…`); with none, the whole candidate is text. A bare
 * `name.<ccTLD>` with no path is not a URL (regexp/invalidShortDomain.js) unless the ccTLD is a
 * special one (co, tv). Every URL weighs 23; other characters weigh 1 up to U+10FF and 2 above.
 */
import { describe, expect, it } from 'vitest';
import { measure, twitterWeightedLength } from './textLength.js';
import { findUrls } from './wf_text.js';

const bare = (text: string) => findUrls(text.normalize('NFC'), { bareDomains: true }).map((u) => u.url);

describe('X length: Latin accented domains without protocol', () => {
  it.each<[string, number]>([
    // conformance/extract.yml urls, "Extract valid URL ELPAÍS.com": "test ELPAÍS.com" → ["ELPAÍS.com"]
    ['test ELPAÍS.com', 5 + 23],
    // same rule (latinAccentChars in validAsciiDomain) with a gTLD
    ['bücher.com', 23],
    ['Straße.com', 23],
    // conformance/extract.yml urls, "Extract URLs without protocol on ccTLD with slash": "t.co/abcde bit.ly/abcde"
    ['bücher.de/katalog', 23],
    ['café.fr/menu', 23],
    // conformance/extract.yml urls, "Extract URLs without protocol not on (com|org|edu|gov|net) domains":
    // "www.foo.co.uk" is a URL (more than name.ccTLD)
    ['www.bücher.de', 23],
  ])('%j is a link', (text, length) => {
    expect(twitterWeightedLength(text)).toBe(length);
    expect(measure('x', text).length).toBe(length);
  });

  it('counts a bare name.ccTLD without a path as a link, accented or not, as twitter-text 3 does', () => {
    // conformance/tests/extract.yml urls, "Extract short URLs without protocol on ccTLD domains without path":
    // "twitter.jp日本語it.so中国語foo.jp it.so foo.jp" → all five (the older conformance/extract.yml said none)
    expect(twitterWeightedLength('twitter.jp日本語it.so中国語foo.jp it.so foo.jp')).toBe(23 + 6 + 23 + 6 + 23 + 1 + 23 + 1 + 23);
    expect(twitterWeightedLength('bücher.de')).toBe(23);
    expect(bare('bücher.de')).toEqual(['bücher.de']);
    // conformance/extract.yml urls, "Extract some (tv|co) short URLs without protocol on ccTLD domains without path"
    expect(twitterWeightedLength('MLB.tv vine.co')).toBe(23 + 1 + 23);
  });
});

describe('X length: domains in other scripts', () => {
  it('counts a Cyrillic domain without protocol as text (no ASCII domain inside it)', () => {
    // js/src/extractUrlsWithIndices.js: "no ASCII-only domain found. Skip the entire URL."
    expect(twitterWeightedLength('пример.рф')).toBe(9);
    expect(twitterWeightedLength('пример.рф/путь')).toBe(14);
    expect(twitterWeightedLength('пример.com')).toBe(10);
    expect(bare('see пример.рф/путь or пример.com')).toEqual([]);
  });

  it('counts a Unicode domain as a link with http(s)://', () => {
    // conformance/extract.yml urls_with_indices, "Extract URLs with IDN(not encoded)":
    // "test http://foobar.みんな/ http://foobar.中国/ http://foobar.پاکستان/ " → three URLs
    expect(twitterWeightedLength('test http://foobar.みんな/ http://foobar.中国/ http://foobar.پاکستان/ ')).toBe(5 + 23 + 1 + 23 + 1 + 23 + 1);
    // conformance/validate.yml urls, "Valid unicode url: unicode domain": "http://☃.net/"
    expect(twitterWeightedLength('http://☃.net/')).toBe(23);
    expect(twitterWeightedLength('https://пример.рф')).toBe(23);
    expect(twitterWeightedLength('https://пример.рф/путь и всё')).toBe(23 + 6);
  });
});

describe('X length: punycode', () => {
  it('counts a punycode domain as a link, with a protocol or without', () => {
    // conformance/extract.yml urls_with_indices, "Extract I18N URL": "test http://xn--ls8h.XN--ls8h.la/"
    expect(twitterWeightedLength('test http://xn--ls8h.XN--ls8h.la/')).toBe(5 + 23);
    // regexp/validAsciiDomain.js ends in gTLD | ccTLD | validPunycode, and a punycode TLD is no
    // ccTLD, so invalidShortDomain does not apply: пример.рф spelled in punycode is a link
    expect(twitterWeightedLength('xn--e1afmkfd.xn--p1ai')).toBe(23);
    expect(twitterWeightedLength('Visit xn--e1afmkfd.xn--p1ai/help today')).toBe(6 + 23 + 6);
    expect(bare('xn--e1afmkfd.xn--p1ai')).toEqual(['xn--e1afmkfd.xn--p1ai']);
  });
});

describe('X length: bare domains written straight against CJK text', () => {
  it.each<[string, string, number]>([
    [
      // conformance/extract.yml urls, "Extract long URL without protocol surrounded by CJK characters"
      'Extract long URL without protocol surrounded by CJK characters',
      'これは日本語です。example.com/path/index.html中国語example.com/path한국',
      2 * 9 + 23 + 2 * 3 + 23 + 2 * 2,
    ],
    [
      // conformance/extract.yml urls, "Extract short URL without protocol surrounded by CJK characters"
      'Extract short URL without protocol surrounded by CJK characters',
      'twitter.comこれは日本語です。example.com中国語t.co/abcde한국twitter.com example2.comテストtwitter.com/abcde',
      6 * 23 + 2 * 9 + 2 * 3 + 2 * 2 + 1 + 2 * 3,
    ],
    [
      // conformance/extract.yml urls, "Extract URLs with and without protocol surrounded by CJK characters"
      'Extract URLs with and without protocol surrounded by CJK characters',
      'http://twitter.com/これは日本語です。example.com中国語http://t.co/abcde한국twitter.comテストexample2.comテストhttp://twitter.com/abcde',
      6 * 23 + 2 * 9 + 2 * 3 + 2 * 2 + 2 * 3 + 2 * 3,
    ],
  ])('%s', (_name, text, length) => {
    expect(twitterWeightedLength(text)).toBe(length);
  });
});
