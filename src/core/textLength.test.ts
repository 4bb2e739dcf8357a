import { describe, expect, it } from 'vitest';
import {
  LENGTH_RULES,
  lengthRule,
  mastodonLength,
  measure,
  splitIntoThread,
  TextLengthError,
  twitterWeightedLength,
  type LengthRule,
  type WeightWork,
} from './textLength.js';

const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}';
const hiragana10 = 'あいうえおかきくけこ';

describe('twitterWeightedLength (twitter-text v3 conformance cases)', () => {
  it.each([
    ['This is a test.', 15],
    ['Hi http://test.co', 26],
    ['http://test.co', 23],
    ['test.com', 23],
    ['Test https://test.com test https://test.com test.com test', 86],
    ['https://www.twitter.com/aloha '.repeat(10), 240],
    ['285 chars-' + 'xxxxxxxxxx-'.repeat(25), 285],
    [`H\u{1F431}\u263A${family}`, 7],
    ['\u{1F637}\u{1F47E}\u{1F621}\u{1F525}\u{1F4A9}', 10],
    ['\u{1F64B}\u{1F3FD}\u{1F468}\u200D\u{1F3A4}', 4],
    ['1\u20E3', 2],
    ['Unicode 10.0 emoji: \u{1F92A}; \u{1F9D5}; \u{1F9D5}\u{1F3FE}; \u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', 34],
    ['Unicode 9.0 emoji: \u{1F920}; \u{1F483}; \u{1F483}\u{1F3FE}', 29],
    [family.repeat(140), 280],
    ['A\u0301B', 2],
    ['A\uFB2C', 4],
    ['randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com', 68],
    [`${hiragana10.repeat(12)} http://${hiragana10.repeat(5)}あい.com`, 264],
    [`${hiragana10.repeat(12)} http://${hiragana10.repeat(5)}あいう.com`, 358],
    ['\u{10000}\u{10FFFF}', 4],
    ['저찀쯿쿿', 8],
  ])('%j → %d', (text, expected) => {
    expect(twitterWeightedLength(text)).toBe(expected);
  });

  it('weighs code points by the v3 ranges', () => {
    expect(twitterWeightedLength('\u2014')).toBe(1); // em dash: 8212 is in 8208–8223
    expect(twitterWeightedLength('\u2026')).toBe(2); // ellipsis: 8230 is outside every range
    expect(twitterWeightedLength('\u00A9')).toBe(1); // © alone is text
    expect(twitterWeightedLength('\u00A9\uFE0F')).toBe(2); // ©️ is an emoji
    expect(twitterWeightedLength('\u{1F1EC}\u{1F1E7}')).toBe(2); // flag
    expect(twitterWeightedLength('日本語')).toBe(6);
  });

  it('does not treat e-mail addresses or version numbers as links; a bare ccTLD name is one, as on X', () => {
    expect(twitterWeightedLength('mail help@example.com')).toBe(21);
    expect(twitterWeightedLength('v1.2.3')).toBe(6);
    expect(twitterWeightedLength('hello.it')).toBe(23);
    expect(twitterWeightedLength('foo.co.jp')).toBe(23);
    expect(twitterWeightedLength('(see https://example.com/a_(b)).')).toBe(5 + 23 + 2);
  });
});

