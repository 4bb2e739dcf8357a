/**
 * X's weighted length and link spans, checked against twitter-text itself (the npm package
 * `twitter-text`, Apache-2.0, by Twitter; a devDependency used here as a test oracle only).
 * X's servers count with twitter-text's v3 configuration, so Parley's `twitterWeightedLength`
 * must give `parseTweet(text).weightedLength`, and the links it counts as 23 (`twitterLinks`)
 * must be the spans `extractUrlsWithIndices` finds in the NFC-normalized text.
 *
 * Two corpora: (a) real customer-care tweets (the TWCS dev excerpts in ../shared/data, evaluation
 * only: read here, never copied into the repo), and (b) a seeded generator of odd inputs —
 * generated domains with known, unknown and punycode TLDs, IDN labels, ports, paths with
 * brackets and trailing punctuation, emoji and ZWJ sequences, combining marks, CJK, links glued
 * to text, @mentions, $cashtags, #hashtags and very long strings. A disagreement is reported with
 * the text, so a failure names the input to turn into a unit test in `wf_text.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readCsvRows } from '../lib/csv.js';
import { sharedDataDir, sharedDataFile } from '../lib/paths.js';
import { twitterLinks, twitterWeightedLength } from './textLength.js';
import { mulberry32 } from './triage/hash.js';

import { COUNTRY_TLDS, GENERIC_TLDS } from './tlds.js';

const twitterText = createRequire(import.meta.url)('twitter-text') as typeof import('twitter-text');

const RGI_EMOJI = new RegExp('\\p{RGI_Emoji}', 'gv');

interface Disagreement {
  text: string;
  ours: { length: number; links: string[] };
  theirs: { length: number; links: string[] };
}

/** The first disagreements (up to `keep`) and their count over `texts`. */
function compare(texts: Iterable<string>, keep = 12): { checked: number; spans: number; lengths: number; urlTextQuirk: number; newerEmoji: number; examples: Disagreement[] } {
  let urlTextQuirk = 0;
  let newerEmoji = 0;
  let checked = 0;
  let spans = 0;
  let lengths = 0;
  const examples: Disagreement[] = [];
  for (const text of texts) {
    checked++;
    const nfc = text.normalize('NFC');
    const ours = twitterLinks(nfc).map((l) => `${l.start}-${l.end}:${nfc.slice(l.start, l.end)}`);
    const entities = twitterText.extractUrlsWithIndices(nfc);
    const theirs = entities.map((u) => `${u.indices[0]}-${u.indices[1]}:${nfc.slice(u.indices[0], u.indices[1])}`);
    const ourLength = twitterWeightedLength(text);
    const theirLength = twitterText.parseTweet(text).weightedLength;
    const spanDiff = ours.join('\n') !== theirs.join('\n');
    let lengthDiff = ourLength !== theirLength;
    // twitter-text (JS) bug: a domain without protocol that goes on past the link inside it and
    // then has a path ("c.한국.sr/") gets the span of the whole, but `parseTweet` skips only the
    // length of its `url` text (the link and the path), so the rest is counted twice. Parley
    // weighs the span, as X's link (t.co) replaces it; counted apart, and only when spans agree.
    if (lengthDiff && !spanDiff && entities.some((u) => u.url.length !== u.indices[1] - u.indices[0])) {
      urlTextQuirk++;
      lengthDiff = false;
    }
    // twitter-text 3.1.0 finds emoji with twemoji-parser 11 (Emoji 11, 2018): a newer emoji
    // sequence ("🧑‍🤝‍🧑", "🤝🏻") it weighs unit by unit. Parley follows current Unicode, as X's apps
    // do; such a text must differ by exactly what twitter-text adds for those sequences.
    if (lengthDiff) {
      const extra = (nfc.match(RGI_EMOJI) ?? []).reduce((n, e) => n + (twitterText.parseTweet(e).weightedLength - 2), 0);
      if (extra > 0 && ourLength + extra === theirLength) {
        newerEmoji++;
        lengthDiff = false;
      }
    }
    if (spanDiff) spans++;
    if (lengthDiff) lengths++;
    if ((spanDiff || lengthDiff) && examples.length < keep) {
      examples.push({ text, ours: { length: ourLength, links: ours }, theirs: { length: theirLength, links: theirs } });
    }
  }
  return { checked, spans, lengths, urlTextQuirk, newerEmoji, examples };
}

