/**
 * The links X counts as 23 in a post: twitter-text's URL grammar (twitter/twitter-text,
 * `extractUrlsWithIndices` with links without protocol, as `parseTweet` runs it), restated here
 * so X's weighted length agrees with X's own counter. Checked against the `twitter-text` package
 * itself in `textLength.oracle.test.ts` (real tweets and generated odd inputs).
 *
 * The grammar, in words:
 * - A candidate is one character that may stand before a link (anything but an ASCII letter or
 *   digit, `@ ＠ $ # ＃`, or U+FEFF/FFFE/FFFF; a directional mark may), or the start of the
 *   text, then an optional `http(s)://`, a domain, an optional `:port`, path and `?query`.
 *   Candidates are tried left to right, and the character before is taken before the start of
 *   the text is considered: in "ñx.co" the `ñ` stands before the link `x.co`.
 * - A domain is labels of "domain characters" (anything but ASCII punctuation other than `"`
 *   and `` ` ``, white space, and the invalid and directional characters above: letters of any
 *   script, emoji, full-width dots…) joined by dots, subdomains may hold `_`, then a TLD from
 *   twitter-text's lists (`tlds.ts`, generic before country code, longer before shorter) not
 *   followed by an ASCII letter, digit, `@ + -`, or a punycode TLD (`xn--…`).
 * - Without a protocol, the link is each ASCII-and-Latin domain inside that domain (so
 *   `語.q.la` holds `q.la`), the last one taking the path; the character before the candidate
 *   may not be `- _ . /`; a port without a path is not part of it.
 * - Each label, punycode-encoded, is 1–63 characters; the URL at most 4,096 with protocol.
 * - `t.co` links end after their slug (at most 40 characters) and query.
 */

import { COUNTRY_TLDS, GENERIC_TLDS } from './tlds.js';

export interface LinkSpan {
  start: number;
  end: number;
}

const LATIN_ACCENTS = '\\xC0-\\xD6\\xD8-\\xF6\\xF8-\\xFF\\u0100-\\u024F\\u0253\\u0254\\u0256\\u0257\\u0259\\u025B\\u0263\\u0268\\u026F\\u0272\\u0289\\u028B\\u02BB\\u0300-\\u036F\\u1E00-\\u1EFF';
const CYRILLIC = '\\u0400-\\u04FF';
const SPACES = '\\x09-\\x0D\\x20\\x85\\xA0\\u1680\\u180E\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const INVALID = '\\uFFFE\\uFEFF\\uFFFF';
const DIRECTIONAL = '\\u202A-\\u202E\\u061C\\u200E\\u200F\\u2066-\\u2069';
const ASCII_PUNCT = "!'#%&()*+,\\\\\\-./:;<=>?@\\[\\]^_{|}~$";

const alternation = (tlds: Iterable<string>) =>
  [...tlds]
    // descending order puts `community` before `com`: the first that fits wins, as in twitter-text
    .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))
    .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
const TLD_END = '(?=[^0-9a-zA-Z@+-]|$)';
const TLD = `(?:(?:${alternation(GENERIC_TLDS)})${TLD_END}|(?:${alternation(COUNTRY_TLDS)})${TLD_END}|xn--[\\-0-9a-z]+)`;

// A domain character (D) is any unit but ASCII_PUNCT, SPACES, INVALID and DIRECTIONAL (`IS_D`).
// twitter-text's domain: SUBDOMAIN* DOMAIN_NAME TLD, where SUBDOMAIN is `(?:D(?:[_-]|D)*)?D\.`
// and DOMAIN_NAME is `(?:D(?:-|D)*)?D\.` (`domainEnds` finds it).

const PATH_CHAR = `[a-z${CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&${LATIN_ACCENTS}]`;
const PARENS = `\\((?:${PATH_CHAR}+|(?:${PATH_CHAR}*\\(${PATH_CHAR}+\\)${PATH_CHAR}*))\\)`;
const PATH_END = `(?:[+\\-a-z${CYRILLIC}0-9=_#/${LATIN_ACCENTS}]|(?:${PARENS}))`;
const PATH = `(?:(?:${PATH_CHAR}*(?:${PARENS}${PATH_CHAR}*)*${PATH_END})|(?:@${PATH_CHAR}+/))`;
const QUERY_CHAR = "[a-z0-9!?*'@();:&=+$/%#\\[\\]\\-_.,~|]";
const QUERY_END = '[a-z0-9\\-_&=#/]';
// The character before a link (BEFORE): `[^A-Za-z0-9@\uFF20$#\uFF03 INVALID]|[DIRECTIONAL]|^`.

