/**
 * Text hygiene for triage. Inbound text is hostile by default (100 KB pastes, NUL
 * bytes, lone surrogates, bidi overrides used to disguise spam), so everything the
 * classifiers see goes through `sanitizeText` first: it never throws and bounds the
 * work done per message.
 */

/** Characters beyond this are not read by the classifiers (the message itself is kept whole elsewhere). */
export const MAX_TRIAGE_CHARS = 2_000;

// C0/C1 controls except \t \n \r, bidi embeddings/overrides/isolates, zero-width and BOM.
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\uFE0E\uFE0F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export interface SanitizedText {
  text: string;
  /** True when the input was longer than MAX_TRIAGE_CHARS and was cut. */
  truncated: boolean;
  /** True when invisible/control characters were removed (bidi overrides are a spam tell). */
  hadInvisible: boolean;
}

/** Make arbitrary input safe to classify: bounded, well-formed UTF-16, no controls. */
export function sanitizeText(input: unknown): SanitizedText {
  let s = typeof input === 'string' ? input : input == null ? '' : String(input);
  let truncated = false;
  // Cut first (cheap), on a little more than the limit so removals below don't starve it.
  if (s.length > MAX_TRIAGE_CHARS * 2) { s = s.slice(0, MAX_TRIAGE_CHARS * 2); truncated = true; }
  s = s.replace(LONE_SURROGATE, '\uFFFD');
  const cleaned = s.replace(INVISIBLE, '');
  const hadInvisible = cleaned.length !== s.length;
  s = cleaned;
  if (s.length > MAX_TRIAGE_CHARS) {
    let cut = MAX_TRIAGE_CHARS;
    // never split a surrogate pair
    const c = s.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--;
    s = s.slice(0, cut);
    truncated = true;
  }
  // HTML entities as delivered by some APIs (TWCS has them): decode the common few.
  if (s.includes('&')) s = s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');
  return { text: s, truncated, hadInvisible };
}

/** The word tokens used by features, lexicons and chaser matching. */
export interface Tokens {
  /** Normalized tokens: lowercased, URLs → `httpurl`, handles → `@user`, digits → `0`, elongations squeezed. */
  words: string[];
  /** How many tokens were handles, URLs, hashtags. */
  mentions: number;
  urls: number;
  hashtags: number;
  /** Handles as written (lowercased, without `@`), for brand-addressing checks. */
  handles: string[];
  /** Ratio of letters in capitals among letters (shouting), 0..1. */
  capsRatio: number;
  exclamations: number;
  questions: number;
}

const TOKEN_RE = /https?:\/\/\S+|www\.\S+|[@＠][\p{L}\p{N}_]+|#[\p{L}\p{N}_]+|[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}]+)*|[!?]+|[:;=][-']?[()\[\]dDpP/\\|*]|<3|[£$€¥₹%&]|\p{Extended_Pictographic}/gu;
const MAX_TOKENS = 300;

/** Tokenize sanitized text. Cheap enough to run once per message and share. */
export function tokenize(text: string): Tokens {
  const words: string[] = [];
  const handles: string[] = [];
  let mentions = 0, urls = 0, hashtags = 0, upper = 0, letters = 0, exclamations = 0, questions = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) { upper++; letters++; } else if (c >= 97 && c <= 122) letters++;
    else if (c === 33) exclamations++;
    else if (c === 63) questions++;
  }
  TOKEN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN_RE.exec(text)) !== null && words.length < MAX_TOKENS) {
    const t = m[0];
    const c0 = t.charCodeAt(0);
    if (c0 === 104 /* h */ && (t.startsWith('http://') || t.startsWith('https://'))) { words.push('httpurl'); urls++; continue; }
    if (c0 === 119 /* w */ && t.startsWith('www.')) { words.push('httpurl'); urls++; continue; }
    if (c0 === 64 || c0 === 0xff20) { words.push('@user'); mentions++; handles.push(t.slice(1).toLowerCase()); continue; }
    if (c0 === 35) { hashtags++; words.push('#'); words.push(normalizeLower(t.slice(1).toLowerCase())); continue; }
    if (c0 === 33 || c0 === 63) { words.push(t.length > 1 ? (t.includes('?') && t.includes('!') ? '?!' : t[0]! + t[0]!) : t); continue; }
    words.push(normalizeLower(t.toLowerCase()));
  }
  return { words, mentions, urls, hashtags, handles, capsRatio: letters >= 8 ? upper / letters : 0, exclamations, questions };
}

/** Lowercase, curly apostrophe → straight, digit runs → `0` (5+ digits → `00000`), 3+ repeated letters → 2. */
export function normalizeWord(w: string): string {
  return normalizeLower(w.toLowerCase());
}

/** normalizeWord for an already-lowercased word; a char scan avoids regexes on the common path. */
function normalizeLower(s: string): string {
  let digits = false, triple = false, curly = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits = true;
    else if (c === 0x2019) curly = true;
    if (i >= 2 && c === s.charCodeAt(i - 1) && c === s.charCodeAt(i - 2)) triple = true;
  }
  if (curly) s = s.replace(/’/g, "'");
  // digit runs: short → `0`, phone numbers / short codes / order numbers (5+) → `00000`
  if (digits) s = s.replace(/\d+/g, (d) => (d.length >= 5 ? '00000' : '0'));
  if (triple && s.length > 3) s = s.replace(/(.)\1{2,}/gu, '$1$1');
  return s;
}