describe('twitterWeightedLength: links and emoji as twitter-text finds them (see textLength.oracle.test.ts)', () => {
  it.each([
    // a colon may stand before a domain without protocol
    ['note:x.co', 5 + 23],
    // a non-ASCII letter at the very start is taken as the character before the link
    ['ñx.co', 1 + 23],
    ['x ñx.co', 2 + 23],
    // a port without a path is not part of a domain without protocol
    ['1.do:36', 23 + 3],
    ['1.do:36/a', 23],
    // a TLD may be followed by `_` or a Latin accented letter
    ['n.do_', 23 + 1],
    ['h.aiđ', 23 + 1],
    // an ASCII domain inside a domain in another script, or after an underscore label
    ['語.q.la', 2 + 1 + 23],
    ['c_u.p.ax', 2 + 23],
    // `/` or `-` right before the whole domain makes it no link, even after an emoji or ¿
    ['/¿s.ai', 6],
    ['/👍x.om', 7],
    // a TLD followed by `+` (or `@`, `-`, an ASCII letter or digit) is none
    ['x.com+', 6],
  ])('%j → %d', (text, expected) => {
    expect(twitterWeightedLength(text)).toBe(expected);
  });

  it.each([
    ['⭐️', 2], // an emoji-style variation sequence is one emoji
    ['✊️', 4], // ✊ has none: the VS16 weighs 2 on its own
    ['🧑️', 4],
    ['🧑\u200D🤝', 5], // no RGI sequence: 2 + ZWJ 1 + 2
    ['👧\u200D👦', 5],
    ['👨\u200D👩\u200D👧\u200D👦', 2],
    ['1⃣', 2],
    ['©', 1],
    ['©️', 2],
  ])('emoji %j → %d', (text, expected) => {
    expect(twitterWeightedLength(text)).toBe(expected);
  });
});

describe('twitterWeightedLength: work grows linearly on hostile text', () => {
  // Speed is measured in benchmarks; here the work done (characters read, expressions run) is
  // counted, so a change that makes a shape quadratic again (each dot re-scanning the labels after
  // it, as a backtracking domain expression does) fails wherever it runs.
  const work = (text: string) => {
    const w: WeightWork = { steps: 0, links: { units: 0, regexRuns: 0 }, emojiRuns: 0, emojiSteps: 0 };
    twitterWeightedLength(text, w);
    return w.steps + w.links.units + w.links.regexRuns + w.emojiRuns + w.emojiSteps;
  };
  const pathChars = "!*';:=+,.$/%#[]-_~@|&a(";
  it.each<[string, (n: number) => string]>([
    ['a.a.a…', (n) => 'a.'.repeat(n / 2)],
    ['x.co words', (n) => 'x.co '.repeat(n / 5)],
    ['ab.cd/…', (n) => 'ab.cd/'.repeat(n / 6)],
    ['.....', (n) => '.'.repeat(n)],
    ['a-a-…b.b.…com', (n) => `${'a-'.repeat(n / 4)}${'b.'.repeat(n / 4)}com`],
    ['scripts and dots', (n) => 'a.ж.語.ب.'.repeat(n / 8)],
    ['xn--xn--…', (n) => 'xn--'.repeat(n / 4)],
    ['punycode labels', (n) => `xn--${'a'.repeat(60)}.`.repeat(n / 65)],
    ['@@@ and ###', (n) => '@#'.repeat(n / 2)],
    ['@a.@a.…', (n) => '@a.'.repeat(n / 3)],
    ['x.com_x.com_…', (n) => 'x.com_'.repeat(n / 6)],
    ['labels then an invalid last label', (n) => `${'a.'.repeat(n / 2 - 4)}b_.com`],
    ['long domains with an IDN label', (n) => `${'a.'.repeat(2000)}語.com `.repeat(Math.ceil(n / 4007))],
    ['https:// then labels', (n) => `https://${'a.'.repeat(n / 2)}`],
    ['https://https://…', (n) => 'https://'.repeat(n / 8)],
    ['a path of path characters', (n) => `x.co/${Array.from({ length: n }, (_, i) => pathChars[(i * 7919) % pathChars.length]).join('')}`],
    ['one combining mark', (n) => '\u0301'.repeat(n)],
    ['alternating scripts', (n) => 'aж語ب'.repeat(n / 4)],
    ['emoji with skin tone', (n) => '👍🏽'.repeat(n / 4)],
    ['ZWJ chain', (n) => '👨\u200d'.repeat(n / 3)],
    ['regional indicators', (n) => '🇺'.repeat(n / 2)],
    ['keycaps', (n) => '1\u20e3'.repeat(n / 2)],
  ])('%s', (_name, make) => {
    const small = work(make(20_000));
    const text = make(100_000);
    const large = work(text);
    expect(small).toBeGreaterThan(0);
    expect(large).toBeLessThanOrEqual(5.5 * small);
    // and a few steps a character: work quadratic within a capped window is linear past it
    expect(large).toBeLessThanOrEqual(8 * text.length);
  });
});