// Deliberately without the `u` flag: the grammar works on UTF-16 units, as twitter-text's does.
// twitter-text runs one expression, `(BEFORE)((https?://)?(DOMAIN)(:port)?(/path)?(?query)?)`, over
// the whole text; its domain part (`SUBDOMAIN* DOMAIN_NAME TLD`) backtracks over every run of
// labels from every start, quadratic in the run's length ("a.a.a…" pasted: seconds). Here the same
// expression is taken apart: the character before and the protocol are read by hand, the domain is
// found from a table built in one pass over the text (`domainEnds`), and only the optional tail
// (port, path, query) is left to an expression, run once per link.
const TLD_AT = new RegExp(TLD, 'iy');
const PROTOCOL_AT = /https?:\/\//iy;
const TAIL_AT = new RegExp(`(?::([0-9]+))?(\\/${PATH}*)?(\\?${QUERY_CHAR}*${QUERY_END})?`, 'iy');
const TCO = new RegExp(`^https?:\\/\\/t\\.co\\/([a-z0-9]+)(?:\\?${QUERY_CHAR}*${QUERY_END})?`, 'i');
const NO_PROTOCOL_BEFORE = /[-_./]$/;
const MAX_URL_LENGTH = 4096;
const MAX_TCO_SLUG = 40;
const MAX_LABEL = 63;

// Every UTF-16 unit once, to read character classes into tables (built in chunks: a spread of
// 65,536 arguments may overflow the stack).
const EVERY_UNIT = (() => {
  let all = '';
  for (let c = 0; c < 0x10000; c += 0x1000) all += String.fromCharCode(...Array.from({ length: 0x1000 }, (_, k) => c + k));
  return all;
})();

/** Sets `table[unit] = value` for every unit the class matches (with the `i` flag, as used). */
function mark(table: Uint8Array, cls: string, value: 0 | 1): Uint8Array {
  const re = new RegExp(cls, 'gi');
  for (let m = re.exec(EVERY_UNIT); m; m = re.exec(EVERY_UNIT)) table[m.index] = value;
  return table;
}
// One flag per unit, read from the grammar's own classes; a negated class is its positive class
// marked off (few matches to collect instead of nearly 65,536).
const IS_D = mark(new Uint8Array(0x10000).fill(1), `[${ASCII_PUNCT}${SPACES}${INVALID}${DIRECTIONAL}]`, 0);
const IS_BEFORE = mark(mark(new Uint8Array(0x10000).fill(1), `[A-Za-z0-9@\\uFF20$#\\uFF03${INVALID}]`, 0), `[${DIRECTIONAL}]`, 1);
const IS_ASCII_LABEL = mark(new Uint8Array(0x10000), `[\\-a-z0-9${LATIN_ACCENTS}]`, 1);
const DOT = 0x2e;
const UNDERSCORE = 0x5f;
const HYPHEN = 0x2d;

/**
 * Work done by the link finder, for tests that check it grows linearly with the text (speed itself
 * is measured in benchmarks): characters read by the table passes and expressions run.
 */
export interface LinkWork {
  units: number;
  regexRuns: number;
}

/**
 * Where a domain that starts at each position ends, for `SUBDOMAIN* DOMAIN_NAME TLD` tried
 * there as a backtracking engine tries it: labels are taken as far as they go, then given back
 * one by one until the label before a dot has no `_` and a TLD follows the dot, so the domain
 * ends at the last such dot the labels reach. A dot joins labels only between two domain
 * characters (a label starts and ends with one); `-` and `_` may stand inside a label.
 * One pass from the right: for each position, the last TLD dot after its own label whose label
 * has no `_` (`further`), else the dot ending its own label if no `_` lies between.
 */
