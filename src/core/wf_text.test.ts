import { describe, expect, it } from 'vitest';
import { twitterWeightedLength } from './textLength.js';
import { findMentions, findUrls, graphemeCount, graphemes, phraseMatcher, seededIndex, utf8Length, wellFormed, words } from './wf_text.js';

describe('graphemes', () => {
  it('matches Intl.Segmenter on long mixed text (windowed segmentation)', () => {
    const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
    const pieces = [
      'a', ' ', 'é', 'e\u0301', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', '\u{1F1EC}', '\u{1F1E7}', '\r', '\n', '한', '\u1100',
      '\u1161', '\u11A8', 'क्ष', '\u{1F44D}', '\u{1F3FD}', '\uD800', '\uDC00', '\u0000', '\u200D', '\uFE0F', '\u0600', '\u0E33',
    ];
    for (let s = 1; s <= 12; s++) {
      let seed = s;
      const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      let text = '';
      const n = 2_000 + Math.floor(rnd() * 6_000);
      while (text.length < n) text += pieces[Math.floor(rnd() * pieces.length)];
      const reference = [...segmenter.segment(text)].map((x) => x.segment);
      expect(graphemes(text)).toEqual(reference);
      expect(graphemeCount(text)).toBe(reference.length);
    }
  });

  it('takes fast paths without changing results', () => {
    expect(graphemeCount('plain ascii')).toBe(11);
    expect(graphemeCount('caf\u00E9 \u{1F642}')).toBe(6);
    expect(graphemes('a\u{1F642}b')).toEqual(['a', '\u{1F642}', 'b']);
  });
});

describe('findUrls', () => {
  it.each([
    ['see https://example.com/a?b=1.', ['https://example.com/a?b=1']],
    ['(https://en.wikipedia.org/wiki/Foo_(bar))', ['https://en.wikipedia.org/wiki/Foo_(bar)']],
    ['http://256.1.2.3/ and http://-bad.com/', []],
    ['mail me@example.com', []],
    ['ftp://example.com', []],
  ])('%j', (text, urls) => {
    expect(findUrls(text).map((u) => u.url)).toEqual(urls);
  });

  it('finds bare domains only when asked', () => {
    const text = 'visit example.com, www.shop.co.uk/sale or t.co — and hello.it, not hello.xx';
    expect(findUrls(text).map((u) => u.url)).toEqual([]);
    expect(findUrls(text, { bareDomains: true }).map((u) => u.url)).toEqual(['example.com', 'www.shop.co.uk/sale', 't.co', 'hello.it']);
  });

  it('finds the link inside a longer bare domain, as twitter-text does', () => {
    const spans = (text: string) => findUrls(text, { bareDomains: true }).map((u) => [u.url, u.start, u.end]);
    // an unknown last label: the domain up to the known TLD before it
    expect(spans('see foo.bar.xx now')).toEqual([['foo.bar', 4, 11]]);
    // an IDN TLD in the middle: the link is up to it, the rest is text unless a path follows
    expect(spans('visit x.みんな.com now')).toEqual([['x.みんな', 6, 11]]);
    expect(spans('visit x.みんな.com/help now')).toEqual([['x.みんな.com/help', 6, 20]]);
    // and stays linear on hostile input
    expect(findUrls('x.みんな.' + 'a.com.'.repeat(30_000), { bareDomains: true }).length).toBe(2);
    const dots = 'a.'.repeat(50_000) + 'xx';
    const t0 = performance.now();
    expect(findUrls(dots, { bareDomains: true })).toEqual([]);
    expect(findUrls('ab.'.repeat(30_000) + 'com.xx', { bareDomains: true }).length).toBe(1);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('findUrls: an ASCII domain after an IDN TLD inside one domain', () => {
  // twitter-text (js/src/extractUrlsWithIndices.js) matches the whole domain `x.みんな.foo.com`, then
  // every ASCII domain inside it (regexp/validAsciiDomain.js, a global regular expression without
  // look-behind): `x.みんな` and `foo.com`; a path after the whole domain belongs to the last one.
  // Expected values are twitter-text 3.1.0's extractUrlsWithIndices indices.
  const spans = (text: string) => findUrls(text, { bareDomains: true }).map((u) => [u.url, u.start, u.end]);
  it.each<[string, (string | number)[][]]>([
    ['x.みんな.foo.com', [['x.みんな', 0, 5], ['foo.com', 6, 13]]],
    ['visit x.みんな.foo.com now', [['x.みんな', 6, 11], ['foo.com', 12, 19]]],
    ['x.みんな.foo.com/path', [['x.みんな', 0, 5], ['foo.com/path', 6, 18]]],
    ['x.みんな.foo.bar.com', [['x.みんな', 0, 5], ['foo.bar.com', 6, 17]]],
    ['a.みんな.b.みんな.c.com', [['a.みんな', 0, 5], ['b.みんな', 6, 11], ['c.com', 12, 17]]],
    ['x.みんな.中国.foo.com', [['x.みんな', 0, 5], ['foo.com', 9, 16]]],
    ['x.みんな.foo.co.uk', [['x.みんな', 0, 5], ['foo.co.uk', 6, 15]]],
    ['x.みんな.foo.com.', [['x.みんな', 0, 5], ['foo.com', 6, 13]]],
    // unchanged: nothing ASCII after the IDN TLD, or no known TLD at the end
    ['x.みんな.com', [['x.みんな', 0, 5]]],
    ['x.みんな.com/path', [['x.みんな.com/path', 0, 14]]],
    ['x.みんな.foo.xx', [['x.みんな', 0, 5]]],
    // the domain's name (the label before its TLD) may not hold an underscore: the whole domain is x.みんな
    ['x.みんな.f_o.com', [['x.みんな', 0, 5]]],
    ['x.みんな.a_b.com/path', [['x.みんな', 0, 5]]],
  ])('%j', (text, expected) => {
    expect(spans(text)).toEqual(expected);
  });

  it('weighs each of them as a link on X', () => {
    // twitter-text 3.1.0 parseTweet: 23 + 1 + 23
    expect(twitterWeightedLength('x.みんな.foo.com')).toBe(47);
    expect(twitterWeightedLength('visit x.みんな.foo.com now')).toBe(57);
  });
});

describe('misc', () => {
  it('finds local and remote mentions', () => {
    expect(findMentions('hi @jane and @bob@mastodon.social, mail x@y.com').map((m) => [m.username, m.domain])).toEqual([
      ['jane', null],
      ['bob', 'mastodon.social'],
    ]);
  });

  it('matches whole phrases only', () => {
    const re = phraseMatcher(['legal action', 'sue'])!;
    expect('We may take legal   action'.match(re)).toEqual(['legal   action']);
    expect('pursue it'.match(re)).toBeNull();
    expect(phraseMatcher([' ', ''])).toBeNull();
  });

  it('splits words, CJK per character', () => {
    expect(words("It's a well-known café 日本語!")).toEqual(["It's", 'a', 'well-known', 'café', '日', '本', '語']);
  });

  it('is deterministic and well-formed', () => {
    expect(seededIndex('conv-1', 4)).toBe(seededIndex('conv-1', 4));
    expect(seededIndex('x', 0)).toBe(0);
    expect(wellFormed('a\uD800b\uDC00\u{1F600}')).toBe('a\uFFFDb\uFFFD\u{1F600}');
    expect(utf8Length('aé€\u{1F600}\uD800')).toBe(1 + 2 + 3 + 4 + 3);
  });
});