// ---------------------------------------------------------------- (b) the odd-input generator

/** mulberry32 (./triage/hash.ts): a small seeded PRNG, so every run checks the same texts. */
const prng = mulberry32;

const KNOWN = [...GENERIC_TLDS, ...COUNTRY_TLDS];
const UNKNOWN_TLDS = ['xx', 'corp', 'local', 'example', 'comm', 'co1', 'c0m', 'zz', 'internal', 'ccom', 'jpn', 'q'];
const LATIN = 'abcdefghijklmnopqrstuvwxyz';
const ACCENTED = 'áéíóúüöäñçøåßłžšđğıəʻ';
const OTHER_SCRIPT = ['пример', 'россия', '日本', 'みんな', 'テスト', '中国語', '한국', 'ไทย', 'مثال', 'דוגמה', 'ελλάδα', 'भारत'];
const PUNYCODE = ['xn--p1ai', 'xn--e1afmkfd', 'xn--fiqs8s', 'xn--q9jyb4c', 'xn--80asehdb', 'xn--zz', 'xn--', 'xn--j1amh'];
const EMOJI = [
  '😀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇯🇵', '🇺🇸🇬🇧', '1️⃣', '#️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '❤️', '❤', '©', '®', '©️', '™', '☺', '🧑🏿‍🤝‍🧑🏻', '👩‍💻', '\u{1FAE8}', '🦩', '⌚', '\u200D',
];
const CJK = ['日本語', 'をご覧ください', '中文', '한국어', '。', '、', '！', '（', '）', '「', '」', 'ｈｔｔｐ', '．ｃｏｍ', '\u3000'];
const COMBINING = ['e\u0301', 'a\u0308', 'n\u0303', '\u0301', 'o\u0328\u0301', '\u20DD', 'ก\u0E31\u0E49'];
const PUNCT = ['.', ',', ';', ':', '!', '?', "'", '"', ')', '(', ']', '[', '}', '{', '*', '>', '<', '…', '»', '”', '’', '-', '_', '~', '/', '\\', '|', '=', '&', '%', '+', '¡', '¿', '·', '@', '#', '$', '＠', '＃'];
const SPACES = [' ', ' ', ' ', '\n', '\t', '\u00A0', '\u2009', '\u3000', '\u200B', '\r\n'];