function domainEnds(text: string, work?: LinkWork): Int32Array {
  const n = text.length;
  const ends = new Int32Array(n).fill(-1);
  if (work) work.units += n;
  let further = -1; // end of the domain through the last clean TLD dot after the current label
  let labelTld = -1; // where the TLD after the dot ending the current label ends, or -1
  let underscore = false; // a `_` between the current position and the dot ending its label
  for (let i = n - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      // the label to the right is complete: a TLD after its dot may end a domain started further left
      if (labelTld >= 0 && !underscore && further < 0) further = labelTld;
      const joins = i > 0 && IS_D[text.charCodeAt(i - 1)] === 1 && i + 1 < n && IS_D[text.charCodeAt(i + 1)] === 1;
      if (!joins) further = -1;
      if (i > 0 && IS_D[text.charCodeAt(i - 1)] === 1) {
        // a label may end here (followed by a TLD only when the dot joins two domain characters)
        labelTld = -1;
        if (joins) {
          TLD_AT.lastIndex = i + 1;
          if (work) work.regexRuns++;
          const tld = TLD_AT.exec(text);
          if (tld) labelTld = i + 1 + tld[0].length;
        }
      } else labelTld = -1;
      underscore = false;
    } else if (c === UNDERSCORE || c === HYPHEN || IS_D[c] === 1) {
      if (c === UNDERSCORE) underscore = true;
      else if (c !== HYPHEN) ends[i] = further >= 0 ? further : labelTld >= 0 && !underscore ? labelTld : -1;
    } else {
      further = -1;
      labelTld = -1;
      underscore = false;
    }
  }
  return ends;
}

/**
 * The links X counts in `text` (UTF-16 spans; pass NFC-normalized text, as X counts it).
 * `work`, when given, is increased by the work done (see `LinkWork`).
 */
export function xLinks(text: string, work?: LinkWork): LinkSpan[] {
  const out: LinkSpan[] = [];
  if (text.indexOf('.') < 0) return out;
  const ends = domainEnds(text, work);
  const n = text.length;
  // a domain at `p`, with the protocol in front of it if one is there
  const urlAt = (p: number): { protocol: string | undefined; domainStart: number; domainEnd: number } | null => {
    PROTOCOL_AT.lastIndex = p;
    const protocol = PROTOCOL_AT.exec(text)?.[0];
    if (protocol) {
      const e = p + protocol.length < n ? ends[p + protocol.length]! : -1;
      if (e >= 0) return { protocol, domainStart: p + protocol.length, domainEnd: e };
    }
    const e = p < n ? ends[p]! : -1;
    return e >= 0 ? { protocol: undefined, domainStart: p, domainEnd: e } : null;
  };
  for (let q = 0; q < n; ) {
    if (work) work.units++;
    // as `(BEFORE)` tries it: the character at `q`, then (at the start of the text only) none
    let before = '';
    let url = IS_BEFORE[text.charCodeAt(q)] === 1 ? urlAt(q + 1) : null;
    if (url) before = text[q]!;
    else if (q === 0) url = urlAt(0);
    if (!url) {
      q++;
      continue;
    }
    TAIL_AT.lastIndex = url.domainEnd;
    if (work) work.regexRuns++;
    const tail = TAIL_AT.exec(text)!;
    const start = url.domainStart - (url.protocol?.length ?? 0);
    const end = url.domainEnd + tail[0].length;
    q = end;
    linkAt(text, out, before, start, end, url.protocol, text.slice(url.domainStart, url.domainEnd), tail[2], work);
  }
  return out;
}

/** One match of twitter-text's expression, kept (as one or more links) when twitter-text keeps it. */
function linkAt(text: string, out: LinkSpan[], before: string, start: number, end: number, protocol: string | undefined, domain: string, path: string | undefined, work?: LinkWork): void {
  let url = text.slice(start, end);
  if (work) work.units += url.length;
  if (!validLength(url, protocol ?? 'https://', domain, work)) return;
  if (!protocol) {
    if (NO_PROTOCOL_BEFORE.test(before)) return;
    const inside = asciiDomains(domain, work);
    if (inside.length === 0) return;
    for (const d of inside) out.push({ start: start + d.start, end: start + d.end });
    if (path) out[out.length - 1]!.end = end;
  } else {
    const tco = TCO.exec(url);
    if (tco) {
      if (tco[1] && tco[1].length > MAX_TCO_SLUG) return;
      url = tco[0];
      end = start + url.length;
    }
    out.push({ start, end });
  }
}

/**
 * The ASCII (and Latin-accented) domains inside a domain, left to right: twitter-text's
 * `((ascii-label)\.)+TLD` run over the domain, found as `domainEnds` finds domains (labels taken
 * as far as they go, the last dot followed by a TLD ends the match), in one pass.
 */
