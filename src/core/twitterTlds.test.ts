/**
 * X's link finding by top-level domain, checked against twitter-text (twitter/twitter-text):
 * a link must end in a TLD from its lists (conformance/tld_lib.yml, in `tlds.ts`) or a punycode
 * one. conformance/tlds.yml has one case per TLD, written with a protocol ("<tld> is a valid
 * generic tld" / "… country tld": `https://twitter.<tld>` → itself); the same lists decide a
 * domain written without one (regexp/validAsciiDomain.js), so each sampled TLD is checked both
 * ways. Bare-domain expectations were also compared with twitter-text 3.1.0's parseTweet.
 */
import { describe, expect, it } from 'vitest';
import { checkReply } from './replyChecks.js';
import { measure, twitterWeightedLength } from './textLength.js';
import { COUNTRY_TLDS, GENERIC_TLDS, isKnownTld } from './tlds.js';
import { findUrls } from './wf_text.js';

const links = (text: string) => findUrls(text.normalize('NFC'), { bareDomains: true, strictTlds: true }).map((u) => u.url);

// conformance/tlds.yml, tests.generic: a sample across the alphabet, long names first where one
// is a prefix of another, and the non-Latin ones.
const GENERIC_SAMPLE = [
  'aaa', 'academy', 'app', 'bbc', 'blog', 'book', 'cloud', 'com', 'community', 'company', 'dev', 'earth',
  'email', 'fashion', 'gallery', 'help', 'info', 'io' /* ccTLD, below */, 'law', 'live', 'london', 'museum',
  'news', 'ninja', 'online', 'photography', 'pizza', 'shop', 'store', 'studio', 'tokyo', 'travel',
  'travelersinsurance', 'vermögensberatung', 'xyz', 'zuerich',
].filter((t) => t !== 'io');
const GENERIC_OTHER_SAMPLE = ['みんな', 'онлайн', 'сайт', '中文网', '在线', 'コム', 'संगठन', 'موقع', 'קום', '닷컴'];
// conformance/tlds.yml, tests.country
const COUNTRY_SAMPLE = ['ac', 'de', 'fr', 'io', 'jp', 'ly', 'me', 'ru', 'uk', 'us', 'zw', 'co', 'tv'];
const COUNTRY_OTHER_SAMPLE = ['рф', '中国', '香港', '한국', 'ไทย', 'भारत', 'مصر', 'ελ'];

describe('the TLD lists', () => {
  it('hold twitter-text\'s generic and country TLDs, Latin and other scripts', () => {
    for (const t of [...GENERIC_SAMPLE, ...GENERIC_OTHER_SAMPLE]) expect(GENERIC_TLDS.has(t), t).toBe(true);
    for (const t of [...COUNTRY_SAMPLE, ...COUNTRY_OTHER_SAMPLE]) expect(COUNTRY_TLDS.has(t), t).toBe(true);
    expect(GENERIC_TLDS.size).toBeGreaterThan(1200);
    expect(COUNTRY_TLDS.size).toBeGreaterThan(300);
    expect(isKnownTld('COM')).toBe(true);
    for (const t of ['xx', 'baz', 'comm', 'example', 'test', 'local']) expect(isKnownTld(t), t).toBe(false);
  });
});

