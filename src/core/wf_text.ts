/**
 * Private text helpers for the care-workflow core: grapheme segmentation, URL and mention
 * spotting, well-formedness, deterministic seeding and phrase matching.
 *
 * Everything here must survive hostile input (lone surrogates, NUL, 100 KB of one
 * character) without throwing and in roughly linear time: regular expressions avoid
 * nested unbounded quantifiers, and bare-domain matching only runs when a dot is present.
 */

import { LONGEST_TLD, isKnownTld } from './tlds.js';

let graphemeSegmenter: Intl.Segmenter | undefined;

// V8's segment iterator slows down quadratically on long strings, so text is segmented in
// windows that start on a known boundary; each window's last segment (possibly cut short by
// the window) is dropped and re-read by the next window.
const WINDOW = 2048;

function forEachSegment(seg: Intl.Segmenter, text: string, cb: (segment: string) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + WINDOW);
    // Never cut a surrogate pair: the half would change the boundary before it.
    const lastUnit = text.charCodeAt(end - 1);
    if (end < text.length && lastUnit >= 0xd800 && lastUnit <= 0xdbff && (text.charCodeAt(end) & 0xfc00) === 0xdc00) end += 1;
    const last = end === text.length;
    let pending: Intl.SegmentData | null = null;
    let consumed = start;
    for (const s of seg.segment(text.slice(start, end))) {
      if (pending) {
        cb(pending.segment);
        consumed = start + s.index;
      }
      pending = s;
    }
    if (!pending) break;
    if (last || consumed === start) {
      // End of text, or a single segment longer than the window: take it as it is.
      cb(pending.segment);
      start = start + pending.index + pending.segment.length;
    } else {
      start = consumed;
    }
  }
}

function segmenter(): Intl.Segmenter {
  graphemeSegmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  return graphemeSegmenter;
}

const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]|[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+)*/gu;

/**
 * Words of a text: runs of letters and digits (with inner apostrophes and hyphens), and
 * single characters for scripts written without spaces (CJK, Thai) — fast and good enough
 * for similarity and keyword checks.
 */
export function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

// Characters that can join a grapheme cluster with a neighbour (extend, spacing marks,
// ZWJ, regional indicators, Hangul jamo, prepend marks, CR). Text without any of them has
// one grapheme per code point, which avoids the (slow) segmenter on most replies.
const CLUSTERING =
  /[\p{Grapheme_Extend}\p{Mc}\p{Emoji_Modifier}\p{RI}\u200D\r\u0E33\u0EB3\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF\u0600-\u0605\u06DD\u070F\u0890\u0891\u08E2\u0D4E\u{110BD}\u{110CD}\u{111C2}\u{111C3}\u{1193F}\u{11941}\u{11A3A}\u{11A84}-\u{11A89}\u{11D46}\u{11F02}]/u;

const SIMPLE_ASCII = /^[\x20-\x7e]*$/;

/** User-perceived characters (extended grapheme clusters). */
export function graphemeCount(text: string): number {
  if (SIMPLE_ASCII.test(text)) return text.length;
  if (!CLUSTERING.test(text)) return codePointCount(text);
  let n = 0;
  forEachSegment(segmenter(), text, () => {
    n++;
  });
  return n;
}

/** The grapheme clusters of a text, in order. */
export function graphemes(text: string): string[] {
  if (SIMPLE_ASCII.test(text)) return text.split('');
  if (!CLUSTERING.test(text)) return Array.from(text);
  const out: string[] = [];
  forEachSegment(segmenter(), text, (segment) => {
    out.push(segment);
  });
  return out;
}

/** Unicode code points (not UTF-16 units). */
export function codePointCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** UTF-8 byte length, lone surrogates counted as the 3-byte replacement character. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Replaces lone surrogates with U+FFFD so the text can be encoded and stored safely. */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Removes C0/DEL control characters (NUL included), keeping tab, CR and LF. */
export function stripControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
}

export interface UrlSpan {
  start: number;
  end: number;
  url: string;
  /** Written with `http://` or `https://`. */
  hasProtocol: boolean;
}