function asciiDomains(domain: string, work?: LinkWork): LinkSpan[] {
  const n = domain.length;
  const ends = new Int32Array(n).fill(-1);
  if (work) work.units += n;
  let further = -1; // end of the last TLD the labels from here reach
  for (let i = n - 1; i >= 0; i--) {
    const c = domain.charCodeAt(i);
    if (c === DOT) {
      if (i > 0 && IS_ASCII_LABEL[domain.charCodeAt(i - 1)] === 1) {
        if (further < 0) {
          TLD_AT.lastIndex = i + 1;
          if (work) work.regexRuns++;
          const tld = TLD_AT.exec(domain);
          if (tld) further = i + 1 + tld[0].length;
        }
      } else further = -1;
    } else if (IS_ASCII_LABEL[c] === 1) ends[i] = further;
    else further = -1;
  }
  const found: LinkSpan[] = [];
  let from = 0;
  for (let i = 0; i < n; ) {
    const e = ends[i]!;
    if (e < 0) {
      i++;
      continue;
    }
    // located as twitter-text does, by the first occurrence of the same text after the last one
    const m = domain.slice(i, e);
    const at = domain.indexOf(m, from);
    from = at + m.length;
    found.push({ start: at, end: from });
    i = e;
  }
  return found;
}

/**
 * Every dot-separated label encodes to 1–63 ASCII characters; the URL with its protocol fits
 * 4,096 (twitter-text measures the domain as written, so the encoding changes only the labels).
 * The cheap checks come first: the answer is the same, and a long pasted domain is not encoded.
 */
function validLength(url: string, protocol: string, domain: string, work?: LinkWork): boolean {
  if (protocol.length + url.length > MAX_URL_LENGTH) return false;
  // a punycode domain may not hold other characters: it must contain an ASCII domain
  if (domain.startsWith('xn--') && asciiDomains(domain, work).length === 0) return false;
  for (const label of domain.split('.')) {
    // an encoded label is at least one character per code point: past 126 units, over 63
    if (label.length > 2 * MAX_LABEL) return false;
    const n = encodedLabelLength(label);
    if (n < 1 || n > MAX_LABEL) return false;
  }
  return true;
}

// IDNA separators a label may still hold (a full-width dot is a domain character here, but the
// punycode encoder splits on it).
const IDN_SEPARATORS = /[\u3002\uFF0E\uFF61]/;

/** Length of a label once punycode-encoded (parts split at IDNA dots joined by "."). */
function encodedLabelLength(label: string): number {
  if (IDN_SEPARATORS.test(label)) {
    return label.split(IDN_SEPARATORS).reduce((n, part, i) => n + (i ? 1 : 0) + encodedLabelLength(part), 0);
  }
  if (!/[^\x20-\x7E]/.test(label)) return label.length;
  return 4 + punycodeEncode(label).length;
}

/** RFC 3492 punycode encoding of one label (code points, lone surrogates included). */
function punycodeEncode(input: string): string {
  const BASE = 36;
  const TMIN = 1;
  const TMAX = 26;
  const SKEW = 38;
  const DAMP = 700;
  const cps: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    const d = input.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      cps.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
      i++;
    } else cps.push(c);
  }
  const digit = (d: number) => String.fromCharCode(d + 22 + 75 * (d < 26 ? 1 : 0));
  const adapt = (delta0: number, numPoints: number, first: boolean) => {
    let delta = first ? Math.floor(delta0 / DAMP) : delta0 >> 1;
    delta += Math.floor(delta / numPoints);
    let k = 0;
    for (; delta > ((BASE - TMIN) * TMAX) >> 1; k += BASE) delta = Math.floor(delta / (BASE - TMIN));
    return Math.floor(k + ((BASE - TMIN + 1) * delta) / (delta + SKEW));
  };
  let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join('');
  const basic = out.length;
  let h = basic;
  if (basic > 0) out += '-';
  let n = 0x80;
  let delta = 0;
  let bias = 72;
  while (h < cps.length) {
    let m = Infinity;
    for (const c of cps) if (c >= n && c < m) m = c;
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (BASE - t)));
          q = Math.floor((q - t) / (BASE - t));
        }
        out += digit(q);
        bias = adapt(delta, h + 1, h === basic);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return out;
}
