/**
 * Each network's own idea of how long a text is, and splitting long replies into threads.
 *
 * The rules are data (`LENGTH_RULES`), keyed by network, so the core never branches on a
 * network name; a channel may pass its own `LengthRule` instead (e.g. a Mastodon instance
 * with a 1,000-character limit).
 *
 * Counters:
 * - `twitter`: twitter-text v3 (config/v3.json): scale 100, default weight 200, code points
 *   in 0–4351, 8192–8205, 8208–8223, 8242–8247 weigh 100, every URL (with or without
 *   protocol) weighs `transformedURLLength` 23 (a link must end in a TLD twitter-text knows,
 *   `tlds.ts`, or a punycode one: `news.bbc` and `shop.みんな` are links, `hello.xx` and
 *   `https://intranet.corp/` are text; a link ends where twitter-text's does: text in
 *   other scripts written straight after it, "…/helpをご覧ください", is counted as text; a domain
 *   without protocol is a link only in ASCII or Latin accented letters — `bücher.com`, not
 *   `пример.рф`, which needs `https://` — or with a punycode TLD, `xn--e1afmkfd.xn--p1ai`), and each
 *   emoji sequence weighs the default 200; the text is NFC-normalized first; limit 280.
 * - `graphemes`: extended grapheme clusters (`Intl.Segmenter`), optionally with a UTF-8 byte
 *   cap (Bluesky: 300 graphemes and 3,000 bytes).
 * - `mastodon`: graphemes, after every `http(s)://` URL is replaced by 23 characters and every
 *   `@user@instance` mention by its local `@user` part (as Mastodon's length validator does).
 * - `code_points`: Unicode code points (Facebook, Instagram, email, web chat).
 */

import type { Network } from './types.js';
import { codePointCount, findMentions, findUrls, graphemeCount, graphemes, utf8Length } from './wf_text.js';

export type LengthCounter = 'twitter' | 'graphemes' | 'mastodon' | 'code_points';

export interface LengthRule {
  counter: LengthCounter;
  limit: number;
  /** Additional cap in UTF-8 bytes, when the network has one. */
  maxBytes?: number | null;
}

export const LENGTH_RULES: Readonly<Record<Network, LengthRule>> = {
  x: { counter: 'twitter', limit: 280 },
  bluesky: { counter: 'graphemes', limit: 300, maxBytes: 3000 },
  mastodon: { counter: 'mastodon', limit: 500 },
  facebook: { counter: 'code_points', limit: 8000 },
  instagram: { counter: 'code_points', limit: 2200 },
  email: { counter: 'code_points', limit: 100_000 },
  webchat: { counter: 'code_points', limit: 10_000 },
  demo: { counter: 'graphemes', limit: 500 },
};

export interface Measurement {
  /** Length in the network's unit. */
  length: number;
  limit: number;
  /** `limit - length` (negative when over). */
  remaining: number;
  /** Over the length limit or the byte cap. */
  over: boolean;
  unit: LengthCounter;
  /** UTF-8 bytes, reported when the rule has a byte cap. */
  bytes?: number;
  maxBytes?: number;
}

export class TextLengthError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TextLengthError';
    this.code = code;
  }
}

/** The rule for a network, or the rule itself when one is passed. */
export function lengthRule(network: Network | LengthRule): LengthRule {
  if (typeof network === 'object' && network !== null) {
    if (!(network.limit > 0)) throw new TextLengthError('text.invalid_rule', `Length limit must be positive, got ${String(network.limit)}`);
    return network;
  }
  const rule = (LENGTH_RULES as Record<string, LengthRule | undefined>)[network];
  if (!rule) throw new TextLengthError('text.unknown_network', `No length rule for network "${String(network)}"`);
  return rule;
}

/** twitter-text v3 configuration (https://github.com/twitter/twitter-text, config/v3.json). */
export const TWITTER_TEXT_V3 = {
  version: 3,
  maxWeightedTweetLength: 280,
  scale: 100,
  defaultWeight: 200,
  emojiParsingEnabled: true,
  transformedURLLength: 23,
  ranges: [
    { start: 0, end: 4351, weight: 100 },
    { start: 8192, end: 8205, weight: 100 },
    { start: 8208, end: 8223, weight: 100 },
    { start: 8242, end: 8247, weight: 100 },
  ],
} as const;

