/**
 * Each network's own idea of how long a text is, and splitting long replies into threads.
 *
 * The rules are data (`LENGTH_RULES`), keyed by network, so the core never branches on a
 * network name; a channel may pass its own `LengthRule` instead (e.g. a Mastodon instance
 * with a 1,000-character limit).
 *
 * Counters:
 * - `twitter`: twitter-text v3 (config/v3.json): scale 100, default weight 200, code points
 *   in 0–4351, 8192–8205, 8208–8223, 8242–8247 weigh 100, every link X finds (twitter-text's URL
 *   grammar, `xLinks.ts`: with or without protocol, ending in a TLD twitter-text knows or a
 *   punycode one) weighs `transformedURLLength` 23, and each emoji (an RGI emoji or ZWJ sequence,
 *   as twemoji finds them) weighs the default 200; the text is NFC-normalized first; limit 280.
 *   Checked against the `twitter-text` package in `textLength.oracle.test.ts`.
 * - `graphemes`: extended grapheme clusters (`Intl.Segmenter`), optionally with a UTF-8 byte
 *   cap (Bluesky: 300 graphemes and 3,000 bytes).
 * - `mastodon`: graphemes, after every `http(s)://` URL is replaced by 23 characters and every
 *   `@user@instance` mention by its local `@user` part (as Mastodon's length validator does).
 * - `code_points`: Unicode code points (Facebook, Instagram, email, web chat).
 */

import type { Network } from './types.js';
import { codePointCount, findMentions, findUrls, graphemeCount, graphemes, utf8Length } from './wf_text.js';
import { xLinks, type LinkSpan, type LinkWork } from './xLinks.js';

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

/**
 * Direct-message limits, where they differ from the network's post limit: X DMs 10,000
 * characters; Messenger 2,000; Instagram DMs 1,000; Bluesky chat 1,000 graphemes
 * (chat.bsky.convo.defs#messageInput). Mastodon "DMs" are statuses with direct visibility and
 * keep the post rule; e-mail and web chat have one rule.
 */
export const PRIVATE_LENGTH_RULES: Readonly<Partial<Record<Network, LengthRule>>> = {
  x: { counter: 'code_points', limit: 10_000 },
  facebook: { counter: 'code_points', limit: 2_000 },
  instagram: { counter: 'code_points', limit: 1_000 },
  bluesky: { counter: 'graphemes', limit: 1_000 },
};

/**
 * The rule a reply of this visibility is held to: a private message's own where the network
 * has one, else the post rule. A channel's own `LengthRule` is returned as it is.
 */
export function lengthRuleFor(network: Network | LengthRule, visibility: 'public' | 'private'): Network | LengthRule {
  if (typeof network === 'string' && visibility === 'private') return PRIVATE_LENGTH_RULES[network] ?? network;
  return network;
}

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

// Emoji as twitter-text weighs them (twemoji-parser: one emoji, a flag, keycap, tag sequence, or a
// ZWJ sequence counts the default weight once): Unicode's recommended-for-interchange emoji
// (`\p{RGI_Emoji}`), and the emoji-style variation sequences of the emoji that have one although
// they show as emoji by default (Unicode's emoji-variation-sequences.txt: "⭐️", "☕️" are one emoji;
// "✊️" is ✊ and a VS16 weighed on its own, 2 + 2). A sequence that is no RGI emoji ("🧑‍🤝"
// without its second person, a bare ©) is weighed unit by unit, as X does: "🧑‍🤝" is 2 + 1 (ZWJ)
// + 2. The `v` flag needs Node 20; built from a string since TypeScript's ES2022 target has no
// `v` literal.
const EMOJI_STYLE_SEQUENCE =
  '[\\u231A\\u231B\\u25FD\\u25FE\\u2614\\u2615\\u2648-\\u2653\\u267F\\u2693\\u26A1\\u26AA\\u26AB\\u26BD\\u26BE\\u26C4\\u26C5\\u26D4\\u26EA\\u26F2\\u26F3\\u26F5\\u26FA\\u26FD\\u2757\\u2B1B\\u2B1C\\u2B50\\u2B55\\u{1F004}\\u{1F21A}\\u{1F22F}]\\uFE0F';
const EMOJI_SEQUENCE = emojiSequence();

/**
 * The emoji expression (a keycap without its VS16, "1⃣", is one emoji to twemoji too); a browser
 * without the `v` flag (before 2023) gets the close approximation Parley used before.
 */