describe('X length: every twitter-text TLD is a link', () => {
  it.each([...GENERIC_SAMPLE, ...GENERIC_OTHER_SAMPLE, ...COUNTRY_SAMPLE, ...COUNTRY_OTHER_SAMPLE])(
    'conformance/tlds.yml: "%s is a valid … tld", https://twitter.<tld> → one link',
    (tld) => {
      const text = `https://twitter.${tld}`;
      expect(links(text)).toEqual([text]);
      expect(twitterWeightedLength(text)).toBe(23);
    },
  );

  it.each([...GENERIC_SAMPLE, ...GENERIC_OTHER_SAMPLE])('a bare domain ending in the generic TLD %s is a link', (tld) => {
    expect(links(`twitter.${tld}`)).toEqual([`twitter.${tld}`]);
    expect(twitterWeightedLength(`see twitter.${tld} today`)).toBe(4 + 23 + 6);
    expect(twitterWeightedLength(`twitter.${tld.toUpperCase()}`)).toBe(23);
  });

  it.each([...COUNTRY_SAMPLE, ...COUNTRY_OTHER_SAMPLE])('a bare domain ending in the country TLD %s is a link with a path or a third label', (tld) => {
    expect(links(`twitter.${tld}/help`)).toEqual([`twitter.${tld}/help`]);
    expect(links(`www.twitter.${tld}`)).toEqual([`www.twitter.${tld}`]);
    expect(twitterWeightedLength(`see www.twitter.${tld}.`)).toBe(4 + 23 + 1);
  });

  it('counts the bare domains of the report as links: parley.app, shop.store, acme.travel, news.bbc', () => {
    expect(twitterWeightedLength('parley.app')).toBe(23);
    expect(twitterWeightedLength('Order at shop.store or acme.travel, news at news.bbc!')).toBe(9 + 23 + 4 + 23 + 10 + 23 + 1);
    expect(measure('x', `${'a'.repeat(257)} news.bbc`).length).toBe(257 + 1 + 23);
    expect(measure('x', `${'a'.repeat(257)} news.bbc`).over).toBe(true);
  });

  it('takes the longest TLD: example.community is not cut at .com', () => {
    expect(links('example.community')).toEqual(['example.community']);
    expect(links('go to example.company/jobs')).toEqual(['example.company/jobs']);
    expect(twitterWeightedLength('example.community')).toBe(23);
  });

  it('finds a Unicode TLD after ASCII labels, and ends it where other text runs on', () => {
    // conformance/tests/extract.yml urls, "Extract domain followed by Japanese characters":
    // "example.comてすとですtwitter.みんなです" → ["example.com", "twitter.みんな"]
    expect(links('example.comてすとですtwitter.みんなです')).toEqual(['example.com', 'twitter.みんな']);
    expect(twitterWeightedLength('example.comてすとですtwitter.みんなです')).toBe(23 + 2 * 5 + 23 + 2 * 2);
    expect(links('shop.онлайн/каталог')).toEqual(['shop.онлайн/каталог']);
    expect(twitterWeightedLength('Foo.Онлайн')).toBe(23);
    // a domain in another script is still text without a protocol (no ASCII labels)
    expect(links('магазин.онлайн')).toEqual([]);
  });
});

describe('X length: a known TLD inside a longer domain', () => {
  // twitter-text (js/src/regexp/extractUrl.js, validDomain.js, validGTLD.js): a TLD ends where
  // `(?=[^0-9a-zA-Z@]|$)` holds, so a dot may follow it, and the regular expression backtracks
  // from the longest domain to one that ends in a known TLD. No conformance case covers these;
  // the expectations follow the extractor (extractUrlsWithIndices.js).
  it('takes the longest domain ending in a known TLD when the last label is none: foo.bar.xx → foo.bar', () => {
    expect(links('foo.bar.xx')).toEqual(['foo.bar']);
    expect(twitterWeightedLength('foo.bar.xx')).toBe(23 + 3);
    expect(links('see www.foo.bar.xx now')).toEqual(['www.foo.bar']);
    // the path must follow the domain itself: after `.xx` it is text
    expect(links('foo.bar.xx/path')).toEqual(['foo.bar']);
    expect(twitterWeightedLength('foo.bar.xx/path')).toBe(23 + 8);
    expect(links('example.com.xx')).toEqual(['example.com']);
    // no label before a known TLD: still text
    expect(links('a.b.xx hello.xx')).toEqual([]);
  });

  it('finds the link inside a domain with an IDN label in the middle: x.みんな.com → x.みんな, with a path the whole', () => {
    // validAsciiDomain.js inside the domain x.みんな.com finds x.みんな (みんな is a gTLD); without a
    // path the link is that (lastUrl), with one it runs to the path's end
    expect(links('x.みんな.com')).toEqual(['x.みんな']);
    expect(twitterWeightedLength('x.みんな.com')).toBe(23 + 4);
    expect(twitterWeightedLength('visit x.みんな.com now')).toBe(6 + 23 + 4 + 4);
    expect(links('x.みんな.com/path')).toEqual(['x.みんな.com/path']);
    expect(twitterWeightedLength('x.みんな.com/path ok')).toBe(23 + 3);
    // with a protocol the whole Unicode domain is the link (conformance "Extract URLs with IDN(not encoded)")
    expect(links('https://x.みんな.com')).toEqual(['https://x.みんな.com']);
  });

  it.each<[string, string, string[]]>([
    ['DO NOT extract .bz2 file name as URL', 'long.test.tar.bz2 test.tar.bz2 tar.bz2', []],
    ['DO NOT extract URL with gTLD followed by @ sign', 'john.doe.gov@mail.com', []],
    ['DO NOT extract URL with ccTLD followed by @ sign', 'john.doe.jp@mail.com', []],
    ['Extract valid URL http://www.andersondaradio.no.comunidades.net/', 'http://www.andersondaradio.no.comunidades.net/ test test', ['http://www.andersondaradio.no.comunidades.net/']],
    ['Extract valid URL http://www.cp.sc.edu/events/65', 'test http://www.cp.sc.edu/events/65 test', ['http://www.cp.sc.edu/events/65']],
    ['Extract URL with minimum number of valid characters', 'test http://a.b.cd', ['http://a.b.cd']],
    ['Extract domain followed by Japanese characters', 'example.comてすとですtwitter.みんなです', ['example.com', 'twitter.みんな']],
  ])('conformance/tests/extract.yml urls: "%s"', (_name, text, expected) => {
    expect(links(text)).toEqual(expected);
  });
});