describe('measure', () => {
  it.each([
    ['x', 'a'.repeat(280), 280, false],
    ['x', '日'.repeat(141), 282, true],
    ['bluesky', 'a'.repeat(300), 300, false],
    ['bluesky', 'a'.repeat(301), 301, true],
    ['mastodon', 'a'.repeat(500), 500, false],
    ['facebook', '\u{1F600}'.repeat(10), 10, false],
    ['instagram', 'a'.repeat(2201), 2201, true],
  ] as const)('%s: %d', (network, text, length, over) => {
    const m = measure(network, text);
    expect(m.length).toBe(length);
    expect(m.over).toBe(over);
    expect(m.remaining).toBe(LENGTH_RULES[network].limit - length);
  });

  it('applies the Bluesky byte cap as well as the grapheme limit', () => {
    const m = measure('bluesky', family.repeat(300));
    expect(m).toMatchObject({ length: 300, over: true, bytes: 7500, maxBytes: 3000 });
  });

  it('counts Mastodon links as 23 and remote mentions by their local part', () => {
    const text = 'Hi @alice@mastodon.social see https://example.com/a/very/long/path/that/goes/on/and/on';
    expect(mastodonLength(text)).toBe(3 + 6 + 5 + 23);
    expect(measure('mastodon', text).length).toBe(37);
    // Without a protocol Mastodon does not link, so it counts as typed.
    expect(mastodonLength('example.com')).toBe(11);
  });

  it('accepts a custom rule and rejects unknown networks', () => {
    const rule: LengthRule = { counter: 'graphemes', limit: 1000 };
    expect(measure(rule, 'abc')).toMatchObject({ length: 3, limit: 1000 });
    expect(() => lengthRule('myspace' as never)).toThrow(TextLengthError);
  });

  it('never throws on hostile text', () => {
    const hostile = `\u0000\uD800x\uDC00${'\u0301'.repeat(50)}${'a'.repeat(100_000)}`;
    for (const network of Object.keys(LENGTH_RULES) as Array<keyof typeof LENGTH_RULES>) {
      const m = measure(network, hostile);
      expect(m.over).toBe(true);
    }
    expect(measure('x', '').length).toBe(0);
  });
});

const words = (s: string) => s.split(/\s+/).filter(Boolean);
const stripNumbering = (p: string) => p.replace(/ \d+\/\d+$/, '');