function emojiSequence(): RegExp {
  try {
    return new RegExp(`${EMOJI_STYLE_SEQUENCE}|\\p{RGI_Emoji}|[#*0-9]\\u20E3`, 'yv');
  } catch {
    return new RegExp(
      `${EMOJI_STYLE_SEQUENCE}|\\p{RI}\\p{RI}|[#*0-9]\\uFE0F?\\u20E3|\\u{1F3F4}[\\u{E0020}-\\u{E007E}]+\\u{E007F}|\\p{Extended_Pictographic}(?:\\p{EMod}|\\uFE0F)?(?:\\u200D\\p{Extended_Pictographic}(?:\\p{EMod}|\\uFE0F)?)*`,
      'yu',
    );
  }
}
// Where an emoji may start (a pictograph, a regional indicator, a skin tone, a keycap's base): the
// emoji expression, slow to search with, is tried only there.
const EMOJI_START = /[\p{Extended_Pictographic}\p{RI}\p{EMod}]|[#*0-9](?=\uFE0F?\u20E3)/gu;

// The emoji expression is a list of some 3,700 sequences tried in turn (microseconds a try), so its
// answer is kept per cluster: the code points from a candidate that an emoji sequence could span
// (a pictograph with its skin tone, VS16, keycap mark or tags, more after each ZWJ; a regional
// indicator with the next). A match never reaches past its cluster, so the cluster decides it. The
// longest RGI emoji is 15 units (a kiss with two skin tones), so clusters are cut at 32.
const EMOJI_MAX_UNITS = 32;
const EMOJI_MEMO_SIZE = 4096;
const emojiMemo = new Map<string, number>();

/** Counters of the work `twitterWeightedLength` does, for tests that check it grows linearly. */
export interface WeightWork {
  /** Steps of the weighing loop (a character, an emoji or a link each). */
  steps: number;
  /** Characters read and expressions run by the link finder (`xLinks`). */
  links: LinkWork;
  /** Runs of the emoji expression (clusters not already known). */
  emojiRuns: number;
  /** Searches for the next place an emoji may start, and clusters read from there. */
  emojiSteps: number;
}

function isEmojiContinuation(cp: number): boolean {
  return (cp >= 0x1f3fb && cp <= 0x1f3ff) || cp === 0xfe0f || cp === 0x20e3 || (cp >= 0xe0020 && cp <= 0xe007f);
}
const isRegionalIndicator = (cp: number) => cp >= 0x1f1e6 && cp <= 0x1f1ff;

/** UTF-16 length of the emoji sequence at `i` (0 when none), as `EMOJI_SEQUENCE` finds it. */
function emojiLengthAt(s: string, i: number, work?: WeightWork): number {
  if (work) work.emojiSteps++;
  const first = s.codePointAt(i)!;
  let end = i + (first > 0xffff ? 2 : 1);
  const limit = Math.min(s.length, i + EMOJI_MAX_UNITS);
  if (isRegionalIndicator(first) && end < limit && isRegionalIndicator(s.codePointAt(end)!)) end += 2;
  else {
    while (end < limit) {
      const cp = s.codePointAt(end)!;
      if (isEmojiContinuation(cp)) end += cp > 0xffff ? 2 : 1;
      else if (cp === 0x200d && end + 1 < limit) {
        const next = s.codePointAt(end + 1)!;
        end += 1 + (next > 0xffff ? 2 : 1);
      } else break;
    }
    end = Math.min(end, limit);
  }
  const cluster = s.slice(i, end);
  let n = emojiMemo.get(cluster);
  if (n === undefined) {
    if (work) work.emojiRuns++;
    EMOJI_SEQUENCE.lastIndex = 0;
    n = EMOJI_SEQUENCE.exec(cluster)?.[0].length ?? 0;
    if (emojiMemo.size >= EMOJI_MEMO_SIZE) emojiMemo.clear();
    emojiMemo.set(cluster, n);
  }
  return n;
}

/**
 * The links X sees in a text (UTF-16 spans), each weighed as 23: twitter-text's grammar, in
 * `xLinks.ts`. Pass the NFC-normalized text, as `twitterWeightedLength` does.
 */
export const twitterLinks = (text: string): LinkSpan[] => xLinks(text);

function codeUnitWeight(unit: number): number {
  for (const r of TWITTER_TEXT_V3.ranges) if (unit >= r.start && unit <= r.end) return r.weight;
  return TWITTER_TEXT_V3.defaultWeight;
}

/**
 * Weighted length of a post on X, exactly as twitter-text v3 `parseTweet` computes
 * `weightedLength` (links found by twitter-text's grammar, `xLinks`). Linear in the text's
 * length; `work`, when given, is increased by the work done (see `WeightWork`).
 */
export function twitterWeightedLength(text: string, work?: WeightWork): number {
  const s = text.normalize('NFC');
  const urls = xLinks(s, work?.links);
  const { scale, defaultWeight, transformedURLLength } = TWITTER_TEXT_V3;
  let weight = 0;
  let u = 0;
  EMOJI_START.lastIndex = 0;
  let candidate = EMOJI_START.exec(s);
  for (let i = 0; i < s.length; ) {
    if (work) work.steps++;
    while (u < urls.length && urls[u]!.start < i) u++;
    if (u < urls.length && urls[u]!.start === i) {
      weight += transformedURLLength * scale;
      i = urls[u]!.end;
      continue;
    }
    if (candidate && candidate.index < i) {
      if (work) work.emojiSteps++;
      EMOJI_START.lastIndex = i;
      candidate = EMOJI_START.exec(s);
    }
    if (candidate && candidate.index === i) {
      const emoji = emojiLengthAt(s, i, work);
      if (emoji > 0) {
        weight += defaultWeight;
        i += emoji;
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
  /** The links inside the word (see `linkSpans`), kept whole when the word is split. */
  links: LinkSpan[];
}

const SENTENCE_END = /[.!?…。！？؟]['"”’»)\]」』）】》〉]*$/u;

/**
 * The links a network counts in `text`, which a split must keep whole: on X the spans X counts
 * as 23 (`xLinks`, over the whole text: whether a run is a link depends on the character before
 * it), elsewhere `http(s)://` URLs.
 */
function linkSpans(rule: LengthRule, text: string): LinkSpan[] {
  return rule.counter === 'twitter' ? xLinks(text) : findUrls(text);
}

function tokenize(rule: LengthRule, body: string): Unit[] {
  const units: Unit[] = [];
  const links = linkSpans(rule, body);
  let l = 0;
  const re = /(\s*)(\S+)/gu;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const wordStart = m.index + m[1]!.length;
    const wordEnd = wordStart + m[2]!.length;
    // a link never holds white space, so each lies inside one word
    while (l < links.length && links[l]!.end <= wordStart) l++;
    const inWord: LinkSpan[] = [];
    for (let k = l; k < links.length && links[k]!.start < wordEnd; k++) inWord.push({ start: links[k]!.start - wordStart, end: links[k]!.end - wordStart });
    // Scripts written without spaces (Chinese, Japanese) break after their own punctuation:
    // each sentence or clause is a word of its own, joined to the one before without a space
    // (never inside a link: a full-width dot may stand in a domain).
    const pieces = CJK_BREAK.test(m[2]!) ? joinAcrossLinks(m[2]!.match(CJK_PIECE)!, inWord) : [m[2]!];
    let at = 0;
    let j = 0;
    pieces.forEach((word, k) => {
      const links: LinkSpan[] = [];
      for (; j < inWord.length && inWord[j]!.end <= at + word.length; j++) links.push({ start: inWord[j]!.start - at, end: inWord[j]!.end - at });
      units.push(unit(rule, k === 0 ? m![1]! : '', word, links));
      at += word.length;
    });
  }
  for (let i = 0; i + 1 < units.length; i++) if (units[i + 1]!.ws.includes('\n')) units[i]!.boundary = true;
  return units;
}

/** Pieces of a word, those with a link running across their border joined. */
function joinAcrossLinks(pieces: string[], links: LinkSpan[]): string[] {
  const out: string[] = [];
  let at = 0;
  let j = 0;
  for (const piece of pieces) {
    while (j < links.length && links[j]!.end <= at) j++;
    if (out.length > 0 && j < links.length && links[j]!.start < at) out[out.length - 1] += piece;
    else out.push(piece);
    at += piece.length;
  }
  return out;
}

// Full-width sentence and clause punctuation, after which a thread may be cut.
const CJK_BREAK = /[。！？、，；：．](?=.)/u;
const CJK_PIECE = /[^。！？、，；：．]*[。！？、，；：．]+['"”’」』）】》〉)\]]*|[^。！？、，；：．]+$/gu;

function unit(rule: LengthRule, ws: string, word: string, links: LinkSpan[]): Unit {
  return {
    ws,
    word,
    wsLen: ws ? count(rule, ws) : 0,
    len: count(rule, word),
    wsBytes: utf8Length(ws),
    bytes: utf8Length(word),
    boundary: SENTENCE_END.test(word) && !(links.length === 1 && links[0]!.end === word.length),
    isUrl: links.length === 1 && links[0]!.start === 0 && links[0]!.end === word.length,
    links,
  };
}

interface Chunk {
  text: string;
  len: number;
  bytes: number;
}

/** Splits one over-long word at grapheme boundaries, keeping any link inside it whole. */
function splitWord(rule: LengthRule, word: string, links: LinkSpan[], budget: number, byteBudget: number): Chunk[] {
  const atoms: Array<{ text: string; link: boolean }> = [];
  let pos = 0;
  const pushGraphemes = (s: string) => {
    for (const g of graphemes(s)) atoms.push({ text: g, link: false });
  };
  for (const url of links) {
    if (url.start > pos) pushGraphemes(word.slice(pos, url.start));
    atoms.push({ text: word.slice(url.start, url.end), link: true });
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
        const chunks = splitWord(rule, u.word, u.links, budget, byteBudget);
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
        if (over > worst && !(linkSpans(rule, p).length === 1 && !/\s/.test(p))) worst = over;
      }
      if (worst <= 0 || budget - worst < 1) break;
      budget -= worst;
    }
    if (!numbering) return parts;
    if (String(parts.length).length <= digits) return parts.map((p, k) => `${p} ${k + 1}/${parts.length}`);
  }
  throw new TextLengthError('text.too_long', 'Text is too long to split into a thread');
}