const PROTOCOL_URL = /\bhttps?:\/\/[^\s<>"'`\u00A0\u2000-\u200B\u3000]+/giu;
// What twitter-text lets a domain written without a protocol hold besides ASCII letters, digits
// and hyphens: Latin accented letters (its latinAccentChars), so `bücher.com` and `ELPAÍS.com`
// are links; a domain in another script (`пример.рф`) is a link only with http(s)://.
const LATIN_ACCENTS = '\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F\\u0253\\u0254\\u0256\\u0257\\u0259\\u025B\\u0263\\u0268\\u026F\\u0272\\u0289\\u028B\\u02BB\\u0300-\\u036F\\u1E00-\\u1EFF';
const LABEL_CHAR = `a-z0-9${LATIN_ACCENTS}`;
// A bare domain candidate: ASCII/Latin labels, then a punycode TLD (`xn--p1ai`) or a run of
// letters in any script that may start with a TLD twitter-text knows (`tlds.ts`): which one, and
// where it ends, is settled in code (`bareTldEnd`), a Set lookup per candidate instead of a
// 1,500-alternative regular expression. Text in another script may run straight into the domain
// on either side (`中国語example.com`, `twitter.comこれは`, `twitter.みんなです`), as twitter-text
// finds the domain inside such a run; a Latin letter, a digit, or one of @ $ # . / _ - : right
// before it makes it no link.
const BARE_DOMAIN = new RegExp(
  `(?<![${LABEL_CHAR}@\uFF20$#\uFF03.\\/_\\-:])((?:[${LABEL_CHAR}](?:[${LABEL_CHAR}\\-]{0,61}[${LABEL_CHAR}])?\\.)+)(xn--[a-z0-9](?:[a-z0-9\\-]{0,57}[a-z0-9])?|[\\p{L}\\p{M}]{2,63})`,
  'giu',
);
// After the TLD: an optional port, then a path (a bare domain's `?query` or `#fragment` without a
// path is not part of the link, as in twitter-text).
const PORT = /:\d{2,5}/y;
const BARE_PATH = /\/[^\s<>"'`\u00A0\u2000-\u200B\u3000]*/y;
const TLD_FOLLOWER = new RegExp(`[${LABEL_CHAR}\\p{N}_\\-@.]`, 'iu');

/**
 * Whether the TLD of a bare domain may end at `i`: not run on by a letter, digit, `_ - @`. A dot
 * may follow, as in twitter-text (its TLD ends at `(?=[^0-9a-zA-Z@]|$)`): `foo.bar.xx` holds the
 * link `foo.bar`, and `x.みんな.com` the link `x.みんな`.
 */
function tldMayEndAt(text: string, i: number): boolean {
  const ch = text[i];
  if (ch === undefined || ch === '.') return true;
  return !TLD_FOLLOWER.test(ch);
}

// One more label of a domain after a dot, in any script (twitter-text's validDomainChars: neither
// punctuation nor space), for the part of a domain after the link inside it.
const NEXT_LABEL = /\.([\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}_\-]{0,61}[\p{L}\p{M}\p{N}])?)/uy;

/**
 * Where the whole domain that goes on after a link's TLD (`x.みんな` in `x.みんな.com`) ends: after
 * its last label that is a known TLD, or -1. twitter-text matches that whole domain first and
 * finds the link inside it; a path after the whole domain belongs to the link.
 */
function wholeDomainEnd(text: string, from: number): number {
  let end = -1;
  // the label before a TLD is the domain's name, which may not hold an underscore (only
  // subdomains may: twitter-text's validDomainName)
  let nameOk = true;
  for (let i = from; text[i] === '.'; ) {
    NEXT_LABEL.lastIndex = i;
    const m = NEXT_LABEL.exec(text);
    if (!m) break;
    const labelStart = i + 1;
    const tldEnd = bareTldEnd(text, labelStart, m[1]!);
    i = NEXT_LABEL.lastIndex;
    if (tldEnd === i) {
      if (nameOk) end = i;
    } else if (tldEnd >= 0) return nameOk ? tldEnd : end; // a TLD run straight into by other text ends the domain
    nameOk = !m[1]!.includes('_');
  }
  return end;
}