function generator(seed: number) {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => r() < p;
  const ascii = (min: number, max: number, alphabet = LATIN + '0123456789-') => {
    let s = '';
    const n = min + int(max - min + 1);
    for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
    return s;
  };
  const label = (): string => {
    const k = int(20);
    if (k < 11) return ascii(1, 12);
    if (k < 13) return ascii(1, 3) + pick([...ACCENTED]) + ascii(0, 4);
    if (k < 15) return pick(OTHER_SCRIPT);
    if (k === 15) return pick(PUNYCODE);
    if (k === 16) return ascii(60, 66, LATIN);
    if (k === 17) return `${ascii(1, 4)}_${ascii(1, 4)}`;
    if (k === 18) return `-${ascii(1, 5)}`;
    return ascii(1, 3).toUpperCase();
  };
  const tld = (): string => {
    const k = int(20);
    if (k < 12) return pick(KNOWN);
    if (k < 14) return pick(KNOWN).toUpperCase();
    if (k < 16) return pick(UNKNOWN_TLDS);
    if (k < 18) return pick(PUNYCODE);
    return pick(KNOWN) + ascii(1, 3, LATIN);
  };
  const domain = (): string => {
    const labels: string[] = [];
    const n = 1 + int(4);
    for (let i = 0; i < n; i++) labels.push(label());
    return `${labels.join(chance(0.05) ? pick(['。', '．', '｡']) : '.')}.${tld()}${chance(0.1) ? `.${tld()}` : ''}`;
  };
  const path = (): string => {
    let s = '';
    const n = int(5);
    for (let i = 0; i < n; i++) {
      const k = int(12);
      if (k < 5) s += `/${ascii(0, 8, LATIN + '0123456789-_.~%')}`;
      else if (k === 5) s += `/wiki/${ascii(1, 6, LATIN)}_(${ascii(1, 6, LATIN)})`;
      else if (k === 6) s += `?${ascii(1, 4, LATIN)}=${ascii(0, 6)}&${ascii(1, 3, LATIN)}=${pick(['', '1', 'a+b', '%20', '日本'])}`;
      else if (k === 7) s += `#${ascii(0, 6)}`;
      else if (k === 8) s += `/${pick(OTHER_SCRIPT)}`;
      else if (k === 9) s += `/${pick(EMOJI)}`;
      else if (k === 10) s += pick(['/@user', '/$tag', '/#!/x', '/a!b', "/it's", '/a,b', '/(x)', '/[1]', '/{y}', '/a:b', '/a;b', '/~u']);
      else s += `/${ascii(1, 4, LATIN + ACCENTED)}`;
    }
    return s;
  };
  const url = (): string => {
    const scheme = pick(['', '', '', 'http://', 'https://', 'HTTPS://', 'Http://', 'ftp://', 'www.', 'https://www.', 'http:/', 'https//', 'javascript:']);
    let host = chance(0.08) ? `${int(300)}.${int(300)}.${int(256)}.${int(256)}` : domain();
    if (chance(0.04)) host = `[2001:db8::${int(99)}]`;
    if (chance(0.05)) host = `${ascii(1, 5, LATIN)}:${ascii(1, 5)}@${host}`;
    const port = chance(0.1) ? `:${int(99999)}` : '';
    return `${scheme}${host}${port}${chance(0.6) ? path() : ''}`;
  };
  const piece = (): string => {
    const k = int(40);
    if (k < 10) return url();
    if (k < 16) return ascii(1, 10, LATIN + LATIN.toUpperCase());
    if (k < 19) return pick(EMOJI) + (chance(0.3) ? pick(EMOJI) : '');
    if (k < 22) return pick(CJK);
    if (k < 24) return pick(COMBINING);
    if (k < 28) return pick(PUNCT) + (chance(0.3) ? pick(PUNCT) : '');
    if (k === 28) return `@${ascii(1, 16, LATIN + '0123456789_')}${chance(0.3) ? `@${domain()}` : ''}`;
    if (k === 29) return `$${ascii(1, 6, LATIN.toUpperCase())}${chance(0.2) ? `.${ascii(1, 2, LATIN.toUpperCase())}` : ''}`;
    if (k === 30) return `#${ascii(1, 10)}`;
    if (k === 31) return `${ascii(1, 8, LATIN)}@${domain()}`;
    if (k === 32) return `${int(100)}.${int(100)}${chance(0.5) ? `.${int(100)}` : ''}`;
    if (k === 33) return pick(['(', '[', '"', "'", '«', '“']) + url() + pick([')', ']', '"', "'", '»', '”', ').', '),', ')!', '...', '…']);
    if (k === 34) return pick(OTHER_SCRIPT) + url();
    if (k === 35) return url() + pick(OTHER_SCRIPT);
    if (k === 36) return pick(['\u{1D400}', '\u{20000}', '\uD800', '\uDC00', '\u0000', '\uFEFF', '\u202E', '\uFFFD', '\u2028', '\u2066']);
    if (k === 37) return String.fromCodePoint(int(0x3000));
    if (k === 38) return String.fromCodePoint(0x2000 + int(0x80));
    return 'x'.repeat(1 + int(3)) + pick(['.', '..', '...', '.com.', 'com', '.c', '.co.']);
  };
  return (): string => {
    const n = chance(0.02) ? 200 + int(400) : 1 + int(12);
    let s = '';
    for (let i = 0; i < n; i++) {
      s += piece();
      if (chance(0.6)) s += pick(SPACES);
    }
    return s;
  };
}

