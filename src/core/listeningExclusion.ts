/**
 * Listening exclusions: the words and phrases an account's listening must not collect
 * (`excludeKeywords`: a brand "Apple" drops "pie" and "apple juice", a brand "Orange" drops
 * fruit talk). X applies them server-side too (`-word`, `-"phrase"` in the search query:
 * src/channels/x/query.ts); Mastodon and Bluesky search has no exclusion, so every connector
 * drops a listening hit here, after the network answered — on X as a safety net for what the
 * query could not carry.
 *
 * A post that tags the brand (mentions it, replies to it, quotes it) is never dropped: it is a
 * direct care item, whatever words it holds. The connectors say which posts tag the brand; this
 * module only matches text.
 *
 * Matching is the way the networks match keywords: without case, by whole words, a phrase as
 * its words in a row (punctuation between them ignored), and on the Unicode fold contact search
 * uses (./searchKey.ts: NFKC, so full-width "ＰＩＥ" and a decomposed "é" are the plain ones;
 * Unicode lowercase with the σ/ß/Turkish-i folds). Diacritics are kept, as the networks' own
 * keyword matching keeps them: excluding "pâte" does not drop "pate". A plain word also matches
 * the same word as a #hashtag ("pie" drops "#pie"); "#pie" matches the hashtag only. A term in a
 * script written without spaces (Chinese, Japanese, Thai) matches anywhere in the text.
 */
import { searchKey } from './searchKey.js';

/** A word of a post: letters, marks, digits and _, with the # or $ that makes it a hashtag or cashtag. */
const WORD = /[#$]?[\p{L}\p{M}\p{N}_]+/gu;
/** Scripts written without spaces between words: their terms are matched as a run of characters. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/** The fold, with line breaks, tabs and other control characters read as spaces (searchKey drops them: they would join words). */
const fold = (s: string) => searchKey(s.replace(/\p{Cc}+/gu, ' '));

/** A term (or a text) as the words it is made of, folded. */
function wordsOf(s: string): string[] {
  return fold(s).match(WORD) ?? [];
}

/** One exclusion, prepared once per account. */
export interface ExclusionTerm {
  /** The term as the admin wrote it (for the reason given). */
  term: string;
  /** Its folded words; a plain word matches the same word with or without #/$. */
  words: string[];
  /** For a term in a script without spaces: the folded text it must contain. */
  run?: string;
}

/** Exclusions prepared for matching; terms without a letter or digit are left out (they match nothing). */
export function prepareExclusions(terms: readonly string[]): ExclusionTerm[] {
  const out: ExclusionTerm[] = [];
  for (const term of terms) {
    const words = wordsOf(term);
    if (!words.length) continue;
    out.push(UNSPACED.test(term) ? { term, words, run: fold(term).replace(/[^\p{L}\p{M}\p{N}#$_]+/gu, '') } : { term, words });
  }
  return out;
}

const bare = (w: string) => w.replace(/^[#$]/, '');

/** Whether `word` of a post is `want` of a term: exactly, or a plain term word against a tag. */
function sameWord(word: string, want: string): boolean {
  return word === want || (want === bare(want) && bare(word) === want);
}

/** The first exclusion `text` contains, or null. */
export function excludedBy(text: string, exclusions: readonly ExclusionTerm[]): string | null {
  if (!exclusions.length || !text) return null;
  const words = wordsOf(text);
  let squeezed: string | null = null;
  for (const ex of exclusions) {
    if (ex.run !== undefined) {
      squeezed ??= fold(text).replace(/[^\p{L}\p{M}\p{N}#$_]+/gu, '');
      if (squeezed.includes(ex.run)) return ex.term;
      continue;
    }
    const n = ex.words.length;
    for (let i = 0; i + n <= words.length; i++) {
      let all = true;
      for (let j = 0; j < n && all; j++) all = sameWord(words[i + j]!, ex.words[j]!);
      if (all) return ex.term;
    }
  }
  return null;
}

/**
 * Whether listening keeps a hit: always when it tags the brand (a direct care item), else when
 * no exclusion matches its text.
 */
export function keepsListeningHit(text: string, tagsBrand: boolean, exclusions: readonly ExclusionTerm[]): boolean {
  return tagsBrand || excludedBy(text, exclusions) === null;
}