// An ASCII domain anywhere inside a longer domain (twitter-text's validAsciiDomain, which has no
// look-behind: it may start right after a dot or inside a label in another script).
const INNER_DOMAIN = new RegExp(
  `((?:[${LABEL_CHAR}\\-]+\\.)+)(xn--[a-z0-9](?:[a-z0-9\\-]{0,57}[a-z0-9])?|[\\p{L}\\p{M}]{2,63})`,
  'giu',
);

/**
 * The ASCII domains inside `text[from, to)`, the rest of a whole domain after a link's TLD: each
 * ends at a known TLD (the most labels first, as the regular expression backtracks).
 */
function innerDomains(text: string, from: number, to: number): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  const domain = text.slice(0, to);
  INNER_DOMAIN.lastIndex = from;
  for (let m = INNER_DOMAIN.exec(domain); m; m = INNER_DOMAIN.exec(domain)) {
    const labels = m[1]!;
    let tldEnd = bareTldEnd(domain, m.index + labels.length, m[2]!);
    for (let k = labels.length - 2; tldEnd < 0; ) {
      const dot = labels.lastIndexOf('.', k);
      if (dot < 0) break;
      tldEnd = bareTldEnd(domain, m.index + dot + 1, labels.slice(dot + 1, k + 1));
      k = dot - 1;
    }
    if (tldEnd < 0) {
      INNER_DOMAIN.lastIndex = m.index + labels.length;
      continue;
    }
    found.push({ start: m.index, end: tldEnd });
    INNER_DOMAIN.lastIndex = tldEnd;
  }
  return found;
}

/**
 * Where the TLD of a bare domain candidate ends (index in `text`), or -1: the longest known TLD
 * at the start of `run` (as twitter-text's alternation, longest names first) that the text after
 * it lets end there, so `example.community` is not cut at `.com` and `twitter.みんなです` ends
 * after `みんな`.
 */
function bareTldEnd(text: string, start: number, run: string): number {
  if (run.length > 4 && (run[0] === 'x' || run[0] === 'X') && /^xn--/i.test(run)) return tldMayEndAt(text, start + run.length) ? start + run.length : -1;
  for (let len = Math.min(run.length, LONGEST_TLD); len >= 2; len--) {
    if (isKnownTld(run.slice(0, len)) && tldMayEndAt(text, start + len)) return start + len;
  }
  return -1;
}
const TRAILING_PUNCT = new Set(['.', ',', ';', ':', '!', '?', "'", '"', '»', '”', '’', '…', '*', '>']);

function trimUrlEnd(url: string): string {
  let end = url.length;
  for (;;) {
    const ch = url[end - 1];
    if (ch === undefined) break;
    if (TRAILING_PUNCT.has(ch)) {
      end--;
      continue;
    }
    if (ch === ')' || ch === ']' || ch === '}') {
      const open = ch === ')' ? '(' : ch === ']' ? '[' : '{';
      const body = url.slice(0, end);
      const opens = body.split(open).length - 1;
      const closes = body.split(ch).length - 1;
      if (closes > opens) {
        end--;
        continue;
      }
    }
    break;
  }
  return url.slice(0, end);
}

/**
 * Whether a host's last label is a known TLD, or starts with one that text in another script
 * runs straight into (`comをご覧`; the link is cut there when it is weighed).
 */