describe('splitIntoThread', () => {
  const sentences = Array.from({ length: 14 }, (_, i) => `This is sentence number ${i + 1}, which explains one more detail of the refund process.`).join(' ');

  it('returns the text unchanged when it fits, and nothing for blank text', () => {
    expect(splitIntoThread('x', '  Thanks, Jane! ')).toEqual(['Thanks, Jane!']);
    expect(splitIntoThread('x', '   ')).toEqual([]);
  });

  it.each(['x', 'bluesky', 'mastodon'] as const)('splits for %s within the limit, losing no word', (network) => {
    const long = sentences.repeat(network === 'mastodon' ? 2 : 1);
    const parts = splitIntoThread(network, long);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(measure(network, p).over).toBe(false);
    expect(words(parts.join(' '))).toEqual(words(long));
  });

  it('prefers sentence ends when they keep posts at least half full', () => {
    const parts = splitIntoThread('x', sentences);
    for (const p of parts.slice(0, -1)) expect(p.endsWith('.')).toBe(true);
  });

  it('numbers parts and counts the numbering', () => {
    const parts = splitIntoThread('x', sentences, { numbering: true });
    parts.forEach((p, i) => {
      expect(p.endsWith(` ${i + 1}/${parts.length}`)).toBe(true);
      expect(measure('x', p).length).toBeLessThanOrEqual(280);
    });
    expect(words(parts.map(stripNumbering).join(' '))).toEqual(words(sentences));
  });

  it('widens the numbering reserve when there are ten or more parts', () => {
    const long = 'word '.repeat(700);
    const parts = splitIntoThread({ counter: 'graphemes', limit: 300 }, long, { numbering: true });
    expect(parts.length).toBeGreaterThanOrEqual(10);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(300);
    expect(parts[parts.length - 1]!.endsWith(`${parts.length}/${parts.length}`)).toBe(true);
  });

  it('never splits inside a link', () => {
    const url = 'https://help.example.com/articles/12345-how-to-request-a-refund-for-a-cancelled-order?ref=social';
    const text = `${'Here is what to do next. '.repeat(9)}Read more at ${url} and reply here if it does not work. ${'More words follow here. '.repeat(6)}`;
    for (const network of ['x', 'bluesky', 'mastodon'] as const) {
      const parts = splitIntoThread(network, text);
      expect(parts.some((p) => p.includes(url))).toBe(true);
    }
    // A link alone longer than the limit is kept whole in its own part.
    const huge = `Start ${'https://example.com/' + 'a'.repeat(400)} end`;
    const parts = splitIntoThread('bluesky', huge);
    expect(parts).toContain('https://example.com/' + 'a'.repeat(400));
  });

  it('keeps whole every link X counts as 23, found as X finds it (in the whole text, by the character before it)', () => {
    // "x.co/…" after a colon is a link to X (twitter-text's grammar); glued to "a"s it would be cut
    // at the 280th character if the word were split without X's link spans.
    const link = `x.co/${'b'.repeat(30)}`;
    const word = `${'a'.repeat(270)}:${link}`;
    expect(twitterWeightedLength(word)).toBe(270 + 1 + 23);
    const text = `${word} ${'more words here. '.repeat(30)}`;
    const parts = splitIntoThread('x', text);
    expect(parts[0]).toBe(`${'a'.repeat(270)}:`);
    expect(parts.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
    expect(parts.filter((p) => p.includes(link))).toHaveLength(1);
    for (const p of parts) expect(twitterWeightedLength(p)).toBeLessThanOrEqual(280);
    // A full-width dot may stand in a domain: no place to cut Japanese clauses when it does.
    const idn = 'https://例．example.com/path';
    const cjk = `${'あ'.repeat(130)} ${idn}、${'い'.repeat(100)}。`;
    expect(twitterWeightedLength(cjk)).toBe(260 + 1 + 23 + 2 + 200 + 2);
    const cjkParts = splitIntoThread('x', cjk);
    expect(cjkParts.filter((p) => p.includes(idn))).toHaveLength(1);
    expect(cjkParts.join(' ')).toBe(cjk);
    for (const p of cjkParts) expect(twitterWeightedLength(p)).toBeLessThanOrEqual(280);
  });

  it('splits an over-long word at grapheme boundaries only', () => {
    const text = family.repeat(400);
    const parts = splitIntoThread('bluesky', text);
    expect(parts.join('')).toBe(text);
    for (const p of parts) {
      expect(p.length % family.length).toBe(0);
      expect(measure('bluesky', p).over).toBe(false);
    }
  });

  it('respects a custom limit (room for a prepended mention)', () => {
    const parts = splitIntoThread('x', sentences, { limit: 260 });
    for (const p of parts) expect(measure('x', p).length).toBeLessThanOrEqual(260);
  });

  it('handles 100 KB of hostile text without throwing', () => {
    const hostile = `${'\uD800a\u0000 '.repeat(1000)}${'b'.repeat(96_000)}`;
    const parts = splitIntoThread('x', hostile);
    for (const p of parts) expect(measure('x', p).length).toBeLessThanOrEqual(280);
    expect(parts.join('').replace(/\s+/g, '')).toBe(hostile.replace(/\s+/g, ''));
  });

  it('rejects a limit that leaves no room', () => {
    expect(() => splitIntoThread({ counter: 'graphemes', limit: 3 }, 'a b c d e f', { numbering: true })).toThrow(TextLengthError);
  });
});