function* generated(seed: number, count: number): Generator<string> {
  const next = generator(seed);
  for (let i = 0; i < count; i++) yield next();
}

// ----------------------------------------------------------------------------- (a) real tweets

function twcsTexts(): string[] {
  const texts: string[] = [];
  for (const file of ['twcs/twcs_head5k.csv', 'twcs/spotifycares_inbound.csv', 'twcs/amazonhelp_sentiment300.csv']) {
    const { rows } = readCsvRows(readFileSync(sharedDataFile(file), 'utf8'));
    for (const row of rows) if (row.text) texts.push(row.text);
  }
  return texts;
}

const report = (name: string, r: ReturnType<typeof compare>) =>
  `${name}: ${r.checked} texts, ${r.spans} link-span and ${r.lengths} weighted-length disagreements with twitter-text ` +
  `(+${r.urlTextQuirk} of its url-text length bug, +${r.newerEmoji} with emoji newer than its twemoji-parser 11)\n` +
  r.examples.map((e) => `  ${JSON.stringify(e.text)}\n    ours   ${e.ours.length} ${JSON.stringify(e.ours.links)}\n    theirs ${e.theirs.length} ${JSON.stringify(e.theirs.links)}`).join('\n');

describe('X weighted length and links against twitter-text (oracle)', () => {
  it.skipIf(sharedDataDir() === null)('agrees on the real TWCS customer-care tweets', () => {
    const texts = twcsTexts();
    expect(texts.length).toBeGreaterThan(15_000);
    const r = compare(texts);
    console.info(report('TWCS', { ...r, examples: [] }));
    expect({ spans: r.spans, lengths: r.lengths }, report('TWCS', r)).toEqual({ spans: 0, lengths: 0 });
  });

  it('agrees on long runs of labels (past the 4,096 characters a link may have)', () => {
    // The whole text is one match for twitter-text's expression: a long run is a link only where
    // its checks allow, whatever lies thousands of characters before.
    const texts = [
      `b${'a.'.repeat(3000)}com`,
      ` ${'a.'.repeat(2100)}com`,
      `${'a'.repeat(4150)}.${'b'.repeat(60)}.com`,
      `${'a.'.repeat(2098)}xx.com`,
      `${'-'.repeat(4199)} ${'x'.repeat(10)}a.com`,
      `${'ab.'.repeat(1500)}b_.com x.co`,
      `https://${'a.'.repeat(2100)}com/path x.co`,
      `${'x.com_'.repeat(800)}`,
      `${'a.'.repeat(2040)}語.com/x ${'a.'.repeat(2050)}語.com/x`,
      `${'語'.repeat(200)}.com x.co ${'語'.repeat(30)}.com`,
      `${'a-'.repeat(1500)}${'b.'.repeat(1500)}com`,
      `${'a.ж.語.ب.'.repeat(700)}co`,
      `${'xn--'.repeat(1200)}.xn--p1ai`,
      `${'1.'.repeat(2500)}jp/${'a('.repeat(1000)}`,
    ];
    const r = compare(texts);
    console.info(report('long runs', { ...r, examples: [] }));
    expect({ spans: r.spans, lengths: r.lengths }, report('long runs', r)).toEqual({ spans: 0, lengths: 0 });
  });

  it.each([1, 2, 3, 4])('agrees on generated odd inputs (seed %i)', (seed) => {
    const r = compare(generated(seed, 5_000));
    console.info(report(`generated seed ${seed}`, { ...r, examples: [] }));
    expect({ spans: r.spans, lengths: r.lengths }, report(`generated seed ${seed}`, r)).toEqual({ spans: 0, lengths: 0 });
  });
});