function startsWithKnownTld(label: string): boolean {
  for (let len = Math.min(label.length, LONGEST_TLD); len >= 2; len--) {
    if (isKnownTld(label.slice(0, len)) && (len === label.length || !/[a-z0-9\-]/i.test(label[len]!))) return true;
  }
  return false;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Whether a `scheme://` URL has a usable host, following twitter-text: labels of at most 63
 * characters once punycode-encoded, no leading or trailing hyphen, underscores only in
 * subdomains, a real IPv4 address, or a bracketed IPv6 one. With `knownTld` (X's rules) the
 * top-level domain must also be one twitter-text knows (`tlds.ts`) or punycode: X counts
 * `https://intranet.corp/…` as text.
 */
function validHost(url: string, knownTld: boolean): boolean {
  const afterScheme = url.indexOf('//') + 2;
  const rest = url.slice(afterScheme);
  const pathAt = rest.search(/[/?#]/);
  let authority = pathAt >= 0 ? rest.slice(0, pathAt) : rest;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    if (/[\[\]]/.test(authority.slice(0, at))) return false;
    authority = authority.slice(at + 1);
  }
  if (authority.startsWith('[')) return /^\[[0-9a-f:.]+\](?::\d{1,5})?$/i.test(authority);
  const host = authority.replace(/:\d{1,5}$/, '');
  if (host === '' || /[:%]/.test(host)) return false;
  const ip = IPV4.exec(host);
  if (ip) return ip.slice(1).every((n) => Number(n) <= 255);
  let ascii: string;
  try {
    ascii = new URL(`http://${host}/`).hostname;
  } catch {
    return false;
  }
  if (IPV4.test(ascii) || ascii !== ascii.replace(/[^a-z0-9.\-_]/g, '')) return false;
  const labels = ascii.split('.');
  if (labels.length < 2 || labels.some((l) => l.length === 0 || l.length > 63 || l.startsWith('-') || l.endsWith('-'))) return false;
  const tld = labels[labels.length - 1]!;
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9\-]{1,59})$/.test(tld)) return false;
  if (knownTld && !(tld.startsWith('xn--') && /^[\x00-\x7f]*$/.test(host)) && !startsWithKnownTld(host.split(/[.\u3002\uFF0E\uFF61]/).pop()!)) return false;
  // Underscores are tolerated in subdomains only.
  if (labels.slice(-2).some((l) => l.includes('_'))) return false;
  return true;
}

/**
 * Links in a text. With `bareDomains` (X's rules: X counts `example.com` as a link) domains
 * without a protocol are included too, and they must end in a TLD twitter-text knows
 * (`tlds.ts`: `parley.app`, `news.bbc`, `example.みんな` are links, `hello.xx` is not) or a
 * punycode one; with `strictTlds` (X's count) so must a `scheme://` link, which X otherwise
 * counts as text (`https://intranet.corp/…`), while a reader still sees a link there; a bare `name.cc` with a country-code TLD is one too (twitter-text 3). Bare domains' labels may hold Latin accented letters, as twitter-text allows,
 * and their `?query` or `#fragment` without a path is not part of the link.
 * Trailing punctuation and unbalanced closing brackets are not part of a link.
 */