describe('X length: anything else is text', () => {
  it('does not count an unknown TLD as a link', () => {
    expect(links('hello.xx')).toEqual([]);
    expect(twitterWeightedLength('hello.xx')).toBe(8);
    // twitter-text 3.1.0: three labels do not make an unknown TLD a link
    expect(twitterWeightedLength('a.b.xx')).toBe(6);
    expect(twitterWeightedLength('hello.xx/path')).toBe(13);
  });

  it('conformance/extract.yml: "Extract URLs without protocol not on (com|org|edu|gov|net) domains"', () => {
    // "foo.baz foo.co.jp www.xxxxxxx.baz www.foo.co.uk wwwww.xxxxxxx foo.comm foo.somecom foo.govedu foo.jp"
    // → ["foo.co.jp", "www.foo.co.uk", "foo.jp"] in twitter-text 3 (a bare name.ccTLD is a link, see twitterIdnLinks.test.ts)
    expect(links('foo.baz foo.co.jp www.xxxxxxx.baz www.foo.co.uk wwwww.xxxxxxx foo.comm foo.somecom foo.govedu foo.jp')).toEqual([
      'foo.co.jp',
      'www.foo.co.uk',
      'foo.jp',
    ]);
  });

  it('does not let a known TLD run on into letters or digits', () => {
    expect(links('example.comm example.com1 example.comé')).toEqual([]);
    expect(links('example.comm')).toEqual([]);
  });

  it('counts a URL with a protocol but an unknown TLD as text, as X does', () => {
    expect(links('https://hello.xx/path http://foo.baz https://intranet.corp/wiki')).toEqual([]);
    expect(twitterWeightedLength('https://hello.xx/path')).toBe(21);
    // punycode TLDs are links (conformance/extract.yml "Extract I18N URL" and validPunycode)
    expect(links('https://xn--e1afmkfd.xn--p1ai/x')).toEqual(['https://xn--e1afmkfd.xn--p1ai/x']);
  });

  it('ends a bare link before a query or fragment without a path (twitter-text 3.1.0)', () => {
    expect(links('shop.store?x=1')).toEqual(['shop.store']);
    expect(twitterWeightedLength('shop.store?x=1')).toBe(23 + 4);
    expect(links('shop.store/?x=1')).toEqual(['shop.store/?x=1']);
  });
});

describe('reply checks with the full TLD list', () => {
  const input = (text: string) => ({ text, network: 'x' as const, visibility: 'public' as const, customer: { name: 'Jane', handle: 'jane_doe' } });

  it('treats a reply that is only a bare link on a newer TLD as a link-only reply', () => {
    const codes = (text: string) => checkReply(input(text)).results.map((r) => r.code);
    expect(codes('Hi Jane, see news.bbc')).toContain('reply.link_only');
    expect(codes('Hi Jane, see acme.travel/help')).toContain('reply.link_only');
    // an unknown TLD is text: the words count as an answer
    expect(codes('Hi Jane, see hello.xx')).not.toContain('reply.link_only');
  });

  it('still sees a link with a scheme on any TLD, which X counts as text but a customer sees as a link', () => {
    const codes = (text: string) => checkReply(input(text)).results.map((r) => r.code);
    expect(codes('Hi Jane, see https://help.acme.internal/reset')).toContain('reply.link_only');
    expect(codes('Hi Jane, see https://acme.test/help/password')).toContain('reply.link_only');
    expect(twitterWeightedLength('https://acme.test/help/password')).toBe(31); // not wrapped by X
  });
});