// Emoji sequences as twemoji-parser finds them: flags, keycaps, tag sequences (subdivision
// flags), and pictographs with optional modifier / VS16, joined by ZWJ.
const EMOJI_SEQUENCE =
  /\p{RI}\p{RI}|[#*0-9]\uFE0F?\u20E3|\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}|\p{Extended_Pictographic}(?:\p{EMod}|\uFE0F)?(?:\u200D\p{Extended_Pictographic}(?:\p{EMod}|\uFE0F)?)*/gu;

// What twitter-text lets a link's path and query hold: ASCII punctuation and letters, Latin
// accents and Cyrillic. Anything else (Japanese, Chinese, Korean, emoji…) ends the link and is
// counted as text: "https://example.com/helpをご覧ください" is a link and seven characters.
const X_URL_PATH_CHAR = /[!-~\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263\u0268\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u0400-\u0527\u1E00-\u1EFF\u2DE0-\u2DFF\uA640-\uA69F\u2013]/u;
// A host followed straight by other text: up to the end of its ASCII top-level domain, unless
// the domain goes on in letters twitter-text allows in one (`.vermögensberatung`).
const X_DOMAIN_CHAR = /^[a-z0-9.\-\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263\u0268\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF]/iu;
const X_HOST_THEN_TEXT = /^(?:[a-z][a-z0-9+.\-]*:\/\/)?[^/?#]*?\.[a-z]{2,63}(?::\d{1,5})?(?![a-z0-9.\-:])/iu;

/** The length (UTF-16 units) of the link X sees at the start of `url`, as `findUrls` found it. */
function twitterUrlLength(url: string): number {
  const hostEnd = url.search(/(?<=\/\/[^/?#]*|^[^/?#:]*)[/?#]/u);
  let end = url.length;
  if (hostEnd >= 0) {
    for (let i = hostEnd; i < url.length; i++) {
      if (!X_URL_PATH_CHAR.test(url[i]!)) {
        end = i;
        break;
      }
    }
  }
  const head = url.slice(0, hostEnd >= 0 ? hostEnd : url.length);
  if (/[^\x00-\x7f]/.test(head)) {
    // an IDN host ends where its top-level domain does ("example.comをご覧" → "example.com")
    const host = X_HOST_THEN_TEXT.exec(head);
    if (host && host[0].length < head.length && !X_DOMAIN_CHAR.test(head.slice(host[0].length))) end = host[0].length;
  }
  // trailing punctuation is not part of a link
  while (end > 0 && /[.,;:!?'"*]/.test(url[end - 1]!) && end < url.length) end--;
  return Math.max(1, end);
}

/**
 * The links X sees in a text (UTF-16 spans): where `findUrls` took in text that twitter-text's
 * link ends before ("example.com/path中国語example.com/path"), the rest is searched again, as
 * twitter-text finds a link right after text in another script.
 */
function twitterLinks(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (const u of findUrls(text, { bareDomains: true, strictTlds: true })) {
    const end = u.start + twitterUrlLength(u.url);
    out.push({ start: u.start, end });
    if (end < u.end) for (const t of twitterLinks(text.slice(end, u.end))) out.push({ start: end + t.start, end: end + t.end });
  }
  return out;
}

function codeUnitWeight(unit: number): number {
  for (const r of TWITTER_TEXT_V3.ranges) if (unit >= r.start && unit <= r.end) return r.weight;
  return TWITTER_TEXT_V3.defaultWeight;
}

/**
 * Weighted length of a post on X, exactly as twitter-text v3 `parseTweet` computes
 * `weightedLength` (URL detection is a compact subset of twitter-text's, see `findUrls`).
 */
export function twitterWeightedLength(text: string): number {
  const s = text.normalize('NFC');
  const urls = twitterLinks(s);
  const { scale, defaultWeight, transformedURLLength } = TWITTER_TEXT_V3;
  let weight = 0;
  let u = 0;
  EMOJI_SEQUENCE.lastIndex = 0;
  let emoji = EMOJI_SEQUENCE.exec(s);
  for (let i = 0; i < s.length; ) {
    while (u < urls.length && urls[u]!.start < i) u++;
    if (u < urls.length && urls[u]!.start === i) {
      weight += transformedURLLength * scale;
      i = urls[u]!.end;
      continue;
    }
    while (emoji && emoji.index < i) {
      EMOJI_SEQUENCE.lastIndex = i;
      emoji = EMOJI_SEQUENCE.exec(s);
    }
    if (emoji && emoji.index === i) {
      const seq = emoji[0];
      // © and ® are text characters unless followed by VS16 (twemoji does the same).
      if (!(seq.length === 1 && (seq === '\u00A9' || seq === '\u00AE'))) {
        weight += defaultWeight;
        i += seq.length;
        continue;
      }
    }
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // twitter-text weighs a surrogate pair by its trailing unit: always the default weight.
      weight += codeUnitWeight(s.charCodeAt(i + 1));
      i += 2;
    } else {
      weight += codeUnitWeight(c);
      i += 1;
    }
  }
  return weight / scale;
}

const MASTODON_URL_LENGTH = 23;

/** Mastodon's countable length: URLs as 23, remote mentions as their local part, in graphemes. */
export function mastodonLength(text: string): number {
  const urls = findUrls(text);
  const mentions = findMentions(text).filter((m) => m.domain !== null && !urls.some((u) => m.start < u.end && m.end > u.start));
  if (urls.length === 0 && mentions.length === 0) return graphemeCount(text);
  const spans = [
    ...urls.map((u) => ({ start: u.start, end: u.end, replacement: 'x'.repeat(MASTODON_URL_LENGTH) })),
    ...mentions.map((m) => ({ start: m.start, end: m.end, replacement: `@${m.username}` })),
  ].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const sp of spans) {
    if (sp.start < pos) continue;
    out += text.slice(pos, sp.start) + sp.replacement;
    pos = sp.end;
  }
  out += text.slice(pos);
  return graphemeCount(out);
}

/**
 * `@acct ` in front of the text for each addressee it does not mention yet: what the Mastodon
 * connector posts, since Mastodon notifies only the accounts a status mentions. The prefix
 * counts towards the limit, so reply checks measure this text, not the draft.
 */
export function withMastodonMentions(text: string, accts: readonly string[]): string {
  const missing = accts.filter((acct, i) => acct && accts.indexOf(acct) === i && !mentionsAcct(text, acct));
  return missing.length ? `${missing.map((a) => `@${a}`).join(' ')} ${text}` : text;
}

function mentionsAcct(text: string, acct: string): boolean {
  const escaped = acct.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_@])@${escaped}(?![\\p{L}\\p{N}_@]|\\.[\\p{L}\\p{N}])`, 'iu').test(text);
}

function count(rule: LengthRule, text: string): number {
  switch (rule.counter) {
    case 'twitter':
      return twitterWeightedLength(text);
    case 'graphemes':
      return graphemeCount(text);
    case 'mastodon':
      return mastodonLength(text);
    case 'code_points':
      return codePointCount(text);
    default:
      throw new TextLengthError('text.invalid_rule', `Unknown counter "${String((rule as LengthRule).counter)}"`);
  }
}

/** How long `text` is for a network, against its limit. Never throws on odd text. */
export function measure(network: Network | LengthRule, text: string): Measurement {
  const rule = lengthRule(network);
  const length = count(rule, String(text ?? ''));
  const result: Measurement = { length, limit: rule.limit, remaining: rule.limit - length, over: length > rule.limit, unit: rule.counter };
  if (rule.maxBytes) {
    const bytes = utf8Length(String(text ?? ''));
    result.bytes = bytes;
    result.maxBytes = rule.maxBytes;
    if (bytes > rule.maxBytes) result.over = true;
  }
  return result;
}

export interface ThreadOptions {
  /** Append " 1/3"-style numbering to each part (counted in the limit). Default false. */
  numbering?: boolean;
  /** Override the network's limit (e.g. leave room for an @mention the network prepends). */
  limit?: number;
}

interface Unit {
  /** Whitespace before the word (dropped at the start of a part). */
  ws: string;
  word: string;
  wsLen: number;
  len: number;
  wsBytes: number;
  bytes: number;
  /** A part may end after this unit: end of sentence, or a line break follows. */
  boundary: boolean;
  isUrl: boolean;
}

const SENTENCE_END = /[.!?…。！？؟]['"”’»)\]」』）】》〉]*$/u;

function tokenize(rule: LengthRule, body: string): Unit[] {
  const units: Unit[] = [];
  const re = /(\s*)(\S+)/gu;
  const bareDomains = rule.counter === 'twitter';
  for (let m = re.exec(body); m; m = re.exec(body)) {
    // Scripts written without spaces (Chinese, Japanese) break after their own punctuation:
    // each sentence or clause is a word of its own, joined to the one before without a space.
    const pieces = CJK_BREAK.test(m[2]!) ? m[2]!.match(CJK_PIECE)! : [m[2]!];
    pieces.forEach((word, k) => units.push(unit(rule, k === 0 ? m![1]! : '', word, bareDomains)));
  }
  for (let i = 0; i + 1 < units.length; i++) if (units[i + 1]!.ws.includes('\n')) units[i]!.boundary = true;
  return units;
}

// Full-width sentence and clause punctuation, after which a thread may be cut.
const CJK_BREAK = /[。！？、，；：．](?=.)/u;
const CJK_PIECE = /[^。！？、，；：．]*[。！？、，；：．]+['"”’」』）】》〉)\]]*|[^。！？、，；：．]+$/gu;

function unit(rule: LengthRule, ws: string, word: string, bareDomains: boolean): Unit {
  const urls = findUrls(word, { bareDomains, strictTlds: bareDomains });
  return {
    ws,
    word,
    wsLen: ws ? count(rule, ws) : 0,
    len: count(rule, word),
    wsBytes: utf8Length(ws),
    bytes: utf8Length(word),
    boundary: SENTENCE_END.test(word) && !(urls.length === 1 && urls[0]!.end === word.length),
    isUrl: urls.length === 1 && urls[0]!.start === 0 && urls[0]!.end === word.length,
  };
}

interface Chunk {
  text: string;
  len: number;
  bytes: number;
}

/** Splits one over-long word at grapheme boundaries, keeping any link inside it whole. */
function splitWord(rule: LengthRule, word: string, budget: number, byteBudget: number): Chunk[] {
  const atoms: Array<{ text: string; link: boolean }> = [];
  let pos = 0;
  const pushGraphemes = (s: string) => {
    for (const g of graphemes(s)) atoms.push({ text: g, link: false });
  };
  for (const url of findUrls(word, { bareDomains: rule.counter === 'twitter', strictTlds: rule.counter === 'twitter' })) {
    if (url.start > pos) pushGraphemes(word.slice(pos, url.start));
    atoms.push({ text: url.url, link: true });
    pos = url.end;
  }
  if (pos < word.length) pushGraphemes(word.slice(pos));
  const chunks: Chunk[] = [];
  let cur: Chunk = { text: '', len: 0, bytes: 0 };
  for (const { text: atom, link } of atoms) {
    // A grapheme is one unit for a grapheme counter; no need to segment it again.
    const len = rule.counter === 'graphemes' && !link ? 1 : count(rule, atom);
    const bytes = utf8Length(atom);
    if (cur.text && (cur.len + len > budget || cur.bytes + bytes > byteBudget)) {
      chunks.push(cur);
      cur = { text: '', len: 0, bytes: 0 };
    }
    cur = { text: cur.text + atom, len: cur.len + len, bytes: cur.bytes + bytes };
  }
  if (cur.text) chunks.push(cur);
  return chunks;
}

function pack(rule: LengthRule, units: Unit[], budget: number, byteBudget: number): string[] {
  const parts: string[] = [];
  let i = 0;
  let carry: Chunk | null = null;
  while (i < units.length || carry) {
    let text: string;
    let len: number;
    let bytes: number;
    let startBoundary = false;
    if (carry) {
      ({ text, len, bytes } = carry);
      carry = null;
    } else {
      const u = units[i]!;
      if (u.len > budget || u.bytes > byteBudget) {
        i++;
        if (u.isUrl) {
          // A link is never split, even when it alone is over the limit.
          parts.push(u.word);
          continue;
        }
        const chunks = splitWord(rule, u.word, budget, byteBudget);
        for (let k = 0; k < chunks.length - 1; k++) parts.push(chunks[k]!.text);
        carry = chunks[chunks.length - 1] ?? null;
        continue;
      }
      text = u.word;
      len = u.len;
      bytes = u.bytes;
      startBoundary = u.boundary;
      i++;
    }
    // Last place a sentence or paragraph ended inside this part: [string index, length, next unit].
    let cut: [number, number, number] | null = startBoundary ? [text.length, len, i] : null;
    while (i < units.length) {
      const u = units[i]!;
      const addLen = u.wsLen + u.len;
      const addBytes = u.wsBytes + u.bytes;
      if (len + addLen > budget || bytes + addBytes > byteBudget) break;
      text += u.ws + u.word;
      len += addLen;
      bytes += addBytes;
      i++;
      if (u.boundary) cut = [text.length, len, i];
    }
    if (i < units.length && cut && cut[2] < i && cut[1] >= budget / 2) {
      // Prefer ending on a sentence when that keeps the part at least half full.
      text = text.slice(0, cut[0]);
      i = cut[2];
    }
    parts.push(text);
  }
  return parts;
}

/**
 * Splits a reply into posts that each fit the network: at sentence ends where that keeps
 * posts at least half full, otherwise between words (in Chinese and Japanese, after a
 * sentence or clause mark such as 。 or 、), and only inside a word (at grapheme
 * boundaries) when a single word is longer than a post. Links are never split. With
 * `numbering`, " 1/3"-style suffixes are added and counted. Text that fits is returned as
 * one part (without numbering); blank text gives no parts.
 */
export function splitIntoThread(network: Network | LengthRule, text: string, options: ThreadOptions = {}): string[] {
  const rule = lengthRule(network);
  const limit = options.limit ?? rule.limit;
  if (!(limit > 0)) throw new TextLengthError('text.invalid_rule', `Limit must be positive, got ${String(limit)}`);
  const maxBytes = rule.maxBytes ?? Number.POSITIVE_INFINITY;
  const body = String(text ?? '').trim();
  if (body === '') return [];
  if (count(rule, body) <= limit && utf8Length(body) <= maxBytes) return [body];
  const units = tokenize(rule, body);
  const numbering = options.numbering === true;

  for (let digits = 1; digits <= 7; digits++) {
    const sample = numbering ? ` ${'9'.repeat(digits)}/${'9'.repeat(digits)}` : '';
    const reserve = numbering ? count(rule, sample) : 0;
    const reserveBytes = utf8Length(sample);
    let budget = limit - reserve;
    if (budget < 1) throw new TextLengthError('text.limit_too_small', `Limit ${limit} leaves no room for text after numbering`);
    let parts: string[] = [];
    // Lengths are summed per word; re-check whole parts and tighten in the rare case where
    // normalization or a combining mark after a space makes the sum differ.
    for (let attempt = 0; attempt < 4; attempt++) {
      parts = pack(rule, units, budget, maxBytes - reserveBytes);
      let worst = 0;
      for (const p of parts) {
        const over = count(rule, p) - budget;
        if (over > worst && !(findUrls(p, { bareDomains: rule.counter === 'twitter', strictTlds: rule.counter === 'twitter' }).length === 1 && !/\s/.test(p))) worst = over;
      }
      if (worst <= 0 || budget - worst < 1) break;
      budget -= worst;
    }
    if (!numbering) return parts;
    if (String(parts.length).length <= digits) return parts.map((p, k) => `${p} ${k + 1}/${parts.length}`);
  }
  throw new TextLengthError('text.too_long', 'Text is too long to split into a thread');
}