export function findUrls(text: string, options: { bareDomains?: boolean; strictTlds?: boolean } = {}): UrlSpan[] {
  const out: UrlSpan[] = [];
  if (text.indexOf(':') >= 0) {
    PROTOCOL_URL.lastIndex = 0;
    for (let m = PROTOCOL_URL.exec(text); m; m = PROTOCOL_URL.exec(text)) {
      const url = trimUrlEnd(m[0]);
      if (!validHost(url, options.strictTlds === true)) continue;
      out.push({ start: m.index, end: m.index + url.length, url, hasProtocol: true });
    }
  }
  if (options.bareDomains && text.indexOf('.') >= 0) {
    const withProtocol = out.length;
    let p = 0; // the first link with a protocol that may still cover a later bare domain
    BARE_DOMAIN.lastIndex = 0;
    for (let m = BARE_DOMAIN.exec(text); m; m = BARE_DOMAIN.exec(text)) {
      let start = m.index;
      const tldStart = start + m[1]!.length;
      while (p < withProtocol && out[p]!.end <= start) p++;
      const insideLink = p < withProtocol && out[p]!.start <= start;
      let tldEnd = insideLink ? -1 : bareTldEnd(text, tldStart, m[2]!);
      // The last label is no TLD: a shorter domain whose last label is one, as twitter-text's
      // regular expression backtracks to (`foo.bar.xx` → `foo.bar`), the most labels first.
      for (let k = m[1]!.length - 2; tldEnd < 0 && !insideLink; ) {
        const dot = m[1]!.lastIndexOf('.', k);
        if (dot < 0) break;
        tldEnd = bareTldEnd(text, start + dot + 1, m[1]!.slice(dot + 1, k + 1));
        k = dot - 1;
      }
      if (tldEnd < 0) {
        // Text in another script may follow in the same run ("hello.xx中国語example.com").
        BARE_DOMAIN.lastIndex = tldStart;
        continue;
      }
      let end = tldEnd;
      // More labels after the link's TLD (`x.みんな.com/path`): only a path after the whole domain
      // makes them part of the link; without one they are text (twitter-text's lastUrl).
      const whole = text[end] === '.' ? wholeDomainEnd(text, end) : -1;
      // twitter-text finds every ASCII domain inside the whole domain (validAsciiDomain, global):
      // `x.みんな.foo.com` holds `x.みんな` and `foo.com`; a path after the whole domain belongs
      // to the last of them.
      if (whole > end) {
        const inner = innerDomains(text, end, whole);
        if (inner.length) {
          const url = text.slice(start, end);
          out.push({ start, end, url, hasProtocol: false });
          const last = inner.pop()!;
          for (const d of inner) out.push({ start: d.start, end: d.end, url: text.slice(d.start, d.end), hasProtocol: false });
          start = last.start;
          end = last.end;
        }
      }
      for (const at of whole >= 0 ? [whole, end] : [end]) {
        PORT.lastIndex = at;
        const afterPort = PORT.test(text) ? PORT.lastIndex : at;
        BARE_PATH.lastIndex = afterPort;
        if (BARE_PATH.test(text)) {
          end = BARE_PATH.lastIndex;
          break;
        }
        if (at === end) end = afterPort;
      }
      BARE_DOMAIN.lastIndex = end;
      // A bare `name.cc` (country code) without a path is a link too: twitter-text dropped that
      // exception in v3 (conformance/tests/extract.yml, "Extract short URLs without protocol on
      // ccTLD domains without path"), and X counts `foo.jp` as 23.
      const url = trimUrlEnd(text.slice(start, end));
      out.push({ start, end: start + url.length, url, hasProtocol: false });
    }
    out.sort((a, b) => a.start - b.start);
  }
  return out;
}

export interface MentionSpan {
  start: number;
  end: number;
  /** Local username, without `@`. */
  username: string;
  /** Instance domain for fediverse mentions (`@user@domain`), else null. */
  domain: string | null;
}

const MENTION = /(?<![\p{L}\p{N}_@\/])@([A-Za-z0-9_]{1,30}(?:[.\-][A-Za-z0-9_]+){0,10})(?:@([A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?){1,8}))?/gu;

/** `@user` and `@user@instance.example` mentions. */
export function findMentions(text: string): MentionSpan[] {
  if (text.indexOf('@') < 0) return [];
  const out: MentionSpan[] = [];
  MENTION.lastIndex = 0;
  for (let m = MENTION.exec(text); m; m = MENTION.exec(text)) {
    out.push({ start: m.index, end: m.index + m[0].length, username: m[1]!, domain: m[2] ?? null });
  }
  return out;
}

/** 32-bit FNV-1a over UTF-16 units: a stable seed from an id. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic index in [0, n) for a seed (e.g. a conversation id). */
export function seededIndex(seed: string, n: number): number {
  if (n <= 0) return 0;
  return fnv1a(seed) % n;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A case-insensitive regular expression matching any of the phrases as whole words
 * (letters or digits may not touch either side); inner spaces match any whitespace.
 * Returns null when there is nothing to match.
 */
export function phraseMatcher(phrases: readonly string[]): RegExp | null {
  const cleaned = [...new Set(phrases.map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0))];
  if (cleaned.length === 0) return null;
  cleaned.sort((a, b) => b.length - a.length);
  const body = cleaned.map((p) => escapeRegExp(p).replace(/\s+/g, '\\s+')).join('|');
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${body})(?![\\p{L}\\p{N}])`, 'giu');
}

/** Lower-cases and strips accents, for lenient comparisons ("José" ~ "jose"). */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}
